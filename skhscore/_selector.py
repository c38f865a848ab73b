"""TransferabilitySelector: pick the most transferable of several feature extractors."""

from numbers import Integral, Real

import numpy as np
from sklearn.base import MetaEstimatorMixin, TransformerMixin
from sklearn.model_selection import check_cv
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if

from skhscore._candidates import (
    candidate_prototypes,
    check_fit_input,
    check_transform_input,
    competing_candidates,
)
from skhscore._features import get_features
from skhscore._scorer import HScoreScorer
from skhscore._selector_routing import (
    metadata_router,
    route_params,
    score_params,
    transform_params,
)
from skhscore._selector_search import refit_best, score_candidates, search_results
from skhscore._selector_support import (
    DOC_LINK_TEMPLATE,
    best_has,
    check_refit,
    resolve_scoring,
    visual_block,
    warn_missing_test_classes,
)
from skhscore._sklearn_compat import (
    StrOptions,
    _BaseComposition,
    _check_feature_names_in,
    _fit_context,
    _safe_set_output,
)

__all__ = ["TransferabilitySelector"]


class TransferabilitySelector(TransformerMixin, MetaEstimatorMixin, _BaseComposition):
    """Choose, among candidate feature extractors, the one whose features transfer best.

    Each candidate transformer is scored by a transferability scorer (by default
    :class:`~skhscore.HScoreScorer`, the H-score of its features) with cross-validation:
    fitted on the training folds and scored on the held-out fold, so that a supervised
    transformer cannot score its own training labels. The best candidate is refit on all
    the data and used by :meth:`transform`; no classifier is trained. Use it as the first
    step of a pipeline: ``make_pipeline(TransferabilitySelector([...]),
    LogisticRegression())``.

    Read more in the :ref:`User Guide <selector>`.

    Parameters
    ----------
    transformers : list of (str, transformer) tuples
        The candidates: names and transformers (anything with ``fit`` and ``transform``,
        e.g. pre-trained networks wrapped as transformers, PCA, Nystroem, layers of one
        network), or ``"passthrough"`` (the input features as they are) or ``"drop"``
        (left out of the competition). Their parameters can be set and grid-searched
        through the selector as ``<name>__<parameter>``. Wrap an already fitted extractor
        in :class:`sklearn.frozen.FrozenEstimator` so that it is not refitted. Layers of one
        frozen network (:class:`skhscore.nn.TorchFeatures` or
        :class:`skhscore.nn.TransformerFeatures` over the same model, differing only in
        ``layer``) share one forward pass over the data for all folds. Any other estimator (a
        classifier, say) is a candidate when the scorer's ``feature_getter`` says how to read
        its features, e.g. ``HScoreScorer(feature_getter="predict_proba")``.
    scoring : str, callable or None, default=None
        A scorer ``scoring(fitted_transformer, X, y)``, greater is better; None means
        ``HScoreScorer()``, the chance-adjusted H-score with Ledoit-Wolf shrinkage
        (``h_score(F, y, shrinkage="auto", adjusted=True)``), which compares candidates of
        different widths and stays informative for candidates with more columns than
        samples. Any scorer callable is accepted, e.g. ``HScoreScorer(shrinkage=None,
        adjusted=False)`` for the paper's plain H-score. A string names a metric of this
        package (``"logme"``, ``"transrate"``, ... as in :func:`make_transferability_scorer`)
        or any scorer :func:`sklearn.metrics.check_scoring` knows (``"accuracy"`` for
        candidates that also predict, such as LinearDiscriminantAnalysis). Changed in
        0.2.0: None meant the plain H-score.
    cv : int, cross-validation generator, iterable or None, default=5
        How the candidates are scored. An int is the number of folds of
        :class:`~sklearn.model_selection.StratifiedKFold` (of KFold if ``y`` is not a
        class label); a splitter or an iterable of (train, test) index arrays is used as
        given. None scores every candidate in-sample, on the data it was fitted on: this
        is only meant for frozen, pre-trained candidates (``FrozenEstimator``) whose fit
        does not see the labels; a candidate that learns from ``y`` (LDA, a supervised
        network) is then scored far too optimistically.
    refit : bool, default=True
        Refit the chosen candidate on all the data (``best_transformer_``), which
        :meth:`transform`, :meth:`score` and :meth:`get_feature_names_out` use. With
        ``refit=False`` only the scores are computed.
    n_jobs : int, default=None
        Number of jobs to run in parallel over candidates x folds. None means 1 unless in
        a :obj:`joblib.parallel_backend` context; -1 means all processors.
    error_score : "raise" or float, default=np.nan
        Score given to a candidate on a fold where its fit or its scoring fails, with a
        :class:`~sklearn.exceptions.FitFailedWarning` naming it. "raise" raises the
        error instead. If every candidate fails everywhere, a ValueError with the first
        failure's message is raised whatever this is.
    verbose : int, default=0
        Progress messages: >0 the number of fits and the choice, >1 a line per fit.

    Attributes
    ----------
    scores_ : dict
        Candidate name -> mean score over the folds. Each fold score is computed on the
        test fold alone, 1/n_splits of the data, where the plain H-score's bias towards
        wide features (its null mean ``k (C - 1) / (n - 1)`` for n samples) is n_splits
        times larger than on all of it; the default scoring corrects for it (chance-adjusted
        and shrunk), so keep it to compare candidates of different widths.
    cv_results_ : dict of numpy arrays
        One entry per candidate (a ``pandas.DataFrame`` accepts it): ``name``,
        ``mean_test_score``, ``std_test_score``, ``split<i>_test_score``,
        ``mean_fit_time``, ``std_fit_time``, ``mean_score_time``, ``std_score_time``,
        ``rank_test_score``.
    ranking_ : ndarray of shape (n_candidates,)
        Rank of each candidate, in the order given (1 = best). Ranks are unique: mean
        scores equal within a relative tolerance of ``TIE_RTOL = 1e-9`` go to the
        candidate listed first; failed (nan) candidates come last.
    best_index_ : int
        Index of the chosen candidate among the candidates (``"drop"`` ones excluded).
    best_name_ : str
        Name of the chosen candidate.
    best_score_ : float
        Its mean score.
    best_transformer_ : transformer
        The chosen candidate refit on all the data (only when ``refit=True``); a
        ``FunctionTransformer`` for ``"passthrough"``.
    named_transformers_ : :class:`~sklearn.utils.Bunch`
        Name -> candidate: fitted on all the data for the chosen one (when ``refit``) and,
        with ``cv=None``, for every candidate (their in-sample fits); an unfitted clone
        otherwise. ``"passthrough"`` candidates are identity FunctionTransformers.
    refit_time_ : float
        Seconds spent refitting the chosen candidate.
    n_splits_ : int
        Number of folds (1 with ``cv=None``).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit, when X has string column names.

    See Also
    --------
    HScoreScorer : the default scorer.
    sklearn.model_selection.GridSearchCV : the same choice with
        ``GridSearchCV(Pipeline([("features", "passthrough")]), {"features": [...]},
        scoring=HScoreScorer(), cv=StratifiedKFold(...))``.

    Notes
    -----
    The plain H-score never decreases when feature columns are added and, on small
    samples, favours wide features even when they are noise (its null mean is
    ``k (C - 1) / (n - 1)`` for k columns, C classes, n samples); it is the same,
    ``C - 1``, for every candidate with at least as many columns as samples. The default
    scoring corrects both: it subtracts the chance level and shrinks the covariance.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skhscore import HScoreScorer, TransferabilitySelector
    >>> X, y = load_iris(return_X_y=True)
    >>> candidates = [("pca1", PCA(1)), ("scaled", StandardScaler()), ("raw", "passthrough")]
    >>> selector = TransferabilitySelector(candidates, cv=3).fit(X, y)
    >>> selector.best_name_, selector.ranking_
    ('raw', array([3, 2, 1]))
    >>> selector.transform(X).shape
    (150, 4)
    >>> plain = HScoreScorer(shrinkage=None, adjusted=False)  # the paper's H-score
    >>> selector = TransferabilitySelector(candidates, scoring=plain, cv=3).fit(X, y)
    >>> selector.best_name_  # "scaled" and "raw" tie (H is affine invariant): first wins
    'scaled'
    """

    _parameter_constraints = {
        "transformers": [list],
        "scoring": [None, callable, str],
        "cv": ["cv_object"],
        "refit": ["boolean"],
        "n_jobs": [None, Integral],
        "error_score": [StrOptions({"raise"}), Real],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        transformers,
        *,
        scoring=None,
        cv=5,
        refit=True,
        n_jobs=None,
        error_score=np.nan,
        verbose=0,
    ):
        self.transformers = transformers
        self.scoring = scoring
        self.cv = cv
        self.refit = refit
        self.n_jobs = n_jobs
        self.error_score = error_score
        self.verbose = verbose

    # --- composition --------------------------------------------------------------------
    def get_params(self, deep=True):
        """Get parameters, including ``<name>__<parameter>`` of each candidate.

        Parameters
        ----------
        deep : bool, default=True
            If True, also return the parameters of the candidates.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return self._get_params("transformers", deep=deep)

    def set_params(self, **params):
        """Set parameters, a candidate by its name, or a candidate's as ``<name>__<param>``.

        Parameters
        ----------
        **params : keyword arguments
            Parameters of the selector or of its candidates.

        Returns
        -------
        self : TransferabilitySelector
            This estimator.
        """
        self._set_params("transformers", **params)
        return self

    def _candidates(self):
        """(name, transformer) of the competing candidates, validated; "drop" left out."""
        return competing_candidates(self)

    def _scorer(self):
        return HScoreScorer() if self.scoring is None else resolve_scoring(self.scoring)

    # --- HTML diagram: the candidates side by side, and a link to this page -------------
    _sk_visual_block_ = visual_block
    _doc_link_module = "skhscore"
    _doc_link_template = DOC_LINK_TEMPLATE

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        try:
            children = [t for _, t in self.transformers if not isinstance(t, str)]
            tags.input_tags.sparse = all(get_tags(t).input_tags.sparse for t in children)
        except (TypeError, ValueError):  # pragma: no cover - invalid transformers, fit says
            pass
        return tags

    # --- fit ----------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, **params):
        """Score every candidate and refit the best one on all the data.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input of the candidate transformers. Raw inputs that only the candidates can read
            (a list of texts, an (n, H, W, C) image array, a tensor) are passed as they are,
            checked only for their number of samples, as Pipeline and GridSearchCV do.
        y : array-like of shape (n_samples,)
            Class labels of the target task.
        **params : dict
            With metadata routing enabled, metadata routed to the candidates' ``fit``, the
            scorer (``sample_weight``) and the splitter (``groups``) as they request it.
            Without it, ``groups`` goes to the splitter and everything else to every
            candidate's ``fit``; ``sample_weight`` also goes to the scorer.

        Returns
        -------
        self : TransferabilitySelector
            The fitted selector.
        """
        candidates = self._candidates()
        X, y = check_fit_input(self, X, y)
        routed = route_params(self, "fit", params)
        scorer = self._scorer()
        if self.cv is None:
            splits = [(None, None)]
        else:
            cv = check_cv(self.cv, y, classifier=True)
            splits = list(cv.split(X, y, **routed["splitter"]))
            warn_missing_test_classes(y, splits)
        names = [name for name, _ in candidates]
        prototypes = candidate_prototypes(candidates)  # "passthrough": identity transformer
        tasks, results = score_candidates(
            names,
            prototypes,
            X,
            y,
            splits,
            scorer,
            routed,
            n_jobs=self.n_jobs,
            error_score=self.error_score,
            keep=self.cv is None,
            verbose=self.verbose,
        )
        for attribute, value in search_results(
            names, tasks, results, len(splits), self.error_score
        ).items():
            setattr(self, attribute, value)
        best_transformer, refit_time, named_transformers = refit_best(
            names, prototypes, tasks, results, self.best_index_, X, y, routed, self.refit
        )
        self.refit_time_ = refit_time
        if self.refit:
            self.best_transformer_ = best_transformer
        self.named_transformers_ = named_transformers
        if self.verbose > 0:
            print(f"Selected {self.best_name_!r}, mean score {self.best_score_:.4f}")
        return self

    # --- using the chosen candidate ---------------------------------------------------------
    def transform(self, X, **params):
        """Transform X with the chosen candidate (``best_transformer_``).

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input.
        **params : dict
            With metadata routing enabled, metadata for the chosen candidate's
            ``transform``.

        Returns
        -------
        X_new : array-like of shape (n_samples, n_output_features)
            The chosen candidate's features.
        """
        check_refit(self, "transform")
        X = check_transform_input(self, X)
        params = transform_params(self, params)
        if not hasattr(self.best_transformer_, "transform"):  # read as the scorer reads it
            return get_features(self.best_transformer_, X, self._scorer().feature_getter)
        return self.best_transformer_.transform(X, **params)

    @available_if(best_has("inverse_transform"))
    def inverse_transform(self, X):
        """Map features back to the input space, if the chosen candidate can.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_output_features)
            Features of the chosen candidate.

        Returns
        -------
        X_original : array-like of shape (n_samples, n_features)
            The chosen candidate's ``inverse_transform`` of X.
        """
        check_refit(self, "inverse_transform")
        return self.best_transformer_.inverse_transform(X)

    def score(self, X, y, **params):
        """The scoring of the chosen candidate's features on (X, y).

        ``scoring(best_transformer_, X, y)``, so that the selector has the fit/score API
        and ``GridSearchCV(selector, param_grid)`` works with its default scoring.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_features)
            Input.
        y : array-like of shape (n_samples,)
            Class labels.
        **params : dict
            ``sample_weight`` for the scorer (routed to it when metadata routing is
            enabled).

        Returns
        -------
        score : float
            Greater is better.
        """
        check_refit(self, "score")
        X = check_transform_input(self, X)
        params = score_params(self, params)
        return float(self._scorer()(self.best_transformer_, X, y, **params))

    def get_feature_names_out(self, input_features=None):
        """Output feature names of the chosen candidate.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; None means ``feature_names_in_`` (or ``x0, x1, ...``).

        Returns
        -------
        feature_names_out : ndarray of str objects
            The chosen candidate's output feature names.
        """
        check_refit(self, "get_feature_names_out")
        if hasattr(self, "n_features_in_"):  # raw inputs (texts, images) have no columns
            input_features = _check_feature_names_in(self, input_features)
        return self.best_transformer_.get_feature_names_out(input_features)

    def set_output(self, *, transform=None):
        """Set the output container of transform, for the selector and every candidate.

        Parameters
        ----------
        transform : {"default", "pandas", "polars"}, default=None
            Output of ``transform`` and ``fit_transform``; None leaves it unchanged.

        Returns
        -------
        self : TransferabilitySelector
            This estimator.
        """
        super().set_output(transform=transform)
        for _, transformer in self.transformers:
            if not isinstance(transformer, str):
                _safe_set_output(transformer, transform=transform)
        for transformer in getattr(self, "named_transformers_", {}).values():
            _safe_set_output(transformer, transform=transform)
        return self

    def get_metadata_routing(self):
        """Metadata routing: candidates' fit/transform, the scorer, the splitter.

        Returns
        -------
        routing : sklearn.utils.metadata_routing.MetadataRouter
            The routing of this selector.
        """
        return metadata_router(self)
