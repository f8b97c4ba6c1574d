"""SGD, momentum, RMSprop and Adam on one problem (the optimisation slides' optimisation slides).

The same 2-32-32-3 tanh network, the same initial weights and the same mini-batches
(three interleaved spirals), trained with each optimizer; the loss curves are saved
to optimizers.png and the final losses printed.
"""

from __future__ import annotations

from _common import parse, save

import mlpkit
from mlpkit import Dense, optimizers
from mlpkit.datasets import spirals
from mlpkit.plots import loss_curves

OPTIMIZERS = {
    "SGD": lambda: optimizers.SGD(lr=0.1),
    "Momentum (the optimisation slides' EMA, beta 0.9)": lambda: optimizers.Momentum(
        lr=0.5, beta=0.9
    ),
    "RMSprop": lambda: optimizers.RMSprop(lr=0.003),
    "Adam": lambda: optimizers.Adam(lr=0.01),
}


def main() -> None:
    args = parse(__doc__)
    x, y = spirals(n_samples=600, n_classes=3, noise=0.15, seed=0)
    epochs = 40 if args.fast else 300
    histories = {}
    for name, make in OPTIMIZERS.items():
        net = mlpkit.Sequential(
            [Dense(2, 32, "tanh"), Dense(32, 32, "tanh"), Dense(32, 3, "softmax")], seed=0
        )
        histories[name] = net.fit(
            x, y, optimizer=make(), epochs=epochs, batch_size=32, metrics=["accuracy"], verbose=0
        )
        h = histories[name]
        print(f"{name:38s} final loss {h['loss'][-1]:.4f}  accuracy {h['accuracy'][-1]:.3f}")
    fig = loss_curves(
        histories, keys=("loss",), log_scale=True, title="Three spirals: optimizers compared"
    )
    save(fig, args, "optimizers.png")


if __name__ == "__main__":
    main()
