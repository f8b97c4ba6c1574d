"""Loading models: from a checked .mlpk file (see :mod:`mlpkit.fileformat`) back to a
Sequential or an Autoencoder, through each layer's config schema. Loading never
executes anything the file names: layers, activations and losses are looked up among
the registered classes, and a name that is not registered is an error saying how to
register it. Version-1 files (optimizer state as one packed vector) load too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from . import layers as layers_mod
from . import losses as losses_mod
from . import optimizers as optim
from ._registry import UnknownNameError
from .autoencoder import Autoencoder
from .callbacks.base import History
from .fileformat import _PREFIX, FORMAT_VERSION, MAGIC, LoadError, _fail, _pad, read, save
from .network import Sequential
from .training.choose import STEPS

__all__ = ["FORMAT_VERSION", "MAGIC", "LoadError", "load", "save"]
_ = (_PREFIX, _pad)  # re-exported for the file-format tests


#: version 1 kept Adam's moments as discounted sums M = m / (1 − β1), V = v / (1 − β2)
_V1_ADAM = {"grad_sum": "exp_avg", "grad_sq_sum": "exp_avg_sq", "max_grad_sq_sum": "max_exp_avg_sq"}


def _v1_optimizer_state(
    opt: dict[str, Any], arrays: dict[str, np.ndarray], model: Sequential
) -> dict[str, dict[str, np.ndarray]]:
    """Version 1 state, one packed vector per state name (key "0") over all parameters
    in order, split into per-parameter entries by name (Adam's sums rescaled)."""
    entries = opt["state"]
    if not entries:
        return {}
    if set(entries) != {"0"}:
        raise ValueError("version 1 optimizer state must be one packed entry")
    named = model.named_parameters()
    total = sum(p.size for p in named.values())
    betas = opt["config"].get("betas", (0.9, 0.999))
    scale = {"grad_sum": 1.0 - betas[0], "grad_sq_sum": 1.0 - betas[1],
             "max_grad_sq_sum": 1.0 - betas[1]}  # fmt: skip
    state: dict[str, dict[str, np.ndarray]] = {name: {} for name in named}
    for k, ref in entries["0"].items():
        vec = arrays[ref].reshape(-1)
        if vec.size != total:
            raise ValueError(f"optimizer state {k!r} has {vec.size} entries, the model {total}")
        if opt["name"] in ("Adam", "AdamW"):
            vec, k = vec * scale[k], _V1_ADAM[k]
        start = 0
        for name, p in named.items():
            state[name][k] = vec[start : start + p.size].reshape(p.shape).astype(p.dtype)
            start += p.size
    return state


def _build(
    path: Path, header: dict[str, Any], arrays: dict[str, np.ndarray], version: int
) -> Sequential:
    layers = []
    for spec in header["layers"]:
        config = dict(spec)
        kind = config.pop("type")
        try:
            layers.append(layers_mod.from_config(kind, config))
        except UnknownNameError:
            raise
        except ValueError as exc:
            raise _fail(path, str(exc)) from None
    model = Sequential(layers, seed=header.get("seed"), dtype=header["dtype"])
    for name, p in model.named_parameters().items():
        saved = arrays.get(name)
        if saved is None or saved.shape != p.shape or saved.dtype != p.dtype:
            raise _fail(path, f"parameter {name} is missing or has the wrong shape or dtype")
        p[...] = saved
    for name, b in model.named_buffers().items():
        saved = arrays.get(name)
        if saved is None or saved.shape != b.shape or saved.dtype != b.dtype:
            raise _fail(path, f"buffer {name} is missing or has the wrong shape or dtype")
        b[...] = saved
    if header.get("loss"):
        model.loss = losses_mod.get(header["loss"]["name"], **header["loss"].get("config", {}))
    model.metrics = list(header.get("metrics", []))
    opt = header.get("optimizer")
    if opt:
        if version == 1:
            state = _v1_optimizer_state(opt, arrays, model)
        else:
            state = {
                param: {k: arrays[ref] for k, ref in entries.items()}
                for param, entries in opt["state"].items()
            }
        model.optimizer = optim.from_state_dict(
            {"name": opt["name"], "config": opt["config"], "t": opt["t"], "state": state}
        )
        model.optimizer.check_state(model.named_parameters())
    model.rng.bit_generator.state = header["rng"]
    metadata = header.get("metadata", {})
    if not isinstance(metadata, dict):
        raise _fail(path, "metadata must be a JSON object")
    model.metadata = metadata
    model.epochs_trained = int(header.get("epochs_trained", 0))
    model.steps_trained = int(header.get("steps_trained", 0))
    step = header.get("step", "auto")
    if step not in STEPS:
        raise _fail(path, f"unknown training step {step!r}; one of {', '.join(STEPS)}")
    model.train_state.step_request = step
    if "history" in header:
        history = History()
        history.history = {k: list(v) for k, v in header["history"].items()}
        history.epoch = list(
            range(
                model.epochs_trained - len(next(iter(history.history.values()), [])),
                model.epochs_trained,
            )
        )
        model.history = history
    return model


def load(path: str | os.PathLike[str]) -> Sequential | Autoencoder:
    """Read a model written by :func:`save` (a Sequential, or an Autoencoder if one was
    saved). Raises LoadError for any malformed file."""
    p = Path(path)
    header, arrays, version = read(p)
    try:
        network = _build(p, header, arrays, version)
        if header.get("kind") == "Autoencoder":
            return Autoencoder.from_network(network, header["autoencoder"])
        return network
    except LoadError:
        raise
    except UnknownNameError as exc:
        register = {"activation": "register_activation", "loss": "register_loss"}.get(exc.kind)
        how = (
            f"define its class and call mlpkit.{register}(TheClass) before loading"
            if register
            else "it is not part of this mlpkit"
        )
        raise _fail(
            p, f"unknown {exc.kind} {exc.name!r} (none of that name is registered here): {how}"
        ) from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise _fail(
            p, f"invalid model description in header: {type(exc).__name__}: {exc}"
        ) from None
