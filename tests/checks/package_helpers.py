"""Fixtures and helpers of the package-validation tests: a real and a synthetic release, and
edits made the way a hand edit would be (rows read back, one value changed, files rewritten);
:func:`both` makes one edit on both paths (built package and curated YAML) to check a rule
gives the same problem on each (:func:`located`, :func:`essence`)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import yaml
from conftest import REPO

from nkdata.checks.package import validate_package
from nkdata.checks.validation import validate
from nkdata.problems import Problem
from nkdata.release.descriptor import file_entries, table_resources
from nkdata.release.rows import claims_table
from nkdata.release.writer import write_csv, write_parquet
from nkdata.spec.models import MODELS

sys.path.insert(0, str(REPO / "benchmarks"))

Rows = list[dict[str, Any]]


# ---------------------------------------------------------------- helpers


def rows_of(folder: Path, table: str) -> Rows:
    return pq.read_table(folder / f"{table}.parquet").to_pylist()


def refresh_descriptor(folder: Path) -> None:
    """Put every file's current sha256 and size into datapackage.json (as a careless editor might)."""
    path = folder / "datapackage.json"
    desc = json.loads(path.read_text(encoding="utf-8"))
    entries = [e for r in table_resources(desc) for e in (r, r["nkdata:parquet"])] + file_entries(desc)
    for e in entries:
        data = (folder / e["path"]).read_bytes()
        e["hash"], e["bytes"] = "sha256:" + hashlib.sha256(data).hexdigest(), len(data)
    path.write_text(json.dumps(desc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def rewrite(folder: Path, table: str, edit: Callable[[Rows], Rows | None], derive: bool = True) -> None:
    """Apply ``edit`` to a table's rows and write its CSV and Parquet again, descriptor included.

    With ``derive``, what the build derives from the edited rows follows them (each figure's
    originator, the claims table), so that only the rule the edit aims at is broken.
    """
    rows = rows_of(folder, table)
    rows = edit(rows) or rows
    if derive and table == "figures":
        for r in rows:
            r["originator"] = (r.get("attribution") or [None])[0]
    write_csv(folder / f"{table}.csv", table, rows)
    write_parquet(folder / f"{table}.parquet", table, rows)
    if derive and table in ("figures", "entities", "sources"):
        tables = {t: pq.read_table(folder / f"{t}.parquet") for t in ("figures", "entities", "sources")}
        claim_rows = claims_table(tables).to_pylist()
        write_csv(folder / "claims.csv", "claims", claim_rows)
        write_parquet(folder / "claims.parquet", "claims", claim_rows)
    refresh_descriptor(folder)


def row_index(rows: Rows, key: str, value: str) -> int:
    return next(i for i, r in enumerate(rows) if r[key] == value)


def csv_line_of(path: Path, id_field: str, record_id: str) -> int:
    """The line of the CSV file on which the record with ``record_id`` starts."""
    text = path.read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    at = header.index(id_field)
    line = reader.line_num + 1
    for row in reader:
        if row[at] == record_id:
            return line
        line = reader.line_num + 1
    raise AssertionError(f"{record_id} not in {path}")


def edit_yaml_record(root: Path, record_id: str, change: Callable[[dict[str, Any]], None]) -> None:
    """Change one record (of any table: a source, an entity, a figure, ...) of a (machine-written) curated project in place."""
    for path in [root / "data" / "entities.yaml", *sorted((root / "data" / "sources").glob("*.yaml"))]:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for table, model in MODELS.items():
            records = [doc["source"]] if table == "sources" and doc.get("source") else doc.get(table) or []
            for rec in records:
                if rec.get(model.id_field) == record_id:
                    change(rec)
                    path.write_text(
                        yaml.dump(doc, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, default_flow_style=None, width=120), encoding="utf-8"
                    )
                    return
    raise AssertionError(f"{record_id} not in {root}")


def both(pkg: Path, proj: Path, table: str, record_id: str, change: Callable[[dict[str, Any]], None]) -> tuple[list[Problem], list[Problem]]:
    """Make the same edit to one record (of any table) in the package and in the curated YAML; validate both."""
    id_field = MODELS[table].id_field

    def edit(rows: Rows) -> None:
        change(rows[row_index(rows, id_field, record_id)])

    rewrite(pkg, table, edit)
    edit_yaml_record(proj, record_id, change)
    return validate_package(pkg), validate(proj)


def located(problems: list[Problem], pkg: Path, table: str, record_id: str, code: str) -> Problem:
    """The one problem ``code`` for ``record_id``, checked to sit at its row of TABLE.csv."""
    hits = [p for p in problems if p.code == code and p.record_id == record_id]
    assert len(hits) >= 1, problems
    id_field = MODELS[table].id_field
    for p in hits:
        assert p.path == f"{pkg}/{table}.csv"
        assert p.line == csv_line_of(pkg / f"{table}.csv", id_field, record_id)
    return hits[0]


def pick(folder: Path, table: str, test: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    return next(r for r in rows_of(folder, table) if test(r))


def essence(problems: list[Problem]) -> set[tuple[Any, ...]]:
    """What a problem says, without where (paths and lines differ between the two paths)."""
    return {(p.code, p.record_id, p.field, p.message) for p in problems}


