"""The main job behind ``make demo``: ``python -m mlpkit.demo``.

1. Chapter 1's XOR network (2-2-1, sigmoid, squared loss) trained by batch gradient
   descent from a random start, then its forward/backward trace table.
2. An MLP classifier on the bundled 8×8 handwritten digits, with a progress bar,
   and its test accuracy.
3. An autoencoder with a 2-D bottleneck on the digits, compared with PCA-2 on
   reconstruction error and neighbour preservation; its figures and the latent-space
   explorer page are written to the report folder.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import Dense, Sequential, optimizers, trace
from ._files import write_atomic
from .datasets import load_digits, train_test_split, xor


def run_xor(seed: int = 0, epochs: int = 5000) -> Sequential:
    x, y = xor()
    net = Sequential([Dense(2, 2, "sigmoid"), Dense(2, 1, "sigmoid")], seed=seed)
    print("== XOR: Chapter 1's 2-2-1 sigmoid network, squared loss, batch gradient descent ==")
    started = time.perf_counter()
    history = net.fit(
        x,
        y,
        loss="squared",
        optimizer=optimizers.SGD(lr=2.0),
        epochs=epochs,
        batch_size=None,
        verbose=0,
    )
    took = time.perf_counter() - started
    print(
        f"{epochs} epochs in {took:.2f}s: loss {history['loss'][0]:.4f} -> {history['loss'][-1]:.6f}"
    )
    predictions = [round(float(v), 3) for v in net.predict(x).ravel()]
    print(f"predictions {predictions}  targets {y.tolist()}\n")
    print(trace(net, x, y, loss="squared"))
    return net


def run_digits(
    seed: int = 0, epochs: int = 50, verbose: int | str = "auto", out: Path | None = None
) -> dict[str, Any]:
    """Train the digits classifier; return test accuracy and loss (and write its figures
    to ``out`` when given)."""
    x, y = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, seed=0)
    print("\n== Digits: 64-256-128-10 ReLU/softmax MLP, Adam, cross-entropy ==")
    print(
        f"train {x_train.shape[0]} images, test {x_test.shape[0]} images, 8x8 pixels scaled to [0, 1]"
    )
    net = Sequential(
        [Dense(64, 256, "relu"), Dense(256, 128, "relu"), Dense(128, 10, "softmax")], seed=seed
    )
    net.summary()
    history = net.fit(
        x_train,
        y_train,
        loss="cross_entropy",
        optimizer=optimizers.Adam(lr=1e-3),
        epochs=epochs,
        batch_size=32,
        validation_data=(x_test, y_test),
        metrics=["accuracy"],
        verbose=verbose,
    )
    result = net.evaluate(x_test, y_test)
    print(f"test accuracy: {result['accuracy']:.2%}  (test loss {result['loss']:.4f})")
    if out is not None:
        predicted = net.predict_classes(x_test)
        _save_figures(
            out,
            {
                "loss_curves.png": lambda p: p.loss_curves(history, title="digits classifier"),
                "accuracy_curves.png": lambda p: p.loss_curves(
                    history, keys=("accuracy", "val_accuracy"), title="accuracy"
                ),
                "confusion_matrix.png": lambda p: p.confusion_matrix(
                    y_test, predicted, title="digits, test set"
                ),
                "network_diagram.png": lambda p: p.network_diagram(net),
            },
        )
    return result


def _png(figure: Any, f: Any) -> None:
    figure.savefig(f, format="png", dpi=110)


def _save_figures(out: Path, figures: dict[str, Callable[[Any], Any]]) -> list[Path]:
    """Write each figure if matplotlib is installed; returns the paths written."""
    from . import plots

    if not plots.available():
        print(f"(not drawn without matplotlib: {', '.join(figures)}; "
              "pip install 'mlpkit[plots]' adds them)")  # fmt: skip
        return []
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, make in figures.items():
        figure = make(plots)
        write_atomic(out / name, functools.partial(_png, figure), "figure")
        written.append(out / name)
    return written


def run_autoencoder(
    out: Path, seed: int = 0, epochs: int = 60, verbose: int | str = "auto"
) -> dict[str, Any]:
    from .autoencoder import Autoencoder
    from .explorer import write_html
    from .reduction import compare_with_pca

    x, y = load_digits()
    print("\n== Autoencoder: 64-128-32-2-32-128-64 on the digits, 2-D bottleneck ==")
    ae = Autoencoder([64, 128, 32, 2], activation="relu", seed=seed)
    ae.fit(x, epochs=epochs, batch_size=32, optimizer=optimizers.Adam(lr=2e-3), verbose=verbose)
    result = compare_with_pca(ae, x, n_neighbors=10)
    print(f"{'':16s}{'reconstruction MSE':>20s}{'trustworthiness':>18s}{'kNN preserved':>16s}")
    for name, label in (("autoencoder", "autoencoder"), ("pca", "PCA, 2 comps")):
        r = result[name]
        print(
            f"{label:16s}{r['reconstruction_mse']:>20.4f}{r['trustworthiness']:>18.3f}"
            f"{r['knn_preservation']:>16.3f}"
        )
    out.mkdir(parents=True, exist_ok=True)
    written = [
        write_html(
            ae,
            out / "explorer.html",
            samples=x[:200],
            labels=y[:200],
            image_shape=(8, 8),
            title="mlpkit: digits latent-space explorer",
        )
    ]
    written += _save_figures(
        out,
        {
            "latent_scatter.png": lambda p: p.latent_scatter(
                ae.encode(x), y, title="digits, 2-D bottleneck"
            ),
            "reconstructions.png": lambda p: p.reconstructions(ae, x, (8, 8), n=12),
            "latent_traversal.png": lambda p: p.latent_traversal(ae, (8, 8)),
        },
    )
    print("written:\n" + "\n".join(f"  {p}" for p in written))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlpkit.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--fast", action="store_true", help="fewer epochs (for tests)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("reports/demo"), help="report folder")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    run_xor(seed=args.seed, epochs=1500 if args.fast else 5000)
    verbose = 0 if args.fast else "auto"  # a bar on a terminal, lines in a log
    clf = run_digits(seed=args.seed, epochs=3 if args.fast else 50, verbose=verbose, out=args.out)
    ae = run_autoencoder(args.out, seed=args.seed, epochs=3 if args.fast else 60, verbose=verbose)
    print("\n== Results ==")
    rows = [
        ("digits classifier", "test accuracy", f"{clf['accuracy']:.2%}"),
        ("digits classifier", "test loss", f"{clf['loss']:.4f}"),
        (
            "autoencoder (2-D)",
            "reconstruction MSE",
            f"{ae['autoencoder']['reconstruction_mse']:.4f}",
        ),
        ("PCA (2 components)", "reconstruction MSE", f"{ae['pca']['reconstruction_mse']:.4f}"),
        (
            "autoencoder (2-D)",
            "trustworthiness (k=10)",
            f"{ae['autoencoder']['trustworthiness']:.3f}",
        ),
        ("PCA (2 components)", "trustworthiness (k=10)", f"{ae['pca']['trustworthiness']:.3f}"),
        (
            "autoencoder (2-D)",
            "kNN preserved (k=10)",
            f"{ae['autoencoder']['knn_preservation']:.3f}",
        ),
        ("PCA (2 components)", "kNN preserved (k=10)", f"{ae['pca']['knn_preservation']:.3f}"),
    ]
    for model, metric, value in rows:
        print(f"{model:20s} {metric:24s} {value:>8s}")
    print(f"report folder: {args.out}  ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
