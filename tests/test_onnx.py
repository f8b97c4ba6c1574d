"""ONNX export: the checker accepts it and onnxruntime reproduces predict to 1e-5."""

from __future__ import annotations

import numpy as np
import pytest

import mlpkit
from mlpkit.autoencoder import Autoencoder

from .conftest import require

onnx = require("onnx", "pip install 'mlpkit[onnx]'")
ort = require("onnxruntime", "pip install 'mlpkit[onnx]'")

from mlpkit.onnx import export  # noqa: E402


def run(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": x})[0]


@pytest.mark.parametrize("opset", [17, 20])
@pytest.mark.parametrize("activation", mlpkit.activations.names())
def test_every_activation_matches_predict(activation, opset, tmp_path, rng):
    net = mlpkit.Sequential(
        [
            mlpkit.Dense(5, 8, activation),
            mlpkit.Dropout(0.3),
            mlpkit.Dense(8, 4, activation, bias=False),
            mlpkit.Dense(4, 3, "tanh"),
        ],
        seed=0,
    )
    path = export(net, tmp_path / "m.onnx", opset=opset)
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    assert model.ir_version <= onnx.IR_VERSION and model.opset_import[0].version == opset
    for n in (1, 7, 64):  # the batch dimension is dynamic
        x = (rng.normal(size=(n, 5)) * 3).astype(np.float32)
        np.testing.assert_allclose(run(path, x), net.predict(x), atol=1e-5, rtol=1e-5)


def test_standalone_activation_layers_and_parameters(tmp_path, rng):
    net = mlpkit.Sequential(
        [
            mlpkit.Dense(4, 6),
            mlpkit.LeakyReLU(0.2),
            mlpkit.Dense(6, 6),
            mlpkit.ELU(alpha=0.5),
            mlpkit.Dense(6, 3),
            mlpkit.Softmax(),
        ],
        seed=1,
    )
    x = rng.normal(size=(10, 4)).astype(np.float32)
    np.testing.assert_allclose(run(export(net, tmp_path / "m.onnx"), x), net.predict(x), atol=1e-5)


def test_autoencoder_parts(tmp_path, rng):
    x = rng.uniform(size=(40, 6)).astype(np.float32)
    ae = Autoencoder([6, 4, 2], noise=0.1, seed=0)
    ae.fit(x, epochs=2, verbose=0)
    np.testing.assert_allclose(
        run(export(ae, tmp_path / "e.onnx", part="encoder"), x), ae.encode(x), atol=1e-5
    )
    z = ae.encode(x)
    np.testing.assert_allclose(
        run(export(ae, tmp_path / "d.onnx", part="decoder"), z), ae.decode(z), atol=1e-5
    )
    np.testing.assert_allclose(
        run(export(ae, tmp_path / "f.onnx"), x), ae.reconstruct(x), atol=1e-5
    )
    with pytest.raises(ValueError, match="part must be"):
        export(ae, tmp_path / "x.onnx", part="middle")


def test_bad_opset(tmp_path):
    with pytest.raises(ValueError, match="opset must be 13 or newer"):
        export(mlpkit.Sequential([mlpkit.Dense(2, 2)]), tmp_path / "m.onnx", opset=11)


def test_input_features_export_as_their_columns(tmp_path, rng):
    net = mlpkit.Sequential(
        [mlpkit.InputFeatures(["x2", "x1^2", "x1*x3", "sin(x2)"], in_features=3),
         mlpkit.Dense(4, 5, "tanh"), mlpkit.Dense(5, 2, "softmax")],
        seed=2,
    )  # fmt: skip
    path = export(net, tmp_path / "f.onnx")
    onnx.checker.check_model(onnx.load(str(path)))
    x = rng.normal(size=(9, 3)).astype(np.float32)
    np.testing.assert_allclose(run(path, x), net.predict(x), atol=1e-5)


def test_a_users_own_layer_or_subclass_is_refused_not_exported_as_a_builtin(tmp_path):
    class Halved(mlpkit.Dense):
        def call(self, x):
            return super().call(x) / 2

    class Clipped(mlpkit.activations.ReLU):
        def forward(self, z):
            return np.minimum(super().forward(z), 1.0)

    for layers, message in [
        ([Halved(2, 3), mlpkit.Dense(3, 1)], r"layer 0 \(Halved\): only mlpkit's own layers"),
        ([mlpkit.Dense(2, 3, Clipped()), mlpkit.Dense(3, 1)], "layer 0's activation Clipped"),
    ]:
        with pytest.raises(ValueError, match=message):
            export(mlpkit.Sequential(layers, seed=0), tmp_path / "x.onnx")
    assert not (tmp_path / "x.onnx").exists()
