"""The scikit-learn estimators: scikit-learn's own estimator checks with nothing
waived, the import swap, Pipeline and GridSearchCV, and the extras."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest
from sklearn import neural_network
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import mlpkit
from mlpkit.sklearn import AutoencoderTransformer, MLPClassifier, MLPRegressor


@parametrize_with_checks(
    [
        MLPClassifier(max_iter=100),
        MLPRegressor(max_iter=100),
        MLPClassifier(
            hidden_layer_sizes=(16, 16), activation="tanh", solver="sgd", learning_rate_init=0.05
        ),
        MLPRegressor(activation="gelu", max_iter=100),
        MLPClassifier(solver="lbfgs", max_iter=50),
        AutoencoderTransformer(max_iter=30),
    ]
)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(MLPClassifier, neural_network.MLPClassifier), (MLPRegressor, neural_network.MLPRegressor)],
)
def test_constructor_accepts_every_scikit_learn_parameter_with_its_default(ours, theirs):
    mine = inspect.signature(ours).parameters
    for name, param in inspect.signature(theirs).parameters.items():
        assert name in mine, name
        assert mine[name].default == param.default, name
        assert mine[name].kind == param.kind, name


def test_swapping_the_import_gives_the_same_accuracy_on_digits():
    x, y = load_digits(return_X_y=True)
    x = (x / 16).astype(np.float32)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    scores = {}
    for cls in (neural_network.MLPClassifier, MLPClassifier):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            runs = [
                cls(hidden_layer_sizes=(128,), max_iter=100, random_state=s)
                .fit(xtr, ytr)
                .score(xte, yte)
                for s in range(3)
            ]
        scores[cls] = np.mean(runs)
    ours, theirs = scores[MLPClassifier], scores[neural_network.MLPClassifier]
    assert ours > 0.95 and abs(ours - theirs) <= 0.01


def test_string_labels_probabilities_and_attributes():
    x, y = make_classification(
        n_samples=200, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    labels = np.array(["cat", "dog", "emu"])[y]
    clf = MLPClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0).fit(x, labels)
    assert list(clf.classes_) == ["cat", "dog", "emu"] and clf.n_features_in_ == 6
    proba = clf.predict_proba(x)
    assert proba.shape == (200, 3)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-10)
    assert set(clf.predict(x)) <= {"cat", "dog", "emu"} and clf.score(x, labels) > 0.75
    assert (
        len(clf.loss_curve_) == clf.n_iter_
        and clf.n_layers_ == 3
        and clf.out_activation_ == "softmax"
    )
    assert [c.shape for c in clf.coefs_] == [(6, 16), (16, 3)] and [
        b.shape for b in clf.intercepts_
    ] == [(16,), (3,)]
    binary = MLPClassifier(max_iter=50, random_state=0).fit(x, y == 1)
    assert binary.predict_proba(x).shape == (200, 2) and binary.out_activation_ == "logistic"


def test_partial_fit_needs_classes_then_learns():
    x, y = make_classification(n_samples=300, n_features=5, random_state=1)
    clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(x[:50], y[:50])
    clf.partial_fit(
        x[:50][y[:50] == 0], y[:50][y[:50] == 0], classes=[0, 1]
    )  # one class in the first batch
    for _ in range(30):
        clf.partial_fit(x, y)
    # scikit-learn counts the epochs of each call (1 per partial_fit) and the samples seen
    assert clf.n_iter_ == 1 and clf.t_ == int((y[:50] == 0).sum()) + 30 * 300
    assert clf.score(x, y) > 0.85
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'"):
        MLPClassifier(solver="lbfgs").partial_fit(x, y, classes=[0, 1])


def test_pipeline_and_grid_search():
    x, y = make_classification(n_samples=150, n_features=8, random_state=0)
    pipe = Pipeline(
        [("scale", StandardScaler()), ("mlp", MLPClassifier(max_iter=200, random_state=0))]
    )
    search = GridSearchCV(
        pipe, {"mlp__hidden_layer_sizes": [(4,), (16,)], "mlp__alpha": [1e-4, 1e-2]}, cv=3
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(x, y)
    assert search.best_score_ > 0.8 and set(search.best_params_) == {
        "mlp__hidden_layer_sizes",
        "mlp__alpha",
    }
    # every candidate was really fitted with its own settings: the scores differ, and the
    # refitted best estimator has the chosen width and alpha
    scores = search.cv_results_["mean_test_score"]
    assert len(set(np.round(scores, 6))) > 1
    best = search.best_estimator_.named_steps["mlp"]
    assert best.alpha == search.best_params_["mlp__alpha"]
    assert best.coefs_[0].shape[1] == search.best_params_["mlp__hidden_layer_sizes"][0]


def test_regressor_fits_one_and_several_outputs():
    x, y = make_regression(n_samples=200, n_features=5, n_targets=2, noise=0.1, random_state=0)
    y = y / y.std(0)
    reg = MLPRegressor(
        hidden_layer_sizes=(32,), max_iter=500, learning_rate_init=0.01, random_state=0
    ).fit(x, y)
    assert reg.predict(x).shape == (200, 2) and reg.score(x, y) > 0.9
    one = MLPRegressor(max_iter=300, random_state=0).fit(x, y[:, 0])
    assert one.predict(x).shape == (200,)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_poisson_regressor_matches_scikit_learns(solver):
    """loss="poisson" (scikit-learn 1.7+): exp output, half Poisson deviance; the fit is
    as good as scikit-learn's on Poisson counts."""
    from sklearn.metrics import mean_poisson_deviance

    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 4))
    y = rng.poisson(np.exp(0.5 * x[:, 0] - 0.3 * x[:, 1] + 0.2)).astype(float)
    settings = dict(loss="poisson", hidden_layer_sizes=(16,), solver=solver, max_iter=300,
                    learning_rate_init=0.01, random_state=0)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours = MLPRegressor(**settings).fit(x[:450], y[:450])
        theirs = neural_network.MLPRegressor(**settings).fit(x[:450], y[:450])
    assert ours.out_activation_ == theirs.out_activation_ == "exp"
    assert ours.predict(x[450:]).min() > 0
    ours_dev = mean_poisson_deviance(y[450:], ours.predict(x[450:]))
    constant = mean_poisson_deviance(y[450:], np.full(150, y[:450].mean()))
    assert ours_dev < constant  # learned the rate, not just the mean
    assert ours_dev < 1.1 * mean_poisson_deviance(y[450:], theirs.predict(x[450:]))
    with pytest.raises(ValueError, match="poisson targets must be >= 0"):
        MLPRegressor(loss="poisson", max_iter=5).fit(x[:50], y[:50] - 1)


def test_early_stopping_records_validation_curves():  # restoring: tests/test_options.py
    x, y = make_classification(n_samples=400, n_features=10, random_state=0)
    clf = MLPClassifier(
        hidden_layer_sizes=(64,),
        early_stopping=True,
        n_iter_no_change=5,
        max_iter=500,
        random_state=0,
    ).fit(x, y)
    assert clf.n_iter_ < 500 and len(clf.validation_scores_) == clf.n_iter_
    assert len(clf.validation_loss_curve_) == clf.n_iter_
    assert clf.validation_scores_[-1] < clf.best_validation_score_  # it stopped after the best
    assert "val_loss" in clf.history_.history


def test_what_scikit_learn_declined_dropout_class_weight_callbacks_activations():
    x, y = make_classification(n_samples=300, n_features=6, weights=[0.9, 0.1], random_state=0)
    plain = MLPClassifier(hidden_layer_sizes=(16,), max_iter=300, random_state=0).fit(x, y)
    weighted = MLPClassifier(
        hidden_layer_sizes=(16,), max_iter=300, random_state=0, class_weight="balanced"
    ).fit(x, y)
    assert (
        weighted.predict(x).sum() > plain.predict(x).sum()
    )  # the rare class is predicted more often
    stop = mlpkit.EarlyStopping(monitor="loss", patience=2, min_delta=1e-2)
    clf = MLPClassifier(
        hidden_layer_sizes=(16,),
        activation="gelu",
        dropout=0.2,
        callbacks=[stop],
        max_iter=500,
        random_state=0,
    ).fit(x, y)
    assert stop.stopped_epoch is not None and clf.n_iter_ < 500
    assert any(isinstance(layer, mlpkit.Dropout) for layer in clf.network_.layers)
    with pytest.raises(ValueError, match="dropout needs solver='adam' or 'sgd'"):
        MLPClassifier(solver="lbfgs", dropout=0.2).fit(x, y)


def test_sgd_adaptive_learning_rate_divides_by_five():
    x, y = make_classification(n_samples=100, n_features=4, random_state=0)
    clf = MLPClassifier(
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.5,
        n_iter_no_change=2,
        tol=10.0,
        max_iter=6,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, y)
    assert clf.history_["lr"][-1] == pytest.approx(0.5 / 5)


def test_autoencoder_transformer_in_a_pipeline():
    x, y = load_digits(return_X_y=True)
    x = x / 16
    ae = AutoencoderTransformer(
        n_components=2, hidden_layer_sizes=(32,), max_iter=20, random_state=0
    )
    z = ae.fit_transform(x)
    assert z.shape == (len(x), 2) and ae.inverse_transform(z).shape == x.shape
    assert list(ae.get_feature_names_out()) == [
        "autoencodertransformer0",
        "autoencodertransformer1",
    ]
    pipe = make_pipeline(
        AutoencoderTransformer(n_components=8, max_iter=30, random_state=0),
        MLPClassifier(max_iter=200, random_state=0),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(x[:1200], y[:1200])
    assert pipe.score(x[1200:], y[1200:]) > 0.8


def test_lbfgs_verbose_reports_each_iteration_without_deprecated_scipy_options(capsys):
    x, y = make_classification(n_samples=80, n_features=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # SciPy 1.17 deprecates iprint
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = MLPClassifier(solver="lbfgs", max_iter=5, verbose=True, random_state=0).fit(x, y)
        MLPClassifier(solver="lbfgs", max_iter=5, random_state=0).fit(x, y)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Iteration 1, loss = ")
    assert len(lines) == clf.n_iter_ == 5
    losses = [float(line.split("= ")[1]) for line in lines]
    assert losses[-1] < losses[0] and losses[-1] == pytest.approx(clf.loss_, rel=1e-6)


def _wide_sparse(rng, n=20_000, width=200_000):
    """Rows with one informative column (0..9, its parity the class) and two noise
    columns among 200,000: as dense float32 it would be 16 GB."""
    import scipy.sparse as sp

    signal = rng.integers(0, 10, n)
    cols = np.column_stack([signal, rng.integers(10, width, size=(n, 2))])
    x = sp.csr_matrix((np.ones(3 * n), cols.ravel(), np.arange(0, 3 * n + 1, 3)), shape=(n, width))
    return x, signal % 2


def test_sparse_input_trains_without_densifying(rng):
    import tracemalloc

    x, y = _wide_sparse(rng)
    clf = MLPClassifier((8,), max_iter=3, batch_size=200, learning_rate_init=0.05, random_state=0)
    tracemalloc.start()
    # (Numba's compiled Adam pays on 1.6M parameters; its import alone would be 250 MB of
    # what tracemalloc counts, none of it the data's)
    with warnings.catch_warnings(), mlpkit.fast_paths(numba=False):
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, y)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 200 * 2**20  # far below the 16 GB a dense copy would take
    assert clf.score(x[:2000], y[:2000]) > 0.95
    rows = x[:50]
    np.testing.assert_array_equal(clf.predict(rows), clf.predict(rows.toarray()))
    np.testing.assert_allclose(
        clf.predict_proba(rows.tocsc()), clf.predict_proba(rows.toarray()), rtol=1e-6
    )


def test_sparse_and_dense_training_take_the_same_steps(rng):
    import scipy.sparse as sp

    x = sp.random(120, 30, density=0.2, format="csr", random_state=1)
    y = rng.integers(0, 3, 120)
    a = mlpkit.Sequential(
        [mlpkit.Dense(30, 6, "relu"), mlpkit.Dense(6, 3, "softmax")], seed=0, dtype="float64"
    )
    b = a.copy()
    a.fit(x, y, epochs=3, batch_size=16, validation_split=0.2, verbose=0)
    b.fit(x.toarray(), y, epochs=3, batch_size=16, validation_split=0.2, verbose=0)
    for p, q in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-14)
    assert a.history["val_loss"] == pytest.approx(b.history["val_loss"], rel=1e-12)
    assert mlpkit.gradcheck(a, x[:4], y[:4]).passed
    with pytest.raises(ValueError, match="sparse X needs a Dense first layer"):
        mlpkit.Sequential([mlpkit.Dropout(0.1), mlpkit.Dense(30, 2)]).predict(x)
    bad = x.copy()
    bad.data[5] = np.nan
    with pytest.raises(ValueError, match="X contains NaN or inf in row"):
        a.predict(bad)


def test_multilabel_targets_train_sequential_and_the_wrapper(rng):
    x = rng.normal(size=(200, 4))
    y = np.column_stack([x[:, 0] > 0, x[:, 1] > 0, x[:, 0] + x[:, 1] > 0]).astype(int)
    net = mlpkit.Sequential([mlpkit.Dense(4, 16, "relu"), mlpkit.Dense(16, 3, "sigmoid")], seed=0)
    net.fit(x, y, epochs=40, batch_size=20, optimizer=mlpkit.optimizers.Adam(lr=0.02), verbose=0)
    assert net.loss.name == "binary_cross_entropy"  # the default for sigmoid outputs
    assert np.mean((net.predict(x) >= 0.5) == y) > 0.9
    clf = MLPClassifier((16,), max_iter=300, random_state=0).fit(x, y)
    assert clf.predict(x).shape == (200, 3) and clf.score(x, y) > 0.7  # all 3 labels right
    assert clf.network_.loss.sum_outputs  # scikit-learn's loss: a sum over the labels
    np.testing.assert_array_equal(clf.predict_proba(x), clf.network_.predict(x))
