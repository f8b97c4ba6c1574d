"""The course's smooth activations: sigmoid, tanh, softplus, the exponential (Poisson's
link) and the row-wise softmax."""

from __future__ import annotations

import numpy as np

from .. import _kernels
from .._backend import Array, astype, namespace_of, numpy_dtype
from .base import Activation, sigmoid

__all__ = ["Exp", "Sigmoid", "Softmax", "Softplus", "Tanh"]


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
