"""HScoreScorer in scikit-learn workflows: every value is checked against a hand computation.

The hand computations refit the same steps on each training fold and call ``h_score`` (or an
independent oracle) on the test fold's features; they never call the scorer.
"""

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
from scipy.stats import randint
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris, load_wine
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.feature_selection import SequentialFeatureSelector
from sklearn.frozen import FrozenEstimator
from sklearn.inspection import permutation_importance
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, calinski_harabasz_score
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_val_score,
    cross_validate,
    validation_curve,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler, scale
from sklearn.utils._param_validation import InvalidParameterError

import skhscore._scorer as scorer_module
from skhscore import HScoreScorer, h_score, make_hscore_scorer, make_transferability_scorer
from tests._reference import paper_hscore

#: The doors' default score (HScoreScorer(), TransferabilitySelector's default scoring).
DEFAULT = {"shrinkage": "auto", "adjusted": True}
#: The paper's plain H-score, for the tests of properties only it has (affine invariance,
#: monotonicity in the columns) and of agreement with the paper's formula.
PLAIN = {"shrinkage": None, "adjusted": False}


def default_score(F, y, **kwargs):
    """h_score with the doors' defaults, unless the test's scorer sets them otherwise."""
    return h_score(F, y, **{**DEFAULT, **kwargs})


CV3 = StratifiedKFold(3, shuffle=True, random_state=0)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:1000], y[:1000]  # a subset keeps the suite fast


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return X, y


def hand_fold_scores(make_features, X, y, cv=CV3, **kwargs):
    """Per-fold h_score of the test features, each fold's steps fitted on its training part."""
    scores = []
    for train, test in cv.split(X, y):
        features = make_features(X[train], y[train], X[test])
        scores.append(default_score(features, y[test], **kwargs))
    return np.array(scores)


def scaled_pca(n_components):
    def make(X_train, y_train, X_test):
        scaler = StandardScaler().fit(X_train)
        pca = PCA(n_components, random_state=0).fit(scaler.transform(X_train))
        return pca.transform(scaler.transform(X_test))

    return make


# --- cross_val_score / cross_validate ------------------------------------------------------


def test_cross_val_score_equals_hand_computation_n_jobs_2(digits):
    X, y = digits
    pipe = make_pipeline(StandardScaler(), PCA(12, random_state=0), LogisticRegression())
    got = cross_val_score(
        pipe, X, y, scoring=HScoreScorer(**PLAIN), cv=CV3, n_jobs=2, error_score="raise"
    )
    expected = hand_fold_scores(scaled_pca(12), X, y, **PLAIN)
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    # and the oracle transcription of the paper agrees with the hand values
    train, test = next(CV3.split(X, y))
    oracle = paper_hscore(scaled_pca(12)(X[train], y[train], X[test]), y[test])
    np.testing.assert_allclose(got[0], oracle, rtol=1e-7)


def test_cross_validate_single_and_multi_metric_with_accuracy(digits):
    X, y = digits
    pipe = make_pipeline(StandardScaler(), PCA(10, random_state=0), LogisticRegression())
    single = cross_validate(
        pipe, X, y, scoring=HScoreScorer(), cv=CV3, n_jobs=2, error_score="raise"
    )
    multi = cross_validate(
        pipe,
        X,
        y,
        scoring={"h": HScoreScorer(), "accuracy": "accuracy"},
        cv=CV3,
        n_jobs=2,
        error_score="raise",
    )
    expected_h = hand_fold_scores(scaled_pca(10), X, y)
    expected_acc = [
        accuracy_score(y[test], clone(pipe).fit(X[train], y[train]).predict(X[test]))
        for train, test in CV3.split(X, y)
    ]
    np.testing.assert_allclose(single["test_score"], expected_h, rtol=1e-9)
    np.testing.assert_allclose(multi["test_h"], expected_h, rtol=1e-9)
    np.testing.assert_allclose(multi["test_accuracy"], expected_acc)


# --- GridSearchCV over transformers ------------------------------------------------------


def test_gridsearch_over_transformers_picks_what_h_score_ranks_first(digits):
    X, y = digits
    rng = np.random.default_rng(0)
    source = rng.permutation(len(y))[:400]  # a "pre-training" set disjoint from the target
    target = np.setdiff1d(np.arange(len(y)), source)
    pretrained = PCA(20, random_state=0).fit(StandardScaler().fit_transform(X[source]))
    X, y = X[target], y[target]
    candidates = [
        PCA(8, random_state=0),
        PCA(32, random_state=0),
        Nystroem(gamma=0.01, n_components=40, random_state=0),
        FrozenEstimator(pretrained),
        "passthrough",
    ]
    search = GridSearchCV(
        Pipeline([("scale", StandardScaler()), ("features", "passthrough")]),
        {"features": candidates},
        scoring=HScoreScorer(),
        cv=CV3,
        error_score="raise",
    ).fit(X, y)

    def by_hand(candidate):
        def make(X_train, y_train, X_test):
            scaler = StandardScaler().fit(X_train)
            if candidate == "passthrough":
                return scaler.transform(X_test)
            fitted = clone(candidate).fit(scaler.transform(X_train), y_train)
            return fitted.transform(scaler.transform(X_test))

        return hand_fold_scores(make, X, y).mean()

    expected = np.array([by_hand(c) for c in candidates])
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], expected, rtol=1e-9)
    assert np.sort(expected)[-1] - np.sort(expected)[-2] > 1e-3  # a clear winner
    assert search.best_index_ == int(np.argmax(expected))
    # the frozen pre-trained extractor was used as is, never refitted
    assert search.best_estimator_ is not None
    np.testing.assert_array_equal(pretrained.components_, candidates[3].estimator.components_)


def test_classifier_pipeline_is_scored_on_its_features_not_the_classifier(wine):
    X, y = wine
    scores = []
    for C in (0.01, 1.0, 100.0):  # the classifier's settings cannot change the score
        pipe = make_pipeline(StandardScaler(), PCA(5), LogisticRegression(C=C, max_iter=2000))
        scores.append(cross_val_score(pipe, X, y, scoring=HScoreScorer(), cv=CV3))
    np.testing.assert_allclose(scores[0], hand_fold_scores(scaled_pca(5), X, y), rtol=1e-9)
    np.testing.assert_allclose(scores[1], scores[0], rtol=1e-12)
    np.testing.assert_allclose(scores[2], scores[0], rtol=1e-12)


def test_pipeline_ending_in_lda_scores_the_features_reaching_lda(digits):
    X, y = digits
    pipe = make_pipeline(StandardScaler(), PCA(20, random_state=0), LinearDiscriminantAnalysis())
    got = cross_val_score(pipe, X, y, scoring=HScoreScorer(), cv=CV3, error_score="raise")
    np.testing.assert_allclose(got, hand_fold_scores(scaled_pca(20), X, y), rtol=1e-9)
    # not the 9-D LDA projection, which pipe.transform would give
    lda_projection = []
    for train, test in CV3.split(X, y):
        lda_projection.append(
            default_score(clone(pipe).fit(X[train], y[train]).transform(X[test]), y[test])
        )
    assert np.all(np.abs(got - np.array(lda_projection)) > 1e-3)


def test_one_step_pipeline_scores_the_input_and_bare_transformer_its_output():
    X, y = load_iris(return_X_y=True)
    pipe = make_pipeline(LogisticRegression(max_iter=1000)).fit(X, y)
    plain = HScoreScorer(**PLAIN)
    assert plain(pipe, X, y) == pytest.approx(default_score(X, y, **PLAIN), rel=1e-12)
    assert HScoreScorer()(pipe, X, y) == pytest.approx(default_score(X, y), rel=1e-12)
    lda = LinearDiscriminantAnalysis(n_components=1).fit(X, y)  # not a pipeline: transform
    F = lda.transform(X)
    assert plain(lda, X, y) == pytest.approx(default_score(F, y, **PLAIN), rel=1e-12)
    assert HScoreScorer()(lda, X, y) == pytest.approx(default_score(F, y), rel=1e-12)
    assert plain(lda, X, y) < default_score(X, y, **PLAIN) - 1e-3


def test_feature_getter_step_name_and_callable(wine):
    X, y = wine
    pipe = Pipeline(
        [("scale", StandardScaler()), ("pca", PCA(4)), ("clf", LinearDiscriminantAnalysis())]
    ).fit(X, y)
    scaled = pipe["scale"].transform(X)
    assert HScoreScorer(feature_getter="scale")(pipe, X, y) == pytest.approx(
        default_score(scaled, y), rel=1e-12
    )
    assert HScoreScorer(feature_getter="pca")(pipe, X, y) == pytest.approx(
        default_score(pipe["pca"].transform(scaled), y), rel=1e-12
    )
    first_two = HScoreScorer(feature_getter=first_two_columns)
    assert first_two(pipe, X, y) == pytest.approx(default_score(X[:, :2], y), rel=1e-12)


def first_two_columns(estimator, X):
    return X[:, :2]


def test_fitted_search_is_scored_through_its_best_estimator(wine):
    X, y = wine
    search = GridSearchCV(
        make_pipeline(StandardScaler(), PCA(), LogisticRegression(max_iter=2000)),
        {"pca__n_components": [2, 4]},
        scoring=HScoreScorer(),
        cv=CV3,
    ).fit(X, y)
    best = search.best_estimator_
    assert HScoreScorer()(search, X, y) == pytest.approx(
        default_score(best[:-1].transform(X), y), rel=1e-12
    )
    assert search.best_params_ == {"pca__n_components": 4}  # H never falls with columns


# --- other sklearn tools ------------------------------------------------------------------


def test_sequential_feature_selector_agrees_with_hand_greedy_search(wine):
    X, y = wine
    sfs = SequentialFeatureSelector(
        FunctionTransformer(), n_features_to_select=2, scoring=HScoreScorer(), cv=CV3
    ).fit(X, y)
    chosen = []
    for _ in range(2):
        candidates = [j for j in range(X.shape[1]) if j not in chosen]
        means = [
            np.mean(
                [default_score(X[test][:, chosen + [j]], y[test]) for _, test in CV3.split(X, y)]
            )
            for j in candidates
        ]
        chosen.append(candidates[int(np.argmax(means))])
    np.testing.assert_array_equal(np.flatnonzero(sfs.get_support()), sorted(chosen))


class RecordingGetter:
    """A feature_getter that records each input it is given (single process only)."""

    def __init__(self):
        self.seen = []

    def __call__(self, estimator, X):
        self.seen.append(np.array(X, copy=True))
        return estimator[:-1].transform(X)


def test_permutation_importance_agrees_with_hand_computation(wine):
    X, y = wine
    pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X, y)
    getter = RecordingGetter()
    result = permutation_importance(
        pipe,
        X,
        y,
        scoring=HScoreScorer(feature_getter=getter, **PLAIN),
        n_repeats=2,
        random_state=0,
    )
    baseline = default_score(X, y, **PLAIN)  # the scaler is affine: plain H of the raw columns
    assert len(getter.seen) == 1 + 2 * X.shape[1]
    np.testing.assert_array_equal(getter.seen[0], X)
    for col in range(X.shape[1]):
        for repeat in range(2):
            seen = getter.seen[1 + 2 * col + repeat]
            others = np.arange(X.shape[1]) != col
            np.testing.assert_array_equal(seen[:, others], X[:, others])
            np.testing.assert_array_equal(np.sort(seen[:, col]), np.sort(X[:, col]))
            expected = baseline - default_score(seen, y, **PLAIN)
            assert result.importances[col, repeat] == pytest.approx(expected, rel=1e-9, abs=1e-12)
            # monotonicity of H: the permuted column cannot lose more than the column itself
            floor = baseline - default_score(X[:, others], y, **PLAIN)
            assert result.importances[col, repeat] <= floor + 1e-9


def test_randomized_search_agrees_with_hand_computation(wine):
    X, y = wine
    search = RandomizedSearchCV(
        make_pipeline(StandardScaler(), PCA()),
        {"pca__n_components": randint(1, 13)},
        n_iter=4,
        scoring=HScoreScorer(shrinkage="auto"),
        cv=CV3,
        random_state=0,
        error_score="raise",
    ).fit(X, y)
    for i, params in enumerate(search.cv_results_["params"]):
        expected = hand_fold_scores(
            scaled_pca(params["pca__n_components"]), X, y, shrinkage="auto"
        )
        for fold in range(3):
            assert search.cv_results_[f"split{fold}_test_score"][i] == pytest.approx(
                expected[fold], rel=1e-9
            )
    means = search.cv_results_["mean_test_score"]
    assert search.best_index_ == int(np.argmax(means))


def test_validation_curve_train_and_test_scores(wine):
    X, y = wine
    param_range = [1, 3, 6]
    train_scores, test_scores = validation_curve(
        make_pipeline(StandardScaler(), PCA()),
        X,
        y,
        param_name="pca__n_components",
        param_range=param_range,
        scoring=HScoreScorer(**PLAIN),
        cv=CV3,
        error_score="raise",
    )
    for i, k in enumerate(param_range):
        np.testing.assert_allclose(test_scores[i], hand_fold_scores(scaled_pca(k), X, y, **PLAIN))
        expected_train = [
            default_score(scaled_pca(k)(X[train], y[train], X[train]), y[train], **PLAIN)
            for train, _ in CV3.split(X, y)
        ]
        np.testing.assert_allclose(train_scores[i], expected_train, rtol=1e-9)
    assert np.all(np.diff(test_scores.mean(axis=1)) > 0)


# --- pandas -----------------------------------------------------------------------------


def test_pandas_in_and_out_through_the_pipeline(monkeypatch, wine):
    X, y = wine
    frame = load_wine(as_frame=True)
    X_df, y_s = frame.data, frame.target
    pipe = make_pipeline(StandardScaler(), PCA(5), LogisticRegression(max_iter=2000)).set_output(
        transform="pandas"
    )
    seen_types = []
    real = scorer_module.h_score

    def spy(features, labels, **kwargs):
        seen_types.append(type(features))
        return real(features, labels, **kwargs)

    monkeypatch.setattr(scorer_module, "h_score", spy)
    got = cross_val_score(pipe, X_df, y_s, scoring=HScoreScorer(), cv=CV3, error_score="raise")
    assert seen_types == [pd.DataFrame] * 3
    np.testing.assert_allclose(got, hand_fold_scores(scaled_pca(5), X, y), rtol=1e-9)
    search = GridSearchCV(
        Pipeline([("scale", StandardScaler()), ("pca", PCA())]).set_output(transform="pandas"),
        {"pca__n_components": [2, 5]},
        scoring=HScoreScorer(),
        cv=CV3,
    ).fit(X_df, y_s)
    np.testing.assert_allclose(
        search.cv_results_["split0_test_score"][1], got[0], rtol=1e-9
    )  # same PCA(5) features, scored without the classifier
    assert isinstance(search.transform(X_df), pd.DataFrame)


# --- sample_weight and metadata routing ---------------------------------------------------


def weights_for(y, seed=0):
    return np.random.default_rng(seed).uniform(0.2, 3.0, size=len(y))


def hand_weighted(X, y, w, k, cv=CV3, **kwargs):
    out = []
    for train, test in cv.split(X, y):
        pca = PCA(k, random_state=0).fit(X[train])
        out.append(default_score(pca.transform(X[test]), y[test], sample_weight=w[test], **kwargs))
    return np.array(out)


def test_sample_weight_with_routing_on(wine):
    X, y = wine
    w = weights_for(y)
    with config_context(enable_metadata_routing=True):
        scoring = {
            "h": HScoreScorer().set_score_request(sample_weight=True),
            "h_auto": HScoreScorer(shrinkage="auto").set_score_request(sample_weight=True),
        }
        result = cross_validate(
            PCA(6, random_state=0), X, y, scoring=scoring, cv=CV3, params={"sample_weight": w}
        )
        np.testing.assert_allclose(result["test_h"], hand_weighted(X, y, w, 6), rtol=1e-9)
        np.testing.assert_allclose(
            result["test_h_auto"], hand_weighted(X, y, w, 6, shrinkage="auto"), rtol=1e-9
        )
        unweighted_h = hand_fold_scores(
            lambda a, b, c: PCA(6, random_state=0).fit(a).transform(c), X, y
        )
        assert np.all(np.abs(result["test_h"] - unweighted_h) > 1e-6)  # weights mattered
        # an alias, and an explicit refusal
        aliased = HScoreScorer().set_score_request(sample_weight="w")
        got = cross_val_score(
            PCA(6, random_state=0), X, y, scoring=aliased, cv=CV3, params={"w": w}
        )
        np.testing.assert_allclose(got, hand_weighted(X, y, w, 6), rtol=1e-9)
        both = cross_validate(
            PCA(6, random_state=0),
            X,
            y,
            scoring={
                "weighted": HScoreScorer().set_score_request(sample_weight=True),
                "refused": HScoreScorer().set_score_request(sample_weight=False),
            },
            cv=CV3,
            params={"sample_weight": w},
        )
        np.testing.assert_allclose(both["test_weighted"], result["test_h"], rtol=1e-12)
        np.testing.assert_allclose(both["test_refused"], unweighted_h, rtol=1e-9)
        # unset request: sklearn's standard error naming set_score_request
        with pytest.raises(UnsetMetadataPassedError, match="set_score_request"):
            cross_validate(
                PCA(6), X, y, scoring=HScoreScorer(), cv=CV3, params={"sample_weight": w}
            )
        default = HScoreScorer().get_metadata_routing()
        assert default.score.requests == {"sample_weight": None}


def test_sample_weight_with_routing_off_in_a_dict_of_scorers(wine):
    # scikit-learn issue #31599: a dict of custom scorers needs _accept_sample_weight
    X, y = wine
    w = weights_for(y, seed=1)
    search = GridSearchCV(
        StandardScaler(),
        {"with_mean": [True]},
        scoring={"h": HScoreScorer(), "h_oas": HScoreScorer(shrinkage="oas")},
        refit=False,
        cv=CV3,
        error_score="raise",
    ).fit(X, y, sample_weight=w)
    expected_h, expected_oas = [], []
    for train, test in CV3.split(X, y):
        scaler = StandardScaler().fit(X[train], sample_weight=w[train])
        F = scaler.transform(X[test])
        expected_h.append(default_score(F, y[test], sample_weight=w[test]))
        expected_oas.append(default_score(F, y[test], shrinkage="oas", sample_weight=w[test]))
    np.testing.assert_allclose(search.cv_results_["mean_test_h"], np.mean(expected_h))
    np.testing.assert_allclose(search.cv_results_["mean_test_h_oas"], np.mean(expected_oas))
    single = GridSearchCV(
        StandardScaler(), {"with_mean": [True]}, scoring=HScoreScorer(), cv=CV3, refit=False
    ).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(single.cv_results_["mean_test_score"], np.mean(expected_h))


def test_set_score_request_needs_routing_enabled():
    with pytest.raises(RuntimeError, match="enable_metadata_routing=True"):
        HScoreScorer().set_score_request(sample_weight=True)


# --- options passed to h_score --------------------------------------------------------------


def test_adjusted_and_normalized_scorers_equal_hand_computation_per_fold(wine):
    X, y = wine
    pipe = make_pipeline(StandardScaler(), PCA(5))
    adjusted = cross_val_score(pipe, X, y, scoring=HScoreScorer(shrinkage=None), cv=CV3)
    normalized = cross_val_score(
        pipe, X, y, scoring=HScoreScorer(**PLAIN, normalize="classes"), cv=CV3, n_jobs=2
    )
    for fold, (train, test) in enumerate(CV3.split(X, y)):
        F = pipe.fit(X[train]).transform(X[test])
        n, k, n_classes = F.shape[0], F.shape[1], len(np.unique(y[test]))
        raw = paper_hscore(F, y[test])
        null_mean = k * (n_classes - 1) / (n - 1)  # the matrix-Beta null mean of Pillai
        expected = (raw - null_mean) / (min(k, n_classes - 1) - null_mean)
        assert adjusted[fold] == pytest.approx(expected, rel=1e-9)
        assert normalized[fold] == pytest.approx(raw / (n_classes - 1), rel=1e-9)


def test_adjusted_scorer_prefers_narrow_signal_over_wide_noise():
    rng = np.random.default_rng(0)
    n = 120
    y = np.arange(n) % 4
    signal = np.eye(4)[y] @ rng.normal(size=(4, 2)) + rng.normal(scale=1.5, size=(n, 2))
    noise = rng.normal(size=(n, 80))
    X = np.hstack([signal, noise])
    pick_signal = FunctionTransformer(lambda Z: Z[:, :2])
    pick_noise = FunctionTransformer(lambda Z: Z[:, 2:])
    raw = [HScoreScorer(**PLAIN)(t.fit(X), X, y) for t in (pick_signal, pick_noise)]
    adj = [HScoreScorer(shrinkage=None)(t.fit(X), X, y) for t in (pick_signal, pick_noise)]
    default = [HScoreScorer()(t.fit(X), X, y) for t in (pick_signal, pick_noise)]
    assert raw[1] > raw[0]  # the width bias: 80 noise columns beat 2 informative ones
    assert adj[0] > adj[1]  # the chance-adjusted score does not fall for it
    assert default[0] > default[1]  # nor does the default


def test_shrinkage_reaches_h_score(wine):
    X, y = wine
    est = StandardScaler().fit(X)
    F = est.transform(X)
    for shrinkage in ("auto", "oas", 0.4):
        got = HScoreScorer(shrinkage=shrinkage)(est, X, y)
        assert got == pytest.approx(default_score(F, y, shrinkage=shrinkage), rel=1e-12)
        assert got != pytest.approx(default_score(F, y, **PLAIN), rel=1e-6)


# --- the generic metric scorer ----------------------------------------------------------------


def test_metric_scorer_with_another_metric(wine):
    X, y = wine
    scorer = make_transferability_scorer(calinski_harabasz_score)
    got = cross_val_score(make_pipeline(StandardScaler(), PCA(3)), X, y, scoring=scorer, cv=CV3)
    expected = []
    for train, test in CV3.split(X, y):
        F = make_pipeline(StandardScaler(), PCA(3)).fit(X[train]).transform(X[test])
        expected.append(calinski_harabasz_score(F, y[test]))
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    same = make_transferability_scorer(h_score, shrinkage="auto")
    est = PCA(4).fit(X)
    assert same(est, X, y) == HScoreScorer(adjusted=False)(est, X, y)
    assert repr(same) == "make_transferability_scorer(h_score, shrinkage='auto')"
    assert pickle.loads(pickle.dumps(same))(est, X, y) == same(est, X, y)


# --- object behaviour -------------------------------------------------------------------------


def test_repr_pickle_copy_and_factory(wine):
    X, y = wine
    assert repr(HScoreScorer()) == "HScoreScorer()"
    assert repr(HScoreScorer(shrinkage=0.5, adjusted=True)) == "HScoreScorer(shrinkage=0.5)"
    assert repr(HScoreScorer(**PLAIN)) == "HScoreScorer(shrinkage=None, adjusted=False)"
    assert repr(HScoreScorer(feature_getter=first_two_columns)) == (
        "HScoreScorer(feature_getter=first_two_columns)"
    )
    made = make_hscore_scorer(shrinkage="auto", feature_getter="pca")
    assert type(made) is HScoreScorer
    assert (made.shrinkage, made.feature_getter, made.adjusted, made.normalize) == (
        "auto",
        "pca",
        True,
        None,
    )
    est = StandardScaler().fit(X)
    scorer = HScoreScorer(shrinkage="oas")
    value = scorer(est, X, y)
    assert pickle.loads(pickle.dumps(scorer))(est, X, y) == value
    assert copy.deepcopy(scorer)(est, X, y) == value
    with config_context(enable_metadata_routing=True):
        routed = pickle.loads(pickle.dumps(HScoreScorer().set_score_request(sample_weight=True)))
        assert routed.get_metadata_routing().score.requests == {"sample_weight": True}
    assert scorer(est, X, y) == value  # stateless: calling twice gives the same value
    assert vars(scorer) == vars(HScoreScorer(shrinkage="oas"))


# --- errors -------------------------------------------------------------------------------


def test_clear_errors(wine):
    X, y = wine
    # a bare classifier or regressor is scored on its input, as a one-step pipeline is
    default = h_score(X, y, shrinkage="auto", adjusted=True)  # the scorer's default score
    assert HScoreScorer()(LogisticRegression().fit(scale(X), y), X, y) == default
    assert HScoreScorer(**PLAIN)(Ridge().fit(X, y), X, y) == h_score(X, y)
    with pytest.raises(TypeError, match="IsolationForest: it has no transform method"):
        HScoreScorer()(IsolationForest(random_state=0).fit(X), X, y)
    with pytest.raises(ValueError, match="requires y"):
        HScoreScorer()(PCA(2).fit(X), X)
    pipe = make_pipeline(StandardScaler(), PCA(2)).fit(X)
    with pytest.raises(ValueError, match=r"neither a method.*'standardscaler', 'pca'"):
        HScoreScorer(feature_getter="scale")(pipe, X, y)
    with pytest.raises(ValueError, match="neither a method of PCA"):
        HScoreScorer(feature_getter="scale")(PCA(2).fit(X), X, y)
    clf_pipe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(X, y)
    with pytest.raises(TypeError, match="no transform method"):
        HScoreScorer(feature_getter="logisticregression")(clf_pipe, X, y)
    with pytest.raises(InvalidParameterError, match="shrinkage"):
        HScoreScorer(shrinkage=2.0)
    with pytest.raises(InvalidParameterError, match="feature_getter"):
        HScoreScorer(feature_getter=3)
    with pytest.raises(InvalidParameterError, match="adjusted"):
        HScoreScorer(adjusted="yes")


def test_one_class_fold_names_stratified_kfold():
    X, y = load_iris(return_X_y=True)  # sorted by class
    with pytest.raises(ValueError, match="StratifiedKFold"):
        cross_val_score(
            make_pipeline(StandardScaler(), PCA(2)),
            X,
            y,
            scoring=HScoreScorer(),
            cv=KFold(3),
            error_score="raise",
        )
    # with the default error_score the failure becomes nan with a warning, as in sklearn
    with pytest.warns(UserWarning, match="StratifiedKFold"):
        scores = cross_val_score(
            make_pipeline(StandardScaler(), PCA(2)), X, y, scoring=HScoreScorer(), cv=3
        )
    assert np.all(np.isnan(scores))
