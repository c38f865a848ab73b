"""TransferabilitySelector: choices and values checked against hand computations."""

import numpy as np
import pandas as pd
import pytest
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import load_iris, load_wine
from sklearn.decomposition import PCA
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, GroupKFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skhscore import HScoreScorer, TransferabilitySelector, h_score

#: The doors' default score (HScoreScorer(), TransferabilitySelector's default scoring).
DEFAULT = {"shrinkage": "auto", "adjusted": True}
#: The paper's plain H-score, for the tests of properties only it has (affine invariance,
#: the size of LDA's in-sample optimism, the order of nested PCAs).
PLAIN = {"shrinkage": None, "adjusted": False}


def default_score(F, y, **kwargs):
    """h_score with the doors' defaults, unless the test's scorer sets them otherwise."""
    return h_score(F, y, **{**DEFAULT, **kwargs})


def columns(X, cols):
    return X[:, cols]


def pick(cols):
    """A fixed 'extractor' returning some columns (no fitting, so no information leak)."""
    return FunctionTransformer(columns, kw_args={"cols": list(cols)})


def planted(seed, n=150, n_classes=3, width=4, n_noise=8, signal=1.2):
    """Columns 0..width-1 carry the class signal, each the same amount; the others are noise."""
    rng = np.random.default_rng(seed)
    y = rng.permutation(np.repeat(np.arange(n_classes), n // n_classes))
    levels = np.linspace(-signal, signal, n_classes)
    centres = np.column_stack([rng.permutation(levels) for _ in range(width)])
    X = np.hstack([centres[y] + rng.normal(size=(n, width)), rng.normal(size=(n, n_noise))])
    return X, y


def hand_mean_score(make, X, y, cv, **kwargs):
    """Mean over folds of h_score of the test features, the extractor fitted on train."""
    values = []
    for train, test in cv.split(X, y):
        fitted = make().fit(X[train], y[train])
        values.append(default_score(fitted.transform(X[test]), y[test], **kwargs))
    return np.mean(values), np.array(values)


# --- the planted problem ---------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_planted_signal_is_chosen_every_time(seed):
    X, y = planted(seed)
    candidates = [
        ("noise", pick([4, 5, 6, 7])),  # same width, no signal
        ("fewer", pick([0, 5, 6, 7])),  # one informative direction of four
        ("half", pick([0, 1, 8, 9])),  # two informative directions
        ("signal", pick([0, 1, 2, 3])),  # listed last: the choice is not about order
    ]
    selector = TransferabilitySelector(candidates).fit(X, y)
    assert selector.best_name_ == "signal"
    assert list(selector.ranking_) == [4, 3, 2, 1]
    expected, per_fold = hand_mean_score(lambda: pick([0, 1, 2, 3]), X, y, StratifiedKFold(5))
    assert selector.best_score_ == pytest.approx(expected, rel=1e-10)
    for fold in range(5):
        got = selector.cv_results_[f"split{fold}_test_score"][3]
        assert got == pytest.approx(per_fold[fold], rel=1e-10)
    np.testing.assert_array_equal(selector.transform(X), X[:, :4])


# --- supervised transformers: out-of-fold vs in-sample -------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_lda_is_ranked_honestly_out_of_fold_but_not_in_sample(seed):
    # the signal lives in the two highest-variance directions; 30 noise columns let a
    # supervised LDA fit its 60 training labels far better than it generalises
    rng = np.random.default_rng(seed)

    def draw(n):
        y = np.repeat(np.arange(3), n // 3)
        means = np.array([[1.0, 0.0], [-0.5, 0.87], [-0.5, -0.87]])
        signal = means[y] + 0.7 * rng.normal(size=(n, 2))
        return np.hstack([3 * signal, rng.normal(size=(n, 30))]), y

    X, y = draw(60)
    X_fresh, y_fresh = draw(3000)
    candidates = [("lda", LinearDiscriminantAnalysis(n_components=2)), ("pca", PCA(2))]
    plain = HScoreScorer(**PLAIN)
    in_sample = TransferabilitySelector(candidates, scoring=plain, cv=None).fit(X, y)
    out_of_fold = TransferabilitySelector(candidates, scoring=plain, cv=5).fit(X, y)

    lda_fit = LinearDiscriminantAnalysis(n_components=2).fit(X, y)
    lda_in = default_score(lda_fit.transform(X), y, **PLAIN)
    assert in_sample.scores_["lda"] == pytest.approx(lda_in, rel=1e-10)
    lda_oof, _ = hand_mean_score(
        lambda: LinearDiscriminantAnalysis(n_components=2), X, y, StratifiedKFold(5), **PLAIN
    )
    assert out_of_fold.scores_["lda"] == pytest.approx(lda_oof, rel=1e-10)
    # the truth, on fresh data from the same distribution
    fresh = {
        name: default_score(clone(t).fit(X, y).transform(X_fresh), y_fresh, **PLAIN)
        for name, t in candidates
    }
    assert fresh["pca"] > fresh["lda"] + 0.2
    assert in_sample.best_name_ == "lda"  # fooled: LDA scores its own training labels
    assert in_sample.scores_["lda"] > fresh["lda"] + 0.5
    assert out_of_fold.best_name_ == "pca"  # honest
    assert abs(out_of_fold.scores_["lda"] - fresh["lda"]) < abs(
        in_sample.scores_["lda"] - fresh["lda"]
    )


def test_frozen_candidates_in_sample():
    X, y = load_wine(return_X_y=True)
    source = StandardScaler().fit_transform(X[::2])
    pretrained_wide = PCA(6).fit(source)
    pretrained_narrow = PCA(2).fit(source)
    selector = TransferabilitySelector(
        [
            ("narrow", FrozenEstimator(pretrained_narrow)),
            ("wide", FrozenEstimator(pretrained_wide)),
        ],
        scoring=HScoreScorer(**PLAIN),
        cv=None,
    ).fit(X, y)
    assert selector.n_splits_ == 1
    assert selector.scores_["narrow"] == pytest.approx(
        default_score(pretrained_narrow.transform(X), y, **PLAIN), rel=1e-12
    )
    assert selector.scores_["wide"] == pytest.approx(
        default_score(pretrained_wide.transform(X), y, **PLAIN), rel=1e-12
    )
    assert selector.best_name_ == "wide"
    # not refitted: the frozen model is used as trained on the source data
    np.testing.assert_array_equal(selector.transform(X), pretrained_wide.transform(X))
    assert selector.named_transformers_["narrow"].estimator is pretrained_narrow


# --- inside sklearn workflows --------------------------------------------------------------


def wine_candidates():
    return [
        ("pca2", PCA(2)),
        ("pca5", PCA(5)),
        ("scaled", StandardScaler()),
        ("lda", LinearDiscriminantAnalysis(n_components=1)),
    ]


def test_inside_cross_val_score_with_a_classifier():
    X, y = load_wine(return_X_y=True)
    outer = StratifiedKFold(3, shuffle=True, random_state=0)
    inner = StratifiedKFold(3)
    pipe = make_pipeline(
        TransferabilitySelector(wine_candidates(), cv=inner), LogisticRegression(max_iter=5000)
    )
    got = cross_val_score(pipe, X, y, cv=outer, error_score="raise")
    expected = []
    for train, test in outer.split(X, y):
        Xtr, ytr = X[train], y[train]
        means = [
            hand_mean_score(lambda t=t: clone(t), Xtr, ytr, inner)[0] for _, t in wine_candidates()
        ]
        best = clone(wine_candidates()[int(np.argmax(means))][1]).fit(Xtr, ytr)
        clf = LogisticRegression(max_iter=5000).fit(best.transform(Xtr), ytr)
        expected.append(accuracy_score(y[test], clf.predict(best.transform(X[test]))))
    np.testing.assert_allclose(got, expected)


def test_inside_gridsearch_tuning_a_candidate_through_the_selector():
    X, y = load_wine(return_X_y=True)
    selector = TransferabilitySelector(
        [("pca", PCA()), ("lda", LinearDiscriminantAnalysis(n_components=1))],
        scoring=HScoreScorer(**PLAIN),
        cv=3,
    )
    outer = StratifiedKFold(3, shuffle=True, random_state=1)
    search = GridSearchCV(selector, {"pca__n_components": [1, 6]}, cv=outer).fit(X, y)
    for j, params in enumerate(search.cv_results_["params"]):
        for fold, (train, test) in enumerate(outer.split(X, y)):
            fitted = clone(selector).set_params(**params).fit(X[train], y[train])
            # score() is the scorer on the chosen transformer's features
            F = fitted.best_transformer_.transform(X[test])
            expected = default_score(F, y[test], **PLAIN)
            got = search.cv_results_[f"split{fold}_test_score"][j]
            assert got == pytest.approx(expected, rel=1e-10)
    # the same with an explicit HScoreScorer (which calls selector.transform)
    explicit = GridSearchCV(
        selector, {"pca__n_components": [1, 6]}, cv=outer, scoring=HScoreScorer(**PLAIN)
    ).fit(X, y)
    np.testing.assert_allclose(
        explicit.cv_results_["mean_test_score"], search.cv_results_["mean_test_score"]
    )
    assert search.best_params_ == {"pca__n_components": 6}  # PCA(6) beats PCA(1) and LDA


# --- attributes, ties, outputs -----------------------------------------------------------------


def test_cv_results_scores_and_ranking():
    X, y = load_wine(return_X_y=True)
    selector = TransferabilitySelector(wine_candidates(), cv=4).fit(X, y)
    frame = pd.DataFrame(selector.cv_results_)
    assert list(frame["name"]) == ["pca2", "pca5", "scaled", "lda"]
    for i, (name, t) in enumerate(wine_candidates()):
        mean, per_fold = hand_mean_score(lambda t=t: clone(t), X, y, StratifiedKFold(4))
        np.testing.assert_allclose(
            frame.loc[i, [f"split{f}_test_score" for f in range(4)]], per_fold, rtol=1e-10
        )
        assert frame.loc[i, "mean_test_score"] == pytest.approx(mean, rel=1e-12)
        assert frame.loc[i, "std_test_score"] == pytest.approx(per_fold.std(), rel=1e-9)
        assert selector.scores_[name] == pytest.approx(mean, rel=1e-12)
    assert (frame[["mean_fit_time", "mean_score_time"]] >= 0).all().all()
    order = np.argsort(-frame["mean_test_score"].to_numpy(), kind="stable")
    np.testing.assert_array_equal(selector.ranking_[order], np.arange(1, 5))
    np.testing.assert_array_equal(frame["rank_test_score"], selector.ranking_)
    assert selector.best_name_ == frame["name"][order[0]]
    assert selector.best_score_ == frame["mean_test_score"].max()
    assert selector.n_features_in_ == 13
    assert set(selector.named_transformers_) == {"pca2", "pca5", "scaled", "lda"}
    assert selector.named_transformers_[selector.best_name_] is selector.best_transformer_


@pytest.mark.parametrize("first", ["scaled", "raw"])
def test_ties_go_to_the_candidate_listed_first(first):
    X, y = load_iris(return_X_y=True)  # sorted by class: stratification matters too
    pair = {"scaled": StandardScaler(), "raw": "passthrough"}
    order = [first, *(name for name in pair if name != first)]
    selector = TransferabilitySelector(
        [("pca1", PCA(1)), *((name, pair[name]) for name in order)],
        scoring=HScoreScorer(**PLAIN),
    ).fit(X, y)
    # H is affine invariant: the two differ only by rounding, and the first listed wins
    assert selector.scores_["scaled"] == pytest.approx(selector.scores_["raw"], rel=1e-12)
    assert selector.best_name_ == first
    assert list(selector.ranking_) == [3, 1, 2]
    # unstratified folds would hold one class each on this sorted data (H = 0)
    assert min(selector.cv_results_[f"split{f}_test_score"][1] for f in range(5)) > 0.5


def test_transform_feature_names_and_pandas_output():
    frame = load_wine(as_frame=True)
    X, y = frame.data, frame.target
    plain = HScoreScorer(**PLAIN)
    selector = TransferabilitySelector([("pca3", PCA(3)), ("pca1", PCA(1))], scoring=plain, cv=3)
    Xt = selector.fit_transform(X, y)
    assert selector.best_name_ == "pca3"
    np.testing.assert_allclose(Xt, PCA(3).fit(X).transform(X))
    np.testing.assert_array_equal(selector.feature_names_in_, X.columns)
    np.testing.assert_array_equal(selector.get_feature_names_out(), ["pca0", "pca1", "pca2"])
    selector.set_output(transform="pandas")
    out = selector.transform(X.iloc[10:20])
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["pca0", "pca1", "pca2"]
    np.testing.assert_array_equal(out.index, X.index[10:20])
    passthrough = TransferabilitySelector(
        [("raw", "passthrough"), ("pca1", PCA(1))], scoring=plain, cv=3
    )
    out = passthrough.set_output(transform="pandas").fit_transform(X, y)
    pd.testing.assert_frame_equal(out, X)
    assert selector.inverse_transform(selector.transform(X)).shape == X.shape


def test_score_is_the_scorer_on_the_chosen_features():
    X, y = load_wine(return_X_y=True)
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    selector = TransferabilitySelector(wine_candidates(), cv=3).fit(X[::2], y[::2])
    F = selector.best_transformer_.transform(X[1::2])
    assert selector.score(X[1::2], y[1::2]) == pytest.approx(default_score(F, y[1::2]), rel=1e-12)
    assert selector.score(X[1::2], y[1::2], sample_weight=w[1::2]) == pytest.approx(
        default_score(F, y[1::2], sample_weight=w[1::2]), rel=1e-12
    )
    shrunk = clone(selector).set_params(scoring=HScoreScorer(shrinkage="auto")).fit(X, y)
    F = shrunk.best_transformer_.transform(X)
    assert shrunk.score(X, y) == pytest.approx(default_score(F, y, shrinkage="auto"), rel=1e-12)


def test_n_jobs_gives_the_same_results_and_verbose_reports(capsys):
    X, y = load_wine(return_X_y=True)
    one = TransferabilitySelector(wine_candidates(), cv=3, verbose=2).fit(X, y)
    out = capsys.readouterr().out
    assert "Fitting 3 folds for each of 4 candidates, totalling 12 fits" in out
    assert out.count("[CV ") == 12
    assert "[CV 2/3] END pca5; score=" in out
    assert f"Selected {one.best_name_!r}" in out
    two = TransferabilitySelector(wine_candidates(), cv=3, n_jobs=2).fit(X, y)
    assert capsys.readouterr().out == ""
    for key in ("mean_test_score", "split0_test_score", "rank_test_score"):
        np.testing.assert_array_equal(one.cv_results_[key], two.cv_results_[key])


# --- failures ------------------------------------------------------------------------------------


def test_failing_candidate_gets_error_score_with_a_warning_naming_it():
    X, y = load_wine(return_X_y=True)
    candidates = [("too_wide", PCA(50)), ("pca3", PCA(3))]
    with pytest.warns(FitFailedWarning, match=r"'too_wide' failed on 3 of 3 folds.*n_components"):
        selector = TransferabilitySelector(candidates, cv=3).fit(X, y)
    assert np.isnan(selector.scores_["too_wide"])
    assert selector.best_name_ == "pca3"
    assert list(selector.ranking_) == [2, 1]
    with pytest.warns(FitFailedWarning):
        floor = TransferabilitySelector(candidates, cv=3, error_score=-1.0).fit(X, y)
    assert floor.scores_["too_wide"] == -1.0
    with pytest.raises(ValueError, match="n_components=50"):
        TransferabilitySelector(candidates, cv=3, error_score="raise").fit(X, y)
    with pytest.raises(ValueError, match=r"All 2 candidates failed.*'a'.*n_components=50"):
        TransferabilitySelector([("a", PCA(50)), ("b", PCA(60))], cv=3).fit(X, y)


def test_refit_false_keeps_only_the_scores():
    X, y = load_wine(return_X_y=True)
    selector = TransferabilitySelector(wine_candidates(), cv=3, refit=False).fit(X, y)
    assert not hasattr(selector, "best_transformer_")
    assert selector.best_name_ in selector.scores_
    with pytest.raises(NotFittedError, match="refit=True"):
        selector.transform(X)


def test_bad_candidates_get_clear_errors():
    X, y = load_wine(return_X_y=True)
    bad = [
        ([("clf", LogisticRegression())], TypeError, "not a transformer"),
        ([("x", "identity")], ValueError, "'passthrough' and 'drop'"),
        ([("a", PCA(2)), ("a", PCA(3))], ValueError, "unique"),
        ([("scorer", PCA(2))], ValueError, "reserved"),
        ([("a", "drop")], ValueError, "nothing to choose"),
        ([PCA(2)], ValueError, "tuples"),
    ]
    for transformers, error, match in bad:
        with pytest.raises(error, match=match):
            TransferabilitySelector(transformers).fit(X, y)
    with pytest.raises(ValueError, match="requires y"):
        TransferabilitySelector([("a", PCA(2))]).fit(X, None)


def test_drop_and_nested_params():
    X, y = load_wine(return_X_y=True)
    selector = TransferabilitySelector(wine_candidates(), cv=3)
    selector.set_params(lda="drop", pca5__n_components=7)
    assert selector.get_params()["pca5__n_components"] == 7
    selector.fit(X, y)
    assert "lda" not in selector.scores_
    assert selector.named_transformers_["pca5"].n_components == 7


def test_inputs_are_not_modified():
    X, y = load_wine(return_X_y=True)
    X_copy, y_copy = X.copy(), y.copy()
    candidates = wine_candidates()
    TransferabilitySelector(candidates, cv=3).fit(X, y)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    assert not hasattr(candidates[0][1], "components_")  # candidates are cloned


# --- metadata ------------------------------------------------------------------------------


def test_routing_on_sends_weights_to_the_scorer_and_requesting_candidates():
    X, y = load_wine(return_X_y=True)
    w = np.random.default_rng(3).uniform(0.2, 3.0, len(y))
    cv = StratifiedKFold(3)
    with config_context(enable_metadata_routing=True):
        selector = TransferabilitySelector(
            [
                ("scaled", StandardScaler().set_fit_request(sample_weight=True)),
                ("pca2", PCA(2)),
            ],
            scoring=HScoreScorer(shrinkage="auto").set_score_request(sample_weight=True),
            cv=cv,
        ).fit(X, y, sample_weight=w)
        for fold, (train, test) in enumerate(cv.split(X, y)):
            scaler = StandardScaler().fit(X[train], sample_weight=w[train])
            expected = default_score(
                scaler.transform(X[test]), y[test], shrinkage="auto", sample_weight=w[test]
            )
            got = selector.cv_results_[f"split{fold}_test_score"][0]
            assert got == pytest.approx(expected, rel=1e-10)
        assert selector.best_name_ == "scaled"
        np.testing.assert_allclose(
            selector.best_transformer_.mean_, np.average(X, axis=0, weights=w)
        )
        assert selector.score(X, y, sample_weight=w) == pytest.approx(
            default_score(selector.transform(X), y, shrinkage="auto", sample_weight=w), rel=1e-12
        )


def test_routing_off_weights_and_groups():
    X, y = load_wine(return_X_y=True)
    w = np.random.default_rng(4).uniform(0.2, 3.0, len(y))
    groups = np.arange(len(y)) % 6
    cv = GroupKFold(3)
    selector = TransferabilitySelector(
        [("scaled", StandardScaler()), ("raw", "passthrough")], cv=cv
    ).fit(X, y, sample_weight=w, groups=groups)
    for fold, (_, test) in enumerate(cv.split(X, y, groups)):
        expected = default_score(X[test], y[test], sample_weight=w[test])
        assert selector.cv_results_[f"split{fold}_test_score"][1] == pytest.approx(
            expected, rel=1e-10
        )
    np.testing.assert_allclose(selector.best_transformer_.mean_, np.average(X, axis=0, weights=w))


def test_routing_through_a_pipeline():
    X, y = load_wine(return_X_y=True)
    w = np.random.default_rng(5).uniform(0.2, 3.0, len(y))
    with config_context(enable_metadata_routing=True):
        selector = TransferabilitySelector(
            [("scaled", StandardScaler().set_fit_request(sample_weight=True)), ("pca", PCA(3))],
            scoring=HScoreScorer(**PLAIN).set_score_request(sample_weight=True),
            cv=3,
        )
        pipe = make_pipeline(
            selector, LogisticRegression(max_iter=5000).set_fit_request(sample_weight=True)
        ).fit(X, y, sample_weight=w)
    fitted = pipe[0]
    for fold, (_, test) in enumerate(StratifiedKFold(3).split(X, y)):
        # the plain H is affine invariant: the scaled features score as the raw ones
        expected = default_score(X[test], y[test], sample_weight=w[test], **PLAIN)
        assert fitted.cv_results_[f"split{fold}_test_score"][0] == pytest.approx(
            expected, rel=1e-9
        )
    np.testing.assert_allclose(fitted.best_transformer_.mean_, np.average(X, axis=0, weights=w))
