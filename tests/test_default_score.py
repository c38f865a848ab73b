"""The model-selection score the doors use by default, against independent computations.

The default of ``HScoreScorer()``, ``make_hscore_scorer()`` and ``TransferabilitySelector``
is the chance-adjusted H-score with Ledoit-Wolf shrinkage,
``h_score(F, y, shrinkage="auto", adjusted=True) = (H_a - E0) / (M - E0)`` with
``H_a = tr(Sigma_a^-1 (1 - a) Sigma_B)``, ``E0 = q / (n - 1) tr(Sigma_a^-1 (1 - a) Sigma)``
and ``M = (1 - a)`` times the sum of the q largest eigenvalues of ``Sigma_a^-1 Sigma`` (for
features of rank r < q, ``q / r`` times the sum of their r nonzero eigenvalues).
The transcription below uses numpy's covariance, inverse and general eigenvalues and
scikit-learn's Ledoit-Wolf intensity, none of which the package uses.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.covariance import ledoit_wolf_shrinkage
from sklearn.decomposition import PCA
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from skhscore import (
    HScoreScorer,
    HScoreStatistics,
    TransferabilitySelector,
    h_score,
    h_score_test,
    make_hscore_scorer,
)


def transcription(F, y, alpha=None):
    """The default score, written from its definition with numpy and sklearn."""
    F = np.asarray(F, dtype=np.float64)
    n, k = F.shape
    if alpha is None:
        alpha = ledoit_wolf_shrinkage(F - F.mean(axis=0))
    classes = np.unique(y)
    q = len(classes) - 1
    S = np.cov(F, rowvar=False, bias=True).reshape(k, k)
    means = np.array([F[y == label].mean(axis=0) for label in y])  # n x k class means
    between = np.cov(means, rowvar=False, bias=True).reshape(k, k)
    shrunk = (1 - alpha) * S + alpha * np.trace(S) / k * np.eye(k)
    inverse = np.linalg.inv(shrunk)
    factor = 1 - alpha if alpha < 1 else 1.0  # (1 - a) scales all three terms alike
    value = np.trace(inverse @ (factor * between))
    null_mean = q / (n - 1) * np.trace(inverse @ (factor * S))
    gains = np.sort(np.linalg.eigvals(inverse @ S).real)[::-1]
    gains = gains[gains > 1e-10 * gains[0]]  # the rank r of the features
    ceiling = factor * gains[:q].sum() * q / min(q, gains.size)
    return (value - null_mean) / (ceiling - null_mean)


def task(seed, n, k, n_classes, signal=1.0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % n_classes
    X = rng.normal(size=(n, k)) @ rng.normal(size=(k, k)) / np.sqrt(k)
    X[:, : min(k, n_classes)] += signal * np.eye(n_classes)[y][:, : min(k, n_classes)]
    return X, y


@pytest.mark.parametrize(
    ("n", "k", "n_classes"),
    [(120, 6, 3), (60, 20, 4), (30, 80, 3), (25, 24, 5), (40, 40, 2)],
)
def test_default_score_equals_its_definition(n, k, n_classes):
    """Both implementations (Gram or covariance, and statistics) equal the transcription."""
    X, y = task(n + k, n, k, n_classes)
    expected = transcription(X, y)
    assert h_score(X, y, shrinkage="auto", adjusted=True) == pytest.approx(expected, rel=1e-8)
    stats = HScoreStatistics.from_arrays(X, y)
    assert h_score(stats, shrinkage="auto", adjusted=True) == pytest.approx(expected, rel=1e-8)
    result = h_score_test(X, y, shrinkage="auto", method="permutation", n_permutations=9)
    assert result.adjusted == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("alpha", [0.05, 0.5, 0.99])
def test_fixed_intensity_equals_its_definition(alpha):
    X, y = task(1, 40, 60, 4)
    expected = transcription(X, y, alpha)
    assert h_score(X, y, shrinkage=alpha, adjusted=True) == pytest.approx(expected, rel=1e-8)


def test_full_shrinkage_is_the_adjusted_between_variance_share():
    """At a = 1 the (1 - a) factor cancels: the score is defined, from tr(Sigma_B) / t."""
    X, y = task(2, 50, 8, 3)
    n, k = X.shape
    S = np.cov(X, rowvar=False, bias=True)
    means = np.array([X[y == label].mean(axis=0) for label in y])
    between = np.trace(np.cov(means, rowvar=False, bias=True))
    null_mean = 2 / (n - 1) * np.trace(S)
    ceiling = np.sort(np.linalg.eigvalsh(S))[::-1][:2].sum()
    expected = (between - null_mean) / (ceiling - null_mean)
    assert h_score(X, y, shrinkage=1.0, adjusted=True) == pytest.approx(expected, rel=1e-9)
    stats = HScoreStatistics.from_arrays(X, y)
    assert h_score(stats, shrinkage=1.0, adjusted=True) == pytest.approx(expected, rel=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(6, 40),
    k=st.integers(1, 50),
    n_classes=st.integers(2, 5),
    shrinkage=st.sampled_from(["auto", "oas", 0.3]),
)
def test_default_score_properties(seed, n, k, n_classes, shrinkage):
    """At most 1; invariant to sample order and relabelling; both paths agree; weights."""
    X, y = task(seed, n, k, n_classes, signal=0.5)
    score = h_score(X, y, shrinkage=shrinkage, adjusted=True)
    assert score <= 1 + 1e-9
    order = np.random.default_rng(seed).permutation(n)
    relabelled = np.array(["c", "a", "d", "b", "e"])[y]
    assert h_score(X[order], relabelled[order], shrinkage=shrinkage, adjusted=True) == (
        pytest.approx(score, rel=1e-7, abs=1e-9)
    )
    stats = HScoreStatistics.from_arrays(X, y)
    assert h_score(stats, shrinkage=shrinkage, adjusted=True) == pytest.approx(
        score, rel=1e-7, abs=1e-9
    )
    w = np.random.default_rng(seed + 1).integers(1, 4, size=n)
    weighted = h_score(X, y, sample_weight=w, shrinkage=shrinkage, adjusted=True)
    repeated = h_score(
        np.repeat(X, w, axis=0), np.repeat(y, w), shrinkage=shrinkage, adjusted=True
    )
    assert weighted == pytest.approx(repeated, rel=1e-7, abs=1e-9)


def test_inputs_are_not_modified():
    X, y = task(3, 20, 30, 3)
    X_copy, y_copy = X.copy(), y.copy()
    h_score(X, y, shrinkage="auto", adjusted=True)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)


def test_bad_input_still_raises_clear_errors():
    X, y = task(4, 20, 30, 3)
    with pytest.raises(ValueError, match="single class"):
        h_score(X, np.zeros(20), shrinkage="auto", adjusted=True)
    X_nan = X.copy()
    X_nan[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        h_score(X_nan, y, shrinkage="auto", adjusted=True)


# --- the saturated regime (k >= n or rank >= n - 1) -----------------------------------


def test_plain_adjusted_is_zero_for_every_saturated_sample():
    """Saturated: plain H = C - 1 whatever the features; the adjusted plain score is 0,
    also when duplicated rows make the rank n - 2 (where E0 < C - 1 = H gave 1.0)."""
    rng = np.random.default_rng(5)
    n, q = 30, 2
    y = np.arange(n) % 3
    for k in (30, 45, 200):
        X = rng.normal(size=(n, k))
        assert h_score(X, y) == pytest.approx(q)
        assert h_score(X, y, adjusted=True) == 0.0
    X = rng.normal(size=(n, 60))
    X[1] = X[0]  # a duplicated row, within one class after relabelling
    y_dup = y.copy()
    y_dup[1] = y_dup[0]
    assert np.linalg.matrix_rank(X - X.mean(axis=0)) == n - 2  # below n - 1
    assert h_score(X, y_dup) == pytest.approx(q)
    assert h_score(X, y_dup, adjusted=True) == 0.0


def test_shrunk_adjusted_tells_features_apart_when_saturated():
    """k > n: signal scores well above noise, and noise scores about 0 on average."""
    noise_scores, signal_scores = [], []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        n, k = 40, 120
        y = np.arange(n) % 4
        noise = rng.normal(size=(n, k))
        signal = noise.copy()
        signal[:, :4] += 2.0 * np.eye(4)[y]
        noise_scores.append(h_score(noise, y, shrinkage="auto", adjusted=True))
        signal_scores.append(h_score(signal, y, shrinkage="auto", adjusted=True))
    assert np.all(np.array(signal_scores) > np.array(noise_scores))
    assert abs(np.mean(noise_scores)) < 3 * np.std(noise_scores) / np.sqrt(20)


# --- the doors' defaults ---------------------------------------------------------------


@pytest.fixture
def wide_task():
    return task(6, 90, 40, 3, signal=0.7)


def test_hscore_scorer_default_is_the_selection_score(wide_task):
    X, y = wide_task
    pca = PCA(12, random_state=0).fit(X)
    expected = transcription(pca.transform(X), y)
    assert HScoreScorer()(pca, X, y) == pytest.approx(expected, rel=1e-8)
    assert make_hscore_scorer()(pca, X, y) == pytest.approx(expected, rel=1e-8)
    plain = HScoreScorer(shrinkage=None, adjusted=False)(pca, X, y)
    assert plain == pytest.approx(h_score(pca.transform(X), y), rel=1e-12)
    assert repr(HScoreScorer()) == "HScoreScorer()"


def test_scorer_normalize_needs_adjusted_false(wide_task):
    X, y = wide_task
    pca = PCA(3).fit(X)
    with pytest.raises(ValueError, match="adjusted=False"):
        HScoreScorer(normalize="classes")(pca, X, y)
    value = HScoreScorer(adjusted=False, shrinkage=None, normalize="classes")(pca, X, y)
    assert value == pytest.approx(h_score(pca.transform(X), y) / 2)


def test_selector_default_scoring_is_the_selection_score(wide_task):
    X, y = wide_task
    candidates = [
        ("pca4", PCA(4, random_state=0)),
        ("scaled", StandardScaler()),
        ("first3", FunctionTransformer(lambda Z: Z[:, :3])),
    ]
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    selector = TransferabilitySelector(candidates, cv=cv).fit(X, y)
    for name, transformer in candidates:
        folds = []
        for train, test in cv.split(X, y):
            fitted = transformer.fit(X[train], y[train])
            folds.append(transcription(fitted.transform(X[test]), y[test]))
        assert selector.scores_[name] == pytest.approx(np.mean(folds), rel=1e-8)


# --- the engine's Gram path (dense arrays with at most as many rows as columns) ---------


@pytest.mark.parametrize("exponent", [0, -660, 660, -1070])
def test_wide_array_path_equals_its_definition_at_extreme_magnitudes(exponent):
    """Features near 1e-200, 1e200 or subnormal score as the same values scaled near 1."""
    X, y = task(7, 24, 50, 3)
    given = np.ldexp(X, exponent)  # subnormals keep fewer bits: the reference uses those
    expected = transcription(np.ldexp(given, -exponent), y)
    assert h_score(given, y, shrinkage="auto", adjusted=True) == pytest.approx(expected, rel=1e-8)


def test_wide_array_path_offsets_zero_weights_and_float32():
    X, y = task(8, 24, 50, 4)
    expected = transcription(X, y)
    # a common offset costs only the representation of the given values
    shifted = h_score(X + 1e8, y, shrinkage="auto", adjusted=True)
    assert shifted == pytest.approx(transcription(X + 1e8, y), rel=1e-6)
    assert shifted == pytest.approx(expected, rel=1e-6)
    # rows of weight zero (a whole class among them) are left out, as by the statistics
    w = np.ones(24)
    w[y == 3] = 0.0
    w[0] = 0.0
    kept = w > 0
    weighted = h_score(X, y, sample_weight=w, shrinkage="auto", adjusted=True)
    assert weighted == pytest.approx(transcription(X[kept], y[kept]), rel=1e-8)
    stats = HScoreStatistics.from_arrays(X, y, sample_weight=w)
    assert h_score(stats, shrinkage="auto", adjusted=True) == pytest.approx(weighted, rel=1e-8)
    X32 = X.astype(np.float32)
    assert h_score(X32, y, shrinkage="auto", adjusted=True) == pytest.approx(
        transcription(X32.astype(np.float64), y), rel=1e-8
    )


@pytest.mark.parametrize("n_components", [1, 2, 5])
def test_narrow_candidates_are_measured_against_the_tasks_dimensions(n_components):
    """Features of rank r < q = C - 1 (PCA of the ten digit classes) are scored against q,
    not their own maximum: the transcription (ceiling q / r times their r gains) holds, and
    a narrow projection does not outrank the pixels it comes from."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    narrow = PCA(n_components, random_state=0).fit_transform(X)
    score = h_score(narrow, y, shrinkage="auto", adjusted=True)
    assert score == pytest.approx(transcription(narrow, y), rel=1e-8)
    assert score < h_score(X, y, shrinkage="auto", adjusted=True)
