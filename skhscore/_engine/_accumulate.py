"""One pass over the rows of an update: the raw sums every statistic is made of.

Where the input allows it (float64, C-contiguous, unweighted, every varying column's mean
within about 2.6 standard deviations of zero in a sample of the rows, magnitudes far from
overflow), the Gram product runs on the input as given: one BLAS ``syrk``, no copy, no
per-row pass beyond the class sums; the missing centre then costs at most 4 bits, which the
rank rule is told (``loss``), and the columns' extremes are replaced by bounds that decide
the same (see :func:`uncentred_sums`). Otherwise the rows
are read once, chunk by chunk (a float64 copy of about 64 MiB) and, inside a chunk,
block by cache-sized block: each block is shifted by one provisional centre (the mean of the
update's first block) and its column extremes, class sums and fourth-moment terms are taken
while it is in cache; the shifted rows go into the chunk buffer, whose Gram product is
accumulated into one k x k matrix for the whole update (BLAS ``syrk`` with ``beta=1``).
"""

import numbers

import numpy as np
import scipy.sparse as sp
from scipy.linalg import blas

from skhscore._engine._algebra import mirror_lower
from skhscore._engine._threads import beside, blas_threads
from skhscore._engine._units import column_exponents, scale_rows, varying_columns
from skhscore._validation import check_finite

# Target size of one chunk's float64 copy.
CHUNK_BYTES = 64 * 2**20
# Target size of the block of rows processed while it stays in cache.
_BLOCK_BYTES = 2 * 2**20
# Class sums use a dense one-hot matrix up to this many entries, a sparse one beyond.
_DENSE_ONEHOT_ENTRIES = 2**16


def default_chunk_size(n_features):
    """Rows per chunk so that one float64 chunk takes about 64 MiB."""
    return max(256, CHUNK_BYTES // (8 * max(n_features, 1)))


def check_chunk_size(chunk_size, n_columns):
    """``chunk_size`` validated, or the default for rows of ``n_columns`` float64 values."""
    if chunk_size is None:
        return default_chunk_size(n_columns)
    if not isinstance(chunk_size, numbers.Integral) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size!r}.")
    return chunk_size


def _onehot(codes, n_classes, w):
    n_rows = codes.shape[0]
    if n_classes * n_rows <= _DENSE_ONEHOT_ENTRIES:  # small: a dense one-hot is cheapest
        onehot = (codes == np.arange(n_classes)[:, None]).astype(np.float64)
        if w is not None:
            onehot *= w
        return onehot
    return sp.csc_matrix(  # C x n sparse, sliced by columns per block
        (np.ones(n_rows) if w is None else w, (codes, np.arange(n_rows))),
        shape=(n_classes, n_rows),
    )


def _sqrt(w):
    return None if w is None else np.sqrt(w)


def _add_gram(gram, buffer):
    """``gram += buffer.T @ buffer`` in place (lower triangle only for float64)."""
    if buffer.dtype == np.float64:
        blas.dsyrk(1.0, buffer.T, beta=1.0, c=gram.T, trans=0, lower=0, overwrite_c=1)
    else:  # float32 product, accumulated in float64
        gram += np.tril(buffer.T @ buffer)


# The uncentred path takes columns whose mean square is at most this many times their
# variance (it loses at most log2 of it in bits, as a centred Gram loses nothing) ...
_UNCENTRED_LOSS = 16.0
# ... and whose mean square lies within 2**+-180 (every entry within 2**90: no square
# over- or underflows); other columns must be constant, which their extremes then tell, ...
_SAFE_SQUARE = 2.0**180
# ... and at most one column in this many may need that check.
_DOUBT_SHARE = 4
# Entries from which the class sums run in a thread beside the Gram product: with one BLAS
# thread, or with more on features this narrow (whose syrk does not use a second thread;
# wider ones it does, and a third thread then slowed 512 columns 3x).
_PARALLEL_SIZE = 2**18
_NARROW = 96
# Rows of the sample that predicts whether the uncentred path will be taken.
_SAMPLE_ROWS = 512


def batch_sums(X, n_classes, codes, weights, chunk_size, scatter_dtype, moments):
    """``(sums, exponents)`` of one update (``(None, None)`` when no row has weight).

    The uncentred Gram product where it is exact enough, else :func:`accumulate` in the
    input's units, redone in power-of-two units when a column's magnitude is extreme.
    """
    if weights is None and scatter_dtype == np.float64 and _uncentred_candidate(X):
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):  # checked in it
            sums = uncentred_sums(X, n_classes, codes, moments, chunk_size)
        if sums is not None:
            return sums, np.zeros(X.shape[1], dtype=np.int64)
    check_finite(X)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        sums = accumulate(X, n_classes, codes, weights, chunk_size, scatter_dtype, None, moments)
        if sums is None:
            return None, None
        exponents = column_exponents(sums["col_min"], sums["col_max"], scatter_dtype)
        if np.any(exponents):  # redo in exact power-of-two units
            sums = accumulate(
                X, n_classes, codes, weights, chunk_size, scatter_dtype, exponents, moments
            )
    return sums, exponents


def _uncentred_candidate(X):
    """Whether a sample of the rows predicts that :func:`uncentred_sums` will succeed."""
    if not isinstance(X, np.ndarray) or X.dtype.kind not in "fiub":
        return False
    sample = X[:: max(1, X.shape[0] // _SAMPLE_ROWS)]
    with np.errstate(all="ignore"):
        mean, var = sample.mean(axis=0, dtype=np.float64), sample.var(axis=0, dtype=np.float64)
        square = mean**2 + var
    if not np.all(np.isfinite(square)):
        return False
    extreme = (square < 1 / _SAFE_SQUARE) | (square > _SAFE_SQUARE)
    if np.any(extreme & (var > 0)):  # varying at an extreme magnitude: it needs its units
        return False
    doubtful = (var == 0) | extreme
    offset = ~doubtful & (square > 0.5 * _UNCENTRED_LOSS * var)  # with a margin of 2
    return not np.any(offset) and _DOUBT_SHARE * np.count_nonzero(doubtful) <= X.shape[1]


def uncentred_sums(X, n_classes, codes, moments, chunk_size=None):
    """The sums of :func:`accumulate` (centre 0) from one Gram product of ``X`` as given
    (float64 C-ordered input), or accumulated over float64 copies of its chunks (float32,
    integer or Fortran-ordered input, ``chunk_size`` rows at a time).

    Returns None unless every column either has a mean square at most ``_UNCENTRED_LOSS``
    times its variance within the safe magnitudes (its scatter then keeps all but 4 bits)
    or is constant by its exact extremes. A finite Gram diagonal also proves every value
    finite. For the varying columns ``col_min`` and ``col_max`` are the bounds
    ``mean -+ sqrt(scatter_jj)``: they contain the values, and the rule for constant columns
    and the power-of-two units decide on them as on the extremes (the spread of such a column
    is far above its rounding, and its entries within ``2**+-90``).
    """
    n_rows, n_features = X.shape
    chunk_size = chunk_size or default_chunk_size(n_features)
    gram, class_sums, m3, m4 = _raw_products(X, n_classes, codes, chunk_size, moments)
    class_weights = np.bincount(codes, minlength=n_classes).astype(np.float64)
    col_sum = class_sums.sum(axis=0)
    square = np.diag(gram) / n_rows
    if not np.all(np.isfinite(square)):
        return None
    mean = col_sum / n_rows
    variance = square - mean**2
    varying = (
        (square <= _UNCENTRED_LOSS * variance)
        & (square >= 1 / _SAFE_SQUARE)
        & (square <= _SAFE_SQUARE)
    )
    bound = np.sqrt(np.maximum(variance, 0.0) * n_rows)
    col_min, col_max = mean - bound, mean + bound
    doubtful = np.flatnonzero(~varying)
    if _DOUBT_SHARE * doubtful.size > n_features:
        return None
    if doubtful.size:
        columns = X[:, doubtful]
        # in float64, exactly: a bool has no subtraction, an int8 spread of 200 wraps to -56
        low = columns.min(axis=0).astype(np.float64)
        high = columns.max(axis=0).astype(np.float64)
        if np.any(varying_columns(low, high)) or np.any(column_exponents(low, high)):
            return None  # a varying column needs a centre, an extreme one its units
        col_min[doubtful], col_max[doubtful] = low, high
    # a constant column is centred on its value: its deviations are zero (as the rule says),
    # and its square does not swamp the others' in ||x_i||^2
    centre = np.zeros(n_features)
    centre[doubtful] = col_min[doubtful]
    for values in (gram, gram.T, class_sums.T):
        values[doubtful] = 0.0
    col_sum[doubtful] = 0.0
    if moments and np.any(centre != 0):  # again, without the constants' squares (rare)
        counted = np.ones(n_features)
        counted[doubtful] = 0.0
        m3, m4 = _raw_moments(X, chunk_size, counted)
    if moments:
        m3[doubtful] = 0.0
    # bits the missing centre may cost the scatter (the whitener asks for that much more)
    loss = float(np.max(square[varying] / variance[varying], initial=1.0))
    return {
        "loss": loss,
        "centre": centre,
        "n_rows": n_rows,
        "wsum": float(n_rows),
        "col_sum": col_sum,
        "class_sums": class_sums,
        "class_weights": class_weights,
        "col_min": col_min,
        "col_max": col_max,
        "gram": gram,
        "m3": m3,
        "m4": m4,
    }


def _float64_chunks(X, chunk_size):
    """``(start, rows)``: ``X`` itself when float64 and C-ordered, else float64 C-ordered
    copies of ``chunk_size`` rows at a time."""
    if X.dtype == np.float64 and X.flags.c_contiguous:
        yield 0, X
        return
    for start in range(0, X.shape[0], chunk_size):
        yield start, np.asarray(X[start : start + chunk_size], dtype=np.float64, order="C")


def _gram_quietly(X):
    """``X^T X`` without floating-point warnings (the caller reads overflow off the diagonal;
    ``np.errstate`` holds per thread, and this may run in the worker)."""
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        return X.T @ X


def _moments_of(rows, counted=None):
    """``(m3, m4)`` of rows about 0: ``sum_i ||x_i||^2 x_i`` and ``sum_i ||x_i||^4``, the
    squared norms over the ``counted`` columns only (all without it)."""
    if counted is None:
        sq_norms = np.einsum("ij,ij->i", rows, rows)
    else:
        sq_norms = np.einsum("ij,ij,j->i", rows, rows, counted)
    return sq_norms @ rows, float(sq_norms @ sq_norms)


def _raw_moments(X, chunk_size, counted=None):
    """:func:`_moments_of` summed over the float64 chunks of ``X``."""
    m3, m4 = np.zeros(X.shape[1]), 0.0
    for _, rows in _float64_chunks(X, chunk_size):
        part3, part4 = _moments_of(rows, counted)
        m3, m4 = m3 + part3, m4 + part4
    return m3, m4


def _raw_products(X, n_classes, codes, chunk_size, moments):
    """``(X^T X, class sums, m3, m4)`` about 0, in float64, in one pass over ``X`` (the
    moments None without ``moments``)."""
    n_rows, n_features = X.shape
    if X.dtype == np.float64 and X.flags.c_contiguous:
        # NumPy's syrk on the array as given (unlike SciPy's BLAS wrappers it releases the
        # GIL), the class sums and moments beside it
        narrow = n_features <= _NARROW or blas_threads() == 1
        gram, (class_sums, (m3, m4)) = beside(
            lambda: _gram_quietly(X),
            lambda: (
                np.asarray(_onehot(codes, n_classes, None) @ X),
                _moments_of(X) if moments else (None, None),
            ),
            parallel=X.size >= _PARALLEL_SIZE and narrow,
        )
        return gram, class_sums, m3, m4
    gram = np.zeros((n_features, n_features))
    class_sums = np.zeros((n_classes, n_features))
    m3, m4 = (np.zeros(n_features), 0.0) if moments else (None, None)
    for start, rows in _float64_chunks(X, chunk_size):
        _add_gram(gram, rows)
        class_sums += _onehot(codes[start : start + rows.shape[0]], n_classes, None) @ rows
        if moments:
            part3, part4 = _moments_of(rows)
            m3, m4 = m3 + part3, m4 + part4
    return mirror_lower(gram), class_sums, m3, m4


def positive_rows(chunk, codes, w):
    """The rows of positive weight of one chunk (all of them without weights)."""
    if w is None:
        return chunk, codes, w
    keep = w > 0
    if np.all(keep):
        return chunk, codes, w
    return chunk[keep], codes[keep], w[keep]


def accumulate(
    X, n_classes, codes, weights, chunk_size, scatter_dtype, exponents=None, moments=True
):
    """Raw sums of ``X`` about a provisional centre, in the units ``2**exponents``.

    Returns None when no row has positive weight, else a dict with ``centre``, ``n_rows``,
    ``wsum``, ``col_sum``, ``class_sums``, ``class_weights``, ``col_min``, ``col_max``,
    ``gram`` (full, symmetric), ``m3`` and ``m4`` (about the centre, in units of
    ``2**max(exponents)``; None without ``moments``).
    """
    n_features = X.shape[1]
    buffer_dtype = np.float32 if scatter_dtype == np.float32 else np.float64
    block_rows = max(16, _BLOCK_BYTES // (8 * n_features))
    if exponents is None or not np.any(exponents):
        exponents, to_global = None, None
    else:
        to_global = np.ldexp(1.0, exponents - exponents.max())
        to_global = None if np.all(to_global == 1.0) else to_global
    gram = np.zeros((n_features, n_features))
    class_sums = np.zeros((n_classes, n_features))
    class_weights = np.zeros(n_classes)
    col_min = np.full(n_features, np.inf)
    col_max = np.full(n_features, -np.inf)
    m3 = np.zeros(n_features)
    m4 = 0.0
    centre, buffer, scratch = None, None, None
    n_rows = 0
    for start in range(0, X.shape[0], chunk_size):
        stop = min(start + chunk_size, X.shape[0])
        chunk, chunk_codes, w = positive_rows(
            X[start:stop], codes[start:stop], None if weights is None else weights[start:stop]
        )
        rows_here = chunk.shape[0]
        if rows_here == 0:
            continue
        n_rows += rows_here
        # one buffer for every chunk: fresh 64 MiB pages per chunk cost page faults
        if buffer is None or buffer.shape[0] < rows_here:
            buffer = np.empty((rows_here, n_features), dtype=buffer_dtype)
            if buffer_dtype != np.float64:
                scratch = np.empty((block_rows, n_features))
        class_weights += np.bincount(chunk_codes, weights=w, minlength=n_classes)
        # float64: the class sums come from the finished buffer in one product per chunk
        # (rows scaled by sqrt(w), so the one-hot carries sqrt(w)); float32: per block
        per_block = scratch is not None
        onehot = _onehot(chunk_codes, n_classes, w if per_block else _sqrt(w))
        for b_start in range(0, rows_here, block_rows):
            b_stop = min(b_start + block_rows, rows_here)
            rows = chunk[b_start:b_stop]
            if sp.issparse(rows):
                rows = rows.toarray()
            if exponents is not None:  # exact power-of-two units before any square
                rows = scale_rows(rows, exponents)
            col_min = np.minimum(col_min, rows.min(axis=0))
            col_max = np.maximum(col_max, rows.max(axis=0))
            if centre is None:
                centre = rows.mean(axis=0, dtype=np.float64)
            d = buffer[b_start:b_stop] if scratch is None else scratch[: b_stop - b_start]
            np.subtract(rows, centre, out=d, casting="unsafe")
            wb = None if w is None else w[b_start:b_stop]
            if per_block:
                class_sums += onehot[:, b_start:b_stop] @ d
            if moments:  # what the Ledoit-Wolf shrinkage needs
                dg = d if to_global is None else d * to_global
                sq_norms = np.einsum("ij,ij->i", dg, dg)
                weighted = sq_norms if wb is None else wb * sq_norms
                m4 += float(weighted @ sq_norms)
                m3 += weighted @ dg
            if wb is not None:
                d *= np.sqrt(wb)[:, None]
            if scratch is not None:
                buffer[b_start:b_stop] = d
        if not per_block:
            class_sums += onehot @ buffer[:rows_here]
        _add_gram(gram, buffer[:rows_here])
    if n_rows == 0:
        return None
    mirror_lower(gram)
    return {
        "loss": 1.0,
        "centre": centre,
        "n_rows": n_rows,
        "wsum": float(n_rows) if weights is None else float(class_weights.sum()),
        "col_sum": class_sums.sum(axis=0),  # every row is in one class
        "class_sums": class_sums,
        "class_weights": class_weights,
        "col_min": col_min,
        "col_max": col_max,
        "gram": gram,
        "m3": m3 if moments else None,
        "m4": m4 if moments else None,
    }


def centred_blocks(X, weights, chunk_size, exponents, mean):
    """A callable yielding the centred, weighted rows of ``X`` block by block (float64,
    row-major, in the units ``2**exponents``): the rows whose Gram product is the scatter.

    Blocks of about 2 MiB (at least twice as many rows as columns, at most ``chunk_size``):
    the refinement's passes over a block (centring, a change of basis, a Gram product) then
    read it from cache, not memory. Every block is written into one buffer (fresh pages per
    block cost page faults): a consumer may change a block, but must not keep it.
    """
    chunk_size = min(chunk_size, max(2 * X.shape[1], _BLOCK_BYTES // (8 * X.shape[1])))

    def blocks():
        buffer = np.empty((min(chunk_size, X.shape[0]), X.shape[1]))
        for start in range(0, X.shape[0], chunk_size):
            stop = min(start + chunk_size, X.shape[0])
            w = None if weights is None else weights[start:stop]
            chunk = X[start:stop]
            if w is not None:
                chunk, w = chunk[w > 0], w[w > 0]
            if chunk.shape[0] == 0:
                continue
            if sp.issparse(chunk):
                chunk = chunk.toarray()
            d = buffer[: chunk.shape[0]]
            if np.any(exponents):  # exact powers of two, then the centre
                np.ldexp(chunk, -exponents, out=d, dtype=np.float64)  # widened before
                d -= mean
            else:  # one pass: the copy is the subtraction
                np.subtract(chunk, mean, out=d, dtype=np.float64)
            if w is not None:
                d *= np.sqrt(w)[:, None]
            yield d

    return blocks
