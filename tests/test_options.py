"""Every option a user can set, tested by its effect (not its presence), and every number
a user reads checked against a computation made here: callback modes and limits driven
by scripted epoch logs, History's metrics and losses, the losses' saved settings, trace
and gradcheck options, autoencoder validation, figures by their data."""

from __future__ import annotations

import re

import numpy as np
import pytest

import mlpkit
from mlpkit import callbacks as C
from mlpkit import losses as L
from mlpkit import optimizers as O
from mlpkit.callbacks.monitors import monitor_mode

from .conftest import make_mlp


class FakeModel:
    """What the monitors touch: an optimizer's lr, stop_training, snapshot/restore."""

    def __init__(self, lr=1.0):
        self.optimizer = O.SGD(lr=lr)
        self.stop_training = False
        self.weights = 0
        self.restored = None

    def snapshot(self):
        return self.weights

    def restore(self, snapshot):
        self.restored = snapshot


def drive(callback, values, key="val_loss", model=None):
    """Run ``callback`` over epochs whose ``key`` takes ``values``; stop when it says.
    Returns the model and the epochs run."""
    model = model or FakeModel()
    callback.set_model(model, {})
    callback.on_train_begin()
    ran = 0
    for epoch, value in enumerate(values):
        model.weights = epoch  # "the weights of epoch k" are k
        callback.on_epoch_end(epoch, {key: value})
        ran += 1
        if model.stop_training:
            break
    callback.on_train_end()
    return model, ran


# -- monitors ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["accuracy", "acc", "precision", "recall", "f1", "r2"])
def test_auto_mode_maximises_accuracy_like_monitors(name):
    assert monitor_mode(name, "auto") == monitor_mode(f"val_{name}", "auto") == "max"
    assert monitor_mode(f"val_{name}", "min") == "min"
    stop = C.EarlyStopping(f"val_{name}", patience=2, verbose=0)
    _, ran = drive(stop, [0.5, 0.7, 0.9, 0.8, 0.85, 0.95], key=f"val_{name}")
    assert ran == 5 and stop.best_epoch == 2  # rising is better: stops 2 epochs after 0.9


@pytest.mark.parametrize("name", ["loss", "val_loss", "mse", "val_mae", "anything"])
def test_auto_mode_minimises_the_rest(name):
    assert monitor_mode(name, "auto") == "min" and monitor_mode(name, "max") == "max"
    with pytest.raises(ValueError, match="mode must be 'auto', 'min' or 'max', got 'up'"):
        monitor_mode(name, "up")


def test_early_stopping_patience_min_delta_start_and_restoring():
    values = [1.0, 0.8, 0.79, 0.9, 0.95, 0.5]
    stop = C.EarlyStopping(patience=2, min_delta=0.05, restore_best_weights=True, verbose=0)
    model, ran = drive(stop, values)
    # 0.79 is not 0.05 better than 0.8: epochs 2 and 3 do not improve; stop after epoch 3
    assert ran == 4 and stop.stopped_epoch == 3 and stop.best_epoch == 1 and model.restored == 1
    stop = C.EarlyStopping(patience=2, restore_best_weights=False, verbose=0)
    model, _ = drive(stop, values)
    assert model.restored is None and stop.best_epoch == 2
    stop = C.EarlyStopping(patience=1, start_from_epoch=3, verbose=0)
    _, ran = drive(stop, [1.0, 2.0, 3.0, 4.0, 3.5, 5.0])  # the rises before epoch 3 do not count
    assert ran == 6 and stop.best_epoch == 4
    stop = C.EarlyStopping(mode="max", patience=1, verbose=0)
    _, ran = drive(stop, [1.0, 2.0, 1.5])
    assert ran == 3 and stop.best_epoch == 1


def test_early_stopping_says_when_and_why(capsys):
    drive(C.EarlyStopping(patience=1, restore_best_weights=True), [0.5, 0.6])
    err = capsys.readouterr().err
    assert (
        "EarlyStopping: stopped after epoch 2: val_loss has not improved on 0.5 (epoch 1) for 1 epoch(s)"
        in err
    )
    assert "restored the weights of epoch 1" in err
    drive(C.EarlyStopping(patience=1, verbose=0), [0.5, 0.6])
    assert capsys.readouterr().err == ""
    with pytest.raises(
        ValueError,
        match=r"EarlyStopping monitors 'val_loss' but the epoch logs only have \['loss'\]",
    ):
        drive(C.EarlyStopping(), [0.5], key="loss")


def test_reduce_lr_on_plateau_factor_patience_cooldown_and_min_lr(capsys):
    def rates(cooldown, min_lr=0.3):
        plateau = C.ReduceLROnPlateau(
            factor=0.5, patience=2, cooldown=cooldown, min_lr=min_lr, min_delta=0.0
        )
        model, lrs = FakeModel(lr=1.0), []
        plateau.set_model(model, {})
        for epoch in range(8):
            plateau.on_epoch_end(epoch, {"val_loss": 1.0})
            lrs.append(model.optimizer.lr)
        return lrs

    # two epochs without improvement -> halve, never below min_lr; Keras's cooldown count:
    # the epoch the cooldown ends in already counts towards the patience
    assert rates(cooldown=0) == [1.0, 1.0, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3]
    assert rates(cooldown=2) == [1.0, 1.0, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3]
    assert rates(cooldown=0, min_lr=0.0) == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125, 0.125]
    err = capsys.readouterr().err
    assert err.count("ReduceLROnPlateau: epoch") == 7 and "learning rate 1 -> 0.5" in err
    plateau = C.ReduceLROnPlateau(monitor="val_accuracy", factor=0.1, patience=1, verbose=0)
    model = FakeModel(lr=1.0)
    plateau.set_model(model, {})
    for epoch, value in enumerate([0.5, 0.6, 0.7]):  # rising accuracy is improving
        plateau.on_epoch_end(epoch, {"val_accuracy": value})
    assert model.optimizer.lr == 1.0
    plateau.on_epoch_end(3, {"val_accuracy": 0.65})
    assert model.optimizer.lr == pytest.approx(0.1)
    with pytest.raises(ValueError, match=r"factor must be in \(0, 1\), got 1.5"):
        C.ReduceLROnPlateau(factor=1.5)


def test_model_checkpoint_keeps_the_best_by_mode(tmp_path, rng):
    x, y = rng.normal(size=(20, 3)), rng.integers(0, 2, 20)
    net = make_mlp([3, 4, 2], hidden="relu", output="softmax")
    net.fit(x, y, epochs=1, verbose=0)
    saved = []
    check = C.ModelCheckpoint(
        tmp_path / "m-{epoch}.mlpk", monitor="val_accuracy", save_best_only=True
    )
    check.set_model(net, {})
    for epoch, value in enumerate([0.5, 0.4, 0.7, 0.6]):
        check.on_epoch_end(epoch, {"val_accuracy": value})
        saved.append(sorted(p.name for p in tmp_path.iterdir()))
    assert saved[-1] == ["m-1.mlpk", "m-3.mlpk"]  # epochs 1 and 3 (0.5, then 0.7), counted from 1


# -- training's numbers ------------------------------------------------------------------
def test_train_metrics_are_scored_against_the_shuffled_rows_they_were_made_for(rng):
    x, y = rng.normal(size=(64, 3)), rng.integers(0, 3, 64)
    net = make_mlp([3, 8, 3], hidden="tanh", output="softmax", dtype="float64")
    before = net.predict(x)
    # a learning rate so small the weights do not move: the epoch's predictions are the
    # starting model's, whatever order the shuffled batches came in
    h = net.fit(
        x, y, optimizer=O.SGD(lr=1e-300), epochs=1, batch_size=5, metrics=["accuracy"], verbose=0
    )
    assert h["accuracy"][0] == pytest.approx(np.mean(before.argmax(axis=1) == y))
    picked = before[np.arange(64), y]
    assert h["loss"][0] == pytest.approx(-np.mean(np.log(picked)), rel=1e-12)


def test_validation_loss_has_its_weights_and_the_penalty(rng):
    x, y = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)
    xv, yv, wv = rng.normal(size=(15, 3)), rng.integers(0, 2, 15), rng.uniform(0.1, 3.0, 15)
    net = mlpkit.Sequential([mlpkit.Dense(3, 5, "tanh", regularizer=mlpkit.L2(0.3)),
                             mlpkit.Dense(5, 2, "softmax", regularizer=mlpkit.L1(0.05))],
                            seed=1, dtype="float64")  # fmt: skip
    h = net.fit(x, y, epochs=2, validation_data=(xv, yv, wv), verbose=0)
    p = net.predict(xv)[np.arange(15), yv]
    data_loss = np.sum(wv * -np.log(p)) / 15  # Keras's sum(w l) / N
    w0, w1 = net.layers[0].W, net.layers[1].W
    penalty = 0.5 * 0.3 * np.sum(w0**2) + 0.05 * np.sum(np.abs(w1))
    assert h["val_loss"][-1] == pytest.approx(data_loss + penalty, rel=1e-10)
    assert net.evaluate(xv, yv, sample_weight=wv)["loss"] == pytest.approx(
        data_loss + penalty, rel=1e-10
    )


def test_grad_norms_are_the_gradients_norms(rng):
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 2))
    net = make_mlp([3, 6, 2], hidden="tanh", dtype="float64", seed=5)
    probe = net.copy()
    h = net.fit(x, y, loss="mse", optimizer=O.SGD(lr=0.1), epochs=1, batch_size=None, verbose=0)
    # one full batch: the logged norm is that of the gradient at the starting weights
    probe.loss_and_gradients(x, y, probe.head("mse"))
    grads = probe.gradients()
    by_layer = [grads[0:2], grads[2:4]]
    for k, (gw, gb) in enumerate(by_layer):
        assert h[f"grad_norm.layer{k}"][0] == pytest.approx(
            np.sqrt(np.sum(gw**2) + np.sum(gb**2)), rel=1e-10
        )


# -- losses, heads, persistence -------------------------------------------------------------
@pytest.mark.parametrize(
    "loss",
    [L.Huber(0.3), L.BinaryCrossEntropy(sum_outputs=True), L.BinaryCrossEntropy(from_logits=True),
     L.CrossEntropy(from_logits=True), L.PoissonDeviance(from_logits=True)],
    ids=lambda loss: f"{loss.name}-{loss.get_config()}",
)  # fmt: skip
def test_a_saved_model_resumes_with_its_losss_settings(loss, tmp_path, rng):
    outputs = {"huber": "identity", "binary_cross_entropy": "sigmoid", "cross_entropy": "softmax",
               "poisson": "exp"}  # fmt: skip
    net = make_mlp(
        [3, 4, 2],
        hidden="tanh",
        output="identity" if loss.get_config().get("from_logits") else outputs[loss.name],
    )
    y = {"huber": rng.normal(size=(8, 2)), "binary_cross_entropy": rng.integers(0, 2, (8, 2)),
         "cross_entropy": rng.integers(0, 2, 8), "poisson": rng.poisson(2.0, (8, 2)).astype(float)}[loss.name]  # fmt: skip
    net.fit(rng.normal(size=(8, 3)), y, loss=loss, epochs=1, verbose=0)
    again = mlpkit.load(mlpkit.save(net, tmp_path / "m.mlpk"))
    assert type(again.loss) is type(loss) and again.loss.get_config() == loss.get_config()


def test_the_fused_poisson_head_value_is_the_half_deviance(rng):
    z = rng.normal(size=(6, 2))
    t = rng.poisson(1.5, size=(6, 2)).astype(float)
    head = mlpkit.heads.OutputHead(mlpkit.activations.get("exp"), "poisson")
    assert head.fused
    rate = np.exp(z)
    tlogt = np.where(t > 0, t * np.log(np.where(t > 0, t, 1)), 0.0)
    direct = np.mean(np.sum(tlogt - t * z - t + rate, axis=1))
    value, grad = head.value_and_grad(z, t)
    assert value == pytest.approx(direct, rel=1e-12) and head.value(z, t) == pytest.approx(
        direct, rel=1e-12
    )
    np.testing.assert_allclose(grad, (rate - t) / 6, rtol=1e-12)
    plain = mlpkit.heads.OutputHead(mlpkit.activations.get("exp"), "poisson", fused=False)
    assert not plain.fused and plain.value(z, t) == pytest.approx(direct, rel=1e-12)


# -- trace and gradcheck options -------------------------------------------------------------
def test_trace_gradients_include_the_regulariser(rng):
    x, y = rng.normal(size=(3, 2)), rng.normal(size=(3, 1))
    net = mlpkit.Sequential([mlpkit.Dense(2, 3, "tanh", regularizer=mlpkit.L2(0.7)), mlpkit.Dense(3, 1)],
                            seed=2, dtype="float64")  # fmt: skip
    result = mlpkit.trace(net, x, y, loss="mse")
    plain = mlpkit.Sequential(
        [mlpkit.Dense(2, 3, "tanh"), mlpkit.Dense(3, 1)], seed=2, dtype="float64"
    )
    plain.set_weights(net.get_weights())
    plain.loss_and_gradients(x, y, plain.head("mse"))
    data_grads = plain.gradients()
    np.testing.assert_allclose(
        result.gradients()[0], data_grads[0] + 0.7 * net.layers[0].W, rtol=1e-12
    )
    np.testing.assert_allclose(result.gradients()[2], data_grads[2], rtol=1e-12)
    assert result.loss == pytest.approx(
        np.mean((net.predict(x) - y) ** 2) + 0.35 * np.sum(net.layers[0].W ** 2)
    )


def test_gradcheck_checks_the_chain_rule_it_is_asked_for(rng, monkeypatch):
    net = make_mlp([3, 4, 3], hidden="tanh", output="softmax", seed=1)
    x, y = rng.normal(size=(5, 3)), rng.integers(0, 3, 5)
    assert (
        mlpkit.gradcheck(net, x, y, fused=True).passed
        and mlpkit.gradcheck(net, x, y, fused=False).passed
    )
    # break softmax's own backward: the fused head never calls it, the plain chain rule does
    monkeypatch.setattr(mlpkit.activations.Softmax, "vjp", lambda self, z, a, da: da * a)
    assert mlpkit.gradcheck(net, x, y, fused=True).passed
    assert not mlpkit.gradcheck(net, x, y, fused=False).passed


def test_gradcheck_upcasts_a_float32_model_to_float64(rng):
    net = make_mlp([3, 4, 2], hidden="tanh", dtype="float32", seed=3)
    x, y = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    report = mlpkit.gradcheck(net, x, y, loss="mse")
    assert report.passed and report.worst < 1e-6  # float32 differences would be ~1e-3
    assert net.dtype == np.float32  # the model itself is left as it was


# -- autoencoders and figures --------------------------------------------------------------
def test_autoencoder_validation_data_is_reconstruction_loss_on_it(rng):
    x, xv = rng.uniform(0, 1, size=(40, 6)), rng.uniform(0, 1, size=(12, 6))
    ae = mlpkit.Autoencoder([6, 4, 2], seed=0, dtype="float64")
    h = ae.fit(x, epochs=3, validation_data=xv, verbose=0)
    r = ae.reconstruct(xv)
    bce = -np.mean(xv * np.log(r) + (1 - xv) * np.log(1 - r))  # sigmoid output: cross-entropy
    assert h["val_loss"][-1] == pytest.approx(bce, rel=1e-9)


def test_the_reconstructions_figure_shows_originals_over_reconstructions(rng):
    pytest.importorskip("matplotlib")
    from mlpkit import plots

    x = rng.uniform(0, 1, size=(30, 16))
    ae = mlpkit.Autoencoder([16, 8, 2], seed=0)
    ae.fit(x, epochs=2, verbose=0)
    fig = plots.reconstructions(ae, x, (4, 4), n=5)
    shown = [ax.images[0].get_array() for ax in fig.axes if ax.images]
    assert len(shown) == 10
    for i in range(5):
        np.testing.assert_allclose(np.asarray(shown[i]), x[i].reshape(4, 4), rtol=1e-6)
        np.testing.assert_allclose(
            np.asarray(shown[5 + i]), ae.reconstruct(x[i : i + 1])[0].reshape(4, 4), rtol=1e-6
        )


# -- scikit-learn wrapper parameters ------------------------------------------------------
def _blobs(n=200):
    from sklearn.datasets import make_classification

    return make_classification(n_samples=n, n_features=6, n_informative=4, random_state=0)


def test_sklearn_alpha_shrinks_the_weights():
    from mlpkit.sklearn import MLPClassifier

    x, y = _blobs()
    norms = []
    for alpha in (0.0, 1.0, 10.0):
        clf = MLPClassifier(hidden_layer_sizes=(16,), alpha=alpha, max_iter=60, random_state=0).fit(
            x, y
        )
        norms.append(sum(float(np.sum(w**2)) for w in clf.coefs_))
    assert norms[0] > norms[1] > norms[2]


def test_sklearn_invscaling_lowers_the_rate_as_samples_are_seen():
    from mlpkit.sklearn import MLPClassifier

    x, y = _blobs()
    settings = dict(
        hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=0.1, max_iter=5, random_state=0
    )
    clf = MLPClassifier(learning_rate="invscaling", power_t=0.5, **settings).fit(x, y)
    # scikit-learn's rule: lr = learning_rate_init / (t + 1) ** power_t, t = samples seen
    assert clf.network_.optimizer.lr == pytest.approx(0.1 / (clf.t_ + 1) ** 0.5)
    constant = MLPClassifier(learning_rate="constant", **settings).fit(x, y)
    flat = MLPClassifier(learning_rate="invscaling", power_t=0.0, **settings).fit(x, y)
    assert constant.network_.optimizer.lr == 0.1
    for a, b in zip(flat.coefs_, constant.coefs_, strict=True):  # t^0 = 1: the same run
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(clf.coefs_, constant.coefs_, strict=True))


def test_sklearn_early_stopping_keeps_the_best_validation_epochs_weights():
    from mlpkit.sklearn import MLPClassifier

    x, y = _blobs(300)
    seen = {}

    class Record(C.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen[epoch] = self.model.get_weights()

    clf = MLPClassifier(hidden_layer_sizes=(64,), early_stopping=True, n_iter_no_change=4, max_iter=300,
                        learning_rate_init=0.01, random_state=0, callbacks=[Record()]).fit(x, y)  # fmt: skip
    best = int(np.argmax(clf.validation_scores_))
    assert clf.n_iter_ == len(seen) > best + 1  # it trained past the best epoch, then stopped
    kept = [w for pair in zip(clf.coefs_, clf.intercepts_, strict=True) for w in pair]
    for a, b in zip(kept, seen[best], strict=True):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(kept, seen[len(seen) - 1], strict=True))


# -- learning-rate schedules ----------------------------------------------------------------
def _rates(schedule, epochs, lr=1.0):
    model = FakeModel(lr=lr)
    schedule.set_model(model, {})
    out = []
    for epoch in range(epochs):
        schedule.on_epoch_begin(epoch)
        out.append(model.optimizer.lr)
    return out


def test_step_exponential_and_cosine_schedules_follow_their_formulas():
    assert _rates(C.StepDecay(step_size=2), 5, lr=0.5) == pytest.approx(
        [0.5, 0.5, 0.05, 0.05, 0.005]
    )
    assert _rates(C.StepDecay(step_size=1, gamma=0.5), 3) == pytest.approx([1.0, 0.5, 0.25])
    assert _rates(C.ExponentialDecay(0.9), 3, lr=2.0) == pytest.approx([2.0, 1.8, 1.62])
    total, warm, floor = 6, 2, 0.1
    want = [(e + 1) / warm for e in range(warm)]
    want += [floor + 0.5 * (1 - floor) * (1 + np.cos(np.pi * min(1.0, (e - warm) / (total - warm))))
             for e in range(warm, 9)]  # fmt: skip
    assert _rates(C.CosineDecay(total, min_lr=floor, warmup_epochs=warm), 9) == pytest.approx(want)
    assert _rates(C.CosineDecay(2, warmup_epochs=1), 4) == pytest.approx(
        [1.0, 1.0, 0.0, 0.0]
    )  # then it stays
    assert _rates(C.CosineDecay(3), 4) == pytest.approx(
        [1.0, 0.75, 0.25, 0.0]
    )  # from the optimizer's lr to 0


def test_schedules_refuse_settings_that_make_no_sense():
    with pytest.raises(ValueError, match=r"^step_size must be >= 1$"):
        C.StepDecay(step_size=0)
    assert C.StepDecay(step_size=1).step_size == 1
    for total, warm in ((0, 0), (3, -1), (3, 3), (3, 4)):
        with pytest.raises(
            ValueError, match=r"^need total_epochs >= 1 and 0 <= warmup_epochs < total_epochs$"
        ):
            C.CosineDecay(total, warmup_epochs=warm)
    assert C.CosineDecay(1).total == 1 and C.CosineDecay(3, warmup_epochs=2).warmup == 2


def test_a_custom_schedule_gets_the_epoch_and_is_checked():
    seen = []

    def halve_after_two(epoch, lr):
        seen.append((epoch, lr))
        return lr if epoch < 2 else lr / 2

    assert _rates(C.LearningRateScheduler(halve_after_two), 4, lr=0.8) == pytest.approx(
        [0.8, 0.8, 0.4, 0.2]
    )
    assert [e for e, _ in seen] == [0, 1, 2, 3]
    assert _rates(C.LearningRateScheduler(lambda e, lr: 0.0), 1) == [0.0]  # zero is a rate
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(
            ValueError, match=rf"^schedule returned learning rate {bad!r} at epoch 0$"
        ):
            _rates(C.LearningRateScheduler(lambda e, lr, bad=bad: bad), 1)


def test_reduce_lr_on_plateau_defaults_and_direction(capsys):
    plateau = C.ReduceLROnPlateau()  # Keras's defaults: factor 0.1, patience 10, no cooldown
    model = FakeModel(lr=1.0)
    plateau.set_model(model, {})
    lrs = []
    for epoch in range(22):
        plateau.on_epoch_end(epoch, {"val_loss": 1.0})
        lrs.append(model.optimizer.lr)
    assert (
        lrs[:10] == [1.0] * 10 and lrs[10] == pytest.approx(0.1) and lrs[20] == pytest.approx(0.01)
    )
    assert lrs[11:20] == [pytest.approx(0.1)] * 9
    assert (
        capsys.readouterr().err.count("ReduceLROnPlateau: epoch 11: val_loss 1 has not improved")
        == 1
    )
    falling = C.ReduceLROnPlateau(patience=1, verbose=0)  # a falling loss is improving
    model = FakeModel(lr=1.0)
    falling.set_model(model, {})
    for epoch, value in enumerate([1.0, 0.9, 0.8, 0.7]):
        falling.on_epoch_end(epoch, {"val_loss": value})
    assert model.optimizer.lr == 1.0
    for factor in (0.0, 1.0):
        with pytest.raises(ValueError, match=rf"^factor must be in \(0, 1\), got {factor}$"):
            C.ReduceLROnPlateau(factor=factor)
    with pytest.raises(
        ValueError, match=r"^ReduceLROnPlateau monitors 'val_loss' but the epoch logs only have"
    ):
        falling.on_epoch_end(4, {"loss": 1.0})


def test_monitor_lines_go_above_a_progress_bar_or_to_stderr_on_rank_0_only(monkeypatch, capsys):
    import sys
    import types

    written = []
    bar = types.SimpleNamespace(
        tqdm=types.SimpleNamespace(write=lambda line, file: written.append((line, file)))
    )
    monkeypatch.setitem(sys.modules, "tqdm", bar)
    callback = C.EarlyStopping()
    callback.say("above the bar")  # (before any fit: it speaks)
    assert written == [("above the bar", sys.stderr)] and capsys.readouterr().err == ""
    monkeypatch.delitem(sys.modules, "tqdm")
    callback.set_model(None, {"chief": True})
    callback.say("on its own")
    assert capsys.readouterr().err == "on its own\n"
    callback.set_model(None, {"chief": False})  # another MPI rank than 0: silent
    callback.say("not from here")
    assert capsys.readouterr().err == ""


def test_regularizers_keep_their_strengths_through_a_file(tmp_path, rng):
    w = rng.normal(size=(4, 3))
    assert mlpkit.L1L2().penalty(w) == 0.0 and not np.any(mlpkit.L1L2().gradient(w))
    both = mlpkit.L1L2(l1=0.2, l2=0.5)
    assert both.get_config() == {"l1": 0.2, "l2": 0.5}
    assert both.penalty(w) == pytest.approx(0.2 * np.abs(w).sum() + 0.25 * np.sum(w**2))
    net = mlpkit.Sequential([mlpkit.Dense(4, 3, regularizer=both, bias_regularizer=mlpkit.L1(0.3)),
                             mlpkit.Dense(3, 2, regularizer=mlpkit.L2(0.7))], seed=0)  # fmt: skip
    again = mlpkit.load(mlpkit.save(net, tmp_path / "r.mlpk"))
    assert again.penalty() == pytest.approx(net.penalty()) and again.penalty() > 0
    assert again.layers[0].regularizer.get_config() == {"l1": 0.2, "l2": 0.5}
    assert (
        again.layers[0].bias_regularizer.alpha == 0.3 and again.layers[1].regularizer.alpha == 0.7
    )


def test_the_gradcheck_report_reads_as_a_table_and_names_the_culprit():
    from mlpkit.gradcheck import GradcheckReport

    report = GradcheckReport(
        names=["layer0.W", "layer0.b", "layer1.W"], max_rel_error=[3e-3, 2e-3, 1e-9],
        max_abs_error=[4e-4, 5e-5, 1e-12], tolerance=1e-6, checked=[6, 3, 12],
        layers=["Dense(2, 3, tanh)", "Dense(2, 3, tanh)", "Dense(3, 1)"],
    )  # fmt: skip
    assert str(report) == (
        "array     entries  max rel error  max abs error\n"
        "layer0.W        6      3.000e-03      4.000e-04\n"
        "layer0.b        3      2.000e-03      5.000e-05\n"
        "layer1.W       12      1.000e-09      1.000e-12\n"
        "FAILED: worst relative error 3.000e-03 (tolerance 1e-06)\n"
        "the error enters at layer0.b, in Dense(2, 3, tanh) (arrays of the layers before it "
        "inherit it): check that layer's backward or its activation's derivative"
    )
    assert not report and report.failures == ["layer0.W", "layer0.b"] and report.worst == 3e-3
    fine = GradcheckReport(["w"], [1e-9], [1e-12], 1e-6, [2], ["Dense(1, 1)"])
    assert (
        bool(fine)
        and str(fine).splitlines()[-1] == "PASSED: worst relative error 1.000e-09 (tolerance 1e-06)"
    )
    at_the_line = GradcheckReport(["w"], [1e-6], [1e-9], 1e-6, [2], ["Dense(1, 1)"])
    assert not at_the_line.passed and at_the_line.failures == [
        "w"
    ]  # "below the tolerance" is strict


# -- the losses' public API: loss(y_pred, y_true, w), per_sample, gradient --------------
DIRECT = {  # per-sample loss and its gradient, written out here
    "squared": (lambda p, t: 0.5 * np.sum((p - t) ** 2, axis=1), lambda p, t: p - t),
    "mse": (lambda p, t: np.mean((p - t) ** 2, axis=1), lambda p, t: 2 * (p - t) / p.shape[1]),
    "mae": (lambda p, t: np.mean(np.abs(p - t), axis=1), lambda p, t: np.sign(p - t) / p.shape[1]),
}


@pytest.mark.parametrize("name", sorted(DIRECT))
def test_a_losss_value_per_sample_and_gradient_from_the_public_api(name, rng):
    loss = L.get(name)
    p, t, w = rng.normal(size=(5, 3)), rng.normal(size=(5, 3)), rng.uniform(0.5, 2, 5)
    per, grad = DIRECT[name]
    np.testing.assert_allclose(loss.per_sample(p, t), per(p, t), rtol=1e-12)
    assert loss.loss(p, t) == pytest.approx(per(p, t).mean(), rel=1e-12) == loss(p, t)
    assert loss.loss(p, t, w) == pytest.approx(np.sum(w * per(p, t)) / 5, rel=1e-12)
    np.testing.assert_allclose(loss.gradient(p, t), grad(p, t) / 5, rtol=1e-12)
    np.testing.assert_allclose(loss.gradient(p, t, w), grad(p, t) * w[:, None] / 5, rtol=1e-12)
    # one output: (N,) predictions and targets are read as (N, 1); integers as float64
    flat_p, flat_t = rng.normal(size=4), rng.normal(size=4)
    assert loss.loss(flat_p, flat_t) == pytest.approx(per(flat_p[:, None], flat_t[:, None]).mean())
    assert loss.gradient(flat_p, flat_t).shape == (4, 1)
    ints = np.array([[1, 2], [3, 5]])
    assert loss.gradient(ints, np.zeros((2, 2))).dtype == np.float64
    assert loss.gradient(p.astype(np.float32), t).dtype == np.float32  # the predictions' dtype
    assert loss.per_sample(p.astype(np.float32), t).dtype == np.float32


def test_the_losses_refuse_mismatched_or_empty_input():
    loss = L.get("mse")
    with pytest.raises(ValueError, match=r"^targets have 3 rows but there are 2 samples$"):
        loss.per_sample(np.zeros((2, 1)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"^targets have 3 rows but there are 2 samples$"):
        loss.gradient(np.zeros((2, 1)), np.zeros((3, 1)))
    for bad in (np.zeros((0, 2)), np.zeros((2, 2, 2))):
        message = f"y_pred must be a non-empty (N, d) array, got shape {bad.shape}"
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            loss(bad, np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"^y_pred must be numeric; got dtype <U1$"):
        loss(np.array([["a"]]), np.zeros((1, 1)))
    with pytest.raises(ValueError, match=r"^sample_weight has 1 entries but there are 2 samples$"):
        loss(np.zeros((2, 1)), np.zeros((2, 1)), sample_weight=[1.0])
    for delta in (0, -1.0):
        with pytest.raises(ValueError, match=rf"^Huber delta must be > 0, got {delta}$"):
            L.Huber(delta)
    assert L.Huber(1e-9).delta == 1e-9


def test_binary_cross_entropy_stays_finite_at_0_and_1():
    loss = L.BinaryCrossEntropy()
    for dtype in (np.float32, np.float64):
        eps = np.finfo(dtype).eps
        p = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=dtype)
        t = np.array([[1.0, 0.0], [1.0, 0.0]])
        q = np.clip(p, eps, 1 - eps).astype(np.float64)
        grad = loss.gradient(p, t)
        want = (q - t) / (q * (1 - q)) / (2 * 2)  # mean over 2 outputs and 2 samples
        assert np.all(np.isfinite(grad)) and grad.dtype == dtype
        np.testing.assert_allclose(grad, want, rtol=1e-3)
        assert np.isfinite(loss(p, t))


# -- trace: every path through the function, and its rendering exactly -------------------
def _chapter_one_net():
    """Chapter 1's XOR weights (sigmoid units), with an L2 penalty on the hidden layer."""
    net = mlpkit.Sequential([mlpkit.Dense(2, 2, "sigmoid", regularizer=mlpkit.L2(0.1)),
                             mlpkit.Dense(2, 1, "sigmoid")], dtype="float64")  # fmt: skip
    net.set_weights([np.array([[3.0, 4.0], [2.0, 3.0]]), np.array([-2.0, -4.0]), np.array([[5.0], [-5.0]]),
                     np.array([-2.0])])  # fmt: skip
    return net


TRACE_TEXT = (
    "forward:\n"
    "x       h0[0]              …  y                  target  loss (squared)\n"
    "------  -----------------  -  -----------------  ------  --------------\n"
    "(1, …)  σ(1.000) = 0.731   …  σ(-0.845) = 0.301  one     0.245\n"
    "(0, …)  σ(-2.000) = 0.119  …  σ(-1.494) = 0.183  zero    0.017\n"
    "\n"
    "backward:\n"
    "x       δ0 = ∂l/∂s0  δ1 = ∂l/∂s1\n"
    "------  -----------  -----------\n"
    "(1, …)  [-0.145, …]  [-0.147]\n"
    "(0, …)  [0.014, …]   [0.027]\n"
    "\n"
    "L = mean loss 0.130712 + penalty 1.900000 = 2.030712\n"
    "∂L/∂W0 =\n"
    "[[0.228 0.492]\n"
    " [0.2   0.3  ]]\n"
    "∂L/∂b0 = [-0.065  0.091]\n"
    "∂L/∂W1 =\n"
    "[[-0.052]\n"
    " [-0.037]]\n"
    "∂L/∂b1 = [-0.06]"
)
TRACE_LINES = (
    "example 0\n"
    "forward:\n"
    "  x   = [1.000, … (2 in all)]\n"
    "  s0  = [1.000, … (2 in all)]   Dense(sigmoid)\n"
    "  h0  = [0.731, … (2 in all)]\n"
    "  s1  = [-0.845]   Dense(sigmoid)\n"
    "  h1  = [0.301]\n"
    "  target one; loss (squared) 0.245\n"
    "backward:\n"
    "  δ1 = ∂l/∂s1 = [-0.147]\n"
    "  δ0 = ∂l/∂s0 = [-0.145, … (2 in all)]\n"
    "\n"
    "example 1\n"
    "forward:\n"
    "  x   = [0.000, … (2 in all)]\n"
    "  s0  = [-2.000, … (2 in all)]   Dense(sigmoid)\n"
    "  h0  = [0.119, … (2 in all)]\n"
    "  s1  = [-1.494]   Dense(sigmoid)\n"
    "  h1  = [0.183]\n"
    "  target zero; loss (squared) 0.017\n"
    "backward:\n"
    "  δ1 = ∂l/∂s1 = [0.027]\n"
    "  δ0 = ∂l/∂s0 = [0.014, … (2 in all)]\n"
    "\n"
    "L = mean loss 0.130712 + penalty 1.900000 = 2.030712\n"
    "∂L/∂W0 =\n"
    "[[0.228 0.492]\n"
    " [0.2   0.3  ]]\n"
    "∂L/∂b0 = [-0.065  0.091]\n"
    "∂L/∂W1 =\n"
    "[[-0.052]\n"
    " [-0.037]]\n"
    "∂L/∂b1 = [-0.06]"
)
TRACE_MARKDOWN = (
    "| x | h0[0] | h0[1] | y | target | loss (squared) |\n"
    "|---|---|---|---|---|---|\n"
    "| (1, 0) | σ(1.00) = 0.73 | σ(0.00) = 0.50 | σ(-0.84) = 0.30 | one | 0.24 |\n"
    "| (0, 0) | σ(-2.00) = 0.12 | σ(-4.00) = 0.02 | σ(-1.49) = 0.18 | zero | 0.02 |\n"
    "\n"
    "| x | δ0 = ∂l/∂s0 | δ1 = ∂l/∂s1 |\n"
    "|---|---|---|\n"
    "| (1, 0) | [-0.14, 0.18] | [-0.15] |\n"
    "| (0, 0) | [0.01, -0.00] | [0.03] |\n"
    "\n"
    "L = mean loss 0.13071 + penalty 1.90000 = 2.03071\n"
    "\n"
    "```\n"
    "∂L/∂W0 =\n"
    "[[0.23 0.49]\n"
    " [0.2  0.3 ]]\n"
    "∂L/∂b0 = [-0.07  0.09]\n"
    "∂L/∂W1 =\n"
    "[[-0.05]\n"
    " [-0.04]]\n"
    "∂L/∂b1 = [-0.06]\n"
    "```"
)


def test_the_trace_renders_exactly_as_shown():
    tr = mlpkit.trace(
        _chapter_one_net(), np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([1.0, 0.0]), loss="squared"
    )
    tr.target_labels = ["one", "zero"]
    assert tr.to_text(digits=3, max_units=1, max_inputs=1) == "".join(TRACE_TEXT)
    assert tr.to_lines(digits=3, max_units=1, max_inputs=1) == "".join(TRACE_LINES)
    assert tr.to_markdown(digits=2, max_units=2) == "".join(TRACE_MARKDOWN)
    tr.target_labels = None  # targets as numbers; every input and unit shown by default
    text = tr.to_text()
    assert "(1, 0)  σ(1.000) = 0.731   σ(0.000) = 0.500" in text and "  1       0.245" in text
    assert "…" not in text and str(tr) == text
    assert tr.to_lines().splitlines()[2] == "  x   = [1.000, 0.000]"


def test_the_trace_of_one_example_given_flat_and_its_dtype(rng):
    net = _chapter_one_net()
    one = mlpkit.trace(net, np.array([1.0, 0.0]), 1.0, loss="squared")
    both = mlpkit.trace(net, np.array([[1.0, 0.0]]), np.array([1.0]), loss="squared")
    assert one.x.shape == (1, 2) and one.loss == pytest.approx(both.loss)
    for a, b in zip(one.gradients(), both.gradients(), strict=True):
        np.testing.assert_array_equal(a, b)
    wide = make_mlp([3, 4, 2], hidden="tanh", dtype="float64", seed=1)
    t = mlpkit.trace(
        wide, rng.normal(size=3), np.array([0.5, -0.5]), loss="mse"
    )  # a (2,) target row
    assert t.target.shape == (1, 2) and t.output.shape == (1, 2)
    small = make_mlp([3, 4, 2], hidden="tanh", dtype="float32", seed=1)
    assert (
        mlpkit.trace(small, rng.normal(size=(2, 3)), rng.normal(size=(2, 2)), loss="mse").x.dtype
        == np.float32
    )


def test_the_trace_through_batchnorm_bias_penalties_no_bias_and_a_standalone_output(rng):
    net = mlpkit.Sequential(
        [mlpkit.Dense(3, 4, bias=False), mlpkit.BatchNorm(4), mlpkit.layers.activation_layer("relu"),
         mlpkit.Dense(4, 2, bias_regularizer=mlpkit.L1(0.2)), mlpkit.Softmax()],
        seed=3, dtype="float64",
    )  # fmt: skip
    x, y = rng.normal(size=(5, 3)), rng.integers(0, 2, 5)
    net.fit(x, y, epochs=2, verbose=0)  # BatchNorm gets running statistics
    tr = mlpkit.trace(net, x, y)
    net.loss_and_gradients(
        x, net.head(None).prepare_targets(y, 2, net.dtype, 5), net.head(None), training=False
    )
    for a, b in zip(tr.gradients(), net.gradients(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    bn = tr.layers[1]
    assert bn.label == "BatchNorm" and bn.param_symbols == ("γ", "β") and bn.s is None
    assert "∂L/∂γ1" in tr.to_text() and "∂L/∂β1" in tr.to_text()
    np.testing.assert_allclose(tr.layers[0].s, x @ net.layers[0].W)  # no bias added
    np.testing.assert_allclose(tr.output, net.predict(x), rtol=1e-12)
    assert tr.loss == pytest.approx(net.evaluate(x, y)["loss"], rel=1e-12)


def test_an_output_heads_repr_says_whether_it_is_fused():
    softmax, tanh = mlpkit.activations.get("softmax"), mlpkit.activations.get("tanh")
    assert (
        repr(mlpkit.heads.OutputHead(softmax, "cross_entropy"))
        == "OutputHead(Softmax(), CrossEntropy(), fused)"
    )
    assert (
        repr(mlpkit.heads.OutputHead(tanh, "mse"))
        == "OutputHead(Tanh(), MeanSquaredError(), composed)"
    )
    unfused = mlpkit.heads.OutputHead(softmax, "cross_entropy", fused=False)
    assert repr(unfused) == "OutputHead(Softmax(), CrossEntropy(), composed)"


def test_poisson_deviance_on_rates_zeros_and_bad_targets():
    loss = L.PoissonDeviance()
    p = np.array([[0.5, 2.0], [1.5, 0.25]])
    t = np.array([[0.5, 0.0], [2.5, 1.0]])  # fractional rates too, not only counts
    tlogt = np.where(t > 0, t * np.log(np.where(t > 0, t, 1.0)), 0.0)
    direct = np.sum(tlogt - t * np.log(p) - t + p, axis=1)
    np.testing.assert_allclose(loss.per_sample(p, t), direct, rtol=1e-12)
    np.testing.assert_allclose(loss.gradient(p, t), (1 - t / p) / 2, rtol=1e-12)
    assert loss.per_sample(t + (t == 0), t + (t == 0)) == pytest.approx(
        [0.0, 0.0]
    )  # zero where ŷ = t
    for dtype in (np.float32, np.float64):  # a rate of exactly 0 stays finite in either precision
        zero = np.zeros((1, 2), dtype=dtype)
        assert np.isfinite(loss(zero, [[1.0, 0.0]])) and np.all(
            np.isfinite(loss.gradient(zero, [[1.0, 0.0]]))
        )
    with pytest.raises(
        ValueError, match=r"^poisson targets must be >= 0 \(counts, rates or frequencies\)$"
    ):
        loss(p, -t)
    with pytest.raises(ValueError, match=r"^targets have 1 rows but there are 2 samples$"):
        loss.per_sample(p, t[:1])


def test_early_stopping_defaults_ties_and_what_it_says(capsys):
    stop = C.EarlyStopping(verbose=0)  # Keras's defaults: patience 0, no restoring
    assert stop.stopped_epoch is None and stop.best_epoch is None
    model, ran = drive(stop, [1.0, 1.0, 0.5])
    assert ran == 2 and model.restored is None  # a tie is no improvement: stop at once
    stop = C.EarlyStopping("val_accuracy", patience=0, verbose=0)
    assert drive(stop, [0.5, 0.5, 0.9], key="val_accuracy")[1] == 2  # nor when maximising
    stop = C.EarlyStopping("val_accuracy", patience=1, min_delta=0.1, verbose=0)
    _, ran = drive(stop, [0.5, 0.55, 0.58], key="val_accuracy")
    assert ran == 2 and stop.best_epoch == 0  # +0.05 is not the 0.1 asked for
    capsys.readouterr()
    drive(C.EarlyStopping(patience=5), [1.0, 0.9, 0.8])  # never stopped: nothing to say
    assert capsys.readouterr().err == ""
    drive(C.EarlyStopping(patience=1), [0.5, 0.6])
    said = capsys.readouterr().err
    assert said.startswith("EarlyStopping: stopped after epoch 2") and "restored" not in said
    with pytest.raises(ValueError) as raised:
        drive(C.EarlyStopping("loss"), [0.5], key="val_loss")
    assert (
        str(raised.value)
        == "EarlyStopping monitors 'loss' but the epoch logs only have ['val_loss']"
    )
    with pytest.raises(ValueError) as raised:
        drive(C.EarlyStopping(), [0.5], key="loss")
    assert str(raised.value) == (
        "EarlyStopping monitors 'val_loss' but the epoch logs only have ['loss'] — pass "
        "validation_data or validation_split to fit, or monitor 'loss'"
    )


# -- targets, weights and settings the losses check -------------------------------------------
def _raises(message, call, *args, **kwargs):
    with pytest.raises(ValueError) as raised:
        call(*args, **kwargs)
    assert str(raised.value) == message


def test_targets_are_read_checked_and_brought_to_the_predictions_dtype():
    mse, bce, ce = L.get("mse"), L.BinaryCrossEntropy(), L.CrossEntropy()
    assert mse.prepare_targets([1, 2], 1, np.float32).dtype == np.float32
    assert mse.prepare_targets([1, 2], 1, np.float32).shape == (2, 1)
    _raises("targets must be numeric; got dtype <U1", mse, np.zeros((1, 1)), [["a"]])
    with pytest.raises(ValueError, match=r"^targets could not be read as a numeric array: "):
        mse(np.zeros((2, 2)), [[1.0, 2.0], [3.0]])
    _raises(
        "targets contain a non-finite value nan at index (1, 0)",
        mse,
        np.zeros((2, 2)),
        [[0.0, 1.0], [np.nan, np.inf]],
    )
    _raises(
        "mse targets must have shape (N, 2) to match the 2 output unit(s); got (2,)",
        mse,
        np.zeros((2, 2)),
        [1.0, 2.0],
    )
    assert bce(np.full((2, 1), 0.5), np.array([[True], [False]])) == pytest.approx(
        np.log(2)
    )  # booleans are 0/1
    _raises(
        "binary_cross_entropy targets must lie in [0, 1] (use 0/1 labels)",
        bce,
        np.full((1, 1), 0.5),
        [[-0.5]],
    )
    _raises(
        "binary_cross_entropy targets must lie in [0, 1] (use 0/1 labels)",
        bce,
        np.full((1, 1), 0.5),
        [[1.5]],
    )
    _raises(
        "targets have 1 rows but there are 2 samples", bce.per_sample, np.full((2, 1), 0.5), [[1.0]]
    )
    p = np.array([[0.2, 0.8], [0.6, 0.4]])
    assert (
        ce(p, np.array([[1], [0]]))
        == pytest.approx(ce(p, [1, 0]))
        == pytest.approx(-np.log([0.8, 0.6]).mean())
    )
    assert ce(p, np.eye(2)[[1, 0]]) == pytest.approx(ce(p, [1, 0]))  # one-hot rows
    assert ce.prepare_targets(np.array([[1.0], [0.0]]), 2, np.float64).tolist() == [1, 0]
    _raises("cross_entropy labels must be whole numbers (class indices)", ce, p, [0.5, 1.0])
    _raises("targets have 3 rows but there are 2 samples", ce, p, [0, 1, 1])
    _raises("targets contain a non-finite value nan at index (1,)", ce, p, [0.0, np.nan])
    _raises("label 2 at row 1 is outside 0..1 (the output layer has 2 units)", ce, p, [1, 2])
    _raises(
        "cross_entropy targets must be labels (N,) or one-hot rows (N, 2); got shape (2, 3)",
        ce,
        p,
        np.zeros((2, 3)),
    )
    _raises("targets must be numeric; got dtype <U1", ce, p, ["a", "b"])
    assert ce.prepare_targets(np.eye(2), 2, np.float32).dtype == np.float32
    _raises("targets have 1 rows but there are 2 samples", ce, p, np.eye(2)[:1])


def test_sample_weights_are_checked_and_kept_in_the_predictions_dtype():
    w = L.as_sample_weights([[1.0], [2.0]], 2, np.float32)
    assert w.dtype == np.float32 and w.shape == (2,)
    assert L.as_sample_weights(None, 2, np.float64) is None
    for bad in ([1.0, -1.0], [1.0, np.inf], [np.nan, 1.0]):
        _raises(
            "sample_weight must be finite and non-negative", L.as_sample_weights, bad, 2, np.float64
        )
    _raises(
        "sample_weight has 3 entries but there are 2 samples",
        L.as_sample_weights,
        [1, 2, 3],
        2,
        np.float64,
    )
    assert (
        L.get("mse").gradient(np.zeros((2, 1), np.float32), np.ones((2, 1)), [1.0, 3.0]).dtype
        == np.float32
    )


def test_each_losss_settings_and_their_effect():
    assert L.BinaryCrossEntropy(sum_outputs=True).get_config() == {"sum_outputs": True}
    assert L.BinaryCrossEntropy(from_logits=True).get_config() == {"from_logits": True}
    assert L.BinaryCrossEntropy().get_config() == {} and L.CrossEntropy(
        from_logits=True
    ).get_config() == {"from_logits": True}
    assert L.Huber(0.3).get_config() == {"delta": 0.3} and L.get("mse").get_config() == {}
    p, t = np.array([[0.2, 0.9], [0.6, 0.5]]), np.array([[0.0, 1.0], [1.0, 1.0]])
    per = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    np.testing.assert_allclose(
        L.BinaryCrossEntropy(sum_outputs=True).per_sample(p, t), per.sum(axis=1)
    )
    np.testing.assert_allclose(L.BinaryCrossEntropy().per_sample(p, t), per.mean(axis=1))
    for dtype in (
        np.float32,
        np.float64,
    ):  # a probability of exactly 0: clipped at the dtype's epsilon
        eps = np.finfo(dtype).eps
        zero = np.array([[0.0, 1.0]], dtype=dtype)
        assert L.CrossEntropy()(zero, [0]) == pytest.approx(-np.log(eps), rel=1e-6)
        np.testing.assert_allclose(
            L.CrossEntropy().gradient(zero, [0]), [[-1 / eps, 0.0]], rtol=1e-6
        )


def test_a_one_output_loss_names_a_two_column_target():
    message = "mse targets must have shape (N, 1) to match the 1 output unit(s); got (2, 2)"
    _raises(message, L.get("mse"), np.zeros((2, 1)), np.ones((2, 2)))


def test_the_traces_layout_follows_the_network_and_the_options(rng):
    net = mlpkit.Sequential([mlpkit.Dense(2, 1, "tanh"), mlpkit.Dense(1, 9, "relu"),
                             mlpkit.Dense(9, 2, "softmax")], seed=0, dtype="float64")  # fmt: skip
    x = rng.normal(size=(3, 2))  # three examples of two inputs: rows are examples, not inputs
    tr = mlpkit.trace(net, x, np.array([0, 1, 1]))
    forward = [line for line in tr.to_text().split("backward:")[0].splitlines() if line]
    assert forward[1].split()[:4] == [
        "x",
        "h0[0]",
        "h1[0]",
        "h1[1]",
    ]  # a 1-unit hidden layer is h0[0]
    header = forward[1].split()
    assert (
        header[-5:] == ["y[0]", "y[1]", "target", "loss", "(cross_entropy)"] and header[-6] == "…"
    )
    assert header[-7] == "h1[7]"  # 8 of the 9 units by default, then …
    assert len(forward) == 2 + 1 + 3  # title, header, rule, one row per example
    assert len(tr.to_text().split("backward:")[1].split("\n\n")[0].splitlines()) == 2 + 1 + 3
    assert tr.to_lines().count("example ") == 3 and "example 2" in tr.to_lines()
    assert tr.to_lines().count("… (9 in all)") == 2 * 3 + 3  # s1, h1 forward and δ1, per example
    md = tr.to_markdown()
    assert md.count("| … |") == 1 + 3 and "h1[7] | … | y[0]" in md and "σ" not in md  # header, rows
    assert "mean loss L = " in tr.to_text() and f"mean loss L = {tr.loss:.6f}" in tr.to_text()
    assert f"Mean loss L = {tr.loss:.6f}" in md
    two = mlpkit.trace(
        make_mlp([2, 3, 2], dtype="float64"), x[:1], np.array([[0.5, -0.5]]), loss="mse"
    )
    assert "0.5, -0.5" in two.to_text() and "target 0.5, -0.5;" in two.to_lines()
    with pytest.raises(ValueError, match="^targets have 2 rows but there are 3 samples$"):
        mlpkit.trace(net, x, np.array([0, 1]))


def test_wide_gradients_are_shown_by_their_corners(rng):
    net = make_mlp([30, 20, 2], hidden="tanh", dtype="float64", seed=0)
    tr = mlpkit.trace(net, rng.normal(size=(2, 30)), rng.normal(size=(2, 2)), loss="mse")

    def first_matrix(text):
        block = text.split("∂L/∂W0 =\n", 1)[1].split("\n∂L/∂b0", 1)[0]
        return block.splitlines()

    rows = first_matrix(tr.to_text())  # 30 x 20 = 600 entries: 3 rows and columns each side
    assert len(rows) == 3 + 1 + 3 and rows[3].strip() == "..."
    assert len(rows[0].replace("[", "").replace("]", "").split()) == 3 + 1 + 3
    rows = first_matrix(tr.to_text(max_inputs=4))  # 2 each side for 4 inputs shown
    assert (
        len(rows) == 2 + 1 + 2
        and len(rows[0].replace("[", "").replace("]", "").split()) == 2 + 1 + 2
    )
    assert (
        len(first_matrix(tr.to_lines(max_inputs=4))) == 5
        and len(first_matrix(tr.to_markdown(max_inputs=4))) == 5
    )
    assert all(len(r) <= 100 for r in first_matrix(tr.to_text()))
    assert "e-0" not in "\n".join(first_matrix(tr.to_text()))  # fixed point, not scientific
    small = mlpkit.trace(
        make_mlp([3, 4, 2], dtype="float64"),
        rng.normal(size=(1, 3)),
        rng.normal(size=(1, 2)),
        loss="mse",
    )
    assert len(first_matrix(small.to_text())) == 3  # a small matrix is shown whole


def test_a_network_ending_in_batchnorm_traces_like_its_own_backward(rng):
    net = mlpkit.Sequential([mlpkit.Dense(3, 2), mlpkit.BatchNorm(2)], seed=1, dtype="float64")
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    net.fit(x, y, loss="mse", epochs=2, verbose=0)
    tr = mlpkit.trace(net, x, y, loss="mse")
    net.loss_and_gradients(x, y, net.head("mse"), training=False)
    for a, b in zip(tr.gradients(), net.gradients(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tr.output, net.predict(x), rtol=1e-12)
    assert tr.layers[1].s is None and tr.layers[1].delta.shape == (6, 2)
    text = tr.to_text()
    assert "∂L/∂γ1 = [" in text and "∂L/∂β1 = [" in text  # 1-D: on the line of its name
    assert tr.target.dtype == net.dtype and tr.losses.dtype == net.dtype


def test_gradcheck_options_and_what_it_reports(rng):
    from mlpkit.gradcheck import _rel

    assert _rel(np.empty(0), np.empty(0)) == (0.0, 0.0) and _rel(np.zeros(3), np.zeros(3)) == (
        0.0,
        0.0,
    )
    assert _rel(np.array([0.5]), np.array([0.4])) == pytest.approx(
        (0.2, 0.1)
    )  # relative to the larger
    assert _rel(np.array([4.0]), np.array([2.0])) == pytest.approx((0.5, 2.0))
    net = mlpkit.Sequential(
        [mlpkit.Dense(3, 4, "tanh", regularizer=mlpkit.L2(0.3)), mlpkit.Dense(4, 2)], seed=0
    )
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    report = mlpkit.gradcheck(net, x, y, loss="mse")
    assert report.names == ["layer0.W", "layer0.b", "layer1.W", "layer1.b", "input X"]
    assert report.layers == [repr(net.layers[0])] * 2 + [repr(net.layers[1])] * 2
    assert report.checked == [12, 4, 8, 2, 15] and report.passed
    sub = mlpkit.gradcheck(net, x, y, loss="mse", max_entries=3)
    assert sub.checked == [3, 3, 3, 2, 3]  # a seeded subset of each larger array
    again = mlpkit.gradcheck(net, x, y, loss="mse", max_entries=3, seed=0)
    assert again.max_rel_error == sub.max_rel_error and again.max_abs_error == sub.max_abs_error
    other = mlpkit.gradcheck(net, x, y, loss="mse", max_entries=3, seed=7)
    assert other.max_abs_error != sub.max_abs_error
    assert (
        mlpkit.gradcheck(net, np.asfortranarray(x), y, loss="mse").max_rel_error
        == report.max_rel_error
    )
    scipy_sparse = pytest.importorskip("scipy.sparse")
    assert mlpkit.gradcheck(net, scipy_sparse.csr_matrix(x), y, loss="mse").passed
    with pytest.raises(ValueError, match="^targets have 4 rows but there are 5 samples$"):
        mlpkit.gradcheck(net, x, y[:4], loss="mse")


def test_gradcheck_in_training_mode_and_its_default(rng):
    bn = mlpkit.Sequential([mlpkit.Dense(3, 4, bias=False, regularizer=mlpkit.L2(0.2)), mlpkit.BatchNorm(4),
                            mlpkit.layers.activation_layer("tanh"), mlpkit.Dense(4, 2)], seed=0)  # fmt: skip
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    assert mlpkit.gradcheck(
        bn, x, y, loss="mse", training=True
    ).passed  # through the batch statistics
    assert mlpkit.gradcheck(bn, x, y, loss="mse").passed  # default: inference, running statistics
    dropped = mlpkit.Sequential(
        [mlpkit.Dense(3, 4, "tanh"), mlpkit.Dropout(0.5), mlpkit.Dense(4, 2)], seed=0
    )
    assert mlpkit.gradcheck(dropped, x, y, loss="mse").passed  # by default dropout is off
    message = ("gradcheck(training=True) needs a model without active Dropout or GaussianNoise: "
               "their random draws differ between evaluations")  # fmt: skip
    for random_layer in (mlpkit.Dropout(0.5), mlpkit.layers.GaussianNoise(0.1)):
        net = mlpkit.Sequential(
            [mlpkit.Dense(3, 4, "tanh"), random_layer, mlpkit.Dense(4, 2)], seed=0
        )
        _raises(message, mlpkit.gradcheck, net, x, y, loss="mse", training=True)
    quiet = mlpkit.Sequential(
        [mlpkit.Dense(3, 4, "tanh"), mlpkit.Dropout(0.0), mlpkit.Dense(4, 2)], seed=0
    )
    assert mlpkit.gradcheck(quiet, x, y, loss="mse", training=True).passed  # rate 0 draws nothing


def test_gradcheck_uses_the_fused_head_by_default(rng, monkeypatch):
    net = make_mlp([3, 4, 3], hidden="tanh", output="softmax", seed=1)
    x, y = rng.normal(size=(5, 3)), rng.integers(0, 3, 5)
    monkeypatch.setattr(mlpkit.activations.Softmax, "vjp", lambda self, z, a, da: da * a)
    assert mlpkit.gradcheck(net, x, y).passed  # as training: the fused (ŷ − y)/N never calls vjp


def test_the_gradcheck_report_names_the_last_failing_array_in_backward_order():
    from mlpkit.gradcheck import GradcheckReport

    report = GradcheckReport(
        names=["layer0.W", "layer0.b", "layer1.W", "input X"], max_rel_error=[1e-2, 1e-2, 1e-2, 1e-9],
        max_abs_error=[1e-3, 1e-3, 1e-3, 1e-12], tolerance=1e-6, checked=[4, 2, 2, 6],
        layers=["Dense(2, 2)", "Dense(2, 2)", "Dense(2, 1)"],
    )  # fmt: skip
    lines = str(report).splitlines()
    assert lines[0].startswith("array     entries") and lines[4].startswith("input X         6")
    assert lines[-1].startswith(
        "the error enters at layer1.W, in Dense(2, 1) (arrays of the layers"
    )


def test_early_stopping_without_restoring_says_no_more(capsys):
    drive(C.EarlyStopping(patience=1), [0.5, 0.6])
    assert capsys.readouterr().err == (
        "EarlyStopping: stopped after epoch 2: val_loss has not improved on 0.5 (epoch 1) for 1 epoch(s)\n"
    )


def test_an_output_head_keeps_the_dtype_weights_and_the_chain_rule(rng):
    softplus = mlpkit.activations.get("softplus")
    head = mlpkit.heads.OutputHead(softplus, "mse")
    assert not head.fused and head.prepare_targets([1.0, 2.0], 1, np.float32, 2).dtype == np.float32
    z, t, w = rng.normal(size=(4, 2)), rng.normal(size=(4, 2)), rng.uniform(0.5, 2, 4)
    y = np.logaddexp(0, z)
    value, grad = head.value_and_grad(z.copy(), t, w)
    direct = np.sum(w * np.mean((y - t) ** 2, axis=1)) / 4
    assert value == pytest.approx(direct) and head.value(z, t, w) == pytest.approx(direct)
    sigmoid = 1 / (1 + np.exp(-z))  # softplus' = sigmoid, a function of z itself
    np.testing.assert_allclose(grad, (2 * (y - t) / 2) * w[:, None] / 4 * sigmoid, rtol=1e-10)


def test_regularizer_defaults_gradients_and_refusals(rng):
    w = rng.normal(size=(3, 2))
    assert mlpkit.L2().alpha == 1e-4 and mlpkit.L1().alpha == 1e-4
    both = mlpkit.L1L2(l1=0.3, l2=0.7)
    np.testing.assert_allclose(both.gradient(w), 0.3 * np.sign(w) + 0.7 * w)
    for cls in (mlpkit.L1, mlpkit.L2):
        _raises(f"{cls.__name__} alpha must be >= 0, got -1.0", cls, -1.0)


def test_the_trace_records_pass_through_and_normalisation_layers(rng):
    net = mlpkit.Sequential([mlpkit.Dense(3, 4, "gelu"), mlpkit.Dropout(0.3), mlpkit.BatchNorm(4, affine=False),
                             mlpkit.Dense(4, 2, "softplus")], seed=2, dtype="float32")  # fmt: skip
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    net.fit(x, y, loss="mse", epochs=1, verbose=0)
    tr = mlpkit.trace(net, x, y, loss="mse")
    drop, norm = tr.layers[1], tr.layers[2]
    assert (drop.index, drop.symbol, drop.label) == (1, "", "Dropout") and drop.dW is None
    assert (norm.index, norm.symbol, norm.dW, norm.db) == (
        2,
        "",
        None,
        None,
    )  # no γ, β without affine
    # the BatchNorm without γ, β is no pass-through: its backward scales δ (trace once took it for one)
    assert tr.target.dtype == np.float32 and tr.x.dtype == np.float32
    net.loss_and_gradients(
        x.astype(np.float32), y.astype(np.float32), net.head("mse"), training=False
    )
    for a, b in zip(
        tr.gradients(), net.gradients(), strict=True
    ):  # gelu's and softplus' derivatives need z
        np.testing.assert_allclose(a, b, rtol=2e-4, atol=1e-6)


def test_the_traces_numbers_print_fixed_point_within_the_line_and_summarised_past_400():
    tr = mlpkit.trace(
        make_mlp([2, 3, 1], dtype="float64"), np.zeros((1, 2)), np.zeros(1), loss="mse"
    )
    layer = tr.layers[0]
    layer.dW = np.array([[1e-6, 1.0, -0.5, 0.25, 2.0, -3.0, 0.125, 4.0, 5.0, -6.0, 7.0, -8.0]] * 3)
    lines = tr._gradient_lines(3)
    block = lines[0].split("=\n", 1)[1].splitlines()
    assert len(block) == 3 and all(
        len(line) <= 100 for line in block
    )  # a row of 12 fits in 100 columns
    assert "e-06" not in lines[0] and " 0. " in block[0]  # small numbers in fixed point
    layer.dW = np.zeros((401, 1))
    assert (
        len(tr._gradient_lines(3)[0].split("=\n", 1)[1].splitlines()) == 3 + 1 + 3
    )  # over 400 entries
    layer.dW = np.zeros((400, 1))
    assert len(tr._gradient_lines(3)[0].split("=\n", 1)[1].splitlines()) == 400
    layer.dW = np.zeros((30, 20))
    assert len(tr._gradient_lines(3, max_inputs=2)[0].split("=\n", 1)[1].splitlines()) == 1 + 1 + 1


def test_a_one_example_trace_and_the_markdown_defaults():
    net = _chapter_one_net()
    one = mlpkit.trace(mlpkit.Sequential([mlpkit.Dense(2, 2, "sigmoid"), mlpkit.Dense(2, 1, "sigmoid")],
                                         dtype="float64"), np.array([1.0, 0.0]), 1.0, loss="squared")  # fmt: skip
    assert one.to_lines().startswith("forward:\n") and "example" not in one.to_lines()
    loss_line = next(line for line in one.to_text().splitlines() if line.startswith("mean loss L"))
    assert loss_line == f"mean loss L = {one.loss:.6f}"
    tr = mlpkit.trace(net, np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([1.0, 0.0]), loss="squared")
    md = tr.to_markdown()
    assert "σ(1.000) = 0.731" in md and "| (1, 0) |" in md
    assert (
        "| (1, …) |" in tr.to_markdown(max_inputs=1)
        and tr.to_markdown(max_inputs=1).count("(1, …)") == 2
    )


def test_output_heads_and_poisson_keep_the_predictions_dtype(rng):
    gelu = mlpkit.heads.OutputHead(mlpkit.activations.get("gelu"), "mse")
    z, t = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    eps, numeric = 1e-6, np.zeros_like(z)
    for idx in np.ndindex(z.shape):
        step = np.zeros_like(z)
        step[idx] = eps
        numeric[idx] = (gelu.value(z + step, t) - gelu.value(z - step, t)) / (2 * eps)
    np.testing.assert_allclose(
        gelu.value_and_grad(z.copy(), t)[1], numeric, rtol=1e-6, atol=1e-9
    )  # needs z
    poisson = L.PoissonDeviance()
    p = np.array([[0.0, 2.0]], dtype=np.float32)
    assert poisson.gradient(p, [[1.0, 2.0]]).dtype == np.float32
    assert poisson.per_sample(p, [[1.0, 2.0]]).dtype == np.float32
    assert poisson.prepare_targets([[1, 2]], 2, np.float32).dtype == np.float32
    single = L.CrossEntropy()  # one output with probability rows: not read as labels
    assert single(np.array([[0.5], [0.25]]), np.array([[0.5], [1.0]])) == pytest.approx(
        -(0.5 * np.log(0.5) + np.log(0.25)) / 2
    )


def test_a_dropout_record_carries_the_gradient_through(rng):
    net = mlpkit.Sequential(
        [mlpkit.Dense(3, 4, "tanh"), mlpkit.Dropout(0.5), mlpkit.Dense(4, 2)],
        seed=0,
        dtype="float64",
    )
    tr = mlpkit.trace(net, rng.normal(size=(2, 3)), rng.normal(size=(2, 2)), loss="mse")
    np.testing.assert_allclose(
        tr.layers[1].delta, tr.layers[2].delta @ net.layers[2].W.T, rtol=1e-12
    )
