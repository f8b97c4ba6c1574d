"""The worksheet, Problem 1: N samples with k1 features through a layer with k2 outputs.

    X: (N, k1)   W: (k1, k2)   b: (k2,)   Y = X W + b: (N, k2)

The bias is one value per output, added to every row (broadcast).
"""

from __future__ import annotations

import numpy as np
from _common import parse, save

import mlpkit
from mlpkit.plots import network_diagram


def main() -> None:
    args = parse(__doc__)
    rng = np.random.default_rng(0)
    for n, k1, k2 in [(5, 3, 2), (100, 784, 10), (1, 2, 1)]:
        layer = mlpkit.Dense(k1, k2)
        net = mlpkit.Sequential([layer], seed=0)
        x = rng.normal(size=(n, k1)).astype(np.float32)
        y = net.predict(x)
        assert np.allclose(y, x @ layer.W + layer.b, atol=1e-5)
        print(
            f"N={n:3d} k1={k1:3d} k2={k2:2d}:  X {x.shape}  W {layer.W.shape}  b {layer.b.shape}  Y {y.shape}"
        )
    net = mlpkit.Sequential([mlpkit.Dense(3, 4, "relu"), mlpkit.Dense(4, 2, "softmax")], seed=0)
    net.summary()
    save(
        network_diagram(net, title="3 → 4 → 2, with the biases and activations"),
        args,
        "shapes_network.png",
    )


if __name__ == "__main__":
    main()
