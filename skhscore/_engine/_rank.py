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
engine refines instead of truncating. H is affine invariant, so it may be computed in any
basis: first in the basis where the columns the scatter does not resolve are replaced by
their residuals on those it does (one pass over the rows for the residuals' products, see
:func:`_trailing_refinement`); where those residuals cannot resolve them either, by a shifted
CholeskyQR2 (a Cholesky factor of the slightly shifted correlation matrix preconditions the
rows, and the Gram of the preconditioned rows decides). The statistics then keep a factor R
(``R^T R`` = the scatter) instead of the scatter; factors merge by stacking (TSQR), and the
whitener of a factor is found by the same refinement applied to its rows.
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
# The trailing refinement keeps from the scatter only the leading columns of pivots above
# this (ten digits: a leading pivot just above REFINE_PIVOT cost 1e-7 of H), and re-measures
# the others from the rows.
_SPLIT_PIVOT = 2.0**-20


class Whitener:
    """A rank-revealing whitener of the scatter, on the correlation scale.

    ``keep`` are the varying columns and ``norms`` their root scatter. The scatter of the
    normalised columns, preconditioned by the upper-triangular ``pre`` (None: no
    preconditioning) as ``pre^-T C pre^-1``, has the pivoted Cholesky factor ``lower``
    (``len(keep)`` x rank, rows in the pivot order ``perm``). With ``lead`` given, ``pre`` is
    only the block K of the preconditioner ``[[I, K], [0, I]]`` (``lead`` leading columns).
    ``resolved`` is False when the scatter alone could not decide the rank or resolve every
    kept direction accurately (the engine then refines from the data).
    """

    def __init__(self, keep, norms, perm, lower, resolved=True, pre=None, lead=None):
        self.keep, self.norms, self.perm, self.lower = keep, norms, perm, lower
        self.resolved, self.pre, self.lead = bool(resolved), pre, lead

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
        if self.lead is not None:  # [[I, K], [0, I]]^-T u, K = pre
            u = u.copy()
            u[self.lead :] -= self.pre.T @ u[: self.lead]
        elif self.pre is not None:
            u = solve_triangular(self.pre, u, trans="T", lower=False, check_finite=False)
        return solve_triangular(
            self.factor, u[self.perm[: self.rank]], lower=True, check_finite=False
        )

    def root(self, n_features):
        """Rows of a factor R with ``R^T R`` = the resolved part of the scatter."""
        # gathers along rows (np.take): assigning to fancy-indexed columns transposes, slowly
        order = np.empty_like(self.perm)
        order[self.perm] = np.arange(self.perm.size)
        inner = np.take(np.ascontiguousarray(self.lower.T), order, axis=1)
        if self.lead is not None:  # inner @ [[I, K], [0, I]], K = pre
            inner[:, self.lead :] += inner[:, : self.lead] @ self.pre
        elif self.pre is not None:
            inner = inner @ self.pre
        inner *= self.norms
        if self.keep.size == n_features and np.array_equal(self.keep, np.arange(n_features)):
            return inner
        where = np.full(n_features, self.keep.size)  # the columns left out read a zero column
        where[self.keep] = np.arange(self.keep.size)
        return np.take(np.hstack([inner, np.zeros((self.rank, 1))]), where, axis=1)


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


def _well_conditioned_factor(correlation, loss=1.0):
    """Cholesky factor of a correlation matrix whose smallest eigenvalue is well above
    ``REFINE_PIVOT``, or None.

    Every pivot of any Cholesky order is at least the smallest eigenvalue, so such a matrix
    is full rank and resolved under the pivoted rule as well; the unpivoted, blocked
    ``dpotrf`` and a condition estimate (``dpocon``, margin 2**6 for the estimate) cost
    half what ``dpstrf`` does.
    """
    factor, info = lapack.dpotrf(correlation, lower=1, clean=1)
    if info != 0 or np.min(np.diag(factor)) ** 2 < REFINE_PIVOT * loss:
        return None
    norm_1 = float(np.abs(correlation).sum(axis=0).max())
    rcond, info = lapack.dpocon(factor, norm_1, uplo="L")
    # the smallest eigenvalue is at least 1 / ||C^-1||_1, and rcond = 1 / (||C||_1 ||C^-1||_1)
    if info != 0 or rcond * norm_1 < 64 * REFINE_PIVOT * loss:
        return None
    return factor


def whitener_from_scatter(scatter, varying, roundoff, loss=1.0):
    """Whitener of a scatter matrix by LAPACK's pivoted Cholesky (``dpstrf``).

    The pivoted Cholesky stops at pivots below the input's tolerance, or below the Gram's own
    rounding level when that is larger (a scatter alone cannot resolve further). A matrix
    far from singular is factorised without pivoting (:func:`_well_conditioned_factor`).
    ``loss`` (>= 1) is the factor by which the scatter's rounding exceeds a centred Gram
    product's (an uncentred product loses log2 of it in bits): the thresholds grow with it.
    """
    keep = np.flatnonzero(varying)
    if keep.size == 0:
        return _empty()
    if keep.size < varying.size:
        scatter = scatter[np.ix_(keep, keep)]
    norms = np.sqrt(np.diag(scatter))
    correlation = scatter / np.outer(norms, norms)
    factor = _well_conditioned_factor(correlation, loss)
    if factor is not None:
        return Whitener(keep, norms, np.arange(keep.size), factor)
    tol_pivot = rank_tolerance(roundoff) ** 2
    floor = gram_floor(keep.size) * loss
    lower, perm, rank = _pivoted_cholesky(correlation, max(tol_pivot, floor))
    smallest = float(np.min(np.diag(lower[:rank])) ** 2) if rank else np.inf
    resolved = smallest >= REFINE_PIVOT * loss and (rank == keep.size or tol_pivot >= 64 * floor)
    return Whitener(keep, norms, perm, lower, resolved)


def refined_whitener(blocks, varying, roundoff, scatter=None, first=None):
    """Whitener resolving what the rows resolve: the directions the scatter resolves kept,
    the others measured again from the rows.

    ``blocks()`` yields blocks of rows A (any number, n_features columns) with ``A^T A`` the
    scatter, e.g. the centred, weighted data chunk by chunk, or a factor R. ``scatter`` is
    the (possibly inaccurate) scatter that preconditions; None computes it from the blocks.
    ``first`` is its (unresolved) whitener from :func:`whitener_from_scatter`, whose pivoted
    factorisation is then reused. First one pass re-measures only the unresolved columns'
    residuals (:func:`_trailing_refinement`); where their own Gram cannot resolve them
    either, a shifted CholeskyQR2 of all the columns (:func:`_cholesky_qr2`) decides.
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
    tau2 = rank_tolerance(roundoff) ** 2
    white = _trailing_refinement(blocks, keep, norms, correlation, tau2, first)
    if white is None:
        white = _cholesky_qr2(blocks, keep, varying.size, norms, correlation, tau2)
    return white


def _trailing_refinement(blocks, keep, norms, correlation, tau2, first=None):
    """Whitener from residuals of the columns the scatter does not resolve, or None.

    The pivoted Cholesky factorisation of the correlation matrix, stopped at the first pivot
    below ``_SPLIT_PIVOT``, splits the columns into leading ones A, which the scatter
    resolves, and trailing ones B. One pass over the rows computes the residuals
    ``x_B - x_A K`` (K their least-squares coefficients from the scatter): a linear change
    of basis, under which H is invariant, that costs ``n |A| |B|`` instead of ``n k^2``. The
    residuals' Gram matrix and their products with ``x_A`` come from the rows; the pivots of
    B there are the Schur complement's, decided against the rank tolerance ``tau2`` on the
    correlation scale. None when nothing or everything is resolved, or when the residuals'
    own Gram matrix cannot resolve them (a pivot below ``REFINE_PIVOT`` relative to it).
    """
    if first is not None and first.pre is None and np.array_equal(first.keep, keep):
        # the same factorisation, further on: the pivots only decrease
        lower, order = first.lower, first.perm
        lead = int(np.count_nonzero(np.diag(lower[: first.rank]) ** 2 >= _SPLIT_PIVOT))
        lower = lower[:, :lead]
    else:
        lower, order, lead = _pivoted_cholesky(correlation, _SPLIT_PIVOT)
    k = keep.size
    if lead in (0, k):
        return None
    factor_a = lower[:lead]
    # coefficients of B on A, normalised scale: corr_AA^-1 corr_AB = L_AA^-T L_BA^T
    coef = solve_triangular(factor_a, lower[lead:].T, lower=True, trans="T", check_finite=False)
    # rounding level of the residuals' pivots: below it they cannot tell a direction from noise
    noise = lead * (8 * np.finfo(np.float64).eps * (1 + np.abs(coef).sum(axis=0).max())) ** 2
    if noise > tau2:
        return None
    cols_a, cols_b = keep[order[:lead]], keep[order[lead:]]
    norms_a, norms_b = norms[order[:lead]], norms[order[lead:]]
    raw_coef = np.ascontiguousarray(coef * norms_b / norms_a[:, None])  # in the data's units
    cross, inner = _residual_products(blocks, cols_a, cols_b, raw_coef)
    cross /= np.outer(norms_a, norms_b)
    inner /= np.outer(norms_b, norms_b)
    # Cholesky factor of [[corr_AA, cross], [cross^T, inner]]: L_AA, then the Schur complement
    coupling = solve_triangular(factor_a, cross, lower=True, check_finite=False).T
    schur = inner - coupling @ coupling.T
    scale = float(np.max(np.diag(schur)))
    if not scale > tau2:  # every trailing column is a combination of the leading ones
        return _assembled(keep, norms, order, coef, factor_a, coupling, np.zeros((k - lead, 0)))
    trailing, perm_b, rank_b = _pivoted_cholesky(schur, tau2)
    if float(np.min(np.diag(trailing[:rank_b])) ** 2) < REFINE_PIVOT * scale:
        return None
    return _assembled(keep, norms, order, coef, factor_a, coupling[perm_b], trailing, perm_b)


def _residual_products(blocks, cols_a, cols_b, raw_coef):
    """``(x_A^T r, r^T r)`` for the residuals ``r = x_B - x_A K``, from one pass over the rows.

    Few leading columns: the rows are updated in place and one Gram product of all the
    columns gives both. Many: the two column sets are gathered and only the residuals'
    products are formed (``n |A| |B| + n |B|^2`` instead of ``n k^2``).
    """
    lead, trail = cols_a.size, cols_b.size
    if lead <= trail:
        gram = None
        for block in blocks():
            block = np.ascontiguousarray(block)  # updated in place through its Fortran view
            if gram is None:
                gram = np.zeros((block.shape[1], block.shape[1]), order="F")
            rows_a = np.take(block, cols_a, axis=1)  # row by row (fancy indexing transposes)
            coef = np.zeros((lead, block.shape[1]))
            coef[:, cols_b] = raw_coef
            # block -= rows_a @ coef, in place on the Fortran view of the block
            blas.dgemm(-1.0, coef.T, rows_a.T, beta=1.0, c=block.T, overwrite_c=1)
            blas.dsyrk(1.0, block.T, beta=1.0, c=gram, trans=0, lower=0, overwrite_c=1)
        gram = mirror_lower(gram.T)
        return gram[np.ix_(cols_a, cols_b)], gram[np.ix_(cols_b, cols_b)]
    cross, inner = np.zeros((lead, trail)), np.zeros((trail, trail))
    for block in blocks():
        rows_a, rows_b = np.take(block, cols_a, axis=1), np.take(block, cols_b, axis=1)
        # rows_b -= rows_a @ raw_coef, in place on the Fortran views
        blas.dgemm(-1.0, raw_coef.T, rows_a.T, beta=1.0, c=rows_b.T, overwrite_c=1)
        cross += rows_a.T @ rows_b
        blas.dsyrk(1.0, rows_b.T, beta=1.0, c=inner.T, trans=0, lower=0, overwrite_c=1)
    return cross, mirror_lower(inner)


def _assembled(keep, norms, order, coef, factor_a, coupling, trailing, perm_b=None):
    """The whitener of :func:`_trailing_refinement` in the columns' order ``order``."""
    lead, k = factor_a.shape[0], keep.size
    if perm_b is None:
        perm_b = np.arange(k - lead)
    lower = np.zeros((k, lead + trailing.shape[1]))
    lower[:lead, :lead] = factor_a
    lower[lead:, :lead] = coupling
    lower[lead:, lead:] = trailing
    perm = np.concatenate([np.arange(lead), lead + perm_b])
    # the change of basis undone: [[I, K], [0, I]] on the normalised scale
    return Whitener(keep[order], norms[order], perm, lower, True, pre=coef, lead=lead)


def _cholesky_qr2(blocks, keep, n_features, norms, correlation, tau2):
    """Whitener from a shifted CholeskyQR2 of the rows: the Cholesky factor of the shifted
    correlation matrix preconditions them, and the Gram of the preconditioned rows decides."""
    shift = 64 * keep.size * np.finfo(np.float64).eps
    while True:  # the shift makes the Cholesky factorisation succeed on any rounding
        shifted = correlation.copy()
        shifted.flat[:: keep.size + 1] += shift
        pre, info = lapack.dpotrf(shifted, lower=0, clean=1)
        if info == 0:
            break
        shift *= 16
    second = np.zeros((keep.size, keep.size))
    everything = keep.size == n_features
    for block in blocks():
        rows = block if everything else np.take(block, keep, axis=1)
        rows /= norms  # the blocks may be changed (not kept)
        # rows @ pre^-1, in place on the Fortran view: pre^T X = rows^T
        rows = blas.dtrsm(1.0, pre, rows.T, side=0, lower=0, trans_a=1, overwrite_b=1).T
        blas.dsyrk(1.0, rows.T, beta=1.0, c=second.T, trans=0, lower=0, overwrite_c=1)
    mirror_lower(second)
    # a direction of relative singular value t has the preconditioned pivot t^2 / (t^2 + shift)
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
