"""Which score should the doors use by default? Every candidate on both ranking benchmarks.

Runs the package's scores and the study's candidates (``score_candidates.py``) on
``bench_networks.py`` (real networks, cached features) and on ``bench_ranking.py``
(scikit-learn extractors), and prints, per benchmark, the mean and worst weighted Kendall
tau (and Kendall tau) against the linear-probe ground truth, and the time / ground truth.
With ``--diagnose`` it also prints, per real-network task, each candidate's width, probe
accuracy and scores, to see why a score wins or loses (width, n / k, C). Usage::

    python benchmarks/study_default_score.py [--skip-ranking] [--diagnose]
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_networks  # noqa: E402
import bench_ranking  # noqa: E402
import score_candidates  # noqa: E402


def summary(rows, tasks, ratio, title):
    print(f"\n## {title}\n")
    print("| score | mean wtau (tau) | worst wtau | time / GT |")
    print("|---|---|---|---|")
    order = sorted(rows, key=lambda m: -np.mean([rows[m][t][0] for t in tasks]))
    for name in order:
        wt = [rows[name][t][0] for t in tasks]
        kt = [rows[name][t][1] for t in tasks]
        print(
            f"| {name} | {np.mean(wt):+.3f} ({np.mean(kt):+.3f}) | {min(wt):+.2f} | "
            f"{ratio[name]:.4f} |"
        )
    print("\nper task wtau:", ", ".join(tasks))
    for name in order:
        print(f"  {name:40s}", " ".join(f"{rows[name][t][0]:+.2f}" for t in tasks))


def ranking_benchmark(metrics, rounds):
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    rows = {name: {} for name in metrics}
    spent = dict.fromkeys(metrics, 0.0)
    truth_time, names = 0.0, []
    with threadpool_limits(limits=1):
        for name, X, y, semantic in bench_ranking.tasks():
            X = StandardScaler().fit_transform(X)
            candidates, _ = bench_ranking.zoo(X, semantic)
            names.append(name)
            start = time.perf_counter()
            truth = [bench_ranking.ground_truth(F, y, cv) for F in candidates.values()]
            truth_time += time.perf_counter() - start
            scores, seconds = bench_ranking.timed_scores(
                metrics, [(F,) for F in candidates.values()], y, rounds
            )
            for metric in metrics:
                rows[metric][name] = bench_ranking.correlations(truth, scores[metric])
                spent[metric] += seconds[metric]
    return rows, {m: s / truth_time for m, s in spent.items()}, names


def diagnose(raw):
    for task, data in raw.items():
        print(f"\n### {task}")
        names = data["candidates"]
        cols = list(data["scores"])
        print("candidate | acc | " + " | ".join(cols))
        order = np.argsort(data["accuracy"])[::-1]
        for i in order:
            print(
                f"{names[i]:28s} {data['accuracy'][i]:.3f} "
                + " ".join(f"{data['scores'][c][i]:+9.3f}" for c in cols)
            )


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--skip-ranking", action="store_true")
    parser.add_argument("--diagnose", action="store_true")
    parser.add_argument("--skip-networks", action="store_true")
    parser.add_argument(
        "--tasks",
        nargs="*",
        default=[*bench_networks.IMAGE_TASKS, *bench_networks.TEXT_TASKS],
    )
    args = parser.parse_args(argv)
    metrics = {**bench_networks.package_metrics(), **score_candidates.candidates()}
    if not args.skip_networks:
        rows, ratio, raw, _ = bench_networks.evaluate(args.tasks, metrics, args.rounds)
        summary(rows, args.tasks, ratio, "Real networks (bench_networks.py)")
        if args.diagnose:
            diagnose(raw)
    if not args.skip_ranking:
        rows, ratio, names = ranking_benchmark(metrics, args.rounds)
        summary(rows, names, ratio, "scikit-learn extractors (bench_ranking.py)")


if __name__ == "__main__":
    main()
