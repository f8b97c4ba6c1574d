"""Training on data larger than one wants in memory: one epoch of the mnist-shaped
network (784-256-128-10, Adam, batch 128, float32) over a 1 GiB float32 ``.npy`` file,
read several ways, each in a fresh process:

* ``memory``: ``np.load`` — the whole array in the process's memory (the reference);
* ``memmap``: ``np.load(mmap_mode="r")`` — pages come from the page cache;
* ``dask 12.5 MiB``, ``dask 63 MiB``, ``dask auto``: ``dask.array.from_array`` of that
  memmap in blocks of 4,096 or 21,000 rows, or as Dask chunks it by itself (128 MiB),
  streamed through the default 64 MiB shuffle buffer.

Reported per way: the process's anonymous memory (RssAnon, sampled every 20 ms from
/proc/self/status; a memmap's pages are file-backed and not counted) above its resting
size before ``fit`` and the accuracy on 10,000 held-out rows (each way in a fresh
process), and rows per second relative to in-memory training — the three ways taking
turns epoch by epoch in one process (3 rounds, medians), since this machine's speed
moves within minutes. The labels come from a fixed random teacher network.

    python benchmarks/memory.py               # 1 GiB (342,000 rows) in a temporary folder
    python benchmarks/memory.py --gib 0.25    # smaller
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

WIDTH = 784

#: the Dask ways: rows per block (None: Dask's own chunking)
DASK_BLOCKS = {"dask 12.5 MiB": 4_096, "dask 63 MiB": 21_000, "dask auto": None}


def dask_x(x: np.ndarray, way: str):
    import dask.array as da

    rows = DASK_BLOCKS[way]
    return da.from_array(x, chunks="auto" if rows is None else (rows, WIDTH))


def rss_anon_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_file(folder: Path, rows: int) -> None:
    """X: uniform [0, 1) pixels; y: the argmax of a fixed random 784-32-10 teacher."""
    rng = np.random.default_rng(0)
    teacher = [
        rng.normal(size=(WIDTH, 32)).astype(np.float32),
        rng.normal(size=(32, 10)).astype(np.float32),
    ]
    x = np.lib.format.open_memmap(
        folder / "x.npy", mode="w+", dtype=np.float32, shape=(rows, WIDTH)
    )
    y = np.empty(rows, np.int64)
    for lo in range(0, rows, 50_000):
        block = rng.random((min(50_000, rows - lo), WIDTH), dtype=np.float32)
        x[lo : lo + len(block)] = block
        y[lo : lo + len(block)] = np.argmax(
            np.tanh((block - 0.5) @ teacher[0]) @ teacher[1], axis=1
        )
    x.flush()
    np.save(folder / "y.npy", y)


def worker(folder: Path, way: str) -> None:
    import mlpkit
    from mlpkit import Dense

    y = np.load(folder / "y.npy")
    if way == "memory":
        x = np.load(folder / "x.npy")
    else:
        x = np.load(folder / "x.npy", mmap_mode="r")
    if way in DASK_BLOCKS:
        x = dask_x(x, way)
    held = slice(0, 10_000)
    train = slice(10_000, None)
    x_held = np.asarray(x[held]) if way not in DASK_BLOCKS else x[held].compute()
    net = mlpkit.Sequential(
        [Dense(WIDTH, 256, "relu"), Dense(256, 128, "relu"), Dense(128, 10, "softmax")], seed=0
    )
    resting, peak, done = rss_anon_mib(), [0.0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_anon_mib())
            time.sleep(0.02)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    began = time.perf_counter()
    net.fit(x[train], y[train], loss="cross_entropy", optimizer=mlpkit.optimizers.Adam(lr=1e-3),
            epochs=1, batch_size=128, verbose=0)  # fmt: skip
    seconds = time.perf_counter() - began
    done.set()
    watcher.join()
    accuracy = float(np.mean(net.predict_classes(x_held) == y[held]))
    rows = len(y) - 10_000
    print(json.dumps({"way": way, "above_resting_mib": peak[0] - resting, "resting_mib": resting,
                      "rows_per_s": rows / seconds, "accuracy": accuracy}))  # fmt: skip


def turns(folder: Path, rounds: int = 3) -> dict[str, float]:
    """Seconds per epoch of each way, the ways taking turns (medians of ``rounds``)."""
    import statistics

    import mlpkit
    from mlpkit import Dense

    y = np.load(folder / "y.npy")
    mapped = np.load(folder / "x.npy", mmap_mode="r")
    sources = {"memory": np.load(folder / "x.npy"), "memmap": mapped,
               **{way: dask_x(mapped, way) for way in DASK_BLOCKS}}  # fmt: skip
    nets = {
        way: mlpkit.Sequential(
            [Dense(WIDTH, 256, "relu"), Dense(256, 128, "relu"), Dense(128, 10, "softmax")], seed=0
        )
        for way in sources
    }
    times: dict[str, list[float]] = {way: [] for way in sources}
    for _ in range(rounds):
        for way, x in sources.items():
            history = nets[way].fit(x, y, loss="cross_entropy", epochs=1, batch_size=128, verbose=0)
            times[way].append(history["time"][-1])
    return {way: statistics.median(t) for way, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gib", type=float, default=1.0)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(Path(args.worker[0]), args.worker[1])
        return
    rows = int(args.gib * 2**30 / (WIDTH * 4))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_file(folder, rows)
        results = {}
        for way in ("memory", "memmap", *DASK_BLOCKS):
            done = subprocess.run([sys.executable, __file__, "--worker", str(folder), way],
                                  capture_output=True, text=True, timeout=3600)  # fmt: skip
            if done.returncode != 0:
                raise SystemExit(done.stderr[-2000:])
            results[way] = json.loads(done.stdout.strip().splitlines()[-1])
        seconds = turns(folder)
    print(f"one epoch, mnist-shaped, {rows:,} rows ({args.gib:g} GiB float32)")
    print(
        "| X | anonymous memory above resting | s/epoch (in turns) | rows/s vs in memory | held-out accuracy |"
    )
    print("|---|---|---|---|---|")
    for way, r in results.items():
        print(f"| {way} | {r['above_resting_mib']:,.0f} MiB | {seconds[way]:.2f} | "
              f"{seconds['memory'] / seconds[way]:.2f} | {r['accuracy']:.3f} |")  # fmt: skip


if __name__ == "__main__":
    main()
