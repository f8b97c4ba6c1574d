"""mlpkit: multilayer perceptrons and autoencoders with backpropagation written by hand
in NumPy, layer by layer, as the lecture notes derive it.

    >>> import mlpkit
    >>> X, y = mlpkit.datasets.xor()
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 1, "sigmoid")], seed=0)
    >>> history = net.fit(X, y, optimizer=mlpkit.optimizers.Adam(lr=0.05), epochs=300,
    ...                   batch_size=None, verbose=0)
    >>> net.predict_classes(X).tolist()
    [1, 0, 1, 0]

``import mlpkit`` needs NumPy only.
"""

from typing import Any

from . import activations, callbacks, initializers, losses, optimizers, regularizers
from .callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    GradientMonitor,
    History,
    ModelCheckpoint,
    NonFiniteLossError,
    TensorBoard,
    TerminateOnNaN,
)
from .fast import fast_paths
from .gradcheck import GradcheckReport, gradcheck
from .layers import (
    ELU,
    GELU,
    SELU,
    BatchNorm,
    Dense,
    Dropout,
    Exp,
    Identity,
    InputFeatures,
    Layer,
    LayerNorm,
    LeakyReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .network import Sequential
from .regularizers import L1, L1L2, L2
from .trace import Trace, trace

#: make your own Activation / Loss / Initializer subclass known by its ``name``
#: (usable as a class decorator): by name in layers and fit, and in saved files
register_activation = activations.REGISTRY.register
register_loss = losses.REGISTRY.register
register_initializer = initializers.REGISTRY.register

__version__ = "0.1.0"

# Everything below loads on first use (PEP 562), so `import mlpkit` stays fast and needs
# NumPy only: the submodules with optional dependencies (sklearn, onnx, plots) and the
# ones a training script may never touch.
_LAZY_MODULES = {
    "autoencoder",
    "datasets",
    "explorer",
    "io",
    "metrics",
    "onnx",
    "playground",
    "plots",
    "reduction",
    "sklearn",
    "training",
}
_LAZY_NAMES = {
    "Autoencoder": "autoencoder",
    "LoadError": "io",
    "load": "io",
    "save": "io",
    "one_hot": "datasets",
    "from_one_hot": "datasets",
}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _LAZY_MODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY_NAMES[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mlpkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY_MODULES | set(_LAZY_NAMES))


__all__ = [
    "ELU",
    "GELU",
    "L1",
    "L1L2",
    "L2",
    "SELU",
    "Autoencoder",
    "BatchNorm",
    "CSVLogger",
    "Callback",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "Exp",
    "GradcheckReport",
    "GradientMonitor",
    "History",
    "Identity",
    "InputFeatures",
    "Layer",
    "LayerNorm",
    "LeakyReLU",
    "LoadError",
    "ModelCheckpoint",
    "NonFiniteLossError",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "TensorBoard",
    "TerminateOnNaN",
    "Trace",
    "__version__",
    "activations",
    "autoencoder",
    "callbacks",
    "datasets",
    "explorer",
    "fast_paths",
    "from_one_hot",
    "gradcheck",
    "initializers",
    "load",
    "losses",
    "metrics",
    "one_hot",
    "optimizers",
    "reduction",
    "register_activation",
    "register_initializer",
    "register_loss",
    "regularizers",
    "save",
    "trace",
]
