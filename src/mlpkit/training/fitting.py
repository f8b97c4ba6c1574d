"""``Sequential.fit``: arguments checked, the step chosen, the epochs run."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from .. import losses as losses_mod
from .. import optimizers as optim
from .._validation import keyword_only
from ..callbacks.base import Callback, CallbackList, History
from ..callbacks.guards import TerminateOnNaN
from ..callbacks.progress import EpochLogger, ProgressBar, in_notebook
from .arguments import FitArguments, check_args, make_source, note, prepare
from .choose import STEPS, FitFacts, select
from .loop import Epochs, run

__all__ = ["fit"]

#: Keras's positional order of fit's arguments after x and y, for the hint a positional
#: call gets (``fit(x, y, 32, 10)`` means batch_size=32, epochs=10 there)
KERAS_ORDER = ("batch_size", "epochs", "verbose", "callbacks", "validation_split",
               "validation_data", "shuffle", "class_weight", "sample_weight")  # fmt: skip


@keyword_only(("x", "y"), KERAS_ORDER)
def fit(
    model: Any,
    x: Any,
    y: Any,
    *,
    loss: str | losses_mod.Loss | None = None,
    optimizer: str | optim.Optimizer | None = None,
    epochs: int = 1,
    batch_size: int | None = 32,
    shuffle: bool = True,
    validation_data: tuple[Any, ...] | None = None,
    validation_split: float = 0.0,
    callbacks: Sequence[Callback] | None = None,
    metrics: Sequence[str | Callable[..., float]] | None = None,
    class_weight: dict[Any, float] | str | None = None,
    sample_weight: Any = None,
    verbose: int | str = "auto",
    strategy: Any = None,
    step: str | None = None,
    shuffle_buffer: int | str | None = None,
) -> History:
    """Train the model on ``x`` and ``y`` and return the History of this call.

    Calling ``fit`` again resumes: the optimizer's state, the generator and the epoch
    count carry over, and ``fit(epochs=90)`` gives the same bits as ninety
    ``fit(epochs=1)``. Arguments after ``x`` and ``y`` are keyword-only.

    Parameters
    ----------
    model : Sequential
        The model (``self`` when called as ``model.fit(x, y)``).
    x : array of shape (N, n_features_in)
        Inputs: NumPy (float32 unless the model is float64), a PyTorch tensor, a CuPy
        or other array-API array (the model moves there), a NumPy memmap or a Dask
        array (read in blocks), or a SciPy sparse matrix.
    y : array of shape (N,) or (N, n_outputs)
        Targets: class labels (integers or strings) or one-hot rows for a softmax
        output, 0/1 for a sigmoid, numbers for a regression.
    loss : str or Loss, optional
        Default: the model's previous loss, else chosen by the output layer (softmax:
        ``cross_entropy``, sigmoid: ``binary_cross_entropy``, exp: ``poisson``,
        otherwise ``mse``).
    optimizer : str or Optimizer, optional
        Default: the model's previous optimizer with its state, else ``Adam(lr=0.001)``.
    epochs : int, default 1
        Passes over the data in this call.
    batch_size : int or None, default 32
        1 is stochastic gradient descent, None the full batch, n mini-batches of n.
    shuffle : bool, default True
        Reshuffle the rows every epoch (from the model's generator).
    validation_data : tuple, optional
        ``(x_val, y_val)`` or ``(x_val, y_val, w_val)``, evaluated after each epoch.
    validation_split : float, default 0.0
        Without ``validation_data``: this fraction of the rows, drawn at random once
        per call, is held out and evaluated after each epoch.
    callbacks : list of Callback, optional
        Called at the start and end of training, of each epoch and of each batch.
    metrics : list of str or callable, optional
        Names (``"accuracy"``, ``"precision"``, ``"recall"``, ``"f1"``, ``"mse"``,
        ``"mae"``, ``"r2"``) or functions ``fn(targets, outputs) -> float``. Training
        values come from the epoch's predictions as they were made (Keras's
        convention), validation values from the weights at the epoch's end.
    class_weight : dict or "balanced", optional
        ``{class: weight}``; the loss becomes (1/N) Σ_i w_i l_i with
        w_i = sample_weight_i · class_weight[y_i].
    sample_weight : array of shape (N,), optional
        A weight per row, in the same sum.
    verbose : int or "auto", default "auto"
        0 silent, 1 a progress bar, 2 one line per epoch (on stderr). "auto" is 1 on a
        terminal or in a notebook (a widget there) and 2 otherwise. A verbose fit says
        first which step it runs (with the timings at 2).
    strategy : DataParallel, optional
        ``mlpkit.distributed.DataParallel()`` trains in step across the processes of
        ``mpiexec -n P``; ``batch_size`` is then the global batch.
    step : str, optional
        Which training step runs: "auto" (the fastest of the exact ones on this
        machine; each gives the bits of the layer-by-layer code), "layers",
        "unrolled", "compiled", or "fused" (a small ReLU/softmax network's whole step
        compiled with Numba: faster, its sums in another order, not bit-identical).
        None: what the model was last asked for, else "auto".
        ``model.train_state.step`` names what ran.
    shuffle_buffer : int or str, optional
        A Dask ``x`` only: the bytes of rows held and mixed at a time (an int or a
        size such as ``"256MiB"``; default 64 MiB).

    Returns
    -------
    History
        The losses, metrics, learning rate, wall time and gradient norms of each
        epoch of this call (``model.history`` holds every call's).

    Raises
    ------
    ValueError
        A bad argument, shape, label or value in the data, named in one line.
    NonFiniteLossError
        A batch's loss was NaN or infinite (the default ``TerminateOnNaN``): training
        stops inside that batch, before its update, keeping the weights from before
        it; the message says what to try. ``TerminateOnNaN(raise_error=False)`` ends
        quietly instead.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.xor()
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 4, "tanh"), mlpkit.Dense(4, 2, "softmax")], seed=0)
    >>> history = net.fit(X, y, epochs=3, batch_size=None, verbose=0)
    >>> len(history.history["loss"])
    3
    """
    check_args(epochs, batch_size, verbose, validation_split)
    if step is not None and step not in STEPS:
        raise ValueError(f"step must be one of {', '.join(STEPS)}, got {step!r}")
    dist = strategy if strategy is not None and strategy.size > 1 else None
    if dist is not None and not dist.is_chief:
        verbose = 0  # rank 0 alone prints
    if verbose == "auto":
        verbose = 1 if sys.stderr.isatty() or in_notebook() else 2
    verbose = int(verbose)  # (check_args refused any other)
    if dist is not None:
        dist.start(model)  # rank 0's parameters, optimizer state and generator everywhere
    args = FitArguments(x, y, loss, optimizer, metrics, validation_data, validation_split,
                        class_weight, sample_weight, verbose, shuffle_buffer)  # fmt: skip
    # under MPI a data problem on any rank is raised, the same, on every rank
    prepared = (
        dist.agree(lambda: prepare(model, args, dist))
        if dist is not None
        else prepare(model, args, dist)
    )
    if prepared.source is not None:
        n = prepared.source.n
    else:
        n_here = prepared.x.shape[0]
        n = n_here if dist is None else dist.count_rows(n_here)  # the global rows
    bs = n if batch_size is None else min(int(batch_size), n)
    steps_per_epoch = math.ceil(n / bs)
    _check_batches(model, n, bs)
    user = list(callbacks or [])
    for c in user:
        if not isinstance(c, Callback):
            raise TypeError(f"callbacks must be mlpkit Callback instances, got {type(c).__name__}")
    state = model.train_state
    request = step if step is not None else state.step_request
    source = make_source(model, prepared, bs, shuffle)
    pack = state.packed(model)
    opt, head = prepared.optimizer, prepared.head
    facts = FitFacts(
        steps=steps_per_epoch * epochs,
        rows=max(1, min(bs, source.n)),
        weighted=prepared.w is not None or getattr(source, "w", None) is not None,
        train_metrics=bool(prepared.metric_objs),
        layers_read=any(c.reads_layers for c in user),
        distributed=dist is not None,
        labels=getattr(prepared.t, "ndim", 1) == 1,
    )
    plan = select(model, head, opt, pack, source, facts, request)

    history = History()
    guard = [] if any(isinstance(c, TerminateOnNaN) for c in user) else [TerminateOnNaN()]
    progress = _progress_callback(verbose)
    cbs = CallbackList([history, *guard, *user, *([progress] if progress else [])])
    start = state.epochs
    cbs.set_model(
        model,
        {"epochs": epochs, "steps": steps_per_epoch, "samples": n, "final_epoch": start + epochs,
         "batch_size": bs, "step": plan.step.name, "update": plan.update.name,
         "chief": dist is None or dist.is_chief},
    )  # fmt: skip
    # Everything is validated: only now does the model take on this call's settings.
    state.loss, state.optimizer, state.metrics = head.loss, opt, prepared.metric_names
    state.history, state.stop, state.halt = history, False, False
    state.strategy = strategy
    state.step_request = request
    state.step, state.update = plan.step.name, plan.update.name
    state.choice = {"how": plan.how, "seconds": dict(plan.seconds)}
    threads = f"; {dist.threads_note}" if dist is not None and dist.threads_note else ""
    note(plan.describe(timings=verbose == 2) + threads, verbose)

    # sharded data: each rank shuffles its own rows, from its own stream
    rng = dist.local_rng(model) if dist is not None and dist.sharded else model.rng
    epochs_run = Epochs(
        model, head, opt, prepared.metric_objs, source, bs,
        step=plan.step if dist is None else dist.reduced(plan.step, pack),
        update=plan.update, validation=prepared.validation,
        rng=rng if shuffle else None, dist=dist,
    )  # fmt: skip
    try:
        run(epochs_run, cbs, epochs)
    except BaseException as exc:
        if dist is not None:  # the others would wait in the next Allreduce: end them all
            dist.abort(exc)
        raise
    return history


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
            note("install tqdm (pip install 'mlpkit[progress]') for progress bars", 1)
            return EpochLogger()
    return None
