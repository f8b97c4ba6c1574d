"""Reading CSV files strictly: the separator found from the header, a BOM and quoted
fields handled, and every problem reported as one line naming the file, the line and
the column — never a traceback."""

from __future__ import annotations

import csv
import math
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "MAX_MAGNITUDE",
    "MISSING",
    "CSVError",
    "Table",
    "detect_separator",
    "read_csv",
    "read_csv_header",
]

#: cells that mean "no value" (compared after stripping, case-insensitively)
MISSING = frozenset({"", "na", "n/a", "nan", "null", "?"})

#: the separators found by themselves from the header line
SEPARATORS = (",", ";", "\t")


class CSVError(ValueError):
    """A CSV file cannot be used; the message says where and why.

    Examples
    --------
    >>> from mlpkit.tabular import CSVError, read_csv
    >>> open("empty.csv", "w").write("")
    0
    >>> try:
    ...     read_csv("empty.csv")
    ... except CSVError as error:
    ...     print("CSVError")
    CSVError
    """


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


def listed(names: list[str], limit: int = 20) -> str:
    """Names for a message: the first ``limit``, then how many in all."""
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


#: numbers are read up to this size: beyond it the statistics of a column (its squares
#: summed over the rows) would overflow even in float64, so such a cell is an error
#: that names it (rescale the column) rather than an overflow later
MAX_MAGNITUDE = 1e100


def out_of_range(value: float, cell: str, where: str) -> CSVError | None:
    """The error for a number mlpkit cannot use — infinite, or beyond ±``MAX_MAGNITUDE``
    — naming the cell; None for a usable one. ``where``: "file, line L, column 'c'"."""
    if not math.isfinite(value):
        return CSVError(f"{where}: {cell[:40]} is not a finite number")
    if abs(value) > MAX_MAGNITUDE:
        return CSVError(
            f"{where}: {cell[:40]} is beyond ±{MAX_MAGNITUDE:g}, more than mlpkit can "
            "standardise; rescale the column (e.g. in other units, or its logarithm)"
        )
    return None


def detect_separator(header: str) -> str:
    """The separator of a CSV file from its header line.

    Parameters
    ----------
    header : str
        The first line.

    Returns
    -------
    str
        Whichever of comma, semicolon and tab occurs most outside quotes (a comma when none does).

    Examples
    --------
    >>> from mlpkit.tabular import detect_separator
    >>> detect_separator("a;b;c"), detect_separator("a,b"), detect_separator("a\\tb")
    (';', ',', '\\t')
    """
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

    Parameters
    ----------
    path : Path
        The file.
    columns : list of str
        The header.
    rows : list of list of str
        One list of cells per record.
    lines : list of int
        The line number of each record.
    sep : str, default ","
        The separator the file uses.
    _positions : dict, optional
        Column positions by name (made when needed).

    Examples
    --------
    >>> open("pets.csv", "w").write("name,age,kind\\nRex,3,dog\\nTom,5,cat\\nFido,2,dog\\nKit,1,cat\\n")
    55
    >>> from mlpkit.tabular import read_csv
    >>> table = read_csv("pets.csv")
    >>> table.column("age"), table.take([1, 0]).cells("name"), table.lines
    (1, ['Tom', 'Rex'], [2, 3, 4, 5])
    """

    path: Path
    columns: list[str]
    rows: list[list[str]]
    lines: list[int] = field(default_factory=list)
    sep: str = ","
    #: column name -> position, made at the first look-up (a wide table's columns are
    #: looked up one by one: a list's index would make that quadratic)
    _positions: dict[str, int] | None = field(default=None, repr=False, compare=False)

    def column(self, name: str) -> int:
        """The position of a column.

        Parameters
        ----------
        name : str
            The column.

        Returns
        -------
        int
            Its position.

        Raises
        ------
        CSVError
            No such column, listing those there are.
        """
        positions = self._positions
        if positions is None or len(positions) != len(self.columns):
            positions = self._positions = {c: j for j, c in enumerate(self.columns)}
        where = positions.get(name)
        if where is None:
            raise CSVError(
                f"{self.path}: no column {name!r}; the columns are {listed(self.columns)}"
            )
        return where

    def cells(self, name: str) -> list[str]:
        """The stripped cells of one column, one per row.

        Parameters
        ----------
        name : str
            The column.

        Returns
        -------
        list of str
            The cells.
        """
        j = self.column(name)
        return [row[j].strip() for row in self.rows]

    def take(self, rows: list[int]) -> Table:
        """A table of some of the rows, in the order given.

        Parameters
        ----------
        rows : list of int
            Row positions.

        Returns
        -------
        Table
            The smaller table.
        """
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
    return _parse_header(p, first, sep)


def _parse_header(p: Path, first: str, sep: str | None) -> tuple[list[str], str]:
    """Column names and separator from the header line (duplicates found in one pass)."""
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
    counts = Counter(columns)
    dupes = sorted(c for c, k in counts.items() if k > 1)
    if dupes:
        shown = ", ".join(map(repr, dupes[:10])) + (
            f" ({len(dupes)} in all)" if len(dupes) > 10 else ""
        )
        raise CSVError(f"{p}, line 1: duplicate column name(s) {shown}")
    return columns, sep


def read_csv_header(p: Path, sep: str | None = None) -> tuple[list[str], str]:
    """The column names and separator of a CSV file, checked as :func:`read_csv` checks them.

    Parameters
    ----------
    p : Path
        The file.
    sep : str, optional
        The separator (None: found from the header).

    Returns
    -------
    (list of str, str)
        The columns and the separator.

    Examples
    --------
    >>> open("pets.csv", "w").write("name,age,kind\\nRex,3,dog\\nTom,5,cat\\nFido,2,dog\\nKit,1,cat\\n")
    55
    >>> from pathlib import Path
    >>> from mlpkit.tabular import read_csv_header
    >>> read_csv_header(Path("pets.csv"))
    (['name', 'age', 'kind'], ',')
    """
    return _header(Path(p), sep)


def read_csv(path: str | os.PathLike[str], sep: str | None = None) -> Table:
    """Read a CSV file with a header row.

    Blank lines are skipped; a UTF-8 BOM is ignored.

    Parameters
    ----------
    path : str or PathLike
        The file.
    sep : str, optional
        None finds comma, semicolon or tab from the header.

    Returns
    -------
    Table
        The header and rows.

    Raises
    ------
    CSVError
        An unreadable, empty, header-only or ragged file, or a duplicated column name.

    Examples
    --------
    >>> open("pets.csv", "w").write("name,age,kind\\nRex,3,dog\\nTom,5,cat\\nFido,2,dog\\nKit,1,cat\\n")
    55
    >>> from mlpkit.tabular import read_csv
    >>> table = read_csv("pets.csv")
    >>> table.columns, len(table.rows), table.cells("kind")
    (['name', 'age', 'kind'], 4, ['dog', 'cat', 'dog', 'cat'])
    """
    p = Path(path)
    rows, lines = [], []
    reader = None
    try:  # one pass over one handle: a pipe (a FIFO, <(...)) is read once, as a file is
        with p.open(newline="", encoding="utf-8-sig") as f:
            columns, sep = _parse_header(p, f.readline(), sep)
            width = len(columns)
            reader = csv.reader(f, delimiter=sep, strict=True)  # an open quote is an error
            for row in reader:
                line = reader.line_num + 1  # (the header was line 1)
                if not row or all(not cell.strip() for cell in row):
                    continue  # blank lines are not data
                if len(row) != width:
                    raise CSVError(
                        f"{p}, line {line}: {len(row)} fields, but the header has {width}"
                        + (" (is the separator right? try --sep)" if len(row) == 1 else "")
                    )
                rows.append(row)
                lines.append(line)
    except IsADirectoryError:
        raise CSVError(f"{p}: a folder, not a CSV file") from None
    except OSError as exc:
        raise CSVError(f"{p}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CSVError(f"{p}: not a UTF-8 text file") from None
    except csv.Error as exc:
        line = 1 if reader is None else reader.line_num + 1  # (the header was line 1)
        raise CSVError(f"{p}, line {line}: malformed CSV ({exc})") from None
    if not rows:
        raise CSVError(f"{p}: no data rows after the header (line 1)")
    return Table(p, columns, rows, lines, sep)
