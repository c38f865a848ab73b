"""The H-score of Bao et al. (ICIP 2019) and its shrinkage variant, from sufficient statistics."""

from typing import NamedTuple

import numpy as np
from scipy.linalg import cholesky, lapack, solve_triangular

from skhscore._chance import adjusted_shrunk_h_of_array, intensity, shrunk_adjusted_score
from skhscore._constraints import SHRINKAGE_CONSTRAINT, TARGET_CONSTRAINT
from skhscore._engine import resolve_statistics, single_blas_thread
from skhscore._sklearn_compat import StrOptions, validate_params
from skhscore._validation import refuses_estimators


def scorable_view(stats):
    """The view of statistics on which an H-score is defined (refuse the others)."""
    view = stats.moments()
    if view.n_rows < 2:
        raise ValueError(f"Found {view.n_rows} sample; the H-score needs at least 2.")
    if view.classes is None:
        if view.n_targets == 0:
            raise ValueError(
                "y is constant: the H-score of a regression or multilabel target needs a "
                "target that varies (a label column present in every sample, or in none, "
                "carries no information)."
            )
        return view
    if view.classes.shape[0] < 2:
        raise ValueError(
            f"y has a single class ({view.classes[0]!r}); the H-score needs at least two "
            "classes. If this is one fold of a cross-validation, the folds are probably not "
            "stratified: use sklearn.model_selection.StratifiedKFold."
        )
    return view


def shrinkage_value(view, shrinkage):
    """The shrinkage intensity: a float given, Ledoit-Wolf ("auto") or OAS ("oas").

    Both estimators are the ones of :func:`sklearn.covariance.ledoit_wolf_shrinkage` and
    :class:`sklearn.covariance.OAS`, evaluated from the statistics' view (with weights, n is
    the total weight). The intensity is clipped into [0, 1]; one too small for the shrunk
    covariance to be positive definite in float64 gives 0, the pseudo-inverse limit.
    """
    if shrinkage is None:
        return 0.0
    alpha = min(max(_estimated_shrinkage(view, shrinkage), 0.0), 1.0)  # -1e-16 is a rounded 0
    # Below about k^2 eps, the shrunk covariance of rank-deficient features is not
    # positive definite in floating point; the score is then its alpha -> 0 limit, the
    # pseudo-inverse score (class deviations lie in the range of the scatter).
    if 0.0 < alpha < 16 * view.n_features**2 * np.finfo(np.float64).eps:
        try:
            shrunk_covariance_factor(view, alpha)
        except np.linalg.LinAlgError:
            return 0.0
    return alpha


def _estimated_shrinkage(view, shrinkage):
    if not isinstance(shrinkage, str):
        return float(shrinkage)
    n_features = view.n_features
    if n_features == 1:
        return 0.0  # one feature: every shrinkage gives the same score
    if shrinkage == "auto" and view.m4 is None:
        raise ValueError(
            "These statistics were built without the fourth moments Ledoit-Wolf needs; "
            "build them with HScoreStatistics.from_arrays(X, y) to use shrinkage='auto'."
        )
    cov = view.scatter / view.n
    trace = float(np.trace(cov))
    fro2 = float(np.sum(cov**2))
    return intensity(shrinkage, trace, fro2, view.m4, view.n, n_features)


def shrunk_covariance_factor(view, alpha):
    """Lower Cholesky factor of the shrunk covariance (None when every column is constant)
    and its target ``t = tr(S / n) / k``."""
    shrunk, target = view.shrunk_covariance(alpha)
    if shrunk is None:
        return None, 0.0
    return cholesky(shrunk, lower=True, check_finite=False), target


def whitened_deviations(view, alpha):
    """``M`` with ``||M||_F^2`` the (shrunk) H-score.

    Plain score (alpha = 0): the deviations whitened by the engine's rank-revealing whitener,
    ``||M||^2 = tr(pinv(S) B)``, and the squared singular values of ``M`` are the squared
    canonical correlations. Shrunk score: ``||M||^2 = tr(Sigma_a^-1 (1 - a) Sigma_B)``.
    """
    if alpha == 0.0:
        return view.whitened_deviations()
    return np.sqrt(1.0 - alpha) * shrunk_whitened_deviations(view, alpha)


def shrunk_whitened_deviations(view, alpha):
    """``W`` with ``||W||_F^2 = tr(Sigma_a^-1 Sigma_B)`` (alpha > 0; no ``1 - a`` factor, so
    that ``a = 1`` keeps the information the chance-adjusted score needs)."""
    factor, _ = shrunk_covariance_factor(view, alpha)
    if factor is None:
        return np.zeros((0, view.deviations.shape[0]))
    between_root = view.deviations.T / np.sqrt(view.n)
    return solve_triangular(factor, between_root, lower=True, check_finite=False)


def hscore_value(M, bound):
    """The H-score from its whitened deviations, in ``[0, min(rank, q)]`` (both forms)."""
    return float(np.clip(np.sum(M**2), 0.0, bound))


def hscore_from_statistics(stats, shrinkage=None):
    """H-score of validated statistics; the core every public door calls."""
    with single_blas_thread():
        view = scorable_view(stats)
        alpha = shrinkage_value(view, shrinkage)
        return hscore_value(whitened_deviations(view, alpha), min(view.rank, view.n_targets))


class HScoreParts(NamedTuple):
    """Everything the H-score family derives from one set of statistics.

    ``value`` is the (shrunk) H-score, ``M`` the whitened target deviations (its squared
    singular values are the components), ``rank`` the numerical rank of the features,
    ``n_targets`` the dimension of the target space (C - 1 for C classes), ``n`` the total
    weight, ``alpha`` the shrinkage used (0 for the plain score), ``null_mean`` the mean of
    the score when the targets are independent of the features (see :func:`chance_level`),
    ``bound = min(rank, n_targets)``, the largest value the score can take,
    ``n_features`` the number of feature columns, and ``adjusted`` the chance-adjusted
    score (:func:`adjusted_plain_score` without shrinkage,
    :func:`~skhscore._chance.shrunk_adjusted_score` with it).
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
    adjusted: float


def chance_level(view, alpha=0.0):
    """Mean of the H-score when the targets are exchangeable with respect to the features.

    For the plain score, ``E0 = rank * q / (n - 1)`` with q the target dimension (C - 1): the
    mean of Pillai's trace under the null, and also, exactly, its mean over all permutations
    of the targets (the averaged projection on the permuted target span is ``q / (n - 1)``
    times the centring projection). The same argument gives the shrunk score's permutation
    mean in closed form, ``q / (n - 1) * tr(Sigma_a^-1 (1 - a) Sigma)``
    ``= q / (n - 1) * (k - a t tr(Sigma_a^-1))`` (t = tr(Sigma) / k), since the shrinkage
    intensity depends on the features only. ``n`` is the total weight (frequency weights).
    """
    n = view.n
    if n <= 1:
        raise ValueError(
            f"The sample weights sum to {n:g}, but the chance level of the H-score treats "
            "them as frequency weights (counts of observations) and needs a total above 1: "
            "rescale the weights so that they sum to the number of observations."
        )
    if alpha == 0.0:
        return view.rank * view.n_targets / (n - 1)
    factor, t = shrunk_covariance_factor(view, alpha)
    if factor is None:
        return 0.0
    k = factor.shape[0]
    inverse = lapack.dtrtri(factor, lower=1)[0]
    explained = k - alpha * t * float(np.sum(inverse**2))
    return view.n_targets / (n - 1) * min(max(explained, 0.0), k)


def hscore_parts(stats, shrinkage=None):
    """Compute :class:`HScoreParts` of validated statistics."""
    with single_blas_thread():
        return _parts(stats, shrinkage)


def _parts(stats, shrinkage):
    view = scorable_view(stats)
    alpha = shrinkage_value(view, shrinkage)
    bound = min(view.rank, view.n_targets)
    null_mean = chance_level(view, alpha)
    if alpha == 0.0:
        M = whitened_deviations(view, alpha)
        value = hscore_value(M, bound)
        # shrinkage asked for but of intensity 0 (Ledoit-Wolf on one column): the shrunk
        # family's ceiling, the task's q dimensions, as :mod:`skhscore._chance` explains
        ceiling = bound if shrinkage is None else view.n_targets
        adjusted = adjusted_plain_score(value, null_mean, ceiling, view.n, view.n_features)
    else:
        W = shrunk_whitened_deviations(view, alpha)
        M = np.sqrt(1.0 - alpha) * W
        value = hscore_value(M, bound)
        adjusted = shrunk_adjusted_score(view, alpha, float(np.sum(W**2)))
    return HScoreParts(
        value,
        M,
        view.rank,
        view.n_targets,
        view.n,
        alpha,
        null_mean,
        bound,
        view.n_features,
        adjusted,
    )


def adjusted_plain_score(value, null_mean, bound, n, n_features):
    """Plain chance-adjusted score ``(H - E0) / (min(rank, q) - E0)``; 0 when saturated.

    Saturated: rank >= n - 1 or at least as many feature columns as samples (k >= n). There
    every generic feature set separates the sample perfectly, so H = min(rank, q) whatever
    the features encode, and the chance level E0 is at (rank >= n - 1) or within noise of
    (duplicated rows: rank = n - 2, ...) that same ceiling: the ratio is 0 / 0 or noise
    whose null standard deviation is about sqrt(2 rank / (q (n - 1) (n - 1 - rank))), of
    order 1. The plain adjusted score is then defined as 0, the value of no evidence either
    way, for every saturated feature set alike. The shrunk adjusted score
    (:func:`~skhscore._chance.shrunk_adjusted_score`) stays informative there.
    """
    room = bound - null_mean
    saturated = n_features >= n or room <= 1e-12 * max(bound, 1)
    if bound == 0 or saturated:
        return 0.0
    return float((value - null_mean) / room)


def score_from_parts(parts, *, adjusted=False, normalize=None):
    """The number ``h_score`` returns for given parts and options."""
    if adjusted and normalize is not None:
        raise ValueError(
            "adjusted=True already puts the score on a common scale (0 at chance, 1 at "
            f"the maximum); pass normalize=None with it, not normalize={normalize!r}."
        )
    if adjusted:
        return parts.adjusted
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
        the sum of the q largest eigenvalues of ``Sigma_a^-1 Sigma``; features of rank r < q
        are measured against the task's q dimensions (``q / r`` times the sum of their r
        eigenvalues), so that a narrow candidate is not scored against its own maximum.
        ``h_score(X, y, shrinkage="auto", adjusted=True)`` is the score the model-selection
        tools use by default (:class:`HScoreScorer`, :class:`TransferabilitySelector`,
        ``skhscore rank``).
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
    pseudo-inverse value. The rank rule is decided on the correlation scale, so it is
    invariant to column scales (a column in units of 1e-33 counts like any other):
    constant columns (spread within 8 ulps of their magnitude) are dropped, and a direction
    is dropped when its singular value relative to the column norms is at most
    ``max(512 u, 2**-40)``, u the unit roundoff of the input (float32: ``2**-24``, so about
    3e-5; float64: about 9e-13), i.e. when the input's precision (or the rounding residue of
    the float64 computation that made the features) cannot tell it from noise.
    Every other direction is kept: where the scatter matrix cannot resolve it (condition
    numbers beyond ~1e4 on the correlation scale, or a rank deficiency on float64 input)
    the engine refines from the data (a Householder QR of the centred features) instead of
    truncating. A column produced by cancellation (e.g. values of 1e-13 that are rounding
    residues of O(1) computations) cannot be told from a legitimate tiny unit by the data
    alone and is counted; drop such columns before scoring.

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
    if adjusted and normalize is None and shrinkage is not None and target == "classification":
        # a dense array wider than its sample: the spectrum from the n x n Gram matrix
        value = adjusted_shrunk_h_of_array(X, y, sample_weight, shrinkage)
        if value is not None:
            return value
    if adjusted or normalize is not None:
        stats = resolve_statistics(
            X, y, sample_weight, target=target, fourth_moments=shrinkage == "auto"
        )
        return score_from_parts(
            hscore_parts(stats, shrinkage), adjusted=adjusted, normalize=normalize
        )
    stats = resolve_statistics(
        X, y, sample_weight, target=target, fourth_moments=shrinkage == "auto"
    )
    return hscore_from_statistics(stats, shrinkage)
