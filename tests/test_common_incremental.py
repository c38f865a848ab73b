"""scikit-learn's common estimator checks for IncrementalHScore (merged into test_common.py)."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skhscore import IncrementalHScore


@parametrize_with_checks(
    [IncrementalHScore(), IncrementalHScore(shrinkage="auto", scatter_dtype="float32")]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
