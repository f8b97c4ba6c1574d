"""scikit-learn estimators: swap ``from sklearn.neural_network import MLPClassifier``
for ``from mlpkit.sklearn import MLPClassifier`` and the same code runs.

The constructors take scikit-learn's parameters with their meanings — solver, alpha
(L2 strength divided by the batch's total sample weight, as scikit-learn does),
batch_size="auto" = min(200, n), learning_rate schedules, tol / n_iter_no_change,
early_stopping on a held-out validation_fraction, warm_start, partial_fit — and add what
scikit-learn's maintainers declined: any mlpkit activation ("gelu", "elu", ...),
``dropout``, ``batch_norm``, ``class_weight``, mlpkit ``callbacks``, per-epoch validation curves
(``validation_loss_curve_`` and the full ``history_``), and ``strategy``
(``mlpkit.distributed.DataParallel()`` under ``mpiexec``: adam/sgd train data-parallel;
lbfgs evaluates each rank's share and all-reduces the loss and gradient before the same
L-BFGS step everywhere).

Computation follows the input dtype like scikit-learn's (float32 stays float32,
everything else becomes float64) and weights and biases are initialised the way
scikit-learn does it. Differences worth knowing: Adam adds ε to the bias-corrected √v̂
(PyTorch's rule) where scikit-learn adds it before the correction; the random streams
differ, so the same random_state gives a different (equally good) model. Sparse input
(CSR/CSC) is used sparsely: the first layer multiplies it without densifying.

Needs scikit-learn: ``pip install scikit-learn``.
"""

from __future__ import annotations

import inspect
import math
import warnings
from numbers import Integral, Real
from typing import Any

import numpy as np

try:
    from sklearn.base import (
        BaseEstimator,
        ClassifierMixin,
        ClassNamePrefixFeaturesOutMixin,
        RegressorMixin,
        TransformerMixin,
    )
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.utils import check_random_state
    from sklearn.utils._param_validation import Interval, Options, StrOptions
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.multiclass import check_classification_targets, type_of_target
    from sklearn.utils.validation import (
        _check_sample_weight,
        check_is_fitted,
        column_or_1d,
        validate_data,
    )
except ImportError as exc:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError("mlpkit.sklearn needs scikit-learn: pip install scikit-learn") from exc

import itertools

from . import losses as losses_mod
from . import optimizers as optim
from ._backend import asarray, astype, device_of, name_of, namespace_of, numpy_dtype, to_numpy
from .activations import names as activation_names
from .autoencoder import Autoencoder
from .callbacks import Callback, TerminateOnNaN
from .initializers import Uniform
from .layers import Dense, dense_stack
from .network import Sequential
from .regularizers import L2
from .sources import is_dask

__all__ = ["AutoencoderTransformer", "MLPClassifier", "MLPRegressor"]


def _float_dtypes(x: Any) -> tuple[Any, Any]:
    """float64 and float32 of X's library when array API dispatch is on (what
    validate_data converts X to); else NumPy's (X becomes a NumPy array)."""
    from sklearn import get_config

    xp = namespace_of(x) if get_config().get("array_api_dispatch", False) else np
    return (np.float64, np.float32) if xp is np else (xp.float64, xp.float32)


def _all_finite(a: Any) -> bool:
    xp = namespace_of(a)
    return bool(xp.all(xp.isfinite(a)))


def _take(x: Any, rows: np.ndarray) -> Any:
    """Rows of an array API X, by host row numbers."""
    xp = namespace_of(x)
    return xp.take(x, asarray(rows, xp, device_of(x)), axis=0)


_ACTIVATION_ALIASES = {"logistic": "sigmoid"}
_ACTIVATIONS = {"logistic", *activation_names()} - {"softmax"}


def _store_params(estimator: BaseEstimator, values: dict[str, Any]) -> None:
    """Store each constructor argument under its own name, and nothing else (scikit-learn's
    rule for __init__); the explicit signatures stay on each class for get_params."""
    for name in inspect.signature(type(estimator).__init__).parameters:
        if name != "self":
            setattr(estimator, name, values[name])


def _seed(random_state: Any) -> int:
    """An int seed for mlpkit from scikit-learn's random_state (None, int or RandomState)."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


class _SklearnSchedule(Callback):
    """scikit-learn's stopping and learning-rate rules, run at each epoch end:

    * training-loss mode: an epoch counts as "no improvement" when its loss is not below
      the best loss minus ``tol``; early_stopping mode: when the validation score is not
      above the best score plus ``tol`` (the best weights are kept and restored);
    * after more than ``n_iter_no_change`` such epochs: stop — or, for
      ``solver="sgd", learning_rate="adaptive"``, divide the learning rate by 5 and go
      on until it falls below 1e-6;
    * ``learning_rate="invscaling"``: lr = learning_rate_init / t^power_t, t the number
      of samples seen.
    """

    def __init__(
        self, estimator: _BaseMLP, n_train: int, validation: tuple[np.ndarray, Any] | None
    ) -> None:
        self.est, self.n_train, self.validation = estimator, n_train, validation

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        est, logs = self.est, logs or {}
        est.n_iter_ += 1
        est.t_ += self.n_train
        loss = float(logs["loss"])
        est.loss_ = loss
        est.loss_curve_.append(loss)
        if est.verbose:
            print(f"Iteration {est.n_iter_}, loss = {loss:.8f}")
        if "val_loss" in logs:
            est.validation_loss_curve_.append(float(logs["val_loss"]))
        if self.validation is not None:
            # a diverged epoch (TerminateOnNaN ended it) scores nan, as scikit-learn's does
            score = est._validation_score(*self.validation) if math.isfinite(loss) else math.nan
            est.validation_scores_.append(score)
            if est.verbose:
                print(f"Validation score: {score:f}")
            if score < est.best_validation_score_ + est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            if score > est.best_validation_score_:
                est.best_validation_score_ = score
                est._best_weights = self.model.snapshot()
        else:
            if loss > est.best_loss_ - est.tol:
                est._no_improvement_count += 1
            else:
                est._no_improvement_count = 0
            est.best_loss_ = min(est.best_loss_, loss)
        opt = self.model.optimizer
        if est.solver == "sgd" and est.learning_rate == "invscaling":
            opt.lr = est.learning_rate_init / (est.t_ + 1) ** est.power_t
        if est._no_improvement_count > est.n_iter_no_change:
            if est.solver == "sgd" and est.learning_rate == "adaptive" and opt.lr > 1e-6:
                opt.lr /= 5.0
                est._no_improvement_count = 0
            else:
                est._stopped_early = True
                self.model.stop_training = True


class _BaseMLP(BaseEstimator):
    """Shared machinery of MLPClassifier and MLPRegressor."""

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # CSR/CSC X: the first layer multiplies it sparse
        # with sklearn.set_config(array_api_dispatch=True), X of PyTorch, CuPy, ... trains
        # and predicts on its own device (labels and weights are handled on the host)
        tags.array_api_support = True
        return tags

    _parameter_constraints: dict = {  # noqa: RUF012 - scikit-learn's convention
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(_ACTIVATIONS)],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left"), Options(Real, {np.inf})],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_norm": ["boolean"],
        "strategy": "no_validation",
        "callbacks": [list, None],
    }

    # -- to be provided by the subclasses ----------------------------------------------
    def _encode_targets(self, y: np.ndarray, incremental: bool) -> np.ndarray:
        raise NotImplementedError

    def _output(self) -> tuple[str, losses_mod.Loss]:
        raise NotImplementedError

    def _validation_score(self, x: np.ndarray, y: Any) -> float:
        raise NotImplementedError

    # -- fitting -------------------------------------------------------------------------
    def _hidden(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if any(int(s) < 1 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {self.hidden_layer_sizes}")
        return [int(s) for s in sizes]

    def _build(self, n_features: int, n_outputs: int, dtype: np.dtype) -> Sequential:
        activation = _ACTIVATION_ALIASES.get(self.activation, self.activation)
        out_activation, _ = self._output()
        # scikit-learn's initialisation: W and b uniform in ±√(f / (fan_in + fan_out)),
        # f = 2 for logistic hidden units and 6 otherwise
        f = 2.0 if activation == "sigmoid" else 6.0

        def init(fan_in: int, fan_out: int) -> dict[str, Any]:
            bound = Uniform(math.sqrt(f / (fan_in + fan_out)))
            return {"init": bound, "bias_init": bound}

        layers = dense_stack(
            [n_features, *self._hidden(), n_outputs],
            activation,
            out_activation,
            dropout=self.dropout,
            layer_kwargs=init,
            batch_norm=self.batch_norm,
        )
        return Sequential(layers, seed=_seed(self.random_state), dtype=dtype)

    def _make_optimizer(self) -> optim.Optimizer:
        if self.solver == "sgd":
            return optim.SGD(
                lr=self.learning_rate_init,
                momentum=self.momentum,
                nesterov=bool(self.nesterovs_momentum and self.momentum > 0),
            )
        return optim.Adam(
            lr=self.learning_rate_init, betas=(self.beta_1, self.beta_2), eps=self.epsilon
        )

    def _set_alpha(self, effective_batch: float) -> None:
        # scikit-learn's penalty is ½ α ‖W‖² / (total sample weight of the batch)
        for layer in self.network_.layers:
            if isinstance(layer, Dense):
                layer.regularizer = L2(self.alpha / effective_batch) if self.alpha > 0 else None

    def _fit(self, x: Any, y: Any, sample_weight: Any, incremental: bool) -> _BaseMLP:
        first = not hasattr(self, "network_")
        reset = first or not (incremental or self.warm_start)
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        if self.solver == "lbfgs" and self.dropout > 0:
            raise ValueError(
                "dropout needs solver='adam' or 'sgd': L-BFGS's line search expects the same "
                "loss each time it evaluates a point, and dropout draws new masks every time"
            )
        if self.solver == "lbfgs" and self.batch_norm:
            raise ValueError(
                "batch_norm needs solver='adam' or 'sgd': every L-BFGS evaluation would move "
                "BatchNorm's running statistics, line-search trial points included"
            )
        if is_dask(x):  # streamed block by block by the network; y is small: in memory
            x, y = self._dask_input(x, y, reset)
        else:
            x, y = validate_data(
                self,
                x,
                y,
                accept_sparse=("csr", "csc"),
                multi_output=True,
                dtype=_float_dtypes(x),
                reset=reset,
                y_numeric=not isinstance(self, ClassifierMixin),
            )
        xp = namespace_of(x)
        if xp is not np:  # array API dispatch: X stays on its device, labels go to the host
            y, sample_weight = (
                to_numpy(y),
                None if sample_weight is None else to_numpy(sample_weight),
            )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        # partial_fit's first call has set classes_ from its `classes`; warm_start keeps them
        keep_classes = incremental or (self.warm_start and not first)
        warm = self.warm_start and not first and not incremental
        if warm and isinstance(self, MLPClassifier) and self._kind != "multilabel":
            if not np.array_equal(np.unique(y), self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same classes as in the "
                    f"previous call to fit. Previously got {self.classes_}, `y` has "
                    f"{np.unique(y)}"
                )
        targets = self._encode_targets(y, incremental=keep_classes)
        dtype = numpy_dtype(x)
        rows = x if xp is np else np.empty((x.shape[0], 0), dtype)
        sw = (
            None
            if sample_weight is None
            else _check_sample_weight(sample_weight, rows, dtype=dtype)
        )
        sw = self._combine_weights(y, sw)
        n_outputs = 1 if targets.ndim == 1 else targets.shape[1]
        if isinstance(self, MLPClassifier) and self._kind == "multiclass":
            n_outputs = len(self.classes_)
        if reset:
            by_hand = self._weights_set_by_hand() if first else None
            self.network_ = self._build(x.shape[1], n_outputs, dtype)
            if by_hand is not None:
                self._start_from(by_hand)
            self.n_iter_, self.t_ = 0, 0
            self.loss_curve_, self.validation_loss_curve_ = [], []
            self._no_improvement_count = 0
            early = self.early_stopping  # scikit-learn's attributes for each mode
            self.best_loss_ = None if early else math.inf
            self.validation_scores_ = [] if early else None
            self.best_validation_score_ = -math.inf if early else None
        elif dtype != self.network_.dtype:
            x = astype(x, self.network_.dtype)
        self.n_outputs_ = n_outputs
        self.n_layers_ = len(self._hidden()) + 2
        out_activation, loss = self._output()
        self.out_activation_ = "logistic" if out_activation == "sigmoid" else out_activation
        net = self.network_
        if self.solver == "lbfgs" and xp is not np:  # SciPy's L-BFGS runs on the host
            net.to("numpy")
            self._fit_lbfgs(to_numpy(x), targets, sw, loss)
            net.to(xp, device_of(x))
        elif self.solver == "lbfgs":
            self._fit_lbfgs(x, targets, sw, loss)
        else:
            self._fit_stochastic(x, targets, sw, loss, incremental)
        if not all(_all_finite(p) for p in net.parameters()):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may contain large "
                "values and need to be preprocessed."
            )
        dense = [layer for layer in net.layers if isinstance(layer, Dense)]
        self.coefs_ = [layer.W for layer in dense]
        self.intercepts_ = [
            layer.b if layer.use_bias else np.zeros(layer.out_features, layer.dtype)
            for layer in dense
        ]
        return self

    def _combine_weights(self, y: np.ndarray, sw: np.ndarray | None) -> np.ndarray | None:
        return sw

    def _weights_set_by_hand(self) -> list[np.ndarray] | None:
        """``coefs_`` and ``intercepts_`` a user assigned before the first fit (as in a
        hand-worked example): [W1, b1, W2, b2, ...], or None."""
        coefs, intercepts = getattr(self, "coefs_", None), getattr(self, "intercepts_", None)
        if coefs is None or intercepts is None:
            return None
        return [
            np.asarray(a, dtype=float) for pair in zip(coefs, intercepts, strict=True) for a in pair
        ]

    def _start_from(self, weights: list[np.ndarray]) -> None:
        try:
            self.network_.set_weights(weights)
        except ValueError as exc:
            raise ValueError(
                f"coefs_ and intercepts_ set before fitting do not fit hidden_layer_sizes="
                f"{self.hidden_layer_sizes} and the data: {exc}"
            ) from None

    def _fit_stochastic(self, x, t, sw, loss, incremental):  # type: ignore[no-untyped-def]
        net = self.network_
        if not incremental or net.optimizer is None:
            net.optimizer = self._make_optimizer()
            net.loss = loss
        validation = None
        fit_x, fit_t, fit_w = x, t, sw
        val_data = None
        if self.early_stopping:
            classifier = isinstance(self, MLPClassifier) and self._kind != "multilabel"
            stratify = None
            if classifier:  # binary targets as booleans, the classes scikit-learn names
                stratify = t.astype(bool) if self._kind == "binary" else t.ravel()
            on_host = namespace_of(x) is np
            parts = train_test_split(
                x if on_host else np.arange(x.shape[0]),  # (the same split, by row numbers)
                t,
                *(() if sw is None else (sw,)),
                random_state=_seed(self.random_state),
                test_size=self.validation_fraction,
                stratify=stratify,
            )
            fit_x, val_x, fit_t, val_t = parts[:4]
            if not on_host:
                fit_x, val_x = _take(x, fit_x), _take(x, val_x)
            fit_w = parts[4] if sw is not None else None
            if val_x.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' or the size of your dataset."
                )
            validation = (val_x, val_t)
            val_data = (val_x, val_t)
        n = fit_x.shape[0]
        if self.batch_size == "auto":
            batch = min(200, n)
        else:
            if self.batch_size > n:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped",
                    stacklevel=3,
                )
            batch = int(np.clip(self.batch_size, 1, n))
        mean_w = 1.0
        if fit_w is not None:
            total = float(fit_w.sum())
            if total <= 0:
                raise ValueError("sample_weight sums to zero: nothing to learn from")
            mean_w = total / n
            fit_w = fit_w / mean_w  # a weighted average, as scikit-learn's loss is
        self._set_alpha(batch * mean_w)
        self._stopped_early = False
        schedule = _SklearnSchedule(self, n, validation)
        # a diverging fit ends at the first non-finite loss, weights from before it; with
        # early stopping the best epoch's weights come back, else fit says so (below)
        guard = TerminateOnNaN(raise_error=False)
        self._best_weights = None
        self.n_iter_ = 0  # scikit-learn counts the epochs of this call
        epochs = 1 if incremental else self.max_iter
        history = net.fit(
            fit_x,
            fit_t,
            epochs=epochs,
            batch_size=batch,
            shuffle=self.shuffle,
            sample_weight=fit_w,
            validation_data=val_data,
            callbacks=[guard, schedule, *(self.callbacks or [])],
            verbose=0,
            strategy=self.strategy,
        )
        self.history_ = history
        if self.early_stopping and self._best_weights is not None:
            net.restore(self._best_weights)
        if guard.diverged is not None and not self.early_stopping:
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may contain large "
                f"values and need to be preprocessed (the loss became non-finite in epoch "
                f"{guard.diverged[0] + 1})."
            )
        if guard.diverged is not None:
            return
        if not incremental and not self._stopped_early and self.n_iter_ >= self.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _fit_lbfgs(self, x, t, sw, loss):  # type: ignore[no-untyped-def]
        from scipy.optimize import minimize

        net = self.network_
        params = net.parameters()
        shapes = [p.shape for p in params]
        sizes = [p.size for p in params]
        total = float(sw.sum()) if sw is not None else float(x.shape[0])
        w = None if sw is None else (sw / (total / x.shape[0])).astype(x.dtype)
        self._set_alpha(total)
        head = net.head(loss)
        prepared = head.prepare_targets(t, net.n_outputs, net.dtype, x.shape[0])
        dist = self.strategy if self.strategy is not None and self.strategy.size > 1 else None
        if dist is not None:  # each rank evaluates its share; loss and gradient all-reduced
            dist.start(net)
            share = dist.validation_share(x.shape[0])
            scale = (share.stop - share.start) / x.shape[0]
            x, prepared, w = x[share], prepared[share], None if w is None else w[share]

        def value_and_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
            start = 0
            for p, shape, size in zip(params, shapes, sizes, strict=True):
                p[...] = theta[start : start + size].reshape(shape)
                start += size
            if dist is None:
                value, _, _ = net.loss_and_gradients(x, prepared, head, w)
                grad = np.concatenate([g.ravel() for g in net.gradients()]).astype(np.float64)
            else:  # [gradient..., loss] of this share, scaled, summed over the ranks
                reduced = np.zeros(sum(sizes) + 1)
                if x.shape[0]:
                    value, _, _ = net.loss_and_gradients(x, prepared, head, w)
                    reduced[:-1] = np.concatenate([g.ravel() for g in net.gradients()]) * scale
                    reduced[-1] = value * scale
                dist.reduce_(reduced)
                value, grad = float(reduced[-1]), reduced[:-1]
            return value + net.penalty(), grad

        iterations = itertools.count(1)

        def report(intermediate_result: Any) -> None:  # SciPy passes the running result
            print(f"Iteration {next(iterations)}, loss = {intermediate_result.fun:.8f}")

        theta0 = np.concatenate([p.ravel() for p in params]).astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            result = minimize(
                value_and_grad,
                theta0,
                method="L-BFGS-B",
                jac=True,
                callback=report if self.verbose else None,
                options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol},
            )
        value_and_grad(result.x)
        self.n_iter_ = int(result.nit)
        self.loss_ = float(result.fun)
        self.history_ = None
        if not result.success:
            warnings.warn(
                f"lbfgs failed to converge after {self.n_iter_} iteration(s): {result.message} "
                "Increase max_iter (or max_fun), or scale the data.",
                ConvergenceWarning,
                stacklevel=3,
            )

    def _dask_input(self, x: Any, y: Any, reset: bool) -> tuple[Any, np.ndarray]:
        if self.solver == "lbfgs" or self.early_stopping:
            raise ValueError(
                "a Dask X trains with solver='adam' or 'sgd' and early_stopping=False (L-BFGS "
                "and the validation split need the rows in memory)"
            )
        if x.ndim != 2:
            raise ValueError(f"X must be 2-D, got a Dask array of shape {x.shape}")
        if reset:
            self.n_features_in_ = int(x.shape[1])
        elif x.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {x.shape[1]} features, but the estimator was fitted with "
                f"{self.n_features_in_}"
            )
        y = np.asarray(y.compute() if is_dask(y) else y)
        if y.shape[0] != x.shape[0]:
            raise ValueError(f"X has {x.shape[0]} rows but y has {y.shape[0]}")
        dtype = x.dtype if x.dtype in (np.float32, np.float64) else np.dtype(np.float64)
        return x.astype(dtype), y

    def _checked_input(self, x: Any, method: str = "predict") -> np.ndarray:
        check_is_fitted(self, "network_")
        if is_dask(x):  # predictions stay lazy, block by block
            if x.ndim != 2 or x.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has shape {x.shape}; the estimator expects (n, {self.n_features_in_})"
                )
            return x.astype(self.network_.dtype)
        x = validate_data(
            self, x, accept_sparse=("csr", "csc"), dtype=_float_dtypes(x), reset=False
        )
        self._same_namespace(x, method)
        return astype(x, self.network_.dtype)

    def _same_namespace(self, x: Any, method: str) -> None:
        """With array API dispatch on, X must come from the library and device the
        estimator was fitted on (scikit-learn's rule; without it X is converted)."""
        from sklearn import get_config

        if not get_config().get("array_api_dispatch", False):
            return
        net = self.network_
        xp = namespace_of(x)
        if xp is net.xp and (xp is np or device_of(x) == net.device):
            return
        raise ValueError(
            f"Inputs passed to {type(self).__name__}.{method}() must use the same namespace "
            f"and the same device as those passed to fit(): fitted on {name_of(net.xp)} "
            f"({net.device}), {method} got {name_of(xp)} ({device_of(x)}). Move X there, or "
            f"the model with estimator.network_.to(namespace, device)."
        )

    def _predict_raw(self, x: Any) -> np.ndarray:
        checked = self._checked_input(x)  # first: an unfitted estimator raises NotFittedError
        return self.network_.predict(checked)

    def _check_solver(self) -> bool:
        if self.solver not in ("sgd", "adam"):
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers; {self.solver!r} is not"
            )
        return True


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multilayer perceptron classifier, scikit-learn compatible.

    Binary targets get one sigmoid output with binary cross-entropy; multiclass targets
    a softmax output with cross-entropy; a 2-D 0/1 indicator matrix is multilabel
    (sigmoid outputs). Labels may be any values scikit-learn accepts (strings too);
    ``classes_`` lists them. Beyond scikit-learn's parameters: any mlpkit activation
    name, ``dropout`` (after every hidden layer; adam or sgd), ``batch_norm`` (a BatchNorm
    between each hidden layer's affine map and its activation; adam or sgd; ``coefs_`` and
    ``intercepts_`` then describe the Dense layers, zeros for their absent bias), ``class_weight`` (dict or
    "balanced"), ``callbacks`` (mlpkit callbacks, e.g. ``EarlyStopping``).
    """

    _parameter_constraints: dict = {  # noqa: RUF012
        **_BaseMLP._parameter_constraints,
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
        class_weight: dict | str | None = None,
        callbacks: list[Callback] | None = None,
        strategy: Any = None,
    ) -> None:
        _store_params(self, locals())

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

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
            unseen = np.setdiff1d(np.unique(y), self.classes_) if self._kind != "multilabel" else []
            if len(unseen):
                raise ValueError(
                    f"y has classes {list(unseen)} not seen in the first fit: {list(self.classes_)}"
                )
        if self._kind == "multiclass":
            return np.searchsorted(self.classes_, y)
        if self._kind == "binary":
            positive = self.classes_[1] if len(self.classes_) > 1 else None
            return (y == positive).astype(np.float64).reshape(-1, 1)
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
        """Fit to X (n_samples, n_features) and labels y (n_samples,) or a (n, k) indicator."""
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=False)  # type: ignore[return-value]

    @available_if(lambda est: est._check_solver())
    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None
    ) -> MLPClassifier:
        """One epoch over (X, y). The first call needs ``classes`` (all labels; for a
        multilabel indicator y, the label indices); later calls may repeat them."""
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
        return self._fit(X, y, sample_weight, incremental=True)  # type: ignore[return-value]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n_samples, n_classes); for multilabel (n_samples, n_labels).
        The same as ``network_.predict_proba``."""
        x = self._checked_input(X, "predict_proba")  # first: unfitted raises NotFittedError
        return self.network_.predict_proba(x)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        x = self._checked_input(X, "predict_log_proba")
        p = self.network_.predict_proba(x)
        xp = namespace_of(p)
        with np.errstate(divide="ignore"):
            return xp.log(p)

    def predict(self, X: Any) -> np.ndarray:
        """Labels (n_samples,): ``classes_[network_.predict_classes(X)]``; a 0/1 indicator
        matrix for multilabel targets."""
        x = self._checked_input(X)
        if is_dask(x):  # lazy: each block's labels from its own predictions
            return x.map_blocks(self.predict, drop_axis=1, dtype=self.classes_.dtype)
        if namespace_of(x) is not np:  # the labels come back to X's device when numeric
            return self._labels_on_device(x)
        if self._kind == "multilabel":
            return (self.network_.predict(x) >= 0.5).astype(np.int64)
        if len(self.classes_) == 1:  # trained on one class: it is the only answer
            return np.full(x.shape[0], self.classes_[0])
        return self.classes_[self.network_.predict_classes(x)]

    def _labels_on_device(self, x: Any) -> Any:
        xp, device = namespace_of(x), device_of(x)
        if self._kind == "multilabel":
            return xp.astype(self.network_.predict(x) >= 0.5, xp.int64)
        if len(self.classes_) == 1:
            labels = np.full(x.shape[0], self.classes_[0])
        else:
            labels = self.classes_[to_numpy(self.network_.predict_classes(x))]
        return asarray(labels, xp, device) if labels.dtype.kind in "iufb" else labels


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multilayer perceptron regressor, scikit-learn compatible. One or several outputs.

    ``loss="squared_error"``: identity output, loss ½·mean((y − ŷ)²).
    ``loss="poisson"``: exp output (log link, ŷ > 0), half the Poisson deviance
    mean_i Σ_k [y log(y/ŷ) − y + ŷ]; y must be ≥ 0.
    """

    _parameter_constraints: dict = {  # noqa: RUF012
        **_BaseMLP._parameter_constraints,
        "loss": [StrOptions({"squared_error", "poisson"})],
    }

    def __init__(
        self,
        loss: str = "squared_error",
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
        callbacks: list[Callback] | None = None,
        strategy: Any = None,
    ) -> None:
        _store_params(self, locals())

    def _encode_targets(self, y: np.ndarray, incremental: bool) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _output(self) -> tuple[str, losses_mod.Loss]:
        if self.loss == "poisson":
            return "exp", losses_mod.PoissonDeviance()
        return "identity", losses_mod.HalfSquaredError()

    def _validation_score(self, x: np.ndarray, t: np.ndarray) -> float:
        from .metrics import r2_score

        return r2_score(t, to_numpy(self.network_.predict(x)))

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Fit to X (n_samples, n_features) and y (n_samples,) or (n_samples, n_outputs)."""
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=False)  # type: ignore[return-value]

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One epoch over (X, y), continuing from the current weights and optimizer state."""
        if not hasattr(self, "network_"):
            self._validate_params()
        return self._fit(X, y, sample_weight, incremental=True)  # type: ignore[return-value]

    def predict(self, X: Any) -> np.ndarray:
        """Predictions (n_samples,) for one output, (n_samples, n_outputs) otherwise."""
        p = self._predict_raw(X)
        if is_dask(p) and self.n_outputs_ == 1:
            return p[:, 0]
        if self.n_outputs_ != 1:
            return p
        return p.ravel() if isinstance(p, np.ndarray) else namespace_of(p).reshape(p, (-1,))


class AutoencoderTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """An autoencoder as a scikit-learn transformer: ``transform`` gives the bottleneck
    codes (n_samples, n_components), ``inverse_transform`` decodes them; usable in a
    Pipeline like PCA. The encoder is ``hidden_layer_sizes`` then ``n_components``, the
    decoder mirrors it; the output and loss follow the data (sigmoid + cross-entropy for
    values in [0, 1], identity + mse otherwise) unless ``output_activation`` is given."""

    _parameter_constraints: dict = {  # noqa: RUF012
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(_ACTIVATIONS)],
        "latent_activation": [StrOptions(_ACTIVATIONS)],
        "output_activation": [StrOptions(_ACTIVATIONS | {"auto"})],
        "noise": [Interval(Real, 0, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        n_components: int = 2,
        hidden_layer_sizes: Any = (64,),
        activation: str = "relu",
        *,
        latent_activation: str = "identity",
        output_activation: str = "auto",
        noise: float = 0.0,
        batch_norm: bool = False,
        learning_rate_init: float = 0.001,
        batch_size: int | str = "auto",
        max_iter: int = 200,
        random_state: Any = None,
        verbose: bool = False,
    ) -> None:
        _store_params(self, locals())

    def fit(self, X: Any, y: Any = None) -> AutoencoderTransformer:
        """Train the autoencoder to reconstruct X (n_samples, n_features)."""
        self._validate_params()
        x = validate_data(self, X, dtype=(np.float64, np.float32))
        sizes = self.hidden_layer_sizes
        hidden = [sizes] if isinstance(sizes, Integral) else list(sizes)
        act = lambda name: _ACTIVATION_ALIASES.get(name, name)  # noqa: E731
        self.autoencoder_ = Autoencoder(
            [x.shape[1], *hidden, self.n_components],
            activation=act(self.activation),
            latent_activation=act(self.latent_activation),
            output_activation=act(self.output_activation),
            noise=self.noise,
            batch_norm=self.batch_norm,
            seed=_seed(self.random_state),
            dtype=x.dtype.name,
        )
        batch = min(200, len(x)) if self.batch_size == "auto" else min(int(self.batch_size), len(x))
        self.history_ = self.autoencoder_.fit(
            x,
            epochs=self.max_iter,
            batch_size=batch,
            optimizer=optim.Adam(lr=self.learning_rate_init),
            verbose=2 if self.verbose else 0,
        )
        self.loss_curve_ = list(self.history_["loss"])
        self.n_iter_ = len(self.loss_curve_)
        self._n_features_out = self.n_components
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Bottleneck codes: (n_samples, n_features) -> (n_samples, n_components)."""
        check_is_fitted(self, "autoencoder_")
        x = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return self.autoencoder_.encode(
            x.astype(self.autoencoder_.network.dtype, copy=False)
        ).astype(x.dtype)

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Decode codes (n_samples, n_components) back to (n_samples, n_features)."""
        check_is_fitted(self, "autoencoder_")
        z = np.asarray(X, dtype=self.autoencoder_.network.dtype)
        if z.ndim != 2 or z.shape[1] != self.n_components:
            raise ValueError(
                f"inverse_transform expects codes of shape (n, {self.n_components}), got {z.shape}"
            )
        return self.autoencoder_.decode(z)
