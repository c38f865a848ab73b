"""Plots in scikit-learn's Display style (matplotlib is an optional dependency)."""

import numpy as np
from scipy.stats import kendalltau

from skhscore._hscore import h_score
from skhscore._label_placement import place_labels


def _check_matplotlib(caller):
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"{caller} requires matplotlib: python -m pip install 'skhscore[plot]'."
        ) from exc
    return plt


class ScoreAccuracyDisplay:
    """Transferability score against the accuracy each candidate actually gives.

    One point per candidate feature extractor, with the Kendall rank correlation between the
    two in the title: the picture of whether the score would have chosen well. Build it with
    :meth:`from_scores` (numbers you computed) or :meth:`from_estimators` (candidates scored
    and cross-validated here), then :meth:`plot`.

    Parameters
    ----------
    scores : array-like of shape (n_candidates,)
        Transferability score of each candidate (e.g. H-score).
    accuracies : array-like of shape (n_candidates,)
        Accuracy each candidate gives (e.g. cross-validated accuracy of a classifier on its
        features).
    names : list of str, default=None
        Candidate names, written beside the points.
    score_name : str, default="H-score"
        Label of the score axis.

    Attributes
    ----------
    kendall_tau_ : float
        Kendall rank correlation between scores and accuracies.
    ax_ : matplotlib Axes
        Axes with the plot (after :meth:`plot`).
    figure_ : matplotlib Figure
        Figure containing the plot (after :meth:`plot`).
    scatter_ : matplotlib PathCollection
        The points (after :meth:`plot`).
    annotations_ : list of matplotlib Annotation
        The candidate names (after :meth:`plot`), placed clear of each other, of the points
        and of the axes' edges where the axes leave room; a name moved away from its point
        has a leader line. Placed for the figure's layout at the time of :meth:`plot`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skhscore import ScoreAccuracyDisplay
    >>> display = ScoreAccuracyDisplay.from_scores(
    ...     [1.2, 3.4, 5.0], [0.61, 0.85, 0.93], names=["PCA(2)", "PCA(8)", "PCA(32)"]
    ... )
    >>> display.kendall_tau_
    1.0
    """

    def __init__(self, scores, accuracies, *, names=None, score_name="H-score"):
        self.scores = scores
        self.accuracies = accuracies
        self.names = names
        self.score_name = score_name

    @property
    def kendall_tau_(self):
        return float(kendalltau(self.scores, self.accuracies).statistic)

    def plot(self, ax=None, *, annotate=True, **scatter_kwargs):
        """Draw the scatter plot.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is made when None.
        annotate : bool, default=True
            Write the candidate names beside the points.
        **scatter_kwargs : dict
            Passed to ``ax.scatter``.

        Returns
        -------
        display : ScoreAccuracyDisplay
        """
        plt = _check_matplotlib("ScoreAccuracyDisplay.plot")
        if ax is None:
            _, ax = plt.subplots()
        self.scatter_ = ax.scatter(self.scores, self.accuracies, **scatter_kwargs)
        ax.set_xlabel(self.score_name)
        ax.set_ylabel("accuracy")
        ax.set_title(f"{self.score_name} against accuracy (Kendall tau = {self.kendall_tau_:.2f})")
        self.annotations_ = []
        if annotate and self.names is not None:
            # names placed apart from each other, the points and the axes' edges
            self.annotations_ = place_labels(ax, self.scores, self.accuracies, self.names)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_scores(cls, scores, accuracies, *, names=None, score_name="H-score", ax=None):
        """Plot precomputed scores against precomputed accuracies.

        Parameters
        ----------
        scores : array-like of shape (n_candidates,)
            Transferability scores.
        accuracies : array-like of shape (n_candidates,)
            Accuracies.
        names : list of str, default=None
            Candidate names.
        score_name : str, default="H-score"
            Label of the score axis.
        ax : matplotlib Axes, default=None
            Axes to draw on.

        Returns
        -------
        display : ScoreAccuracyDisplay
        """
        scores = np.asarray(scores, dtype=float)
        accuracies = np.asarray(accuracies, dtype=float)
        if scores.shape != accuracies.shape or scores.ndim != 1:
            raise ValueError(
                f"scores and accuracies must be 1-D and of the same length, got shapes "
                f"{scores.shape} and {accuracies.shape}."
            )
        display = cls(scores, accuracies, names=names, score_name=score_name)
        return display.plot(ax=ax)

    @classmethod
    def from_estimators(
        cls, transformers, X, y, *, classifier=None, cv=None, score_name="H-score", ax=None
    ):
        """Fit each candidate transformer, score its features, and cross-validate accuracy.

        Parameters
        ----------
        transformers : list of (str, transformer)
            Candidate feature extractors; each is fitted on all of ``X`` (wrap pre-trained
            ones in :class:`sklearn.frozen.FrozenEstimator`), its features scored with
            :func:`skhscore.h_score`. Meant for unsupervised or frozen candidates: a
            supervised transformer fitted on all the labels is scored in-sample, which is
            optimistic (use :class:`skhscore.TransferabilitySelector` to score out of fold).
        X : array-like of shape (n_samples, n_features)
            Input data.
        y : array-like of shape (n_samples,)
            Class labels.
        classifier : estimator, default=None
            Classifier whose cross-validated accuracy on each candidate's features is the
            ground truth; a standardised logistic regression by default.
        cv : int or cross-validation generator, default=None
            Folds for the accuracy; 5 stratified shuffled folds by default.
        score_name : str, default="H-score"
            Label of the score axis.
        ax : matplotlib Axes, default=None
            Axes to draw on.

        Returns
        -------
        display : ScoreAccuracyDisplay
        """
        from sklearn.base import clone
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_score
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        if classifier is None:
            classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        if cv is None:
            cv = StratifiedKFold(5, shuffle=True, random_state=0)
        names, scores, accuracies = [], [], []
        for name, transformer in transformers:
            features = (
                X if transformer == "passthrough" else clone(transformer).fit_transform(X, y)
            )
            names.append(name)
            scores.append(h_score(features, y))
            accuracies.append(cross_val_score(classifier, features, y, cv=cv).mean())
        return cls.from_scores(scores, accuracies, names=names, score_name=score_name, ax=ax)


class TransferabilityRankingDisplay:
    """Ranking bar chart of the candidates of a fitted :class:`TransferabilitySelector`.

    One horizontal bar per candidate, best at the top, the bar at the mean score across
    folds, an error bar spanning the folds' standard deviation and a dot for each fold's
    score. Build it with :meth:`from_estimator` (a fitted selector) or :meth:`from_cv_results`
    (its ``cv_results_``), then :meth:`plot`.

    Parameters
    ----------
    names : list of str
        Candidate names.
    mean_scores : array-like of shape (n_candidates,)
        Mean score of each candidate.
    fold_scores : array-like of shape (n_candidates, n_folds)
        The score of each candidate on each fold.
    score_name : str, default="H-score"
        Label of the score axis.

    Attributes
    ----------
    order_ : ndarray of shape (n_candidates,)
        Candidate indices from best to worst (failed candidates, nan, last).
    bars_ : matplotlib BarContainer
        The bars (after :meth:`plot`).
    ax_ : matplotlib Axes
        Axes with the plot (after :meth:`plot`).
    figure_ : matplotlib Figure
        Figure containing the plot (after :meth:`plot`).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.decomposition import PCA
    >>> from skhscore import TransferabilityRankingDisplay, TransferabilitySelector
    >>> X, y = load_iris(return_X_y=True)
    >>> selector = TransferabilitySelector([("pca1", PCA(1)), ("pca3", PCA(3))]).fit(X, y)
    >>> display = TransferabilityRankingDisplay.from_estimator(selector)
    >>> [display.names[i] for i in display.order_]
    ['pca3', 'pca1']
    """

    def __init__(self, names, mean_scores, fold_scores, *, score_name="H-score"):
        self.names = names
        self.mean_scores = mean_scores
        self.fold_scores = fold_scores
        self.score_name = score_name

    @property
    def order_(self):
        means = np.asarray(self.mean_scores, dtype=float)
        # stable sort on -mean: ties keep the listed order; nan (failed) goes last
        return np.argsort(np.where(np.isnan(means), np.inf, -means), kind="stable")

    def plot(self, ax=None, **bar_kwargs):
        """Draw the bar chart.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure is made when None.
        **bar_kwargs : dict
            Passed to ``ax.barh``.

        Returns
        -------
        display : TransferabilityRankingDisplay
        """
        plt = _check_matplotlib("TransferabilityRankingDisplay.plot")
        if ax is None:
            _, ax = plt.subplots()
        order = self.order_
        means = np.asarray(self.mean_scores, dtype=float)[order]
        folds = np.asarray(self.fold_scores, dtype=float)[order]
        spread = np.nanstd(folds, axis=1) if folds.shape[1] > 1 else None
        positions = np.arange(order.shape[0])[::-1]  # best at the top
        self.bars_ = ax.barh(positions, means, xerr=spread, **bar_kwargs)
        for position, row in zip(positions, folds, strict=True):
            ax.plot(row, np.full(row.shape, position), "k.", markersize=4)
        ax.set_yticks(positions, [str(self.names[i]) for i in order])
        ax.set_xlabel(f"{self.score_name} (mean over folds)")
        ax.set_title("Candidates ranked by transferability")
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    def from_cv_results(cls, cv_results, *, score_name="H-score", ax=None):
        """Plot the ``cv_results_`` of a fitted selector or search.

        Parameters
        ----------
        cv_results : dict
            The ``cv_results_`` of a fitted :class:`TransferabilitySelector` (keys
            ``name``, ``mean_test_score`` and ``split<i>_test_score``) or of a
            single-metric :class:`~sklearn.model_selection.GridSearchCV` or
            ``RandomizedSearchCV``, whose candidates are named from ``params`` by the
            parameters that vary between them (``features=PCA(n_components=8)``).
        score_name : str, default="H-score"
            Label of the score axis.
        ax : matplotlib Axes, default=None
            Axes to draw on.

        Returns
        -------
        display : TransferabilityRankingDisplay
        """
        if "name" not in cv_results and "params" in cv_results:
            cv_results = {**cv_results, "name": _names_from_params(cv_results["params"])}
        missing = {"name", "mean_test_score"} - set(cv_results)
        if missing:
            raise ValueError(
                f"cv_results lacks {sorted(missing)}: pass the cv_results_ of a fitted "
                "TransferabilitySelector or of a GridSearchCV with a single scoring "
                "(with several, keep the columns of one and rename them *_test_score)."
            )
        n_folds = sum(
            key.startswith("split") and key.endswith("_test_score") for key in cv_results
        )
        folds = np.column_stack([cv_results[f"split{i}_test_score"] for i in range(n_folds)])
        display = cls(
            list(cv_results["name"]),
            np.asarray(cv_results["mean_test_score"], dtype=float),
            folds,
            score_name=score_name,
        )
        return display.plot(ax=ax)

    @classmethod
    def from_estimator(cls, selector, *, score_name="H-score", ax=None):
        """Plot the candidates of a fitted :class:`TransferabilitySelector`.

        Parameters
        ----------
        selector : TransferabilitySelector
            A fitted selector.
        score_name : str, default="H-score"
            Label of the score axis.
        ax : matplotlib Axes, default=None
            Axes to draw on.

        Returns
        -------
        display : TransferabilityRankingDisplay
        """
        if not hasattr(selector, "cv_results_"):
            raise ValueError(
                f"{type(selector).__name__} is not fitted (it has no cv_results_): call "
                "fit(X, y) first."
            )
        return cls.from_cv_results(selector.cv_results_, score_name=score_name, ax=ax)


def _names_from_params(params):
    """A name per candidate: the parameters that differ between candidates, key=value."""
    params = list(params)
    keys = sorted({key for candidate in params for key in candidate})
    varying = [
        key for key in keys if len({repr(candidate.get(key)) for candidate in params}) > 1
    ] or keys
    return [
        ", ".join(f"{key}={candidate[key]!r}" for key in varying if key in candidate)
        for candidate in params
    ]
