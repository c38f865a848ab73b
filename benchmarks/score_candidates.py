"""Candidate model-selection scores studied on bench_networks.py and bench_ranking.py.

Independent numpy transcriptions (float64, no skhscore internals), so that the study does not
depend on the implementation it is choosing:

* ``chance_adjusted_h``: ``(H - E0) / (min(rank, q) - E0)``, E0 = rank q / (n - 1), q = C - 1;
  0 when saturated (the package's ``h_score(adjusted=True)`` convention);
* ``null_z_h``: ``(H - E0) / sd0``, H standardised by the null distribution of Pillai's trace
  (its Beta approximation: V / s ~ Beta(s (2m + s + 1) / 2, s (2r + s + 1) / 2));
* ``cv_shrinkage``: the shrinkage intensity towards ``tr(S) / k I`` that maximises the
  held-out Gaussian log-likelihood of the features (5-fold), i.e. chosen for prediction, not
  for Ledoit-Wolf's estimation loss;
* ``shrunk_h`` / ``adjusted_shrunk_h``: the shrunk H-score at a given intensity and its
  chance-adjusted form with the exact permutation mean
  ``E0 = q / (n - 1) tr(Sigma_a^-1 (1 - a) Sigma)``;
* ``cross_fitted_h``: out-of-sample H, ``sum_c p_c (m_c^test)^T Sigma_train^-1 m_c^train``
  averaged over 5 folds (class deviations of the held-out fold against the training fold's
  whitened deviations), with the training covariance shrunk by Ledoit-Wolf so it exists when
  the training fold is saturated.
"""

import numpy as np
from scipy.stats import beta as beta_distribution
from sklearn.covariance import ledoit_wolf_shrinkage
from sklearn.model_selection import KFold, StratifiedKFold

GRID = np.concatenate([np.logspace(-4, 0, 25)])


def _onehot_deviations(F, y):
    """Centred features Z, per-class weighted deviation rows D (C x k) with D^T D = n Sigma_B."""
    classes, codes = np.unique(y, return_inverse=True)
    Z = F - F.mean(axis=0)
    counts = np.bincount(codes)
    sums = np.zeros((len(classes), F.shape[1]))
    np.add.at(sums, codes, Z)
    return Z, sums / np.sqrt(counts)[:, None], len(classes)


def _svd(Z):
    """Right singular vectors and squared singular values of Z above a relative 1e-10."""
    _, s, vt = np.linalg.svd(Z, full_matrices=False)
    keep = s > s[0] * 1e-10 if s.size and s[0] > 0 else np.zeros(s.shape, bool)
    return vt[keep], s[keep] ** 2


def plain_h(F, y):
    """H = tr(pinv(S) S_B) from the SVD of the centred features, and the rank."""
    Z, D, _ = _onehot_deviations(F, y)
    V, s2 = _svd(Z)
    W = D @ V.T  # deviations in the singular basis
    return float(np.sum(W**2 / s2)), len(s2)


def chance_adjusted_h(F, y):
    h, rank = plain_h(F, y)
    n, q = F.shape[0], len(np.unique(y)) - 1
    e0, bound = rank * q / (n - 1), min(rank, q)
    room = bound - e0
    return 0.0 if room <= 1e-12 * max(bound, 1) else (h - e0) / room


def null_z_h(F, y):
    """(H - E0) / sd0 with Pillai's Beta approximation; 0 when saturated."""
    h, p = plain_h(F, y)
    n, q = F.shape[0], len(np.unique(y)) - 1
    s, m, r = min(p, q), (abs(p - q) - 1) / 2, (n - q - 1 - p - 1) / 2
    a, b = s * (2 * m + s + 1) / 2, s * (2 * r + s + 1) / 2
    if a <= 0 or b <= 0:
        return 0.0
    mean, var = beta_distribution.stats(a, b, moments="mv")
    return float((h / s - mean) / np.sqrt(var))


def _shrunk_eigen(s2, n, k, alpha):
    """Eigenvalues of Sigma_a on the SVD basis and on its complement (one shared value)."""
    lam = s2 / n
    t = lam.sum() / k
    return (1 - alpha) * lam + alpha * t, alpha * t


def shrunk_h(F, y, alpha, adjusted=False, ceiling="bound"):
    """tr(Sigma_a^-1 (1 - a) Sigma_B) (and its chance adjustment) from one SVD.

    ``ceiling="bound"`` divides by ``min(rank, q) - E0`` (the package's adjusted shrunk
    score); ``ceiling="spectral"`` by ``M - E0``, M the largest value any labelling can
    give these features: ``(1 - a)`` times the sum of the q largest eigenvalues of
    ``Sigma_a^-1 Sigma`` (M = min(rank, q) at a = 0, so it extends the plain adjusted score).
    """
    Z, D, C = _onehot_deviations(F, y)
    n, k = F.shape
    V, s2 = _svd(Z)
    if alpha == 0:
        return chance_adjusted_h(F, y) if adjusted else plain_h(F, y)[0]
    e, e_rest = _shrunk_eigen(s2, n, k, alpha)
    W = D @ V.T  # the class deviations lie in the row space of Z
    h = float((1 - alpha) * np.sum(W**2 / e) / n)
    if not adjusted:
        return h
    q = C - 1
    explained = float(np.sum((1 - alpha) * (s2 / n) / e))  # tr(Sigma_a^-1 (1 - a) Sigma)
    e0 = q / (n - 1) * explained
    if ceiling == "bound":
        return (h - e0) / (min(len(s2), q) - e0)
    # (1 - a) scales H, E0 and M alike: drop it so that a = 1 stays defined
    h, e0 = (
        h / (1 - alpha) if alpha < 1 else float(np.sum(W**2 / e) / n),
        q / (n - 1) * float(np.sum((s2 / n) / e)),
    )
    g = np.sort((s2 / n) / e)[::-1]
    top = float(np.sum(g[:q]))
    return 0.0 if top - e0 <= 1e-12 * max(top, 1e-300) else (h - e0) / (top - e0)


def lw_alpha(F):
    return float(ledoit_wolf_shrinkage(F - F.mean(axis=0)))


def cv_shrinkage(F, n_splits=5, grid=GRID):
    """Intensity maximising the 5-fold held-out Gaussian log-likelihood (grid search)."""
    n, k = F.shape
    total = np.zeros(len(grid))
    for train, test in KFold(n_splits, shuffle=True, random_state=0).split(F):
        mu = F[train].mean(axis=0)
        V, s2 = _svd(F[train] - mu)
        e_all = [_shrunk_eigen(s2, len(train), k, a) for a in grid]
        Zt = F[test] - mu
        P = Zt @ V.T
        proj2 = np.sum(P**2, axis=1)
        rest2 = np.sum(Zt**2, axis=1) - proj2
        for i, (e, e_rest) in enumerate(e_all):
            if e_rest <= 0 and k > len(s2):
                total[i] = -np.inf
                continue
            logdet = np.sum(np.log(e)) + (k - len(s2)) * (np.log(e_rest) if k > len(s2) else 0)
            quad = np.sum(P**2 / e, axis=1) + (rest2 / e_rest if k > len(s2) else 0)
            total[i] += -0.5 * np.sum(logdet + quad)
    return float(grid[int(np.argmax(total))])


def cross_fitted_h(F, y, n_splits=5):
    """Out-of-sample H: test-fold class deviations against training-fold whitened ones."""
    n, k = F.shape
    _, counts = np.unique(y, return_counts=True)
    splits = min(n_splits, int(counts.min()))
    values = []
    for train, test in StratifiedKFold(splits, shuffle=True, random_state=0).split(F, y):
        Ztr, Dtr, _ = _onehot_deviations(F[train], y[train])
        alpha = lw_alpha(F[train])
        V, s2 = _svd(Ztr)
        e, e_rest = _shrunk_eigen(s2, len(train), k, alpha)
        mu_tr = F[train].mean(axis=0)
        classes = np.unique(y)
        mtr = np.stack([F[train][y[train] == c].mean(axis=0) - mu_tr for c in classes])
        mte = np.stack(
            [F[test][y[test] == c].mean(axis=0) - F[test].mean(axis=0) for c in classes]
        )
        p = np.array([np.mean(y[test] == c) for c in classes])
        # Sigma_a^-1 applied to the training deviations: in-span and complement parts
        A = mtr @ V.T
        inv_tr = (A / e) @ V + (mtr - A @ V) / e_rest if e_rest > 0 else (A / e) @ V
        values.append(float(np.sum(p[:, None] * mte * inv_tr)))
    return float(np.mean(values))


def candidates():
    """{name: function(F, y)} of the study's scores."""
    return {
        "chance-adjusted H (transcription)": chance_adjusted_h,
        "null z-score of H": null_z_h,
        "shrunk H (cv alpha)": lambda F, y: shrunk_h(F, y, cv_shrinkage(F)),
        "adjusted shrunk H (cv alpha)": lambda F, y: shrunk_h(F, y, cv_shrinkage(F), True),
        "adjusted shrunk H (LW alpha)": lambda F, y: shrunk_h(F, y, lw_alpha(F), True),
        "cross-fitted H (LW)": cross_fitted_h,
        "spectral-adjusted shrunk H (LW alpha)": lambda F, y: shrunk_h(
            F, y, lw_alpha(F), True, "spectral"
        ),
        "spectral-adjusted shrunk H (cv alpha)": lambda F, y: shrunk_h(
            F, y, cv_shrinkage(F), True, "spectral"
        ),
    }
