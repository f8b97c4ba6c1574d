"""CSV files that try the command line: very wide headers in linear time, numbers too
large to standardise named in one line (not an overflow, not a "NaN in X"), files that
can only be read once (a FIFO, a shell's process substitution) read once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mlpkit.cli import main as cli
from mlpkit.tabular import Preprocessing, read_csv

from .conftest import count_lines

BIN = Path(sys.executable).parent


def write(path, header, rows):
    path.write_text("\n".join([",".join(header)] + [",".join(map(str, r)) for r in rows]) + "\n")
    return path


def one_line_error(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def test_a_wide_header_is_read_and_learnt_in_linear_time(tmp_path):
    """Lines of mlpkit run to read a table and learn its preprocessing grow as the
    columns do (each column looked up by name: a list's index made 5k/10k/20k columns
    take 1.7/6.2/18.4 s)."""

    def lines_for(width):
        path = write(tmp_path / f"w{width}.csv", [f"c{j}" for j in range(width)] + ["y"],
                     [[1.5] * width + [i % 2] for i in range(3)])  # fmt: skip
        return count_lines(lambda: Preprocessing.fit(read_csv(path), "y"))

    small, large = lines_for(300), lines_for(3000)
    assert large < 12 * small


@pytest.mark.parametrize("value", ["1e160", "1e308", "-3e200"])
def test_a_number_too_large_to_standardise_is_one_line_naming_the_cell(tmp_path, value):
    rng = np.random.default_rng(0)
    rows = [[f"{a:.3f}", f"{b:.3f}", i % 2] for i, (a, b) in enumerate(rng.normal(size=(30, 2)))]
    rows[4][1] = value
    data = write(tmp_path / "big.csv", ["a", "b", "y"], rows)
    line = one_line_error("train", data, "--target", "y", "--out", tmp_path / "m.mlpk", "--quiet")
    assert f"line 6, column 'b': {value} is beyond" in line
    assert "beyond ±1e+100" in line and not (tmp_path / "m.mlpk").exists()


def test_an_infinite_target_is_named_at_train_and_at_evaluate(tmp_path):
    rng = np.random.default_rng(1)
    rows = [[f"{a:.3f}", f"{b:.3f}", f"{a + b:.3f}"] for a, b in rng.normal(size=(30, 2))]
    good = write(tmp_path / "good.csv", ["a", "b", "y"], rows)
    rows[2][2] = "inf"
    bad = write(tmp_path / "bad.csv", ["a", "b", "y"], rows)
    assert "line 4, column 'y': inf is not a finite number" in one_line_error(
        "train", bad, "--target", "y", "--out", tmp_path / "m.mlpk", "--quiet")  # fmt: skip
    result = CliRunner().invoke(cli, ["train", str(good), "--target", "y", "--out",
                                      str(tmp_path / "m.mlpk"), "--quiet", "--epochs", "2"])  # fmt: skip
    assert result.exit_code == 0, result.output
    line = one_line_error("evaluate", tmp_path / "m.mlpk", bad)
    assert "line 4, column 'y': inf is not a finite number" in line


def _feed(fifo: Path, text: str) -> threading.Thread:
    writer = threading.Thread(target=lambda: fifo.write_text(text), daemon=True)
    writer.start()
    return writer


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_fifo_and_a_process_substitution_are_read_once(tmp_path):
    rng = np.random.default_rng(2)
    rows = [[f"{a:.3f}", f"{b:.3f}", int(a > b)] for a, b in rng.normal(size=(40, 2))]
    text = write(tmp_path / "d.csv", ["a", "b", "y"], rows).read_text()
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    writer = _feed(fifo, text)
    done = subprocess.run([str(BIN / "mlpkit"), "train", str(fifo), "--target", "y", "--out",
                           str(tmp_path / "m.mlpk"), "--epochs", "2", "--quiet"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    writer.join(5)
    assert done.returncode == 0, done.stderr
    assert "saved" in done.stdout and (tmp_path / "m.mlpk").exists()
    # bash's <(...): a pipe the shell names /dev/fd/N
    done = subprocess.run(["bash", "-c", f'"{BIN / "mlpkit"}" predict "{tmp_path / "m.mlpk"}" '
                           f'<(cat "{tmp_path / "d.csv"}")'],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.strip().splitlines()) == 41  # the header and one line a row
    # --chunksize reads a file twice: a pipe is refused by name
    writer = _feed(fifo, text)
    done = subprocess.run([str(BIN / "mlpkit"), "train", str(fifo), "--target", "y", "--out",
                           str(tmp_path / "m2.mlpk"), "--chunksize", "10", "--quiet"],
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1 and "not a regular file" in done.stderr
    assert "Traceback" not in done.stderr
    with open(fifo) as drain:  # (the writer waits for a reader)
        drain.read()
    writer.join(5)
