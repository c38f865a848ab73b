"""One BLAS thread for the small k x k work that follows the big products.

Level-2 and LAPACK calls on k x k matrices (rank-one updates, the pivoted Cholesky, small
triangular solves) gain nothing from a second BLAS thread and lose a lot when the other core
is busy: OpenBLAS's threads spin, and a 5 x 5 triangular solve measured 12 ms instead of
0.01 ms on a loaded 2-core machine. The Gram products keep every thread.
"""

import contextlib

from threadpoolctl import ThreadpoolController

_CONTROLLER = []


@contextlib.contextmanager
def single_blas_thread():
    """Limit every loaded BLAS to one thread inside the block (about 0.15 ms per use)."""
    if not _CONTROLLER:  # created on first use, once NumPy's and SciPy's BLAS are loaded
        _CONTROLLER.append(ThreadpoolController())
    with _CONTROLLER[0].limit(limits=1, user_api="blas"):
        yield
