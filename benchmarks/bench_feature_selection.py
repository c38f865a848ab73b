"""Greedy H-score subset selection: HScoreFeatureSelector against SequentialFeatureSelector.

Selects 20 of 200 columns (n = 5000 samples, C = 10 classes, make_classification) with

* ``HScoreFeatureSelector(20)`` (incremental Cholesky on the sufficient statistics);
* ``SequentialFeatureSelector(FunctionTransformer(), n_features_to_select=20,
  scoring=<in-sample H-score>, cv=[(all, all)])``: the scorer is a callable computing
  ``skhscore.h_score(est.transform(X), y)`` and the single split trains and tests on all the
  data, so both do the same work (the in-sample greedy) and must pick the same columns;
* a plain greedy loop calling ``h_score(X[:, J + [j]], y)`` for every candidate (the SFS
  work without scikit-learn's per-candidate overhead).

Runs are interleaved, medians are reported, BLAS/OpenMP pools are pinned to one thread with
threadpoolctl. Usage: ``python benchmarks/bench_feature_selection.py [--repeats 3]
[--n-samples 5000] [--n-features 200] [--n-classes 10] [--select 20]``.
"""

import argparse
import platform
import time

import numpy as np
import sklearn
from sklearn.datasets import make_classification
from sklearn.feature_selection import SequentialFeatureSelector
from sklearn.preprocessing import FunctionTransformer
from threadpoolctl import threadpool_info, threadpool_limits

import skhscore
from skhscore import HScoreFeatureSelector, h_score


def in_sample_hscore(estimator, X, y):
    """Scorer for SequentialFeatureSelector: the H-score of the transformed features."""
    return h_score(estimator.transform(X), y)


def run_fast(X, y, m):
    return HScoreFeatureSelector(m).fit(X, y).selection_order_


def run_sfs(X, y, m):
    everything = np.arange(len(y))
    sfs = SequentialFeatureSelector(
        FunctionTransformer(),
        n_features_to_select=m,
        scoring=in_sample_hscore,
        cv=[(everything, everything)],
    ).fit(X, y)
    return np.flatnonzero(sfs.support_)


def run_naive(X, y, m):
    selected = []
    for _ in range(m):
        best, best_score = None, -np.inf
        for j in range(X.shape[1]):
            if j in selected:
                continue
            score = h_score(X[:, selected + [j]], y)
            if score > best_score:
                best, best_score = j, score
        selected.append(best)
    return np.asarray(selected)


def timed(func, *args):
    start = time.perf_counter()
    out = func(*args)
    return time.perf_counter() - start, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--n-samples", type=int, default=5000)
    parser.add_argument("--n-features", type=int, default=200)
    parser.add_argument("--n-classes", type=int, default=10)
    parser.add_argument("--select", type=int, default=20)
    parser.add_argument("--fast-repeats", type=int, default=15)
    args = parser.parse_args()

    X, y = make_classification(
        n_samples=args.n_samples,
        n_features=args.n_features,
        n_informative=30,
        n_redundant=20,
        n_classes=args.n_classes,
        n_clusters_per_class=1,
        random_state=0,
    )
    m = args.select
    with threadpool_limits(limits=1):
        pools = sorted({(p["internal_api"], p["num_threads"]) for p in threadpool_info()})
        print(
            f"skhscore {skhscore.__version__}, scikit-learn {sklearn.__version__}, "
            f"numpy {np.__version__}, Python {platform.python_version()}, "
            f"{platform.machine()}; thread pools (api, threads): {pools}"
        )
        print(
            f"n = {args.n_samples}, d = {args.n_features}, C = {args.n_classes}, "
            f"select {m}, {args.repeats} interleaved repeats"
        )
        run_fast(X, y, m)  # warm up imports and caches
        fast, sfs, naive = [], [], []
        for _ in range(args.repeats):
            # the fast one is short: time several and keep their median per round
            rounds = [timed(run_fast, X, y, m) for _ in range(args.fast_repeats)]
            fast.append(np.median([t for t, _ in rounds]))
            order_fast = rounds[0][1]
            t, support_sfs = timed(run_sfs, X, y, m)
            sfs.append(t)
            t, order_naive = timed(run_naive, X, y, m)
            naive.append(t)
    assert np.array_equal(np.sort(order_fast), support_sfs), "different columns selected"
    assert np.array_equal(order_fast, order_naive), "different selection order"
    t_fast, t_sfs, t_naive = np.median(fast), np.median(sfs), np.median(naive)
    print("same columns selected by all three, same order as the plain greedy")
    print(f"HScoreFeatureSelector           median {t_fast * 1e3:9.1f} ms")
    print(f"SequentialFeatureSelector+scorer median {t_sfs * 1e3:9.1f} ms")
    print(f"plain greedy loop of h_score     median {t_naive * 1e3:9.1f} ms")
    print(f"speed-up vs SequentialFeatureSelector: {t_sfs / t_fast:.0f}x")
    print(f"speed-up vs plain greedy h_score loop:  {t_naive / t_fast:.0f}x")


if __name__ == "__main__":
    main()
