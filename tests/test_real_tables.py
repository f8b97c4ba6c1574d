"""The one-command form on tables shaped like real exports (R's write.csv, pandas'
to_csv): row names under an empty header, `NA` cells, free-text names, ISO dates, a
number in the millions, a target sorted through the file. Each test fails if a default
regresses into a silent leak, a silent one-hot of free text or dates, or a silent task."""

from __future__ import annotations

import re

import numpy as np
import pytest
from click.testing import CliRunner

import mlpkit
from mlpkit.cli import main
from mlpkit.tabular import Preprocessing, read_csv

from .tables import exported, split, write


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def number(output: str, key: str) -> float:
    return float(re.search(rf"^\s*{key}\s+(\S+)", output, re.M).group(1))


def preprocessing(path) -> Preprocessing:
    return Preprocessing.from_dict(mlpkit.load(path).metadata["preprocessing"])


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """An exported table sorted by price, split at random into train.csv and test.csv."""
    d = tmp_path_factory.mktemp("export")
    header, rows = exported(500, seed=1)
    train_rows, test_rows = split(rows, 0.8, seed=2)
    return (
        d,
        header,
        write(d / "train.csv", header, train_rows),
        write(d / "test.csv", header, test_rows),
    )


def test_one_command_leaves_out_row_names_and_free_text_and_reads_dates(export, monkeypatch):
    d, _, train, test = export
    monkeypatch.chdir(d)
    r = invoke("train", "train.csv", "--target", "price", "--epochs", 60, "--quiet")
    assert r.exit_code == 0, r.output
    said = r.output
    assert "saving the model to train.mlpk (--out to choose)" in said
    assert "column '' looks like a row number (unique whole numbers 1..500): left out of the " \
        "inputs; --keep '' uses it" in said  # fmt: skip
    assert "column 'name' looks like a key (400 different values in 400 rows): left out" in said
    assert "column 'sold' holds dates" in said
    assert "task regression: the target 'price' holds" in said and "--task classification" in said
    prep = preprocessing(d / "train.mlpk")
    # the population is merely distinct (a number in the millions): it stays a feature
    assert prep.features == ["sold", "area", "population", "district"]
    assert [c["kind"] for c in prep.columns] == ["date", "numeric", "numeric", "categorical"]
    honest = number(invoke("evaluate", d / "train.mlpk", test).stdout, "r2")
    assert honest > 0.85
    # kept by hand, the row number of a table sorted by the target leaks it into the score
    r = invoke("train", train, "--target", "price", "--epochs", 60, "--quiet", "--keep", "",
               "-o", d / "leak.mlpk")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert preprocessing(d / "leak.mlpk").features[0] == ""
    assert number(invoke("evaluate", d / "leak.mlpk", test).stdout, "r2") > honest
    # the dates are what the price follows: without them the score falls far
    r = invoke("train", train, "--target", "price", "--epochs", 60, "--quiet", "--drop", "sold",
               "-o", d / "nodate.mlpk")  # fmt: skip
    assert number(invoke("evaluate", d / "nodate.mlpk", test).stdout, "r2") < honest - 0.2


def test_dates_are_encoded_the_same_at_predict_and_past_the_training_range(export, tmp_path):
    _, header, train, _ = export
    model = tmp_path / "m.mlpk"
    assert invoke("train", train, "--target", "price", "--epochs", 5, "--quiet", "--id", "",
                  "-o", model).exit_code == 0  # fmt: skip
    prep = preprocessing(model)
    spec = next(c for c in prep.columns if c["kind"] == "date")
    later = [["9001", "Zed Zed", day, "100.0", "500000", "Dream", "0"]
             for day in ("2030-06-30", "2031-06-30 12:00:00", "NA")]  # fmt: skip
    future = write(tmp_path / "future.csv", header, later)
    x = prep.transform(read_csv(future))
    days = x[:, 0] * spec["scale"] + spec["mean"] + spec["origin"]  # back in days since 1970
    expected = [
        (np.datetime64("2030-06-30") - np.datetime64("1970-01-01")).astype(float),
        (np.datetime64("2031-06-30T12:00") - np.datetime64("1970-01-01")).astype(float) / 1440,
    ]
    np.testing.assert_allclose(days[:2], expected, rtol=1e-6)
    assert days[2] == pytest.approx(spec["fill"] + 0.0, rel=1e-6)  # NA: the median date
    # the same date and season a year apart: the cycle inputs agree, the days do not
    np.testing.assert_allclose(x[0, 1:], prep.transform(read_csv(future))[0, 1:])
    out = invoke("predict", model, future).stdout.splitlines()
    assert out[0] == ",predicted_price" and [line.split(",")[0] for line in out[1:]] == ["9001"] * 3
    assert all(np.isfinite(float(line.split(",")[1])) for line in out[1:])


def test_a_stray_word_or_nul_byte_among_numbers_is_named(tmp_path):
    rows = [[str(i % 7), f"{(i * 37) % 101}.5", str(i % 2)] for i in range(200)]
    for bad, shown in (("abc", "'abc'"), ("4\x00", "'4\\x00'")):
        rows[123][1] = bad
        data = write(tmp_path / "d.csv", ["n", "size", "y"], rows)
        r = invoke("train", data, "--target", "y", "-o", tmp_path / "m.mlpk", "--quiet")
        assert r.exit_code == 1 and len(r.output.strip().splitlines()) == 1, r.output
        assert "column 'size' holds numbers but 1 cell(s) that are not: " + shown in r.output
        assert "(line 125)" in r.output and "--drop size" in r.output
        assert not (tmp_path / "m.mlpk").exists()


def test_a_whole_number_target_with_many_values_is_regressed_and_evaluate_counts_unseen(tmp_path):
    rng = np.random.default_rng(3)
    a = rng.uniform(0, 1, 400)
    age = np.round(18 + 18 * a + rng.normal(0, 0.5, 400)).astype(int)  # 19 or so whole numbers
    rows = [[f"{v:.3f}", str(t)] for v, t in zip(a, age, strict=True)]
    data = write(tmp_path / "ages.csv", ["a", "age"], rows)
    r = invoke(
        "train", data, "--target", "age", "-o", tmp_path / "r.mlpk", "--epochs", 3, "--quiet"
    )
    assert r.exit_code == 0, r.output
    assert re.search(r"task regression: the target 'age' holds \d\d different whole numbers "
                     r"\(over 10: read as a quantity\); --task classification treats its values as labels", r.output)  # fmt: skip
    r = invoke("train", data, "--target", "age", "--task", "classification",
               "-o", tmp_path / "c.mlpk", "--epochs", 3, "--quiet")  # fmt: skip
    assert r.exit_code == 0 and preprocessing(tmp_path / "c.mlpk").task == "classification"
    unseen = write(tmp_path / "u.csv", ["a", "age"], [["0.5", "27"], ["0.5", "99"], ["0.9", "99"]])
    report = invoke("evaluate", tmp_path / "c.mlpk", unseen)
    assert report.exit_code == 0, report.output
    assert "2 row(s) with a label not seen in training" in report.output
    assert number(report.stdout, "accuracy") <= 1 / 3  # the unseen two count as wrong
    assert re.search(r"^\s*f1 \(macro\)\s", report.stdout, re.M)
    assert invoke("predict", tmp_path / "c.mlpk", unseen).exit_code == 0  # unaffected


def test_autoencode_takes_the_same_rules_and_flags(export, tmp_path, monkeypatch):
    _, _, train, _ = export
    monkeypatch.chdir(tmp_path)
    r = invoke("autoencode", train, "--epochs", 2, "--quiet")
    assert r.exit_code == 0, r.output
    said = r.output
    assert "column '' looks like a row number" in said and "column 'name' looks like a key" in said
    assert "leaving out text and date column(s) 'sold', 'district': an autoencoder" in said
    assert "holds dates: read as" not in said  # (not said to be read, then left out)
    assert (tmp_path / "train.mlpk").exists()
    net = mlpkit.load(tmp_path / "train.mlpk")
    r = invoke("autoencode", train, "--id", "name", "--drop", "population", "--epochs", 2, "--quiet",
               "-o", tmp_path / "b.mlpk")  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "column 'name' looks like a key" not in r.output  # named as the key, not guessed
    smaller = mlpkit.load(tmp_path / "b.mlpk")
    assert smaller.encoder.layers[0].W.shape[0] < net.encoder.layers[0].W.shape[0]


def test_trace_shows_the_files_own_cells(tmp_path):
    rows = [[str(i % 3), f"{i * 0.37:.2f}", "ab"[i % 2]] for i in range(40)]
    data = write(tmp_path / "z.csv", ["count", "w", "y"], rows)
    model = tmp_path / "m.mlpk"
    assert (
        invoke("train", data, "--target", "y", "-o", model, "--epochs", 2, "--quiet").exit_code == 0
    )
    text = invoke("trace", model, data, "--row", 0).stdout
    assert re.search(r"^\s*count\s+0\s", text, re.M), text  # the cell as written, not -9e-09
    assert re.search(r"^\s*w\s+0\.00\s", text, re.M), text


def test_chunksize_is_the_in_memory_run_streamed(export, tmp_path):
    _, header, _, _ = export
    _, rows = exported(300, seed=5)
    rows[7][4] = "NA"
    data = write(tmp_path / "t.csv", header, rows)
    runs = {}
    for name, extra in (
        ("memory", ()),
        ("one block", ("--chunksize", 1000)),
        ("blocks", ("--chunksize", 64)),
    ):
        out = tmp_path / f"{name}.mlpk"
        r = invoke("train", data, "--target", "price", "--epochs", 4, "--quiet", "-o", out, *extra)
        assert r.exit_code == 0, r.output
        runs[name] = (r.output.replace(str(out.with_suffix("")), "OUT"), mlpkit.load(out))
    said, memory = runs["memory"]
    assert "val_loss" in said  # a share of rows held out in every form
    for name in ("one block", "blocks"):
        output, net = runs[name]
        assert output == said, name  # the same notes, the same scores
        for a, b in zip(net.parameters(), memory.parameters(), strict=True):
            np.testing.assert_array_equal(a, b)  # the same training, to the bit
    assert not list(tmp_path.glob(".*encoded*"))  # its encoded files are gone
