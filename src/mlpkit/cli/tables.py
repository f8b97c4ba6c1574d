"""``mlpkit train``, ``evaluate``, ``predict``, ``info`` and ``trace``: a network on the
columns of a CSV table, with the preprocessing learnt at training saved in the model."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

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


def _streamed(data: Path, target: str, task: str, chunksize: int, validation_split: float,
              seed: int, options: dict[str, Any], say: Any) -> tuple[Any, ...]:  # fmt: skip
    """X and y as Dask arrays over the CSV's blocks (each read and preprocessed when the
    training loop needs it); a seeded share of the blocks held out for validation."""
    from .._validation import optional
    from ..tabular import scan_csv

    da = optional("dask.array", "mlpkit train --chunksize", "dask")
    dask = optional("dask", "mlpkit train --chunksize", "dask")
    blocks, prep = scan_csv(data, chunksize, target, task, note=say, **options)
    y_dtype, y_shape = (np.int64, ()) if prep.task == "classification" else (np.float32, (1,))

    def load_block(i: int) -> tuple[np.ndarray, np.ndarray]:
        x, y, _ = prep.encode(blocks.block(i))
        return x, y

    parts = [dask.delayed(load_block, nout=2)(i) for i in range(len(blocks.counts))]
    xs = [
        da.from_delayed(p[0], (n, prep.width), np.float32)
        for p, n in zip(parts, blocks.kept, strict=True)
    ]
    ys = [
        da.from_delayed(p[1], (n, *y_shape), y_dtype)
        for p, n in zip(parts, blocks.kept, strict=True)
    ]
    used = [i for i, n in enumerate(blocks.kept) if n]
    held: list[int] = []
    if validation_split > 0 and len(used) > 1:
        k = max(1, round(validation_split * len(used)))
        held = sorted(np.random.default_rng(seed).permutation(used)[:k].tolist())
    kept = [i for i in used if i not in held]
    x, y = da.concatenate([xs[i] for i in kept]), da.concatenate([ys[i] for i in kept])
    validation = None
    if held:
        validation = (da.concatenate([xs[i] for i in held]), da.concatenate([ys[i] for i in held]))
    return x, y, validation, prep, sum(blocks.kept)


def _loss_figure(history: Any, out: Path, regression: bool) -> Path | None:
    try:
        from ..plots import loss_curves
    except ImportError:
        return None
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
            f"for {stopper.patience} epochs; kept the weights of epoch {stopper.best_epoch + 1}"
        )
    kept = ""
    if stopper is not None and stopper.best_epoch is not None:
        kept = f"; kept the weights of epoch {stopper.best_epoch + 1} (best {stopper.monitor})"
    return f"ran all {epochs} epochs (--epochs){kept}"


@click.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--target", required=True, help="the column to predict")
@click.option(
    "--out", "-o", type=click.Path(path_type=Path), required=True, help="where to save the model"
)
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
              help="stream the file in blocks of this many rows (never whole in memory; needs the "
              "dask extra); by default chosen by itself when the file is over a quarter of the "
              "available memory")  # fmt: skip
@clean_errors
def train(data: Path, target: str, out: Path, hidden: str, activation: str, epochs: int,
          batch_size: int, optimizer: str, lr: float, l2: float, dropout: float,
          validation_split: float, patience: int, task: str, drop: str | None,
          id_column: str | None, missing: str, sep: str | None, seed: int, quiet: bool,
          chunksize: int | None) -> None:  # fmt: skip
    """Train an MLP on DATA.csv to predict --target; save it and a loss-curve figure.

    Numeric columns are standardised, text columns one-hot encoded, missing cells filled
    (--missing); a regression target is standardised for training and answered in its
    own units. Under `mpiexec -n P` it trains data-parallel by itself (every process
    reads the file; rank 0 alone prints and writes); needs the mpi extra."""
    strategy = None
    if world_size() > 1:
        from ..distributed import DataParallel

        strategy = DataParallel()
    chief = strategy is None or strategy.is_chief
    say = note if chief else (lambda message: None)
    hidden_widths = hidden_sizes(hidden)

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
        options = {
            "drop": column_list(drop),
            "id": id_column,
            "missing": missing,
            "sep": separator(sep),
        }
        validation = None
        if size is not None:  # one pass for the statistics, then blocks read as needed
            x, y, validation, prep, rows = _streamed(data, target, task, size, validation_split,
                                                     seed, options, say)  # fmt: skip
        else:
            table = read_table(data, sep)
            prep, x, y = Preprocessing.fit(table, target, task, drop=options["drop"], id=id_column,
                                           missing=missing, note=say)  # fmt: skip
            rows = len(x)
        classify = prep.task == "classification"
        layers = dense_stack(
            [prep.width, *hidden_widths, len(prep.classes) if classify else 1],
            activation,
            "softmax" if classify else "identity",
            dropout=dropout,
            layer_kwargs={"regularizer": L2(l2) if l2 else None},
        )
        return x, y, validation, prep, rows, classify, size, Sequential(layers, seed=seed)

    prepared = strategy.agree(prepare) if strategy is not None else prepare()
    x, y, validation, prep, rows, classify, chunksize, net = prepared
    if strategy is not None:  # every rank must have learnt the same thing from its file
        summary = f"task {prep.task}, {len(prep.classes)} classes, {prep.width} inputs"
        fingerprint = hashlib.sha256(
            json.dumps(prep.to_dict(), sort_keys=True).encode()
        ).hexdigest()
        strategy.check_same((fingerprint, rows), "the preprocessing learnt from its file", summary)
    split = validation_split if chunksize is None and rows * validation_split >= 1 else 0.0
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
        click.echo(f"saved {out}" + (f" and {figure}" if figure else ""))
        click.echo(_why_it_stopped(stopper, ran, epochs))


def _metrics_report(
    net: Sequential, prep: Preprocessing, x: np.ndarray, y: np.ndarray
) -> dict[str, float]:
    """Classification: loss, accuracy and F1; regression: everything in the target's
    own units (MSE, RMSE, MAE) and R²."""
    if prep.task == "classification":
        return net.evaluate(x, y, metrics=["accuracy", "f1"])
    from .. import metrics

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
    the preprocessing saved at training; regression metrics in the target's own units."""
    net, prep = load_tabular(model)
    x, y, _ = prep.encode(read_table(data, sep), note=note)
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
    ids = table.cells(prep.id) if prep.id and prep.id in table.columns else None
    if prep.id and ids is None:
        note(f"{data}: no id column {prep.id!r}; predictions are in row order")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ([prep.id] if ids else []) + [f"predicted_{prep.target or 'value'}"]
    classify = prep.task == "classification"
    writer.writerow(header + ([f"p_{c}" for c in prep.classes] if classify else []))
    for i, answer in enumerate(answers):
        cells = [answer, *(f"{p:.6g}" for p in outputs[i])] if classify else [f"{answer:.6g}"]
        writer.writerow(([ids[i]] if ids else []) + cells)
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
    x, y, _ = prep.encode(one)
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
    raw = prep.file_units(x)[0]
    names = prep.inputs
    width = max(len(n) for n in names[:k])
    click.echo(f"{'input':<{width}}  {'in the file':>12}  {'network input':>13}")
    for name, a, b in zip(names[:k], raw[:k], x[0, :k], strict=True):
        click.echo(f"{name:<{width}}  {a:>12.6g}  {b:>13.4g}")
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
