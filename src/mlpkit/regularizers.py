"""Weight penalties R(W) added to the training loss, with their gradients.

The backpropagation handout regularises with R(W) = ½‖W‖²_F, whose gradient is W, giving the update
W ← W − η(∇_W l + α W). ``L2(alpha)`` is exactly that: penalty α·½Σw², gradient α·W.
(The backpropagation handout also writes ½‖W‖²_F = ``(Σ|w|²)^½``; the square root is a slip — the stated
gradient W is the gradient of the squared norm.) Keras's ``L2(l2)`` has no ½, so
Keras's l2 equals our alpha / 2; scikit-learn's ``alpha`` divides by the sample count.
``L1(alpha)`` is ``α·Σ|w|`` with sub-gradient α·sign(w).
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from ._backend import Array, namespace_of
from ._registry import Registry, config_repr

__all__ = ["L1", "L1L2", "L2", "Regularizer", "from_config", "get", "to_config"]


class Regularizer:
    """Base class: ``penalty(W) -> float`` and ``gradient(W) -> array like W``."""

    name = ""

    def penalty(self, w: Array) -> float:
        raise NotImplementedError

    def gradient(self, w: Array) -> Array:
        raise NotImplementedError

    def get_config(self) -> dict[str, float]:
        raise NotImplementedError

    __repr__ = config_repr


class _Scaled(Regularizer):
    """A penalty scaled by ``alpha`` >= 0."""

    def __init__(self, alpha: float = 1e-4) -> None:
        if alpha < 0:
            raise ValueError(f"{type(self).__name__} alpha must be >= 0, got {alpha}")
        self.alpha = float(alpha)

    def get_config(self) -> dict[str, float]:
        return {"alpha": self.alpha}


class L2(_Scaled):
    """R(W) = α · ½ Σ w²;  ∇R = α W  (the backpropagation handout)."""

    name = "l2"

    def penalty(self, w: Array) -> float:
        if type(w) is not np.ndarray:  # a 0-d array on w's device
            return cast("float", 0.5 * self.alpha * namespace_of(w).sum(w * w))
        flat = w.ravel()
        return 0.5 * self.alpha * float(np.dot(flat, flat))

    def gradient(self, w: Array) -> Array:
        return self.alpha * w


class L1(_Scaled):
    """``R(W) = α Σ |w|``;  ∇R = α sign(w) (0 at w = 0)."""

    name = "l1"

    def penalty(self, w: Array) -> float:
        if type(w) is not np.ndarray:  # a 0-d array on w's device
            xp = namespace_of(w)
            return cast("float", self.alpha * xp.sum(xp.abs(w)))
        return self.alpha * float(np.abs(w).sum())

    def gradient(self, w: Array) -> Array:
        return self.alpha * namespace_of(w).sign(w)


class L1L2(Regularizer):
    """``R(W) = l1 Σ|w|`` + l2 · ½ Σ w² (elastic net)."""

    name = "l1l2"

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self._l1, self._l2 = L1(l1), L2(l2)

    def penalty(self, w: Array) -> float:
        return self._l1.penalty(w) + self._l2.penalty(w)

    def gradient(self, w: Array) -> Array:
        return self._l1.gradient(w) + self._l2.gradient(w)

    def get_config(self) -> dict[str, float]:
        return {"l1": self._l1.alpha, "l2": self._l2.alpha}


REGISTRY: Registry[Regularizer] = Registry("regularizer", Regularizer, (L1, L2, L1L2))


def get(reg: Regularizer | str | None) -> Regularizer | None:
    """None, an instance, or a name with default strength ("l1", "l2")."""
    return None if reg is None else REGISTRY.create(reg)


def to_config(reg: Regularizer | None) -> dict[str, Any] | None:
    """{"name": ..., "config": {...}} (None for no regulariser): the file format's form."""
    return None if reg is None else {"name": reg.name, "config": reg.get_config()}


def from_config(spec: dict[str, Any] | None) -> Regularizer | None:
    """The inverse of :func:`to_config`."""
    return None if spec is None else REGISTRY.create(spec["name"], **spec["config"])
