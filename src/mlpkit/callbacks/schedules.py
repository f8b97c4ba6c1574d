"""Learning-rate schedules: set the optimizer's ``lr`` at the start of each epoch."""

from __future__ import annotations

import math
from collections.abc import Callable

from .base import Callback, Logs

__all__ = ["CosineDecay", "ExponentialDecay", "LearningRateScheduler", "StepDecay"]


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch start to ``schedule(epoch, lr)`` (Keras style).

    Parameters
    ----------
    schedule : callable
        ``schedule(epoch, lr) -> lr``, epochs counted from 0.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> schedule = mlpkit.callbacks.LearningRateScheduler(lambda epoch, lr: 0.01 / (1 + epoch))
    >>> history = net.fit(X, y, epochs=3, callbacks=[schedule], verbose=0)
    >>> [round(lr, 4) for lr in history.history["lr"]]
    [0.01, 0.005, 0.0033]
    """

    def __init__(self, schedule: Callable[[int, float], float]) -> None:
        self.schedule = schedule

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        lr = float(self.schedule(epoch, self.model.optimizer.lr))
        if not (math.isfinite(lr) and lr >= 0):
            raise ValueError(f"schedule returned learning rate {lr!r} at epoch {epoch}")
        self.model.optimizer.lr = lr


class _FactorSchedule(Callback):
    """lr(epoch) = base_lr · factor(epoch); base_lr is the optimizer's lr when the
    schedule first sees it, and epochs count across fit() calls."""

    base_lr: float | None = None

    def factor(self, epoch: int) -> float:
        raise NotImplementedError

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        if self.base_lr is None:
            self.base_lr = self.model.optimizer.lr
        self.model.optimizer.lr = self.base_lr * self.factor(epoch)


class StepDecay(_FactorSchedule):
    """lr = base · gamma^⌊epoch / step_size⌋ (PyTorch's StepLR).

    Parameters
    ----------
    step_size : int
        Epochs between two decays.
    gamma : float, default 0.1
        The factor at each.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> history = net.fit(X, y, epochs=4, optimizer=mlpkit.optimizers.SGD(lr=0.1),
    ...                   callbacks=[mlpkit.callbacks.StepDecay(2, gamma=0.5)], verbose=0)
    >>> [round(lr, 4) for lr in history.history["lr"]]
    [0.1, 0.1, 0.05, 0.05]
    """

    def __init__(self, step_size: int, gamma: float = 0.1) -> None:
        if step_size < 1:
            raise ValueError("step_size must be >= 1")
        self.step_size, self.gamma = int(step_size), float(gamma)

    def factor(self, epoch: int) -> float:
        return self.gamma ** (epoch // self.step_size)


class ExponentialDecay(_FactorSchedule):
    """lr = base · gamma^epoch (PyTorch's ExponentialLR).

    Parameters
    ----------
    gamma : float
        The factor per epoch.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> history = net.fit(X, y, epochs=3, optimizer=mlpkit.optimizers.SGD(lr=0.1),
    ...                   callbacks=[mlpkit.callbacks.ExponentialDecay(0.5)], verbose=0)
    >>> [round(lr, 4) for lr in history.history["lr"]]
    [0.1, 0.05, 0.025]
    """

    def __init__(self, gamma: float) -> None:
        self.gamma = float(gamma)

    def factor(self, epoch: int) -> float:
        return self.gamma**epoch


class CosineDecay(_FactorSchedule):
    """Linear warm-up from base/warmup_epochs to base over ``warmup_epochs``, then
    cosine annealing to ``min_lr`` at ``total_epochs`` (constant after).

    Parameters
    ----------
    total_epochs : int
        The epoch at which the rate reaches ``min_lr``.
    min_lr : float, default 0.0
        The last rate.
    warmup_epochs : int, default 0
        Epochs of linear warm-up first.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> history = net.fit(X, y, epochs=5, optimizer=mlpkit.optimizers.SGD(lr=0.1),
    ...                   callbacks=[mlpkit.callbacks.CosineDecay(4)], verbose=0)
    >>> [round(lr, 4) for lr in history.history["lr"]]
    [0.1, 0.0854, 0.05, 0.0146, 0.0]
    """

    def __init__(self, total_epochs: int, min_lr: float = 0.0, warmup_epochs: int = 0) -> None:
        if total_epochs < 1 or warmup_epochs < 0 or warmup_epochs >= total_epochs:
            raise ValueError("need total_epochs >= 1 and 0 <= warmup_epochs < total_epochs")
        self.total, self.min_lr, self.warmup = int(total_epochs), float(min_lr), int(warmup_epochs)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        if self.base_lr is None:
            self.base_lr = self.model.optimizer.lr
        base = self.base_lr
        if epoch < self.warmup:
            lr = base * (epoch + 1) / self.warmup
        else:
            progress = min(1.0, (epoch - self.warmup) / max(1, self.total - self.warmup))
            lr = self.min_lr + 0.5 * (base - self.min_lr) * (1.0 + math.cos(math.pi * progress))
        self.model.optimizer.lr = lr
