"""Metrics computed from a source model's outputs on the target data: LEEP and NCE.

Both take what the *source* classifier says about the target samples (its class
probabilities for LEEP, its hard predictions for NCE) and the target labels, instead of
features. Labels of either task can be of any sortable type.
"""

import numpy as np

from skhscore._sklearn_compat import validate_params
from skhscore._validation import check_features, check_labels

# A row of probabilities may differ from 1 by this much (float32 softmax outputs do, by ~1e-7).
_ROW_SUM_TOL = 1e-3
# ... or by the precision of a half-precision input: each of its probabilities is rounded to
# a relative 2^-8 (bfloat16) or 2^-11 (float16), so its rows sum to 1 only to about that
_HALF_PRECISION_EPS = {"torch.bfloat16": 2.0**-7, "torch.float16": 2.0**-10, "float16": 2.0**-10}


def _check_proba(source_proba):
    eps = _HALF_PRECISION_EPS.get(str(getattr(source_proba, "dtype", "")), 0.0)
    P = check_features(source_proba, name="source_proba", min_samples=1)
    if hasattr(P, "toarray"):
        P = P.toarray()
    P = np.asarray(P, dtype=np.float64)
    if P.min() < 0:
        raise ValueError(
            "source_proba has negative entries: it must hold the source model's class "
            "probabilities (predict_proba), not logits or decision_function values. Apply a "
            "softmax to logits first."
        )
    sums = P.sum(axis=1)
    if np.max(np.abs(sums - 1.0)) > max(_ROW_SUM_TOL, eps):
        raise ValueError(
            "The rows of source_proba do not sum to 1 (found sums between "
            f"{sums.min():.4g} and {sums.max():.4g}): pass the source model's class "
            "probabilities (predict_proba), one column per source class."
        )
    return P


@validate_params(
    {"source_proba": ["array-like"], "y": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def leep_score(source_proba, y):
    """LEEP: log expected empirical prediction (Nguyen et al., ICML 2020).

    With ``theta(x)`` the source model's probabilities over its classes ``z`` for a target
    sample ``x``, the empirical joint ``P(y, z) = 1/n sum_{i: y_i = y} theta(x_i)_z`` gives
    the conditional ``P(y | z) = P(y, z) / P(z)``, and

        LEEP = 1/n sum_i log sum_z P(y_i | z) theta(x_i)_z,

    the average log-likelihood of the "expected empirical predictor" that maps source
    predictions to target labels. It lies in ``(-inf, 0]``; greater is better.

    Read more in the :ref:`User Guide <leep>`.

    Parameters
    ----------
    source_proba : array-like of shape (n_samples, n_source_classes)
        The source model's class probabilities on the target samples (the output of its
        ``predict_proba``); each row sums to 1. float32 input gives the float64 value.
    y : array-like of shape (n_samples,)
        Target labels of any sortable type.

    Returns
    -------
    score : float
        The LEEP score.

    See Also
    --------
    nce_score : the same idea from hard source predictions.

    Notes
    -----
    Invariant to the order of the samples, to permuting the source classes (the columns)
    and to renaming the target classes. Source classes no target sample gives probability
    to contribute nothing (their ``0 / 0`` conditional is never used).

    References
    ----------
    .. [1] C. V. Nguyen, T. Hassner, M. Seeger, C. Archambeau, "LEEP: A New Measure to
       Evaluate Transferability of Learned Representations", ICML 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from skhscore import leep_score
    >>> proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.1, 0.9]])
    >>> round(leep_score(proba, ["cat", "cat", "dog", "dog"]), 4)
    -0.2955
    >>> round(leep_score(proba, ["cat", "dog", "cat", "dog"]), 4)  # unrelated labels
    -0.6856
    """
    P = _check_proba(source_proba)
    n_samples = P.shape[0]
    classes, codes = check_labels(y, n_samples)
    onehot = codes[:, None] == np.arange(classes.shape[0])
    joint = onehot.T.astype(np.float64) @ P / n_samples  # (n_classes, n_source_classes)
    marginal = joint.sum(axis=0)
    conditional = np.divide(joint, marginal, out=np.zeros_like(joint), where=marginal > 0)
    # eep_i = sum_z P(y_i | z) theta(x_i)_z, positive because theta(x_i)_z > 0 implies
    # P(y_i, z) >= theta(x_i)_z / n > 0
    eep = np.einsum("iz,iz->i", P, conditional[codes])
    return float(np.mean(np.log(eep)))


@validate_params(
    {"source_labels": ["array-like"], "y": ["array-like"]},
    prefer_skip_nested_validation=True,
)
def nce_score(source_labels, y):
    """NCE: negative conditional entropy of target labels given source labels.

    ``NCE = -H(Y | Z) = sum_{y, z} P(y, z) log P(y | z)`` with ``P`` the empirical joint
    distribution of the target labels ``y`` and the source model's hard predictions ``z``
    on the same samples (Tran et al., ICCV 2019). It lies in ``[-H(Y), 0]`` and is 0 when
    the target label is a function of the source prediction; greater is better.

    Read more in the :ref:`User Guide <nce>`.

    Parameters
    ----------
    source_labels : array-like of shape (n_samples,)
        The source model's predicted labels on the target samples (its ``predict``), of
        any sortable type.
    y : array-like of shape (n_samples,)
        Target labels of any sortable type.

    Returns
    -------
    score : float
        The NCE score, in nats.

    See Also
    --------
    leep_score : the same idea from the source model's probabilities.

    Notes
    -----
    ``NCE = I(Y; Z) - H(Y)``: for a fixed target task it ranks source models like the
    mutual information between their predictions and the target labels. Invariant to
    renaming the classes of either task and to the order of the samples.

    References
    ----------
    .. [1] A. T. Tran, C. V. Nguyen, T. Hassner, "Transferability and Hardness of
       Supervised Classification Tasks", ICCV 2019.

    Examples
    --------
    >>> from skhscore import nce_score
    >>> nce_score(["a", "a", "b", "b"], [0, 0, 1, 1])  # y is a function of z
    0.0
    >>> round(nce_score(["a", "b", "a", "b"], [0, 0, 1, 1]), 4)  # independent: -log 2
    -0.6931
    """
    _, z_codes = check_labels(source_labels)
    n_samples = z_codes.shape[0]
    classes, y_codes = check_labels(y, n_samples)
    n_source = int(z_codes.max()) + 1
    counts = np.bincount(y_codes * n_source + z_codes, minlength=classes.shape[0] * n_source)
    joint = counts.reshape(classes.shape[0], n_source) / n_samples
    marginal = joint.sum(axis=0)
    present = joint > 0
    ratio = joint[present] / np.broadcast_to(marginal, joint.shape)[present]
    return float(np.sum(joint[present] * np.log(ratio)))
