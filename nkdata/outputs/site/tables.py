"""A release's tables as the site and ``nkdata plot`` read them: each column checked against its
Table Schema first.

A release's hashes say that its files are the ones its descriptor lists, not that what is in them
is what a build writes: a release made by other means, or tampered with and hashed again, can hold
a number as text, an infinite value or a date Python cannot hold. The pages and charts assume the
types the schema gives, so each table is checked once, here, and a column that breaks them is one
error naming the file, the column and the row, instead of a traceback halfway through the charts.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from nkdata.errors import IntegrityError
from nkdata.release.reader import PARQUET_PROPERTY, Release
from nkdata.spec.columns import arrow_type, schema_type
from nkdata.spec.schema import all_schemas

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

#: The tables every release has; a release older than the claims table has it derived from its figures.
RECORD_TABLES = ("figures", "sources", "entities", "statements", "events")
CLAIMS = "claims"

_EPOCH = dt.date(1970, 1, 1)
#: The days (since 1970-01-01) a date column may hold: the days Python's dates can hold, less one at
#: the end, since a claim's interval ends the day after its last day.
_DAYS = ((dt.date.min - _EPOCH).days, (dt.date.max - _EPOCH).days - 1)


class TableError(IntegrityError):
    """A table of a release whose columns are not what its Table Schema says."""

    def __init__(self, where: str, column: str, problem: str, row: str = ""):
        super().__init__(f"{where}: column {column}{row} {problem}; the release was not built by nkdata or was altered: build or download it again")


def read_tables(release: Release) -> dict[str, pa.Table]:
    """Every table of ``release`` (the claims table derived when the release predates it), each
    verified and checked: a column missing or of another type, an empty required cell, a number
    that is not finite or below its minimum, or a date out of range is a :class:`TableError`."""
    from nkdata.release.rows import claims_table

    raw = {name: checked(release, name) for name in RECORD_TABLES}
    raw[CLAIMS] = checked(release, CLAIMS) if CLAIMS in release.resources else claims_table(raw)
    return {name: with_every_column(name, table) for name, table in raw.items()}


def checked(release: Release, name: str) -> pa.Table:
    """One table of ``release`` (read and verified by the release reader), its columns checked."""
    table = release.arrow(name)
    where = str(release.folder / str(release.resources[name][PARQUET_PROPERTY]["path"]))
    schema = all_schemas()[name]
    for field in schema["fields"]:
        column = field["name"]
        if column not in table.column_names:
            if _required(field):
                raise TableError(where, column, "is missing (the table's schema requires it)")
            continue
        if table.column_names.count(column) > 1:
            raise TableError(where, column, f"appears {table.column_names.count(column)} times")
        found = column_problem(table.column(column), field)
        if found is not None:
            problem, row = found
            raise TableError(where, column, problem, _row(table, schema["primaryKey"][0], row))
    return table


def _row(table: pa.Table, key: str, row: int | None) -> str:
    """`` in row 3 (figure_id 'fig-x')``: rows counted from 1, with the row's id when the table has its id column."""
    if row is None:
        return ""
    ident = table.column(key)[row].as_py() if key in table.column_names else None
    ident = "" if ident is None else f" ({key} {ident!r})"
    return f" in row {row + 1}{ident}"


def with_every_column(name: str, table: pa.Table) -> pa.Table:
    """``table`` with the optional columns its release predates, as empty columns (pages read them by name)."""
    import pyarrow as pa

    for field in all_schemas()[name]["fields"]:
        if field["name"] not in table.column_names:
            kind = arrow_type(field["type"])
            table = table.append_column(pa.field(field["name"], kind), pa.nulls(table.num_rows, kind))
    return table


def _required(field: dict[str, Any]) -> bool:
    return bool(field.get("constraints", {}).get("required"))


def _kind(t: pa.DataType) -> str | None:
    """The Table Schema type of an Arrow type the pages can read as that type, else None."""
    import pyarrow as pa

    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return "array" if _kind(t.value_type) == "string" else None
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "string"
    if pa.types.is_date(t) and not pa.types.is_date32(t):
        return None
    kind = schema_type(t)
    return None if kind == "string" else kind  # schema_type calls every other type a string


def column_problem(values: pa.ChunkedArray, field: dict[str, Any]) -> tuple[str, int | None] | None:
    """What is wrong with one column and the first row it is wrong in (from 0; None for the column's
    type), or None when nothing is."""
    import pyarrow.compute as pc

    kind = _kind(values.type)
    if kind != field["type"]:
        return f"is of type {values.type}, not {field['type']}", None
    if _required(field) and values.null_count:
        return "is empty, and its schema requires a value", _first(pc.is_null(values))
    if kind == "number":
        infinite = pc.invert(pc.is_finite(values))
        if pc.any(infinite).as_py():
            row = _first(infinite)
            return f"holds {values[row].as_py()}, not a finite number", row
    if kind == "date":
        days = pc.cast(values, "int32")
        outside = pc.or_(pc.less(days, _DAYS[0]), pc.greater(days, _DAYS[1]))
        if pc.any(outside).as_py():
            return "holds a date outside the years 1 to 9999", _first(outside)
    minimum = field.get("constraints", {}).get("minimum")
    if minimum is not None and kind in ("number", "integer") and pc.any(pc.less(values, minimum)).as_py():
        row = _first(pc.less(values, minimum))
        return f"holds {values[row].as_py()}, below its minimum {minimum}", row
    return None


def _first(mask: Any) -> int:
    """The index of the first true value of a boolean Arrow array (nulls are false)."""
    import pyarrow.compute as pc

    return int(pc.index(pc.fill_null(mask, False), True).as_py())
