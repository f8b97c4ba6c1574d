"""Dense: the fully connected layer of the worksheet's Problem 1.

Shapes follow the worksheet's Problem 1: N samples with k1 features pass through a dense
layer with k2 outputs as ``X (N, k1) @ W (k1, k2) + b (k2,) = Y (N, k2)``; the bias is
broadcast over the rows.

Backward through a dense layer with activation f (the backpropagation handout, "hidden layer"):

    dZ = dA ⊙ f'(Z)          (the activation's vector-Jacobian product)
    dW = Xᵀ dZ               (k1, k2) — the sum over samples of h_{i}ᵀ ∇_{z_i} l
    db = Σ_rows dZ           (k2,)
    dX = dZ Wᵀ               (N, k1) — passed on to the layer below

The 1/N of the mean loss is already inside dA (the loss gradient carries it), so the
gradients here are those of the mean loss, as in Chapter 1's batch update.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from .. import activations as act
from .. import initializers as inits
from .. import regularizers as regs
from .._backend import Array, namespace_of
from .activation import ActivationLayer
from .base import Layer

__all__ = ["Dense"]


class Dense(Layer):
    """Fully connected layer ``Y = f(X @ W + b)``: the affine map Z = XW + b, then f.

    The two halves are methods of their own (:meth:`forward_affine` and
    :meth:`backward_affine`) because while the network trains the output layer's
    activation belongs to the output head: it runs the affine half only.

    Parameters
    ----------
    in_features : int
        k1 of the worksheet's Problem 1: the input width.
    out_features : int
        k2: the number of units.
    activation : str, Activation or ActivationLayer, optional
        "relu", "sigmoid", ... or an instance; None is the identity (a purely linear
        layer).
    init : str or Initializer, optional
        The weights' initialiser; by default He for the ReLU family, LeCun for SELU,
        Glorot otherwise.
    bias : bool, default True
        Whether the layer has a bias b of shape (k2,).
    regularizer : Regularizer or str, optional
        A penalty on W (``mlpkit.L2(1e-4)``, say).
    bias_regularizer : Regularizer or str, optional
        A penalty on b (none by default).
    bias_init : str or Initializer, default "zeros"
        The bias's initialiser.

    Attributes
    ----------
    W : ndarray of shape (k1, k2)
        The weights.
    b : ndarray of shape (k2,)
        The bias.
    dW, db : ndarray
        Their gradients from the last backward, of the same shapes.

    Examples
    --------
    >>> import numpy as np
    >>> import mlpkit
    >>> net = mlpkit.Sequential([mlpkit.Dense(3, 2, "relu")], seed=0)
    >>> layer = net.layers[0]
    >>> layer.W.shape, layer.b.shape, net.predict(np.ones((4, 3))).shape
    ((3, 2), (2,), (4, 2))
    """

    config_type = "Dense"

    def __init__(
        self,
        in_features: int,
        out_features: int,
        activation: str | act.Activation | ActivationLayer | None = None,
        init: str | inits.Initializer | None = None,
        bias: bool = True,
        regularizer: regs.Regularizer | str | None = None,
        bias_regularizer: regs.Regularizer | str | None = None,
        bias_init: str | inits.Initializer = "zeros",
    ) -> None:
        super().__init__()
        for label, value in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise TypeError(f"Dense {label} must be a positive integer, got {value!r}")
            if value < 1:
                raise ValueError(f"Dense {label} must be a positive integer, got {value!r}")
        self.in_features: int = int(in_features)
        self.out_features: int = int(out_features)
        if isinstance(activation, ActivationLayer):
            activation = activation.activation
        self.activation = act.get(activation)
        self.init = inits.get(init) if init is not None else inits.default_for(self.activation.name)
        self.bias_init = inits.get(bias_init)
        #: whether the layer has a bias b (the constructor's ``bias``)
        self.bias = bool(bias)
        self.regularizer = regs.get(regularizer)
        self.bias_regularizer = regs.get(bias_regularizer)
        self.param_names = ("W", "b") if self.bias else ("W",)
        # W (in, out) and b (out,) once built — NumPy arrays, or another library's after
        # ``Sequential.to`` — and what forward keeps for backward
        self.W: Array = None
        self.b: Array = None
        self._x: Array = None
        self._z: Array = None
        self._a: Array = None

    def build(self, in_features: int, rng: np.random.Generator, dtype: np.dtype) -> int:
        if in_features != self.in_features:
            raise ValueError(
                f"{self!r} expects {self.in_features} input features but the layer before "
                f"it outputs {in_features}"
            )
        self.dtype = np.dtype(dtype)
        k1, k2 = self.in_features, self.out_features
        self.W = np.ascontiguousarray(self.init((k1, k2), rng, self.dtype), dtype=self.dtype)
        self.dW = np.zeros((k1, k2), dtype=self.dtype)
        if self.bias:
            self.b = np.ascontiguousarray(self.bias_init((k2,), rng, self.dtype), dtype=self.dtype)
            self.db = np.zeros(k2, dtype=self.dtype)
        return k2

    @property
    def built(self) -> bool:
        return self.W is not None

    def _affine(self, x: np.ndarray) -> np.ndarray:
        if isinstance(x, np.ndarray):
            z = np.dot(x, self.W)  # the same BLAS product as x @ W, with less call overhead
        elif _is_sparse(x):  # SciPy sparse rows: sparse times dense, never densified
            z = np.asarray(x @ self.W)
        else:  # an array API array (PyTorch, CuPy, ...) on the parameters' device
            z = x @ self.W
        if self.bias:
            z += self.b
        return cast("np.ndarray", z)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """A = f(X W + b), caching X, Z and A for :meth:`backward`.

        Parameters
        ----------
        x : ndarray of shape (N, k1)
            The batch.
        training : bool, default False
            Training mode (dropout, noise and batch statistics on).

        Returns
        -------
        ndarray of shape (N, k2)
            The layer's output.
        """
        z = self.forward_affine(x)
        a = self.activation.forward(z)
        self._a = a
        return cast("np.ndarray", a)

    def forward_affine(self, x: np.ndarray) -> np.ndarray:
        """Z = X W + b, caching X and Z for :meth:`backward_affine`.

        Parameters
        ----------
        x : ndarray of shape (N, k1)
            The batch.

        Returns
        -------
        ndarray of shape (N, k2)
            The pre-activations Z.
        """
        z = self._affine(x)
        self._x, self._z, self._a = x, z, None
        return z

    def call(self, x: np.ndarray) -> np.ndarray:
        return cast("np.ndarray", self.activation.forward_inplace(self._affine(x)))

    def backward(self, dy: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate dA through f, then the affine map.

        Parameters
        ----------
        dy : ndarray of shape (N, k2)
            dL/dY, the gradient of the loss with respect to the last forward's output.
        need_input_grad : bool, default True
            False skips dL/dX (the first layer's, which nothing reads).

        Returns
        -------
        ndarray of shape (N, k1) or None
            dL/dX, or None when not needed. Fills dW (k1, k2) and db (k2,).
        """
        if self._a is None:
            raise RuntimeError(f"{self!r}: backward() called before forward()")
        dz = self.activation.vjp(self._z, self._a, dy)
        return self.backward_affine(dz, need_input_grad)

    def backward_affine(self, dz: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate dZ through the affine map: dX = dZ Wᵀ, dW = Xᵀ dZ, db = Σ_rows dZ.

        The regularisers' gradients are added to dW and db.

        Parameters
        ----------
        dz : ndarray of shape (N, k2)
            dL/dZ.
        need_input_grad : bool, default True
            False skips dX.

        Returns
        -------
        ndarray of shape (N, k1) or None
            dL/dX, or None when not needed.
        """
        if self._x is None:
            raise RuntimeError(f"{self!r}: backward() called before forward()")
        numpy = isinstance(self._x, np.ndarray) and type(dz) is np.ndarray
        if numpy and self._x.dtype == dz.dtype == self.dW.dtype:
            np.dot(self._x.T, dz, out=self.dW)  # matmul's BLAS product, ~0.4 µs less a call
        elif numpy:  # (dot's out= takes no cast)
            np.matmul(self._x.T, dz, out=self.dW)
        else:  # sparse X (sparse times dense), or an array API array
            self.dW[...] = self._x.T @ dz
        if self.regularizer is not None:
            self.dW += self.regularizer.gradient(self.W)
        if self.bias:
            if type(dz) is np.ndarray:
                np.add.reduce(dz, axis=0, out=self.db)
            else:
                self.db[...] = namespace_of(dz).sum(dz, axis=0)
            if self.bias_regularizer is not None:
                self.db += self.bias_regularizer.gradient(self.b)
        if not need_input_grad:
            return None
        return cast(
            "np.ndarray | None",
            np.dot(dz, self.W.T) if numpy else dz @ self.W.T,
        )

    def penalty(self) -> float:
        total = 0.0
        if self.regularizer is not None:
            total += self.regularizer.penalty(self.W)
        if self.bias and self.bias_regularizer is not None:
            total += self.bias_regularizer.penalty(self.b)
        return total

    def clear_cache(self) -> None:
        self._x = self._z = self._a = None

    def get_config(self) -> dict[str, Any]:
        return {
            "in_features": self.in_features,
            "out_features": self.out_features,
            "activation": self.activation.name,
            "activation_config": self.activation.get_config(),
            "bias": self.bias,
            "regularizer": regs.to_config(self.regularizer),
            "bias_regularizer": regs.to_config(self.bias_regularizer),
            "init": inits.to_config(self.init),
            "bias_init": inits.to_config(self.bias_init),
        }

    def __repr__(self) -> str:
        shown = [f"in_features={self.in_features}", f"out_features={self.out_features}"]
        shown.append(f"activation={self.activation.name!r}")
        if self.activation.get_config():
            shown.append(f"activation_config={self.activation.get_config()!r}")
        if not self.bias:
            shown.append("bias=False")
        for key in ("regularizer", "bias_regularizer"):
            if getattr(self, key) is not None:
                shown.append(f"{key}={getattr(self, key)!r}")
        return f"Dense({', '.join(shown)})"


def _is_sparse(x: object) -> bool:
    """Whether x is a SciPy sparse matrix or array."""
    return type(x).__module__.startswith("scipy.sparse")
