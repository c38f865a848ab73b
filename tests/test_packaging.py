"""The project's own promises: lint clean, version, the command line's demo."""

import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import skhscore

ROOT = Path(__file__).resolve().parents[1]


def test_version():
    # a release X.Y.Z, or the development version of the next one (PEP 440: X.Y.Z.devN)
    assert re.fullmatch(r"\d+\.\d+\.\d+(\.dev\d+)?", skhscore.__version__)


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
    # the table is sorted by the selection score: the best (raw pixels or a wide transform)
    # before PCA(2)
    assert out.index("PCA(8)") < out.index("PCA(2)")


def test_every_public_name_resolves_on_first_use():
    """The package imports its names lazily (for a fast ``--help``): each must resolve."""
    import importlib

    for name in skhscore.__all__:
        value = getattr(skhscore, name)
        if name != "__version__":
            module = importlib.import_module(value.__module__)
            assert getattr(module, name) is value, name
    assert set(skhscore.__all__) <= set(dir(skhscore))


def test_license_file_matches_the_declared_license():
    text = (ROOT / "LICENSE").read_text()
    assert "BSD 3-Clause License" in text and "The skhscore developers" in text
    assert 'license = { text = "BSD-3-Clause" }' in (ROOT / "pyproject.toml").read_text()


def test_saved_inventories_hold_the_names_the_docs_link():
    """The docs link Python, SciPy and scikit-learn names offline, from doc/_inventories/
    (objects.inv: four header lines, then zlib-compressed "name domain:role ..." lines)."""
    wanted = {
        "python": "float py:class",
        "scipy": "scipy.stats.kendalltau py:function",
        "sklearn": "sklearn.model_selection.GridSearchCV py:class",
    }
    for name, entry in wanted.items():
        raw = (ROOT / "doc" / "_inventories" / f"{name}.inv").read_bytes()
        header = raw.split(b"\n", 4)
        assert header[0] == b"# Sphinx inventory version 2"
        lines = zlib.decompress(header[4]).decode().splitlines()
        assert any(line.startswith(entry + " ") for line in lines), (name, entry)
