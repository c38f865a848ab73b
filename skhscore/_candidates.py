"""What the selector's candidates read: raw inputs, shared forward passes, classifiers.

Kept apart from the selector's fitting logic: which estimators can compete, which inputs
are passed to them unchecked (texts, images, tensors) and how the others are checked, and
how candidates that are layers of one frozen network get every layer from one forward pass.
"""

import time

import numpy as np
import scipy.sparse as sp
from sklearn.base import TransformerMixin
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import check_consistent_length
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import validate_data

from skhscore._selector_support import indexable_input
from skhscore._validation import is_torch_tensor, untracked_tensor


def is_candidate(estimator, scorer):
    """A transformer, or any estimator whose features the scorer knows how to read."""
    if not hasattr(estimator, "fit"):
        return False
    return hasattr(estimator, "transform") or getattr(scorer, "feature_getter", "auto") != "auto"


def competing_candidates(selector):
    """(name, transformer) of the competing candidates, validated; "drop" left out.

    Parameters
    ----------
    selector : TransferabilitySelector
        The selector whose ``transformers`` compete (and whose scorer reads them).

    Returns
    -------
    candidates : list of (str, transformer or "passthrough")
        The candidates in the order given, without the ``"drop"`` ones.
    """
    try:
        names, transformers = zip(*selector.transformers, strict=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "transformers must be a list of (name, transformer) tuples, got "
            f"{selector.transformers!r}."
        ) from exc
    selector._validate_names(names)
    reserved = {"scorer", "splitter"}.intersection(names)
    if reserved:
        raise ValueError(
            f"Candidate names {sorted(reserved)} are reserved for metadata routing; "
            "rename these candidates."
        )
    candidates = []
    for name, transformer in selector.transformers:
        if isinstance(transformer, str):
            if transformer not in ("passthrough", "drop"):
                raise ValueError(
                    f"Candidate {name!r} is the string {transformer!r}; the only "
                    "strings allowed are 'passthrough' and 'drop'."
                )
            if transformer == "drop":
                continue
        elif not is_candidate(transformer, selector._scorer()):
            raise TypeError(
                f"Candidate {name!r} ({type(transformer).__name__}) is not a "
                "transformer: it needs fit and transform methods (or use "
                "'passthrough' or 'drop'). Another estimator, a classifier say, is a "
                "candidate when the scorer says how to read its features: "
                "scoring=HScoreScorer(feature_getter=...) with a step name, a method "
                "name or a callable (estimator, X) -> features."
            )
        candidates.append((name, transformer))
    if not candidates:
        raise ValueError("Every candidate is 'drop': there is nothing to choose from.")
    return candidates


def candidate_prototypes(candidates):
    """The transformers the selector clones and fits, in the order of ``candidates``.

    Parameters
    ----------
    candidates : list of (str, transformer or "passthrough")
        The competing candidates (see :func:`competing_candidates`).

    Returns
    -------
    prototypes : list of transformers
        The candidates' transformers; ``"passthrough"`` becomes an identity
        :class:`~sklearn.preprocessing.FunctionTransformer`.
    """
    return [
        FunctionTransformer(accept_sparse=True, feature_names_out="one-to-one")
        if isinstance(t, str)
        else t
        for _, t in candidates
    ]


def is_dataframe(X):
    """Whether X is a data frame (it has columns and a shape): passed to the candidates."""
    return hasattr(X, "columns") and hasattr(X, "shape")


def is_raw_input(X):
    """Texts, images (arrays of 3 or more axes), lists of images, torch tensors.

    Like Pipeline and GridSearchCV, the selector then checks only the number of samples
    and leaves reading them to the candidates.
    """
    if is_dataframe(X) or sp.issparse(X):
        return False
    if is_torch_tensor(X):
        return True
    shape = getattr(X, "shape", None)
    if shape is not None:
        return len(shape) >= 3 or (len(shape) == 1 and X.dtype.kind in "OUS")
    if isinstance(X, (list, tuple)) and len(X) > 0:
        first = X[0]
        return isinstance(first, (str, bytes)) or np.ndim(first) >= 2
    return False


def check_raw_input(selector, X, y):
    """Raw input: only lengths are checked; no n_features_in_ (the input has no columns)."""
    if y is None:
        raise ValueError("y is required: the candidates are scored against class labels.")
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    check_consistent_length(X, y)
    if len(y) < 2:
        raise ValueError(f"Found {len(y)} sample; at least 2 are required.")
    for attribute in ("n_features_in_", "feature_names_in_"):
        if hasattr(selector, attribute):
            delattr(selector, attribute)
    return X, y


def check_fit_input(selector, X, y):
    """X and y as the selector's fit reads them.

    Raw inputs go through :func:`check_raw_input`; the others are validated (setting
    ``n_features_in_``), data frames passed on as they are, other inputs made indexable.

    Parameters
    ----------
    selector : TransferabilitySelector
        The selector being fitted.
    X : {array-like, sparse matrix, DataFrame} or raw input
        Input of the candidates.
    y : array-like of shape (n_samples,)
        Class labels.

    Returns
    -------
    X : {array-like, sparse matrix, DataFrame} or raw input
        The input the candidates get.
    y : ndarray of shape (n_samples,)
        The labels, checked.
    """
    y = untracked_tensor(y)  # labels a network computed: detached, as every metric reads them
    if is_raw_input(X):  # texts, images, tensors: only the candidates can read them
        X, y = check_raw_input(selector, X, y)
    else:
        tags = selector.__sklearn_tags__()
        X_checked, y = validate_data(
            selector,
            X,
            y,
            accept_sparse=tags.input_tags.sparse and ("csr", "csc", "coo"),
            dtype=None if is_dataframe(X) else "numeric",  # frames go to the candidates
            ensure_min_samples=2,
        )
        X = X if is_dataframe(X) else indexable_input(X_checked)  # COO cannot be indexed
    type_of_target(y, input_name="y", raise_unknown=True)
    return X, y


def check_transform_input(selector, X):
    """X as the fitted selector's transform and score read it.

    Parameters
    ----------
    selector : TransferabilitySelector
        The fitted selector.
    X : {array-like, sparse matrix, DataFrame} or raw input
        Input of the chosen candidate.

    Returns
    -------
    X : {array-like, sparse matrix, DataFrame} or raw input
        Raw inputs and data frames as they are, other inputs validated.
    """
    if is_raw_input(X):
        return X
    tags = selector.__sklearn_tags__()
    X_checked = validate_data(
        selector,
        X,
        reset=False,
        accept_sparse=tags.input_tags.sparse and ("csr", "csc", "coo"),
        dtype=None if is_dataframe(X) else "numeric",
    )
    return X if is_dataframe(X) else X_checked


class PrecomputedFeatures(TransformerMixin):
    """A candidate whose features were computed beforehand; its input is row indices."""

    def __init__(self, features):
        self.features = features

    def fit(self, rows, y=None, **fit_params):
        return self

    def transform(self, rows):
        return self.features[np.asarray(rows)]


def shared_forward_features(prototypes, fit_params, X, scorer):
    """Features of the candidates that share a frozen network, one pass per network.

    Candidates exposing ``_shared_forward_key()`` (skhscore.nn's extractors) with equal keys
    run the same network with the same settings and differ only in the layer: one forward
    pass over ``X`` gives every layer. Their fit learns nothing, so features computed once
    serve every fold. Only when the scorer reads features through ``transform``
    (``feature_getter="auto"``) and no metadata is routed to their fit. Returns
    ``({candidate index: features}, {candidate index: seconds})``.
    """
    if getattr(scorer, "feature_getter", None) != "auto":
        return {}, {}
    groups = {}
    for i, prototype in enumerate(prototypes):
        key = getattr(prototype, "_shared_forward_key", None)
        if key is not None and not fit_params[i]:
            groups.setdefault(key(), []).append(i)
    features, seconds = {}, {}
    for members in groups.values():
        start = time.perf_counter()
        extractor = prototypes[members[0]]
        extractor._check_params()
        layers = list(dict.fromkeys(prototypes[i]._layer_spec() for i in members))
        parts = {layer: [] for layer in layers}
        for _, _, pooled in extractor._pooled_batches(X, layers):
            for layer in layers:
                parts[layer].append(untracked_tensor(pooled[layer]).astype(np.float32))
        by_layer = {layer: np.concatenate(parts[layer]) for layer in layers}
        elapsed = (time.perf_counter() - start) / len(members)
        for i in members:
            features[i] = by_layer[prototypes[i]._layer_spec()]
            seconds[i] = elapsed
    return features, seconds
