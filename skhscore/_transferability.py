"""The paper's normalised transferability: a ratio of two H-scores on the same task."""

import numpy as np
from sklearn.utils import check_consistent_length

from skhscore._constraints import SHRINKAGE_CONSTRAINT, TARGET_CONSTRAINT
from skhscore._engine import CrossMomentStatistics, HScoreStatistics, resolve_statistics
from skhscore._hscore import hscore_from_statistics
from skhscore._sklearn_compat import validate_params


@validate_params(
    {
        "shrinkage": SHRINKAGE_CONSTRAINT,
        "target": TARGET_CONSTRAINT,
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def transferability(
    source_features,
    reference_features,
    y=None,
    *,
    shrinkage=None,
    target="classification",
    sample_weight=None,
):
    """Transferability of source features to a target task, relative to reference features.

    ``T(S, T) = H_T(f_S) / H_T(f_ref)`` (Bao et al., ICIP 2019): the H-score of features
    transferred from a source task over the H-score, on the same samples and labels, of
    reference features, typically a representation trained on the target task itself. A
    value near 1 means the source features expose as much of the task as the reference
    (it can exceed 1: the reference is not an upper bound).

    Read more in the :ref:`User Guide <transferability>`.

    Parameters
    ----------
    source_features : {array-like, sparse matrix} of shape (n_samples, n_features_s) or \
statistics
        Features of the samples under the transferred (source) representation.
    reference_features : {array-like, sparse matrix} of shape (n_samples, n_features_r) or \
statistics
        Features of the same samples under the reference representation. With statistics
        objects (:class:`HScoreStatistics` or :class:`CrossMomentStatistics`) for both,
        pass ``y=None`` and ``sample_weight=None``.
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Class labels (or a regression / multilabel target, see ``target``).
    shrinkage : {None, "auto", "oas"} or float in [0, 1], default=None
        Shrinkage of both H-scores (see :func:`h_score`); with "auto" or "oas" each feature
        set gets its own intensity.
    target : {"classification", "regression", "multilabel"}, default="classification"
        What ``y`` is; see :func:`h_score`.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights, applied to both feature sets.

    Returns
    -------
    ratio : float
        ``h_score(source) / h_score(reference)``.

    Raises
    ------
    ValueError
        When the reference features score zero (to rounding) on the task: constant
        reference features, or features orthogonal to the labels. The ratio is undefined;
        use ``h_score(source_features, y, normalize="classes")`` for a score on the fixed
        scale [0, 1] instead.

    See Also
    --------
    h_score : the H-score of one feature set.

    References
    ----------
    .. [1] Y. Bao et al., "An Information-Theoretic Approach to Transferability in Task
       Transfer Learning", ICIP 2019, arXiv:2212.10082.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from skhscore import transferability
    >>> X, y = load_digits(return_X_y=True)
    >>> reference = X  # all 64 pixels
    >>> source = PCA(n_components=16, random_state=0).fit_transform(X)
    >>> round(transferability(source, reference, y), 3)
    0.865
    """
    both_statistics = all(
        isinstance(f, (HScoreStatistics, CrossMomentStatistics))
        for f in (source_features, reference_features)
    )
    if not both_statistics:
        check_consistent_length(source_features, reference_features)
    source = resolve_statistics(source_features, y, sample_weight, target=target)
    reference = resolve_statistics(reference_features, y, sample_weight, target=target)
    h_source = hscore_from_statistics(source, shrinkage)
    h_reference = hscore_from_statistics(reference, shrinkage)
    if h_reference <= 64 * np.finfo(np.float64).eps * max(reference.moments().n_targets, 1):
        raise ValueError(
            f"The reference features score H = {h_reference:.3g} on this task, so the "
            "transferability ratio H(source) / H(reference) is undefined. The reference "
            "features carry no linear information on the labels (constant features, or "
            "features unrelated to y): choose a reference trained on the target task, or "
            "compare h_score(source_features, y, normalize='classes') instead."
        )
    return h_source / h_reference
