"""``nkdata build`` on the real project: a Frictionless-valid package whose Parquet
twins hold the same rows as the CSVs, built reproducibly, atomically and immutably."""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import json
import shutil
import zipfile
from pathlib import Path

import duckdb
import frictionless
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from helpers_release import (
    NAME,
    REPO,
    SRC_001,
    TABLES,
    VERSION,
    assert_clean_failure,
    copy_release,
    csv_rows,
    descriptor,
    entries_of,
    files_of,
    flip_byte,
    run_nkdata,
    sha256,
    snapshot,
)

from nkdata.checks.validation import validate
from nkdata.errors import BuildError, IntegrityError, ValidationFailed
from nkdata.release.card import CARD_FILES
from nkdata.release.reader import Release
from nkdata.release.writer import build

# The module behind the public function nkdata.build.
BUILD = importlib.import_module("nkdata.release.writer")


def _errors(report: frictionless.Report) -> list[list[object]]:
    return report.flatten(["rowNumber", "fieldName", "type", "note"])


def _error_types(report: frictionless.Report) -> dict[str, set[str]]:
    """Error types by resource name (the flattened report does not name the resource)."""
    return {task.name: {e.type for e in task.errors} for task in report.tasks}


def _fields(folder: Path, table: str) -> list[dict]:
    return next(r for r in descriptor(folder)["resources"] if r["name"] == table)["schema"]["fields"]


# ------------------------------------------------------------------ CLI build + Frictionless


@pytest.mark.slow  # starts the CLI or another Python in a new process
def test_cli_build_writes_a_frictionless_valid_package_identical_to_the_library_build(tmp_path, built):
    out = tmp_path / "out"
    proc = run_nkdata("build", str(REPO), "--out", str(out))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(p.name for p in out.iterdir()) == [NAME, f"{NAME}.zip"]  # no staging folder left behind
    folder = out / NAME

    texts = sorted(r["text_path"] for r in csv_rows(folder / "sources.csv", _fields(folder, "sources")))
    card = {"README.md", "LICENSE-DATA", "data-dictionary.md", "CITATION.cff", "CHANGELOG.md"}  # tests/release/test_card.py
    expected = {"datapackage.json", *texts, *card} | {f"{t}.{ext}" for t in TABLES for ext in ("csv", "parquet")}
    assert set(files_of(folder)) == expected

    # The Python API of frictionless, twice: the Package object and the top-level validate().
    # Every table and every archived text is a resource frictionless checks (a text as "text").
    report = frictionless.Package(str(folder / "datapackage.json")).validate()
    assert report.valid, _errors(report)
    assert report.stats["errors"] == 0 and len(report.tasks) == len(TABLES) + len(card) + len(set(texts))  # the card's files too
    assert {t.name: t.type for t in report.tasks if t.name.startswith("seeds-")} == {t.replace("/", "-").lower(): "text" for t in texts}
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, _errors(report)

    # CLI and library builds of the same data are the same bytes (zip included).
    assert files_of(out) == files_of(built.parent)


def test_descriptor_records_metadata_schemas_hashes_and_twins(built):
    dp = descriptor(built)
    meta = yaml.safe_load((REPO / "data" / "package.yaml").read_text(encoding="utf-8"))
    assert dp["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert dp["version"] == VERSION
    assert dp["created"] == f"{meta['release_date'].isoformat()}T00:00:00Z"  # from the data, never the clock
    assert dp["name"] == meta["name"] and dp["title"] == meta["title"] and dp["description"]
    assert [lic["name"] for lic in dp["licenses"]] == [lic["name"] for lic in meta["licenses"]]
    assert dp["contributors"] == meta["contributors"]
    sources = csv_rows(built / "sources.csv", _fields(built, "sources"))
    # The spec: each source MUST have a title; a text that states none has one built from its record
    # (tests/release/test_descriptor_v2.py), never its bare id.
    assert [s.get("path") for s in dp["sources"]] == [s["url"] for s in sources]
    assert all(s["title"] and not s["title"].startswith("src-") for s in dp["sources"])

    tables = [r for r in dp["resources"] if r.get("type") == "table"]  # the others are the data card's and the texts' files
    assert [r["name"] for r in tables] == TABLES == [r["name"] for r in dp["resources"][: len(TABLES)]]
    for res in tables:
        table = res["name"]
        checked_in = json.loads((REPO / "schema" / f"{table}.schema.json").read_text(encoding="utf-8"))
        assert res["schema"] == checked_in, f"{table}: schema differs from schema/{table}.schema.json"
        assert (res["path"], res["format"], res["encoding"]) == (f"{table}.csv", "csv", "utf-8")
        for entry, ext in ((res, "csv"), (res["nkdata:parquet"], "parquet")):
            path = built / f"{table}.{ext}"
            assert entry["path"] == path.name
            assert entry["hash"] == f"sha256:{sha256(path)}"
            assert entry["bytes"] == path.stat().st_size
        for fk in res["schema"].get("foreignKeys", []):
            assert fk["reference"]["resource"] in TABLES
    assert any(r["schema"].get("foreignKeys") for r in tables)

    assert "nkdata:texts" not in dp  # the texts are resources since 0.3.0 was re-recorded
    files = {e["path"]: e for e in dp["resources"][len(TABLES) :]}
    texts = {path: e for path, e in files.items() if path.startswith("seeds/")}
    assert sorted(set(files) - set(texts)) == sorted(CARD_FILES)  # the data card's (tests/release/test_card.py)
    assert sorted(texts) == sorted(s["text_path"] for s in sources)
    for s in sources:
        entry = texts[s["text_path"]]
        assert entry["hash"] == f"sha256:{s['text_sha256']}" == f"sha256:{sha256(built / s['text_path'])}"
        assert (built / s["text_path"]).read_bytes() == (REPO / s["text_path"]).read_bytes()


def test_no_csv_cell_would_run_as_a_spreadsheet_formula(built):
    for table in TABLES:
        text = (built / f"{table}.csv").read_text(encoding="utf-8")
        for line, cells in enumerate(csv.reader(text.splitlines()), 1):
            for cell in cells:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), f"{table}.csv:{line}: {cell!r}"


# ------------------------------------------------------------------ tampering


def test_a_tampered_csv_is_reported_by_frictionless_and_refused_when_read(built, tmp_path):
    """The loader reads Parquet, so a CSV is verified when it is read: by ``Release.verify()``
    (``nkdata validate`` on the package reports it too, as P801)."""
    folder = copy_release(built, tmp_path)
    flip_byte(folder / "figures.csv")
    # frictionless checks the resource's "hash" (it understands the "sha256:" prefix) and "bytes".
    report = frictionless.Package(str(folder / "datapackage.json")).validate()
    assert not report.valid
    assert _error_types(report)["figures"] == {"hash-count"}
    Release(folder).arrow("figures")  # the Parquet twin is intact
    with pytest.raises(IntegrityError, match=r"figures\.csv"):
        Release(folder).verify()

    with open(folder / "sources.csv", "ab") as fh:  # a longer file: frictionless also counts bytes
        fh.write(b"\n")
    types = _error_types(frictionless.validate(str(folder / "datapackage.json")))["sources"]
    assert {"hash-count", "byte-count"} <= types
    (folder / "figures.csv").write_bytes((built / "figures.csv").read_bytes())
    with pytest.raises(IntegrityError, match=r"sources\.csv.*bytes"):
        Release(folder).verify()


def test_a_tampered_parquet_is_invisible_to_frictionless_but_refused_by_the_loader(built, tmp_path):
    rel = "figures.parquet"
    folder = copy_release(built, tmp_path)
    flip_byte(folder / rel)
    # Parquet twins live in a custom property (nkdata:parquet) that frictionless does not read,
    # so only nkdata's own verification can catch this.
    assert frictionless.validate(str(folder / "datapackage.json")).valid
    with pytest.raises(IntegrityError, match=rel.replace(".", r"\.")):
        Release(folder).verify()


def test_a_tampered_text_is_reported_by_frictionless_and_refused_by_the_loader(built, tmp_path):
    rel = "seeds/001_6a6af57649902c1b.txt"
    folder = copy_release(built, tmp_path)
    flip_byte(folder / rel)  # one byte changed, the size unchanged
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert not report.valid
    assert {name: types for name, types in _error_types(report).items() if types} == {"seeds-001_6a6af57649902c1b.txt": {"hash-count"}}
    with pytest.raises(IntegrityError, match=rel.replace(".", r"\.")):
        Release(folder).verify()
    with pytest.raises(IntegrityError, match=rel.replace(".", r"\.")):
        Release(folder).text(rel)


# ------------------------------------------------------------------ Parquet twins


@pytest.mark.parametrize("table", TABLES)
def test_duckdb_reads_the_same_rows_from_parquet_as_from_csv(built, table):
    expected = csv_rows(built / f"{table}.csv", _fields(built, table))
    con = duckdb.connect()
    cur = con.execute("SELECT * FROM read_parquet(?)", [str(built / f"{table}.parquet")])
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    assert names == [f["name"] for f in _fields(built, table)]
    assert len(rows) == len(expected) > 0
    for i, name in enumerate(names):
        assert [r[i] for r in rows] == [r[name] for r in expected], f"{table}.{name}"
    # DuckDB's own CSV reader agrees on the row count (quoted newlines and all).
    n_csv = con.execute("SELECT count(*) FROM read_csv(?, header=true, all_varchar=true)", [str(built / f"{table}.csv")]).fetchone()[0]
    assert n_csv == len(expected)


@pytest.mark.parametrize("table", TABLES)
def test_polars_reads_the_same_rows_from_parquet_as_from_csv(built, table):
    fields = _fields(built, table)
    expected = csv_rows(built / f"{table}.csv", fields)
    df = pl.read_parquet(built / f"{table}.parquet")
    assert df.columns == [f["name"] for f in fields]
    assert df.height == len(expected)
    dtypes = {"date": pl.Date, "integer": pl.Int64, "array": pl.List(pl.String), "string": pl.String, "number": pl.Float64, "boolean": pl.Boolean}
    for f in fields:
        assert df.schema[f["name"]] == dtypes[f["type"]], f"{table}.{f['name']}"
        assert df[f["name"]].to_list() == [r[f["name"]] for r in expected], f"{table}.{f['name']}"


def test_quoting_columns_publish_the_source_texts_characters_not_the_curators_typing(project, tmp_path):
    """text, value_text and date_text match the archived text up to the documented normalisation (a straight
    apostrophe for a curly one, a dash for a hyphen, a run of spaces); the descriptor says those columns quote
    the texts verbatim, so the release holds the text's own characters. The real data is typed exactly as its
    texts, so no build of it could tell."""
    project.replace(SRC_001, "role in Russia\u2019s recent", "role in Russia's recent")
    project.replace(SRC_001, "    value_text: surpassed 4,000\n", "    value_text: surpassed   4,000\n")
    project.replace(SRC_001, "    date_text: as of mid-March\n", "    date_text: as of mid\u2013March\n")
    assert project.validate() == []
    folder = build(project.root, tmp_path / "out")
    figure = next(r for r in csv_rows(folder / "figures.csv", _fields(folder, "figures")) if r["figure_id"] == "fig-nis-casualties-2025-03-mid")
    assert (figure["value_text"], figure["date_text"]) == ("surpassed 4,000", "as of mid-March")
    statements = {r["statement_id"]: r for r in csv_rows(folder / "statements.csv", _fields(folder, "statements"))}
    assert "role in Russia\u2019s recent gains" in statements["stm-lee-troops-used-like-expendables"]["text"]


def test_csv_and_parquet_hold_nulls_dates_lists_and_integers(built):
    """Guard against the comparisons above passing vacuously."""
    figures = csv_rows(built / "figures.csv", _fields(built, "figures"))
    assert any(r["date_start"] is None for r in figures) and any(isinstance(r["date_start"], dt.date) for r in figures)
    assert all(isinstance(r["attribution"], list) and r["attribution"] for r in figures)
    assert all(isinstance(r["evidence_start"], int) and r["evidence_start"] < r["evidence_end"] for r in figures)


@pytest.mark.parametrize("table", TABLES)
def test_parquet_types_and_column_descriptions(built, table):
    schema = pq.read_schema(built / f"{table}.parquet")
    fields = _fields(built, table)
    assert schema.names == [f["name"] for f in fields]
    types = {"date": pa.date32(), "integer": pa.int64(), "array": pa.list_(pa.string()), "string": pa.string(), "number": pa.float64(), "boolean": pa.bool_()}
    for f in fields:
        col = schema.field(f["name"])
        assert col.type == types[f["type"]], f"{table}.{f['name']}: {col.type}"
        if f["type"] == "integer":
            assert col.nullable, f"{table}.{f['name']}: integers must be nullable"
        assert col.metadata[b"description"].decode("utf-8") == f["description"]
    assert schema.metadata[b"primary_key"].decode() == descriptor(built)["resources"][TABLES.index(table)]["schema"]["primaryKey"][0]


# ------------------------------------------------------------------ reproducible and immutable


def test_two_builds_into_different_folders_are_byte_identical(built, tmp_path):
    again = build(REPO, tmp_path / "again")
    first, second = files_of(built.parent), files_of(again.parent)
    assert sorted(first) == sorted(second)
    for rel in first:
        assert first[rel] == second[rel], f"{rel} differs between two builds of the same data"


def test_the_zip_is_reproducible_and_holds_exactly_the_folder(built):
    with zipfile.ZipFile(built.parent / f"{NAME}.zip") as zf:
        assert zf.testzip() is None
        infos = zf.infolist()
        assert [i.filename for i in infos] == sorted(f"{NAME}/{rel}" for rel in files_of(built))
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        for i in infos:
            assert zf.read(i) == (built.parent / i.filename).read_bytes()


@pytest.mark.slow  # starts the CLI or another Python in a new process
def test_building_into_the_same_folder_again_changes_nothing(tmp_path):
    folder = build(REPO, tmp_path)
    before = snapshot(tmp_path)
    assert build(REPO, tmp_path) == folder
    proc = run_nkdata("build", str(REPO), "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert snapshot(tmp_path) == before  # same bytes, same mtimes: nothing rewritten, no staging left


def _change_data(project) -> None:
    project.replace("data/package.yaml", "Every figure, quotation and event", "Every figure, quotation and dated event")
    project.replace("data/entities.yaml", "South Korea's national intelligence agency.", "South Korea's national intelligence service.")
    assert project.validate() == []


@pytest.mark.slow  # starts the CLI or another Python in a new process
def test_rebuilding_a_version_with_changed_data_is_refused_and_leaves_the_release_untouched(project, tmp_path):
    out = tmp_path / "out"
    build(project.root, out)
    before = snapshot(out)
    _change_data(project)

    with pytest.raises(BuildError) as err:
        build(project.root, out)
    message = str(err.value)
    assert f"already holds release {VERSION}" in message
    assert "datapackage.json" in message and "entities.csv" in message and "version" in message
    assert snapshot(out) == before

    proc = run_nkdata("build", str(project.root), "--out", str(out))
    assert_clean_failure(proc.returncode, proc.stdout + proc.stderr, 1)
    assert f"already holds release {VERSION}" in proc.stderr
    assert snapshot(out) == before


def test_a_different_zip_of_the_same_version_is_refused_and_nothing_is_added(project, tmp_path):
    out = tmp_path / "out"
    build(project.root, out)
    nkdata_zip = (out / f"{NAME}.zip").read_bytes()
    shutil.rmtree(out / NAME)  # only the published zip is left
    _change_data(project)
    with pytest.raises(BuildError, match=r"\.zip exists with different content"):
        build(project.root, out)
    assert entries_of(out) == [f"{NAME}.zip"]
    assert (out / f"{NAME}.zip").read_bytes() == nkdata_zip


# ------------------------------------------------------------------ atomic


class Boom(Exception):
    pass


def _fail_on_call(real, n: int, exc: BaseException):
    calls = {"n": 0}

    def wrapper(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise exc
        return real(*args, **kwargs)

    return wrapper


def _half_written_zip(folder: Path, target: Path) -> None:
    target.write_bytes(b"PK\x03\x04 half a zip")
    raise Boom("disk full while zipping")


def _break(monkeypatch, where: str) -> None:
    """Make the next build fail at ``where`` (the counters restart at each call)."""
    if where == "third parquet":
        monkeypatch.setattr(BUILD, "write_parquet", _fail_on_call(_REAL["write_parquet"], 3, Boom("pyarrow died")))
    elif where == "csv (KeyboardInterrupt)":
        monkeypatch.setattr(BUILD, "write_csv", _fail_on_call(_REAL["write_csv"], 2, KeyboardInterrupt()))
    elif where == "descriptor":
        monkeypatch.setattr(BUILD, "describe", _fail_on_call(_REAL["describe"], 1, Boom("no room")))
    else:
        monkeypatch.setattr(BUILD, "write_zip", _half_written_zip)


_REAL = {name: getattr(BUILD, name) for name in ("write_parquet", "write_csv", "describe")}


@pytest.mark.parametrize("where", ["third parquet", "csv (KeyboardInterrupt)", "descriptor", "zip"])
def test_an_interrupted_build_leaves_nothing(tmp_path, monkeypatch, where):
    fresh = tmp_path / "fresh"  # a DIR that does not exist yet
    _break(monkeypatch, where)
    with pytest.raises((Boom, KeyboardInterrupt)):
        build(REPO, fresh)
    assert not fresh.exists() or entries_of(fresh) == []

    shared = tmp_path / "shared"  # a DIR that already holds something else
    shared.mkdir()
    (shared / "keep.txt").write_text("not ours")
    _break(monkeypatch, where)
    with pytest.raises((Boom, KeyboardInterrupt)):
        build(REPO, shared)
    assert entries_of(shared) == ["keep.txt"]


def test_an_interrupted_rebuild_does_not_touch_the_existing_release(tmp_path, monkeypatch):
    build(REPO, tmp_path)
    before = snapshot(tmp_path)
    monkeypatch.setattr(BUILD, "write_zip", _half_written_zip)
    with pytest.raises(Boom):
        build(REPO, tmp_path)
    assert snapshot(tmp_path) == before


# ------------------------------------------------------------------ invalid data


@pytest.mark.slow  # starts the CLI or another Python in a new process
def test_build_refuses_invalid_data_with_the_validators_messages_and_writes_nothing(project, tmp_path):
    project.replace(SRC_001, "    value: 4000\n", "    value: 4500\n")
    problems = validate(project.root)
    assert problems

    out = tmp_path / "out"
    with pytest.raises(ValidationFailed) as err:
        build(project.root, out)
    assert err.value.problems == problems
    assert not out.exists()

    checked = run_nkdata("validate", str(project.root))
    proc = run_nkdata("build", str(project.root), "--out", str(out))
    assert_clean_failure(proc.returncode, proc.stdout + proc.stderr, 1)
    assert checked.returncode == 1
    assert proc.stdout == checked.stdout  # the same messages as validate
    assert "nothing built" in proc.stderr
    assert not out.exists()


@pytest.mark.slow  # starts the CLI or another Python in a new process
def test_build_of_a_folder_that_is_not_a_project_is_a_usage_error(tmp_path):
    proc = run_nkdata("build", str(tmp_path), "--out", str(tmp_path / "out"))
    assert_clean_failure(proc.returncode, proc.stdout + proc.stderr, 2)
    assert "not an nkdata project" in proc.stderr
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ the embedded release


def _without_parquet_digests(dp: dict) -> dict:
    dp = json.loads(json.dumps(dp))
    for res in dp["resources"]:
        if "nkdata:parquet" in res:
            del res["nkdata:parquet"]["hash"], res["nkdata:parquet"]["bytes"]
    return dp


def test_the_embedded_release_is_a_build_of_the_current_data(built):
    embedded = REPO / "nkdata" / "_release" / NAME
    assert sorted(p.name for p in embedded.parent.iterdir()) == [NAME], "only the current version is embedded"
    ours, fresh = files_of(embedded), files_of(built)
    assert sorted(ours) == sorted(fresh), "run 'nkdata release' after changing the data"
    for rel in ours:
        if rel.endswith(".parquet"):
            # Parquet bytes may differ across pyarrow versions; the contents may not.
            a, b = pq.read_table(embedded / rel), pq.read_table(built / rel)
            assert a.schema.equals(b.schema, check_metadata=True), rel
            assert a.equals(b), rel
        elif rel != "datapackage.json":
            assert ours[rel] == fresh[rel], f"{rel}: embedded copy differs from a fresh build; run 'nkdata release'"
    assert _without_parquet_digests(descriptor(embedded)) == _without_parquet_digests(descriptor(built))
    Release(embedded).verify()  # and its own hashes hold


def test_the_release_history_and_registry_record_the_embedded_release():
    from nkdata.access.registry import registry
    from nkdata.versioning.record import registry_text

    embedded = REPO / "nkdata" / "_release" / NAME
    history = REPO / "data" / "releases" / VERSION
    assert (history / "datapackage.json").read_bytes() == (embedded / "datapackage.json").read_bytes()
    zip_path = history / f"{NAME}.zip"
    digest = sha256(zip_path)
    assert registry()[VERSION] == digest
    assert (history / f"{NAME}.zip.sha256").read_text().split() == [digest, f"{NAME}.zip"]
    assert (REPO / "nkdata" / "registry.txt").read_text(encoding="utf-8") == registry_text(REPO)
    with zipfile.ZipFile(zip_path) as zf:
        assert {i.filename.removeprefix(f"{NAME}/"): zf.read(i) for i in zf.infolist()} == files_of(embedded)


def test_zipping_the_embedded_release_reproduces_the_published_zip(tmp_path):
    from nkdata.access.registry import registry
    from nkdata.release.archive import write_zip

    write_zip(REPO / "nkdata" / "_release" / NAME, tmp_path / "z.zip")
    assert sha256(tmp_path / "z.zip") == registry()[VERSION]
