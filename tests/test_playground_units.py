"""The playground's second round without a browser: every unit's picture is that unit's
activation on the grid, features are a layer of the model, the new data sets, and the
autoencoder mode (codes, decoding, the exported script retraining bit for bit)."""

from __future__ import annotations

import base64
import subprocess
import sys

import numpy as np
import pytest

import mlpkit
from mlpkit import datasets
from mlpkit.playground import (
    LIMITS,
    AutoencoderSession,
    Session,
    SessionError,
    SettingsError,
    validate,
    validate_autoencoder,
)


def pictures(state: dict) -> list[np.ndarray]:
    """Each diagram column's (units, points) values, as the page decodes them."""
    return [
        np.frombuffer(base64.b64decode(p["values"]), dtype="<f4").reshape(len(p["lo"]), -1)
        for p in state["units"]["pictures"]
    ]


def grid(bounds: list[float], size: int, dim: int) -> np.ndarray:
    x0, x1, y0, y1 = bounds
    if dim == 1:
        return np.linspace(x0, x1, size, dtype=np.float32).reshape(-1, 1)
    gx, gy = np.meshgrid(np.linspace(x0, x1, size), np.linspace(y0, y1, size))
    return np.c_[gx.ravel(), gy.ravel()].astype(np.float32)


@pytest.mark.parametrize(
    "raw",
    [
        {"hidden": [3, 2], "activation": "tanh"},
        {"dataset": "circles", "features": ["x1", "x1^2", "x2^2"], "hidden": [4]},
        {"dataset": "function", "output": "identity", "loss": "mse", "features": ["x1", "sin(x1)"]},
        {"dataset": "plane", "output": "identity", "loss": "mse", "dropout": 0.2, "hidden": [3]},
    ],
)
def test_every_units_picture_is_its_activation_on_the_grid(raw):
    s = Session(validate(raw))
    s.train(5)
    state = s.state()
    size, dim = state["units"]["grid"], s.settings.input_dim
    assert size == LIMITS["unit_grid"]
    h = grid(s.bounds(), size, dim)
    # by hand: the inputs (or their features), then each Dense layer's activation
    want = []
    for layer in s.model.layers:
        if isinstance(layer, mlpkit.InputFeatures):
            h = layer.call(h)
            want.append(h)
        elif isinstance(layer, mlpkit.Dense):
            if not want:
                want.append(h)
            h = layer.activation.forward(h @ layer.W + layer.b)
            want.append(h)
    got = pictures(state)
    assert [g.shape for g in got] == [(w.shape[1], size**dim) for w in want]
    assert [g.shape[0] for g in got] == state["network"]["widths"]
    for g, w, p in zip(got, want, state["units"]["pictures"], strict=True):
        np.testing.assert_allclose(g, w.T, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(p["lo"], w.min(axis=0), rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(p["hi"], w.max(axis=0), rtol=1e-6, atol=1e-7)
    assert state["network"]["inputs"] == list(s.settings.features)


def test_features_are_the_models_first_layer_and_travel_with_it(tmp_path):
    s = Session(validate({"features": ["x1", "x2", "x1*x2"], "hidden": [2]}))
    s.train(3)
    assert isinstance(s.model.layers[0], mlpkit.InputFeatures)
    assert s.model.n_features_in == 2 and s.model.layers[1].in_features == 3
    path = tmp_path / "m.mlpk"
    path.write_bytes(s.model_bytes())
    net = mlpkit.load(path)
    assert net.layers[0].terms == ["x1", "x2", "x1*x2"]
    x = s.data.x_test
    np.testing.assert_array_equal(net.predict(x), s.model.predict(x))  # raw points in
    # the plain inputs need no feature layer; another kind of data takes its own plain ones
    plain = Session(validate({"features": ["x2", "x1"]}))
    assert not isinstance(plain.model.layers[0], mlpkit.InputFeatures)
    curve = validate({"dataset": "function", "output": "identity", "loss": "mse"}, s.settings)
    assert curve.features == ("x1",)
    # the chain-rule table shows the features as a layer of their own
    labels = [layer["label"] for layer in s.trace([0.5, 0.25])["layers"]]
    assert labels == ["InputFeatures", "Dense(sigmoid)", "Dense(sigmoid)"]


def test_the_new_data_sets_and_their_views():
    for name in ("gaussians", "plane", "gaussian_surface"):
        x, y = getattr(datasets, name)(n_samples=50, noise=0.1, seed=3)
        again = getattr(datasets, name)(n_samples=50, noise=0.1, seed=3)
        np.testing.assert_array_equal(x, again[0])
        assert x.shape == (50, 2) and x.dtype == np.float32
        assert y.shape == ((50,) if name == "gaussians" else (50, 1))
        with pytest.raises(ValueError, match="noise must be >= 0"):
            getattr(datasets, name)(noise=-1)
    x, y = datasets.gaussians(400, noise=0.0, seed=0)
    assert abs(x[y == 1].mean() - 1) < 0.1 and abs(x[y == 0].mean() + 1) < 0.1
    x, y = datasets.plane(200, seed=0)
    np.testing.assert_allclose(y[:, 0], (x[:, 0] + 2 * x[:, 1]) / 3, rtol=1e-6)
    x, y = datasets.gaussian_surface(400, seed=0)
    assert y.max() > 0.6 and y.min() < -0.6  # bumps up and down
    s = Session(validate({"dataset": "gaussian_surface", "output": "identity", "loss": "mse"}))
    view = s.state()["view"]
    assert view["kind"] == "surface" and len(view["values"]) == LIMITS["grid"] ** 2
    np.testing.assert_allclose(
        view["values"], s.model.predict(grid(s.bounds(), LIMITS["grid"], 2))[:, 0], atol=1e-4
    )
    s.add_point([0.2, 0.3], 0.5)  # a point of a value on a surface
    assert s.data.y_train[-1].tolist() == [0.5]
    assert s.trace([0.2, 0.3])["target"] == [0.5]  # the nearest training point's value
    before = s.metrics["train_loss"]
    s.train(30)
    assert s.metrics["train_loss"] < before


# -- the autoencoder mode ------------------------------------------------------------
def test_the_autoencoder_trains_and_its_map_is_encode_of_the_images():
    s = AutoencoderSession(validate_autoencoder({"points": 200, "hidden": [16]}))
    first = s.state()
    assert first["epochs"] == 0 and len(first["codes"]) == 200
    s.train(4)
    state = s.state()
    assert state["epochs"] == 4 and state["error"] < first["error"]
    np.testing.assert_allclose(state["codes"], s.model.encode(s.x), atol=1e-4)
    data = s.data_message()
    x, labels = datasets.load_digits()
    pick = np.sort(np.random.default_rng(0).permutation(len(x))[:200])
    assert data["labels"] == labels[pick].tolist()
    pca = mlpkit.reduction.PCA(2).fit(x[pick])
    np.testing.assert_allclose(data["pca"], pca.transform(x[pick]), atol=1e-4)
    assert data["pca_error"] == pytest.approx(float(np.mean(pca.reconstruction_error(x[pick]))))
    decoded = s.decode([0.5, -1.0])
    np.testing.assert_allclose(decoded["pixels"], np.clip(s.model.decode(np.float32([[0.5, -1.0]]))[0], 0, 1),
                               atol=1e-4)  # fmt: skip
    through_pca = s.decode([0.5, -1.0], "pca")
    np.testing.assert_allclose(through_pca["pixels"], np.clip(pca.inverse_transform([[0.5, -1.0]])[0], 0, 1),
                               atol=1e-4)  # fmt: skip
    for code, via, message in [
        ([1.0], "autoencoder", "a code here is two finite numbers"),
        ([1.0, float("nan")], "autoencoder", "a code here is two finite numbers"),
        ([1.0, 1e9], "autoencoder", "a code here is two finite numbers"),
        ([1.0, 2.0], "tsne", "via must be autoencoder or pca"),
    ]:
        with pytest.raises(SessionError, match=message):
            s.decode(code, via)
    with pytest.raises(SessionError, match="the autoencoder mode has no points to add or trace"):
        s.trace([0.0, 0.0])


def test_the_autoencoders_settings_are_checked_and_live_ones_keep_it():
    for raw, message in [
        ({"points": 10}, "points = 10 is out of bounds (100–1797)"),
        ({"hidden": [4, 4, 4, 4]}, "hidden must be a list of at most 3 widths"),
        ({"hidden": [1000]}, "hidden layer 1's width = 1000 is out of bounds (2–64)"),
        ({"activation": "softmax"}, "activation must be one of relu, tanh"),
        ({"bottleneck": 3}, "unknown autoencoder setting 'bottleneck'"),
        ([], "settings must be an object"),
    ]:
        with pytest.raises(SettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
            validate_autoencoder(raw)
    s = AutoencoderSession(validate_autoencoder({"points": 100}))
    s.train(2)
    assert s.configure({"lr": 0.001}) is False and s.epochs == 2 and s.optimizer.lr == 0.001
    assert s.configure({"hidden": [8]}) is True and s.epochs == 0


def test_the_autoencoders_exports_rebuild_it_bit_for_bit(tmp_path):
    s = AutoencoderSession(validate_autoencoder({"points": 150, "hidden": [12], "batch_size": 16}))
    s.train(2)
    s.configure({"lr": 0.002})
    s.train(3)
    assert s.runs == [(2, 16, 0.005), (3, 16, 0.002)]
    script = tmp_path / "ae.py"
    script.write_text(s.python_code() + "\nnp.savez('w.npz', *ae.network.get_weights())\n")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("reconstruction MSE:")
    with np.load(tmp_path / "w.npz") as f:
        theirs = [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]
    for mine, other in zip(s.model.network.get_weights(), theirs, strict=True):
        np.testing.assert_array_equal(mine, other)
    (tmp_path / "page.mlpk").write_bytes(s.model_bytes())
    loaded = mlpkit.load(tmp_path / "page.mlpk")
    np.testing.assert_array_equal(loaded.encode(s.x), s.model.encode(s.x))
    assert mlpkit.load(tmp_path / "playground_autoencoder.mlpk").latent_dim == 2


# -- the lessons of TensorFlow Playground, as a student does them ------------------------
def train(raw, epochs):
    s = Session(validate(raw))
    s.train(epochs)
    return s


def test_features_can_replace_depth():
    """Circles: no hidden layer cannot separate them from x1, x2; it can from their squares."""
    plain = train({"dataset": "circles", "hidden": [], "lr": 0.1}, 200)
    squares = train({"dataset": "circles", "hidden": [], "lr": 0.1,
                     "features": ["x1", "x2", "x1^2", "x2^2"]}, 200)  # fmt: skip
    assert plain.metrics["test_accuracy"] < 0.7 < 0.9 < squares.metrics["test_accuracy"]


SPIRAL = {"dataset": "spirals", "classes": 2, "output": "sigmoid", "activation": "tanh",
          "lr": 0.01, "points": 400, "noise": 0.05}  # fmt: skip


def test_the_spiral_needs_depth_and_regularisation_smooths_its_boundary():
    shallow = train({**SPIRAL, "hidden": [4]}, 1000)
    deep = train({**SPIRAL, "hidden": [8, 8]}, 1000)
    assert shallow.metrics["train_accuracy"] < 0.85 and deep.metrics["train_accuracy"] > 0.97

    def roughness(s):
        """The boundary's total variation over the view's grid."""
        p = np.array(s.view()["probs"])[:, 1].reshape(LIMITS["grid"], LIMITS["grid"])
        return np.abs(np.diff(p, axis=0)).sum() + np.abs(np.diff(p, axis=1)).sum()

    smooth = train({**SPIRAL, "hidden": [8, 8], "l2": 0.003}, 1000)
    assert smooth.metrics["train_accuracy"] > 0.95 and roughness(smooth) < 0.95 * roughness(deep)
    norm = [
        sum(float(np.sum(ly.W**2)) for ly in s.model.layers if hasattr(ly, "W"))
        for s in (deep, smooth)
    ]
    assert norm[1] < 0.5 * norm[0]
