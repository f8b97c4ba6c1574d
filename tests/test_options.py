"""Every option a user can set, tested by its effect (not its presence), and every number
a user reads checked against a computation made here: callback modes and limits driven
by scripted epoch logs, History's metrics and losses, the losses' saved settings, trace
and gradcheck options, autoencoder validation, figures by their data."""

from __future__ import annotations

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
