"""Offline model selection: how well does each transferability metric rank a zoo of features?

For several target tasks built from data that ships with scikit-learn (and generated data),
a zoo of candidate feature extractors is fitted on the task's inputs:

* PCA (2, 5, 10, 20 components), Gaussian random projections (5, 20, 50), kernel
  approximations (RBFSampler 50 and 200, Nystroem 50), k-means distances (8 and 32 centres);
* the two hidden layers of small MLPs trained on *other labellings* of the same inputs
  (k-means clusterings, random linear rules, and a related semantic labelling such as the
  digit's parity): the "pre-trained models" of this offline setting.

The ground truth for a candidate is the 5-fold stratified cross-validated accuracy of a
logistic regression on its frozen (standardised) features. Each metric scores every candidate
on the whole task; the table reports, per task and averaged, the weighted Kendall tau
(``scipy.stats.weightedtau`` with its defaults, the "weighted tau" of the transferability
literature) and Kendall's tau between the metric and the ground truth, and the metric's total
time over all candidates as a fraction of the ground truth's time. "width" (the number of
features) is the trivial baseline: a metric is only useful where it beats it.

LEEP and NCE score a *source model's outputs*, not features: they are compared on the MLP
source models only (one candidate per model: its last hidden layer, scored by LEEP from the
MLP's predict_proba and by NCE from its predict), in a second table where the feature metrics
are computed on the same candidates.

Timings: BLAS pinned to one thread (threadpoolctl); each metric's time is the median of
``--rounds`` interleaved runs per candidate, summed over candidates; the ground truth is timed
once. Usage::

    python benchmarks/bench_ranking.py                      # prints the tables
    python benchmarks/bench_ranking.py --write benchmarks/notes/issue7.md
"""

import argparse
import inspect
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau, weightedtau
from sklearn.cluster import KMeans
from sklearn.datasets import load_breast_cancer, load_digits, load_wine, make_classification
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning, DataDimensionalityWarning
from sklearn.kernel_approximation import Nystroem, RBFSampler
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.random_projection import GaussianRandomProjection
from threadpoolctl import threadpool_limits

from skhscore import gbc_score, h_score, leep_score, logme_score, nce_score, transrate_score

BEGIN, END = "<!-- bench_ranking:begin -->", "<!-- bench_ranking:end -->"


# ---------------------------------------------------------------- tasks
def tasks():
    """(name, X, y, source labellings) for each target task."""
    digits_X, digits_y = load_digits(return_X_y=True)
    cancer_X, cancer_y = load_breast_cancer(return_X_y=True)
    wine_X, wine_y = load_wine(return_X_y=True)
    synth_X, synth_y = make_classification(
        n_samples=1000,
        n_features=30,
        n_informative=8,
        n_redundant=6,
        n_classes=4,
        n_clusters_per_class=2,
        class_sep=1.0,
        random_state=0,
    )
    high = digits_y >= 5
    return [
        ("digits", digits_X, digits_y, {"parity": digits_y % 2, "mod3": digits_y % 3}),
        ("digits 5-9", digits_X[high], digits_y[high], {"parity": digits_y[high] % 2}),
        ("digits parity", digits_X, digits_y % 2, {"digit": digits_y, "mod3": digits_y % 3}),
        ("breast cancer", cancer_X, cancer_y, {}),
        ("wine", wine_X, wine_y, {}),
        ("synthetic", synth_X, synth_y, {}),
    ]


def other_labellings(X, semantic, seed):
    """Source tasks on the same inputs: k-means clusterings, random linear rules, semantics."""
    rng = np.random.default_rng(seed)
    labellings = dict(semantic)
    for n_clusters in (3, 8):
        km = KMeans(n_clusters=n_clusters, n_init=2, random_state=seed).fit(X)
        labellings[f"kmeans{n_clusters}"] = km.labels_
    for n_bins in (2, 4):
        projection = X @ rng.normal(size=X.shape[1])
        edges = np.quantile(projection, np.linspace(0, 1, n_bins + 1)[1:-1])
        labellings[f"linear{n_bins}"] = np.searchsorted(edges, projection)
    return labellings


def hidden_layers(mlp, X):
    """The ReLU activations of each hidden layer of a fitted MLPClassifier."""
    layers, h = [], X
    for weights, bias in zip(mlp.coefs_[:-1], mlp.intercepts_[:-1], strict=True):
        h = np.maximum(h @ weights + bias, 0.0)
        layers.append(h)
    return layers


def zoo(X, semantic, seed=0):
    """Candidate features {name: array} and source MLPs {name: (model, last layer)}."""
    k = X.shape[1]
    candidates = {}
    for q in (2, 5, 10, 20):
        if q < k:
            candidates[f"PCA({q})"] = PCA(n_components=q, random_state=seed).fit_transform(X)
    for q in (5, 20, 50):
        rp = GaussianRandomProjection(n_components=q, random_state=seed)
        with warnings.catch_warnings():  # wider than the input on wine: kept, rank k
            warnings.simplefilter("ignore", DataDimensionalityWarning)
            candidates[f"RP({q})"] = rp.fit_transform(X)
    for q in (50, 200):
        rbf = RBFSampler(gamma=1.0 / k, n_components=q, random_state=seed)
        candidates[f"RBF({q})"] = rbf.fit_transform(X)
    candidates["Nystroem(50)"] = Nystroem(
        gamma=1.0 / k, n_components=50, random_state=seed
    ).fit_transform(X)
    for c in (8, 32):
        candidates[f"kmeans-dist({c})"] = KMeans(
            n_clusters=c, n_init=2, random_state=seed
        ).fit_transform(X)
    sources = {}
    for i, (name, labels) in enumerate(other_labellings(X, semantic, seed).items()):
        mlp = MLPClassifier(
            hidden_layer_sizes=(32 + 16 * (i % 3), 8 + 4 * i), max_iter=150, random_state=seed + i
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            mlp.fit(X, labels)
        first, second = hidden_layers(mlp, X)
        candidates[f"MLP[{name}] h1"] = first
        candidates[f"MLP[{name}] h2"] = second
        sources[f"MLP[{name}]"] = (mlp, second)
    return candidates, sources


# ---------------------------------------------------------------- metrics
def feature_metrics():
    metrics = {
        "width": lambda F, y: float(F.shape[1]),
        "h_score": h_score,
        "h_score(shrinkage=auto)": lambda F, y: h_score(F, y, shrinkage="auto"),
    }
    if "adjusted" in inspect.signature(h_score).parameters:  # the chance-corrected variant
        metrics["h_score(adjusted)"] = lambda F, y: h_score(F, y, adjusted=True)
    metrics.update({"logme": logme_score, "transrate": transrate_score, "gbc": gbc_score})
    return metrics


def ground_truth(F, y, cv):
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return float(np.mean(cross_val_score(model, F, y, cv=cv)))


def timed_scores(functions, inputs, y, rounds):
    """({metric: scores}, {metric: total of per-candidate median times}), interleaved runs."""
    scores = {name: [] for name in functions}
    seconds = dict.fromkeys(functions, 0.0)
    for args in inputs:
        times = {name: [] for name in functions}
        values = {}
        for _ in range(rounds):
            for name, function in functions.items():
                start = time.perf_counter()
                values[name] = function(*args, y)
                times[name].append(time.perf_counter() - start)
        for name in functions:
            scores[name].append(values[name])
            seconds[name] += statistics.median(times[name])
    return scores, seconds


def correlations(truth, scores):
    return (
        float(weightedtau(truth, scores).statistic),
        float(kendalltau(truth, scores).statistic),
    )


# ---------------------------------------------------------------- report
def table(rows, task_names, title, timing):
    names = list(rows)
    lines = [f"### {title}", ""]
    header = "| metric | " + " | ".join(task_names) + " | mean wtau | mean tau | time / GT |"
    lines += [header, "|" + "---|" * (len(task_names) + 4)]
    for name in names:
        wt = [rows[name][t][0] for t in task_names]
        kt = [rows[name][t][1] for t in task_names]
        cells = [f"{w:+.2f} ({k:+.2f})" for w, k in zip(wt, kt, strict=True)]
        lines.append(
            f"| {name} | "
            + " | ".join(cells)
            + f" | **{np.nanmean(wt):+.3f}** | {np.nanmean(kt):+.3f} | {timing[name]:.3f} |"
        )
    lines.append("")
    lines.append(
        "Cells: weighted Kendall tau (Kendall tau) against the 5-fold logistic-regression "
        "accuracy; time / GT: the metric's total time over all candidates divided by the "
        "ground truth's."
    )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds per candidate")
    parser.add_argument("--write", type=Path, help="markdown file to write the tables into")
    args = parser.parse_args(argv)

    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    metrics = feature_metrics()
    source_metrics = {
        "leep": lambda model, X, y: leep_score(model.predict_proba(X), y),
        "nce": lambda model, X, y: nce_score(model.predict(X), y),
    }
    rows_all = {name: {} for name in metrics}
    rows_src = {name: {} for name in [*metrics, *source_metrics]}
    time_all = dict.fromkeys(metrics, 0.0)
    time_src = dict.fromkeys(rows_src, 0.0)
    gt_time_all = gt_time_src = 0.0
    task_names, src_task_names, sizes = [], [], []
    start_all = time.perf_counter()
    with threadpool_limits(limits=1):
        for name, X, y, semantic in tasks():
            X = StandardScaler().fit_transform(X)
            candidates, sources = zoo(X, semantic)
            task_names.append(name)
            sizes.append((name, X.shape[0], X.shape[1], len(np.unique(y)), len(candidates)))
            start = time.perf_counter()
            truth = {c: ground_truth(F, y, cv) for c, F in candidates.items()}
            gt_time_all += time.perf_counter() - start
            inputs = [(candidates[c],) for c in candidates]
            scores, seconds = timed_scores(metrics, inputs, y, args.rounds)
            gt = [truth[c] for c in candidates]
            for metric in metrics:
                rows_all[metric][name] = correlations(gt, scores[metric])
                time_all[metric] += seconds[metric]
            # source models: LEEP / NCE against the feature metrics on the same candidates
            if len(sources) >= 4:
                src_task_names.append(name)
                gt_src = [truth[f"{s} h2"] for s in sources]
                feats = [(sources[s][1],) for s in sources]
                scores, seconds = timed_scores(metrics, feats, y, args.rounds)
                for metric in metrics:
                    rows_src[metric][name] = correlations(gt_src, scores[metric])
                    time_src[metric] += seconds[metric]
                src_inputs = [(sources[s][0], X) for s in sources]
                scores, seconds = timed_scores(source_metrics, src_inputs, y, args.rounds)
                for metric in source_metrics:
                    rows_src[metric][name] = correlations(gt_src, scores[metric])
                    time_src[metric] += seconds[metric]
                start = time.perf_counter()
                for s in sources:
                    ground_truth(sources[s][1], y, cv)
                gt_time_src += time.perf_counter() - start
    total = time.perf_counter() - start_all
    ratio_all = {m: t / gt_time_all for m, t in time_all.items()}
    ratio_src = {m: t / gt_time_src for m, t in time_src.items()}

    size_lines = ["| task | n | k (input) | classes | candidates |", "|---|---|---|---|---|"]
    size_lines += [f"| {t} | {n} | {k} | {c} | {m} |" for t, n, k, c, m in sizes]
    best = max(rows_all, key=lambda m: np.nanmean([rows_all[m][t][0] for t in task_names]))
    report = "\n".join(
        [
            BEGIN,
            "### Tasks",
            "",
            *size_lines,
            "",
            table(rows_all, task_names, "All candidates (feature metrics)", ratio_all),
            "",
            table(
                rows_src,
                src_task_names,
                "MLP source models only (last hidden layer; LEEP/NCE from the MLP's outputs)",
                ratio_src,
            ),
            "",
            f"Best mean weighted tau over all candidates: **{best}**. Ground truth time "
            f"{gt_time_all:.1f} s (all candidates); whole run {total:.0f} s; BLAS limited to "
            "1 thread; metric times are medians of "
            f"{args.rounds} interleaved runs per candidate.",
            END,
        ]
    )
    print(report)
    if args.write is not None:
        text = args.write.read_text() if args.write.exists() else ""
        if BEGIN in text and END in text:
            text = text[: text.index(BEGIN)] + report + text[text.index(END) + len(END) :]
        else:
            text = text + ("\n" if text else "") + report + "\n"
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text)


if __name__ == "__main__":
    main()
