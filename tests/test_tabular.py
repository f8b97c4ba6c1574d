"""Tables: separators, column kinds, missing cells, one-hot encoding, key columns and
scaling — each value checked against a direct computation on the rows the test wrote."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np
import pytest

from mlpkit.tabular import (
    ColumnSummary,
    CSVError,
    Preprocessing,
    detect_separator,
    learn,
    read_csv,
    scan_csv,
)

from .tables import penguins, write


@pytest.fixture
def penguin_file(tmp_path):
    header, rows = penguins(300, seed=3)
    return write(tmp_path / "penguins.csv", header, rows, sep=";"), header, rows


def notes():
    said: list[str] = []
    return said, said.append


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_the_separator_is_found_from_the_header(sep, tmp_path):
    path = write(
        tmp_path / "t.csv", ["a", "b b", "label"], [["1", "2", "x"], ["3", "4", "y, z"]], sep=sep
    )
    table = read_csv(path)
    assert table.sep == sep and table.columns == ["a", "b b", "label"]
    assert table.cells("label") == ["x", "y, z"]
    assert detect_separator('"a;b",c,d\n') == ","  # a separator inside quotes does not count


def test_a_bom_and_decimal_commas_in_a_semicolon_file(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffweight;size;y\n1,5;2;a\n2,25;3;b\n4;1;a\n".encode())
    prep, x, _ = Preprocessing.fit(read_csv(path), "y")
    assert prep.features == ["weight", "size"] and prep.columns[0]["kind"] == "numeric"
    raw = np.array([1.5, 2.25, 4.0])
    np.testing.assert_allclose(x[:, 0], (raw - raw.mean()) / raw.std(), rtol=1e-6)


def test_column_kinds_fills_and_one_hot_match_a_direct_computation(penguin_file):
    path, header, rows = penguin_file
    said, note = notes()
    prep, x, y = Preprocessing.fit(read_csv(path), "species", id="id", note=note)
    assert prep.task == "classification" and prep.classes == ["Adelie", "Chinstrap", "Gentoo"]
    kinds = {c["name"]: c["kind"] for c in prep.columns}
    assert kinds == {"island": "categorical", "bill_length_mm": "numeric", "flipper_length_mm": "numeric",
                     "body_mass_g": "numeric", "sex": "categorical"}  # fmt: skip
    missing = {"", "na", "?", "n/a"}
    labelled = [r for r in rows if r[1] != "NA"]
    assert len(x) == len(y) == len(labelled)  # rows without a label are left out ...
    assert any(
        f"left out {len(rows) - len(labelled)} row(s) whose target 'species' is missing" in s
        for s in said
    )
    col = 0
    for spec in prep.columns:
        j = header.index(spec["name"])
        present = [r[j] for r in rows if r[j].lower() not in missing]
        if spec["kind"] == "numeric":
            values = np.array(present, dtype=float)
            assert spec["fill"] == pytest.approx(np.median(values))
            assert spec["mean"] == pytest.approx(values.mean()) and spec["scale"] == pytest.approx(
                values.std()
            )
            cells = [r[j] for r in labelled]
            expect = [(float(v) if v.lower() not in missing else spec["fill"]) for v in cells]
            np.testing.assert_allclose(
                x[:, col], (np.array(expect) - values.mean()) / values.std(), rtol=1e-5
            )
            col += 1
        else:
            counts = Counter(present)
            assert spec["categories"] == sorted(counts)
            assert spec["fill"] == max(sorted(counts), key=lambda v: counts[v])
            cells = [r[j] if r[j].lower() not in missing else spec["fill"] for r in labelled]
            onehot = np.array(
                [[v == c for c in spec["categories"]] for v in cells], dtype=np.float32
            )
            np.testing.assert_array_equal(x[:, col : col + len(counts)], onehot)
            col += len(counts)
    assert col == prep.width == x.shape[1]
    assert np.array_equal(y, [prep.classes.index(r[1]) for r in labelled])


@pytest.mark.parametrize("spelling", ["", "NA", "n/a", "NaN", "NULL", "null", "?", " na "])
def test_every_missing_spelling_is_missing(spelling, tmp_path):
    path = write(
        tmp_path / "m.csv", ["a", "y"], [["1", "0"], [spelling, "1"], ["5", "1"], ["2", "0"]]
    )
    prep, x, _ = Preprocessing.fit(read_csv(path), "y")
    assert (
        prep.columns[0]["kind"] == "numeric" and prep.columns[0]["fill"] == 2.0
    )  # median of 1, 5, 2
    with pytest.raises(CSVError, match=r"line 3, column 'a': missing value \(--missing impute"):
        Preprocessing.fit(read_csv(path), "y", missing="error")
    prep, x, y = Preprocessing.fit(read_csv(path), "y", missing="drop")
    assert len(x) == 3 and list(y) == [0, 1, 0]


def test_unseen_categories_are_zeros_with_a_note(penguin_file, tmp_path):
    path, header, rows = penguin_file
    prep, _, _ = Preprocessing.fit(read_csv(path), "species", id="id")
    new = [r.copy() for r in rows[:5]]
    new[1][2], new[3][2] = "Atlantis", "Lemuria"
    other = write(tmp_path / "new.csv", [*header, "comment"], [[*r, "x"] for r in new])
    said, note = notes()
    x = prep.transform(read_csv(other), note=note)
    island = [i for i, name in enumerate(prep.inputs) if name.startswith("island=")]
    assert not x[1, island].any() and not x[3, island].any() and x[0, island].sum() in (0, 1)
    assert any("column 'island': 2 row(s) with value(s) not seen in training ('Atlantis', 'Lemuria')" in s
               for s in said)  # fmt: skip
    assert any("ignoring column(s) the model does not use: comment" in s for s in said)


def test_key_columns_are_named_with_the_flag_to_use(tmp_path):
    rng = np.random.default_rng(0)
    rows = [[str(100 + i), f"cust-{i:04d}", f"{rng.normal():.4f}", str(i % 2)] for i in range(30)]
    path = write(tmp_path / "k.csv", ["row", "customer", "x", "y"], rows)
    said, note = notes()
    learn([read_csv(path)], path, ["row", "customer", "x", "y"], "y", note=note)
    warned = [s for s in said if "looks like" in s]
    assert len(warned) == 2  # the row number and the text key; not the continuous x
    assert "'row'" in warned[0] and "a row number" in warned[0] and "--keep row" in warned[0]
    assert "left out of the inputs" in warned[0] and "--id row" in warned[0]
    assert "'customer'" in warned[1] and "a key" in warned[1] and "--keep customer" in warned[1]
    kept, _ = learn([read_csv(path)], path, ["row", "customer", "x", "y"], "y", keep=["row"])
    assert kept.features == ["row", "x"]  # --keep makes it a feature all the same


def test_a_regression_target_is_standardised_and_answered_in_its_units(tmp_path):
    rng = np.random.default_rng(1)
    grams = rng.normal(4200, 800, 50).round()
    rows = [[f"{rng.normal():.3f}", f"{g:.0f}"] for g in grams]
    path = write(tmp_path / "r.csv", ["x", "mass_g"], rows)
    prep, _, y = Preprocessing.fit(read_csv(path), "mass_g")
    assert prep.task == "regression" and y.shape == (50, 1)
    assert prep.target_mean == pytest.approx(grams.mean()) and prep.target_scale == pytest.approx(
        grams.std()
    )
    np.testing.assert_allclose(y[:, 0], (grams - grams.mean()) / grams.std(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(prep.decode(y), grams, rtol=1e-6)


def test_saved_and_loaded_preprocessing_is_the_same(penguin_file):
    path, _, _ = penguin_file
    table = read_csv(path)
    prep, x, _ = Preprocessing.fit(table, "body_mass_g", drop=["island"], id="id")
    again = Preprocessing.from_dict(prep.to_dict())
    assert again == prep and "island" in again.dropped
    np.testing.assert_array_equal(again.encode(table)[0], x)
    old = {
        "features": ["a", "b"],
        "mean": [1.0, 2.0],
        "scale": [2.0, 4.0],
        "target": "y",
        "task": "classification",
        "classes": [0, 1],
    }  # fmt: skip  (saved before version 2)
    legacy = Preprocessing.from_dict(old)
    assert legacy.inputs == ["a", "b"] and legacy.missing == "error"


def test_streaming_learns_what_a_whole_read_learns(penguin_file):
    path, _, _ = penguin_file
    for options in ({"id": "id"}, {"id": "id", "missing": "drop"}, {"drop": ["sex"]}):
        blocks, streamed = scan_csv(path, 37, "species", **options)
        whole, x, _ = Preprocessing.fit(read_csv(path), "species", **options)
        _assert_same(streamed, whole)
        assert sum(blocks.kept) == len(x)  # rows kept per block, known before training
        streamed_x = np.concatenate([streamed.encode(b)[0] for b in blocks.blocks()])
        np.testing.assert_allclose(streamed_x, x, rtol=1e-5, atol=1e-6)


def _assert_same(a: Preprocessing, b: Preprocessing) -> None:
    assert a.features == b.features and a.classes == b.classes and a.dropped == b.dropped
    for ca, cb in zip(a.columns, b.columns, strict=True):
        assert ca.keys() == cb.keys()
        for key in ca:
            assert ca[key] == (
                pytest.approx(cb[key], rel=1e-10) if isinstance(cb[key], float) else cb[key]
            )
    return True


def test_describe_lists_every_column_with_what_is_done_to_it():
    prep = Preprocessing(
        [{"name": "mass", "kind": "numeric", "fill": 4050.0, "mean": 4201.5, "scale": 801.25},
         {"name": "island", "kind": "categorical", "fill": "Dream", "categories": ["Biscoe", "Dream"]},
         {"name": "old", "kind": "numeric", "fill": None, "mean": 1.0, "scale": 2.0}],
        target="species", task="classification", classes=list("abcdefghij"), id="row", dropped=["sex"],
    )  # fmt: skip
    assert prep.describe() == [
        "preprocessing (missing cells: impute):",
        "  mass     numeric, standardised (mean 4201.5, scale 801.25); missing -> 4050",
        "  island   categorical, one-hot over 2: 'Biscoe', 'Dream'; missing -> 'Dream'",
        "  old      numeric, standardised (mean 1, scale 2)",
        "  row      id: left out of the inputs, copied into predictions",
        "  left out: sex",
        "  species  target: classification, 10 classes: 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', ... (10 in all)",
    ]
    regression = Preprocessing(
        [prep.columns[0]], target="a_long_target_name", target_mean=3.5, target_scale=0.25
    )
    assert regression.describe()[-1] == (
        "  a_long_target_name  target: regression, standardised (mean 3.5, scale 0.25); predictions in its own units"
    )
    assert Preprocessing([prep.columns[0]]).describe() == [  # no target, no id
        "preprocessing (missing cells: impute):",
        "  mass  numeric, standardised (mean 4201.5, scale 801.25); missing -> 4050",
    ]


def test_answers_and_inputs_go_back_to_the_files_units():
    prep = Preprocessing(
        [{"name": "a", "kind": "numeric", "fill": 0.0, "mean": 10.0, "scale": 2.0},
         {"name": "c", "kind": "categorical", "fill": "x", "categories": ["x", "y"]},
         {"name": "b", "kind": "numeric", "fill": 0.0, "mean": -1.0, "scale": 0.5}],
        target="t", task="regression", target_mean=1000.0, target_scale=50.0,
    )  # fmt: skip
    x = np.array([[1.0, 0.0, 1.0, -2.0]], dtype=np.float32)
    np.testing.assert_allclose(prep.file_units(x), [[12.0, 0.0, 1.0, -2.0]])
    assert prep.file_units(x).dtype == np.float64 and prep.inputs == ["a", "c=x", "c=y", "b"]
    out = np.array([[0.5], [-1.0]], dtype=np.float32)
    np.testing.assert_allclose(prep.unscale(out), [1025.0, 950.0])
    assert prep.decode(out) == [1025.0, 950.0] and prep.unscale(out).dtype == np.float64
    labels = Preprocessing(prep.columns, target="t", task="classification", classes=["no", "yes"])
    assert labels.decode(np.array([[0.2, 0.8], [0.9, 0.1]])) == ["yes", "no"]
    assert labels.decode(np.array([[0.5], [0.49]])) == ["yes", "no"]  # one sigmoid output: p >= 0.5
    assert labels.decode(np.array([[0.7], [0.2]])) == ["yes", "no"]


def test_a_column_summary_counts_kinds_keys_and_statistics(monkeypatch):
    from mlpkit.tabular import columns

    s = ColumnSummary("a")
    missing = s.add(["1", "NA", "3", "", "2"], [2, 3, 4, 5, 6], "f.csv", False)
    assert missing.tolist() == [False, True, False, True, False] and (s.present, s.missing) == (
        3,
        2,
    )
    assert s.numeric and s.integral and (s.low, s.high) == (1, 3) and s.first_text is None
    assert s.mean_and_scale() == pytest.approx((2.0, np.sqrt(2 / 3))) and s.median() == 2.0
    assert s.spec() == {"name": "a", "kind": "numeric", "fill": 2.0, "mean": pytest.approx(2.0),
                        "scale": pytest.approx(np.sqrt(2 / 3))}  # fmt: skip
    s.add(["x", "1.5"], [7, 8], "f.csv", False)  # blocks add up; a text cell makes it categorical
    assert not s.numeric and s.first_text == ("x", 7) and not s.integral
    assert s.spec() == {
        "name": "a",
        "kind": "categorical",
        "fill": "1",
        "categories": ["1", "1.5", "2", "3", "x"],
    }
    constant = ColumnSummary("c")
    constant.add(["5", "5", "5"], [2, 3, 4], "f.csv", False)
    assert (
        constant.mean_and_scale() == (5.0, 1.0) and constant.repeats
    )  # a constant column is only centred
    tie = ColumnSummary("t")
    tie.add(["b", "a", "b", "a", "c"], [2, 3, 4, 5, 6], "f.csv", False)
    assert tie.most_frequent() == "a"  # a tie goes to the first in sorted order
    with pytest.raises(CSVError, match=r"^f.csv, line 3, column 'i': inf is not a finite number$"):
        ColumnSummary("i").add(["1", "inf"], [2, 3], "f.csv", False)
    comma = ColumnSummary("d")
    comma.add(["1,5", "2,5"], [2, 3], "f.csv", True)
    assert comma.numeric and comma.mean_and_scale()[0] == pytest.approx(2.0)
    assert not ColumnSummary("empty").numeric  # no present cell: not numeric
    # row numbers: unique whole numbers filling half their range or more (in any order),
    # or under a row-index header; text keys: a different value on every row; 5 rows
    from mlpkit.tabular.columns import decide

    def kind(name, cells, keep=False):
        s = ColumnSummary(name)
        s.add(cells, list(range(2, 2 + len(cells))), "f.csv", False)
        d = decide(s, "f.csv", keep=keep)
        return None if d.spec is None else d.spec["kind"]

    index = [str(i) for i in np.random.default_rng(0).permutation(40)[:25] + 1]
    assert kind("a", [str(i) for i in range(10, 30)]) is None  # 10..29
    assert kind("a", index) is None  # 25 of 1..40, shuffled: a split of a row index
    assert kind("a", [str(i) for i in range(1, 60, 3)]) == "numeric"  # a third of the range
    assert kind("a", [str(i) for i in range(10, 29)]) == "numeric"  # under 20 rows
    assert kind("a", [*map(str, range(30)), "3"]) == "numeric"  # a repeat
    assert kind("a", [*map(str, range(30)), ""]) == "numeric"  # a missing cell
    assert kind("a", [f"{i}.5" for i in range(30)]) == "numeric"  # not whole
    prices = [str(v) for v in np.random.default_rng(1).choice(100_000, 50, replace=False)]
    assert kind("price", prices) == "numeric"  # merely distinct
    assert kind("Unnamed: 0", ["12", "340", "9800", "4100", "77"]) is None  # a row index's header
    assert kind("", ["1", "2", "3", "4", "5"]) is None  # R's unnamed row names
    assert kind("a", [str(i) for i in range(10, 30)], keep=True) == "numeric"  # --keep
    assert kind("name", ["ann", "bob", "cy", "dee", "eve"]) is None
    assert kind("name", ["ann", "bob", "cy", "dee", "eve"], keep=True) == "categorical"
    assert kind("when", ["2024-01-01", "2024-02-01", "2023-12-31 10:00:00", "NA"]) == "date"
    monkeypatch.setattr(columns, "MAX_CATEGORIES", 3)
    many = ColumnSummary("many")
    many.add(["a", "b", "c"], [2, 3, 4], "f.csv", False)
    assert not many.too_many_values
    many.add(["d", "e"], [5, 6], "f.csv", False)
    assert many.too_many_values and len(many.counts) == 4  # counting stops one past the limit


def test_the_median_of_a_long_column_comes_from_a_uniform_sample(monkeypatch):
    from mlpkit.tabular import columns

    monkeypatch.setattr(columns, "MEDIAN_SAMPLE", 1000)
    s = ColumnSummary("x", seed=0)
    values = np.arange(20_000, dtype=float)
    for block in np.array_split(values, 7):
        s.add([f"{v:g}" for v in block], list(range(len(block))), "f.csv", False)
    assert len(s._sample) == 1000  # no more than the sample's size is kept
    assert abs(s.median() - np.median(values)) < 0.05 * values.max()  # ... drawn from all of it
    assert s.mean_and_scale() == pytest.approx((values.mean(), values.std()))  # exact sums


def _message(call, *args, **kwargs):
    with pytest.raises(CSVError) as raised:
        call(*args, **kwargs)
    return str(raised.value)


def test_every_table_error_says_where_and_what_to_do(tmp_path):
    def csv(name, text):
        path = tmp_path / name
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        return path

    def fit(name, text, target="y", **options):
        path = csv(name, text)
        return _message(Preprocessing.fit, read_csv(path), target, **options), path

    good = "a,b,y\n1,x,0\n2,y,1\n3,x,1\n"
    cases = {
        "missing": ("a,b,y\n1,2,0\n1,,1\n", {"missing": "error"},
                    "{p}, line 3, column 'b': missing value (--missing impute fills it with the column's median "
                    "or most frequent value from training; --missing drop leaves the row out)"),
        "policy": (good, {"missing": "guess"}, "--missing must be one of impute, drop, error, got 'guess'"),
        "target": (good, {"target": "z"}, "{p}: no column 'z'; the columns are a, b, y"),
        "drop": (good, {"drop": ["q", "r"]}, "{p}: --drop names no column 'q', 'r'; the columns are a, b, y"),
        "id": (good, {"id": "key"}, "{p}: --id names no column 'key'; the columns are a, b, y"),
        "id_target": (good, {"id": "y"}, "{p}: --id 'y' is the target column; give --id another column"),
        "drop_target": (good, {"drop": ["y"]}, "{p}: --drop 'y' is the target column; leave it out of --drop"),
        "nothing": ("a,y\n1,0\n2,1\n", {"drop": ["a"]}, "{p}: no feature columns left besides the target 'y'"),
        "empty_columns": ("a,b,y\n,NA,0\n?,,1\n", {}, "{p}: every feature column is empty"),
        "empty_target": ("a,y\n1,NA\n2,\n", {}, "{p}: the target column 'y' has no values (every cell is missing)"),
        "no_rows": ("a,b,y\n1,,0\n,2,1\n", {"missing": "drop"},
                    "{p}: no rows left to train on once rows with missing cells are left out"),
        "one_class": ("a,y\n1,cat\n2,cat\n", {}, "{p}: target 'y' has a single class 'cat'; need at least 2"),
        "text_target": ("a,y\n1,2.5\n2,tall\n", {"task": "regression"},
                        "{p}, line 3, column 'y': 'tall' is not a number; a regression target must be numeric "
                        "(use --task classification for labels)"),
        "task": (good, {"task": "clustering"}, "task must be auto, classification or regression, got 'clustering'"),
        "inf": ("a,y\n1,0\n-inf,1\n", {}, "{p}, line 3, column 'a': -inf is not a finite number"),
    }  # fmt: skip
    for name, (text, options, message) in cases.items():
        target = options.pop("target", "y")
        said, path = fit(f"{name}.csv", text, target, **options)
        assert said == message.format(p=path), name
    reads = {
        "empty.csv": (b"", "{p}: the file is empty"),
        "blank_header.csv": (b" , \n1,2\n", "{p}, line 1: the header is empty"),
        "dupes.csv": (b"a,b,a,b\n1,2,3,4\n", "{p}, line 1: duplicate column name(s) 'a', 'b'"),
        "header_only.csv": (b"a,b\n", "{p}: no data rows after the header (line 1)"),
        "ragged.csv": (b"a,b,c\n1,2,3\n4,5\n", "{p}, line 3: 2 fields, but the header has 3"),
        "one_field.csv": (b"a,b,c\n1;2;3\n", "{p}, line 2: 1 fields, but the header has 3 (is the separator right? try --sep)"),
        "binary.csv": (b"a,b\n\xff\xfe,1\n", "{p}: not a UTF-8 text file"),
        "binary_header.csv": (b"\xff\xfe,b\n1,2\n", "{p}: not a UTF-8 text file"),
        "quote.csv": (b'a,b\n1,"2\n', "{p}, line 2: malformed CSV (unexpected end of data)"),
    }  # fmt: skip
    for name, (content, message) in reads.items():
        path = csv(name, content)
        assert _message(read_csv, path) == message.format(p=path), name
    missing_file = tmp_path / "nowhere.csv"
    assert (
        _message(read_csv, missing_file)
        == f"{missing_file}: cannot read: No such file or directory"
    )
    assert (
        _message(read_csv(csv("t.csv", good)).column, "q")
        == f"{tmp_path / 't.csv'}: no column 'q'; the columns are a, b, y"
    )


def test_applying_a_preprocessing_to_another_table_checks_it(tmp_path):
    train = tmp_path / "train.csv"
    train.write_text("a,b,y\n1,x,0\n2,y,1\n3,x,1\n")
    prep, _, _ = Preprocessing.fit(read_csv(train), "y")
    other = tmp_path / "o.csv"
    other.write_text("a,b\n1,x\n")
    assert _message(prep.encode, read_csv(other)) == (
        f"{other}: no target column 'y'; evaluating needs it (`mlpkit predict` does not)"
    )
    assert prep.transform(read_csv(other)).shape == (1, 3)  # predicting does not need it
    other.write_text("a,b,y\nten,x,0\n")
    assert _message(prep.transform, read_csv(other)) == (
        f"{other}, line 2, column 'a': 'ten' is not a number, but the column held numbers in the training data"
    )
    other.write_text("a,b,y\n1,x,2\n")
    assert _message(prep.encode, read_csv(other)) == (
        f"{other}, line 2, column 'y': unknown label 2; the model knows 0, 1"
    )
    other.write_text("a,b,y\n1,x,NA\n")
    assert (
        _message(prep.encode, read_csv(other))
        == f"{other}: no rows left once rows with missing cells are left out"
    )
    strict, _, _ = Preprocessing.fit(read_csv(train), "y", missing="error")
    other.write_text("a,b,y\n1,x,0\n,y,1\n")
    assert _message(strict.transform, read_csv(other)) == (
        f"{other}, line 3, column 'a': missing value (--missing impute fills it with the column's median or "
        "most frequent value from training; --missing drop leaves the row out)"
    )
    regression, _, _ = Preprocessing.fit(read_csv(train), "y", task="regression")
    other.write_text("a,b,y\n1,x,high\n")
    assert _message(regression.encode, read_csv(other)) == (
        f"{other}, line 2, column 'y': 'high' is not a number (use --task classification for labels)"
    )
    other.write_text("a;b;y\n1,5;x;0,5\n")  # a semicolon file's decimal commas, in a target too
    x, y, _ = regression.encode(read_csv(other))
    assert x.dtype == np.float32 and y.dtype == np.float32 and y.shape == (1, 1)
    assert regression.unscale(y)[0] == pytest.approx(0.5, rel=1e-6)
    labels = prep.encode(read_csv(train))[1]
    assert labels.dtype == np.int64 and labels.tolist() == [0, 1, 1]


def test_labels_keep_their_type_and_the_task_follows_the_target(tmp_path):
    from mlpkit.tabular.preprocessing import _label

    assert [_label(v) for v in ("1", "1.0", "1.5", "cat", "-2")] == [1, 1, 1.5, "cat", -2]
    assert isinstance(_label("1.0"), int) and isinstance(_label("1.5"), float)

    def task(values):
        path = tmp_path / "t.csv"
        path.write_text(
            "a,y\n" + "".join(f"{(i * 7) % 3 + 0.5},{v}\n" for i, v in enumerate(values))
        )
        said, note = notes()
        prep, _, _ = Preprocessing.fit(read_csv(path), "y", note=note)
        assert any("--task" in s for s in said)  # the choice is said, with the flag
        return prep.task, prep.classes

    assert task(["10", "2", "a", "2", "10"]) == (
        "classification",
        [2, 10, "a"],
    )  # numbers in order, then text
    assert task([str(i % 10) for i in range(100)])[0] == "classification"  # at most 10 classes ...
    assert task([str(i % 11) for i in range(110)])[0] == "regression"  # ... never 11
    assert task([str(i % 19) for i in range(190)])[0] == "regression"  # 19 whole numbers: a number
    assert task([str(i % 2) for i in range(10)])[0] == "classification"  # two values are classes
    assert task([f"{i % 3}.5" for i in range(12)])[0] == "regression"  # not whole: a quantity
    assert task([f"{i % 2}.5" for i in range(10)])[0] == "regression"  # fractions are not labels


def test_reading_details_separators_numbers_blank_lines_and_quoted_newlines(tmp_path):
    from mlpkit.tabular.reading import parse_number

    assert detect_separator('"a;b;c;d",e\n') == ","  # separators inside quotes do not count
    assert detect_separator("a;b;c,d\n") == ";" and detect_separator("a\tb\tc;d;e\n") == ";"
    assert detect_separator("a\tb\tc\n") == "\t" and detect_separator("only\n") == ","
    assert parse_number("1,5") is None and parse_number("1,5", decimal_comma=True) == 1.5
    assert parse_number("1,000") is None and parse_number("1.5,0", decimal_comma=True) is None
    assert parse_number("2.5") == 2.5 and parse_number("abc", decimal_comma=True) is None
    single = tmp_path / "single.csv"
    single.write_text("y\n1\n2\n")
    assert read_csv(single).columns == ["y"] and read_csv(single).sep == ","
    spaced = tmp_path / "spaced.csv"
    spaced.write_bytes(
        b'a,MAX\n1,2\n\n,\n3,4\n"x\r\ny",5\n'
    )  # blank lines, a row of empty cells, CRLF in quotes
    table = read_csv(spaced)
    assert table.columns == ["a", "MAX"] and table.rows == [["1", "2"], ["3", "4"], ["x\r\ny", "5"]]
    assert table.lines == [2, 5, 7]
    told = tmp_path / "told.csv"
    told.write_text("a,b;c\n1,2;3\n")
    assert read_csv(told, sep=";").columns == ["a,b", "c"] and read_csv(told).columns == [
        "a",
        "b;c",
    ]
    from mlpkit.tabular import read_csv_header

    assert read_csv_header(told, ";") == (["a,b", "c"], ";") and read_csv_header(told) == (
        ["a", "b;c"],
        ",",
    )
    part = table.take([2, 0])
    assert part.rows == [["x\r\ny", "5"], ["1", "2"]] and part.lines == [7, 2]
    assert (part.path, part.sep, part.columns) == (table.path, table.sep, table.columns)


def test_summaries_are_reproducible_and_add_up_across_blocks(monkeypatch, tmp_path):
    from mlpkit.tabular import columns

    monkeypatch.setattr(columns, "MEDIAN_SAMPLE", 1000)
    values = [f"{v:g}" for v in np.random.default_rng(5).normal(size=3000)]
    medians = []
    for _ in range(2):
        s = ColumnSummary("x")
        for block in (
            values[:1000],
            values[1000:2000],
            values[2000:],
        ):  # exactly the sample's size first
            s.add(block, list(range(len(block))), "f.csv", False)
        medians.append(s.median())
    assert medians[0] == medians[1]  # the same file gives the same median every time
    s = ColumnSummary("y")
    s.add(["1", "NA", "2"], [2, 3, 4], "f.csv", False)
    s.add(["", "3", "4", "?"], [5, 6, 7, 8], "f.csv", False)
    assert (s.present, s.missing) == (4, 3)
    near_constant = ColumnSummary("z")
    near_constant.add(["1000000", "1000000.0000001", "1000000"], [2, 3, 4], "f.csv", False)
    assert near_constant.mean_and_scale()[1] == 1.0  # a spread at rounding level is no spread
    header = tmp_path / "h.csv"
    header.write_text('"a,b\n1,2\n')
    with pytest.raises(CSVError, match=r", line 1: unreadable header \("):
        read_csv(header)


def test_what_the_preprocessing_says_exactly(tmp_path):
    from mlpkit.tabular.preprocessing import _names

    assert (
        _names([1, 2, 3, 4, 5]) == "1, 2, 3, 4, 5"
        and _names(list(range(6))) == "0, 1, 2, 3, 4, ... (6 in all)"
    )
    assert _names("abc", limit=2) == "'a', 'b', ... (3 in all)"
    path = tmp_path / "t.csv"
    path.write_text(
        "gone,row,name,c1,c2,n,y\n"
        + "".join(f",{i},n{i},{'ab'[i % 2]},{'xyz'[i % 3]},{i % 4 if i != 3 else 'NA'},{i % 2 if i != 5 else ''}\n"
                  for i in range(8))
    )  # fmt: skip
    said, note = notes()
    prep, x, _ = Preprocessing.fit(read_csv(path), "y", note=note)
    p = str(path)
    assert said == [
        f"{p}: column 'gone' has no values (every cell is missing): left out",
        f"{p}: column 'row' looks like a row number (unique whole numbers 0..7): left out of the "
        "inputs; --keep row uses it, --id row names it as the key",
        f"{p}: column 'name' looks like a key (8 different values in 8 rows): left out of the "
        "inputs; --keep name one-hot encodes it, --id name names it as the key",
        f"{p}: task classification: the target 'y' holds 2 different whole numbers (at most 10: "
        "read as classes); --task regression predicts it as a number",
        f"{p}: left out 1 row(s) whose target 'y' is missing",
        f"{p}: filled 1 missing cell(s) with the training median or most frequent value (n 1)",
    ]
    assert prep.dropped == ["gone", "row", "name"] and prep.features == ["c1", "c2", "n"]
    kept = [i for i in range(8) if i != 5]
    c1, c2 = np.eye(2)[[i % 2 for i in kept]], np.eye(3)[[i % 3 for i in kept]]
    n_spec = prep.columns[-1]
    n_raw = np.array([i % 4 if i != 3 else n_spec["fill"] for i in kept], dtype=float)
    np.testing.assert_array_equal(x[:, 0:2], c1)  # one-hot columns side by side, in order
    np.testing.assert_array_equal(x[:, 2:5], c2)
    np.testing.assert_allclose(x[:, 5], (n_raw - n_spec["mean"]) / n_spec["scale"], rtol=1e-6)
    np.testing.assert_allclose(
        prep.transform(read_csv(path), standardise=False)[:, 5][[0, 1, 2, 4]], [0, 1, 2, 0]
    )
    assert prep.describe()[-3:] == [
        "  n   numeric, standardised (mean 1.28571, scale 1.03016); missing -> 1",
        "  left out: gone, row, name",
        "  y   target: classification, 2 classes: 0, 1",
    ]
    assert prep.to_dict()["version"] == 2 and prep.to_dict()["missing"] == "impute"
    assert list(prep.to_dict()) == ["version", "columns", "target", "task", "classes", "target_mean",
                                    "target_scale", "id", "missing", "dropped"]  # fmt: skip
    strict = Preprocessing.from_dict({**prep.to_dict(), "missing": "error"})
    assert strict.missing == "error"


def test_applying_says_what_it_fills_ignores_and_cannot_encode(tmp_path):
    train = tmp_path / "train.csv"
    train.write_text("a,b,y\n1,x,0\n2,y,1\n3,x,1\n4,y,0\n")
    prep, _, _ = Preprocessing.fit(read_csv(train), "y")
    other = tmp_path / "other.csv"
    other.write_text("extra1,a,b,y,extra2\nq,NA,z,1,r\nq,5,x,NA,r\nq,,w,0,r\n")
    said, note = notes()
    x, y, rows = prep.encode(read_csv(other), note=note)
    p = str(other)
    assert said == [
        f"{p}: ignoring column(s) the model does not use: extra1, extra2",
        f"{p}: column 'b': 2 row(s) with value(s) not seen in training ('z', 'w'): encoded as all zeros",
        f"{p}: left out 1 row(s) whose target 'y' is missing",
        f"{p}: filled 2 missing cell(s) with the training median or most frequent value (a 2)",
    ]
    assert rows.tolist() == [0, 2] and y.tolist() == [1, 0] and x.shape == (2, 3)
    said.clear()
    x, nothing, _ = prep.encode(read_csv(other), note=note, with_target=False)
    assert nothing is None and len(x) == 3
    assert (
        f"{p}: filled 2 missing cell(s) with the training median or most frequent value (a 2)"
        in said
    )
    dropping, _, _ = Preprocessing.fit(read_csv(train), "y", missing="drop")
    other.write_text("a,b,y\nNA,x,1\n5,x,0\n,y,0\n")
    said.clear()
    x, y, rows = dropping.encode(read_csv(other), note=note)
    assert rows.tolist() == [1] and said == [
        f"{p}: left out 2 row(s) with missing cells (--missing drop)"
    ]
    assert Preprocessing.fit(read_csv(train), None)[2] is None  # no target: inputs only


def test_learn_without_a_target_and_the_streamed_checks(tmp_path, monkeypatch):
    from mlpkit.tabular import columns, preprocessing

    path = tmp_path / "s.csv"
    path.write_text("a;b;y\n1,5;x;0,5\n2,5;y;1,5\n3;x;inf\n")
    prep, kept = learn([read_csv(path).take([0, 1])], path, ["a", "b", "y"], None)
    assert (
        prep.target is None and kept == [2] and prep.columns[0]["kind"] == "categorical"
    )  # no decimal comma asked
    prep, _ = learn([read_csv(path).take([0, 1])], path, ["a", "b", "y"], "y", decimal_comma=True)
    assert prep.task == "regression" and prep.columns[0]["kind"] == "numeric"  # "0,5" read as 0.5
    assert prep.target_mean == pytest.approx(1.0)
    with pytest.raises(
        CSVError, match=rf"^{re.escape(str(path))}, line 4, column 'y': inf is not a finite number$"
    ):
        learn([read_csv(path)], path, ["a", "b", "y"], "y", decimal_comma=True)
    gappy = tmp_path / "g.csv"
    gappy.write_text("a,y\n1,0\n,1\n2,0\n3,1\n")
    with pytest.raises(CSVError, match=r"line 3, column 'a': missing value"):
        scan_csv(gappy, 2, "y", missing="error")  # found in the scan, before any training
    monkeypatch.setattr(columns, "MAX_CATEGORIES", 2)
    monkeypatch.setattr(preprocessing, "MAX_CATEGORIES", 2)
    wide = tmp_path / "w.csv"
    wide.write_text("n,t,y\n1,a,p\n2,b,q\n3,c,p\n4,d,q\n")
    assert _message(Preprocessing.fit, read_csv(wide), "y") == (
        f"{wide}: column 't' has over 2 distinct text values; leave it out with --drop t"
    )
    assert (
        Preprocessing.fit(read_csv(wide), "y", drop=["t"])[0].columns[0]["kind"] == "numeric"
    )  # numbers may vary
    wide.write_text("n,y\n1,a\n2,b\n3,c\n4,d\n")
    assert (
        _message(Preprocessing.fit, read_csv(wide), "y")
        == f"{wide}: target 'y' has over 2 distinct values"
    )


def test_models_saved_before_version_2_load_as_they_were():
    old = {"features": ["a", "b"], "mean": [1.0, 2.0], "scale": [2.0, 4.0], "target": "y",
           "task": "classification", "classes": [0, 1]}  # fmt: skip
    legacy = Preprocessing.from_dict(old)
    assert legacy.columns == [
        {"name": "a", "kind": "numeric", "fill": None, "mean": 1.0, "scale": 2.0},
        {"name": "b", "kind": "numeric", "fill": None, "mean": 2.0, "scale": 4.0},
    ]
    assert (legacy.target, legacy.task, legacy.classes, legacy.missing) == (
        "y",
        "classification",
        [0, 1],
        "error",
    )
    bare = Preprocessing.from_dict({"features": ["a"], "mean": [0.0], "scale": [1.0]})
    assert (bare.target, bare.task, bare.classes) == (None, "regression", [])


def test_file_units_skip_one_hot_inputs_however_many():
    cols = [{"name": "a", "kind": "numeric", "fill": 0.0, "mean": 1.0, "scale": 2.0},
            {"name": "c", "kind": "categorical", "fill": "x", "categories": ["x", "y", "z"]},
            {"name": "b", "kind": "numeric", "fill": 0.0, "mean": 10.0, "scale": 1.0},
            {"name": "d", "kind": "numeric", "fill": 0.0, "mean": -5.0, "scale": 0.5}]  # fmt: skip
    x = np.array([[1.0, 0.0, 1.0, 0.0, 2.0, 4.0]])
    np.testing.assert_allclose(
        Preprocessing(cols).file_units(x), [[3.0, 0.0, 1.0, 0.0, 12.0, -3.0]]
    )


def test_describe_pads_every_name_to_the_longest():
    prep = Preprocessing([{"name": "a", "kind": "numeric", "fill": 1.0, "mean": 0.0, "scale": 1.0}],
                         target="price_in_euros", task="regression", dropped=["x", "y"])  # fmt: skip
    assert (
        prep.describe()[1]
        == "  a               numeric, standardised (mean 0, scale 1); missing -> 1"
    )
    assert prep.describe()[2] == "  left out: x, y"
    alone = Preprocessing(
        [{"name": "a", "kind": "numeric", "fill": 1.0, "mean": 0.0, "scale": 1.0}]
    )
    assert alone.describe()[1] == "  a  numeric, standardised (mean 0, scale 1); missing -> 1"


def test_a_bad_byte_deep_in_a_long_file_is_named_and_take_keeps_the_separator(tmp_path):
    long = tmp_path / "long.csv"
    long.write_bytes(b"a,b\n" + b"1,2\n" * 5000 + b"\xff,3\n")  # past the first read's buffer
    assert _message(read_csv, long) == f"{long}: not a UTF-8 text file"
    semi = tmp_path / "semi.csv"
    semi.write_text("a;b\n1,5;2\n")
    assert read_csv(semi).take([0]).sep == ";"


def test_longer_lists_are_cut_and_several_fills_are_listed(tmp_path):
    cats = [{"name": "c", "kind": "categorical", "fill": "a", "categories": list("abcdefghi")}]
    assert Preprocessing(cats).describe()[1] == (
        "  c  categorical, one-hot over 9: 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', ... (9 in all); missing -> 'a'"
    )
    path = tmp_path / "f.csv"
    path.write_text("a,b,y\n1,x,0\nNA,,1\n3,y,1\n")
    said, note = notes()
    Preprocessing.fit(read_csv(path), "y", note=note)
    assert (
        said[-1]
        == f"{path}: filled 2 missing cell(s) with the training median or most frequent value (a 1, b 1)"
    )
    cols = [{"name": "a", "kind": "numeric", "fill": 0.0, "mean": 1.0, "scale": 2.0},
            {"name": "c", "kind": "categorical", "fill": "x", "categories": ["x", "y", "z"]},
            {"name": "b", "kind": "numeric", "fill": 0.0, "mean": 10.0, "scale": 1.0},
            {"name": "e", "kind": "categorical", "fill": "p", "categories": ["p", "q"]}]  # fmt: skip
    x = np.array([[1.0, 0.0, 1.0, 0.0, 2.0, 1.0, 0.0]])
    np.testing.assert_allclose(
        Preprocessing(cols).file_units(x), [[3.0, 0.0, 1.0, 0.0, 12.0, 1.0, 0.0]]
    )
