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

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array, check_consistent_length

from skhscore._engine import HScoreStatistics, resolve_statistics
from skhscore._evidence import _evidence_from_gram, _evidence_from_svd
from skhscore._sklearn_compat import validate_params
from skhscore._validation import (
    RegressionLikeLabelsWarning,
    check_features,
    check_labels,
    check_sample_weight,
    refuses_estimators,
    rescaling_exponent,
)


def _classification_targets(y, n_samples, weights):
    try:
        classes, codes = check_labels(y, n_samples, regression_hint="regression=True")
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
    to ``t -> infinity`` or ``t -> 0`` the score is the limit of the evidence, in closed
    form. That limit is +inf, with a warning, when a target is an exact linear function of
    the features on samples that weigh more than the features' rank (features that encode
    the labels, or duplicated rows or integer weights above 1 when ``n_samples <=
    n_features``): the evidence then grows without bound as the noise variance goes to 0.
    The computation runs in power-of-two units near 1, so features (and regression targets)
    near 1e+-200 give the same score as at unit scale. With
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
        with warnings.catch_warnings():  # the labels were checked (and warned about) above
            warnings.simplefilter("ignore", RegressionLikeLabelsWarning)
            stats = HScoreStatistics.from_arrays(X, y, sample_weight=weights)
        return _logme_from_statistics(stats)
    # LogME is invariant to scaling the features by a constant and shifts by -log(c) when a
    # target is scaled by c: work in power-of-two units where products neither overflow
    # nor underflow, then add the shifts back.
    shift = rescaling_exponent(X)
    target_shifts = np.array([rescaling_exponent(column) for column in Y.T])
    if np.any(target_shifts):
        Y = np.ldexp(Y, -target_shifts)
    offset = float(np.mean(target_shifts) * np.log(2.0))
    if n_samples > n_features:  # regression from the Gram matrices, in float64 chunks
        rows = n_samples if weights is None else int(np.count_nonzero(weights))
        gram, cross, yy = _regression_moments(X, Y, weights, shift)
        return _evidence_from_gram(gram, cross, yy, n, rows) - offset

    F = X.toarray() if sp.issparse(X) else np.asarray(X)
    F = F.astype(np.float64)  # a copy: the caller's array is never touched
    if shift:
        F = np.ldexp(F, -shift, out=F)
    if weights is not None:
        root = np.sqrt(weights)[:, None]
        F *= root
        Y = Y * root
    return _evidence_from_svd(F, Y, n) - offset


def _regression_moments(X, Y, weights, shift):
    """``F^T F``, ``F^T Y`` and ``diag(Y^T Y)`` (weighted), F = X 2^-shift, in float64 chunks."""
    n_samples, n_features = X.shape
    gram = np.zeros((n_features, n_features))
    cross = np.zeros((n_features, Y.shape[1]))
    step = max(256, 2**23 // max(n_features, 1))
    for start in range(0, n_samples, step):
        part = X[start : start + step]
        part = part.toarray() if sp.issparse(part) else np.asarray(part, dtype=np.float64)
        part = part.astype(np.float64, copy=False)
        if shift:
            part = np.ldexp(part, -shift)  # a new array: part may be the caller's memory
        ypart = Y[start : start + step]
        if weights is not None:  # both sides by sqrt(w): cross = F^T W y, gram = F^T W F
            root = np.sqrt(weights[start : start + step])[:, None]
            ypart, part = ypart * root, part * root
        cross += part.T @ ypart
        gram += part.T @ part
    yy = np.einsum("ij,ij->j", Y, Y if weights is None else Y * weights[:, None])
    return gram, cross, yy


def _logme_from_statistics(stats):
    """LogME of a classification task from its sufficient statistics."""
    view = stats.moments()
    if view.classes.shape[0] < 2:
        raise ValueError(
            "The statistics hold a single class; LogME of a classification task needs at "
            "least two. If this is one fold of a cross-validation, use StratifiedKFold."
        )
    # in the view's common power-of-two units (LogME is invariant to a constant factor):
    # F^T F and F^T y of features near 1e+-200 neither overflow nor underflow
    n, mean, weights = view.n, view.mean, view.class_weights
    gram = view.scatter + n * np.outer(mean, mean)
    # F^T y_c = w_c mean_c = w_c mean + sqrt(w_c) (the class deviation)
    cross = (weights[:, None] * mean + np.sqrt(weights)[:, None] * view.deviations).T
    return _evidence_from_gram(gram, cross, weights, n, view.n_rows)
