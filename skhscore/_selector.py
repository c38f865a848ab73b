"""TransferabilitySelector: pick the most transferable of several feature extractors."""

import inspect
import time
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn import get_config
from sklearn.base import MetaEstimatorMixin, TransformerMixin, clone
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.model_selection import check_cv
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils import Bunch, get_tags
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping, process_routing
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import check_is_fitted, validate_data

from skhscore._candidates import (
    PrecomputedFeatures,
    check_raw_input,
    is_candidate,
    is_raw_input,
    shared_forward_features,
)
from skhscore._features import get_features
from skhscore._scorer import HScoreScorer
from skhscore._selector_support import (
    DOC_LINK_TEMPLATE,
    indexable_input,
    resolve_scoring,
    visual_block,
    warn_all_nan_candidates,
    warn_missing_test_classes,
)
from skhscore._sklearn_compat import (
    StrOptions,
    _BaseComposition,
    _check_feature_names_in,
    _check_method_params,
    _fit_context,
    _safe_indexing,
    _safe_set_output,
)
from skhscore._validation import untracked_tensor

__all__ = ["TransferabilitySelector"]

#: Two mean scores closer than this (relative) are a tie, which the candidate listed first
#: wins: identical features (a scaler and "passthrough") differ only by rounding.
TIE_RTOL = 1e-9


def _best_has(attr):
    """available_if check: the chosen candidate (or, before fit, every candidate) has attr."""

    def check(self):
        if hasattr(self, "best_transformer_"):
            return hasattr(self.best_transformer_, attr)
        return all(isinstance(t, str) or hasattr(t, attr) for _, t in self.transformers)

    return check


def _routed(routed, child, method):
    """``routed[child].<method>`` as a dict, or {} when nothing is routed to the child."""
    try:
        return dict(getattr(routed[child], method))
    except (KeyError, AttributeError):
        return {}


def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "shape")


def _passthrough():
    return FunctionTransformer(accept_sparse=True, feature_names_out="one-to-one")


def _fit_and_score(
    transformer, X, y, train, test, scorer, fit_params, score_params, error_score, keep
):
    """Fit one candidate on ``train`` and score it on ``test``; never raises unless asked."""
    result = {"score": error_score, "fit_time": np.nan, "score_time": np.nan, "error": None}
    start = time.perf_counter()
    stage = "fit"
    try:
        if train is None:  # in-sample
            X_train, y_train, X_test, y_test = X, y, X, y
            fit_kwargs, score_kwargs = fit_params, score_params
        else:
            X_train, y_train = _safe_indexing(X, train), y[train]
            X_test, y_test = _safe_indexing(X, test), y[test]
            fit_kwargs = _check_method_params(X, fit_params, indices=train)
            score_kwargs = _check_method_params(X, score_params, indices=test)
        fitted = transformer.fit(X_train, y_train, **fit_kwargs)
        result["fit_time"] = time.perf_counter() - start
        stage = "score"
        start = time.perf_counter()
        score = scorer(fitted, X_test, y_test, **score_kwargs)
        result["score_time"] = time.perf_counter() - start
        result["score"] = float(score)
        if keep:
            result["fitted"] = fitted
    except Exception as exc:
        if error_score == "raise":
            raise
        result["error"] = f"{stage} failed: {type(exc).__name__}: {exc}"
    return result


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
        try:
            names, transformers = zip(*self.transformers, strict=True)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                "transformers must be a list of (name, transformer) tuples, got "
                f"{self.transformers!r}."
            ) from exc
        self._validate_names(names)
        reserved = {"scorer", "splitter"}.intersection(names)
        if reserved:
            raise ValueError(
                f"Candidate names {sorted(reserved)} are reserved for metadata routing; "
                "rename these candidates."
            )
        candidates = []
        for name, transformer in self.transformers:
            if isinstance(transformer, str):
                if transformer not in ("passthrough", "drop"):
                    raise ValueError(
                        f"Candidate {name!r} is the string {transformer!r}; the only "
                        "strings allowed are 'passthrough' and 'drop'."
                    )
                if transformer == "drop":
                    continue
            elif not is_candidate(transformer, self._scorer()):
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
    def _route(self, method, params):
        """Routed metadata: ``{"candidates": {name: fit params}, "scorer", "splitter"}``."""
        if get_config()["enable_metadata_routing"]:
            routed = process_routing(self, method, **params)
            return {
                "candidates": {
                    name: _routed(routed, name, "fit") for name, _ in self._candidates()
                },
                "scorer": _routed(routed, "scorer", "score"),
                "splitter": _routed(routed, "splitter", "split"),
            }
        # routing off: like GridSearchCV, ``groups`` goes to the splitter, everything to
        # every candidate's fit, and sample_weight also to the scorer if it accepts it
        params = dict(params)
        groups = params.pop("groups", None)
        scorer = self._scorer()
        score_params = {}
        if params.get("sample_weight") is not None and _accepts_sample_weight(scorer):
            score_params["sample_weight"] = params["sample_weight"]
        return {
            "candidates": {  # "passthrough" has nothing to fit
                name: {} if isinstance(t, str) else params for name, t in self._candidates()
            },
            "scorer": score_params,
            "splitter": {"groups": groups} if groups is not None else {},
        }

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
        y = untracked_tensor(y)  # labels a network computed: detached, as every metric reads them
        if is_raw_input(X):  # texts, images, tensors: only the candidates can read them
            X, y = check_raw_input(self, X, y)
        else:
            tags = self.__sklearn_tags__()
            X_checked, y = validate_data(
                self,
                X,
                y,
                accept_sparse=tags.input_tags.sparse and ("csr", "csc", "coo"),
                dtype=None if _is_dataframe(X) else "numeric",  # frames go to the candidates
                ensure_min_samples=2,
            )
            X = X if _is_dataframe(X) else indexable_input(X_checked)  # COO cannot be indexed
        type_of_target(y, input_name="y", raise_unknown=True)
        routed = self._route("fit", params)
        scorer = self._scorer()
        if self.cv is None:
            splits = [(None, None)]
        else:
            cv = check_cv(self.cv, y, classifier=True)
            splits = list(cv.split(X, y, **routed["splitter"]))
            warn_missing_test_classes(y, splits)
        n_splits = len(splits)
        names = [name for name, _ in candidates]
        prototypes = [
            _passthrough() if isinstance(t, str) else t for _, t in candidates
        ]  # "passthrough" becomes an identity transformer
        if self.verbose > 0:
            print(
                f"Fitting {n_splits} folds for each of {len(candidates)} candidates, "
                f"totalling {n_splits * len(candidates)} fits"
            )
        tasks = [(i, f) for i in range(len(candidates)) for f in range(n_splits)]
        # candidates sharing one frozen network: every layer from one pass over X
        shared, shared_time = shared_forward_features(
            prototypes, [routed["candidates"][name] for name in names], X, scorer
        )
        rows = np.arange(len(y))
        results = Parallel(n_jobs=self.n_jobs)(
            delayed(_fit_and_score)(
                PrecomputedFeatures(shared[i]) if i in shared else clone(prototypes[i]),
                rows if i in shared else X,
                y,
                splits[f][0],
                splits[f][1],
                scorer,
                routed["candidates"][names[i]],
                routed["scorer"],
                self.error_score,
                self.cv is None,
            )
            for i, f in tasks
        )
        for (i, _), result in zip(tasks, results, strict=True):
            if i in shared:  # the shared pass, in equal parts, and no precomputed object kept
                result["fit_time"] += shared_time[i] / n_splits
                result.pop("fitted", None)
        if self.verbose > 1:
            for (i, f), result in zip(tasks, results, strict=True):
                total = np.nansum([result["fit_time"], result["score_time"]])
                print(
                    f"[CV {f + 1}/{n_splits}] END {names[i]}; "
                    f"score={result['score']:.3f} total time={total:.2f}s"
                )
        self._store_results(names, tasks, results, n_splits)

        fitted = {}
        if self.cv is None:
            fitted = {
                names[i]: r["fitted"]
                for (i, _), r in zip(tasks, results, strict=True)
                if "fitted" in r
            }
        best = self.best_name_
        self.refit_time_ = 0.0
        if self.refit:
            if best in fitted:
                self.best_transformer_ = fitted[best]
            else:
                start = time.perf_counter()
                self.best_transformer_ = clone(prototypes[self.best_index_]).fit(
                    X, y, **routed["candidates"][best]
                )
                self.refit_time_ = time.perf_counter() - start
            fitted[best] = self.best_transformer_
        self.named_transformers_ = Bunch(
            **{name: fitted.get(name, clone(p)) for name, p in zip(names, prototypes, strict=True)}
        )
        if self.verbose > 0:
            print(f"Selected {best!r}, mean score {self.best_score_:.4f}")
        return self

    def _store_results(self, names, tasks, results, n_splits):
        n = len(names)
        scores = np.empty((n, n_splits))
        fit_times = np.empty((n, n_splits))
        score_times = np.empty((n, n_splits))
        errors = [[] for _ in range(n)]
        for (i, f), result in zip(tasks, results, strict=True):
            scores[i, f] = result["score"]
            fit_times[i, f] = result["fit_time"]
            score_times[i, f] = result["score_time"]
            if result["error"] is not None:
                errors[i].append((f, result["error"]))
        n_failed = sum(len(e) for e in errors)
        if n_failed == n * n_splits:
            fold, message = errors[0][0]
            raise ValueError(
                f"All {n} candidates failed on every fold. The first failure, candidate "
                f"{names[0]!r} on fold {fold}: {message}"
            )
        for i, errs in enumerate(errors):
            if errs:
                warnings.warn(
                    f"Candidate {names[i]!r} failed on {len(errs)} of {n_splits} folds and "
                    f"gets error_score={self.error_score} there. First failure (fold "
                    f"{errs[0][0]}): {errs[0][1]}",
                    FitFailedWarning,
                    stacklevel=3,
                )
        warn_all_nan_candidates(names, scores, errors)
        means = scores.mean(axis=1)
        if np.all(np.isnan(means)):
            raise ValueError(
                "Every candidate has a nan mean score: each failed on at least one fold "
                "(see the warnings above) or the scorer returned nan."
            )
        ranking = _rank(means)
        self.ranking_ = ranking
        self.best_index_ = int(np.flatnonzero(ranking == 1)[0])
        self.best_name_ = names[self.best_index_]
        self.best_score_ = float(means[self.best_index_])
        self.scores_ = dict(zip(names, means.tolist(), strict=True))
        self.n_splits_ = n_splits
        cv_results = {"name": np.asarray(names, dtype=object)}
        for f in range(n_splits):
            cv_results[f"split{f}_test_score"] = scores[:, f]
        cv_results.update(
            {
                "mean_test_score": means,
                "std_test_score": scores.std(axis=1),
                "mean_fit_time": fit_times.mean(axis=1),
                "std_fit_time": fit_times.std(axis=1),
                "mean_score_time": score_times.mean(axis=1),
                "std_score_time": score_times.std(axis=1),
                "rank_test_score": ranking,
            }
        )
        self.cv_results_ = cv_results

    # --- using the chosen candidate ---------------------------------------------------------
    def _check_refit(self, method):
        check_is_fitted(self)
        if not self.refit:
            raise NotFittedError(
                f"{method} needs the chosen candidate refit on all the data, but this "
                "selector was fitted with refit=False: set refit=True and fit again."
            )

    def _validate_transform_input(self, X):
        if is_raw_input(X):
            return X
        tags = self.__sklearn_tags__()
        X_checked = validate_data(
            self,
            X,
            reset=False,
            accept_sparse=tags.input_tags.sparse and ("csr", "csc", "coo"),
            dtype=None if _is_dataframe(X) else "numeric",
        )
        return X if _is_dataframe(X) else X_checked

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
        self._check_refit("transform")
        X = self._validate_transform_input(X)
        if get_config()["enable_metadata_routing"]:
            routed = process_routing(self, "transform", **params)
            params = _routed(routed, self.best_name_, "transform")
        elif params:
            raise TypeError(
                f"transform got unexpected arguments {sorted(params)}; passing metadata "
                "to the candidates needs sklearn.set_config(enable_metadata_routing=True)."
            )
        if not hasattr(self.best_transformer_, "transform"):  # read as the scorer reads it
            return get_features(self.best_transformer_, X, self._scorer().feature_getter)
        return self.best_transformer_.transform(X, **params)

    @available_if(_best_has("inverse_transform"))
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
        self._check_refit("inverse_transform")
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
        self._check_refit("score")
        X = self._validate_transform_input(X)
        if get_config()["enable_metadata_routing"]:
            score_params = _routed(process_routing(self, "score", **params), "scorer", "score")
        else:
            unknown = set(params) - {"sample_weight"}
            if unknown:
                raise TypeError(
                    f"score got unexpected arguments {sorted(unknown)}; only sample_weight "
                    "is accepted without metadata routing."
                )
            score_params = {k: v for k, v in params.items() if v is not None}
        return float(self._scorer()(self.best_transformer_, X, y, **score_params))

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
        self._check_refit("get_feature_names_out")
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
        router = MetadataRouter(owner=self)
        for name, transformer in self.transformers:
            if isinstance(transformer, str):
                continue
            router.add(
                **{name: transformer},
                method_mapping=MethodMapping()
                .add(caller="fit", callee="fit")
                .add(caller="fit_transform", callee="fit")
                .add(caller="transform", callee="transform"),
            )
        router.add(
            scorer=self._scorer(),
            method_mapping=MethodMapping()
            .add(caller="fit", callee="score")
            .add(caller="fit_transform", callee="score")
            .add(caller="score", callee="score"),
        )
        if self.cv is not None:
            router.add(
                splitter=check_cv(self.cv),
                method_mapping=MethodMapping()
                .add(caller="fit", callee="split")
                .add(caller="fit_transform", callee="split"),
            )
        return router


def _accepts_sample_weight(scorer):
    if hasattr(scorer, "_accept_sample_weight"):
        return bool(scorer._accept_sample_weight())
    try:
        return "sample_weight" in inspect.signature(scorer).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False


def _rank(means):
    """Unique ranks (1 = best); ties within TIE_RTOL go to the lower index; nan last."""
    n = means.shape[0]
    ranking = np.zeros(n, dtype=np.int64)
    remaining = [i for i in range(n) if not np.isnan(means[i])]
    rank = 1
    while remaining:
        top = max(means[i] for i in remaining)
        winner = next(
            i
            for i in remaining
            if means[i] >= top or np.isclose(means[i], top, rtol=TIE_RTOL, atol=0.0)
        )
        ranking[winner] = rank
        remaining.remove(winner)
        rank += 1
    for i in range(n):
        if np.isnan(means[i]):
            ranking[i] = rank
            rank += 1
    return ranking
