"""Model files an attacker writes (checksums and all): every one is refused with a
LoadError naming the cause — before anything is allocated beyond the file's own bytes,
in time linear in what it declares, never by hanging on a FIFO or a device — and the
command line says it in one line."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import tracemalloc
import types

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mlpkit
from mlpkit import Dense, fileformat
from mlpkit.cli import main as cli

from .conftest import count_lines


class FileBytes(bytes):
    """A model file's bytes, shown short in a failing example's report."""

    def __repr__(self) -> str:
        return f"<{len(self)} bytes of a valid model file>"


@pytest.fixture(scope="module")
def valid(tmp_path_factory):
    """A small trained model's file, as bytes."""
    path = tmp_path_factory.mktemp("valid") / "m.mlpk"
    net = mlpkit.Sequential(
        [Dense(3, 4, "relu"), mlpkit.BatchNorm(4), Dense(4, 2, "softmax")], seed=0
    )
    x, y = np.random.default_rng(0).normal(size=(20, 3)), np.arange(20) % 2
    net.fit(x, y, epochs=2, batch_size=5, verbose=0)
    net.save(path)
    return FileBytes(path.read_bytes())


def resign(data: bytes, edit=None, text=None) -> bytes:
    """``data`` with its header changed — by ``edit(header)`` on the parsed JSON, or by
    ``text(json_text)`` on its text — and both checksums made right again, as an attacker
    could (they are integrity, not trust)."""
    magic, version, hlen = fileformat._PREFIX.unpack_from(data)
    raw = data[fileformat._PREFIX.size : fileformat._PREFIX.size + hlen]
    start = fileformat._PREFIX.size + hlen
    start += fileformat._pad(start)
    body = data[start:-32]
    header = json.loads(raw)
    if edit is not None:
        edit(header)
    blob = json.dumps(header).encode()
    if text is not None:
        blob = text(blob.decode()).encode()
    prefix = fileformat._PREFIX.pack(magic, version, len(blob))
    head = prefix + blob + b"\0" * fileformat._pad(len(prefix) + len(blob))
    return head + body + hashlib.sha256(head + body).digest()


def refused(path, match):
    with pytest.raises(mlpkit.LoadError, match=match):
        mlpkit.load(path)


def test_a_tiny_file_declaring_a_huge_layer_is_refused_before_any_allocation(valid, tmp_path):
    """3 KB declaring a 20000 x 20000 Dense: refused naming the layer, with under 1 MB
    allocated (before, 4.6 GB of random weights were drawn first)."""
    bad = tmp_path / "huge.mlpk"
    bad.write_bytes(
        resign(valid, lambda h: h["layers"][0].update(in_features=20000, out_features=20000))
    )
    assert bad.stat().st_size < 8000
    tracemalloc.start()
    try:
        refused(
            bad,
            r"layer 0 \(Dense\) needs W of shape \(20000, 20000\); the file holds one of shape \(3, 4\)",
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    bad.write_bytes(resign(valid, lambda h: h["layers"][1].update(num_features=10**9)))
    refused(bad, r"layer 1 \(BatchNorm\) needs gamma of shape \(1000000000,\)")


def test_a_loaded_model_draws_no_random_weights_it_then_overwrites(valid, tmp_path, monkeypatch):
    path = tmp_path / "m.mlpk"
    path.write_bytes(valid)
    drawn = []
    for name in ("HeUniform", "GlorotUniform"):
        cls = getattr(mlpkit.initializers, name)
        real = cls.__call__
        monkeypatch.setattr(
            cls, "__call__", lambda self, *a, _r=real, **k: drawn.append(1) or _r(self, *a, **k)
        )
    net = mlpkit.load(path)
    assert drawn == []
    assert type(net.layers[0].init).__name__ == "HeUniform"  # the layer keeps its initialiser


def test_loading_is_linear_in_the_number_of_layers(tmp_path):
    """Lines of mlpkit run to build and load n layers grow as n, not n² (the
    duplicate-layer check compared every new layer with every earlier one)."""

    def lines_to_load(n):
        net = mlpkit.Sequential([Dense(2, 2), *(mlpkit.Identity() for _ in range(n))])
        net.save(tmp_path / f"{n}.mlpk")
        return count_lines(lambda: mlpkit.load(tmp_path / f"{n}.mlpk"))

    small, large = lines_to_load(200), lines_to_load(2000)
    assert large < 12 * small


def test_the_magic_bytes_are_checked_before_the_file_is_read(tmp_path):
    junk = tmp_path / "big.bin"
    with open(junk, "wb") as f:
        f.truncate(256 << 20)  # 256 MiB of zeros (sparse on disk)
    tracemalloc.start()
    try:
        refused(junk, "bad magic bytes")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_fifo_or_a_device_is_refused_by_name_without_waiting(tmp_path):
    fifo = tmp_path / "pipe.mlpk"
    os.mkfifo(fifo)
    outcome = []
    reader = threading.Thread(target=lambda: outcome.append(_error_of(fifo)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert outcome and "not a regular file but a FIFO" in outcome[0]
    if os.path.exists("/dev/zero"):
        assert "a device or socket" in _error_of("/dev/zero")
    assert "a folder" in _error_of(tmp_path)


def _error_of(path) -> str:
    try:
        mlpkit.load(path)
    except mlpkit.LoadError as exc:
        return str(exc)
    return "loaded"


CRAFTED = {
    "deep nesting": (
        dict(
            text=lambda t: t.replace(
                '"metadata": {}', '"metadata": {"a": ' + "[" * 5000 + "]" * 5000 + "}"
            )
        ),
        "nests deeper than 64",
    ),
    "deep but parseable": (
        dict(
            text=lambda t: t.replace(
                '"metadata": {}', '"metadata": {"a": ' + "[" * 200 + "]" * 200 + "}"
            )
        ),
        "nests deeper than 64",
    ),
    "1e400": (
        dict(text=lambda t: t.replace('"momentum": 0.1', '"momentum": 1e400')),
        "out of range",
    ),
    "400-digit integer": (
        dict(text=lambda t: t.replace('"epochs_trained": 2', '"epochs_trained": ' + "9" * 400)),
        "an integer of 400 digits",
    ),
    "negative epochs": (
        dict(edit=lambda h: h.update(epochs_trained=-3)),
        "epochs_trained must be an integer >= 0",
    ),
    "boolean steps": (
        dict(edit=lambda h: h.update(steps_trained=True)),
        "steps_trained must be an integer >= 0",
    ),
    "history longer than the epochs": (
        dict(edit=lambda h: h["history"].update(loss=[1.0] * 50)),
        "do not fit 2 epochs",
    ),
    "history of strings": (
        dict(edit=lambda h: h["history"].update(loss=["x", "y"])),
        "must be a list of numbers",
    ),
    "unknown step": (dict(edit=lambda h: h.update(step="os.system")), "unknown training step"),
    "negative optimizer count": (
        dict(edit=lambda h: h["optimizer"].update(t=-1)),
        "step count must be an integer",
    ),
    "no layers": (dict(edit=lambda h: h.update(layers=[])), "must be a non-empty list"),
    "a layer that is a string": (
        dict(edit=lambda h: h["layers"].insert(0, "Dense")),
        "each layer must be an object",
    ),
    "a dense layer of zero width": (
        dict(edit=lambda h: h["layers"][0].update(out_features=0)),
        "must be a positive integer",
    ),
    "metrics not names": (
        dict(edit=lambda h: h.update(metrics=[{"a": 1}])),
        "metrics must be a list of names",
    ),
    "a duplicated array": (
        dict(edit=lambda h: h["arrays"].append(dict(h["arrays"][0]))),
        "appears twice",
    ),
    "a bad rng state": (
        dict(edit=lambda h: h["rng"]["state"].update(state=-1)),
        "invalid model description",
    ),
}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_crafted_headers_with_valid_checksums_are_refused_naming_the_cause(valid, tmp_path, case):
    change, message = CRAFTED[case]
    bad = tmp_path / "crafted.mlpk"
    data = resign(valid, **change)
    assert data != valid
    bad.write_bytes(data)
    refused(bad, message)


def _autoencoder_file(tmp_path):
    ae = mlpkit.Autoencoder([4, 3, 2], seed=0)
    ae.fit(np.random.default_rng(0).random((16, 4)), epochs=1, verbose=0)
    path = tmp_path / "ae.mlpk"
    mlpkit.save(ae, path)
    return path.read_bytes()


@pytest.mark.parametrize(("n", "message"), [(-5, "encoder layers"), (0, "encoder layers"), (99, "encoder layers"),
                                            ("2", "encoder layers")])  # fmt: skip
def test_an_autoencoder_file_with_nonsense_encoder_layers_is_refused(tmp_path, n, message):
    data = resign(
        _autoencoder_file(tmp_path), lambda h: h["autoencoder"].update(n_encoder_layers=n)
    )
    bad = tmp_path / "bad-ae.mlpk"
    bad.write_bytes(data)
    refused(bad, message)


# -- a fuzz test: random values at random places of a valid header --------------------
VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**45), 10**45)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value, prefix=()):
    """Every place in a JSON value, as a tuple of keys/indices."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _replace(header, path, value):
    target = header
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                  HealthCheck.too_slow], deadline=None)  # fmt: skip
@given(data=st.data())
def test_fuzzed_headers_load_or_raise_one_load_error(valid, tmp_path, data):
    header = json.loads(valid[fileformat._PREFIX.size :].split(b"\0", 1)[0])
    places = [p for p in _paths(header) if p and p[0] not in ("format",)]
    where = data.draw(st.sampled_from(places))
    value = data.draw(VALUES)
    path = tmp_path / "fuzzed.mlpk"
    path.write_bytes(resign(valid, lambda h: _replace(h, where, value)))
    tracemalloc.start()
    try:
        try:
            mlpkit.load(path)
        except mlpkit.LoadError:
            pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, (where, value)


# -- the command line: one line for every file ---------------------------------------------
@pytest.mark.parametrize("case", ["1e400", "deep nesting", "no layers", "unknown step"])
@pytest.mark.parametrize("command", ["info", "predict", "evaluate", "trace"])
def test_every_command_says_one_line_for_a_crafted_file(valid, tmp_path, case, command):
    change, message = CRAFTED[case]
    bad = tmp_path / "crafted.mlpk"
    bad.write_bytes(resign(valid, **change))
    (tmp_path / "data.csv").write_text("a,b,c\n1,2,3\n")
    args = {"info": [str(bad)], "trace": [str(bad), str(tmp_path / "data.csv"), "--row", "0"]}.get(
        command, [str(bad), str(tmp_path / "data.csv")]
    )
    result = CliRunner().invoke(cli, [command, *args])
    assert result.exit_code == 1, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    assert lines[0].startswith("Error: ") and message.split()[0] in lines[0], lines[0]


def test_a_model_file_with_malformed_metadata_gives_one_line_at_predict(valid, tmp_path):
    """A file that loads as a network but whose CLI metadata is nonsense."""
    bad = tmp_path / "meta.mlpk"
    bad.write_bytes(resign(valid, lambda h: h.update(metadata={"preprocessing": [1, 2, 3]})))
    (tmp_path / "data.csv").write_text("a,b,c\n1,2,3\n")
    for command in ("predict", "evaluate", "info"):
        result = CliRunner().invoke(
            cli, [command, str(bad), str(tmp_path / "data.csv")][: 2 if command == "info" else 3]
        )
        assert result.exit_code == 1 and "Traceback" not in result.output, (command, result.output)
        assert len(result.output.strip().splitlines()) == 1, result.output


def _drop_array(name):
    def edit(h):
        h["arrays"] = [a for a in h["arrays"] if a["name"] != name]

    return edit


#: crafted header -> the whole message after "<path>: "
EXACT = {
    "no layers": (dict(edit=lambda h: h.update(layers=[])),
                  "the header's layers must be a non-empty list"),
    "a layer that is a string": (dict(edit=lambda h: h["layers"].insert(0, "Dense")),
                                 "layer 0: each layer must be an object with a 'type'"),
    "a layer wider than its weights": (
        dict(edit=lambda h: h["layers"][0].update(in_features=5)),
        "layer 0 (Dense) needs W of shape (5, 4); the file holds one of shape (3, 4)"),
    "a layer without its weights": (dict(edit=_drop_array("layer0.W")),
                                    "layer 0 (Dense) needs W of shape (3, 4); the file holds none"),
    "a layer without its running mean": (
        dict(edit=_drop_array("layer1.running_mean")),
        "layer 1 (BatchNorm) needs running_mean of shape (4,); the file holds none"),
    "a layer without its bias": (dict(edit=_drop_array("layer0.b")),
                                 "layer 0 (Dense) needs b of shape (4,); the file holds none"),
    "a layer without its scale": (dict(edit=_drop_array("layer1.gamma")),
                                  "layer 1 (BatchNorm) needs gamma of shape (4,); the file holds none"),
    "weights of another dtype": (dict(edit=lambda h: h.update(dtype="float64")),
                                 "parameter layer0.W is missing or has the wrong shape or dtype"),
    "metrics not names": (dict(edit=lambda h: h.update(metrics=[{"a": 1}])),
                          "metrics must be a list of names"),
    "metrics not a list": (dict(edit=lambda h: h.update(metrics="accuracy")),
                           "metrics must be a list of names"),
    "negative optimizer count": (
        dict(edit=lambda h: h["optimizer"].update(t=-1)),
        "the optimizer's step count must be an integer >= 0, got -1"),
    "metadata not an object": (dict(edit=lambda h: h.update(metadata=[1])),
                               "metadata must be a JSON object"),
    "negative epochs": (dict(edit=lambda h: h.update(epochs_trained=-3)),
                        "epochs_trained must be an integer >= 0, got -3"),
    "boolean steps": (dict(edit=lambda h: h.update(steps_trained=True)),
                      "steps_trained must be an integer >= 0, got True"),
    "a long unknown step": (
        dict(edit=lambda h: h.update(step="s" * 60)),
        f"unknown training step {'s' * 40!r}; one of auto, layers, unrolled, compiled, fused"),
    "history not an object": (dict(edit=lambda h: h.update(history=[1.0])),
                              "history must be an object of lists"),
    "a long history key of strings": (
        dict(edit=lambda h: h["history"].update({"k" * 60: ["x"]})),
        f"history {'k' * 40!r} must be a list of numbers"),
    "history lists of two lengths": (
        dict(edit=lambda h: h["history"].update(loss=[1.0], accuracy=[0.5, 0.6])),
        "history lists of lengths [1, 2] do not fit 2 epochs"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(EXACT))
def test_a_refused_file_is_named_first_then_exactly_what_is_wrong(valid, tmp_path, case):
    change, message = EXACT[case]
    bad = tmp_path / "crafted.mlpk"
    bad.write_bytes(resign(valid, **change))
    with pytest.raises(mlpkit.LoadError) as caught:
        mlpkit.load(bad)
    assert str(caught.value) == f"{bad}: {message}"


def test_a_buffer_of_another_dtype_is_refused_by_name(tmp_path):
    path = tmp_path / "bn.mlpk"
    mlpkit.Sequential([mlpkit.BatchNorm(3, affine=False)], seed=0).save(path)
    bad = tmp_path / "crafted.mlpk"
    bad.write_bytes(resign(path.read_bytes(), lambda h: h.update(dtype="float64")))
    with pytest.raises(mlpkit.LoadError) as caught:
        mlpkit.load(bad)
    assert str(caught.value) == (
        f"{bad}: buffer layer0.running_mean is missing or has the wrong shape or dtype"
    )


def test_optional_header_fields_have_their_documented_defaults(valid, tmp_path):
    """A header without metrics, metadata, counters, step or history (a hand-written
    or older file) loads as a model that has none of them."""

    def strip(h):
        for key in ("metrics", "metadata", "epochs_trained", "steps_trained", "step", "history"):
            h.pop(key, None)

    path = tmp_path / "plain.mlpk"
    path.write_bytes(resign(valid, strip))
    model = mlpkit.load(path)
    assert model.metrics == [] and model.metadata == {}
    assert (model.epochs_trained, model.steps_trained) == (0, 0)
    assert model.train_state.step_request == "auto"


def test_a_history_shorter_than_the_epochs_belongs_to_the_last_ones(valid, tmp_path):
    """Resumed training: 2 epochs trained in all, the last fit's History ran 1 of them."""
    path = tmp_path / "resumed.mlpk"
    path.write_bytes(resign(valid, lambda h: h.update(history={"loss": [0.5]})))
    history = mlpkit.load(path).history
    assert history.epoch == [1] and history.history == {"loss": [0.5]}
    path.write_bytes(resign(valid, lambda h: h.update(history={})))
    assert mlpkit.load(path).history.epoch == []


def test_the_header_says_what_it_holds(tmp_path):
    """The documented top-level fields of a Sequential's file (docs/reference/file-format.md)."""
    net = mlpkit.Sequential([Dense(2, 3, "tanh"), Dense(3, 1, "sigmoid")], seed=4)
    net.train_state.step_request = "layers"
    path = net.save(tmp_path / "m.mlpk")
    header, _, version = fileformat.read(path)
    assert (header["kind"], header["version"], version) == ("Sequential", fileformat.FORMAT_VERSION,
                                                            fileformat.FORMAT_VERSION)  # fmt: skip
    assert header["step"] == "layers" and mlpkit.load(path).train_state.step_request == "layers"
    assert header["optimizer"] is None and header["metadata"] == {}


def test_a_loss_is_saved_with_its_settings(tmp_path):
    net = mlpkit.Sequential([Dense(2, 3, "tanh"), Dense(3, 1)], seed=0)
    x, y = (
        np.random.default_rng(0).normal(size=(8, 2)),
        np.random.default_rng(1).normal(size=(8, 1)),
    )
    net.fit(x, y, loss=mlpkit.losses.Huber(delta=0.25), epochs=1, verbose=0)
    loaded = mlpkit.load(net.save(tmp_path / "h.mlpk"))
    assert repr(loaded.loss) == "Huber(delta=0.25)"


def test_saving_names_what_cannot_be_saved():
    class Shift(mlpkit.Layer):
        def forward(self, x, training=False):
            return x + 1.0

    net = mlpkit.Sequential([Dense(2, 2), Shift()], seed=0)
    with pytest.raises(TypeError) as caught:
        fileformat.save(net, "unused.mlpk")
    assert str(caught.value).startswith("cannot save layer type Shift")
    for thing in (object(), types.SimpleNamespace(network=net), types.SimpleNamespace(layers=[])):
        with pytest.raises(TypeError) as caught:
            mlpkit.save(thing, "unused.mlpk")
        assert str(caught.value) == (
            f"save() takes a Sequential or an Autoencoder, got {type(thing).__name__}"
        )


def test_a_rank_other_than_the_chief_writes_nothing(tmp_path):
    net = mlpkit.Sequential([Dense(2, 2)], seed=0)
    net.train_state.strategy = types.SimpleNamespace(is_chief=False)
    target = tmp_path / "m.mlpk"
    net.save(target)
    assert not target.exists()
    net.train_state.strategy = types.SimpleNamespace(is_chief=True)
    net.save(target)
    assert mlpkit.load(target).get_weights()[0].tolist() == net.get_weights()[0].tolist()


def test_a_loaded_model_has_the_saved_running_statistics(valid, tmp_path):
    path = tmp_path / "m.mlpk"
    path.write_bytes(valid)
    _, arrays, _ = fileformat.read(path)
    buffers = mlpkit.load(path).named_buffers()
    assert set(buffers) == {"layer1.running_mean", "layer1.running_var"}
    for name, value in buffers.items():
        np.testing.assert_array_equal(value, arrays[name])


def _prefix(version=fileformat.FORMAT_VERSION, hlen=0, magic=fileformat.MAGIC):
    return fileformat._PREFIX.pack(magic, version, hlen)


def _table(edit):
    """A header edit of the arrays table (or data_length) of the valid file."""
    return dict(edit=edit)


#: raw bytes, or a header edit of the valid file -> the whole message after "<path>: "
RAW = {
    "five bytes": (lambda v: b"mlpk!", "file is 5 bytes, too short to be an mlpkit model"),
    "text": (lambda v: b"x" * 40, "not an mlpkit model file: bad magic bytes"),
    "a zip": (lambda v: b"PK\x03\x04" + b"\0" * 40,
              "not an mlpkit model file: bad magic bytes (it looks like a zip/.npz archive)"),
    "a pickle": (lambda v: b"\x80\x04" + b"\0" * 40,
                 "not an mlpkit model file: bad magic bytes (it looks like a pickle)"),
    "a newer version": (lambda v: _prefix(version=99) + b"\0" * 40,
                        "format version 99 is not supported: this mlpkit reads versions 1 to 2; "
                        "a newer mlpkit wrote it, upgrade mlpkit"),
    "version 0": (lambda v: _prefix(version=0) + b"\0" * 40,
                  "format version 0 is not supported: this mlpkit reads versions 1 to 2"),
    "a header over the cap": (lambda v: _prefix(hlen=fileformat.MAX_HEADER + 1) + b"\0" * 40,
                              f"header length {fileformat.MAX_HEADER + 1} exceeds the "
                              f"{fileformat.MAX_HEADER}-byte cap"),
    "a header at the cap": (lambda v: _prefix(hlen=fileformat.MAX_HEADER) + b"\0" * 40,
                            f"truncated: header needs {fileformat.MAX_HEADER + 20} bytes, file has 60"),
    "a truncated header": (lambda v: _prefix(hlen=100) + b"{}", "truncated: header needs 120 bytes, file has 22"),
    "a header not UTF-8": (lambda v: _prefix(hlen=2) + b"\xff\xfe",
                           "header is not valid UTF-8: 'utf-8' codec can't decode byte 0xff in "
                           "position 0: invalid start byte"),
    "a header that is a list": (lambda v: _prefix(hlen=2) + b"[]", "header is not an mlpkit header"),
    "trailing bytes": (lambda v: v + b"\0",
                       "file is {size} bytes but the header describes {described} "
                       "(truncated or has trailing bytes)"),
    "a flipped data byte": (lambda v: _flip_data(v),
                            "checksum mismatch: the data section is corrupted"),
    "a flipped last byte": (lambda v: v[:-1] + bytes([v[-1] ^ 1]),
                            "checksum mismatch: the file is corrupted"),
}  # fmt: skip


def _flip_data(valid_bytes):
    """The valid file with one data byte changed and the whole-file digest made right
    again: only the data section's own checksum can tell."""
    data = bytearray(valid_bytes[:-32])
    data[-1] ^= 1
    return bytes(data) + hashlib.sha256(bytes(data)).digest()


@pytest.mark.parametrize("case", list(RAW))
def test_a_file_that_is_not_a_model_is_named_with_exactly_what_is_wrong(valid, tmp_path, case):
    make, message = RAW[case]
    bad = tmp_path / "raw.mlpk"
    bad.write_bytes(make(valid))
    with pytest.raises(mlpkit.LoadError) as caught:
        mlpkit.load(bad)
    expected = message.format(size=len(valid) + 1, described=len(valid) - 32)  # (less the digest)
    assert str(caught.value) == f"{bad}: {expected}"


def _entry(**change):
    def edit(h):
        h["arrays"][0].update(change)

    return edit


TABLE = {
    "no arrays table": (lambda h: h.pop("arrays"), "header lacks a valid arrays table or data_length"),
    "a negative data length": (lambda h: h.update(data_length=-1),
                               "header lacks a valid arrays table or data_length"),
    "an entry that is a number": (lambda h: h["arrays"].insert(0, 7), "malformed entry in the arrays table"),
    "a long duplicated name": (
        lambda h: [a.update(name="n" * 100) for a in h["arrays"][:2]],
        f"array {'n' * 80!r} appears twice in the arrays table"),
    "integers": (_entry(dtype="<i4"),
                 "array 'layer0.W' has unsupported dtype '<i4' (float32/float64 only)"),
    "three axes": (_entry(shape=[3, 1, 4]), "array 'layer0.W' has an invalid shape [3, 1, 4]"),
    "a negative length": (_entry(nbytes=-1), "array 'layer0.W' has an invalid offset/length"),
    "a negative offset": (_entry(offset=-64), "array 'layer0.W' has an invalid offset/length"),
    "bytes for another shape": (_entry(nbytes=44),
                                "array 'layer0.W': shape [3, 4] needs 48 bytes, header says 44"),
    "past the end": (_entry(offset=1 << 20),
                     "array 'layer0.W' extends past the end of the data (1048624 > {length})"),
    "two arrays in one place": (lambda h: h["arrays"][1].update(offset=h["arrays"][0]["offset"]),
                                "arrays 'layer0.b' and 'layer0.W' overlap"),
    "an empty array": (_entry(shape=[0, 4], nbytes=0),
                       "layer 0 (Dense) needs W of shape (3, 4); the file holds one of shape (0, 4)"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(TABLE))
def test_an_arrays_table_that_does_not_fit_is_named_with_exactly_what_is_wrong(
    valid, tmp_path, case
):
    edit, message = TABLE[case]
    bad = tmp_path / "table.mlpk"
    bad.write_bytes(resign(valid, edit))
    length = json.loads(valid[20 : 20 + fileformat._PREFIX.unpack_from(valid)[2]])["data_length"]
    with pytest.raises(mlpkit.LoadError) as caught:
        mlpkit.load(bad)
    assert str(caught.value) == f"{bad}: {message.format(length=length)}"


def test_a_folder_or_a_device_is_named_for_what_it_is(tmp_path):
    with pytest.raises(mlpkit.LoadError) as caught:
        mlpkit.load(tmp_path)
    assert (
        str(caught.value)
        == f"{tmp_path}: not a regular file but a folder; a model is read from a file"
    )
    if os.path.exists("/dev/null"):
        with pytest.raises(mlpkit.LoadError) as caught:
            mlpkit.load("/dev/null")
        assert str(caught.value) == (
            "/dev/null: not a regular file but a device or socket; a model is read from a file"
        )


def test_saving_into_a_folder_names_the_model_file(tmp_path):
    with pytest.raises(ValueError) as caught:
        mlpkit.Sequential([Dense(2, 2)], seed=0).save(tmp_path)
    assert (
        str(caught.value) == f"{tmp_path}: the model file is a folder; give a file name inside it"
    )


def test_a_loss_without_settings_and_a_layer_that_builds_nothing_load(valid, tmp_path):
    path = tmp_path / "m.mlpk"
    path.write_bytes(resign(valid, lambda h: h.update(loss={"name": "mse"})))
    assert repr(mlpkit.load(path).loss) == "MeanSquaredError()"
    net = mlpkit.Sequential(
        [mlpkit.InputFeatures(["x1", "x1*x2"], in_features=2), Dense(2, 1)], seed=0
    )
    again = mlpkit.load(net.save(tmp_path / "features.mlpk"))
    x = np.array([[1.0, 2.0], [3.0, -1.0]], np.float32)
    np.testing.assert_array_equal(again.predict(x), net.predict(x))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda h: h["layers"][0].update(activation="swoosh"),
         "unknown activation 'swoosh' (none of that name is registered here): define its class "
         "and call mlpkit.register_activation(TheClass) before loading"),
        (lambda h: h.update(loss={"name": "focal"}),
         "unknown loss 'focal' (none of that name is registered here): define its class and "
         "call mlpkit.register_loss(TheClass) before loading"),
        (lambda h: h["layers"][0].update(init={"name": "orthogonal", "config": {}}),
         "unknown initializer 'orthogonal' (none of that name is registered here): it is not "
         "part of this mlpkit"),
        (lambda h: h["layers"][0].update(type="Conv2d"), "layer 0 (Conv2d): unknown layer type 'Conv2d'"),
    ],
)  # fmt: skip
def test_an_unknown_name_says_how_to_make_it_known(valid, tmp_path, edit, message):
    path = tmp_path / "m.mlpk"
    path.write_bytes(resign(valid, edit))
    with pytest.raises(mlpkit.LoadError) as caught:
        mlpkit.load(path)
    assert str(caught.value) == f"{path}: {message}"


def test_a_layer_that_cannot_be_built_names_its_index_kind_and_reason(valid, tmp_path):
    path = tmp_path / "m.mlpk"
    path.write_bytes(resign(valid, lambda h: h["layers"][0].update(out_features=0)))
    with pytest.raises(mlpkit.LoadError) as caught:
        mlpkit.load(path)
    assert str(caught.value) == (
        f"{path}: layer 0 (Dense): Dense out_features must be a positive integer, got 0"
    )


def test_an_invalid_description_names_the_error_in_at_most_200_characters(valid, tmp_path):
    path = tmp_path / "m.mlpk"
    path.write_bytes(resign(valid, lambda h: h["rng"]["state"].update(state="s" * 500)))
    with pytest.raises(mlpkit.LoadError) as caught:
        mlpkit.load(path)
    text = str(caught.value)
    prefix = f"{path}: invalid model description in header: "
    assert text.startswith(prefix)
    kind, _, detail = text[len(prefix) :].partition(": ")
    assert kind in {"ValueError", "TypeError"} and 0 < len(detail) <= 200
