"""A built package forged or damaged by hand, validated in this process: each trick is reported
as a problem at the descriptor or at the record's line, never a traceback, and hides nothing.

Descriptor tricks: a second resource of a name listed first, a path listed twice, a version
that is not one (or not the folder's), a NUL in a path. Parquet cells no CSV could spell: a
null where the schema allows none, a null inside a list, a date32 past year 9999.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from package_helpers import both, csv_line_of, essence, located, pick, refresh_descriptor

from nkdata.checks.package import validate_package
from nkdata.errors import IntegrityError
from nkdata.release import archive
from nkdata.release.descriptor import DescriptorError, load_descriptor
from nkdata.versioning.diff import diff

DESCRIPTOR = "datapackage.json"


def _edit_descriptor(pkg: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = pkg / DESCRIPTOR
    desc = json.loads(path.read_text(encoding="utf-8"))
    change(desc)
    path.write_text(json.dumps(desc, indent=2), encoding="utf-8")


def _resource(desc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in desc["resources"] if r["name"] == name)


def _codes(problems: list[Any]) -> set[tuple[str, str]]:
    return {(p.code, p.path.rsplit("/", 1)[-1]) for p in problems}


# ---------------------------------------------------------------- the descriptor


def test_a_forged_resource_listed_before_the_real_one_is_reported_and_its_file_checked(pkg: Path, tmp_path: Path) -> None:
    """The checker kept the last resource of a name and never looked at the first: 'valid'."""
    shutil.copyfile(pkg / "figures.csv", pkg / "figures-forged.csv")

    def forge(desc: dict[str, Any]) -> None:
        forged = {**_resource(desc, "figures"), "path": "figures-forged.csv", "hash": "sha256:" + "0" * 64, "bytes": 1}
        desc["resources"].insert(0, forged)

    _edit_descriptor(pkg, forge)
    archive.write_zip(pkg, tmp_path / f"{pkg.name}.zip")
    for target in (pkg, tmp_path / f"{pkg.name}.zip"):
        problems = validate_package(target)
        assert ("P801", "figures-forged.csv") in _codes(problems), problems
        twice = [p for p in problems if p.code == "P802" and p.path.endswith(DESCRIPTOR)]
        assert any("a second resource named 'figures'" in p.message for p in twice), problems


def test_a_text_listed_twice_has_both_entries_checked(pkg: Path) -> None:
    def forge(desc: dict[str, Any]) -> None:
        text = next(r for r in desc["resources"] if r["path"].startswith("seeds/"))
        desc["resources"].insert(0, {**text, "hash": "sha256:" + "0" * 64})  # the forged one first: the real one was read

    _edit_descriptor(pkg, forge)
    problems = validate_package(pkg)
    assert any(p.code == "P802" and "is listed twice" in p.message for p in problems), problems
    assert any(p.code == "P801" and "/seeds/" in p.path for p in problems), problems


@pytest.mark.parametrize(
    "version,said",
    [(5, "'version' 5, not a MAJOR.MINOR.PATCH"), ("../../../x", "not a MAJOR.MINOR.PATCH"), (None, "no 'version'")],
)
def test_the_version_is_a_version(pkg: Path, version: Any, said: str) -> None:
    _edit_descriptor(pkg, lambda d: d.pop("version") if version is None else d.__setitem__("version", version))
    problems = validate_package(pkg)
    assert [(p.code, p.field) for p in problems] == [("P802", "version")], problems
    assert problems[0].path == f"{pkg}/{DESCRIPTOR}" and said in problems[0].message


def test_a_nul_in_a_path_is_a_damaged_descriptor(pkg: Path, tmp_path: Path) -> None:
    _edit_descriptor(pkg, lambda d: _resource(d, "figures")["nkdata:parquet"].__setitem__("path", "figures\0.parquet"))
    problems = validate_package(pkg)
    assert [p.code for p in problems] == ["P802"] and "NUL" in problems[0].message
    with pytest.raises(DescriptorError, match="NUL"):  # the one reader of descriptors: load, diff and export alike
        load_descriptor(pkg / DESCRIPTOR)


def _drop_events(desc: dict[str, Any]) -> None:
    desc["resources"] = [r for r in desc["resources"] if r["name"] != "events"]


def _describe_otherwise(desc: dict[str, Any]) -> None:
    next(r for r in desc["resources"] if r["name"] == "figures")["schema"]["fields"][0]["description"] += " Edited."


def _rename_events(desc: dict[str, Any]) -> None:
    next(r for r in desc["resources"] if r["name"] == "events")["name"] = "happenings"


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (_drop_events, "the package has no 'events' resource"),
        (_describe_otherwise, "the Table Schema of 'figures' differs from the one this nkdata's models generate (field 'figure_id' differs in description)"),
        (_rename_events, "resource 4 ('happenings') is not a table of nkdata"),
    ],
    ids=["table-missing", "schema-edited", "not-a-table-of-nkdata"],
)
def test_a_descriptor_whose_tables_are_not_nkdata_s(pkg: Path, edit: Any, said: str) -> None:
    """A well-formed datapackage.json that lists a table too few, another schema, or a table nkdata has not:
    P802 saying which (test_package.py's malformed descriptors never reached these checks)."""
    path = pkg / "datapackage.json"
    desc = json.loads(path.read_text(encoding="utf-8"))
    edit(desc)
    path.write_text(json.dumps(desc, indent=2), encoding="utf-8")
    said_of_descriptor = [p.message for p in validate_package(pkg) if p.code == "P802" and p.path == f"{pkg}/datapackage.json"]
    assert said in said_of_descriptor, said_of_descriptor


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "\uff1dSUM(A1)"], ids=["equals", "full-width-equals"])
def test_a_formula_cell(pkg: Path, proj: Path, cell: str) -> None:
    """C600 on a package's cell too: a hand-edited CSV is what a spreadsheet opens (no other test edits a
    package cell into a formula: the package path's formula check could go unnoticed)."""
    fig = pick(pkg, "figures", lambda r: True)
    got, want = both(pkg, proj, "figures", fig["figure_id"], lambda r: r.update(notes=cell))
    p = located(got, pkg, "figures", fig["figure_id"], "C600")
    assert p.field == "notes"
    assert essence(got) == essence(want)


# ---------------------------------------------------------------- Parquet cells no CSV could spell


def _set_cells(pkg: Path, table: str, column: str, rows: list[int], value: Any) -> list[str]:
    """Put ``value`` in ``column`` at ``rows`` of the Parquet only (the CSV keeps the real ones); the ids of those rows."""
    path = pkg / f"{table}.parquet"
    t = pq.read_table(path)
    values = t[column].to_pylist() if not pa.types.is_date32(t[column].type) else t[column].cast(pa.int32()).to_pylist()
    for r in rows:
        values[r] = value
    kind = pa.int32() if pa.types.is_date32(t[column].type) else t[column].type
    cells = pa.array(values, kind).cast(t[column].type)
    i = t.schema.get_field_index(column)
    pq.write_table(t.set_column(i, pa.field(column, t[column].type), cells), path)
    refresh_descriptor(pkg)
    return [str(x) for x in t.take(rows)["figure_id"].to_pylist()]


def _at_rows(problems: list[Any], pkg: Path, ids: list[str], code: str, field: str) -> None:
    lines = {csv_line_of(pkg / "figures.csv", "figure_id", i) for i in ids}
    assert {p.line for p in problems if p.code == code and p.field == field} == lines, problems


@pytest.mark.parametrize(
    ("forged", "said"),
    [
        (lambda t: t.drop(["unit"]).append_column("remark", t["figure_id"]),
         "the Parquet file's columns differ from the schema: missing columns unit; unknown columns remark"),
        (lambda t: None, "cannot read the Parquet file (Parquet magic bytes not found"),
    ],
    ids=["other-columns", "not-parquet"],
)
def test_a_parquet_twin_that_is_not_the_tables_is_named(pkg: Path, forged: Any, said: str) -> None:
    """Its hash recomputed, so only reading it can tell: columns other than the schema's (selecting them was a
    KeyError), or no Parquet at all (the only problem reported: without it, the package was valid)."""
    path = pkg / "figures.parquet"
    table = forged(pq.read_table(path))
    if table is None:
        path.write_bytes(b"figure_id\nfig-x\n")
    else:
        pq.write_table(table, path)
    refresh_descriptor(pkg)
    problems = validate_package(pkg)
    assert [p.message[: len(said)] for p in problems if p.path == f"{pkg}/figures.parquet"] == [said], problems


@pytest.mark.parametrize("column", ["figure_id", "attribution", "metric"])
def test_a_parquet_null_where_the_schema_allows_none_is_a_missing_value(pkg: Path, column: str) -> None:
    ids = _set_cells(pkg, "figures", column, [0, 5], None)
    problems = validate_package(pkg)  # raised ValueError: Casting field ... with null values to non-nullable
    _at_rows(problems, pkg, ids, "M201", column)
    assert {p.code for p in problems} <= {"M201", "P803"}, problems  # the CSV still holds the values


def test_a_null_item_in_a_parquet_list_is_not_a_list_of_strings(pkg: Path) -> None:
    t = pq.read_table(pkg / "figures.parquet")
    ids = _set_cells(pkg, "figures", "attribution", [1], [None, *t["attribution"][1].as_py()])
    problems = validate_package(pkg)  # raised ValueError deriving the claims (a null originator)
    _at_rows(problems, pkg, ids, "M202", "attribution")
    assert [p.code for p in problems] == ["M202"], problems


@pytest.mark.parametrize("day", [2**31 - 1, -(2**31)])
def test_a_parquet_date_no_calendar_holds_is_not_a_real_date(pkg: Path, tmp_path: Path, day: int) -> None:
    rows = [i for i, d in enumerate(pq.read_table(pkg / "figures.parquet")["date_start"].to_pylist()) if d is not None][:2]
    ids = _set_cells(pkg, "figures", "date_start", rows, day)
    problems = validate_package(pkg)  # raised OverflowError comparing the CSV with the Parquet
    _at_rows(problems, pkg, ids, "M221", "date_start")
    assert [p.code for p in problems] == ["M221", "M221"], problems  # neither the CSV's real date nor the claims it changes again
    assert f"day {day:,}" in problems[0].message
    other = tmp_path / pkg.name
    shutil.copytree(pkg, other)
    with pytest.raises(IntegrityError, match="not a real date"):  # nkdata diff: raised OverflowError
        diff(other, pkg, root=tmp_path)


def test_a_release_validated_from_inside_or_renamed_is_the_same_release(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``cd nkdata-0.3.0 && nkdata validate .`` (the folder's name is then empty) and a release unpacked
    into a folder of one's own are valid."""
    mine = Path(shutil.copytree(built, tmp_path / "my-data"))
    assert validate_package(mine) == []
    monkeypatch.chdir(mine)
    assert validate_package(Path(".")) == [] and validate_package(Path(DESCRIPTOR)) == []


@pytest.mark.parametrize("recorded", [False, True], ids=["size-differs", "size-recorded-too"])
def test_a_text_grown_to_gigabytes_is_refused_unread(pkg: Path, recorded: bool) -> None:
    """A sparse 3 GB archived text: P801 from its size alone. It was read whole (to check its evidence
    all the same, or to hash it when datapackage.json recorded the size too): a MemoryError traceback."""
    text = next(p for p in sorted((pkg / "seeds").iterdir()) if p.suffix == ".txt")
    rel = f"seeds/{text.name}"
    with open(text, "r+b") as fh:
        fh.truncate(3 * 1024**3)
    if recorded:
        _edit_descriptor(pkg, lambda d: next(r for r in d["resources"] if r.get("path") == rel).__setitem__("bytes", 3 * 1024**3))
    problems = [p for p in validate_package(pkg) if p.path.endswith(rel)]
    assert [p.code for p in problems] == ["P801"], problems
    assert ("such a file of a release may hold" if recorded else "datapackage.json says") in problems[0].message
