"""What one pass over a column learns: how many cells are missing, whether every
present cell is a number, the numbers' mean, spread and median, the text values and
their counts. Summaries are added to block by block, so a file streamed in blocks and
a file read whole give the same column kinds and statistics."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .reading import is_missing, out_of_range, parse_number

__all__ = ["MAX_CATEGORIES", "ColumnSummary"]

#: the most distinct values a text column (or a class target) may have
MAX_CATEGORIES = 10_000

#: numbers kept per column for the median; beyond this a seeded uniform sample of them
MEDIAN_SAMPLE = 100_000


class ColumnSummary:
    """Statistics of one column, gathered by :meth:`add` over blocks of cells."""

    def __init__(self, name: str, seed: int = 0) -> None:
        self.name = name
        self.present = 0  # cells that are not missing
        self.missing = 0
        self.first_text: tuple[str, int] | None = None  # the first cell that is not a number
        self.counts: dict[str, int] = {}  # present cells by value (at most MAX_CATEGORIES + 1)
        self.repeats = False  # a present value seen twice
        # numbers: sums of (x - shift) for a stable mean and variance, a sample for the median
        self.numbers, self.shift, self.total, self.squares = 0, None, 0.0, 0.0
        self.integral, self.increasing, self.last = True, True, -math.inf
        self._keys = np.empty(0)
        self._sample = np.empty(0)
        self._rng = np.random.default_rng(seed)

    def add(
        self, cells: list[str], lines: list[int], where: str, decimal_comma: bool
    ) -> np.ndarray:
        """Count one block of stripped cells; returns the block's missing mask (n,)."""
        missing = np.zeros(len(cells), dtype=bool)
        values = []
        for i, (cell, line) in enumerate(zip(cells, lines, strict=True)):
            if is_missing(cell):
                missing[i] = True
                continue
            seen = self.counts.get(cell)
            if seen is not None:
                self.counts[cell] = seen + 1
                self.repeats = True
            elif len(self.counts) <= MAX_CATEGORIES:
                self.counts[cell] = 1
            value = parse_number(cell, decimal_comma)
            if value is None:
                if self.first_text is None:
                    self.first_text = (cell, line)
            elif (
                bad := out_of_range(value, cell, f"{where}, line {line}, column {self.name!r}")
            ) is not None:
                raise bad
            else:
                values.append(value)
                self.increasing = self.increasing and value > self.last
                self.last = value
        self.present += len(cells) - int(missing.sum())
        self.missing += int(missing.sum())
        if values:
            self._add_numbers(np.asarray(values, dtype=np.float64))
        return missing

    def _add_numbers(self, x: np.ndarray) -> None:
        self.shift = float(x.mean()) if self.shift is None else self.shift
        self.total += float((x - self.shift).sum())
        self.squares += float(((x - self.shift) ** 2).sum())
        self.numbers += len(x)
        self.integral = self.integral and bool(np.all(x == np.round(x)))
        keys = self._rng.random(len(x))  # keep the smallest keys: a uniform sample
        self._keys, self._sample = np.r_[self._keys, keys], np.r_[self._sample, x]
        if len(self._sample) > MEDIAN_SAMPLE:
            keep = np.argpartition(self._keys, MEDIAN_SAMPLE)[:MEDIAN_SAMPLE]
            self._keys, self._sample = self._keys[keep], self._sample[keep]

    # -- what the pass learnt ------------------------------------------------------------
    @property
    def numeric(self) -> bool:
        """Every present cell is a number (and there is at least one)."""
        return self.present > 0 and self.first_text is None

    @property
    def too_many_values(self) -> bool:
        return len(self.counts) > MAX_CATEGORIES

    def mean_and_scale(self) -> tuple[float, float]:
        """Mean and (population) standard deviation of the numbers; a constant column
        gets scale 1 so it stays centred at 0."""
        n = self.numbers
        mean = self.shift + self.total / n
        var = max(self.squares / n - (self.total / n) ** 2, 0.0)
        scale = math.sqrt(var)
        return mean, (scale if scale > 1e-12 * max(1.0, abs(mean)) else 1.0)

    def median(self) -> float:
        return float(np.median(self._sample))

    def categories(self) -> list[str]:
        """The text values, sorted."""
        return sorted(self.counts)

    def most_frequent(self) -> str:
        """The most frequent value (ties to the first in sorted order)."""
        return min(self.counts, key=lambda v: (-self.counts[v], v))

    def looks_like_key(self) -> bool:
        """Every value distinct and the column looks like a row number (whole numbers
        rising through the file) or a text key (distinct text on every row)."""
        if self.missing or self.present < 5 or self.repeats:
            return False
        if self.numeric:
            return self.integral and self.increasing
        return True

    def spec(self) -> dict[str, Any]:
        """The column's preprocessing: numeric (median to fill, mean and scale) or
        categorical (its categories, the most frequent to fill)."""
        if self.numeric:
            mean, scale = self.mean_and_scale()
            return {"name": self.name, "kind": "numeric", "fill": self.median(),
                    "mean": mean, "scale": scale}  # fmt: skip
        return {"name": self.name, "kind": "categorical", "fill": self.most_frequent(),
                "categories": self.categories()}  # fmt: skip
