"""Issue 14, library part: what a new user hit in the first week, each pinned by a test.

Each test asserts a value computed independently (the paper's formula in ``_reference``, a
transcription of LogME's published algorithm below, repeated rows, rescaled inputs) or the
text of the error or warning.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from _reference import make_task, paper_hscore
from sklearn.covariance import ledoit_wolf_shrinkage
from sklearn.datasets import load_diabetes, load_digits, load_iris
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.feature_selection import RFECV, SequentialFeatureSelector
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold, cross_val_score
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_html_repr

from skhscore import (
    CrossMomentStatistics,
    HScoreFeatureSelector,
    HScoreScorer,
    HScoreStatistics,
    IncrementalHScore,
    TransferabilityRankingDisplay,
    TransferabilitySelector,
    gbc_score,
    h_score,
    h_score_from_batches,
    logme_score,
    make_transferability_scorer,
    transrate_score,
)


# ------------------------------------------------- item 2: regression-like float labels
def test_whole_number_regression_target_warns_naming_target_regression():
    X, y = load_diabetes(return_X_y=True)
    with pytest.warns(UserWarning, match=r"target='regression'") as record:
        value = h_score(X, y)
    assert "214 distinct values in 442 samples" in str(record[0].message)
    assert record[0].filename == __file__  # points at the caller, not into the package
    # still the classification value (214 classes), now announced
    assert value == pytest.approx(paper_hscore(X, y), rel=1e-8)
    with pytest.warns(UserWarning, match=r"regression=True"):
        logme_score(X, y)


def test_float_class_labels_with_many_samples_per_class_do_not_warn():
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h_score(X, y.astype(float))
        h_score(X, np.arange(150) % 30 * 1.0)  # 30 classes of 5 samples
        h_score(X, np.arange(150) % 100)  # integer labels are labels, whatever their count


# ------------------------------------------------- item 4: label types across batches
def test_number_and_text_labels_are_not_merged_into_one_class():
    X, y = make_task(0, n=60)
    first = HScoreStatistics.from_arrays(X[:30], y[:30])
    second = HScoreStatistics.from_arrays(X[30:], y[30:].astype(str))
    with pytest.raises(TypeError, match=r"numbers and strings would be merged"):
        first.merge(second)
    with pytest.raises(TypeError, match=r"not of the same type"):
        HScoreStatistics.from_arrays(X[:30], y[:30]).update(X[30:], y[30:].astype(str))
    est = IncrementalHScore().partial_fit(X[:30], y[:30])
    with pytest.raises(TypeError, match=r"y.astype\(str\)"):
        est.partial_fit(X[30:], y[30:].astype(str))
    other = IncrementalHScore().fit(X[30:], y[30:].astype(str))
    with pytest.raises(TypeError, match=r"numbers and strings"):
        IncrementalHScore().fit(X[:30], y[:30]).merge(other)
    batches = [(X[:30], y[:30]), (X[30:], y[30:].astype(str))]
    with pytest.raises(TypeError, match=r"numbers and strings"):
        h_score_from_batches(batches)
    # one call refuses the same mix
    with pytest.raises(TypeError, match=r"mixes labels of different types"):
        h_score(X, np.array([*y[:30], *y[30:].astype(str)], dtype=object))


def test_text_labels_from_str_and_object_arrays_merge():
    X, y = make_task(1, n=60)
    labels = np.array(["a", "b", "c"])[y]
    first = HScoreStatistics.from_arrays(X[:30], labels[:30])
    second = HScoreStatistics.from_arrays(X[30:], labels[30:].astype(object))
    assert h_score(first.merge(second)) == pytest.approx(paper_hscore(X, y), rel=1e-10)


# ------------------------------------------------- item 7: shrinkage LinAlgError
def test_auto_shrinkage_on_two_samples_is_clipped():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 3))
    alpha = ledoit_wolf_shrinkage(X)  # sklearn's intensity, the one "auto" reproduces
    assert -1e-12 < alpha < 1e-12  # zero, up to a rounding that can take either sign
    assert h_score(X, [0, 1], shrinkage="auto") == pytest.approx(paper_hscore(X, [0, 1]))


def test_tiny_fixed_shrinkage_on_rank_deficient_features_is_the_pinv_limit():
    rng = np.random.default_rng(0)
    y = np.arange(60) % 3
    X = (rng.normal(size=(60, 10)) + y[:, None]) @ rng.normal(size=(10, 200))  # rank 10
    limit = paper_hscore(X, y)
    assert h_score(X, y, shrinkage=1e-15) == pytest.approx(limit, rel=1e-9)
    assert h_score(X, y, shrinkage=1e-15, adjusted=True) == pytest.approx(
        h_score(X, y, adjusted=True), rel=1e-9
    )
    # continuous in the intensity: a small, factorisable one is close to the limit
    assert h_score(X, y, shrinkage=1e-9) == pytest.approx(limit, rel=1e-4)


# ------------------------------------------------- item 8: zero-weight streamed batches
def test_streamed_zero_weight_batch_matches_one_pass():
    X, y = make_task(2, n=90)
    w = np.ones(90)
    w[30:60] = 0.0
    one_pass = h_score(X, y, sample_weight=w)
    assert one_pass == pytest.approx(paper_hscore(X[w > 0], y[w > 0]), rel=1e-10)
    stats = HScoreStatistics()
    for part in (slice(0, 30), slice(30, 60), slice(60, 90)):
        stats.update(X[part], y[part], sample_weight=w[part])
    assert h_score(stats) == pytest.approx(one_pass, rel=1e-12)
    assert stats.n_samples_seen_ == 90  # rows of weight zero are seen (as documented)
    assert HScoreStatistics.from_arrays(X, y, sample_weight=w).n_samples_seen_ == 90
    est = IncrementalHScore()
    for part in (slice(30, 60), slice(0, 30), slice(60, 90)):  # the zero batch first
        est.partial_fit(X[part], y[part], classes=[0, 1, 2], sample_weight=w[part])
    assert est.n_samples_seen_ == 90
    assert est.score_ == pytest.approx(one_pass, rel=1e-12)
    batches = [(X[p], y[p], w[p]) for p in (slice(0, 30), slice(30, 60), slice(60, 90))]
    assert h_score_from_batches(batches) == pytest.approx(one_pass, rel=1e-12)


def test_stream_that_starts_with_a_zero_weight_batch_needs_no_declared_classes():
    """Without classes=..., a first batch of weight zero is seen (not refused): the stream,
    h_score_from_batches and merges give the one-pass score of the rows that weigh."""
    X, y = make_task(2, n=90)
    w = np.r_[np.zeros(30), np.ones(60)]
    one_pass = paper_hscore(X[30:], y[30:])
    batches = [(X[p], y[p], w[p]) for p in (slice(0, 30), slice(30, 60), slice(60, 90))]
    assert h_score_from_batches(batches) == pytest.approx(one_pass, rel=1e-10)
    zero = IncrementalHScore().partial_fit(X[:30], y[:30], sample_weight=w[:30])
    assert zero.n_samples_seen_ == 30 and zero.classes_.size == 0
    with pytest.raises(ValueError, match="weight zero"):
        _ = zero.score_  # nothing that weighs yet
    rest = IncrementalHScore().partial_fit(X[30:], y[30:])
    for merged in (zero.merge(rest), rest.merge(zero)):
        assert merged.n_samples_seen_ == 90
        assert merged.classes_.tolist() == [0, 1, 2]
        assert merged.score_ == pytest.approx(one_pass, rel=1e-10)
    zero.partial_fit(X[30:], y[30:])
    assert zero.score_ == pytest.approx(one_pass, rel=1e-10)


def test_dask_blocks_of_weight_zero_count_their_rows():
    da = pytest.importorskip("dask.array")
    from skhscore._engine import dask_statistics

    X, y = make_task(2, n=90)
    w = np.ones(90)
    w[30:60] = 0.0
    stats = dask_statistics(da.from_array(X, chunks=(30, -1)), y, da.from_array(w, chunks=30))
    assert stats.n_samples_seen_ == 90
    assert h_score(stats) == pytest.approx(paper_hscore(X[w > 0], y[w > 0]), rel=1e-10)


def test_zero_weight_rows_counted_in_merges_and_regression_statistics():
    X, y = make_task(3, n=40)
    w = np.r_[np.ones(20), np.zeros(20)]
    a = HScoreStatistics.from_arrays(X[:20], y[:20])
    b = HScoreStatistics.from_arrays(X[20:], y[20:], sample_weight=w[20:])
    assert b.merge(a).n_samples_seen_ == 40 and a.merge(b).n_samples_seen_ == 40
    cross = CrossMomentStatistics().update(X[:20, :3], X[:20, 3])
    cross.update(X[20:, :3], X[20:, 3], sample_weight=w[20:])
    assert cross.n_samples_seen_ == 40
    assert h_score(cross) == pytest.approx(h_score(X[:20, :3], X[:20, 3], target="regression"))


def test_all_weights_zero_is_still_an_error():
    X, y = make_task(4, n=20)
    with pytest.raises(ValueError, match=r"Every sample seen \(20\) has weight zero"):
        h_score(X, y, sample_weight=np.zeros(20))


# ------------------------------------------------- item 9: DataFrame columns, labels
@pytest.mark.parametrize("dtype", ["object", "category", "string"])
def test_text_or_categorical_feature_column_is_named(dtype):
    X = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0], "colour": ["r", "g", "r", "g"]})
    X["colour"] = X["colour"].astype(dtype)
    with pytest.raises(ValueError, match=r"non-numeric columns: 'colour'.*OneHotEncoder"):
        h_score(X, [0, 1, 0, 1])


@pytest.mark.parametrize("dtype", ["object", "category", "string"])
@pytest.mark.parametrize(
    "fit",
    [
        lambda X, y: IncrementalHScore().fit(X, y),
        lambda X, y: IncrementalHScore().partial_fit(X, y),
        lambda X, y: HScoreFeatureSelector(n_features_to_select=1).fit(X, y),
    ],
)
def test_estimators_name_a_text_feature_column_too(dtype, fit):
    X = pd.DataFrame({"size": [1.0, 2.0, 3.0, 4.0], "colour": ["r", "g", "r", "g"]})
    X["colour"] = X["colour"].astype(dtype)
    with pytest.raises(ValueError, match=r"non-numeric columns: 'colour'.*OneHotEncoder"):
        fit(X, [0, 1, 0, 1])


def test_object_column_of_numbers_is_read_as_numbers_everywhere():
    """pandas' object dtype holding only numbers is no text column: every entry point scores
    it as the float column it holds (the functions used to refuse it, the estimators not)."""
    X, y = make_task(11, n=60, k=3)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    mixed = frame.astype({"b": object})
    expected = paper_hscore(X, y)
    assert h_score(mixed, y) == pytest.approx(expected, rel=1e-10)
    assert HScoreStatistics.from_arrays(mixed, y).n_features_ == 3
    assert IncrementalHScore().fit(mixed, y).score_ == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize(
    "labels",
    [
        [0, 1, None, 1, 0, 1],
        [0.0, 1.0, np.nan, 1.0, 0.0, 1.0],
        pd.Series([0, 1, pd.NA, 1, 0, 1]),
        pd.Series([0, 1, None, 1, 0, 1], dtype="Int64"),
        pd.Series(["a", "b", None, "b", "a", "b"], dtype="string"),
        pd.Series(["a", "b", np.nan, "b", "a", "b"]),  # object column read by pandas
        np.array([0, 1, np.nan, 1, 0, 1], dtype=object),  # sorts: found among the classes
    ],
)
def test_missing_labels_are_named(labels):
    X = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(ValueError, match=r"1 missing label\(s\).*rows \[2\].*fillna"):
        h_score(X, labels)


@pytest.mark.parametrize(
    "labels",
    [
        np.array([1, "1", 0, 1, 0, 1], dtype=object),
        pd.Series([1, "1", 0, 1, 0, 1]),
        [1, "1", 0, 1, 0, 1],  # numpy alone would make 1 and "1" one class
    ],
)
def test_mixed_labels_are_named(labels):
    X = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(TypeError, match=r"e.g. 1 and '1'.*astype\(str\)"):
        h_score(X, labels)


# ------------------------------------------------- item 5: LogME, GBC, TransRate robustness
def logme_fixed_point(F, Y, iterations=20000, tol=1e-13):
    """LogME by MacKay's fixed-point updates (You et al., ICML 2021, Algorithm 1), iterated
    to convergence (or, where they run away to t -> 0, to the last finite step), then the
    evidence as the Gaussian density of y ~ N(0, F F^T / alpha + I / beta), per sample,
    averaged over the columns of Y."""
    F = np.asarray(F, dtype=np.float64)
    n = F.shape[0]
    u, s, _ = np.linalg.svd(F, full_matrices=False)
    scores = []
    for y in np.asarray(Y, dtype=np.float64).T:
        x = u.T @ y
        outside = max(y @ y - x @ x, 0.0)
        alpha, beta, best = 1.0, 1.0, -np.inf
        for _ in range(iterations):
            shrink = beta * s**2 / (alpha + beta * s**2)
            m2 = np.sum((shrink * x / s) ** 2)
            res2 = np.sum(((1 - shrink) * x) ** 2) + outside
            new_alpha, new_beta = shrink.sum() / m2, (n - shrink.sum()) / res2
            done = abs(new_alpha / alpha - 1) < tol and abs(new_beta / beta - 1) < tol
            alpha, beta = new_alpha, new_beta
            with np.errstate(all="ignore"):
                evidence = gaussian_log_evidence(F, y[:, None], alpha, beta)
            if not np.isfinite(evidence):
                break  # the updates ran away (t -> 0): keep the last finite evidence
            best = max(best, evidence)
            if done:
                break
        scores.append(best)
    return float(np.mean(scores))


def onehot(y):
    return (np.asarray(y)[:, None] == np.unique(y)).astype(float)


@pytest.mark.parametrize("shape", [(80, 6), (30, 12)])
def test_logme_matches_the_published_fixed_point(shape):
    n, k = shape
    X, y = make_task(5, n=n, k=k, signal=0.7)
    assert logme_score(X, y) == pytest.approx(logme_fixed_point(X, onehot(y)), rel=1e-7)


def test_logme_interpolation_limit_is_the_fixed_point_limit():
    # n < k, distinct rows: the evidence rises towards a finite limit as t -> 0
    X, y = make_task(6, n=20, k=50)
    reference = logme_fixed_point(X, onehot(y))
    assert logme_score(X, y) == pytest.approx(reference, rel=1e-6)
    assert logme_score(X, y) >= reference - 1e-9  # the supremum, not a point below it


@pytest.mark.parametrize("scale", [1e3, 1e-3, 1e200, 1e-200])
@pytest.mark.parametrize("shape", [(80, 6), (20, 50)])
def test_logme_is_scale_invariant_at_any_magnitude(scale, shape):
    X, y = make_task(7, n=shape[0], k=shape[1])
    base = logme_score(X, y)
    assert logme_score(X * scale, y) == pytest.approx(base, rel=1e-10)
    assert logme_score(HScoreStatistics.from_arrays(X * scale, y)) == pytest.approx(
        logme_score(HScoreStatistics.from_arrays(X, y)), rel=1e-10
    )
    # a regression target scaled by c shifts the evidence by -log(c)
    target = X[:, 0] + 0.1 * np.arange(shape[0])
    shifted = logme_score(X[:, 1:] * scale, target * scale, regression=True) + np.log(scale)
    assert shifted == pytest.approx(logme_score(X[:, 1:], target, regression=True), rel=1e-9)


def test_logme_weights_equal_repeated_rows():
    X, y = make_task(8, n=60, k=5)
    w = np.ones(60)
    w[:7] = 3.0
    repeated = np.r_[np.arange(60), np.repeat(np.arange(7), 2)]
    assert logme_score(X, y, sample_weight=w) == pytest.approx(
        logme_score(X[repeated], y[repeated]), rel=1e-10
    )


def test_logme_unbounded_evidence_is_inf_with_a_warning():
    X, y = make_task(9, n=20, k=50)
    duplicated = np.r_[np.arange(20), 0]
    w = np.ones(20)
    w[0] = 2.0
    encoded = np.c_[onehot(y), X[:, :2]]
    for args, kwargs in [
        ((X[duplicated], y[duplicated]), {}),
        ((X[duplicated] * 1e3, y[duplicated]), {}),
        ((X, y), {"sample_weight": w}),
        ((encoded, y), {}),
    ]:
        with pytest.warns(UserWarning, match=r"LogME is \+inf here.*duplicated rows"):
            assert logme_score(*args, **kwargs) == np.inf
    # independently: the marginal likelihood y ~ N(0, F F^T / alpha + I / beta) grows
    # without bound as the noise variance 1 / beta goes to 0 (alpha fixed)
    F, Y = X[duplicated], onehot(y[duplicated])
    path = [gaussian_log_evidence(F, Y, alpha=1.0, beta=beta) for beta in (1e2, 1e6, 1e10)]
    step = 0.5 * np.log(1e4) / F.shape[0]  # 1/2 log(beta) per sample: a null direction
    assert np.diff(path) == pytest.approx([step, step], rel=0.05)


def gaussian_log_evidence(F, Y, alpha, beta):
    """Mean over columns of log N(y; 0, F F^T / alpha + I / beta) / n, in dense algebra."""
    n = F.shape[0]
    C = F @ F.T / alpha + np.eye(n) / beta
    _, logdet = np.linalg.slogdet(C)
    quad = np.einsum("ij,ij->j", Y, np.linalg.solve(C, Y))
    return float(np.mean(-0.5 * (quad + logdet + n * np.log(2 * np.pi)) / n))


def test_gbc_and_transrate_at_extreme_magnitudes():
    X, y = make_task(10, n=90, k=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow, no nan
        huge, tiny = gbc_score(X * 1e200, y), gbc_score(X * 1e-200, y)
        # at 1e200 the floor of 1e-4 is negligible, as a floor of 1e-300 is at scale 1
        assert huge == pytest.approx(gbc_score(X, y, min_variance=1e-300), rel=1e-10)
        # at 1e-200 every variance is the floor: the classes overlap completely
        assert tiny == -3 * 2
        for scale in (1e200, 1e-200, 1e160):
            assert transrate_score(X * scale, y) == pytest.approx(
                transrate_by_eigenvalues(X, y, scale), rel=1e-9, abs=1e-300
            )


def transrate_by_eigenvalues(X, y, scale, eps=1e-4):
    """TransRate of X * scale: 1/2 sum log(1 + scale^2 l_i / (n eps)) over the eigenvalues
    l_i of the centred scatter, in logs (scale^2 itself overflows)."""

    def rate(Z):
        lam = np.clip(np.linalg.eigvalsh(Z.T @ Z), 1e-300, None)
        return 0.5 * np.sum(
            np.logaddexp(0, np.log(lam) + 2 * np.log(scale) - np.log(len(Z) * eps))
        )

    X = X - X.mean(axis=0)  # centred once, as a whole (the class parts are not re-centred)
    return rate(X) - np.mean([rate(X[y == c]) for c in np.unique(y)])


# ------------------------------------------------- item 3: a bare classifier in a search
def _folds(X, y, cv):
    return [(X[train], y[train], X[test], y[test]) for train, test in cv.split(X, y)]


def test_sequential_feature_selector_around_a_bare_classifier():
    X, y = load_wine_scaled()
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    sfs = SequentialFeatureSelector(
        LogisticRegression(max_iter=5000),
        n_features_to_select=3,
        scoring=HScoreScorer(shrinkage=None, adjusted=False),  # the paper's score
        cv=cv,
    ).fit(X, y)
    # independently: greedy forward search on the mean held-out H-score of the paper
    chosen = []
    for _ in range(3):
        gains = {
            j: np.mean(
                [paper_hscore(Xte[:, [*chosen, j]], yte) for _, _, Xte, yte in _folds(X, y, cv)]
            )
            for j in range(X.shape[1])
            if j not in chosen
        }
        chosen.append(max(gains, key=gains.get))
    assert sorted(np.flatnonzero(sfs.get_support())) == sorted(chosen)
    assert sorted(chosen) != [0, 1, 2]  # not the first columns of an all-nan search


def test_rfecv_with_the_plain_score_keeps_every_column():
    X, y = load_wine_scaled()
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    plain = HScoreScorer(shrinkage=None, adjusted=False)
    rfecv = RFECV(LogisticRegression(max_iter=5000), scoring=plain, cv=cv).fit(X, y)
    means = rfecv.cv_results_["mean_test_score"]
    full = np.mean([paper_hscore(Xte, yte) for _, _, Xte, yte in _folds(X, y, cv)])
    assert means[-1] == pytest.approx(full, rel=1e-9)
    # plain H never decreases when a column is added: the largest set always wins
    assert np.all(np.diff(means) >= -1e-12)
    assert rfecv.n_features_ == X.shape[1]


def test_selector_warns_when_a_candidate_scores_nan_everywhere():
    X, y = load_wine_scaled()

    def nan_for_pca(estimator, X, y):
        return np.nan if isinstance(estimator, PCA) else h_score(estimator.transform(X), y)

    selector = TransferabilitySelector(
        [("pca", PCA(2)), ("raw", "passthrough")], scoring=nan_for_pca
    )
    with pytest.warns(UserWarning, match=r"Candidate 'pca' scored nan on every fold"):
        selector.fit(X, y)
    assert selector.best_name_ == "raw"


def load_wine_scaled():
    from sklearn.datasets import load_wine
    from sklearn.preprocessing import scale

    X, y = load_wine(return_X_y=True)
    return scale(X), y


# ------------------------------------------------- item 6: test folds lacking classes
def test_selector_warns_when_test_folds_lack_classes():
    X, y = load_digits(return_X_y=True)
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]  # sorted by class, as on disk: each fold holds two classes
    cv = KFold(5)
    lacking = [np.setdiff1d(np.unique(y), y[test]) for _, test in cv.split(X)]
    message = (
        f"{sum(m.size > 0 for m in lacking)} of 5 test folds lack classes present in y: "
        f"fold 0 lacks {lacking[0].tolist()}"
    )
    assert message.startswith("5 of 5 test folds")
    selector = TransferabilitySelector([("raw", "passthrough")], cv=cv)
    with pytest.warns(UserWarning, match=re.escape(message) + ".*StratifiedKFold"):
        selector.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TransferabilitySelector([("raw", "passthrough")], cv=StratifiedKFold(5)).fit(X, y)


def test_int_cv_with_a_rare_class_warns():
    X, y = load_wine_scaled()
    y = y.copy()
    y[:3] = 3  # a fourth class of three samples: five stratified folds cannot all hold it
    with pytest.warns(UserWarning, match=r"test folds lack classes present in y.*\[3\]"):
        TransferabilitySelector([("raw", "passthrough")], cv=5).fit(X, y)


# ------------------------------------------------- item 10: COO and other sparse input
@pytest.mark.parametrize("fmt", ["coo", "dia", "dok", "lil", "bsr"])
def test_selector_accepts_non_indexable_sparse_input(fmt):
    X, y = load_wine_scaled()
    X[np.abs(X) < 0.5] = 0.0
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    plain = HScoreScorer(shrinkage=None, adjusted=False)  # the paper's score
    selector = TransferabilitySelector([("raw", "passthrough")], scoring=plain, cv=cv)
    selector.fit(sp.csr_matrix(X).asformat(fmt), y)
    expected = np.mean([paper_hscore(Xte, yte) for _, _, Xte, yte in _folds(X, y, cv)])
    assert selector.scores_["raw"] == pytest.approx(expected, rel=1e-9)


# ------------------------------------------------- item 13: names, display, HTML repr
def test_selector_accepts_scorer_names():
    X, y = load_wine_scaled()
    candidates = [
        ("lda", LinearDiscriminantAnalysis()),
        ("lda_shrunk", LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")),
    ]
    selector = TransferabilitySelector(candidates, scoring="accuracy").fit(X, y)
    for name, estimator in candidates:
        expected = cross_val_score(estimator, X, y, cv=StratifiedKFold(5), scoring="accuracy")
        assert selector.scores_[name] == pytest.approx(expected.mean())
    pca = [("pca2", PCA(2)), ("pca5", PCA(5))]
    by_name = TransferabilitySelector(pca, scoring="logme").fit(X, y)
    by_scorer = TransferabilitySelector(pca, scoring=make_transferability_scorer("logme"))
    assert by_name.scores_ == pytest.approx(by_scorer.fit(X, y).scores_)
    with pytest.raises(ValueError, match=r"scoring='acuracy' is neither a metric of skhscore"):
        TransferabilitySelector(pca, scoring="acuracy").fit(X, y)


def test_ranking_display_from_grid_search_cv_results():
    X, y = load_wine_scaled()
    pipe = Pipeline([("scale", StandardScaler()), ("features", "passthrough")])
    grid = {"features": [PCA(2), PCA(6)], "scale__with_std": [True, False]}
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(pipe, grid, scoring=HScoreScorer(), cv=cv).fit(X, y)
    display = TransferabilityRankingDisplay.from_cv_results(search.cv_results_)
    assert display.names == [
        f"features={p['features']!r}, scale__with_std={p['scale__with_std']!r}"
        for p in search.cv_results_["params"]
    ]
    assert display.names[0] == "features=PCA(n_components=2), scale__with_std=True"
    np.testing.assert_array_equal(display.mean_scores, search.cv_results_["mean_test_score"])
    best = int(np.argmax(search.cv_results_["mean_test_score"]))
    assert display.order_[0] == best


def test_selector_html_repr_draws_candidates_side_by_side():
    selector = TransferabilitySelector(
        [("pca", PCA(2)), ("svd", TruncatedSVD(3)), ("raw", "passthrough")]
    )
    html = estimator_html_repr(selector)
    union = estimator_html_repr(FeatureUnion([("pca", PCA(2)), ("svd", TruncatedSVD(3))]))
    assert "sk-parallel" in html and "sk-parallel" in union  # FeatureUnion's layout
    for name in ("pca", "svd", "raw", "PCA", "TruncatedSVD"):
        assert f">{name}<" in html or f"{name}(" in html
    link = (
        "https://skhscore.readthedocs.io/en/latest/generated/skhscore.TransferabilitySelector.html"
    )
    assert selector._get_doc_link() == link and link in html


@pytest.mark.parametrize(
    "labels, dtype",
    [([0, 1], "int"), ([True, False], "int"), ([0.0, 1.0], "float")],
)
def test_object_array_of_numbers_names_the_conversion(labels, dtype):
    """pandas' object dtype holding numbers is 'unknown' to scikit-learn: the error says
    what y holds and how to convert it, in one call and in a stream."""
    X = np.random.default_rng(0).normal(size=(20, 2))
    y = pd.Series(labels * 10, dtype=object)
    expected = f"object array holding {type(labels[0]).__name__} values"
    with pytest.raises(ValueError, match=expected) as one_call:
        h_score(X, y)
    assert f"np.asarray(y, dtype={dtype})" in str(one_call.value)
    with pytest.raises(ValueError, match=expected):
        HScoreStatistics().update(X, y)
    with pytest.raises(ValueError, match=expected):
        IncrementalHScore().partial_fit(X, y)
    with pytest.raises(ValueError, match=expected):
        h_score_from_batches([(X, y)])
