"""The backpropagation handout: L2 regularisation, R(W) = ½‖W‖², gives the update W ← W − η(∇W + αW);
L1 pushes weights to exactly zero. On a small noisy problem a stronger α shrinks the
weights and, up to a point, lowers the validation error.
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
    x = rng.normal(size=(60, 10))
    y = (x[:, 0] - x[:, 1] + rng.normal(0, 0.5, 60)).reshape(-1, 1)
    xv = rng.normal(size=(500, 10))
    yv = (xv[:, 0] - xv[:, 1]).reshape(-1, 1)
    alphas = [0.0, 1e-3, 1e-2, 1e-1] if args.fast else [0.0, 1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1]
    epochs = 200 if args.fast else 1000
    rows = []
    for kind, reg in (("L2", mlpkit.L2), ("L1", mlpkit.L1)):
        for alpha in alphas:
            r = reg(alpha) if alpha else None
            net = mlpkit.Sequential(
                [Dense(10, 64, "relu", regularizer=r), Dense(64, 1, regularizer=r)], seed=0
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
            weights = np.concatenate([w.ravel() for w in net.get_weights()[::2]])
            val = mlpkit.losses.get("mse")(net.predict(xv), yv)
            rows.append(
                (kind, alpha, np.linalg.norm(weights), np.mean(np.abs(weights) < 1e-3), val)
            )
            norm, zeros = rows[-1][2], rows[-1][3]
            print(
                f"{kind} α={alpha:<7g} ‖W‖ {norm:7.3f}  zero weights {zeros:5.1%}  validation mse {val:.4f}"
            )
    fig = _figure(figsize=(10, 4), layout="constrained")
    norm_ax, val_ax = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for kind in ("L2", "L1"):
        sel = [r for r in rows if r[0] == kind]
        xs = [max(r[1], 1e-5) for r in sel]
        norm_ax.semilogx(xs, [r[2] for r in sel], marker="o", label=kind)
        val_ax.semilogx(xs, [r[4] for r in sel], marker="o", label=kind)
    norm_ax.set_ylabel("weight norm")
    val_ax.set_ylabel("validation mse")
    for ax in (norm_ax, val_ax):
        ax.set_xlabel("α (0 drawn at 1e-5)")
        ax.legend()
    save(fig, args, "regularization.png")


if __name__ == "__main__":
    main()
