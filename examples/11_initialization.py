"""The worksheet, "further explorations": weight initialisation against exploding and
vanishing gradients. All-zero weights leave every hidden unit identical forever (the
symmetry is never broken); weights drawn far too large make activations and gradients
explode through a deep net; Glorot (tanh) and He (ReLU) keep them at a steady scale.
"""

from __future__ import annotations

import numpy as np
from _common import parse, save

import mlpkit
from mlpkit import Dense
from mlpkit.initializers import Constant, Normal
from mlpkit.plots import _figure


def activation_scales(init, activation: str, x: np.ndarray, depth: int = 12) -> list[float]:
    layers = [Dense(x.shape[1] if i == 0 else 64, 64, activation, init=init) for i in range(depth)]
    net = mlpkit.Sequential(layers, seed=0)
    h, scales = x.astype(np.float32), []
    for layer in net.layers:
        h = layer.call(h)
        scales.append(float(np.std(h)))
    return scales


def main() -> None:
    args = parse(__doc__)
    x, y = mlpkit.datasets.moons(n_samples=200, seed=0)
    zero = mlpkit.Sequential(
        [Dense(2, 8, "tanh", init=Constant(0.0)), Dense(8, 2, "softmax", init=Constant(0.0))],
        seed=0,
    )
    zero.fit(
        x, y, optimizer=mlpkit.optimizers.Adam(lr=0.05), epochs=20 if args.fast else 100, verbose=0
    )
    w = zero.get_weights()[0]
    print(
        f"zero init: after training, the 8 hidden units have {len(np.unique(w.round(6), axis=1).T)} distinct "
        f"weight vectors; accuracy {np.mean(zero.predict_classes(x) == y):.2f}"
    )
    fig = _figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    x64 = np.random.default_rng(0).normal(size=(256, 64))
    for label, init, act in (
        ("N(0, 1) weights, tanh", Normal(1.0), "tanh"),
        ("N(0, 1) weights, relu", Normal(1.0), "relu"),
        ("Glorot, tanh", "glorot_uniform", "tanh"),
        ("He, relu", "he_normal", "relu"),
        ("N(0, 0.01), tanh", Normal(0.01), "tanh"),
    ):
        scales = activation_scales(init, act, x64)
        print(f"{label:24s} activation std at layer 1: {scales[0]:.3g}, layer 12: {scales[-1]:.3g}")
        ax.semilogy(range(1, 13), scales, marker="o", label=label)
    ax.set_xlabel("layer")
    ax.set_ylabel("std of the activations")
    ax.legend(fontsize="small")
    save(fig, args, "initialization.png")


if __name__ == "__main__":
    main()
