"""What TransferabilitySelector checks around its folds, and how it draws itself.

Kept apart from the selector's fit logic: the scoring names it accepts, the warnings about
folds it alone can see (test folds that lack classes, candidates scored nan everywhere), the
conversion of non-indexable input, the checks that a chosen candidate is there to use, and
its HTML diagram.
"""

import warnings

import numpy as np
from sklearn.exceptions import NotFittedError
from sklearn.metrics import check_scoring
from sklearn.utils import indexable
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_is_fitted

from skhscore._sklearn_compat import _VisualBlock

#: Where the HTML diagram's "?" links: the API page of each skhscore estimator.
DOC_LINK_TEMPLATE = (
    "https://skhscore.readthedocs.io/en/latest/generated/{estimator_module}.{estimator_name}.html"
)


def resolve_scoring(scoring):
    """The scorer callable: a metric of this package by name, any scorer name
    :func:`sklearn.metrics.check_scoring` knows ("accuracy", "roc_auc", ...), or a callable."""
    if not isinstance(scoring, str):
        return scoring
    from skhscore._transferability_scorer import METRICS, make_transferability_scorer

    if scoring in METRICS:
        return make_transferability_scorer(scoring)
    try:
        return check_scoring(scoring=scoring)
    except ValueError as exc:
        raise ValueError(
            f"scoring={scoring!r} is neither a metric of skhscore ({sorted(METRICS)}) nor a "
            f"scikit-learn scorer name (sklearn.metrics.get_scorer_names()). {exc}"
        ) from exc


def indexable_input(X):
    """COO and other sparse formats without row indexing become CSR, as
    :func:`sklearn.utils.indexable` does before cross-validation."""
    return indexable(X)[0]


def warn_missing_test_classes(y, splits):
    """Warn when test folds lack classes present in ``y``.

    The H-score of a fold is bounded by the number of classes it holds minus one, so folds
    with fewer classes score lower whatever the features: their mean is not the score of
    the task. ``splits`` is the list of (train, test) index arrays.
    """
    if type_of_target(y) not in ("binary", "multiclass"):
        return
    classes = np.unique(y)
    lacking = []
    for fold, (_, test) in enumerate(splits):
        if test is None:
            continue
        missing = np.setdiff1d(classes, np.unique(y[test]))
        if missing.size:
            lacking.append((fold, missing))
    if not lacking:
        return
    fold, missing = lacking[0]
    shown = missing[:10].tolist()
    warnings.warn(
        f"{len(lacking)} of {len(splits)} test folds lack classes present in y: fold {fold} "
        f"lacks {shown}{' ...' if missing.size > 10 else ''}. A fold's H-score is bounded by "
        "the number of classes it holds (minus one), so the candidates are scored on "
        "truncated tasks. Shuffle and stratify the folds: cv=StratifiedKFold(n_splits=5, "
        "shuffle=True, random_state=0) from sklearn.model_selection.",
        UserWarning,
        stacklevel=3,
    )


def warn_all_nan_candidates(names, scores, errors):
    """Warn about candidates whose score is nan on every fold although nothing failed.

    A scorer that returns nan (rather than raising) leaves no trace otherwise: the
    candidate is silently ranked last, as SequentialFeatureSelector silently keeps the first
    columns when every fold of every subset is nan.
    """
    for i, name in enumerate(names):
        if not errors[i] and np.all(np.isnan(scores[i])):
            warnings.warn(
                f"Candidate {name!r} scored nan on every fold (the scorer returned nan "
                "without raising), so it is ranked last. Check that the scorer suits the "
                "candidate's output, e.g. by calling scoring(fitted_candidate, X, y).",
                UserWarning,
                stacklevel=3,
            )


def best_has(attr):
    """available_if check: the chosen candidate (or, before fit, every candidate) has attr.

    Parameters
    ----------
    attr : str
        The method the selector delegates to its chosen candidate.

    Returns
    -------
    check : callable
        ``check(selector) -> bool``, for :func:`sklearn.utils.metaestimators.available_if`.
    """

    def check(self):
        if hasattr(self, "best_transformer_"):
            return hasattr(self.best_transformer_, attr)
        return all(isinstance(t, str) or hasattr(t, attr) for _, t in self.transformers)

    return check


def check_refit(selector, method):
    """Raise unless the selector is fitted and its chosen candidate refit on all the data.

    Parameters
    ----------
    selector : TransferabilitySelector
        The selector whose ``method`` was called.
    method : str
        The method's name, for the message.
    """
    check_is_fitted(selector)
    if not selector.refit:
        raise NotFittedError(
            f"{method} needs the chosen candidate refit on all the data, but this "
            "selector was fitted with refit=False: set refit=True and fit again."
        )


def visual_block(selector):
    """The candidates side by side, as FeatureUnion draws its transformers."""
    try:
        names, transformers = zip(*selector.transformers, strict=True)
    except (TypeError, ValueError):  # invalid transformers: draw the selector as one box
        return _VisualBlock("single", selector, names=type(selector).__name__)
    return _VisualBlock("parallel", list(transformers), names=list(names))
