"""
======================================================
Which layer of a network transfers? H-score per layer
======================================================

The first validation experiment of Bao et al. (ICIP 2019) scores the layers of a network
trained on one task on another task, and compares the H-score of each layer with the
accuracy a softmax regression reaches on that layer's features: the paper finds the two
perfectly monotone (res4a to res4f of a ResNet-50, scored on CIFAR-100).

This is the offline analogue on :func:`~sklearn.datasets.load_digits`. A multi-layer
perceptron with five hidden layers is trained on the digits 0-4 only (the source task).
The target task is to tell the *unseen* digits 5-9 apart. Each layer of the frozen network
(the standardised input pixels, then ``h1`` ... ``h5``) is a candidate representation for
the target: it is scored with :func:`skhscore.h_score`, without training anything on the
target, and the expensive ground truth is the 5-fold accuracy of a logistic (softmax) regression
trained on the layer's features.
"""

# %%
# Train the source network on digits 0-4
# --------------------------------------
import time

import matplotlib.pyplot as plt
import numpy as np
from scipy.stats import kendalltau
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skhscore import ScoreAccuracyDisplay, h_score

threadpool_limits(1)  # small matrices: one BLAS thread is fastest and keeps timings steady

X, y = load_digits(return_X_y=True)
source = y < 5
scaler = StandardScaler().fit(X[source])  # standardised with the source task's statistics
X = scaler.transform(X)
X_source, y_source = X[source], y[source]
X_target, y_target = X[~source], y[~source]

net = MLPClassifier(hidden_layer_sizes=(64,) * 5, max_iter=300, random_state=0)
net.fit(X_source, y_source)
print(f"Source network: training accuracy on digits 0-4 = {net.score(X_source, y_source):.3f}")


def layer_features(mlp, X):
    """Activations of every hidden layer of a fitted MLPClassifier (ReLU), input first."""
    layers = [X]
    for coef, intercept in zip(mlp.coefs_[:-1], mlp.intercepts_[:-1], strict=True):
        layers.append(np.maximum(layers[-1] @ coef + intercept, 0.0))
    return layers


names = ["input", "h1", "h2", "h3", "h4", "h5"]
features = dict(zip(names, layer_features(net, X_target), strict=True))

# %%
# Score every layer on digits 5-9, and measure the accuracy it gives
# ------------------------------------------------------------------
# The H-score needs one pass over the features; the accuracy needs five logistic
# regressions per layer.
cv = StratifiedKFold(5, shuffle=True, random_state=0)
scores, accuracies = [], []
h_time = acc_time = 0.0
for name in names:
    start = time.perf_counter()
    scores.append(h_score(features[name], y_target))
    h_time += time.perf_counter() - start
    start = time.perf_counter()
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000))
    accuracies.append(cross_val_score(clf, features[name], y_target, cv=cv).mean())
    acc_time += time.perf_counter() - start

print(f"{'layer':>6} {'H-score':>8} {'accuracy':>9}")
for name, score, accuracy in zip(names, scores, accuracies, strict=True):
    print(f"{name:>6} {score:8.3f} {accuracy:9.3f}")
tau = kendalltau(scores, accuracies).statistic
print(f"Kendall tau between H-score and accuracy over the {len(names)} layers: {tau:.2f}")
print(f"H-score of all layers: {h_time:.2f} s; logistic regressions: {acc_time:.1f} s")

# %%
# H-score and accuracy per layer
# ------------------------------
# Left, both quantities along the depth of the network; right, the same points as a
# :class:`~skhscore.ScoreAccuracyDisplay`, whose title gives the Kendall rank correlation.
fig, (ax_depth, ax_scatter) = plt.subplots(1, 2, figsize=(11, 4.5))
ax_depth.plot(names, scores, "o-", color="tab:blue")
ax_depth.set_xlabel("layer of the network trained on digits 0-4")
ax_depth.set_ylabel("H-score on digits 5-9", color="tab:blue")
ax_acc = ax_depth.twinx()
ax_acc.plot(names, accuracies, "s--", color="tab:orange")
ax_acc.set_ylabel("5-fold accuracy of softmax regression", color="tab:orange")
ax_depth.set_title("Transfer to digits 5-9, layer by layer")
ScoreAccuracyDisplay.from_scores(scores, accuracies, names=names, ax=ax_scatter)
fig.tight_layout()
plt.show()

# %%
# What it shows
# -------------
# The script prints the Kendall rank correlation between the H-score and the accuracy of
# the six layers; when this example was written it printed ``1.00``: the H-score orders
# the layers exactly as the trained classifiers do, as in the paper's figure, at a small
# fraction of the cost (H-scores 3.27, 3.13, 2.96, 2.69, 2.48, 2.36 from the input to
# ``h5``, accuracies 0.982 down to 0.809). Here the representation specialises to the
# source task as it gets deeper: the pixels transfer best to the unseen digits, ``h5``
# worst, and both the H-score and the accuracy fall layer after layer (the paper's ResNet
# layers, pre-trained on the much broader ImageNet, improve with depth instead; what
# matters is that the score follows the accuracy).
#
# How robust is this? Networks trained with ``random_state=1`` and ``2`` gave tau = 1 as
# well. Trained on pixels scaled to [0, 1] instead of standardised, the networks keep more
# of the pixels' information in ``h1``, whose H-score then edges past the input's (3.33
# against 3.27) while its accuracy stays just below (0.969 against 0.982): tau drops to
# 0.73 or 0.87 over the six layers, one adjacent swap of two near-equal layers. The
# H-score measures what the features expose *linearly* to a Gaussian-like classifier,
# not what a regularised logistic regression makes of them, so near-ties can flip.
#
# The layers have the same width (64 columns, like the input), so the raw H-score is a
# fair comparison here; for representations of different widths or sample sizes see
# :ref:`sphx_glr_auto_examples_plot_sample_size.py` and the ``adjusted=True`` score.
