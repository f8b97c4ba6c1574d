"""A compiled whole training step for small networks (optional: ``mlpkit[fast]``, Numba).

For a small network most of a NumPy training step is the cost of calling NumPy (~35
calls of about half a microsecond each, whatever the arrays' size), not arithmetic. When
Numba is installed, ``fit`` runs such networks through two compiled kernels instead:
forward and backward in one (ReLU hidden layers, the fused softmax–cross-entropy head on
class labels), then Adam's update on the packed parameters — the loss is known between
the two, so the NaN guard still acts before the update. They compute what
``Sequential.loss_and_gradients`` and ``Adam._update`` compute, tested equal to them
(``tests/test_fused.py``; sums run in another order, so the last bits differ).

Used only where it pays and changes nothing a user chose: NumPy arrays, float32 or
float64, Dense layers with biases and no regularisers, ReLU inside, a softmax output
with cross-entropy on labels, plain Adam (no AMSGrad, weight decay or clipping), no
sample weights or train metrics, a single process, at most ``MAX_BATCH_MACS``
multiply-adds a batch (above that the products want BLAS), and a fit of at least
``MIN_STEPS`` steps (which repays importing Numba, ~0.3 s, and loading the cached
kernels; the very first compile, ~1.2 s more, is cached on disk for later processes). The
choice depends on the fit's arguments alone, so a seed still gives the same bits on
every run.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

__all__ = ["MAX_BATCH_MACS", "MIN_STEPS", "FusedStep", "plan"]

#: steps of one fit (epochs × batches) from which the compiled step is used: where its
#: ~25 µs a step saved repays importing Numba and loading the cached kernels (~0.35 s)
MIN_STEPS = 15_000
#: rows × Σ k_in·k_out of a batch up to which plain loops beat NumPy's calls (measured
#: on this project's benchmark machine, µs a step, NumPy → compiled: 2-8-2 batch 4, 128
#: products, 28 → 4.3; 4-128-3 batch 4, 3,584: 34 → 18; 16-16-16-4 batch 16, 9,216:
#: 91 → 56; 20-64-64-2 batch 4, 22,016: 46 → 78, a loss)
MAX_BATCH_MACS = 8_192

_KERNELS: tuple[Any, Any] | None = None


def _compiled() -> tuple[Any, Any] | None:
    """The two kernels, compiled on first use (None without Numba)."""
    global _KERNELS
    if _KERNELS is None:
        try:
            import numba
        except ImportError:
            return None
        jit = numba.njit(cache=True, nogil=True)
        _KERNELS = (jit(_forward_backward), jit(_adam))
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


def _adam(p, g, m, v, lr, beta1, beta2, eps, step):  # type: ignore[no-untyped-def]
    """Adam._update: m ← β1 m + (1−β1) g, v ← β2 v + (1−β2) g², p ← p − lr m̂/(√v̂ + eps)."""
    c1 = 1.0 - beta1**step
    c2 = 1.0 - beta2**step
    for q in range(p.shape[0]):
        gq = g[q]
        m[q] = beta1 * m[q] + (1.0 - beta1) * gq
        v[q] = beta2 * v[q] + (1.0 - beta2) * gq * gq
        p[q] -= lr * (m[q] / c1) / (math.sqrt(v[q] / c2) + eps)


class FusedStep:
    """The compiled step for one fit: ``loss_and_gradients(xb, tb)`` then ``update()``."""

    def __init__(self, model: Any, opt: Any, pack: Any, batch_rows: int, kernels: Any) -> None:
        self.opt, self.pack = opt, pack
        self._forward_backward, self._adam = kernels
        dense = model.layers
        self.sizes = np.array([dense[0].in_features] + [d.out_features for d in dense], np.int64)
        starts = {name: start for name, start, _, _ in pack.layout}
        self.offsets = np.array([starts[f"layer{i}.W"] for i in range(len(dense))], np.int64)
        width = int(self.sizes.max())
        self.acts = np.zeros((len(dense) + 1, batch_rows, width), model.dtype)
        self.deltas = np.zeros((2, batch_rows, width), model.dtype)

    def loss_and_gradients(self, xb: np.ndarray, tb: np.ndarray) -> float:
        """L of the batch (xb (n, k) rows, tb (n,) labels); the packed gradients filled."""
        return float(self._forward_backward(
            self.pack.params, self.pack.grads, xb, tb, self.sizes, self.offsets, self.acts,
            self.deltas,
        ))  # fmt: skip

    def update(self) -> None:
        """One Adam step on the packed parameters (the optimizer's count and state)."""
        opt = self.opt
        opt.t += 1
        state = opt._packed_state(self.pack)
        b1, b2 = opt.betas
        self._adam(self.pack.params, self.pack.grads, state["exp_avg"], state["exp_avg_sq"],
                   opt.lr, b1, b2, opt.eps, opt.t)  # fmt: skip


def eligible(model: Any, head: Any, opt: Any, loop: Any, total_steps: int) -> bool:
    """Whether this fit may take the compiled step (see the module docstring)."""
    from . import losses, optimizers
    from .layers import Dense

    layers = model.layers
    if model.xp is not np or model.dtype not in (np.float32, np.float64) or total_steps < MIN_STEPS:
        return False
    if loop.dist is not None or loop.source is not None or loop.w is not None:
        return False
    if loop.preds is not None or loop.has_penalty or getattr(loop.t, "ndim", 0) != 1:
        return False
    if not isinstance(loop.x, np.ndarray) or loop.x.dtype != model.dtype:
        return False
    if not layers or not all(type(layer) is Dense and layer.use_bias for layer in layers):
        return False
    names = [layer.activation.name for layer in layers]
    if names[-1] != "softmax" or any(name != "relu" for name in names[:-1]):
        return False
    if not (head.fused and type(head.loss) is losses.CrossEntropy):
        return False
    if type(opt) is not optimizers.Adam or opt.amsgrad or opt.weight_decay:
        return False
    if opt.clip_norm is not None or opt.clip_value is not None:
        return False
    widths = [layers[0].in_features] + [layer.out_features for layer in layers]
    macs = min(loop.bs, loop.n) * sum(a * b for a, b in itertools.pairwise(widths))
    return macs <= MAX_BATCH_MACS


def plan(model: Any, head: Any, opt: Any, loop: Any, total_steps: int) -> FusedStep | None:
    """The compiled step for this fit, or None (then the layer-by-layer step runs)."""
    if not eligible(model, head, opt, loop, total_steps):
        return None
    kernels = _compiled()
    if kernels is None:
        return None
    return FusedStep(model, opt, loop.pack, min(loop.bs, loop.n), kernels)
