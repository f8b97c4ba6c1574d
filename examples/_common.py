"""Shared command line for the examples: --fast (used by the test suite) and --out."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any


def parse(
    description: str, add_arguments: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--fast", action="store_true", help="a quick run (the test suite uses this)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("reports/examples"), help="folder for figures"
    )
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def save(fig: Any, args: argparse.Namespace, name: str) -> Path:
    """Write a figure into the output folder and say where."""
    path = args.out / name
    fig.savefig(path, dpi=100)
    print(f"figure: {path}")
    return path
