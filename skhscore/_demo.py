"""The embedded default job: rank a few feature transformers of the digits data by H-score."""

import time

from scipy.stats import kendalltau
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.kernel_approximation import Nystroem
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.random_projection import GaussianRandomProjection

from skhscore._hscore import h_score


def demo_candidates(random_state=0):
    """The feature transformers the demo compares, by name."""
    return {
        "PCA(2)": PCA(2, random_state=random_state),
        "random projection (8)": GaussianRandomProjection(8, random_state=random_state),
        "PCA(8)": PCA(8, random_state=random_state),
        "PCA(16)": PCA(16, random_state=random_state),
        "Nystroem rbf (32)": make_pipeline(
            StandardScaler(), Nystroem(gamma=0.01, n_components=32, random_state=random_state)
        ),
        "raw pixels (64)": "passthrough",
    }


def run_demo(print_fn=print, random_state=0):
    """Score each candidate by H-score and by 5-fold logistic-regression accuracy.

    Two H-scores: the paper's plain estimator and the model-selection score every door
    (scorer, selector, ``skhscore rank``) uses by default, ``h_score(F, y, shrinkage="auto",
    adjusted=True)``. Returns a list of rows ``(name, n_features, h_score, accuracy,
    seconds_h, seconds_acc, selection_score)``, sorted by the selection score, and prints a
    table with the rank correlation of each score with the accuracy.
    """
    X, y = load_digits(return_X_y=True)
    cv = StratifiedKFold(5, shuffle=True, random_state=random_state)
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    rows = []
    for name, transformer in demo_candidates(random_state).items():
        features = X if transformer == "passthrough" else transformer.fit_transform(X)
        start = time.perf_counter()
        score = h_score(features, y)
        seconds_h = time.perf_counter() - start
        selection = h_score(features, y, shrinkage="auto", adjusted=True)
        start = time.perf_counter()
        accuracy = cross_val_score(classifier, features, y, cv=cv).mean()
        seconds_acc = time.perf_counter() - start
        rows.append((name, features.shape[1], score, accuracy, seconds_h, seconds_acc, selection))
    rows.sort(key=lambda row: -row[6])
    print_fn("H-score of feature transformers on scikit-learn's digits (1797 samples, 10 classes)")
    print_fn("")
    header = (
        f"{'transformer':<24}{'k':>4}{'selection':>11}{'H-score':>10}{'5-fold acc.':>13}"
        f"{'H time':>10}{'acc. time':>11}"
    )
    print_fn(header)
    print_fn("-" * len(header))
    for name, k, score, accuracy, t_h, t_acc, selection in rows:
        print_fn(
            f"{name:<24}{k:>4}{selection:>11.3f}{score:>10.3f}{accuracy:>13.3f}"
            f"{t_h * 1e3:>8.1f}ms{t_acc:>10.2f}s"
        )
    accuracies = [r[3] for r in rows]
    tau = kendalltau([r[2] for r in rows], accuracies).statistic
    tau_selection = kendalltau([r[6] for r in rows], accuracies).statistic
    total_h = sum(r[4] for r in rows)
    total_acc = sum(r[5] for r in rows)
    print_fn("")
    print_fn(
        "selection: the chance-adjusted shrunk H-score, h_score(F, y, shrinkage='auto', "
        "adjusted=True),\nthe default of the scorer, the selector and `skhscore rank` (rows "
        "sorted by it);\nH-score: the paper's plain estimator, h_score(F, y)."
    )
    print_fn(
        f"Kendall tau with the accuracy ranking: selection {tau_selection:.2f}, H-score "
        f"{tau:.2f}\n(plain H-scores took {total_h * 1e3:.0f} ms in all, accuracies "
        f"{total_acc:.1f} s)."
    )
    return rows


if __name__ == "__main__":  # pragma: no cover
    run_demo()
