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
engine refines instead of truncating, by a shifted CholeskyQR2 of the centred data: a
Cholesky factor R1 of the (slightly shifted) correlation matrix preconditions the rows, the
Gram of the preconditioned rows is well conditioned, and its pivoted Cholesky factorisation
decides the rank. H is affine invariant, so it is computed in that basis. The statistics then
keep a factor R (``R^T R`` = the scatter) instead of the scatter; factors merge by stacking
(TSQR), and the whitener of a factor is found by the same refinement applied to its rows.
"""

import numpy as np
from scipy.linalg import blas, lapack, qr, solve_triangular

from skhscore._engine._algebra import clear_upper, mirror_lower

#: A direction is noise when its relative singular value is at most this many unit roundoffs
#: of the input (2**-15 ~ 3e-5 for float32 input) ...
RANK_FACTOR = 512
#: ... or at most this (2**-40 ~ 9e-13: what float64 input resolves beyond its computation).
RANK_FLOOR = 2.0**-40
#: Pivots (squared relative singular values) of the scatter below which the Gram matrix no
#: longer gives them with about eight correct digits: refine from the data instead.
REFINE_PIVOT = 2.0**-26


class Whitener:
    """A rank-revealing whitener of the scatter, on the correlation scale.

    ``keep`` are the varying columns and ``norms`` their root scatter. The scatter of the
    normalised columns, preconditioned by the upper-triangular ``pre`` (None: no
    preconditioning) as ``pre^-T C pre^-1``, has the pivoted Cholesky factor ``lower``
    (``len(keep)`` x rank, rows in the pivot order ``perm``). ``resolved`` is False when the
    scatter alone could not decide the rank or resolve every kept direction accurately (the
    engine then refines from the data).
    """

    def __init__(self, keep, norms, perm, lower, resolved=True, pre=None):
        self.keep, self.norms, self.perm, self.lower = keep, norms, perm, lower
        self.resolved, self.pre = bool(resolved), pre

    @property
    def rank(self):
        return int(self.lower.shape[1])

    @property
    def columns(self):
        """Kept columns in pivot order (without preconditioning: a column subset)."""
        return self.keep[self.perm[: self.rank]]

    @property
    def factor(self):
        """Lower-triangular rank x rank factor of the kept columns (without preconditioning)."""
        return self.lower[: self.rank]

    @property
    def kept_norms(self):
        return self.norms[self.perm[: self.rank]]

    def whiten(self, T):
        """``Z`` (rank x m) with ``Z^T Z = T^T pinv(S) T`` for ``T`` (n_features x m) in the
        range of the scatter S."""
        if self.rank == 0:
            return np.zeros((0, T.shape[1]))
        return self.whiten_kept(T[self.keep] / self.norms[:, None])

    def whiten_kept(self, u):
        """:meth:`whiten` of ``u``, rows already the kept columns divided by their norms."""
        if self.rank == 0:
            return np.zeros((0, u.shape[1]))
        if self.pre is not None:
            u = solve_triangular(self.pre, u, trans="T", lower=False, check_finite=False)
        return solve_triangular(
            self.factor, u[self.perm[: self.rank]], lower=True, check_finite=False
        )

    def root(self, n_features):
        """Rows of a factor R with ``R^T R`` = the resolved part of the scatter."""
        inner = np.zeros((self.rank, self.keep.size))
        inner[:, self.perm] = self.lower.T
        if self.pre is not None:
            inner = inner @ self.pre
        root = np.zeros((self.rank, n_features))
        root[:, self.keep] = inner * self.norms
        return root


def rank_tolerance(roundoff):
    """Relative singular value at or below which a direction is noise, for this input."""
    return max(RANK_FACTOR * roundoff, RANK_FLOOR)


def gram_floor(n_columns):
    """Rounding level of a float64 Gram matrix on the correlation scale (pivot scale)."""
    return 8.0 * np.sqrt(max(n_columns, 1)) * np.finfo(np.float64).eps


def _empty(resolved=True):
    return Whitener(
        np.zeros(0, dtype=np.intp),
        np.zeros(0),
        np.zeros(0, dtype=np.intp),
        np.zeros((0, 0)),
        resolved,
    )


def _pivoted_cholesky(matrix, tol):
    factor, pivots, rank, info = lapack.dpstrf(matrix, tol=tol, lower=1)
    if info < 0:  # pragma: no cover - LAPACK argument error, a bug on our side
        raise RuntimeError(f"dpstrf failed with info={info}")
    # LAPACK leaves the input in the strict upper triangle; its pivots are 1-based
    return clear_upper(factor[:, :rank]), pivots - 1, rank


def whitener_from_scatter(scatter, varying, roundoff):
    """Whitener of a scatter matrix by LAPACK's pivoted Cholesky (``dpstrf``).

    The pivoted Cholesky stops at pivots below the input's tolerance, or below the Gram's own
    rounding level when that is larger (a scatter alone cannot resolve further).
    """
    keep = np.flatnonzero(varying)
    if keep.size == 0:
        return _empty()
    scatter = scatter[np.ix_(keep, keep)]
    norms = np.sqrt(np.diag(scatter))
    correlation = scatter / np.outer(norms, norms)
    tol_pivot = rank_tolerance(roundoff) ** 2
    floor = gram_floor(keep.size)
    lower, perm, rank = _pivoted_cholesky(correlation, max(tol_pivot, floor))
    smallest = float(np.min(np.diag(lower[:rank])) ** 2) if rank else np.inf
    resolved = smallest >= REFINE_PIVOT and (rank == keep.size or tol_pivot >= 64 * floor)
    return Whitener(keep, norms, perm, lower, resolved)


def refined_whitener(blocks, varying, roundoff, scatter=None):
    """Whitener resolving what the rows resolve: a shifted CholeskyQR2 of the rows.

    ``blocks()`` yields blocks of rows A (any number, n_features columns) with ``A^T A`` the
    scatter, e.g. the centred, weighted data chunk by chunk, or a factor R. ``scatter`` is
    the (possibly inaccurate) scatter that preconditions; None computes it from the blocks.
    """
    keep = np.flatnonzero(varying)
    if keep.size == 0:
        return _empty()
    if scatter is None:
        scatter = np.zeros((varying.size, varying.size))
        for block in blocks():
            scatter += block.T @ block
    scatter = scatter[np.ix_(keep, keep)]
    norms = np.sqrt(np.diag(scatter))
    correlation = scatter / np.outer(norms, norms)
    shift = 64 * keep.size * np.finfo(np.float64).eps
    while True:  # the shift makes the Cholesky factorisation succeed on any rounding
        shifted = correlation.copy()
        shifted.flat[:: keep.size + 1] += shift
        pre, info = lapack.dpotrf(shifted, lower=0, clean=1)
        if info == 0:
            break
        shift *= 16
    second = np.zeros((keep.size, keep.size))
    everything = keep.size == varying.size
    for block in blocks():
        rows = block if everything else np.ascontiguousarray(block[:, keep])
        rows /= norms  # the blocks are fresh arrays
        # rows @ pre^-1, in place on the Fortran view: pre^T X = rows^T
        rows = blas.dtrsm(1.0, pre, rows.T, side=0, lower=0, trans_a=1, overwrite_b=1).T
        blas.dsyrk(1.0, rows.T, beta=1.0, c=second.T, trans=0, lower=0, overwrite_c=1)
    mirror_lower(second)
    # a direction of relative singular value t has the preconditioned pivot t^2 / (t^2 + shift)
    tau2 = rank_tolerance(roundoff) ** 2
    tol = max(tau2 / (tau2 + shift), gram_floor(keep.size))
    lower, perm, _ = _pivoted_cholesky(second, tol)
    return Whitener(keep, norms, perm, lower, True, pre=pre)


def whitener_from_root(root, varying, roundoff):
    """Whitener from the rows of a factor R (``R^T R`` = scatter)."""
    return refined_whitener(lambda: [root.copy()], varying, roundoff)


def stack_roots(*blocks):
    """Rows of one factor of the row-stacked blocks (a Householder QR when they are many)."""
    blocks = [b for b in blocks if b is not None and b.shape[0] > 0]
    stacked = np.vstack(blocks)
    if stacked.shape[0] <= stacked.shape[1]:
        return stacked
    return qr(stacked, mode="r", overwrite_a=True, check_finite=False)[0]
