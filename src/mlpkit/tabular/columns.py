"""What one pass over a column learns, and what kind of column it is.

The pass (:class:`ColumnSummary`, added to block by block, so a file streamed in blocks
and a file read whole give the same kinds and statistics) counts the missing cells, the
numbers (their mean, spread, median, range, whether all are whole), the dates (ISO 8601,
as days), the text values and their counts.

Then :func:`decide` gives each column its kind, by these rules, in this order — each
choice that leaves a column out is said in a note naming the flag that changes it:

1. every cell missing: left out;
2. mostly numbers with a few cells that are not (at most ``STRAY_SHARE`` of the present
   cells, ``STRAY_CELLS`` at most): an error naming the column, the cells and their
   lines — a stray word, a NUL byte — rather than a column of numbers silently read as
   categories;
3. numbers: left out as a **row number** when they are unique whole numbers that fill
   most of their range (at least ``KEY_FILL`` of it, over ``KEY_ROWS`` rows or more: 1, 2,
   ..., N in any order, or a shuffled split of such an index), or unique whole numbers
   under a header that names a row index (``""``, ``Unnamed: 0``, ``rownames``,
   ``index``, ...); numbers that are merely distinct — a price, a population — stay
   features; otherwise **numeric**;
4. dates (every present cell an ISO 8601 date or datetime): a **date** column;
5. text: left out as a **key** when every row's value is different (5 rows at least),
   or as **free text** when mostly distinct (more than ``FREE_TEXT_SHARE`` of at least
   ``FREE_TEXT_ROWS`` present cells are different: names, comments, tickets); over
   ``MAX_CATEGORIES`` distinct values an error; otherwise **categorical**.

``--keep COL`` (``keep``) makes a row-number or free-text column a feature all the same.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .dates import days as date_days
from .dates import year_cycle
from .reading import CSVError, is_missing, out_of_range, parse_number

__all__ = ["MAX_CATEGORIES", "ColumnSummary", "Decision", "decide"]

#: the most distinct values a text column (or a class target) may have
MAX_CATEGORIES = 10_000
#: numbers kept per column for the median; beyond this a seeded uniform sample of them
MEDIAN_SAMPLE = 100_000
#: a numeric column's non-numbers that make it an error (a share of its cells, a count)
STRAY_SHARE, STRAY_CELLS = 0.05, 20
#: unique whole numbers filling at least this share of their range, over at least this
#: many rows, are a row number (fewer rows cannot tell an index from small numbers)
KEY_FILL, KEY_ROWS = 0.5, 20
#: a text column with more than this share of different values among at least this
#: many present cells is free text (names, comments, keys), not categories
FREE_TEXT_SHARE, FREE_TEXT_ROWS = 0.5, 20
#: headers that name a row index (R's and pandas' unnamed first column among them),
#: compared in lower case
ROW_INDEX_NAMES = frozenset({"", "unnamed: 0", "rownames", "row.names", "row", "rowid",
                             "row_id", "index", "idx", "x", "...1"})  # fmt: skip
#: examples of a column's stray cells kept for its error message
_EXAMPLES = 3


class ColumnSummary:
    """Statistics of one column, gathered by :meth:`add` over blocks of cells.

    Parameters
    ----------
    name : str
        The column's name.
    seed : int, default 0
        Seeds the sample kept for the median of a long column.

    Examples
    --------
    >>> from mlpkit.tabular import ColumnSummary
    >>> summary = ColumnSummary("age")
    >>> missing = summary.add(["3", "5", "", "2"], [2, 3, 4, 5], "pets.csv", decimal_comma=False)
    >>> missing.tolist(), summary.spec()["kind"]
    ([False, False, True, False], 'numeric')
    """

    def __init__(self, name: str, seed: int = 0) -> None:
        self.name = name
        self.present = 0  # cells that are not missing
        self.missing = 0
        #: the first few cells that are not numbers, with their lines, and how many
        self.texts: list[tuple[str, int]] = []
        self.text_cells = 0
        #: the first few cells that are neither numbers nor dates, and how many
        self.non_dates: list[tuple[str, int]] = []
        self.non_date_cells = 0
        self.counts: dict[str, int] = {}  # present cells by value (at most MAX_CATEGORIES + 1)
        self.repeats = False  # a present value seen twice
        # numbers: sums of (x - shift) for a stable mean and variance, a sample for the median
        self.numbers, self.total, self.squares = 0, 0.0, 0.0
        self.shift: float | None = None
        self.integral = True
        self.low, self.high = math.inf, -math.inf
        self._keys = np.empty(0)
        self._sample = np.empty(0)
        self._rng = np.random.default_rng(seed)
        #: the dates' statistics: days since 1970, as the numbers' above
        self.dates = DateSummary(seed)

    def add(
        self, cells: list[str], lines: list[int], where: str, decimal_comma: bool
    ) -> np.ndarray:
        """Count one block of stripped cells.

        Parameters
        ----------
        cells : list of str
            The block's cells of this column.
        lines : list of int
            Their line numbers.
        where : str
            The file, for messages.
        decimal_comma : bool
            Numbers are written with a decimal comma.

        Returns
        -------
        ndarray of shape (n,)
            The block's missing mask.

        Raises
        ------
        CSVError
            A number past ±1e100 or not finite, named by line and column.
        """
        missing = np.zeros(len(cells), dtype=bool)
        values, day_values = [], []
        counts = self.counts
        for i, (cell, line) in enumerate(zip(cells, lines, strict=True)):
            if is_missing(cell):
                missing[i] = True
                continue
            seen = counts.get(cell)
            if seen is not None:
                counts[cell] = seen + 1
                self.repeats = True
            elif len(counts) <= MAX_CATEGORIES:
                counts[cell] = 1
            value = parse_number(cell, decimal_comma)
            if value is None:
                self.text_cells += 1
                if len(self.texts) < _EXAMPLES:
                    self.texts.append((cell, line))
                day = date_days(cell)
                if day is None:
                    self.non_date_cells += 1
                    if len(self.non_dates) < _EXAMPLES:
                        self.non_dates.append((cell, line))
                else:
                    day_values.append(day)
                continue
            bad = out_of_range(value, cell, f"{where}, line {line}, column {self.name!r}")
            if bad is not None:
                raise bad
            values.append(value)
        self.present += len(cells) - int(missing.sum())
        self.missing += int(missing.sum())
        if values:
            self._add_numbers(np.asarray(values, dtype=np.float64))
        if day_values:
            self.dates.add(np.asarray(day_values, dtype=np.float64))
        return missing

    def _add_numbers(self, x: np.ndarray) -> None:
        self.shift = float(x.mean()) if self.shift is None else self.shift
        self.total += float((x - self.shift).sum())
        self.squares += float(((x - self.shift) ** 2).sum())
        self.numbers += len(x)
        self.integral = self.integral and bool(np.all(x == np.round(x)))
        self.low, self.high = min(self.low, float(x.min())), max(self.high, float(x.max()))
        keys = self._rng.random(len(x))  # keep the smallest keys: a uniform sample
        self._keys, self._sample = np.r_[self._keys, keys], np.r_[self._sample, x]
        if len(self._sample) > MEDIAN_SAMPLE:
            keep = np.argpartition(self._keys, MEDIAN_SAMPLE)[:MEDIAN_SAMPLE]
            self._keys, self._sample = self._keys[keep], self._sample[keep]

    # -- what the pass learnt ------------------------------------------------------------
    @property
    def numeric(self) -> bool:
        """Every present cell is a number (and there is at least one)."""
        return self.present > 0 and self.text_cells == 0

    @property
    def all_dates(self) -> bool:
        """Every present cell is a date (and there is at least one)."""
        return self.present > 0 and self.numbers == 0 and self.non_date_cells == 0

    @property
    def first_text(self) -> tuple[str, int] | None:
        """The first cell that is not a number, and its line."""
        return self.texts[0] if self.texts else None

    @property
    def too_many_values(self) -> bool:
        return len(self.counts) > MAX_CATEGORIES

    @property
    def distinct(self) -> int:
        """Different present values (counted up to MAX_CATEGORIES + 1)."""
        return len(self.counts)

    def mean_and_scale(self) -> tuple[float, float]:
        """The mean and (population) standard deviation of the numbers.

        Returns
        -------
        (float, float)
            A constant column gets scale 1, so it stays centred at 0.
        """
        return _mean_and_scale(self.numbers, self.shift, self.total, self.squares)

    def median(self) -> float:
        return float(np.median(self._sample))

    def categories(self) -> list[str]:
        """The text values, sorted.

        Returns
        -------
        list of str
            The categories.
        """
        return sorted(self.counts)

    def most_frequent(self) -> str:
        """The most frequent value (ties to the first in sorted order).

        Returns
        -------
        str
            The value.
        """
        return min(self.counts, key=lambda v: (-self.counts[v], v))

    def unique_whole_numbers(self) -> bool:
        return self.numeric and self.integral and not self.repeats and not self.missing

    def fills_its_range(self) -> bool:
        """Whether the column holds unique whole numbers covering most of low..high.

        Returns
        -------
        bool
            True for at least ``KEY_FILL`` of the range (a row number's mark).
        """
        span = self.high - self.low + 1
        return self.unique_whole_numbers() and span > 0 and self.numbers / span >= KEY_FILL

    def spec(self) -> dict[str, Any]:
        """The column's preprocessing.

        Returns
        -------
        dict
            Numeric: the median to fill, mean and scale; categorical: its categories and the most frequent to fill.
        """
        if self.numeric:
            mean, scale = self.mean_and_scale()
            return {"name": self.name, "kind": "numeric", "fill": self.median(),
                    "mean": mean, "scale": scale}  # fmt: skip
        return {"name": self.name, "kind": "categorical", "fill": self.most_frequent(),
                "categories": self.categories()}  # fmt: skip


def _mean_and_scale(
    n: int, shift: float | None, total: float, squares: float
) -> tuple[float, float]:
    mean = (shift or 0.0) + total / n
    var = max(squares / n - (total / n) ** 2, 0.0)
    scale = math.sqrt(var)
    return mean, (scale if scale > 1e-12 * max(1.0, abs(mean)) else 1.0)


class DateSummary:
    """A date column's statistics, in days since 1970: first date, mean, spread, median."""

    def __init__(self, seed: int = 0) -> None:
        self.count, self.total, self.squares = 0, 0.0, 0.0
        self.shift: float | None = None
        self.first = math.inf
        self._keys = np.empty(0)
        self._sample = np.empty(0)
        self._rng = np.random.default_rng(seed + 1)

    def add(self, d: np.ndarray) -> None:
        self.first = min(self.first, float(d.min()))
        self.shift = float(d.mean()) if self.shift is None else self.shift
        self.total += float((d - self.shift).sum())
        self.squares += float(((d - self.shift) ** 2).sum())
        self.count += len(d)
        keys = self._rng.random(len(d))
        self._keys, self._sample = np.r_[self._keys, keys], np.r_[self._sample, d]
        if len(self._sample) > MEDIAN_SAMPLE:
            keep = np.argpartition(self._keys, MEDIAN_SAMPLE)[:MEDIAN_SAMPLE]
            self._keys, self._sample = self._keys[keep], self._sample[keep]

    def spec(self, name: str) -> dict[str, Any]:
        """A date column: days since its first date, standardised, and the year's cycle."""
        mean, scale = _mean_and_scale(self.count, self.shift, self.total, self.squares)
        return {"name": name, "kind": "date", "fill": float(np.median(self._sample)),
                "origin": self.first, "mean": mean - self.first, "scale": scale}  # fmt: skip


def date_inputs(spec: dict[str, Any], day: float) -> tuple[float, float, float]:
    """The three inputs of one date: standardised days since the first, sin and cos of
    the year."""
    sin, cos = year_cycle(day)
    return (day - spec["origin"] - spec["mean"]) / spec["scale"], sin, cos


class Decision:
    """What a column becomes: ``spec`` (None: left out) and ``note`` (what to say, or "")."""

    def __init__(self, spec: dict[str, Any] | None, note: str = "") -> None:
        self.spec, self.note = spec, note


def decide(s: ColumnSummary, path: Any, keep: bool = False) -> Decision:
    """The kind of the column ``s`` summarises (see the module docstring). ``keep``: the
    user asked to keep it as a feature (``--keep``)."""
    name = s.name
    if s.present == 0:
        return Decision(
            None, f"{path}: column {name!r} has no values (every cell is missing): left out"
        )
    if s.numbers and s.text_cells and s.text_cells <= min(STRAY_CELLS, STRAY_SHARE * s.present):
        shown = ", ".join(f"{cell[:30]!r} (line {line})" for cell, line in s.texts)
        more = f" and {s.text_cells - len(s.texts)} more" if s.text_cells > len(s.texts) else ""
        raise CSVError(
            f"{path}: column {name!r} holds numbers but {s.text_cells} cell(s) that are not: "
            f"{shown}{more}; make such cells empty or NA (missing), correct them, or "
            f"--drop {name}"
        )
    if s.numeric:
        index_like = s.unique_whole_numbers() and (
            (s.fills_its_range() and s.present >= KEY_ROWS)
            or (name.strip().lower() in ROW_INDEX_NAMES and s.present >= 5)
        )
        if index_like and not keep:
            flag = name if name.strip() else "''"
            return Decision(None, (
                f"{path}: column {name!r} looks like a row number (unique whole numbers "
                f"{s.low:g}..{s.high:g}): left out of the inputs; --keep {flag} uses it, "
                f"--id {flag} names it as the key"
            ))  # fmt: skip
        return Decision(s.spec())
    if s.all_dates:
        return Decision(s.dates.spec(name), (
            f"{path}: column {name!r} holds dates: read as days since its first date "
            f"and the place in the year (sin, cos)"
        ))  # fmt: skip
    unique = not s.repeats and s.present >= 5  # a different value on every row: a key
    free = unique or (s.present >= FREE_TEXT_ROWS and s.distinct > FREE_TEXT_SHARE * s.present)
    if free and not keep:
        kind = "a key" if not s.repeats else "free text"
        return Decision(None, (
            f"{path}: column {name!r} looks like {kind} ({s.distinct:,} different values in "
            f"{s.present:,} rows): left out of the inputs; --keep {name} one-hot encodes it, "
            f"--id {name} names it as the key"
        ))  # fmt: skip
    if s.too_many_values:
        raise CSVError(
            f"{path}: column {name!r} has over {MAX_CATEGORIES:,} distinct text values; "
            f"leave it out with --drop {name}"
        )
    return Decision(s.spec())
