"""Former home of :class:`~skhscore.CrossMomentStatistics`, now in :mod:`skhscore._engine`.

Kept because statistics pickled by skhscore 0.1.0 name this module; nothing in the
package imports it.
"""

from skhscore._engine import TARGET_KINDS, CrossMomentStatistics, check_targets

__all__ = ["TARGET_KINDS", "CrossMomentStatistics", "check_targets"]
