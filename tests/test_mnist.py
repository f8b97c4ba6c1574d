"""The MNIST IDX loader, on tiny files the tests write (never the network)."""

from __future__ import annotations

import gzip
import hashlib
import io
import struct

import numpy as np
import pytest

from mlpkit import datasets


def idx_bytes(arr: np.ndarray, type_code: int = 0x08) -> bytes:
    return (
        struct.pack(">BBBB", 0, 0, type_code, arr.ndim)
        + struct.pack(f">{arr.ndim}I", *arr.shape)
        + arr.tobytes()
    )


def write_mnist(folder, n=12, kind="train", gz=True, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    names = {k[1]: v[0] for k, v in datasets.MNIST_FILES.items() if k[0] == kind}
    for part, arr in (("images", images), ("labels", labels)):
        data = idx_bytes(arr)
        name = names[part] if gz else names[part].removesuffix(".gz")
        (folder / name).write_bytes(gzip.compress(data) if gz else data)
    return images, labels


@pytest.mark.parametrize("gz", [True, False])
def test_reads_idx_files_gzipped_or_not(tmp_path, gz):
    images, labels = write_mnist(tmp_path, gz=gz)
    x, y = datasets.load_mnist(tmp_path, "train")
    assert x.shape == (12, 784) and x.dtype == np.float32
    np.testing.assert_allclose(x, images.reshape(12, -1) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)


def test_other_idx_types(tmp_path):
    arr = np.arange(6, dtype=">i4").reshape(2, 3)
    (tmp_path / "a.idx").write_bytes(idx_bytes(arr, 0x0C))
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "a.idx"), arr)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"\x00\x00\x08", "bad magic"),
        (b"\x12\x34\x08\x01\x00\x00\x00\x01\x00", "bad magic"),
        (b"\x00\x00\x08\x03\x00\x00", "truncated"),
        (
            struct.pack(">BBBBI", 0, 0, 8, 1, 10) + b"\x00" * 9,
            r"declares shape \(10,\) \(10 bytes\) but holds 9",
        ),
        (b"\x1f\x8b" + b"junk", "corrupt gzip"),
    ],
)
def test_malformed_idx_files_are_refused(tmp_path, payload, message):
    path = tmp_path / "bad.idx"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match=message):
        datasets.read_idx(path)


def test_missing_files_say_what_to_do(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match=r"train-images-idx3-ubyte.gz not found in .*load_mnist\(download=True\)",
    ):
        datasets.load_mnist(tmp_path)
    with pytest.raises(ValueError, match="kind must be"):
        datasets.load_mnist(tmp_path, "valid")


def test_a_missing_file_s_message_says_where_and_both_ways_to_get_it(tmp_path):
    with pytest.raises(FileNotFoundError) as caught:
        datasets.load_mnist(tmp_path)
    assert str(caught.value) == (
        f"train-images-idx3-ubyte.gz not found in {tmp_path}; put the MNIST IDX files there or "
        "call load_mnist(download=True)"
    )


def test_mismatched_files_are_refused(tmp_path):
    write_mnist(tmp_path, n=12)
    labels = np.zeros(5, np.uint8)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    with pytest.raises(ValueError, match="disagree"):
        datasets.load_mnist(tmp_path)


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_download_verifies_the_checksum_before_saving(tmp_path, monkeypatch):
    source = tmp_path / "source"
    source.mkdir()
    images, labels = write_mnist(source, n=4, kind="test")
    served = {
        name: (source / name).read_bytes()
        for name in (v[0] for k, v in datasets.MNIST_FILES.items() if k[0] == "test")
    }
    requested = []

    def fake_urlopen(url, timeout):
        requested.append(url)
        return FakeResponse(served[url.rsplit("/", 1)[1]])

    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    cache = tmp_path / "cache"
    # the served bytes are not the real MNIST: the published MD5 does not match
    with pytest.raises(ValueError, match="has MD5 .* expected .*; not saved"):
        datasets.load_mnist(cache, "test", download=True)
    assert not cache.exists() or not any(cache.iterdir())
    # with the checksums of what is served, the download is kept and loaded
    patched = {
        k: (v[0], hashlib.md5(served[v[0]]).hexdigest()) if k[0] == "test" else v
        for k, v in datasets.MNIST_FILES.items()
    }
    monkeypatch.setattr(datasets, "MNIST_FILES", patched)
    x, y = datasets.load_mnist(cache, "test", download=True)
    np.testing.assert_array_equal(y, labels)
    np.testing.assert_allclose(x, images.reshape(4, -1) / 255.0, rtol=1e-6)
    assert all(u.startswith(datasets.MNIST_MIRROR) for u in requested)
    assert sorted(p.name for p in cache.iterdir()) == [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]


def test_the_default_folder_is_mlpkit_data_or_the_user_cache(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "mnist").mkdir(parents=True)
    _, labels = write_mnist(data / "mnist", n=3)
    monkeypatch.setenv("MLPKIT_DATA", str(data))
    np.testing.assert_array_equal(datasets.load_mnist()[1], labels)
    monkeypatch.delenv("MLPKIT_DATA")
    home = tmp_path / "home"
    cache = home / ".cache" / "mlpkit" / "mnist"
    cache.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(FileNotFoundError, match=f"not found in {cache}; "):
        datasets.load_mnist()
    _, other = write_mnist(cache, n=5, seed=1)
    np.testing.assert_array_equal(datasets.load_mnist()[1], other)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pixels_are_scaled_in_the_dtype_asked_for_and_labels_are_int64(tmp_path, dtype):
    images, _ = write_mnist(tmp_path, n=4)
    x, y = datasets.load_mnist(tmp_path, dtype=dtype)
    assert x.dtype == np.dtype(dtype) and y.dtype == np.int64
    np.testing.assert_array_equal(x, images.reshape(4, -1).astype(dtype) / np.array(255.0, dtype))
    assert x.max() <= 1.0 and x.min() >= 0.0


def test_images_that_are_not_a_stack_of_pictures_are_refused(tmp_path):
    write_mnist(tmp_path, n=4)
    flat = np.zeros((4, 784), np.uint8)  # as many rows as labels, but 2-D
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(flat)))
    with pytest.raises(ValueError, match=r"disagree: images \(4, 784\), labels \(4,\)"):
        datasets.load_mnist(tmp_path)


@pytest.mark.parametrize(
    "payload",
    [
        b"\x00\x01\x08\x01" + struct.pack(">I", 1) + b"\x00",  # second magic byte not 0
        b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00",  # first magic byte not 0
        b"\x00\x00\x07\x01" + struct.pack(">I", 1) + b"\x00",  # no such type
    ],
)
def test_a_magic_number_off_by_one_byte_is_refused(tmp_path, payload):
    path = tmp_path / "bad.idx"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match="not an IDX file"):
        datasets.read_idx(path)


def test_a_header_without_dimensions_is_truncated_and_an_empty_array_reads(tmp_path):
    path = tmp_path / "a.idx"
    path.write_bytes(b"\x00\x00\x08\x00")
    with pytest.raises(ValueError, match="IDX header is truncated"):
        datasets.read_idx(path)
    for shape in ((0,), (0, 3)):
        path.write_bytes(idx_bytes(np.zeros(shape, np.uint8)))
        assert datasets.read_idx(path).shape == shape


def test_big_endian_values_come_back_in_native_order(tmp_path):
    arr = np.array([[1, -2], [300, 70000]], dtype=">i4")
    (tmp_path / "a.idx").write_bytes(idx_bytes(arr, 0x0C))
    got = datasets.read_idx(tmp_path / "a.idx")
    assert got.dtype == np.dtype(np.int32) and got.dtype.isnative
    assert got.tolist() == [[1, -2], [300, 70000]]


def test_a_download_gives_up_after_a_bounded_wait(tmp_path, monkeypatch):
    timeouts = []

    def fake_urlopen(url, timeout):
        timeouts.append(timeout)
        raise OSError("unreachable")

    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    with pytest.raises(OSError, match="unreachable"):
        datasets.load_mnist(tmp_path, download=True)
    assert len(timeouts) == 1 and 0 < timeouts[0] <= 120
