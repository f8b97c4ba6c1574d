"""Figures are matplotlib Figure objects, built without pyplot state."""

from __future__ import annotations

import sys

import numpy as np

from mlpkit import plots

from .conftest import make_mlp


def test_loss_curves_for_one_and_many_histories(rng, tmp_path):
    x, y = rng.normal(size=(20, 2)), rng.normal(size=(20, 1))
    a = make_mlp([2, 3, 1]).fit(x, y, epochs=3, validation_split=0.25, verbose=0)
    b = make_mlp([2, 3, 1], seed=1).fit(x, y, epochs=3, verbose=0)
    fig = plots.loss_curves(a)
    assert len(fig.axes[0].lines) == 2  # loss and val_loss, drawn from the history itself
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), a["loss"])
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), a["val_loss"])
    np.testing.assert_allclose(fig.axes[0].lines[0].get_xdata(), [1, 2, 3])
    fig = plots.loss_curves({"a": a, "b": b}, keys=("loss",), x="time", log_scale=True)
    assert [line.get_label() for line in fig.axes[0].lines] == ["a loss", "b loss"]
    fig.savefig(tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 1000
    norms = plots.gradient_norms(a).axes[0].lines
    assert len(norms) == 2
    np.testing.assert_allclose(norms[0].get_ydata(), a["grad_norm.layer0"])
    np.testing.assert_allclose(norms[1].get_ydata(), a["grad_norm.layer1"])
    assert "matplotlib.pyplot" not in sys.modules


def test_activation_grid_draws_each_function_and_derivative():
    fig = plots.activation_grid(["relu", "sigmoid", "tanh"])
    assert len(fig.axes) == 3
    relu_derivative = fig.axes[0].lines[1].get_ydata()
    assert set(np.unique(relu_derivative)) == {0.0, 1.0}


def test_confusion_matrix_counts(rng):
    fig = plots.confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 2, 0]))
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["1", "1", "0", "0", "1", "0", "1", "0", "2"]


def test_decision_boundary_and_network_diagram():
    import mlpkit

    x, y = mlpkit.datasets.moons(n_samples=60)
    net = make_mlp([2, 4, 2], output="softmax", dtype="float32")
    fig = plots.decision_boundary(net, x, y, resolution=20)
    assert len(fig.axes[0].collections) >= 2
    wide = make_mlp([3, 40, 2], hidden="relu", output="softmax")
    diagram = plots.network_diagram(wide, max_units=6)
    labels = [t.get_text() for t in diagram.axes[0].texts]
    assert (
        "relu" in labels and "softmax" in labels and labels.count("1") == 2
    )  # a bias node per layer
    assert "40 units" in labels and "⋮" in labels
