"""The compiled pieces of the training step (Numba, optional): the update is Adam's own
to the bit and the whole step of a small network computes what the layer-by-layer step
computes; each is taken exactly where it is allowed, and fit works the same without
Numba."""

from __future__ import annotations

import copy
import itertools
import math
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

import mlpkit
from mlpkit import Dense, _fused, optimizers

from .conftest import require


def _net(sizes, dtype="float32", seed=0):
    layers = [Dense(a, b, "relu") for a, b in itertools.pairwise(sizes[:-1])]
    return mlpkit.Sequential(
        [*layers, Dense(sizes[-2], sizes[-1], "softmax")], seed=seed, dtype=dtype
    )


def _data(rng, rows, sizes, dtype):
    return rng.normal(size=(rows, sizes[0])).astype(dtype), rng.integers(0, sizes[-1], rows)


def _fit(sizes, dtype, fused, epochs=20, **kwargs):
    rng = np.random.default_rng(3)
    x, y = _data(rng, 120, sizes, dtype)
    net = _net(sizes, dtype, seed=1)
    minimum = _fused.MIN_STEPS
    _fused.MIN_STEPS = 0 if fused else 10**12
    try:
        net.fit(x, y, loss="cross_entropy", optimizer=optimizers.Adam(lr=1e-2), epochs=epochs,
                batch_size=8, verbose=0, **kwargs)  # fmt: skip
    finally:
        _fused.MIN_STEPS = minimum
    return net


@pytest.fixture(autouse=True)
def numba():
    return require("numba", "pip install 'mlpkit[fast]'")


@pytest.mark.parametrize("sizes", [[2, 8, 2], [5, 7, 6, 3], [4, 3], [3, 16, 16, 16, 4]])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_one_step_is_the_layer_by_layer_step(sizes, dtype, rng):
    tol = 1e-12 if dtype == "float64" else 2e-6
    net = _net(sizes, dtype)
    x, y = _data(rng, 6, sizes, dtype)
    net.fit(x, y, loss="cross_entropy", optimizer=optimizers.Adam(lr=0.05), epochs=2, verbose=0)
    head, opt = net.head(), net.optimizer
    pack = net.train_state.packed(net)
    step = _fused.FusedStep(net, pack, 6, _fused._compiled())
    t = head.prepare_targets(y, net.n_outputs, net.dtype, 6)
    value, _, _ = net.loss_and_gradients(x, t, head)
    plain_grads = pack.grads.copy()
    assert step.loss_and_gradients(x, t) == pytest.approx(value, rel=tol)
    np.testing.assert_allclose(pack.grads, plain_grads, rtol=tol, atol=tol)
    # the update, from the same state, against Adam's own
    saved = (pack.params.copy(), {k: v.copy() for k, v in opt._packed_state(pack).items()}, opt.t)
    opt.step_packed(pack)
    plain_params = pack.params.copy()
    pack.params[:] = saved[0]
    for k, v in opt._packed_state(pack).items():
        v[:] = saved[1][k]
    opt.t = saved[2]
    _fused.CompiledAdam(opt, _fused._compiled()[1])(pack)
    np.testing.assert_array_equal(pack.params, plain_params)
    assert opt.t == saved[2] + 1


def test_a_fit_through_it_trains_the_same_network():
    plain, fused = _fit([5, 7, 6, 3], "float64", False), _fit([5, 7, 6, 3], "float64", True)
    for a, b in zip(plain.get_weights(), fused.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert fused.history["loss"] == pytest.approx(plain.history["loss"], rel=1e-10)
    assert fused.steps_trained == plain.steps_trained == 20 * 15
    assert fused.train_state.compiled == "step" != plain.train_state.compiled
    plain32, fused32 = _fit([2, 8, 2], "float32", False, 5), _fit([2, 8, 2], "float32", True, 5)
    for a, b in zip(plain32.get_weights(), fused32.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def _plan(net, x, y, total_steps=10**6, **fit_kwargs):
    """What fit would choose for this model and these arguments."""
    fit_kwargs.setdefault("optimizer", optimizers.Adam(lr=1e-3))
    chosen = []
    real = _fused.plan

    def spy(model, head, opt, loop, steps, layers_read):
        chosen.append(_fused.eligible(model, head, opt, loop, total_steps, layers_read))
        return _fused.Plan()

    _fused.plan = spy
    try:
        net.fit(x, y, verbose=0, epochs=1, **fit_kwargs)
    finally:
        _fused.plan = real
    return chosen[0]


def test_it_is_taken_exactly_where_it_is_allowed(rng):
    x, y = _data(rng, 32, [4, 8, 3], "float32")
    ok = {"loss": "cross_entropy", "batch_size": 4}  # and a fresh Adam each time (below)
    assert _plan(_net([4, 8, 3]), x, y, **ok)
    assert not _plan(_net([4, 8, 3]), x, y, total_steps=_fused.MIN_STEPS - 1, **ok)
    refused = {
        "metrics": {**ok, "metrics": ["accuracy"]},
        "a callback reading activations": {**ok, "callbacks": [mlpkit.GradientMonitor()]},
        "sample weights": {**ok, "sample_weight": np.ones(32)},
        "AdamW": {**ok, "optimizer": optimizers.AdamW(lr=1e-3)},
        "AMSGrad": {**ok, "optimizer": optimizers.Adam(lr=1e-3, amsgrad=True)},
        "clipping": {**ok, "optimizer": optimizers.Adam(lr=1e-3, clip_norm=1.0)},
        "SGD": {**ok, "optimizer": optimizers.SGD(lr=0.1)},
        "mse": {**ok, "loss": "mse", "y": np.eye(3)[y]},
    }
    xs, ys = _data(rng, 512, [4, 8, 3], "float32")  # 256 rows x 56 products > MAX_BATCH_MACS
    assert not _plan(_net([4, 8, 3]), xs, ys, **{**ok, "batch_size": 256}), "big batches"
    for why, kwargs in refused.items():
        target = kwargs.pop("y", y)
        assert not _plan(_net([4, 8, 3]), x, target, **kwargs), why
    for why, net in {
        "tanh": mlpkit.Sequential([Dense(4, 8, "tanh"), Dense(8, 3, "softmax")], seed=0),
        "L2": mlpkit.Sequential(
            [Dense(4, 8, "relu", regularizer=mlpkit.L2(1e-3)), Dense(8, 3, "softmax")], seed=0
        ),
        "dropout": mlpkit.Sequential(
            [Dense(4, 8, "relu"), mlpkit.Dropout(0.1), Dense(8, 3, "softmax")], seed=0
        ),
        "no bias": mlpkit.Sequential(
            [Dense(4, 8, "relu", bias=False), Dense(8, 3, "softmax")], seed=0
        ),
        "sigmoid output": mlpkit.Sequential([Dense(4, 8, "relu"), Dense(8, 1, "sigmoid")], seed=0),
        "wide": _net([4, 64, 64, 3]),  # 4 rows x 4,544 products: above MAX_BATCH_MACS
    }.items():
        target = (y > 0).astype(np.int64) if why == "sigmoid output" else y
        loss = "binary_cross_entropy" if why == "sigmoid output" else "cross_entropy"
        assert not _plan(net, x, target, **{**ok, "loss": loss}), why


def test_the_nan_guard_still_acts_before_the_update():
    net = _net([2, 8, 2])
    x, y = mlpkit.datasets.xor(repeat=8)
    x[5, 0] = 3e38  # overflows the products: the batch's loss is not finite
    minimum, _fused.MIN_STEPS = _fused.MIN_STEPS, 0
    try:
        before = net.get_weights()
        with pytest.raises(mlpkit.NonFiniteLossError, match="loss became"):
            net.fit(x, y, loss="cross_entropy", optimizer=optimizers.Adam(lr=1e-3), epochs=1,
                    batch_size=32, shuffle=False, verbose=0)  # fmt: skip
    finally:
        _fused.MIN_STEPS = minimum
    assert net.train_state.compiled == "step"  # the guard acted inside the compiled step
    for a, b in zip(before, net.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_without_numba_fit_takes_the_layer_by_layer_step():
    code = """
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "numba":
            raise ImportError("blocked by the test")
sys.meta_path.insert(0, Blocker())
import numpy as np, mlpkit
from mlpkit import Dense, _fused
_fused.MIN_STEPS = 0
x, y = mlpkit.datasets.xor(repeat=50)
net = mlpkit.Sequential([Dense(2, 8, "relu"), Dense(8, 2, "softmax")], seed=0)
net.fit(x, y, loss="cross_entropy", optimizer=mlpkit.optimizers.Adam(lr=0.05), epochs=30, batch_size=4, verbose=0)
print(_fused._compiled() is None, net.predict_classes(x[:4]).tolist(), "numba" in sys.modules, repr(net.train_state.compiled))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "[1,", "0,", "1,", "0]", "False", "''"]


def _packed(rng, size, dtype):
    return SimpleNamespace(
        params=rng.normal(size=size).astype(dtype),
        grads=np.zeros(size, dtype),
        layout=[("w", 0, size - 3, (size - 3,)), ("b", size - 3, size, (3,))],
    )


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    "make",
    [
        lambda: optimizers.Adam(lr=3e-3),
        lambda: optimizers.Adam(lr=1e-2, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
        lambda: optimizers.AdamW(lr=3e-3),
        lambda: optimizers.Adam(lr=3e-3, clip_norm=0.05),
        lambda: optimizers.AdamW(lr=3e-3, weight_decay=0.3, clip_value=1e-3),
    ],
    ids=["adam", "adam-l2", "adamw", "clip-norm", "adamw-clip-value"],
)
def test_the_compiled_update_is_adams_own_to_the_bit(make, dtype):
    rng = np.random.default_rng(7)
    ours, theirs = _packed(rng, 1_003, dtype), _packed(rng, 1_003, dtype)
    theirs.params[:] = ours.params
    plain, opt = make(), make()
    compiled = _fused.CompiledAdam(opt, _fused._compiled()[1])
    for _ in range(40):  # gradients from 1e-12 to 10, and exact zeros
        g = rng.normal(size=1_003) * 10.0 ** rng.integers(-12, 2, size=1_003)
        g[rng.random(1_003) < 0.05] = 0.0
        ours.grads[:], theirs.grads[:] = g, g
        plain.step_packed(theirs)
        compiled(ours)
    np.testing.assert_array_equal(ours.params, theirs.params)
    for name in ("w", "b"):
        for key in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_array_equal(opt.state[name][key], plain.state[name][key])
    assert opt.t == plain.t == 40


def _fit_mid(dtype, start_cost, **kwargs):
    rng = np.random.default_rng(5)
    x, y = _data(rng, 96, [12, 32, 16, 3], dtype)
    net = mlpkit.Sequential(  # tanh: neither the whole step nor the element-wise pass
        [Dense(12, 32, "tanh"), Dense(32, 16, "tanh"), Dense(16, 3, "softmax")], seed=2, dtype=dtype
    )
    cost = _fused.START_COST
    _fused.START_COST = start_cost
    try:
        net.fit(x, y, loss="cross_entropy", epochs=6, batch_size=16, verbose=0, **kwargs)
    finally:
        _fused.START_COST = cost
    return net


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_fit_with_the_compiled_update_trains_the_same_bits(dtype, monkeypatch):
    calls = []
    step = _fused.CompiledAdam.__call__
    monkeypatch.setattr(
        _fused.CompiledAdam, "__call__", lambda self, p: calls.append(step(self, p))
    )
    plain = _fit_mid(dtype, math.inf, optimizer=optimizers.AdamW(lr=1e-2), validation_split=0.25)
    assert not calls
    fast = _fit_mid(dtype, 0.0, optimizer=optimizers.AdamW(lr=1e-2), validation_split=0.25)
    assert (plain.train_state.compiled, fast.train_state.compiled) == ("", "update")
    assert len(calls) == fast.steps_trained == 6 * 5  # 72 training rows, batches of 16
    for a, b in zip(plain.get_weights(), fast.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert fast.history["loss"] == plain.history["loss"]
    assert fast.history["val_loss"] == plain.history["val_loss"]


def test_the_same_bits_pieces_are_taken_exactly_where_they_apply_and_pay(monkeypatch):
    rng = np.random.default_rng(0)
    pack = _packed(rng, 235_146, "float32")
    fixed, per = _fused.UPDATE_SAVING
    assert _fused.update_saving(optimizers.Adam(), pack) == fixed + per * 235_146
    assert _fused.update_saving(optimizers.AdamW(weight_decay=0.1), pack) > 0
    for why, opt in {
        "AMSGrad": optimizers.Adam(amsgrad=True),
        "SGD": optimizers.SGD(lr=0.1),
        "RMSprop": optimizers.RMSprop(),
    }.items():
        assert _fused.update_saving(opt, pack) == 0.0, why
    half = SimpleNamespace(params=pack.params.astype(np.float16))
    assert _fused.update_saving(optimizers.Adam(), half) == 0.0, "float16"

    def loop(x, **kw):
        return SimpleNamespace(**{"x": x, "bs": 32, "n": len(x), "dist": None, "source": None} | kw)

    x = rng.normal(size=(100, 4)).astype(np.float32)
    good = _net([4, 16, 8, 3])
    fixed, per = _fused.BLAS_SAVING
    assert _fused.blas_saving(good, loop(x)) == pytest.approx(2 * fixed + per * 32 * (16 + 8))
    any_head = mlpkit.Sequential([Dense(4, 16, "relu"), Dense(16, 2, "linear")], seed=0)
    assert _fused.blas_saving(any_head, loop(x)) > 0
    for why, (net, data) in {
        "tanh inside": (
            mlpkit.Sequential([Dense(4, 8, "tanh"), Dense(8, 3, "softmax")], seed=0),
            loop(x),
        ),
        "L2": (
            mlpkit.Sequential(
                [Dense(4, 8, "relu", regularizer=mlpkit.L2(1e-3)), Dense(8, 3, "softmax")], seed=0
            ),
            loop(x),
        ),
        "dropout": (
            mlpkit.Sequential(
                [Dense(4, 8, "relu"), mlpkit.Dropout(0.1), Dense(8, 3, "softmax")], seed=0
            ),
            loop(x),
        ),
        "no bias": (
            mlpkit.Sequential([Dense(4, 8, "relu", bias=False), Dense(8, 3, "softmax")], seed=0),
            loop(x),
        ),
        "one layer": (mlpkit.Sequential([Dense(4, 3, "softmax")], seed=0), loop(x)),
        "float64 rows": (good, loop(x.astype(np.float64))),
        "streamed": (good, loop(x, source=object())),
        "data-parallel": (good, loop(x, dist=object())),
    }.items():
        assert _fused.blas_saving(net, data) == 0.0, why

    # the pieces are taken when the fit's saving repays Numba's start, whatever has run
    weighted = {"w": np.ones(100), "t": np.zeros(100, int), "preds": None, "has_penalty": False}
    fit_loop = loop(x, pack=pack, **weighted)  # sample weights: no whole step
    saving = _fused.blas_saving(good, fit_loop) + _fused.update_saving(optimizers.Adam(), pack)
    breakeven = math.ceil(_fused.START_COST / saving)
    head = good.head("cross_entropy")
    assert _fused.plan(good, head, optimizers.SGD(lr=0.1), fit_loop, 10**9).name == "elementwise"
    short = _fused.plan(good, head, optimizers.Adam(), fit_loop, breakeven - 1)
    assert short.name == "" and short.update is None  # the unrolled step, in NumPy
    assert short.blas is not None and not short.blas.compiled
    taken = _fused.plan(good, head, optimizers.Adam(), fit_loop, breakeven)
    assert taken.name == "elementwise+update"
    taken.update(pack)  # Numba has run in this process: a short fit still stays NumPy's
    assert _fused.plan(good, head, optimizers.Adam(), fit_loop, breakeven - 1).name == ""
    tanh = mlpkit.Sequential([Dense(4, 8, "tanh"), Dense(8, 3, "softmax")], seed=0)
    assert _fused.plan(tanh, head, optimizers.RMSprop(), fit_loop, 10**9) == _fused.Plan()
    monkeypatch.setattr(_fused, "STACKED", False)  # the layer-by-layer code, for the tests
    assert _fused.plan(good, head, optimizers.RMSprop(), fit_loop, 10**9) == _fused.Plan()


#: the three ways fit runs a Dense network with ReLU hidden layers: (STACKED, START_COST)
PATHS = {"layers": (False, math.inf), "unrolled": (True, math.inf), "compiled": (True, 0.0)}


def _fit_all(make_net, x, y, monkeypatch, **kwargs):
    """The same fit through the layers, through BlasStep in NumPy, and compiled."""
    nets = {}
    for path, (stacked, cost) in PATHS.items():
        monkeypatch.setattr(_fused, "STACKED", stacked)
        monkeypatch.setattr(_fused, "START_COST", cost)
        net = make_net()
        net.fit(x, y, verbose=0, **copy.deepcopy(kwargs))  # a fresh optimizer each
        nets[path] = net
    return nets


HEADS = {  # output activation, loss, targets
    "softmax-labels": ("softmax", "cross_entropy", lambda rng, n: rng.integers(0, 3, n)),
    "sigmoid": ("sigmoid", "binary_cross_entropy", lambda rng, n: rng.integers(0, 2, (n, 3))),
    "linear-mse": ("linear", "mse", lambda rng, n: rng.normal(size=(n, 3))),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("head", list(HEADS))
def test_the_unrolled_step_gives_the_layer_by_layer_bits_compiled_or_not(head, dtype, monkeypatch):
    rng = np.random.default_rng(11)
    activation, loss, targets = HEADS[head]
    x = rng.normal(size=(150, 9)).astype(dtype)
    y = targets(rng, 150)
    extra = {"metrics": ["accuracy"]} if head == "softmax-labels" else {}
    if head == "linear-mse":
        extra = {"sample_weight": rng.uniform(0.1, 2.0, 150), "metrics": ["mae"]}

    def make():
        return mlpkit.Sequential(
            [Dense(9, 24, "relu"), Dense(24, 12, "relu"), Dense(12, 3, activation)],
            seed=4,
            dtype=dtype,
        )

    nets = _fit_all(make, x, y, monkeypatch, loss=loss, optimizer=optimizers.RMSprop(lr=1e-2),
                    epochs=4, batch_size=32, validation_split=0.2, **extra)  # fmt: skip
    plain = nets["layers"]
    assert [n.train_state.compiled for n in nets.values()] == ["", "", "elementwise"]
    for net in (nets["unrolled"], nets["compiled"]):
        for a, b in zip(plain.get_weights(), net.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
        assert net.history.history == {**plain.history.history, "time": net.history["time"]}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_one_elementwise_pass_matches_the_layers_on_every_value(dtype, rng):
    """Ties, zeros, NaN and infinities, a Fortran-ordered batch, two batch sizes."""
    net = _net([5, 7, 6, 3], dtype)
    x = rng.normal(size=(40, 5)).astype(dtype)
    y = rng.integers(0, 3, 40)
    net.fit(x, y, loss="cross_entropy", optimizer=optimizers.SGD(lr=0.1), epochs=1, verbose=0)
    head = net.head()
    pack = net.train_state.packed(net)
    net.layers[0].b[:2] = 0.0  # exact zeros into the ReLU where the row is zero
    x[3] = 0.0
    special = x.copy()
    special[4, 1], special[5, 2], special[6, 0] = np.nan, np.inf, -np.inf
    for step in (_fused.BlasStep(net, _fused._compiled()), _fused.BlasStep(net)):
        for rows, batch in ((40, x), (13, np.asfortranarray(x[20:33])), (40, special)):
            t = head.prepare_targets(y[: len(batch)], net.n_outputs, net.dtype, rows)
            with np.errstate(all="ignore"):  # inf − inf in the products, on both sides
                value, z, _ = net.loss_and_gradients(batch, t, head)
                z, grads = z.copy(), pack.grads.copy()
                ours, our_z, none = step.loss_and_gradients(batch, t, head)
            assert none is None and (ours == value or (math.isnan(ours) and math.isnan(value)))
            np.testing.assert_array_equal(our_z, z)
            np.testing.assert_array_equal(pack.grads, grads)  # NaN where the layers have NaN
        assert len(step._plans) == 2  # the full batches' buffers and the short one's


def test_the_gradient_monitor_sees_the_same_batches_through_the_compiled_pieces(monkeypatch):
    rng = np.random.default_rng(2)
    x, y = _data(rng, 64, [6, 16, 8, 3], "float32")
    x[:, 0] = -50.0  # pushes units below zero for every row: some ReLUs are dead
    monkeypatch.setattr(_fused, "MIN_STEPS", 0)  # the whole step would be taken if allowed
    runs = []
    for stacked, cost in PATHS.values():
        monkeypatch.setattr(_fused, "STACKED", stacked)
        monkeypatch.setattr(_fused, "START_COST", cost)
        net, monitor = _net([6, 16, 8, 3]), mlpkit.GradientMonitor()
        net.fit(x, y, loss="cross_entropy", optimizer=optimizers.Adam(lr=1e-2), epochs=2,
                batch_size=16, callbacks=[monitor], verbose=0)  # fmt: skip
        runs.append((net.train_state.compiled, monitor.records))
    assert [name for name, _ in runs] == ["", "", "elementwise+update"]
    records = runs[0][1]
    assert len(records) == 8 and runs[1][1] == records and runs[2][1] == records
    assert any(r["dead_relu"][0] > 0 for r in records)
