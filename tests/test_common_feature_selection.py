"""scikit-learn's estimator checks for HScoreFeatureSelector.

To be merged with tests/test_common.py: the estimator and its expected failures go into the
shared parametrize_with_checks list.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skhscore import HScoreFeatureSelector

#: Checks that cannot pass, with the reason: none at present (sklearn itself skips its array
#: API checks unless SCIPY_ARRAY_API=1 is set).
EXPECTED_FAILED_CHECKS = {}


@parametrize_with_checks(
    [HScoreFeatureSelector(), HScoreFeatureSelector(2, direction="backward", shrinkage="auto")],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
