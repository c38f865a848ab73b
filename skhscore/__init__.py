"""skhscore: the H-score transferability metric for scikit-learn.

The H-score (Bao et al., ICIP 2019) says, in closed form and without training a classifier,
how much of a classification task's label information a feature representation exposes
linearly. Use it to choose a pre-trained model, a layer or a feature transformer for a new
task.
"""

from skhscore._display import ScoreAccuracyDisplay, TransferabilityRankingDisplay
from skhscore._engine import CrossMomentStatistics, HScoreStatistics
from skhscore._feature_selection import HScoreFeatureSelector
from skhscore._features import get_features
from skhscore._gbc import gbc_score
from skhscore._hscore import h_score
from skhscore._incremental import IncrementalHScore, h_score_from_batches
from skhscore._logme import logme_score
from skhscore._scorer import HScoreScorer, make_hscore_scorer
from skhscore._selector import TransferabilitySelector
from skhscore._significance import HScoreTestResult, h_score_test
from skhscore._source_metrics import leep_score, nce_score
from skhscore._transferability import transferability
from skhscore._transferability_scorer import (
    TransferabilityScorer,
    make_transferability_scorer,
)
from skhscore._transrate import transrate_score

__version__ = "0.1.0"

__all__ = [
    "CrossMomentStatistics",
    "HScoreFeatureSelector",
    "HScoreScorer",
    "HScoreStatistics",
    "HScoreTestResult",
    "IncrementalHScore",
    "ScoreAccuracyDisplay",
    "TransferabilityRankingDisplay",
    "TransferabilityScorer",
    "TransferabilitySelector",
    "__version__",
    "gbc_score",
    "get_features",
    "h_score",
    "h_score_from_batches",
    "h_score_test",
    "leep_score",
    "logme_score",
    "make_hscore_scorer",
    "make_transferability_scorer",
    "nce_score",
    "transferability",
    "transrate_score",
]
