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
``(1 - a)`` cancels (it is left out, which keeps ``a = 1`` defined).

The covariance is read from the statistics' view (:class:`~skhscore._engine.StatisticsView`,
``view.scatter / view.n``); ``H_a`` comes from the Cholesky factor of the shrunk covariance
that the H-score itself uses (:mod:`skhscore._hscore`).
"""

import numpy as np
from scipy.linalg import eigvalsh

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
    ceiling = float(np.sum(np.sort(gain)[::-1][:n_targets]))
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
