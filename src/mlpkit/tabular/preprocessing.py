"""The preprocessing the command line learns from a training table and saves with the
model, then applies exactly to every table it is given later.

Per feature column: a *numeric* column (every present cell a number) is standardised,
(x - mean) / scale, its missing cells filled with its median; a *categorical* column
(any present cell that is not a number) is one-hot encoded over the categories seen in
training, its missing cells filled with its most frequent value, a value unseen in
training encoded as all zeros. The target: class labels for classification, or for
regression a number standardised the same way (predictions are turned back into the
target's own units). Missing cells: ``impute`` (the default) fills them, ``drop`` leaves
the rows out of training and evaluation, ``error`` stops at the first with its line.
Rows whose target is missing are left out of training and evaluation."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .columns import MAX_CATEGORIES, ColumnSummary
from .reading import CSVError, Table, is_missing, out_of_range, parse_number
from .reading import listed as listed_names

__all__ = ["MISSING_POLICIES", "Preprocessing", "learn"]

Note = Callable[[str], None]

#: what to do with missing feature cells
MISSING_POLICIES = ("impute", "drop", "error")


def _quiet(message: str) -> None:
    """The default note: say nothing."""


def _names(values: Iterable[Any], limit: int = 5) -> str:
    values = list(values)
    shown = ", ".join(map(repr, values[:limit]))
    return shown + (f", ... ({len(values)} in all)" if len(values) > limit else "")


def _label(text: str) -> Any:
    """Labels keep their type: "1" and "1.0" are the integer 1, "cat" stays a string."""
    value = parse_number(text)
    if value is None or value != value:  # text, or "nan" spelt otherwise
        return text
    return int(value) if value == int(value) else value


@dataclass
class Preprocessing:
    """What turns a table's columns into network inputs, and outputs back into answers.

    columns : one dict per feature column, in input order — ``{"name", "kind":
    "numeric", "fill", "mean", "scale"}`` or ``{"name", "kind": "categorical", "fill",
    "categories"}``; target, task ("classification" or "regression"), classes; for
    regression target_mean and target_scale; id : a column copied into predictions;
    missing : the policy for missing cells; dropped : columns left out."""

    columns: list[dict[str, Any]]
    target: str | None = None
    task: str = "regression"
    classes: list[Any] = field(default_factory=list)
    target_mean: float = 0.0
    target_scale: float = 1.0
    id: str | None = None
    missing: str = "impute"
    dropped: list[str] = field(default_factory=list)

    # -- shapes ------------------------------------------------------------------------
    @property
    def features(self) -> list[str]:
        """The feature columns, in order."""
        return [c["name"] for c in self.columns]

    @property
    def inputs(self) -> list[str]:
        """One name per network input: a numeric column's name, "column=category" for
        each one-hot input."""
        out = []
        for c in self.columns:
            if c["kind"] == "numeric":
                out.append(c["name"])
            else:
                out += [f"{c['name']}={v}" for v in c["categories"]]
        return out

    @property
    def width(self) -> int:
        """The number of network inputs."""
        return len(self.inputs)

    # -- learning ----------------------------------------------------------------------
    @classmethod
    def fit(
        cls,
        table: Table,
        target: str | None,
        task: str = "auto",
        *,
        drop: Iterable[str] = (),
        id: str | None = None,
        missing: str = "impute",
        note: Note = _quiet,
    ) -> tuple[Preprocessing, np.ndarray, np.ndarray | None]:
        """Learn the preprocessing of ``table`` and apply it. Returns the preprocessing,
        X (n, width) float32 and y (n,) class indices or (n, 1) standardised targets
        (None without a target), for the rows kept."""
        prep, _ = learn([table], table.path, table.columns, target, task, drop=drop, id=id,
                        missing=missing, note=note, decimal_comma=table.sep == ";")  # fmt: skip
        x, y, _ = prep.encode(table, note=note, with_target=target is not None)
        return prep, x, y

    # -- applying ------------------------------------------------------------------------
    def check_columns(self, table: Table, with_target: bool, note: Note = _quiet) -> None:
        """Every feature column present (else a CSVError naming the missing ones and the
        fix); a note naming the columns the model does not use."""
        present = set(table.columns)
        absent = [f for f in self.features if f not in present]
        if absent:
            raise CSVError(
                f"{table.path}: missing feature column(s) {', '.join(map(repr, absent))} the "
                "model was trained with; add them (empty cells are filled as in training)"
            )
        if with_target and self.target is not None and self.target not in present:
            raise CSVError(
                f"{table.path}: no target column {self.target!r}; evaluating needs it "
                "(`mlpkit predict` does not)"
            )
        known = {*self.features, self.target, self.id, *self.dropped}
        extra = [c for c in table.columns if c not in known]
        if extra:
            note(f"{table.path}: ignoring column(s) the model does not use: {', '.join(extra)}")

    def transform(self, table: Table, note: Note = _quiet, standardise: bool = True) -> np.ndarray:
        """Network inputs for every row of ``table``: X (N, width) float32. Missing cells
        are filled with the training values (unless the policy is ``error``).
        ``standardise=False`` leaves numeric columns in the file's units."""
        self.check_columns(table, with_target=False, note=note)
        x, holes = self._inputs(table, note, standardise)
        self._note_filled(table, holes, np.arange(len(table.rows)), note)
        return x

    def encode(
        self, table: Table, note: Note = _quiet, with_target: bool = True
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """Inputs and encoded targets of the rows to train or evaluate on: rows with a
        missing target are left out (with a note), and under ``drop`` rows with a missing
        feature cell. Returns X (n, width) float32, y (n,) int64 class indices or (n, 1)
        float32 standardised targets (None when ``with_target`` is False), and the kept
        rows' positions (n,)."""
        self.check_columns(table, with_target=with_target, note=note)
        x, holes = self._inputs(table, note)
        incomplete = np.logical_or.reduce([*holes.values(), np.zeros(len(table.rows), dtype=bool)])
        keep = np.ones(len(table.rows), dtype=bool)
        if self.missing == "drop":
            keep &= ~incomplete
            if incomplete.any():
                note(
                    f"{table.path}: left out {int(incomplete.sum())} row(s) with missing cells (--missing drop)"
                )
        y = None
        if with_target and self.target is not None:
            y, present = self._targets(table)
            if not present.all():
                note(f"{table.path}: left out {int((~present).sum())} row(s) whose target "
                     f"{self.target!r} is missing")  # fmt: skip
            keep &= present
        rows = np.flatnonzero(keep)
        if not len(rows):
            raise CSVError(f"{table.path}: no rows left once rows with missing cells are left out")
        self._note_filled(table, holes, rows, note)
        return x[rows], (None if y is None else y[rows]), rows

    @staticmethod
    def _note_filled(
        table: Table, holes: dict[str, np.ndarray], rows: np.ndarray, note: Note
    ) -> None:
        """One note counting the cells filled in ``rows``, column by column."""
        filled = {k: int(v[rows].sum()) for k, v in holes.items() if v[rows].any()}
        if filled:
            counts = ", ".join(f"{k} {v}" for k, v in filled.items())
            note(f"{table.path}: filled {sum(filled.values())} missing cell(s) with the training "
                 f"median or most frequent value ({counts})")  # fmt: skip

    def _inputs(
        self, table: Table, note: Note, standardise: bool = True
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """X (N, width) float32 (missing cells filled) and, per column with a missing
        cell, which rows miss it (N,)."""
        n = len(table.rows)
        x = np.zeros((n, self.width), dtype=np.float32)
        filled: dict[str, np.ndarray] = {}
        comma = table.sep == ";"
        col = 0
        for spec in self.columns:
            name, cells = spec["name"], table.cells(spec["name"])
            holes = np.fromiter((is_missing(c) for c in cells), dtype=bool, count=n)
            if holes.any():
                if self.missing == "error" or spec["fill"] is None:
                    raise _missing_cell(table.path, table.lines[int(np.argmax(holes))], name)
                filled[name] = holes
            if spec["kind"] == "numeric":
                values = np.empty(n)
                for i, cell in enumerate(cells):
                    if holes[i]:
                        values[i] = spec["fill"]
                        continue
                    v = parse_number(cell, comma)
                    if v is None:
                        raise CSVError(
                            f"{table.path}, line {table.lines[i]}, column {name!r}: {cell!r} is not "
                            "a number, but the column held numbers in the training data"
                        )
                    bad = out_of_range(
                        v, cell, f"{table.path}, line {table.lines[i]}, column {name!r}"
                    )
                    if bad is not None:
                        raise bad
                    values[i] = v
                x[:, col] = (values - spec["mean"]) / spec["scale"] if standardise else values
                col += 1
            else:
                index = {v: k for k, v in enumerate(spec["categories"])}
                unseen: dict[str, int] = {}
                for i, cell in enumerate(cells):
                    k = index.get(spec["fill"] if holes[i] else cell)
                    if k is None:
                        unseen[cell] = unseen.get(cell, 0) + 1
                    else:
                        x[i, col + k] = 1.0
                if unseen:
                    note(f"{table.path}: column {name!r}: {sum(unseen.values())} row(s) with "
                         f"value(s) not seen in training ({_names(unseen)}): encoded as all zeros")  # fmt: skip
                col += len(index)
        return x, filled

    def _targets(self, table: Table) -> tuple[np.ndarray, np.ndarray]:
        """Encoded targets (N,) or (N, 1) — zeros where missing — and which are present."""
        cells = table.cells(self.target)  # type: ignore[arg-type]
        present = np.fromiter((not is_missing(c) for c in cells), dtype=bool, count=len(cells))
        if self.task == "classification":
            index = {c: i for i, c in enumerate(self.classes)}
            y = np.zeros(len(cells), dtype=np.int64)
            for i, cell in enumerate(cells):
                if not present[i]:
                    continue
                label = _label(cell)
                if label not in index:
                    raise CSVError(
                        f"{table.path}, line {table.lines[i]}, column {self.target!r}: unknown "
                        f"label {label!r}; the model knows {', '.join(map(repr, self.classes))}"
                    )
                y[i] = index[label]
            return y, present
        values = np.zeros(len(cells))
        for i, cell in enumerate(cells):
            if present[i]:
                v = parse_number(cell, table.sep == ";")
                if v is None:
                    raise CSVError(
                        f"{table.path}, line {table.lines[i]}, column {self.target!r}: {cell!r} is "
                        "not a number (use --task classification for labels)"
                    )
                bad = out_of_range(
                    v, cell, f"{table.path}, line {table.lines[i]}, column {self.target!r}"
                )
                if bad is not None:
                    raise bad
                values[i] = v
        scaled = (values - self.target_mean) / self.target_scale
        return scaled.astype(np.float32)[:, None], present

    # -- answers -------------------------------------------------------------------------
    def unscale(self, outputs: np.ndarray) -> np.ndarray:
        """Regression outputs (n, 1) or targets in the target's own units (n,)."""
        return np.asarray(outputs, dtype=np.float64)[:, 0] * self.target_scale + self.target_mean

    def decode(self, outputs: np.ndarray) -> list[Any]:
        """Network outputs (n, m) -> answers: class labels, or numbers in the target's
        own units for regression."""
        if self.task == "classification":
            idx = (
                outputs.argmax(axis=1)
                if outputs.shape[1] > 1
                else (outputs[:, 0] >= 0.5).astype(int)
            )
            return [self.classes[i] for i in idx]
        return self.unscale(outputs).tolist()

    def file_units(self, x: np.ndarray) -> np.ndarray:
        """Inputs (n, width) back in the file's units: numeric columns unstandardised,
        one-hot inputs as they are."""
        out = np.array(x, dtype=np.float64)
        col = 0
        for spec in self.columns:
            if spec["kind"] == "numeric":
                out[:, col] = out[:, col] * spec["scale"] + spec["mean"]
                col += 1
            else:
                col += len(spec["categories"])
        return out

    def describe(self) -> list[str]:
        """Lines for ``mlpkit info``: each column's kind and what is done to it."""
        lines = [f"preprocessing (missing cells: {self.missing}):"]
        width = max(len(c) for c in [*self.features, self.target or "", self.id or ""])
        for c in self.columns:
            fill = (
                ""
                if c["fill"] is None
                else f"; missing -> {c['fill']:.6g}"
                if c["kind"] == "numeric"
                else f"; missing -> {c['fill']!r}"
            )
            if c["kind"] == "numeric":
                lines.append(f"  {c['name']:<{width}}  numeric, standardised (mean {c['mean']:.6g}, "
                             f"scale {c['scale']:.6g}){fill}")  # fmt: skip
            else:
                lines.append(f"  {c['name']:<{width}}  categorical, one-hot over "
                             f"{len(c['categories'])}: {_names(c['categories'], 8)}{fill}")  # fmt: skip
        if self.id:
            lines.append(
                f"  {self.id:<{width}}  id: left out of the inputs, copied into predictions"
            )
        if self.dropped:
            lines.append(f"  left out: {', '.join(self.dropped)}")
        if self.target is not None:
            what = (
                f"classification, {len(self.classes)} classes: {_names(self.classes, 8)}"
                if self.task == "classification"
                else f"regression, standardised (mean {self.target_mean:.6g}, scale "
                f"{self.target_scale:.6g}); predictions in its own units"
            )
            lines.append(f"  {self.target:<{width}}  target: {what}")
        return lines

    # -- persistence ---------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 2,
            "columns": self.columns,
            "target": self.target,
            "task": self.task,
            "classes": self.classes,
            "target_mean": self.target_mean,
            "target_scale": self.target_scale,
            "id": self.id,
            "missing": self.missing,
            "dropped": self.dropped,
        }

    @classmethod
    def from_dict(cls, d: Any) -> Preprocessing:
        """The preprocessing a model file saved, checked: a malformed one (a crafted
        file, or one a newer mlpkit wrote) is a ValueError naming what is wrong."""
        try:
            made = cls._from_dict(d)
            made.check()
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise ValueError(
                f"the model's saved preprocessing is malformed ({type(exc).__name__}: "
                f"{str(exc)[:120]}); train the model again with `mlpkit train`"
            ) from None
        return made

    def check(self) -> None:
        """Raise if a field has the wrong type or value (what ``from_dict`` reads)."""
        if not isinstance(self.columns, list):
            raise TypeError("columns must be a list")
        for c in self.columns:
            if not isinstance(c, dict) or not isinstance(c.get("name"), str):
                raise TypeError("each column must be an object with a name")
            needs = _COLUMN_FIELDS.get(c.get("kind"))
            if needs is None:
                raise ValueError(
                    f"column {c['name'][:40]!r} has an unknown kind {str(c.get('kind'))[:20]!r}"
                )
            for key, ok in needs.items():
                if key not in c or not ok(c[key]):
                    raise ValueError(f"column {c['name'][:40]!r}: {key} is missing or malformed")
        if self.task not in ("classification", "regression"):
            raise ValueError(f"unknown task {str(self.task)[:20]!r}")
        if not isinstance(self.classes, list) or not all(
            isinstance(v, str | int | float) for v in self.classes
        ):
            raise TypeError("classes must be a list of labels")
        for name in ("target_mean", "target_scale"):
            if not _finite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number")
        for name in ("target", "id"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), str):
                raise TypeError(f"{name} must be a column name")
        if not isinstance(self.dropped, list) or not all(isinstance(v, str) for v in self.dropped):
            raise TypeError("dropped must be a list of column names")
        if self.missing not in MISSING_POLICIES:
            raise ValueError(f"unknown missing-cell policy {str(self.missing)[:20]!r}")

    @classmethod
    def _from_dict(cls, d: dict[str, Any]) -> Preprocessing:
        if not isinstance(d, dict):
            raise TypeError("the preprocessing must be an object")
        if "columns" not in d:  # models saved before version 2: numeric columns, no filling
            columns = [
                {"name": f, "kind": "numeric", "fill": None, "mean": m, "scale": s}
                for f, m, s in zip(d["features"], d["mean"], d["scale"], strict=True)
            ]
            return cls(columns, d.get("target"), d.get("task", "regression"), d.get("classes", []),
                       missing="error")  # fmt: skip
        keys = (
            "target",
            "task",
            "classes",
            "target_mean",
            "target_scale",
            "id",
            "missing",
            "dropped",
        )
        return cls(d["columns"], **{k: d[k] for k in keys if k in d})


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _fill(v: Any) -> bool:
    return v is None or isinstance(v, str) or _finite(v)


#: what each kind of saved column must hold, and the test of each field
_COLUMN_FIELDS: dict[Any, dict[str, Any]] = {
    "numeric": {"fill": _fill, "mean": _finite, "scale": lambda v: _finite(v) and v != 0},
    "categorical": {
        "fill": _fill,
        "categories": lambda v: isinstance(v, list) and all(isinstance(c, str) for c in v),
    },
}


def _missing_cell(where: Any, line: int, name: str) -> CSVError:
    """The error for a missing cell under --missing error, naming the other choices."""
    return CSVError(
        f"{where}, line {line}, column {name!r}: missing value (--missing impute fills it with "
        "the column's median or most frequent value from training; --missing drop leaves the "
        "row out)"
    )


def _check_options(path: Any, columns: list[str], target: str | None, drop: list[str],
                   id: str | None, missing: str) -> None:  # fmt: skip
    listed = listed_names(columns)
    present = set(columns)
    if missing not in MISSING_POLICIES:
        raise CSVError(f"--missing must be one of {', '.join(MISSING_POLICIES)}, got {missing!r}")
    if target is not None and target not in present:
        raise CSVError(f"{path}: no column {target!r}; the columns are {listed}")
    unknown = [c for c in drop if c not in present]
    if unknown:
        raise CSVError(
            f"{path}: --drop names no column {_names(unknown)}; the columns are {listed}"
        )
    if id is not None and id not in present:
        raise CSVError(f"{path}: --id names no column {id!r}; the columns are {listed}")
    if id is not None and id == target:
        raise CSVError(f"{path}: --id {id!r} is the target column; give --id another column")
    if target is not None and target in drop:
        raise CSVError(f"{path}: --drop {target!r} is the target column; leave it out of --drop")


def learn(
    tables: Iterable[Table],
    path: Any,
    columns: list[str],
    target: str | None,
    task: str = "auto",
    *,
    drop: Iterable[str] = (),
    id: str | None = None,
    missing: str = "impute",
    note: Note = _quiet,
    decimal_comma: bool = False,
) -> tuple[Preprocessing, list[int]]:
    """One pass over ``tables`` (a whole file, or its blocks in order) choosing each
    column's kind and statistics. Returns the preprocessing and, per table, how many of
    its rows training keeps (those with a target, and under ``drop`` no missing cell)."""
    drop = list(drop)
    _check_options(path, columns, target, drop, id, missing)
    dropped = set(drop)
    features = [c for c in columns if c not in (target, id) and c not in dropped]
    if not features:
        raise CSVError(f"{path}: no feature columns left besides the target {target!r}")
    summaries = {name: ColumnSummary(name) for name in features}
    aim = ColumnSummary(target) if target is not None else None
    kept: list[int] = []
    for table in tables:
        where = str(table.path)
        incomplete = np.zeros(len(table.rows), dtype=bool)
        for name, s in summaries.items():
            holes = s.add(table.cells(name), table.lines, where, decimal_comma)
            if holes.any() and missing == "error":
                raise _missing_cell(where, table.lines[int(np.argmax(holes))], name)
            incomplete |= holes
        keep = ~incomplete if missing == "drop" else np.ones(len(table.rows), dtype=bool)
        if aim is not None:
            keep &= ~aim.add(table.cells(target), table.lines, where, decimal_comma)  # type: ignore[arg-type]
        kept.append(int(keep.sum()))
    specs, dropped = [], list(drop)
    for name, s in summaries.items():
        if s.present == 0:
            note(f"{path}: column {name!r} has no values (every cell is missing): left out")
            dropped.append(name)
            continue
        if not s.numeric and s.too_many_values:
            raise CSVError(
                f"{path}: column {name!r} has over {MAX_CATEGORIES:,} distinct text values; "
                f"leave it out with --drop {name}"
            )
        if s.looks_like_key():
            kind = "a row number" if s.numeric else "a key"
            note(f"{path}: column {name!r} has a different value on every row and looks like {kind}; "
                 f"it is used as a feature: --id {name} keeps it out and copies it into "
                 f"predictions, --drop {name} leaves it out")  # fmt: skip
        specs.append(s.spec())
    if not specs:
        raise CSVError(f"{path}: every feature column is empty")
    prep = Preprocessing(specs, target, "regression", id=id, missing=missing, dropped=dropped)
    if aim is None:
        return prep, kept
    if aim.present == 0:
        raise CSVError(
            f"{path}: the target column {target!r} has no values (every cell is missing)"
        )
    if sum(kept) == 0:
        raise CSVError(
            f"{path}: no rows left to train on once rows with missing cells are left out"
        )
    if task == "auto":
        few = len(aim.counts) <= max(2, min(20, aim.present // 5))
        task = "classification" if not aim.numeric or (aim.integral and few) else "regression"
    if task == "classification":
        if aim.too_many_values:
            raise CSVError(f"{path}: target {target!r} has over {MAX_CATEGORIES:,} distinct values")
        classes = sorted({_label(v) for v in aim.counts}, key=lambda v: (isinstance(v, str), v))
        if len(classes) < 2:
            raise CSVError(
                f"{path}: target {target!r} has a single class {classes[0]!r}; need at least 2"
            )
        prep.task, prep.classes = "classification", classes
    elif task == "regression":
        if not aim.numeric:
            cell, line = aim.first_text  # type: ignore[misc]
            raise CSVError(
                f"{path}, line {line}, column {target!r}: {cell!r} is not a number; a regression "
                "target must be numeric (use --task classification for labels)"
            )
        prep.target_mean, prep.target_scale = aim.mean_and_scale()
    else:
        raise CSVError(f"task must be auto, classification or regression, got {task!r}")
    return prep, kept
