"""Labels of ScoreAccuracyDisplay: clear of each other, of the points and of the axes' edges."""

import numpy as np
import pytest

pytest.importorskip("matplotlib")
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from skhscore import ScoreAccuracyDisplay  # noqa: E402


def boxes(annotations, renderer):
    return [Text.get_window_extent(a, renderer) for a in annotations]


@pytest.mark.parametrize("seed", range(4))
def test_crowded_names_do_not_overlap_and_stay_inside(seed):
    """Eight points in a cluster a label wide, and outliers at the corners."""
    rng = np.random.default_rng(seed)
    scores = np.r_[rng.normal(0.85, 0.004, 8), 0.6, 0.97]
    accuracies = np.r_[rng.normal(0.87, 0.002, 8), 0.74, 0.9]
    names = ["digit10", "parity", ">=5", "mod3", "has loop", "random", "untrained", "long name"]
    names += ["low", "high"]
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    display = ScoreAccuracyDisplay.from_scores(scores, accuracies, names=names, ax=ax)
    fig.canvas.draw()  # the layout as saved
    renderer = fig.canvas.get_renderer()
    placed = boxes(display.annotations_, renderer)
    assert [a.get_text() for a in display.annotations_] == names
    frame = ax.get_window_extent(renderer)
    for i, box in enumerate(placed):
        assert frame.x0 <= box.x0 and box.x1 <= frame.x1, names[i]
        assert frame.y0 <= box.y0 and box.y1 <= frame.y1, names[i]
        for j in range(i):
            assert not box.overlaps(placed[j]), (names[i], names[j])
        centres = ax.transData.transform(np.column_stack([scores, accuracies]))
        assert not any(box.contains(cx, cy) for cx, cy in centres), names[i]
    # a name moved away from its point has a leader line, a name beside it none
    for annotation in display.annotations_:
        far = max(map(abs, annotation.xyann)) > 10
        assert (annotation.arrow_patch is not None) == far
    plt.close(fig)


def test_without_names_or_annotate_nothing_is_written():
    display = ScoreAccuracyDisplay.from_scores([1.0, 2.0], [0.5, 0.7])
    assert display.annotations_ == []
    display.plot(annotate=False)
    assert display.annotations_ == []
    plt.close("all")
