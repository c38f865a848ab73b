"""
===========================================
Streaming the H-score batch by batch
===========================================

Features usually come out of a network one batch at a time. The H-score only needs k x k
sufficient statistics of them, so :class:`skhscore.IncrementalHScore` can score a stream of
batches without ever holding all the features: each ``partial_fit`` adds a batch, ``score_``
gives the H-score of everything seen so far, and at the end of the stream it equals the
one-shot :func:`skhscore.h_score` on all the features (to rounding).

Here two feature extractors are scored on the digits 5-9 of scikit-learn's digits data:

* the hidden layer of a small MLP trained on the *other* digits (0-4): a transferred feature;
* random Fourier features (:class:`~sklearn.kernel_approximation.RBFSampler`): a generic one.

Features are extracted batch by batch, in a shuffled stream of batches of 32 images.
"""

# %%
# The source model and the two extractors
# ---------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.kernel_approximation import RBFSampler
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import MinMaxScaler

from skhscore import IncrementalHScore, h_score, h_score_from_batches

X, y = load_digits(return_X_y=True)
X = MinMaxScaler().fit_transform(X)
source, target = y < 5, y >= 5
mlp = MLPClassifier(hidden_layer_sizes=(16,), max_iter=1000, random_state=0)
mlp.fit(X[source], y[source])
rff = RBFSampler(gamma=0.2, n_components=16, random_state=0).fit(X[source])

extractors = {
    "MLP hidden layer (trained on 0-4)": lambda xb: np.maximum(
        xb @ mlp.coefs_[0] + mlp.intercepts_[0], 0.0
    ),
    "random Fourier features": rff.transform,
}

X_target, y_target = X[target], y[target]
rng = np.random.default_rng(0)
order = rng.permutation(len(y_target))
batch_size = 32


def batches():
    """The stream: shuffled images, 32 at a time (a DataLoader plays this part in practice)."""
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        yield X_target[idx], y_target[idx]


# %%
# Score the stream
# ----------------
# ``partial_fit`` per batch; after each batch, read the running score. (Reading ``score_``
# costs one k x k factorisation; a real stream would read it only now and then.)
running, seen, one_shot = {}, None, {}
for name, extract in extractors.items():
    est = IncrementalHScore()
    scores, counts = [], []
    for X_batch, y_batch in batches():
        est.partial_fit(extract(X_batch), y_batch, classes=[5, 6, 7, 8, 9])
        if est.n_samples_seen_ > est.n_features_in_ + 1:  # below that, H = C - 1 exactly
            scores.append(est.score_)
            counts.append(est.n_samples_seen_)
    running[name], seen = scores, counts
    one_shot[name] = h_score(extract(X_target), y_target)
    print(
        f"{name}: streamed {est.score_:.6f}, one shot {one_shot[name]:.6f}, "
        f"relative difference {abs(est.score_ - one_shot[name]) / one_shot[name]:.1e}"
    )

# %%
# The running score falls as samples accumulate (H-score's small-sample bias: with k
# features and C classes, features unrelated to the labels score about k (C - 1) / (n - 1))
# and lands exactly on the one-shot value when the stream ends. The two extractors (16
# features each) are told apart after a few hundred samples: the features learnt on the
# other digits transfer better than random Fourier features of the same width.
fig, ax = plt.subplots(figsize=(7, 4.5))
for (name, scores), color in zip(running.items(), ["C0", "C1"], strict=True):
    ax.plot(seen, scores, color=color, label=f"{name}, running")
    ax.axhline(one_shot[name], color=color, linestyle="--", label=f"{name}, one shot")
k = mlp.coefs_[0].shape[1]
n = np.asarray(seen, dtype=float)
ax.plot(
    n, np.minimum(k * 4 / (n - 1), 4), color="grey", linestyle=":", label="noise: k(C-1)/(n-1)"
)
ax.set_xlabel("samples seen")
ax.set_ylabel("H-score")
ax.set_ylim(0, 4.1)
ax.set_title("Running H-score of streamed features, digits 5-9")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# The same in one call, and from separate workers
# -----------------------------------------------
# :func:`skhscore.h_score_from_batches` consumes any iterable of ``(X_batch, y_batch)``
# (a PyTorch DataLoader's output included, tensors are moved to the host batch by batch);
# estimators fitted on separate parts of the data merge into the estimator of the whole.
extract = extractors["MLP hidden layer (trained on 0-4)"]
streamed = h_score_from_batches((extract(xb), yb) for xb, yb in batches())
half = len(y_target) // 2
first = IncrementalHScore().fit(extract(X_target[:half]), y_target[:half])
second = IncrementalHScore().fit(extract(X_target[half:]), y_target[half:])
print(f"h_score_from_batches: {streamed:.10f}")
print(f"merge of two halves:  {first.merge(second).score_:.10f}")
print(f"one shot:             {one_shot['MLP hidden layer (trained on 0-4)']:.10f}")
plt.show()
