"""The optimizers that scale each entry's step by its gradients' history: Adagrad,
RMSprop, Adam and AdamW (decoupled weight decay)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._backend import namespace_of
from .base import Optimizer

__all__ = ["Adagrad", "Adam", "AdamW", "RMSprop"]


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
