"""Metrics, with scikit-learn's names and meanings, plus the glue that turns network
outputs and prepared targets into what each metric needs.

Classification metrics take label arrays (N,); precision, recall and F1 are
macro-averaged over the classes present in either array (scikit-learn's default
labels), with 0 for a class that is never predicted. Regression metrics take
(N,) or (N, d) arrays; R² is averaged uniformly over outputs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np

__all__ = [
    "Metric",
    "accuracy_score",
    "f1_score",
    "get",
    "labels_from_outputs",
    "labels_from_targets",
    "mean_absolute_error",
    "mean_squared_error",
    "precision_score",
    "r2_score",
    "recall_score",
]


def accuracy_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The fraction of labels equal.

    Parameters
    ----------
    y_true : array of shape (N,)
        The true labels.
    y_pred : array of shape (N,)
        The predicted labels.

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.metrics import accuracy_score
    >>> round(accuracy_score(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])), 4)
    0.75
    """
    return float(np.mean(np.asarray(y_true) == np.asarray(y_pred)))


def _per_class_counts(y_true: np.ndarray, y_pred: np.ndarray):  # type: ignore[no-untyped-def]
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    classes = np.union1d(y_true, y_pred)
    tp = np.array([np.sum((y_pred == c) & (y_true == c)) for c in classes], dtype=float)
    predicted = np.array([np.sum(y_pred == c) for c in classes], dtype=float)
    actual = np.array([np.sum(y_true == c) for c in classes], dtype=float)
    return tp, predicted, actual


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return cast("np.ndarray", np.divide(a, b, out=np.zeros_like(a), where=b > 0))


def precision_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Macro-averaged precision TP / (TP + FP).

    Parameters
    ----------
    y_true : array of shape (N,)
        The true labels.
    y_pred : array of shape (N,)
        The predicted labels.

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.metrics import precision_score
    >>> round(precision_score(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])), 4)
    0.8333
    """
    tp, predicted, _ = _per_class_counts(y_true, y_pred)
    return float(_safe_div(tp, predicted).mean())


def recall_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Macro-averaged recall TP / (TP + FN).

    Parameters
    ----------
    y_true : array of shape (N,)
        The true labels.
    y_pred : array of shape (N,)
        The predicted labels.

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.metrics import recall_score
    >>> round(recall_score(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])), 4)
    0.75
    """
    tp, _, actual = _per_class_counts(y_true, y_pred)
    return float(_safe_div(tp, actual).mean())


def f1_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Macro-averaged F1: the mean over classes of 2PR / (P + R).

    Parameters
    ----------
    y_true : array of shape (N,)
        The true labels.
    y_pred : array of shape (N,)
        The predicted labels.

    Returns
    -------
    float
        In [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.metrics import f1_score
    >>> round(f1_score(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0])), 4)
    0.7333
    """
    tp, predicted, actual = _per_class_counts(y_true, y_pred)
    p, r = _safe_div(tp, predicted), _safe_div(tp, actual)
    return float(_safe_div(2 * p * r, p + r).mean())


def _2d(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a.reshape(-1, 1) if a.ndim == 1 else a


def mean_squared_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The mean over all elements of (y − ŷ)².

    Parameters
    ----------
    y_true : array of shape (N,) or (N, d)
        The true values.
    y_pred : array of shape (N,) or (N, d)
        The predictions.

    Returns
    -------
    float
        The MSE.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.metrics import mean_squared_error
    >>> round(mean_squared_error(np.array([1.0, 2.0]), np.array([1.5, 2.0])), 4)
    0.125
    """
    return float(np.mean((_2d(y_true) - _2d(y_pred)) ** 2))


def mean_absolute_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The mean over all elements of ``|y − ŷ|``.

    Parameters
    ----------
    y_true : array of shape (N,) or (N, d)
        The true values.
    y_pred : array of shape (N,) or (N, d)
        The predictions.

    Returns
    -------
    float
        The MAE.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.metrics import mean_absolute_error
    >>> round(mean_absolute_error(np.array([1.0, 2.0]), np.array([1.5, 2.0])), 4)
    0.25
    """
    return float(np.mean(np.abs(_2d(y_true) - _2d(y_pred))))


def r2_score(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The coefficient of determination 1 − SS_res / SS_tot, averaged over outputs.

    A constant target column scores 1 if predicted exactly, else 0 (scikit-learn's rule).

    Parameters
    ----------
    y_true : array of shape (N,) or (N, d)
        The true values.
    y_pred : array of shape (N,) or (N, d)
        The predictions.

    Returns
    -------
    float
        R²; 1 is perfect, 0 is the mean's score.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.metrics import r2_score
    >>> round(r2_score(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.5, 3.0])), 4)
    0.875
    """
    t, p = _2d(y_true), _2d(y_pred)
    ss_res = ((t - p) ** 2).sum(axis=0)
    ss_tot = ((t - t.mean(axis=0)) ** 2).sum(axis=0)
    scores = np.where(ss_tot > 0, 1.0 - _safe_div(ss_res, ss_tot), np.where(ss_res == 0, 1.0, 0.0))
    return float(scores.mean())


def labels_from_outputs(outputs: np.ndarray, output_activation: str) -> np.ndarray:
    """Predicted class labels from network outputs.

    Parameters
    ----------
    outputs : ndarray of shape (N, C)
        The network's outputs.
    output_activation : str
        The output layer's activation name.

    Returns
    -------
    ndarray of shape (N,)
        The argmax, or output ≥ 0.5 for one sigmoid unit.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.metrics import labels_from_outputs
    >>> (labels_from_outputs(np.array([[0.2, 0.8], [0.9, 0.1]]), "softmax").tolist(),
    ...  labels_from_outputs(np.array([[0.7]]), "sigmoid").tolist())
    ([1, 0], [1])
    """
    if outputs.shape[1] == 1:
        threshold = 0.5 if output_activation == "sigmoid" else 0.0
        return (outputs[:, 0] >= threshold).astype(np.int64)
    return cast("np.ndarray", np.argmax(outputs, axis=1))


def labels_from_targets(targets: np.ndarray) -> np.ndarray:
    """True class labels from prepared targets.

    Parameters
    ----------
    targets : ndarray
        Integer labels (N,), one-hot rows (N, C) or a 0/1 column (N, 1).

    Returns
    -------
    ndarray of shape (N,)
        The labels.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.metrics import labels_from_targets
    >>> labels_from_targets(np.array([[0, 1], [1, 0]])).tolist()
    [1, 0]
    """
    if targets.ndim == 1:
        return targets
    if targets.shape[1] == 1:
        return (targets[:, 0] >= 0.5).astype(np.int64)
    return cast("np.ndarray", np.argmax(targets, axis=1))


@dataclass(frozen=True)
class Metric:
    """A named metric on (outputs, prepared targets); ``on_labels`` says which kind.

    Parameters
    ----------
    name : str
        Its name in the History and logs.
    fn : callable
        ``fn(targets, outputs) -> float``.
    on_labels : bool
        Whether fn takes class labels rather than raw outputs.

    Examples
    --------
    >>> import mlpkit
    >>> metric = mlpkit.metrics.get("accuracy")
    >>> metric.name, metric.on_labels
    ('accuracy', True)
    """

    name: str
    fn: Callable[[np.ndarray, np.ndarray], float]
    on_labels: bool

    def __call__(self, outputs: np.ndarray, targets: np.ndarray, output_activation: str) -> float:
        if self.on_labels:
            return self.fn(
                labels_from_targets(targets), labels_from_outputs(outputs, output_activation)
            )
        if targets.ndim == 1:  # integer labels against probabilities: compare one-hot
            onehot = np.zeros_like(outputs)
            onehot[np.arange(targets.shape[0]), targets] = 1.0
            targets = onehot
        return self.fn(targets, outputs)


_METRICS = {
    "accuracy": Metric("accuracy", accuracy_score, True),
    "precision": Metric("precision", precision_score, True),
    "recall": Metric("recall", recall_score, True),
    "f1": Metric("f1", f1_score, True),
    "mse": Metric("mse", mean_squared_error, False),
    "mae": Metric("mae", mean_absolute_error, False),
    "r2": Metric("r2", r2_score, False),
}
_ALIASES = {
    "acc": "accuracy",
    "f1_score": "f1",
    "r2_score": "r2",
    "mean_squared_error": "mse",
    "mean_absolute_error": "mae",
}


def names() -> list[str]:
    return list(_METRICS)


def get(metric: str | Callable[[np.ndarray, np.ndarray], float] | Metric) -> Metric:
    """A Metric from a name, a Metric, or a function.

    Parameters
    ----------
    metric : str, Metric or callable
        "accuracy", "precision", "recall", "f1", "mse", "mae", "r2", or ``fn(targets,
        outputs) -> float`` on the raw arrays.

    Returns
    -------
    Metric
        The metric.

    Raises
    ------
    ValueError
        An unknown name, naming the known ones.

    Examples
    --------
    >>> import numpy as np
    >>> import mlpkit
    >>> mlpkit.metrics.get("r2").name, mlpkit.metrics.get(lambda t, o: float(np.mean(o))).name
    ('r2', '<lambda>')
    """
    if isinstance(metric, Metric):
        return metric
    if isinstance(metric, str):
        key = _ALIASES.get(metric.lower(), metric.lower())
        if key in _METRICS:
            return _METRICS[key]
        raise ValueError(f"unknown metric {metric!r}; choose one of {', '.join(_METRICS)}")
    if callable(metric):
        return Metric(getattr(metric, "__name__", "metric"), metric, False)
    raise ValueError(f"a metric must be a name or a callable, got {metric!r}")
