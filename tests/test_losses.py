"""Losses: values by their formulas, gradients by finite differences, label formats,
the logits forms and the fused heads at extreme logits."""

from __future__ import annotations

import numpy as np
import pytest

from mlpkit import activations as A
from mlpkit import losses as L
from mlpkit.datasets import one_hot
from mlpkit.heads import OutputHead, default_loss


def _probs(rng, n, c):
    z = rng.normal(size=(n, c))
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def test_squared_loss_is_half_sum_of_squares_averaged_over_samples():
    """Chapter 1 of the notes: L = ½ Σ (t − y)²; the backpropagation handout: l = (1/N) Σ l_i."""
    y = np.array([[0.743], [0.183], [0.743], [0.334]])
    t = np.array([1, 0, 1, 0])
    per = 0.5 * (t - y[:, 0]) ** 2
    assert L.get("squared")(y, t) == pytest.approx(per.mean())
    np.testing.assert_allclose(L.get("squared").gradient(y, t), (y - t[:, None]) / 4)


def test_mse_averages_over_all_elements(rng):
    p, t = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    assert L.get("mse")(p, t) == pytest.approx(np.mean((p - t) ** 2))
    assert L.get("mae")(p, t) == pytest.approx(np.mean(np.abs(p - t)))
    e = p - t
    huber = np.where(np.abs(e) <= 1, 0.5 * e**2, np.abs(e) - 0.5)
    assert L.get("huber")(p, t) == pytest.approx(huber.mean())


def test_cross_entropy_labels_and_one_hot_agree(rng):
    p = _probs(rng, 6, 4)
    labels = rng.integers(0, 4, size=6)
    ce = L.get("cross_entropy")
    want = -np.log(p[np.arange(6), labels]).mean()
    assert ce(p, labels) == pytest.approx(want)
    assert ce(p, one_hot(labels, 4)) == pytest.approx(want)
    np.testing.assert_allclose(ce.gradient(p, labels), ce.gradient(p, one_hot(labels, 4)))


def test_binary_cross_entropy_value(rng):
    p = rng.uniform(0.05, 0.95, size=(8, 1))
    t = rng.integers(0, 2, size=8)
    want = -np.mean(t * np.log(p[:, 0]) + (1 - t) * np.log(1 - p[:, 0]))
    assert L.get("bce")(p, t) == pytest.approx(want)


def test_logits_forms_equal_probability_forms(rng):
    z = rng.normal(size=(7, 5))
    p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
    labels = rng.integers(0, 5, size=7)
    assert L.CrossEntropy(from_logits=True)(z, labels) == pytest.approx(L.CrossEntropy()(p, labels))
    zb = rng.normal(size=(7, 1))
    tb = rng.integers(0, 2, size=7)
    assert L.BinaryCrossEntropy(from_logits=True)(zb, tb) == pytest.approx(
        L.BinaryCrossEntropy()(1 / (1 + np.exp(-zb)), tb)
    )


CASES = [
    ("squared", {}, "values"),
    ("mse", {}, "values"),
    ("half_squared_error", {}, "values"),
    ("mae", {}, "values"),
    ("huber", {"delta": 0.7}, "values"),
    ("binary_cross_entropy", {}, "probs01"),
    ("binary_cross_entropy", {"from_logits": True}, "logits01"),
    ("cross_entropy", {}, "probs"),
    ("cross_entropy", {"from_logits": True}, "logits"),
    ("poisson", {}, "rates"),
    ("poisson", {"from_logits": True}, "log_rates"),
]


@pytest.mark.parametrize(("name", "config", "kind"), CASES)
def test_gradient_matches_finite_differences(name, config, kind, rng):
    loss = L.get(name, **config)
    n, c = 6, 3
    if kind == "values":
        p, t = rng.normal(size=(n, c)), rng.normal(size=(n, c))
    elif kind == "probs01":
        p, t = rng.uniform(0.1, 0.9, size=(n, c)), rng.uniform(0, 1, size=(n, c))
    elif kind == "logits01":
        p, t = rng.normal(size=(n, c)), rng.uniform(0, 1, size=(n, c))
    elif kind == "probs":
        p, t = _probs(rng, n, c), rng.integers(0, c, size=n)
    elif kind in ("rates", "log_rates"):
        t = rng.poisson(2.0, size=(n, c)).astype(float)  # counts, zeros included
        p = rng.uniform(0.3, 4.0, size=(n, c)) if kind == "rates" else rng.normal(size=(n, c))
    else:
        p, t = (
            rng.normal(size=(n, c)),
            one_hot(rng.integers(0, c, size=n), c, "float64") * 0.8 + 0.05,
        )
    w = rng.uniform(0.5, 2.0, size=n)
    for weights in (None, w):
        g = loss.gradient(p, t, sample_weight=weights)
        numeric = np.zeros_like(p)
        eps = 1e-6
        for idx in np.ndindex(p.shape):
            q = p.copy()
            q[idx] += eps
            up = loss(q, t, sample_weight=weights)
            q[idx] -= 2 * eps
            numeric[idx] = (up - loss(q, t, sample_weight=weights)) / (2 * eps)
        np.testing.assert_allclose(g, numeric, rtol=1e-6, atol=1e-9)


def test_sample_weights_scale_each_term(rng):
    p, t = rng.normal(size=(4, 2)), rng.normal(size=(4, 2))
    w = np.array([1.0, 0.0, 2.0, 1.0])
    per = L.get("mse").per_sample(p, t)
    assert L.get("mse")(p, t, sample_weight=w) == pytest.approx(np.dot(w, per) / 4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logit_losses_are_finite_at_plus_minus_1e4(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], dtype=dtype)
    labels = np.array([1, 1])
    ce = L.CrossEntropy(from_logits=True)
    value, grad = ce.value_and_grad(z, labels)
    assert np.isfinite(value) and np.all(np.isfinite(grad)) and grad.dtype == np.dtype(dtype)
    assert value == pytest.approx(
        1e4, rel=1e-6
    )  # the first row is 2e4 nats wrong, the second right
    zb = np.array([[1e4], [-1e4]], dtype=dtype)
    bce = L.BinaryCrossEntropy(from_logits=True)
    value, grad = bce.value_and_grad(zb, bce.prepare_targets(np.array([0, 0]), 1, np.dtype(dtype)))
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, [[0.5], [0.0]])


def test_probability_losses_stay_finite_at_0_and_1():
    p = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    ce = L.CrossEntropy()
    assert np.isfinite(ce(p, np.array([1, 1])))
    assert np.all(np.isfinite(ce.gradient(p, np.array([1, 1]))))


def test_fused_pairs_are_exactly_the_valid_ones():
    def fused(activation, loss):
        return OutputHead(A.get(activation), loss).fused

    assert fused("softmax", L.CrossEntropy())
    assert fused("sigmoid", L.BinaryCrossEntropy())
    assert fused("exp", L.PoissonDeviance())
    assert not fused("softmax", L.MeanSquaredError())
    assert not fused("sigmoid", L.CrossEntropy())
    assert not fused("softmax", L.CrossEntropy(from_logits=True))
    assert not OutputHead(A.Softmax(), L.CrossEntropy(), fused=False).fused


def test_target_errors_name_the_problem():
    p = np.full((3, 4), 0.25)
    with pytest.raises(
        ValueError, match=r"label 4 at row 2 is outside 0..3 \(the output layer has 4 units\)"
    ):
        L.CrossEntropy()(p, [0, 1, 4])
    with pytest.raises(ValueError, match="whole numbers"):
        L.CrossEntropy()(p, [0.5, 1, 2])
    with pytest.raises(ValueError, match=r"targets have 2 rows but there are 3 samples"):
        L.CrossEntropy()(p, [0, 1])
    with pytest.raises(ValueError, match=r"must have shape \(N, 4\)"):
        L.get("mse")(p, np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        L.get("bce")(np.full((2, 1), 0.5), [0, 2])
    with pytest.raises(ValueError, match="non-finite"):
        L.get("mse")(p, np.full((3, 4), np.nan))
    with pytest.raises(ValueError, match="must be numeric"):
        L.get("mse")(p, [["a"] * 4] * 3)
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        L.get("hinge")


def _reference_cross_entropy(z, t, w):
    """Softmax cross-entropy in float64, written out: (mean loss, dL/dz)."""
    z = z.astype(np.float64)
    shifted = z - z.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = one_hot(t, z.shape[1], "float64") if t.ndim == 1 else t
    w = np.ones(len(z)) if w is None else w
    per = -(rows * log_softmax).sum(axis=1)
    grad = (np.exp(log_softmax) * rows.sum(axis=1, keepdims=True) - rows) * (w / len(z))[:, None]
    return float(np.dot(per, w)) / len(z), grad


@pytest.mark.parametrize("n_rows", [3, 20, 400])  # 3·7 and 20·7 logits take the small-batch
# log-sum-exp path (up to SMALL_SOFTMAX), 400·7 the max-shift one
@pytest.mark.parametrize("targets", ["labels", "rows"])
@pytest.mark.parametrize("weighted", [False, True])
def test_fused_softmax_cross_entropy_matches_reference_on_both_paths(
    n_rows, targets, weighted, rng
):
    z = (rng.normal(size=(n_rows, 7)) * 6).astype(np.float32)
    z[0] = [1e4, -1e4, 0, 0, 0, 0, 0]  # extreme logits stay finite on either path
    labels = rng.integers(0, 7, size=n_rows)
    t = labels if targets == "labels" else rng.dirichlet(np.ones(7), size=n_rows) * 1.5
    w = rng.uniform(0.5, 2.0, size=n_rows) if weighted else None
    value, grad = L.CrossEntropy(from_logits=True).value_and_grad(z, t, w)
    ref_value, ref_grad = _reference_cross_entropy(z, t, w)
    assert grad.dtype == np.float32
    assert value == pytest.approx(ref_value, rel=1e-5)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-4, atol=1e-7)


def test_poisson_deviance_is_scikit_learns_and_its_logits_form_agrees(rng):
    t = rng.poisson(3.0, size=(20, 2)).astype(float)
    z = rng.normal(size=(20, 2))
    loss, fused = L.PoissonDeviance(), L.PoissonDeviance(from_logits=True)
    # scikit-learn's poisson_loss: mean over samples of Σ_k [t log(t/ŷ) − t + ŷ]
    t_log_t = np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0)
    want = np.mean(np.sum(t_log_t - t * z - t + np.exp(z), axis=1))
    assert loss(np.exp(z), t) == pytest.approx(want, rel=1e-12)
    assert fused(z, t) == pytest.approx(want, rel=1e-12)
    assert loss(t + (t == 0), t) == pytest.approx(np.mean(np.sum(t == 0, axis=1)))  # ŷ=t: 0
    np.testing.assert_allclose(fused.gradient(z, t), (np.exp(z) - t) / 20, rtol=1e-12)
    assert OutputHead(A.Exp(), loss).fused
    assert default_loss("exp") == "poisson"
    with pytest.raises(ValueError, match="poisson targets must be >= 0"):
        loss(np.ones((2, 1)), np.array([1.0, -1.0]))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_poisson_logits_form_is_finite_and_exact_where_exp_underflows(dtype):
    z = np.array([[-1e4], [1e4], [-200.0]], dtype=dtype)
    t = np.array([[2.0], [0.0], [1.0]], dtype=dtype)
    value, grad = L.PoissonDeviance(from_logits=True).value_and_grad(z, t)
    assert np.isfinite(value) and np.all(np.isfinite(grad))
    # e^z is 0 for the first and third rows: the gradient there is exactly −t / N
    np.testing.assert_allclose(grad[[0, 2], 0], [-2.0 / 3, -1.0 / 3])
