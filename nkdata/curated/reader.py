"""Reading a curated project (data/*.yaml + seeds/) into validated records.

Layout (see CONTRIBUTING.md):

    data/package.yaml          release metadata (title, licences, release date, ...)
    data/entities.yaml         ``entities:`` shared by all sources
    data/sources/<name>.yaml   ``source:`` one mapping, then ``figures:``,
                               ``statements:``, ``events:`` lists
    seeds/<name>.txt           the archived texts the evidence comes from

Records in a source file belong to that file's source: their ``source_id`` is
filled in from ``source.source_id``.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nkdata.checks.fields import describe_error
from nkdata.curated.package_meta import check_package
from nkdata.curated.yamlsafe import YamlDoc, YamlProblem, read_yaml, structure_problem
from nkdata.errors import UsageError
from nkdata.problems import Problem
from nkdata.spec.models import ID_PATTERNS, MODELS, RECORD_TABLES, Record

SOURCE_SECTIONS = ("source",) + RECORD_TABLES
ENTITY_FILE = "data/entities.yaml"
PACKAGE_FILE = "data/package.yaml"
SOURCES_DIR = "data/sources"
RELEASES_DIR = "data/releases"


@dataclass
class Located:
    """A validated record and where it was written."""

    record: Record
    doc: YamlDoc
    section: str
    index: int

    def where(self, *field_path: Any) -> tuple[int | None, int | None]:
        return self.doc.where(self.section, *((self.index,) if self.index >= 0 else ()), *field_path)

    def problem(self, code: str, field: str | None, message: str, hint: str = "", *sub: Any) -> Problem:
        line, col = self.where(*((field,) if field else ()), *sub)
        return Problem(self.doc.path, line, col, code, self.record.record_id, field, message, hint)


@dataclass
class Curated:
    """Everything read from a project: records by table, plus problems found on the way."""

    root: Path
    package: dict[str, Any] = field(default_factory=dict)
    records: dict[str, list[Located]] = field(default_factory=lambda: {t: [] for t in MODELS})
    problems: list[Problem] = field(default_factory=list)
    #: The ids of records that failed their model (reported): still there, so a reference to one is no I301.
    failed_ids: dict[str, set[str]] = field(default_factory=lambda: {t: set() for t in MODELS})


def find_root(path: Path | str | None) -> Path:
    """The project root at ``path`` (default: the current directory)."""
    root = Path(path or ".").resolve()
    if root.is_file() or not (root / "data").is_dir():
        raise UsageError(f"{root} is not an nkdata project: expected a data/ folder (with entities.yaml and sources/) there")
    return root


def _error_to_problem(err: dict[str, Any], model: type[Record], raw: dict[str, Any], doc: YamlDoc, section: str, index: int) -> Problem:
    code, field_name, message, hint = describe_error(err, model)
    loc = tuple(err["loc"])
    record_id = raw.get(model.id_field) if isinstance(raw, dict) else None
    path = (section,) + ((index,) if index >= 0 else ()) + tuple(x for x in (loc or ((field_name,) if field_name else ())))
    line, col = doc.where(*path)
    return Problem(doc.path, line, col, code, str(record_id) if record_id is not None else None, field_name, message, hint)


def _validate_record(model: type[Record], raw: Any, doc: YamlDoc, section: str, index: int, out: Curated) -> Located | None:
    if not isinstance(raw, dict):
        line, col = doc.where(section, index)
        out.problems.append(
            structure_problem(
                doc.path,
                line,
                col,
                None,
                f"each {section} entry must be a mapping of field: value",
                "start the entry with '- ' and write field: value pairs",
            )
        )
        return None
    try:
        record = model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors():
            out.problems.append(_error_to_problem(dict(err), model, raw, doc, section, index))
        if isinstance(raw.get(model.id_field), str):
            out.failed_ids[model.table].add(raw[model.id_field])
        return None
    return Located(record, doc, section, index)


def _read(path: Path, root: Path, out: Curated) -> YamlDoc | None:
    shown = path.relative_to(root).as_posix()
    try:
        return read_yaml(path, shown, root)
    except YamlProblem as exc:
        out.problems.append(Problem(shown, exc.line, exc.col, exc.code, None, None, exc.message, exc.hint))
    return None


def _structure(doc: YamlDoc, allowed: tuple[str, ...], message: str, hint: str) -> Problem | None:
    if not isinstance(doc.data, dict):
        return structure_problem(doc.path, 1, 1, None, message, hint)
    for key in doc.data:
        if key not in allowed:
            line, col = doc.where(key)
            close = difflib.get_close_matches(key, allowed, n=1)
            return structure_problem(
                doc.path,
                line,
                col,
                key,
                f"unknown section {key!r}",
                f"did you mean {close[0]!r}?" if close else f"sections: {', '.join(allowed)}",
            )
    return None


def _read_records(doc: YamlDoc, table: str, source_id: Any, out: Curated) -> int:
    """Validate one section's records (each gets the file's source_id); return how many entries it has."""
    items = doc.data.get(table)
    items = [] if items is None else items
    if not isinstance(items, list):
        line, col = doc.where(table)
        out.problems.append(
            structure_problem(doc.path, line, col, table, f"'{table}' must be a list of records", f"write each record as '- {MODELS[table].id_field}: ...'")
        )
        return 0
    for i, raw in enumerate(items):
        if isinstance(raw, dict) and source_id is not None:
            given = raw.get("source_id")
            if given is not None and given != source_id:
                line, col = doc.where(table, i, "source_id")
                out.problems.append(
                    Problem(
                        doc.path,
                        line,
                        col,
                        "F701",
                        str(raw.get(MODELS[table].id_field)),
                        "source_id",
                        f"record says source_id {given!r} but this file is the source {source_id!r}",
                        "put the record in its own source's file, or remove source_id (it is filled in from the file)",
                    )
                )
                continue
            raw = {**raw, "source_id": source_id}
        located = _validate_record(MODELS[table], raw, doc, table, i, out)
        if located:
            out.records[table].append(located)
    return len(items)


def _read_source_file(path: Path, root: Path, out: Curated) -> None:
    doc = _read(path, root, out)
    if doc is None:
        return
    bad = _structure(
        doc,
        SOURCE_SECTIONS,
        "a source file is a mapping with 'source:' and lists 'figures:', 'statements:', 'events:'",
        "see CONTRIBUTING.md or run 'nkdata new-source'",
    )
    if bad:
        out.problems.append(bad)
        return
    raw_source = doc.data.get("source")
    if raw_source is None:
        out.problems.append(
            structure_problem(doc.path, 1, 1, "source", "the file has no 'source:' section", "add the source record this file's records come from")
        )
        return
    source = _validate_record(MODELS["sources"], raw_source, doc, "source", -1, out)
    source_id = raw_source.get("source_id") if isinstance(raw_source, dict) else None
    if source:
        out.records["sources"].append(source)
    n_records = sum(_read_records(doc, table, source_id, out) for table in RECORD_TABLES)
    if n_records == 0:
        out.problems.append(
            Problem(
                doc.path,
                1,
                1,
                "F700",
                source_id,
                None,
                "the source file has no figures, statements or events",
                "add the records this source supports, or remove the file and its text",
            )
        )


def read_project(path: Path | str | None = None, progress: Callable[[str, int, int], None] | None = None) -> Curated:
    """Read and model-validate every curated file; cross-record checks are in :mod:`nkdata.checks.records`."""
    root = find_root(path)
    out = Curated(root)
    pkg = root / PACKAGE_FILE
    if not pkg.exists() and not pkg.is_symlink():
        hint = "create data/package.yaml with the release metadata (name, title, release_date, licenses, ...)"
        out.problems.append(structure_problem(PACKAGE_FILE, None, None, None, "package file is missing", hint))
    else:
        doc = _read(pkg, root, out)
        if doc is not None:
            if isinstance(doc.data, dict):
                bad_meta = check_package(doc)
                out.problems.extend(bad_meta)
                if not bad_meta:
                    out.package = doc.data
            else:
                out.problems.append(structure_problem(doc.path, 1, 1, None, "package.yaml must be a mapping", "see the example in the repository"))
    ent = root / ENTITY_FILE
    if not ent.exists() and not ent.is_symlink():
        out.problems.append(structure_problem(ENTITY_FILE, None, None, None, "entities file is missing", "create data/entities.yaml with an 'entities:' list"))
    else:
        doc = _read(ent, root, out)
        if doc is not None:
            bad = _structure(doc, ("entities",), "entities.yaml is a mapping with one list, 'entities:'", "start the file with 'entities:'")
            if bad:
                out.problems.append(bad)
            else:
                items = doc.data.get("entities")
                items = [] if items is None else items
                if not isinstance(items, list):
                    line, col = doc.where("entities")
                    out.problems.append(
                        structure_problem(doc.path, line, col, "entities", "'entities' must be a list of records", "write each entity as '- entity_id: ...'")
                    )
                    items = []
                for i, raw in enumerate(items):
                    located = _validate_record(MODELS["entities"], raw, doc, "entities", i, out)
                    if located:
                        out.records["entities"].append(located)
    src_dir = root / SOURCES_DIR
    files = sorted(p for p in src_dir.glob("*") if p.suffix in (".yaml", ".yml")) if src_dir.is_dir() else []
    if not files:
        out.problems.append(
            structure_problem(SOURCES_DIR, None, None, None, "no source files found", "add data/sources/<name>.yaml (nkdata new-source seeds/<name>.txt)")
        )
    for i, f in enumerate(files):
        _read_source_file(f, root, out)
        if progress is not None:
            progress("reading data/sources", i + 1, len(files))
    out.problems.extend(_unread_yaml(root))
    return out


def _unread_yaml(root: Path) -> list[Problem]:
    """F704 for each YAML file under data/ that nothing reads (e.g. data/figures.yaml): its records would vanish.

    Read are data/package.yaml, data/entities.yaml and data/sources/*.yaml; data/releases/ holds
    recorded releases, and hidden files and folders are left alone. Symlinked folders are not followed.
    """
    data = root / "data"
    read = {PACKAGE_FILE, ENTITY_FILE}
    found = []
    for folder, dirs, names in os.walk(data):
        here = Path(folder)
        rel_dir = here.relative_to(root).as_posix()
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and f"{rel_dir}/{d}" != RELEASES_DIR)
        for name in sorted(names):
            rel = f"{rel_dir}/{name}"
            if name.startswith(".") or not name.endswith((".yaml", ".yml")) or rel in read or rel_dir == SOURCES_DIR:
                continue
            found.append(Problem(rel, None, None, "F704", None, None, f"{rel} is not read: nothing in data/ reads this file, so its records would be left out",
                                 f"curated records go in {SOURCES_DIR}/<name>.yaml (with their source) and {ENTITY_FILE}; move them there, or delete the file"))
    return found


__all__ = ["Curated", "Located", "read_project", "find_root", "ID_PATTERNS"]
