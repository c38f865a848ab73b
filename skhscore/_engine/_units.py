"""The engine's unit system: exact power-of-two column scales and the input's precision.

Every column is stored in units of ``2**exp[j]`` so that squares and fourth powers of
extreme (or subnormal) magnitudes neither overflow nor underflow; a power of two is exact, so
nothing is lost converting back. One rule decides which columns carry information at all.
"""

import numpy as np
import scipy.sparse as sp

#: Largest |log2| of a column's magnitude used as it is, per dtype of the scatter product:
#: squares (and n-term sums of them) of values within 2**+-40 stay normal float32 numbers.
SAFE_EXPONENT = {np.dtype(np.float64): 100, np.dtype(np.float32): 40}

#: Unit roundoff of data given in float64 (integers and booleans convert exactly).
FLOAT64_ROUNDOFF = np.finfo(np.float64).eps / 2


def column_exponents(col_min, col_max, scatter_dtype=np.float64):
    """Power-of-two exponents bringing extreme columns near unit magnitude (0 otherwise)."""
    peak = np.maximum(np.abs(col_min), np.abs(col_max))
    _, exponents = np.frexp(peak)
    exponents = exponents.astype(np.int64)
    exponents[np.abs(exponents) <= SAFE_EXPONENT[np.dtype(scatter_dtype)]] = 0
    return exponents


def input_roundoff(X):
    """Unit roundoff of the values as given: 2**-24 for float32 (or narrower), else 2**-53.

    The statistics remember it, so that the rank rule counts as noise exactly what the input
    precision cannot resolve.
    """
    dtype = X.dtype if (isinstance(X, np.ndarray) or sp.issparse(X)) else np.asarray(X).dtype
    if dtype.kind == "f" and dtype.itemsize < 8:
        return float(np.finfo(np.float32).eps / 2)
    return FLOAT64_ROUNDOFF


def varying_columns(col_min, col_max):
    """Columns that are not constant: their spread exceeds 8 ulps of their magnitude.

    Below that no information is carried, only the rounding of the mean (a float32 column
    whose variation rounds away is constant in float64 as well).
    """
    peak = np.maximum(np.abs(col_min), np.abs(col_max))
    return (col_max - col_min) > 8 * np.finfo(np.float64).eps * peak


def scale_rows(rows, exponents):
    """``rows * 2**-exponents`` exactly, in float64 (``ldexp`` on the data never overflows
    an intermediate power of two, so subnormal inputs come up unharmed)."""
    return np.ldexp(np.asarray(rows, dtype=np.float64), -exponents)
