"""Input checks shared by every entry point: features, labels and sample weights.

Each check returns a validated view of the input and never modifies it. Errors name the
problem and the fix.
"""

import functools

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array, check_consistent_length
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
    return X.cpu().numpy() if to_host else X


def check_features(X, *, name="X", min_samples=2):
    """Validate a 2-D numeric feature matrix without converting its dtype.

    Integer, boolean and float32 arrays are kept as they are (they are converted to float64
    chunk by chunk later); sparse input is accepted as CSR. Torch tensors (tracking
    gradients, half precision, on any device) are read through :func:`untracked_tensor`.
    """
    if _is_estimator(X):
        raise _estimator_error(X)
    X = untracked_tensor(X)
    X = check_array(
        X,
        accept_sparse=("csr", "csc", "coo"),
        dtype="numeric",
        ensure_all_finite=True,
        ensure_min_samples=min_samples,
        ensure_min_features=1,
        input_name=name,
    )
    if sp.issparse(X) and X.format != "csr":
        X = X.tocsr()
    return X


def _label_kind(y):
    """sklearn's ``type_of_target``, with a fast path for plain 1-D integer or text labels.

    The fast path answers exactly what ``type_of_target`` answers for those inputs
    ("binary" or "multiclass"); anything else (floats, objects, 2-D) goes to sklearn.
    """
    if y.ndim == 1 and y.shape[0] > 0 and y.dtype.kind in "iuUS":
        return "multiclass"  # binary and multiclass are treated alike here
    return type_of_target(y, input_name="y")


def check_labels(y, n_samples=None):
    """Return ``(classes, codes)`` for class labels of any sortable hashable type.

    ``classes`` is sorted; ``codes[i]`` indexes ``classes``. Continuous and multilabel
    targets are refused: the H-score needs one discrete label per sample.
    """
    if y is None:
        raise ValueError(
            "y is required: the H-score measures how much label information the features "
            "carry, so it needs the class labels."
        )
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if n_samples is not None:
        check_consistent_length(np.empty(n_samples), y)
    kind = _label_kind(y)
    if kind in ("continuous", "continuous-multioutput"):
        raise ValueError(
            "y looks continuous (float values that are not whole numbers), but the "
            "H-score needs class labels. Pass the class of each sample, or encode a "
            "continuous target into bins first, or score it as a regression target with "
            "target='regression'."
        )
    if kind in ("multilabel-indicator", "multiclass-multioutput"):
        raise ValueError(
            f"y is a {kind} target, but h_score needs exactly one class label per "
            "sample (a 1-D array). For a multi-hot label matrix pass target='multilabel'."
        )
    if kind not in ("binary", "multiclass"):
        raise ValueError(f"y of type {kind!r} cannot be used as class labels.")
    try:
        classes, codes = np.unique(y, return_inverse=True)
    except TypeError as exc:
        raise TypeError(
            "The labels in y cannot be sorted (mixed types such as strings and numbers?). "
            "Use labels of a single type."
        ) from exc
    return classes, codes.reshape(-1)


def check_sample_weight(sample_weight, n_samples):
    """Return float64 weights of length ``n_samples`` or None; refuse negative ones."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight)
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
    if not np.any(w > 0):
        raise ValueError("sample_weight is zero everywhere: at least two samples need weight.")
    return w
