"""The compiled whole step for small networks (Numba, optional) computes what the
layer-by-layer step computes, is taken exactly where it is allowed, and fit works the
same without Numba."""

from __future__ import annotations

import itertools
import subprocess
import sys

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
    step = _fused.FusedStep(net, opt, pack, 6, _fused._compiled())
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
    step.update()
    np.testing.assert_allclose(pack.params, plain_params, rtol=tol, atol=tol)
    assert opt.t == saved[2] + 1


def test_a_fit_through_it_trains_the_same_network():
    plain, fused = _fit([5, 7, 6, 3], "float64", False), _fit([5, 7, 6, 3], "float64", True)
    for a, b in zip(plain.get_weights(), fused.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert fused.history["loss"] == pytest.approx(plain.history["loss"], rel=1e-10)
    assert fused.steps_trained == plain.steps_trained == 20 * 15
    assert fused.train_state.compiled and not plain.train_state.compiled
    plain32, fused32 = _fit([2, 8, 2], "float32", False, 5), _fit([2, 8, 2], "float32", True, 5)
    for a, b in zip(plain32.get_weights(), fused32.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def _plan(net, x, y, total_steps=10**6, **fit_kwargs):
    """What fit would choose for this model and these arguments."""
    fit_kwargs.setdefault("optimizer", optimizers.Adam(lr=1e-3))
    chosen = []
    real = _fused.plan

    def spy(model, head, opt, loop, steps):
        chosen.append(_fused.eligible(model, head, opt, loop, total_steps))
        return None

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
    assert net.train_state.compiled  # the guard acted inside the compiled step
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
print(_fused._compiled() is None, net.predict_classes(x[:4]).tolist(), "numba" in sys.modules, net.train_state.compiled)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "[1,", "0,", "1,", "0]", "False", "False"]
