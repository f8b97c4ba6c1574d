"""DataParallel's logic in-process: ranks as threads of one process on a communicator
stand-in with mpi4py's interface (tests/threadcomm.py). The same claims as the real
``mpiexec`` tests in test_distributed.py — P ranks train the weights one process trains
— where coverage and mutation testing can see them."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

import mlpkit
from mlpkit.distributed import DataParallel, blas_threads_for

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
def _no_thread_variables(monkeypatch):
    """The ranks decide their BLAS threads from the environment: these tests start from
    one where the user set none (a test that wants one sets it)."""
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)


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


def test_ranks_count_only_the_ranks_on_their_own_machine_for_blas_threads(monkeypatch):
    """Four ranks on two machines: two share each machine's cores (the communicator split
    by shared memory), so each takes cores ÷ 2 BLAS threads."""
    monkeypatch.setattr("mlpkit.distributed._cores", lambda: 8)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    notes = run_ranks(4, lambda comm: DataParallel(comm=comm).threads_note, machines=2)
    assert set(notes) == {
        "2 ranks on this machine's 8 cores: 4 BLAS thread(s) each "
        "(DataParallel(blas_threads=N) or OPENBLAS_NUM_THREADS to change)"
    }


def test_the_threads_a_rank_takes_are_blas_s_thread_count_afterwards():
    threadpoolctl = require("threadpoolctl", "pip install 'mlpkit[mpi]'")

    def blas_threads() -> set[int]:
        return {
            p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"
        }

    assert blas_threads(), "threadpoolctl sees no BLAS library (NumPy's wheels bundle OpenBLAS)"
    others = [p for p in threadpoolctl.threadpool_info() if p["user_api"] != "blas"]
    run_ranks(2, lambda comm: DataParallel(comm=comm, blas_threads=1))
    assert blas_threads() == {1}
    # only BLAS is limited: an OpenMP pool (PyTorch's, say) keeps its threads
    after = {p["filepath"]: p["num_threads"] for p in threadpoolctl.threadpool_info()}
    assert all(after[p["filepath"]] == p["num_threads"] for p in others)


def test_without_threadpoolctl_a_rank_says_blas_is_left_alone(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    notes = run_ranks(2, lambda comm: DataParallel(comm=comm, blas_threads=1).threads_note)
    assert notes == ["BLAS threads left alone: pip install threadpoolctl (in 'mlpkit[mpi]') "
                     "to limit them"] * 2  # fmt: skip


def test_a_user_s_thread_variable_is_left_to_decide(monkeypatch):
    threadpoolctl = require("threadpoolctl", "pip install 'mlpkit[mpi]'")
    before = {p["filepath"]: p["num_threads"] for p in threadpoolctl.threadpool_info()}
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    notes = run_ranks(2, lambda comm: DataParallel(comm=comm).threads_note)
    assert notes == ["BLAS threads as OMP_NUM_THREADS=2 sets them"] * 2
    after = {p["filepath"]: p["num_threads"] for p in threadpoolctl.threadpool_info()}
    assert after == before


@pytest.mark.parametrize(
    ("cores", "local", "expected"), [(4, 1, 4), (4, 0, 4), (4, 3, 1), (2, 8, 1), (8, 2, 4)]
)
def test_blas_threads_are_the_cores_shared_out_and_never_zero(cores, local, expected):
    threads, why = blas_threads_for(cores, local, {}, "auto")
    assert threads == expected
    assert f"{threads} BLAS thread(s) each" in why


@pytest.mark.parametrize("asked", [0, -1, True, "many", 2.0, None])
def test_blas_threads_must_be_auto_or_a_positive_integer(asked):
    with pytest.raises(ValueError, match=r"blas_threads must be 'auto' or an integer >= 1, got"):
        blas_threads_for(2, 2, {}, asked)


def test_the_core_count_falls_back_to_the_cpu_count_then_one(monkeypatch):
    from mlpkit.distributed import _cores

    def no_affinity(pid):
        raise OSError("not on this system")

    monkeypatch.setattr("os.sched_getaffinity", no_affinity, raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 3)
    assert _cores() == 3
    monkeypatch.setattr("os.cpu_count", lambda: None)
    assert _cores() == 1


def _no_mpi(monkeypatch):
    """As in a process not started by mpiexec, with mpi4py never imported."""
    for name in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "PMIX_SIZE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delitem(sys.modules, "mpi4py", raising=False)


def test_one_process_without_mpi4py_needs_no_communicator(monkeypatch):
    _no_mpi(monkeypatch)
    monkeypatch.setenv("PMI_SIZE", "1")  # a launcher's world of one is one process too
    strategy = DataParallel(sharded=True)
    assert strategy.comm is None
    assert (strategy.rank, strategy.size, strategy.is_chief) == (0, 1, True)
    x, y = _data()
    assert _fit(strategy, x, y)[1] == _fit(None, x, y)[1]


def test_under_a_launcher_the_world_communicator_is_taken(monkeypatch):
    require("mpi4py", "pip install 'mlpkit[mpi]'")
    from mpi4py import MPI

    _no_mpi(monkeypatch)
    monkeypatch.setenv("PMI_SIZE", "2")  # (the world here is this one process)
    assert DataParallel().comm is MPI.COMM_WORLD


def test_once_mpi4py_is_imported_the_world_communicator_is_taken(monkeypatch):
    mpi4py = require("mpi4py", "pip install 'mlpkit[mpi]'")
    from mpi4py import MPI

    _no_mpi(monkeypatch)
    monkeypatch.setitem(sys.modules, "mpi4py", mpi4py)  # imported, no launcher
    assert DataParallel().comm is MPI.COMM_WORLD


def test_under_a_launcher_without_mpi4py_the_error_names_the_extra(monkeypatch):
    _no_mpi(monkeypatch)
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", None)  # as if not installed
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    with pytest.raises(ImportError) as caught:
        DataParallel()
    assert str(caught.value) == "data-parallel training needs mpi4py.MPI: pip install 'mlpkit[mpi]'"


def test_a_data_problem_names_its_kind_and_the_rank():
    def rank(comm):
        def prepare():
            if comm.Get_rank() == 1:
                raise TypeError("y is a string")
            return "ready"

        try:
            return DataParallel(comm=comm, blas_threads=1).agree(prepare)
        except ValueError as error:
            return str(error)

    assert run_ranks(2, rank) == ["rank 1 of 2: TypeError: y is a string"] * 2


def test_the_disagreement_message_without_words_says_other():
    messages = run_ranks(2, lambda comm: _check_same_message(comm))
    assert messages == ["rank 1 of 2: the width differs from rank 0's (other against "
                        "rank 0's); every rank must read the same data"] * 2  # fmt: skip


def _check_same_message(comm):
    try:
        DataParallel(comm=comm, blas_threads=1).check_same(comm.Get_rank(), "the width")
    except ValueError as error:
        return str(error)
    return None


def test_a_sharded_shuffled_batch_is_split_in_proportion_to_each_rank_s_rows():
    def rank(comm):
        strategy = DataParallel(sharded=True, comm=comm, blas_threads=1)
        n = strategy.count_rows(30 if comm.Get_rank() == 0 else 10)
        return [strategy.shares(lo, lo + 8, n, shuffled=True) for lo in (0, 8, 32)]

    first, second = run_ranks(2, rank)
    assert first == second == [[(0, 6), (0, 2)], [(6, 12), (2, 4)], [(24, 30), (8, 10)]]
    assert all(type(i) is int for share in first for pair in share for i in pair)


def test_a_sharded_batch_in_order_is_laid_over_the_ranks_rows_end_to_end():
    """Three ranks of 4 rows: global batch k is rows 3k ... 3k + 2 of the ranks' rows laid
    end to end, as one process would see them."""

    def rank(comm):
        strategy = DataParallel(sharded=True, comm=comm, blas_threads=1)
        n = strategy.count_rows(4)
        return [strategy.shares(lo, lo + 3, n, shuffled=False) for lo in (0, 3, 6, 9)]

    shares = run_ranks(3, rank)
    assert shares[0] == shares[1] == shares[2]
    for k, batch in enumerate(shares[0]):
        rows = [4 * r + i for r, (a, b) in enumerate(batch) for i in range(a, b)]
        assert rows == [3 * k, 3 * k + 1, 3 * k + 2], (k, batch)


def test_sharded_training_without_rows_of_a_batch_on_a_rank_gives_one_process_metrics():
    """Rank 1's 24 rows are all after rank 0's 96: in order, the first batches are rank
    0's alone; the train accuracy still counts every row once, as one process does."""
    x, y = _data()
    kwargs = {"metrics": ["accuracy"], "shuffle": False}
    alone = _net().fit(x, y, epochs=2, batch_size=32, verbose=0,
                       optimizer=mlpkit.optimizers.SGD(lr=0.5), **kwargs).history  # fmt: skip

    def rank(comm):
        rows = slice(0, 96) if comm.Get_rank() == 0 else slice(96, 120)
        return _net().fit(x[rows], y[rows], epochs=2, batch_size=32, verbose=0,
                          optimizer=mlpkit.optimizers.SGD(lr=0.5),
                          strategy=DataParallel(sharded=True, comm=comm, blas_threads=1),
                          **kwargs).history  # fmt: skip

    for ranked in run_ranks(2, rank):
        for key in ("loss", "accuracy"):
            np.testing.assert_allclose(ranked[key], alone[key], rtol=1e-10, err_msg=key)


@pytest.mark.parametrize("sharded", [False, True])
def test_sample_weights_weigh_every_rank_s_rows_as_in_one_process(sharded):
    x, y = _data()
    w = np.linspace(0.1, 2.0, len(y))
    alone, alone_loss = _fit(None, x, y, sample_weight=w, shuffle=False)

    def rank(comm):
        rows = (
            slice(None) if not sharded else slice(0, 60) if comm.Get_rank() == 0 else slice(60, 120)
        )
        strategy = DataParallel(sharded=sharded, comm=comm, blas_threads=1)
        return _fit(strategy, x[rows], y[rows], sample_weight=w[rows], shuffle=False)

    for weights, loss in run_ranks(2, rank):
        np.testing.assert_allclose(loss, alone_loss, rtol=1e-10)
        for a, b in zip(weights, alone, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_sharded_shuffled_training_is_reproducible_from_the_seed():
    x, y = _data()

    def rank(comm):
        rows = slice(0, 70) if comm.Get_rank() == 0 else slice(70, 120)
        return _fit(DataParallel(sharded=True, comm=comm, blas_threads=1), x[rows], y[rows])

    first, again = run_ranks(2, rank), run_ranks(2, rank)
    for (wa, la), (wb, lb) in zip(first, again, strict=True):
        assert la == lb
        for a, b in zip(wa, wb, strict=True):
            np.testing.assert_array_equal(a, b)
    assert first[0][1] == first[1][1]  # (the ranks agree: one model)


def test_rows_that_are_not_in_memory_cannot_be_shared_out():
    """fit refuses a Dask X under a strategy first (test_distributed.py); a source read in
    blocks (not by position) given to the strategy itself is refused too."""
    streamed = types.SimpleNamespace(positional=False)
    with pytest.raises(
        ValueError, match="^data-parallel training needs the rows in memory on each rank$"
    ):
        next(DataParallel().batches(streamed, 8))


def test_the_failing_rank_waits_a_moment_then_aborts_with_code_one(monkeypatch, capsys):
    waits = []
    monkeypatch.setattr("mlpkit.distributed.time.sleep", waits.append)

    def rank(comm):
        if comm.Get_rank() == 1:
            DataParallel(comm=comm, blas_threads=1).abort(KeyError("lost"))
        return comm.Get_rank()

    with pytest.raises(RuntimeError, match="rank 1 aborted with 1$"):
        run_ranks(2, rank)
    assert len(waits) == 1 and 0 < waits[0] < 1  # (for mpiexec to forward the line)
    assert capsys.readouterr().err == "mlpkit: rank 1 of 2: KeyError: 'lost'\n"


def test_each_rank_s_stream_depends_on_the_whole_model_seed():
    """Forty seeds give forty different per-rank streams (the seed's entropy is kept, not
    folded into a few values), and the two ranks of one seed differ."""
    strategy = DataParallel()
    first = {int(strategy.local_rng(_net_seeded(s)).integers(2**62)) for s in range(40)}
    assert len(first) == 40
    pair = run_ranks(2, lambda comm: DataParallel(comm=comm, blas_threads=1).local_rng(
        _net_seeded(7)).integers(2**62))  # fmt: skip
    assert pair[0] != pair[1]


def _net_seeded(seed):
    return mlpkit.Sequential([mlpkit.Dense(2, 2)], seed=seed)


class _Recording(DataParallel):
    """DataParallel that records how many rows this rank steps on in each batch."""

    def reduced(self, step, pack):
        run = super().reduced(step, pack)
        self.rows = []

        def recorded(x, t, w):
            self.rows.append(x.shape[0])
            return run(x, t, w)

        return recorded


def test_a_shuffled_sharded_fit_steps_on_each_rank_s_proportional_share():
    """70 and 50 rows, global batches of 24: every batch takes 14 rows of rank 0's and 10
    of rank 1's (in order, the first batches would be rank 0's alone)."""
    x, y = _data()

    def rank(comm):
        rows = slice(0, 70) if comm.Get_rank() == 0 else slice(70, 120)
        strategy = _Recording(sharded=True, comm=comm, blas_threads=1)
        _net().fit(x[rows], y[rows], epochs=1, batch_size=24, verbose=0, strategy=strategy)
        return strategy.rows

    assert run_ranks(2, rank) == [[14] * 5, [10] * 5]
