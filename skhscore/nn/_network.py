"""What every frozen network extractor shares: batching, pooling, cloning, the transformer API.

Torch is imported only when a network runs (:func:`import_torch`), so ``import skhscore.nn``
costs nothing without it.
"""

import numbers
from collections.abc import Mapping

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, clone

from skhscore._validation import is_torch_tensor, untracked_tensor

#: Pooling names; a callable (tensor -> (n, k) tensor) is accepted too.
POOLINGS = ("mean", "max", "first", "flatten")


def import_optional(name, extra):
    """Import ``name``, or raise an ImportError that names the extra that installs it."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            f"This part of skhscore.nn needs {name}: python -m pip install 'skhscore[{extra}]'."
        ) from exc


def import_torch():
    """``torch``, or an ImportError that says how to install it."""
    return import_optional("torch", "torch")


def first_tensor(output):
    """The tensor in what a module returns: itself, the first of a tuple, the first value
    of a mapping (a Hugging Face ``ModelOutput``'s ``last_hidden_state``)."""
    while not hasattr(output, "ndim"):
        if isinstance(output, Mapping):
            output = next(iter(output.values()))
        elif isinstance(output, (tuple, list)) and output:
            output = output[0]
        else:
            raise TypeError(
                f"The layer returned a {type(output).__name__}, not a tensor (nor a tuple or "
                "mapping holding one): pass pooling= a callable that turns it into an "
                "(n_samples, n_features) tensor."
            )
    return output


def pool(output, pooling, *, channels_first=False):
    """Reduce a layer's output to one row per sample.

    2-D outputs are kept; 3-D outputs are read as (n, tokens, features), as transformer
    encoders and batch-first RNNs give them, and pooled over the tokens (with
    ``channels_first``, as (n, channels, length), as 1-D convolutions give them, and pooled
    over the length); outputs of 4 or more dimensions as (n, channels, ...spatial), as
    convolutions give them, and pooled over the spatial axes. "first" is the first token
    (a [CLS] token) or the first position; "flatten" keeps every value.
    """
    if callable(pooling):
        pooled = pooling(output)
        if getattr(pooled, "ndim", None) != 2:
            raise ValueError(
                "The pooling callable must return an (n_samples, n_features) tensor, got "
                f"shape {tuple(getattr(pooled, 'shape', ()))}."
            )
        return pooled
    tensor = first_tensor(output)
    if tensor.ndim == 1:
        return tensor.reshape(-1, 1)
    if tensor.ndim == 2:
        return tensor
    if pooling == "flatten":
        return tensor.reshape(tensor.shape[0], -1)
    # the axes to pool over, as one: tokens (axis 1) or every spatial axis (2 onwards)
    tokens_first = tensor.ndim == 3 and not channels_first
    positions = tensor if tokens_first else tensor.flatten(2).transpose(1, 2)
    if pooling == "mean":
        return positions.mean(dim=1)
    if pooling == "max":
        return positions.amax(dim=1)
    return positions[:, 0]  # "first"


def n_rows(X):
    shape = getattr(X, "shape", None)
    return int(shape[0]) if shape is not None else len(X)


def take_rows(X, indices):
    """Rows ``indices`` of arrays, tensors, data frames, lists of texts or of images."""
    if hasattr(X, "iloc"):
        return X.iloc[indices]
    if isinstance(X, (list, tuple)):
        return [X[i] for i in indices]
    if is_torch_tensor(X):
        return X[import_torch().as_tensor(np.asarray(indices))]
    return X[np.asarray(indices)]


def slice_rows(X, start, stop):
    return X.iloc[start:stop] if hasattr(X, "iloc") else X[start:stop]


def check_positive_int(value, name):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")


class FrozenNetworkFeatures(TransformerMixin, BaseEstimator):
    """A frozen network as a transformer: subclasses say how a batch becomes pooled features.

    A subclass implements ``_check_params()``, ``_network()`` (the object that holds the
    weights, shared and never copied by :func:`~sklearn.base.clone`), ``_auto_layers()``
    and ``_pooled_batches(X, layers)``, a generator of ``(start, stop, {layer: (n, k)
    tensor})`` that runs the network once per batch for every layer requested.
    """

    def __sklearn_clone__(self):
        # clone the settings, share the network: its weights are never copied (a 2 GB model
        # in a 5-fold GridSearchCV would otherwise be deep-copied for every fit)
        params = self.get_params(deep=False)
        network_param = self._network_param
        shared = params.pop(network_param)
        params = {name: clone(value, safe=False) for name, value in params.items()}
        return type(self)(**{network_param: shared}, **params)

    def __sklearn_is_fitted__(self):
        return True  # frozen: nothing is learnt from data, transform works without fit

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        return tags

    def fit(self, X, y=None):
        """Check the parameters and record the output width; the weights are not touched.

        Like :class:`sklearn.frozen.FrozenEstimator`, fitting learns nothing: the network
        keeps its weights (and BatchNorm statistics) whatever the data. One sample goes
        through the network to learn the number of output features.

        Parameters
        ----------
        X : array-like or sequence of shape (n_samples, ...)
            Inputs of the network.
        y : None
            Ignored.

        Returns
        -------
        self : object
            This transformer.
        """
        self._check_params()
        if n_rows(X) < 1:
            raise ValueError("X is empty: pass at least one sample.")
        first = next(self._pooled_batches(slice_rows(X, 0, 1), [self._layer_spec()]))
        self.n_features_out_ = int(next(iter(first[2].values())).shape[1])
        return self

    def transform(self, X):
        """Pooled features of ``X``, computed batch by batch without gradients.

        Parameters
        ----------
        X : array-like or sequence of shape (n_samples, ...)
            Inputs of the network.

        Returns
        -------
        features : ndarray of shape (n_samples, n_features_out), dtype float32
            The pooled output of the layer for every sample.
        """
        self._check_params()
        layer = self._layer_spec()
        parts = [
            untracked_tensor(pooled[layer]).astype(np.float32, copy=False)
            for _, _, pooled in self._pooled_batches(X, [layer])
        ]
        if not parts:
            raise ValueError("X is empty: pass at least one sample.")
        return np.concatenate(parts, axis=0)

    def get_feature_names_out(self, input_features=None):
        """Names ``<layer>_<i>`` of the output features.

        Parameters
        ----------
        input_features : None
            Ignored (the input of a network has no column names).

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        if not hasattr(self, "n_features_out_"):
            raise AttributeError(
                f"The output width of this {type(self).__name__} is learnt by fit: call "
                "fit(X) (it does not change the network) before get_feature_names_out."
            )
        prefix = self._layer_name(self._layer_spec())
        return np.asarray([f"{prefix}_{i}" for i in range(self.n_features_out_)], dtype=object)

    @staticmethod
    def _layer_name(layer):
        if layer is None:
            return "output"
        if isinstance(layer, (tuple, list)):
            return "mean(" + ",".join(str(i) for i in layer) + ")"
        return str(layer)

    def _shared_forward_key(self):
        """Candidates with equal keys get every layer from one forward pass (the selector).

        The network (by identity) and every setting but the layer.
        """
        params = self.get_params(deep=False)
        network = params.pop(self._network_param)
        params.pop("layer")
        return (type(self), id(network), repr(sorted(params.items())))
