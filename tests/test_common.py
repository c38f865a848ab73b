"""scikit-learn's estimator checks on the package's estimators, plus those the suite skips."""

import pytest
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_estimators_pickle,
    check_fit_idempotent,
    check_get_feature_names_out_error,
    check_global_output_transform_pandas,
    check_param_validation,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_transformer_general,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)

from skhscore import HScoreFeatureSelector, IncrementalHScore, TransferabilitySelector


def selectors():
    return [
        TransferabilitySelector(
            [("pca", PCA(n_components=2)), ("scale", StandardScaler()), ("raw", "passthrough")],
            cv=3,
        ),
        TransferabilitySelector([("scale", StandardScaler()), ("raw", "passthrough")], cv=None),
    ]


def all_estimators():
    """Every estimator of the package, in the configurations whose code paths differ."""
    return [
        # the cross-validated selector; the in-sample one shares its code path except for the
        # splitting, and runs the extra checks below
        selectors()[0],
        HScoreFeatureSelector(),
        HScoreFeatureSelector(2, direction="backward", shrinkage="auto"),
        IncrementalHScore(),
        IncrementalHScore(shrinkage="auto", scatter_dtype="float32"),
    ]


def expected_failed_checks(estimator):
    # None: every check of the suite passes. (PCA(n_components=2) fails to fit on the
    # one-feature data of check_fit2d_1feature, which the selector turns into
    # error_score=nan with a FitFailedWarning while the other candidates still compete.)
    return {}


@parametrize_with_checks(all_estimators(), expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check, monkeypatch):
    # check_array_api_input skips itself unless this is set (it then fits under
    # array_api_dispatch with NumPy input); skhscore calls no scipy function that reads it
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)


EXTRA_CHECKS = [
    check_param_validation,
    check_estimators_pickle,
    check_fit_idempotent,
    check_transformer_general,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    check_get_feature_names_out_error,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_global_output_transform_pandas,
    check_dataframe_column_names_consistency,
]


@pytest.mark.parametrize("estimator", selectors(), ids=lambda e: f"cv={e.cv}")
@pytest.mark.parametrize("check", EXTRA_CHECKS, ids=lambda c: c.__name__)
def test_checks_the_suite_skips(estimator, check):
    check(type(estimator).__name__, estimator)
