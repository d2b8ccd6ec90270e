"""The column types: one table from which every form of a column derives.

A column's Table Schema type (``string``, ``number``, ``integer``, ``boolean``,
``date``, ``array``) decides its Arrow type, how a CSV cell spells a value, and
its pandas dtype. Writers, readers, the package validator and ``nkdata.load()``
all ask here; nothing else spells these mappings.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

#: Table Schema type -> Arrow type name (``pa.<name>()``; arrays are lists of strings).
ARROW_TYPES: dict[str, str] = {
    "string": "string",
    "number": "float64",
    "integer": "int64",
    "boolean": "bool_",
    "date": "date32",
    "array": "list<string>",
}


def arrow_type(ftype: str) -> pa.DataType:
    """The Arrow type of a Table Schema type."""
    import pyarrow as pa

    name = ARROW_TYPES[ftype]
    return pa.list_(pa.string()) if name == "list<string>" else getattr(pa, name)()


def schema_type(t: pa.DataType) -> str:
    """The Table Schema type an Arrow type stands for (the inverse of :func:`arrow_type`)."""
    import pyarrow as pa

    kinds = (
        (pa.types.is_list, "array"),
        (pa.types.is_date, "date"),
        (pa.types.is_boolean, "boolean"),
        (pa.types.is_integer, "integer"),
        (pa.types.is_floating, "number"),
    )
    return next((ftype for test, ftype in kinds if test(t)), "string")


def csv_cell(value: Any, ftype: str) -> str:
    """The CSV spelling of a value: empty for null, JSON arrays for lists, ISO dates, 4000 not 4000.0."""
    if value is None:
        return ""
    if ftype == "array":
        return json.dumps(list(value), ensure_ascii=False)
    if ftype == "boolean":
        return "true" if value else "false"
    if ftype == "number":
        f = float(value)
        return str(int(f)) if f.is_integer() else repr(f)
    if ftype == "date":
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return str(value)


_EPOCH = dt.date(1970, 1, 1).toordinal()  # a date32 counts days from it


def impossible_dates(values: Any) -> Any:
    """Which cells of a date32 column name no calendar day (a numpy bool array): a date32 holds
    any of ±2^31 days, a date (Python's, the CSV's YYYY-MM-DD) is of a year from 1 to 9999."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from nkdata.spec.conditions import false_for_null

    days = pc.cast(values, pa.int32())
    outside = pc.or_(pc.less(days, dt.date.min.toordinal() - _EPOCH), pc.greater(days, dt.date.max.toordinal() - _EPOCH))
    return false_for_null(outside).to_numpy(zero_copy_only=False)


def csv_read_type(t: pa.DataType) -> pa.DataType:
    """The type a CSV reader reads a column as: lists stay JSON text, to be parsed after."""
    import pyarrow as pa

    return pa.string() if pa.types.is_list(t) else t


def pandas_dtype(t: pa.DataType) -> Any:
    """The pandas dtype of an Arrow column: nullable Int64 for integers, Arrow-backed lists and dates, else the default (None)."""
    import pyarrow as pa

    if pa.types.is_integer(t):
        import pandas as pd

        return pd.Int64Dtype()  # nullable integers, not floats
    if pa.types.is_list(t) or pa.types.is_date(t):
        import pandas as pd

        return pd.ArrowDtype(t)  # lists stay lists, dates stay dates
    return None


@functools.cache  # a schema is immutable, and the checks ask for each table's on every validation
def arrow_schema(table: str) -> pa.Schema:
    """Arrow schema of a table of a release, from its Table Schema, each column's description in its field metadata."""
    import pyarrow as pa

    from nkdata.spec.schema import all_schemas

    schema = all_schemas()[table]
    fields = [
        pa.field(
            f["name"],
            arrow_type(f["type"]),
            nullable=not f.get("constraints", {}).get("required", False) or f["type"] == "integer",
            metadata={"description": f["description"]},
        )
        for f in schema["fields"]
    ]
    return pa.schema(fields, metadata={"table": table, "primary_key": schema["primaryKey"][0]})
