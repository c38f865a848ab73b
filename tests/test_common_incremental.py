"""scikit-learn's common estimator checks for IncrementalHScore (merged into test_common.py)."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skhscore import IncrementalHScore


@parametrize_with_checks(
    [IncrementalHScore(), IncrementalHScore(shrinkage="auto", scatter_dtype="float32")]
)
def test_sklearn_compatible_estimator(estimator, check, monkeypatch):
    # check_array_api_input skips itself unless this is set (it then fits under
    # array_api_dispatch with NumPy input); skhscore calls no scipy function that reads it
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)
