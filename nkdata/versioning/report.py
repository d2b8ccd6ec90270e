"""A diff as text (terminal), markdown (pull-request comment, CHANGELOG draft) or JSON."""

from __future__ import annotations

import json
from typing import Any

from nkdata.errors import UsageError
from nkdata.versioning.changes import SHOWN_CHARS, Diff, jsonable, shorten
from nkdata.versioning.semver import Level


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, str)):
        return shorten(json.dumps(jsonable(value), ensure_ascii=False))
    return shorten(str(jsonable(value)))


def _pair(old: Any, new: Any) -> tuple[str, str]:
    """Both values for display; long texts start a little before where they first differ."""
    if isinstance(old, str) and isinstance(new, str) and max(len(old), len(new)) > SHOWN_CHARS:
        same = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
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
