"""Training logs where users look: a CSV file an epoch a row (Keras's ``CSVLogger``)
and TensorBoard event files (Keras's ``TensorBoard`` layout). Both write on rank 0
only under MPI."""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import Any

from .._files import check_target
from .._validation import optional
from .base import Callback, Logs

__all__ = ["CSVLogger", "TensorBoard"]


class CSVLogger(Callback):
    """One row an epoch in ``filename``: ``epoch`` (counted from 0, as Keras writes it)
    and every value of the epoch's logs, in sorted order of their names, as the first
    epoch has them (a value missing later is written ``NA``). Each row is written and
    flushed at its epoch's end, so a stopped run leaves its whole rows.

    Parameters
    ----------
    filename : the CSV file.
    separator : between the cells (default ",").
    append : add to an existing file (its header kept) instead of starting it afresh.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> history = net.fit(X, y, epochs=2, callbacks=[mlpkit.CSVLogger("log.csv")], verbose=0)
    >>> open("log.csv").readline().split(",")[:2]
    ['epoch', 'grad_norm.layer0']
    """

    def __init__(self, filename: str | os.PathLike[str], separator: str = ",",
                 append: bool = False) -> None:  # fmt: skip
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"separator must be one character, got {separator!r}")
        self.filename, self.separator, self.append = Path(filename), separator, bool(append)
        self.keys: list[str] | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        if not self.chief:
            return
        check_target(self.filename, "CSVLogger file")
        self.keys = None
        if self.append and self.filename.is_file() and self.filename.stat().st_size:
            with open(self.filename, newline="", encoding="utf-8") as f:
                header = next(csv.reader(f, delimiter=self.separator), [])
            self.keys = header[1:] if header[:1] == ["epoch"] else None
        elif not self.append:
            self.filename.write_text("", encoding="utf-8")

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if not self.chief:
            return
        logs = logs or {}
        rows: list[list[Any]] = []
        if self.keys is None:
            self.keys = sorted(logs)
            rows.append(["epoch", *self.keys])
        rows.append([epoch, *(_cell(logs.get(k)) for k in self.keys)])
        with open(self.filename, "a", newline="", encoding="utf-8") as f:
            csv.writer(f, delimiter=self.separator, lineterminator="\n").writerows(rows)


def _cell(value: Any) -> Any:
    if value is None:
        return "NA"
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # nan, inf
    return value


class TensorBoard(Callback):
    """Scalars an epoch — the loss, each metric and the learning rate — as TensorBoard
    event files, laid out as Keras's: ``log_dir/train`` and ``log_dir/validation``,
    tagged ``epoch_loss``, ``epoch_accuracy``, ... (a ``val_`` value goes to
    ``validation`` under its name without the prefix), and every ``histogram_freq``
    epochs each layer's parameters as histograms (``layer0/W``, ...). ``tensorboard
    --logdir log_dir`` shows them. Needs the ``tensorboard`` extra (tensorboardX).

    Parameters
    ----------
    log_dir : the folder of the runs.
    histogram_freq : every how many epochs the weights are written (0: never).

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> history = net.fit(X, y, epochs=1, callbacks=[mlpkit.TensorBoard("runs")], verbose=0)  # doctest: +SKIP
    """

    def __init__(self, log_dir: str | os.PathLike[str] = "logs", histogram_freq: int = 0) -> None:
        if (
            isinstance(histogram_freq, bool)
            or not isinstance(histogram_freq, int)
            or histogram_freq < 0
        ):
            raise ValueError(f"histogram_freq must be a whole number >= 0, got {histogram_freq!r}")
        optional("tensorboardX", "the TensorBoard callback", "tensorboard")
        self.log_dir, self.histogram_freq = Path(log_dir), histogram_freq
        self.writers: dict[str, Any] = {}

    def _writer(self, run: str) -> Any:
        if run not in self.writers:
            writer_cls = optional(
                "tensorboardX", "the TensorBoard callback", "tensorboard"
            ).SummaryWriter
            self.writers[run] = writer_cls(logdir=str(self.log_dir / run))
        return self.writers[run]

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        if not self.chief:
            return
        for key, value in (logs or {}).items():
            if key == "time" or key.startswith("grad_norm") or not isinstance(value, int | float):
                continue
            run = "validation" if key.startswith("val_") else "train"
            name = "learning_rate" if key == "lr" else key.removeprefix("val_")
            self._writer(run).add_scalar(f"epoch_{name}", float(value), epoch)
        if self.histogram_freq and (epoch + 1) % self.histogram_freq == 0:
            from .._backend import to_numpy

            writer = self._writer("train")
            for i, layer in enumerate(self.model.layers):
                for name, array in zip(layer.param_names, layer.parameters(), strict=True):
                    writer.add_histogram(f"layer{i}/{name}", to_numpy(array), epoch)
        for writer in self.writers.values():
            writer.flush()

    def on_train_end(self, logs: Logs | None = None) -> None:
        for writer in self.writers.values():
            writer.close()
        self.writers = {}
