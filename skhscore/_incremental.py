"""Streaming H-score: an estimator fed batch by batch, and a helper that feeds it an iterable."""

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils.validation import check_is_fitted, validate_data

from skhscore._constraints import SHRINKAGE_CONSTRAINT
from skhscore._engine import HScoreStatistics, to_numpy
from skhscore._hscore import hscore_from_statistics
from skhscore._progress import progress_bar
from skhscore._significance import h_score_test
from skhscore._sklearn_compat import (
    Options,
    StrOptions,
    _fit_context,
    validate_params,
)
from skhscore._validation import (
    check_declared_classes,
    check_label_type,
    check_labels,
    classes_seen,
    estimator_input,
    untracked_tensor,
)


class IncrementalHScore(BaseEstimator):
    """H-score of data seen in batches: ``partial_fit`` batch by batch, then read ``score_``.

    The H-score depends on the data only through k x k sufficient statistics (see
    :class:`HScoreStatistics`), so features extracted batch by batch (from a deep network,
    a chunked store) never need to be held in memory together. Streaming in batches of any
    size, in any order, and merging estimators fitted on separate parts (:meth:`merge`, e.g.
    one per process or machine) give the one-shot :func:`h_score` to rounding (about 1e-13
    relative on well-conditioned features). The estimator pickles at any point of a stream.

    Read more in the :ref:`User Guide <streaming>`.

    Parameters
    ----------
    shrinkage : {None, "auto", "oas"} or float in [0, 1], default=None
        As in :func:`h_score`: None for the paper's pseudo-inverse estimator, "auto"
        (Ledoit-Wolf), "oas" or a fixed intensity for the shrinkage H-score. It only
        affects the score, not the statistics: it may be changed with ``set_params`` at any
        point of the stream.
    scatter_dtype : {"float64", "float32"}, default="float64"
        Precision of each batch's k x k scatter product. "float32" is about twice as fast
        for wide features; its relative error on the score is about 1e-7 on
        well-conditioned features and grows with the square of their condition number
        (measured in :ref:`bench_float32`). Means, class sums and merges stay in float64.

    Attributes
    ----------
    statistics_ : HScoreStatistics
        The sufficient statistics of every sample seen (the live object, updated in place
        by :meth:`partial_fit`; copy it with ``statistics_.merge(...)`` if needed).
    score_ : float
        H-score of all samples seen (computed on first access from ``statistics_``, a
        k x k factorisation, and cached until the next :meth:`partial_fit` or a change of
        ``shrinkage``). Raises ``ValueError`` while fewer than two samples or two classes
        have been seen.
    classes_ : ndarray of shape (n_classes,)
        The labels declared with ``classes=`` on the first :meth:`partial_fit` call, or
        else the labels seen so far (sorted).
    n_samples_seen_ : int
        Number of rows seen.
    n_features_in_ : int
        Number of features seen during the first call.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when X was a DataFrame with string column names.

    See Also
    --------
    h_score : the H-score of arrays in memory (also Dask and array-API arrays).
    h_score_from_batches : feed an iterable of ``(X, y)`` batches (e.g. a DataLoader).
    HScoreStatistics : the statistics themselves.

    Notes
    -----
    Labels follow scikit-learn's ``partial_fit`` conventions with one relaxation. If
    ``classes`` is given on the first call it fixes the label set: a later batch with a
    label outside it raises ``ValueError`` (and leaves the estimator unchanged), and a later
    ``classes`` must be the same set. If ``classes`` is never given, the label set grows as
    new labels arrive: the H-score needs no declared label set, and a class first seen late
    gives exactly the value of the one-shot score. In both cases the score uses the classes
    seen so far; a declared class without samples contributes nothing (as in
    :func:`h_score` on the same samples).

    ``score()`` without arguments returns ``score_``, the score of everything seen (the
    usual way to read the estimator). ``score(X, y)`` returns the H-score of the given
    samples alone, with this estimator's parameters, after checking that they have the
    features seen in fitting: the H-score describes a sample of (features, labels) and
    there is no fitted model to apply to new data, so a held-out score (what
    ``cross_val_score`` asks for) is the score of the held-out fold.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skhscore import IncrementalHScore, h_score
    >>> X, y = load_iris(return_X_y=True)  # sorted by class: the first batch has one class
    >>> est = IncrementalHScore()
    >>> for start in range(0, 150, 40):
    ...     est = est.partial_fit(X[start : start + 40], y[start : start + 40])
    >>> round(est.score_, 4), round(h_score(X, y), 4)
    (1.1919, 1.1919)
    >>> est.n_samples_seen_
    150
    """

    _parameter_constraints = {
        "shrinkage": SHRINKAGE_CONSTRAINT,
        "scatter_dtype": [
            StrOptions({"float64", "float32"}),
            Options(type, {np.float64, np.float32}),
        ],
    }

    def __init__(self, shrinkage=None, *, scatter_dtype="float64"):
        self.shrinkage = shrinkage
        self.scatter_dtype = scatter_dtype

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.sparse = True
        return tags

    def _resolved_scatter_dtype(self):
        return np.float32 if self.scatter_dtype in ("float32", np.float32) else np.float64

    # ------------------------------------------------------------------ fitting
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Compute the statistics of ``(X, y)``, forgetting any earlier batch.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights.

        Returns
        -------
        self : IncrementalHScore
            The fitted estimator.
        """
        return self._update(X, y, None, sample_weight, first_call=True, stream=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Add a batch of samples to the statistics.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Features of the batch (one row is enough).
        y : array-like of shape (n_samples,)
            Class labels of the batch.
        classes : array-like of shape (n_classes,), default=None
            Every label the stream will contain. Optional; if given on the first call,
            later batches may only contain these labels (see Notes of the class).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights.

        Returns
        -------
        self : IncrementalHScore
            The updated estimator.
        """
        first_call = not hasattr(self, "statistics_")
        return self._update(X, y, classes, sample_weight, first_call=first_call, stream=True)

    def _update(self, X, y, classes, sample_weight, *, first_call, stream):
        X, y = estimator_input(X), untracked_tensor(y)
        X, y = validate_data(
            self,
            X,
            y,
            reset=first_call,
            accept_sparse=("csr", "csc", "coo"),
            dtype="numeric",
            ensure_min_samples=1,
        )
        check_label_type(y)
        if first_call:
            declared = None if classes is None else check_declared_classes(classes)
        else:
            declared = self._declared
            if classes is not None:
                given = check_declared_classes(classes)
                if declared is None:
                    raise ValueError(
                        "classes can only be declared on the first call to partial_fit; "
                        "this stream started without them, so its label set grows with the "
                        "labels seen. Call fit or start a new estimator to declare them."
                    )
                if given.shape != declared.shape or not np.all(given == declared):
                    raise ValueError(
                        f"classes={given.tolist()!r} is not the same as on the first call to "
                        f"partial_fit: {declared.tolist()!r}."
                    )
        if declared is not None:
            batch_classes, _ = check_labels(y, X.shape[0])
            unknown = batch_classes[~np.isin(batch_classes, declared)]
            if unknown.size:
                raise ValueError(
                    f"y contains labels that are not in the classes declared on the first "
                    f"call to partial_fit: {unknown[:10].tolist()!r}. Declare every label "
                    "up front, or leave classes=None so that the label set can grow."
                )
        stats = (
            HScoreStatistics(scatter_dtype=self._resolved_scatter_dtype())
            if first_call
            else self.statistics_
        )
        stats.update(X, y, sample_weight=sample_weight)
        if not stream:
            stats.moments()  # fit needs rows of positive weight; a stream may wait for them
        self._set_state(stats, declared)
        return self

    def _set_state(self, stats, declared):
        self.statistics_ = stats
        self._declared = declared
        self.classes_ = classes_seen(stats) if declared is None else declared.copy()
        self.n_samples_seen_ = stats.n_samples_seen_
        self._score_cache = None

    # ------------------------------------------------------------------ combining
    def merge(self, other):
        """Return an estimator fitted on the samples of ``self`` and of ``other``.

        Neither operand is modified; the result has the parameters of ``self``. Merging
        estimators fitted on disjoint parts of the data, in any tree shape, gives the
        statistics (and score) of all the data.

        Parameters
        ----------
        other : IncrementalHScore or HScoreStatistics
            Fitted on other samples with the same features.

        Returns
        -------
        merged : IncrementalHScore
            A new fitted estimator.
        """
        check_is_fitted(self)
        names = getattr(self, "feature_names_in_", None)
        if isinstance(other, IncrementalHScore):
            check_is_fitted(other)
            other_stats, other_declared = other.statistics_, other._declared
            other_names = getattr(other, "feature_names_in_", None)
        elif isinstance(other, HScoreStatistics):
            other.moments()  # refuses empty statistics
            other_stats, other_declared, other_names = other, None, None
        else:
            raise TypeError(
                "Can only merge an IncrementalHScore or HScoreStatistics, got "
                f"{type(other).__name__}."
            )
        # an estimator knows its width also after rows of weight zero only
        other_width = getattr(other, "n_features_in_", None) or other_stats.n_features_
        if other_width != self.n_features_in_:
            raise ValueError(
                f"Cannot merge statistics of {other_width} features into an "
                f"estimator fitted on {self.n_features_in_} features."
            )
        if (
            names is not None
            and other_names is not None
            and not np.array_equal(names, other_names)
        ):
            raise ValueError("Cannot merge estimators fitted on different feature names.")
        declared = self._declared
        if declared is None:
            declared = other_declared
        elif other_declared is not None and not np.array_equal(declared, other_declared):
            raise ValueError(
                f"Cannot merge estimators with different declared classes: "
                f"{declared.tolist()!r} and {other_declared.tolist()!r}."
            )
        stats = self.statistics_.merge(other_stats)
        if declared is not None:
            unknown = np.setdiff1d(classes_seen(stats), declared)
            if unknown.size:
                raise ValueError(
                    f"The merged samples contain labels outside the declared classes: "
                    f"{unknown[:10].tolist()!r}."
                )
        merged = clone(self)
        merged.n_features_in_ = self.n_features_in_
        if names is not None or other_names is not None:
            merged.feature_names_in_ = names if names is not None else other_names
        merged._set_state(stats, declared)
        return merged

    # ------------------------------------------------------------------ scoring
    @property
    def score_(self):
        check_is_fitted(self)
        key = self.shrinkage
        if self._score_cache is None or self._score_cache[0] != key:
            self._validate_params()  # shrinkage may have been changed by set_params
            self._score_cache = (key, hscore_from_statistics(self.statistics_, key))
        return self._score_cache[1]

    def score(self, X=None, y=None, sample_weight=None):
        """H-score of the samples seen (no arguments), or of the samples given.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features), default=None
            Samples to score on their own (see Notes of the class), with the features seen
            in fitting. None returns :attr:`score_`.
        y : array-like of shape (n_samples,), default=None
            Their labels; required with X.
        sample_weight : array-like of shape (n_samples,), default=None
            Their weights; only with X.

        Returns
        -------
        score : float
            The H-score (greater is better).
        """
        check_is_fitted(self)
        if X is None and y is None:
            if sample_weight is not None:
                raise ValueError("sample_weight is only used with X and y.")
            return self.score_
        if X is None or y is None:
            raise ValueError(
                "Pass both X and y to score new samples, or neither to get the score of the "
                "samples seen."
            )
        X, y = validate_data(
            self,
            estimator_input(X),
            untracked_tensor(y),
            reset=False,
            accept_sparse=("csr", "csc", "coo"),
            dtype="numeric",
        )
        stats = HScoreStatistics.from_arrays(
            X, y, sample_weight=sample_weight, scatter_dtype=self._resolved_scatter_dtype()
        )
        return hscore_from_statistics(stats, self.shrinkage)

    def test_result(self):
        """Significance test of the H-score of the samples seen.

        Returns ``skhscore.h_score_test(self.statistics_)`` (Pillai's trace test: p-value,
        chance-corrected score, canonical components), computed from the statistics without
        revisiting the data.

        Returns
        -------
        result : HScoreTestResult
            The result of :func:`skhscore.h_score_test`.
        """
        check_is_fitted(self)
        return h_score_test(self.statistics_)


# ---------------------------------------------------------------------- feeding batches
def _unpack(batch, index):
    if isinstance(batch, (tuple, list)) and len(batch) in (2, 3):
        X, y = batch[0], batch[1]
        w = batch[2] if len(batch) == 3 else None
        return to_numpy(X), to_numpy(y), to_numpy(w)
    raise TypeError(
        f"Batch {index} is a {type(batch).__name__}; each batch must be a pair (X, y) or a "
        "triple (X, y, sample_weight). For a DataLoader that yields dicts or inputs rather "
        "than features, map it first, e.g. ((model(x), y) for x, y in loader)."
    )


@validate_params(
    {
        "batches": "no_validation",
        "shrinkage": SHRINKAGE_CONSTRAINT,
        "classes": ["array-like", None],
        "progress": ["boolean"],
        "return_estimator": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def h_score_from_batches(
    batches, *, shrinkage=None, classes=None, progress=False, return_estimator=False
):
    """H-score of features that arrive in batches, without holding them together.

    Feeds every ``(X_batch, y_batch)`` of ``batches`` to an :class:`IncrementalHScore` and
    returns its score, equal (to rounding) to :func:`h_score` on the concatenated batches.
    Batches may be NumPy arrays, pandas objects, sparse matrices or tensors of a deep
    learning framework (torch tensors are detached and moved to the CPU one batch at a
    time; torch is never imported here).

    Read more in the :ref:`User Guide <streaming>`.

    Parameters
    ----------
    batches : iterable of (X_batch, y_batch) or (X_batch, y_batch, sample_weight_batch)
        For example ``((model(x), y) for x, y in loader)`` over a PyTorch ``DataLoader``,
        or a generator reading a file chunk by chunk. Consumed once.
    shrinkage : {None, "auto", "oas"} or float in [0, 1], default=None
        As in :func:`h_score`.
    classes : array-like of shape (n_classes,), default=None
        Every label the batches will contain (optional; a label outside it raises).
    progress : bool, default=False
        Show progress on stderr: a tqdm bar when tqdm is installed, else a plain line
        counting batches and samples.
    return_estimator : bool, default=False
        Also return the fitted :class:`IncrementalHScore` (its ``statistics_``, ``merge``,
        ``test_result()``).

    Returns
    -------
    score : float
        The H-score of all the batches.
    estimator : IncrementalHScore
        Only when ``return_estimator=True``.

    See Also
    --------
    IncrementalHScore : feed the batches yourself with ``partial_fit``.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skhscore import h_score, h_score_from_batches
    >>> X, y = load_digits(return_X_y=True)
    >>> batches = ((X[i : i + 100], y[i : i + 100]) for i in range(0, len(y), 100))
    >>> streamed = h_score_from_batches(batches)
    >>> bool(abs(streamed - h_score(X, y)) < 1e-10 * h_score(X, y))
    True
    """
    estimator = IncrementalHScore(shrinkage=shrinkage)
    total = len(batches) if hasattr(batches, "__len__") else None
    bar = progress_bar(progress, total)
    try:
        for index, batch in enumerate(batches):
            X, y, w = _unpack(batch, index)
            seen = getattr(estimator, "n_samples_seen_", 0)
            estimator.partial_fit(X, y, classes=classes, sample_weight=w)
            bar.update(estimator.n_samples_seen_ - seen)
    finally:
        bar.close()
    if not hasattr(estimator, "statistics_"):
        raise ValueError("batches is empty: there is nothing to score.")
    score = estimator.score_
    return (score, estimator) if return_estimator else score
