"""The mlpkit command: every subcommand on real CSV files, in-process and as a real
subprocess, and a corpus of malformed files that must fail cleanly."""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import mlpkit
from mlpkit.cli import main
from mlpkit.tabular import Preprocessing, read_csv

from .test_cli_tables import number


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def flowers(tmp_path):
    rng = np.random.default_rng(0)
    names = ["setosa", "versicolor", "virginica"]
    centres = rng.normal(0, 3, size=(3, 4))
    rows = []
    for i in range(150):
        k = i % 3
        rows.append([*(np.round(centres[k] + rng.normal(0, 0.5, 4), 3)), names[k]])
    return write_csv(tmp_path / "flowers.csv", ["a", "b", "c", "d", "species"], rows)


@pytest.fixture
def prices(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(200, 3))
    y = 2 * x[:, 0] - x[:, 1] ** 2 + 0.5 * x[:, 2]
    return write_csv(
        tmp_path / "prices.csv", ["x1", "x2", "x3", "price"], np.c_[x, y].round(5).tolist()
    )


def invoke(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result


def test_train_evaluate_predict_info_trace_on_labels(flowers, tmp_path):
    model = tmp_path / "flowers.mlpk"
    r = invoke("train", flowers, "--target", "species", "--out", model, "--epochs", 60, "--quiet")
    assert r.exit_code == 0, r.output
    assert "task classification (3 classes)" in r.output and "val_accuracy" in r.output
    assert r.output.strip().splitlines()[-1].startswith("ran ")  # how many epochs, and why
    assert model.exists() and (tmp_path / "flowers_loss.png").exists()
    r = invoke("evaluate", model, flowers)
    assert r.exit_code == 0 and "accuracy" in r.output
    assert float(r.output.split("accuracy")[1].split()[0]) > 0.9
    r = invoke("predict", model, flowers)
    lines = r.stdout.strip().splitlines()
    assert lines[0] == "predicted_species,p_setosa,p_versicolor,p_virginica" and len(lines) == 151
    # the written labels are the model's own argmax on the same rows, with its probabilities
    net = mlpkit.load(model)
    prep = Preprocessing.from_dict(net.metadata["preprocessing"])
    proba = net.predict(prep.transform(read_csv(flowers)))
    written = [line.split(",") for line in lines[1:]]
    assert [w[0] for w in written] == [prep.classes[i] for i in proba.argmax(axis=1)]
    np.testing.assert_allclose([[float(v) for v in w[1:]] for w in written], proba, rtol=1e-5)
    out = tmp_path / "preds.csv"
    assert invoke(
        "predict", model, flowers, "--out", out
    ).exit_code == 0 and out.read_text().startswith("predicted_species")
    r = invoke("info", model)
    assert (
        r.exit_code == 0
        and "classes: setosa, versicolor, virginica" in r.output
        and "Dense(softmax)" in r.output
    )
    r = invoke("trace", model, flowers, "--row", 3)
    assert r.exit_code == 0 and "forward:" in r.output and "δ" in r.output
    assert "| x |" in invoke("trace", model, flowers, "--row", 0, "--markdown").output
    assert "forward:" in invoke("trace", model, "--row", 1).output  # defaults to the training CSV


def test_the_saved_model_keeps_its_scaler(flowers, tmp_path):
    model = tmp_path / "m.mlpk"
    invoke("train", flowers, "--target", "species", "--out", model, "--epochs", 5, "--quiet")
    prep = Preprocessing.from_dict(mlpkit.load(model).metadata["preprocessing"])
    raw = np.loadtxt(flowers, delimiter=",", skiprows=1, usecols=range(4))
    assert prep.features == ["a", "b", "c", "d"] and prep.task == "classification"
    np.testing.assert_allclose([c["mean"] for c in prep.columns], raw.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose([c["scale"] for c in prep.columns], raw.std(axis=0), rtol=1e-12)
    np.testing.assert_allclose([c["fill"] for c in prep.columns], np.median(raw, axis=0))


def test_regression_is_detected_and_trained(prices, tmp_path):
    model = tmp_path / "prices.mlpk"
    r = invoke(
        "train",
        prices,
        "--target",
        "price",
        "--out",
        model,
        "--epochs",
        150,
        "--lr",
        0.01,
        "--quiet",
    )
    assert r.exit_code == 0 and "task regression" in r.output
    r = invoke("evaluate", model, prices)
    assert float(r.output.split("r2")[1].split()[0]) > 0.9
    lines = invoke("predict", model, prices).output.splitlines()
    assert lines[0] == "predicted_price" and len(lines) == 201


def test_autoencode_and_explore(flowers, tmp_path):
    model, page = tmp_path / "ae.mlpk", tmp_path / "page.html"
    r = invoke(
        "autoencode",
        flowers,
        "--bottleneck",
        2,
        "--label",
        "species",
        "--out",
        model,
        "--explorer",
        page,
        "--epochs",
        30,
        "--quiet",
    )
    assert r.exit_code == 0, r.output
    assert "autoencoder" in r.output and "pca" in r.output and page.exists()
    again = tmp_path / "again.html"
    r = invoke("explore", model, "--out", again, "--data", flowers)
    assert r.exit_code == 0 and "versicolor" in again.read_text()
    missing = invoke("explore", tmp_path / "none.mlpk", "--out", again)
    assert missing.exit_code == 1 and "cannot read" in missing.output


def test_explore_refuses_a_plain_network(flowers, tmp_path):
    model = tmp_path / "m.mlpk"
    invoke("train", flowers, "--target", "species", "--out", model, "--epochs", 2, "--quiet")
    r = invoke("explore", model, "--out", tmp_path / "p.html")
    assert r.exit_code == 1 and "not an autoencoder" in r.output


BAD_FILES = {  # name: (content, the error's words, extra options)
    "empty.csv": ("", "the file is empty", ()),
    "header_only.csv": ("a,b,y\n", "no data rows after the header", ()),
    "ragged.csv": ("a,b,y\n1,2,0\n1,2\n", "line 3: 2 fields, but the header has 3", ()),
    "missing.csv": ("a,b,y\n1,2,0\n1,,1\n", "line 3, column 'b': missing value (--missing impute", ("--missing", "error")),
    "nan.csv": ("a,b,y\n1,2,0\n1,NaN,1\n", "line 3, column 'b': missing value", ("--missing", "error")),
    "inf.csv": ("a,b,y\n1,2,0\ninf,2,1\n", "line 3, column 'a': inf is not a finite number", ()),
    "dupes.csv": ("a,a,y\n1,2,0\n", "duplicate column name(s) 'a'", ()),
    "one_class.csv": ("a,b,y\n1,2,cat\n3,4,cat\n", "has a single class 'cat'", ()),
    "no_target.csv": ("a,b,z\n1,2,0\n3,4,1\n", "no column 'y'; the columns are a, b, z", ()),
    "binary.csv": (b"a,b,y\n\xff\xfe,2,0\n", "not a UTF-8 text file", ()),
    "quote.csv": ('a,b,y\n1,"2,0\n', "line 2: malformed CSV (unexpected end of data)", ()),
    "drop_unknown.csv": ("a,b,y\n1,2,0\n3,4,1\n", "--drop names no column 'c'; the columns are a, b, y", ("--drop", "a,c")),
    "id_is_target.csv": ("a,b,y\n1,2,0\n3,4,1\n", "--id 'y' is the target column", ("--id", "y")),
    "id_unknown.csv": ("a,b,y\n1,2,0\n3,4,1\n", "--id names no column 'key'", ("--id", "key")),
    "drop_target.csv": ("a,b,y\n1,2,0\n3,4,1\n", "--drop 'y' is the target column", ("--drop", "y")),
    "target_empty.csv": ("a,b,y\n1,2,NA\n3,4,\n", "the target column 'y' has no values", ()),
    "text_regression.csv": ("a,b,y\n1,2,3.5\n3,4,tall\n", "line 3, column 'y': 'tall' is not a number; a regression target must be numeric (use --task classification", ("--task", "regression")),
    "nothing_left.csv": ("a,b,y\n1,,0\n,4,1\n", "no rows left to train on", ("--missing", "drop")),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_malformed_csv_fails_with_one_line_and_writes_nothing(name, tmp_path):
    content, message, options = BAD_FILES[name]
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    model = tmp_path / "model.mlpk"
    r = invoke("train", path, "--target", "y", "--out", model, "--epochs", 2, "--quiet", *options)
    assert r.exit_code == 1
    lines = [line for line in r.output.strip().splitlines() if line.startswith("Error:")]
    assert len(lines) == 1 and message in lines[0] and str(path.name) in lines[0]
    assert "Traceback" not in r.output
    assert not model.exists() and not (tmp_path / "model_loss.png").exists()


def test_regression_target_must_be_numeric(tmp_path):  # and the message says what to do
    path = write_csv(tmp_path / "d.csv", ["a", "y"], [[1, 2.5], [2, "x"]])
    r = invoke(
        "train",
        path,
        "--target",
        "y",
        "--task",
        "regression",
        "--out",
        tmp_path / "m.mlpk",
        "--quiet",
    )
    assert r.exit_code == 1 and "line 3, column 'y': 'x' is not a number" in r.output


def test_prediction_data_must_match_the_model(flowers, tmp_path):
    model = tmp_path / "m.mlpk"
    invoke("train", flowers, "--target", "species", "--out", model, "--epochs", 2, "--quiet")
    other = write_csv(tmp_path / "o.csv", ["a", "b", "species"], [[1, 2, "setosa"]])
    r = invoke("predict", model, other)
    assert (
        r.exit_code == 1
        and "missing feature column(s) 'c', 'd' the model was trained with; add them" in r.output
    )
    unknown = write_csv(tmp_path / "u.csv", ["a", "b", "c", "d", "species"], [[1, 2, 3, 4, "rose"]])
    r = invoke("evaluate", model, unknown)  # a label never seen in training: a wrong answer
    assert r.exit_code == 0 and "1 row(s) with a label not seen in training" in r.output
    assert number(r.output, "accuracy") == 0.0 and math.isnan(number(r.output, "loss"))
    r = invoke("trace", model, flowers, "--row", 999)
    assert r.exit_code == 1 and "past the last data row" in r.output
    bad_model = tmp_path / "bad.mlpk"
    bad_model.write_bytes(b"this is a text file, not a model at all")
    r = invoke("info", bad_model)
    assert r.exit_code == 1 and "not an mlpkit model file" in r.output


def test_a_diverging_run_saves_nothing(prices, tmp_path):
    model = tmp_path / "m.mlpk"
    r = invoke(
        "train",
        prices,
        "--target",
        "price",
        "--out",
        model,
        "--lr",
        1e12,
        "--optimizer",
        "sgd",
        "--epochs",
        50,
        "--quiet",
    )
    assert r.exit_code == 1 and "loss became" in r.output and not model.exists()


def test_real_subprocess(flowers, tmp_path):
    exe = [sys.executable, "-m", "mlpkit.cli"]
    done = subprocess.run([*exe, "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "train" in done.stdout and "autoencode" in done.stdout
    model = tmp_path / "m.mlpk"
    done = subprocess.run(
        [*exe, "train", str(flowers), "--target", "species", "--out", str(model), "--epochs", "3"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    # stderr is a pipe, not a terminal: one line per epoch, no redrawn bar
    assert "Epoch 3/3" in done.stderr and "\r" not in done.stderr
    assert sum(line.startswith("Epoch ") for line in done.stderr.splitlines()) == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1\n")
    done = subprocess.run(
        [*exe, "train", str(bad), "--target", "b", "--out", str(model)],
        capture_output=True,
        text=True,
    )
    assert (
        done.returncode == 1
        and done.stderr.strip().count("\n") == 0
        and "Traceback" not in done.stderr
    )


def test_every_command_through_a_real_subprocess(flowers, tmp_path):
    """The installed console script, as a user would type it."""
    import shutil

    exe = shutil.which("mlpkit", path=str(Path(sys.executable).parent)) or "mlpkit"
    model, ae, page, preds = (
        tmp_path / "m.mlpk",
        tmp_path / "ae.mlpk",
        tmp_path / "p.html",
        tmp_path / "p.csv",
    )

    def run(*args):
        done = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, cwd=tmp_path)
        assert done.returncode == 0, (args, done.stderr)
        return done.stdout

    run("train", flowers, "--target", "species", "--out", model, "--epochs", 5, "--quiet")
    assert "accuracy" in run("evaluate", model, flowers)
    run("predict", model, flowers, "--out", preds)
    assert preds.read_text().startswith("predicted_species")
    assert "classes: setosa, versicolor, virginica" in run("info", model)
    assert "forward:" in run("trace", model, flowers, "--row", 2)
    run("autoencode", flowers, "--label", "species", "--out", ae, "--epochs", 3, "--quiet")
    run("explore", ae, "--out", page, "--data", flowers)
    assert page.stat().st_size > 10_000
    out = run("demo", "--fast", "--out", tmp_path / "report")
    assert "== Results ==" in out and (tmp_path / "report" / "explorer.html").exists()


def test_short_out_option_and_activation_choices(flowers, tmp_path):
    model = tmp_path / "short.mlpk"
    r = invoke("train", flowers, "--target", "species", "-o", model, "--epochs", 2,
               "--activation", "TANH", "--quiet")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert mlpkit.load(model).layers[0].activation.name == "tanh"
    preds = tmp_path / "preds.csv"
    assert invoke("predict", model, flowers, "-o", preds).exit_code == 0
    assert preds.read_text().startswith("predicted_species")
    r = invoke("train", flowers, "--target", "species", "-o", tmp_path / "x.mlpk",
               "--activation", "relux")  # fmt: skip
    assert r.exit_code == 2 and "'relux' is not one of" in r.output and "leaky_relu" in r.output
    assert not (tmp_path / "x.mlpk").exists()


def test_train_streams_a_csv_in_blocks_with_the_same_preprocessing(
    flowers, prices, tmp_path, monkeypatch
):
    from mlpkit.tabular import scan_csv

    # one pass over the blocks gives the whole-file preprocessing (a quoted newline too)
    quoted = tmp_path / "quoted.csv"
    quoted.write_text('a,b,label\n1,2,"x\ny"\n3,4,z\n5,6,"x\ny"\n7,8,z\n9,10,z\n')
    blocks, streamed = scan_csv(quoted, 2, "label")
    whole, _, _ = Preprocessing.fit(read_csv(quoted), "label")
    assert blocks.counts == [2, 2, 1] and streamed.classes == whole.classes == ["x\ny", "z"]
    assert blocks.block(1).lines == read_csv(quoted).lines[2:4]  # lines as read_csv numbers them
    for path, target in ((flowers, "species"), (prices, "price")):
        blocks, streamed = scan_csv(path, 40, target)
        whole, _, _ = Preprocessing.fit(read_csv(path), target)
        assert (streamed.task, streamed.classes, streamed.features) == (
            whole.task,
            whole.classes,
            whole.features,
        )
        for a, b in zip(streamed.columns, whole.columns, strict=True):
            np.testing.assert_allclose([a["mean"], a["scale"], a["fill"]],
                                       [b["mean"], b["scale"], b["fill"]], rtol=1e-10)  # fmt: skip
    out = tmp_path / "streamed.mlpk"
    result = invoke("train", flowers, "--target", "species", "--out", out, "--epochs", "40",
                    "--chunksize", "25", "--quiet")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "150 rows" in result.output and "val_accuracy" in result.output
    net = mlpkit.load(out)
    prep = Preprocessing.from_dict(net.metadata["preprocessing"])
    table = read_csv(flowers)
    x, y, _ = prep.encode(table)
    accuracy = np.mean(net.predict_classes(x) == y)
    assert accuracy > 0.9
    # a file over a quarter of the available memory is streamed without being asked
    monkeypatch.setattr(mlpkit.cli.tables, "available_memory", lambda: 4 * 1000)
    result = invoke("train", flowers, "--target", "species", "--out", tmp_path / "auto.mlpk",
                    "--epochs", "2", "--quiet")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (
        "over a quarter of the" in result.output
        and "streaming it in blocks of 100,000 rows" in result.output
    )
