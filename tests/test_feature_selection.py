"""HScoreFeatureSelector: agreement with SequentialFeatureSelector, oracles and properties."""

import numpy as np
import pytest
from _reference import make_task, paper_hscore
from scipy import stats as sp_stats
from sklearn.covariance import ledoit_wolf_shrinkage
from sklearn.datasets import load_breast_cancer, load_digits, load_wine, make_classification
from sklearn.feature_selection import SequentialFeatureSelector
from sklearn.preprocessing import FunctionTransformer

from skhscore import HScoreFeatureSelector, h_score


# ---------------------------------------------------------------- helpers
def in_sample_hscore(estimator, X, y):
    """The scorer SequentialFeatureSelector uses: h_score of the transformed features."""
    return h_score(estimator.transform(X), y)


class RecordingScorer:
    """An in-sample score that also records which column sets SequentialFeatureSelector tried.

    Columns of X must be distinct, so that each column of a candidate matrix names its index.
    """

    def __init__(self, X, score):
        self.index = {X[:, j].tobytes(): j for j in range(X.shape[1])}
        assert len(self.index) == X.shape[1]
        self.score = score
        self.calls = []

    def __call__(self, estimator, X, y):
        Z = estimator.transform(X)
        self.calls.append(frozenset(self.index[Z[:, j].tobytes()] for j in range(Z.shape[1])))
        return self.score(Z, y)


def sfs_path(X, y, m, direction, score=h_score):
    """Columns SequentialFeatureSelector picks, in the order of its steps.

    One in-sample split (train = test = all the data), so SFS scores exactly the in-sample
    H-score. The order is read from SFS's own decisions: the sets tried at step t + 1 all
    contain (forward) or are all within (backward) the set it chose at step t.
    """
    everything = np.arange(len(y))
    scorer = RecordingScorer(X, score)
    sfs = SequentialFeatureSelector(
        FunctionTransformer(),
        n_features_to_select=m,
        direction=direction,
        scoring=scorer,
        cv=[(everything, everything)],
    ).fit(X, y)
    d = X.shape[1]
    by_size = {}
    for columns in scorer.calls:
        by_size.setdefault(len(columns), []).append(columns)
    order, previous = [], frozenset() if direction == "forward" else frozenset(range(d))
    n_steps = m if direction == "forward" else d - m
    for step in range(1, n_steps + 1):
        if step < n_steps:
            size = step + 1 if direction == "forward" else d - step - 1
            sets = by_size[size]
            if direction == "forward":
                chosen = frozenset.intersection(*sets)
            else:
                chosen = frozenset.union(*sets)
        else:
            chosen = frozenset(np.flatnonzero(sfs.support_))
        (changed,) = chosen ^ previous
        order.append(changed)
        previous = chosen
    return order, sfs.support_


def digits_subset():
    X, y = load_digits(return_X_y=True)
    X, y = X[:600], y[:600]
    varying = np.flatnonzero(X.std(axis=0) > 0)
    return X[:, varying[10:34]], y


def wine():
    return load_wine(return_X_y=True)


def breast_cancer():
    return load_breast_cancer(return_X_y=True)


# ---------------------------------------------------------------- parity with SFS
@pytest.mark.parametrize("direction", ["forward", "backward"])
@pytest.mark.parametrize("seed", range(5))
def test_matches_sequential_feature_selector_random(seed, direction):
    X, y = make_task(seed, n=80, k=9, n_classes=4, signal=0.6)
    m = 5 if direction == "forward" else 3
    order, support = sfs_path(X, y, m, direction)
    selector = HScoreFeatureSelector(m, direction=direction).fit(X, y)
    assert list(selector.selection_order_) == order
    np.testing.assert_array_equal(selector.support_, support)


@pytest.mark.parametrize(
    "loader, m_forward, m_backward",
    [(wine, 7, 5), (breast_cancer, 7, 22), (digits_subset, 7, 17)],
)
@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_matches_sequential_feature_selector_real(loader, m_forward, m_backward, direction):
    X, y = loader()
    m = m_forward if direction == "forward" else m_backward
    order, support = sfs_path(X, y, m, direction)
    selector = HScoreFeatureSelector(m, direction=direction).fit(X, y)
    assert list(selector.selection_order_) == order
    np.testing.assert_array_equal(selector.support_, support)
    assert selector.n_features_to_select_ == m


def test_ties_go_to_the_lowest_index_like_sfs():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=90)
    a = rng.normal(size=90) + y
    b = rng.normal(size=90) + 0.5 * y
    X = np.column_stack([b, a, a, rng.normal(size=90)])  # columns 1 and 2 tie exactly
    # (the recording scorer needs distinct columns: compare supports step by step instead)
    everything = np.arange(90)
    for m in (1, 2):
        sfs = SequentialFeatureSelector(
            FunctionTransformer(),
            n_features_to_select=m,
            scoring=in_sample_hscore,
            cv=[(everything, everything)],
        ).fit(X, y)
        selector = HScoreFeatureSelector(m).fit(X, y)
        np.testing.assert_array_equal(selector.support_, sfs.support_)
    assert HScoreFeatureSelector(1).fit(X, y).selection_order_[0] == 1


# ---------------------------------------------------------------- the scores path
@pytest.mark.parametrize("direction", ["forward", "backward"])
@pytest.mark.parametrize("seed", range(4))
def test_scores_path_equals_h_score_of_the_subsets(seed, direction):
    X, y = make_task(seed, n=100, k=12, n_classes=5, signal=0.5)
    m = 8 if direction == "forward" else 3
    selector = HScoreFeatureSelector(m, direction=direction).fit(X, y)
    order = selector.selection_order_
    if direction == "forward":
        subsets = [order[: i + 1] for i in range(len(order))]
    else:
        subsets = [np.setdiff1d(np.arange(12), order[: i + 1]) for i in range(len(order))]
    expected = [paper_hscore(X[:, s], y) for s in subsets]
    np.testing.assert_allclose(selector.scores_path_, expected, rtol=1e-9)
    assert len(selector.scores_path_) == (m if direction == "forward" else 12 - m)


def test_scores_path_on_real_data():
    X, y = load_breast_cancer(return_X_y=True)
    selector = HScoreFeatureSelector(10).fit(X, y)
    order = selector.selection_order_
    expected = [h_score(X[:, order[: i + 1]], y) for i in range(10)]
    np.testing.assert_allclose(selector.scores_path_, expected, rtol=1e-9)
    assert np.all(np.diff(selector.scores_path_) >= 0)


def fixed_shrinkage_score(alpha, target):
    """(1 - a) tr(Sigma_a[J, J]^-1 Sigma_B[J, J]) with a and the target of all the columns."""

    def score(Z, y):
        cov = np.atleast_2d(np.cov(Z, rowvar=False, bias=True))
        means = np.zeros_like(Z)
        for label in np.unique(y):
            means[y == label] = Z[y == label].mean(axis=0)
        between = np.atleast_2d(np.cov(means, rowvar=False, bias=True))
        shrunk = (1 - alpha) * cov + alpha * target * np.eye(Z.shape[1])
        return float(np.trace(np.linalg.solve(shrunk, (1 - alpha) * between)))

    return score


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_shrinkage_is_the_greedy_on_the_shrunk_covariance(direction):
    X, y = make_task(7, n=40, k=10, n_classes=3, signal=0.5)
    X = X * np.linspace(0.5, 2.0, 10)
    alpha = ledoit_wolf_shrinkage(X)  # sklearn's Ledoit-Wolf on all the columns
    target = np.trace(np.cov(X, rowvar=False, bias=True)) / X.shape[1]
    score = fixed_shrinkage_score(alpha, target)
    m = 5
    order, _ = sfs_path(X, y, m, direction, score=score)
    selector = HScoreFeatureSelector(m, direction=direction, shrinkage="auto").fit(X, y)
    assert selector.shrinkage_ == pytest.approx(alpha, rel=1e-10)
    assert list(selector.selection_order_) == order
    if direction == "forward":
        subsets = [selector.selection_order_[: i + 1] for i in range(m)]
        expected = [score(X[:, s], y) for s in subsets]
        np.testing.assert_allclose(selector.scores_path_, expected, rtol=1e-9)


# ---------------------------------------------------------------- degenerate columns
def test_collinear_and_constant_columns_add_exactly_zero():
    rng = np.random.default_rng(3)
    n = 120
    y = rng.integers(0, 3, size=n)
    base = rng.normal(size=(n, 3)) + y[:, None] * np.array([1.0, 0.5, 0.2])
    X = np.column_stack(
        [
            base,
            np.full(n, 0.1),  # constant, not exactly representable
            base[:, 0] * 3.0 - 7.0,  # affine copy of column 0
            base[:, 1] - 2.0 * base[:, 2],  # linear combination
            base[:, 2] + 1e-13 * rng.normal(size=n),  # collinear below the rank tolerance
            np.zeros(n),
        ]
    )
    selector = HScoreFeatureSelector(X.shape[1]).fit(X, y)
    order, path = selector.selection_order_, selector.scores_path_
    # the three real columns come first, then the degenerate ones, lowest index first
    assert sorted(order[:3]) == [0, 1, 2]
    assert list(order[3:]) == [3, 4, 5, 6, 7]
    assert np.all(np.isfinite(path)) and np.all(path >= 0)
    assert np.all(path[3:] == path[2])  # exactly zero gain, not merely small
    assert path[-1] == pytest.approx(h_score(X, y), rel=1e-10)
    assert path[-1] == pytest.approx(paper_hscore(X[:, :3], y), rel=1e-10)
    # "auto" never takes a column that adds nothing
    auto = HScoreFeatureSelector().fit(X, y)
    assert set(auto.selection_order_) <= {0, 1, 2}


def test_backward_drops_dependent_columns_first_without_nan():
    rng = np.random.default_rng(4)
    n = 60
    y = rng.integers(0, 3, size=n)
    base = rng.normal(size=(n, 4)) + 0.7 * y[:, None]
    X = np.column_stack([base[:, 0] + base[:, 1], base, np.full(n, 2.5), base[:, 3]])
    # columns: 0 = 1 + 2, 1..4 base, 5 constant, 6 = copy of 4
    selector = HScoreFeatureSelector(3, direction="backward").fit(X, y)
    order = list(selector.selection_order_)
    # zero-loss removals first, in increasing column order: 0 (in the span of 1, 2), the
    # copy 4 (same as 6), then the constant 5
    assert order[:3] == [0, 4, 5]
    assert np.all(np.isfinite(selector.scores_path_))
    np.testing.assert_allclose(selector.scores_path_[:3], h_score(X, y), rtol=1e-10)
    kept = selector.get_support(indices=True)
    assert selector.scores_path_[-1] == pytest.approx(h_score(X[:, kept], y), rel=1e-10)


def test_more_columns_than_samples():
    X, y = make_task(2, n=25, k=40, n_classes=3)
    for direction in ("forward", "backward"):
        selector = HScoreFeatureSelector(10, direction=direction).fit(X, y)
        kept = selector.get_support(indices=True)
        assert np.all(np.isfinite(selector.scores_path_))
        assert selector.scores_path_[-1] == pytest.approx(h_score(X[:, kept], y), rel=1e-8)
        assert selector.scores_path_.max() <= 2.0 + 1e-12


def test_affine_rescaling_of_columns_does_not_change_the_selection():
    X, y = make_task(5, n=150, k=10, n_classes=4, signal=0.5)
    scale = 10.0 ** np.linspace(-8, 8, 10)
    for direction in ("forward", "backward"):
        a = HScoreFeatureSelector(5, direction=direction).fit(X, y)
        b = HScoreFeatureSelector(5, direction=direction).fit((X + 3.0) * scale, y)
        np.testing.assert_array_equal(a.selection_order_, b.selection_order_)
        np.testing.assert_allclose(a.scores_path_, b.scores_path_, rtol=1e-8)


# ---------------------------------------------------------------- the partial test
def partial_f_pvalue(X, y, others, j):
    """Rao's test of additional information by two least-squares fits (ANCOVA F test)."""
    n = len(y)
    labels = np.unique(y)
    dummies = (y[:, None] == labels[1:]).astype(float)
    base = np.column_stack([np.ones(n), X[:, others]])
    full = np.column_stack([base, dummies])

    def rss(design):
        coef, *_ = np.linalg.lstsq(design, X[:, j], rcond=None)
        return float(np.sum((X[:, j] - design @ coef) ** 2))

    df1, df2 = len(labels) - 1, n - len(labels) - len(others)
    F = (rss(base) - rss(full)) / df1 / (rss(full) / df2)
    return sp_stats.f.sf(F, df1, df2)


@pytest.mark.parametrize("seed", range(3))
def test_pvalues_path_is_the_partial_f_test(seed):
    X, y = make_task(seed, n=90, k=8, n_classes=4, signal=0.3)
    forward = HScoreFeatureSelector(6).fit(X, y)
    order = list(forward.selection_order_)
    expected = [partial_f_pvalue(X, y, order[:i], order[i]) for i in range(6)]
    np.testing.assert_allclose(forward.pvalues_path_, expected, rtol=1e-6, atol=1e-300)

    backward = HScoreFeatureSelector(2, direction="backward").fit(X, y)
    removed = list(backward.selection_order_)
    expected = []
    for i, j in enumerate(removed):
        left = [c for c in range(8) if c not in removed[: i + 1]]
        expected.append(partial_f_pvalue(X, y, left, j))
    np.testing.assert_allclose(backward.pvalues_path_, expected, rtol=1e-6, atol=1e-300)


# ---------------------------------------------------------------- "auto"
@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_auto_keeps_informative_and_drops_noise(direction):
    n_informative, n_features = 6, 40
    kept, noise = [], []
    for seed in range(6):
        X, y = make_classification(
            n_samples=800,
            n_features=n_features,
            n_informative=n_informative,
            n_redundant=0,
            n_classes=4,
            n_clusters_per_class=1,
            shuffle=False,  # the informative columns come first
            random_state=seed,
        )
        support = HScoreFeatureSelector(direction=direction).fit(X, y).support_
        kept.append(support[:n_informative].mean())
        noise.append(support[n_informative:].mean())
    kept, noise = np.array(kept), np.array(noise)
    assert kept.min() >= 5 / 6 and kept.mean() >= 0.9, kept
    assert noise.max() <= 0.1 and noise.mean() <= 0.05, noise


def test_auto_on_pure_noise_selects_little():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(300, 30)), rng.integers(0, 3, size=300)
    sizes = [
        HScoreFeatureSelector(alpha=0.05, direction=direction).fit(X, y).n_features_to_select_
        for direction in ("forward", "backward")
    ]
    assert max(sizes) <= 1


def test_alpha_is_the_significance_level():
    X, y = make_task(1, n=200, k=15, n_classes=3, signal=0.25)
    full = HScoreFeatureSelector(15).fit(X, y)
    for level in (1e-6, 0.01, 0.05, 0.5):
        auto = HScoreFeatureSelector(alpha=level).fit(X, y)
        size = auto.n_features_to_select_
        np.testing.assert_array_equal(auto.selection_order_, full.selection_order_[:size])
        # every accepted step after the first (always kept) passed the corrected test; the
        # next one failed it
        n_candidates = 15 - np.arange(15)
        corrected = full.pvalues_path_ * n_candidates
        assert size >= 1
        assert np.all(corrected[1:size] <= level)
        if size < 15:
            assert corrected[size] > level


def test_tol_is_a_deprecated_alias_of_alpha():
    X, y = make_task(1, n=200, k=15, n_classes=3, signal=0.25)
    with pytest.warns(FutureWarning, match="renamed 'alpha'"):
        old = HScoreFeatureSelector(tol=0.01).fit(X, y)
    new = HScoreFeatureSelector(alpha=0.01).fit(X, y)
    np.testing.assert_array_equal(old.support_, new.support_)
    assert HScoreFeatureSelector(alpha=0.5).fit(X, y).n_features_to_select_ > (
        HScoreFeatureSelector(alpha=1e-6).fit(X, y).n_features_to_select_
    )
    with pytest.warns(FutureWarning):  # alpha wins over the old name when both are given
        both = HScoreFeatureSelector(alpha=0.01, tol=0.5).fit(X, y)
    np.testing.assert_array_equal(both.support_, new.support_)


# ---------------------------------------------------------------- cv
def test_cv_scores_are_held_out_h_scores():
    X, y = make_task(11, n=160, k=7, n_classes=3, signal=0.5)
    rng = np.random.default_rng(0)
    test = np.sort(rng.choice(160, size=50, replace=False))
    train = np.setdiff1d(np.arange(160), test)
    selector = HScoreFeatureSelector(cv=[(train, test)]).fit(X, y)
    path = HScoreFeatureSelector(7).fit(X[train], y[train]).selection_order_
    Xtr, ytr, Xte, yte = X[train], y[train], X[test], y[test]
    expected = []
    for size in range(1, 8):
        J = path[:size]
        scatter = np.cov(Xtr[:, J], rowvar=False, bias=True) * len(ytr)
        total = 0.0
        for c in np.unique(y):
            n_c = np.sum(ytr == c)
            d_tr = Xtr[ytr == c][:, J].mean(axis=0) - Xtr[:, J].mean(axis=0)
            d_te = Xte[yte == c][:, J].mean(axis=0) - Xte[:, J].mean(axis=0)
            total += n_c * d_tr @ np.linalg.solve(np.atleast_2d(scatter), d_te)
        expected.append(total)
    np.testing.assert_allclose(selector.cv_results_["split0_test_score"], expected, rtol=1e-9)
    best = int(np.argmax(expected)) + 1  # one split: the standard error is zero
    assert selector.n_features_to_select_ == best
    np.testing.assert_array_equal(
        selector.selection_order_, HScoreFeatureSelector(best).fit(X, y).selection_order_
    )


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_cv_recovers_informative_columns(direction):
    X, y = make_classification(
        n_samples=600,
        n_features=25,
        n_informative=5,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        shuffle=False,
        random_state=0,
    )
    selector = HScoreFeatureSelector(cv=5, direction=direction).fit(X, y)
    support = selector.support_
    assert support[:5].mean() >= 0.8
    assert support[5:].mean() <= 0.15
    assert set(selector.cv_results_) >= {"n_features", "mean_test_score", "std_test_score"}


def test_cv_with_an_int_bounds_the_path():
    X, y = make_task(3, n=150, k=10, n_classes=3)
    forward = HScoreFeatureSelector(4, cv=3).fit(X, y)
    assert forward.n_features_to_select_ <= 4
    assert np.all(np.isnan(forward.cv_results_["mean_test_score"][4:]))
    backward = HScoreFeatureSelector(6, direction="backward", cv=3).fit(X, y)
    assert backward.n_features_to_select_ >= 6


# ---------------------------------------------------------------- sklearn plumbing
def test_pandas_in_and_out():
    pd = pytest.importorskip("pandas")
    X, y = load_wine(return_X_y=True, as_frame=True)
    selector = HScoreFeatureSelector(4).set_output(transform="pandas").fit(X, y)
    out = selector.transform(X)
    assert isinstance(out, pd.DataFrame)
    names = list(X.columns[selector.selection_order_])
    assert sorted(out.columns) == sorted(names)
    np.testing.assert_array_equal(selector.feature_names_in_, X.columns)
    np.testing.assert_array_equal(selector.get_feature_names_out(), out.columns)
    np.testing.assert_array_equal(out.index, X.index)
    np.testing.assert_array_equal(out.to_numpy(), X.to_numpy()[:, selector.support_])


def test_string_labels_and_sparse_input():
    import scipy.sparse as sp

    X, y = make_task(6, n=100, k=8, n_classes=3)
    labels = np.array(["ant", "bee", "cat"])[y]
    dense = HScoreFeatureSelector(4).fit(X, y)
    strings = HScoreFeatureSelector(4).fit(X, labels)
    sparse = HScoreFeatureSelector(4).fit(sp.csr_matrix(X), labels)
    for other in (strings, sparse):
        np.testing.assert_array_equal(dense.selection_order_, other.selection_order_)
        np.testing.assert_allclose(dense.scores_path_, other.scores_path_, rtol=1e-12)


@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_sample_weight_equals_repetition(direction):
    X, y = make_task(8, n=70, k=9, n_classes=3, signal=0.4)
    w = np.random.default_rng(0).integers(0, 4, size=70)
    w[:3] = 1  # keep every class
    weighted = HScoreFeatureSelector(direction=direction).fit(X, y, sample_weight=w)
    repeated = HScoreFeatureSelector(direction=direction).fit(
        np.repeat(X, w, axis=0), np.repeat(y, w)
    )
    np.testing.assert_array_equal(weighted.selection_order_, repeated.selection_order_)
    np.testing.assert_allclose(weighted.scores_path_, repeated.scores_path_, rtol=1e-10)
    np.testing.assert_allclose(weighted.pvalues_path_, repeated.pvalues_path_, rtol=1e-8)
    fixed = HScoreFeatureSelector(5, direction=direction)
    np.testing.assert_array_equal(
        fixed.fit(X, y, sample_weight=w).support_,
        fixed.fit(np.repeat(X, w, axis=0), np.repeat(y, w)).support_,
    )


def test_ranking_and_fractions():
    X, y = make_task(9, n=120, k=10, n_classes=3)
    forward = HScoreFeatureSelector(0.3).fit(X, y)
    assert forward.n_features_to_select_ == 3
    order = forward.selection_order_
    np.testing.assert_array_equal(forward.ranking_[order], [1, 2, 3])
    assert np.all(forward.ranking_[~forward.support_] == 4)
    np.testing.assert_array_equal(np.argsort(forward.ranking_, kind="stable")[:3], order)
    backward = HScoreFeatureSelector(4, direction="backward").fit(X, y)
    removed = backward.selection_order_
    assert np.all(backward.ranking_[backward.support_] == 1)
    np.testing.assert_array_equal(backward.ranking_[removed], np.arange(7, 1, -1))


def test_inputs_are_not_modified_and_errors_are_clear():
    X, y = make_task(0, n=50, k=5, n_classes=3)
    X_copy, y_copy = X.copy(), y.copy()
    HScoreFeatureSelector(3, cv=3).fit(X, y)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    with pytest.raises(ValueError, match="at most 5"):
        HScoreFeatureSelector(6).fit(X, y)
    with pytest.raises(ValueError, match="class labels"):
        HScoreFeatureSelector(2).fit(X, X[:, 0] + 0.5)
    with pytest.raises(ValueError, match="single class"):
        HScoreFeatureSelector(2).fit(X, np.zeros(50))
    with pytest.raises(ValueError, match="n_features_to_select"):
        HScoreFeatureSelector(0).fit(X, y)


@pytest.mark.parametrize("direction, m", [("forward", 6), ("backward", 8)])
def test_matches_sfs_with_constant_columns(direction, m):
    # a blank pixel (exactly 0) and a constant 0.3 (not representable: a rounding residual
    # is left after centring) add nothing: SFS removes them first, lowest index first
    X, y = load_digits(return_X_y=True)
    X, y = X[:400, :16], y[:400]
    assert np.all(X[:, 0] == 0)
    X = np.column_stack([X, np.full(400, 0.3)])
    order, support = sfs_path(X, y, m, direction)
    selector = HScoreFeatureSelector(m, direction=direction).fit(X, y)
    assert list(selector.selection_order_) == order
    if direction == "backward":
        assert order[:2] == [0, 16]


def exact_hscore_svd(X, y):
    """H-score from an SVD of the centred float64 data (an independent reference)."""
    centred = np.asarray(X, dtype=np.float64) - np.mean(X, axis=0, dtype=np.float64)
    left, singular, _ = np.linalg.svd(centred, full_matrices=False)
    left = left[:, singular > singular[0] * 1e-13]
    return sum(np.sum(y == c) * np.sum(left[y == c].mean(axis=0) ** 2) for c in np.unique(y))


def ill_conditioned(kind, seed=0):
    rng = np.random.default_rng(seed)
    n, d = 500, 5
    y = rng.integers(0, 3, n)
    Z = rng.normal(size=(n, d)) + y[:, None] * np.array([1.0, 0.6, 0.3, 0.2, 0.1])
    if kind == "affine":
        return Z @ (np.eye(d) + 1e5 * np.ones((d, d))) + 7.0, y
    left = np.linalg.qr(rng.normal(size=(d, d)))[0]
    right = np.linalg.qr(rng.normal(size=(d, d)))[0]
    return Z @ left @ np.diag(np.logspace(0, -float(kind), d)) @ right, y


@pytest.mark.parametrize("kind", ["affine", 6, 8])
@pytest.mark.parametrize("direction", ["forward", "backward"])
def test_scores_path_exact_on_ill_conditioned_features(kind, direction):
    # the greedy steps resolve what h_score resolves (the engine's refined factor), not
    # only what a Gram matrix does: each score on the path is the exact H of its columns
    X, y = ill_conditioned(kind)
    n_select = 1 if direction == "backward" else 5
    selector = HScoreFeatureSelector(n_features_to_select=n_select, direction=direction)
    selector.fit(X, y)
    order = list(selector.selection_order_)
    for i, score in enumerate(selector.scores_path_):
        if direction == "forward":
            columns = order[: i + 1]
        else:
            columns = [j for j in range(X.shape[1]) if j not in order[: i + 1]]
        expected = exact_hscore_svd(X[:, columns], y)
        assert score == pytest.approx(expected, rel=1e-6)
    assert exact_hscore_svd(X, y) == pytest.approx(h_score(X, y), rel=1e-6)
