"""Speed and peak memory of ``h_score`` against the straightforward implementation and the floor.

For each size (n, k, C) the script times, in the same process and interleaved (one run of each
per round, medians over the rounds):

* ``naive``: what users write from the paper (np.cov, a Python loop over classes filling an
  n x k matrix of class means, np.linalg.pinv), as in the reference code and TLlib;
* ``floor``: one ``X.T @ X`` product on the same data, the least any exact method must do;
* ``h_score`` (float64), ``h_score`` with a float32 scatter, and ``h_score(shrinkage="auto")``;
* ``naive LW``: sklearn's ``LedoitWolf().fit`` plus the same class-mean loop (the regularised
  H-score as TLlib computes it).

Peak memory is measured with tracemalloc (numpy reports its buffers to it) in a separate pass,
as the peak allocated beyond the input.

Usage::

    python benchmarks/bench_hscore.py                    # the three default sizes
    python benchmarks/bench_hscore.py --sizes 2000,64,10 --rounds 3
"""

import argparse
import statistics
import time
import tracemalloc

import numpy as np
from sklearn.covariance import LedoitWolf
from threadpoolctl import threadpool_info, threadpool_limits

from skhscore import HScoreStatistics, h_score


def naive_hscore(F, y):
    """The paper's formula as users write it: n x k class-mean matrix, np.cov, pinv."""
    class_means = np.zeros_like(F)
    for label in np.unique(y):
        class_means[y == label] = F[y == label].mean(axis=0)
    cov_f = np.cov(F, rowvar=False, bias=True)
    cov_g = np.cov(class_means, rowvar=False, bias=True)
    return float(np.trace(np.linalg.pinv(cov_f, rcond=1e-15) @ cov_g))


def naive_shrunk_hscore(F, y):
    """TLlib-style regularised H-score: LedoitWolf().fit plus the class-mean loop."""
    lw = LedoitWolf(assume_centered=False).fit(F)
    alpha = lw.shrinkage_
    class_means = np.zeros_like(F)
    for label in np.unique(y):
        class_means[y == label] = F[y == label].mean(axis=0)
    cov_g = np.cov(class_means, rowvar=False, bias=True)
    return float(np.trace(np.linalg.solve(lw.covariance_, (1 - alpha) * cov_g)))


def floor(F, y):
    return F.T @ F


def h64(F, y):
    return h_score(F, y)


def h32(F, y):
    return h_score(HScoreStatistics.from_arrays(F, y, scatter_dtype=np.float32))


def h_lw(F, y):
    return h_score(F, y, shrinkage="auto")


METHODS = {
    "floor (X.T @ X)": floor,
    "naive": naive_hscore,
    "h_score": h64,
    "h_score float32 scatter": h32,
    "naive LW": naive_shrunk_hscore,
    "h_score shrinkage=auto": h_lw,
}


def make_data(n, k, n_classes, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, size=n)
    centres = rng.normal(scale=0.3, size=(n_classes, k))
    mixing = rng.normal(size=(k, k)) / np.sqrt(k) + np.eye(k)
    X = (centres[y] + rng.normal(size=(n, k))) @ mixing
    return X, y


def peak_memory(func, X, y):
    tracemalloc.start()
    tracemalloc.reset_peak()
    func(X, y)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def run_size(n, k, n_classes, rounds, skip_naive_lw):
    X, y = make_data(n, k, n_classes)
    methods = dict(METHODS)
    if skip_naive_lw:
        methods.pop("naive LW")
    times = {name: [] for name in methods}
    values = {}
    for _ in range(rounds):
        for name, func in methods.items():  # interleaved: load changes hit all methods
            start = time.perf_counter()
            values[name] = func(X, y)
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    memory = {name: peak_memory(func, X, y) for name, func in methods.items()}
    input_mb = X.nbytes / 2**20
    print(f"\n(n, k, C) = ({n}, {k}, {n_classes}); input {input_mb:.0f} MiB; {rounds} rounds")
    print(f"{'method':<26}{'median s':>10}{'/ floor':>9}{'naive /':>9}{'peak MiB':>10}")
    for name in methods:
        shrunk = "LW" in name or "shrinkage" in name
        baseline = medians.get("naive LW", float("nan")) if shrunk else medians["naive"]
        print(
            f"{name:<26}{medians[name]:>10.3f}{medians[name] / medians['floor (X.T @ X)']:>9.2f}"
            f"{baseline / medians[name]:>9.1f}{memory[name] / 2**20:>10.0f}"
        )
    exact, h32_value = values["h_score"], values["h_score float32 scatter"]
    print(
        f"values: naive {values['naive']:.6f}, h_score {exact:.6f}, float32 scatter "
        f"{h32_value:.6f} (rel. error {abs(h32_value - exact) / exact:.1e}), "
        f"shrinkage {values['h_score shrinkage=auto']:.6f}"
        + (f" vs naive LW {values['naive LW']:.6f}" if "naive LW" in values else "")
    )
    return medians, memory


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        default=["10000,512,10", "50000,2048,100", "200000,64,1000"],
        help="n,k,C triples",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    parser.add_argument(
        "--skip-naive-lw", action="store_true", help="skip the slow LedoitWolf baseline"
    )
    args = parser.parse_args()
    with threadpool_limits(args.threads):
        blas = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]
        print(f"BLAS: {blas}")
        for size in args.sizes:
            n, k, n_classes = (int(v) for v in size.split(","))
            run_size(n, k, n_classes, args.rounds, args.skip_naive_lw)


if __name__ == "__main__":
    main()
