"""Input checks shared by every entry point: features, labels and sample weights.

Each check returns a validated view of the input and never modifies it. Errors name the
problem and the fix.
"""

import functools
import os
import sys
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.utils import assert_all_finite, check_array, check_consistent_length
from sklearn.utils.multiclass import type_of_target


def _is_estimator(obj):
    return hasattr(obj, "fit") and (hasattr(obj, "predict") or hasattr(obj, "transform"))


def _estimator_error(obj, metric="h_score", scorer="skhscore.HScoreScorer()"):
    return TypeError(
        f"{metric} got an estimator ({type(obj).__name__}) where features belong: it is a "
        f"metric function, {metric}(X, y), that scores a feature matrix against labels. To "
        f"score an estimator in cross_val_score or GridSearchCV, pass scoring={scorer} "
        f"instead of scoring={metric}."
    )


def refuses_estimators(scorer):
    """Decorate a metric function so that ``scoring=metric`` misuse gets a clear error.

    scikit-learn calls a scorer as ``scorer(estimator, X, y)``; a metric function passed
    as ``scoring=`` would fail on its signature with an unhelpful message. The wrapper
    keeps the metric's signature (``inspect.signature`` follows ``__wrapped__``).
    """

    def decorate(metric):
        @functools.wraps(metric)
        def wrapper(*args, **kwargs):
            first = args[0] if args else kwargs.get("X")
            if _is_estimator(first):
                raise _estimator_error(first, metric.__name__, scorer)
            return metric(*args, **kwargs)

        return wrapper

    return decorate


def is_torch_tensor(X):
    return type(X).__module__.split(".")[0] == "torch" and hasattr(X, "detach")


def untracked_tensor(X, *, to_host=True):
    """A torch tensor as the engine reads it; anything else is returned as it is.

    What a network returns may still track gradients (``.numpy()`` refuses it), and may be
    bfloat16 (which NumPy lacks) or float16 (whose scatter would lose precision): the tensor
    is detached from autograd and half-precision values are widened to float32, which is
    exact. With ``to_host`` (the NumPy engine) the result is a NumPy array on the host;
    without it (the array-API path) the tensor stays on its device. Torch is never imported
    here: a tensor is recognised by its type's module.
    """
    if not is_torch_tensor(X):
        return X
    X = X.detach()
    if str(X.dtype) in ("torch.bfloat16", "torch.float16"):
        X = X.float()
    if "sparse" in str(X.layout) and X.ndim == 2:  # COO or CSR: a SciPy CSR matrix, not dense
        X = X.cpu().to_sparse_coo().coalesce()
        rows, cols = X.indices().numpy()
        return sp.csr_matrix((X.values().numpy(), (rows, cols)), shape=tuple(X.shape))
    return X.cpu().numpy() if to_host else X


def estimator_input(X):
    """``untracked_tensor(X)``, with a DataFrame's text or categorical columns named first
    (an estimator's validate_data would give numpy's bare conversion error)."""
    X = untracked_tensor(X)
    check_numeric_columns(X)
    return X


def check_declared_classes(classes):
    """The sorted labels of a stream's ``classes=`` argument (any array-like or tensor)."""
    try:
        declared = np.unique(np.asarray(untracked_tensor(classes)))
    except TypeError as exc:
        raise TypeError("The labels in classes cannot be sorted: use labels of one type.") from exc
    if declared.ndim != 1 or declared.size == 0:
        raise ValueError(f"classes must be a non-empty 1-D array of labels, got {classes!r}.")
    return declared


def classes_seen(stats):
    """The classes of a stream's rows of positive weight: none while it has seen only
    rows of weight zero (which a stream may start with, as one pass accepts them)."""
    try:
        return stats.classes_
    except ValueError:  # the engine's "every sample seen has weight zero"
        return np.array([])


def check_label_type(y):
    """Refuse labels scikit-learn calls 'unknown', saying what they hold and the fix."""
    if type_of_target(y, input_name="y") == "unknown":
        raise ValueError(
            "Unknown label type: y holds values that are neither class labels of one "
            "type nor numbers (an object array of mixed values?). Pass a 1-D array of "
            "class labels of one type." + object_labels_fix(np.asarray(y))
        )


def check_features(X, *, name="X", min_samples=2, finite=True):
    """Validate a 2-D numeric feature matrix without converting its dtype.

    Integer, boolean and float32 arrays are kept as they are (they are converted to float64
    chunk by chunk later); sparse input is accepted as CSR. Torch tensors (tracking
    gradients, half precision, on any device) are read through :func:`untracked_tensor`.
    ``finite=False`` leaves the check for NaN and infinity to the caller (the engine reads
    it off its Gram product, or calls :func:`check_finite`).
    """
    if _is_estimator(X):
        raise _estimator_error(X)
    X = untracked_tensor(X)
    check_numeric_columns(X, name)
    X = check_array(
        X,
        accept_sparse=("csr", "csc", "coo"),
        dtype="numeric",
        ensure_all_finite=finite,
        ensure_min_samples=min_samples,
        ensure_min_features=1,
        input_name=name,
    )
    if sp.issparse(X) and X.format != "csr":
        X = X.tocsr()
    return X


def check_finite(X, name="X"):
    """Raise scikit-learn's error for NaN or infinite values in a checked feature matrix."""
    assert_all_finite(X, allow_nan=False, input_name=name)


def _numbers_of_object_column(X, column, dtype):
    """A pandas column of dtype object that holds only numbers (numpy converts it, as
    scikit-learn's estimators do)."""
    if str(dtype) != "object":
        return False
    try:
        from pandas.api.types import infer_dtype

        return infer_dtype(X[column], skipna=False) in ("integer", "floating", "boolean")
    except Exception:  # not a pandas frame, or a column pandas cannot inspect
        return False


def check_numeric_columns(X, name="X"):
    """Name the text or categorical columns of a DataFrame, which no metric can score."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is None or not hasattr(dtypes, "items"):
        return
    bad = [
        (col, str(dt))
        for col, dt in dtypes.items()
        if getattr(dt, "kind", "O") not in "biuf" and not _numbers_of_object_column(X, col, dt)
    ]
    if bad:
        shown = ", ".join(f"{col!r} ({dt})" for col, dt in bad[:5])
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise ValueError(
            f"{name} has non-numeric columns: {shown}{more}. The features must be numbers: "
            "encode these columns first (e.g. sklearn.preprocessing.OneHotEncoder in a "
            f"ColumnTransformer) or drop them ({name}.drop(columns=[...]))."
        )


def _is_missing(value):
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return True
    try:
        return bool(value != value)  # NaN
    except (TypeError, ValueError):  # labels that do not compare to themselves as a bool
        return False


def _as_label_array(y):
    """``np.asarray(y)``, except that a list mixing numbers and strings stays an object
    array (numpy would turn 1 into "1", silently merging 1 and "1")."""
    array = np.asarray(y)
    if isinstance(y, list | tuple) and array.dtype.kind in "US":
        if not all(isinstance(v, str | bytes) for v in y):
            return np.asarray(y, dtype=object)
    return array


def _check_missing_or_mixed(y):
    """Name missing labels (None, NaN, pd.NA) and mixes of numbers and strings."""
    if y.dtype.kind == "f":
        missing = np.flatnonzero(np.isnan(y))
    elif y.dtype.kind == "O":
        missing = np.flatnonzero([_is_missing(v) for v in y.ravel()])
    else:
        return
    if missing.size:
        raise ValueError(
            f"y has {missing.size} missing label(s) (None, NaN or pd.NA) at rows "
            f"{missing[:10].tolist()}{' ...' if missing.size > 10 else ''}. A missing label "
            "is not a class: drop those rows (X[mask], y[mask] with mask = "
            "pandas.notna(y)), or give them a class of their own (y.fillna('missing'))."
        )
    if y.dtype.kind == "O" and y.ndim == 1:
        texts = [v for v in y if isinstance(v, str | bytes)]
        if texts and len(texts) < y.shape[0]:
            number = next(v for v in y if not isinstance(v, str | bytes))
            raise TypeError(
                f"y mixes labels of different types, e.g. {number!r} and {texts[0]!r}: "
                "they cannot be compared, and 1 and '1' would be two classes. Convert the "
                "labels to one type first (y.astype(str), or y.astype(int))."
            )


class RegressionLikeLabelsWarning(UserWarning):
    """Float class labels that look like a regression target (see check_labels)."""


#: A float ``y`` with at least this many distinct values, most of them seen at most twice,
#: is more likely a regression target than class labels.
_REGRESSION_LIKE_MIN_CLASSES = 10


def warn_if_regression_like(y, classes, codes, hint):
    """Warn when float labels look like a regression target of whole numbers.

    ``load_diabetes``' target (214 distinct whole numbers in 442 rows, 152 of them seen
    once or twice) would pass as 214 classes. The rule: a float ``y`` with at least
    ``_REGRESSION_LIKE_MIN_CLASSES`` distinct values, more than half of which occur at most
    twice (too few samples for a class mean to mean anything).
    """
    if y.dtype.kind != "f" or classes.shape[0] < _REGRESSION_LIKE_MIN_CLASSES:
        return
    rare = int(np.count_nonzero(np.bincount(codes) <= 2))
    if 2 * rare > classes.shape[0]:
        warnings.warn(
            f"y is float with {classes.shape[0]} distinct values in {y.shape[0]} samples, "
            f"{rare} of them seen at most twice: it looks like a regression target, scored "
            f"here as {classes.shape[0]} classes. For a continuous target pass {hint}; for "
            "class labels, pass them as integers or strings to silence this warning.",
            RegressionLikeLabelsWarning,
            stacklevel=_user_stacklevel(),
        )


def _user_stacklevel():
    """Stack level of the first frame outside skhscore and scikit-learn: the user's line."""
    import sklearn

    packages = tuple(
        os.path.dirname(os.path.abspath(module.__file__))
        for module in (sys.modules[__package__], sklearn)
    )
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(packages):
        frame, level = frame.f_back, level + 1
    return level


def _label_kind(y):
    """sklearn's ``type_of_target``, with a fast path for plain 1-D integer or text labels.

    The fast path answers exactly what ``type_of_target`` answers for those inputs
    ("binary" or "multiclass"); anything else (floats, objects, 2-D) goes to sklearn.
    """
    if y.ndim == 1 and y.shape[0] > 0 and y.dtype.kind in "iuUS":
        return "multiclass"  # binary and multiclass are treated alike here
    return type_of_target(y, input_name="y")


def check_labels(y, n_samples=None, *, regression_hint="target='regression'"):
    """Return ``(classes, codes)`` for class labels of any sortable hashable type.

    ``classes`` is sorted; ``codes[i]`` indexes ``classes``. Continuous and multilabel
    targets, missing labels and mixes of numbers and strings are refused: the H-score needs
    one discrete label per sample. Float labels that look like a regression target get a
    warning naming ``regression_hint``, the argument that scores them as one.
    """
    if y is None:
        raise ValueError(
            "y is required: the H-score measures how much label information the features "
            "carry, so it needs the class labels."
        )
    y = _as_label_array(untracked_tensor(y))  # labels a network computed: detached
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if n_samples is not None:
        check_consistent_length(np.empty(n_samples), y)
    if y.dtype.kind == "f":
        _check_missing_or_mixed(y)  # vectorised; object labels are diagnosed below
    try:
        kind = _label_kind(y)
    except TypeError:  # pd.NA cannot be compared: name it rather than numpy's error
        _check_missing_or_mixed(y)
        raise
    if kind == "unknown" and y.dtype.kind == "O":
        _check_missing_or_mixed(y)
    if kind in ("continuous", "continuous-multioutput"):
        raise ValueError(
            "y looks continuous (float values that are not whole numbers), but the "
            "H-score needs class labels. Pass the class of each sample, or encode a "
            "continuous target into bins first, or score it as a regression target with "
            f"{regression_hint}."
        )
    if kind in ("multilabel-indicator", "multiclass-multioutput"):
        raise ValueError(
            f"y is a {kind} target, but h_score needs exactly one class label per "
            "sample (a 1-D array). For a multi-hot label matrix pass target='multilabel'."
        )
    if kind not in ("binary", "multiclass"):
        raise ValueError(
            f"y of type {kind!r} cannot be used as class labels.{object_labels_fix(y)}"
        )
    try:
        classes, codes = _unique_codes(y)
    except TypeError as exc:
        _check_missing_or_mixed(y)
        raise TypeError(
            "The labels in y cannot be sorted (mixed types such as strings and numbers?). "
            "Use labels of a single type."
        ) from exc
    if classes.dtype.kind == "O" and any(_is_missing(c) for c in classes):
        _check_missing_or_mixed(y)  # NaN among numbers sorts: found among the classes
    codes = codes.reshape(-1)
    warn_if_regression_like(y, classes, codes, regression_hint)
    return classes, codes


def _unique_codes(y):
    """``np.unique(y, return_inverse=True)``; for integers of a compact range by counting
    (one pass instead of a sort: 1 ms instead of 6 ms for 200,000 labels)."""
    if y.ndim == 1 and y.dtype.kind in "iu" and y.size:
        low, high = y.min(), y.max()
        span = int(high) - int(low)
        if span <= 4 * y.size + 1024:
            # exact (the span is small): signed types widened first, unsigned never negative
            wide = y - low if y.dtype.kind == "u" else np.subtract(y, low, dtype=np.int64)
            offsets = wide.astype(np.intp, copy=False)
            present = np.flatnonzero(np.bincount(offsets, minlength=span + 1))
            lookup = np.zeros(span + 1, dtype=np.intp)
            lookup[present] = np.arange(present.size)
            # in y's dtype: wraps modulo 2**bits, exact since the result fits
            return present.astype(y.dtype) + low, lookup[offsets]
    return np.unique(y, return_inverse=True)


def object_labels_fix(y):
    """The fix for an object array of numbers or booleans (pandas' object dtype), which
    scikit-learn's type_of_target calls 'unknown'."""
    if y.dtype.kind != "O" or y.size == 0:
        return ""
    first = y.ravel()[0]
    if not isinstance(first, int | float | np.number | np.bool_):
        return ""
    dtype = "float" if isinstance(first, float | np.floating) else "int"
    return (
        f" It is an object array holding {type(first).__name__} values (e.g. {first!r}), "
        "as a pandas column of dtype object gives: convert it to one numeric type first, "
        f"np.asarray(y, dtype={dtype})."
    )


def _label_family(classes):
    """ "number", "text" or "other": which labels compare equal to which."""
    kind = classes.dtype.kind
    if kind in "biuf":
        return "number"
    if kind in "US":
        return "text"
    if all(isinstance(c, str | bytes) for c in classes):
        return "text"
    if all(isinstance(c, int | float | np.number | np.bool_) for c in classes):
        return "number"
    return "other"


def check_same_label_kind(held, new):
    """Refuse merging number labels with text labels (0 and "0" would become one class).

    One call refuses such a mix (its labels cannot be sorted together); batches merged or
    streamed one after the other are held to the same rule.
    """
    families = {_label_family(held), _label_family(new)}
    if len(families) > 1:
        raise TypeError(
            f"The labels of this batch ({new[:5].tolist()!r}) are not of the same type as "
            f"the labels seen before ({held[:5].tolist()!r}): numbers and strings would be "
            "merged into one class (0 and '0'). Convert every batch's labels to one type "
            "first, e.g. y.astype(str) or y.astype(int)."
        )


def check_sample_weight(sample_weight, n_samples, *, allow_all_zero=False):
    """Return float64 weights of length ``n_samples`` or None; refuse negative ones.

    ``allow_all_zero`` accepts a batch whose weights are all zero (a streamed batch adds
    nothing then, as in a one-pass computation over all the batches).
    """
    if sample_weight is None:
        return None
    w = np.asarray(untracked_tensor(sample_weight))
    if w.ndim == 0:
        w = np.full(n_samples, float(w))
    if w.ndim != 1:
        raise ValueError(f"sample_weight must be 1-D, got shape {w.shape}.")
    if w.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight has {w.shape[0]} entries but X has {n_samples} samples: "
            "pass one weight per sample."
        )
    w = w.astype(np.float64)  # a copy: the caller's array is never touched
    if not np.all(np.isfinite(w)):
        raise ValueError("sample_weight contains NaN or infinity.")
    if np.any(w < 0):
        raise ValueError(
            "sample_weight contains negative values; weights must be >= 0 "
            "(use 0 to leave a sample out)."
        )
    if not allow_all_zero and not np.any(w > 0):
        raise ValueError("sample_weight is zero everywhere: at least two samples need weight.")
    return w


def rescaling_exponent(X):
    """``e`` with ``max |X| 2^-e`` in [0.5, 1) when that magnitude is beyond ``2^+-64``, else 0.

    Scaling by a power of two is exact, so metrics invariant (or equivariant) to a constant
    factor can work near 1 whatever the magnitude of the input (1e+-200 included); within
    ``2^+-64`` products of features neither overflow nor underflow, and 0 spares the pass.
    """
    values = X.data if sp.issparse(X) else X
    if values.size == 0:
        return 0
    peak = max(float(np.max(values)), -float(np.min(values)))
    if not (peak > 0 and np.isfinite(peak)):
        return 0
    exponent = int(np.frexp(peak)[1])
    return exponent if abs(exponent) > 64 else 0
