"""Chapter 1 of the notes, the optimisation slides and the backpropagation handout:
stochastic (one example per update), batch (all N) and mini-batch gradient descent. Per
update, batch GD is the most accurate step; per second and per epoch, smaller batches
make many more updates. Same network, same learning rate, same start.
"""

from __future__ import annotations

import numpy as np
from _common import parse, save

import mlpkit
from mlpkit import Dense
from mlpkit.plots import _figure


def main() -> None:
    args = parse(__doc__)
    x, y = mlpkit.datasets.spirals(n_samples=300, n_classes=2, noise=0.1, seed=0)
    epochs = 15 if args.fast else 60
    fig = _figure(figsize=(10, 4), layout="constrained")
    by_updates, by_time = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for label, batch in (("stochastic (1)", 1), ("mini-batch (32)", 32), ("batch (all 300)", None)):
        net = mlpkit.Sequential([Dense(2, 32, "tanh"), Dense(32, 2, "softmax")], seed=0)
        h = net.fit(
            x,
            y,
            optimizer=mlpkit.optimizers.SGD(lr=0.1),
            epochs=epochs,
            batch_size=batch,
            verbose=0,
        )
        steps = np.arange(1, epochs + 1) * (net.steps_trained // epochs)
        by_updates.semilogx(steps, h["loss"], label=label)
        by_time.plot(np.cumsum(h["time"]), h["loss"], label=label)
        print(
            f"{label:16s} {net.steps_trained:6d} updates in {sum(h['time']):.2f}s, final loss {h['loss'][-1]:.4f}"
        )
    by_updates.set_xlabel("parameter updates")
    by_time.set_xlabel("seconds")
    for ax in (by_updates, by_time):
        ax.set_ylabel("training loss (epoch mean)")
        ax.legend()
    save(fig, args, "batching_modes.png")


if __name__ == "__main__":
    main()
