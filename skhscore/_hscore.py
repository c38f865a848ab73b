"""The H-score of Bao et al. (ICIP 2019) and its shrinkage variant, from sufficient statistics."""

from numbers import Real

import numpy as np
from scipy.linalg import cholesky, lapack, solve_triangular

from skhscore._sklearn_compat import Interval, StrOptions, validate_params
from skhscore._statistics import HScoreStatistics

#: Rank tolerance of the plain H-score, relative, on the correlation scale: a column is
#: dropped when the share of its variance left unexplained by the columns kept before it is at
#: most this (a pivoted Cholesky factorisation decides which columns to keep).
RANK_TOL = 1e-10


def resolve_statistics(X, y, sample_weight=None, scatter_dtype=np.float64):
    """Return the statistics of ``(X, y)``, or ``X`` itself when it already is statistics."""
    if isinstance(X, HScoreStatistics):
        if y is not None or sample_weight is not None:
            raise ValueError(
                "When X is an HScoreStatistics object it already holds the labels and "
                "weights: pass y=None and sample_weight=None."
            )
        return X
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


def check_scorable(stats):
    """Refuse statistics on which no H-score is defined."""
    stats._check_built()
    if stats.n_samples_seen_ < 2:
        raise ValueError(f"Found {stats.n_samples_seen_} sample; the H-score needs at least 2.")
    if stats.classes_.shape[0] < 2:
        raise ValueError(
            f"y has a single class ({stats.classes_[0]!r}); the H-score needs at least two "
            "classes. If this is one fold of a cross-validation, the folds are probably not "
            "stratified: use sklearn.model_selection.StratifiedKFold."
        )


def whitened_class_deviations(stats):
    """Class deviations whitened by the pseudo-inverse square root of the scatter.

    Returns ``(M, rank)`` with ``M`` of shape (rank, n_classes) such that
    ``H = ||M||_F^2 = tr(pinv(S) B)`` and the squared singular values of ``M`` are the squared
    canonical correlations between the features and the one-hot labels. The rank is decided
    on the correlation scale with tolerance :data:`RANK_TOL` by LAPACK's pivoted Cholesky.
    """
    scatter, deviations, varying = stats._scaled_moments()
    keep = np.flatnonzero(varying)
    n_classes = deviations.shape[0]
    if keep.size == 0:
        return np.zeros((0, n_classes)), 0
    scatter = scatter[np.ix_(keep, keep)]
    norms = np.sqrt(np.diag(scatter))
    correlation = scatter / np.outer(norms, norms)
    targets = deviations[:, keep].T / norms[:, None]
    factor, pivots, rank, info = lapack.dpstrf(correlation, tol=RANK_TOL, lower=1)
    if info < 0:  # pragma: no cover - LAPACK argument error, a bug on our side
        raise RuntimeError(f"dpstrf failed with info={info}")
    pivots = pivots[:rank] - 1  # LAPACK pivots are 1-based
    M = solve_triangular(factor[:rank, :rank], targets[pivots], lower=True, check_finite=False)
    return M, rank


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
    if shrinkage == "auto":
        beta = (stats._m4 / n - fro2) / (n_features * n)
        delta = (fro2 - trace**2 / n_features) / n_features
        beta = min(beta, delta)
        return 0.0 if beta == 0 else beta / delta
    # "oas"
    alpha = fro2 / n_features**2
    mu2 = (trace / n_features) ** 2
    den = (n + 1) * (alpha - mu2 / n_features)
    return 1.0 if den == 0 else min((alpha + mu2) / den, 1.0)


def shrunk_whitened_class_deviations(stats, alpha):
    """Class deviations whitened by the shrunk covariance (alpha > 0).

    ``Sigma_a = (1 - a) S / n + a (tr(S / n) / k) I``; returns ``M`` with
    ``||M||_F^2 = tr(Sigma_a^-1 (1 - a) Sigma_B)``.
    """
    n = stats.weight_sum_
    scatter, deviations, _ = stats._scaled_moments()
    to_global = stats._to_global_scale()
    cov = scatter * np.outer(to_global, to_global) / n
    between_root = (deviations * to_global).T / np.sqrt(n)
    target = np.trace(cov) / cov.shape[0]
    if target == 0:  # every column constant: no information
        return np.zeros((0, deviations.shape[0]))
    shrunk = (1.0 - alpha) * cov
    shrunk.flat[:: cov.shape[0] + 1] += alpha * target
    factor = cholesky(shrunk, lower=True, check_finite=False)
    return np.sqrt(1.0 - alpha) * solve_triangular(
        factor, between_root, lower=True, check_finite=False
    )


def hscore_from_statistics(stats, shrinkage=None):
    """H-score of validated statistics; the core every public door calls."""
    check_scorable(stats)
    alpha = 0.0 if shrinkage is None else shrinkage_value(stats, shrinkage)
    if alpha == 0.0:
        M, rank = whitened_class_deviations(stats)
        bound = min(rank, stats.classes_.shape[0] - 1)
        return float(np.clip(np.sum(M**2), 0.0, bound))
    M = shrunk_whitened_class_deviations(stats, alpha)
    return float(max(np.sum(M**2), 0.0))


@validate_params(
    {
        "shrinkage": [None, StrOptions({"auto", "oas"}), Interval(Real, 0, 1, closed="both")],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def h_score(X, y=None, *, shrinkage=None, sample_weight=None):
    """H-score of features for a classification task (Bao et al., ICIP 2019).

    ``H(F) = tr(pinv(cov(F)) cov(E[F | y]))``: how much of the label information the
    features expose linearly, computed in closed form without training a classifier. It
    equals Pillai's trace of a one-way MANOVA of the features on the labels and the sum of
    the squared canonical correlations between the features and the one-hot labels, so it
    lies in ``[0, min(rank, C - 1)]`` for C classes. Greater is better.

    Read more in the :ref:`User Guide <h_score>`.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features) or HScoreStatistics
        Features (one row per sample), e.g. the output of a feature extractor. Integer,
        float32 and sparse input give the same value as float64 dense input. Pass
        precomputed :class:`HScoreStatistics` to score streamed data (then ``y`` and
        ``sample_weight`` must be None). A Dask array is reduced block by block; with
        ``sklearn.set_config(array_api_dispatch=True)`` a torch or CuPy array is reduced on
        its own device.
    y : array-like of shape (n_samples,)
        Class labels of any sortable type (strings, non-contiguous integers, ...).
    shrinkage : {None, "auto", "oas"} or float in [0, 1], default=None
        None gives the paper's estimator, with the pseudo-inverse of the feature covariance.
        Otherwise the covariance is shrunk towards a multiple of the identity,
        ``Sigma_a = (1 - a) Sigma + a tr(Sigma) / k I``, and the score is
        ``tr(Sigma_a^-1 (1 - a) Sigma_B)`` (the regularized H-score of Ibrahim et al.,
        2022): "auto" takes ``a`` from Ledoit-Wolf, "oas" from the Oracle Approximating
        Shrinkage, a float fixes it (as in
        :class:`~sklearn.discriminant_analysis.LinearDiscriminantAnalysis`). The shrunk
        score is not invariant to rescaling columns: standardise features measured in
        different units first.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative sample weights; an integer weight gives the same score as repeating
        the row that many times.

    Returns
    -------
    score : float
        The H-score.

    See Also
    --------
    HScoreStatistics : sufficient statistics, to score data streamed in batches.

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
    """
    stats = resolve_statistics(X, y, sample_weight)
    return hscore_from_statistics(stats, shrinkage)
