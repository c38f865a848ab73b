"""scikit-learn's estimator checks on the package's estimators, plus those the suite skips."""

import pytest
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_get_feature_names_out_error,
    check_global_output_transform_pandas,
    check_param_validation,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)

from skhscore import TransferabilitySelector


def estimators():
    return [
        TransferabilitySelector(
            [("pca", PCA(n_components=2)), ("scale", StandardScaler()), ("raw", "passthrough")],
            cv=3,
        ),
        TransferabilitySelector([("scale", StandardScaler()), ("raw", "passthrough")], cv=None),
    ]


def expected_failed_checks(estimator):
    return {}


@parametrize_with_checks(estimators(), expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


EXTRA_CHECKS = [
    check_param_validation,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    check_get_feature_names_out_error,
    check_set_output_transform,
    check_set_output_transform_pandas,
    check_global_output_transform_pandas,
    check_dataframe_column_names_consistency,
]


@pytest.mark.parametrize("estimator", estimators(), ids=lambda e: f"cv={e.cv}")
@pytest.mark.parametrize("check", EXTRA_CHECKS, ids=lambda c: c.__name__)
def test_checks_the_suite_skips(estimator, check):
    check(type(estimator).__name__, estimator)
