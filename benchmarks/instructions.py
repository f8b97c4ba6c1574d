"""Instructions per single-row ``predict`` and per tiny training step, counted by
``perf stat``: the same on every run, unlike time on a shared machine, so changes of a
few percent to the small-call paths can be compared at all.

Each figure is (instructions of a process doing N calls − of one doing none) / N, the
process start and imports cancelling out. Both processes run with ``PYTHONHASHSEED=0``
and OpenBLAS on one thread: its idle worker threads spin between products, and under
valgrind, which runs threads one at a time, those spins were counted too — the spread
of a figure from run to run (~5%) came from there.

    python benchmarks/instructions.py            # Linux perf (Debian: linux-perf), or
    python benchmarks/instructions.py --callgrind   # valgrind: where perf has no counters

On a virtual machine whose hypervisor hides the hardware counters perf prints
``<not supported>``; valgrind's callgrind counts the same instructions in software
(about 50x slower, so the counts use fewer calls). The two tools' figures differ by
a few percent; compare a change with one tool only.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

SETUP = """
import sys, numpy as np, mlpkit
from mlpkit import Dense
n = int(sys.argv[1])
"""

CASES = {
    # the benchmark's tabular net, one float32 row
    "single-row predict, 20-64-64-2": (
        SETUP
        + """
net = mlpkit.Sequential([Dense(20, 64, "relu"), Dense(64, 64, "relu"), Dense(64, 2, "softmax")], seed=0)
row = np.random.default_rng(0).normal(size=(1, 20)).astype(np.float32)
net.predict(row)
for _ in range(n):
    net.predict(row)
""",
        20_000,
    ),
    # the benchmark's tiny workload: XOR x 2500, batch 4 -> 2500 steps per epoch
    "training step, tiny 2-8-2, batch 4": (
        SETUP
        + """
x, y = mlpkit.datasets.xor(repeat=2500)
net = mlpkit.Sequential([Dense(2, 8, "relu"), Dense(8, 2, "softmax")], seed=0)
net.fit(x, y, loss="cross_entropy", optimizer=mlpkit.optimizers.Adam(lr=1e-3),
        epochs=1 + n // 2500, batch_size=4, verbose=0)
""",
        5_000,
    ),
}


#: the counted processes' environment: the same hash seed, no spinning BLAS threads
COUNTED_ENV = {**os.environ, "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"}


def instructions(code: str, n: int) -> int:
    with tempfile.NamedTemporaryFile("w+", suffix=".txt") as out:
        subprocess.run(
            ["perf", "stat", "-x,", "-o", out.name, "-e", "instructions",
             sys.executable, "-c", code, str(n)],
            check=True, capture_output=True, env=COUNTED_ENV,
        )  # fmt: skip
        for line in out.read().splitlines():
            fields = line.split(",")
            if len(fields) > 2 and fields[2].startswith("instructions"):
                if not fields[0].isdigit():
                    raise SystemExit(f"perf cannot count instructions here: {line}")
                return int(fields[0])
    raise SystemExit("perf printed no instruction count")


def callgrind_instructions(code: str, n: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "callgrind.out")
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             sys.executable, "-c", code, str(n)],
            check=True, capture_output=True, text=True, env=COUNTED_ENV,
        )  # fmt: skip
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit("callgrind printed no instruction count")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--callgrind", action="store_true", help="count with valgrind, not perf")
    args = parser.parse_args()
    tool = "valgrind" if args.callgrind else "perf"
    if shutil.which(tool) is None:
        package = "valgrind" if args.callgrind else "linux-perf"
        raise SystemExit(f"needs {tool} on PATH (Debian/Ubuntu: apt-get install {package})")
    count = callgrind_instructions if args.callgrind else instructions
    for label, (code, n) in CASES.items():
        if args.callgrind:  # the tiny case needs whole epochs of 2500 steps
            n = max(2500, n // 10) if "step" not in label else 5000
        count(code, 0)  # once first, so that both counted runs find the bytecode cached
        per_call = (count(code, n) - count(code, 0)) / n
        print(f"{label}: {per_call / 1000:.1f}k instructions ({tool})")


if __name__ == "__main__":
    main()
