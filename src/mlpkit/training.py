"""Training: the state a model carries between ``fit`` calls, and the epoch loop.

One step on a batch (Xb, Tb) of n rows (the backpropagation handout's training steps):

    1. forward:   Z = the output layer's pre-activation for Xb (layers cache for backward)
    2. loss:      L = (1/n) Σ_i w_i l(f(z_i), t_i) + Σ_layers R(W)      (the output head)
    3. backward:  dL/dZ from the head, then through every layer
    4. update:    the optimizer steps every parameter

``batch_size=1`` is stochastic gradient descent, ``batch_size=None`` batch gradient
descent (the gradient averaged over all N, Chapter 1 of the notes), anything else mini-batch.
Everything optional (progress, early stopping, checkpoints, schedules, NaN guard,
monitors) is a callback. Besides the loop this file holds what it needs from the
user's arguments: the validation split, sample and class weights, and ``evaluate``.

The loop works on the model through its public methods only (``check_input``,
``head``, ``loss_and_gradients``, ``logits``, ``named_parameters`` ...), so it imports
no model class: ``network.Sequential`` calls into it.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _fused
from . import losses as losses_mod
from . import metrics as metrics_mod
from . import optimizers as optim
from ._backend import asarray, dtype_of, namespace_of, to_numpy
from .callbacks.base import Callback, CallbackList, History
from .callbacks.guards import TerminateOnNaN
from .callbacks.progress import EpochLogger, ProgressBar
from .sources import DaskRows, is_dask

__all__ = ["ParameterPack", "TrainingState", "evaluate", "fit"]


class ParameterPack:
    """Every parameter of a model laid end to end in one vector, and every gradient in
    another, so the optimizer can update the whole network in a few vectorised passes
    instead of a loop over arrays (for small networks most of a training step).

    The layers keep their arrays as views of the two vectors (``Layer.use_buffers``).
    ``layout`` lists (name, start, stop, shape) per parameter.

    Views of one buffer work the same on NumPy, PyTorch and CuPy (slices and reshapes of
    a contiguous vector share its memory), and on array-api-strict, which wraps NumPy.
    """

    def __init__(self, model: Any) -> None:
        named = model.named_parameters()
        total = sum(math.prod(p.shape) for p in named.values())
        xp, device = model.xp, model.device
        dtype = dtype_of(xp, model.dtype)
        if xp is np:
            self.params = np.empty(total, dtype=model.dtype)
            #: the gradients and one slot more, for the loss: what data-parallel training
            #: sums over its processes in a single Allreduce
            self.buffer = np.zeros(total + 1, dtype=model.dtype)
        else:
            self.params = xp.empty(total, dtype=dtype, device=device)
            self.buffer = xp.zeros(total + 1, dtype=dtype, device=device)
        self.grads = self.buffer[:total]
        self.layout: list[tuple[str, int, int, tuple[int, ...]]] = []
        self._views: list[Any] = []
        start = 0
        for i, layer in enumerate(model.layers):
            views_p, views_g = [], []
            for name in layer.param_names:
                shape = tuple(getattr(layer, name).shape)
                stop = start + math.prod(shape)
                views_p.append(_view(xp, self.params, start, stop, shape))
                views_g.append(_view(xp, self.grads, start, stop, shape))
                self.layout.append((f"layer{i}.{name}", start, stop, shape))
                start = stop
            layer.use_buffers(views_p, views_g)
            self._views += [*views_p, *views_g]

    def holds(self, model: Any) -> bool:
        """Whether ``model``'s parameters and gradients still live in this pack (a copy
        of the model, or a parameter array the user replaced, no longer does)."""
        if type(self.params) is not np.ndarray:
            held = {id(a) for a in (*model.parameters(), *model.gradients())}
            return held == {id(v) for v in self._views}
        return all(p.base is self.params for p in model.parameters()) and all(
            g.base is self.grads for g in model.gradients()
        )


def _view(xp: Any, vector: Any, start: int, stop: int, shape: tuple[int, ...]) -> Any:
    """vector[start:stop] seen as ``shape``, sharing its memory."""
    if xp is np:
        return vector[start:stop].reshape(shape)
    return xp.reshape(vector[start:stop], shape)


@dataclass
class TrainingState:
    """What a model keeps between ``fit`` calls so that training resumes where it
    stopped: the loss and optimizer (with its state), the metrics, the epoch and step
    counts, the last History, and the parameter pack. The random generator is the
    model's own (``model.rng``), shared with its layers."""

    loss: losses_mod.Loss | None = None
    optimizer: optim.Optimizer | None = None
    metrics: list[Any] = field(default_factory=list)
    history: History | None = None
    epochs: int = 0
    steps: int = 0
    stop: bool = False
    #: set by a callback during a batch (before its update) to end fit at once
    halt: bool = False
    pack: ParameterPack | None = None
    #: the DataParallel strategy of the last fit, if any (saving happens on rank 0 only)
    strategy: Any = None
    #: what of the last fit's step ran compiled (mlpkit._fused): "" nothing, "step" the
    #: whole step, else "elementwise" (the work around the products), "update" (Adam's
    #: update) or both joined by "+"
    compiled: str = ""

    def packed(self, model: Any) -> ParameterPack:
        """The model's parameter pack, made (or made again) when needed."""
        if self.pack is None or not self.pack.holds(model):
            self.pack = ParameterPack(model)
        return self.pack


def _note(message: str, verbose: int) -> None:
    if verbose:
        print(f"mlpkit: {message}", file=sys.stderr)


def _resolve_optimizer(model: Any, optimizer: Any, verbose: int) -> optim.Optimizer:
    if optimizer is not None:
        opt = optim.get(optimizer)
    elif model.optimizer is not None:
        opt = model.optimizer
    else:
        opt = optim.Adam()
        _note("no optimizer given; using Adam(lr=0.001)", verbose)
    opt.check_state(model.named_parameters())
    return opt


def _sample_weights(
    t: np.ndarray,
    loss: losses_mod.Loss,
    n_outputs: int,
    sample_weight: Any,
    class_weight: Any,
    dtype: np.dtype,
) -> np.ndarray | None:
    """w_i = sample_weight_i · class_weight[y_i]: (N,), or None for unweighted."""
    n = t.shape[0]
    w = losses_mod.as_sample_weights(sample_weight, n, dtype)
    if class_weight is None:
        return w
    if not (loss.takes_labels or isinstance(loss, losses_mod.BinaryCrossEntropy)):
        raise ValueError("class_weight needs a classification loss (cross-entropy)")
    labels = metrics_mod.labels_from_targets(t)
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


def _evaluate_prepared(
    model: Any,
    head: Any,
    x: np.ndarray,
    t: np.ndarray,
    w: np.ndarray | None,
    metric_objs: Sequence[metrics_mod.Metric],
    dist: Any = None,
) -> dict[str, float]:
    if isinstance(x, DaskRows):  # streamed validation data: read block by block
        z, t, w = x.evaluated(model)
    elif dist is None:
        z = model.logits(x)
    else:  # each rank its share of the rows, then all of them on every rank, in order
        if not dist.sharded:
            share = dist.validation_share(x.shape[0])
            x, t, w = x[share], t[share], None if w is None else w[share]
        z = model.logits(x) if x.shape[0] else np.empty((0, model.n_outputs), model.dtype)
        parts = dist.gather(z, t, *(() if w is None else (w,)))
        z, t, w = parts[0], parts[1], parts[2] if w is not None else None
    logs = {"loss": float(head.value(z, t, w) + model.penalty())}
    if metric_objs:
        outputs = head.outputs(z)
        if not isinstance(outputs, np.ndarray):  # metrics are computed on the host
            outputs, t = to_numpy(outputs), to_numpy(t)
        for m in metric_objs:
            logs[m.name] = m(outputs, t, head.activation.name)
    return logs


def evaluate(
    model: Any,
    x: np.ndarray,
    y: np.ndarray,
    loss: str | losses_mod.Loss | None = None,
    metrics: Sequence[str | Callable[..., float]] | None = None,
    batch_size: int | None = None,
    sample_weight: np.ndarray | None = None,
) -> dict[str, float]:
    """{"loss": L + penalty, metric: value, ...} on X (N, n_features_in) and y, dropout off.

    The loss defaults to the one the model was trained with (else the output layer's
    default), metrics to those given to the last fit.
    """
    head = model.head(loss)
    names = metrics if metrics is not None else model.metrics
    metric_objs = [metrics_mod.get(m) for m in names]
    if is_dask(x):  # read block by block
        source = _dask_rows(model, head, x, y, sample_weight, "X")
        return _evaluate_prepared(model, head, source, None, None, metric_objs)
    xa = model.check_input(x)
    t = head.prepare_targets(_host(y), model.n_outputs, model.dtype, xa.shape[0])
    w = losses_mod.as_sample_weights(_host(sample_weight), xa.shape[0], model.dtype)
    return _evaluate_prepared(model, head, xa, model.on_device(t), model.on_device(w), metric_objs)


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
    if verbose not in (0, 1, 2, "auto"):
        raise ValueError(
            "verbose must be 0 (silent), 1 (progress bar), 2 (one line per epoch) or 'auto' "
            f"(a bar on a terminal, else lines), got {verbose!r}"
        )
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split!r}")


def _mapped_file(x: Any) -> tuple[str, int] | None:
    """(path, bytes needed) when x is a NumPy memmap of a file, else None."""
    base = x
    while base is not None and not isinstance(base, np.memmap):
        base = getattr(base, "base", None)
    if base is None or getattr(base, "filename", None) is None:
        return None
    return base.filename, int(base.offset) + base.nbytes


def _check_mapped(path: str, needed: int) -> None:
    """A clear error, instead of a crash (SIGBUS), when a memmap's file was truncated."""
    size = os.stat(path).st_size
    if size < needed:
        raise ValueError(
            f"{path}: the file behind the memmap X has shrunk to {size} bytes while training "
            f"(the array needs {needed}); it was truncated or replaced"
        )


def _dask_rows(model: Any, head: Any, x: Any, y: Any, w: Any, what: str) -> DaskRows:
    def prepare(yb: Any, rows: int) -> np.ndarray:
        return head.prepare_targets(np.asarray(yb), model.n_outputs, model.dtype, rows)

    return DaskRows(x, y, w, model.n_features_in, model.dtype, prepare, what)


def _check_batches(model: Any, n: int, bs: int) -> None:
    """Refuse, before any step, batches a layer cannot train on (BatchNorm: one row)."""
    need = max(layer.min_training_batch for layer in model.layers)
    smallest = min(bs, n % bs or bs)
    if smallest < need:
        kind = next(type(ly).__name__ for ly in model.layers if ly.min_training_batch == need)
        raise ValueError(
            f"{kind} needs batches of at least {need} rows in training, but {n} rows in batches "
            f"of {bs} leave a batch of {smallest}; choose another batch_size (or drop a row)"
        )


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


def _validation(model: Any, head: Any, validation_data: Any) -> tuple[Any, ...]:
    if not isinstance(validation_data, tuple | list) or len(validation_data) not in (2, 3):
        raise ValueError("validation_data must be (X_val, y_val) or (X_val, y_val, sample_weight)")
    if is_dask(validation_data[0]):  # read block by block at each evaluation
        wv = validation_data[2] if len(validation_data) == 3 else None
        return _dask_rows(model, head, *validation_data[:2], wv, "X_val"), None, None
    xv = model.check_input(validation_data[0], "X_val")
    tv = head.prepare_targets(_host(validation_data[1]), model.n_outputs, model.dtype, xv.shape[0])
    wv = _host(validation_data[2]) if len(validation_data) == 3 else None
    wv = losses_mod.as_sample_weights(wv, xv.shape[0], model.dtype)
    return xv, model.on_device(tv), model.on_device(wv)


def _host(a: Any) -> Any:
    """Targets and weights are checked on the host: another library's array as NumPy."""
    return a if a is None or isinstance(a, np.ndarray) or namespace_of(a) is np else to_numpy(a)


def _rows(a: Any, index: Any) -> Any:
    """a[index] for an integer index array, in a's library."""
    xp = namespace_of(a)
    return a[index] if xp is np else xp.take(a, index, axis=0)  # (NumPy: SciPy sparse too)


def fit(
    model: Any,
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
    verbose: int | str = "auto",
    strategy: Any = None,
) -> History:
    """Train on X (N, n_features_in) and targets y; return the History.

    loss : name or Loss; default: the model's previous loss, else by output layer
        (softmax → cross_entropy, sigmoid → binary_cross_entropy, exp → poisson,
        otherwise mse).
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
    verbose : 0 silent, 1 progress bar, 2 one line per epoch (stderr); "auto" (default)
        is 1 when stderr is a terminal and 2 otherwise (logs get lines, not redrawn bars).
    strategy : ``mlpkit.distributed.DataParallel()`` to train in step across the processes
        of ``mpiexec -n P`` (``batch_size`` is then the global batch); see that module.
    """
    _check_args(epochs, batch_size, verbose, validation_split)
    dist = strategy if strategy is not None and strategy.size > 1 else None
    if dist is not None and not dist.is_chief:
        verbose = 0  # rank 0 alone prints
    if verbose == "auto":
        verbose = 1 if sys.stderr.isatty() else 2
    if dist is not None:
        dist.start(model)  # rank 0's parameters, optimizer state and generator everywhere

    def settings() -> tuple[Any, ...]:
        """This call's head, optimizer and metrics (the defaults announced)."""
        if loss is None and model.loss is None:
            _note(f"no loss given; using {model.head().loss.name} for a "
                  f"{model.output_activation} output layer", verbose)  # fmt: skip
        head = model.head(loss)
        opt = _resolve_optimizer(model, optimizer, verbose)
        metric_names = list(metrics) if metrics is not None else list(model.metrics)
        return head, opt, metric_names, [metrics_mod.get(m) for m in metric_names]

    def prepare() -> tuple[Any, ...]:
        if is_dask(x):
            if model.xp is not np:
                model.to("numpy")  # Dask blocks are NumPy arrays: the model follows them
            return _prepare_streamed()
        if dist is not None and namespace_of(x) is not np:
            raise ValueError(
                "data-parallel training (strategy=DataParallel()) exchanges NumPy buffers over "
                f"MPI; X is a {namespace_of(x).__name__} array: pass X as NumPy"
            )
        model.follow(x)  # the data's array library and device, as scikit-learn does
        xa = model.check_input(x)
        head, opt, metric_names, metric_objs = settings()
        n_out, dtype = model.n_outputs, model.dtype
        t = head.prepare_targets(_host(y), n_out, dtype, xa.shape[0])
        w = _sample_weights(t, head.loss, n_out, _host(sample_weight), class_weight, dtype)
        t, w = model.on_device(t), model.on_device(w)
        val = None
        if validation_data is not None:
            val = _validation(model, head, validation_data)
        elif validation_split > 0.0:
            n_val = int(xa.shape[0] * validation_split)
            if n_val < 1 or n_val >= xa.shape[0]:
                raise ValueError(
                    f"validation_split={validation_split} of {xa.shape[0]} rows leaves "
                    f"{n_val} for validation and {xa.shape[0] - n_val} for training; both need >= 1"
                )
            order = model.rng.permutation(xa.shape[0])
            vi, ti = np.sort(order[:n_val]), np.sort(order[n_val:])
            if model.xp is not np:
                vi, ti = model.on_device(vi), model.on_device(ti)
            val = (_rows(xa, vi), _rows(t, vi), None if w is None else _rows(w, vi))
            xa, t, w = _rows(xa, ti), _rows(t, ti), None if w is None else _rows(w, ti)
        return xa, head, opt, metric_names, metric_objs, t, w, val, None

    def _prepare_streamed() -> tuple[Any, ...]:
        """A Dask X: nothing is read yet; blocks are checked as they are read."""
        refused = [  # (given, what instead)
            (dist is not None, "strategy", "give each rank its rows as NumPy (sharded=True)"),
            (validation_split > 0.0, "validation_split", "pass validation_data=(X_val, y_val)"),
            (class_weight is not None, "class_weight", "pass per-row weights as sample_weight"),
        ]
        for given, name, instead in refused:
            if given:
                raise ValueError(f"{name} is not supported with a Dask X yet: {instead}")
        head, opt, metric_names, metric_objs = settings()
        source = _dask_rows(model, head, x, y, sample_weight, "X")
        val = None if validation_data is None else _validation(model, head, validation_data)
        return None, head, opt, metric_names, metric_objs, None, None, val, source

    # under MPI a data problem on any rank is raised, the same, on every rank
    prepared = dist.agree(prepare) if dist is not None else prepare()
    xa, head, opt, metric_names, metric_objs, t, w, val, source = prepared

    if source is not None:
        n = source.n
    else:
        n = xa.shape[0] if dist is None else dist.count_rows(xa.shape[0])  # the global rows
    bs = n if batch_size is None else min(int(batch_size), n)
    steps = math.ceil(n / bs)
    _check_batches(model, n, bs)
    history = History()
    user = list(callbacks or [])
    for c in user:
        if not isinstance(c, Callback):
            raise TypeError(f"callbacks must be mlpkit Callback instances, got {type(c).__name__}")
    guard = [] if any(isinstance(c, TerminateOnNaN) for c in user) else [TerminateOnNaN()]
    progress = _progress_callback(verbose)
    cbs = CallbackList([history, *guard, *user, *([progress] if progress else [])])
    state = model.train_state
    start = state.epochs
    cbs.set_model(
        model,
        {"epochs": epochs, "steps": steps, "samples": n, "final_epoch": start + epochs,
         "batch_size": bs},
    )  # fmt: skip
    # Everything is validated: only now does the model take on this call's settings.
    state.loss, state.optimizer, state.metrics = head.loss, opt, metric_names
    state.history, state.stop, state.halt = history, False, False
    state.strategy = strategy

    loop = _EpochLoop(model, head, opt, metric_objs, xa, t, w, bs, shuffle, dist, n, source)
    # ReLU networks through the unrolled step; its element-wise work and the update (or a
    # small network's whole step) compiled where Numba is installed and it pays
    layers_read = any(c.reads_layers for c in user)
    compiled = _fused.plan(model, head, opt, loop, steps * epochs, layers_read)
    loop.fused, loop.blas, loop.update = compiled
    state.compiled = compiled.name
    try:
        _run(model, cbs, loop, head, opt, val, metric_objs, epochs, dist)
    except BaseException as exc:
        if dist is not None:  # the others would wait in the next Allreduce: end them all
            dist.abort(exc)
        raise
    return history


def _run(model, cbs, loop, head, opt, val, metric_objs, epochs, dist):  # type: ignore[no-untyped-def]
    """The epochs of one fit call: train, validate, log, call back."""
    state = model.train_state
    start = state.epochs
    cbs.on_train_begin()
    # A diverging run overflows; TerminateOnNaN reports that once, clearly, instead of
    # a stream of NumPy overflow warnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        for epoch in range(start, start + epochs):
            cbs.on_epoch_begin(epoch)
            began = time.perf_counter()
            logs = loop.train_epoch(cbs) if dist is None else loop.train_epoch_distributed(cbs)
            if val is not None:
                vlogs = _evaluate_prepared(model, head, *val, metric_objs, dist)
                logs.update({f"val_{k}": v for k, v in vlogs.items()})
            logs["lr"] = opt.lr
            logs.update({f"grad_norm.layer{i}": v for i, v in model.gradient_norms().items()})
            logs["time"] = time.perf_counter() - began
            state.epochs += 1
            cbs.on_epoch_end(epoch, logs)
            if state.stop:
                break
    cbs.on_train_end()


#: X of up to this many bytes (a NumPy array in memory) is shuffled whole once an epoch
#: into a copy, its batches then views: one gather an epoch, not one a batch (~6k of a
#: tiny network's ~200k instructions a step); larger X is gathered batch by batch
SHUFFLE_WHOLE_BYTES = 4 << 20


class _EpochLoop:
    """The inner loop: one pass over the (shuffled) data in batches.

    Each epoch draws one permutation; every batch of X is gathered through it into one
    (batch_size, k) buffer allocated once, so X is copied one batch at a time (its rows
    are read once per epoch, as a whole shuffled copy would read them, but the batch is
    still in cache for the first matrix product, and memory stays bounded) — or, for a
    small X (``SHUFFLE_WHOLE_BYTES``), into one shuffled copy of X. Targets and weights,
    small, are shuffled whole so the epoch's predictions line up with them for the
    metrics.
    """

    def __init__(
        self,
        model,
        head,
        opt,
        metric_objs,
        x,
        t,
        w,
        batch_size,
        shuffle,
        dist,
        n_global,
        source=None,
    ):  # type: ignore[no-untyped-def]
        self.model, self.head, self.opt, self.metric_objs = model, head, opt, metric_objs
        self.source = source  # a sources.DaskRows: x, t, w are then None
        if source is not None:
            x = t = np.empty((0, model.n_features_in), model.dtype)
        self.x, self.t, self.w = x, t, w
        self.n = x.shape[0] if source is None else source.n  # this process's rows
        self.bs, self.shuffle = batch_size, shuffle
        self.dist, self.n_global = dist, n_global
        self.steps = math.ceil(n_global / batch_size)
        # sharded data: each rank shuffles its own rows, from its own stream
        self.rng = dist.local_rng(model) if dist is not None and dist.sharded else model.rng
        self.pack = model.train_state.packed(model)
        self.has_penalty = any(
            getattr(layer, "regularizer", None) or getattr(layer, "bias_regularizer", None)
            for layer in model.layers
        )
        self.order: np.ndarray | None = None
        #: another array library (PyTorch, CuPy, ...): batches are gathered on its device
        self.xp = model.xp if model.xp is not np else None
        rows = min(batch_size, self.n)
        dense = isinstance(x, np.ndarray)  # else SciPy sparse rows, gathered by indexing
        whole = shuffle and type(x) is np.ndarray and x.nbytes <= SHUFFLE_WHOLE_BYTES
        #: the epoch's shuffled copy of a small X, or the buffer a batch of X is gathered into
        self.shuffled = np.empty_like(x) if whole else None
        self.batch_buffer = (
            np.empty((rows, x.shape[1]), x.dtype) if shuffle and dense and not whole else None
        )
        if self.xp is None:
            self.ts = np.empty_like(t) if shuffle else t
            self.ws = (np.empty_like(w) if shuffle else w) if w is not None else None
            self.preds = np.empty((self.n, model.n_outputs), model.dtype) if metric_objs else None
        else:
            self.ts, self.ws = t, w
            self.preds = (
                self.xp.empty((self.n, model.n_outputs), dtype=x.dtype, device=model.device)
                if metric_objs
                else None
            )
        #: a streamed epoch's targets as they came (for the metrics), made at the first batch
        self.seen: np.ndarray | None = None
        #: _fused's pieces this fit takes: the compiled whole forward-backward pass, the
        #: unrolled step (compiled or NumPy's), the compiled update
        self.fused: _fused.FusedStep | None = None
        self.blas: _fused.BlasStep | None = None
        self.update: _fused.CompiledAdam | None = None

    def _reshuffle(self) -> None:
        if self.xp is not None:  # the order is drawn on the host and moved once an epoch
            xp = self.xp
            self.order = asarray(self.rng.permutation(self.n), xp, self.model.device)
            self.ts = xp.take(self.t, self.order, axis=0)
            self.ws = None if self.w is None else xp.take(self.w, self.order, axis=0)
            return
        self.order = order = self.rng.permutation(self.n)
        # mode="clip" (the indices are all valid) lets take write straight into the buffer
        np.take(self.t, order, axis=0, out=self.ts, mode="clip")
        if self.shuffled is not None:
            np.take(self.x, order, axis=0, out=self.shuffled, mode="clip")
        if self.w is not None:
            np.take(self.w, order, axis=0, out=self.ws, mode="clip")

    def _batch_x(self, lo: int, hi: int) -> np.ndarray:
        """Rows lo:hi of the epoch's order: gathered into the batch buffer, or a view."""
        if self.order is None:
            return self.x[lo:hi] if self.xp is None else self.x[lo:hi, ...]
        if self.xp is not None:
            return self.xp.take(self.x, self.order[lo:hi], axis=0)
        if self.shuffled is not None:
            return self.shuffled[lo:hi]
        if self.batch_buffer is None:  # sparse rows
            return self.x[self.order[lo:hi]]
        out = self.batch_buffer[: hi - lo]
        return self.x.take(self.order[lo:hi], axis=0, out=out, mode="clip")

    def _batches(self) -> Iterator[tuple[Any, ...]]:
        """The epoch's batches (X rows, targets, weights): gathered from the arrays in
        memory through the epoch's order, or streamed from a Dask source."""
        if self.source is not None:
            yield from self.source.batches(self.bs, self.rng if self.shuffle else None)
            return
        if self.shuffle:
            self._reshuffle()
        batch_x, ts, ws, bs, n = self._batch_x, self.ts, self.ws, self.bs, self.n
        if self.xp is not None:  # (the array API asks for the trailing ...)
            for lo in range(0, n, bs):
                hi = min(n, lo + bs)
                yield batch_x(lo, hi), ts[lo:hi, ...], None if ws is None else ws[lo:hi]
            return
        if self.shuffled is not None:  # views of the epoch's shuffled copy
            xs = self.shuffled
            for lo in range(0, n, bs):
                hi = lo + bs
                yield xs[lo:hi], ts[lo:hi], None if ws is None else ws[lo:hi]
            return
        mapped = _mapped_file(self.x)  # a memmap: its file is checked before each read
        for lo in range(0, n, bs):
            hi = min(n, lo + bs)
            if mapped is not None:
                _check_mapped(*mapped)
            yield batch_x(lo, hi), ts[lo:hi], None if ws is None else ws[lo:hi]

    def train_epoch(self, cbs: CallbackList) -> dict[str, float]:
        """Run every batch once; return the epoch's logs (mean loss, train metrics)."""
        model, head, n = self.model, self.head, self.n
        # Bind what the loop calls: for small networks the per-batch Python overhead is
        # most of the time, so hooks that nobody overrides are not called at all.
        step_through = (
            model.loss_and_gradients if self.blas is None else self.blas.loss_and_gradients
        )
        state = model.train_state
        step, pack, preds = self.update or self.opt.step_packed, self.pack, self.preds
        begin_hooks, loss_hooks, end_hooks = (
            cbs.hooks(h) for h in ("on_batch_begin", "on_batch_loss", "on_batch_end")
        )
        streamed = self.source is not None and preds is not None
        fused, has_penalty = self.fused, self.has_penalty
        total, hi = 0.0, 0
        for b, (xb, tb, wb) in enumerate(self._batches()):
            lo = hi
            hi = lo + xb.shape[0]
            for hook in begin_hooks:
                hook(b, None)
            if fused is not None:  # the same loss and gradients, compiled (see _fused)
                value = fused.loss_and_gradients(xb, tb)
            else:
                value, z, _ = step_through(xb, tb, head, wb)
            if has_penalty:
                value += model.penalty()
            for hook in loss_hooks:  # before the update: TerminateOnNaN keeps the weights
                hook(b, value)
            if state.halt:  # a hook ended training inside this batch, before its update
                state.stop = True
                total += value * (hi - lo)
                n = hi
                break
            step(pack)
            state.steps += 1
            total += value * (hi - lo)
            if preds is not None:  # the epoch's predictions, as made, for the metrics
                preds[lo:hi, ...] = head.outputs(z)
                if streamed:
                    if self.seen is None:
                        self.seen = np.empty((self.n, *tb.shape[1:]), tb.dtype)
                    self.seen[lo:hi] = tb
            for hook in end_hooks:
                hook(b, {"loss": float(total / hi), "size": hi - lo})
        logs = {"loss": float(total / n)}  # (on a device: the epoch's one read of the loss)
        targets = self.seen if streamed else self.ts
        if self.xp is not None and self.metric_objs:  # metrics are computed on the host
            preds, targets = to_numpy(preds), to_numpy(targets)
        for m in self.metric_objs:  # (a halted epoch's predictions are incomplete)
            logs[m.name] = math.nan if state.halt else m(preds, targets, head.activation.name)
        return logs

    def train_epoch_distributed(self, cbs: CallbackList) -> dict[str, float]:
        """``train_epoch`` in step with the other ranks (see mlpkit.distributed): this
        rank's share of every global batch, then one Allreduce of the gradient and loss
        scaled by its share, then the same step everywhere."""
        model, head, dist, bs, n = self.model, self.head, self.dist, self.bs, self.n_global
        state, pack, preds = model.train_state, self.pack, self.preds
        if self.shuffle:
            self._reshuffle()
        if preds is not None:
            preds[...] = 0.0  # rows of other ranks stay 0 until the sum at the end
        begin_hooks, loss_hooks, end_hooks = (
            cbs.hooks(h) for h in ("on_batch_begin", "on_batch_loss", "on_batch_end")
        )
        total = 0.0
        for b in range(self.steps):
            lo, hi = b * bs, min(n, (b + 1) * bs)
            shares = dist.shares(lo, hi, n, self.shuffle)
            rows = sum(stop - begin for begin, stop in shares)
            a, c = shares[dist.rank]
            for hook in begin_hooks:
                hook(b, None)
            if c > a:
                wb = None if self.ws is None else self.ws[a:c]
                value, z, _ = model.loss_and_gradients(self._batch_x(a, c), self.ts[a:c], head, wb)
                pack.grads *= (c - a) / rows
                pack.buffer[-1] = value * (c - a) / rows
                if preds is not None:
                    preds[a:c] = head.outputs(z)
            else:  # no rows of this batch here: add nothing (regularisation comes from the others)
                pack.buffer[...] = 0.0
            dist.reduce_(pack.buffer)
            value = float(pack.buffer[-1])
            if self.has_penalty:
                value += model.penalty()
            for hook in loss_hooks:
                hook(b, value)
            if state.halt:
                state.stop = True
                total += value * rows
                n = hi
                break
            (self.update or self.opt.step_packed)(pack)
            state.steps += 1
            total += value * rows
            for hook in end_hooks:
                hook(b, {"loss": total / hi, "size": rows})
        logs = {"loss": total / n}
        if self.metric_objs and not state.halt:
            if dist.sharded:
                preds, ts = dist.gather(preds, self.ts)
            else:
                dist.reduce_(preds)
                ts = self.ts
        for m in self.metric_objs:
            logs[m.name] = math.nan if state.halt else m(preds, ts, head.activation.name)
        return logs
