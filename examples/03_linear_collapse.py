"""Chapter 1 of the notes and the optimisation slides: without activation functions,
stacked layers collapse into one linear map, y = U(Wx) = W'x with W' = UW — so depth
adds nothing. With a
nonlinearity the same architecture can draw a curved decision boundary.
"""

from __future__ import annotations

import numpy as np
from _common import parse, save

import mlpkit
from mlpkit import Dense
from mlpkit.plots import decision_boundary


def main() -> None:
    args = parse(__doc__)
    x, y = mlpkit.datasets.moons(n_samples=300, noise=0.1, seed=0)
    epochs = 60 if args.fast else 300
    results = {}
    for name, activation in (("linear", None), ("tanh", "tanh")):
        net = mlpkit.Sequential(
            [Dense(2, 16, activation), Dense(16, 16, activation), Dense(16, 2, "softmax")],
            seed=0,
            dtype="float64",
        )
        net.fit(
            x, y, optimizer=mlpkit.optimizers.Adam(lr=0.02), epochs=epochs, batch_size=32, verbose=0
        )
        results[name] = net
        print(
            f"{name:6s} hidden layers: training accuracy {np.mean(net.predict_classes(x) == y):.3f}"
        )
    W1, b1, W2, b2, W3, b3 = results["linear"].get_weights()
    single = mlpkit.Sequential([Dense(2, 2, "softmax")], dtype="float64")
    single.set_weights([W1 @ W2 @ W3, (b1 @ W2 + b2) @ W3 + b3])
    gap = np.max(np.abs(single.predict(x) - results["linear"].predict(x)))
    print(f"the 3-layer linear net equals one layer W' = W1 W2 W3: max difference {gap:.1e}")
    save(
        decision_boundary(results["linear"], x, y, title="no activations: a straight line"),
        args,
        "linear_boundary.png",
    )
    save(
        decision_boundary(results["tanh"], x, y, title="tanh activations: a curve"),
        args,
        "tanh_boundary.png",
    )


if __name__ == "__main__":
    main()
