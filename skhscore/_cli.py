"""The command line: ``skhscore demo`` and ``skhscore rank`` (also ``python -m skhscore``).

Only the standard library is imported at the top, so that ``--help`` and ``--version`` answer
at once; numpy, pandas and scikit-learn are imported when a command runs.
"""

import argparse
import json
import re
import sys
import time
import warnings
from pathlib import Path

from skhscore import __version__

# Inputs with more entries than this are scored in chunks with a progress line on stderr.
_PROGRESS_ENTRIES = 20_000_000
_COLUMNS = (
    "rank", "name", "adjusted_shrunk", "h_score", "adjusted", "pvalue", "h_shrunk", "n", "k",
    "C", "seconds", "ranked_by",
)  # fmt: skip
#: --rank-by choice -> output column; the first is the default, the library's selection score.
_RANK_KEYS = {
    "adjusted-shrunk": "adjusted_shrunk",
    "adjusted": "adjusted",
    "h": "h_score",
    "shrunk": "h_shrunk",
}
_RANK_WORDS = {
    "adjusted-shrunk": "the chance-adjusted shrunk H-score, the library's model-selection score",
    "adjusted": "the plain chance-adjusted H-score, 0 on average for features unrelated to "
    "the labels",
    "h": "the plain H-score, which grows with the number of features",
    "shrunk": "the shrunk H-score, with the shrinkage of --shrinkage",
}
# The library's advice names keyword arguments; the command line has flags for these.
# A shrunk test is the test of the score ranked by --rank-by adjusted-shrunk (the default)
# or shrunk.
_KEYWORD_FLAGS = {
    "target": "--target",
    "shrinkage": "--rank-by adjusted-shrunk --shrinkage",
    "method": "--test",
    "n_permutations": "--permutations",
}
_KEYWORD_ADVICE = re.compile(
    r"\b(target|shrinkage|method|n_permutations)\s*=\s*(['\"]?)([\w.+-]+)\2"
)
# Advice about cross-validation folds, which the command line does not make.
_FOLD_ADVICE = re.compile(r"\s*If this is one fold of a cross-validation, .*?StratifiedKFold\.")
# Below this a p-value is not resolved by double precision (0 or a denormal is printed).
_SMALLEST_PVALUE = 1e-300


class CommandLineError(ValueError):
    """An error to print as a message, without a traceback."""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skhscore",
        description="H-score transferability metric: score feature representations for a "
        "classification task without training a classifier.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
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
        "labelled samples and print them ranked, best first. What was read from each file "
        "is reported on stderr.",
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
        help="a label file (.npy, .npz, .txt/.csv with one label per line, .parquet) or the "
        "name of the label column inside each .csv/.parquet/.npz feature file (the named index "
        "of a .parquet file included)",
    )
    rank.add_argument(
        "--rank-by",
        choices=tuple(_RANK_KEYS),
        default="adjusted-shrunk",
        help="the score that orders the candidates: the chance-adjusted shrunk H-score "
        "(adjusted-shrunk, the default: the model-selection score of the library, "
        "h_score(F, y, shrinkage=SHRINKAGE, adjusted=True), comparable across feature "
        "widths, also with more features than samples), the plain chance-adjusted H-score "
        "(adjusted), the plain H-score (h) or the shrunk H-score (shrunk)",
    )
    rank.add_argument(
        "--target",
        choices=("classification", "regression"),
        default="classification",
        help="classification (labels are classes, the default) or regression (labels are "
        "numbers scored as a continuous target)",
    )
    rank.add_argument("--format", choices=("table", "csv", "json"), default="table")
    rank.add_argument(
        "--shrinkage",
        default="auto",
        help="shrinkage of the 'adjusted_shrunk' and 'h_shrunk' columns: auto "
        "(Ledoit-Wolf), oas, or a number in [0, 1] (default: auto)",
    )
    rank.add_argument(
        "--test",
        choices=("pillai", "permutation"),
        default="pillai",
        help="the p-value: Pillai's trace test (pillai, the default; needs fewer features "
        "than samples) or a permutation test of the score ranked by --rank-by (permutation; "
        "holds the features in memory)",
    )
    rank.add_argument(
        "--permutations",
        type=int,
        default=999,
        metavar="N",
        help="number of label permutations of --test permutation (default: 999; the smallest "
        "p-value it can give is 1 / (N + 1))",
    )
    rank.add_argument(
        "--header",
        choices=("auto", "yes", "no"),
        default="auto",
        help="whether the first row of a .csv/.txt file is a header (auto: when it names a "
        "numeric column, or is pandas' default names 0, 1, ..., k-1)",
    )
    rank.add_argument(
        "--index-col",
        default="auto",
        metavar="COLUMN",
        help="a column of .csv/.parquet files to set aside as the row index (a name or a "
        "position from 0), or none; auto (the default) sets aside the unnamed first column "
        "that pandas' to_csv() writes, and refuses a first column holding 0, 1, ..., n-1",
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


def speak_in_flags(message):
    """Rewrite the library's keyword advice (``target='regression'``) as flags."""
    message = _FOLD_ADVICE.sub("", message)
    return _KEYWORD_ADVICE.sub(lambda m: f"{_KEYWORD_FLAGS[m[1]]} {m[3]}", message)


def _parse_shrinkage(value):
    if value in ("auto", "oas"):
        return value
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0.0 <= number <= 1.0:
        raise CommandLineError(
            f"--shrinkage must be auto, oas or a number in [0, 1], got {value!r}."
        )
    return number


def display_names(paths):
    """Name each file by its stem, or by the shortest path suffix that tells equal stems apart.

    ``resnet/layer4.npy`` and ``vit/layer4.npy`` become ``resnet/layer4`` and ``vit/layer4``;
    ``a.npy`` and ``a.csv`` keep their extensions; a file given twice is numbered.
    """
    parts = [Path(path).resolve().with_suffix("").parts for path in paths]

    def suffix(i, length):
        return "/".join(parts[i][-length:])

    names = []
    for i in range(len(paths)):
        name = None
        for length in range(1, len(parts[i]) + 1):
            others = {suffix(j, length) for j in range(len(paths)) if j != i}
            if suffix(i, length) not in others:
                name = suffix(i, length)
                break
        if name is None:  # same path without extension: a.npy and a.csv, or one file twice
            name = Path(paths[i]).name
        names.append(name)
    counts, seen = {name: names.count(name) for name in names}, {}
    for i, name in enumerate(names):
        seen[name] = seen.get(name, 0) + 1
        if counts[name] > 1:
            names[i] = f"{name} ({seen[name]})"
    return names


def _statistics(X, y, target, show_progress, name):
    import numpy as np

    from skhscore._engine import CrossMomentStatistics, HScoreStatistics, default_chunk_size

    stats = HScoreStatistics() if target == "classification" else CrossMomentStatistics()
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


def _load(path, args, column):
    """Features and labels of one candidate, and a line saying what was read."""
    from skhscore._io import clean_labels, load_features, load_labels

    X, y, read = load_features(
        path, label_column=column, header=args.header, index_col=args.index_col
    )
    if column is None:
        y, note = load_labels(
            args.labels, X.shape[0], header=args.header, index_col=args.index_col
        )
        source = f"{args.labels}" + (f" ({note})" if note else "")
    else:
        if y is None:
            raise CommandLineError(
                f"{args.labels}: is neither an existing label file nor a column of {path}."
            )
        source = f"column {column!r}"
    y = clean_labels(
        y, f"{path if column else args.labels}", regression=args.target == "regression"
    )
    if X.shape[0] != y.shape[0]:
        raise CommandLineError(
            f"{path} has {X.shape[0]} rows but {source} has {y.shape[0]} labels: "
            "the features and labels must describe the same samples in the same order."
        )
    return X, y, _describe(path, X, read, source)


def _describe(path, X, read, source):
    parts = [f"{X.shape[0]} rows x {X.shape[1]} features"]
    names = read["columns"]
    if names is not None:
        shown = names if len(names) <= 8 else [*names[:6], "...", names[-1]]
        parts.append("columns " + ", ".join(shown))
    if read["header"] is not None:
        parts.append("header row read" if read["header"] else "no header row")
    if read["index"]:
        parts.append(f"index {read['index']} set aside")
    if read["note"]:
        parts.append(read["note"])
    parts.append(f"labels from {source}")
    return f"read {path}: " + "; ".join(parts)


def score_file(path, args, shrinkage):
    """Score one feature file; returns a result row (a dict) and what was read."""
    import numpy as np

    from skhscore import h_score, h_score_test
    from skhscore._io import first_bad_rows

    column = None if Path(args.labels).exists() else args.labels
    X, y, described = _load(path, args, column)
    if args.sample is not None and args.sample < X.shape[0]:
        rows = np.sort(
            np.random.default_rng(args.random_state).choice(X.shape[0], args.sample, False)
        )
        X, y = np.asarray(X[rows]), y[rows]
        described += f"; scored on a random sample of {args.sample} rows"
    first_bad_rows(X, path)
    start = time.perf_counter()
    stats = _statistics(X, y, args.target, not args.no_progress, Path(path).name)
    if args.test == "pillai":
        pvalue = h_score_test(stats).pvalue
    else:  # the test of the score that ranks (an adjusted score is an affine map of its raw
        # score whose coefficients depend on the features only, so the tests are the same)
        pvalue = h_score_test(
            np.asarray(X),
            y,
            target=args.target,
            method="permutation",
            n_permutations=args.permutations,
            random_state=args.random_state,
            shrinkage=shrinkage if args.rank_by in ("shrunk", "adjusted-shrunk") else None,
        ).pvalue
    classes = getattr(stats, "classes_", None)
    row = {
        "adjusted_shrunk": float(h_score(stats, shrinkage=shrinkage, adjusted=True)),
        "h_score": float(h_score(stats)),
        "adjusted": float(h_score(stats, adjusted=True)),
        "pvalue": float(pvalue),
        "h_shrunk": float(h_score(stats, shrinkage=shrinkage)),
        "n": int(stats.n_samples_seen_),
        "k": int(stats.n_features_),
        "C": None if classes is None else int(classes.shape[0]),
        "seconds": time.perf_counter() - start,
    }
    return row, described


def format_pvalue(pvalue):
    """A p-value as text: ``< 1e-300`` where double precision no longer resolves it."""
    return "< 1e-300" if pvalue < _SMALLEST_PVALUE else f"{pvalue:.2e}"


def _format(rows, fmt, rank_by):
    if fmt == "json":
        return json.dumps(
            [{**row, "pvalue": _exact_pvalue(row["pvalue"])} for row in rows], indent=2
        )
    if fmt == "csv":
        rows = [{**row, "pvalue": _exact_pvalue(row["pvalue"])} for row in rows]
        lines = [",".join(_COLUMNS)]
        lines += [
            ",".join("" if row[c] is None else str(row[c]) for c in _COLUMNS) for row in rows
        ]
        return "\n".join(lines)
    width = max(len("name"), *(len(row["name"]) for row in rows))
    header = (
        f"{'rank':>4}  {'name':<{width}}  {'adj shrunk':>10}  {'H':>8}  {'adjusted':>8}  "
        f"{'p-value':>9}  "
        f"{'H shrunk':>8}  {'n':>7}  {'k':>5}  {'C':>4}  {'time':>7}"
    )
    rows = [{**row, "pvalue": format_pvalue(row["pvalue"])} for row in rows]
    lines = [f"Ranked by {_RANK_WORDS[rank_by]} (--rank-by {rank_by}).", header, "-" * len(header)]
    for row in rows:
        classes = "-" if row["C"] is None else row["C"]
        lines.append(
            f"{row['rank']:>4}  {row['name']:<{width}}  {row['adjusted_shrunk']:>10.4f}  "
            f"{row['h_score']:>8.4f}  "
            f"{row['adjusted']:>8.4f}  {row['pvalue']:>9}  {row['h_shrunk']:>8.4f}  "
            f"{row['n']:>7}  {row['k']:>5}  {classes:>4}  {row['seconds']:>6.2f}s"
        )
    return "\n".join(lines)


def _exact_pvalue(pvalue):
    """Full precision for machines, except where double precision no longer resolves it."""
    return pvalue if pvalue >= _SMALLEST_PVALUE else format_pvalue(pvalue)


def _warn(path, caught):
    """Print the warnings raised while scoring a file as command-line messages, once each."""
    for message in dict.fromkeys(str(w.message) for w in caught):
        print(f"skhscore rank: warning: {path}: {speak_in_flags(message)}", file=sys.stderr)


def rank_files(args):
    shrinkage = _parse_shrinkage(args.shrinkage)
    if args.sample is not None and args.sample < 2:
        raise CommandLineError(f"--sample must be at least 2, got {args.sample}.")
    if args.permutations < 1:
        raise CommandLineError(f"--permutations must be at least 1, got {args.permutations}.")
    rows = []
    for path, name in zip(args.features, display_names(args.features), strict=True):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                row, described = score_file(path, args, shrinkage)
            except (ValueError, TypeError) as exc:  # the library's errors name no file
                from skhscore._io import InputFileError

                if isinstance(exc, CommandLineError | InputFileError):
                    raise
                raise CommandLineError(f"{path}: {exc}") from exc
        print(f"skhscore rank: {described}", file=sys.stderr)
        _warn(path, caught)
        rows.append({"name": name, **row, "ranked_by": args.rank_by})
    # stable sort: equal scores keep the order given on the command line
    key = _RANK_KEYS[args.rank_by]
    rows.sort(key=lambda row: -row[key])
    for position, row in enumerate(rows, start=1):
        row["rank"] = position
    print(_format([{c: row[c] for c in _COLUMNS} for row in rows], args.format, args.rank_by))


def main(argv=None):
    """Entry point of the ``skhscore`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from skhscore._demo import run_demo

        run_demo()
        return 0
    try:
        rank_files(args)
    except (ValueError, TypeError) as exc:  # InputFileError and the library's own advice
        print(f"skhscore rank: error: {speak_in_flags(str(exc))}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
