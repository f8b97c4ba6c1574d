"""Weight initialisers: ``init(shape, rng, dtype) -> array``.

A weight matrix W has shape ``(fan_in, fan_out)``. The variance-scaling schemes keep
activations and gradients at a steady scale from layer to layer, which is what stops
them exploding or vanishing in deep nets (the worksheet, "further explorations"):

========================  =============================================
glorot (Xavier) uniform    U(-l, l),  l = √(6 / (fan_in + fan_out))
glorot normal              N(0, 2 / (fan_in + fan_out))
he (Kaiming) uniform       U(-l, l),  l = √(6 / fan_in)
he normal                  N(0, 2 / fan_in)
lecun uniform / normal     U(-√(3/fan_in), √(3/fan_in)) / N(0, 1 / fan_in)
========================  =============================================

He suits the ReLU family, LeCun suits SELU, Glorot the rest; :func:`default_for`
picks accordingly. Randomness always comes from the ``numpy.random.Generator`` passed
in (the network's), never NumPy's global state.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._registry import Registry, config_repr

__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Normal",
    "Uniform",
    "Zeros",
    "default_for",
    "get",
    "to_config",
]


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 1:
        return shape[0], shape[0]
    return shape[0], shape[1]


class Initializer:
    """Base class. Subclasses set ``name`` and implement ``__call__(shape, rng, dtype)``,
    returning an array of ``shape`` (W: (k1, k2), b: (k2,)) drawn from ``rng``, the
    network's ``numpy.random.Generator``. ``mlpkit.register_initializer(cls)`` makes it
    usable by name (``Dense(..., init=name)``)."""

    name = ""

    def __call__(
        self, shape: tuple[int, ...], rng: np.random.Generator, dtype: np.dtype | str = "float32"
    ) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict[str, float]:
        return {}

    __repr__ = config_repr


class Constant(Initializer):
    """Every entry equal to ``value``."""

    name = "constant"

    def __init__(self, value: float = 0.0) -> None:
        self.value = float(value)

    def __call__(
        self, shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = "float32"
    ) -> np.ndarray:
        return np.full(shape, self.value, dtype=dtype)

    def get_config(self) -> dict[str, float]:
        return {"value": self.value}


class Zeros(Constant):
    """All zeros: fine for biases; for weights it leaves every unit of a layer identical."""

    name = "zeros"

    def __init__(self) -> None:
        super().__init__(0.0)

    def get_config(self) -> dict[str, float]:
        return {}


class Normal(Initializer):
    """N(mean, std²) entries."""

    name = "normal"

    def __init__(self, std: float = 0.05, mean: float = 0.0) -> None:
        self.std, self.mean = float(std), float(mean)

    def __call__(
        self, shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = "float32"
    ) -> np.ndarray:
        return rng.normal(self.mean, self.std, size=shape).astype(dtype)

    def get_config(self) -> dict[str, float]:
        return {"std": self.std, "mean": self.mean}


class Uniform(Initializer):
    """U(low, high) entries; ``Uniform(limit)`` means U(-limit, limit)."""

    name = "uniform"

    def __init__(self, limit: float = 0.05, low: float | None = None) -> None:
        self.high = float(limit)
        self.low = -self.high if low is None else float(low)

    def __call__(
        self, shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = "float32"
    ) -> np.ndarray:
        return rng.uniform(self.low, self.high, size=shape).astype(dtype)

    def get_config(self) -> dict[str, float]:
        return {"limit": self.high, "low": self.low}


class _VarianceScaling(Initializer):
    """Variance = scale / fan, drawn uniform or normal."""

    scale = 1.0
    fan = "in"  # "in" or "avg"
    distribution = "uniform"

    def __call__(
        self, shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = "float32"
    ) -> np.ndarray:
        fan_in, fan_out = _fans(tuple(shape))
        fan = fan_in if self.fan == "in" else (fan_in + fan_out) / 2.0
        variance = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return rng.uniform(-limit, limit, size=shape).astype(dtype)
        return rng.normal(0.0, math.sqrt(variance), size=shape).astype(dtype)


def _variance_scaling(
    cls_name: str, name: str, scale: float, fan: str, distribution: str
) -> type[_VarianceScaling]:
    attrs = {"name": name, "scale": scale, "fan": fan, "distribution": distribution,
             "__module__": __name__, "__qualname__": cls_name,
             "__doc__": f"{distribution.title()} entries of variance {scale:g} / fan_{fan}."}  # fmt: skip
    return type(cls_name, (_VarianceScaling,), attrs)


#: the fans: "in" = k1 (rows of W), "avg" = (k1 + k2) / 2
GlorotUniform = _variance_scaling("GlorotUniform", "glorot_uniform", 1.0, "avg", "uniform")
GlorotNormal = _variance_scaling("GlorotNormal", "glorot_normal", 1.0, "avg", "normal")
HeUniform = _variance_scaling("HeUniform", "he_uniform", 2.0, "in", "uniform")
HeNormal = _variance_scaling("HeNormal", "he_normal", 2.0, "in", "normal")
LecunUniform = _variance_scaling("LecunUniform", "lecun_uniform", 1.0, "in", "uniform")
LecunNormal = _variance_scaling("LecunNormal", "lecun_normal", 1.0, "in", "normal")


_ALIASES = {
    "xavier_uniform": "glorot_uniform",
    "xavier_normal": "glorot_normal",
    "kaiming_uniform": "he_uniform",
    "kaiming_normal": "he_normal",
    "zero": "zeros",
}
#: the one table of initialisers by name
REGISTRY: Registry[Initializer] = Registry(
    "initializer",
    Initializer,
    (Zeros, Constant, Normal, Uniform, GlorotUniform, GlorotNormal, HeUniform, HeNormal,
     LecunUniform, LecunNormal),
    _ALIASES,
    function_hint="subclass mlpkit.initializers.Initializer with __call__(shape, rng, dtype), "
    "drawing from the generator it is given (so a seed reproduces it), and register it with "
    "mlpkit.register_initializer",
)  # fmt: skip


def get(init: str | Initializer | dict[str, Any]) -> Initializer:
    """Return an Initializer from a name ("he_normal", ...), an instance, or the
    ``to_config`` form {"name": ..., "config": {...}} (the file format's)."""
    if isinstance(init, dict):
        if set(init) - {"name", "config"} or not isinstance(init.get("name"), str):
            raise ValueError(
                f"an initializer's config is {{'name': ..., 'config': {{...}}}}, got {init!r}"
            )
        config = init.get("config") or {}
        if not isinstance(config, dict):
            raise ValueError(f"initializer {init['name']!r}: its config must be a JSON object")
        return REGISTRY.create(init["name"], **config)
    return REGISTRY.create(init)


def to_config(init: Initializer) -> dict[str, Any]:
    """{"name": ..., "config": {...}}: what ``get`` rebuilds the initializer from."""
    return {"name": init.name, "config": init.get_config()}


def default_for(activation_name: str) -> Initializer:
    """He for the ReLU family, LeCun normal for SELU, Glorot uniform for everything else."""
    if activation_name in ("relu", "leaky_relu", "elu", "gelu", "silu"):
        return HeUniform()
    if activation_name == "selu":
        return LecunNormal()
    return GlorotUniform()
