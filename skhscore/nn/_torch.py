"""TorchFeatures: the pooled output of one layer of a frozen torch module."""

from collections.abc import Mapping
from numbers import Integral

import numpy as np

from skhscore._sklearn_compat import HasMethods, Interval, StrOptions
from skhscore.nn._network import (
    POOLINGS,
    FrozenNetworkFeatures,
    first_tensor,
    import_torch,
    n_rows,
    pool,
    slice_rows,
)


def _first_convolution(module):
    """The first convolution, whose in_channels tells (n, H, W, C) from (n, C, H, W)."""
    for sub in module.modules():
        if hasattr(sub, "in_channels") and type(sub).__name__.startswith("Conv"):
            return sub
    return None


def _sequences_are_channels_first(module):
    """True when the network's 3-D outputs are (n, channels, length): it has 1-D
    convolutions and nothing that works on (n, tokens, features) (attention, recurrent
    layers, embeddings). A network with both is ambiguous: refused with the fix."""
    torch = import_torch()
    convolutions = torch.nn.modules.conv._ConvNd
    token_modules = (torch.nn.MultiheadAttention, torch.nn.RNNBase, torch.nn.Embedding)
    subs = list(module.modules())
    conv1d = any(isinstance(sub, convolutions) and len(sub.kernel_size) == 1 for sub in subs)
    if not conv1d:
        return False
    if any(isinstance(sub, token_modules) for sub in subs):
        return None
    return True


def _rows_of(captured, layer, n_samples):
    """The pooled output of ``layer`` for a batch, checked: it ran, one row per sample."""
    if layer not in captured:
        raise RuntimeError(
            f"Layer {layer!r} did not run in the forward pass (a submodule the network's "
            "forward never calls): name a layer the forward pass uses."
        )
    pooled = captured[layer]
    if pooled.shape[0] != n_samples:
        raise ValueError(
            f"Layer {layer!r} gave {pooled.shape[0]} rows for a batch of {n_samples} "
            "samples: its output is not batch first (a sequence-first RNN?) or the pooling "
            "callable mixes the samples. Pass pooling= a callable that returns one row per "
            "sample."
        )
    return pooled


def _stages(module):
    """Names of the top-level blocks or stages (see ``rank_layers``'s ``layers="auto"``)."""
    torch = import_torch()
    containers = (torch.nn.Sequential, torch.nn.ModuleList)
    top = list(module.named_children())
    stages = [name for name, child in top if isinstance(child, torch.nn.Sequential)]
    if len(stages) >= 3:  # ResNet-like: layer1..layer4
        return stages
    # otherwise the children of the container that holds the most blocks (EfficientNet's
    # _blocks, a transformer's encoder.layer, a Sequential network itself)
    best, size = None, 1
    for name, sub in module.named_modules():
        if isinstance(sub, containers) and len(sub) > size:
            best, size = name, len(sub)
    if best is None:
        return [name for name, _ in top]
    prefix = f"{best}." if best else ""
    return [f"{prefix}{name}" for name, _ in dict(module.named_modules())[best].named_children()]


class TorchFeatures(FrozenNetworkFeatures):
    """Features from one layer of a frozen torch module, as a scikit-learn transformer.

    A forward hook captures the output of the layer named ``layer``; it is pooled over its
    spatial or token axes into one row per sample. Batches go through the module in eval
    mode (dropout off, BatchNorm on its running statistics) under
    :func:`torch.inference_mode`: no autograd graph is built and neither the weights nor the
    BatchNorm statistics change. Use it as a candidate of
    :class:`~skhscore.TransferabilitySelector`, in a pipeline, or with
    :func:`~skhscore.nn.rank_layers` to score every layer from one forward pass.

    Read more in the :ref:`User Guide <pretrained_networks>`.

    Parameters
    ----------
    module : torch.nn.Module
        The network. It is shared, never copied: :func:`~sklearn.base.clone` (and so
        ``GridSearchCV`` or ``cross_validate``) gives a transformer over the same module
        object, like :class:`sklearn.frozen.FrozenEstimator`, and ``fit`` never trains it.
        The module is moved to ``device`` and left there; its train/eval mode is restored
        after each call.
    layer : str, default=None
        Name of a submodule, as in ``module.named_modules()`` (``"layer3"``,
        ``"_blocks.15"``, ``"encoder.layers.1"``); its output is captured by a forward
        hook. None: the module's own output. A module the network calls more than once per
        forward pass (a shared activation) is refused.
    pooling : {"mean", "max", "first", "flatten"} or callable, default="mean"
        How a layer's output becomes one row per sample. 2-D outputs are kept as they are;
        3-D outputs are read as (n, tokens, features) (transformer encoders, batch-first
        RNNs) and pooled over the tokens, or, in a network whose convolutions are 1-D, as
        (n, channels, length) and pooled over the length (a network with both is refused:
        pass a callable); outputs with 4 or more axes as ``(n, channels, height, width,
        ...)`` (convolutions) and pooled over the spatial axes. "first" takes the first
        token (a [CLS] token) or the first position, "flatten" keeps every value. A
        callable gets the raw output (tensor, tuple, ...) and returns an (n, k) tensor.
    batch_size : int, default=64
        Samples per forward pass.
    device : str or torch.device, default="cpu"
        Where the forward passes run ("cuda", "cuda:1", "mps", ...).
    preprocess : callable, default=None
        Called on each batch of ``X`` (a slice of the array, or a list of items) and
        returning the module's input: a tensor (or array) or a mapping of them (passed as
        keyword arguments). None: ``X`` is an array or tensor; integer input is converted
        to the float type of the module (unless the module has an ``Embedding``, which
        takes integer ids), (n, H, W, C) images become (n, C, H, W) when the module's
        first convolution expects C channels, and grayscale (n, H, W) images become
        (n, 1, H, W) when it is 2-D and expects one channel.

    Attributes
    ----------
    n_features_out_ : int
        Number of output features (set by :meth:`fit`).

    See Also
    --------
    TransformerFeatures : hidden states of a Hugging Face transformers model from texts.
    rank_layers : every layer of a network scored from one forward pass.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skhscore.nn import TorchFeatures
    >>> net = torch.nn.Sequential(
    ...     torch.nn.Conv2d(3, 8, 3), torch.nn.ReLU(), torch.nn.Conv2d(8, 4, 3)
    ... )
    >>> images = np.random.default_rng(0).integers(0, 256, size=(10, 16, 16, 3))
    >>> TorchFeatures(net, layer="1").fit_transform(images).shape  # after the ReLU
    (10, 8)
    >>> TorchFeatures(net, pooling="flatten").fit(images).n_features_out_  # 4 x 12 x 12
    576
    """

    _network_param = "module"
    _parameter_constraints = {
        "module": [HasMethods(["named_modules", "forward"])],
        "layer": [str, None],
        "pooling": [StrOptions(set(POOLINGS)), callable],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str, object],
        "preprocess": [callable, None],
    }

    def __init__(
        self, module, layer=None, *, pooling="mean", batch_size=64, device="cpu", preprocess=None
    ):
        self.module = module
        self.layer = layer
        self.pooling = pooling
        self.batch_size = batch_size
        self.device = device
        self.preprocess = preprocess

    def _check_params(self):
        torch = import_torch()
        if not isinstance(self.module, torch.nn.Module):
            raise TypeError(
                f"module must be a torch.nn.Module, got {type(self.module).__name__}. For a "
                "Hugging Face model with a tokenizer, use skhscore.nn.TransformerFeatures."
            )
        self._validate_params()

    def _layer_spec(self):
        return self.layer

    def _auto_layers(self):
        return _stages(self.module)

    def _check_layers(self, layers):
        names = dict(self.module.named_modules())
        for layer in layers:
            if layer is not None and layer not in names:
                shown = [n for n in names if n][:12]
                raise ValueError(
                    f"layer {layer!r} is not a submodule of {type(self.module).__name__}; "
                    f"names are as in module.named_modules(), e.g. {shown}."
                )
        return names

    def _to_input(self, rows, torch, device, dtype):
        batch = rows if self.preprocess is None else self.preprocess(rows)
        if isinstance(batch, Mapping):
            return {
                key: self._to_tensor(value, torch, device, dtype) for key, value in batch.items()
            }
        tensor = self._to_tensor(batch, torch, device, dtype)
        conv = _first_convolution(self.module) if self.preprocess is None else None
        channels = getattr(conv, "in_channels", None)
        if conv is not None and tensor.ndim == 4:
            if tensor.shape[1] != channels == tensor.shape[3]:
                tensor = tensor.permute(0, 3, 1, 2)  # (n, H, W, C) -> (n, C, H, W)
        elif conv is not None and tensor.ndim == 3 and channels == 1:
            if len(getattr(conv, "kernel_size", ())) == 2:
                tensor = tensor.unsqueeze(1)  # grayscale (n, H, W) -> (n, 1, H, W)
        return tensor

    def _to_tensor(self, value, torch, device, dtype):
        if not isinstance(value, torch.Tensor):
            try:
                value = torch.as_tensor(np.asarray(value))
            except (TypeError, ValueError) as exc:
                raise TypeError(self._not_a_tensor_message(value, exc)) from exc
        if value.is_floating_point() or (self.preprocess is None and not self._takes_ids()):
            value = value.to(dtype)  # float64 arrays and integer images: the module's type
        return value.to(device)

    def _not_a_tensor_message(self, value, exc):
        first = value[0] if isinstance(value, (list, tuple)) and value else value
        what = f"a batch of {type(first).__name__} items" if first is not value else "a batch"
        if self.preprocess is not None:
            return (
                f"preprocess returned {what} that is not a tensor nor an array of numbers "
                f"({exc}): make it return the module's input (a tensor, an array, or a "
                "mapping of them)."
            )
        return (
            f"TorchFeatures cannot make a tensor of {what} ({exc}). X must be numbers: an "
            "array or tensor of images (n, C, H, W) or (n, H, W, C), or of the module's "
            "inputs. For other items (texts, file names, images of different sizes) pass "
            "preprocess= a callable that turns a batch of them into the module's input; "
            "for texts and a Hugging Face model, use skhscore.nn.TransformerFeatures."
        )

    def _takes_ids(self):
        torch = import_torch()
        return any(isinstance(sub, torch.nn.Embedding) for sub in self.module.modules())

    def _pooled_batches(self, X, layers):
        torch = import_torch()
        module = self.module
        names = self._check_layers(layers)
        module.to(self.device)
        first_param = next(module.parameters(), None)
        dtype = torch.get_default_dtype() if first_param is None else first_param.dtype
        captured, hooks = {}, []
        channels_first = _sequences_are_channels_first(module)

        def pooled(output):
            ambiguous = channels_first is None and not callable(self.pooling)
            if ambiguous and first_tensor(output).ndim == 3:
                raise ValueError(
                    f"A layer gave a 3-D output, and {type(module).__name__} has both 1-D "
                    "convolutions, whose outputs are (n, channels, length), and token "
                    "layers, whose outputs are (n, tokens, features): pass pooling= a "
                    "callable that says which axis to pool, e.g. lambda out: "
                    "out.mean(dim=2) for (n, channels, length)."
                )
            return pool(output, self.pooling, channels_first=bool(channels_first))

        def hook_for(layer):
            def hook(_module, _inputs, output):
                if layer in captured:
                    raise RuntimeError(
                        f"Layer {layer!r} ran more than once in one forward pass (a module "
                        "the network reuses, such as a shared activation): name a module "
                        "that runs once, e.g. the block that contains it."
                    )
                captured[layer] = pooled(output)

            return hook

        was_training = module.training
        try:
            module.eval()
            for layer in dict.fromkeys(layers):
                if layer is not None:
                    hooks.append(names[layer].register_forward_hook(hook_for(layer)))
            total = n_rows(X)
            with torch.inference_mode():
                for start in range(0, total, self.batch_size):
                    stop = min(start + self.batch_size, total)
                    batch = self._to_input(slice_rows(X, start, stop), torch, self.device, dtype)
                    captured.clear()
                    output = module(**batch) if isinstance(batch, Mapping) else module(batch)
                    if None in layers:
                        captured[None] = pooled(output)
                    rows = {layer: _rows_of(captured, layer, stop - start) for layer in layers}
                    yield start, stop, rows
        finally:
            for handle in hooks:
                handle.remove()
            module.train(was_training)
