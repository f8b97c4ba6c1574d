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

import math
from typing import ClassVar

import numpy as np

from . import _kernels
from ._backend import Array, astype, namespace_of, numpy_dtype
from ._registry import Registry

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


def sigmoid(z: Array) -> Array:
    """The logistic function 1 / (1 + e^-z), without overflow: exp is only taken of ``-|z|``.

    Parameters
    ----------
    z : array
        The pre-activations, any shape (N, d).

    Returns
    -------
    array
        σ(z), of z's shape and dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.activations import sigmoid
    >>> sigmoid(np.array([-1e4, 0.0, 1e4])).tolist()
    [0.0, 0.5, 1.0]
    """
    xp = namespace_of(z)
    e = xp.exp(-xp.abs(z))
    return astype(xp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)), z.dtype)


class Activation:
    """Base class: ``forward(Z) -> A`` and ``vjp(Z, A, dA) -> dZ``.

    ``derivative(Z)`` gives the element-wise derivative f'(Z) (used by the trace table
    and the plots); softmax, whose Jacobian is not diagonal, does not provide it.

    To write your own (Mish, say), subclass it and set:

    * ``name`` — the name it is known, saved and loaded by (``Dense(..., activation=name)``);
    * ``forward(z)`` — f(z): (N, d) -> (N, d), keeping z's dtype;
    * ``derivative(z, a)`` — f'(z) element-wise, (N, d); ``a = f(z)`` is passed when known
      (or override ``vjp(z, a, da)`` for a function that is not element-wise);
    * ``get_config()`` — its constructor arguments as JSON values, if it has any.

    Then ``mlpkit.register_activation(MyActivation)`` (or use it as a class decorator).
    ``mlpkit.gradcheck`` checks the derivative against finite differences.

    Examples
    --------
    >>> import numpy as np
    >>> import mlpkit
    >>> class Cube(mlpkit.activations.Activation):
    ...     name = "cube_example"
    ...     def forward(self, z):
    ...         return z**3
    ...     def derivative(self, z, a=None):
    ...         return 3 * z**2
    >>> Cube().derivative(np.array([2.0]))
    array([12.])
    """

    name: ClassVar[str] = ""
    symbol: ClassVar[str] = ""  # short name used in trace tables, e.g. "σ" for sigmoid

    def forward(self, z: Array) -> Array:
        raise NotImplementedError

    def forward_inplace(self, z: Array) -> Array:
        """f(z), allowed to overwrite z (inference, where z is a temporary).

        Parameters
        ----------
        z : array
            The pre-activations, any shape (N, d).

        Returns
        -------
        array
            f(z), possibly in z's memory.
        """
        return self.forward(z)

    def vjp(self, z: Array, a: Array, da: Array) -> Array:
        """dL/dZ from dL/dA: the activation's vector-Jacobian product.

        Parameters
        ----------
        z : array of shape (N, d)
            The pre-activations.
        a : array of shape (N, d)
            f(z), as forward returned it.
        da : array of shape (N, d)
            dL/dA.

        Returns
        -------
        array of shape (N, d)
            dL/dZ; element-wise f'(z) ⊙ dA, the softmax's row by row.
        """
        return da * self.derivative(z, a)

    def derivative(self, z: Array, a: Array | None = None) -> Array:
        """Element-wise f'(z), the shape of z.

        Parameters
        ----------
        z : array
            The pre-activations, any shape (N, d).
        a : array, optional
            f(z), passed to avoid recomputing it.

        Returns
        -------
        array
            f'(z).
        """
        raise NotImplementedError

    def get_config(self) -> dict[str, float]:
        """The settings needed to rebuild this activation.

        Returns
        -------
        dict
            Empty for the parameter-free ones.
        """
        return {}

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({settings})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Activation)
            and type(self) is type(other)
            and (self.get_config() == other.get_config())
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, tuple(sorted(self.get_config().items()))))


class Identity(Activation):
    """f(z) = z;  f'(z) = 1.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.activations import Identity
    >>> f = Identity()
    >>> z = np.array([-1.0, 2.0])
    >>> f.forward(z).round(4).tolist(), f.derivative(z).round(4).tolist()
    ([-1.0, 2.0], [1.0, 1.0])
    """

    name = "identity"
    symbol = "id"

    def forward(self, z: Array) -> Array:
        return z

    def vjp(self, z: Array, a: Array, da: Array) -> Array:
        return da

    def derivative(self, z: Array, a: Array | None = None) -> Array:
        return namespace_of(z).ones_like(z)


class Sigmoid(Activation):
    """f(z) = 1 / (1 + e^-z);  f'(z) = f(z) (1 - f(z))  (the backpropagation handout).

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.activations import Sigmoid
    >>> f = Sigmoid()
    >>> z = np.array([0.0])
    >>> f.forward(z).round(4).tolist(), f.derivative(z).round(4).tolist()
    ([0.5], [0.25])
    """

    name = "sigmoid"
    symbol = "σ"

    def forward(self, z: Array) -> Array:
        return sigmoid(z)

    def vjp(self, z: Array, a: Array, da: Array) -> Array:
        return da * a * (1.0 - a)

    def derivative(self, z: Array, a: Array | None = None) -> Array:
        a = sigmoid(z) if a is None else a
        return a * (1.0 - a)


class Tanh(Activation):
    """f(z) = tanh z;  f'(z) = 1 - tanh² z.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.activations import Tanh
    >>> f = Tanh()
    >>> z = np.array([0.0, 1.0])
    >>> f.forward(z).round(4).tolist(), f.derivative(z).round(4).tolist()
    ([0.0, 0.7616], [1.0, 0.42])
    """

    name = "tanh"
    symbol = "tanh"

    def forward(self, z: Array) -> Array:
        return namespace_of(z).tanh(z)

    def forward_inplace(self, z: Array) -> Array:
        return np.tanh(z, out=z) if type(z) is np.ndarray else self.forward(z)

    def vjp(self, z: Array, a: Array, da: Array) -> Array:
        return da * (1.0 - a * a)

    def derivative(self, z: Array, a: Array | None = None) -> Array:
        a = self.forward(z) if a is None else a
        return 1.0 - a * a


class ReLU(Activation):
    """f(z) = max(0, z);  f'(z) = 1 if z > 0 else 0 (0 at z = 0, as PyTorch and Keras).

    The backpropagation handout writes the derivative as f(z) ⊘ f(z), which is 0/0 for every z ≤ 0; the
    indicator 1[z > 0] is what it means.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.activations import ReLU
    >>> f = ReLU()
    >>> z = np.array([-1.0, 2.0])
    >>> f.forward(z).round(4).tolist(), f.derivative(z).round(4).tolist()
    ([0.0, 2.0], [0.0, 1.0])
    """

    name = "relu"
    symbol = "r"

    def forward(self, z: Array) -> Array:
        return _kernels.relu(z) if type(z) is np.ndarray else namespace_of(z).maximum(z, 0.0)

    def forward_inplace(self, z: Array) -> Array:
        return _kernels.relu_(z) if type(z) is np.ndarray else self.forward(z)

    def vjp(self, z: Array, a: Array, da: Array) -> Array:
        # da ⊙ 1[z > 0], read off a (> 0 exactly where z is)
        if type(a) is np.ndarray:
            return _kernels.relu_vjp(a, da)
        return namespace_of(a).where(a > 0.0, da, 0.0)

    def derivative(self, z: Array, a: Array | None = None) -> Array:
        return astype(z > 0.0, z.dtype)


class LeakyReLU(Activation):
    """f(z) = z if z > 0 else slope·z;  f'(z) = 1 if z > 0 else slope.

    Parameters
    ----------
    negative_slope : float, default 0.01
        The slope for z ≤ 0.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.activations import LeakyReLU
    >>> f = LeakyReLU()
    >>> z = np.array([-1.0, 2.0])
    >>> f.forward(z).round(4).tolist(), f.derivative(z).round(4).tolist()
    ([-0.01, 2.0], [0.01, 1.0])
    """

    name = "leaky_relu"
    symbol = "lrelu"

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = float(negative_slope)

    def forward(self, z: Array) -> Array:
        xp = namespace_of(z)
        return astype(xp.where(z > 0.0, z, self.negative_slope * z), z.dtype)

    def vjp(self, z: Array, a: Array, da: Array) -> Array:
        xp = namespace_of(da)
        return astype(xp.where(z > 0.0, da, self.negative_slope * da), da.dtype)

    def derivative(self, z: Array, a: Array | None = None) -> Array:
        xp = namespace_of(z)
        return astype(xp.where(z > 0.0, 1.0, self.negative_slope * xp.ones_like(z)), z.dtype)

    def get_config(self) -> dict[str, float]:
        return {"negative_slope": self.negative_slope}


class ELU(Activation):
    """f(z) = z if z > 0 else α(e^z - 1)  (the optimisation slides with α = 1);  f'(z) = 1 or f(z) + α.

    Parameters
    ----------
    alpha : float, default 1.0
        The negative part's scale α.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.activations import ELU
    >>> f = ELU()
    >>> z = np.array([-1.0, 2.0])
    >>> f.forward(z).round(4).tolist(), f.derivative(z).round(4).tolist()
    ([-0.6321, 2.0], [0.3679, 1.0])
    """

    name = "elu"
    symbol = "elu"

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = float(alpha)

    def forward(self, z: Array) -> Array:
        # expm1 of min(z, 0) never overflows and is exact near 0.
        xp = namespace_of(z)
        return astype(xp.where(z > 0.0, z, self.alpha * xp.expm1(xp.minimum(z, 0.0))), z.dtype)

    def vjp(self, z: Array, a: Array, da: Array) -> Array:
        xp = namespace_of(da)
        return astype(xp.where(z > 0.0, da, da * (a + self.alpha)), da.dtype)

    def derivative(self, z: Array, a: Array | None = None) -> Array:
        a = self.forward(z) if a is None else a
        xp = namespace_of(z)
        return astype(xp.where(z > 0.0, 1.0, a + self.alpha), z.dtype)

    def get_config(self) -> dict[str, float]:
        return {"alpha": self.alpha}


class SELU(Activation):
    """f(z) = λ·elu_α(z) with Klambauer et al.'s α ≈ 1.6733, λ ≈ 1.0507;  f'(z) = λ or f(z) + λα.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.activations import SELU
    >>> f = SELU()
    >>> z = np.array([-1.0, 1.0])
    >>> f.forward(z).round(4).tolist(), f.derivative(z).round(4).tolist()
    ([-1.1113, 1.0507], [0.6468, 1.0507])
    """

    name = "selu"
    symbol = "selu"
    alpha = 1.6732632423543772
    scale = 1.0507009873554805

    def forward(self, z: Array) -> Array:
        xp = namespace_of(z)
        neg = self.alpha * xp.expm1(xp.minimum(z, 0.0))
        return astype(self.scale * xp.where(z > 0.0, z, neg), z.dtype)

    def vjp(self, z: Array, a: Array, da: Array) -> Array:
        xp = namespace_of(da)
        slope = xp.where(z > 0.0, self.scale, a + self.scale * self.alpha)
        return astype(da * slope, da.dtype)

    def derivative(self, z: Array, a: Array | None = None) -> Array:
        a = self.forward(z) if a is None else a
        xp = namespace_of(z)
        return astype(xp.where(z > 0.0, self.scale, a + self.scale * self.alpha), z.dtype)


class Softplus(Activation):
    """f(z) = log(1 + e^z) computed as logaddexp(0, z);  f'(z) = sigmoid(z).

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.activations import Softplus
    >>> f = Softplus()
    >>> z = np.array([0.0])
    >>> f.forward(z).round(4).tolist(), f.derivative(z).round(4).tolist()
    ([0.6931], [0.5])
    """

    name = "softplus"
    symbol = "softplus"

    def forward(self, z: Array) -> Array:
        xp = namespace_of(z)
        return astype(xp.logaddexp(0.0, z), z.dtype)

    def derivative(self, z: Array, a: Array | None = None) -> Array:
        # sigmoid(z) = 1 - exp(-softplus(z)); from the cached output this costs one exp.
        return sigmoid(z) if a is None else -namespace_of(a).expm1(-a)


class Exp(Activation):
    """f(z) = e^z;  f'(z) = e^z. The log link of Poisson regression: an "exp" output with
    the ``poisson`` loss predicts a positive rate (scikit-learn's MLPRegressor with
    loss="poisson"). z is capped where e^z would overflow (88.7 in float32), so the
    output stays finite (within 1e-5 of the dtype's largest number) instead of inf.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.activations import Exp
    >>> f = Exp()
    >>> z = np.array([0.0, 1.0])
    >>> f.forward(z).round(4).tolist(), f.derivative(z).round(4).tolist()
    ([1.0, 2.7183], [1.0, 2.7183])
    """

    name = "exp"
    symbol = "exp"

    @staticmethod
    def max_input(dtype: np.dtype | str) -> float:
        """The largest z whose e^z is finite in ``dtype`` (float32: 88.72283).

        Parameters
        ----------
        dtype : numpy.dtype or str
            float32 or float64.

        Returns
        -------
        float
            The bound.
        """
        dt = np.dtype(dtype).type
        return float(np.nextafter(dt(np.log(np.finfo(dt).max)), dt(0)))

    def forward(self, z: Array) -> Array:
        xp = namespace_of(z)
        return xp.exp(xp.minimum(z, _EXP_CAP[numpy_dtype(z).char]))

    def forward_inplace(self, z: Array) -> Array:
        if type(z) is not np.ndarray:
            return self.forward(z)
        np.minimum(z, _EXP_CAP[z.dtype.char], out=z)
        return np.exp(z, out=z)

    def vjp(self, z: Array, a: Array, da: Array) -> Array:
        return da * a

    def derivative(self, z: Array, a: Array | None = None) -> Array:
        return self.forward(z) if a is None else a


_EXP_CAP = {np.dtype(d).char: Exp.max_input(d) for d in ("float32", "float64")}


class SiLU(Activation):
    """SiLU / swish: f(z) = z·sigmoid(z);  f'(z) = s(1 + z(1 - s)) with s = sigmoid(z).

    Backward recomputes sigmoid(z) rather than keeping a second (N, d) cache.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.activations import SiLU
    >>> f = SiLU()
    >>> z = np.array([0.0, 1.0])
    >>> f.forward(z).round(4).tolist(), f.derivative(z).round(4).tolist()
    ([0.0, 0.7311], [0.5, 0.9277])
    """

    name = "silu"
    symbol = "silu"

    def forward(self, z: Array) -> Array:
        return z * sigmoid(z)

    def derivative(self, z: Array, a: Array | None = None) -> Array:
        s = sigmoid(z)
        return s * (1.0 + z * (1.0 - s))


_GELU_C = math.sqrt(2.0 / math.pi)
_GELU_K = 0.044715


class GELU(Activation):
    """GELU, tanh form (Hendrycks & Gimpel; PyTorch's ``approximate="tanh"``).

    f(z) = ½ z (1 + tanh u),  u = c (z + k z³),  c = √(2/π), k = 0.044715;
    f'(z) = ½ (1 + t) + ½ z (1 - t²) c (1 + 3 k z²),  t = tanh u.
    NumPy has no vectorised erf, so the exact-erf GELU is not offered; the two differ by
    less than 5e-4 everywhere. Backward recomputes t rather than caching it.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.activations import GELU
    >>> f = GELU()
    >>> z = np.array([0.0, 1.0])
    >>> f.forward(z).round(4).tolist(), f.derivative(z).round(4).tolist()
    ([0.0, 0.8412], [0.5, 1.083])
    """

    name = "gelu"
    symbol = "gelu"

    def _tanh_u(self, z: Array) -> Array:
        # Clamp before cubing so float32 never overflows; tanh saturates long before.
        xp = namespace_of(z)
        zc = xp.clip(z, -100.0, 100.0)
        return xp.tanh(_GELU_C * (zc + _GELU_K * zc * zc * zc))

    def forward(self, z: Array) -> Array:
        return 0.5 * z * (1.0 + self._tanh_u(z))

    def derivative(self, z: Array, a: Array | None = None) -> Array:
        t = self._tanh_u(z)
        zc = namespace_of(z).clip(z, -100.0, 100.0)
        return 0.5 * (1.0 + t) + 0.5 * zc * (1.0 - t * t) * _GELU_C * (
            1.0 + 3.0 * _GELU_K * zc * zc
        )


class Softmax(Activation):
    """Row-wise softmax(z)_k = e^{z_k - max z} / Σ_j e^{z_j - max z}.

    Jacobian per row (the backpropagation handout): ∂a_k/∂z_j = a_k (δ_kj - a_j) = (diag(a) - a aᵀ)_kj,
    so the vector-Jacobian product is  dZ = a ⊙ (dA - Σ_j dA_j a_j).
    The backpropagation handout prints the denominator as Σ_k z_i(k); it is Σ_k e^{z_i(k)}.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.activations import Softmax
    >>> Softmax().forward(np.array([[1.0, 2.0, 3.0]])).round(4).tolist()
    [[0.09, 0.2447, 0.6652]]
    >>> Softmax().jacobian(np.array([[0.0, 0.0]])).tolist()
    [[[0.25, -0.25], [-0.25, 0.25]]]
    """

    name = "softmax"
    symbol = "softmax"

    def forward(self, z: Array) -> Array:
        xp = namespace_of(z)
        e = xp.exp(z - xp.max(z, axis=-1, keepdims=True))
        return e / xp.sum(e, axis=-1, keepdims=True)

    def forward_inplace(self, z: Array) -> Array:
        return _kernels.softmax_(z) if type(z) is np.ndarray else self.forward(z)

    def vjp(self, z: Array, a: Array, da: Array) -> Array:
        return a * (da - namespace_of(da).sum(da * a, axis=-1, keepdims=True))

    def derivative(self, z: Array, a: Array | None = None) -> Array:
        raise TypeError("softmax has a full Jacobian, not an element-wise derivative; use vjp()")

    def jacobian(self, z: Array) -> Array:
        """The Jacobian diag(a) − a aᵀ of each row.

        Parameters
        ----------
        z : array of shape (N, C)
            The pre-activations.

        Returns
        -------
        array of shape (N, C, C)
            One Jacobian per row.
        """
        a = self.forward(z)
        return np.einsum("nk,kj->nkj", a, np.eye(a.shape[-1], dtype=a.dtype)) - np.einsum(
            "nk,nj->nkj", a, a
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
