"""ONNX export: run an mlpkit network in onnxruntime, a browser, or any ONNX runtime.

Each Dense layer becomes a ``Gemm`` (X·W + b; ``MatMul`` without a bias), each
activation its ONNX operator (Relu, Sigmoid, Tanh, Elu, Selu, Softplus, LeakyRelu,
Softmax on the last axis, Gelu with ``approximate="tanh"`` from opset 20, written out
as Mul/Tanh below it; SiLU as x·Sigmoid(x)); BatchNorm a ``BatchNormalization`` with its
running statistics, LayerNorm a ``LayerNormalization`` (opset 17+), InputFeatures its
columns (Gather, Mul, Sin) side by side (Concat). Dropout and noise layers, identities at
inference, are left out. A layer or activation of the user's own (a subclass included:
its forward is Python) is refused by name, never exported as the built-in it derives
from. The batch dimension is dynamic ("N").

Needs the ``onnx`` extra: ``pip install 'mlpkit[onnx]'`` (onnx, and onnxruntime to run
the result).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import activations as act
from ._files import write_atomic
from ._validation import optional
from .layers import (
    BUILT_IN,
    ActivationLayer,
    BatchNorm,
    Dense,
    InputFeatures,
    LayerNorm,
)
from .layers.features import parse_term

if TYPE_CHECKING:
    from .autoencoder import Autoencoder
    from .network import Sequential

__all__ = ["DEFAULT_OPSET", "IR_VERSION", "export"]

DEFAULT_OPSET = 20
#: IR version written into the model: onnxruntime refuses models whose IR version is
#: newer than it knows, and onnx itself defaults to its newest. 10 is read by every
#: onnxruntime since 1.17.
IR_VERSION = 10


def _onnx() -> Any:
    return optional("onnx", "mlpkit.onnx", "onnx")


class _Graph:
    """Collects nodes and initialisers with unique names."""

    def __init__(self, onnx: Any, dtype: np.dtype, opset: int) -> None:
        self.onnx, self.helper = onnx, onnx.helper
        self.dtype, self.opset = dtype, opset
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.count = 0

    def name(self, stem: str) -> str:
        self.count += 1
        return f"{stem}_{self.count}"

    def constant(self, stem: str, value: np.ndarray | float) -> str:
        name = self.name(stem)
        self.initializers.append(
            self.onnx.numpy_helper.from_array(np.asarray(value, dtype=self.dtype), name)
        )
        return name

    def index(self, i: int) -> str:
        """An int64 index tensor [i] (shape (1,): Gather keeps the axis)."""
        name = self.name("index")
        self.initializers.append(self.onnx.numpy_helper.from_array(np.array([i], np.int64), name))
        return name

    def node(self, op: str, inputs: list[str], **attrs: Any) -> str:
        out = self.name(op.lower())
        self.nodes.append(self.helper.make_node(op, inputs, [out], **attrs))
        return out

    def activation(self, name: str, config: dict[str, float], x: str) -> str:
        if name == "identity":
            return x
        simple = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "softplus": "Softplus"}
        if name in simple:
            return self.node(simple[name], [x])
        if name == "leaky_relu":
            return self.node("LeakyRelu", [x], alpha=config["negative_slope"])
        if name == "elu":
            return self.node("Elu", [x], alpha=config["alpha"])
        if name == "selu":
            return self.node("Selu", [x], alpha=1.6732632423543772, gamma=1.0507009873554805)
        if name == "softmax":
            return self.node("Softmax", [x], axis=-1)
        if name == "exp":  # capped where e^z would overflow, as mlpkit does
            bound = act.Exp.max_input(self.dtype)
            return self.node("Exp", [self.node("Min", [x, self.constant("exp_cap", bound)])])
        if name == "silu":
            return self.node("Mul", [x, self.node("Sigmoid", [x])])
        if name == "gelu":
            if self.opset >= 20:
                return self.node("Gelu", [x], approximate="tanh")
            # ½ x (1 + tanh(√(2/π) (x + 0.044715 x³)))
            cube = self.node("Mul", [x, self.node("Mul", [x, x])])
            inner = self.node("Add", [x, self.node("Mul", [cube, self.constant("k", 0.044715)])])
            t = self.node(
                "Tanh", [self.node("Mul", [inner, self.constant("c", math.sqrt(2 / math.pi))])]
            )
            half_x = self.node("Mul", [x, self.constant("half", 0.5)])
            return self.node("Mul", [half_x, self.node("Add", [t, self.constant("one", 1.0)])])
        raise ValueError(f"no ONNX export for activation {name!r}")


def _normalization(g: _Graph, layer: BatchNorm | LayerNorm, x: str) -> str:
    """BatchNormalization with the running statistics (inference), or LayerNormalization
    over the last axis (opset 17 and newer)."""
    width = layer.num_features
    scale = layer.gamma if layer.affine else np.ones(width, g.dtype)
    shift = layer.beta if layer.affine else np.zeros(width, g.dtype)
    inputs = [x, g.constant("gamma", scale), g.constant("beta", shift)]
    if isinstance(layer, BatchNorm):
        stats = [g.constant("mean", layer.running_mean), g.constant("var", layer.running_var)]
        return g.node("BatchNormalization", inputs + stats, epsilon=layer.eps)
    if g.opset < 17:
        raise ValueError(
            f"LayerNorm needs ONNX opset 17 or newer (LayerNormalization), got {g.opset}"
        )
    return g.node("LayerNormalization", inputs, axis=-1, epsilon=layer.eps)


def _check_exportable(i: int, layer: Any) -> None:
    """A ValueError naming a layer (or activation) that is not mlpkit's own: its
    forward is the user's Python, which no ONNX operator is."""
    if type(layer) not in BUILT_IN:
        raise ValueError(f"no ONNX export for layer {i} ({type(layer).__name__}): only mlpkit's own "
                         "layers are exported (a subclass's forward is Python)")  # fmt: skip
    activation = getattr(layer, "activation", None)
    if activation is not None and type(activation) not in act.BUILT_IN:
        raise ValueError(f"no ONNX export for layer {i}'s activation {type(activation).__name__}: "
                         "only mlpkit's own activations are exported")  # fmt: skip


def _features(g: _Graph, layer: InputFeatures, x: str) -> str:
    """Each term's column (N, 1) — Gather of the inputs it names, then Mul or Sin —
    concatenated in order (N, len(terms))."""
    columns = []
    for term in layer.terms:
        op, inputs = parse_term(term)
        picked = [g.node("Gather", [x, g.index(i)], axis=1) for i in inputs]
        if op == "input":
            columns.append(picked[0])
        elif op == "square":
            columns.append(g.node("Mul", [picked[0], picked[0]]))
        elif op == "product":
            columns.append(g.node("Mul", picked))
        else:
            columns.append(g.node("Sin", picked))
    return g.node("Concat", columns, axis=1)


def _network(model: Sequential | Autoencoder, part: str) -> Sequential:
    from .autoencoder import Autoencoder

    if isinstance(model, Autoencoder):
        if part not in ("full", "encoder", "decoder"):
            raise ValueError(f"part must be 'full', 'encoder' or 'decoder', got {part!r}")
        return {"full": model.network, "encoder": model.encoder, "decoder": model.decoder}[
            part
        ].on_host()
    return model.on_host()  # a model trained on a GPU is exported from a host copy


def export(
    model: Sequential | Autoencoder,
    path: str | os.PathLike[str],
    opset: int = DEFAULT_OPSET,
    part: str = "full",
) -> Path:
    """Write a model as an ONNX file with input "input" (N, n_in) and output "output" (N, n_out).

    Parameters
    ----------
    model : Sequential or Autoencoder
        The model; a layer or activation of your own (or a subclass of a built-in) is
        refused by name.
    path : str or PathLike
        The ``.onnx`` file, written atomically.
    opset : int, default 20
        The ONNX opset, 13 or newer.
    part : {"full", "encoder", "decoder"}, default "full"
        For an Autoencoder, which part.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    ValueError
        A layer or activation ONNX export does not know, an opset below 13 or an unknown
        part.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> mlpkit.onnx.export(net, "moons.onnx").name
    'moons.onnx'
    """
    onnx = _onnx()
    if opset < 13:
        raise ValueError(f"opset must be 13 or newer (Softmax on the last axis), got {opset}")
    net = _network(model, part)
    g = _Graph(onnx, net.dtype, opset)
    x = "input"
    for i, layer in enumerate(net.layers):
        _check_exportable(i, layer)
        if isinstance(layer, Dense):
            w = g.constant("W", layer.W)
            if layer.bias:
                x = g.node("Gemm", [x, w, g.constant("b", layer.b)])
            else:
                x = g.node("MatMul", [x, w])
            x = g.activation(layer.activation.name, layer.activation.get_config(), x)
        elif isinstance(layer, ActivationLayer):
            x = g.activation(layer.activation.name, layer.activation.get_config(), x)
        elif isinstance(layer, BatchNorm | LayerNorm):
            x = _normalization(g, layer, x)
        elif isinstance(layer, InputFeatures):
            x = _features(g, layer, x)
        # Dropout and GaussianNoise are identities at inference
    elem = onnx.helper.np_dtype_to_tensor_dtype(net.dtype)
    g.nodes.append(onnx.helper.make_node("Identity", [x], ["output"]))
    graph = onnx.helper.make_graph(
        g.nodes,
        "mlpkit",
        [onnx.helper.make_tensor_value_info("input", elem, ["N", net.n_features_in])],
        [onnx.helper.make_tensor_value_info("output", elem, ["N", net.n_outputs])],
        g.initializers,
    )
    onnx_model = onnx.helper.make_model(
        graph, opset_imports=[onnx.helper.make_opsetid("", opset)], producer_name="mlpkit"
    )
    onnx_model.ir_version = IR_VERSION
    onnx.checker.check_model(onnx_model)
    blob = onnx_model.SerializeToString()
    return write_atomic(path, lambda f: f.write(blob), "ONNX file")
