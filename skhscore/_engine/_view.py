"""The one read-only view of sufficient statistics that score functions read.

Score functions never touch the engine's private fields or its unit system: they call
``stats.moments()`` and get a :class:`StatisticsView`, whose arrays are in one common unit
(a power of two, ``2**unit_exponent``, chosen by the engine so that nothing overflows) and
read-only.
"""

from functools import cached_property

import numpy as np


def frozen(array):
    """``array`` as a read-only ndarray."""
    array = np.asarray(array)
    array.setflags(write=False)
    return array


class StatisticsView:
    """Read-only view of sufficient statistics, in common units.

    Attributes
    ----------
    n : float
        Total weight.
    n_rows : int
        Number of rows of positive weight seen.
    n_features : int
        Number of feature columns.
    n_targets : int
        Dimension of the target space: C - 1 for C classes, the rank of the target otherwise.
    classes, class_weights : ndarray or None
        Sorted class labels and their total weights (None for a regression target).
    varying : ndarray of bool
        Columns that are not constant (see :func:`~skhscore._engine._units.varying_columns`).
    mean : ndarray of shape (n_features,)
        Weighted feature mean in common units, constant columns included (LogME's uncentred
        Gram matrix ``scatter + n mean mean^T`` needs it).
    scatter : ndarray of shape (n_features, n_features)
        Centred scatter in common units, constant columns zeroed.
    deviations : ndarray of shape (n_rows_targets, n_features)
        Class deviations ``sqrt(w_c) (mean_c - mean)`` (or whitened target directions) in
        common units, constant columns zeroed: ``deviations.T @ deviations`` is the scatter
        explained by the target.
    m4 : float
        ``sum_i w_i ||x_i - mean||^4`` in common units (the Ledoit-Wolf shrinkage needs it;
        None for statistics a score function built without it).
    whitener : Whitener
        The engine's rank-revealing whitener (in the engine's per-column units: use it
        through :meth:`whitened_deviations` and :meth:`whiten_rows`).
    unit_exponent : int
        The common unit is ``2**unit_exponent`` of the input's unit.
    """

    @classmethod
    def build(
        cls, features, *, deviations, varying, n_targets, classes, class_weights, target_rows=None
    ):
        view = cls()
        view._target_rows = target_rows
        view.unit_exponent = int(features._global_exp)
        view._stats = features
        to_global = np.ldexp(1.0, features._exp - features._global_exp)
        view._to_global = to_global
        view.n = float(features._n)
        view.n_rows = int(features._n_rows)
        view.n_features = int(features._centre.shape[0])
        view.n_targets = int(n_targets)
        view.classes = None if classes is None else frozen(classes)
        view.class_weights = None if class_weights is None else frozen(class_weights)
        view.varying = frozen(varying)
        view.mean = frozen((features._centre + features._shift) * to_global)
        view._scaled_deviations = deviations
        view.deviations = frozen(deviations * (varying * to_global))
        view.m4 = None if features._m4 is None else float(features._m4)
        view.whitener = features._whitener()
        return view

    @property
    def rank(self):
        """Numerical rank of the features (see the rank rule in the User Guide)."""
        return self.whitener.rank

    @cached_property
    def scatter(self):
        scatter = self._stats._scaled_scatter() * np.outer(self._to_global, self._to_global)
        keep = self.varying
        if not np.all(keep):
            scatter = scatter * np.outer(keep, keep)
        return frozen(scatter)

    def root(self):
        """Rows of a factor ``F`` with ``F.T @ F`` the scatter the rank rule resolves, in
        common units (constant columns and dropped directions zero).

        On ill-conditioned features this factor is what the engine refined from the data: a
        Gram-Schmidt on its columns resolves what :attr:`scatter` (a Gram matrix) cannot.
        """
        return frozen(self.whitener.root(self.n_features) * self._to_global)

    def whitened_deviations(self):
        """``M`` (rank x targets) with ``H = ||M||_F^2 = tr(pinv(S) B)``."""
        return self.whitener.whiten(self._scaled_deviations.T)

    def shrunk_covariance(self, alpha):
        """``Sigma_a = (1 - a) S / n + a (tr(S / n) / k) I`` and ``t = tr(S / n) / k``.

        Returns ``(None, 0.0)`` when every column is constant (no information).
        """
        cov = self.scatter / self.n
        target = float(np.trace(cov)) / cov.shape[0]
        if target == 0:
            return None, 0.0
        shrunk = (1.0 - alpha) * cov
        shrunk.flat[:: cov.shape[0] + 1] += alpha * target
        return shrunk, target

    def target_rows(self, Y):
        """Target rows in the units of the target whitener, its varying columns divided by
        their norms, and the function whitening such (centred, transposed) rows (regression
        and multilabel targets only)."""
        return self._target_rows(Y)

    def whiten_rows(self, X):
        """Rows z_i of ``X`` (dense) whitened by :attr:`whitener`: ``sum_i w_i z_i z_i^T = I``
        over the rows the statistics were built from."""
        stats = self._stats
        x = np.ldexp(np.asarray(X, dtype=np.float64), -stats._exp)
        x -= stats._centre + stats._shift
        return self.whitener.whiten(x.T).T

    def centred_rows(self, X):
        """Rows of ``X`` (dense, float64) minus the mean, in common units, constant columns
        zeroed: whitening them with :attr:`whitener` gives rows z_i with sum_i w_i z_i z_i^T
        = I."""
        stats = self._stats
        x = np.ldexp(np.asarray(X, dtype=np.float64), -stats._exp)
        x -= stats._centre
        x -= stats._shift
        return x * (self.varying * self._to_global)
