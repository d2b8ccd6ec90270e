"""A release as one SQLite database, ready for datasette: ``nkdata export sqlite OUT.db``.

Everything is driven by the release's ``datapackage.json``, so a table added to
the data (``claims``, say) is exported without a change here:

- every tabular resource becomes a table with its Table Schema's columns,
  primary key and foreign keys (dates as ISO text, integers INTEGER, numbers
  REAL, booleans 0/1, list columns as JSON text);
- every list column also becomes a link table, one row per item:
  ``figure_attribution(figure_id, position, entity_id)``, position 0 first.
  When the items are ids of another table (the schema's description says
  "an id in 'entities'", or every item carries that table's id prefix, such as
  ``src-``, and exists there) the item column is a foreign key to it;
- scalar columns that hold another table's ids without a declared foreign key
  (a description saying "an id in 'X'", or the id pattern of X's key, as
  ``claim_id`` has ``^clm-``) get one when every value resolves;
- free-text columns (strings with no vocabulary, id pattern or reference, and
  lists of free text such as aliases) are indexed with FTS5 in ``TABLE_fts``,
  which datasette finds by itself (``?_search=``);
- ``nkdata_release`` records which release the database was built from.

:func:`datasette_metadata` gives the title, description, licence, source and
every table's and column's description for ``datasette OUT.db -m OUT.metadata.json``.

The same release gives the same rows and schema (rows in release order, names
and SQL generated in descriptor order). ``OUT`` must be a new or a regular file
(a folder, device, FIFO or symlink is refused before the release is read), and is
written beside itself and renamed into place (:mod:`nkdata.release.placing`), so an
error leaves nothing half-written. Only the standard library's sqlite3 is needed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nkdata.errors import BuildError, NkdataError, UsageError
from nkdata.release.descriptor import field_names
from nkdata.release.placing import check_target, replaced_atomically

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

    from nkdata.access.loader import Dataset

#: Table Schema type -> SQLite column type.
SQL_TYPES = {"integer": "INTEGER", "number": "REAL", "boolean": "INTEGER", "year": "INTEGER"}
RELEASE_TABLE = "nkdata_release"
FTS_SUFFIX = "_fts"
#: FTS5 adds these shadow tables beside each index.
FTS_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")
MAX_FACETS = 3  # datasette facets shown by default: the first vocabulary columns of a table
FTS_TOKENIZE = "porter unicode61 remove_diacritics 2"  # 'soldier' finds 'soldiers'; accents folded

_REF = re.compile(r"\ban id in '([A-Za-z0-9_]+)'")
_VOCAB = re.compile(r"\bterm of the '[^']+' vocabulary")
_PREFIX = re.compile(r"^\^([a-z]+-)")


def quote(name: str) -> str:
    """An SQL identifier, double-quoted."""
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------- the plan: what to create, from the descriptor


@dataclass(frozen=True)
class Column:
    name: str
    ftype: str  # Table Schema type
    required: bool
    description: str

    @property
    def sql_type(self) -> str:
        return SQL_TYPES.get(self.ftype, "TEXT")


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    table: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class Link:
    """The link table of one list column: one row per item."""

    name: str
    owner: str
    owner_key: tuple[str, ...]
    column: str  # the list column in the owner table
    item: str  # the item column's name
    reference: ForeignKey | None  # the item column's foreign key, when items are ids


@dataclass
class TablePlan:
    name: str
    title: str
    description: str
    columns: list[Column]
    primary_key: tuple[str, ...]
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    fts: list[str] = field(default_factory=list)
    resource: dict[str, Any] = field(default_factory=dict)


def _tabular(descriptor: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in descriptor.get("resources", []) if isinstance(r.get("schema"), dict) and r.get("name")]


def _as_tuple(value: Any) -> tuple[str, ...]:
    return tuple(field_names(value))


def _prefix(f: dict[str, Any]) -> str | None:
    m = _PREFIX.match(str((f.get("constraints") or {}).get("pattern", "")))
    return m.group(1) if m else None


def _singular(table: str, key: tuple[str, ...]) -> str:
    """``figures`` (key ``figure_id``) -> ``figure``: the stem of link table names."""
    return key[0].removesuffix("_id") if len(key) == 1 and key[0].endswith("_id") else table


class _Ids:
    """The key values of every single-key table, to check inferred references against."""

    def __init__(self, plans: dict[str, TablePlan], data: dict[str, pa.Table]):
        self.keys: dict[str, set[Any]] = {}
        for name, plan in plans.items():
            if len(plan.primary_key) == 1:
                self.keys[name] = set(data[name].column(plan.primary_key[0]).to_pylist())

    def all_in(self, table: str, values: list[Any]) -> bool:
        keys = self.keys.get(table)
        return keys is not None and all(v is None or v in keys for v in values)


def plan_tables(descriptor: dict[str, Any], data: dict[str, pa.Table]) -> list[TablePlan]:
    """What to create for each tabular resource of ``descriptor`` (``data``: its rows, by table)."""
    plans: dict[str, TablePlan] = {}
    for res in _tabular(descriptor):
        schema = res["schema"]
        columns = [
            Column(f["name"], f.get("type", "string"), bool((f.get("constraints") or {}).get("required")), f.get("description", ""))
            for f in schema.get("fields", [])
        ]
        fks = []
        for fk in schema.get("foreignKeys", []):
            ref = fk.get("reference", {})
            fks.append(ForeignKey(_as_tuple(fk["fields"]), ref.get("resource") or res["name"], _as_tuple(ref.get("fields"))))
        key = _as_tuple(schema.get("primaryKey"))
        plans[res["name"]] = TablePlan(res["name"], res.get("title", res["name"]), res.get("description", ""), columns, key, fks, resource=res)
    missing = [f"{t}.{c.name}" for t, p in plans.items() for c in p.columns if c.name not in data[t].column_names]
    if missing:
        raise BuildError(f"the release's files lack columns its datapackage.json declares: {', '.join(missing)}; the release is damaged")
    ids = _Ids(plans, data)
    by_prefix = {}
    for name, plan in plans.items():
        fields = {f["name"]: f for f in plan.resource["schema"].get("fields", [])}
        if len(plan.primary_key) == 1 and (p := _prefix(fields.get(plan.primary_key[0], {}))):
            by_prefix[p] = name
    names = set(plans) | {RELEASE_TABLE}
    for plan in plans.values():
        fields = {f["name"]: f for f in plan.resource["schema"].get("fields", [])}
        declared = {fk.fields[0] for fk in plan.foreign_keys if len(fk.fields) == 1}
        for col in plan.columns:
            f = fields[col.name]
            described = _REF.search(col.description)
            if col.ftype == "array":
                plan.links.append(_link(plan, col, described.group(1) if described else None, by_prefix, plans, ids, data))
            elif col.name not in declared and col.name not in plan.primary_key and col.ftype == "string":
                target = described.group(1) if described else by_prefix.get(_prefix(f) or "")
                if target in plans and target != plan.name and ids.all_in(target, data[plan.name].column(col.name).to_pylist()):
                    plan.foreign_keys.append(ForeignKey((col.name,), target, plans[target].primary_key))
                    declared.add(col.name)
        plan.fts = _fts_columns(plan, fields, declared)
        if not plan.primary_key:
            plan.links = []  # nothing for the items to point back to; the JSON column stays
        for extra in [link.name for link in plan.links] + ([plan.name + FTS_SUFFIX] if plan.fts else []):
            if extra in names or any(extra == p + FTS_SUFFIX + s for p in plans for s in FTS_SHADOWS):
                raise BuildError(f"table name {extra!r} is taken twice (by a resource and by what the export derives); rename the resource")
            names.add(extra)
    return list(plans.values())


def _link(plan: TablePlan, col: Column, described: str | None, by_prefix: dict[str, str],
          plans: dict[str, TablePlan], ids: _Ids, data: dict[str, pa.Table]) -> Link:
    items = [i for row in data[plan.name].column(col.name).to_pylist() for i in (row or [])]
    target = described
    if target is None and items and all(isinstance(i, str) for i in items):
        prefixes = {i.split("-", 1)[0] + "-" for i in items}
        candidate = by_prefix.get(prefixes.pop()) if len(prefixes) == 1 else None
        target = candidate if candidate and ids.all_in(candidate, items) else None
    reference = None
    item = "value"
    if target in plans and len(plans[target].primary_key) == 1:
        key = plans[target].primary_key[0]
        item = key if key not in plan.primary_key and key != "position" else f"{col.name}_item"
        reference = ForeignKey((item,), target, (key,))
    return Link(f"{_singular(plan.name, plan.primary_key)}_{col.name}", plan.name, plan.primary_key, col.name, item, reference)


def _fts_columns(plan: TablePlan, fields: dict[str, dict[str, Any]], refs: set[str]) -> list[str]:
    """Free text: strings without vocabulary, id pattern or reference; lists of free text."""
    out = []
    link_refs = {link.column for link in plan.links if link.reference}
    for col in plan.columns:
        constraints = fields[col.name].get("constraints") or {}
        if col.name in plan.primary_key or col.name in refs or _REF.search(col.description):
            continue
        if col.ftype == "string" and not constraints.get("enum") and not constraints.get("pattern"):
            out.append(col.name)
        elif col.ftype == "array" and col.name not in link_refs and not _VOCAB.search(col.description):
            out.append(col.name)
    return out


# ---------------------------------------------------------------- writing


def _cell(value: Any, ftype: str) -> Any:
    if value is None:
        return None
    if ftype in ("date", "datetime", "time"):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    if ftype == "array":
        return json.dumps(list(value), ensure_ascii=False)
    if ftype == "object":
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if ftype == "boolean":
        return int(bool(value))
    if ftype == "number":
        number = float(value)
        return None if math.isnan(number) else number
    if ftype in ("integer", "year"):
        return int(value)
    return value


def _create_sql(name: str, columns: list[tuple[str, str, bool]], pk: tuple[str, ...], fks: list[ForeignKey]) -> str:
    parts = [f"  {quote(c)} {t}{' NOT NULL' if req else ''}" for c, t, req in columns]
    if pk:
        parts.append(f"  PRIMARY KEY ({', '.join(map(quote, pk))})")
    for fk in fks:
        parts.append(f"  FOREIGN KEY ({', '.join(map(quote, fk.fields))}) REFERENCES {quote(fk.table)} ({', '.join(map(quote, fk.columns))})")
    return f"CREATE TABLE {quote(name)} (\n" + ",\n".join(parts) + "\n)"


def _write_table(conn: sqlite3.Connection, plan: TablePlan, table: pa.Table) -> None:
    conn.execute(_create_sql(plan.name, [(c.name, c.sql_type, c.required) for c in plan.columns], plan.primary_key, plan.foreign_keys))
    names = [c.name for c in plan.columns]
    types = [c.ftype for c in plan.columns]
    insert = f"INSERT INTO {quote(plan.name)} ({', '.join(map(quote, names))}) VALUES ({', '.join('?' * len(names))})"
    for link in plan.links:
        cols = [(k, next(c.sql_type for c in plan.columns if c.name == k), True) for k in link.owner_key]
        cols += [("position", "INTEGER", True), (link.item, "TEXT", True)]
        fks = [ForeignKey(link.owner_key, plan.name, plan.primary_key)] + ([link.reference] if link.reference else [])
        conn.execute(_create_sql(link.name, cols, (*link.owner_key, "position"), fks))
    for batch in table.select(names).to_batches(max_chunksize=10_000):
        rows = batch.to_pylist()
        conn.executemany(insert, ([_cell(r[n], t) for n, t in zip(names, types, strict=True)] for r in rows))
        for link in plan.links:
            sql = f"INSERT INTO {quote(link.name)} VALUES ({', '.join('?' * (len(link.owner_key) + 2))})"
            conn.executemany(sql, ([*(r[k] for k in link.owner_key), i, item] for r in rows for i, item in enumerate(r[link.column] or [])))


def _indexes(conn: sqlite3.Connection, plans: list[TablePlan]) -> None:
    """An index on every foreign key column that does not lead a primary key: fast joins and facets."""
    for plan in plans:
        tables = [(plan.name, plan.primary_key, plan.foreign_keys)]
        tables += [(lk.name, (*lk.owner_key, "position"), [lk.reference] if lk.reference else []) for lk in plan.links]
        for name, pk, fks in tables:
            for fk in fks:
                if tuple(pk[: len(fk.fields)]) != fk.fields:
                    conn.execute(f"CREATE INDEX {quote('idx_' + name + '_' + '_'.join(fk.fields))} ON {quote(name)} ({', '.join(map(quote, fk.fields))})")


def _fts(conn: sqlite3.Connection, plan: TablePlan) -> None:
    """An external-content FTS5 index over the table's free text (built once: no triggers needed)."""
    if not plan.fts:
        return
    fts = quote(plan.name + FTS_SUFFIX)
    cols = ", ".join(map(quote, plan.fts))
    # content=[table] is the spelling datasette's detect_fts looks for.
    conn.execute(f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content=[{plan.name}], tokenize='{FTS_TOKENIZE}')")
    conn.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")


def _release_rows(descriptor: dict[str, Any], descriptor_bytes: bytes) -> list[tuple[str, str]]:
    licenses = descriptor.get("licenses") or []
    rows = [
        ("name", descriptor.get("name")),
        ("id", descriptor.get("id")),
        ("title", descriptor.get("title")),
        ("version", descriptor.get("version")),
        ("created", descriptor.get("created")),
        ("homepage", descriptor.get("homepage")),
        ("licenses", json.dumps(licenses, ensure_ascii=False) if licenses else None),
        ("datapackage_sha256", hashlib.sha256(descriptor_bytes).hexdigest()),
    ]
    return [(k, str(v)) for k, v in rows if v is not None]


def _check_foreign_keys(conn: sqlite3.Connection) -> None:
    bad = conn.execute("PRAGMA foreign_key_check").fetchall()
    if bad:
        table, rowid, parent, _ = bad[0]
        raise BuildError(f"{len(bad)} reference(s) point to no row; first: table {table!r} row {rowid} -> {parent!r}. Check the release with 'nkdata validate'")


def write_database(path: Path, descriptor: dict[str, Any], data: dict[str, pa.Table], descriptor_bytes: bytes = b"") -> list[TablePlan]:
    """Create the database at ``path`` (which must not exist, or be empty) from a release's tables."""
    plans = plan_tables(descriptor, data)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")  # a temporary file, renamed only when complete
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        for plan in plans:
            _write_table(conn, plan, data[plan.name])
        _indexes(conn, plans)
        for plan in plans:
            _fts(conn, plan)
        conn.execute(f"CREATE TABLE {quote(RELEASE_TABLE)} (key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL)")
        conn.executemany(f"INSERT INTO {quote(RELEASE_TABLE)} VALUES (?, ?)", _release_rows(descriptor, descriptor_bytes))
        _check_foreign_keys(conn)
        conn.execute("COMMIT")
        conn.execute("VACUUM")  # compact, and the same bytes for the same rows
    finally:
        conn.close()
    return plans


# ---------------------------------------------------------------- datasette metadata


def _license(entries: list[dict[str, Any]]) -> dict[str, str]:
    if not entries:
        return {}
    first = entries[0]
    out = {"license": ", ".join(str(e.get("name") or e.get("title") or e.get("path")) for e in entries)}
    if first.get("path"):
        out["license_url"] = str(first["path"])
    return out


def datasette_metadata(descriptor: dict[str, Any], plans: list[TablePlan], database: str) -> dict[str, Any]:
    """datasette's metadata for the database file named ``database`` (its stem): title, description,
    licence, source, each table's and column's description (units where a field declares one),
    and facets on the first vocabulary (enum) columns."""
    version = descriptor.get("version", "?")
    homepage = descriptor.get("homepage")
    meta: dict[str, Any] = {
        "title": descriptor.get("title") or descriptor.get("name", "nkdata"),
        "description": descriptor.get("description", ""),
        **_license(descriptor.get("licenses") or []),
        "source": f"{descriptor.get('name', 'nkdata')} {version} data package" + (f" ({descriptor['id']})" if descriptor.get("id") else ""),
    }
    if homepage:
        meta["source_url"] = homepage
    tables: dict[str, Any] = {}
    for plan in plans:
        fields = {f["name"]: f for f in plan.resource["schema"].get("fields", [])}
        entry: dict[str, Any] = {"title": plan.title, "description": plan.description, "columns": {c.name: c.description for c in plan.columns}}
        facets = [c.name for c in plan.columns if (fields[c.name].get("constraints") or {}).get("enum")][:MAX_FACETS]
        if facets:
            entry["facets"] = facets  # vocabulary columns: counts per term beside the rows
        units = {c.name: str(fields[c.name]["unit"]) for c in plan.columns if fields[c.name].get("unit")}
        if units:
            entry["units"] = units
        entry.update(_license(plan.resource.get("licenses") or []))
        if plan.fts:
            entry["description"] += f" Full-text search covers: {', '.join(plan.fts)}."
        tables[plan.name] = entry
        for link in plan.links:
            col = next(c for c in plan.columns if c.name == link.column)
            target = f"; each an id in '{link.reference.table}'" if link.reference else ""
            tables[link.name] = {
                "title": f"{plan.title}: {link.column}",
                "description": f"One row per item of {plan.name}.{link.column}, in order{target}. {col.description}",
                "columns": {
                    **{k: f"The {_singular(plan.name, plan.primary_key)} ({plan.name}.{k})." for k in link.owner_key},
                    "position": f"Place of the item in {plan.name}.{link.column}, from 0 (the first).",
                    link.item: f"One item of {plan.name}.{link.column}.",
                },
            }
    tables[RELEASE_TABLE] = {
        "title": "Release",
        "description": "The data package this database was built from: name, version, date, licences and the sha256 of its datapackage.json.",
        "columns": {"key": "What the value is.", "value": "The value (licenses as JSON)."},
    }
    meta["databases"] = {database: {"tables": tables}}
    return meta


# ---------------------------------------------------------------- the entry point


@dataclass(frozen=True)
class Export:
    """What :func:`export_sqlite` wrote."""

    path: Path
    metadata_path: Path | None
    version: str
    tables: dict[str, int]  # every table created (release tables and link tables) -> rows


def _open(release: Path | str | None) -> tuple[Dataset, bytes]:
    from nkdata.access.loader import Dataset, load
    from nkdata.release.reader import Release

    if release is None:
        ds: Dataset = load(format="arrow")
    else:
        path = Path(release)
        if not path.exists():
            raise UsageError(f"{path} does not exist: give a release folder or its datapackage.json")
        folder = path.parent if path.is_file() and path.name.endswith(".json") else path
        if path.suffix == ".zip":
            raise UsageError(f"{path} is a zip: unzip it and give its nkdata-VERSION folder")
        ds = Dataset(Release(folder), format="arrow")
    return ds, (ds.path / "datapackage.json").read_bytes()


def default_metadata_path(out: Path) -> Path:
    """``nkdata.db`` -> ``nkdata.metadata.json`` beside it."""
    return out.with_name(out.stem + ".metadata.json")


def export_sqlite(out: Path | str, release: Path | str | None = None, metadata: Path | str | None | bool = True) -> Export:
    """Write the release (default: the embedded one; else a release folder or its
    datapackage.json) to the SQLite database ``out``, replacing it atomically.

    ``metadata``: where to write datasette's metadata JSON; ``True`` (default)
    puts it beside ``out`` as ``STEM.metadata.json``, ``False`` or ``None`` writes none.
    """
    out = Path(out)
    check_target(out, "database")
    meta_path = default_metadata_path(out) if metadata is True else (Path(metadata) if metadata else None)
    if meta_path is not None:
        check_target(meta_path, "metadata")
    ds, descriptor_bytes = _open(release)
    descriptor = ds.datapackage
    data = {res["name"]: ds[res["name"]] for res in _tabular(descriptor)}
    try:
        with contextlib.ExitStack() as stack:  # the database is renamed into place first, then its metadata
            tmp_meta = stack.enter_context(replaced_atomically(meta_path, "metadata")) if meta_path is not None else None
            with replaced_atomically(out, "database") as tmp_db:
                plans = write_database(tmp_db, descriptor, data, descriptor_bytes)
                if tmp_meta is not None:
                    meta = datasette_metadata(descriptor, plans, out.stem)
                    tmp_meta.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except NkdataError:
        raise
    except (sqlite3.Error, OSError) as exc:
        raise BuildError(f"could not write {out}: {exc}; nothing was written") from None
    except MemoryError:  # pyarrow's ArrowMemoryError too
        raise BuildError(f"not enough memory to export release {ds.version} to {out}; nothing was written") from None
    counts: dict[str, int] = {}
    with contextlib.closing(sqlite3.connect(out.resolve().as_uri() + "?mode=ro", uri=True)) as conn:
        for plan in plans:
            for name in [plan.name, *(link.name for link in plan.links)]:
                counts[name] = conn.execute(f"SELECT count(*) FROM {quote(name)}").fetchone()[0]
    return Export(out, meta_path, ds.version, counts)
