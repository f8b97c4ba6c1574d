"""A communicator with mpi4py's interface whose ranks are threads of this process: the
collectives ``DataParallel`` uses (allgather, bcast, Bcast, Allreduce, Get_rank,
Get_size, Abort), so its logic runs in-process, where coverage and mutation testing see
it. The real ``mpiexec`` tests stay; this is their in-process twin."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable
from typing import Any

import numpy as np


class _World:
    def __init__(self, size: int, machines: int = 1) -> None:
        self.size, self.machines = size, machines
        self.barrier = threading.Barrier(size, timeout=60)
        self.slots: list[Any] = [None] * size


_SUM = object()  # mpi4py's default op, MPI.SUM (mpi4py is imported when first used)


def _MPI() -> Any:
    from mpi4py import MPI

    return MPI


class _Machine:
    """What ``Split_type(COMM_TYPE_SHARED)`` gives: the ranks sharing this machine."""

    def __init__(self, size: int) -> None:
        self.size = size

    def Get_size(self) -> int:
        return self.size


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

    # mpi4py's lower-case collectives pickle what they send: each rank gets its own copy
    # (a reference to another rank's array would change under it when that rank goes on)
    def allgather(self, value: Any) -> list[Any]:
        return [pickle.loads(sent) for sent in self._exchange(pickle.dumps(value))]

    def bcast(self, value: Any, root: int = 0) -> Any:
        return pickle.loads(self._exchange(pickle.dumps(value))[root])

    def Bcast(self, array: np.ndarray, root: int = 0) -> None:
        array[...] = self._exchange(array.copy())[root]

    def Split_type(self, split_type: int, key: int = 0, info: Any = None) -> _Machine:
        """The ranks on this rank's machine (ranks laid over ``machines`` in blocks)."""
        if split_type != _MPI().COMM_TYPE_SHARED:
            raise ValueError(f"this stand-in splits by shared memory only, got {split_type!r}")
        w = self.world
        machine = self.rank * w.machines // w.size
        return _Machine(sum(r * w.machines // w.size == machine for r in range(w.size)))

    def Allreduce(self, sendbuf: Any, recvbuf: np.ndarray, op: Any = _SUM) -> None:
        """mpi4py's: ``sendbuf`` is ``MPI.IN_PLACE`` (the buffer is both) or an array;
        the sum over the ranks, in rank order (a fixed reduction order), into recvbuf."""
        mpi = _MPI()
        if op is _SUM:
            op = mpi.SUM
        if op != mpi.SUM:
            raise TypeError(f"this stand-in sums only (op=MPI.SUM), got op={op!r}")
        if sendbuf is mpi.IN_PLACE:
            sendbuf = recvbuf
        elif not isinstance(sendbuf, np.ndarray):
            raise TypeError(f"Allreduce needs MPI.IN_PLACE or an array to send, got {sendbuf!r}")
        parts = self._exchange(sendbuf.copy())
        total = parts[0].copy()
        for part in parts[1:]:
            total += part
        recvbuf[...] = total

    def Abort(self, code: int = 1) -> None:
        raise RuntimeError(f"rank {self.rank} aborted with {code}")


def run_ranks(size: int, work: Callable[[ThreadComm], Any], machines: int = 1) -> list[Any]:
    """Run ``work(comm)`` on ``size`` threads, one rank each, as if on ``machines``
    machines; their results by rank (a rank's exception is re-raised here)."""
    world = _World(size, machines)
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
