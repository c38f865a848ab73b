"""The chance-adjusted shrunk H-score, computed from the spectrum of the feature covariance.

With the shrunk covariance ``Sigma_a = (1 - a) Sigma + a t I`` (``t = tr(Sigma) / k``), the
shrunk H-score ``H_a = tr(Sigma_a^-1 (1 - a) Sigma_B)`` has, over permutations of the labels,
the mean ``E0 = q / (n - 1) tr(Sigma_a^-1 (1 - a) Sigma)`` (q = C - 1) and, over all
labellings, the maximum ``(1 - a)`` times the sum of the q largest eigenvalues of
``Sigma_a^-1 Sigma`` (``Sigma_B <= Sigma`` has rank at most q: Ky Fan). The ceiling ``M`` is
that maximum when the features have rank r >= q; a candidate of rank r < q is measured against
the task's q dimensions, ``M = (1 - a) q / r`` times the sum of its r eigenvalues (its mean
attainable gain standing in for each dimension it lacks), so that a narrow candidate is not
scored against its own small maximum. The adjusted score is ``(H_a - E0) / (M - E0)``: 0 on
average for labels independent of the features, 1 for the best labelling features of rank
>= q allow, negative below chance. At ``a = 0`` and r >= q it is the plain chance-adjusted
score (``M = q``). ``Sigma_a`` shares the eigenvectors of
``Sigma``, so E0 and M follow from the eigenvalues of ``Sigma`` alone, and the factor
``(1 - a)`` cancels (it is left out, which keeps ``a = 1`` defined).

The covariance is read from the statistics' view (:class:`~skhscore._engine.StatisticsView`,
``view.scatter / view.n``); ``H_a`` comes from the Cholesky factor of the shrunk covariance
that the H-score itself uses (:mod:`skhscore._hscore`). For a dense array with at most as
many samples as columns, the engine gives the n x n Gram matrix ``G`` of the centred rows
instead (:class:`~skhscore._engine.GramMoments`, O(n^2 k) instead of O(n k^2 + k^3)): its
nonzero eigenvalues are n times those of the covariance, and by Woodbury
``tr(Sigma_a^-1 Sigma_B) = tr(P G (c I + G)^-1 P^T) / (1 - a)``, ``c = n a t / (1 - a)``,
with P the class-averaging map. The Ledoit-Wolf and OAS intensities are functions of
``tr(S)``, ``||S||_F^2`` and ``sum_i ||x_i - mu||^4`` (:func:`intensity`), which both give.
"""

import numpy as np
from scipy.linalg import cho_factor, cho_solve, eigvalsh

from skhscore._engine import gram_moments

#: Relative size (to the largest) below which a covariance eigenvalue counts as zero.
EIGEN_TOL = 1e-12


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
    # the best labelling's value in the task's q dimensions: a candidate of rank r < q is
    # measured against q, its r dimensions' best mean gain standing in for the ones it lacks,
    # so a narrow candidate is not scored against its own small maximum (PCA(2) of ten
    # digit classes would otherwise score near 1); unchanged when r >= q
    top = np.sort(gain)[::-1][:n_targets]
    ceiling = float(np.sum(top)) * n_targets / top.size
    room = ceiling - null_mean
    if room <= 1e-12 * max(ceiling, 1.0):
        return 0.0
    return float(min((value - null_mean) / room, 1.0))


def shrunk_adjusted_score(view, alpha, between):
    """The chance-adjusted shrunk score of a statistics view at intensity ``alpha > 0``.

    ``between`` is ``tr(Sigma_a^-1 Sigma_B)`` (the shrunk H-score over ``1 - a``); the
    chance level and the ceiling come from the eigenvalues of ``view.scatter / view.n``.
    """
    eigenvalues = eigvalsh(view.scatter / view.n, check_finite=False, driver="evr")
    return adjusted_from_spectrum(
        eigenvalues, between, view.n, view.n_targets, view.n_features, alpha
    )


def intensity(shrinkage, trace, fro2, m4, n, k):
    """Ledoit-Wolf ("auto") or OAS ("oas") intensity from moments of the covariance S.

    ``trace = tr(S)``, ``fro2 = ||S||_F^2`` and ``m4 = sum_i w_i ||x_i - mu||^4`` of the
    1/n covariance S of k > 1 columns: the formulas of
    :func:`sklearn.covariance.ledoit_wolf_shrinkage` and :class:`sklearn.covariance.OAS`
    (unclipped; a rounded zero denominator gives the isotropic limit).
    """
    if shrinkage == "auto":
        beta = (m4 / n - fro2) / (k * n)
        delta = (fro2 - trace**2 / k) / k
        beta = min(beta, delta)
        return 0.0 if beta <= 0 else beta / delta
    alpha = fro2 / k**2  # "oas"
    mu2 = (trace / k) ** 2
    den = (n + 1) * (alpha - mu2 / k)
    return 1.0 if den <= 0 else min((alpha + mu2) / den, 1.0)


def adjusted_shrunk_h_of_array(X, y, sample_weight, shrinkage):
    """The shrunk adjusted score of a dense wide ``(X, y)`` from its Gram matrix, or None.

    None where the engine gives no :class:`~skhscore._engine.GramMoments` (then the caller
    builds the statistics) and where the intensity is 0 or too small to tell from it in
    float64 (the statistics path then takes the pseudo-inverse limit, as the H-score does).
    """
    moments = gram_moments(X, y, sample_weight)
    if moments is None:
        return None
    gram, n, k = moments.gram, moments.n, moments.n_features
    eigenvalues = eigvalsh(gram, check_finite=False, driver="evr") / n
    trace = float(np.trace(gram)) / n
    if isinstance(shrinkage, str):
        fro2 = float(np.sum(gram**2)) / n**2
        alpha = intensity(shrinkage, trace, fro2, moments.m4, n, k) if k > 1 else 0.0
    else:
        alpha = float(shrinkage)
    alpha = min(max(alpha, 0.0), 1.0)
    t = trace / k
    if alpha < 16 * k**2 * np.finfo(np.float64).eps or t <= 0.0:
        return None
    P = moments.class_map
    PG = (P @ gram).T  # n_rows x C, G symmetric
    if alpha >= 1.0:  # Sigma_a = t I: tr(Sigma_B) / t
        value = float(np.sum(P.T.toarray() * PG)) / (n * t)
    else:
        ridge = gram.copy()
        ridge.flat[:: gram.shape[0] + 1] += n * alpha * t / (1.0 - alpha)
        solved = cho_solve(cho_factor(ridge, lower=True, check_finite=False), PG)
        value = float(np.sum(P.T.toarray() * solved)) / (1.0 - alpha)
    return adjusted_from_spectrum(eigenvalues, value, n, moments.n_targets, k, alpha)
