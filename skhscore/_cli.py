"""The command line: ``skhscore demo`` and ``skhscore rank`` (also ``python -m skhscore``)."""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from skhscore._io import InputFileError, first_bad_rows, load_features, load_labels

# Inputs with more entries than this are scored in chunks with a progress line on stderr.
_PROGRESS_ENTRIES = 20_000_000
_COLUMNS = ("rank", "name", "h_score", "adjusted", "pvalue", "h_shrunk", "n", "k", "C", "seconds")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skhscore",
        description="H-score transferability metric: score feature representations for a "
        "classification task without training a classifier.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser(
        "demo",
        help="rank a few feature transformers of scikit-learn's digits data by H-score and "
        "compare with the accuracy of a logistic regression",
    )
    rank = commands.add_parser(
        "rank",
        help="rank feature files of candidate models by H-score",
        description="Score the features that each candidate model extracted from the same "
        "labelled samples and print them ranked by H-score.",
    )
    rank.add_argument(
        "features",
        nargs="+",
        metavar="FEATURES",
        help="feature files, one per candidate (.npy, .npz, .csv, .parquet); rows are samples",
    )
    rank.add_argument(
        "--labels",
        required=True,
        metavar="LABELS",
        help="a label file (.npy, .npz, .txt/.csv with one label per line) or the name of "
        "the label column inside each .csv/.parquet/.npz feature file",
    )
    rank.add_argument("--format", choices=("table", "csv", "json"), default="table")
    rank.add_argument(
        "--shrinkage",
        default="auto",
        help="shrinkage of the 'h_shrunk' column: auto (Ledoit-Wolf), oas, or a number in "
        "[0, 1] (default: auto)",
    )
    rank.add_argument(
        "--sample",
        type=int,
        metavar="N",
        help="score a random subsample of N rows for a quick estimate",
    )
    rank.add_argument("--random-state", type=int, default=0, help="seed of --sample")
    rank.add_argument(
        "--no-progress", action="store_true", help="never print the progress line on stderr"
    )
    return parser


def _parse_shrinkage(value):
    if value in ("auto", "oas"):
        return value
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0.0 <= number <= 1.0:
        raise InputFileError(
            f"--shrinkage must be auto, oas or a number in [0, 1], got {value!r}."
        )
    return number


def _statistics(X, y, show_progress, name):
    from skhscore._engine import HScoreStatistics, default_chunk_size

    stats = HScoreStatistics()
    n = X.shape[0]
    step = default_chunk_size(X.shape[1])
    show = show_progress and X.size > _PROGRESS_ENTRIES
    for start in range(0, n, step):
        stats.update(np.asarray(X[start : start + step]), y[start : start + step])
        if show:
            done = min(start + step, n)
            print(f"\r{name}: {done}/{n} rows ({100 * done // n}%)", end="", file=sys.stderr)
    if show:
        print(file=sys.stderr)
    return stats


def score_file(path, labels_arg, *, shrinkage, sample, random_state, show_progress):
    """Score one feature file; returns a result row (a dict)."""
    from skhscore import h_score, h_score_test

    label_path = Path(labels_arg)
    column = None if label_path.exists() else labels_arg
    if column is None:
        X, _ = load_features(path)
        y = load_labels(label_path)
        source = str(label_path)
    else:
        X, y = load_features(path, label_column=column)
        if y is None:
            raise InputFileError(
                f"{labels_arg}: is neither an existing label file nor a column of {path}."
            )
        source = f"column {column!r} of {path}"
    if X.shape[0] != y.shape[0]:
        raise InputFileError(
            f"{path} has {X.shape[0]} rows but {source} has {y.shape[0]} labels: "
            "the features and labels must describe the same samples in the same order."
        )
    if sample is not None and sample < X.shape[0]:
        rows = np.sort(np.random.default_rng(random_state).choice(X.shape[0], sample, False))
        X, y = np.asarray(X[rows]), y[rows]
    first_bad_rows(X, path)
    start = time.perf_counter()
    stats = _statistics(X, y, show_progress, Path(path).name)
    test = h_score_test(stats)
    shrunk = h_score(stats, shrinkage=shrinkage)
    return {
        "name": Path(path).stem,
        "h_score": test.statistic,
        "adjusted": test.adjusted,
        "pvalue": test.pvalue,
        "h_shrunk": shrunk,
        "n": int(stats.n_samples_seen_),
        "k": int(stats.n_features_),
        "C": int(stats.classes_.shape[0]),
        "seconds": time.perf_counter() - start,
    }


def _format(rows, fmt):
    if fmt == "json":
        return json.dumps(rows, indent=2)
    if fmt == "csv":
        lines = [",".join(_COLUMNS)]
        lines += [",".join(str(row[c]) for c in _COLUMNS) for row in rows]
        return "\n".join(lines)
    width = max(len("name"), *(len(row["name"]) for row in rows))
    header = (
        f"{'rank':>4}  {'name':<{width}}  {'H':>8}  {'adjusted':>8}  {'p-value':>9}  "
        f"{'H shrunk':>8}  {'n':>7}  {'k':>5}  {'C':>4}  {'time':>7}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row['rank']:>4}  {row['name']:<{width}}  {row['h_score']:>8.4f}  "
            f"{row['adjusted']:>8.4f}  {row['pvalue']:>9.2e}  {row['h_shrunk']:>8.4f}  "
            f"{row['n']:>7}  {row['k']:>5}  {row['C']:>4}  {row['seconds']:>6.2f}s"
        )
    return "\n".join(lines)


def rank_files(args):
    shrinkage = _parse_shrinkage(args.shrinkage)
    if args.sample is not None and args.sample < 2:
        raise InputFileError(f"--sample must be at least 2, got {args.sample}.")
    rows = [
        score_file(
            path,
            args.labels,
            shrinkage=shrinkage,
            sample=args.sample,
            random_state=args.random_state,
            show_progress=not args.no_progress,
        )
        for path in args.features
    ]
    # stable sort: equal scores keep the order given on the command line
    rows.sort(key=lambda row: -row["h_score"])
    for position, row in enumerate(rows, start=1):
        row["rank"] = position
    print(_format([{c: row[c] for c in _COLUMNS} for row in rows], args.format))


def main(argv=None):
    """Entry point of the ``skhscore`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from skhscore._demo import run_demo

        run_demo()
        return 0
    try:
        rank_files(args)
    except (InputFileError, ValueError, TypeError) as exc:
        print(f"skhscore rank: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
