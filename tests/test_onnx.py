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


@pytest.mark.parametrize("opset", [17, 20])
def test_normalisation_without_scale_and_with_its_own_eps_matches_predict(tmp_path, rng, opset):
    """BatchNorm and LayerNorm without γ, β (affine=False) and with an eps of their own;
    opset 17 is the first with LayerNormalization."""
    net = mlpkit.Sequential(
        [mlpkit.Dense(4, 6), mlpkit.BatchNorm(6, eps=0.5, affine=False), mlpkit.Tanh(),
         mlpkit.Dense(6, 5), mlpkit.LayerNorm(5, eps=0.25, affine=False), mlpkit.Dense(5, 2)],
        seed=1,
    )  # fmt: skip
    x = (rng.normal(size=(16, 4)) * 2).astype(np.float32)
    net.fit(x, rng.normal(size=(16, 2)), epochs=2, batch_size=4, verbose=0)
    path = export(net, tmp_path / "n.onnx", opset=opset)
    np.testing.assert_allclose(run(path, x), net.predict(x), atol=1e-5, rtol=1e-5)


def test_the_oldest_opset_exports_and_one_older_is_refused(tmp_path, rng):
    net = mlpkit.Sequential([mlpkit.Dense(3, 4, "softmax")], seed=0)
    x = rng.normal(size=(5, 3)).astype(np.float32)
    np.testing.assert_allclose(run(export(net, tmp_path / "m.onnx", opset=13), x), net.predict(x),
                               atol=1e-6)  # fmt: skip
    with pytest.raises(ValueError, match=r"opset must be 13 or newer"):
        export(net, tmp_path / "m.onnx", opset=12)


def test_gelu_is_onnx_s_own_operator_from_opset_20(tmp_path):
    net = mlpkit.Sequential([mlpkit.Dense(3, 4, "gelu")], seed=0)
    ops = {opset: {n.op_type for n in onnx.load(str(export(net, tmp_path / f"{opset}.onnx",
                                                           opset=opset))).graph.node}
           for opset in (19, 20)}  # fmt: skip
    assert "Gelu" in ops[20] and "Gelu" not in ops[19] and "Tanh" in ops[19]


def test_exp_is_capped_where_the_dtype_overflows_as_predict_is(tmp_path):
    net = mlpkit.Sequential([mlpkit.Dense(1, 1, "exp")], seed=0)
    net.set_weights([np.ones((1, 1), np.float32), np.zeros(1, np.float32)])
    x = np.array([[1.0], [88.0], [200.0]], np.float32)
    got = run(export(net, tmp_path / "e.onnx"), x)
    assert np.all(np.isfinite(got)) and np.all(np.isfinite(net.predict(x)))
    np.testing.assert_allclose(got, net.predict(x), rtol=1e-5)


def test_the_file_says_who_wrote_it_and_that_the_batch_is_any_size(tmp_path):
    net = mlpkit.Sequential([mlpkit.Dense(3, 2)], seed=0)
    model = onnx.load(str(export(net, tmp_path / "m.onnx")))
    assert model.producer_name == "mlpkit" and model.graph.name == "mlpkit"
    for value, width in ((model.graph.input[0], 3), (model.graph.output[0], 2)):
        dims = value.type.tensor_type.shape.dim
        assert (dims[0].dim_param, dims[1].dim_value) == ("N", width)
    with pytest.raises(ValueError) as caught:
        export(net, tmp_path)
    assert str(caught.value) == f"{tmp_path}: the ONNX file is a folder; give a file name inside it"


def test_what_cannot_be_exported_is_named_word_for_word(tmp_path, monkeypatch):
    class Halved(mlpkit.Dense):
        pass

    class Clipped(mlpkit.activations.ReLU):
        pass

    with pytest.raises(ValueError) as caught:
        export(mlpkit.Sequential([Halved(2, 3)], seed=0), tmp_path / "x.onnx")
    assert str(caught.value) == ("no ONNX export for layer 0 (Halved): only mlpkit's own layers "
                                 "are exported (a subclass's forward is Python)")  # fmt: skip
    with pytest.raises(ValueError) as caught:
        export(mlpkit.Sequential([mlpkit.Dense(2, 3, Clipped())], seed=0), tmp_path / "x.onnx")
    assert str(caught.value) == ("no ONNX export for layer 0's activation Clipped: only mlpkit's "
                                 "own activations are exported")  # fmt: skip
    import sys

    monkeypatch.setitem(sys.modules, "onnx", None)  # as if the extra were not installed
    with pytest.raises(ImportError) as caught:
        export(mlpkit.Sequential([mlpkit.Dense(2, 3)], seed=0), tmp_path / "x.onnx")
    assert str(caught.value) == "mlpkit.onnx needs onnx: pip install 'mlpkit[onnx]'"
