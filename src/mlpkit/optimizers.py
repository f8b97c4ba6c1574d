"""Optimizers, in order of increasing complexity, with PyTorch's parameter names and
update rules (``torch.optim``, single-tensor form), so trajectories match step for step.

Each optimizer keeps its settings as attributes, creates its per-parameter state on
first use (keyed by the parameter's position in ``model.parameters()``), updates the
parameters in place, and round-trips through ``state_dict()`` / ``load_state_dict()``.
Every update formula is in the class docstring; g is the gradient of the loss
(plus regularisation) for parameter p, t the step count starting at 1.

Gradient clipping, for every optimizer: ``clip_norm`` rescales all gradients together
when their global L2 norm exceeds it; ``clip_value`` clips each entry to ±clip_value.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Momentum", "Optimizer", "RMSprop", "get"]


class Optimizer:
    """Base class: ``step(params, grads)`` applies one update to every parameter in place."""

    name: ClassVar[str] = ""
    #: names of the per-parameter state arrays, in creation order
    state_names: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self, lr: float, clip_norm: float | None = None, clip_value: float | None = None
    ) -> None:
        if not (isinstance(lr, int | float) and math.isfinite(lr) and lr >= 0):
            raise ValueError(f"learning rate must be a finite number >= 0, got {lr!r}")
        for label, v in (("clip_norm", clip_norm), ("clip_value", clip_value)):
            if v is not None and not v > 0:
                raise ValueError(f"{label} must be > 0 or None, got {v!r}")
        self.lr = float(lr)
        self.clip_norm = clip_norm
        self.clip_value = clip_value
        self.t = 0  # number of steps taken
        self.state: dict[int, dict[str, np.ndarray]] = {}

    # -- the step -----------------------------------------------------------------------
    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Update each ``params[i]`` in place from ``grads[i]`` (same shapes)."""
        if self.clip_value is not None:
            for g in grads:
                np.clip(g, -self.clip_value, self.clip_value, out=g)
        if self.clip_norm is not None:
            total = math.sqrt(sum(float(np.dot(g.ravel(), g.ravel())) for g in grads))
            if total > self.clip_norm:
                scale = self.clip_norm / (total + 1e-6)
                for g in grads:
                    g *= scale
        self.t += 1
        for i, (p, g) in enumerate(zip(params, grads, strict=True)):
            state = self.state.get(i)
            if state is None:
                state = self.state[i] = self._init_state(p)
            self._update(p, g, state)

    def _init_state(self, p: np.ndarray) -> dict[str, np.ndarray]:
        return {name: np.zeros_like(p) for name in self.state_names}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    # -- settings and state ----------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Constructor settings (enough to rebuild an identical fresh optimizer)."""
        config: dict[str, Any] = {"lr": self.lr}
        if self.clip_norm is not None:
            config["clip_norm"] = self.clip_norm
        if self.clip_value is not None:
            config["clip_value"] = self.clip_value
        return config

    def state_dict(self) -> dict[str, Any]:
        """Settings, step count and per-parameter state (arrays are copies)."""
        return {
            "name": self.name,
            "config": self.get_config(),
            "t": self.t,
            "state": {
                i: {k: v.copy() for k, v in s.items() if not k.startswith("_")}
                for i, s in self.state.items()
            },
        }

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        """Restore what ``state_dict()`` produced (validated: names and array shapes)."""
        if sd.get("name") != self.name:
            raise ValueError(f"state_dict is for {sd.get('name')!r}, not {self.name!r}")
        state: dict[int, dict[str, np.ndarray]] = {}
        for key, entries in sd.get("state", {}).items():
            if set(entries) != set(self.state_names):
                raise ValueError(
                    f"{self.name} state for parameter {key} has entries {sorted(entries)}, "
                    f"expected {sorted(self.state_names)}"
                )
            state[int(key)] = {k: np.array(v, copy=True) for k, v in entries.items()}
        for k, v in sd.get("config", {}).items():
            setattr(self, k, v)
        self.t = int(sd.get("t", 0))
        self.state = state

    def check_state(self, params: list[np.ndarray]) -> None:
        """Raise if the held state does not fit ``params`` (e.g. a different network)."""
        for i, s in self.state.items():
            if i >= len(params) or any(v.shape != params[i].shape for v in s.values()):
                raise ValueError(
                    f"{self.name} state does not match this network's parameters; "
                    "pass a fresh optimizer"
                )
            for name, v in list(s.items()):
                if v.dtype != params[i].dtype:
                    s[name] = v.astype(params[i].dtype)

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({settings})"


def _scratch(state: dict[str, np.ndarray], like: np.ndarray) -> np.ndarray:
    """A working buffer kept beside a parameter's state (never saved in state_dict)."""
    buf = state.get("_scratch")
    if buf is None or buf.shape != like.shape or buf.dtype != like.dtype:
        buf = state["_scratch"] = np.empty_like(like)
    return buf


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum (PyTorch's ``SGD``).

        g ← g + weight_decay · p
        if momentum ≠ 0:
            b ← g                                   at t = 1
            b ← momentum · b + (1 − dampening) · g  after
            g ← g + momentum · b  if nesterov  else  b
        p ← p − lr · g

    With momentum = 0 this is the seeds' update w ← w − η ∂L/∂w. The seeds' momentum
    m ← βm + (1−β)g (seed 003) is ``SGD(momentum=β, dampening=β)`` from the second step
    on; PyTorch starts the buffer at g instead of (1−β)g, so the very first step differs.
    :class:`Momentum` follows the seed exactly, first step included.
    """

    name = "SGD"

    def __init__(
        self,
        lr: float = 0.01,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
        **clipping: float | None,
    ) -> None:
        super().__init__(lr, **clipping)
        if momentum < 0 or weight_decay < 0:
            raise ValueError("momentum and weight_decay must be >= 0")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires momentum > 0 and dampening = 0")
        self.momentum, self.dampening = float(momentum), float(dampening)
        self.nesterov, self.weight_decay = bool(nesterov), float(weight_decay)
        self.state_names = ("momentum_buffer",) if self.momentum else ()  # type: ignore[misc]

    def _update(self, p, g, state):  # type: ignore[no-untyped-def]
        if self.weight_decay:
            g = g + self.weight_decay * p
        if self.momentum:
            buf = state["momentum_buffer"]
            if self.t == 1:
                buf[...] = g
            else:
                buf *= self.momentum
                buf += (1.0 - self.dampening) * g
            g = g + self.momentum * buf if self.nesterov else buf
        p -= self.lr * g

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "momentum": self.momentum,
            "dampening": self.dampening,
            "nesterov": self.nesterov,
            "weight_decay": self.weight_decay,
        }


class Momentum(Optimizer):
    """The seeds' momentum (seed 003), an exponential moving average of gradients:

    m ← β m + (1 − β) g      (m starts at 0)
    p ← p − lr · m
    """

    name = "Momentum"
    state_names = ("m",)

    def __init__(self, lr: float = 0.01, beta: float = 0.9, **clipping: float | None) -> None:
        super().__init__(lr, **clipping)
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"beta must be in [0, 1), got {beta}")
        self.beta = float(beta)

    def _update(self, p, g, state):  # type: ignore[no-untyped-def]
        m = state["m"]
        m *= self.beta
        m += (1.0 - self.beta) * g
        p -= self.lr * m

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta": self.beta}


class Adagrad(Optimizer):
    """Adagrad (PyTorch's ``Adagrad``):

    g ← g + weight_decay · p
    s ← s + g²                          (s starts at initial_accumulator_value)
    p ← p − lr / (1 + (t − 1) lr_decay) · g / (√s + eps)
    """

    name = "Adagrad"
    state_names = ("sum",)

    def __init__(
        self,
        lr: float = 0.01,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
        **clipping: float | None,
    ) -> None:
        super().__init__(lr, **clipping)
        self.lr_decay, self.weight_decay = float(lr_decay), float(weight_decay)
        self.initial_accumulator_value, self.eps = float(initial_accumulator_value), float(eps)

    def _init_state(self, p: np.ndarray) -> dict[str, np.ndarray]:
        return {"sum": np.full_like(p, self.initial_accumulator_value)}

    def _update(self, p, g, state):  # type: ignore[no-untyped-def]
        if self.weight_decay:
            g = g + self.weight_decay * p
        s = state["sum"]
        s += g * g
        clr = self.lr / (1.0 + (self.t - 1) * self.lr_decay)
        denom = np.sqrt(s)
        denom += self.eps
        p -= clr * (g / denom)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "lr_decay": self.lr_decay,
            "weight_decay": self.weight_decay,
            "initial_accumulator_value": self.initial_accumulator_value,
            "eps": self.eps,
        }


class RMSprop(Optimizer):
    """RMSprop (PyTorch's ``RMSprop``):

        g ← g + weight_decay · p
        v ← α v + (1 − α) g²                       (the running E[g²] of seed 003)
        if centered:  ḡ ← α ḡ + (1 − α) g;  d = √(v − ḡ²) + eps   else  d = √v + eps
        if momentum:  b ← momentum · b + g / d;  p ← p − lr · b   else  p ← p − lr · g / d

    Seed 003 puts ε under the root, η / √(E[g²] + ε); PyTorch and Keras add it after.
    ``eps_inside_sqrt=True`` gives the seed's form, d = √(v + eps). The two differ only
    while √v is comparable to eps.
    """

    name = "RMSprop"

    def __init__(
        self,
        lr: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
        eps_inside_sqrt: bool = False,
        **clipping: float | None,
    ) -> None:
        super().__init__(lr, **clipping)
        if not 0.0 <= alpha < 1.0:
            raise ValueError(f"alpha must be in [0, 1), got {alpha}")
        self.alpha, self.eps, self.weight_decay = float(alpha), float(eps), float(weight_decay)
        self.momentum, self.centered = float(momentum), bool(centered)
        self.eps_inside_sqrt = bool(eps_inside_sqrt)
        names = ["square_avg"]
        if self.momentum:
            names.append("momentum_buffer")
        if self.centered:
            names.append("grad_avg")
        self.state_names = tuple(names)  # type: ignore[misc]

    def _update(self, p, g, state):  # type: ignore[no-untyped-def]
        if self.weight_decay:
            g = g + self.weight_decay * p
        a = self.alpha
        v = state["square_avg"]
        v *= a
        v += (1.0 - a) * (g * g)
        if self.centered:
            gbar = state["grad_avg"]
            gbar *= a
            gbar += (1.0 - a) * g
            var = v - gbar * gbar
        else:
            var = v
        if self.eps_inside_sqrt:
            d = np.sqrt(var + self.eps)
        else:
            d = np.sqrt(var)
            d += self.eps
        if self.momentum:
            buf = state["momentum_buffer"]
            buf *= self.momentum
            buf += g / d
            p -= self.lr * buf
        else:
            p -= self.lr * (g / d)

    def get_config(self) -> dict[str, Any]:
        config = {
            **super().get_config(),
            "alpha": self.alpha,
            "eps": self.eps,
            "weight_decay": self.weight_decay,
            "momentum": self.momentum,
            "centered": self.centered,
        }
        if self.eps_inside_sqrt:
            config["eps_inside_sqrt"] = True
        return config


class Adam(Optimizer):
    """Adam (Kingma & Ba, https://arxiv.org/abs/1412.6980; PyTorch's ``Adam``):

        g ← g + weight_decay · p                    (L2 penalty form)
        m ← β1 m + (1 − β1) g
        v ← β2 v + (1 − β2) g²
        v̂ ← max(v̂, v) if amsgrad else v
        p ← p − lr / (1 − β1^t) · m / (√v̂ / √(1 − β2^t) + eps)

    Momentum on g plus RMSprop's scaling, with bias correction (seed 003's "combine
    both ideas").

    The state holds the moments as β-discounted sums, ``grad_sum`` M = m / (1 − β1) and
    ``grad_sq_sum`` V = v / (1 − β2), so that each costs two passes (M ← β1 M + g) and
    the constants move into two scalars of the step,

        r = √((1 − β2) / (1 − β2^t)),   p ← p − lr (1 − β1) / ((1 − β1^t) r) · M / (√V + eps / r),

    the same update in 10 passes over the parameters instead of 13 (the update is a
    fifth to a quarter of an MNIST-sized epoch, and each pass costs about as much when
    the arrays fit in L2 cache as when they do not: the passes are the cost).
    """

    name = "Adam"
    decoupled = False

    def __init__(
        self,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        **clipping: float | None,
    ) -> None:
        super().__init__(lr, **clipping)
        b1, b2 = (float(b) for b in betas)
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"betas must be in [0, 1), got {betas}")
        self.betas = (b1, b2)
        self.eps, self.weight_decay, self.amsgrad = float(eps), float(weight_decay), bool(amsgrad)
        self.state_names = (  # type: ignore[misc]
            ("grad_sum", "grad_sq_sum", "max_grad_sq_sum")
            if self.amsgrad
            else ("grad_sum", "grad_sq_sum")
        )

    def _update(self, p, g, state):  # type: ignore[no-untyped-def]
        b1, b2 = self.betas
        if self.weight_decay:
            if self.decoupled:
                p *= 1.0 - self.lr * self.weight_decay
            else:
                g = g + self.weight_decay * p
        m_sum, v_sum = state["grad_sum"], state["grad_sq_sum"]
        tmp = _scratch(state, p)  # one reused buffer: no allocation per step
        m_sum *= b1  # M ← β1 M + g
        m_sum += g
        v_sum *= b2  # V ← β2 V + g²
        np.multiply(g, g, out=tmp)
        v_sum += tmp
        if self.amsgrad:
            v_max = state["max_grad_sq_sum"]
            np.maximum(v_max, v_sum, out=v_max)
            v_sum = v_max
        r = math.sqrt((1.0 - b2) / (1.0 - b2**self.t))  # √v̂ = r √V
        np.sqrt(v_sum, out=tmp)
        tmp += self.eps / r
        np.divide(m_sum, tmp, out=tmp)
        tmp *= -self.lr * (1.0 - b1) / ((1.0 - b1**self.t) * r)
        p += tmp

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "betas": list(self.betas),
            "eps": self.eps,
            "weight_decay": self.weight_decay,
            "amsgrad": self.amsgrad,
        }

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        super().load_state_dict(sd)
        self.betas = tuple(self.betas)  # type: ignore[assignment]


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, https://arxiv.org/abs/1711.05101; PyTorch's ``AdamW``):
    Adam whose weight decay is decoupled from the gradient,

        p ← p · (1 − lr · weight_decay),   then the Adam step with g unchanged.
    """

    name = "AdamW"
    decoupled = True

    def __init__(
        self,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
        amsgrad: bool = False,
        **clipping: float | None,
    ) -> None:
        super().__init__(lr, betas, eps, weight_decay, amsgrad, **clipping)


_REGISTRY: dict[str, type[Optimizer]] = {
    cls.name.lower(): cls for cls in (SGD, Momentum, Adagrad, RMSprop, Adam, AdamW)
}


def get(optimizer: str | Optimizer, **config: Any) -> Optimizer:
    """An optimizer from a name ("sgd", "momentum", "rmsprop", "adam", ...) or an instance."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer.lower() in _REGISTRY:
        return _REGISTRY[optimizer.lower()](**config)
    raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(_REGISTRY)}")


def from_state_dict(sd: dict[str, Any]) -> Optimizer:
    """Rebuild an optimizer (settings and state) from ``state_dict()`` output."""
    cls = _REGISTRY.get(str(sd.get("name", "")).lower())
    if cls is None:
        raise ValueError(f"unknown optimizer {sd.get('name')!r} in state_dict")
    config = dict(sd.get("config", {}))
    if "betas" in config:
        config["betas"] = tuple(config["betas"])
    opt = cls(**config)
    opt.load_state_dict(sd)
    return opt
