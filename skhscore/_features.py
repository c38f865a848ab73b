"""How a scorer gets the features (or the source outputs) to score out of a fitted estimator."""

from sklearn.base import is_classifier, is_regressor
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline


def _is_predictor(estimator):
    return is_classifier(estimator) or is_regressor(estimator)


def get_features(estimator, X, feature_getter="auto"):
    """Features that a fitted estimator computes for ``X``, to be scored against labels.

    Parameters
    ----------
    estimator : fitted estimator
        A feature transformer, or a :class:`~sklearn.pipeline.Pipeline` of feature
        transformers ending in a classifier or regressor (possibly wrapped in
        :class:`~sklearn.frozen.FrozenEstimator`).
    X : array-like of shape (n_samples, n_input_features)
        The samples, as the estimator takes them.
    feature_getter : "auto", str or callable, default="auto"
        "auto": for a pipeline ending in a classifier or regressor, the input of that final
        step (``pipe[:-1].transform(X)``, or ``X`` itself for a one-step pipeline); for any
        other estimator, ``estimator.transform(X)``. Another string names the method to call
        (``"predict_proba"``, ``"decision_function"``, ...). A callable is called as
        ``feature_getter(estimator, X)``.

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
    >>> get_features(pipe, X, "predict_proba").shape
    (150, 3)
    """
    if callable(feature_getter):
        return feature_getter(estimator, X)
    if feature_getter != "auto":
        method = getattr(estimator, feature_getter, None)
        if method is None:
            raise AttributeError(
                f"{type(estimator).__name__} has no method {feature_getter!r} to get the "
                "features from; pass feature_getter='auto', another method name, or a "
                "callable (estimator, X) -> features."
            )
        return method(X)
    if isinstance(estimator, FrozenEstimator):
        return get_features(estimator.estimator, X, feature_getter)
    if isinstance(estimator, Pipeline) and _is_predictor(estimator.steps[-1][1]):
        if len(estimator.steps) == 1:
            return X
        return estimator[:-1].transform(X)
    if not hasattr(estimator, "transform"):
        raise TypeError(
            f"Cannot get features from {type(estimator).__name__}: it has no transform "
            "method. Score a feature transformer, or a Pipeline of transformers ending in a "
            "classifier (its features are the input of the classifier), or pass "
            "feature_getter= a method name or a callable (estimator, X) -> features."
        )
    return estimator.transform(X)
