"""What the selector's candidates read: raw inputs, shared forward passes, classifiers.

Kept apart from the selector's fitting logic: which estimators can compete, which inputs
are passed to them unchecked (texts, images, tensors), and how candidates that are layers of
one frozen network get every layer from one forward pass.
"""

import time

import numpy as np
import scipy.sparse as sp
from sklearn.base import TransformerMixin
from sklearn.utils import check_consistent_length

from skhscore._validation import is_torch_tensor, untracked_tensor


def is_candidate(estimator, scorer):
    """A transformer, or any estimator whose features the scorer knows how to read."""
    if not hasattr(estimator, "fit"):
        return False
    return hasattr(estimator, "transform") or getattr(scorer, "feature_getter", "auto") != "auto"


def is_raw_input(X):
    """Texts, images (arrays of 3 or more axes), lists of images, torch tensors.

    Like Pipeline and GridSearchCV, the selector then checks only the number of samples
    and leaves reading them to the candidates.
    """
    if (hasattr(X, "columns") and hasattr(X, "shape")) or sp.issparse(X):  # a data frame
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
