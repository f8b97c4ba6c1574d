"""Each activation: its values, its derivative (finite differences, float64), its
stability at |z| = 1e4 in float32 and float64, and dtype preservation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import mlpkit
from mlpkit import activations as A

from .conftest import ACTIVATIONS, HIDDEN_ACTIVATIONS, numeric_derivative

REFERENCE = {  # independent scalar formulas, straight from the lecture notes and papers
    "identity": lambda z: z,
    "sigmoid": lambda z: 1 / (1 + math.exp(-z)),
    "tanh": math.tanh,
    "relu": lambda z: max(0.0, z),
    "leaky_relu": lambda z: z if z > 0 else 0.01 * z,
    "elu": lambda z: z if z > 0 else math.exp(z) - 1,
    "selu": lambda z: 1.0507009873554805 * (z if z > 0 else 1.6732632423543772 * (math.exp(z) - 1)),
    "softplus": lambda z: math.log(1 + math.exp(z)),
    "exp": math.exp,
    "silu": lambda z: z / (1 + math.exp(-z)),
    "gelu": lambda z: 0.5 * z * (1 + math.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3))),
}


@pytest.mark.parametrize("name", HIDDEN_ACTIVATIONS)
def test_values_match_the_scalar_formula(name, rng):
    z = rng.normal(0, 3, size=(7, 5))
    got = A.get(name).forward(z)
    want = np.vectorize(REFERENCE[name])(z)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_seed_001_sigmoid_values():
    s = A.Sigmoid().forward(np.array([1.0, -2.0, 2.0, 5.0, -4.0, -1.0]))
    np.testing.assert_allclose(s, [0.731, 0.119, 0.881, 0.993, 0.018, 0.269], atol=5e-4)


@pytest.mark.parametrize("name", HIDDEN_ACTIVATIONS)
def test_derivative_matches_finite_differences(name, rng):
    act = A.get(name)
    z = rng.normal(0, 2, size=(6, 4))
    z[np.abs(z) < 1e-3] = 0.5  # keep away from the kinks of relu/leaky_relu/elu
    numeric = numeric_derivative(act.forward, z)
    np.testing.assert_allclose(act.derivative(z), numeric, rtol=1e-6, atol=1e-9)
    # vjp with the cached output must agree with f'(z) * dA
    da = rng.normal(size=z.shape)
    np.testing.assert_allclose(act.vjp(z, act.forward(z), da), da * numeric, rtol=1e-6, atol=1e-9)


def test_softmax_vjp_is_the_jacobian_product(rng):
    """The backpropagation handout: ∂ŷ/∂z = diag(ŷ) − ŷŷᵀ; vjp must equal dA @ J for every row."""
    sm = A.Softmax()
    z = rng.normal(size=(5, 4))
    a = sm.forward(z)
    J = sm.jacobian(z)
    for i in range(5):
        np.testing.assert_allclose(J[i], np.diag(a[i]) - np.outer(a[i], a[i]), atol=1e-15)
    da = rng.normal(size=z.shape)
    np.testing.assert_allclose(sm.vjp(z, a, da), np.einsum("nk,nkj->nj", da, J), atol=1e-14)
    # and the Jacobian itself against finite differences of one row
    eps = 1e-6
    for j in range(4):
        e = np.zeros(4)
        e[j] = eps
        col = (sm.forward(z[:1] + e) - sm.forward(z[:1] - e))[0] / (2 * eps)
        np.testing.assert_allclose(J[0][:, j], col, atol=1e-9)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_extreme_inputs_stay_finite(name, dtype):
    act = A.get(name)
    z = np.array([[-1e4, -50.0, -1.0, 0.0, 1.0, 50.0, 1e4]], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is fine
        a = act.forward(z)
        dz = act.vjp(z, a, np.ones_like(z))
    assert a.dtype == np.dtype(dtype) and dz.dtype == np.dtype(dtype)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(dz))


def test_extreme_values_are_the_right_limits():
    z = np.array([-1e4, 1e4])
    for dtype in ("float32", "float64"):  # e^z is capped at the largest finite number
        big = np.finfo(dtype).max
        np.testing.assert_allclose(A.Exp().forward(z.astype(dtype)), [0.0, big], rtol=1e-4)
    np.testing.assert_array_equal(A.Sigmoid().forward(z), [0.0, 1.0])
    np.testing.assert_array_equal(A.Softplus().forward(z), [0.0, 1e4])
    np.testing.assert_allclose(A.GELU().forward(z), [0.0, 1e4])
    np.testing.assert_allclose(A.Softmax().forward(np.array([[1e4, 0.0, -1e4]])), [[1, 0, 0]])


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_float32_is_not_upcast(name, rng):
    act = A.get(name)
    z = rng.normal(size=(3, 4)).astype(np.float32)
    a = act.forward(z)
    assert a.dtype == np.float32
    assert act.vjp(z, a, np.ones_like(z)).dtype == np.float32


def test_relu_derivative_is_zero_at_zero_like_pytorch():
    """The backpropagation handout writes f(z) ⊘ f(z), undefined at z ≤ 0; the convention is 1[z > 0]."""
    np.testing.assert_array_equal(A.ReLU().derivative(np.array([-1.0, 0.0, 2.0])), [0, 0, 1])


def test_parameterised_activations_use_their_settings():
    z = np.array([-2.0, 3.0])
    np.testing.assert_allclose(A.LeakyReLU(0.2).forward(z), [-0.4, 3.0])
    np.testing.assert_allclose(A.ELU(alpha=2.0).forward(z), [2 * (math.exp(-2) - 1), 3.0])


def test_get_resolves_names_aliases_and_rejects_unknown():
    assert isinstance(A.get("swish"), A.SiLU)
    assert isinstance(A.get(None), A.Identity)
    assert isinstance(A.get("ReLU"), A.ReLU)
    with pytest.raises(ValueError, match="unknown activation 'relux'"):
        A.get("relux")


@pytest.mark.parametrize("shape", [(1, 5), (30, 5), (300, 5)])  # both sides of small_softmax
def test_softmax_forward_matches_float64_on_both_paths(shape, rng):
    z = (rng.normal(size=shape) * 8).astype(np.float32)
    z[0, :2] = [1e4, -1e4]
    shifted = z.astype(np.float64) - z.max(axis=1, keepdims=True)
    expected = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    for a in (A.Softmax().forward(z), A.Softmax().forward_inplace(z.copy())):  # plain, kernel
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, expected, rtol=1e-5, atol=1e-7)
    assert 30 * 5 <= mlpkit.fast_paths.small_softmax < 300 * 5


# -- what the activations promise beyond their values: corners, dtypes, in place, identity --
import mlpkit.activations as _A  # noqa: E402


def test_the_value_at_the_corner_follows_pytorch():
    z = np.array([[0.0, -1.0, 2.0]])
    leaky = _A.LeakyReLU(0.2)
    np.testing.assert_array_equal(leaky.derivative(z), [[0.2, 0.2, 1.0]])  # f'(0) is the left slope
    np.testing.assert_array_equal(
        leaky.vjp(z, leaky.forward(z), np.ones_like(z)), [[0.2, 0.2, 1.0]]
    )
    elu = _A.ELU(alpha=0.5)
    np.testing.assert_allclose(elu.derivative(z), [[0.5, 0.5 * np.exp(-1.0), 1.0]])
    np.testing.assert_allclose(
        elu.vjp(z, elu.forward(z), np.ones_like(z)), [[0.5, 0.5 * np.exp(-1.0), 1.0]]
    )
    selu = _A.SELU()
    np.testing.assert_allclose(selu.derivative(z)[0, 0], selu.scale * selu.alpha)
    np.testing.assert_allclose(
        selu.vjp(z, selu.forward(z), np.ones_like(z))[0, 0], selu.scale * selu.alpha
    )
    np.testing.assert_allclose(
        elu.forward(np.array([[0.5]])), [[0.5]]
    )  # positive inputs pass through
    np.testing.assert_allclose(selu.forward(np.array([[0.5]])), [[selu.scale * 0.5]])
    assert _A.sigmoid(np.array([0.0]))[0] == 0.5


@pytest.mark.parametrize(
    "name",
    ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "softplus", "exp", "gelu", "silu"],
)
def test_float32_stays_float32_and_the_known_output_is_used(name):
    f = _A.get(name)
    z = np.array([[-1.5, 0.3, 2.0]], dtype=np.float32)
    a = f.forward(z)
    assert a.dtype == np.float32 and f.derivative(z).dtype == np.float32
    assert f.vjp(z, a, np.ones_like(z)).dtype == np.float32
    np.testing.assert_allclose(f.derivative(z, a), f.derivative(z), rtol=1e-6)
    inplace = z.copy()
    out = f.forward_inplace(inplace)
    np.testing.assert_allclose(out, a, rtol=1e-6)
    if name in ("tanh", "exp"):  # these overwrite their input rather than allocate
        assert out is inplace


def test_exp_stops_just_below_overflow_and_gelu_survives_huge_inputs():
    for dtype in (np.float32, np.float64):
        top = _A.Exp.max_input(dtype)
        with np.errstate(over="ignore"):
            above = np.exp(dtype(top * (1 + 1e-6)))
        assert np.isfinite(np.exp(dtype(top))) and above == np.inf
        assert (
            top < float(np.log(np.finfo(dtype).max))
            and _A.Exp.max_input(np.dtype(dtype).name) == top
        )
        assert np.isfinite(_A.Exp().forward(np.array([1e6], dtype=dtype))).all()
    assert _A.Exp.max_input(np.float32) == pytest.approx(88.72283, abs=1e-5)
    assert _A.Exp.max_input(np.float64) == pytest.approx(709.782712893384, rel=1e-15)
    gelu = _A.get("gelu")
    huge = np.array([[-1e200, 1e200]])
    np.testing.assert_array_equal(gelu.forward(huge), [[-0.0, 1e200]])
    np.testing.assert_array_equal(gelu.derivative(huge), [[0.0, 1.0]])


def test_activations_are_values_with_a_repr_equality_and_hash():
    assert repr(_A.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)" and repr(_A.ReLU()) == "ReLU()"
    assert repr(_A.ELU(0.5)) == "ELU(alpha=0.5)"
    assert _A.ELU(0.5) == _A.ELU(0.5) and _A.ELU(0.5) != _A.ELU(1.0) and _A.ELU(1.0) != _A.SELU()
    assert (
        _A.ReLU() != "relu"
        and hash(_A.ELU(0.5)) == hash(_A.ELU(0.5))
        and hash(_A.ELU(0.5)) != hash(_A.ELU(1.0))
    )
    assert len({_A.ReLU(), _A.ReLU(), _A.Tanh()}) == 2
    assert (
        _A.get("leaky_relu", negative_slope=0.2).negative_slope == 0.2
        and _A.get("elu", alpha=0.3).alpha == 0.3
    )
    assert _A.LeakyReLU(0.3).get_config() == {"negative_slope": 0.3} and _A.ELU(
        0.4
    ).get_config() == {"alpha": 0.4}


def test_softmax_works_on_the_last_axis_and_refuses_an_element_wise_derivative():
    sm = _A.Softmax()
    z = np.random.default_rng(0).normal(size=(2, 3, 4))
    out = sm.forward(z)
    np.testing.assert_allclose(out, np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True))
    da = np.ones_like(z) * np.arange(4)
    np.testing.assert_allclose(
        sm.vjp(z, out, da), out * (da - (da * out).sum(axis=-1, keepdims=True))
    )
    with pytest.raises(TypeError) as raised:
        sm.derivative(z)
    assert (
        str(raised.value)
        == "softmax has a full Jacobian, not an element-wise derivative; use vjp()"
    )
    z32 = np.array([[0.1, 0.5, -0.3]], dtype=np.float32)
    jac = sm.jacobian(z32)
    assert jac.dtype == np.float32 and jac.shape == (1, 3, 3)


def test_exps_in_place_forward_keeps_the_cap_and_a_repr_lists_every_setting():
    z = np.array([[1e6, 0.0]], dtype=np.float32)
    out = _A.Exp().forward_inplace(z)
    assert np.all(np.isfinite(out)) and out is z

    class Two(_A.Activation):
        name = "two_settings_for_repr"

        def get_config(self):
            return {"a": 1, "b": 2}

    assert repr(Two()) == "Two(a=1, b=2)"
