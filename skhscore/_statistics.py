"""Former home of :class:`~skhscore.HScoreStatistics`, now in :mod:`skhscore._engine`."""

from skhscore._engine import HScoreStatistics, default_chunk_size

__all__ = ["HScoreStatistics", "default_chunk_size"]
