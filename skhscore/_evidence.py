"""The maximum of LogME's evidence over (alpha, beta), from the spectrum of the features.

For a fixed ``t = alpha / beta`` the evidence is maximised by ``beta = n / q(t)``, which leaves
a profile in ``t`` alone (see :func:`_max_log_evidence`). Its supremum is either an interior
maximum, found by a grid and a golden-section search, or one of its limits at the ends,
computed in closed form: ``t -> infinity`` (uninformative features) and ``t -> 0``
(interpolation). The latter is finite only when the target lies exactly in the range of the
features and the total weight equals their rank; with more weight than rank (a duplicated
row in wide data, integer weights above 1 when n <= k, features that encode the labels) the
evidence grows without bound as the noise variance goes to zero, and the limit is +inf.
"""

import warnings

import numpy as np

from skhscore._validation import _user_stacklevel

# Search grid for t = alpha / beta, in decades relative to the largest eigenvalue of F^T F.
_GRID = np.arange(-18.0, 12.01, 0.25)
_GOLDEN_STEPS = 64


class UnboundedEvidenceWarning(UserWarning):
    """LogME's evidence has no maximum: the target is an exact linear function of the
    features on samples that weigh more than the features' rank."""


def _limit_at_zero(sigma, z2, exact, n):
    """Limit of the profile (without its constant) as ``t -> 0``, per target.

    ``q(t) ~ t sum z_i^2 / s_i`` when the target lies in the range of the features (else
    ``q -> outside > 0`` while the log-determinant grows: -inf), and the log-determinant is
    ``sum log s_i - r log t``; the ``log t`` terms leave ``(1 - r / n) / 2 log(1 / t)``:
    +inf when ``r < n``, -inf when ``r > n``, and a finite value when ``r == n``.
    """
    rank = sigma.size
    limit = np.full(z2.shape[1], -np.inf)
    if rank == 0 or not np.any(exact):
        return limit
    if np.isclose(rank, n, rtol=1e-12, atol=0.0):
        spread = np.sum(z2 / sigma[:, None], axis=0)
        finite = 0.5 * np.log(n / spread) - (0.5 / n) * np.sum(np.log(sigma))
        limit[exact] = finite[exact]
    elif rank < n:
        limit[exact] = np.inf
    return limit


def _max_log_evidence(sigma, outside, z2, n, exact):
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
    target; the supremum is the larger of that maximum and the profile's limits at
    ``t -> infinity`` (``1/2 log(n / y^T y)``) and ``t -> 0`` (see :func:`_limit_at_zero`).

    Parameters
    ----------
    sigma : ndarray of shape (r,)
        Positive eigenvalues of ``F^T F``.
    outside : ndarray of shape (T,)
    z2 : ndarray of shape (r, T)
    n : float
        Number of samples (total weight).
    exact : ndarray of bool of shape (T,)
        Targets that lie in the range of ``F`` (their ``outside`` is zero to rounding).
    """
    log2pi = np.log(2 * np.pi)
    total = outside + z2.sum(axis=0)
    at_infinity = 0.5 * np.log(n / total)
    if sigma.size == 0:  # identically zero features: the evidence of y ~ N(0, 1/beta)
        return float(_average(at_infinity, exact) - 0.5 - 0.5 * log2pi)
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
    # the supremum: the interior maximum, or a limit at one end of t
    refined = np.maximum(refined, at_infinity)
    refined = np.maximum(refined, _limit_at_zero(sigma, z2, exact, n))
    return float(_average(refined, exact) - 0.5 - 0.5 * log2pi)


def _average(values, exact):
    """Mean over targets; +inf (with a warning) when the evidence of one is unbounded."""
    if np.any(np.isposinf(values)):
        warnings.warn(
            "LogME is +inf here: the target is an exact linear function of the features "
            f"({int(np.sum(np.isposinf(values)))} of {values.size} target columns) on "
            "samples that weigh more than the features' rank, so the evidence grows without "
            "bound as the noise variance goes to 0. This happens with features that encode "
            "the labels, or with duplicated rows (or integer sample weights above 1) when "
            "n_samples <= n_features: drop duplicated rows, or compare fewer features than "
            "samples.",
            UnboundedEvidenceWarning,
            stacklevel=_user_stacklevel(),
        )
        return np.inf
    return float(np.mean(values))


def _evidence_from_gram(gram, cross, yy, n, n_rows):
    """LogME from ``F^T F`` (k x k), ``F^T Y`` (k x T), ``diag(Y^T Y)`` and ``n``.

    Eigenvalues within rounding of zero (at most ``k * eps`` times the largest) are exact
    zeros of a rank-deficient ``F^T F``: the part of ``F^T y`` along them is rounding noise
    and is dropped. ``z_i^2 = x_i^2 / s_i`` with ``x = V^T F^T y``. When the rank equals the
    number of rows ``n_rows``, every ``y`` lies in the range of ``F``; otherwise a target
    whose part outside the range is within ``16 k eps`` of ``y^T y`` (the rounding of the
    difference ``y^T y - sum z_i^2``) lies in it.
    """
    sigma, vectors = np.linalg.eigh(gram)
    keep = sigma > sigma[-1] * gram.shape[0] * np.finfo(np.float64).eps
    sigma = sigma[keep]
    z2 = (vectors[:, keep].T @ cross) ** 2 / sigma[:, None]
    if sigma.size >= n_rows:
        outside = np.zeros_like(yy)
    else:
        outside = np.maximum(yy - z2.sum(axis=0), 0.0)
        tolerance = 16 * gram.shape[0] * np.finfo(np.float64).eps * yy
        outside[outside <= tolerance] = 0.0
    return _max_log_evidence(sigma, outside, z2, n, outside == 0)


def _evidence_from_svd(F, Y, n):
    """LogME from the thin SVD of ``F`` (rows already scaled by sqrt(weight)).

    Singular values within rounding of zero (at most ``max(n, k) * eps`` times the largest)
    are exact zeros: the part of y along them is outside the range of ``F``. That part is
    computed as an explicit residual (its rounding error is then proportional to its size,
    which matters: near interpolation the evidence depends on it at the 1e-8 level), and is
    exactly zero when ``F`` has full row rank; a residual within ``16 max(n, k) eps`` of
    ``||y||`` is rounding, and the target lies in the range of ``F``.
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
        tolerance = (16 * max(F.shape) * np.finfo(np.float64).eps) ** 2
        outside[outside <= tolerance * np.einsum("ij,ij->j", Y, Y)] = 0.0
    return _max_log_evidence(s[keep] ** 2, outside, z**2, n, outside == 0)
