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

    from .autoencoder import Autoencoder
    from .callbacks import History

__all__ = [
    "activation_grid",
    "gradient_norms",
    "latent_scatter",
    "latent_traversal",
    "loss_curves",
    "reconstructions",
]


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


def latent_scatter(
    codes: np.ndarray, labels: np.ndarray | None = None, title: str = "latent space"
) -> Figure:
    """Bottleneck codes (N, k) coloured by label. k = 2 is drawn as is; for k > 2 the
    codes are projected on their first two principal components (k = 1: against index)."""
    z = np.asarray(codes, dtype=np.float64)
    axes_names = ("z0", "z1")
    if z.shape[1] == 1:
        z = np.c_[np.arange(len(z)), z[:, 0]]
        axes_names = ("sample", "z0")
    elif z.shape[1] > 2:
        from .reduction import PCA

        z = PCA(2).fit_transform(z)
        axes_names = ("PC1 of z", "PC2 of z")
    fig = _figure(figsize=(5.5, 5.0), layout="constrained")
    ax = fig.add_subplot()
    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=6)
    else:
        labels = np.asarray(labels)
        for i, value in enumerate(np.unique(labels)):
            mask = labels == value
            ax.scatter(z[mask, 0], z[mask, 1], s=6, color=f"C{i % 10}", label=str(value))
        ax.legend(markerscale=2, fontsize="small", ncols=2)
    ax.set_xlabel(axes_names[0])
    ax.set_ylabel(axes_names[1])
    ax.set_title(title)
    return fig


def _image_grid(
    images: np.ndarray, image_shape: tuple[int, int], rows: int, cols: int, **kw: Any
) -> Figure:
    fig = _figure(figsize=(cols * 0.9, rows * 0.9 + 0.4), layout="constrained")
    for i in range(rows * cols):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(
            images[i].reshape(image_shape),
            cmap="gray",
            vmin=kw.get("vmin", 0.0),
            vmax=kw.get("vmax", 1.0),
        )
        ax.set_xticks([])
        ax.set_yticks([])
    if kw.get("title"):
        fig.suptitle(kw["title"])
    return fig


def reconstructions(
    autoencoder: Autoencoder, x: np.ndarray, image_shape: tuple[int, int], n: int = 10
) -> Figure:
    """The first n inputs (top row) over their reconstructions (bottom row)."""
    x = np.asarray(x)[:n]
    images = np.concatenate([x, autoencoder.reconstruct(x)])
    return _image_grid(images, image_shape, 2, len(x), title="originals (top) and reconstructions")


def latent_traversal(
    autoencoder: Autoencoder,
    image_shape: tuple[int, int],
    steps: int = 9,
    base: np.ndarray | None = None,
) -> Figure:
    """For each bottleneck unit (a row), vary it across its observed range in ``steps``
    steps with the other units fixed at ``base`` (default: the middle of the range) and
    decode each code."""
    k = autoencoder.latent_dim
    if autoencoder.latent_range is not None:
        lo, hi = (np.asarray(r, dtype=np.float64) for r in autoencoder.latent_range)
    else:
        lo, hi = np.full(k, -3.0), np.full(k, 3.0)
    centre = (lo + hi) / 2 if base is None else np.asarray(base, dtype=np.float64)
    codes = np.repeat(centre[None, :], k * steps, axis=0)
    for unit in range(k):
        codes[unit * steps : (unit + 1) * steps, unit] = np.linspace(lo[unit], hi[unit], steps)
    images = autoencoder.decode(codes.astype(np.float32))
    return _image_grid(
        images, image_shape, k, steps, title="latent traversal: one row per bottleneck unit"
    )
