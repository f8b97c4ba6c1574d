"""The optimisation slides: deep double descent. Test error against the width of a one-hidden-layer
network on a small noisy regression task, trained without regularisation: it falls,
rises near the interpolation threshold (about as many hidden units as training
points), then falls again as the network grows further. The bump is stochastic and
can be faint; the example prints the curve it measured.
"""

from __future__ import annotations

import numpy as np
from _common import parse, save

import mlpkit
from mlpkit import Dense
from mlpkit.plots import _figure


def main() -> None:
    args = parse(__doc__)
    rng = np.random.default_rng(0)
    n_train = 30
    x = rng.uniform(-1, 1, size=(n_train, 5))
    true_w = rng.normal(size=(5, 1))
    y = np.tanh(x @ true_w) + rng.normal(0, 0.3, size=(n_train, 1))
    xt = rng.uniform(-1, 1, size=(1000, 5))
    yt = np.tanh(xt @ true_w)
    widths = (
        [2, 10, 30, 100, 400]
        if args.fast
        else [1, 2, 4, 8, 15, 20, 25, 30, 35, 40, 60, 100, 200, 400, 1000]
    )
    epochs = 300 if args.fast else 3000
    errors = []
    for width in widths:
        runs = []
        for seed in range(1 if args.fast else 3):
            net = mlpkit.Sequential(
                [Dense(5, width, "relu"), Dense(width, 1)], seed=seed, dtype="float64"
            )
            net.fit(
                x,
                y,
                loss="mse",
                optimizer=mlpkit.optimizers.Adam(lr=0.01),
                epochs=epochs,
                batch_size=None,
                verbose=0,
            )
            runs.append(mlpkit.losses.get("mse")(net.predict(xt), yt))
        errors.append(float(np.mean(runs)))
        print(f"width {width:5d}: test mse {errors[-1]:.4f}")
    fig = _figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.loglog(widths, errors, marker="o")
    ax.axvline(n_train, color="grey", ls="--", label=f"{n_train} training points")
    ax.set_xlabel("hidden units")
    ax.set_ylabel("test mse")
    ax.legend()
    save(fig, args, "double_descent.png")


if __name__ == "__main__":
    main()
