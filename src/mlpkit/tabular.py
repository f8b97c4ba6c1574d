"""Tabular data from CSV files, read strictly: every problem is reported as one line
naming the file, the line, the column and what is wrong — never a traceback — and the
preprocessing the command line saves with a model (standardised features, encoded
labels)."""

from __future__ import annotations

import csv
import io
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


# -- streaming: a CSV read in blocks of rows ----------------------------------------------
@dataclass
class CSVBlocks:
    """A CSV file cut into blocks of about ``chunksize`` records, found in one pass that
    also gathers what ``Preprocessing`` needs (column means and spreads, the target's
    values), so the file is never in memory whole. ``block(i)`` reads block i again."""

    path: Path
    columns: list[str]
    offsets: list[int]  # byte offset where each block starts (and the file's end)
    first_lines: list[int]  # the line number of each block's first record
    counts: list[int]  # records per block

    def block(self, i: int) -> Table:
        with self.path.open("rb") as f:
            f.seek(self.offsets[i])
            raw = f.read(self.offsets[i + 1] - self.offsets[i])
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CSVError(f"{self.path}: not a UTF-8 text file") from None
        rows, lines = [], []
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        for row in reader:
            if not row or all(not cell.strip() for cell in row):
                continue
            line = self.first_lines[i] + reader.line_num - 1
            if len(row) != len(self.columns):
                raise CSVError(
                    f"{self.path}, line {line}: {len(row)} fields, but the header has {len(self.columns)}"
                )
            rows.append(row)
            lines.append(line)
        return Table(self.path, self.columns, rows, lines)


def scan_csv(
    path: str | os.PathLike[str], chunksize: int, target: str | None, task: str = "auto"
) -> tuple[CSVBlocks, Preprocessing]:
    """One streaming pass over a CSV: its blocks and the preprocessing ``Preprocessing.fit``
    would choose for the whole file (means and scales in float64, summed block by block)."""
    p = Path(path)
    head = read_csv_header(p)
    offsets, first_lines, counts = [], [], []
    with p.open("rb") as f:
        f.readline()  # the header (one physical line)
        line, start, inside, count = 2, f.tell(), False, 0
        block_start_line = 2
        while True:
            raw = f.readline()
            if not raw:
                break
            inside ^= raw.count(b'"') % 2 == 1  # a quoted field may hold a newline
            line += 1
            if inside:
                continue
            if raw.strip():
                count += 1
            if count == chunksize:
                offsets.append(start)
                first_lines.append(block_start_line)
                counts.append(count)
                start, count, block_start_line = f.tell(), 0, line
        if count:
            offsets.append(start)
            first_lines.append(block_start_line)
            counts.append(count)
        offsets.append(f.tell())
    if not counts:
        raise CSVError(f"{p}: no data rows after the header (line 1)")
    blocks = CSVBlocks(p, head, offsets, first_lines, counts)
    return blocks, _streamed_preprocessing(blocks, target, task)


def read_csv_header(p: Path) -> list[str]:
    """The header of a CSV file, checked as ``read_csv`` checks it."""
    try:
        with p.open(newline="", encoding="utf-8") as f:
            header = next(csv.reader(f, strict=True), None)
    except OSError as exc:
        raise CSVError(f"{p}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise CSVError(f"{p}, line 1: unreadable header ({exc})") from None
    if header is None:
        raise CSVError(f"{p}: the file is empty")
    columns = [h.strip() for h in header]
    if not any(columns) or len(set(columns)) != len(columns):
        raise CSVError(f"{p}, line 1: the header is empty or repeats a column name")
    return columns


#: the most class labels a streamed target may have
_MAX_CLASSES = 10_000


def _streamed_preprocessing(blocks: CSVBlocks, target: str | None, task: str) -> Preprocessing:
    features = [c for c in blocks.columns if c != target]
    if target is not None and target not in blocks.columns:
        raise CSVError(
            f"{blocks.path}: no column {target!r}; the columns are {', '.join(blocks.columns)}"
        )
    if not features:
        raise CSVError(f"{blocks.path}: no feature columns besides the target {target!r}")
    n, total, squares = 0, np.zeros(len(features)), np.zeros(len(features))
    shift = None  # sums of (x − the first block's mean): stable for large means
    labels: set[Any] = set()
    numeric, integral, rows_seen = True, True, 0
    for i in range(len(blocks.counts)):
        table = blocks.block(i)
        x = table.numeric(features)
        shift = x.mean(axis=0) if shift is None else shift
        total += (x - shift).sum(axis=0)
        squares += ((x - shift) ** 2).sum(axis=0)
        n += x.shape[0]
        if target is not None:
            raw = table.strings(target)
            rows_seen += len(raw)
            for v in raw:
                if numeric and not _is_number(v):
                    numeric = False
                if len(labels) <= _MAX_CLASSES:
                    labels.add(_label(v))
            if numeric:
                values = np.array([float(v) for v in raw])
                integral = integral and bool(np.all(values == np.round(values)))
    mean = shift + total / n
    scale = np.sqrt(np.maximum(squares / n - (total / n) ** 2, 0.0))
    scale[scale == 0] = 1.0
    prep = Preprocessing(features, mean.tolist(), scale.tolist(), target, "regression", [])
    if target is None:
        return prep
    if task == "auto":
        few = len(labels) <= max(2, min(20, rows_seen // 5))
        task = "classification" if (not numeric or (integral and few)) else "regression"
    if task == "classification":
        if len(labels) > _MAX_CLASSES:
            raise CSVError(
                f"{blocks.path}: target {target!r} has over {_MAX_CLASSES} distinct values"
            )
        classes = sorted(labels, key=lambda v: (isinstance(v, str), v))
        if len(classes) < 2:
            raise CSVError(
                f"{blocks.path}: target {target!r} has a single class {classes[0]!r}; need at least 2"
            )
        prep.task, prep.classes = "classification", classes
    elif not numeric:
        raise CSVError(
            f"{blocks.path}: target {target!r} is not numeric (use --task classification for labels)"
        )
    return prep
