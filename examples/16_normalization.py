"""What normalisation buys a deep sigmoid network: gradients that reach the first layer.

The network of the vanishing-gradient example (10 sigmoid layers of 32 units on the
two-moons data), once plain and once with a BatchNorm between each layer's affine map
and its sigmoid. σ'(z) ≤ 1/4, and in the plain net the pre-activations drift away from
0 where σ' is largest, so the gradient shrinks layer by layer on its way down. BatchNorm
keeps every layer's pre-activations at mean 0 and variance 1 over the batch (then
scaled by the learnt γ, β), so σ' stays near its maximum. The example prints the
per-layer gradient norms at initialisation (training mode), and the training loss and
accuracy after the same number of epochs. The training loss is the claim's measure: the
accuracy is computed in inference mode, from BatchNorm's running estimates, which lag
the batch statistics for the first epochs of a fast-moving fit.
"""

from __future__ import annotations

import numpy as np
from _common import parse, save

import mlpkit
from mlpkit import Dense
from mlpkit.plots import _figure

DEPTH, WIDTH = 10, 32


def network(batch_norm: bool, n_in: int) -> mlpkit.Sequential:
    widths = [n_in] + [WIDTH] * DEPTH + [2]
    layers = mlpkit.layers.dense_stack(widths, "sigmoid", "softmax", batch_norm=batch_norm)
    return mlpkit.Sequential(layers, seed=0)


def dense_gradient_norms(net: mlpkit.Sequential, x: np.ndarray, y: np.ndarray) -> list[float]:
    """|dL/dW| of each hidden Dense layer, input side first, for one training-mode pass."""
    head = net.head("cross_entropy")
    net.loss_and_gradients(x, head.prepare_targets(y, 2, net.dtype, len(x)), head)
    return [float(np.linalg.norm(ly.dW)) for ly in net.layers if isinstance(ly, Dense)][:-1]


def main() -> None:
    args = parse(__doc__)
    x, y = mlpkit.datasets.moons(n_samples=512, noise=0.15, seed=0)
    x = x.astype(np.float32)
    epochs = 5 if args.fast else 40
    fig = _figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for batch_norm in (False, True):
        net = network(batch_norm, x.shape[1])
        norms = dense_gradient_norms(net, x, y)
        label = "with BatchNorm" if batch_norm else "without BatchNorm"
        history = net.fit(
            x, y, optimizer=mlpkit.optimizers.Adam(lr=0.01), epochs=epochs, batch_size=32, verbose=0
        )
        accuracy = float(np.mean(net.predict_classes(x) == y))
        print(
            f"{label:17s} |dL/dW| layer 1 {norms[0]:.2e}, layer {DEPTH} {norms[-1]:.2e}, "
            f"ratio {norms[0] / norms[-1]:.1e}; after {epochs} epochs training loss "
            f"{history['loss'][-1]:.3f}, accuracy {accuracy:.3f}"
        )
        ax.semilogy(range(1, DEPTH + 1), norms, marker="o", label=label)
    ax.set_xlabel("hidden layer (1 = nearest the input)")
    ax.set_ylabel("gradient norm at initialisation")
    ax.set_title(f"{DEPTH} sigmoid layers of {WIDTH} units")
    ax.legend()
    save(fig, args, "normalization.png")


if __name__ == "__main__":
    main()
