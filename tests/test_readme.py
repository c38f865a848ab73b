"""The README's Python snippets run as written, one after another, and say what they claim."""

import re
from pathlib import Path

import numpy as np
import pytest

from skhscore import h_score

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_snippets_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert len(blocks) >= 4
    namespace = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
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
    assert namespace["stage"].layer == ranking.names[int(np.argmax(ranking.adjusted))]
