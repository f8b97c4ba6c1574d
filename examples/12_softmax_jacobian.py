"""The backpropagation handout: the softmax Jacobian is ∂ŷ/∂z = diag(ŷ) − ŷŷᵀ. Checked against central
differences, and the fused gradient of softmax + cross-entropy, ŷ − y, against the
chain rule through that Jacobian.
"""

from __future__ import annotations

import numpy as np
from _common import parse, save

from mlpkit.activations import Softmax
from mlpkit.plots import _figure


def main() -> None:
    args = parse(__doc__)
    z = np.array([[2.0, 1.0, 0.1, -1.0]])
    sm = Softmax()
    y_hat = sm.forward(z)[0]
    analytic = np.diag(y_hat) - np.outer(y_hat, y_hat)
    eps = 1e-6
    numeric = np.empty((4, 4))
    for j in range(4):
        e = np.zeros((1, 4))
        e[0, j] = eps
        numeric[:, j] = (sm.forward(z + e)[0] - sm.forward(z - e)[0]) / (2 * eps)
    print("ŷ =", np.round(y_hat, 4))
    print("diag(ŷ) − ŷŷᵀ =\n", np.round(analytic, 4))
    print(f"max |analytic − finite differences| = {np.max(np.abs(analytic - numeric)):.1e}")
    target = np.array([0.0, 1.0, 0.0, 0.0])
    chain = (-target / y_hat) @ analytic  # ∂(−Σ t log ŷ)/∂ŷ through the Jacobian
    print(
        f"chain rule through the Jacobian: {np.round(chain, 6)}; fused ŷ − y: {np.round(y_hat - target, 6)}"
    )
    fig = _figure(figsize=(8, 3.6), layout="constrained")
    for i, (title, m) in enumerate((("diag(ŷ) − ŷŷᵀ", analytic), ("finite differences", numeric))):
        ax = fig.add_subplot(1, 2, i + 1)
        ax.imshow(m, cmap="coolwarm", vmin=-0.25, vmax=0.25)
        for (r, c), v in np.ndenumerate(m):
            ax.text(c, r, f"{v:.3f}", ha="center", va="center", fontsize="x-small")
        ax.set_title(title)
    save(fig, args, "softmax_jacobian.png")


if __name__ == "__main__":
    main()
