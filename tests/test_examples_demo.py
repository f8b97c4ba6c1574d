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


def test_demo_prints_the_xor_trace_a_digits_accuracy_and_the_autoencoder_report(tmp_path):
    out = run(["-m", "mlpkit.demo", "--fast", "--out", str(tmp_path)])
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


def test_mnist_example_on_tiny_idx_files(tmp_path):
    from .test_mnist import write_mnist

    data = tmp_path / "mnist"
    data.mkdir()
    write_mnist(data, n=200)
    out = run(
        [
            str(ROOT / "examples" / "mnist_autoencoder.py"),
            "--fast",
            "--data",
            str(data),
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT / "examples",
    )
    assert "autoencoder  reconstruction MSE" in out and "pca" in out
    for name in (
        "mnist_latent.png",
        "mnist_traversal.png",
        "mnist_reconstructions.png",
        "mnist_explorer.html",
    ):
        assert (tmp_path / name).exists(), name
    missing = run(
        [
            str(ROOT / "examples" / "mnist_autoencoder.py"),
            "--fast",
            "--data",
            str(tmp_path / "none"),
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT / "examples",
    )
    assert "MNIST not available" in missing
