"""A CSV file read in blocks of rows, so a file larger than memory is never held whole:
one pass finds the blocks and learns the same preprocessing a whole-file read would
(the median from a uniform sample of at most 100,000 values per column), then any block
is read again when training needs it."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .preprocessing import Note, Preprocessing, _quiet, learn
from .reading import CSVError, Table, read_csv_header

__all__ = ["CSVBlocks", "scan_csv"]


@dataclass
class CSVBlocks:
    """A CSV file cut into blocks of about ``chunksize`` records. ``block(i)`` reads
    block i; ``kept[i]`` is how many of its rows training uses.

    Parameters
    ----------
    path : Path
        The file.
    columns : list of str
        Its header.
    sep : str
        Its separator.
    offsets : list of int
        Each block's byte offset.
    first_lines : list of int
        Each block's first line number.
    counts : list of int
        Each block's records.
    kept : list of int
        How many of each block's rows training uses.

    Examples
    --------
    >>> open("pets.csv", "w").write("name,age,kind\\nRex,3,dog\\nTom,5,cat\\nFido,2,dog\\nKit,1,cat\\n")
    55
    >>> from mlpkit.tabular import scan_csv
    >>> blocks, _ = scan_csv("pets.csv", chunksize=3, target="kind")
    >>> [len(block.rows) for block in blocks.blocks()]
    [3, 1]
    """

    path: Path
    columns: list[str]
    sep: str
    offsets: list[int]  # byte offset where each block starts (and the file's end)
    first_lines: list[int]  # the line number of each block's first record
    counts: list[int]  # records per block
    kept: list[int]

    def block(self, i: int) -> Table:
        with self.path.open("rb") as f:
            f.seek(self.offsets[i])
            raw = f.read(self.offsets[i + 1] - self.offsets[i])
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CSVError(f"{self.path}: not a UTF-8 text file") from None
        rows, lines = [], []
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=self.sep, strict=True)
        try:
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
        except csv.Error as exc:
            line = self.first_lines[i] + reader.line_num - 1
            raise CSVError(f"{self.path}, line {line}: malformed CSV ({exc})") from None
        return Table(self.path, self.columns, rows, lines, self.sep)

    def blocks(self) -> Iterator[Table]:
        for i in range(len(self.counts)):
            yield self.block(i)


def _cut(p: Path, chunksize: int) -> tuple[list[int], list[int], list[int]]:
    """Byte offsets, first line numbers and record counts of blocks of ``chunksize``
    records (a quoted field may hold a newline: blocks never cut one)."""
    offsets, first_lines, counts = [], [], []
    with p.open("rb") as f:
        f.readline()  # the header (one physical line)
        line, start, inside, count = 2, f.tell(), False, 0
        block_start_line = 2
        while True:
            raw = f.readline()
            if not raw:
                break
            inside ^= raw.count(b'"') % 2 == 1
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
    return offsets, first_lines, counts


def scan_csv(
    path: str | os.PathLike[str],
    chunksize: int,
    target: str | None,
    task: str = "auto",
    *,
    sep: str | None = None,
    drop: Sequence[str] = (),
    id: str | None = None,
    missing: str = "impute",
    keep: Sequence[str] = (),
    note: Note = _quiet,
) -> tuple[CSVBlocks, Preprocessing]:
    """One streaming pass over a CSV: its blocks and the preprocessing for the whole file.

    Parameters
    ----------
    path : str or PathLike
        The file (read twice: a pipe is refused).
    chunksize : int
        Records per block.
    target : str or None
        The target column (None: no target).
    task : {"auto", "classification", "regression"}, default "auto"
        What the target is; auto decides and says why.
    sep : str, optional
        The separator (None: found from the header).
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

    Returns
    -------
    (CSVBlocks, Preprocessing)
        The blocks and the preprocessing.

    Examples
    --------
    >>> open("pets.csv", "w").write("name,age,kind\\nRex,3,dog\\nTom,5,cat\\nFido,2,dog\\nKit,1,cat\\n")
    55
    >>> from mlpkit.tabular import scan_csv
    >>> blocks, prep = scan_csv("pets.csv", chunksize=2, target="kind")
    >>> blocks.counts, prep.task
    ([2, 2], 'classification')
    """
    p = Path(path)
    if p.exists() and not p.is_file():
        raise CSVError(
            f"{p}: not a regular file (a pipe or a device); --chunksize reads the file more "
            "than once — save it to a file first, or leave --chunksize out to read it once"
        )
    columns, sep = read_csv_header(p, sep)
    offsets, first_lines, counts = _cut(p, chunksize)
    if not counts:
        raise CSVError(f"{p}: no data rows after the header (line 1)")
    blocks = CSVBlocks(p, columns, sep, offsets, first_lines, counts, [])
    prep, blocks.kept = learn(blocks.blocks(), p, columns, target, task, drop=drop, id=id,
                              missing=missing, keep=keep, note=note, decimal_comma=sep == ";")  # fmt: skip
    return blocks, prep
