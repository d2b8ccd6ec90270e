"""Validating a built package (``nkdata validate PKG``): clean packages pass, and every rule
fires on a corrupted copy with the code and message of the curated path, at TABLE.csv:LINE.

Corruptions are made the way a hand edit would be: rows are read back from the package,
one value is changed, and the CSV and Parquet are written again with nkdata's own writers,
with datapackage.json updated, so that only the intended rule is broken. The same edit is
made to the curated YAML of the project the package was built from, and both paths must
report the same problem.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO, run_cli, run_cli_subprocess

from nkdata.checks.package import validate_any, validate_package
from nkdata.checks.validation import validate
from nkdata.release.descriptor import file_entries, table_resources
from nkdata.release.writer import write_csv

sys.path.insert(0, str(REPO / "benchmarks"))
import synth  # noqa: E402
from package_helpers import Rows, both, csv_line_of, essence, located, pick, refresh_descriptor, rewrite, row_index, rows_of

# ---------------------------------------------------------------- clean packages


def test_real_release_is_valid_as_a_package(real_release: Path) -> None:
    assert validate_package(real_release / "datapackage.json") == []
    assert validate_package(real_release) == []
    assert validate_package(real_release.parent / f"{real_release.name}.zip") == []


def test_synthetic_packages_are_valid(synth_release: Path, tmp_path: Path) -> None:
    assert validate_package(synth_release) == []
    written = synth.write_package(tmp_path, 250, seed=3)
    assert validate_package(written / "datapackage.json") == []


def test_cli_validates_a_package_and_a_project(real_release: Path, synth_project: Path) -> None:
    for target in (real_release / "datapackage.json", real_release, real_release.parent / f"{real_release.name}.zip", synth_project):
        result = run_cli("validate", str(target))
        assert result.exit_code == 0, result.output
        assert "valid: no problems found." in result.stdout


def test_validating_prints_nothing_itself(real_release: Path, capsys: pytest.CaptureFixture[str]) -> None:
    validate_package(real_release)
    assert capsys.readouterr() == ("", "")


# ---------------------------------------------------------------- the same rule, both paths


def test_bad_enum(pkg: Path, proj: Path) -> None:
    fig = pick(pkg, "figures", lambda r: True)
    got, want = both(pkg, proj, "figures", fig["figure_id"], lambda r: r.update(metric="troops_sent"))
    p = located(got, pkg, "figures", fig["figure_id"], "M203")
    assert p.message == "'troops_sent' is not a term of the metric vocabulary"
    assert essence(got) == essence(want)


def test_bad_pattern(pkg: Path, proj: Path) -> None:
    fig = pick(pkg, "figures", lambda r: r["location_id"] is not None)
    got, want = both(pkg, proj, "figures", fig["figure_id"], lambda r: r.update(location_id="Kursk"))
    p = located(got, pkg, "figures", fig["figure_id"], "M204")
    assert (p.field, p.message) == ("location_id", "'Kursk' is not a valid id")
    assert essence(got) == essence(want)


def test_bad_pattern_in_a_list_item(pkg: Path, proj: Path) -> None:
    fig = pick(pkg, "figures", lambda r: len(r["attribution"]) == 2)
    got, want = both(pkg, proj, "figures", fig["figure_id"], lambda r: r.update(attribution=[r["attribution"][0], "NIS"]))
    p = located(got, pkg, "figures", fig["figure_id"], "M204")
    assert (p.field, p.message) == ("attribution", "'NIS' is not a valid id")
    assert essence(got) == essence(want)


def test_dangling_reference_in_attribution(pkg: Path, proj: Path) -> None:
    fig = pick(pkg, "figures", lambda r: len(r["attribution"]) == 2)
    got, want = both(pkg, proj, "figures", fig["figure_id"], lambda r: r.update(attribution=[r["attribution"][0], "ent-nobody-at-all"]))
    p = located(got, pkg, "figures", fig["figure_id"], "I301")
    assert (p.field, p.message) == ("attribution", "'ent-nobody-at-all' is not a known entity id")
    assert essence(got) == essence(want)


def test_dangling_scalar_reference_and_wrong_kind(pkg: Path, proj: Path) -> None:
    fig = pick(pkg, "figures", lambda r: r["location_id"] is not None)
    got, want = both(pkg, proj, "figures", fig["figure_id"], lambda r: r.update(location_id="ent-nis"))
    p = located(got, pkg, "figures", fig["figure_id"], "I302")
    assert p.message == "'ent-nis' is a government_agency, but location_id takes place or country"
    assert essence(got) == essence(want)


def test_qualifier_and_bounds(pkg: Path, proj: Path) -> None:
    fig = pick(pkg, "figures", lambda r: r["qualifier"] == "exact" and r["date_start"] is None)
    got, want = both(pkg, proj, "figures", fig["figure_id"], lambda r: r.update(value_low=r["value"] + 1))
    p = located(got, pkg, "figures", fig["figure_id"], "M210")
    assert (p.field, p.message) == ("value_low", f"qualifier 'exact' sets value_low to the stated number {fig['value']:g}")
    assert essence(got) == essence(want)


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan")], ids=["inf", "-inf", "nan"])
def test_a_number_that_is_not_finite(pkg: Path, proj: Path, bad: float) -> None:
    """YAML's .inf and .nan are numbers to a YAML parser, never a figure a text states: both paths refuse them."""
    fig = pick(pkg, "figures", lambda r: r["qualifier"] == "approximately" and r["value_high"] is None and r["date_start"] is None)
    got, want = both(pkg, proj, "figures", fig["figure_id"], lambda r: r.update(value_low=bad))
    p = located(got, pkg, "figures", fig["figure_id"], "M202")
    assert (p.field, p.message, p.hint) == ("value_low", f"{bad!r} is not a finite number", "write the number the text states, in digits")
    assert essence(got) == essence(want)


def test_range_without_a_bound(pkg: Path, proj: Path) -> None:
    fig = pick(pkg, "figures", lambda r: r["qualifier"] == "range" and r["date_start"] is None)
    got, want = both(pkg, proj, "figures", fig["figure_id"], lambda r: r.update(value_high=None))
    p = located(got, pkg, "figures", fig["figure_id"], "M210")
    assert (p.field, p.message) == ("value_high", "a range needs both value_low and value_high")
    assert essence(got) == essence(want)


def test_reversed_dates(pkg: Path, proj: Path) -> None:
    ev = pick(pkg, "events", lambda r: r["date_precision"] == "day")
    later = ev["date_start"] + dt.timedelta(days=3)
    got, want = both(pkg, proj, "events", ev["event_id"], lambda r: r.update(date_start=later))
    p = located(got, pkg, "events", ev["event_id"], "M220")
    assert (p.field, p.message) == ("date_end", f"date_end {ev['date_end']} is before date_start {later}")
    assert essence(got) == essence(want)


def test_precision_month(pkg: Path, proj: Path) -> None:
    fig = pick(pkg, "figures", lambda r: r["date_precision"] == "month")
    got, want = both(pkg, proj, "figures", fig["figure_id"], lambda r: r.update(date_end=r["date_end"] - dt.timedelta(days=1)))
    p = located(got, pkg, "figures", fig["figure_id"], "M220")
    assert p.message.startswith("precision 'month' needs the first to the last day of one month")
    assert essence(got) == essence(want)


def test_a_sources_rule(pkg: Path, proj: Path) -> None:
    """The rules of sources (and of entities) run on both paths like those of the record tables."""
    src = pick(pkg, "sources", lambda r: r["published_precision"] == "day")
    later = src["published_start"] + dt.timedelta(days=2)
    got, want = both(pkg, proj, "sources", src["source_id"], lambda r: r.update(published_start=later))
    p = located(got, pkg, "sources", src["source_id"], "M220")
    assert (p.field, p.message) == ("published_end", f"published_end {src['published_end']} is before published_start {later}")
    assert essence(got) == essence(want)


def test_number_not_in_evidence(pkg: Path, proj: Path) -> None:
    fig = pick(pkg, "figures", lambda r: r["qualifier"] == "exact" and r["unit"] == "persons")
    got, want = both(pkg, proj, "figures", fig["figure_id"], lambda r: r.update(value=987654.0, value_low=987654.0, value_high=987654.0))
    p = located(got, pkg, "figures", fig["figure_id"], "V402")
    assert {(q.field, q.message) for q in got if q.code == "V402"} == {
        (f, f"{f} 987,654 does not occur in the evidence") for f in ("value", "value_low", "value_high")
    }
    assert p.hint
    assert essence(got) == essence(want)


def test_value_text_not_in_evidence(pkg: Path, proj: Path) -> None:
    fig = pick(pkg, "figures", lambda r: True)
    got, want = both(pkg, proj, "figures", fig["figure_id"], lambda r: r.update(value_text="a great many"))
    located(got, pkg, "figures", fig["figure_id"], "V404")
    assert essence(got) == essence(want)


def test_duplicate_id(pkg: Path, proj: Path) -> None:
    fig = pick(pkg, "figures", lambda r: True)

    def twice(rows: Rows) -> Rows:
        i = row_index(rows, "figure_id", fig["figure_id"])
        return rows[: i + 1] + [dict(rows[i])] + rows[i + 1 :]

    rewrite(pkg, "figures", twice)
    got = validate_package(pkg)
    dups = [p for p in got if p.code == "I300"]
    first = csv_line_of(pkg / "figures.csv", "figure_id", fig["figure_id"])
    assert [(p.record_id, p.field, p.line, p.message) for p in dups] == [
        (fig["figure_id"], "figure_id", first + 1, f"id {fig['figure_id']!r} is already used at {pkg}/figures.csv:{first}")
    ]
    # the curated path says the same of a record written twice
    path = next((proj / "data" / "sources").glob("*.yaml"))
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    doc["figures"].append(dict(doc["figures"][0]))
    path.write_text(yaml.dump(doc, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, default_flow_style=None), encoding="utf-8")
    curated = [p for p in validate(proj) if p.code == "I300"]
    assert [(p.record_id, p.field) for p in curated] == [(doc["figures"][0]["figure_id"], "figure_id")]
    assert curated[0].message.startswith(f"id {doc['figures'][0]['figure_id']!r} is already used at data/sources/")


def test_evidence_offsets(pkg: Path) -> None:
    fig = pick(pkg, "figures", lambda r: True)
    rewrite(pkg, "figures", lambda rows: rows[row_index(rows, "figure_id", fig["figure_id"])].update(evidence_start=fig["evidence_start"] + 1))
    got = validate_package(pkg)
    p = located(got, pkg, "figures", fig["figure_id"], "V400")
    assert p.field == "evidence_start"
    assert p.message.endswith(f"but at {fig['evidence_start']}..{fig['evidence_end']}")


def test_evidence_not_in_the_text(pkg: Path) -> None:
    st_ = pick(pkg, "statements", lambda r: r["kind"] == "reported")
    rewrite(
        pkg,
        "statements",
        lambda rows: rows[row_index(rows, "statement_id", st_["statement_id"])].update(
            evidence="Words that the source never printed.", text="Words that the source never printed."
        ),
    )
    p = located(validate_package(pkg), pkg, "statements", st_["statement_id"], "V400")
    assert p.message == f"evidence not found in {st_['source_id']}'s text: 'Words that the source never printed.'"


def test_hash_mismatch_and_missing_file(pkg: Path) -> None:
    data = (pkg / "figures.csv").read_bytes()
    (pkg / "figures.csv").write_bytes(data[:-1] + b"\r\n")  # a byte more, the same rows (an empty line would be a row)
    (pkg / "events.parquet").unlink()
    got = validate_package(pkg)
    p801 = [p for p in got if p.code == "P801"]
    assert [p.path for p in p801] == [f"{pkg}/figures.csv"]
    assert "datapackage.json says" in p801[0].message
    p800 = [p for p in got if p.code == "P800"]
    assert [p.path for p in p800] == [f"{pkg}/events.parquet"]
    assert p800[0].message == "events.parquet is listed in datapackage.json but missing"
    # without its Parquet twin, the events CSV is still checked on its own: nothing else is wrong
    assert {p.code for p in got} == {"P800", "P801"}


def test_hash_mismatch_of_a_text(pkg: Path) -> None:
    text = sorted((pkg / "seeds").glob("*.txt"))[0]
    text.write_text(text.read_text(encoding="utf-8") + "x", encoding="utf-8")
    codes = {(p.code, p.path.rsplit("/", 1)[-1]) for p in validate_package(pkg)}
    assert ("P801", text.name) in codes
    assert ("T501", "sources.csv") in codes


def test_csv_and_parquet_must_agree(pkg: Path) -> None:
    fig = pick(pkg, "figures", lambda r: True)
    rows = rows_of(pkg, "figures")
    rows[row_index(rows, "figure_id", fig["figure_id"])]["notes"] = "changed in the CSV only"
    write_csv(pkg / "figures.csv", "figures", rows)
    refresh_descriptor(pkg)
    got = validate_package(pkg)
    p = located(got, pkg, "figures", fig["figure_id"], "P803")
    assert p.field == "notes"
    assert {q.code for q in got} == {"P803"}


def test_a_date_that_differs_in_the_csv_is_shown_as_a_date(pkg: Path) -> None:
    """The message quotes both cells as the CSV writes them, not as Python's datetime.date(2025, 3, 1)."""
    fig = pick(pkg, "figures", lambda r: r["date_start"] is not None and r["date_precision"] == "day")
    rows = rows_of(pkg, "figures")
    earlier = fig["date_start"] - dt.timedelta(days=1)
    rows[row_index(rows, "figure_id", fig["figure_id"])]["date_start"] = earlier
    write_csv(pkg / "figures.csv", "figures", rows)
    refresh_descriptor(pkg)
    p = located(validate_package(pkg), pkg, "figures", fig["figure_id"], "P803")
    assert (p.field, p.message) == ("date_start", f"the CSV says {earlier.isoformat()} but {pkg}/figures.parquet says {fig['date_start'].isoformat()}")


def test_list_cells_that_differ_in_the_csv_are_located(pkg: Path) -> None:
    """A list cell left empty, or holding another list, in the CSV only: P803 on each row (an empty one raised
    a TypeError; another list was reported as an unreadable CSV, Arrow having no kernel to compare lists)."""
    rows = rows_of(pkg, "figures")
    emptied, changed = rows[0]["figure_id"], rows[1]["figure_id"]
    rows[0]["attribution"] = None
    rows[1]["attribution"] = [*rows[1]["attribution"], "ent-someone-else"]
    write_csv(pkg / "figures.csv", "figures", rows)
    refresh_descriptor(pkg)
    got = validate_package(pkg)
    for fid in (emptied, changed):
        assert located(got, pkg, "figures", fid, "P803").field == "attribution"
    assert [q.code for q in got] == ["P803", "P803"]


def test_bad_cell_in_the_csv(pkg: Path) -> None:
    fig = pick(pkg, "figures", lambda r: r["date_start"] is not None)
    text = (pkg / "figures.csv").read_text(encoding="utf-8")
    bad = text.replace(f",{fig['date_start']},", ",2025-02-30,", 1)
    assert bad != text
    (pkg / "figures.csv").write_text(bad, encoding="utf-8")
    refresh_descriptor(pkg)
    got = validate_package(pkg)
    m221 = [p for p in got if p.code == "M221"]
    assert m221 and m221[0].message == "'2025-02-30' is not a real date (day value is outside expected range)"
    assert m221[0].path.endswith("figures.csv") and m221[0].line and m221[0].line > 1


def test_lines_count_line_breaks_inside_cells(pkg: Path) -> None:
    """Rows after a cell with a line break start further down the file than their row number."""
    rows = rows_of(pkg, "events")
    broken = [i for i, r in enumerate(rows) if "\n" in r["evidence"]]
    assert broken, "the synthetic data has evidence across a paragraph break"
    target = rows[broken[0] + 1] if broken[0] + 1 < len(rows) else rows[broken[0]]
    rewrite(pkg, "events", lambda rs: rs[row_index(rs, "event_id", target["event_id"])].update(event_type="parade"))
    p = located(validate_package(pkg), pkg, "events", target["event_id"], "M203")
    assert p.line > row_index(rows, "event_id", target["event_id"]) + 2


def test_descriptor_problems(pkg: Path, tmp_path: Path) -> None:
    (pkg / "datapackage.json").write_text("{not json", encoding="utf-8")
    got = validate_package(pkg)
    assert [p.code for p in got] == ["P802"]
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "datapackage.json").write_text(json.dumps({"resources": [{"name": "figures"}]}), encoding="utf-8")
    got = validate_package(empty)
    assert {p.code for p in got} == {"P802"}


def test_a_broken_zip(tmp_path: Path) -> None:
    bad = tmp_path / "release.zip"
    bad.write_bytes(b"PK not really")
    assert [p.code for p in validate_package(bad)] == ["P802"]


def test_cli_exit_codes_and_no_traceback(pkg: Path, tmp_path: Path) -> None:
    rewrite(pkg, "figures", lambda rows: rows[0].update(metric="troops_sent"))
    result = run_cli("validate", str(pkg / "datapackage.json"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{pkg}/figures.csv:2: M203 " in result.stdout
    assert "1 problem found." in result.stderr
    as_json = json.loads(run_cli("validate", str(pkg), "--format", "json").stdout)
    assert as_json["count"] == 1 and as_json["problems"][0]["line"] == 2
    missing = run_cli("validate", str(tmp_path / "nowhere.zip"))
    assert missing.exit_code == 2


def test_dispatch(real_release: Path, synth_project: Path) -> None:
    assert validate_any(synth_project) == []
    assert validate_any(real_release / "datapackage.json") == []


def test_progress_is_reported(real_release: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    problems = validate_package(real_release, progress=lambda label, done, total: calls.append((label, done, total)))
    assert problems == []
    assert calls and calls[-1][1] == calls[-1][2]
    assert all(0 < done <= total for _, done, total in calls)


# ---------------------------------------------------------------- derived data (P804)


def test_an_edited_claims_table_is_reported(pkg: Path) -> None:
    """The claims table is recomputed from the figures: a cell that differs is P804 at its line."""
    claim = pick(pkg, "claims", lambda r: r["best"] is not None)
    rewrite(pkg, "claims", lambda rows: rows[row_index(rows, "claim_id", claim["claim_id"])].update(best=claim["best"] + 1), derive=False)
    got = validate_package(pkg)
    assert [(p.code, p.record_id, p.field) for p in got] == [("P804", claim["claim_id"], "best")]
    assert got[0].line == csv_line_of(pkg / "claims.csv", "claim_id", claim["claim_id"])
    assert got[0].message == f"best is {claim['best'] + 1!r} but its figures make {claim['best']!r}"


def test_a_missing_claim_is_reported(pkg: Path) -> None:
    claim = pick(pkg, "claims", lambda r: True)
    rewrite(pkg, "claims", lambda rows: [r for r in rows if r["claim_id"] != claim["claim_id"]], derive=False)
    got = validate_package(pkg)
    assert [(p.code, p.record_id, p.path.rsplit("/", 1)[-1]) for p in got] == [("P804", claim["claim_id"], "claims.csv")]
    assert "is missing" in got[0].message


def test_an_originator_that_is_not_attribution_0_is_reported(pkg: Path) -> None:
    fig = pick(pkg, "figures", lambda r: len(r["attribution"]) > 1)
    rewrite(pkg, "figures", lambda rows: rows[row_index(rows, "figure_id", fig["figure_id"])].update(originator=fig["attribution"][1]), derive=False)
    got = validate_package(pkg)
    assert [(p.code, p.record_id, p.field) for p in got] == [("P804", fig["figure_id"], "originator")]
    assert got[0].line == csv_line_of(pkg / "figures.csv", "figure_id", fig["figure_id"])


# ---------------------------------------------------------------- malformed CSV headers


def _header(kind: str, names: list[str]) -> list[str]:
    if kind == "renamed":
        return [n if n != "metric" else "metrics" for n in names]
    if kind == "missing":
        return [n for n in names if n != "unit"]
    if kind == "extra":
        return [*names, "comment"]
    if kind == "duplicated":
        return [*names, "metric"]
    return []  # empty


@pytest.mark.parametrize("parquet", [True, False], ids=["with-parquet", "csv-only"])
@pytest.mark.parametrize("kind", ["renamed", "missing", "extra", "duplicated", "empty"])
def test_a_malformed_header_is_a_problem_not_a_traceback(pkg: Path, kind: str, parquet: bool) -> None:
    """A hand-edited figures.csv header: exit 1 and a problem naming figures.csv, never a traceback."""
    path = pkg / "figures.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    header = next(csv.reader([lines[0]]))
    new = _header(kind, header)
    buf = io.StringIO()
    if new:
        csv.writer(buf, lineterminator="").writerow(new)
    path.write_text("\n".join([buf.getvalue(), *lines[1:]]), encoding="utf-8")
    if not parquet:
        (pkg / "figures.parquet").unlink()
    refresh_descriptor_where_present(pkg)
    result = run_cli("validate", str(pkg))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    problems = validate_package(pkg)
    assert any(p.path == f"{pkg}/figures.csv" for p in problems), problems


@pytest.mark.parametrize("replaces", [None, "unit"], ids=["added", "in-place-of-unit"])
def test_a_column_named_twice_in_the_header_is_reported_as_such(pkg: Path, replaces: str | None) -> None:
    """Not as "another order" (the names are all there), nor silently behind the column it displaced."""
    path = pkg / "figures.csv"
    lines = path.read_text(encoding="utf-8").split("\n")
    names = next(csv.reader([lines[0]]))
    header = [*names, "metric"] if replaces is None else ["metric" if n == replaces else n for n in names]
    path.write_text("\n".join([",".join(header), *lines[1:]]), encoding="utf-8")
    refresh_descriptor_where_present(pkg)
    got = [(p.code, p.field, p.line, p.message) for p in validate_package(pkg) if p.path == f"{pkg}/figures.csv"]
    at = ", ".join(str(i) for i, n in enumerate(header, 1) if n == "metric")
    twice = ("P803", "metric", 1, f"the CSV's header names the column 'metric' more than once (columns {at})")
    assert twice in got
    assert not any("another order" in message for *_, message in got), got
    assert [code for code, field, *_ in got if field == "unit"] == ([] if replaces is None else ["M201"])


def refresh_descriptor_where_present(folder: Path) -> None:
    """:func:`refresh_descriptor` for the files that are still there (a deleted one stays listed: P800)."""
    path = folder / "datapackage.json"
    desc = json.loads(path.read_text(encoding="utf-8"))
    for e in [e for r in table_resources(desc) for e in (r, r["nkdata:parquet"])] + file_entries(desc):
        if (folder / e["path"]).is_file():
            data = (folder / e["path"]).read_bytes()
            e["hash"], e["bytes"] = "sha256:" + hashlib.sha256(data).hexdigest(), len(data)
    path.write_text(json.dumps(desc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@pytest.mark.slow  # starts the CLI in a new process
def test_a_renamed_header_column_in_a_subprocess(pkg: Path) -> None:
    """The reported bug, end to end: one header column renamed, `nkdata validate FOLDER`."""
    path = pkg / "figures.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(",metric,", ",metrics,", 1), encoding="utf-8")
    result = run_cli_subprocess("validate", str(pkg))
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert f"{pkg}/figures.csv:1: M200 " in result.stdout


def test_star_import_of_every_checks_module() -> None:
    import importlib

    for name in ("package", "package_files", "package_tables", "columns", "evidence", "ids", "formulas", "texts", "derived", "fields", "records"):
        module = importlib.import_module(f"nkdata.checks.{name}")
        namespace: dict[str, Any] = {}
        exec(f"from nkdata.checks.{name} import *", namespace)  # noqa: S102 - the reported bug: __all__ naming a missing name
        for exported in getattr(module, "__all__", []):
            assert exported in namespace, (name, exported)


def test_a_row_longer_than_a_csv_block_is_read_and_compared(pkg: Path) -> None:
    """The CSV is parsed in small blocks first; a longer row makes it read again in larger ones, nothing lost."""
    from nkdata.checks.package_tables import CSV_BLOCK_FAST

    rows = rows_of(pkg, "figures")
    long_note, later = "x" * (CSV_BLOCK_FAST + 1000), rows[-1]["figure_id"]
    rewrite(pkg, "figures", lambda rs: rs[0].update(notes=long_note))
    assert validate_package(pkg) == []
    text = (pkg / "figures.csv").read_text(encoding="utf-8")
    (pkg / "figures.csv").write_text(text.replace(later, later + "x", 1) if text.count(later) == 1 else text, encoding="utf-8")
    refresh_descriptor(pkg)
    got = [p for p in validate_package(pkg) if p.code == "P803"]
    limit = csv.field_size_limit(1 << 24)  # the test's own reader must hold the long cell too
    try:
        assert len(got) == 1 and got[0].field == "figure_id" and got[0].line == csv_line_of(pkg / "figures.csv", "figure_id", later + "x")
    finally:
        csv.field_size_limit(limit)


def test_lines_stay_right_after_columns_are_let_go(pkg: Path) -> None:
    """P804 on a figure is reported after the columns no later check needs are dropped; line breaks in them still count."""
    rows = rows_of(pkg, "figures")
    target = rows[5]["figure_id"]

    def edit(rs: Rows) -> None:
        rs[1]["notes"] = "a note\nover two lines"  # notes are let go before the claims are checked
        rs[row_index(rs, "figure_id", target)]["originator"] = "ent-somebody-else"

    rewrite(pkg, "figures", edit, derive=False)
    located(validate_package(pkg), pkg, "figures", target, "P804")
