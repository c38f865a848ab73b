"""Sufficient statistics of (features, class labels): the engine's central object.

`HScoreStatistics` holds the total weight, the mean, the centred scatter (k x k) and per-class
weights and means (C x k), is built chunk by chunk, updated, merged pairwise (Chan et al.) and
pickled. Numerical care, each for a measured failure of the obvious code:

* means are kept relative to a centre (the first rows' mean, or zero where the means are
  within a few standard deviations of it: see :mod:`skhscore._engine._accumulate`), so a
  common offset costs nothing;
* extreme or subnormal columns are rescaled by exact powers of two before any square;
* exact per-column extremes (or, for columns the Gram diagonal proves varying, bounds that
  decide the same) recognise constant columns (no rounding residual in the scatter);
* where the scatter cannot resolve the features it is replaced by a factor R computed from the
  data (the unresolved columns' residuals, or a shifted CholeskyQR2), and factors merge by
  stacking (see :mod:`skhscore._engine._rank`);
* the Ledoit-Wolf moments (sum_i ||x_i - mean||^4 and its companion) merge exactly.
"""

import numpy as np

from skhscore._engine._accumulate import batch_sums, centred_blocks, check_chunk_size
from skhscore._engine._algebra import add_outer, shift_moments
from skhscore._engine._base import MergeableStatistics
from skhscore._engine._rank import (
    refined_whitener,
    stack_roots,
    whitener_from_root,
    whitener_from_scatter,
)
from skhscore._engine._threads import single_blas_thread
from skhscore._engine._units import input_roundoff, varying_columns
from skhscore._engine._view import StatisticsView
from skhscore._validation import check_features, check_labels, check_sample_weight

# A column of the update whose Gram diagonal exceeds its scatter by this factor lost digits to
# the provisional centre (the first block was far from the mean): the update is refined.
_CANCELLATION = 2.0**10


class HScoreStatistics(MergeableStatistics):
    """Sufficient statistics of (features, labels) for the H-score and related metrics.

    Holds the total weight, the mean, the centred scatter matrix, per-class weights and means,
    per-column extremes, and the fourth-moment terms the Ledoit-Wolf shrinkage needs. All
    are accumulated in float64 (unless ``scatter_dtype=np.float32`` was asked for), centred
    before any product is formed, and kept relative to a centre. Build one with
    :meth:`from_arrays`, grow it with :meth:`update`, combine two with :meth:`merge`; every
    score function in skhscore accepts it in place of ``(X, y)``, and reads it through
    :meth:`moments`.

    The statistics remember the precision of their input (float32 or float64) and resolve
    every direction of the features the data resolve: where the scatter matrix cannot (a
    condition number of the features beyond ~1e4 on the correlation scale), they keep the
    triangular factor of a QR decomposition of the centred data instead (see the
    :ref:`User Guide <rank_rule>`).

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

    def __init__(self, *, scatter_dtype=np.float64):
        self.scatter_dtype = scatter_dtype

    #: Whether updates accumulate the Ledoit-Wolf moments (off only for statistics built
    #: inside a score function that does not need them).
    _fourth_moments = True

    def _empty_like(self):
        empty = type(self)(scatter_dtype=self.scatter_dtype)
        empty._fourth_moments = self._fourth_moments
        return empty

    def _features(self):
        return self

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
        X = check_features(X, min_samples=1, finite=False)  # the engine checks (batch_sums)
        n_rows, n_features = X.shape
        classes, codes = check_labels(y, n_rows)
        weights = check_sample_weight(sample_weight, n_rows, allow_all_zero=True)
        if not self._is_empty() and n_features != self.n_features_:
            raise ValueError(
                f"X has {n_features} features, but the statistics were built from "
                f"{self.n_features_} features."
            )
        chunk_size = check_chunk_size(chunk_size, n_features)
        part = self._chunk_statistics(X, classes, codes, weights, chunk_size)
        if part is not None:
            with single_blas_thread():
                self._absorb(part)
        self._count_zero_rows(weights)
        return self

    def _chunk_statistics(self, X, classes, codes, weights, chunk_size):
        """Statistics of one batch, as a fresh object (None if its weight is zero)."""
        sums, exponents = batch_sums(
            X,
            classes.shape[0],
            codes,
            weights,
            chunk_size,
            self.scatter_dtype,
            self._fourth_moments,
        )
        if sums is None:
            return None
        with single_blas_thread():
            part = self._from_sums(sums, classes, exponents, input_roundoff(X))
            resolved = not part._cancelled and part._whitener(sums["loss"]).resolved
        if not resolved:
            part._refine(
                centred_blocks(X, weights, chunk_size, exponents, part._centre + part._shift)
            )
        return part

    def _refine(self, blocks):
        """Replace the scatter by a factor computed from the rows (see ``_rank``)."""
        varying = varying_columns(self._min, self._max)
        scatter = None if self._cancelled else self._scatter
        first = None if scatter is None else self._whitener_cache
        white = refined_whitener(blocks, varying, self._roundoff, scatter, first)
        with single_blas_thread():
            self._root = white.root(self._centre.shape[0])
        self._scatter = None
        self._whitener_cache = white

    def _from_sums(self, sums, classes, exponents, roundoff):
        """A part (scatter form) from the raw sums of :func:`accumulate`."""
        wsum = sums["wsum"]
        shift = sums["col_sum"] / wsum  # mean minus provisional centre
        gram = sums["gram"]
        global_exp = int(exponents.max())
        to_global = np.ldexp(1.0, exponents - global_exp)
        # the fourth-moment terms move from the provisional centre to the mean
        m3, m4 = None, None
        if sums["m4"] is not None:
            m3, m4 = shift_moments(
                sums["m3"],
                sums["m4"],
                lambda v: to_global * (gram @ (to_global * v)),
                float(np.diag(gram) @ to_global**2),
                sums["col_sum"] * to_global,
                wsum,
                -shift * to_global,
            )
        gram_diag = np.diag(gram).copy()
        scatter = add_outer(gram, -wsum, shift)  # in place (the Gram is spent): G - n s s^T
        present = sums["class_weights"] > 0
        part = self._empty_like()
        part._n = wsum
        part._n_rows = sums["n_rows"]
        part._exp = exponents
        part._centre = sums["centre"]
        part._shift = shift
        part._scatter = scatter
        part._root = None
        part._classes = classes[present]
        part._class_weights = sums["class_weights"][present]
        part._class_offsets = sums["class_sums"][present] / part._class_weights[:, None]
        part._min = sums["col_min"]
        part._max = sums["col_max"]
        part._global_exp = global_exp
        part._m3 = m3
        part._m4 = m4
        part._roundoff = roundoff
        part._whitener_cache = None
        varying = varying_columns(part._min, part._max)
        lost = gram_diag > _CANCELLATION * np.maximum(np.diag(scatter), 0.0)
        part._cancelled = bool(np.any(lost & varying))
        return part

    # ------------------------------------------------------------------ merging
    def _rescale(self, exponents):
        """Express the statistics in the column exponents given (larger or equal ones, or
        any for a column that is all zeros)."""
        if np.array_equal(exponents, self._exp):
            return
        # ldexp, not a product with 2**diff: a zero stays zero where the power overflows
        diff = self._exp - exponents
        self._centre = np.ldexp(self._centre, diff)
        self._shift = np.ldexp(self._shift, diff)
        if self._root is None:
            self._scatter = np.ldexp(self._scatter, diff[:, None] + diff[None, :])
        else:
            self._root = np.ldexp(self._root, diff)
        self._class_offsets = np.ldexp(self._class_offsets, diff)
        self._min = np.ldexp(self._min, diff)
        self._max = np.ldexp(self._max, diff)
        self._exp = exponents
        global_exp = int(exponents.max())
        shift = self._global_exp - global_exp
        if shift and self._m4 is not None:
            self._m3 = np.ldexp(self._m3, 3 * shift)
            self._m4 = float(np.ldexp(self._m4, 4 * shift))
        self._global_exp = global_exp
        self._whitener_cache = None

    def _scatter_apply(self, v):
        """``S v`` in per-column units, whichever form the scatter is kept in."""
        if self._root is None:
            return self._scatter @ v
        return self._root.T @ (self._root @ v)

    def _scaled_scatter(self):
        """The scatter in per-column units (formed from R when it is kept as a factor)."""
        if self._root is None:
            return self._scatter
        return self._root.T @ self._root

    def _root_rows(self):
        """A factor R with ``R^T R`` = the scatter (its resolved part)."""
        if self._root is not None:
            return self._root
        return self._whitener().root(self._centre.shape[0])

    def _absorb_moments(self, part):
        """Merge the moments of ``part`` (a private copy) into ``self`` in place."""
        if part._is_empty():
            return
        if self._is_empty():
            self.__dict__.update(part.__dict__)
            return
        if part._centre.shape != self._centre.shape:
            raise ValueError(
                f"Cannot merge statistics of {part._centre.shape[0]} features into statistics "
                f"of {self._centre.shape[0]} features."
            )
        exponents = np.maximum(self._exp, part._exp)
        # a column that is all zeros on one side has no magnitude there: the other side's
        # units (a larger unit would flush the other side's tiny values to zero)
        zero_self = (self._min == 0) & (self._max == 0)
        zero_part = (part._min == 0) & (part._max == 0)
        exponents[zero_self] = part._exp[zero_self]
        exponents[zero_part & ~zero_self] = self._exp[zero_part & ~zero_self]
        self._rescale(exponents)
        part._rescale(exponents)
        # everything relative to self's centre (the difference of two nearby centres is exact)
        offset = part._centre - self._centre
        part_shift = part._shift + offset
        n_a, n_b = self._n, part._n
        n = n_a + n_b
        delta = part_shift - self._shift  # mean_b - mean_a
        shift = self._shift + delta * (n_b / n)

        # fourth-moment terms: move each side's moments to the new mean, then add
        to_global = np.ldexp(1.0, exponents - self._global_exp)
        m3, m4 = 0.0, 0.0
        if self._m4 is None or part._m4 is None:
            m3, m4 = None, None
        for side, side_shift in ((self, self._shift), (part, part_shift)):
            if m4 is None:
                break
            d = (side_shift - shift) * to_global
            if side._root is None:
                diag = np.diag(side._scatter)
            else:
                diag = np.einsum("ij,ij->j", side._root, side._root)
            trace = float(diag @ to_global**2)
            side_m3, side_m4 = shift_moments(
                side._m3,
                side._m4,
                lambda v, side=side: to_global * side._scatter_apply(to_global * v),
                trace,
                0.0 * d,
                side._n,
                d,
            )
            m3, m4 = m3 + side_m3, m4 + side_m4

        # the scatter: S_a + S_b + n_a n_b / n dd^T, as a matrix while it resolves the
        # features, as a stacked triangular factor (TSQR) otherwise
        root = None
        if self._root is None and part._root is None:
            scatter = add_outer(self._scatter + part._scatter, n_a * n_b / n, delta)
            merged = whitener_from_scatter(
                scatter,
                varying_columns(
                    np.minimum(self._min, part._min), np.maximum(self._max, part._max)
                ),
                max(self._roundoff, part._roundoff),
            )
            if not merged.resolved:
                root = stack_roots(
                    self._root_rows(), part._root_rows(), np.sqrt(n_a * n_b / n) * delta[None, :]
                )
        else:
            merged = None
            root = stack_roots(
                self._root_rows(), part._root_rows(), np.sqrt(n_a * n_b / n) * delta[None, :]
            )

        classes = np.union1d(self._classes, part._classes)
        class_weights = np.zeros(classes.shape[0])
        class_sums = np.zeros((classes.shape[0], shift.shape[0]))
        for side, side_offsets in (
            (self, self._class_offsets),
            (part, part._class_offsets + offset),
        ):
            idx = np.searchsorted(classes, side._classes)
            class_weights[idx] += side._class_weights
            class_sums[idx] += side._class_weights[:, None] * side_offsets

        self._n = n
        self._n_rows = self._n_rows + part._n_rows
        self._shift = shift
        if root is None:
            self._scatter, self._root, self._whitener_cache = scatter, None, merged
        else:
            self._scatter, self._root, self._whitener_cache = None, root, None
        self._classes = classes
        self._class_weights = class_weights
        self._class_offsets = class_sums / class_weights[:, None]
        self._min = np.minimum(self._min, part._min)
        self._max = np.maximum(self._max, part._max)
        self._m3 = m3
        self._m4 = m4
        self._roundoff = max(self._roundoff, part._roundoff)

    # ------------------------------------------------------------------ the rank rule
    def _whitener(self, loss=1.0):
        """The rank-revealing whitener of the scatter (cached until the next change);
        ``loss``: see :func:`~skhscore._engine._rank.whitener_from_scatter`."""
        if self._whitener_cache is None:
            varying = varying_columns(self._min, self._max)
            if self._root is None:
                self._whitener_cache = whitener_from_scatter(
                    self._scatter, varying, self._roundoff, loss
                )
            else:
                self._whitener_cache = whitener_from_root(self._root, varying, self._roundoff)
        return self._whitener_cache

    # ------------------------------------------------------------------ public view
    @property
    def classes_(self):
        self._check_built()
        return self._classes.copy()

    @property
    def class_weights_(self):
        self._check_built()
        return self._class_weights.copy()

    @property
    def class_means_(self):
        self._check_built()
        return np.ldexp(self._centre + self._class_offsets, self._exp)

    @property
    def class_sums_(self):
        return self.class_means_ * self.class_weights_[:, None]

    def _repr_fields(self):
        return [
            ("n_samples_seen_", self.n_samples_seen_),
            ("n_features_", self.n_features_),
            ("n_classes", self._classes.shape[0]),
        ]

    def moments(self):
        """The read-only view of these statistics that every score function reads.

        Returns
        -------
        view : StatisticsView
            Total weight, scatter and class deviations in common units, varying columns, the
            fourth-moment term, classes, weights and the rank-revealing whitener.
        """
        self._check_built()
        deviations = (self._class_offsets - self._shift) * np.sqrt(self._class_weights)[:, None]
        return StatisticsView.build(
            self,
            deviations=deviations,
            varying=varying_columns(self._min, self._max),
            n_targets=self._classes.shape[0] - 1,
            classes=self._classes,
            class_weights=self._class_weights,
        )
