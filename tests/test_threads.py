"""The engine's worker thread: the class sums beside the Gram product give the same numbers
as one after the other, errors reach the caller, and a forked child (joblib, multiprocessing)
does not wait on a thread it does not have."""

import multiprocessing

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import skhscore._engine._accumulate as accumulate_module
from skhscore import h_score
from skhscore._engine._threads import beside


def wide_task(seed=0, n=3000, k=90, n_classes=7):
    """Large enough (n k >= 2**18) for the class sums to run beside the product."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, size=n)
    X = rng.normal(size=(n_classes, k))[y] * 0.3 + rng.normal(size=(n, k))
    assert X.size >= accumulate_module._PARALLEL_SIZE
    return X, y


def test_beside_returns_both_results_in_order():
    assert beside(lambda: "first", lambda: "second") == ("first", "second")
    assert beside(lambda: 1, lambda: 2, parallel=False) == (1, 2)


def test_beside_reraises_the_error_of_either_side():
    def fail():
        raise KeyError("in the worker")

    with pytest.raises(KeyError, match="in the worker"):
        beside(fail, lambda: None)
    with pytest.raises(ValueError, match="here"):
        beside(lambda: None, lambda: (_ for _ in ()).throw(ValueError("here")))
    assert beside(lambda: 3, lambda: 4) == (3, 4)  # the worker survives an error


@pytest.mark.parametrize("threads", [1, 2])
def test_beside_and_one_after_the_other_agree_exactly(monkeypatch, threads):
    X, y = wide_task()
    with threadpool_limits(threads):
        together = [h_score(X, y), h_score(X, y, shrinkage="auto", adjusted=True)]
        monkeypatch.setattr(accumulate_module, "_PARALLEL_SIZE", 2**62)
        apart = [h_score(X, y), h_score(X, y, shrinkage="auto", adjusted=True)]
    assert together == apart


def _score_in_child(seed):
    X, y = wide_task(seed)
    return h_score(X, y)


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs the fork start method"
)
def test_a_forked_child_scores_after_the_parent_used_the_worker():
    X, y = wide_task(1)
    expected = h_score(X, y)  # the parent's worker thread exists from here on
    with multiprocessing.get_context("fork").Pool(1) as pool:
        got = pool.apply_async(_score_in_child, (1,)).get(timeout=60)
    assert got == expected
