"""The trailing refinement of the rank rule (``skhscore._engine._rank``) against exact references.

Where the scatter cannot resolve the features, ``refined_whitener`` measures the unresolved
(trailing) columns again from the rows (``_trailing_refinement``), and falls back to a shifted
CholeskyQR2 (``_cholesky_qr2``) where their residuals cannot resolve them either. Every test
here records, through a spy on those functions, which path ran, and checks the value against
a reference that shares no code with the engine: an SVD of the centred float64 data
(``exact_hscore``), or an identity (affine invariance; dependent columns add nothing). The
trailing path is also compared with the fallback forced by making ``_trailing_refinement``
return None.

Tolerances. The trailing refinement keeps the scatter's factor of the leading columns, whose
pivots are at least ``REFINE_PIVOT`` = 2**-26: a Gram matrix gives such a pivot to about
``u / REFINE_PIVOT`` ~ 7e-9 relative, so values are checked to 1e-7 where that factor carries
information (the CholeskyQR2 fallback is typically 1e-12 there), and to the reference's own
accuracy elsewhere.
"""

import contextlib

import numpy as np
import pytest
import scipy.stats
from _reference import exact_hscore
from sklearn.covariance import ledoit_wolf_shrinkage

import skhscore._engine._rank as rank_module
from skhscore import HScoreStatistics, h_score, h_score_test
from skhscore._hscore import hscore_parts

try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    given = None

ROUNDOFF64 = 2.0**-53
GRID = 2.0**-20  # values on this grid add exactly to shifts up to 2**32


# --------------------------------------------------------------------------- which path ran
class RefinementSpy:
    """Records every refinement: ``"trailing"`` (``_trailing_refinement`` returned a whitener),
    ``"declined"`` (it returned None), ``"disabled"`` (forced to None by :meth:`fallback`),
    ``"cqr2"`` (``_cholesky_qr2`` ran); and the ``(lead, trail)`` sizes of every
    ``_residual_products`` call with the layout of the blocks it was given."""

    def __init__(self, monkeypatch):
        self.events, self.products, self.layouts = [], [], []
        self._trailing_on = True
        real_trailing = rank_module._trailing_refinement
        real_products = rank_module._residual_products
        real_cqr2 = rank_module._cholesky_qr2

        def trailing(*args, **kwargs):
            if not self._trailing_on:
                self.events.append("disabled")
                return None
            result = real_trailing(*args, **kwargs)
            self.events.append("declined" if result is None else "trailing")
            return result

        def products(blocks, cols_a, cols_b, raw_coef):
            self.products.append((cols_a.size, cols_b.size))

            def watched():
                for block in blocks():
                    self.layouts.append("C" if block.flags.c_contiguous else "not C")
                    yield block

            return real_products(watched, cols_a, cols_b, raw_coef)

        def cqr2(*args, **kwargs):
            self.events.append("cqr2")
            return real_cqr2(*args, **kwargs)

        monkeypatch.setattr(rank_module, "_trailing_refinement", trailing)
        monkeypatch.setattr(rank_module, "_residual_products", products)
        monkeypatch.setattr(rank_module, "_cholesky_qr2", cqr2)

    def take(self):
        """The events since the last call (and forget them)."""
        events = self.events
        self.events, self.products, self.layouts = [], [], []
        return events

    @contextlib.contextmanager
    def fallback(self):
        """``_trailing_refinement`` returns None inside: the CholeskyQR2 decides."""
        self._trailing_on = False
        try:
            yield
        finally:
            self._trailing_on = True


@pytest.fixture
def spy(monkeypatch):
    return RefinementSpy(monkeypatch)


def path_of(events):
    """One refinement's events as a path name; ``"scatter"``: none ran."""
    names = {
        (): "scatter",
        ("trailing",): "trailing",
        ("declined", "cqr2"): "fallback",
        ("disabled", "cqr2"): "forced fallback",
    }
    return names.get(tuple(events), f"unexpected {events}")


def assert_refinements_consistent(events):
    """Every refinement either succeeded by the trailing path or ran the CholeskyQR2."""
    i = 0
    while i < len(events):
        if events[i] == "trailing":
            i += 1
        else:
            assert events[i] in ("declined", "disabled") and events[i + 1 : i + 2] == ["cqr2"], (
                events
            )
            i += 2


# --------------------------------------------------------------------------- building
def one_shot(spy, X, y, sample_weight=None, **kwargs):
    """Statistics of (X, y) in one pass and the refinements building and reading them ran."""
    spy.take()
    stats = HScoreStatistics.from_arrays(X, y, sample_weight=sample_weight, **kwargs)
    stats.moments()  # a whitener refined from a factor is found here
    return stats, spy.take()


def streamed_and_merged(spy, X, y, sample_weight=None, batches=4):
    """``{"streamed": (stats, events), "merged": (stats, events)}`` from ``batches`` parts."""
    pieces = np.array_split(np.arange(len(y)), batches)
    weight = (lambda idx: None) if sample_weight is None else (lambda idx: sample_weight[idx])
    spy.take()
    streamed = HScoreStatistics()
    for idx in pieces:
        streamed.update(X[idx], y[idx], sample_weight=weight(idx))
    streamed.moments()
    out = {"streamed": (streamed, spy.take())}
    parts = [
        HScoreStatistics.from_arrays(X[idx], y[idx], sample_weight=weight(idx)) for idx in pieces
    ]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    merged.moments()
    out["merged"] = (merged, spy.take())
    return out


def forced_fallback(spy, X, y, sample_weight=None):
    """One-shot statistics with the trailing refinement disabled (asserts the CholeskyQR2)."""
    with spy.fallback():
        stats, events = one_shot(spy, X, y, sample_weight)
    assert path_of(events) == "forced fallback"
    return stats


def rotation(rng, k):
    q, r = np.linalg.qr(rng.normal(size=(k, k)))
    return q * np.sign(np.diag(r))


def on_grid(values):
    return np.round(values / GRID) * GRID


def centred(X, w=None):
    """Centred (twice) float64 copy of X, rows scaled by sqrt(w)."""
    X = np.asarray(X, dtype=np.float64)
    w = np.ones(X.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
    D = X - (w @ X) / w.sum()
    D -= (w @ D) / w.sum()
    return D * np.sqrt(w)[:, None]


def weighted_reference(X, y, w, constant):
    """H of weighted data from an SVD of the centred rows scaled by sqrt(w): the constant
    columns (given) dropped, every other direction kept."""
    keep = w > 0
    D = centred(X[keep][:, ~constant], w[keep])
    D /= np.linalg.norm(D, axis=0)
    U, _, _ = np.linalg.svd(D, full_matrices=False)
    root_w = np.sqrt(w[keep])
    total = 0.0
    for label in np.unique(y[keep]):
        member = root_w * (y[keep] == label)
        total += float(np.sum((U.T @ member) ** 2)) / float(np.sum(w[keep][y[keep] == label]))
    return total


def assert_scatter_close(got, expected, rtol=1e-10):
    """``|got_ij - expected_ij| <= rtol sqrt(expected_ii expected_jj)``."""
    scale = np.sqrt(np.outer(np.diag(expected), np.diag(expected)))
    excess = np.abs(got - expected) - rtol * scale
    assert np.max(excess) <= 0, f"off by {np.max(np.abs(got - expected) / scale):.3g} relative"


# --------------------------------------------------------------------------- data
def shifted_task(k, shift, rows, seed, n=700, n_classes=4):
    """Features on a grid (so that ``Z + shift`` is exact) with one level shift shared by
    every column on some rows, and an affine image ``F`` of them without the shift."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, size=n)
    Z = on_grid(rng.normal(size=(n, k)) + 0.3 * rng.normal(size=(n_classes, k))[y])
    m = {"half": n // 2, "1%": n // 100, "one": 1}[rows]
    indicator = np.zeros(n)
    indicator[rng.choice(n, m, replace=False)] = 1.0
    X = Z + shift * indicator[:, None]
    assert np.array_equal(X - shift * indicator[:, None], Z)  # the sum is exact
    # X_j = X_1 + (Z_j - Z_1): the same span with 1, without the huge common part
    F = np.column_stack([X[:, 0], Z[:, 1:] - Z[:, :1]])
    return X, y, F


def dependent_task(k, n_dependent, seed, n=900, n_classes=4):
    """``k`` columns of which ``n_dependent`` are exact combinations of the others
    (duplicates, sums of three, 2a - b; on a grid, so the sums are exact), shuffled."""
    rng = np.random.default_rng(seed)
    n_free = k - n_dependent
    y = rng.integers(0, n_classes, size=n)
    Z = on_grid(rng.normal(size=(n, n_free)) + 0.4 * rng.normal(size=(n_classes, n_free))[y])
    extra = []
    for j in range(n_dependent):
        if j % 3 == 0 or n_free < 3:
            extra.append(Z[:, rng.integers(n_free)])
        elif j % 3 == 1:
            extra.append(Z[:, rng.choice(n_free, 3, replace=False)].sum(axis=1))
        else:
            a, b = rng.choice(n_free, 2, replace=False)
            extra.append(2.0 * Z[:, a] - Z[:, b])
    X = np.column_stack([Z, *extra])
    X = np.ascontiguousarray(X[:, rng.permutation(k)])  # (X[:, perm] alone is F-ordered)
    return X, y, Z


def whitened_task(k, seed, n=1000, n_classes=3):
    """Features with a whitened (identity) sample covariance and a class signal."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, size=n)
    y[:n_classes] = np.arange(n_classes)
    W = rng.normal(size=(n, k)) + 0.5 * rng.normal(size=(n_classes, k))[y]
    W -= W.mean(axis=0)
    W = W @ np.linalg.inv(np.linalg.cholesky(W.T @ W / n)).T
    return W, y, rng


# =========================================================================== 1. level shifts
@pytest.mark.parametrize("k", [2, 5, 50, 300])
@pytest.mark.parametrize("rows", ["half", "1%", "one"])
@pytest.mark.parametrize("shift", [1e3, 1e5, 1e6, 1e8])
def test_shared_level_shift_on_some_rows(spy, shift, rows, k):
    X, y, F = shifted_task(k, shift, rows, seed=k + int(np.log10(shift)))
    X_before = X.copy()
    expected = exact_hscore(F, y)
    stats, events = one_shot(spy, X, y)
    # 1e3: the scatter resolves the features; 1e6 and beyond: the trailing path; 1e5 lies
    # at the boundary (the smallest pivot near REFINE_PIVOT), where either may run
    path = path_of(events)
    if shift == 1e5:
        assert path in ("scatter", "trailing")
    else:
        assert path == ("scatter" if shift == 1e3 else "trailing")
    resolved = path == "scatter"
    got = h_score(stats)
    assert got == pytest.approx(expected, rel=1e-7)
    assert stats.moments().rank == k
    if not resolved:
        fallback = h_score(forced_fallback(spy, X, y))
        # (1e-7: at 1e8 the centring of the given values alone costs ~1e-8)
        assert fallback == pytest.approx(expected, rel=1e-7)
        assert got == pytest.approx(fallback, rel=1e-7)
    for how, (other, events) in streamed_and_merged(spy, X, y).items():
        assert_refinements_consistent(events)
        if not resolved:
            assert "trailing" in events, how
        assert h_score(other) == pytest.approx(expected, rel=1e-7), how
    np.testing.assert_array_equal(X, X_before)  # the refinement works on copies


def test_half_the_rows_shifted_is_refined_from_one_leading_column(spy):
    # lead = 1 <= trail = 299: the in-place strategy of _residual_products
    X, y, F = shifted_task(300, 1e6, "half", seed=0)
    stats, events = one_shot(spy, X, y)
    assert events == ["trailing"]
    assert spy_products_seen(spy, X, y) == [(1, 299)]
    assert h_score(stats) == pytest.approx(exact_hscore(F, y), rel=1e-9)


# =========================================================================== 2. dependencies
DEPENDENT = [  # (k, dependent columns): lead = k - dependent, trail = dependent
    (6, 1),
    (20, 10),  # lead == trail: the in-place strategy
    (50, 3),
    (120, 60),  # lead == trail
    (120, 80),  # lead < trail
    (200, 1),
    (200, 37),
    (200, 100),  # lead == trail
]


@pytest.mark.parametrize(("k", "n_dependent"), DEPENDENT)
def test_exact_linear_dependencies(spy, k, n_dependent):
    X, y, Z = dependent_task(k, n_dependent, seed=k + n_dependent)
    expected = exact_hscore(Z, y)
    stats, events = one_shot(spy, X, y)
    assert events == ["trailing"]
    lead, trail = k - n_dependent, n_dependent
    assert spy_products_seen(spy, X, y) == [(lead, trail)]
    assert stats.moments().rank == k - n_dependent
    assert h_score(stats) == pytest.approx(expected, rel=1e-10)
    fallback = forced_fallback(spy, X, y)
    assert fallback.moments().rank == k - n_dependent
    assert h_score(fallback) == pytest.approx(expected, rel=1e-10)
    for how, (other, events) in streamed_and_merged(spy, X, y, batches=3).items():
        assert_refinements_consistent(events)
        assert "trailing" in events, how
        assert other.moments().rank == k - n_dependent, how
        assert h_score(other) == pytest.approx(expected, rel=1e-10), how


def spy_products_seen(spy, X, y, layouts=False):
    """The ``(lead, trail)`` of the products one one-shot refinement computed (and the
    layouts of the blocks they were given)."""
    spy.take()
    HScoreStatistics.from_arrays(X, y)
    seen, blocks = list(spy.products), sorted(set(spy.layouts))
    spy.take()
    return (seen, blocks) if layouts else seen


def test_both_product_strategies_are_in_the_dependency_cases():
    strategies = {k - d <= d for k, d in DEPENDENT}
    assert strategies == {True, False}


@pytest.mark.parametrize("n_groups", [2, 5, 12])
def test_complete_one_hot_block(spy, n_groups):
    # the indicator columns of a complete one-hot block sum to 1: one of them is dependent
    rng = np.random.default_rng(n_groups)
    n = 600
    y = rng.integers(0, 3, size=n)
    Z = rng.normal(size=(n, 10)) + 0.4 * rng.normal(size=(3, 10))[y]
    groups = rng.integers(0, n_groups, size=n)
    groups[:n_groups] = np.arange(n_groups)
    onehot = (groups[:, None] == np.arange(n_groups)).astype(np.float64)
    X = np.column_stack([onehot[:, : n_groups // 2], Z, onehot[:, n_groups // 2 :]])
    expected = exact_hscore(np.column_stack([Z, onehot[:, 1:]]), y)
    stats, events = one_shot(spy, X, y)
    assert events == ["trailing"]
    assert spy_products_seen(spy, X, y) == [(10 + n_groups - 1, 1)]
    assert stats.moments().rank == 10 + n_groups - 1
    assert h_score(stats) == pytest.approx(expected, rel=1e-10)
    assert h_score(forced_fallback(spy, X, y)) == pytest.approx(expected, rel=1e-10)


def _examples(n):
    """Hypothesis settings: n derandomised examples, a function-scoped spy allowed."""
    return settings(
        max_examples=n,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


if given is not None:

    @_examples(15)
    @given(
        n_free=st.integers(3, 40),
        dependent_share=st.floats(0.05, 2.0),
        seed=st.integers(0, 2**16),
    )
    def test_dependencies_of_any_shape(spy, n_free, dependent_share, seed):
        n_dependent = max(1, int(round(dependent_share * n_free)))
        k = n_free + n_dependent
        X, y, Z = dependent_task(k, n_dependent, seed=seed, n=400)
        stats, events = one_shot(spy, X, y)
        assert events == ["trailing"]
        assert stats.moments().rank == n_free
        assert h_score(stats) == pytest.approx(exact_hscore(Z, y), rel=1e-9)


# =========================================================================== 3. rotations
def rotated_task(k, cond, shape, offset, seed=4):
    W, y, rng = whitened_task(k, seed)
    if shape == "log":
        singular = np.logspace(0, -np.log10(cond), k)
    else:  # a few tiny directions among many of order one
        singular = np.ones(k)
        singular[-3:] = 1.0 / cond
    X = W @ np.diag(singular) @ rotation(rng, k)
    if offset:  # an offset of 10 (the centred path); none: the uncentred Gram product
        X = X + 10.0 * rng.normal(size=k)
    return np.ascontiguousarray(X), y, W


ROTATION_PATH = {1e4: "scatter", 1e6: "trailing", 1e8: "trailing"}


@pytest.mark.parametrize("offset", [True, False])
@pytest.mark.parametrize("shape", ["log", "cluster"])
@pytest.mark.parametrize("cond", [1e4, 1e6, 1e8, 1e10])
@pytest.mark.parametrize("k", [5, 30, 120])
def test_ill_conditioned_rotations(spy, k, cond, shape, offset):
    X, y, W = rotated_task(k, cond, shape, offset)
    expected = exact_hscore(W, y)  # H is invariant under the invertible map
    rtol = 1e-6 if cond <= 1e8 else 1e-5
    assert exact_hscore(X, y) == pytest.approx(expected, rel=rtol)  # the reference agrees
    stats, events = one_shot(spy, X, y)
    path = path_of(events)
    if cond in ROTATION_PATH:
        assert path == ROTATION_PATH[cond]
    else:  # 1e10: the residuals of log-spaced directions cannot resolve them
        assert path == ("fallback" if shape == "log" else "trailing")
    assert stats.moments().rank == k
    assert h_score(stats) == pytest.approx(expected, rel=rtol)
    if path != "scatter":
        fallback = h_score(forced_fallback(spy, X, y))
        assert fallback == pytest.approx(expected, rel=rtol)


@pytest.mark.parametrize("cond", [1e6, 1e8, 1e10])
def test_rotations_streamed_and_merged(spy, cond):
    X, y, W = rotated_task(30, cond, "log", True)
    expected = exact_hscore(W, y)
    for how, (stats, events) in streamed_and_merged(spy, X, y).items():
        assert_refinements_consistent(events)
        assert events, how
        assert stats.moments().rank == 30
        assert h_score(stats) == pytest.approx(expected, rel=1e-6 if cond <= 1e8 else 1e-5), how


# =========================================================================== 4. the rule
TOLERANCE_CASES = [  # (dtype, separation, kept, one-shot path)
    (np.float32, 1e-3, True, "scatter"),  # pivot 1e-6: the scatter resolves it
    (np.float32, 1e-4, True, "trailing"),  # pivot 1e-8 < 2**-26, above (512 * 2**-24)**2
    (np.float32, 1e-6, False, "scatter"),  # below 512 * 2**-24 ~ 3e-5: float32 noise
    (np.float64, 1e-10, True, "trailing"),
    (np.float64, 1e-11, True, "trailing"),  # above 2**-40 ~ 9e-13
    (np.float64, 1e-13, False, "trailing"),  # below: refined (float64), then dropped
]


@pytest.mark.parametrize(("dtype", "separation", "kept", "path"), TOLERANCE_CASES)
def test_directions_near_the_rank_tolerance(spy, dtype, separation, kept, path):
    # two columns a and a + s b (a, b orthonormal, b informative): the direction b has the
    # relative pivot s on the correlation scale
    rng = np.random.default_rng(5)
    n, k = 2000, 8
    y = rng.integers(0, 3, size=n)
    y[:3] = np.arange(3)
    W = rng.normal(size=(n, k + 1))
    W[:, -1] += 2.0 * (y == 1)
    W -= W.mean(axis=0)
    W = W @ np.linalg.inv(np.linalg.cholesky(W.T @ W / n)).T
    X = (np.column_stack([W[:, :k], W[:, k - 1] + separation * W[:, k]]) + 3.0).astype(dtype)
    as_given = X.astype(np.float64)
    D = centred(as_given)
    D /= np.linalg.norm(D, axis=0)
    smallest = np.linalg.svd(D, compute_uv=False)[-1]
    tolerance = rank_module.rank_tolerance(np.finfo(dtype).eps / 2)
    # the rule decides on the pivot, sqrt(2) times this singular value: far from the line
    assert (smallest * np.sqrt(2) > 3 * tolerance) == kept
    assert (smallest * np.sqrt(2) < tolerance / 3) == (not kept)
    expected = exact_hscore(as_given, y) if kept else exact_hscore(as_given[:, :k], y)
    other = exact_hscore(as_given[:, :k], y) if kept else exact_hscore(as_given, y)
    assert abs(other - expected) > 0.1  # the test tells keeping from dropping
    stats, events = one_shot(spy, X, y)
    assert path_of(events) == path
    results = {"one-shot": stats}
    results.update({how: s for how, (s, _) in streamed_and_merged(spy, X, y).items()})
    for how, s in results.items():
        assert s.moments().rank == k + kept, how
        assert h_score(s) == pytest.approx(expected, rel=1e-4), how
    if path == "trailing":
        fallback = forced_fallback(spy, X, y)
        assert fallback.moments().rank == k + kept
        assert h_score(fallback) == pytest.approx(expected, rel=1e-4)


# =========================================================================== 5. weights
@pytest.mark.parametrize("shift", [1e5, 1e7])
def test_weighted_rows_and_constant_columns(spy, shift):
    rng = np.random.default_rng(int(np.log10(shift)))
    n, k = 800, 40
    X, y, _ = shifted_task(k, shift, "half", seed=11, n=n)
    constants = [np.zeros(n), np.full(n, 3.5), np.full(n, -1e9), np.full(n, 1e-300)]
    X = np.column_stack([X[:, :10], constants[0], X[:, 10:30], *constants[1:], X[:, 30:]])
    constant = np.zeros(X.shape[1], dtype=bool)
    constant[[10, 31, 32, 33]] = True
    w = rng.uniform(0.1, 3.0, size=n)
    w[rng.random(n) < 0.2] = 0.0
    X_before, w_before, y_before = X.copy(), w.copy(), y.copy()
    expected = weighted_reference(X, y, w, constant)
    stats, events = one_shot(spy, X, y, sample_weight=w)
    assert events == ["trailing"]
    assert stats.moments().rank == k
    assert h_score(stats) == pytest.approx(expected, rel=1e-7)
    assert h_score(X, y, sample_weight=w) == pytest.approx(expected, rel=1e-7)
    fallback = forced_fallback(spy, X, y, sample_weight=w)
    assert h_score(fallback) == pytest.approx(expected, rel=1e-9)
    for how, (other, events) in streamed_and_merged(spy, X, y, w, batches=3).items():
        assert_refinements_consistent(events)
        assert "trailing" in events, how
        assert h_score(other) == pytest.approx(expected, rel=1e-7), how
    # the inputs are as they were
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(w, w_before)
    np.testing.assert_array_equal(y, y_before)


def test_integer_weights_are_repeated_rows(spy):
    X, y, F = shifted_task(30, 1e6, "1%", seed=12)
    w = np.random.default_rng(12).integers(0, 4, size=len(y)).astype(np.float64)
    counts = w.astype(int)
    expected = exact_hscore(np.repeat(F, counts, axis=0), np.repeat(y, counts))
    stats, events = one_shot(spy, X, y, sample_weight=w)
    assert events == ["trailing"]
    assert h_score(stats) == pytest.approx(expected, rel=1e-7)
    repeated, events = one_shot(spy, np.repeat(X, counts, axis=0), np.repeat(y, counts))
    assert events == ["trailing"]
    assert h_score(repeated) == pytest.approx(expected, rel=1e-7)


def test_zero_weight_rows_carry_nothing(spy):
    # rows of weight zero with wild values (far from the others) change nothing
    X, y, F = shifted_task(20, 1e6, "half", seed=13)
    w = np.ones(len(y))
    w[::7] = 0.0
    X_wild = X.copy()
    X_wild[::7] = 1e12 * np.random.default_rng(13).normal(size=X_wild[::7].shape)
    expected = exact_hscore(F[w > 0], y[w > 0])
    stats, events = one_shot(spy, X_wild, y, sample_weight=w)
    assert events == ["trailing"]
    assert h_score(stats) == pytest.approx(expected, rel=1e-7)


# =========================================================================== 6. round trips
def test_refined_parts_merged_equal_one_pass(spy):
    X, y, F = shifted_task(60, 1e7, "half", seed=14, n=900)
    expected = exact_hscore(F, y)
    one, events = one_shot(spy, X, y)
    assert events == ["trailing"]
    parts = []
    for idx in np.array_split(np.arange(len(y)), 3):
        part, events = one_shot(spy, X[idx], y[idx])
        assert events == ["trailing"]  # each part is refined on its own
        assert part._root is not None  # and keeps a factor
        parts.append(part)
    spy.take()
    merged = parts[0].merge(parts[1]).merge(parts[2])
    assert merged._root is not None
    merged.moments()
    assert spy.take() == ["trailing"]  # the whitener of the stacked factor, from its rows
    assert merged.moments().rank == one.moments().rank == 60
    assert h_score(merged) == pytest.approx(h_score(one), rel=1e-8)
    assert h_score(merged) == pytest.approx(expected, rel=1e-7)
    S = centred(X).T @ centred(X)
    for stats in (one, merged):
        assert_scatter_close(stats.scatter_, S)
        np.testing.assert_allclose(stats.mean_, X.mean(axis=0), rtol=1e-12)


@pytest.mark.parametrize("case", ["shift", "dependent", "rotation"])
def test_scatter_of_refined_statistics(spy, case):
    if case == "shift":
        X, y, _ = shifted_task(50, 1e6, "1%", seed=15)
    elif case == "dependent":
        X, y, _ = dependent_task(60, 20, seed=15)
    else:
        X, y, _ = rotated_task(30, 1e7, "cluster", True)
    S = centred(X).T @ centred(X)
    stats, events = one_shot(spy, X, y)
    assert events == ["trailing"]
    assert stats._root is not None
    assert_scatter_close(stats.scatter_, S)
    for how, (other, events) in streamed_and_merged(spy, X, y).items():
        assert_refinements_consistent(events)
        assert "trailing" in events, how
        assert_scatter_close(other.scatter_, S)


def stack_and_whiten(roots, k):
    stacked = rank_module.stack_roots(*roots)
    return rank_module.whitener_from_root(stacked, np.ones(k, dtype=bool), ROUNDOFF64)


def test_stacked_roots_whiten_as_one_pass(spy):
    # factors of three row blocks, stacked (TSQR) and refined again from their rows, whiten
    # as the refinement of all the rows does
    X, y, _ = shifted_task(40, 1e7, "half", seed=16)
    D = centred(X)
    varying = np.ones(D.shape[1], dtype=bool)
    roots = []
    for part in np.array_split(D, 3):
        white = rank_module.refined_whitener(lambda part=part: [part.copy()], varying, ROUNDOFF64)
        assert spy.take() == ["trailing"]
        roots.append(white.root(D.shape[1]))
    stacked = stack_and_whiten(roots, D.shape[1])
    assert spy.take() == ["trailing"]
    whole = rank_module.refined_whitener(lambda: [D.copy()], varying, ROUNDOFF64)
    assert spy.take() == ["trailing"]
    V = np.random.default_rng(16).normal(size=(D.shape[0], 5))
    expected = projected_gram(D, V)
    for white in (stacked, whole):
        assert white.rank == D.shape[1]
        Z = white.whiten(D.T @ V)
        np.testing.assert_allclose(Z.T @ Z, expected, atol=1e-8 * np.abs(expected).max())


def pillai_reference(value, rank, n_classes, n):
    """Pillai's F approximation (statsmodels' MANOVA) of a trace ``value``."""
    q = n_classes - 1
    s = min(rank, q)
    m = (abs(rank - q) - 1) / 2
    nn = (n - n_classes - rank - 1) / 2
    f = (2 * nn + s + 1) / (2 * m + s + 1) * value / (s - value)
    df = (s * (2 * m + s + 1), s * (2 * nn + s + 1))
    return f, df, float(scipy.stats.f.sf(f, *df))


def test_pillai_test_on_refined_statistics(spy):
    # a weak signal: a p-value far from 0 and 1
    rng = np.random.default_rng(17)
    n, k = 700, 20
    y = rng.integers(0, 3, size=n)
    Z = on_grid(rng.normal(size=(n, k)) + 0.04 * rng.normal(size=(3, k))[y])
    X = Z + 1e6 * (rng.random(n) < 0.5)[:, None]
    F = np.column_stack([X[:, 0], Z[:, 1:] - Z[:, :1]])
    expected = exact_hscore(F, y)
    f_ref, df_ref, p_ref = pillai_reference(expected, k, 3, n)
    assert 1e-3 < p_ref < 0.5
    stats, events = one_shot(spy, X, y)
    assert events == ["trailing"]
    result = h_score_test(stats)
    fallback = h_score_test(forced_fallback(spy, X, y))
    for got in (result, fallback):
        assert got.statistic == pytest.approx(expected, rel=1e-7)
        assert got.df == pytest.approx(df_ref)
        assert got.f_statistic == pytest.approx(f_ref, rel=1e-7)
        assert got.pvalue == pytest.approx(p_ref, rel=1e-5)
    assert result.pvalue == pytest.approx(fallback.pvalue, rel=1e-5)
    # the permutation test whitens the rows with the refined whitener
    spy.take()
    kwargs = {"method": "permutation", "n_permutations": 199, "random_state": 0}
    permuted = h_score_test(X, y, **kwargs)
    assert "trailing" in spy.take()
    with spy.fallback():
        permuted_fallback = h_score_test(X, y, **kwargs)
    assert "cqr2" in spy.take()
    assert permuted.statistic == pytest.approx(expected, rel=1e-7)
    assert permuted_fallback.statistic == pytest.approx(expected, rel=1e-7)
    assert permuted.pvalue == permuted_fallback.pvalue
    np.testing.assert_allclose(
        permuted.null_distribution, permuted_fallback.null_distribution, rtol=1e-6
    )


def shrunk_reference(D, y, w_classes, alpha, n):
    """tr(Sigma_a^-1 (1 - a) Sigma_B) from an SVD of the centred data D (n x k), with
    Sigma_a = (1 - a) D^T D / n + a mu I: the class deviations D^T 1_c / n_c lie in the
    span of D, so only its singular directions enter."""
    U, s, _ = np.linalg.svd(D, full_matrices=False)
    mu = float(np.sum(s**2)) / n / D.shape[1]
    denominator = (1 - alpha) * s**2 / n + alpha * mu
    total = 0.0
    for label, weight in zip(np.unique(y), w_classes, strict=True):
        projected = s * (U.T @ (y == label).astype(np.float64)) / weight
        total += weight / n * float(np.sum(projected**2 / denominator))
    return (1 - alpha) * total


@pytest.mark.parametrize("case", ["dependent", "rotation"])
def test_ledoit_wolf_shrinkage_on_refined_statistics(spy, case):
    if case == "dependent":
        X, y, _ = dependent_task(40, 12, seed=18)
    else:
        X, y, _ = rotated_task(30, 1e7, "log", True)
    n = len(y)
    D = centred(X)
    stats, events = one_shot(spy, X, y)
    assert events == ["trailing"]
    fallback = forced_fallback(spy, X, y)
    parts = hscore_parts(stats, shrinkage="auto")
    parts_fallback = hscore_parts(fallback, shrinkage="auto")
    assert parts.alpha == pytest.approx(ledoit_wolf_shrinkage(D, assume_centered=True), rel=1e-8)
    assert parts.alpha == pytest.approx(parts_fallback.alpha, rel=1e-10)
    expected = shrunk_reference(D, y, stats.class_weights_, parts.alpha, n)
    for got in (h_score(stats, shrinkage="auto"), h_score(fallback, shrinkage="auto")):
        assert got == pytest.approx(expected, rel=1e-8)


# =========================================================================== 7. whiten
def projected_gram(D, V):
    """``V^T D pinv(D^T D) D^T V`` = ``(U^T V)^T (U^T V)`` with U an orthonormal basis of the
    span of D (SVD of the column-normalised D, every direction above 1e-13 kept)."""
    Dn = D / np.linalg.norm(D, axis=0)
    U, s, _ = np.linalg.svd(Dn, full_matrices=False)
    U = U[:, s > 1e-13 * s[0]]
    P = U.T @ V
    return P.T @ P


def ill_conditioned_rows(kind, k, seed, n=600):
    rng = np.random.default_rng(seed)
    if kind == "shift":  # rows of a level shift on half the rows (not centred: any rows do)
        return rng.normal(size=(n, k)) + 1e6 * (rng.random(n) < 0.5)[:, None]
    if kind == "dependent":  # the last k // 2 columns are combinations of the others
        D = rng.normal(size=(n, k))
        n_free = k - k // 2
        D[:, n_free:] = D[:, :n_free] @ rng.normal(size=(n_free, k // 2))
        return D
    singular = np.r_[np.ones(k - 3), [1e-5, 1e-6, 1e-7]]
    return rng.normal(size=(n, k)) @ np.diag(singular) @ rotation(rng, k)


@pytest.mark.parametrize("with_first", [False, True])
@pytest.mark.parametrize("kind", ["shift", "dependent", "rotation"])
@pytest.mark.parametrize("k", [4, 25, 80])
def test_whiten_identity_of_the_trailing_whitener(spy, kind, k, with_first):
    D = ill_conditioned_rows(kind, k, seed=k)
    varying = np.ones(k, dtype=bool)
    first, scatter = None, None
    if with_first:  # the scatter's own (unresolved) factorisation is reused
        scatter = D.T @ D
        first = rank_module.whitener_from_scatter(scatter, varying, ROUNDOFF64)
        assert not first.resolved
    white = rank_module.refined_whitener(
        lambda: [block.copy() for block in np.array_split(D, 3)],
        varying,
        ROUNDOFF64,
        scatter,
        first,
    )
    assert spy.take() == ["trailing"]
    assert white.lead is not None  # the [[I, K], [0, I]] preconditioner
    rank = k - k // 2 if kind == "dependent" else k
    assert white.rank == rank
    rng = np.random.default_rng(k + 1)
    V = rng.normal(size=(D.shape[0], 6))
    expected = projected_gram(D, V)
    Z = white.whiten(D.T @ V)  # T = D^T V lies in the range of S = D^T D
    np.testing.assert_allclose(Z.T @ Z, expected, atol=1e-8 * np.abs(expected).max())
    # the same through whiten_kept (rows already the kept columns over their norms)
    u = (D.T @ V)[white.keep] / white.norms[:, None]
    np.testing.assert_array_equal(white.whiten_kept(u), Z)
    # the whitened rows are orthonormal, and the root's Gram is the scatter
    rows = white.whiten(D.T)
    np.testing.assert_allclose(rows @ rows.T, np.eye(rank), atol=1e-8)
    assert_scatter_close(white.root(k).T @ white.root(k), D.T @ D, rtol=1e-10)


if given is not None:

    @_examples(20)
    @given(
        k=st.integers(2, 60),
        log_shift=st.floats(5.0, 7.0),
        share=st.floats(0.05, 0.95),  # a few rows: test_..._near_the_refine_boundary
        seed=st.integers(0, 2**16),
    )
    def test_whiten_identity_of_any_shift(spy, k, log_shift, share, seed):
        rng = np.random.default_rng(seed)
        n = 300
        shifted = rng.random(n) < share
        shifted[:2] = [True, False]
        D = rng.normal(size=(n, k)) + 10.0**log_shift * shifted[:, None]
        D = centred(D)
        white = rank_module.refined_whitener(
            lambda: [D.copy()], np.ones(k, dtype=bool), ROUNDOFF64
        )
        events = spy.take()
        assert path_of(events) in ("trailing", "fallback")
        assert white.rank == k
        V = rng.normal(size=(n, 4))
        expected = projected_gram(D, V)
        Z = white.whiten(D.T @ V)
        np.testing.assert_allclose(Z.T @ Z, expected, atol=1e-8 * np.abs(expected).max())


# =========================================================================== the boundary
# The trailing refinement keeps the scatter's factor of every leading pivot down to
# REFINE_PIVOT = 2**-26; a Gram matrix gives such a pivot only to about u / 2**-26 ~ 7e-9, and
# the errors reach ~1e-7 where a pivot lies just above the boundary (one or a few rows
# shifted by 1e5). The CholeskyQR2 fallback resolves the same data to ~1e-12, and splitting
# at 2**-20 instead brings the trailing path there too.
@pytest.mark.parametrize("seed", [17, 23])
def test_value_to_1e_8_with_a_leading_pivot_near_the_refine_boundary(spy, seed):
    X, y, F = shifted_task(5, 1e5, "1%", seed)
    expected = exact_hscore(F, y)
    stats, events = one_shot(spy, X, y)
    assert events == ["trailing"]
    assert h_score(forced_fallback(spy, X, y)) == pytest.approx(expected, rel=1e-11)
    assert h_score(stats) == pytest.approx(expected, rel=1e-8)


def test_whiten_identity_to_1e_8_with_a_leading_pivot_near_the_refine_boundary(spy):
    rng = np.random.default_rng(21)
    n, k = 300, 8
    shifted = rng.random(n) < 0.004
    shifted[:2] = [True, False]
    D = centred(rng.normal(size=(n, k)) + 1e5 * shifted[:, None])
    varying = np.ones(k, dtype=bool)
    V = rng.normal(size=(n, 4))
    expected = projected_gram(D, V)
    white = rank_module.refined_whitener(lambda: [D.copy()], varying, ROUNDOFF64)
    assert spy.take() == ["trailing"]
    with spy.fallback():
        fallback = rank_module.refined_whitener(lambda: [D.copy()], varying, ROUNDOFF64)
    assert spy.take() == ["disabled", "cqr2"]
    atol = 1e-8 * np.abs(expected).max()
    Z = fallback.whiten(D.T @ V)
    np.testing.assert_allclose(Z.T @ Z, expected, rtol=0, atol=atol, err_msg="fallback")
    Z = white.whiten(D.T @ V)
    np.testing.assert_allclose(Z.T @ Z, expected, rtol=0, atol=atol, err_msg="trailing")


# =========================================================================== layouts
def test_residual_products_equal_a_direct_computation_for_any_block_layout():
    rng = np.random.default_rng(19)
    n, k = 200, 12
    for lead, trail in [(3, 9), (6, 6), (9, 3)]:  # in place (lead <= trail) and gathers
        order = rng.permutation(k)
        cols_a, cols_b = order[:lead], order[lead:]
        coef = rng.normal(size=(lead, trail))
        D = rng.normal(size=(n, k))
        residual = D[:, cols_b] - D[:, cols_a] @ coef
        for layout in ("C", "F"):
            blocks = [np.array(block, order=layout) for block in np.array_split(D, 2)]
            cross, inner = rank_module._residual_products(
                lambda blocks=blocks: [b.copy(order="K") for b in blocks], cols_a, cols_b, coef
            )
            what = f"lead {lead}, trail {trail}, {layout}-ordered blocks"
            np.testing.assert_allclose(cross, D[:, cols_a].T @ residual, atol=1e-10, err_msg=what)
            np.testing.assert_allclose(inner, residual.T @ residual, atol=1e-10, err_msg=what)


@pytest.mark.parametrize("layout", ["C", "F", "pandas"])
@pytest.mark.parametrize("case", ["shift", "dependent"])
def test_memory_layout_of_the_input_changes_nothing(spy, case, layout):
    # both cases refine with lead <= trail (the in-place strategy of _residual_products)
    if case == "shift":
        X, y, F = shifted_task(50, 1e6, "half", seed=20)
        expected, rank = exact_hscore(F, y), 50
    else:
        X, y, Z = dependent_task(40, 20, seed=20)
        expected, rank = exact_hscore(Z, y), 20
    if layout == "F":
        X = np.asfortranarray(X)
    elif layout == "pandas":
        pd = pytest.importorskip("pandas")
        X = pd.DataFrame(X)  # a float frame hands out a Fortran-ordered array
    stats, events = one_shot(spy, X, y)
    assert events == ["trailing"]
    products, blocks = spy_products_seen(spy, X, y, layouts=True)
    assert products[0][0] <= products[0][1]  # lead <= trail
    what = f"{layout} input; the refinement's blocks were {blocks}"
    assert stats.moments().rank == rank, what
    assert h_score(stats) == pytest.approx(expected, rel=1e-7), what
    assert h_score(X, y) == pytest.approx(expected, rel=1e-7), what
