"""``mlpkit train --chunksize`` against the in-memory run on a table that fits: the
wall time of the whole command (reading, preprocessing, training, saving), each form
in a fresh process, taking turns (3 rounds, medians), and whether the two models are
the same to the bit (they must be).

    python benchmarks/chunksize.py                 # 54,000 rows, blocks of 10,000
    python benchmarks/chunksize.py --rows 200000 --chunksize 50000
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def table(path: Path, rows: int) -> None:
    """An export-like table (row names, free text, dates, NA cells; tests/tables.py)."""
    sys.path.insert(0, str(HERE.parent))
    from tests.tables import exported, write

    header, body = exported(rows, seed=7)
    write(path, header, body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=54_000)
    parser.add_argument("--chunksize", type=int, default=10_000)
    parser.add_argument("--epochs", type=int, default=10)
    args = parser.parse_args()
    exe = shutil.which("mlpkit", path=str(Path(sys.executable).parent)) or "mlpkit"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = folder / "table.csv"
        table(data, args.rows)
        forms = {
            "in memory": [],
            f"--chunksize {args.chunksize:,}": ["--chunksize", str(args.chunksize)],
        }
        seconds: dict[str, list[float]] = {form: [] for form in forms}
        for _ in range(3):
            for form, extra in forms.items():
                out = folder / f"{len(extra)}.mlpk"
                out.unlink(missing_ok=True)
                began = time.perf_counter()
                subprocess.run([exe, "train", str(data), "--target", "price", "--epochs", str(args.epochs),
                                "--patience", "0", "--quiet", "-o", str(out), *extra],
                               check=True, capture_output=True, timeout=3600)  # fmt: skip
                seconds[form].append(time.perf_counter() - began)
        import mlpkit

        memory, streamed = mlpkit.load(folder / "0.mlpk"), mlpkit.load(folder / "2.mlpk")
        pairs = zip(memory.parameters(), streamed.parameters(), strict=True)
        same = all(np.array_equal(a, b) for a, b in pairs)
    base = statistics.median(seconds["in memory"])
    print(f"mlpkit train on {args.rows:,} rows, {args.epochs} epochs (medians of 3, in turns)")
    print("| form | s | vs in memory |")
    print("|---|---|---|")
    for form, times in seconds.items():
        print(
            f"| {form} | {statistics.median(times):.2f} | {statistics.median(times) / base:.2f} |"
        )
    print(f"same model to the bit: {same}")


if __name__ == "__main__":
    main()
