"""Speed and peak memory of ``h_score`` against the straightforward implementation and the floor.

For each size (n, k, C) the script times, in the same process and interleaved (one run of each
per round, medians over the rounds):

* ``naive``: what users write from the paper (np.cov, a Python loop over classes filling an
  n x k matrix of class means, np.linalg.pinv), as in the reference code and TLlib;
* ``floor``: one ``X.T @ X`` product on the same data, the least any exact method must do;
* ``h_score`` (float64), ``h_score`` with a float32 scatter, and ``h_score(shrinkage="auto")``;
* ``naive LW``: sklearn's ``LedoitWolf().fit`` plus the same class-mean loop (the regularised
  H-score as TLlib computes it);
* ``h_score refining``: ``h_score`` on the same features with a shared level shift of 1e6 on
  half the rows, which the scatter cannot resolve: the engine refines (a shifted CholeskyQR2
  pass over the data), and this is what that costs.

Each size is run at every BLAS thread count given (``--threads 1 2``), and the ratios to the
floor are reported per thread count. The machine this runs on may be shared: the script
prints the load average before and after each size; rerun when it is quiet.

Peak memory is measured with tracemalloc (numpy reports its buffers to it) in a separate pass,
as the peak allocated beyond the input.

Usage::

    python benchmarks/bench_hscore.py                    # the three default sizes
    python benchmarks/bench_hscore.py --sizes 2000,64,10 --rounds 3
    python benchmarks/bench_hscore.py --threads 1 2 --methods floor h_score refining
"""

import argparse
import os
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


def h_refining(F, y):
    return h_score(_LEVEL_SHIFT[id(F)], y)


# per data set, the shifted copy is made once, outside the timings
_LEVEL_SHIFT = {}


METHODS = {
    "floor (X.T @ X)": floor,
    "naive": naive_hscore,
    "h_score": h64,
    "h_score float32 scatter": h32,
    "naive LW": naive_shrunk_hscore,
    "h_score shrinkage=auto": h_lw,
    "h_score refining": h_refining,
}
SHORT_NAMES = {
    "floor": "floor (X.T @ X)",
    "naive": "naive",
    "h_score": "h_score",
    "float32": "h_score float32 scatter",
    "naive_lw": "naive LW",
    "shrinkage": "h_score shrinkage=auto",
    "refining": "h_score refining",
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


def run_size(n, k, n_classes, rounds, skip_naive_lw, selected=None, memory_pass=True):
    X, y = make_data(n, k, n_classes)
    shifted = X.copy()
    shifted[n // 2 :] += 1e6
    _LEVEL_SHIFT.clear()
    _LEVEL_SHIFT[id(X)] = shifted
    methods = dict(METHODS)
    if selected:
        methods = {SHORT_NAMES[name]: METHODS[SHORT_NAMES[name]] for name in selected}
        methods = {"floor (X.T @ X)": floor, **methods}
    if skip_naive_lw:
        methods.pop("naive LW", None)
    times = {name: [] for name in methods}
    values = {}
    for _ in range(rounds):
        for name, func in methods.items():  # interleaved: load changes hit all methods
            start = time.perf_counter()
            values[name] = func(X, y)
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    memory = {
        name: peak_memory(func, X, y) if memory_pass else float("nan")
        for name, func in methods.items()
    }
    input_mb = X.nbytes / 2**20
    print(f"\n(n, k, C) = ({n}, {k}, {n_classes}); input {input_mb:.0f} MiB; {rounds} rounds")
    print(f"{'method':<26}{'median s':>10}{'/ floor':>9}{'naive /':>9}{'peak MiB':>10}")
    for name in methods:
        shrunk = "LW" in name or "shrinkage" in name
        baseline = (
            medians.get("naive LW", float("nan")) if shrunk else medians.get("naive", np.nan)
        )
        print(
            f"{name:<26}{medians[name]:>10.3f}{medians[name] / medians['floor (X.T @ X)']:>9.2f}"
            f"{baseline / medians[name]:>9.1f}{memory[name] / 2**20:>10.0f}"
        )
    if "h_score float32 scatter" not in values or "naive" not in values:
        return medians, memory
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
    parser.add_argument(
        "--threads", type=int, nargs="+", default=[1, 2], help="BLAS thread counts (1 2)"
    )
    parser.add_argument(
        "--methods",
        nargs="+",
        choices=sorted(SHORT_NAMES),
        help="only these methods (and the floor); all by default",
    )
    parser.add_argument("--no-memory", action="store_true", help="skip the memory pass")
    parser.add_argument(
        "--skip-naive-lw", action="store_true", help="skip the slow LedoitWolf baseline"
    )
    args = parser.parse_args()
    summary = []
    for size in args.sizes:
        n, k, n_classes = (int(v) for v in size.split(","))
        for threads in args.threads:
            with threadpool_limits(threads):
                blas = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]
                print(f"\nBLAS: {blas}; load average {os.getloadavg()[0]:.1f}")
                medians, _ = run_size(
                    n,
                    k,
                    n_classes,
                    args.rounds,
                    args.skip_naive_lw,
                    args.methods,
                    not args.no_memory,
                )
                print(f"load average after: {os.getloadavg()[0]:.1f}")
            floor_s = medians["floor (X.T @ X)"]
            summary.append(
                (size, threads, floor_s)
                + tuple(
                    medians.get(name, np.nan) / floor_s for name in ("h_score", "h_score refining")
                )
            )
    print("\nsize (n,k,C)        threads  floor s  h_score/floor  refining/floor")
    for size, threads, floor_s, h_ratio, refine_ratio in summary:
        print(f"{size:<20}{threads:>7}{floor_s:>9.3f}{h_ratio:>15.2f}{refine_ratio:>16.2f}")


if __name__ == "__main__":
    main()
