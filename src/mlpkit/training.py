"""The training loop: batching, shuffling, validation, history — and nothing else.
Everything optional (progress, early stopping, checkpoints, schedules, NaN guard,
monitors) is a callback.

One step on a batch (Xb, Tb) of n rows (seed 004's training steps):

    1. forward:   Ŷ = model(Xb)                 (layers cache what backward needs)
    2. loss:      L = (1/n) Σ_i w_i l(ŷ_i, t_i) + Σ_layers R(W)
    3. backward:  dL/dŶ (or dL/dZ for the fused softmax/sigmoid heads) through every layer
    4. update:    optimizer.step(parameters, gradients)

``batch_size=1`` is stochastic gradient descent, ``batch_size=None`` batch gradient
descent (the gradient averaged over all N, seed 001), anything else mini-batch.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import losses as losses_mod
from . import metrics as metrics_mod
from . import optimizers as optim
from .callbacks import (
    Callback,
    CallbackList,
    EpochLogger,
    History,
    ProgressBar,
    TerminateOnNaN,
)
from .layers import Dense
from .network import PREDICT_BATCH

if TYPE_CHECKING:
    from .network import Sequential

__all__ = ["default_loss", "evaluate", "fit"]

default_loss = losses_mod.default_for


def _note(message: str, verbose: int) -> None:
    if verbose:
        print(f"mlpkit: {message}", file=sys.stderr)


def _resolve_loss(model: Sequential, loss: Any, verbose: int) -> losses_mod.Loss:
    if loss is not None:
        return losses_mod.get(loss)
    if model.loss is not None:
        return model.loss
    name = default_loss(model.output_activation)
    _note(f"no loss given; using {name} for a {model.output_activation} output layer", verbose)
    return losses_mod.get(name)


def _resolve_optimizer(model: Sequential, optimizer: Any, verbose: int) -> optim.Optimizer:
    if optimizer is not None:
        opt = optim.get(optimizer)
    elif model.optimizer is not None:
        opt = model.optimizer
    else:
        opt = optim.Adam()
        _note("no optimizer given; using Adam(lr=0.001)", verbose)
    opt.check_state([model.flat_buffers()[0]])
    return opt


def _class_labels(t: np.ndarray) -> np.ndarray:
    return metrics_mod.labels_from_targets(t)


def _sample_weights(
    t: np.ndarray,
    loss: losses_mod.Loss,
    n_outputs: int,
    sample_weight: Any,
    class_weight: Any,
    dtype: np.dtype,
) -> np.ndarray | None:
    n = t.shape[0]
    w = losses_mod._as_weights(sample_weight, n, dtype)
    if class_weight is None:
        return w
    if not (loss.takes_labels or isinstance(loss, losses_mod.BinaryCrossEntropy)):
        raise ValueError("class_weight needs a classification loss (cross-entropy)")
    labels = _class_labels(t)
    n_classes = max(n_outputs, 2)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight must be a dict or 'balanced', got {class_weight!r}")
        counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
        present = counts > 0
        table = np.zeros(n_classes)
        table[present] = n / (present.sum() * counts[present])
    else:
        table = np.ones(n_classes)
        for label, weight in dict(class_weight).items():
            k = int(label)
            if not 0 <= k < n_classes:
                raise ValueError(f"class_weight has class {label!r} outside 0..{n_classes - 1}")
            table[k] = float(weight)
    cw = table[labels].astype(dtype)
    return cw if w is None else w * cw


def _outputs_and_logits(model: Sequential, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outputs and the output layer's pre-activation, in bounded chunks, no caching."""
    last = model.layers[-1]
    outs, logits = [], []
    for start in range(0, x.shape[0], PREDICT_BATCH):
        h = x[start : start + PREDICT_BATCH]
        for layer in model.layers[:-1]:
            h = layer.call(h)
        z = last._affine(h) if isinstance(last, Dense) else h
        act = getattr(last, "activation", None)
        outs.append(act.forward(z) if act is not None else last.call(z))
        logits.append(z)
    if len(outs) == 1:
        return outs[0], logits[0]
    return np.concatenate(outs), np.concatenate(logits)


def _evaluate_prepared(
    model: Sequential,
    x: np.ndarray,
    t: np.ndarray,
    w: np.ndarray | None,
    loss: losses_mod.Loss,
    metric_objs: Sequence[metrics_mod.Metric],
) -> dict[str, float]:
    outputs, logits = _outputs_and_logits(model, x)
    fused = losses_mod.fused_logits_loss(model.output_activation, loss)
    value = fused._value(logits, t, w) if fused else loss._value(outputs, t, w)
    logs = {"loss": value + model.penalty()}
    for m in metric_objs:
        logs[m.name] = m(outputs, t, model.output_activation)
    return logs


def evaluate(
    model: Sequential,
    x: np.ndarray,
    y: np.ndarray,
    loss: str | losses_mod.Loss | None = None,
    metrics: Sequence[str | Callable[..., float]] | None = None,
    batch_size: int | None = None,
    sample_weight: np.ndarray | None = None,
) -> dict[str, float]:
    """{"loss": L + penalty, metric: value, ...} on (X, y) with dropout off.

    The loss defaults to the one the model was trained with, metrics to those given to
    the last fit.
    """
    xa = model._check_x(x)
    loss_obj = (
        losses_mod.get(loss)
        if loss is not None
        else model.loss or losses_mod.get(default_loss(model.output_activation))
    )
    t = loss_obj.prepare_targets(y, model.n_outputs, model.dtype, n_samples=xa.shape[0])
    w = losses_mod._as_weights(sample_weight, xa.shape[0], model.dtype)
    names = metrics if metrics is not None else getattr(model, "metrics", None) or []
    return _evaluate_prepared(model, xa, t, w, loss_obj, [metrics_mod.get(m) for m in names])


def _check_args(epochs: Any, batch_size: Any, verbose: Any, validation_split: Any) -> None:
    if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer) or epochs < 0:
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}")
    if batch_size is not None and (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, int | np.integer)
        or batch_size < 1
    ):
        raise ValueError(
            f"batch_size must be a positive integer or None (full batch), got {batch_size!r}"
        )
    if verbose not in (0, 1, 2):
        raise ValueError(
            f"verbose must be 0 (silent), 1 (progress bar) or 2 (one line per epoch), got {verbose!r}"
        )
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split!r}")


def _progress_callback(verbose: int) -> Callback | None:
    if verbose == 2:
        return EpochLogger()
    if verbose == 1:
        try:
            return ProgressBar()
        except ImportError:
            _note("install tqdm (pip install 'mlpkit[progress]') for progress bars", 1)
            return EpochLogger()
    return None


def fit(
    model: Sequential,
    x: np.ndarray,
    y: np.ndarray,
    loss: str | losses_mod.Loss | None = None,
    optimizer: str | optim.Optimizer | None = None,
    epochs: int = 1,
    batch_size: int | None = 32,
    shuffle: bool = True,
    validation_data: tuple[np.ndarray, ...] | None = None,
    validation_split: float = 0.0,
    callbacks: Sequence[Callback] | None = None,
    metrics: Sequence[str | Callable[..., float]] | None = None,
    class_weight: dict[Any, float] | str | None = None,
    sample_weight: np.ndarray | None = None,
    verbose: int = 1,
) -> History:
    """Train ``model`` on X (N, n_features_in) and y; return the History.

    loss : name or Loss; default: the model's previous loss, else by output layer
        (softmax → cross_entropy, sigmoid → binary_cross_entropy, otherwise mse).
    optimizer : name or Optimizer; default: the model's previous optimizer (with its
        state, so training resumes), else Adam(lr=0.001).
    epochs : passes over the data in this call. batch_size : 1 stochastic, None full batch.
    shuffle : reshuffle the rows every epoch (from the model's generator).
    validation_data : (X_val, y_val) or (X_val, y_val, w_val), evaluated each epoch;
        validation_split : else this fraction of rows, drawn at random once per call.
    metrics : names ("accuracy", "precision", "recall", "f1", "mse", "mae", "r2") or
        callables fn(targets, outputs); train values are computed on the epoch's
        predictions as they were made (Keras's convention), validation on the end weights.
    class_weight : {class: weight} or "balanced"; sample_weight : (N,). The loss becomes
        (1/n) Σ_i w_i l_i, w_i = sample_weight_i · class_weight[y_i].
    verbose : 0 silent, 1 progress bar, 2 one line per epoch (stderr).
    """
    _check_args(epochs, batch_size, verbose, validation_split)
    xa = model._check_x(x)
    loss_obj = _resolve_loss(model, loss, verbose)
    opt = _resolve_optimizer(model, optimizer, verbose)
    metric_names = (
        list(metrics) if metrics is not None else list(getattr(model, "metrics", None) or [])
    )
    metric_objs = [metrics_mod.get(m) for m in metric_names]
    n_out, dtype = model.n_outputs, model.dtype
    t = loss_obj.prepare_targets(y, n_out, dtype, n_samples=xa.shape[0])
    w = _sample_weights(t, loss_obj, n_out, sample_weight, class_weight, dtype)

    val = None
    if validation_data is not None:
        if not isinstance(validation_data, tuple | list) or len(validation_data) not in (2, 3):
            raise ValueError(
                "validation_data must be (X_val, y_val) or (X_val, y_val, sample_weight)"
            )
        xv = model._check_x(validation_data[0], "X_val")
        tv = loss_obj.prepare_targets(validation_data[1], n_out, dtype, n_samples=xv.shape[0])
        wv = losses_mod._as_weights(
            validation_data[2] if len(validation_data) == 3 else None, xv.shape[0], dtype
        )
        val = (xv, tv, wv)
    elif validation_split > 0.0:
        n_val = int(xa.shape[0] * validation_split)
        if n_val < 1 or n_val >= xa.shape[0]:
            raise ValueError(
                f"validation_split={validation_split} of {xa.shape[0]} rows leaves "
                f"{n_val} for validation and {xa.shape[0] - n_val} for training; both need >= 1"
            )
        order = model.rng.permutation(xa.shape[0])
        vi, ti = np.sort(order[:n_val]), np.sort(order[n_val:])
        val = (xa[vi], t[vi], None if w is None else w[vi])
        xa, t, w = xa[ti], t[ti], None if w is None else w[ti]

    n = xa.shape[0]
    bs = n if batch_size is None else min(int(batch_size), n)
    steps = math.ceil(n / bs)
    history = History()
    user = list(callbacks or [])
    for c in user:
        if not isinstance(c, Callback):
            raise TypeError(f"callbacks must be mlpkit Callback instances, got {type(c).__name__}")
    guard = [] if any(isinstance(c, TerminateOnNaN) for c in user) else [TerminateOnNaN()]
    progress = _progress_callback(verbose)
    cbs = CallbackList([history, *guard, *user, *([progress] if progress else [])])
    start = model.epochs_trained
    cbs.set_model(
        model,
        {
            "epochs": epochs,
            "steps": steps,
            "samples": n,
            "final_epoch": start + epochs,
            "batch_size": bs,
        },
    )
    # Everything is validated: only now does the model take on this call's settings.
    model.loss, model.optimizer, model.metrics = loss_obj, opt, metric_names
    model.history = history
    model.stop_training = False

    loop = _EpochLoop(model, loss_obj, opt, metric_objs, xa, t, w, bs, shuffle)
    cbs.on_train_begin()
    # A diverging run overflows; TerminateOnNaN reports that once, clearly, instead of
    # a stream of NumPy overflow warnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(start, start + epochs):
            cbs.on_epoch_begin(epoch)
            began = time.perf_counter()
            logs = loop.train_epoch(cbs)
            if val is not None:
                vlogs = _evaluate_prepared(model, *val, loss_obj, metric_objs)
                logs.update({f"val_{k}": v for k, v in vlogs.items()})
            logs["lr"] = opt.lr
            logs.update(loop.gradient_norms())
            logs["time"] = time.perf_counter() - began
            model.epochs_trained += 1
            cbs.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
    cbs.on_train_end()
    return history


class _EpochLoop:
    """The inner loop: one pass over the (shuffled) data in batches.

    Each epoch draws one permutation; every batch of X is gathered through it into one
    (batch_size, k) buffer allocated once, so beyond that one batch the data set is
    never copied (its rows are read once per epoch, as a whole shuffled copy would read
    them, but the batch is still in cache for the first matrix product). Targets and
    weights, small, are shuffled whole so the epoch's predictions line up with them for
    the metrics.
    """

    def __init__(self, model, loss, opt, metric_objs, x, t, w, batch_size, shuffle):  # type: ignore[no-untyped-def]
        self.model, self.loss, self.opt, self.metric_objs = model, loss, opt, metric_objs
        self.fused = losses_mod.fused_logits_loss(model.output_activation, loss)
        self.output_activation = getattr(model.layers[-1], "activation", None)
        self.x, self.t, self.w = x, t, w
        self.n, self.bs, self.shuffle = x.shape[0], batch_size, shuffle
        self.steps = math.ceil(self.n / batch_size)
        flat_params, flat_grads = model.flat_buffers()
        self.params, self.grads = [flat_params], [flat_grads]  # one update for the whole network
        self.has_penalty = any(
            getattr(layer, "regularizer", None) or getattr(layer, "bias_regularizer", None)
            for layer in model.layers
        )
        self.order: np.ndarray | None = None
        rows = min(batch_size, self.n)
        self.batch_buffer = np.empty((rows, x.shape[1]), x.dtype) if shuffle else None
        self.ts = np.empty_like(t) if shuffle else t
        self.ws = (np.empty_like(w) if shuffle else w) if w is not None else None
        self.preds = np.empty((self.n, model.n_outputs), model.dtype) if metric_objs else None

    def _reshuffle(self) -> None:
        self.order = order = self.model.rng.permutation(self.n)
        # mode="clip" (the indices are all valid) lets take write straight into the buffer
        np.take(self.t, order, axis=0, out=self.ts, mode="clip")
        if self.w is not None:
            np.take(self.w, order, axis=0, out=self.ws, mode="clip")

    def _batch_x(self, lo: int, hi: int) -> np.ndarray:
        """Rows lo:hi of the epoch's order: gathered into the batch buffer, or a view."""
        if self.order is None or self.batch_buffer is None:
            return self.x[lo:hi]
        out = self.batch_buffer[: hi - lo]
        return self.x.take(self.order[lo:hi], axis=0, out=out, mode="clip")

    def train_epoch(self, cbs: CallbackList) -> dict[str, float]:
        """Run every batch once; return the epoch's logs (mean loss, train metrics)."""
        model, fused, bs, n = self.model, self.fused, self.bs, self.n
        if self.shuffle:
            self._reshuffle()
        # Bind what the loop calls: for small networks the per-batch Python overhead is
        # most of the time, so hooks that nobody overrides are not called at all.
        step_through, step = model._loss_and_backward, self.opt.step
        params, grads, preds = self.params, self.grads, self.preds
        begin_hooks, loss_hooks, end_hooks = (
            cbs.hooks(h) for h in ("on_batch_begin", "on_batch_loss", "on_batch_end")
        )
        batch_x, ts, ws = self._batch_x, self.ts, self.ws
        total = 0.0
        for b in range(self.steps):
            lo = b * bs
            hi = min(n, lo + bs)
            tb = ts[lo:hi]
            wb = None if ws is None else ws[lo:hi]
            for hook in begin_hooks:
                hook(b, None)
            value, out, _ = step_through(batch_x(lo, hi), tb, self.loss, fused, wb)
            if fused is not None and preds is not None:  # out holds logits: metrics need ŷ
                out = self.output_activation.forward(out)
            if self.has_penalty:
                value += model.penalty()
            for hook in loss_hooks:  # before the update: TerminateOnNaN keeps the weights
                hook(b, value)
            step(params, grads)
            model.steps_trained += 1
            total += value * (hi - lo)
            if preds is not None:
                preds[lo:hi] = out
            for hook in end_hooks:
                hook(b, {"loss": total / hi, "size": hi - lo})
        logs = {"loss": total / n}
        for m in self.metric_objs:
            logs[m.name] = m(preds, ts, model.output_activation)
        return logs

    def gradient_norms(self) -> dict[str, float]:
        """L2 norm of each Dense layer's gradient at the epoch's last batch."""
        return {
            f"grad_norm.layer{i}": math.sqrt(sum(float(np.vdot(g, g)) for g in layer.gradients()))
            for i, layer in enumerate(self.model.layers)
            if isinstance(layer, Dense)
        }
