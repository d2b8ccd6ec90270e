"""Cells a spreadsheet would run as a formula (C600), on the rows of every table, curated or built.

nkdata rejects such text rather than altering the data (no leading apostrophe), so the CSV and
its Parquet twin keep the source's exact characters. A cell counts as a formula when it starts
with ``= + - @``, a tab or a carriage return, or when, read as a spreadsheet may read it (Unicode
NFKC, so a full-width ``＝`` is ``=``, and leading spaces dropped), it starts with ``= + @``: the
build publishes the source's own characters, so a curator's typing must not hide one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nkdata.checks.tablerows import TableRows, shorten
from nkdata.spec.conditions import from_numpy, list_items
from nkdata.spec.models import MODELS

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pyarrow as pa

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_BYTES = frozenset(c.encode()[0] for c in FORMULA_START)
#: What a formula starts with once the text is folded (NFKC) and its leading spaces dropped.
FOLDED_START = ("=", "+", "@")
_SPACES = " \u00a0\u3000"


def folded_formula(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula once it folds look-alikes and trims spaces."""
    import unicodedata

    return unicodedata.normalize("NFKC", text[:8]).lstrip(_SPACES).startswith(FOLDED_START)


def starts_formula(values: pa.Array) -> np.ndarray:
    """Which strings start with a character a spreadsheet runs (looks at first bytes only, in bulk)."""
    import numpy as np
    import pyarrow as pa

    arr = values if pa.types.is_string(values.type) or pa.types.is_large_string(values.type) else values.cast(pa.large_string())
    n = len(arr)
    if not n:
        return np.zeros(0, dtype=bool)
    wide = np.int64 if pa.types.is_large_string(arr.type) else np.int32  # no copy of the strings to widen offsets
    offsets = np.frombuffer(arr.buffers()[1], dtype=wide)[arr.offset : arr.offset + n + 1].astype(np.int64)
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8) if arr.buffers()[2] is not None else np.zeros(0, np.uint8)
    if not len(data):
        return np.zeros(n, dtype=bool)
    starts = offsets[:-1]
    nonempty = (offsets[1:] > starts) & arr.is_valid().to_numpy(zero_copy_only=False)
    first = data[np.minimum(starts, len(data) - 1)]
    hits = nonempty & np.isin(first, np.array(sorted(_FORMULA_BYTES), dtype=np.uint8))
    # a space or a non-ASCII first character may hide one (" =", "＝"): look at those few in Python
    maybe = np.flatnonzero(nonempty & ~hits & ((first == 0x20) | (first >= 0x80)))
    if len(maybe):
        texts = arr.take(from_numpy(maybe)).to_pylist()
        hits[maybe] = [folded_formula(t) for t in texts]
    return np.asarray(hits)


def check_formulas(rows: TableRows) -> None:
    """C600 for every text value (and list item) of the model's columns, in rows that passed their field checks."""
    import pyarrow as pa

    for name in MODELS[rows.table].model_fields:
        column = rows.data[name]
        if not (pa.types.is_list(column.type) or pa.types.is_string(column.type)):
            continue
        first = 0
        for chunk in column.chunks:  # a chunk at a time: no copy of a column as large as the evidence
            for r, s, sub in _formula_cells(chunk):
                if rows.ok[first + r]:
                    rows.report(
                        first + r,
                        "C600",
                        name,
                        f"{shorten(s, 40)!r} starts with {s[0]!r}, which spreadsheets run as a formula",
                        "reword or trim the value so it does not start with = + - @ or a tab (nor a look-alike such as ＝, or spaces before one)",
                        sub,
                    )
            first += len(chunk)


def _formula_cells(col: pa.Array) -> list[tuple[int, str, tuple[int, ...]]]:
    """(row, text, list item index or ()) of each cell of a string or list array that starts a formula."""
    import numpy as np
    import pyarrow as pa

    if pa.types.is_list(col.type):
        flat, parents, positions = list_items(col)
        items = np.flatnonzero(starts_formula(flat))
        return [(int(parents[i]), flat[int(i)].as_py(), (int(positions[i]),)) for i in items]
    found = np.flatnonzero(starts_formula(col))
    return [(r, s, ()) for r, s in zip(found.tolist(), col.take(from_numpy(found)).to_pylist(), strict=True)]
