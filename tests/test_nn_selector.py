"""TransferabilitySelector and GridSearchCV over frozen networks, raw inputs, classifiers."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from skhscore import HScoreScorer, TransferabilitySelector, h_score

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

from test_nn import by_hand, conv_net, images, pooled_by_hand  # noqa: E402

from skhscore.nn import TorchFeatures  # noqa: E402

LAYERS = ["relu1", "drop", "block", "fc"]


def _counting(net):
    calls = []
    handle = net.register_forward_pre_hook(lambda module, args: calls.append(args[0].shape[0]))
    return calls, handle


def _selection_score(features, y):
    """The doors' default score (issue 15), as h_score computes it."""
    return h_score(features, y, shrinkage="auto", adjusted=True)


def _fold_scores(features, y, cv):
    return [_selection_score(features[test], y[test]) for _, test in cv.split(features, y)]


def test_selector_over_layers_on_raw_images_shares_one_forward_pass():
    net = conv_net()
    X, y = images(48)  # (n, C, H, W): raw input, not a feature matrix
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    candidates = [(layer, TorchFeatures(net, layer, batch_size=16)) for layer in LAYERS]
    selector = TransferabilitySelector(candidates, cv=cv)
    calls, handle = _counting(net)
    selector.fit(X, y)
    handle.remove()
    # one pass over X for all 4 layers and 3 folds (3 batches), and the refit's one sample
    assert calls == [16, 16, 16, 1]
    for i, layer in enumerate(LAYERS):
        features = pooled_by_hand(by_hand(net, X, layer), "mean")
        expected = _fold_scores(features, y, cv)
        got = [selector.cv_results_[f"split{f}_test_score"][i] for f in range(3)]
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert selector.best_transformer_.module is net
    assert not hasattr(selector, "n_features_in_")
    width = {"relu1": 6, "drop": 6, "block": 8, "fc": 5}[selector.best_name_]
    names = selector.get_feature_names_out()
    assert list(names) == [f"{selector.best_name_}_{i}" for i in range(width)]
    np.testing.assert_allclose(
        selector.transform(X),
        TorchFeatures(net, selector.best_name_).transform(X),
        rtol=1e-6,
    )


def test_selector_in_a_pipeline_with_logistic_regression_on_raw_images():
    net = conv_net()
    X, y = images(48)
    candidates = [(layer, TorchFeatures(net, layer)) for layer in LAYERS]
    pipe = make_pipeline(
        TransferabilitySelector(candidates, cv=3), StandardScaler(), LogisticRegression()
    )
    pipe.fit(X, y)
    best = pipe[0].best_name_
    features = TorchFeatures(net, best).transform(X)
    expected = make_pipeline(StandardScaler(), LogisticRegression()).fit(features, y)
    np.testing.assert_allclose(
        pipe.predict_proba(X), expected.predict_proba(features), rtol=1e-5, atol=1e-7
    )


@pytest.mark.parametrize("raw", [True, False])
def test_selector_takes_labels_that_are_tracking_tensors(raw):
    net = conv_net()
    X, y = images(30)
    X = X if raw else X.reshape(X.shape[0], -1)
    labels = torch.as_tensor(y, dtype=torch.float32).requires_grad_() * 1
    if raw:
        candidates = [(layer, TorchFeatures(net, layer)) for layer in LAYERS[:2]]
    else:
        candidates = [("scaled", StandardScaler()), ("raw", "passthrough")]
    expected = TransferabilitySelector(candidates, cv=3).fit(X, y).cv_results_
    got = TransferabilitySelector(candidates, cv=3).fit(X, labels).cv_results_
    np.testing.assert_allclose(got["mean_test_score"], expected["mean_test_score"], rtol=1e-12)


def test_grid_search_over_the_layer_of_a_frozen_network():
    net = conv_net()
    X, y = images(48)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    pipe = Pipeline([("features", TorchFeatures(net)), ("clf", LogisticRegression())])
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(pipe, {"features__layer": LAYERS}, scoring=HScoreScorer(), cv=cv)
    search.fit(X, y)
    means = []
    for layer in LAYERS:
        features = pooled_by_hand(by_hand(net, X, layer), "mean")
        means.append(np.mean(_fold_scores(features, y, cv)))
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], means, rtol=1e-6)
    assert search.best_params_ == {"features__layer": LAYERS[int(np.argmax(means))]}
    assert search.best_estimator_[0].module is net  # clones share the network
    for name, value in net.state_dict().items():
        assert torch.equal(value, before[name])


def test_selector_takes_a_list_of_texts():
    texts = [
        f"{'good great' if label else 'bad poor'} item number {i}"
        for i, label in enumerate([0, 1] * 20)
    ]
    y = np.array([0, 1] * 20)
    selector = TransferabilitySelector(
        [("count", CountVectorizer()), ("tfidf", TfidfVectorizer())], cv=4
    ).fit(texts, y)
    assert set(selector.scores_) == {"count", "tfidf"}
    assert selector.transform(texts).shape[0] == 40
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        selector.fit(texts, y[:-1])


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_classifier_is_a_candidate_when_the_scorer_reads_its_features():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=90)
    X = rng.normal(size=(90, 6)) + y[:, None] * 0.8
    candidates = [
        ("mlp", MLPClassifier((8,), max_iter=300, random_state=0)),
        ("logistic", make_pipeline(StandardScaler(), LogisticRegression())),
    ]
    with pytest.raises(TypeError, match="feature_getter"):
        TransferabilitySelector(candidates).fit(X, y)
    scorer = HScoreScorer(feature_getter="predict_proba")
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    selector = TransferabilitySelector(candidates, scoring=scorer, cv=cv).fit(X, y)
    for i, (_, estimator) in enumerate(candidates):
        expected = [
            _selection_score(
                clone(estimator).fit(X[train], y[train]).predict_proba(X[test]), y[test]
            )
            for train, test in cv.split(X, y)
        ]
        assert selector.cv_results_["mean_test_score"][i] == pytest.approx(np.mean(expected))
    best = selector.best_transformer_
    np.testing.assert_allclose(selector.transform(X), best.predict_proba(X))
