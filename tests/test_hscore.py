"""h_score: agreement with independent oracles, identities, properties and numerical traps."""

import numpy as np
import pytest
import scipy.sparse as sp
from _reference import make_task, paper_hscore, shrunk_hscore
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.covariance import OAS, LedoitWolf, ShrunkCovariance
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine

from skhscore import HScoreStatistics, h_score

tasks = st.tuples(
    st.integers(0, 2**32 - 1),  # seed
    st.integers(2, 5),  # classes
    st.integers(1, 8),  # features
    st.integers(0, 60),  # extra samples beyond the minimum
)


def draw(task, signal=1.0):
    seed, n_classes, k, extra = task
    return make_task(seed, n=n_classes + k + 2 + extra, k=k, n_classes=n_classes, signal=signal)


# ---------------------------------------------------------------- oracles
@settings(max_examples=60, deadline=None)
@given(tasks)
def test_matches_paper_formula(task):
    X, y = draw(task)
    assert h_score(X, y) == pytest.approx(paper_hscore(X, y), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(
    "loader, columns", [(load_wine, 6), (load_iris, 4), (load_breast_cancer, 8), (load_digits, 0)]
)
def test_matches_statsmodels_manova_pillai(loader, columns):
    from statsmodels.multivariate.manova import MANOVA

    X, y = loader(return_X_y=True)
    if columns == 0:  # digits: drop constant pixels, which MANOVA cannot handle
        X = X[:, X.std(axis=0) > 0][:, :20]
    else:
        X = X[:, :columns]
    exog = np.column_stack([np.ones(len(y)), (y[:, None] == np.unique(y)[1:]).astype(float)])
    # test all class indicators jointly (the one-way MANOVA of X on the labels)
    hypothesis = [("labels", np.eye(exog.shape[1])[1:])]
    result = MANOVA(X, exog).mv_test(hypothesis)
    pillai = result.results["labels"]["stat"].loc["Pillai's trace", "Value"]
    assert h_score(X, y) == pytest.approx(pillai, rel=1e-10)


def test_wine_value_from_reference():
    X, y = load_wine(return_X_y=True)
    assert h_score(X[:, :6], y) == pytest.approx(1.314095, abs=1e-6)


def test_equals_sum_of_squared_canonical_correlations():
    X, y = make_task(3, n=200, k=5, n_classes=4)
    Y = (y[:, None] == np.unique(y)).astype(float)
    qx, _ = np.linalg.qr(X - X.mean(0))
    qy, _ = np.linalg.qr((Y - Y.mean(0))[:, :-1])
    canonical = np.linalg.svd(qx.T @ qy, compute_uv=False)
    assert h_score(X, y) == pytest.approx(np.sum(canonical**2), rel=1e-10)


def test_equals_weighted_mahalanobis_of_class_means_and_lda_form():
    X, y = make_task(4, n=150, k=4, n_classes=3)
    mu = X.mean(0)
    sigma = np.cov(X, rowvar=False, bias=True)
    total = 0.0
    for c in np.unique(y):
        d = X[y == c].mean(0) - mu
        total += np.mean(y == c) * d @ np.linalg.solve(sigma, d)
    assert h_score(X, y) == pytest.approx(total, rel=1e-10)
    within = sum(np.cov(X[y == c], rowvar=False, bias=True) * np.mean(y == c) for c in range(3))
    lam = np.linalg.eigvals(np.linalg.solve(within, sigma - within)).real
    assert h_score(X, y) == pytest.approx(np.sum(lam / (1 + lam)), rel=1e-9)


# ---------------------------------------------------------------- properties
@settings(max_examples=60, deadline=None)
@given(tasks)
def test_bounds(task):
    X, y = draw(task, signal=3.0)
    score = h_score(X, y)
    assert 0.0 <= score <= min(X.shape[1], len(np.unique(y)) - 1) + 1e-12


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n_classes", [2, 3, 7])
def test_saturates_at_c_minus_one_when_k_at_least_n_minus_one(seed, n_classes):
    rng = np.random.default_rng(seed)
    n = 20
    y = np.arange(n) % n_classes
    for k in (n - 1, n, 2 * n):
        X = rng.normal(size=(n, k))
        assert h_score(X, y) == pytest.approx(n_classes - 1, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(tasks, st.integers(0, 2**32 - 1))
def test_affine_invariance(task, seed):
    X, y = draw(task)
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(X.shape[1], X.shape[1])) + 3 * np.eye(X.shape[1])
    b = rng.normal(size=X.shape[1]) * 100
    assert h_score(X @ A + b, y) == pytest.approx(h_score(X, y), rel=1e-7, abs=1e-10)


@settings(max_examples=40, deadline=None)
@given(tasks, st.integers(0, 2**32 - 1))
def test_sample_order_and_relabelling_invariance(task, seed):
    X, y = draw(task)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    names = np.array([f"class-{i}" for i in rng.permutation(10)])
    assert h_score(X[order], y[order]) == pytest.approx(h_score(X, y), rel=1e-10, abs=1e-12)
    assert h_score(X, names[y]) == pytest.approx(h_score(X, y), rel=1e-12, abs=1e-14)
    assert h_score(X, y * 7 + 100) == pytest.approx(h_score(X, y), rel=1e-12, abs=1e-14)


@settings(max_examples=40, deadline=None)
@given(tasks)
def test_never_decreases_when_columns_are_added(task):
    X, y = draw(task)
    scores = [h_score(X[:, : j + 1], y) for j in range(X.shape[1])]
    assert np.all(np.diff(scores) >= -1e-10)


def test_null_mean_matches_matrix_beta_theory():
    rng = np.random.default_rng(0)
    n, k, n_classes, draws = 50, 5, 3, 3000
    y = np.arange(n) % n_classes
    scores = np.array([h_score(rng.normal(size=(n, k)), y) for _ in range(draws)])
    expected = k * (n_classes - 1) / (n - 1)
    standard_error = scores.std(ddof=1) / np.sqrt(draws)
    assert abs(scores.mean() - expected) < 4 * standard_error


def test_pure_noise_width_bias_beats_real_low_dimensional_features():
    # REFERENCE.md: noise k = 256, n = 360, C = 10 scores about 6.4
    rng = np.random.default_rng(0)
    y = np.arange(360) % 10
    noise = h_score(rng.normal(size=(360, 256)), y)
    assert noise == pytest.approx(256 * 9 / 359, rel=0.05)


# ---------------------------------------------------------------- input kinds
def test_integer_features_equal_float_features():
    X, y = load_digits(return_X_y=True)
    X_int = X.astype(np.int64)
    assert h_score(X_int, y) == pytest.approx(h_score(X_int.astype(np.float64), y), rel=1e-12)
    assert h_score(X_int, y) == pytest.approx(paper_hscore(X_int.astype(float), y), rel=1e-8)
    # the authors' code truncates class means of an integer array: 7.47 instead of 5.92
    assert h_score(X_int, y) == pytest.approx(5.918, abs=1e-3)
    assert h_score(X_int.astype(np.uint8), y) == pytest.approx(h_score(X, y), rel=1e-12)


def test_bool_and_float32_features():
    X, y = make_task(1, n=300, k=6)
    X_bool = X > 0
    assert h_score(X_bool, y) == pytest.approx(paper_hscore(X_bool.astype(float), y), rel=1e-9)
    X32 = X.astype(np.float32)
    assert h_score(X32, y) == pytest.approx(paper_hscore(X32.astype(np.float64), y), rel=1e-9)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_sparse_equals_dense(fmt):
    rng = np.random.default_rng(0)
    X = sp.random(400, 30, density=0.2, format=fmt, random_state=1)
    y = rng.integers(0, 4, size=400)
    dense = X.toarray()
    assert h_score(X, y) == pytest.approx(h_score(dense, y), rel=1e-10)
    assert h_score(X, y, shrinkage="auto") == pytest.approx(
        h_score(dense, y, shrinkage="auto"), rel=1e-10
    )


def test_pandas_input():
    pd = pytest.importorskip("pandas")
    X, y = load_iris(return_X_y=True, as_frame=True)
    names = pd.Series(np.array(["setosa", "versicolor", "virginica"])[y])
    assert h_score(X, names) == pytest.approx(h_score(X.to_numpy(), y.to_numpy()), rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(tasks, st.integers(0, 2**32 - 1))
def test_integer_weights_equal_repetition(task, seed):
    X, y = draw(task)
    w = np.random.default_rng(seed).integers(0, 4, size=len(y))
    w[: len(np.unique(y)) + 1] += 1  # keep every class and two samples
    Xr, yr = np.repeat(X, w, axis=0), np.repeat(y, w)
    for shrinkage in (None, "auto", "oas", 0.3):
        assert h_score(X, y, sample_weight=w, shrinkage=shrinkage) == pytest.approx(
            h_score(Xr, yr, shrinkage=shrinkage), rel=1e-9, abs=1e-12
        )


def test_weights_scale_invariance_and_zero_weight_drops_rows():
    X, y = make_task(5, n=100)
    w = np.random.default_rng(0).uniform(0.5, 2.0, size=100)
    assert h_score(X, y, sample_weight=w) == pytest.approx(
        h_score(X, y, sample_weight=3 * w), rel=1e-12
    )
    w0 = np.ones(100)
    w0[::3] = 0
    assert h_score(X, y, sample_weight=w0) == pytest.approx(
        h_score(X[w0 > 0], y[w0 > 0]), rel=1e-12
    )


# ---------------------------------------------------------------- shrinkage
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(
    "shrinkage, estimator",
    [("auto", LedoitWolf()), ("oas", OAS()), (0.25, ShrunkCovariance(shrinkage=0.25))],
)
def test_shrinkage_matches_sklearn_covariance_transcription(seed, shrinkage, estimator):
    X, y = make_task(seed, n=60, k=12, n_classes=4)
    expected = shrunk_hscore(X, y, estimator.fit(X))
    assert h_score(X, y, shrinkage=shrinkage) == pytest.approx(expected, rel=1e-10)


def test_shrinkage_single_feature_and_zero():
    X, y = make_task(0, n=80, k=1)
    assert h_score(X, y, shrinkage="auto") == pytest.approx(h_score(X, y), rel=1e-12)
    X, y = make_task(0, n=80, k=5)
    assert h_score(X, y, shrinkage=0.0) == pytest.approx(h_score(X, y), rel=1e-12)
    assert h_score(X, y, shrinkage=1.0) == 0.0


def test_shrinkage_is_finite_when_k_exceeds_n():
    X, y = make_task(0, n=30, k=100)
    score = h_score(X, y, shrinkage="auto")
    assert 0 < score < h_score(X, y) == pytest.approx(2.0)
    lw = LedoitWolf().fit(X)
    assert score == pytest.approx(shrunk_hscore(X, y, lw), rel=1e-9)


def test_statistics_object_in_place_of_arrays():
    X, y = make_task(2, n=90)
    stats = HScoreStatistics.from_arrays(X, y)
    assert h_score(stats) == h_score(X, y)
    assert h_score(stats, shrinkage="auto") == pytest.approx(h_score(X, y, shrinkage="auto"))
    with pytest.raises(ValueError, match="already holds the labels"):
        h_score(stats, y)


# ---------------------------------------------------------------- numerical traps
def test_constant_column_adds_nothing():
    X, y = load_iris(return_X_y=True)
    for value in (0.1, 1 / 3, 1e6 + 0.1, -7.7e-5):
        X_const = np.column_stack([X, np.full(len(y), value)])
        assert h_score(X_const, y) == pytest.approx(h_score(X, y), rel=1e-12)
        chunked = HScoreStatistics.from_arrays(X_const, y, chunk_size=7)
        assert h_score(chunked) == pytest.approx(h_score(X, y), rel=1e-10)


def test_duplicated_and_collinear_columns_give_the_paper_value():
    X, y = make_task(0, n=100, k=4)
    X_dup = np.column_stack([X, X[:, :2], X[:, 0] - 2 * X[:, 1]])
    assert h_score(X_dup, y) == pytest.approx(h_score(X, y), rel=1e-9)
    assert h_score(X_dup, y) == pytest.approx(paper_hscore(X_dup, y), rel=1e-6)


def test_wildly_different_column_scales_do_not_change_h():
    X, y = make_task(0, n=200, k=6)
    scales = 10.0 ** np.array([-8, -4, 0, 3, 6, 9])
    assert h_score(X * scales, y) == pytest.approx(h_score(X, y), rel=1e-9)
    # with a duplicated column the rank decision must not depend on the scale either
    X_dup = np.column_stack([X, X[:, 0]])
    scales = 10.0 ** np.array([-8, -4, 0, 3, 6, 9, 9])
    assert h_score(X_dup * scales, y) == pytest.approx(h_score(X, y), rel=1e-9)


def test_float32_computed_rank_deficient_features_are_not_inflated():
    # 16 features that are linear combinations of 8, computed in float32
    rng = np.random.default_rng(0)
    base, y = make_task(0, n=300, k=8, n_classes=10)
    mixing = rng.normal(size=(8, 16)).astype(np.float32)
    features = base.astype(np.float32) @ mixing
    exact = h_score(base.astype(np.float32), y)
    assert h_score(features, y) == pytest.approx(exact, rel=1e-4)


@pytest.mark.parametrize("scale", [1e150, 1e-150, 1e160, 1e-160, 1e300])
def test_extreme_scales_do_not_overflow(scale):
    X, y = make_task(0, n=150, k=5)
    for shrinkage in (None, "auto", "oas"):
        assert h_score(X * scale, y, shrinkage=shrinkage) == pytest.approx(
            h_score(X, y, shrinkage=shrinkage), rel=1e-10
        )


def test_mixed_extreme_column_scales():
    X, y = make_task(0, n=150, k=4)
    scales = np.array([1e160, 1e-160, 1.0, 1e200])
    assert h_score(X * scales, y) == pytest.approx(h_score(X, y), rel=1e-10)


def test_one_sample_per_class_is_legal():
    X = np.random.default_rng(0).normal(size=(6, 2))
    y = [0, 0, 0, 1, 2, 2]
    assert h_score(X, y) == pytest.approx(paper_hscore(X, y), rel=1e-9)


def test_inputs_are_never_modified():
    X, y = make_task(0, n=60)
    X32 = X.astype(np.float32)
    w = np.linspace(0.5, 2, 60)
    copies = [a.copy() for a in (X, X32, y, w)]
    h_score(X, y, sample_weight=w, shrinkage="auto")
    h_score(X32, y)
    for original, copy in zip((X, X32, y, w), copies, strict=True):
        np.testing.assert_array_equal(original, copy)


# ---------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "X, y, kwargs, error, match",
    [
        ([[0.0, np.nan], [1.0, 2.0], [2, 3]], [0, 1, 1], {}, ValueError, "NaN"),
        ([[0.0, np.inf], [1.0, 2.0], [2, 3]], [0, 1, 1], {}, ValueError, "infinity"),
        ([[0.0], [1.0], [2.0]], [1, 1, 1], {}, ValueError, "single class.*StratifiedKFold"),
        ([[0.0, 1.0]], [1], {}, ValueError, "at least 2"),
        ([[0.0], [1.0], [2.0]], [0, 1], {}, ValueError, "inconsistent numbers of samples"),
        ([0.0, 1.0, 2.0], [0, 1, 1], {}, ValueError, "Expected a 2-dimensional|2D array"),
        ([[0.0], [1.0], [2.0]], [0.5, 1.7, 2.2], {}, ValueError, "continuous"),
        ([[0.0], [1.0], [2.0]], [[0, 1], [1, 1], [1, 0]], {}, ValueError, "multilabel"),
        ([[0.0], [1.0], [2.0]], None, {}, ValueError, "y is required"),
        ([[0.0], [1.0], [2.0]], [0, 1, 1], {"sample_weight": [1, -1, 1]}, ValueError, "negative"),
        ([[0.0], [1.0], [2.0]], [0, 1, 1], {"sample_weight": [1, 1]}, ValueError, "one weight"),
        ([[0.0], [1.0], [2.0]], [0, 1, 1], {"shrinkage": 2.0}, ValueError, "shrinkage"),
        ([[0.0], [1.0], [2.0]], [0, 1, 1], {"shrinkage": "lw"}, ValueError, "shrinkage"),
        (np.array([["a"], ["b"], ["c"]], dtype=object), [0, 1, 1], {}, ValueError, "convert"),
    ],
)
def test_bad_input_gets_a_clear_error(X, y, kwargs, error, match):
    with pytest.raises(error, match=match):
        h_score(X, y, **kwargs)


def test_estimator_passed_as_features_points_to_the_scorer():
    from sklearn.decomposition import PCA

    with pytest.raises(TypeError, match="HScoreScorer"):
        h_score(PCA(), [0, 1])


def test_metric_passed_as_scoring_points_to_the_scorer():
    from sklearn.decomposition import PCA
    from sklearn.model_selection import cross_val_score

    X, y = load_iris(return_X_y=True)
    with pytest.raises(TypeError, match=r"scoring=skhscore\.HScoreScorer\(\)"):
        cross_val_score(PCA(2), X, y, scoring=h_score, error_score="raise")
