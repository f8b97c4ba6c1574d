"""The same hand-written backprop on other array libraries, through the array API.

Every core piece — activations, losses, heads, layers, optimizers, a short fit,
predict, save/load — runs on NumPy, on array-api-strict (on a non-default device, so a
stray conversion to NumPy raises; the float32 cases on its device without float64) and
on PyTorch CPU tensors, and gives NumPy's numbers: within 1e-10 in float64 and 1e-5 in
float32. This is how the GPU path is tested on a machine without a GPU.
"""

from __future__ import annotations

import numpy as np
import pytest

import mlpkit
from mlpkit import _backend, activations, heads, losses, optimizers
from mlpkit.layers import BatchNorm, Dense, Dropout, LayerNorm
from mlpkit.training import ParameterPack

from .conftest import require

BACKENDS = ["array_api_strict", "torch"]
DTYPES = ["float64", "float32"]
TOL = {"float64": 1e-10, "float32": 1e-5}


class Backend:
    """One array library on one device: moves host arrays there and back."""

    def __init__(self, name: str, dtype: str) -> None:
        self.name, self.dtype = name, dtype
        if name == "array_api_strict":
            strict = require("array_api_strict", "pip install array-api-strict")
            self.device = strict.Device("device1" if dtype == "float64" else "no_float64")
        else:
            torch = require("torch", "pip install torch==2.13.0 (CPU)")
            self.device = torch.device("cpu")
        self.xp = _backend.namespace(name)

    def __call__(self, a: np.ndarray) -> object:
        a = np.asarray(a)
        if a.dtype.kind == "f":
            a = a.astype(self.dtype)
        return _backend.asarray(a, self.xp, self.device)

    def host(self, a: object) -> np.ndarray:
        return _backend.to_numpy(a)

    def close(self, mine: object, numpy_value: object) -> None:
        got = self.host(mine) if not isinstance(mine, float | int) else np.asarray(mine)
        np.testing.assert_allclose(got, numpy_value, rtol=TOL[self.dtype], atol=TOL[self.dtype])


@pytest.fixture(params=[(b, d) for b in BACKENDS for d in DTYPES], ids=lambda p: f"{p[0]}-{p[1]}")
def be(request) -> Backend:
    return Backend(*request.param)


def data(rng, shape, dtype, scale=2.0):
    return (rng.normal(size=shape) * scale).astype(dtype)


# -- the formulas --------------------------------------------------------------------------
@pytest.mark.parametrize("name", activations.names())
def test_activations_forward_vjp_and_derivative(be, name, rng):
    f = activations.get(name)
    z = data(rng, (6, 5), be.dtype, 3.0)
    da = data(rng, (6, 5), be.dtype)
    a = f.forward(z)
    za, aa = be(z), f.forward(be(z))
    assert _backend.namespace_of(aa) is be.xp and aa.dtype == za.dtype
    be.close(aa, a)
    be.close(f.vjp(za, aa, be(da)), f.vjp(z, a, da))
    be.close(f.forward_inplace(be(z)), a)
    if name != "softmax":
        be.close(f.derivative(za), f.derivative(z))


LOSSES = [
    ("squared", {}), ("mse", {}), ("half_squared_error", {}), ("mae", {}), ("huber", {"delta": 0.5}),
    ("poisson", {}), ("poisson", {"from_logits": True}), ("binary_cross_entropy", {}),
    ("binary_cross_entropy", {"from_logits": True, "sum_outputs": True}),
    ("cross_entropy", {}), ("cross_entropy", {"from_logits": True}),
]  # fmt: skip


LOSS_CASES = [(n, c, False) for n, c in LOSSES] + [
    (n, c, True) for n, c in LOSSES if n == "cross_entropy"
]


@pytest.mark.parametrize(
    ("name", "config", "labels"),
    LOSS_CASES,
    ids=[f"{n}{c}{'-labels' * lb}" for n, c, lb in LOSS_CASES],
)
def test_losses_value_and_gradient(be, name, config, labels, rng):
    loss = losses.get(name, **config)
    n, d = 7, 3
    if name in ("binary_cross_entropy", "cross_entropy") and not config.get("from_logits"):
        p = rng.uniform(0.05, 0.95, (n, d)).astype(be.dtype)
        if name == "cross_entropy":
            p /= p.sum(axis=1, keepdims=True)
    elif name == "poisson" and not config:
        p = rng.uniform(0.1, 3.0, (n, d)).astype(be.dtype)
    else:
        p = data(rng, (n, d), be.dtype)
    if labels:
        y = rng.integers(0, d, n)
    elif name in ("binary_cross_entropy", "cross_entropy"):
        y = np.eye(d)[rng.integers(0, d, n)]
    elif name == "poisson":
        y = rng.poisson(2.0, (n, d)).astype(float)
    else:
        y = data(rng, (n, d), be.dtype)
    w = rng.uniform(0.5, 2.0, n)
    t = loss.prepare_targets(y, d, np.dtype(be.dtype), n)
    value, grad = loss.value_and_grad(be(p), be(t), be(w))
    ref_value, ref_grad = loss.value_and_grad(p, t, w.astype(be.dtype))
    be.close(value, ref_value)
    be.close(grad, ref_grad)
    be.close(loss.sample_losses(be(p), be(t)), loss.sample_losses(p, t))
    # the public API checks on the host and answers in the input's library
    assert loss(be(p), be(y), be(w)) == pytest.approx(loss(p, y, w), rel=TOL[be.dtype])
    be.close(loss.gradient(be(p), be(y)), loss.gradient(p, y))


HEADS = [("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"), ("exp", "poisson"),
         ("identity", "mse"), ("tanh", "huber"), ("softmax", "mse")]  # fmt: skip


@pytest.mark.parametrize(("output", "loss_name"), HEADS)
@pytest.mark.parametrize("fused", [True, False])
def test_heads_fused_and_composed(be, output, loss_name, fused, rng):
    head = heads.OutputHead(activations.get(output), loss_name, fused=fused)
    n, d = 9, 4
    z = data(rng, (n, d), be.dtype)
    if loss_name == "cross_entropy":
        y = rng.integers(0, d, n)
    elif loss_name in ("binary_cross_entropy",):
        y = rng.integers(0, 2, (n, d)).astype(float)
    elif loss_name == "poisson":
        y = rng.poisson(1.0, (n, d)).astype(float)
    else:
        y = data(rng, (n, d), be.dtype)
    t = head.prepare_targets(y, d, np.dtype(be.dtype), n)
    w = rng.uniform(0.5, 2.0, n).astype(be.dtype)
    value, grad = head.value_and_grad(be(z), be(t), be(w))
    ref_value, ref_grad = head.value_and_grad(z.copy(), t, w)
    be.close(value, ref_value)
    be.close(grad, ref_grad)
    be.close(head.value(be(z), be(t)), head.value(z, t))


@pytest.mark.parametrize(
    "make",
    [lambda: Dense(5, 4, "tanh", regularizer=mlpkit.L1L2(0.01, 0.02)), lambda: Dense(5, 4, bias=False),
     lambda: BatchNorm(5), lambda: LayerNorm(5), lambda: mlpkit.ReLU(), lambda: Dropout(0.4),
     lambda: mlpkit.InputFeatures(["x1", "x5^2", "x2*x3", "sin(x4)", "x2*x2"], in_features=5)],
    ids=["dense", "dense-nobias", "batchnorm", "layernorm", "relu", "dropout", "features"],
)  # fmt: skip
@pytest.mark.parametrize("training", [True, False])
def test_layers_forward_backward_and_gradients(be, make, training, rng):
    x = data(rng, (8, 5), be.dtype)
    ref_layer, layer = make(), make()
    width = ref_layer.build(5, np.random.default_rng(3), np.dtype(be.dtype))
    layer.build(5, np.random.default_rng(3), np.dtype(be.dtype))
    layer.to(be.xp, be.device)
    dy = data(rng, (8, width), be.dtype)
    be.close(layer.forward(be(x), training), ref_layer.forward(x, training))
    be.close(layer.backward(be(dy)), ref_layer.backward(dy))
    for g, ref_g in zip(layer.gradients(), ref_layer.gradients(), strict=True):
        be.close(g, ref_g)
    be.close(layer.call(be(x)), ref_layer.call(x))
    be.close(layer.penalty(), ref_layer.penalty())
    for b, ref_b in zip(layer.buffers(), ref_layer.buffers(), strict=True):
        be.close(b, ref_b)


OPTIMIZERS = [
    ("sgd", {"lr": 0.1}), ("sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("momentum", {"lr": 0.1}), ("adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.5, "centered": True}), ("adam", {"lr": 0.01, "amsgrad": True}),
    ("adamw", {"lr": 0.01}), ("adam", {"lr": 0.01, "clip_norm": 0.5, "clip_value": 0.3}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "config"), OPTIMIZERS, ids=[f"{n}{c}" for n, c in OPTIMIZERS])
def test_optimizers_step_for_step(be, name, config, rng):
    p = {"a": data(rng, (4, 3), be.dtype), "b": data(rng, (3,), be.dtype)}
    mine = {k: be(v) for k, v in p.items()}
    ref_opt, opt = optimizers.get(name, **config), optimizers.get(name, **config)
    for _ in range(4):
        g = {k: data(rng, v.shape, be.dtype) for k, v in p.items()}
        ref_opt.step(p, {k: v.copy() for k, v in g.items()})
        opt.step(mine, {k: be(v) for k, v in g.items()})
    for k in p:
        be.close(mine[k], p[k])
    sd = opt.state_dict()  # host copies, whatever the library
    assert all(isinstance(v, np.ndarray) for s in sd["state"].values() for v in s.values())


@pytest.mark.parametrize(("name", "config"), OPTIMIZERS, ids=[f"{n}{c}" for n, c in OPTIMIZERS])
def test_packed_steps_and_the_state_moving_home_and_back(be, name, config, rng):
    """The training loop's packed step on the device (state as views of one vector per
    name), the state moved home with ``to``, brought back by ``check_state`` to the
    parameters' library and dtype, and stepping on from there: NumPy's numbers throughout."""
    ref = mlpkit.Sequential([Dense(3, 4, "tanh"), Dense(4, 2, "linear")], seed=0, dtype=be.dtype)
    mine = mlpkit.Sequential([Dense(3, 4, "tanh"), Dense(4, 2, "linear")], seed=0, dtype=be.dtype)
    mine.to(be.xp, be.device)
    ref_pack, pack = ParameterPack(ref), ParameterPack(mine)
    ref_opt, opt = optimizers.get(name, **config), optimizers.get(name, **config)

    def steps(count):
        for _ in range(count):
            g = data(rng, (ref_pack.grads.shape[0],), be.dtype)
            ref_pack.grads[...] = g
            pack.grads[...] = be(g)
            ref_opt.step_packed(ref_pack)
            opt.step_packed(pack)
        be.close(pack.params, ref_pack.params)

    steps(3)
    for key, entries in ref_opt.state.items():
        for k, v in entries.items():
            assert _backend.namespace_of(opt.state[key][k]) is be.xp
            assert tuple(opt.state[key][k].shape) == v.shape
            be.close(opt.state[key][k], v)
    opt.to(np)
    assert all(type(v) is np.ndarray for s in opt.state.values() for v in s.values())
    opt.check_state(mine.named_parameters())
    for s in opt.state.values():
        for v in s.values():
            assert _backend.namespace_of(v) is be.xp and v.dtype == mine.parameters()[0].dtype
    steps(2)


# -- training, predicting, saving --------------------------------------------------------------
def _net(dtype, seed=0, dropout=0.0):
    layers = [Dense(2, 12, "tanh", regularizer=mlpkit.L2(1e-3)), Dense(12, 8, "relu")]
    if dropout:
        layers.append(Dropout(dropout))
    return mlpkit.Sequential([*layers, Dense(8, 3, "softmax")], seed=seed, dtype=dtype)


@pytest.mark.parametrize("opt", ["adam", "sgd"])
def test_fit_on_the_datas_library_trains_numpys_weights(be, opt, rng):
    x, y = mlpkit.datasets.spirals(90, noise=0.1)
    x = x.astype(be.dtype)
    kwargs = {"epochs": 4, "batch_size": 16, "verbose": 0, "metrics": ["accuracy"],
              "validation_split": 0.2, "optimizer": optimizers.get(opt, lr=0.05)}  # fmt: skip
    ref = _net(be.dtype, dropout=0.2)
    ref_hist = ref.fit(x, y, **kwargs)
    net = _net(be.dtype, dropout=0.2)
    kwargs["optimizer"] = optimizers.get(opt, lr=0.05)
    hist = net.fit(be(x), be(y), **kwargs)
    assert net.backend == be.name and net.device == be.device
    assert all(_backend.namespace_of(p) is be.xp for p in net.parameters())
    for mine, theirs in zip(net.get_weights(), ref.get_weights(), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=10 * TOL[be.dtype], atol=10 * TOL[be.dtype])
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(hist.history[key], ref_hist.history[key], rtol=1e-4, atol=1e-6)
    # resuming keeps the optimizer state on the device
    net.fit(be(x), be(y), epochs=1, batch_size=16, verbose=0)
    ref.fit(x, y, epochs=1, batch_size=16, verbose=0)
    be.close(net.parameters()[0], ref.parameters()[0])


def test_predict_answers_in_the_inputs_kind_and_to_moves_explicitly(be, tmp_path):
    x, y = mlpkit.datasets.moons(64)
    x = x.astype(be.dtype)
    ref = _net(be.dtype)
    ref.fit(x, y, epochs=3, verbose=0)
    net = ref.copy().to(be.name, be.device)
    out = net.predict(be(x))
    assert _backend.namespace_of(out) is be.xp
    be.close(out, ref.predict(x))
    host = net.predict(x)  # NumPy in, NumPy out, from a model elsewhere
    assert isinstance(host, np.ndarray)
    np.testing.assert_allclose(host, ref.predict(x), rtol=TOL[be.dtype])
    be.close(net.predict_proba(be(x)), ref.predict_proba(x))
    np.testing.assert_array_equal(be.host(net.predict_classes(be(x))), ref.predict_classes(x))
    assert net.evaluate(be(x), be(y))["loss"] == pytest.approx(ref.evaluate(x, y)["loss"], rel=1e-5)
    # a NumPy model given another library's X answers in X's library too
    be.close(ref.predict(be(x)), ref.predict(x))
    # saved through the host: the same file format; loads anywhere, moves with .to
    path = net.save(tmp_path / "m.mlpk")
    back = mlpkit.load(path)
    assert back.backend == "numpy"
    np.testing.assert_allclose(back.predict(x), ref.predict(x), rtol=TOL[be.dtype])
    moved = mlpkit.load(path).to(be.name, be.device)
    be.close(moved.predict(be(x)), ref.predict(x))
    moved.fit(be(x), be(y), epochs=1, verbose=0)  # optimizer state loaded and moved too
    ref.fit(x, y, epochs=1, verbose=0)
    be.close(moved.parameters()[0], ref.parameters()[0])
    assert net.to("numpy").backend == "numpy" and isinstance(net.parameters()[0], np.ndarray)


def test_no_host_round_trip_inside_a_training_step(be, monkeypatch):
    x, y = mlpkit.datasets.moons(40)
    net = _net(be.dtype)
    xs, ys = be(x), be(y)
    calls = []
    real = _backend.to_numpy

    def counting(a):
        calls.append(type(a).__name__)
        return real(a)

    from mlpkit.training import arguments, evaluation, loop

    for module in (arguments, evaluation, loop):  # where training reads arrays to the host
        monkeypatch.setattr(module, "to_numpy", counting)
    net.fit(xs, ys, epochs=3, batch_size=8, verbose=0)
    setup = len(calls)  # the targets are checked on the host once, before training
    assert setup == 1
    net.fit(xs, ys, epochs=3, batch_size=8, verbose=0, metrics=["accuracy"])
    assert len(calls) - setup == 1 + 3 * 2  # then the metrics: predictions and targets an epoch


def test_the_same_seed_draws_the_same_initial_model_everywhere(be):
    a = _net(be.dtype, seed=7)
    b = _net(be.dtype, seed=7).to(be.name, be.device)
    for p, q in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(p, q)


def test_errors_name_the_problem_on_any_library(be):
    net = _net(be.dtype)
    with pytest.raises(ValueError, match=r"X must be 2-D \(N samples, k features\)"):
        net.fit(be(np.zeros(5)), be(np.zeros(5)), verbose=0)
    bad = np.zeros((4, 2))
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="X contains nan at row 2, column 1"):
        net.predict(be(bad))
    with pytest.raises(ValueError, match="expects 2 input features, got X with 3"):
        net.predict(be(np.zeros((4, 3))))


def test_a_missing_library_is_named():
    with pytest.raises(ImportError, match="cupy is not installed: pip install 'mlpkit\\[cupy\\]'"):
        _net("float32").to("cupy")


def test_trace_gradcheck_plots_and_onnx_read_a_model_trained_anywhere(be, tmp_path):
    x, y = mlpkit.datasets.moons(48)
    x = x.astype(be.dtype)
    ref = _net(be.dtype)
    ref.fit(x, y, epochs=2, batch_size=16, verbose=0)
    net = _net(be.dtype)
    net.fit(be(x), be(y), epochs=2, batch_size=16, verbose=0)
    mine, theirs = mlpkit.trace(net, be(x[:2]), be(y[:2])), mlpkit.trace(ref, x[:2], y[:2])
    assert mine.loss == pytest.approx(theirs.loss, rel=1e-4)
    for a, b in zip(mine.gradients(), theirs.gradients(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-6)
    assert mlpkit.gradcheck(net, x[:6], y[:6]).passed
    assert net.backend == be.name  # the checks copied it to the host, leaving it in place
    plots = require("mlpkit.plots", "pip install 'mlpkit[plots]'")
    plots.network_diagram(net)
    onnx = require("mlpkit.onnx", "pip install 'mlpkit[onnx]'")
    require("onnxruntime", "pip install 'mlpkit[onnx]'")
    onnx.export(net, tmp_path / "m.onnx")
    assert (tmp_path / "m.onnx").stat().st_size > 0


def test_callbacks_weights_and_autoencoders_on_another_library(be, tmp_path):
    x, y = mlpkit.datasets.moons(96)
    x = x.astype(be.dtype)
    w = np.linspace(0.5, 1.5, 96)

    def run(xs, ys, ws, xv, yv):
        net = mlpkit.Sequential([Dense(2, 8, "relu"), BatchNorm(8), Dense(8, 2, "softmax")],
                                seed=1, dtype=be.dtype)  # fmt: skip
        stop = mlpkit.EarlyStopping(patience=1, restore_best_weights=True, min_delta=10.0)
        check = mlpkit.ModelCheckpoint(str(tmp_path / f"{be.name}_{{epoch}}.mlpk"))
        hist = net.fit(xs, ys, epochs=4, batch_size=32, verbose=0, sample_weight=ws,
                       class_weight={0: 1.0, 1: 2.0}, validation_data=(xv, yv),
                       callbacks=[stop, check])  # fmt: skip
        return net, hist

    ref, ref_hist = run(x, y, w, x[:20], y[:20])
    net, hist = run(be(x), be(y), be(w), be(x[:20]), be(y[:20]))
    assert hist.history["val_loss"] == pytest.approx(ref_hist.history["val_loss"], rel=1e-4)
    for mine, theirs in zip(net.get_weights(), ref.get_weights(), strict=True):  # restored
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-6)
    saved = mlpkit.load(tmp_path / f"{be.name}_1.mlpk")
    np.testing.assert_allclose(saved.predict(x), net.predict(x), rtol=1e-4, atol=1e-6)

    from mlpkit.autoencoder import Autoencoder

    ae_ref, ae = (
        Autoencoder([2, 6, 1], seed=0, dtype=be.dtype),
        Autoencoder([2, 6, 1], seed=0, dtype=be.dtype),
    )
    ae_ref.fit(x, epochs=2, verbose=0)
    ae.fit(be(x), epochs=2, verbose=0)
    be.close(ae.encode(be(x)), ae_ref.encode(x))
    be.close(ae.reconstruction_error(be(x)), ae_ref.reconstruction_error(x))
    np.testing.assert_allclose(ae.latent_range[0], ae_ref.latent_range[0], rtol=1e-4)


@pytest.mark.parametrize(
    ("solver", "early_stopping"), [("adam", False), ("lbfgs", False), ("adam", True)]
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_scikit_learn_wrappers_under_array_api_dispatch(be, solver, early_stopping):
    sklearn = require("sklearn", "pip install 'mlpkit[sklearn]'")
    from mlpkit.sklearn import MLPClassifier, MLPRegressor

    if be.name == "array_api_strict" and be.dtype == "float32":
        # scikit-learn's own metrics (score) compute in float64: its checks use device1
        be.device = type(be.device)("device1")
    x, y = mlpkit.datasets.moons(120, noise=0.2)
    x = x.astype(be.dtype)
    kwargs = {"hidden_layer_sizes": (8,), "max_iter": 15, "random_state": 0, "solver": solver,
              "early_stopping": early_stopping, "validation_fraction": 0.25}  # fmt: skip
    ref = MLPClassifier(**kwargs).fit(x, y)
    with sklearn.config_context(array_api_dispatch=True):
        clf = MLPClassifier(**kwargs).fit(be(x), be(y))
        labels, proba = clf.predict(be(x)), clf.predict_proba(be(x))
        assert clf.score(be(x), be(y)) == pytest.approx(ref.score(x, y))
        with pytest.raises(
            ValueError, match=r"MLPClassifier.predict\(\) must use the same namespace"
        ):
            clf.predict(x)
        reg = MLPRegressor(**kwargs).fit(be(x), be(x[:, 0] - x[:, 1]))
        fitted = reg.predict(be(x))
    assert _backend.namespace_of(labels) is be.xp and _backend.namespace_of(clf.coefs_[0]) is be.xp
    np.testing.assert_array_equal(be.host(labels), ref.predict(x))
    np.testing.assert_allclose(be.host(proba), ref.predict_proba(x), rtol=1e-3, atol=1e-4)
    assert fitted.shape == (120,) and _backend.namespace_of(fitted) is be.xp
    assert clf.loss_curve_ == pytest.approx(ref.loss_curve_, rel=1e-4)


def test_dask_blocks_bring_the_model_home_and_mpi_wants_numpy(be):
    dask_array = require("dask.array", "pip install 'mlpkit[dask]'")
    x, y = mlpkit.datasets.moons(64)
    net = _net("float32")
    net.fit(be(x), be(y), epochs=1, verbose=0)
    net.fit(
        dask_array.from_array(x, chunks=16),
        dask_array.from_array(y, chunks=16),
        epochs=1,
        verbose=0,
    )
    assert net.backend == "numpy" and isinstance(net.parameters()[0], np.ndarray)

    class TwoRanks:  # enough of DataParallel to reach fit's checks
        size, is_chief, sharded = 2, True, False

        def start(self, model):
            pass

        def agree(self, prepare):
            return prepare()

    with pytest.raises(
        ValueError, match="data-parallel training .* exchanges NumPy buffers over MPI"
    ):
        net.fit(be(x), be(y), epochs=1, verbose=0, strategy=TwoRanks())


def test_immutable_arrays_are_refused_with_the_reason(monkeypatch):
    import types

    from mlpkit import network

    monkeypatch.setattr(network, "namespace", lambda name: types.ModuleType("jax.numpy"))
    with pytest.raises(
        ValueError, match="JAX arrays are immutable and mlpkit updates its parameters in place"
    ):
        _net("float32").to("jax")


def test_a_device_given_by_name_is_the_librarys_own_and_fit_keeps_it(be, monkeypatch):
    net = _net(be.dtype).to(be.name, str(be.device) if be.name == "torch" else be.device)
    assert net.device == be.device  # "cpu" became torch.device("cpu")
    moves = []
    monkeypatch.setattr(type(net), "to", lambda self, *a, **k: moves.append(a))
    x, y = mlpkit.datasets.moons(32)
    net.fit(be(x), be(y), epochs=1, verbose=0)
    assert moves == []  # already there: fit does not move it again


def test_a_tensor_in_an_autograd_graph_is_read_not_followed():
    torch = require("torch", "pip install torch==2.13.0 (CPU)")
    x, y = mlpkit.datasets.moons(64)
    xt = torch.tensor(x, requires_grad=True)
    ref, net = _net("float32"), _net("float32")
    ref.fit(x, y, epochs=2, verbose=0)
    net.fit(xt, torch.tensor(y), epochs=2, verbose=0)
    out = net.predict(xt)
    assert not out.requires_grad and not any(p.requires_grad for p in net.parameters())
    np.testing.assert_allclose(out.numpy(), ref.predict(x), rtol=1e-5, atol=1e-6)
