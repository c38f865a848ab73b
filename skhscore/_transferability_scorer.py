"""A scorer for any transferability metric: ``scorer(estimator, X, y) -> float``."""

import inspect

from skhscore._gbc import gbc_score
from skhscore._hscore import h_score
from skhscore._logme import logme_score
from skhscore._scorer import _describe, _FeatureScorer
from skhscore._source_metrics import leep_score, nce_score
from skhscore._transrate import transrate_score

#: metric name -> (function, what "auto" gets from the estimator)
METRICS = {
    "h_score": (h_score, "auto"),
    "logme": (logme_score, "auto"),
    "transrate": (transrate_score, "auto"),
    "gbc": (gbc_score, "auto"),
    "leep": (leep_score, "predict_proba"),
    "nce": (nce_score, "predict"),
}


def _resolve_metric(metric):
    if callable(metric):
        return metric, "auto"
    if isinstance(metric, str) and metric in METRICS:
        return METRICS[metric]
    raise ValueError(
        f"Unknown transferability metric {metric!r}: use one of {sorted(METRICS)} or a "
        "callable metric(features, y, **kwargs) -> float."
    )


class TransferabilityScorer(_FeatureScorer):
    """Score a fitted estimator with a transferability metric (greater is better).

    Calling ``scorer(estimator, X, y)`` gets features from the estimator (see
    :func:`get_features`) and returns ``metric(features, y, **kwargs)``; for ``"leep"`` it
    scores ``estimator.predict_proba(X)`` and for ``"nce"`` ``estimator.predict(X)``, the
    source model's outputs on the target samples. Use it as ``scoring=`` in
    :class:`~sklearn.model_selection.GridSearchCV`,
    :func:`~sklearn.model_selection.cross_val_score` and the like. Build it with
    :func:`make_transferability_scorer`. It shares :class:`HScoreScorer`'s machinery:
    the same feature getter, metadata routing (``set_score_request(sample_weight=True)``)
    and errors.

    Parameters
    ----------
    metric : {"h_score", "logme", "transrate", "gbc", "leep", "nce"} or callable
        The metric, by name, or a function ``metric(features, y, **kwargs) -> float``.
    feature_getter : "auto", str or callable, default="auto"
        How to get the metric's first argument from the estimator: see
        :func:`get_features`. "auto" means ``predict_proba`` for LEEP and ``predict`` for NCE.
    **kwargs : dict
        Keyword arguments of the metric (``shrinkage="auto"`` for ``"h_score"``,
        ``regression=True`` for ``"logme"``, ``eps`` for ``"transrate"``, ...).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.pipeline import make_pipeline
    >>> from skhscore import make_transferability_scorer
    >>> X, y = load_iris(return_X_y=True)
    >>> pipe = make_pipeline(PCA(), LogisticRegression())
    >>> search = GridSearchCV(
    ...     pipe, {"pca__n_components": [1, 2, 3]}, scoring=make_transferability_scorer("logme")
    ... ).fit(X, y)
    >>> search.best_params_
    {'pca__n_components': 3}
    """

    def __init__(self, metric, *, feature_getter="auto", **kwargs):
        self.metric = metric
        self.feature_getter = feature_getter
        self.kwargs = kwargs

    @property
    def _requires_classes(self):
        # LogME with regression=True and the generalised H-score take continuous targets
        return not (
            self.kwargs.get("regression")
            or self.kwargs.get("target") in ("regression", "multilabel")
        )

    def _metric(self):
        function, _ = _resolve_metric(self.metric)
        return function, dict(self.kwargs)

    def _resolved_feature_getter(self):
        _, default_getter = _resolve_metric(self.metric)
        if isinstance(self.feature_getter, str) and self.feature_getter == "auto":
            return default_getter
        return self.feature_getter

    def _name(self):
        return self.metric if isinstance(self.metric, str) else _describe(self.metric)

    def __repr__(self):
        args = [repr(self.metric) if isinstance(self.metric, str) else self._name()]
        if not (isinstance(self.feature_getter, str) and self.feature_getter == "auto"):
            getter = self.feature_getter
            if not isinstance(getter, str):
                getter = getattr(getter, "__name__", getter)
            args.append(f"feature_getter={getter!r}")
        args += [f"{key}={value!r}" for key, value in self.kwargs.items()]
        return f"make_transferability_scorer({', '.join(args)})"


def make_transferability_scorer(metric, *, feature_getter="auto", **kwargs):
    """Make a scorer ``scorer(estimator, X, y) -> float`` from a transferability metric.

    Parameters
    ----------
    metric : {"h_score", "logme", "transrate", "gbc", "leep", "nce"} or callable
        The metric, by name (:func:`h_score`, :func:`logme_score`, :func:`transrate_score`,
        :func:`gbc_score`, :func:`leep_score`, :func:`nce_score`), or a function
        ``metric(features, y, **kwargs) -> float``, greater is better.
    feature_getter : "auto", str or callable, default="auto"
        How to get the metric's first argument from the fitted estimator (see
        :func:`get_features`): "auto" takes the input of a pipeline's final classifier or
        the output of a transformer for feature metrics, ``predict_proba(X)`` for
        ``"leep"`` and ``predict(X)`` for ``"nce"``.
    **kwargs : dict
        Keyword arguments of the metric.

    Returns
    -------
    scorer : TransferabilityScorer
        A picklable callable ``scorer(estimator, X, y, sample_weight=None)``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.pipeline import make_pipeline
    >>> from skhscore import make_transferability_scorer
    >>> X, y = load_iris(return_X_y=True)
    >>> scorer = make_transferability_scorer("h_score", shrinkage="auto")
    >>> scorer
    make_transferability_scorer('h_score', shrinkage='auto')
    >>> pipe = make_pipeline(PCA(n_components=2), LogisticRegression())
    >>> cross_val_score(pipe, X, y, scoring=scorer).round(3)
    array([...])
    """
    function, _ = _resolve_metric(metric)
    if not (
        feature_getter == "auto" or isinstance(feature_getter, str) or callable(feature_getter)
    ):
        raise TypeError(
            "feature_getter must be 'auto', a method name or a callable (estimator, X) -> "
            f"features, got {feature_getter!r}."
        )
    try:
        inspect.signature(function).bind(None, None, **kwargs)
    except TypeError as exc:
        raise TypeError(f"Invalid keyword arguments for the metric {metric!r}: {exc}") from exc
    except ValueError:  # pragma: no cover - callables without a signature
        pass
    return TransferabilityScorer(metric, feature_getter=feature_getter, **kwargs)
