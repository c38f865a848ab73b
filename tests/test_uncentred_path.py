"""The engine's uncentred Gram path (``uncentred_sums``) against the centred path and an SVD.

For float64, C-contiguous, unweighted input whose varying columns sit within about four
standard deviations of zero, ``batch_sums`` forms ``X^T X`` on the input as given and
subtracts ``n m m^T``; the column extremes of varying columns are replaced by bounds, columns
that are not provably varying must be constant by their exact extremes, and a finite Gram
diagonal stands in for the NaN/inf check. Every test here says which path ran (a spy on
``batch_sums`` and ``uncentred_sums``), so none passes because the other path ran, and checks
the value against

* the centred path on the same data (``_uncentred_candidate`` patched to decline; patched to
  accept, ``uncentred_sums`` alone must decline what it cannot do), and
* an independent reference: H from a QR and SVD of the centred float64 data, and the shrunk
  score from scikit-learn's ``LedoitWolf`` on the centred data.

The reference. With ``Xc`` the centred n x k data, ``S = Xc^T Xc / n`` the covariance and
``B = sum_c (n_c / n) (m_c - m)(m_c - m)^T`` the between-class covariance, the paper's score
is ``H = tr(S^+ B)``. Since ``m_c - m = Xc^T 1_c / n_c`` and ``Xc = U s V^T`` (thin SVD, rank
r), ``S^+ = n V s^-2 V^T`` and ``H = sum_c (n_c / n) n 1_c^T U U^T 1_c / n_c^2
= sum_c ||U^T 1_c||^2 / n_c``: the squared norm of the class indicators projected on the
column space of the centred features, each divided by its class size (computed as
``U^T 1_c = s^-1 V^T Xc^T 1_c``, ``s, V`` from the SVD of the Householder R of ``Xc``).
Columns are brought to magnitude ~1 by an exact power of two and scaled to unit norm after
centring (H is invariant to both), the rank counts singular values above 1e-10 of the
largest, and the data are centred twice (the second pass removes the rounding of the first
mean, so offsets of 1e8 cost nothing). The reference reproduces ``h_score`` on iris to 1e-10.

Paths, as the engine decides them: the candidate (a sample of at most ~512 rows) declines any
column with ``mean^2 + var > 8 var`` (mean beyond ~2.65 sd) or a nonzero variance far below
its mean square (almost constant columns), and more than a quarter of zero-variance or
out-of-range columns; ``uncentred_sums`` itself accepts ``mean^2 + var <= 16 var`` (mean up to
~3.87 sd) and constant columns of magnitude within 2**+-100.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.linalg import qr

import skhscore._engine._accumulate as accumulate_module
import skhscore._engine._statistics as statistics_module
from skhscore import HScoreStatistics, h_score

try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    given = None

NAN_MESSAGE = "Input X contains NaN"
INF_MESSAGE = "Input X contains infinity"


# --------------------------------------------------------------------------- reference
def reference_h(X, y, columns=None):
    """H of the float64 data from an SVD of its centred, column-normalised rows."""
    X = np.array(X, dtype=np.float64)
    if columns is not None:
        X = X[:, columns]
    y = np.asarray(y)
    # exact power-of-two units first, so that no square over- or underflows
    X = np.ldexp(X, -np.frexp(np.abs(X).max(axis=0))[1])
    centred = X - X.mean(axis=0)
    centred -= centred.mean(axis=0)
    norms = np.linalg.norm(centred, axis=0)
    centred = centred[:, norms > 0] / norms[norms > 0]
    if centred.shape[1] == 0:
        return 0.0
    # centred = Q R (Householder), R = W s V^T: U = Q W, and U^T 1_c = s^-1 V^T centred^T 1_c
    R = qr(centred, mode="r")[0]
    _, s, Vt = np.linalg.svd(R, full_matrices=False)
    keep = s > 1e-10 * s[0]
    total = 0.0
    for label in np.unique(y):
        member = (y == label).astype(np.float64)
        projected = (Vt[keep] @ (centred.T @ member)) / s[keep]
        total += float(np.sum(projected**2)) / member.sum()
    return total


def reference_shrunk_h(X, y):
    """Ibrahim et al.'s shrunk score ``tr(Sigma_a^-1 (1 - a) Sigma_B)`` with scikit-learn's
    Ledoit-Wolf estimate fitted on the (twice) centred data."""
    from sklearn.covariance import LedoitWolf

    X = np.array(X, dtype=np.float64)
    y = np.asarray(y)
    centred = X - X.mean(axis=0)
    centred -= centred.mean(axis=0)
    fit = LedoitWolf(assume_centered=True).fit(centred)
    between = np.zeros((X.shape[1], X.shape[1]))
    for label in np.unique(y):
        member = y == label
        d = centred[member].mean(axis=0)
        between += member.mean() * np.outer(d, d)
    return float(np.trace(np.linalg.solve(fit.covariance_, (1 - fit.shrinkage_) * between)))


def reference_regression_h(X, Y):
    """Sum of squared canonical correlations: ``||Qx^T Qy||_F^2`` of the centred data."""

    def basis(A):
        A = np.array(A, dtype=np.float64).reshape(A.shape[0], -1)
        A = A - A.mean(axis=0)
        A -= A.mean(axis=0)
        A /= np.linalg.norm(A, axis=0)
        U, s, _ = np.linalg.svd(A, full_matrices=False)
        return U[:, s > 1e-10 * s[0]]

    return float(np.sum((basis(X).T @ basis(Y)) ** 2))


def make_data(seed, n, k, n_classes, offset=0.5, signal=0.7):
    """Class clusters, every column standardised to mean ``offset * u`` sd (u in [-1, 1]).

    Standardised exactly, so the candidate's sample sees what the full data hold: mean
    squares at most ``1 + offset**2`` times the variance.
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, size=n)
    y[:n_classes] = np.arange(n_classes)  # every class present
    centres = rng.normal(scale=signal, size=(n_classes, k))
    X = centres[y] + rng.normal(size=(n, k))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    X += offset * rng.uniform(-1, 1, size=k)
    return np.ascontiguousarray(X), y


def bounded_data(seed, n=400, k=4, n_classes=3):
    """Data with every entry in [-1, 1] (safe to multiply by 2**1023)."""
    X, y = make_data(seed, n, k, n_classes, offset=0.3)
    return np.ascontiguousarray(X / np.abs(X).max(axis=0)), y


# --------------------------------------------------------------------------- which path ran
class PathSpy:
    """Records, per call of ``batch_sums`` (one per update), which path produced the sums.

    ``"fast"``: ``uncentred_sums`` returned the sums; ``"declined"``: it was tried and
    returned None (the centred path ran); ``"centred"``: it was not tried.
    """

    def __init__(self, monkeypatch):
        self.paths = []
        self._current = None
        real_sums = accumulate_module.uncentred_sums
        real_batch = statistics_module.batch_sums

        def sums(*args, **kwargs):
            result = real_sums(*args, **kwargs)
            self._current = "declined" if result is None else "fast"
            return result

        def batch(*args, **kwargs):
            self._current = "centred"
            try:
                return real_batch(*args, **kwargs)
            finally:
                self.paths.append(self._current)

        monkeypatch.setattr(accumulate_module, "uncentred_sums", sums)
        monkeypatch.setattr(statistics_module, "batch_sums", batch)

    def take(self):
        paths, self.paths = self.paths, []
        return paths


@pytest.fixture
def spy(monkeypatch):
    return PathSpy(monkeypatch)


def centred_only(monkeypatch):
    """From here on the uncentred path is never tried."""
    monkeypatch.setattr(accumulate_module, "_uncentred_candidate", lambda X: False)


def always_try_uncentred(monkeypatch):
    """From here on the uncentred path is tried on any input (its own checks must hold)."""
    monkeypatch.setattr(accumulate_module, "_uncentred_candidate", lambda X: True)


def scores(stats):
    return (
        h_score(stats),
        h_score(stats, shrinkage="auto"),
        h_score(stats, shrinkage="auto", adjusted=True),
    )


def assert_close(got, expected, bound, what):
    """``|got - expected| <= bound`` elementwise (non-finite entries must agree exactly)."""
    got, expected = np.asarray(got), np.asarray(expected)
    finite = np.isfinite(expected)
    np.testing.assert_array_equal(got[~finite], expected[~finite], err_msg=what)
    excess = np.abs(got - expected) - np.broadcast_to(bound, expected.shape)
    worst = np.max(excess[finite], initial=-np.inf)
    assert worst <= 0, f"{what}: off by {worst:.3g} beyond the bound"


def assert_same_statistics(got, expected, rtol=1e-12):
    """Statistics equal up to ``rtol`` on the scale of each column (and H relatively).

    A column's scale is the larger of its standard deviation and its mean: the rounding of
    an uncentred product is relative to the latter (a constant column's scatter is then
    zero up to that rounding).
    """
    assert got.weight_sum_ == expected.weight_sum_
    np.testing.assert_array_equal(got.classes_, expected.classes_)
    np.testing.assert_array_equal(got.class_weights_, expected.class_weights_)
    n = expected.weight_sum_
    with np.errstate(over="ignore", invalid="ignore"):
        scatter = expected.scatter_
        mean = expected.mean_
        scale = np.sqrt(np.maximum(np.diag(scatter), 0.0) / n)
        column_scale = np.fmax(scale, np.abs(mean))
        assert_close(got.mean_, mean, rtol * column_scale, "mean_")
        assert_close(got.class_means_, expected.class_means_, rtol * column_scale, "class_means_")
        bound = np.outer(rtol * column_scale, column_scale) * n
        assert_close(got.scatter_, scatter, bound, "scatter_")
    names = ("plain", "shrunk", "adjusted")
    for name, a, b in zip(names, scores(got), scores(expected), strict=True):
        assert a == pytest.approx(b, rel=rtol, abs=1e-300), name


def both_paths(monkeypatch, spy, X, y, expected_path="fast"):
    """Statistics of (X, y) by the path the engine picks and by the centred path."""
    fast = HScoreStatistics.from_arrays(X, y)
    assert spy.take() == [expected_path]
    with monkeypatch.context() as m:
        centred_only(m)
        centred = HScoreStatistics.from_arrays(X, y)
    assert spy.take() == ["centred"]
    return fast, centred


# --------------------------------------------------------------------------- the reference
def test_reference_matches_h_score_on_iris():
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    assert h_score(X, y) == pytest.approx(reference_h(X, y), rel=1e-10)
    # and a rank-deficient case: a copied column and a column of zeros change nothing
    X3 = np.column_stack([X, X[:, 0], np.zeros(len(y))])
    assert reference_h(X3, y) == pytest.approx(reference_h(X, y), rel=1e-12)


# --------------------------------------------------------------------------- 1. plain data
SHAPES = [  # (n, k, n_classes, largest offset in sd)
    (3, 1, 2, 0.5),
    (3, 1, 2, 2.0),
    (3, 2, 3, 2.0),
    (4, 1, 2, 0.5),
    (10, 3, 2, 2.0),
    (50, 5, 3, 0.5),
    (50, 5, 3, 2.0),
    (200, 20, 5, 0.5),
    (200, 20, 5, 2.0),
    (300, 300, 4, 2.0),  # n = k: the centred data have rank n - 1
    (40, 120, 3, 0.5),  # n < k
    (40, 120, 3, 2.0),
    (1000, 50, 10, 2.0),
    (2000, 1, 2, 0.5),
    (2000, 1, 2, 2.0),
    (5000, 300, 50, 2.0),
]


@pytest.mark.parametrize(("n", "k", "n_classes", "offset"), SHAPES)
def test_plain_gaussian_takes_the_fast_path_and_matches(monkeypatch, spy, n, k, n_classes, offset):
    """Columns standardised, then offset by up to ``offset`` sd (2 sd: mean^2 + var = 5 var,
    accepted by the candidate's sample and by uncentred_sums)."""
    X, y = make_data(n * 1000 + k, n, k, n_classes, offset=offset)
    fast, centred = both_paths(monkeypatch, spy, X, y)
    assert_same_statistics(fast, centred, rtol=1e-12)
    expected = reference_h(X, y)
    assert h_score(X, y) == pytest.approx(expected, rel=1e-11)
    assert spy.take() == ["fast"]
    assert h_score(fast) == pytest.approx(expected, rel=1e-11)
    assert h_score(fast, shrinkage="auto") == pytest.approx(reference_shrunk_h(X, y), rel=1e-10)
    if n - 1 <= k:  # the centred data span every direction the classes can take
        assert expected == pytest.approx(n_classes - 1, rel=1e-12)


@pytest.mark.parametrize("cond", [1e2, 1e3, 1e4, 3e4])
@pytest.mark.parametrize("offset", [0.0, 2.5, 3.5])
def test_ill_conditioned_features_on_the_fast_path(monkeypatch, spy, cond, offset):
    """Features Z A with cond(A) up to 3e4, standardised and offset (uncentred_sums forced:
    it accepts up to ~3.87 sd): the fast path keeps H to the package's standard for such
    features (1e-6, as test_exactness) and within ~2e-15 cond^2 (measured over seeds: up to
    7e-16 cond^2 at 2.5-3.8 sd, where the centred path stays within ~2e-17 cond^2)."""
    rng = np.random.default_rng(int(cond) + int(10 * offset))
    n, k = 3000, 8
    y = rng.integers(0, 4, size=n)
    Z = rng.normal(size=(n, k)) + 0.3 * rng.normal(size=(4, k))[y]
    q1, _ = np.linalg.qr(rng.normal(size=(k, k)))
    q2, _ = np.linalg.qr(rng.normal(size=(k, k)))
    X = Z @ (q1 @ np.diag(np.logspace(0, -np.log10(cond), k)) @ q2)
    X = np.ascontiguousarray((X - X.mean(axis=0)) / X.std(axis=0) + offset)
    expected = reference_h(Z, y)  # H is affine invariant
    assert reference_h(X, y) == pytest.approx(expected, rel=1e-11)
    always_try_uncentred(monkeypatch)  # the sample may see a column beyond 2.65 sd
    fast, centred = both_paths(monkeypatch, spy, X, y)
    fast_error = abs(h_score(fast) / expected - 1)
    centred_error = abs(h_score(centred) / expected - 1)
    assert centred_error <= max(1e-12, 1e-16 * cond**2)
    assert fast_error <= max(1e-12, min(1e-6, 2e-15 * cond**2))
    assert h_score(fast, shrinkage="auto") == pytest.approx(
        h_score(centred, shrinkage="auto"), rel=1e-9
    )


def test_chunk_size_does_not_change_the_fast_path(spy):
    X, y = make_data(1, 700, 6, 3)
    one = HScoreStatistics.from_arrays(X, y)
    small = HScoreStatistics.from_arrays(X, y, chunk_size=7)
    assert spy.take() == ["fast", "fast"]
    assert_same_statistics(small, one, rtol=1e-15)


def test_unit_weights_take_the_centred_path_and_agree(spy):
    X, y = make_data(2, 500, 7, 4)
    fast = HScoreStatistics.from_arrays(X, y)
    weighted = HScoreStatistics.from_arrays(X, y, sample_weight=np.ones(len(y)))
    assert spy.take() == ["fast", "centred"]
    assert_same_statistics(fast, weighted, rtol=1e-12)


def test_regression_target_fast_path(monkeypatch, spy):
    rng = np.random.default_rng(3)
    X, _ = make_data(3, 800, 6, 2, offset=1.5)
    Y = X[:, :2] @ rng.normal(size=(2, 2)) + rng.normal(size=(800, 2)) + 5.0
    fast = h_score(X, Y, target="regression")
    assert spy.take() == ["fast"]
    with monkeypatch.context() as m:
        centred_only(m)
        centred = h_score(X, Y, target="regression")
    assert spy.take() == ["centred"]
    assert fast == pytest.approx(centred, rel=1e-12)
    assert fast == pytest.approx(reference_regression_h(X, Y), rel=1e-11)


# --------------------------------------------------------------------------- 2. offsets
@pytest.mark.parametrize(
    ("offset", "path"),
    [
        (0.0, "fast"),
        (1.0, "fast"),
        (2.0, "fast"),
        (2.5, "fast"),
        # the candidate keeps a margin of 2 below _UNCENTRED_LOSS: mean^2 + var <= 8 var
        (3.0, "centred"),
        (10.0, "centred"),
        (1e4, "centred"),
        (1e8, "centred"),
    ],
)
def test_common_offset(monkeypatch, spy, offset, path):
    X, y = make_data(4, 1500, 8, 4, offset=0.0)
    X = np.ascontiguousarray(X + offset)
    fast, centred = both_paths(monkeypatch, spy, X, y, expected_path=path)
    assert_same_statistics(fast, centred, rtol=1e-12 if path == "fast" else 1e-15)
    expected = reference_h(X, y)
    assert h_score(fast) == pytest.approx(expected, rel=1e-11 if offset < 1e3 else 1e-9)
    # H does not see the offset
    assert h_score(fast) == pytest.approx(reference_h(X - offset, y), rel=1e-9)


@pytest.mark.parametrize(
    ("offset", "path"),
    [(3.0, "fast"), (3.5, "fast"), (3.8, "fast"), (4.0, "declined"), (10.0, "declined")],
)
def test_uncentred_sums_own_offset_guard(monkeypatch, spy, offset, path):
    """With the sample's prediction bypassed, uncentred_sums alone decides (mean^2 <= 15 var)."""
    X, y = make_data(5, 1200, 6, 3, offset=0.0)
    X = np.ascontiguousarray(X + offset)
    with monkeypatch.context() as m:
        always_try_uncentred(m)
        got = HScoreStatistics.from_arrays(X, y)
    assert spy.take() == [path]
    with monkeypatch.context() as m:
        centred_only(m)
        centred = HScoreStatistics.from_arrays(X, y)
    spy.take()
    assert_same_statistics(got, centred, rtol=1e-11)
    assert h_score(got) == pytest.approx(reference_h(X, y), rel=1e-11)


@pytest.mark.parametrize("offset_sd", [3.0, 10.0, 1e4, 1e8])
@pytest.mark.parametrize("force", [False, True])
def test_one_offset_column_among_many(monkeypatch, spy, offset_sd, force):
    X, y = make_data(6, 2000, 40, 5, offset=0.5)
    X[:, 17] = X[:, 17] - X[:, 17].mean() + offset_sd
    if force:
        always_try_uncentred(monkeypatch)
    got = HScoreStatistics.from_arrays(X, y)
    # forced, uncentred_sums takes mean^2 <= 15 var (3 sd), the candidate only 7 var
    forced_path = "fast" if offset_sd**2 <= 15 else "declined"
    assert spy.take() == [forced_path if force else "centred"]
    expected = reference_h(X, y)
    assert h_score(got) == pytest.approx(expected, rel=1e-9)
    assert h_score(X, y) == pytest.approx(expected, rel=1e-9)


def test_offset_hidden_from_the_sample(spy):
    """The sample (every 40th row of 20480) is centred; the other rows sit at 50: the full
    column has mean^2 ~ 39 var, which uncentred_sums must see and decline."""
    rng = np.random.default_rng(45)
    n = 20480
    y = rng.integers(0, 3, size=n)
    X = rng.normal(size=(n, 3)) + 0.5 * y[:, None]
    X[np.arange(n) % 40 != 0, 1] += 50.0
    got = h_score(X, y)
    assert spy.take() == ["declined"]
    assert got == pytest.approx(reference_h(X, y), rel=1e-10)


def test_offset_far_from_zero_with_tiny_spread(spy):
    """1e8 + N(0, 1): the fallback must keep every digit the data carry."""
    X, y = make_data(7, 3000, 5, 3, offset=0.0)
    X = np.ascontiguousarray(X + np.array([1e8, -1e8, 5e7, 0.0, 1e8]))
    assert h_score(X, y) == pytest.approx(reference_h(X, y), rel=1e-9)
    assert spy.take() == ["centred"]


def test_offset_bimodal_column_is_fast_and_exact(monkeypatch, spy):
    """Half the rows at -1, half at +1 (mean 0): a varying column with no spread around
    either mode; and a column whose only spread is one outlier (mean^2 << var)."""
    X, y = make_data(8, 1000, 5, 3)
    X[:, 0] = np.where(np.arange(1000) % 2 == 0, -1.0, 1.0)
    X[:, 1] = 0.0
    X[123, 1] = 1e6
    fast, centred = both_paths(monkeypatch, spy, X, y)
    assert_same_statistics(fast, centred, rtol=1e-12)
    assert h_score(fast) == pytest.approx(reference_h(X, y), rel=1e-11)


# --------------------------------------------------------------------------- 3. constants
CONSTANTS = {
    "zero": (0.0, "fast"),
    "one": (1.0, "fast"),
    "negative": (-3.25, "fast"),
    "tiny": (1e-200, "declined"),  # constant, but its units differ from 1
    "huge": (1e200, "centred"),  # its square overflows in the sample
    "large_safe": (2.0**80, "fast"),
    "small_safe": (2.0**-80, "fast"),
    "subnormal": (5e-324, "declined"),
}


@pytest.mark.parametrize("name", sorted(CONSTANTS))
def test_constant_column_among_varying_ones(monkeypatch, spy, name):
    value, path = CONSTANTS[name]
    X, y = make_data(9, 800, 9, 4)
    X = np.insert(X, 4, value, axis=1)  # one constant among ten columns
    varying = [j for j in range(10) if j != 4]
    fast, centred = both_paths(monkeypatch, spy, X, y, expected_path=path)
    assert_same_statistics(fast, centred, rtol=1e-12)
    expected = reference_h(X[:, varying], y)
    assert h_score(fast) == pytest.approx(expected, rel=1e-11)
    assert h_score(X, y) == pytest.approx(expected, rel=1e-11)
    assert fast.mean_[4] == pytest.approx(value, rel=1e-15)
    np.testing.assert_allclose(fast.class_means_[:, 4], value, rtol=1e-15)
    if path == "fast":  # the constant column's scatter: zero up to the products' rounding
        sd = np.sqrt(np.diag(fast.scatter_)[varying] / 800)
        assert np.all(np.abs(fast.scatter_[4, varying]) <= 1e-12 * 800 * abs(value) * sd)
        assert abs(fast.scatter_[4, 4]) <= 1e-12 * 800 * value * value


@pytest.mark.parametrize("value", [1.0, 10.0, 1e3, 1e4, -1e5, 1e6, 2.0**80])
def test_constant_column_far_from_zero_keeps_the_shrunk_score(monkeypatch, spy, value):
    """Adding a constant to a column changes no centred moment: a constant column of any
    value gives the Ledoit-Wolf score of the same column at zero (the fourth-moment term
    ``sum_i ||x_i - mean||^4`` included)."""
    X, y = make_data(9, 800, 9, 4)
    X = np.insert(X, 4, value, axis=1)
    at_zero = X.copy()
    at_zero[:, 4] = 0.0
    expected = reference_shrunk_h(at_zero, y)
    assert reference_shrunk_h(X, y) == pytest.approx(expected, rel=1e-12)
    fast, centred = both_paths(monkeypatch, spy, X, y)
    assert h_score(centred, shrinkage="auto") == pytest.approx(expected, rel=1e-10)
    assert h_score(fast) == pytest.approx(h_score(centred), rel=1e-12)
    assert h_score(fast, shrinkage="auto") == pytest.approx(expected, rel=1e-10)
    assert h_score(fast, shrinkage="auto", adjusted=True) == pytest.approx(
        h_score(centred, shrinkage="auto", adjusted=True), rel=1e-10
    )


@pytest.mark.parametrize("ulps", [1, 4])
def test_constant_up_to_a_few_ulps_is_constant(monkeypatch, spy, ulps):
    X, y = make_data(10, 900, 8, 3)
    column = np.full(900, 1.0)
    column[::3] += ulps * np.spacing(1.0)
    X[:, 2] = column
    # its tiny variance in the sample reads as an offset: the candidate declines
    assert h_score(X, y) == pytest.approx(reference_h(X[:, [0, 1, 3, 4, 5, 6, 7]], y))
    assert spy.take() == ["centred"]
    always_try_uncentred(monkeypatch)
    fast, centred = both_paths(monkeypatch, spy, X, y)
    varying = [j for j in range(8) if j != 2]
    expected = reference_h(X[:, varying], y)
    assert h_score(fast) == pytest.approx(expected, rel=1e-11)
    assert h_score(centred) == pytest.approx(expected, rel=1e-11)
    assert h_score(fast, shrinkage="auto") == pytest.approx(
        h_score(centred, shrinkage="auto"), rel=1e-12
    )


def test_almost_constant_column_that_varies_falls_back(monkeypatch, spy):
    """1 + 1e-9 noise: varying by the extremes, far from zero: not for the uncentred path."""
    X, y = make_data(11, 900, 8, 3)
    rng = np.random.default_rng(11)
    X[:, 5] = 1.0 + 1e-9 * rng.normal(size=900) + 1e-9 * y
    got = h_score(X, y)
    assert spy.take() == ["centred"]  # the sample sees a column far from zero
    assert got == pytest.approx(reference_h(X, y), rel=1e-9)
    with monkeypatch.context() as m:
        always_try_uncentred(m)
        assert h_score(X, y) == pytest.approx(got, rel=1e-13)
    assert spy.take() == ["declined"]  # not provably varying, not constant either


def test_all_zero_columns(monkeypatch, spy):
    X, y = make_data(12, 600, 12, 3)
    X[:, [0, 7, 11]] = 0.0
    fast, centred = both_paths(monkeypatch, spy, X, y)
    assert_same_statistics(fast, centred, rtol=1e-12)
    expected = reference_h(X[:, [j for j in range(12) if j not in (0, 7, 11)]], y)
    assert h_score(fast) == pytest.approx(expected, rel=1e-11)


@pytest.mark.parametrize("force", [False, True])
def test_more_constant_columns_than_a_quarter_fall_back(monkeypatch, spy, force):
    X, y = make_data(13, 500, 8, 3)
    X[:, [1, 3, 5]] = [0.0, 1.0, -2.0]  # 3 of 8 > 8 / 4
    if force:
        always_try_uncentred(monkeypatch)
    got = HScoreStatistics.from_arrays(X, y)
    assert spy.take() == ["declined" if force else "centred"]
    assert h_score(got) == pytest.approx(reference_h(X[:, [0, 2, 4, 6, 7]], y), rel=1e-11)


@pytest.mark.parametrize("value", [0.0, 1.0])
def test_single_constant_column(spy, value):
    X = np.full((50, 1), value)
    y = np.arange(50) % 2
    assert h_score(X, y) == 0.0
    assert spy.take() == ["centred"]


def test_constant_in_the_sample_but_not_in_the_data(monkeypatch, spy):
    """The sample (every tenth row) sees a column of zeros; one skipped row is not zero."""
    X, y = make_data(14, 5120, 6, 3)
    X[:, 3] = 0.0
    X[5, 3] = 2.5  # row 5 is not in the sample
    fast, centred = both_paths(monkeypatch, spy, X, y)
    assert_same_statistics(fast, centred, rtol=1e-12)
    assert h_score(fast) == pytest.approx(reference_h(X, y), rel=1e-11)
    assert h_score(fast) > h_score(X[:, [0, 1, 2, 4, 5]], y)  # the indicator of row 5 counts


def test_doubtful_column_varying_outside_the_sample_is_checked(monkeypatch, spy):
    """A column constant at 7 in the sample, 7 + 1e-6 in one skipped row: it varies (by the
    extremes) and is far from zero, so the uncentred path must decline."""
    X, y = make_data(15, 5120, 6, 3)
    X[:, 2] = 7.0
    X[5, 2] = 7.0 + 1e-6
    got = HScoreStatistics.from_arrays(X, y)
    assert spy.take() == ["declined"]
    assert h_score(got) == pytest.approx(reference_h(X, y), rel=1e-9)


# --------------------------------------------------------------------------- 4. magnitudes
SCALES = {
    # a column varying at an extreme magnitude in the sample: declined before the product
    "2**-150": (2.0**-150, "centred", "centred"),
    "2**150": (2.0**150, "centred", "centred"),
    "1e-300": (1e-300, "declined", "centred"),
    "1e300": (1e300, "centred", "centred"),
    "2**1023": (2.0**1023, "centred", "centred"),
    "2**-85": (2.0**-85, "fast", "fast"),
    "2**85": (2.0**85, "fast", "fast"),
}


@pytest.mark.parametrize("name", sorted(SCALES))
def test_scaled_columns(monkeypatch, spy, name):
    scale, one_path, all_path = SCALES[name]
    X, y = bounded_data(16, n=600, k=8)
    expected = reference_h(X, y)
    one = X.copy()
    one[:, 6] *= scale
    everything = np.ascontiguousarray(X * scale)
    assert np.all(np.isfinite(everything))
    for data, path in ((one, one_path), (everything, all_path)):
        got, centred = both_paths(monkeypatch, spy, data, y, expected_path=path)
        assert h_score(got) == pytest.approx(expected, rel=1e-10)
        assert h_score(centred) == pytest.approx(expected, rel=1e-10)
        assert h_score(data, y) == pytest.approx(expected, rel=1e-10)
        assert spy.take() == [path]
    # the shrunk score is invariant to one common scale of all columns (Ledoit-Wolf too)
    got = HScoreStatistics.from_arrays(everything, y)
    plain = HScoreStatistics.from_arrays(X, y)
    spy.take()
    for a, b in zip(scores(got), scores(plain), strict=True):
        assert a == pytest.approx(b, rel=1e-10)


@pytest.mark.parametrize("columns", ["one", "all"])
def test_subnormal_columns(spy, columns):
    """Integers times 5e-324 are exact subnormals: H of the integers."""
    rng = np.random.default_rng(17)
    y = np.repeat(np.arange(3), 200)
    integers = rng.integers(0, 300, size=(600, 5)) + 40 * y[:, None] * (np.arange(5) % 2)
    X = integers.astype(np.float64)
    if columns == "one":
        X[:, 1] *= 5e-324
    else:
        X *= 5e-324
    scaled = [1] if columns == "one" else list(range(5))
    np.testing.assert_array_equal(X[:, scaled] / 5e-324, integers[:, scaled])  # exact
    expected = reference_h(integers, y)
    assert h_score(X, y) == pytest.approx(expected, rel=1e-10)
    assert spy.take() == ["declined" if columns == "one" else "centred"]
    if columns == "all":  # one common scale: the shrunk score does not see it either
        assert h_score(X, y, shrinkage="auto") == pytest.approx(
            h_score(integers, y, shrinkage="auto"), rel=1e-10
        )


def test_entry_whose_square_overflows(spy):
    """1e200 in one entry of a N(0, 1) column: finite, so no error; the column is then
    (to float64) the indicator of that row, which is what every computation sees."""
    X, y = make_data(18, 2000, 6, 4)
    for row, path in ((0, "centred"), (999, "centred"), (1000, "declined")):  # step 3
        data = X.copy()
        data[row, 2] = 1e200
        indicator = data.copy()
        indicator[:, 2] = 0.0
        indicator[row, 2] = 1.0
        expected = reference_h(indicator, y)
        assert reference_h(data, y) == pytest.approx(expected, rel=1e-10)
        got = h_score(data, y)
        assert spy.take() == [path]
        assert got == pytest.approx(expected, rel=1e-10)
        scaled = data.copy()
        scaled[:, 2] *= 1e-200
        assert h_score(scaled, y) == pytest.approx(expected, rel=1e-10)
        shrunk = h_score(data, y, shrinkage="auto")
        spy.take()
        assert np.isfinite(shrunk)
        assert 0.0 <= shrunk <= 3.0


def test_sum_of_squares_overflows_but_no_square_does(spy):
    """Entries ~1e153: each square is finite, their sum over the column is not."""
    X, y = bounded_data(19, n=3000, k=5)
    data = X.copy()
    data[:, 3] *= 1e153
    assert np.isinf(np.sum(data[:, 3] ** 2))
    assert h_score(data, y) == pytest.approx(reference_h(X, y), rel=1e-10)
    assert spy.take() == ["centred"]  # the sample sees an extreme varying column


# --------------------------------------------------------------------------- 5. NaN and inf
BAD_ROWS = {
    "first": 0,  # in the sample
    "sampled": 2560,  # in the sample (every tenth row of 5120)
    "skipped": 2563,  # not in the sample
    "last": 5119,  # not in the sample
}


@pytest.mark.parametrize("where", sorted(BAD_ROWS))
@pytest.mark.parametrize(
    ("value", "message"),
    [(np.nan, NAN_MESSAGE), (np.inf, INF_MESSAGE), (-np.inf, INF_MESSAGE)],
)
@pytest.mark.parametrize("column", [1, 4])  # 4 is a constant column (a doubtful one)
def test_nan_and_inf_raise(spy, where, value, message, column):
    X, y = make_data(20, 5120, 6, 3)
    X[:, 4] = 1.0
    row = BAD_ROWS[where]
    X[row, column] = value
    before = X.copy()
    sampled = row % 10 == 0
    with pytest.raises(ValueError, match=message):
        h_score(X, y)
    assert spy.take() == ["centred" if sampled else "declined"]
    with pytest.raises(ValueError, match=message):
        HScoreStatistics.from_arrays(X, y)
    with pytest.raises(ValueError, match=message):
        h_score(X, y, shrinkage="auto")
    stats = HScoreStatistics.from_arrays(X[100:200], y[100:200])
    snapshot = (stats.mean_.copy(), stats.scatter_.copy(), stats.n_samples_seen_)
    with pytest.raises(ValueError, match=message):
        stats.update(X, y)
    np.testing.assert_array_equal(stats.mean_, snapshot[0])
    np.testing.assert_array_equal(stats.scatter_, snapshot[1])
    assert stats.n_samples_seen_ == snapshot[2]
    np.testing.assert_array_equal(X, before)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_raise_when_uncentred_is_forced(monkeypatch, spy, value):
    X, y = make_data(21, 300, 5, 3)
    X[150, 2] = value
    always_try_uncentred(monkeypatch)
    with pytest.raises(ValueError, match=NAN_MESSAGE if np.isnan(value) else INF_MESSAGE):
        h_score(X, y)
    assert spy.take() == ["declined"]


def test_nan_and_inf_in_the_same_column_raise(spy):
    X, y = make_data(22, 5120, 6, 3)
    X[3, 0] = np.inf
    X[7, 0] = -np.inf
    with pytest.raises(ValueError, match=INF_MESSAGE):
        h_score(X, y)
    X[9, 1] = np.nan
    with pytest.raises(ValueError, match="Input X contains"):
        h_score(X, y)


def test_nan_raises_on_tiny_input(spy):
    X = np.array([[0.1, 0.2], [np.nan, 0.4], [0.3, -0.5], [-0.2, 0.1]])
    y = np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match=NAN_MESSAGE):
        h_score(X, y)
    with pytest.raises(ValueError, match=NAN_MESSAGE):
        h_score(X, np.array([1.0, 2.0, 3.0, 4.0]), target="regression")


# --------------------------------------------------------------------------- 6. merges
def three_ways(monkeypatch, spy, batches):
    """Statistics streamed by update, merged from parts and one pass, the paths of the
    batches, and the one-pass statistics of the centred path (the yardstick)."""
    streamed = HScoreStatistics()
    for X, y in batches:
        streamed.update(X, y)
    paths = spy.take()
    parts = [HScoreStatistics.from_arrays(X, y) for X, y in batches]
    assert spy.take() == paths
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    X = np.vstack([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    whole = HScoreStatistics.from_arrays(X, y)
    spy.take()
    with monkeypatch.context() as m:
        centred_only(m)
        yardstick = HScoreStatistics.from_arrays(X, y)
    spy.take()
    return (streamed, merged, whole), yardstick, paths, X, y


def check_merged(monkeypatch, spy, batches, expected_paths, columns=None):
    stats, yardstick, paths, X, y = three_ways(monkeypatch, spy, batches)
    assert paths == expected_paths
    expected = reference_h(X, y, columns)
    assert h_score(yardstick) == pytest.approx(expected, rel=1e-11)
    for name, got in zip(("streamed", "merged", "one pass"), stats, strict=True):
        assert h_score(got) == pytest.approx(expected, rel=1e-11), name
        assert_same_statistics(got, yardstick, rtol=1e-10)
    if columns is None:
        shrunk = reference_shrunk_h(X, y)
        assert h_score(yardstick, shrinkage="auto") == pytest.approx(shrunk, rel=1e-10)
    return yardstick


def split(seed, n=1200, k=6, n_classes=3):
    X, y = make_data(seed, n, k, n_classes)
    half = n // 2
    return (X[:half].copy(), y[:half]), (X[half:].copy(), y[half:])


@pytest.mark.parametrize("value", [0.0, 1.5, -40.0])
def test_merge_column_constant_in_one_batch_varying_in_the_other(monkeypatch, spy, value):
    (X1, y1), (X2, y2) = split(30)
    X1[:, 2] = value
    check_merged(monkeypatch, spy, [(X1, y1), (X2, y2)], ["fast", "fast"])
    check_merged(monkeypatch, spy, [(X2, y2), (X1, y1)], ["fast", "fast"])


@pytest.mark.parametrize(("first", "second"), [(1.0, 2.0), (0.0, -1.0), (1e4, 1e4 + 1.0)])
def test_merge_constant_with_different_values_varies(monkeypatch, spy, first, second):
    (X1, y1), (X2, y2) = split(31)
    X1[:, 4], X2[:, 4] = first, second
    yardstick = check_merged(monkeypatch, spy, [(X1, y1), (X2, y2)], ["fast", "fast"])
    # the column is the batch indicator: its scatter is n_a n_b / n (second - first)^2
    assert yardstick.scatter_[4, 4] == pytest.approx(300 * (second - first) ** 2, rel=1e-11)


@pytest.mark.parametrize(
    ("first", "second"),
    [(1.0, 1.0), (0.0, 0.0), (-2.5, -2.5), (1e4, 1e4)],
)
def test_merge_constant_with_the_same_value_stays_constant(monkeypatch, spy, first, second):
    (X1, y1), (X2, y2) = split(32)
    X1[:, 1], X2[:, 1] = first, second
    varying = [0, 2, 3, 4, 5]
    yardstick = check_merged(
        monkeypatch, spy, [(X1, y1), (X2, y2)], ["fast", "fast"], columns=varying
    )
    X = np.vstack([X1, X2])
    y = np.concatenate([y1, y2])
    assert h_score(yardstick) == pytest.approx(reference_h(X[:, varying], y), rel=1e-11)
    assert h_score(yardstick, shrinkage="auto") == pytest.approx(
        reference_shrunk_h(X, y), rel=1e-10
    )


def test_merge_constant_one_ulp_apart_stays_constant(monkeypatch, spy):
    """1.0 in one batch, 1 + 2 ulp in the other: a spread of 2 ulps is no variation.
    (The sample of the second batch sees the rounding of its mean as a variance and the
    candidate declines: the batch takes the centred path.)"""
    (X1, y1), (X2, y2) = split(39)
    X1[:, 1], X2[:, 1] = 1.0, 1.0 + 2 * np.spacing(1.0)
    varying = [0, 2, 3, 4, 5]
    check_merged(monkeypatch, spy, [(X1, y1), (X2, y2)], ["fast", "centred"], columns=varying)


def test_merge_batches_taking_different_paths(monkeypatch, spy):
    (X1, y1), (X2, y2) = split(33, k=8)
    X2 = np.ascontiguousarray(X2 + 10.0)  # an offset of 10 sd: the centred path
    check_merged(monkeypatch, spy, [(X1, y1), (X2, y2)], ["fast", "centred"])
    check_merged(monkeypatch, spy, [(X2, y2), (X1, y1)], ["centred", "fast"])
    X3 = np.asfortranarray(split(34, k=8)[0][0])  # F-ordered: fast, through chunk copies
    check_merged(monkeypatch, spy, [(X1, y1), (X3, y1)], ["fast", "fast"])


def test_merge_fast_part_with_a_part_in_other_units(monkeypatch, spy):
    """Column 5 is ~2**150 in both batches (units 2**150): the uncentred path is not taken
    where it varies (the sample sees it) and declines where it is constant."""
    (X1, y1), (X2, y2) = split(35)
    X1[:, 5] *= 2.0**150
    X2[:, 5] *= 2.0**150
    check_merged(monkeypatch, spy, [(X1, y1), (X2, y2)], ["centred", "centred"])
    (X1, y1), (X2, y2) = split(36)
    X2[:, 5] = 3.0 * 2.0**150  # constant in units 2**150, varying in the other batch
    X1[:, 5] *= 2.0**150
    check_merged(monkeypatch, spy, [(X1, y1), (X2, y2)], ["centred", "declined"])


@pytest.mark.parametrize("centred", [False, True])
def test_merge_zero_column_with_a_tiny_constant_column(monkeypatch, spy, centred):
    """Column 3 is 0 in one batch and 1e-200 in the other (a constant in units 2**-664):
    together it is 1e-200 times the batch indicator, and varies. (``centred``: the same
    with the uncentred path off.)"""
    if centred:
        centred_only(monkeypatch)
    (X1, y1), (X2, y2) = split(37)
    X1[:, 3], X2[:, 3] = 0.0, 1e-200
    X = np.vstack([X1, X2])
    y = np.concatenate([y1, y2])
    indicator = X.copy()
    indicator[:, 3] = np.r_[np.zeros(len(y1)), np.ones(len(y2))]
    expected = reference_h(indicator, y)
    assert reference_h(X, y) == pytest.approx(expected, rel=1e-12)
    assert h_score(X, y) == pytest.approx(expected, rel=1e-10)  # one pass
    assert spy.take() == ["centred" if centred else "declined"]
    streamed = HScoreStatistics().update(X1, y1).update(X2, y2)
    assert spy.take() == (["centred", "centred"] if centred else ["fast", "declined"])
    assert h_score(streamed) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_streaming_tiny_batches(monkeypatch, spy, size):
    """Batches of 1 to 5 rows: some take the fast path, some not (one row is all constant
    columns); the streamed statistics are those of the whole data."""
    X, y = make_data(46, 120, 3, 2, offset=0.5)
    stats = HScoreStatistics()
    for start in range(0, 120, size):
        stats.update(X[start : start + size], y[start : start + size])
    paths = spy.take()
    assert len(paths) == -(-120 // size)
    if size >= 3:
        assert "fast" in paths and "centred" in paths  # both paths merged
    else:
        assert set(paths) <= {"fast", "centred"}
    with monkeypatch.context() as m:
        centred_only(m)
        yardstick = HScoreStatistics.from_arrays(X, y)
    assert h_score(stats) == pytest.approx(reference_h(X, y), rel=1e-11)
    assert h_score(stats, shrinkage="auto") == pytest.approx(reference_shrunk_h(X, y), rel=1e-10)
    assert_same_statistics(stats, yardstick, rtol=1e-11)


def test_merge_many_small_batches(monkeypatch, spy):
    X, y = make_data(38, 1000, 5, 4, offset=1.5)
    X[:, 0] = 0.0
    X[:500, 0] = 1.0  # constant inside each batch of 100, not overall
    batches = [(X[i : i + 100], y[i : i + 100]) for i in range(0, 1000, 100)]
    check_merged(monkeypatch, spy, batches, ["fast"] * 10)


# --------------------------------------------------------------------------- 7. layouts
def layouts(X):
    import pandas as pd

    readonly = X.copy()
    readonly.setflags(write=False)
    buffer = np.zeros(X.size * 8 + 1, dtype=np.uint8)
    misaligned = np.frombuffer(buffer[1:].data, dtype=np.float64).reshape(X.shape)
    misaligned[...] = X
    return {
        # other layouts and dtypes: float64 C-ordered copies chunk by chunk, same path
        "fortran": (np.asfortranarray(X), "fast"),
        "column_slice": (np.hstack([X, X])[:, : X.shape[1]], "fast"),
        "every_other_column": (np.repeat(X, 2, axis=1)[:, ::2], "fast"),
        "every_other_row": (np.repeat(X, 2, axis=0)[::2], "fast"),
        "reversed_rows": (X[::-1][::-1], "fast"),  # two reversals: a C-contiguous view
        "readonly": (readonly, "fast"),
        "big_endian": (X.astype(">f8"), None),
        "misaligned": (misaligned, None),
        "float32": (X.astype(np.float32), "fast"),
        "dataframe": (pd.DataFrame(X), None),
        "csr": (sp.csr_matrix(X), "centred"),
        "list": (X.tolist(), None),
    }


LAYOUTS = [
    "fortran",
    "column_slice",
    "every_other_column",
    "every_other_row",
    "reversed_rows",
    "readonly",
    "big_endian",
    "misaligned",
    "float32",
    "dataframe",
    "csr",
    "list",
]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_layouts_give_the_reference_value(spy, layout):
    X, y = make_data(40, 700, 6, 3)
    data, path = layouts(X)[layout]
    reference_data = X.astype(np.float32).astype(np.float64) if layout == "float32" else X
    expected = reference_h(reference_data, y)
    plain = HScoreStatistics.from_arrays(X, y)
    assert spy.take() == ["fast"]
    got = HScoreStatistics.from_arrays(data, y)
    taken = spy.take()
    if path is not None:
        assert taken == [path]
    assert h_score(got) == pytest.approx(expected, rel=1e-10)
    assert h_score(data, y) == pytest.approx(expected, rel=1e-10)
    if layout != "float32":
        assert_same_statistics(got, plain, rtol=1e-12)


def test_reversed_rows_view(spy):
    X, y = make_data(41, 300, 4, 3)
    view = X[::-1]
    assert not view.flags.c_contiguous
    assert h_score(view, y[::-1]) == pytest.approx(reference_h(X, y), rel=1e-11)
    assert spy.take() == ["fast"]  # through float64 C-ordered chunk copies


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int8, np.uint16, bool])
def test_integer_and_boolean_input(spy, dtype):
    rng = np.random.default_rng(42)
    y = rng.integers(0, 3, size=600)
    if dtype is bool:
        X = rng.random((600, 5)) < 0.3 + 0.2 * (y[:, None] == np.arange(5) % 3)
    else:
        X = (rng.integers(0, 50, size=(600, 5)) + 10 * y[:, None]).astype(dtype)
    expected = reference_h(X.astype(np.float64), y)
    assert h_score(X, y) == pytest.approx(expected, rel=1e-11)
    assert spy.take() == ["fast"]  # converted chunk by chunk, exactly
    as_float = np.ascontiguousarray(X, dtype=np.float64)
    assert h_score(as_float, y) == pytest.approx(expected, rel=1e-11)
    assert spy.take() == ["fast"]


def test_memory_mapped_input(spy, tmp_path):
    X, y = make_data(44, 600, 5, 3)
    mapped = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", shape=X.shape)
    mapped[...] = X
    mapped.flush()
    readonly = np.load(tmp_path / "X.npy", mmap_mode="r")
    assert h_score(readonly, y) == pytest.approx(reference_h(X, y), rel=1e-11)
    assert spy.take() == ["fast"]
    np.testing.assert_array_equal(readonly, X)


def test_single_column_fortran_array_is_c_contiguous(spy):
    X, y = make_data(43, 500, 1, 2)
    F = np.asfortranarray(X)
    assert F.flags.c_contiguous
    assert h_score(F, y) == pytest.approx(reference_h(X, y), rel=1e-11)
    assert spy.take() == ["fast"]


# --------------------------------------------------------------------------- 8. no mutation
def mutation_cases():
    X, y = make_data(50, 1500, 7, 3)
    offset = np.ascontiguousarray(X + 10.0)
    constant = X.copy()
    constant[:, 2] = 1.0
    huge = X.copy()
    huge[:, 3] *= 2.0**150
    fortran = np.asfortranarray(X)
    return {
        "fast": (X, y, "fast"),
        "constant": (constant, y, "fast"),
        "offset": (offset, y, "centred"),
        "huge": (huge, y, "centred"),
        "fortran": (fortran, y, "fast"),
    }


@pytest.mark.parametrize("case", ["fast", "constant", "offset", "huge", "fortran"])
def test_inputs_are_not_modified(spy, case):
    X, y, path = mutation_cases()[case]
    X_before, y_before = X.copy(order="K"), y.copy()
    flags = (X.flags.c_contiguous, X.flags.f_contiguous)
    stats = HScoreStatistics.from_arrays(X, y)
    assert spy.take() == [path]
    h_score(X, y, shrinkage="auto")
    stats.update(X, y)
    stats.merge(HScoreStatistics.from_arrays(X, y))
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)
    assert (X.flags.c_contiguous, X.flags.f_contiguous) == flags


def test_inputs_are_not_modified_when_forced_or_failing(monkeypatch, spy):
    X, y = make_data(51, 800, 6, 3)
    X[:, 1] += 10.0
    before = X.copy()
    with monkeypatch.context() as m:
        always_try_uncentred(m)
        h_score(X, y, shrinkage="auto")
    assert spy.take() == ["declined"]
    X[400, 0] = np.nan
    before[400, 0] = np.nan
    with pytest.raises(ValueError, match=NAN_MESSAGE):
        h_score(X, y)
    np.testing.assert_array_equal(X, before)


# --------------------------------------------------------------------------- property test
if given is not None:

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(
        seed=st.integers(0, 2**32 - 1),
        k=st.integers(1, 10),
        extra_rows=st.integers(0, 300),
        n_classes=st.integers(2, 6),
        offset=st.floats(0.0, 2.5),
        exponent=st.integers(-75, 75),
        n_constant=st.integers(0, 3),
        constant=st.sampled_from([0.0, 1.0, -7.5, 2.0**-70, 2.0**70]),
    )
    def test_property_fast_equals_centred_and_reference(
        monkeypatch, seed, k, extra_rows, n_classes, offset, exponent, n_constant, constant
    ):
        n = 2 * k + n_classes + 10 + extra_rows
        X, y = make_data(seed, n, k, n_classes, offset=offset)
        rng = np.random.default_rng(seed)
        X *= np.ldexp(1.0, rng.integers(exponent - 10, exponent + 11, size=k))
        columns = list(range(k))
        for _ in range(n_constant):
            where = int(rng.integers(0, X.shape[1] + 1))
            X = np.insert(X, where, constant, axis=1)
            columns = [c + (c >= where) for c in columns]
        X = np.ascontiguousarray(X)
        with monkeypatch.context() as m:
            spy = PathSpy(m)
            got = HScoreStatistics.from_arrays(X, y)
            path = spy.take()
            centred_only(m)
            centred = HScoreStatistics.from_arrays(X, y)
        expected_fast = 4 * n_constant <= X.shape[1]
        assert path == (["fast"] if expected_fast else ["centred"])
        expected = reference_h(X, y, columns)
        assert h_score(centred) == pytest.approx(expected, rel=1e-10)
        assert h_score(got) == pytest.approx(expected, rel=1e-10)
        assert_same_statistics(got, centred, rtol=1e-11)  # the shrunk scores last


# --------------------------------------------------------------------------- review findings
def test_boolean_features_with_a_constant_column(spy):
    """A bool column that is all False: its extremes are compared in float64 (bool has no
    subtraction); the value is that of the float copy."""
    rng = np.random.default_rng(50)
    X = rng.random((1000, 4)) < 0.3
    X[:, 3] = False
    y = rng.integers(0, 2, 1000)
    expected = reference_h(X.astype(np.float64), y)
    assert h_score(X, y) == pytest.approx(expected, rel=1e-10)
    assert spy.take() == ["fast"]
    assert h_score(X.astype(np.float64), y) == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64])
def test_signed_integer_column_whose_spread_overflows_its_dtype(spy, dtype):
    """A column at the top of its range except rows the sample skips, at the bottom: the
    spread (high - low) overflows the dtype, so it is taken in float64."""
    rng = np.random.default_rng(51)
    info = np.iinfo(dtype)
    n = 5120
    X = rng.integers(-5, 6, size=(n, 4)).astype(dtype)
    X[:, 0] = info.max
    X[5::1024, 0] = info.min + 1  # not in the strided sample
    y = rng.integers(0, 2, n)
    expected = reference_h(X.astype(np.float64), y)
    with np.errstate(all="raise"):
        got = h_score(X, y)
    assert got == pytest.approx(expected, rel=1e-9)
    assert spy.take() == ["declined"]  # the column varies: it needs a centre
