"""The rectifier family: ReLU, leaky ReLU, ELU, SELU, and the smooth SiLU and GELU."""

from __future__ import annotations

import math

import numpy as np

from .. import _kernels
from .._backend import Array, astype, namespace_of
from .base import Activation, sigmoid

__all__ = ["ELU", "GELU", "SELU", "LeakyReLU", "ReLU", "SiLU"]


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
