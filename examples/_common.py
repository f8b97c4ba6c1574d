"""Shared command line for the examples: --fast (used by the test suite) and --out."""

from __future__ import annotations

import argparse
from pathlib import Path


def parse(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--fast", action="store_true", help="a quick run (the test suite uses this)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("reports/examples"), help="folder for figures"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    return args
