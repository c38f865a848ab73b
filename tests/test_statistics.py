"""HScoreStatistics: one pass = chunks = batches = merges, pickling, labels."""

import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from _reference import make_task
from hypothesis import given, settings
from hypothesis import strategies as st

from skhscore import HScoreStatistics, h_score


def assert_same_statistics(a, b, rtol=1e-10):
    np.testing.assert_array_equal(a.classes_, b.classes_)
    assert a.weight_sum_ == pytest.approx(b.weight_sum_, rel=1e-14)
    assert a.n_samples_seen_ == b.n_samples_seen_
    scale = np.abs(b.scatter_).max()
    np.testing.assert_allclose(a.mean_, b.mean_, rtol=rtol, atol=rtol * np.abs(b.mean_).max())
    np.testing.assert_allclose(a.scatter_, b.scatter_, rtol=rtol, atol=rtol * scale)
    np.testing.assert_allclose(a.class_weights_, b.class_weights_, rtol=1e-14)
    np.testing.assert_allclose(
        a.class_sums_, b.class_sums_, rtol=rtol, atol=rtol * np.abs(b.class_sums_).max()
    )
    assert a._m4 == pytest.approx(b._m4, rel=rtol)
    np.testing.assert_allclose(a._m3, b._m3, rtol=rtol, atol=rtol * np.abs(b._m3).max())


def test_statistics_match_direct_definitions():
    X, y = make_task(0, n=80, k=4, n_classes=3)
    w = np.random.default_rng(1).uniform(0.1, 3, size=80)
    stats = HScoreStatistics.from_arrays(X, y, sample_weight=w)
    mean = (w @ X) / w.sum()
    np.testing.assert_allclose(stats.mean_, mean, rtol=1e-13)
    np.testing.assert_allclose(stats.scatter_, (X - mean).T @ ((X - mean) * w[:, None]))
    sums = np.array([(w[y == c] @ X[y == c]) for c in range(3)])
    np.testing.assert_allclose(stats.class_sums_, sums, rtol=1e-12)
    np.testing.assert_allclose(stats.class_weights_, [w[y == c].sum() for c in range(3)])
    norms = np.sum((X - mean) ** 2, axis=1)
    assert stats._m4 == pytest.approx(np.sum(w * norms**2), rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 50), st.booleans())
def test_chunked_equals_one_pass(seed, chunk_size, weighted):
    X, y = make_task(seed, n=97, k=5, n_classes=4)
    X = X * 1000 + 5e4  # a large offset makes careless accumulation visible
    w = np.random.default_rng(seed).uniform(0, 2, size=97) if weighted else None
    one = HScoreStatistics.from_arrays(X, y, sample_weight=w, chunk_size=10**6)
    chunked = HScoreStatistics.from_arrays(X, y, sample_weight=w, chunk_size=chunk_size)
    assert_same_statistics(chunked, one)
    assert h_score(chunked) == pytest.approx(h_score(one), rel=1e-10)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.lists(st.integers(1, 30), min_size=1, max_size=6))
def test_merge_in_any_tree_equals_one_pass(seed, cuts):
    X, y = make_task(seed, n=120, k=4, n_classes=3)
    y_names = np.array(["cat", "dog", "eel"])[y]
    bounds = np.unique(np.clip(np.cumsum(cuts), 1, 119))
    parts = [
        HScoreStatistics.from_arrays(Xp, yp)
        for Xp, yp in zip(np.split(X, bounds), np.split(y_names, bounds), strict=True)
    ]
    rng = np.random.default_rng(seed)
    while len(parts) > 1:  # merge random neighbours: every tree shape is reachable
        i = rng.integers(len(parts) - 1)
        parts[i : i + 2] = [parts[i].merge(parts[i + 1])]
    one = HScoreStatistics.from_arrays(X, y_names)
    assert_same_statistics(parts[0], one)
    for shrinkage in (None, "auto"):
        assert h_score(parts[0], shrinkage=shrinkage) == pytest.approx(
            h_score(one, shrinkage=shrinkage), rel=1e-10
        )


def test_update_batch_by_batch_with_new_classes():
    X, y = make_task(0, n=60, k=3, n_classes=3)
    order = np.argsort(y, kind="stable")  # class 2 appears only in the last batches
    stream = HScoreStatistics()
    for start in range(0, 60, 7):
        rows = order[start : start + 7]
        stream.update(X[rows], y[rows])
    assert_same_statistics(stream, HScoreStatistics.from_arrays(X[order], y[order]))
    np.testing.assert_array_equal(stream.classes_, [0, 1, 2])


def test_single_row_batches():
    X, y = make_task(1, n=25, k=3)
    stream = HScoreStatistics()
    for i in range(25):
        stream.update(X[i : i + 1], y[i : i + 1])
    assert h_score(stream) == pytest.approx(h_score(X, y), rel=1e-10)


def test_merge_does_not_modify_operands_and_pickles():
    X, y = make_task(2, n=50, k=3)
    a = HScoreStatistics.from_arrays(X[:20], y[:20])
    b = HScoreStatistics.from_arrays(X[20:], y[20:])
    before = pickle.dumps((a, b))
    merged = a.merge(b)
    assert pickle.dumps((a, b)) == before
    restored = pickle.loads(pickle.dumps(merged))
    assert h_score(restored) == h_score(merged)


def test_merge_aligns_extreme_column_scales():
    X, y = make_task(3, n=80, k=3)
    a = HScoreStatistics.from_arrays(X[:40] * [1e200, 1, 1e-200], y[:40])
    b = HScoreStatistics.from_arrays(X[40:] * [1e200, 1, 1e-200], y[40:])
    assert h_score(a.merge(b)) == pytest.approx(h_score(X, y), rel=1e-10)
    assert h_score(a.merge(b), shrinkage="auto") == pytest.approx(
        h_score(X * [1e200, 1, 1e-200], y, shrinkage="auto"), rel=1e-10
    )


def test_sparse_chunks_equal_dense():
    X = sp.random(300, 20, density=0.1, format="csr", random_state=0)
    y = np.arange(300) % 3
    assert_same_statistics(
        HScoreStatistics.from_arrays(X, y, chunk_size=17),
        HScoreStatistics.from_arrays(X.toarray(), y),
    )


def test_float32_scatter_is_close():
    X, y = make_task(0, n=2000, k=20, n_classes=5)
    exact = h_score(X, y)
    approx = h_score(HScoreStatistics.from_arrays(X, y, scatter_dtype=np.float32))
    assert approx == pytest.approx(exact, rel=1e-5)


def test_classes_sorted_and_errors():
    X, y = make_task(0, n=30, k=2)
    stats = HScoreStatistics.from_arrays(X, np.array(["b", "a", "c"])[y])
    np.testing.assert_array_equal(stats.classes_, ["a", "b", "c"])
    with pytest.raises(ValueError, match="features"):
        stats.update(X[:, :1], y)
    with pytest.raises(ValueError, match="empty"):
        h_score(HScoreStatistics())
    with pytest.raises(TypeError, match="merge"):
        stats.merge(X)
