"""DataParallel's logic in-process: ranks as threads of one process on a communicator
stand-in with mpi4py's interface (tests/threadcomm.py). The same claims as the real
``mpiexec`` tests in test_distributed.py — P ranks train the weights one process trains
— where coverage and mutation testing can see them."""

from __future__ import annotations

import numpy as np
import pytest

import mlpkit
from mlpkit.distributed import DataParallel

from .conftest import require
from .threadcomm import run_ranks


@pytest.fixture(autouse=True)
def _plain_step():
    """Every fit here, the ranks' and the one process's, takes the plain step. Set once,
    in the test's thread: ``fast_paths`` is the process's, and ranks entering and leaving
    ``with fast_paths(...)`` in threads of their own would restore each other's values."""
    with mlpkit.fast_paths(False):
        yield
    assert mlpkit.fast_paths.enabled


@pytest.fixture(autouse=True)
def _blas_threads_restored():
    """A rank limits BLAS's threads for its process (its setting is kept); here the ranks
    share the test process, so the limit is undone after each test."""
    threadpoolctl = require("threadpoolctl", "pip install 'mlpkit[mpi]'")
    with threadpoolctl.threadpool_limits(limits=None):
        yield


def _data():
    return mlpkit.datasets.moons(120, seed=3)


def _net():
    return mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")],
                             dtype="float64", seed=0)  # fmt: skip


def _fit(strategy, x, y, **kwargs):
    net = _net()
    history = net.fit(x, y, epochs=3, batch_size=32, verbose=0, strategy=strategy,
                      optimizer=mlpkit.optimizers.SGD(lr=0.5), **kwargs)  # fmt: skip
    return net.get_weights(), history.history["loss"]


@pytest.mark.parametrize("sharded", [False, True])
def test_two_ranks_train_the_weights_one_process_trains(sharded):
    x, y = _data()
    alone, alone_loss = _fit(None, x, y)

    def rank(comm):
        strategy = DataParallel(sharded=sharded, comm=comm, blas_threads=1)
        if sharded:  # each rank passes its own rows: the first and second half
            half = len(x) // 2
            part = slice(0, half) if comm.Get_rank() == 0 else slice(half, None)
            return _fit(strategy, x[part], y[part], shuffle=False)
        return _fit(strategy, x, y)

    results = run_ranks(2, rank)
    for weights, losses in results:
        if sharded:  # sharded, unshuffled: compare with one process unshuffled
            alone, alone_loss = _fit(None, x, y, shuffle=False)
        for a, b in zip(weights, alone, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(losses, alone_loss, rtol=1e-10)
    np.testing.assert_array_equal(results[0][0][0], results[1][0][0])  # ranks agree bit for bit


def test_a_data_problem_on_one_rank_is_the_same_error_on_every_rank():
    x, y = _data()

    def rank(comm):
        strategy = DataParallel(sharded=True, comm=comm, blas_threads=1)
        bad = x.copy()
        if comm.Get_rank() == 1:
            bad[0, 0] = np.nan
        try:
            _fit(strategy, bad, y)
        except ValueError as error:
            return str(error)
        return None

    messages = run_ranks(2, rank)
    assert messages[0] is not None and messages[0] == messages[1]
    assert "rank 1" in messages[0]


def test_every_rank_counts_the_global_rows_and_its_share_of_a_batch():
    def rank(comm):
        strategy = DataParallel(sharded=True, comm=comm, blas_threads=1)
        n = strategy.count_rows(10 if comm.Get_rank() == 0 else 6)
        return n, strategy.shares(0, 8, n, shuffled=False)

    (n0, shares0), (n1, shares1) = run_ranks(2, rank)
    assert n0 == n1 == 16
    assert shares0 == shares1
    assert sum(stop - start for start, stop in shares0) == 8


def test_validation_and_train_metrics_are_one_process_numbers():
    x, y = _data()
    xv, yv = mlpkit.datasets.moons(37, seed=4)  # 37 rows: the ranks' shares differ by one
    kwargs = {"validation_data": (xv, yv), "metrics": ["accuracy"]}

    def history(strategy):
        net = _net()
        return net.fit(x, y, epochs=2, batch_size=32, verbose=0, strategy=strategy,
                       optimizer=mlpkit.optimizers.SGD(lr=0.5), **kwargs).history  # fmt: skip

    alone = history(None)
    for ranked in run_ranks(3, lambda comm: history(DataParallel(comm=comm, blas_threads=1))):
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            np.testing.assert_allclose(ranked[key], alone[key], rtol=1e-10, err_msg=key)


def test_every_rank_starts_from_rank_zeros_weights_and_generator():
    x, y = _data()
    alone, _ = _fit(None, x, y)

    def rank(comm):
        net = mlpkit.Sequential(
            [mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")],
            dtype="float64",
            seed=comm.Get_rank(),
        )  # another start on rank 1
        net.fit(x, y, epochs=3, batch_size=32, verbose=0, optimizer=mlpkit.optimizers.SGD(lr=0.5),
                strategy=DataParallel(comm=comm, blas_threads=1))  # fmt: skip
        return net.get_weights()

    for weights in run_ranks(2, rank):
        for a, b in zip(weights, alone, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_ranks_that_read_different_data_are_told_so_on_every_rank():
    def rank(comm):
        strategy = DataParallel(comm=comm, blas_threads=1)
        try:
            strategy.check_same(
                comm.Get_rank() == 0, "the preprocessing", f"rank {comm.Get_rank()}'s"
            )
        except ValueError as error:
            return str(error)
        return None

    first, second = run_ranks(2, rank)
    assert first == second and first.startswith("rank 1 of 2: the preprocessing differs")
    assert run_ranks(
        2, lambda comm: DataParallel(comm=comm, blas_threads=1).check_same(1, "x")
    ) == [None, None]


def test_an_error_inside_training_ends_every_rank(monkeypatch, capsys):
    """The failing rank says what went wrong and aborts the job (MPI_Abort), rather than
    leaving the others waiting in the next collective."""
    x, y = _data()

    def rank(comm):
        strategy = DataParallel(comm=comm, blas_threads=1)
        monkeypatch.setattr("mlpkit.distributed.time.sleep", lambda s: None)
        if comm.Get_rank() == 1:
            bad = mlpkit.callbacks.LearningRateScheduler(lambda epoch, lr: 1 / 0)
            return _fit(strategy, x, y, callbacks=[bad])
        return _fit(strategy, x, y)

    with pytest.raises(RuntimeError, match="rank 1 aborted"):
        run_ranks(2, rank)
    assert "rank 1 of 2: ZeroDivisionError" in capsys.readouterr().err


@pytest.mark.parametrize(
    "variable", ["PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "PMIX_SIZE"]
)
def test_the_launchers_size_is_read_from_its_environment(variable, monkeypatch):
    from mlpkit.distributed import world_size

    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "PMIX_SIZE"):
        monkeypatch.delenv(name, raising=False)
    assert world_size() == 1
    monkeypatch.setenv(variable, "4")
    assert world_size() == 4
    monkeypatch.setenv(variable, "four")
    assert world_size() == 1


def test_each_rank_takes_its_contiguous_share_of_the_validation_rows():
    shares = run_ranks(3, lambda comm: DataParallel(comm=comm, blas_threads=1).validation_share(10))
    assert [(s.start, s.stop) for s in shares] == [(0, 4), (4, 7), (7, 10)]


def test_a_rank_says_how_many_blas_threads_it_took():
    notes = run_ranks(2, lambda comm: (DataParallel(comm=comm).threads_note,
                                       DataParallel(comm=comm, blas_threads=1).threads_note))  # fmt: skip
    auto, asked = notes[0]
    assert notes[0] == notes[1]
    assert auto.startswith("2 ranks on this machine's") and "BLAS thread(s) each" in auto
    assert asked == "1 BLAS thread(s) each (blas_threads=1)"


def test_one_process_is_rank_zero_of_one_and_says_nothing_about_threads():
    strategy = DataParallel()
    assert (strategy.rank, strategy.size, strategy.is_chief, strategy.threads_note) == (
        0,
        1,
        True,
        "",
    )
    assert repr(strategy) == "DataParallel(sharded=False, rank=0, size=1)"
    assert repr(DataParallel(sharded=True)) == "DataParallel(sharded=True, rank=0, size=1)"


def test_the_disagreement_message_names_both_ranks_values():
    def rank(comm, shown=True):
        strategy = DataParallel(comm=comm, blas_threads=1)
        try:
            words = f"{comm.Get_rank() + 3} columns" if shown else ""
            strategy.check_same(comm.Get_rank() + 3, "the width", words)
        except ValueError as error:
            return str(error)
        return None

    with_words = run_ranks(3, rank)
    assert with_words[0] == (
        "rank 1 of 3: the width differs from rank 0's (4 columns against 3 columns's); "
        "every rank must read the same data"
    )
    assert len(set(with_words)) == 1
    plain = run_ranks(2, lambda comm: rank(comm, shown=False))
    assert plain[0] == (
        "rank 1 of 2: the width differs from rank 0's (other against rank 0's); "
        "every rank must read the same data"
    )


def test_a_resumed_fit_continues_from_rank_zeros_optimizer_state():
    """Ranks that trained apart before (another optimizer state on rank 1) train in step
    from rank 0's state: the weights one process gets resuming rank 0's model."""
    x, y = _data()
    xa, ya = mlpkit.datasets.moons(60, seed=9)

    def train(strategy, before_x, before_y):
        net = _net()
        net.fit(before_x, before_y, epochs=2, batch_size=16, verbose=0,
                optimizer=mlpkit.optimizers.Adam(lr=0.01))  # fmt: skip
        net.fit(x, y, epochs=2, batch_size=32, verbose=0, strategy=strategy)
        return net.get_weights()

    alone = train(None, xa, ya)

    def rank(comm):
        before = (xa, ya) if comm.Get_rank() == 0 else (x[:60], y[:60])
        return train(DataParallel(comm=comm, blas_threads=1), *before)

    for weights in run_ranks(2, rank):
        for a, b in zip(weights, alone, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
