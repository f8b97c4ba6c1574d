"""Normalisation layers: BatchNorm (over the batch, per feature) and LayerNorm (over the
features, per row), with PyTorch's semantics (``BatchNorm1d``, ``LayerNorm``).

Both compute x̂ = (x − μ) / √(σ² + eps) and y = γ ⊙ x̂ + β, with γ (``gamma``, PyTorch's
``weight``) and β (``beta``, its ``bias``) trained, shape (d,). They differ in which
axis μ and σ² (the biased variance) are taken over, and so in what couples the rows.

Backward, with g = dY ⊙ γ = dL/dx̂ and s = 1/√(σ² + eps): μ and σ² depend on every
element they are taken over (M of them: the N rows for BatchNorm, the d features for
LayerNorm), so the chain rule through them gives

    dL/dσ² = −½ s³ Σ g (x − μ)
    dL/dμ  = −s Σ g                 (dσ²'s own term Σ −2(x − μ)/M is 0)
    dL/dx  = s g + dL/dσ² · 2(x − μ)/M + dL/dμ / M
           = (s / M) (M g − Σ g − x̂ Σ g x̂)

summed over that axis; and dL/dγ = Σ_rows dY ⊙ x̂, dL/dβ = Σ_rows dY.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from .._backend import Array, namespace_of
from .base import Layer

__all__ = ["BatchNorm", "LayerNorm"]


def _check_size(name: str, num_features: Any, eps: Any) -> None:
    if isinstance(num_features, bool) or not isinstance(num_features, int | np.integer):
        raise ValueError(f"{name} num_features must be a positive integer, got {num_features!r}")
    if num_features < 1:
        raise ValueError(f"{name} num_features must be a positive integer, got {num_features!r}")
    if not eps > 0:
        raise ValueError(f"{name} eps must be > 0, got {eps!r}")


class _Normalization(Layer):
    """What BatchNorm and LayerNorm share: γ, β, the x̂ cache and the affine backward."""

    def __init__(self, num_features: int, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        _check_size(type(self).__name__, num_features, eps)
        self.num_features, self.eps, self.affine = int(num_features), float(eps), bool(affine)
        self.param_names = ("gamma", "beta") if self.affine else ()
        self._training = False
        self._x_hat: Array = None  # what forward keeps for backward (None before)
        self._inv_std: Array = None

    def build(self, in_features: int, rng: np.random.Generator, dtype: np.dtype) -> int:
        if in_features != self.num_features:
            raise ValueError(
                f"{self!r} normalises {self.num_features} features but the layer before it "
                f"outputs {in_features}"
            )
        super().build(in_features, rng, dtype)
        if self.affine:
            self.gamma = np.ones(in_features, dtype=self.dtype)
            self.beta = np.zeros(in_features, dtype=self.dtype)
            self.dgamma, self.dbeta = np.zeros_like(self.gamma), np.zeros_like(self.beta)
        return in_features

    def _scale_shift(self, x_hat: np.ndarray) -> np.ndarray:
        return x_hat * self.gamma + self.beta if self.affine else x_hat

    def _affine_backward(self, dy: np.ndarray) -> np.ndarray:
        """Fill dγ, dβ from dY (N, d); return g = dL/dx̂."""
        if self._x_hat is None:
            raise RuntimeError(f"{self!r}: backward() called before forward()")
        if not self.affine:
            return dy
        if type(dy) is np.ndarray:
            np.add.reduce(dy * self._x_hat, axis=0, out=self.dgamma)
            np.add.reduce(dy, axis=0, out=self.dbeta)
        else:
            xp = namespace_of(dy)
            self.dgamma[...] = xp.sum(dy * self._x_hat, axis=0)
            self.dbeta[...] = xp.sum(dy, axis=0)
        return dy * self.gamma

    @staticmethod
    def _through_statistics(
        g: np.ndarray, x_hat: np.ndarray, inv_std: np.ndarray, axis: int
    ) -> np.ndarray:
        """dL/dx = (s / M)(M g − Σ g − x̂ Σ g x̂), the sums over ``axis`` (M entries)."""
        m = g.shape[axis]
        xp = namespace_of(g)
        total = xp.sum(g, axis=axis, keepdims=True)
        along = xp.sum(g * x_hat, axis=axis, keepdims=True)
        return cast("np.ndarray", (inv_std / m) * (m * g - total - x_hat * along))

    def clear_cache(self) -> None:
        self._x_hat = self._inv_std = None

    def __repr__(self) -> str:
        shown = [str(self.num_features)]
        shown += [f"{k}={v!r}" for k, v in self.get_config().items() if k != "num_features"]
        return f"{type(self).__name__}({', '.join(shown)})"


class BatchNorm(_Normalization):
    """Batch normalisation (Ioffe & Szegedy, https://arxiv.org/abs/1502.03167), PyTorch's
    ``BatchNorm1d``: X (N, d) -> (N, d).

    In training each feature is normalised by the batch's own mean μ and biased variance
    σ², and the running estimates are updated with PyTorch's momentum convention,

        running_mean ← (1 − momentum) · running_mean + momentum · μ
        running_var  ← (1 − momentum) · running_var + momentum · σ² · N / (N − 1)

    (the unbiased variance). In inference (``predict``, ``model.eval()``) the running
    estimates are used instead, so one row can be normalised. They are not trained
    (no gradient), but saved with the model. A batch of one row cannot be normalised in
    training: its variance is 0 and the unbiased estimate divides by N − 1 = 0.

    Parameters
    ----------
    num_features : int
        d, the width normalised.
    momentum : float, default 0.1
        The running estimates' update weight (PyTorch's convention).
    eps : float, default 1e-5
        Added to the variance under the root.
    affine : bool, default True
        Learn a scale γ and shift β (d,) after normalising.

    Examples
    --------
    >>> import numpy as np
    >>> import mlpkit
    >>> net = mlpkit.Sequential(
    ...     [mlpkit.Dense(2, 4, bias=False), mlpkit.BatchNorm(4), mlpkit.ReLU(), mlpkit.Dense(4, 1)], seed=0
    ... )
    >>> out = net.forward(np.random.default_rng(0).normal(size=(8, 2)), training=True)
    >>> net.layers[1].running_mean.shape
    (4,)
    """

    config_type = "BatchNorm"
    buffer_names = ("running_mean", "running_var")
    #: the smallest batch that can be normalised in training
    min_training_batch = 2

    def __init__(
        self, num_features: int, momentum: float = 0.1, eps: float = 1e-5, affine: bool = True
    ) -> None:
        super().__init__(num_features, eps, affine)
        if (
            isinstance(momentum, bool)
            or not isinstance(momentum, int | float)
            or not 0.0 <= momentum <= 1.0
        ):
            raise ValueError(f"BatchNorm momentum must be a number in [0, 1], got {momentum!r}")
        self.momentum = float(momentum)

    def build(self, in_features: int, rng: np.random.Generator, dtype: np.dtype) -> int:
        width = super().build(in_features, rng, dtype)
        self.running_mean = np.zeros(width, dtype=self.dtype)
        self.running_var = np.ones(width, dtype=self.dtype)
        return width

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """γ x̂ + β; in training also updates the running estimates.

        Parameters
        ----------
        x : ndarray of shape (N, d)
            The batch.
        training : bool, default False
            Training mode (dropout, noise and batch statistics on).

        Returns
        -------
        ndarray of shape (N, d)
            The layer's output.
        """
        if not training:
            self._x_hat, self._inv_std, self._training = self._normalize_running(x), None, False
            return self._scale_shift(self._x_hat)
        n = x.shape[0]
        if n < 2:
            raise ValueError(
                "BatchNorm cannot normalise a batch of one row in training: its variance is 0 "
                "and the running variance's unbiased estimate divides by N - 1 = 0; use "
                "batch_size >= 2 (and one that leaves no single row at the end of an epoch), "
                "or LayerNorm, which normalises each row by itself"
            )
        xp = namespace_of(x)
        mean = xp.mean(x, axis=0)
        centered = x - mean
        var = xp.mean(centered * centered, axis=0)  # biased: the batch's own spread
        inv_std = 1.0 / xp.sqrt(var + self.eps)
        m = self.momentum
        self.running_mean *= 1.0 - m
        self.running_mean += m * mean
        self.running_var *= 1.0 - m
        self.running_var += (m * n / (n - 1)) * var
        self._x_hat, self._inv_std, self._training = centered * inv_std, inv_std, True
        return self._scale_shift(self._x_hat)

    def _normalize_running(self, x: np.ndarray) -> np.ndarray:
        return cast(
            "np.ndarray",
            (x - self.running_mean) * (1.0 / namespace_of(x).sqrt(self.running_var + self.eps)),
        )

    def call(self, x: np.ndarray) -> np.ndarray:
        return self._scale_shift(self._normalize_running(x))

    def backward(self, dy: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate through the normalisation (through the batch statistics in training).

        Parameters
        ----------
        dy : ndarray of shape (N, d)
            dL/dY, the gradient of the loss with respect to the last forward's output.
        need_input_grad : bool, default True
            False skips dL/dX (the first layer's, which nothing reads).

        Returns
        -------
        ndarray of shape (N, d) or None
            dL/dX, or None when not needed. Fills dγ and dβ (d,).
        """
        g = self._affine_backward(dy)
        if not need_input_grad:
            return None
        if not self._training:  # running statistics are constants
            return cast(
                "np.ndarray | None",
                g * (1.0 / namespace_of(g).sqrt(self.running_var + self.eps)),
            )
        return self._through_statistics(g, self._x_hat, self._inv_std, axis=0)

    def get_config(self) -> dict[str, Any]:
        return {"num_features": self.num_features, "momentum": self.momentum, "eps": self.eps,
                "affine": self.affine}  # fmt: skip


class LayerNorm(_Normalization):
    """Layer normalisation (Ba et al., https://arxiv.org/abs/1607.06450), PyTorch's
    ``LayerNorm`` over the last axis: each row of X (N, d) is normalised by its own mean
    and biased variance over its d features, the same in training and inference.

    Parameters
    ----------
    num_features : int
        d, the width of each row.
    eps : float, default 1e-5
        Added to the variance under the root.
    affine : bool, default True
        Learn a scale γ and shift β (d,) after normalising.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit import LayerNorm, Sequential
    >>> net = Sequential([LayerNorm(3, affine=False)], dtype="float64")
    >>> out = net.predict(np.array([[1.0, 2.0, 3.0]]))
    >>> out.mean().round(6), out.std().round(4)
    (np.float64(0.0), np.float64(1.0))
    """

    config_type = "LayerNorm"

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Each row normalised by its own mean and variance, then γ x̂ + β.

        Parameters
        ----------
        x : ndarray of shape (N, d)
            The batch.
        training : bool, default False
            Training mode (dropout, noise and batch statistics on).

        Returns
        -------
        ndarray of shape (N, d)
            The layer's output.
        """
        xp = namespace_of(x)
        mean = xp.mean(x, axis=-1, keepdims=True)
        centered = x - mean
        var = xp.mean(centered * centered, axis=-1, keepdims=True)
        self._inv_std = 1.0 / xp.sqrt(var + self.eps)
        self._x_hat = centered * self._inv_std
        return self._scale_shift(self._x_hat)

    def call(self, x: np.ndarray) -> np.ndarray:
        out = self.forward(x)
        self.clear_cache()
        return out

    def backward(self, dy: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate through each row's normalisation.

        Parameters
        ----------
        dy : ndarray of shape (N, d)
            dL/dY, the gradient of the loss with respect to the last forward's output.
        need_input_grad : bool, default True
            False skips dL/dX (the first layer's, which nothing reads).

        Returns
        -------
        ndarray of shape (N, d) or None
            dL/dX, or None when not needed. Fills dγ and dβ (d,).
        """
        g = self._affine_backward(dy)
        if not need_input_grad:
            return None
        return self._through_statistics(g, self._x_hat, self._inv_std, axis=-1)

    def get_config(self) -> dict[str, Any]:
        return {"num_features": self.num_features, "eps": self.eps, "affine": self.affine}
