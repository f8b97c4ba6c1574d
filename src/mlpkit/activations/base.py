"""The base of every activation (``Activation``: forward, derivative, the vector-Jacobian
product, in place where it can), the stable ``sigmoid`` the others share, and the
identity."""

from __future__ import annotations

from typing import ClassVar

from .._backend import Array, astype, namespace_of

__all__ = ["Activation", "Identity", "sigmoid"]


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
