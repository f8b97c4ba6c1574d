"""What a model carries between ``fit`` calls: its parameters packed end to end, and the
training state (loss, optimizer, counters, the step that ran)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._backend import dtype_of
from ..callbacks.base import History

__all__ = ["ParameterPack", "TrainingState"]


class ParameterPack:
    """Every parameter of a model laid end to end in one vector, and every gradient in
    another, so the optimizer can update the whole network in a few vectorised passes
    instead of a loop over arrays (for small networks most of a training step).

    The layers keep their arrays as views of the two vectors (``Layer.use_buffers``).
    ``layout`` lists (name, start, stop, shape) per parameter; ``grad_views`` holds each
    parameter's gradient (the model's ``gradients()``), views of ``grads``.

    Views of one buffer work the same on NumPy, PyTorch and CuPy (slices and reshapes of
    a contiguous vector share its memory), and on array-api-strict, which wraps NumPy.
    """

    def __init__(self, model: Any) -> None:
        named = model.named_parameters()
        total = sum(math.prod(p.shape) for p in named.values())
        xp, device = model.xp, model.device
        dtype = dtype_of(xp, model.dtype)
        if xp is np:
            self.params = np.empty(total, dtype=model.dtype)
            #: the gradients and one slot more, for the loss: what data-parallel training
            #: sums over its processes in a single Allreduce
            self.buffer = np.zeros(total + 1, dtype=model.dtype)
        else:
            self.params = xp.empty(total, dtype=dtype, device=device)
            self.buffer = xp.zeros(total + 1, dtype=dtype, device=device)
        self.grads = self.buffer[:total]
        self.layout: list[tuple[str, int, int, tuple[int, ...]]] = []
        self.grad_views: list[Any] = []
        self._views: list[Any] = []
        start = 0
        for i, layer in enumerate(model.layers):
            views_p, views_g = [], []
            for name in layer.param_names:
                shape = tuple(getattr(layer, name).shape)
                stop = start + math.prod(shape)
                views_p.append(_view(xp, self.params, start, stop, shape))
                views_g.append(_view(xp, self.grads, start, stop, shape))
                self.layout.append((f"layer{i}.{name}", start, stop, shape))
                start = stop
            layer.use_buffers(views_p, views_g)
            self.grad_views += views_g
            self._views += [*views_p, *views_g]

    @property
    def size(self) -> int:
        """The number of parameters."""
        return int(self.params.shape[0])

    def holds(self, model: Any) -> bool:
        """Whether ``model``'s parameters and gradients still live in this pack (a copy
        of the model, or a parameter array the user replaced, no longer does)."""
        if type(self.params) is not np.ndarray:
            held = {id(a) for a in (*model.parameters(), *model.gradients())}
            return held == {id(v) for v in self._views}
        # (NumPy gives a view of a view the array that owns the memory as its base)
        return all(p.base is self.params for p in model.parameters()) and all(
            g.base is self.buffer for g in model.gradients()
        )


def _view(xp: Any, vector: Any, start: int, stop: int, shape: tuple[int, ...]) -> Any:
    """vector[start:stop] seen as ``shape``, sharing its memory."""
    if xp is np:
        return vector[start:stop].reshape(shape)
    return xp.reshape(vector[start:stop], shape)


@dataclass
class TrainingState:
    """What a model keeps between ``fit`` calls so that training resumes where it
    stopped: the loss and optimizer (with its state), the metrics, the epoch and step
    counts, the last History, the parameter pack, and the step that ran. The random
    generator is the model's own (``model.rng``), shared with its layers."""

    loss: Any = None
    optimizer: Any = None
    metrics: list[Any] = field(default_factory=list)
    history: History | None = None
    epochs: int = 0
    steps: int = 0
    stop: bool = False
    #: set by a callback during a batch (before its update) to end fit at once
    halt: bool = False
    pack: ParameterPack | None = None
    #: the DataParallel strategy of the last fit, if any (saving happens on rank 0 only)
    strategy: Any = None
    #: the step the last fit ran (``mlpkit.training.steps``): "layers" (layer by layer,
    #: the reference), "unrolled" (the layers unrolled, NumPy), "compiled" (the same
    #: with Numba's element-wise pieces) or "fused" (asked for: the whole step compiled)
    step: str = ""
    #: the optimizer kernel the last fit ran: "rule" (the optimizer's ``_update``),
    #: "passes", "stacked" or "compiled" (Adam's kernels, the same bits)
    update: str = ""
    #: what fit was asked for (``fit(step=...)``), kept so a later fit and a saved and
    #: loaded model continue on it: "auto" or a step's name
    step_request: str = "auto"
    #: how the last choice was made: {"how": ..., "seconds": {candidate: seconds a call}}
    choice: dict[str, Any] = field(default_factory=dict)
    #: the chosen step and update objects, kept for the next fit of the same kind
    plan: Any = None

    def packed(self, model: Any) -> ParameterPack:
        """The model's parameter pack, made (or made again) when needed."""
        if self.pack is None or not self.pack.holds(model):
            self.pack = ParameterPack(model)
            self.plan = None
        return self.pack
