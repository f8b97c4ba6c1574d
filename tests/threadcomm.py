"""A communicator with mpi4py's interface whose ranks are threads of this process: the
collectives ``DataParallel`` uses (allgather, bcast, Bcast, Allreduce, Get_rank,
Get_size, Abort), so its logic runs in-process, where coverage and mutation testing see
it. The real ``mpiexec`` tests stay; this is their in-process twin."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np


class _World:
    def __init__(self, size: int) -> None:
        self.size = size
        self.barrier = threading.Barrier(size, timeout=60)
        self.slots: list[Any] = [None] * size


class ThreadComm:
    """Rank ``rank`` of a world of ``size`` threads (make them with :func:`run_ranks`)."""

    def __init__(self, world: _World, rank: int) -> None:
        self.world, self.rank = world, rank

    def Get_rank(self) -> int:
        return self.rank

    def Get_size(self) -> int:
        return self.world.size

    def _exchange(self, value: Any) -> list[Any]:
        w = self.world
        w.barrier.wait()
        w.slots[self.rank] = value
        w.barrier.wait()
        out = list(w.slots)
        w.barrier.wait()
        return out

    def allgather(self, value: Any) -> list[Any]:
        return self._exchange(value)

    def bcast(self, value: Any, root: int = 0) -> Any:
        return self._exchange(value)[root]

    def Bcast(self, array: np.ndarray, root: int = 0) -> None:
        array[...] = self._exchange(array.copy())[root]

    def Allreduce(self, sendbuf: Any, recvbuf: np.ndarray, op: Any = None) -> None:
        # (IN_PLACE: the buffer is both; summed in rank order, as a fixed reduction order)
        parts = self._exchange(recvbuf.copy())
        total = parts[0].copy()
        for part in parts[1:]:
            total += part
        recvbuf[...] = total

    def Abort(self, code: int = 1) -> None:
        raise RuntimeError(f"rank {self.rank} aborted with {code}")


def run_ranks(size: int, work: Callable[[ThreadComm], Any]) -> list[Any]:
    """Run ``work(comm)`` on ``size`` threads, one rank each; their results by rank (a
    rank's exception is re-raised here)."""
    world = _World(size)
    results: list[Any] = [None] * size
    failed: list[BaseException] = []  # in the order the ranks failed
    lock = threading.Lock()

    def main(rank: int) -> None:
        try:
            results[rank] = work(ThreadComm(world, rank))
        except BaseException as exc:
            with lock:
                failed.append(exc)
            world.barrier.abort()

    threads = [threading.Thread(target=main, args=(r,), daemon=True) for r in range(size)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    if failed:  # the rank that failed first, not the ones it left waiting
        raise failed[0]
    return results
