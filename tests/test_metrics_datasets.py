"""Metrics against scikit-learn's definitions; data sets and encodings."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from mlpkit import datasets, metrics


@pytest.mark.parametrize("seed", range(5))
def test_classification_metrics_match_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    t, p = rng.integers(0, 4, 50), rng.integers(0, 5, 50)
    assert metrics.accuracy_score(t, p) == pytest.approx(skm.accuracy_score(t, p))
    kw = {"average": "macro", "zero_division": 0}
    assert metrics.precision_score(t, p) == pytest.approx(skm.precision_score(t, p, **kw))
    assert metrics.recall_score(t, p) == pytest.approx(skm.recall_score(t, p, **kw))
    assert metrics.f1_score(t, p) == pytest.approx(skm.f1_score(t, p, **kw))


def test_regression_metrics_match_scikit_learn(rng):
    t, p = rng.normal(size=(30, 3)), rng.normal(size=(30, 3))
    assert metrics.mean_squared_error(t, p) == pytest.approx(skm.mean_squared_error(t, p))
    assert metrics.mean_absolute_error(t, p) == pytest.approx(skm.mean_absolute_error(t, p))
    assert metrics.r2_score(t, p) == pytest.approx(skm.r2_score(t, p))
    assert metrics.r2_score(t[:, 0], t[:, 0]) == 1.0


def test_metric_lookup():
    assert metrics.get("acc").name == "accuracy"
    with pytest.raises(ValueError, match="unknown metric 'auc'"):
        metrics.get("auc")


def test_xor_is_seed_001_order():
    x, y = datasets.xor()
    assert x.tolist() == [[1, 0], [0, 0], [0, 1], [1, 1]] and y.tolist() == [1, 0, 1, 0]
    assert datasets.xor(repeat=3)[0].shape == (12, 2)


def test_one_hot_is_seed_004_encoding_and_inverts():
    y = np.array([0, 1, 2, 1])
    oh = datasets.one_hot(y, 3)
    assert oh.tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0]]
    np.testing.assert_array_equal(datasets.from_one_hot(oh), y)
    with pytest.raises(ValueError, match=r"labels must lie in 0..1"):
        datasets.one_hot(y, 2)


def test_one_hot_without_a_class_count_has_one_column_per_class_up_to_the_largest():
    assert datasets.one_hot(np.array([2, 0])).tolist() == [[0, 0, 1], [1, 0, 0]]
    assert datasets.one_hot(np.array([0, 0])).shape == (2, 1)
    assert datasets.one_hot(np.array([1.0, 3.0]), dtype="float64").dtype == np.float64
    with pytest.raises(ValueError, match="integer class labels"):
        datasets.one_hot(np.array([0.5, 1.0]))


@pytest.mark.parametrize("maker", [datasets.spirals, datasets.moons, datasets.circles])
def test_toy_sets_are_seeded(maker):
    a, b = maker(seed=1), maker(seed=1)
    np.testing.assert_array_equal(a[0], b[0])
    assert a[0].shape[1] == 2 and len(a[0]) == len(a[1])
    assert not np.array_equal(a[0], maker(seed=2)[0])


def test_regression_1d_and_split():
    x, y = datasets.regression_1d("abs", n_samples=50)
    np.testing.assert_allclose(y, np.abs(x), atol=1e-6)
    x, y = datasets.regression_1d(lambda v: v**2, n_samples=11, low=-1, high=1)
    np.testing.assert_allclose(y, x**2, atol=1e-6)
    with pytest.raises(ValueError, match="fn must be one of"):
        datasets.regression_1d("cos")
    xd, yd = datasets.load_digits()
    xtr, xte, _, yte = datasets.train_test_split(xd, yd, test_size=0.25, seed=0)
    assert len(xte) + len(xtr) == 1797 and abs(len(xte) - 450) <= 10
    # stratified: every digit keeps its share
    np.testing.assert_allclose(np.bincount(yte) / len(yte), np.bincount(yd) / len(yd), atol=0.01)
