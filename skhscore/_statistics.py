"""Former home of :class:`~skhscore.HScoreStatistics`, now in :mod:`skhscore._engine`.

Kept because statistics pickled by skhscore 0.1.0 name this module; nothing in the
package imports it.
"""

from skhscore._engine import HScoreStatistics, default_chunk_size

__all__ = ["HScoreStatistics", "default_chunk_size"]
