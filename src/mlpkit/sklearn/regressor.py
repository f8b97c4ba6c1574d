"""MLPRegressor: scikit-learn's, with mlpkit's network underneath."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if

from .. import losses as losses_mod
from .._backend import namespace_of, to_numpy
from .._validation import is_dask
from ..callbacks import Callback
from ._base import BaseMLP
from ._docs import with_parameters
from ._util import store_params

__all__ = ["MLPRegressor"]


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multilayer perceptron regressor, scikit-learn compatible. One or several outputs.

    ``loss="squared_error"``: identity output, loss ½·mean((y − ŷ)²).
    ``loss="poisson"``: exp output (log link, ŷ > 0), half the Poisson deviance
    mean_i Σ_k [y log(y/ŷ) − y + ŷ]; y must be ≥ 0.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.sklearn import MLPRegressor
    >>> X = np.linspace(-1, 1, 100).reshape(-1, 1)
    >>> reg = MLPRegressor(hidden_layer_sizes=(16,), max_iter=500, random_state=0).fit(X, X[:, 0] ** 2)
    >>> reg.predict(X[:3]).shape, reg.n_iter_ > 0
    ((3,), True)
    """

    _parameter_constraints: dict[str, Any] = {  # noqa: RUF012
        **BaseMLP._parameter_constraints,
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
        store_params(self, locals())

    def _encode_targets(self, y: np.ndarray, incremental: bool) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def _output(self) -> tuple[str, losses_mod.Loss]:
        if self.loss == "poisson":
            return "exp", losses_mod.PoissonDeviance()
        return "identity", losses_mod.HalfSquaredError()

    def _validation_score(self, x: np.ndarray, t: np.ndarray) -> float:
        from ..metrics import r2_score

        return r2_score(t, to_numpy(self.network_.predict(x)))

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Fit the network to X and y.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.
        sample_weight : array-like of shape (n_samples,), optional
            A weight per sample.

        Returns
        -------
        MLPRegressor
            The fitted estimator.
        """
        self._validate_params()
        return self._fit(X, y, sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One epoch over (X, y), continuing from the current weights and optimizer state.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.
        sample_weight : array-like of shape (n_samples,), optional
            A weight per sample.

        Returns
        -------
        MLPRegressor
            The estimator.
        """
        if not hasattr(self, "network_"):
            self._validate_params()
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X: Any) -> np.ndarray:
        """The predictions.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The inputs.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One column per output, raveled for one.
        """
        p = self._predict_raw(X)
        if is_dask(p) and self.n_outputs_ == 1:
            return p[:, 0]
        if self.n_outputs_ != 1:
            return p
        return p.ravel() if isinstance(p, np.ndarray) else namespace_of(p).reshape(p, (-1,))


with_parameters(MLPRegressor)
