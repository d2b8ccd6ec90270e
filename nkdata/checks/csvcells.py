"""A release CSV's cells as the build spells them, compared with the Parquet's: lists spelt and
parsed as JSON arrays of strings, vectorised; which cells of two columns differ; whether a string
column may hold a line break (a row's line in its CSV).

Used by :mod:`nkdata.checks.package_tables`, which reports the differences (P803).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from nkdata.spec.conditions import false_for_null

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pyarrow as pa


def may_hold_newline(chunk: pa.Array) -> bool:
    """False only when no byte of the string array's data buffer is a line break (a slice's buffer may hold more)."""
    import numpy as np

    data = chunk.buffers()[2]
    if data is None:
        return False
    view = np.frombuffer(data, dtype=np.uint8)
    step = 1 << 24  # a 16 MiB comparison at a time: no temporary as large as the column
    return any(bool((view[i : i + step] == 10).any()) for i in range(0, len(view), step))


def either(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Cells flagged in ``a`` or ``b``, by column."""
    out = dict(a)
    for name, flagged in b.items():
        out[name] = out[name] | flagged if name in out else flagged
    return out


def differs(a: pa.ChunkedArray, b: pa.ChunkedArray) -> np.ndarray:
    """Which cells of two columns differ (a null differs from a value)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_list(a.type):  # Arrow compares no lists cell by cell; only columns that differ come here
        return np.array([x != y for x, y in zip(a.to_pylist(), b.to_pylist(), strict=True)], dtype=bool)
    one_null = pc.xor(a.is_null(), b.is_null())
    unequal = false_for_null(pc.not_equal(a, b))
    if pa.types.is_floating(a.type):  # NaN is NaN here: the CSV's "nan" says what the Parquet's NaN does
        unequal = pc.and_(unequal, pc.invert(false_for_null(pc.and_(pc.is_nan(a), pc.is_nan(b)))))
    return np.asarray(pc.or_(one_null, unequal).to_numpy(zero_copy_only=False))


def spell_json_lists(lists: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Lists of strings as :func:`nkdata.spec.columns.csv_cell` spells them, ``["a", "b"]``, vectorised.

    None when an item is null or holds a character JSON escapes (a quote, a backslash,
    a control character): :func:`parse_json_lists` then tells what the CSV says.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    out = []
    for chunk in lists.chunks:
        items = pc.list_flatten(chunk)
        if items.null_count:
            return None  # a null item: no join spells it
        if len(items) and items.buffers()[2] is not None:
            wide = np.int64 if pa.types.is_large_string(items.type) else np.int32
            offsets = np.frombuffer(items.buffers()[1], dtype=wide)[items.offset : items.offset + len(items) + 1]
            data = np.frombuffer(items.buffers()[2], dtype=np.uint8)[int(offsets[0]) : int(offsets[-1])]
            if ((data < 0x20) | (data == 0x22) | (data == 0x5C)).any():
                return None
        joined = pc.binary_join_element_wise('["', pc.binary_join(chunk, '", "'), '"]', "")
        out.append(pc.if_else(pc.equal(pc.list_value_length(chunk), 0), "[]", joined))
    return pa.chunked_array(out, pa.string())


def parse_json_lists(cells: pa.ChunkedArray, type_: pa.DataType) -> pa.ChunkedArray:
    """Lists from CSV cells spelled as :func:`nkdata.spec.columns.csv_cell` writes them, ``["a", "b"]``, vectorised.

    Cells with a backslash (an escaped character) are parsed with :func:`json.loads`;
    cells that are not such arrays come back null (and then differ from the Parquet).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = cells.combine_chunks()
    plain = false_for_null(pc.and_(pc.starts_with(arr, '["'), pc.ends_with(arr, '"]')))
    empty = false_for_null(pc.and_(pc.equal(pc.binary_length(arr), 2), pc.starts_with(arr, "[")))
    lists = pc.split_pattern(pc.utf8_slice_codeunits(arr, 2, -2), '", "')
    if pc.any(empty).as_py():
        lists = pc.if_else(empty, pa.scalar([], lists.type), lists)
    # an empty cell (null) stays null: it then differs from the Parquet's list (json.loads(None) raised)
    odd = pc.and_(pc.is_valid(arr), pc.or_(false_for_null(pc.match_substring(arr, "\\")), pc.invert(pc.or_(plain, empty)))).to_numpy(zero_copy_only=False)
    if odd.any():
        fixed = lists.to_pylist()
        for r in np.flatnonzero(odd).tolist():
            try:
                value = json.loads(arr[r].as_py())
                fixed[r] = value if isinstance(value, list) and all(isinstance(x, str) for x in value) else None
            except ValueError:
                fixed[r] = None
        lists = pa.array(fixed, lists.type)
    return pa.chunked_array([lists.cast(type_)])
