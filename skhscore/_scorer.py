"""Scorer objects: a transferability metric of an estimator's features, for sklearn workflows.

A scorer here is a plain callable ``scorer(estimator, X, y)`` (scikit-learn's documented
contract for ``scoring=``): it takes the features the fitted estimator produces for ``X``
and scores them against ``y`` with a metric function such as :func:`~skhscore.h_score`.
It does not subclass scikit-learn's private scorer classes, whose signatures change between
releases.
"""

import inspect
from abc import ABC, abstractmethod
from numbers import Real

import numpy as np
from sklearn import get_config
from sklearn.utils.metadata_routing import MetadataRequest

from skhscore._constraints import SHRINKAGE_CONSTRAINT
from skhscore._features import get_features
from skhscore._hscore import h_score
from skhscore._sklearn_compat import StrOptions, validate_parameter_constraints

__all__ = ["HScoreScorer", "make_hscore_scorer"]


def _accepts(function, name):
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return True
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in parameters)


def _describe(obj):
    """A short, readable name for a callable or an object (used in reprs and errors)."""
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    return name if name is not None else repr(obj)


class _FeatureScorer(ABC):
    """Base of the scorers: features of a fitted estimator, scored by a metric function.

    Subclasses define ``_metric()`` returning ``(function, kwargs)``; the function is called
    as ``function(features, y, **kwargs, sample_weight=...)`` and must return a float,
    greater is better. Everything else (features, routing, pickling, errors) lives here, so
    a new metric only needs a subclass.
    """

    _requires_classes = True

    @abstractmethod
    def _metric(self):
        """``(function, kwargs)``: the metric and its keyword arguments."""

    def _init_params(self):
        """``(name, value, default)`` of each constructor parameter, for the repr."""
        return []

    def __repr__(self):
        shown = []
        for name, value, default in self._init_params():
            if value is default or (
                isinstance(value, str | bool | Real | type(None)) and value == default
            ):
                continue
            shown.append(f"{name}={_describe(value) if callable(value) else repr(value)}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def _check_target(self, y):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y: it measures how much label "
                "information the estimator's features carry. Pass the labels "
                "(cross_val_score(estimator, X, y, ...), GridSearchCV(...).fit(X, y))."
            )
        if not self._requires_classes:
            return
        y_array = np.asarray(y)
        if y_array.ndim == 1 and y_array.shape[0] > 0:
            classes = np.unique(y_array)
            if classes.shape[0] < 2:
                raise ValueError(
                    f"{type(self).__name__} got labels with a single class "
                    f"({classes[0]!r}), so no features can separate them. In a "
                    "cross-validation this means the folds are not stratified: an int cv "
                    "with a transformer, or a pipeline that does not end in a "
                    "classifier, gives unshuffled KFold, whose folds hold one class "
                    "each on sorted data. Pass cv=StratifiedKFold(n_splits=5, "
                    "shuffle=True, random_state=0) from sklearn.model_selection."
                )

    def __call__(self, estimator, X, y=None, sample_weight=None):
        """Score the features ``estimator`` produces for ``X`` against ``y``.

        Parameters
        ----------
        estimator : fitted estimator
            A transformer or a Pipeline (see ``feature_getter``).
        X : array-like of shape (n_samples, n_features)
            Input of the estimator (e.g. a held-out fold).
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, passed to the metric.

        Returns
        -------
        score : float
            Greater is better.
        """
        self._check_target(y)
        features = get_features(estimator, X, self._resolved_feature_getter())
        function, kwargs = self._metric()
        if sample_weight is not None:
            if not _accepts(function, "sample_weight"):
                raise TypeError(
                    f"The metric {_describe(function)} does not take sample_weight; score "
                    "without weights or use a metric that takes them (h_score, logme_score)."
                )
            kwargs = {**kwargs, "sample_weight": sample_weight}
        return float(function(features, y, **kwargs))

    def _resolved_feature_getter(self):
        return self.feature_getter

    # --- metadata routing -------------------------------------------------------------
    def set_score_request(self, *, sample_weight=None):
        """Request ``sample_weight`` when the scorer is called by a router.

        Only available with ``sklearn.set_config(enable_metadata_routing=True)``; see
        scikit-learn's User Guide on metadata routing.

        Parameters
        ----------
        sample_weight : bool, str or None, default=None
            True: the scorer receives ``sample_weight``; False: it does not; None: passing
            it raises an error; a string: the scorer receives the metadata of that name
            as its ``sample_weight``.

        Returns
        -------
        self : object
            The scorer, with the request updated.
        """
        if not get_config()["enable_metadata_routing"]:
            raise RuntimeError(
                "set_score_request is only available when metadata routing is enabled: "
                "call sklearn.set_config(enable_metadata_routing=True) first. With routing "
                "off, GridSearchCV.fit(X, y, sample_weight=w) forwards the weights to this "
                "scorer without any request."
            )
        request = MetadataRequest(owner=self)
        request.score.add_request(param="sample_weight", alias=sample_weight)
        self._metadata_request = request
        return self

    def get_metadata_routing(self):
        """The metadata this scorer requests: ``sample_weight`` for its ``score`` call.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRequest
            Unset (None) until :meth:`set_score_request` is called.
        """
        if hasattr(self, "_metadata_request"):
            return self._metadata_request
        request = MetadataRequest(owner=self)
        request.score.add_request(param="sample_weight", alias=None)
        return request

    def _accept_sample_weight(self):
        # Duck-typed hook read by sklearn's _MultimetricScorer and BaseSearchCV when metadata
        # routing is off (scikit-learn issue #31599: a dict of custom scorers plus
        # fit(..., sample_weight=w) raises AttributeError without it).
        return True


class HScoreScorer(_FeatureScorer):
    """H-score of an estimator's features, as a scorer for scikit-learn workflows.

    A plain, stateless, picklable callable ``scorer(estimator, X, y)`` returning
    :func:`~skhscore.h_score` of the features the fitted ``estimator`` produces for ``X``
    (greater is better). By default the score chosen for model selection: the
    chance-adjusted H-score with Ledoit-Wolf shrinkage, ``h_score(F, y, shrinkage="auto",
    adjusted=True)``, which, unlike the paper's plain H, compares candidates of different
    widths and stays informative when a candidate has more columns than samples (see the
    User Guide's "Which score to use"); ``HScoreScorer(shrinkage=None, adjusted=False)``
    gives the paper's estimator. Pass it as ``scoring=`` to ``cross_val_score``,
    ``cross_validate``, ``GridSearchCV``, ``RandomizedSearchCV``, ``validation_curve``,
    ``permutation_importance`` or ``SequentialFeatureSelector``, alone or in a dict of
    scorers. It scores features, so no classifier has to be trained: a pipeline ending in
    a transformer is enough.

    Read more in the :ref:`User Guide <scorer>`.

    Parameters
    ----------
    feature_getter : "auto", str or callable, default="auto"
        How the features are obtained from the fitted estimator:

        - "auto": for a Pipeline ending in a classifier or regressor, the features that
          reach its final step (``pipe[:-1].transform(X)``, or ``X`` itself for a one-step
          pipeline), so ``make_pipeline(PCA(16), LogisticRegression())`` is scored on the
          PCA features, not on the classifier (also for a final
          LinearDiscriminantAnalysis, which has a transform of its own); otherwise
          ``estimator.transform(X)``, or ``X`` itself for a bare classifier or regressor
          without ``transform`` (so ``SequentialFeatureSelector(LogisticRegression(),
          scoring=HScoreScorer())`` and ``RFECV`` score column subsets). A fitted search
          (GridSearchCV, ...) is replaced by its ``best_estimator_``.
        - a string: the name of a Pipeline step, whose output is scored (an intermediate
          layer of the pipeline), or of a method of the estimator.
        - a callable ``feature_getter(estimator, X)`` returning the features.
    shrinkage : {None, "auto", "oas"} or float in [0, 1], default="auto"
        Passed to :func:`~skhscore.h_score`: "auto" shrinks the feature covariance with
        the Ledoit-Wolf intensity (the regularized H-score), None is the paper's
        estimator with the pseudo-inverse.
    adjusted : bool, default=True
        Passed to :func:`~skhscore.h_score`: True gives the chance-adjusted score (0 on
        average for features independent of the labels, 1 for the best labelling the
        features allow), False the raw H-score.
    normalize : str or None, default=None
        Passed to :func:`~skhscore.h_score` (e.g. "classes" for H / (C - 1)); only with
        ``adjusted=False``.

    See Also
    --------
    make_hscore_scorer : the same scorer from a factory function.
    h_score : the metric on a feature matrix.

    Notes
    -----
    Only the parameters that differ from ``h_score``'s defaults are passed to it.

    Changed in 0.2.0: the default was the plain H-score (``shrinkage=None,
    adjusted=False``), which favours wide features and cannot tell apart candidates with
    at least as many columns as samples.

    With an int ``cv``, scikit-learn splits a transformer or a pipeline ending in a
    transformer with unshuffled, unstratified ``KFold``: on data sorted by class the
    test folds then hold one class each, and the scorer raises an error (which
    ``GridSearchCV`` turns into ``nan`` with a warning). Pass
    ``cv=StratifiedKFold(n_splits, shuffle=True, random_state=0)``.

    The plain H-score never decreases when a feature column is added, so ``RFECV`` with
    ``HScoreScorer(shrinkage=None, adjusted=False)`` keeps every column and
    ``SequentialFeatureSelector`` with ``n_features_to_select="auto"`` stops only by its
    ``tol``: fix the number of columns, use :class:`HScoreFeatureSelector`, or keep the
    default score (chance-adjusted and shrunk).

    Metadata routing: with ``sklearn.set_config(enable_metadata_routing=True)``, call
    ``scorer.set_score_request(sample_weight=True)`` to receive ``sample_weight``; with
    routing off, ``GridSearchCV.fit(X, y, sample_weight=w)`` forwards the test fold's
    weights to it (also inside a dict of scorers).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.model_selection import StratifiedKFold, cross_val_score
    >>> from skhscore import HScoreScorer
    >>> X, y = load_iris(return_X_y=True)
    >>> scorer = HScoreScorer()
    >>> scorer
    HScoreScorer()
    >>> cv = StratifiedKFold(3, shuffle=True, random_state=0)
    >>> scores = cross_val_score(PCA(2), X, y, scoring=scorer, cv=cv)
    >>> scores.shape
    (3,)
    >>> HScoreScorer(shrinkage=None, adjusted=False)  # the paper's plain H-score
    HScoreScorer(shrinkage=None, adjusted=False)
    """

    _parameter_constraints = {
        "feature_getter": [StrOptions({"auto"}), str, callable],
        "shrinkage": SHRINKAGE_CONSTRAINT,
        "adjusted": ["boolean"],
        "normalize": [None, str],
    }

    def __init__(self, *, feature_getter="auto", shrinkage="auto", adjusted=True, normalize=None):
        validate_parameter_constraints(
            self._parameter_constraints,
            {
                "feature_getter": feature_getter,
                "shrinkage": shrinkage,
                "adjusted": adjusted,
                "normalize": normalize,
            },
            caller_name=type(self).__name__,
        )
        self.feature_getter = feature_getter
        self.shrinkage = shrinkage
        self.adjusted = adjusted
        self.normalize = normalize

    def _init_params(self):
        return [
            ("feature_getter", self.feature_getter, "auto"),
            ("shrinkage", self.shrinkage, "auto"),
            ("adjusted", self.adjusted, True),
            ("normalize", self.normalize, None),
        ]

    def _metric(self):
        # Only what differs from h_score's defaults is passed, so the scorer works with any
        # h_score that has at least the options it is asked to use. ``h_score`` is looked up
        # in this module at call time.
        if self.adjusted and self.normalize is not None:
            raise ValueError(
                f"{type(self).__name__}(normalize={self.normalize!r}) normalises the raw "
                "H-score, but adjusted=True (the default) is already on a common scale: pass "
                "adjusted=False with normalize, or leave normalize=None."
            )
        kwargs = {}
        if self.shrinkage is not None:
            kwargs["shrinkage"] = self.shrinkage
        if self.adjusted:
            kwargs["adjusted"] = True
        if self.normalize is not None:
            kwargs["normalize"] = self.normalize
        return h_score, kwargs


def make_hscore_scorer(*, feature_getter="auto", shrinkage="auto", adjusted=True, normalize=None):
    """Make an H-score scorer: ``HScoreScorer`` with the given options.

    The defaults give the model-selection score, ``h_score(F, y, shrinkage="auto",
    adjusted=True)``; ``shrinkage=None, adjusted=False`` gives the paper's plain H-score.

    Parameters
    ----------
    feature_getter : "auto", str or callable, default="auto"
        How to get the features out of the fitted estimator; see :class:`HScoreScorer`.
    shrinkage : {None, "auto", "oas"} or float in [0, 1], default="auto"
        Covariance shrinkage, passed to :func:`~skhscore.h_score`.
    adjusted : bool, default=True
        Chance-adjusted H-score, passed to :func:`~skhscore.h_score`.
    normalize : str or None, default=None
        Normalisation, passed to :func:`~skhscore.h_score` (with ``adjusted=False``).

    Returns
    -------
    scorer : HScoreScorer
        A callable ``scorer(estimator, X, y)``, greater is better.

    See Also
    --------
    HScoreScorer : the scorer class.

    Examples
    --------
    >>> from skhscore import make_hscore_scorer
    >>> make_hscore_scorer(feature_getter="pca")
    HScoreScorer(feature_getter='pca')
    >>> make_hscore_scorer(shrinkage=None, adjusted=False)  # the paper's plain H-score
    HScoreScorer(shrinkage=None, adjusted=False)
    """
    return HScoreScorer(
        feature_getter=feature_getter,
        shrinkage=shrinkage,
        adjusted=adjusted,
        normalize=normalize,
    )
