"""Optimizers, in order of increasing complexity, with PyTorch's parameter names and
update rules (``torch.optim``, single-tensor form), so trajectories match step for step.

Each optimizer keeps its settings as attributes and, per parameter, the state its rule
needs (PyTorch's names: ``momentum_buffer``, ``square_avg``, ``exp_avg``, ...), created
on first use and keyed by the parameter's name (``"layer0.W"``; its position when
parameters come as a list). ``step`` updates parameters in place; every update formula
is in its class docstring and in ``_update`` as written there, g the gradient of the
loss (plus regularisation) for parameter p, t the step count starting at 1.

``_update`` is **the rule**: written once, readable, on any array library. The training
loop runs it once over all parameters laid end to end in one vector (``step_packed``;
see ``training.ParameterPack``): every rule here is element-wise, so that equals one
``step`` per parameter to the bit, and the state stays keyed by name — each entry a view
of the packed state. A faster kernel of the same rule (Adam's in ``_kernels`` and the
compiled one) may stand in for ``_update`` on the packed vector, and only for the exact
classes it was written for (a subclass that overrides ``_update`` runs its own rule);
``tests/test_exactness.py`` holds every kernel to the rule, step for step, bit for bit.

Gradient clipping, for every optimizer: ``clip_norm`` rescales all gradients together
when their global L2 norm exceeds it; ``clip_value`` clips each entry to ±clip_value.

The rules are written with in-place operators and the array API's functions, so they
run on the parameters' own library and device (NumPy, PyTorch, CuPy, ...).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from ._backend import asarray, device_of, namespace_of, to_numpy
from ._registry import Registry, config_repr

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Momentum", "Optimizer", "RMSprop", "get"]

Key = str | int
Arrays = Mapping[Key, np.ndarray] | Sequence[np.ndarray]


def _named(arrays: Arrays) -> Mapping[Key, np.ndarray]:
    return arrays if isinstance(arrays, Mapping) else dict(enumerate(arrays))


def _flat(a: np.ndarray) -> np.ndarray:
    return a.reshape(-1) if type(a) is np.ndarray else namespace_of(a).reshape(a, (-1,))


def _shaped(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    return a.reshape(shape) if type(a) is np.ndarray else namespace_of(a).reshape(a, shape)


class Optimizer:
    """Base class: ``step(params, grads)`` applies one update to every parameter in place.

    Parameters
    ----------
    lr : float
        The learning rate η.
    clip_norm : float, optional
        Scale the gradients so their global L2 norm is at most this, before the update.
    clip_value : float, optional
        Clip each gradient entry to [−clip_value, clip_value], before the update.

    Examples
    --------
    >>> import mlpkit
    >>> opt = mlpkit.optimizers.Adam(lr=0.01, clip_norm=1.0)
    >>> opt.get_config()["lr"], opt.state_dict()["t"]
    (0.01, 0)
    """

    name: ClassVar[str] = ""
    #: names of the per-parameter state arrays, in creation order
    state_names: ClassVar[tuple[str, ...]] = ()
    #: the constructor settings ``get_config`` reports besides lr and clipping
    settings: ClassVar[tuple[str, ...]] = ()

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
        #: per-parameter state: {parameter name: {state name: array like the parameter}}
        self.state: dict[Key, dict[str, np.ndarray]] = {}
        #: (pack, its state vectors, the kernel that laid them out, the last kernel) of the
        #: last packed step
        self._packed: tuple[Any, dict[str, np.ndarray], Any, Any] | None = None

    # -- the step -----------------------------------------------------------------------
    def step(self, params: Arrays, grads: Arrays) -> None:
        """Update each parameter in place from its gradient.

        Parameters
        ----------
        params : dict of str to array, or list of arrays
            The parameters, updated in place.
        grads : dict of str to array, or list of arrays
            Their gradients: the same names (or order) and shapes.
        """
        params, grads = _named(params), _named(grads)
        self._clip(list(grads.values()))
        self.t += 1
        for key, p in params.items():
            state = self.state.get(key)
            if state is None:
                state = self.state[key] = self._init_state(p)
            self._update(p, grads[key], state)

    def step_packed(self, pack: Any, kernel: Any = None) -> None:
        """The same update for every parameter at once, on the packed vectors.

        Clipping and the step count are the same as :meth:`step`'s.

        Parameters
        ----------
        pack : ParameterPack
            Holds ``params`` and ``grads`` (one vector each, the parameters end to end),
            ``grad_views`` (each parameter's gradient, a view of ``grads``) and ``layout``:
            (name, start, stop, shape) per parameter.
        kernel : callable, optional
            ``kernel(p, g, state)``: a faster form of the rule on the packed vectors (it may lay
            out the state with ``make_state(p)``); None runs the rule itself.
        """
        if self.clip_norm is not None or self.clip_value is not None:
            self._clip(list(pack.grad_views))  # the global norm summed as step() sums it
        self.t += 1
        (kernel or self._update)(pack.params, pack.grads, self._packed_state(pack, kernel))

    def _clip(self, grads: list[np.ndarray]) -> None:
        if grads and type(grads[0]) is not np.ndarray:
            self._clip_on_device(grads)
            return
        if self.clip_value is not None:
            for g in grads:
                np.clip(g, -self.clip_value, self.clip_value, out=g)
        if self.clip_norm is not None:
            total = math.sqrt(sum(float(np.dot(g.ravel(), g.ravel())) for g in grads))
            if total > self.clip_norm:
                scale = self.clip_norm / (total + 1e-6)
                for g in grads:
                    g *= scale

    def _clip_on_device(self, grads: list[np.ndarray]) -> None:
        """``_clip`` for arrays of another library, without reading anything back."""
        xp = namespace_of(grads[0])
        if self.clip_value is not None:
            for g in grads:
                g[...] = xp.clip(g, -self.clip_value, self.clip_value)
        if self.clip_norm is not None:
            total = xp.sqrt(sum(xp.sum(g * g) for g in grads))
            scale = xp.where(total > self.clip_norm, self.clip_norm / (total + 1e-6), 1.0)
            for g in grads:
                g *= scale

    def to(self, xp: Any, device: Any = None) -> Optimizer:
        """Move the state to another array library and device (as ``Sequential.to``).

        Parameters
        ----------
        xp : module
            The array namespace.
        device : object, optional
            The device there (its default when None).

        Returns
        -------
        Optimizer
            The optimizer itself.
        """
        self.state = {
            key: {k: asarray(v, xp, device) for k, v in s.items()} for key, s in self.state.items()
        }
        self._packed = None
        return self

    def _packed_state(self, pack: Any, kernel: Any = None) -> dict[str, np.ndarray]:
        """The state as one vector per state name, laid out like ``pack`` (by
        ``kernel.make_state`` when it has one); each parameter's entry in ``self.state``
        becomes a view of it (values kept)."""
        packed = self._packed
        if packed is not None and packed[0] is pack and packed[3] is kernel:
            return packed[1]  # (every step but the first of a fit)
        maker = kernel if hasattr(kernel, "make_state") else None
        if packed is not None and packed[0] is pack and packed[2] is maker:
            self._packed = (pack, packed[1], maker, kernel)
            return packed[1]
        flat = self._init_state(pack.params) if maker is None else maker.make_state(pack.params)
        for name, start, stop, shape in pack.layout:
            old = self.state.get(name, {})
            entry = {}
            for k, vec in flat.items():
                if k in old:
                    vec[start:stop] = _flat(old[k])
                entry[k] = _shaped(vec[start:stop], shape)
            self.state[name] = entry
        self._packed = (pack, flat, maker, kernel)
        return flat

    def _init_state(self, p: np.ndarray) -> dict[str, np.ndarray]:
        xp = namespace_of(p)
        return {name: xp.zeros_like(p) for name in self.state_names}

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        """The rule: update p in place from its gradient g and its state."""
        raise NotImplementedError

    # -- settings and state ----------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """The constructor's settings: enough to rebuild an identical fresh optimizer.

        Returns
        -------
        dict
            JSON values by argument name.
        """
        config: dict[str, Any] = {"lr": self.lr}
        if self.clip_norm is not None:
            config["clip_norm"] = self.clip_norm
        if self.clip_value is not None:
            config["clip_value"] = self.clip_value
        return config | {key: getattr(self, key) for key in self.settings}

    def state_dict(self) -> dict[str, Any]:
        """The settings, the step count and the state of each parameter, by name.

        Returns
        -------
        dict
            PyTorch's layout; the arrays are host NumPy copies, whatever the parameters'
            library.
        """
        return {
            "name": self.name,
            "config": self.get_config(),
            "t": self.t,
            "state": {
                key: {k: np.array(to_numpy(v), copy=True) for k, v in s.items()}
                for key, s in self.state.items()
            },
        }

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` produced.

        Parameters
        ----------
        sd : dict
            A state dict; its names and array shapes are checked against this optimizer's.

        Raises
        ------
        ValueError
            A name or a shape that does not match.
        """
        if str(sd.get("name", "")).lower() != self.name.lower():  # names are looked up so too
            raise ValueError(f"state_dict is for {sd.get('name')!r}, not {self.name!r}")
        state: dict[Key, dict[str, np.ndarray]] = {}
        for key, entries in sd.get("state", {}).items():
            if set(entries) != set(self.state_names):
                raise ValueError(
                    f"{self.name} state for parameter {key} has entries {sorted(entries)}, "
                    f"expected {sorted(self.state_names)}"
                )
            state[key] = {k: np.array(v, copy=True) for k, v in entries.items()}
        for k, v in sd.get("config", {}).items():
            setattr(self, k, v)
        self.t = int(sd.get("t", 0))
        self.state = state
        self._packed = None

    def check_state(self, params: Mapping[Key, np.ndarray]) -> None:
        """Raise if the held state does not fit ``params``; state of another dtype is converted.

        Parameters
        ----------
        params : dict of str to ndarray
            The parameters by name (another network's, say).

        Raises
        ------
        ValueError
            State held for a parameter ``params`` does not have, or of another shape.
        """
        for key, s in self.state.items():
            p = params.get(key)
            if p is None or any(v.shape != p.shape for v in s.values()):
                raise ValueError(
                    f"{self.name} state for {key!r} does not match this network's parameters; "
                    "pass a fresh optimizer"
                )
            for name, v in list(s.items()):
                if type(p) is not np.ndarray and (
                    namespace_of(v) is not namespace_of(p) or device_of(v) != device_of(p)
                ):
                    s[name] = asarray(v, namespace_of(p), device_of(p))
                    self._packed = None
                    v = s[name]
                if v.dtype != p.dtype:
                    s[name] = (
                        v.astype(p.dtype)
                        if type(v) is np.ndarray
                        else namespace_of(v).astype(v, p.dtype)
                    )
                    self._packed = None

    __repr__ = config_repr


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum (PyTorch's ``SGD``)::

        g ← g + weight_decay · p
        if momentum ≠ 0:
            b ← g                                   at t = 1
            b ← momentum · b + (1 − dampening) · g  after
            g ← g + momentum · b  if nesterov  else  b
        p ← p − lr · g

    With momentum = 0 this is the lecture notes' update w ← w − η ∂L/∂w. The lecture notes' momentum
    m ← βm + (1−β)g (the optimisation slides) is ``SGD(momentum=β, dampening=β)`` from the second step
    on; PyTorch starts the buffer at g instead of (1−β)g, so the very first step differs.
    :class:`Momentum` follows the seed exactly, first step included.

    Parameters
    ----------
    lr : float, default 0.01
        The learning rate.
    momentum : float, default 0.0
        The momentum factor (0: plain gradient descent).
    dampening : float, default 0.0
        Dampening of the momentum buffer's new gradient.
    nesterov : bool, default False
        Nesterov's momentum.
    weight_decay : float, default 0.0
        L2 penalty added to the gradient, g ← g + weight_decay · p.
    **clipping : float, optional
        ``clip_norm`` (the global L2 norm of all gradients) or ``clip_value`` (each entry),
        applied before the update.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.optimizers import SGD
    >>> w = np.array([1.0, -2.0])
    >>> opt = SGD(lr=0.1)
    >>> opt.step([w], [2 * w])  # one step on L = |w|², in place
    >>> w.round(4).tolist()
    [0.8, -1.6]
    """

    name = "SGD"
    settings = ("momentum", "dampening", "nesterov", "weight_decay")

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


class Momentum(Optimizer):
    """The lecture notes' momentum (the optimisation slides).

    An exponential moving average of the gradients::

        m ← β m + (1 − β) g      (m starts at 0)
        p ← p − lr · m

    Parameters
    ----------
    lr : float, default 0.01
        The learning rate η.
    beta : float, default 0.9
        The average's decay β.
    **clipping : float, optional
        ``clip_norm`` (the global L2 norm of all gradients) or ``clip_value`` (each entry),
        applied before the update.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.optimizers import Momentum
    >>> w = np.array([1.0, -2.0])
    >>> opt = Momentum(lr=0.1, beta=0.9)
    >>> opt.step([w], [2 * w])  # one step on L = |w|², in place
    >>> w.round(4).tolist()
    [0.98, -1.96]
    """

    name = "Momentum"
    state_names = ("m",)
    settings = ("beta",)

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


class Adagrad(Optimizer):
    """Adagrad (PyTorch's ``Adagrad``).

    The update::

        g ← g + weight_decay · p
        s ← s + g²                          (s starts at initial_accumulator_value)
        p ← p − lr / (1 + (t − 1) lr_decay) · g / (√s + eps)

    Parameters
    ----------
    lr : float, default 0.01
        The learning rate.
    lr_decay : float, default 0.0
        The step size falls as lr / (1 + (t − 1) lr_decay).
    weight_decay : float, default 0.0
        L2 penalty added to the gradient, g ← g + weight_decay · p.
    initial_accumulator_value : float, default 0.0
        The sum of squares' start.
    eps : float, default 1e-10
        Added to the root.
    **clipping : float, optional
        ``clip_norm`` (the global L2 norm of all gradients) or ``clip_value`` (each entry),
        applied before the update.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.optimizers import Adagrad
    >>> w = np.array([1.0, -2.0])
    >>> opt = Adagrad(lr=0.1)
    >>> opt.step([w], [2 * w])  # one step on L = |w|², in place
    >>> w.round(4).tolist()
    [0.9, -1.9]
    """

    name = "Adagrad"
    state_names = ("sum",)
    settings = ("lr_decay", "weight_decay", "initial_accumulator_value", "eps")

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
        return {"sum": namespace_of(p).full_like(p, self.initial_accumulator_value)}

    def _update(self, p, g, state):  # type: ignore[no-untyped-def]
        if self.weight_decay:
            g = g + self.weight_decay * p
        s = state["sum"]
        s += g * g
        clr = self.lr / (1.0 + (self.t - 1) * self.lr_decay)
        denom = namespace_of(s).sqrt(s)
        denom += self.eps
        p -= clr * (g / denom)


class RMSprop(Optimizer):
    """RMSprop (PyTorch's ``RMSprop``)::

        g ← g + weight_decay · p
        v ← α v + (1 − α) g²                       (the running E[g²] of the optimisation slides)
        if centered:  ḡ ← α ḡ + (1 − α) g;  d = √(v − ḡ²) + eps   else  d = √v + eps
        if momentum:  b ← momentum · b + g / d;  p ← p − lr · b   else  p ← p − lr · g / d

    The optimisation slides puts ε under the root, η / √(E[g²] + ε); PyTorch and Keras add it after.
    ``eps_inside_sqrt=True`` gives the optimisation slides' form, d = √(v + eps). The two differ only
    while √v is comparable to eps.

    Parameters
    ----------
    lr : float, default 0.01
        The learning rate.
    alpha : float, default 0.99
        The decay α of the running E[g²].
    eps : float, default 1e-8
        Added to the root (or under it, with ``eps_inside_sqrt``).
    weight_decay : float, default 0.0
        L2 penalty added to the gradient, g ← g + weight_decay · p.
    momentum : float, default 0.0
        A momentum buffer on the scaled step.
    centered : bool, default False
        Divide by the running variance instead of the second moment.
    eps_inside_sqrt : bool, default False
        The optimisation slides' form √(E[g²] + ε).
    **clipping : float, optional
        ``clip_norm`` (the global L2 norm of all gradients) or ``clip_value`` (each entry),
        applied before the update.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.optimizers import RMSprop
    >>> w = np.array([1.0, -2.0])
    >>> opt = RMSprop(lr=0.1)
    >>> opt.step([w], [2 * w])  # one step on L = |w|², in place
    >>> w.round(4).tolist()
    [0.0, -1.0]
    """

    name = "RMSprop"
    settings = ("alpha", "eps", "weight_decay", "momentum", "centered")

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
        xp = namespace_of(v)
        if self.eps_inside_sqrt:
            d = xp.sqrt(var + self.eps)
        else:
            d = xp.sqrt(var)
            d += self.eps
        if self.momentum:
            buf = state["momentum_buffer"]
            buf *= self.momentum
            buf += g / d
            p -= self.lr * buf
        else:
            p -= self.lr * (g / d)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        if self.eps_inside_sqrt:
            config["eps_inside_sqrt"] = True
        return config


class Adam(Optimizer):
    """Adam (Kingma & Ba, https://arxiv.org/abs/1412.6980, Algorithm 1; PyTorch's ``Adam``)::

        g ← g + weight_decay · p                    (L2 penalty form)
        m ← β1 m + (1 − β1) g                       (first moment, ``exp_avg``)
        v ← β2 v + (1 − β2) g²                      (second moment, ``exp_avg_sq``)
        m̂ ← m / (1 − β1^t)                          (bias corrections)
        v̂ ← v / (1 − β2^t)                          (AMSGrad: the running max of v first)
        p ← p − lr · m̂ / (√v̂ + eps)

    Momentum on g plus RMSprop's scaling, with bias correction (the optimisation slides'
    "combine both ideas"). ``_update`` computes it in the order of the paper's own
    efficient form (its Section 2: the corrections folded into the step size and eps)::

        m ← g + β1 (m − g),   v ← g² + β2 (v − g²),
        p ← p + (m / (√v + eps √c2)) · (−lr √c2 / c1),   c1 = 1 − β1^t, c2 = 1 − β2^t,

    the same numbers up to rounding, and the order the packed kernels follow to the bit.

    Parameters
    ----------
    lr : float, default 0.001
        The learning rate.
    betas : (float, float), default (0.9, 0.999)
        β1 and β2, the decays of the first and second moments.
    eps : float, default 1e-8
        Added to the root.
    weight_decay : float, optional
        L2 penalty added to the gradient (default 0).
    amsgrad : bool, default False
        Use the running maximum of v (AMSGrad).
    **clipping : float, optional
        ``clip_norm`` (the global L2 norm of all gradients) or ``clip_value`` (each entry),
        applied before the update.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.optimizers import Adam
    >>> w = np.array([1.0, -2.0])
    >>> opt = Adam(lr=0.1)
    >>> opt.step([w], [2 * w])  # one step on L = |w|², in place
    >>> w.round(4).tolist()
    [0.9, -1.9]
    """

    name = "Adam"
    decoupled = False
    settings = ("eps", "weight_decay", "amsgrad")
    #: weight_decay when none is given (AdamW: 0.01, PyTorch's default)
    default_weight_decay = 0.0

    def __init__(
        self,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float | None = None,
        amsgrad: bool = False,
        **clipping: float | None,
    ) -> None:
        super().__init__(lr, **clipping)
        if weight_decay is None:
            weight_decay = self.default_weight_decay
        b1, b2 = (float(b) for b in betas)
        if not (0.0 <= b1 < 1.0 and 0.0 <= b2 < 1.0):
            raise ValueError(f"betas must be in [0, 1), got {betas}")
        self.betas = (b1, b2)
        self.eps, self.weight_decay, self.amsgrad = float(eps), float(weight_decay), bool(amsgrad)
        self.state_names = (  # type: ignore[misc]
            ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
            if self.amsgrad
            else ("exp_avg", "exp_avg_sq")
        )

    def step_constants(self) -> tuple[float, float]:
        """The two constants of step t's bias-corrected update.

        With c1 = 1 − β1^t and c2 = 1 − β2^t, p ← p + (m / (√v + shift)) · scale.

        Returns
        -------
        (float, float)
            ``(shift, scale)`` = (eps √c2, −lr √c2 / c1).
        """
        b1, b2 = self.betas
        root_c2 = math.sqrt(1.0 - b2**self.t)
        return self.eps * root_c2, -self.lr * root_c2 / (1.0 - b1**self.t)

    def _decay(self, p: np.ndarray, g: np.ndarray) -> np.ndarray:
        if not self.weight_decay:
            return g
        if self.decoupled:  # AdamW
            p *= 1.0 - self.lr * self.weight_decay
            return g
        return g + self.weight_decay * p

    def _update(self, p, g, state):  # type: ignore[no-untyped-def]
        b1, b2 = self.betas
        g = self._decay(p, g)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m[...] = g + b1 * (m - g)  # β1 m + (1 − β1) g
        g2 = g * g
        v[...] = g2 + b2 * (v - g2)  # β2 v + (1 − β2) g²
        xp = namespace_of(p)
        if self.amsgrad:
            v_max = state["max_exp_avg_sq"]
            v_max[...] = xp.maximum(v_max, v)
            v = v_max
        shift, scale = self.step_constants()
        p += (m / (xp.sqrt(v) + shift)) * scale  # p − lr m̂ / (√v̂ + eps)

    def get_config(self) -> dict[str, Any]:
        return super().get_config() | {"betas": list(self.betas)}

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        super().load_state_dict(sd)
        self.betas = tuple(self.betas)  # type: ignore[assignment]


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, https://arxiv.org/abs/1711.05101; PyTorch's ``AdamW``).

    Adam whose weight decay is decoupled from the gradient (default weight_decay 0.01)::

        p ← p · (1 − lr · weight_decay),   then the Adam step with g unchanged.

    Parameters
    ----------
    lr : float, default 0.001
        The learning rate.
    betas : (float, float), default (0.9, 0.999)
        β1 and β2.
    eps : float, default 1e-8
        Added to the root.
    weight_decay : float, optional
        The decoupled decay (default 0.01).
    amsgrad : bool, default False
        Use the running maximum of v (AMSGrad).
    **clipping : float, optional
        ``clip_norm`` (the global L2 norm of all gradients) or ``clip_value`` (each entry),
        applied before the update.

    Examples
    --------
    >>> import numpy as np
    >>> from mlpkit.optimizers import AdamW
    >>> w = np.array([1.0, -2.0])
    >>> opt = AdamW(lr=0.1)
    >>> opt.step([w], [2 * w])  # one step on L = |w|², in place
    >>> w.round(4).tolist()
    [0.899, -1.898]
    """

    name = "AdamW"
    decoupled = True
    default_weight_decay = 0.01


#: the one table of optimizers by name
REGISTRY: Registry[Optimizer] = Registry(
    "optimizer",
    Optimizer,
    (SGD, Momentum, Adagrad, RMSprop, Adam, AdamW),
)


def get(optimizer: str | Optimizer, **config: Any) -> Optimizer:
    """An optimizer from its name or an instance.

    Parameters
    ----------
    optimizer : str or Optimizer
        "sgd", "momentum", "rmsprop", "adagrad", "adam", "adamw", or an instance (returned
        as it is).
    **config
        The constructor's arguments, for a name.

    Returns
    -------
    Optimizer
        The optimizer.

    Raises
    ------
    ValueError
        An unknown name, naming the known ones.

    Examples
    --------
    >>> import mlpkit
    >>> mlpkit.optimizers.get("sgd", lr=0.5, momentum=0.9)
    SGD(lr=0.5, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0)
    """
    return REGISTRY.create(optimizer, **config)


def from_state_dict(sd: dict[str, Any]) -> Optimizer:
    """Rebuild an optimizer (settings and state) from ``state_dict()`` output."""
    cls = REGISTRY.lookup(str(sd.get("name", "")))
    if cls is None:
        raise ValueError(f"unknown optimizer {sd.get('name')!r} in state_dict")
    config = dict(sd.get("config", {}))
    if "betas" in config:
        config["betas"] = tuple(config["betas"])
    opt = cls(**config)
    opt.load_state_dict(sd)
    return opt
