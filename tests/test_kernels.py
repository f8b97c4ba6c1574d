"""Every fast path in mlpkit._kernels equals the plain formula it stands in for."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import mlpkit
from mlpkit import _kernels as K
from mlpkit import activations as A
from mlpkit import losses as L
from mlpkit import optimizers as O
from mlpkit.heads import OutputHead

#: the kernels' size switches
SETTINGS = mlpkit.fast_paths


def _step_constants(lr, betas, t):
    """Adam's (shift, scale) of step t, as the optimizer computes them."""
    opt = O.Adam(lr=lr, betas=betas)
    opt.t = t
    return opt.step_constants()


DTYPES = ["float32", "float64"]
TOL = {"float32": 2e-6, "float64": 1e-13}


@pytest.mark.parametrize("dtype", DTYPES)
def test_relu_kernels_equal_the_plain_relu(dtype, rng):
    z = rng.normal(size=(7, 5)).astype(dtype)
    z[0, 0] = 0.0  # the kink: derivative 0 there, as PyTorch
    da = rng.normal(size=z.shape).astype(dtype)
    plain = np.maximum(z, 0.0)
    np.testing.assert_array_equal(K.relu_(z.copy()), plain)
    np.testing.assert_array_equal(K.relu(z), plain)
    assert K.relu(z) is not z and K.relu(z).dtype == np.dtype(dtype)
    np.testing.assert_array_equal(K.relu_vjp(plain, da), da * (z > 0))
    assert K.relu_(z.copy()).dtype == np.dtype(dtype) and K.relu_vjp(plain, da).dtype == np.dtype(
        dtype
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(5,), (1, 5), (30, 5), (300, 5)])  # both sides of SMALL_SOFTMAX
def test_softmax_kernel_equals_the_plain_softmax(shape, dtype, rng):
    z = (rng.normal(size=shape) * 6).astype(dtype)
    plain = A.Softmax().forward(z)
    fast = K.softmax_(z.copy())
    assert fast.dtype == np.dtype(dtype)
    np.testing.assert_allclose(fast, plain, rtol=TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 7, SETTINGS.small_batch, SETTINGS.small_batch + 1, 500])
def test_mean_kernel_equals_numpy_mean(n, dtype, rng):
    per = rng.exponential(size=n).astype(dtype)
    w = rng.uniform(0, 2, size=n).astype(dtype)
    assert K.mean(per) == pytest.approx(float(np.mean(per.astype(np.float64))), rel=TOL[dtype])
    assert K.mean(per, w) == pytest.approx(float(per @ w) / n, rel=TOL[dtype])


def test_row_starts_is_read_only_and_bounded():
    starts = K.row_starts(4, 3)
    np.testing.assert_array_equal(starts, [0, 3, 6, 9])
    with pytest.raises(ValueError):
        starts[0] = 1
    for n in range(200):
        K.row_starts(n, 2)
    assert K.row_starts.cache_info().currsize <= 64


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows", [3, 80])  # the log-sum-exp and the max-shift forms
@pytest.mark.parametrize("targets", ["labels", "one_hot", "soft"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("c", [2, 4])  # two classes: one binary logaddexp
def test_softmax_cross_entropy_kernel_equals_the_heads_fused_rule(
    dtype, rows, targets, weighted, c, rng
):
    z = (rng.normal(size=(rows, c)) * 3).astype(dtype)
    labels = rng.integers(0, c, size=rows)
    t = {
        "labels": labels,
        "one_hot": np.eye(c, dtype=dtype)[labels],
        "soft": rng.dirichlet(np.ones(c), size=rows).astype(dtype) * 1.5,
    }[targets]
    w = rng.uniform(0.1, 2.0, size=rows).astype(dtype) if weighted else None
    head = OutputHead(A.Softmax(), L.CrossEntropy())
    value, grad = K.softmax_cross_entropy(z, t, w)
    plain_value, plain_grad = head.fused_value_and_grad(z, t, w)
    assert grad.dtype == np.dtype(dtype)
    assert value == pytest.approx(plain_value, rel=10 * TOL[dtype])
    np.testing.assert_allclose(grad, plain_grad, rtol=10 * TOL[dtype], atol=TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_adam_kernel_equals_the_rule_to_the_bit(dtype, amsgrad, weight_decay, rng):
    """The packed step through the kernel (kernels.adam_) and the per-parameter step
    (Adam._update, the rule) walk the same trajectory over 25 steps, bit for bit."""
    from mlpkit.training.steps import AdamPasses

    p0 = rng.normal(size=(6, 5)).astype(dtype)
    grads = [rng.normal(size=(6, 5)).astype(dtype) for _ in range(25)]
    flat_grads = np.zeros(30, dtype)
    # what training.ParameterPack gives the optimizer
    pack = SimpleNamespace(params=p0.copy().reshape(-1), grads=flat_grads,
                           grad_views=[flat_grads.reshape(6, 5)], layout=[("w", 0, 30, (6, 5))])  # fmt: skip
    fast = O.Adam(lr=0.01, amsgrad=amsgrad, weight_decay=weight_decay)
    plain = O.Adam(lr=0.01, amsgrad=amsgrad, weight_decay=weight_decay)
    kernel = AdamPasses(fast)
    p = p0.copy()
    for g in grads:
        pack.grads[...] = g.reshape(-1)
        kernel(pack)
        plain.step({"w": p}, {"w": g.copy()})
    np.testing.assert_array_equal(pack.params.reshape(6, 5), p)
    for k, v in plain.state_dict()["state"]["w"].items():
        np.testing.assert_array_equal(fast.state_dict()["state"]["w"][k], v)


def test_training_uses_the_packed_kernel_and_state_stays_by_name(rng):
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = rng.integers(0, 2, size=40)
    net = mlpkit.Sequential([mlpkit.Dense(3, 4, "tanh"), mlpkit.Dense(4, 2, "softmax")], seed=0)
    plain = net.copy()
    net.fit(x, y, optimizer=O.Adam(lr=0.01), epochs=3, batch_size=8, shuffle=False, verbose=0)
    # the same steps through the per-parameter, paper-form update
    opt = O.Adam(lr=0.01)
    head = plain.head("cross_entropy")
    t = head.prepare_targets(y, 2, plain.dtype, 40)
    for _ in range(3):
        for lo in range(0, 40, 8):
            plain.loss_and_gradients(x[lo : lo + 8], t[lo : lo + 8], head)
            opt.step(
                plain.named_parameters(),
                dict(zip(plain.parameter_names(), plain.gradients(), strict=True)),
            )
    for a, b in zip(net.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)  # whichever kernel fit took: the rule's bits
    state = net.optimizer.state_dict()["state"]
    assert list(state) == ["layer0.W", "layer0.b", "layer1.W", "layer1.b"]
    for name, p in net.named_parameters().items():
        assert set(state[name]) == {"exp_avg", "exp_avg_sq"}
        assert all(v.shape == p.shape for v in state[name].values())
        np.testing.assert_allclose(
            state[name]["exp_avg"], opt.state[name]["exp_avg"], rtol=1e-4, atol=1e-7
        )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape", [(7,), (1, 5), (50, 3), (50, SETTINGS.narrow), (50, SETTINGS.narrow + 1)]
)
def test_row_max_is_the_maximum_of_each_row(shape, dtype, rng):
    z = rng.normal(size=shape).astype(dtype)
    z.flat[3] = np.nan  # propagated, as np.max does
    expected = np.max(z, axis=-1, keepdims=True)
    got = K.row_max(z)
    assert got.shape == expected.shape and got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, expected)


def test_the_in_place_kernels_write_into_their_input_and_other_dtypes_still_work(rng):
    z = rng.normal(size=(6, 4)).astype(np.float32)
    assert K.relu_(z) is z and (z >= 0).all()
    s = rng.normal(size=(3, 5)).astype(np.float32)
    assert K.softmax_(s) is s
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-6)
    half = np.array([[-1.5, 0.0, 0.5, 2.0]], np.float16)  # no cached zero for float16
    np.testing.assert_array_equal(K.relu(half), [[0.0, 0.0, 0.5, 2.0]])
    np.testing.assert_array_equal(K.relu_(half.copy()), [[0.0, 0.0, 0.5, 2.0]])
    np.testing.assert_array_equal(K.relu_vjp(K.relu(half), np.ones_like(half)), [[0, 0, 1, 1]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_kernels_survive_logits_that_would_overflow_exp(dtype, rng):
    """The max shift: z of 1e4 overflows e^z in either precision; softmax does not care."""
    z = (rng.normal(size=(80, 4)) * 3 + 1e4).astype(dtype)  # above SMALL_SOFTMAX logits
    labels = rng.integers(0, 4, 80)
    value, grad = K.softmax_cross_entropy(z, labels)
    plain_value, plain_grad = OutputHead(A.Softmax(), L.CrossEntropy()).fused_value_and_grad(
        z - z.max(axis=1, keepdims=True), labels
    )
    assert np.isfinite(value) and value == pytest.approx(plain_value, rel=10 * TOL[dtype])
    np.testing.assert_allclose(grad, plain_grad, rtol=10 * TOL[dtype], atol=TOL[dtype])
    flat = (rng.normal(size=300) + 1e4).astype(dtype)  # one row of many logits, 1-D
    expected = np.exp(flat - flat.max()) / np.exp(flat - flat.max()).sum()
    np.testing.assert_allclose(K.softmax_(flat.copy()), expected, rtol=10 * TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_unrolled_steps_numpy_kernels_equal_the_layers_work(dtype, rng):
    z = rng.normal(size=(9, 6)).astype(dtype)
    b = rng.normal(size=6).astype(dtype)
    zero = np.zeros((), dtype)
    z[0, 0] = -b[0]  # exactly zero after the bias
    a = z.copy()
    K.bias_relu_(a, b, zero)  # in place
    np.testing.assert_array_equal(a, A.ReLU().forward(z + b))
    dz = rng.normal(size=a.shape).astype(dtype)
    db = np.empty(6, dtype)
    expected = K.relu_vjp(a, dz)
    K.relu_backward_(a, dz, db, zero)
    np.testing.assert_array_equal(dz, expected)
    np.testing.assert_array_equal(db, np.add.reduce(expected, axis=0))


# sign(a) up to SIGN_MASK entries (a.size = 32, 1024), the booleans above (2048); float16
# has no cached zero
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows", [4, SETTINGS.relu_zeros // 8, 2 * SETTINGS.relu_zeros // 8 + 1])
def test_relu_against_a_zeros_array_is_relu_against_a_scalar_zero(dtype, rows, rng):
    """Above ``relu_zeros`` entries the maximum runs against a cached zeros array of z's
    shape: the same values, NaN and signs of zero (±0 ties give the second operand)."""
    z = rng.normal(size=(rows, 8)).astype(dtype)
    z[0, :4] = [-0.0, 0.0, np.nan, -np.inf]
    expected = np.maximum(z, np.zeros((), dtype))
    zero = K.zeros_of(z)
    assert (np.ndim(zero) == 2) == (z.size > SETTINGS.relu_zeros)
    for got in (K.relu(z), K.relu_(z.copy()), K.bias_relu_(z.copy(), np.zeros(8, dtype), zero)):
        np.testing.assert_array_equal(got, expected)
        assert np.signbit(got).tolist() == np.signbit(expected).tolist()
    if np.ndim(zero):
        assert not zero.flags.writeable and K.zeros_of(z) is zero  # made once, kept
        with mlpkit.fast_paths(False):  # the plain form: a 0-d zero
            assert np.ndim(K.zeros_of(z)) == 0


@pytest.mark.parametrize("dtype", [*DTYPES, "float16"])
@pytest.mark.parametrize("rows", [4, SETTINGS.sign_mask // 8, 2 * SETTINGS.sign_mask // 8])
def test_relu_mask_is_the_indicator_on_either_side_of_its_size_switch(dtype, rows, rng):
    """relu_vjp's mask, sign(a) for small arrays and a > 0 for large ones, gives the
    indicator's product, ±0 and inf/NaN of dA included; where a is NaN its row of dA is
    NaN (as backpropagation makes it), and so is the product."""
    a = np.maximum(rng.normal(size=(rows, 8)), 0).astype(dtype)
    a[0, :3] = 0.0
    da = rng.normal(size=a.shape).astype(dtype)
    da[0, :4] = [np.inf, np.nan, -0.0, np.inf]  # at a = 0: inf · 0 is NaN, as with booleans
    with np.errstate(invalid="ignore"):
        expected = da * (a > 0).astype(dtype)
        got = K.relu_vjp(a, da)
        np.testing.assert_array_equal(got, expected)
        assert np.signbit(got).tolist() == np.signbit(expected).tolist()
        a[1, 2], da[1] = np.nan, np.nan
        assert np.isnan(K.relu_vjp(a, da)[1]).all()
    assert (K.relu_mask(a).dtype == np.dtype(dtype)) == (a.size <= SETTINGS.sign_mask)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("amsgrad", [False, True])
def test_stacked_adam_is_adam_to_the_last_bit(dtype, amsgrad, rng):
    """m and v as the rows of one (2, P) array, updated a row pair at a time: the same
    entries as the twelve passes of adam_, over 30 steps, betas changed on the way."""
    size = 37
    p = rng.normal(size=size).astype(dtype)
    plain_p, m, v, scratch = (
        p.copy(),
        np.zeros(size, dtype),
        np.zeros(size, dtype),
        np.empty(size, dtype),
    )
    plain_max, stacked_max = (
        (np.zeros(size, dtype), np.zeros(size, dtype)) if amsgrad else (None, None)
    )
    stacked = K.StackedAdam(np.zeros((2, size), dtype))
    betas = (0.9, 0.999)
    for t in range(1, 31):
        if t == 12:
            betas = (0.5, 0.8)
        g = rng.normal(size=size).astype(dtype)
        shift, scale = _step_constants(0.01, betas, t)
        K.adam_(plain_p, g, m, v, scratch, *betas, shift, scale, plain_max)
        stacked(p, g, *betas, shift, scale, stacked_max)
    np.testing.assert_array_equal(p, plain_p)
    np.testing.assert_array_equal(stacked.m, m)
    np.testing.assert_array_equal(stacked.v, v)
    assert np.shares_memory(stacked.m, stacked.moments) and np.shares_memory(
        stacked.v, stacked.moments
    )
    if amsgrad:
        np.testing.assert_array_equal(stacked_max, plain_max)
