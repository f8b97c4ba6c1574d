"""Where training batches come from when the data is not one array in memory: a Dask
array (``dask.array``), read a block of rows at a time, never whole.

``fit`` streams a Dask X (and y, sample weights) like this, each epoch:

1. the order of the row blocks (Dask's chunks along the rows) is shuffled;
2. ``buffer_blocks`` blocks at a time are computed into memory and checked (finite,
   the right width: an error names the rows, before any update from them);
3. their rows are shuffled within that buffer, and cut into batches; rows left over
   at a buffer's end start the next one, so every batch but the epoch's last is full.

So shuffling is not a full permutation of the data set: rows mix within a buffer of a
few blocks, and the blocks' order changes every epoch (the approach of streaming
loaders such as tf.data's shuffle buffer). Memory holds a buffer of blocks, not the
data. Without shuffling, the rows come in their order, exactly as an in-memory array.

Nothing here imports Dask until a Dask array is given: ``pip install 'mlpkit[dask]'``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from ._validation import as_2d_float, optional

__all__ = ["DaskRows", "is_dask"]


def is_dask(x: object) -> bool:
    """Whether x is a Dask collection (checked by its module: Dask is not imported)."""
    return type(x).__module__.split(".")[0] == "dask"


class DaskRows:
    """A Dask array X (N, k), with its targets y and sample weights w (NumPy or Dask,
    N rows), read block by block.

    Parameters
    ----------
    x, y, w : the data; y and w may be NumPy arrays (they are small) or Dask arrays.
    n_features : the width the model expects.
    dtype : the model's dtype; blocks are converted to it as they are read.
    prepare : turns a block of y into the loss's targets (``head.prepare_targets``).
    buffer_blocks : blocks held in memory at a time.
    """

    def __init__(self, x, y, w, n_features, dtype, prepare, what="X", buffer_blocks=4):  # type: ignore[no-untyped-def]
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
        self.buffer_blocks = max(1, int(buffer_blocks))

    def _aligned(self, da, a, what, rows):  # type: ignore[no-untyped-def]
        a = a if is_dask(a) else da.from_array(np.asarray(a), chunks=(rows, *np.shape(a)[1:]))
        if a.shape[0] != self.n:
            raise ValueError(f"{what} has {a.shape[0]} rows but {self.what} has {self.n}")
        return a.rechunk((rows, *(-1 for _ in a.shape[1:])))

    @property
    def n_blocks(self) -> int:
        return len(self.bounds) - 1

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

    def batches(
        self, batch_size: int, rng: np.random.Generator | None
    ) -> Iterator[tuple[Any, ...]]:
        """One epoch's batches (X, targets, weights); ``rng`` None: in order, unshuffled.

        Shuffled, each batch's rows are gathered from the buffer through a permutation
        into one batch array reused all epoch (as ``fit`` does in memory), so the buffer
        is copied once, not permuted whole."""
        order = rng.permutation(self.n_blocks) if rng is not None else np.arange(self.n_blocks)
        gathered = np.empty((batch_size, self.x.shape[1]), self.dtype) if rng is not None else None
        carry: list[tuple[Any, ...]] = []
        for start in range(0, self.n_blocks, self.buffer_blocks):
            parts = [self.block(int(i)) for i in order[start : start + self.buffer_blocks]]
            xs, ts, ws = _concat([*carry, *parts])
            rows = xs.shape[0]
            index = rng.permutation(rows) if rng is not None else None  # rows mix in the buffer
            full = rows // batch_size * batch_size
            for lo in range(0, full, batch_size):
                if index is None:
                    pick = slice(lo, lo + batch_size)
                    yield xs[pick], ts[pick], None if ws is None else ws[pick]
                else:
                    pick = index[lo : lo + batch_size]
                    xb = np.take(xs, pick, axis=0, out=gathered, mode="clip")
                    yield xb, ts[pick], None if ws is None else ws[pick]
            rest = slice(full, rows) if index is None else index[full:]
            carry = [(xs[rest], ts[rest], None if ws is None else ws[rest])] if full < rows else []
        if carry:
            yield carry[0]

    def evaluated(self, model: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The model's output pre-activation Z (N, n_out), the targets and the weights,
        block by block (only Z, t and w, a few numbers per row, are kept)."""
        z, t, w = [], [], []
        for i in range(self.n_blocks):
            xb, tb, wb = self.block(i)
            z.append(model.logits(xb))
            t.append(tb)
            w.append(wb)
        return np.concatenate(z), np.concatenate(t), None if self.w is None else np.concatenate(w)


def _concat(parts: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    if len(parts) == 1:
        return parts[0]
    return tuple(
        None if parts[0][k] is None else np.concatenate([p[k] for p in parts])
        for k in range(len(parts[0]))
    )
