"""LogME, LEEP, NCE, TransRate, GBC: against transcriptions of the published formulas.

Every oracle below is written from the paper's definition, with explicit matrices or loops,
and shares no code with the package.
"""

import numpy as np
import pytest
from _reference import make_task
from scipy import integrate
from scipy.optimize import minimize
from scipy.stats import multivariate_normal, norm
from sklearn.decomposition import PCA
from sklearn.metrics import mutual_info_score

from skhscore import (
    HScoreStatistics,
    gbc_score,
    leep_score,
    logme_score,
    nce_score,
    transrate_score,
)

SEEDS = [0, 1, 2, 3, 4]


# ====================================================================== oracles
def paper_logme_column(F, y, max_iter=20000, tol=1e-12):
    """You et al., Algorithm 1: MacKay's fixed point, then the evidence formula, per column.

    Returns (log evidence / n, converged). All D eigenvalues of F^T F enter gamma and
    log det(A): zero ones included. m = beta A^-1 F^T y is formed directly when n > D. When
    n <= D the fixed point sits near interpolation (t = alpha / beta is tiny), where the
    rounding noise of D x D matrices (eigenvalues of F^T F that should be 0, the residual
    y - F m) shows in the 8th digit; the same quantities then come from n x n matrices: the
    D - n zero eigenvalues are exact zeros, m = F^T (F F^T + t I)^-1 y and
    y - F m = t (F F^T + t I)^-1 y (push-through identity), and
    log det(A) = D log alpha + log det(I + F F^T / t) (Sylvester's identity).
    """
    n, D = F.shape
    FtF = F.T @ F
    FFt = F @ F.T
    if n > D:
        sigma = np.clip(np.linalg.eigvalsh(FtF), 0, None)
    else:
        sigma = np.concatenate([np.clip(np.linalg.eigvalsh(FFt), 0, None), np.zeros(D - n)])

    def posterior(alpha, beta):
        if n > D:
            m = beta * np.linalg.solve(alpha * np.eye(D) + beta * FtF, F.T @ y)
            return m, y - F @ m
        t = alpha / beta
        dual = np.linalg.solve(FFt + t * np.eye(n), y)
        return F.T @ dual, t * dual

    alpha, beta = 1.0, 1.0
    converged = False
    for _ in range(max_iter):
        m, residual = posterior(alpha, beta)
        gamma = np.sum(beta * sigma / (alpha + beta * sigma))
        new_alpha = gamma / (m @ m)
        new_beta = (n - gamma) / (residual @ residual)
        change = max(abs(new_alpha - alpha) / new_alpha, abs(new_beta - beta) / new_beta)
        alpha, beta = new_alpha, new_beta
        if change < tol:
            converged = True
            break
    m, residual = posterior(alpha, beta)
    if n > D:
        logdet_A = np.linalg.slogdet(alpha * np.eye(D) + beta * FtF)[1]
    else:
        logdet_A = D * np.log(alpha) + np.linalg.slogdet(np.eye(n) + FFt * beta / alpha)[1]
    evidence = (
        D / 2 * np.log(alpha)
        + n / 2 * np.log(beta)
        - n / 2 * np.log(2 * np.pi)
        - beta / 2 * (residual @ residual)
        - alpha / 2 * (m @ m)
        - 0.5 * logdet_A
    )
    return evidence / n, converged


def marginal_likelihood_max(F, y):
    """max over (alpha, beta) of log N(y; 0, I / beta + F F^T / alpha), per sample."""
    n = F.shape[0]
    K = F @ F.T

    def negative(params):
        if np.max(np.abs(params)) > 600:  # outside the range of float64 exponentials
            return np.inf
        alpha, beta = np.exp(params)
        cov = np.eye(n) / beta + K / alpha
        return -multivariate_normal(np.zeros(n), cov, allow_singular=False).logpdf(y)

    best = None
    for start in ([0.0, 0.0], [5.0, 0.0], [-5.0, 2.0]):
        res = minimize(
            negative,
            start,
            method="Nelder-Mead",
            options={"xatol": 1e-10, "fatol": 1e-13, "maxiter": 4000},
        )
        best = res.fun if best is None else min(best, res.fun)
    return -best / n


def onehot(y):
    labels = sorted(set(y.tolist()))
    return np.array([[1.0 if v == c else 0.0 for c in labels] for v in y])


def paper_logme(F, y, regression=False):
    Y = y.reshape(len(y), -1).astype(float) if regression else onehot(y)
    values = []
    for column in Y.T:
        value, converged = paper_logme_column(F, column)
        assert converged, "the oracle's fixed point did not converge: choose other data"
        values.append(value)
    return float(np.mean(values))


def paper_leep(P, y):
    """Nguyen et al.: empirical joint, conditional, expected empirical prediction (loops)."""
    n, Z = P.shape
    labels = sorted(set(y.tolist()))
    joint = {(a, z): 0.0 for a in labels for z in range(Z)}
    for i in range(n):
        for z in range(Z):
            joint[(y[i], z)] += P[i, z] / n
    marginal = [sum(joint[(a, z)] for a in labels) for z in range(Z)]
    total = 0.0
    for i in range(n):
        eep = 0.0
        for z in range(Z):
            if marginal[z] > 0:
                eep += joint[(y[i], z)] / marginal[z] * P[i, z]
        total += np.log(eep)
    return total / n


def paper_nce(z, y):
    """Tran et al.: -H(Y | Z) = sum_{y,z} P(y, z) log(P(y, z) / P(z)), with counting loops."""
    n = len(y)
    pair, single = {}, {}
    for a, b in zip(y.tolist(), z.tolist(), strict=True):
        pair[(a, b)] = pair.get((a, b), 0) + 1
        single[b] = single.get(b, 0) + 1
    return sum(c / n * np.log(c / single[b]) for (a, b), c in pair.items())


def paper_transrate(F, y, eps=1e-4):
    """Huang et al.: R(Z) - mean_c R(Z_c), R(A) = 1/2 logdet(I_d + A^T A / (n_A eps))."""
    Z = F - F.mean(axis=0)

    def rate(A):
        n, d = A.shape
        return 0.5 * np.linalg.slogdet(np.eye(d) + A.T @ A / (n * eps))[1]

    return rate(Z) - np.mean([rate(Z[y == c]) for c in np.unique(y)])


def bhattacharyya_coefficient(mu1, cov1, mu2, cov2):
    """exp(-D_B) for two Gaussians, the general (full-matrix) formula."""
    cov = (cov1 + cov2) / 2
    diff = mu1 - mu2
    distance = diff @ np.linalg.solve(cov, diff) / 8 + 0.5 * (
        np.linalg.slogdet(cov)[1]
        - 0.5 * np.linalg.slogdet(cov1)[1]
        - 0.5 * np.linalg.slogdet(cov2)[1]
    )
    return np.exp(-distance)


def paper_gbc(F, y, n_components=64, gaussian="diagonal", floor=1e-4):
    """Pandy et al.: PCA, per-class Gaussians, -sum over ordered pairs of BC."""
    if n_components is not None:
        q = n_components
        if isinstance(q, int):
            q = min(q, *F.shape)
        F = PCA(n_components=q, svd_solver="full").fit_transform(F)
    d = F.shape[1]
    stats = {}
    for c in np.unique(y):
        var = np.maximum(F[y == c].var(axis=0), floor)
        cov = np.diag(var) if gaussian == "diagonal" else np.eye(d) * var.mean()
        stats[c] = (F[y == c].mean(axis=0), cov)
    total = 0.0
    for a in stats:
        for b in stats:
            if a != b:
                total += bhattacharyya_coefficient(*stats[a], *stats[b])
    return -total


def random_proba(rng, n, n_source):
    return rng.dirichlet(np.full(n_source, 0.3), size=n)


def informative_task(seed, n, k, n_classes=3):
    """Class clusters whose one-hot evidence has an interior maximum (a finite fixed point).

    With n > k, clusters away from the origin; with n <= k (every y lies in the range of F)
    weaker clusters, else the evidence often grows all the way to interpolation
    (alpha / beta -> 0), where MacKay's iteration runs away instead of converging; that
    boundary case is checked against the marginal likelihood separately.
    """
    if n > k:
        X, y = make_task(seed, n=n, k=k, n_classes=n_classes, signal=3.0)
        return X + 1.0, y
    return make_task(seed, n=n, k=k, n_classes=n_classes, signal=0.5)


# ====================================================================== LogME
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n, k", [(80, 6), (25, 40)], ids=["n>k", "n<k"])
def test_logme_equals_the_evidence_at_the_fixed_point(seed, n, k):
    X, y = informative_task(seed, n, k)
    assert logme_score(X, y) == pytest.approx(paper_logme(X, y), rel=1e-9, abs=1e-11)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("n, k", [(60, 5), (20, 30)], ids=["n>k", "n<k"])
def test_logme_regression_equals_the_evidence_at_the_fixed_point(seed, n, k):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, k))
    y = 0.3 * X @ rng.normal(size=k) + rng.normal(size=n)
    assert logme_score(X, y, regression=True) == pytest.approx(
        paper_logme(X, y, regression=True), rel=1e-9
    )
    Y = np.column_stack([y, X[:, 0] - 2 * X[:, 1] + rng.normal(size=n)])
    assert logme_score(X, Y, regression=True) == pytest.approx(
        paper_logme(X, Y, regression=True), rel=1e-9
    )


@pytest.mark.parametrize(
    "n, k, signal", [(30, 4, 0.0), (30, 4, 3.0), (12, 20, 0.0), (12, 20, 3.0), (15, 15, 1.0)]
)
def test_logme_is_the_maximum_of_the_marginal_likelihood(n, k, signal):
    # also where the maximum is at alpha -> infinity (uninformative features), where the
    # fixed-point iteration runs away: the score is then the supremum
    X, y = make_task(7, n=n, k=k, n_classes=2, signal=signal)
    expected = np.mean([marginal_likelihood_max(X, col) for col in onehot(y).T])
    assert logme_score(X, y) == pytest.approx(expected, rel=1e-7)


def test_logme_same_value_in_both_regimes():
    # n <= k from the SVD of F; the same data through the statistics use F^T F instead
    X, y = informative_task(11, 30, 45)
    from_svd = logme_score(X, y)
    from_gram = logme_score(HScoreStatistics.from_arrays(X, y))
    assert from_svd == pytest.approx(from_gram, rel=1e-9)
    assert from_svd == pytest.approx(paper_logme(X, y), rel=1e-9)


def test_logme_does_not_forget_zero_eigenvalues_when_n_below_k():
    # the reference's default solver drops the k - n zero eigenvalues from log det(A):
    # that inflates the score; the evidence formula keeps them
    n, k = 30, 60
    X, y = informative_task(1, n, k)
    score = logme_score(X, y)
    Y = onehot(y)
    u, s, _ = np.linalg.svd(X, full_matrices=False)
    buggy = []
    for column in Y.T:  # thuml/LogME _fit_fixed_point transcribed, truncated sigma
        sigma, x = s**2, u.T @ column
        x2 = x**2
        res_x2 = column @ column - x2.sum()
        alpha, beta = 1.0, 1.0
        for _ in range(11):
            t = alpha / beta
            gamma = (sigma / (sigma + t)).sum()
            m2 = (sigma * x2 / ((t + sigma) ** 2)).sum()
            res2 = (x2 / ((1 + sigma / t) ** 2)).sum() + res_x2
            alpha, beta = gamma / (m2 + 1e-5), (n - gamma) / (res2 + 1e-5)
        buggy.append(
            (
                k / 2 * np.log(alpha)
                + n / 2 * np.log(beta)
                - 0.5 * np.sum(np.log(alpha + beta * sigma))
                - beta / 2 * res2
                - alpha / 2 * m2
                - n / 2 * np.log(2 * np.pi)
            )
            / n
        )
    assert score == pytest.approx(paper_logme(X, y), rel=1e-9)
    assert np.mean(buggy) > score + 1.0


def test_logme_from_streamed_statistics():
    X, y = informative_task(5, 300, 8, n_classes=4)
    stats = HScoreStatistics.from_arrays(X[:100], y[:100]).merge(
        HScoreStatistics.from_arrays(X[100:], y[100:])
    )
    assert logme_score(stats) == pytest.approx(logme_score(X, y), rel=1e-10)
    assert logme_score(stats) == pytest.approx(paper_logme(X, y), rel=1e-9)


@pytest.mark.parametrize("n, k", [(60, 5), (12, 20)])
def test_logme_integer_weights_repeat_rows(n, k):
    X, y = informative_task(3, n, k)
    w = np.random.default_rng(0).integers(0, 4, size=n)
    w[:3] = 1  # every class keeps weight
    repeated = logme_score(np.repeat(X, w, axis=0), np.repeat(y, w))
    assert logme_score(X, y, sample_weight=w) == pytest.approx(repeated, rel=1e-9)
    yr = X[:, 0] + np.random.default_rng(1).normal(size=n)
    assert logme_score(X, yr, regression=True, sample_weight=w) == pytest.approx(
        logme_score(np.repeat(X, w, axis=0), np.repeat(yr, w), regression=True), rel=1e-9
    )


@pytest.mark.parametrize("n, k", [(80, 6), (25, 40)])
def test_logme_invariances(n, k):
    X, y = informative_task(4, n, k)
    rng = np.random.default_rng(4)
    base = logme_score(X, y)
    rotation, _ = np.linalg.qr(rng.normal(size=(k, k)))
    order = rng.permutation(n)
    renamed = np.array([2, 0, 1])[y]
    assert logme_score(X * 7.3, y) == pytest.approx(base, rel=1e-9)
    assert logme_score(X * 1e-3, y) == pytest.approx(base, rel=1e-9)
    assert logme_score(X @ rotation, y) == pytest.approx(base, rel=1e-9)
    assert logme_score(X[order], y[order]) == pytest.approx(base, rel=1e-9)
    assert logme_score(X, renamed) == pytest.approx(base, rel=1e-12)
    # the model has no intercept: a translation is not an invariance
    assert logme_score(X + 5.0, y) != pytest.approx(base, rel=1e-3)


def test_logme_more_informative_features_score_higher():
    X, y = informative_task(6, 200, 6)
    noise = np.random.default_rng(0).normal(size=X.shape)
    assert logme_score(X, y) > logme_score(noise + 1.0, y)


def test_logme_errors():
    X, y = informative_task(0, 40, 3)
    with pytest.raises(ValueError, match="regression=True"):
        logme_score(X, y + 0.5)
    with pytest.raises(ValueError, match="single class"):
        logme_score(X, np.zeros(40))
    with pytest.raises(ValueError, match="regression=True needs X and y"):
        logme_score(HScoreStatistics.from_arrays(X, y), regression=True)
    with pytest.raises(ValueError, match="y=None"):
        logme_score(HScoreStatistics.from_arrays(X, y), y)


# ====================================================================== LEEP and NCE
@pytest.mark.parametrize("seed", SEEDS)
def test_leep_matches_the_definition(seed):
    rng = np.random.default_rng(seed)
    n, n_source = 60, 5
    P = random_proba(rng, n, n_source)
    y = rng.integers(0, 3, size=n)
    assert leep_score(P, y) == pytest.approx(paper_leep(P, y), rel=1e-12)
    P[:, 2] = 0.0  # a source class nobody predicts
    P /= P.sum(axis=1, keepdims=True)
    assert leep_score(P, y) == pytest.approx(paper_leep(P, y), rel=1e-12)


def test_leep_invariances_and_bounds():
    rng = np.random.default_rng(9)
    P = random_proba(rng, 80, 6)
    y = rng.integers(0, 4, size=80)
    base = leep_score(P, y)
    order = rng.permutation(80)
    assert base <= 0
    assert leep_score(P[:, rng.permutation(6)], y) == pytest.approx(base, rel=1e-12)
    assert leep_score(P[order], y[order]) == pytest.approx(base, rel=1e-12)
    assert leep_score(P, np.array([3, 1, 0, 2])[y]) == pytest.approx(base, rel=1e-12)
    # a source model whose predictions determine the target labels reaches 0
    assert leep_score(onehot(y), y) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_nce_matches_the_definition_and_mutual_information(seed):
    rng = np.random.default_rng(seed)
    z = rng.integers(0, 6, size=100)
    y = (z + rng.integers(0, 2, size=100)) % 4
    value = nce_score(z, y)
    assert value == pytest.approx(paper_nce(z, y), rel=1e-12)
    # NCE = I(Y; Z) - H(Y)
    p = np.bincount(y) / len(y)
    entropy = -np.sum(p[p > 0] * np.log(p[p > 0]))
    assert value == pytest.approx(mutual_info_score(y, z) - entropy, rel=1e-10, abs=1e-12)


def test_nce_invariances_and_bounds():
    rng = np.random.default_rng(3)
    z = rng.integers(0, 5, size=90)
    y = rng.integers(0, 3, size=90)
    base = nce_score(z, y)
    assert base <= 0
    assert nce_score(np.array([4, 2, 0, 1, 3])[z], y) == pytest.approx(base, rel=1e-12)
    assert nce_score(z, np.array([1, 2, 0])[y]) == pytest.approx(base, rel=1e-12)
    assert nce_score(z, z % 2) == 0.0  # y a function of z


def test_leep_refuses_logits():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="softmax"):
        leep_score(rng.normal(size=(10, 3)), rng.integers(0, 2, 10))
    with pytest.raises(ValueError, match="sum to 1"):
        leep_score(rng.random(size=(10, 3)), rng.integers(0, 2, 10))


# ====================================================================== TransRate
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n, k", [(120, 6), (40, 30)])
def test_transrate_matches_the_logdet_definition(seed, n, k):
    X, y = make_task(seed, n=n, k=k, n_classes=3)
    assert transrate_score(X, y) == pytest.approx(paper_transrate(X, y), rel=1e-10)
    X01 = X / 10.0
    assert transrate_score(X01, y, eps=1e-2) == pytest.approx(
        paper_transrate(X01, y, eps=1e-2), rel=1e-10
    )


def test_transrate_invariances():
    X, y = make_task(8, n=150, k=5, n_classes=4)
    rng = np.random.default_rng(8)
    base = transrate_score(X, y)
    rotation, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    order = rng.permutation(150)
    assert transrate_score(X + rng.normal(size=5) * 10, y) == pytest.approx(base, rel=1e-9)
    assert transrate_score(X @ rotation, y) == pytest.approx(base, rel=1e-9)
    assert transrate_score(X[order], y[order]) == pytest.approx(base, rel=1e-12)
    assert transrate_score(X, np.array([3, 2, 1, 0])[y]) == pytest.approx(base, rel=1e-12)
    # more label information, higher rate reduction
    noise = np.random.default_rng(1).normal(size=X.shape)
    assert base > transrate_score(noise, y)


# ====================================================================== GBC
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "options",
    [
        {},
        {"n_components": None},
        {"n_components": 3},
        {"n_components": 0.8},
        {"gaussian": "spherical"},
        {"n_components": None, "gaussian": "spherical"},
    ],
)
def test_gbc_matches_the_bhattacharyya_formula(seed, options):
    X, y = make_task(seed, n=90, k=6, n_classes=4, signal=0.7)
    expected = paper_gbc(
        X,
        y,
        n_components=options.get("n_components", 64),
        gaussian=options.get("gaussian", "diagonal"),
    )
    assert gbc_score(X, y, **options) == pytest.approx(expected, rel=1e-9)


def test_gbc_more_features_than_samples_and_a_single_sample_class():
    X, y = make_task(1, n=30, k=50, n_classes=3)
    y[0] = 7  # a class with one sample: its variance is the floor
    assert gbc_score(X, y) == pytest.approx(paper_gbc(X, y), rel=1e-9)


def test_gbc_bhattacharyya_coefficient_by_numerical_integration():
    # two classes on one feature: GBC = -2 * integral sqrt(p1 p2) of the fitted Gaussians
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, 40), rng.normal(1.5, 0.6, 30)])
    y = np.repeat([0, 1], [40, 30])
    p1 = norm(x[y == 0].mean(), x[y == 0].std())
    p2 = norm(x[y == 1].mean(), x[y == 1].std())
    coefficient, _ = integrate.quad(lambda t: np.sqrt(p1.pdf(t) * p2.pdf(t)), -20, 20)
    assert gbc_score(x[:, None], y, n_components=None) == pytest.approx(-2 * coefficient, rel=1e-8)


def test_gbc_invariances_and_bounds():
    X, y = make_task(2, n=120, k=5, n_classes=3, signal=0.5)
    rng = np.random.default_rng(2)
    base = gbc_score(X, y)
    rotation, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    order = rng.permutation(120)
    assert -6 <= base <= 0
    assert gbc_score(X @ rotation + 3.0, y) == pytest.approx(base, rel=1e-8)
    assert gbc_score(X[order], y[order]) == pytest.approx(base, rel=1e-12)
    assert gbc_score(X, np.array([2, 0, 1])[y]) == pytest.approx(base, rel=1e-12)
    raw = gbc_score(X, y, n_components=None)
    assert gbc_score(X[:, ::-1] - 4.0, y, n_components=None) == pytest.approx(raw, rel=1e-10)
    far = make_task(2, n=120, k=5, n_classes=3, signal=30.0)
    assert gbc_score(*far) > base


# ====================================================================== labels and dtypes
def _all_metrics(X, y, P, z):
    return {
        "logme": logme_score(X, y),
        "logme_n<k": logme_score(X[:8], y[:8]),
        "transrate": transrate_score(X, y),
        "gbc": gbc_score(X, y),
        "gbc_raw": gbc_score(X, y, n_components=None),
        "leep": leep_score(P, y),
        "nce": nce_score(z, y),
    }


@pytest.mark.parametrize("seed", SEEDS[:3])
@pytest.mark.parametrize(
    "mapping", [np.array(["ant", "bee", "cat"]), np.array([0, 5, 9]), np.array([-3, 10, 2])]
)
def test_arbitrary_labels_give_the_scores_of_0_to_c_minus_1(seed, mapping):
    X, y = informative_task(seed, 60, 12)
    y[:3] = [0, 1, 2]  # all three classes among the first rows (the n < k slice)
    y[3:8] = [0, 1, 2, 0, 1]
    rng = np.random.default_rng(seed)
    P = random_proba(rng, 60, 4)
    z = rng.integers(0, 4, size=60)
    reference = _all_metrics(X, y, P, z)
    relabelled = _all_metrics(X, mapping[y], P, z)
    for name, value in reference.items():
        assert relabelled[name] == pytest.approx(value, rel=1e-12, abs=1e-14), name
    # source labels of any type for NCE
    source_names = np.array(["p", "q", "r", "s"])
    assert nce_score(source_names[z], mapping[y]) == pytest.approx(reference["nce"], rel=1e-12)


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_float32_input_gives_the_float64_answer(seed):
    X, y = informative_task(seed, 60, 12)
    rng = np.random.default_rng(seed)
    P = random_proba(rng, 60, 4)
    z = rng.integers(0, 4, size=60)
    X32 = X.astype(np.float32)
    P32 = P.astype(np.float32)
    assert X32.dtype == np.float32
    exact = _all_metrics(X, y, P, z)
    single = _all_metrics(X32, y, P32, z.astype(np.float32))
    for name, value in exact.items():
        assert single[name] == pytest.approx(value, rel=1e-6), name
    assert logme_score(X32[:, :3], X32[:, 3], regression=True) == pytest.approx(
        logme_score(X[:, :3], X[:, 3], regression=True), rel=1e-6
    )


def test_inputs_are_not_modified():
    X, y = informative_task(0, 40, 5)
    P = random_proba(np.random.default_rng(0), 40, 3)
    X0, y0, P0 = X.copy(), y.copy(), P.copy()
    logme_score(X[:4], y[:4] % 2)
    logme_score(X, y, sample_weight=np.ones(40))
    transrate_score(X, y)
    gbc_score(X, y)
    leep_score(P, y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(P, P0)
