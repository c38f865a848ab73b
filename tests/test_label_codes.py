"""Integer labels are coded by counting instead of sorting: the same classes and codes as
``np.unique(y, return_inverse=True)``, dtype included, at the edges of every integer type."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skhscore._validation import _unique_codes, check_labels

INTEGER_TYPES = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]


def assert_like_unique(y):
    classes, codes = _unique_codes(y)
    expected_classes, expected_codes = np.unique(y, return_inverse=True)
    assert classes.dtype == expected_classes.dtype
    assert codes.dtype == expected_codes.dtype
    np.testing.assert_array_equal(classes, expected_classes)
    np.testing.assert_array_equal(codes, expected_codes)


@pytest.mark.parametrize("dtype", INTEGER_TYPES)
def test_extremes_of_each_integer_type(dtype):
    info = np.iinfo(dtype)
    for values in (
        [info.min, info.max, info.min],  # the widest span: sorted, not counted
        [info.min, info.min + 2, info.min + 1],
        [info.max, info.max - 3, info.max],
        [0, 1, 1, 0],
    ):
        assert_like_unique(np.array(values, dtype=dtype))


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(INTEGER_TYPES).flatmap(
        lambda dtype: hnp.arrays(
            dtype, st.integers(1, 300), elements=hnp.from_dtype(np.dtype(dtype))
        )
    )
)
def test_any_integer_labels(y):
    assert_like_unique(y)


@settings(max_examples=30, deadline=None)
@given(st.integers(-(2**62), 2**62), st.lists(st.integers(0, 50), min_size=1, max_size=200))
def test_compact_labels_with_any_offset(low, offsets):
    assert_like_unique(np.array(offsets, dtype=np.int64) + low)


def test_check_labels_codes_index_the_classes():
    y = np.random.default_rng(0).integers(-3, 1000, size=5000)
    classes, codes = check_labels(y)
    np.testing.assert_array_equal(classes[codes], y)
