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

from typing import Any

from .._registry import Registry, known_as
from .adaptive import Adagrad, Adam, AdamW, RMSprop
from .base import Optimizer
from .sgd import SGD, Momentum

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Momentum", "Optimizer", "RMSprop", "get"]

# the public classes are known by this package's name (in messages, reprs and pickles)
known_as(__name__, Optimizer, SGD, Momentum, Adagrad, RMSprop, Adam, AdamW)


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
