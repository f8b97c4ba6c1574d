"""The training step, in named pieces: a *step* computes one batch's loss and fills the
packed gradients, an *update* applies the optimizer to the packed parameters.

=========  ===================================================  ======================
step       what runs                                            bits
=========  ===================================================  ======================
layers     ``Sequential.loss_and_gradients``, layer by layer    the reference
unrolled   Dense/ReLU networks: the same BLAS calls into        the reference's
           buffers made once per batch size; bias + ReLU and
           ReLU's gradient + the bias gradient as NumPy's
           in-place calls
compiled   ``unrolled`` with those two as Numba passes          the reference's
fused      asked for (``fit(step="fused")``): a small           its sums in another
           ReLU/softmax network's whole step in compiled loops  order (``FUSED_RTOL``)
=========  ===================================================  ======================

=========  ===================================================  ======================
update     what runs                                            bits
=========  ===================================================  ======================
rule       the optimizer's ``_update`` on the packed vector     the reference
passes     Adam, AdamW: 12 in-place passes (``_kernels.adam_``) the rule's
stacked    Adam, AdamW: m and v as the rows of one array,       the rule's
           10 calls (``_kernels.StackedAdam``)
compiled   Adam, AdamW without AMSGrad: one Numba pass          the rule's
=========  ===================================================  ======================

Which of them a fit takes is decided in ``choose.py``; every class here does one job
and is tested against the reference in ``tests/test_exactness.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _kernels

# bound once: the unrolled step calls them a few times a batch, where looking them up
# on the module is a measurable part of a small network's step
_dot = np.dot
_add_reduce = np.add.reduce

__all__ = [
    "FUSED_RTOL",
    "AdamCompiled",
    "AdamPasses",
    "AdamStacked",
    "FusedStep",
    "LayerStep",
    "RuleUpdate",
    "UnrolledStep",
]

#: relative agreement of the fused step's loss and gradients with the layer-by-layer
#: step's, per step, by dtype (tested); over many steps the two trajectories drift
#: apart as any two orders of summation do
FUSED_RTOL = {"float32": 2e-5, "float64": 1e-12}


# -- steps ------------------------------------------------------------------------------
class LayerStep:
    """The reference: ``model.loss_and_gradients``, every layer's own forward and
    backward. Runs on every model, every array library, every kind of X."""

    name = "layers"
    exact = True

    def __init__(self, model: Any) -> None:
        self.model = model
        self.head: Any = None

    def __call__(self, x: Any, t: Any, w: Any) -> tuple[float, Any]:
        """(L of the batch without the penalty, Z (rows, n_outputs)); the gradients filled."""
        value, z, _ = self.model.loss_and_gradients(x, t, self.head, w)
        return value, z


class UnrolledStep:
    """``LayerStep`` for Dense networks with ReLU hidden layers, the layers unrolled: the
    products are the same NumPy (BLAS) calls, written into buffers made once per batch
    size, and around them the bias and the ReLU run together forward, ReLU's gradient
    mask and the bias gradient together backward — as NumPy's in-place calls
    (``_kernels.bias_relu_``, ``relu_backward_``), or as one Numba pass each with
    ``kernels`` ("compiled"). The output layer's affine part and the head are the
    layers' own code. The same operations in the same order, so the same bits; it keeps
    what the layers keep of the last batch (their inputs and activations)."""

    exact = True

    def __init__(self, model: Any, kernels: Any = None) -> None:
        self.layers = model.layers
        self.zero = np.zeros((), model.dtype)[()]
        self.head: Any = None
        self.name = "unrolled" if kernels is None else "compiled"
        if kernels is None:
            self.bias_relu, self.relu_backward = _kernels.bias_relu_, _kernels.relu_backward_
        else:
            self.bias_relu, self.relu_backward = kernels.bias_relu, kernels.relu_backward
        self._plans: dict[int, tuple[Any, ...]] = {}

    def _plan_for(self, rows: int) -> tuple[Any, ...]:
        """What a batch of ``rows`` rows runs through, its buffers made once (for the full
        batches and the last, shorter one): the hidden layers with their outputs A (rows,
        k_out) and the zero their ReLU takes; the output layer with Z (rows, n_outputs);
        and, from the last layer down to the second, (layer, its input A and Aᵀ, the
        buffer for dL/dA (rows, k_in), the layer below)."""
        if len(self._plans) >= 2:
            self._plans.clear()
        layers, dtype = self.layers, self.zero.dtype
        outputs = [np.empty((rows, layer.out_features), dtype) for layer in layers]
        # the zero each ReLU takes its maximum against: the compiled kernel's scalar, or
        # NumPy's fastest (``_kernels.zeros_of``: a zeros array for a large batch)
        zeros = [self.zero if self.name == "compiled" else _kernels.zeros_of(a) for a in outputs]
        hidden = list(zip(layers[:-1], outputs, zeros, strict=False))
        backward = [
            (layers[i], outputs[i - 1], outputs[i - 1].T,
             np.empty((rows, layers[i].in_features), dtype), layers[i - 1])
            for i in range(len(layers) - 1, 0, -1)
        ]  # fmt: skip
        made = self._plans[rows] = (hidden, layers[-1], outputs[-1], backward)
        return made

    def __call__(self, x: np.ndarray, t: Any, w: Any) -> tuple[float, np.ndarray]:
        """As ``LayerStep``: x (rows, k_in), t the head's targets, w (rows,) or None ->
        (L, Z (rows, n_outputs)), the gradients filled. Z is a buffer that the next call
        with as many rows overwrites. (NumPy's calls take their outputs by position: the
        keyword costs each call.)"""
        hidden, last, z, backward = self._plans.get(x.shape[0]) or self._plan_for(x.shape[0])
        bias_relu, zero = self.bias_relu, self.zero
        h = x
        for layer, a, a_zero in hidden:  # A = max(X W + b, 0)
            _dot(h, layer.W, a)
            bias_relu(a, layer.b, a_zero)
            layer._x, layer._z, layer._a = h, None, a  # what a layer keeps (Z: overwritten)
            h = a
        _dot(h, last.W, z)
        z += last.b
        last._x, last._z, last._a = h, z, None
        value, dz = self.head.value_and_grad(z, t, w)
        _add_reduce(dz, 0, None, last.db)
        relu_backward = self.relu_backward
        for layer, a, a_t, da, below in backward:  # dW = Aᵀ dZ; dZ_below = dZ Wᵀ ⊙ 1[A > 0]
            _dot(a_t, dz, layer.dW)
            _dot(dz, layer.W.T, da)
            relu_backward(a, da, below.db, zero)
            dz = da
        _dot(x.T, dz, self.layers[0].dW)
        return value, z


class FusedStep:
    """A small ReLU/softmax network's whole forward and backward pass as one compiled
    loop nest (``_numba.forward_backward``): the mean cross-entropy of class labels, the
    packed gradients filled. Its sums run in another order than BLAS's, so it agrees
    with the reference to ``FUSED_RTOL``, not to the bit; only ``fit(step="fused")``
    takes it. It keeps nothing of the batch in the layers and returns no Z."""

    name = "fused"
    exact = False

    def __init__(self, model: Any, pack: Any, batch_rows: int, kernels: Any) -> None:
        self.pack = pack
        self.head: Any = None
        self._forward_backward = kernels.forward_backward
        dense = model.layers
        self.sizes = np.array([dense[0].in_features] + [d.out_features for d in dense], np.int64)
        starts = {name: start for name, start, _, _ in pack.layout}
        self.offsets = np.array([starts[f"layer{i}.W"] for i in range(len(dense))], np.int64)
        width = int(self.sizes.max())
        self.acts = np.zeros((len(dense) + 1, batch_rows, width), model.dtype)
        self.deltas = np.zeros((2, batch_rows, width), model.dtype)

    def __call__(self, x: np.ndarray, t: np.ndarray, w: None) -> tuple[float, None]:
        """(L of the batch: x (rows, k) rows, t (rows,) labels, None); gradients filled."""
        value = self._forward_backward(self.pack.params, self.pack.grads, x, t, self.sizes,
                                       self.offsets, self.acts, self.deltas)  # fmt: skip
        return float(value), None


# -- updates ----------------------------------------------------------------------------
class RuleUpdate:
    """The reference: the optimizer's own rule (``_update``) once over the packed vector,
    with its clipping and step count (``Optimizer.step_packed``). Any optimizer. Each
    update is ``opt.step_packed(pack, kernel)``: the loop calls that itself (one call a
    step fewer)."""

    name = "rule"
    kernel: Any = None

    def __init__(self, opt: Any) -> None:
        self.opt = opt

    def __call__(self, pack: Any) -> None:
        self.opt.step_packed(pack, self.kernel)


class _AdamKernel:
    """What Adam's kernels share: the rule's weight decay, its step constants, and its
    betas as NumPy scalars of the parameters' dtype (what NumPy casts a Python float to
    against such an array, so the same result; kept between steps, as a Python float is
    converted again at every call)."""

    def __init__(self, opt: Any) -> None:
        self.opt = opt
        self._cast: tuple[Any, ...] = ((), None, None, None)

    def betas_as(self, real: Any) -> tuple[Any, Any]:
        cast, betas = self._cast, self.opt.betas
        if cast[0] != betas or cast[1] is not real:
            cast = self._cast = (betas, real, real(betas[0]), real(betas[1]))
        return cast[2], cast[3]


class _PassesKernel(_AdamKernel):
    def __init__(self, opt: Any) -> None:
        super().__init__(opt)
        self.scratch: np.ndarray | None = None

    def __call__(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        opt = self.opt
        if opt.weight_decay:
            g = opt._decay(p, g)
        shift, scale = opt.step_constants()
        scratch = self.scratch
        if scratch is None or scratch.shape != p.shape or scratch.dtype != p.dtype:
            scratch = self.scratch = np.empty_like(p)
        _kernels.adam_(p, g, state["exp_avg"], state["exp_avg_sq"], scratch,
                       *self.betas_as(p.dtype.type), shift, scale, state.get("max_exp_avg_sq"))  # fmt: skip


class _StackedKernel(_PassesKernel):
    def __init__(self, opt: Any) -> None:
        super().__init__(opt)
        self.stacked: _kernels.StackedAdam | None = None

    def make_state(self, p: np.ndarray) -> dict[str, np.ndarray]:
        """The packed state with m and v as the two rows of one (2, P) array."""
        self.stacked = stacked = _kernels.StackedAdam(np.zeros((2, p.shape[0]), p.dtype))
        state = {"exp_avg": stacked.m, "exp_avg_sq": stacked.v}
        if self.opt.amsgrad:
            state["max_exp_avg_sq"] = np.zeros_like(p)
        return state

    def __call__(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        stacked = self.stacked
        if stacked is None or stacked.m is not state["exp_avg"]:
            super().__call__(p, g, state)  # (a state laid out by another kernel)
            return
        opt = self.opt
        if opt.weight_decay:
            g = opt._decay(p, g)
        shift, scale = opt.step_constants()
        beta1, beta2 = opt.betas
        stacked(p, g, beta1, beta2, shift, scale, state.get("max_exp_avg_sq"))


class _CompiledKernel(_AdamKernel):
    def __init__(self, opt: Any, kernels: Any) -> None:
        super().__init__(opt)
        self.adam = kernels.adam

    def __call__(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        opt = self.opt
        if opt.weight_decay:
            g = opt._decay(p, g)
        real = p.dtype.type  # the kernel computes in p's dtype, as NumPy's passes do
        shift, scale = opt.step_constants()
        self.adam(p, g, state["exp_avg"], state["exp_avg_sq"], *self.betas_as(real),
                  real(shift), real(scale))  # fmt: skip


class AdamPasses(RuleUpdate):
    """Adam's rule as 12 in-place NumPy passes with one scratch buffer (no temporaries)."""

    name = "passes"

    def __init__(self, opt: Any) -> None:
        super().__init__(opt)
        self.kernel = _PassesKernel(opt)


class AdamStacked(RuleUpdate):
    """Adam's rule with m and v as the rows of one (2, P) array: 10 calls instead of 12,
    which pays where the calls' cost is the step's (small networks)."""

    name = "stacked"

    def __init__(self, opt: Any) -> None:
        super().__init__(opt)
        self.kernel = _StackedKernel(opt)


class AdamCompiled(RuleUpdate):
    """Adam's rule (not AMSGrad) as one compiled pass over the entries."""

    name = "compiled"

    def __init__(self, opt: Any, kernels: Any) -> None:
        super().__init__(opt)
        self.kernel = _CompiledKernel(opt, kernels)
