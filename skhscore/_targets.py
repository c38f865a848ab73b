"""Former home of :class:`~skhscore.CrossMomentStatistics`, now in :mod:`skhscore._engine`."""

from skhscore._engine import TARGET_KINDS, CrossMomentStatistics, check_targets

__all__ = ["TARGET_KINDS", "CrossMomentStatistics", "check_targets"]
