"""Pre-trained networks as feature transformers, and their layers and models ranked.

Torch (and transformers, for :class:`TransformerFeatures`) is imported only when a network
runs: ``import skhscore`` never imports it, and ``import skhscore.nn`` does not either.
Install with ``pip install 'skhscore[torch]'`` or ``'skhscore[text]'``.
"""

from skhscore.nn._display import LayerRankingDisplay
from skhscore.nn._ranking import TransferabilityRanking, rank_layers, rank_models
from skhscore.nn._text import TransformerFeatures
from skhscore.nn._torch import TorchFeatures

__all__ = [
    "LayerRankingDisplay",
    "TorchFeatures",
    "TransferabilityRanking",
    "TransformerFeatures",
    "rank_layers",
    "rank_models",
]
