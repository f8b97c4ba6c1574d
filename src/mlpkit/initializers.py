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
    usable by name (``Dense(..., init=name)``).

    Examples
    --------
    >>> import numpy as np
    >>> import mlpkit
    >>> class Ones(mlpkit.initializers.Initializer):
    ...     name = "ones_example"
    ...     def __call__(self, shape, rng, dtype="float32"):
    ...         return np.ones(shape, dtype)
    >>> Ones()((2, 2), np.random.default_rng(0)).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """

    name = ""

    def __call__(
        self, shape: tuple[int, ...], rng: np.random.Generator, dtype: np.dtype | str = "float32"
    ) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict[str, float]:
        return {}

    __repr__ = config_repr


class Constant(Initializer):
    """Every entry equal to ``value``.

    Parameters
    ----------
    value : float, default 0.0
        The value of every entry.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.initializers import Constant
    >>> W = Constant(0.5)((64, 32), np.random.default_rng(0))
    >>> W.shape, W.dtype, round(float(W.std()), 2)
    ((64, 32), dtype('float32'), 0.0)
    """

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
    """All zeros: fine for biases; for weights it leaves every unit of a layer identical.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.initializers import Zeros
    >>> W = Zeros()((64, 32), np.random.default_rng(0))
    >>> W.shape, W.dtype, round(float(W.std()), 2)
    ((64, 32), dtype('float32'), 0.0)
    """

    name = "zeros"

    def __init__(self) -> None:
        super().__init__(0.0)

    def get_config(self) -> dict[str, float]:
        return {}


class Normal(Initializer):
    """N(mean, std²) entries.

    Parameters
    ----------
    std : float, default 0.05
        The standard deviation.
    mean : float, default 0.0
        The mean.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.initializers import Normal
    >>> W = Normal(std=0.1)((64, 32), np.random.default_rng(0))
    >>> W.shape, W.dtype, round(float(W.std()), 2)
    ((64, 32), dtype('float32'), 0.1)
    """

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
    """U(low, high) entries; ``Uniform(limit)`` means U(-limit, limit).

    Parameters
    ----------
    limit : float, default 0.05
        The upper bound (and −limit the lower, without ``low``).
    low : float, optional
        The lower bound.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.initializers import Uniform
    >>> W = Uniform(0.1)((64, 32), np.random.default_rng(0))
    >>> W.shape, W.dtype, round(float(W.std()), 2)
    ((64, 32), dtype('float32'), 0.06)
    """

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
    """Variance = scale / fan, drawn uniform or normal; the fans: "in" = k1 (rows of W),
    "avg" = (k1 + k2) / 2, a vector's fan is its length."""

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


class GlorotUniform(_VarianceScaling):
    """Uniform entries of variance 1 / fan_avg: Glorot & Bengio (2010); Keras's default.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.initializers import GlorotUniform
    >>> GlorotUniform()((64, 32), np.random.default_rng(0)).shape
    (64, 32)
    """

    name = "glorot_uniform"
    scale = 1.0
    fan = "avg"
    distribution = "uniform"


class GlorotNormal(_VarianceScaling):
    """Normal entries of variance 1 / fan_avg: Glorot & Bengio (2010).

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.initializers import GlorotNormal
    >>> GlorotNormal()((64, 32), np.random.default_rng(0)).shape
    (64, 32)
    """

    name = "glorot_normal"
    scale = 1.0
    fan = "avg"
    distribution = "normal"


class HeUniform(_VarianceScaling):
    """Uniform entries of variance 2 / fan_in: He et al. (2015), for the ReLU family.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.initializers import HeUniform
    >>> HeUniform()((64, 32), np.random.default_rng(0)).shape
    (64, 32)
    """

    name = "he_uniform"
    scale = 2.0
    fan = "in"
    distribution = "uniform"


class HeNormal(_VarianceScaling):
    """Normal entries of variance 2 / fan_in: He et al. (2015), for the ReLU family.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.initializers import HeNormal
    >>> HeNormal()((64, 32), np.random.default_rng(0)).shape
    (64, 32)
    """

    name = "he_normal"
    scale = 2.0
    fan = "in"
    distribution = "normal"


class LecunUniform(_VarianceScaling):
    """Uniform entries of variance 1 / fan_in: LeCun et al. (1998).

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.initializers import LecunUniform
    >>> LecunUniform()((64, 32), np.random.default_rng(0)).shape
    (64, 32)
    """

    name = "lecun_uniform"
    scale = 1.0
    fan = "in"
    distribution = "uniform"


class LecunNormal(_VarianceScaling):
    """Normal entries of variance 1 / fan_in: LeCun et al. (1998), for SELU.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.initializers import LecunNormal
    >>> LecunNormal()((64, 32), np.random.default_rng(0)).shape
    (64, 32)
    """

    name = "lecun_normal"
    scale = 1.0
    fan = "in"
    distribution = "normal"


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
    """An Initializer from a name, an instance, or its :func:`to_config` form.

    Parameters
    ----------
    init : str, Initializer or dict
        "he_normal", ..., an instance, or ``{"name": ..., "config": {...}}``.

    Returns
    -------
    Initializer
        The initialiser.

    Raises
    ------
    ValueError
        An unknown name, naming the known ones.

    Examples
    --------
    >>> import mlpkit
    >>> (mlpkit.initializers.get("he_normal"),
    ...  mlpkit.initializers.get({"name": "constant", "config": {"value": 0.1}}))
    (HeNormal(), Constant(value=0.1))
    """
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
    """What :func:`get` rebuilds an initialiser from (the file format's form).

    Parameters
    ----------
    init : Initializer
        The initialiser.

    Returns
    -------
    dict
        ``{"name": ..., "config": {...}}``.

    Examples
    --------
    >>> import mlpkit
    >>> mlpkit.initializers.to_config(mlpkit.initializers.Normal(std=0.2))
    {'name': 'normal', 'config': {'std': 0.2, 'mean': 0.0}}
    """
    return {"name": init.name, "config": init.get_config()}


def default_for(activation_name: str) -> Initializer:
    """The default initialiser of an activation.

    Parameters
    ----------
    activation_name : str
        The activation's name.

    Returns
    -------
    Initializer
        He for the ReLU family, LeCun normal for SELU, Glorot uniform for everything else.

    Examples
    --------
    >>> import mlpkit
    >>> mlpkit.initializers.default_for("relu"), mlpkit.initializers.default_for("tanh")
    (HeUniform(), GlorotUniform())
    """
    if activation_name in ("relu", "leaky_relu", "elu", "gelu", "silu"):
        return HeUniform()
    if activation_name == "selu":
        return LecunNormal()
    return GlorotUniform()
