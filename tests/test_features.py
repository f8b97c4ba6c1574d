"""InputFeatures: fixed features of the inputs (x₁², x₁x₂, sin x₁) as a layer, with its
backward checked by central differences, saved and loaded with the model, and refused
with one line when a term or a file is malformed."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import mlpkit
from mlpkit import Dense, InputFeatures
from mlpkit.layers.features import parse_term

from .test_hostile_files import resign

TERMS = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)", "x2*x2"]


def test_each_term_is_its_formula(rng):
    x = rng.normal(size=(7, 2))
    layer = InputFeatures(TERMS)
    assert layer.build(2, rng, np.dtype("float64")) == len(TERMS)
    a, b = x[:, 0], x[:, 1]
    want = np.stack([a, b, a * a, b * b, a * b, np.sin(a), np.sin(b), b * b], axis=1)
    np.testing.assert_array_equal(layer.call(x), want)
    np.testing.assert_array_equal(layer.forward(x, training=True), want)


def test_the_backward_is_the_terms_derivatives(rng):
    """dX against central differences of sum(F ⊙ dF), in float64."""
    x = rng.normal(size=(5, 3))
    layer = InputFeatures(["x1", "x3^2", "x1*x2", "sin(x2)", "x3*x3", "x2*x1"])
    layer.build(3, rng, np.dtype("float64"))
    dy = rng.normal(size=(5, 6))
    layer.forward(x)
    got = layer.backward(dy)
    numeric = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += 1e-6
        down[idx] -= 1e-6
        numeric[idx] = (np.sum(layer.call(up) * dy) - np.sum(layer.call(down) * dy)) / 2e-6
    np.testing.assert_allclose(got, numeric, rtol=1e-7, atol=1e-8)
    assert layer.backward(dy, need_input_grad=False) is None
    # an input no term uses gets a zero gradient
    unused = InputFeatures(["x1"], in_features=2)
    unused.build(2, rng, np.dtype("float64"))
    unused.forward(x[:, :2])
    np.testing.assert_array_equal(unused.backward(dy[:, :1])[:, 1], 0.0)


def test_a_network_on_features_passes_gradcheck_and_learns_circles(tmp_path, capsys):
    net = mlpkit.Sequential([InputFeatures(["x1", "x2", "x1^2", "x2^2"]), Dense(4, 3, "tanh"),
                             Dense(3, 1, "sigmoid")], seed=0, dtype="float64")  # fmt: skip
    x, y = mlpkit.datasets.circles(200, noise=0.05, seed=1)
    report = mlpkit.gradcheck(net, x[:16], y[:16])
    assert report.passed, report
    net.fit(x, y, optimizer=mlpkit.optimizers.Adam(lr=0.05), epochs=60, batch_size=None, verbose=0)
    assert np.mean(net.predict_classes(x) == y) > 0.95  # squares make the circle a line
    path = net.save(tmp_path / "c.mlpk")
    loaded = mlpkit.load(path)
    assert loaded.layers[0].terms == ["x1", "x2", "x1^2", "x2^2"] and loaded.n_features_in == 2
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))
    # one row runs as a vector through every layer (the single-row fast path)
    np.testing.assert_allclose(loaded.predict(x[:1]), net.predict(x)[:1], rtol=1e-12)
    assert "InputFeatures" in repr(loaded.layers[0])
    loaded.summary()
    assert re.search(r"InputFeatures\s+\(N, 2\)\s+-\s+-\s+\(N, 4\)\s+0", capsys.readouterr().out)


@pytest.mark.parametrize(
    ("terms", "kwargs", "message"),
    [
        (["x0"], {}, "inputs are numbered from x1"),
        (
            ["cos(x1)"],
            {},
            re.escape("a feature term is x1, x1^2, x1*x2 or sin(x1) (inputs from x1)"),
        ),
        (["x1^3"], {}, "a feature term is"),
        ([3], {}, "a feature term is"),
        ([], {}, "terms must be a non-empty list"),
        ("x1", {}, "terms must be a non-empty list"),
        (["x1", "x2", "x1"], {}, "a feature term is given twice: x1$"),
        (["x3"], {"in_features": 2}, "in_features must be a whole number >= 3"),
        (["x1"], {"in_features": True}, "in_features must be a whole number"),
        (["x1"] * 300, {}, "at most 256 feature terms"),
    ],
)
def test_a_bad_term_is_named(terms, kwargs, message):
    with pytest.raises(ValueError, match=message):
        InputFeatures(terms, **kwargs)


def test_parse_term_reads_each_form():
    assert parse_term("x2^2") == ("square", (1,))
    assert parse_term("x10*x3") == ("product", (9, 2))
    assert parse_term("sin(x4)") == ("sin", (3,))
    assert parse_term("x1") == ("input", (0,))


def test_a_width_mismatch_is_refused(rng):
    with pytest.raises(ValueError, match="InputFeatures takes 2 inputs; the layer gets 3"):
        mlpkit.Sequential([Dense(3, 3), InputFeatures(["x1", "x2"])])
    net = mlpkit.Sequential([InputFeatures(["x1", "x1*x2"]), Dense(2, 1)])
    with pytest.raises(ValueError, match="expects 2 input features, got X with 3"):
        net.predict(np.zeros((4, 3), np.float32))


def test_a_file_with_a_bad_feature_layer_is_one_line(tmp_path):
    net = mlpkit.Sequential([InputFeatures(["x1", "x2^2"]), Dense(2, 1)], seed=0)
    path = net.save(tmp_path / "f.mlpk")

    def bad_term(header):
        header["layers"][0]["terms"][1] = "x2^9"

    (tmp_path / "bad.mlpk").write_bytes(resign(path.read_bytes(), bad_term))
    with pytest.raises(mlpkit.LoadError) as info:
        mlpkit.load(tmp_path / "bad.mlpk")
    message = str(info.value)
    assert "layer 0 (InputFeatures)" in message and "'x2^9'" in message and "\n" not in message
    assert json.loads(json.dumps(net.layers[0].get_config())) == {"terms": ["x1", "x2^2"],
                                                                   "in_features": 2}  # fmt: skip


def test_one_input_has_its_gradient_and_the_term_limit_is_inclusive(rng):
    """A single input (x1 only) backpropagates; MAX_TERMS terms are allowed, one more is not."""
    from mlpkit.layers.features import MAX_TERMS

    layer = InputFeatures(["x1", "x1^2", "sin(x1)"])
    layer.build(1, rng, np.dtype("float64"))
    x = rng.normal(size=(4, 1))
    layer.forward(x)
    dx = layer.backward(np.ones((4, 3)))
    np.testing.assert_allclose(dx[:, 0], 1 + 2 * x[:, 0] + np.cos(x[:, 0]))
    terms = [f"x{i}" for i in range(1, MAX_TERMS + 2)]
    assert len(InputFeatures(terms[:MAX_TERMS]).terms) == MAX_TERMS
    with pytest.raises(ValueError, match=f"at most {MAX_TERMS} feature terms"):
        InputFeatures(terms)
