"""The sufficient-statistics engine: the only module that touches raw feature arrays.

Every score in this package is a closed-form function of a few statistics of (features,
labels): the total weight n, the feature mean, the centred scatter matrix (k x k), and per-class
weights and means (C x k). `HScoreStatistics` holds them, is built from arrays chunk by chunk,
is updated batch by batch and merged pairwise (Chan et al.'s update), and pickles.

Numerical care, each for a measured failure of the obvious code:

* every chunk is centred twice (corrected two-pass), in float64, before its scatter is formed;
* each column is rescaled by an exact power of two when its magnitude is extreme (beyond
  2**+-100), so squares and fourth powers neither overflow nor underflow; H-scores are
  invariant to that scaling, and the public attributes undo it;
* the per-column minimum and maximum are kept (exact and mergeable), so a constant column is
  recognised as constant instead of leaving a rounding residual in the scatter;
* the Ledoit-Wolf shrinkage needs sum_i ||x_i - mean||^4; it is accumulated with its third-moment
  companion so that it too merges exactly.
"""

import numbers

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas

from skhscore._validation import (
    check_features,
    check_labels,
    check_same_label_kind,
    check_sample_weight,
)

# Columns whose largest magnitude lies within 2**+-_SAFE_EXPONENT are used as they are.
_SAFE_EXPONENT = 100
# Target size of one chunk's float64 copy.
_CHUNK_BYTES = 64 * 2**20
# Target size of the block of rows processed while it stays in cache.
_BLOCK_BYTES = 2 * 2**20
# Class sums use a dense one-hot matrix up to this many entries, a sparse one beyond.
_DENSE_ONEHOT_ENTRIES = 2**16


def _column_exponents(col_min, col_max):
    """Power-of-two exponents that bring extreme columns near unit magnitude (0 otherwise)."""
    peak = np.maximum(np.abs(col_min), np.abs(col_max))
    _, exponents = np.frexp(peak)
    exponents = exponents.astype(np.int64)
    exponents[np.abs(exponents) <= _SAFE_EXPONENT] = 0
    return exponents


def _shift_moments(m3, m4, scatter, first, n, delta, to_global):
    """Move the fourth-moment terms from centre c to centre c - delta.

    With ``d_i = x_i - c`` in common units: ``m3 = sum_i w_i ||d_i||^2 d_i``,
    ``m4 = sum_i w_i ||d_i||^4``, ``first = sum_i w_i d_i``, and ``scatter = sum_i w_i d_i d_i^T``
    in per-column units (converted here with ``to_global``). Expanding
    ``||d + delta||^2 = ||d||^2 + 2 d.delta + ||delta||^2`` gives the moments of
    ``d + delta``.
    """
    # S_glob delta and tr(S_glob) without forming S_glob = D S D (no k x k temporary)
    s_delta = to_global * (scatter @ (to_global * delta))
    dd = float(delta @ delta)
    d_first = float(delta @ first)
    trace = float(np.diagonal(scatter) @ to_global**2)
    new_m4 = (
        m4
        + 4.0 * float(delta @ m3)
        + 4.0 * float(delta @ s_delta)
        + 2.0 * dd * trace
        + 4.0 * dd * d_first
        + n * dd * dd
    )
    new_m3 = (
        m3 + trace * delta + 2.0 * s_delta + 2.0 * d_first * delta + dd * first + n * dd * delta
    )
    return new_m3, new_m4


def _add_outer(matrix, alpha, vector):
    """``matrix + alpha * outer(vector, vector)``, in place for a contiguous float64 matrix.

    A rank-one update through BLAS ``dger`` on the Fortran view of the (symmetric) matrix:
    no k x k temporary, which matters when it is 2048 x 2048 and done once per chunk.
    """
    if matrix.dtype == np.float64 and matrix.flags.c_contiguous:
        updated = blas.dger(alpha, vector, vector, a=matrix.T, overwrite_a=True)
        if np.shares_memory(updated, matrix):
            return matrix
        return updated.T
    return matrix + alpha * np.outer(vector, vector)


def default_chunk_size(n_features):
    """Rows per chunk so that one float64 chunk takes about 64 MiB."""
    return max(256, _CHUNK_BYTES // (8 * max(n_features, 1)))


class HScoreStatistics:
    """Sufficient statistics of (features, labels) for the H-score and related metrics.

    Holds the total weight, the mean, the centred scatter matrix, per-class weights and means,
    per-column extremes, and the fourth-moment terms the Ledoit-Wolf shrinkage needs. All
    are accumulated in float64 (unless ``scatter_dtype=np.float32`` was asked for), centred
    before any product is formed. Build one with :meth:`from_arrays`, grow it with
    :meth:`update`, combine two with :meth:`merge`; every score function in skhscore accepts
    it in place of ``(X, y)``.

    Read more in the :ref:`User Guide <statistics>`.

    Parameters
    ----------
    scatter_dtype : {np.float64, np.float32}, default=np.float64
        Precision of each chunk's scatter product. float32 is about twice as fast but its
        error grows with the condition number of the features (about 1e-7 relative on
        well-conditioned features, up to 1e-1 at condition number 1e4). Means, merges and
        class statistics always stay in float64.

    Attributes
    ----------
    n_samples_seen_ : int
        Number of rows seen (including rows of weight zero).
    weight_sum_ : float
        Total sample weight n (the number of samples when unweighted).
    classes_ : ndarray of shape (n_classes,)
        The labels seen, sorted.
    class_weights_ : ndarray of shape (n_classes,)
        Total weight of each class.
    mean_ : ndarray of shape (n_features,)
        Weighted feature mean.
    scatter_ : ndarray of shape (n_features, n_features)
        Centred scatter matrix sum_i w_i (x_i - mean)(x_i - mean)^T.
    class_means_ : ndarray of shape (n_classes, n_features)
        Weighted mean of each class.
    class_sums_ : ndarray of shape (n_classes, n_features)
        Weighted sum of the features of each class.
    n_features_ : int
        Number of feature columns.

    Examples
    --------
    >>> import numpy as np
    >>> from skhscore import HScoreStatistics, h_score
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(100, 3)), rng.integers(0, 2, size=100)
    >>> first = HScoreStatistics.from_arrays(X[:60], y[:60])
    >>> both = first.merge(HScoreStatistics.from_arrays(X[60:], y[60:]))
    >>> bool(np.isclose(h_score(both), h_score(X, y)))
    True
    """

    #: Rows of weight zero seen: they count in ``n_samples_seen_`` and nowhere else.
    _zero_rows = 0

    def __init__(self, *, scatter_dtype=np.float64):
        self.scatter_dtype = scatter_dtype

    # ------------------------------------------------------------------ building
    @classmethod
    def from_arrays(cls, X, y, *, sample_weight=None, chunk_size=None, scatter_dtype=np.float64):
        """Compute the statistics of ``(X, y)`` in one pass, chunk by chunk.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features. Integer, boolean and float32 input is converted to float64 one chunk at
            a time; sparse input is densified one chunk at a time.
        y : array-like of shape (n_samples,)
            Class labels of any sortable type.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights; an integer weight counts as that many repeated rows.
        chunk_size : int, default=None
            Rows per chunk; by default about 64 MiB of float64 per chunk.
        scatter_dtype : {np.float64, np.float32}, default=np.float64
            See the class docstring.

        Returns
        -------
        stats : HScoreStatistics
        """
        stats = cls(scatter_dtype=scatter_dtype)
        return stats.update(X, y, sample_weight=sample_weight, chunk_size=chunk_size)

    def update(self, X, y, *, sample_weight=None, chunk_size=None):
        """Add a batch of samples in place and return ``self``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features of the batch.
        y : array-like of shape (n_samples,)
            Labels of the batch; labels not seen before are added to ``classes_``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights.
        chunk_size : int, default=None
            Rows per chunk.

        Returns
        -------
        self : HScoreStatistics
        """
        X = check_features(X, min_samples=1)
        n_rows, n_features = X.shape
        classes, codes = check_labels(y, n_rows)
        weights = check_sample_weight(sample_weight, n_rows, allow_all_zero=True)
        if not self._is_empty() and n_features != self.n_features_:
            raise ValueError(
                f"X has {n_features} features, but the statistics were built from "
                f"{self.n_features_} features."
            )
        if chunk_size is None:
            chunk_size = default_chunk_size(n_features)
        if not isinstance(chunk_size, numbers.Integral) or chunk_size < 1:
            raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}.")
        workspace = {}
        for start in range(0, n_rows, chunk_size):
            stop = min(start + chunk_size, n_rows)
            w = None if weights is None else weights[start:stop]
            part = self._chunk_statistics(
                X[start:stop], classes, codes[start:stop], w, workspace=workspace
            )
            if part is not None:
                self._absorb(part)
        if weights is not None:  # rows of weight zero are seen, though they add nothing
            self._zero_rows += int(np.count_nonzero(weights == 0))
        return self

    def _is_empty(self):
        return not hasattr(self, "_n")

    def _chunk_statistics(self, chunk, classes, codes, w, workspace=None):
        """Statistics of one chunk, as a fresh object (None if its weight is zero).

        The chunk is read once: each cache-sized block of rows is shifted by a provisional
        centre (the first block's mean), and its column sums, class sums, extremes and
        fourth-moment terms are taken while it is in cache; the shifted rows are written
        into one buffer whose Gram product gives the scatter. The exact mean then replaces
        the provisional centre algebraically (``S = G - n m m^T``), which loses nothing
        while the centre lies within a few standard deviations of the mean.
        """
        if w is not None:
            keep = w > 0
            if not np.all(keep):
                chunk, codes, w = chunk[keep], codes[keep], w[keep]
            if chunk.shape[0] == 0:
                return None
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            # optimistic pass without scaling; it gives up on extreme magnitudes
            part = self._accumulate(chunk, classes, codes, w, None, workspace)
        if part is None:  # extreme magnitudes: redo with power-of-two column scaling
            col_min, col_max = self._extremes(chunk, w)
            part = self._accumulate(
                chunk, classes, codes, w, exponents=_column_exponents(col_min, col_max)
            )
        return part

    @staticmethod
    def _extremes(chunk, w):
        if sp.issparse(chunk):
            dense_min = chunk.min(axis=0).toarray().ravel()
            dense_max = chunk.max(axis=0).toarray().ravel()
            return dense_min.astype(np.float64), dense_max.astype(np.float64)
        return chunk.min(axis=0).astype(np.float64), chunk.max(axis=0).astype(np.float64)

    def _accumulate(self, chunk, classes, codes, w, exponents, workspace=None):
        n_rows, n_features = chunk.shape
        block_rows = max(16, _BLOCK_BYTES // (8 * n_features))
        buffer_dtype = np.float32 if self.scatter_dtype == np.float32 else np.float64
        # one buffer reused by every chunk of an update: fresh 64 MiB pages per chunk cost
        # page faults comparable to a tenth of the Gram product
        buffer = None if workspace is None else workspace.get("buffer")
        if buffer is None or buffer.shape[0] < n_rows or buffer.dtype != buffer_dtype:
            buffer = np.empty((n_rows, n_features), dtype=buffer_dtype)
            if workspace is not None:
                workspace["buffer"] = buffer
        buffer = buffer[:n_rows]
        scratch = None if buffer_dtype == np.float64 else np.empty((block_rows, n_features))
        n_classes = classes.shape[0]
        if n_classes * n_rows <= _DENSE_ONEHOT_ENTRIES:  # small: a dense one-hot is cheapest
            onehot = (codes == np.arange(n_classes)[:, None]).astype(np.float64)
            if w is not None:
                onehot *= w
        else:  # C x n sparse, sliced by columns per block
            onehot = sp.csc_matrix(
                (np.ones(n_rows) if w is None else w, (codes, np.arange(n_rows))),
                shape=(n_classes, n_rows),
            )
        scale = None if exponents is None else np.ldexp(1.0, -exponents)
        col_sum = np.zeros(n_features)
        class_sums = np.zeros((n_classes, n_features))
        col_min = np.full(n_features, np.inf)
        col_max = np.full(n_features, -np.inf)
        m3 = np.zeros(n_features)
        m4 = 0.0
        centre = None
        for start in range(0, n_rows, block_rows):
            stop = min(start + block_rows, n_rows)
            rows = chunk[start:stop]
            if sp.issparse(rows):
                rows = rows.toarray()
            col_min = np.minimum(col_min, rows.min(axis=0))
            col_max = np.maximum(col_max, rows.max(axis=0))
            if centre is None:
                centre = rows.mean(axis=0, dtype=np.float64)
            d = buffer[start:stop] if scratch is None else scratch[: stop - start]
            np.subtract(rows, centre, out=d, casting="unsafe")
            if scale is not None:
                d *= scale
            wb = None if w is None else w[start:stop]
            col_sum += d.sum(axis=0) if wb is None else wb @ d
            class_sums += onehot[:, start:stop] @ d
            sq_norms = np.einsum("ij,ij->i", d, d)
            weighted = sq_norms if wb is None else wb * sq_norms
            m4 += float(weighted @ sq_norms)
            m3 += weighted @ d
            if wb is not None:
                d *= np.sqrt(wb)[:, None]
            if scratch is not None:
                buffer[start:stop] = d
        if exponents is None and np.any(_column_exponents(col_min, col_max)):
            return None
        if exponents is None:
            exponents = np.zeros(n_features, dtype=np.int64)
            scaled_centre = centre
        else:
            scaled_centre = centre * scale
            col_min, col_max = col_min * scale, col_max * scale
        gram = (buffer.T @ buffer).astype(np.float64, copy=False)

        wsum = float(n_rows) if w is None else float(w.sum())
        shift = col_sum / wsum  # mean minus provisional centre
        class_weights = np.asarray(onehot.sum(axis=1)).ravel()  # dense or sparse
        present = class_weights > 0

        # the fourth-moment terms, about the centre and in per-column units, move to the mean
        # and to one common power of two (so the Ledoit-Wolf shrinkage sees original units)
        global_exp = int(exponents.max())
        to_global = np.ldexp(1.0, exponents - global_exp)
        if np.any(to_global != 1.0):
            # m4 was summed in per-column units: only exact when all columns share a scale,
            # so recompute it from the buffer in common units on this (rare) path
            m3, m4 = self._global_moments(chunk, codes, w, centre, exponents, global_exp)
        else:
            m3 = m3 * to_global
        m3, m4 = _shift_moments(
            m3, m4, gram, col_sum * to_global, wsum, -shift * to_global, to_global
        )
        scatter = _add_outer(gram, -wsum, shift)  # in place (gram is spent): G - n m m^T

        part = type(self)(scatter_dtype=self.scatter_dtype)
        part._n = wsum
        part._n_rows = n_rows
        part._exp = exponents
        part._mean = scaled_centre + shift
        part._scatter = scatter
        part._classes = classes[present]
        part._class_weights = class_weights[present]
        part._class_means = scaled_centre + class_sums[present] / class_weights[present, None]
        part._min = col_min
        part._max = col_max
        part._global_exp = global_exp
        part._m3 = m3
        part._m4 = m4
        return part

    @staticmethod
    def _global_moments(chunk, codes, w, centre, exponents, global_exp):
        """Fourth-moment terms about ``centre`` in units of 2**global_exp (extreme path)."""
        factor = np.ldexp(1.0, -np.full_like(exponents, global_exp))
        m3 = np.zeros(chunk.shape[1])
        m4 = 0.0
        for start in range(0, chunk.shape[0], 1024):
            rows = chunk[start : start + 1024]
            rows = rows.toarray() if sp.issparse(rows) else rows
            d = (rows - centre) * factor
            sq_norms = np.einsum("ij,ij->i", d, d)
            weighted = sq_norms if w is None else w[start : start + 1024] * sq_norms
            m4 += float(weighted @ sq_norms)
            m3 += weighted @ d
        return m3, m4

    # ------------------------------------------------------------------ merging
    def merge(self, other):
        """Return the statistics of the union of the samples of ``self`` and ``other``.

        Neither operand is modified. The result equals (to rounding, about 1e-13 relative)
        the statistics computed in one pass over all the samples.

        Parameters
        ----------
        other : HScoreStatistics
            Statistics of other samples with the same features.

        Returns
        -------
        merged : HScoreStatistics
        """
        if not isinstance(other, HScoreStatistics):
            raise TypeError(f"Can only merge HScoreStatistics, got {type(other).__name__}.")
        merged = type(self)(scatter_dtype=self.scatter_dtype)
        merged._absorb(self._copy())
        merged._absorb(other._copy())
        return merged

    def _copy(self):
        new = type(self)(scatter_dtype=self.scatter_dtype)
        new.__dict__.update(
            {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.__dict__.items()}
        )
        return new

    def _rescale(self, exponents):
        """Express the statistics in the (larger or equal) column exponents given."""
        if np.array_equal(exponents, self._exp):
            return
        factor = np.ldexp(1.0, self._exp - exponents)
        self._mean = self._mean * factor
        self._scatter = self._scatter * np.outer(factor, factor)
        self._class_means = self._class_means * factor
        self._min = self._min * factor
        self._max = self._max * factor
        self._exp = exponents
        global_exp = int(exponents.max())
        shift = self._global_exp - global_exp
        if shift:
            self._m3 = np.ldexp(self._m3, 3 * shift)
            self._m4 = float(np.ldexp(self._m4, 4 * shift))
            self._global_exp = global_exp

    def _absorb(self, part):
        """Merge ``part`` (a private copy, which may be modified) into ``self`` in place."""
        zero_rows = self._zero_rows + part._zero_rows
        if part._is_empty():
            self._zero_rows = zero_rows
            return
        if self._is_empty():
            self.__dict__.update(part.__dict__)
            self._zero_rows = zero_rows
            return
        check_same_label_kind(self._classes, part._classes)
        self._zero_rows = zero_rows
        if part._mean.shape != self._mean.shape:
            raise ValueError(
                f"Cannot merge statistics of {part._mean.shape[0]} features into statistics "
                f"of {self._mean.shape[0]} features."
            )
        exponents = np.maximum(self._exp, part._exp)
        self._rescale(exponents)
        part._rescale(exponents)

        n_a, n_b = self._n, part._n
        n = n_a + n_b
        delta = part._mean - self._mean
        mean = self._mean + delta * (n_b / n)

        # fourth-moment terms: move each part's moments to the new mean, then add
        to_global = np.ldexp(1.0, exponents - self._global_exp)
        m3, m4 = 0.0, 0.0
        for side in (self, part):
            delta_side = (side._mean - mean) * to_global
            side_m3, side_m4 = _shift_moments(
                side._m3, side._m4, side._scatter, 0.0 * delta_side, side._n, delta_side, to_global
            )
            m3, m4 = m3 + side_m3, m4 + side_m4

        # in place (self and part are private to this merge): S = S_a + S_b + n_a n_b / n dd^T
        scatter = self._scatter
        scatter += part._scatter
        scatter = _add_outer(scatter, n_a * n_b / n, delta)

        classes = np.union1d(self._classes, part._classes)
        class_weights = np.zeros(classes.shape[0])
        class_sums = np.zeros((classes.shape[0], mean.shape[0]))
        for side in (self, part):
            idx = np.searchsorted(classes, side._classes)
            class_weights[idx] += side._class_weights
            class_sums[idx] += side._class_weights[:, None] * (side._class_means - mean)
        class_means = mean + class_sums / class_weights[:, None]

        self._n = n
        self._n_rows = self._n_rows + part._n_rows
        self._mean = mean
        self._scatter = scatter
        self._classes = classes
        self._class_weights = class_weights
        self._class_means = class_means
        self._min = np.minimum(self._min, part._min)
        self._max = np.maximum(self._max, part._max)
        self._m3 = m3
        self._m4 = m4

    # ------------------------------------------------------------------ public view
    def _check_built(self):
        if self._is_empty() and self._zero_rows:
            raise ValueError(
                f"Every sample seen ({self._zero_rows}) has weight zero: at least two "
                "samples need a positive sample_weight."
            )
        if self._is_empty():
            raise ValueError(
                "These statistics are empty: build them with HScoreStatistics.from_arrays(X, y) "
                "or add data with update(X, y)."
            )

    @property
    def n_samples_seen_(self):
        if self._is_empty() and self._zero_rows:
            return self._zero_rows
        self._check_built()
        return self._n_rows + self._zero_rows

    @property
    def weight_sum_(self):
        self._check_built()
        return self._n

    @property
    def n_features_(self):
        self._check_built()
        return self._mean.shape[0]

    @property
    def classes_(self):
        self._check_built()
        return self._classes.copy()

    @property
    def class_weights_(self):
        self._check_built()
        return self._class_weights.copy()

    @property
    def mean_(self):
        self._check_built()
        return np.ldexp(self._mean, self._exp)

    @property
    def scatter_(self):
        self._check_built()
        factor = np.ldexp(1.0, self._exp)
        return self._scatter * np.outer(factor, factor)

    @property
    def class_means_(self):
        self._check_built()
        return np.ldexp(self._class_means, self._exp)

    @property
    def class_sums_(self):
        return self.class_means_ * self.class_weights_[:, None]

    def __repr__(self):
        if self._is_empty():
            return "HScoreStatistics(<empty>)"
        return (
            f"HScoreStatistics(n_samples_seen_={self._n_rows}, "
            f"n_features_={self.n_features_}, n_classes={self._classes.shape[0]})"
        )

    # ------------------------------------------------------------------ for score functions
    def _scaled_moments(self):
        """Scatter and class deviations in per-column scaled units, constant columns zeroed.

        Returns ``(scatter, deviations, varying)`` with ``deviations[c] = sqrt(w_c) *
        (mean_c - mean)`` (so that deviations.T @ deviations is the between-class scatter)
        and ``varying`` the boolean mask of columns that are not constant. A column counts as
        constant when its spread max - min is within 8 ulps of its magnitude: no information
        is carried below that, only the rounding of the mean.
        """
        self._check_built()
        peak = np.maximum(np.abs(self._min), np.abs(self._max))
        varying = (self._max - self._min) > 8 * np.finfo(np.float64).eps * peak
        deviations = (self._class_means - self._mean) * np.sqrt(self._class_weights)[:, None]
        scatter = self._scatter
        if not np.all(varying):
            scatter = scatter * np.outer(varying, varying)
            deviations = deviations * varying
        return scatter, deviations, varying

    def _to_global_scale(self):
        """Factors that bring the per-column scaled units to one common power of two."""
        return np.ldexp(1.0, self._exp - self._global_exp)
