"""Numba's kernels (optional: ``mlpkit[fast]``), and their loading.

Each is the loop form of NumPy code elsewhere, compiled with ``error_model="numpy"`` (no
zero-division check, so loops vectorise) and no fast-math (nothing reassociated or
fused), so the three element-wise kernels give the bits of the code they stand in for:

* ``adam``: ``optimizers.Adam._update``'s operations on each entry in one pass;
* ``bias_relu``: Dense's ``z += b`` and ReLU's maximum in one pass;
* ``relu_backward``: ReLU's gradient mask and the bias gradient in one pass.

``forward_backward`` — the whole step of a small ReLU/softmax network in plain loops —
sums its products in another order than BLAS, so its last bits differ; it runs only when
a fit asks for it (``fit(step="fused")``). ``training.steps`` times these against NumPy's
forms on the machine at hand and takes them where they are faster.

Nothing here imports the rest of the package; ``kernels()`` imports Numba on first use.
"""

from __future__ import annotations

import math
import time
from typing import Any, NamedTuple

import numpy as np

__all__ = ["Kernels", "available", "kernels", "loaded", "start_seconds"]


class Kernels(NamedTuple):
    """The compiled functions (Numba dispatchers), one per kernel below."""

    forward_backward: Any
    adam: Any
    bias_relu: Any
    relu_backward: Any


_KERNELS: Kernels | None = None
#: seconds importing Numba took in this process (None before)
_START: float | None = None


def available() -> bool:
    """Whether Numba can be imported (looked up, not imported)."""
    import importlib.util

    try:
        return importlib.util.find_spec("numba") is not None
    except (ImportError, ValueError):  # (an import hook that refuses it)
        return False


def loaded() -> bool:
    """Whether this process has loaded the kernels already (their start is paid)."""
    return _KERNELS is not None


def start_seconds() -> float | None:
    """What importing Numba and setting up the kernels took in this process."""
    return _START


def compiled_on_load() -> bool:
    """Whether this process compiled a kernel rather than loading it from Numba's disk
    cache (a first start on a machine, or a cache Numba cannot write)."""
    if _KERNELS is None:
        return False
    return any(sum(kernel.stats.cache_misses.values()) for kernel in _KERNELS)


def kernels() -> Kernels | None:
    """The kernels, each compiled (or loaded from Numba's disk cache) at its first call
    for each dtype; None without Numba."""
    global _KERNELS, _START
    if _KERNELS is None:
        began = time.perf_counter()
        try:
            import numba
        except ImportError:
            return None
        jit = numba.njit(cache=True, nogil=True, error_model="numpy")
        _KERNELS = Kernels(
            *(jit(f) for f in (_forward_backward, _adam, _bias_relu, _relu_backward))
        )
        _START = time.perf_counter() - began
    return _KERNELS


def _forward_backward(p, g, x, labels, sizes, offsets, acts, deltas):  # type: ignore[no-untyped-def]
    """Mean cross-entropy of the batch; fills g (packed like p: per layer W (k_in, k_out)
    row-major, then b). acts (L+1, n, w) and deltas (2, n, w) are workspaces."""
    n = x.shape[0]
    layers = sizes.shape[0] - 1
    for i in range(n):
        for k in range(sizes[0]):
            acts[0, i, k] = x[i, k]
    for layer in range(layers):  # forward: s = h W + b, h = max(s, 0) inside
        kin, kout = sizes[layer], sizes[layer + 1]
        wo = offsets[layer]
        bo = wo + kin * kout
        for i in range(n):
            for j in range(kout):
                s = p[bo + j]
                for k in range(kin):
                    s += acts[layer, i, k] * p[wo + k * kout + j]
                if layer < layers - 1 and s < 0.0:
                    s = 0.0
                acts[layer + 1, i, j] = s
    c = sizes[layers]
    loss = 0.0
    cur = deltas[0]
    for i in range(n):  # the head: δ = (softmax(z) − onehot(t)) / n
        top = acts[layers, i, 0]
        for j in range(1, c):
            top = max(top, acts[layers, i, j])
        total = 0.0
        for j in range(c):
            total += math.exp(acts[layers, i, j] - top)
        log_total = math.log(total)
        loss -= acts[layers, i, labels[i]] - top - log_total
        for j in range(c):
            hit = 1.0 if j == labels[i] else 0.0
            cur[i, j] = (math.exp(acts[layers, i, j] - top - log_total) - hit) / n
    nxt = deltas[1]
    for layer in range(layers - 1, -1, -1):  # backward: dW = hᵀ δ, db = Σ δ, δ ← δ Wᵀ ⊙ 1[h > 0]
        kin, kout = sizes[layer], sizes[layer + 1]
        wo = offsets[layer]
        bo = wo + kin * kout
        for k in range(kin):
            for j in range(kout):
                s = 0.0
                for i in range(n):
                    s += acts[layer, i, k] * cur[i, j]
                g[wo + k * kout + j] = s
        for j in range(kout):
            s = 0.0
            for i in range(n):
                s += cur[i, j]
            g[bo + j] = s
        if layer > 0:
            for i in range(n):
                for k in range(kin):
                    s = 0.0
                    if acts[layer, i, k] > 0.0:
                        for j in range(kout):
                            s += cur[i, j] * p[wo + k * kout + j]
                    nxt[i, k] = s
            cur, nxt = nxt, cur
    return loss / n


def _adam(p, g, m, v, beta1, beta2, shift, scale):  # type: ignore[no-untyped-def]
    """``optimizers.Adam._update`` in one pass: the same operations on each entry, in the
    same order and precision (the scalars come in the arrays' dtype, as NumPy casts
    them), so the result is the same to the last bit."""
    for q in range(p.shape[0]):
        gq = g[q]
        mq = (m[q] - gq) * beta1 + gq
        sq = gq * gq
        vq = (v[q] - sq) * beta2 + sq
        m[q] = mq
        v[q] = vq
        p[q] += mq / (np.sqrt(vq) + shift) * scale


def _bias_relu(z, b, zero):  # type: ignore[no-untyped-def]
    """z ← max(z + b, 0) in place, z (n, k), b (k,), zero a 0 of their dtype:
    ``Dense._affine``'s ``z += b`` and ReLU's ``maximum(z, 0)`` in one pass (a NaN
    stays NaN, as NumPy's maximum keeps it)."""
    n, k = z.shape
    for i in range(n):
        for j in range(k):
            s = z[i, j] + b[j]
            z[i, j] = zero if s < zero else s


def _relu_backward(a, dz, db, zero):  # type: ignore[no-untyped-def]
    """dz ← dz ⊙ 1[a > 0] in place and db ← Σ_rows dz, a, dz (n, k), db (k,): ReLU's vjp
    (``_kernels.relu_vjp``: dz times the mask as 1 or 0) and the bias gradient
    (``np.add.reduce`` over rows, first row to last) in one pass; zero: a 0 of their
    dtype (dz · 0 keeps NaN and the sign of zero, as NumPy's product with the mask)."""
    n, k = dz.shape
    for j in range(k):
        db[j] = zero
    for i in range(n):
        for j in range(k):
            d = dz[i, j] if a[i, j] > zero else dz[i, j] * zero
            dz[i, j] = d
            db[j] += d
