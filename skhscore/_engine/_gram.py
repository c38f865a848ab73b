"""Moments of a dense in-memory sample with at most as many rows as columns, from its Gram.

When a candidate has more columns than samples (a 1280-wide layer on a few hundred images),
the n x n Gram matrix of the centred rows holds everything the shrunk H-score family needs
(the nonzero eigenvalues of ``G / n`` are those of the covariance, and ``tr``, ``||.||_F^2``
agree), at O(n^2 k) instead of the O(n k^2 + k^3) of the k x k statistics.
"""

import numpy as np
import scipy.sparse as sp

from skhscore._engine._array_api import use_array_api
from skhscore._engine._dask import is_dask_collection
from skhscore._engine._view import frozen
from skhscore._validation import (
    check_features,
    check_labels,
    check_sample_weight,
    rescaling_exponent,
)


class GramMoments:
    """Read-only moments of a wide sample (``n_rows <= n_features``), in one common unit.

    Attributes
    ----------
    n : float
        Total weight.
    n_features : int
        Number of feature columns.
    n_targets : int
        C - 1 for C classes of positive weight.
    gram : ndarray of shape (n_rows, n_rows)
        ``R R^T`` with rows ``r_i = sqrt(w_i) (x_i - mean)`` (rows of positive weight), in
        units of ``2**unit_exponent``: ``R^T R`` is the scatter of the statistics' view.
    class_map : sparse array of shape (C, n_rows)
        ``P[c, i] = sqrt(w_i / W_c)`` on the rows i of class c: ``P R`` are the class
        deviations ``sqrt(W_c) (mean_c - mean)`` of the view.
    m4 : float
        ``sum_i w_i ||x_i - mean||^4`` in common units (the Ledoit-Wolf intensity needs it).
    unit_exponent : int
        The common unit is ``2**unit_exponent`` of the input's unit.
    """

    def __init__(self, gram, class_map, n, n_features, n_targets, m4, unit_exponent):
        self.gram = frozen(gram)
        self.class_map = class_map
        self.n = float(n)
        self.n_features = int(n_features)
        self.n_targets = int(n_targets)
        self.m4 = float(m4)
        self.unit_exponent = int(unit_exponent)


def gram_moments(X, y, sample_weight=None):
    """:class:`GramMoments` of dense in-memory class-labelled ``(X, y)``, or None.

    None (the caller then builds the statistics, which also raise the errors of bad input)
    for statistics, sparse, Dask or array-API input, more rows of positive weight than
    columns, fewer than two such rows or classes, or a total weight of at most 1.
    """
    if not hasattr(X, "shape") or sp.issparse(X) or is_dask_collection(X) or use_array_api(X):
        return None
    if not hasattr(X, "dtype") and not hasattr(X, "dtypes"):
        return None  # statistics objects and other non-arrays
    X = check_features(X, min_samples=1)
    if sp.issparse(X):
        return None
    classes, codes = check_labels(y, X.shape[0])
    weights = check_sample_weight(sample_weight, X.shape[0])
    weights = np.ones(X.shape[0]) if weights is None else np.asarray(weights, dtype=np.float64)
    keep = weights > 0
    n_rows = int(np.count_nonzero(keep))
    present = np.bincount(codes[keep], minlength=classes.shape[0]) > 0
    n = float(weights[keep].sum())
    if n_rows < 2 or n_rows > X.shape[1] or np.count_nonzero(present) < 2 or n <= 1:
        return None
    X = np.asarray(X[keep], dtype=np.float64)
    exponent = rescaling_exponent(X)
    if exponent:
        X = np.ldexp(X, -exponent)  # exact: extreme magnitudes near 1 before any square
    codes, weights = codes[keep], weights[keep]
    _, codes = np.unique(codes, return_inverse=True)  # classes of positive weight only
    n_classes = int(codes.max()) + 1
    centred = X - (weights @ X) / n
    centred -= (weights @ centred) / n  # second pass: the rounding of a large mean
    root_w = np.sqrt(weights)
    rows = centred * root_w[:, None]
    class_weights = np.bincount(codes, weights=weights, minlength=n_classes)
    class_map = sp.csr_array(
        (root_w / np.sqrt(class_weights[codes]), (codes, np.arange(n_rows))),
        shape=(n_classes, n_rows),
    )
    squared_norms = np.einsum("ij,ij->i", rows, rows)  # w_i ||x_i - mean||^2
    m4 = float(np.sum(squared_norms**2 / weights))
    return GramMoments(rows @ rows.T, class_map, n, X.shape[1], n_classes - 1, m4, exponent)
