"""Labels beside scatter points that avoid each other, the points and the axes' edges.

A greedy placement, enough for the few dozen candidates a ranking plot shows: each label, in
turn, takes the first of a set of offsets around its point (nearest first, in eight
directions) where its box overlaps no label placed before, no point and no edge of the axes;
when none is free, the offset with the least overlap. A label moved away from its point gets
a thin leader line.
"""

import numpy as np

# Offsets in points: eight directions at growing distances, nearest first.
_DIRECTIONS = [(1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1)]
_DISTANCES = (4, 10, 18, 28, 40)
_ALIGNMENT = {1: ("left", "bottom"), 0: ("center", "center"), -1: ("right", "top")}
_LEADER = {"arrowstyle": "-", "color": "0.5", "lw": 0.6, "shrinkA": 0, "shrinkB": 3}


def _overlap(box, others):
    """Summed overlap area (display pixels) of ``box`` with each box of ``others``."""
    if not others:
        return 0.0
    others = np.asarray(others)
    width = np.minimum(box[2], others[:, 2]) - np.maximum(box[0], others[:, 0])
    height = np.minimum(box[3], others[:, 3]) - np.maximum(box[1], others[:, 1])
    return float(np.sum(np.clip(width, 0, None) * np.clip(height, 0, None)))


def _outside(box, frame):
    """Area of ``box`` lying outside ``frame`` (both as x0, y0, x1, y1)."""
    inside = max(0.0, min(box[2], frame[2]) - max(box[0], frame[0])) * max(
        0.0, min(box[3], frame[3]) - max(box[1], frame[1])
    )
    return (box[2] - box[0]) * (box[3] - box[1]) - inside


def place_labels(ax, x, y, labels, *, marker_radius=4.0, **text_kwargs):
    """Annotate points ``(x, y)`` of ``ax`` with ``labels`` without overlaps where possible.

    Settles the figure's layout first (a constrained or tight layout engine moves the axes),
    so that distances are measured on the axes as they will be drawn.

    Parameters
    ----------
    ax : matplotlib Axes
        Axes holding the points, with its data limits already set.
    x, y : array-like of shape (n_points,)
        Data coordinates of the points.
    labels : list of str
        One label a point.
    marker_radius : float, default=4.0
        Radius, in points, of the region around each point that labels avoid.
    **text_kwargs : dict
        Passed to ``ax.annotate`` (e.g. ``fontsize``).

    Returns
    -------
    annotations : list of matplotlib Annotation
        One a label, in the order given.
    """
    from matplotlib.text import Text

    figure = ax.figure
    figure.draw_without_rendering()  # the final axes position and data limits
    renderer = figure.canvas.get_renderer()
    to_pixels = figure.dpi / 72.0
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    centres = ax.transData.transform(np.column_stack([x, y]))
    radius = marker_radius * to_pixels
    marker_boxes = [(cx - radius, cy - radius, cx + radius, cy + radius) for cx, cy in centres]
    frame = ax.get_window_extent(renderer).extents
    placed, annotations = [], []
    for i, label in enumerate(labels):
        markers = marker_boxes[:i] + marker_boxes[i + 1 :]
        best = None
        for distance in _DISTANCES:
            for dx, dy in _DIRECTIONS:
                annotation = ax.annotate(
                    str(label),
                    (x[i], y[i]),
                    xytext=(dx * distance, dy * distance),
                    textcoords="offset points",
                    ha=_ALIGNMENT[dx][0],
                    va=_ALIGNMENT[dy][1],
                    # far from its point, a leader line says whose label it is
                    arrowprops=_LEADER if distance > _DISTANCES[1] else None,
                    **text_kwargs,
                )
                annotation.set_in_layout(False)  # placed for this layout: must not change it
                annotation.update_positions(renderer)
                box = Text.get_window_extent(annotation, renderer).extents  # text only
                cost = _overlap(box, placed) + _overlap(box, markers) + _outside(box, frame)
                if best is None or cost < best[0]:
                    if best is not None:
                        best[1].remove()
                    best = (cost, annotation, box, distance)
                else:
                    annotation.remove()
                if cost == 0.0:
                    break
            if best[0] == 0.0:
                break
        _, annotation, box, _ = best
        placed.append(box)
        annotations.append(annotation)
    return annotations
