"""What the commands share: one-line errors, the training options, notes on stderr,
files written whole or not at all."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, overload

import click

from .. import _files, activations
from ..io import LoadError
from ..tabular import CSVError, Table, read_csv

#: --sep's spellings and the separators they mean
SEPARATORS = {",": ",", ";": ";", "tab": "\t", "\\t": "\t"}


def clean_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn every error into one line and exit code 1: the errors a user can cause say
    what is wrong; anything else is named as a bug (``MLPKIT_TRACEBACK=1`` shows where)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except click.ClickException:
            raise
        except (CSVError, LoadError, ValueError, TypeError, FloatingPointError) as exc:
            raise click.ClickException(_one_line(exc)) from None
        except ImportError as exc:
            raise click.ClickException(f"{exc} (install the extra it names)") from None
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise click.ClickException(f"{where}{exc.strerror or exc}") from None
        except MemoryError:
            raise click.ClickException(
                "out of memory (try --chunksize, or a smaller model)"
            ) from None
        except Exception as exc:
            if os.environ.get("MLPKIT_TRACEBACK"):
                raise
            raise click.ClickException(
                f"unexpected {type(exc).__name__}: {_one_line(exc)} — a bug in mlpkit; rerun "
                "with MLPKIT_TRACEBACK=1 to see where, and report it"
            ) from None

    return wrapper


def _one_line(exc: BaseException) -> str:
    """An error's message on one line, at most 500 characters."""
    text = " ".join(str(exc).split())
    return text if len(text) <= 500 else text[:497] + "..."


CommandT = TypeVar("CommandT", bound=Callable[..., Any])


@overload
def training_options(command: CommandT) -> CommandT: ...
@overload
def training_options(
    command: None = None, *, epochs_help: str | None = None
) -> Callable[[CommandT], CommandT]: ...
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
    """ "a,b, c" -> ["a", "b", "c"]; "" (``--keep ''``) -> [""], the column under an
    empty header (R's row names)."""
    if text == "":
        return [""]
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
    """Write a file whole or not at all (``mlpkit._files``: an unpredictable temporary
    file beside it, renamed over it)."""
    _files.write_text(path, text)


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
