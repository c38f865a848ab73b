"""The project's own promises: lint clean, version, the command line's demo."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import skhscore

ROOT = Path(__file__).resolve().parents[1]


def test_version():
    assert skhscore.__version__.count(".") == 2


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (pip install ruff, or the 'test' extra)")
    result = subprocess.run([ruff, "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_demo_prints_the_table():
    result = subprocess.run(
        [sys.executable, "-m", "skhscore", "demo"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for name in ("PCA(2)", "PCA(8)", "raw pixels (64)", "Kendall tau"):
        assert name in out
    # the table is sorted by H-score: the best (raw pixels or a wide transform) before PCA(2)
    assert out.index("PCA(8)") < out.index("PCA(2)")
