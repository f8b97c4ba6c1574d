"""DataParallel's logic in-process: ranks as threads of one process on a communicator
stand-in with mpi4py's interface (tests/threadcomm.py). The same claims as the real
``mpiexec`` tests in test_distributed.py — P ranks train the weights one process trains
— where coverage and mutation testing can see them."""

from __future__ import annotations

import numpy as np
import pytest

import mlpkit
from mlpkit.distributed import DataParallel

from .threadcomm import run_ranks


def _data():
    return mlpkit.datasets.moons(120, seed=3)


def _net():
    return mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")],
                             dtype="float64", seed=0)  # fmt: skip


def _fit(strategy, x, y, **kwargs):
    net = _net()
    with mlpkit.fast_paths(False):  # the plain step: every rank alike
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
