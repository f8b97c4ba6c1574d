"""Layers that act in training only and are the identity at inference: Dropout and
GaussianNoise, drawing from the network's random generator."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from .._backend import numpy_dtype, on_device_of
from .base import Layer

__all__ = ["Dropout", "GaussianNoise"]


class Dropout(Layer):
    """Inverted dropout: in training, zero each input with probability ``rate`` and
    scale the survivors by 1/(1 − rate), so nothing changes at inference, where the
    layer is the identity. The mask comes from the network's random generator.

    Parameters
    ----------
    rate : float
        The probability of zeroing each input, in [0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> import mlpkit
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 100, "relu"), mlpkit.Dropout(0.5)], seed=0)
    >>> x = np.ones((1, 2))
    >>> bool((net.forward(x, training=True) == 0).any()), bool((net.predict(x) == net.forward(x)).all())
    (True, True)
    """

    config_type = "Dropout"

    def __init__(self, rate: float) -> None:
        super().__init__()
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self._rng: Any = None  # the network's generator, once built
        self._mask: np.ndarray | None = None

    def build(self, in_features: int, rng: np.random.Generator, dtype: np.dtype) -> int:
        self._rng = rng
        return super().build(in_features, rng, dtype)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """In training, X times a mask of 0 and 1/(1 − rate); else X.

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
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        keep = 1.0 - self.rate
        # drawn on the host from the network's generator (the same masks on every array
        # library), then moved to x's device
        dtype = numpy_dtype(x)
        mask = (self._rng.random(x.shape, dtype=dtype) < keep).astype(dtype) * (1.0 / keep)
        self._mask = mask if type(x) is np.ndarray else on_device_of(mask, x)
        return cast(np.ndarray, x * self._mask)

    def call(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, dy: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        return dy if self._mask is None else dy * self._mask

    def clear_cache(self) -> None:
        self._mask = None

    def get_config(self) -> dict[str, Any]:
        return {"rate": self.rate}


class GaussianNoise(Layer):
    """Adds N(0, std²) noise to its input in training only (denoising autoencoders);
    the identity at inference. The noise comes from the network's random generator.

    Parameters
    ----------
    std : float
        The noise's standard deviation.

    Examples
    --------
    >>> import numpy as np
    >>> import mlpkit
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 2), mlpkit.layers.GaussianNoise(0.1)], seed=0)
    >>> x = np.ones((1, 2))
    >>> bool((net.predict(x) == net.forward(x, training=False)).all())
    True
    """

    config_type = "GaussianNoise"

    def __init__(self, std: float) -> None:
        super().__init__()
        if not std >= 0.0:
            raise ValueError(f"GaussianNoise std must be >= 0, got {std}")
        self.std = float(std)
        self._rng: Any = None  # the network's generator, once built

    def build(self, in_features: int, rng: np.random.Generator, dtype: np.dtype) -> int:
        self._rng = rng
        return super().build(in_features, rng, dtype)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """In training, X plus N(0, std²) noise; else X.

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
        if not training or self.std == 0.0:
            return x
        noise = self._rng.standard_normal(x.shape, dtype=numpy_dtype(x))
        noise *= self.std
        if type(x) is not np.ndarray:  # drawn on the host, as Dropout's masks
            return cast("np.ndarray", x + on_device_of(noise, x))
        noise += x
        return cast("np.ndarray", noise)

    def call(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, dy: np.ndarray, need_input_grad: bool = True) -> np.ndarray | None:
        return dy  # d(x + ε)/dx = I

    def get_config(self) -> dict[str, Any]:
        return {"std": self.std}
