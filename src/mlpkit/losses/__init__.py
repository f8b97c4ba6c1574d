"""Losses: a value ``loss(y_pred, y_true) -> float`` and its gradient
``loss.gradient(y_pred, y_true) -> dL/dy_pred`` (same shape as y_pred).

Every loss is a per-sample loss l_i averaged over the N samples,
L = (1/N) Σ_i l_i (the backpropagation handout), so every gradient carries the 1/N. With sample weights
w_i it is L = (1/N) Σ_i w_i l_i (Keras's "sum over batch size" convention).

================================  ======================================  ==============
name                              per-sample l_i                          dl_i/dŷ_i
================================  ======================================  ==============
squared (Chapter 1, the handout)  ½ Σ_k (ŷ_k − t_k)²                      ŷ − t
mse (PyTorch/Keras)               (1/d) Σ_k (ŷ_k − t_k)²                  2(ŷ − t)/d
mae                               (1/d) Σ_k abs(ŷ_k − t_k)                sign(ŷ − t)/d
huber(δ)                          (1/d) Σ_k ρ_δ(ŷ_k − t_k)                clip(ŷ − t, ±δ)/d
binary_cross_entropy              −(1/d) Σ_k t log ŷ + (1−t) log(1−ŷ)     (ŷ − t)/(ŷ(1−ŷ)d)
cross_entropy                     −Σ_k t_k log ŷ_k                        −t/ŷ
================================  ======================================  ==============

The cross-entropies also take ``from_logits=True``: then y_pred is the pre-activation z
and the loss applies log-softmax / log-sigmoid itself, stably.

The formulas run on any array API library (``xp``: NumPy, PyTorch, CuPy, ...). Targets
are checked on the host (``prepare_targets``), once per fit; on NumPy a loss value is a
Python float, elsewhere a 0-d array on the data's device (no synchronisation per step).
(The MLP motivation notes writes
the cross-entropy as −Σ f_k y_k and the backpropagation handout as −ŷᵀ log ŷ; both drop or misplace a
term: it is −Σ_k y_k log ŷ_k, which is what is implemented.)
"""

from __future__ import annotations

from .._registry import Registry, known_as
from .base import Loss, as_sample_weights, one_hot_like
from .classification import BinaryCrossEntropy, CrossEntropy
from .regression import (
    HalfSquaredError,
    Huber,
    MeanAbsoluteError,
    MeanSquaredError,
    PoissonDeviance,
    SquaredLoss,
)

__all__ = [
    "BinaryCrossEntropy",
    "CrossEntropy",
    "HalfSquaredError",
    "Huber",
    "Loss",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "PoissonDeviance",
    "SquaredLoss",
    "as_sample_weights",
    "get",
    "names",
    "one_hot_like",
]

# the public classes are known by this package's name (in messages, reprs and pickles)
known_as(
    __name__,
    Loss,
    SquaredLoss,
    MeanSquaredError,
    HalfSquaredError,
    MeanAbsoluteError,
    Huber,
    PoissonDeviance,
    BinaryCrossEntropy,
    CrossEntropy,
)

_ALIASES = {
    "squared_loss": "squared",
    "sse": "squared",
    "mean_squared_error": "mse",
    "mean_absolute_error": "mae",
    "bce": "binary_cross_entropy",
    "binary_crossentropy": "binary_cross_entropy",
    "log_loss": "binary_cross_entropy",
    "ce": "cross_entropy",
    "crossentropy": "cross_entropy",
    "categorical_crossentropy": "cross_entropy",
    "categorical_cross_entropy": "cross_entropy",
    "sparse_categorical_crossentropy": "cross_entropy",
}


#: the one table of losses by name
REGISTRY: Registry[Loss] = Registry(
    "loss",
    Loss,
    (
        SquaredLoss,
        MeanSquaredError,
        HalfSquaredError,
        MeanAbsoluteError,
        Huber,
        PoissonDeviance,
        BinaryCrossEntropy,
        CrossEntropy,
    ),
    _ALIASES,
    function_hint="mlpkit needs the loss's exact gradient as well as its value, so subclass "
    "mlpkit.losses.Loss with sample_losses(p, t) and sample_gradients(p, t) and register it "
    "with mlpkit.register_loss",
)


def names() -> list[str]:
    """The loss names :func:`get` accepts (aliases excluded).

    Returns
    -------
    list of str
        In registration order.

    Examples
    --------
    >>> import mlpkit
    >>> mlpkit.losses.names()[:3]
    ['squared', 'mse', 'half_squared_error']
    """
    return REGISTRY.names()


def get(loss: str | Loss, **config: float | bool) -> Loss:
    """A Loss from a name ("squared", "mse", "cross_entropy", ...) or an instance.

    Parameters
    ----------
    loss : str or Loss
        A registered name, or an instance (returned as it is).
    **config : float or bool
        Settings for a name (``delta``, ``from_logits``).

    Returns
    -------
    Loss
        The loss.

    Raises
    ------
    ValueError
        An unknown name, naming the known ones.

    Examples
    --------
    >>> import mlpkit
    >>> mlpkit.losses.get("huber", delta=2.0)
    Huber(delta=2.0)
    """
    return REGISTRY.create(loss, **config)
