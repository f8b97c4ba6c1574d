"""The model's own surface at its edges: predict and logits in chunks and into ``out``,
on other array libraries and on Dask, with their one-line refusals; snapshots, weights
and the summary of every kind of layer (text and HTML); building from built and
unbuilt layers; train and eval modes."""

from __future__ import annotations

import numpy as np
import pytest

import mlpkit
from mlpkit import BatchNorm, Dense, Dropout, ReLU, Sequential

from .conftest import require


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
    sparse = require("scipy.sparse", "pip install -r requirements/dev.lock (SciPy)")
    net = Sequential([BatchNorm(3), Dense(3, 2)], seed=0)
    with pytest.raises(ValueError) as caught:
        net.predict(sparse.csr_matrix(_rows(4)))
    assert str(caught.value) == (
        "a sparse X needs a Dense first layer (the one layer that multiplies it without "
        "densifying it); this model starts with BatchNorm(3, momentum=0.1, eps=1e-05, affine=True)"
    )


def test_another_library_s_rows_are_predicted_in_chunks_and_into_out():
    xp = require("array_api_strict", "pip install -r requirements/dev.lock (array-api-strict)")
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
    da = require("dask.array", "pip install 'mlpkit[dask]'")
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
    xp = require("array_api_strict", "pip install -r requirements/dev.lock (array-api-strict)")
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
    xp = require("array_api_strict", "pip install -r requirements/dev.lock (array-api-strict)")
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


# -- names, reprs and registries -------------------------------------------------------------
def test_the_model_s_repr_lists_its_layers():
    net = Sequential([Dense(2, 3, "relu"), Dropout(0.5)], seed=4, dtype="float64")
    assert repr(net) == (
        "Sequential([Dense(in_features=2, out_features=3, activation='relu'), "
        "Dropout(rate=0.5)], seed=4, dtype='float64')"
    )
    assert repr(mlpkit.optimizers.SGD(lr=0.5)) == (
        "SGD(lr=0.5, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0)"
    )


def test_the_html_summary_has_its_header_and_right_aligns_the_numbers():
    html = Sequential([Dense(3, 4)], seed=0)._repr_html_()
    header = [c.split(">")[1] for c in html.split("<th")[1:]]
    assert [h.split("<")[0] for h in header] == [
        "#",
        "layer",
        "input",
        "W",
        "b",
        "output",
        "params",
    ]
    first_row = html.split("<tr")[2]
    aligns = [cell.split("text-align:")[1].split('"')[0] for cell in first_row.split("<td")[1:]]
    assert aligns == ["right", "left", "left", "left", "left", "left", "right"]


def test_a_registry_made_here_knows_its_classes_aliases_and_hint():
    from mlpkit._registry import Registry, UnknownNameError

    class Base:
        name = ""

    class Alpha(Base):
        name = "Alpha"

    class Beta(Base):
        name = "beta"

    table = Registry("thing", Base, (Alpha, Beta), {"a": "alpha"}, function_hint="write a class")
    assert (table.kind, table.base, table.function_hint) == ("thing", Base, "write a class")
    assert table.names() == ["alpha", "beta"] and table.lookup("A") is Alpha
    assert type(table.create("BETA")) is Beta
    with pytest.raises(UnknownNameError) as caught:
        table.create("gamma")
    assert str(caught.value) == "unknown thing 'gamma'; choose one of alpha, beta"
    with pytest.raises(TypeError, match=r"^thing 'len' is a plain function: write a class$"):
        table.create(len)
    empty = Registry("other", Base)
    assert empty.names() == [] and empty.lookup("a") is None and empty.function_hint is None

    class Nameless(Base):
        pass

    with pytest.raises(
        ValueError, match=r"^Nameless needs a class attribute `name` to be registered$"
    ):
        table.register(Nameless)

    class Impostor(Base):
        name = "alpha"

    with pytest.raises(ValueError) as caught:
        table.register(Impostor)
    assert str(caught.value).endswith(f"{Alpha.__qualname__}; give the new class another `name`")
    assert table.register(Nameless, name="Gamma") is Nameless and table.lookup("gamma") is Nameless


# -- weights in, gradients out ------------------------------------------------------------------
def test_set_weights_takes_integers_and_says_how_many_arrays_it_needs():
    net = Sequential([Dense(2, 2)], seed=0)
    net.set_weights([np.ones((2, 2), np.int64), np.zeros(2, np.int32)])
    assert net.get_weights()[0].dtype == np.float32 and net.get_weights()[0].sum() == 4.0
    with pytest.raises(ValueError) as caught:
        net.set_weights([np.ones((2, 2))])
    assert (
        str(caught.value) == "set_weights got 1 arrays but the network has 2 (layer0.W, layer0.b)"
    )


def test_set_weights_on_another_library_casts_to_the_model_s_dtype():
    xp = require("array_api_strict", "pip install -r requirements/dev.lock (array-api-strict)")
    net = _net().to(xp)
    doubles = [w.astype(np.float64) * 2 for w in net.get_weights()]
    net.set_weights(doubles)
    assert all(p.dtype == xp.float32 for p in net.parameters())
    np.testing.assert_allclose(net.get_weights()[0], doubles[0], rtol=1e-6)


def test_backward_takes_any_array_like_in_the_model_s_dtype_and_needs_a_forward():
    net = _net("float64")
    with pytest.raises(RuntimeError, match=r"^backward\(\) needs a forward\(\) first$"):
        net.backward(np.zeros((2, 2)))
    x = _rows(2).astype(np.float64)
    net.forward(x)
    dx = net.backward([[1, 0], [0, 1]])  # a list of integers
    assert dx.dtype == np.float64 and dx.shape == (2, 3)
    net.forward(x)
    np.testing.assert_array_equal(net.backward(np.eye(2, dtype=np.float32)), dx)


def test_backward_on_another_library_takes_a_host_gradient():
    xp = require("array_api_strict", "pip install -r requirements/dev.lock (array-api-strict)")
    net, x = _net(), _rows(2)
    net.forward(x)
    expected = net.backward(np.eye(2, dtype=np.float32))
    on = net.copy().to(xp)
    on.forward(xp.asarray(x))
    got = on.backward(np.eye(2, dtype=np.float32))
    np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-6)


# -- one row, and positional arguments ----------------------------------------------------------
def test_one_row_through_a_user_s_layer_or_activation_is_a_row_of_a_matrix():
    """The single-row shortcut (a 1-D vector through mlpkit's own layers) is not taken
    for a user's layer or activation, which may index the second axis."""

    class Columns(mlpkit.Layer):
        def forward(self, x, training=False):
            return x[:, ::-1] * 1.0

    class Scaled(mlpkit.activations.Tanh):
        name = "scaled_tanh_surface"

        def forward(self, z):
            assert z.ndim == 2, "2-D only"
            return super().forward(z) * 2.0

    x = _rows(1)
    for layers in ([Dense(3, 3), Columns(), Dense(3, 2)], [Dense(3, 2, Scaled())]):
        net = Sequential(layers, seed=0)
        np.testing.assert_allclose(net.predict(x), net.predict(np.repeat(x, 2, axis=0))[:1])


def test_positional_arguments_after_the_leading_ones_are_written_out_as_keywords():
    net, x = _net(), _rows(4)
    with pytest.raises(TypeError) as caught:
        net.fit(x, np.zeros(4, int), 2, 1, 0, [], 0.5, None, True, None, None, "extra")
    assert str(caught.value) == (
        "fit() takes x, y by position and the rest by keyword; write fit(x, y, batch_size=2, "
        "epochs=1, verbose=0, callbacks=<list>, validation_split=0.5, validation_data=None, "
        "shuffle=True, class_weight=None, sample_weight=None) (and name the rest)"
    )
    with pytest.raises(TypeError) as caught:
        mlpkit.EarlyStopping("loss", 3)
    assert str(caught.value) == (
        "EarlyStopping() takes monitor by position and the rest by keyword; "
        "write EarlyStopping(monitor, patience=3)"
    )
    assert mlpkit.EarlyStopping("loss", patience=3).patience == 3


# -- sparse rows ----------------------------------------------------------------------------
def test_sparse_rows_are_checked_like_dense_ones_naming_the_row():
    sparse = require("scipy.sparse", "pip install -r requirements/dev.lock (SciPy)")
    from mlpkit._validation import as_sparse_rows

    net = Sequential([Dense(3, 2)], seed=0)
    dense = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [0.0, 3.0, 0.0], [4.0, 0.0, 0.0]])
    for kind in (np.int64, np.bool_):  # integers and booleans become the model's dtype
        rows = as_sparse_rows(sparse.csr_matrix(dense.astype(kind)), np.dtype(np.float32))
        assert rows.dtype == np.float32 and rows.format == "csr"
        np.testing.assert_array_equal(rows.toarray(), dense.astype(kind).astype(np.float32))
    with_nan = dense.copy()
    with_nan[2, 1] = np.nan
    for where, message in (
        (
            sparse.csr_matrix(with_nan),
            "X contains NaN or inf in row 2; remove or impute them first",
        ),
        (
            sparse.csc_matrix(with_nan),
            "X contains NaN or inf in row 2; remove or impute them first",
        ),
        (
            sparse.csr_matrix((0, 3)),
            "X is empty (shape (0, 3)); it needs at least one row and column",
        ),
        (
            sparse.csr_matrix((2, 0)),
            "X is empty (shape (2, 0)); it needs at least one row and column",
        ),
        (sparse.csr_matrix(np.ones((1, 3))), None),
    ):
        if message is None:
            assert as_sparse_rows(where, np.dtype(np.float32)).shape == (1, 3)
            continue
        with pytest.raises(ValueError) as caught:
            net.predict(where) if where.shape[1] == 3 else as_sparse_rows(
                where, np.dtype(np.float32)
            )
        assert str(caught.value) == message
    with pytest.raises(ValueError, match=r"^rows must be numeric; got dtype complex128$"):
        as_sparse_rows(sparse.csr_matrix(np.ones((2, 3), complex)), np.dtype(np.float32), "rows")
    if hasattr(sparse, "coo_array"):
        try:
            vector = sparse.coo_array(np.ones(3))
        except ValueError:  # (older SciPy: sparse arrays are 2-D only)
            vector = None
        if vector is not None and vector.ndim == 1:
            with pytest.raises(
                ValueError, match=r"^X must be 2-D \(N samples, k features\), got shape \(3,\)$"
            ):
                as_sparse_rows(vector, np.dtype(np.float32))


def test_dir_lists_the_lazy_modules_and_names():
    listed = dir(mlpkit)
    assert listed == sorted(listed)
    for name in ("Sequential", "sklearn", "onnx", "plots", "explorer", "reduction", "Autoencoder",
                 "one_hot", "from_one_hot"):  # fmt: skip
        assert name in listed


def test_the_summary_is_a_table_of_shapes_with_the_numbers_right_aligned():
    net = Sequential([Dense(3, 4, "relu", bias=False), Dropout(0.25), BatchNorm(4),
                      Dense(4, 2, "softmax")], seed=3)  # fmt: skip
    assert str(net) == "\n".join([
        "Sequential (float32, seed=3)",
        "#  layer           input   W       b     output  params",
        "-------------------------------------------------------",
        "0  Dense(relu)     (N, 3)  (3, 4)  -     (N, 4)      12",
        "1  Dropout(0.25)   (N, 4)  -       -     (N, 4)       0",
        "2  BatchNorm       (N, 4)  -       -     (N, 4)       8",
        "3  Dense(softmax)  (N, 4)  (4, 2)  (2,)  (N, 2)      10",
        "total parameters: 30",
    ])  # fmt: skip
    printed = []
    assert net.summary(printed.append) is None and printed == [str(net)]


def test_astype_makes_an_independent_copy_that_starts_a_fresh_optimizer():
    net = _net("float64")
    x = _rows(8).astype(np.float64)
    net.fit(x, np.arange(8) % 2, epochs=1, verbose=0)
    single = net.astype("float32")
    assert single.dtype == np.float32 and all(p.dtype == np.float32 for p in single.parameters())
    assert net.dtype == np.float64 and all(p.dtype == np.float64 for p in net.parameters())
    assert single.optimizer is None and net.optimizer is not None
    np.testing.assert_allclose(single.predict(x.astype(np.float32)), net.predict(x), rtol=1e-5)
    single.fit(x.astype(np.float32), np.arange(8) % 2, epochs=1, verbose=0)  # trains afresh
    assert single.optimizer is not None


def test_on_host_is_the_model_itself_on_numpy_and_a_numpy_copy_elsewhere():
    xp = require("array_api_strict", "pip install -r requirements/dev.lock (array-api-strict)")
    net = _net()
    assert net.on_host() is net
    away = _net().to(xp)
    home = away.on_host()
    assert home is not away and home.backend == "numpy" and away.backend == "array_api_strict"
    np.testing.assert_array_equal(home.get_weights()[0], away.get_weights()[0])


def test_the_package_loads_its_optional_parts_on_first_use(monkeypatch):
    """PEP 562: ``mlpkit.sklearn`` and ``mlpkit.load`` load when first asked for (called
    directly here: in a test process they may have been loaded already)."""
    import importlib

    lazy = mlpkit.__getattr__
    assert lazy("metrics") is importlib.import_module("mlpkit.metrics")
    monkeypatch.delitem(vars(mlpkit), "from_one_hot", raising=False)
    found = lazy("from_one_hot")
    assert found is mlpkit.datasets.from_one_hot and vars(mlpkit)["from_one_hot"] is found
    with pytest.raises(AttributeError, match=r"^module 'mlpkit' has no attribute 'nope'$"):
        lazy("nope")
    assert "one_hot" in mlpkit.__dir__() and "sklearn" in mlpkit.__dir__()
