"""``list_items``: the items of a list column with the row and index of each, lined up whatever the
array's layout (null lists, lists that hide items under a null, slices, chunks)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from nkdata.spec.conditions import list_items


def _expected(lists: pa.Array | pa.ChunkedArray) -> tuple[list[str], list[int], list[int]]:
    """What Python sees: every item of every non-null list, its row and its index."""
    items, rows, positions = [], [], []
    for r, value in enumerate(lists.to_pylist()):
        for i, item in enumerate(value or []):
            items.append(item)
            rows.append(r)
            positions.append(i)
    return items, rows, positions


def _hiding() -> pa.Array:
    """Four rows: a null list that still holds two items in memory, ["c", "d"], [] and ["e"]."""
    offsets = pa.array([0, 2, 4, 4, 5], pa.int32())
    return pa.ListArray.from_arrays(offsets, pa.array(["a", "b", "c", "d", "e"]), mask=pa.array([True, False, False, False]))


CASES = {
    "plain": pa.array([["a"], ["b", "c"], None, [], ["d"]], pa.list_(pa.string())),
    "a null list hiding items": _hiding(),
    "a slice": pa.array([["x", "y"], ["a"], None, ["b", "c"], ["d"]], pa.list_(pa.string())).slice(1, 4),
    "chunks": pa.chunked_array([_hiding(), pa.array([None, ["f", "g"]], pa.list_(pa.string()))]),
    "all null": pa.array([None, None], pa.list_(pa.string())),
    "empty": pa.array([], pa.list_(pa.string())),
}


@pytest.mark.parametrize("name", CASES)
def test_items_rows_and_positions_line_up(name: str) -> None:
    lists = CASES[name]
    items, rows, positions = list_items(lists)
    assert (items.to_pylist(), rows.tolist(), positions.tolist()) == _expected(lists)


def test_arrow_s_own_parent_indices_do_not_line_up_where_a_null_hides_items() -> None:
    """Why list_items counts rows itself: Arrow's parent indices count the hidden items."""
    import pyarrow.compute as pc

    lists = _hiding()
    assert len(pc.list_parent_indices(lists)) == 5 and len(pc.list_flatten(lists)) == 3
    assert list_items(lists)[1].tolist() == [1, 1, 3]
