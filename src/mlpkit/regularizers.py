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
    """Base class: ``penalty(W) -> float`` and ``gradient(W) -> array like W``.

    Examples
    --------
    >>> import mlpkit
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 2, regularizer=mlpkit.L2(0.01))], seed=0)
    >>> net.penalty() > 0
    True
    """

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
    """R(W) = α · ½ Σ w²;  ∇R = α W  (the backpropagation handout).

    Parameters
    ----------
    alpha : float, default 1e-4
        The strength α.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.regularizers import L2
    >>> W = np.array([[1.0, -2.0]])
    >>> reg = L2(0.1)
    >>> round(reg.penalty(W), 4), reg.gradient(W).tolist()
    (0.25, [[0.1, -0.2]])
    """

    name = "l2"

    def penalty(self, w: Array) -> float:
        if type(w) is not np.ndarray:  # a 0-d array on w's device
            return cast("float", 0.5 * self.alpha * namespace_of(w).sum(w * w))
        flat = w.ravel()
        return 0.5 * self.alpha * float(np.dot(flat, flat))

    def gradient(self, w: Array) -> Array:
        return self.alpha * w


class L1(_Scaled):
    """``R(W) = α Σ |w|``;  ∇R = α sign(w) (0 at w = 0).

    Parameters
    ----------
    alpha : float, default 1e-4
        The strength α.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.regularizers import L1
    >>> W = np.array([[1.0, -2.0]])
    >>> reg = L1(0.1)
    >>> round(reg.penalty(W), 4), reg.gradient(W).tolist()
    (0.3, [[0.1, -0.1]])
    """

    name = "l1"

    def penalty(self, w: Array) -> float:
        if type(w) is not np.ndarray:  # a 0-d array on w's device
            xp = namespace_of(w)
            return cast("float", self.alpha * xp.sum(xp.abs(w)))
        return self.alpha * float(np.abs(w).sum())

    def gradient(self, w: Array) -> Array:
        return self.alpha * namespace_of(w).sign(w)


class L1L2(Regularizer):
    """``R(W) = l1 Σ|w|`` + l2 · ½ Σ w² (elastic net).

    Parameters
    ----------
    l1 : float, default 0.0
        The L1 strength.
    l2 : float, default 0.0
        The L2 strength.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.regularizers import L1L2
    >>> W = np.array([[1.0, -2.0]])
    >>> reg = L1L2(l1=0.1, l2=0.1)
    >>> round(reg.penalty(W), 4), reg.gradient(W).tolist()
    (0.55, [[0.2, -0.30000000000000004]])
    """

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
    """A regulariser from None, an instance, or a name with its default strength.

    Parameters
    ----------
    reg : Regularizer, str or None
        "l1", "l2", "l1l2" or an instance.

    Returns
    -------
    Regularizer or None
        None for None.

    Examples
    --------
    >>> import mlpkit
    >>> mlpkit.regularizers.get("l2"), mlpkit.regularizers.get(None)
    (L2(alpha=0.0001), None)
    """
    return None if reg is None else REGISTRY.create(reg)


def to_config(reg: Regularizer | None) -> dict[str, Any] | None:
    """The file format's form of a regulariser.

    Parameters
    ----------
    reg : Regularizer or None
        The regulariser.

    Returns
    -------
    dict or None
        ``{"name": ..., "config": {...}}``; None for no regulariser.

    Examples
    --------
    >>> import mlpkit
    >>> mlpkit.regularizers.to_config(mlpkit.L1(0.5))
    {'name': 'l1', 'config': {'alpha': 0.5}}
    """
    return None if reg is None else {"name": reg.name, "config": reg.get_config()}


def from_config(spec: dict[str, Any] | None) -> Regularizer | None:
    """The regulariser a :func:`to_config` form describes.

    Parameters
    ----------
    spec : dict or None
        The ``{"name": ..., "config": {...}}`` form.

    Returns
    -------
    Regularizer or None
        None for None.

    Examples
    --------
    >>> import mlpkit
    >>> mlpkit.regularizers.from_config({"name": "l2", "config": {"alpha": 0.5}})
    L2(alpha=0.5)
    """
    return None if spec is None else REGISTRY.create(spec["name"], **spec["config"])
