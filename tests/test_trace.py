"""Chapter 1's worked XOR examples, reproduced with their numbers, and the trace table.

Chapter 1's table (all units sigmoid) is produced by hidden weights [[3, 4], [2, 3]]
with biases (−2, −4) and output weights (5, −5) with bias −2. The weights printed
beside the table, W = [[3, 4, 2], [2, 3, 4]] and U = [5, 5, 2] with ReLU, do not
produce it: both hidden biases and u2 and u3 have the wrong sign, and the table uses
σ, not r. The table's s_y column (1.060, −1.495, 1.060, −0.690) was evidently computed
from h rounded to three decimals: the exact values are 1.059, −1.494, 1.059, −0.689,
and every h and y in the table agrees with them to the printed three decimals.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlpkit
from mlpkit import Dense
from mlpkit.datasets import xor

# Table weights in mlpkit's (in, out) layout.
TABLE_WEIGHTS = [
    np.array([[3.0, 2.0], [4.0, 3.0]]),
    np.array([-2.0, -4.0]),
    np.array([[5.0], [-5.0]]),
    np.array([-2.0]),
]

# Chapter 1 of the notes (1.26)–(1.27), converged ReLU weights; rows of W are hidden units, last column bias.
W_126 = np.array([[1.52183263, 1.55282077, -1.55282077], [1.0637993, 1.0637993, 0.39200322]])
U_127 = np.array([-1.31420497, 0.94002694, -0.36849359])


def table_network():
    net = mlpkit.Sequential([Dense(2, 2, "sigmoid"), Dense(2, 1, "sigmoid")], dtype="float64")
    net.set_weights(TABLE_WEIGHTS)
    return net


def test_seed_001_xor_table_is_reproduced():
    x, y = xor()
    tr = mlpkit.trace(table_network(), x, y, loss="squared")
    h = tr.layers[0].h
    out = tr.layers[1].h[:, 0]
    np.testing.assert_allclose(tr.layers[0].s, [[1, -2], [-2, -4], [2, -1], [5, 1]])
    np.testing.assert_allclose(
        h, [[0.731, 0.119], [0.119, 0.018], [0.881, 0.269], [0.993, 0.731]], atol=5e-4
    )
    np.testing.assert_allclose(out, [0.743, 0.183, 0.743, 0.334], atol=5e-4)
    np.testing.assert_allclose(tr.layers[1].s[:, 0], [1.060, -1.495, 1.060, -0.690], atol=2e-3)
    # the table's s_y is exactly what the h values rounded to 3 decimals give
    np.testing.assert_allclose(
        np.round(h, 3) @ [5, -5] - 2, [1.060, -1.495, 1.060, -0.690], atol=1e-9
    )


def test_the_printed_weights_do_not_produce_the_table():
    x, _ = xor()
    relu = lambda v: np.maximum(v, 0)  # noqa: E731
    W, U = np.array([[3, 4, 2], [2, 3, 4]]), np.array([5, 5, 2])
    h = relu(np.c_[x, np.ones(4)] @ W.T)
    y = relu(np.c_[h, np.ones(4)] @ U)
    assert not np.allclose(y, [0.743, 0.183, 0.743, 0.334], atol=0.05)


def test_trace_table_text_looks_like_the_seed():
    x, y = xor()
    text = str(mlpkit.trace(table_network(), x, y, loss="squared"))
    for cell in [
        "σ(1.000) = 0.731",
        "σ(-2.000) = 0.119",
        "σ(1.059) = 0.743",
        "σ(-1.494) = 0.183",
        "σ(-0.689) = 0.334",
        "σ(5.000) = 0.993",
    ]:
        assert cell in text, cell
    md = mlpkit.trace(table_network(), x, y, loss="squared").to_markdown()
    assert md.startswith("| x | h0[0] | h0[1] | y | target | loss (squared) |\n|---|")


def test_seed_001_converged_relu_weights_compute_xor():
    """(1.26)–(1.27): y = r(U [r(W [x, 1]), 1]) mimics XOR."""
    net = mlpkit.Sequential([Dense(2, 2, "relu"), Dense(2, 1, "relu")], dtype="float64")
    net.set_weights([W_126[:, :2].T, W_126[:, 2], U_127[:2].reshape(2, 1), U_127[2:]])
    x, y = xor()
    out = net.predict(x)[:, 0]
    np.testing.assert_allclose(out, y, atol=1e-6)
    # and by the chapter's own scalar equations (1.3)–(1.5)
    r = lambda v: max(v, 0.0)  # noqa: E731
    for (x1, x2), target in zip(x, y, strict=True):
        h1 = r(W_126[0, 0] * x1 + W_126[0, 1] * x2 + W_126[0, 2])
        h2 = r(W_126[1, 0] * x1 + W_126[1, 1] * x2 + W_126[1, 2])
        assert r(U_127[0] * h1 + U_127[1] * h2 + U_127[2]) == pytest.approx(target, abs=1e-6)


def test_seed_001_update_formulas_for_one_example():
    """(1.15)–(1.24): δ = −(t − y) r'(s_y); u_i' = u_i − δ h_i; w_ij' = w_ij − δ u_i r'(s_hi) x_j,
    checked against the trace for the example (1, 1) on the converged ReLU network
    nudged off its optimum."""
    W, U = W_126.copy(), U_127.copy()
    U[2] += 0.3  # move off the optimum so the gradient is non-zero
    x, t = np.array([1.0, 1.0]), 0.0
    s_h = W @ np.r_[x, 1.0]
    h = np.maximum(s_h, 0)
    s_y = U @ np.r_[h, 1.0]
    y = max(s_y, 0.0)
    delta = -(t - y) * (s_y > 0)
    dU = delta * np.r_[h, 1.0]
    dW = np.array([[delta * U[i] * (s_h[i] > 0) * xj for xj in np.r_[x, 1.0]] for i in range(2)])

    net = mlpkit.Sequential([Dense(2, 2, "relu"), Dense(2, 1, "relu")], dtype="float64")
    net.set_weights([W[:, :2].T, W[:, 2], U[:2].reshape(2, 1), U[2:]])
    tr = mlpkit.trace(net, x, [t], loss="squared")
    assert tr.layers[1].delta[0, 0] == pytest.approx(delta)
    gW1, gb1, gW2, gb2 = tr.gradients()
    np.testing.assert_allclose(np.r_[gW2[:, 0], gb2], dU)
    np.testing.assert_allclose(np.c_[gW1.T, gb1], dW)


def test_trace_gradients_equal_backward(rng):
    net = mlpkit.Sequential(
        [Dense(3, 4, "tanh"), mlpkit.ReLU(), Dense(4, 3, "softmax")], seed=1, dtype="float64"
    )
    x, labels = rng.normal(size=(5, 3)), rng.integers(0, 3, 5)
    tr = mlpkit.trace(net, x, labels, loss="cross_entropy")
    out = net.forward(x)
    net.backward(mlpkit.losses.get("cross_entropy").gradient(out, labels))
    for a, b in zip(tr.gradients(), net.gradients(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert tr.loss == pytest.approx(mlpkit.losses.get("cross_entropy")(out, labels))


def test_trace_handles_dropout_and_noise_as_identity_at_inference(rng):
    """Every layer type traces; Dropout and GaussianNoise are shown as pass-through rows,
    and the traced gradients still equal the model's own backward (dropout off)."""
    net = mlpkit.Sequential(
        [
            mlpkit.layers.GaussianNoise(0.3),
            Dense(3, 5, "relu", regularizer=mlpkit.L2(0.01)),
            mlpkit.Dropout(0.5),
            Dense(5, 4, "tanh"),
            mlpkit.Sigmoid(),
        ],
        seed=2,
        dtype="float64",
    )
    x, y = rng.normal(size=(4, 3)), rng.uniform(size=(4, 4))
    tr = mlpkit.trace(net, x, y, loss="mse")
    kinds = [lt.label for lt in tr.layers]
    assert kinds == ["GaussianNoise", "Dense(relu)", "Dropout", "Dense(tanh)", "Sigmoid"]
    assert tr.layers[0].s is None and tr.layers[2].s is None
    np.testing.assert_array_equal(tr.layers[2].h, tr.layers[1].h)  # identity at inference
    np.testing.assert_allclose(tr.output, net.predict(x), rtol=1e-12)
    out = net.forward(x)  # training=False: noise and dropout off
    net.backward(mlpkit.losses.get("mse").gradient(out, y))
    for a, b in zip(tr.gradients(), net.gradients(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    text = tr.to_text()
    assert "GaussianNoise" not in text.split("backward:")[1].split("\n")[0]  # no δ column
    penalty = 0.5 * 0.01 * np.sum(net.layers[1].W ** 2)
    assert (
        tr.penalty == pytest.approx(penalty) and f"+ penalty {penalty:.6f} = {tr.loss:.6f}" in text
    )
