"""The command line: ``skhscore demo`` (and ``python -m skhscore demo``)."""

import argparse
import sys


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
    return parser


def main(argv=None):
    """Entry point of the ``skhscore`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from skhscore._demo import run_demo

        run_demo()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
