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


def test_no_warning_from_the_worker_on_an_overflowing_square():
    """An entry whose square overflows, in a row the sample skips: the product in the worker
    thread overflows quietly (``np.errstate`` is per thread) and the value is right."""
    import warnings

    X, y = wide_task(2)
    X[3, 4] = 1e160
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = h_score(X, y)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(accumulate_module, "_uncentred_candidate", lambda X: False)
        assert got == pytest.approx(h_score(X, y), rel=1e-10)


def test_scoring_while_the_interpreter_shuts_down():
    """A non-daemon thread and an atexit handler score after ``concurrent.futures`` shut the
    worker down: the class sums then run after the product, in the caller's thread."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        import atexit, threading, time
        import numpy as np
        from skhscore import h_score
        rng = np.random.default_rng(0)
        X, y = rng.normal(size=(30000, 20)), rng.integers(0, 3, 30000)
        expected = h_score(X, y)  # starts the worker

        def late():
            time.sleep(0.5)
            print("thread", h_score(X, y) == expected, flush=True)

        atexit.register(lambda: print("atexit", h_score(X, y) == expected, flush=True))
        threading.Thread(target=late).start()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "thread True" in done.stdout and "atexit True" in done.stdout, done.stdout


def _blas_counts():
    from threadpoolctl import threadpool_info

    return sorted(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")


def test_overlapping_single_blas_thread_blocks_in_threads_leave_the_count():
    """Thread A enters, B enters, A leaves, B leaves: the order in which each restoring its
    own saved count left BLAS at one thread for good. Outside the main thread the block does
    not limit BLAS, so the count is the same after."""
    import threading

    from skhscore._engine._threads import single_blas_thread

    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()

    def first():
        with single_blas_thread():
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def second():
        a_in.wait(10)
        with single_blas_thread():
            b_in.set()
            a_out.wait(10)

    # no limit held by the main thread here: threadpoolctl then lets the first thread that
    # sets OpenBLAS's count control it, which is how the counts leaked
    before = _blas_counts()
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _blas_counts() == before
    with single_blas_thread():  # the main thread still limits
        assert _blas_counts() == [1] * len(before)
    assert _blas_counts() == before


def test_scores_from_many_threads_agree_with_one_thread():
    import threading

    rng = np.random.default_rng(3)
    tasks = [(rng.normal(size=(600, 120)), rng.integers(0, 3, 600)) for _ in range(6)]
    expected = [h_score(X, y) for X, y in tasks]
    results = [None] * len(tasks)

    def run(i):
        for _ in range(5):
            results[i] = h_score(*tasks[i])

    with threadpool_limits(2):
        before = _blas_counts()
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(tasks))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert _blas_counts() == before
    np.testing.assert_allclose(results, expected, rtol=1e-12)
