"""The worksheet, section 3: an autoencoder with a 2-D bottleneck on the 8×8 digits, its
latent scatter, a traversal of the bottleneck, the comparison with PCA-2, and the
latent-space explorer page (open explorer_digits.html in a browser).
"""

from __future__ import annotations

from _common import parse, save

import mlpkit
from mlpkit import Autoencoder
from mlpkit.explorer import write_html
from mlpkit.plots import latent_scatter, latent_traversal
from mlpkit.reduction import compare_with_pca


def main() -> None:
    args = parse(__doc__)
    x, y = mlpkit.datasets.load_digits()
    ae = Autoencoder([64, 128, 32, 2], seed=0)
    ae.fit(
        x,
        epochs=5 if args.fast else 60,
        batch_size=32,
        optimizer=mlpkit.optimizers.Adam(lr=2e-3),
        verbose=0,
    )
    for name, r in compare_with_pca(ae, x).items():
        print(
            f"{name:12s} reconstruction MSE {r['reconstruction_mse']:.4f}  "
            f"trustworthiness {r['trustworthiness']:.3f}  kNN preserved {r['knn_preservation']:.3f}"
        )
    save(
        latent_scatter(ae.encode(x), y, title="digits, 2-D bottleneck"),
        args,
        "autoencoder_latent.png",
    )
    save(latent_traversal(ae, (8, 8)), args, "autoencoder_traversal.png")
    page = write_html(
        ae, args.out / "explorer_digits.html", samples=x[:200], labels=y[:200], image_shape=(8, 8)
    )
    print(f"explorer page: {page}")


if __name__ == "__main__":
    main()
