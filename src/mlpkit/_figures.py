"""The pieces of mlpkit.plots that the rest of the package uses without importing it
(``History.plot`` draws with ``training_curves``): matplotlib's Figure built without
pyplot, and whether matplotlib is there at all. Imports nothing else of mlpkit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["available", "training_curves"]


def available() -> bool:
    """Whether matplotlib is installed (the ``plots`` extra).

    This module imports without it, and each figure says it needs it.

    Returns
    -------
    bool
        True when figures can be drawn.

    Examples
    --------
    >>> import mlpkit
    >>> mlpkit.plots.available()
    True
    """
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def _figure(**kwargs: Any) -> Figure:
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ImportError("mlpkit.plots needs matplotlib: pip install 'mlpkit[plots]'") from None
    _show_in_notebooks(Figure)
    return Figure(**kwargs)


def _show_in_notebooks(figure_class: Any) -> None:
    """In a Jupyter kernel, have a Figure shown as a PNG when a cell returns it (a
    Figure made without pyplot has no display of its own until pyplot is imported)."""
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or type(shell).__name__ != "ZMQInteractiveShell":
        return
    png = shell.display_formatter.formatters["image/png"]
    if figure_class in png.type_printers:
        return

    def as_png(fig: Any) -> bytes:
        import io

        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        return buffer.getvalue()

    png.for_type(figure_class, as_png)


def _as_dict(history: Any) -> Mapping[str, Sequence[float]]:
    return cast(
        "Mapping[str, Sequence[float]]", history.history if hasattr(history, "history") else history
    )


def training_curves(
    history: Any,
    keys: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """One panel per quantity of a History, its validation curve dashed beside it.

    ``History.plot`` draws this.

    Parameters
    ----------
    history : History or mapping
        A History or its ``history`` dict.
    keys : sequence of str, optional
        The quantities (default: all but time, lr and the gradient norms).
    title : str, optional
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (no pyplot state).

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> history = net.fit(X, y, epochs=3, metrics=["accuracy"], verbose=0)
    >>> len(mlpkit.plots.training_curves(history).axes)
    2
    """
    h = _as_dict(history)
    names = [
        k.removeprefix("val_")
        for k in h
        if not k.startswith("grad_norm") and k not in ("time", "lr")
    ]
    bases = list(dict.fromkeys(names)) if keys is None else [k.removeprefix("val_") for k in keys]
    if not bases:
        raise ValueError("the history holds no curves to draw (train a few epochs first)")
    fig = _figure(figsize=(4.2 * len(bases), 3.4), layout="constrained")
    for i, base in enumerate(bases):
        ax = fig.add_subplot(1, len(bases), i + 1)
        for key, style in ((base, "-"), (f"val_{base}", "--")):
            if key in h:
                y = np.asarray(h[key], dtype=float)
                ax.plot(np.arange(1, len(y) + 1), y, style, label=key)
        ax.set_xlabel("epoch")
        ax.set_title(base)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return fig
