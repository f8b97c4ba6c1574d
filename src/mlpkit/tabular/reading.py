"""Reading CSV files strictly: the separator found from the header, a BOM and quoted
fields handled, and every problem reported as one line naming the file, the line and
the column — never a traceback."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MISSING", "CSVError", "Table", "detect_separator", "read_csv", "read_csv_header"]

#: cells that mean "no value" (compared after stripping, case-insensitively)
MISSING = frozenset({"", "na", "n/a", "nan", "null", "?"})

#: the separators found by themselves from the header line
SEPARATORS = (",", ";", "\t")


class CSVError(ValueError):
    """A CSV file cannot be used; the message says where and why."""


def is_missing(cell: str) -> bool:
    """Whether a stripped cell is one of the :data:`MISSING` spellings."""
    return cell.lower() in MISSING


def parse_number(cell: str, decimal_comma: bool = False) -> float | None:
    """The number a stripped cell holds, or None for text. ``decimal_comma`` (files
    separated by semicolons) also reads "1,5" as 1.5. An infinite number is text too:
    the caller decides whether that is an error."""
    try:
        return float(cell)
    except ValueError:
        if decimal_comma and "," in cell and "." not in cell:
            try:
                return float(cell.replace(",", "."))
            except ValueError:
                return None
        return None


def detect_separator(header: str) -> str:
    """The separator of a CSV file from its header line: whichever of comma, semicolon
    and tab occurs most outside quotes (a comma when none does)."""
    counts = dict.fromkeys(SEPARATORS, 0)
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(SEPARATORS, key=lambda s: counts[s])
    return best if counts[best] else ","


@dataclass
class Table:
    """A CSV file's header and its rows as strings, with line numbers for messages.

    rows : one list of cells per record (len(columns) cells each); lines : the line
    number of each record; sep : the separator the file uses."""

    path: Path
    columns: list[str]
    rows: list[list[str]]
    lines: list[int] = field(default_factory=list)
    sep: str = ","

    def column(self, name: str) -> int:
        """The position of a column, or a CSVError listing the columns there are."""
        if name not in self.columns:
            raise CSVError(
                f"{self.path}: no column {name!r}; the columns are {', '.join(self.columns)}"
            )
        return self.columns.index(name)

    def cells(self, name: str) -> list[str]:
        """The stripped cells of one column, one per row."""
        j = self.column(name)
        return [row[j].strip() for row in self.rows]

    def take(self, rows: list[int]) -> Table:
        """A table of some of the rows (in the order given)."""
        return Table(
            self.path,
            self.columns,
            [self.rows[i] for i in rows],
            [self.lines[i] for i in rows],
            self.sep,
        )


def _header(p: Path, sep: str | None) -> tuple[list[str], str]:
    """The header's column names and the separator, read as ``read_csv`` reads them."""
    try:
        with p.open(newline="", encoding="utf-8-sig") as f:
            first = f.readline()
    except OSError as exc:
        raise CSVError(f"{p}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CSVError(f"{p}: not a UTF-8 text file") from None
    if not first:
        raise CSVError(f"{p}: the file is empty")
    sep = sep or detect_separator(first)
    try:
        header = next(csv.reader([first.rstrip("\r\n")], delimiter=sep, strict=True), [])
    except csv.Error as exc:
        raise CSVError(f"{p}, line 1: unreadable header ({exc})") from None
    columns = [h.strip() for h in header]
    if not any(columns):
        raise CSVError(f"{p}, line 1: the header is empty")
    dupes = sorted({c for c in columns if columns.count(c) > 1})
    if dupes:
        raise CSVError(f"{p}, line 1: duplicate column name(s) {', '.join(map(repr, dupes))}")
    return columns, sep


def read_csv_header(p: Path, sep: str | None = None) -> tuple[list[str], str]:
    """The column names and separator of a CSV file, checked as ``read_csv`` checks them."""
    return _header(Path(p), sep)


def read_csv(path: str | os.PathLike[str], sep: str | None = None) -> Table:
    """Read a CSV file with a header row. ``sep`` None finds comma, semicolon or tab from
    the header. Raises CSVError for an unreadable, empty, header-only or ragged file, or
    a duplicated column name. Blank lines are skipped; a UTF-8 BOM is ignored."""
    p = Path(path)
    columns, sep = _header(p, sep)
    rows, lines = [], []
    try:
        with p.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f, delimiter=sep, strict=True)  # an open quote is an error
            next(reader)
            for row in reader:
                if not row or all(not cell.strip() for cell in row):
                    continue  # blank lines are not data
                if len(row) != len(columns):
                    raise CSVError(
                        f"{p}, line {reader.line_num}: {len(row)} fields, but the header has "
                        f"{len(columns)}"
                        + (" (is the separator right? try --sep)" if len(row) == 1 else "")
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
    return Table(p, columns, rows, lines, sep)
