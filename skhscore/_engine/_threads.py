"""Threads: one BLAS thread for the small k x k work that follows the big products, and
the class sums beside the Gram product.

Level-2 and LAPACK calls on k x k matrices (rank-one updates, the pivoted Cholesky, small
triangular solves) gain nothing from a second BLAS thread and lose a lot when the other core
is busy: OpenBLAS's threads spin, and a 5 x 5 triangular solve measured 12 ms instead of
0.01 ms on a loaded 2-core machine. The Gram products keep every thread.
"""

import contextlib
import os
import threading

from threadpoolctl import ThreadpoolController

_CONTROLLER = []


@contextlib.contextmanager
def single_blas_thread():
    """Limit every loaded BLAS to one thread inside the block (about 0.15 ms per use)."""
    if not _CONTROLLER:  # created on first use, once NumPy's and SciPy's BLAS are loaded
        _CONTROLLER.append(ThreadpoolController())
    with _CONTROLLER[0].limit(limits=1, user_api="blas"):
        yield


def _available_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


def beside(first, second, parallel=True):
    """``(first(), second())``, ``first`` in a new thread while ``second`` runs here when a
    second core is available and ``parallel`` (false for work too small to pay the ~0.1 ms
    of a thread) (both must release the GIL to gain: BLAS and SciPy's sparse
    products do).

    A narrow Gram product (syrk on 64 columns) does not use a second BLAS thread, so the
    class sums run beside it on the other core. A fresh thread per call: a pool would not
    survive a fork into joblib or multiprocessing workers.
    """
    if not parallel or _available_cores() < 2:
        return first(), second()
    box = {}

    def run():
        try:
            box["value"] = first()
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=run, name="skhscore-gram")
    thread.start()
    try:
        other = second()
    finally:
        thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"], other
