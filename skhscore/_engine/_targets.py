"""Sufficient statistics of features and a regression or multi-label target.

The generalised H-score of a continuous, multi-output or multi-hot target ``Y`` is the sum of
the squared canonical correlations between the features ``X`` and ``Y`` (Pillai's trace of the
multivariate regression). It is a closed-form function of the feature mean and scatter, the
target mean and scatter and the cross scatter ``sum_i w_i (x_i - mean_x)(y_i - mean_y)^T``.
:class:`CrossMomentStatistics` holds them with the same numerical care as
:class:`~skhscore.HScoreStatistics` (which it uses for the feature part, so the shrinkage
estimators see exactly the same feature moments): two-pass centring in float64, exact
power-of-two rescaling of extreme columns, per-column extremes to recognise constant
columns, and a pairwise (Chan et al.) merge.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils.multiclass import type_of_target

from skhscore._engine._accumulate import check_chunk_size, positive_rows
from skhscore._engine._base import MergeableStatistics
from skhscore._engine._rank import stack_roots, whitener_from_root
from skhscore._engine._statistics import HScoreStatistics
from skhscore._engine._units import column_exponents, varying_columns
from skhscore._engine._view import StatisticsView
from skhscore._validation import check_features, check_sample_weight, untracked_tensor

TARGET_KINDS = ("classification", "regression", "multilabel")


def check_targets(Y, n_samples, target):
    """Validate a regression (``target="regression"``) or multi-hot (``"multilabel"``) target.

    Returns a 2-D array (or CSR matrix) of shape (n_samples, n_targets); a 1-D target becomes
    one column. Never modifies or copies more than validation needs.
    """
    if Y is None:
        raise ValueError(
            f"y is required: with target={target!r} the H-score measures how much of the "
            "target the features explain linearly, so it needs the target values."
        )
    Y = untracked_tensor(Y)  # a network's output: detached, half precision widened
    if target == "multilabel":
        kind = type_of_target(Y, input_name="y")
        if kind not in ("multilabel-indicator", "binary"):
            raise ValueError(
                f"target='multilabel' needs a multi-hot indicator matrix (0/1, one column per "
                f"label), but y is of type {kind!r}. Use "
                "sklearn.preprocessing.MultiLabelBinarizer to encode label sets, or "
                "target='regression' for continuous outputs."
            )
        if kind == "binary" and np.ndim(Y) == 1:
            # one binary label per sample: one indicator column
            values = np.unique(np.asarray(Y))
            Y = (np.asarray(Y) == values[-1]).astype(np.float64)
    Y = check_array(
        Y,
        accept_sparse=("csr", "csc", "coo"),
        dtype="numeric",
        ensure_all_finite=True,
        ensure_2d=False,
        ensure_min_samples=1,
        input_name="y",
    )
    if Y.ndim == 1:
        Y = Y.reshape(-1, 1)
    if Y.ndim != 2 or Y.shape[1] == 0:
        raise ValueError(f"y must be 1-D or 2-D with at least one column, got shape {Y.shape}.")
    check_consistent_length(np.empty(n_samples), Y)
    if sp.issparse(Y) and Y.format != "csr":
        Y = Y.tocsr()
    return Y


class CrossMomentStatistics(MergeableStatistics):
    """Sufficient statistics of features and a regression or multi-label target.

    Holds the feature statistics (an :class:`HScoreStatistics` of the features alone), the
    target mean and scatter, and the cross scatter of features and targets, all accumulated
    in float64 and centred before any product is formed. Build one with :meth:`from_arrays`,
    grow it with :meth:`update`, combine two with :meth:`merge`; :func:`~skhscore.h_score`,
    :func:`~skhscore.h_score_test` and :func:`~skhscore.transferability` accept it in place
    of ``(X, y)`` (then without ``target``: the statistics already say what the target is).

    Parameters
    ----------
    target : {"regression", "multilabel"}, default="regression"
        How ``Y`` is validated: any numeric matrix (``"regression"``) or a multi-hot 0/1
        indicator matrix (``"multilabel"``). The score is the same function of the moments.

    Attributes
    ----------
    n_samples_seen_ : int
        Number of rows seen (including rows of weight zero).
    weight_sum_ : float
        Total sample weight n.
    n_features_ : int
        Number of feature columns.
    n_targets_ : int
        Number of target columns.
    mean_ : ndarray of shape (n_features,)
        Weighted feature mean.
    scatter_ : ndarray of shape (n_features, n_features)
        Centred feature scatter ``sum_i w_i (x_i - mean)(x_i - mean)^T``.
    target_mean_ : ndarray of shape (n_targets,)
        Weighted target mean.
    target_scatter_ : ndarray of shape (n_targets, n_targets)
        Centred target scatter.
    cross_scatter_ : ndarray of shape (n_features, n_targets)
        Centred cross scatter ``sum_i w_i (x_i - mean)(y_i - target_mean)^T``.

    See Also
    --------
    HScoreStatistics : the statistics of a classification task.

    Examples
    --------
    >>> from sklearn.datasets import load_linnerud
    >>> from skhscore import CrossMomentStatistics, h_score
    >>> X, Y = load_linnerud(return_X_y=True)
    >>> first = CrossMomentStatistics.from_arrays(X[:12], Y[:12])
    >>> both = first.merge(CrossMomentStatistics.from_arrays(X[12:], Y[12:]))
    >>> round(h_score(both), 6) == round(h_score(X, Y, target="regression"), 6)
    True
    """

    def __init__(self, *, target="regression"):
        self.target = target

    def _empty_like(self):
        return type(self)(target=self.target)

    def _features(self):
        return self._x

    # ------------------------------------------------------------------ building
    @classmethod
    def from_arrays(cls, X, y, *, target="regression", sample_weight=None, chunk_size=None):
        """Compute the statistics of ``(X, y)`` in one pass, chunk by chunk.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.
        y : {array-like, sparse matrix} of shape (n_samples,) or (n_samples, n_targets)
            Continuous (multi-output) target, or a multi-hot label indicator matrix.
        target : {"regression", "multilabel"}, default="regression"
            How ``y`` is validated (see the class docstring).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an integer weight counts as that many repeated rows.
        chunk_size : int, default=None
            Rows per chunk; by default about 64 MiB of float64 per chunk.

        Returns
        -------
        stats : CrossMomentStatistics
        """
        return cls(target=target).update(X, y, sample_weight=sample_weight, chunk_size=chunk_size)

    def update(self, X, y, *, sample_weight=None, chunk_size=None):
        """Add a batch of samples in place and return ``self``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features of the batch.
        y : {array-like, sparse matrix} of shape (n_samples,) or (n_samples, n_targets)
            Targets of the batch.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights.
        chunk_size : int, default=None
            Rows per chunk.

        Returns
        -------
        self : CrossMomentStatistics
        """
        if self.target not in ("regression", "multilabel"):
            raise ValueError(
                f"target must be 'regression' or 'multilabel', got {self.target!r}; class "
                "labels go into HScoreStatistics."
            )
        X = check_features(X, min_samples=1)
        n_rows, n_features = X.shape
        Y = check_targets(y, n_rows, self.target)
        weights = check_sample_weight(sample_weight, n_rows, allow_all_zero=True)
        if not self._is_empty() and (
            n_features != self.n_features_ or Y.shape[1] != self.n_targets_
        ):
            raise ValueError(
                f"X has {n_features} features and y {Y.shape[1]} columns, but the statistics "
                f"were built from {self.n_features_} features and {self.n_targets_} columns."
            )
        chunk_size = check_chunk_size(chunk_size, n_features + Y.shape[1])
        for start in range(0, n_rows, chunk_size):
            stop = min(start + chunk_size, n_rows)
            w = None if weights is None else weights[start:stop]
            part = self._chunk_statistics(X[start:stop], Y[start:stop], w)
            if part is not None:
                self._absorb(part)
        self._count_zero_rows(weights)
        return self

    def _chunk_statistics(self, chunk, ychunk, w):
        chunk, ychunk, w = positive_rows(chunk, ychunk, w)
        if chunk.shape[0] == 0:
            return None
        if sp.issparse(chunk):
            chunk = chunk.toarray()
        if sp.issparse(ychunk):
            ychunk = ychunk.toarray()
        yv = np.array(ychunk, dtype=np.float64)
        n_rows = chunk.shape[0]
        codes = np.zeros(n_rows, dtype=np.int64)
        xpart = HScoreStatistics()._chunk_statistics(
            chunk, np.zeros(1, dtype=np.int64), codes, w, n_rows
        )
        wsum = xpart._n
        # the features, centred exactly as the feature part centred them
        x = np.ldexp(np.asarray(chunk, dtype=np.float64), -xpart._exp)
        x -= xpart._centre
        x -= xpart._shift

        y_min, y_max = yv.min(axis=0), yv.max(axis=0)
        y_exp = column_exponents(y_min, y_max)
        if np.any(y_exp):
            yv = np.ldexp(yv, -y_exp, out=yv)
        y_centre = yv.mean(axis=0) if w is None else (w @ yv) / wsum
        yv -= y_centre
        shift = yv.mean(axis=0) if w is None else (w @ yv) / wsum
        yv -= shift
        wy = yv if w is None else yv * w[:, None]

        part = type(self)(target=self.target)
        part._x = xpart
        part._n_rows = n_rows
        part._y_exp = y_exp
        # the mean as a centre and a small shift from it, as for the features: merging then
        # subtracts centres (exact when close) instead of rounded absolute means
        part._y_centre = y_centre
        part._y_shift = shift
        part._y_scatter = yv.T @ wy
        # a factor of the target scatter (a QR of the weighted rows): its whitener resolves
        # ill-conditioned targets, which the Gram matrix squares away
        part._y_root = stack_roots(yv if w is None else yv * np.sqrt(w)[:, None])
        part._cross = x.T @ wy
        part._y_min = np.ldexp(y_min, -y_exp)
        part._y_max = np.ldexp(y_max, -y_exp)
        return part

    # ------------------------------------------------------------------ merging
    def _rescale(self, x_exp, y_exp):
        """Express the target and cross moments in the (larger or equal) exponents given."""
        fx = np.ldexp(1.0, self._x._exp - x_exp)
        fy = np.ldexp(1.0, self._y_exp - y_exp)
        self._x._rescale(x_exp)
        self._y_centre = self._y_centre * fy
        self._y_shift = self._y_shift * fy
        self._y_scatter = self._y_scatter * np.outer(fy, fy)
        self._y_root = self._y_root * fy
        self._cross = self._cross * np.outer(fx, fy)
        self._y_min = self._y_min * fy
        self._y_max = self._y_max * fy
        self._y_exp = y_exp

    def _absorb_moments(self, part):
        """Merge the moments of ``part`` (a private copy) into ``self`` in place."""
        if part._is_empty():
            return
        if self._is_empty():
            self.__dict__.update(part.__dict__)
            return
        if part.n_features_ != self.n_features_ or part.n_targets_ != self.n_targets_:
            raise ValueError(
                "Cannot merge statistics of different shapes: "
                f"({part.n_features_} features, {part.n_targets_} targets) into "
                f"({self.n_features_} features, {self.n_targets_} targets)."
            )
        x_exp = np.maximum(self._x._exp, part._x._exp)
        y_exp = np.maximum(self._y_exp, part._y_exp)
        self._rescale(x_exp, y_exp)
        part._rescale(x_exp, y_exp)
        n_a, n_b = self._x._n, part._x._n
        n = n_a + n_b
        dx = (part._x._centre - self._x._centre) + (part._x._shift - self._x._shift)
        dy = (part._y_centre - self._y_centre) + (part._y_shift - self._y_shift)
        self._cross = self._cross + part._cross + np.outer(dx, dy) * (n_a * n_b / n)
        self._y_scatter = self._y_scatter + part._y_scatter + np.outer(dy, dy) * (n_a * n_b / n)
        between = dy[None, :] * np.sqrt(n_a * n_b / n)  # the row the means' difference adds
        self._y_root = stack_roots(self._y_root, part._y_root, between)
        self._y_shift = self._y_shift + dy * (n_b / n)
        self._y_min = np.minimum(self._y_min, part._y_min)
        self._y_max = np.maximum(self._y_max, part._y_max)
        self._n_rows = self._n_rows + part._n_rows
        self._x._absorb(part._x)

    # ------------------------------------------------------------------ public view
    @property
    def n_targets_(self):
        self._check_built()
        return self._y_centre.shape[0]

    @property
    def target_mean_(self):
        self._check_built()
        return np.ldexp(self._y_centre + self._y_shift, self._y_exp)

    @property
    def target_scatter_(self):
        self._check_built()
        factor = np.ldexp(1.0, self._y_exp)
        return self._y_scatter * np.outer(factor, factor)

    @property
    def cross_scatter_(self):
        self._check_built()
        return self._cross * np.outer(np.ldexp(1.0, self._x._exp), np.ldexp(1.0, self._y_exp))

    def _repr_fields(self):
        return [
            ("n_samples_seen_", self.n_samples_seen_),
            ("n_features_", self.n_features_),
            ("n_targets_", self.n_targets_),
            ("target", self.target),
        ]

    def _target_whitener(self):
        """Whitener of the target scatter from its factor (the float64 rank rule: targets are
        given, not computed in float32)."""
        varying = varying_columns(self._y_min, self._y_max)
        return whitener_from_root(self._y_root, varying, np.finfo(np.float64).eps)

    def _target_rank(self):
        """Numerical rank of the centred target (the number of target dimensions)."""
        self._check_built()
        return self._target_whitener().rank

    def moments(self):
        """The read-only view of these statistics that every score function reads.

        Its ``deviations`` are the whitened target directions, of shape (target rank,
        n_features), with ``deviations.T @ deviations = S_xy pinv(S_yy) S_yx``, the scatter of
        the features' projection on the target (for one-hot targets, the between-class
        scatter); see :class:`~skhscore._engine.StatisticsView`.

        Returns
        -------
        view : StatisticsView
        """
        self._check_built()
        varying = varying_columns(self._x._min, self._x._max)
        white = self._target_whitener()
        deviations = white.whiten(self._cross.T)
        return StatisticsView.build(
            self._x,
            deviations=deviations,
            varying=varying,
            n_targets=white.rank,
            classes=None,
            class_weights=None,
            target_rows=lambda Y: (
                np.ldexp(np.asarray(Y, dtype=np.float64), -self._y_exp)[:, white.keep]
                / white.norms,
                white.whiten_kept,
            ),
        )
