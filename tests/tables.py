"""Tables that look like real ones, written by the tests: numeric and text columns,
missing cells in both and in the target, a key column, semicolons, a target in the
thousands, a text label. Each writer returns the rows it wrote (as strings)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

SPECIES = ["Adelie", "Chinstrap", "Gentoo"]
ISLANDS = ["Biscoe", "Dream", "Torgersen"]


def write(path: Path, header: list[str], rows: list[list[str]], sep: str = ",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, delimiter=sep)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def penguins(
    n: int, seed: int, start_id: int = 1, missing: float = 0.06
) -> tuple[list[str], list[list[str]]]:
    """A penguin-like table: a row id, species (text label), island (text, related to
    species), two measurements, a mass in grams (in the thousands), sex (text); NA and
    empty cells in every kind of column, the species among them."""
    rng = np.random.default_rng(seed)
    header = [
        "id",
        "species",
        "island",
        "bill_length_mm",
        "flipper_length_mm",
        "body_mass_g",
        "sex",
    ]
    rows = []
    for i in range(n):
        k = int(rng.integers(3))
        island = ISLANDS[k] if rng.random() < 0.7 else ISLANDS[int(rng.integers(3))]
        sex = ["female", "male"][int(rng.integers(2))]
        bill = 38.5 + 7.0 * (k == 1) + 9.0 * (k == 2) + rng.normal(0, 2.2) + 1.5 * (sex == "male")
        flipper = 190 + 6 * (k == 1) + 27 * (k == 2) + rng.normal(0, 5.5)
        mass = (
            2000
            + 30 * (flipper - 190)
            + 500 * (k == 2)
            + 350 * (sex == "male")
            + rng.normal(0, 220)
        )
        cells = [
            str(start_id + i),
            SPECIES[k],
            island,
            f"{bill:.1f}",
            f"{flipper:.0f}",
            f"{mass:.0f}",
            sex,
        ]
        for j in range(2, 7):  # measurements, island and sex go missing now and then
            if rng.random() < missing:
                cells[j] = ["NA", "", "?", "n/a"][int(rng.integers(4))]
        if rng.random() < 0.02:
            cells[1] = "NA"  # a few rows have no label
        rows.append(cells)
    return header, rows


def houses(n: int, seed: int) -> tuple[list[str], list[list[str]]]:
    """A regression table: the price (in the thousands) from a size, rooms, a text
    district and an age with missing cells."""
    rng = np.random.default_rng(seed)
    header = ["size_m2", "rooms", "district", "age", "price"]
    rows = []
    bonus = {"north": 40_000.0, "centre": 120_000.0, "south": 0.0, "harbour": 80_000.0}
    for _ in range(n):
        size = rng.uniform(30, 200)
        rooms = max(1, int(size // 30 + rng.integers(-1, 2)))
        district = list(bonus)[int(rng.integers(4))]
        age = rng.uniform(0, 80)
        price = (
            50_000
            + 2_500 * size
            + bonus[district]
            - 900 * age
            + 4e-3 * (size - 100) ** 3
            + rng.normal(0, 15_000)
        )
        cells = [f"{size:.1f}", str(rooms), district, f"{age:.0f}", f"{price:.0f}"]
        if rng.random() < 0.05:
            cells[3] = "NaN"
        if rng.random() < 0.03:
            cells[2] = ""
        rows.append(cells)
    return header, rows


FIRST = ["Ann", "Bob", "Cyd", "Dee", "Eve", "Fay", "Gus", "Hal", "Ivy", "Jon", "Kim", "Lou"]
LAST = ["Smith", "Jones", "Brown", "Moore", "Clark", "Young", "Adams", "Baker", "Evans", "Green"]


def exported(n: int, seed: int) -> tuple[list[str], list[list[str]]]:
    """A table as R's write.csv and pandas' to_csv leave it: a row-name column under an
    empty header (1..n in the file's order, which is sorted by the target, as a table
    exported after `order(price)` is), a free-text name different on almost every row,
    an ISO date (the price rises with it and follows the seasons), a number in the
    millions, a text category, NA cells. ``price`` is the target."""
    rng = np.random.default_rng(seed)
    header = ["", "name", "sold", "area", "population", "district", "price"]
    start = np.datetime64("2015-01-01")
    records = []
    for i in range(n):
        day = int(rng.integers(0, 8 * 365))
        date = start + np.timedelta64(day, "D")
        season = np.cos(2 * np.pi * (day % 365.2425) / 365.2425)
        area = rng.uniform(30, 200)
        district = ISLANDS[int(rng.integers(3))]
        population = rng.uniform(1e5, 9e6)
        price = (1_000 * area + 60 * day + 25_000 * season + 30_000 * (district == "Dream")
                 + rng.normal(0, 8_000))  # fmt: skip
        name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]} {i}"
        cells = [name, str(date), f"{area:.1f}", f"{population:.0f}", district, f"{price:.0f}"]
        if rng.random() < 0.04:
            cells[2] = "NA"
        if rng.random() < 0.04:
            cells[4] = "NA"
        records.append((price, cells))
    records.sort(key=lambda r: r[0])
    return header, [[str(i + 1), *cells] for i, (_, cells) in enumerate(records)]


def split(
    rows: list[list[str]], share: float, seed: int
) -> tuple[list[list[str]], list[list[str]]]:
    """A shuffled train/test split of ``rows`` (as a user's train_test_split leaves it)."""
    order = np.random.default_rng(seed).permutation(len(rows))
    cut = int(len(rows) * share)
    return [rows[i] for i in order[:cut]], [rows[i] for i in order[cut:]]
