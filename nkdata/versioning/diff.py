"""Record-level differences between two versions of the data, and the SemVer bump they need.

Either side may be a release folder, a release zip, a ``datapackage.json``, a
released version number, a project root (the working tree, validated and
turned into rows exactly as the build would) or ``none`` (an empty dataset, to
describe a first release). Rows are compared as Arrow/pylist values, one table
at a time, keyed by each table's primary key.

Changes are classified by the Frictionless "Data Package Version" recipe:

- MAJOR: a table or column removed or renamed, a column retyped or re-ordered,
  a required column added, records removed (or re-identified: removed + added),
  a constraint tightened (required, unique, pattern, bounds, fewer enum terms).
- MINOR: tables, records or optional columns added, a constraint relaxed, enum
  terms added.
- PATCH: corrected values or text, changed descriptive metadata.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nkdata.errors import IntegrityError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

RELEASES_DIR = "data/releases"
VERSION_RE = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_VERSION_PY = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)
#: Descriptor properties compared as metadata (``created``, ``sources``, hashes and bytes follow from the data).
META_KEYS = ("title", "description", "keywords", "licenses", "contributors")
BATCH_ROWS = 16_384  # rows of NEW converted to Python at a time
SHOWN_CHARS = 120  # longest value printed in text and markdown output (JSON keeps everything)
MAX_DETAILS = 1000  # changed records per table reported field by field (the rest by id only)


class Level(IntEnum):
    """How far a change moves the version; ordered so ``max()`` gives the bump needed."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3


# ---------------------------------------------------------------- versions


def parse_version(version: str, what: str = "version") -> tuple[int, int, int]:
    m = VERSION_RE.match(str(version))
    if not m:
        raise UsageError(f"{what} {version!r} is not a MAJOR.MINOR.PATCH version (e.g. 0.2.0)")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def bump(version: str, level: Level) -> str:
    """The smallest version after ``version`` that a change of ``level`` allows."""
    major, minor, patch = parse_version(version)
    if level is Level.MAJOR:
        return f"{major + 1}.0.0"
    if level is Level.MINOR:
        return f"{major}.{minor + 1}.0"
    if level is Level.PATCH:
        return f"{major}.{minor}.{patch + 1}"
    return version


def declared_version(root: Path) -> str:
    """The version a project tree declares in its own nkdata/_version.py (read, not imported).

    A tree without that file (e.g. data copied elsewhere) declares the running package's version.
    """
    path = Path(root) / "nkdata" / "_version.py"
    if path.is_file():
        m = _VERSION_PY.search(path.read_text(encoding="utf-8"))
        if not m:
            raise UsageError(f"{path}: no line '__version__ = \"X.Y.Z\"' found")
        return m.group(1)
    from nkdata._version import __version__

    return __version__


def released_versions(root: Path) -> list[str]:
    """Versions recorded in ``data/releases/`` (each with a datapackage.json), oldest first."""
    folder = Path(root) / RELEASES_DIR
    found = [p.name for p in folder.iterdir() if VERSION_RE.match(p.name) and (p / "datapackage.json").is_file()] if folder.is_dir() else []
    return sorted(found, key=parse_version)


# ---------------------------------------------------------------- the two sides


@dataclass
class Side:
    """One version of the data: what it is called, its version, metadata, schemas and rows."""

    label: str
    version: str
    meta: dict[str, Any]
    schemas: dict[str, dict[str, Any]]
    read: Callable[[str], pa.Table]


def _descriptor_meta(descriptor: dict[str, Any]) -> dict[str, Any]:
    return {"name": descriptor.get("name")} | {k: descriptor.get(k) for k in META_KEYS}


def _release_side(folder: Path, label: str) -> Side:
    from nkdata.release.reader import Release

    release = Release(folder)
    schemas = {name: res.get("schema", {}) for name, res in release.resources.items()}
    return Side(label, release.version, _descriptor_meta(release.descriptor), schemas, release.arrow)


def _zip_side(zip_path: Path, label: str, stack: ExitStack) -> Side:
    """Unpack a release zip into a temporary folder (removed afterwards) and open it."""
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nkdata-diff-")))
    try:
        with zipfile.ZipFile(zip_path) as zf:
            names = zf.namelist()
            tops = {n.split("/", 1)[0] for n in names}
            if len(tops) != 1 or any(n.startswith("/") or ".." in Path(n).parts for n in names):
                raise IntegrityError(f"{zip_path}: not an nkdata release zip (expected one nkdata-X.Y.Z/ folder inside)")
            zf.extractall(tmp)
    except zipfile.BadZipFile as exc:
        raise IntegrityError(f"{zip_path}: not a valid zip ({exc})") from None
    return _release_side(tmp / tops.pop(), label)


def _project_side(root: Path, label: str) -> Side:
    """The working tree: validated, then rows exactly as the build writes them."""
    from nkdata.checks.validation import load_valid
    from nkdata.release.rows import rows_from_project, rows_to_arrow
    from nkdata.spec.schema import all_schemas

    checked = load_valid(root)  # ValidationFailed carries every problem
    rows = rows_from_project(checked)
    pkg = checked.curated.package
    meta = {
        "name": pkg.get("name", "nkdata"),
        "title": pkg.get("title", "nkdata"),
        "description": pkg.get("description", ""),
        "keywords": list(pkg.get("keywords", [])),
        "licenses": list(pkg.get("licenses", [])),
        "contributors": list(pkg.get("contributors", [])),
    }
    return Side(label, declared_version(root), meta, all_schemas(), lambda table: rows_to_arrow(table, rows[table]))


def _empty_side() -> Side:
    def read(table: str) -> pa.Table:  # pragma: no cover - an empty side has no tables to read
        raise KeyError(table)

    return Side("none (empty)", "0.0.0", {}, {}, read)


def _recorded_zip(folder: Path, version: str) -> Path | None:
    """``data/releases/<v>/nkdata-<v>.zip``, checked against the sha256 recorded beside it."""
    zip_path = folder / f"nkdata-{version}.zip"
    if not zip_path.is_file():
        return None
    digest_file = zip_path.with_name(zip_path.name + ".sha256")
    if digest_file.is_file():
        from nkdata.release.writer import sha256_file

        expected = digest_file.read_text(encoding="utf-8").split()[0]
        if sha256_file(zip_path) != expected:
            raise IntegrityError(f"{zip_path}: sha256 differs from {digest_file.name}; the recorded release was altered")
    return zip_path


def _release_folder_side(folder: Path, label: str, stack: ExitStack) -> Side:
    """A folder holding datapackage.json: a full release, or a recorded one (descriptor + zip)."""
    try:
        descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IntegrityError(f"{folder / 'datapackage.json'}: not valid JSON ({exc})") from None
    if not isinstance(descriptor, dict):
        raise IntegrityError(f"{folder / 'datapackage.json'}: not a data package descriptor (a JSON object)")
    resources = descriptor.get("resources") or []
    if resources and all((folder / r.get("path", "")).is_file() for r in resources):
        return _release_side(folder, label)
    version = str(descriptor.get("version"))
    zip_path = _recorded_zip(folder, version)
    if zip_path is None:
        raise UsageError(f"{folder} has a datapackage.json but neither the data files nor nkdata-{version}.zip: cannot read its records")
    return _zip_side(zip_path, label, stack)


def open_side(spec: str | Path, root: Path | None, stack: ExitStack) -> Side:
    """Resolve what the user named: ``none``, a path (project, release folder, zip, datapackage.json) or a version."""
    text = str(spec)
    if text == "none":
        return _empty_side()
    path = Path(text)
    if path.is_dir():
        if (path / "data").is_dir():
            return _project_side(path.resolve(), f"working tree {path}")
        if (path / "datapackage.json").is_file():
            return _release_folder_side(path, str(path), stack)
        raise UsageError(f"{path} is neither a project root (no data/ folder) nor a release folder (no datapackage.json)")
    if path.is_file():
        if path.suffix == ".zip":
            return _zip_side(path, str(path), stack)
        if path.suffix == ".json":
            return _release_folder_side(path.parent, str(path), stack)
        raise UsageError(f"{path} is not a release zip or datapackage.json")
    if VERSION_RE.match(text):
        if root is not None:
            recorded = Path(root) / RELEASES_DIR / text
            zip_path = _recorded_zip(recorded, text) if recorded.is_dir() else None
            if zip_path is not None:
                return _zip_side(zip_path, f"release {text}", stack)
        from nkdata.access.loader import resolve

        return _release_side(resolve(text).folder, f"release {text}")
    raise UsageError(
        f"{text!r} is not a project root, release folder, zip, datapackage.json or released version (X.Y.Z); "
        "pass 'none' for an empty dataset"
    )


# ---------------------------------------------------------------- the result


@dataclass
class Change:
    """One classified difference (schema, metadata, or a summary of record changes)."""

    level: Level
    table: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level.name, "table": self.table, "message": self.message}


@dataclass
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass
class RecordChange:
    """A changed record; ``fields`` is None when it is past the field-level reporting limit."""

    id: str
    fields: list[FieldChange] | None


@dataclass
class TableDiff:
    """Records added, removed and changed in one table, and its schema changes."""

    name: str
    rows_old: int | None
    rows_new: int | None
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[RecordChange] = field(default_factory=list)
    schema: list[Change] = field(default_factory=list)
    skipped_columns: list[str] = field(default_factory=list)
    details_limit: int | None = None

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.schema)

    def record_changes(self) -> list[Change]:
        """Record changes as classified reasons (a whole table added or removed is reported once, as such)."""
        out: list[Change] = []
        if self.rows_old is None or self.rows_new is None:
            return out
        if self.removed:
            out.append(Change(Level.MAJOR, self.name, f"{_n(len(self.removed), 'record')} removed (or re-identified)"))
        if self.added:
            out.append(Change(Level.MINOR, self.name, f"{_n(len(self.added), 'record')} added"))
        if self.changed:
            out.append(Change(Level.PATCH, self.name, f"{_n(len(self.changed), 'record')} corrected"))
        return out


@dataclass
class Diff:
    old_label: str
    old_version: str
    new_label: str
    new_version: str
    tables: list[TableDiff]
    package: list[Change]

    def changes(self) -> list[Change]:
        """Every classified change, most severe first."""
        out = list(self.package)
        for t in self.tables:
            out += t.schema + t.record_changes()
        return sorted(out, key=lambda c: -c.level)

    @property
    def level(self) -> Level:
        return max((c.level for c in self.changes()), default=Level.NONE)

    @property
    def required_version(self) -> str:
        return bump(self.old_version, self.level)

    def version_check(self) -> tuple[bool, str]:
        """Whether NEW's declared version is high enough for the change, and a sentence saying so."""
        need = self.required_version
        ok = parse_version(self.new_version, "NEW's version") >= parse_version(need)
        why = "; ".join(f"{c.table + ': ' if c.table else ''}{c.message}" for c in self.changes() if c.level == self.level)
        if self.level is Level.NONE:
            reason = "no changes"
        else:
            reason = f"a {self.level.name} change ({_shorten(why, 300)})"
        if ok:
            return True, f"version check passed: {self.new_version} >= {need} ({reason} since {self.old_version})."
        return False, (
            f"version check failed: {self.new_label} declares {self.new_version}, but {reason} since {self.old_version} "
            f"needs at least {need}. Set __version__ = \"{need}\" in nkdata/_version.py (SemVer, see CONTRIBUTING.md)."
        )

    def as_dict(self) -> dict[str, Any]:
        ok, message = self.version_check()
        return {
            "old": {"label": self.old_label, "version": self.old_version},
            "new": {"label": self.new_label, "version": self.new_version},
            "level": self.level.name,
            "required_version": self.required_version,
            "version_ok": ok,
            "version_message": message,
            "changes": [c.as_dict() for c in self.changes()],
            "tables": [
                {
                    "name": t.name,
                    "rows_old": t.rows_old,
                    "rows_new": t.rows_new,
                    "added": t.added,
                    "removed": t.removed,
                    "changed": [
                        {"id": r.id, "fields": None if r.fields is None else [{"field": f.field, "old": _jsonable(f.old), "new": _jsonable(f.new)} for f in r.fields]}
                        for r in t.changed
                    ],
                    "details_limit": t.details_limit,
                    "schema": [c.as_dict() for c in t.schema],
                    "skipped_columns": t.skipped_columns,
                }
                for t in self.tables
            ],
        }


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def _shorten(s: str, n: int = SHOWN_CHARS) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


# ---------------------------------------------------------------- schema comparison

_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength")


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
        elif key == "enum":
            if a is None:
                yield Change(Level.MAJOR, table, f"{where} now limited to the terms {', '.join(map(str, b))} (constraint tightened)")
            elif b is None:
                yield Change(Level.MINOR, table, f"{where} no longer limited to a vocabulary (constraint relaxed)")
            else:
                gone = [t for t in a if t not in b]
                new_terms = [t for t in b if t not in a]
                if gone:
                    yield Change(Level.MAJOR, table, f"{where}: vocabulary terms removed: {', '.join(map(str, gone))}")
                if new_terms:
                    yield Change(Level.MINOR, table, f"{where}: vocabulary terms added: {', '.join(map(str, new_terms))}")
        elif key in _LOWER_BOUNDS + _UPPER_BOUNDS:
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
            out.append(Change(Level.MAJOR if required else Level.MINOR, table, f"{'required' if required else 'optional'} column {name!r} added ({f.get('type')})"))
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
    if old.get("primaryKey") != new.get("primaryKey"):
        out.append(Change(Level.MAJOR, table, f"primary key changed: {old.get('primaryKey')} -> {new.get('primaryKey')}"))
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
    pk = schema.get("primaryKey") or []
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
        for was, now in zip(a.to_pylist(), b.to_pylist()):
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
        for (rid, _, now), was in zip(pending, before):
            fields = [FieldChange(c, was[c], v) for c, v in zip(values, now) if was[c] != v]
            if fields:
                diff.changed.append(RecordChange(rid, fields))
    diff.removed = sorted(str(k) for k in index)
    diff.added.sort()
    diff.changed.sort(key=lambda r: r.id)
    return diff


# ---------------------------------------------------------------- entry point


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
            package.append(Change(Level.MINOR, name, f"table added ({_n(t.num_rows, 'record')})"))
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


def default_old(root: Path) -> str:
    """The latest release recorded in ``data/releases/`` of the project."""
    found = released_versions(root)
    if not found:
        raise UsageError(f"no release recorded in {Path(root) / RELEASES_DIR}; name OLD explicitly (or 'none')")
    return found[-1]


def diff(
    old: str | Path | None = None,
    new: str | Path | None = None,
    root: Path | str | None = None,
    max_details: int | None = MAX_DETAILS,
) -> Diff:
    """Compare OLD with NEW (defaults: the latest recorded release, and the project at ``root``).

    Field-level changes are kept for at most ``max_details`` changed records per
    table (None: all); the others are reported by id.
    """
    from nkdata.curated.reader import find_root

    project: Path | None
    try:
        project = find_root(root)
    except UsageError:
        if old is None or new is None:
            raise
        project = None
    with ExitStack() as stack:
        old_side = open_side(old if old is not None else default_old(project), project, stack)  # type: ignore[arg-type]
        new_side = open_side(new if new is not None else project, project, stack)  # type: ignore[arg-type]
        if new is None:
            new_side.label = "working tree"
        return compare(old_side, new_side, max_details)


# ---------------------------------------------------------------- output


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, str)):
        return _shorten(json.dumps(_jsonable(value), ensure_ascii=False))
    return _shorten(str(_jsonable(value)))


def _pair(old: Any, new: Any) -> tuple[str, str]:
    """Both values for display; long texts start a little before where they first differ."""
    if isinstance(old, str) and isinstance(new, str) and max(len(old), len(new)) > SHOWN_CHARS:
        same = next((i for i, (a, b) in enumerate(zip(old, new)) if a != b), min(len(old), len(new)))
        start = max(0, same - 30)
        if start:
            return _show("…" + old[start:]), _show("…" + new[start:])
    return _show(old), _show(new)


def _md(value: str) -> str:
    """Inline code that survives backticks and pipes inside the value."""
    return "`` " + value.replace("|", "\\|").replace("\n", " ") + " ``" if "`" in value else "`" + value.replace("|", "\\|").replace("\n", " ") + "`"


def format_text(d: Diff, check: bool = False) -> str:
    lines = [f"nkdata diff: {d.old_label} ({d.old_version}) -> {d.new_label} ({d.new_version})", f"change level: {d.level.name}"]
    for c in d.changes():
        lines.append(f"  {c.level.name:<5} {c.table + ': ' if c.table else ''}{c.message}")
    for t in d.tables:
        if t.empty:
            continue
        lines += ["", f"{t.name}: {t.rows_old if t.rows_old is not None else '-'} -> {t.rows_new if t.rows_new is not None else '-'} rows; "
                  f"{len(t.added)} added, {len(t.removed)} removed, {len(t.changed)} changed"]
        lines += [f"  + {rid}" for rid in t.added]
        lines += [f"  - {rid}" for rid in t.removed]
        for r in t.changed:
            lines.append(f"  ~ {r.id}")
            lines += [f"      {f.field}: {' -> '.join(_pair(f.old, f.new))}" for f in r.fields or []]
        if any(r.fields is None for r in t.changed):
            lines.append(f"  (field-level changes shown for the first {t.details_limit} changed records only; --max-details 0 shows all)")
        if t.skipped_columns:
            lines.append(f"  (values of retyped or unreadable columns not compared: {', '.join(t.skipped_columns)})")
    if check:
        lines += ["", d.version_check()[1]]
    return "\n".join(lines)


def format_markdown(d: Diff, check: bool = False) -> str:
    """A pull-request comment or CHANGELOG draft: summary table, reasons, then details per table."""
    level = "no change" if d.level is Level.NONE else f"{d.level.name} change"
    lines = [f"### nkdata {d.old_version} → {d.new_version}: {level}", ""]
    lines += [f"Compared {_md(d.old_label)} ({d.old_version}) with {_md(d.new_label)} ({d.new_version}).", ""]
    if check:
        ok, message = d.version_check()
        lines += [f"{'✅' if ok else '❌'} {message}", ""]
    lines += ["| table | rows before | rows after | added | removed | changed |", "|---|---:|---:|---:|---:|---:|"]
    for t in d.tables:
        lines.append(
            f"| {t.name} | {t.rows_old if t.rows_old is not None else '–'} | {t.rows_new if t.rows_new is not None else '–'} "
            f"| {len(t.added)} | {len(t.removed)} | {len(t.changed)} |"
        )
    changes = d.changes()
    if changes:
        lines += ["", "**Changes**", ""]
        lines += [f"- **{c.level.name}** {c.table + ': ' if c.table else ''}{c.message}" for c in changes]
    for t in d.tables:
        if not (t.added or t.removed or t.changed):
            continue
        lines += ["", f"<details><summary>{t.name}: {len(t.added)} added, {len(t.removed)} removed, {len(t.changed)} changed</summary>", ""]
        if t.added:
            lines.append("Added: " + ", ".join(_md(r) for r in t.added))
            lines.append("")
        if t.removed:
            lines.append("Removed: " + ", ".join(_md(r) for r in t.removed))
            lines.append("")
        for r in t.changed:
            lines.append(f"- {_md(r.id)}")
            lines += [f"  - {_md(f.field)}: {' → '.join(_md(v) for v in _pair(f.old, f.new))}" for f in r.fields or []]
        if any(r.fields is None for r in t.changed):
            lines += ["", f"Field-level changes are shown for the first {t.details_limit} changed records only."]
        if lines[-1]:
            lines.append("")
        lines.append("</details>")
    return "\n".join(lines)


def format_diff(d: Diff, fmt: str = "text", check: bool = False) -> str:
    if fmt == "json":
        return json.dumps(d.as_dict(), ensure_ascii=False, indent=2, default=str)
    if fmt == "markdown":
        return format_markdown(d, check)
    if fmt == "text":
        return format_text(d, check)
    raise UsageError(f"unknown format {fmt!r}; use text, markdown or json")
