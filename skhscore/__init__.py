"""skhscore: the H-score transferability metric for scikit-learn.

The H-score (Bao et al., ICIP 2019) says, in closed form and without training a classifier,
how much of a classification task's label information a feature representation exposes
linearly. Use it to choose a pre-trained model, a layer or a feature transformer for a new
task.
"""

from skhscore._hscore import h_score
from skhscore._scorer import HScoreScorer, make_hscore_scorer
from skhscore._selector import TransferabilitySelector
from skhscore._statistics import HScoreStatistics

__version__ = "0.1.0"

__all__ = ["HScoreStatistics", "__version__", "h_score"]
__all__ += ["HScoreScorer", "make_hscore_scorer"]
__all__ += ["TransferabilitySelector"]
