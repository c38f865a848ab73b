"""Statistics from whatever the score functions were given (arrays, Dask, array API)."""

import numpy as np

from skhscore._engine._array_api import array_api_statistics, use_array_api
from skhscore._engine._dask import dask_statistics, is_dask_collection
from skhscore._engine._statistics import HScoreStatistics
from skhscore._engine._targets import CrossMomentStatistics


def resolve_statistics(
    X, y, sample_weight=None, scatter_dtype=np.float64, target=None, fourth_moments=True
):
    """Return the statistics of ``(X, y)``, or ``X`` itself when it already is statistics.

    ``target`` (None means "classification") picks the statistics built from arrays:
    :class:`HScoreStatistics` for class labels, :class:`CrossMomentStatistics` for a
    ``"regression"`` or ``"multilabel"`` target. A statistics object passed as ``X`` knows
    its target, so ``target`` is then only checked: ``"regression"`` or ``"multilabel"``
    with :class:`HScoreStatistics` is refused (the default, ``"classification"``, is
    accepted with either object). ``fourth_moments=False`` skips the Ledoit-Wolf moments of
    statistics built here from arrays (for a score that does not use them).
    """
    if isinstance(X, (HScoreStatistics, CrossMomentStatistics)):
        if y is not None or sample_weight is not None:
            held = "labels" if isinstance(X, HScoreStatistics) else "targets"
            raise ValueError(
                f"When X is a {type(X).__name__} object it already holds the {held} and "
                "weights: pass y=None and sample_weight=None."
            )
        if isinstance(X, HScoreStatistics) and target in ("regression", "multilabel"):
            raise ValueError(
                f"X is an HScoreStatistics object, built from class labels, but "
                f"target={target!r} was passed. Build CrossMomentStatistics.from_arrays(X, y, "
                f"target={target!r}) for a regression or multilabel target, or leave target "
                "at its default."
            )
        return X
    if target in (None, "classification"):
        if is_dask_collection(X):  # one chunked reduction, the n x k matrix is never gathered
            return dask_statistics(X, y, sample_weight, scatter_dtype=scatter_dtype)
        if use_array_api(X):  # array_api_dispatch on and X a torch / CuPy / ... array
            return array_api_statistics(X, y, sample_weight, scatter_dtype=scatter_dtype)
        stats = HScoreStatistics(scatter_dtype=scatter_dtype)
        stats._fourth_moments = bool(fourth_moments)
        return stats.update(X, y, sample_weight=sample_weight)
    return CrossMomentStatistics.from_arrays(X, y, target=target, sample_weight=sample_weight)
