"""IncrementalHScore and h_score_from_batches: streaming, merging and pickling equal one shot."""

import pickle
import sys

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from _reference import make_task, paper_hscore
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import skhscore
from skhscore import HScoreStatistics, IncrementalHScore, h_score, h_score_from_batches

tasks = st.tuples(
    st.integers(0, 2**32 - 1),  # seed
    st.integers(2, 5),  # classes
    st.integers(1, 6),  # features
    st.integers(0, 40),  # extra samples beyond the minimum
)
shrinkages = st.sampled_from([None, "auto", "oas", 0.25])


def draw(task):
    seed, n_classes, k, extra = task
    return make_task(seed, n=n_classes + k + 2 + extra, k=k, n_classes=n_classes)


def split(n, cuts):
    bounds = [0, *sorted(cuts), n]
    return list(zip(bounds[:-1], bounds[1:], strict=True))


# ---------------------------------------------------------------- what it must show
@settings(max_examples=40, deadline=None)
@given(task=tasks, shrinkage=shrinkages, data=st.data())
def test_any_batches_any_order_any_merge_tree_equals_one_shot(task, shrinkage, data):
    X, y = draw(task)
    n = len(y)
    expected = h_score(X, y, shrinkage=shrinkage)
    order = np.array(data.draw(st.permutations(range(n)), label="order"))
    cuts = data.draw(st.sets(st.integers(1, n - 1), max_size=n - 1), label="cuts")
    pieces = [(X[order[a:b]], y[order[a:b]]) for a, b in split(n, cuts)]

    streamed = IncrementalHScore(shrinkage=shrinkage)
    for Xb, yb in pieces:
        streamed.partial_fit(Xb, yb)
    assert streamed.n_samples_seen_ == n
    assert streamed.score_ == pytest.approx(expected, rel=1e-10)

    leaves = [IncrementalHScore(shrinkage=shrinkage).partial_fit(Xb, yb) for Xb, yb in pieces]

    def tree(lo, hi):
        if hi - lo == 1:
            return leaves[lo]
        mid = data.draw(st.integers(lo + 1, hi - 1))
        left, right = tree(lo, mid), tree(mid, hi)
        return left.merge(right) if data.draw(st.booleans()) else right.merge(left)

    merged = tree(0, len(leaves))
    assert merged.n_samples_seen_ == n
    assert merged.score_ == pytest.approx(expected, rel=1e-10)


@pytest.mark.parametrize("shrinkage", [None, "auto"])
def test_every_batch_size_from_one_row_on_class_sorted_data(shrinkage):
    # class-sorted data: the first batches hold a single class, new labels arrive late
    X, y = make_task(7, n=45, k=4, n_classes=3)
    order = np.argsort(y, kind="stable")
    X, y = X[order], y[order]
    expected = h_score(X, y, shrinkage=shrinkage)
    if shrinkage is None:  # the one-shot value itself against the paper's formula
        assert expected == pytest.approx(paper_hscore(X, y), rel=1e-9)
    for size in range(1, len(y) + 1):
        est = IncrementalHScore(shrinkage=shrinkage)
        for start in range(0, len(y), size):
            est.partial_fit(X[start : start + size], y[start : start + size])
        assert est.score_ == pytest.approx(expected, rel=1e-10), size


def test_weighted_stream_equals_weighted_one_shot_and_repeated_rows():
    X, y = make_task(3, n=90, k=5, n_classes=4)
    w = np.random.default_rng(0).integers(0, 4, size=len(y)).astype(float)
    est = IncrementalHScore()
    for a, b in split(len(y), [1, 2, 30, 31, 60]):
        est.partial_fit(X[a:b], y[a:b], sample_weight=w[a:b])
    assert est.score_ == pytest.approx(h_score(X, y, sample_weight=w), rel=1e-10)
    repeated = np.repeat(np.arange(len(y)), w.astype(int))
    assert est.score_ == pytest.approx(paper_hscore(X[repeated], y[repeated]), rel=1e-9)
    assert est.statistics_.weight_sum_ == pytest.approx(w.sum())


def test_sparse_integer_and_string_labelled_batches():
    X, y = make_task(5, n=80, k=6, n_classes=3)
    Xi = np.round(X * 10).astype(np.int64)
    labels = np.array(["cat", "dog", "emu"])[y]
    est = IncrementalHScore()
    for a, b in split(len(y), [20, 50]):
        est.partial_fit(sp.csr_matrix(Xi[a:b]), labels[a:b])
    assert est.score_ == pytest.approx(paper_hscore(Xi.astype(float), y), rel=1e-9)
    assert list(est.classes_) == ["cat", "dog", "emu"]


# ---------------------------------------------------------------- labels
def test_declared_classes_refuse_unseen_labels_and_leave_state_unchanged():
    X, y = make_task(1, n=60, k=3, n_classes=3)
    est = IncrementalHScore().partial_fit(X[:30], y[:30], classes=[0, 1, 2, 7])
    assert list(est.classes_) == [0, 1, 2, 7]
    before = (est.score_, est.n_samples_seen_)
    with pytest.raises(ValueError, match=r"not in the classes declared.*\[5\]"):
        est.partial_fit(X[30:], np.where(y[30:] == 2, 5, y[30:]))
    assert (est.score_, est.n_samples_seen_) == before
    # the declared class 7 never appears: it contributes nothing
    est.partial_fit(X[30:], y[30:], classes=[7, 2, 1, 0])  # the same set, any order
    assert est.score_ == pytest.approx(h_score(X, y), rel=1e-10)
    with pytest.raises(ValueError, match="not the same as on the first call"):
        est.partial_fit(X[:5], y[:5], classes=[0, 1, 2])


def test_undeclared_label_set_grows_and_cannot_be_declared_late():
    X, y = make_task(2, n=40, k=2, n_classes=4)
    est = IncrementalHScore().partial_fit(X[y < 2], y[y < 2])
    assert list(est.classes_) == [0, 1]
    est.partial_fit(X[y >= 2], y[y >= 2])
    assert list(est.classes_) == [0, 1, 2, 3]
    assert est.score_ == pytest.approx(h_score(X, y), rel=1e-10)
    with pytest.raises(ValueError, match="only be declared on the first call"):
        est.partial_fit(X, y, classes=[0, 1, 2, 3])


def test_score_undefined_until_two_classes_and_not_fitted_errors():
    X, y = make_task(4, n=20, k=2, n_classes=2)
    est = IncrementalHScore()
    with pytest.raises(NotFittedError):
        est.score_  # noqa: B018
    assert not hasattr(est, "score_")
    est.partial_fit(X[y == 0][:1], y[y == 0][:1])
    with pytest.raises(ValueError, match="at least 2"):
        est.score_  # noqa: B018
    est.partial_fit(X[y == 0], y[y == 0])
    with pytest.raises(ValueError, match="single class"):
        est.score()


# ---------------------------------------------------------------- pickle, merge, score
def test_pickle_round_trip_mid_stream():
    X, y = make_task(8, n=100, k=5, n_classes=3)
    est = IncrementalHScore(shrinkage="auto").partial_fit(X[:37], y[:37])
    est.score_  # noqa: B018  (fills the cache, which must not go stale after unpickling)
    restored = pickle.loads(pickle.dumps(est))
    for e in (est, restored):
        e.partial_fit(X[37:], y[37:])
    assert restored.score_ == est.score_
    assert restored.score_ == pytest.approx(h_score(X, y, shrinkage="auto"), rel=1e-10)
    np.testing.assert_array_equal(restored.statistics_.scatter_, est.statistics_.scatter_)
    assert pickle.loads(pickle.dumps(restored)).score_ == restored.score_


def test_merge_leaves_operands_unchanged_and_checks_compatibility():
    X, y = make_task(9, n=80, k=4, n_classes=3)
    a = IncrementalHScore().partial_fit(X[:50], y[:50])
    b = IncrementalHScore().partial_fit(X[50:], y[50:])
    score_a, score_b = a.score_, b.score_
    both = a.merge(b)
    assert both is not a and both is not b
    assert (a.score_, b.score_) == (score_a, score_b)
    assert (a.n_samples_seen_, b.n_samples_seen_) == (50, 30)
    assert both.score_ == pytest.approx(h_score(X, y), rel=1e-10)
    # statistics merge the same way, and the merged estimator keeps streaming
    from_stats = a.merge(HScoreStatistics.from_arrays(X[50:], y[50:]))
    assert from_stats.score_ == pytest.approx(both.score_, rel=1e-12)
    both.partial_fit(X, y)
    assert both.score_ == pytest.approx(h_score(np.vstack([X, X]), np.r_[y, y]), rel=1e-10)

    with pytest.raises(ValueError, match="4 features"):
        IncrementalHScore().fit(X[:, :3], y).merge(a)
    with pytest.raises(ValueError, match="different declared classes"):
        IncrementalHScore().partial_fit(X, y, classes=[0, 1, 2]).merge(
            IncrementalHScore().partial_fit(X, y, classes=[0, 1, 2, 3])
        )
    with pytest.raises(ValueError, match="outside the declared classes"):
        IncrementalHScore().partial_fit(X[y < 2], y[y < 2], classes=[0, 1]).merge(b)
    with pytest.raises(TypeError, match="Can only merge"):
        a.merge(X)
    with pytest.raises(NotFittedError):
        a.merge(IncrementalHScore())


def test_merge_checks_feature_names():
    X, y = make_task(10, n=60, k=3, n_classes=2)
    left = IncrementalHScore().fit(pd.DataFrame(X, columns=["a", "b", "c"]), y)
    right = IncrementalHScore().fit(pd.DataFrame(X, columns=["a", "b", "z"]), y)
    with pytest.raises(ValueError, match="different feature names"):
        left.merge(right)
    merged = left.merge(IncrementalHScore().fit(X, y))
    assert list(merged.feature_names_in_) == ["a", "b", "c"]


def test_score_semantics():
    X, y = make_task(11, n=120, k=5, n_classes=3)
    est = IncrementalHScore(shrinkage=0.3).fit(X[:80], y[:80])
    assert est.score() == est.score_ == pytest.approx(h_score(X[:80], y[:80], shrinkage=0.3))
    # with data: the H-score of the given samples alone, with the estimator's parameters
    assert est.score(X[80:], y[80:]) == pytest.approx(h_score(X[80:], y[80:], shrinkage=0.3))
    assert est.score_ == pytest.approx(h_score(X[:80], y[:80], shrinkage=0.3))  # unchanged
    with pytest.raises(ValueError, match="5 features"):
        est.score(X[80:, :2], y[80:])
    with pytest.raises(ValueError, match="both X and y"):
        est.score(X[80:])
    # the cached score follows a change of shrinkage and every new batch
    est.set_params(shrinkage=None)
    assert est.score_ == pytest.approx(h_score(X[:80], y[:80]), rel=1e-10)
    est.partial_fit(X[80:], y[80:])
    assert est.score_ == pytest.approx(h_score(X, y), rel=1e-10)
    with pytest.raises(ValueError, match="shrinkage"):
        est.set_params(shrinkage=1.5).score_  # noqa: B018
    est.set_params(shrinkage=None)
    # fit forgets earlier batches
    assert est.fit(X[:50], y[:50]).score_ == pytest.approx(h_score(X[:50], y[:50]), rel=1e-10)
    assert est.n_samples_seen_ == 50


def test_inputs_not_modified_and_pandas_names():
    X, y = make_task(12, n=50, k=3, n_classes=2)
    df = pd.DataFrame(X, columns=["f0", "f1", "f2"])
    X_copy = X.copy()
    est = IncrementalHScore().partial_fit(df, pd.Series(y))
    np.testing.assert_array_equal(X, X_copy)
    assert list(est.feature_names_in_) == ["f0", "f1", "f2"]
    with pytest.raises(ValueError, match="feature names"):
        est.partial_fit(df.rename(columns={"f2": "other"}), y)


def test_float32_scatter_is_close_on_well_conditioned_features():
    X, y = make_task(13, n=2000, k=20, n_classes=5)
    est = IncrementalHScore(scatter_dtype=np.float32)
    for a, b in split(len(y), [500, 1000, 1500]):
        est.partial_fit(X[a:b], y[a:b])
    assert est.statistics_.scatter_dtype == np.float32
    exact = h_score(X, y)
    assert est.score_ == pytest.approx(exact, rel=1e-5)
    assert est.score_ != exact  # it really used float32 products
    assert clone(est).set_params(scatter_dtype="float64").fit(X, y).score_ == pytest.approx(
        exact, rel=1e-12
    )


def test_significance_test_access():
    X, y = make_task(14, n=80, k=3, n_classes=3)
    est = IncrementalHScore().fit(X, y)
    result = est.test_result()
    expected = skhscore.h_score_test(X, y)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.pvalue == pytest.approx(expected.pvalue, rel=1e-10)


# ---------------------------------------------------------------- h_score_from_batches
def test_from_batches_generator_list_and_weights():
    X, y = make_task(15, n=150, k=6, n_classes=4)
    w = np.random.default_rng(1).uniform(size=len(y))
    gen = ((X[i : i + 16], y[i : i + 16]) for i in range(0, len(y), 16))
    assert h_score_from_batches(gen) == pytest.approx(paper_hscore(X, y), rel=1e-9)
    triples = [(X[i : i + 7], y[i : i + 7], w[i : i + 7]) for i in range(0, len(y), 7)]
    score, est = h_score_from_batches(triples, shrinkage="auto", return_estimator=True)
    assert isinstance(score, float) and isinstance(est, IncrementalHScore)
    assert score == pytest.approx(h_score(X, y, shrinkage="auto", sample_weight=w), rel=1e-10)
    assert est.n_samples_seen_ == len(y)


def test_from_batches_errors():
    with pytest.raises(ValueError, match="empty"):
        h_score_from_batches([])
    with pytest.raises(TypeError, match=r"pair \(X, y\)"):
        h_score_from_batches([{"x": np.ones((2, 2)), "y": [0, 1]}])
    X, y = make_task(16, n=30, k=2, n_classes=3)
    with pytest.raises(ValueError, match="not in the classes declared"):
        h_score_from_batches([(X, y)], classes=[0, 1])
    with pytest.raises(ValueError, match="shrinkage"):
        h_score_from_batches([(X, y)], shrinkage=2.0)


def test_progress_plain_counter_without_tqdm(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes `import tqdm` fail
    X, y = make_task(17, n=60, k=2, n_classes=2)
    batches = [(X[i : i + 10], y[i : i + 10]) for i in range(0, 60, 10)]
    h_score_from_batches(batches, progress=True)
    err = capsys.readouterr().err
    assert err.endswith("h_score: 6/6 batches, 60 samples\n")
    h_score_from_batches(iter(batches), progress=False)
    assert capsys.readouterr().err == ""


def test_progress_uses_tqdm_when_installed(capsys):
    X, y = make_task(18, n=60, k=2, n_classes=2)
    batches = [(X[i : i + 20], y[i : i + 20]) for i in range(0, 60, 20)]
    h_score_from_batches(batches, progress=True)
    err = capsys.readouterr().err
    try:
        import tqdm  # noqa: F401
    except ImportError:
        assert "3/3 batches, 60 samples" in err
    else:
        assert "3/3" in err and "batch" in err and "samples=60" in err


def test_from_batches_torch_dataloader():
    torch = pytest.importorskip("torch")
    from torch.utils.data import DataLoader, TensorDataset

    X, y = make_task(19, n=200, k=8, n_classes=5)
    loader = DataLoader(TensorDataset(torch.tensor(X), torch.tensor(y)), batch_size=32)
    assert h_score_from_batches(loader) == pytest.approx(h_score(X, y), rel=1e-10)
    # features out of a network: they require grad, and may be bfloat16
    layer = torch.nn.Linear(8, 6)
    with torch.no_grad():
        features = layer(torch.tensor(X, dtype=torch.float32)).numpy()
    feats = ((layer(xb.float()), yb) for xb, yb in loader)
    assert h_score_from_batches(feats) == pytest.approx(h_score(features, y), rel=1e-6)
    bf16 = ((xb.to(torch.bfloat16), yb) for xb, yb in loader)
    as_bf16 = torch.tensor(X).to(torch.bfloat16).float().numpy()
    assert h_score_from_batches(bf16) == pytest.approx(h_score(as_bf16, y), rel=1e-10)
