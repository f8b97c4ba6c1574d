"""The exactness contract (``mlpkit.fast``): with the same data, seed and settings,
every path that runs by default gives the bits of the plain layer-by-layer code and the
optimizer's own rule — with or without Numba, whatever the batch size or the number of
steps, however the epochs are split across fit calls, after save -> load -> resume; a
user's subclass runs its own formula; the one inexact step runs only when asked for."""

from __future__ import annotations

import importlib.util
import itertools
import subprocess
import sys
import textwrap
import typing
from types import SimpleNamespace

import numpy as np
import pytest

import mlpkit
from mlpkit import Dense, activations, optimizers
from mlpkit.training import steps as S

HAVE_NUMBA = importlib.util.find_spec("numba") is not None
needs_numba = pytest.mark.skipif(not HAVE_NUMBA, reason="pip install 'mlpkit[fast]'")
KERNELS = ["passes", "stacked", *(["compiled"] if HAVE_NUMBA else [])]
STEPS = ["unrolled", *(["compiled"] if HAVE_NUMBA else [])]


def relu_net(sizes, dtype="float32", seed=0, output="softmax"):
    layers = [Dense(a, b, "relu") for a, b in itertools.pairwise(sizes[:-1])]
    return mlpkit.Sequential([*layers, Dense(sizes[-2], sizes[-1], output)], seed=seed, dtype=dtype)


def weights_of(net):
    return [w.copy() for w in net.get_weights()]


def assert_same_bits(a, b):
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)


# -- every update kernel is the rule, step for step, bit for bit ---------------------------
def _pack(params):
    """What training.ParameterPack hands an optimizer, for {name: array}."""
    flat = np.concatenate([p.ravel() for p in params.values()])
    grads = np.zeros_like(flat)
    layout, views, start = [], [], 0
    for name, p in params.items():
        layout.append((name, start, start + p.size, p.shape))
        views.append(grads[start : start + p.size].reshape(p.shape))
        start += p.size
    return SimpleNamespace(params=flat, grads=grads, grad_views=views, layout=layout)


RULES = {
    "adam": lambda: optimizers.Adam(lr=0.01),
    "adam amsgrad": lambda: optimizers.Adam(lr=0.01, amsgrad=True),
    "adam l2 decay": lambda: optimizers.Adam(lr=0.01, weight_decay=0.1),
    "adamw": lambda: optimizers.AdamW(lr=0.01),
    "adam clip_norm": lambda: optimizers.Adam(lr=0.01, clip_norm=0.5),
    "adam clip_value": lambda: optimizers.Adam(lr=0.01, clip_value=0.3),
    "sgd nesterov": lambda: optimizers.SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    "rmsprop centered": lambda: optimizers.RMSprop(lr=0.01, momentum=0.5, centered=True),
    "adagrad": lambda: optimizers.Adagrad(lr=0.1, lr_decay=0.01),
    "momentum": lambda: optimizers.Momentum(lr=0.1, beta=0.8),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("rule", list(RULES))
def test_every_kernel_is_the_optimizers_rule_step_for_step(rule, dtype):
    """``opt.step`` per parameter (the rule) against the packed update of every kernel
    that applies, over 30 steps with the learning rate and betas changed on the way."""
    rng = np.random.default_rng(5)
    params = {"w": rng.normal(size=(7, 5)).astype(dtype), "b": rng.normal(size=5).astype(dtype)}
    grads = [
        {k: rng.normal(size=v.shape).astype(dtype) for k, v in params.items()} for _ in range(30)
    ]
    reference = RULES[rule]()
    mine = {k: v.copy() for k, v in params.items()}
    kernels = ["rule"]
    if type(reference) in (optimizers.Adam, optimizers.AdamW):
        kernels += [k for k in KERNELS if not (k == "compiled" and reference.amsgrad)]
    runs = {name: (RULES[rule](), _pack(params)) for name in kernels}
    updates = {name: _update(name, opt) for name, (opt, _) in runs.items()}
    for t, g in enumerate(grads):
        if t == 12:
            for opt in [reference, *(o for o, _ in runs.values())]:
                opt.lr *= 0.5
                if hasattr(opt, "betas"):
                    opt.betas = (0.8, 0.95)
        reference.step(mine, {k: v.copy() for k, v in g.items()})
        for name, (_, pack) in runs.items():
            pack.grads[...] = np.concatenate([v.ravel() for v in g.values()])
            updates[name](pack)
    expected = np.concatenate([v.ravel() for v in mine.values()])
    for name, (opt, pack) in runs.items():
        np.testing.assert_array_equal(pack.params, expected, err_msg=name)
        for key, state in reference.state_dict()["state"].items():
            for k, v in state.items():
                np.testing.assert_array_equal(opt.state_dict()["state"][key][k], v, err_msg=name)


def _update(name, opt):
    if name == "rule":
        return S.RuleUpdate(opt)
    if name == "compiled":
        return S.AdamCompiled(opt, mlpkit._numba.kernels())
    return {"passes": S.AdamPasses, "stacked": S.AdamStacked}[name](opt)


# -- every step is the layer-by-layer step -------------------------------------------------
CASES = {
    "2-8-2 softmax labels": ([2, 8, 2], "softmax", "cross_entropy", "labels"),
    "5-7-6-3 softmax one-hot": ([5, 7, 6, 3], "softmax", "cross_entropy", "onehot"),
    "4-9-1 sigmoid": ([4, 9, 1], "sigmoid", "binary_cross_entropy", "binary"),
    "3-16-16-2 identity mse": ([3, 16, 16, 2], None, "mse", "regression"),
    "6-3 one layer": ([6, 3], "softmax", "cross_entropy", "labels"),
}


def _data(sizes, kind, rows=77, dtype="float32", seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, sizes[0])).astype(dtype)
    c = sizes[-1]
    y = {
        "labels": lambda: rng.integers(0, c, rows),
        "onehot": lambda: np.eye(c)[rng.integers(0, c, rows)],
        "binary": lambda: rng.integers(0, 2, (rows, 1)),
        "regression": lambda: rng.normal(size=(rows, c)),
    }[kind]()
    return x, y


def _fit_with(case, dtype, step, update, batch, weights=False, epochs=3, **kwargs):
    sizes, output, loss, kind = CASES[case]
    x, y = _data(sizes, kind, dtype=dtype)
    w = np.random.default_rng(2).uniform(0.5, 2, x.shape[0]) if weights else None
    net = relu_net(sizes, dtype, seed=3, output=output)
    with mlpkit.fast_paths(
        step=step, update=update, numba=step == "compiled" or update == "compiled"
    ):
        h = net.fit(x, y, loss=loss, optimizer=optimizers.Adam(lr=0.02), epochs=epochs,
                    batch_size=batch, sample_weight=w, verbose=0, **kwargs)  # fmt: skip
    return net, h


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(CASES))
def test_every_step_gives_the_layer_by_layer_bits(case, dtype):
    """Each step and update that can run this fit against the reference (layers, rule):
    batches with a short last one, a full batch, sample weights, train metrics and
    validation — the weights, the losses and the metrics to the bit."""
    combos = [(s, u) for s in ["layers", *STEPS] for u in ["rule", *KERNELS]]
    for batch, weights in ((8, False), (None, True), (1, False)):
        if batch == 1 and case != "2-8-2 softmax labels":
            continue
        ref, h_ref = _fit_with(case, dtype, "layers", "rule", batch, weights, epochs=2,
                               metrics=["accuracy"] if "softmax" in case else None,
                               validation_split=0.2)  # fmt: skip
        assert (ref.train_state.step, ref.train_state.update) == ("layers", "rule")
        for step, update in combos[1:]:
            net, h = _fit_with(case, dtype, step, update, batch, weights, epochs=2,
                               metrics=["accuracy"] if "softmax" in case else None,
                               validation_split=0.2)  # fmt: skip
            assert (net.train_state.step, net.train_state.update) == (step, update)
            assert_same_bits(weights_of(ref), weights_of(net))
            assert h.history == {**h_ref.history, "time": h.history["time"]}, (step, update)


# -- however fit is called ----------------------------------------------------------------
def _xor_fit(calls, epochs_each, numba=None, rows=400):
    x, y = mlpkit.datasets.xor(repeat=rows // 4)
    net = relu_net([2, 8, 2])
    with mlpkit.fast_paths(numba=numba):
        for _ in range(calls):
            net.fit(x, y, loss="cross_entropy", optimizer=net.optimizer or optimizers.Adam(lr=0.01),
                    epochs=epochs_each, batch_size=4, verbose=0)  # fmt: skip
    return net


def test_ninety_fits_of_one_epoch_are_one_fit_of_ninety():
    """The issue's case: a 2-8-2 ReLU net, Adam, batch 4 — one fit(epochs=90) and ninety
    fit(epochs=1) end with the same bits, Numba's pieces taken or not."""
    one = _xor_fit(1, 90)
    ninety = _xor_fit(90, 1)
    assert one.steps_trained == ninety.steps_trained == 90 * 100
    assert_same_bits(weights_of(one), weights_of(ninety))
    if HAVE_NUMBA:  # the compiled pieces in the long fit, NumPy's in the short ones
        compiled = _xor_fit(1, 90, numba=True)
        assert compiled.train_state.step == "compiled" or compiled.train_state.update == "compiled"
        assert_same_bits(weights_of(one), weights_of(compiled))
        numpy_only = _xor_fit(90, 1, numba=False)
        assert "compiled" not in (numpy_only.train_state.step, numpy_only.train_state.update)
        assert_same_bits(weights_of(one), weights_of(numpy_only))


def test_save_load_resume_is_the_straight_run(tmp_path):
    x, y = mlpkit.datasets.xor(repeat=30)
    straight = relu_net([2, 8, 2])
    straight.fit(x, y, optimizer=optimizers.Adam(lr=0.01), epochs=6, batch_size=4, verbose=0)
    first = relu_net([2, 8, 2])
    first.fit(x, y, optimizer=optimizers.Adam(lr=0.01), epochs=2, batch_size=4, verbose=0)
    first.save(tmp_path / "m.mlpk")
    again = mlpkit.load(tmp_path / "m.mlpk")
    with mlpkit.fast_paths(numba=HAVE_NUMBA or None):  # (another path may resume it)
        again.fit(x, y, epochs=4, batch_size=4, verbose=0)
    assert_same_bits(weights_of(straight), weights_of(again))


WITHOUT_NUMBA = textwrap.dedent(
    """
    import hashlib, sys
    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "numba":
                raise ImportError("blocked by the test")
    if sys.argv[1] == "block":
        sys.meta_path.insert(0, Blocker())
    import numpy as np, mlpkit
    from mlpkit import Dense
    x, y = mlpkit.datasets.xor(repeat=50)
    net = mlpkit.Sequential([Dense(2, 8, "relu"), Dense(8, 8, "relu"), Dense(8, 2, "softmax")], seed=4)
    with mlpkit.fast_paths(numba=None if sys.argv[1] == "block" else True):
        net.fit(x, y, loss="cross_entropy", optimizer=mlpkit.optimizers.Adam(lr=0.02),
                epochs=20, batch_size=4, verbose=0)
    blob = b"".join(w.tobytes() for w in net.get_weights())
    print(hashlib.sha256(blob).hexdigest(), net.train_state.step, net.train_state.update,
          "numba" in sys.modules)
    """
)


@needs_numba
def test_the_same_bits_with_and_without_numba_installed():
    def run(mode):
        done = subprocess.run([sys.executable, "-c", WITHOUT_NUMBA, mode], capture_output=True,
                              text=True, timeout=180)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    blocked, compiled = run("block"), run("numba")
    assert blocked[3] == "False" and "compiled" not in blocked[1:3]
    assert compiled[1] == "compiled" and compiled[2] == "compiled"
    assert blocked[0] == compiled[0]


def test_fast_paths_off_is_the_plain_path_with_the_same_bits():
    x, y = mlpkit.datasets.moons(200, seed=1)
    runs = []
    for enabled in (True, False):
        net = relu_net([2, 16, 16, 2])
        with mlpkit.fast_paths(enabled):
            net.fit(x, y, optimizer=optimizers.Adam(lr=0.01), epochs=4, batch_size=16, verbose=0)
        runs.append(net)
    assert (runs[1].train_state.step, runs[1].train_state.update) == ("layers", "rule")
    assert runs[1].train_state.choice["how"] == "fast paths off"
    assert_same_bits(weights_of(runs[0]), weights_of(runs[1]))


# -- a subclass runs its own formula ------------------------------------------------------
class ClippedReLU(activations.ReLU):
    """ReLU capped at 1: its own forward and gradient."""

    name = "clipped_relu_test"
    calls = 0

    def forward(self, z):
        ClippedReLU.calls += 1
        return np.clip(z, 0.0, 1.0)

    def forward_inplace(self, z):
        return self.forward(z)

    def vjp(self, z, a, da):
        return da * ((z > 0) & (z < 1))


def test_a_subclassed_activation_trains_as_its_own_formula():
    x, y = mlpkit.datasets.moons(120, seed=2)
    net = mlpkit.Sequential([Dense(2, 8, ClippedReLU()), Dense(8, 2, "softmax")], seed=0)
    plain = mlpkit.Sequential([Dense(2, 8, "relu"), Dense(8, 2, "softmax")], seed=0)
    before = ClippedReLU.calls
    for model in (net, plain):
        with mlpkit.fast_paths(step="unrolled"):  # asked for where eligible: not for the subclass
            model.fit(x, y, optimizer=optimizers.Adam(lr=0.05), epochs=5, batch_size=8, verbose=0)
    assert net.train_state.step == "layers" and plain.train_state.step == "unrolled"
    assert ClippedReLU.calls - before >= 5 * 15  # its forward ran on every batch
    assert not np.array_equal(net.get_weights()[0], plain.get_weights()[0])
    with pytest.raises(ValueError, match="not exactly ReLU"):
        net.fit(x, y, epochs=1, step="unrolled", verbose=0)


def test_a_subclassed_optimizer_runs_its_own_rule():
    class Frozen(optimizers.Adam):
        def _update(self, p, g, state):  # a rule that moves nothing
            pass

    x, y = mlpkit.datasets.xor(repeat=10)
    net = relu_net([2, 8, 2])
    before = weights_of(net)
    net.fit(x, y, optimizer=Frozen(lr=0.1), epochs=3, batch_size=4, verbose=0)
    assert net.train_state.update == "rule"
    assert_same_bits(before, weights_of(net))


def test_a_subclassed_dense_layer_gets_the_plain_step():
    class Shifted(Dense):
        def _affine(self, x):
            return super()._affine(x) + 1.0

    x, y = mlpkit.datasets.xor(repeat=10)
    net = mlpkit.Sequential([Shifted(2, 8, "relu"), Dense(8, 2, "softmax")], seed=0)
    net.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert net.train_state.step == "layers"


# -- the one inexact step, asked for ------------------------------------------------------
@needs_numba
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_fused_step_is_asked_for_and_within_its_tolerance(dtype, tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 5)).astype(dtype), rng.integers(0, 3, 64)
    net = relu_net([5, 7, 6, 3], dtype)
    net.fit(x, y, optimizer=optimizers.Adam(lr=0.01), epochs=2, batch_size=8, verbose=0)
    assert net.train_state.step != "fused"  # never by default
    pack = net.train_state.pack
    head = net.head()
    t = head.prepare_targets(y[:8], 3, net.dtype, 8)
    layer_value, _, _ = net.loss_and_gradients(x[:8], t, head)
    plain = pack.grads.copy()
    fused = S.FusedStep(net, pack, 8, mlpkit._numba.kernels())
    value, z = fused(x[:8], t, None)
    tol = S.FUSED_RTOL[dtype]
    assert z is None and value == pytest.approx(layer_value, rel=tol)
    np.testing.assert_allclose(pack.grads, plain, rtol=tol, atol=tol)
    # through fit: named, kept by later fits and by a saved file, refused where it cannot run
    net.fit(x, y, epochs=1, batch_size=8, step="fused", verbose=0)
    assert net.train_state.step == "fused"
    net.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert net.train_state.step == "fused"
    net.save(tmp_path / "f.mlpk")
    again = mlpkit.load(tmp_path / "f.mlpk")
    again.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert again.train_state.step == "fused"
    again.fit(x, y, epochs=1, batch_size=8, step="auto", verbose=0)
    assert again.train_state.step != "fused"
    with pytest.raises(ValueError, match='step="fused" cannot run this fit: it computes train'):
        net.fit(x, y, epochs=1, metrics=["accuracy"], step="fused", verbose=0)


@needs_numba
def test_the_nan_guard_acts_inside_the_fused_step_before_the_update():
    net = relu_net([2, 8, 2])
    x, y = mlpkit.datasets.xor(repeat=8)
    x[5, 0] = 3e38  # overflows the products: the batch's loss is not finite
    before = weights_of(net)
    with pytest.raises(mlpkit.NonFiniteLossError, match="loss became"):
        net.fit(x, y, loss="cross_entropy", epochs=1, batch_size=32, shuffle=False, step="fused",
                verbose=0)  # fmt: skip
    assert net.train_state.step == "fused"
    assert_same_bits(before, weights_of(net))


# -- the choice, in the open --------------------------------------------------------------
def test_the_choice_is_named_printed_kept_and_cached(capsys, tmp_path):
    x, y = mlpkit.datasets.moons(160, seed=3)
    with mlpkit.fast_paths(cache_dir=str(tmp_path), numba=False):
        net = relu_net([2, 12, 2])
        h = net.fit(x, y, loss="cross_entropy", optimizer=optimizers.Adam(lr=0.01), epochs=2,
                    batch_size=16, verbose=2)  # fmt: skip
        err = capsys.readouterr().err.splitlines()
        state = net.train_state
        assert state.choice["how"] == "measured on this machine"
        assert {"step:unrolled", "step:layers", "update:passes", "update:rule"} <= set(
            state.choice["seconds"]
        )
        assert err[0].startswith(f"mlpkit: step {state.step}, update {state.update} (measured")
        assert "µs" in err[0]
        assert h.params["step"] == state.step and h.params["update"] == state.update
        plan = state.plan
        for _ in range(3):  # a loop of one-epoch fits chooses once
            net.fit(x, y, epochs=1, batch_size=16, verbose=0)
            assert state.plan is plan
        other = relu_net([2, 12, 2], seed=9)  # the same shapes: the machine's cached choice
        other.fit(x, y, optimizer=optimizers.Adam(lr=0.01), epochs=1, batch_size=16, verbose=0)
        assert other.train_state.choice["how"] == "cached for this machine"
        assert (other.train_state.step, other.train_state.update) == (state.step, state.update)
        mlpkit.fast_paths.show_cache()
        shown = capsys.readouterr().out
        assert "step 2-12-2 float32 rows=16" in shown and str(tmp_path) in shown
        mlpkit.fast_paths.clear_cache()
        assert not (tmp_path / "fast_paths.json").exists()
    with mlpkit.fast_paths(cache_dir=""):  # caching off
        assert mlpkit.fast_paths.cache_path() is None


def test_settings_are_checked_and_restored():
    before = mlpkit.fast_paths.stack_max
    with mlpkit.fast_paths(stack_max=3, numba=False) as settings:
        assert settings.stack_max == 3 and settings.numba is False
    assert mlpkit.fast_paths.stack_max == before and mlpkit.fast_paths.numba is None
    with pytest.raises(AttributeError, match="no setting 'stackmax'"):
        mlpkit.fast_paths.stackmax = 1
    with pytest.raises(ValueError, match="fast_paths.step must be one of"):
        mlpkit.fast_paths.step = "fused"  # the inexact step: only fit(step="fused") asks for it
    with pytest.raises(TypeError, match="must be True or False"):
        mlpkit.fast_paths.enabled = 1
    assert "sign_mask" in repr(mlpkit.fast_paths)


def test_every_setting_has_a_declared_type_its_default_fits():
    from mlpkit.fast import DEFAULTS, FastPaths

    declared = typing.get_type_hints(FastPaths)
    assert set(declared) == set(DEFAULTS)
    for name, (default, _) in DEFAULTS.items():
        kinds = typing.get_args(declared[name]) or (declared[name],)
        assert isinstance(default, kinds), (name, default, declared[name])


def test_a_cache_file_that_is_not_ours_is_ignored(tmp_path):
    (tmp_path / "fast_paths.json").write_text("[not json")
    with mlpkit.fast_paths(cache_dir=str(tmp_path)):
        assert mlpkit.fast_paths.load_cache() == {}
        net = relu_net([2, 4, 2])
        net.fit(*mlpkit.datasets.xor(repeat=4), epochs=1, verbose=0)  # and is written anew
        assert "choices" in mlpkit.fast_paths.load_cache()


EPOCH_BY_EPOCH = textwrap.dedent(
    """
    import json, sys, mlpkit
    from mlpkit import Dense
    x, y = mlpkit.datasets.moons(2000, seed=0)
    net = mlpkit.Sequential([Dense(2, 32, "relu"), Dense(32, 2, "softmax")], seed=0)
    seen = []
    # a start that one short fit cannot repay but a few can
    with mlpkit.fast_paths(cache_dir=sys.argv[1], numba_start=0.004):
        for _ in range(8):
            net.fit(x, y, optimizer=net.optimizer or mlpkit.optimizers.Adam(lr=0.01), epochs=1,
                    batch_size=64, verbose=0)
            seen.append([id(net.train_state.plan), "numba" in sys.modules,
                         sorted(net.train_state.choice["seconds"])])
    print(json.dumps(seen))
    """
)


@needs_numba
def test_a_loop_of_short_fits_takes_numba_once_the_training_repays_its_start(tmp_path):
    """One fit(epochs=1) cannot repay Numba's start, the model's training so far can: a
    later fit chooses again, with Numba's pieces timed (the start paid once)."""
    done = subprocess.run([sys.executable, "-c", EPOCH_BY_EPOCH, str(tmp_path)],
                          capture_output=True, text=True, timeout=180)  # fmt: skip
    assert done.returncode == 0, done.stderr
    seen = __import__("json").loads(done.stdout)
    first_with_numba = next(i for i, (_, numba, _) in enumerate(seen) if numba)
    assert first_with_numba >= 1  # not the first fit: alone it could not repay the start
    plan, _, timed = seen[first_with_numba]
    assert plan != seen[first_with_numba - 1][0] and "update:compiled" in timed
    assert all(entry[0] == plan for entry in seen[first_with_numba:])  # then kept


def test_numbas_start_is_judged_by_its_latest_warm_measurements():
    """One start that compiled the kernels (once a machine) or ran on a busy machine does
    not keep Numba off for ever: the choice assumes the median of the last five that
    loaded them from Numba's disk cache; two compiles in a row mean every start compiles."""
    from mlpkit.training.choose import START_MEASUREMENTS, assumed_start, recent_starts

    assert assumed_start(None, 0.6) == 0.6 and assumed_start("junk", 0.6) == 0.6
    starts = recent_starts(None, 2.5, True)  # the first start compiled the kernels
    assert starts == [[2.5, True]] and assumed_start(starts, 0.6) == 0.6
    for new in (0.84, 0.44, 0.63, 0.45, 0.47):
        starts = recent_starts(starts, new, False)
    assert len(starts) == START_MEASUREMENTS and starts[0] == [0.84, False]
    assert assumed_start(starts, 0.6) == 0.47  # the median of the five warm ones
    starts = recent_starts(recent_starts(starts, 3.0, True), 3.2, True)
    assert assumed_start(starts, 0.6) == 3.1  # the cache keeps nothing: every start compiles
    assert recent_starts([[0.2, False], [float("nan"), False], "x", [0.3, 1]], 0.4, False) == [
        [0.2, False], [0.4, False]]  # fmt: skip
