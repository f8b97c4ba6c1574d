"""The .mlpk file: a small JSON header followed by raw little-endian arrays.

Layout (all integers little-endian)::

    0   8 bytes   magic  b"\\x89MLPKIT\\n"
    8   uint32    format version (2; version 1 files load too)
    12  uint64    header length H (at most 16 MiB)
    20  H bytes   UTF-8 JSON header
    ..  padding   zeros up to a multiple of 64
    D   data      the arrays, each at a 64-byte aligned offset from D
    end 32 bytes  SHA-256 of every byte before it (header included)

The header names the architecture (each layer's ``get_config()`` and type), dtype,
loss, optimizer (settings, step and state per parameter name, PyTorch's state names),
the random generator's state, the epochs/steps trained, and an ``arrays`` table of
{name, dtype, shape, offset, nbytes}; ``data_sha256`` is the SHA-256 of the data
section, and the file ends with the SHA-256 of everything before it, so a flipped
byte anywhere — weights or metadata — is caught. Loading never executes anything
(no pickle, no eval) and checks everything before it allocates an array: magic,
version, header size, JSON well-formedness, every array's dtype (float32/float64
only), shape, offset and length against the file size, no overlaps, then the
checksums. Any problem raises :class:`LoadError`.

Writes are atomic (``mlpkit._files``): an unpredictable temporary file in the same
folder, locked, given its permissions on the file itself, flushed and fsynced, then
renamed over the target, so a crash leaves the old file or the new one, never half; the
temporary files of killed saves of the same target are removed by the next save.

This module writes models into that layout and reads it back with every check; turning
a header back into a model is :mod:`mlpkit.io`'s ``load``. It knows the model only
through its public methods, so the model can offer ``model.save(path)``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import stat
import struct
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np

from ._backend import to_numpy
from ._files import write_atomic
from ._validation import parse_json

__all__ = ["FORMAT_VERSION", "MAGIC", "LoadError", "read", "save", "write"]

MAGIC = b"\x89MLPKIT\n"
#: 2: optimizer state by parameter name with PyTorch's state names (1: one packed vector)
FORMAT_VERSION = 2
_READABLE = (1, 2)
MAX_HEADER = 16 * 1024 * 1024
ALIGN = 64
_PREFIX = struct.Struct("<8sIQ")
_DTYPES: dict[str, np.dtype[Any]] = {"<f4": np.dtype("<f4"), "<f8": np.dtype("<f8")}
_DIGEST = 32  # bytes of the trailing SHA-256


class LoadError(ValueError):
    """A model file is malformed, corrupted, truncated or not an mlpkit model.

    Examples
    --------
    >>> import mlpkit
    >>> open("not-a-model.mlpk", "wb").write(b"hello")
    5
    >>> try:
    ...     mlpkit.load("not-a-model.mlpk")
    ... except mlpkit.LoadError as error:
    ...     print("refused")
    refused
    """


def _pad(n: int) -> int:
    return (-n) % ALIGN


# -- saving -------------------------------------------------------------------------------
def _layer_spec(layer: Any) -> dict[str, Any]:
    if not layer.config_type:
        raise TypeError(f"cannot save layer type {type(layer).__name__}")
    return {"type": layer.config_type, **layer.get_config()}


def _collect(model: Any) -> tuple[dict[str, Any], list[tuple[str, np.ndarray]]]:
    arrays: list[tuple[str, np.ndarray]] = [
        *model.named_parameters().items(),
        *model.named_buffers().items(),
    ]
    header: dict[str, Any] = {
        "format": "mlpkit",
        "version": FORMAT_VERSION,
        "kind": "Sequential",
        "dtype": model.dtype.name,
        "seed": model.seed,
        "layers": [_layer_spec(layer) for layer in model.layers],
        "loss": None
        if model.loss is None
        else {"name": model.loss.name, "config": model.loss.get_config()},
        "metrics": [m for m in model.metrics if isinstance(m, str)],
        "rng": model.rng.bit_generator.state,
        "metadata": getattr(model, "metadata", {}),
        "epochs_trained": model.epochs_trained,
        "steps_trained": model.steps_trained,
        # the step a later fit continues on (a step asked for by name; "auto" otherwise)
        "step": model.train_state.step_request,
        "optimizer": None,
    }
    if model.optimizer is not None:
        sd = model.optimizer.state_dict()
        refs: dict[str, dict[str, str]] = {}
        for param, entries in sd["state"].items():
            refs[str(param)] = {}
            for k, v in entries.items():
                name = f"optimizer.{param}.{k}"
                refs[str(param)][k] = name
                arrays.append((name, v))
        header["optimizer"] = {
            "name": sd["name"],
            "config": sd["config"],
            "t": sd["t"],
            "state": refs,
        }
    if model.history is not None:
        header["history"] = {
            k: [float(v) for v in vals] for k, vals in model.history.history.items()
        }
    return header, arrays


def save(model: Any, path: str | os.PathLike[str]) -> Path:
    """Write a Sequential or an Autoencoder to ``path``, atomically.

    The file holds the architecture, the loss, the optimizer and its state, the random
    generator's state and the History: training resumed after :func:`mlpkit.load` is
    bit-identical to training straight through. Under data-parallel training only rank 0
    writes.

    Parameters
    ----------
    model : Sequential or Autoencoder
        The model to write.
    path : str or PathLike
        The file; a temporary file beside it is renamed over it, so a crash leaves the
        old file or the new one.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    TypeError
        ``model`` is neither a Sequential nor an Autoencoder, or holds a layer that
        cannot be saved.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> path = mlpkit.save(net, "moons.mlpk")
    >>> path.name, mlpkit.load(path).layers[1].W.shape
    ('moons.mlpk', (8, 2))
    """
    network, extra = model, None
    if hasattr(model, "network") and hasattr(model, "from_network"):  # an Autoencoder
        network, extra = model.network, model.get_config()
    if not hasattr(network, "named_parameters") or not hasattr(network, "layers"):
        raise TypeError(f"save() takes a Sequential or an Autoencoder, got {type(model).__name__}")
    strategy = getattr(getattr(network, "train_state", None), "strategy", None)
    if strategy is not None and not strategy.is_chief:
        return Path(path)  # trained data-parallel: rank 0 writes the one file
    header, arrays = _collect(network)
    if extra is not None:
        header["kind"], header["autoencoder"] = "Autoencoder", extra
    return write(path, header, arrays)


def write(
    path: str | os.PathLike[str], header: dict[str, Any], arrays: list[tuple[str, np.ndarray]]
) -> Path:
    """Write ``header`` (JSON values) and named ``arrays`` as one file, atomically.
    Arrays of another library (a model trained on a GPU) are read back to the host."""
    arrays = [(name, to_numpy(arr)) for name, arr in arrays]
    table: list[dict[str, Any]] = []
    offset = 0
    for name, arr in arrays:
        a = np.ascontiguousarray(arr)
        le = a.dtype.newbyteorder("<")
        table.append(
            {
                "name": name,
                "dtype": le.str,
                "shape": list(a.shape),
                "offset": offset,
                "nbytes": a.nbytes,
            }
        )
        offset += a.nbytes + _pad(a.nbytes)
    header["arrays"] = table
    header["data_length"] = offset
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    for (_, arr), entry in zip(arrays, table, strict=True):
        raw = np.ascontiguousarray(arr, dtype=np.dtype(entry["dtype"])).tobytes()
        chunk = raw + b"\0" * _pad(len(raw))
        digest.update(chunk)
        chunks.append(chunk)
    header["data_sha256"] = digest.hexdigest()
    try:
        blob = json.dumps(header, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"cannot save: model.metadata must hold finite JSON values (str, numbers, lists, dicts): {exc}"
        ) from None
    prefix = _PREFIX.pack(MAGIC, FORMAT_VERSION, len(blob))
    head = prefix + blob + b"\0" * _pad(len(prefix) + len(blob))

    trailer = hashlib.sha256(head)
    for chunk in chunks:
        trailer.update(chunk)

    def fill(f: Any) -> None:
        f.write(head)
        for chunk in chunks:
            f.write(chunk)
        f.write(trailer.digest())

    return write_atomic(path, fill, "model file")


# -- reading --------------------------------------------------------------------------
def _fail(path: Path, what: str) -> LoadError:
    return LoadError(f"{path}: {what}")


#: what a header's JSON may hold: nesting this deep at most, integers of at most this
#: many digits (the random generator's 128-bit state has 39), finite floats only
MAX_DEPTH = 64
MAX_INT_DIGITS = 40


def parse_header(path: Path, raw: bytes) -> dict[str, Any]:
    """The header's JSON, within limits (``MAX_DEPTH``, ``MAX_INT_DIGITS``, finite
    numbers): anything else is a LoadError, never a RecursionError or an overflow."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(path, f"header is not valid UTF-8: {exc}") from None
    try:
        header = parse_json(text, MAX_DEPTH, MAX_INT_DIGITS)
    except (ValueError, MemoryError) as exc:
        raise _fail(path, f"header is not valid JSON: {exc}") from None
    if not isinstance(header, dict) or header.get("format") != "mlpkit":
        raise _fail(path, "header is not an mlpkit header")
    return header


def _check_prefix(path: Path, prefix: bytes, size: int) -> int:
    """The header's length, after the magic bytes and the version are checked."""
    if len(prefix) < _PREFIX.size:
        raise _fail(path, f"file is {size} bytes, too short to be an mlpkit model")
    magic, version, hlen = _PREFIX.unpack_from(prefix)
    if magic != MAGIC:
        hint = (
            " (it looks like a pickle)"
            if prefix[:1] == b"\x80"
            else (" (it looks like a zip/.npz archive)" if prefix[:2] == b"PK" else "")
        )
        raise _fail(path, f"not an mlpkit model file: bad magic bytes{hint}")
    if version not in _READABLE:
        raise _fail(
            path,
            f"format version {version} is not supported: this mlpkit reads versions "
            f"{_READABLE[0]} to {_READABLE[-1]}"
            + ("; a newer mlpkit wrote it, upgrade mlpkit" if version > FORMAT_VERSION else ""),
        )
    if hlen > MAX_HEADER:
        raise _fail(path, f"header length {hlen} exceeds the {MAX_HEADER}-byte cap")
    if _PREFIX.size + hlen > size:
        raise _fail(path, f"truncated: header needs {_PREFIX.size + hlen} bytes, file has {size}")
    return int(hlen)


def _is_int(v: Any) -> TypeGuard[int]:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_table(
    path: Path, header: dict[str, Any], data_start: int, size: int
) -> list[dict[str, Any]]:
    table = header.get("arrays")
    length = header.get("data_length")
    if not isinstance(table, list) or not _is_int(length) or length < 0:
        raise _fail(path, "header lacks a valid arrays table or data_length")
    if data_start + length + _DIGEST != size:
        raise _fail(
            path,
            f"file is {size} bytes but the header describes {data_start + length} "
            "(truncated or has trailing bytes)",
        )
    spans = []
    names = set()
    for entry in table:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise _fail(path, "malformed entry in the arrays table")
        name, dt, shape = entry["name"], entry.get("dtype"), entry.get("shape")
        off, nbytes = entry.get("offset"), entry.get("nbytes")
        if name in names:
            raise _fail(path, f"array {name[:80]!r} appears twice in the arrays table")
        names.add(name)
        if not isinstance(dt, str) or dt not in _DTYPES:
            raise _fail(path, f"array {name[:80]!r} has unsupported dtype {str(dt)[:40]!r} "
                              "(float32/float64 only)")  # fmt: skip
        if (
            not isinstance(shape, list)
            or len(shape) > 2
            or not all(_is_int(s) and s >= 0 for s in shape)
        ):
            raise _fail(path, f"array {name!r} has an invalid shape {shape!r}")
        if not (_is_int(off) and _is_int(nbytes)) or off < 0 or nbytes < 0 or off % ALIGN:
            raise _fail(path, f"array {name!r} has an invalid offset/length")
        expected = math.prod(shape) * _DTYPES[dt].itemsize
        if expected != nbytes:
            raise _fail(
                path, f"array {name!r}: shape {shape} needs {expected} bytes, header says {nbytes}"
            )
        if off + nbytes > length:
            raise _fail(
                path, f"array {name!r} extends past the end of the data ({off + nbytes} > {length})"
            )
        spans.append((off, off + nbytes, name))
    spans.sort()
    for (_, end_a, a), (start_b, _, b) in itertools.pairwise(spans):
        if start_b < end_a:
            raise _fail(path, f"arrays {a!r} and {b!r} overlap")
    return table


def _open_regular(path: Path) -> tuple[int, int]:
    """(file descriptor, size) of a regular file; anything else (a FIFO, a device, a
    folder) is refused by name before a byte is read, so nothing waits on it."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise LoadError(f"{path}: cannot read: {exc.strerror or exc}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(info.st_mode) else "a folder"
                if stat.S_ISDIR(info.st_mode) else "a device or socket")  # fmt: skip
        raise LoadError(f"{path}: not a regular file but {kind}; a model is read from a file")
    return fd, int(info.st_size)


def _read_exactly(f: Any, n: int, path: Path) -> bytes:
    data: bytes = f.read(n)
    if len(data) != n:
        raise _fail(path, f"truncated while reading: wanted {n} bytes, got {len(data)}")
    return data


def read(path: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, np.ndarray], int]:
    """Read and check a file written by :func:`write`: (header, arrays by name, format
    version). Raises LoadError for any malformed, truncated or corrupted file.

    The file is read in order and checked as it goes: the magic bytes and version (20
    bytes), the header's length against the file's size, the header (JSON within
    limits), every array it declares against the bytes really there — and only then is
    the data section read, at most the file's own size, its checksums checked."""
    p = Path(path)
    fd, size = _open_regular(p)
    with os.fdopen(fd, "rb") as f:
        prefix = f.read(_PREFIX.size)
        hlen = _check_prefix(p, prefix, size)
        raw = _read_exactly(f, hlen, p)
        header = parse_header(p, raw)
        end = _PREFIX.size + hlen
        data_start = end + _pad(end)
        table = _check_table(p, header, data_start, size)
        rest = _read_exactly(f, size - end, p)  # padding, data and digest: backed by the file
    whole = hashlib.sha256(prefix)
    whole.update(raw)
    view = memoryview(rest)
    whole.update(view[:-_DIGEST])
    if whole.digest() != rest[-_DIGEST:]:
        raise _fail(p, "checksum mismatch: the file is corrupted")
    section = view[data_start - end : -_DIGEST]
    if hashlib.sha256(section).hexdigest() != header.get("data_sha256"):
        raise _fail(p, "checksum mismatch: the data section is corrupted")
    arrays = {}
    for entry in table:
        off, nbytes = entry["offset"], entry["nbytes"]
        raw_array = section[off : off + nbytes]
        arrays[entry["name"]] = (
            np.frombuffer(raw_array, dtype=_DTYPES[entry["dtype"]]).reshape(entry["shape"]).copy()
        )
    return header, arrays, _PREFIX.unpack_from(prefix)[1]
