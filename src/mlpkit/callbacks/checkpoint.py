"""ModelCheckpoint: save the model during training, atomically."""

from __future__ import annotations

import os

from .base import Callback, Logs
from .monitors import improved, monitor_mode, read_monitor

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(Callback):
    """Save the model after each epoch (or only when ``monitor`` improves, with
    ``save_best_only``). Writes are atomic: a temporary file beside the target, fsync,
    then rename, so the file on disk is always a complete model. ``path`` may contain
    ``{epoch}`` (counted from 1, as Keras and the progress bar count) and any log key,
    e.g. ``"ckpt-{epoch:03d}-{val_loss:.3f}.mlpk"``.

    Parameters
    ----------
    path : str or PathLike
        The file; may contain ``{epoch}`` and log keys.
    monitor : str, default "val_loss"
        The logged quantity watched.
    save_best_only : bool, default False
        Save only when ``monitor`` improves.
    mode : {"auto", "min", "max"}, default "auto"
        Whether lower or higher is better ("auto": higher for accuracy-like names).

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> checkpoint = mlpkit.ModelCheckpoint("best.mlpk", monitor="loss", save_best_only=True)
    >>> history = net.fit(X, y, epochs=2, callbacks=[checkpoint], verbose=0)
    >>> mlpkit.load("best.mlpk").layers[0].W.shape
    (2, 8)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        monitor: str = "val_loss",
        save_best_only: bool = False,
        mode: str = "auto",
    ) -> None:
        self.path = str(path)
        self.monitor, self.save_best_only = monitor, save_best_only
        self.mode = monitor_mode(monitor, mode)
        self.best: float | None = None
        self.saved: list[str] = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if self.save_best_only:
            value = read_monitor(logs, self.monitor, "ModelCheckpoint")
            if not improved(value, self.best, self.mode):
                return
            self.best = value
        target = self.path.format(epoch=epoch + 1, **(logs or {}))  # from 1, as Keras counts
        self.model.save(target)  # (written on rank 0 only under MPI)
        self.saved.append(target)
