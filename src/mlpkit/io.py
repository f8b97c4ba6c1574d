"""Loading models: from a checked .mlpk file (see :mod:`mlpkit.fileformat`) back to a
Sequential or an Autoencoder, through each layer's config schema. Loading never
executes anything the file names: layers, activations and losses are looked up among
the registered classes, and a name that is not registered is an error saying how to
register it. Version-1 files (optimizer state as one packed vector) load too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, cast

import numpy as np

from . import layers as layers_mod
from . import losses as losses_mod
from . import optimizers as optim
from ._registry import UnknownNameError
from .autoencoder import Autoencoder
from .callbacks.base import History
from .fileformat import _PREFIX, FORMAT_VERSION, MAGIC, LoadError, _fail, _pad, read, save
from .initializers import Initializer
from .layers import Dense
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


class _Unfilled(Initializer):
    """Building a layer whose arrays come from the file: space, not random draws."""

    name = "unfilled"

    def __call__(
        self, shape: tuple[int, ...], rng: np.random.Generator, dtype: Any = "float32"
    ) -> np.ndarray:
        return np.empty(shape, dtype=dtype)


def _parameter_shapes(layer: Any) -> dict[str, tuple[int, ...]]:
    """The arrays a layer of a saved model builds (parameters and buffers), by name."""
    if isinstance(layer, Dense):
        shapes = {"W": (layer.in_features, layer.out_features)}
        return cast(
            "dict[str, tuple[int, ...]]",
            shapes | ({"b": (layer.out_features,)} if layer.bias else {}),
        )
    width = getattr(layer, "num_features", None)
    if width is None:
        return {}
    names = [*(("gamma", "beta") if getattr(layer, "affine", False) else ()), *layer.buffer_names]
    return {name: (width,) for name in names}


def _layers(path: Path, header: dict[str, Any], arrays: dict[str, np.ndarray]) -> list[Any]:
    """The header's layers, each checked against the arrays the file holds before any
    is built: a layer declaring arrays the file does not back is refused here, so
    nothing is allocated beyond what is on disk."""
    specs = header.get("layers")
    if not isinstance(specs, list) or not specs:
        raise _fail(path, "the header's layers must be a non-empty list")
    layers = []
    for i, spec in enumerate(specs):
        if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
            raise _fail(path, f"layer {i}: each layer must be an object with a 'type'")
        config = dict(spec)
        kind = config.pop("type")
        try:
            layer = layers_mod.from_config(kind, config)
        except UnknownNameError:
            raise
        except (TypeError, ValueError) as exc:
            raise _fail(path, f"layer {i} ({kind[:40]}): {exc}") from None
        for name, shape in _parameter_shapes(layer).items():
            saved = arrays.get(f"layer{i}.{name}")
            if saved is None or saved.shape != shape:
                held = "none" if saved is None else f"one of shape {saved.shape}"
                raise _fail(path, f"layer {i} ({kind}) needs {name} of shape {shape}; the file "
                                  f"holds {held}")  # fmt: skip
        layers.append(layer)
    return layers


def _build(
    path: Path, header: dict[str, Any], arrays: dict[str, np.ndarray], version: int
) -> Sequential:
    layers = _layers(path, header, arrays)
    unfilled = _Unfilled()
    kept = [(ly, ly.init, ly.bias_init) for ly in layers if isinstance(ly, Dense)]
    for layer, _, _ in kept:
        layer.init = layer.bias_init = unfilled
    model = Sequential(layers, seed=header.get("seed"), dtype=header["dtype"])
    for layer, init, bias_init in kept:
        layer.init, layer.bias_init = init, bias_init
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
    metrics = header.get("metrics", [])
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        raise _fail(path, "metrics must be a list of names")
    model.metrics = list(metrics)
    opt = header.get("optimizer")
    if opt:
        if not _count(opt.get("t")):
            raise _fail(
                path, f"the optimizer's step count must be an integer >= 0, got {opt.get('t')!r}"
            )
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
    for key in ("epochs_trained", "steps_trained"):
        if not _count(header.get(key, 0)):
            raise _fail(path, f"{key} must be an integer >= 0, got {header.get(key)!r}")
    model.epochs_trained = int(header.get("epochs_trained", 0))
    model.steps_trained = int(header.get("steps_trained", 0))
    step = header.get("step", "auto")
    if step not in STEPS:
        raise _fail(path, f"unknown training step {str(step)[:40]!r}; one of {', '.join(STEPS)}")
    model.train_state.step_request = step
    if "history" in header:
        model.history = _history(path, header["history"], model.epochs_trained)
    return model


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _history(path: Path, saved: Any, epochs: int) -> History:
    """The last fit's History: lists of numbers, as many as epochs ran, at most all of them."""
    if not isinstance(saved, dict):
        raise _fail(path, "history must be an object of lists")
    lengths = set()
    for key, values in saved.items():
        if not isinstance(values, list) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in values
        ):
            raise _fail(path, f"history {str(key)[:40]!r} must be a list of numbers")
        lengths.add(len(values))
    if len(lengths) > 1 or (lengths and max(lengths) > epochs):
        raise _fail(path, f"history lists of lengths {sorted(lengths)} do not fit {epochs} epochs")
    history = History()
    history.history = {k: [float(v) for v in vals] for k, vals in saved.items()}
    ran = lengths.pop() if lengths else 0
    history.epoch = list(range(epochs - ran, epochs))
    return history


def load(path: str | os.PathLike[str]) -> Sequential | Autoencoder:
    """Read a model written by :func:`mlpkit.save`.

    Nothing the file names is run: layers, activations, losses and optimizers are looked
    up among the registered classes, and every size is checked before anything is
    allocated.

    Parameters
    ----------
    path : str or PathLike
        The ``.mlpk`` file.

    Returns
    -------
    Sequential or Autoencoder
        The model as saved, ready to predict or to resume training.

    Raises
    ------
    LoadError
        The file is not an mlpkit model, is truncated or corrupted, declares more than
        it holds, or names a class that is not registered here.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> history = net.fit(X, y, epochs=2, verbose=0)
    >>> again = mlpkit.load(mlpkit.save(net, "moons.mlpk"))
    >>> bool((again.predict(X) == net.predict(X)).all()), again.epochs_trained
    (True, 2)
    """
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
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError,
            RecursionError, MemoryError) as exc:  # fmt: skip
        raise _fail(
            p, f"invalid model description in header: {type(exc).__name__}: {str(exc)[:200]}"
        ) from None
