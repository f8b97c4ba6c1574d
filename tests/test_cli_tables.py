"""The command line on tables that look like real ones (text columns, missing cells, an
id column, semicolons, a target in the thousands): train -> evaluate -> predict through
the installed `mlpkit` command, compared with a scikit-learn pipeline on the same split,
and every option checked for its effect."""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import mlpkit
from mlpkit.cli import main

from .tables import houses, penguins, write

EXE = shutil.which("mlpkit", path=str(Path(sys.executable).parent)) or "mlpkit"
MISSING = {"", "na", "n/a", "nan", "null", "?"}


def run(*args, cwd=None):
    done = subprocess.run(
        [EXE, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300
    )
    assert done.returncode == 0, (args, done.stderr)
    return done


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def number(output: str, key: str) -> float:
    """The first number after ``key`` at the start of a line."""
    return float(re.search(rf"^\s*{key}\s+(\S+)", output, re.M).group(1))


def sklearn_arrays(header, rows, target, numeric, text):
    """The rows as scikit-learn takes them: floats with NaN, objects with NaN."""

    def cell(v, as_number):
        if v.strip().lower() in MISSING:
            return np.nan
        return float(v) if as_number else v

    cols = {name: header.index(name) for name in [*numeric, *text, target]}
    x = np.array(
        [[cell(r[cols[c]], c in numeric) for c in [*numeric, *text]] for r in rows], dtype=object
    )
    y = np.array([r[cols[target]] for r in rows])
    return x, y


def sklearn_pipeline(n_numeric, n_text, model):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    columns = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), list(range(n_numeric))),
        ("text", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")),
         list(range(n_numeric, n_numeric + n_text))),
    ])  # fmt: skip
    return make_pipeline(columns, model)


@pytest.fixture(scope="module")
def penguin_run(tmp_path_factory):
    """Train on a semicolon-separated penguin table through the real command, once."""
    d = tmp_path_factory.mktemp("penguins")
    header, train_rows = penguins(600, seed=3)
    _, test_rows = penguins(300, seed=4, start_id=10_001)
    train, _ = (
        write(d / "train.csv", header, train_rows, ";"),
        write(d / "test.csv", header, test_rows, ";"),
    )
    done = run(
        "train", train, "--target", "species", "--id", "id", "--out", d / "m.mlpk", "--quiet"
    )
    return d, header, train_rows, test_rows, done


def test_a_penguin_table_end_to_end_matches_scikit_learn(penguin_run):
    from sklearn.neural_network import MLPClassifier

    d, header, train_rows, test_rows, done = penguin_run
    assert "task classification (3 classes)" in done.stderr
    n_unlabelled = sum(r[1] == "NA" for r in train_rows)
    assert f"left out {n_unlabelled} row(s) whose target 'species' is missing" in done.stderr
    accuracy = number(run("evaluate", d / "m.mlpk", d / "test.csv").stdout, "accuracy")
    # predictions join back by id, and agree with evaluate's accuracy
    run("predict", d / "m.mlpk", d / "test.csv", "--out", d / "preds.csv")
    with open(d / "preds.csv", newline="") as f:
        preds = list(csv.reader(f))
    assert preds[0][:2] == ["id", "predicted_species"] and len(preds) == len(test_rows) + 1
    truth = {r[0]: r[1] for r in test_rows}
    assert [p[0] for p in preds[1:]] == [r[0] for r in test_rows]
    labelled = [p for p in preds[1:] if truth[p[0]] != "NA"]
    assert accuracy == pytest.approx(np.mean([p[1] == truth[p[0]] for p in labelled]), abs=1e-4)
    # scikit-learn's pipeline on the same split: imputer + one-hot + scaler + MLP
    numeric, text = ["bill_length_mm", "flipper_length_mm", "body_mass_g"], ["island", "sex"]
    x, y = sklearn_arrays(header, [r for r in train_rows if r[1] != "NA"], "species", numeric, text)
    xt, yt = sklearn_arrays(
        header, [r for r in test_rows if r[1] != "NA"], "species", numeric, text
    )
    pipe = sklearn_pipeline(
        3,
        2,
        MLPClassifier(
            hidden_layer_sizes=(64, 32), early_stopping=True, max_iter=500, random_state=0
        ),
    )
    reference = pipe.fit(x, y).score(xt, yt)
    assert accuracy >= reference - 0.02, (accuracy, reference)


def test_a_regression_in_thousands_is_reported_in_its_units_and_matches_scikit_learn(tmp_path):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.metrics import r2_score
    from sklearn.neural_network import MLPRegressor
    from sklearn.preprocessing import StandardScaler

    header, train_rows = houses(600, seed=5)
    _, test_rows = houses(300, seed=6)
    train, test = (
        write(tmp_path / "train.csv", header, train_rows),
        write(tmp_path / "test.csv", header, test_rows),
    )
    done = run("train", train, "--target", "price", "--out", tmp_path / "h.mlpk", "--quiet")
    assert "task regression" in done.stderr
    assert "mse, mae, rmse in the target's units" in done.stdout
    report = run("evaluate", tmp_path / "h.mlpk", test).stdout
    preds = run("predict", tmp_path / "h.mlpk", test).stdout.splitlines()
    guess = np.array([float(v) for v in preds[1:]])
    truth = np.array([float(r[4]) for r in test_rows])
    assert guess.mean() > 1e5  # answers in money, not in standard deviations
    assert number(report, "mae") == pytest.approx(np.mean(np.abs(guess - truth)), rel=1e-3)
    assert number(report, "rmse") == pytest.approx(np.sqrt(np.mean((guess - truth) ** 2)), rel=1e-3)
    r2 = number(report, "r2")
    assert r2 == pytest.approx(r2_score(truth, guess), abs=1e-3)
    x, y = sklearn_arrays(header, train_rows, "price", ["size_m2", "rooms", "age"], ["district"])
    xt, _ = sklearn_arrays(header, test_rows, "price", ["size_m2", "rooms", "age"], ["district"])
    model = TransformedTargetRegressor(
        MLPRegressor(
            hidden_layer_sizes=(64, 32), early_stopping=True, max_iter=1000, random_state=0
        ),
        transformer=StandardScaler(),
    )
    pipe = sklearn_pipeline(3, 1, model).fit(x, y.astype(float))
    reference = r2_score(truth, pipe.predict(xt))
    assert r2 >= reference - 0.03, (r2, reference)


def test_info_and_trace_show_the_preprocessing_in_the_file_units(
    penguin_run, tmp_path, monkeypatch
):
    d, _, train_rows, _, _ = penguin_run
    out = invoke("info", d / "m.mlpk").output
    assert "island             categorical, one-hot over 3: 'Biscoe', 'Dream', 'Torgersen'" in out
    assert re.search(
        r"bill_length_mm\s+numeric, standardised \(mean [\d.]+, scale [\d.]+\); missing -> [\d.]+",
        out,
    )
    assert "id: left out of the inputs, copied into predictions" in out
    # the trace runs from another folder, finding the training file by its saved path
    row = next(i for i, r in enumerate(train_rows) if r[1] != "NA" and r[3].lower() not in MISSING)
    monkeypatch.chdir(tmp_path)
    done = invoke("trace", d / "m.mlpk", "--row", row, "--features", 5)
    assert done.exit_code == 0, done.output
    text = done.stdout
    assert f"species = {train_rows[row][1]}" in text and f"target {train_rows[row][1]}" in text
    assert re.search(rf"bill_length_mm\s+{re.escape(train_rows[row][3])}\s+-?[\d.]+", text)
    assert "more inputs (--features all shows them)" in text and "δ" in text
    everything = invoke("trace", d / "m.mlpk", "--row", row, "--features", "all").stdout
    assert "--features all" not in everything and "sex=male" in everything
    assert max(map(len, text.splitlines())) <= 110  # a screen's width, not one column per unit


def test_unseen_categories_extra_and_missing_columns_at_predict(penguin_run, tmp_path):
    d, header, _, test_rows, _ = penguin_run
    rows = [[*r[:2], "Atlantis", *r[3:], "extra"] for r in test_rows[:4]]
    new = write(tmp_path / "new.csv", [*header, "notes"], rows)
    done = invoke("predict", d / "m.mlpk", new)
    assert done.exit_code == 0 and len(done.stdout.splitlines()) == 5
    assert (
        "column 'island': 4 row(s) with value(s) not seen in training ('Atlantis'): encoded as all zeros"
        in done.stderr
    )
    assert "ignoring column(s) the model does not use: notes" in done.stderr
    short = write(
        tmp_path / "short.csv", [h for h in header if h != "sex"], [r[:6] for r in test_rows[:3]]
    )
    r = invoke("predict", d / "m.mlpk", short)
    assert r.exit_code == 1 and "missing feature column(s) 'sex'" in r.output


def test_training_options_have_their_effect(tmp_path):
    header, rows = penguins(200, seed=7)
    data = write(tmp_path / "p.csv", header, rows)
    model = tmp_path / "m.mlpk"
    r = invoke("train", data, "--target", "species", "--out", model, "--drop", "sex,island", "--id", "id",
               "--hidden", 7, "--epochs", 3, "--quiet")  # fmt: skip
    assert r.exit_code == 0, r.output
    net = mlpkit.load(model)
    assert net.layers[0].in_features == 3 and net.layers[0].out_features == 7  # 3 numbers left
    info = invoke("info", model).output
    assert "left out: sex, island" in info and "(N, 7)" in info
    # --missing drop: evaluate counts only the complete, labelled rows
    r = invoke(
        "train",
        data,
        "--target",
        "species",
        "--out",
        model,
        "--missing",
        "drop",
        "--epochs",
        2,
        "--quiet",
    )
    assert r.exit_code == 0, r.output
    complete = sum(all(c.lower() not in MISSING for c in row) for row in rows)
    assert f"{data}: {complete} rows" in invoke("evaluate", model, data).output
    # --patience 0 trains every epoch; a small patience stops early
    r = invoke(
        "train",
        data,
        "--target",
        "species",
        "--out",
        model,
        "--patience",
        0,
        "--epochs",
        12,
        "--quiet",
    )
    assert r.output.strip().splitlines()[-1] == "ran all 12 epochs (--epochs)"
    assert mlpkit.load(model).epochs_trained == 12
    r = invoke("train", data, "--target", "species", "--out", model, "--patience", 2, "--epochs", 400,
               "--lr", 0.01, "--quiet")  # fmt: skip
    assert "stopped early, val_loss had not improved for 2 epochs" in r.output
    assert mlpkit.load(model).epochs_trained < 400
    # --sep: a tab file read as told, and the wrong separator named in the error
    tabbed = write(tmp_path / "t.tsv", header, rows, "\t")
    assert invoke("train", tabbed, "--target", "species", "--out", model, "--sep", "tab", "--epochs", 1,
                  "--quiet").exit_code == 0  # fmt: skip
    r = invoke("train", tabbed, "--target", "species", "--out", model, "--sep", ";", "--epochs", 1)
    assert r.exit_code == 1 and "no column 'species'" in r.output


def test_early_stopping_keeps_the_best_epochs_weights(tmp_path, monkeypatch):
    import mlpkit.cli.tables as tables

    seen = {}

    class Recording(tables.EarlyStopping):
        def on_epoch_end(self, epoch, logs=None):
            super().on_epoch_end(epoch, logs)
            weights = [w.copy() for w in self.model.get_weights()]
            seen["last"] = weights
            if self.best_epoch == epoch:
                seen["best"], seen["best_epoch"] = weights, epoch

    monkeypatch.setattr(tables, "EarlyStopping", Recording)
    header, rows = penguins(120, seed=8)
    data = write(tmp_path / "p.csv", header, rows)
    model = tmp_path / "m.mlpk"
    r = invoke("train", data, "--target", "species", "--out", model, "--patience", 3, "--epochs", 300,
               "--lr", 0.02, "--hidden", "32", "--quiet")  # fmt: skip
    assert r.exit_code == 0 and "stopped early" in r.output
    assert f"kept the weights of epoch {seen['best_epoch'] + 1}" in r.output
    saved = mlpkit.load(model).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(saved, seen["best"], strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(saved, seen["last"], strict=True))


def test_saved_files_follow_the_umask(tmp_path):
    header, rows = penguins(40, seed=9)
    data = write(tmp_path / "p.csv", header, rows)
    old = os.umask(0o027)
    try:
        assert invoke("train", data, "--target", "species", "--out", tmp_path / "m.mlpk", "--epochs", 1,
                      "--quiet").exit_code == 0  # fmt: skip
    finally:
        os.umask(old)
    assert (tmp_path / "m.mlpk").stat().st_mode & 0o777 == 0o640


def test_autoencode_scales_tables_and_images_and_beats_pca(tmp_path):
    from sklearn.datasets import load_breast_cancer, load_digits
    from sklearn.decomposition import PCA

    x = load_breast_cancer().data
    header = [f"f{j}" for j in range(x.shape[1])]
    rows = [[f"{v:.6g}" for v in r] + ["kind-" + str(i % 3)] for i, r in enumerate(x)]
    data = write(tmp_path / "cancer.csv", [*header, "kind"], rows)
    r = invoke("autoencode", data, "--out", tmp_path / "c.ae", "--quiet")
    assert r.exit_code == 0, r.output
    assert "leaving out text and date column(s) 'kind'" in r.output
    ae_mse, pca_mse = (number(r.output, name) for name in ("autoencoder", "pca"))
    raw = np.array([[float(v) for v in row[:-1]] for row in rows])
    z = (raw - raw.mean(0)) / raw.std(0)
    rebuilt = PCA(2).fit(z)
    expect = np.mean((rebuilt.inverse_transform(rebuilt.transform(z)) - z) ** 2)
    assert pca_mse == pytest.approx(expect, rel=2e-3)  # the printed PCA error, computed here
    assert ae_mse < pca_mse
    # image-like data (whole numbers 0..16): divided by its maximum, errors in pixel values
    digits = load_digits()
    rows = [
        [str(int(v)) for v in r] + [str(t)]
        for r, t in zip(digits.data[:400], digits.target[:400], strict=True)
    ]
    data = write(tmp_path / "digits.csv", [*(f"p{j}" for j in range(64)), "digit"], rows)
    r = invoke("autoencode", data, "--label", "digit", "--out", tmp_path / "d.ae", "--epochs", 30, "--quiet",
               "--explorer", tmp_path / "d.html", "--image-shape", "8x8")  # fmt: skip
    assert r.exit_code == 0, r.output
    ae = mlpkit.load(tmp_path / "d.ae")
    assert ae.network.metadata["scaling"]["divisor"] == 16 and ae.output_activation == "sigmoid"
    images = digits.data[:400]
    rebuilt = PCA(2).fit(images / 16)
    expect = np.mean(
        ((rebuilt.inverse_transform(rebuilt.transform(images / 16)) - images / 16) * 16) ** 2
    )
    assert number(r.output, "pca") == pytest.approx(expect, rel=2e-3)
    page = (tmp_path / "d.html").read_text()
    assert '"units":{"offset":[0.0' in page and '"feature_names":["p0","p1"' in page


def test_the_guides_command_line_session_runs_as_shown(tmp_path):
    """The user guide's one-command session, command by command: the same notes about the
    data (they depend on the file alone), the model saved under the data's name, a last
    line saying why training stopped, and an honest test score."""
    root = Path(__file__).resolve().parents[1]
    guide = (root / "docs" / "guide" / "tables-and-cli.md").read_text()
    session = guide.split("```text", 1)[1].split("```", 1)[0]
    readme = (root / "README.md").read_text().split("## The command line", 1)[1]
    assert readme.split("```text", 1)[1].split("```", 1)[0] == session  # the README's copy
    (tmp_path / "examples" / "data").mkdir(parents=True)
    for name in ("sales.csv", "sales_test.csv"):
        shutil.copy(root / "examples" / "data" / name, tmp_path / "examples" / "data")
    commands = [
        line[2:].split("  #")[0].split()
        for line in session.splitlines()
        if line.startswith("$ mlpkit")
    ]
    shown_notes = {
        line for line in session.splitlines()
        if line.startswith(("examples/data/sales.csv:", "saving the model"))
    }  # fmt: skip
    assert len(commands) == 2 and len(shown_notes) == 7
    said, outputs = set(), []
    for command in commands:
        done = run(*command[1:], cwd=tmp_path)
        said |= set(done.stderr.splitlines())
        outputs.append(done.stdout)
    assert re.match(
        r"ran \d+ of 100 epochs: stopped early|ran all 100 epochs", outputs[0].splitlines()[-1]
    )
    assert shown_notes <= said and (tmp_path / "sales.mlpk").exists()
    assert number(outputs[1], "r2") > 0.85


def test_streaming_a_messy_table_uses_the_same_rows(tmp_path):
    header, rows = penguins(240, seed=11)
    data = write(tmp_path / "p.csv", header, rows, ";")
    complete = sum(
        r[5].lower() not in MISSING and all(c.lower() not in MISSING for c in r) for r in rows
    )
    for options, expect in (
        ((), sum(r[5].lower() not in MISSING for r in rows)),
        (("--missing", "drop"), complete),
    ):
        r = invoke("train", data, "--target", "body_mass_g", "--id", "id", "--chunksize", 50, "--epochs", 3,
                   "--out", tmp_path / "s.mlpk", "--quiet", *options)  # fmt: skip
        assert r.exit_code == 0, r.output
        assert f"p.csv: {expect} rows, " in r.output


def test_l2_dropout_and_batch_size_have_their_effect(tmp_path):
    header, rows = penguins(160, seed=12)
    data = write(tmp_path / "p.csv", header, rows)
    common = ("--target", "species", "--id", "id", "--patience", 0, "--epochs", 8, "--quiet")

    def trained(name, *options):
        assert invoke("train", data, "--out", tmp_path / name, *common, *options).exit_code == 0
        return mlpkit.load(tmp_path / name)

    sgd = ("--optimizer", "sgd", "--lr", 0.05)  # (Adam rescales the penalty's pull away)
    plain, shrunk = trained("plain.mlpk", *sgd), trained("l2.mlpk", "--l2", 2.0, *sgd)
    norm = [
        sum(float(np.sum(layer.W**2)) for layer in net.layers if hasattr(layer, "W"))
        for net in (plain, shrunk)
    ]
    assert norm[1] < 0.8 * norm[0]
    assert shrunk.layers[0].regularizer.alpha == 2.0 and plain.layers[0].regularizer is None
    dropped = trained("dropout.mlpk", "--dropout", 0.3)
    rates = [layer.rate for layer in dropped.layers if isinstance(layer, mlpkit.Dropout)]
    assert rates == [0.3, 0.3]  # after each of the two hidden layers
    labelled = sum(r[1].lower() not in MISSING for r in rows)
    train_rows = labelled - int(labelled * 0.2)
    for batch in (7, 50):
        net = trained(f"b{batch}.mlpk", "--batch-size", batch)
        assert net.steps_trained == 8 * -(-train_rows // batch)


def test_autoencode_noise_and_image_shape_have_their_effect(tmp_path):
    from sklearn.datasets import load_digits

    digits = load_digits()
    rows = [[str(int(v)) for v in r] for r in digits.data[:120]]
    data = write(tmp_path / "d.csv", [f"p{j}" for j in range(64)], rows)
    out = tmp_path / "d.ae"
    r = invoke("autoencode", data, "--out", out, "--epochs", 2, "--noise", 0.25, "--image-shape", "8x8",
               "--explorer", tmp_path / "d.html", "--quiet")  # fmt: skip
    assert r.exit_code == 0, r.output
    ae = mlpkit.load(out)
    assert ae.noise == 0.25 and ae.network.metadata["image_shape"] == [8, 8]
    assert '"image_shape":[8,8]' in (tmp_path / "d.html").read_text()
    r = invoke("autoencode", data, "--out", out, "--image-shape", "7x7", "--quiet")
    assert r.exit_code == 1 and "--image-shape 7x7 holds 49 values, the data has 64" in r.output


def test_the_rest_of_trains_options_have_their_effect(tmp_path):
    header, rows = penguins(100, seed=13)
    data = write(tmp_path / "p.csv", header, rows)

    def trained(name, *options):
        r = invoke("train", data, "--target", "species", "--out", tmp_path / name, "--epochs", 3,
                   "--patience", 0, *options)  # fmt: skip
        assert r.exit_code == 0, r.output
        return mlpkit.load(tmp_path / name), r.output

    net, _ = trained(
        "a.mlpk", "--optimizer", "rmsprop", "--lr", 0.0123, "--activation", "elu", "--quiet"
    )
    assert type(net.optimizer).__name__ == "RMSprop" and net.optimizer.lr == 0.0123
    assert net.layers[0].activation.name == "elu" and net.layers[-1].activation.name == "softmax"
    labelled = sum(r[1].lower() not in MISSING for r in rows)
    net, _ = trained("b.mlpk", "--validation-split", 0.5, "--batch-size", 10, "--quiet")
    assert net.steps_trained == 3 * -(-(labelled - int(labelled * 0.5)) // 10)
    net, out = trained("c.mlpk", "--validation-split", 0, "--quiet")
    assert "val_loss" not in net.history.history and "val_" not in out
    assert "loss had not improved" not in out  # nothing to watch, nothing stopped
    same, _ = trained("d.mlpk", "--seed", 5, "--quiet")
    again, _ = trained("e.mlpk", "--seed", 5, "--quiet")
    other, _ = trained("f.mlpk", "--seed", 6, "--quiet")
    assert all(
        np.array_equal(a, b) for a, b in zip(same.get_weights(), again.get_weights(), strict=True)
    )
    assert not np.array_equal(same.get_weights()[0], other.get_weights()[0])
    _, chatty = trained("g.mlpk")
    assert "Epoch 3/3" in chatty and "Epoch" not in trained("h.mlpk", "--quiet")[1]


def test_autoencode_and_explore_options_have_their_effect(tmp_path):
    rng = np.random.default_rng(14)
    x = rng.normal(size=(80, 6)) @ rng.normal(size=(6, 6))
    rows = [[f"{v:.5f}" for v in r] + [["a", "b"][i % 2]] for i, r in enumerate(x)]
    data = write(tmp_path / "t.csv", [*(f"c{j}" for j in range(6)), "kind"], rows)
    out = tmp_path / "t.ae"
    r = invoke("autoencode", data, "--out", out, "--bottleneck", 3, "--hidden", "12,5", "--activation", "tanh",
               "--epochs", 4, "--batch-size", 16, "--lr", 0.004, "--label", "kind", "--quiet")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "leaving out text column" not in r.output  # --label's column is not an input
    ae = mlpkit.load(out)
    assert ae.latent_dim == 3 and [
        ly.out_features for ly in ae.encoder.layers if hasattr(ly, "W")
    ] == [12, 5, 3]
    assert ae.encoder.layers[0].activation.name == "tanh"
    assert ae.network.steps_trained == 4 * 5 and ae.network.optimizer.lr == 0.004
    page, data_path = tmp_path / "e.html", data
    assert invoke("explore", out, "--out", page, "--data", data, "--max-samples", 7).exit_code == 0
    data = page_data(page)
    labels = data["samples"]["labels"]  # 7 rows drawn by label: its share of each
    assert len(data["samples"]["codes"]) == 7 and sorted(labels.count(k) for k in "ab") == [3, 4]
    again = tmp_path / "f.html"
    assert (
        invoke(
            "explore", out, "--out", again, "--data", data_path, "--max-samples", 7, "--seed", 1
        ).exit_code
        == 0
    )
    assert page_data(again)["samples"]["codes"] != data["samples"]["codes"]  # --seed draws others


def page_data(page: Path) -> dict:
    """The JSON an explorer page embeds."""
    import json

    text = page.read_text()
    return json.loads(text.split('id="mlpkit-data">', 1)[1].split("</script>", 1)[0])


def test_evaluate_reports_what_the_predictions_score_in_process(tmp_path):
    header, rows = houses(120, seed=21)
    data = write(tmp_path / "h.csv", header, rows)
    model = tmp_path / "h.mlpk"
    assert (
        invoke(
            "train", data, "--target", "price", "--out", model, "--epochs", 5, "--quiet"
        ).exit_code
        == 0
    )
    report = invoke("evaluate", model, data).stdout
    assert report.splitlines()[0] == f"{data}: 120 rows"
    assert [line.split()[0] for line in report.splitlines()[1:]] == ["mse", "rmse", "mae", "r2"]
    guess = np.array([float(v) for v in invoke("predict", model, data).stdout.splitlines()[1:]])
    truth = np.array([float(r[4]) for r in rows])
    mse = np.mean((guess - truth) ** 2)
    assert number(report, "mse") == pytest.approx(mse, rel=1e-4)
    assert number(report, "rmse") == pytest.approx(np.sqrt(mse), rel=1e-4)
    assert number(report, "mae") == pytest.approx(np.mean(np.abs(guess - truth)), rel=1e-4)
    r2 = 1 - np.sum((truth - guess) ** 2) / np.sum((truth - truth.mean()) ** 2)
    assert number(report, "r2") == pytest.approx(r2, abs=1e-4)
    header, rows = penguins(60, seed=22)
    labels = write(tmp_path / "p.csv", header, rows)
    assert (
        invoke(
            "train", labels, "--target", "species", "--out", model, "--epochs", 3, "--quiet"
        ).exit_code
        == 0
    )
    report = invoke("evaluate", model, labels).stdout
    assert [line.split()[0] for line in report.splitlines()[1:]] == ["loss", "accuracy", "f1"]
    net = mlpkit.load(model)
    prep = mlpkit.tabular.Preprocessing.from_dict(net.metadata["preprocessing"])
    x, y, _ = prep.encode(mlpkit.tabular.read_csv(labels))
    assert number(report, "accuracy") == pytest.approx(
        np.mean(net.predict(x).argmax(axis=1) == y), abs=1e-4
    )


def test_table_commands_refuse_models_not_trained_on_a_table(tmp_path):
    plain = mlpkit.save(mlpkit.Sequential([mlpkit.Dense(2, 1)], seed=0), tmp_path / "plain.mlpk")
    ae = mlpkit.Autoencoder([2, 1], seed=0)
    ae.fit(np.random.default_rng(0).normal(size=(8, 2)), epochs=1, verbose=0)
    auto = mlpkit.save(ae, tmp_path / "ae.mlpk")
    data = write(tmp_path / "d.csv", ["a", "b", "y"], [["1", "2", "0"]])
    for model in (plain, auto):
        for command in ("evaluate", "predict", "trace"):
            r = invoke(command, model, data)
            assert r.exit_code == 1, (command, r.output)
            assert (
                r.output.strip()
                == f"Error: {model}: not a model trained with `mlpkit train` (no saved preprocessing)"
            )


def test_available_memory_is_read_from_proc_meminfo():
    meminfo = Path("/proc/meminfo")
    if not meminfo.is_file():
        assert mlpkit.cli.tables.available_memory() is None
        return
    line = next(ln for ln in meminfo.read_text().splitlines() if ln.startswith("MemAvailable:"))
    expected = int(line.split()[1]) * 1024
    assert (
        abs(mlpkit.cli.tables.available_memory() - expected) < 64 * 2**20
    )  # it moves a little between reads
