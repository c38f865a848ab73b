"""h_score_test, the chance-adjusted and normalised scores, regression/multilabel targets,
components and transferability: agreement with statsmodels, null behaviour, identities."""

import itertools
import pickle
import warnings

import numpy as np
import pytest
from _reference import make_task, paper_hscore
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats as sps
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_linnerud,
    load_wine,
)
from sklearn.decomposition import PCA
from sklearn.linear_model import LinearRegression

from skhscore import (
    CrossMomentStatistics,
    HScoreStatistics,
    h_score,
    h_score_test,
    transferability,
)


# ---------------------------------------------------------------- independent oracles
def canonical_correlations_squared(X, Y):
    """Squared canonical correlations from orthonormal bases of the centred column spaces."""
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float).reshape(len(X), -1)
    qx = np.linalg.svd(X - X.mean(0), full_matrices=False)
    qy = np.linalg.svd(Y - Y.mean(0), full_matrices=False)
    ux = qx[0][:, qx[1] > 1e-9 * qx[1][0]]
    uy = qy[0][:, qy[1] > 1e-9 * qy[1][0]]
    return np.linalg.svd(ux.T @ uy, compute_uv=False) ** 2


def pillai_transcription(V, p, q, n):
    """Pillai's F approximation as written in REFERENCE.md section 3 (C - 1 = q)."""
    s = min(p, q)
    m = (abs(p - q) - 1) / 2
    r = (n - q - 1 - p - 1) / 2
    F = (2 * r + s + 1) / (2 * m + s + 1) * V / (s - V)
    df = (s * (2 * m + s + 1), s * (2 * r + s + 1))
    return F, df, sps.f.sf(F, *df)


def one_hot(y):
    return (np.asarray(y)[:, None] == np.unique(y)).astype(float)


def statsmodels_row(endog, exog_columns):
    """Pillai's row of statsmodels' joint test of every non-intercept column."""
    from statsmodels.multivariate.multivariate_ols import _MultivariateOLS

    exog = np.column_stack([np.ones(len(endog)), exog_columns])
    hypothesis = [("all", np.eye(exog.shape[1])[1:])]
    result = _MultivariateOLS(endog, exog).fit().mv_test(hypothesis)
    row = result.results["all"]["stat"].loc["Pillai's trace"]
    return [float(row[c]) for c in ("Value", "F Value", "Num DF", "Den DF", "Pr > F")]


def subsample(X, y, size, seed):
    idx = np.random.default_rng(seed).choice(len(y), size=size, replace=False)
    return X[idx], y[idx]


def digits_pixels(n_columns):
    X, y = load_digits(return_X_y=True)
    return X[:, X.std(axis=0) > 1][:, 10 : 10 + n_columns], y


MANOVA_CASES = {
    "iris": lambda: load_iris(return_X_y=True),
    "iris-30-rows-2-cols": lambda: subsample(load_iris().data[:, :2], load_iris().target, 30, 4),
    "wine-6-cols": lambda: (load_wine(return_X_y=True)[0][:, :6], load_wine(return_X_y=True)[1]),
    "wine-25-rows": lambda: subsample(
        load_wine(return_X_y=True)[0][:, [1, 2, 4]], load_wine(return_X_y=True)[1], 25, 0
    ),
    "breast-cancer-8-cols": lambda: (
        load_breast_cancer(return_X_y=True)[0][:, :8],
        load_breast_cancer(return_X_y=True)[1],
    ),
    "breast-cancer-40-rows": lambda: subsample(
        load_breast_cancer(return_X_y=True)[0][:, [1, 8, 9, 11]],
        load_breast_cancer(return_X_y=True)[1],
        40,
        1,
    ),
    "digits-250-rows-6-pixels": lambda: subsample(*digits_pixels(6), 250, 5),
    "digits-60-rows": lambda: subsample(*digits_pixels(3), 60, 2),
}


# ---------------------------------------------------------------- statsmodels agreement
@pytest.mark.parametrize("case", sorted(MANOVA_CASES))
def test_pillai_test_matches_statsmodels_manova(case):
    from statsmodels.multivariate.manova import MANOVA

    X, y = MANOVA_CASES[case]()
    exog = np.column_stack([np.ones(len(y)), one_hot(y)[:, 1:]])
    hypothesis = [("labels", np.eye(exog.shape[1])[1:])]
    row = MANOVA(X, exog).mv_test(hypothesis).results["labels"]["stat"].loc["Pillai's trace"]
    result = h_score_test(X, y)
    assert result.method == "pillai"
    assert result.statistic == pytest.approx(row["Value"], rel=1e-8)
    assert result.f_statistic == pytest.approx(row["F Value"], rel=1e-8)
    assert result.df[0] == pytest.approx(row["Num DF"], rel=1e-8)
    assert result.df[1] == pytest.approx(row["Den DF"], rel=1e-8)
    assert row["Pr > F"] > 0  # a p-value that has not underflowed: the comparison means something
    assert result.pvalue == pytest.approx(row["Pr > F"], rel=1e-8)


def test_manova_cases_cover_large_and_moderate_pvalues():
    pvalues = [h_score_test(*MANOVA_CASES[c]()).pvalue for c in MANOVA_CASES]
    assert min(pvalues) < 1e-30 and max(pvalues) > 1e-3


def test_pillai_test_matches_the_reference_transcription():
    for seed in range(10):
        X, y = make_task(seed, n=40 + seed, k=1 + seed % 5, n_classes=2 + seed % 4, signal=0.3)
        C, k = len(np.unique(y)), X.shape[1]
        F, df, p = pillai_transcription(paper_hscore(X, y), k, C - 1, len(y))
        result = h_score_test(X, y)
        assert result.f_statistic == pytest.approx(F, rel=1e-9)
        assert result.df == pytest.approx(df)
        assert result.pvalue == pytest.approx(p, rel=1e-8)


@pytest.mark.parametrize(
    "case",
    ["linnerud", "diabetes-to-y", "diabetes-split", "iris-measurements", "wine-40-rows"],
)
def test_regression_test_matches_statsmodels_multivariate_ols(case):
    if case == "linnerud":
        X, Y = load_linnerud(return_X_y=True)
    elif case == "diabetes-to-y":
        X, Y = load_diabetes(return_X_y=True)
    elif case == "diabetes-split":
        data, target = load_diabetes(return_X_y=True)
        X, Y = data[:, :4], np.column_stack([data[:, 4:], target])
    elif case == "iris-measurements":
        data = load_iris().data
        X, Y = data[:, :2], data[:, 2:]
    else:
        data = subsample(load_wine().data, np.arange(178), 40, 3)[0]
        X, Y = data[:, [0, 5]], data[:, [1, 2, 3]]
    if np.ndim(Y) == 1:  # statsmodels needs two responses: regress the features on y
        value, F, df1, df2, p = statsmodels_row(X, Y)
    else:
        value, F, df1, df2, p = statsmodels_row(Y, X)
    result = h_score_test(X, Y, target="regression")
    assert h_score(X, Y, target="regression") == pytest.approx(value, rel=1e-8)
    assert result.statistic == pytest.approx(value, rel=1e-8)
    assert result.f_statistic == pytest.approx(F, rel=1e-8)
    assert result.df == pytest.approx((df1, df2), rel=1e-8)
    assert result.pvalue == pytest.approx(p, rel=1e-8)
    # Pillai's trace is symmetric: features regressed on the target give the same test
    if X.shape[1] > 1:
        assert statsmodels_row(X, Y) == pytest.approx([value, F, df1, df2, p], rel=1e-8)


def test_single_output_regression_is_r_squared():
    X, y = load_diabetes(return_X_y=True)
    r2 = LinearRegression().fit(X, y).score(X, y)
    assert h_score(X, y, target="regression") == pytest.approx(r2, rel=1e-10)


# ---------------------------------------------------------------- regression = classification
@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 5), st.integers(1, 6))
def test_one_hot_regression_equals_classification(seed, n_classes, k):
    X, y = make_task(seed, n=n_classes + k + 15, k=k, n_classes=n_classes)
    Y = one_hot(y)
    H = h_score(X, y)
    for target in ("regression", "multilabel"):
        assert h_score(X, Y, target=target) == pytest.approx(H, rel=1e-9, abs=1e-12)
        # dropping the redundant last column changes nothing
        assert h_score(X, Y[:, :-1], target=target) == pytest.approx(H, rel=1e-9, abs=1e-12)
    assert h_score(X, Y, target="regression", shrinkage=0.3) == pytest.approx(
        h_score(X, y, shrinkage=0.3), rel=1e-9, abs=1e-12
    )
    assert h_score(X, Y, target="regression", adjusted=True) == pytest.approx(
        h_score(X, y, adjusted=True), rel=1e-8, abs=1e-10
    )
    classification, regression = h_score_test(X, y), h_score_test(X, Y, target="regression")
    assert regression.pvalue == pytest.approx(classification.pvalue, rel=1e-8, abs=1e-300)
    assert regression.df == pytest.approx(classification.df)
    assert regression.components == pytest.approx(classification.components, abs=1e-10)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 4), st.integers(0, 40))
def test_regression_score_is_sum_of_squared_canonical_correlations(seed, k, q, extra):
    rng = np.random.default_rng(seed)
    n = k + q + 2 + extra
    X = rng.normal(size=(n, k))
    Y = X @ rng.normal(size=(k, q)) * rng.uniform(0, 1) + rng.normal(size=(n, q))
    expected = canonical_correlations_squared(X, Y)
    assert h_score(X, Y, target="regression") == pytest.approx(np.sum(expected), rel=1e-8)
    result = h_score_test(X, Y, target="regression")
    assert result.components == pytest.approx(np.sort(expected)[::-1], abs=1e-9)


def test_multilabel_target():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 5))
    Y = (X[:, :3] + rng.normal(size=(200, 3)) > 0).astype(int)
    expected = np.sum(canonical_correlations_squared(X, Y))
    assert h_score(X, Y, target="multilabel") == pytest.approx(expected, rel=1e-10)
    assert h_score(X, Y, target="multilabel", normalize="classes") == pytest.approx(
        expected / 3, rel=1e-10
    )
    with pytest.raises(ValueError, match="multi-hot"):
        h_score(X, rng.normal(size=(200, 3)), target="multilabel")


def test_continuous_target_without_opting_in_is_an_error():
    X = load_diabetes().data
    y = X[:, 0]  # continuous (diabetes' own target is whole numbers: sklearn calls it multiclass)
    with pytest.raises(ValueError, match="target='regression'"):
        h_score(X[:, 1:], y)
    with pytest.raises(ValueError, match="continuous"):
        h_score_test(X[:, 1:], y)
    Y = (X[:, :3] > 0).astype(int)
    with pytest.raises(ValueError, match="target='multilabel'"):
        h_score(X, Y)


# ---------------------------------------------------------------- null and alternative
def test_null_pvalues_are_uniform_and_adjusted_mean_is_zero():
    rng = np.random.default_rng(12345)
    n, k, n_classes = 150, 4, 3
    y = np.arange(n) % n_classes
    pvalues, adjusted, scores = [], [], []
    for _ in range(300):
        result = h_score_test(rng.normal(size=(n, k)), y)
        pvalues.append(result.pvalue)
        adjusted.append(result.adjusted)
        scores.append(result.statistic)
    assert sps.kstest(pvalues, "uniform").pvalue > 0.01
    assert abs(np.mean(adjusted)) < 4 * np.std(adjusted) / np.sqrt(len(adjusted))
    e0 = k * (n_classes - 1) / (n - 1)
    assert result.null_mean == pytest.approx(e0, rel=1e-12)
    assert abs(np.mean(scores) - e0) < 4 * np.std(scores) / np.sqrt(len(scores))


def test_null_pvalues_uniform_for_regression_targets():
    rng = np.random.default_rng(7)
    pvalues, adjusted = [], []
    for _ in range(300):
        X, Y = rng.normal(size=(80, 3)), rng.normal(size=(80, 2))
        result = h_score_test(X, Y, target="regression")
        pvalues.append(result.pvalue)
        adjusted.append(result.adjusted)
    assert sps.kstest(pvalues, "uniform").pvalue > 0.01
    assert abs(np.mean(adjusted)) < 4 * np.std(adjusted) / np.sqrt(len(adjusted))


def test_forced_unit_correlations_are_tested_on_the_complement():
    # k + C - 1 > n - 1: u = k + C - n canonical correlations are 1 for any data, and the
    # others are those of the complements, a trace of dimensions (n - 1 - k, n - 1 - q)
    rng = np.random.default_rng(3)
    n, k, n_classes = 16, 13, 5
    u = k + n_classes - n
    y = np.arange(n) % n_classes
    pvalues, reduced, complement = [], [], []
    for _ in range(250):
        result = h_score_test(rng.normal(size=(n, k)), y)
        pvalues.append(result.pvalue)
        reduced.append(result.statistic - u)
        complement.append(h_score(rng.normal(size=(n, n - 1 - k)), np.arange(n) % 12))
    assert result.components[:u] == pytest.approx(np.ones(u), abs=1e-9)
    assert result.components[u] < 1 - 1e-6
    assert result.df == pytest.approx((2 * 11, 2 * (2 * (u - 1) / 2 + 2 + 1)))
    assert sps.ks_2samp(reduced, complement).pvalue > 0.01
    assert sps.kstest(pvalues, "uniform").pvalue > 0.01


def test_planted_signal_gives_small_pvalue():
    X, y = make_task(0, n=150, k=5, n_classes=3, signal=1.0)
    assert h_score_test(X, y).pvalue < 1e-20
    result = h_score_test(X, y, method="permutation", n_permutations=999, random_state=0)
    assert result.pvalue == pytest.approx(1 / 1000)
    assert result.adjusted > 0.3
    # a weak signal in a small sample is still detected
    X, y = make_task(1, n=60, k=2, n_classes=2, signal=0.6)
    assert h_score_test(X, y).pvalue < 0.01


# ---------------------------------------------------------------- permutation test
def test_permutation_pvalue_agrees_with_pillai_at_moderate_n():
    for seed, signal in [(0, 0.0), (1, 0.15), (2, 0.2)]:
        X, y = make_task(seed, n=120, k=3, n_classes=3, signal=signal)
        pillai = h_score_test(X, y).pvalue
        perm = h_score_test(X, y, method="permutation", n_permutations=4999, random_state=seed)
        assert abs(perm.pvalue - pillai) < 0.03 + 0.15 * pillai
        assert perm.null_distribution.shape == (4999,)


def test_permutation_is_reproducible_and_null_mean_is_exact():
    X, y = make_task(5, n=50, k=4, n_classes=3, signal=0.0)
    a = h_score_test(X, y, method="permutation", n_permutations=3000, random_state=1)
    b = h_score_test(X, y, method="permutation", n_permutations=3000, random_state=1)
    assert a.pvalue == b.pvalue
    np.testing.assert_array_equal(a.null_distribution, b.null_distribution)
    # permuted scores are genuine H-scores of permuted labels
    assert np.all((a.null_distribution >= 0) & (a.null_distribution <= 2))
    null = a.null_distribution
    assert abs(null.mean() - a.null_mean) < 4 * null.std() / np.sqrt(null.size)


def test_permutation_scores_are_h_scores_of_permuted_labels():
    X, y = make_task(6, n=30, k=3, n_classes=3, signal=0.5)
    result = h_score_test(X, y, method="permutation", n_permutations=200, random_state=0)
    # the observed statistic sits at the p-value's rank among the permuted ones
    rank = 1 + np.count_nonzero(result.null_distribution >= result.statistic - 1e-9)
    assert result.pvalue == pytest.approx(rank / 201)
    # each permuted score is an attainable H-score: its distribution matches fresh
    # permutations scored by h_score itself
    rng = np.random.default_rng(0)
    direct = [h_score(X, rng.permutation(y)) for _ in range(200)]
    assert sps.ks_2samp(direct, result.null_distribution).pvalue > 0.01


def shrunk_scores_over_all_permutations(X, y, alpha):
    """tr(Sigma_a^-1 (1 - a) Sigma_B) for every permutation of y (Ibrahim et al.)."""
    n, k = X.shape
    S = np.cov(X, rowvar=False, bias=True)
    inverse = np.linalg.inv((1 - alpha) * S + alpha * np.trace(S) / k * np.eye(k))
    scores = []
    for perm in itertools.permutations(range(n)):
        labels = y[list(perm)]
        means = np.array([X[labels == c].mean(0) for c in labels])  # n x k class means
        between = np.cov(means, rowvar=False, bias=True)
        scores.append(np.trace(inverse @ ((1 - alpha) * between)))
    return np.array(scores)


def test_shrunk_null_mean_is_the_exact_permutation_mean():
    from sklearn.covariance import ledoit_wolf_shrinkage

    rng = np.random.default_rng(2)
    X = rng.normal(size=(7, 3)) * [1.0, 3.0, 0.2]
    y = np.array([0, 0, 0, 1, 1, 2, 2])
    for shrinkage in (0.3, "auto"):
        alpha = ledoit_wolf_shrinkage(X) if shrinkage == "auto" else shrinkage
        expected = shrunk_scores_over_all_permutations(X, y, alpha).mean()
        result = h_score_test(X, y, shrinkage=shrinkage, method="permutation", n_permutations=9)
        assert result.null_mean == pytest.approx(expected, rel=1e-10)
        # the ceiling: (1 - a) times the sum of the q = 2 largest eigenvalues of
        # Sigma_a^-1 Sigma, the largest shrunk score of any labelling (Ky Fan)
        S = np.cov(X, rowvar=False, bias=True)
        shrunk = (1 - alpha) * S + alpha * np.trace(S) / 3 * np.eye(3)
        gains = np.sort(np.linalg.eigvals(np.linalg.solve(shrunk, S)).real)[::-1]
        ceiling = (1 - alpha) * gains[:2].sum()
        every = shrunk_scores_over_all_permutations(X, y, alpha)
        assert every.max() <= ceiling * (1 + 1e-12)
        adjusted = (result.statistic - expected) / (ceiling - expected)
        assert h_score(X, y, shrinkage=shrinkage, adjusted=True) == pytest.approx(
            adjusted, rel=1e-9
        )
        assert result.adjusted == pytest.approx(adjusted, rel=1e-9)
    plain = shrunk_scores_over_all_permutations(X, y, 0.0).mean()
    assert h_score_test(X, y).null_mean == pytest.approx(plain, rel=1e-10)
    assert plain == pytest.approx(3 * 2 / 6, rel=1e-10)


def test_shrinkage_with_pillai_is_refused_and_permutation_works():
    X, y = make_task(8, n=40, k=60, n_classes=3, signal=0.4)
    with pytest.raises(ValueError, match="no meaning for a shrunk covariance"):
        h_score_test(X, y, shrinkage="auto")
    result = h_score_test(X, y, shrinkage="auto", method="permutation", n_permutations=499)
    assert result.statistic == pytest.approx(h_score(X, y, shrinkage="auto"), rel=1e-12)
    assert result.pvalue < 0.01  # shrinkage still sees the signal where raw H saturates
    assert sum(result.components) == pytest.approx(result.statistic, rel=1e-10)
    noise = np.random.default_rng(0).normal(size=(40, 60))
    null = h_score_test(noise, y, shrinkage="auto", method="permutation", random_state=0)
    assert null.pvalue > 0.05 and abs(null.adjusted) < 0.2


def test_permutation_for_regression_targets():
    X, Y = load_linnerud(return_X_y=True)
    result = h_score_test(X, Y, target="regression", method="permutation", random_state=0)
    pillai = h_score_test(X, Y, target="regression").pvalue
    assert abs(result.pvalue - pillai) < 0.05
    weighted = h_score_test(
        X, Y, target="regression", method="permutation", random_state=0, sample_weight=np.ones(20)
    )
    assert abs(weighted.pvalue - result.pvalue) < 0.03
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    Y = X[:, :1] + 0.5 * rng.normal(size=(40, 1))
    strong = h_score_test(X, Y, target="regression", method="permutation", n_permutations=499)
    assert strong.pvalue == pytest.approx(1 / 500)


def test_permutation_needs_samples():
    X, y = make_task(0)
    with pytest.raises(ValueError, match="needs the samples themselves"):
        h_score_test(HScoreStatistics.from_arrays(X, y), method="permutation")


# ---------------------------------------------------------------- components
def test_first_component_carries_a_single_planted_direction():
    rng = np.random.default_rng(11)
    n, k, n_classes = 600, 8, 4
    y = np.arange(n) % n_classes
    direction = rng.normal(size=k)
    direction /= np.linalg.norm(direction)
    mixing = rng.normal(size=(k, k))  # correlated noise
    X = rng.normal(size=(n, k)) @ mixing + np.outer(6.0 * y, direction @ mixing)
    result = h_score_test(X, y)
    assert result.components.shape == (3,)
    assert np.all(np.diff(result.components) <= 0)
    assert sum(result.components) == pytest.approx(result.statistic, rel=1e-12)
    assert result.components[0] > 0.9
    # the other directions carry no more than chance: pure noise scores null_mean in all
    assert sum(result.components[1:]) < result.null_mean
    noise_only = h_score_test(rng.normal(size=(n, k)) @ mixing, y)
    assert noise_only.components[0] < 0.05
    expected = canonical_correlations_squared(X, one_hot(y))
    assert result.components == pytest.approx(np.sort(expected)[::-1][:3], abs=1e-10)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 5), st.integers(1, 7))
def test_components_sum_to_statistic_and_match_canonical_correlations(seed, n_classes, k):
    X, y = make_task(seed, n=n_classes + k + 10, k=k, n_classes=n_classes, signal=0.5)
    result = h_score_test(X, y)
    assert result.components.shape == (min(k, n_classes - 1),)
    assert sum(result.components) == pytest.approx(result.statistic, rel=1e-10, abs=1e-12)
    expected = np.sort(canonical_correlations_squared(X, one_hot(y)))[::-1]
    assert result.components == pytest.approx(expected[: result.components.size], abs=1e-8)


# ---------------------------------------------------------------- adjusted / normalised
@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 5), st.integers(1, 6), st.integers(0, 40))
def test_adjusted_and_normalised_match_their_formulas(seed, n_classes, k, extra):
    n = n_classes + k + 3 + extra
    X, y = make_task(seed, n=n, k=k, n_classes=n_classes, signal=0.5)
    H = paper_hscore(X, y)
    e0 = k * (n_classes - 1) / (n - 1)
    expected = (H - e0) / (min(k, n_classes - 1) - e0)
    assert h_score(X, y, adjusted=True) == pytest.approx(expected, rel=1e-8, abs=1e-10)
    assert h_score_test(X, y).adjusted == pytest.approx(expected, rel=1e-8, abs=1e-10)
    assert h_score(X, y, normalize="classes") == pytest.approx(H / (n_classes - 1), rel=1e-9)
    assert h_score(X, y, adjusted=True) <= 1 + 1e-12


def test_adjusted_uses_numerical_rank():
    X, y = make_task(4, n=80, k=4, n_classes=3)
    wide = np.column_stack([X, X @ np.ones((4, 3)), np.full(80, 0.1)])  # rank 4
    assert h_score(wide, y, adjusted=True) == pytest.approx(h_score(X, y, adjusted=True))


def test_adjusted_removes_the_width_bias():
    rng = np.random.default_rng(0)
    X, y = load_digits(return_X_y=True)
    X, y = X[:360], y[:360]
    noise = rng.normal(size=(360, 256))
    real = PCA(n_components=16, random_state=0).fit_transform(X)
    assert h_score(noise, y) > h_score(real, y)  # the bias
    assert h_score(real, y, adjusted=True) > 0.5
    assert abs(h_score(noise, y, adjusted=True)) < 0.05


def test_saturated_sample_is_documented_not_a_crash():
    rng = np.random.default_rng(0)
    y = np.arange(20) % 4
    X = rng.normal(size=(20, 19))  # rank n - 1
    assert h_score(X, y) == pytest.approx(3.0)
    assert h_score(X, y, adjusted=True) == 0.0
    with pytest.warns(RuntimeWarning, match="saturated"):
        result = h_score_test(X, y)
    assert result.pvalue == 1.0 and np.isnan(result.f_statistic) and result.adjusted == 0.0
    assert np.isnan(result.df[0]) and np.isnan(result.df[1])
    with pytest.warns(RuntimeWarning, match="saturated"):
        perm = h_score_test(X, y, method="permutation", n_permutations=99, random_state=0)
    assert perm.pvalue == 1.0
    # one sample per class saturates as well
    with pytest.warns(RuntimeWarning, match="saturated"):
        assert h_score_test(rng.normal(size=(5, 2)), np.arange(5)).pvalue == 1.0
    # shrinkage keeps an informative adjusted score there
    shrunk = h_score(X, y, shrinkage="auto", adjusted=True)
    assert np.isfinite(shrunk) and shrunk < 1


def test_constant_features_and_perfect_separation():
    y = np.arange(30) % 3
    with pytest.warns(RuntimeWarning, match="constant"):
        result = h_score_test(np.ones((30, 2)), y)
    assert result.statistic == 0.0 and result.pvalue == 1.0 and result.adjusted == 0.0
    centres = np.array([[0.0, 1.0], [2.0, -1.0], [5.0, 3.0]])
    X = centres[y]  # no within-class spread: H = 2 = min(k, C - 1) with df2 > 0
    result = h_score_test(X, y)
    assert result.statistic == pytest.approx(2.0)
    assert result.pvalue == 0.0 and result.f_statistic == np.inf
    assert result.adjusted == pytest.approx(1.0)


def test_adjusted_with_normalize_is_refused():
    X, y = make_task(0)
    with pytest.raises(ValueError, match="normalize=None"):
        h_score(X, y, adjusted=True, normalize="classes")


def test_shrunk_adjusted_and_normalised():
    X, y = make_task(9, n=100, k=5, n_classes=4, signal=0.5)
    H = h_score(X, y, shrinkage=0.2)
    assert h_score(X, y, shrinkage=0.2, normalize="classes") == pytest.approx(H / 3)
    e0 = h_score_test(X, y, shrinkage=0.2, method="permutation", n_permutations=9).null_mean
    S = np.cov(X, rowvar=False, bias=True)
    shrunk = 0.8 * S + 0.2 * np.trace(S) / 5 * np.eye(5)
    ceiling = 0.8 * np.sort(np.linalg.eigvals(np.linalg.solve(shrunk, S)).real)[::-1][:3].sum()
    assert h_score(X, y, shrinkage=0.2, adjusted=True) == pytest.approx((H - e0) / (ceiling - e0))
    assert 0 < e0 < 5 * 3 / 99  # shrinkage lowers the chance level


def test_weights_are_frequency_weights():
    X, y = make_task(3, n=40, k=3, n_classes=3, signal=0.3)
    w = np.random.default_rng(0).integers(1, 4, size=40)
    Xr, yr = np.repeat(X, w, axis=0), np.repeat(y, w)
    weighted, repeated = h_score_test(X, y, sample_weight=w), h_score_test(Xr, yr)
    assert weighted.statistic == pytest.approx(repeated.statistic, rel=1e-10)
    assert weighted.pvalue == pytest.approx(repeated.pvalue, rel=1e-8)
    assert weighted.df == pytest.approx(repeated.df)
    assert h_score(X, y, sample_weight=w, adjusted=True) == pytest.approx(
        h_score(Xr, yr, adjusted=True), rel=1e-9
    )
    with pytest.raises(ValueError, match="frequency weights"):
        h_score(X, y, sample_weight=np.full(40, 0.01), adjusted=True)
    # the permutation test permutes labels across the weighted rows: equal weights are
    # the unweighted test, permutation by permutation
    plain = h_score_test(X, y, method="permutation", n_permutations=999, random_state=0)
    doubled = h_score_test(
        X,
        y,
        sample_weight=np.full(40, 2.0),
        method="permutation",
        n_permutations=999,
        random_state=0,
    )
    np.testing.assert_allclose(doubled.null_distribution, plain.null_distribution, rtol=1e-10)
    assert doubled.pvalue == plain.pvalue


# ---------------------------------------------------------------- result object
def test_result_object():
    X, y = load_iris(return_X_y=True)
    result = h_score_test(X, y)
    statistic, pvalue = result
    assert statistic == result.statistic and pvalue == result.pvalue
    text = repr(result)
    for name in ("statistic", "pvalue", "null_mean", "adjusted", "df", "components"):
        assert name in text
    assert result.null_distribution is None


def test_statistics_objects_are_accepted():
    X, y = make_task(2, n=90, k=4, n_classes=3)
    direct = h_score_test(X, y)
    from_stats = h_score_test(HScoreStatistics.from_arrays(X, y))
    assert from_stats.pvalue == pytest.approx(direct.pvalue, rel=1e-12)
    X, Y = load_linnerud(return_X_y=True)
    stats = CrossMomentStatistics.from_arrays(X, Y)
    assert h_score_test(stats).pvalue == pytest.approx(
        h_score_test(X, Y, target="regression").pvalue, rel=1e-12
    )
    with pytest.raises(ValueError, match="target='regression'"):
        h_score(HScoreStatistics.from_arrays(X, np.arange(20) % 2), target="regression")


# ---------------------------------------------------------------- CrossMomentStatistics
def test_cross_moment_statistics_merge_chunks_and_pickle():
    X, Y = load_diabetes(return_X_y=True)
    Y = np.column_stack([Y, X[:, 0] ** 2])
    one = CrossMomentStatistics.from_arrays(X, Y)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    np.testing.assert_allclose(one.scatter_, Xc.T @ Xc, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(one.target_scatter_, Yc.T @ Yc, rtol=1e-10)
    np.testing.assert_allclose(one.cross_scatter_, Xc.T @ Yc, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(one.target_mean_, Y.mean(0), rtol=1e-12)
    merged = CrossMomentStatistics.from_arrays(X[:100], Y[:100]).merge(
        CrossMomentStatistics.from_arrays(X[100:], Y[100:])
    )
    chunked = CrossMomentStatistics.from_arrays(X, Y, chunk_size=37)
    H = h_score(X, Y, target="regression")
    for stats in (merged, chunked, pickle.loads(pickle.dumps(one))):
        assert h_score(stats) == pytest.approx(H, rel=1e-10)
        np.testing.assert_allclose(stats.cross_scatter_, one.cross_scatter_, rtol=1e-9, atol=1e-9)
    assert merged.n_samples_seen_ == 442 and merged.n_targets_ == 2
    assert "n_targets_=2" in repr(merged)


def test_cross_moment_statistics_extreme_scales_weights_and_constants():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    Y = X[:, :2] + rng.normal(size=(100, 2))
    H = h_score(X, Y, target="regression")
    scaled = h_score(X * [1e200, 1e-200, 1.0], Y * [1e-250, 1e250], target="regression")
    assert scaled == pytest.approx(H, rel=1e-9)
    w = rng.integers(0, 3, size=100)
    assert h_score(X, Y, target="regression", sample_weight=w) == pytest.approx(
        h_score(np.repeat(X, w, axis=0), np.repeat(Y, w, axis=0), target="regression"),
        rel=1e-9,
    )
    with_constant = np.column_stack([Y, np.full(100, 0.1)])
    assert h_score(X, with_constant, target="regression") == pytest.approx(H, rel=1e-10)
    with pytest.raises(ValueError, match="y is constant"):
        h_score(X, np.full(100, 3.0), target="regression")


def test_regression_with_shrinkage_matches_transcription():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 5))
    Y = X[:, :2] @ rng.normal(size=(2, 3)) + rng.normal(size=(60, 3))
    a = 0.25
    S = np.cov(X, rowvar=False, bias=True)
    Sxy = (X - X.mean(0)).T @ (Y - Y.mean(0)) / 60
    Syy = np.cov(Y, rowvar=False, bias=True)
    between = Sxy @ np.linalg.solve(Syy, Sxy.T)
    shrunk = (1 - a) * S + a * np.trace(S) / 5 * np.eye(5)
    expected = np.trace(np.linalg.solve(shrunk, (1 - a) * between))
    assert h_score(X, Y, target="regression", shrinkage=a) == pytest.approx(expected, rel=1e-10)


# ---------------------------------------------------------------- transferability
def test_transferability_is_the_ratio_of_h_scores():
    X, y = load_digits(return_X_y=True)
    source = PCA(n_components=10, random_state=0).fit_transform(X)
    ratio = transferability(source, X, y)
    assert ratio == pytest.approx(paper_hscore(source, y) / paper_hscore(X, y), rel=1e-8)
    assert transferability(X, X, y) == pytest.approx(1.0)
    assert transferability(source, X, y, shrinkage="auto") == pytest.approx(
        h_score(source, y, shrinkage="auto") / h_score(X, y, shrinkage="auto")
    )
    stats = [HScoreStatistics.from_arrays(f, y) for f in (source, X)]
    assert transferability(*stats) == pytest.approx(ratio, rel=1e-12)


def test_transferability_refuses_a_zero_reference():
    X, y = make_task(0)
    with pytest.raises(ValueError, match="reference features score H = 0"):
        transferability(X, np.ones((len(y), 3)), y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        transferability(X, X[:-1], y)


def test_no_warning_on_regular_data():
    X, y = load_iris(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h_score_test(X, y)
        h_score_test(X, y, method="permutation", n_permutations=99, random_state=0)


def test_sparse_pandas_and_inputs_never_modified():
    import pandas as pd
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 4))
    Y = (X[:, :3] + rng.normal(size=(60, 3)) > 0).astype(float)
    y = np.arange(60) % 3
    w = rng.uniform(0.5, 2.0, size=60)
    copies = [a.copy() for a in (X, Y, y, w)]
    expected = h_score(X, Y, target="multilabel")
    assert h_score(X, sp.csr_matrix(Y), target="multilabel") == pytest.approx(expected)
    assert h_score(sp.csr_matrix(X), Y, target="multilabel") == pytest.approx(expected)
    frame = pd.DataFrame(X, columns=list("abcd"))
    assert h_score(frame, pd.DataFrame(Y), target="multilabel") == pytest.approx(expected)
    h_score_test(X, y, sample_weight=w, method="permutation", n_permutations=19)
    h_score_test(
        X, Y, target="regression", sample_weight=w, method="permutation", n_permutations=19
    )
    h_score(X, Y, target="regression", shrinkage="auto", adjusted=True, sample_weight=w)
    transferability(X, X[:, :2], y, sample_weight=w)
    for original, now in zip(copies, (X, Y, y, w), strict=True):
        np.testing.assert_array_equal(original, now)
