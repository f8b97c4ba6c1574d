"""Where a fit's batches come from: one interface over NumPy arrays in memory (dense,
memmapped or SciPy sparse), another library's arrays on their device, and a Dask array
streamed block by block. The epoch loop (``loop.py``) and data-parallel training
(``mlpkit.distributed``) read every kind the same way:

    source.begin_epoch(rng)                 # this epoch's order (rng None: the file order)
    for x, t, w, lo, size in source.batches(batch_size): ...
    source.rows(lo, hi)                     # positions lo..hi of the epoch's order
    source.targets                          # the epoch's targets, in the batches' order

``x`` (rows, k) are the model's inputs, ``t`` the head's targets, ``w`` the sample
weights or None, ``lo`` the batch's first position in the epoch's order (where its
predictions go) and ``size`` the rows the batch's loss averages over.

A Dask array is never read whole. Each epoch:

1. the order of the row blocks (Dask's chunks along the rows) is shuffled;
2. one block at a time is computed into memory and checked (finite, the right width:
   an error names the rows, before any update from them), and its rows, in a random
   order, are copied into a shuffle buffer of ``shuffle_buffer`` bytes (64 MiB unless
   set) — a block larger than the buffer fills it several times over;
3. whenever the buffer is full its rows are shuffled and cut into batches; rows left
   over start the next buffer, so every batch but the epoch's last is full.

So a streamed epoch is not one permutation of the data set: rows mix within a buffer
(the approach of streaming loaders such as tf.data's shuffle buffer, here filled from
the blocks in a new order every epoch). Memory holds the buffer and the block being
read: a block of a ``da.from_array`` over a memmap is a view of the file's pages, one
computed by a graph is as large as Dask makes it. Without shuffling the rows come in
their order, exactly as an in-memory array's. Nothing here imports Dask until a Dask
array is given: ``pip install 'mlpkit[dask]'``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, cast

import numpy as np

from .._backend import asarray, namespace_of
from .._validation import as_2d_float, is_dask, optional
from ..fast import fast_paths

__all__ = [
    "SHUFFLE_BUFFER",
    "ArraySource",
    "DaskSource",
    "DeviceSource",
    "Source",
    "buffer_bytes",
    "is_dask",
]

Batch = tuple[Any, Any, Any, int, int]


class Source:
    """The interface (see the module docstring). ``n``: this process's rows;
    ``numpy_rows``: its batches are dense NumPy rows of the model's dtype in memory,
    which every step can run on (another kind runs the layer-by-layer step)."""

    n: int = 0
    numpy_rows: bool = False
    #: whether ``rows`` works (a global batch split across processes reads it)
    positional: bool = True

    def begin_epoch(self, rng: np.random.Generator | None) -> None:
        raise NotImplementedError

    def batches(self, batch_size: int) -> Iterator[Batch]:
        raise NotImplementedError

    def rows(self, lo: int, hi: int) -> tuple[Any, Any, Any]:
        raise NotImplementedError

    @property
    def targets(self) -> Any:
        raise NotImplementedError

    def sample(self, rows: int) -> tuple[Any, Any, Any] | None:
        """A batch of ``rows`` rows to time steps on, or None where none is at hand."""
        return None


class ArraySource(Source):
    """NumPy X (N, k) in memory — a dense array, a memmap or SciPy sparse rows — with its
    targets t and weights w (N,) or None.

    Each epoch draws one permutation; every batch of X is gathered through it into one
    (batch_size, k) buffer allocated once, so X is copied one batch at a time (its rows
    are read once per epoch, as a whole shuffled copy would read them, but the batch is
    still in cache for the first product, and memory stays bounded) — or, for a small
    X (``fast_paths.shuffle_whole_bytes``), into one shuffled copy of X, its batches then
    views. Both give the same batches. Targets and weights, small, are shuffled whole so
    the epoch's predictions line up with them for the metrics. A memmap's file is checked
    before each read (a truncated file is an error, not a crash).
    """

    def __init__(self, x: Any, t: np.ndarray, w: np.ndarray | None, batch_size: int,
                 shuffle: bool) -> None:  # fmt: skip
        self.x, self.t, self.w, self.n = x, t, w, x.shape[0]
        dense = isinstance(x, np.ndarray)  # else SciPy sparse rows, gathered by indexing
        self.numpy_rows = dense and x.dtype in (np.float32, np.float64)
        self.shuffle = shuffle
        self.order: np.ndarray | None = None
        whole = (
            shuffle
            and type(x) is np.ndarray
            and x.nbytes <= fast_paths.shuffle_whole_bytes
            and fast_paths.enabled
        )
        #: the epoch's shuffled copy of a small X, or the buffer a batch of X is gathered into
        self.shuffled = np.empty_like(x) if whole else None
        rows = min(batch_size, self.n)
        self.batch_buffer = (
            np.empty((rows, x.shape[1]), x.dtype) if shuffle and dense and not whole else None
        )
        self.ts = np.empty_like(t) if shuffle else t
        self.ws = (np.empty_like(w) if shuffle else w) if w is not None else None
        self.mapped = _mapped_file(x)

    def begin_epoch(self, rng: np.random.Generator | None) -> None:
        if rng is None or not self.shuffle:
            return
        self.order = order = rng.permutation(self.n)
        # mode="clip" (the indices are all valid) lets take write straight into the buffer
        np.take(self.t, order, axis=0, out=self.ts, mode="clip")
        if self.shuffled is not None:
            np.take(self.x, order, axis=0, out=self.shuffled, mode="clip")
        if self.w is not None:
            np.take(self.w, order, axis=0, out=self.ws, mode="clip")

    @property
    def targets(self) -> np.ndarray:
        return self.ts

    def _x(self, lo: int, hi: int) -> Any:
        """Rows lo:hi of the epoch's order: a view, or gathered into the batch buffer."""
        if self.order is None:
            return self.x[lo:hi]
        if self.shuffled is not None:
            return self.shuffled[lo:hi]
        if self.batch_buffer is None:  # sparse rows
            return self.x[self.order[lo:hi]]
        out = self.batch_buffer[: hi - lo]
        return self.x.take(self.order[lo:hi], axis=0, out=out, mode="clip")

    def rows(self, lo: int, hi: int) -> tuple[Any, Any, Any]:
        if self.mapped is not None:
            _check_mapped(*self.mapped)
        ws = self.ws
        return self._x(lo, hi), self.ts[lo:hi], None if ws is None else ws[lo:hi]

    def batches(self, batch_size: int) -> Iterator[Batch]:
        ts, ws, n, bs = self.ts, self.ws, self.n, batch_size
        if self.shuffled is not None:  # views of the epoch's shuffled copy
            xs, full = self.shuffled, n - n % bs
            for lo in range(0, full, bs):
                hi = lo + bs
                yield xs[lo:hi], ts[lo:hi], None if ws is None else ws[lo:hi], lo, bs
            if full < n:
                yield xs[full:], ts[full:], None if ws is None else ws[full:], full, n - full
            return
        rows = self.rows
        for lo in range(0, n, bs):
            hi = min(n, lo + bs)
            xb, tb, wb = rows(lo, hi)
            yield xb, tb, wb, lo, hi - lo

    def sample(self, rows: int) -> tuple[Any, Any, Any] | None:
        if not self.numpy_rows:
            return None
        rows = min(rows, self.n)
        w = None if self.w is None else self.w[:rows]
        return np.ascontiguousarray(self.x[:rows]), self.t[:rows], w


class DeviceSource(Source):
    """Another array library's X, targets and weights on their device (PyTorch, CuPy,
    ...): the order is drawn on the host and moved once an epoch, each batch gathered on
    the device (``take``)."""

    def __init__(self, x: Any, t: Any, w: Any, shuffle: bool, device: Any) -> None:
        self.x, self.t, self.w, self.n = x, t, w, x.shape[0]
        self.xp, self.device, self.shuffle = namespace_of(x), device, shuffle
        self.order: Any = None
        self.ts, self.ws = t, w

    def begin_epoch(self, rng: np.random.Generator | None) -> None:
        if rng is None or not self.shuffle:
            return
        xp = self.xp
        self.order = asarray(rng.permutation(self.n), xp, self.device)
        self.ts = xp.take(self.t, self.order, axis=0)
        self.ws = None if self.w is None else xp.take(self.w, self.order, axis=0)

    @property
    def targets(self) -> Any:
        return self.ts

    def rows(self, lo: int, hi: int) -> tuple[Any, Any, Any]:
        # (the array API asks for the trailing ... when indexing 2-D arrays by slices)
        x = (
            self.x[lo:hi, ...]
            if self.order is None
            else self.xp.take(self.x, self.order[lo:hi], axis=0)
        )
        return x, self.ts[lo:hi, ...], None if self.ws is None else self.ws[lo:hi]

    def batches(self, batch_size: int) -> Iterator[Batch]:
        for lo in range(0, self.n, batch_size):
            hi = min(self.n, lo + batch_size)
            yield (*self.rows(lo, hi), lo, hi - lo)


#: bytes of rows a Dask X's shuffle buffer holds by default (``fit(shuffle_buffer=...)``)
SHUFFLE_BUFFER = 64 * 2**20


def buffer_bytes(size: Any) -> int:
    """``shuffle_buffer``'s bytes: None (the default), an int, or a size such as
    "256MiB" (read as Dask reads sizes)."""
    if size is None:
        return SHUFFLE_BUFFER
    if isinstance(size, str):
        utils = optional("dask.utils", "reading a shuffle_buffer size", "dask")
        try:
            size = utils.parse_bytes(size)
        except ValueError:
            raise ValueError(
                f"shuffle_buffer {size!r} is not a size; give bytes or e.g. '256MiB'"
            ) from None
    if isinstance(size, bool) or not isinstance(size, int | np.integer) or size < 1:
        raise ValueError(f"shuffle_buffer must be a positive number of bytes or a size such as "
                         f"'256MiB', got {size!r}")  # fmt: skip
    return int(size)


class DaskSource(Source):
    """A Dask array X (N, k), with its targets y and sample weights w (NumPy or Dask,
    N rows), read block by block through a shuffle buffer (see the module docstring).

    Parameters
    ----------
    x, y, w : the data; y and w may be NumPy arrays (they are small) or Dask arrays.
    n_features : the width the model expects.
    dtype : the model's dtype; blocks are converted to it as they are read.
    prepare : turns a block of y into the loss's targets (``head.prepare_targets``).
    shuffle_buffer : bytes of X's rows held and mixed at a time (``buffer_bytes``).
    """

    positional = False

    def __init__(self, x: Any, y: Any, w: Any, n_features: int, dtype: np.dtype,
                 prepare: Callable[[Any, int], np.ndarray], what: str = "X",
                 shuffle_buffer: Any = None) -> None:  # fmt: skip
        da = optional("dask.array", "training on a Dask array", "dask")
        if x.ndim != 2:
            raise ValueError(f"{what} must be 2-D (N samples, k features), got shape {x.shape}")
        if any(np.isnan(c) for c in x.shape):
            raise ValueError(
                f"{what} has unknown chunk sizes; call {what}.compute_chunk_sizes() first"
            )
        if x.shape[1] != n_features:
            raise ValueError(f"{what} has {x.shape[1]} features; the model expects {n_features}")
        self.x = x.rechunk({1: -1})  # every block holds whole rows
        rows = self.x.chunks[0]
        self.bounds = np.concatenate([[0], np.cumsum(rows)]).astype(int)
        self.n = int(self.bounds[-1])
        self.y = self._aligned(da, y, "y", rows)
        self.w = None if w is None else self._aligned(da, w, "sample_weight", rows)
        self.dtype, self.prepare, self.what = dtype, prepare, what
        self.numpy_rows = np.dtype(dtype) in (np.float32, np.float64)
        self.buffer_bytes = buffer_bytes(shuffle_buffer)
        self.rng: np.random.Generator | None = None
        #: the epoch's targets in the order its batches came (kept when ``record`` is set)
        self.record = False
        self.seen: np.ndarray | None = None

    def _aligned(self, da: Any, a: Any, what: str, rows: Any) -> Any:
        a = a if is_dask(a) else da.from_array(np.asarray(a), chunks=(rows, *np.shape(a)[1:]))
        if a.shape[0] != self.n:
            raise ValueError(f"{what} has {a.shape[0]} rows but {self.what} has {self.n}")
        return a.rechunk((rows, *(-1 for _ in a.shape[1:])))

    @property
    def n_blocks(self) -> int:
        return len(self.bounds) - 1

    def buffer_rows(self, batch_size: int) -> int:
        """Rows the shuffle buffer holds: its bytes' worth, at least a batch, at most N."""
        row = self.x.shape[1] * np.dtype(self.dtype).itemsize
        return cast("int", min(self.n, max(batch_size, self.buffer_bytes // max(1, row))))

    def block(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Block i computed and checked: (X rows, targets, weights or None)."""
        dask = optional("dask", "training on a Dask array", "dask")
        lo, hi = int(self.bounds[i]), int(self.bounds[i + 1])
        parts = dask.compute(
            self.x.blocks[i], self.y.blocks[i], *(() if self.w is None else (self.w.blocks[i],))
        )
        try:
            xb = as_2d_float(parts[0], self.dtype, self.what)
            tb = self.prepare(parts[1], hi - lo)
        except ValueError as exc:
            raise ValueError(f"rows {lo}..{hi - 1} of the Dask {self.what}: {exc}") from None
        return xb, tb, (np.asarray(parts[2], dtype=self.dtype) if self.w is not None else None)

    def begin_epoch(self, rng: np.random.Generator | None) -> None:
        self.rng = rng

    @property
    def targets(self) -> np.ndarray | None:
        return self.seen

    def batches(self, batch_size: int) -> Iterator[Batch]:
        """One epoch's batches: each block's rows (in a random order) copied into the
        shuffle buffer; a full buffer's rows gathered, through a permutation, batch by
        batch into one batch array reused all epoch (as in memory); what is left of it
        moved to its front. Unshuffled, the rows keep their order."""
        rng = self.rng
        cap = self.buffer_rows(batch_size)
        order = rng.permutation(self.n_blocks) if rng is not None else np.arange(self.n_blocks)
        gathered = np.empty((batch_size, self.x.shape[1]), self.dtype) if rng is not None else None
        buffers: list[np.ndarray] | None = None
        filled, done = 0, 0
        for i in order:
            block = self.block(int(i))
            if buffers is None:  # (X, targets and weights: their shapes known from a block)
                buffers = [np.empty((cap, *a.shape[1:]), a.dtype) for a in block if a is not None]
            rows = block[0].shape[0]
            mix = rng.permutation(rows) if rng is not None else None
            at = 0
            while at < rows:
                take = min(cap - filled, rows - at)
                part = slice(at, at + take) if mix is None else mix[at : at + take]
                for buffer, a in zip(buffers, (a for a in block if a is not None), strict=True):
                    buffer[filled : filled + take] = a[part]
                filled, at = filled + take, at + take
                if filled == cap:
                    yield from self._emptied(buffers, filled, batch_size, gathered, done, False)
                    done += filled // batch_size * batch_size
                    filled %= batch_size
            del block
        if buffers is not None and filled:
            yield from self._emptied(buffers, filled, batch_size, gathered, done, True)

    def _emptied(self, buffers: list[np.ndarray], filled: int, batch_size: int,
                 gathered: np.ndarray | None, done: int, last: bool) -> Iterator[Batch]:  # fmt: skip
        """The buffer's first ``filled`` rows as batches (shuffled when gathered is
        given); the rows short of a full batch are moved to its front, or, ``last``,
        are the epoch's last batch."""
        rng = self.rng
        index = rng.permutation(filled) if rng is not None else None
        full = filled // batch_size * batch_size
        weighted = self.w is not None
        for lo in range(0, full, batch_size):
            if index is None:
                pick: Any = slice(lo, lo + batch_size)
                xb = buffers[0][pick]
            else:
                pick = index[lo : lo + batch_size]
                xb = np.take(buffers[0], pick, axis=0, out=gathered, mode="clip")
            yield self._seen(
                xb, buffers[1][pick], buffers[2][pick] if weighted else None, done + lo
            )
        rest: Any = slice(full, filled) if index is None else index[full:]
        if last:
            if full < filled:
                parts = [b[rest] for b in buffers]
                yield self._seen(parts[0], parts[1], parts[2] if weighted else None, done + full)
        elif full < filled:
            for b in buffers:
                b[: filled - full] = b[rest]

    def _seen(self, x: Any, t: Any, w: Any, lo: int) -> Batch:
        if self.record:
            if self.seen is None:
                self.seen = np.empty((self.n, *t.shape[1:]), t.dtype)
            self.seen[lo : lo + x.shape[0]] = t
        return x, t, w, lo, x.shape[0]

    def evaluated(self, model: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The model's output pre-activation Z (N, n_out), the targets and the weights,
        block by block (only Z, t and w, a few numbers per row, are kept)."""
        z: list[np.ndarray] = []
        t: list[np.ndarray] = []
        w: list[Any] = []
        for i in range(self.n_blocks):
            xb, tb, wb = self.block(i)
            z.append(model.logits(xb))
            t.append(tb)
            w.append(wb)
        return np.concatenate(z), np.concatenate(t), None if self.w is None else np.concatenate(w)


def _mapped_file(x: Any) -> tuple[str, int] | None:
    """(path, bytes needed) when x is a NumPy memmap of a file, else None."""
    base = x
    while base is not None and not isinstance(base, np.memmap):
        base = getattr(base, "base", None)
    if base is None or getattr(base, "filename", None) is None:
        return None
    return str(base.filename), int(base.offset) + base.nbytes


def _check_mapped(path: str, needed: int) -> None:
    """A clear error, instead of a crash (SIGBUS), when a memmap's file was truncated."""
    size = os.stat(path).st_size
    if size < needed:
        raise ValueError(
            f"{path}: the file behind the memmap X has shrunk to {size} bytes while training "
            f"(the array needs {needed}); it was truncated or replaced"
        )
