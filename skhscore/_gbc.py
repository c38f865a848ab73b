"""GBC (Pandy et al., CVPR 2022): Gaussian Bhattacharyya coefficient of class overlap."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp

from skhscore._sklearn_compat import Interval, StrOptions, validate_params
from skhscore._validation import (
    check_features,
    check_labels,
    refuses_estimators,
    rescaling_exponent,
)


def _principal_components(Z, n_components):
    """Project centred ``Z`` on its leading principal axes (exact, deterministic)."""
    n_samples, n_features = Z.shape
    if n_samples > n_features:
        variances, axes = np.linalg.eigh(Z.T @ Z)
        variances, axes = variances[::-1], axes[:, ::-1]
    else:
        _, s, vt = np.linalg.svd(Z, full_matrices=False)
        variances, axes = s**2, vt.T
    variances = np.maximum(variances, 0.0)
    if isinstance(n_components, Real) and not isinstance(n_components, Integral):
        ratio = np.cumsum(variances) / np.sum(variances)
        # as sklearn's PCA: the fewest components explaining more than the fraction asked
        keep = int(np.searchsorted(ratio, n_components, side="right")) + 1
    else:
        keep = int(n_components)
    keep = min(keep, n_samples, n_features, axes.shape[1])
    return Z @ axes[:, :keep]


def _floor_in_units(min_variance, shift):
    """``min_variance`` in units of ``2^(2 shift)``, kept within the normal float range.

    Clipping only matters where the floor is negligible (below ``tiny``: it floors exact
    zeros only, whose Bhattacharyya coefficients vanish either way) or dominant (above
    1e300: every variance is the floor, whatever its value).
    """
    with np.errstate(over="ignore", under="ignore"):
        floor = np.ldexp(float(min_variance), -2 * shift)
    return float(np.clip(floor, np.finfo(np.float64).tiny, 1e300))


@refuses_estimators('make_transferability_scorer("gbc")')
@validate_params(
    {
        "y": ["array-like"],
        "n_components": [
            None,
            Interval(Integral, 1, None, closed="left"),
            Interval(Real, 0, 1, closed="neither"),
        ],
        "gaussian": [StrOptions({"diagonal", "spherical"})],
        "min_variance": [Interval(Real, 0, None, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def gbc_score(X, y, *, n_components=64, gaussian="diagonal", min_variance=1e-4):
    """GBC: minus the summed Bhattacharyya coefficients between class Gaussians.

    Each class ``c`` is modelled by a Gaussian ``N(mu_c, Sigma_c)`` with a diagonal (or
    spherical) covariance fitted to its features (after an optional PCA); the overlap of
    two classes is their Bhattacharyya coefficient ``BC = exp(-D_B)`` with

        D_B = 1/8 (mu_i - mu_j)^T Sigma^-1 (mu_i - mu_j)
              + 1/2 log(det Sigma / sqrt(det Sigma_i det Sigma_j)),  Sigma = (Sigma_i + Sigma_j)/2,

    and ``GBC = -sum_{i != j} BC(c_i, c_j)`` over ordered pairs of classes (Pandy et al.,
    CVPR 2022). It lies in ``[-C (C - 1), 0]``; 0 means perfectly separated classes; greater
    is better.

    Read more in the :ref:`User Guide <gbc>`.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Features (one row per sample). Integer, float32 and sparse input give the float64
        value.
    y : array-like of shape (n_samples,)
        Class labels of any sortable type.
    n_components : int, float in (0, 1) or None, default=64
        PCA applied to the features first, as in the paper: an int keeps that many leading
        principal components (at most ``min(n_samples, n_features)``; with fewer features
        the PCA only rotates them onto their principal axes), a float keeps the fewest
        components explaining more than that fraction of the variance (as
        :class:`~sklearn.decomposition.PCA`), None uses the features as they are. The
        default, 64, is the setting of the authors' experiments (google-research
        ``stable_transfer``).
    gaussian : {"diagonal", "spherical"}, default="diagonal"
        Covariance of each class Gaussian: the per-dimension variances, or their mean
        times the identity.
    min_variance : float, default=1e-4
        Floor applied to every per-class, per-dimension variance (as in the reference code),
        so that a class with one sample or a constant dimension keeps a finite density.

    Returns
    -------
    score : float
        The GBC score.

    See Also
    --------
    h_score : class separation measured linearly, against the pooled covariance.

    Notes
    -----
    Variances are the maximum-likelihood (``1/n_c``) ones. With the spherical model the
    log-determinant term is ``d/2 (log s - 1/2 log s_i - 1/2 log s_j)`` for ``d``
    dimensions (the Bhattacharyya distance of ``s I`` covariances); the reference code omits
    the factor ``d``. With PCA, GBC is invariant to translating and rotating the features;
    without it, to translating them and permuting their columns; it is invariant to the
    order of the samples and to renaming the classes. It is not invariant to scaling, both
    through PCA and through ``min_variance``.

    References
    ----------
    .. [1] M. Pandy, A. Agostinelli, J. Uijlings, V. Ferrari, T. Mensink, "Transferability
       Estimation using Bhattacharyya Class Separability", CVPR 2022.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skhscore import gbc_score
    >>> X, y = load_iris(return_X_y=True)
    >>> round(gbc_score(X, y), 4)
    -0.7725
    >>> round(gbc_score(X[:, :1], y), 4)  # sepal length alone
    -3.3309
    """
    X = check_features(X, min_samples=2)
    classes, codes = check_labels(y, X.shape[0])
    Z = X.toarray() if sp.issparse(X) else np.asarray(X)
    # in power-of-two units near 1 (exact), so that products of features near 1e+-200
    # neither overflow nor underflow; only the variance floor depends on the unit
    Z = Z.astype(np.float64)  # a copy: the caller's array is never touched
    shift = rescaling_exponent(Z)
    if shift:
        Z = np.ldexp(Z, -shift, out=Z)
    floor = _floor_in_units(min_variance, shift)
    if n_components is not None:
        Z -= Z.mean(axis=0)
        Z -= Z.mean(axis=0)
        Z = _principal_components(Z, n_components)
    n_classes = classes.shape[0]
    counts = np.bincount(codes, minlength=n_classes).astype(np.float64)
    onehot = sp.csr_matrix(
        (np.ones(codes.shape[0]), (codes, np.arange(codes.shape[0]))),
        shape=(n_classes, codes.shape[0]),
    )
    means = np.asarray(onehot @ Z) / counts[:, None]
    deviations = Z - means[codes]  # two-pass variances: no cancellation
    variances = np.asarray(onehot @ deviations**2) / counts[:, None]
    variances = np.maximum(variances, floor)
    n_dims = Z.shape[1]
    if gaussian == "spherical":
        variances = np.repeat(variances.mean(axis=1, keepdims=True), n_dims, axis=1)
    log_var = np.log(variances)
    total = 0.0
    for i in range(n_classes - 1):  # unordered pairs, each counted twice below
        avg = (variances[i] + variances[i + 1 :]) / 2.0
        mahalanobis = np.sum((means[i] - means[i + 1 :]) ** 2 / avg, axis=1)
        log_ratio = np.sum(np.log(avg) - 0.5 * (log_var[i] + log_var[i + 1 :]), axis=1)
        distance = mahalanobis / 8.0 + 0.5 * log_ratio
        total += np.sum(np.exp(-distance))
    return float(-2.0 * total)
