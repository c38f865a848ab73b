"""The greedy numerics of H-score feature-subset selection, on the sufficient statistics.

The H-score of a column subset J is ``||L_J^-1 W_J||_F^2`` with ``L_J`` the Cholesky factor of
the scatter restricted to J and ``W_J`` the class deviations. Adding one column j to J raises
it by ``||w~_j||^2 / r_j``, where ``r_j`` (residual variance) and ``w~_j`` (residual class
deviations) are the Schur complements of j after J. Forward selection keeps the Cholesky rows
of the selected set (without shrinkage, the residual columns of the engine's rank-r factor)
and the residual quantities of *every* candidate, so that one step costs O(d (k + C)) with
shrinkage, O(d (r + C)) without, for d columns, k selected and C classes, instead of d full
H-scores. Backward
elimination keeps the inverse of the scatter of the kept set and downdates it (O(d^2) per step).

Everything is computed on the correlation scale (columns divided by their norms). Without
shrinkage the steps work on the engine's factor ``F`` (``F^T F`` the scatter its rank rule
resolves, refined from the data on ill-conditioned features): residuals are Gram-Schmidt
residuals of its columns, so they resolve what :func:`skhscore.h_score` resolves, and a column
is collinear with the selected ones when its residual norm is at most :data:`FACTOR_TOL` of
its norm. With shrinkage the steps work on the shrunk covariance (well conditioned by
construction), where a residual variance at most :data:`RESIDUAL_TOL` of the variance is
collinear.
"""

import numpy as np
from scipy import stats as sp_stats
from scipy.linalg import LinAlgError, cho_factor, cho_solve, qr, solve_triangular

from skhscore._engine import rank_tolerance

#: Two candidate scores closer than this (relative to the score) are a tie; a tie goes to the
#: lowest column index, as in :class:`~sklearn.feature_selection.SequentialFeatureSelector`.
TIE_RTOL = 1e-12
#: Residual share of a column's variance (shrunk covariance) at or below which it is collinear
#: with the selected.
RESIDUAL_TOL = 1e-10
#: Residual share of a column's norm in the engine's factor at or below which it is collinear:
#: the engine's rank tolerance for float64 (~9e-13); the factor already holds only the
#: directions the rank rule keeps, so only rounding residue lies below it.
FACTOR_TOL = rank_tolerance(np.finfo(np.float64).eps)


# ---------------------------------------------------------------------------- the problem
class Problem:
    """Scatter and class deviations on the correlation scale, ready for the greedy paths.

    ``R`` (d x d) is the scatter (or the shrunk covariance) divided by the outer product of
    its column norms, so its diagonal is 1 (0 for a column carrying nothing); ``U`` (C x d)
    holds the class deviations in the same units, so that the H-score of a subset J is
    ``tr(U_J R_JJ^-1 U_J^T)``. Without shrinkage ``F`` (rank x d) is the engine's factor in
    the same units (``R = F^T F``) and the steps work on it; ``F`` is None with shrinkage.
    """

    def __init__(self, view, alpha):
        n = view.n
        weights = view.class_weights
        n_features = view.n_features
        self.F = None
        if alpha == 0.0:
            root = np.array(view.root())
            matrix = root.T @ root
            dev = view.deviations
            self._row = np.sqrt(weights)
        else:
            matrix, _ = view.shrunk_covariance(alpha)
            if matrix is None:
                matrix = np.zeros((n_features, n_features))
            dev = np.sqrt(1.0 - alpha) * view.deviations / np.sqrt(n)
            self._row = np.sqrt((1.0 - alpha) * weights / n)
        diag = np.diag(matrix).copy()
        positive = diag > 0
        norms = np.where(positive, np.sqrt(np.where(positive, diag, 1.0)), 1.0)
        R = matrix / np.outer(norms, norms)
        R[~positive] = 0.0
        R[:, ~positive] = 0.0
        R.flat[:: n_features + 1] = positive.astype(np.float64)
        U = dev / norms
        U[:, ~positive] = 0.0
        if alpha == 0.0:
            self.F = root / norms
            self.F[:, ~positive] = 0.0
        self.R = R
        self.U = U
        self._norms = norms
        self._unit_exponent = view.unit_exponent
        self.classes = view.classes
        self.n = float(n)
        self.n_classes = int(self.classes.shape[0])
        self.n_features = n_features

    def held_out_deviations(self, view_test):
        """Class deviations of held-out statistics (their view) in this problem's units.

        Row c is ``row_c * (mean_c^test - mean^test)`` with this (training) problem's class
        weights, so that ``tr(M_train^T M_test)`` estimates the H-score without the
        optimism of scoring a subset on the data that chose it.
        """
        out = np.zeros_like(self.U)
        units = np.ldexp(1.0, view_test.unit_exponent - self._unit_exponent)
        dev = view_test.deviations * units / np.sqrt(view_test.class_weights)[:, None]
        dev = dev / self._norms
        idx = np.searchsorted(self.classes, view_test.classes)
        idx = np.minimum(idx, self.classes.shape[0] - 1)
        found = self.classes[idx] == view_test.classes
        out[idx[found]] = self._row[idx[found], None] * dev[found]
        out[:, np.diag(self.R) == 0] = 0.0
        return out


def _pick(values, candidates, scale):
    """Index of the largest value among candidates; near ties go to the lowest index."""
    best = np.max(values[candidates])
    tol = TIE_RTOL * max(abs(scale), abs(best), np.finfo(np.float64).tiny)
    return int(np.flatnonzero(candidates & (values >= best - tol))[0])


def _inverse_quadratic(gram, vectors):
    """``v (I - gram)^-1 v^T`` for each row v, gram symmetric with eigenvalues in [0, 1].

    Directions where ``1 - eigenvalue`` vanishes (perfect separation) give +inf.
    """
    evals, evecs = np.linalg.eigh(gram)
    slack = 1.0 - np.clip(evals, 0.0, 1.0)
    proj = np.atleast_2d(vectors) @ evecs
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        terms = np.where(proj == 0, 0.0, proj**2 / slack)
    return terms.sum(axis=1)


def _partial_pvalue(wilks_ratio, n, n_classes, n_others):
    """p-value of the partial F test of one column given ``n_others`` columns.

    ``wilks_ratio`` is Lambda(J + j) / Lambda(J): the residual within-class variance of the
    column over its residual total variance, both after the other columns. Rao's exact test
    of additional information: F = (1 - lambda) / lambda * (n - C - k) / (C - 1), with
    (C - 1, n - C - k) degrees of freedom. NaN when n - C - k < 1.
    """
    df1, df2 = n_classes - 1, n - n_classes - n_others
    if df2 < 1:
        return np.nan
    lam = min(max(wilks_ratio, 0.0), 1.0)
    if lam == 1.0:
        return 1.0
    if lam == 0.0:
        return 0.0
    statistic = (1.0 - lam) / lam * df2 / df1
    return float(sp_stats.f.sf(statistic, df1, df2))


# ---------------------------------------------------------------------------- forward
class _ForwardState:
    """Cholesky rows of the selected set and Schur complements of every column after it."""

    def __init__(self, problem, held_out=None):
        R, U = problem.R, problem.U
        self.R = R
        n_features = R.shape[0]
        # with a factor, its residual columns (orthogonal to the selected) and their basis
        self.F = None if problem.F is None else np.array(problem.F)
        self.basis = [] if self.F is not None else None
        self.tol = RESIDUAL_TOL if self.F is None else FACTOR_TOL**2
        self.resid_var = np.diag(R).copy()
        self.resid_dev = U.copy()
        self.resid_held = None if held_out is None else held_out.copy()
        self.rows = np.zeros((min(n_features, 32), n_features))
        self.rank = 0
        self.gram = np.zeros((U.shape[0], U.shape[0]))  # M^T M of the selected set
        self.taken = np.zeros(n_features, dtype=bool)

    def gains(self):
        """Gain in H of adding each column; zero for columns collinear with the set."""
        eligible = ~self.taken & (self.resid_var > self.tol)
        gains = np.zeros(self.resid_var.shape[0])
        dev = self.resid_dev[:, eligible]
        gains[eligible] = np.einsum("cj,cj->j", dev, dev) / self.resid_var[eligible]
        return gains, eligible

    def add(self, p):
        """Add column p; return (gain, Wilks ratio of its partial test, held-out gain)."""
        self.taken[p] = True
        var = self.resid_var[p]
        if var <= self.tol:  # collinear with the selected set: adds exactly nothing
            self.resid_var[p] = 0.0
            return 0.0, 1.0, 0.0
        if self.F is not None:
            q, root = self._factor_step(p)
        else:
            q, root = self._gram_step(p, var)
        m = self.resid_dev[:, p] / root
        wilks = 1.0 - float(_inverse_quadratic(self.gram, m)[0])
        held = 0.0
        if self.resid_held is not None:
            m_held = self.resid_held[:, p] / root
            held = float(m @ m_held)
            self.resid_held -= np.outer(m_held, q)
            self.resid_held[:, p] = 0.0
        if self.F is None:
            self.resid_var -= q * q
        self.resid_var[p] = 0.0
        self.resid_dev -= np.outer(m, q)
        self.resid_dev[:, p] = 0.0
        self.rank += 1
        self.gram += np.outer(m, m)
        return float(m @ m), wilks, held

    def _gram_step(self, p, var):
        """Cholesky row of column p from the scatter (Schur complements)."""
        root = np.sqrt(var)
        if self.rank == self.rows.shape[0]:
            grown = np.zeros((2 * self.rows.shape[0], self.rows.shape[1]))
            grown[: self.rank] = self.rows
            self.rows = grown
        done = self.rows[: self.rank]
        q = (self.R[p] - done[:, p] @ done) / root
        self.rows[self.rank] = q
        return q, root

    def _factor_step(self, p):
        """Gram-Schmidt step on the factor's column p (reorthogonalised): its coefficients."""
        e = self.F[:, p].copy()
        if self.basis:
            done = np.asarray(self.basis)
            e -= done.T @ (done @ e)
        root = float(np.sqrt(e @ e))
        direction = e / root
        q = direction @ self.F
        q[p] = root
        self.F -= np.outer(direction, q)
        self.F[:, p] = 0.0
        self.basis.append(direction)
        self.resid_var = np.einsum("kj,kj->j", self.F, self.F)
        return q, root


def _forward_path(problem, n_steps, level=None, held_out=None):
    """Greedy forward selection; stops early when a level is given and a step fails it."""
    state = _ForwardState(problem, held_out)
    order, scores, pvalues, held_scores = [], [], [], []
    score, held_score = 0.0, 0.0
    bound = problem.n_classes - 1
    for _ in range(n_steps):
        gains, eligible = state.gains()
        p = _pick(gains, ~state.taken, score + gains.max())
        n_others = state.rank
        gain, wilks, held = state.add(p)
        pvalue = _partial_pvalue(wilks, problem.n, problem.n_classes, n_others)
        if level is not None and order:  # the first column is always kept
            n_tests = max(int(eligible.sum()), 1)
            if gain == 0.0 or not (pvalue * n_tests <= level):
                break
        order.append(p)
        score += gain
        held_score += held
        scores.append(min(max(score, 0.0), min(state.rank, bound)))
        pvalues.append(pvalue)
        held_scores.append(held_score)
    return order, np.asarray(scores), np.asarray(pvalues), np.asarray(held_scores)


def _ordered_scores(problem, order, held_out=None):
    """H-score (and held-out score) of every prefix of a fixed column order."""
    state = _ForwardState(problem, held_out)
    bound = problem.n_classes - 1
    score, held_score = 0.0, 0.0
    scores, held_scores = np.empty(len(order)), np.empty(len(order))
    for i, p in enumerate(order):
        gain, _, held = state.add(p)
        score += gain
        held_score += held
        scores[i] = min(max(score, 0.0), min(state.rank, bound))
        held_scores[i] = held_score
    return scores, held_scores


# ---------------------------------------------------------------------------- backward
def _basis_from_right(problem):
    """Columns kept by scanning from the last column to the first, dropping dependent ones.

    This is the set that repeatedly removing the lowest-index column lying in the span of
    the others (a zero-loss removal, the first thing a backward greedy does on rank-deficient
    data) ends with; those removals happen in increasing column order.
    """
    R = problem.R
    n_features = R.shape[0]
    positive = np.flatnonzero(np.diag(R) > 0)
    rev = positive[::-1]
    if problem.F is not None:
        factor = qr(problem.F[:, rev], mode="r", check_finite=False)[0]
        pivots = np.zeros(rev.size)
        pivots[: min(factor.shape)] = np.abs(np.diag(factor))
        if np.all(pivots > FACTOR_TOL):
            return np.sort(positive)
    else:
        try:
            factor, _ = cho_factor(R[np.ix_(rev, rev)], lower=True, check_finite=False)
            if np.all(np.diag(factor) ** 2 > RESIDUAL_TOL):
                return np.sort(positive)
        except LinAlgError:
            pass
    state = _ForwardState(_Bare(problem))
    basis = []
    for j in range(n_features - 1, -1, -1):
        if state.resid_var[j] > state.tol:
            state.add(j)
            basis.append(j)
    return np.sort(np.asarray(basis, dtype=np.intp))


class _Bare:
    """A problem with a scatter (and factor) and no class deviations (for the rank scan)."""

    def __init__(self, problem):
        self.R, self.F = problem.R, problem.F
        self.U = np.zeros((1, problem.R.shape[0]))


class _BackwardState:
    """Inverse of the scatter of a full-rank kept set, downdated one column at a time."""

    def __init__(self, problem, basis):
        self.columns = basis
        if problem.F is not None:  # the inverse from the factor's R: no squared condition
            upper = qr(problem.F[:, basis], mode="r", check_finite=False)[0][: basis.size]
            half = solve_triangular(upper, np.eye(basis.size), check_finite=False)
            inverse = half @ half.T
        else:
            sub = problem.R[np.ix_(basis, basis)]
            factor = cho_factor(sub, lower=True, check_finite=False)
            inverse = cho_solve(factor, np.eye(basis.shape[0]), check_finite=False)
        self.inverse = (inverse + inverse.T) / 2
        self.solved = self.inverse @ problem.U[:, basis].T  # R^-1 U^T, one row per column
        self.gram = problem.U[:, basis] @ self.solved  # M^T M of the kept set
        self.alive = np.ones(basis.shape[0], dtype=bool)

    def losses(self):
        diag = np.diag(self.inverse)
        losses = np.full(self.alive.shape[0], np.inf)
        alive = self.alive
        losses[alive] = np.einsum("ic,ic->i", self.solved[alive], self.solved[alive]) / diag[alive]
        return losses

    def wilks(self, i):
        """Lambda(J) / Lambda(J - j) for the column at position i, by Woodbury."""
        g = self.solved[i]
        pii = self.inverse[i, i]
        return float(pii / (pii + _inverse_quadratic(self.gram, g)[0]))

    def remove(self, i):
        pii = self.inverse[i, i]
        col = self.inverse[:, i].copy()
        g = self.solved[i].copy()
        self.inverse -= np.outer(col, col) / pii
        self.solved -= np.outer(col, g) / pii
        self.gram -= np.outer(g, g) / pii
        self.inverse[i] = 0.0
        self.inverse[:, i] = 0.0
        self.solved[i] = 0.0
        self.alive[i] = False


def _backward_path(problem, n_keep, level=None):
    """Greedy backward elimination; with a level, stops at the first significant column.

    Returns the removal order and the p-value of each removed column given the columns
    left after its removal.
    """
    n_features = problem.n_features
    n_classes = problem.n_classes
    basis = _basis_from_right(problem)
    order, pvalues = [], []
    # zero-loss removals first: columns in the span of the others, lowest index first
    dependent = np.setdiff1d(np.arange(n_features), basis)
    for j in dependent:
        if n_features - len(order) <= n_keep:
            break
        order.append(int(j))
        pvalues.append(1.0)
    if n_features - len(order) <= n_keep or basis.size == 0:
        return order, np.asarray(pvalues)
    state = _BackwardState(problem, basis)
    score = float(np.trace(state.gram))
    while n_features - len(order) > n_keep:
        losses = state.losses()
        i = _pick(-losses, state.alive, score)
        size = int(state.alive.sum())
        pvalue = _partial_pvalue(state.wilks(i), problem.n, n_classes, size - 1)
        if level is not None and pvalue * size <= level:
            break
        order.append(int(basis[i]))
        pvalues.append(pvalue)
        score -= losses[i]
        state.remove(i)
    return order, np.asarray(pvalues)


def _backward_scores(problem, order, held_out=None):
    """H-score (and held-out score) of the kept set after each removal of ``order``."""
    removed = np.zeros(problem.n_features, dtype=bool)
    removed[order] = True
    kept = np.flatnonzero(~removed)
    forced = np.concatenate([kept, np.asarray(order[::-1], dtype=np.intp)]).astype(np.intp)
    scores, held = _ordered_scores(problem, forced, held_out)
    # after t + 1 removals the kept set is the first n_features - t - 1 columns of `forced`
    sizes = problem.n_features - 1 - np.arange(len(order))
    if len(order) == 0:
        return np.empty(0), np.empty(0), scores, held
    return scores[sizes - 1], held[sizes - 1], scores, held
