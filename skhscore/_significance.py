"""The H-score as a statistic: Pillai's test, permutation test, chance level, components.

The H-score is exactly Pillai's trace of a one-way MANOVA of the features on the labels (of
the multivariate regression on a continuous or multi-hot target). Its null distribution is
known, so a raw score can be turned into a p-value and a chance-adjusted score, and its
per-direction parts, the squared canonical correlations, say how many directions of the
features carry the signal.
"""

import warnings
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import scipy.sparse as sp
from scipy import stats as sps
from scipy.linalg import solve_triangular
from sklearn.utils import check_random_state

from skhscore._constraints import SHRINKAGE_CONSTRAINT, TARGET_CONSTRAINT
from skhscore._engine import (
    CrossMomentStatistics,
    HScoreStatistics,
    check_targets,
    resolve_statistics,
)
from skhscore._hscore import hscore_parts, shrunk_covariance_factor
from skhscore._sklearn_compat import Interval, StrOptions, validate_params
from skhscore._validation import check_features, check_labels, check_sample_weight

# Elements of the (batch x classes x rank) block formed per batch of permutations.
_BATCH_ELEMENTS = 2**22


@dataclass(frozen=True, repr=False, eq=False)
class HScoreTestResult:
    """Result of :func:`h_score_test`, in the style of :mod:`scipy.stats` results.

    Unpacks as ``statistic, pvalue = h_score_test(X, y)``.

    Attributes
    ----------
    statistic : float
        The H-score (Pillai's trace), or the shrunk H-score.
    pvalue : float
        Probability, under the null hypothesis that the target is independent of the
        features, of a score at least as large as ``statistic``.
    null_mean : float
        Mean of the score under the null, ``E0 = rank q / (n - 1)`` for the plain score
        (exact, both under the Gaussian null and over permutations of the target; q = C - 1
        or the target rank); for the shrunk score, its exact mean over permutations.
    adjusted : float
        The chance-adjusted score ``(statistic - E0) / (M - E0)``, as returned by
        ``h_score(..., adjusted=True)``: M is ``min(rank, q)`` for the plain score and the
        largest shrunk score any labelling of the features can reach with shrinkage.
    df : tuple of (float, float) or None
        Numerator and denominator degrees of freedom of Pillai's F approximation (None for
        the permutation test; NaN when the test is degenerate).
    f_statistic : float
        Pillai's F approximation of the statistic (NaN for the permutation test and when
        the test is degenerate).
    components : ndarray of shape (min(rank, q),)
        The squared canonical correlations between the features and the target, in
        decreasing order; they sum to ``statistic`` (with shrinkage, the squared singular
        values of the shrunk whitened deviations, which sum to the shrunk score).
    method : {"pillai", "permutation"}
        How the p-value was computed.
    null_distribution : ndarray of shape (n_permutations,) or None
        The scores of the permuted targets (permutation test only).
    """

    statistic: float
    pvalue: float
    null_mean: float
    adjusted: float
    df: tuple | None
    f_statistic: float
    components: np.ndarray
    method: str
    null_distribution: np.ndarray | None = None

    def __iter__(self):
        yield self.statistic
        yield self.pvalue

    def __repr__(self):
        shown = np.array2string(
            self.components, precision=4, threshold=8, edgeitems=3, separator=", "
        )
        df = "None" if self.df is None else f"({self.df[0]:g}, {self.df[1]:g})"
        return (
            f"HScoreTestResult(statistic={self.statistic:.6g}, pvalue={self.pvalue:.4g}, "
            f"null_mean={self.null_mean:.6g}, adjusted={self.adjusted:.6g}, df={df}, "
            f"f_statistic={self.f_statistic:.6g}, components={shown}, "
            f"method={self.method!r})"
        )


def pillai_f_test(value, rank, n_targets, n):
    """Pillai's F approximation of the p-value of a trace ``value``.

    ``rank`` and ``n_targets`` are the dimensions p and q of the two sides, ``n`` the number
    of observations (N = n - 1 total degrees of freedom after the intercept). Returns
    ``(f_statistic, (df1, df2), pvalue, degenerate)``; ``degenerate`` is None or a string
    saying why the null distribution is a point mass (the p-value is then 1).

    With s = min(p, q), m = (|p - q| - 1) / 2 and r = (N - q - p - 1) / 2:
    F = (2r + s + 1) / (2m + s + 1) V / (s - V), df = (s (2m + s + 1), s (2r + s + 1)).
    When p + q > N the two column spaces meet in u = p + q - N dimensions, so u canonical
    correlations equal 1 whatever the data (r < -1/2); the others are those of the
    complements, so ``V - u`` is tested as a trace of dimensions (N - p, N - q) (whose r is
    (u - 1) / 2). When min(N - p, N - q) <= 0 the sample is saturated: V = min(p, q)
    for any data, and no test is possible.
    """
    total = n - 1
    s = min(rank, n_targets)
    if s == 0:
        return np.nan, (np.nan, np.nan), 1.0, "the features are constant (rank 0)"
    p, q, v = float(rank), float(n_targets), float(value)
    forced = p + q - total
    if forced > 0:
        p, q, v = total - p, total - q, v - forced
        s = min(p, q)
        if s <= 0:
            return (
                np.nan,
                (np.nan, np.nan),
                1.0,
                f"the sample is saturated (rank {rank} >= n - 1 = {total:g} or at most one "
                f"sample per target dimension): every feature set scores "
                f"{min(rank, n_targets)}",
            )
        v = max(v, 0.0)
    m = (abs(p - q) - 1.0) / 2.0
    r = (total - q - p - 1.0) / 2.0
    df = (s * (2 * m + s + 1), s * (2 * r + s + 1))
    if v >= s:  # perfect separation with error degrees of freedom left
        return np.inf, df, 0.0, None
    f_stat = (2 * r + s + 1) / (2 * m + s + 1) * v / (s - v)
    return float(f_stat), df, float(sps.f.sf(f_stat, *df)), None


def _components(M, bound):
    if M.size == 0:
        return np.zeros(0)
    singular = np.linalg.svd(M, compute_uv=False)
    return np.clip(np.sort(singular**2)[::-1][:bound], 0.0, 1.0)


def _rows(X, weights):
    """Dense float64 rows of positive weight."""
    X = X.toarray() if sp.issparse(X) else X
    X = np.array(X, dtype=np.float64)
    return X if weights is None else X[weights > 0]


def _whitened_feature_rows(X, view, alpha):
    """Rows z_i with ``H = sum_c ||sum_{i in c} w_i z_i||^2 / W_c`` for every labelling.

    ``view`` is the statistics' view; ``X`` the rows of positive weight. Plain score:
    ``Z^T W Z = I`` on the pivoted columns; shrunk score:
    ``z_i = sqrt((1 - a) / n) L_a^-1 (x_i - mean)``.
    """
    if alpha == 0.0:
        return view.whiten_rows(X)
    x = view.centred_rows(X)
    factor, _ = shrunk_covariance_factor(view, alpha)
    if factor is None:
        return np.zeros((x.shape[0], 0))
    return np.sqrt((1.0 - alpha) / view.n) * solve_triangular(factor, x.T, lower=True).T


def _permutations(rng, n_rows, size):
    return np.argsort(rng.random_sample((size, n_rows)), axis=1)


def _class_null(Z, codes, n_classes, w, n_permutations, rng):
    """Scores of the permuted labellings (and of the observed one, first)."""
    n_rows, rank = Z.shape
    w = np.ones(n_rows) if w is None else w
    WZ = Z * w[:, None]
    batch = max(1, _BATCH_ELEMENTS // max(1, n_classes * max(rank, 1) + n_rows))
    scores = []
    todo = n_permutations + 1
    first = True
    while todo > 0:
        size = min(batch, todo)
        perms = _permutations(rng, n_rows, size)
        if first:
            perms[0] = np.arange(n_rows)
            first = False
        labels = codes[perms] + n_classes * np.arange(size)[:, None]
        onehot = sp.csr_matrix(
            (np.ones(size * n_rows), (labels.ravel(), np.tile(np.arange(n_rows), size))),
            shape=(size * n_classes, n_rows),
        )
        sums = onehot @ WZ
        weights = onehot @ w
        per_class = np.einsum("ij,ij->i", sums, sums) / weights
        scores.append(per_class.reshape(size, n_classes).sum(axis=1))
        todo -= size
    scores = np.concatenate(scores)
    return scores[0], scores[1:]


def _regression_null(Zx, Y, view, w, n_permutations, rng):
    """Scores of the permuted targets (and of the observed one, first).

    Unweighted, the whitened targets are computed once and each permutation costs one
    (rank_x x n) by (n x rank_y) product. With weights the permuted targets meet other
    weights, so their weighted mean and scatter are recomputed per permutation (a batched
    q x q eigendecomposition, with the pseudo-inverse semantics of the engine).
    """
    n_rows = Zx.shape[0]
    y, whiten = view.target_rows(Y)
    scores = np.empty(n_permutations + 1)
    if w is None:
        Zy = whiten((y - y.mean(axis=0)).T).T
        Zy -= Zy.mean(axis=0)
    else:  # a well-conditioned basis of the target first: the per-permutation eigenvalue
        # cut-off below then never meets an ill-conditioned target, only a reweighted one
        y = whiten((y - w @ y / w.sum()).T).T
    batch = max(1, _BATCH_ELEMENTS // max(1, n_rows * y.shape[1]))
    done = 0
    while done < n_permutations + 1:
        size = min(batch, n_permutations + 1 - done)
        perms = _permutations(rng, n_rows, size)
        if done == 0:
            perms[0] = np.arange(n_rows)
        if w is None:
            products = Zx.T @ Zy[perms]  # (size, rank_x, rank_y)
            scores[done : done + size] = np.einsum("bij,bij->b", products, products)
        else:
            yp = y[perms]  # (size, n, q)
            yp = yp - (w @ yp / w.sum())[:, None, :]
            wy = yp * w[:, None]
            y_scatter = np.swapaxes(yp, 1, 2) @ wy  # (size, q, q)
            cross_p = Zx.T @ wy  # (size, rank_x, q)
            scale = np.sqrt(np.einsum("bii->bi", y_scatter))
            corr = y_scatter / (scale[:, :, None] * scale[:, None, :])
            eigval, eigvec = np.linalg.eigh(corr)
            keep = eigval > 1e-10 * eigval[:, -1:]
            rotated = (cross_p / scale[:, None, :]) @ eigvec  # (size, rank_x, q)
            inverse = np.where(keep, 1.0 / np.where(keep, eigval, 1.0), 0.0)
            scores[done : done + size] = np.einsum("bij,bj->b", rotated**2, inverse)
        done += size
    return scores[0], scores[1:]


@validate_params(
    {
        "method": [StrOptions({"pillai", "permutation"})],
        "n_permutations": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "shrinkage": SHRINKAGE_CONSTRAINT,
        "target": TARGET_CONSTRAINT,
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def h_score_test(
    X,
    y=None,
    *,
    method="pillai",
    n_permutations=9999,
    random_state=None,
    shrinkage=None,
    target="classification",
    sample_weight=None,
):
    """Test whether features carry information on a target, with the H-score as statistic.

    The H-score is Pillai's trace of a one-way MANOVA of the features on the class labels
    (of the multivariate regression on a regression or multilabel target). This function
    returns it with its p-value under the null hypothesis "the target is independent of
    the features", its null mean, the chance-adjusted score and its components, the
    squared canonical correlations. Use it to see whether a score is more than the width
    bias: pure noise with k columns scores ``k (C - 1) / (n - 1)`` on average.

    Read more in the :ref:`User Guide <h_score_test>`.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features) or statistics
        Features. :class:`HScoreStatistics` or :class:`CrossMomentStatistics` are accepted
        with ``method="pillai"`` (then ``y`` and ``sample_weight`` must be None); the
        permutation test needs the samples themselves.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Class labels; or, with ``target="regression"`` or ``"multilabel"``, a continuous
        (multi-output) target or a multi-hot indicator matrix.
    method : {"pillai", "permutation"}, default="pillai"
        ``"pillai"``: Pillai's F approximation (the one of statsmodels' MANOVA), good when n
        is large compared with the number of features and classes. ``"permutation"``: the
        target is permuted ``n_permutations`` times across the samples (weights stay with
        their rows), exact in level for any n; use it for small samples, and with
        shrinkage.
    n_permutations : int, default=9999
        Number of random permutations of the permutation test. The p-value is
        ``(1 + #{permuted score >= observed}) / (n_permutations + 1)``.
    random_state : int, RandomState instance or None, default=None
        Seeds the permutations.
    shrinkage : {None, "auto", "oas"} or float in [0, 1], default=None
        Test the shrunk H-score (see :func:`h_score`) instead. Only with
        ``method="permutation"``: Pillai's null distribution is the distribution of the
        trace of the *sample* covariance; a shrunk covariance changes the statistic and its
        distribution, so the F approximation has no meaning for it.
    target : {"classification", "regression", "multilabel"}, default="classification"
        What ``y`` is; see :func:`h_score`.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights, treated as frequency weights: the sample size of the chance
        level and of the degrees of freedom is their sum (so integer weights give the same
        result as repeated rows). Rescale weights to sum to the number of observations.

    Returns
    -------
    result : HScoreTestResult
        With attributes ``statistic``, ``pvalue``, ``null_mean``, ``adjusted``, ``df``,
        ``f_statistic``, ``components``, ``method`` and ``null_distribution``.

    Warns
    -----
    RuntimeWarning
        When the test is degenerate: the features are constant, or the sample is saturated
        (numerical rank of the features >= n - 1, or at most one sample per class). Every
        feature set then scores the same, ``min(rank, q)``; the p-value is 1 (so is the
        permutation p-value, for the same reason), ``f_statistic`` and ``df`` are NaN and
        ``adjusted`` is 0 without shrinkage. Use shrinkage with ``method="permutation"``
        in that regime (the shrunk ``adjusted`` stays informative there).

    See Also
    --------
    h_score : the score alone, or its chance-adjusted form (``adjusted=True``).

    Notes
    -----
    Degrees of freedom use the numerical rank of the features (k columns of rank r count as
    r) and q = C - 1 (the rank of the target for regression). With s = min(r, q),
    ``m = (|r - q| - 1) / 2`` and ``r' = (n - q - r - 2) / 2``, Pillai's approximation is
    ``F = (2r' + s + 1) / (2m + s + 1) V / (s - V)`` on ``(s (2m + s + 1), s (2r' + s + 1))``
    degrees of freedom, the same as statsmodels' ``MANOVA.mv_test``. When r + q > n - 1
    (more features and classes than samples, though not saturated), u = r + q - n + 1
    canonical correlations equal 1 for any data and statsmodels' formula is no longer
    uniform under the null; the remaining correlations are those of the orthogonal
    complements, so ``V - u`` is tested with dimensions (n - 1 - r, n - 1 - q) instead
    (``df`` and ``f_statistic`` then refer to that reduced problem). A score of exactly
    ``s`` with error degrees of freedom left (perfect separation) gives F = inf and p = 0.

    The permutation test computes the whitened features once: only the class sums (the
    target) change under a permutation, so each permutation costs one sparse product.

    References
    ----------
    .. [1] K. C. S. Pillai, "Some new test criteria in multivariate analysis", Annals of
       Mathematical Statistics 26 (1955), 117-121.
    .. [2] Y. Bao et al., "An Information-Theoretic Approach to Transferability in Task
       Transfer Learning", ICIP 2019, arXiv:2212.10082.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_iris
    >>> from skhscore import h_score_test
    >>> X, y = load_iris(return_X_y=True)
    >>> result = h_score_test(X, y)
    >>> round(result.statistic, 4), result.df
    (1.1919, (8.0, 290.0))
    >>> bool(result.pvalue < 1e-50), round(result.null_mean, 4)
    (True, 0.0537)
    >>> np.round(result.components, 4).tolist()  # squared canonical correlations
    [0.9699, 0.222]
    >>> noise = np.random.default_rng(0).normal(size=(150, 4))
    >>> h_score_test(noise, y, method="permutation", n_permutations=999,
    ...              random_state=0).pvalue > 0.05
    True
    """
    if shrinkage is not None and method == "pillai":
        raise ValueError(
            "Pillai's p-value has no meaning for a shrunk covariance: its null distribution "
            "is that of the trace computed with the sample covariance, and shrinkage changes "
            "both the statistic and its distribution. Use method='permutation' to test the "
            "shrunk H-score, or shrinkage=None for Pillai's test."
        )
    is_statistics = isinstance(X, (HScoreStatistics, CrossMomentStatistics))
    if method == "permutation" and is_statistics:
        raise ValueError(
            f"The permutation test permutes the targets across samples, so it needs the "
            f"samples themselves, not a {type(X).__name__} object: pass X and y, or use "
            "method='pillai'."
        )
    stats = resolve_statistics(X, y, sample_weight, target=target)
    parts = hscore_parts(stats, shrinkage)
    adjusted = parts.adjusted
    components = _components(parts.M, parts.bound)

    if method == "pillai":
        f_stat, df, pvalue, degenerate = pillai_f_test(
            parts.value, parts.rank, parts.n_targets, parts.n
        )
        if degenerate is not None:
            _warn_degenerate(degenerate)
        return HScoreTestResult(
            statistic=parts.value,
            pvalue=pvalue,
            null_mean=parts.null_mean,
            adjusted=adjusted,
            df=df,
            f_statistic=f_stat,
            components=components,
            method="pillai",
        )

    rng = check_random_state(random_state)
    X = check_features(X)
    weights = check_sample_weight(sample_weight, X.shape[0])
    rows = _rows(X, weights)
    w = None if weights is None else weights[weights > 0]
    view = stats.moments()
    if isinstance(stats, CrossMomentStatistics):
        Zx = _whitened_feature_rows(rows, view, parts.alpha)
        Y = check_targets(y, X.shape[0], target)
        observed, null = _regression_null(Zx, _rows(Y, weights), view, w, n_permutations, rng)
    else:
        Zx = _whitened_feature_rows(rows, view, parts.alpha)
        _, codes = check_labels(y, X.shape[0])
        codes = codes if weights is None else codes[weights > 0]
        _, codes = np.unique(codes, return_inverse=True)
        observed, null = _class_null(Zx, codes.ravel(), codes.max() + 1, w, n_permutations, rng)
    # permuted scores that tie with the observed one (to rounding) count as exceeding it
    tolerance = 1e-9 * max(abs(observed), 1.0)
    pvalue = (1.0 + np.count_nonzero(null >= observed - tolerance)) / (n_permutations + 1.0)
    if parts.alpha == 0.0:
        degenerate = pillai_f_test(parts.value, parts.rank, parts.n_targets, parts.n)[3]
        if degenerate is not None:
            _warn_degenerate(degenerate)
    return HScoreTestResult(
        statistic=parts.value,
        pvalue=float(pvalue),
        null_mean=parts.null_mean,
        adjusted=adjusted,
        df=None,
        f_statistic=np.nan,
        components=components,
        method="permutation",
        null_distribution=null,
    )


def _warn_degenerate(reason):
    warnings.warn(
        f"The H-score test is degenerate: {reason}. The score cannot tell these features "
        "from chance; the p-value is 1. With more columns than samples, use "
        "shrinkage='auto' with method='permutation'.",
        RuntimeWarning,
        stacklevel=3,
    )
