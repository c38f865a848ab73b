"""
==================================================
A task-transfer curriculum from transferabilities
==================================================

Bao et al. (ICIP 2019) use the transferability ``T(S, T) = H_T(f_S) / H_T(f_T)`` between
tasks to plan a *curriculum*: an order in which to train one network on a sequence of
tasks before the final one. This example builds the whole pipeline offline on
:func:`~sklearn.datasets.load_digits`:

1. several tasks on the same images (the digit, its parity, whether it is at least 5, the
   digit modulo 3, whether it has a closed loop, and random labels);
2. a small network trained on each task alone; its hidden layer ``f_S`` is scored on every
   other task with :func:`skhscore.transferability`, which gives a matrix of
   transferabilities (a heatmap), checked against the accuracy of a logistic regression
   on ``f_S``;
3. the curriculum the matrix suggests for the final task, the 10-class digit with only a
   few labelled images;
4. whether training one network in that order (the hidden layer carried from task to
   task, a fresh output layer per task) beats random orders of the same tasks on the
   final task, averaged over several seeds.

scikit-learn's :class:`~sklearn.neural_network.MLPClassifier` cannot swap its output layer
between tasks with different classes, so the network is a tiny numpy MLP.
"""

# %%
# Tasks and a tiny multi-head network
# -----------------------------------
import itertools
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import kendalltau, wilcoxon
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skhscore import transferability

threadpool_limits(1)  # small matrices: one BLAS thread is fastest and keeps timings steady
start_all = time.perf_counter()

X, digit = load_digits(return_X_y=True)
label_rng = np.random.default_rng(0)
tasks = {
    "digit10": digit,
    "parity": digit % 2,
    ">=5": (digit >= 5).astype(int),
    "mod3": digit % 3,
    "has loop": np.isin(digit, [0, 6, 8, 9]).astype(int),
    "random": label_rng.integers(0, 10, size=len(digit)),
}
names = list(tasks)
final_task = "digit10"
auxiliary = [name for name in names if name != final_task]

# Half of the images train the networks, a quarter measures the transferabilities (and
# chooses the curriculum), a quarter tests the final task.
idx_train, idx_rest = train_test_split(
    np.arange(len(digit)), test_size=0.5, stratify=digit, random_state=0
)
idx_val, idx_test = train_test_split(
    idx_rest, test_size=0.5, stratify=digit[idx_rest], random_state=0
)
X = StandardScaler().fit(X[idx_train]).transform(X)
# The final task has few labels: 10 images per digit from the training half.
final_labelled = np.concatenate([idx_train[digit[idx_train] == d][:10] for d in range(10)])


class TinyMLP:
    """One ReLU hidden layer shared by all tasks, a fresh softmax head per task, Adam."""

    def __init__(self, n_inputs, n_hidden, seed):
        self.rng = np.random.default_rng(seed)
        bound = np.sqrt(6.0 / (n_inputs + n_hidden))
        self.W = self.rng.uniform(-bound, bound, (n_inputs, n_hidden))
        self.b = np.zeros(n_hidden)

    def hidden(self, X):
        return np.maximum(X @ self.W + self.b, 0.0)

    def fit_task(self, X, y, *, epochs, lr=3e-3, alpha=1e-4, batch_size=128):
        """Train the hidden layer and a new output layer on one task (labels 0..C-1)."""
        n_classes = int(y.max()) + 1
        bound = np.sqrt(6.0 / (self.W.shape[1] + n_classes))
        V = self.rng.uniform(-bound, bound, (self.W.shape[1], n_classes))
        c = np.zeros(n_classes)
        params = [self.W, self.b, V, c]
        moments = [(np.zeros_like(p), np.zeros_like(p)) for p in params]
        onehot = np.eye(n_classes)[y]
        step = 0
        for _ in range(epochs):
            order = self.rng.permutation(len(y))
            for batch in np.array_split(order, max(1, len(y) // batch_size)):
                Xb, Yb = X[batch], onehot[batch]
                pre = Xb @ self.W + self.b
                H = np.maximum(pre, 0.0)
                logits = H @ V + c
                P = np.exp(logits - logits.max(axis=1, keepdims=True))
                P /= P.sum(axis=1, keepdims=True)
                d_logits = (P - Yb) / len(batch)
                d_pre = (d_logits @ V.T) * (pre > 0)
                grads = [
                    Xb.T @ d_pre + alpha * self.W,
                    d_pre.sum(axis=0),
                    H.T @ d_logits + alpha * V,
                    d_logits.sum(axis=0),
                ]
                step += 1
                for p, g, (m, v) in zip(params, grads, moments, strict=True):
                    m *= 0.9
                    m += 0.1 * g
                    v *= 0.999
                    v += 0.001 * g * g
                    p -= lr * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
        self.head = (V, c)
        return self

    def predict(self, X):
        V, c = self.head
        return np.argmax(self.hidden(X) @ V + c, axis=1)


# %%
# The transferability matrix
# --------------------------
# One network per task, trained alone on the training half (30 epochs). Entry ``(S, T)``
# is ``transferability(f_S, f_T, y_T)`` on the validation quarter, images that none of
# the networks saw: the H-score of the features learned for ``S`` on the labels of ``T``,
# over that of the features learned for ``T`` itself (so the diagonal is 1). As a check,
# the transfer accuracy of ``f_S`` on ``T`` is the 3-fold accuracy of a logistic
# regression on the validation quarter.
EPOCHS = 30
single = {
    name: TinyMLP(X.shape[1], 32, seed=0).fit_task(X[idx_train], y[idx_train], epochs=EPOCHS)
    for name, y in tasks.items()
}
val_features = {name: net.hidden(X[idx_val]) for name, net in single.items()}
T = np.zeros((len(names), len(names)))
transfer_accuracy = np.zeros_like(T)
for (i, s), (j, t) in itertools.product(enumerate(names), enumerate(names)):
    y_val = tasks[t][idx_val]
    T[i, j] = transferability(val_features[s], val_features[t], y_val)
    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    transfer_accuracy[i, j] = cross_val_score(clf, val_features[s], y_val, cv=3).mean()

print("T(S, T), rows: source S, columns: target T")
print(pd.DataFrame(T, index=names, columns=names).round(2))
off_diagonal = ~np.eye(len(names), dtype=bool)
taus = [
    kendalltau(T[off_diagonal[:, j], j], transfer_accuracy[off_diagonal[:, j], j]).statistic
    for j in range(len(names))
]
print("Kendall tau between T(S, T) and transfer accuracy, per target task:")
print("  " + ", ".join(f"{t}: {tau:.2f}" for t, tau in zip(names, taus, strict=True)))
print(f"  mean {np.mean(taus):.2f}")

# %%
# The curriculum it suggests
# --------------------------
# Greedily backwards from the final task: the task trained just before it is the one whose
# features transfer best to it, the one before that transfers best to that one, and so
# on, until every auxiliary task has a place.
chain = [final_task]
remaining = set(auxiliary)
while remaining:
    column = names.index(chain[0])
    best = max(remaining, key=lambda s: T[names.index(s), column])
    chain.insert(0, best)
    remaining.remove(best)
curriculum = chain[:-1]
print("Curriculum suggested by the transferabilities:", " -> ".join(chain))
print(f"Matrix and curriculum: {time.perf_counter() - start_all:.1f} s")

fig, (ax_T, ax_acc) = plt.subplots(1, 2, figsize=(12, 5))
for ax, matrix, title in [
    (ax_T, T, "transferability T(S, T) = H_T(f_S) / H_T(f_T)"),
    (ax_acc, transfer_accuracy, "transfer accuracy (logistic regression on f_S)"),
]:
    image = ax.imshow(matrix, cmap="viridis")
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("target task T")
    ax.set_ylabel("source task S (features f_S)")
    ax.set_title(title, fontsize=10)
    middle = (matrix.min() + matrix.max()) / 2
    for i, j in itertools.product(range(len(names)), repeat=2):
        color = "k" if matrix[i, j] > middle else "w"
        ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=8, color=color)
    fig.colorbar(image, ax=ax, shrink=0.8)
fig.tight_layout()
plt.show()

# %%
# Does the curriculum beat random orders?
# ---------------------------------------
# For each seed, one network goes through the auxiliary tasks in the suggested order
# (``EPOCHS`` epochs each on the training half), then learns the final task from its 100
# labelled images (200 epochs); several random orders of the same tasks, and training on
# the final task alone, get the same budget and the same initial weights. The score is
# the accuracy on the test quarter.
FINAL_EPOCHS = 200
n_seeds, n_random_orders = 6, 4


def final_accuracy(order, seed):
    net = TinyMLP(X.shape[1], 32, seed=seed)
    for task in order:
        net.fit_task(X[idx_train], tasks[task][idx_train], epochs=EPOCHS)
    net.fit_task(X[final_labelled], digit[final_labelled], epochs=FINAL_EPOCHS)
    return np.mean(net.predict(X[idx_test]) == digit[idx_test])


order_rng = np.random.default_rng(1)
results = {"curriculum": [], "random order": [], "final task only": []}
last_task_T, last_task_accuracy = [], []
for seed in range(n_seeds):
    results["curriculum"].append(final_accuracy(curriculum, seed))
    results["final task only"].append(final_accuracy([], seed))
    random_scores = []
    for _ in range(n_random_orders):
        order = list(order_rng.permutation(auxiliary))
        random_scores.append(final_accuracy(order, seed))
        last_task_T.append(T[names.index(order[-1]), names.index(final_task)])
        last_task_accuracy.append(random_scores[-1])
    results["random order"].append(np.mean(random_scores))
results = {key: np.array(value) for key, value in results.items()}
for key, value in results.items():
    print(f"{key:>16}: test accuracy {value.mean():.3f} +- {value.std():.3f} over {n_seeds} seeds")
gain = results["curriculum"] - results["random order"]
print(f"curriculum - mean of random orders, per seed: {np.round(gain, 3)}")
print(
    f"Wilcoxon signed-rank p-value (one-sided): {wilcoxon(gain, alternative='greater').pvalue:.3f}"
)
tau_last = kendalltau(last_task_T, last_task_accuracy).statistic
print(
    f"Kendall tau, over the {len(last_task_T)} random orders, between T(last auxiliary task, "
    f"{final_task}) and the final accuracy: {tau_last:.2f}"
)
print(f"Run time: {time.perf_counter() - start_all:.1f} s")

fig, ax = plt.subplots(figsize=(6, 4))
conditions = list(results)
paired = np.column_stack([results[key] for key in conditions])
ax.plot(range(len(conditions)), paired.T, "-", color="0.75", lw=1)
for k, key in enumerate(conditions):
    ax.scatter(np.full(n_seeds, k), results[key], color=f"C{k}", zorder=3)
    ax.hlines(results[key].mean(), k - 0.2, k + 0.2, color=f"C{k}", lw=3, zorder=4)
ax.set_xticks(range(len(conditions)), conditions)
ax.set_ylabel(f"test accuracy on {final_task} (100 labels)")
ax.set_title("Final-task accuracy; grey lines join one seed, bars are means", fontsize=10)
fig.tight_layout()
plt.show()

# %%
# What it shows
# -------------
# The script prints the matrix, the rank correlations and the accuracies. When this
# example was written:
#
# * **The matrix.** The features learned for the 10-class digit transfer best to every
#   other task (T = 0.92-0.95), and the features learned on random labels worst (0.54-0.66).
#   The column of the random-label *target* is meaningless (every entry is near 1, since
#   no features beat chance on it, not even its own). Within each target column, the
#   Kendall rank correlation between ``T(S, T)`` and the transfer accuracy of a logistic
#   regression on ``f_S`` was 1.00 for parity, ``>=5``, ``mod3`` and has loop, and 0.60
#   for the digit and for random labels (mean 0.87).
# * **The curriculum.** Backwards from the digit: ``mod3`` transfers best to it (0.87),
#   has loop best to ``mod3``, and so on, giving random -> parity -> ``>=5`` -> has loop
#   -> ``mod3`` -> digit10. Sensibly, the useless random-label task comes first, where
#   the later tasks overwrite what it taught.
# * **Does the order matter?** With only 100 labelled digits, pre-training the hidden
#   layer on the auxiliary tasks helped: 0.892 mean test accuracy over random orders
#   against 0.873 for the final task alone (6 seeds). The suggested curriculum reached
#   0.900, ahead of the random orders on 5 seeds out of 6 but by only 0.008 on average,
#   within the seed-to-seed spread (one-sided Wilcoxon p = 0.22). A longer run of the
#   same script with 20 seeds gave 0.898 against 0.893 (p = 0.10). Over the random
#   orders, the transferability of the *last* auxiliary task to the digit did not predict
#   the final accuracy (Kendall tau -0.40 here, -0.10 over the 80 orders of the longer
#   run).
#
# So on this small problem the transferability matrix gives a sensible ordering of the
# tasks and agrees well with transfer accuracy, but the order of a curriculum is a weak
# lever: a network fine-tuned on the final task forgets much of the order it was
# pre-trained in, and what it keeps from the auxiliary tasks helps whatever the order.
# The paper's claim that transferability-ordered curricula help is not contradicted, but
# it is not reproduced with a clear margin here either.
