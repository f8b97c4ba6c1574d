"""The base of every optimizer: settings, per-parameter state keyed by name, clipping,
``step`` over named or listed arrays and ``step_packed`` over the packed vector, and the
state's dict form (PyTorch's ``state_dict``). Each subclass writes its rule in
``_update``."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from .._backend import asarray, device_of, namespace_of, to_numpy
from .._registry import config_repr

__all__ = ["Optimizer"]

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
