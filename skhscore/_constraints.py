"""Parameter constraints shared by every door that takes the same parameter."""

from numbers import Real

from skhscore._sklearn_compat import Interval, StrOptions

#: ``shrinkage``: None (the paper's score), "auto" (Ledoit-Wolf), "oas" or a float in [0, 1].
SHRINKAGE_CONSTRAINT = [None, StrOptions({"auto", "oas"}), Interval(Real, 0, 1, closed="both")]
#: ``target``: what y is.
TARGET_CONSTRAINT = [StrOptions({"classification", "regression", "multilabel"})]
