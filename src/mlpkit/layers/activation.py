"""Standalone activation layers ``A = f(X)``: ``ActivationLayer(name)`` and the named
classes ``ReLU()``, ``Tanh()``, ..., each the same with its activation fixed."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from .. import activations as act
from .base import Layer

__all__ = ["ELU", "GELU", "SELU", "ActivationLayer", "Exp", "Identity", "LeakyReLU", "ReLU",
           "SiLU", "Sigmoid", "Softmax", "Softplus", "Tanh", "activation_layer"]  # fmt: skip


class ActivationLayer(Layer):
    """A standalone activation ``A = f(X)``, element-wise (softmax: row-wise).

    ``ActivationLayer("tanh")`` takes any activation by name or instance; the named
    subclasses (``ReLU()``, ``Tanh()``, ...) are the same with their activation fixed.

    Parameters
    ----------
    activation : str or Activation, optional
        For ``ActivationLayer``: the activation by name or instance. The named layers
        (``ReLU()``, ``Tanh()``, ...) have theirs fixed; leave it out.
    **config : float
        The activation's own settings (``negative_slope``, ``alpha``), if it has any.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.layers import ActivationLayer
    >>> ActivationLayer("leaky_relu", negative_slope=0.1).forward(np.array([[-1.0, 1.0]])).tolist()
    [[-0.1, 1.0]]
    """

    activation_cls: type[act.Activation] = act.Identity
    config_type = "Activation"

    def __init__(self, activation: str | act.Activation | None = None, **config: float) -> None:
        super().__init__()
        self.activation = (
            self.activation_cls(**config) if activation is None else act.get(activation, **config)
        )
        self._z: np.ndarray | None = None
        self._a: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """f(X), element-wise (softmax: row-wise); caches X and f(X).

        Parameters
        ----------
        x : ndarray of shape (N, d)
            The batch.
        training : bool, default False
            Training mode (dropout, noise and batch statistics on).

        Returns
        -------
        ndarray of shape (N, d)
            The layer's output.
        """
        a = self.activation.forward(x)
        self._z, self._a = x, a
        return cast("np.ndarray", a)

    def call(self, x: np.ndarray) -> np.ndarray:
        return cast("np.ndarray", self.activation.forward(x))

    def backward(self, dy: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self._a is None:
            raise RuntimeError(f"{self!r}: backward() called before forward()")
        return cast("np.ndarray | None", self.activation.vjp(self._z, self._a, dy))

    def clear_cache(self) -> None:
        self._z = self._a = None

    def get_config(self) -> dict[str, Any]:
        return {
            "activation": self.activation.name,
            "activation_config": self.activation.get_config(),
        }

    def __repr__(self) -> str:
        shown = [f"{k}={v!r}" for k, v in self.activation.get_config().items()]
        if type(self) is ActivationLayer:  # no class names the activation: the repr does
            shown.insert(0, repr(self.activation.name))
        return f"{type(self).__name__}({', '.join(shown)})"


#: the Parameters section of the named activation layers' docstrings
_NAMED_PARAMETERS = """Parameters
----------
activation : str, optional
    Fixed by the class; leave it out.
**config : float
    The activation's own settings, if it has any (none for most)."""


_EXAMPLE = """

Examples
--------
>>> import numpy as np
>>> from mlpkit.layers import {name}
>>> {name}().forward(np.zeros((1, 2))).shape
(1, 2)
"""


def _activation_layer(activation_cls: type[act.Activation], doc: str) -> type[ActivationLayer]:
    """The activation layer class with ``activation_cls`` fixed, e.g. ``ReLU``.

    Parameters
    ----------
    activation_cls : type
        The Activation subclass.
    doc : str
        The one-line summary; the parameters are added to it.

    Returns
    -------
    type
        The ActivationLayer subclass.
    """
    name = activation_cls.__name__
    doc += "\n\n" + _NAMED_PARAMETERS + _EXAMPLE.format(name=name)
    return type(name, (ActivationLayer,), {"activation_cls": activation_cls, "__doc__": doc,
                                           "__module__": __name__, "__qualname__": name})  # fmt: skip


Identity = _activation_layer(act.Identity, "Activation layer f(x) = x.")
Sigmoid = _activation_layer(act.Sigmoid, "Activation layer: logistic sigmoid.")
Tanh = _activation_layer(act.Tanh, "Activation layer: tanh.")
ReLU = _activation_layer(act.ReLU, "Activation layer: max(0, x).")
SELU = _activation_layer(act.SELU, "Activation layer: scaled ELU.")
Softplus = _activation_layer(act.Softplus, "Activation layer: log(1 + e^x).")
Exp = _activation_layer(act.Exp, "Activation layer: e^x (the log link of a Poisson output).")
SiLU = _activation_layer(act.SiLU, "Activation layer: x·sigmoid(x) (swish).")
GELU = _activation_layer(act.GELU, "Activation layer: GELU (tanh form).")
Softmax = _activation_layer(act.Softmax, "Activation layer: row-wise softmax.")


class LeakyReLU(ActivationLayer):
    """Activation layer: x if x > 0 else negative_slope·x.

    Parameters
    ----------
    negative_slope : float, default 0.01
        The slope for x ≤ 0.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.layers import LeakyReLU
    >>> LeakyReLU(0.1).forward(np.array([[-1.0, 1.0]])).tolist()
    [[-0.1, 1.0]]
    """

    activation_cls = act.LeakyReLU

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__(negative_slope=negative_slope)


class ELU(ActivationLayer):
    """Activation layer: x if x > 0 else alpha·(e^x − 1).

    Parameters
    ----------
    alpha : float, default 1.0
        The negative part's scale.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.layers import ELU
    >>> ELU(alpha=1.0).forward(np.array([[-1.0, 1.0]])).round(4).tolist()
    [[-0.6321, 1.0]]
    """

    activation_cls = act.ELU

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__(alpha=alpha)


def activation_layer(activation: str | act.Activation, **config: float) -> ActivationLayer:
    """A layer for an activation: the named class when there is one (``ReLU()`` for "relu").

    Parameters
    ----------
    activation : str or Activation
        The activation; one without a named layer class (a user's registered one) gets a
        plain ActivationLayer.
    **config : float
        The activation's settings.

    Returns
    -------
    ActivationLayer
        The layer.

    Examples
    --------
    >>> import mlpkit
    >>> mlpkit.layers.activation_layer("relu"), mlpkit.layers.activation_layer("elu", alpha=0.5)
    (ReLU(), ELU(alpha=0.5))
    """
    f = act.get(activation, **config) if isinstance(activation, str) else activation
    for cls in ActivationLayer.__subclasses__():
        if cls.activation_cls is type(f):
            layer = cls.__new__(cls)
            ActivationLayer.__init__(layer, f)
            return layer
    return ActivationLayer(f)
