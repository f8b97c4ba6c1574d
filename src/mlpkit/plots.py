"""Figures with matplotlib: every function returns a ``matplotlib.figure.Figure`` built
without pyplot (no global state, no window, Agg-safe); save it with ``fig.savefig``.

Needs the ``plots`` extra: ``pip install 'mlpkit[plots]'``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import activations as act_mod
from ._figures import _as_dict, _figure, available, training_curves

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .autoencoder import Autoencoder
    from .callbacks import History
    from .network import Sequential

__all__ = [
    "activation_grid",
    "available",
    "confusion_matrix",
    "decision_boundary",
    "gradient_norms",
    "latent_scatter",
    "latent_traversal",
    "loss_curves",
    "network_diagram",
    "reconstructions",
    "training_curves",
]


def loss_curves(
    histories: History | Mapping[str, History | Mapping[str, Sequence[float]]],
    keys: Sequence[str] = ("loss", "val_loss"),
    x: str = "epoch",
    log_scale: bool = False,
    title: str | None = None,
) -> Figure:
    """Training curves: one History, or several labelled ones to compare (optimizers, say).

    Validation curves are dashed.

    Parameters
    ----------
    histories : History or mapping
        One History, or ``{label: History}``.
    keys : sequence of str, default ("loss", "val_loss")
        The entries drawn (missing ones are skipped).
    x : {"epoch", "time"}, default "epoch"
        The x axis: epochs, or cumulative wall-clock seconds.
    log_scale : bool, default False
        A logarithmic y axis.
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
    >>> runs = {"Adam": net.fit(X, y, epochs=3, verbose=0)}
    >>> mlpkit.plots.loss_curves(runs, keys=("loss",)).axes[0].get_xlabel()
    'epoch'
    """
    single = hasattr(histories, "history") or all(
        isinstance(v, list | tuple | np.ndarray) for v in histories.values()
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
    """Each layer's gradient norm over training (the ``grad_norm.layerK`` entries).

    Parameters
    ----------
    history : History or mapping
        A History or its ``history`` dict.
    log_scale : bool, default True
        A logarithmic y axis.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (no pyplot state).

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.moons(200, seed=0)
    >>> net = mlpkit.Sequential([mlpkit.Dense(2, 8, "tanh"), mlpkit.Dense(8, 2, "softmax")], seed=0)
    >>> history = net.fit(X, y, epochs=2, verbose=0)
    >>> len(mlpkit.plots.gradient_norms(history).axes)
    1
    """
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
    """Every element-wise activation with its derivative (the worksheet's Problem 2).

    Parameters
    ----------
    names : sequence of str, optional
        The activations (default: all element-wise ones).
    lo : float, default -4.0
        The z axis's start.
    hi : float, default 4.0
        Its end.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (no pyplot state).

    Examples
    --------
    >>> import mlpkit
    >>> mlpkit.plots.activation_grid(["relu", "tanh"]).axes[0].get_title()
    'relu'
    """
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
    codes are projected on their first two principal components (k = 1: against index).

    Parameters
    ----------
    codes : ndarray of shape (N, k)
        The bottleneck codes.
    labels : ndarray of shape (N,), optional
        Colours.
    title : str, default "latent space"
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (no pyplot state).

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.load_digits()
    >>> ae = mlpkit.Autoencoder([64, 16, 2], seed=0)
    >>> history = ae.fit(X[:200], epochs=1, verbose=0)
    >>> mlpkit.plots.latent_scatter(ae.encode(X[:100]), y[:100]).axes[0].get_title()
    'latent space'
    """
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
    """The first n inputs (top row) over their reconstructions (bottom row).

    Parameters
    ----------
    autoencoder : Autoencoder
        A fitted autoencoder.
    x : ndarray of shape (N, input_dim)
        The inputs.
    image_shape : (int, int)
        The images' (height, width).
    n : int, default 10
        How many.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (no pyplot state).

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.load_digits()
    >>> ae = mlpkit.Autoencoder([64, 16, 2], seed=0)
    >>> history = ae.fit(X[:200], epochs=1, verbose=0)
    >>> fig = mlpkit.plots.reconstructions(ae, X[:6], (8, 8), n=6)
    >>> fig.savefig("reconstructions.png")
    """
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
    decode each code.

    Parameters
    ----------
    autoencoder : Autoencoder
        A fitted autoencoder.
    image_shape : (int, int)
        The images' (height, width).
    steps : int, default 9
        Codes per unit.
    base : ndarray of shape (k,), optional
        The code the others stay at.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (no pyplot state).

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.load_digits()
    >>> ae = mlpkit.Autoencoder([64, 16, 2], seed=0)
    >>> history = ae.fit(X[:200], epochs=1, verbose=0)
    >>> fig = mlpkit.plots.latent_traversal(ae, (8, 8), steps=5)
    >>> fig.savefig("traversal.png")
    """
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


def confusion_matrix(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    labels: Sequence[Any] | None = None,
    title: str = "confusion matrix",
) -> Figure:
    """Counts of (true, predicted) label pairs, true labels as rows.

    Parameters
    ----------
    y_true : array of shape (N,)
        The true labels.
    y_pred : array of shape (N,)
        The predicted labels.
    labels : sequence, optional
        The classes' names, in order.
    title : str, default "confusion matrix"
        The figure's title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (no pyplot state).

    Examples
    --------
    >>> import mlpkit
    >>> fig = mlpkit.plots.confusion_matrix([0, 1, 1], [0, 1, 0])
    >>> fig.axes[0].get_title()
    'confusion matrix'
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = list(np.unique(np.concatenate([y_true, y_pred])) if labels is None else labels)
    index = {v: i for i, v in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), dtype=int)
    for t, p in zip(y_true, y_pred, strict=True):
        counts[index[t], index[p]] += 1
    fig = _figure(
        figsize=(1.0 + 0.45 * len(labels), 0.8 + 0.45 * len(labels)), layout="constrained"
    )
    ax = fig.add_subplot()
    ax.imshow(counts, cmap="Blues")
    for i in range(len(labels)):
        for j in range(len(labels)):
            color = "white" if counts[i, j] > counts.max() / 2 else "black"
            ax.text(
                j, i, str(counts[i, j]), ha="center", va="center", color=color, fontsize="small"
            )
    ax.set_xticks(range(len(labels)), [str(v) for v in labels])
    ax.set_yticks(range(len(labels)), [str(v) for v in labels])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return fig


def decision_boundary(
    model: Sequential,
    x: np.ndarray,
    y: np.ndarray,
    resolution: int = 200,
    title: str = "decision boundary",
) -> Figure:
    """The classes a model assigns over the plane of its two inputs, with the data on top.

    Parameters
    ----------
    model : Sequential
        A classifier of two inputs.
    x : ndarray of shape (N, 2)
        The data drawn.
    y : ndarray of shape (N,)
        Its labels.
    resolution : int, default 200
        Grid points per axis.
    title : str, default "decision boundary"
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
    >>> history = net.fit(X, y, epochs=2, verbose=0)
    >>> fig = mlpkit.plots.decision_boundary(net, X, y, resolution=50)
    >>> fig.savefig("boundary.png")
    """
    x = np.asarray(x, dtype=np.float64)
    if x.shape[1] != 2:
        raise ValueError(f"decision_boundary needs 2 input features, got {x.shape[1]}")
    pad = 0.1 * (x.max(axis=0) - x.min(axis=0) + 1e-9)
    lo, hi = x.min(axis=0) - pad, x.max(axis=0) + pad
    gx, gy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = np.c_[gx.ravel(), gy.ravel()]
    classes = model.predict_classes(grid).reshape(gx.shape)
    fig = _figure(figsize=(5.5, 5.0), layout="constrained")
    ax = fig.add_subplot()
    ax.contourf(gx, gy, classes, alpha=0.3, cmap="tab10", vmin=0, vmax=9)
    y = np.asarray(y)
    for i, value in enumerate(np.unique(y)):
        mask = y == value
        ax.scatter(
            x[mask, 0], x[mask, 1], s=8, color=f"C{i % 10}", label=str(value), edgecolors="none"
        )
    ax.legend(fontsize="small")
    ax.set_title(title)
    return fig


def network_diagram(model: Sequential, max_units: int = 10, title: str | None = None) -> Figure:
    """The network drawn with what the worksheet's "bad diagram" leaves out: a bias node
    feeding every layer, and each layer's activation function named under it. Layers
    wider than ``max_units`` show their first and last units with an ellipsis.

    Parameters
    ----------
    model : Sequential
        The network.
    max_units : int, default 10
        Units drawn per layer.
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
    >>> mlpkit.plots.network_diagram(net).savefig("network.png")
    """
    from .layers import Dense

    model = model.on_host()
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    widths = [model.n_features_in or 0] + [layer.out_features for layer in dense]
    names = ["input"] + [layer.activation.name for layer in dense]
    fig = _figure(figsize=(2.2 * len(widths) + 1, 5.0), layout="constrained")
    ax = fig.add_subplot()
    ax.set_axis_off()

    def shown(k: int) -> list[float]:
        count = min(k, max_units)
        return list(np.linspace(0.9, 0.1, count)) if count > 1 else [0.5]

    positions = [shown(k) for k in widths]
    for col in range(len(widths) - 1):
        for y0 in positions[col]:
            for y1 in positions[col + 1]:
                ax.plot([col, col + 1], [y0, y1], color="0.75", lw=0.4, zorder=1)
        bias_y = min(positions[col]) - 0.12
        for y1 in positions[col + 1]:
            ax.plot([col, col + 1], [bias_y, y1], color="tab:orange", lw=0.5, ls="--", zorder=1)
        ax.scatter([col], [bias_y], s=220, marker="s", color="tab:orange", zorder=3)
        ax.text(
            col, bias_y, "1", ha="center", va="center", fontsize="small", color="white", zorder=4
        )
    for col, (ys, k, name) in enumerate(zip(positions, widths, names, strict=True)):
        ax.scatter([col] * len(ys), ys, s=260, color="tab:blue" if col else "tab:green", zorder=3)
        if k > max_units:
            ax.text(col + 0.12, 0.5, "⋮", ha="left", va="center", fontsize=16, zorder=5)
        ax.text(col, 1.0, f"{k} units", ha="center", fontsize="small")
        ax.text(col, -0.12, name if col else "x", ha="center", fontsize="small", style="italic")
    ax.text(-0.35, -0.04, "bias", color="tab:orange", fontsize="small")
    ax.set_xlim(-0.5, len(widths) - 0.5)
    ax.set_ylim(-0.2, 1.08)
    ax.set_title(title or "network: " + " → ".join(map(str, widths)))
    return fig
