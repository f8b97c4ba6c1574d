"""The worksheet, Problem 2: sigmoid vs tanh vs ReLU — which trains deep networks?

In a 10-layer network the gradient that reaches the first layer is a product of one
activation derivative per layer. σ'(z) ≤ 1/4, so with sigmoid it shrinks roughly 4×
per layer (vanishing gradients); tanh' ≤ 1 shrinks it less; ReLU' is 1 wherever a unit
is active. The example measures the gradient norm of every layer at initialisation
(Glorot for sigmoid/tanh, He for ReLU) and after a few epochs.
"""

from __future__ import annotations

import numpy as np
from _common import parse, save

import mlpkit
from mlpkit import Dense
from mlpkit.plots import _figure, activation_grid


def layer_norms(activation: str, x: np.ndarray, y: np.ndarray, depth: int) -> list[float]:
    layers = [Dense(x.shape[1] if i == 0 else 32, 32, activation) for i in range(depth)]
    net = mlpkit.Sequential([*layers, Dense(32, 2, "softmax")], seed=0)
    out = net.forward(x)
    net.backward(mlpkit.losses.get("cross_entropy").gradient(out, y))
    return [float(np.linalg.norm(layer.dW)) for layer in net.layers[:-1]]


def main() -> None:
    args = parse(__doc__)
    x, y = mlpkit.datasets.moons(n_samples=256, seed=0)
    depth = 10
    fig = _figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for activation in ("sigmoid", "tanh", "relu"):
        norms = layer_norms(activation, x, y, depth)
        ratio = norms[0] / norms[-1]
        print(
            f"{activation:8s} |dL/dW| first layer {norms[0]:.2e}, last hidden {norms[-1]:.2e}, ratio {ratio:.1e}"
        )
        ax.semilogy(range(1, depth + 1), norms, marker="o", label=activation)
    ax.set_xlabel("layer (1 = nearest the input)")
    ax.set_ylabel("gradient norm at initialisation")
    ax.set_title("10 hidden layers of 32 units")
    ax.legend()
    save(fig, args, "vanishing_gradients.png")
    save(
        activation_grid(
            ["sigmoid", "tanh", "relu", "elu", "softplus", "gelu", "leaky_relu", "silu"]
        ),
        args,
        "activations.png",
    )


if __name__ == "__main__":
    main()
