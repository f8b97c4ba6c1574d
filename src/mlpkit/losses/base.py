"""The base of every loss and the checks they share: ``Loss`` (value, gradient, target
preparation, sample weights), ``as_sample_weights`` and ``one_hot_like``.

Every loss is a per-sample loss l_i averaged over the N samples, L = (1/N) Σ_i l_i, so
every gradient carries the 1/N; with sample weights L = (1/N) Σ_i w_i l_i.
"""

from __future__ import annotations

from typing import Any, ClassVar, cast

import numpy as np

from .._backend import Array, asarray, device_of, namespace_of, to_numpy
from .._registry import config_repr

__all__ = ["Loss", "as_sample_weights", "one_hot_like"]


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
