"""Activation functions, each with its derivative written right beside it.

Every activation maps a pre-activation ``Z`` of shape ``(N, d)`` to ``A`` of the same
shape, element-wise (softmax: row-wise). Backpropagation through it is the
vector-Jacobian product ``dZ = vjp(Z, A, dA)``: given ``dA = dL/dA`` it returns
``dL/dZ``. For element-wise functions that is ``dA * f'(Z)`` (the backpropagation handout:
``dh/dz = diag(f'(z))``); for softmax it is ``dA @ (diag(a) - a aᵀ)`` per row.

All functions are numerically stable for ``|z|`` up to 1e4 (and far beyond) in float32 and
float64: no overflow warnings, no NaN, finite derivatives, and the input dtype is kept
(constants are Python floats so NumPy never upcasts float32 to float64).

The formulas are written against the array API standard (``xp`` is the namespace of
the input: NumPy, PyTorch, CuPy, ...), so they run on any of those arrays; the
``forward_inplace`` and ReLU fast paths are NumPy's (``_kernels``).
"""

from __future__ import annotations

from .._registry import Registry, known_as
from .base import Activation, Identity, sigmoid
from .classic import Exp, Sigmoid, Softmax, Softplus, Tanh
from .rectifiers import ELU, GELU, SELU, LeakyReLU, ReLU, SiLU

__all__ = [
    "ELU",
    "GELU",
    "SELU",
    "Activation",
    "Exp",
    "Identity",
    "LeakyReLU",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "get",
    "names",
    "sigmoid",
]

# the public classes are known by this package's name (in messages, reprs and pickles)
known_as(
    __name__,
    Activation,
    Identity,
    Sigmoid,
    Tanh,
    ReLU,
    LeakyReLU,
    ELU,
    SELU,
    Softplus,
    Exp,
    SiLU,
    GELU,
    Softmax,
    sigmoid,
)

_ALIASES = {"linear": "identity", "logistic": "sigmoid", "swish": "silu", "none": "identity"}
#: the one table of activations by name (layers, the file format and the CLI read it)
REGISTRY: Registry[Activation] = Registry(
    "activation",
    Activation,
    (Identity, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, SELU, Softplus, Exp, SiLU, GELU, Softmax),
    _ALIASES,
    function_hint="mlpkit needs the exact derivative as well as the value (a numerical "
    "derivative would make every gradient inexact), so subclass "
    "mlpkit.activations.Activation with forward(z) and derivative(z, a) and register it "
    "with mlpkit.register_activation",
)
#: mlpkit's own activation classes (all element-wise or along the last axis)
BUILT_IN = frozenset(REGISTRY.lookup(name) for name in REGISTRY.names())


def names() -> list[str]:
    """All activation names :func:`get` accepts (aliases excluded).

    Returns
    -------
    list of str
        In registration order.

    Examples
    --------
    >>> import mlpkit
    >>> mlpkit.activations.names()[:4]
    ['identity', 'sigmoid', 'tanh', 'relu']
    """
    return REGISTRY.names()


def get(activation: str | Activation | None, **config: float) -> Activation:
    """An Activation from a name ("relu", "sigmoid", ...), an instance, or None (identity).

    Parameters
    ----------
    activation : str, Activation or None
        A registered name, or an instance (returned as it is).
    **config : float
        Settings for a name (``negative_slope``, ``alpha``).

    Returns
    -------
    Activation
        The activation.

    Raises
    ------
    ValueError
        An unknown name, naming the known ones.

    Examples
    --------
    >>> import mlpkit
    >>> mlpkit.activations.get("leaky_relu", negative_slope=0.2)
    LeakyReLU(negative_slope=0.2)
    """
    if activation is None:
        return Identity()
    return REGISTRY.create(activation, **config)
