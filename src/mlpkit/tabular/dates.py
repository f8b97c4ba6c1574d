"""Dates and times in table cells: ISO 8601 as pandas and R write them — ``2024-03-01``,
``2024-03-01 12:30:00``, ``2024-03-01T12:30:00.250``, with ``Z`` or an offset such as
``+01:00`` — read as days since 1970-01-01 (UTC; a time without an offset is taken as
UTC), fractions of a day included.

A network gets a date column as three inputs: the days since the training data's first
date (standardised like any number), and the place in the year as a point on the unit
circle, sin and cos of 2π · (day of the year) / 365.2425 — so December and January are
neighbours, as they are in the seasons.
"""

from __future__ import annotations

import datetime as _dt
import math
import re

__all__ = ["YEAR_DAYS", "days", "format_days", "year_cycle"]

#: the mean length of a Gregorian year, in days
YEAR_DAYS = 365.2425
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
#: what a date cell must begin with before it is parsed at all (a cheap filter)
_SHAPE = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)


def days(cell: str) -> float | None:
    """Days since 1970-01-01 UTC for an ISO 8601 date or datetime cell, else None."""
    if len(cell) < 10 or len(cell) > 35 or not _SHAPE.fullmatch(cell):
        return None
    text = cell.replace("Z", "+00:00")
    if "." in text:  # Python reads at most 6 digits of a second's fraction
        head, _, rest = text.partition(".")
        digits = re.match(r"\d+", rest)
        fraction = digits.group(0) if digits else ""
        text = head + "." + (fraction[:6].ljust(6, "0")) + rest[len(fraction) :]
    try:
        moment = _dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.UTC)
    return (moment - _EPOCH).total_seconds() / 86400.0


def year_cycle(day: float) -> tuple[float, float]:
    """(sin, cos) of the place in the year of ``day`` (days since 1970-01-01)."""
    angle = 2.0 * math.pi * ((day % YEAR_DAYS) / YEAR_DAYS)
    return math.sin(angle), math.cos(angle)


def format_days(day: float) -> str:
    """An ISO date (and time, when not midnight) for days since 1970-01-01 UTC."""
    moment = _EPOCH + _dt.timedelta(days=day)
    if moment.hour == moment.minute == moment.second == 0:
        return moment.date().isoformat()
    return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
