"""AutoencoderTransformer: an mlpkit autoencoder as a scikit-learn transformer."""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import optimizers as optim
from ..autoencoder import Autoencoder
from ._docs import with_parameters
from ._util import ACTIVATION_ALIASES, ACTIVATIONS, seed, store_params

__all__ = ["AutoencoderTransformer"]


class AutoencoderTransformer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """An autoencoder as a scikit-learn transformer: ``transform`` gives the bottleneck
    codes (n_samples, n_components), ``inverse_transform`` decodes them; usable in a
    Pipeline like PCA. The encoder is ``hidden_layer_sizes`` then ``n_components``, the
    decoder mirrors it; the output and loss follow the data (sigmoid + cross-entropy for
    values in [0, 1], identity + mse otherwise) unless ``output_activation`` is given.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import MinMaxScaler
    >>> from mlpkit.sklearn import AutoencoderTransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> pipe = make_pipeline(MinMaxScaler(), AutoencoderTransformer(n_components=2, max_iter=5, random_state=0))
    >>> pipe.fit_transform(X[:200]).shape
    (200, 2)
    """

    _parameter_constraints: dict[str, Any] = {  # noqa: RUF012
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(ACTIVATIONS)],
        "latent_activation": [StrOptions(ACTIVATIONS)],
        "output_activation": [StrOptions(ACTIVATIONS | {"auto"})],
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
        store_params(self, locals())

    def fit(self, X: Any, y: Any = None) -> AutoencoderTransformer:
        """Train the autoencoder to reconstruct X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.
        y : None
            Ignored (scikit-learn's convention).

        Returns
        -------
        AutoencoderTransformer
            The fitted transformer.
        """
        self._validate_params()
        x = validate_data(self, X, dtype=(np.float64, np.float32))
        sizes = self.hidden_layer_sizes
        hidden = [int(sizes)] if isinstance(sizes, Integral) else [int(s) for s in sizes]

        def act(name: str) -> str:
            return str(ACTIVATION_ALIASES.get(name, name))

        self.autoencoder_ = Autoencoder(
            [x.shape[1], *hidden, self.n_components],
            activation=act(self.activation),
            latent_activation=act(self.latent_activation),
            output_activation=act(self.output_activation),
            noise=self.noise,
            batch_norm=self.batch_norm,
            seed=seed(self.random_state),
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
        """The bottleneck codes of X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        ndarray of shape (n_samples, n_components)
            The codes.
        """
        check_is_fitted(self, "autoencoder_")
        x = validate_data(self, X, dtype=(np.float64, np.float32), reset=False)
        return self.autoencoder_.encode(
            x.astype(self.autoencoder_.network.dtype, copy=False)
        ).astype(x.dtype)

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Decode codes back to the data's space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            The codes.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            The reconstructions.
        """
        check_is_fitted(self, "autoencoder_")
        z = np.asarray(X, dtype=self.autoencoder_.network.dtype)
        if z.ndim != 2 or z.shape[1] != self.n_components:
            raise ValueError(
                f"inverse_transform expects codes of shape (n, {self.n_components}), got {z.shape}"
            )
        return self.autoencoder_.decode(z)


with_parameters(AutoencoderTransformer)
