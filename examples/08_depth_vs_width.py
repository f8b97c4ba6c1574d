"""The optimisation slides: "stacking more hidden layers often reduces the number of neurons required
to represent a given function". A wiggly function, sin(4x)·sin(9x) on [−1, 1], fitted by
networks with about the same number of parameters: one wide hidden layer against
two and three narrower ones.
"""

from __future__ import annotations

import itertools

import numpy as np
from _common import parse, save

import mlpkit
from mlpkit import Dense
from mlpkit.plots import _figure


def build(hidden: list[int]) -> mlpkit.Sequential:
    sizes = [1, *hidden, 1]
    layers = [Dense(a, b, "tanh") for a, b in itertools.pairwise(sizes[:-1])]
    return mlpkit.Sequential([*layers, Dense(sizes[-2], 1)], seed=0)


def main() -> None:
    args = parse(__doc__)
    x = np.linspace(-1, 1, 400).reshape(-1, 1)
    y = np.sin(4 * x) * np.sin(9 * x)
    epochs = 400 if args.fast else 3000
    fig = _figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    ax.plot(x, y, color="black", lw=2, label="target")
    for hidden in ([48], [12, 12], [8, 8, 8]):
        net = build(hidden)
        net.fit(
            x,
            y,
            loss="mse",
            optimizer=mlpkit.optimizers.Adam(lr=0.01),
            epochs=epochs,
            batch_size=64,
            verbose=0,
        )
        mse = net.evaluate(x, y)["loss"]
        print(
            f"hidden {hidden!s:12s} {net.count_params():4d} parameters, {sum(hidden):3d} neurons: mse {mse:.5f}"
        )
        ax.plot(x, net.predict(x), label=f"{hidden}: mse {mse:.4f}")
    ax.legend(fontsize="small")
    ax.set_title("one wide layer vs several narrow ones, 145-193 parameters")
    save(fig, args, "depth_vs_width.png")


if __name__ == "__main__":
    main()
