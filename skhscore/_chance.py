"""The chance-adjusted shrunk H-score, computed from the spectrum of the feature covariance.

With the shrunk covariance ``Sigma_a = (1 - a) Sigma + a t I`` (``t = tr(Sigma) / k``), the
shrunk H-score ``H_a = tr(Sigma_a^-1 (1 - a) Sigma_B)`` has, over permutations of the labels,
the mean ``E0 = q / (n - 1) tr(Sigma_a^-1 (1 - a) Sigma)`` (q = C - 1) and, over all
labellings, the maximum ``M = (1 - a)`` times the sum of the q largest eigenvalues of
``Sigma_a^-1 Sigma`` (``Sigma_B <= Sigma`` has rank at most q: Ky Fan). The adjusted score is
``(H_a - E0) / (M - E0)``: 0 on average for labels independent of the features, 1 for the
best labelling these features allow, negative below chance. At ``a = 0`` it is the plain
chance-adjusted score (``M = min(rank, q)``). ``Sigma_a`` shares the eigenvectors of
``Sigma``, so E0 and M follow from the eigenvalues of ``Sigma`` alone, and the factor
``(1 - a)`` cancels (it is left out, which keeps ``a = 1`` defined); ``H_a`` is one Cholesky
solve.

Two ways, both exact: from the k x k covariance (held by the statistics, or of a dense
array with more samples than columns), or, for a dense array with at most as many samples
as columns, from the n x n Gram matrix ``G`` of the centred rows (O(n^2 k) instead of
O(n k^2 + k^3)): its nonzero eigenvalues are n times those of the covariance, and by
Woodbury ``tr(Sigma_a^-1 Sigma_B) = tr(P G (c I + G)^-1 P^T) / (1 - a)``, ``c = n a t /
(1 - a)``, with P the n -> C class-averaging map. The Ledoit-Wolf and OAS intensities are
functions of ``tr(S)``, ``||S||_F^2`` and ``sum_i ||x_i - mu||^4``, which both give.
"""

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cho_factor, cho_solve, cholesky, eigvalsh, solve_triangular

#: Relative size (to the largest) below which a covariance eigenvalue counts as zero.
EIGEN_TOL = 1e-12


def intensity(shrinkage, trace, fro2, m4, n, k):
    """Ledoit-Wolf ("auto"), OAS ("oas") or the given intensity, from moments of S.

    ``trace = tr(S)``, ``fro2 = ||S||_F^2`` and ``m4 = sum_i w_i ||x_i - mu||^4`` of the
    1/n covariance S of k columns; the formulas of :func:`sklearn.covariance.ledoit_wolf`
    and :class:`sklearn.covariance.OAS`.
    """
    if not isinstance(shrinkage, str):
        return float(shrinkage)
    if k == 1:
        return 0.0
    if shrinkage == "auto":
        beta = (m4 / n - fro2) / (k * n)
        delta = (fro2 - trace**2 / k) / k
        beta = min(beta, delta)
        return 0.0 if beta <= 0 else beta / delta
    alpha = fro2 / k**2
    mu2 = (trace / k) ** 2
    den = (n + 1) * (alpha - mu2 / k)
    return 1.0 if den <= 0 else min((alpha + mu2) / den, 1.0)


def adjusted_from_spectrum(eigenvalues, value, n, n_targets, n_features, alpha):
    """``(H_a - E0) / (M - E0)`` (see the module docstring), all three over ``(1 - a)``.

    ``eigenvalues``: those of the 1/n covariance; ``value``: ``tr(Sigma_a^-1 Sigma_B)``;
    ``n``: the total weight; ``alpha`` in (0, 1]. Returns 0 when no labelling can do better
    than chance (``M <= E0``: all eigenvalues equal and the sample saturated, or constant
    features).
    """
    lam = np.clip(eigenvalues, 0.0, None)
    if lam.size == 0 or lam.max() <= 0:
        return 0.0
    lam = lam[lam > EIGEN_TOL * lam.max()]
    t = lam.sum() / n_features
    gain = lam / ((1.0 - alpha) * lam + alpha * t)  # eigenvalues of Sigma_a^-1 Sigma
    null_mean = n_targets / (n - 1) * float(np.sum(gain))
    ceiling = float(np.sum(np.sort(gain)[::-1][:n_targets]))
    room = ceiling - null_mean
    if room <= 1e-12 * max(ceiling, 1.0):
        return 0.0
    return float(min((value - null_mean) / room, 1.0))


def _moments(eigenvalues, m4, n, k, shrinkage):
    """The intensity and the shrinkage target t from the covariance eigenvalues."""
    lam = np.clip(eigenvalues, 0.0, None)
    trace, fro2 = float(np.sum(lam)), float(np.sum(lam**2))
    return intensity(shrinkage, trace, fro2, m4, n, k), trace / k


def _shrunk_between(cov, between_root, alpha, t):
    """``tr(Sigma_a^-1 Sigma_B)`` with ``Sigma_B = between_root^T between_root``."""
    shrunk = (1.0 - alpha) * cov
    shrunk.flat[:: cov.shape[0] + 1] += alpha * t
    factor = cholesky(shrunk, lower=True, check_finite=False)
    whitened = solve_triangular(factor, between_root.T, lower=True, check_finite=False)
    return float(np.sum(whitened**2))


def _covariance_terms(cov, between_root, m4, n, shrinkage):
    """(eigenvalues, value, alpha) from a k x k 1/n covariance."""
    eigenvalues = eigvalsh(cov, check_finite=False, driver="evr")
    alpha, t = _moments(eigenvalues, m4, n, cov.shape[0], shrinkage)
    if alpha <= 0.0 or t <= 0.0:
        return eigenvalues, 0.0, 0.0
    return eigenvalues, _shrunk_between(cov, between_root, alpha, t), alpha


def statistics_terms(stats, shrinkage):
    """(eigenvalues, value, n, alpha) of the covariance held by statistics."""
    n = stats.weight_sum_
    scatter, deviations, _ = stats._scaled_moments()
    to_global = stats._to_global_scale()
    cov = scatter * np.outer(to_global, to_global) / n
    between_root = deviations * to_global / np.sqrt(n)  # rows: sqrt(w_c / n)(mu_c - mu)
    eigenvalues, value, alpha = _covariance_terms(cov, between_root, stats._m4, n, shrinkage)
    return eigenvalues, value, n, alpha


def array_terms(X, codes, n_classes, weights, shrinkage):
    """(eigenvalues, value, n, alpha) of a dense float64 array, in O(n k min(n, k)).

    ``codes``: class index of each row; ``weights``: frequency weights (zero-weight rows
    are left out). Uses the Gram matrix when there are at most as many rows as columns.
    """
    keep = weights > 0
    X, codes, weights = X[keep], codes[keep], weights[keep]
    n_rows, k = X.shape
    n = float(weights.sum())
    centred = X - (weights @ X) / n
    centred -= (weights @ centred) / n  # second pass: the rounding of a large mean
    root_w = np.sqrt(weights)
    rows = centred * root_w[:, None]
    class_weights = np.bincount(codes, weights=weights, minlength=n_classes)
    # P[c, j] = sqrt(w_j / W_c) on the rows j of class c: P @ rows = sqrt(W_c) (mu_c - mu)
    P = sp.csr_array(
        (root_w / np.sqrt(class_weights[codes]), (codes, np.arange(n_rows))),
        shape=(n_classes, n_rows),
    )
    squared_norms = np.einsum("ij,ij->i", rows, rows)
    m4 = float(np.sum(squared_norms**2 / weights))
    if n_rows > k:
        eigenvalues, value, alpha = _covariance_terms(
            rows.T @ rows / n, (P @ rows) / np.sqrt(n), m4, n, shrinkage
        )
        return eigenvalues, value, n, alpha
    gram = rows @ rows.T
    eigenvalues = eigvalsh(gram, check_finite=False, driver="evr") / n
    alpha, t = _moments(eigenvalues, m4, n, k, shrinkage)
    if alpha <= 0.0 or t <= 0.0:
        return eigenvalues, 0.0, n, 0.0
    PG = (P @ gram).T  # n x C, G symmetric
    if alpha >= 1.0:  # Sigma_a = t I: tr(Sigma_B) / t
        return eigenvalues, float(np.sum(P.T.toarray() * PG)) / (n * t), n, alpha
    ridge = gram.copy()
    ridge.flat[:: n_rows + 1] += n * alpha * t / (1.0 - alpha)
    solved = cho_solve(cho_factor(ridge, lower=True, check_finite=False), PG)
    value = float(np.sum(P.T.toarray() * solved)) / (1.0 - alpha)
    return eigenvalues, value, n, alpha


def adjusted_shrunk_h_of_array(X, y, sample_weight, shrinkage):
    """The shrunk adjusted score of a dense in-memory ``(X, y)``, or None to use statistics.

    None (the caller then builds :class:`HScoreStatistics`, which also raises the errors of
    bad input) for sparse, Dask, array-API, statistics or degenerate input: fewer than two
    samples or classes of positive weight, a total weight of at most 1, or intensity 0.
    """
    from skhscore._array_api import use_array_api
    from skhscore._dask import is_dask_collection
    from skhscore._validation import check_features, check_labels, check_sample_weight

    if not hasattr(X, "shape") or is_dask_collection(X) or use_array_api(X) or sp.issparse(X):
        return None
    if not hasattr(X, "dtype") and not hasattr(X, "dtypes"):
        return None
    X = check_features(X, min_samples=1)
    if sp.issparse(X):
        return None
    classes, codes = check_labels(y, X.shape[0])
    weights = check_sample_weight(sample_weight, X.shape[0])
    weights = np.ones(X.shape[0]) if weights is None else weights
    present = np.bincount(codes, weights=weights, minlength=classes.shape[0]) > 0
    if np.count_nonzero(weights) < 2 or np.count_nonzero(present) < 2 or weights.sum() <= 1:
        return None
    X = np.asarray(X, dtype=np.float64)
    eigenvalues, value, n, alpha = array_terms(X, codes, classes.shape[0], weights, shrinkage)
    if alpha <= 0.0:
        return None
    return adjusted_from_spectrum(eigenvalues, value, n, classes.shape[0] - 1, X.shape[1], alpha)
