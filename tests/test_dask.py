"""h_score on Dask arrays: one chunked reduction, equal to NumPy, under a LocalCluster."""

import subprocess
import sys

import numpy as np
import pytest
from _reference import make_task, paper_hscore

from skhscore import h_score

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def task():
    X, y = make_task(0, n=3000, k=12, n_classes=6, signal=0.5)
    X[:, 3] *= 1e6  # columns on very different scales
    return X, y


@pytest.mark.parametrize("shrinkage", [None, "auto", "oas", 0.4])
def test_equals_numpy_on_a_local_cluster(client, task, shrinkage):
    X, y = task
    Xd = da.from_array(X, chunks=(200, 5))  # 15 row blocks, 3 column blocks
    assert Xd.numblocks[0] >= 10
    expected = h_score(X, y, shrinkage=shrinkage)
    assert h_score(Xd, y, shrinkage=shrinkage) == pytest.approx(expected, rel=1e-10)
    yd = da.from_array(y, chunks=170)  # labels chunked differently from X
    assert h_score(Xd, yd, shrinkage=shrinkage) == pytest.approx(expected, rel=1e-10)
    if shrinkage is None:  # the paper's pinv is scale-sensitive: give it the unscaled data
        assert expected == pytest.approx(paper_hscore(X / X.std(axis=0), y), rel=1e-9)


def test_weights_strings_uneven_and_empty_blocks(client, task):
    X, y = task
    labels = np.array(["a", "b", "c", "d", "e", "f"])[y]
    w = np.random.default_rng(0).integers(0, 3, size=len(y)).astype(float)
    w[:400] = 0  # whole blocks without weight
    rows = (0, 400, 1, 99, 0, 700, 300, 500, 1000)
    assert sum(rows) == len(y)
    Xd = da.from_array(X, chunks=(rows, (12,)))
    wd = da.from_array(w, chunks=250)
    expected = h_score(X, labels, sample_weight=w)
    assert h_score(Xd, labels, sample_weight=wd) == pytest.approx(expected, rel=1e-10)
    assert h_score(Xd, da.from_array(labels, chunks=300), sample_weight=w) == pytest.approx(
        expected, rel=1e-10
    )


def test_never_gathers_the_feature_matrix(client, task, monkeypatch):
    X, y = task
    Xd = da.from_array(X, chunks=(250, 12))

    def refuse(*args, **kwargs):
        raise AssertionError("the n x k matrix was gathered")

    for name in ("compute", "persist", "__array__", "to_numpy"):
        monkeypatch.setattr(da.Array, name, refuse, raising=False)
    assert h_score(Xd, y) == pytest.approx(h_score(X, y), rel=1e-10)


def test_integer_dask_features_and_numpy_features_with_dask_labels():
    X, y = make_task(1, n=500, k=4, n_classes=3)
    Xi = np.round(X * 100).astype(np.int32)
    Xd = da.from_array(Xi, chunks=(45, 4))
    expected = paper_hscore(Xi.astype(float), y)
    with_threads = h_score(Xd, y)  # default (threaded) scheduler, no cluster needed
    assert with_threads == pytest.approx(expected, rel=1e-9)
    assert h_score(X, da.from_array(y, chunks=100)) == pytest.approx(h_score(X, y), rel=1e-12)


def test_unknown_chunk_sizes():
    X, y = make_task(2, n=400, k=3, n_classes=2)
    Xd, yd = da.from_array(X, chunks=(50, 3)), da.from_array(y, chunks=50)
    keep = da.from_array(X[:, 0] > -1.0, chunks=50)
    expected = h_score(X[X[:, 0] > -1.0], y[X[:, 0] > -1.0])
    assert h_score(Xd[keep], yd[keep]) == pytest.approx(expected, rel=1e-10)
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        h_score(Xd[keep], y[X[:, 0] > -1.0])


def test_errors():
    X, y = make_task(3, n=100, k=2, n_classes=2)
    with pytest.raises(ValueError, match="2-D"):
        h_score(da.from_array(X[:, 0], chunks=10), y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        h_score(da.from_array(X, chunks=(10, 2)), y[:-1])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        h_score(da.from_array(X, chunks=(10, 2)), da.from_array(y[:-1], chunks=7))
    with pytest.raises(ValueError, match="y is required"):
        h_score(da.from_array(X, chunks=(10, 2)))
    with pytest.raises(ValueError, match="negative"):
        h_score(da.from_array(X, chunks=(10, 2)), y, sample_weight=-np.ones(100))


def test_dask_is_imported_only_for_dask_input():
    code = (
        "import sys, numpy as np; import skhscore; "
        "X = np.random.default_rng(0).normal(size=(50, 3)); y = np.arange(50) % 2; "
        "skhscore.h_score(X, y); skhscore.h_score_from_batches([(X, y)]); "
        "assert 'dask' not in sys.modules and 'torch' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
