"""``fit``'s arguments checked and turned into what the loop needs: the head, the
optimizer, the metrics, the data as a batch source, the validation data, and the
sample and class weights. Nothing here trains."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from .. import losses as losses_mod
from .. import metrics as metrics_mod
from .. import optimizers as optim
from .._backend import namespace_of, to_numpy
from .sources import ArraySource, DaskSource, DeviceSource, Source, is_dask

__all__ = ["Prepared", "check_args", "dask_source", "host", "note", "prepare", "sample_weights"]


def note(message: str, verbose: int) -> None:
    """One line on stderr when ``verbose``."""
    if verbose:
        print(f"mlpkit: {message}", file=sys.stderr)


def _integer(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | np.integer)


def check_args(epochs: Any, batch_size: Any, verbose: Any, validation_split: Any) -> None:
    """A TypeError for a value of the wrong type, a ValueError for one out of range."""
    if not _integer(epochs):
        raise TypeError(f"epochs must be an integer >= 0, got {epochs!r}")
    if epochs < 0:
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}")
    if batch_size is not None and not _integer(batch_size):
        raise TypeError(
            f"batch_size must be a positive integer or None (full batch), got {batch_size!r}"
        )
    if batch_size is not None and batch_size < 1:
        raise ValueError(
            f"batch_size must be a positive integer or None (full batch), got {batch_size!r}"
        )
    if verbose not in (0, 1, 2, "auto"):
        raise ValueError(
            "verbose must be 0 (silent), 1 (progress bar), 2 (one line per epoch) or 'auto' "
            f"(a bar on a terminal, else lines), got {verbose!r}"
        )
    if isinstance(validation_split, bool) or not isinstance(validation_split, int | float):
        raise TypeError(f"validation_split must be a number in [0, 1), got {validation_split!r}")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split!r}")


def resolve_optimizer(model: Any, optimizer: Any, verbose: int) -> optim.Optimizer:
    if optimizer is not None:
        opt = optim.get(optimizer)
    elif model.optimizer is not None:
        opt = model.optimizer
    else:
        opt = optim.Adam()
        note("no optimizer given; using Adam(lr=0.001)", verbose)
    opt.check_state(model.named_parameters())
    return opt


def sample_weights(
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
        if not isinstance(class_weight, Mapping):
            raise TypeError(
                f"class_weight must be a dict or 'balanced', got {type(class_weight).__name__}"
            )
        table = np.ones(n_classes)
        for label, weight in class_weight.items():
            k = int(label)
            if not 0 <= k < n_classes:
                raise ValueError(f"class_weight has class {label!r} outside 0..{n_classes - 1}")
            table[k] = float(weight)
    cw = table[labels].astype(dtype)
    return cast("np.ndarray | None", cw if w is None else w * cw)


def host(a: Any) -> Any:
    """Targets and weights are checked on the host: another library's array as NumPy."""
    return a if a is None or isinstance(a, np.ndarray) or namespace_of(a) is np else to_numpy(a)


def _rows(a: Any, index: Any) -> Any:
    """a[index] for an integer index array, in a's library."""
    xp = namespace_of(a)
    return a[index] if xp is np else xp.take(a, index, axis=0)  # (NumPy: SciPy sparse too)


def dask_source(model: Any, head: Any, x: Any, y: Any, w: Any, what: str,
                shuffle_buffer: Any = None) -> DaskSource:  # fmt: skip
    """A Dask X and its targets as a streamed source of the model's dtype."""

    def prepare(yb: Any, rows: int) -> np.ndarray:
        return cast(
            "np.ndarray", head.prepare_targets(np.asarray(yb), model.n_outputs, model.dtype, rows)
        )

    return DaskSource(x, y, w, model.n_features_in, model.dtype, prepare, what, shuffle_buffer)


def validation(model: Any, head: Any, validation_data: Any) -> tuple[Any, ...]:
    if not isinstance(validation_data, tuple | list) or len(validation_data) not in (2, 3):
        raise ValueError("validation_data must be (X_val, y_val) or (X_val, y_val, sample_weight)")
    if is_dask(validation_data[0]):  # read block by block at each evaluation
        wv = validation_data[2] if len(validation_data) == 3 else None
        xv, yv = validation_data[0], validation_data[1]
        return dask_source(model, head, xv, yv, wv, "X_val"), None, None
    xv = model.check_input(validation_data[0], "X_val")
    tv = head.prepare_targets(host(validation_data[1]), model.n_outputs, model.dtype, xv.shape[0])
    wv = host(validation_data[2]) if len(validation_data) == 3 else None
    wv = losses_mod.as_sample_weights(wv, xv.shape[0], model.dtype)
    return xv, model.on_device(tv), model.on_device(wv)


@dataclass
class Prepared:
    """A fit's data and settings, checked: what ``prepare`` returns."""

    head: Any
    optimizer: optim.Optimizer
    metric_names: list[Any]
    metric_objs: list[metrics_mod.Metric]
    #: the training rows: x, targets, weights (None for a streamed source), and their source
    x: Any
    t: Any
    w: Any
    #: (X_val, t_val, w_val) or None
    validation: tuple[Any, ...] | None
    #: where the batches come from (made by ``make_source``); a Dask X: already here
    source: Source | None = None


@dataclass
class FitArguments:
    """``fit``'s own arguments, as given."""

    x: Any
    y: Any
    loss: Any
    optimizer: Any
    metrics: Sequence[Any] | None
    validation_data: Any
    validation_split: float
    class_weight: Any
    sample_weight: Any
    verbose: int
    shuffle_buffer: Any = None


def prepare(model: Any, args: FitArguments, dist: Any) -> Prepared:
    """Check everything and bring the data to the model (its array library, dtype and
    the loss's target form). Under MPI, ``fit`` runs this on every rank in agreement."""
    if is_dask(args.x):
        if model.xp is not np:
            model.to("numpy")  # Dask blocks are NumPy arrays: the model follows them
        return _prepare_streamed(model, args, dist)
    if args.shuffle_buffer is not None:
        raise ValueError("shuffle_buffer sizes a Dask X's stream; an array in memory is "
                         "shuffled whole: leave it out")  # fmt: skip
    if dist is not None and namespace_of(args.x) is not np:
        raise ValueError(
            "data-parallel training (strategy=DataParallel()) exchanges NumPy buffers over "
            f"MPI; X is a {namespace_of(args.x).__name__} array: pass X as NumPy"
        )
    model.follow(args.x)  # the data's array library and device, as scikit-learn does
    xa = model.check_input(args.x)
    head, opt, metric_names, metric_objs = _settings(model, args)
    n_out, dtype = model.n_outputs, model.dtype
    t = head.prepare_targets(host(args.y), n_out, dtype, xa.shape[0])
    w = sample_weights(t, head.loss, n_out, host(args.sample_weight), args.class_weight, dtype)
    t, w = model.on_device(t), model.on_device(w)
    val = None
    if args.validation_data is not None:
        val = validation(model, head, args.validation_data)
    elif args.validation_split > 0.0:
        n_val = int(xa.shape[0] * args.validation_split)
        if n_val < 1 or n_val >= xa.shape[0]:
            raise ValueError(
                f"validation_split={args.validation_split} of {xa.shape[0]} rows leaves "
                f"{n_val} for validation and {xa.shape[0] - n_val} for training; both need >= 1"
            )
        order = model.rng.permutation(xa.shape[0])
        vi, ti = np.sort(order[:n_val]), np.sort(order[n_val:])
        if model.xp is not np:
            vi, ti = model.on_device(vi), model.on_device(ti)
        val = (_rows(xa, vi), _rows(t, vi), None if w is None else _rows(w, vi))
        xa, t, w = _rows(xa, ti), _rows(t, ti), None if w is None else _rows(w, ti)
    return Prepared(head, opt, metric_names, metric_objs, xa, t, w, val)


def _settings(model: Any, args: FitArguments) -> tuple[Any, ...]:
    """This call's head, optimizer and metrics (the defaults announced)."""
    if args.loss is None and model.loss is None:
        note(f"no loss given; using {model.head().loss.name} for a "
             f"{model.output_activation} output layer", args.verbose)  # fmt: skip
    head = model.head(args.loss)
    opt = resolve_optimizer(model, args.optimizer, args.verbose)
    metric_names = list(args.metrics) if args.metrics is not None else list(model.metrics)
    return head, opt, metric_names, [metrics_mod.get(m) for m in metric_names]


def _prepare_streamed(model: Any, args: FitArguments, dist: Any) -> Prepared:
    """A Dask X: nothing is read yet; blocks are checked as they are read."""
    refused = [  # (given, what instead)
        (dist is not None, "strategy", "give each rank its rows as NumPy (sharded=True)"),
        (args.validation_split > 0.0, "validation_split", "pass validation_data=(X_val, y_val)"),
        (args.class_weight is not None, "class_weight", "pass per-row weights as sample_weight"),
    ]
    for given, name, instead in refused:
        if given:
            raise ValueError(f"{name} is not supported with a Dask X yet: {instead}")
    head, opt, metric_names, metric_objs = _settings(model, args)
    source = dask_source(model, head, args.x, args.y, args.sample_weight, "X", args.shuffle_buffer)
    val = None if args.validation_data is None else validation(model, head, args.validation_data)
    return Prepared(head, opt, metric_names, metric_objs, None, None, None, val, source)


def make_source(model: Any, prepared: Prepared, batch_size: int, shuffle: bool) -> Source:
    """The batch source of in-memory (or device) data."""
    if prepared.source is not None:
        return prepared.source
    if model.xp is not np:
        return DeviceSource(prepared.x, prepared.t, prepared.w, shuffle, model.device)
    return ArraySource(prepared.x, prepared.t, prepared.w, batch_size, shuffle)
