"""The one epoch loop: every fit — one process or many, in memory or streamed, on any
array library — runs its batches through here.

One step on a batch (Xb, Tb) of n rows (the backpropagation handout's training steps):

    1. forward:   Z = the output layer's pre-activation for Xb (layers cache for backward)
    2. loss:      L = (1/n) Σ_i w_i l(f(z_i), t_i) + Σ_layers R(W)      (the output head)
    3. backward:  dL/dZ from the head, then through every layer
    4. update:    the optimizer steps every parameter

Steps 1–3 are the plan's *step*, 4 its *update* (``steps.py``). Data-parallel training
(``mlpkit.distributed``) wraps the batches (each rank its share of every global batch)
and the step (one Allreduce of the gradient); the loop is the same.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._backend import to_numpy
from ..callbacks.base import CallbackList
from .evaluation import evaluate_prepared

__all__ = ["Epochs", "run"]


@dataclass
class Epochs:
    """What the epochs of one fit run with."""

    model: Any
    head: Any
    optimizer: Any
    metric_objs: list[Any]
    source: Any
    batch_size: int
    #: the plan's step and update, wrapped for data-parallel training where it applies
    step: Any
    update: Any
    validation: tuple[Any, Any, Any] | None  # (X, prepared targets, weights)
    #: the shuffling generator (the model's, or under sharded MPI a per-rank stream)
    rng: np.random.Generator | None
    #: a DataParallel strategy of more than one process, else None
    dist: Any = None


def run(e: Epochs, cbs: CallbackList, epochs: int) -> None:
    """The epochs of one fit call: train, validate, log, call back."""
    model = e.model
    state = model.train_state
    start = state.epochs
    preds = None
    if e.metric_objs:  # the epoch's predictions, as made, for the train metrics
        n = e.source.n
        xp = model.xp
        preds = (
            np.empty((n, model.n_outputs), model.dtype)
            if xp is np
            else xp.empty((n, model.n_outputs), dtype=e.source.x.dtype, device=model.device)
        )
        e.source.record = True  # (a streamed source keeps the epoch's targets)
    has_penalty = any(
        getattr(layer, "regularizer", None) or getattr(layer, "bias_regularizer", None)
        for layer in model.layers
    )
    cbs.on_train_begin()
    # A diverging run overflows; TerminateOnNaN reports that once, clearly, instead of
    # a stream of NumPy overflow warnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(start, start + epochs):
            cbs.on_epoch_begin(epoch)
            began = time.perf_counter()
            logs = _epoch(e, cbs, preds, has_penalty)
            if e.validation is not None:
                xv, tv, wv = e.validation
                vlogs = evaluate_prepared(model, e.head, xv, tv, wv, e.metric_objs, e.dist)
                logs.update({f"val_{k}": v for k, v in vlogs.items()})
            logs["lr"] = e.optimizer.lr
            logs.update({f"grad_norm.layer{i}": v for i, v in model.gradient_norms().items()})
            logs["time"] = time.perf_counter() - began
            state.epochs += 1
            cbs.on_epoch_end(epoch, logs)
            if state.stop:
                break
    cbs.on_train_end()


def _epoch(e: Epochs, cbs: CallbackList, preds: Any, has_penalty: bool) -> dict[str, float]:
    """Run every batch once; return the epoch's logs (mean loss, train metrics)."""
    model, head, source = e.model, e.head, e.source
    state = model.train_state
    # Bind what the loop calls: for small networks the per-batch Python overhead is
    # most of the time, so hooks that nobody overrides are not called at all.
    step, pack = e.step, state.pack
    step_packed, kernel = e.update.opt.step_packed, e.update.kernel  # (update(pack), unwrapped)
    begin_hooks, loss_hooks, end_hooks = (
        cbs.hooks(h) for h in ("on_batch_begin", "on_batch_loss", "on_batch_end")
    )
    source.begin_epoch(e.rng)
    batches = (
        source.batches(e.batch_size) if e.dist is None else e.dist.batches(source, e.batch_size)
    )
    if preds is not None and e.dist is not None:
        preds[...] = 0.0  # rows of other ranks stay 0 until the sum at the end
    total, seen = 0.0, 0
    for b, (xb, tb, wb, lo, size) in enumerate(batches):
        for hook in begin_hooks:
            hook(b, None)
        value, z = step(xb, tb, wb)
        if has_penalty:
            value += model.penalty()
        for hook in loss_hooks:  # before the update: TerminateOnNaN keeps the weights
            hook(b, value)
        total += value * size
        seen += size
        if state.halt:  # a hook ended training inside this batch, before its update
            state.stop = True
            break
        step_packed(pack, kernel)
        state.steps += 1
        if preds is not None and z is not None:
            preds[lo : lo + xb.shape[0], ...] = head.outputs(z)
        for hook in end_hooks:
            hook(b, {"loss": float(total / seen), "size": size})
    logs = {"loss": float(total / seen) if seen else math.nan}  # (on a device: one read)
    if not e.metric_objs:
        return logs
    if state.halt:  # a halted epoch's predictions are incomplete
        return logs | {m.name: math.nan for m in e.metric_objs}
    targets = source.targets
    if e.dist is not None:
        preds, targets = e.dist.epoch_outputs(preds, targets)
    if model.xp is not np:  # metrics are computed on the host
        preds, targets = to_numpy(preds), to_numpy(targets)
    for m in e.metric_objs:
        logs[m.name] = m(preds, targets, head.activation.name)
    return logs
