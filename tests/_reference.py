"""Independent transcriptions of the published formulas, used only as test oracles.

They follow the papers literally (n x k matrix of class means, np.cov, pinv) and share no code
with the package.
"""

import numpy as np


def paper_hscore(F, y, rcond=1e-12):
    """Bao et al.: H(f) = tr(cov(f(X))^+ cov(E[f(X) | Y])), with an n x k class-mean matrix."""
    F = np.asarray(F, dtype=np.float64)
    y = np.asarray(y)
    class_means = np.zeros_like(F)
    for label in np.unique(y):
        class_means[y == label] = F[y == label].mean(axis=0)
    cov_f = np.atleast_2d(np.cov(F, rowvar=False, bias=True))
    cov_g = np.atleast_2d(np.cov(class_means, rowvar=False, bias=True))
    return float(np.trace(np.linalg.pinv(cov_f, rcond=rcond, hermitian=True) @ cov_g))


def shrunk_hscore(F, y, covariance):
    """Ibrahim et al.: tr(Sigma_a^-1 (1 - a) Sigma_B) with a fitted sklearn shrunk covariance."""
    F = np.asarray(F, dtype=np.float64)
    y = np.asarray(y)
    class_means = np.zeros_like(F)
    for label in np.unique(y):
        class_means[y == label] = F[y == label].mean(axis=0)
    cov_g = np.atleast_2d(np.cov(class_means, rowvar=False, bias=True))
    alpha = getattr(covariance, "shrinkage_", getattr(covariance, "shrinkage", None))
    return float(np.trace(np.linalg.inv(covariance.covariance_) @ ((1 - alpha) * cov_g)))


def make_task(seed, n=120, k=6, n_classes=3, signal=1.0):
    """Gaussian class clusters with a planted mean shift."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, size=n)
    y[:n_classes] = np.arange(n_classes)  # every class present
    centres = rng.normal(scale=signal, size=(n_classes, k))
    X = centres[y] + rng.normal(size=(n, k))
    return X, y


def exact_hscore(F, y, rank=None):
    """H of the given float64 array from an SVD of its centred, column-normalised rows.

    Centring is done twice (the differences ``F - mean`` are exact when the mean is close to
    the values; the second pass removes the rounding of the first mean), so offsets cost
    nothing. ``H = sum_c ||U^T 1_c||^2 / n_c`` with U the left singular vectors of the
    centred data (the ``rank`` largest; all of them by default).
    """
    F = np.asarray(F, dtype=np.float64)
    y = np.asarray(y)
    centred = F - F.mean(axis=0)
    centred -= centred.mean(axis=0)
    centred /= np.linalg.norm(centred, axis=0)
    U, _, _ = np.linalg.svd(centred, full_matrices=False)
    if rank is not None:
        U = U[:, :rank]
    total = 0.0
    for label in np.unique(y):
        member = (y == label).astype(np.float64)
        total += float(np.sum((U.T @ member) ** 2)) / member.sum()
    return total
