"""The rank rule and the engine's numerics against exact references (issue 13).

References are SVDs of the centred float64 data (``exact_hscore``), which resolve what the data
resolve; every case is checked one-shot, streamed (batch updates) and merged.
"""

import math

import numpy as np
import pytest
from _reference import exact_hscore, make_task

from skhscore import CrossMomentStatistics, HScoreStatistics, h_score, h_score_test


def _three_ways(X, y, batches=4, order=None):
    """h_score one-shot, streamed through update() and merged from parts (in ``order``)."""
    order = np.arange(len(y)) if order is None else order
    pieces = np.array_split(order, batches)
    streamed = HScoreStatistics()
    for idx in pieces:
        streamed.update(X[idx], y[idx])
    parts = [HScoreStatistics.from_arrays(X[idx], y[idx]) for idx in pieces]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    return h_score(X, y), h_score(streamed), h_score(merged)


def _rotation(rng, k):
    q, r = np.linalg.qr(rng.normal(size=(k, k)))
    return q * np.sign(np.diag(r))


@pytest.mark.parametrize("form", ["ones", "random"])
@pytest.mark.parametrize("cond", [1e2, 1e4, 5e5, 1e6])
def test_invertible_affine_maps_give_h_of_the_features(form, cond):
    Z, y = make_task(0, n=600, k=5, n_classes=4)
    rng = np.random.default_rng(1)
    if form == "ones":  # I + c 11^T has condition number 1 + 5c
        A = np.eye(5) + (cond - 1) / 5 * np.ones((5, 5))
    else:
        A = _rotation(rng, 5) @ np.diag(np.logspace(0, -np.log10(cond), 5)) @ _rotation(rng, 5)
    X = Z @ A + rng.normal(size=5) * 10
    expected = exact_hscore(X, y)
    assert expected == pytest.approx(exact_hscore(Z, y), rel=1e-6)
    for got in _three_ways(X, y):
        assert got == pytest.approx(expected, rel=1e-6)


def test_issue_example_of_an_affine_map():
    Z, y = make_task(2, n=300, k=5, n_classes=3)
    X = Z @ (np.eye(5) + 1e5 * np.ones((5, 5)))
    for got in _three_ways(X, y):
        assert got == pytest.approx(exact_hscore(Z, y), rel=1e-6)


@pytest.mark.parametrize("shuffle", [True, False])
def test_shared_level_shift_on_half_the_rows(shuffle):
    rng = np.random.default_rng(3)
    n, k = 700, 300
    y = rng.integers(0, 4, size=n)
    Z = rng.normal(size=(n, k)) + 0.3 * rng.normal(size=(4, k))[y]
    shifted = np.arange(n) >= n // 2
    X = Z + 1e6 * shifted[:, None]
    expected = exact_hscore(X, y)
    assert expected > 1.0  # the informative columns are not lost in the reference
    order = rng.permutation(n) if shuffle else None
    for got in _three_ways(X, y, order=order):
        assert got == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("cond", [1e2, 1e4, 1e6, 1e7, 1e8])
def test_rotated_features_of_any_condition_number(cond):
    rng = np.random.default_rng(4)
    W, y = make_task(5, n=800, k=5, n_classes=3)
    W = (W - W.mean(axis=0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(W.T, bias=True))).T
    X = W @ np.diag(np.logspace(0, -np.log10(cond), 5)) @ _rotation(rng, 5)
    expected = exact_hscore(X, y)
    assert expected == pytest.approx(exact_hscore(W, y), rel=1e-6)
    for got in _three_ways(X, y):
        assert got == pytest.approx(expected, rel=1e-6)


# ---------------------------------------------------------------- what the rule keeps
def test_float32_random_projection_scores_as_its_columns():
    rng = np.random.default_rng(6)
    Z, y = make_task(7, n=3000, k=100, n_classes=5)
    Z = Z.astype(np.float32)
    X = Z @ rng.normal(size=(100, 256)).astype(np.float32)
    assert X.dtype == np.float32
    # the 156 extra directions are float32 rounding: dropped, the 100 real ones kept
    # (their span moves by float32 rounding times the projection's condition number)
    assert h_score(X, y) == pytest.approx(exact_hscore(Z, y), rel=1e-4)
    stats = HScoreStatistics.from_arrays(X, y)
    assert stats.moments().rank == 100


def test_constant_columns_add_nothing():
    X, y = make_task(8, n=200, k=4)
    n = len(y)
    base = h_score(X, y)
    tiny = np.float32(0.1) + np.float32(1e-9) * np.random.default_rng(0).normal(size=n)
    with_constants = np.column_stack([X, np.full(n, 0.1), np.full(n, 1e300), np.zeros(n)])
    assert h_score(with_constants, y) == pytest.approx(base, rel=1e-12)
    X32 = X.astype(np.float32)
    rounded_away = np.column_stack([X32, tiny.astype(np.float32)])  # variation below float32
    assert np.ptp(rounded_away[:, -1]) == 0.0 or np.ptp(rounded_away[:, -1]) < 1e-7
    assert h_score(rounded_away, y) == pytest.approx(h_score(X32, y), rel=1e-12)


@pytest.mark.parametrize("scale", [10.0**p for p in range(-12, 7, 2)] + [1e-33, -5e-33])
def test_column_scales_change_nothing(scale):
    X, y = make_task(9, n=300, k=6, n_classes=3)
    X2 = X.copy()
    X2[:, [1, 4]] *= scale
    assert h_score(X2, y) == pytest.approx(h_score(X, y), rel=1e-8)
    assert h_score(X2.astype(np.float32), y) == pytest.approx(
        h_score(X.astype(np.float32), y), rel=1e-5
    )


# ---------------------------------------------------------------- offsets, magnitudes
@pytest.mark.parametrize("offset", [1e8, 1e10])
def test_common_offsets_cost_nothing(offset):
    Z, y = make_task(10, n=500, k=6, n_classes=4)
    X = Z + offset
    expected = exact_hscore(X, y)
    one_pass = h_score(X, y)
    assert one_pass == pytest.approx(expected, rel=1e-12)
    rng = np.random.default_rng(11)
    for got in _three_ways(X, y, batches=5, order=rng.permutation(len(y))):
        assert got == pytest.approx(one_pass, rel=1e-12)


@pytest.mark.parametrize("magnitude", [1e20, 1e30, 1e-25, 1e-30])
def test_float32_scatter_at_extreme_magnitudes(magnitude):
    X, y = make_task(12, n=400, k=5, n_classes=3)
    expected = h_score(X, y)
    stats = HScoreStatistics.from_arrays(X * magnitude, y, scatter_dtype=np.float32)
    assert h_score(stats) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("shrinkage", [None, "auto", 0.3])
def test_subnormal_features_score_as_the_same_values_scaled_up(shrinkage):
    X, y = make_task(13, n=300, k=4, n_classes=3)
    tiny = np.ldexp(X, -1050)  # subnormal: fewer significant bits, but the values as given
    assert np.all(np.abs(tiny[tiny != 0]) < np.finfo(np.float64).tiny)
    scaled_up = np.ldexp(tiny, 1050)  # exact
    expected = h_score(scaled_up, y, shrinkage=shrinkage)
    assert expected > 0
    assert h_score(tiny, y, shrinkage=shrinkage) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("scale", [1.0, 1e-200, 1e200])
def test_the_view_mean_is_the_weighted_mean_in_common_units(scale):
    rng = np.random.default_rng(7)
    X = (rng.normal(size=(300, 4)) + 1e3) * scale
    X[:, 2] = 5.0 * scale  # a constant column keeps its mean
    y, w = rng.integers(0, 3, size=300), rng.uniform(0.5, 2.0, size=300)
    expected = np.average(X / scale, axis=0, weights=w)
    one = HScoreStatistics.from_arrays(X, y, sample_weight=w)
    merged = HScoreStatistics.from_arrays(X[:120], y[:120], sample_weight=w[:120]).merge(
        HScoreStatistics.from_arrays(X[120:], y[120:], sample_weight=w[120:])
    )
    for stats in (one, merged):
        view = stats.moments()
        assert not view.mean.flags.writeable
        in_input_units = np.ldexp(view.mean, view.unit_exponent) / scale
        np.testing.assert_allclose(in_input_units, expected, rtol=1e-12)


def _centred_basis(A):
    """Left singular vectors of the twice-centred, column-normalised float64 array."""
    A = np.asarray(A, dtype=np.float64)
    A = A - A.mean(axis=0)
    A -= A.mean(axis=0)
    A /= np.linalg.norm(A, axis=0)
    U, s, _ = np.linalg.svd(A, full_matrices=False)
    return U[:, s > s[0] * 1e-13]


@pytest.mark.parametrize("target_offset", [1e8, 1e10])
def test_target_offsets_cost_nothing_merged_or_streamed(target_offset):
    # the regression target's mean is a centre plus a shift, as the features' is: merging
    # six parts or streaming them gives the one-pass value (sum of squared canonical
    # correlations of the given arrays), not one off by the rounding of the absolute means
    rng = np.random.default_rng(21)
    X = rng.normal(size=(600, 5)) + 1e8
    Y = (X - 1e8)[:, :2] @ np.array([[1.0, 0.5], [0.2, 1.0]]) + rng.normal(size=(600, 2))
    Y += target_offset
    expected = float(np.sum((_centred_basis(X).T @ _centred_basis(Y)) ** 2))
    parts = [
        CrossMomentStatistics.from_arrays(X[i : i + 100], Y[i : i + 100])
        for i in range(0, 600, 100)
    ]
    merged = parts[3]
    for part in parts[:3] + parts[4:]:
        merged = part.merge(merged)
    streamed = CrossMomentStatistics()
    for i in range(0, 600, 100):
        streamed.update(X[i : i + 100], Y[i : i + 100])
    one_pass = h_score(X, Y, target="regression")
    assert one_pass == pytest.approx(expected, rel=1e-12)
    for got in (h_score(merged), h_score(streamed)):
        assert got == pytest.approx(one_pass, rel=1e-12)
    exact_mean = [math.fsum(column) / len(column) for column in Y.T]  # correctly rounded sums
    np.testing.assert_allclose(merged.target_mean_, exact_mean, rtol=4e-16)


@pytest.mark.parametrize("cond", [1e4, 1e6, 1e8])
def test_ill_conditioned_regression_targets_lose_no_direction(cond):
    # H of a regression target is invariant to invertible maps of the target as well: the
    # target's rank and whitening come from a factor of its rows, not its Gram matrix
    rng = np.random.default_rng(22)
    X = rng.normal(size=(800, 5))
    Y = X[:, :3] @ rng.normal(size=(3, 3)) + rng.normal(size=(800, 3))
    Y = Y @ _rotation(rng, 3) @ np.diag([1.0, cond**-0.5, 1.0 / cond]) @ _rotation(rng, 3)
    expected = float(np.sum((_centred_basis(X).T @ _centred_basis(Y)) ** 2))
    merged = CrossMomentStatistics.from_arrays(X[:300], Y[:300]).merge(
        CrossMomentStatistics.from_arrays(X[300:], Y[300:])
    )
    streamed = CrossMomentStatistics()
    for i in range(0, 800, 200):
        streamed.update(X[i : i + 200], Y[i : i + 200])
    for got in (h_score(X, Y, target="regression"), h_score(merged), h_score(streamed)):
        assert got == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("cond", [1e6, 1e8])
def test_weighted_permutation_null_invariant_to_ill_conditioned_target_maps(cond):
    # every permuted score is invariant to an invertible map of the target, so the p-value
    # of the weighted permutation test is that of the unmapped target (same permutations)
    rng = np.random.default_rng(23)
    X = rng.normal(size=(200, 4))
    Y = 0.12 * X[:, :3] + rng.normal(size=(200, 3))
    A = _rotation(rng, 3) @ np.diag([1.0, cond**-0.5, 1.0 / cond]) @ _rotation(rng, 3)
    w = rng.integers(1, 4, size=200).astype(float)
    kwargs = {"target": "regression", "sample_weight": w, "method": "permutation"}
    kwargs.update(n_permutations=999, random_state=0)
    plain = h_score_test(X, Y, **kwargs)
    mapped = h_score_test(X, Y @ A, **kwargs)
    assert 0.01 < plain.pvalue < 0.5  # the count of permuted scores above is not at a bound
    assert mapped.pvalue == plain.pvalue
