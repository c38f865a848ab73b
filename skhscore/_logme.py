"""LogME (You et al., ICML 2021): the log marginal evidence of a Bayesian linear model.

For one target column ``y`` (a one-hot class indicator, or a regression target) and features
``F`` (n x k, *not* centred, no intercept: the model of the paper), the prior
``m ~ N(0, alpha^-1 I)`` and the likelihood ``y ~ N(F m, beta^-1 I)`` give the evidence

    L(alpha, beta) = k/2 log alpha + n/2 log beta - n/2 log 2 pi - beta/2 ||y - F m||^2
                     - alpha/2 ||m||^2 - 1/2 log det(alpha I + beta F^T F),

with ``m = beta (alpha I + beta F^T F)^-1 F^T y``; LogME is ``L / n`` at the fixed point of
MacKay's updates ``gamma = sum beta s_i / (alpha + beta s_i)``, ``alpha = gamma / ||m||^2``,
``beta = (n - gamma) / ||y - F m||^2`` (``s_i`` the eigenvalues of ``F^T F``), averaged over
the target columns.

Everything depends on ``(F, y)`` only through ``F^T F``, ``F^T y``, ``y^T y`` and ``n``. For a
fixed ``t = alpha / beta`` the evidence is maximised by ``beta = n / q(t)`` with
``q(t) = y^T (I + F F^T / t)^-1 y``, and ``k/2 log alpha - 1/2 log det(alpha I + beta F^T F)
= -1/2 sum log(1 + s_i / t)``: zero eigenvalues (all ``k - n`` of them when ``n < k``) drop
out exactly instead of being forgotten (the reference implementation's bug when n < k,
thuml/LogME issue #23). The stationary points of this 1-D profile are the fixed points of
MacKay's updates; its maximum is the score, which is also the limit of the evidence when the
maximum lies at ``t -> infinity`` (uninformative features) or ``t -> 0`` (interpolation),
where the fixed-point iteration runs away instead of converging.
When ``n > k`` the k x k Gram matrix comes from :class:`HScoreStatistics` (centred scatter
plus ``n mean mean^T``; class sums are ``F^T y``), so streamed statistics give the same score.
When ``n <= k`` the thin SVD of ``F`` gives the same quantities more accurately.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array, check_consistent_length

from skhscore._engine import HScoreStatistics, resolve_statistics
from skhscore._sklearn_compat import validate_params
from skhscore._validation import (
    check_features,
    check_labels,
    check_sample_weight,
    refuses_estimators,
)

# Search grid for t = alpha / beta, in decades relative to the largest eigenvalue of F^T F.
_GRID = np.arange(-18.0, 12.01, 0.25)
_GOLDEN_STEPS = 64


def _max_log_evidence(sigma, outside, z2, n):
    """Log evidence per sample, maximised over (alpha, beta), averaged over targets.

    With ``t = alpha / beta`` fixed, the evidence is maximised by ``beta = n / q(t)`` with
    ``q(t) = y^T (I + F F^T / t)^-1 y = outside + sum_i z_i^2 t / (t + s_i)``, where ``s_i``
    are the non-zero eigenvalues of ``F^T F``, ``z_i`` the projections of ``y`` on the
    matching left singular vectors of ``F`` and ``outside`` the squared norm of the part of
    ``y`` outside the range of ``F`` (every term is non-negative: no cancellation). The
    profile

        L(t) / n = 1/2 log(n / q(t)) - 1/2 - 1/(2n) sum log(1 + s_i / t) - 1/2 log(2 pi)

    has as stationary points the fixed points of MacKay's updates (where
    ``beta = (n - gamma) / ||y - F m||^2`` and ``alpha = gamma / ||m||^2``). Its maximum is
    located on a grid of t (one matrix product) and refined by a golden-section search per
    target; a maximum at the edge of the grid is the limit of uninformative features
    (``t -> infinity``) or of interpolation (``t -> 0``).

    Parameters
    ----------
    sigma : ndarray of shape (r,)
        Positive eigenvalues of ``F^T F``.
    outside : ndarray of shape (T,)
    z2 : ndarray of shape (r, T)
    n : float
        Number of samples (total weight).
    """
    log2pi = np.log(2 * np.pi)
    if sigma.size == 0:  # identically zero features: the evidence of y ~ N(0, 1/beta)
        return float(np.mean(0.5 * np.log(n / outside) - 0.5 - 0.5 * log2pi))
    scale = float(sigma.max())
    tiny_q = np.finfo(np.float64).tiny

    def profile_grid(t):  # (G,) -> (G, T)
        q = np.maximum(outside[None, :] + (t[:, None] / (t[:, None] + sigma)) @ z2, tiny_q)
        logdet = np.sum(np.log1p(sigma[None, :] / t[:, None]), axis=1)
        return 0.5 * np.log(n / q) - (0.5 / n) * logdet[:, None]

    def profile_each(t):  # (T,) -> (T,), one t per target
        ratio = t[None, :] / (t[None, :] + sigma[:, None])
        q = np.maximum(outside + np.sum(ratio * z2, axis=0), tiny_q)
        logdet = np.sum(np.log1p(sigma[:, None] / t[None, :]), axis=0)
        return 0.5 * np.log(n / q) - (0.5 / n) * logdet

    values = profile_grid(scale * 10.0**_GRID)
    best = np.argmax(values, axis=0)
    lo = np.log10(scale) + _GRID[np.maximum(best - 1, 0)]
    hi = np.log10(scale) + _GRID[np.minimum(best + 1, _GRID.size - 1)]
    # golden-section search on log10(t) within the bracket around the best grid point
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    a, b = lo, hi
    c = b - ratio * (b - a)
    d = a + ratio * (b - a)
    fc, fd = profile_each(10.0**c), profile_each(10.0**d)
    for _ in range(_GOLDEN_STEPS):
        left = fc >= fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        new_c = b - ratio * (b - a)
        new_d = a + ratio * (b - a)
        c_next = np.where(left, new_c, d)
        d_next = np.where(left, c, new_d)
        f_new = profile_each(10.0 ** np.where(left, new_c, new_d))
        fc, fd = np.where(left, f_new, fd), np.where(left, fc, f_new)
        c, d = c_next, d_next
    refined = np.maximum(np.maximum(fc, fd), values[best, np.arange(best.size)])
    return float(np.mean(refined - 0.5 - 0.5 * log2pi))


def _evidence_from_gram(gram, cross, yy, n, n_rows):
    """LogME from ``F^T F`` (k x k), ``F^T Y`` (k x T), ``diag(Y^T Y)`` and ``n``.

    Eigenvalues within rounding of zero (at most ``k * eps`` times the largest) are exact
    zeros of a rank-deficient ``F^T F``: the part of ``F^T y`` along them is rounding noise
    and is dropped. ``z_i^2 = x_i^2 / s_i`` with ``x = V^T F^T y``. When the rank equals the
    number of rows ``n_rows``, every ``y`` lies in the range of ``F``.
    """
    sigma, vectors = np.linalg.eigh(gram)
    keep = sigma > sigma[-1] * gram.shape[0] * np.finfo(np.float64).eps
    sigma = sigma[keep]
    z2 = (vectors[:, keep].T @ cross) ** 2 / sigma[:, None]
    if sigma.size >= n_rows:
        outside = np.zeros_like(yy)
    else:
        outside = np.maximum(yy - z2.sum(axis=0), 0.0)
    return _max_log_evidence(sigma, outside, z2, n)


def _evidence_from_svd(F, Y, n):
    """LogME from the thin SVD of ``F`` (rows already scaled by sqrt(weight)).

    Singular values within rounding of zero (at most ``max(n, k) * eps`` times the largest)
    are exact zeros: the part of y along them is outside the range of ``F``. That part is
    computed as an explicit residual (its rounding error is then proportional to its size,
    which matters: near interpolation the evidence depends on it at the 1e-8 level), and is
    exactly zero when ``F`` has full row rank.
    """
    u, s, _ = np.linalg.svd(F, full_matrices=False)
    keep = s > s[0] * max(F.shape) * np.finfo(np.float64).eps
    u = u[:, keep]
    z = u.T @ Y  # projections of y on the left singular vectors
    if u.shape[1] == F.shape[0]:
        outside = np.zeros(Y.shape[1])
    else:
        rest = Y - u @ z
        outside = np.einsum("ij,ij->j", rest, rest)
    return _max_log_evidence(s[keep] ** 2, outside, z**2, n)


def _classification_targets(y, n_samples, weights):
    try:
        classes, codes = check_labels(y, n_samples)
    except ValueError as exc:
        raise ValueError(
            f"{exc} For a continuous target use logme_score(X, y, regression=True)."
        ) from exc
    Y = (codes[:, None] == np.arange(classes.shape[0])).astype(np.float64)
    if weights is not None:  # classes whose samples all have weight zero are not seen
        Y = Y[:, (weights @ Y) > 0]
    return Y


def _regression_targets(y, n_samples):
    y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
    check_consistent_length(np.empty(n_samples), y)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2:
        raise ValueError(f"y must be 1-D or 2-D for regression, got shape {y.shape}.")
    return y


@refuses_estimators('make_transferability_scorer("logme")')
@validate_params(
    {
        "y": ["array-like", None],
        "regression": ["boolean"],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def logme_score(X, y=None, *, regression=False, sample_weight=None):
    """LogME: log maximum evidence of a Bayesian linear model (You et al., ICML 2021).

    For each target column (the one-hot indicator of each class, or each regression target)
    a Bayesian linear regression ``y ~ N(F m, 1/beta)``, ``m ~ N(0, I/alpha)`` of the target
    on the features is fitted by maximising its marginal likelihood (the evidence) over
    ``alpha`` and ``beta`` with MacKay's fixed-point updates; the score is the log evidence
    per sample at the fixed point, averaged over the target columns. Greater is better. It
    is a log-density, not a probability: it can be positive or negative.

    Read more in the :ref:`User Guide <logme>`.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features) or HScoreStatistics
        Features (one row per sample), used as they are: the model has no intercept and
        the features are not centred (as in the paper). Integer, float32 and sparse input
        give the float64 value. For classification, precomputed
        :class:`HScoreStatistics` can be passed instead (then ``y`` and ``sample_weight``
        must be None).
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Class labels of any sortable type when ``regression=False``; real-valued targets
        (one column per target) when ``regression=True``.
    regression : bool, default=False
        Whether ``y`` holds regression targets instead of class labels.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative frequency weights: an integer weight gives the same score as repeating
        the row that many times.

    Returns
    -------
    score : float
        The LogME score.

    See Also
    --------
    h_score : the H-score, a closed-form measure of the same linear separability.

    Notes
    -----
    The evidence depends on the data only through ``F^T F``, ``F^T y``, ``y^T y`` and
    ``n``. When ``n_samples > n_features`` these come from the sufficient statistics
    (``F^T F`` is the centred scatter plus ``n mean mean^T``, ``F^T y`` the class sums), so
    streamed :class:`HScoreStatistics` give the same score; otherwise from the thin SVD of
    ``F``. In both regimes the ``n_features - rank`` zero eigenvalues of ``F^T F`` are
    accounted for exactly, which the reference implementation's default solver gets wrong
    when ``n_samples < n_features`` (thuml/LogME issue #23). The maximum over
    ``t = alpha / beta`` (with ``beta`` in closed form) is found by a grid and a golden-section
    search rather than by iterating the fixed point from ``alpha = beta = 1``: the value is
    the same where the iteration converges (the reference stops after at most 11 iterations
    at a 1e-3 relative change, which can differ in the third digit), and where it runs away
    to ``t -> infinity`` or ``t -> 0`` the score is the limit of the evidence. With
    statistics and ``n_samples <= n_features`` the Gram route loses some digits near
    interpolation (pass the arrays instead). Labels are encoded with ``np.unique``: only the
    classes present are targets (labels such as ``{0, 5, 9}`` do not create empty classes).

    LogME is invariant to multiplying the features by a non-zero constant, to any
    orthogonal transformation of the feature space, to the order of the samples and to
    renaming the classes; it is not invariant to translating or rescaling single features.

    References
    ----------
    .. [1] K. You, Y. Liu, J. Wang, M. Long, "LogME: Practical Assessment of Pre-trained
       Models for Transfer Learning", ICML 2021.
    .. [2] K. You, Y. Liu, Z. Zhang, J. Wang, M. I. Jordan, M. Long, "Ranking and Tuning
       Pre-trained Models: A New Paradigm for Exploiting Model Hubs", JMLR 23, 2022.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skhscore import logme_score
    >>> X, y = load_iris(return_X_y=True)
    >>> round(logme_score(X, y), 4)
    -0.1601
    >>> round(logme_score(X[:, :1], y), 4)  # sepal length alone
    -0.6835
    >>> round(logme_score(X[:, :3], X[:, 3], regression=True), 4)  # predict petal width
    0.1598
    """
    if isinstance(X, HScoreStatistics):
        if regression:
            raise ValueError(
                "HScoreStatistics hold class statistics only; regression=True needs X and y."
            )
        stats = resolve_statistics(X, y, sample_weight)
        return _logme_from_statistics(stats)

    X = check_features(X, min_samples=2)
    n_samples, n_features = X.shape
    weights = check_sample_weight(sample_weight, n_samples)
    if regression:
        Y = _regression_targets(y, n_samples)
    else:
        Y = _classification_targets(y, n_samples, weights)
        if Y.shape[1] < 2:
            raise ValueError(
                "y has a single class; LogME of a classification task needs at least two. "
                "If this is one fold of a cross-validation, use StratifiedKFold."
            )
    n = float(n_samples) if weights is None else float(weights.sum())

    if not regression and n_samples > n_features:
        stats = HScoreStatistics.from_arrays(X, y, sample_weight=weights)
        return _logme_from_statistics(stats)
    if n_samples > n_features:  # regression from the Gram matrices, in float64 chunks
        gram = np.zeros((n_features, n_features))
        cross = np.zeros((n_features, Y.shape[1]))
        step = max(256, 2**23 // max(n_features, 1))
        for start in range(0, n_samples, step):
            part = X[start : start + step]
            part = part.toarray() if sp.issparse(part) else np.asarray(part, dtype=np.float64)
            part = part.astype(np.float64, copy=False)
            ypart = Y[start : start + step]
            if weights is not None:
                ypart = ypart * weights[start : start + step, None]
                cross += part.T @ ypart
                part = part * np.sqrt(weights[start : start + step])[:, None]
                gram += part.T @ part
            else:
                cross += part.T @ ypart
                gram += part.T @ part
        yy = np.einsum("ij,ij->j", Y, Y if weights is None else Y * weights[:, None])
        return _evidence_from_gram(gram, cross, yy, n, n_samples)

    F = X.toarray() if sp.issparse(X) else np.asarray(X)
    F = F.astype(np.float64)  # a copy: the caller's array is never touched
    if weights is not None:
        root = np.sqrt(weights)[:, None]
        F *= root
        Y = Y * root
    return _evidence_from_svd(F, Y, n)


def _logme_from_statistics(stats):
    """LogME of a classification task from its sufficient statistics."""
    if stats.moments().classes.shape[0] < 2:
        raise ValueError(
            "The statistics hold a single class; LogME of a classification task needs at "
            "least two. If this is one fold of a cross-validation, use StratifiedKFold."
        )
    n = stats.weight_sum_
    mean = stats.mean_
    gram = stats.scatter_ + n * np.outer(mean, mean)
    cross = stats.class_sums_.T
    return _evidence_from_gram(gram, cross, stats.class_weights_, n, stats.n_samples_seen_)
