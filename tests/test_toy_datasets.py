"""The toy data sets as their docstrings describe them: defaults, dtypes, class sizes,
the geometry without noise (moons on their half circles, circles evenly round, spirals'
arms, the plane and the bumps' formulas), and noise that is centred, of the stated
spread and drawn per point from the seed."""

from __future__ import annotations

import numpy as np
import pytest

from mlpkit import datasets

#: generator -> (its documented defaults, whether its y are class labels)
GENERATORS = {
    "moons": ({"n_samples": 400, "noise": 0.1, "seed": 0}, True),
    "circles": ({"n_samples": 400, "noise": 0.05, "factor": 0.5, "seed": 0}, True),
    "gaussians": ({"n_samples": 400, "noise": 0.1, "seed": 0}, True),
    "spirals": (
        {"n_samples": 600, "n_classes": 3, "noise": 0.2, "seed": 0, "angle": 4.0, "radius": 1.0},
        True,
    ),
    "plane": ({"n_samples": 400, "noise": 0.0, "seed": 0}, False),
    "gaussian_surface": ({"n_samples": 400, "noise": 0.0, "seed": 0}, False),
    "regression_1d": ({"fn": "sin", "n_samples": 256, "noise": 0.0, "seed": 0}, False),
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_the_defaults_are_the_documented_ones(name):
    make = getattr(datasets, name)
    defaults, labels = GENERATORS[name]
    x, y = make()
    x2, y2 = make(**defaults)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert x.dtype == np.float32
    assert y.dtype == (np.int64 if labels else np.float32)
    assert len(x) == len(y) == defaults["n_samples"]
    # the default seed is 0 when there is noise to draw, too
    for got, want in zip(make(noise=0.1), make(noise=0.1, seed=0), strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_a_seed_gives_the_same_data_and_another_seed_other_data(name):
    make = getattr(datasets, name)
    noisy = {"noise": 0.1}
    a, b, c = make(seed=3, **noisy), make(seed=3, **noisy), make(seed=4, **noisy)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not (np.array_equal(a[0], c[0]) and np.array_equal(a[1], c[1]))


@pytest.mark.parametrize("name", ["moons", "circles", "gaussians"])
def test_two_classes_split_the_points_half_and_half(name):
    _, y = getattr(datasets, name)(101, seed=0)
    assert y[:50].tolist() == [0] * 50 and y[50:].tolist() == [1] * 51


def _noise_of(make, n, noise, **kwargs):
    """What the noise added to each coordinate: the noisy data less the clean data."""
    noisy = make(n, noise=noise, seed=5, **kwargs)
    clean = make(n, noise=0.0, seed=5, **kwargs)
    return noisy[0].astype(np.float64) - clean[0], noisy, clean


def _assert_centred_noise(d, sigma):
    """Per-point noise: mean 0, standard deviation sigma, not one shift for every row."""
    assert abs(d.mean()) < 5 * sigma / np.sqrt(d.size)
    assert d.std() == pytest.approx(sigma, rel=0.1)
    assert np.all(d.std(axis=0) > 0.5 * sigma)


@pytest.mark.parametrize("name", ["moons", "circles"])
def test_noise_is_centred_with_the_stated_spread(name):
    d, _, _ = _noise_of(getattr(datasets, name), 4000, 0.2)
    _assert_centred_noise(d, 0.2)


def test_moons_without_noise_lie_on_two_interleaving_half_circles():
    x, y = datasets.moons(201, noise=0.0)
    top, bottom = x[y == 0].astype(np.float64), x[y == 1].astype(np.float64)
    np.testing.assert_allclose(np.hypot(*top.T), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(bottom[:, 0] - 1.0, bottom[:, 1] - 0.5), 1.0, atol=1e-6)
    assert top[:, 1].min() > -1e-6 and bottom[:, 1].max() < 0.5 + 1e-6
    # each arc runs end to end, evenly: from (1, 0) to (−1, 0) and from (0, 0.5) to (2, 0.5)
    np.testing.assert_allclose(top[[0, -1]], [[1.0, 0.0], [-1.0, 0.0]], atol=1e-6)
    np.testing.assert_allclose(bottom[[0, -1]], [[0.0, 0.5], [2.0, 0.5]], atol=1e-6)
    steps = np.hypot(*np.diff(top, axis=0).T)
    np.testing.assert_allclose(steps, steps[0], rtol=1e-4)


@pytest.mark.parametrize("factor", [0.5, 0.3])
def test_circles_without_noise_are_evenly_round_with_no_point_twice(factor):
    x, y = datasets.circles(200, noise=0.0, factor=factor)
    for label, radius in ((0, 1.0), (1, factor)):
        ring = x[y == label].astype(np.float64)
        np.testing.assert_allclose(np.hypot(*ring.T), radius, atol=1e-6)
        angles = np.sort(np.mod(np.arctan2(ring[:, 1], ring[:, 0]), 2 * np.pi))
        np.testing.assert_allclose(angles, 2 * np.pi * np.arange(100) / 100, atol=1e-5)
    assert len(np.unique(x, axis=0)) == 200


def test_the_inner_circle_is_half_the_outer_by_default():
    x, y = datasets.circles(noise=0.0)
    assert np.hypot(*x[y == 1].T).max() == pytest.approx(0.5, abs=1e-6)


@pytest.mark.parametrize("noise", [0.0, 0.2])
def test_gaussians_are_two_clouds_at_their_corners_of_the_stated_spread(noise):
    x, y = datasets.gaussians(8000, noise=noise, seed=1)
    for label, centre in ((0, -1.0), (1, 1.0)):
        cloud = x[y == label]
        np.testing.assert_allclose(cloud.mean(axis=0), [centre, centre], atol=0.03)
        np.testing.assert_allclose(cloud.std(axis=0), 0.3 + noise, rtol=0.05)


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_a_negative_noise_is_refused_by_name(name):
    with pytest.raises(ValueError, match=r"^noise must be >= 0, got -0.1$"):
        getattr(datasets, name)(noise=-0.1)


def test_xor_refuses_a_negative_noise_and_adds_a_centred_cloud():
    with pytest.raises(ValueError, match=r"^noise must be >= 0, got -1$"):
        datasets.xor(noise=-1)
    clean, labels = datasets.xor(repeat=2000)
    noisy, same_labels = datasets.xor(repeat=2000, noise=0.1, seed=2)
    assert noisy.dtype == np.float32 and labels.dtype == np.int64
    np.testing.assert_array_equal(labels, same_labels)
    _assert_centred_noise(noisy.astype(np.float64) - clean, 0.1)
    np.testing.assert_array_equal(noisy, datasets.xor(repeat=2000, noise=0.1, seed=2)[0])
    assert datasets.xor(noise=0.1, dtype="float64")[0].dtype == np.float64
    np.testing.assert_array_equal(datasets.xor(noise=0.1)[0], datasets.xor(noise=0.1, seed=0)[0])


@pytest.mark.parametrize("name", ["plane", "gaussian_surface"])
def test_the_regression_surfaces_fill_the_square_and_follow_their_formula(name):
    x, y = getattr(datasets, name)(4000, seed=2)
    assert x.min() < -0.99 and x.max() > 0.99 and np.all(np.abs(x) <= 1.0)
    a = x.astype(np.float64)
    if name == "plane":
        expected = (a[:, 0] + 2.0 * a[:, 1]) / 3.0
    else:  # four bumps of width 0.3: exp(−‖x − c‖² / (2·0.3²)) times their height
        expected = sum(h * np.exp(-((a[:, 0] - c1) ** 2 + (a[:, 1] - c2) ** 2) / 0.18)
                       for c1, c2, h in datasets.SURFACE_BUMPS)  # fmt: skip
    np.testing.assert_allclose(y[:, 0], expected, atol=1e-6)
    d = y.astype(np.float64) - getattr(datasets, name)(4000, seed=2, noise=0.0)[1]
    assert not d.any()
    noisy = getattr(datasets, name)(4000, seed=2, noise=0.3)[1].astype(np.float64) - y
    _assert_centred_noise(noisy, 0.3)


def test_the_bumps_peak_at_their_centres_with_their_heights():
    x = np.array([[c1, c2] for c1, c2, _ in datasets.SURFACE_BUMPS])
    heights = np.array([h for _, _, h in datasets.SURFACE_BUMPS])
    # (the other bumps add e^(−1/0.18) ≈ 0.004 each at a centre: the peak is nearly h)
    got = sum(h * np.exp(-((x[:, 0] - c1) ** 2 + (x[:, 1] - c2) ** 2) / 0.18)
              for c1, c2, h in datasets.SURFACE_BUMPS)  # fmt: skip
    np.testing.assert_allclose(got, heights, atol=0.01)


def test_regression_1d_samples_its_function_evenly_with_centred_noise():
    x, y = datasets.regression_1d(n_samples=9)
    np.testing.assert_allclose(x[:, 0], np.linspace(-np.pi, np.pi, 9), rtol=1e-6)
    np.testing.assert_allclose(y[:, 0], np.sin(x[:, 0].astype(np.float64)), atol=1e-6)
    xs, ys = datasets.regression_1d("step", n_samples=5, low=-1.0, high=1.0)
    assert ys[:, 0].tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]  # 0 at x = 0 itself
    assert (xs.dtype, ys.dtype) == (np.float32, np.float32)
    _, wide = datasets.regression_1d("step", n_samples=3, low=0.5, high=1.5)
    assert wide[:, 0].tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match=r"fn must be one of \['abs', 'sin', 'step'\]"):
        datasets.regression_1d("SIN")
    # integer-valued functions give float targets too
    _, cubes = datasets.regression_1d(lambda v: (v > 0).astype(np.int64), n_samples=3)
    assert cubes.dtype == np.float32
    clean = datasets.regression_1d(n_samples=4000, seed=1)[1].astype(np.float64)
    noisy = datasets.regression_1d(n_samples=4000, seed=1, noise=0.2)[1].astype(np.float64)
    _assert_centred_noise(noisy - clean, 0.2)


def test_spiral_arms_turn_outwards_from_evenly_spaced_starts():
    x, y = datasets.spirals(300, n_classes=3, noise=0.0, angle=4.0, radius=2.0)
    assert np.bincount(y).tolist() == [100, 100, 100]
    for k in range(3):
        arm = x[y == k].astype(np.float64)
        r = np.hypot(*arm.T)
        np.testing.assert_allclose(r, np.linspace(0.05, 1.0, 100) * 2.0, rtol=1e-5)
        # (x, y) = r (sin θ, cos θ): θ runs from 2πk/3 through 4 radians
        theta = np.unwrap(np.arctan2(arm[:, 0], arm[:, 1]))
        start = theta[0] - 2 * np.pi * round((theta[0] - 2 * np.pi * k / 3) / (2 * np.pi))
        assert start == pytest.approx(2 * np.pi * k / 3, abs=1e-5)
        assert theta[-1] - theta[0] == pytest.approx(4.0, abs=1e-5)
    default = datasets.spirals(noise=0.0)[0].astype(np.float64)
    assert np.hypot(*default.T).max() == pytest.approx(1.0, abs=1e-6)


def test_spiral_noise_turns_each_point_by_its_own_centred_angle():
    clean = datasets.spirals(6000, n_classes=2, noise=0.0, seed=4)[0].astype(np.float64)
    noisy = datasets.spirals(6000, n_classes=2, noise=0.1, seed=4)[0].astype(np.float64)
    np.testing.assert_allclose(np.hypot(*noisy.T), np.hypot(*clean.T), rtol=1e-5)
    turn = np.angle(np.exp(1j * (np.arctan2(noisy[:, 0], noisy[:, 1])
                                 - np.arctan2(clean[:, 0], clean[:, 1]))))  # fmt: skip
    _assert_centred_noise(turn[:, None], 0.1)


def test_the_bundled_digits_are_the_uci_test_set():
    x, y = datasets.load_digits()
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert y.dtype == np.int64 and x.shape == (1797, 64)
    assert datasets.load_digits(scale=False)[0].dtype == np.float32
    raw, labels = datasets.load_digits(dtype="float64", scale=False)
    assert raw.dtype == np.float64 and raw.max() == 16.0 and raw.min() == 0.0
    np.testing.assert_array_equal(labels, y)


def test_one_hot_takes_the_dtype_asked_for_and_names_bad_labels():
    assert datasets.one_hot(np.array([1, 0])).dtype == np.float32
    assert datasets.one_hot(np.array([1, 0]), dtype="float64").dtype == np.float64
    assert datasets.one_hot(np.array([1, 0]), dtype="int8").dtype == np.int8
    for bad in (np.array([0.5, 1.0]), np.array([[0, 1]]), np.array(["a", "b"])):
        with pytest.raises(
            ValueError, match=r"^one_hot needs a 1-D array of integer class labels$"
        ):
            datasets.one_hot(bad)
    with pytest.raises(
        ValueError, match=r"^from_one_hot needs an \(N, C\) array, got shape \(3,\)$"
    ):
        datasets.from_one_hot(np.array([0, 1, 2]))


def test_train_test_split_defaults_and_proportions():
    x = np.arange(40, dtype=np.float32).reshape(20, 2)
    y = np.array([0] * 12 + [1] * 8)
    xa, xb, ya, yb = datasets.train_test_split(x, y)
    parts = datasets.train_test_split(x, y, test_size=0.25, seed=0, stratify=True)
    for got, want in zip((xa, xb, ya, yb), parts, strict=True):
        np.testing.assert_array_equal(got, want)
    assert np.bincount(yb).tolist() == [3, 2]  # a quarter of each class
    assert sorted(np.r_[xa[:, 0], xb[:, 0]].tolist()) == x[:, 0].tolist()  # each row once
    assert datasets.train_test_split(x, y, seed=3)[3].tolist() == datasets.train_test_split(
        x, y, seed=3)[3].tolist()  # fmt: skip


def test_an_unstratified_split_takes_the_test_fraction_of_all_rows():
    x = np.arange(20, dtype=np.float32).reshape(20, 1)
    y = np.array([0] * 19 + [1])
    _, xb, _, yb = datasets.train_test_split(x, y, test_size=0.5, stratify=False, seed=1)
    assert len(xb) == 10 and np.all(np.diff(xb[:, 0]) > 0)  # in row order
    np.testing.assert_array_equal(xb[:, 0], yb * 0 + xb[:, 0])
    seen = {tuple(datasets.train_test_split(x, y, 0.5, seed=s, stratify=False)[1][:, 0])
            for s in range(6)}  # fmt: skip
    assert len(seen) > 1  # the seed draws which rows
    # targets that are not labels (regression rows) are split without strata
    t = np.linspace(0, 1, 20).reshape(20, 1)
    _, xt, _, tt = datasets.train_test_split(x, t, test_size=0.25)
    assert len(xt) == 5
    np.testing.assert_allclose(tt[:, 0], xt[:, 0] / 19)
    floats = np.linspace(0, 1, 20)  # 1-D float targets: no strata either
    _, xf, _, _ = datasets.train_test_split(x, floats, test_size=0.25)
    assert len(xf) == 5


def test_a_split_too_small_to_take_a_row_leaves_the_test_part_empty():
    x = np.arange(20, dtype=np.float32).reshape(20, 1)
    y = np.array([0] * 10 + [1] * 10)
    xa, xb, ya, yb = datasets.train_test_split(x, y, test_size=0.01)
    assert len(ya) == 20
    assert xb.shape == (0, 1) and yb.shape == (0,) and len(xa) == 20
