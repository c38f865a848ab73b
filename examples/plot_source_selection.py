"""
======================================================
Source-task selection with the transferability T(S, T)
======================================================

Which source task gives the best features for a new target task? Bao et al. (ICIP 2019)
answer with the H-score of the source representation ``f_S`` on the target labels, and
normalise it by the H-score of a representation trained on the target itself,
``T(S, T) = H_T(f_S) / H_T(f_T)`` (:func:`skhscore.transferability`), so that values on
targets with different numbers of classes share one scale. On Taskonomy they compared this
with the measured transfer performance of each source.

This is an offline analogue on :func:`~sklearn.datasets.load_digits`. Several *tasks* are
defined on the same images: the digit itself, its parity, whether it is at least 5, the
digit modulo 3, whether it has a closed loop (0, 6, 8, 9), and random labels. A small MLP is
trained on each source task using one half of the images; its hidden layer is the source
representation ``f_S``, and an untrained random layer is added as a control. On the other
half of the images, each target task ranks the other sources by ``H_T(f_S)`` and by the
accuracy a logistic regression reaches on ``f_S`` (the transfer accuracy).
"""

# %%
# Source tasks and their representations
# --------------------------------------
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import kendalltau, spearmanr
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skhscore import ScoreAccuracyDisplay, h_score, transferability

threadpool_limits(1)  # small matrices: one BLAS thread is fastest and keeps timings steady
start_all = time.perf_counter()

X, digit = load_digits(return_X_y=True)
X = X / 16.0
rng = np.random.default_rng(0)
tasks = {
    "digit10": digit,
    "parity": digit % 2,
    ">=5": (digit >= 5).astype(int),
    "mod3": digit % 3,
    "has loop": np.isin(digit, [0, 6, 8, 9]).astype(int),
    "random": rng.integers(0, 10, size=len(digit)),
}
# One half of the images trains the sources, the other half is the target data.
idx_source, idx_target = train_test_split(
    np.arange(len(digit)), test_size=0.5, stratify=digit, random_state=0
)


def hidden_layer(mlp, X):
    """ReLU activations of the (single) hidden layer of a fitted MLPClassifier."""
    return np.maximum(X @ mlp.coefs_[0] + mlp.intercepts_[0], 0.0)


def train_mlp(X, y, seed=0):
    """A one-hidden-layer MLP; the network on random labels can only memorise them and
    stops at ``max_iter`` without converging, which is expected here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return MLPClassifier((32,), alpha=1e-3, max_iter=300, random_state=seed).fit(X, y)


sources = {name: train_mlp(X[idx_source], labels[idx_source]) for name, labels in tasks.items()}
# The untrained control: the initial weights of an MLP (one iteration on a constant task
# would move them; build the layer directly with the same Glorot-uniform scale).
bound = np.sqrt(6.0 / (X.shape[1] + 32))
untrained_coef = rng.uniform(-bound, bound, size=(X.shape[1], 32))
untrained_bias = rng.uniform(-bound, bound, size=32)
source_features = {name: hidden_layer(mlp, X[idx_target]) for name, mlp in sources.items()}
source_features["untrained"] = np.maximum(X[idx_target] @ untrained_coef + untrained_bias, 0.0)

# %%
# Score and measure every source for every target
# -----------------------------------------------
# For ``T(S, T)`` the reference representation ``f_T`` is the same MLP trained on the
# target task itself. Scoring it on its own training images would inflate its H-score, so
# the target data is cut in two halves: a reference trained on one half is scored, next to
# ``f_S``, on the other half, and ``T`` is the mean of the two cross-fitted ratios. The
# raw ``H_T(f_S)`` and the transfer accuracy (5-fold accuracy of a logistic regression on
# ``f_S``) use all the target data.
targets = ["digit10", "parity", ">=5", "mod3", "has loop"]
cv = StratifiedKFold(5, shuffle=True, random_state=0)
X_t = X[idx_target]
rows = []
for target in targets:
    y_t = tasks[target][idx_target]
    half_a, half_b = train_test_split(
        np.arange(len(y_t)), test_size=0.5, stratify=y_t, random_state=0
    )
    references = [
        (fit, score, train_mlp(X_t[fit], y_t[fit], seed=1))
        for fit, score in [(half_a, half_b), (half_b, half_a)]
    ]
    for source, f_s in source_features.items():
        if source == target:
            continue
        ratios = [
            transferability(f_s[score], hidden_layer(ref, X_t[score]), y_t[score])
            for _, score, ref in references
        ]
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
        rows.append(
            {
                "target": target,
                "source": source,
                "H": h_score(f_s, y_t),
                "H/(C-1)": h_score(f_s, y_t, normalize="classes"),
                "T": np.mean(ratios),
                "accuracy": cross_val_score(clf, f_s, y_t, cv=cv).mean(),
            }
        )
results = pd.DataFrame(rows)
pd.set_option("display.width", 120)
for value in ["T", "H", "accuracy"]:
    print(f"\n{value}")
    print(results.pivot(index="source", columns="target", values=value).round(3))

summary = []
for target, group in results.groupby("target", sort=False):
    ranked = group.sort_values("H", ascending=False)["source"].tolist()
    summary.append(
        {
            "target": target,
            "tau(H, acc)": kendalltau(group["H"], group["accuracy"]).statistic,
            "tau(T, acc)": kendalltau(group["T"], group["accuracy"]).statistic,
            "spearman(H, acc)": spearmanr(group["H"], group["accuracy"]).statistic,
            "best by H": ranked[0],
            "its acc.": group.set_index("source").loc[ranked[0], "accuracy"],
            "best by acc.": group.loc[group["accuracy"].idxmax(), "source"],
            "best acc.": group["accuracy"].max(),
            "last two by H": ", ".join(ranked[-2:]),
        }
    )
summary = pd.DataFrame(summary)
print()
print(summary.to_string(index=False, float_format="%.3f"))
print(f"\nmean Kendall tau(H, accuracy) over the targets: {summary['tau(H, acc)'].mean():.2f}")
print(f"mean Kendall tau(T, accuracy) over the targets: {summary['tau(T, acc)'].mean():.2f}")
pooled = kendalltau(results["T"], results["accuracy"]).statistic
pooled_h = kendalltau(results["H"], results["accuracy"]).statistic
pooled_c = kendalltau(results["H/(C-1)"], results["accuracy"]).statistic
print(
    f"pooled over all targets: tau(T, accuracy) = {pooled:.2f}, tau(H, accuracy) = "
    f"{pooled_h:.2f}, tau(H / (C - 1), accuracy) = {pooled_c:.2f}"
)
print(f"Run time: {time.perf_counter() - start_all:.1f} s")

# %%
# Transferability against transfer accuracy, one panel per target
# ----------------------------------------------------------------
fig, axes = plt.subplots(2, 3, figsize=(13, 8), layout="constrained")
for ax, (target, group) in zip(axes.flat, results.groupby("target", sort=False), strict=False):
    display = ScoreAccuracyDisplay.from_scores(
        group["T"], group["accuracy"], names=group["source"].tolist(), score_name="T(S, T)", ax=ax
    )
    ax.set_title(f"target {target}: Kendall tau = {display.kendall_tau_:.2f}", fontsize=10)
ax = axes.flat[-1]
for target, group in results.groupby("target", sort=False):
    ax.scatter(group["T"], group["accuracy"], label=target, s=18)
ax.set_xlabel("T(S, T)")
ax.set_ylabel("accuracy")
ax.set_title(f"all targets pooled: Kendall tau = {pooled:.2f}", fontsize=10)
ax.legend(fontsize=8)
plt.show()

# %%
# What it shows
# -------------
# The script prints the three matrices (``T``, raw ``H`` and transfer accuracy, one column
# per target) and the rank correlations. When this example was written:
#
# * the Kendall rank correlation between ``H_T(f_S)`` and the transfer accuracy, over the
#   six candidate sources of each target, was 1.00 (parity), 0.87 (``>=5``), 0.73 (has
#   loop) and 0.60 (``digit10`` and ``mod3``), 0.76 on average (Spearman 0.71-1.00);
#   ranking by the cross-fitted ``T`` gave 0.79 on average: within one target ``T`` is
#   ``H_T(f_S)`` over a constant, and differs from it only by estimation noise;
# * the untrained layer was last for every target, by both H-score and accuracy, and the
#   network trained on random labels last but one for four targets out of five;
# * the source with the highest H-score was the most accurate one for parity only; for the
#   other targets its accuracy was within 0.02 of the best (e.g. for ``digit10``, ``>=5``
#   with 0.928 against ``mod3`` with 0.947). The trained sources differ little here, and
#   the H-score cannot resolve differences of one or two points of accuracy on 900 images:
#   it sorts good sources from poor ones, as on Taskonomy in the paper, rather than
#   ranking near-ties exactly;
# * pooled over the five targets, ``T`` keeps a Kendall tau of 0.74 with the accuracy
#   while the raw H-score falls to 0.43: the raw score of the 10-class target lives on a
#   scale up to 9, that of a binary target up to 1. This is why the paper normalises.
#   ``h_score(..., normalize="classes")``, which divides by ``C - 1`` instead of a
#   reference network's score, was in between with 0.55: it puts the targets on one
#   scale but not on one difficulty.
#
# How much these numbers move with the training of the small networks is worth knowing:
# with ``max_iter=400`` instead of 300 the per-target taus were 0.87, 0.87, 0.87, 0.73 and
# 0.73 (mean 0.81).
