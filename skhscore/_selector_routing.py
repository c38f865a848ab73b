"""Where TransferabilitySelector sends metadata: candidates, scorer and splitter.

Kept apart from the estimator: its router (each candidate's ``fit`` and ``transform``, the
scorer's ``score``, the splitter's ``split``), the metadata each of them gets from fit,
transform and score with routing enabled, and what they get with routing off.
"""

import inspect

from sklearn import get_config
from sklearn.model_selection import check_cv
from sklearn.utils.metadata_routing import MetadataRouter, MethodMapping, process_routing


def routed_params(routed, child, method):
    """``routed[child].<method>`` as a dict, or {} when nothing is routed to the child.

    Parameters
    ----------
    routed : sklearn.utils.Bunch
        What :func:`~sklearn.utils.metadata_routing.process_routing` returned.
    child : str
        A candidate's name, ``"scorer"`` or ``"splitter"``.
    method : str
        The child's method, e.g. ``"fit"``.

    Returns
    -------
    params : dict
        The metadata routed to ``child.<method>``.
    """
    try:
        return dict(getattr(routed[child], method))
    except (KeyError, AttributeError):
        return {}


def accepts_sample_weight(scorer):
    """Whether the scorer takes ``sample_weight``.

    Parameters
    ----------
    scorer : callable
        A scorer ``scorer(estimator, X, y, ...)``.

    Returns
    -------
    accepts : bool
        True when it says so (``_accept_sample_weight()``) or its signature names it.
    """
    if hasattr(scorer, "_accept_sample_weight"):
        return bool(scorer._accept_sample_weight())
    try:
        return "sample_weight" in inspect.signature(scorer).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False


def route_params(selector, method, params):
    """Routed metadata: ``{"candidates": {name: fit params}, "scorer", "splitter"}``.

    Parameters
    ----------
    selector : TransferabilitySelector
        The selector whose ``method`` was called.
    method : str
        ``"fit"`` or ``"fit_transform"``.
    params : dict
        The metadata passed to it.

    Returns
    -------
    routed : dict
        ``"candidates"``: each competing candidate's name -> its ``fit`` params;
        ``"scorer"``: the scorer's params; ``"splitter"``: the splitter's params.
    """
    if get_config()["enable_metadata_routing"]:
        routed = process_routing(selector, method, **params)
        return {
            "candidates": {
                name: routed_params(routed, name, "fit") for name, _ in selector._candidates()
            },
            "scorer": routed_params(routed, "scorer", "score"),
            "splitter": routed_params(routed, "splitter", "split"),
        }
    # routing off: like GridSearchCV, ``groups`` goes to the splitter, everything to
    # every candidate's fit, and sample_weight also to the scorer if it accepts it
    params = dict(params)
    groups = params.pop("groups", None)
    scorer = selector._scorer()
    score_params = {}
    if params.get("sample_weight") is not None and accepts_sample_weight(scorer):
        score_params["sample_weight"] = params["sample_weight"]
    return {
        "candidates": {  # "passthrough" has nothing to fit
            name: {} if isinstance(t, str) else params for name, t in selector._candidates()
        },
        "scorer": score_params,
        "splitter": {"groups": groups} if groups is not None else {},
    }


def transform_params(selector, params):
    """The metadata for the chosen candidate's ``transform``.

    Parameters
    ----------
    selector : TransferabilitySelector
        The fitted selector.
    params : dict
        The metadata passed to its ``transform``; only accepted with routing enabled.

    Returns
    -------
    params : dict
        What the chosen candidate's ``transform`` gets.
    """
    if get_config()["enable_metadata_routing"]:
        routed = process_routing(selector, "transform", **params)
        return routed_params(routed, selector.best_name_, "transform")
    if params:
        raise TypeError(
            f"transform got unexpected arguments {sorted(params)}; passing metadata "
            "to the candidates needs sklearn.set_config(enable_metadata_routing=True)."
        )
    return params


def score_params(selector, params):
    """The metadata for the scorer, from the selector's ``score``.

    Parameters
    ----------
    selector : TransferabilitySelector
        The fitted selector.
    params : dict
        The metadata passed to its ``score``; only ``sample_weight`` with routing off.

    Returns
    -------
    params : dict
        What the scorer gets (a None ``sample_weight`` left out with routing off).
    """
    if get_config()["enable_metadata_routing"]:
        return routed_params(process_routing(selector, "score", **params), "scorer", "score")
    unknown = set(params) - {"sample_weight"}
    if unknown:
        raise TypeError(
            f"score got unexpected arguments {sorted(unknown)}; only sample_weight "
            "is accepted without metadata routing."
        )
    return {k: v for k, v in params.items() if v is not None}


def metadata_router(selector):
    """The selector's router: candidates' fit/transform, the scorer, the splitter.

    Parameters
    ----------
    selector : TransferabilitySelector
        The selector to route for (its ``transformers``, scoring and ``cv``).

    Returns
    -------
    router : sklearn.utils.metadata_routing.MetadataRouter
        The routing of this selector.
    """
    router = MetadataRouter(owner=selector)
    for name, transformer in selector.transformers:
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
        scorer=selector._scorer(),
        method_mapping=MethodMapping()
        .add(caller="fit", callee="score")
        .add(caller="fit_transform", callee="score")
        .add(caller="score", callee="score"),
    )
    if selector.cv is not None:
        router.add(
            splitter=check_cv(selector.cv),
            method_mapping=MethodMapping()
            .add(caller="fit", callee="split")
            .add(caller="fit_transform", callee="split"),
        )
    return router
