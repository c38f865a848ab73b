"""Sufficient statistics on the input's own array namespace and device (the Array API).

With ``sklearn.set_config(array_api_dispatch=True)`` (which scikit-learn only allows once the
environment variable ``SCIPY_ARRAY_API=1`` is set), :func:`skhscore.h_score` given a torch
tensor, a CuPy array or any other array-API array computes the O(n k^2) part of the work where
the array lives (on the GPU for CUDA tensors): the centring, the k x k scatter product, the
per-class sums (a one-hot matrix product) and the fourth-moment terms of the Ledoit-Wolf
shrinkage. What leaves the device per chunk is small: the k x k scatter, the C x k class sums
and a few k-vectors. They become an ordinary :class:`~skhscore.HScoreStatistics` on the host,
chunks are merged there, and the final k x k factorisation (pivoted Cholesky, rank decision,
shrinkage) runs in NumPy/LAPACK: for k = 2048 moving the scatter costs 32 MiB once per chunk,
negligible next to the n x k x k product, and it keeps one numerically careful code path for
the rank decision. The labels (n values) are moved to the host to be encoded (so labels may be
strings, and ``np.unique`` decides the classes); the features never are.

Precision. Everything is computed in the widest float the device supports (float64 on CPUs and
CUDA GPUs, float32 on Apple's MPS, as :func:`sklearn.utils._array_api` reports), with the same
corrected two-pass centring and power-of-two column scaling as the NumPy engine. On GPUs whose
float64 throughput is a small fraction of their float32 rate (most consumer cards) the scatter
product can be asked for in float32 through ``scatter_dtype=np.float32`` (centring stays in
the wide type); the "float32 scatter" section of ``doc/benchmarks.rst`` measures the
error that costs.
"""

import numpy as np
import scipy.sparse as sp

from skhscore._engine._accumulate import centred_blocks
from skhscore._engine._statistics import HScoreStatistics
from skhscore._engine._units import column_exponents, input_roundoff
from skhscore._sklearn_compat import (
    _convert_to_numpy,
    _is_numpy_namespace,
    _max_precision_float_dtype,
    get_namespace_and_device,
    is_array_api_obj,
)
from skhscore._validation import check_labels, check_sample_weight, untracked_tensor

# Target size of one chunk's working copy on the device: large, so that the k x k statistics
# cross to the host only a few times.
_DEVICE_CHUNK_BYTES = 512 * 2**20


def to_numpy(array):
    """Return ``array`` as something NumPy-compatible on the host, without copying NumPy input.

    Torch tensors are read through :func:`~skhscore._validation.untracked_tensor` (detached,
    moved to the CPU, half precision widened to float32), CuPy arrays copied to the host,
    other array-API arrays converted through DLPack or NumPy's protocols. Lists, pandas
    objects and sparse matrices are returned as they are (the usual validation handles them).
    """
    if array is None or isinstance(array, (np.ndarray, list, tuple)) or sp.issparse(array):
        return array
    root = type(array).__module__.split(".")[0]
    if root in ("pandas", "polars"):
        return array
    if root == "torch":
        return untracked_tensor(array)
    if is_array_api_obj(array) and root != "dask":
        xp, _, _ = get_namespace_and_device(array)
        return _convert_to_numpy(array, xp)
    if callable(getattr(array, "numpy", None)):  # e.g. TensorFlow eager tensors
        return array.numpy()
    return np.asarray(array)


def use_array_api(X):
    """True when array-API dispatch is on and ``X`` is an array of a non-NumPy namespace."""
    from sklearn import get_config

    if not get_config().get("array_api_dispatch", False):
        return False
    if isinstance(X, np.ndarray) or sp.issparse(X) or not is_array_api_obj(X):
        return False
    if hasattr(type(X), "__dask_graph__"):
        return False  # Dask has its own reduction (skhscore._dask)
    xp, is_array_api, _ = get_namespace_and_device(X)
    return bool(is_array_api) and not _is_numpy_namespace(xp)


def _roundoff(dtype):
    """Unit roundoff of the input's dtype (float32 and narrower floats, or float64)."""
    narrow = any(name in str(dtype) for name in ("float32", "float16"))
    return input_roundoff(np.empty(0, dtype=np.float32 if narrow else np.float64))


def _host(array, xp):
    return np.asarray(_convert_to_numpy(array, xp), dtype=np.float64)


def array_api_statistics(X, y, sample_weight=None, *, scatter_dtype=np.float64, chunk_size=None):
    """Statistics of ``(X, y)`` with the O(n k^2) work done in ``X``'s namespace and device.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
        An array-API array (torch tensor, CuPy array, array-api-strict array, ...) of real
        or integer dtype.
    y : array-like of shape (n_samples,)
        Class labels, in any namespace (they are moved to the host and encoded there).
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights, in any namespace.
    scatter_dtype : {np.float64, np.float32}, default=np.float64
        Precision of the scatter product (see :class:`~skhscore.HScoreStatistics`).
    chunk_size : int, default=None
        Rows per chunk; by default about 512 MiB of working copy per chunk.

    Returns
    -------
    stats : HScoreStatistics
        Host (NumPy) statistics, equal to ``HScoreStatistics.from_arrays`` on the same data up
        to rounding.
    """
    X = untracked_tensor(X, to_host=False)  # no autograd graph of the statistics
    xp, _, device = get_namespace_and_device(X)
    if X.ndim != 2:
        raise ValueError(
            f"Expected a 2-D array of features (n_samples, n_features), got {X.ndim} "
            "dimension(s). Reshape 1-D input with X.reshape(-1, 1) for one feature."
        )
    n_rows, n_features = X.shape
    if n_rows < 1 or n_features < 1:
        raise ValueError(f"Found array with shape {tuple(X.shape)}: need at least 1 x 1.")
    if not xp.isdtype(X.dtype, ("real floating", "integral", "bool")):
        raise ValueError(f"X must have a real or integer dtype, got {X.dtype}.")
    classes, codes = check_labels(to_numpy(y), n_rows)
    weights = check_sample_weight(to_numpy(sample_weight), n_rows)
    work_dtype = _max_precision_float_dtype(xp, device)
    gram_dtype = xp.float32 if scatter_dtype == np.float32 else work_dtype
    if chunk_size is None:
        chunk_size = max(256, _DEVICE_CHUNK_BYTES // (8 * n_features))
    floating = xp.isdtype(X.dtype, "real floating")
    stats = HScoreStatistics(scatter_dtype=scatter_dtype)
    for start in range(0, n_rows, chunk_size):
        stop = min(start + chunk_size, n_rows)
        part = _chunk_statistics(
            xp,
            device,
            X[start:stop, ...],
            classes,
            codes[start:stop],
            None if weights is None else weights[start:stop],
            work_dtype=work_dtype,
            gram_dtype=gram_dtype,
            check_finite=floating,
            scatter_dtype=scatter_dtype,
        )
        if part is not None:
            stats._absorb(part)
    stats._count_zero_rows(weights)  # seen, though they add nothing
    return stats


def _chunk_statistics(
    xp, device, chunk, classes, codes, w, *, work_dtype, gram_dtype, check_finite, scatter_dtype
):
    """One chunk's statistics; mirrors ``HScoreStatistics._chunk_statistics`` step for step.

    The tests compare every statistic with the NumPy engine's, so a change there that is not
    mirrored here fails them.
    """
    x = xp.astype(chunk, work_dtype)  # the one working copy of this chunk, on its device
    if check_finite and not bool(xp.all(xp.isfinite(x))):
        raise ValueError("Input X contains NaN or infinity.")
    keep = None
    if w is not None:
        keep = np.flatnonzero(w > 0)
        if keep.size == 0:
            return None
        if keep.size < w.size:
            x = xp.take(x, xp.asarray(keep, device=device), axis=0)
            codes, w = codes[keep], w[keep]
    n_rows = x.shape[0]
    col_min = _host(xp.min(x, axis=0), xp)
    col_max = _host(xp.max(x, axis=0), xp)
    exponents = column_exponents(col_min, col_max, scatter_dtype)
    if np.any(exponents):  # two exact factors: one power of two could overflow
        half = -exponents // 2
        for step in (half, -exponents - half):
            x = x * xp.asarray(np.ldexp(1.0, step), dtype=work_dtype, device=device)
    wd = None if w is None else xp.asarray(w, dtype=work_dtype, device=device)
    wsum = float(n_rows) if w is None else float(w.sum())

    # centring about the mean (the provisional centre of the engine's sums)
    centre = xp.mean(x, axis=0) if wd is None else (wd @ x) / wsum
    x = x - centre
    col_sum = _host(xp.sum(x, axis=0) if wd is None else wd @ x, xp)

    # per-class centred sums through a one-hot (C x n) matrix product
    n_classes = classes.shape[0]
    class_ids = xp.arange(n_classes, device=device)
    onehot = xp.astype(class_ids[:, None] == xp.asarray(codes, device=device)[None, :], work_dtype)
    if wd is not None:
        onehot = onehot * wd[None, :]
    class_sums = _host(onehot @ x, xp)
    del onehot
    class_weights = np.bincount(codes, weights=w, minlength=n_classes).astype(np.float64)

    # fourth-moment terms of the Ledoit-Wolf shrinkage, on one common scale
    global_exp = int(exponents.max())
    to_global = np.ldexp(1.0, exponents - global_exp)
    if np.all(to_global == 1.0):
        sq_norms = xp.sum(x * x, axis=1)
    else:
        xg = x * xp.asarray(to_global, dtype=work_dtype, device=device)
        sq_norms = xp.sum(xg * xg, axis=1)
        del xg
    wr = sq_norms if wd is None else wd * sq_norms
    m4 = float(_host(xp.sum(wr * sq_norms), xp))
    m3 = _host(wr @ x, xp) * to_global

    # the scatter
    if wd is not None:
        x = x * xp.sqrt(wd)[:, None]
    if gram_dtype != work_dtype:
        x = xp.astype(x, gram_dtype)
    sums = {
        "centre": _host(centre, xp),
        "n_rows": n_rows,
        "wsum": wsum,
        "col_sum": col_sum,
        "class_sums": class_sums,
        "class_weights": class_weights,
        "col_min": np.ldexp(col_min, -exponents),
        "col_max": np.ldexp(col_max, -exponents),
        "gram": _host(x.T @ x, xp),
        "m3": m3,
        "m4": m4,
    }
    del x
    stats = HScoreStatistics(scatter_dtype=scatter_dtype)
    part = stats._from_sums(sums, classes, exponents, _roundoff(chunk.dtype))
    if part._cancelled or not part._whitener().resolved:
        # the scatter cannot resolve these features: refine from the rows, on the host
        rows = to_numpy(chunk)
        if w is not None:
            rows = rows[keep]
        part._refine(centred_blocks(rows, w, n_rows, exponents, part._centre + part._shift))
    return part
