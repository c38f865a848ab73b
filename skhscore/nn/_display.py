"""LayerRankingDisplay: the scores of a network's layers (or of models) in their order."""

import numpy as np

from skhscore._display import _check_matplotlib

#: The scores a ranking carries, as rank_by and the plot name them; the first is the default,
#: the model-selection score of every door (``h_score(F, y, shrinkage="auto", adjusted=True)``).
RANK_BY = ("adjusted_shrunk", "adjusted", "h", "shrunk")

SCORE_NAMES = {
    "adjusted_shrunk": "chance-adjusted shrunk H-score",
    "h": "plain H-score",
    "adjusted": "chance-adjusted H-score",
    "shrunk": "shrunk H-score (Ledoit-Wolf)",
}


class LayerRankingDisplay:
    """Score of each layer along the depth of a network (or of each model), best marked.

    The picture of the paper's layer experiment: one point per layer in network order,
    joined by a line, the best layer drawn as a star. Build it with :meth:`from_ranking` (the
    result of :func:`~skhscore.nn.rank_layers` or :func:`~skhscore.nn.rank_models`), then
    :meth:`plot`.

    Parameters
    ----------
    names : list
        Layer (or model) names, in order.
    scores : array-like of shape (n_candidates,)
        Score of each.
    score_name : str, default="chance-adjusted shrunk H-score"
        Label of the score axis.

    Attributes
    ----------
    best_index_ : int
        Index of the best score (the first one on ties).
    line_ : matplotlib Line2D
        The line through the scores (after :meth:`plot`).
    ax_ : matplotlib Axes
        Axes with the plot (after :meth:`plot`).
    figure_ : matplotlib Figure
        Figure containing the plot (after :meth:`plot`).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skhscore.nn import LayerRankingDisplay
    >>> display = LayerRankingDisplay(["block1", "block2", "block3"], [0.2, 0.5, 0.4]).plot()
    >>> display.best_index_
    1
    """

    def __init__(self, names, scores, *, score_name="chance-adjusted shrunk H-score"):
        self.names = names
        self.scores = scores
        self.score_name = score_name

    @property
    def best_index_(self):
        return int(np.argmax(np.asarray(self.scores, dtype=float)))

    def plot(self, ax=None, **line_kwargs):
        """Draw the scores.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is made when None.
        **line_kwargs : dict
            Passed to ``ax.plot``.

        Returns
        -------
        display : LayerRankingDisplay
        """
        plt = _check_matplotlib("LayerRankingDisplay.plot")
        if ax is None:
            _, ax = plt.subplots()
        scores = np.asarray(self.scores, dtype=float)
        positions = np.arange(scores.shape[0])
        line_kwargs.setdefault("marker", "o")
        (self.line_,) = ax.plot(positions, scores, **line_kwargs)
        best = self.best_index_
        ax.plot([best], [scores[best]], "*", markersize=14, color=self.line_.get_color())
        ax.set_xticks(positions, [str(name) for name in self.names], rotation=45, ha="right")
        ax.set_ylabel(self.score_name)
        ax.set_title(f"Best: {self.names[best]}")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_ranking(cls, ranking, *, score=None, ax=None, **line_kwargs):
        """Plot a :class:`~skhscore.nn.TransferabilityRanking`.

        Parameters
        ----------
        ranking : TransferabilityRanking
            The result of :func:`~skhscore.nn.rank_layers` or
            :func:`~skhscore.nn.rank_models`.
        score : {"adjusted_shrunk", "adjusted", "h", "shrunk"}, default=None
            Which score to plot; None: the ranking's ``rank_by``.
        ax : matplotlib Axes, default=None
            Axes to draw on.
        **line_kwargs : dict
            Passed to ``ax.plot``.

        Returns
        -------
        display : LayerRankingDisplay
        """
        score = ranking.rank_by if score is None else score
        if score not in RANK_BY:
            raise ValueError(f"score must be one of {list(RANK_BY)}, got {score!r}.")
        display = cls(ranking.names, getattr(ranking, score), score_name=SCORE_NAMES[score])
        return display.plot(ax=ax, **line_kwargs)
