"""``mlpkit train``, ``evaluate``, ``predict``, ``info`` and ``trace``: a network on the
columns of a CSV table, with the preprocessing learnt at training saved in the model."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import click
import numpy as np

from .. import optimizers
from .._files import check_target, write_atomic
from ..callbacks import EarlyStopping
from ..distributed import world_size
from ..io import load, save
from ..layers import dense_stack
from ..network import Sequential
from ..regularizers import L2
from ..tabular import MISSING_POLICIES, Preprocessing
from ..tabular.reading import is_missing
from ._common import (
    clean_errors,
    column_list,
    hidden_sizes,
    note,
    read_table,
    sep_option,
    separator,
    source_path,
    training_options,
    write_text,
)

#: rows per block when ``train`` decides by itself to stream a large file
STREAM_ROWS = 100_000

#: --patience's default: epochs without a better validation loss before stopping
PATIENCE = 10


def load_tabular(path: Path) -> tuple[Sequential, Preprocessing]:
    model = load(path)
    if not isinstance(model, Sequential) or "preprocessing" not in model.metadata:
        raise ValueError(
            f"{path}: not a model trained with `mlpkit train` (no saved preprocessing)"
        )
    return model, Preprocessing.from_dict(model.metadata["preprocessing"])


def available_memory() -> int | None:
    """MemAvailable from /proc/meminfo in bytes (None where there is no such file)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


@dataclass
class Streamed:
    """A CSV read in blocks and encoded into float32 files on disk (``np.memmap``): the
    training rows X (n, width) and their targets, and the validation rows likewise."""

    x: np.ndarray
    y: np.ndarray
    validation: tuple[np.ndarray, np.ndarray] | None
    prep: Preprocessing
    rows: int
    folder: Path

    def close(self) -> None:
        """Remove the encoded files (the arrays must not be used after)."""
        self.x = self.y = np.empty(0)  # drop the maps before their files go
        self.validation = None
        shutil.rmtree(self.folder, ignore_errors=True)


def _streamed(data: Path, blocks: Any, prep: Preprocessing, target: str, validation_split: float,
              say: Any, rng: np.random.Generator, out: Path) -> Streamed:  # fmt: skip
    """The file's blocks (``tabular.scan_csv``: the preprocessing already learnt in one
    pass) encoded, in a second pass, into float32 files beside ``out``: the training rows,
    and the validation rows drawn as ``fit``'s ``validation_split`` draws them from the
    model's generator ``rng`` — so the training is the in-memory one's to the bit. Memory
    holds a block (and the targets: a number a row); training reads X batch by batch from
    the file. The notes are the in-memory read's, said once."""
    from ..tabular.preprocessing import Tally

    n = sum(blocks.kept)
    n_val = int(n * validation_split) if validation_split else 0
    order = rng.permutation(n) if 1 <= n_val < n else None  # (as fit would draw it)
    if validation_split and order is None:
        say(f"{data}: {n} rows leave no validation rows at --validation-split {validation_split}: "
            "early stopping watches the training loss")  # fmt: skip
    is_val = np.zeros(n, dtype=bool)
    if order is not None:
        is_val[order[:n_val]] = True
    folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.encoded-", dir=out.parent.resolve()))
    try:

        def memmap(name: str, rows: int, shape: tuple[int, ...], dtype: Any) -> np.memmap[Any, Any]:
            return np.lib.format.open_memmap(folder / name, "w+", dtype, (rows, *shape))

        y_shape, y_dtype = ((), np.int64) if prep.task == "classification" else ((1,), np.float32)
        rows = {False: n - n_val, True: n_val}
        parts = {
            held: (memmap(f"x{'_val' * held}.npy", k, (prep.width,), np.float32),
                   np.empty((k, *y_shape), y_dtype))
            for held, k in rows.items()
        }  # fmt: skip
        filled = {False: 0, True: 0}
        tally, done = Tally(), 0
        for table in blocks.blocks():
            xb, yb, _ = prep.encode(table, tally=tally)
            assert yb is not None  # (encoded with the target)
            for held in (False, True):
                pick = is_val[done : done + len(xb)] == held
                k = int(pick.sum())
                if k:
                    xs, ys = parts[held]
                    xs[filled[held] : filled[held] + k] = xb[pick]
                    ys[filled[held] : filled[held] + k] = yb[pick]
                    filled[held] += k
            done += len(xb)
        tally.say(data, say, target)
        (x, y), (xv, yv) = parts[False], parts[True]
        x.flush()
        return Streamed(x, y, (xv, yv) if n_val and order is not None else None, prep, n, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def _loss_figure(history: Any, out: Path, regression: bool) -> Path | None:
    from ..plots import available, loss_curves

    if not available():
        return None  # (the core install: no figure, and train says so)
    path = out.with_name(out.stem + "_loss.png")
    fig = loss_curves(
        history,
        keys=[k for k in ("loss", "val_loss") if k in history.history],
        title="training" + (" (loss on the standardised target)" if regression else ""),
    )
    return write_atomic(path, lambda f: fig.savefig(f, format="png", dpi=100), "loss figure")


def _in_target_units(history: Any, prep: Preprocessing) -> None:
    """Regression metrics in the history into the target's own units (the network
    learns a standardised target): MAE × scale, MSE × scale², and RMSE beside them."""
    if prep.task != "regression":
        return
    converted: dict[str, list[float]] = {}
    for key, values in history.history.items():
        metric = key.removeprefix("val_")
        if metric == "mae":
            converted[key] = [v * prep.target_scale for v in values]
        elif metric == "mse":
            converted[key] = [v * prep.target_scale**2 for v in values]
            converted[key.replace("mse", "rmse")] = [float(np.sqrt(v)) for v in converted[key]]
        else:
            converted[key] = values
    history.history.clear()
    history.history.update(converted)


def _why_it_stopped(stopper: EarlyStopping | None, ran: int, epochs: int) -> str:
    if stopper is not None and stopper.stopped_epoch is not None:
        return (
            f"ran {ran} of {epochs} epochs: stopped early, {stopper.monitor} had not improved "
            f"for {stopper.patience} epochs; kept the weights of epoch {(stopper.best_epoch or 0) + 1}"
        )
    kept = ""
    if stopper is not None and stopper.best_epoch is not None:
        kept = f"; kept the weights of epoch {stopper.best_epoch + 1} (best {stopper.monitor})"
    return f"ran all {epochs} epochs (--epochs){kept}"


@click.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--target", required=True, help="the column to predict")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None,
              help="where to save the model (default: the data file's name with .mlpk, here)")  # fmt: skip
@click.option("--hidden", default="64,32", show_default=True, help="hidden layer widths")
@training_options
@click.option("--optimizer", type=click.Choice(["sgd", "momentum", "rmsprop", "adam", "adamw", "adagrad"]),
              default="adam", show_default=True)  # fmt: skip
@click.option(
    "--l2", type=click.FloatRange(min=0), default=0.0, show_default=True, help="L2 strength α"
)
@click.option(
    "--dropout",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.0,
    show_default=True,
    help="share of each hidden layer's units dropped in training",
)
@click.option("--validation-split", type=click.FloatRange(0, 1, max_open=True), default=0.2, show_default=True,
              help="share of the rows held out to watch the validation loss")  # fmt: skip
@click.option("--patience", type=click.IntRange(0), default=PATIENCE, show_default=True,
              help="stop after this many epochs without a better validation loss and keep the best "
              "epoch's weights; 0 trains all --epochs")  # fmt: skip
@click.option("--task", type=click.Choice(["auto", "classification", "regression"]), default="auto",
              show_default=True)  # fmt: skip
@click.option("--drop", help="columns to leave out, comma-separated")
@click.option("--keep", help="columns to use as features though they look like row numbers or free "
              "text, comma-separated")  # fmt: skip
@click.option(
    "--id", "id_column", help="a key column: left out of the inputs, copied into `predict`'s output"
)
@click.option("--missing", type=click.Choice(MISSING_POLICIES), default="impute", show_default=True,
              help="missing cells (empty, NA, N/A, NaN, null, ?): fill with the column's median or most "
              "frequent value, leave the row out, or stop with an error")  # fmt: skip
@sep_option
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--quiet", is_flag=True, help="no progress bar")
@click.option("--chunksize", type=click.IntRange(min=1), default=None,
              help="read the file in blocks of this many rows, encoded into a float32 file beside "
              "--out (never whole in memory; the same model as without); by default chosen by "
              "itself when the file is over a quarter of the available memory")  # fmt: skip
@clean_errors
def train(data: Path, target: str, out: Path | None, hidden: str, activation: str, epochs: int,
          batch_size: int, optimizer: str, lr: float, l2: float, dropout: float,
          validation_split: float, patience: int, task: str, drop: str | None, keep: str | None,
          id_column: str | None, missing: str, sep: str | None, seed: int, quiet: bool,
          chunksize: int | None) -> None:  # fmt: skip
    """Train an MLP on DATA.csv to predict --target; save it and a loss-curve figure.

    \b
    How each column is read (every choice is said in a note):
      numbers          standardised; missing cells get the median
      dates            ISO 8601 (2024-03-01, 2024-03-01 12:30): days since the first
                       date, and the place in the year as sin and cos
      text             one-hot encoded; missing cells get the most frequent value
      row numbers      unique whole numbers filling half their range or more (20 rows
                       at least), or under a header such as "", Unnamed: 0, rownames:
                       left out (--keep to use them)
      keys, free text  text different on every row, or on over half of 20+ rows:
                       left out (--keep to one-hot encode them)
      stray text       a few non-numbers in a column of numbers: an error naming them
    --task auto: text labels, or whole numbers with at most 10 values, are classes;
    other numbers are regressed (answered in their own units).

    Under `mpiexec -n P` it trains data-parallel by itself (every process reads the
    file; rank 0 alone prints and writes); needs the mpi extra."""
    strategy = None
    if world_size() > 1:
        from ..distributed import DataParallel

        strategy = DataParallel()
    chief = strategy is None or strategy.is_chief
    say = note if chief else (lambda message: None)
    hidden_widths = hidden_sizes(hidden)

    if out is None:
        out = Path(Path(data).name).with_suffix(".mlpk")
        say(f"saving the model to {out} (--out to choose)")

    def prepare() -> tuple[Any, ...]:
        """Everything before fit: under MPI every rank runs it in agreement, so a bad
        shard on one rank is the same one-line error on all of them."""
        check_target(out, "--out model file")
        size = chunksize
        if size is None and strategy is None and Path(data).is_file():
            length, available = Path(data).stat().st_size, available_memory()
            if available is not None and length > available / 4:
                size = STREAM_ROWS
                say(f"{data} is {length / 2**30:.1f} GiB, over a quarter of the {available / 2**30:.1f} "
                    f"GiB available: streaming it in blocks of {size:,} rows (--chunksize)")  # fmt: skip
        dropped, kept = column_list(drop), column_list(keep)
        validation, streamed, blocks = None, None, None
        if size is not None:  # the file in blocks: learnt now, encoded once the net is made
            from ..tabular import scan_csv

            blocks, prep = scan_csv(data, size, target, task, note=say, drop=dropped, id=id_column,
                                    missing=missing, sep=separator(sep), keep=kept)  # fmt: skip
            rows = sum(blocks.kept)
        else:
            table = read_table(data, sep)
            prep, x, y = Preprocessing.fit(table, target, task, drop=dropped, id=id_column,
                                           missing=missing, keep=kept, note=say)  # fmt: skip
            rows = len(x)
        classify = prep.task == "classification"
        layers = dense_stack(
            [prep.width, *hidden_widths, len(prep.classes) if classify else 1],
            activation,
            "softmax" if classify else "identity",
            dropout=dropout,
            layer_kwargs={"regularizer": L2(l2) if l2 else None},
        )
        net = Sequential(layers, seed=seed)
        if blocks is not None:  # (its validation rows drawn from the net's generator, as fit does)
            streamed = _streamed(data, blocks, prep, target, validation_split, say, net.rng, out)
            x, y, validation = streamed.x, streamed.y, streamed.validation
        return x, y, validation, prep, rows, classify, size, net, streamed

    prepared = strategy.agree(prepare) if strategy is not None else prepare()
    x, y, validation, prep, rows, classify, chunksize, net, streamed = prepared
    if strategy is not None:  # every rank must have learnt the same thing from its file
        summary = f"task {prep.task}, {len(prep.classes)} classes, {prep.width} inputs"
        fingerprint = hashlib.sha256(
            json.dumps(prep.to_dict(), sort_keys=True).encode()
        ).hexdigest()
        strategy.check_same((fingerprint, rows), "the preprocessing learnt from its file", summary)
    split = validation_split if chunksize is None and rows * validation_split >= 1 else 0.0
    if chunksize is None and validation_split and not split:
        say(f"{data}: {rows} rows leave no validation rows at --validation-split {validation_split}: "
            "early stopping watches the training loss")  # fmt: skip
    watched = "val_loss" if (split or validation is not None) else "loss"
    stopper = (
        EarlyStopping(watched, patience=patience, restore_best_weights=True, verbose=0)
        if patience
        else None
    )
    say(
        f"{data}: {rows} rows, {prep.width} inputs from {len(prep.features)} columns, task {prep.task}"
        + (f" ({len(prep.classes)} classes)" if classify else "")
        + (f"; data-parallel over {strategy.size} processes" if strategy else "")
    )
    try:
        history = net.fit(
            x,
            y,
            loss="cross_entropy" if classify else "mse",
            optimizer=optimizers.get(optimizer, lr=lr),
            epochs=epochs,
            batch_size=batch_size,
            validation_split=split,
            validation_data=validation,
            metrics=["accuracy"] if classify else ["mse", "mae", "r2"],
            callbacks=[stopper] if stopper else None,
            verbose=0 if quiet else "auto",
            strategy=strategy,
        )
    finally:
        if streamed is not None:
            del x, y, validation
            net.train_state.pack = None  # (nothing of the run may keep a map of the files)
            streamed.close()
    _in_target_units(history, prep)
    net.metadata = {"preprocessing": prep.to_dict(), "source": str(Path(data).resolve()),
                    "world_size": 1 if strategy is None else strategy.size}  # fmt: skip
    figure = _loss_figure(history, out, not classify) if chief else None
    save(net, out)  # rank 0 only, when data-parallel
    ran = len(history.history["loss"])
    best = stopper.best_epoch if stopper is not None and stopper.best_epoch is not None else ran - 1
    shown = {
        k: v[best]
        for k, v in history.history.items()
        if not k.startswith("grad_norm") and k not in ("time", "lr")
    }
    units = " (mse, mae, rmse in the target's units)" if not classify else ""
    if chief:
        click.echo(
            f"epoch {best + 1}{units}: " + ", ".join(f"{k} {v:.4g}" for k, v in shown.items())
        )
        drawn = f" and {figure}" if figure else " (a loss figure needs pip install 'mlpkit[plots]')"
        click.echo(f"saved {out}{drawn}")
        click.echo(_why_it_stopped(stopper, ran, epochs))


def _metrics_report(
    net: Sequential, prep: Preprocessing, x: np.ndarray, y: np.ndarray
) -> dict[str, float]:
    """Classification: loss, accuracy and F1 (macro-averaged); regression: everything
    in the target's own units (MSE, RMSE, MAE) and R². A label the model was not trained
    on (index len(classes)) counts as a wrong answer; the loss is over the others."""
    from .. import metrics

    if prep.task == "classification":
        known = y < len(prep.classes)
        guess = net.predict_classes(x)
        loss = net.evaluate(x[known], y[known])["loss"] if known.any() else float("nan")
        return {"loss": loss, "accuracy": float(np.mean(guess == y)),
                "f1 (macro)": metrics.f1_score(y, guess)}  # fmt: skip
    truth, guess = prep.unscale(y), prep.unscale(net.predict(x))
    mse = metrics.mean_squared_error(truth, guess)
    return {"mse": mse, "rmse": float(np.sqrt(mse)), "mae": metrics.mean_absolute_error(truth, guess),
            "r2": metrics.r2_score(truth, guess)}  # fmt: skip


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path))
@sep_option
@clean_errors
def evaluate(model: Path, data: Path, sep: str | None) -> None:
    """Loss and metrics of MODEL on DATA.csv (which must hold the target column), with
    the preprocessing saved at training; regression metrics in the target's own units.
    F1 is macro-averaged over the classes (each class's F1, then their mean). A label
    the model never saw in training counts as a wrong answer (and is said)."""
    net, prep = load_tabular(model)
    x, encoded, _ = prep.encode(read_table(data, sep), note=note, unknown_labels="count")
    y = cast(np.ndarray, encoded)  # (with the target: evaluate needs it)
    if prep.task == "classification":
        unseen = int(np.sum(y == len(prep.classes)))
        if unseen:
            note(f"{data}: {unseen} row(s) with a label not seen in training: counted as wrong "
                 "answers (the loss is over the other rows)")  # fmt: skip
    result = _metrics_report(net, prep, x, y)
    click.echo(f"{data}: {len(x)} rows")
    for key, value in result.items():
        click.echo(f"{key:>10s}  {value:.4f}")


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    help="write a CSV here instead of standard output",
)
@sep_option
@clean_errors
def predict(model: Path, data: Path, out: Path | None, sep: str | None) -> None:
    """Predictions of MODEL for every row of DATA.csv (the target column may be absent):
    the --id column if the model has one, the answer, and each class's probability."""
    net, prep = load_tabular(model)
    table = read_table(data, sep)
    outputs = net.predict(prep.transform(table, note=note))
    answers = prep.decode(outputs)
    ids = table.cells(prep.id) if prep.id is not None and prep.id in table.columns else None
    if prep.id is not None and ids is None:
        note(f"{data}: no id column {prep.id!r}; predictions are in row order")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ([prep.id] if ids is not None else []) + [f"predicted_{prep.target or 'value'}"]
    classify = prep.task == "classification"
    writer.writerow(header + ([f"p_{c}" for c in prep.classes] if classify else []))
    for i, answer in enumerate(answers):
        cells = [answer, *(f"{p:.6g}" for p in outputs[i])] if classify else [f"{answer:.6g}"]
        writer.writerow(([ids[i]] if ids is not None else []) + cells)
    if out is None:
        click.echo(buffer.getvalue(), nl=False)
    else:
        write_text(out, buffer.getvalue())
        note(f"wrote {len(answers)} predictions to {out}")


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@clean_errors
def info(model: Path) -> None:
    """Architecture, shapes, preprocessing and training record of MODEL."""
    from ..autoencoder import Autoencoder

    obj = load(model)
    net = obj.network if isinstance(obj, Autoencoder) else obj
    lines = [  # all of it made first, so that a malformed part prints nothing but its error
        f"{model}: "
        + (
            f"autoencoder, bottleneck {obj.latent_dim}"
            if isinstance(obj, Autoencoder)
            else "network"
        ),
        str(net),
        f"loss: {net.loss.name if net.loss else '-'}; optimizer: {net.optimizer!r}",
    ]
    processes = net.metadata.get("world_size", 1)
    lines.append(
        f"trained: {net.epochs_trained} epochs, {net.steps_trained} steps"
        + (
            f", data-parallel over {processes} processes"
            if isinstance(processes, int) and processes > 1
            else ""
        )
    )
    if net.history is not None:
        last = {
            k: v[-1] for k, v in net.history.history.items() if v and not k.startswith("grad_norm")
        }
        lines.append("last epoch: " + ", ".join(f"{k} {v:.4g}" for k, v in last.items()))
    if "preprocessing" in net.metadata:
        prep = Preprocessing.from_dict(net.metadata["preprocessing"])
        lines += prep.describe()
        if prep.classes:
            lines.append(f"classes: {', '.join(map(str, prep.classes))}")
    if "scaling" in net.metadata:
        from .autoencoding import Scaling

        lines.append(Scaling.from_dict(net.metadata["scaling"]).describe())
    if net.metadata.get("source"):
        lines.append(f"trained on: {net.metadata['source']}")
    click.echo("\n".join(lines))


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path), required=False)
@click.option(
    "--row", type=click.IntRange(0), default=0, show_default=True, help="data row (0 = first)"
)
@click.option("--features", "shown", default="8", show_default=True,
              help="how many inputs to show (a number, or 'all')")  # fmt: skip
@click.option("--markdown", is_flag=True, help="Markdown tables instead of plain text")
@sep_option
@clean_errors
def trace(
    model: Path, data: Path | None, row: int, shown: str, markdown: bool, sep: str | None
) -> None:
    """The forward/backward table of MODEL for one row of DATA.csv (default: the CSV the
    model was trained on): every layer's pre-activations, activations and δ, and ∂L/∂W."""
    from ..trace import trace as run_trace

    if shown != "all" and not (shown.isdigit() and int(shown) > 0):
        raise click.BadParameter(
            f"{shown!r}: give a positive number or 'all'", param_hint="--features"
        )
    net, prep = load_tabular(model)
    if data is None:
        data = source_path(model, net.metadata.get("source"))
    table = read_table(data, sep)
    if row >= len(table.rows):
        raise ValueError(f"{data}: --row {row} is past the last data row ({len(table.rows) - 1})")
    one = table.take([row])
    x, encoded, _ = prep.encode(one)
    y = cast(np.ndarray, encoded)
    k = prep.width if shown == "all" else min(int(shown), prep.width)
    label = None
    if prep.target is not None and prep.target in table.columns:
        label = one.cells(prep.target)[0]
        if is_missing(label):
            raise ValueError(f"{data}, line {one.lines[0]}: the target {prep.target!r} is missing; "
                             "trace another --row")  # fmt: skip
    click.echo(
        f"{data}, line {one.lines[0]} (row {row})" + (f": {prep.target} = {label}" if label else "")
    )
    cells = prep.cells_of_inputs(one)  # the file's own cells, not a round trip through floats
    names = prep.inputs
    width = max(len(n) for n in names[:k])
    shown_cells = [c if len(c) <= 24 else c[:23] + "…" for c in cells[:k]]
    cell_width = max(12, *(len(c) for c in shown_cells))
    click.echo(f"{'input':<{width}}  {'in the file':>{cell_width}}  {'network input':>13}")
    for name, a, b in zip(names[:k], shown_cells, x[0, :k], strict=True):
        click.echo(f"{name:<{width}}  {a:>{cell_width}}  {b:>13.4g}")
    if k < prep.width:
        click.echo(f"... and {prep.width - k} more inputs (--features all shows them)")
    click.echo("")
    result = run_trace(net, x, y)
    if label is not None:
        result.target_labels = [label]
    if markdown:
        click.echo(result.to_markdown(max_inputs=k))
        return
    table_text = result.to_text(max_inputs=k)  # the notes' layout: one column per unit
    fits = max(len(line) for line in table_text.splitlines()) <= shutil.get_terminal_size().columns
    click.echo(table_text if fits else result.to_lines(max_inputs=k))
