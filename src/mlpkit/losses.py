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

from typing import Any, ClassVar, cast

import numpy as np

from ._backend import Array, asarray, device_of, namespace_of, to_numpy
from ._registry import Registry, config_repr
from .activations import Exp, sigmoid

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


def as_sample_weights(sample_weight: Array | None, n: int, dtype: np.dtype) -> Array | None:
    """Checked sample weights, or None for unweighted.

    Parameters
    ----------
    sample_weight : array of shape (n,) or None
        The weights.
    n : int
        The number of samples.
    dtype : numpy.dtype
        Their dtype.

    Returns
    -------
    array of shape (n,) or None
        The weights, in ``dtype``.

    Raises
    ------
    ValueError
        A wrong length, or a negative or non-finite weight.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.losses import as_sample_weights
    >>> as_sample_weights([1, 2], 2, np.dtype("float32")).tolist()
    [1.0, 2.0]
    """
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=dtype).reshape(-1)
    if w.shape[0] != n:
        raise ValueError(f"sample_weight has {w.shape[0]} entries but there are {n} samples")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("sample_weight must be finite and non-negative")
    return w


class Loss:
    """Base class of every loss. To write your own (a focal loss, say), subclass it and set:

    * ``name`` — the name it is known, saved and loaded by;
    * ``sample_losses(p, t)`` — per-sample losses l_i: p (N, d) predictions, t the prepared
      targets (N, d) (``CrossEntropy`` subclasses get class labels (N,) or rows (N, d));
      returns (N,);
    * ``sample_gradients(p, t)`` — dl_i/dp_i: (N, d), a fresh array (the mean's 1/N and
      the sample weights are applied by the base class);
    * ``get_config()`` — its constructor arguments as JSON values, if it has any.

    Then ``mlpkit.register_loss(MyLoss)`` (or ``@mlpkit.register_loss``) lets
    ``fit(loss="my_loss")``, ``mlpkit.save`` and ``mlpkit.load`` use it; ``gradcheck``
    checks its gradient like the built-ins'.

    Examples
    --------
    >>> import numpy as np
    >>> import mlpkit
    >>> class LogCoshExample(mlpkit.losses.Loss):
    ...     name = "log_cosh_example"
    ...     def sample_losses(self, p, t):
    ...         return np.log(np.cosh(p - t)).mean(axis=1)
    ...     def sample_gradients(self, p, t):
    ...         return np.tanh(p - t) / p.shape[1]
    >>> round(LogCoshExample()(np.array([[1.0]]), np.array([[0.0]])), 4)
    0.4338
    """

    name: ClassVar[str] = ""
    #: whether targets are class labels (cross-entropy) rather than values
    takes_labels: ClassVar[bool] = False

    from_logits = False

    # -- public API -------------------------------------------------------------------
    def __call__(self, y_pred: Array, y_true: Array, sample_weight: Array | None = None) -> float:
        """L = (1/N) Σ_i w_i l_i. y_pred: (N, d); y_true: (N, d), (N,) or labels (N,)."""
        p, t, w = self._checked(y_pred, y_true, sample_weight)
        return float(self._value(p, t, w))

    def _checked(self, y_pred: Any, y_true: Any, sample_weight: Any = None) -> tuple[Any, Any, Any]:
        """Predictions, prepared targets and weights, in y_pred's namespace and device
        (they are checked on the host)."""
        xp = namespace_of(y_pred)
        p = self._check_pred(to_numpy(y_pred) if xp is not np else y_pred)
        t = self.prepare_targets(
            to_numpy(y_true) if xp is not np else y_true, p.shape[1], p.dtype, n_samples=p.shape[0]
        )
        w = as_sample_weights(
            to_numpy(sample_weight)
            if xp is not np and sample_weight is not None
            else sample_weight,
            p.shape[0],
            p.dtype,
        )
        if xp is not np:
            device = device_of(y_pred)
            p, t = asarray(p, xp, device), asarray(t, xp, device)
            w = None if w is None else asarray(w, xp, device)
        return p, t, w

    def loss(self, y_pred: Array, y_true: Array, sample_weight: Array | None = None) -> float:
        """The mean loss L = (1/N) Σ_i w_i l_i (the same as calling the loss).

        Parameters
        ----------
        y_pred : array of shape (N, d)
            The predictions (or logits, with ``from_logits``).
        y_true : array
            The targets: (N, d), or class labels (N,) for the cross-entropies.
        sample_weight : array of shape (N,), optional
            A weight per sample.

        Returns
        -------
        float
            L.
        """
        return self(y_pred, y_true, sample_weight)

    def per_sample(self, y_pred: Array, y_true: Array) -> Array:
        """Each sample's loss l_i.

        Parameters
        ----------
        y_pred : array of shape (N, d)
            The predictions (or logits, with ``from_logits``).
        y_true : array
            The targets: (N, d), or class labels (N,) for the cross-entropies.

        Returns
        -------
        array of shape (N,)
            l_i.
        """
        p, t, _ = self._checked(y_pred, y_true)
        return self.sample_losses(p, t)

    def gradient(self, y_pred: Array, y_true: Array, sample_weight: Array | None = None) -> Array:
        """dL/dy_pred, including the mean's 1/N and the sample weights.

        Parameters
        ----------
        y_pred : array of shape (N, d)
            The predictions (or logits, with ``from_logits``).
        y_true : array
            The targets: (N, d), or class labels (N,) for the cross-entropies.
        sample_weight : array of shape (N,), optional
            A weight per sample.

        Returns
        -------
        array of shape (N, d)
            The gradient.
        """
        p, t, w = self._checked(y_pred, y_true, sample_weight)
        return self._grad(p, t, w)

    # -- targets ----------------------------------------------------------------------
    def prepare_targets(
        self, y: Array, n_outputs: int, dtype: np.dtype, n_samples: int | None = None
    ) -> Array:
        """Check targets and bring them to the loss's form, in ``dtype``.

        Parameters
        ----------
        y : array
            Targets as the user gives them.
        n_outputs : int
            d, the network's output width.
        dtype : numpy.dtype
            The predictions' dtype.
        n_samples : int, optional
            N, checked when given.

        Returns
        -------
        array
            (N, d), or labels (N,) for the cross-entropies.

        Raises
        ------
        ValueError
            Targets of the wrong shape, kind or range, named.
        """
        t = _numeric(y, "targets")
        if t.ndim == 1 and n_outputs == 1:
            t = t.reshape(-1, 1)
        wrong = f"{self.name} targets must have shape (N, {n_outputs}) to match the "
        return _target_rows(
            t, n_outputs, dtype, n_samples, wrong + f"{n_outputs} output unit(s); got"
        )

    # -- internals used by the training loop (targets already prepared) ---------------
    def _value(self, p: Array, t: Array, w: Array | None) -> float:
        return self._mean(self.sample_losses(p, t), w)

    def _grad(self, p: Array, t: Array, w: Array | None) -> Array:
        return self._scale(self.sample_gradients(p, t), w)

    @staticmethod
    def _mean(per: Array, w: Array | None) -> float:
        """(1/N) Σ_i w_i l_i from the per-sample losses (N,): a float on NumPy, else a
        0-d array on the device."""
        if type(per) is not np.ndarray:
            xp = namespace_of(per)
            return cast("float", xp.mean(per) if w is None else xp.vecdot(per, w) / per.shape[0])
        if w is not None:
            return cast("float", float(np.dot(per, w)) / per.shape[0])
        return float(np.mean(per))

    @staticmethod
    def _scale(g: Array, w: Array | None) -> Array:
        """Per-sample gradients (N, d) -> dL/dp, in place: row i times w_i / N."""
        if w is not None:
            g *= (w / g.shape[0])[:, None]
        else:
            g *= 1.0 / g.shape[0]
        return g

    def value_and_grad(self, p: Array, t: Array, w: Array | None = None) -> tuple[float, Array]:
        """L and dL/dp together, on prepared targets (subclasses may share work).

        Parameters
        ----------
        p : array of shape (N, d)
            The predictions.
        t : array
            The prepared targets (:meth:`prepare_targets`).
        w : array of shape (N,), optional
            Sample weights.

        Returns
        -------
        (float, array of shape (N, d))
            L and dL/dp.
        """
        return self._value(p, t, w), self._grad(p, t, w)

    def sample_losses(self, p: Array, t: Array) -> Array:
        """The per-sample losses l_i: what a subclass writes.

        Parameters
        ----------
        p : array of shape (N, d)
            The predictions.
        t : array
            The prepared targets (:meth:`prepare_targets`).

        Returns
        -------
        array of shape (N,)
            l_i.
        """
        raise NotImplementedError

    def sample_gradients(self, p: Array, t: Array) -> Array:
        """dl_i/dp_i: what a subclass writes, beside :meth:`sample_losses`.

        Parameters
        ----------
        p : array of shape (N, d)
            The predictions.
        t : array
            The prepared targets (:meth:`prepare_targets`).

        Returns
        -------
        array of shape (N, d)
            A fresh array the caller may scale in place.
        """
        raise NotImplementedError

    def _check_pred(self, y_pred: Array) -> Array:
        p = _numeric(y_pred, "y_pred")
        if p.dtype.kind != "f":
            p = p.astype(np.float64)
        if p.ndim == 1:
            p = p.reshape(-1, 1)
        if p.ndim != 2 or p.shape[0] == 0:
            raise ValueError(f"y_pred must be a non-empty (N, d) array, got shape {p.shape}")
        return p

    def get_config(self) -> dict[str, float | bool]:
        return {"from_logits": True} if self.from_logits else {}

    __repr__ = config_repr


def _numeric(y: object, what: str) -> Array:
    try:
        a = np.asarray(y)
    except (TypeError, ValueError) as exc:  # ragged nested lists
        raise ValueError(f"{what} could not be read as a numeric array: {exc}") from None
    if a.dtype.kind == "b":
        a = a.astype(np.int64)
    if a.dtype.kind not in "iuf":
        raise ValueError(f"{what} must be numeric; got dtype {a.dtype}")
    return a


def _target_rows(
    t: Array, n_outputs: int, dtype: np.dtype, n_samples: int | None, wrong_shape: str
) -> Array:
    """t as finite (N, n_outputs) rows of ``dtype``; ``wrong_shape`` starts the error."""
    if t.ndim != 2 or t.shape[1] != n_outputs:
        raise ValueError(f"{wrong_shape} {t.shape}")
    _check_rows(t, n_samples)
    _check_finite(t, "targets")
    return t.astype(dtype, copy=False)


def _check_rows(t: Array, n_samples: int | None) -> None:
    if n_samples is not None and t.shape[0] != n_samples:
        raise ValueError(f"targets have {t.shape[0]} rows but there are {n_samples} samples")


def _check_finite(a: Array, what: str) -> None:
    if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
        bad = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])  # plain ints: "(1, 0)"
        raise ValueError(f"{what} contain a non-finite value {a[bad]} at index {bad}")


def _row_dot(a: Array, b: Array) -> Array:
    """Σ_k a_ik b_ik per row: (N, d), (N, d) -> (N,)."""
    if type(a) is np.ndarray:
        return np.einsum("ij,ij->i", a, b)
    return namespace_of(a).vecdot(a, b, axis=-1)


def one_hot_like(labels: Array, like: Array) -> Array:
    """Labels as one-hot rows of ``like``'s shape, dtype and device.

    Made by comparison: the array API has no fancy-index assignment.

    Parameters
    ----------
    labels : array of shape (N,)
        Integer labels.
    like : array of shape (N, C)
        The array whose kind the rows take.

    Returns
    -------
    array of shape (N, C)
        The one-hot rows.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.losses import one_hot_like
    >>> one_hot_like(np.array([2, 0]), np.zeros((2, 3))).tolist()
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    xp = namespace_of(like)
    classes = xp.arange(like.shape[1], device=device_of(like))
    return xp.astype(labels[:, None] == classes[None, :], like.dtype)


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
