"""``from_numpy``: numpy columns as Arrow without ``pa.array`` (which imports numpy.ma first)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from nkdata.spec.conditions import from_numpy


@pytest.mark.parametrize(
    "values",
    [
        np.array([3, -1, 0, 2**40], dtype=np.int64),
        np.arange(11, dtype=np.int32),
        np.array([0.5, -0.0, np.inf, -1e300]),
        np.array([True, False, True, True, False, False, True, False, True], dtype=bool),  # more than one byte of bits
        np.arange(20, dtype=np.int64)[::3],  # not contiguous
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=bool),
    ],
)
def test_it_says_what_pa_array_says(values):
    assert from_numpy(values).equals(pa.array(values))


def test_nulls_and_a_wanted_type():
    values, null = np.array([5, 6, 7, 8, 9, 10, 11, 12, 13], dtype=np.int64), np.array([False, True] + [False] * 6 + [True])
    got = from_numpy(values, pa.int32(), null=null)
    assert got.type == pa.int32() and got.null_count == 2
    assert got.to_pylist() == [5, None, 7, 8, 9, 10, 11, 12, None]
    flags = from_numpy(np.array([True, True, False]), null=np.array([False, True, False]))
    assert flags.to_pylist() == [True, None, False]


def test_numbers_are_not_copied():
    values = np.arange(5, dtype=np.int64)
    got = from_numpy(values)
    values[0] = 99  # the Arrow array reads the same memory
    assert got[0].as_py() == 99


def test_another_byte_order_is_read_as_numbers_and_dates_as_dates():
    assert from_numpy(np.array([1, 2, 300], dtype=">i8")).to_pylist() == [1, 2, 300]
    assert from_numpy(np.array([1.5, -2.0], dtype=">f4")).to_pylist() == [1.5, -2.0]
    days = np.array(["2025-01-31", "2025-02-01"], dtype="datetime64[D]")
    assert from_numpy(days).equals(pa.array(days))


def test_null_flags_must_match_the_values():
    with pytest.raises(ValueError, match="2 null flags for 3 values"):
        from_numpy(np.arange(3), null=np.array([True, False]))
