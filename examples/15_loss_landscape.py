"""The optimisation slides' figure: the loss landscape in two random directions around a trained
optimum (Li et al. 2018, with filter-normalised directions: each direction is scaled,
layer by layer, to the norm of that layer's weights).
"""

from __future__ import annotations

import numpy as np
from _common import parse, save

import mlpkit
from mlpkit import Dense
from mlpkit.plots import _figure


def main() -> None:
    args = parse(__doc__)
    x, y = mlpkit.datasets.spirals(n_samples=300, n_classes=3, noise=0.15, seed=0)
    net = mlpkit.Sequential(
        [Dense(2, 32, "relu"), Dense(32, 32, "relu"), Dense(32, 3, "softmax")], seed=0
    )
    net.fit(
        x,
        y,
        optimizer=mlpkit.optimizers.Adam(lr=0.01),
        epochs=60 if args.fast else 400,
        batch_size=32,
        verbose=0,
    )
    optimum = net.get_weights()
    rng = np.random.default_rng(1)

    def direction() -> list[np.ndarray]:
        d = [rng.normal(size=w.shape) for w in optimum]
        return [
            di * np.linalg.norm(w) / (np.linalg.norm(di) + 1e-12)
            for di, w in zip(d, optimum, strict=True)
        ]

    d1, d2 = direction(), direction()
    steps = np.linspace(-1, 1, 15 if args.fast else 41)
    loss = mlpkit.losses.get("cross_entropy")
    surface = np.empty((len(steps), len(steps)))
    for i, a in enumerate(steps):
        for j, b in enumerate(steps):
            net.set_weights([w + a * u + b * v for w, u, v in zip(optimum, d1, d2, strict=True)])
            surface[i, j] = loss(net.predict(x), y)
    net.set_weights(optimum)
    centre = surface[len(steps) // 2, len(steps) // 2]
    corners = surface[[0, 0, -1, -1], [0, -1, 0, -1]].round(2)
    print(f"loss at the optimum {centre:.4f}; at the corners of the plane {corners}")
    fig = _figure(figsize=(6, 5), layout="constrained")
    ax = fig.add_subplot()
    contour = ax.contourf(steps, steps, np.log10(surface.T), levels=30, cmap="viridis")
    fig.colorbar(contour, label="log10 loss")
    ax.plot(0, 0, "r*", ms=12)
    ax.set_xlabel("direction 1")
    ax.set_ylabel("direction 2")
    ax.set_title("loss around the trained optimum")
    save(fig, args, "loss_landscape.png")


if __name__ == "__main__":
    main()
