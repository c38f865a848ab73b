"""Former home of the Dask reduction, now in :mod:`skhscore._engine._dask`."""

from skhscore._engine._dask import SPLIT_EVERY, dask_statistics, is_dask_collection

__all__ = ["SPLIT_EVERY", "dask_statistics", "is_dask_collection"]
