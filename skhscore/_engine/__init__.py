"""The sufficient-statistics engine: the only code that touches raw feature arrays.

Everything else (metrics, scorers, selection, the CLI, plots) reads statistics through
``stats.moments()``, a read-only :class:`StatisticsView` in common units, and never a private
field or the engine's unit system.
"""

from skhscore._engine._accumulate import default_chunk_size
from skhscore._engine._array_api import array_api_statistics, to_numpy, use_array_api
from skhscore._engine._base import MergeableStatistics
from skhscore._engine._dask import dask_statistics, is_dask_collection
from skhscore._engine._gram import GramMoments, gram_moments
from skhscore._engine._rank import RANK_FACTOR, REFINE_PIVOT, Whitener, rank_tolerance
from skhscore._engine._resolve import resolve_statistics
from skhscore._engine._statistics import HScoreStatistics
from skhscore._engine._targets import TARGET_KINDS, CrossMomentStatistics, check_targets
from skhscore._engine._threads import single_blas_thread
from skhscore._engine._view import StatisticsView

__all__ = [
    "RANK_FACTOR",
    "REFINE_PIVOT",
    "TARGET_KINDS",
    "CrossMomentStatistics",
    "GramMoments",
    "HScoreStatistics",
    "MergeableStatistics",
    "StatisticsView",
    "Whitener",
    "array_api_statistics",
    "check_targets",
    "dask_statistics",
    "default_chunk_size",
    "gram_moments",
    "is_dask_collection",
    "rank_tolerance",
    "resolve_statistics",
    "single_blas_thread",
    "to_numpy",
    "use_array_api",
]
