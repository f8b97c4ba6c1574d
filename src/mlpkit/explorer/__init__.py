"""The latent-space explorer: one self-contained HTML page per autoencoder.

The worksheet ends its autoencoder section with a demo: train on MNIST, then move the
bottleneck values and watch the decoded image change. :func:`write_html` writes that
page for any mlpkit autoencoder — a single file holding the decoder's weights (as
base64 little-endian float32) and a small JavaScript forward pass, with one slider per
bottleneck unit, the decoded output drawn live, a gallery of samples whose click loads
their code, and for a 2-D bottleneck a clickable latent map with axes. No network
access, no CDN, no server: it opens from file://.

Images are drawn as greyscale pictures. A table's row is drawn as one bar per column in
the autoencoder's own scaled units — standard deviations, for standardised columns — so
a column of millions and a column of percentages share one readable axis; hovering a
bar shows its value in the data's units. The gallery's thumbnails are the samples' own
bars; the latent map's limits leave out the outermost codes (they are drawn on its edge,
marked), so one outlier does not squash the rest into a corner.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .._backend import to_numpy
from .._files import write_text
from ..layers import ActivationLayer, Dense

if TYPE_CHECKING:
    from ..autoencoder import Autoencoder

__all__ = ["Inline", "page_data", "page_html", "sample_rows", "show", "write_html"]

#: the share of codes at each end the latent map's limits may leave out (drawn on the edge)
MAP_TAIL = 0.01


def sample_rows(n: int, limit: int, labels: Any = None, seed: int = 0) -> np.ndarray:
    """Indices (sorted) of at most ``limit`` of ``n`` rows drawn at random from a seeded
    generator — stratified by ``labels`` (n,) when given: each label gets its share of
    the draw, and at least one row while the limit allows, so a label found only at the
    end of a sorted file is shown too. All rows when n <= limit.

    Parameters
    ----------
    n : int
        The number of rows.
    limit : int
        The most to draw.
    labels : array of shape (n,), optional
        Stratify by these.
    seed : int, default 0
        Seeds the draw.

    Returns
    -------
    ndarray of int
        Sorted row indices.

    Examples
    --------
    >>> import mlpkit
    >>> mlpkit.explorer.sample_rows(10, 4, labels=[0] * 8 + [1] * 2, seed=0).tolist()
    [4, 5, 7, 8]
    """
    if n <= limit:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    if labels is None:
        return np.sort(rng.choice(n, size=limit, replace=False))
    names, group = np.unique(np.asarray([str(v) for v in labels]), return_inverse=True)
    sizes = np.bincount(group, minlength=len(names))
    share = limit * sizes / n
    quota = np.floor(share).astype(int)
    for g in np.argsort(-sizes, kind="stable"):  # every label once, the largest first
        if quota.sum() >= limit:
            break
        if quota[g] == 0:
            quota[g] = 1
    for g in np.argsort(-(share - np.floor(share)), kind="stable"):  # then by the remainders
        if quota.sum() >= limit:
            break
        if quota[g] < sizes[g]:
            quota[g] += 1
    while quota.sum() > limit:  # (only when there are more labels than the limit)
        quota[np.argmax(quota)] -= 1
    picked = [rng.choice(np.flatnonzero(group == g), size=int(q), replace=False)
              for g, q in enumerate(quota) if q]  # fmt: skip
    return np.sort(np.concatenate(picked))


def _map_limits(codes: np.ndarray) -> list[list[float]]:
    """The latent map's view per axis: the codes between the ``MAP_TAIL`` quantiles,
    widened by 15% of that span (no wider than all the codes, padded 5%)."""
    lo, hi = np.quantile(codes, MAP_TAIL, axis=0), np.quantile(codes, 1 - MAP_TAIL, axis=0)
    span = np.maximum(hi - lo, 1e-3)
    first, last = codes.min(axis=0), codes.max(axis=0)
    pad = 0.05 * np.maximum(last - first, 1e-3)
    lo = np.maximum(lo - 0.15 * span, first - pad)
    hi = np.minimum(hi + 0.15 * span, last + pad)
    return [[float(a), float(b)] for a, b in zip(lo, hi, strict=True)]


def _bar_range(values: np.ndarray) -> tuple[float, float]:
    """A table's bar axis: 0 and the values between their 1% and 99% quantiles, padded
    10% (values beyond it are drawn to its edge, marked)."""
    lo, hi = np.quantile(values, 0.01), np.quantile(values, 0.99)
    lo, hi = min(0.0, float(lo)), max(0.0, float(hi))
    pad = 0.1 * max(hi - lo, 1e-6)
    return lo - (pad if lo < 0 else 0.0), hi + (pad if hi > 0 else 0.0)


def _b64(a: np.ndarray) -> str:
    host = to_numpy(a)  # a decoder trained on a GPU is read back once
    return base64.b64encode(np.ascontiguousarray(host, dtype="<f4").tobytes()).decode("ascii")


def _decoder_layers(autoencoder: Autoencoder) -> list[dict[str, Any]]:
    ops: list[dict[str, Any]] = []
    for layer in autoencoder.decoder.layers:
        if isinstance(layer, Dense):
            ops.append(
                {
                    "type": "dense",
                    "in": layer.in_features,
                    "out": layer.out_features,
                    "W": _b64(layer.W),
                    "b": _b64(layer.b) if layer.bias else None,
                    "activation": layer.activation.name,
                    "config": layer.activation.get_config(),
                }
            )
        elif isinstance(layer, ActivationLayer):
            ops.append(
                {
                    "type": "activation",
                    "activation": layer.activation.name,
                    "config": layer.activation.get_config(),
                }
            )
    return ops


def page_data(
    autoencoder: Autoencoder,
    samples: np.ndarray | None = None,
    labels: np.ndarray | Sequence[Any] | None = None,
    image_shape: tuple[int, int] | None = None,
    value_range: tuple[float, float] | None = None,
    title: str = "mlpkit latent-space explorer",
    units: tuple[np.ndarray, np.ndarray] | None = None,
    feature_names: list[str] | None = None,
) -> dict[str, Any]:
    """Everything the page embeds, as a JSON-ready dict.

    Parameters
    ----------
    autoencoder : Autoencoder
        A fitted autoencoder.
    samples : ndarray, optional
        As for :func:`write_html`.
    labels : array, optional
        As for :func:`write_html`.
    image_shape : (int, int), optional
        As for :func:`write_html`.
    value_range : (float, float), optional
        As for :func:`write_html`.
    title : str
        As for :func:`write_html`.
    units : (ndarray, ndarray), optional
        As for :func:`write_html`.
    feature_names : list of str, optional
        As for :func:`write_html`.

    Returns
    -------
    dict
        The decoder's weights, the samples, their codes and the page's settings.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.load_digits()
    >>> ae = mlpkit.Autoencoder([64, 16, 2], seed=0)
    >>> history = ae.fit(X[:200], epochs=1, verbose=0)
    >>> sorted(mlpkit.explorer.page_data(ae, samples=X[:10]))[:4]
    ['feature_names', 'image_shape', 'input_dim', 'latent_dim']
    """
    d, k = autoencoder.input_dim, autoencoder.latent_dim
    if image_shape is not None:
        image_shape = tuple(int(s) for s in image_shape)  # type: ignore[assignment]
        if len(image_shape) != 2 or math.prod(image_shape) != d:
            raise ValueError(
                f"image_shape {image_shape} does not hold the {d} outputs (need h·w = {d})"
            )
    codes = None
    if samples is not None:
        samples = np.asarray(samples, dtype=np.float32)
        codes = autoencoder.encode(samples)
        if labels is not None and len(labels) != len(samples):
            raise ValueError(f"{len(labels)} labels for {len(samples)} samples")
    if codes is not None:
        lo, hi = codes.min(axis=0), codes.max(axis=0)
    elif autoencoder.latent_range is not None:
        lo, hi = autoencoder.latent_range
    else:
        lo, hi = np.full(k, -3.0), np.full(k, 3.0)
    offset: np.ndarray | None = None
    scale: np.ndarray | None = None
    if units is not None:
        offset = np.broadcast_to(np.asarray(units[0], dtype=np.float64), (d,))
        scale = np.broadcast_to(np.asarray(units[1], dtype=np.float64), (d,))
    if feature_names is not None and len(feature_names) != d:
        raise ValueError(f"{len(feature_names)} feature names for {d} outputs")
    pad = 0.05 * np.maximum(hi - lo, 1e-3)  # a little room beyond the observed codes
    ranges = [[float(a), float(b)] for a, b in zip(lo - pad, hi + pad, strict=True)]
    if value_range is None:
        if image_shape is not None:
            value_range = (0.0, 1.0)
            if scale is not None and offset is not None:  # [0, 1] in the data's units
                ends = np.array([offset, offset + scale])
                value_range = (float(ends.min()), float(ends.max()))
        elif autoencoder.network.output_activation == "sigmoid":
            value_range = (0.0, 1.0)  # (bars are drawn in the scaled units)
        else:
            grid = np.random.default_rng(0).uniform(lo, hi, size=(256, k)).astype(np.float32)
            ref = samples if samples is not None else autoencoder.decode(grid)
            value_range = _bar_range(ref)
    data: dict[str, Any] = {
        "title": title,
        "latent_dim": k,
        "input_dim": d,
        "image_shape": list(image_shape) if image_shape else None,
        "value_range": [float(value_range[0]), float(value_range[1])],
        "ranges": ranges,
        "map_ranges": ranges if codes is None else _map_limits(codes),
        # a table's bars are in the scaled units: standard deviations when standardised
        "scaled_units": "sd" if units is not None and image_shape is None else None,
        "layers": _decoder_layers(autoencoder),
        "samples": None,
        # decoded values are shown as value * scale + offset: the data's own units
        "units": None
        if offset is None or scale is None
        else {"offset": offset.tolist(), "scale": scale.tolist()},
        "feature_names": None if feature_names is None else [str(f) for f in feature_names],
    }
    if codes is not None:
        data["samples"] = {
            "codes": codes.astype(float).round(6).tolist(),
            "labels": None
            if labels is None
            else [v.item() if hasattr(v, "item") else v for v in labels],
            "inputs": _b64(cast(np.ndarray, samples)),  # the thumbnails: images, or a row's bars
        }
    return data


def write_html(
    autoencoder: Autoencoder,
    path: str | os.PathLike[str],
    samples: np.ndarray | None = None,
    labels: np.ndarray | Sequence[Any] | None = None,
    image_shape: tuple[int, int] | None = None,
    value_range: tuple[float, float] | None = None,
    title: str = "mlpkit latent-space explorer",
    units: tuple[np.ndarray, np.ndarray] | None = None,
    feature_names: list[str] | None = None,
) -> Path:
    """Write the explorer page for ``autoencoder`` to ``path``: one file, no server.

    Sliders span the codes of ``samples`` (else the last training data's codes) plus
    5%; the latent map leaves out the outermost 1% of codes at each end.

    Parameters
    ----------
    autoencoder : Autoencoder
        A fitted autoencoder; its decoder is copied into the page as JavaScript.
    path : str or PathLike
        Where the page is written (atomically).
    samples : array of shape (n, input_dim), optional
        Inputs for the gallery and the latent map; keep n to a few hundred, they are
        embedded in the page. :func:`sample_rows` draws them, seeded and stratified.
    labels : array of shape (n,), optional
        Colours and captions of the samples.
    image_shape : (height, width), optional
        Draw outputs as greyscale images of this shape; None draws one bar per input.
    value_range : (low, high), optional
        An image's values mapped to black..white (default (0, 1), in the data's units
        when ``units`` is given); for a table, the bars' axis in the scaled units
        (default: the samples' 1% and 99% quantiles, and 0).
    title : str
        The page's title.
    units : (offset, scale), optional
        Each of shape (input_dim,) or a number: the inputs were (data − offset) / scale,
        so decoded values are shown as value · scale + offset.
    feature_names : list of str, optional
        Labels of the bars, one per input.

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.load_digits()
    >>> ae = mlpkit.Autoencoder([64, 16, 2], seed=0)
    >>> history = ae.fit(X[:200], epochs=1, verbose=0)
    >>> rows = mlpkit.explorer.sample_rows(len(X), 100, labels=y)
    >>> mlpkit.explorer.write_html(ae, "explorer.html", samples=X[rows], labels=y[rows], image_shape=(8, 8)).name
    'explorer.html'
    """
    page = page_html(
        autoencoder, samples, labels, image_shape, value_range, title, units, feature_names
    )
    return write_text(path, page, "explorer page")


def page_html(autoencoder: Autoencoder, *args: Any, **kwargs: Any) -> str:
    """The explorer page as one HTML string.

    Parameters
    ----------
    autoencoder : Autoencoder
        A fitted autoencoder.
    *args, **kwargs
        The arguments of :func:`write_html` after its path (samples, labels, image_shape,
        ...).

    Returns
    -------
    str
        The page.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.load_digits()
    >>> ae = mlpkit.Autoencoder([64, 16, 2], seed=0)
    >>> history = ae.fit(X[:200], epochs=1, verbose=0)
    >>> mlpkit.explorer.page_html(ae, samples=X[:10], image_shape=(8, 8)).startswith("<!DOCTYPE html>")
    False
    """
    data = page_data(autoencoder, *args, **kwargs)
    title = data["title"]
    blob = json.dumps(data, separators=(",", ":"), allow_nan=False)
    blob = blob.replace("<", "\\u003c")  # nothing in the data can close the <script> tag
    template = resources.files(__name__).joinpath("page.html").read_text(encoding="utf-8")
    return template.replace("__TITLE__", html.escape(title)).replace("__DATA__", blob)


class Inline:
    """An HTML page shown inside a notebook's output, in an ``<iframe>`` of its own (its
    scripts run apart from the notebook's); ``html`` is the page.

    Parameters
    ----------
    page : str
        The HTML page.
    height : int, default 620
        The frame's height in pixels.

    Examples
    --------
    >>> import mlpkit
    >>> mlpkit.explorer.Inline("<p>hi</p>", height=100)._repr_html_()[:7]
    '<iframe'
    """

    def __init__(self, page: str, height: int = 620) -> None:
        self.html, self.height = page, int(height)

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" style="width:100%;'
                f'height:{self.height}px;border:1px solid #ddd" sandbox="allow-scripts"></iframe>')  # fmt: skip


def show(autoencoder: Autoencoder, *args: Any, height: int = 620, **kwargs: Any) -> Inline:
    """The explorer inside a notebook: ``mlpkit.explorer.show(ae, samples=x[:300],
    labels=y[:300], image_shape=(8, 8))`` as the last line of a cell draws it there (the
    arguments of :func:`write_html` after its path).

    Parameters
    ----------
    autoencoder : Autoencoder
        A fitted autoencoder.
    *args
        The arguments of :func:`write_html` after its path (samples, labels, ...).
    height : int, default 620
        The frame's height in pixels.
    **kwargs
        The same, by name.

    Returns
    -------
    Inline
        Shown by Jupyter as the cell's output.

    Examples
    --------
    >>> import mlpkit
    >>> X, y = mlpkit.datasets.load_digits()
    >>> ae = mlpkit.Autoencoder([64, 16, 2], seed=0)
    >>> history = ae.fit(X[:200], epochs=1, verbose=0)
    >>> mlpkit.explorer.show(ae, samples=X[:100], labels=y[:100], image_shape=(8, 8))  # doctest: +SKIP
    <mlpkit.explorer.Inline object at 0x7ff91231b950>
    """
    return Inline(page_html(autoencoder, *args, **kwargs), height)
