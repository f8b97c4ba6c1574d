"""Layers: ``forward(X)`` caches exactly what ``backward(dY)`` needs; ``backward`` fills
the parameter gradients and returns ``dX``.

Shapes follow seed 000's Problem 1: N samples with k1 features pass through a dense
layer with k2 outputs as ``X (N, k1) @ W (k1, k2) + b (k2,) = Y (N, k2)``; the bias is
broadcast over the rows.

Backward through a dense layer with activation f (seed 004, "hidden layer"):

    dZ = dA ⊙ f'(Z)          (the activation's vector-Jacobian product)
    dW = Xᵀ dZ               (k1, k2) — the sum over samples of h_{i}ᵀ ∇_{z_i} l
    db = Σ_rows dZ           (k2,)
    dX = dZ Wᵀ               (N, k1) — passed on to the layer below

The 1/N of the mean loss is already inside dA (the loss gradient carries it), so the
gradients here are those of the mean loss, as in seed 001's batch update.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from . import activations as act
from . import initializers as inits
from . import regularizers as regs

__all__ = [
    "ELU",
    "GELU",
    "SELU",
    "ActivationLayer",
    "Dense",
    "Dropout",
    "Exp",
    "GaussianNoise",
    "Identity",
    "Layer",
    "LeakyReLU",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "dense_stack",
    "from_config",
]


class Layer:
    """Base class. A layer is built once by its network (which hands it the random
    generator and dtype), then runs forward/backward any number of times."""

    #: names of the trainable arrays, in the order of ``parameters()``
    param_names: tuple[str, ...] = ()
    #: the ``type`` a saved model file records for this layer (see ``from_config``)
    config_type: str = ""

    def __init__(self) -> None:
        self.in_features: int | None = None
        self.out_features: int | None = None
        self.dtype: np.dtype = np.dtype("float32")

    # -- building ---------------------------------------------------------------------
    def build(self, in_features: int, rng: np.random.Generator, dtype: np.dtype) -> int:
        """Create parameters for inputs of width ``in_features``; return the output width."""
        self.in_features = self.out_features = in_features
        self.dtype = np.dtype(dtype)
        return in_features

    # -- computation ------------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """X: (N, in) -> Y: (N, out), caching what backward needs."""
        raise NotImplementedError

    def backward(self, dy: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """dY = dL/dY: (N, out) -> dX = dL/dX: (N, in); fills this layer's gradients."""
        raise NotImplementedError

    def call(self, x: np.ndarray) -> np.ndarray:
        """Inference: like ``forward(x, training=False)`` but caches nothing."""
        return self.forward(x, training=False)

    # -- parameters -------------------------------------------------------------------
    def parameters(self) -> list[np.ndarray]:
        """The live trainable arrays (not copies), in ``param_names`` order."""
        return [getattr(self, n) for n in self.param_names]

    def gradients(self) -> list[np.ndarray]:
        """dL/dparam for each array of ``parameters()``, from the last backward."""
        return [getattr(self, "d" + n) for n in self.param_names]

    def use_buffers(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Keep the parameters and gradients in the given arrays from now on (one per
        name of ``param_names``, same shapes; e.g. views of one packed vector). The
        parameters' values are copied in."""
        for name, p, g in zip(self.param_names, params, grads, strict=True):
            p[...] = getattr(self, name)
            setattr(self, name, p)
            setattr(self, "d" + name, g)

    def cast(self, dtype: np.dtype) -> None:
        """Convert parameters and gradients to ``dtype`` (new arrays)."""
        self.dtype = np.dtype(dtype)
        for name in self.param_names:
            setattr(self, name, getattr(self, name).astype(self.dtype))
            setattr(self, "d" + name, getattr(self, "d" + name).astype(self.dtype))

    def penalty(self) -> float:
        """Regularisation added to the loss (0 for layers without a regulariser)."""
        return 0.0

    def clear_cache(self) -> None:
        """Drop the arrays kept for backward (frees memory after training)."""

    def get_config(self) -> dict[str, Any]:
        """JSON values that rebuild this layer with :func:`from_config` (the file format)."""
        return {}

    @property
    def kind(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{self.kind}({settings})"


class Dense(Layer):
    """Fully connected layer ``Y = f(X @ W + b)``: the affine map Z = XW + b, then the
    activation f. The two halves are methods of their own (``forward_affine`` and
    ``backward_affine``) because the output layer's activation belongs to the output
    head (heads.py) while the network trains: it runs the affine half only.

    Parameters
    ----------
    in_features, out_features : k1 and k2 of seed 000's Problem 1.
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
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"Dense {label} must be a positive integer, got {value!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        if isinstance(activation, ActivationLayer):
            activation = activation.activation
        self.activation = act.get(activation)
        self.init = inits.get(init) if init is not None else inits.default_for(self.activation.name)
        self.bias_init = inits.get(bias_init)
        self.use_bias = bool(bias)
        self.regularizer = regs.get(regularizer)
        self.bias_regularizer = regs.get(bias_regularizer)
        self.param_names = ("W", "b") if self.use_bias else ("W",)
        self.W: np.ndarray | None = None
        self.b: np.ndarray | None = None
        self._x: np.ndarray | None = None
        self._z: np.ndarray | None = None
        self._a: np.ndarray | None = None

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
        if self.use_bias:
            self.b = np.ascontiguousarray(self.bias_init((k2,), rng, self.dtype), dtype=self.dtype)
            self.db = np.zeros(k2, dtype=self.dtype)
        return k2

    @property
    def built(self) -> bool:
        return self.W is not None

    def _affine(self, x: np.ndarray) -> np.ndarray:
        z = np.dot(x, self.W)  # the same BLAS product as x @ W, with less call overhead
        if self.use_bias:
            z += self.b
        return z

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """X: (N, k1) -> A = f(X W + b): (N, k2). Caches X, Z and A for backward."""
        z = self.forward_affine(x)
        a = self.activation.forward(z)
        self._a = a
        return a

    def forward_affine(self, x: np.ndarray) -> np.ndarray:
        """X: (N, k1) -> Z = X W + b: (N, k2), caching X and Z for ``backward_affine``."""
        z = self._affine(x)
        self._x, self._z, self._a = x, z, None
        return z

    def call(self, x: np.ndarray) -> np.ndarray:
        return self.activation.forward_inplace(self._affine(x))

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
        np.matmul(self._x.T, dz, out=self.dW)
        if self.regularizer is not None:
            self.dW += self.regularizer.gradient(self.W)
        if self.use_bias:
            np.add.reduce(dz, axis=0, out=self.db)
            if self.bias_regularizer is not None:
                self.db += self.bias_regularizer.gradient(self.b)
        return dz @ self.W.T if need_input_grad else None

    def penalty(self) -> float:
        total = 0.0
        if self.regularizer is not None:
            total += self.regularizer.penalty(self.W)
        if self.use_bias and self.bias_regularizer is not None:
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
            "bias": self.use_bias,
            "regularizer": regs.to_config(self.regularizer),
            "bias_regularizer": regs.to_config(self.bias_regularizer),
        }

    def __repr__(self) -> str:
        shown = [f"in_features={self.in_features}", f"out_features={self.out_features}"]
        shown.append(f"activation={self.activation.name!r}")
        if self.activation.get_config():
            shown.append(f"activation_config={self.activation.get_config()!r}")
        if not self.use_bias:
            shown.append("bias=False")
        for key in ("regularizer", "bias_regularizer"):
            if getattr(self, key) is not None:
                shown.append(f"{key}={getattr(self, key)!r}")
        return f"Dense({', '.join(shown)})"


class ActivationLayer(Layer):
    """A standalone activation ``A = f(X)``, element-wise (softmax: row-wise).

    ``ActivationLayer("tanh")`` takes any activation by name or instance; the named
    subclasses (``ReLU()``, ``Tanh()``, ...) are the same with their activation fixed.
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
        """X: (N, d) -> f(X): (N, d); caches X and f(X)."""
        a = self.activation.forward(x)
        self._z, self._a = x, a
        return a

    def call(self, x: np.ndarray) -> np.ndarray:
        return self.activation.forward(x)

    def backward(self, dy: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        if self._a is None:
            raise RuntimeError(f"{self!r}: backward() called before forward()")
        return self.activation.vjp(self._z, self._a, dy)

    def clear_cache(self) -> None:
        self._z = self._a = None

    def get_config(self) -> dict[str, Any]:
        return {
            "activation": self.activation.name,
            "activation_config": self.activation.get_config(),
        }

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.activation.get_config().items())
        return f"{type(self).__name__}({settings})"


def _activation_layer(activation_cls: type[act.Activation], doc: str) -> type[ActivationLayer]:
    """The activation layer class with ``activation_cls`` fixed, e.g. ``ReLU``."""
    name = activation_cls.__name__
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
    """Activation layer: x if x > 0 else negative_slope·x."""

    activation_cls = act.LeakyReLU

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__(negative_slope=negative_slope)


class ELU(ActivationLayer):
    """Activation layer: x if x > 0 else alpha·(e^x − 1)."""

    activation_cls = act.ELU

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__(alpha=alpha)


class Dropout(Layer):
    """Inverted dropout: in training, zero each input with probability ``rate`` and
    scale the survivors by 1/(1 − rate), so nothing changes at inference, where the
    layer is the identity. The mask comes from the network's random generator."""

    config_type = "Dropout"

    def __init__(self, rate: float) -> None:
        super().__init__()
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self._rng: np.random.Generator | None = None
        self._mask: np.ndarray | None = None

    def build(self, in_features: int, rng: np.random.Generator, dtype: np.dtype) -> int:
        self._rng = rng
        return super().build(in_features, rng, dtype)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """X: (N, d) -> X ⊙ mask / (1 − rate) in training, X otherwise."""
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        keep = 1.0 - self.rate
        mask = self._rng.random(x.shape, dtype=x.dtype) < keep
        self._mask = mask.astype(x.dtype) * (1.0 / keep)
        return x * self._mask

    def call(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, dy: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        return dy if self._mask is None else dy * self._mask

    def clear_cache(self) -> None:
        self._mask = None

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate}


class GaussianNoise(Layer):
    """Adds N(0, std²) noise to its input in training only (denoising autoencoders);
    the identity at inference. The noise comes from the network's random generator."""

    config_type = "GaussianNoise"

    def __init__(self, std: float) -> None:
        super().__init__()
        if not std >= 0.0:
            raise ValueError(f"GaussianNoise std must be >= 0, got {std}")
        self.std = float(std)
        self._rng: np.random.Generator | None = None

    def build(self, in_features: int, rng: np.random.Generator, dtype: np.dtype) -> int:
        self._rng = rng
        return super().build(in_features, rng, dtype)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """X: (N, d) -> X + noise in training, X otherwise."""
        if not training or self.std == 0.0:
            return x
        noise = self._rng.standard_normal(x.shape, dtype=x.dtype)
        noise *= self.std
        noise += x
        return noise

    def call(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, dy: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        return dy  # d(x + ε)/dx = I

    def get_config(self) -> dict[str, Any]:
        return {"std": self.std}


#: mlpkit's own layer classes
BUILT_IN = frozenset(
    {Dense, ActivationLayer, Identity, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, SELU, Softplus, Exp,
     SiLU, GELU, Softmax, Dropout, GaussianNoise}
)  # fmt: skip


def from_config(config_type: str, config: dict[str, Any]) -> Layer:
    """Rebuild a layer from its ``config_type`` and ``get_config()`` (the file format)."""
    settings = dict(config)
    if config_type == "Dense":
        settings["activation"] = act.get(
            settings.pop("activation"), **settings.pop("activation_config", {})
        )
        for key in ("regularizer", "bias_regularizer"):
            settings[key] = regs.from_config(settings.get(key))
        return Dense(**settings)
    if config_type == "Activation":
        name, act_config = settings["activation"], settings.get("activation_config", {})
        for cls in ActivationLayer.__subclasses__():  # the named layer class, e.g. ReLU
            if cls.activation_cls.name == name:
                return cls(**act_config)
        return ActivationLayer(name, **act_config)
    if config_type == "Dropout":
        return Dropout(**settings)
    if config_type == "GaussianNoise":
        return GaussianNoise(**settings)
    raise ValueError(f"unknown layer type {config_type!r}")


def dense_stack(
    widths: list[int],
    activation: str | act.Activation,
    output_activation: str | act.Activation | None,
    dropout: float = 0.0,
    layer_kwargs: Any = None,
) -> list[Layer]:
    """Dense layers from a list of widths [k0, k1, ..., kL]: ``activation`` on every hidden
    layer, ``output_activation`` on the last, and Dropout(dropout) after each hidden one.

    ``layer_kwargs``: a dict of further Dense arguments for every layer, or a function
    (fan_in, fan_out) -> dict for arguments that depend on the layer's size.
    """
    widths = [int(w) for w in widths]
    if len(widths) < 2:
        raise ValueError(f"a Dense stack needs at least two widths, got {widths}")
    layers: list[Layer] = []
    pairs = list(itertools.pairwise(widths))
    for i, (fan_in, fan_out) in enumerate(pairs):
        last = i == len(pairs) - 1
        extra = layer_kwargs(fan_in, fan_out) if callable(layer_kwargs) else (layer_kwargs or {})
        layers.append(Dense(fan_in, fan_out, output_activation if last else activation, **extra))
        if dropout and not last:
            layers.append(Dropout(dropout))
    return layers
