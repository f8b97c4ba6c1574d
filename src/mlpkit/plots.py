"""Figures with matplotlib: every function returns a ``matplotlib.figure.Figure`` built
without pyplot (no global state, no window, Agg-safe); save it with ``fig.savefig``.

Needs the ``plots`` extra: ``pip install 'mlpkit[plots]'``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import activations as act_mod

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .callbacks import History

__all__ = ["activation_grid", "gradient_norms", "loss_curves"]


def _figure(**kwargs: Any) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ImportError("mlpkit.plots needs matplotlib: pip install 'mlpkit[plots]'") from None
    return Figure(**kwargs)


def _as_dict(history: History | Mapping[str, Sequence[float]]) -> Mapping[str, Sequence[float]]:
    return history.history if hasattr(history, "history") else history  # type: ignore[return-value]


def loss_curves(
    histories: History | Mapping[str, History | Mapping[str, Sequence[float]]],
    keys: Sequence[str] = ("loss", "val_loss"),
    x: str = "epoch",
    log_scale: bool = False,
    title: str | None = None,
) -> Figure:
    """Training curves: one History, or several labelled ones to compare (e.g. optimizers).

    keys : the history entries to draw (missing ones are skipped); validation curves
        are dashed. x : "epoch" or "time" (cumulative wall-clock seconds).
    """
    single = hasattr(histories, "history") or all(
        isinstance(v, list | tuple | np.ndarray)
        for v in histories.values()  # type: ignore[union-attr]
    )
    if single:
        histories = {"": histories}  # type: ignore[dict-item]
    fig = _figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for label, history in histories.items():  # type: ignore[union-attr]
        h = _as_dict(history)
        for key in keys:
            if key not in h:
                continue
            y = np.asarray(h[key], dtype=float)
            xs = np.cumsum(h["time"]) if x == "time" and "time" in h else np.arange(1, len(y) + 1)
            name = f"{label} {key}".strip()
            ax.plot(xs, y, linestyle="--" if key.startswith("val_") else "-", label=name)
    ax.set_xlabel("seconds" if x == "time" else "epoch")
    ax.set_ylabel(" / ".join(keys))
    if log_scale:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return fig


def gradient_norms(
    history: History | Mapping[str, Sequence[float]], log_scale: bool = True
) -> Figure:
    """Per-layer gradient norm over training (the ``grad_norm.layerK`` history entries)."""
    h = _as_dict(history)
    fig = _figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.add_subplot()
    for key in sorted(k for k in h if k.startswith("grad_norm.")):
        ax.plot(np.arange(1, len(h[key]) + 1), h[key], label=key.removeprefix("grad_norm."))
    ax.set_xlabel("epoch")
    ax.set_ylabel("gradient L2 norm")
    if log_scale:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    return fig


def activation_grid(
    names: Sequence[str] | None = None, lo: float = -4.0, hi: float = 4.0
) -> Figure:
    """Every element-wise activation with its derivative (seed 000's Problem 2)."""
    names = [n for n in (names or act_mod.names()) if n != "softmax"]
    cols = 4
    rows = -(-len(names) // cols)
    fig = _figure(figsize=(3.0 * cols, 2.4 * rows), layout="constrained")
    z = np.linspace(lo, hi, 401)
    for i, name in enumerate(names):
        ax = fig.add_subplot(rows, cols, i + 1)
        f = act_mod.get(name)
        ax.plot(z, f.forward(z), label="f(z)")
        ax.plot(z, f.derivative(z), label="f'(z)", linestyle="--")
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_title(name)
        ax.grid(alpha=0.3)
        if i == 0:
            ax.legend(fontsize="small")
    return fig
