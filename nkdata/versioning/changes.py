"""What a diff finds: classified changes, and the records added, removed and changed per table."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nkdata.versioning.semver import Level, bump, parse_version

SHOWN_CHARS = 120  # longest value printed in text and markdown output (JSON keeps everything)


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
    """One field of a changed record: its old and new value."""

    field: str
    old: Any
    new: Any

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": jsonable(self.old), "new": jsonable(self.new)}


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
            out.append(Change(Level.MAJOR, self.name, f"{plural(len(self.removed), 'record')} removed (or re-identified)"))
        if self.added:
            out.append(Change(Level.MINOR, self.name, f"{plural(len(self.added), 'record')} added"))
        if self.changed:
            out.append(Change(Level.PATCH, self.name, f"{plural(len(self.changed), 'record')} corrected"))
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
        parse_version(self.old_version, f"OLD ({self.old_label})'s version")
        return bump(self.old_version, self.level)

    def version_check(self) -> tuple[bool, str]:
        """Whether NEW's declared version is high enough for the change, and a sentence saying so."""
        need = self.required_version
        ok = parse_version(self.new_version, f"NEW ({self.new_label})'s version") >= parse_version(need)
        why = "; ".join(f"{c.table + ': ' if c.table else ''}{c.message}" for c in self.changes() if c.level == self.level)
        if self.level is Level.NONE:
            reason = "no changes"
        else:
            reason = f"a {self.level.name} change ({shorten(why, 300)})"
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
                        {"id": r.id, "fields": None if r.fields is None else [f.as_dict() for f in r.fields]}
                        for r in t.changed
                    ],
                    "details_limit": t.details_limit,
                    "schema": [c.as_dict() for c in t.schema],
                    "skipped_columns": t.skipped_columns,
                }
                for t in self.tables
            ],
        }


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


def shorten(s: str, n: int = SHOWN_CHARS) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value

