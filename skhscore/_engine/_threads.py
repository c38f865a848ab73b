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
from concurrent.futures import ThreadPoolExecutor

from threadpoolctl import ThreadpoolController

_CONTROLLER = []


@contextlib.contextmanager
def single_blas_thread():
    """Limit every loaded BLAS to one thread inside the block (about 0.15 ms per use).

    Only in the main thread: the limit is process-wide, and blocks overlapping in several
    threads restored each other's saved counts, which left BLAS at one thread for the rest
    of the process. Elsewhere the block runs with the threads BLAS has.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    with _controller().limit(limits=1, user_api="blas"):
        yield


def _controller():
    if not _CONTROLLER:  # created on first use, once NumPy's and SciPy's BLAS are loaded
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


def blas_threads():
    """The largest thread count of the loaded BLAS libraries."""
    libraries = _controller().select(user_api="blas").lib_controllers
    return max((lib.num_threads for lib in libraries), default=1)


def _available_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


# One persistent worker: OpenBLAS sets up its buffers once per calling thread, which costs
# about 10 ms on a fresh thread (a new thread per call ran no faster than one after the
# other). A forked child (joblib, multiprocessing) has no such thread: it makes its own.
_WORKER = []


def _forget_worker():
    _WORKER.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_worker)


def _worker():
    if not _WORKER:
        _WORKER.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="skhscore"))
    return _WORKER[0]


def beside(first, second, parallel=True):
    """``(first(), second())``, ``first`` in the worker thread while ``second`` runs here
    when a second core is available and ``parallel`` (false for work too small to pay the
    hand-over); both must release the GIL to gain (NumPy's products and SciPy's sparse
    products do, SciPy's BLAS wrappers do not).
    """
    if not parallel or _available_cores() < 2:
        return first(), second()
    try:
        future = _worker().submit(first)
    except RuntimeError:  # the worker is shut down (interpreter exit): one after the other
        return first(), second()
    try:
        other = second()
    finally:
        value = future.result()  # waits, and re-raises an error of ``first`` here
    return value, other
