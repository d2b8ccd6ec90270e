"""Column checks compiled from the models, run on Arrow columns (a package's, or curated records' as the build writes them).

* field constraints (type, required, vocabulary, pattern, minimum, length, and
  the same for each item of a list column) come from the models and the Table
  Schemas generated from them; only the few failing cells are handed to the
  model's own field validator, so they are worded as in the curated path
  (:mod:`nkdata.checks.fields`);
* cross-field rules (qualifier and bounds, date intervals, the other rules of a record)
  come from :mod:`nkdata.spec.rules`, the same table the pydantic validators run
  (:func:`check_rules`, on the rows whose fields passed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nkdata.checks import fields
from nkdata.checks.fields import describe_error
from nkdata.checks.tablerows import TableRows, primary_key
from nkdata.spec import rules as rules_mod
from nkdata.spec.conditions import ArrowColumns, false_for_null, from_numpy, list_items
from nkdata.spec.models import MODELS, Record
from nkdata.spec.schema import all_schemas, field_type

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pyarrow as pa


@dataclass(frozen=True)
class Constraints:
    """What a value (or each item of a list) must satisfy, read off a model field."""

    terms: tuple[str, ...] | None = None
    pattern: str | None = None
    min_length: int | None = None
    minimum: float | None = None
    finite: bool = False  # no infinity, no NaN (pydantic's allow_inf_nan=False)


@dataclass(frozen=True)
class Column:
    """One column's checks, compiled from its Table Schema field and model field."""

    name: str
    type: str  # Table Schema type
    required: bool
    value: Constraints
    item: Constraints | None  # for array columns
    in_model: bool  # False for computed columns (evidence offsets)


def _walk(annotation: Any, out: dict[str, Any]) -> Any:
    """Collect constraints from ``Annotated``/``Optional``/``Literal``; return the list item type, if any."""
    import types
    import typing

    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _walk(inner[0], out)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        for m in meta:
            _take(m, out)
        return _walk(base, out)
    if origin is typing.Literal:
        out["terms"] = tuple(typing.get_args(annotation))
        return None
    if origin is list:
        return typing.get_args(annotation)[0]
    return None


def _take(meta: Any, out: dict[str, Any]) -> None:
    for name, key in (("pattern", "pattern"), ("min_length", "min_length"), ("ge", "minimum")):
        value = getattr(meta, name, None)
        if value is not None:
            out[key] = value
    if getattr(meta, "allow_inf_nan", None) is False:
        out["finite"] = True
    for sub in getattr(meta, "metadata", None) or ():
        _take(sub, out)


def compile_columns(table: str) -> list[Column]:
    """The checks of every column of ``table``, from its model and Table Schema."""
    model = MODELS[table]
    out = []
    for f in all_schemas()[table]["fields"]:
        cons = f.get("constraints", {})
        info = model.model_fields.get(f["name"])
        if info is None:  # computed by the build
            out.append(Column(f["name"], f["type"], bool(cons.get("required")), Constraints(minimum=cons.get("minimum")), None, False))
            continue
        value: dict[str, Any] = {}
        item_type = _walk(info.annotation, value)
        for m in info.metadata:
            _take(m, value)
        item = None
        if field_type(info)[0] == "array":
            found: dict[str, Any] = {}
            _walk(item_type, found)
            item = Constraints(**found)
        out.append(Column(f["name"], f["type"], bool(cons.get("required")), Constraints(**value), item, True))
    return out


_ADAPTERS: dict[tuple[str, str], Any] = {}


def explain(model: type[Record], name: str, value: Any) -> list[dict[str, Any]]:
    """The model's own errors for one field value (pydantic error dicts, ``loc`` from the field)."""
    from typing import Annotated

    from pydantic import TypeAdapter, ValidationError

    key = (model.table, name)
    if key not in _ADAPTERS:
        info = model.model_fields[name]
        annotation: Any = Annotated[tuple([info.annotation, *info.metadata])] if info.metadata else info.annotation
        _ADAPTERS[key] = TypeAdapter(annotation)
    try:
        _ADAPTERS[key].validate_python(value)
    except ValidationError as exc:
        return [{**e, "loc": (name, *e["loc"])} for e in exc.errors()]
    return []


def check_fields(ct: TableRows, csv_bad: dict[str, np.ndarray]) -> None:
    """Type-level checks of every column, compiled from the model; failing cells are worded by the model."""
    import numpy as np

    model = MODELS[ct.table]
    bad_rows = np.zeros(ct.data.num_rows, dtype=bool)
    for bad in csv_bad.values():
        bad_rows |= bad
    for col in compile_columns(ct.table):
        values = ct.data[col.name]
        if col.required:
            missing = values.is_null().to_numpy(zero_copy_only=False)
            if col.name in csv_bad:
                missing &= ~csv_bad[col.name]
            for r in np.flatnonzero(missing).tolist():
                ct.report(r, *fields.missing_value(col.name, model if col.in_model else None))
            bad_rows |= missing
        if col.item is not None:
            items, parents, _ = list_items(values)
            flagged = violations(items, col.item)  # items of a list: references
            rows = np.zeros(ct.data.num_rows, dtype=bool)
            rows[parents[flagged]] = True
        else:
            rows = violations(values, col.value, col.name == primary_key(ct.table))
        if not rows.any():
            continue
        bad_rows |= rows
        hits = np.flatnonzero(rows)
        for r, value in zip(hits.tolist(), values.take(from_numpy(hits)).to_pylist(), strict=True):
            errs = explain(model, col.name, value) if col.in_model else []
            if not errs:
                ct.report(r, *fields.out_of_range(col.name, value, col.value.minimum, not col.in_model))
            for err in errs:
                code, fname, message, hint = describe_error(err, model)
                ct.report(r, code, fname, message, hint)
    ct.ok &= ~bad_rows


def check_rules(ct: TableRows) -> None:
    """Cross-field rules of :mod:`nkdata.spec.rules` on rows whose fields are fine; the first broken rule per row."""
    import numpy as np
    import pyarrow as pa

    checks = rules_mod.for_table(ct.table)
    if not checks or not ct.ok.any():
        return
    model = MODELS[ct.table]
    needed = set().union(*(r.needs() for r in checks))
    cols = ArrowColumns({n: ct.data[n].combine_chunks() if pa.types.is_list(ct.data[n].type) else ct.data[n] for n in needed})  # lists: one array (offsets)
    pending = ct.ok.copy()
    for rule in checks:
        broken = rule.when.arrow(cols).to_numpy(zero_copy_only=False) & pending
        if not broken.any():
            continue
        pending &= ~broken
        hits = np.flatnonzero(broken)
        taken = {n: c.take(from_numpy(hits)).to_pylist() for n, c in cols.items()}
        for k, r in enumerate(hits.tolist()):
            values = {n: v[k] for n, v in taken.items()}
            err = {"type": rule.kind, "loc": (), "msg": rule.format(values), "ctx": {"field": rule.field}}  # as the model raises it on the curated path
            ct.report(r, *describe_error(err, model))
    ct.ok = pending


def violations(values: pa.Array | pa.ChunkedArray, c: Constraints, distinct: bool = False) -> np.ndarray:
    """Rows (or items) whose non-null value breaks a constraint; ``distinct``: the values rarely repeat (ids)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    bad = np.zeros(len(values), dtype=bool)
    if c.terms is not None:  # is_in says False (not null) for a null: keep nulls out
        outside = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=pa.array(list(c.terms), values.type))))
        bad |= outside.to_numpy(zero_copy_only=False)
    if c.pattern is not None:
        bad |= _mismatches(values, c.pattern, distinct)
    if c.min_length is not None:  # a string holds at least one character when it holds a byte
        length = pc.binary_length(values) if c.min_length <= 1 else pc.utf8_length(values)
        bad |= false_for_null(pc.less(length, c.min_length)).to_numpy(zero_copy_only=False)
    if c.minimum is not None:
        bad |= false_for_null(pc.less(values, c.minimum)).to_numpy(zero_copy_only=False)
    if c.finite:
        bad |= false_for_null(pc.invert(pc.is_finite(values))).to_numpy(zero_copy_only=False)
    return bad


def _mismatches(values: pa.Array | pa.ChunkedArray, pattern: str, distinct: bool) -> np.ndarray:
    """Non-null strings that do not match ``pattern``; each distinct value matched once where values repeat (references)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    out = []
    for chunk in chunks:
        if distinct or len(chunk) < 1024:
            out.append(false_for_null(pc.invert(pc.match_substring_regex(chunk, pattern))))
            continue
        coded = pc.dictionary_encode(chunk)
        out.append(false_for_null(pc.invert(pc.match_substring_regex(coded.dictionary, pattern)).take(coded.indices)))
    return np.concatenate([np.asarray(o.to_numpy(zero_copy_only=False), dtype=bool) for o in out]) if out else np.zeros(0, dtype=bool)
