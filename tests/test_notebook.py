"""mlpkit in Jupyter: a model, a trace, a History and a gradient check render as HTML
tables, the progress bar is a widget, History.plot draws the curves, the explorer and
the playground show inline — checked in a notebook run by a real kernel (nbclient and
ipykernel) — and the training logs users look at: a CSV file and TensorBoard's own
event files, read back with TensorBoard's reader."""

from __future__ import annotations

import csv
import html
import re
import urllib.request

import numpy as np
import pytest

import mlpkit
from mlpkit import Dense

from .conftest import require

CELLS = [
    "import numpy as np, mlpkit\nfrom mlpkit import Dense\n"
    "x, y = mlpkit.datasets.xor(repeat=20, noise=0.1, seed=0)\n"
    "net = mlpkit.Sequential([Dense(2, 4, 'tanh'), Dense(4, 2, 'softmax')], seed=0)",
    "net",
    "history = net.fit(x, y, epochs=3, batch_size=16, validation_split=0.2, metrics=['accuracy'])",
    "history",
    "mlpkit.trace(net, x[:2], y[:2])",
    "mlpkit.gradcheck(net.astype('float64'), x[:4], y[:4])",
    "history.plot()",
]


def test_a_notebook_shows_tables_a_widget_and_the_curves(tmp_path):
    nbformat = require("nbformat", "pip install nbformat")
    nbclient = require("nbclient", "pip install nbclient ipykernel")
    require("ipykernel", "pip install ipykernel")
    book = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nbclient.NotebookClient(book, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()  # fmt: skip
    outputs = [cell["outputs"] for cell in book.cells]
    assert not [o for out in outputs for o in out if o["output_type"] == "error"]

    def shown(i, kind):
        return next(o["data"][kind] for o in outputs[i] if kind in o.get("data", {}))

    model = shown(1, "text/html")
    assert "<table" in model and "Dense(tanh)" in model and "total parameters: 22" in model
    # fit's progress: tqdm's notebook widget (verbose "auto" is the bar in a notebook)
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs[2])
    record = shown(3, "text/html")
    assert record.count("<tr>") == 1 + 3 and "val_accuracy" in record
    trace = shown(4, "text/html")
    assert "<caption" in trace and "forward" in trace and "backward" in trace and "∂L/∂W" in trace
    check = shown(5, "text/html")
    assert "layer0.W" in check and "PASSED" in check
    assert shown(6, "image/png")  # History.plot: the curves, drawn


def test_the_html_forms_say_what_the_text_forms_say(rng):
    x, y = mlpkit.datasets.xor(repeat=8, noise=0.1, seed=0)
    net = mlpkit.Sequential([Dense(2, 3, "relu"), Dense(3, 2, "softmax")], seed=1)
    page = net._repr_html_()
    for row in net.describe_layers():
        assert html.escape(row["layer"]) in page and str(row["params"]) in page
    history = net.fit(x, y, epochs=25, batch_size=8, verbose=0)
    table = history._repr_html_()
    assert table.count("<tr>") == 1 + 2 * mlpkit.History.HTML_EDGE + 1  # first, …, last
    assert f"{history['loss'][-1]:.4g}" in table and "<td" in table and "…" in table
    report = mlpkit.gradcheck(net.astype("float64"), x[:4], y[:4])
    assert ("ok" in report._repr_html_()) and "FAILED" not in report._repr_html_()
    tr = mlpkit.trace(net, x[:1], y[:1])
    page = tr._repr_html_()
    assert page.count("<table") == 2 and "δ1 = ∂l/∂s1" in page and f"{tr.losses[0]:.3f}" in page
    evil = mlpkit.Sequential([Dense(2, 2)], seed=0)
    evil.layers[0].__class__ = type("<script>", (Dense,), {})
    assert "<script>" not in evil._repr_html_()


def test_history_plot_draws_each_quantity_with_its_validation_curve():
    require("matplotlib", "pip install 'mlpkit[plots]'")
    x, y = mlpkit.datasets.xor(repeat=10, seed=0)
    net = mlpkit.Sequential([Dense(2, 4, "tanh"), Dense(4, 2, "softmax")], seed=0)
    history = net.fit(x, y, epochs=4, validation_split=0.25, metrics=["accuracy"], verbose=0)
    fig = history.plot()
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["loss", "accuracy"]
    lines = {line.get_label(): line for ax in fig.axes for line in ax.get_lines()}
    assert set(lines) == {"loss", "val_loss", "accuracy", "val_accuracy"}
    np.testing.assert_allclose(lines["val_loss"].get_ydata(), history["val_loss"])
    assert lines["val_loss"].get_linestyle() == "--"
    assert [ax.get_title() for ax in history.plot(keys=["loss"]).axes] == ["loss"]
    with pytest.raises(ValueError, match="no curves to draw"):
        mlpkit.History().plot()


def test_the_explorer_and_the_playground_show_inline(tmp_path):
    ae = mlpkit.Autoencoder([4, 3, 2], seed=0)
    x = np.random.default_rng(0).normal(size=(30, 4)).astype(np.float32)
    ae.fit(x, epochs=2, verbose=0)
    inline = mlpkit.explorer.show(ae, samples=x, height=500)
    frame = inline._repr_html_()
    assert frame.startswith("<iframe srcdoc=") and "height:500px" in frame
    assert html.unescape(re.search(r'srcdoc="([^"]*)"', frame)[1]) == inline.html
    assert "window.mlpkit" in inline.html
    require("uvicorn", "pip install 'mlpkit[playground]'")
    running = mlpkit.playground.show()
    try:
        assert running.url.startswith("http://127.0.0.1:") and "token=" in running.url
        assert f'src="{html.escape(running.url)}"' in running._repr_html_()
        with urllib.request.urlopen(running.url, timeout=10) as page:
            assert page.status == 200 and b"mlpkit playground" in page.read()
    finally:
        running.stop()
    assert not running.thread.is_alive()


# -- the logs -----------------------------------------------------------------------------
def test_csv_logger_writes_kerass_columns_a_row_an_epoch(tmp_path):
    x, y = mlpkit.datasets.xor(repeat=10, noise=0.1, seed=0)
    net = mlpkit.Sequential([Dense(2, 4, "tanh"), Dense(4, 2, "softmax")], seed=0)
    path = tmp_path / "log.csv"
    history = net.fit(x, y, epochs=3, validation_split=0.25, metrics=["accuracy"], verbose=0,
                      callbacks=[mlpkit.CSVLogger(path)])  # fmt: skip
    rows = list(csv.reader(path.open()))
    keys = sorted(history.history)
    assert rows[0] == ["epoch", *keys] and [r[0] for r in rows[1:]] == ["0", "1", "2"]
    for i, row in enumerate(rows[1:]):
        for key, cell in zip(keys, row[1:], strict=True):
            assert float(cell) == pytest.approx(history.history[key][i], rel=1e-12)
    # append: the header kept, the epochs go on from where the model stopped
    net.fit(x, y, epochs=2, validation_split=0.25, metrics=["accuracy"], verbose=0,
            callbacks=[mlpkit.CSVLogger(path, separator=",", append=True)])  # fmt: skip
    rows = list(csv.reader(path.open()))
    assert rows[0][0] == "epoch" and [r[0] for r in rows[1:]] == ["0", "1", "2", "3", "4"]
    # a fresh log starts the file again; a semicolon separates when asked
    net.fit(x, y, epochs=1, verbose=0, callbacks=[mlpkit.CSVLogger(path, separator=";")])
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and lines[0].startswith("epoch;")
    with pytest.raises(ValueError, match="separator must be one character"):
        mlpkit.CSVLogger(path, separator=";;")
    with pytest.raises(ValueError, match="is a folder"):
        net.fit(x, y, epochs=1, verbose=0, callbacks=[mlpkit.CSVLogger(tmp_path)])


def test_tensorboard_writes_event_files_tensorboard_reads(tmp_path):
    require("tensorboardX", "pip install 'mlpkit[tensorboard]'")
    accumulator = require(
        "tensorboard.backend.event_processing.event_accumulator", "pip install tensorboard"
    )
    x, y = mlpkit.datasets.xor(repeat=10, noise=0.1, seed=0)
    net = mlpkit.Sequential([Dense(2, 4, "tanh"), Dense(4, 2, "softmax")], seed=0)
    board = mlpkit.TensorBoard(tmp_path / "logs", histogram_freq=2)
    history = net.fit(x, y, epochs=4, validation_split=0.25, metrics=["accuracy"], verbose=0,
                      callbacks=[board])  # fmt: skip

    def read(run):
        acc = accumulator.EventAccumulator(
            str(tmp_path / "logs" / run), size_guidance={"histograms": 0}
        )
        acc.Reload()
        return acc

    train, validation = read("train"), read("validation")
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= set(train.Tags()["scalars"])
    assert [e.step for e in train.Scalars("epoch_loss")] == [0, 1, 2, 3]
    np.testing.assert_allclose(
        [e.value for e in train.Scalars("epoch_loss")], history["loss"], rtol=1e-6
    )
    np.testing.assert_allclose([e.value for e in validation.Scalars("epoch_accuracy")],
                               history["val_accuracy"], rtol=1e-6)  # fmt: skip
    assert {"layer0/W", "layer0/b", "layer1/W", "layer1/b"} <= set(train.Tags()["histograms"])
    assert [e.step for e in train.Histograms("layer0/W")] == [1, 3]  # every second epoch
    with pytest.raises(ValueError, match="histogram_freq must be a whole number >= 0"):
        mlpkit.TensorBoard(tmp_path, histogram_freq=-1)
