"""``nkdata export sqlite``: the release as one SQLite database for datasette.

Checked against the release's own files (CSV read with the standard library):
every table and row, keys enforced, list columns as link tables, full-text
search, deterministic bytes, atomic writes, and datasette serving it.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from markupsafe import escape

import nkdata
from nkdata.cli.main import main
from nkdata.errors import BuildError, UsageError
from nkdata.outputs import sqlite as export

EMBEDDED = Path(__file__).resolve().parents[2] / "nkdata" / "_release" / f"nkdata-{nkdata.__version__}"
DESCRIPTOR = json.loads((EMBEDDED / "datapackage.json").read_text(encoding="utf-8"))
RESOURCES = {r["name"]: r for r in DESCRIPTOR["resources"] if "schema" in r}


def csv_rows(table: str, folder: Path = EMBEDDED) -> list[dict[str, str]]:
    with open(folder / RESOURCES[table]["path"], encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def array_fields(table: str) -> list[str]:
    return [f["name"] for f in RESOURCES[table]["schema"]["fields"] if f["type"] == "array"]


@pytest.fixture(scope="session")  # once per worker: xdist interleaves modules, which tears module fixtures down
def built(tmp_path_factory: pytest.TempPathFactory) -> export.Export:
    return export.export_sqlite(tmp_path_factory.mktemp("db") / "nkdata.db")


@pytest.fixture
def db(built: export.Export) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(built.path.resolve().as_uri() + "?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def tables_in(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


# ---------------------------------------------------------------- tables, rows, keys


def test_every_release_table_with_every_row(built: export.Export, db: sqlite3.Connection) -> None:
    assert built.version == DESCRIPTOR["version"]
    assert set(RESOURCES) <= tables_in(db)
    for table in RESOURCES:
        n = len(csv_rows(table))
        assert n > 0
        assert db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] == n == built.tables[table], table
        columns = [r["name"] for r in db.execute(f'PRAGMA table_info("{table}")')]
        assert columns == [f["name"] for f in RESOURCES[table]["schema"]["fields"]], table


def test_primary_and_declared_foreign_keys(db: sqlite3.Connection) -> None:
    for table, res in RESOURCES.items():
        schema = res["schema"]
        pk = [r["name"] for r in sorted(db.execute(f'PRAGMA table_info("{table}")'), key=lambda r: r["pk"]) if r["pk"]]
        assert pk == schema["primaryKey"], table
        fks = {(r["from"], r["table"], r["to"]) for r in db.execute(f'PRAGMA foreign_key_list("{table}")')}
        for fk in schema.get("foreignKeys", []):
            assert (fk["fields"][0], fk["reference"]["resource"], fk["reference"]["fields"][0]) in fks, (table, fk)
    db.execute("PRAGMA foreign_keys = ON")
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_foreign_keys_are_enforced(built: export.Export, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    shutil.copyfile(built.path, copy)
    conn = sqlite3.connect(copy)
    conn.execute("PRAGMA foreign_keys = ON")
    figure = conn.execute("SELECT figure_id FROM figures LIMIT 1").fetchone()[0]
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        conn.execute("INSERT INTO figure_attribution VALUES (?, 99, 'ent-nobody-at-all')", (figure,))
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE|PRIMARY"):
        conn.execute("INSERT INTO figures SELECT * FROM figures LIMIT 1")
    conn.close()


def test_list_columns_are_link_tables_in_order(db: sqlite3.Connection) -> None:
    seen = 0
    for table, res in RESOURCES.items():
        key = res["schema"]["primaryKey"][0]
        for column in array_fields(table):
            link = f"{key.removesuffix('_id')}_{column}"
            assert link in tables_in(db), link
            cols = [r["name"] for r in db.execute(f'PRAGMA table_info("{link}")')]
            assert cols[:2] == [key, "position"]
            for row in csv_rows(table):
                items = [r[0] for r in db.execute(f'SELECT "{cols[2]}" FROM "{link}" WHERE "{key}" = ? ORDER BY position', (row[key],))]
                assert items == json.loads(row[column]), (link, row[key])
                stored = db.execute(f'SELECT "{column}" FROM "{table}" WHERE "{key}" = ?', (row[key],)).fetchone()[0]
                assert json.loads(stored) == json.loads(row[column])  # the list kept as JSON text too
            seen += 1
    assert seen >= 5


def _pk_prefixes() -> dict[str, str]:
    """Id prefix (from the key's pattern, e.g. ``^fig-``) -> table."""
    out = {}
    for table, res in RESOURCES.items():
        key = next(f for f in res["schema"]["fields"] if f["name"] == res["schema"]["primaryKey"][0])
        m = re.match(r"\^([a-z]+-)", key.get("constraints", {}).get("pattern", ""))
        if m:
            out[m.group(1)] = table
    return out


def test_item_references_become_foreign_keys(db: sqlite3.Connection) -> None:
    """Items that are ids ("Each item is an id in 'entities'", or every item with one table's id prefix)
    make the link table's item column a foreign key; free words (aliases, vocabulary terms) do not."""
    prefixes = _pk_prefixes()
    for table, res in RESOURCES.items():
        key = res["schema"]["primaryKey"][0]
        for f in res["schema"]["fields"]:
            if f["type"] != "array":
                continue
            link = f"{key.removesuffix('_id')}_{f['name']}"
            fks = {(r["from"], r["table"]) for r in db.execute(f'PRAGMA foreign_key_list("{link}")')}
            said = re.search(r"an id in '(\w+)'", f["description"])
            items = {i for row in csv_rows(table) for i in json.loads(row[f["name"]])}
            by_prefix = {prefixes.get(i.split("-", 1)[0] + "-") for i in items}
            target = said.group(1) if said else (by_prefix.pop() if len(by_prefix) == 1 else None)
            expected = {(key, table)} | ({(RESOURCES[target]["schema"]["primaryKey"][0], target)} if target else set())
            assert fks == expected, link
    assert [r["name"] for r in db.execute('PRAGMA table_info("figure_attribution")')] == ["figure_id", "position", "entity_id"]
    assert {(r["from"], r["table"]) for r in db.execute('PRAGMA foreign_key_list("entity_aliases")')} == {("entity_id", "entities")}


def test_join_figures_to_sources_and_entities(db: sqlite3.Connection) -> None:
    rows = db.execute(
        """
        SELECT f.figure_id, s.source_id, s.url, e.entity_id, e.name
        FROM figures f
        JOIN sources s ON s.source_id = f.source_id
        JOIN figure_attribution a ON a.figure_id = f.figure_id AND a.position = 0
        JOIN entities e ON e.entity_id = a.entity_id
        ORDER BY f.figure_id
        """
    ).fetchall()
    figures = {r["figure_id"]: r for r in csv_rows("figures")}
    entities = {r["entity_id"]: r for r in csv_rows("entities")}
    assert len(rows) == len(figures)  # every figure has a source and an originator
    for r in rows:
        fig = figures[r["figure_id"]]
        assert r["source_id"] == fig["source_id"]
        assert r["entity_id"] == json.loads(fig["attribution"])[0]
        assert r["name"] == entities[r["entity_id"]]["name"]


def test_claims_link_to_their_figures(db: sqlite3.Connection) -> None:
    if "claims" not in RESOURCES:
        pytest.skip(f"release {DESCRIPTOR['version']} has no claims table yet")
    fks = {(r["from"], r["table"]) for r in db.execute('PRAGMA foreign_key_list("figures")')}
    assert ("claim_id", "claims") in fks  # the ^clm- pattern of figures.claim_id is the claims key's
    claims = csv_rows("claims")
    for claim in claims:
        sql = "SELECT f.figure_id FROM claim_figure_ids l JOIN figures f USING (figure_id) WHERE l.claim_id = ? ORDER BY position"
        figures = [r[0] for r in db.execute(sql, (claim["claim_id"],))]
        assert figures == json.loads(claim["figure_ids"])
    assert db.execute("SELECT count(*) FROM claim_figure_ids").fetchone()[0] == sum(len(json.loads(c["figure_ids"])) for c in claims)


def test_types_dates_integers_numbers(db: sqlite3.Connection) -> None:
    for table, res in RESOURCES.items():
        for f in res["schema"]["fields"]:
            kinds = {r[0] for r in db.execute(f'SELECT DISTINCT typeof("{f["name"]}") FROM "{table}"')} - {"null"}
            expected = {"integer": {"integer"}, "boolean": {"integer"}, "number": {"real"}}.get(f["type"], {"text"})
            assert kinds <= expected, (table, f["name"], kinds)
            if f["type"] == "date":
                values = [r[0] for r in db.execute(f'SELECT "{f["name"]}" FROM "{table}" WHERE "{f["name"]}" IS NOT NULL')]
                assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values), (table, f["name"])
    fig = csv_rows("figures")[0]
    got = db.execute("SELECT evidence_start, value, date_start FROM figures WHERE figure_id = ?", (fig["figure_id"],)).fetchone()
    assert got["evidence_start"] == int(fig["evidence_start"])
    assert got["date_start"] == (fig["date_start"] or None)


# ---------------------------------------------------------------- full-text search


def _word(text: str) -> str:
    """A distinctive word of ``text`` (its longest plain word)."""
    return str(max(re.findall(r"[A-Za-z]{5,}", text), key=lambda w: (len(w), w)))


def _search(db: sqlite3.Connection, table: str, key: str, query: str) -> list[str]:
    sql = f'SELECT t."{key}" FROM "{table}_fts" JOIN "{table}" t ON t.rowid = "{table}_fts".rowid WHERE "{table}_fts" MATCH ?'
    return [r[0] for r in db.execute(sql, (query,))]


def test_full_text_search_over_evidence_quotes_and_titles(db: sqlite3.Connection) -> None:
    fig = csv_rows("figures")[0]
    assert fig["figure_id"] in _search(db, "figures", "figure_id", _word(fig["evidence"]))
    quote = next(r for r in csv_rows("statements") if r["kind"] == "direct_quote")
    assert quote["statement_id"] in _search(db, "statements", "statement_id", _word(quote["text"]))
    titled = next(r for r in csv_rows("sources") if r["title"])
    assert titled["source_id"] in _search(db, "sources", "source_id", _word(titled["title"]))
    # stemming: the plural finds the singular and back
    assert set(_search(db, "figures", "figure_id", "soldier")) == set(_search(db, "figures", "figure_id", "soldiers")) != set()


def test_search_finds_every_evidence_containing_a_word(db: sqlite3.Connection) -> None:
    indexed = ("evidence", "notes", "date_text", "value_text")
    expected = {r["figure_id"] for r in csv_rows("figures") if any(re.search(r"\bkursk\b", r[c], re.I) for c in indexed)}
    assert expected and set(_search(db, "figures", "figure_id", "kursk")) == expected


# ---------------------------------------------------------------- determinism and atomic writes


def test_same_release_same_bytes(built: export.Export, tmp_path: Path) -> None:
    again = export.export_sqlite(tmp_path / "nkdata.db")
    assert again.path.read_bytes() == built.path.read_bytes()
    assert built.metadata_path and again.metadata_path
    assert again.metadata_path.read_bytes() == built.metadata_path.read_bytes()
    assert again.tables == built.tables


def test_an_error_writes_nothing_and_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "nkdata.db"
    out.write_bytes(b"old")

    real = export.write_database

    def broken(path: Path, *args: Any, **kwargs: Any) -> None:
        real(path, *args, **kwargs)  # the temporary database written in full, then the disk fails
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(export, "write_database", broken)
    with pytest.raises(BuildError, match="could not write .*nkdata.db: disk I/O error; nothing was written"):
        export.export_sqlite(out)
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["nkdata.db"]  # no temporary file left behind


def test_bad_paths_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        export.export_sqlite(tmp_path / "x.db", release=tmp_path / "missing")
    with pytest.raises(UsageError, match="not an nkdata release"):
        export.export_sqlite(tmp_path / "x.db", release=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_missing_folders_are_made_and_taken_away_again_when_the_export_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As ``nkdata build``, ``site`` and ``plot`` do, the export makes the folders its path needs;
    an export that fails leaves neither a file nor those folders."""
    done = export.export_sqlite(tmp_path / "new" / "deeper" / "x.db", metadata=False)
    assert done.path.is_file() and sorted(p.name for p in (tmp_path / "new" / "deeper").iterdir()) == ["x.db"]

    def fail(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "write_database", fail)
    with pytest.raises(BuildError, match="No space left on device"):
        export.export_sqlite(tmp_path / "other" / "deeper" / "x.db")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new"]


# ---------------------------------------------------------------- driven by the descriptor: a table it has never seen


def _add_resource(folder: Path, name: str, fields: list[dict[str, Any]], rows: list[dict[str, Any]], pk: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from nkdata.spec.columns import csv_cell

    with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow([f["name"] for f in fields])
        for r in rows:
            w.writerow([csv_cell(r[f["name"]], f["type"]) for f in fields])
    types = {"string": pa.string(), "integer": pa.int64(), "array": pa.list_(pa.string())}
    schema = pa.schema([(f["name"], types[f["type"]]) for f in fields], metadata={"primary_key": pk})
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), folder / f"{name}.parquet")

    def entry(path: str) -> dict[str, Any]:
        data = (folder / path).read_bytes()
        return {"path": path, "hash": "sha256:" + hashlib.sha256(data).hexdigest(), "bytes": len(data)}

    dp = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    dp["resources"].append({
        "name": name, "title": name.title(), "description": f"A {name} table.", **entry(f"{name}.csv"), "format": "csv",
        "nkdata:parquet": entry(f"{name}.parquet"),
        "schema": {"fields": fields, "primaryKey": [pk], "foreignKeys": []},
    })
    (folder / "datapackage.json").write_text(json.dumps(dp, indent=2), encoding="utf-8")


def test_a_new_table_is_exported_without_code_changes(tmp_path: Path) -> None:
    """A claims-like table: keys, an item reference found by id prefix, one by description, free text searched."""
    folder = tmp_path / EMBEDDED.name
    shutil.copytree(EMBEDDED, folder)
    figures = csv_rows("figures")[:3]
    fields: list[dict[str, Any]] = [
        {"name": "tally_id", "type": "string", "constraints": {"required": True, "pattern": "^tly-[a-z0-9]+$"}, "description": "Id."},
        {"name": "originator", "type": "string", "description": "Who made it (an id in 'entities')."},
        {"name": "figure_ids", "type": "array", "description": "Figures, sorted. Encoded in CSV as a JSON array of strings."},
        {"name": "labels", "type": "array", "description": "Free words. Encoded in CSV as a JSON array of strings."},
        {"name": "remark", "type": "string", "description": "Remark.", "unit": "persons"},
        {"name": "n", "type": "integer", "description": "How many."},
    ]
    rows = [
        {"tally_id": f"tly-{i}", "originator": json.loads(f["attribution"])[0], "figure_ids": [f["figure_id"]],
         "labels": ["zebra", f"word{i}"], "remark": f"a platypus remark {i}", "n": i}
        for i, f in enumerate(figures)
    ]
    _add_resource(folder, "tallies", fields, rows, "tally_id")
    done = export.export_sqlite(tmp_path / "out.db", release=folder / "datapackage.json")
    assert done.tables["tallies"] == 3 and done.tables["tally_figure_ids"] == 3 and done.tables["tally_labels"] == 6
    conn = sqlite3.connect(done.path)

    def fk(table: str) -> set[tuple[str, str]]:
        return {(r[3], r[2]) for r in conn.execute(f'PRAGMA foreign_key_list("{table}")')}

    assert fk("tally_figure_ids") == {("tally_id", "tallies"), ("figure_id", "figures")}  # by the fig- prefix
    assert fk("tally_labels") == {("tally_id", "tallies")}  # free words: no reference
    assert fk("tallies") == {("originator", "entities")}  # by the description
    assert [r[0] for r in conn.execute("SELECT value FROM tally_labels WHERE tally_id = 'tly-1' ORDER BY position")] == ["zebra", "word1"]
    found = conn.execute("SELECT t.tally_id FROM tallies_fts JOIN tallies t ON t.rowid = tallies_fts.rowid WHERE tallies_fts MATCH 'platypus'")
    assert [r[0] for r in found] == ["tly-0", "tly-1", "tly-2"]
    assert conn.execute("SELECT count(*) FROM tallies_fts WHERE tallies_fts MATCH 'zebra'").fetchone()[0] == 3
    conn.close()
    assert done.metadata_path is not None
    meta = json.loads(done.metadata_path.read_text(encoding="utf-8"))["databases"]["out"]["tables"]
    assert meta["tallies"]["units"] == {"remark": "persons"}
    assert meta["tally_figure_ids"]["columns"]["position"].startswith("Place of the item")


def test_a_broken_reference_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / EMBEDDED.name
    shutil.copytree(EMBEDDED, folder)
    fields = [
        {"name": "tally_id", "type": "string", "description": "Id."},
        {"name": "who", "type": "array", "description": "People. Each item is an id in 'entities'."},
    ]
    _add_resource(folder, "tallies", fields, [{"tally_id": "tly-1", "who": ["ent-nobody-at-all"]}], "tally_id")
    with pytest.raises(BuildError, match="point to no row; first: table 'tally_who'"):
        export.export_sqlite(tmp_path / "out.db", release=folder)
    assert not (tmp_path / "out.db").exists()


# ---------------------------------------------------------------- datasette metadata


def test_metadata_describes_every_table_and_column(built: export.Export, db: sqlite3.Connection) -> None:
    assert built.metadata_path == built.path.with_name("nkdata.metadata.json")
    meta = json.loads(built.metadata_path.read_text(encoding="utf-8"))
    assert meta["title"] == DESCRIPTOR["title"] and meta["description"] == DESCRIPTOR["description"]
    assert meta["license"] == DESCRIPTOR["licenses"][0]["name"] and meta["license_url"] == DESCRIPTOR["licenses"][0]["path"]
    assert DESCRIPTOR["version"] in meta["source"]
    tables = meta["databases"]["nkdata"]["tables"]
    visible = {t for t in tables_in(db) if not re.search(r"_fts(_\w+)?$", t)}
    assert set(tables) == visible
    for table in visible:
        columns = [r["name"] for r in db.execute(f'PRAGMA table_info("{table}")')]
        assert set(tables[table]["columns"]) == set(columns), table
        assert all(tables[table]["columns"].values()) and tables[table]["description"], table
    for table, res in RESOURCES.items():
        assert tables[table]["description"].startswith(res["description"])
        for f in res["schema"]["fields"]:
            assert tables[table]["columns"][f["name"]] == f["description"]


def test_release_table_says_where_the_data_comes_from(db: sqlite3.Connection) -> None:
    info = dict(db.execute("SELECT key, value FROM nkdata_release").fetchall())
    assert info["version"] == DESCRIPTOR["version"]
    assert info["datapackage_sha256"] == hashlib.sha256((EMBEDDED / "datapackage.json").read_bytes()).hexdigest()


# ---------------------------------------------------------------- the command


def test_cli_export_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "x.db"
    result = CliRunner().invoke(main, ["export", "sqlite", str(out), "--metadata", str(tmp_path / "m.json")])
    assert result.exit_code == 0, result.output
    assert out.is_file() and (tmp_path / "m.json").is_file()
    assert f"datasette {out} -m {tmp_path / 'm.json'}" in result.output
    with sqlite3.connect(out) as conn:
        assert conn.execute("SELECT count(*) FROM figures").fetchone()[0] == len(csv_rows("figures"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--release", "{tmp}/missing"], "missing does not exist: give a release folder or its datapackage.json"),
        (["--release", "{tmp}"], "is not an nkdata release: no datapackage.json in it"),
    ],
)
def test_cli_bad_release_is_a_clear_error(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["export", "sqlite", str(tmp_path / "x.db"), *(a.format(tmp=tmp_path) for a in args)])
    assert result.exit_code in (1, 2)
    assert message in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.db").exists()


def test_cli_damaged_release_is_exit_1(tmp_path: Path) -> None:
    folder = tmp_path / EMBEDDED.name
    shutil.copytree(EMBEDDED, folder)
    (folder / "figures.parquet").write_bytes(b"not parquet")
    result = CliRunner().invoke(main, ["export", "sqlite", str(tmp_path / "x.db"), "--release", str(folder)])
    assert result.exit_code == 1
    assert "figures.parquet" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.db").exists()


# ---------------------------------------------------------------- datasette


def _datasette(built: export.Export) -> Any:
    datasette_app = pytest.importorskip("datasette.app", reason="datasette is not installed (pip install 'nkdata[test]')")
    assert built.metadata_path is not None
    meta = json.loads(built.metadata_path.read_text(encoding="utf-8"))
    return datasette_app.Datasette([str(built.path)], metadata=meta)


def _get(ds: Any, path: str) -> Any:
    async def go() -> Any:
        await ds.invoke_startup()
        return await ds.client.get(path)

    return asyncio.run(go())


def test_datasette_serves_every_table(built: export.Export) -> None:
    ds = _datasette(built)
    response = _get(ds, "/nkdata.json")
    assert response.status_code == 200
    shown = {t["name"]: t for t in response.json()["tables"]}
    for table in RESOURCES:
        assert not shown[table]["hidden"], table
        assert shown[table]["fts_table"] == f"{table}_fts", table  # datasette found the search index itself
        # the count from the table's own page: the database page counts within 5 ms, and says None when a busy machine takes longer
        counted = _get(ds, f"/nkdata/{table}.json?_size=0")
        assert counted.json()["filtered_table_rows_count"] == len(csv_rows(table)), table
    assert all(shown[t]["hidden"] for t in shown if t.endswith("_fts"))
    assert "figure_attribution" in shown and not shown["figure_attribution"]["hidden"]


def test_datasette_full_text_search(built: export.Export) -> None:
    ds = _datasette(built)
    fig = csv_rows("figures")[0]
    word = _word(fig["evidence"])
    response = _get(ds, f"/nkdata/figures.json?_search={word}&_shape=array&_size=max")
    assert response.status_code == 200, response.text
    assert fig["figure_id"] in [r["figure_id"] for r in response.json()]
    quote = next(r for r in csv_rows("statements") if r["kind"] == "direct_quote")
    response = _get(ds, f"/nkdata/statements.json?_search={_word(quote['text'])}&_shape=array&_size=max")
    assert quote["statement_id"] in [r["statement_id"] for r in response.json()]


def test_datasette_follows_foreign_keys_and_shows_metadata(built: export.Export) -> None:
    ds = _datasette(built)
    fig = csv_rows("figures")[0]
    response = _get(ds, f"/nkdata/figure_attribution.json?figure_id={fig['figure_id']}&_labels=on&_shape=array")
    rows = response.json()
    assert [r["entity_id"]["value"] for r in rows] == json.loads(fig["attribution"])
    assert all(r["entity_id"]["label"] for r in rows)  # the entity's name, found through the foreign key
    facets = _get(ds, "/nkdata/figures.json").json()["facet_results"]
    metric = next(f for f in RESOURCES["figures"]["schema"]["fields"] if f["name"] == "metric")
    assert "metric" in facets and {v["value"] for v in facets["metric"]["results"]} <= set(metric["constraints"]["enum"])
    page = _get(ds, "/nkdata/figures")
    assert page.status_code == 200 and 'name="_search"' in page.text
    assert str(escape(RESOURCES["figures"]["description"])) in page.text  # as datasette's Jinja escapes it (' is &#39;)
    assert DESCRIPTOR["licenses"][0]["name"] in page.text
    meta = _get(ds, "/-/metadata.json").json()
    assert meta["databases"]["nkdata"]["tables"]["figures"]["columns"]["evidence"] == next(
        f["description"] for f in RESOURCES["figures"]["schema"]["fields"] if f["name"] == "evidence"
    )
