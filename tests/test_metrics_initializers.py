"""Metrics and initialisers at their edges: the label rules for one output unit, metrics
on integer labels against probabilities, R² of constant and small targets, mixed 1-D
and column inputs; the variance-scaling initialisers' variances (fans of vectors and
of one unit included), their names, pickles and docs, and the documented defaults."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import mlpkit
from mlpkit import initializers, metrics


# -- labels --------------------------------------------------------------------------------
def test_one_sigmoid_unit_is_class_one_from_one_half_and_other_units_from_zero():
    p = np.array([[0.5], [0.49], [0.0], [-0.01], [0.3]])
    assert metrics.labels_from_outputs(p, "sigmoid").tolist() == [1, 0, 0, 0, 0]
    for name in ("identity", "tanh"):
        assert metrics.labels_from_outputs(p, name).tolist() == [1, 1, 1, 0, 1]


def test_one_column_targets_are_class_one_from_one_half():
    labels = metrics.labels_from_targets(np.array([[0.5], [0.49], [1.0], [0.0]]))
    assert labels.tolist() == [1, 0, 1, 0] and labels.dtype == np.int64


def test_a_label_metric_reads_a_sigmoid_output_by_its_threshold():
    accuracy = metrics.get("accuracy")
    outputs, targets = np.array([[0.3], [0.7], [0.2]]), np.array([[0.0], [1.0], [0.0]])
    assert accuracy(outputs, targets, "sigmoid") == 1.0
    assert accuracy(outputs, targets, "identity") == pytest.approx(1 / 3)


@pytest.mark.parametrize("as_labels", [True, False])
def test_an_output_metric_compares_probabilities_with_one_hot_rows(as_labels):
    outputs = np.array([[0.2, 0.8], [0.6, 0.4], [0.1, 0.9]])
    labels = np.array([1, 0, 0])
    targets = labels if as_labels else np.eye(2)[labels]
    # (0.04 + 0.04 + 0.16 + 0.16 + 0.81 + 0.81) / 6
    assert metrics.get("mse")(outputs, targets, "softmax") == pytest.approx(2.02 / 6)
    assert metrics.get("mae")(outputs, targets, "softmax") == pytest.approx(3.0 / 6)


# -- regression metrics ----------------------------------------------------------------------
def test_a_column_of_predictions_is_compared_row_by_row_with_a_vector_of_targets():
    t = np.array([1.0, 2.0, 3.0])
    p = np.array([[1.5], [2.0], [2.0]])
    assert metrics.mean_squared_error(t, p) == pytest.approx((0.25 + 0 + 1) / 3)
    assert metrics.mean_absolute_error(p, t) == pytest.approx(1.5 / 3)
    assert metrics.r2_score(t, p) == pytest.approx(1 - 1.25 / 2)


def test_integer_inputs_do_not_overflow():
    t, p = np.array([100, 0], np.int8), np.array([-100, 0], np.int8)
    assert metrics.mean_squared_error(t, p) == 20000.0
    assert metrics.mean_absolute_error(t, p) == 100.0


def test_r2_of_a_constant_target_is_one_when_exact_and_zero_otherwise():
    t = np.array([[2.0, 1.0], [2.0, 3.0]])
    assert metrics.r2_score(t, t) == 1.0
    off = np.array([[2.5, 1.0], [2.0, 3.0]])  # the constant column is missed: its R² is 0
    assert metrics.r2_score(t, off) == pytest.approx(0.5)


def test_r2_of_targets_with_a_small_spread_is_one_minus_the_ratio():
    t = np.array([0.0, 0.1, 0.2])
    p = np.array([0.0, 0.1, 0.1])
    assert metrics.r2_score(t, p) == pytest.approx(1 - 0.01 / 0.02)


# -- the metric table ------------------------------------------------------------------------
def test_every_listed_name_is_a_metric_and_an_unknown_one_lists_them():
    names = metrics.names()
    assert {"accuracy", "precision", "recall", "f1", "mse", "mae", "r2"} <= set(names)
    assert all(metrics.get(n).name == n for n in names)
    with pytest.raises(ValueError) as caught:
        metrics.get("nope")
    assert str(caught.value) == f"unknown metric 'nope'; choose one of {', '.join(names)}"
    with pytest.raises(ValueError, match=r"^a metric must be a name or a callable, got 3$"):
        metrics.get(3)


def test_a_function_is_a_metric_on_raw_outputs_named_after_it():
    seen = []

    def largest_error(t, o):
        seen.append((t, o))
        return float(np.max(np.abs(t - o)))

    metric = metrics.get(largest_error)
    assert (metric.name, metric.on_labels) == ("largest_error", False)
    outputs, targets = np.array([[0.2], [0.9]]), np.array([[0.0], [1.0]])
    assert metric(outputs, targets, "sigmoid") == pytest.approx(0.2)
    np.testing.assert_array_equal(seen[0][0], targets)
    np.testing.assert_array_equal(seen[0][1], outputs)

    class Spread:
        def __call__(self, t, o):
            return float(np.ptp(o))

    assert metrics.get(Spread()).name == "metric"


# -- initialisers ----------------------------------------------------------------------------
SCALING = {  # class: (name, scale, fan, distribution)
    initializers.GlorotUniform: ("glorot_uniform", 1.0, "avg", "uniform"),
    initializers.GlorotNormal: ("glorot_normal", 1.0, "avg", "normal"),
    initializers.HeUniform: ("he_uniform", 2.0, "in", "uniform"),
    initializers.HeNormal: ("he_normal", 2.0, "in", "normal"),
    initializers.LecunUniform: ("lecun_uniform", 1.0, "in", "uniform"),
    initializers.LecunNormal: ("lecun_normal", 1.0, "in", "normal"),
}


@pytest.mark.parametrize("cls", list(SCALING), ids=lambda c: c.__name__)
def test_a_variance_scaling_class_is_named_documented_and_pickles(cls):
    name, scale, fan, distribution = SCALING[cls]
    init = cls()
    assert (init.name, init.scale, init.fan, init.distribution) == (name, scale, fan, distribution)
    assert (cls.__module__, cls.__qualname__) == ("mlpkit.initializers", cls.__name__)
    assert cls.__doc__.startswith(
        f"{distribution.title()} entries of variance {scale:g} / fan_{fan}: "
    )
    assert isinstance(init, initializers.Initializer)
    assert type(pickle.loads(pickle.dumps(init))) is cls
    assert initializers.get(name) == init or type(initializers.get(name)) is cls


@pytest.mark.parametrize("cls", list(SCALING), ids=lambda c: c.__name__)
@pytest.mark.parametrize("shape", [(40, 500), (1, 20000), (20000,)])
def test_the_variance_is_scale_over_the_fan_for_matrices_vectors_and_one_unit(cls, shape):
    _, scale, fan, _ = SCALING[cls]
    fan_in, fan_out = shape if len(shape) == 2 else (shape[0], shape[0])
    n = {"in": fan_in, "avg": (fan_in + fan_out) / 2}[fan]
    w = cls()(shape, np.random.default_rng(0))
    assert w.shape == shape and w.dtype == np.float32
    assert w.astype(np.float64).var() == pytest.approx(scale / max(1.0, n), rel=0.05)
    assert cls()(shape, np.random.default_rng(0), "float64").dtype == np.float64


def test_the_keras_defaults_of_the_plain_initialisers():
    rng = np.random.default_rng(0)
    assert not initializers.Constant()((3, 4), rng).any()
    normal = initializers.Normal()((200, 200), rng).astype(np.float64)
    assert normal.std() == pytest.approx(0.05, rel=0.03) and abs(normal.mean()) < 0.002
    uniform = initializers.Uniform()((200, 200), rng)
    assert uniform.min() >= -0.05 and uniform.max() <= 0.05 and uniform.max() > 0.0499
    for init in (initializers.Constant(), initializers.Normal(), initializers.Uniform(),
                 initializers.Zeros()):  # fmt: skip
        assert init((2, 2), rng).dtype == np.float32


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "elu", "gelu", "silu"])
def test_the_relu_family_starts_from_he_uniform(activation):
    assert type(initializers.default_for(activation)) is initializers.HeUniform
    dense = mlpkit.Dense(4, 3, activation)
    assert type(dense.init) is initializers.HeUniform


@pytest.mark.parametrize(
    "config",
    [
        {"name": "he_normal", "extra": 1},
        {"config": {}},
        {"name": 3},
    ],
)
def test_an_initialiser_config_of_the_wrong_form_is_refused(config):
    with pytest.raises(ValueError) as caught:
        initializers.get(config)
    assert str(caught.value) == (
        f"an initializer's config is {{'name': ..., 'config': {{...}}}}, got {config!r}"
    )


def test_an_initialiser_config_that_is_not_an_object_is_refused_by_name():
    with pytest.raises(ValueError) as caught:
        initializers.get({"name": "constant", "config": [0.1]})
    assert str(caught.value) == "initializer 'constant': its config must be a JSON object"
