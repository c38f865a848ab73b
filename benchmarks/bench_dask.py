"""h_score on a Dask array larger than comfortable: peak memory and overhead against NumPy.

1. Writes n x k float32 features (default 2,000,000 x 512 = 4.1 GB) and their labels to .npy
   files in a temporary folder, in chunks (np.lib.format.open_memmap), checking the free disk
   space first (n is reduced, and the script says so, when the disk cannot hold the file).
2. In a fresh subprocess, scores the file through ``dask.array.from_array`` over a reader that
   memory-maps the file for each block and copies that block out, with the threaded
   scheduler; reports the wall time and the process's peak resident memory (VmHWM, which
   counts NumPy's allocations that tracemalloc would miss) against the size of one block.
3. On a subsample that fits in memory, times in-memory ``h_score(numpy)`` against
   ``h_score(dask)`` on the same data (medians of interleaved runs, BLAS pinned to 1 thread
   with threadpoolctl) and prints the ratios, with 1 and with ``--workers`` Dask threads.

Run: python benchmarks/bench_dask.py [--n 2000000] [--k 512] [--chunk-rows 25000]
     [--subsample 100000] [--workers 2] [--dir /tmp]      (about 2-4 minutes at the default)
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_CLASSES = 10


class NpyRows:
    """Array-like over a .npy file: each read maps the file, copies the rows out, unmaps it.

    Unmapping after each block keeps the pages read out of this process's resident memory,
    so the peak measured is the memory the computation holds, not the page cache.
    """

    def __init__(self, path):
        m = np.load(path, mmap_mode="r")
        self.path, self.shape, self.dtype, self.ndim = str(path), m.shape, m.dtype, m.ndim
        del m

    def __getitem__(self, key):
        m = np.load(self.path, mmap_mode="r")
        out = np.array(m[key])
        del m
        return out


def write_data(folder, n, k, chunk_rows, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=0.05, size=(N_CLASSES, k)).astype(np.float32)
    X = np.lib.format.open_memmap(folder / "X.npy", mode="w+", dtype=np.float32, shape=(n, k))
    y = np.lib.format.open_memmap(folder / "y.npy", mode="w+", dtype=np.int32, shape=(n,))
    for start in range(0, n, chunk_rows):
        stop = min(start + chunk_rows, n)
        labels = rng.integers(0, N_CLASSES, size=stop - start)
        block = rng.standard_normal(size=(stop - start, k), dtype=np.float32)
        block += centres[labels]
        X[start:stop] = block
        y[start:stop] = labels
    X.flush()
    y.flush()
    del X, y


def _status_bytes(field):
    """A memory figure of this process from /proc/self/status (Linux), in bytes, or None."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _peak_rss(reset=False):
    """Peak resident memory of this process. On Linux VmHWM, which (unlike ru_maxrss, which
    keeps the parent's peak across fork + exec) belongs to this process image alone, and can
    be reset through /proc/self/clear_refs."""
    if reset:
        try:
            with open("/proc/self/clear_refs", "w") as refs:
                refs.write("5")
        except OSError:
            pass
    peak = _status_bytes("VmHWM")
    if peak is None:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return peak


def child(args):
    """Score the file with Dask in this (fresh) process; print time and peak memory as JSON."""
    import dask
    import dask.array as da
    from threadpoolctl import threadpool_limits

    from skhscore import h_score

    folder = Path(args.child)
    reader = NpyRows(folder / "X.npy")
    X = da.from_array(reader, chunks=(args.chunk_rows, reader.shape[1]), name="npy-rows")
    y = np.load(folder / "y.npy")
    baseline = _status_bytes("VmRSS") or _peak_rss()
    _peak_rss(reset=True)  # from here on, the peak of the computation alone
    with threadpool_limits(limits=1, user_api="blas"):
        with dask.config.set(scheduler="threads", num_workers=args.workers):
            start = time.perf_counter()
            score = h_score(X, y)
            elapsed = time.perf_counter() - start
    peak = _peak_rss()
    print(json.dumps({"score": score, "time": elapsed, "baseline": baseline, "peak": peak}))


def timed(fn, reps):
    out = []
    for _ in range(reps):
        start = time.perf_counter()
        value = fn()
        out.append(time.perf_counter() - start)
    return value, out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2_000_000, help="rows (default 2,000,000)")
    parser.add_argument("--k", type=int, default=512, help="features (default 512)")
    parser.add_argument("--chunk-rows", type=int, default=25_000, help="rows per Dask block")
    parser.add_argument("--subsample", type=int, default=100_000, help="rows for the ratio")
    parser.add_argument("--workers", type=int, default=2, help="Dask threads")
    parser.add_argument("--reps", type=int, default=3, help="timed runs per configuration")
    parser.add_argument("--dir", default=tempfile.gettempdir(), help="where to write the file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)

    import dask
    import dask.array as da
    from threadpoolctl import threadpool_info, threadpool_limits

    from skhscore import h_score

    need = args.n * args.k * 4 + args.n * 4
    free = shutil.disk_usage(args.dir).free
    if need > 0.8 * free:
        n = int(0.8 * free / (args.k * 4 + 4))
        print(f"Only {free / 1e9:.1f} GB free in {args.dir}: n reduced from {args.n} to {n}.")
        args.n = n
    blas = {(i["internal_api"], i.get("num_threads")) for i in threadpool_info()}
    print(
        f"n={args.n:,}, k={args.k}, {N_CLASSES} classes, float32 on disk "
        f"({need / 1e9:.2f} GB), blocks of {args.chunk_rows:,} rows; BLAS {sorted(blas)} "
        f"pinned to 1 thread; {os.cpu_count()} cores; Dask threaded scheduler"
    )
    folder = Path(tempfile.mkdtemp(prefix="skhscore-bench-", dir=args.dir))
    try:
        start = time.perf_counter()
        write_data(folder, args.n, args.k, args.chunk_rows)
        print(f"wrote {folder / 'X.npy'} in {time.perf_counter() - start:.1f} s")

        # ---- 1. the whole file, in a fresh process, for an honest peak-memory figure
        result = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                str(folder),
                "--chunk-rows",
                str(args.chunk_rows),
                "--workers",
                str(args.workers),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        full = json.loads(result.stdout.strip().splitlines()[-1])
        block32 = args.chunk_rows * args.k * 4
        block64 = 2 * block32
        grown = full["peak"] - full["baseline"]
        print(
            f"\nfull file: H = {full['score']:.6f} in {full['time']:.1f} s "
            f"({args.n / full['time']:,.0f} rows/s) with {args.workers} Dask threads"
        )
        print(
            f"peak RSS {full['peak'] / 2**20:,.0f} MiB "
            f"(after imports {full['baseline'] / 2**20:,.0f} MiB, "
            f"grown by {grown / 2**20:,.0f} MiB) against {need / 2**20:,.0f} MiB on disk "
            f"and {args.n * args.k * 8 / 2**20:,.0f} MiB as float64"
        )
        print(
            f"one block: {block32 / 2**20:.0f} MiB as read, {block64 / 2**20:.0f} MiB as its "
            f"float64 copy; growth = {grown / (block32 + block64):.1f} x (read + copy) blocks"
        )

        # ---- 2. the Dask overhead on a subsample held in memory
        m = min(args.subsample, args.n)
        Xs = np.array(np.load(folder / "X.npy", mmap_mode="r")[:m])
        ys = np.load(folder / "y.npy")[:m]
        Xd = da.from_array(Xs, chunks=(args.chunk_rows, args.k))
        runs = {"numpy": [], "dask-1": [], f"dask-{args.workers}": []}
        with threadpool_limits(limits=1, user_api="blas"):
            for _ in range(args.reps):  # interleaved
                ref, t = timed(lambda: h_score(Xs, ys), 1)
                runs["numpy"] += t
                for workers in (1, args.workers):
                    with dask.config.set(scheduler="threads", num_workers=workers):
                        got, t = timed(lambda: h_score(Xd, ys), 1)
                    runs[f"dask-{workers}"] += t
        med = {key: float(np.median(v)) for key, v in runs.items()}
        print(
            f"\nsubsample n={m:,} in memory ({Xd.numblocks[0]} blocks), medians of "
            f"{args.reps} interleaved runs, BLAS 1 thread:"
        )
        print(f"  numpy h_score            {med['numpy']:.2f} s")
        print(
            f"  dask h_score, 1 thread   {med['dask-1']:.2f} s   ratio dask/numpy = "
            f"{med['dask-1'] / med['numpy']:.2f}"
        )
        key = f"dask-{args.workers}"
        print(
            f"  dask h_score, {args.workers} threads  {med[key]:.2f} s   ratio dask/numpy = "
            f"{med[key] / med['numpy']:.2f}"
        )
        print(f"  |H_dask - H_numpy| / H_numpy = {abs(got - ref) / ref:.1e}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
