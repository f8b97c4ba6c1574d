"""Tabular data from CSV files, read strictly: every problem is reported as one line
naming the file, the line, the column and what is wrong — never a traceback — and the
preprocessing the command line saves with a model (standardised features, encoded
labels)."""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CSVError", "Preprocessing", "Table", "read_csv"]

_MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}


class CSVError(ValueError):
    """A CSV file cannot be used; the message says where and why."""


@dataclass
class Table:
    """A CSV file's header and its rows as strings, with line numbers for messages."""

    path: Path
    columns: list[str]
    rows: list[list[str]]
    lines: list[int] = field(default_factory=list)

    def column(self, name: str) -> int:
        if name not in self.columns:
            raise CSVError(
                f"{self.path}: no column {name!r}; the columns are {', '.join(self.columns)}"
            )
        return self.columns.index(name)

    def numeric(self, names: list[str]) -> np.ndarray:
        """The named columns as a float64 array (N, len(names)); every cell checked."""
        idx = [self.column(n) for n in names]
        out = np.empty((len(self.rows), len(idx)))
        for r, (row, line) in enumerate(zip(self.rows, self.lines, strict=True)):
            for c, (j, name) in enumerate(zip(idx, names, strict=True)):
                out[r, c] = _number(row[j], self.path, line, name)
        return out

    def strings(self, name: str) -> list[str]:
        j = self.column(name)
        values = []
        for row, line in zip(self.rows, self.lines, strict=True):
            cell = row[j].strip()
            if cell.lower() in _MISSING:
                raise CSVError(f"{self.path}, line {line}, column {name!r}: missing value")
            values.append(cell)
        return values


def _number(cell: str, path: Path, line: int, name: str) -> float:
    text = cell.strip()
    if text.lower() in _MISSING:
        raise CSVError(f"{path}, line {line}, column {name!r}: missing value")
    try:
        value = float(text)
    except ValueError:
        raise CSVError(f"{path}, line {line}, column {name!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise CSVError(f"{path}, line {line}, column {name!r}: {text} is not a finite number")
    return value


def read_csv(path: str | os.PathLike[str]) -> Table:
    """Read a CSV file with a header row. Raises CSVError for an unreadable, empty,
    header-only or ragged file, or a duplicated column name."""
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f, strict=True)  # an unbalanced quote is an error, not data
            try:
                header = next(reader)
            except StopIteration:
                raise CSVError(f"{p}: the file is empty") from None
            columns = [h.strip() for h in header]
            if not any(columns):
                raise CSVError(f"{p}, line 1: the header is empty")
            dupes = sorted({c for c in columns if columns.count(c) > 1})
            if dupes:
                raise CSVError(
                    f"{p}, line 1: duplicate column name(s) {', '.join(map(repr, dupes))}"
                )
            rows, lines = [], []
            for row in reader:
                if not row or all(not cell.strip() for cell in row):
                    continue  # blank lines are not data
                if len(row) != len(columns):
                    raise CSVError(
                        f"{p}, line {reader.line_num}: {len(row)} fields, but the header has {len(columns)}"
                    )
                rows.append(row)
                lines.append(reader.line_num)
    except OSError as exc:
        raise CSVError(f"{p}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CSVError(f"{p}: not a UTF-8 text file") from None
    except csv.Error as exc:
        raise CSVError(f"{p}, line {reader.line_num}: malformed CSV ({exc})") from None
    if not rows:
        raise CSVError(f"{p}: no data rows after the header (line 1)")
    return Table(p, columns, rows, lines)


@dataclass
class Preprocessing:
    """What turns CSV columns into network inputs and outputs back into answers:
    feature names, their means and scales (standardisation), the target, the task and
    the class labels. Saved as the model's metadata."""

    features: list[str]
    mean: list[float]
    scale: list[float]
    target: str | None = None
    task: str = "regression"
    classes: list[Any] = field(default_factory=list)

    @classmethod
    def fit(
        cls, table: Table, target: str | None, task: str = "auto"
    ) -> tuple[Preprocessing, np.ndarray, Any]:
        """Choose features (every column but the target), standardise them, encode the
        target. Returns the preprocessing, X (N, k) standardised and the encoded y."""
        if target is not None:
            table.column(target)
        features = [c for c in table.columns if c != target]
        if not features:
            raise CSVError(f"{table.path}: no feature columns besides the target {target!r}")
        x = table.numeric(features)
        mean = x.mean(axis=0)
        scale = x.std(axis=0)
        scale[scale == 0] = 1.0  # a constant column stays centred at 0
        prep = cls(features, mean.tolist(), scale.tolist(), target, "regression", [])
        y = None
        if target is not None:
            raw = table.strings(target)
            numeric = all(_is_number(v) for v in raw)
            if task == "auto":
                task = "regression"
                if not numeric:
                    task = "classification"
                else:
                    values = np.array([float(v) for v in raw])
                    if np.all(values == np.round(values)) and len(np.unique(values)) <= max(
                        2, min(20, len(values) // 5)
                    ):
                        task = "classification"
            if task == "classification":
                labels = [_label(v) for v in raw]
                classes = sorted(set(labels), key=lambda v: (isinstance(v, str), v))
                if len(classes) < 2:
                    raise CSVError(
                        f"{table.path}: target {target!r} has a single class {classes[0]!r}; need at least 2"
                    )
                index = {c: i for i, c in enumerate(classes)}
                prep.task, prep.classes = "classification", classes
                y = np.array([index[v] for v in labels])
            elif task == "regression":
                if not numeric:
                    bad = next((i for i, v in enumerate(raw) if not _is_number(v)))
                    raise CSVError(
                        f"{table.path}, line {table.lines[bad]}, column {target!r}: {raw[bad]!r} is not "
                        "a number (use --task classification for labels)"
                    )
                y = table.numeric([target])
            else:
                raise CSVError(f"task must be auto, classification or regression, got {task!r}")
        return prep, ((x - mean) / scale).astype(np.float32), y

    def transform(self, table: Table) -> np.ndarray:
        """Standardised features of another table, with the training columns."""
        missing = [f for f in self.features if f not in table.columns]
        if missing:
            raise CSVError(
                f"{table.path}: missing feature column(s) {', '.join(map(repr, missing))} the model was "
                "trained with"
            )
        x = table.numeric(self.features)
        return ((x - np.array(self.mean)) / np.array(self.scale)).astype(np.float32)

    def encode_target(self, table: Table) -> np.ndarray:
        if self.target is None:
            raise CSVError("this model has no target column")
        if self.task == "regression":
            return table.numeric([self.target])
        index = {c: i for i, c in enumerate(self.classes)}
        labels = [_label(v) for v in table.strings(self.target)]
        for label, line in zip(labels, table.lines, strict=True):
            if label not in index:
                raise CSVError(
                    f"{table.path}, line {line}, column {self.target!r}: unknown label {label!r}; the model "
                    f"knows {', '.join(map(repr, self.classes))}"
                )
        return np.array([index[v] for v in labels])

    def decode(self, outputs: np.ndarray) -> list[Any]:
        """Network outputs -> answers: class labels, or numbers for regression."""
        if self.task == "classification":
            idx = (
                outputs.argmax(axis=1)
                if outputs.shape[1] > 1
                else (outputs[:, 0] >= 0.5).astype(int)
            )
            return [self.classes[i] for i in idx]
        return outputs[:, 0].tolist() if outputs.shape[1] == 1 else outputs.tolist()

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": self.features,
            "mean": self.mean,
            "scale": self.scale,
            "target": self.target,
            "task": self.task,
            "classes": self.classes,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Preprocessing:
        return cls(
            d["features"],
            d["mean"],
            d["scale"],
            d.get("target"),
            d.get("task", "regression"),
            d.get("classes", []),
        )


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _label(text: str) -> Any:
    """Labels keep their type: "1" and "1.0" are the integer 1, "cat" stays a string."""
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value == int(value) else value
