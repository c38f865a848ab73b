"""Issue 14, library part: what a new user hit in the first week, each pinned by a test.

Each test asserts a value computed independently (the paper's formula in ``_reference``, a
transcription of LogME's published algorithm below, repeated rows, rescaled inputs) or the
text of the error or warning.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from _reference import make_task, paper_hscore
from sklearn.covariance import ledoit_wolf_shrinkage
from sklearn.datasets import load_diabetes, load_iris

from skhscore import (
    CrossMomentStatistics,
    HScoreStatistics,
    IncrementalHScore,
    h_score,
    h_score_from_batches,
    logme_score,
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


@pytest.mark.parametrize(
    "labels",
    [
        [0, 1, None, 1, 0, 1],
        [0.0, 1.0, np.nan, 1.0, 0.0, 1.0],
        pd.Series([0, 1, pd.NA, 1, 0, 1]),
        pd.Series([0, 1, None, 1, 0, 1], dtype="Int64"),
        pd.Series(["a", "b", None, "b", "a", "b"], dtype="string"),
    ],
)
def test_missing_labels_are_named(labels):
    X = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(ValueError, match=r"1 missing label\(s\).*rows \[2\].*fillna"):
        h_score(X, labels)


@pytest.mark.parametrize(
    "labels", [np.array([1, "1", 0, 1, 0, 1], dtype=object), pd.Series([1, "1", 0, 1, 0, 1])]
)
def test_mixed_labels_are_named(labels):
    X = np.random.default_rng(0).normal(size=(6, 2))
    with pytest.raises(TypeError, match=r"e.g. 1 and '1'.*astype\(str\)"):
        h_score(X, labels)
