"""Dense and activation layers: the worksheet's Problem 1 shapes, backward by its formulas,
no recomputation surprises, no upcasting, the linear collapse W' = UW, dropout."""

from __future__ import annotations

import numpy as np
import pytest

import mlpkit
from mlpkit.layers import Dense, Dropout

from .conftest import make_mlp


def _built(layer, k1, dtype="float64", seed=0):
    mlpkit.Sequential([layer], seed=seed, dtype=dtype)
    return layer


@pytest.mark.parametrize(("n", "k1", "k2"), [(1, 1, 1), (5, 3, 2), (17, 4, 9)])
def test_problem_1_shapes(n, k1, k2, rng):
    """X (N, k1) @ W (k1, k2) + b (k2,) = Y (N, k2)."""
    layer = _built(Dense(k1, k2), k1)
    assert layer.W.shape == (k1, k2) and layer.b.shape == (k2,)
    x = rng.normal(size=(n, k1))
    y = layer.forward(x)
    assert y.shape == (n, k2)
    np.testing.assert_allclose(y, x @ layer.W + layer.b)


def test_backward_follows_the_seed_formulas(rng):
    layer = _built(Dense(3, 4, "tanh"), 3)
    x = rng.normal(size=(6, 3))
    a = layer.forward(x)
    da = rng.normal(size=a.shape)
    dx = layer.backward(da)
    dz = da * (1 - a**2)
    np.testing.assert_allclose(layer.dW, x.T @ dz)  # Σ_i h_iᵀ ∇_{z_i} l
    np.testing.assert_allclose(layer.db, dz.sum(axis=0))
    np.testing.assert_allclose(dx, dz @ layer.W.T)


def test_backward_before_forward_is_a_clear_error():
    layer = _built(Dense(2, 2), 2)
    with pytest.raises(RuntimeError, match="before forward"):
        layer.backward(np.ones((1, 2)))


def test_no_bias_layer_has_only_w(rng):
    net = mlpkit.Sequential([Dense(3, 2, bias=False)], seed=0)
    assert [w.shape for w in net.get_weights()] == [(3, 2)]
    x = rng.normal(size=(4, 3)).astype(np.float32)
    np.testing.assert_allclose(net.predict(x), x @ net.get_weights()[0], rtol=1e-6)


def test_float32_stays_float32_through_forward_and_backward(rng):
    net = make_mlp([5, 7, 6, 3], hidden="gelu", output="softmax", dtype="float32")
    x = rng.normal(size=(8, 5))
    out = net.forward(x)
    assert out.dtype == np.float32
    dx = net.backward(np.ones_like(out))
    assert dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in net.gradients())
    assert all(w.dtype == np.float32 for w in net.get_weights())


def test_dtype_float64_everywhere(rng):
    net = make_mlp([3, 4, 2], dtype="float64")
    assert net.forward(rng.normal(size=(2, 3)).astype(np.float32)).dtype == np.float64


def test_stacked_linear_layers_collapse_to_one_map(rng):
    """Chapter 1 and the optimisation slides: without activations y = U(Wx) = W'x with W' = UW (here, in row
    form, W' = W1 W2 and b' = b1 W2 + b2)."""
    net = mlpkit.Sequential([Dense(4, 6), Dense(6, 3), Dense(3, 2)], seed=3, dtype="float64")
    W1, b1, W2, b2, W3, b3 = net.get_weights()
    W_single = W1 @ W2 @ W3
    b_single = (b1 @ W2 + b2) @ W3 + b3
    single = mlpkit.Sequential([Dense(4, 2)], dtype="float64")
    single.set_weights([W_single, b_single])
    x = rng.normal(size=(10, 4))
    np.testing.assert_allclose(net.predict(x), single.predict(x), rtol=1e-12, atol=1e-12)
    # ... and with a nonlinearity in between, no single linear map reproduces it
    bent = mlpkit.Sequential([Dense(4, 6, "relu"), Dense(6, 2)], seed=3, dtype="float64")
    xa = np.c_[x, np.ones(len(x))]
    coef, *_ = np.linalg.lstsq(xa, bent.predict(x), rcond=None)
    assert np.abs(xa @ coef - bent.predict(x)).max() > 1e-3


def test_dense_argument_errors():
    with pytest.raises(ValueError, match="out_features must be a positive integer"):
        Dense(3, 0)
    with pytest.raises(TypeError, match="in_features must be a positive integer"):
        Dense(2.5, 3)  # the wrong type: a TypeError
    with pytest.raises(TypeError, match="out_features must be a positive integer"):
        Dense(2, "3")
    with pytest.raises(ValueError, match="unknown activation"):
        Dense(2, 3, activation="sigmoidal")
    with pytest.raises(ValueError, match="unknown initializer"):
        Dense(2, 3, init="glorious")


def test_mismatched_layer_widths_are_named():
    with pytest.raises(
        ValueError,
        match=r"layer 1: Dense\(in_features=4.*expects 4 input features but the layer before it outputs 3",
    ):
        mlpkit.Sequential([Dense(2, 3), Dense(4, 1)])


def test_activation_layers_equal_dense_activation(rng):
    x = rng.normal(size=(5, 3))
    fused = mlpkit.Sequential([Dense(3, 4, "elu", init="he_uniform")], seed=1, dtype="float64")
    split = mlpkit.Sequential(
        [Dense(3, 4, init="he_uniform"), mlpkit.ELU()], seed=1, dtype="float64"
    )
    np.testing.assert_allclose(fused.forward(x), split.forward(x))
    d = rng.normal(size=(5, 4))
    np.testing.assert_allclose(fused.backward(d), split.backward(d))
    for a, b in zip(fused.gradients(), split.gradients(), strict=True):
        np.testing.assert_allclose(a, b)
    assert Dense(2, 2, activation=mlpkit.LeakyReLU(0.3)).activation.negative_slope == 0.3


def test_dropout_is_off_in_predict_and_inverted_in_training(rng):
    net = mlpkit.Sequential([Dense(50, 50, "relu"), Dropout(0.4), Dense(50, 1)], seed=0)
    x = rng.normal(size=(400, 50)).astype(np.float32)
    # predict and forward(training=False) are deterministic and dropout-free
    np.testing.assert_array_equal(net.predict(x), net.predict(x))
    np.testing.assert_allclose(net.forward(x), net.predict(x), rtol=1e-6)
    drop = net.layers[1]
    h = np.ones((400, 50), dtype=np.float32)
    out = drop.forward(h, training=True)
    kept = out != 0
    assert 0.55 < kept.mean() < 0.65  # keep probability 0.6
    np.testing.assert_allclose(out[kept], 1 / 0.6, rtol=1e-6)  # survivors scaled by 1/(1-p)
    np.testing.assert_array_equal(drop.backward(np.ones_like(h)), out)  # same mask backward
    with pytest.raises(ValueError, match=r"Dropout rate must be in \[0, 1\)"):
        Dropout(1.0)


@pytest.mark.parametrize(
    ("init", "expected_std"),
    [
        ("glorot_uniform", np.sqrt(2 / (300 + 200))),
        ("glorot_normal", np.sqrt(2 / 500)),
        ("he_uniform", np.sqrt(2 / 300)),
        ("he_normal", np.sqrt(2 / 300)),
        ("lecun_normal", np.sqrt(1 / 300)),
        ("lecun_uniform", np.sqrt(1 / 300)),
    ],
)
def test_variance_scaling_initialisers(init, expected_std):
    net = mlpkit.Sequential([Dense(300, 200, init=init)], seed=0)
    W = net.get_weights()[0]
    assert abs(W.std() / expected_std - 1) < 0.03
    assert abs(W.mean()) < 0.01 * expected_std * 10
    assert np.all(net.get_weights()[1] == 0)  # biases start at zero


def test_default_initialiser_follows_the_activation():
    assert Dense(3, 3, "relu").init.name == "he_uniform"
    assert Dense(3, 3, "tanh").init.name == "glorot_uniform"
    assert Dense(3, 3, "selu").init.name == "lecun_normal"


def test_equal_initial_weights_keep_hidden_units_identical(rng):
    """The worksheet's further exploration: weights that start equal (all zero is the
    usual case) never break the symmetry — every hidden unit gets the same gradient, so
    the units move together however long they train."""
    from mlpkit.initializers import Constant

    net = mlpkit.Sequential(
        [Dense(2, 4, "tanh", init=Constant(0.3)), Dense(4, 1, init=Constant(0.3))], seed=0
    )
    x, y = rng.normal(size=(32, 2)), rng.normal(size=32)
    net.fit(x, y, optimizer="sgd", epochs=20, batch_size=8, verbose=0)
    W1, b1, W2, _ = net.get_weights()
    assert np.abs(W1 - 0.3).max() > 1e-2  # the weights did train ...
    np.testing.assert_allclose(W1, np.repeat(W1[:, :1], 4, axis=1), rtol=1e-6)  # ... in step
    np.testing.assert_allclose(b1, b1[0], rtol=1e-6)
    np.testing.assert_allclose(W2, W2[0, 0], rtol=1e-6)
    # a random start breaks it
    net = mlpkit.Sequential([Dense(2, 4, "tanh"), Dense(4, 1)], seed=0)
    net.fit(x, y, optimizer="sgd", epochs=5, batch_size=8, verbose=0)
    assert len(np.unique(np.round(net.get_weights()[0][0], 6))) == 4


# -- the random layers draw exactly what they say, and the activation layers are named -------
def test_dropout_and_noise_draw_from_the_networks_generator_exactly():
    import copy

    x = np.random.default_rng(1).normal(size=(4, 5)).astype(np.float32)
    drop = mlpkit.Dropout(0.25)
    assert drop.build(5, np.random.default_rng(7), np.float32) == 5 and drop.dtype == np.float32
    twin = copy.deepcopy(drop._rng)
    out = drop.forward(x, training=True)
    keep = twin.random(x.shape, dtype=np.float32) < 0.75
    np.testing.assert_array_equal(out, x * keep.astype(np.float32) * np.float32(1 / 0.75))
    np.testing.assert_array_equal(
        drop.backward(np.ones_like(x)), keep.astype(np.float32) * np.float32(1 / 0.75)
    )
    np.testing.assert_array_equal(drop.forward(x), x)  # inference: the identity, by default
    noise = mlpkit.layers.GaussianNoise(0.3)
    noise.build(5, np.random.default_rng(8), np.float32)
    twin = copy.deepcopy(noise._rng)
    out = noise.forward(x, training=True)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(
        out, x + np.float32(0.3) * twin.standard_normal(x.shape, dtype=np.float32)
    )
    np.testing.assert_array_equal(noise.forward(x), x)
    np.testing.assert_array_equal(noise.backward(np.full_like(x, 2.0)), np.full_like(x, 2.0))
    quiet = mlpkit.layers.GaussianNoise(0.0)
    quiet.build(5, np.random.default_rng(8), np.float32)
    np.testing.assert_array_equal(quiet.forward(x, training=True), x)
    assert mlpkit.layers.GaussianNoise(0.0).std == 0.0
    with pytest.raises(ValueError) as raised:
        mlpkit.layers.GaussianNoise(-0.1)
    assert str(raised.value) == "GaussianNoise std must be >= 0, got -0.1"
    unused = mlpkit.Dropout(0.0)
    unused.build(5, np.random.default_rng(0), np.float32)
    np.testing.assert_array_equal(unused.forward(x, training=True), x)


def test_activation_layers_are_named_classes_with_a_repr():
    from mlpkit.layers import activation_layer

    assert (
        type(mlpkit.LeakyReLU()).__name__ == "LeakyReLU"
        and mlpkit.LeakyReLU.__module__ == "mlpkit.layers.activation"
    )
    assert (
        mlpkit.LeakyReLU.__qualname__ == "LeakyReLU"
        and mlpkit.LeakyReLU().activation.negative_slope == 0.01
    )
    assert (
        repr(mlpkit.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
        and repr(mlpkit.ReLU()) == "ReLU()"
    )
    assert mlpkit.ELU.__doc__.startswith("Activation layer: ")
    layer = activation_layer("elu", alpha=0.5)
    assert layer.activation.alpha == 0.5 and layer.activation.name == "elu"
    f = mlpkit.activations.get("tanh")
    assert activation_layer(f).activation is f
    with pytest.raises(RuntimeError) as raised:
        mlpkit.ReLU().backward(np.ones((1, 2)))
    assert str(raised.value) == "ReLU(): backward() called before forward()"
    relu = mlpkit.ReLU()
    relu.forward(np.ones((1, 2)))
    relu.clear_cache()
    with pytest.raises(RuntimeError):
        relu.backward(np.ones((1, 2)))


@pytest.mark.parametrize(
    "name",
    ["Identity", "Sigmoid", "Tanh", "ReLU", "SELU", "Softplus", "Exp", "SiLU", "GELU", "Softmax"],
)
def test_each_activation_layer_class_is_named_documented_and_pickles(name):
    """The classes made by ``_activation_layer`` are ordinary importable classes: their
    name, module and docstring are their own, so repr, help() and pickling find them."""
    import pickle

    from mlpkit.layers import activation as layers_activation

    cls = getattr(layers_activation, name)
    assert cls.__name__ == cls.__qualname__ == name
    assert cls.__module__ == "mlpkit.layers.activation"
    assert cls.__doc__.startswith("Activation layer")
    assert cls.activation_cls is getattr(mlpkit.activations, name)
    layer = cls()
    assert type(pickle.loads(pickle.dumps(layer))) is cls
    assert type(layers_activation.activation_layer(name.lower())) is cls
    x = np.linspace(-2.0, 2.0, 12).reshape(3, 4)
    np.testing.assert_array_equal(layer.forward(x), cls.activation_cls().forward(x))
