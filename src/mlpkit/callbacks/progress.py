"""Progress output: a tqdm bar per epoch (verbose=1) or one line per epoch (verbose=2)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from .base import Callback, Logs

__all__ = ["EpochLogger", "ProgressBar", "in_notebook"]


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (there a bar is a widget, not text)."""
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None)
    return get is not None and type(get()).__name__ == "ZMQInteractiveShell"


def _format_logs(logs: Logs, keys: Sequence[str]) -> str:
    return " - ".join(f"{k}: {logs[k]:.4g}" for k in keys if k in logs)


def _shown_keys(logs: Logs) -> list[str]:
    return [k for k in logs if not k.startswith("grad_norm") and k not in ("lr", "time")]


class EpochLogger(Callback):
    """verbose=2: one line per epoch on stderr (Keras's format).

    Parameters
    ----------
    stream : file, optional
        Where the lines go (default: stderr).

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> history = net.fit(X, y, epochs=1, verbose=2)  # doctest: +SKIP
    """

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        total = self.params.get("final_epoch")
        line = f"Epoch {epoch + 1}/{total} - {logs.get('time', 0.0):.2f}s - "
        print(line + _format_logs(logs, _shown_keys(logs)), file=self.stream or sys.stderr)


class ProgressBar(Callback):
    """verbose=1: a tqdm progress bar per epoch on stderr with running loss and ETA (in
    a notebook tqdm.auto's widget); at the epoch end it shows the epoch's loss, metrics
    and validation results.

    Parameters
    ----------
    stream : file, optional
        Where the bar is drawn (default: stderr).

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> history = net.fit(X, y, epochs=1, verbose=1)  # doctest: +SKIP
    """

    def __init__(self, stream: Any = None) -> None:
        from tqdm.auto import tqdm  # imported here: tqdm is only needed for verbose=1

        self._tqdm = tqdm
        self.stream = stream
        self.bar: Any = None  # the epoch's tqdm bar

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        total = self.params.get("final_epoch")
        self.bar = self._tqdm(
            total=self.params["steps"],
            desc=f"Epoch {epoch + 1}/{total}",
            unit="batch",
            file=self.stream or sys.stderr,
            leave=True,
            dynamic_ncols=True,
            mininterval=0.2,
        )

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        bar = self.bar
        if logs is not None:
            bar.postfix = f"loss={logs['loss']:.4g}"
        bar.update(1)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        self.bar.postfix = _format_logs(logs, _shown_keys(logs))
        self.bar.close()

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.bar is not None and not self.bar.disable:
            self.bar.close()
