"""Ids and references (I300, I301, I302), on the rows of every table, curated or built.

I300: an id used twice in one table. I301: a reference to an id that no record
has (a record with problems of its own is there: its problems say what to fix).
I302: a reference to a valid entity of a kind the field does not take. Only the
references of rows that passed their field checks are looked at, on both paths.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nkdata.checks.tablerows import TableRows, primary_key
from nkdata.spec.conditions import from_numpy, list_items
from nkdata.spec.models import MODELS

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pyarrow as pa

CLOSE_MATCH_LIMIT = 5_000  # suggest a near id only among this many (difflib is quadratic)


def check_duplicates(rows: TableRows) -> None:
    """I300 at every row whose id an earlier row already has."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    id_field = primary_key(rows.table)
    valid = np.flatnonzero(rows.ok)
    if not len(valid):
        return
    ids = rows.data[id_field].take(from_numpy(valid)) if len(valid) < rows.data.num_rows else rows.data[id_field]
    if len(ids) < 2 or pc.all(pc.less(ids.slice(0, len(ids) - 1), ids.slice(1))).as_py():
        return  # strictly increasing (as the build writes them): no id twice
    t = pa.table({"id": ids, "row": from_numpy(valid)})
    groups = t.group_by("id", use_threads=False).aggregate([("row", "min"), ("row", "count")])
    dups = groups.filter(pc.greater(groups["row_count"], 1))
    if not dups.num_rows:
        return
    first = dict(zip(dups["id"].to_pylist(), dups["row_min"].to_pylist(), strict=True))
    for r, rid in zip(valid.tolist(), ids.to_pylist(), strict=True):
        if rid in first and first[rid] != r:
            rows.report(r, "I300", id_field, f"id {rid!r} is already used at {rows.where(first[rid])}", "give every record its own id")


def _ids(rows: TableRows | None, table: str, failed: set[str]) -> pa.Array:
    """The ids of a table's records, those with problems included: first the valid rows' in row order
    (an entity's position is its kind's, and an id given twice is found as its valid record), then the
    other rows', then ``failed``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if rows is None:
        return pa.array(sorted(failed), pa.string())
    own = rows.data[MODELS[table].id_field].combine_chunks()
    ok = from_numpy(rows.ok)
    return pa.concat_arrays([own.filter(ok), own.filter(pc.invert(ok)), pa.array(sorted(failed), pa.string())])


def reference_fields(table: str) -> list[tuple[str, str, list[str] | None]]:
    """(field, target table, allowed entity kinds) of every reference column of a record table."""
    out = []
    for name, info in MODELS[table].model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if "ref" in extra:
            kinds = extra.get("ref_kinds")
            out.append((name, str(extra["ref"]), [str(k) for k in kinds] if isinstance(kinds, list) else None))
    return out


def _items(col: pa.Array) -> tuple[pa.Array, np.ndarray, np.ndarray | None]:
    """(values, the row of each value, its position in its row's list or None for a scalar column)."""
    import numpy as np
    import pyarrow as pa

    if not pa.types.is_list(col.type):
        return col, np.arange(len(col)), None
    return list_items(col)


def check_references(tables: Mapping[str, TableRows], failed: Mapping[str, set[str]] | None = None) -> None:
    """I301 and I302 for every reference of every valid row of the record tables.

    A reference to a record that is there but has problems of its own is not I301: that record's
    problems say what to fix (every figure citing a source with one bad field reported "not a known
    source id", with a "did you mean" pointing elsewhere). Its kind is checked only once it is valid.
    Such records are rows with problems in a package; in curated YAML, ``failed`` gives the ids of
    those that failed their model (they are no rows).
    """
    import pyarrow as pa

    ids = {t: _ids(tables.get(t), t, (failed or {}).get(t, set())) for t in MODELS}
    entities = tables.get("entities")
    kinds = None
    if entities is not None:  # an entity with problems has no kind to hold against a reference (null: not checked)
        kinds = entities.data["kind"].combine_chunks().filter(from_numpy(entities.ok))  # the valid entities', as in ids
        kinds = pa.concat_arrays([kinds, pa.nulls(len(ids["entities"]) - len(kinds), kinds.type)])  # the others' unchecked
    for rows in tables.values():
        if rows.table not in MODELS:
            continue
        for name, target, allowed in reference_fields(rows.table):
            _check_column(rows, name, target, allowed, ids[target], kinds)


def _check_column(rows: TableRows, name: str, target: str, allowed: list[str] | None, ids: pa.Array, kinds: pa.Array | None) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    values, parents, positions = _items(rows.data[name].combine_chunks())
    keep = rows.ok[parents] & values.is_valid().to_numpy(zero_copy_only=False)
    index = pc.index_in(values, value_set=ids)
    found = index.is_valid().to_numpy(zero_copy_only=False)

    def sub(i: int) -> tuple[Any, ...]:
        return () if positions is None else (int(positions[i]),)

    dangling = np.flatnonzero(keep & ~found)
    if len(dangling):
        known = [k for k in ids.to_pylist() if k is not None] if len(ids) <= CLOSE_MATCH_LIMIT else []
        place = "data/entities.yaml" if target == "entities" else "its source file"
        for i in dangling.tolist():
            v = values[i].as_py()
            close = difflib.get_close_matches(v, known, n=1) if known else []
            hint = f"did you mean {close[0]!r}?" if close else f"add it to {place} first"
            rows.report(int(parents[i]), "I301", name, f"{v!r} is not a known {MODELS[target].noun} id", hint, sub(i))
    if not allowed or kinds is None:
        return
    hits = np.flatnonzero(keep & found)
    if not len(hits):
        return
    where = index.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    right_kind = pc.or_kleene(pc.is_in(kinds, value_set=pa.array(allowed, kinds.type)), pc.is_null(kinds))  # null: an entity with problems, not checked
    right_kind = np.asarray(right_kind.to_numpy(zero_copy_only=False), dtype=bool)  # each entity's, once
    for i in hits[~right_kind[where[hits]]].tolist():
        kind = kinds[int(where[i])].as_py()
        rows.report(
            int(parents[i]),
            "I302",
            name,
            f"{values[i].as_py()!r} is a {kind}, but {name} takes {' or '.join(allowed)}",
            "point to an entity of the right kind",
            sub(i),
        )
