"""The preprocessing the command line learns from a training table and saves with the
model, then applies exactly to every table it is given later.

Each feature column gets a kind (``columns.decide``: row numbers, free text and empty
columns are left out, each said in a note): a *numeric* column is standardised,
(x - mean) / scale, its missing cells filled with its median; a *date* column becomes
days since its first date (standardised) and the year's cycle; a *categorical* column
is one-hot encoded over the categories seen in training, its missing cells filled with
its most frequent value, a value unseen in training encoded as all zeros
(``kinds.py``). The target: class labels for classification, or for regression a number
standardised the same way (predictions are turned back into the target's own units);
``task="auto"`` decides which by ``choose_task``'s rule, and says it. Missing cells:
``impute`` (the default) fills them, ``drop`` leaves
the rows out of training and evaluation, ``error`` stops at the first with its line.
Rows whose target is missing are left out of training and evaluation."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from .columns import MAX_CATEGORIES, ColumnSummary, decide
from .kinds import FIELDS as KIND_FIELDS
from .kinds import describe as describe_kind
from .kinds import encode as encode_kind
from .kinds import file_units, input_names
from .kinds import width as kind_width
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
class Tally:
    """What encoding a table (or each block of a file) has to say, counted: said once by
    ``say``, so a file read in blocks says what a file read whole says."""

    extra: list[str] = field(default_factory=list)
    unseen: dict[str, dict[str, int]] = field(default_factory=dict)
    incomplete: int = 0
    no_target: int = 0
    filled: dict[str, int] = field(default_factory=dict)

    def add_filled(self, holes: dict[str, np.ndarray], rows: np.ndarray) -> None:
        for name, where in holes.items():
            count = int(where[rows].sum())
            if count:
                self.filled[name] = self.filled.get(name, 0) + count

    def say(self, path: Any, note: Note, target: str | None = None) -> None:
        if self.extra:
            note(f"{path}: ignoring column(s) the model does not use: {', '.join(self.extra)}")
        for name, values in self.unseen.items():
            note(f"{path}: column {name!r}: {sum(values.values())} row(s) with value(s) not seen "
                 f"in training ({_names(values)}): encoded as all zeros")  # fmt: skip
        if self.incomplete:
            note(f"{path}: left out {self.incomplete} row(s) with missing cells (--missing drop)")
        if self.no_target:
            note(f"{path}: left out {self.no_target} row(s) whose target {target!r} is missing")
        if self.filled:
            counts = ", ".join(f"{k} {v}" for k, v in self.filled.items())
            note(f"{path}: filled {sum(self.filled.values())} missing cell(s) with the training "
                 f"median or most frequent value ({counts})")  # fmt: skip


@dataclass
class Preprocessing:
    """What turns a table's columns into network inputs, and outputs back into answers.

    Saved with the model; ``evaluate``, ``predict`` and ``trace`` apply it exactly.

    Parameters
    ----------
    columns : list of dict
        One per feature column, in input order: ``{"name", "kind": ...}`` with the fields
        of its kind (numeric, categorical, date).
    target : str, optional
        The target column.
    task : {"classification", "regression"}, default "regression"
        What the target is.
    classes : list
        The class labels, for a classification.
    target_mean, target_scale : float
        A regression target's standardisation.
    id : str, optional
        A column copied into predictions.
    missing : {"impute", "drop", "error"}, default "impute"
        The policy for missing cells.
    dropped : list of str
        The columns left out.

    Examples
    --------
    >>> open("pets.csv", "w").write("name,age,kind\\nRex,3,dog\\nTom,5,cat\\nFido,2,dog\\nKit,1,cat\\n")
    55
    >>> from mlpkit.tabular import Preprocessing, read_csv
    >>> prep, X, y = Preprocessing.fit(read_csv("pets.csv"), target="kind")
    >>> prep.task, prep.classes, X.shape, y.tolist()
    ('classification', ['cat', 'dog'], (4, 5), [1, 0, 1, 0])
    """

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
        """One name per network input (``input_names``)."""
        return [name for c in self.columns for name in input_names(c)]

    @property
    def width(self) -> int:
        """The number of network inputs."""
        return sum(kind_width(c) for c in self.columns)

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
        keep: Iterable[str] = (),
        note: Note = _quiet,
    ) -> tuple[Preprocessing, np.ndarray, np.ndarray | None]:
        """Learn the preprocessing of a table and apply it, for the rows kept.

        Parameters
        ----------
        table : Table
            The rows read.
        target : str or None
            The target column (None: no target).
        task : {"auto", "classification", "regression"}, default "auto"
            What the target is; auto decides and says why.
        drop : sequence of str, optional
            Columns left out.
        id : str, optional
            A key column kept out of the inputs and copied into predictions.
        missing : {"impute", "drop", "error"}, default "impute"
            What missing cells do.
        keep : sequence of str, optional
            Columns used as features even where they look like row numbers or free text.
        note : callable, optional
            Called with each note (one line about the data); quiet by default.

        Returns
        -------
        (Preprocessing, ndarray, ndarray or None)
            The preprocessing, X (n, width) float32, and y (n,) class indices or (n, 1)
            standardised targets (None without a target).
        """
        prep, _ = learn([table], table.path, table.columns, target, task, drop=drop, id=id,
                        missing=missing, keep=keep, note=note, decimal_comma=table.sep == ";")  # fmt: skip
        x, y, _ = prep.encode(table, note=note, with_target=target is not None)
        return prep, x, y

    # -- applying ------------------------------------------------------------------------
    def check_columns(self, table: Table, with_target: bool, note: Note = _quiet,
                      tally: Tally | None = None) -> None:  # fmt: skip
        """Check that every feature column is present; a note names the columns not used.

        Parameters
        ----------
        table : Table
            The rows read.
        with_target : bool
            Whether the target column must be there too.
        note : callable, optional
            Called with each note (one line about the data); quiet by default.
        tally : Tally, optional
            Count what the notes would say instead of saying it (a file read in blocks says it once, at the end).

        Raises
        ------
        CSVError
            Missing columns, named, with the fix.
        """
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
        if extra and tally is not None:
            tally.extra = extra
        elif extra:
            note(f"{table.path}: ignoring column(s) the model does not use: {', '.join(extra)}")

    def transform(self, table: Table, note: Note = _quiet, standardise: bool = True) -> np.ndarray:
        """Network inputs for every row; missing cells filled with the training values.

        Parameters
        ----------
        table : Table
            The rows read.
        note : callable, optional
            Called with each note (one line about the data); quiet by default.
        standardise : bool, default True
            False leaves numeric columns in the file's units.

        Returns
        -------
        ndarray of shape (N, width)
            float32 inputs.
        """
        tally = Tally()
        self.check_columns(table, with_target=False, note=note, tally=tally)
        x, holes = self._inputs(table, tally, standardise)
        tally.add_filled(holes, np.arange(len(table.rows)))
        tally.say(table.path, note)
        return x

    def encode(
        self, table: Table, note: Note = _quiet, with_target: bool = True,
        unknown_labels: str = "error", tally: Tally | None = None,
    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:  # fmt: skip
        """Inputs and encoded targets of the rows to train or evaluate on.

        Rows with a missing target are left out (with a note), and under ``drop`` rows with a
        missing feature cell.

        Parameters
        ----------
        table : Table
            The rows read.
        note : callable, optional
            Called with each note; quiet by default.
        with_target : bool, default True
            Encode the target too.
        unknown_labels : {"error", "count"}, default "error"
            A class label the model was not trained on is an error, or encoded as
            len(classes), a class it never predicts (evaluation counts it wrong).
        tally : Tally, optional
            Count what the notes would say instead of saying it.

        Returns
        -------
        (ndarray, ndarray or None, ndarray)
            X (n, width) float32; y (n,) int64 class indices or (n, 1) float32
            standardised targets (None without the target); the kept rows' positions (n,).
        """
        own = tally is None
        tally = Tally() if tally is None else tally
        self.check_columns(table, with_target=with_target, note=note, tally=tally)
        x, holes = self._inputs(table, tally)
        incomplete = np.logical_or.reduce([*holes.values(), np.zeros(len(table.rows), dtype=bool)])
        keep = np.ones(len(table.rows), dtype=bool)
        if self.missing == "drop":
            keep &= ~incomplete
            tally.incomplete += int(incomplete.sum())
        y = None
        if with_target and self.target is not None:
            y, present = self._targets(table, unknown_labels)
            tally.no_target += int((~present).sum())
            keep &= present
        rows = np.flatnonzero(keep)
        if not len(rows) and own:
            raise CSVError(f"{table.path}: no rows left once rows with missing cells are left out")
        tally.add_filled(holes, rows)
        if own:
            tally.say(table.path, note, self.target)
        return x[rows], (None if y is None else y[rows]), rows

    def _inputs(
        self, table: Table, tally: Tally, standardise: bool = True
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
            span = kind_width(spec)

            def where(i: int, name: str = name) -> str:
                return f"{table.path}, line {table.lines[i]}, column {name!r}"

            unseen = encode_kind(
                spec, cells, holes, x[:, col : col + span], where, comma, standardise
            )
            for value, count in unseen.items():
                seen = tally.unseen.setdefault(name, {})
                seen[value] = seen.get(value, 0) + count
            col += span
        return x, filled

    def _targets(
        self, table: Table, unknown_labels: str = "error"
    ) -> tuple[np.ndarray, np.ndarray]:
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
                if label not in index and unknown_labels == "count":
                    y[i] = len(self.classes)
                    continue
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
        """Regression outputs or targets in the target's own units.

        Parameters
        ----------
        outputs : ndarray of shape (n, 1) or (n,)
            Standardised values.

        Returns
        -------
        ndarray
            The same shape, unstandardised.
        """
        return np.asarray(outputs, dtype=np.float64)[:, 0] * self.target_scale + self.target_mean

    def decode(self, outputs: np.ndarray) -> list[Any]:
        """Network outputs to answers: class labels, or numbers in the target's own units.

        Parameters
        ----------
        outputs : ndarray of shape (n, m)
            The network's outputs.

        Returns
        -------
        list
            One answer per row.
        """
        if self.task == "classification":
            idx = (
                outputs.argmax(axis=1)
                if outputs.shape[1] > 1
                else (outputs[:, 0] >= 0.5).astype(int)
            )
            return [self.classes[i] for i in idx]
        return cast("list[Any]", self.unscale(outputs).tolist())

    def file_units(self, x: np.ndarray) -> np.ndarray:
        """Inputs back in the file's units.

        Numeric columns unstandardised, a date's first input as days since 1970, one-hot inputs as they are.

        Parameters
        ----------
        x : ndarray of shape (n, width)
            Network inputs.

        Returns
        -------
        ndarray of shape (n, width)
            The inputs in the file's units.
        """
        out = np.array(x, dtype=np.float64)
        col = 0
        for spec in self.columns:
            span = kind_width(spec)
            out[:, col : col + span] = file_units(spec, out[:, col : col + span])
            col += span
        return out

    def cells_of_inputs(self, table: Table, row: int = 0) -> list[str]:
        """For each network input, the cell of a row it comes from, as the file writes it.

        What ``trace`` shows beside the input (a missing one as "(missing)").

        Parameters
        ----------
        table : Table
            The rows read.
        row : int, default 0
            The row.

        Returns
        -------
        list of str
            One cell per input.
        """
        out = []
        for spec in self.columns:
            cell = table.rows[row][table.column(spec["name"])].strip()
            out += ["(missing)" if is_missing(cell) else cell] * kind_width(spec)
        return out

    def describe(self) -> list[str]:
        """Lines for ``mlpkit info``: each column's kind and what is done to it.

        Returns
        -------
        list of str
            The lines.
        """
        lines = [f"preprocessing (missing cells: {self.missing}):"]
        width = max(len(c) for c in [*self.features, self.target or "", self.id or ""])
        for c in self.columns:
            lines.append(f"  {c['name']:<{width}}  {describe_kind(c, _names)}")
        if self.id is not None:
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
        """The preprocessing a model file saved, checked.

        Parameters
        ----------
        d : dict
            The file's ``metadata`` entry.

        Returns
        -------
        Preprocessing
            The preprocessing.

        Raises
        ------
        ValueError
            A malformed one (a crafted file, or one a newer mlpkit wrote), naming what is wrong.
        """
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
            needs = KIND_FIELDS.get(c.get("kind"))
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


#: a target of whole numbers with at most this many different values is read as class
#: labels by ``task="auto"``; more, and it is a quantity to regress
MAX_AUTO_CLASSES = 10


def choose_task(aim: ColumnSummary, target: str) -> tuple[str, str]:
    """``task="auto"``'s choice for the target column, and why, in a sentence that names
    ``--task``: text labels or at most ``MAX_AUTO_CLASSES`` whole-number values are
    classes; any other numbers, a quantity."""
    values = aim.distinct
    if not aim.numeric:
        return "classification", (f"the target {target!r} holds text labels ({values} "
                                  "different); --task regression needs numbers")  # fmt: skip
    if aim.integral and values <= MAX_AUTO_CLASSES:
        return "classification", (
            f"the target {target!r} holds {values} different whole numbers "
            f"(at most {MAX_AUTO_CLASSES}: read as classes); --task regression predicts it as a number"
        )
    shown = f"{values:,}" if values <= MAX_CATEGORIES else f"over {MAX_CATEGORIES:,}"
    why = (f"whole numbers (over {MAX_AUTO_CLASSES}: read as a quantity)" if aim.integral
           else "numbers, not all whole (a quantity)")  # fmt: skip
    return "regression", (f"the target {target!r} holds {shown} different {why}; --task "
                          "classification treats its values as labels")  # fmt: skip


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
    keep: Iterable[str] = (),
    note: Note = _quiet,
    decimal_comma: bool = False,
    numbers_only: str | None = None,
) -> tuple[Preprocessing, list[int]]:
    """Choose each column's kind and statistics in one pass over the tables.

    Parameters
    ----------
    tables : iterable of Table
        A whole file, or its blocks in order.
    path : str or Path
        The file, for messages.
    columns : list of str
        The header.
    target : str or None
        The target column (None: no target).
    task : {"auto", "classification", "regression"}, default "auto"
        What the target is; auto decides and says why.
    drop : sequence of str, optional
        Columns left out.
    id : str, optional
        A key column kept out of the inputs and copied into predictions.
    missing : {"impute", "drop", "error"}, default "impute"
        What missing cells do.
    keep : sequence of str, optional
        Columns used as features even where they look like row numbers or free text.
    note : callable, optional
        Called with each note; quiet by default.
    decimal_comma : bool, default False
        Numbers are written with a decimal comma.
    numbers_only : str, optional
        If given, text and date columns are left out too, named in one note that ends
        with this reason.

    Returns
    -------
    (Preprocessing, list of int)
        The preprocessing and, per table, how many of its rows training keeps.

    Raises
    ------
    CSVError
        A problem with the data, in one line naming the file, the column and the fix.

    Examples
    --------
    >>> open("pets.csv", "w").write("name,age,kind\\nRex,3,dog\\nTom,5,cat\\nFido,2,dog\\nKit,1,cat\\n")
    55
    >>> from mlpkit.tabular import learn, read_csv
    >>> table = read_csv("pets.csv")
    >>> prep, kept = learn([table], table.path, table.columns, "kind")
    >>> [column["name"] for column in prep.columns], kept
    (['name', 'age'], [4])
    """
    drop, keep = list(drop), set(keep)
    _check_options(path, columns, target, drop, id, missing)
    unknown = sorted(keep - set(columns))
    if unknown:
        raise CSVError(f"{path}: --keep names no column {_names(unknown)}; the columns are "
                       f"{listed_names(columns)}")  # fmt: skip
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
        keep_rows = ~incomplete if missing == "drop" else np.ones(len(table.rows), dtype=bool)
        if aim is not None:
            keep_rows &= ~aim.add(table.cells(target), table.lines, where, decimal_comma)  # type: ignore[arg-type]
        kept.append(int(keep_rows.sum()))
    specs, dropped_names, not_numbers = [], list(drop), []
    for name, s in summaries.items():
        decision = decide(s, path, keep=name in keep)
        spec = decision.spec
        if numbers_only is not None and spec is not None and spec["kind"] != "numeric":
            not_numbers.append(name)  # (said below, with the others)
            spec = None
        elif decision.note:
            note(decision.note)
        if spec is None:
            dropped_names.append(name)
        else:
            specs.append(spec)
    if not_numbers:
        note(f"{path}: leaving out text and date column(s) {_names(not_numbers)}: {numbers_only}")
    if not specs:
        if all(s.present == 0 for s in summaries.values()):
            raise CSVError(f"{path}: every feature column is empty")
        raise CSVError(f"{path}: no feature columns left to learn from (see the notes above)")
    prep = Preprocessing(specs, target, "regression", id=id, missing=missing, dropped=dropped_names)
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
    if aim.all_dates:
        raise CSVError(
            f"{path}: the target {target!r} holds dates; make it a number (e.g. days) first"
        )
    if task == "auto":
        task, why = choose_task(aim, target)  # type: ignore[arg-type]
        note(f"{path}: task {task}: {why}")
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
