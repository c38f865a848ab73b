"""``python -m skhscore``: the same command line as the ``skhscore`` script."""

import sys

from skhscore._cli import main

if __name__ == "__main__":
    sys.exit(main())
