"""TransRate (Huang et al., ICML 2022): the coding-rate reduction of features by labels."""

from numbers import Real

import numpy as np
import scipy.sparse as sp
from scipy.linalg import cholesky

from skhscore._sklearn_compat import Interval, validate_params
from skhscore._validation import (
    check_features,
    check_labels,
    refuses_estimators,
    rescaling_exponent,
)


def _half_logdet_identity_plus(Z, log_coef):
    """``1/2 log det(I + c Z^T Z)`` with ``c = exp(log_coef)``, via the smaller Gram matrix.

    A Cholesky factorisation of ``I + c G`` while ``c G`` is representable; beyond (features
    near 1e+-200 in their own units), the eigenvalues ``g_i`` of ``G`` give
    ``1/2 sum log(1 + exp(log_coef + log g_i))`` without forming ``c``.
    """
    gram = Z @ Z.T if Z.shape[0] < Z.shape[1] else Z.T @ Z
    peak = float(np.max(np.diag(gram))) if gram.size else 0.0
    if peak == 0.0:
        return 0.0
    if log_coef + np.log(peak) < 600.0:
        gram *= np.exp(log_coef)
        gram.flat[:: gram.shape[0] + 1] += 1.0
        factor = cholesky(gram, lower=True, check_finite=False)
        return float(np.sum(np.log(np.diag(factor))))
    eigenvalues = np.clip(np.linalg.eigvalsh(gram), 0.0, None)
    with np.errstate(divide="ignore"):
        return float(0.5 * np.sum(np.logaddexp(0.0, log_coef + np.log(eigenvalues))))


def coding_rate(Z, eps, shift=0):
    """Coding rate ``R(Z, eps) = 1/2 log det(I + Z^T Z / (n eps))`` of the rows of ``Z``.

    ``Z`` may be given in units of ``2^shift`` (the features are ``Z 2^shift``).
    """
    return _half_logdet_identity_plus(Z, 2 * shift * np.log(2.0) - np.log(Z.shape[0] * eps))


@refuses_estimators('make_transferability_scorer("transrate")')
@validate_params(
    {"y": ["array-like"], "eps": [Interval(Real, 0, None, closed="neither")]},
    prefer_skip_nested_validation=True,
)
def transrate_score(X, y, *, eps=1e-4):
    """TransRate: coding rate of the features minus their coding rate given the labels.

    With ``Z`` the features centred on their mean,

        TransRate = R(Z) - 1/C sum_c R(Z_c),    R(A) = 1/2 log det(I + A^T A / (n_A eps)),

    where ``Z_c`` holds the rows of class ``c`` (not re-centred) and ``n_A`` is the number of
    rows of ``A`` (Huang et al., ICML 2022, with the estimator of the paper's reference code,
    Appendix A.7). The coding rate approximates the entropy of the features up to a
    distortion ``eps``; the difference approximates the mutual information between features
    and labels. Greater is better.

    Read more in the :ref:`User Guide <transrate>`.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Features (one row per sample). Integer, float32 and sparse input give the float64
        value.
    y : array-like of shape (n_samples,)
        Class labels of any sortable type.
    eps : float, default=1e-4
        The squared distortion ``epsilon^2`` of the coding rate (the reference code's
        ``eps``, its default 1e-4). The score depends on it and on the scale of the
        features: compare candidates with the same ``eps`` and comparably scaled features
        (the authors also L2-normalise the rows in some experiments).

    Returns
    -------
    score : float
        The TransRate score, in nats.

    See Also
    --------
    h_score : the linear-separability counterpart, invariant to any affine map.

    Notes
    -----
    Each log-determinant comes from a Cholesky factorisation of ``I + coef G`` with ``G``
    the smaller of ``A^T A`` and ``A A^T`` (they have the same non-zero eigenvalues), so a
    class with fewer samples than features costs an ``n_c x n_c`` factorisation. TransRate
    is invariant to translating the features, to any orthogonal transformation of them, to
    the order of the samples and to renaming the classes; it is not invariant to scaling.
    The reference code averages the class rates with equal weights (``1/C``), which is what
    is computed here; classes are those present in ``y`` (labels need not be 0..C-1).

    References
    ----------
    .. [1] L.-K. Huang, J. Huang, Y. Rong, Q. Yang, Y. Wei, "Frustratingly Easy
       Transferability Estimation", ICML 2022.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skhscore import transrate_score
    >>> X, y = load_iris(return_X_y=True)
    >>> round(transrate_score(X, y), 4)
    0.5894
    >>> round(transrate_score(X[:, :1], y), 4)  # sepal length alone
    0.0673
    """
    X = check_features(X, min_samples=2)
    classes, codes = check_labels(y, X.shape[0])
    Z = X.toarray() if sp.issparse(X) else np.asarray(X)
    Z = Z.astype(np.float64)  # a copy: the caller's array is never touched
    shift = rescaling_exponent(Z)  # power-of-two units near 1: exact, and no overflow
    if shift:
        Z = np.ldexp(Z, -shift, out=Z)
    Z -= Z.mean(axis=0)
    Z -= Z.mean(axis=0)  # second pass removes the rounding of the first
    total = coding_rate(Z, eps, shift)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(classes.shape[0] + 1))
    within = [
        coding_rate(Z[order[lo:hi]], eps, shift)
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)
    ]
    return float(total - np.mean(within))
