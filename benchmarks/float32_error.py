"""Error and speed of the float32 scatter product against float64.

Features X = (Z + class shift) @ A with A = U diag(s) V^T, s log-spaced from 1 down to 1/cond,
so cond is the condition number of the feature matrix (its covariance has cond**2). The score
with ``scatter_dtype=float32`` (each chunk's k x k product in float32, everything else in
float64) is compared with the float64 score on the same float64 features.

Run: python benchmarks/float32_error.py [--n 20000] [--k 64] [--seeds 5]
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits

from skhscore import IncrementalHScore


def features(seed, n, k, n_classes, cond):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, size=n)
    Z = rng.normal(size=(n, k)) + rng.normal(scale=0.3, size=(n_classes, k))[y]
    U, _ = np.linalg.qr(rng.normal(size=(k, k)))
    V, _ = np.linalg.qr(rng.normal(size=(k, k)))
    s = np.logspace(0, -np.log10(cond), k)
    return Z @ (U * s) @ V.T + 5.0, y  # an offset, as real features have


def score(X, y, dtype):
    return IncrementalHScore(scatter_dtype=dtype).fit(X, y).score_


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--k", type=int, default=64)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--timing-n", type=int, default=20000)
    parser.add_argument("--timing-k", type=int, default=512)
    args = parser.parse_args()
    with threadpool_limits(limits=1, user_api="blas"):
        print(f"n={args.n}, k={args.k}, C={args.classes}, {args.seeds} seeds, 1 BLAS thread")
        print(f"{'cond(X)':>8} {'H (float64)':>12} {'median rel err':>15} {'max rel err':>12}")
        for cond in (1.0, 1e2, 1e4):
            errors, h64 = [], []
            for seed in range(args.seeds):
                X, y = features(seed, args.n, args.k, args.classes, cond)
                exact = score(X, y, "float64")
                errors.append(abs(score(X, y, "float32") - exact) / exact)
                h64.append(exact)
            print(
                f"{cond:8.0e} {np.median(h64):12.4f} {np.median(errors):15.1e} "
                f"{np.max(errors):12.1e}"
            )
        X, y = features(0, args.timing_n, args.timing_k, args.classes, 1.0)
        times = {"float64": [], "float32": []}
        for _ in range(5):  # interleaved
            for dtype in times:
                start = time.perf_counter()
                score(X, y, dtype)
                times[dtype].append(time.perf_counter() - start)
        t64, t32 = np.median(times["float64"]), np.median(times["float32"])
        print(
            f"time at ({args.timing_n}, {args.timing_k}): float64 {t64:.3f} s, "
            f"float32 {t32:.3f} s, ratio float64/float32 = {t64 / t32:.2f} (medians of 5)"
        )


if __name__ == "__main__":
    main()
