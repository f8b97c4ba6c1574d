"""The model's own surface at its edges: predict and logits in chunks and into ``out``,
on other array libraries and on Dask, with their one-line refusals; snapshots, weights
and the summary of every kind of layer (text and HTML); building from built and
unbuilt layers; train and eval modes."""

from __future__ import annotations

import numpy as np
import pytest

from mlpkit import BatchNorm, Dense, Dropout, ReLU, Sequential


def _net(dtype="float32"):
    return Sequential([Dense(3, 5, "tanh"), Dense(5, 2, "softmax")], seed=0, dtype=dtype)


def _rows(n=10, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 3)).astype(np.float32)


# -- predict and logits ------------------------------------------------------------------
def test_logits_in_chunks_are_the_logits_at_once_and_give_predict_through_the_head():
    net, x = _net(), _rows(11)
    whole = net.logits(x)
    np.testing.assert_array_equal(net.logits(x, batch_size=4), whole)
    np.testing.assert_allclose(net.head().outputs(whole), net.predict(x), rtol=1e-6)


def test_predict_refuses_a_batch_size_under_one_and_an_out_of_the_wrong_shape():
    net, x = _net(), _rows(6)
    with pytest.raises(ValueError, match=r"^batch_size must be >= 1, got 0$"):
        net.predict(x, batch_size=0)
    with pytest.raises(ValueError, match=r"^predict: out has shape \(6, 3\), expected \(6, 2\)$"):
        net.predict(x, out=np.empty((6, 3), np.float32))
    out = np.full((6, 2), np.nan, np.float32)
    assert net.predict(x, batch_size=4, out=out) is out
    np.testing.assert_allclose(out, net.predict(x), rtol=1e-6)


def test_a_sparse_input_needs_a_dense_first_layer():
    sparse = pytest.importorskip("scipy.sparse")
    net = Sequential([BatchNorm(3), Dense(3, 2)], seed=0)
    with pytest.raises(ValueError) as caught:
        net.predict(sparse.csr_matrix(_rows(4)))
    assert str(caught.value) == (
        "a sparse X needs a Dense first layer (the one layer that multiplies it without "
        "densifying it); this model starts with BatchNorm(3, momentum=0.1, eps=1e-05, affine=True)"
    )


def test_another_library_s_rows_are_predicted_in_chunks_and_into_out():
    xp = pytest.importorskip("array_api_strict")
    net, x = _net(), _rows(9)
    expected = net.predict(x)
    rows = xp.asarray(x)
    chunked = net.predict(rows, batch_size=4)
    assert type(chunked) is type(rows)
    np.testing.assert_allclose(np.asarray(chunked), expected, rtol=1e-6)
    with pytest.raises(ValueError, match=r"^batch_size must be >= 1, got -1$"):
        net.predict(rows, batch_size=-1)
    out = np.zeros((9, 2), np.float32)
    on_model = net.copy().to(xp)
    assert on_model.predict(x, out=out) is out  # a NumPy X of a model elsewhere: into out
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_allclose(
        np.asarray(on_model.predict(rows, batch_size=2)), expected, rtol=1e-6
    )


def test_a_dask_array_is_predicted_lazily_block_by_block():
    da = pytest.importorskip("dask.array")
    net, x = _net(), _rows(12)
    lazy = net.predict(da.from_array(x, chunks=(5, 2)))
    assert type(lazy).__module__.startswith("dask")
    assert lazy.chunks == ((5, 5, 2), (2,))
    np.testing.assert_allclose(lazy.compute(), net.predict(x), rtol=1e-6)
    with pytest.raises(ValueError, match=r"^X has shape \(12, 4\); the model expects \(N, 3\)$"):
        net.predict(da.zeros((12, 4), chunks=6))
    with pytest.raises(ValueError, match=r"^X has shape \(12,\); the model expects \(N, 3\)$"):
        net.predict(da.zeros(12, chunks=6))


# -- parameters, weights, snapshots --------------------------------------------------------
def test_restore_takes_only_a_snapshot_of_the_same_model():
    net = _net()
    with pytest.raises(ValueError, match=r"^restore\(\) needs a snapshot\(\) of this same model$"):
        net.restore(net.snapshot()[:-1])
    other = Sequential([Dense(3, 4), Dense(4, 2)], seed=0).snapshot()
    with pytest.raises(ValueError, match=r"^restore\(\) needs a snapshot\(\) of this same model$"):
        net.restore(other)


def test_set_weights_refuses_what_is_not_numbers_naming_the_array():
    net = _net()
    weights = net.get_weights()
    weights[1] = np.array(["a"] * 5)
    with pytest.raises(ValueError) as caught:
        net.set_weights(weights)
    assert str(caught.value) == "set_weights: array 1 (layer0.b) is not numeric (dtype <U1)"


def test_set_weights_on_another_library_writes_its_own_arrays():
    xp = pytest.importorskip("array_api_strict")
    net = _net().to(xp)
    new = [w + 1.0 for w in net.get_weights()]
    net.set_weights(new)
    for got, want in zip(net.get_weights(), new, strict=True):
        np.testing.assert_array_equal(got, want)
    assert all(type(p).__module__.startswith("array_api_strict") for p in net.parameters())


def test_the_summary_names_every_kind_of_layer_and_its_html_has_the_same_rows():
    net = Sequential([Dense(3, 4), ReLU(), Dropout(0.25), BatchNorm(4), Dense(4, 1, "sigmoid")],
                     seed=7)  # fmt: skip
    rows = net.describe_layers()
    assert [r["layer"] for r in rows] == ["Dense(identity)", "ReLU", "Dropout(0.25)",
                                          "BatchNorm", "Dense(sigmoid)"]  # fmt: skip
    assert [r["params"] for r in rows] == [16, 0, 0, 8, 5]
    html = net._repr_html_()
    assert html.startswith('<table class="mlpkit"')
    assert "Sequential (float32, seed=7)" in html and "total parameters: 29" in html
    for r in rows:
        assert f">{r['layer']}<" in html and f">{r['params']}<" in html


# -- building and modes --------------------------------------------------------------------
def test_built_and_unbuilt_dense_layers_do_not_mix():
    built = Sequential([Dense(2, 3)], seed=0).layers[0]
    with pytest.raises(ValueError) as caught:
        Sequential([built, Dense(3, 1)])
    assert str(caught.value) == (
        "mix of built and unbuilt Dense layers; use fresh layers or all built ones"
    )


def test_a_built_layer_must_fit_the_width_and_dtype_it_joins():
    first, second = Sequential([Dense(2, 3), Dense(3, 4)], seed=0).layers
    other = Sequential([Dense(5, 2)], seed=0, dtype="float64").layers[0]
    with pytest.raises(
        ValueError, match=r"^layer 1: Dense\(in_features=5, .*\) expects 5 inputs, gets 3$"
    ):
        Sequential([first, other])
    wide = Sequential([Dense(3, 2)], seed=0, dtype="float64").layers[0]
    with pytest.raises(ValueError, match=r"^layer 1 is float64, the network float32$"):
        Sequential([first, wide])
    assert Sequential([first, second]).n_outputs == 4  # (shared layers that fit)


def test_a_layer_added_to_a_model_on_another_library_lives_there():
    xp = pytest.importorskip("array_api_strict")
    net = Sequential([Dense(3, 4)], seed=0).to(xp)
    net.add(Dense(4, 2))
    assert all(type(p).__module__.startswith("array_api_strict") for p in net.parameters())
    assert net.predict(xp.asarray(_rows(2))).shape == (2, 2)


def test_train_and_eval_set_the_mode_forward_runs_in_and_return_the_model():
    net = Sequential([Dense(3, 50), Dropout(0.5), Dense(50, 1)], seed=0)
    x = _rows(4)
    assert net.training is False
    assert net.train() is net and net.training is True
    assert not np.array_equal(net.forward(x), net.forward(x))  # dropout draws each time
    assert net.eval() is net and net.training is False
    np.testing.assert_array_equal(net.forward(x), net.predict(x))
    assert net.train(False).training is False and net.train(1).training is True
