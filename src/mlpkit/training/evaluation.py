"""The loss and metrics of a model on data, dropout off: ``model.evaluate`` and each
epoch's validation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import losses as losses_mod
from .. import metrics as metrics_mod
from .._backend import to_numpy
from .arguments import dask_source, host
from .sources import DaskSource, is_dask

__all__ = ["evaluate", "evaluate_prepared"]


def evaluate_prepared(
    model: Any,
    head: Any,
    x: Any,
    t: Any,
    w: Any,
    metric_objs: Sequence[metrics_mod.Metric],
    dist: Any = None,
    batch_size: int | None = None,
) -> dict[str, float]:
    """{"loss": L + penalty, metric: value, ...} of X and the prepared targets t and
    weights w; under ``dist`` each rank computes its share of the rows, then all of them
    are gathered on every rank, in order."""
    if isinstance(x, DaskSource):  # streamed validation data: read block by block
        z, t, w = x.evaluated(model)
    elif dist is None:
        z = model.logits(x, batch_size)
    else:
        if not dist.sharded:
            share = dist.validation_share(x.shape[0])
            x, t, w = x[share], t[share], None if w is None else w[share]
        z = (
            model.logits(x, batch_size)
            if x.shape[0]
            else np.empty((0, model.n_outputs), model.dtype)
        )
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
    x: Any,
    y: Any,
    *,
    loss: str | losses_mod.Loss | None = None,
    metrics: Sequence[str | Callable[..., float]] | None = None,
    batch_size: int | None = None,
    sample_weight: Any = None,
) -> dict[str, float]:
    """The loss (with the penalty) and metrics of the model on ``x`` and ``y``, dropout off.

    Parameters
    ----------
    model : Sequential
        The model (``self`` when called as ``model.evaluate(x, y)``).
    x : array of shape (N, n_features_in)
        Inputs, of any kind ``fit`` takes.
    y : array
        Targets, as ``fit`` takes them.
    loss : str or Loss, optional
        Defaults to the loss the model was trained with, else the output layer's default.
    metrics : list of str or callable, optional
        Defaults to those given to the last ``fit``.
    batch_size : int, optional
        Rows computed at a time (default 4096, as ``predict``): bounds memory, not the
        result.
    sample_weight : array of shape (N,), optional
        Weights of the rows in the loss and the metrics.

    Returns
    -------
    dict of str to float
        ``{"loss": L + penalty, metric: value, ...}``.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> history = net.fit(X, y, epochs=5, verbose=0)
    >>> sorted(net.evaluate(X, y, metrics=["accuracy"]))
    ['accuracy', 'loss']
    """
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer)
    ):
        raise TypeError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    if batch_size is not None and batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer or None, got {batch_size!r}")
    head = model.head(loss)
    names = metrics if metrics is not None else model.metrics
    metric_objs = [metrics_mod.get(m) for m in names]
    if is_dask(x):  # read block by block
        source = dask_source(model, head, x, y, sample_weight, "X")
        return evaluate_prepared(model, head, source, None, None, metric_objs)
    xa = model.check_input(x)
    t = head.prepare_targets(host(y), model.n_outputs, model.dtype, xa.shape[0])
    w = losses_mod.as_sample_weights(host(sample_weight), xa.shape[0], model.dtype)
    return evaluate_prepared(
        model, head, xa, model.on_device(t), model.on_device(w), metric_objs, batch_size=batch_size
    )
