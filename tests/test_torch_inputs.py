"""Torch tensors at every entry point: gradients, half precision, the array-API path."""

import numpy as np
import pytest
import sklearn
from sklearn.preprocessing import FunctionTransformer

from skhscore import (
    HScoreFeatureSelector,
    HScoreScorer,
    IncrementalHScore,
    gbc_score,
    h_score,
    h_score_test,
    leep_score,
    logme_score,
    transrate_score,
)

torch = pytest.importorskip("torch")


def _task(seed=0, n=120, k=5, n_classes=3):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, size=n)
    X = rng.normal(size=(n, k)) + 0.7 * y[:, None] * rng.normal(size=k)
    return X.astype(np.float32), y


def _tracking(X):
    # what model(x) returns: a tensor that is part of an autograd graph
    weight = torch.eye(X.shape[1], requires_grad=True)
    return torch.as_tensor(X) @ weight


METRICS = {
    "h_score": h_score,
    "h_score_shrunk": lambda X, y: h_score(X, y, shrinkage="auto"),
    "h_score_adjusted": lambda X, y: h_score(X, y, adjusted=True),
    "h_score_test": lambda X, y: h_score_test(X, y).pvalue,
    "logme_score": logme_score,
    "gbc_score": gbc_score,
    "transrate_score": transrate_score,
    "partial_fit": lambda X, y: IncrementalHScore().partial_fit(X, y).score_,
    "incremental_score": lambda X, y: IncrementalHScore().partial_fit(X, y).score(X, y),
}


@pytest.mark.parametrize("name", sorted(METRICS))
def test_grad_tracking_tensor_equals_detached_numpy(name):
    X, y = _task()
    tensor = _tracking(X)
    assert tensor.requires_grad
    metric = METRICS[name]
    assert metric(tensor, y) == pytest.approx(metric(tensor.detach().numpy(), y), rel=1e-12)
    assert tensor.grad_fn is not None  # the caller's tensor is left as it was


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("name", ["h_score", "h_score_shrunk", "logme_score", "partial_fit"])
def test_half_precision_tensor_equals_its_float32_values(name, dtype):
    X, y = _task(1)
    half = _tracking(X).to(getattr(torch, dtype))
    reference = half.detach().float().numpy()  # the same values, widened exactly
    metric = METRICS[name]
    assert metric(half, y) == pytest.approx(metric(reference, y), rel=1e-12)


def test_scorer_reads_tensor_features_of_a_transformer():
    X, y = _task(2)
    to_tensor = FunctionTransformer(lambda a: _tracking(np.asarray(a, dtype=np.float32)))
    to_tensor.fit(X)
    expected = h_score(X, y, shrinkage="auto", adjusted=True)  # the scorer's default score
    assert HScoreScorer()(to_tensor, X, y) == pytest.approx(expected, rel=1e-12)


@pytest.fixture
def dispatch(monkeypatch):
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    with sklearn.config_context(array_api_dispatch=True):
        yield


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_array_api_path_takes_tracking_and_half_tensors(dispatch, dtype):
    X, y = _task(3)
    tensor = _tracking(X).to(getattr(torch, dtype))
    reference = tensor.detach().float().numpy()
    with sklearn.config_context(array_api_dispatch=False):
        expected = h_score(reference, y)
    assert h_score(tensor, y) == pytest.approx(expected, rel=1e-10)


def test_labels_weights_and_targets_may_be_tracking_or_half_tensors():
    # what a network computes next to the features: labels, weights, a regression target
    X, y = _task(4)
    w = np.random.default_rng(4).uniform(0.5, 2.0, size=y.shape[0])
    labels = [
        torch.as_tensor(y),
        torch.as_tensor(y, dtype=torch.float32).requires_grad_() * 1,
        torch.as_tensor(y).to(torch.bfloat16),
    ]
    for metric in (h_score, logme_score, lambda X, y: h_score_test(X, y).pvalue):
        for t in labels:
            assert metric(X, t) == pytest.approx(metric(X, y), rel=1e-12)
    for t in labels:
        model = IncrementalHScore().partial_fit(X, t, classes=t.unique())
        assert model.score_ == pytest.approx(h_score(X, y), rel=1e-12)
        assert model.score(X, t) == pytest.approx(h_score(X, y), rel=1e-12)
    weights = torch.as_tensor(w).requires_grad_() * 1
    assert h_score(X, y, sample_weight=weights) == pytest.approx(
        h_score(X, y, sample_weight=w), rel=1e-12
    )
    target = _tracking(X[:, :2] + 0.5)
    expected = h_score(X, target.detach().numpy(), target="regression")
    assert h_score(X, target, target="regression") == pytest.approx(expected, rel=1e-12)
    half = target.to(torch.bfloat16)
    expected = h_score(X, half.detach().float().numpy(), target="regression")
    assert h_score(X, half, target="regression") == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16"])
def test_feature_selector_fits_and_transforms_tracking_and_half_tensors(dtype):
    X, y = _task(5, k=6)
    tensor = _tracking(X).to(getattr(torch, dtype))
    values = tensor.detach().float().numpy()  # the same values, widened exactly
    expected = HScoreFeatureSelector(n_features_to_select=3).fit(values, y)
    fitted = HScoreFeatureSelector(n_features_to_select=3).fit(tensor, torch.as_tensor(y))
    np.testing.assert_array_equal(fitted.support_, expected.support_)
    np.testing.assert_array_equal(fitted.transform(tensor), values[:, expected.support_])


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_leep_takes_half_precision_probabilities(dtype):
    # a bfloat16 softmax sums to 1 only to ~2^-8: its own rounding, not a misuse
    rng = np.random.default_rng(6)
    logits = torch.as_tensor(rng.normal(size=(200, 30)) * 2, dtype=torch.float32)
    y = rng.integers(0, 4, size=200)
    half = torch.softmax(logits, dim=1).to(getattr(torch, dtype)).requires_grad_()
    P = half.detach().double().numpy()
    n_classes = 4
    joint = np.stack([P[y == c].sum(axis=0) for c in range(n_classes)]) / P.shape[0]
    conditional = joint / joint.sum(axis=0)
    expected = np.mean(np.log(np.sum(conditional[y] * P, axis=1)))
    assert leep_score(half, y) == pytest.approx(expected, rel=1e-10)
    with pytest.raises(ValueError, match="do not sum to 1"):
        leep_score(half * 1.05, y)  # still refused beyond the rounding


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta:UserWarning")
@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_sparse_tensors_are_read_as_sparse_matrices(layout):
    X, y = _task(7)
    X[np.abs(X) < 0.8] = 0  # mostly zeros
    dense = torch.as_tensor(X).requires_grad_() * 1
    tensor = dense.to_sparse() if layout == "coo" else dense.detach().to_sparse_csr()
    for metric in (h_score, logme_score, gbc_score):
        assert metric(tensor, y) == pytest.approx(metric(X, y), rel=1e-9)
    model = IncrementalHScore().partial_fit(tensor, y)
    assert model.score_ == pytest.approx(h_score(X, y), rel=1e-9)
