"""What mlpkit's scikit-learn estimators share: the helpers, and ``BaseMLP`` — the
constructor parameters' checks, building the network, fitting (the solvers are in
``_solvers.py``), and checking inputs. Subclasses fill in the hooks: the targets'
encoding, the output layer and loss, the validation score, and the few places a
classifier differs (its classes for warm starts, its stratified split)."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, cast

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    column_or_1d,
    validate_data,
)

from .. import losses as losses_mod
from .. import optimizers as optim
from .._backend import astype, device_of, name_of, namespace_of, numpy_dtype, to_numpy
from .._validation import is_dask
from ..initializers import Uniform
from ..layers import Dense, dense_stack
from ..network import Sequential
from ..regularizers import L2
from ._solvers import fit_lbfgs, fit_stochastic
from ._util import ACTIVATION_ALIASES, ACTIVATIONS, all_finite, float_dtypes, seed

__all__ = ["BaseMLP"]


class BaseMLP(BaseEstimator):
    """Shared machinery of MLPClassifier and MLPRegressor."""

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # CSR/CSC X: the first layer multiplies it sparse
        # with sklearn.set_config(array_api_dispatch=True), X of PyTorch, CuPy, ... trains
        # and predicts on its own device (labels and weights are handled on the host)
        tags.array_api_support = True
        return tags

    _parameter_constraints: dict[str, Any] = {  # noqa: RUF012 - scikit-learn's convention
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(ACTIVATIONS)],
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
    #: whether y must be numeric (scikit-learn's y_numeric: a regressor's)
    _y_numeric = True

    def _encode_targets(self, y: np.ndarray, incremental: bool) -> np.ndarray:
        raise NotImplementedError

    def _output(self) -> tuple[str, losses_mod.Loss]:
        raise NotImplementedError

    def _validation_score(self, x: np.ndarray, y: Any) -> float:
        raise NotImplementedError

    def _check_warm_classes(self, y: np.ndarray) -> None:
        """A warm start on y: raise if y does not fit the first fit's outputs."""

    def _n_outputs(self, targets: np.ndarray) -> int:
        """The network's output width for the encoded targets."""
        return 1 if targets.ndim == 1 else int(targets.shape[1])

    def _stratify(self, targets: np.ndarray) -> np.ndarray | None:
        """What the early-stopping split is stratified by (None: not stratified)."""
        return None

    # -- fitting -------------------------------------------------------------------------
    def _hidden(self) -> list[int]:
        sizes = self.hidden_layer_sizes
        sizes = [sizes] if isinstance(sizes, Integral) else list(sizes)
        if any(int(s) < 1 for s in sizes):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {self.hidden_layer_sizes}")
        return [int(s) for s in sizes]

    def _build(self, n_features: int, n_outputs: int, dtype: np.dtype) -> Sequential:
        activation = str(ACTIVATION_ALIASES.get(self.activation, self.activation))
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
        return Sequential(layers, seed=seed(self.random_state), dtype=dtype)

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

    def _fit(self, x: Any, y: Any, sample_weight: Any, incremental: bool) -> BaseMLP:
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
                dtype=float_dtypes(x),
                reset=reset,
                y_numeric=self._y_numeric,
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
        if warm:
            self._check_warm_classes(y)
        targets = self._encode_targets(y, incremental=keep_classes)
        dtype = numpy_dtype(x)
        rows = x if xp is np else np.empty((x.shape[0], 0), dtype)
        sw = (
            None
            if sample_weight is None
            else _check_sample_weight(sample_weight, rows, dtype=dtype)
        )
        sw = self._combine_weights(y, sw)
        n_outputs = self._n_outputs(targets)
        if reset:
            by_hand = self._weights_set_by_hand() if first else None
            self.network_ = self._build(x.shape[1], n_outputs, dtype)
            if by_hand is not None:
                self._start_from(by_hand)
            self.n_iter_, self.t_ = 0, 0
            self.loss_curve_: list[float] = []
            self.validation_loss_curve_: list[float] = []
            self._no_improvement_count = 0
            early = self.early_stopping  # scikit-learn's attributes for each mode
            self.best_loss_ = None if early else math.inf
            self.validation_scores_: list[float] | None = [] if early else None
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
            fit_lbfgs(self, to_numpy(x), targets, sw, loss)
            net.to(xp, device_of(x))
        elif self.solver == "lbfgs":
            fit_lbfgs(self, x, targets, sw, loss)
        else:
            fit_stochastic(self, x, targets, sw, loss, incremental)
        if not all(all_finite(p) for p in net.parameters()):
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may contain large "
                "values and need to be preprocessed."
            )
        dense = [layer for layer in net.layers if isinstance(layer, Dense)]
        self.coefs_ = [layer.W for layer in dense]
        self.intercepts_ = [
            layer.b if layer.bias else np.zeros(layer.out_features, layer.dtype) for layer in dense
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

    def _checked_input(self, x: Any, method: str = "predict") -> Any:
        check_is_fitted(self, "network_")
        if is_dask(x):  # predictions stay lazy, block by block
            if x.ndim != 2 or x.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has shape {x.shape}; the estimator expects (n, {self.n_features_in_})"
                )
            return cast("np.ndarray", x.astype(self.network_.dtype))
        x = validate_data(self, x, accept_sparse=("csr", "csc"), dtype=float_dtypes(x), reset=False)
        self._same_namespace(x, method)
        return cast("np.ndarray", astype(x, self.network_.dtype))

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
