"""Small data sets for examples and tests. Every generator takes a ``seed`` and draws
from its own ``numpy.random.Generator``.

``load_digits`` reads the 8×8 handwritten digits bundled with mlpkit (1,797 images,
pixel values 0–16; the UCI "Optical Recognition of Handwritten Digits" test set, the
same file scikit-learn ships, CC BY 4.0).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ._files import write_atomic

__all__ = [
    "circles",
    "from_one_hot",
    "gaussian_surface",
    "gaussians",
    "load_digits",
    "moons",
    "one_hot",
    "plane",
    "regression_1d",
    "spirals",
    "train_test_split",
    "xor",
]


def _check_noise(noise: float) -> None:
    """Every generator's noise is a standard deviation: 0 or more."""
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")


def xor(
    repeat: int = 1, dtype: str = "float32", noise: float = 0.0, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The XOR truth table in Chapter 1's row order: X (4·repeat, 2), y (4·repeat,).

    (1,0)→1, (0,0)→0, (0,1)→1, (1,1)→0. ``noise`` > 0 adds N(0, noise²) to every
    coordinate (drawn from ``seed``): clouds around the four corners.

    Parameters
    ----------
    repeat : int, default 1
        Copies of the four rows.
    dtype : str, default "float32"
        X's dtype.
    noise : float, default 0.0
        Added to every coordinate.
    seed : int or None, default 0
        Seeds the draw (None: fresh randomness).

    Returns
    -------
    (ndarray of shape (4·repeat, 2), ndarray of shape (4·repeat,))
        X and y.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.xor()
    >>> X.tolist(), y.tolist()
    ([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [1, 0, 1, 0])
    """
    _check_noise(noise)
    x = np.tile(np.array([[1, 0], [0, 0], [0, 1], [1, 1]], dtype=dtype), (repeat, 1))
    if noise:
        x += np.random.default_rng(seed).normal(0.0, noise, x.shape).astype(dtype)
    return x, np.tile(np.array([1, 0, 1, 0], dtype=np.int64), repeat)


def load_digits(dtype: str = "float32", scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The bundled 8×8 digits: X (1797, 64), y (1797,) with labels 0–9.

    ``scale=True`` divides pixels by 16 so they lie in [0, 1].

    Parameters
    ----------
    dtype : str, default "float32"
        X's dtype.
    scale : bool, default True
        Divide the pixels (0–16) by 16.

    Returns
    -------
    (ndarray of shape (1797, 64), ndarray of shape (1797,))
        The images as rows and their labels.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.load_digits()
    >>> X.shape, float(X.max()), sorted(set(y.tolist()))[:3]
    ((1797, 64), 1.0, [0, 1, 2])
    """
    raw = resources.files("mlpkit").joinpath("data", "digits.csv.gz").read_bytes()
    table = np.loadtxt(gzip.decompress(raw).decode("ascii").splitlines(), delimiter=",")
    x = table[:, :-1].astype(dtype)
    if scale:
        x /= 16.0
    return x, table[:, -1].astype(np.int64)


def spirals(
    n_samples: int = 600,
    n_classes: int = 3,
    noise: float = 0.2,
    seed: int | None = 0,
    angle: float = 4.0,
    radius: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one class each: X (n, 2), y (n,). Each arm turns through
    ``angle`` radians from the centre out to ``radius`` (4.0 and 1 by default; 9 and 3,
    nearly one and a half turns over TensorFlow Playground's scale, is a spiral a single
    small hidden layer cannot separate and two layers of 8 can).

    Parameters
    ----------
    n_samples : int, default 600
        The number of points.
    n_classes : int, default 3
        The number of arms.
    noise : float, default 0.2
        Gaussian noise's standard deviation.
    seed : int or None, default 0
        Seeds the draw (None: fresh randomness).
    angle : float, default 4.0
        The radians each arm turns.
    radius : float, default 1.0
        Its outer radius.

    Returns
    -------
    (ndarray of shape (n, 2), ndarray of shape (n,))
        X and the class labels y.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.spirals(100, seed=0)
    >>> X.shape, y.shape, X.dtype
    ((99, 2), (99,), dtype('float32'))
    """
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    per = n_samples // n_classes
    xs, ys = [], []
    for k in range(n_classes):
        r = np.linspace(0.05, 1.0, per) * radius
        start = k * 2 * np.pi / n_classes
        theta = np.linspace(start, start + angle, per)
        theta = theta + rng.normal(0.0, noise, per)
        xs.append(np.c_[r * np.sin(theta), r * np.cos(theta)])
        ys.append(np.full(per, k))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int64)


def moons(
    n_samples: int = 400, noise: float = 0.1, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles.

    Parameters
    ----------
    n_samples : int, default 400
        The number of points.
    noise : float, default 0.1
        Gaussian noise's standard deviation.
    seed : int or None, default 0
        Seeds the draw (None: fresh randomness).

    Returns
    -------
    (ndarray of shape (n, 2), ndarray of shape (n,))
        X and the class labels y.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(100, seed=0)
    >>> X.shape, y.shape, X.dtype
    ((100, 2), (100,), dtype('float32'))
    """
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    n1 = n_samples // 2
    n2 = n_samples - n1
    t1, t2 = np.linspace(0, np.pi, n1), np.linspace(0, np.pi, n2)
    x = np.r_[np.c_[np.cos(t1), np.sin(t1)], np.c_[1 - np.cos(t2), 0.5 - np.sin(t2)]]
    x += rng.normal(0.0, noise, x.shape)
    return x.astype(np.float32), np.r_[np.zeros(n1), np.ones(n2)].astype(np.int64)


def circles(
    n_samples: int = 400, noise: float = 0.05, factor: float = 0.5, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A small circle inside a large one (1 = inner).

    Parameters
    ----------
    n_samples : int, default 400
        The number of points.
    noise : float, default 0.05
        Gaussian noise's standard deviation.
    factor : float, default 0.5
        The inner circle's radius relative to the outer's.
    seed : int or None, default 0
        Seeds the draw (None: fresh randomness).

    Returns
    -------
    (ndarray of shape (n, 2), ndarray of shape (n,))
        X and the class labels y.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.circles(100, seed=0)
    >>> X.shape, y.shape, X.dtype
    ((100, 2), (100,), dtype('float32'))
    """
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    n1 = n_samples // 2
    n2 = n_samples - n1
    t1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
    t2 = np.linspace(0, 2 * np.pi, n2, endpoint=False)
    x = np.r_[np.c_[np.cos(t1), np.sin(t1)], factor * np.c_[np.cos(t2), np.sin(t2)]]
    x += rng.normal(0.0, noise, x.shape)
    return x.astype(np.float32), np.r_[np.zeros(n1), np.ones(n2)].astype(np.int64)


def gaussians(
    n_samples: int = 400, noise: float = 0.1, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clouds, at (−1, −1) (class 0) and (1, 1) (class 1), each of
    standard deviation 0.3 + noise (they overlap as noise grows): X (n, 2), y (n,).

    Parameters
    ----------
    n_samples : int, default 400
        The number of points.
    noise : float, default 0.1
        Added to each cloud's standard deviation of 0.3.
    seed : int or None, default 0
        Seeds the draw (None: fresh randomness).

    Returns
    -------
    (ndarray of shape (n, 2), ndarray of shape (n,))
        X and the class labels y.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.gaussians(100, seed=0)
    >>> X.shape, y.shape, X.dtype
    ((100, 2), (100,), dtype('float32'))
    """
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    n1 = n_samples // 2
    y = np.r_[np.zeros(n1), np.ones(n_samples - n1)].astype(np.int64)
    centre = np.where(y[:, None] == 1, 1.0, -1.0)
    x = centre + rng.normal(0.0, 0.3 + noise, (n_samples, 2))
    return x.astype(np.float32), y


def plane(
    n_samples: int = 400, noise: float = 0.0, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A tilted plane to regress: X uniform on [−1, 1]² (n, 2), y = (x₁ + 2x₂)/3 plus
    N(0, noise²) (n, 1) — a linear model's task, the first of the regression lessons.

    Parameters
    ----------
    n_samples : int, default 400
        The number of points.
    noise : float, default 0.0
        The targets' noise.
    seed : int or None, default 0
        Seeds the draw (None: fresh randomness).

    Returns
    -------
    (ndarray of shape (n, 2), ndarray of shape (n, 1))
        X and the targets y.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.plane(100, seed=0)
    >>> X.shape, y.shape, X.dtype
    ((100, 2), (100, 1), dtype('float32'))
    """
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n_samples, 2))
    y = (x[:, :1] + 2.0 * x[:, 1:]) / 3.0 + rng.normal(0.0, noise, (n_samples, 1))
    return x.astype(np.float32), y.astype(np.float32)


#: gaussian_surface's bumps: (centre x₁, centre x₂, height)
SURFACE_BUMPS = ((-0.5, -0.5, 1.0), (0.5, 0.5, 1.0), (-0.5, 0.5, -1.0), (0.5, -0.5, -1.0))


def gaussian_surface(
    n_samples: int = 400, noise: float = 0.0, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A surface of four Gaussian bumps on [−1, 1]², two up and two down
    (``SURFACE_BUMPS``, width 0.3): X uniform (n, 2), y (n, 1) plus N(0, noise²) —
    a regression that needs hidden units.

    Parameters
    ----------
    n_samples : int, default 400
        The number of points.
    noise : float, default 0.0
        The targets' noise.
    seed : int or None, default 0
        Seeds the draw (None: fresh randomness).

    Returns
    -------
    (ndarray of shape (n, 2), ndarray of shape (n, 1))
        X and the targets y.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.gaussian_surface(100, seed=0)
    >>> X.shape, y.shape, X.dtype
    ((100, 2), (100, 1), dtype('float32'))
    """
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (n_samples, 2))
    y = sum(h * np.exp(-((x[:, 0] - a) ** 2 + (x[:, 1] - b) ** 2) / (2 * 0.3**2))
            for a, b, h in SURFACE_BUMPS)  # fmt: skip
    y = np.asarray(y).reshape(-1, 1) + rng.normal(0.0, noise, (n_samples, 1))
    return x.astype(np.float32), y.astype(np.float32)


def regression_1d(
    fn: str | Callable[[np.ndarray], np.ndarray] = "sin",
    n_samples: int = 256,
    noise: float = 0.0,
    seed: int | None = 0,
    low: float = -np.pi,
    high: float = np.pi,
) -> tuple[np.ndarray, np.ndarray]:
    """Samples of a 1-D function on [low, high] (default [−π, π]) for universal
    approximation: X (n, 1), y (n, 1). fn: "sin", "abs", "step", or any vectorised
    function of x; ``noise`` adds N(0, noise²) to y.

    Parameters
    ----------
    fn : str or callable, default "sin"
        "sin", "abs", "step", or a vectorised function of x.
    n_samples : int, default 256
        The number of points.
    noise : float, default 0.0
        The targets' noise.
    seed : int or None, default 0
        Seeds the draw (None: fresh randomness).
    low : float, default −π
        The interval's start.
    high : float, default π
        Its end.

    Returns
    -------
    (ndarray of shape (n, 1), ndarray of shape (n, 1))
        x evenly spaced, and fn(x).

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.regression_1d("abs", n_samples=5, low=-1.0, high=1.0)
    >>> X[:, 0].tolist(), y[:, 0].tolist()
    ([-1.0, -0.5, 0.0, 0.5, 1.0], [1.0, 0.5, 0.0, 0.5, 1.0])
    """
    funcs: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "sin": np.sin, "abs": np.abs, "step": lambda v: (v > 0).astype(float)}  # fmt: skip
    if isinstance(fn, str):
        if fn not in funcs:
            raise ValueError(f"fn must be one of {sorted(funcs)} or a function, got {fn!r}")
        fn = funcs[fn]
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    x = np.linspace(low, high, n_samples).reshape(-1, 1)
    y = np.asarray(fn(x), dtype=np.float64).reshape(-1, 1) + rng.normal(0.0, noise, x.shape)
    return x.astype(np.float32), y.astype(np.float32)


def one_hot(y: np.ndarray, n_classes: int | None = None, dtype: str = "float32") -> np.ndarray:
    """Integer labels to one-hot rows (the backpropagation handout's output encoding).

    Parameters
    ----------
    y : array of shape (N,)
        Integer class labels (whole floats too).
    n_classes : int, optional
        C (default: the largest label + 1).
    dtype : str, default "float32"
        The rows' dtype.

    Returns
    -------
    ndarray of shape (N, C)
        A 1 in each row's label column.

    Raises
    ------
    ValueError
        Labels that are not whole numbers, or outside 0..C − 1.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.datasets import one_hot
    >>> one_hot(np.array([0, 2, 1])).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    labels = np.asarray(y)
    if labels.ndim != 1 or (
        labels.dtype.kind not in "iu"
        and not (labels.dtype.kind == "f" and np.all(labels == np.round(labels)))
    ):
        raise ValueError("one_hot needs a 1-D array of integer class labels")
    labels = labels.astype(np.int64)
    c = int(labels.max()) + 1 if n_classes is None else int(n_classes)
    if labels.size and (labels.min() < 0 or labels.max() >= c):
        raise ValueError(f"labels must lie in 0..{c - 1}")
    out = np.zeros((labels.size, c), dtype=dtype)
    out[np.arange(labels.size), labels] = 1
    return out


def from_one_hot(y: np.ndarray) -> np.ndarray:
    """One-hot (or probability) rows to labels: the inverse of :func:`one_hot`.

    Parameters
    ----------
    y : ndarray of shape (N, C)
        The rows.

    Returns
    -------
    ndarray of shape (N,)
        The argmax of each row.

    Raises
    ------
    ValueError
        y is not 2-D.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.datasets import from_one_hot
    >>> from_one_hot(np.array([[0.1, 0.9], [0.8, 0.2]])).tolist()
    [1, 0]
    """
    a = np.asarray(y)
    if a.ndim != 2:
        raise ValueError(f"from_one_hot needs an (N, C) array, got shape {a.shape}")
    return np.asarray(np.argmax(a, axis=1))


def train_test_split(
    x: np.ndarray,
    y: np.ndarray,
    test_size: float = 0.25,
    seed: int | None = 0,
    stratify: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A random split: stratified by label when y holds class labels.

    Parameters
    ----------
    x : ndarray of shape (N, d)
        Inputs.
    y : ndarray of shape (N,) or (N, k)
        Targets.
    test_size : float, default 0.25
        The test fraction.
    seed : int or None, default 0
        Seeds the draw (None: fresh randomness).
    stratify : bool, default True
        Keep each class's share in both parts.

    Returns
    -------
    (ndarray, ndarray, ndarray, ndarray)
        X_train, X_test, y_train, y_test.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(100, seed=0)
    >>> X_train, X_test, y_train, y_test = mlpkit.datasets.train_test_split(X, y, test_size=0.2)
    >>> X_train.shape, X_test.shape, int(y_test.sum())
    ((80, 2), (20, 2), 10)
    """
    rng = np.random.default_rng(seed)
    n = len(x)
    if stratify and np.asarray(y).ndim == 1 and np.asarray(y).dtype.kind in "iu":
        test: list[int] = []
        for c in np.unique(y):
            idx = rng.permutation(np.flatnonzero(y == c))
            test.extend(idx[: round(len(idx) * test_size)])
        test_idx = np.sort(np.array(test, dtype=np.int64))
    else:
        test_idx = np.sort(rng.permutation(n)[: round(n * test_size)])
    mask = np.ones(n, dtype=bool)
    mask[test_idx] = False
    return x[mask], x[test_idx], y[mask], y[test_idx]


# -- MNIST from the standard IDX files ----------------------------------------------------
MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_FILES = {  # the published files and their MD5 checksums
    ("train", "images"): ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    ("train", "labels"): ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
    ("test", "images"): ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    ("test", "labels"): ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
}
_IDX_TYPES: dict[int, Any] = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (optionally gzipped): magic 0x0000TTDD (T = type, D = number of
    dimensions), D big-endian uint32 sizes, then the data. Raises ValueError naming the
    file when the header and the size disagree."""
    p = Path(path)
    raw = p.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{p}: corrupt gzip data ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{p}: not an IDX file (bad magic number)")
    dtype, ndim = np.dtype(_IDX_TYPES[raw[2]]), raw[3]
    if ndim == 0 or len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{p}: IDX header is truncated")
    shape = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    expected = int(np.prod(shape)) * dtype.itemsize
    body = raw[4 + 4 * ndim :]
    if len(body) != expected:
        raise ValueError(
            f"{p}: IDX header declares shape {shape} ({expected} bytes) but holds {len(body)}"
        )
    return np.frombuffer(body, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _find(folder: Path, name: str) -> Path | None:
    for candidate in (name, name.removesuffix(".gz")):
        if (folder / candidate).exists():
            return folder / candidate
    return None


def _download(url: str, target: Path, md5: str) -> None:
    import urllib.request  # only needed here; keeps `import mlpkit` light

    with urllib.request.urlopen(url, timeout=60) as response:  # a fixed https mirror
        data = response.read()
    digest = hashlib.md5(data).hexdigest()  # MD5 because that is what MNIST is published with
    if digest != md5:
        raise ValueError(f"downloaded {url} has MD5 {digest}, expected {md5}; not saved")
    write_atomic(target, lambda f: f.write(data), "download")


def load_mnist(
    path: str | os.PathLike[str] | None = None,
    kind: str = "train",
    download: bool = False,
    dtype: str = "float32",
) -> tuple[np.ndarray, np.ndarray]:
    """MNIST from the standard IDX files: X (N, 784) scaled to [0, 1], y (N,) labels.

    path : folder holding ``train-images-idx3-ubyte.gz`` etc. (gzipped or not); default
        ``$MLPKIT_DATA/mnist`` or ``~/.cache/mlpkit/mnist``. kind : "train" or "test".
    download : fetch missing files from the mirror into ``path`` and verify their
        published MD5 checksums first (needs network access).
    """
    if kind not in ("train", "test"):
        raise ValueError(f"kind must be 'train' or 'test', got {kind!r}")
    if path is None:
        base = os.environ.get("MLPKIT_DATA") or Path.home() / ".cache" / "mlpkit"
        folder = Path(base) / "mnist"
    else:
        folder = Path(path)
    arrays = []
    for part in ("images", "labels"):
        name, md5 = MNIST_FILES[(kind, part)]
        found = _find(folder, name)
        if found is None:
            if not download:
                raise FileNotFoundError(
                    f"{name} not found in {folder}; put the MNIST IDX files there or call "
                    "load_mnist(download=True)"
                )
            found = folder / name
            _download(MNIST_MIRROR + name, found, md5)
        arrays.append(read_idx(found))
    images, labels = arrays
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise ValueError(
            f"MNIST files in {folder} disagree: images {images.shape}, labels {labels.shape}"
        )
    x = images.reshape(len(images), -1).astype(dtype) / 255.0
    return x.astype(dtype, copy=False), labels.astype(np.int64)
