"""skhscore.nn on small networks built here: exact features, frozen weights, one pass."""

import subprocess
import sys
import tracemalloc
from collections import OrderedDict

import numpy as np
import pytest
from sklearn.base import clone

from skhscore import h_score, h_score_test

torch = pytest.importorskip("torch")
nn = torch.nn
# tiny networks: one intra-op thread avoids spin-waiting on shared cores (100x here)
torch.set_num_threads(1)

from skhscore.nn import TorchFeatures, rank_layers, rank_models  # noqa: E402

POOLINGS = ["mean", "max", "first", "flatten"]


def conv_net(seed=0):
    """A conv net with BatchNorm and dropout whose running statistics are not trivial."""
    torch.manual_seed(seed)
    net = nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(3, 6, 3, padding=1),
            bn1=nn.BatchNorm2d(6),
            relu1=nn.ReLU(),
            drop=nn.Dropout(0.5),
            block=nn.Sequential(nn.Conv2d(6, 8, 3), nn.BatchNorm2d(8), nn.ReLU()),
            pool=nn.AdaptiveAvgPool2d(2),
            flat=nn.Flatten(),
            fc=nn.Linear(32, 5),
        )
    )
    net.train()
    with torch.no_grad():
        for _ in range(3):  # move the running statistics away from 0 and 1
            net(torch.randn(16, 3, 10, 10) * 2 + 1)
    return net


def images(n=37, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    X = (rng.normal(size=(n, 3, 10, 10)) + y[:, None, None, None] * 0.3).astype(np.float32)
    return X, y


def by_hand(net, X, layer):
    """The output of ``layer`` for X, running the Sequential's children one by one."""
    net.eval()
    x = torch.as_tensor(X)
    with torch.no_grad():
        for name, child in net.named_children():
            x = child(x)
            if name == layer:
                return x
    raise KeyError(layer)


def pooled_by_hand(x, pooling):
    if pooling == "flatten":
        return x.reshape(x.shape[0], -1).numpy()
    if x.ndim == 3:  # (n, tokens, features)
        positions = x
    else:  # (n, C, H, W) -> (n, H*W, C)
        positions = x.reshape(x.shape[0], x.shape[1], -1).transpose(1, 2)
    if pooling == "mean":
        return positions.mean(dim=1).numpy()
    if pooling == "max":
        return positions.max(dim=1).values.numpy()
    return positions[:, 0].numpy()


def checksum(net):
    return {name: value.detach().clone() for name, value in net.state_dict().items()}


def assert_unchanged(before, net):
    after = net.state_dict()
    assert before.keys() == after.keys()
    for name, value in before.items():
        assert torch.equal(value, after[name]), name


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("layer", ["relu1", "drop", "block", "fc"])
def test_conv_features_equal_hook_output_by_hand(layer, pooling):
    net = conv_net()
    X, _ = images()
    expected = pooled_by_hand(by_hand(net, X, layer), pooling)
    features = TorchFeatures(net, layer, pooling=pooling, batch_size=8).fit_transform(X)
    assert features.dtype == np.float32
    np.testing.assert_allclose(features, expected, rtol=1e-5, atol=1e-6)


def test_module_output_and_channels_last_images():
    net = conv_net()
    X, _ = images()
    expected = by_hand(net, X, "fc").numpy()
    np.testing.assert_allclose(TorchFeatures(net).transform(X), expected, rtol=1e-5, atol=1e-6)
    channels_last = np.ascontiguousarray(X.transpose(0, 2, 3, 1))
    np.testing.assert_allclose(
        TorchFeatures(net).transform(channels_last), expected, rtol=1e-5, atol=1e-6
    )
    as_tensor = TorchFeatures(net).transform(torch.as_tensor(X))
    np.testing.assert_allclose(as_tensor, expected, rtol=1e-5, atol=1e-6)


def test_grayscale_images_get_their_channel_axis():
    from sklearn.datasets import load_digits

    images_8x8 = load_digits().images[:20].astype(np.float32)  # (n, H, W)
    torch.manual_seed(1)
    net = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU())
    with torch.no_grad():
        expected = net(torch.as_tensor(images_8x8[:, None])).mean(dim=(2, 3)).numpy()
    got = TorchFeatures(net).fit_transform(images_8x8)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_preprocess_turns_a_list_into_a_batch():
    net = conv_net()
    X, _ = images(9)
    items = [x * 10 for x in X]  # a list of arrays, scaled
    extractor = TorchFeatures(
        net, "block", preprocess=lambda batch: np.stack(batch) / 10, batch_size=4
    )
    np.testing.assert_allclose(
        extractor.transform(items), TorchFeatures(net, "block").transform(X), rtol=1e-5
    )


@pytest.mark.parametrize("pooling", POOLINGS)
def test_features_do_not_depend_on_batch_size(pooling):
    net = conv_net()
    X, _ = images(23)
    reference = TorchFeatures(net, "block", pooling=pooling, batch_size=23).transform(X)
    for batch_size in (1, 5, 64):
        features = TorchFeatures(net, "block", pooling=pooling, batch_size=batch_size)
        np.testing.assert_allclose(features.transform(X), reference, rtol=1e-5, atol=1e-6)


def test_weights_and_batchnorm_statistics_unchanged_and_mode_restored():
    net = conv_net()
    net.train()  # the caller's mode: dropout and BatchNorm updates would be on
    before = checksum(net)
    X, y = images()
    TorchFeatures(net, "block").fit(X, y).transform(X)
    rank_layers(net, X, y, layers=["bn1", "drop", "block"], batch_size=10)
    assert_unchanged(before, net)
    assert net.training
    assert all(p.grad is None for p in net.parameters())


def test_no_autograd_graph_is_built():
    net = conv_net()
    X, _ = images(12)
    seen = []

    def spy(output):
        seen.append((output.requires_grad, output.grad_fn, torch.is_inference(output)))
        return output.mean(dim=(2, 3))

    TorchFeatures(net, "block", pooling=spy, batch_size=5).transform(X)
    assert len(seen) == 3
    assert all(not grad and fn is None and inference for grad, fn, inference in seen)


def test_clone_shares_the_module_and_copies_settings():
    net = conv_net()
    extractor = TorchFeatures(net, "block", pooling="max", batch_size=3)
    twin = clone(extractor)
    assert twin.module is net
    assert twin.get_params(deep=False) == extractor.get_params(deep=False)
    twin.set_params(layer="relu1")
    assert extractor.layer == "block"


def test_feature_names_and_errors():
    net = conv_net()
    X, _ = images(4)
    extractor = TorchFeatures(net, "block").fit(X)
    assert extractor.n_features_out_ == 8
    assert list(extractor.get_feature_names_out()[:2]) == ["block_0", "block_1"]
    with pytest.raises(ValueError, match="not a submodule"):
        TorchFeatures(net, "nope").transform(X)
    with pytest.raises(ValueError, match="pooling"):
        TorchFeatures(net, pooling="median").transform(X)
    with pytest.raises(ValueError, match="batch_size"):
        TorchFeatures(net, batch_size=0).transform(X)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        TorchFeatures("not a module").transform(X)
    with pytest.raises(AttributeError, match="call fit"):
        TorchFeatures(net).get_feature_names_out()


def test_inputs_that_are_not_numbers_ask_for_preprocess():
    net = nn.Sequential(nn.Linear(4, 3))
    for X in (["a text", "another"], [np.zeros(4), np.zeros(5)]):
        with pytest.raises(TypeError, match="str items|ndarray items") as info:
            TorchFeatures(net).fit_transform(X)
        assert "pass preprocess=" in str(info.value)
    with pytest.raises(TypeError, match="preprocess returned a batch of str items"):
        TorchFeatures(net, preprocess=list).fit(["a text", "another"])


def test_a_module_that_runs_twice_is_refused():
    act = nn.ReLU()
    net = nn.Sequential(nn.Linear(4, 4), act, nn.Linear(4, 4), act)
    with pytest.raises(RuntimeError, match="more than once"):
        TorchFeatures(net, "1").transform(np.zeros((3, 4), dtype=np.float32))


@pytest.mark.parametrize("pooling", ["mean", "max", "first"])
def test_one_dimensional_convolutions_pool_over_the_length(pooling):
    # (n, channels, length): the channels are the features, whatever the layer
    torch.manual_seed(3)
    net = nn.Sequential(nn.Conv1d(2, 7, 3), nn.ReLU(), nn.Conv1d(7, 5, 3))
    X = np.random.default_rng(3).normal(size=(9, 2, 20)).astype(np.float32)
    with torch.no_grad():
        hidden = net[1](net[0](torch.as_tensor(X))).numpy()
    expected = {"mean": hidden.mean(axis=2), "max": hidden.max(axis=2)}
    expected["first"] = hidden[:, :, 0]
    got = TorchFeatures(net, "1", pooling=pooling).fit_transform(X)
    np.testing.assert_allclose(got, expected[pooling], rtol=1e-6, atol=1e-6)


def test_one_dimensional_convolutions_and_tokens_ask_for_a_pooling_callable():
    class TextCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed, self.conv = nn.Embedding(20, 6), nn.Conv1d(6, 4, 3)

        def forward(self, ids):
            return self.conv(self.embed(ids).transpose(1, 2))

    ids = np.random.default_rng(0).integers(0, 20, size=(5, 9))
    with pytest.raises(ValueError, match="pass pooling= a callable"):
        TorchFeatures(TextCNN(), "conv").fit(ids)
    features = TorchFeatures(TextCNN(), "conv", pooling=lambda out: out.mean(dim=2))
    assert features.fit_transform(ids).shape == (5, 4)


def test_a_layer_that_does_not_run_or_mixes_the_samples_is_refused():
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.used, self.unused = nn.Linear(4, 3), nn.Linear(4, 3)

        def forward(self, x):
            return self.used(x)

    X = np.zeros((6, 4), dtype=np.float32)
    with pytest.raises(RuntimeError, match="did not run in the forward pass"):
        TorchFeatures(TwoHeads(), "unused").transform(X)
    with pytest.raises(ValueError, match="gave 9 rows for a batch of 3 samples"):
        mixing = TorchFeatures(TwoHeads(), "used", pooling=lambda out: out.reshape(-1, 1))
        mixing.set_params(batch_size=3).transform(X)


class TinyEncoder(nn.Module):
    """Token ids -> embeddings -> a 3-layer transformer encoder (batch first)."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)

    def forward(self, ids):
        return self.encoder(self.embed(ids))


def tokens(n=41, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    ids = rng.integers(0, 50, size=(n, 7))
    ids[:, 0] = 10 + y  # the label leaks through the first token
    return ids, y


@pytest.mark.parametrize("pooling", POOLINGS)
def test_transformer_encoder_layers_equal_by_hand(pooling):
    torch.manual_seed(1)
    net = TinyEncoder()
    ids, _ = tokens()
    net.eval()
    with torch.no_grad():
        x = net.embed(torch.as_tensor(ids))
        by_layer = {"embed": x}
        for i, layer in enumerate(net.encoder.layers):
            x = layer(x)
            by_layer[f"encoder.layers.{i}"] = x
    for name, output in by_layer.items():
        features = TorchFeatures(net, name, pooling=pooling, batch_size=6).transform(ids)
        expected = pooled_by_hand(output, pooling)
        np.testing.assert_allclose(features, expected, rtol=1e-4, atol=1e-5)


def test_auto_layers_are_the_blocks():
    net = TinyEncoder()
    ids, y = tokens()
    ranking = rank_layers(net, ids, y)
    assert ranking.names == [f"encoder.layers.{i}" for i in range(3)]
    resnet_like = nn.Sequential(
        OrderedDict(
            stem=nn.Conv2d(3, 4, 1),
            layer1=nn.Sequential(nn.Conv2d(4, 4, 1)),
            layer2=nn.Sequential(nn.Conv2d(4, 4, 1)),
            layer3=nn.Sequential(nn.Conv2d(4, 4, 1)),
        )
    )
    X, y = images(20)
    assert rank_layers(resnet_like, X, y).names == ["layer1", "layer2", "layer3"]


def _counting(net):
    calls = []
    net.register_forward_pre_hook(lambda module, args: calls.append(args[0].shape[0]))
    return calls


@pytest.mark.parametrize("batch_size", [7, 64])
def test_rank_layers_equals_scores_of_hand_extracted_features(batch_size):
    net = conv_net()
    X, y = images(45)
    layers = ["conv1", "bn1", "relu1", "block", "flat", "fc"]
    calls = _counting(net)
    ranking = rank_layers(net, X, y, layers, batch_size=batch_size, rank_by="h")
    assert len(calls) == -(-45 // batch_size)  # one forward pass per batch, all layers
    for i, layer in enumerate(layers):
        features = pooled_by_hand(by_hand(net, X, layer), "mean")
        assert ranking.h[i] == pytest.approx(h_score(features, y), rel=1e-8, abs=1e-10)
        assert ranking.adjusted[i] == pytest.approx(
            h_score(features, y, adjusted=True), rel=1e-8, abs=1e-10
        )
        assert ranking.adjusted_shrunk[i] == pytest.approx(
            h_score(features, y, shrinkage="auto", adjusted=True), rel=1e-8, abs=1e-10
        )
        assert ranking.shrunk[i] == pytest.approx(
            h_score(features, y, shrinkage="auto"), rel=1e-8, abs=1e-10
        )
        assert ranking.pvalue[i] == pytest.approx(h_score_test(features, y).pvalue, rel=1e-6)
        assert ranking.n_features[i] == features.shape[1]
        assert ranking.n_samples[i] == 45


def test_ranking_order_table_and_rank_by():
    net = conv_net()
    X, y = images(40)
    layers = ["relu1", "block", "fc"]
    for rank_by in ("adjusted_shrunk", "adjusted", "h", "shrunk"):
        ranking = rank_layers(net, X, y, layers, rank_by=rank_by)
        scores = getattr(ranking, rank_by)
        assert ranking.best == layers[int(np.argmax(scores))]
        assert list(ranking.order) == sorted(range(3), key=lambda i: -scores[i])
    pd = pytest.importorskip("pandas")
    frame = rank_layers(net, X, y, layers).to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert list(frame["rank"]) == [1, 2, 3]
    assert frame["adjusted_shrunk"].is_monotonic_decreasing  # the default rank_by
    with pytest.raises(ValueError, match="rank_by"):
        rank_layers(net, X, y, layers, rank_by="best")


def test_max_samples_draws_a_stratified_subsample():
    net = conv_net()
    X, y = images(60)
    ranking = rank_layers(net, X, y, ["block"], max_samples=30, random_state=0)
    assert ranking.n_samples[0] == 30
    again = rank_layers(net, X, y, ["block"], max_samples=30, random_state=0)
    assert again.h[0] == ranking.h[0]
    counts = np.bincount(y, minlength=3) / 60
    sub = ranking.statistics[0].class_weights_ / 30
    np.testing.assert_allclose(sub, counts, atol=1 / 30 + 1e-12)


def test_rank_layers_memory_does_not_grow_with_the_layers():
    # many samples, narrow layers: a held n x k matrix per layer would dominate the peak
    torch.manual_seed(0)
    width, n, batch = 8, 40_000, 1000
    blocks = [nn.Sequential(nn.Linear(width, width), nn.ReLU()) for _ in range(6)]
    net = nn.Sequential(nn.Linear(4, width), *blocks)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=n)

    def peak(layers):
        rank_layers(net, X[:batch], y[:batch], layers, batch_size=batch)  # warm caches
        tracemalloc.start()
        rank_layers(net, X, y, layers, batch_size=batch)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    one, six = peak(["1"]), peak([str(i) for i in range(1, 7)])
    held_features = n * width * 4  # what one more layer's float32 features would cost
    assert six - one < held_features / 4
    assert six - one < 5 * (batch * width * 8 + 64 * 1024)  # a batch and statistics a layer


def test_rank_models_scores_each_model_like_h_score():
    from sklearn.decomposition import PCA

    net = conv_net()
    X, y = images(40)
    flat = X.reshape(40, -1)
    pca = PCA(5).fit(flat)
    ranking = rank_models({"net": net, "block": TorchFeatures(net, "block")}, X, y, batch_size=16)
    assert ranking.names == ["net", "block"]
    assert ranking.h[0] == pytest.approx(h_score(by_hand(net, X, "fc").numpy(), y), rel=1e-8)
    block = pooled_by_hand(by_hand(net, X, "block"), "mean")
    assert ranking.h[1] == pytest.approx(h_score(block, y), rel=1e-8)
    # a scikit-learn transformer gets the inputs as they are: here 4-D, so flatten first
    flat_ranking = rank_models({"pca": pca}, flat, y)
    assert flat_ranking.h[0] == pytest.approx(h_score(pca.transform(flat), y), rel=1e-8)


def test_rank_models_names_what_a_model_may_be():
    X, y = images(6)
    with pytest.raises(TypeError, match="Model 'odd'.*fitted scikit-learn transformer"):
        rank_models({"odd": object()}, X, y)


def test_plot_draws_the_layers_in_order():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    net = conv_net()
    X, y = images(30)
    ranking = rank_layers(net, X, y, ["relu1", "block", "fc"])
    display = ranking.plot(score="h")
    np.testing.assert_allclose(display.line_.get_ydata(), ranking.h)
    assert display.best_index_ == int(np.argmax(ranking.h))
    assert [t.get_text() for t in display.ax_.get_xticklabels()] == ["relu1", "block", "fc"]


def test_import_skhscore_does_not_import_torch():
    code = (
        "import sys, skhscore, skhscore.nn; "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_device_path_takes_the_statistics_in_the_array_namespace(monkeypatch):
    # device="cuda" runs this code path: under array_api_dispatch each batch's statistics are
    # taken on the features' device (here the CPU) and only k x k matrices reach the host
    import sklearn

    from skhscore.nn import _ranking

    net = conv_net()
    X, y = images(45)
    layers = ["relu1", "block", "fc"]
    expected = rank_layers(net, X, y, layers, batch_size=20)
    seen = []
    original = _ranking.array_api_statistics

    def counted(features, labels, *args, **kwargs):
        seen.append((type(features).__module__.split(".")[0], features.requires_grad))
        return original(features, labels, *args, **kwargs)

    monkeypatch.setattr(_ranking, "array_api_statistics", counted)
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    with sklearn.config_context(array_api_dispatch=True):
        on_device = rank_layers(net, X, y, layers, batch_size=20, device="cpu")
    assert seen == [("torch", False)] * 9  # 3 batches x 3 layers, tensors without autograd
    for name in ("adjusted_shrunk", "h", "adjusted", "shrunk", "pvalue"):
        np.testing.assert_allclose(getattr(on_device, name), getattr(expected, name), rtol=1e-9)


def test_every_subpackage_ships():
    # pyproject lists packages by pattern, so skhscore.nn (and any later subpackage) ships
    from pathlib import Path

    tomllib = pytest.importorskip("tomllib")
    from setuptools import find_packages

    root = Path(__file__).resolve().parents[1]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    found = set(find_packages(str(root), include=include))
    packages = {
        ".".join(path.relative_to(root).parts[:-1])
        for path in (root / "skhscore").rglob("__init__.py")
    }
    assert "skhscore.nn" in packages
    assert packages <= found
