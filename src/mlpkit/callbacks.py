"""Callbacks: the training loop stays small and calls these hooks.

Order of calls in ``fit``::

    on_train_begin
      for each epoch:  on_epoch_begin
        for each batch:  on_batch_begin → forward/backward → on_batch_loss → update → on_batch_end
      on_epoch_end     (logs: loss, metrics, val_*, lr, time, grad_norm.*)
    on_train_end

A callback sees the model as ``self.model`` and may set ``self.model.stop_training``.
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .layers import ActivationLayer, Dense

if TYPE_CHECKING:
    from .network import Sequential

__all__ = [
    "Callback",
    "CallbackList",
    "CosineDecay",
    "EarlyStopping",
    "EpochLogger",
    "ExponentialDecay",
    "GradientMonitor",
    "GradientWarning",
    "History",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "NonFiniteLossError",
    "ProgressBar",
    "ReduceLROnPlateau",
    "StepDecay",
    "TerminateOnNaN",
]

Logs = dict[str, Any]


class NonFiniteLossError(FloatingPointError):
    """Training produced a NaN or infinite loss (raised by TerminateOnNaN)."""


class GradientWarning(UserWarning):
    """Gradients are vanishing or exploding (issued by GradientMonitor)."""


class Callback:
    """Base class with empty hooks; override the ones you need."""

    model: Sequential
    params: dict[str, Any]

    def set_model(self, model: Sequential, params: dict[str, Any]) -> None:
        self.model, self.params = model, params

    def on_train_begin(self, logs: Logs | None = None) -> None: ...
    def on_train_end(self, logs: Logs | None = None) -> None: ...
    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None: ...
    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None: ...
    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None: ...
    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None: ...

    def on_batch_loss(self, batch: int, loss: float) -> None:
        """After forward/backward, before the optimizer step (weights still unchanged)."""


def _overrides(cb: Callback, hook: str) -> bool:
    return getattr(type(cb), hook) is not getattr(Callback, hook)


class CallbackList:
    """Dispatches each hook to the callbacks that define it (no-op hooks are skipped)."""

    def __init__(self, callbacks: Sequence[Callback]) -> None:
        self.callbacks = list(callbacks)
        hooks = ("on_batch_begin", "on_batch_end", "on_batch_loss")
        self._batch = {
            h: [getattr(c, h) for c in self.callbacks if _overrides(c, h)] for h in hooks
        }
        self.wants_batch_logs = bool(self._batch["on_batch_end"])

    def hooks(self, name: str) -> list[Callable[..., None]]:
        """The bound per-batch hooks named ``name`` that some callback overrides."""
        return self._batch[name]

    def set_model(self, model: Sequential, params: dict[str, Any]) -> None:
        for c in self.callbacks:
            c.set_model(model, params)

    def on_train_begin(self, logs: Logs | None = None) -> None:
        for c in self.callbacks:
            c.on_train_begin(logs)

    def on_train_end(self, logs: Logs | None = None) -> None:
        for c in self.callbacks:
            c.on_train_end(logs)

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        for c in self.callbacks:
            c.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        for c in self.callbacks:
            c.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch: int, logs: Logs | None = None) -> None:
        for hook in self._batch["on_batch_begin"]:
            hook(batch, logs)

    def on_batch_end(self, batch: int, logs: Logs | None = None) -> None:
        for hook in self._batch["on_batch_end"]:
            hook(batch, logs)

    def on_batch_loss(self, batch: int, loss: float) -> None:
        for hook in self._batch["on_batch_loss"]:
            hook(batch, loss)


class History(Callback):
    """Per-epoch record: ``history.history["loss"]``, ``["val_loss"]``, metrics, ``["lr"]``,
    ``["time"]`` (seconds), ``["grad_norm.layerK"]`` (L2 norm of layer K's gradient at
    the epoch's last batch). ``history.epoch`` holds the epoch indices."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"


class TerminateOnNaN(Callback):
    """Stop at the first non-finite loss, inside that batch and before its update, so
    the weights are those from before it. Raises NonFiniteLossError naming the epoch
    and batch. ``fit`` adds one unless you pass your own."""

    def on_epoch_begin(self, epoch: int, logs: Logs | None = None) -> None:
        self._epoch = epoch

    def on_batch_loss(self, batch: int, loss: float) -> None:
        if not math.isfinite(loss):
            lr = self.model.optimizer.lr if self.model.optimizer is not None else float("nan")
            raise NonFiniteLossError(
                f"loss became {loss} at epoch {self._epoch}, batch {batch}; training stopped "
                f"and the weights from before that batch are kept. Lower the learning rate "
                f"(now {lr:g}), scale the inputs, or clip gradients (e.g. clip_norm=1.0)."
            )


def _monitor_mode(monitor: str, mode: str) -> str:
    if mode in ("min", "max"):
        return mode
    if mode != "auto":
        raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
    bare = monitor.removeprefix("val_")
    return "max" if bare in ("accuracy", "acc", "precision", "recall", "f1", "r2") else "min"


def _read_monitor(logs: Logs | None, monitor: str, who: str) -> float:
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


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs; with ``restore_best_weights`` put back the weights of the best epoch."""

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 0,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        self.monitor, self.patience, self.min_delta = monitor, int(patience), abs(float(min_delta))
        self.mode = _monitor_mode(monitor, mode)
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = int(start_from_epoch)
        self.stopped_epoch: int | None = None
        self.best_epoch: int | None = None

    def on_train_begin(self, logs: Logs | None = None) -> None:
        self.wait, self.best, self.best_weights = 0, None, None
        self.stopped_epoch = self.best_epoch = None
        self._seen = 0

    def _improved(self, value: float) -> bool:
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        value = _read_monitor(logs, self.monitor, "EarlyStopping")
        self._seen += 1
        if self._seen <= self.start_from_epoch:
            return
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            return
        self.wait += 1
        if self.wait > self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs: Logs | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Save the model after each epoch (or only when ``monitor`` improves, with
    ``save_best_only``). Writes are atomic: a temporary file beside the target, fsync,
    then rename, so the file on disk is always a complete model. ``path`` may contain
    ``{epoch}`` and any log key, e.g. ``"ckpt-{epoch:03d}-{val_loss:.3f}.mlpk"``."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        monitor: str = "val_loss",
        save_best_only: bool = False,
        mode: str = "auto",
    ) -> None:
        self.path = str(path)
        self.monitor, self.save_best_only = monitor, save_best_only
        self.mode = _monitor_mode(monitor, mode)
        self.best: float | None = None
        self.saved: list[str] = []

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        from .io import save

        if self.save_best_only:
            value = _read_monitor(logs, self.monitor, "ModelCheckpoint")
            better = self.best is None or (
                value < self.best if self.mode == "min" else value > self.best
            )
            if not better:
                return
            self.best = value
        target = self.path.format(epoch=epoch, **(logs or {}))
        save(self.model, target)
        self.saved.append(target)


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch start to ``schedule(epoch, lr)`` (Keras style)."""

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
    """lr = base · gamma^⌊epoch / step_size⌋ (PyTorch's StepLR)."""

    def __init__(self, step_size: int, gamma: float = 0.1) -> None:
        if step_size < 1:
            raise ValueError("step_size must be >= 1")
        self.step_size, self.gamma = int(step_size), float(gamma)

    def factor(self, epoch: int) -> float:
        return self.gamma ** (epoch // self.step_size)


class ExponentialDecay(_FactorSchedule):
    """lr = base · gamma^epoch (PyTorch's ExponentialLR)."""

    def __init__(self, gamma: float) -> None:
        self.gamma = float(gamma)

    def factor(self, epoch: int) -> float:
        return self.gamma**epoch


class CosineDecay(_FactorSchedule):
    """Linear warm-up from base/warmup_epochs to base over ``warmup_epochs``, then
    cosine annealing to ``min_lr`` at ``total_epochs`` (constant after)."""

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


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for
    ``patience`` epochs, then wait ``cooldown`` epochs; never below ``min_lr``."""

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        mode: str = "auto",
    ) -> None:
        if not 0.0 < factor < 1.0:
            raise ValueError(f"factor must be in (0, 1), got {factor}")
        self.monitor, self.factor, self.patience = monitor, float(factor), int(patience)
        self.min_delta, self.cooldown, self.min_lr = float(min_delta), int(cooldown), float(min_lr)
        self.mode = _monitor_mode(monitor, mode)
        self.best: float | None = None
        self.wait = self.cooldown_left = 0

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        value = _read_monitor(logs, self.monitor, "ReduceLROnPlateau")
        better = self.best is None or (
            value < self.best - self.min_delta
            if self.mode == "min"
            else value > self.best + self.min_delta
        )
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.wait = 0
        if better:
            self.best, self.wait = value, 0
        elif self.cooldown_left == 0:
            self.wait += 1
            if self.wait >= self.patience:
                opt = self.model.optimizer
                opt.lr = max(self.min_lr, opt.lr * self.factor)
                self.cooldown_left, self.wait = self.cooldown, 0


class GradientMonitor(Callback):
    """Watch gradient health every ``every`` batches and warn once when it goes wrong.

    Records, per Dense layer: the gradient's L2 norm, the fraction of dead ReLU units
    (output 0 for every sample of the batch) and the fraction of saturated sigmoid/tanh
    outputs (derivative below 1% of its maximum). Warns (GradientWarning) once when the
    smallest layer norm is below ``vanishing_ratio`` times the largest (vanishing, the
    concern of seed 000 and seed 004's deep sigmoid nets) or any norm exceeds
    ``exploding_norm``. ``self.records`` is a list of dicts, one per check.
    """

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
        norms, dead, saturated = {}, {}, {}
        for i, layer in enumerate(self.model.layers):
            if isinstance(layer, Dense):
                norms[i] = math.sqrt(sum(float(np.vdot(g, g)) for g in layer.gradients()))
            if isinstance(layer, Dense | ActivationLayer) and layer._a is not None:
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
        if not norms:
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


def _format_logs(logs: Logs, keys: Sequence[str]) -> str:
    return " - ".join(f"{k}: {logs[k]:.4g}" for k in keys if k in logs)


def _shown_keys(logs: Logs) -> list[str]:
    return [k for k in logs if not k.startswith("grad_norm") and k not in ("lr", "time")]


class EpochLogger(Callback):
    """verbose=2: one line per epoch on stderr (Keras's format)."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream

    def on_epoch_end(self, epoch: int, logs: Logs | None = None) -> None:
        logs = logs or {}
        total = self.params.get("final_epoch")
        line = f"Epoch {epoch + 1}/{total} - {logs.get('time', 0.0):.2f}s - "
        print(line + _format_logs(logs, _shown_keys(logs)), file=self.stream or sys.stderr)


class ProgressBar(Callback):
    """verbose=1: a tqdm progress bar per epoch on stderr with running loss and ETA;
    at the epoch end it shows the epoch's loss, metrics and validation results."""

    def __init__(self, stream: Any = None) -> None:
        from tqdm.auto import tqdm  # imported here: tqdm is only needed for verbose=1

        self._tqdm = tqdm
        self.stream = stream
        self.bar = None

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
