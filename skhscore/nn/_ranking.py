"""rank_layers and rank_models: networks and their layers scored from streamed statistics."""

import numpy as np
from sklearn.model_selection import train_test_split

from skhscore._engine import HScoreStatistics, array_api_statistics, use_array_api
from skhscore._hscore import h_score
from skhscore._significance import h_score_test
from skhscore._validation import check_labels, untracked_tensor
from skhscore.nn._display import RANK_BY, LayerRankingDisplay
from skhscore.nn._network import (
    FrozenNetworkFeatures,
    check_positive_int,
    import_torch,
    n_rows,
    slice_rows,
    take_rows,
)


class TransferabilityRanking:
    """Scores of layers or models, from the sufficient statistics of their features.

    Returned by :func:`rank_layers` and :func:`rank_models`. Every array is in the order
    the candidates were given (network order for layers); :attr:`order` sorts them.

    Attributes
    ----------
    names : list
        Layer names (or indices) or model names.
    h : ndarray of shape (n_candidates,)
        Plain H-score, ``h_score(stats)``.
    adjusted_shrunk : ndarray of shape (n_candidates,)
        The model-selection score, ``h_score(stats, shrinkage="auto", adjusted=True)``: the
        chance-adjusted H-score with Ledoit-Wolf shrinkage, comparable across widths and
        informative for layers at least as wide as the sample (the default ``rank_by``).
    adjusted : ndarray of shape (n_candidates,)
        Chance-adjusted H-score, ``h_score(stats, adjusted=True)`` (0 for a layer at least as
        wide as the sample, where the plain score is at its ceiling whatever it encodes).
    shrunk : ndarray of shape (n_candidates,)
        Shrunk H-score, ``h_score(stats, shrinkage="auto")``.
    pvalue : ndarray of shape (n_candidates,)
        P-value of Pillai's trace test of independence, ``h_score_test(stats).pvalue``.
    n_samples : ndarray of shape (n_candidates,)
        Samples scored.
    n_features : ndarray of shape (n_candidates,)
        Width of each candidate's features.
    rank_by : {"adjusted_shrunk", "adjusted", "h", "shrunk"}
        The score that orders the candidates.
    statistics : list of HScoreStatistics
        The statistics of each candidate's features (k x k each), for any other score.
    """

    def __init__(self, names, statistics, rank_by="adjusted_shrunk"):
        if rank_by not in RANK_BY:
            raise ValueError(f"rank_by must be one of {list(RANK_BY)}, got {rank_by!r}.")
        self.names = list(names)
        self.statistics = list(statistics)
        self.rank_by = rank_by
        self.h = np.array([h_score(s) for s in self.statistics])
        self.adjusted_shrunk = np.array(
            [h_score(s, shrinkage="auto", adjusted=True) for s in self.statistics]
        )
        self.adjusted = np.array([h_score(s, adjusted=True) for s in self.statistics])
        self.shrunk = np.array([h_score(s, shrinkage="auto") for s in self.statistics])
        self.pvalue = np.array([h_score_test(s).pvalue for s in self.statistics])
        self.n_samples = np.array([s.n_samples_seen_ for s in self.statistics])
        self.n_features = np.array([s.n_features_ for s in self.statistics])

    @property
    def scores(self):
        """The ``rank_by`` score of each candidate."""
        return getattr(self, self.rank_by)

    @property
    def order(self):
        """Candidate indices from best to worst by ``rank_by`` (ties: listed first wins)."""
        return np.argsort(-self.scores, kind="stable")

    @property
    def best(self):
        """Name of the best candidate by ``rank_by``."""
        return self.names[int(self.order[0])]

    def to_frame(self):
        """The table as a ``pandas.DataFrame``, best first, indexed by candidate name.

        Returns
        -------
        frame : pandas.DataFrame
            Columns ``adjusted_shrunk``, ``h``, ``adjusted``, ``shrunk``, ``pvalue``,
            ``n_samples``, ``n_features`` and ``rank`` (1 = best by ``rank_by``).
        """
        import pandas as pd

        frame = pd.DataFrame(
            {
                "adjusted_shrunk": self.adjusted_shrunk,
                "h": self.h,
                "adjusted": self.adjusted,
                "shrunk": self.shrunk,
                "pvalue": self.pvalue,
                "n_samples": self.n_samples,
                "n_features": self.n_features,
            },
            index=pd.Index([str(name) for name in self.names], name="candidate"),
        )
        frame["rank"] = 0
        frame.iloc[self.order, frame.columns.get_loc("rank")] = np.arange(1, len(self.names) + 1)
        return frame.iloc[self.order]

    def plot(self, ax=None, *, score=None, **line_kwargs):
        """Plot the scores in the candidates' order (see :class:`LayerRankingDisplay`).

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on.
        score : {"adjusted_shrunk", "adjusted", "h", "shrunk"}, default=None
            The score to plot; None: ``rank_by``.
        **line_kwargs : dict
            Passed to ``ax.plot`` (``label=``, ``linestyle=``, ...).

        Returns
        -------
        display : LayerRankingDisplay
        """
        return LayerRankingDisplay.from_ranking(self, score=score, ax=ax, **line_kwargs)

    def __repr__(self):
        lines = [
            f"{'candidate':>16} {'adj.shrunk':>10} {'H':>9} {'adjusted':>9} {'shrunk':>9} "
            f"{'p-value':>9}"
        ]
        for i in self.order:
            lines.append(
                f"{str(self.names[i])[-16:]:>16} {self.adjusted_shrunk[i]:10.4f} "
                f"{self.h[i]:9.4f} {self.adjusted[i]:9.4f} {self.shrunk[i]:9.4f} "
                f"{self.pvalue[i]:9.2g}"
            )
        return "\n".join(lines)


def _add_batch(stats, features, labels):
    """Stream one batch of one candidate's features into its statistics."""
    if use_array_api(features):  # array_api_dispatch on: reduced on the features' device
        part = array_api_statistics(features, labels)
        return part if stats is None else stats.merge(part)
    stats = HScoreStatistics() if stats is None else stats
    return stats.update(untracked_tensor(features), labels)


def _prepare(X, y, max_samples, random_state):
    """Labels checked and, with ``max_samples``, a stratified subsample of (X, y)."""
    y = np.asarray(untracked_tensor(y))
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    n = n_rows(X)
    if y.shape[0] != n:
        raise ValueError(f"X has {n} samples but y has {y.shape[0]} labels.")
    check_labels(y, n)
    if max_samples is not None:
        check_positive_int(max_samples, "max_samples")
        if max_samples < n:
            keep, _ = train_test_split(
                np.arange(n), train_size=max_samples, stratify=y, random_state=random_state
            )
            keep = np.sort(keep)
            X, y = take_rows(X, keep), y[keep]
    return X, y


def _as_extractor(model, pooling, batch_size, device, preprocess):
    """A FrozenNetworkFeatures for ``model``, with the settings that were given."""
    torch = import_torch()
    overrides = {"pooling": pooling, "batch_size": batch_size, "device": device}
    overrides = {k: v for k, v in overrides.items() if v is not None}
    if isinstance(model, FrozenNetworkFeatures):
        if preprocess is not None:
            overrides["preprocess"] = preprocess
        return model.__sklearn_clone__().set_params(**overrides)
    if isinstance(model, torch.nn.Module):
        from skhscore.nn._torch import TorchFeatures

        return TorchFeatures(model, preprocess=preprocess, **overrides)
    raise TypeError(
        f"model must be a torch.nn.Module, a TorchFeatures or a TransformerFeatures, got "
        f"{type(model).__name__}."
    )


def rank_layers(
    model,
    X,
    y,
    layers="auto",
    *,
    pooling=None,
    batch_size=None,
    device=None,
    preprocess=None,
    max_samples=None,
    random_state=None,
    rank_by="adjusted_shrunk",
):
    """Score layers of a network on a labelled task, all from one forward pass per batch.

    Forward hooks capture every requested layer during the same pass; each layer's pooled
    features are streamed, batch by batch, into its own
    :class:`~skhscore.HScoreStatistics` (k x k), so no n x k feature matrix is ever held,
    and memory is one batch of activations plus the statistics. With
    ``sklearn.set_config(array_api_dispatch=True)`` and a GPU ``device``, the statistics of
    each batch are taken on the device and only k x k matrices reach the host.

    Read more in the :ref:`User Guide <pretrained_networks>`.

    Parameters
    ----------
    model : torch.nn.Module, TorchFeatures or TransformerFeatures
        The network. A module is read through ``TorchFeatures(model, ...)``; an extractor
        keeps its settings except those given here, and its ``layer`` is replaced by each
        of ``layers``.
    X : array-like or sequence of shape (n_samples, ...)
        Inputs of the network (images, texts, ...).
    y : array-like of shape (n_samples,)
        Class labels.
    layers : "auto" or list, default="auto"
        Names of submodules (``TorchFeatures``) or hidden-state indices
        (``TransformerFeatures``; a tuple of indices averages those layers). "auto": for a
        torch module, its top-level stages if it has at least three ``Sequential`` children
        (ResNet's ``layer1..layer4``), otherwise the children of its largest ``Sequential``
        or ``ModuleList`` (EfficientNet's blocks, a transformer's layers); for a
        ``TransformerFeatures``, every hidden state (0 = embeddings).
    pooling, batch_size, device, preprocess : default=None
        Settings of :class:`TorchFeatures` (``preprocess`` only there); None keeps the
        extractor's (or ``TorchFeatures``'s defaults).
    max_samples : int, default=None
        Score a stratified random subsample of this many samples.
    random_state : int, RandomState instance or None, default=None
        Seed of the subsample.
    rank_by : {"adjusted_shrunk", "adjusted", "h", "shrunk"}, default="adjusted_shrunk"
        The score that orders the layers: the model-selection score of every door (the
        chance-adjusted H-score with Ledoit-Wolf shrinkage, comparable across widths, also
        for layers at least as wide as the sample), the chance-adjusted plain H-score, the
        paper's plain H-score, or the Ledoit-Wolf shrunk H-score.

    Returns
    -------
    ranking : TransferabilityRanking
        Adjusted shrunk, plain, adjusted and shrunk H, p-value, n and k of every layer;
        ``to_frame()`` and
        ``plot()``.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skhscore.nn import rank_layers
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> net = torch.nn.Sequential(
    ...     torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 8), torch.nn.ReLU()
    ... )
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> ranking = rank_layers(net, X, y, layers=["0", "1", "3"])
    >>> ranking.names
    ['0', '1', '3']
    >>> round(float(ranking.h[0]), 4)  # layer "0" is an affine map of X: H is h_score(X, y)
    1.1919
    >>> list(ranking.to_frame().columns)
    ['adjusted_shrunk', 'h', 'adjusted', 'shrunk', 'pvalue', 'n_samples', 'n_features', 'rank']
    """
    extractor = _as_extractor(model, pooling, batch_size, device, preprocess)
    extractor._check_params()
    if isinstance(layers, str):
        if layers != "auto":
            raise ValueError(f"layers must be 'auto' or a list of layers, got {layers!r}.")
        layers = extractor._auto_layers()
    layers = [tuple(layer) if isinstance(layer, list) else layer for layer in layers]
    if not layers:
        raise ValueError("layers is empty: name at least one layer.")
    if len(set(layers)) != len(layers):
        raise ValueError(f"layers lists a layer twice: {layers}.")
    X, y = _prepare(X, y, max_samples, random_state)
    statistics = dict.fromkeys(layers)
    for start, stop, pooled in extractor._pooled_batches(X, layers):
        labels = y[start:stop]
        for layer in layers:
            statistics[layer] = _add_batch(statistics[layer], pooled[layer], labels)
    return TransferabilityRanking(layers, [statistics[layer] for layer in layers], rank_by)


def rank_models(
    models,
    X,
    y,
    *,
    pooling=None,
    batch_size=None,
    device=None,
    preprocess=None,
    max_samples=None,
    random_state=None,
    rank_by="adjusted_shrunk",
):
    """Score several networks (or any feature transformers) on a labelled task.

    Each model's features are streamed batch by batch into its own statistics, as in
    :func:`rank_layers`; the same (sub)sample is used for every model.

    Read more in the :ref:`User Guide <pretrained_networks>`.

    Parameters
    ----------
    models : dict of str to model
        Name -> torch module (its output), :class:`TorchFeatures` or
        :class:`TransformerFeatures` (their ``layer``), or a fitted scikit-learn
        transformer (its ``transform``, called one batch at a time).
    X : array-like or sequence of shape (n_samples, ...)
        Inputs of the models.
    y : array-like of shape (n_samples,)
        Class labels.
    pooling, batch_size, device, preprocess : default=None
        Settings applied to the network models (see :func:`rank_layers`); ``batch_size``
        (default 256) also sets the batches of a scikit-learn transformer.
    max_samples : int, default=None
        Score a stratified random subsample of this many samples.
    random_state : int, RandomState instance or None, default=None
        Seed of the subsample.
    rank_by : {"adjusted_shrunk", "adjusted", "h", "shrunk"}, default="adjusted_shrunk"
        The score that orders the models (see :func:`rank_layers`).

    Returns
    -------
    ranking : TransferabilityRanking

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from skhscore.nn import rank_models
    >>> X, y = load_digits(return_X_y=True)
    >>> models = {"pca4": PCA(4).fit(X), "pca16": PCA(16).fit(X)}
    >>> ranking = rank_models(models, X, y, rank_by="h")
    >>> ranking.best
    'pca16'
    >>> ranking.n_features.tolist()
    [4, 16]
    """
    if not isinstance(models, dict) or not models:
        raise TypeError("models must be a non-empty dict {name: model}.")
    X, y = _prepare(X, y, max_samples, random_state)
    statistics = []
    for name, model in models.items():
        stats = None
        if hasattr(model, "transform") and not isinstance(model, FrozenNetworkFeatures):
            step = 256 if batch_size is None else batch_size
            for start in range(0, n_rows(X), step):
                stop = min(start + step, n_rows(X))
                features = model.transform(slice_rows(X, start, stop))
                stats = _add_batch(stats, features, y[start:stop])
        else:
            try:
                extractor = _as_extractor(model, pooling, batch_size, device, preprocess)
            except TypeError as exc:
                raise TypeError(
                    f"Model {name!r}: {exc} A fitted scikit-learn transformer (with a "
                    "transform method) is accepted too."
                ) from None
            extractor._check_params()
            layer = extractor._layer_spec()
            for start, stop, pooled in extractor._pooled_batches(X, [layer]):
                stats = _add_batch(stats, pooled[layer], y[start:stop])
        statistics.append(stats)
    return TransferabilityRanking(list(models), statistics, rank_by)
