"""Measured fast paths, each equal to a plain formula that lives in a concept file.

The concept files (activations.py, losses.py, heads.py, optimizers.py) show every
formula as the code a student reads. What a benchmark showed to be worth its extra
lines lives here instead, and ``tests/test_kernels.py`` checks each kernel against its
plain form on random inputs in float32 and float64:

=========================  ===============================  ==========================
kernel                     plain form                       why (measured)
=========================  ===============================  ==========================
``relu``, ``relu_``,       ``activations.ReLU``             a Python 0.0 is converted
``relu_vjp``                                                anew on every NumPy call:
                                                            a third of a small ReLU
``softmax_``               ``activations.Softmax.forward``  ≤ 256 logits: one
                                                            logaddexp reduction, three
                                                            calls instead of five
``row_max``                ``np.max(z, axis=1)``            ≤ 32 columns: down a
                                                            transpose, 2-7x faster
``mean``                   ``losses.Loss.mean``             ≤ 64 rows: math.fsum over a
                                                            list, a quarter of a NumPy
                                                            reduction's call cost
``softmax_cross_entropy``  ``heads.OutputHead`` (fused)     the training hot path:
                                                            value and gradient from one
                                                            pass, true class by flat
                                                            index; two classes: one
                                                            binary logaddexp, not a
                                                            reduction (2.7 → 0.6 µs)
``adam_``                  ``optimizers.Adam._update``      12 in-place passes with one
                                                            scratch buffer, no
                                                            temporaries
=========================  ===============================  ==========================

Each kernel's size switch is a setting of ``mlpkit.fast_paths`` (``fast.py``, the one
module this one imports); with ``fast_paths(False)`` the kernels that give the same
values either way take their plain form. Every function keeps its input's dtype.
"""

from __future__ import annotations

import functools
import math
from typing import Any, cast

import numpy as np

from .fast import fast_paths as _settings

__all__ = [
    "StackedAdam",
    "adam_",
    "bias_relu_",
    "mean",
    "relu",
    "relu_",
    "relu_backward_",
    "relu_mask",
    "relu_vjp",
    "row_max",
    "row_starts",
    "softmax_",
    "softmax_cross_entropy",
]

#: zero as a 0-d array of each float dtype, so a comparison or maximum with it costs no
#: conversion (a Python float is converted on every call)
_ZERO = {np.dtype(t): np.zeros((), t) for t in (np.float32, np.float64)}


def zeros_of(z: np.ndarray) -> Any:
    """A zero to take max(z, ·) against: above ``fast_paths.relu_zeros`` entries a
    read-only zeros array of z's shape (NumPy's maximum against a scalar has no SIMD
    loop: 128×256 float32 12 → 2.4 µs), else a 0-d zero. The same values and the same
    signs of zero either way (maximum returns its second operand on a tie)."""
    if z.size > _settings.relu_zeros and _settings.enabled and z.dtype in _ZERO:
        key = (z.shape, z.dtype)
        zeros = _ZEROS.get(key)
        if zeros is None:
            if len(_ZEROS) >= 16:
                _ZEROS.clear()
            zeros = _ZEROS[key] = np.zeros(z.shape, z.dtype)
            zeros.flags.writeable = False
        return zeros
    return _ZERO.get(z.dtype, 0.0)


#: the zeros arrays of ``zeros_of``, by (shape, dtype): 16 at most
_ZEROS: dict[tuple[Any, ...], np.ndarray] = {}


def relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0) as a new array. z: any shape."""
    return cast("np.ndarray", np.maximum(z, zeros_of(z)))


def relu_(z: np.ndarray) -> np.ndarray:
    """max(z, 0) written into z. z: any shape."""
    return cast("np.ndarray", np.maximum(z, zeros_of(z), out=z))


def bias_relu_(z: np.ndarray, b: np.ndarray, zero: Any) -> np.ndarray:
    """z ← max(z + b, 0) in place, z (N, k), b (k,), zero a 0 of their dtype (a 0-d
    array, or an array like z: ``zeros_of``): Dense's ``z += b`` and ReLU's maximum, as
    ``training.steps.UnrolledStep`` runs them without Numba."""
    z += b
    return cast("np.ndarray", np.maximum(z, zero, out=z))


def relu_backward_(a: np.ndarray, dz: np.ndarray, db: np.ndarray, zero: np.ndarray) -> None:
    """dz ← dz ⊙ 1[a > 0] in place (``relu_vjp``) and db ← Σ_rows dz (Dense's bias
    gradient), a, dz (N, k), db (k,): ``training.steps.UnrolledStep``'s backward without Numba."""
    np.multiply(dz, relu_mask(a), dz)
    np.add.reduce(dz, 0, None, db)  # type: ignore[call-overload]  # (positional out: fewer instructions)


def relu_mask(a: np.ndarray) -> np.ndarray:
    """1[a > 0] for a ReLU's output a (≥ 0, or NaN), to multiply dA with. For small
    arrays it is sign(a) — 1 or 0, as floats: the product then needs no cast from
    booleans, twice as fast — and for large ones the booleans (NumPy's sign is a scalar
    loop). The two give the same product but where a is NaN and dA is not (sign: NaN;
    the booleans: dA · 0); in backpropagation that never happens: a NaN in a row of a
    makes the whole row of dA NaN. The switch: ``fast_paths.sign_mask`` entries."""
    if a.size <= _settings.sign_mask and _settings.enabled:
        return cast("np.ndarray", np.sign(a))
    return a > _ZERO.get(a.dtype, 0.0)


def relu_vjp(a: np.ndarray, da: np.ndarray) -> np.ndarray:
    """dA ⊙ 1[z > 0], read off the ReLU's output a (a > 0 exactly where z > 0)."""
    return cast("np.ndarray", da * relu_mask(a))


def row_max(z: np.ndarray) -> np.ndarray:
    """The maximum of each row: z (N, C) -> (N, 1), or (C,) -> (1,). NumPy reduces a
    short row with a loop per row; down the rows of zᵀ the loop runs across all N at
    once. A maximum is exact, so the values are the same either way. The switch:
    ``fast_paths.narrow`` columns."""
    if z.ndim == 2 and 1 < z.shape[0] and z.shape[1] <= _settings.narrow and _settings.enabled:
        return cast("np.ndarray", np.maximum.reduce(np.ascontiguousarray(z.T), axis=0)[:, None])
    return np.maximum.reduce(z, axis=-1, keepdims=True)


def softmax_(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax of z (N, C) or (C,), written into z. Up to
    ``fast_paths.small_softmax`` logits the log-sum-exp is one ``np.logaddexp.reduce``
    (fewer calls), above it the max shift: a choice of formula by size, the same on
    every path."""
    # ufunc reductions directly: the ndarray.max/.sum wrappers cost microseconds
    if z.size <= _settings.small_softmax:  # softmax(z) = exp(z − log Σ e^z)
        z -= np.logaddexp.reduce(z, axis=-1, keepdims=True)
        return cast("np.ndarray", np.exp(z, out=z))
    z -= row_max(z)
    np.exp(z, out=z)
    z /= np.add.reduce(z, axis=-1, keepdims=True)
    return z


def mean(per_sample: np.ndarray, weights: np.ndarray | None = None) -> float:
    """(1/N) Σ_i w_i l_i of per-sample values (N,) (w_i = 1 without weights); up to
    ``fast_paths.small_batch`` rows summed exactly in Python (a formula, every path)."""
    n = per_sample.shape[0]
    if weights is not None:
        return cast("float", float(np.dot(per_sample, weights)) / n)
    if n <= _settings.small_batch:
        return cast("float", math.fsum(per_sample.tolist()) / n)
    return cast("float", float(np.add.reduce(per_sample)) / n)


@functools.lru_cache(maxsize=64)
def row_starts(n: int, c: int) -> np.ndarray:
    """arange(n) · c, read-only: where each row of an (n, c) array starts in its flat
    view. Cached (64 shapes at most): the training loop needs it every batch."""
    starts = np.arange(0, n * c, c)
    starts.flags.writeable = False
    return starts


def softmax_cross_entropy(
    z: np.ndarray, t: np.ndarray, w: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(z) and dL/dz, from the logits.

    z: (N, C) logits; t: labels (N,) or target rows (N, C); w: sample weights (N,).
    Returns L = (1/N) Σ_i w_i l_i and dL/dz = w_i (softmax(z_i) · Σ_k t_ik − t_i) / N.
    """
    n, c = z.shape
    labels = t.ndim == 1
    if labels:
        true_index = row_starts(n, c) + t  # entry (i, t_i) of the flat (n, c) array
    small = z.size <= _settings.small_softmax
    if small and c == 2:  # the reduction over two columns is one binary call: 3x cheaper
        g = z - np.logaddexp(z[:, :1], z[:, 1:])  # log softmax
    elif small:
        g = z - np.logaddexp.reduce(z, axis=1, keepdims=True)
    else:
        g = z - row_max(z)  # s = z − max z
    picked = g.take(true_index) if labels else np.einsum("ij,ij->i", t, g)
    np.exp(g, out=g)
    if small:
        log_true = picked
    else:
        total = np.add.reduce(g, axis=1, keepdims=True)  # S = Σ_k e^{s_k}
        log_total = np.log(total[:, 0])
        log_true = picked - (log_total if labels else log_total * t.sum(axis=1))
        g /= total
    if labels:  # softmax − 1 at the true class, from its log: two calls, not four
        g.put(true_index, np.expm1(log_true))
    else:
        g *= t.sum(axis=1, keepdims=True)
        g -= t
    if w is not None:
        g *= (w / n)[:, None]
    else:
        g *= 1.0 / n
    return -mean(log_true, w), g


def adam_(
    p: np.ndarray,
    g: np.ndarray,
    m: np.ndarray,
    v: np.ndarray,
    scratch: np.ndarray,
    beta1: Any,
    beta2: Any,
    shift: float,
    scale: float,
    v_max: np.ndarray | None = None,
) -> None:
    """One Adam step in place: p, m, v (and v_max for AMSGrad) are updated; g is read;
    shift and scale from ``optimizers.Adam.step_constants`` (the step's bias corrections).

    ``optimizers.Adam._update``'s operations, entry by entry in the same order, as 12
    in-place passes with one scratch buffer like p (no temporaries):

        m ← g + β1 (m − g),   v ← g² + β2 (v − g²),
        p ← p + (m / (√v + shift)) · scale.

    beta1 and beta2 may be Python floats or, cheaper to call with, NumPy scalars of p's
    dtype (what NumPy casts a Python float to: the same result).
    """
    m -= g
    m *= beta1
    m += g
    np.multiply(g, g, scratch)
    v -= scratch
    v *= beta2
    v += scratch
    if v_max is not None:
        np.maximum(v_max, v, out=v_max)
        v = v_max
    np.sqrt(v, scratch)
    scratch += shift
    np.divide(m, scratch, scratch)
    scratch *= scale
    p += scratch


class StackedAdam:
    """``adam_`` for m and v kept as the rows of one (2, P) array ``moments``: m ← g + β1
    (m − g) and v ← g² + β2 (v − g²) become three calls on (2, P) — after g and g² are
    written into a (2, P) work array — then the same five for p. Entry by entry the same
    operations as ``adam_``, so the same bits. ``m`` and ``v`` are the optimizer's state
    vectors (views of ``moments``). It pays where the calls' cost is the step's (small
    networks); above ~2k parameters the extra copy of g costs more than the two calls."""

    def __init__(self, moments: np.ndarray) -> None:
        self.moments = moments
        self.m, self.v = moments[0], moments[1]
        self.work = np.empty_like(moments)
        self._g, self._g2 = self.work[0], self.work[1]
        self.betas = np.empty_like(moments)  # β1 along row 0, β2 along row 1
        self._key: tuple[Any, Any] | None = None

    def __call__(self, p: np.ndarray, g: np.ndarray, beta1: Any, beta2: Any, shift: float,
                 scale: float, v_max: np.ndarray | None = None) -> None:  # fmt: skip
        """One step in place, as ``adam_(p, g, m, v, scratch, beta1, beta2, shift, scale,
        v_max)``; p, g (P,)."""
        if self._key != (beta1, beta2):
            self.betas[0], self.betas[1] = beta1, beta2
            self._key = (beta1, beta2)
        work, mv = self.work, self.moments
        np.copyto(self._g, g)
        np.multiply(g, g, self._g2)
        mv -= work
        mv *= self.betas
        mv += work
        v = self.v
        if v_max is not None:
            np.maximum(v_max, v, out=v_max)
            v = v_max
        scratch = self._g  # free again
        np.sqrt(v, scratch)
        scratch += shift
        np.divide(self.m, scratch, scratch)
        scratch *= scale
        p += scratch
