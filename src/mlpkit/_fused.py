"""Compiled training steps (optional: ``mlpkit[fast]``, Numba), where they pay.

Three pieces, each tested against the NumPy code it stands in for (``tests/test_fused.py``);
``plan`` chooses them for a fit from its arguments alone, and ``train_state.compiled``
names what ran.

**The update** (``CompiledAdam``, any network size). NumPy's Adam on the packed
parameters is 12 passes over them (``_kernels.adam_``); the kernel makes the same
operations on each entry in one pass — same order, same precision, so the same bits —
about 4x faster on an MNIST-sized network (235k parameters: 306 → 70 µs a step, a
fifth of its epoch). For Adam and AdamW without AMSGrad on NumPy float parameters.

**The element-wise work around the products** (``BlasStep``, any network size). The
layers unrolled: the products stay the same BLAS calls, into buffers made once; bias +
ReLU forward and ReLU's vjp + the bias gradient backward become one pass each — the
same bits again. For Dense networks with ReLU hidden layers and any output layer and
head; where Numba does not pay it runs the same work as NumPy's in-place calls, which
still saves the layers' Python and allocations.

These two are taken where the time they save over the fit (``UPDATE_SAVING``,
``BLAS_SAVING`` a step) repays Numba's ``START_COST``: importing it and loading its
kernels from the disk cache (the very first compile, ~1.2 s more, is cached for later
processes).

**The forward and backward pass** of a small network (``FusedStep``). There most of a
NumPy step is the cost of calling NumPy (~35 calls of about half a microsecond each,
whatever the arrays' size), not arithmetic: one kernel runs ReLU hidden layers and the
fused softmax–cross-entropy head on class labels and returns the loss, so the NaN guard
still acts before the update. It computes what ``Sequential.loss_and_gradients``
computes, with its sums in another order (the last bits differ), so it is used only
where it changes nothing a user chose: NumPy arrays, float32 or float64, Dense layers
with biases and no regularisers, ReLU inside, a softmax output with cross-entropy on
labels, plain Adam (no AMSGrad, weight decay or clipping), no sample weights, train
metrics or callbacks that read the layers' activations, a single process, at most
``MAX_BATCH_MACS`` multiply-adds a batch (above that the products want BLAS), and a fit
of at least ``MIN_STEPS`` steps. A seed gives the same bits on every run.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, NamedTuple

import numpy as np

from . import _kernels

# bound once: the unrolled step calls them a few times a batch, where looking them up
# on the module is a measurable part of a small network's step
_dot = np.dot
_add_reduce = np.add.reduce

__all__ = [
    "BLAS_SAVING",
    "MAX_BATCH_MACS",
    "MIN_STEPS",
    "START_COST",
    "UPDATE_SAVING",
    "BlasStep",
    "CompiledAdam",
    "FusedStep",
    "Plan",
    "plan",
]

#: steps of one fit (epochs × batches) from which the compiled step is used: where its
#: ~21 µs a step saved repays Numba's start in a process that has not imported SciPy
#: (measured whole fits of 2-8-2, batch 4, fresh processes, NumPy vs compiled: 15,000
#: steps 0.39–0.41 vs 0.51–0.55 s; 22,500: 0.57–0.58 vs 0.54–0.58; 30,000: 0.77–0.78
#: vs 0.58–0.59)
MIN_STEPS = 22_500
#: rows × Σ k_in·k_out of a batch up to which plain loops beat NumPy's calls (measured
#: on this project's benchmark machine, µs a step, NumPy → compiled: 2-8-2 batch 4, 128
#: products, 28 → 4.3; 4-128-3 batch 4, 3,584: 34 → 18; 16-16-16-4 batch 16, 9,216:
#: 91 → 56; 20-64-64-2 batch 4, 22,016: 46 → 78, a loss)
MAX_BATCH_MACS = 8_192

#: seconds a process pays once before its first compiled piece: importing Numba and
#: loading the kernels from the disk cache (the first load starts Numba's compiler):
#: 0.52–0.63 s measured in five fresh processes
START_COST = 0.6
#: seconds the compiled update saves a step: (NumPy's 12 calls, per parameter), measured
#: µs a step NumPy → compiled, float32: 5,600 parameters 13.0 → 3.9; 60,000: 77 → 23;
#: 235,146 (784-256-128-10): 306 → 70; 1,000,000: 1,377 → 337
UPDATE_SAVING = (4e-6, 0.9e-9)
#: seconds BlasStep saves a step: (per hidden layer: NumPy's calls, per hidden activation
#: entry), fitted at or below what was measured, µs a step NumPy → compiled, float32:
#: 50-32-3 batch 16, 512 entries, 23.6 → 18.3; 20-64-64-2 b32, 4,096: 47.6 → 34.2;
#: 100-512-512-10 b64, 65,536: 934 → 896; 784-256-128-10 b128, 49,152: 884 → 821;
#: 784-1024-10 b256, 262,144: 5,020 → 4,872
BLAS_SAVING = (5e-6, 0.55e-9)


class Kernels(NamedTuple):
    """The compiled functions (Numba dispatchers), one per kernel below."""

    forward_backward: Any
    adam: Any
    bias_relu: Any
    relu_backward: Any


_KERNELS: Kernels | None = None

#: whether fit runs Dense networks with ReLU hidden layers through ``BlasStep`` (its
#: NumPy form where Numba does not pay); False keeps the layer-by-layer code, which the
#: tests compare it with
STACKED = True


def _compiled() -> Kernels | None:
    """The kernels, each compiled (or loaded from the disk cache) at its first call for
    each dtype; None without Numba."""
    global _KERNELS
    if _KERNELS is None:
        try:
            import numba
        except ImportError:
            return None
        jit = numba.njit(cache=True, nogil=True, error_model="numpy")
        _KERNELS = Kernels(
            *(jit(f) for f in (_forward_backward, _adam, _bias_relu, _relu_backward))
        )
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
    """``_kernels.adam_`` in one pass: the same operations on each entry, in the same
    order and precision (the scalars come in the arrays' dtype, as NumPy casts them), so
    the result is the same to the last bit. ``error_model="numpy"`` (no zero-division
    check) lets the loop vectorise; no fast-math, so nothing is reassociated or fused."""
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


class CompiledAdam:
    """``opt.step_packed(pack)`` for Adam and AdamW without AMSGrad, the update compiled:
    clipping, the step count and weight decay as the optimizer does them, then
    ``_kernels.adam_``'s passes as one loop — bit for bit the same parameters and state
    (``tests/test_fused.py``), about 5x faster on 235k float32 parameters."""

    def __init__(self, opt: Any, kernel: Any) -> None:
        self.opt, self.kernel = opt, kernel

    def __call__(self, pack: Any) -> None:
        opt = self.opt
        if opt.clip_norm is not None or opt.clip_value is not None:
            opt._clip([pack.grads])
        opt.t += 1
        state = opt._packed_state(pack)
        p = pack.params
        g = opt._decay(p, pack.grads) if opt.weight_decay else pack.grads
        real = p.dtype.type  # the kernel computes in p's dtype, as NumPy's passes do
        b1, b2 = opt.betas
        shift, scale = _kernels.adam_scalars(opt.lr, b1, b2, opt.eps, opt.t)
        self.kernel(p, g, state["exp_avg"], state["exp_avg_sq"], *opt._betas_as(real),
                    real(shift), real(scale))  # fmt: skip


class FusedStep:
    """The compiled forward and backward pass for one fit (its update: ``CompiledAdam``)."""

    def __init__(self, model: Any, pack: Any, batch_rows: int, kernels: Kernels) -> None:
        self.pack = pack
        self._forward_backward = kernels.forward_backward
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


class BlasStep:
    """``Sequential.loss_and_gradients`` for Dense networks with ReLU hidden layers (see
    ``blas_saving``), the layers unrolled: the products are the same NumPy (BLAS) calls,
    written into buffers made once per batch size, and around them the bias and the ReLU
    run together forward, the ReLU's vjp and the bias gradient together backward — as
    one compiled pass each with ``kernels``, as NumPy's in-place calls without
    (``_kernels.bias_relu_``, ``relu_backward_``). The output layer's affine part and the
    head are the layer-by-layer code. The same operations in the same order, so the same
    bits as the layers (``tests/test_fused.py``); without kernels it saves the layers'
    Python and allocations (a tabular step 65.8 → 60.9 µs)."""

    def __init__(self, model: Any, kernels: Kernels | None = None) -> None:
        self.layers = model.layers
        self.zero = np.zeros((), model.dtype)[()]
        #: whether the element-wise work runs compiled
        self.compiled = kernels is not None
        if kernels is None:
            self.bias_relu, self.relu_backward = _kernels.bias_relu_, _kernels.relu_backward_
        else:
            self.bias_relu, self.relu_backward = kernels.bias_relu, kernels.relu_backward
        self._plans: dict[int, tuple[Any, ...]] = {}

    def _plan_for(self, rows: int) -> tuple[Any, ...]:
        """What a batch of ``rows`` rows runs through, its buffers made once (for the full
        batches and the last, shorter one): the hidden layers with their outputs A (rows,
        k_out); the output layer with Z (rows, n_outputs); and, from the last layer down
        to the second, (layer, its input A and Aᵀ, the buffer for dL/dA (rows, k_in), the
        layer below)."""
        if len(self._plans) >= 2:
            self._plans.clear()
        layers, dtype = self.layers, self.zero.dtype
        outputs = [np.empty((rows, layer.out_features), dtype) for layer in layers]
        hidden = list(zip(layers[:-1], outputs, strict=False))
        backward = [
            (layers[i], outputs[i - 1], outputs[i - 1].T,
             np.empty((rows, layers[i].in_features), dtype), layers[i - 1])
            for i in range(len(layers) - 1, 0, -1)
        ]  # fmt: skip
        made = self._plans[rows] = (hidden, layers[-1], outputs[-1], backward)
        return made

    def loss_and_gradients(
        self, x: np.ndarray, t: np.ndarray, head: Any, sample_weight: np.ndarray | None = None
    ) -> tuple[float, np.ndarray, None]:
        """As ``Sequential.loss_and_gradients(x, t, head, sample_weight)``: x (N, k_in),
        t the head's targets, sample_weight (N,) or None -> (L, Z (N, n_outputs), None),
        the gradients filled. Z is a buffer that the next call of the same N overwrites.
        (NumPy's calls take their outputs by position: the keyword costs each call.)"""
        hidden, last, z, backward = self._plans.get(x.shape[0]) or self._plan_for(x.shape[0])
        bias_relu, zero = self.bias_relu, self.zero
        h = x
        for layer, a in hidden:  # A = max(X W + b, 0)
            _dot(h, layer.W, a)
            bias_relu(a, layer.b, zero)
            layer._x, layer._z, layer._a = h, None, a  # what a layer keeps (Z: overwritten)
            h = a
        _dot(h, last.W, z)
        z += last.b
        last._x, last._z, last._a = h, z, None
        value, dz = head.value_and_grad(z, t, sample_weight)
        _add_reduce(dz, 0, None, last.db)
        relu_backward = self.relu_backward
        for layer, a, a_t, da, below in backward:  # dW = Aᵀ dZ; dZ_below = dZ Wᵀ ⊙ 1[A > 0]
            _dot(a_t, dz, layer.dW)
            _dot(dz, layer.W.T, da)
            relu_backward(a, da, below.db, zero)
            dz = da
        _dot(x.T, dz, self.layers[0].dW)
        return value, z, None


def eligible(
    model: Any, head: Any, opt: Any, loop: Any, total_steps: int, layers_read: bool = False
) -> bool:
    """Whether this fit may take the compiled step (see the module docstring);
    ``layers_read``: a callback reads the layers' activations, which it does not keep."""
    from . import losses, optimizers

    layers = model.layers
    if (
        total_steps < MIN_STEPS
        or not _relu_stack(model, loop)
        or layers[-1].activation.name != "softmax"
    ):
        return False
    if layers_read or loop.w is not None:
        return False
    if loop.preds is not None or loop.has_penalty or getattr(loop.t, "ndim", 0) != 1:
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


def _relu_stack(model: Any, loop: Any) -> bool:
    """What every piece here needs: NumPy float rows of the model's dtype, in memory, one
    process; Dense layers with biases and no regularisers; ReLU in every hidden layer."""
    from .layers import Dense

    if model.xp is not np or model.dtype not in (np.float32, np.float64):
        return False
    if loop.dist is not None or loop.source is not None:
        return False
    if not isinstance(loop.x, np.ndarray) or loop.x.dtype != model.dtype:
        return False
    for layer in model.layers:
        if type(layer) is not Dense or not layer.use_bias:
            return False
        if layer.regularizer is not None or layer.bias_regularizer is not None:
            return False
    return bool(model.layers) and all(
        layer.activation.name == "relu" for layer in model.layers[:-1]
    )


def update_saving(opt: Any, pack: Any) -> float:
    """Seconds a step the compiled update saves this fit (``UPDATE_SAVING``), or 0 where it
    does not apply: Adam or AdamW without AMSGrad on NumPy float parameters."""
    from . import optimizers

    if type(opt) not in (optimizers.Adam, optimizers.AdamW) or opt.amsgrad:
        return 0.0
    p = pack.params
    if type(p) is not np.ndarray or p.dtype not in (np.float32, np.float64):
        return 0.0
    fixed, per_parameter = UPDATE_SAVING
    return fixed + per_parameter * p.size


def blas_saving(model: Any, loop: Any) -> float:
    """Seconds a step ``BlasStep`` saves this fit (``BLAS_SAVING``), or 0 where it does not
    apply: NumPy float rows of the model's dtype, in memory, one process; Dense layers
    with biases and no regularisers, ReLU in every hidden layer (the output layer and
    its head may be any)."""
    layers = model.layers
    if len(layers) < 2 or not _relu_stack(model, loop):
        return 0.0
    fixed, per_entry = BLAS_SAVING
    hidden = sum(layer.out_features for layer in layers[:-1])
    return fixed * (len(layers) - 1) + per_entry * min(loop.bs, loop.n) * hidden


class Plan(NamedTuple):
    """What of a fit's step runs compiled; None for each piece that runs in NumPy."""

    #: a small network's whole forward and backward pass (a different order of sums)
    step: FusedStep | None = None
    #: the layers unrolled, the element-wise work compiled or NumPy's (the same bits)
    blas: BlasStep | None = None
    #: Adam's update (the same bits)
    update: CompiledAdam | None = None

    @property
    def name(self) -> str:
        """ "" (nothing), "step", or "elementwise", "update" or both joined by "+"."""
        if self.step is not None:
            return "step"
        pieces = (("elementwise", self.blas and self.blas.compiled), ("update", self.update))
        return "+".join(name for name, piece in pieces if piece)


def plan(
    model: Any, head: Any, opt: Any, loop: Any, total_steps: int, layers_read: bool = False
) -> Plan:
    """The pieces this fit takes. The compiled whole step where ``eligible`` allows it;
    otherwise ``BlasStep`` for every network it applies to (``STACKED``), and the pieces
    that give the same bits compiled — its element-wise work and the update — where the
    time they save over the fit repays Numba's ``START_COST``. The choice depends on the
    fit's arguments alone (not on whether Numba has run in this process already): the
    same fit takes the same path in every process, and a short fit stays NumPy's."""
    whole = eligible(model, head, opt, loop, total_steps, layers_read)
    blas = blas_saving(model, loop) if STACKED else 0.0
    update = update_saving(opt, loop.pack)
    pays = (blas or update) and total_steps * (blas + update) >= START_COST
    kernels = _compiled() if whole or pays else None
    if whole and kernels is not None:
        step = FusedStep(model, loop.pack, min(loop.bs, loop.n), kernels)
        return Plan(step, None, CompiledAdam(opt, kernels.adam))
    return Plan(
        None,
        BlasStep(model, kernels) if blas else None,  # NumPy's element-wise work without kernels
        CompiledAdam(opt, kernels.adam) if update and kernels is not None else None,
    )
