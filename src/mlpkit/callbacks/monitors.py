"""Callbacks that watch a logged value (``val_loss``, ``val_accuracy``, ...) and act
when it stops improving: EarlyStopping and ReduceLROnPlateau. ``improved`` is the one
test of "better" they share with ModelCheckpoint."""

from __future__ import annotations

from typing import Any

from .._validation import keyword_only
from .base import Callback, Logs

__all__ = ["EarlyStopping", "ReduceLROnPlateau", "improved", "monitor_mode", "read_monitor"]


def monitor_mode(monitor: str, mode: str) -> str:
    """'min' or 'max' for ``monitor``; "auto" is max for accuracy-like names."""
    if mode in ("min", "max"):
        return mode
    if mode != "auto":
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    bare = monitor.removeprefix("val_")
    return "max" if bare in ("accuracy", "acc", "precision", "recall", "f1", "r2") else "min"


def read_monitor(logs: Logs | None, monitor: str, who: str) -> float:
    """The monitored value from the epoch logs, or a ValueError saying what is there."""
    logs = logs or {}
    if monitor not in logs:
        hint = (
            " — pass validation_data or validation_split to fit, or monitor 'loss'"
            if monitor.startswith("val_")
            else ""
        )
        raise ValueError(
            f"{who} monitors {monitor!r} but the epoch logs only have {sorted(logs)}{hint}"
        )
    return float(logs[monitor])


def improved(value: float, best: float | None, mode: str, min_delta: float = 0.0) -> bool:
    """Whether ``value`` beats ``best`` by more than ``min_delta`` (always, without a best)."""
    if best is None:
        return True
    if mode == "min":
        return value < best - min_delta
    return value > best + min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs (Keras's count: patience=3 stops on the third epoch without improvement);
    with ``restore_best_weights`` put back the weights (and BatchNorm statistics) of the
    best epoch. ``start_from_epoch``: epochs to train before watching. ``verbose=1``
    (default) says in one line when and why it stopped; 0 is silent.

    Parameters
    ----------
    monitor : str, default "val_loss"
        The logged quantity watched.
    patience : int, default 0
        Epochs without improvement before it stops.
    min_delta : float, default 0.0
        The smallest change that counts as an improvement.
    mode : {"auto", "min", "max"}, default "auto"
        Whether lower or higher is better ("auto": higher for accuracy-like names).
    restore_best_weights : bool, default False
        Put back the best epoch's weights and BatchNorm statistics at the end.
    start_from_epoch : int, default 0
        Epochs to train before watching.
    verbose : int, default 1
        1 says in one line when it acts; 0 is silent.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> stop = mlpkit.EarlyStopping("val_loss", patience=2, restore_best_weights=True, verbose=0)
    >>> history = net.fit(X, y, epochs=200, validation_split=0.25, callbacks=[stop], verbose=0)
    >>> len(history.history["loss"]) < 200
    False
    """

    @keyword_only(("monitor",), ("patience", "min_delta", "mode", "restore_best_weights"))
    def __init__(
        self,
        monitor: str = "val_loss",
        *,
        patience: int = 0,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
        verbose: int = 1,
    ) -> None:
        self.verbose = int(verbose)
        self.monitor, self.patience, self.min_delta = monitor, int(patience), abs(float(min_delta))
        self.mode = monitor_mode(monitor, mode)
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = int(start_from_epoch)
        self.stopped_epoch: int | None = None
        self.best_epoch: int | None = None
        self.best: float | None = None
        self.best_weights: Any = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.wait, self.best, self.best_weights = 0, None, None
        self.stopped_epoch = self.best_epoch = None
        self._seen = 0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        value = read_monitor(logs, self.monitor, "EarlyStopping")
        self._seen += 1
        if self._seen <= self.start_from_epoch:
            return
        if improved(value, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.snapshot()
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        restoring = self.restore_best_weights and self.best_weights is not None
        if restoring:
            self.model.restore(self.best_weights)
        if self.verbose and self.stopped_epoch is not None and self.best_epoch is not None:
            self.say(
                f"EarlyStopping: stopped after epoch {self.stopped_epoch + 1}: {self.monitor} "
                f"has not improved on {self.best:.6g} (epoch {self.best_epoch + 1}) for "
                f"{self.wait} epoch(s)"
                + (f"; restored the weights of epoch {self.best_epoch + 1}" if restoring else "")
            )


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for
    ``patience`` epochs, then wait ``cooldown`` epochs; never below ``min_lr``.
    ``verbose=1`` (default) says in one line each time it lowers the rate; 0 is silent.

    Parameters
    ----------
    monitor : str, default "val_loss"
        The logged quantity watched.
    factor : float, default 0.1
        The rate's multiplier.
    patience : int, default 10
        Epochs without improvement before it acts.
    min_delta : float, default 1e-4
        The smallest change that counts as an improvement.
    cooldown : int, default 0
        Epochs to wait after acting.
    min_lr : float, default 0.0
        The rate's floor.
    mode : {"auto", "min", "max"}, default "auto"
        Whether lower or higher is better ("auto": higher for accuracy-like names).
    verbose : int, default 1
        1 says in one line when it acts; 0 is silent.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> plateau = mlpkit.callbacks.ReduceLROnPlateau("loss", factor=0.5, patience=1, verbose=0)
    >>> history = net.fit(X, y, epochs=3, callbacks=[plateau], verbose=0)
    >>> len(history.history["lr"])
    3
    """

    @keyword_only(("monitor",), ("factor", "patience", "min_delta", "cooldown", "min_lr"))
    def __init__(
        self,
        monitor: str = "val_loss",
        *,
        factor: float = 0.1,
        patience: int = 10,
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        mode: str = "auto",
        verbose: int = 1,
    ) -> None:
        self.verbose = int(verbose)
        if not 0.0 < factor < 1.0:
            raise ValueError(f"factor must be in (0, 1), got {factor}")
        self.monitor, self.factor, self.patience = monitor, float(factor), int(patience)
        self.min_delta, self.cooldown, self.min_lr = float(min_delta), int(cooldown), float(min_lr)
        self.mode = monitor_mode(monitor, mode)
        self.best: float | None = None
        self.wait = self.cooldown_left = 0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        value = read_monitor(logs, self.monitor, "ReduceLROnPlateau")
        better = improved(value, self.best, self.mode, self.min_delta)
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.wait = 0
        if better:
            self.best, self.wait = value, 0
        elif self.cooldown_left == 0:
            self.wait += 1
            if self.wait >= self.patience:
                opt = self.model.optimizer
                old, opt.lr = opt.lr, max(self.min_lr, opt.lr * self.factor)
                if self.verbose and opt.lr < old:
                    self.say(
                        f"ReduceLROnPlateau: epoch {epoch + 1}: {self.monitor} {value:.6g} has "
                        f"not improved on {self.best:.6g} for {self.wait} epoch(s); learning "
                        f"rate {old:.3g} -> {opt.lr:.3g}"
                    )
                self.cooldown_left, self.wait = self.cooldown, 0
