"""Shared command line for the examples: --fast (used by the test suite) and --out."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


def parse(
    description: str, add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--fast", action="store_true", help="a quick run (the test suite uses this)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("reports/examples"), help="folder for figures"
    )
    parser.add_argument(
        "--figure-data",
        action="store_true",
        help="also write NAME.json beside each figure: what its axes draw (the tests read it)",
    )
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def save(fig: Any, args: argparse.Namespace, name: str) -> Path:
    """Write a figure into the output folder and say where (with ``--figure-data``, also
    a summary of the data each of its axes draws, as JSON)."""
    path = args.out / name
    fig.savefig(path, dpi=100)
    if getattr(args, "figure_data", False):
        path.with_suffix(".json").write_text(json.dumps(figure_summary(fig)))
    print(f"figure: {path}")
    return path


def _spread(values: Any) -> list[float]:
    a = np.asarray(values, dtype=float)
    a = a[np.isfinite(a)]
    return [float(a.min()), float(a.max())] if a.size else []


def _image(im: Any) -> dict[str, Any]:
    return {"shape": list(np.shape(im.get_array())), "range": _spread(im.get_array())}


def figure_summary(fig: Any) -> list[dict[str, Any]]:
    """Per axes: its title, each line's number of points and y range, each image's
    shape and value range, each collection's number of points or regions, bars'
    heights' range."""
    axes = []
    for ax in fig.axes:
        heights = [p.get_height() for p in ax.patches if hasattr(p, "get_height")]
        axes.append(
            {
                "title": ax.get_title(),
                "lines": [
                    {"n": len(ln.get_ydata()), "y": _spread(ln.get_ydata())}
                    for ln in ax.get_lines()
                ],
                "images": [_image(im) for im in ax.images],
                # points of a scatter, or the filled regions of a contour plot
                "collections": [
                    max(len(c.get_offsets()), len(c.get_paths())) for c in ax.collections
                ],
                "bars": _spread(heights) if heights else [],
            }
        )
    return axes
