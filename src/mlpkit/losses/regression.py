"""The regression losses: squared (the course's ½‖ŷ − t‖²), mean squared, half squared,
mean absolute, Huber and the Poisson deviance, each with its exact gradient."""

from __future__ import annotations

import numpy as np

from .._backend import Array, namespace_of
from ..activations import Exp
from .base import Loss, _row_dot

__all__ = [
    "HalfSquaredError",
    "Huber",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "PoissonDeviance",
    "SquaredLoss",
]


class SquaredLoss(Loss):
    """The squared loss of Chapter 1 and the backpropagation handout: l_i = ½‖ŷ_i − t_i‖²,
    averaged over samples.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.losses import SquaredLoss
    >>> loss = SquaredLoss()
    >>> p, t = np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])
    >>> round(loss(p, t), 4), loss.gradient(p, t).round(4).tolist()
    (2.5, [[1.0, 2.0]])
    """

    name = "squared"

    def sample_losses(self, p: Array, t: Array) -> Array:
        e = p - t
        return 0.5 * _row_dot(e, e)

    def sample_gradients(self, p: Array, t: Array) -> Array:
        return p - t


class MeanSquaredError(Loss):
    """Mean over all elements of (ŷ − t)² (PyTorch's MSELoss, Keras's mse).

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.losses import MeanSquaredError
    >>> loss = MeanSquaredError()
    >>> p, t = np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])
    >>> round(loss(p, t), 4), loss.gradient(p, t).round(4).tolist()
    (2.5, [[1.0, 2.0]])
    """

    name = "mse"

    def sample_losses(self, p: Array, t: Array) -> Array:
        e = p - t
        return _row_dot(e, e) / p.shape[1]

    def sample_gradients(self, p: Array, t: Array) -> Array:
        g = p - t
        g *= 2.0 / p.shape[1]
        return g


class HalfSquaredError(MeanSquaredError):
    """Half the mean over all elements of (ŷ − t)² — scikit-learn's MLPRegressor loss.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.losses import HalfSquaredError
    >>> loss = HalfSquaredError()
    >>> p, t = np.array([[1.0, 2.0]]), np.array([[0.0, 0.0]])
    >>> round(loss(p, t), 4), loss.gradient(p, t).round(4).tolist()
    (1.25, [[0.5, 1.0]])
    """

    name = "half_squared_error"

    def sample_losses(self, p: Array, t: Array) -> Array:
        return 0.5 * super().sample_losses(p, t)

    def sample_gradients(self, p: Array, t: Array) -> Array:
        g = super().sample_gradients(p, t)
        g *= 0.5
        return g


class MeanAbsoluteError(Loss):
    """Mean over all elements of ``|ŷ − t|``; sub-gradient sign(ŷ − t) (0 at a tie).

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.losses import MeanAbsoluteError
    >>> loss = MeanAbsoluteError()
    >>> p, t = np.array([[1.0, -2.0]]), np.array([[0.0, 0.0]])
    >>> round(loss(p, t), 4), loss.gradient(p, t).round(4).tolist()
    (1.5, [[0.5, -0.5]])
    """

    name = "mae"

    def sample_losses(self, p: Array, t: Array) -> Array:
        xp = namespace_of(p)
        return xp.mean(xp.abs(p - t), axis=1)

    def sample_gradients(self, p: Array, t: Array) -> Array:
        g = namespace_of(p).sign(p - t)
        g *= 1.0 / p.shape[1]
        return g


class Huber(Loss):
    """Mean over elements of ρ(e): ½e² for ``|e| ≤ δ``, ``δ(|e| − ½δ)`` beyond (PyTorch HuberLoss).

    Parameters
    ----------
    delta : float, default 1.0
        δ, where the quadratic part ends.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.losses import Huber
    >>> loss = Huber()
    >>> p, t = np.array([[0.5, 3.0]]), np.array([[0.0, 0.0]])
    >>> round(loss(p, t), 4), loss.gradient(p, t).round(4).tolist()
    (1.3125, [[0.25, 0.5]])
    """

    name = "huber"

    def __init__(self, delta: float = 1.0) -> None:
        if delta <= 0:
            raise ValueError(f"Huber delta must be > 0, got {delta}")
        self.delta = float(delta)

    def sample_losses(self, p: Array, t: Array) -> Array:
        xp = namespace_of(p)
        a = xp.abs(p - t)
        quad = xp.minimum(a, self.delta)
        return xp.mean(0.5 * quad * quad + self.delta * (a - quad), axis=1)

    def sample_gradients(self, p: Array, t: Array) -> Array:
        g = namespace_of(p).clip(p - t, -self.delta, self.delta)
        g *= 1.0 / p.shape[1]
        return g

    def get_config(self) -> dict[str, float | bool]:
        return {"delta": self.delta}


_EXP = Exp()


class PoissonDeviance(Loss):
    """Half the Poisson deviance, summed over outputs (scikit-learn's MLPRegressor
    loss="poisson"): l = Σ_k [t log(t / ŷ) − t + ŷ], t ≥ 0 (t log t = 0 at t = 0);
    zero exactly where ŷ = t. ∂l/∂ŷ = 1 − t / ŷ, with ŷ kept above the dtype's smallest
    normal number. Pair it with an "exp" output (the log link): with ``from_logits=True``
    y_pred is the log-rate z, l = Σ [t log t − t z − t + e^z] and ∂l/∂z = e^z − t, which
    stays exact where e^z underflows to 0 (the probability form would lose the −t).

    Parameters
    ----------
    from_logits : bool, default False
        y_pred is the log-rate z.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.losses import PoissonDeviance
    >>> loss = PoissonDeviance()
    >>> p, t = np.array([[2.0]]), np.array([[1.0]])
    >>> round(loss(p, t), 4), loss.gradient(p, t).round(4).tolist()
    (0.3069, [[0.5]])
    """

    name = "poisson"

    def __init__(self, from_logits: bool = False) -> None:
        self.from_logits = bool(from_logits)

    def prepare_targets(self, y, n_outputs, dtype, n_samples=None):  # type: ignore[no-untyped-def]
        t = super().prepare_targets(y, n_outputs, dtype, n_samples)
        if np.any(t < 0):
            raise ValueError("poisson targets must be >= 0 (counts, rates or frequencies)")
        return t

    @staticmethod
    def _t_log_t(t: Array) -> Array:
        xp = namespace_of(t)
        return t * xp.log(xp.where(t > 0, t, 1.0))

    def sample_losses(self, p: Array, t: Array) -> Array:
        if self.from_logits:
            return self._sample_losses_from_rate(_EXP.forward(p), p, t)
        xp = namespace_of(p)
        q = xp.maximum(p, float(xp.finfo(p.dtype).smallest_normal))
        return self._sample_losses_from_rate(q, xp.log(q), t)

    def _sample_losses_from_rate(self, rate: Array, log_rate: Array, t: Array) -> Array:
        return namespace_of(t).sum(self._t_log_t(t) - t * log_rate - t + rate, axis=1)

    def sample_gradients(self, p: Array, t: Array) -> Array:
        if self.from_logits:
            return _EXP.forward(p) - t
        xp = namespace_of(p)
        return 1.0 - t / xp.maximum(p, float(xp.finfo(p.dtype).smallest_normal))
