"""Layers: ``forward(X)`` caches exactly what ``backward(dY)`` needs; ``backward`` fills
the parameter gradients and returns ``dX``; ``call(X)`` is inference.

One file per kind: ``base`` (the protocol), ``dense``, ``activation`` (standalone
activations), ``noise`` (Dropout, GaussianNoise), ``normalization`` (BatchNorm,
LayerNorm), ``features`` (InputFeatures: x₁², x₁x₂, sin x₁ computed in the
network). This module adds the config schema (``from_config``, the inverse of each
layer's ``get_config``; the file format) and ``dense_stack``.
"""

from __future__ import annotations

import itertools
from typing import Any

from .. import activations as act
from .. import regularizers as regs
from .activation import (
    ELU,
    GELU,
    SELU,
    ActivationLayer,
    Exp,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
    activation_layer,
)
from .base import Layer
from .dense import Dense
from .features import InputFeatures
from .noise import Dropout, GaussianNoise
from .normalization import BatchNorm, LayerNorm

__all__ = [
    "ELU",
    "GELU",
    "SELU",
    "ActivationLayer",
    "BatchNorm",
    "Dense",
    "Dropout",
    "Exp",
    "GaussianNoise",
    "Identity",
    "InputFeatures",
    "Layer",
    "LayerNorm",
    "LeakyReLU",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "activation_layer",
    "dense_stack",
    "from_config",
]

#: mlpkit's own layer classes
BUILT_IN = frozenset(
    {Dense, ActivationLayer, Identity, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, SELU, Softplus, Exp,
     SiLU, GELU, Softmax, Dropout, GaussianNoise, BatchNorm, LayerNorm, InputFeatures}
)  # fmt: skip


def from_config(config_type: str, config: dict[str, Any]) -> Layer:
    """Rebuild a layer from what the file format stores for it.

    Parameters
    ----------
    config_type : str
        The registered layer type ("Dense", "BatchNorm", ...).
    config : dict
        Its ``get_config()``.

    Returns
    -------
    Layer
        The layer, not yet built.

    Raises
    ------
    ValueError
        An unknown type. (The file reader checks a config before it gets here.)

    Examples
    --------
    >>> import mlpkit
    >>> layer = mlpkit.Dense(2, 3, "tanh")
    >>> mlpkit.layers.from_config("Dense", layer.get_config())
    Dense(in_features=2, out_features=3, activation='tanh')
    """
    settings = dict(config)
    if config_type == "Dense":
        settings["activation"] = act.get(
            settings.pop("activation"), **settings.pop("activation_config", {})
        )
        for key in ("regularizer", "bias_regularizer"):
            settings[key] = regs.from_config(settings.get(key))
        return Dense(**settings)
    if config_type == "Activation":
        return activation_layer(settings["activation"], **settings.get("activation_config", {}))
    simple = {
        cls.config_type: cls
        for cls in (Dropout, GaussianNoise, BatchNorm, LayerNorm, InputFeatures)
    }
    if config_type in simple:
        return simple[config_type](**settings)
    raise ValueError(f"unknown layer type {config_type!r}")


def dense_stack(
    widths: list[int],
    activation: str | act.Activation,
    output_activation: str | act.Activation | None,
    dropout: float = 0.0,
    layer_kwargs: Any = None,
    batch_norm: bool = False,
) -> list[Layer]:
    """Dense layers from a list of widths [k0, k1, ..., kL].

    ``batch_norm`` puts a BatchNorm between each hidden layer's affine map and its
    activation (Dense without bias, BatchNorm, activation layer: the usual order; β takes
    the bias's place).

    Parameters
    ----------
    widths : list of int
        The input width, each hidden width, and the output width.
    activation : str or Activation
        On every hidden layer.
    output_activation : str or Activation, optional
        On the last layer (None: the identity).
    dropout : float, default 0.0
        A Dropout of this rate after each hidden layer (none at 0).
    layer_kwargs : dict or callable, optional
        Further Dense arguments for every layer, or a function ``(fan_in, fan_out) ->
        dict`` for arguments that depend on the layer's size.
    batch_norm : bool, default False
        BatchNorm in each hidden layer.

    Returns
    -------
    list of Layer
        The layers, ready for ``Sequential``.

    Examples
    --------
    >>> import mlpkit
    >>> layers = mlpkit.layers.dense_stack([4, 16, 16, 3], "relu", "softmax", dropout=0.1)
    >>> [type(layer).__name__ for layer in layers]
    ['Dense', 'Dropout', 'Dense', 'Dropout', 'Dense']
    """
    widths = [int(w) for w in widths]
    if len(widths) < 2:
        raise ValueError(f"a Dense stack needs at least two widths, got {widths}")
    layers: list[Layer] = []
    pairs = list(itertools.pairwise(widths))
    for i, (fan_in, fan_out) in enumerate(pairs):
        last = i == len(pairs) - 1
        extra = layer_kwargs(fan_in, fan_out) if callable(layer_kwargs) else (layer_kwargs or {})
        if batch_norm and not last:
            extra = {k: v for k, v in extra.items() if k != "bias_init"}
            layers.append(Dense(fan_in, fan_out, None, bias=False, **extra))
            layers += [BatchNorm(fan_out), activation_layer(activation)]
        else:
            layers.append(
                Dense(fan_in, fan_out, output_activation if last else activation, **extra)
            )
        if dropout and not last:
            layers.append(Dropout(dropout))
    return layers
