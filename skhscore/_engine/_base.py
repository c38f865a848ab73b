"""What every kind of sufficient statistics shares: merging, copying, the public basics."""

import numpy as np

from skhscore._validation import check_same_label_kind


class MergeableStatistics:
    """Base of :class:`~skhscore.HScoreStatistics` and :class:`~skhscore.CrossMomentStatistics`.

    A subclass holds its feature moments in an :class:`~skhscore.HScoreStatistics` returned
    by ``_features()`` (itself, for class labels), implements ``_absorb_moments(part)``
    (merge a private copy in place), ``_empty_like()`` and ``moments()`` (the read-only view
    score functions use), and names its fields for ``repr`` in ``_repr_fields()``.

    Rows of weight zero add nothing to the moments (a batch of them leaves the statistics
    empty) but are counted in ``n_samples_seen_``, in ``_zero_rows``.
    """

    #: Rows of weight zero seen: they count in ``n_samples_seen_`` and nowhere else.
    _zero_rows = 0

    def _is_empty(self):
        return not hasattr(self, "_n_rows")

    def _count_zero_rows(self, weights):
        """Count the rows of weight zero of a batch (None: unweighted, none)."""
        if weights is not None:
            self._zero_rows += int(np.count_nonzero(weights == 0))

    def _absorb(self, part):
        """Merge ``part`` (a private copy, which may be modified) into ``self`` in place."""
        zero_rows = self._zero_rows + part._zero_rows
        if not (self._is_empty() or part._is_empty()):  # 0 and "0" must not become one class
            check_same_label_kind(self._features()._classes, part._features()._classes)
        self._absorb_moments(part)
        self._zero_rows = zero_rows  # after: absorbing into empty statistics copies part's

    def _check_built(self):
        if self._is_empty() and self._zero_rows:
            raise ValueError(
                f"Every sample seen ({self._zero_rows}) has weight zero: at least two "
                "samples need a positive sample_weight."
            )
        if self._is_empty():
            name = type(self).__name__
            raise ValueError(
                f"These statistics are empty: build them with {name}.from_arrays(X, y) or add "
                "data with update(X, y)."
            )

    def merge(self, other):
        """Return the statistics of the union of the samples of ``self`` and ``other``.

        Neither operand is modified. The result equals (to rounding) the statistics
        computed in one pass over all the samples.

        Parameters
        ----------
        other : same type as self
            Statistics of other samples with the same features.

        Returns
        -------
        merged : same type as self
        """
        if not isinstance(other, type(self)):
            raise TypeError(f"Can only merge {type(self).__name__}, got {type(other).__name__}.")
        merged = self._empty_like()
        merged._absorb(self._copy())
        merged._absorb(other._copy())
        return merged

    def _copy(self):
        new = self._empty_like()
        for key, value in self.__dict__.items():
            if isinstance(value, np.ndarray):
                value = value.copy()
            elif isinstance(value, MergeableStatistics):
                value = value._copy()
            new.__dict__[key] = value
        return new

    @property
    def n_samples_seen_(self):
        if self._is_empty() and self._zero_rows:
            return self._zero_rows
        self._check_built()
        return self._n_rows + self._zero_rows

    @property
    def weight_sum_(self):
        self._check_built()
        return self._features()._n

    @property
    def n_features_(self):
        self._check_built()
        return self._features()._centre.shape[0]

    @property
    def mean_(self):
        self._check_built()
        x = self._features()
        return np.ldexp(x._centre + x._shift, x._exp)

    @property
    def scatter_(self):
        self._check_built()
        x = self._features()
        # ldexp by the summed exponents: a zero entry stays zero where 2**exp alone overflows
        return np.ldexp(x._scaled_scatter(), x._exp[:, None] + x._exp[None, :])

    def __repr__(self):
        name = type(self).__name__
        if self._is_empty():
            return f"{name}(<empty>)"
        fields = ", ".join(f"{k}={v!r}" for k, v in self._repr_fields())
        return f"{name}({fields})"
