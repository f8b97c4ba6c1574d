"""Forward/backward tables for a few examples, in the notation of the lecture notes.

Forward, per layer: the pre-activation s = h_prev W + b and the activation h = f(s),
printed as ``σ(1.000) = 0.731`` the way Chapter 1 of the notes tabulates its XOR network. Backward,
per layer and example: the error term δ = ∂l/∂s (Chapter 1 of the notes defines δ = −(t − y) r'(s_y)
for its output), then the weight gradients ∂L/∂W = h_prevᵀ δ / n and ∂L/∂b = Σ δ / n of
the mean loss over the traced examples.

What this file computes itself: the forward values (s = h_prev W + b, h = f(s)), the
backward walk δ_prev = (δ Wᵀ) ⊙ f'(s_prev) and the weight gradients h_prevᵀ δ / n (plus
the regulariser's gradient). It borrows three things: each activation's backward
(``Activation.vjp``, i.e. f' as the activation defines it; gradcheck tests those), the
output δ from the output head (heads.py), which is where training starts too, and, for
BatchNorm and LayerNorm, the layer's own forward and backward at inference (running
statistics). It does not call ``Dense.backward``, so comparing its ∂L/∂W with
``model.gradients()`` after a backward pass checks the dense layers' backward. Dropout
and GaussianNoise are shown as what they are at inference: the identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ._backend import to_numpy
from .layers import ActivationLayer, Dense, Dropout, GaussianNoise

if TYPE_CHECKING:
    from . import losses as losses_mod

if TYPE_CHECKING:
    from .network import Sequential

__all__ = ["LayerTrace", "Trace", "trace"]


def _aligned(rows: list[list[str]]) -> str:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for r in rows:  # stretch the rule under the header to the column width
        if all(set(cell) <= {"-"} for cell in r):
            r[:] = ["-" * w for w in widths]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


@dataclass
class LayerTrace:
    """One layer's values for the n traced examples (all arrays have n rows)."""

    index: int
    label: str  # e.g. "Dense(sigmoid)"
    symbol: str  # activation symbol for the table: "σ", "r", "tanh", ...
    s: np.ndarray | None  # pre-activation (n, k); None for parameter-free layers
    h: np.ndarray  # activation (n, k)
    delta: np.ndarray  # ∂l_i/∂s_i per example (n, k): per-sample loss, no 1/n
    dW: np.ndarray | None  # ∂L/∂W of the mean loss (k_prev, k); a normalisation layer's ∂L/∂γ
    db: np.ndarray | None  # ∂L/∂b (k,); a normalisation layer's ∂L/∂β
    param_symbols: tuple[str, str] = ("W", "b")


@dataclass
class Trace:
    """Everything that happens to a few examples in one forward and backward pass.

    Made by :func:`mlpkit.trace`; ``print`` it for the tables, or use its arrays.

    Parameters
    ----------
    x : ndarray of shape (n, k)
        The traced examples.
    layers : list of LayerTrace
        Per layer: pre-activations ``s``, activations ``h``, ``delta`` = ∂l/∂s per
        example, and ``dW``, ``db`` of the mean loss.
    output : ndarray of shape (n, n_outputs)
        The network's outputs.
    target : ndarray
        The targets as the loss reads them.
    losses : ndarray of shape (n,)
        Each example's loss.
    loss_name : str
        The loss's name.
    target_labels : list of str, optional
        How to show each example's target (a class name, say).
    penalty : float, default 0.0
        The regularisation penalty Σ R(W), part of L and of ∂L/∂W.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.xor()
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 2, "tanh"), mlpkit.Dense(2, 1, "sigmoid")], seed=0)
    >>> table = mlpkit.trace(net, X, y, loss="squared")
    >>> table.layers[0].h.shape, len(table.gradients()), table.loss > 0
    ((4, 2), 4, True)
    """

    x: np.ndarray
    layers: list[LayerTrace]
    output: np.ndarray
    target: np.ndarray
    losses: np.ndarray  # per example (n,)
    loss_name: str
    #: how to show each example's target (a class name, say) instead of its encoding
    target_labels: list[str] | None = None
    #: the regularisation penalty Σ R(W) (0 without regularisers): part of L and ∂L/∂W
    penalty: float = 0.0

    @property
    def loss(self) -> float:
        """L: the mean loss over the traced examples plus the penalty — the objective
        whose gradients ``gradients()`` holds."""
        return float(self.losses.mean()) + self.penalty

    def _loss_line(self, digits: int) -> str:
        if not self.penalty:
            return f"mean loss L = {self.loss:.{digits + 3}f}"
        return (
            f"L = mean loss {float(self.losses.mean()):.{digits + 3}f} + penalty "
            f"{self.penalty:.{digits + 3}f} = {self.loss:.{digits + 3}f}"
        )

    def gradients(self) -> list[np.ndarray]:
        """∂L/∂θ aligned with ``model.get_weights()``.

        Returns
        -------
        list of ndarray
            The dense layers' dW and db, in order.
        """
        out: list[np.ndarray] = []
        for lt in self.layers:
            if lt.dW is not None:
                out.append(lt.dW)
                if lt.db is not None:
                    out.append(lt.db)
        return out

    # -- rendering ----------------------------------------------------------------
    def _x_cell(self, i: int, max_inputs: int | None) -> str:
        """Row i's inputs, the first ``max_inputs`` of them (all when None)."""
        x = self.x[i] if max_inputs is None else self.x[i, :max_inputs]
        more = ", …" if len(x) < self.x.shape[1] else ""
        return "(" + ", ".join(f"{v:g}" for v in x) + more + ")"

    def _forward_rows(
        self, digits: int, max_units: int, max_inputs: int | None = None
    ) -> tuple[list[str], list[list[str]]]:
        f = f"{{:.{digits}f}}"
        header = ["x"]
        last = len(self.layers) - 1
        for lt in self.layers:
            k = lt.h.shape[1]
            for u in range(min(k, max_units)):
                name = "y" if lt.index == self.layers[last].index else f"h{lt.index}"
                header.append(f"{name}[{u}]" if k > 1 or name != "y" else "y")
            if k > max_units:
                header.append("…")
        header += ["target", f"loss ({self.loss_name})"]
        rows = []
        for i in range(self.x.shape[0]):
            row = [self._x_cell(i, max_inputs)]
            for lt in self.layers:
                k = lt.h.shape[1]
                for u in range(min(k, max_units)):
                    h = f.format(lt.h[i, u])
                    row.append(h if lt.s is None else f"{lt.symbol}({f.format(lt.s[i, u])}) = {h}")
                if k > max_units:
                    row.append("…")
            if self.target_labels is not None:
                row.append(str(self.target_labels[i]))
            else:
                row.append(", ".join(f"{v:g}" for v in np.atleast_1d(self.target[i])))
            row.append(f.format(self.losses[i]))
            rows.append(row)
        return header, rows

    def _backward_rows(
        self, digits: int, max_units: int, max_inputs: int | None = None
    ) -> tuple[list[str], list[list[str]]]:
        f = f"{{:.{digits}f}}"
        header = ["x"] + [
            f"δ{lt.index} = ∂l/∂s{lt.index}" for lt in self.layers if lt.s is not None
        ]
        rows = []
        for i in range(self.x.shape[0]):
            row = [self._x_cell(i, max_inputs)]
            for lt in self.layers:
                if lt.s is None:
                    continue
                vals = [f.format(v) for v in lt.delta[i, :max_units]]
                row.append(
                    "[" + ", ".join(vals) + (", …" if lt.delta.shape[1] > max_units else "") + "]"
                )
            rows.append(row)
        return header, rows

    def _gradient_lines(self, digits: int, max_inputs: int | None = None) -> list[str]:
        lines = []
        # wide layers are shown by their first and last rows and columns
        edge = 3 if max_inputs is None else max(1, max_inputs // 2)
        with np.printoptions(
            precision=digits, suppress=True, linewidth=100, edgeitems=edge, threshold=400
        ):
            for lt in self.layers:
                w, b = lt.param_symbols
                if lt.dW is not None:
                    sep = "\n" if lt.dW.ndim > 1 else " "
                    lines.append(f"∂L/∂{w}{lt.index} ={sep}{lt.dW}")
                    if lt.db is not None:
                        lines.append(f"∂L/∂{b}{lt.index} = {lt.db}")
        return lines

    def to_text(self, digits: int = 3, max_units: int = 8, max_inputs: int | None = None) -> str:
        """Aligned plain-text tables: forward, backward δ, then the gradients.

        Parameters
        ----------
        digits : int, default 3
            Decimals shown.
        max_units : int, default 8
            Units shown per layer.
        max_inputs : int, optional
            Inputs shown per example (all when None).

        Returns
        -------
        str
            The tables.
        """
        parts = []
        for title, (header, rows) in (
            ("forward", self._forward_rows(digits, max_units, max_inputs)),
            ("backward", self._backward_rows(digits, max_units, max_inputs)),
        ):
            parts.append(f"{title}:\n" + _aligned([header, ["-" * len(h) for h in header], *rows]))
        gradients = "\n".join(self._gradient_lines(digits, max_inputs))
        parts.append(f"{self._loss_line(digits)}\n{gradients}")
        return "\n\n".join(parts)

    def to_markdown(
        self, digits: int = 3, max_units: int = 8, max_inputs: int | None = None
    ) -> str:
        """GitHub-flavoured Markdown tables (forward and backward), then the gradients.

        Parameters
        ----------
        digits : int, default 3
            Decimals shown.
        max_units : int, default 8
            Units shown per layer.
        max_inputs : int, optional
            Inputs shown per example (all when None).

        Returns
        -------
        str
            The Markdown.
        """
        parts = []
        for header, rows in (
            self._forward_rows(digits, max_units, max_inputs),
            self._backward_rows(digits, max_units, max_inputs),
        ):
            lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(r) + " |" for r in rows]
            parts.append("\n".join(lines))
        gradients = "\n".join(self._gradient_lines(digits, max_inputs))
        line = self._loss_line(digits)
        parts.append(f"{line[0].upper()}{line[1:]}\n\n```\n{gradients}\n```")
        return "\n\n".join(parts)

    def to_lines(self, digits: int = 3, max_units: int = 8, max_inputs: int | None = None) -> str:
        """One line per quantity instead of one column per unit: readable for wide networks.

        Each example: x, then s and h of every layer, the output, target and loss; then δ of
        every layer (last first, as backpropagation computes them); then the gradients.

        Parameters
        ----------
        digits : int, default 3
            Decimals shown.
        max_units : int, default 8
            Values shown per vector.
        max_inputs : int, optional
            Inputs shown per example (all when None).

        Returns
        -------
        str
            The lines.
        """

        def vector(v: np.ndarray, limit: int | None) -> str:
            shown = v if limit is None else v[:limit]
            more = f", … ({len(v)} in all)" if len(shown) < len(v) else ""
            return "[" + ", ".join(f"{a:.{digits}f}" for a in shown) + more + "]"

        parts = []
        for i in range(self.x.shape[0]):
            target = (
                str(self.target_labels[i])
                if self.target_labels is not None
                else ", ".join(f"{v:g}" for v in np.atleast_1d(self.target[i]))
            )
            lines = [] if self.x.shape[0] == 1 else [f"example {i}"]
            lines += ["forward:", f"  x   = {vector(self.x[i], max_inputs)}"]
            for lt in self.layers:
                if lt.s is not None:
                    lines.append(f"  s{lt.index}  = {vector(lt.s[i], max_units)}   {lt.label}")
                lines.append(f"  h{lt.index}  = {vector(lt.h[i], max_units)}")
            lines.append(f"  target {target}; loss ({self.loss_name}) {self.losses[i]:.{digits}f}")
            lines.append("backward:")
            for lt in reversed(self.layers):
                if lt.s is not None:
                    lines.append(
                        f"  δ{lt.index} = ∂l/∂s{lt.index} = {vector(lt.delta[i], max_units)}"
                    )
            parts.append("\n".join(lines))
        gradients = "\n".join(self._gradient_lines(digits, max_inputs))
        parts.append(f"{self._loss_line(digits)}\n{gradients}")
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        """The forward and backward tables as HTML, the loss and gradients below (how
        Jupyter shows a trace)."""
        import html

        from ._html import table

        parts = [table(header, rows, caption=title) for title, (header, rows) in (
            ("forward", self._forward_rows(3, 8)), ("backward", self._backward_rows(3, 8)))]  # fmt: skip
        gradients = "\n".join(self._gradient_lines(3))
        parts.append(f"<p>{html.escape(self._loss_line(3))}</p><pre>{html.escape(gradients)}</pre>")
        return "".join(parts)


def trace(
    model: Sequential, x: np.ndarray, y: np.ndarray, loss: str | losses_mod.Loss | None = None
) -> Trace:
    """The forward and backward pass of a few examples, as the lecture notes tabulate it.

    Parameters
    ----------
    model : Sequential
        The network (one on another device is traced from a host copy).
    x : array of shape (k,) or (n, k)
        One example or a few.
    y : array
        Their targets, as ``fit`` takes them.
    loss : str or Loss, optional
        Defaults to the model's loss, else the output layer's default.

    Returns
    -------
    Trace
        Every layer's pre-activations s, activations h and δ = ∂l/∂s per example, the
        losses and ∂L/∂W; ``print`` it, or ``.to_markdown()``.

    Examples
    --------
    >>> import numpy as np
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.xor()
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 2, "sigmoid"), mlpkit.Dense(2, 1, "sigmoid")], dtype="float64")
    >>> net.set_weights([np.array([[3.0, 2.0], [4.0, 3.0]]), np.array([-2.0, -4.0]),
    ...                  np.array([[5.0], [-5.0]]), np.array([-2.0])])
    >>> table = mlpkit.trace(net, X[:1], y[:1], loss="squared")
    >>> print(table.to_text().splitlines()[3])
    (1, 0)  σ(1.000) = 0.731  σ(-2.000) = 0.119  σ(1.059) = 0.743  1       0.033
    """
    model = model.on_host()  # a model trained elsewhere (a GPU) is traced on the host
    xa = np.asarray(to_numpy(x), dtype=model.dtype)
    y = to_numpy(y) if hasattr(y, "shape") else y
    if xa.ndim == 1:
        xa = xa.reshape(1, -1)
        y = (
            np.asarray(y).reshape(1, -1)
            if np.ndim(y) >= 1 and np.size(y) > 1
            else np.reshape(y, (1,))
        )
    xa = model.check_input(xa)
    head = model.head(loss)
    t = head.prepare_targets(y, model.output_width(), model.dtype, xa.shape[0])
    n = xa.shape[0]

    # Forward: record s and h for every layer (pass-through layers: h only).
    inputs, pre, post = [], [], []
    h = xa
    for layer in model.layers:
        inputs.append(h)
        if isinstance(layer, Dense):
            s = h @ layer.W + (layer.b if layer.bias else 0.0)
            h = layer.activation.forward(s)
        elif isinstance(layer, ActivationLayer):
            s, h = h, layer.activation.forward(h)
        else:  # Dropout, GaussianNoise: the identity outside training; normalisation
            s, h = None, layer.forward(h, training=False)
        pre.append(s)
        post.append(h)
    out = h
    z = pre[-1] if pre[-1] is not None else out
    per_sample = head.per_sample(z, t)
    _, dl_dz = head.value_and_grad(z.copy(), t)  # of the mean loss: carries 1/n
    delta_out = dl_dz * n  # per example, ∂l_i/∂s_i

    # Backward, written out: δ = f'(s) ⊙ ∂l/∂h ; ∂l/∂h_prev = δ Wᵀ.
    records: list[LayerTrace] = []
    last = len(model.layers) - 1
    dh = None
    for i in range(last, -1, -1):
        layer, s, hh = model.layers[i], pre[i], post[i]
        if s is None:
            if dh is None:
                dh = delta_out
            if isinstance(
                layer, Dropout | GaussianNoise
            ):  # the identity at inference: ∂l/∂h_prev = ∂l/∂h
                records.append(LayerTrace(i, layer.kind, "", None, hh, dh, None, None))
                continue
            # normalisation at inference (with or without γ, β): its own backward, on the
            # mean loss's gradient
            # (rows independent, so per example it is n times that)
            layer.forward(inputs[i], training=False)
            dh_prev = layer.backward(dh / n) * n
            grads = [g.copy() for g in layer.gradients()]
            dgamma, dbeta = grads if grads else (None, None)
            records.append(LayerTrace(i, layer.kind, "", None, hh, dh, dgamma, dbeta, ("γ", "β")))
            dh = dh_prev
            continue
        act = layer.activation  # type: ignore[attr-defined]
        delta = delta_out if i == last else act.vjp(s, hh, dh)
        dW = db = None
        if isinstance(layer, Dense):
            dW = inputs[i].T @ delta / n
            if layer.regularizer is not None:
                dW = dW + layer.regularizer.gradient(layer.W)
            if layer.bias:
                db = delta.sum(axis=0) / n
                if layer.bias_regularizer is not None:
                    db = db + layer.bias_regularizer.gradient(layer.b)
            dh = delta @ layer.W.T
            label = f"Dense({act.name})"
        else:
            dh = delta
            label = type(layer).__name__
        records.append(LayerTrace(i, label, act.symbol, s, hh, delta, dW, db))
    records.reverse()
    return Trace(xa, records, out, t, per_sample, head.loss.name, penalty=model.penalty())
