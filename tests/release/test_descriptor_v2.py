"""The Data Package v2 descriptor of a release (issue 12, item 2): the archived texts and any other
file declared as resources that frictionless, ``nkdata validate`` and the loader check; licences per
resource; ``id`` and ``homepage``; ``categories`` beside every vocabulary ``enum``; source titles
built from the records' facts; and releases of the older form (``nkdata:texts``) still read."""

from __future__ import annotations

import json
from pathlib import Path

import frictionless
import pytest
import yaml
from helpers_release import REPO, TABLES, copy_release, csv_rows, descriptor, flip_byte, sha256

from nkdata.checks.package import validate_package
from nkdata.errors import IntegrityError
from nkdata.release.files import TEXT_LICENSES, file_resource, resource_name, source_title, text_resources
from nkdata.release.layout import TEXTS_DIR
from nkdata.release.reader import Release
from nkdata.spec import vocab

META = yaml.safe_load((REPO / "data" / "package.yaml").read_text(encoding="utf-8"))


def _tables(dp: dict) -> dict[str, dict]:
    return {r["name"]: r for r in dp["resources"] if r.get("type") == "table"}


def _files(dp: dict) -> dict[str, dict]:
    """The archived texts' resources (the data card's files are the other non-table ones: test_card.py)."""
    return {r["path"]: r for r in dp["resources"] if r.get("type") != "table" and r["path"].startswith(TEXTS_DIR)}


def _sources(folder: Path) -> list[dict]:
    return csv_rows(folder / "sources.csv", _tables(descriptor(folder))["sources"]["schema"]["fields"])


def _save(folder: Path, dp: dict) -> None:
    (folder / "datapackage.json").write_text(json.dumps(dp, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# ------------------------------------------------------------------ what the descriptor says


def test_every_archived_text_is_a_resource_with_its_size_hash_licence_and_source(built):
    dp = descriptor(built)
    files = _files(dp)
    sources = _sources(built)
    assert sorted(files) == sorted({s["text_path"] for s in sources})
    assert len({r["name"] for r in dp["resources"]}) == len(dp["resources"])  # names are unique
    for s in sources:
        res = files[s["text_path"]]
        assert res["name"] == resource_name(s["text_path"]) and res["name"].startswith("seeds-")
        assert (res["mediatype"], res["encoding"]) == ("text/plain", "utf-8")
        assert "type" not in res  # Data Package v2 defines only "table"; frictionless infers "text"
        assert res["bytes"] == (built / s["text_path"]).stat().st_size
        assert res["hash"] == f"sha256:{s['text_sha256']}" == f"sha256:{sha256(built / s['text_path'])}"
        # Not CC BY: a licence of its own, no SPDX id, pointing at the release's licence statement.
        assert res["licenses"] == TEXT_LICENSES
        assert "name" not in res["licenses"][0] and "not covered by cc by" in res["licenses"][0]["title"].lower()
        assert "publisher" in res["licenses"][0]["title"]
        assert s["source_id"] in res["description"]
        if s["url"]:
            assert s["url"] in [e.get("path") for e in res["sources"]]
        if s["title"]:
            assert res["title"] == s["title"]
    assert "nkdata:texts" not in dp


def test_tables_are_cc_by_and_say_which_columns_quote_third_party_texts(built):
    dp = descriptor(built)
    tables = _tables(dp)
    assert list(tables) == TABLES
    assert dp["licenses"] == META["licenses"] and [x["name"] for x in dp["licenses"]] == ["CC-BY-4.0"]
    for name, res in tables.items():
        assert res["licenses"] == META["licenses"], name
        assert res["sources"] and all(s["title"] and s["path"] for s in res["sources"]), name
    quoting = {"figures": ["value_text", "date_text", "evidence"], "statements": ["text", "evidence", "date_text"], "events": ["date_text", "evidence"]}
    for name, quoted in quoting.items():
        desc = tables[name]["description"]
        assert f"columns {', '.join(quoted)} quote the archived source texts verbatim" in desc, desc
        assert "remain their publishers'" in desc
    assert "verbatim" not in tables["entities"]["description"]
    assert tables["claims"]["sources"] == [{"title": "Derived from the figures table", "path": "figures.csv"}]


def test_id_and_homepage_come_from_package_yaml(built):
    dp = descriptor(built)
    assert dp["homepage"] == META["homepage"] == "https://github.com/nkdata/nkdata"
    assert dp["id"] == f"{META['homepage']}/releases/tag/v{dp['version']}"
    assert list(dp)[:3] == ["$schema", "name", "id"]


def test_every_vocabulary_field_has_categories_beside_its_enum(built):
    seen = set()
    for table, res in _tables(descriptor(built)).items():
        for field in res["schema"]["fields"]:
            enum = field.get("constraints", {}).get("enum")
            assert (enum is None) == ("categories" not in field), f"{table}.{field['name']}"
            if enum is None:
                continue
            values = [c["value"] for c in field["categories"]]
            assert values == enum
            name = next(n for n, terms in vocab.VOCABULARIES.items() if list(terms) == enum)
            seen.add(name)
            assert field["categories"] == [{"value": t, "label": vocab.label(t), "definition": d} for t, d in vocab.VOCABULARIES[name].items()]
    # every vocabulary a single-valued column uses (topic is a list column: its items are described)
    assert seen == set(vocab.VOCABULARIES) - {"topic"}
    assert vocab.label("troops_deployed") == "Troops deployed"


def test_no_source_is_titled_by_its_bare_id_and_built_titles_use_only_the_records_facts(built):
    dp = descriptor(built)
    sources = _sources(built)
    ids = {s["source_id"] for s in sources}
    assert not [s for s in dp["sources"] if s["title"] in ids]
    by_id = dict(zip((s["source_id"] for s in sources), dp["sources"], strict=True))
    # a record with no title: its publisher's name and its publication day (data/sources/*ajc*)
    assert by_id["src-ajc-2025-06-26"]["title"] == "The Atlanta Journal-Constitution, 2025-06-26"
    titled = next(s for s in sources if s["title"])
    assert by_id[titled["source_id"]]["title"] == titled["title"]


@pytest.mark.parametrize(
    ("row", "title"),
    [
        ({"title": "As published"}, "As published"),
        ({"publisher": "ent-a", "published_start": "2024-10-01", "published_end": "2024-10-31", "published_precision": "month"}, "Agency, 2024-10"),
        ({"publisher": "ent-a", "published_start": "2024-01-01", "published_end": "2024-12-31", "published_precision": "year"}, "Agency, 2024"),
        (
            {"publisher": "ent-a", "published_start": "2024-10-01", "published_end": "2024-10-10", "published_precision": "part_of_month"},
            "Agency, 2024-10-01 to 2024-10-10",
        ),
        ({"publisher": "ent-a"}, "Agency"),
        ({"published_start": "2024-10-02", "published_end": "2024-10-02", "published_precision": "day"}, "2024-10-02"),
        ({"url": "https://www.example.org/a/b"}, "www.example.org"),
        ({}, "src-x"),
    ],
)
def test_source_title_is_built_from_facts_only(row, title):
    assert source_title({"source_id": "src-x", **row}, {"ent-a": "Agency"}) == title


# ------------------------------------------------------------------ frictionless checks the texts


def test_frictionless_validates_every_text_and_reports_one_changed_byte(built, tmp_path):
    report = frictionless.validate(str(built / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])
    texts = {t.name: t.type for t in report.tasks if t.name.startswith("seeds-")}
    assert len(texts) == len(_files(descriptor(built))) > 100 and set(texts.values()) == {"text"}

    folder = copy_release(built, tmp_path)
    rel = sorted(_files(descriptor(folder)))[3]
    flip_byte(folder / rel)
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert not report.valid
    assert {t.name: {e.type for e in t.errors} for t in report.tasks if t.errors} == {resource_name(rel): {"hash-count"}}
    with open(folder / rel, "ab") as fh:
        fh.write(b"!")
    types = {e.type for t in frictionless.validate(str(folder / "datapackage.json")).tasks for e in t.errors}
    assert types == {"hash-count", "byte-count"}


def test_a_file_resource_of_any_kind_is_declared_and_checked_the_same_way(built, tmp_path):
    """The generic writer another part of the build uses for the data card (README.md, LICENSE-DATA, ...)."""
    folder = copy_release(built, tmp_path)
    (folder / "NOTES.md").write_text("# nkdata\n\nA data card.\n", encoding="utf-8")
    (folder / "LICENSE-OTHER").write_text("Tables: CC BY 4.0. Archived texts: their publishers'.\n", encoding="utf-8")
    readme = file_resource(folder, "NOTES.md", mediatype="text/markdown", title="Data card")
    licence = file_resource(folder, "LICENSE-OTHER", mediatype="text/plain", title="Licences", name="license-other")
    assert readme == {
        "name": "notes.md",
        "path": "NOTES.md",
        "title": "Data card",
        "mediatype": "text/markdown",
        "encoding": "utf-8",
        "bytes": 23,
        "hash": f"sha256:{sha256(folder / 'NOTES.md')}",
    }
    dp = descriptor(folder)
    dp["resources"] += [readme, licence]
    _save(folder, dp)
    assert frictionless.validate(str(folder / "datapackage.json")).valid
    assert validate_package(folder) == []
    assert "NOTES.md" in Release(folder).verify() and "NOTES.md" in Release(folder).files()
    assert "README.md" not in Release(folder).texts()  # the archived texts are those under seeds/

    (folder / "LICENSE-DATA").write_text("Tables: CC0. Archived texts: their publishers'.\n", encoding="utf-8")
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert {t.name: {e.type for e in t.errors} for t in report.tasks if t.errors} == {"license-data": {"hash-count", "byte-count"}}
    problems = validate_package(folder)
    assert [(p.code, p.path) for p in problems] == [("P801", f"{folder}/LICENSE-DATA")]
    with pytest.raises(IntegrityError, match="LICENSE-DATA"):
        Release(folder).verify()
    (folder / "README.md").unlink()
    assert ("P800", f"{folder}/README.md") in [(p.code, p.path) for p in validate_package(folder)]


def test_nkdata_validate_and_the_loader_refuse_a_tampered_text_resource(built, tmp_path):
    folder = copy_release(built, tmp_path)
    source = next(s for s in _sources(folder) if s["source_id"] == "src-ajc-2025-06-26")
    flip_byte(folder / source["text_path"])
    problems = validate_package(folder)
    assert ("P801", f"{folder}/{source['text_path']}") in [(p.code, p.path) for p in problems]
    with pytest.raises(IntegrityError, match=source["text_path"].replace(".", r"\.")):
        Release(folder).text(source["text_path"])


# ------------------------------------------------------------------ releases of the older form


def _as_old_release(folder: Path) -> None:
    """Rewrite a release's descriptor as 0.1.0-0.3.0 wrote it: the texts in ``nkdata:texts``."""
    dp = descriptor(folder)
    files = [r for r in dp["resources"] if r.get("type") != "table"]
    dp["resources"] = [r for r in dp["resources"] if r.get("type") == "table"]
    dp["nkdata:texts"] = [{"path": r["path"], "hash": r["hash"], "bytes": r["bytes"]} for r in files]
    _save(folder, dp)


def test_a_release_that_lists_its_texts_in_nkdata_texts_is_still_read_and_checked(built, tmp_path):
    folder = copy_release(built, tmp_path)
    _as_old_release(folder)
    release = Release(folder)
    assert release.table_names() == TABLES
    rel = sorted(release.texts())[0]
    assert release.text(rel) == (built / rel).read_text(encoding="utf-8")
    assert len(release.verify()) == 2 * len(TABLES) + len(descriptor(folder)["nkdata:texts"])
    assert validate_package(folder) == []

    flip_byte(folder / rel)
    with pytest.raises(IntegrityError, match=rel.replace(".", r"\.")):
        Release(folder).text(rel)
    assert ("P801", f"{folder}/{rel}") in [(p.code, p.path) for p in validate_package(folder)]


def test_the_recorded_releases_still_open_and_verify(tmp_path):
    from nkdata.release.archive import extract_release

    for version in ("0.1.0", "0.2.0"):
        extract_release(REPO / "data" / "releases" / version / f"nkdata-{version}.zip", tmp_path / version)
        release = Release(tmp_path / version / f"nkdata-{version}")
        texts = release.texts()
        assert texts and all(p.startswith("seeds/") for p in texts)
        assert set(release.verify()) >= set(texts)


def test_text_resources_group_sources_that_share_a_text(tmp_path):
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "a.txt").write_text("words\n", encoding="utf-8")
    rows = [
        {"source_id": "src-a", "text_path": "seeds/a.txt", "title": "A", "url": "https://example.org/a"},
        {"source_id": "src-b", "text_path": "seeds/a.txt", "title": None, "url": None, "publisher": "ent-p"},
    ]
    [res] = text_resources(tmp_path, rows, {"ent-p": "Press"})
    assert res["sources"] == [{"title": "A", "path": "https://example.org/a"}, {"title": "Press"}]
    assert "src-a, src-b" in res["description"] and res["bytes"] == 6


def test_a_build_step_declares_its_files_through_write_descriptor(built, tmp_path):
    """How the data card joins a release: written into the folder, then passed as ``files``."""
    from nkdata.checks.validation import load_valid
    from nkdata.release.rows import rows_from_project
    from nkdata.release.writer import write_descriptor

    folder = copy_release(built, tmp_path)
    (folder / "CITATION.cff").write_text("cff-version: 1.2.0\ntitle: nkdata\n", encoding="utf-8")
    card = file_resource(folder, "CITATION.cff", mediatype="application/x-yaml", title="How to cite")
    checked = load_valid(REPO)
    write_descriptor(folder, checked.curated.package, rows_from_project(checked), descriptor(built)["version"], files=[card])
    dp = descriptor(folder)
    assert [r["name"] for r in dp["resources"][: len(TABLES) + 1]] == [*TABLES, "citation.cff"]
    assert dp["resources"][len(TABLES) + 1 :] == list(_files(descriptor(built)).values())  # then the texts
    assert validate_package(folder) == []
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid and {t.name: t.type for t in report.tasks}["citation.cff"] == "file"
