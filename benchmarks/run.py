"""Training throughput of mlpkit against its peers, measured together in one run.

For each workload the same network (ReLU hidden layers, softmax output, cross-entropy)
is trained with Adam (lr 1e-3) at the same batch size, in float32, by

* mlpkit (``Sequential.fit``),
* PyTorch on the CPU, when it is installed (never a dependency of mlpkit),
* scikit-learn's MLPClassifier (one ``partial_fit`` per epoch, alpha=0, float32 input),

and the "GEMM floor" — the same epoch's matrix products alone (forward X·W, backward
Xᵀ·dZ and dZ·Wᵀ with the same shapes, into preallocated outputs) — is timed in the same
process: no training loop can beat it on this machine.

mlpkit runs three ways, all with its default settings: one ``fit`` of all the epochs
(its epochs' times from the History), a loop of ``fit(epochs=1)`` (as a user who
evaluates or plots between epochs trains; scikit-learn's ``partial_fit`` and the
playground train so too), and that loop without Numba (``fast_paths(numba=False)``: what
a user without the ``fast`` extra gets). Every fit chooses its step by measuring on this
machine (``mlpkit.fast_paths``); each gives the same bits, and the report names what
each took.

Reported per workload: seconds per epoch (median of several epochs after a warm-up
one; the contenders take turns epoch by epoch, so a slow spell of a shared machine hits
all of them), rows per second, the time ratios mlpkit / peer, and floor / mlpkit (the
share of the epoch that is matrix multiplication). One epoch of the update mlpkit's fit
chose, alone, is timed in the same turns, which splits mlpkit's epoch into products,
update and the rest. Plus: mlpkit's
scikit-learn MLPClassifier against scikit-learn's on the digits (same parameters: time
ratio and accuracy), the latency of a single-row ``predict``, ``import mlpkit`` time,
and the peak memory of an MNIST-sized epoch against the data's own size.

    python benchmarks/run.py                 # everything (a few minutes)
    python benchmarks/run.py --quick         # fewer epochs, smaller MNIST stand-in
    python benchmarks/run.py --markdown out.md
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import gc
import itertools
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import mlpkit
from mlpkit import Dense


@dataclass
class Workload:
    name: str
    n: int
    sizes: list[int]
    batch: int
    #: also time ``fit(step="fused")`` (the compiled whole step, not bit-identical)
    fused: bool = False


def workloads(quick: bool) -> list[Workload]:
    return [
        Workload("mnist", 20_000 if quick else 60_000, [784, 256, 128, 10], 128),
        Workload("tabular", 16_000, [20, 64, 64, 2], 32, fused=True),
        Workload("tiny", 10_000, [2, 8, 2], 4, fused=True),
    ]


def network(w: Workload) -> mlpkit.Sequential:
    """The workload's network as every contender starts it: ReLU hidden layers, a
    softmax output, mlpkit's initial weights for seed 0."""
    layers = [Dense(a, b, "relu") for a, b in itertools.pairwise(w.sizes[:-1])]
    return mlpkit.Sequential([*layers, Dense(w.sizes[-2], w.sizes[-1], "softmax")], seed=0)


def make_data(w: Workload) -> tuple[np.ndarray, np.ndarray, str]:
    if w.name == "mnist":
        try:
            x, y = mlpkit.datasets.load_mnist()
            return x[: w.n], y[: w.n], "MNIST"
        except FileNotFoundError:
            pass
    rng = np.random.default_rng(0)
    if w.name == "tiny":
        x, y = mlpkit.datasets.xor(repeat=w.n // 4)
        return x, y, "XOR repeated"
    x = rng.normal(size=(w.n, w.sizes[0])).astype(np.float32)
    y = (x[:, : w.sizes[-1]] @ rng.normal(size=(w.sizes[-1], w.sizes[-1]))).argmax(1)
    return x, y, "synthetic"


class Interleave(mlpkit.Callback):
    """Runs one epoch of every peer after each mlpkit epoch, inside one ``fit`` call:
    mlpkit is timed as a user trains it (many epochs per fit, each epoch's time from
    the History), and the contenders take turns, so a slow spell of a shared machine
    hits all of them rather than one."""

    def __init__(self, peers: dict[str, Callable[[], object]]) -> None:
        self.peers = peers
        self.samples: dict[str, list[float]] = {name: [] for name in peers}
        self.first_end: float | None = None  # when mlpkit's first epoch ended

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.first_end is None:
            self.first_end = time.perf_counter()
        for name, run in self.peers.items():
            gc.collect()
            start = time.perf_counter()
            run()
            self.samples[name].append(time.perf_counter() - start)


def measure(
    w: Workload,
    x: np.ndarray,
    y: np.ndarray,
    peers: dict[str, Callable[[], object]],
    repeats: int,
    net: mlpkit.Sequential | None = None,
):
    """Median seconds per epoch of mlpkit's one fit and of each peer; the first epoch of
    each is a warm-up and is dropped. "first": from mlpkit's fit call to the end of its
    first epoch (the fit's set-up, its choice of step, Numba's start where it is taken,
    and the epoch); "step": what the fit ran."""
    net = network(w) if net is None else net
    turns = Interleave(peers)
    start = time.perf_counter()
    history = net.fit(x, y, loss="cross_entropy", optimizer=mlpkit.optimizers.Adam(lr=1e-3), epochs=repeats + 1,
                      batch_size=w.batch, callbacks=[turns], verbose=0)  # fmt: skip
    assert turns.first_end is not None
    times = {"mlpkit": statistics.median(history["time"][1:]), "first": turns.first_end - start,
             "step": ran(net)}  # fmt: skip
    times.update({name: statistics.median(values[1:]) for name, values in turns.samples.items()})
    if turns.samples.get("jax"):
        times["jax first"] = turns.samples["jax"][0]  # its compile
    return times


def ran(net: mlpkit.Sequential) -> str:
    """ "step S, update U": what a fit of ``net`` took."""
    return f"step {net.train_state.step}, update {net.train_state.update}"


def measure_workload(w: Workload, repeats: int) -> tuple[dict[str, float | str], str, int]:
    """``measure`` with every peer, run by ``main`` in a fresh process for each workload:
    what one workload loads or starts (Numba, JAX's compiler, PyTorch's threads) does not
    carry over to the next, as it would not between a user's scripts. Returns the times,
    the data's source and its rows."""
    x, y, source = make_data(w)
    net = network(w)
    per_epoch, numpy_only = mlpkit_epoch(w, x, y), mlpkit_epoch(w, x, y, numba=False)
    peers = {
        "floor": gemm_floor(w),
        "update": adam_updates(w, lambda: net.train_state.update),
        "per-epoch fits": per_epoch,
        "without numba": numpy_only,
        "torch": torch_epoch(w, x, y),
        "jax": jax_epoch(w, x, y),
        "sklearn": sklearn_epoch(w, x, y),
    }
    times = measure(w, x, y, {k: v for k, v in peers.items() if v is not None}, repeats, net)
    times["per-epoch step"] = ran(per_epoch.net)  # type: ignore[attr-defined]
    times["without numba step"] = ran(numpy_only.net)  # type: ignore[attr-defined]
    if w.fused:
        times.update(fused_fit(w, x, y, repeats))
    return times, source, len(x)


def fused_fit(w: Workload, x: np.ndarray, y: np.ndarray, repeats: int) -> dict[str, float]:
    """mlpkit alone with ``step="fused"`` (asked for: the compiled whole step, its sums in
    another order, so not bit-identical): the median seconds per epoch after the first."""
    net = network(w)
    history = net.fit(x, y, loss="cross_entropy", optimizer=mlpkit.optimizers.Adam(lr=1e-3),
                      epochs=repeats + 1, batch_size=w.batch, step="fused", verbose=0)  # fmt: skip
    return {"fused": statistics.median(history["time"][1:])}


def where_it_goes(times: dict[str, float | str]) -> str:
    """mlpkit's epoch split into the products (the floor), the update (the kernel the fit
    chose, timed alone) and the rest, from ``measure_workload``'s times."""
    ours, floor, update, step = times["mlpkit"], times["floor"], times["update"], times["step"]
    assert isinstance(ours, float) and isinstance(floor, float) and isinstance(update, float)
    assert isinstance(step, str)
    step_name, update_name = (part.split()[1] for part in step.split(", "))
    return (f"matrix products (floor) {floor / ours:.0%}, Adam update ({update_name}) "
            f"{update / ours:.0%}, the rest (step {step_name}) "
            f"{max(0.0, 1 - (floor + update) / ours):.0%}")  # fmt: skip


def table_row(w: Workload, times: dict[str, float | str], source: str, rows: int) -> str:
    """One workload's row of the table (a peer that did not run: n/a)."""
    ours, floor = times["mlpkit"], times["floor"]
    assert isinstance(ours, float) and isinstance(floor, float)

    def ratio(a: str, b: str) -> str:
        top, bottom = times.get(a), times.get(b)
        return (
            f"{top / bottom:.2f}" if isinstance(top, float) and isinstance(bottom, float) else "n/a"
        )

    def secs(name: str) -> str:
        value = times.get(name)
        return f"{value:.3f}" if isinstance(value, float) else "n/a"

    cells = [f"{w.name} {'-'.join(map(str, w.sizes))} (batch {w.batch})", f"{source} {rows:,} rows",
             f"{ours:.3f}", f"{rows / ours:,.0f}", secs("torch"), ratio("mlpkit", "torch"),
             secs("jax"), ratio("mlpkit", "jax"), ratio("per-epoch fits", "jax"),
             ratio("without numba", "jax"), secs("sklearn"), ratio("mlpkit", "sklearn"),
             f"{floor:.3f}", f"{floor / ours:.0%}"]  # fmt: skip
    return "| " + " | ".join(cells) + " |"


def fused_line(w: Workload, times: dict[str, float | str]) -> str:
    """The fused step's epoch, against JAX's of the same run when JAX ran."""
    fused, jax = times["fused"], times.get("jax")
    assert isinstance(fused, float)
    text = f"{w.name} {fused:.3f} s/epoch"
    return text + (f" ({fused / jax:.2f}x JAX's epoch above)" if isinstance(jax, float) else "")


def mlpkit_epoch(w: Workload, x: np.ndarray, y: np.ndarray, numba: bool | None = None
                 ) -> Callable[[], object]:  # fmt: skip
    """One ``fit(epochs=1)`` a call, the network's state kept between calls (its first
    call chooses the step, as a user's first fit does); ``numba=False``: without Numba.
    The returned callable's ``net`` is the network."""
    net = network(w)
    opt = mlpkit.optimizers.Adam(lr=1e-3)

    def epoch() -> None:
        with mlpkit.fast_paths(numba=numba):
            net.fit(
                x, y, loss="cross_entropy", optimizer=opt, epochs=1, batch_size=w.batch, verbose=0
            )

    epoch.net = net  # type: ignore[attr-defined]
    return epoch


def torch_epoch(w: Workload, x: np.ndarray, y: np.ndarray) -> Callable[[], object] | None:
    try:
        import torch
    except ImportError:
        return None
    mods: list = []
    for a, b in zip(w.sizes[:-2], w.sizes[1:-1], strict=True):
        mods += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    model = torch.nn.Sequential(*mods, torch.nn.Linear(w.sizes[-2], w.sizes[-1]))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))

    def epoch() -> None:
        order = torch.randperm(len(xt))
        xs, ys = xt[order], yt[order]
        for lo in range(0, len(xs), w.batch):
            opt.zero_grad()
            loss_fn(model(xs[lo : lo + w.batch]), ys[lo : lo + w.batch]).backward()
            opt.step()

    return epoch


def jax_epoch(w: Workload, x: np.ndarray, y: np.ndarray) -> Callable[[], object] | None:
    """JAX as a JAX user writes it at its best: the data on the device once, one
    ``jax.jit``-compiled train step that gathers its batch by index and runs forward,
    loss, ``jax.grad`` and optax's Adam, starting from mlpkit's initial weights,
    float32, the batches of a fresh permutation each epoch. The first epoch compiles
    (dropped as the warm-up, like every peer's)."""
    try:
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        import jax
        import jax.numpy as jnp
        import optax
    except ImportError:
        return None
    weights = network(w).get_weights()
    params = [
        (jnp.asarray(weights[i]), jnp.asarray(weights[i + 1])) for i in range(0, len(weights), 2)
    ]

    def loss_fn(params, xb, yb):  # type: ignore[no-untyped-def]
        h = xb
        for weight, bias in params[:-1]:
            h = jax.nn.relu(h @ weight + bias)
        weight, bias = params[-1]
        return optax.softmax_cross_entropy_with_integer_labels(h @ weight + bias, yb).mean()

    adam = optax.adam(1e-3)
    state = {"params": params, "opt": adam.init(params)}

    xd, yd = jnp.asarray(x), jnp.asarray(y.astype(np.int32))  # on the device, once

    @jax.jit
    def step(params, opt_state, xd, yd, rows):  # type: ignore[no-untyped-def]
        xb, yb = jnp.take(xd, rows, axis=0), jnp.take(yd, rows, axis=0)
        loss, grads = jax.value_and_grad(loss_fn)(params, xb, yb)
        updates, opt_state = adam.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    rng = np.random.default_rng(0)

    def epoch() -> None:
        order = rng.permutation(len(x)).astype(np.int32)
        params, opt_state = state["params"], state["opt"]
        for lo in range(0, len(x), w.batch):
            params, opt_state, _ = step(params, opt_state, xd, yd, order[lo : lo + w.batch])
        jax.block_until_ready(params)
        state["params"], state["opt"] = params, opt_state

    return epoch


def sklearn_epoch(w: Workload, x: np.ndarray, y: np.ndarray) -> Callable[[], object] | None:
    try:
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        return None
    clf = MLPClassifier(
        hidden_layer_sizes=w.sizes[1:-1],
        alpha=0.0,
        batch_size=w.batch,
        learning_rate_init=1e-3,
        random_state=0,
    )
    classes = np.unique(y)
    return lambda: clf.partial_fit(x, y, classes=classes)


def gemm_floor(w: Workload) -> Callable[[], object]:
    """One epoch's matrix products and nothing else, into preallocated outputs."""
    rng = np.random.default_rng(0)
    full, rest = divmod(w.n, w.batch)
    plans = []
    for rows, count in ((w.batch, full), (rest, 1 if rest else 0)):
        if not count:
            continue
        acts = [rng.normal(size=(rows, k)).astype(np.float32) for k in w.sizes]
        shapes = zip(w.sizes[:-1], w.sizes[1:], strict=True)
        weights = [rng.normal(size=shape).astype(np.float32) for shape in shapes]
        grads = [np.empty_like(wt) for wt in weights]
        dx = [np.empty((rows, a), np.float32) for a in w.sizes[:-1]]
        plans.append((count, acts, weights, grads, dx))

    def epoch() -> None:
        for count, acts, weights, grads, dx in plans:
            for _ in range(count):
                for i, wt in enumerate(weights):  # forward
                    np.matmul(acts[i], wt, out=acts[i + 1])
                for i in range(len(weights) - 1, -1, -1):  # backward
                    np.matmul(acts[i].T, acts[i + 1], out=grads[i])
                    if i > 0:
                        np.matmul(acts[i + 1], weights[i].T, out=dx[i])

    return epoch


def adam_updates(w: Workload, chosen: Callable[[], str]) -> Callable[[], object]:
    """One epoch's optimizer steps and nothing else: mlpkit's Adam on the network's packed
    parameters, once per batch, with the kernel the timed fit chose (``chosen()`` names
    it at the first call, after the fit has chosen). With the GEMM floor it splits
    mlpkit's epoch into matrix products, the update, and the rest (element-wise work and
    Python)."""
    from mlpkit.training import steps

    pack = mlpkit.training.ParameterPack(network(w))
    pack.grads[...] = np.random.default_rng(0).normal(size=pack.grads.size) * 1e-3
    opt = mlpkit.optimizers.Adam(lr=1e-3)
    n_steps = -(-w.n // w.batch)
    made: list[Callable[[object], None]] = []

    def epoch() -> None:
        if not made:
            name = chosen()
            if name == "compiled":
                made.append(steps.AdamCompiled(opt, mlpkit._numba.kernels()))
            else:
                kinds = {"rule": steps.RuleUpdate, "passes": steps.AdamPasses,
                         "stacked": steps.AdamStacked}  # fmt: skip
                made.append(kinds[name](opt))
        for _ in range(n_steps):
            made[0](pack)

    return epoch


def sklearn_swap(repeats: int) -> dict[str, float] | None:
    try:
        from sklearn.datasets import load_digits
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.model_selection import train_test_split
        from sklearn.neural_network import MLPClassifier as Theirs
    except ImportError:
        return None
    from mlpkit.sklearn import MLPClassifier as Ours

    x, y = load_digits(return_X_y=True)
    x = (x / 16).astype(np.float32)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    result = {}
    for label, cls in (("sklearn", Theirs), ("mlpkit", Ours)):
        times, scores = [], []
        for seed in range(repeats):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf = cls(hidden_layer_sizes=(128,), max_iter=100, random_state=seed)
                start = time.perf_counter()
                clf.fit(xtr, ytr)
                times.append(time.perf_counter() - start)
            scores.append(clf.score(xte, yte))
        result[f"{label}_time"] = statistics.median(times)
        result[f"{label}_accuracy"] = float(np.mean(scores))
    return result


def predict_latency(w: Workload) -> float:
    net = network(w)
    row = np.random.default_rng(0).normal(size=(1, w.sizes[0])).astype(np.float32)
    for _ in range(200):
        net.predict(row)
    best = []
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(2000):
            net.predict(row)
        best.append((time.perf_counter() - start) / 2000)
    return statistics.median(best)


def import_time() -> tuple[float, float]:
    """Median seconds of ``import mlpkit`` in 9 fresh processes, and of that NumPy's own
    import. Python's bytecode cache is allowed (a warm-up run fills it), as it is for
    anyone importing an installed package: with PYTHONDONTWRITEBYTECODE set, every
    import would recompile mlpkit's source and measure the compiler instead."""
    code = (
        "import time; t = time.perf_counter(); import numpy; n = time.perf_counter() - t; "
        "import mlpkit; print(time.perf_counter() - t, n)"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def once() -> list[float]:
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        ).stdout
        return [float(v) for v in out.split()]

    once()
    runs = [once() for _ in range(9)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def peak_memory(w: Workload, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    run = mlpkit_epoch(w, x, y)
    run()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    run()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak / 2**20, (x.nbytes + y.nbytes) / 2**20


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    import os

    parts = [
        f"{cpu}, {os.cpu_count()} cores",
        f"Python {platform.python_version()}",
        f"NumPy {np.__version__}",
    ]
    try:
        from threadpoolctl import threadpool_info

        blas = next((i for i in threadpool_info() if i["user_api"] == "blas"), None)
        if blas:
            parts.append(
                f"{blas['internal_api']} {blas['version']} ({blas['num_threads']} threads)"
            )
    except ImportError:
        pass
    for name, label in (("torch", "PyTorch"), ("jax", "JAX"), ("sklearn", "scikit-learn")):
        try:
            module = __import__(name)
            parts.append(f"{label} {module.__version__}")
        except ImportError:
            parts.append(f"{label} not installed")
    return ", ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer epochs and a smaller MNIST stand-in"
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="timed epochs per peer (default 5, quick 3)"
    )
    parser.add_argument("--markdown", help="also write the tables to this Markdown file")
    args = parser.parse_args()
    repeats = args.epochs or (3 if args.quick else 5)

    lines = [f"Measured {datetime.date.today()} on {machine()}.", ""]
    lines += [
        "| workload | data | mlpkit s/epoch | rows/s | PyTorch s/epoch | mlpkit/PyTorch | "
        "JAX s/epoch | mlpkit/JAX | per-epoch fits/JAX | without Numba/JAX | "
        "scikit-learn s/epoch | mlpkit/sklearn | GEMM floor s | floor/mlpkit |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    breakdown: list[str] = []
    firsts: list[str] = []
    took: list[str] = []
    fused: list[str] = []
    spawn = multiprocessing.get_context("spawn")
    for w in workloads(args.quick):
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as fresh:
            times, source, rows = fresh.submit(measure_workload, w, repeats).result()
        lines.append(table_row(w, times, source, rows))
        print(lines[-1], flush=True)
        jax_first = (
            f" (JAX's first, compiling: {times['jax first']:.3f} s)" if "jax first" in times else ""
        )
        firsts.append(f"{w.name} {times['first']:.3f} s{jax_first}")
        took.append(f"{w.name}: one fit {times['step']}; per-epoch fits {times['per-epoch step']}; "
                    f"without Numba {times['without numba step']}")  # fmt: skip
        if "fused" in times:
            fused.append(fused_line(w, times))
        breakdown.append(f"{w.name}: {where_it_goes(times)}")
    lines += ["", "- what each fit ran (chosen by measuring on this machine; all the same bits): "
              + "; ".join(took)]  # fmt: skip
    lines.append("- where mlpkit's one-fit epoch goes (each part timed alone, in turns with the "
                 "rest): " + "; ".join(breakdown))  # fmt: skip
    lines.append("- mlpkit's start, from the fit call to the end of its first epoch (the warm-up, "
                 "left out above: the choice of step, and Numba's start where it is taken): "
                 + ", ".join(firsts))  # fmt: skip
    if fused:
        lines.append("- asked for, `fit(step=\"fused\")` (the compiled whole step; not "
                     "bit-identical): " + "; ".join(fused))  # fmt: skip
    swap = sklearn_swap(3 if args.quick else 5)
    if swap:
        lines.append(
            f"- scikit-learn swap, digits, `MLPClassifier(hidden_layer_sizes=(128,), max_iter=100)`: "
            f"mlpkit {swap['mlpkit_time']:.2f} s vs scikit-learn {swap['sklearn_time']:.2f} s "
            f"(ratio {swap['mlpkit_time'] / swap['sklearn_time']:.2f}); accuracy {swap['mlpkit_accuracy']:.4f} vs "
            f"{swap['sklearn_accuracy']:.4f}"
        )
    tabular = workloads(args.quick)[1]
    lines.append(f"- single-row `predict`, tabular net: {predict_latency(tabular) * 1e6:.1f} µs")
    total, numpy_part = import_time()
    lines.append(
        f"- `import mlpkit`: {total:.3f} s, of which NumPy's own import {numpy_part:.3f} s "
        "(medians of 9 fresh processes)"
    )
    w = workloads(args.quick)[0]
    x, y, _ = make_data(w)
    peak, data = peak_memory(w, x, y)
    lines.append(
        f"- peak memory allocated during one {w.name} epoch: {peak:.0f} MiB; the data: {data:.0f} MiB"
    )
    text = "\n".join(lines)
    print("\n" + text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
