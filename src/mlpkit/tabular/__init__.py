"""Tables from CSV files: reading (separator, BOM, quoted fields; one-line errors naming
file, line and column), the preprocessing the command line learns and saves with a model
(column kinds, missing cells, one-hot encoding, scaling), and streaming a file too
large for memory in blocks."""

from .columns import MAX_CATEGORIES, ColumnSummary
from .preprocessing import MISSING_POLICIES, Preprocessing, learn
from .reading import MISSING, CSVError, Table, detect_separator, read_csv, read_csv_header
from .streaming import CSVBlocks, scan_csv

__all__ = [
    "MAX_CATEGORIES",
    "MISSING",
    "MISSING_POLICIES",
    "CSVBlocks",
    "CSVError",
    "ColumnSummary",
    "Preprocessing",
    "Table",
    "detect_separator",
    "learn",
    "read_csv",
    "read_csv_header",
    "scan_csv",
]
