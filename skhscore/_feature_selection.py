"""Greedy H-score feature-subset selection on the sufficient statistics.

The H-score of a column subset J is ``||L_J^-1 W_J||_F^2`` with ``L_J`` the Cholesky factor of
the scatter restricted to J and ``W_J`` the class deviations. Adding one column j to J raises
it by ``||w~_j||^2 / r_j``, where ``r_j`` (residual variance) and ``w~_j`` (residual class
deviations) are the Schur complements of j after J. Forward selection keeps the Cholesky rows
of the selected set and the residual quantities of *every* candidate, so that one step costs
O(d (k + C)) for d columns, k selected and C classes, instead of d full H-scores. Backward
elimination keeps the inverse of the scatter of the kept set and downdates it (O(d^2) per step).

Everything is computed on the correlation scale (columns divided by their norms), where the
rank tolerance :data:`skhscore._hscore.RANK_TOL` is decided, as in :func:`skhscore.h_score`.
"""

import numbers
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from scipy import stats as sp_stats
from scipy.linalg import LinAlgError, cho_factor, cho_solve
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.model_selection import check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from skhscore._hscore import RANK_TOL, check_scorable, shrinkage_value
from skhscore._sklearn_compat import Interval, RealNotInt, StrOptions, _fit_context
from skhscore._statistics import HScoreStatistics
from skhscore._validation import check_sample_weight

#: Two candidate scores closer than this (relative to the score) are a tie; a tie goes to the
#: lowest column index, as in :class:`~sklearn.feature_selection.SequentialFeatureSelector`.
TIE_RTOL = 1e-12
#: Significance level of the partial test used by ``n_features_to_select="auto"``.
DEFAULT_LEVEL = 0.05


# ---------------------------------------------------------------------------- the problem
class _Problem:
    """Scatter and class deviations on the correlation scale, ready for the greedy paths.

    ``R`` (d x d) is the scatter (or the shrunk covariance) divided by the outer product of
    its column norms, so its diagonal is 1 (0 for a column carrying nothing); ``U`` (C x d)
    holds the class deviations in the same units, so that the H-score of a subset J is
    ``tr(U_J R_JJ^-1 U_J^T)``.
    """

    def __init__(self, stats, alpha):
        scatter, deviations, varying = stats._scaled_moments()
        n = stats.weight_sum_
        weights = stats._class_weights
        n_features = scatter.shape[0]
        if alpha == 0.0:
            matrix = scatter
            dev = deviations
            self._unit_exp = stats._exp.copy()
            self._row = np.sqrt(weights)
        else:
            to_global = stats._to_global_scale()
            cov = scatter * np.outer(to_global, to_global) / n
            target = np.trace(cov) / n_features
            matrix = (1.0 - alpha) * cov
            matrix.flat[:: n_features + 1] += alpha * target
            dev = np.sqrt(1.0 - alpha) * deviations * to_global / np.sqrt(n)
            self._unit_exp = np.full(n_features, stats._global_exp)
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
        self.R = R
        self.U = U
        self._norms = norms
        self.classes = stats._classes
        self.n = float(n)
        self.n_classes = int(self.classes.shape[0])
        self.n_features = n_features

    def held_out_deviations(self, stats_test):
        """Class deviations of held-out statistics in this problem's units.

        Row c is ``row_c * (mean_c^test - mean^test)`` with this (training) problem's class
        weights, so that ``tr(M_train^T M_test)`` estimates the H-score without the
        optimism of scoring a subset on the data that chose it.
        """
        out = np.zeros_like(self.U)
        dev = stats_test.class_means_ - stats_test.mean_
        dev = np.ldexp(dev, -self._unit_exp) / self._norms
        idx = np.searchsorted(self.classes, stats_test.classes_)
        idx = np.minimum(idx, self.classes.shape[0] - 1)
        found = self.classes[idx] == stats_test.classes_
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
        self.resid_var = np.diag(R).copy()
        self.resid_dev = U.copy()
        self.resid_held = None if held_out is None else held_out.copy()
        self.rows = np.zeros((min(n_features, 32), n_features))
        self.rank = 0
        self.gram = np.zeros((U.shape[0], U.shape[0]))  # M^T M of the selected set
        self.taken = np.zeros(n_features, dtype=bool)

    def gains(self):
        """Gain in H of adding each column; zero for columns collinear with the set."""
        eligible = ~self.taken & (self.resid_var > RANK_TOL)
        gains = np.zeros(self.resid_var.shape[0])
        dev = self.resid_dev[:, eligible]
        gains[eligible] = np.einsum("cj,cj->j", dev, dev) / self.resid_var[eligible]
        return gains, eligible

    def add(self, p):
        """Add column p; return (gain, Wilks ratio of its partial test, held-out gain)."""
        self.taken[p] = True
        var = self.resid_var[p]
        if var <= RANK_TOL:  # collinear with the selected set: adds exactly nothing
            self.resid_var[p] = 0.0
            return 0.0, 1.0, 0.0
        root = np.sqrt(var)
        if self.rank == self.rows.shape[0]:
            grown = np.zeros((2 * self.rows.shape[0], self.rows.shape[1]))
            grown[: self.rank] = self.rows
            self.rows = grown
        done = self.rows[: self.rank]
        q = (self.R[p] - done[:, p] @ done) / root
        m = self.resid_dev[:, p] / root
        wilks = 1.0 - float(_inverse_quadratic(self.gram, m)[0])
        held = 0.0
        if self.resid_held is not None:
            m_held = self.resid_held[:, p] / root
            held = float(m @ m_held)
            self.resid_held -= np.outer(m_held, q)
            self.resid_held[:, p] = 0.0
        self.resid_var -= q * q
        self.resid_var[p] = 0.0
        self.resid_dev -= np.outer(m, q)
        self.resid_dev[:, p] = 0.0
        self.rows[self.rank] = q
        self.rank += 1
        self.gram += np.outer(m, m)
        return float(m @ m), wilks, held


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
def _basis_from_right(R):
    """Columns kept by scanning from the last column to the first, dropping dependent ones.

    This is the set that repeatedly removing the lowest-index column lying in the span of
    the others (a zero-loss removal, the first thing a backward greedy does on rank-deficient
    data) ends with; those removals happen in increasing column order.
    """
    n_features = R.shape[0]
    positive = np.flatnonzero(np.diag(R) > 0)
    rev = positive[::-1]
    try:
        factor, _ = cho_factor(R[np.ix_(rev, rev)], lower=True, check_finite=False)
        if np.all(np.diag(factor) ** 2 > RANK_TOL):
            return np.sort(positive)
    except LinAlgError:
        pass
    state = _ForwardState(_Bare(R))
    basis = []
    for j in range(n_features - 1, -1, -1):
        if state.resid_var[j] > RANK_TOL:
            state.add(j)
            basis.append(j)
    return np.sort(np.asarray(basis, dtype=np.intp))


class _Bare:
    """A problem with a scatter and no class deviations (for the rank scan)."""

    def __init__(self, R):
        self.R = R
        self.U = np.zeros((1, R.shape[0]))


class _BackwardState:
    """Inverse of the scatter of a full-rank kept set, downdated one column at a time."""

    def __init__(self, problem, basis):
        self.columns = basis
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
    basis = _basis_from_right(problem.R)
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


# ---------------------------------------------------------------------------- cv
def _fold_held_out_scores(X, y, sample_weight, train, test, alpha_spec, direction, max_size):
    """Held-out score of the fold's greedy path, indexed by the number of selected columns."""
    w_train = None if sample_weight is None else sample_weight[train]
    w_test = None if sample_weight is None else sample_weight[test]
    stats_train = HScoreStatistics.from_arrays(
        _safe_indexing(X, train), _safe_indexing(y, train), sample_weight=w_train
    )
    check_scorable(stats_train)
    stats_test = HScoreStatistics.from_arrays(
        _safe_indexing(X, test), _safe_indexing(y, test), sample_weight=w_test
    )
    alpha = 0.0 if alpha_spec is None else shrinkage_value(stats_train, alpha_spec)
    problem = _Problem(stats_train, alpha)
    held_out = problem.held_out_deviations(stats_test)
    n_features = problem.n_features
    out = np.full(n_features, np.nan)
    if direction == "forward":
        _, _, _, held = _forward_path(problem, max_size, held_out=held_out)
        out[: held.shape[0]] = held
    else:
        order, _ = _backward_path(problem, max_size)
        _, _, _, held_all = _backward_scores(problem, order, held_out)
        # sets of size max_size .. n_features along the path
        out[max_size - 1 :] = held_all[max_size - 1 :]
    return out


# ---------------------------------------------------------------------------- estimator
class HScoreFeatureSelector(SelectorMixin, BaseEstimator):
    """Select the subset of columns with the largest H-score, greedily and fast.

    The H-score of a set of columns measures how much label information they expose
    linearly, without redundancy: a column that repeats what the selected ones carry adds
    nothing. Forward selection adds, at each step, the column that raises the H-score of
    the selected set the most; backward elimination removes the column whose removal lowers
    it the least. The result is the one of
    ``SequentialFeatureSelector(FunctionTransformer(), scoring=<in-sample H-score>)``, but
    each step costs O(d (k + C)) (forward) or O(d^2) (backward) operations on the
    sufficient statistics instead of d full H-scores, so the whole path costs about as much
    as one pass over the data.

    Read more in the :ref:`User Guide <feature_selection>`.

    Parameters
    ----------
    n_features_to_select : "auto", int or float, default="auto"
        How many columns to keep.

        - int: that many (between 1 and ``n_features``);
        - float in (0, 1]: that fraction of the columns, ``max(1, int(fraction *
          n_features))``;
        - "auto" with ``cv=None``: stop with a significance test (see ``tol``). Forward: the
          path stops before the first column whose partial test, Bonferroni-corrected for
          the number of candidates at that step, is not significant. Backward: elimination
          stops at the first column (the weakest one) whose corrected test is significant.
          A column that adds nothing (collinear with the selected ones) always stops a
          forward path. At least one column (the best one) is always kept; its entry in
          ``pvalues_path_`` says whether it is significant.
        - "auto" with ``cv``: the number of columns with the best held-out score, among all
          lengths of the path.

        With ``cv`` and an int or float, the number is the largest (forward) or smallest
        (backward) size considered, and cross-validation chooses within it.

    direction : {"forward", "backward"}, default="forward"
        Add columns to an empty set, or remove them from the full set.

    shrinkage : {None, "auto", "oas"} or float in [0, 1], default=None
        None scores subsets with the paper's H-score, as :func:`h_score` does. Otherwise the
        covariance of *all* columns is shrunk once, ``Sigma_a = (1 - a) Sigma + a
        tr(Sigma) / d I`` (``a`` from Ledoit-Wolf for "auto", OAS for "oas", or the float
        given), and a subset J scores ``tr(Sigma_a[J, J]^-1 (1 - a) Sigma_B[J, J])``: the
        same greedy on the shrunk covariance. (This differs from ``h_score(X[:, J],
        shrinkage=...)``, which re-estimates ``a`` and the target on each subset.) Shrinkage
        is not invariant to rescaling columns: standardise columns measured in different
        units first.

    tol : float in (0, 1), default=None
        Significance level of the stopping test of ``n_features_to_select="auto"`` without
        ``cv``; None means 0.05. Ignored otherwise. The test of a column j given the other
        selected columns J (k of them) is Rao's exact F test of additional information:
        with ``lambda = Lambda(J + j) / Lambda(J)`` (Wilks' lambdas; for one added column
        ``1 - lambda`` is also its partial Pillai trace, the partial eta-squared of j after
        J), ``F = (1 - lambda) / lambda * (n - C - k) / (C - 1)`` on ``(C - 1, n - C - k)``
        degrees of freedom. The p-value is multiplied by the number of candidate columns at
        that step (Bonferroni), because the greedy tests the best of many. Where no test is
        possible (``n - C - k < 1``), a forward path stops and backward elimination goes
        on. With shrinkage, the same statistic is computed on the shrunk covariance (exact
        only for a = 0).

    cv : int, cross-validation generator or iterable, default=None
        None: choose the stopping point as ``n_features_to_select`` says, on all the data.
        Otherwise the greedy path is run on each training fold, and each length of the path
        is scored on the held-out fold by the cross-validated H-score ``tr(M_train^T
        M_test)``, where ``M`` are the class deviations whitened by the training scatter of
        the selected columns (the held-out H-score: it does not grow with noise columns, as
        the in-sample H-score does: a noise column adds a zero-mean term). The shortest
        length whose mean score is within one standard error (over the folds) of the best
        mean score is then selected on all the data (the one-standard-error rule: the
        scores of the lengths past the informative columns drift like a random walk, and
        their plain maximum keeps noise columns). An int is a number of
        :class:`~sklearn.model_selection.StratifiedKFold` folds.

    n_jobs : int, default=None
        Number of jobs to run the cross-validation folds in parallel. None means 1 unless
        in a :obj:`joblib.parallel_backend` context, -1 means all processors.

    Attributes
    ----------
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has feature names that are all strings.
    n_features_to_select_ : int
        Number of columns selected.
    support_ : ndarray of shape (`n_features_in_`,) of bool
        The mask of selected columns.
    selection_order_ : ndarray of int
        Forward: the selected columns in the order they were added. Backward: the
        eliminated columns in the order they were removed.
    ranking_ : ndarray of shape (`n_features_in_`,) of int
        Lower is better. Forward: ``ranking_[j] = i`` when column j was the i-th added
        (1-based); columns not selected get ``n_features_to_select_ + 1``. Backward (as in
        :class:`~sklearn.feature_selection.RFE`): the kept columns get 1, the last column
        removed 2, ..., the first removed ``n_removed + 1``.
    scores_path_ : ndarray of shape (len(`selection_order_`),)
        Score after each step: forward, the H-score of the first ``i + 1`` selected
        columns; backward, that of the columns left after ``i + 1`` removals.
    pvalues_path_ : ndarray of shape (len(`selection_order_`),)
        Uncorrected p-value of the partial test (see ``tol``) of the column of each step:
        given the columns selected before it (forward), or given the columns left after its
        removal (backward). NaN where ``n - C - k < 1``.
    shrinkage_ : float
        The shrinkage intensity used (0.0 when ``shrinkage=None``).
    cv_results_ : dict of ndarrays
        Only with ``cv``: ``"n_features"`` (the sizes), ``"split{i}_test_score"``,
        ``"mean_test_score"`` and ``"std_test_score"``; NaN for sizes not on the path.

    See Also
    --------
    h_score : the score of one set of columns.
    sklearn.feature_selection.SequentialFeatureSelector : the generic (slow) greedy.

    Notes
    -----
    Collinear and constant columns are recognised as in :func:`h_score`: a column whose
    residual variance after the selected ones is at most ``RANK_TOL = 1e-10`` of its
    variance adds exactly zero. Scores that differ by less than ``1e-12`` of the score are
    ties, broken towards the lowest column index (SequentialFeatureSelector keeps the first
    maximum). With ``sample_weight``, n in the test is the total weight, so integer weights
    act as repeated rows.

    A chance-adjusted score, ``(H - E0) / (min(k, C - 1) - E0)`` with ``E0 = k (C - 1) /
    (n - 1)``, is not used to stop: for k >= C - 1 it rises exactly when a column's gain
    exceeds the *average* gain of a noise column, and the greedy always finds a noise column
    above average among many; for k < C - 1 it falls as soon as a column adds less than the
    mean of the previous ones.

    Examples
    --------
    >>> from sklearn.datasets import load_wine
    >>> from skhscore import HScoreFeatureSelector, h_score
    >>> X, y = load_wine(return_X_y=True)
    >>> selector = HScoreFeatureSelector(n_features_to_select=3).fit(X, y)
    >>> selector.selection_order_
    array([6, 0, 9])
    >>> selector.scores_path_.round(3)
    array([0.728, 1.309, 1.472])
    >>> round(h_score(X[:, [6, 0, 9]], y), 3)
    1.472
    >>> X_small = selector.transform(X)
    >>> X_small.shape
    (178, 3)
    """

    _parameter_constraints: dict = {
        "n_features_to_select": [
            StrOptions({"auto"}),
            Interval(RealNotInt, 0, 1, closed="right"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "direction": [StrOptions({"forward", "backward"})],
        "shrinkage": [None, StrOptions({"auto", "oas"}), Interval(Real, 0, 1, closed="both")],
        "tol": [None, Interval(Real, 0, 1, closed="neither")],
        "cv": ["cv_object", None],
        "n_jobs": [None, Integral],
    }

    def __init__(
        self,
        n_features_to_select="auto",
        *,
        direction="forward",
        shrinkage=None,
        tol=None,
        cv=None,
        n_jobs=None,
    ):
        self.n_features_to_select = n_features_to_select
        self.direction = direction
        self.shrinkage = shrinkage
        self.tol = tol
        self.cv = cv
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Select columns of X by their joint H-score for the labels y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The candidate columns.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an integer weight acts as that many repeated rows.

        Returns
        -------
        self : HScoreFeatureSelector
            The fitted selector.
        """
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype="numeric")
        type_of_target(y, input_name="y", raise_unknown=True)
        n_features = X.shape[1]
        weights = check_sample_weight(sample_weight, X.shape[0])
        stats = HScoreStatistics.from_arrays(X, y, sample_weight=weights)
        check_scorable(stats)
        alpha = 0.0 if self.shrinkage is None else shrinkage_value(stats, self.shrinkage)
        self.shrinkage_ = float(alpha)
        problem = _Problem(stats, alpha)

        request = self.n_features_to_select
        if isinstance(request, numbers.Integral):
            if request > n_features:
                raise ValueError(
                    f"n_features_to_select={request} is larger than the number of features "
                    f"(n_features={n_features}): ask for at most {n_features}."
                )
            size = int(request)
        elif isinstance(request, numbers.Real):
            size = max(1, int(request * n_features))
        else:
            size = None  # "auto"
        backward = self.direction == "backward"

        if self.cv is not None:
            size = self._size_from_cv(X, y, weights, size, n_features)
            level = None
        elif size is None:
            level = DEFAULT_LEVEL if self.tol is None else float(self.tol)
        else:
            level = None

        if backward:
            n_keep = 1 if size is None else size
            order, pvalues = _backward_path(problem, n_keep, level)
            scores, _, _, _ = _backward_scores(problem, order)
        else:
            n_steps = n_features if size is None else size
            order, scores, pvalues, _ = _forward_path(problem, n_steps, level)

        order = np.asarray(order, dtype=np.intp)
        support = np.zeros(n_features, dtype=bool)
        ranking = np.empty(n_features, dtype=np.intp)
        if backward:
            support[:] = True
            support[order] = False
            ranking[support] = 1
            ranking[order] = len(order) + 1 - np.arange(len(order))
        else:
            support[order] = True
            ranking[:] = len(order) + 1
            ranking[order] = np.arange(1, len(order) + 1)
        self.support_ = support
        self.ranking_ = ranking
        self.selection_order_ = order
        self.scores_path_ = np.asarray(scores, dtype=np.float64)
        self.pvalues_path_ = np.asarray(pvalues, dtype=np.float64)
        self.n_features_to_select_ = int(support.sum())
        return self

    def _size_from_cv(self, X, y, weights, size, n_features):
        """Number of columns with the best mean held-out score over the folds."""
        cv = check_cv(self.cv, y, classifier=True)
        backward = self.direction == "backward"
        if backward:
            limit = 1 if size is None else size
        else:
            limit = n_features if size is None else size
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(_fold_held_out_scores)(
                X, y, weights, train, test, self.shrinkage, self.direction, limit
            )
            for train, test in cv.split(X, y)
        )
        table = np.vstack(results)
        sizes = np.arange(1, n_features + 1)
        mean = np.mean(table, axis=0)
        self.cv_results_ = {
            "n_features": sizes,
            **{f"split{i}_test_score": row for i, row in enumerate(table)},
            "mean_test_score": mean,
            "std_test_score": np.std(table, axis=0),
        }
        # one-standard-error rule: the smallest size within one standard error of the best
        valid = ~np.isnan(mean)
        best = np.flatnonzero(valid)[np.argmax(mean[valid])]
        std_error = np.std(table[:, best]) / np.sqrt(table.shape[0])
        good = valid & (mean >= mean[best] - std_error)
        return int(sizes[np.flatnonzero(good)[0]])

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.support_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
