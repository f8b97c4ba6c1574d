"""Callbacks that guard a run: stop at a non-finite loss, warn on vanishing or
exploding gradients."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from .base import Callback, Logs

__all__ = ["GradientMonitor", "GradientWarning", "NonFiniteLossError", "TerminateOnNaN"]


class NonFiniteLossError(FloatingPointError):
    """Training produced a NaN or infinite loss (raised by TerminateOnNaN).

    Examples
    --------
    >>> import mlpkit
    >>> issubclass(mlpkit.NonFiniteLossError, FloatingPointError)
    True
    """


class GradientWarning(UserWarning):
    """Gradients are vanishing or exploding (issued by GradientMonitor).

    Examples
    --------
    >>> import mlpkit
    >>> issubclass(mlpkit.callbacks.GradientWarning, UserWarning)
    True
    """


class TerminateOnNaN(Callback):
    """Stop at the first non-finite loss, inside that batch and before its update.

    The weights are those from before that batch. ``fit`` adds one unless you pass your
    own.

    Parameters
    ----------
    raise_error : bool, default True
        True raises NonFiniteLossError naming the epoch and batch; False ends ``fit``
        quietly there (Keras's TerminateOnNaN), the epoch's logged loss being the
        non-finite one, and sets ``diverged`` (the epoch and batch).

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.regression_1d("sin", n_samples=64)
    >>> net = mlpkit.Sequential([mlpkit.Dense(1, 8, "relu"), mlpkit.Dense(8, 1)], seed=0)
    >>> guard = mlpkit.TerminateOnNaN(raise_error=False)
    >>> history = net.fit(X, y * 1e30, loss="mse", optimizer=mlpkit.optimizers.SGD(lr=1e10),
    ...                   epochs=5, callbacks=[guard], verbose=0)
    >>> guard.diverged is not None, len(history.history["loss"]) < 5
    (True, True)
    """

    def __init__(self, raise_error: bool = True) -> None:
        self.raise_error = bool(raise_error)
        self.diverged: tuple[int, int] | None = None
        #: the non-finite loss met (None before)
        self.loss: float | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.diverged = None

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch = epoch

    def on_batch_loss(self, batch: int, loss: float) -> None:
        if not math.isfinite(loss):
            self.diverged = (self._epoch, batch)
            self.loss = loss
            if not self.raise_error:
                self.model.train_state.halt = True  # the loop stops before this update
                return
            lr = self.model.optimizer.lr if self.model.optimizer is not None else float("nan")
            raise NonFiniteLossError(
                f"loss became {loss} at epoch {self._epoch}, batch {batch}; training stopped "
                f"and the weights from before that batch are kept. Lower the learning rate "
                f"(now {lr:g}), scale the inputs, or clip gradients (e.g. clip_norm=1.0)."
            )


class GradientMonitor(Callback):
    """Watch gradient health every ``every`` batches and warn once when it goes wrong.

    Records, per Dense layer: the gradient's L2 norm, the fraction of dead ReLU units
    (output 0 for every sample of the batch) and the fraction of saturated sigmoid/tanh
    outputs (derivative below 1% of its maximum). Warns (GradientWarning) once when the
    smallest layer norm is below ``vanishing_ratio`` times the largest (vanishing, the
    concern of the worksheet and the backpropagation handout's deep sigmoid nets) or any norm exceeds
    ``exploding_norm``. ``self.records`` is a list of dicts, one per check.

    Parameters
    ----------
    every : int, default 1
        Record every this many batches.
    vanishing_ratio : float, default 1e-4
        Warn when the smallest layer norm falls below this times the largest.
    exploding_norm : float, default 1000.0
        Warn when a layer's norm exceeds this.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> monitor = mlpkit.GradientMonitor(every=5)
    >>> history = net.fit(X, y, epochs=1, callbacks=[monitor], verbose=0)
    >>> sorted(monitor.records[0])[:3]
    ['batch', 'dead_relu', 'epoch']
    """

    reads_layers = True  # the activations of the last batch

    def __init__(
        self, every: int = 1, vanishing_ratio: float = 1e-4, exploding_norm: float = 1e3
    ) -> None:
        self.every, self.vanishing_ratio, self.exploding_norm = (
            int(every),
            vanishing_ratio,
            exploding_norm,
        )
        self.records: list[dict[str, Any]] = []
        self.warned: set[str] = set()

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch = epoch

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        if batch % self.every:
            return
        norms = self.model.gradient_norms()
        dead, saturated = {}, {}
        for i, layer in enumerate(self.model.layers):
            if getattr(layer, "_a", None) is not None:
                name, a = layer.activation.name, layer._a
                if name == "relu":
                    dead[i] = float(np.mean(np.all(a <= 0.0, axis=0)))
                elif name == "sigmoid":
                    saturated[i] = float(np.mean(a * (1.0 - a) < 0.0025))
                elif name == "tanh":
                    saturated[i] = float(np.mean(1.0 - a * a < 0.01))
        self.records.append(
            {
                "epoch": self._epoch,
                "batch": batch,
                "grad_norm": norms,
                "dead_relu": dead,
                "saturated": saturated,
            }
        )
        self._check(norms)

    def _check(self, norms: dict[int, float]) -> None:
        if not norms or not self.chief:  # (under MPI rank 0 alone warns)
            return
        values = list(norms.values())
        biggest, smallest = max(values), min(values)
        if "exploding" not in self.warned and (
            not math.isfinite(biggest) or biggest > self.exploding_norm
        ):
            self.warned.add("exploding")
            warnings.warn(
                f"exploding gradients: layer gradient norm reached {biggest:.3g} "
                f"(> {self.exploding_norm:g}) at epoch {self._epoch}; lower the learning "
                "rate, use Glorot/He initialisation, or clip gradients (clip_norm=...)",
                GradientWarning,
                stacklevel=2,
            )
        if (
            "vanishing" not in self.warned
            and len(values) > 1
            and biggest > 0
            and (smallest < self.vanishing_ratio * biggest)
        ):
            self.warned.add("vanishing")
            layer = min(norms, key=norms.__getitem__)
            warnings.warn(
                f"vanishing gradients: layer {layer}'s gradient norm is {smallest:.3g}, "
                f"{smallest / biggest:.1e} of the largest, at epoch {self._epoch}; prefer "
                "ReLU-family activations in deep nets and He initialisation",
                GradientWarning,
                stacklevel=2,
            )
