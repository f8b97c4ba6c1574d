"""Finite-difference gradient checks, float64, max relative error < 1e-6: every
activation × every loss × depths 1–4, plus regularisers, dropout-free checks of
standalone activation layers, and a broken backward that gradcheck must catch."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mlpkit
from mlpkit import activations as A
from mlpkit.initializers import Normal

from .conftest import HIDDEN_ACTIVATIONS, make_mlp

LOSSES = ["squared", "mse", "mae", "huber", "binary_cross_entropy", "cross_entropy", "poisson"]
OUTPUT_FOR = {"binary_cross_entropy": "sigmoid", "cross_entropy": "softmax", "poisson": "exp"}
# exp is an output link: stacked four deep, e^e^e^e^z leaves float64's range
STACKABLE = [a for a in HIDDEN_ACTIVATIONS if a != "exp"]
# Random biases: with zero biases a layer after an all-dead ReLU layer sits exactly on
# the kink z = 0, where a central difference straddles the corner.
BIAS = Normal(std=0.5)


def _targets(loss, rng, n, k):
    if loss == "cross_entropy":
        return rng.integers(0, k, size=n)
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, size=(n, k))
    if loss == "poisson":
        return rng.poisson(1.5, size=(n, k)).astype(float)
    return rng.normal(size=(n, k))


def _cases():
    """(activation, loss, depth) for every distinct network: at depth 1 a loss with its
    own output activation (softmax, sigmoid, exp) builds the same one-layer net whatever
    the hidden activation, so that net is checked once per loss, not once per activation."""
    for depth in (1, 2, 3, 4):
        for loss in LOSSES:
            for activation in STACKABLE:
                if depth == 1 and loss in OUTPUT_FOR and activation != STACKABLE[0]:
                    continue
                yield activation, loss, depth


@pytest.mark.parametrize(("activation", "loss", "depth"), list(_cases()))
def test_every_activation_loss_and_depth(activation, loss, depth):
    rng = np.random.default_rng(zlib.crc32(f"{activation}-{loss}-{depth}".encode()))
    sizes = [3] + [4] * (depth - 1) + [3]
    output = OUTPUT_FOR.get(loss, activation if depth == 1 else "identity")
    net = make_mlp(sizes, hidden=activation, output=output, seed=depth, bias_init=BIAS)
    x = kink_free_inputs(net, rng, 5)
    report = mlpkit.gradcheck(net, x, _targets(loss, rng, 5, 3), loss=loss)
    assert report.passed, str(report)
    if loss in OUTPUT_FOR:  # and the plain, unfused chain rule through softmax/sigmoid
        assert mlpkit.gradcheck(net, x, _targets(loss, rng, 5, 3), loss=loss, fused=False).passed


@pytest.mark.parametrize("loss", ["squared", "poisson"])
def test_exp_as_one_hidden_layer(loss, rng):
    net = make_mlp([3, 4, 3], hidden="exp", output="exp", seed=3, bias_init=BIAS)
    report = mlpkit.gradcheck(net, rng.normal(size=(5, 3)), _targets(loss, rng, 5, 3), loss=loss)
    assert report.passed, str(report)


@pytest.mark.parametrize("activation", ["softmax", "sigmoid", "tanh", "softplus", "exp"])
def test_output_activations_with_squared_loss(activation, rng):
    net = make_mlp([3, 5, 4], hidden="relu", output=activation, seed=2)
    report = mlpkit.gradcheck(net, rng.normal(size=(6, 3)), rng.normal(size=(6, 4)), loss="squared")
    assert report.passed, str(report)


def test_regularisers_and_standalone_activation_layers(rng):
    net = mlpkit.Sequential(
        [
            mlpkit.Dense(4, 6, regularizer=mlpkit.L2(0.3), bias_regularizer=mlpkit.L1(0.1)),
            mlpkit.LeakyReLU(0.2),
            mlpkit.Dense(6, 5, regularizer=mlpkit.L1L2(0.05, 0.2)),
            mlpkit.ELU(alpha=0.7),
            mlpkit.Dense(6 - 1, 3),
            mlpkit.Softmax(),
        ],
        seed=4,
        dtype="float64",
    )
    report = mlpkit.gradcheck(
        net, rng.normal(size=(7, 4)), rng.integers(0, 3, 7), loss="cross_entropy"
    )
    assert report.passed, str(report)


@settings(max_examples=25, deadline=None)
@given(
    widths=st.lists(st.integers(1, 6), min_size=2, max_size=5),
    n=st.integers(1, 6),
    activation=st.sampled_from(HIDDEN_ACTIVATIONS),
    seed=st.integers(0, 10_000),
)
def test_random_shapes(widths, n, activation, seed):
    rng = np.random.default_rng(seed)
    net = make_mlp(widths, hidden=activation, output="identity", seed=seed, bias_init=BIAS)
    # inputs drawn away from the ReLU family's corners, so every draw is checked
    x = kink_free_inputs(net, rng, n)
    report = mlpkit.gradcheck(net, x, rng.normal(size=(n, widths[-1])), loss="mse")
    assert report.passed, str(report)


def kink_free_inputs(net, rng, n):
    """Inputs whose pre-activations all stay clear of 0, where the ReLU family has its
    corner and a central difference would straddle it. When no input can (a dead unit
    feeds the next layer its bias alone, and that bias sits at the corner), the biases
    near the corner are moved off it first: the check is of the gradient, not the corner."""
    for attempt in range(200):
        x = rng.normal(size=(n, net.n_features_in))
        if not _near_kink(net, x, eps=1e-2):
            return x
        if attempt == 99:
            for layer in net.layers:
                if layer.activation.name in KINKED:
                    layer.b[np.abs(layer.b) < 0.1] += 0.2
    raise AssertionError("no kink-free inputs found")


#: activations with a corner at z = 0 (ELU's second derivative jumps there)
KINKED = ("relu", "leaky_relu", "elu")


def _near_kink(net, x, eps=1e-5):
    """Whether a pre-activation of a layer with a corner lies within eps of it."""
    h = x
    for layer in net.layers:
        z = h @ layer.W + layer.b
        if layer.activation.name in KINKED and np.any(np.abs(z) < eps):
            return True
        h = layer.activation.forward(z)
    return False


def test_gradcheck_catches_a_wrong_derivative(rng, monkeypatch):
    net = make_mlp([3, 4, 2], hidden="tanh", seed=0)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    assert mlpkit.gradcheck(net, x, y, loss="mse").passed
    monkeypatch.setattr(A.Tanh, "vjp", lambda self, z, a, da: da * (1 - a))  # wrong: 1 − a
    report = mlpkit.gradcheck(net, x, y, loss="mse")
    assert not report.passed and report.worst > 1e-2
    assert "FAILED" in str(report)


def test_gradcheck_leaves_the_model_untouched(rng):
    net = make_mlp([3, 4, 2], dtype="float32")
    before = net.get_weights()
    mlpkit.gradcheck(net, rng.normal(size=(4, 3)), rng.normal(size=(4, 2)), loss="mse")
    for a, b in zip(before, net.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert net.dtype == np.float32
