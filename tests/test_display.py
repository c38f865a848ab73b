"""Display objects, drawn with the Agg backend."""

import numpy as np
import pytest
from scipy.stats import kendalltau
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

matplotlib = pytest.importorskip("matplotlib")  # every test here draws
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from skhscore import ScoreAccuracyDisplay, h_score  # noqa: E402

#: The doors' default score (HScoreScorer(), TransferabilitySelector's default scoring).
DEFAULT = {"shrinkage": "auto", "adjusted": True}


def default_score(F, y, **kwargs):
    """h_score with the doors' defaults, unless the test's scorer sets them otherwise."""
    return h_score(F, y, **{**DEFAULT, **kwargs})


def test_from_scores_draws_points_names_and_tau():
    scores, accuracies = [0.5, 2.0, 1.0, 3.0], [0.5, 0.7, 0.8, 0.9]
    display = ScoreAccuracyDisplay.from_scores(scores, accuracies, names=list("abcd"))
    assert display.kendall_tau_ == pytest.approx(kendalltau(scores, accuracies).statistic)
    offsets = display.scatter_.get_offsets()
    np.testing.assert_allclose(offsets, np.column_stack([scores, accuracies]))
    assert [t.get_text() for t in display.ax_.texts] == list("abcd")
    assert "Kendall tau = 0.67" in display.ax_.get_title()
    assert display.ax_.get_xlabel() == "H-score"
    plt.close(display.figure_)


def test_from_estimators_scores_each_candidate_on_given_axes():
    X, y = load_digits(return_X_y=True)
    X, y = X[:400], y[:400]
    _, ax = plt.subplots()
    candidates = [("pca2", PCA(2, random_state=0)), ("pca8", PCA(8, random_state=0))]
    display = ScoreAccuracyDisplay.from_estimators(candidates, X, y, ax=ax, cv=3)
    assert display.ax_ is ax
    expected = [h_score(PCA(k, random_state=0).fit_transform(X), y) for k in (2, 8)]
    np.testing.assert_allclose(display.scores, expected, rtol=1e-10)
    assert display.accuracies[1] > display.accuracies[0]
    plt.close(ax.figure)


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="same length"):
        ScoreAccuracyDisplay.from_scores([1, 2], [0.5])


def test_ranking_display_from_a_fitted_selector():
    from sklearn.model_selection import StratifiedKFold

    from skhscore import TransferabilityRankingDisplay, TransferabilitySelector

    X, y = load_digits(return_X_y=True)
    X, y = X[:300], y[:300]
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    candidates = [("pca2", PCA(2)), ("pca16", PCA(16)), ("pca8", PCA(8))]
    selector = TransferabilitySelector(candidates, cv=cv).fit(X, y)
    display = TransferabilityRankingDisplay.from_estimator(selector)
    # hand computation of the fold scores, best first
    expected = {}
    for name, transformer in candidates:
        expected[name] = [
            default_score(PCA(transformer.n_components).fit(X[tr]).transform(X[te]), y[te])
            for tr, te in cv.split(X, y)
        ]
    order = sorted(expected, key=lambda n: -np.mean(expected[n]))
    labels = [t.get_text() for t in display.ax_.get_yticklabels()]
    positions = display.ax_.get_yticks()
    assert [labels[i] for i in np.argsort(-positions)] == order
    widths = {labels[i]: bar.get_width() for i, bar in enumerate(display.bars_.patches)}
    for name in order:
        assert widths[name] == pytest.approx(np.mean(expected[name]), rel=1e-6)
    assert len(display.ax_.lines) >= len(candidates)  # one set of fold dots per candidate
    plt.close(display.figure_)
    with pytest.raises(ValueError, match="not fitted"):
        TransferabilityRankingDisplay.from_estimator(TransferabilitySelector(candidates))
