"""Chapter 1 of the notes: "too many epochs will lead to poor generalization outside of the training
set". A big network on 40 noisy points: the training loss keeps falling while the
validation loss turns back up; EarlyStopping stops there and restores the best weights.
"""

from __future__ import annotations

import numpy as np
from _common import parse, save

import mlpkit
from mlpkit import Dense
from mlpkit.plots import loss_curves


def main() -> None:
    args = parse(__doc__)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(40, 1))
    y = np.sin(3 * x) + rng.normal(0, 0.3, size=x.shape)
    xv = np.linspace(-1, 1, 200).reshape(-1, 1)
    yv = np.sin(3 * xv)
    epochs = 400 if args.fast else 1500

    def model() -> mlpkit.Sequential:
        return mlpkit.Sequential(
            [Dense(1, 128, "relu"), Dense(128, 128, "relu"), Dense(128, 1)], seed=0
        )

    full = model()
    h = full.fit(
        x,
        y,
        optimizer=mlpkit.optimizers.Adam(lr=0.01),
        epochs=epochs,
        batch_size=None,
        validation_data=(xv, yv),
        verbose=0,
    )
    best = int(np.argmin(h["val_loss"]))
    print(
        f"without early stopping: best validation loss {min(h['val_loss']):.4f} at epoch {best + 1}, "
        f"final {h['val_loss'][-1]:.4f} (training loss {h['loss'][-1]:.4f})"
    )
    stop = mlpkit.EarlyStopping("val_loss", patience=50, restore_best_weights=True)
    early = model()
    early.fit(
        x,
        y,
        optimizer=mlpkit.optimizers.Adam(lr=0.01),
        epochs=epochs,
        batch_size=None,
        validation_data=(xv, yv),
        callbacks=[stop],
        verbose=0,
    )
    print(
        f"with EarlyStopping(patience=50): stopped at epoch {stop.stopped_epoch}, validation loss "
        f"{early.evaluate(xv, yv)['loss']:.4f}"
    )
    save(
        loss_curves(h, log_scale=True, title="training vs validation loss"), args, "overfitting.png"
    )


if __name__ == "__main__":
    main()
