"""The worksheet's demo on MNIST: an autoencoder with a 2-D bottleneck, its latent scatter,
a traversal grid, the comparison with PCA-2, and the latent-space explorer page.

Needs the MNIST IDX files: pass --data FOLDER, or set MLPKIT_DATA, or add --download.
Without them it says where to put them and exits without error.
"""

from __future__ import annotations

from pathlib import Path

from _common import parse

import mlpkit
from mlpkit.autoencoder import Autoencoder
from mlpkit.explorer import write_html
from mlpkit.plots import latent_scatter, latent_traversal, reconstructions
from mlpkit.reduction import compare_with_pca


def main() -> None:
    def options(parser):
        parser.add_argument(
            "--data", type=Path, default=None, help="folder with the MNIST IDX files"
        )
        parser.add_argument(
            "--download", action="store_true", help="fetch the files (needs network)"
        )

    args = parse(__doc__, options)
    try:
        x, y = mlpkit.datasets.load_mnist(args.data, "train", download=args.download)
    except FileNotFoundError as exc:
        print(f"MNIST not available: {exc}")
        return
    n = 2000 if args.fast else 20000
    x, y = x[:n], y[:n]
    ae = Autoencoder([784, 256, 64, 2], activation="relu", seed=0)
    ae.fit(
        x,
        epochs=3 if args.fast else 30,
        batch_size=128,
        optimizer=mlpkit.optimizers.Adam(lr=1e-3),
        verbose=0,
    )
    result = compare_with_pca(ae, x, n_neighbors=10, max_points=1000)
    for name, r in result.items():
        print(
            f"{name:12s} reconstruction MSE {r['reconstruction_mse']:.4f}  trustworthiness "
            f"{r['trustworthiness']:.3f}  kNN preserved {r['knn_preservation']:.3f}"
        )
    latent_scatter(ae.encode(x), y, title="MNIST, 2-D bottleneck").savefig(
        args.out / "mnist_latent.png", dpi=100
    )
    reconstructions(ae, x, (28, 28), n=12).savefig(args.out / "mnist_reconstructions.png", dpi=100)
    latent_traversal(ae, (28, 28)).savefig(args.out / "mnist_traversal.png", dpi=100)
    page = write_html(
        ae, args.out / "mnist_explorer.html", samples=x[:300], labels=y[:300], image_shape=(28, 28)
    )
    print(f"figures and explorer page in {args.out} ({page.name})")


if __name__ == "__main__":
    main()
