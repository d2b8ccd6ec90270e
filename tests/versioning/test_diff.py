"""``nkdata diff``: record-level and schema differences between real builds, and their SemVer level.

Every comparison here is between releases actually built from the curated data
(or a copy of it with one edit), or the recorded 0.1.0 release; schema changes
are made by editing a built ``datapackage.json`` in a copy.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import NEW_FIGURE, REPO, SRC_000, SRC_001, Project, add_changelog_entry, run_cli, run_cli_subprocess

from nkdata import __version__
from nkdata.errors import UsageError
from nkdata.release.writer import build
from nkdata.versioning.compare import compare_schemas
from nkdata.versioning.diff import diff
from nkdata.versioning.report import format_diff
from nkdata.versioning.semver import Level, bump, declared_version, parse_version


@pytest.fixture(scope="module")
def base(built: Path) -> Path:
    """The current curated data, built as the current version (the recorded release's bytes when nothing changed)."""
    return built


@pytest.fixture
def edited_build(project: Project, tmp_path: Path) -> Callable[[Callable[[Project], None]], tuple[Project, Path]]:
    """``edited_build(edit)``: apply ``edit`` to a copy of the project, build it; the copy and the built release folder."""

    def make(edit: Callable[[Project], None]) -> tuple[Project, Path]:
        add_changelog_entry(project.root, __version__)
        edit(project)
        return project, build(project.root, tmp_path / "out", __version__)

    return make


def add_figure(p: Project) -> None:
    p.replace(SRC_001, "\nstatements:", NEW_FIGURE + "\nstatements:")


def schema_copy(base: Path, tmp_path: Path, edit) -> Path:
    """A copy of a built release whose datapackage.json schemas were changed by ``edit(resources)``, each
    Parquet file whose columns changed rewritten to match (the reader refuses one that does not)."""
    folder = tmp_path / base.name
    shutil.copytree(base, folder)
    desc_path = folder / "datapackage.json"
    desc = json.loads(desc_path.read_text(encoding="utf-8"))
    tables = [r for r in desc["resources"] if "schema" in r]
    before = [[(f["name"], f["type"]) for f in r["schema"]["fields"]] for r in tables]
    edit({r["name"]: r["schema"] for r in tables})
    for r, columns in zip(tables, before, strict=True):
        if columns != [(f["name"], f["type"]) for f in r["schema"]["fields"]]:
            _fit_parquet(folder, r)
    desc_path.write_text(json.dumps(desc, indent=2, ensure_ascii=False), encoding="utf-8")
    return folder


def _fit_parquet(folder: Path, resource: dict) -> None:
    """Rewrite a table's Parquet file with the columns its schema lists (kept values cast, new ones null), and record its hash."""
    import hashlib

    import pyarrow as pa
    import pyarrow.parquet as pq

    from nkdata.spec.columns import arrow_type

    entry = resource["nkdata:parquet"]
    path = folder / entry["path"]
    old = pq.read_table(path)
    columns = {
        f["name"]: old[f["name"]].cast(arrow_type(f["type"])) if f["name"] in old.column_names else pa.nulls(old.num_rows, arrow_type(f["type"]))
        for f in resource["schema"]["fields"]
    }
    pq.write_table(pa.table(columns), path)
    data = path.read_bytes()
    entry.update(hash=f"sha256:{hashlib.sha256(data).hexdigest()}", bytes=len(data))


MINOR_NEXT = bump(__version__, Level.MINOR)  # what adding records to the current release requires


def field(schemas: dict, table: str, name: str) -> dict:
    return next(f for f in schemas[table]["fields"] if f["name"] == name)


def messages(d) -> list[str]:
    return [f"{c.level.name} {c.table}: {c.message}" for c in d.changes()]


# ---------------------------------------------------------------- no change


def test_working_tree_equals_its_own_build(base: Path) -> None:
    d = diff(REPO, base)
    assert d.level is Level.NONE, messages(d)
    assert d.changes() == []
    assert [(t.name, t.rows_old == t.rows_new) for t in d.tables] == [(n, True) for n in ("sources", "entities", "figures", "statements", "events", "claims")]
    assert d.version_check()[0]


def test_every_kind_of_input_names_the_same_release(tmp_path: Path) -> None:
    recorded = REPO / "data" / "releases" / "0.1.0"
    unpacked = tmp_path / "unzipped"
    shutil.unpack_archive(recorded / "nkdata-0.1.0.zip", unpacked)
    for old in (recorded, recorded / "datapackage.json", recorded / "nkdata-0.1.0.zip", "0.1.0", unpacked / "nkdata-0.1.0"):
        d = diff(old, unpacked / "nkdata-0.1.0" / "datapackage.json", REPO)
        assert d.level is Level.NONE, (old, messages(d))
        assert d.old_version == d.new_version == "0.1.0"


def test_project_root_version_is_read_from_its_own_version_file(tmp_path: Path) -> None:
    (tmp_path / "nkdata").mkdir()
    (tmp_path / "nkdata" / "_version.py").write_text('"""v"""\n\n__version__ = "3.4.5"\n', encoding="utf-8")
    assert declared_version(tmp_path) == "3.4.5"
    assert declared_version(REPO) == __import__("nkdata").__version__


# ---------------------------------------------------------------- records


def test_added_figure_is_minor(edited_build, base: Path) -> None:
    _, new = edited_build(add_figure)
    d = diff(base, new)
    figures = next(t for t in d.tables if t.name == "figures")
    assert figures.added == ["fig-test-added-troops-11000"]
    assert figures.removed == [] and figures.changed == []
    assert figures.rows_new == figures.rows_old + 1
    assert d.level is Level.MINOR
    assert d.required_version == MINOR_NEXT
    ok, message = d.version_check()
    assert not ok
    assert f"needs at least {MINOR_NEXT}" in message and "figures: 1 record added" in message


def test_edited_value_is_patch_with_field_level_old_and_new(edited_build, base: Path) -> None:
    def edit(p: Project) -> None:
        p.replace(SRC_001, "      The text gives the size of the force without dating it;", "      The text gives the force's size without dating it;")
        p.replace(SRC_000, "statement_id: stm-reports-severely-anxious\n    speaker_id: null\n    attribution: []\n    kind: direct_quote",
                  "statement_id: stm-reports-severely-anxious\n    speaker_id: null\n    attribution: []\n    kind: reported")

    _, new = edited_build(edit)
    d = diff(base, new)
    assert d.level is Level.PATCH
    assert d.required_version == bump(__version__, Level.PATCH)
    figures = {t.name: t for t in d.tables}["figures"]
    (rec,) = figures.changed
    assert rec.id == "fig-nis-troops-deployed-11000"
    (change,) = rec.fields
    assert change.field == "notes"
    assert change.old.startswith("The text gives the size of the force") and change.new.startswith("The text gives the force's size")
    statements = {t.name: t for t in d.tables}["statements"]
    assert [(r.id, [(f.field, f.old, f.new) for f in r.fields]) for r in statements.changed] == [
        ("stm-reports-severely-anxious", [("kind", "direct_quote", "reported")])
    ]
    text = format_diff(d, "text")
    assert "~ stm-reports-severely-anxious" in text and 'kind: "direct_quote" -> "reported"' in text


def test_removed_record_is_major(edited_build, base: Path) -> None:
    def edit(p: Project) -> None:
        text = p.read(SRC_000)
        start = text.index("  - statement_id: stm-reports-severely-anxious")
        end = text.index("  - statement_id:", start + 10)
        p.write(SRC_000, text[:start] + text[end:])

    _, new = edited_build(edit)
    d = diff(base, new)
    statements = {t.name: t for t in d.tables}["statements"]
    assert statements.removed == ["stm-reports-severely-anxious"]
    assert d.level is Level.MAJOR and d.required_version == "1.0.0"


def test_renamed_id_is_removed_plus_added_and_major(edited_build, base: Path) -> None:
    _, new = edited_build(lambda p: p.replace(SRC_001, "figure_id: fig-nis-casualties-2025-01\n", "figure_id: fig-nis-casualties-2025-jan\n"))
    figures = {t.name: t for t in diff(base, new).tables}["figures"]
    assert figures.removed == ["fig-nis-casualties-2025-01"] and figures.added == ["fig-nis-casualties-2025-jan"]
    assert diff(base, new).level is Level.MAJOR


def test_working_tree_against_a_build_and_check_version_cli(project: Project, base: Path) -> None:
    add_figure(project)
    (project.root / "nkdata").mkdir()
    version_file = project.root / "nkdata" / "_version.py"
    version_file.write_text(f'__version__ = "{__version__}"\n', encoding="utf-8")
    out = run_cli("diff", str(base), str(project.root), "--check-version")
    assert out.exit_code == 1
    assert "+ fig-test-added-troops-11000" in out.stdout
    assert "version check failed" in out.stderr and f"needs at least {MINOR_NEXT}" in out.stderr
    assert "figures: 1 record added" in out.stderr
    assert "Traceback" not in out.output
    version_file.write_text(f'__version__ = "{MINOR_NEXT}"\n', encoding="utf-8")
    ok = run_cli("diff", str(base), str(project.root), "--check-version")
    assert ok.exit_code == 0, ok.output
    assert f"version check passed: {MINOR_NEXT} >= {MINOR_NEXT}" in ok.stderr


def test_defaults_compare_last_recorded_release_with_working_tree(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project.root)
    project.write("nkdata/_version.py", f'__version__ = "{__version__}"\n')
    before = diff(__version__, project.root, project.root)
    plain = run_cli("diff")
    assert plain.exit_code == 0, plain.output
    assert plain.stdout.startswith(f"nkdata diff: release {__version__} ({__version__}) -> working tree")
    assert f"change level: {before.level.name}" in plain.stdout
    add_figure(project)
    changed = run_cli("diff", "--check-version", "--format", "markdown")
    figures_before = {t.name: t for t in before.tables}["figures"]
    rows = f"| figures | {figures_before.rows_old} | {figures_before.rows_new + 1} | {len(figures_before.added) + 1} |"
    assert rows in changed.stdout
    assert "`fig-test-added-troops-11000`" in changed.stdout
    assert changed.exit_code == 1  # the copy declares the recorded version: too low for added records
    assert "❌ version check failed" in changed.stdout


@pytest.mark.slow  # starts the CLI or another Python in a new process
def test_invalid_working_tree_is_reported_not_compared(project: Project) -> None:
    project.replace(SRC_001, "qualifier: more_than", "qualifier: more_then")
    out = run_cli_subprocess("diff", "0.1.0", str(project.root), "--root", str(REPO))
    assert out.exit_code == 1
    assert f"{SRC_001}:" in out.stdout and "M203" in out.stdout
    assert "Traceback" not in out.output


@pytest.mark.slow  # starts the CLI or another Python in a new process
@pytest.mark.parametrize("spec", ["no-such-thing", "9.9.9", "1.2"])
def test_unknown_side_is_a_usage_error(spec: str) -> None:
    out = run_cli_subprocess("diff", spec, str(REPO), "--root", str(REPO))
    assert out.exit_code in (1, 2)
    assert "Traceback" not in out.output
    assert spec in out.stderr


def test_first_release_from_none() -> None:
    d = diff("none", "0.1.0", REPO)
    assert d.level is Level.MINOR and d.required_version == "0.1.0"
    assert {t.name: (t.rows_old, t.rows_new, len(t.added)) for t in d.tables} == {
        "sources": (None, 2, 2), "entities": (None, 16, 16), "figures": (None, 5, 5), "statements": (None, 19, 19), "events": (None, 8, 8)
    }
    assert d.version_check()[0]


# ---------------------------------------------------------------- schema changes (edited built descriptors)


def test_removed_column_is_major(tmp_path: Path, base: Path) -> None:
    new = schema_copy(base, tmp_path, lambda s: s["figures"]["fields"].remove(field(s, "figures", "notes")))
    d = diff(base, new)
    assert d.level is Level.MAJOR
    assert "MAJOR figures: column 'notes' removed (or renamed)" in messages(d)
    assert {t.name: t for t in d.tables}["figures"].changed == []  # the other columns are unchanged


def test_removed_vocabulary_term_is_major_and_added_term_minor(tmp_path: Path, base: Path) -> None:
    def remove(s: dict) -> None:
        field(s, "figures", "metric")["constraints"]["enum"].remove("workers_deployed")

    d = diff(base, schema_copy(base, tmp_path / "a", remove))
    assert d.level is Level.MAJOR
    assert "MAJOR figures: column 'metric': vocabulary terms removed: workers_deployed" in messages(d)

    def add(s: dict) -> None:
        field(s, "figures", "metric")["constraints"]["enum"].append("civilians_killed")

    d = diff(base, schema_copy(base, tmp_path / "b", add))
    assert d.level is Level.MINOR and d.required_version == MINOR_NEXT
    assert "MINOR figures: column 'metric': vocabulary terms added: civilians_killed" in messages(d)


def test_retyped_column_is_major_and_not_compared(tmp_path: Path, base: Path) -> None:
    new = schema_copy(base, tmp_path, lambda s: field(s, "figures", "value").update(type="string"))
    d = diff(base, new)
    assert "MAJOR figures: column 'value' type changed: number -> string" in messages(d)
    assert {t.name: t for t in d.tables}["figures"].skipped_columns == ["value"]


def test_optional_column_added_is_minor_required_is_major(tmp_path: Path, base: Path) -> None:
    extra = {"name": "confidence", "type": "string", "description": "test column"}
    d = diff(base, schema_copy(base, tmp_path / "a", lambda s: s["events"]["fields"].append(dict(extra))))
    assert d.level is Level.MINOR
    assert "MINOR events: optional column 'confidence' added (string)" in messages(d)
    required = {**extra, "constraints": {"required": True}}
    d = diff(base, schema_copy(base, tmp_path / "b", lambda s: s["events"]["fields"].append(required)))
    assert d.level is Level.MAJOR


def test_relaxed_constraint_is_minor_tightened_is_major(tmp_path: Path, base: Path) -> None:
    d = diff(base, schema_copy(base, tmp_path / "a", lambda s: field(s, "entities", "name")["constraints"].pop("required")))
    assert d.level is Level.MINOR
    assert "MINOR entities: column 'name' is no longer required (constraint relaxed)" in messages(d)
    d = diff(base, schema_copy(base, tmp_path / "b", lambda s: field(s, "figures", "value")["constraints"].update(maximum=1_000_000)))
    assert d.level is Level.MAJOR


def test_removed_table_is_major(tmp_path: Path, base: Path) -> None:
    folder = tmp_path / base.name
    shutil.copytree(base, folder)
    desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    desc["resources"] = [r for r in desc["resources"] if r["name"] != "events"]
    (folder / "datapackage.json").write_text(json.dumps(desc), encoding="utf-8")
    d = diff(base, folder)
    assert "MAJOR events: table removed" in messages(d)
    d_back = diff(folder, base)
    events = {t.name: t for t in d_back.tables}["events"]
    assert d_back.level is Level.MINOR and f"MINOR events: table added ({events.rows_new} records)" in messages(d_back)


def test_description_change_is_patch(tmp_path: Path, base: Path) -> None:
    d = diff(base, schema_copy(base, tmp_path, lambda s: field(s, "figures", "notes").update(description="Notes.")))
    assert d.level is Level.PATCH


def test_a_changed_category_definition_is_patch(tmp_path: Path, base: Path) -> None:
    def edit(s: dict) -> None:
        field(s, "figures", "qualifier")["categories"][0]["definition"] = "Stated as is."

    d = diff(base, schema_copy(base, tmp_path, edit))
    assert d.level is Level.PATCH
    assert [c.message for c in d.changes()] == ["column 'qualifier' categories changed (labels or definitions)"]


def test_constraint_rules() -> None:
    def schema(**constraints) -> dict:
        return {"fields": [{"name": "x", "type": "number", "constraints": constraints}], "primaryKey": ["x"]}

    def level(a: dict, b: dict) -> Level:
        return max((c.level for c in compare_schemas("t", a, b)), default=Level.NONE)

    assert level(schema(minimum=0), schema(minimum=1)) is Level.MAJOR
    assert level(schema(minimum=1), schema(minimum=0)) is Level.MINOR
    assert level(schema(maximum=10), schema(maximum=5)) is Level.MAJOR
    assert level(schema(maximum=5), schema(maximum=10)) is Level.MINOR
    assert level(schema(), schema(pattern="^a")) is Level.MAJOR
    assert level(schema(pattern="^a"), schema()) is Level.MINOR
    assert level(schema(pattern="^a"), schema(pattern="^b")) is Level.MAJOR
    assert level(schema(unique=True), schema()) is Level.MINOR
    assert level(schema(enum=["a", "b"]), schema(enum=["b", "a"])) is Level.NONE
    reordered = {"fields": [{"name": "y", "type": "string"}, {"name": "x", "type": "string"}]}
    assert level({"fields": list(reversed(reordered["fields"]))}, reordered) is Level.MAJOR


def test_versions() -> None:
    assert [bump("0.1.0", lv) for lv in Level] == ["0.1.0", "0.1.1", "0.2.0", "1.0.0"]
    assert bump("1.4.2", Level.MINOR) == "1.5.0"
    assert parse_version("10.0.1") > parse_version("9.9.9")
    with pytest.raises(UsageError):
        parse_version("1.0")


# ---------------------------------------------------------------- output formats


def test_formats(edited_build, base: Path) -> None:
    _, new = edited_build(add_figure)
    d = diff(base, new)
    doc = json.loads(format_diff(d, "json"))
    assert doc["level"] == "MINOR" and doc["required_version"] == MINOR_NEXT and doc["version_ok"] is False
    assert {t["name"]: t["added"] for t in doc["tables"]}["figures"] == ["fig-test-added-troops-11000"]
    md = format_diff(d, "markdown", check=True)
    assert md.startswith(f"### nkdata {__version__} → {__version__}: MINOR change")
    rows = {t.name: t for t in d.tables}["figures"].rows_old
    assert f"| figures | {rows} | {rows + 1} | 1 | 0 | 0 |" in md and "- **MINOR** figures: 1 record added" in md
    assert "Added: `fig-test-added-troops-11000`" in md
    out = run_cli("diff", str(base), str(new), "--format", "json")
    assert out.exit_code == 0 and json.loads(out.stdout)["level"] == "MINOR"


def test_added_and_changed_records_with_a_field_level_limit(edited_build, base: Path) -> None:
    """New ids change the row order, so records are matched by fingerprint; the limit keeps the rest by id."""

    def edit(p: Project) -> None:
        add_figure(p)
        p.replace(SRC_001, "      The text gives the size of the force without dating it;", "      The text gives the force's size without dating it;")
        p.replace(SRC_001, "      Killed and wounded together: Lee's words", "      Killed and wounded, together: Lee's words")

    _, new = edited_build(edit)
    full = {t.name: t for t in diff(base, new, max_details=None).tables}["figures"]
    assert full.added == ["fig-test-added-troops-11000"]
    assert [(r.id, [f.field for f in r.fields]) for r in full.changed] == [
        ("fig-nis-casualties-2025-03-mid", ["notes"]),
        ("fig-nis-troops-deployed-11000", ["notes"]),
    ]
    limited = diff(base, new, max_details=1)
    figures = {t.name: t for t in limited.tables}["figures"]
    assert [r.id for r in figures.changed] == [r.id for r in full.changed]
    assert sorted(r.fields is None for r in figures.changed) == [False, True]
    assert limited.level is Level.MINOR
    assert "field-level changes shown for the first 1 changed records only" in format_diff(limited, "text")
    tables = {t["name"]: t for t in json.loads(format_diff(limited, "json"))["tables"]}
    assert tables["figures"]["details_limit"] == 1 and sorted(r["fields"] is None for r in tables["figures"]["changed"]) == [False, True]


@pytest.mark.slow  # starts the CLI or another Python in a new process
def test_damaged_inputs_fail_cleanly(tmp_path: Path) -> None:
    import zipfile

    (tmp_path / "bad-json").mkdir()
    (tmp_path / "bad-json" / "datapackage.json").write_text("{nope", encoding="utf-8")
    (tmp_path / "not-a.zip").write_bytes(b"plain text")
    with zipfile.ZipFile(tmp_path / "escape.zip", "w") as zf:
        zf.writestr("nkdata-0.1.0/datapackage.json", "{}")
        zf.writestr("../outside.txt", "x")
    with zipfile.ZipFile(tmp_path / "two-folders.zip", "w") as zf:
        zf.writestr("nkdata-0.1.0/datapackage.json", "{}")
        zf.writestr("nkdata-0.2.0/datapackage.json", "{}")
    recorded = tmp_path / "recorded"
    recorded.mkdir()
    shutil.copyfile(REPO / "data" / "releases" / "0.1.0" / "datapackage.json", recorded / "datapackage.json")
    cases = {
        "bad-json/datapackage.json": "not valid JSON",
        "not-a.zip": "not a valid zip",
        "escape.zip": "unexpected member '../outside.txt': a path that leaves its folder",
        "two-folders.zip": "not an nkdata release zip",
        "recorded": "neither the data files nor nkdata-0.1.0.zip",
    }
    for rel, needle in cases.items():
        out = run_cli("diff", str(tmp_path / rel), "none")
        assert out.exit_code in (1, 2), (rel, out.output)
        assert needle in out.stderr and "Traceback" not in out.output, (rel, out.output)
    assert not (tmp_path.parent / "outside.txt").exists()


@pytest.mark.parametrize(
    "old,new",
    [
        ({"enum": "abc"}, {"enum": ["a"]}),  # iterated as letters, or a TypeError for a number
        ({"enum": 5}, {"enum": ["a"]}),
        ({"minimum": "5"}, {"minimum": 0}),  # '<' between a text and a number: TypeError
        ({"maxLength": [1]}, {"maxLength": 2}),
    ],
)
def test_constraints_that_are_not_terms_or_bounds_are_a_major_change_not_a_traceback(old: dict[str, object], new: dict[str, object]) -> None:
    changes = compare_schemas("t", {"fields": [{"name": "a", "constraints": old}]}, {"fields": [{"name": "a", "constraints": new}]})
    assert [c.level for c in changes] == [Level.MAJOR] and "changed from" in changes[0].message
