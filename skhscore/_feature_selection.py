"""HScoreFeatureSelector: greedy H-score feature-subset selection as a scikit-learn selector.

The numerics (forward and backward paths on the sufficient statistics) live in
:mod:`skhscore._greedy`.
"""

import numbers
import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator
from sklearn.feature_selection import SelectorMixin
from sklearn.model_selection import check_cv
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data

from skhscore._constraints import SHRINKAGE_CONSTRAINT
from skhscore._engine import HScoreStatistics
from skhscore._greedy import (
    Problem,
    _backward_path,
    _backward_scores,
    _forward_path,
)
from skhscore._hscore import scorable_view, shrinkage_value
from skhscore._sklearn_compat import (
    Hidden,
    Interval,
    RealNotInt,
    StrOptions,
    _fit_context,
    _safe_indexing,
)
from skhscore._validation import check_sample_weight, estimator_input, untracked_tensor

#: Significance level of the partial test used by ``n_features_to_select="auto"``.
DEFAULT_LEVEL = 0.05


# ---------------------------------------------------------------------------- cv
def _fold_held_out_scores(X, y, sample_weight, train, test, alpha_spec, direction, max_size):
    """Held-out score of the fold's greedy path, indexed by the number of selected columns."""
    w_train = None if sample_weight is None else sample_weight[train]
    w_test = None if sample_weight is None else sample_weight[test]
    stats_train = HScoreStatistics.from_arrays(
        _safe_indexing(X, train), _safe_indexing(y, train), sample_weight=w_train
    )
    view = scorable_view(stats_train)
    stats_test = HScoreStatistics.from_arrays(
        _safe_indexing(X, test), _safe_indexing(y, test), sample_weight=w_test
    )
    problem = Problem(view, shrinkage_value(view, alpha_spec))
    held_out = problem.held_out_deviations(stats_test.moments())
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
    each step costs O(d (r + C)) (forward, r the rank) or O(d^2) (backward) operations on the
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
        - "auto" with ``cv=None``: stop with a significance test (see ``alpha``). Forward: the
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

    alpha : float in (0, 1), default=None
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
        only for a = 0). Named like the ``alpha`` of
        :class:`~sklearn.feature_selection.SelectFpr` (a significance level, not the
        minimum score gain that ``tol`` means in
        :class:`~sklearn.feature_selection.SequentialFeatureSelector`).

    tol : float in (0, 1), default="deprecated"
        Former name of ``alpha``.

        .. deprecated:: 0.2.0
            ``tol`` was renamed ``alpha`` in 0.2.0 and will be removed in 0.4.0.

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
        Uncorrected p-value of the partial test (see ``alpha``) of the column of each step:
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
    Collinear and constant columns are recognised as in :func:`h_score`: without shrinkage
    the greedy steps are Gram-Schmidt steps on the engine's factor of the scatter (refined
    from the data on ill-conditioned features), so every score on the path is the H-score
    :func:`h_score` gives those columns, and a column whose residual norm after the selected
    ones is at most ~9e-13 of its norm adds exactly zero; with shrinkage they work on the
    shrunk covariance, where a residual variance at most ``1e-10`` of the variance adds
    exactly zero. Scores that differ by less than
    ``1e-12`` of the score are ties, broken towards the lowest column index
    (SequentialFeatureSelector keeps the first maximum). With ``sample_weight``, n in the
    test is the total weight, so integer weights act as repeated rows.

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
        "shrinkage": SHRINKAGE_CONSTRAINT,
        "alpha": [None, Interval(Real, 0, 1, closed="neither")],
        "tol": [Hidden(StrOptions({"deprecated"})), None, Interval(Real, 0, 1, closed="neither")],
        "cv": ["cv_object", None],
        "n_jobs": [None, Integral],
    }

    def __init__(
        self,
        n_features_to_select="auto",
        *,
        direction="forward",
        shrinkage=None,
        alpha=None,
        tol="deprecated",
        cv=None,
        n_jobs=None,
    ):
        self.n_features_to_select = n_features_to_select
        self.direction = direction
        self.shrinkage = shrinkage
        self.alpha = alpha
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
        # a network's output detached; a text column named, rather than numpy's float error
        X, y = estimator_input(X), untracked_tensor(y)
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype="numeric")
        type_of_target(y, input_name="y", raise_unknown=True)
        n_features = X.shape[1]
        weights = check_sample_weight(sample_weight, X.shape[0])
        stats = HScoreStatistics.from_arrays(X, y, sample_weight=weights)
        view = scorable_view(stats)
        alpha = shrinkage_value(view, self.shrinkage)
        self.shrinkage_ = float(alpha)
        problem = Problem(view, alpha)

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
            level = self._significance_level()
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

    def _significance_level(self):
        """``alpha`` (or the deprecated ``tol``); 0.05 when neither is given."""
        alpha = self.alpha
        if not (isinstance(self.tol, str) and self.tol == "deprecated"):
            warnings.warn(
                "The parameter 'tol' of HScoreFeatureSelector was renamed 'alpha' in 0.2.0 "
                "(it is a significance level) and will be removed in 0.4.0: pass "
                f"alpha={self.tol!r} instead.",
                FutureWarning,
                stacklevel=3,
            )
            if alpha is None:
                alpha = self.tol
        return DEFAULT_LEVEL if alpha is None else float(alpha)

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

    def transform(self, X):
        """Keep the selected columns of X.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The candidate columns; a torch tensor (tracking gradients, half precision) is
            read as a NumPy array, as in :meth:`fit`.

        Returns
        -------
        X_selected : {ndarray, sparse matrix} of shape (n_samples, n_selected_features)
            The selected columns.
        """
        return super().transform(untracked_tensor(X))

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.support_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
