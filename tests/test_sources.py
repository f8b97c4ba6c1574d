"""Data that does not sit in memory: Dask arrays streamed block by block, NumPy memmaps,
and a grid search on a real Dask cluster (a LocalCluster on 127.0.0.1)."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import mlpkit
from mlpkit import Dense

from .conftest import require


def _da():
    return require("dask.array", "pip install 'mlpkit[dask]'")


def _data(n=1000, k=5, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, k))
    return x, (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)


def _net(k=5):
    return mlpkit.Sequential([Dense(k, 8, "relu"), Dense(8, 2, "softmax")], seed=0, dtype="float64")


def test_unshuffled_dask_training_is_in_memory_training_bit_for_bit():
    da = _da()
    x, y = _data()
    xd, yd = da.from_array(x, chunks=(97, 5)), da.from_array(y, chunks=97)  # uneven blocks
    ours, theirs = _net(), _net()
    settings = dict(epochs=2, batch_size=32, shuffle=False, metrics=["accuracy"], verbose=0)
    h = ours.fit(xd, yd, validation_data=(xd[:200], yd[:200]), **settings)
    g = theirs.fit(x, y, validation_data=(x[:200], y[:200]), **settings)
    for a, b in zip(ours.get_weights(), theirs.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert h.history["loss"] == g.history["loss"] and h["val_accuracy"] == g["val_accuracy"]
    assert h["accuracy"] == g["accuracy"]
    assert ours.evaluate(xd, yd, metrics=["accuracy"]) == theirs.evaluate(
        x, y, metrics=["accuracy"]
    )
    lazy = ours.predict(xd)
    assert type(lazy).__module__.startswith("dask") and lazy.shape == (1000, 2)
    # (blocks of 97 rows take the small-softmax kernel, 1000 rows the max-shift one)
    np.testing.assert_allclose(lazy.compute(), theirs.predict(x), rtol=1e-12, atol=1e-15)


def test_shuffled_streaming_is_seeded_and_takes_every_row_once_an_epoch():
    da = _da()
    x, y = _data()
    xd, yd = da.from_array(x, chunks=(100, 5)), da.from_array(y, chunks=100)
    a, b = _net(), _net()
    a.fit(xd, yd, epochs=3, batch_size=32, verbose=0)
    b.fit(xd, yd, epochs=3, batch_size=32, verbose=0)
    for p, q in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(p, q)  # the same seed, the same stream
    assert a.steps_trained == 3 * 32  # ceil(1000 / 32): full batches but the last

    class Rows(mlpkit.Callback):
        def __init__(self):
            self.rows = 0

        def on_batch_end(self, batch, logs=None):
            self.rows += logs["size"]

    rows = Rows()
    a.fit(xd, yd, epochs=1, batch_size=32, callbacks=[rows], verbose=0)
    assert rows.rows == 1000
    c = _net()
    c.fit(xd, yd, epochs=15, batch_size=32, optimizer=mlpkit.optimizers.Adam(lr=0.01), verbose=0)
    assert np.mean(c.predict_classes(x) == y) > 0.95  # it learns from the shuffled stream


def test_training_on_a_dask_array_holds_a_block_and_the_buffer_not_the_array():
    da, dask = _da(), pytest.importorskip("dask")
    rows, k = 200_000, 128  # 102 MB of float32, made lazily block by block
    for chunk, buffer in ((2_500, "4MiB"), (50_000, "4MiB"), (2_500, None)):
        x = da.random.default_rng(0).random((rows, k), chunks=(chunk, k)).astype(np.float32)
        y = (x[:, 0] > 0.5).astype(np.int64)
        tracemalloc.start()
        dask.compute(x.blocks[0], y.blocks[0])  # what Dask itself needs for one block
        block = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        net = mlpkit.Sequential([Dense(k, 16, "relu"), Dense(16, 2, "softmax")], seed=0)
        tracemalloc.start()
        net.fit(x, y, epochs=1, batch_size=256, verbose=0, shuffle_buffer=buffer)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert net.steps_trained == -(-rows // 256)
        held = 4 * 2**20 if buffer else 64 * 2**20
        assert peak < block + 1.2 * held + 2**20, (chunk, buffer, peak, block)  # (and a batch)
    with pytest.raises(ValueError, match="shuffle_buffer 'lots' is not a size"):
        net.fit(x, y, shuffle_buffer="lots", verbose=0)
    with pytest.raises(ValueError, match="an array in memory is shuffled whole"):
        net.fit(np.zeros((4, k)), np.zeros(4, int), shuffle_buffer="4MiB", verbose=0)


def test_rows_mix_within_the_shuffle_buffer_and_come_once_an_epoch():
    from mlpkit.training.sources import DaskSource

    da = _da()
    n, k, block_rows, buffer_rows = 4_000, 3, 500, 1_000
    x = np.repeat(np.arange(n, dtype=np.float32)[:, None], k, axis=1)  # every cell its row

    def epoch(chunk, seed):
        source = DaskSource(da.from_array(x, chunks=(chunk, k)), np.arange(n), None, k,
                            np.dtype(np.float32), lambda yb, rows: np.asarray(yb),
                            shuffle_buffer=buffer_rows * k * 4)  # fmt: skip
        source.begin_epoch(None if seed is None else np.random.default_rng(seed))
        batches = []
        for xb, tb, _, _, _ in source.batches(100):
            np.testing.assert_array_equal(xb[:, 0], tb)  # each row with its own target
            batches.append(tb.copy())
        return batches

    batches = epoch(block_rows, 0)
    assert sorted(np.concatenate(batches).tolist()) == list(range(n))  # every row once
    blocks = [len(set((b // block_rows).tolist())) for b in batches]
    assert max(blocks) == 2 and np.mean(np.array(blocks) == 2) > 0.9  # two blocks mix in a batch
    assert all(np.any(np.diff(b) < 0) for b in batches)  # and not in the file's order
    for lo in range(0, n, buffer_rows):  # a buffer's rows: from two blocks, whichever ones
        assert (
            len(set((np.concatenate(batches)[lo : lo + buffer_rows] // block_rows).tolist())) == 2
        )
    assert [b.tolist() for b in epoch(block_rows, 0)] == [b.tolist() for b in batches]  # seeded
    assert [b.tolist() for b in epoch(block_rows, 1)] != [b.tolist() for b in batches]
    # one block larger than the buffer fills it four times, each from all over the block
    whole = epoch(n, 0)
    first = np.concatenate(whole[:10])
    assert first.max() - first.min() > 0.9 * n and len(set(first.tolist())) == buffer_rows
    # unshuffled, the rows come in their order
    assert np.concatenate(epoch(block_rows, None)).tolist() == list(range(n))


def test_a_bad_block_names_its_rows_before_any_update_from_it():
    da = _da()
    x, y = _data()
    x[400, 2] = np.nan  # in the fifth block of 97 rows: rows 388..484
    xd, yd = da.from_array(x, chunks=(97, 5)), da.from_array(y, chunks=97)
    net = _net()
    with pytest.raises(
        ValueError, match=r"rows 388\.\.484 of the Dask X: X contains nan at row 12, column 2"
    ):
        # (a buffer of 64 rows: full ones are trained on as the blocks are read)
        net.fit(
            xd, yd, epochs=1, batch_size=32, shuffle=False, verbose=0, shuffle_buffer=64 * 5 * 8
        )
    assert net.steps_trained == 388 // 32  # the batches before that block, none from it
    with pytest.raises(ValueError, match="X has 4 features; the model expects 5"):
        _net().fit(xd[:, :4], yd, verbose=0)
    with pytest.raises(ValueError, match="validation_split is not supported with a Dask X yet"):
        _net().fit(da.from_array(_data()[0], chunks=100), yd, validation_split=0.2, verbose=0)


def test_memmaps_train_in_place_and_predict_into_a_memmap(tmp_path):
    x, y = _data(2000)
    np.save(tmp_path / "x.npy", x)
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")
    a, b = _net(), _net()
    a.fit(mapped, y, epochs=2, batch_size=64, verbose=0)
    b.fit(x, y, epochs=2, batch_size=64, verbose=0)
    for p, q in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(p, q)
    out = np.lib.format.open_memmap(
        tmp_path / "p.npy", mode="w+", dtype=np.float64, shape=(2000, 2)
    )
    assert a.predict(mapped, batch_size=300, out=out) is out
    out.flush()
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), b.predict(x))
    with pytest.raises(ValueError, match=r"out has shape \(5, 2\), expected \(2000, 2\)"):
        a.predict(mapped, out=np.empty((5, 2)))


def test_grid_search_on_a_local_dask_cluster_matches_one_process():
    require("sklearn", "pip install 'mlpkit[sklearn]'")
    distributed = require("distributed", "pip install 'mlpkit[dask]'")
    import joblib
    from sklearn.model_selection import GridSearchCV

    from mlpkit.sklearn import MLPClassifier

    x, y = _data(300)
    grid = {"hidden_layer_sizes": [(4,), (16,)], "alpha": [1e-4, 1e-1]}

    def search():
        est = MLPClassifier(max_iter=30, random_state=0)
        return GridSearchCV(est, grid, cv=3).fit(x, y).cv_results_

    serial = search()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:  # fmt: skip
        with distributed.Client(cluster), joblib.parallel_backend("dask"):
            remote = search()
    np.testing.assert_array_equal(remote["mean_test_score"], serial["mean_test_score"])
    assert [str(p) for p in remote["params"]] == [str(p) for p in serial["params"]]


def test_the_scikit_learn_wrappers_take_dask_arrays():
    require("sklearn", "pip install 'mlpkit[sklearn]'")
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from mlpkit.sklearn import MLPClassifier, MLPRegressor

    da = _da()
    x, y = _data(600, 4)
    xd = da.from_array(x, chunks=(100, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPClassifier((8,), max_iter=20, random_state=0, shuffle=False).fit(xd, y)
        theirs = MLPClassifier((8,), max_iter=20, random_state=0, shuffle=False).fit(x, y)
        for a, b in zip(ours.coefs_, theirs.coefs_, strict=True):
            np.testing.assert_array_equal(a, b)  # the same steps, streamed
        labels, proba = ours.predict(xd), ours.predict_proba(xd)
        assert type(labels).__module__.startswith("dask") and type(proba).__module__.startswith(
            "dask"
        )
        np.testing.assert_array_equal(labels.compute(), theirs.predict(x))
        ours.partial_fit(xd, y)
        assert ours.n_iter_ == 1
        reg = MLPRegressor(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(xd, x[:, 0])
        assert reg.predict(xd).compute().shape == (600,)
    with pytest.raises(
        ValueError, match="a Dask X trains with solver='adam' or 'sgd' and early_stopping=False"
    ):
        MLPClassifier(solver="lbfgs").fit(xd, y)


def test_a_memmap_truncated_during_training_is_a_clear_error(tmp_path):
    x, y = _data(2000)
    np.save(tmp_path / "x.npy", x)
    mapped = np.load(tmp_path / "x.npy", mmap_mode="r")

    class Truncate(mlpkit.Callback):
        def on_epoch_end(self, epoch, logs=None):
            with open(tmp_path / "x.npy", "r+b") as f:
                f.truncate(1000)

    with pytest.raises(
        ValueError, match="the file behind the memmap X has shrunk to 1000 bytes while training"
    ):
        _net().fit(mapped, y, epochs=2, batch_size=100, callbacks=[Truncate()], verbose=0)


class _DieInAWorker(mlpkit.Callback):
    """Ends the Dask worker process it runs in (never the test process itself)."""

    def on_train_begin(self, logs=None):
        import os

        import distributed

        try:
            distributed.get_worker()
        except ValueError:
            return  # not in a worker
        os._exit(1)


class _DieOnce(mlpkit.Callback):
    """Kills the Dask worker it runs in once: at the start of the first fit (``after=0``)
    or of the first fit after ``after`` fits have finished, counted across the worker
    processes in files under ``folder`` (the test's own temporary folder)."""

    def __init__(self, folder: str, after: int) -> None:
        self.folder, self.after = folder, after

    def on_train_begin(self, logs=None):
        import os

        import distributed

        try:
            distributed.get_worker()
        except ValueError:
            return  # not in a worker: the serial search
        done = len([n for n in os.listdir(self.folder) if n.startswith("done-")])
        if done >= self.after:
            try:  # the one kill: whoever creates the marker first
                fd = os.open(os.path.join(self.folder, "killed"), os.O_CREAT | os.O_EXCL)
            except FileExistsError:
                return
            os.close(fd)
            os._exit(1)

    def on_train_end(self, logs=None):
        import os
        import secrets

        open(os.path.join(self.folder, f"done-{secrets.token_hex(6)}"), "w").close()


def _search_with_a_kill(tmp_path, after, scatter):
    require("sklearn", "pip install 'mlpkit[sklearn]'")
    distributed = require("distributed", "pip install 'mlpkit[dask]'")
    import joblib
    from sklearn.model_selection import GridSearchCV

    from mlpkit.sklearn import MLPClassifier

    x, y = _data(200)
    grid = {"hidden_layer_sizes": [(4,), (8,)], "alpha": [1e-4, 1e-2]}

    def search(callbacks):
        est = MLPClassifier(max_iter=10, random_state=0, callbacks=callbacks)
        return GridSearchCV(est, grid, cv=3)

    serial = search(None).fit(x, y).cv_results_
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:  # fmt: skip
        with (
            distributed.Client(cluster),
            joblib.parallel_backend("dask", **({"scatter": [x, y]} if scatter else {})),
        ):
            remote = search([_DieOnce(str(tmp_path), after)])
            try:
                remote.fit(x, y)
            except Exception as exc:
                return serial, None, exc
    assert (tmp_path / "killed").exists()  # the kill happened
    return serial, remote.cv_results_, None


@pytest.mark.parametrize("after", [0, 6], ids=["early", "late"])
def test_a_worker_killed_in_a_search_gives_every_result_or_dasks_error(tmp_path, after):
    """What docs/scaling.md says: a worker killed mid-search (at the first fit, or after
    6 of the 12 have finished) either has its fits run again on the others — and the
    results are those of the search in one process — or fails the search with Dask's
    FutureCancelledError (joblib's Dask backend loses a batch whose worker died; which
    one happens is Dask's timing). Never a shorter or different cv_results_."""
    serial, remote, error = _search_with_a_kill(tmp_path, after, scatter=False)
    if error is None:
        np.testing.assert_array_equal(remote["mean_test_score"], serial["mean_test_score"])
    else:
        assert type(error).__name__ in ("FutureCancelledError", "KilledWorker"), repr(error)
        assert remote is None


def test_a_worker_killed_in_a_scattered_search_fails_it_with_dasks_error(tmp_path):
    """With joblib's scatter=[X, y] the data scattered to the workers goes with the
    killed one: the search fails at once with Dask's FutureCancelledError (said in
    docs/scaling.md) — never with a shorter cv_results_."""
    _, remote, error = _search_with_a_kill(tmp_path, 0, scatter=True)
    assert remote is None and error is not None
    assert type(error).__name__ in ("FutureCancelledError", "CancelledError", "KilledWorker"), repr(
        error
    )


def test_a_worker_that_dies_fails_the_search_with_dasks_error():
    require("sklearn", "pip install 'mlpkit[sklearn]'")
    distributed = require("distributed", "pip install 'mlpkit[dask]'")
    import joblib
    from sklearn.model_selection import GridSearchCV

    from mlpkit.sklearn import MLPClassifier

    x, y = _data(120)
    search = GridSearchCV(MLPClassifier(max_iter=5, callbacks=[_DieInAWorker()]),
                          {"alpha": [1e-4, 1e-2]}, cv=2)  # fmt: skip
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:  # fmt: skip
        with distributed.Client(cluster), joblib.parallel_backend("dask"):
            with pytest.raises(Exception) as failure:  # Dask retries, then gives up
                search.fit(x, y)
    # Dask's own error (KilledWorker, or the cancellation of the other tasks it causes)
    assert type(failure.value).__module__.split(".")[0] == "distributed", repr(failure.value)
    assert not hasattr(search, "cv_results_")  # no silently shorter results


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_device_rows_come_in_the_order_and_batches_host_rows_do(shuffle, weighted):
    """Another library's rows (array-api-strict here, as PyTorch's or CuPy's on a GPU)
    give each epoch the batches NumPy rows give from the same generator: the order drawn
    on the host, the rows, targets and weights gathered through it."""
    xp = require("array_api_strict", "pip install -r requirements/dev.lock (array-api-strict)")
    from mlpkit.training.sources import ArraySource, DeviceSource

    rng = np.random.default_rng(3)
    x = rng.normal(size=(11, 3)).astype(np.float32)
    t = rng.normal(size=(11, 2)).astype(np.float32)
    w = rng.random(11).astype(np.float32) if weighted else None
    host = ArraySource(x, t, w, 4, shuffle)
    device = DeviceSource(xp.asarray(x), xp.asarray(t), None if w is None else xp.asarray(w),
                          shuffle, None)  # fmt: skip
    assert device.n == 11
    for epoch in range(2):
        host.begin_epoch(np.random.default_rng(epoch))
        device.begin_epoch(np.random.default_rng(epoch))
        np.testing.assert_array_equal(np.asarray(device.targets), host.targets)
        got = [[None if a is None else np.asarray(a) for a in b[:3]] + list(b[3:])
               for b in device.batches(4)]  # fmt: skip
        want = [[None if a is None else np.array(a) for a in b[:3]] + list(b[3:])
                for b in host.batches(4)]  # fmt: skip
        assert [b[3:] for b in got] == [b[3:] for b in want] == [[0, 4], [4, 4], [8, 3]]
        for g, h in zip(got, want, strict=True):
            for a, b in zip(g[:3], h[:3], strict=True):
                assert (a is None) == (b is None)
                if a is not None:
                    np.testing.assert_array_equal(a, b)
    device.begin_epoch(None)  # no generator: the order stays
    np.testing.assert_array_equal(np.asarray(device.targets), host.targets)
