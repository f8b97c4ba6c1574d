"""``mlpkit autoencode`` and ``mlpkit explore``: an autoencoder on a table's numeric
columns, scaled for training and shown back in the data's own units."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import click
import numpy as np

from .. import optimizers
from .._files import check_target
from ..io import load, save
from ..tabular import CSVError, Preprocessing, Table, learn
from ._common import (
    clean_errors,
    column_list,
    hidden_sizes,
    note,
    read_table,
    sep_option,
    training_options,
)
from ._common import image_shape as parse_image_shape

#: the training steps --epochs' default aims at: small tables need many epochs to
#: reconstruct better than PCA (iris, 150 rows, needs about 300 at batch 32)
AUTO_STEPS = 3000

#: rows of the table drawn (seeded, by label) for the --explorer page's gallery and map
EXPLORER_SAMPLES = 300

#: the largest whole-number value that still makes a table look like pixel intensities
IMAGE_MAX = 255


@dataclass
class Scaling:
    """How an autoencoder's inputs are made from a table and turned back: numeric
    columns standardised, or — for image-like data, every cell a whole number in
    [0, 255] — divided by the table's largest value so they lie in [0, 1].

    prep : the numeric columns and their statistics (missing cells get the median);
    divisor : the image case's largest value, or None for standardised columns."""

    prep: Preprocessing
    divisor: float | None = None

    @classmethod
    def fit(
        cls, table: Table, label: str | None, drop: list[str], say: Any, keep: list[str] | None = None,
    ) -> tuple[Scaling, np.ndarray]:  # fmt: skip
        """Learn the scaling of ``table`` (every column but ``label`` and ``drop``; the same
        rules as train's for row numbers, free text and dates, ``keep`` as its --keep);
        returns it and the scaled inputs X (N, d) float32."""
        try:
            prep, _ = learn([table], table.path, table.columns, None, drop=drop, id=label,
                            keep=keep or (), note=say, decimal_comma=table.sep == ";",
                            numbers_only="an autoencoder reconstructs numbers (--label names "
                            "the one that colours the explorer)")  # fmt: skip
        except CSVError as error:
            if "no feature columns left" not in str(error):
                raise
            raise CSVError(f"{table.path}: no numeric columns to reconstruct") from None
        raw = prep.transform(table, note=say, standardise=False)
        top = float(raw.max())
        pixels = raw.min() >= 0 and 1 < top <= IMAGE_MAX and bool(np.all(raw == np.round(raw)))
        scaling = cls(prep, top if pixels else None)
        # the cells are read once more only for standardised inputs, and quietly: the
        # notes about this table were said by the read above
        x = raw / np.float32(top) if pixels else prep.transform(table)
        return scaling, x

    def inputs(self, table: Table, say: Any = None) -> np.ndarray:
        """Scaled inputs (N, d) float32 for the autoencoder."""
        say = say or (lambda message: None)
        if self.divisor is None:
            return self.prep.transform(table, note=say)
        return self.prep.transform(table, note=say, standardise=False) / np.float32(self.divisor)

    @property
    def scale(self) -> np.ndarray:
        """(d,): one scaled unit in the data's own units."""
        if self.divisor is not None:
            return np.full(self.prep.width, self.divisor)
        return np.array([c["scale"] for c in self.prep.columns])

    @property
    def offset(self) -> np.ndarray:
        """(d,): the data's value where the scaled input is 0."""
        if self.divisor is not None:
            return np.zeros(self.prep.width)
        return np.array([c["mean"] for c in self.prep.columns])

    def to_units(self, x: np.ndarray) -> np.ndarray:
        """Scaled values (n, d) back in the data's own units."""
        return cast("np.ndarray", np.asarray(x, dtype=np.float64) * self.scale + self.offset)

    def describe(self) -> str:
        if self.divisor is not None:
            how = f"image-like: divided by {self.divisor:g} into [0, 1]"
        else:
            how = "standardised per column"
        names = self.prep.features
        shown = ", ".join(names[:8]) + (f", ... ({len(names)} columns)" if len(names) > 8 else "")
        return f"inputs ({how}): {shown}"

    def to_dict(self) -> dict[str, Any]:
        return {"preprocessing": self.prep.to_dict(), "divisor": self.divisor}

    @classmethod
    def from_dict(cls, d: Any) -> Scaling:
        """The scaling a model file saved, checked (a ValueError when malformed)."""
        divisor = d.get("divisor") if isinstance(d, dict) else None
        if not isinstance(d, dict) or not (
            divisor is None or (isinstance(divisor, int | float) and not isinstance(divisor, bool)
                                and math.isfinite(divisor) and divisor > 0)
        ):  # fmt: skip
            raise ValueError(
                "the model's saved scaling is malformed; train it again with `mlpkit autoencode`"
            )
        return cls(Preprocessing.from_dict(d.get("preprocessing")), divisor)


@click.command()
@click.argument("data", type=click.Path(path_type=Path))
@click.option("--bottleneck", type=click.IntRange(1), default=2, show_default=True)
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None,
              help="where to save the autoencoder (default: the data file's name with .mlpk, here)")  # fmt: skip
@click.option(
    "--hidden", default="64", show_default=True, help="encoder hidden widths (the decoder mirrors)"
)
@training_options(
    epochs_help=f"default: enough for about {AUTO_STEPS:,} steps, from 100 to 1,000 epochs"
)
@click.option("--noise", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="denoising: std of the Gaussian noise added to the scaled inputs")  # fmt: skip
@click.option("--label", help="a column to leave out of the inputs and colour the explorer with")
@click.option("--drop", help="columns to leave out, comma-separated")
@click.option("--id", "id_column", help="a key column: left out of the inputs (as train's --id)")
@click.option("--keep", help="columns to use though they look like row numbers or free text")
@click.option(
    "--explorer", type=click.Path(path_type=Path), help="also write the latent-space explorer page"
)
@click.option("--image-shape", help="HxW: show outputs as images in the explorer")
@sep_option
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--quiet", is_flag=True)
@clean_errors
def autoencode(data: Path, bottleneck: int, out: Path | None, hidden: str, activation: str,
               epochs: int | None, batch_size: int, lr: float, noise: float, label: str | None,
               drop: str | None, id_column: str | None, keep: str | None, explorer: Path | None,
               image_shape: str | None, sep: str | None, seed: int, quiet: bool) -> None:  # fmt: skip
    """Train an autoencoder on the numeric columns of DATA.csv and compare it with PCA.

    Columns are standardised (image-like data — whole numbers in [0, 255] — divided by
    its largest value instead); missing cells get the column's median. Left out, each
    with a note: text and date columns other than --label, and — by train's rules (see
    `mlpkit train --help`) — row numbers and keys (--keep to use one). The
    reconstruction error is in pixel values for images, in each column's standard
    deviations² for a table. --explorer draws 300 rows at random, by --label."""
    from ..autoencoder import Autoencoder
    from ..reduction import compare_with_pca

    if out is None:
        out = Path(Path(data).name).with_suffix(".mlpk")
        note(f"saving the autoencoder to {out} (--out to choose)")
    check_target(out, "--out model file")
    if explorer is not None:
        check_target(explorer, "--explorer page")
    table = read_table(data, sep)
    shape = parse_image_shape(image_shape)
    left_out = column_list(drop) + (
        [id_column] if id_column is not None and id_column != label else []
    )
    scaling, x = Scaling.fit(table, label, left_out, note, column_list(keep))
    labels = table.cells(label) if label else None
    if shape and shape[0] * shape[1] != x.shape[1]:
        raise ValueError(
            f"--image-shape {image_shape} holds {shape[0] * shape[1]} values, the data has {x.shape[1]}"
        )
    ae = Autoencoder([x.shape[1], *hidden_sizes(hidden), bottleneck], activation=activation,
                     noise=noise, seed=seed)  # fmt: skip
    if epochs is None:
        steps_per_epoch = -(-len(x) // batch_size)
        epochs = min(1000, max(100, -(-AUTO_STEPS // steps_per_epoch)))
    ae.fit(x, epochs=epochs, batch_size=batch_size, optimizer=optimizers.Adam(lr=lr),
           verbose=0 if quiet else "auto")  # fmt: skip
    ae.network.metadata = {"scaling": scaling.to_dict(), "label": label, "source": str(Path(data).resolve()),
                           "image_shape": list(shape) if shape else None}  # fmt: skip
    if len(x) >= 4 * 10:
        # image-like data: the error in its own units (pixel values); a table's columns
        # have units of their own (grams, millimetres) that cannot be summed, so there the
        # error is in each column's standard deviations — every column counts the same
        scale = scaling.divisor if scaling.divisor is not None else None
        result = compare_with_pca(ae, x, n_neighbors=min(10, len(x) // 4 - 1), scale=scale)
        click.echo(
            f"{'':14s}{'reconstruction MSE':>20s}{'trustworthiness':>17s}{'kNN preserved':>15s}"
        )
        for name, r in result.items():
            click.echo(f"{name:14s}{r['reconstruction_mse']:>20.4g}{r['trustworthiness']:>17.3f}"
                       f"{r['knn_preservation']:>15.3f}")  # fmt: skip
        click.echo(
            "(reconstruction MSE in the data's units: pixel values)"
            if scaling.divisor is not None
            else "(reconstruction MSE of the standardised columns: in each column's standard deviations²)"
        )
    save(ae, out)
    click.echo(f"saved {out}")
    if explorer:
        from ..explorer import sample_rows, write_html

        pick = sample_rows(len(x), EXPLORER_SAMPLES, labels, seed)  # (not the file's first rows)
        write_html(ae, explorer, samples=x[pick], labels=None if labels is None else [labels[i] for i in pick],
                   image_shape=shape, units=(scaling.offset, scaling.scale),
                   feature_names=scaling.prep.features)  # fmt: skip
        click.echo(f"wrote {explorer}")


@click.command()
@click.argument("model", type=click.Path(path_type=Path))
@click.option(
    "--out", "-o", type=click.Path(path_type=Path), required=True, help="the HTML page to write"
)
@click.option(
    "--data", type=click.Path(path_type=Path), help="CSV of samples for the gallery and latent map"
)
@click.option("--label", help="label column of --data")
@click.option("--image-shape", help="HxW: show outputs as images")
@click.option("--max-samples", type=click.IntRange(1), default=300, show_default=True,
              help="rows drawn at random (by label, when there is one) for the gallery and map")  # fmt: skip
@click.option("--seed", type=int, default=0, show_default=True, help="seed of that draw")
@sep_option
@clean_errors
def explore(model: Path, out: Path, data: Path | None, label: str | None, image_shape: str | None,
            max_samples: int, seed: int, sep: str | None) -> None:  # fmt: skip
    """Write the latent-space explorer page of an autoencoder MODEL (outputs shown in the
    units of the data it was trained on)."""
    from ..autoencoder import Autoencoder
    from ..explorer import sample_rows, write_html

    check_target(out, "--out page")
    ae = load(model)
    if not isinstance(ae, Autoencoder):
        raise ValueError(f"{model}: not an autoencoder (train one with `mlpkit autoencode`)")
    meta = ae.network.metadata
    shape = parse_image_shape(image_shape) or (
        tuple(meta["image_shape"]) if meta.get("image_shape") else None
    )
    scaling = Scaling.from_dict(meta["scaling"]) if meta.get("scaling") else None
    samples = labels = None
    if data is not None:
        table = read_table(data, sep)
        label = label or meta.get("label")
        if scaling is not None:
            samples = scaling.inputs(table, note)
        else:  # autoencoders saved before scaling was recorded: inputs as they are
            features = meta.get("features") or [c for c in table.columns if c != label]
            samples = np.array([[float(v) for v in table.cells(f)] for f in features], np.float32).T
        labels = table.cells(label) if label and label in table.columns else None
        pick = sample_rows(len(samples), max_samples, labels, seed)  # seeded, by label
        samples, labels = samples[pick], None if labels is None else [labels[i] for i in pick]
    units = (scaling.offset, scaling.scale) if scaling is not None else None
    write_html(ae, out, samples=samples, labels=labels, image_shape=shape, units=units,
               feature_names=scaling.prep.features if scaling is not None else meta.get("features"))  # fmt: skip
    click.echo(f"wrote {out}")
