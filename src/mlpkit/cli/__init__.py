"""The ``mlpkit`` command.

    mlpkit demo                          the main job: classifier + autoencoder report
    mlpkit train DATA.csv --target COL --out MODEL [--drop COLS] [--id COL] [--missing ...]
    mlpkit evaluate MODEL DATA.csv
    mlpkit predict MODEL DATA.csv [--out preds.csv]
    mlpkit info MODEL
    mlpkit trace MODEL [DATA.csv] --row N
    mlpkit autoencode DATA.csv --bottleneck 2 --out MODEL [--explorer page.html]
    mlpkit explore MODEL --out page.html [--data DATA.csv]
    mlpkit playground [--port N] [--no-browser]   the live training page

Every error is one line naming what is wrong (file, line and column for bad CSV
data) and a non-zero exit; nothing is written when a command fails.
"""

from __future__ import annotations

from pathlib import Path

import click

from ._common import clean_errors
from .autoencoding import autoencode, explore
from .playground import playground
from .tables import STREAM_ROWS, available_memory, evaluate, info, predict, trace, train

__all__ = ["STREAM_ROWS", "available_memory", "main"]


@click.group()
@click.version_option(package_name="mlpkit")
def main() -> None:
    """mlpkit: multilayer perceptrons and autoencoders from the command line."""


@main.command()
@click.option("--out", "-o", type=click.Path(path_type=Path), default=Path("reports/demo"),
              show_default=True, help="report folder")  # fmt: skip
@click.option("--fast", is_flag=True, help="a quick run with few epochs")
@click.option("--seed", type=int, default=0, show_default=True)
@clean_errors
def demo(out: Path, fast: bool, seed: int) -> None:
    """Digits: a classifier and a 2-D autoencoder, a results table and a report folder."""
    from ..demo import main as run_demo

    run_demo(["--out", str(out), "--seed", str(seed), *(["--fast"] if fast else [])])


for _command in (train, evaluate, predict, info, trace, autoencode, explore, playground):
    main.add_command(_command)
