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
    """Fully connected layer ``Y = f(X @ W + b)``: the affine map Z = XW + b, then the
    activation f. The two halves are methods of their own (``forward_affine`` and
    ``backward_affine``) because the output layer's activation belongs to the output
    head (heads.py) while the network trains: it runs the affine half only.

    Parameters
    ----------
    in_features, out_features : k1 and k2 of the worksheet's Problem 1.
    activation : name ("relu", "sigmoid", ...), an Activation, an activation layer, or
        None for identity (a purely linear layer).
    init : weight initialiser name or instance; default picked by the activation
        (He for the ReLU family, LeCun for SELU, Glorot otherwise).
    bias : whether the layer has a bias b (k2,).
    regularizer, bias_regularizer : penalties on W and on b (none on b by default).

    Attributes: ``W`` (k1, k2), ``b`` (k2,), gradients ``dW``, ``db`` of the same shapes.
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
        """X: (N, k1) -> A = f(X W + b): (N, k2). Caches X, Z and A for backward."""
        z = self.forward_affine(x)
        a = self.activation.forward(z)
        self._a = a
        return cast("np.ndarray", a)

    def forward_affine(self, x: np.ndarray) -> np.ndarray:
        """X: (N, k1) -> Z = X W + b: (N, k2), caching X and Z for ``backward_affine``."""
        z = self._affine(x)
        self._x, self._z, self._a = x, z, None
        return z

    def call(self, x: np.ndarray) -> np.ndarray:
        return cast("np.ndarray", self.activation.forward_inplace(self._affine(x)))

    def backward(self, dy: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """dA: (N, k2) -> dX: (N, k1); fills dW (k1, k2) and db (k2,)."""
        if self._a is None:
            raise RuntimeError(f"{self!r}: backward() called before forward()")
        dz = self.activation.vjp(self._z, self._a, dy)
        return self.backward_affine(dz, need_input_grad)

    def backward_affine(self, dz: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """dZ = dL/dZ: (N, k2) -> dX = dZ Wᵀ: (N, k1); fills dW = Xᵀ dZ and db = Σ_rows dZ
        (plus the regularisers' gradients)."""
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
