"""BatchNorm and LayerNorm: PyTorch's semantics in training and inference, exact
gradients, and a life in the model (save/load/resume, ONNX, trace, summary, wrappers)."""

from __future__ import annotations

import numpy as np
import pytest

import mlpkit
from mlpkit import BatchNorm, Dense, LayerNorm

from .conftest import require

SHAPES = [(2, 1), (3, 4), (8, 5), (17, 3)]


def _torch():
    return require("torch", "pip install torch==2.13.0 (CPU)")


def _same_random_affine(torch, ours, theirs, rng):
    """The same random γ, β in our layer and in PyTorch's (its weight and bias)."""
    gamma, beta = rng.uniform(0.5, 2, ours.num_features), rng.normal(size=ours.num_features)
    ours.gamma[...], ours.beta[...] = gamma, beta
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(gamma))
        theirs.bias.copy_(torch.tensor(beta))


def _layer_check(layer, x, training, rng):
    """Finite differences of L = Σ R ⊙ layer(x) against backward, for x, γ and β."""
    r = rng.normal(size=x.shape)

    def value():
        return float(np.sum(r * layer.forward(x, training=training)))

    layer.forward(x, training=training)
    dx = layer.backward(r.copy())
    analytic = [dx, *[g.copy() for g in layer.gradients()]]
    arrays = [x, *layer.parameters()]
    if isinstance(layer, BatchNorm):  # training forward moves the running estimates
        saved = (layer.running_mean.copy(), layer.running_var.copy())
    for arr, grad in zip(arrays, analytic, strict=True):
        flat, numeric = arr.reshape(-1), np.zeros(arr.size)
        for j in range(arr.size):
            old = flat[j]
            flat[j] = old + 1e-6
            up = value()
            flat[j] = old - 1e-6
            down = value()
            flat[j] = old
            numeric[j] = (up - down) / 2e-6
        # relative to the array's gradient scale; a floor of 1e-3 for the degenerate
        # (2, 1) batch, where x̂ = ±1 whatever x is and dL/dx is only eps's ~1e-7 effect
        scale = max(np.abs(numeric).max(), 1e-3)
        assert np.abs(grad.reshape(-1) - numeric).max() / scale < 1e-6
    if isinstance(layer, BatchNorm):
        layer.running_mean[...], layer.running_var[...] = saved


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", ["batch_train", "batch_eval", "layer"])
@pytest.mark.parametrize("affine", [True, False])
def test_gradients_are_the_finite_differences(shape, kind, affine, rng):
    d = shape[1]  # every n >= 2: one row cannot be normalised in training (tested below)
    layer = (LayerNorm if kind == "layer" else BatchNorm)(d, affine=affine)
    layer.build(d, rng, np.dtype("float64"))
    if affine:
        layer.gamma[...] = rng.uniform(0.5, 2.0, d)
        layer.beta[...] = rng.normal(size=d)
    if isinstance(layer, BatchNorm):
        layer.running_mean[...] = rng.normal(size=d)
        layer.running_var[...] = rng.uniform(0.5, 2.0, d)
    x = rng.normal(size=shape) * 3 + 1
    _layer_check(layer, x, kind == "batch_train", rng)


def test_model_gradcheck_in_training_and_inference_mode(rng):
    net = mlpkit.Sequential(
        [Dense(3, 6, None, bias=False), BatchNorm(6), mlpkit.Tanh(), Dense(6, 5, "relu"),
         LayerNorm(5), Dense(5, 2, "softmax")],
        seed=3,
        dtype="float64",
    )  # fmt: skip
    x, y = rng.normal(size=(7, 3)), rng.integers(0, 2, 7)
    net.fit(x, y, epochs=2, batch_size=7, verbose=0)  # running statistics away from 0 and 1
    for training in (True, False):
        report = mlpkit.gradcheck(net, x, y, training=training)
        assert report.passed, str(report)


@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm_matches_pytorch_in_both_modes(affine, rng):
    torch = _torch()
    d = 4
    ours = BatchNorm(d, momentum=0.3, eps=1e-3, affine=affine)
    ours.build(d, rng, np.dtype("float64"))
    theirs = torch.nn.BatchNorm1d(d, momentum=0.3, eps=1e-3, affine=affine).double()
    if affine:
        _same_random_affine(torch, ours, theirs, rng)
    for step in range(3):  # training: batch statistics, running estimates moved
        x, dy = rng.normal(size=(6, d)) * 2 + step, rng.normal(size=(6, d))
        tx = torch.tensor(x, requires_grad=True)
        out = theirs.train()(tx)
        out.backward(torch.tensor(dy))
        np.testing.assert_allclose(ours.forward(x, training=True), out.detach().numpy(), atol=1e-10)
        np.testing.assert_allclose(ours.backward(dy), tx.grad.numpy(), atol=1e-10)
        if affine:
            np.testing.assert_allclose(ours.dgamma, theirs.weight.grad.numpy(), atol=1e-10)
            np.testing.assert_allclose(ours.dbeta, theirs.bias.grad.numpy(), atol=1e-10)
            theirs.zero_grad()
        np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(), atol=1e-12)
        np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(), atol=1e-12)
    x, dy = rng.normal(size=(1, d)), rng.normal(size=(1, d))  # inference takes one row
    tx = torch.tensor(x, requires_grad=True)
    out = theirs.eval()(tx)
    out.backward(torch.tensor(dy))
    np.testing.assert_allclose(ours.forward(x, training=False), out.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(ours.call(x), out.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(ours.backward(dy), tx.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("affine", [True, False])
def test_layernorm_matches_pytorch(affine, rng):
    torch = _torch()
    d = 5
    ours = LayerNorm(d, eps=1e-4, affine=affine)
    ours.build(d, rng, np.dtype("float64"))
    theirs = torch.nn.LayerNorm(d, eps=1e-4, elementwise_affine=affine).double()
    if affine:
        _same_random_affine(torch, ours, theirs, rng)
    x, dy = rng.normal(size=(7, d)) * 3, rng.normal(size=(7, d))
    tx = torch.tensor(x, requires_grad=True)
    out = theirs(tx)
    out.backward(torch.tensor(dy))
    for training in (True, False):
        np.testing.assert_allclose(ours.forward(x, training), out.detach().numpy(), atol=1e-10)
        np.testing.assert_allclose(ours.backward(dy), tx.grad.numpy(), atol=1e-10)
    if affine:
        np.testing.assert_allclose(ours.dgamma, theirs.weight.grad.numpy(), atol=1e-10)
        np.testing.assert_allclose(ours.dbeta, theirs.bias.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ours.call(x), out.detach().numpy(), atol=1e-10)


def test_train_and_eval_modes_decide_which_statistics(rng):
    net = mlpkit.Sequential([Dense(3, 4), BatchNorm(4), Dense(4, 1)], seed=0, dtype="float64")
    x = rng.normal(size=(10, 3)) * 5 + 2
    inference = net.forward(x)  # default: eval, running statistics (0 and 1 at first)
    np.testing.assert_allclose(inference, net.predict(x))
    trained = net.train().forward(x)  # batch statistics: a different output
    assert not np.allclose(trained, inference)
    np.testing.assert_allclose(net.forward(x, training=True), trained)  # explicit flag
    assert net.eval().training is False
    np.testing.assert_allclose(net.forward(x), net.predict(x))
    assert net.layers[1].running_mean.any()  # the two training passes moved them


def test_a_batch_of_one_row_is_refused_in_training_with_the_reason(rng):
    layer = BatchNorm(3)
    layer.build(3, rng, np.dtype("float32"))
    with pytest.raises(ValueError, match="batch of one row in training: its variance is 0"):
        layer.forward(np.ones((1, 3), np.float32), training=True)
    net = mlpkit.Sequential([Dense(2, 3), BatchNorm(3), Dense(3, 1)], seed=0)
    x, y = rng.normal(size=(9, 2)), rng.normal(size=9)
    with pytest.raises(
        ValueError, match="BatchNorm needs batches of at least 2 rows .* leave a batch of 1"
    ):
        net.fit(x, y, batch_size=4, verbose=0)  # 4 + 4 + 1
    assert net.steps_trained == 0  # refused before the first step
    net.fit(x, y, batch_size=3, verbose=0)
    assert net.predict(x[:1]).shape == (1, 1)  # inference on one row is fine


def test_running_statistics_save_load_and_resume_bit_identically(tmp_path, rng):
    x, y = rng.normal(size=(40, 3)) * 2 + 1, rng.integers(0, 3, 40)

    def build():
        return mlpkit.Sequential(
            [Dense(3, 8, None, bias=False), BatchNorm(8, momentum=0.2), mlpkit.ReLU(),
             Dense(8, 8, "tanh"), LayerNorm(8), Dense(8, 3, "softmax")],
            seed=7,
        )  # fmt: skip

    net = build()
    net.fit(x, y, epochs=2, batch_size=8, verbose=0)
    back = mlpkit.load(net.save(tmp_path / "bn.mlpk"))
    np.testing.assert_array_equal(back.layers[1].running_var, net.layers[1].running_var)
    np.testing.assert_array_equal(back.predict(x), net.predict(x))
    assert list(back.named_buffers()) == ["layer1.running_mean", "layer1.running_var"]
    assert repr(back) == repr(net)
    twice = build()
    twice.fit(x, y, epochs=4, batch_size=8, verbose=0)
    back.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for a, b in zip(back.snapshot(), twice.snapshot(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_restores_the_running_statistics_too(rng):
    x, y = rng.normal(size=(30, 2)), rng.normal(size=30)
    net = mlpkit.Sequential([Dense(2, 4), BatchNorm(4), Dense(4, 1)], seed=1, dtype="float64")

    class Record(mlpkit.Callback):
        def __init__(self):
            self.stats = {}

        def on_epoch_end(self, epoch, logs=None):
            self.stats[epoch] = self.model.layers[1].running_mean.copy()

    rec = Record()
    stop = mlpkit.EarlyStopping("val_loss", patience=3, restore_best_weights=True, verbose=0)
    h = net.fit(x, y, epochs=60, batch_size=7, validation_split=0.3, callbacks=[rec, stop],
                optimizer=mlpkit.optimizers.Adam(lr=0.1), verbose=0)  # fmt: skip
    best = int(np.argmin(h["val_loss"]))
    assert stop.stopped_epoch is not None and stop.best_epoch == best
    np.testing.assert_array_equal(net.layers[1].running_mean, rec.stats[best])


def test_onnx_export_matches_predict(tmp_path, rng):
    require("onnx", "pip install 'mlpkit[onnx]'")
    ort = require("onnxruntime", "pip install 'mlpkit[onnx]'")
    from mlpkit.onnx import export

    net = mlpkit.Sequential(
        [Dense(4, 6, None), BatchNorm(6), mlpkit.ReLU(), Dense(6, 5, "tanh"), LayerNorm(5),
         Dense(5, 3, "softmax")],
        seed=2,
    )  # fmt: skip
    x = rng.normal(size=(20, 4)).astype(np.float32) * 2
    net.fit(x, rng.integers(0, 3, 20), epochs=3, batch_size=5, verbose=0)
    session = ort.InferenceSession(
        str(export(net, tmp_path / "n.onnx")), providers=["CPUExecutionProvider"]
    )
    np.testing.assert_allclose(session.run(["output"], {"input": x})[0], net.predict(x), atol=1e-5)
    with pytest.raises(ValueError, match="LayerNorm needs ONNX opset 17"):
        export(net, tmp_path / "old.onnx", opset=16)


def test_trace_summary_and_describe_show_the_normalisation(rng):
    net = mlpkit.Sequential(
        [Dense(3, 4, None), BatchNorm(4), mlpkit.Sigmoid(), Dense(4, 2, "identity"), LayerNorm(2)],
        seed=4,
        dtype="float64",
    )
    net.fit(rng.normal(size=(12, 3)), rng.normal(size=(12, 2)), epochs=2, batch_size=4, verbose=0)
    x, y = rng.normal(size=(3, 3)), rng.normal(size=(3, 2))
    tr = mlpkit.trace(net, x, y, loss="mse")
    assert [lt.label for lt in tr.layers][1] == "BatchNorm" and tr.layers[4].label == "LayerNorm"
    net.forward(x)
    net.backward(mlpkit.losses.get("mse").gradient(net.forward(x), y))
    for a, b in zip(tr.gradients(), net.gradients(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert "∂L/∂γ1" in tr.to_text() and "∂L/∂β4" in tr.to_text()
    text = str(net)
    assert "BatchNorm" in text and "LayerNorm" in text and "total parameters: 38" in text


def test_wrappers_and_builders_take_batch_norm(rng):
    require("sklearn", "pip install 'mlpkit[sklearn]'")
    from mlpkit.sklearn import AutoencoderTransformer, MLPClassifier

    x = rng.normal(size=(60, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    clf = MLPClassifier((8, 6), batch_norm=True, max_iter=300, random_state=0).fit(x, y)
    kinds = [type(layer).__name__ for layer in clf.network_.layers]
    assert kinds == ["Dense", "BatchNorm", "ReLU", "Dense", "BatchNorm", "ReLU", "Dense"]
    assert not clf.network_.layers[0].bias and clf.score(x, y) > 0.9
    assert [c.shape for c in clf.coefs_] == [(4, 8), (8, 6), (6, 1)]
    assert clf.intercepts_[0].shape == (8,) and not clf.intercepts_[0].any()
    with pytest.raises(ValueError, match="batch_norm needs solver='adam' or 'sgd'"):
        MLPClassifier(solver="lbfgs", batch_norm=True).fit(x, y)
    plain = MLPClassifier((8, 6), max_iter=30, random_state=0).fit(x, y)
    assert not any(isinstance(layer, BatchNorm) for layer in plain.network_.layers)
    ae = mlpkit.Autoencoder([4, 6, 2], batch_norm=True, seed=0)
    assert [type(layer).__name__ for layer in ae.network.layers].count("BatchNorm") == 2
    assert ae.get_config()["batch_norm"] is True
    codes = AutoencoderTransformer(
        2, (6,), batch_norm=True, max_iter=5, random_state=0
    ).fit_transform(x)
    assert codes.shape == (60, 2)


def test_constructor_errors_name_the_problem():
    with pytest.raises(ValueError, match="num_features must be a positive integer"):
        BatchNorm(0)
    with pytest.raises(ValueError, match="momentum must be a number in"):
        BatchNorm(3, momentum=1.5)
    with pytest.raises(ValueError, match="eps must be > 0"):
        LayerNorm(3, eps=0)
    with pytest.raises(
        ValueError, match=r"layer 1: BatchNorm\(5.*normalises 5 features .* outputs 4"
    ):
        mlpkit.Sequential([Dense(3, 4), BatchNorm(5)])
