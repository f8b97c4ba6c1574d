"""Small data sets for examples and tests. Every generator takes a ``seed`` and draws
from its own ``numpy.random.Generator``.

``load_digits`` reads the 8×8 handwritten digits bundled with mlpkit (1,797 images,
pixel values 0–16; the UCI "Optical Recognition of Handwritten Digits" test set, the
same file scikit-learn ships, CC BY 4.0).
"""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np

__all__ = [
    "circles",
    "from_one_hot",
    "load_digits",
    "moons",
    "one_hot",
    "regression_1d",
    "spirals",
    "train_test_split",
    "xor",
]  # fmt: skip


def xor(repeat: int = 1, dtype: str = "float32") -> tuple[np.ndarray, np.ndarray]:
    """The XOR truth table in seed 001's row order: X (4·repeat, 2), y (4·repeat,).

    (1,0)→1, (0,0)→0, (0,1)→1, (1,1)→0.
    """
    x = np.array([[1, 0], [0, 0], [0, 1], [1, 1]], dtype=dtype)
    y = np.array([1, 0, 1, 0], dtype=np.int64)
    return np.tile(x, (repeat, 1)), np.tile(y, repeat)


def load_digits(dtype: str = "float32", scale: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The bundled 8×8 digits: X (1797, 64), y (1797,) with labels 0–9.

    ``scale=True`` divides pixels by 16 so they lie in [0, 1].
    """
    raw = resources.files("mlpkit").joinpath("data", "digits.csv.gz").read_bytes()
    table = np.loadtxt(gzip.decompress(raw).decode("ascii").splitlines(), delimiter=",")
    x = table[:, :-1].astype(dtype)
    if scale:
        x /= 16.0
    return x, table[:, -1].astype(np.int64)


def spirals(
    n_samples: int = 600, n_classes: int = 3, noise: float = 0.2, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one class each: X (n, 2), y (n,)."""
    rng = np.random.default_rng(seed)
    per = n_samples // n_classes
    xs, ys = [], []
    for k in range(n_classes):
        r = np.linspace(0.05, 1.0, per)
        theta = np.linspace(k * 2 * np.pi / n_classes, k * 2 * np.pi / n_classes + 4.0, per)
        theta = theta + rng.normal(0.0, noise, per)
        xs.append(np.c_[r * np.sin(theta), r * np.cos(theta)])
        ys.append(np.full(per, k))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.int64)


def moons(
    n_samples: int = 400, noise: float = 0.1, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: X (n, 2), y (n,) in {0, 1}."""
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
    """A small circle inside a large one: X (n, 2), y (n,) (1 = inner)."""
    rng = np.random.default_rng(seed)
    n1 = n_samples // 2
    n2 = n_samples - n1
    t1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
    t2 = np.linspace(0, 2 * np.pi, n2, endpoint=False)
    x = np.r_[np.c_[np.cos(t1), np.sin(t1)], factor * np.c_[np.cos(t2), np.sin(t2)]]
    x += rng.normal(0.0, noise, x.shape)
    return x.astype(np.float32), np.r_[np.zeros(n1), np.ones(n2)].astype(np.int64)


def regression_1d(
    fn: str = "sin", n_samples: int = 256, noise: float = 0.0, seed: int | None = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Samples of a 1-D function on [−π, π] for universal approximation: X (n, 1), y (n, 1).

    fn: "sin", "abs" or "step".
    """
    funcs = {"sin": np.sin, "abs": np.abs, "step": lambda v: (v > 0).astype(float)}
    if fn not in funcs:
        raise ValueError(f"fn must be one of {sorted(funcs)}, got {fn!r}")
    rng = np.random.default_rng(seed)
    x = np.linspace(-np.pi, np.pi, n_samples).reshape(-1, 1)
    y = funcs[fn](x) + rng.normal(0.0, noise, x.shape)
    return x.astype(np.float32), y.astype(np.float32)


def one_hot(y: np.ndarray, n_classes: int | None = None, dtype: str = "float32") -> np.ndarray:
    """Integer labels (N,) -> one-hot rows (N, C) (seed 004's output encoding)."""
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
    """One-hot (or probability) rows (N, C) -> labels (N,), the inverse of one_hot."""
    a = np.asarray(y)
    if a.ndim != 2:
        raise ValueError(f"from_one_hot needs an (N, C) array, got shape {a.shape}")
    return np.argmax(a, axis=1)


def train_test_split(
    x: np.ndarray,
    y: np.ndarray,
    test_size: float = 0.25,
    seed: int | None = 0,
    stratify: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Random split (stratified by label when y holds class labels): X_train, X_test, y_train, y_test."""
    rng = np.random.default_rng(seed)
    n = len(x)
    if stratify and np.asarray(y).ndim == 1 and np.asarray(y).dtype.kind in "iu":
        test = []
        for c in np.unique(y):
            idx = rng.permutation(np.flatnonzero(y == c))
            test.extend(idx[: round(len(idx) * test_size)])
        test_idx = np.sort(np.array(test, dtype=np.int64))
    else:
        test_idx = np.sort(rng.permutation(n)[: round(n * test_size)])
    mask = np.ones(n, dtype=bool)
    mask[test_idx] = False
    return x[mask], x[test_idx], y[mask], y[test_idx]
