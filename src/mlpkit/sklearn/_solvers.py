"""The estimators' two ways to fit: the stochastic solvers (adam, sgd) through
``Sequential.fit``, and L-BFGS (SciPy's) over the network's packed parameters, each
evaluation one exact training step (``mlpkit.training``'s choice of step, and under MPI
the same all-reduce of the packed gradient as data-parallel fit)."""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from .._backend import namespace_of
from ..callbacks import TerminateOnNaN
from ..training.choose import FitFacts, select_step
from ..training.sources import ArraySource
from ._schedule import SklearnSchedule
from ._util import seed, take

__all__ = ["fit_lbfgs", "fit_stochastic"]


def fit_stochastic(est: Any, x: Any, t: np.ndarray, sw: Any, loss: Any, incremental: bool) -> None:
    """adam or sgd: epochs of ``Sequential.fit`` under scikit-learn's schedule (its
    tolerance, n_iter_no_change, adaptive and invscaling learning rates, early stopping
    on a held-out, stratified share)."""
    net = est.network_
    if not incremental or net.optimizer is None:
        net.optimizer = est._make_optimizer()
        net.loss = loss
    validation = None
    fit_x, fit_t, fit_w = x, t, sw
    if est.early_stopping:
        on_host = namespace_of(x) is np
        parts = train_test_split(
            x if on_host else np.arange(x.shape[0]),  # (the same split, by row numbers)
            t,
            *(() if sw is None else (sw,)),
            random_state=seed(est.random_state),
            test_size=est.validation_fraction,
            stratify=est._stratify(t),
        )
        fit_x, val_x, fit_t, val_t = parts[:4]
        if not on_host:
            fit_x, val_x = take(x, fit_x), take(x, val_x)
        fit_w = parts[4] if sw is not None else None
        if val_x.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size "
                "of your dataset."
            )
        validation = (val_x, val_t)
    n = fit_x.shape[0]
    if est.batch_size == "auto":
        batch = min(200, n)
    else:
        if est.batch_size > n:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than sample size. It is going to be clipped",
                stacklevel=4,
            )
        batch = int(np.clip(est.batch_size, 1, n))
    mean_w = 1.0
    if fit_w is not None:
        total = float(fit_w.sum())
        if total <= 0:
            raise ValueError("sample_weight sums to zero: nothing to learn from")
        mean_w = total / n
        fit_w = fit_w / mean_w  # a weighted average, as scikit-learn's loss is
    est._set_alpha(batch * mean_w)
    est._stopped_early = False
    schedule = SklearnSchedule(est, n, validation)
    # a diverging fit ends at the first non-finite loss, weights from before it; with
    # early stopping the best epoch's weights come back, else fit says so (below)
    guard = TerminateOnNaN(raise_error=False)
    est._best_weights = None
    est.n_iter_ = 0  # scikit-learn counts the epochs of this call
    history = net.fit(
        fit_x,
        fit_t,
        epochs=1 if incremental else est.max_iter,
        batch_size=batch,
        shuffle=est.shuffle,
        sample_weight=fit_w,
        validation_data=validation,
        callbacks=[guard, schedule, *(est.callbacks or [])],
        verbose=0,
        strategy=est.strategy,
    )
    est.history_ = history
    if est.early_stopping and est._best_weights is not None:
        net.restore(est._best_weights)
    if guard.diverged is not None and not est.early_stopping:
        raise ValueError(
            "Solver produced non-finite parameter weights. The input data may contain large "
            f"values and need to be preprocessed (the loss became non-finite in epoch "
            f"{guard.diverged[0] + 1})."
        )
    if guard.diverged is not None:
        return
    if not incremental and not est._stopped_early and est.n_iter_ >= est.max_iter:
        warnings.warn(
            f"Stochastic Optimizer: Maximum iterations ({est.max_iter}) reached and the "
            "optimization hasn't converged yet.",
            ConvergenceWarning,
            stacklevel=4,
        )


def fit_lbfgs(est: Any, x: Any, t: np.ndarray, sw: Any, loss: Any) -> None:
    """SciPy's L-BFGS-B on the packed parameters (float64 copies of them): each
    evaluation writes θ into the pack, runs one training step (the loss and the packed
    gradient), adds the penalty. Under ``est.strategy`` (MPI) each rank evaluates its
    share of the rows and the step's gradient and loss are all-reduced, as in fit."""
    from scipy.optimize import minimize

    net = est.network_
    total = float(sw.sum()) if sw is not None else float(x.shape[0])
    w = None if sw is None else (sw / (total / x.shape[0])).astype(x.dtype)
    est._set_alpha(total)
    head = net.head(loss)
    prepared = head.prepare_targets(t, net.n_outputs, net.dtype, x.shape[0])
    dist = est.strategy if est.strategy is not None and est.strategy.size > 1 else None
    rows = x.shape[0]
    if dist is not None:  # each rank evaluates its share; loss and gradient all-reduced
        dist.start(net)
        share = dist.validation_share(x.shape[0])
        x, prepared, w = x[share], prepared[share], None if w is None else w[share]
    pack = net.train_state.packed(net)
    source = ArraySource(x, prepared, w, max(1, x.shape[0]), shuffle=False)
    facts = FitFacts(steps=est.max_fun, rows=max(1, x.shape[0]), weighted=w is not None,
                     distributed=dist is not None)  # fmt: skip
    step = select_step(net, head, pack, source, facts)
    if dist is not None:
        step = dist.reduced(step, pack)
        dist.global_rows = rows

    def value_and_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
        pack.params[...] = theta
        value, _ = step(x, prepared, w)
        return value + net.penalty(), pack.grads.astype(np.float64)

    iterations = itertools.count(1)

    def report(intermediate_result: Any) -> None:  # SciPy passes the running result
        print(f"Iteration {next(iterations)}, loss = {intermediate_result.fun:.8f}")

    theta0 = pack.params.astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        result = minimize(
            value_and_grad,
            theta0,
            method="L-BFGS-B",
            jac=True,
            callback=report if est.verbose else None,
            options={"maxfun": est.max_fun, "maxiter": est.max_iter, "gtol": est.tol},
        )
    value_and_grad(result.x)
    est.n_iter_ = int(result.nit)
    est.loss_ = float(result.fun)
    est.history_ = None
    net.train_state.step = getattr(step, "name", "layers")
    if not result.success:
        warnings.warn(
            f"lbfgs failed to converge after {est.n_iter_} iteration(s): {result.message} "
            "Increase max_iter (or max_fun), or scale the data.",
            ConvergenceWarning,
            stacklevel=4,
        )
