"""The three kinds of feature column, each as one saved ``spec`` and the code that turns
its cells into network inputs:

* **numeric** ``{"fill", "mean", "scale"}``: one input, (x − mean) / scale;
* **categorical** ``{"fill", "categories"}``: one-hot over the training categories, a
  value unseen in training all zeros;
* **date** ``{"fill", "origin", "mean", "scale"}``: three inputs — days since the first
  training date, standardised, and sin, cos of the place in the year (``dates.py``).

A missing cell takes the spec's ``fill`` (the median, the most frequent value, the
median date) before it is encoded.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

import numpy as np

from .columns import date_inputs
from .dates import days as date_days
from .dates import format_days
from .reading import CSVError, out_of_range, parse_number

__all__ = ["FIELDS", "describe", "encode", "input_names", "width"]


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _fill(v: Any) -> bool:
    return v is None or isinstance(v, str) or _finite(v)


#: what each kind of saved column must hold, and the test of each field
FIELDS: dict[Any, dict[str, Callable[[Any], bool]]] = {
    "numeric": {"fill": _fill, "mean": _finite, "scale": lambda v: _finite(v) and v != 0},
    "categorical": {
        "fill": _fill,
        "categories": lambda v: isinstance(v, list) and all(isinstance(c, str) for c in v),
    },
    "date": {
        "fill": _fill,
        "origin": _finite,
        "mean": _finite,
        "scale": lambda v: _finite(v) and v != 0,
    },
}


def width(spec: dict[str, Any]) -> int:
    """The network inputs a column becomes."""
    kind = spec["kind"]
    return 1 if kind == "numeric" else 3 if kind == "date" else len(spec["categories"])


def input_names(spec: dict[str, Any]) -> list[str]:
    """One name per input: a numeric column's name, "column=category" per one-hot
    input, "column (days)", "(sin year)", "(cos year)" for a date."""
    name = spec["name"]
    if spec["kind"] == "numeric":
        return [name]
    if spec["kind"] == "date":
        return [f"{name} (days)", f"{name} (sin year)", f"{name} (cos year)"]
    return [f"{name}={v}" for v in spec["categories"]]


def encode(spec: dict[str, Any], cells: list[str], holes: np.ndarray, out: np.ndarray,
           where: Callable[[int], str], comma: bool, standardise: bool = True) -> dict[str, int]:  # fmt: skip
    """Write the column's inputs for ``cells`` into ``out`` (n, width(spec)); missing
    cells (``holes``) take the fill. ``where(i)``: "file, line L, column 'c'" of cell i,
    for errors. Returns the values unseen in training and how often (categorical)."""
    kind = spec["kind"]
    if kind == "numeric":
        values = np.empty(len(cells))
        for i, cell in enumerate(cells):
            if holes[i]:
                values[i] = spec["fill"]
                continue
            v = parse_number(cell, comma)
            if v is None:
                raise CSVError(f"{where(i)}: {cell[:40]!r} is not a number, but the column held "
                               "numbers in the training data")  # fmt: skip
            bad = out_of_range(v, cell, where(i))
            if bad is not None:
                raise bad
            values[i] = v
        out[:, 0] = (values - spec["mean"]) / spec["scale"] if standardise else values
        return {}
    if kind == "date":
        for i, cell in enumerate(cells):
            day = spec["fill"] if holes[i] else date_days(cell)
            if day is None:
                raise CSVError(f"{where(i)}: {cell[:40]!r} is not a date (YYYY-MM-DD, with a time "
                               "or not), but the column held dates in the training data")  # fmt: skip
            out[i] = date_inputs(spec, day)
        return {}
    index = {v: k for k, v in enumerate(spec["categories"])}
    unseen: dict[str, int] = {}
    for i, cell in enumerate(cells):
        k = index.get(spec["fill"] if holes[i] else cell)
        if k is None:
            unseen[cell] = unseen.get(cell, 0) + 1
        else:
            out[i, k] = 1.0
    return unseen


def file_units(spec: dict[str, Any], block: np.ndarray) -> np.ndarray:
    """The column's inputs (n, width) back in the file's units: a number unstandardised,
    a date's days since 1970 (its first input; the cycle stays as it is)."""
    if spec["kind"] == "numeric":
        return cast("np.ndarray", block * spec["scale"] + spec["mean"])
    if spec["kind"] == "date":
        out = block.copy()
        out[:, 0] = block[:, 0] * spec["scale"] + spec["mean"] + spec["origin"]
        return out
    return block


def describe(spec: dict[str, Any], names: Callable[[list[str], int], str]) -> str:
    """What is done to the column, for ``mlpkit info``."""
    kind, fill = spec["kind"], spec.get("fill")
    if kind == "numeric":
        filled = "" if fill is None else f"; missing -> {fill:.6g}"
        return f"numeric, standardised (mean {spec['mean']:.6g}, scale {spec['scale']:.6g}){filled}"
    if kind == "date":
        filled = "" if fill is None else f"; missing -> {format_days(fill)}"
        return (f"date: days since {format_days(spec['origin'])} (standardised), and sin, cos "
                f"of the year{filled}")  # fmt: skip
    filled = "" if fill is None else f"; missing -> {fill!r}"
    return f"categorical, one-hot over {len(spec['categories'])}: {names(spec['categories'], 8)}{filled}"
