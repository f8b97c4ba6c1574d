"""Measuring a dimensionality reduction, and the PCA baseline to measure it against.

The worksheet: a successful reduction keeps points that were far apart far apart; a failed
one squeezes them together or onto a line regardless of their original layout. Two
neighbourhood measures capture that, both 1.0 for a perfect reduction:

* :func:`trustworthiness` (Venna & Kaski 2001, as in scikit-learn): penalises points
  that become near neighbours in the reduction without being neighbours originally,
  weighted by how far down the original ranking they were.
* :func:`knn_preservation`: the mean fraction of each point's k nearest neighbours in
  the input that are still among its k nearest neighbours in the reduction.

:class:`PCA` is the linear baseline, computed from NumPy's SVD. Both measures build
N×N distance matrices: meant for N up to a few thousand (subsample beyond that).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import numpy as np

if TYPE_CHECKING:
    from .autoencoder import Autoencoder

__all__ = ["PCA", "compare_with_pca", "knn_preservation", "trustworthiness"]


def _sq_distances(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    sq = np.einsum("ij,ij->i", x, x)
    d = sq[:, None] + sq[None, :] - 2.0 * (x @ x.T)
    np.maximum(d, 0.0, out=d)
    np.fill_diagonal(d, np.inf)  # a point is not its own neighbour
    return cast("np.ndarray", d)


def _check(x: np.ndarray, z: np.ndarray, k: int) -> None:
    if len(x) != len(z):
        raise ValueError(f"X has {len(x)} rows but the reduction has {len(z)}")
    if not 1 <= k < len(x) / 2:
        raise ValueError(f"n_neighbors must be in [1, N/2) = [1, {len(x) / 2:g}), got {k}")


def _neighbours(d: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k nearest neighbours of every row: (N, k), nearest first."""
    part = np.argpartition(d, k, axis=1)[:, :k]
    rows = np.arange(d.shape[0])[:, None]
    return part[rows, np.argsort(d[rows, part], axis=1, kind="stable")]


def trustworthiness(x: np.ndarray, z: np.ndarray, n_neighbors: int = 5) -> float:
    """T(k) = 1 − 2 / (N k (2N − 3k − 1)) · Σ_i Σ_{j ∈ U_i} (r(i, j) − k), where U_i are
    the k nearest neighbours of i in z that are not among its k nearest in x, and
    r(i, j) is j's rank among i's neighbours in x (1 = nearest). X: (N, d), Z: (N, k).

    Parameters
    ----------
    x : ndarray of shape (N, d)
        The data.
    z : ndarray of shape (N, k)
        Its low-dimensional codes.
    n_neighbors : int, default 5
        k.

    Returns
    -------
    float
        In [0, 1]; 1 brings no false neighbours.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.reduction import trustworthiness
    >>> X = np.random.default_rng(0).normal(size=(50, 5))
    >>> trustworthiness(X, X[:, :5], n_neighbors=5)
    1.0
    """
    _check(x, z, n_neighbors)
    n, k = len(x), n_neighbors
    order_x = np.argsort(_sq_distances(x), axis=1, kind="stable")
    ranks = np.empty((n, n), dtype=np.int64)
    ranks[np.arange(n)[:, None], order_x] = np.arange(1, n + 1)[None, :]
    nz = _neighbours(_sq_distances(z), k)
    r = ranks[np.arange(n)[:, None], nz] - k
    penalty = np.where(r > 0, r, 0).sum()
    return float(1.0 - 2.0 / (n * k * (2.0 * n - 3.0 * k - 1.0)) * penalty)


def knn_preservation(x: np.ndarray, z: np.ndarray, n_neighbors: int = 10) -> float:
    """The mean over points of ``|kNN_x(i) ∩ kNN_z(i)| / k``.

    Parameters
    ----------
    x : ndarray of shape (N, d)
        The data.
    z : ndarray of shape (N, k)
        Its low-dimensional codes.
    n_neighbors : int, default 10
        k.

    Returns
    -------
    float
        In [0, 1]; 1 keeps every neighbourhood.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.reduction import knn_preservation
    >>> X = np.random.default_rng(0).normal(size=(50, 5))
    >>> knn_preservation(X, X, n_neighbors=5)
    1.0
    """
    _check(x, z, n_neighbors)
    nx = _neighbours(_sq_distances(x), n_neighbors)
    nz = _neighbours(_sq_distances(z), n_neighbors)
    shared = [np.intersect1d(a, b, assume_unique=True).size for a, b in zip(nx, nz, strict=True)]
    return float(np.mean(shared) / n_neighbors)


class PCA:
    """Principal component analysis by the SVD of the centred data.

    ``fit(X)`` stores ``mean_`` (d,), ``components_`` (k, d) (orthonormal rows, by
    decreasing variance) and ``explained_variance_ratio_`` (k,); ``transform`` maps
    (N, d) -> (N, k), ``inverse_transform`` (N, k) -> (N, d).

    Parameters
    ----------
    n_components : int
        k, the components kept.

    Examples
    --------
    >>> import mlpkit
    >>> X, _ = mlpkit.datasets.load_digits()
    >>> pca = mlpkit.reduction.PCA(2).fit(X)
    >>> pca.transform(X).shape, pca.components_.shape, pca.inverse_transform(pca.transform(X[:3])).shape
    ((1797, 2), (2, 64), (3, 64))
    """

    def __init__(self, n_components: int) -> None:
        if n_components < 1:
            raise ValueError(f"n_components must be >= 1, got {n_components}")
        self.n_components = int(n_components)

    def fit(self, x: np.ndarray) -> PCA:
        xa = np.asarray(x, dtype=np.float64)
        if self.n_components > min(xa.shape):
            raise ValueError(
                f"n_components={self.n_components} exceeds min(N, d) = {min(xa.shape)}"
            )
        self.mean_ = xa.mean(axis=0)
        _, s, vt = np.linalg.svd(xa - self.mean_, full_matrices=False)
        # fix the sign so results do not depend on the LAPACK build
        signs = np.sign(vt[np.arange(vt.shape[0]), np.argmax(np.abs(vt), axis=1)])
        vt *= signs[:, None]
        variance = s**2 / max(1, len(xa) - 1)
        self.components_ = vt[: self.n_components]
        self.explained_variance_ = variance[: self.n_components]
        self.explained_variance_ratio_ = self.explained_variance_ / variance.sum()
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        return cast(
            "np.ndarray", (np.asarray(x, dtype=np.float64) - self.mean_) @ self.components_.T
        )

    def fit_transform(self, x: np.ndarray) -> np.ndarray:
        return self.fit(x).transform(x)

    def inverse_transform(self, z: np.ndarray) -> np.ndarray:
        return cast("np.ndarray", np.asarray(z, dtype=np.float64) @ self.components_ + self.mean_)

    def reconstruction_error(self, x: np.ndarray) -> np.ndarray:
        """Each sample's mean squared error of the rank-k reconstruction.

        Parameters
        ----------
        x : ndarray of shape (N, d)
            The data.

        Returns
        -------
        ndarray of shape (N,)
            The errors.
        """
        xa = np.asarray(x, dtype=np.float64)
        diff = self.inverse_transform(self.transform(xa)) - xa
        return cast("np.ndarray", np.mean(diff * diff, axis=1))


def compare_with_pca(
    autoencoder: Autoencoder,
    x: np.ndarray,
    n_neighbors: int = 10,
    max_points: int = 2000,
    seed: int = 0,
    scale: np.ndarray | float | None = None,
) -> dict[str, dict[str, float]]:
    """Reconstruction MSE, trustworthiness and kNN preservation: the autoencoder against PCA.

    PCA has as many components as the bottleneck and is fitted on X. The neighbourhood
    measures use at most ``max_points`` rows (a seeded subsample).

    Parameters
    ----------
    autoencoder : Autoencoder
        A fitted autoencoder.
    x : ndarray of shape (N, d)
        The data.
    n_neighbors : int, default 10
        k of the neighbourhood measures.
    max_points : int, default 2000
        The subsample's size.
    seed : int, default 0
        Draws it.
    scale : ndarray of shape (d,) or float, optional
        X's columns were divided by it (standardised, say): the MSE is then reported in
        the data's own units, ((x̂ − x) · scale)² averaged.

    Returns
    -------
    dict
        ``{"autoencoder": {...}, "pca": {...}}``, each with ``reconstruction_mse``,
        ``trustworthiness`` and ``knn_preservation``.

    Examples
    --------
    >>> import mlpkit
    >>> X, _ = mlpkit.datasets.load_digits()
    >>> ae = mlpkit.Autoencoder([64, 16, 2], seed=0)
    >>> history = ae.fit(X[:300], epochs=2, verbose=0)
    >>> report = mlpkit.reduction.compare_with_pca(ae, X[:300])
    >>> sorted(report), sorted(report["pca"])
    (['autoencoder', 'pca'], ['knn_preservation', 'reconstruction_mse', 'trustworthiness'])
    """
    xa = np.asarray(x, dtype=np.float64)
    pca = PCA(autoencoder.latent_dim).fit(xa)
    rows = np.arange(len(xa))
    if len(xa) > max_points:
        rows = np.sort(np.random.default_rng(seed).choice(len(xa), max_points, replace=False))
    units = (
        np.ones(xa.shape[1])
        if scale is None
        else np.broadcast_to(np.asarray(scale, float), xa.shape[1:])
    )

    def error(reconstruction: np.ndarray) -> np.ndarray:
        diff = (np.asarray(reconstruction, dtype=np.float64) - xa) * units
        return cast("np.ndarray", np.mean(diff * diff, axis=1))

    result = {}
    for name, codes, err in (
        ("autoencoder", autoencoder.encode(xa[rows]), error(autoencoder.reconstruct(xa))),
        ("pca", pca.transform(xa[rows]), error(pca.inverse_transform(pca.transform(xa)))),
    ):
        result[name] = {
            "reconstruction_mse": float(np.mean(err)),
            "trustworthiness": trustworthiness(xa[rows], codes, n_neighbors),
            "knn_preservation": knn_preservation(xa[rows], codes, n_neighbors),
        }
    return result
