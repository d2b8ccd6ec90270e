"""Comparing two sides: schema changes classified by the Frictionless "Data Package
Version" recipe, and records matched by primary key and compared field by field.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from nkdata.release.descriptor import key_fields
from nkdata.versioning.changes import Change, Diff, FieldChange, RecordChange, TableDiff, plural
from nkdata.versioning.semver import Level
from nkdata.versioning.sides import META_KEYS, Side

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

BATCH_ROWS = 16_384  # rows of NEW converted to Python at a time
MAX_DETAILS = 1000  # changed records per table reported field by field (the rest by id only)


_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength")
_BOUNDS = _LOWER_BOUNDS + _UPPER_BOUNDS


def _comparable(a: Any, b: Any) -> bool:
    """Whether two bounds can be weighed (both numbers, or both texts such as dates; or one absent)."""
    kinds = {type(x) for x in (a, b) if x is not None}
    return kinds <= {int, float} or kinds == {str}


def _constraint_changes(table: str, col: str, old: dict[str, Any], new: dict[str, Any]) -> Iterator[Change]:
    """Tightened constraints are MAJOR, relaxed ones MINOR (the recipe's rule)."""
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a == b:
            continue
        where = f"column {col!r}"
        if key in ("required", "unique"):
            if bool(b) and not bool(a):
                yield Change(Level.MAJOR, table, f"{where} became {key} (constraint tightened)")
            elif bool(a) and not bool(b):
                yield Change(Level.MINOR, table, f"{where} is no longer {key} (constraint relaxed)")
        elif (key == "enum" and not all(isinstance(x, list) or x is None for x in (a, b))) or (key in _BOUNDS and not _comparable(a, b)):
            yield Change(Level.MAJOR, table, f"{where}: {key} changed from {a!r} to {b!r}")  # not terms or bounds to weigh
        elif key == "enum":
            if a is None:
                yield Change(Level.MAJOR, table, f"{where} now limited to the terms {', '.join(map(str, b or []))} (constraint tightened)")
            elif b is None:
                yield Change(Level.MINOR, table, f"{where} no longer limited to a vocabulary (constraint relaxed)")
            else:
                gone = [t for t in a if t not in b]
                new_terms = [t for t in b if t not in a]
                if gone:
                    yield Change(Level.MAJOR, table, f"{where}: vocabulary terms removed: {', '.join(map(str, gone))}")
                if new_terms:
                    yield Change(Level.MINOR, table, f"{where}: vocabulary terms added: {', '.join(map(str, new_terms))}")
        elif key in _BOUNDS:
            lower = key in _LOWER_BOUNDS
            if a is None:
                yield Change(Level.MAJOR, table, f"{where}: {key} {b} added (constraint tightened)")
            elif b is None:
                yield Change(Level.MINOR, table, f"{where}: {key} {a} removed (constraint relaxed)")
            elif (b > a) == lower:
                yield Change(Level.MAJOR, table, f"{where}: {key} {a} -> {b} (constraint tightened)")
            else:
                yield Change(Level.MINOR, table, f"{where}: {key} {a} -> {b} (constraint relaxed)")
        elif a is None:
            yield Change(Level.MAJOR, table, f"{where}: {key} constraint added (tightened)")
        elif b is None:
            yield Change(Level.MINOR, table, f"{where}: {key} constraint removed (relaxed)")
        else:  # e.g. a different pattern: it may reject values the old one took
            yield Change(Level.MAJOR, table, f"{where}: {key} changed from {a!r} to {b!r}")


def compare_schemas(table: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Column and constraint changes of one table."""
    out: list[Change] = []
    old_fields = {f["name"]: f for f in old.get("fields", [])}
    new_fields = {f["name"]: f for f in new.get("fields", [])}
    for name in old_fields:
        if name not in new_fields:
            out.append(Change(Level.MAJOR, table, f"column {name!r} removed (or renamed)"))
    for name, f in new_fields.items():
        if name not in old_fields:
            required = bool(f.get("constraints", {}).get("required"))
            kind = "required" if required else "optional"
            out.append(Change(Level.MAJOR if required else Level.MINOR, table, f"{kind} column {name!r} added ({f.get('type')})"))
    common_old = [n for n in old_fields if n in new_fields]
    common_new = [n for n in new_fields if n in old_fields]
    if common_old != common_new:
        out.append(Change(Level.MAJOR, table, "columns re-ordered: " + ", ".join(common_new)))
    for name in common_new:
        a, b = old_fields[name], new_fields[name]
        for prop in ("type", "format"):
            if a.get(prop) != b.get(prop):
                out.append(Change(Level.MAJOR, table, f"column {name!r} {prop} changed: {a.get(prop)} -> {b.get(prop)}"))
        out += _constraint_changes(table, name, a.get("constraints", {}), b.get("constraints", {}))
        if a.get("description") != b.get("description"):
            out.append(Change(Level.PATCH, table, f"column {name!r} description changed"))
        if a.get("categories") != b.get("categories") and a.get("constraints", {}).get("enum") == b.get("constraints", {}).get("enum"):
            out.append(Change(Level.PATCH, table, f"column {name!r} categories changed (labels or definitions)"))  # terms: the enum above
    if key_fields(old) != key_fields(new):
        out.append(Change(Level.MAJOR, table, f"primary key changed: {key_fields(old)} -> {key_fields(new)}"))
    fk_old = {json.dumps(fk, sort_keys=True) for fk in old.get("foreignKeys", [])}
    fk_new = {json.dumps(fk, sort_keys=True) for fk in new.get("foreignKeys", [])}
    for fk in sorted(fk_new - fk_old):
        out.append(Change(Level.MAJOR, table, f"foreign key added: {fk} (constraint tightened)"))
    for fk in sorted(fk_old - fk_new):
        out.append(Change(Level.MINOR, table, f"foreign key removed: {fk} (constraint relaxed)"))
    if old.get("missingValues") != new.get("missingValues"):
        out.append(Change(Level.MAJOR, table, f"missingValues changed: {old.get('missingValues')} -> {new.get('missingValues')}"))
    return out


# ---------------------------------------------------------------- record comparison


def _key(schema: dict[str, Any]) -> str | None:
    pk = key_fields(schema)
    return pk[0] if pk else None


def _digest(values: tuple[Any, ...]) -> bytes:
    """A fingerprint of a row's values: 16 bytes kept per OLD row instead of the row itself."""
    return hashlib.blake2b(repr(values).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _compare_aligned(diff: TableDiff, old: pa.Table, new: pa.Table, key: str, values: list[str], max_details: int | None) -> None:
    """The common case, the same ids in the same order: skip equal slices without leaving Arrow."""
    for start in range(0, old.num_rows, BATCH_ROWS):
        a, b = old.slice(start, BATCH_ROWS), new.slice(start, BATCH_ROWS)
        if a.equals(b):
            continue
        for was, now in zip(a.to_pylist(), b.to_pylist(), strict=True):
            if was == now:
                continue
            if max_details is not None and len(diff.changed) >= max_details:
                diff.changed.append(RecordChange(str(now[key]), None))
            else:
                diff.changed.append(RecordChange(str(now[key]), [FieldChange(c, was[c], now[c]) for c in values if was[c] != now[c]]))


def compare_rows(table: str, old: Side, new: Side, max_details: int | None = MAX_DETAILS) -> TableDiff:
    """Records added, removed and changed (field by field) between the two sides' rows of ``table``.

    Memory stays near the two Arrow tables: OLD is kept as id -> (fingerprint, position),
    NEW is read in batches, and old values are fetched back (``take``) only for the
    changed records whose fields are reported (at most ``max_details``; None: all).
    """
    old_t, new_t = old.read(table), new.read(table)
    diff = TableDiff(table, old_t.num_rows, new_t.num_rows, details_limit=max_details)
    old_schema, new_schema = old.schemas[table], new.schemas[table]
    types_old = {f["name"]: f.get("type") for f in old_schema.get("fields", [])}
    types_new = {f["name"]: f.get("type") for f in new_schema.get("fields", [])}
    present = set(old_t.column_names) & set(new_t.column_names)
    columns = [n for n in types_new if n in types_old and types_old[n] == types_new[n] and n in present]
    diff.skipped_columns = [n for n in types_new if n in types_old and n not in columns]
    key_old, key_new = _key(old_schema), _key(new_schema)
    if key_old is None or key_new is None or key_old != key_new or key_new not in columns:
        # without a shared key records cannot be matched: every record is re-identified
        diff.removed = sorted(str(v) for v in old_t.column(key_old or old_t.column_names[0]).to_pylist())
        diff.added = sorted(str(v) for v in new_t.column(key_new or new_t.column_names[0]).to_pylist())
        return diff
    values = [c for c in columns if c != key_new]
    old_sel, new_sel = old_t.select([key_new, *values]), new_t.select([key_new, *values])
    if old_sel.column(0).equals(new_sel.column(0)):
        _compare_aligned(diff, old_sel, new_sel, key_new, values, max_details)
        return diff
    index: dict[Any, tuple[bytes, int]] = {}
    position = 0
    for batch in old_sel.to_batches(BATCH_ROWS):
        for row in batch.to_pylist():
            index[row[key_new]] = (_digest(tuple(row[c] for c in values)), position)
            position += 1
    pending: list[tuple[str, int, tuple[Any, ...]]] = []  # changed records to report field by field
    for batch in new_sel.to_batches(BATCH_ROWS):
        for row in batch.to_pylist():
            rid = row[key_new]
            entry = index.pop(rid, None)
            if entry is None:
                diff.added.append(str(rid))
                continue
            now = tuple(row[c] for c in values)
            if _digest(now) == entry[0]:
                continue
            if max_details is None or len(pending) < max_details:
                pending.append((str(rid), entry[1], now))
            else:
                diff.changed.append(RecordChange(str(rid), None))
    if pending:
        before = old_sel.take([p[1] for p in pending]).to_pylist()
        for (rid, _, now), was in zip(pending, before, strict=True):
            fields = [FieldChange(c, was[c], v) for c, v in zip(values, now, strict=True) if was[c] != v]
            if fields:
                diff.changed.append(RecordChange(rid, fields))
    diff.removed = sorted(str(k) for k in index)
    diff.added.sort()
    diff.changed.sort(key=lambda r: r.id)
    return diff



def compare(old: Side, new: Side, max_details: int | None = MAX_DETAILS) -> Diff:
    """Compare two opened sides, table by table."""
    package: list[Change] = []
    tables: list[TableDiff] = []
    for name in old.schemas:
        if name not in new.schemas:
            package.append(Change(Level.MAJOR, name, "table removed"))
            t = old.read(name)
            tables.append(TableDiff(name, t.num_rows, None, removed=sorted(str(v) for v in t.column(_key(old.schemas[name]) or 0).to_pylist())))
    for name in new.schemas:
        if name not in old.schemas:
            t = new.read(name)
            package.append(Change(Level.MINOR, name, f"table added ({plural(t.num_rows, 'record')})"))
            tables.append(TableDiff(name, None, t.num_rows, added=sorted(str(v) for v in t.column(_key(new.schemas[name]) or 0).to_pylist())))
            continue
        td = compare_rows(name, old, new, max_details)
        td.schema = compare_schemas(name, old.schemas[name], new.schemas[name])
        tables.append(td)
    if old.meta and new.meta:
        if old.meta.get("name") != new.meta.get("name"):
            package.append(Change(Level.MAJOR, None, f"package name changed: {old.meta.get('name')} -> {new.meta.get('name')}"))
        for key in META_KEYS:
            if old.meta.get(key) != new.meta.get(key):
                package.append(Change(Level.PATCH, None, f"package {key} changed"))
    return Diff(old.label, old.version, new.label, new.version, tables, package)

