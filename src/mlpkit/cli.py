"""The ``mlpkit`` command.

    mlpkit demo                          the main job: classifier + autoencoder report
    mlpkit train DATA.csv --target COL --out MODEL
    mlpkit evaluate MODEL DATA.csv
    mlpkit predict MODEL DATA.csv [--out preds.csv]
    mlpkit info MODEL
    mlpkit trace MODEL [DATA.csv] --row N
    mlpkit autoencode DATA.csv --bottleneck 2 --out MODEL [--explorer page.html]
    mlpkit explore MODEL --out page.html [--data DATA.csv]

Every error is one line naming what is wrong (file, line and column for bad CSV
data) and a non-zero exit; nothing is written when a command fails.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import numpy as np

from . import activations, optimizers
from .distributed import world_size
from .io import LoadError, load, save
from .layers import dense_stack
from .network import Sequential
from .regularizers import L2
from .tabular import CSVError, Preprocessing, read_csv


def _clean_errors(command: Callable[..., Any]) -> Callable[..., Any]:
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


def _training_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options ``train`` and ``autoencode`` share: --activation, --epochs,
    --batch-size and --lr."""
    options = [
        click.option(
            "--activation",
            type=click.Choice(activations.names(), case_sensitive=False),
            default="relu",
            show_default=True,
            help="hidden layers' activation",
        ),
        click.option("--epochs", type=click.IntRange(1), default=100, show_default=True),
        click.option("--batch-size", type=click.IntRange(1), default=32, show_default=True),
        click.option(
            "--lr", type=click.FloatRange(min=0, min_open=True), default=1e-3, show_default=True
        ),
    ]
    for option in reversed(options):  # listed in --help in this order
        command = option(command)
    return command


def _load_tabular(path: Path) -> tuple[Sequential, Preprocessing]:
    model = load(path)
    if not isinstance(model, Sequential) or "preprocessing" not in model.metadata:
        raise ValueError(
            f"{path}: not a model trained with `mlpkit train` (no saved preprocessing)"
        )
    return model, Preprocessing.from_dict(model.metadata["preprocessing"])


def _hidden(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"{text!r}: give layer widths like 64,32") from None
    if any(s < 1 for s in sizes):
        raise click.BadParameter(f"{text!r}: layer widths must be positive")
    return sizes


def _image_shape(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        h, w = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise click.BadParameter(f"{text!r}: give the image shape as HxW, e.g. 28x28") from None
    return h, w


@click.group()
@click.version_option(package_name="mlpkit")
def main() -> None:
    """mlpkit: multilayer perceptrons and autoencoders from the command line."""


@main.command()
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    default=Path("reports/demo"),
    show_default=True,
    help="report folder",
)
@click.option("--fast", is_flag=True, help="a quick run with few epochs")
@click.option("--seed", type=int, default=0, show_default=True)
@_clean_errors
def demo(out: Path, fast: bool, seed: int) -> None:
    """Digits: a classifier and a 2-D autoencoder, a results table and a report folder."""
    from .demo import main as run_demo

    run_demo(["--out", str(out), "--seed", str(seed), *(["--fast"] if fast else [])])


@main.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--target", required=True, help="the column to predict")
@click.option(
    "--out", "-o", type=click.Path(path_type=Path), required=True, help="where to save the model"
)
@click.option("--hidden", default="64,32", show_default=True, help="hidden layer widths")
@_training_options
@click.option(
    "--optimizer",
    type=click.Choice(["sgd", "momentum", "rmsprop", "adam", "adamw", "adagrad"]),
    default="adam",
    show_default=True,
)
@click.option(
    "--l2", type=click.FloatRange(min=0), default=0.0, show_default=True, help="L2 strength α"
)
@click.option(
    "--dropout", type=click.FloatRange(0, 1, max_open=True), default=0.0, show_default=True
)
@click.option(
    "--validation-split", type=click.FloatRange(0, 1, max_open=True), default=0.2, show_default=True
)
@click.option(
    "--task",
    type=click.Choice(["auto", "classification", "regression"]),
    default="auto",
    show_default=True,
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--quiet", is_flag=True, help="no progress bar")
@click.option(
    "--chunksize",
    type=click.IntRange(min=1),
    default=None,
    help="stream the file in blocks of this many rows (never whole in memory; needs the "
    "dask extra); by default chosen by itself when the file is over a quarter of the "
    "available memory",
)
@_clean_errors
def train(
    data: Path,
    target: str,
    out: Path,
    hidden: str,
    activation: str,
    epochs: int,
    batch_size: int,
    optimizer: str,
    lr: float,
    l2: float,
    dropout: float,
    validation_split: float,
    task: str,
    seed: int,
    quiet: bool,
    chunksize: int | None,
) -> None:
    """Train an MLP on DATA.csv to predict --target; save it and a loss-curve figure.

    Under ``mpiexec -n P`` it trains data-parallel by itself (every process reads the
    file; rank 0 alone prints and writes); needs the mpi extra."""
    strategy = None
    if world_size() > 1:
        from .distributed import DataParallel

        strategy = DataParallel()
    chief = strategy is None or strategy.is_chief
    if chunksize is None and strategy is None and Path(data).is_file():
        size, available = Path(data).stat().st_size, _available_memory()
        if available is not None and size > available / 4:
            chunksize = STREAM_ROWS
            click.echo(
                f"{data} is {size / 2**30:.1f} GiB, over a quarter of the {available / 2**30:.1f} "
                f"GiB available: streaming it in blocks of {chunksize:,} rows (--chunksize)",
                err=True,
            )
    validation = None
    if chunksize is not None:  # one pass for the statistics, then blocks read as needed
        x, y, validation, prep, rows = _streamed(
            data, target, task, chunksize, validation_split, seed
        )
    else:
        table = read_csv(data)
        prep, x, y = Preprocessing.fit(table, target, task)
        rows = len(x)
    sizes = [len(prep.features), *_hidden(hidden)]
    n_out = len(prep.classes) if prep.task == "classification" else 1
    out_act = "softmax" if prep.task == "classification" else "identity"
    layers = dense_stack(
        [*sizes, n_out],
        activation,
        out_act,
        dropout=dropout,
        layer_kwargs={"regularizer": L2(l2) if l2 else None},
    )
    net = Sequential(layers, seed=seed)
    metrics = ["accuracy"] if prep.task == "classification" else ["mae", "r2"]
    echo = click.echo if chief else (lambda *args, **kwargs: None)
    echo(
        f"{data}: {rows} rows, {len(prep.features)} features, task {prep.task}"
        + (f" ({len(prep.classes)} classes)" if prep.classes else "")
        + (f"; data-parallel over {strategy.size} processes" if strategy else ""),
        err=True,
    )
    history = net.fit(
        x,
        y,
        loss="cross_entropy" if prep.task == "classification" else "mse",
        optimizer=optimizers.get(optimizer, lr=lr),
        epochs=epochs,
        batch_size=batch_size,
        validation_split=(
            validation_split if validation is None and rows * validation_split >= 1 else 0.0
        )
        if chunksize is None
        else 0.0,
        validation_data=validation,
        metrics=metrics,
        verbose=0 if quiet else "auto",
        strategy=strategy,
    )
    net.metadata = {"preprocessing": prep.to_dict(), "source": str(data),
                    "world_size": 1 if strategy is None else strategy.size}  # fmt: skip
    figure = _loss_figure(history, out) if chief else None
    save(net, out)  # rank 0 only, when data-parallel
    final = {
        k: v[-1]
        for k, v in history.history.items()
        if not k.startswith("grad_norm") and k != "time"
    }
    echo("final: " + ", ".join(f"{k} {v:.4g}" for k, v in final.items()))
    echo(f"saved {out}" + (f" and {figure}" if figure else ""))


#: rows per block when ``train`` decides by itself to stream a large file
STREAM_ROWS = 100_000


def _available_memory() -> int | None:
    """MemAvailable from /proc/meminfo in bytes (None where there is no such file)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _streamed(data, target, task, chunksize, validation_split, seed):  # type: ignore[no-untyped-def]
    """X and y as Dask arrays over the CSV's blocks (each read and preprocessed when the
    training loop needs it); a seeded share of the blocks held out for validation."""
    from ._validation import optional
    from .tabular import scan_csv

    da = optional("dask.array", "mlpkit train --chunksize", "dask")
    dask = optional("dask", "mlpkit train --chunksize", "dask")
    blocks, prep = scan_csv(data, chunksize, target, task)
    width = len(prep.features)

    def load_x(i: int) -> np.ndarray:
        return prep.transform(blocks.block(i))

    def load_y(i: int) -> np.ndarray:
        encoded = prep.encode_target(blocks.block(i))
        return encoded[:, 0] if encoded.ndim == 2 else encoded

    y_dtype = np.int64 if prep.task == "classification" else np.float64
    xs = [
        da.from_delayed(dask.delayed(load_x)(i), (n, width), np.float32)
        for i, n in enumerate(blocks.counts)
    ]
    ys = [
        da.from_delayed(dask.delayed(load_y)(i), (n,), y_dtype) for i, n in enumerate(blocks.counts)
    ]
    held = []
    if validation_split > 0 and len(blocks.counts) > 1:
        k = max(1, round(validation_split * len(blocks.counts)))
        held = sorted(np.random.default_rng(seed).permutation(len(blocks.counts))[:k].tolist())
    kept = [i for i in range(len(blocks.counts)) if i not in held]
    x, y = da.concatenate([xs[i] for i in kept]), da.concatenate([ys[i] for i in kept])
    validation = None
    if held:
        validation = (da.concatenate([xs[i] for i in held]), da.concatenate([ys[i] for i in held]))
    return x, y, validation, prep, sum(blocks.counts)


def _loss_figure(history: Any, out: Path) -> Path | None:
    try:
        from .plots import loss_curves
    except ImportError:
        return None
    path = out.with_name(out.stem + "_loss.png")
    fig = loss_curves(
        history, keys=[k for k in ("loss", "val_loss") if k in history.history], title="training"
    )
    tmp = path.with_name(f".{path.name}.tmp.png")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(tmp, dpi=100)
    os.replace(tmp, path)
    return path


@main.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path))
@_clean_errors
def evaluate(model: Path, data: Path) -> None:
    """Loss and metrics of MODEL on DATA.csv (which must hold the target column)."""
    net, prep = _load_tabular(model)
    table = read_csv(data)
    x, y = prep.transform(table), prep.encode_target(table)
    metrics = ["accuracy", "f1"] if prep.task == "classification" else ["mse", "mae", "r2"]
    result = net.evaluate(x, y, metrics=metrics)
    click.echo(f"{data}: {len(x)} rows")
    for key, value in result.items():
        click.echo(f"{key:>10s}  {value:.4f}")


@main.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    help="write a CSV here instead of standard output",
)
@_clean_errors
def predict(model: Path, data: Path, out: Path | None) -> None:
    """Predictions of MODEL for every row of DATA.csv (the target column may be absent)."""
    net, prep = _load_tabular(model)
    outputs = net.predict(prep.transform(read_csv(data)))
    answers = prep.decode(outputs)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = [f"predicted_{prep.target or 'value'}"]
    if prep.task == "classification":
        header += [f"p_{c}" for c in prep.classes]
        writer.writerow(header)
        for answer, row in zip(answers, outputs, strict=True):
            writer.writerow([answer, *(f"{p:.6g}" for p in row)])
    else:
        writer.writerow(header)
        writer.writerows([[f"{a:.6g}"] for a in answers])
    if out is None:
        click.echo(buffer.getvalue(), nl=False)
    else:
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_text(buffer.getvalue())
        os.replace(tmp, out)
        click.echo(f"wrote {len(answers)} predictions to {out}", err=True)


@main.command()
@click.argument("model", type=click.Path(path_type=Path))
@_clean_errors
def info(model: Path) -> None:
    """Architecture, shapes and training record of MODEL."""
    from .autoencoder import Autoencoder

    obj = load(model)
    net = obj.network if isinstance(obj, Autoencoder) else obj
    kind = (
        f"autoencoder, bottleneck {obj.latent_dim}" if isinstance(obj, Autoencoder) else "network"
    )
    click.echo(f"{model}: {kind}")
    click.echo(str(net))
    click.echo(f"loss: {net.loss.name if net.loss else '-'}; optimizer: {net.optimizer!r}")
    processes = net.metadata.get("world_size", 1)
    click.echo(
        f"trained: {net.epochs_trained} epochs, {net.steps_trained} steps"
        + (f", data-parallel over {processes} processes" if processes > 1 else "")
    )
    if net.history is not None:
        last = {
            k: v[-1] for k, v in net.history.history.items() if v and not k.startswith("grad_norm")
        }
        click.echo("last epoch: " + ", ".join(f"{k} {v:.4g}" for k, v in last.items()))
    prep = net.metadata.get("preprocessing")
    if prep:
        click.echo(
            f"task: {prep['task']}; target: {prep['target']}; features: {', '.join(prep['features'])}"
        )
        if prep["classes"]:
            click.echo(f"classes: {', '.join(map(str, prep['classes']))}")


@main.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.argument("data", type=click.Path(path_type=Path), required=False)
@click.option(
    "--row", type=click.IntRange(0), default=0, show_default=True, help="data row (0 = first)"
)
@click.option("--markdown", is_flag=True, help="Markdown tables instead of plain text")
@_clean_errors
def trace(model: Path, data: Path | None, row: int, markdown: bool) -> None:
    """The seed-style forward/backward table of MODEL for one row of DATA.csv (default:
    the CSV the model was trained on)."""
    from .trace import trace as run_trace

    net, prep = _load_tabular(model)
    if data is None:
        data = Path(net.metadata.get("source", ""))
        if not data.is_file():
            raise ValueError(
                f"{model}: its training data {str(data)!r} is gone; pass the CSV to trace"
            )
    table = read_csv(data)
    if row >= len(table.rows):
        raise ValueError(f"{data}: --row {row} is past the last data row ({len(table.rows) - 1})")
    table.rows, table.lines = [table.rows[row]], [table.lines[row]]
    result = run_trace(net, prep.transform(table), prep.encode_target(table))
    click.echo(result.to_markdown() if markdown else result.to_text())


@main.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--bottleneck", type=click.IntRange(1), default=2, show_default=True)
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    required=True,
    help="where to save the autoencoder",
)
@click.option(
    "--hidden", default="64", show_default=True, help="encoder hidden widths (the decoder mirrors)"
)
@_training_options
@click.option(
    "--noise",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="denoising noise std",
)
@click.option("--label", help="a column to leave out of the inputs and colour the explorer with")
@click.option(
    "--explorer", type=click.Path(path_type=Path), help="also write the latent-space explorer page"
)
@click.option("--image-shape", help="HxW: show outputs as images in the explorer")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--quiet", is_flag=True)
@_clean_errors
def autoencode(
    data: Path,
    bottleneck: int,
    out: Path,
    hidden: str,
    activation: str,
    epochs: int,
    batch_size: int,
    lr: float,
    noise: float,
    label: str | None,
    explorer: Path | None,
    image_shape: str | None,
    seed: int,
    quiet: bool,
) -> None:
    """Train an autoencoder on the numeric columns of DATA.csv (inputs used as they are)."""
    from .autoencoder import Autoencoder
    from .reduction import compare_with_pca

    table = read_csv(data)
    shape = _image_shape(image_shape)
    features = [c for c in table.columns if c != label]
    x = table.numeric(features).astype(np.float32)
    labels = table.strings(label) if label else None
    if shape and shape[0] * shape[1] != x.shape[1]:
        raise ValueError(
            f"--image-shape {image_shape} holds {shape[0] * shape[1]} values, the data has {x.shape[1]}"
        )
    ae = Autoencoder(
        [x.shape[1], *_hidden(hidden), bottleneck], activation=activation, noise=noise, seed=seed
    )
    ae.fit(
        x,
        epochs=epochs,
        batch_size=batch_size,
        optimizer=optimizers.Adam(lr=lr),
        verbose=0 if quiet else "auto",
    )
    ae.network.metadata = {
        "features": features,
        "label": label,
        "source": str(data),
        "image_shape": list(shape) if shape else None,
    }
    if len(x) >= 4 * 10:
        result = compare_with_pca(ae, x, n_neighbors=min(10, len(x) // 4 - 1))
        click.echo(
            f"{'':14s}{'reconstruction MSE':>20s}{'trustworthiness':>17s}{'kNN preserved':>15s}"
        )
        for name, r in result.items():
            click.echo(
                f"{name:14s}{r['reconstruction_mse']:>20.4g}{r['trustworthiness']:>17.3f}"
                f"{r['knn_preservation']:>15.3f}"
            )
    save(ae, out)
    click.echo(f"saved {out}")
    if explorer:
        from .explorer import write_html

        pick = slice(0, min(300, len(x)))
        write_html(
            ae,
            explorer,
            samples=x[pick],
            labels=None if labels is None else labels[pick],
            image_shape=shape,
        )
        click.echo(f"wrote {explorer}")


@main.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option(
    "--out", "-o", type=click.Path(path_type=Path), required=True, help="the HTML page to write"
)
@click.option(
    "--data", type=click.Path(path_type=Path), help="CSV of samples for the gallery and latent map"
)
@click.option("--label", help="label column of --data")
@click.option("--image-shape", help="HxW: show outputs as images")
@click.option("--max-samples", type=click.IntRange(1), default=300, show_default=True)
@_clean_errors
def explore(
    model: Path,
    out: Path,
    data: Path | None,
    label: str | None,
    image_shape: str | None,
    max_samples: int,
) -> None:
    """Write the latent-space explorer page of an autoencoder MODEL."""
    from .autoencoder import Autoencoder
    from .explorer import write_html

    ae = load(model)
    if not isinstance(ae, Autoencoder):
        raise ValueError(f"{model}: not an autoencoder (train one with `mlpkit autoencode`)")
    meta = ae.network.metadata
    shape = _image_shape(image_shape) or (
        tuple(meta["image_shape"]) if meta.get("image_shape") else None
    )
    samples = labels = None
    if data is not None:
        table = read_csv(data)
        label = label or meta.get("label")
        features = meta.get("features") or [c for c in table.columns if c != label]
        samples = table.numeric(features)[:max_samples].astype(np.float32)
        labels = table.strings(label)[:max_samples] if label and label in table.columns else None
    write_html(ae, out, samples=samples, labels=labels, image_shape=shape)
    click.echo(f"wrote {out}")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
