"""The rank rule: which directions of the features the data resolve, and a whitener for them.

Decided on the correlation scale (each column divided by its root scatter), so rescaling a
column by any factor, 1e-33 included, changes nothing. A direction whose singular value,
relative to the column norms, is at most ``RANK_FACTOR`` times the unit roundoff of the input
(float32 or float64, as given) cannot be told from the rounding of the input, and one below
``RANK_FLOOR`` (~9e-13) not from the rounding residue of the float64 computation that made
the features (a sum of thousands of O(1) terms carries ~1e-13): it is dropped. Every other
direction is kept, however small.

The scatter (a Gram matrix) squares the condition number: in float64 it resolves directions
down to a relative singular value of about 1e-4 only with full accuracy, and none below
~1e-8. When its pivoted Cholesky factorisation has a pivot below ``REFINE_PIVOT`` (or stops
early on float64 input, where the input's own tolerance lies below the Gram's rounding), the
engine refines instead of truncating: it replaces the scatter by the triangular factor R of a
Householder QR of the centred data (``R^T R`` is the scatter, but R is backward stable column
by column, so it resolves what the data resolve), and merges such factors by stacking them
(TSQR). The whitener is then a column-pivoted QR of R.
"""

from typing import NamedTuple

import numpy as np
from scipy.linalg import lapack, qr

#: A direction is noise when its relative singular value is at most this many unit roundoffs
#: of the input (2**-15 ~ 3e-5 for float32 input) ...
RANK_FACTOR = 512
#: ... or at most this (2**-40 ~ 9e-13: what float64 input resolves beyond its computation).
RANK_FLOOR = 2.0**-40
#: Pivots (squared relative singular values) of the scatter below which the Gram matrix no
#: longer gives them with about eight correct digits: refine from the data instead.
REFINE_PIVOT = 2.0**-26


class Whitener(NamedTuple):
    """A rank-revealing whitener of the scatter, on the correlation scale.

    ``columns`` are the kept columns (in pivot order), ``norms`` their root scatter and
    ``factor`` (rank x rank, lower triangular) satisfies ``factor @ factor.T ==
    scatter[columns][:, columns] / outer(norms, norms)``. Whitening a matrix ``T`` whose rows
    are indexed like the scatter is ``solve_triangular(factor, T[columns] / norms[:, None],
    lower=True)``. ``resolved`` is False when the scatter alone could not decide the rank
    or resolve every kept direction accurately (the engine then refines from the data).
    """

    columns: np.ndarray
    norms: np.ndarray
    factor: np.ndarray
    resolved: bool = True

    @property
    def rank(self):
        return int(self.columns.size)


def rank_tolerance(roundoff):
    """Relative singular value at or below which a direction is noise, for this input."""
    return max(RANK_FACTOR * roundoff, RANK_FLOOR)


def gram_floor(n_columns):
    """Rounding level of a float64 Gram matrix on the correlation scale (pivot scale)."""
    return 8.0 * np.sqrt(max(n_columns, 1)) * np.finfo(np.float64).eps


def _empty(resolved=True):
    return Whitener(np.zeros(0, dtype=np.intp), np.zeros(0), np.zeros((0, 0)), resolved)


def whitener_from_scatter(scatter, varying, roundoff, pivot_tol=None):
    """Whitener of a scatter matrix by LAPACK's pivoted Cholesky (``dpstrf``).

    The pivoted Cholesky stops at pivots below the input's tolerance, or below the Gram's own
    rounding level when that is larger (a scatter alone cannot resolve further); a fixed
    ``pivot_tol`` replaces the input's tolerance.
    """
    keep = np.flatnonzero(varying)
    if keep.size == 0:
        return _empty()
    scatter = scatter[np.ix_(keep, keep)]
    norms = np.sqrt(np.diag(scatter))
    correlation = scatter / np.outer(norms, norms)
    tol_pivot = rank_tolerance(roundoff) ** 2 if pivot_tol is None else pivot_tol
    floor = gram_floor(keep.size)
    factor, pivots, rank, info = lapack.dpstrf(correlation, tol=max(tol_pivot, floor), lower=1)
    if info < 0:  # pragma: no cover - LAPACK argument error, a bug on our side
        raise RuntimeError(f"dpstrf failed with info={info}")
    pivots = pivots[:rank] - 1  # LAPACK pivots are 1-based
    factor = np.tril(factor[:rank, :rank])
    smallest = float(np.min(np.diag(factor)) ** 2) if rank else np.inf
    resolved = smallest >= REFINE_PIVOT and (rank == keep.size or tol_pivot >= 64 * floor)
    return Whitener(keep[pivots], norms[pivots], factor, bool(resolved))


def whitener_from_root(root, varying, roundoff):
    """Whitener from a triangular factor R (``R^T R`` = scatter) by column-pivoted QR."""
    keep = np.flatnonzero(varying)
    if keep.size == 0 or root.shape[0] == 0:
        return _empty()
    block = root[:, keep]
    norms = np.sqrt(np.einsum("ij,ij->j", block, block))
    positive = norms > 0
    keep, block, norms = keep[positive], block[:, positive], norms[positive]
    if keep.size == 0:
        return _empty()
    r2, perm = qr(block / norms, mode="r", pivoting=True, check_finite=False)
    diagonal = np.abs(np.diag(r2))
    small = np.flatnonzero(diagonal <= rank_tolerance(roundoff))
    rank = int(small[0]) if small.size else diagonal.size
    factor = r2[:rank, :rank].T.copy()
    return Whitener(keep[perm[:rank]], norms[perm[:rank]], factor, True)


def root_from_whitener(whitener, n_features):
    """Rows of a factor R (``R^T R`` = the resolved part of the scatter) from its whitener."""
    root = np.zeros((whitener.rank, n_features))
    root[:, whitener.columns] = whitener.factor.T * whitener.norms
    return root


def stack_roots(*blocks):
    """Triangular factor of the row-stacked blocks (one Householder QR: TSQR's merge)."""
    blocks = [b for b in blocks if b is not None and b.shape[0] > 0]
    stacked = np.vstack(blocks)
    if stacked.shape[0] == 0:
        return stacked
    return qr(stacked, mode="r", overwrite_a=True, check_finite=False)[0]
