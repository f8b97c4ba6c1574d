"""Save/load: round trips, hostile and corrupted files, atomic writes, exact resume."""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mlpkit
from mlpkit import Dense
from mlpkit import io as mio

ARCHITECTURES = [
    lambda: mlpkit.Sequential([Dense(3, 1)], seed=0),
    lambda: mlpkit.Sequential(
        [Dense(4, 8, "relu"), mlpkit.Dropout(0.3), Dense(8, 3, "softmax")], seed=1
    ),
    lambda: mlpkit.Sequential(
        [
            Dense(2, 5, "leaky_relu", regularizer=mlpkit.L2(0.1)),
            mlpkit.ELU(alpha=0.5),
            Dense(5, 5, "gelu", bias=False),
            Dense(5, 1, "sigmoid"),
        ],
        seed=2,
        dtype="float64",
    ),
    lambda: mlpkit.Sequential(
        [
            Dense(6, 4, "selu"),
            mlpkit.Tanh(),
            Dense(4, 2, "softplus", bias_regularizer=mlpkit.L1(0.2)),
            mlpkit.Softmax(),
        ],
        seed=3,
    ),
]


@pytest.mark.parametrize("build", ARCHITECTURES)
def test_round_trip_predictions_are_bit_identical(build, tmp_path, rng):
    net = build()
    x = rng.normal(size=(20, net.n_features_in)).astype(net.dtype)
    path = mlpkit.save(net, tmp_path / "m.mlpk")
    back = mlpkit.load(path)
    np.testing.assert_array_equal(back.predict(x), net.predict(x))
    assert repr(back) == repr(net)
    assert back.dtype == net.dtype


def test_trained_state_round_trips(tmp_path, rng):
    x, y = rng.normal(size=(40, 4)), rng.integers(0, 3, 40)
    net = ARCHITECTURES[1]()
    net.fit(
        x,
        y,
        optimizer=mlpkit.optimizers.Adam(lr=0.01, amsgrad=True),
        epochs=2,
        batch_size=8,
        metrics=["accuracy"],
        verbose=0,
    )
    back = mlpkit.load(mlpkit.save(net, tmp_path / "m.mlpk"))
    assert back.loss.name == "cross_entropy" and back.metrics == ["accuracy"]
    assert back.epochs_trained == 2 and back.steps_trained == 10
    assert back.optimizer.get_config() == net.optimizer.get_config() and back.optimizer.t == 10
    saved = net.optimizer.state_dict()["state"]
    assert saved and all(not k.startswith("_") for entries in saved.values() for k in entries)
    for i, entries in saved.items():
        for k, v in entries.items():
            np.testing.assert_array_equal(back.optimizer.state[i][k], v)
    assert back.rng.bit_generator.state == net.rng.bit_generator.state
    assert back.history["loss"] == net.history["loss"]


RESUME = textwrap.dedent(
    """
    import sys, numpy as np, mlpkit
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(48, 5)).astype(np.float32), rng.integers(0, 3, 48)
    net = mlpkit.load(sys.argv[1])
    net.fit(x, y, epochs=2, batch_size=8, verbose=0)
    mlpkit.save(net, sys.argv[1])
    """
)


def test_resume_in_a_fresh_process_is_bit_identical(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(48, 5)).astype(np.float32), rng.integers(0, 3, 48)

    def build():
        return mlpkit.Sequential(
            [Dense(5, 16, "relu"), mlpkit.Dropout(0.25), Dense(16, 3, "softmax")], seed=9
        )

    straight = build()
    straight.fit(x, y, optimizer=mlpkit.optimizers.Adam(lr=0.01), epochs=4, batch_size=8, verbose=0)
    halves = build()
    halves.fit(x, y, optimizer=mlpkit.optimizers.Adam(lr=0.01), epochs=2, batch_size=8, verbose=0)
    path = mlpkit.save(halves, tmp_path / "half.mlpk")
    subprocess.run([sys.executable, "-c", RESUME, str(path)], check=True)
    resumed = mlpkit.load(path)
    assert resumed.epochs_trained == 4
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.fixture
def saved(tmp_path):
    net = ARCHITECTURES[1]()
    rng = np.random.default_rng(0)
    net.fit(rng.normal(size=(16, 4)), rng.integers(0, 3, 16), epochs=1, verbose=0)
    path = mlpkit.save(net, tmp_path / "m.mlpk")
    return path, path.read_bytes()


def test_truncation_at_every_offset_is_refused(saved, tmp_path):
    _path, data = saved
    bad = tmp_path / "cut.mlpk"
    for cut in range(len(data)):
        bad.write_bytes(data[:cut])
        with pytest.raises(mlpkit.LoadError):
            mlpkit.load(bad)
    bad.write_bytes(data + b"\0")
    with pytest.raises(mlpkit.LoadError, match="trailing bytes"):
        mlpkit.load(bad)


def test_random_byte_corruption_never_loads_silently(saved, tmp_path):
    _path, data = saved
    rng = np.random.default_rng(5)
    bad = tmp_path / "flip.mlpk"
    for _ in range(300):
        corrupt = bytearray(data)
        pos = int(rng.integers(len(data)))
        corrupt[pos] ^= int(rng.integers(1, 256))
        bad.write_bytes(bytes(corrupt))
        try:
            net = mlpkit.load(bad)
        except mlpkit.LoadError:
            continue
        pytest.fail(f"a flipped byte at offset {pos} loaded: {net!r}")


def _rewrite_header(data: bytes, edit) -> bytes:
    magic, version, hlen = mio._PREFIX.unpack_from(data)
    header = json.loads(data[mio._PREFIX.size : mio._PREFIX.size + hlen])
    start = mio._PREFIX.size + hlen
    start += mio._pad(start)
    body = data[start:-32]
    edit(header)
    blob = json.dumps(header).encode()
    prefix = mio._PREFIX.pack(magic, version, len(blob))
    head = prefix + blob + b"\0" * mio._pad(len(prefix) + len(blob))
    # re-sign the file as an attacker could: the trailing digest is integrity, not trust
    return head + body + hashlib.sha256(head + body).digest()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda h: h["arrays"][0].update(shape=[10**9, 10**9]), "needs .* bytes, header says"),
        (
            lambda h: h["arrays"][0].update(shape=[10**6, 10**6], nbytes=4 * 10**12),
            "extends past the end",
        ),
        (lambda h: h["arrays"][0].update(dtype="|O"), "unsupported dtype '|O'"),
        (lambda h: h["arrays"][1].update(offset=0), "overlap"),
        (lambda h: h["arrays"][0].update(offset=3), "invalid offset"),
        (lambda h: h.update(data_sha256="0" * 64), "checksum mismatch: the data section"),
        (lambda h: h["layers"][0].update(type="Lambda"), "unknown layer type 'Lambda'"),
        (lambda h: h["layers"][0].update(activation="eval"), "unknown activation"),
        (lambda h: h.update(format="other"), "not an mlpkit header"),
    ],
)
def test_hostile_headers_are_refused_before_allocation(saved, tmp_path, edit, message):
    _, data = saved
    bad = tmp_path / "hostile.mlpk"
    bad.write_bytes(_rewrite_header(data, edit))
    with pytest.raises(mlpkit.LoadError, match=message):
        mlpkit.load(bad)


class Boom:
    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_a_pickle_is_refused_and_runs_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.mlpk"
    path.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(mlpkit.LoadError, match="bad magic bytes .it looks like a pickle"):
        mlpkit.load(path)
    assert not (tmp_path / "pwned").exists()


def test_an_object_npz_is_refused(tmp_path):
    buf = io.BytesIO()
    np.savez(buf, weights=np.array([Boom()], dtype=object))
    path = tmp_path / "evil.mlpk"
    path.write_bytes(buf.getvalue())
    assert zipfile.is_zipfile(path)
    with pytest.raises(mlpkit.LoadError, match="zip/.npz"):
        mlpkit.load(path)


def test_header_cap_and_version(saved, tmp_path):
    _, data = saved
    bad = tmp_path / "b.mlpk"
    bad.write_bytes(struct.pack("<8sIQ", mio.MAGIC, 1, 2**40) + data[20:])
    with pytest.raises(mlpkit.LoadError, match="exceeds the .*-byte cap"):
        mlpkit.load(bad)
    bad.write_bytes(struct.pack("<8sIQ", mio.MAGIC, 99, 10) + data[20:])
    with pytest.raises(mlpkit.LoadError, match="format version 99 is not supported"):
        mlpkit.load(bad)
    bad.write_bytes(mio._PREFIX.pack(mio.MAGIC, 1, 5) + b'{"a":')
    with pytest.raises(mlpkit.LoadError, match="header is not valid JSON"):
        mlpkit.load(bad)
    with pytest.raises(mlpkit.LoadError, match="cannot read"):
        mlpkit.load(tmp_path / "missing.mlpk")
    assert issubclass(mlpkit.LoadError, ValueError)


def test_a_failed_write_leaves_the_old_file(saved, monkeypatch):
    path, data = saved
    net = ARCHITECTURES[0]()

    def crash(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(mio.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        mlpkit.save(net, path)
    assert path.read_bytes() == data
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # the temporary file is gone


LAYER_CHOICES = ["dense", "dense_nobias", "activation", "dropout", "noise"]


@settings(max_examples=30, deadline=None)
@given(
    spec=st.lists(
        st.tuples(
            st.sampled_from(LAYER_CHOICES),
            st.integers(1, 6),
            st.sampled_from(mlpkit.activations.names()),
        ),
        min_size=1,
        max_size=6,
    ),
    dtype=st.sampled_from(["float32", "float64"]),
    seed=st.integers(0, 1000),
)
def test_random_architectures_round_trip_bit_identically(spec, dtype, seed, tmp_path_factory):
    layers, width = [mlpkit.Dense(3, 4, "tanh")], 4
    for kind, size, activation in spec:
        if kind.startswith("dense"):
            layers.append(mlpkit.Dense(width, size, activation, bias=kind == "dense"))
            width = size
        elif kind == "activation":
            layers.append(mlpkit.layers.from_config("Activation", {"activation": activation}))
        elif kind == "dropout":
            layers.append(mlpkit.Dropout(0.25))
        else:
            layers.append(mlpkit.layers.GaussianNoise(0.1))
    net = mlpkit.Sequential(layers, seed=seed, dtype=dtype)
    path = mlpkit.save(net, tmp_path_factory.mktemp("arch") / "m.mlpk")
    back = mlpkit.load(path)
    x = np.random.default_rng(seed).normal(size=(9, 3))
    np.testing.assert_array_equal(back.predict(x), net.predict(x))
    assert repr(back) == repr(net)


def test_metadata_round_trips_and_bad_metadata_writes_nothing(tmp_path):
    net = ARCHITECTURES[0]()
    net.metadata = {"source": "data.csv", "classes": ["cat", "dog"], "scale": [1.5, 2.0]}
    assert mlpkit.load(mlpkit.save(net, tmp_path / "m.mlpk")).metadata == net.metadata
    net.metadata = {"scale": np.array([1.0, 2.0])}
    with pytest.raises(ValueError, match="model.metadata must hold finite JSON values"):
        mlpkit.save(net, tmp_path / "bad.mlpk")
    net.metadata = {"scale": float("nan")}
    with pytest.raises(ValueError, match="model.metadata must hold finite JSON values"):
        mlpkit.save(net, tmp_path / "bad.mlpk")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.mlpk"]


DATA = Path(__file__).parent / "data"


def test_version_1_files_still_load_and_resume(tmp_path):
    """Files written by format version 1 (optimizer state as one packed vector, Adam's
    moments as discounted sums) load: same predictions, state by parameter name with
    PyTorch's names, and resuming continues the saved trajectory (made by the version-1
    code: ``v1_*_resumed.npy``) up to float32 rounding of the rewritten Adam update."""
    x, y = mlpkit.datasets.xor()
    net = mlpkit.load(DATA / "v1_adam_xor.mlpk")
    np.testing.assert_array_equal(net.predict(x), np.load(DATA / "v1_adam_xor_predict.npy"))
    state = net.optimizer.state_dict()["state"]
    assert list(state) == net.parameter_names()
    assert all(set(s) == {"exp_avg", "exp_avg_sq"} for s in state.values())
    net.fit(x, y, epochs=3, batch_size=2, verbose=0)
    np.testing.assert_allclose(net.predict(x), np.load(DATA / "v1_adam_xor_resumed.npy"), atol=1e-6)
    sgd = mlpkit.load(DATA / "v1_sgd_xor.mlpk")
    assert set(sgd.optimizer.state_dict()["state"]["layer0.W"]) == {"momentum_buffer"}
    sgd.fit(x, y, epochs=3, batch_size=1, verbose=0)
    np.testing.assert_allclose(sgd.predict(x), np.load(DATA / "v1_sgd_xor_resumed.npy"), atol=1e-6)
    # saved again, it is a version-2 file
    again = mlpkit.save(net, tmp_path / "v2.mlpk")
    assert struct.unpack_from("<8sI", again.read_bytes())[1] == mio.FORMAT_VERSION == 2


def test_a_newer_format_says_to_upgrade(saved, tmp_path):
    _, data = saved
    bad = tmp_path / "new.mlpk"
    bad.write_bytes(struct.pack("<8sIQ", mio.MAGIC, 3, 10) + data[20:])
    with pytest.raises(mlpkit.LoadError, match="reads versions 1 to 2; a newer mlpkit wrote it"):
        mlpkit.load(bad)


@pytest.mark.parametrize(
    "init",
    [
        mlpkit.initializers.Constant(0.3),
        mlpkit.initializers.Normal(std=0.2, mean=0.1),
        mlpkit.initializers.Uniform(0.2, low=-0.1),
    ],
    ids=lambda i: type(i).__name__,
)
def test_a_model_whose_initializer_has_settings_loads(init, tmp_path):
    """An initializer's settings are saved by name ("value" among them, which once
    collided with the registry's own argument, so such a model saved but never loaded)."""
    net = mlpkit.Sequential([mlpkit.Dense(2, 3, init=init)], seed=0)
    loaded = mlpkit.load(mlpkit.save(net, tmp_path / "m.mlpk"))
    assert loaded.layers[0].init.get_config() == init.get_config()
    assert (
        mlpkit.initializers.get(mlpkit.initializers.to_config(init)).get_config()
        == init.get_config()
    )
    np.testing.assert_array_equal(loaded.get_weights()[0], net.get_weights()[0])


def _v1_with(tmp_path, edit):
    """The version-1 Adam file with its header edited (checksums made right again)."""
    from .test_hostile_files import resign

    path = tmp_path / "v1.mlpk"
    path.write_bytes(resign((DATA / "v1_adam_xor.mlpk").read_bytes(), edit))
    return path


def test_version_1_moments_are_rescaled_by_the_file_s_own_betas(tmp_path):
    """Version 1 kept M = m / (1 − β1) and V = v / (1 − β2): loading rescales by the betas
    in the file (the defaults 0.9, 0.999 when it names none), for Adam and AdamW alike."""
    _, arrays, _ = mlpkit.fileformat.read(DATA / "v1_adam_xor.mlpk")
    m_sum, v_sum = arrays["optimizer.0.grad_sum"], arrays["optimizer.0.grad_sq_sum"]

    def moments(net):
        state = net.optimizer.state_dict()["state"]
        m = np.concatenate([state[n]["exp_avg"].ravel() for n in net.parameter_names()])
        v = np.concatenate([state[n]["exp_avg_sq"].ravel() for n in net.parameter_names()])
        assert all(state[n]["exp_avg"].dtype == np.float32 for n in net.parameter_names())
        return m, v

    def betas(b):
        return lambda h: h["optimizer"]["config"].update(betas=b)

    m, v = moments(mlpkit.load(_v1_with(tmp_path, betas([0.5, 0.75]))))
    np.testing.assert_allclose(m, m_sum * 0.5, rtol=1e-6)
    np.testing.assert_allclose(v, v_sum * 0.25, rtol=1e-6)
    m, v = moments(mlpkit.load(_v1_with(tmp_path, lambda h: h["optimizer"]["config"].pop("betas"))))
    np.testing.assert_allclose(m, m_sum * (1 - 0.9), rtol=1e-5)
    np.testing.assert_allclose(v, v_sum * (1 - 0.999), rtol=1e-4)
    adamw = mlpkit.load(_v1_with(tmp_path, lambda h: h["optimizer"].update(name="AdamW")))
    assert type(adamw.optimizer).__name__ == "AdamW"
    np.testing.assert_allclose(moments(adamw)[0], m_sum * (1 - 0.9), rtol=1e-5)


def test_a_version_1_amsgrad_maximum_is_rescaled_like_the_second_moment(tmp_path):
    def amsgrad(h):
        h["optimizer"]["config"].update(amsgrad=True, betas=[0.9, 0.75])
        h["optimizer"]["state"]["0"]["max_grad_sq_sum"] = "optimizer.0.grad_sq_sum"

    net = mlpkit.load(_v1_with(tmp_path, amsgrad))
    _, arrays, _ = mlpkit.fileformat.read(DATA / "v1_adam_xor.mlpk")
    state = net.optimizer.state_dict()["state"]
    got = np.concatenate([state[n]["max_exp_avg_sq"].ravel() for n in net.parameter_names()])
    np.testing.assert_allclose(got, arrays["optimizer.0.grad_sq_sum"] * 0.25, rtol=1e-6)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda h: h["optimizer"]["state"].update({"1": h["optimizer"]["state"]["0"]}),
         "version 1 optimizer state must be one packed entry"),
        (lambda h: h["optimizer"]["state"]["0"].update(grad_sum="layer0.b"),
         "optimizer state 'grad_sum' has 4 entries, the model 22"),
    ],
)  # fmt: skip
def test_a_version_1_optimizer_state_that_does_not_fit_is_refused(tmp_path, edit, message):
    path = _v1_with(tmp_path, edit)
    with pytest.raises(mlpkit.LoadError) as caught:
        mlpkit.load(path)
    assert (
        str(caught.value) == f"{path}: invalid model description in header: ValueError: {message}"
    )
