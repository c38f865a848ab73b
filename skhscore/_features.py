"""How a scorer gets the features (or the source outputs) to score out of a fitted estimator."""

from sklearn.base import is_classifier, is_regressor
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline


def _unwrap(estimator):
    """The estimator that computes: through FrozenEstimator and fitted searches."""
    while True:
        if isinstance(estimator, FrozenEstimator):
            estimator = estimator.estimator
        elif not isinstance(estimator, Pipeline) and hasattr(estimator, "best_estimator_"):
            estimator = estimator.best_estimator_  # a fitted GridSearchCV and the like
        else:
            return estimator


def _step_output(pipeline, name, X):
    names = [step for step, _ in pipeline.steps]
    head = pipeline[: names.index(name) + 1]
    last = head.steps[-1][1]
    if last != "passthrough" and last is not None and not hasattr(last, "transform"):
        raise TypeError(
            f"Step {name!r} ({type(last).__name__}) has no transform method, so it produces "
            "no features to score. Name a step before it, or use feature_getter='auto' to "
            "score the features that reach the final step."
        )
    return head.transform(X)


def get_features(estimator, X, feature_getter="auto"):
    """Features that a fitted estimator computes for ``X``, to be scored against labels.

    Parameters
    ----------
    estimator : fitted estimator
        A feature transformer, or a :class:`~sklearn.pipeline.Pipeline` of feature
        transformers ending in a classifier or regressor; a
        :class:`~sklearn.frozen.FrozenEstimator` or a fitted search (``GridSearchCV``, ...)
        around one is looked through.
    X : array-like of shape (n_samples, n_input_features)
        The samples, as the estimator takes them.
    feature_getter : "auto", str or callable, default="auto"
        - "auto": for a pipeline ending in a classifier or regressor, the input of that
          final step (``pipe[:-1].transform(X)``, or ``X`` itself for a one-step pipeline),
          so a final :class:`~sklearn.discriminant_analysis.LinearDiscriminantAnalysis`,
          which has a ``transform`` of its own, is not what gets scored; for any other
          estimator, ``estimator.transform(X)``; for a bare classifier or regressor
          without ``transform`` (``LogisticRegression()``), ``X`` itself, as for a
          one-step pipeline (so ``SequentialFeatureSelector`` and ``RFECV`` around it
          score column subsets).
        - the name of a step of a pipeline: the output of that step (an intermediate
          layer);
        - another string: the name of the method to call (``"predict_proba"``,
          ``"decision_function"``, ...);
        - a callable, called as ``feature_getter(estimator, X)``.

    Returns
    -------
    features : array-like of shape (n_samples, n_features)

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from skhscore import get_features
    >>> X, y = load_iris(return_X_y=True)
    >>> pipe = make_pipeline(PCA(n_components=2), LogisticRegression()).fit(X, y)
    >>> get_features(pipe, X).shape  # the PCA output that the classifier sees
    (150, 2)
    >>> get_features(pipe, X, "pca").shape  # a step by name
    (150, 2)
    >>> get_features(pipe, X, "predict_proba").shape
    (150, 3)
    """
    if callable(feature_getter):
        return feature_getter(estimator, X)
    estimator = _unwrap(estimator)
    if feature_getter == "auto":
        if isinstance(estimator, Pipeline) and (
            is_classifier(estimator) or is_regressor(estimator)
        ):
            head = estimator[:-1]  # shares the fitted steps: nothing is refitted
            return head.transform(X) if len(head) else X
        if hasattr(estimator, "transform"):
            return estimator.transform(X)
        if is_classifier(estimator) or is_regressor(estimator):
            return X  # a bare predictor: its input, as for a one-step pipeline
        raise TypeError(
            f"Cannot get features from {type(estimator).__name__}: it has no transform "
            "method and is neither a classifier, a regressor nor a Pipeline ending in one. "
            "Score a "
            "feature transformer, or a Pipeline such as make_pipeline(StandardScaler(), "
            "PCA(16), LogisticRegression()) (its features are the input of the final "
            "step), or pass feature_getter= a step name, a method name or a callable "
            "(estimator, X) -> features."
        )
    if isinstance(estimator, Pipeline) and feature_getter in estimator.named_steps:
        return _step_output(estimator, feature_getter, X)
    method = getattr(estimator, feature_getter, None)
    if not callable(method):
        steps = (
            f" and its steps are {list(estimator.named_steps)}"
            if isinstance(estimator, Pipeline)
            else ""
        )
        raise ValueError(
            f"feature_getter={feature_getter!r} is neither a method of "
            f"{type(estimator).__name__}{steps}; pass 'auto', a step name, a method name "
            "or a callable (estimator, X) -> features."
        )
    return method(X)
