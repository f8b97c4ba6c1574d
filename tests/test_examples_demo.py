"""The demo and the examples run end to end (fast mode) and print what they claim."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(args, cwd=ROOT):
    done = subprocess.run(
        [sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_demo_prints_the_xor_trace_a_digits_accuracy_and_the_autoencoder_report(tmp_path):
    from sklearn.decomposition import PCA

    import mlpkit

    out = run(["-m", "mlpkit.demo", "--fast", "--out", str(tmp_path)])
    assert "forward:" in out and "backward:" in out and "σ(" in out
    assert "x       h0[0]" in out
    accuracy = float(out.split("test accuracy: ")[1].split("%")[0])
    assert (
        accuracy > 80.0
    )  # three epochs in fast mode; the full demo is held to 97% in test_training
    results = out.split("== Results ==")[1]
    table = {" ".join(line.split()[:-1]): float(line.split()[-1].rstrip("%")) for line in results.splitlines()
             if line.strip() and not line.startswith("report folder")}  # fmt: skip
    assert table["digits classifier test accuracy"] == pytest.approx(accuracy, abs=0.01)
    # the PCA row, computed here: the best rank-2 reconstruction of the digits
    x, _ = mlpkit.datasets.load_digits()
    pca = PCA(2).fit(x)
    expect = np.mean((pca.inverse_transform(pca.transform(x)) - x) ** 2)
    assert table["PCA (2 components) reconstruction MSE"] == pytest.approx(expect, abs=1e-4)
    assert 0 < table["autoencoder (2-D) reconstruction MSE"] < 0.2
    for key in ("trustworthiness (k=10)", "kNN preserved (k=10)"):
        assert (
            0 < table[f"autoencoder (2-D) {key}"] <= 1
            and 0 < table[f"PCA (2 components) {key}"] <= 1
        )


EXPECTED = {  # what each example must print (beyond writing its figures)
    "01_shapes.py": ["X (100, 784)  W (784, 10)  b (10,)  Y (100, 10)"],
    "02_vanishing_gradients.py": ["sigmoid", "tanh", "relu"],
    "03_linear_collapse.py": ["equals one layer W' = W1 W2 W3: max difference"],
    "04_xor.py": ["σ(1.000) = 0.731", "-> XOR", "classes [1, 0, 1, 0]"],
    "05_batching_modes.py": ["stochastic (1)", "mini-batch (32)", "batch (all 300)"],
    "06_overfitting.py": ["with EarlyStopping(patience=50): stopped at epoch"],
    "07_universal_approximation.py": [
        "sin  mse by width",
        "abs  mse by width",
        "step mse by width",
    ],
    "08_depth_vs_width.py": ["hidden [48]", "hidden [8, 8, 8]"],
    "09_optimizers.py": ["SGD", "Momentum", "RMSprop", "Adam"],
    "10_regularization.py": ["L2 α=0.1", "L1 α=0.1"],
    "11_initialization.py": ["1 distinct weight vectors", "He, relu"],
    "12_softmax_jacobian.py": ["diag(ŷ) − ŷŷᵀ", "max |analytic − finite differences| = "],
    "13_autoencoder_digits.py": ["autoencoder  reconstruction MSE", "explorer page:"],
    "14_double_descent.py": ["width   400: test mse"],
    "15_loss_landscape.py": ["loss at the optimum"],
    "16_normalization.py": ["without BatchNorm |dL/dW| layer 1", "with BatchNorm    |dL/dW|"],
}


def test_every_example_is_listed():
    scripts = sorted(p.name for p in (ROOT / "examples").glob("[0-9]*.py"))
    assert set(scripts) == set(EXPECTED) | {"13_mnist_autoencoder.py"}


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_runs_and_writes_its_figures(script, tmp_path):
    out = run(
        [str(ROOT / "examples" / script), "--fast", "--figure-data", "--out", str(tmp_path)],
        cwd=ROOT / "examples",
    )
    for text in EXPECTED[script]:
        assert text in out, text
    figures = [
        line.split("figure: ", 1)[1] for line in out.splitlines() if line.startswith("figure: ")
    ]
    assert figures
    for figure in figures:
        assert_drawn(Path(figure))
    if script in CLAIMS:
        CLAIMS[script](out)


def assert_drawn(png: Path) -> None:
    """A figure whose every axes draws data that varies: a line of several points over a
    range of values, an image that is not one flat colour, a scatter of points, or bars
    of different heights (an empty, flat or constant plot fails)."""
    import json

    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    axes = json.loads(png.with_suffix(".json").read_text())
    assert axes, png.name
    for ax in axes:
        varied = (
            any(
                line["n"] >= 2 and line["y"] and line["y"][1] > line["y"][0] for line in ax["lines"]
            )
            or any(im["range"] and im["range"][1] > im["range"][0] for im in ax["images"])
            or any(n >= 2 for n in ax["collections"])
            or (ax["bars"] and ax["bars"][1] > ax["bars"][0])
        )
        assert varied, (png.name, ax)


def _number_after(out: str, text: str) -> float:
    return float(out.split(text, 1)[1].split()[0].rstrip(";,"))


def _linear_collapse(out: str) -> None:
    assert _number_after(out, "max difference") < 1e-9  # one layer, to rounding
    linear = _number_after(out, "linear hidden layers: training accuracy")
    curved = _number_after(out, "tanh   hidden layers: training accuracy")
    assert curved > linear + 0.03  # the nonlinearity buys a better boundary


def _softmax_jacobian(out: str) -> None:
    assert _number_after(out, "max |analytic − finite differences| =") < 1e-8
    chain = out.split("chain rule through the Jacobian: [", 1)[1].split("]", 1)[0]
    fused = out.split("fused ŷ − y: [", 1)[1].split("]", 1)[0]
    np.testing.assert_allclose(
        np.array(chain.split(), float), np.array(fused.split(), float), atol=2e-6
    )


#: examples whose printed numbers carry their claim: checked, not just printed
CLAIMS = {"03_linear_collapse.py": _linear_collapse, "12_softmax_jacobian.py": _softmax_jacobian}


def test_normalization_example_shows_batchnorm_keeping_the_gradient(tmp_path):
    out = run(
        [str(ROOT / "examples" / "16_normalization.py"), "--fast", "--out", str(tmp_path)],
        cwd=ROOT / "examples",
    )
    rows = {}
    for line in out.splitlines():
        if "|dL/dW|" in line:
            label = line.split(" |dL/dW|")[0].strip()
            ratio = float(line.split("ratio ")[1].split(";")[0])
            rows[label] = (ratio, float(line.split("training loss ")[1].split(",")[0]))
    plain, normed = rows["without BatchNorm"], rows["with BatchNorm"]
    assert plain[0] < 1e-4  # layer 1 gets under 1e-4 of layer 10's gradient: vanishing
    assert normed[0] > 0.1  # with BatchNorm it arrives
    # and the same epochs train it much further (the plain net is still at chance, ln 2)
    assert normed[1] < plain[1] / 2


def test_mnist_example_on_tiny_idx_files(tmp_path):
    from .test_mnist import write_mnist

    data = tmp_path / "mnist"
    data.mkdir()
    write_mnist(data, n=200)
    out = run(
        [
            str(ROOT / "examples" / "13_mnist_autoencoder.py"),
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
            str(ROOT / "examples" / "13_mnist_autoencoder.py"),
            "--fast",
            "--data",
            str(tmp_path / "none"),
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT / "examples",
    )
    assert "MNIST not available" in missing


def test_the_demos_autoencoder_rows_are_its_own_autoencoders_numbers(tmp_path, capsys):
    """Every autoencoder and PCA number the demo prints is the measure of that model:
    the same autoencoder trained again (the same seed gives the same bits) and PCA,
    measured here, give the printed rows."""
    import mlpkit
    from mlpkit import demo
    from mlpkit.reduction import compare_with_pca

    demo.run_autoencoder(tmp_path, seed=0, epochs=2, verbose=0)
    printed = {
        line[:16].strip(): [float(v) for v in line[16:].split()]
        for line in capsys.readouterr().out.splitlines()
        if line.startswith(("autoencoder ", "PCA, 2 comps"))
    }
    x, _ = mlpkit.datasets.load_digits()
    again = mlpkit.Autoencoder([64, 128, 32, 2], activation="relu", seed=0)
    again.fit(x, epochs=2, batch_size=32, optimizer=mlpkit.optimizers.Adam(lr=2e-3), verbose=0)
    measured = compare_with_pca(again, x, n_neighbors=10)
    for label, name in (("autoencoder", "autoencoder"), ("PCA, 2 comps", "pca")):
        r = measured[name]
        expect = [r["reconstruction_mse"], r["trustworthiness"], r["knn_preservation"]]
        assert printed[label] == pytest.approx(expect, abs=6e-4), label
    assert (tmp_path / "explorer.html").is_file()
