"""Optimizers: first steps against their formulas worked by hand (the lecture notes' forms
included), trajectories step for step against PyTorch, state round trips, clipping."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from mlpkit import optimizers as O

from .conftest import require


def run(opt, p0, grads):
    p = np.array(p0, dtype=np.float64)
    out = []
    for g in grads:
        opt.step([p], [np.array(g, dtype=np.float64)])
        out.append(p.copy())
    return out


P0 = [1.0, -2.0]
G = [[0.5, -1.0], [0.1, 0.3], [-0.2, 0.4]]


def test_plain_sgd_is_the_seeds_update():
    """w ← w − η ∂L/∂w."""
    steps = run(O.SGD(lr=0.1), P0, G)
    np.testing.assert_allclose(steps[0], [1.0 - 0.05, -2.0 + 0.1])
    np.testing.assert_allclose(steps[-1], np.array(P0) - 0.1 * np.sum(G, axis=0))


def test_seed_momentum_is_an_ema_of_gradients():
    """The optimisation slides: m ← βm + (1−β)g, θ ← θ − ηm, m starting at 0."""
    beta, lr = 0.9, 0.5
    m, p = 0.0, P0[0]
    want = []
    for g in G:
        m = beta * m + (1 - beta) * g[0]
        p = p - lr * m
        want.append(p)
    got = [s[0] for s in run(O.Momentum(lr=lr, beta=beta), P0, G)]
    np.testing.assert_allclose(got, want)
    assert got[0] == pytest.approx(1.0 - 0.5 * 0.1 * 0.5)  # m1 = (1 − β) g1 = 0.05


def test_sgd_dampening_equals_seed_momentum_after_the_first_step():
    """PyTorch starts the buffer at g; from then on SGD(momentum=β, dampening=β) is the EMA."""
    beta = 0.9
    b = G[0][0]  # t = 1: buffer = g
    p = P0[0] - 0.5 * b
    for g in G[1:]:
        b = beta * b + (1 - beta) * g[0]
        p -= 0.5 * b
    got = run(O.SGD(lr=0.5, momentum=beta, dampening=beta), P0, G)[-1][0]
    assert got == pytest.approx(p)


def test_sgd_nesterov_and_weight_decay_by_hand():
    mu, wd, lr = 0.8, 0.1, 0.2
    p, b = P0[1], None
    for g in G:
        g = g[1] + wd * p
        b = g if b is None else mu * b + g
        p -= lr * (g + mu * b)
    got = run(O.SGD(lr=lr, momentum=mu, nesterov=True, weight_decay=wd), P0, G)[-1][1]
    assert got == pytest.approx(p)


@pytest.mark.parametrize("eps_inside", [False, True])
def test_rmsprop_by_hand(eps_inside):
    """v ← αv + (1−α)g²; θ ← θ − η g / (√v + ε)  (the optimisation slides: η g / √(v + ε))."""
    alpha, lr, eps = 0.9, 0.01, 1e-3
    v, p = 0.0, P0[0]
    for g in G:
        v = alpha * v + (1 - alpha) * g[0] ** 2
        d = math.sqrt(v + eps) if eps_inside else math.sqrt(v) + eps
        p -= lr * g[0] / d
    opt = O.RMSprop(lr=lr, alpha=alpha, eps=eps, eps_inside_sqrt=eps_inside)
    assert run(opt, P0, G)[-1][0] == pytest.approx(p)


def test_adam_by_hand():
    b1, b2, lr, eps = 0.9, 0.999, 0.1, 1e-8
    m = v = 0.0
    p = P0[0]
    for t, g in enumerate(G, start=1):
        m = b1 * m + (1 - b1) * g[0]
        v = b2 * v + (1 - b2) * g[0] ** 2
        mhat, vhat = m / (1 - b1**t), v / (1 - b2**t)
        p -= lr * mhat / (math.sqrt(vhat) + eps)
    assert run(O.Adam(lr=lr), P0, G)[-1][0] == pytest.approx(p, rel=1e-12)
    # the first Adam step has size lr whatever the gradient's scale
    first = run(O.Adam(lr=lr), P0, [[1e-3, -1e3]])[0]
    assert first == pytest.approx(np.array(P0) - lr * np.array([1, -1]), rel=1e-5)


def test_adamw_decays_weights_outside_the_gradient():
    lr, wd = 0.1, 0.5
    p_adam = run(O.Adam(lr=lr), P0, G[:1])[0]
    p_adamw = run(O.AdamW(lr=lr, weight_decay=wd), P0, G[:1])[0]
    np.testing.assert_allclose(p_adamw, p_adam - lr * wd * np.array(P0))


def test_adagrad_by_hand():
    lr, eps = 0.5, 1e-10
    s, p = 0.0, P0[0]
    for g in G:
        s += g[0] ** 2
        p -= lr * g[0] / (math.sqrt(s) + eps)
    assert run(O.Adagrad(lr=lr), P0, G)[-1][0] == pytest.approx(p)


def test_clipping_by_global_norm_and_value():
    g = np.array([3.0, 4.0])  # norm 5
    p = np.zeros(2)
    O.SGD(lr=1.0, clip_norm=1.0).step([p], [g.copy()])
    np.testing.assert_allclose(p, [-0.6, -0.8], rtol=1e-5)
    p = np.zeros(2)
    O.SGD(lr=1.0, clip_value=3.5).step([p], [g.copy()])
    np.testing.assert_allclose(p, [-3.0, -3.5])


CONFIGS = [
    (O.SGD, {"lr": 0.1}),
    (O.SGD, {"lr": 0.1, "momentum": 0.9}),
    (O.SGD, {"lr": 0.1, "momentum": 0.9, "dampening": 0.9, "weight_decay": 0.01}),
    (O.SGD, {"lr": 0.05, "momentum": 0.8, "nesterov": True}),
    (O.RMSprop, {"lr": 0.01}),
    (O.RMSprop, {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.1}),
    (O.Adam, {"lr": 0.01}),
    (O.Adam, {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1, "amsgrad": True}),
    (O.AdamW, {"lr": 0.01}),
    (O.AdamW, {"lr": 0.01, "weight_decay": 0.2, "amsgrad": True}),
    (O.Adagrad, {"lr": 0.1}),
    (
        O.Adagrad,
        {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.05, "initial_accumulator_value": 0.1},
    ),
]


@pytest.mark.parametrize(
    ("cls", "config"), CONFIGS, ids=[f"{c.__name__}-{i}" for i, (c, _) in enumerate(CONFIGS)]
)
def test_trajectory_matches_pytorch_step_for_step(cls, config):
    torch = require("torch", "pip install torch==2.13.0 (CPU)")
    rng = np.random.default_rng(0)
    shapes = [(4, 3), (3,)]
    params = [rng.normal(size=s) for s in shapes]
    tparams = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in params]
    topt = getattr(torch.optim, cls.__name__)(tparams, **config)
    opt = cls(**config)
    for _ in range(30):
        grads = [rng.normal(size=s) for s in shapes]
        for tp, g in zip(tparams, grads, strict=True):
            tp.grad = torch.tensor(g, dtype=torch.float64)
        topt.step()
        opt.step(params, [g.copy() for g in grads])
        for p, tp in zip(params, tparams, strict=True):
            np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    ("cls", "config"), CONFIGS[1:2] + CONFIGS[5:6] + CONFIGS[7:8] + CONFIGS[11:]
)
def test_state_dict_round_trip_continues_identically(cls, config):
    rng = np.random.default_rng(1)
    p = rng.normal(size=(3, 2))
    opt = cls(**config)
    grads = [rng.normal(size=(3, 2)) for _ in range(6)]
    for g in grads[:3]:
        opt.step([p], [g.copy()])
    twin_p = p.copy()
    twin = O.from_state_dict(opt.state_dict())
    for g in grads[3:]:
        opt.step([p], [g.copy()])
        twin.step([twin_p], [g.copy()])
    np.testing.assert_array_equal(p, twin_p)


def test_state_is_created_lazily_per_parameter():
    opt = O.Adam()
    assert opt.state == {}
    a, b = np.zeros(3), np.zeros((2, 2))
    opt.step([a, b], [np.ones(3), np.ones((2, 2))])
    assert set(opt.state) == {0, 1}
    assert opt.state[1]["exp_avg"].shape == (2, 2)  # PyTorch's state names
    named = O.Adam()
    named.step(
        {"layer0.W": b, "layer0.b": a}, {"layer0.W": np.ones((2, 2)), "layer0.b": np.ones(3)}
    )
    assert set(named.state) == {"layer0.W", "layer0.b"}
    assert set(named.state["layer0.b"]) == {"exp_avg", "exp_avg_sq"}


def test_optimizer_argument_errors():
    with pytest.raises(ValueError, match="learning rate must be a finite number >= 0"):
        O.SGD(lr=-1)
    with pytest.raises(ValueError, match="Nesterov momentum requires momentum > 0"):
        O.SGD(nesterov=True)
    with pytest.raises(ValueError, match=r"betas must be in \[0, 1\)"):
        O.Adam(betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="unknown optimizer 'adamax'"):
        O.get("adamax")
    with pytest.raises(ValueError, match="state_dict is for 'Adam', not 'SGD'"):
        O.SGD().load_state_dict(O.Adam().state_dict())


# -- settings, limits and the packed path, each by its effect ----------------------------------
class _Pack:
    """What step_packed takes: the parameters and gradients end to end, and their layout."""

    def __init__(self, params, grads):
        self.params = np.concatenate([p.ravel() for p in params.values()])
        self.grads = np.concatenate([g.ravel() for g in grads.values()])
        self.layout, self.grad_views, start = [], [], 0
        for name, p in params.items():
            self.layout.append((name, start, start + p.size, p.shape))
            self.grad_views.append(self.grads[start : start + p.size].reshape(p.shape))
            start += p.size


def _problem(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    params = {"w": rng.normal(size=(3, 2)).astype(dtype), "b": rng.normal(size=2).astype(dtype)}
    grads = {k: rng.normal(size=v.shape).astype(dtype) for k, v in params.items()}
    return params, grads


def _refused(message, make):
    with pytest.raises(ValueError) as raised:
        make()
    assert str(raised.value) == message


def test_defaults_are_pytorchs():
    assert O.Adam().lr == 0.001 and O.Adam().betas == (0.9, 0.999) and O.Adam().eps == 1e-8
    assert O.Adagrad().lr == 0.01 and O.Momentum().lr == 0.01 and O.Momentum().beta == 0.9
    assert O.RMSprop().lr == 0.01 and O.SGD().lr == 0.01 and O.SGD().momentum == 0.0


def test_settings_are_checked_at_their_limits():
    assert O.SGD(lr=0.0).lr == 0.0 and O.Momentum(beta=0.0).beta == 0.0
    assert O.Adam(betas=(0.0, 0.0)).betas == (0.0, 0.0)
    _refused("learning rate must be a finite number >= 0, got -0.1", lambda: O.SGD(lr=-0.1))
    _refused("learning rate must be a finite number >= 0, got inf", lambda: O.SGD(lr=float("inf")))
    for label in ("clip_norm", "clip_value"):
        _refused(f"{label} must be > 0 or None, got 0", lambda label=label: O.SGD(**{label: 0}))
    for beta in (1.0, 1.5, -0.1):
        _refused(f"beta must be in [0, 1), got {beta}", lambda beta=beta: O.Momentum(beta=beta))
    for betas in ((1.0, 0.9), (0.9, 1.0), (1.5, 0.9)):
        with pytest.raises(ValueError, match="betas"):
            O.Adam(betas=betas)
    for cls in (O.Adam, O.Adagrad, O.Momentum):
        assert (
            cls(clip_norm=2.0).get_config()["clip_norm"] == 2.0
        )  # clipping reaches the base class
        assert cls(clip_value=0.5).clip_value == 0.5


def test_clipping_by_value_and_by_norm():
    opt = O.SGD(lr=1.0, clip_value=0.5)
    g = [np.array([-2.0, 0.2, 3.0])]
    opt._clip(g)
    np.testing.assert_array_equal(g[0], [-0.5, 0.2, 0.5])
    opt = O.SGD(lr=1.0, clip_norm=5.0)
    g = [np.array([3.0, 4.0])]  # norm exactly 5: left as it is
    opt._clip(g)
    np.testing.assert_array_equal(g[0], [3.0, 4.0])
    g = [np.array([6.0, 8.0])]
    opt._clip(g)
    np.testing.assert_allclose(g[0], np.array([6.0, 8.0]) * 5.0 / (10.0 + 1e-6), rtol=1e-15)
    config = O.Adam(lr=0.1, clip_norm=1.0, clip_value=2.0).get_config()
    assert config == {"lr": 0.1, "clip_norm": 1.0, "clip_value": 2.0, "eps": 1e-8, "weight_decay": 0.0,
                      "amsgrad": False, "betas": [0.9, 0.999]}  # fmt: skip
    assert "clip_norm" not in O.Adam().get_config() and "clip_value" not in O.Adam().get_config()
    assert O.Adam(clip_norm=1.0).get_config()["clip_norm"] == 1.0
    assert O.Adam(clip_value=2.0).get_config()["clip_value"] == 2.0


def test_a_state_dict_rebuilds_the_optimizer_and_refuses_strangers():
    opt = O.Adam(lr=0.01, betas=(0.8, 0.9))
    params, grads = _problem()
    opt.step(params, grads)
    again = O.from_state_dict(opt.state_dict())
    assert type(again) is O.Adam and again.betas == (0.8, 0.9) and again.lr == 0.01 and again.t == 1
    _refused(
        "unknown optimizer 'nesterovish' in state_dict",
        lambda: O.from_state_dict({"name": "nesterovish"}),
    )
    _refused("unknown optimizer None in state_dict", lambda: O.from_state_dict({}))
    bare = O.from_state_dict({"name": "sgd"})  # no config: the defaults
    assert type(bare) is O.SGD and bare.lr == 0.01
    assert O.get("adam", lr=0.5).lr == 0.5 and O.get("momentum", beta=0.5).beta == 0.5


@pytest.mark.parametrize("make", [lambda: O.Adam(lr=0.01), lambda: O.Adam(lr=0.01, amsgrad=True),
                                  lambda: O.SGD(lr=0.1, momentum=0.9), lambda: O.RMSprop(lr=0.01)],
                         ids=["adam", "amsgrad", "momentum", "rmsprop"])  # fmt: skip
def test_the_packed_step_equals_the_step_by_name_and_keeps_state_across(make):
    plain, packed = make(), make()
    params, grads = _problem()
    p1 = {k: v.copy() for k, v in params.items()}
    p2 = {k: v.copy() for k, v in params.items()}
    plain.step(p1, grads)  # one step by name ...
    packed.step(p2, grads)
    pack = _Pack(p2, grads)
    for _ in range(3):  # ... then packed: the state carries over, and the same pack reuses it
        plain.step(p1, grads)
        packed.step_packed(pack)
    got = {name: pack.params[start:stop].reshape(shape) for name, start, stop, shape in pack.layout}
    for k in p1:
        np.testing.assert_allclose(got[k], p1[k], rtol=1e-12, atol=1e-14)
    for k, state in packed.state.items():  # the named state is a view of the packed vectors
        for name, arr in state.items():
            np.testing.assert_allclose(arr, plain.state[k][name], rtol=1e-12, atol=1e-14)
    other = _Pack(
        {k: v.astype(np.float32) for k, v in p1.items()},
        {k: v.astype(np.float32) for k, v in grads.items()},
    )
    packed.check_state({k: v.astype(np.float32) for k, v in p1.items()})
    packed.step_packed(other)  # a new pack in another dtype: fresh scratch, state converted
    assert other.params.dtype == np.float32 and np.all(np.isfinite(other.params))


def test_check_state_refuses_another_networks_parameters_and_converts_dtypes():
    opt = O.Adam()
    params, grads = _problem()
    opt.step(params, grads)
    message = "Adam state for 'w' does not match this network's parameters; pass a fresh optimizer"
    _refused(message, lambda: opt.check_state({"w": np.zeros((2, 2)), "b": np.zeros(2)}))
    _refused(message, lambda: opt.check_state({"b": np.zeros(2)}))
    opt.check_state({k: v.astype(np.float32) for k, v in params.items()})
    assert all(a.dtype == np.float32 for s in opt.state.values() for a in s.values())
    before = {k: {n: a.copy() for n, a in s.items()} for k, s in opt.state.items()}
    opt.check_state(
        {k: v.astype(np.float32) for k, v in params.items()}
    )  # already fitting: unchanged
    for k, s in opt.state.items():
        for n, a in s.items():
            np.testing.assert_array_equal(a, before[k][n])


def test_more_settings_their_messages_and_what_state_they_keep():
    assert O.RMSprop(alpha=0.0).alpha == 0.0
    for alpha in (1.0, 1.5, -0.5):
        _refused(
            f"alpha must be in [0, 1), got {alpha}", lambda alpha=alpha: O.RMSprop(alpha=alpha)
        )
    assert O.RMSprop(clip_norm=3.0).clip_norm == 3.0
    assert O.RMSprop(eps_inside_sqrt=True).get_config()["eps_inside_sqrt"] is True
    assert "eps_inside_sqrt" not in O.RMSprop().get_config()
    for bad in ({"momentum": -0.1}, {"weight_decay": -0.1}):
        _refused("momentum and weight_decay must be >= 0", lambda bad=bad: O.SGD(**bad))
    _refused(
        "Nesterov momentum requires momentum > 0 and dampening = 0", lambda: O.SGD(nesterov=True)
    )
    assert O.SGD().state_names == () and O.SGD(momentum=0.9).state_names == ("momentum_buffer",)
    params, grads = _problem()
    plain = O.SGD(lr=0.1)
    plain.step(params, grads)
    assert plain.state == {"w": {}, "b": {}}  # plain SGD keeps nothing


def test_centered_rmsprop_subtracts_the_mean_gradient_squared():
    opt = O.RMSprop(lr=0.1, alpha=0.5, eps=1e-8, centered=True)
    p, g = np.array([1.0]), np.array([2.0])
    opt.step([p], [g])
    v, gbar = 0.5 * 4.0, 0.5 * 2.0  # E[g²] and E[g] after one step
    np.testing.assert_allclose(p, 1.0 - 0.1 * 2.0 / (np.sqrt(v - gbar**2) + 1e-8))


def test_loading_a_state_dict_checks_entries_and_restores_the_count():
    opt = O.Adam(lr=0.02)
    params, grads = _problem()
    opt.step(params, grads)
    sd = opt.state_dict()
    broken = {**sd, "state": {"w": {"exp_avg": np.zeros((3, 2))}}}
    _refused("Adam state for parameter w has entries ['exp_avg'], expected ['exp_avg', 'exp_avg_sq']",
             lambda: O.Adam().load_state_dict(broken))  # fmt: skip
    fresh = O.Adam()
    fresh.load_state_dict({k: v for k, v in sd.items() if k != "t"})
    assert fresh.t == 0 and fresh.lr == 0.02  # the config restored, no step count given: 0
    fresh.load_state_dict(sd)
    sd["state"]["w"]["exp_avg"][...] = 7.0  # the loaded state is a copy of the dict's arrays
    assert not np.any(fresh.state["w"]["exp_avg"] == 7.0)


def test_a_packed_step_clips_the_packed_gradient():
    params, grads = _problem()
    grads = {k: v * 100 for k, v in grads.items()}
    opt = O.SGD(lr=1.0, clip_value=0.01)
    pack = _Pack({k: v.copy() for k, v in params.items()}, grads)
    before = pack.params.copy()
    opt.step_packed(pack)
    assert np.max(np.abs(pack.params - before)) <= 0.01 + 1e-12


def test_one_adam_steps_packs_of_other_sizes_and_dtypes_and_after_a_move():
    """The packed step's scratch buffer follows the pack it is given (size, dtype) and a
    move (``to``), and the results stay those of a fresh optimizer each time."""

    def pack(size, dtype, seed):
        rng = np.random.default_rng(seed)
        return SimpleNamespace(
            params=rng.normal(size=size).astype(dtype),
            grads=rng.normal(size=size).astype(dtype),
            layout=[("w", 0, size, (size,))],
        )

    shared = O.Adam(lr=0.01)
    cases = ((70, np.float64, 0), (50, np.float64, 1), (50, np.float32, 2), (50, np.float64, 4))
    for size, dtype, seed in cases:  # (its scalars follow the dtype too, both ways)
        mine, fresh = pack(size, dtype, seed), pack(size, dtype, seed)
        shared.state.clear()
        shared._packed = None
        shared.t = 0
        other = O.Adam(lr=0.01)
        for _ in range(3):
            shared.step_packed(mine)
            other.step_packed(fresh)
        np.testing.assert_array_equal(mine.params, fresh.params)
    shared.to(np)
    again, reference = pack(5, np.float32, 3), pack(5, np.float32, 3)
    shared.state.clear()
    shared._packed, shared.t = None, 0
    shared.step_packed(again)
    O.Adam(lr=0.01).step_packed(reference)
    np.testing.assert_array_equal(again.params, reference.params)


def test_a_state_dict_is_a_copy_that_later_steps_leave_alone():
    opt = O.Adam(lr=0.1)
    p, g = [np.ones(3)], [np.full(3, 0.5)]
    opt.step(p, g)
    sd = opt.state_dict()
    kept = {k: v.copy() for k, v in sd["state"][0].items()}
    opt.step(p, g)
    for k, v in kept.items():
        np.testing.assert_array_equal(sd["state"][0][k], v)


def test_the_packed_adam_step_follows_betas_changed_between_steps():
    """The packed kernel takes β1, β2 as scalars of the parameters' dtype, made once and
    kept: a change of ``betas`` between steps reaches it, as it reaches ``step``."""
    params, grads = _problem()
    packed, plain = O.Adam(lr=0.05), O.Adam(lr=0.05)
    pack = _Pack({k: v.copy() for k, v in params.items()}, grads)
    mine = {k: v.copy() for k, v in params.items()}
    for i in range(6):
        if i == 3:
            packed.betas = plain.betas = (0.5, 0.6)
        packed.step_packed(pack)
        plain.step(mine, {k: v.copy() for k, v in grads.items()})
    np.testing.assert_allclose(pack.params, np.concatenate([v.ravel() for v in mine.values()]),
                               rtol=1e-12)  # fmt: skip


@pytest.mark.parametrize("amsgrad", [False, True])
def test_a_stacked_adam_state_steps_as_the_unstacked(amsgrad):
    """With Adam's stacked kernel the packed state's m and v are rows of one array
    (``_kernels.StackedAdam``); the steps, the state by name and a state_dict round trip
    are those of the twelve passes' state to the last bit."""
    from mlpkit.training.steps import AdamPasses, AdamStacked

    params, grads = _problem(np.float32)
    runs = []
    for kernel in (AdamStacked, AdamPasses):
        opt = O.Adam(lr=0.05, amsgrad=amsgrad)
        pack = _Pack({k: v.copy() for k, v in params.items()}, grads)
        for _ in range(3):
            kernel(opt)(pack)
        again = O.Adam(lr=0.05, amsgrad=amsgrad)
        again.load_state_dict(opt.state_dict())
        update = kernel(again)
        for _ in range(2):
            update(pack)
        state = again._packed_state(pack, update.kernel)
        base = state["exp_avg"].base
        stacked = base is not None and base is state["exp_avg_sq"].base  # rows of one array
        runs.append((pack.params.copy(), again.state_dict()["state"], stacked))
    (p_stacked, s_stacked, was), (p_plain, s_plain, was_not) = runs
    assert was and not was_not
    np.testing.assert_array_equal(p_stacked, p_plain)
    for name, entry in s_plain.items():
        for k, v in entry.items():
            np.testing.assert_array_equal(s_stacked[name][k], v)
