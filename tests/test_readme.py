"""The README's snippets run as written, one after another, and say what they claim."""

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from skhscore import h_score

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def blocks(language):
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.DOTALL)


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory):
    """Every Python snippet executed in order in an empty directory, as a reader would."""
    directory = tmp_path_factory.mktemp("readme")
    namespace = {}
    python = blocks("python")
    assert len(python) >= 5
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(directory)
        for block in python:
            exec(compile(block, str(README), "exec"), namespace)
    return directory, namespace


def test_readme_python_snippets_run(readme_run):
    _, namespace = readme_run
    X, y = namespace["X"], namespace["y"]
    # the values the README states
    assert h_score(X, y) == pytest.approx(5.918, abs=5e-4)
    assert namespace["scorer"].score_ == pytest.approx(h_score(X, y), rel=1e-10)
    selector = namespace["model"][0]
    assert selector.best_name_ == max(selector.scores_, key=selector.scores_.get)
    assert np.isfinite(namespace["search"].best_score_)
    # the pre-trained network's snippet: every block ranked, the best one is a transformer
    ranking = namespace["ranking"]
    assert ranking.names == [f"_blocks.{i}" for i in range(16)]
    assert ranking.rank_by == "adjusted_shrunk"  # the doors' default score
    assert namespace["stage"].layer == ranking.names[int(np.argmax(ranking.adjusted_shrunk))]


def test_readme_command_lines_run_on_the_files_its_python_wrote(readme_run):
    """The ``skhscore`` lines, run by bash as written (the console script being this Python's
    ``-m skhscore``), in the directory where the snippets wrote their files."""
    directory, namespace = readme_run
    commands = [
        line
        for block in blocks("bash")
        for line in block.splitlines()
        if line.startswith("skhscore ")
    ]
    assert len(commands) >= 2
    shim = f'skhscore() {{ "{sys.executable}" -m skhscore "$@"; }}\nset -e\n'
    result = subprocess.run(
        ["bash", "-c", shim + "\n".join(commands)],
        cwd=directory,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    X, y = namespace["X"], namespace["y"]
    pca8 = namespace["PCA"](8, random_state=0).fit_transform(X)
    rows = json.loads(result.stdout[result.stdout.index("\n[") :])
    scores = {row["name"]: row["h_score"] for row in rows}
    assert scores["pca8"] == pytest.approx(h_score(pca8, y), rel=1e-9)
    assert "layer3" in result.stdout and "layer4" in result.stdout
    assert "read candidates/pca8.csv: 1797 rows x 8 features" in result.stderr


def test_readme_installs_only_extras_that_exist():
    pyproject = (ROOT / "pyproject.toml").read_text()
    section = pyproject.split("[project.optional-dependencies]")[1].split("\n[")[0]
    extras = re.findall(r"^([\w-]+) = \[", section, flags=re.MULTILINE)
    assert {"test", "doc", "cli"} <= set(extras)
    named = re.findall(r'pip install -e "\.\[([\w,]+)\]"', README.read_text())
    assert named
    for group in named:
        assert set(group.split(",")) <= set(extras), group


def test_readme_test_command_is_what_ci_runs():
    """The "Run the tests" lines are, word for word and in order, the lines .ci/run runs
    before its documentation part (its comments aside)."""
    block = re.search(r"## Run the tests\n\n```bash\n(.*?)```", README.read_text(), re.DOTALL)
    readme = block.group(1).strip().splitlines()
    script = (ROOT / ".ci" / "run").read_text().split("\ndeactivate\n")[0]
    ci = [line.split("  #")[0].rstrip() for line in script.splitlines()]
    ci = [line for line in ci if line and not line.startswith(("#", "set ", "cd "))]
    assert readme == ci
