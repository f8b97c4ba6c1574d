"""Chapter 1's XOR network: its forward table, its converged ReLU weights, and XOR
learned from a random start.

* The table (h = 0.731/0.119/…, y = 0.743/0.183/0.743/0.334) comes from sigmoid units
  with hidden weights [[3, 4], [2, 3]], hidden biases (−2, −4), output weights (5, −5)
  and output bias −2 — not from the weights printed beside it (W = [[3,4,2],[2,3,4]],
  U = [5,5,2], ReLU), which give a different table (printed below too).
* The converged ReLU weights (1.26)–(1.27) compute XOR exactly.
* Training the 2-2-1 sigmoid net by batch gradient descent from a random start.
"""

from __future__ import annotations

import numpy as np
from _common import parse, save

import mlpkit
from mlpkit import Dense
from mlpkit.datasets import xor
from mlpkit.plots import loss_curves


def main() -> None:
    args = parse(__doc__)
    x, y = xor()

    table_net = mlpkit.Sequential([Dense(2, 2, "sigmoid"), Dense(2, 1, "sigmoid")], dtype="float64")
    table_net.set_weights(
        [
            np.array([[3.0, 2.0], [4.0, 3.0]]),
            np.array([-2.0, -4.0]),
            np.array([[5.0], [-5.0]]),
            np.array([-2.0]),
        ]
    )
    print("Chapter 1's table, reproduced (sigmoid units, biases -2/-4, output 5/-5/-2):")
    print(mlpkit.trace(table_net, x, y, loss="squared").to_text().split("\n\nbackward")[0])

    printed = mlpkit.Sequential([Dense(2, 2, "relu"), Dense(2, 1, "relu")], dtype="float64")
    printed.set_weights(
        [
            np.array([[3.0, 2.0], [4.0, 3.0]]),
            np.array([2.0, 4.0]),
            np.array([[5.0], [5.0]]),
            np.array([2.0]),
        ]
    )
    print(
        "\nThe weights printed beside it (ReLU, W=[[3,4,2],[2,3,4]], U=[5,5,2]) give y =",
        np.round(printed.predict(x)[:, 0], 3).tolist(),
    )

    W = np.array([[1.52183263, 1.55282077, -1.55282077], [1.0637993, 1.0637993, 0.39200322]])
    U = np.array([-1.31420497, 0.94002694, -0.36849359])
    relu_net = mlpkit.Sequential([Dense(2, 2, "relu"), Dense(2, 1, "relu")], dtype="float64")
    relu_net.set_weights([W[:, :2].T, W[:, 2], U[:2].reshape(2, 1), U[2:]])
    out = relu_net.predict(x)[:, 0]
    print(
        "\nConverged ReLU weights (1.26)-(1.27): y =",
        [round(float(v), 6) for v in out],
        "-> XOR" if np.allclose(out, y, atol=1e-6) else "-> NOT XOR",
    )

    net = mlpkit.Sequential([Dense(2, 2, "sigmoid"), Dense(2, 1, "sigmoid")], seed=0)
    epochs = 1500 if args.fast else 5000
    history = net.fit(
        x,
        y,
        loss="squared",
        optimizer=mlpkit.optimizers.SGD(lr=2.0),
        epochs=epochs,
        batch_size=None,
        verbose=0,
    )
    classes = net.predict_classes(x).tolist()
    print(
        f"\nFrom a random start, {epochs} epochs of batch gradient descent: "
        f"loss {history['loss'][-1]:.5f}, classes {classes} (targets {y.tolist()})"
    )
    fig = loss_curves(history, keys=("loss",), log_scale=True, title="XOR, 2-2-1 sigmoid, batch GD")
    save(fig, args, "xor_loss.png")


if __name__ == "__main__":
    main()
