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

from . import (
    activations,
    callbacks,
    datasets,
    initializers,
    losses,
    metrics,
    optimizers,
    regularizers,
)
from .callbacks import (
    Callback,
    EarlyStopping,
    GradientMonitor,
    History,
    ModelCheckpoint,
    NonFiniteLossError,
    TerminateOnNaN,
)
from .datasets import from_one_hot, one_hot
from .gradcheck import GradcheckReport, gradcheck
from .io import LoadError, load, save
from .layers import (
    ELU,
    GELU,
    SELU,
    Dense,
    Dropout,
    Identity,
    Layer,
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

__version__ = "0.1.0"

__all__ = [
    "ELU",
    "GELU",
    "L1",
    "L1L2",
    "L2",
    "SELU",
    "Callback",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "GradcheckReport",
    "GradientMonitor",
    "History",
    "Identity",
    "Layer",
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
    "TerminateOnNaN",
    "Trace",
    "__version__",
    "activations",
    "callbacks",
    "datasets",
    "from_one_hot",
    "gradcheck",
    "initializers",
    "load",
    "losses",
    "metrics",
    "one_hot",
    "optimizers",
    "regularizers",
    "save",
    "trace",
]
