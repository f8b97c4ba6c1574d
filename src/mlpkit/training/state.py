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

    Parameters
    ----------
    model : Sequential
        The model whose parameters are packed.

    Examples
    --------
    >>> import mlpkit
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 3), mlpkit.Dense(3, 1)], seed=0)
    >>> pack = mlpkit.training.ParameterPack(net)
    >>> pack.params.shape, [name for name, *_ in pack.layout]
    ((13,), ['layer0.W', 'layer0.b', 'layer1.W', 'layer1.b'])
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
        """Whether ``model``'s parameters and gradients still live in this pack.

        A copy of the model, or a parameter array the user replaced, no longer does.

        Parameters
        ----------
        model : Sequential
            The model.

        Returns
        -------
        bool
            True while the views hold.
        """
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
    """What a model keeps between ``fit`` calls so that training resumes where it stopped.

    The random generator is the model's own (``model.rng``), shared with its layers.

    Parameters
    ----------
    loss, optimizer : Loss, Optimizer
        The last fit's (the optimizer with its state).
    metrics : list of Metric
        The last fit's metrics.
    history : History
        The last fit's History.
    epochs, steps : int
        The epochs and steps trained so far.
    stop : bool
        Set by a callback to end fit after the epoch.
    halt : bool
        Set by a callback during a batch (before its update) to end fit at once.
    pack : ParameterPack
        The packed parameters.
    strategy : DataParallel
        The last fit's strategy, if any (saving happens on rank 0 only).
    step : str
        The step the last fit ran: "layers" (layer by layer, the reference), "unrolled"
        (the layers unrolled, NumPy), "compiled" (with Numba's element-wise pieces) or
        "fused" (asked for: the whole step compiled).
    update : str
        The optimizer kernel the last fit ran: "rule" (the optimizer's ``_update``),
        "passes", "stacked" or "compiled" (Adam's kernels, the same bits).
    step_request : str
        What fit was asked for (``fit(step=...)``), kept across fits and saves.
    choice : dict
        How the last choice was made: ``{"how": ..., "seconds": {candidate: seconds}}``.
    plan : object
        The chosen step and update, kept for the next fit of the same kind.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(100, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "relu"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> history = net.fit(X, y, epochs=2, verbose=0)
    >>> net.train_state.epochs, net.train_state.step in ("layers", "unrolled", "compiled")
    (2, True)
    """

    loss: Any = None
    optimizer: Any = None
    metrics: list[Any] = field(default_factory=list)
    history: History | None = None
    epochs: int = 0
    steps: int = 0
    stop: bool = False
    halt: bool = False
    pack: ParameterPack | None = None
    strategy: Any = None
    step: str = ""
    update: str = ""
    step_request: str = "auto"
    choice: dict[str, Any] = field(default_factory=dict)
    plan: Any = None

    def packed(self, model: Any) -> ParameterPack:
        """The model's parameter pack, made (or made again) when needed.

        Parameters
        ----------
        model : Sequential
            The model.

        Returns
        -------
        ParameterPack
            The pack.
        """
        if self.pack is None or not self.pack.holds(model):
            self.pack = ParameterPack(model)
            self.plan = None
        return self.pack
