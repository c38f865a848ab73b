"""skhscore: the H-score transferability metric for scikit-learn.

The H-score (Bao et al., ICIP 2019) says, in closed form and without training a classifier,
how much of a classification task's label information a feature representation exposes
linearly. Use it to choose a pre-trained model, a layer or a feature transformer for a new
task.
"""

import importlib

__version__ = "0.2.0.dev0"

# Public names and the module defining each, imported on first use (PEP 562) so that the
# command line's --help and --version answer without importing scikit-learn and scipy.
_PUBLIC = {
    "CrossMomentStatistics": "skhscore._engine",
    "HScoreFeatureSelector": "skhscore._feature_selection",
    "HScoreScorer": "skhscore._scorer",
    "HScoreStatistics": "skhscore._engine",
    "HScoreTestResult": "skhscore._significance",
    "IncrementalHScore": "skhscore._incremental",
    "ScoreAccuracyDisplay": "skhscore._display",
    "TransferabilityRankingDisplay": "skhscore._display",
    "TransferabilityScorer": "skhscore._transferability_scorer",
    "TransferabilitySelector": "skhscore._selector",
    "gbc_score": "skhscore._gbc",
    "get_features": "skhscore._features",
    "h_score": "skhscore._hscore",
    "h_score_from_batches": "skhscore._incremental",
    "h_score_test": "skhscore._significance",
    "leep_score": "skhscore._source_metrics",
    "logme_score": "skhscore._logme",
    "make_hscore_scorer": "skhscore._scorer",
    "make_transferability_scorer": "skhscore._transferability_scorer",
    "nce_score": "skhscore._source_metrics",
    "transferability": "skhscore._transferability",
    "transrate_score": "skhscore._transrate",
}

__all__ = sorted([*_PUBLIC, "__version__"])


def __getattr__(name):
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'skhscore' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__():
    return sorted({*globals(), *__all__})
