"""The playground's session and settings, without a server or a browser: training goes
through the real fit, the exports rebuild the same network, every request is bounded."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest

import mlpkit
from mlpkit.playground import LIMITS, Session, SessionError, Settings, SettingsError, validate
from mlpkit.playground import session as session_mod
from mlpkit.playground.settings import LOSSES, OPTIMIZERS, OUTPUTS, options


def run_code(code: str, tmp_path) -> list[np.ndarray]:
    """Run an exported script in a fresh interpreter; return its network's weights."""
    script = tmp_path / "train.py"
    script.write_text(code + "\nnp.savez('weights.npz', *net.get_weights())\n")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("test: {'loss':")
    assert (tmp_path / "playground.mlpk").exists()
    with np.load(tmp_path / "weights.npz") as f:
        return [f[f"arr_{i}"] for i in range(len(f.files))]


# -- settings ---------------------------------------------------------------------------
def test_defaults_are_the_notes_xor_network():
    s = validate({})
    assert (s.dataset, s.hidden, s.activation, s.output, s.loss) == (
        "xor",
        (4,),
        "sigmoid",
        "sigmoid",
        "binary_cross_entropy",
    )
    assert s == Settings() and validate(s.to_dict()) == s
    net = Session(s).model
    assert [type(layer).__name__ for layer in net.layers] == ["Dense", "Dense"]
    assert (net.n_features_in, net.layers[0].out_features, net.n_outputs) == (2, 4, 1)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"hidden": [4, 1000]}, "hidden layer 2's width = 1000 is out of bounds (1–16)"),
        ({"hidden": [2] * 7}, "hidden must be a list of at most 6 layer widths"),
        ({"hidden": "4,4"}, "hidden must be a list of at most 6 layer widths"),
        ({"hidden": [2.5]}, "hidden layer 1's width must be a whole number, got 2.5"),
        ({"points": 10**9}, "points = 1000000000 is out of bounds (4–1000)"),
        ({"points": True}, "points must be a whole number, got True"),
        ({"noise": float("nan")}, "noise = nan is out of bounds (0.0–1.0)"),
        ({"lr": "fast"}, "lr must be a number, got 'fast'"),
        ({"epochs_per_tick": 10_000}, "epochs_per_tick = 10000 is out of bounds (1–100)"),
        ({"dropout": 0.95}, "dropout = 0.95 is out of bounds (0.0–0.9)"),
        ({"layers": 3}, "unknown setting 'layers'"),
        (
            {"dataset": "mnist"},
            "dataset must be one of xor, circles, gaussians, spirals, moons, "
            "function, plane, gaussian_surface; got 'mnist'",
        ),
        (
            {"features": ["x3"]},
            "feature 'x3' is not one of x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)",
        ),
        ({"features": []}, "features must be a non-empty list of x1, x2"),
        ({"features": "x1"}, "features must be a non-empty list of"),
        (
            {"dataset": "function", "output": "identity", "loss": "mse", "features": ["x2"]},
            "feature 'x2' is not one of x1, x1^2, sin(x1) (for function)",
        ),
        (
            {"dataset": "function"},
            "output for regression must be one of identity, tanh; got 'sigmoid'",
        ),
        ({"output": "identity"}, "output for classification must be one of sigmoid, softmax"),
        ({"dataset": "spirals", "classes": 3}, "a sigmoid output holds two classes; spirals has 3"),
        ({"output": "softmax"}, "loss for a softmax output must be one of cross_entropy; got"),
        (
            {"optimizer_settings": {"beta": 0.5}},
            "adam has no setting 'beta' (it has: beta1, beta2)",
        ),
        ({"optimizer_settings": {"beta1": 1.5}}, "beta1 = 1.5 is out of bounds (0.0–0.999)"),
        ([1, 2], "settings must be an object, got list"),
        (
            {"hidden": [4] * 3000},
            "layer widths, got [4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4…",
        ),
    ],
)
def test_every_setting_is_checked_and_bounded(raw, message):
    with pytest.raises(SettingsError) as info:
        validate(raw)
    assert message in str(info.value)


def test_another_optimizer_starts_from_its_own_defaults():
    s = validate({"optimizer_settings": {"beta1": 0.5}})
    assert s.optimizer_settings == {"beta1": 0.5, "beta2": 0.999}
    assert validate({"optimizer": "sgd"}, s).optimizer_settings == {"momentum": 0.0}
    assert validate(
        {"optimizer": "rmsprop", "optimizer_settings": {"alpha": 0.9}}, s
    ).optimizer_settings == {"alpha": 0.9}


def test_options_list_every_choice_the_checks_accept():
    o = options()
    assert o["limits"] == LIMITS and o["defaults"] == Settings().to_dict()
    assert set(o["optimizers"]) == set(OPTIMIZERS) and "softmax" not in o["activations"]
    assert "he_normal" in o["initializers"] and o["initializers"][0] == "default"
    json.dumps(o)  # the page receives them as JSON


@pytest.mark.parametrize(
    ("task", "output", "loss"),
    [
        (task, output, loss)
        for task, outs in OUTPUTS.items()
        for output in outs
        for loss in LOSSES[output]
    ],
)
def test_every_output_and_loss_the_page_offers_trains(task, output, loss):
    dataset = "function" if task == "regression" else "moons"
    s = Session(validate({"dataset": dataset, "output": output, "loss": loss, "points": 40}))
    before = s.metrics["train_loss"]
    s.train(20)
    assert s.model.loss.name == mlpkit.losses.get(loss).name
    assert s.metrics["train_loss"] < before


# -- training and the exports ------------------------------------------------------------
CASES = {
    "xor sgd momentum, l2, dropout, mini-batches": {
        "hidden": [6, 4], "activation": "tanh", "optimizer": "sgd", "lr": 0.2,
        "optimizer_settings": {"momentum": 0.9}, "l2": 0.001, "dropout": 0.1,
        "batch_mode": "mini-batch", "batch_size": 8, "init": "he_normal", "seed": 3,
    },
    "spirals softmax, rmsprop, stochastic": {
        "dataset": "spirals", "classes": 3, "output": "softmax", "loss": "cross_entropy",
        "points": 60, "optimizer": "rmsprop", "lr": 0.01, "batch_mode": "stochastic",
        "activation": "relu",
    },
    "regression, adamw, l1 and l2": {
        "dataset": "function", "function": "abs", "output": "identity", "loss": "huber",
        "optimizer": "adamw", "l1": 0.001, "l2": 0.01, "activation": "gelu", "hidden": [8],
        "test_fraction": 0.5, "batch_mode": "mini-batch", "batch_size": 16,
    },
    "circles on x1, x2, x1^2, x2^2 features, tanh": {
        "dataset": "circles", "features": ["x2^2", "x1", "x2", "x1^2"], "activation": "tanh",
        "hidden": [3], "batch_mode": "stochastic",
    },
    "gaussians, sgd, x1*x2 and sin features": {
        "dataset": "gaussians", "features": ["x1*x2", "sin(x1)", "sin(x2)"], "optimizer": "sgd",
        "lr": 0.1, "batch_mode": "mini-batch", "batch_size": 32,
    },
    "a plane from x1 alone (in_features 2)": {
        "dataset": "plane", "output": "identity", "loss": "mse", "features": ["x1"], "hidden": [2],
        "batch_mode": "mini-batch",
    },
    "the Gaussian surface, mini-batches": {
        "dataset": "gaussian_surface", "output": "tanh", "loss": "mse", "hidden": [6, 4],
        "activation": "relu", "batch_mode": "mini-batch", "batch_size": 16,
    },
    "a curve on x, x^2, sin x": {
        "dataset": "function", "output": "identity", "loss": "mse",
        "features": ["x1", "x1^2", "sin(x1)"], "batch_mode": "mini-batch", "batch_size": 64,
    },
}  # fmt: skip


@pytest.mark.parametrize("raw", CASES.values(), ids=CASES.keys())
def test_the_exported_code_trains_the_same_weights_as_the_page(raw, tmp_path):
    s = Session(validate(raw))
    s.train(3)
    s.train(2)  # consecutive runs with the same settings are one fit(epochs=5)
    s.configure({"lr": s.settings.lr / 2})  # a live change: a second fit at the new rate
    s.train(4)
    s.configure({"batch_mode": "full"})
    s.train(1)
    assert s.epochs == 10 and [r[0] for r in s.runs] == [5, 4, 1]
    code = s.python_code()
    compile(code, "train.py", "exec")
    assert "not replayed" not in code
    weights = run_code(code, tmp_path)
    for mine, theirs in zip(s.model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_added_points_are_training_data_in_the_page_and_the_code(tmp_path):
    s = Session(validate({"points": 40}))
    n = len(s.data.x_train)
    s.add_point([0.5, 0.5], 1)
    s.add_point([0.25, 0.75], 0)
    assert len(s.data.x_train) == n + 2 and s.data.y_train[-2:].tolist() == [1, 0]
    np.testing.assert_array_equal(s.data.x_train[-1], np.float32([0.25, 0.75]))
    assert len(s.data.x_test) == 12  # the test set is not touched
    s.train(7)
    for mine, theirs in zip(
        s.model.get_weights(), run_code(s.python_code(), tmp_path), strict=True
    ):
        np.testing.assert_array_equal(mine, theirs)
    s.clear_points()
    assert len(s.data.x_train) == n and s.epochs == 0


def test_adding_points_is_checked():
    s = Session()
    for x, target, message in [
        ([1.0], 0, "a point here has 2 coordinate(s)"),
        ([1.0, "a"], 0, "a coordinate must be a finite number"),
        ([1.0, float("inf")], 0, "a coordinate must be a finite number"),
        ([1.0, 5000.0], 0, "a coordinate = 5000.0 is out of bounds"),
        ([1.0, 0.0], 2, "class must be 0–1, got 2"),
        ([1.0, 0.0], True, "class must be 0–1, got True"),
    ]:
        with pytest.raises(SessionError, match=re.escape(message)):
            s.add_point(x, target)
    regression = Session(validate({"dataset": "function", "output": "identity", "loss": "mse"}))
    regression.add_point([0.5], 2.0)
    assert regression.data.y_train[-1].tolist() == [2.0]
    with pytest.raises(SessionError, match="the point's target must be a finite number"):
        regression.add_point([0.5], None)


def test_added_points_are_limited(monkeypatch):
    monkeypatch.setitem(LIMITS, "user_points", 3)
    s = Session()
    for _ in range(3):
        s.add_point([0.1, 0.1], 0)
    with pytest.raises(SessionError, match="at most 3 points can be added; clear them first"):
        s.add_point([0.1, 0.1], 0)


def test_live_settings_keep_the_network_and_others_restart_it():
    s = Session()
    s.train(5)
    w = s.model.get_weights()
    assert not s.configure(
        {"lr": 0.01, "batch_mode": "mini-batch", "batch_size": 4, "epochs_per_tick": 9}
    )
    assert s.optimizer.lr == 0.01 and s.epochs == 5
    np.testing.assert_array_equal(s.model.get_weights()[0], w[0])
    s.train()
    assert s.epochs == 14  # epochs_per_tick
    assert s.configure({"activation": "tanh"}) and s.epochs == 0
    assert s.model.layers[0].activation.name == "tanh"


def test_restart_gives_the_seeds_initial_weights_again():
    s = Session()
    first = s.model.get_weights()
    s.train(5)
    s.restart()
    for a, b in zip(first, s.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert s.epochs == 0 and s.loss_curves.epoch == [0.0] and s.grad_curves.epoch == []


def test_a_step_is_one_batch_and_leaves_the_networks_generator_alone(tmp_path):
    s = Session(validate({"batch_mode": "mini-batch", "batch_size": 8}))
    state = s.model.rng.bit_generator.state
    s.step()
    assert s.model.steps_trained == 1 and s.single_steps == 1 and s.epochs == 0
    assert s.model.rng.bit_generator.state == state
    assert math.isclose(s.epoch_position, 8 / len(s.data.x_train))
    assert "the page also trained 1 single batch(es) with 'step', not replayed" in s.python_code()
    for _ in range(30):  # the batches cycle through every row
        s.step()
    assert s.model.steps_trained == 31
    full = Session()
    full.step()  # full batch: one epoch, which the code replays
    assert (
        full.epochs == 1
        and full.model.steps_trained == 1
        and "not replayed" not in full.python_code()
    )


def test_training_stops_at_the_epoch_limit(monkeypatch):
    monkeypatch.setitem(LIMITS, "total_epochs", 7)
    s = Session()
    s.train(5)
    assert s.train(5) == 7
    with pytest.raises(SessionError, match="trained the limit of 7 epochs; reset it"):
        s.train(1)


def test_state_is_what_the_model_computes():
    s = Session()
    s.train(30)
    st = s.state()
    json.dumps(st, allow_nan=False)
    assert (
        st["epoch"] == 30
        and st["steps"] == 30
        and st["train_loss"] == s.model.evaluate(s.data.x_train, s.data.y_train)["loss"]
    )
    x0, x1, y0, y1 = s.bounds()
    g = LIMITS["grid"]
    probs = np.array(st["view"]["probs"])
    assert probs.shape == (g * g, 2)
    # grid row r holds y = linspace(y0, y1)[r]; column c holds x = linspace(x0, x1)[c]
    r, c = 5, 40
    point = np.float32([[np.linspace(x0, x1, g)[c], np.linspace(y0, y1, g)[r]]])
    assert probs[r * g + c, 1] == pytest.approx(float(s.model.predict(point)[0, 0]), abs=1e-4)
    assert st["network"]["widths"] == [2, 4, 1]
    np.testing.assert_array_equal(np.float32(st["network"]["W"][1]), s.model.layers[1].W)
    assert st["grad_norms"]["layer 2"][-1] == s.model.gradient_norms()[1]
    assert len(st["losses"]["train"]) == 2  # epoch 0 and after the run


def test_curves_stay_short_however_long_it_trains():
    s = Session(validate({"points": 8}))
    for _ in range(session_mod.CURVE_POINTS + 50):
        s.train(1)
    epochs = s.loss_curves.epoch
    assert len(epochs) <= session_mod.CURVE_POINTS and epochs[-1] == s.epochs
    assert epochs == sorted(epochs) and len(s.loss_curves.values["test"]) == len(epochs)


def test_a_regression_view_is_the_fitted_curve():
    s = Session(
        validate({"dataset": "function", "output": "identity", "loss": "mse", "hidden": [8]})
    )
    s.train(50)
    view = s.state()["view"]
    assert view["kind"] == "curve" and len(view["x"]) == 200
    xs = np.float32(view["x"]).reshape(-1, 1)
    np.testing.assert_allclose(view["y"], s.model.predict(xs)[:, 0], rtol=1e-6)


def test_a_diverged_network_says_so():
    s = Session(validate({"dataset": "function", "output": "identity", "loss": "mse",
                          "optimizer": "sgd", "lr": 10.0, "activation": "relu"}))  # fmt: skip
    with pytest.raises(SessionError) as info:
        s.train(20)
    assert str(info.value).startswith("the loss became inf at epoch ")
    assert str(info.value).endswith(
        ": training stopped with the weights from before; lower the learning rate (now 10) and reset"
    )
    assert s.diverged and 0 < s.epochs < 20 and np.isfinite(s.model.get_weights()[0]).all()
    with pytest.raises(SessionError, match="the loss became inf or NaN: lower the learning rate"):
        s.train(1)
    json.dumps(s.state(), allow_nan=False)


def test_the_trace_is_mlpkit_trace_of_the_same_point():
    s = Session(validate({"l2": 0.01}))
    s.train(40)
    t = s.trace([0.9, 0.1])
    assert t["target"] == [1] and t["target_from"] == "nearest training point"
    ref = mlpkit.trace(s.model, np.float32([0.9, 0.1]), np.int64([1]))
    assert ref.penalty > 0 and t["penalty"] == pytest.approx(ref.penalty)
    assert t["loss"] == pytest.approx(ref.loss)
    for mine, theirs in zip(t["layers"], ref.layers, strict=True):
        np.testing.assert_allclose(mine["s"], theirs.s[0], rtol=1e-6)
        np.testing.assert_allclose(mine["h"], theirs.h[0], rtol=1e-6)
        np.testing.assert_allclose(mine["delta"], theirs.delta[0], rtol=1e-6)
        np.testing.assert_allclose(mine["dW"], theirs.dW, rtol=1e-6)
        np.testing.assert_allclose(mine["db"], theirs.db, rtol=1e-6)
    assert s.trace([0.9, 0.1], 0)["target"] == [0]
    with pytest.raises(SessionError, match="class must be 0–1, got 3"):
        s.trace([0.9, 0.1], 3)
    r = Session(validate({"dataset": "function", "output": "identity", "loss": "mse"}))
    assert r.trace([0.5], 0.25)["target"] == [0.25]


def test_the_exported_model_loads_and_predicts_the_same(tmp_path):
    s = Session(validate({"dropout": 0.2, "hidden": [5, 3]}))
    s.train(10)
    path = tmp_path / "p.mlpk"
    path.write_bytes(s.model_bytes())
    net = mlpkit.load(path)
    x = s.data.x_test
    np.testing.assert_array_equal(net.predict(x), s.model.predict(x))
    assert net.metadata["playground"]["hidden"] == [5, 3]


# -- the command -------------------------------------------------------------------------
def test_the_command_serves_on_loopback_and_opens_the_browser_unless_told(monkeypatch):
    from click.testing import CliRunner

    from mlpkit.cli import main
    from mlpkit.playground import server

    calls = []
    monkeypatch.setattr(server, "serve", lambda **kw: calls.append(kw))
    runner = CliRunner()
    done = runner.invoke(main, ["playground"])
    assert done.exit_code == 0 and "warning" not in done.output
    done = runner.invoke(
        main, ["playground", "--no-browser", "--port", "8765", "--host", "0.0.0.0"]
    )
    assert done.exit_code == 0
    assert (
        "warning: listening on 0.0.0.0: machines that can reach it can open the page" in done.stderr
    )
    assert runner.invoke(main, ["playground", "--host", "::1", "--no-browser"]).stderr == ""
    assert calls == [
        {"host": "127.0.0.1", "port": 0, "open_browser": True},
        {"host": "0.0.0.0", "port": 8765, "open_browser": False},
        {"host": "::1", "port": 0, "open_browser": False},
    ]


def test_a_port_in_use_is_a_one_line_error():
    import socket

    from click.testing import CliRunner

    from mlpkit.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = CliRunner().invoke(main, ["playground", "--no-browser", "--port", str(port)])
    assert done.exit_code == 1
    assert done.stderr.strip() == (
        f"Error: cannot listen on 127.0.0.1:{port}: Address already in use (try another --port)"
    )


# every bound of every setting, by its name: the page shows these limits on its controls
NUMBERS = [  # name, low, high, whole number
    ("classes", 2, 5, True), ("points", 4, 1000, True), ("noise", 0.0, 1.0, False),
    ("test_fraction", 0.1, 0.9, False), ("data_seed", 0, 2**31 - 1, True),
    ("seed", 0, 2**31 - 1, True), ("lr", 1e-6, 10.0, False), ("batch_size", 1, 1000, True),
    ("l1", 0.0, 1.0, False), ("l2", 0.0, 1.0, False), ("dropout", 0.0, 0.9, False),
    ("epochs_per_tick", 1, 100, True),
]  # fmt: skip


@pytest.mark.parametrize(("name", "low", "high", "whole"), NUMBERS, ids=[n[0] for n in NUMBERS])
def test_each_number_is_accepted_at_its_bounds_and_refused_beyond(name, low, high, whole):
    base = {"dataset": "spirals", "output": "softmax", "loss": "cross_entropy"}  # (classes > 2)
    for ok in (low, high):
        assert getattr(validate({**base, name: ok}), name) == ok
    step = 1 if whole else (high - low) / 1000
    for bad in (low - step, high + step):
        with pytest.raises(SettingsError) as info:
            validate({**base, name: bad})
        assert str(info.value) == f"{name} = {bad} is out of bounds ({low}–{high})"
    if whole:
        with pytest.raises(SettingsError, match=f"^{name} must be a whole number, got 1.5$"):
            validate({**base, name: 1.5})


@pytest.mark.parametrize(
    "name", ["dataset", "function", "activation", "init", "optimizer", "batch_mode"]
)
def test_each_choice_names_itself_when_refused(name):
    with pytest.raises(SettingsError) as info:
        validate({name: "nonsense"})
    assert str(info.value).startswith(f"{name} must be one of ") and str(info.value).endswith(
        "; got 'nonsense'"
    )


def test_the_structural_limits_and_messages():
    assert validate({"hidden": [2] * 6}).hidden == (2,) * 6  # six layers: the limit itself
    assert validate({"dataset": "spirals", "classes": 2}).output == "sigmoid"  # two arms: binary
    known = ", ".join(sorted(Settings().to_dict()))
    with pytest.raises(SettingsError) as info:
        validate({"layers": 3})
    assert str(info.value) == f"unknown setting 'layers' (known: {known})"
    with pytest.raises(SettingsError, match=r"^optimizer_settings must be an object, got \[1\]$"):
        validate({"optimizer_settings": [1]})
    with pytest.raises(SettingsError, match=r"^adagrad has no setting 'beta' \(it has: none\)$"):
        validate({"optimizer": "adagrad", "optimizer_settings": {"beta": 0.5}})
    assert validate(
        {"optimizer": "sgd", "optimizer_settings": {"momentum": 0.999}}
    ).optimizer_settings == {"momentum": 0.999}


def test_the_data_follow_every_data_setting():
    from mlpkit.playground import recipe

    s = Session(validate({"points": 101, "test_fraction": 0.5, "data_seed": 4}))
    assert len(s.data.x_train) + len(s.data.x_test) == 100  # the truth table 25 times
    assert len(s.data.x_test) == 50
    other = Session(validate({"points": 101, "test_fraction": 0.5, "data_seed": 5}))
    assert not np.array_equal(s.data.x_train, other.data.x_train)
    spirals = Session(validate({"dataset": "spirals", "classes": 4, "points": 80, "output": "softmax",
                                "loss": "cross_entropy", "noise": 0.0}))  # fmt: skip
    assert (
        sorted(set(spirals.data.y_train.tolist())) == [0, 1, 2, 3] and spirals.model.n_outputs == 4
    )
    assert len(spirals.data.x_train) + len(spirals.data.x_test) == 80
    f = Session(validate({"dataset": "function", "function": "abs", "points": 50, "noise": 0.0,
                          "output": "identity", "loss": "mse"}))  # fmt: skip
    np.testing.assert_allclose(f.data.y_train[:, 0], np.abs(f.data.x_train[:, 0]), atol=1e-6)
    moons = recipe.data_call(validate({"dataset": "moons", "points": 30, "noise": 0.2}))
    assert moons.code() == "datasets.moons(n_samples=30, noise=0.2, seed=0)"
    assert recipe._literal((1.5,)) == "(1.5,)" and recipe._literal((1, 2)) == "(1, 2)"


def test_regularisers_and_dropout_are_where_the_settings_put_them():
    def layers(**raw):
        return Session(validate({"hidden": [3, 3], **raw})).model.layers

    l1 = layers(l1=0.01)[0].regularizer
    assert type(l1) is mlpkit.L1 and l1.alpha == 0.01
    l2 = layers(l2=0.02)[2].regularizer
    assert type(l2) is mlpkit.L2 and l2.alpha == 0.02
    both = layers(l1=0.01, l2=0.02)[1].regularizer
    assert type(both) is mlpkit.L1L2 and both.get_config() == {"l1": 0.01, "l2": 0.02}
    assert layers()[0].regularizer is None
    kinds = [type(layer).__name__ for layer in layers(dropout=0.25)]
    assert kinds == ["Dense", "Dropout", "Dense", "Dropout", "Dense"]  # none after the output
    assert layers(dropout=0.25)[1].rate == 0.25


def test_regression_points_added_by_hand_are_in_the_exported_code(tmp_path):
    s = Session(
        validate({"dataset": "function", "output": "identity", "loss": "mse", "points": 40})
    )
    s.add_point([0.5], 2.0)
    s.train(3)
    code = s.python_code()
    assert "dtype=np.float32)])" in code.split("y_train = np.concatenate")[1].splitlines()[0]
    for mine, theirs in zip(s.model.get_weights(), run_code(code, tmp_path), strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_the_page_gets_every_choice_under_its_name():
    o = options()
    assert set(o) == {"datasets", "functions", "activations", "outputs", "losses", "initializers",
                      "optimizers", "batch_modes", "limits", "defaults", "regression_1d",
                      "features"}  # fmt: skip
    assert o["datasets"] == {
        "classification": ["xor", "circles", "gaussians", "spirals", "moons"],
        "regression": ["function", "plane", "gaussian_surface"],
    }
    assert o["regression_1d"] == ["function"] and o["features"]["1"] == ["x1", "x1^2", "sin(x1)"]
    assert o["features"]["2"][:2] == ["x1", "x2"] and o["defaults"]["features"] == ["x1", "x2"]
    assert o["functions"] == ["sin", "abs", "step"] and o["batch_modes"] == [
        "stochastic",
        "mini-batch",
        "full",
    ]
    assert o["outputs"]["regression"] == ["identity", "tanh"] and o["losses"]["softmax"] == [
        "cross_entropy"
    ]
    assert o["defaults"]["hidden"] == [4]
    from mlpkit.playground.settings import shown

    assert (
        shown("x" * 58) == repr("x" * 58)
        and shown("x" * 59).endswith("…")
        and len(shown("x" * 59)) == 60
    )
