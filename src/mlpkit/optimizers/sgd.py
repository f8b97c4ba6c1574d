"""Stochastic gradient descent (with PyTorch's momentum, dampening and Nesterov options)
and classical momentum."""

from __future__ import annotations

from .base import Optimizer

__all__ = ["SGD", "Momentum"]


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
