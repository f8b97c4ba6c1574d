"""MLPClassifier: scikit-learn's, with mlpkit's network underneath."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from .. import losses as losses_mod
from .._backend import asarray, device_of, namespace_of, to_numpy
from .._validation import is_dask
from ..callbacks import Callback
from ._base import BaseMLP
from ._docs import with_parameters
from ._util import store_params

__all__ = ["MLPClassifier"]


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multilayer perceptron classifier, scikit-learn compatible.

    Binary targets get one sigmoid output with binary cross-entropy; multiclass targets
    a softmax output with cross-entropy; a 2-D 0/1 indicator matrix is multilabel
    (sigmoid outputs). Labels may be any values scikit-learn accepts (strings too);
    ``classes_`` lists them. Beyond scikit-learn's parameters: any mlpkit activation
    name, ``dropout`` (after every hidden layer; adam or sgd), ``batch_norm`` (a BatchNorm
    between each hidden layer's affine map and its activation; adam or sgd; ``coefs_`` and
    ``intercepts_`` then describe the Dense layers, zeros for their absent bias), ``class_weight`` (dict or
    "balanced"), ``callbacks`` (mlpkit callbacks, e.g. ``EarlyStopping``).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from mlpkit.sklearn import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.9, clf.predict_proba(X[:2]).shape, clf.classes_.tolist()
    (True, (2, 3), [0, 1, 2])
    """

    _parameter_constraints: dict[str, Any] = {  # noqa: RUF012
        **BaseMLP._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes: Any = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str = "auto",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        nesterovs_momentum: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        max_fun: int = 15000,
        dropout: float = 0.0,
        batch_norm: bool = False,
        class_weight: dict[Any, float] | str | None = None,
        callbacks: list[Callback] | None = None,
        strategy: Any = None,
    ) -> None:
        store_params(self, locals())

    _y_numeric = False

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def _check_warm_classes(self, y: np.ndarray) -> None:
        if self._kind != "multilabel" and not np.array_equal(np.unique(y), self.classes_):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in the "
                f"previous call to fit. Previously got {self.classes_}, `y` has {np.unique(y)}"
            )

    def _n_outputs(self, targets: np.ndarray) -> int:
        if self._kind == "multiclass":
            return len(self.classes_)
        return super()._n_outputs(targets)

    def _stratify(self, targets: np.ndarray) -> np.ndarray | None:
        """Binary targets as booleans, multiclass by label (the classes scikit-learn names);
        multilabel is not stratified."""
        if self._kind == "multilabel":
            return None
        return targets.astype(bool) if self._kind == "binary" else targets.ravel()

    def _encode_targets(self, y: np.ndarray, incremental: bool) -> np.ndarray:
        check_classification_targets(y)
        kind = type_of_target(y)
        if not incremental or not hasattr(self, "classes_"):
            binarizer = LabelBinarizer().fit(y)
            classes = binarizer.classes_
            self.classes_ = classes  # one class: a binary output trained to "not the other"
            self._binarizer = binarizer
            self._kind = (
                "multilabel"
                if kind == "multilabel-indicator"
                else ("binary" if len(classes) == 2 else "multiclass")
            )
        else:
            unseen: Any = (
                np.setdiff1d(np.unique(y), self.classes_) if self._kind != "multilabel" else []
            )
            if len(unseen):
                raise ValueError(
                    f"y has classes {list(unseen)} not seen in the first fit: {list(self.classes_)}"
                )
        if self._kind == "multiclass":
            return np.searchsorted(self.classes_, y)
        if self._kind == "binary":
            positive = self.classes_[1] if len(self.classes_) > 1 else None
            return cast("np.ndarray", (y == positive).astype(np.float64).reshape(-1, 1))
        return np.asarray(y, dtype=np.float64)

    def _combine_weights(self, y: np.ndarray, sw: np.ndarray | None) -> np.ndarray | None:
        if self.class_weight is not None and self._kind != "multilabel":
            from sklearn.utils.class_weight import compute_sample_weight

            cw = compute_sample_weight(self.class_weight, y)
            sw = cw if sw is None else sw * cw
        if sw is not None and self._kind != "multilabel":
            present = np.unique(np.asarray(y)[np.asarray(sw) > 0])
            if len(present) < 2:
                raise ValueError(
                    "only one class has non-zero sample weight; a classifier needs at least 2 classes"
                )
        return sw

    def _output(self) -> tuple[str, losses_mod.Loss]:
        kind = getattr(self, "_kind", "multiclass")
        if kind == "multiclass":
            return "softmax", losses_mod.CrossEntropy()
        # multilabel: scikit-learn's log loss sums over the labels, each its own problem
        return "sigmoid", losses_mod.BinaryCrossEntropy(sum_outputs=kind == "multilabel")

    def _validation_score(self, x: np.ndarray, t: np.ndarray) -> float:
        p = to_numpy(self.network_.predict(x))
        if self._kind == "multiclass":
            return float(np.mean(np.argmax(p, axis=1) == t))
        return float(np.mean(np.all((p >= 0.5) == (t >= 0.5), axis=1)))

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPClassifier:
        """Fit the network to X and the labels y.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels, or a 0/1 indicator matrix (multilabel).
        sample_weight : array-like of shape (n_samples,), optional
            A weight per sample.

        Returns
        -------
        MLPClassifier
            The fitted estimator.
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None
    ) -> MLPClassifier:
        """One epoch over (X, y), continuing from the current weights and optimizer state.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs.
        y : array-like of shape (n_samples,)
            Labels, or a 0/1 indicator matrix.
        classes : array-like, optional
            All the labels: needed by the first call (for a multilabel y, the label
            indices); later calls may repeat them.
        sample_weight : array-like of shape (n_samples,), optional
            A weight per sample.

        Returns
        -------
        MLPClassifier
            The estimator.
        """
        if not hasattr(self, "classes_"):
            self._validate_params()
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            if type_of_target(y) == "multilabel-indicator":
                self._encode_targets(np.asarray(y), incremental=False)
            else:
                self._encode_targets(np.unique(classes), incremental=False)
        elif classes is not None and self._kind != "multilabel":
            if not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(
                    f"`classes={np.unique(classes)!r}` is not the same as on the first call "
                    f"to partial_fit, was: {self.classes_!r}"
                )
        return self._fit(X, y, sample_weight, incremental=True)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n_samples, n_classes); for multilabel (n_samples, n_labels).
        The same as ``network_.predict_proba``.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            The probabilities; (n_samples, n_labels) for multilabel.
        """
        x = self._checked_input(X, "predict_proba")  # first: unfitted raises NotFittedError
        return self.network_.predict_proba(x)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        x = self._checked_input(X, "predict_log_proba")
        p = self.network_.predict_proba(x)
        xp = namespace_of(p)
        with np.errstate(divide="ignore"):
            return cast("np.ndarray", xp.log(p))

    def predict(self, X: Any) -> np.ndarray:
        """Labels (n_samples,): ``classes_[network_.predict_classes(X)]``; a 0/1 indicator
        matrix for multilabel targets.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        ndarray of shape (n_samples,)
            The labels; a 0/1 indicator matrix for multilabel.
        """
        x = self._checked_input(X)
        if is_dask(x):  # lazy: each block's labels from its own predictions
            return cast(
                "np.ndarray", x.map_blocks(self.predict, drop_axis=1, dtype=self.classes_.dtype)
            )
        if namespace_of(x) is not np:  # the labels come back to X's device when numeric
            return cast("np.ndarray", self._labels_on_device(x))
        if self._kind == "multilabel":
            return (self.network_.predict(x) >= 0.5).astype(np.int64)
        if len(self.classes_) == 1:  # trained on one class: it is the only answer
            return np.full(x.shape[0], self.classes_[0])
        return cast("np.ndarray", self.classes_[self.network_.predict_classes(x)])

    def _labels_on_device(self, x: Any) -> Any:
        xp, device = namespace_of(x), device_of(x)
        if self._kind == "multilabel":
            return xp.astype(self.network_.predict(x) >= 0.5, xp.int64)
        if len(self.classes_) == 1:
            labels = np.full(x.shape[0], self.classes_[0])
        else:
            labels = self.classes_[to_numpy(self.network_.predict_classes(x))]
        return asarray(labels, xp, device) if labels.dtype.kind in "iufb" else labels


with_parameters(MLPClassifier)
