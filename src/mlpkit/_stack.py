"""LayerStack: the layers of a network and their arrays, as the model shows them.

The base of :class:`mlpkit.Sequential` that reads its layers without running them:
parameters, gradients and buffers by name and in order, weights in and out, snapshots
for early stopping, the regularisation penalty, and the summary table. Everything here
is aligned with ``get_weights()``: ``[W1, b1, W2, b2, ...]`` with W of shape (in, out)
and b of shape (out,).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._backend import asarray, to_numpy
from .layers import Dense, Dropout, Layer

__all__ = ["LayerStack"]


class LayerStack:
    """The layers in order and the arrays they hold (what a model has, not what it runs).

    Attributes
    ----------
    layers : list of Layer
        The layers, input first.
    dtype : numpy.dtype
        The parameters' dtype.
    seed : int or None
        The generator's seed (shown in the summary).
    n_features_in : int or None
        The input width, once a layer declares it.
    xp, device
        The array library and device the parameters live on.
    """

    layers: list[Layer]
    dtype: np.dtype
    seed: int | None
    n_features_in: int | None
    xp: Any
    device: Any

    def parameters(self) -> list[np.ndarray]:
        """The live parameter arrays (not copies).

        Returns
        -------
        list of array
            [W1, b1, W2, b2, ...].
        """
        return [p for layer in self.layers for p in layer.parameters()]

    def gradients(self) -> list[np.ndarray]:
        """The gradients from the last backward.

        Returns
        -------
        list of array
            Aligned with :meth:`parameters` and :meth:`get_weights`.
        """
        return [g for layer in self.layers for g in layer.gradients()]

    def parameter_names(self) -> list[str]:
        """Labels such as "layer0.W", aligned with :meth:`parameters`.

        Returns
        -------
        list of str
            The names.
        """
        return [f"layer{i}.{n}" for i, layer in enumerate(self.layers) for n in layer.param_names]

    def named_parameters(self) -> dict[str, np.ndarray]:
        """The live parameter arrays by name, in order.

        Returns
        -------
        dict of str to array
            ``{"layer0.W": W1, "layer0.b": b1, ...}``.
        """
        return dict(zip(self.parameter_names(), self.parameters(), strict=True))

    def named_buffers(self) -> dict[str, np.ndarray]:
        """The live state arrays that are not trained, by name (saved with the model).

        Returns
        -------
        dict of str to array
            ``{"layer1.running_mean": ..., ...}`` (BatchNorm's running statistics).
        """
        return {
            f"layer{i}.{n}": b
            for i, layer in enumerate(self.layers)
            for n, b in zip(layer.buffer_names, layer.buffers(), strict=True)
        }

    def snapshot(self) -> list[np.ndarray]:
        """Copies of every parameter and buffer: what :meth:`restore` puts back.

        Returns
        -------
        list of array
            The copies (early stopping's best weights).
        """
        arrays = (*self.parameters(), *self.named_buffers().values())
        if self.xp is not np:
            return [self.xp.asarray(a, copy=True) for a in arrays]
        return [a.copy() for a in arrays]

    def restore(self, snapshot: Sequence[np.ndarray]) -> None:
        """Put back the arrays of a :meth:`snapshot` of this model.

        Parameters
        ----------
        snapshot : list of array
            What :meth:`snapshot` returned.
        """
        live = [*self.parameters(), *self.named_buffers().values()]
        if len(live) != len(snapshot) or any(
            a.shape != b.shape for a, b in zip(live, snapshot, strict=True)
        ):
            raise ValueError("restore() needs a snapshot() of this same model")
        for a, b in zip(live, snapshot, strict=True):
            a[...] = b

    def count_params(self) -> int:
        return sum(math.prod(p.shape) for p in self.parameters())

    def gradient_norms(self) -> dict[int, float]:
        """The L2 norm of each layer's gradients from the last backward.

        Returns
        -------
        dict of int to float
            By layer index, for every layer with parameters.
        """
        if self.xp is not np:
            xp = self.xp
            return {
                i: math.sqrt(sum(float(xp.sum(g * g)) for g in layer.gradients()))
                for i, layer in enumerate(self.layers)
                if layer.param_names
            }
        return {
            i: math.sqrt(sum(float(np.vdot(g, g)) for g in layer.gradients()))
            for i, layer in enumerate(self.layers)
            if layer.param_names
        }

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the parameters as host NumPy arrays.

        Returns
        -------
        list of ndarray
            ``[W1 (in, out), b1 (out,), W2, b2, ...]``, BatchNorm's gamma and beta in place.
        """
        return [np.array(to_numpy(p), copy=True) for p in self.parameters()]

    def set_weights(self, weights: Sequence[np.ndarray]) -> None:
        """Copy arrays into the network's parameters.

        Parameters
        ----------
        weights : sequence of ndarray
            The same order and shapes as :meth:`get_weights` returns.

        Raises
        ------
        ValueError
            A count or a shape that does not match, naming the parameter.
        """
        params = self.parameters()
        names = self.parameter_names()
        weights = list(weights)
        if len(weights) != len(params):
            raise ValueError(
                f"set_weights got {len(weights)} arrays but the network has {len(params)} "
                f"({', '.join(names)})"
            )
        checked = []
        for i, (p, w, name) in enumerate(zip(params, weights, names, strict=True)):
            a = np.asarray(to_numpy(w))
            if a.dtype.kind not in "iuf":
                raise ValueError(
                    f"set_weights: array {i} ({name}) is not numeric (dtype {a.dtype})"
                )
            if a.shape != p.shape:
                raise ValueError(
                    f"set_weights: array {i} ({name}) has shape {a.shape}, expected {p.shape}"
                )
            if not np.all(np.isfinite(a)):
                raise ValueError(f"set_weights: array {i} ({name}) contains NaN or inf")
            checked.append(a)
        for p, a in zip(params, checked, strict=True):
            if self.xp is np:
                np.copyto(p, a, casting="unsafe")
            else:
                p[...] = asarray(a, self.xp, self.device, dtype=self.dtype)

    def penalty(self) -> float:
        """The sum of the layers' regularisation penalties (added to the training loss).

        Returns
        -------
        float
            Σ R(W).
        """
        return sum(layer.penalty() for layer in self.layers)

    def describe_layers(self) -> list[dict[str, Any]]:
        """One row per layer: kind, activation, input/W/b/output shapes, parameter count.

        Returns
        -------
        list of dict
            What :meth:`summary` prints.
        """
        rows = []
        width = self.n_features_in
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Dense):
                label = f"Dense({layer.activation.name})"
                w = str(tuple(layer.W.shape))
                b = str(tuple(layer.b.shape)) if layer.bias else "-"
            elif isinstance(layer, Dropout):
                label, w, b = f"Dropout({layer.rate:g})", "-", "-"
            else:
                label, w, b = type(layer).__name__, "-", "-"
            out = layer.out_features
            n = sum(math.prod(p.shape) for p in layer.parameters())
            rows.append(
                {
                    "index": i,
                    "layer": label,
                    "input": f"(N, {width})",
                    "W": w,
                    "b": b,
                    "output": f"(N, {out})",
                    "params": n,
                }
            )
            width = out
        return rows

    def summary(self, print_fn: Callable[[str], None] = print) -> None:
        """Print every layer's input, weight, bias and output shapes and the parameter count.

        Keras's contract: it returns None; the text is ``str(model)``.

        Parameters
        ----------
        print_fn : callable, default print
            Called once with the whole table.
        """
        print_fn(self._summary_text())

    def __str__(self) -> str:
        return self._summary_text()

    def _summary_text(self) -> str:
        rows = self.describe_layers()
        head = {
            "index": "#",
            "layer": "layer",
            "input": "input",
            "W": "W",
            "b": "b",
            "output": "output",
            "params": "params",
        }
        cols = list(head)
        table = [head] + [{k: str(v) for k, v in r.items()} for r in rows]
        widths = {c: max(len(r[c]) for r in table) for c in cols}
        lines = [f"Sequential ({self.dtype.name}, seed={self.seed})"]
        for j, r in enumerate(table):
            cells = [
                r[c].rjust(widths[c]) if c in ("index", "params") else r[c].ljust(widths[c])
                for c in cols
            ]
            lines.append("  ".join(cells).rstrip())
            if j == 0:
                lines.append("-" * len(lines[-1]))
        lines.append(f"total parameters: {self.count_params():,}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The summary as an HTML table (how Jupyter shows a model)."""
        from ._html import table

        cols = ["index", "layer", "input", "W", "b", "output", "params"]
        rows = [[r[c] for c in cols] for r in self.describe_layers()]
        return table(["#", "layer", "input", "W", "b", "output", "params"], rows,
                     caption=f"Sequential ({self.dtype.name}, seed={self.seed})",
                     footer=f"total parameters: {self.count_params():,}",
                     numeric=[True, False, False, False, False, False, True])  # fmt: skip

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential([{inner}], seed={self.seed}, dtype={self.dtype.name!r})"
