"""The layer protocol as a user of layers meets it: what ``dense_stack`` builds, the named
activation layers as classes (pickle, names, docs), a custom activation or layer taken as
written, the noise layers' draws, and the defaults of ``backward`` and ``call``. (Found
by mutation testing the layers: each test here is a behaviour a mutant broke unseen.)"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import mlpkit
from mlpkit import activations as act
from mlpkit import layers

from .conftest import require


def kinds(stack):
    return [type(layer).__name__ for layer in stack]


def test_dense_stack_puts_dropout_after_hidden_layers_only_and_the_output_activation_last():
    stack = layers.dense_stack([4, 8, 6, 2], "tanh", "sigmoid", dropout=0.25)
    assert kinds(stack) == ["Dense", "Dropout", "Dense", "Dropout", "Dense"]
    assert [d.rate for d in stack if isinstance(d, layers.Dropout)] == [0.25, 0.25]
    dense = [d for d in stack if isinstance(d, layers.Dense)]
    assert [(d.in_features, d.out_features) for d in dense] == [(4, 8), (8, 6), (6, 2)]
    assert [d.activation.name for d in dense] == ["tanh", "tanh", "sigmoid"]
    assert kinds(layers.dense_stack([3, 1], "relu", None)) == ["Dense"]  # one layer is a stack
    assert layers.dense_stack([3, 1], "relu", None)[0].activation.name == "identity"
    with pytest.raises(ValueError, match=r"at least two widths, got \[3\]"):
        layers.dense_stack([3], "relu", None)


def test_dense_stack_with_batch_norm_drops_the_hidden_bias_and_keeps_the_output_layers():
    plain = layers.dense_stack([4, 8, 2], "relu", "sigmoid")
    assert kinds(plain) == ["Dense", "Dense"]  # batch_norm is off unless asked for
    init = {"bias_init": mlpkit.initializers.Constant(1.0), "init": "he_normal"}
    stack = layers.dense_stack([4, 8, 2], "relu", "sigmoid", layer_kwargs=init, batch_norm=True)
    assert kinds(stack) == ["Dense", "BatchNorm", "ReLU", "Dense"]
    hidden, output = stack[0], stack[-1]
    assert hidden.activation.name == "identity" and not hidden.bias  # β takes the bias's place
    assert output.bias and output.activation.name == "sigmoid"
    assert hidden.get_config()["init"] == output.get_config()["init"]  # the rest of layer_kwargs
    mlpkit.Sequential(stack, seed=0)  # builds: the first Dense knows its input width
    assert np.all(output.b == 1.0)  # the output layer keeps its bias_init


def test_dense_stack_takes_per_layer_arguments_from_a_function():
    seen = []

    def arguments(fan_in, fan_out):
        seen.append((fan_in, fan_out))
        return {"regularizer": mlpkit.regularizers.L2(0.1)} if fan_out == 8 else {}

    stack = layers.dense_stack([4, 8, 2], "relu", None, layer_kwargs=arguments)
    assert seen == [(4, 8), (8, 2)]
    assert stack[0].regularizer is not None and stack[1].regularizer is None


def test_a_dense_config_without_activation_settings_loads():
    config = layers.Dense(3, 2, "relu").get_config()
    del config["activation_config"]  # files written by hand, or before the key existed
    rebuilt = layers.from_config("Dense", config)
    assert rebuilt.activation.name == "relu" and rebuilt.out_features == 2


@pytest.mark.parametrize("cls", [layers.ReLU, layers.Tanh, layers.Softmax, layers.LeakyReLU])
def test_named_activation_layers_are_classes_of_their_module_that_pickle(cls):
    assert cls.__module__ == "mlpkit.layers.activation"
    assert cls.__qualname__ == cls.__name__ == cls.activation_cls.__name__
    assert "Examples" in cls.__doc__ and "Parameters" in cls.__doc__
    layer = cls()
    copy = pickle.loads(pickle.dumps(layer))
    assert type(copy) is cls and copy.activation == layer.activation
    x = np.array([[-1.0, 0.5, 2.0]])
    np.testing.assert_array_equal(copy.forward(x), layer.forward(x))


def test_activation_layers_take_the_activations_settings():
    layer = layers.ActivationLayer("leaky_relu", negative_slope=0.2)
    np.testing.assert_allclose(layer.forward(np.array([[-1.0, 1.0]])), [[-0.2, 1.0]])
    assert layer.activation == act.LeakyReLU(negative_slope=0.2)
    assert repr(layer) == "ActivationLayer('leaky_relu', negative_slope=0.2)"  # says which
    assert repr(layers.ActivationLayer("tanh")) == "ActivationLayer('tanh')"
    assert repr(layers.activation_layer("elu", alpha=0.5)) == "ELU(alpha=0.5)"


class Cube(act.Activation):
    name = "cube_for_layers_test"

    def forward(self, z):
        return z**3

    def derivative(self, z, a=None):
        return 3 * z**2


def test_a_custom_activation_instance_becomes_a_layer_that_computes_it():
    layer = layers.activation_layer(Cube())
    x = np.array([[2.0, -1.0]])
    np.testing.assert_allclose(layer.forward(x), [[8.0, -1.0]])
    np.testing.assert_allclose(layer.backward(np.ones_like(x)), [[12.0, 3.0]])


class Recording(layers.Layer):
    """A user's layer that defines forward and backward only."""

    def forward(self, x, training=False):
        self.training_seen = training
        return 2 * x

    def backward(self, dy, need_input_grad=True):
        return 2 * dy if need_input_grad else None


def test_a_layer_that_defines_only_forward_runs_it_untrained_at_inference():
    layer = Recording()
    net = mlpkit.Sequential([layers.Dense(2, 2), layer, layers.Dense(2, 1)], seed=0)
    net.predict(np.ones((3, 2)))
    assert layer.training_seen is False
    layer.call(np.ones((1, 2)))
    assert layer.training_seen is False


@pytest.mark.parametrize(
    "layer",
    [layers.Dense(3, 3, "tanh"), layers.ReLU(), layers.Dropout(0.5), layers.GaussianNoise(0.3),
     layers.BatchNorm(3), layers.LayerNorm(3)],
    ids=lambda layer: type(layer).__name__,
)  # fmt: skip
def test_backward_returns_the_input_gradient_unless_told_not_to(layer):
    rng = np.random.default_rng(0)
    layer.build(3, rng, np.dtype("float64"))
    x = rng.normal(size=(4, 3))
    y = layer.forward(x, training=True)
    dx = layer.backward(np.ones_like(y))
    assert dx is not None and dx.shape == x.shape


def test_use_buffers_wants_one_array_per_parameter():
    dense = layers.Dense(2, 2)
    dense.build(2, np.random.default_rng(0), np.dtype("float64"))
    with pytest.raises(ValueError):
        dense.use_buffers([np.zeros((2, 2))], [np.zeros((2, 2))])  # W's only, no b's


def test_gaussian_noise_adds_std_times_the_networks_normal_draws_at_any_std():
    for std in (0.5, 1.0):
        layer = layers.GaussianNoise(std)
        layer.build(3, np.random.default_rng(7), np.dtype("float64"))
        x = np.arange(6.0).reshape(2, 3)
        expected = x + std * np.random.default_rng(7).standard_normal((2, 3))
        np.testing.assert_allclose(layer.forward(x, training=True), expected)
        np.testing.assert_array_equal(layer.forward(x, training=False), x)


def test_dropout_keeps_each_input_with_the_networks_draws_and_scales_the_survivors():
    layer = layers.Dropout(0.5)
    layer.build(4, np.random.default_rng(3), np.dtype("float64"))
    x = np.ones((5, 4))
    kept = np.random.default_rng(3).random((5, 4)) < 0.5
    np.testing.assert_array_equal(layer.forward(x, training=True), np.where(kept, 2.0, 0.0))
    np.testing.assert_array_equal(layer.backward(np.ones((5, 4))), np.where(kept, 2.0, 0.0))


def test_layer_reprs_show_their_settings():
    assert repr(layers.Dropout(0.3)) == "Dropout(rate=0.3)"
    assert repr(layers.BatchNorm(4)) == "BatchNorm(4, momentum=0.1, eps=1e-05, affine=True)"


def test_dropout_passes_the_gradient_through_when_no_mask_is_held():
    layer = layers.Dropout(0.5)
    layer.build(2, np.random.default_rng(0), np.dtype("float64"))
    dy = np.array([[1.0, -2.0]])
    np.testing.assert_array_equal(layer.backward(dy), dy)  # before any forward
    layer.forward(np.ones((1, 2)), training=True)
    layer.clear_cache()
    np.testing.assert_array_equal(layer.backward(dy), dy)  # after the cache is dropped
    layer.forward(np.ones((1, 2)), training=False)
    np.testing.assert_array_equal(layer.backward(dy), dy)  # after an inference pass


def test_dense_takes_scipy_sparse_rows_as_their_dense_values():
    sparse = require("scipy.sparse", "pip install scipy")
    dense = layers.Dense(3, 2, "tanh")
    dense.build(3, np.random.default_rng(0), np.dtype("float64"))
    x = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    for rows in (sparse.csr_matrix(x), sparse.csr_array(x)):
        np.testing.assert_allclose(dense.forward(rows), dense.forward(x))
        np.testing.assert_allclose(dense.call(rows), dense.call(x))
