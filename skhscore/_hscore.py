"""The H-score of Bao et al. (ICIP 2019) and its shrinkage variant, from sufficient statistics."""

from numbers import Real
from typing import NamedTuple

import numpy as np
from scipy.linalg import cholesky, lapack, solve_triangular

from skhscore._chance import (
    adjusted_from_spectrum,
    adjusted_shrunk_h_of_array,
    intensity,
    statistics_terms,
)
from skhscore._sklearn_compat import Interval, StrOptions, validate_params
from skhscore._statistics import HScoreStatistics
from skhscore._targets import CrossMomentStatistics
from skhscore._validation import refuses_estimators

#: Rank tolerance of the plain H-score, relative, on the correlation scale: a column is
#: dropped when the share of its variance left unexplained by the columns kept before it is at
#: most this (a pivoted Cholesky factorisation decides which columns to keep).
RANK_TOL = 1e-10


def resolve_statistics(X, y, sample_weight=None, scatter_dtype=np.float64, target=None):
    """Return the statistics of ``(X, y)``, or ``X`` itself when it already is statistics.

    ``target`` (None means "classification") picks the statistics built from arrays:
    :class:`HScoreStatistics` for class labels, :class:`CrossMomentStatistics` for a
    ``"regression"`` or ``"multilabel"`` target. A statistics object passed as ``X`` knows
    its target, so ``target`` is then only checked: ``"regression"`` or ``"multilabel"``
    with :class:`HScoreStatistics` is refused (the default, ``"classification"``, is
    accepted with either object).
    """
    if isinstance(X, (HScoreStatistics, CrossMomentStatistics)):
        if y is not None or sample_weight is not None:
            held = "labels" if isinstance(X, HScoreStatistics) else "targets"
            raise ValueError(
                f"When X is a {type(X).__name__} object it already holds the {held} and "
                "weights: pass y=None and sample_weight=None."
            )
        if isinstance(X, HScoreStatistics) and target in ("regression", "multilabel"):
            raise ValueError(
                f"X is an HScoreStatistics object, built from class labels, but "
                f"target={target!r} was passed. Build CrossMomentStatistics.from_arrays(X, y, "
                f"target={target!r}) for a regression or multilabel target, or leave target "
                "at its default."
            )
        return X
    if target in (None, "classification"):
        from skhscore._dask import is_dask_collection

        if is_dask_collection(X):  # one chunked reduction, the n x k matrix is never gathered
            from skhscore._dask import dask_statistics

            return dask_statistics(X, y, sample_weight, scatter_dtype=scatter_dtype)
        from skhscore._array_api import use_array_api

        if use_array_api(X):  # array_api_dispatch on and X a torch / CuPy / ... array
            from skhscore._array_api import array_api_statistics

            return array_api_statistics(X, y, sample_weight, scatter_dtype=scatter_dtype)
        return HScoreStatistics.from_arrays(
            X, y, sample_weight=sample_weight, scatter_dtype=scatter_dtype
        )
    return CrossMomentStatistics.from_arrays(X, y, target=target, sample_weight=sample_weight)


def n_target_dims(stats):
    """Dimension of the target space: C - 1 for C classes, the target rank otherwise."""
    if isinstance(stats, CrossMomentStatistics):
        return stats._target_rank()
    return stats.classes_.shape[0] - 1


def check_scorable(stats):
    """Refuse statistics on which no H-score is defined."""
    stats._check_built()
    if stats.n_samples_seen_ < 2:
        raise ValueError(f"Found {stats.n_samples_seen_} sample; the H-score needs at least 2.")
    if isinstance(stats, CrossMomentStatistics):
        if stats._target_rank() == 0:
            raise ValueError(
                "y is constant: the H-score of a regression or multilabel target needs a "
                "target that varies (a label column present in every sample, or in none, "
                "carries no information)."
            )
        return
    if stats.classes_.shape[0] < 2:
        raise ValueError(
            f"y has a single class ({stats.classes_[0]!r}); the H-score needs at least two "
            "classes. If this is one fold of a cross-validation, the folds are probably not "
            "stratified: use sklearn.model_selection.StratifiedKFold."
        )


def pivoted_whitener(scatter, varying):
    """Rank-revealing whitener of a scatter matrix, decided on the correlation scale.

    Returns ``(columns, norms, factor)``: the indices of the columns kept (in pivot order),
    their root scatter, and the lower-triangular ``factor`` (rank x rank) with
    ``factor @ factor.T == scatter[columns][:, columns] / outer(norms, norms)``. Whitening a
    matrix ``T`` (rows indexed like the scatter) is then
    ``solve_triangular(factor, T[columns] / norms[:, None], lower=True)``. The rank is decided
    by LAPACK's pivoted Cholesky with tolerance :data:`RANK_TOL`; columns not in ``varying``
    (a boolean mask) are left out first.
    """
    keep = np.flatnonzero(varying)
    if keep.size == 0:
        return keep, np.zeros(0), np.zeros((0, 0))
    scatter = scatter[np.ix_(keep, keep)]
    norms = np.sqrt(np.diag(scatter))
    correlation = scatter / np.outer(norms, norms)
    factor, pivots, rank, info = lapack.dpstrf(correlation, tol=RANK_TOL, lower=1)
    if info < 0:  # pragma: no cover - LAPACK argument error, a bug on our side
        raise RuntimeError(f"dpstrf failed with info={info}")
    pivots = pivots[:rank] - 1  # LAPACK pivots are 1-based
    return keep[pivots], norms[pivots], factor[:rank, :rank]


def whitened_class_deviations(stats):
    """Class deviations whitened by the pseudo-inverse square root of the scatter.

    Returns ``(M, rank)`` with ``M`` of shape (rank, n_classes) such that
    ``H = ||M||_F^2 = tr(pinv(S) B)`` and the squared singular values of ``M`` are the squared
    canonical correlations between the features and the one-hot labels. The rank is decided
    on the correlation scale with tolerance :data:`RANK_TOL` by LAPACK's pivoted Cholesky.
    Statistics of a regression or multi-label target (:class:`CrossMomentStatistics`) give
    the same for their whitened target directions in place of the classes.
    """
    scatter, deviations, varying = stats._scaled_moments()
    columns, norms, factor = pivoted_whitener(scatter, varying)
    if columns.size == 0:
        return np.zeros((0, deviations.shape[0])), 0
    targets = deviations[:, columns].T / norms[:, None]
    M = solve_triangular(factor, targets, lower=True, check_finite=False)
    return M, columns.size


def shrinkage_value(stats, shrinkage):
    """The shrinkage intensity: a float given, Ledoit-Wolf ("auto") or OAS ("oas").

    Both estimators are the ones of :func:`sklearn.covariance.ledoit_wolf_shrinkage` and
    :class:`sklearn.covariance.OAS`, evaluated from the statistics (with weights, n is the
    total weight).
    """
    if not isinstance(shrinkage, str):
        return float(shrinkage)
    n_features = stats.n_features_
    if n_features == 1:
        return 0.0  # one feature: every shrinkage gives the same score
    n = stats.weight_sum_
    to_global = stats._to_global_scale()
    cov = stats._scatter * np.outer(to_global, to_global) / n
    trace = float(np.trace(cov))
    fro2 = float(np.sum(cov**2))
    return intensity(shrinkage, trace, fro2, stats._m4, n, n_features)


def shrunk_covariance_factor(stats, alpha):
    """Cholesky factor of the shrunk covariance and the matching whitening inputs.

    Returns ``(factor, to_global, n)``: the lower-triangular factor of
    ``Sigma_a = (1 - a) S / n + a (tr(S / n) / k) I`` (S the scatter in the common scaled
    units ``to_global``), or ``factor=None`` when every column is constant.
    """
    n = stats.weight_sum_
    scatter, _, _ = stats._scaled_moments()
    to_global = stats._to_global_scale()
    cov = scatter * np.outer(to_global, to_global) / n
    target = np.trace(cov) / cov.shape[0]
    if target == 0:  # every column constant: no information
        return None, to_global, n
    shrunk = (1.0 - alpha) * cov
    shrunk.flat[:: cov.shape[0] + 1] += alpha * target
    return cholesky(shrunk, lower=True, check_finite=False), to_global, n


def shrunk_whitened_class_deviations(stats, alpha):
    """Class deviations whitened by the shrunk covariance (alpha > 0).

    ``Sigma_a = (1 - a) S / n + a (tr(S / n) / k) I``; returns ``M`` with
    ``||M||_F^2 = tr(Sigma_a^-1 (1 - a) Sigma_B)``.
    """
    _, deviations, _ = stats._scaled_moments()
    factor, to_global, n = shrunk_covariance_factor(stats, alpha)
    if factor is None:
        return np.zeros((0, deviations.shape[0]))
    between_root = (deviations * to_global).T / np.sqrt(n)
    return np.sqrt(1.0 - alpha) * solve_triangular(
        factor, between_root, lower=True, check_finite=False
    )


def hscore_from_statistics(stats, shrinkage=None):
    """H-score of validated statistics; the core every public door calls."""
    check_scorable(stats)
    alpha = 0.0 if shrinkage is None else shrinkage_value(stats, shrinkage)
    if alpha == 0.0:
        M, rank = whitened_class_deviations(stats)
        bound = min(rank, n_target_dims(stats))
        return float(np.clip(np.sum(M**2), 0.0, bound))
    M = shrunk_whitened_class_deviations(stats, alpha)
    return float(max(np.sum(M**2), 0.0))


class HScoreParts(NamedTuple):
    """Everything the H-score family derives from one set of statistics.

    ``value`` is the (shrunk) H-score, ``M`` the whitened target deviations (its squared
    singular values are the components), ``rank`` the numerical rank of the features,
    ``n_targets`` the dimension of the target space (C - 1 for C classes), ``n`` the total
    weight, ``alpha`` the shrinkage used (0 for the plain score), ``null_mean`` the mean of
    the score when the targets are independent of the features (see :func:`chance_level`),
    ``bound = min(rank, n_targets)``, the largest value the score can take, and
    ``n_features`` the number of feature columns.
    """

    value: float
    M: np.ndarray
    rank: int
    n_targets: int
    n: float
    alpha: float
    null_mean: float
    bound: int
    n_features: int


def chance_level(stats, rank, n_targets, alpha=0.0):
    """Mean of the H-score when the targets are exchangeable with respect to the features.

    For the plain score, ``E0 = rank * q / (n - 1)`` with q the target dimension (C - 1): the
    mean of Pillai's trace under the null, and also, exactly, its mean over all permutations
    of the targets (the averaged projection on the permuted target span is ``q / (n - 1)``
    times the centring projection). The same argument gives the shrunk score's permutation
    mean in closed form, ``q / (n - 1) * tr(Sigma_a^-1 (1 - a) Sigma)``
    ``= q / (n - 1) * (k - a t tr(Sigma_a^-1))`` (t = tr(Sigma) / k), since the shrinkage
    intensity depends on the features only. ``n`` is the total weight (frequency weights).
    """
    n = stats.weight_sum_
    if n <= 1:
        raise ValueError(
            f"The sample weights sum to {n:g}, but the chance level of the H-score treats "
            "them as frequency weights (counts of observations) and needs a total above 1: "
            "rescale the weights so that they sum to the number of observations."
        )
    if alpha == 0.0:
        return rank * n_targets / (n - 1)
    factor, to_global, _ = shrunk_covariance_factor(stats, alpha)
    if factor is None:
        return 0.0
    k = factor.shape[0]
    scatter, _, _ = stats._scaled_moments()
    t = float(np.trace(scatter * np.outer(to_global, to_global))) / (n * k)
    inverse = lapack.dtrtri(factor, lower=1)[0]
    explained = k - alpha * t * float(np.sum(inverse**2))
    return n_targets / (n - 1) * min(max(explained, 0.0), k)


def hscore_parts(stats, shrinkage=None):
    """Compute :class:`HScoreParts` of validated statistics."""
    check_scorable(stats)
    alpha = 0.0 if shrinkage is None else shrinkage_value(stats, shrinkage)
    n_targets = n_target_dims(stats)
    M, rank = whitened_class_deviations(stats)
    bound = min(rank, n_targets)
    if alpha == 0.0:
        value = float(np.clip(np.sum(M**2), 0.0, bound))
    else:
        M = shrunk_whitened_class_deviations(stats, alpha)
        value = float(np.clip(np.sum(M**2), 0.0, bound))
    null_mean = chance_level(stats, rank, n_targets, alpha)
    return HScoreParts(
        value, M, rank, n_targets, stats.weight_sum_, alpha, null_mean, bound, stats.n_features_
    )


def adjusted_from_parts(parts):
    """Plain chance-adjusted score ``(H - E0) / (min(rank, q) - E0)``; 0 when saturated.

    Saturated: rank >= n - 1 or at least as many feature columns as samples (k >= n). There
    every generic feature set separates the sample perfectly, so H = min(rank, q) whatever
    the features encode, and the chance level E0 is at (rank >= n - 1) or within noise of
    (duplicated rows: rank = n - 2, ...) that same ceiling: the ratio is 0 / 0 or noise
    whose null standard deviation is about sqrt(2 rank / (q (n - 1) (n - 1 - rank))), of
    order 1. The plain adjusted score is then defined as 0, the value of no evidence either
    way, for every saturated feature set alike. The shrunk adjusted score
    (:func:`adjusted_score` with shrinkage) stays informative there.
    """
    room = parts.bound - parts.null_mean
    saturated = parts.n_features >= parts.n or room <= 1e-12 * max(parts.bound, 1)
    if parts.bound == 0 or saturated:
        return 0.0
    return float((parts.value - parts.null_mean) / room)


def adjusted_score(stats, shrinkage=None, parts=None):
    """The chance-adjusted (shrunk) H-score of validated statistics.

    Without shrinkage (or at intensity 0): :func:`adjusted_from_parts`. With shrinkage:
    ``(H_a - E0) / (M - E0)``, M the largest shrunk score any labelling of these features
    can reach (see :mod:`skhscore._chance`), which is defined and informative whatever n
    and k.
    """
    check_scorable(stats)
    if shrinkage is not None:
        eigenvalues, value, n, alpha = statistics_terms(stats, shrinkage)
        if alpha > 0.0:
            return adjusted_from_spectrum(
                eigenvalues, value, n, n_target_dims(stats), stats.n_features_, alpha
            )
    if parts is None:
        parts = hscore_parts(stats, None)
    return adjusted_from_parts(parts)


SHRINKAGE_CONSTRAINT = [None, StrOptions({"auto", "oas"}), Interval(Real, 0, 1, closed="both")]
TARGET_CONSTRAINT = [StrOptions({"classification", "regression", "multilabel"})]


def score_from_parts(parts, *, adjusted=False, normalize=None):
    """The number ``h_score`` returns for given parts and options."""
    if adjusted and normalize is not None:
        raise ValueError(
            "adjusted=True already puts the score on a common scale (0 at chance, 1 at "
            f"the maximum); pass normalize=None with it, not normalize={normalize!r}."
        )
    if adjusted:
        return adjusted_from_parts(parts)
    if normalize == "classes":
        return parts.value / parts.n_targets
    return parts.value


@refuses_estimators("skhscore.HScoreScorer()")
@validate_params(
    {
        "shrinkage": SHRINKAGE_CONSTRAINT,
        "adjusted": ["boolean"],
        "normalize": [None, StrOptions({"classes"})],
        "target": TARGET_CONSTRAINT,
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def h_score(
    X,
    y=None,
    *,
    shrinkage=None,
    adjusted=False,
    normalize=None,
    target="classification",
    sample_weight=None,
):
    """H-score of features for a classification task (Bao et al., ICIP 2019).

    ``H(F) = tr(pinv(cov(F)) cov(E[F | y]))``: how much of the label information the
    features expose linearly, computed in closed form without training a classifier. It
    equals Pillai's trace of a one-way MANOVA of the features on the labels and the sum of
    the squared canonical correlations between the features and the one-hot labels, so it
    lies in ``[0, min(rank, C - 1)]`` for C classes. Greater is better.

    Raw H grows with the number of feature columns even for pure noise (its mean under
    independence is ``rank (C - 1) / (n - 1)``): compare feature sets of different widths
    or sample sizes with ``adjusted=True``, and test significance with
    :func:`h_score_test`.

    Read more in the :ref:`User Guide <h_score>`.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features) or statistics
        Features (one row per sample), e.g. the output of a feature extractor. Integer,
        float32 and sparse input give the same value as float64 dense input. Pass
        precomputed :class:`HScoreStatistics` (class labels) or
        :class:`CrossMomentStatistics` (regression or multilabel target) to score streamed
        data (then ``y`` and ``sample_weight`` must be None). A Dask array is reduced block
        by block; with ``sklearn.set_config(array_api_dispatch=True)`` a torch or CuPy array
        is reduced on its own device (class labels only).
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Class labels of any sortable type (strings, non-contiguous integers, ...); with
        ``target="regression"`` a continuous (multi-output) target, with
        ``target="multilabel"`` a multi-hot indicator matrix.
    shrinkage : {None, "auto", "oas"} or float in [0, 1], default=None
        None gives the paper's estimator, with the pseudo-inverse of the feature covariance.
        Otherwise the covariance is shrunk towards a multiple of the identity,
        ``Sigma_a = (1 - a) Sigma + a tr(Sigma) / k I``, and the score is
        ``tr(Sigma_a^-1 (1 - a) Sigma_B)`` (the regularized H-score of Ibrahim et al.,
        2022): "auto" takes ``a`` from Ledoit-Wolf, "oas" from the Oracle Approximating
        Shrinkage, a float fixes it (as in
        :class:`~sklearn.discriminant_analysis.LinearDiscriminantAnalysis`). The shrunk
        score is not invariant to rescaling columns: standardise features measured in
        different units first. For a regression target, ``Sigma_B`` is the covariance of
        the features' linear prediction from the target.
    adjusted : bool, default=False
        Return the chance-adjusted score ``(H - E0) / (M - E0)``, in the spirit of
        :func:`~sklearn.metrics.adjusted_mutual_info_score`: 0 on average for features
        independent of the target, 1 for the best separation the features allow, negative
        below chance. Without shrinkage, ``E0 = rank q / (n - 1)`` is the null mean of H
        (rank: numerical rank of the features; q = C - 1, or the rank of a regression
        target) and ``M = min(rank, q)``. With shrinkage, ``E0`` is the exact mean of the
        shrunk score over permutations of the target, ``q / (n - 1) tr(Sigma_a^-1 (1 - a)
        Sigma)``, and ``M`` the largest shrunk score any target can reach, ``(1 - a)`` times
        the sum of the q largest eigenvalues of ``Sigma_a^-1 Sigma``.
        ``h_score(X, y, shrinkage="auto", adjusted=True)`` is the score the model-selection
        tools use by default (:class:`HScoreScorer`, :class:`TransferabilitySelector`).
        Saturated samples (at least as many columns as samples, or rank >= n - 1): every
        feature set then has plain H = ``min(rank, q)`` and the adjusted plain score is 0
        for all of them alike (no evidence either way); the shrunk adjusted score stays
        informative there.
    normalize : {None, "classes"}, default=None
        ``"classes"`` divides the score by ``q = C - 1`` (the rank of the target for
        regression and multilabel targets), so that scores on tasks with different numbers
        of classes share the scale [0, 1] (the paper's normalised H-score). Not combinable
        with ``adjusted=True``, which is already on that scale.
    target : {"classification", "regression", "multilabel"}, default="classification"
        What ``y`` is. ``"regression"`` and ``"multilabel"`` give the generalised H-score,
        the sum of the squared canonical correlations between the features and the
        (multi-output or multi-hot) target, i.e. Pillai's trace of the multivariate
        regression; for a one-hot encoded class target it equals the classification
        H-score. A continuous ``y`` with ``target="classification"`` is an error, so a
        regression target is never binned silently. Leave the default when ``X`` is a
        statistics object (the object knows its target).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights; an integer weight gives the same score as repeating
        the row that many times. The chance level (``adjusted=True``) treats weights as
        frequency weights: n is their sum.

    Returns
    -------
    score : float
        The H-score (or its adjusted or normalised form).

    See Also
    --------
    h_score_test : p-value, chance level and canonical components of the H-score.
    transferability : the paper's ratio of two H-scores.
    HScoreStatistics : sufficient statistics, to score data streamed in batches.
    CrossMomentStatistics : the same for regression and multilabel targets.

    Notes
    -----
    The score is computed from the centred scatter matrix and the per-class sums (the
    n x k matrix of class means of the reference implementation is never formed). Rank
    deficiency (constant or duplicated columns, more columns than samples) gets the
    pseudo-inverse value: constant columns (spread within 8 ulps of their magnitude) are
    dropped, then the rank is decided by a pivoted Cholesky factorisation of the
    correlation matrix with relative tolerance ``RANK_TOL = 1e-10``, so columns of very
    different scales do not change the rank decision, and features computed in float32 are
    not inflated by their rounding noise.

    References
    ----------
    .. [1] Y. Bao, Y. Li, S.-L. Huang, L. Zhang, L. Zheng, A. Zamir, L. Guibas, "An
       Information-Theoretic Approach to Transferability in Task Transfer Learning",
       ICIP 2019, arXiv:2212.10082.
    .. [2] S. Ibrahim, N. Ponomareva, R. Mazumder, "Newer is not always better:
       Rethinking transferability metrics, their peculiarities, stability and
       performance", ECML PKDD 2022, arXiv:2110.06893.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skhscore import h_score
    >>> X, y = load_iris(return_X_y=True)
    >>> round(h_score(X, y), 4)
    1.1919
    >>> round(h_score(X[:, :1], y), 4)  # sepal length alone
    0.6187
    >>> round(h_score(X, y, normalize="classes"), 4)  # H / (C - 1)
    0.5959
    >>> round(h_score(X, y, adjusted=True), 4)  # (H - E0) / (2 - E0), E0 = 4 * 2 / 149
    0.5848
    >>> round(h_score(X, y, shrinkage="auto", adjusted=True), 4)  # the selection score
    0.5858
    >>> round(h_score(X[:, :3], X[:, 3], target="regression"), 4)  # R^2 of petal width
    0.9379
    """
    if adjusted and normalize is None:
        if shrinkage is not None and target == "classification":
            # dense arrays: the spectrum from the smaller of the Gram and covariance matrices
            value = adjusted_shrunk_h_of_array(X, y, sample_weight, shrinkage)
            if value is not None:
                return value
        return adjusted_score(resolve_statistics(X, y, sample_weight, target=target), shrinkage)
    if adjusted or normalize is not None:
        stats = resolve_statistics(X, y, sample_weight, target=target)
        return score_from_parts(
            hscore_parts(stats, shrinkage), adjusted=adjusted, normalize=normalize
        )
    stats = resolve_statistics(X, y, sample_weight, target=target)
    return hscore_from_statistics(stats, shrinkage)
