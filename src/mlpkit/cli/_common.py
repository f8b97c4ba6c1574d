"""What the commands share: one-line errors, the training options, notes on stderr,
files written whole or not at all."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .. import activations
from ..io import LoadError
from ..tabular import CSVError, Table, read_csv

#: --sep's spellings and the separators they mean
SEPARATORS = {",": ",", ";": ";", "tab": "\t", "\\t": "\t"}


def clean_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the errors a user can cause into one-line messages and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (CSVError, LoadError, ValueError, FileNotFoundError, FloatingPointError) as exc:
            raise click.ClickException(str(exc)) from None
        except ImportError as exc:
            raise click.ClickException(f"{exc} (install the extra it names)") from None

    return wrapper


def training_options(
    command: Callable[..., Any] | None = None, *, epochs_help: str | None = None
) -> Any:
    """The options ``train`` and ``autoencode`` share: --activation, --epochs,
    --batch-size and --lr. ``epochs_help`` given: --epochs defaults to None (the command
    chooses) and this says how."""
    if command is None:
        return functools.partial(training_options, epochs_help=epochs_help)
    epochs = (
        click.option("--epochs", type=click.IntRange(1), default=100, show_default=True)
        if epochs_help is None
        else click.option("--epochs", type=click.IntRange(1), default=None, help=epochs_help)
    )
    options = [
        click.option(
            "--activation",
            type=click.Choice(activations.names(), case_sensitive=False),
            default="relu",
            show_default=True,
            help="hidden layers' activation",
        ),
        epochs,
        click.option("--batch-size", type=click.IntRange(1), default=32, show_default=True),
        click.option(
            "--lr", type=click.FloatRange(min=0, min_open=True), default=1e-3, show_default=True
        ),
    ]
    for option in reversed(options):  # listed in --help in this order
        command = option(command)
    return command


sep_option = click.option(
    "--sep",
    type=click.Choice(list(SEPARATORS)),
    default=None,
    help="the CSV separator (default: comma, semicolon or tab, found from the header)",
)


def separator(sep: str | None) -> str | None:
    return None if sep is None else SEPARATORS[sep]


def read_table(path: Path, sep: str | None) -> Table:
    return read_csv(path, separator(sep))


def note(message: str) -> None:
    """A one-line note on standard error."""
    click.echo(message, err=True)


def column_list(text: str | None) -> list[str]:
    """ "a,b, c" -> ["a", "b", "c"]."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def hidden_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"{text!r}: give layer widths like 64,32") from None
    if any(s < 1 for s in sizes):
        raise click.BadParameter(f"{text!r}: layer widths must be positive")
    return sizes


def image_shape(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise click.BadParameter(f"{text!r}: give the image shape as HxW, e.g. 28x28") from None
    return h, w


def write_text(path: Path, text: str) -> None:
    """Write a file whole or not at all (a temporary file renamed over it)."""
    tmp = path.with_name(f".{path.name}.tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def source_path(model_path: Path, saved: str | None) -> Path:
    """The training file a model remembers, as an absolute path; a relative one (models
    saved before paths were made absolute) is tried beside the model too."""
    if not saved:
        raise ValueError(
            f"{model_path}: the model does not say which file it was trained on; pass the CSV"
        )
    p = Path(saved)
    candidates = [p] if p.is_absolute() else [p, model_path.parent / p]
    for c in candidates:
        if c.is_file():
            return c
    tried = " or ".join(repr(str(c)) for c in candidates)
    raise ValueError(f"{model_path}: its training data is not at {tried}; pass the CSV to use")
