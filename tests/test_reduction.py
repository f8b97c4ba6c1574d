"""PCA against scikit-learn, and the neighbourhood measures on data whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA as SkPCA
from sklearn.manifold import trustworthiness as sk_trustworthiness

from mlpkit.reduction import PCA, knn_preservation, trustworthiness


def test_pca_matches_scikit_learn(rng):
    x = rng.normal(size=(80, 6)) @ rng.normal(size=(6, 6))
    ours, theirs = PCA(3).fit(x), SkPCA(3).fit(x)
    np.testing.assert_allclose(
        ours.explained_variance_ratio_, theirs.explained_variance_ratio_, rtol=1e-10
    )
    np.testing.assert_allclose(np.abs(ours.components_), np.abs(theirs.components_), atol=1e-10)
    np.testing.assert_allclose(np.abs(ours.transform(x)), np.abs(theirs.transform(x)), atol=1e-9)
    np.testing.assert_allclose(
        ours.inverse_transform(ours.transform(x)),
        theirs.inverse_transform(theirs.transform(x)),
        atol=1e-9,
    )


def test_pca_recovers_a_plane_exactly(rng):
    plane = rng.normal(size=(100, 2))
    x = plane @ rng.normal(size=(2, 7)) + 3.0
    pca = PCA(2).fit(x)
    assert np.max(pca.reconstruction_error(x)) < 1e-20
    assert trustworthiness(x, pca.transform(x), 5) == pytest.approx(1.0)
    assert knn_preservation(x, pca.transform(x), 5) == pytest.approx(1.0)


@pytest.mark.parametrize("k", [1, 5, 12])
def test_trustworthiness_matches_scikit_learn(k, rng):
    x, z = rng.normal(size=(60, 5)), rng.normal(size=(60, 2))
    assert trustworthiness(x, z, k) == pytest.approx(
        sk_trustworthiness(x, z, n_neighbors=k), abs=1e-12
    )


def test_measures_are_one_for_isometries_and_drop_for_a_collapse(rng):
    """The worksheet: a failed reduction puts points on a line whatever their layout."""
    x = rng.normal(size=(150, 3))
    rotation, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    assert trustworthiness(x, 2.5 * x @ rotation, 10) == pytest.approx(1.0)
    assert knn_preservation(x, x @ rotation, 10) == pytest.approx(1.0)
    line = np.c_[x[:, 0], np.zeros(150)]
    good = x[:, :2]
    assert trustworthiness(x, line, 10) < trustworthiness(x, good, 10)
    assert knn_preservation(x, line, 10) < knn_preservation(x, good, 10)
    random = rng.normal(size=(150, 2))
    assert knn_preservation(x, random, 10) < 0.2


def test_argument_checks(rng):
    with pytest.raises(ValueError, match="X has 10 rows but the reduction has 9"):
        trustworthiness(rng.normal(size=(10, 2)), rng.normal(size=(9, 2)))
    with pytest.raises(ValueError, match="n_neighbors must be in"):
        knn_preservation(rng.normal(size=(10, 2)), rng.normal(size=(10, 2)), 5)
    with pytest.raises(ValueError, match="exceeds min"):
        PCA(5).fit(rng.normal(size=(4, 3)))
