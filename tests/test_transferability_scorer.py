"""make_transferability_scorer and get_features inside scikit-learn's model-selection tools."""

import pickle

import numpy as np
import pytest
from sklearn.datasets import load_iris, load_wine
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skhscore import (
    TransferabilityScorer,
    gbc_score,
    get_features,
    h_score,
    leep_score,
    logme_score,
    make_transferability_scorer,
    nce_score,
    transrate_score,
)

CV = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)


def by_hand(make_estimator, X, y, score):
    """Fit on each training fold, score the test fold: the computation a scorer replaces."""
    values = []
    for train, test in CV.split(X, y):
        estimator = make_estimator().fit(X[train], y[train])
        values.append(score(estimator, X[test], y[test]))
    return np.array(values)


def pipe():
    return make_pipeline(StandardScaler(), PCA(n_components=3), LogisticRegression())


@pytest.mark.parametrize(
    "metric, kwargs, score",
    [
        ("logme", {}, lambda e, X, y: logme_score(e[:-1].transform(X), y)),
        ("h_score", {}, lambda e, X, y: h_score(e[:-1].transform(X), y)),
        (
            "h_score",
            {"shrinkage": "auto"},
            lambda e, X, y: h_score(e[:-1].transform(X), y, shrinkage="auto"),
        ),
        (
            "transrate",
            {"eps": 1e-2},
            lambda e, X, y: transrate_score(e[:-1].transform(X), y, eps=1e-2),
        ),
        ("gbc", {}, lambda e, X, y: gbc_score(e[:-1].transform(X), y)),
        ("leep", {}, lambda e, X, y: leep_score(e.predict_proba(X), y)),
        ("nce", {}, lambda e, X, y: nce_score(e.predict(X), y)),
    ],
)
def test_cross_val_score_equals_hand_computation(metric, kwargs, score):
    X, y = load_wine(return_X_y=True)
    scorer = make_transferability_scorer(metric, **kwargs)
    values = cross_val_score(pipe(), X, y, scoring=scorer, cv=CV, error_score="raise")
    np.testing.assert_allclose(values, by_hand(pipe, X, y, score), rtol=1e-12)


def test_grid_search_with_string_labels_equals_hand_computation():
    X, y = load_iris(return_X_y=True)
    y = np.array(["setosa", "versicolor", "virginica"])[y]
    search = GridSearchCV(
        make_pipeline(PCA(), LogisticRegression()),
        {"pca__n_components": [1, 2, 3]},
        scoring=make_transferability_scorer("logme"),
        cv=CV,
        error_score="raise",
    ).fit(X, y)
    means = []
    for i, n_components in enumerate([1, 2, 3]):

        def make(n_components=n_components):
            return make_pipeline(PCA(n_components=n_components), LogisticRegression())

        expected = by_hand(make, X, y, lambda e, X, y: logme_score(e[:-1].transform(X), y))
        means.append(expected.mean())
        for split in range(3):
            assert search.cv_results_[f"split{split}_test_score"][i] == pytest.approx(
                expected[split], rel=1e-12
            )
    assert search.best_params_ == {"pca__n_components": [1, 2, 3][int(np.argmax(means))]}


def test_scorer_pickles_and_keeps_its_value():
    X, y = load_wine(return_X_y=True)
    estimator = pipe().fit(X, y)
    scorer = make_transferability_scorer("h_score", shrinkage="auto")
    clone = pickle.loads(pickle.dumps(scorer))
    assert isinstance(clone, TransferabilityScorer)
    assert clone(estimator, X, y) == scorer(estimator, X, y)
    assert repr(clone) == "make_transferability_scorer('h_score', shrinkage='auto')"


def test_callable_metric_and_callable_feature_getter():
    X, y = load_wine(return_X_y=True)
    estimator = pipe().fit(X, y)

    def first_two(est, X):
        return est[:-1].transform(X)[:, :2]

    scorer = make_transferability_scorer(logme_score, feature_getter=first_two)
    assert scorer(estimator, X, y) == logme_score(estimator[:-1].transform(X)[:, :2], y)
    by_name = make_transferability_scorer("h_score", feature_getter="decision_function")
    assert by_name(estimator, X, y) == h_score(estimator.decision_function(X), y)


def test_get_features_rules():
    X, y = load_wine(return_X_y=True)
    fitted = pipe().fit(X, y)
    np.testing.assert_array_equal(get_features(fitted, X), fitted[:-1].transform(X))
    # a frozen pipeline behaves like the pipeline
    frozen = FrozenEstimator(fitted)
    np.testing.assert_array_equal(get_features(frozen, X), fitted[:-1].transform(X))
    # a one-step pipeline: the classifier sees X itself
    single = make_pipeline(LogisticRegression()).fit(X[:, :3], y)
    Xs = X[:, :3].copy()
    assert get_features(single, Xs) is Xs
    # a transformer: its output; LDA is a classifier with a transform of its own
    lda = LinearDiscriminantAnalysis().fit(X, y)
    np.testing.assert_array_equal(get_features(lda, X), lda.transform(X))
    transformer = make_pipeline(StandardScaler(), PCA(n_components=2)).fit(X)
    np.testing.assert_array_equal(get_features(transformer, X), transformer.transform(X))
    # a bare classifier: its input, as for the one-step pipeline
    assert get_features(LogisticRegression().fit(X[:, :3], y), Xs) is Xs
    with pytest.raises(ValueError, match="'embed' is neither a method of Pipeline"):
        get_features(fitted, X, "embed")
    # a step name gives that step's output
    np.testing.assert_array_equal(
        get_features(fitted, X, fitted.steps[0][0]), fitted[:1].transform(X)
    )


def test_sample_weight_is_passed_to_metrics_that_take_it():
    X, y = load_wine(return_X_y=True)
    estimator = pipe().fit(X, y)
    w = np.random.default_rng(0).integers(1, 3, size=len(y))
    scorer = make_transferability_scorer("logme")
    features = estimator[:-1].transform(X)
    assert scorer(estimator, X, y, sample_weight=w) == logme_score(features, y, sample_weight=w)
    with pytest.raises(TypeError, match="does not take sample_weight"):
        make_transferability_scorer("gbc")(estimator, X, y, sample_weight=w)


def test_invalid_arguments_fail_early():
    with pytest.raises(ValueError, match="Unknown transferability metric"):
        make_transferability_scorer("accuracy")
    with pytest.raises(TypeError, match="Invalid keyword arguments"):
        make_transferability_scorer("logme", shrinkage="auto")
    with pytest.raises(TypeError, match="feature_getter"):
        make_transferability_scorer("logme", feature_getter=3)
