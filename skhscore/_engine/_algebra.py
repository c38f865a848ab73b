"""Small exact identities the merges use: moving moments between centres, rank-one updates."""

import numpy as np
from scipy.linalg import blas


def shift_moments(m3, m4, scatter_apply, trace, first, n, delta):
    """Move the fourth-moment terms from centre c to centre c - delta (common units).

    ``m3 = sum_i w_i ||d_i||^2 d_i``, ``m4 = sum_i w_i ||d_i||^4``, ``first = sum_i w_i d_i``
    with ``d_i = x_i - c``; ``scatter_apply(v) = sum_i w_i d_i d_i^T v`` and ``trace`` its
    trace. Expanding ``||d + delta||^2 = ||d||^2 + 2 d.delta + ||delta||^2`` gives the
    moments of ``d + delta``.
    """
    s_delta = scatter_apply(delta)
    dd = float(delta @ delta)
    d_first = float(delta @ first)
    new_m4 = (
        m4
        + 4.0 * float(delta @ m3)
        + 4.0 * float(delta @ s_delta)
        + 2.0 * dd * trace
        + 4.0 * dd * d_first
        + n * dd * dd
    )
    new_m3 = (
        m3 + trace * delta + 2.0 * s_delta + 2.0 * d_first * delta + dd * first + n * dd * delta
    )
    return new_m3, new_m4


def add_outer(matrix, alpha, vector):
    """``matrix + alpha * outer(vector, vector)``, in place for a contiguous float64 matrix
    (BLAS ``dger`` on the Fortran view of the symmetric matrix: no k x k temporary)."""
    if matrix.dtype == np.float64 and matrix.flags.c_contiguous:
        updated = blas.dger(alpha, vector, vector, a=matrix.T, overwrite_a=True)
        if np.shares_memory(updated, matrix):
            return matrix
        return updated.T
    return matrix + alpha * np.outer(vector, vector)


# Columns per strip when a k x k triangle is copied: strips of the transposed copy stay in
# cache, where ``np.tril(a) + np.tril(a, -1).T`` makes three k x k temporaries.
_STRIP = 256


def mirror_lower(matrix):
    """Copy the lower triangle of a square matrix onto its upper triangle, in place."""
    k = matrix.shape[0]
    for start in range(0, k, _STRIP):
        stop = min(start + _STRIP, k)
        matrix[start:stop, stop:] = matrix[stop:, start:stop].T
        block = matrix[start:stop, start:stop]
        upper = np.triu_indices(stop - start, 1)
        block[upper] = block.T[upper]
    return matrix


def clear_upper(matrix):
    """Set the strict upper triangle of a (possibly non-square) matrix to zero, in place."""
    rows, cols = matrix.shape
    for start in range(0, min(rows, cols), _STRIP):
        stop = min(start + _STRIP, rows, cols)
        matrix[start:stop, stop:] = 0.0
        block = matrix[start:stop, start:stop]
        block[np.triu_indices(stop - start, 1)] = 0.0
    return matrix
