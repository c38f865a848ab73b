"""
=====================================================
The width bias of the H-score, and the adjusted score
=====================================================

The H-score is Pillai's trace of a MANOVA of the features on the labels. Even for features
that are pure noise it is not zero: its mean is ``E0 = k (C - 1) / (n - 1)`` for ``k``
columns, ``C`` classes and ``n`` samples. On a small target set, wide features therefore
score high whatever they contain: here 256 columns of Gaussian noise outscore the first 16
principal components of the digits, which separate the ten classes well.

The chance-adjusted score ``h_score(X, y, adjusted=True)``, ``(H - E0) / (min(k, C - 1) -
E0)``, removes the bias: it is about 0 for noise of any width and stays high for real
features. :func:`skhscore.h_score_test` gives the p-value as well.
"""

# %%
# Features of growing width on 360 digits
# ---------------------------------------
# The noise features are independent of the labels; the real features are the leading
# principal components of the pixels (PCA fitted on the other digits, so that the
# features are not fitted to the labels' sample either).
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from skhscore import h_score, h_score_test

X, y = load_digits(return_X_y=True)
X_target, y_target = X[:360], y[:360]
pca = PCA(n_components=64, random_state=0).fit(X[360:])
real_all = pca.transform(X_target)
rng = np.random.default_rng(0)
noise_all = rng.normal(size=(360, 256))

n, n_classes = len(y_target), len(np.unique(y_target))
widths = [2, 4, 8, 16, 32, 64, 128, 256]
rows = []
for k in widths:
    noise = noise_all[:, :k]
    row = {
        "k": k,
        "E0": k * (n_classes - 1) / (n - 1),
        "noise H": h_score(noise, y_target),
        "noise adjusted": h_score(noise, y_target, adjusted=True),
        "noise p": h_score_test(noise, y_target).pvalue,
    }
    if k <= real_all.shape[1]:
        real = real_all[:, :k]
        row["real H"] = h_score(real, y_target)
        row["real adjusted"] = h_score(real, y_target, adjusted=True)
        row["real p"] = h_score_test(real, y_target).pvalue
    rows.append(row)

print(f"{'k':>4} {'E0':>6} {'noise H':>8} {'adj':>7} {'p':>6} | {'PCA H':>7} {'adj':>6}")
for row in rows:
    real = f"{row['real H']:7.3f} {row['real adjusted']:6.3f}" if "real H" in row else "      -"
    print(
        f"{row['k']:4d} {row['E0']:6.3f} {row['noise H']:8.3f} "
        f"{row['noise adjusted']:7.3f} {row['noise p']:6.3f} | {real}"
    )

# %%
# Raw H against width, and the adjusted score beside it
# -----------------------------------------------------
# Raw H of noise follows its chance level ``E0`` (dashed) and passes the real features
# once the noise is wide enough. The adjusted score puts noise at 0 for every width and
# ranks the real features first at every width.
real_rows = [row for row in rows if "real H" in row]
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
left.plot(widths, [r["noise H"] for r in rows], "o-", label="Gaussian noise")
left.plot([r["k"] for r in real_rows], [r["real H"] for r in real_rows], "s-", label="PCA")
left.plot(widths, [r["E0"] for r in rows], "k--", label="chance level E0")
left.axhline(n_classes - 1, color="grey", lw=0.8)
left.set(xscale="log", xlabel="width k (columns)", ylabel="H-score", title="Raw H-score")
left.set_xticks(widths, [str(k) for k in widths])
left.legend()

right.plot(widths, [r["noise adjusted"] for r in rows], "o-", label="Gaussian noise")
right.plot([r["k"] for r in real_rows], [r["real adjusted"] for r in real_rows], "s-", label="PCA")
right.axhline(0, color="k", ls="--", lw=0.8)
right.set(
    xscale="log",
    xlabel="width k (columns)",
    ylabel="adjusted H-score",
    title="Chance-adjusted H-score",
)
right.set_xticks(widths, [str(k) for k in widths])
right.legend()
fig.suptitle(f"load_digits, n = {n} samples, C = {n_classes} classes")
plt.show()

# %%
# What this shows
# ---------------
# In the run recorded for the documentation, 256 noise columns scored H = 6.50 (chance
# level 6.42, p = 0.20), above the 5.72 of 16 principal components and close to the 6.96
# of 64. The adjusted score of the noise stayed between -0.03 and +0.03 at every width,
# while the principal components scored 0.54 to 0.77: the adjusted score compares
# feature extractors of different widths on the same footing. Note that the adjusted
# score is relative to the attainable maximum ``min(k, C - 1)``, so it need not grow
# with k the way raw H does.
