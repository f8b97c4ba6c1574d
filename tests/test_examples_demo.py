"""The demo and the examples run end to end (fast mode) and print what they claim."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(args, cwd=ROOT):
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_demo_prints_the_xor_trace_and_a_digits_accuracy():
    out = run(["-m", "mlpkit.demo", "--fast"])
    assert "forward:" in out and "backward:" in out and "σ(" in out
    assert "x       h0[0]" in out
    accuracy = float(out.split("test accuracy: ")[1].split("%")[0])
    assert (
        accuracy > 80.0
    )  # three epochs in fast mode; the full demo is held to 97% in test_training


@pytest.mark.parametrize(
    ("script", "figure", "expected"),
    [
        ("xor_seed001.py", "xor_loss.png", ["σ(1.000) = 0.731", "-> XOR", "classes [1, 0, 1, 0]"]),
        ("optimizers.py", "optimizers.png", ["SGD", "Momentum", "RMSprop", "Adam"]),
    ],
)
def test_example_runs_and_writes_its_figure(script, figure, expected, tmp_path):
    out = run(
        [str(ROOT / "examples" / script), "--fast", "--out", str(tmp_path)], cwd=ROOT / "examples"
    )
    for text in expected:
        assert text in out
    png = tmp_path / figure
    assert png.stat().st_size > 5000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
