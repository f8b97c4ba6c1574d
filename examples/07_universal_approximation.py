"""The worksheet, the MLP motivation notes and the optimisation slides: one hidden layer is
a universal approximator — with enough units it fits sin x, |x| and even a step on [−π,
π] as closely as we like (on the training data). The error falls as the width grows.
"""

from __future__ import annotations

from _common import parse, save

import mlpkit
from mlpkit import Dense
from mlpkit.plots import _figure


def main() -> None:
    args = parse(__doc__)
    widths = [2, 8, 64] if args.fast else [1, 2, 4, 8, 16, 64, 256]
    epochs = 300 if args.fast else 2000
    fig = _figure(figsize=(12, 3.6), layout="constrained")
    for col, fn in enumerate(("sin", "abs", "step")):
        x, y = mlpkit.datasets.regression_1d(fn, n_samples=256)
        ax = fig.add_subplot(1, 3, col + 1)
        ax.plot(x, y, color="black", lw=2, label="target")
        errors = []
        for width in widths:
            net = mlpkit.Sequential([Dense(1, width, "tanh"), Dense(width, 1)], seed=0)
            net.fit(
                x,
                y,
                loss="mse",
                optimizer=mlpkit.optimizers.Adam(lr=0.01),
                epochs=epochs,
                batch_size=64,
                verbose=0,
            )
            errors.append(net.evaluate(x, y)["loss"])
            ax.plot(x, net.predict(x), label=f"{width} units", lw=1)
        print(
            f"{fn:4s} mse by width "
            + "  ".join(f"{w}:{e:.4f}" for w, e in zip(widths, errors, strict=True))
        )
        ax.set_title(fn)
        ax.legend(fontsize="x-small")
    save(fig, args, "universal_approximation.png")


if __name__ == "__main__":
    main()
