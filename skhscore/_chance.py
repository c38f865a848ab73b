"""The chance-adjusted shrunk H-score, computed from the spectrum of the feature covariance.

With the shrunk covariance ``Sigma_a = (1 - a) Sigma + a t I`` (``t = tr(Sigma) / k``), the
shrunk H-score ``H_a = tr(Sigma_a^-1 (1 - a) Sigma_B)`` has, over permutations of the labels,
the mean ``E0 = q / (n - 1) tr(Sigma_a^-1 (1 - a) Sigma)`` (q = C - 1) and, over all
labellings, the maximum ``M = (1 - a)`` times the sum of the q largest eigenvalues of
``Sigma_a^-1 Sigma`` (``Sigma_B <= Sigma`` has rank at most q: Ky Fan). The adjusted score is
``(H_a - E0) / (M - E0)``: 0 on average for labels independent of the features, 1 for the
best labelling these features allow, negative below chance. At ``a = 0`` it is the plain
chance-adjusted score (``M = min(rank, q)``). ``Sigma_a`` shares the eigenvectors of
``Sigma``, so everything follows from one eigendecomposition, and the factor ``(1 - a)``
cancels (it is left out, which keeps ``a = 1`` defined).

Two ways to the spectrum, both exact: the eigendecomposition of the k x k covariance held by
the statistics, or, for a dense array with fewer samples than columns, that of the n x n
Gram matrix of the centred rows (O(n^2 k) instead of O(n k^2 + k^3)); the Ledoit-Wolf and
OAS intensities are functions of ``tr(S)``, ``||S||_F^2`` and ``sum_i ||x_i - mu||^4``,
which the Gram matrix gives too.
"""

import numpy as np
import scipy.sparse as sp
from scipy.linalg import eigh

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


def adjusted_from_spectrum(eigenvalues, between, n, n_targets, n_features, alpha):
    """``(H_a - E0) / (M - E0)`` (see the module docstring) from the covariance spectrum.

    ``eigenvalues``: those of the 1/n covariance; ``between``: the between-class variance
    along each eigenvector (``v_i^T Sigma_B v_i``); ``n``: the total weight; ``alpha`` in
    (0, 1]. Returns 0 when no labelling can do better than chance (``M <= E0``: all
    eigenvalues equal and the sample saturated, or constant features).
    """
    lam = np.clip(eigenvalues, 0.0, None)
    if lam.size == 0 or lam.max() <= 0:
        return 0.0
    keep = lam > EIGEN_TOL * lam.max()
    lam, between = lam[keep], np.clip(between[keep], 0.0, None)
    t = lam.sum() / n_features
    spread = (1.0 - alpha) * lam + alpha * t  # eigenvalues of Sigma_a
    gain = lam / spread  # eigenvalues of Sigma_a^-1 Sigma (over (1 - a))
    value = float(np.sum(between / spread))
    null_mean = n_targets / (n - 1) * float(np.sum(gain))
    ceiling = float(np.sum(np.sort(gain)[::-1][:n_targets]))
    room = ceiling - null_mean
    if room <= 1e-12 * max(ceiling, 1.0):
        return 0.0
    return float(min((value - null_mean) / room, 1.0))


def spectrum_from_statistics(stats, shrinkage):
    """(eigenvalues, between, n, alpha) of the covariance held by statistics."""
    n = stats.weight_sum_
    scatter, deviations, _ = stats._scaled_moments()
    to_global = stats._to_global_scale()
    cov = scatter * np.outer(to_global, to_global) / n
    between_root = deviations * to_global / np.sqrt(n)  # rows: sqrt(w_c / n)(mu_c - mu)
    k = cov.shape[0]
    trace, fro2 = float(np.trace(cov)), float(np.sum(cov**2))
    m4 = getattr(stats, "_m4", None)
    if m4 is None and shrinkage == "auto":
        raise ValueError("these statistics hold no fourth moment; pass a float shrinkage")
    alpha = intensity(shrinkage, trace, fro2, m4, n, k)
    eigenvalues, vectors = eigh(cov, check_finite=False, driver="evd")
    between = np.sum((between_root @ vectors) ** 2, axis=0)
    return eigenvalues, between, n, alpha


def spectrum_from_array(X, codes, n_classes, weights, shrinkage):
    """(eigenvalues, between, n, alpha) of a dense float64 array, in O(n k min(n, k)).

    With fewer samples than columns, from the n x n Gram matrix of the centred weighted rows
    (its eigenvalues are n times the nonzero ones of the covariance, and the between-class
    variance along each singular direction is ``gamma_i ||P u_i||^2 / n``); otherwise from
    the k x k covariance. ``codes``: class index of each row; ``weights``: frequency
    weights (zero-weight rows are left out).
    """
    keep = weights > 0
    X, codes, weights = X[keep], codes[keep], weights[keep]
    n = float(weights.sum())
    centred = X - (weights @ X) / n
    centred -= (weights @ centred) / n  # second pass: the rounding of a large mean
    root_w = np.sqrt(weights)
    rows = centred * root_w[:, None]
    class_weights = np.bincount(codes, weights=weights, minlength=n_classes)
    # P[c, j] = sqrt(w_j / W_c) on the rows j of class c: P @ rows = sqrt(W_c) (mu_c - mu)
    P = sp.csr_array(
        (root_w / np.sqrt(class_weights[codes]), (codes, np.arange(X.shape[0]))),
        shape=(n_classes, X.shape[0]),
    )
    squared_norms = np.einsum("ij,ij->i", rows, rows)
    m4 = float(np.sum(squared_norms**2 / weights))
    if X.shape[0] <= X.shape[1]:
        gamma, U = eigh(rows @ rows.T, check_finite=False, driver="evd")
        eigenvalues = gamma / n
        between = np.clip(gamma, 0.0, None) * np.sum((P @ U) ** 2, axis=0) / n
    else:
        eigenvalues, V = eigh(rows.T @ rows / n, check_finite=False, driver="evd")
        between = np.sum((P @ rows @ V) ** 2, axis=0) / n
    trace, fro2 = float(np.sum(eigenvalues)), float(np.sum(eigenvalues**2))
    alpha = intensity(shrinkage, trace, fro2, m4, n, X.shape[1])
    return eigenvalues, between, n, alpha


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
    eigenvalues, between, n, alpha = spectrum_from_array(
        X, codes, classes.shape[0], weights, shrinkage
    )
    if alpha <= 0.0:
        return None
    return adjusted_from_spectrum(eigenvalues, between, n, classes.shape[0] - 1, X.shape[1], alpha)
