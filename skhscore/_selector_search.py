"""TransferabilitySelector's search: every candidate fitted and scored on every fold.

Kept apart from the estimator: the fits and scores of candidates x folds (in parallel, with
the candidates that share a frozen network reading one forward pass), the failures they
turn into warnings, ``cv_results_``, the ranking with its tie-breaking, and the refit of
the chosen candidate on all the data.
"""

import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import FitFailedWarning
from sklearn.utils import Bunch
from sklearn.utils.parallel import Parallel, delayed

from skhscore._candidates import PrecomputedFeatures, shared_forward_features
from skhscore._selector_support import warn_all_nan_candidates
from skhscore._sklearn_compat import _check_method_params, _safe_indexing

#: Two mean scores closer than this (relative) are a tie, which the candidate listed first
#: wins: identical features (a scaler and "passthrough") differ only by rounding.
TIE_RTOL = 1e-9


def fit_and_score(
    transformer, X, y, train, test, scorer, fit_params, score_params, error_score, keep
):
    """Fit one candidate on ``train`` and score it on ``test``; never raises unless asked.

    Parameters
    ----------
    transformer : transformer
        The candidate, an unfitted clone (fitted in place).
    X : {array-like, sparse matrix, DataFrame} or raw input
        All the samples.
    y : ndarray of shape (n_samples,)
        Class labels.
    train, test : ndarray of int or None
        Row indices of the fold; both None score in-sample (``cv=None``).
    scorer : callable
        ``scorer(fitted_transformer, X, y, **score_params)``.
    fit_params, score_params : dict
        Metadata for the candidate's ``fit`` and for the scorer, indexed by the fold here.
    error_score : "raise" or float
        Score of a failed fit or scoring; "raise" re-raises the error.
    keep : bool
        Keep the fitted candidate as ``result["fitted"]``.

    Returns
    -------
    result : dict
        ``score``, ``fit_time``, ``score_time`` (nan where not reached), ``error`` (None, or
        the failure's message) and, with ``keep``, ``fitted``.
    """
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


def score_candidates(
    names, prototypes, X, y, splits, scorer, routed, *, n_jobs, error_score, keep, verbose
):
    """Fit and score every candidate on every fold, in parallel over candidates x folds.

    Candidates sharing one frozen network get every layer from one pass over ``X``, its
    time shared in equal parts between their folds.

    Parameters
    ----------
    names : list of str
        Names of the competing candidates.
    prototypes : list of transformers
        The candidates, in the order of ``names`` (cloned for each fit).
    X : {array-like, sparse matrix, DataFrame} or raw input
        All the samples, validated.
    y : ndarray of shape (n_samples,)
        Class labels.
    splits : list of (train, test)
        Index arrays of the folds; ``[(None, None)]`` scores in-sample.
    scorer : callable
        The selector's scorer.
    routed : dict
        ``{"candidates": {name: fit params}, "scorer": score params, ...}``.
    n_jobs : int or None
        Number of jobs of :class:`joblib.Parallel`.
    error_score : "raise" or float
        Score of a failed fit or scoring.
    keep : bool
        Keep each fitted candidate in its result (in-sample scoring).
    verbose : int
        >0 prints the number of fits, >1 a line per fit.

    Returns
    -------
    tasks : list of (int, int)
        (candidate index, fold index) of each fit.
    results : list of dict
        What :func:`fit_and_score` returned for each task, in the order of ``tasks``.
    """
    n_splits = len(splits)
    if verbose > 0:
        print(
            f"Fitting {n_splits} folds for each of {len(names)} candidates, "
            f"totalling {n_splits * len(names)} fits"
        )
    tasks = [(i, f) for i in range(len(names)) for f in range(n_splits)]
    # candidates sharing one frozen network: every layer from one pass over X
    shared, shared_time = shared_forward_features(
        prototypes, [routed["candidates"][name] for name in names], X, scorer
    )
    rows = np.arange(len(y))
    results = Parallel(n_jobs=n_jobs)(
        delayed(fit_and_score)(
            PrecomputedFeatures(shared[i]) if i in shared else clone(prototypes[i]),
            rows if i in shared else X,
            y,
            splits[f][0],
            splits[f][1],
            scorer,
            routed["candidates"][names[i]],
            routed["scorer"],
            error_score,
            keep,
        )
        for i, f in tasks
    )
    for (i, _), result in zip(tasks, results, strict=True):
        if i in shared:  # the shared pass, in equal parts, and no precomputed object kept
            result["fit_time"] += shared_time[i] / n_splits
            result.pop("fitted", None)
    if verbose > 1:
        for (i, f), result in zip(tasks, results, strict=True):
            total = np.nansum([result["fit_time"], result["score_time"]])
            print(
                f"[CV {f + 1}/{n_splits}] END {names[i]}; "
                f"score={result['score']:.3f} total time={total:.2f}s"
            )
    return tasks, results


def search_results(names, tasks, results, n_splits, error_score):
    """The fitted attributes the search gives the selector; failures become warnings.

    Warns (:class:`~sklearn.exceptions.FitFailedWarning`) about each candidate that failed
    on some folds, and about candidates scored nan everywhere without failing; raises when
    every candidate failed on every fold or has a nan mean score. Called from the
    selector's ``fit``, which the warnings point past.

    Parameters
    ----------
    names : list of str
        Names of the competing candidates.
    tasks : list of (int, int)
        (candidate index, fold index) of each result.
    results : list of dict
        What :func:`fit_and_score` returned for each task.
    n_splits : int
        Number of folds.
    error_score : "raise" or float
        The score failed fits got, named in the warnings.

    Returns
    -------
    attributes : dict
        ``ranking_``, ``best_index_``, ``best_name_``, ``best_score_``, ``scores_``,
        ``n_splits_`` and ``cv_results_``, by name.
    """
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
                f"gets error_score={error_score} there. First failure (fold "
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
    ranking = rank_candidates(means)
    best_index = int(np.flatnonzero(ranking == 1)[0])
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
    return {
        "ranking_": ranking,
        "best_index_": best_index,
        "best_name_": names[best_index],
        "best_score_": float(means[best_index]),
        "scores_": dict(zip(names, means.tolist(), strict=True)),
        "n_splits_": n_splits,
        "cv_results_": cv_results,
    }


def refit_best(names, prototypes, tasks, results, best_index, X, y, routed, refit):
    """Refit the chosen candidate on all the data; every candidate in its fitted form.

    An in-sample fit kept by the search (``cv=None``) is reused instead of refitting.

    Parameters
    ----------
    names : list of str
        Names of the competing candidates.
    prototypes : list of transformers
        The candidates, in the order of ``names``.
    tasks : list of (int, int)
        (candidate index, fold index) of each result.
    results : list of dict
        What :func:`fit_and_score` returned for each task.
    best_index : int
        Index of the chosen candidate.
    X : {array-like, sparse matrix, DataFrame} or raw input
        All the samples.
    y : ndarray of shape (n_samples,)
        Class labels.
    routed : dict
        ``{"candidates": {name: fit params}, ...}``: the chosen candidate's are used.
    refit : bool
        Whether to refit the chosen candidate.

    Returns
    -------
    best_transformer : transformer or None
        The chosen candidate fitted on all the data; None without ``refit``.
    refit_time : float
        Seconds spent refitting it (0 when reused or not refit).
    named_transformers : sklearn.utils.Bunch
        Name -> the fitted candidate where there is one, an unfitted clone otherwise.
    """
    fitted = {
        names[i]: r["fitted"] for (i, _), r in zip(tasks, results, strict=True) if "fitted" in r
    }
    best = names[best_index]
    best_transformer, refit_time = None, 0.0
    if refit:
        if best in fitted:
            best_transformer = fitted[best]
        else:
            start = time.perf_counter()
            best_transformer = clone(prototypes[best_index]).fit(
                X, y, **routed["candidates"][best]
            )
            refit_time = time.perf_counter() - start
        fitted[best] = best_transformer
    named_transformers = Bunch(
        **{name: fitted.get(name, clone(p)) for name, p in zip(names, prototypes, strict=True)}
    )
    return best_transformer, refit_time, named_transformers


def rank_candidates(means):
    """Unique ranks (1 = best); ties within TIE_RTOL go to the lower index; nan last.

    Parameters
    ----------
    means : ndarray of shape (n_candidates,)
        Mean score of each candidate, greater is better; nan for failed candidates.

    Returns
    -------
    ranking : ndarray of shape (n_candidates,), dtype int64
        Rank of each candidate, a permutation of ``1, ..., n_candidates``.
    """
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
