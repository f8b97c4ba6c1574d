"""The output head: the fused rule where it is valid, the chain rule everywhere else."""

from __future__ import annotations

import numpy as np
import pytest

from mlpkit import activations as A
from mlpkit import losses as L
from mlpkit.heads import OutputHead, default_loss

PAIRS = [("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"), ("exp", "poisson")]


def _targets(activation, rng, n, d):
    if activation == "softmax":
        return rng.integers(0, d, size=n)
    if activation == "sigmoid":
        return rng.integers(0, 2, size=(n, d)).astype(float)
    return rng.poisson(2.0, size=(n, d)).astype(float)


@pytest.mark.parametrize(("activation", "loss"), PAIRS)
@pytest.mark.parametrize("weighted", [False, True])
def test_fused_gradient_equals_the_composed_chain_rule(activation, loss, weighted, rng):
    """(ŷ − t)/N is exactly f'(z)ᵀ dL/dŷ for the three valid pairs (float64)."""
    n, d = 9, 3
    z = rng.normal(size=(n, d))
    t = _targets(activation, rng, n, d)
    w = rng.uniform(0.2, 2.0, size=n) if weighted else None
    fused = OutputHead(A.get(activation), loss)
    composed = OutputHead(A.get(activation), loss, fused=False)
    assert fused.fused and not composed.fused
    t = fused.prepare_targets(t, d, np.dtype("float64"), n)
    value, grad = fused.value_and_grad(z, t, w)
    value_c, grad_c = composed.value_and_grad(z, t, w)
    assert value == pytest.approx(value_c, rel=1e-10)
    np.testing.assert_allclose(grad, grad_c, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fused.fused_value_and_grad(z, t, w)[1], grad, rtol=1e-12)
    assert fused.value(z, t, w) == pytest.approx(value, rel=1e-12)
    np.testing.assert_allclose(fused.per_sample(z, t), composed.per_sample(z, t), rtol=1e-10)


@pytest.mark.parametrize(("activation", "loss"), [*PAIRS, ("tanh", "mse"), ("identity", "huber")])
def test_head_gradient_is_the_finite_difference_of_its_value(activation, loss, rng):
    n, d = 4, 3
    z = rng.normal(size=(n, d))
    head = OutputHead(A.get(activation), loss)
    t = head.prepare_targets(
        _targets(activation, rng, n, d)
        if activation in ("softmax", "sigmoid", "exp")
        else rng.normal(size=(n, d)),
        d,
        np.dtype("float64"),
        n,
    )
    _, grad = head.value_and_grad(z.copy(), t)
    eps = 1e-6
    numeric = np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        up, down = z.copy(), z.copy()
        up[idx] += eps
        down[idx] -= eps
        numeric[idx] = (head.value(up, t) - head.value(down, t)) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


def test_fused_value_is_finite_where_the_probabilities_round_to_0_and_1():
    z = np.array([[1e4, -1e4], [-1e4, 1e4]], dtype=np.float32)
    head = OutputHead(A.Softmax(), "cross_entropy")
    value, grad = head.value_and_grad(z, np.array([1, 1]))
    assert value == pytest.approx(1e4, rel=1e-6) and np.all(np.isfinite(grad))
    composed = OutputHead(A.Softmax(), "cross_entropy", fused=False)
    assert composed.value(z, np.array([1, 1])) < 100  # the probability form is clipped


def test_default_loss_is_one_rule():
    assert [default_loss(a) for a in ("softmax", "sigmoid", "exp", "tanh", "identity")] == [
        "cross_entropy", "binary_cross_entropy", "poisson", "mse", "mse"
    ]  # fmt: skip
    assert OutputHead(A.Sigmoid()).loss.name == "binary_cross_entropy"
    assert isinstance(OutputHead(A.Identity()).loss, L.MeanSquaredError)


def test_a_users_activation_subclass_is_never_fused():
    class Sharp(A.Sigmoid):
        def forward(self, z):
            return super().forward(2 * z)

    assert not OutputHead(Sharp(), "binary_cross_entropy").fused
