"""
=========================================================
The sample-size effect: H falls with n, the ranking holds
=========================================================

Bao et al. (ICIP 2019) computed the H-score of the same ResNet layers on CIFAR-100 samples
of 5,000 to 50,000 images: every layer's H-score fell as the sample grew (from about 35-39
to 19-24), while the ordering of the layers, and its agreement with the log-loss, stayed
the same.

The reason is the estimator's finite-sample bias. The H-score is Pillai's trace: even for
features independent of the labels its mean is ``E0 = k (C - 1) / (n - 1)`` for ``k``
feature columns (their rank), ``C`` classes and ``n`` samples, and the fitted class means
of real features are inflated in the same way. The chance-adjusted score
``h_score(X, y, adjusted=True)``, ``(H - E0) / (min(k, C - 1) - E0)``, removes the
null part of the bias.

This example reproduces the effect offline with the setup of
:ref:`sphx_glr_auto_examples_plot_layer_transfer.py`: the six layers (standardised input
pixels, ``h1`` ... ``h5``) of an MLP trained on the digits 0-4, scored on the unseen digits
5-9, now on random stratified subsamples of growing size.
"""

# %%
# The layers of a network trained on digits 0-4
# ----------------------------------------------
import time

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import kendalltau
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skhscore import h_score, h_score_test

threadpool_limits(1)  # small matrices: one BLAS thread is fastest and keeps timings steady
start_all = time.perf_counter()

X, y = load_digits(return_X_y=True)
source = y < 5
X = StandardScaler().fit(X[source]).transform(X)
net = MLPClassifier(hidden_layer_sizes=(64,) * 5, max_iter=300, random_state=0)
net.fit(X[source], y[source])
X_target, y_target = X[~source], y[~source]


def layer_features(mlp, X):
    """Activations of every hidden layer of a fitted MLPClassifier (ReLU), input first."""
    layers = [X]
    for coef, intercept in zip(mlp.coefs_[:-1], mlp.intercepts_[:-1], strict=True):
        layers.append(np.maximum(layers[-1] @ coef + intercept, 0.0))
    return layers


names = ["input", "h1", "h2", "h3", "h4", "h5"]
features = dict(zip(names, layer_features(net, X_target), strict=True))
n_full, n_classes = len(y_target), len(np.unique(y_target))

# The ground truth, on the whole target set: 5-fold accuracy of softmax regression.
cv = StratifiedKFold(5, shuffle=True, random_state=0)
accuracy = {
    name: cross_val_score(
        make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000)),
        features[name],
        y_target,
        cv=cv,
    ).mean()
    for name in names
}

# %%
# H-score on subsamples of growing size
# -------------------------------------
# For each size ``n``, 20 random stratified subsamples of the digits 5-9; each layer gets
# its raw H-score, its chance-adjusted score and the null mean ``E0`` (from
# :func:`skhscore.h_score_test`), averaged over the subsamples. The smallest size stays
# above the 64 columns of a layer: with ``n - 1 <= k`` every feature set separates the
# sample perfectly and scores ``C - 1``.
sizes = [100, 150, 200, 300, 450, 600, 800]
n_repeats = 20
raw = np.zeros((len(sizes), len(names)))
adjusted = np.zeros_like(raw)
null_mean = np.zeros_like(raw)
for i, n in enumerate(sizes):
    splitter = StratifiedShuffleSplit(n_repeats, train_size=n, random_state=i)
    for subsample, _ in splitter.split(X_target, y_target):
        for j, name in enumerate(names):
            result = h_score_test(features[name][subsample], y_target[subsample])
            raw[i, j] += result.statistic / n_repeats
            adjusted[i, j] += result.adjusted / n_repeats
            null_mean[i, j] += result.null_mean / n_repeats
full = np.array([h_score(features[name], y_target) for name in names])
full_adjusted = np.array([h_score(features[name], y_target, adjusted=True) for name in names])

acc = np.array([accuracy[name] for name in names])
print("mean H-score of each layer (rows: sample size n)")
print(f"{'n':>5} " + " ".join(f"{name:>6}" for name in names) + "   E0(k=64)  tau(H, acc)")
for i, n in enumerate(sizes):
    tau = kendalltau(raw[i], acc).statistic
    e0 = 64 * (n_classes - 1) / (n - 1)
    print(f"{n:5d} " + " ".join(f"{h:6.2f}" for h in raw[i]) + f"   {e0:8.2f}  {tau:11.2f}")
tau_full = kendalltau(full, acc).statistic
print(f"{n_full:5d} " + " ".join(f"{h:6.2f}" for h in full) + f"   (all)     {tau_full:11.2f}")
print("accuracy " + " ".join(f"{a:6.3f}" for a in acc))
print("\nmean chance-adjusted H-score")
for i, n in enumerate(sizes):
    print(f"{n:5d} " + " ".join(f"{h:6.3f}" for h in adjusted[i]))
print(f"{n_full:5d} " + " ".join(f"{h:6.3f}" for h in full_adjusted))
ranks = [int(np.linalg.matrix_rank(features[name] - features[name].mean(0))) for name in names]
print("rank of each layer's features:", ranks)

for label, table, whole in [("raw", raw, full), ("adjusted", adjusted, full_adjusted)]:
    taus = [kendalltau(row, acc).statistic for row in table]
    kept = [
        n for n, row in zip(sizes, table, strict=True) if (row.argsort() == whole.argsort()).all()
    ]
    print(f"\n{label} H: Kendall tau with accuracy, smallest to largest n: {np.round(taus, 2)}")
    print(f"{label} H: sizes at which the layer ordering equals the full sample's: {kept}")
print(f"Run time: {time.perf_counter() - start_all:.1f} s")

# %%
# Raw and adjusted H-score against the sample size
# ------------------------------------------------
# Left, the raw H-score of every layer with the null mean ``E0 = 64 (C - 1) / (n - 1)`` of
# 64 independent columns (dashed): the curves fall towards their large-sample values as
# the bias shrinks. Right, the chance-adjusted score, which removes the null mean.
colors = plt.cm.viridis(np.linspace(0, 0.9, len(names)))
all_sizes = sizes + [n_full]
fig, (ax_raw, ax_adj) = plt.subplots(1, 2, figsize=(11, 4.5), sharex=True)
for j, name in enumerate(names):
    ax_raw.plot(all_sizes, [*raw[:, j], full[j]], "o-", color=colors[j], label=name)
    ax_adj.plot(all_sizes, [*adjusted[:, j], full_adjusted[j]], "o-", color=colors[j])
grid = np.linspace(sizes[0], n_full, 100)
ax_raw.plot(grid, 64 * (n_classes - 1) / (grid - 1), "k--", label="null mean E0, k = 64")
ax_raw.set_ylim(0, n_classes - 1)
ax_raw.set_xlabel("sample size n (digits 5-9)")
ax_raw.set_ylabel("mean H-score")
ax_raw.set_title("Raw H-score falls as n grows")
ax_raw.legend(fontsize=8, ncol=2)
ax_adj.set_xlabel("sample size n (digits 5-9)")
ax_adj.set_ylabel("mean chance-adjusted H-score")
ax_adj.set_title("adjusted=True removes the null bias")
fig.tight_layout()
plt.show()

# %%
# What it shows
# -------------
# The script prints the tables above. When this example was written, the mean H-score of
# every layer fell steadily with the sample size, e.g. ``h5`` from 3.31 at ``n = 100`` to
# 2.36 on all 896 target digits and the input from 3.69 to 3.27, as in the paper's
# sample-size figure. The Kendall rank correlation between the mean raw H-score and the
# softmax-regression accuracy of the layers was 1.00 at every size from ``n = 150`` up, and
# 0.87 at ``n = 100``, where the input pixels and ``h1`` swap (3.69 against 3.72): the
# digits 5-9 leave 8 pixels constant, so the input has rank 56 against 64 for ``h1``, and
# at ``n = 100`` the extra 8 columns are worth ``8 (C - 1) / (n - 1) = 0.32`` of H by
# chance alone. Raw H-scores are comparable only at equal width and sample size.
#
# The chance-adjusted score kept the full-sample ordering of the layers, and a Kendall tau
# of 1.00 with the accuracy, at every size including ``n = 100``, and moved far less
# (input 0.83 to 0.81, ``h5`` 0.60 to 0.56). It removes the null part of the bias exactly;
# the small remaining drift is the inflation of the class means of informative features,
# which also shrinks as ``1 / n``.
