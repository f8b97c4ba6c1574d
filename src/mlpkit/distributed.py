"""Data-parallel training on MPI: the pattern of Horovod and PyTorch's DDP.

``net.fit(X, y, ..., strategy=DataParallel())`` in a script started by
``mpiexec -n P python train.py``: every rank (process) holds the whole model;

1. at the start rank 0's parameters, optimizer state and random generator are
   broadcast, so every rank starts from the same point;
2. every global batch of ``batch_size`` rows is split across the ranks (rank r takes
   its share of the batch; remainders spread, so uneven splits are exact);
3. each rank backpropagates its rows; its gradient, scaled by its rows / the batch's
   rows, and its loss likewise, go into ONE Allreduce (sum) of the packed gradient
   vector, which gives every rank the gradient of the global batch's mean loss —
   regularisation included exactly once, since the scales sum to 1;
4. every rank runs the same optimizer step (clipping included) on the same numbers.

So ``batch_size`` is the global batch, and P processes compute what one process with
the same settings computes, up to the order of floating-point sums. The History, and so
every callback's decision (early stopping, schedules), is the same on every rank; saving
(``mlpkit.save``, ``model.save``, ModelCheckpoint) and progress output happen on rank 0
only. Dropout draws differ across ranks (each draws for its own rows), and BatchNorm
normalises each rank's share of the batch by its own statistics (no synchronised
BatchNorm), so those two are not equal to one process.

``DataParallel(sharded=True)``: each rank passes only its own rows (data larger than
one machine's memory). The epoch's steps come from the global row count; without
shuffling, global batch k is rows k·B ... (k+1)·B − 1 of the ranks' data laid end to end
in rank order, exactly as one process would see it; with shuffling each rank permutes
its own rows (a per-rank stream of the model's seed) and gives each global batch a
share proportional to its row count — a mix across ranks, not one global permutation.

Faults: data problems found before training are agreed on, so every rank raises the
same ValueError; an exception on one rank during training prints its message and calls
``MPI_Abort``, which ends every rank (``mpiexec`` exits non-zero) instead of leaving
them waiting in the next Allreduce.

BLAS threads: P ranks on one machine each running a multi-threaded BLAS oversubscribe
its cores (on a loaded 2-core machine ``mpiexec -n 2`` was slower than one process in
every paired run). So, as Horovod's docs advise, each rank limits its BLAS to
cores ÷ (ranks on this machine) threads (at least 1) — unless the user chose: an
``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS`` / ``MKL_NUM_THREADS`` in the environment,
or ``DataParallel(blas_threads=N)``. A verbose fit says so on its first line. (It needs
threadpoolctl, part of the ``mpi`` extra.)

Without mpi4py, or in a single process, ``DataParallel()`` is plain ``fit`` (same bits).
Needs the ``mpi`` extra: ``pip install 'mlpkit[mpi]'`` (mpi4py and the MPICH wheel, which
brings ``mpiexec``).
"""

from __future__ import annotations

import itertools
import os
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ._validation import optional

__all__ = ["DataParallel", "world_size"]

#: environment variables in which the common MPI launchers give the world size
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "PMIX_SIZE")
#: environment variables by which a user sets BLAS's thread count themselves
_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def blas_threads_for(cores: int, local_ranks: int, environ: dict[str, str],
                     asked: int | str) -> tuple[int | None, str]:  # fmt: skip
    """(the BLAS threads a rank should use, or None to leave BLAS alone; why), for
    ``local_ranks`` ranks sharing ``cores`` cores."""
    if asked != "auto":
        if isinstance(asked, bool) or not isinstance(asked, int) or asked < 1:
            raise ValueError(f"blas_threads must be 'auto' or an integer >= 1, got {asked!r}")
        return asked, f"{asked} BLAS thread(s) each (blas_threads={asked})"
    for name in _THREAD_VARIABLES:
        if environ.get(name, "").strip():
            return None, f"BLAS threads as {name}={environ[name]} sets them"
    threads = max(1, cores // max(1, local_ranks))
    return threads, (
        f"{local_ranks} ranks on this machine's {cores} cores: {threads} BLAS thread(s) each "
        "(DataParallel(blas_threads=N) or OPENBLAS_NUM_THREADS to change)"
    )


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def world_size() -> int:
    """How many processes the MPI launcher started, read from its environment.

    MPI is not imported.

    Returns
    -------
    int
        1 when not under ``mpiexec``.

    Examples
    --------
    >>> from mlpkit.distributed import world_size
    >>> world_size()
    1
    """
    for name in _SIZE_VARIABLES:
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    return 1


def _mpi() -> Any:
    return optional("mpi4py.MPI", "data-parallel training", "mpi")


class DataParallel:
    """Train one model in step across the ranks of an MPI communicator.

    Parameters
    ----------
    sharded : each rank passes only its own rows (see the module docstring); the default
        False means every rank passes the same full data.
    comm : an mpi4py communicator (default: ``MPI.COMM_WORLD``; in a single process
        without mpi4py, none is needed).
    blas_threads : BLAS threads per rank: "auto" (cores ÷ ranks on this machine, unless
        an ``*_NUM_THREADS`` variable is set; see the module docstring) or a number.

    Examples
    --------
    >>> import mlpkit
    >>> from mlpkit.distributed import DataParallel
    >>> X, y = mlpkit.datasets.load_digits()
    >>> net = mlpkit.Sequential([mlpkit.Dense(64, 32, "relu"), mlpkit.Dense(32, 10, "softmax")], seed=0)
    >>> history = net.fit(X, y, epochs=1, batch_size=256, strategy=DataParallel(), verbose=0)  # doctest: +SKIP
    """

    def __init__(self, sharded: bool = False, comm: Any = None,
                 blas_threads: int | str = "auto") -> None:  # fmt: skip
        self.sharded = bool(sharded)
        if comm is None and (world_size() > 1 or "mpi4py" in sys.modules):
            comm = _mpi().COMM_WORLD
        self.comm = comm
        self.rank = 0 if comm is None else int(comm.Get_rank())
        self.size = 1 if comm is None else int(comm.Get_size())
        #: what was done about BLAS threads (said by a verbose fit), "" in one process
        self.threads_note = ""
        if self.size > 1:
            self.threads_note = self._limit_blas(blas_threads)
        self._counts: list[int] = []
        #: the global rows of this fit (``count_rows``) and of the current global batch
        self.n_global = 0
        self._size = 1

    def _limit_blas(self, asked: int | str) -> str:
        local = self._local_ranks()
        threads, why = blas_threads_for(_cores(), local, dict(os.environ), asked)
        if threads is None:
            return why
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            return "BLAS threads left alone: pip install threadpoolctl (in 'mlpkit[mpi]') to limit them"
        self._limits = threadpool_limits(threads, user_api="blas")  # kept: the rank's setting
        return why

    def _local_ranks(self) -> int:
        """Ranks on this machine (the communicator split by shared memory)."""
        try:
            mpi = _mpi()
            return int(self.comm.Split_type(mpi.COMM_TYPE_SHARED).Get_size())
        except Exception:  # a communicator stand-in without Split_type
            return self.size

    def __repr__(self) -> str:
        return f"DataParallel(sharded={self.sharded}, rank={self.rank}, size={self.size})"

    def __deepcopy__(self, memo: dict[int, Any]) -> DataParallel:
        return self  # a copied model trains on the same communicator

    @property
    def is_chief(self) -> bool:
        """Rank 0: the one that prints and writes files."""
        return self.rank == 0

    # -- agreeing before training ------------------------------------------------------
    def agree(self, prepare: Callable[[], Any]) -> Any:
        """Run ``prepare`` on every rank; if it raises on any, raise the same error on all.

        No rank is left waiting; the error names the rank.

        Parameters
        ----------
        prepare : callable
            A function of no arguments.

        Returns
        -------
        object
            What ``prepare`` returned on this rank.

        Raises
        ------
        ValueError
            What ``prepare`` raised on some rank.
        """
        error = None
        try:
            result = prepare()
        except (ValueError, TypeError) as exc:
            error, result = f"{type(exc).__name__}: {exc}", None
        errors = self.comm.allgather(error)
        for rank, message in enumerate(errors):
            if message is not None:
                raise ValueError(f"rank {rank} of {self.size}: {message}")
        return result

    def check_same(self, value: Any, what: str, shown: str = "") -> None:
        """Raise the same ValueError on every rank unless every rank computed the same value.

        Parameters
        ----------
        value : object
            This rank's value.
        what : str
            What it is, for the message.
        shown : str, optional
            This rank's value in a few words.

        Raises
        ------
        ValueError
            The ranks disagree.
        """
        values = self.comm.allgather((value, shown))
        first = values[0][0]
        for rank, (other, words) in enumerate(values):
            if other != first:
                raise ValueError(
                    f"rank {rank} of {self.size}: {what} differs from rank 0's ({words or 'other'}"
                    f" against {values[0][1] or 'rank 0'}'s); every rank must read the same data"
                )

    def start(self, model: Any) -> None:
        """Broadcast rank 0's parameters, buffers, optimizer state and generator.

        Parameters
        ----------
        model : Sequential
            The model, on every rank.
        """
        for array in (*model.parameters(), *model.named_buffers().values()):
            self.comm.Bcast(array, root=0)
        state = self.comm.bcast(
            (
                model.rng.bit_generator.state,
                None if model.optimizer is None else model.optimizer.state_dict(),
            ),
            root=0,
        )
        model.rng.bit_generator.state = state[0]
        if state[1] is not None and self.rank != 0:
            model.optimizer.load_state_dict(state[1])

    def count_rows(self, n_local: int) -> int:
        """The global row count.

        Parameters
        ----------
        n_local : int
            This rank's rows.

        Returns
        -------
        int
            Sharded: the sum over ranks; else every rank's n.
        """
        self._counts = [int(c) for c in self.comm.allgather(int(n_local))] if self.sharded else []
        self.n_global = sum(self._counts) if self.sharded else int(n_local)
        return self.n_global

    def local_rng(self, model: Any) -> np.random.Generator:
        """A per-rank stream drawn from the model's shared generator.

        Parameters
        ----------
        model : Sequential
            The model.

        Returns
        -------
        numpy.random.Generator
            This rank's generator.
        """
        return np.random.default_rng([int(model.rng.integers(2**62)), self.rank])

    # -- one step ------------------------------------------------------------------------
    def shares(self, lo: int, hi: int, n_global: int, shuffled: bool) -> list[tuple[int, int]]:
        """Each rank's rows of the global batch [lo, hi), in its (shuffled) row order.

        Parameters
        ----------
        lo : int
            The batch's first global position.
        hi : int
            Its end.
        n_global : int
            The global row count.
        shuffled : bool
            Whether the order is shuffled.

        Returns
        -------
        list of (int, int)
            (start, stop) per rank.
        """
        if not self.sharded:  # a contiguous split of the batch, remainders spread
            base, extra = divmod(hi - lo, self.size)
            starts = [lo + r * base + min(r, extra) for r in range(self.size + 1)]
            return list(itertools.pairwise(starts))
        out, offset = [], 0
        for count in self._counts:
            if shuffled:  # a share proportional to the rank's rows
                out.append((lo * count // n_global, hi * count // n_global))
            else:  # the global block, laid over the ranks' rows end to end
                a, b = max(lo, offset) - offset, min(hi, offset + count) - offset
                out.append((a, max(a, b)))
            offset += count
        return out

    def batches(self, source: Any, batch_size: int) -> Iterator[tuple[Any, ...]]:
        """One epoch's global batches of ``batch_size`` rows, each as this rank's share.

        The step this fit runs (:meth:`reduced`) averages over the global rows.

        Parameters
        ----------
        source : BatchSource
            This rank's rows.
        batch_size : int
            The global batch size.

        Yields
        ------
        tuple
            This rank's rows, targets, weights, their first position in its order, and the
            global batch's row count.
        """
        if not source.positional:
            raise ValueError("data-parallel training needs the rows in memory on each rank")
        n = self.n_global
        for lo in range(0, n, batch_size):
            hi = min(n, lo + batch_size)
            shares = self.shares(lo, hi, n, source.order is not None)
            a, c = shares[self.rank]
            size = sum(stop - begin for begin, stop in shares)
            self._size = size
            yield (*source.rows(a, c), a, size)

    def reduced(self, step: Any, pack: Any) -> Callable[[Any, Any, Any], tuple[float, Any]]:
        """``step`` in step with the other ranks, through one Allreduce of the packed gradient.

        Each rank's loss and gradient, scaled by its share of the global batch, are summed,
        so every rank gets the global batch's mean loss and gradient; a rank with no rows of
        a batch adds nothing.

        Parameters
        ----------
        step : callable
            The training step, ``step(x, t, w) -> (loss, gradient)``.
        pack : ParameterPack
            The packed parameters and gradients.

        Returns
        -------
        callable
            The step every rank runs.
        """

        def run(x: Any, t: Any, w: Any) -> tuple[float, Any]:
            rows, size = x.shape[0], self._size
            z = None
            if rows:
                value, z = step(x, t, w)
                pack.grads *= rows / size
                pack.buffer[-1] = value * rows / size
            else:  # (regularisation comes from the others)
                pack.buffer[...] = 0.0
            self.reduce_(pack.buffer)
            return float(pack.buffer[-1]), z

        return run

    @property
    def global_rows(self) -> int:
        """The rows the current global batch averages over."""
        return self._size

    @global_rows.setter
    def global_rows(self, rows: int) -> None:
        self._size = int(rows)

    def epoch_outputs(self, preds: Any, targets: Any) -> tuple[Any, Any]:
        """The epoch's predictions and their targets, of all ranks (for the train metrics).

        Parameters
        ----------
        preds : ndarray
            This rank's predictions.
        targets : ndarray
            Their targets.

        Returns
        -------
        (ndarray, ndarray)
            Every rank's rows, in order.
        """
        if self.sharded:
            preds, targets = self.gather(preds, targets)
            return preds, targets
        self.reduce_(preds)
        return preds, targets

    def reduce_(self, buffer: np.ndarray) -> None:
        """Sum ``buffer`` over the ranks, in place (the one Allreduce of a step).

        Parameters
        ----------
        buffer : ndarray
            The packed gradient and loss slot.
        """
        self.comm.Allreduce(_mpi().IN_PLACE, buffer, op=_mpi().SUM)

    def gather(self, *arrays: np.ndarray) -> list[np.ndarray]:
        """Every rank's arrays concatenated in rank order, on every rank.

        Parameters
        ----------
        *arrays : ndarray
            This rank's arrays.

        Returns
        -------
        list of ndarray
            One concatenation per array.
        """
        pieces = self.comm.allgather(arrays)
        return [np.concatenate([p[i] for p in pieces]) for i in range(len(arrays))]

    def abort(self, exc: BaseException) -> None:
        """Say what went wrong on this rank and end every rank (MPI_Abort).

        Parameters
        ----------
        exc : BaseException
            The error.
        """
        print(f"mlpkit: rank {self.rank} of {self.size}: {type(exc).__name__}: {exc}",
              file=sys.stderr, flush=True)  # fmt: skip
        # mpiexec forwards each rank's stderr through its proxy; an immediate Abort can
        # kill the proxy before the line is forwarded (seen on a loaded machine), so the
        # failing rank gives it a moment — on this error path only
        time.sleep(0.25)
        self.comm.Abort(1)

    def validation_share(self, n: int) -> slice:
        """This rank's contiguous part of n validation rows (non-sharded mode).

        Parameters
        ----------
        n : int
            The validation rows.

        Returns
        -------
        slice
            This rank's part.
        """
        base, extra = divmod(n, self.size)
        start = self.rank * base + min(self.rank, extra)
        return slice(start, start + base + (self.rank < extra))
