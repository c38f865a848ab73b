"""Former home of the array-API reduction, now in :mod:`skhscore._engine._array_api`."""

from skhscore._engine._array_api import array_api_statistics, to_numpy, use_array_api

__all__ = ["array_api_statistics", "to_numpy", "use_array_api"]
