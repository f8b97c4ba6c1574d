"""Data-parallel scaling on this machine: the mnist-shaped workload (784-256-128-10,
ReLU, softmax + cross-entropy, Adam, float32) trained by P = 1 and 2 MPI processes
with one BLAS thread each, and by one process with two BLAS threads, at global batch
sizes 128 and 512.

Reported: seconds per epoch (median of the timed epochs, after a warm-up one), the
Allreduce time per step (the packed gradient, timed alone in the same processes), the
scaling efficiency T(P=1) / (P · T(P)) against one single-threaded process, and the step
and update each configuration's fit took (each chose by measuring, as any fit does).

Why its one-process rows are slower than ``run.py``'s mnist row: they run with one BLAS
thread (the products alone take about twice as long as with two), and ``run.py``'s
fit runs on two; the two-thread row here is the one to set beside it. The thread counts
are set per configuration through ``OPENBLAS_NUM_THREADS`` (which ``DataParallel``
respects; without it each rank would take cores ÷ ranks on its own).

    python benchmarks/distributed.py             # 60,000 rows; --rows for fewer
    python benchmarks/distributed.py --quick     # 12,000 rows, 2 timed epochs
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

SIZES = [784, 256, 128, 10]
BATCHES = [128, 512]


def worker(rows: int, epochs: int) -> None:
    """Runs in every process of one configuration; rank 0 prints a JSON line."""
    import mlpkit
    from mlpkit import Dense
    from mlpkit.distributed import DataParallel

    dp = DataParallel()
    rng = np.random.default_rng(0)
    x = rng.random((rows, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], rows)
    out = {}
    for batch in BATCHES:
        layers = [Dense(a, b, "relu") for a, b in itertools.pairwise(SIZES[:-1])]
        net = mlpkit.Sequential([*layers, Dense(SIZES[-2], SIZES[-1], "softmax")], seed=0)
        history = net.fit(x, y, loss="cross_entropy", optimizer=mlpkit.optimizers.Adam(lr=1e-3),
                          epochs=epochs + 1, batch_size=batch, verbose=0, strategy=dp)  # fmt: skip
        seconds = statistics.median(history["time"][1:])
        reduce_ms = 0.0
        if dp.size > 1:
            buffer = net.train_state.pack.buffer
            dp.comm.Barrier()
            began = time.perf_counter()
            for _ in range(50):
                dp.reduce_(buffer)
            reduce_ms = (time.perf_counter() - began) / 50 * 1e3
        out[str(batch)] = {
            "seconds": seconds,
            "allreduce_ms": reduce_ms,
            "steps": -(-rows // batch),
            "ran": f"step {net.train_state.step}, update {net.train_state.update}",
        }
    if dp.rank == 0:
        print(json.dumps({"size": dp.size, "parameters": net.count_params(), **out}), flush=True)


def run(processes: int, threads: int, rows: int, epochs: int) -> dict:
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))  # fmt: skip
    command = [sys.executable, __file__, "--worker", "--rows", str(rows), "--epochs", str(epochs)]
    if processes > 1:
        launcher = Path(sys.executable).parent / "mpiexec"
        if not launcher.exists():
            raise SystemExit("needs mpiexec beside this Python: pip install 'mlpkit[mpi]'")
        command = [str(launcher), "-n", str(processes), *command]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=None, help="timed epochs (default 3)")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rows = args.rows or (12_000 if args.quick else 60_000)
    epochs = args.epochs or (2 if args.quick else 3)
    if args.worker:
        worker(rows, epochs)
        return
    runs = {
        "1 process, 1 thread": run(1, 1, rows, epochs),
        "2 processes, 1 thread each": run(2, 1, rows, epochs),
        "1 process, 2 threads": run(1, 2, rows, epochs),
    }
    base = runs["1 process, 1 thread"]
    print(f"mnist-shaped {'-'.join(map(str, SIZES))}, {rows:,} rows, {base['parameters']:,} "
          f"parameters, median of {epochs} epochs")  # fmt: skip
    print(
        "| configuration | batch | s/epoch | Allreduce ms/step | efficiency vs 1 process, 1 thread "
        "| what ran |"
    )
    print("|---|---|---|---|---|---|")
    for label, result in runs.items():
        processes = result["size"]
        for batch in map(str, BATCHES):
            seconds = result[batch]["seconds"]
            efficiency = base[batch]["seconds"] / (processes * seconds) if processes > 1 else None
            speedup = base[batch]["seconds"] / seconds
            shown = f"{efficiency:.0%}" if efficiency is not None else f"speed-up {speedup:.2f}x"
            print(
                f"| {label} | {batch} | {seconds:.3f} | {result[batch]['allreduce_ms']:.2f} | {shown} "
                f"| {result[batch]['ran']} |"
            )


if __name__ == "__main__":
    main()
