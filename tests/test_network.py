"""Sequential: weights and gradients line up, predict is batched and cache-free,
summary shows the shapes, and bad input gets one clear ValueError."""

from __future__ import annotations

import numpy as np
import pytest

import mlpkit
from mlpkit import Dense

from .conftest import make_mlp


def test_weights_and_gradients_are_aligned(rng):
    net = make_mlp([3, 5, 2])
    shapes = [w.shape for w in net.get_weights()]
    assert shapes == [(3, 5), (5,), (5, 2), (2,)]
    net.forward(rng.normal(size=(4, 3)))
    net.backward(np.ones((4, 2)))
    assert [g.shape for g in net.gradients()] == shapes
    assert net.parameter_names() == ["layer0.W", "layer0.b", "layer1.W", "layer1.b"]
    assert net.count_params() == 3 * 5 + 5 + 5 * 2 + 2


def test_get_weights_returns_copies_and_set_weights_copies_in(rng):
    net = make_mlp([2, 3, 1])
    weights = net.get_weights()
    weights[0][...] = 7.0
    assert not np.any(net.get_weights()[0] == 7.0)
    live = net.parameters()[0]
    net.set_weights(weights)
    assert net.parameters()[0] is live  # set_weights writes into the existing arrays
    np.testing.assert_array_equal(live, 7.0)


def test_set_weights_errors_name_the_array():
    net = make_mlp([2, 3, 1])
    good = net.get_weights()
    with pytest.raises(ValueError, match=r"got 3 arrays but the network has 4"):
        net.set_weights(good[:3])
    bad = list(good)
    bad[2] = np.zeros((3,))
    with pytest.raises(
        ValueError, match=r"array 2 \(layer1.W\) has shape \(3,\), expected \(3, 1\)"
    ):
        net.set_weights(bad)
    bad[2] = np.full((3, 1), np.nan)
    with pytest.raises(ValueError, match=r"array 2 \(layer1.W\) contains NaN or inf"):
        net.set_weights(bad)


def test_predict_is_batched_and_equals_forward(rng):
    net = make_mlp([4, 8, 3], hidden="relu", output="softmax", dtype="float32")
    x = rng.normal(size=(1000, 4)).astype(np.float32)
    full = net.forward(x)
    np.testing.assert_allclose(net.predict(x, batch_size=64), full, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(net.predict(x), full, rtol=1e-5, atol=1e-7)
    net.clear_cache()
    net.predict(x)
    assert net.layers[0]._x is None  # predict caches nothing


def test_predict_classes(rng):
    net = make_mlp([2, 3], output="softmax")
    x = rng.normal(size=(5, 2))
    np.testing.assert_array_equal(net.predict_classes(x), net.predict(x).argmax(1))
    binary = make_mlp([2, 1], output="sigmoid")
    np.testing.assert_array_equal(
        binary.predict_classes(x), (binary.predict(x)[:, 0] >= 0.5).astype(int)
    )


def test_summary_lists_every_shape_and_the_parameter_count():
    net = mlpkit.Sequential(
        [Dense(4, 3, "relu"), mlpkit.Dropout(0.1), Dense(3, 2, "softmax")], seed=0
    )
    text = str(net)
    for piece in [
        "Dense(relu)",
        "(N, 4)",
        "(4, 3)",
        "(3,)",
        "(N, 3)",
        "Dropout(0.1)",
        "Dense(softmax)",
        "(3, 2)",
        "(2,)",
        "(N, 2)",
        "total parameters: 23",
    ]:
        assert piece in text, piece


def test_summary_prints_once_and_returns_none(capsys):
    net = make_mlp([2, 2])
    assert net.summary() is None  # Keras's contract: a REPL shows the table once
    assert capsys.readouterr().out == str(net) + "\n"
    lines = []
    net.summary(print_fn=lines.append)
    assert lines == [str(net)] and "total parameters: 6" in lines[0]


BAD_INPUTS = [
    (
        np.zeros((3, 5)),
        r"layer 0 \(Dense\(in_features=4.*expects 4 input features, got X with 5 \(shape \(3, 5\)\)",
    ),
    (np.array([[1.0, np.nan, 0, 0]]), r"X contains nan at row 0, column 1"),
    (np.array([[0, 0, 0, 0], [1.0, 2, np.inf, 0]]), r"X contains inf at row 1, column 2"),
    (
        np.array([["a", "b", "c", "d"]]),
        r"X must be numeric; got dtype <U1 \(strings or mixed types\)",
    ),
    (np.zeros((0, 4)), r"X is empty \(shape \(0, 4\)\)"),
    (np.zeros(4), r"X must be 2-D .* got 1-D shape \(4,\); use X.reshape\(-1, 1\)"),
    (np.zeros((2, 2, 4)), r"X must be 2-D"),
    ([[1, 2, 3, 4], [1, 2]], r"X could not be read as a numeric array"),
    (np.array([[1e39, 0, 0, 0]]), r"X contains inf at row 0, column 0"),  # overflows float32
]


@pytest.mark.parametrize(("x", "message"), BAD_INPUTS)
def test_bad_input_gets_a_clear_error(x, message):
    net = make_mlp([4, 3, 2], dtype="float32")
    for call in (net.predict, net.forward, lambda a: net.fit(a, np.zeros((len(a), 2)), verbose=0)):
        with pytest.raises(ValueError, match=message):
            call(x)


def test_backward_checks_its_input(rng):
    net = make_mlp([3, 2])
    with pytest.raises(RuntimeError, match="needs a forward"):
        net.backward(np.ones((2, 2)))
    net.forward(rng.normal(size=(4, 3)))
    with pytest.raises(ValueError, match=r"dY has shape \(4, 3\), expected \(4, 2\)"):
        net.backward(np.ones((4, 3)))


def test_construction_errors():
    with pytest.raises(ValueError, match="at least one layer"):
        mlpkit.Sequential([]).predict(np.ones((1, 2)))
    with pytest.raises(TypeError, match="layer 1 is str"):
        mlpkit.Sequential([Dense(2, 2), "relu"])
    shared = Dense(2, 2)
    with pytest.raises(ValueError, match="appears twice"):
        mlpkit.Sequential([shared, shared])
    with pytest.raises(ValueError, match="dtype must be 'float32' or 'float64'"):
        mlpkit.Sequential([Dense(2, 2)], dtype="int8")


def test_same_seed_same_weights_and_different_seed_different():
    a, b, c = (make_mlp([3, 4, 2], seed=s).get_weights() for s in (5, 5, 6))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


def test_astype_and_copy_are_independent(rng):
    net = make_mlp([3, 4, 2], dtype="float32")
    wide = net.astype("float64")
    assert wide.dtype == np.float64 and all(w.dtype == np.float64 for w in wide.get_weights())
    x = rng.normal(size=(5, 3))
    np.testing.assert_allclose(wide.predict(x), net.predict(x), rtol=1e-5, atol=1e-6)
    twin = net.copy()
    twin.parameters()[0][...] = 0
    assert np.any(net.parameters()[0] != 0)


@pytest.mark.parametrize("rows", [1, 100])
def test_huge_but_finite_values_are_accepted_and_nonfinite_ones_found(rows):
    """The fast finiteness check is the dot product x·x; one that overflows must not be
    mistaken for an inf in the data, and slices (not contiguous) are checked too."""
    net = make_mlp([100, 1], dtype="float32")
    x = np.full((rows, 100), 1e35, dtype=np.float32)  # x·x (1e70) overflows float32
    assert net.predict(x).shape == (rows, 1)
    x[rows - 1, 3] = np.nan
    with pytest.raises(ValueError, match=f"X contains nan at row {rows - 1}, column 3"):
        net.predict(x)
    wide = np.zeros((rows, 200), dtype=np.float32)
    wide[0, 6] = -np.inf
    with pytest.raises(ValueError, match="X contains -inf at row 0, column 3"):
        net.predict(wide[:, ::2])  # a strided view


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", mlpkit.activations.names())
def test_a_single_row_predicts_what_it_does_inside_a_batch(activation, dtype, rng):
    """One row runs as a 1-D vector (a faster path); it must equal its row of a batch."""
    layers = [
        Dense(5, 7, activation),
        mlpkit.layers.Dropout(0.3),
        mlpkit.layers.GaussianNoise(0.1),
        Dense(7, 4),
        mlpkit.layers.Softmax(),
    ]
    net = mlpkit.Sequential(layers, seed=1, dtype=dtype)
    x = rng.normal(size=(6, 5))
    batch = net.predict(x)
    for i in range(6):
        one = net.predict(x[i : i + 1])
        assert one.shape == (1, 4) and one.dtype == np.dtype(dtype)
        np.testing.assert_allclose(one[0], batch[i], rtol=1e-5, atol=1e-7)


def test_a_user_layer_that_needs_2d_rows_still_gets_them(rng):
    class RowNorm(mlpkit.layers.Layer):
        """Scales each row to unit length; written for 2-D batches only."""

        def build(self, in_features, rng, dtype):
            self.dtype = dtype
            return in_features

        def forward(self, x, training=False):
            return x / np.linalg.norm(x, axis=1, keepdims=True)

    net = mlpkit.Sequential([Dense(3, 4), RowNorm()], seed=0)
    row = net.predict(rng.normal(size=(1, 3)))
    assert row.shape == (1, 4)
    assert np.linalg.norm(row) == pytest.approx(1.0, rel=1e-5)


def test_add_builds_layers_keras_style_and_a_trained_model_keeps_training(rng):
    net = mlpkit.Sequential(seed=3)
    assert net.add(mlpkit.layers.GaussianNoise(0.1)) is net  # width unknown yet: pending
    net.add(Dense(2, 5, "tanh")).add(mlpkit.Dropout(0.2)).add(Dense(5, 3, "softmax"))
    twin = mlpkit.Sequential(
        [mlpkit.layers.GaussianNoise(0.1), Dense(2, 5, "tanh"), mlpkit.Dropout(0.2),
         Dense(5, 3, "softmax")],
        seed=3,
    )  # fmt: skip
    assert (net.n_features_in, net.n_outputs) == (2, 3)
    for a, b in zip(net.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # the same draws as building at once
    x, y = rng.normal(size=(20, 2)), rng.integers(0, 3, 20)
    net.fit(x, y, epochs=2, verbose=0)
    before = net.get_weights()
    net.add(Dense(3, 2, "softmax"))  # grows the trained model; old layers untouched
    np.testing.assert_array_equal(net.get_weights()[0], before[0])
    assert net.n_outputs == 2
    net.fit(x, y % 2, epochs=1, verbose=0)  # resumes: new parameters get fresh state
    assert set(net.optimizer.state_dict()["state"]) == set(net.parameter_names())
    with pytest.raises(
        ValueError, match="layer 5: .*expects 5 input features but the layer before it outputs 2"
    ):
        net.add(Dense(5, 1))


def test_model_save_is_mlpkit_save(tmp_path, rng):
    net = make_mlp([3, 4, 2], output="softmax", dtype="float32")
    x = rng.normal(size=(6, 3)).astype(np.float32)
    path = net.save(tmp_path / "m.mlpk")
    assert path == tmp_path / "m.mlpk"
    np.testing.assert_array_equal(mlpkit.load(path).predict(x), net.predict(x))
    assert path.read_bytes() == mlpkit.save(net, tmp_path / "n.mlpk").read_bytes()


def test_predict_proba_for_softmax_sigmoid_and_multilabel_outputs(rng):
    x = rng.normal(size=(5, 3))
    soft = make_mlp([3, 4], output="softmax")
    np.testing.assert_allclose(soft.predict_proba(x), soft.predict(x))
    np.testing.assert_allclose(soft.predict_proba(x).sum(axis=1), 1.0)
    one = make_mlp([3, 1], output="sigmoid")
    p = one.predict(x)[:, 0]
    np.testing.assert_allclose(one.predict_proba(x), np.column_stack([1 - p, p]))
    assert one.predict_classes(x).tolist() == (p >= 0.5).astype(int).tolist()
    labels = make_mlp([3, 4], output="sigmoid")
    np.testing.assert_allclose(labels.predict_proba(x), labels.predict(x))
    with pytest.raises(
        ValueError,
        match="predict_proba needs a softmax or sigmoid output layer; this one is identity",
    ):
        make_mlp([3, 2]).predict_proba(x)


def test_the_scikit_learn_wrapper_predicts_through_the_network(rng):
    from mlpkit.sklearn import MLPClassifier

    x = rng.normal(size=(40, 3))
    for y in ((x[:, 0] > 0).astype(int), rng.integers(0, 3, 40)):
        clf = MLPClassifier((5,), max_iter=5, random_state=0).fit(x, y)
        np.testing.assert_array_equal(clf.predict_proba(x), clf.network_.predict_proba(x))
        np.testing.assert_array_equal(clf.predict(x), clf.classes_[clf.network_.predict_classes(x)])
