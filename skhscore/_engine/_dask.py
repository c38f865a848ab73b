"""Dask arrays: the sufficient statistics as one chunked reduction over row blocks.

Each row block of the feature array is turned into an :class:`~skhscore.HScoreStatistics`
where it lives (on a worker, under ``distributed``), and the block statistics are merged in a
tree with :meth:`HScoreStatistics.merge`. Only the k x k statistics travel: the n x k matrix is
never gathered, so the peak memory is a few blocks (one per worker thread plus the inputs it
reads). A generic array-API path cannot do this on Dask (``unique_inverse`` gives unknown
chunk sizes), hence this module.

Dask is imported only when a Dask collection is passed in.
"""

import numpy as np

from skhscore._engine._statistics import HScoreStatistics

#: How many statistics one merge task combines.
SPLIT_EVERY = 8


def is_dask_collection(obj):
    """True for Dask collections, decided without importing Dask."""
    return getattr(type(obj), "__dask_graph__", None) is not None


def _block_statistics(x_block, y_block, w_block, scatter_dtype):
    """Statistics of one row block (its rows of weight zero are counted, nothing else)."""
    if x_block.shape[0] == 0:
        return HScoreStatistics(scatter_dtype=scatter_dtype)
    return HScoreStatistics.from_arrays(
        x_block, y_block, sample_weight=w_block, scatter_dtype=scatter_dtype
    )


def _merge_all(*parts):
    merged = parts[0]
    for part in parts[1:]:
        merged = merged.merge(part)
    return merged


def _row_blocks(values, X, name):
    """Split a per-sample vector into pieces aligned with the row blocks of ``X``."""
    import dask.array as da

    row_chunks = X.chunks[0]
    unknown = any(np.isnan(c) for c in row_chunks)
    if is_dask_collection(values):
        if not isinstance(values, da.Array):
            values = da.asarray(values)
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        if values.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got a Dask array of shape {values.shape}.")
        if values.chunks[0] != row_chunks:
            if unknown or any(np.isnan(c) for c in values.chunks[0]):
                if values.numblocks[0] != X.numblocks[0]:
                    raise ValueError(
                        f"X and {name} have unknown chunk sizes and different numbers of "
                        "row blocks; call X.compute_chunk_sizes() (and the same on "
                        f"{name}) first."
                    )
            else:
                if values.shape[0] != X.shape[0]:
                    raise ValueError(
                        f"Found input variables with inconsistent numbers of samples: "
                        f"X has {X.shape[0]}, {name} has {values.shape[0]}."
                    )
                values = values.rechunk((row_chunks,))
        return list(values.to_delayed().ravel())
    values = np.asarray(values)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values.ravel()
    if values.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {values.shape}.")
    if unknown:
        raise ValueError(
            f"X has unknown chunk sizes, so {name} cannot be aligned with its blocks: call "
            "X.compute_chunk_sizes() first, or pass a Dask array chunked like X."
        )
    if values.shape[0] != X.shape[0]:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: X has "
            f"{X.shape[0]}, {name} has {values.shape[0]}."
        )
    bounds = np.cumsum((0,) + tuple(row_chunks))
    return [values[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def dask_statistics(X, y, sample_weight=None, *, scatter_dtype=np.float64, split_every=None):
    """Statistics of a Dask feature array by a tree reduction over its row blocks.

    Parameters
    ----------
    X : dask.array.Array of shape (n_samples, n_features)
        Features. Blocks split along the columns are first joined (``rechunk({1: -1})``):
        each task needs whole rows.
    y : dask.array.Array or array-like of shape (n_samples,)
        Class labels; a NumPy vector is cut to match the row blocks of ``X``.
    sample_weight : dask.array.Array or array-like of shape (n_samples,), default=None
        Non-negative weights.
    scatter_dtype : {np.float64, np.float32}, default=np.float64
        Precision of each block's scatter product.
    split_every : int, default=None
        Fan-in of the merge tree (:data:`SPLIT_EVERY` when None).

    Returns
    -------
    stats : HScoreStatistics
        Computed with the current Dask scheduler (a ``distributed.Client`` when one is
        active); only block statistics (k x k) are sent between tasks and to the client.
    """
    import dask
    import dask.array as da

    if not isinstance(X, da.Array):
        to_array = getattr(X, "to_dask_array", None)
        if to_array is None:
            raise TypeError(
                f"Expected a dask.array.Array of features, got {type(X).__name__}. "
                "Convert it with dask.array.from_array(...) or .to_dask_array(lengths=True)."
            )
        X = to_array(lengths=True)
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2-D array of features (n_samples, n_features), got {X.ndim} dimension(s)."
        )
    if y is None:
        raise ValueError(
            "y is required: the H-score measures how much label information the features "
            "carry, so it needs the class labels."
        )
    if X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    x_blocks = list(X.to_delayed().ravel())
    y_blocks = _row_blocks(y, X, "y")
    w_blocks = (
        [None] * len(x_blocks)
        if sample_weight is None
        else _row_blocks(sample_weight, X, "sample_weight")
    )
    block = dask.delayed(_block_statistics, pure=True)
    level = [
        block(xb, yb, wb, scatter_dtype)
        for xb, yb, wb in zip(x_blocks, y_blocks, w_blocks, strict=True)
    ]
    fan_in = SPLIT_EVERY if split_every is None else int(split_every)
    if fan_in < 2:
        raise ValueError(f"split_every must be at least 2, got {split_every!r}.")
    merge = dask.delayed(_merge_all, pure=True)
    while len(level) > 1:
        level = [merge(*level[i : i + fan_in]) for i in range(0, len(level), fan_in)]
    (stats,) = dask.compute(level[0])
    if stats._is_empty():
        raise ValueError("sample_weight is zero everywhere: at least two samples need weight.")
    return stats
