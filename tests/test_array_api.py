"""h_score under array_api_dispatch: array-api-strict and torch give NumPy's value."""

import numpy as np
import pytest
import sklearn
from _reference import make_task, paper_hscore

from skhscore import HScoreStatistics, h_score
from skhscore._engine import array_api_statistics, to_numpy, use_array_api


@pytest.fixture
def dispatch(monkeypatch):
    # scikit-learn refuses array_api_dispatch unless SCIPY_ARRAY_API=1; skhscore itself uses
    # no scipy function on non-NumPy arrays, so setting it after scipy was imported is enough
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    with sklearn.config_context(array_api_dispatch=True):
        yield


def _strict():
    # only the array-api-strict cases need it: the torch cases run without it
    return pytest.importorskip("array_api_strict")


def _strict_cpu(a):
    return _strict().asarray(a)


def _strict_other_device(a):
    xs = _strict()
    return xs.asarray(a, device=xs.Device("device1"))


def _torch(a):
    torch = pytest.importorskip("torch")
    return torch.asarray(a)


NAMESPACES = {
    "array_api_strict": _strict_cpu,
    "array_api_strict-device1": _strict_other_device,
    "torch-cpu": _torch,
}


@pytest.fixture(params=list(NAMESPACES))
def to_xp(request):
    return NAMESPACES[request.param]


def _engine_refused(monkeypatch):
    """Make the NumPy engine's chunk code fail: the result must come from the namespace."""

    def refuse(*args, **kwargs):
        raise AssertionError("the NumPy engine ran on a non-NumPy array")

    monkeypatch.setattr(HScoreStatistics, "_chunk_statistics", refuse)


@pytest.mark.parametrize("shrinkage", [None, "auto", "oas", 0.3])
def test_same_value_as_numpy(dispatch, to_xp, shrinkage, monkeypatch):
    X, y = make_task(0, n=400, k=7, n_classes=4)
    w = np.random.default_rng(0).integers(0, 3, size=len(y)).astype(float)
    expected = h_score(X, y, shrinkage=shrinkage)
    expected_w = h_score(X, y, shrinkage=shrinkage, sample_weight=w)
    if shrinkage is None:
        assert expected == pytest.approx(paper_hscore(X, y), rel=1e-9)
    Xa = to_xp(X)
    assert use_array_api(Xa)
    _engine_refused(monkeypatch)
    got = h_score(Xa, y, shrinkage=shrinkage)
    assert type(got) is float
    assert got == pytest.approx(expected, rel=1e-10)
    # labels and weights in the namespace too
    got_w = h_score(Xa, to_xp(y), shrinkage=shrinkage, sample_weight=to_xp(w))
    assert got_w == pytest.approx(expected_w, rel=1e-10)


def test_statistics_match_the_engine(dispatch, to_xp):
    X, y = make_task(1, n=300, k=5, n_classes=3)
    X[:, 1] *= 2.0**150  # extreme scales go through the power-of-two column scaling
    X[:, 2] *= 2.0**-140
    w = np.random.default_rng(1).uniform(size=len(y))
    w[::7] = 0.0
    ref = HScoreStatistics.from_arrays(X, y, sample_weight=w)
    got = array_api_statistics(to_xp(X), y, w, chunk_size=37)  # 9 chunks, merged
    assert got.n_samples_seen_ == ref.n_samples_seen_
    assert got.weight_sum_ == pytest.approx(ref.weight_sum_, rel=1e-14)
    np.testing.assert_array_equal(got.classes_, ref.classes_)
    for name in ("class_weights_", "mean_", "scatter_", "class_means_"):
        np.testing.assert_allclose(
            getattr(got, name), getattr(ref, name), rtol=1e-11, err_msg=name
        )
    np.testing.assert_array_equal(got._exp, ref._exp)
    np.testing.assert_array_equal(got._min, ref._min)
    np.testing.assert_array_equal(got._max, ref._max)
    np.testing.assert_allclose(got._m3, ref._m3, rtol=1e-10, atol=1e-12 * np.abs(ref._m3).max())
    assert got._m4 == pytest.approx(ref._m4, rel=1e-11)
    for shrinkage in (None, "auto"):
        assert h_score(got, shrinkage=shrinkage) == pytest.approx(
            h_score(X, y, sample_weight=w, shrinkage=shrinkage), rel=1e-10
        )


def test_labels_dtypes_and_rank_deficiency(dispatch, to_xp, monkeypatch):
    X, y = make_task(2, n=120, k=4, n_classes=3)
    labels = np.array(["x", "y", "z"])[y]
    Xi = np.round(X * 10).astype(np.int64)
    X32 = X.astype(np.float32)
    deficient = np.column_stack([X, X[:, 0] + X[:, 1], np.full(len(y), 0.1)])
    expected = [
        h_score(X, labels),
        h_score(Xi, y),
        h_score(X32, y),
        h_score(deficient, y),
        h_score(X[:5], y[:5]),
    ]
    assert expected[3] == pytest.approx(expected[0], rel=1e-9)  # redundant columns add nothing
    assert expected[4] == pytest.approx(len(np.unique(y[:5])) - 1)  # k >= n - 1
    _engine_refused(monkeypatch)
    got = [
        h_score(to_xp(X), labels),
        h_score(to_xp(Xi), y),
        h_score(to_xp(X32), y),
        h_score(to_xp(deficient), y),
        h_score(to_xp(X[:5]), y[:5]),
    ]
    assert got == pytest.approx(expected, rel=1e-10)


def test_inputs_not_modified_and_errors(dispatch, to_xp):
    X, y = make_task(3, n=60, k=3, n_classes=2)
    Xa = to_xp(X)
    h_score(Xa, y)
    np.testing.assert_array_equal(to_numpy(Xa), X)
    bad = X.copy()
    bad[5, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        h_score(to_xp(bad), y)
    with pytest.raises(ValueError, match="2-D"):
        h_score(to_xp(X[:, 0]), y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        h_score(Xa, y[:-1])
    with pytest.raises(ValueError, match="negative"):
        h_score(Xa, y, sample_weight=-np.ones(len(y)))


def test_float32_scatter_on_the_device(dispatch, to_xp):
    X, y = make_task(4, n=3000, k=16, n_classes=5)
    exact = h_score(X, y)
    stats = array_api_statistics(to_xp(X), y, scatter_dtype=np.float32)
    assert stats.scatter_dtype == np.float32
    assert h_score(stats) == pytest.approx(exact, rel=1e-5)
    assert h_score(stats) != exact


def test_no_dispatch_without_the_config():
    X, y = make_task(5, n=80, k=3, n_classes=2)
    xs = _strict()
    assert not use_array_api(xs.asarray(X))
    with sklearn.config_context(array_api_dispatch=False):
        assert not use_array_api(xs.asarray(X))


def test_numpy_input_under_dispatch_uses_the_engine(dispatch):
    X, y = make_task(6, n=80, k=3, n_classes=2)
    assert not use_array_api(X)
    assert h_score(X, y) == pytest.approx(paper_hscore(X, y), rel=1e-9)


def test_torch_without_dispatch_goes_through_numpy():
    torch = pytest.importorskip("torch")
    X, y = make_task(7, n=90, k=4, n_classes=3)
    assert h_score(torch.asarray(X), torch.asarray(y)) == pytest.approx(h_score(X, y), rel=1e-12)
