"""The classification losses: binary cross-entropy (per output, for sigmoid units) and
cross-entropy (for a softmax), on probabilities or, with ``from_logits=True``, on the
pre-activation z through a stable log-sigmoid / log-softmax."""

from __future__ import annotations

import numpy as np

from .._backend import Array, namespace_of
from ..activations import sigmoid
from .base import Loss, _check_finite, _check_rows, _numeric, _row_dot, _target_rows, one_hot_like

__all__ = ["BinaryCrossEntropy", "CrossEntropy"]


class BinaryCrossEntropy(Loss):
    """Mean over elements of −[t log ŷ + (1 − t) log(1 − ŷ)], t in [0, 1].

    On probabilities ŷ is clipped to [ε, 1 − ε] (ε = machine epsilon of the dtype), so
    the value and gradient stay finite. With ``from_logits=True`` y_pred is z and
    l = max(z, 0) − z t + log(1 + e^{−abs(z)}), gradient (sigmoid(z) − t)/d: exact and
    finite for any z.

    ``sum_outputs=True`` sums over the d outputs instead of averaging (scikit-learn's
    multilabel log loss: each label a binary problem of its own weight); gradient
    sigmoid(z) − t.

    Parameters
    ----------
    from_logits : bool, default False
        y_pred is the logit z, and the loss applies log-sigmoid itself.
    sum_outputs : bool, default False
        Sum over the d outputs instead of averaging them.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.losses import BinaryCrossEntropy
    >>> loss = BinaryCrossEntropy()
    >>> p, t = np.array([[0.9], [0.2]]), np.array([[1.0], [0.0]])
    >>> round(loss(p, t), 4), loss.gradient(p, t).round(4).tolist()
    (0.1643, [[-0.5556], [0.625]])
    """

    name = "binary_cross_entropy"

    def __init__(self, from_logits: bool = False, sum_outputs: bool = False) -> None:
        self.from_logits = bool(from_logits)
        self.sum_outputs = bool(sum_outputs)

    def get_config(self) -> dict[str, float | bool]:
        config = super().get_config()
        return config | {"sum_outputs": True} if self.sum_outputs else config

    def prepare_targets(self, y, n_outputs, dtype, n_samples=None):  # type: ignore[no-untyped-def]
        t = super().prepare_targets(y, n_outputs, dtype, n_samples)
        if np.any(t < 0) or np.any(t > 1):
            raise ValueError("binary_cross_entropy targets must lie in [0, 1] (use 0/1 labels)")
        return t

    def sample_losses(self, p: Array, t: Array) -> Array:
        xp = namespace_of(p)
        if self.from_logits:
            per = xp.maximum(p, 0.0) - p * t + xp.log1p(xp.exp(-xp.abs(p)))
        else:
            eps = float(xp.finfo(p.dtype).eps)
            q = xp.clip(p, eps, 1.0 - eps)
            per = -(t * xp.log(q) + (1.0 - t) * xp.log1p(-q))
        return xp.sum(per, axis=1) if self.sum_outputs else xp.mean(per, axis=1)

    def sample_gradients(self, p: Array, t: Array) -> Array:
        if self.from_logits:
            g = sigmoid(p) - t
        else:
            xp = namespace_of(p)
            eps = float(xp.finfo(p.dtype).eps)
            q = xp.clip(p, eps, 1.0 - eps)
            g = (q - t) / (q * (1.0 - q))
        if not self.sum_outputs:
            g *= 1.0 / p.shape[1]
        return g


class CrossEntropy(Loss):
    """l_i = −Σ_k t_ik log ŷ_ik with t one-hot rows (or probabilities), or integer labels
    y_i in 0..C−1 meaning l_i = −log ŷ_{i, y_i}.

    ``from_logits=True``: y_pred is z and log ŷ = log_softmax(z) = z − max z −
    log Σ e^{z − max z}; the gradient is softmax(z) − t, finite for any z.

    Parameters
    ----------
    from_logits : bool, default False
        y_pred is the logit z, and the loss applies log-softmax itself.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.losses import CrossEntropy
    >>> p = np.array([[0.7, 0.2, 0.1]])
    >>> round(CrossEntropy()(p, np.array([0])), 4)
    0.3567
    >>> round(CrossEntropy(from_logits=True)(np.array([[2.0, 0.0, 0.0]]), np.array([0])), 4)
    0.2395
    """

    name = "cross_entropy"
    takes_labels = True

    def __init__(self, from_logits: bool = False) -> None:
        self.from_logits = bool(from_logits)

    def prepare_targets(self, y, n_outputs, dtype, n_samples=None):  # type: ignore[no-untyped-def]
        t = _numeric(y, "targets")
        if t.ndim == 2 and t.shape[1] == 1 and n_outputs > 1:
            t = t.reshape(-1)
        if t.ndim == 1:
            _check_rows(t, n_samples)
            _check_finite(t, "targets")
            labels = t.astype(np.int64)
            if t.dtype.kind == "f" and np.any(labels != t):
                raise ValueError("cross_entropy labels must be whole numbers (class indices)")
            bad = np.flatnonzero((labels < 0) | (labels >= n_outputs))
            if bad.size:
                i = int(bad[0])
                raise ValueError(
                    f"label {labels[i]} at row {i} is outside 0..{n_outputs - 1} "
                    f"(the output layer has {n_outputs} units)"
                )
            return labels
        wrong = f"cross_entropy targets must be labels (N,) or one-hot rows (N, {n_outputs}); "
        return _target_rows(t, n_outputs, dtype, n_samples, wrong + "got shape")

    def _log_probs(self, p: Array) -> Array:
        xp = namespace_of(p)
        if self.from_logits:
            shifted = p - xp.max(p, axis=1, keepdims=True)
            return shifted - xp.log(xp.sum(xp.exp(shifted), axis=1, keepdims=True))
        eps = float(xp.finfo(p.dtype).eps)
        return xp.log(xp.clip(p, eps, 1.0))

    @staticmethod
    def _pick(logp: Array, t: Array) -> Array:
        if t.ndim == 1:
            if type(logp) is np.ndarray:
                return -logp[np.arange(t.shape[0]), t]
            return -namespace_of(logp).take_along_axis(logp, t[:, None], axis=1)[:, 0]
        return -_row_dot(t, logp)

    def sample_losses(self, p: Array, t: Array) -> Array:
        return self._pick(self._log_probs(p), t)

    def sample_gradients(self, p: Array, t: Array) -> Array:
        if self.from_logits:
            xp = namespace_of(p)
            g = xp.exp(p - xp.max(p, axis=1, keepdims=True))
            g /= xp.sum(g, axis=1, keepdims=True)
            return self._minus_targets(g, t)
        xp = namespace_of(p)
        eps = float(xp.finfo(p.dtype).eps)
        q = xp.clip(p, eps, 1.0)
        if t.ndim == 1:
            if xp is not np:
                return -one_hot_like(t, p) / q
            g = np.zeros_like(p)
            rows = np.arange(t.shape[0])
            g[rows, t] = -1.0 / q[rows, t]
            return g
        return -t / q

    @staticmethod
    def _minus_targets(g: Array, t: Array) -> Array:
        if t.ndim == 1:
            if type(g) is not np.ndarray:
                return g - one_hot_like(t, g)
            g[np.arange(t.shape[0]), t] -= 1.0
        else:
            # d/dz of −Σ t log softmax z is softmax(z)·Σt − t; Σt = 1 for one-hot rows.
            g *= namespace_of(t).sum(t, axis=1, keepdims=True)
            g -= t
        return g
