"""Mistakes around archived texts and the files that cite them: each fails with exit 1,
names the file (and line, record, field where there is one), prints no traceback and
writes nothing. F702 (orphan text) and T504 (huge text) are the checks added here."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import ENTITIES, SEED_000, SEED_001, SRC_000, SRC_001, Project, run_cli

from nkdata.checks.texts import MAX_TEXT_BYTES
from nkdata.curated.yamlsafe import MAX_BYTES


def fails(project: Project, *needles: str) -> str:
    """``nkdata validate`` (in-process; the real-process runs are in test_bad_contributions and test_real_data)."""
    before = project.snapshot()
    out = run_cli("validate", str(project.root))
    assert out.exit_code == 1, out.output
    assert "Traceback" not in out.output
    for needle in needles:
        assert needle in out.stdout, out.stdout
    assert project.snapshot() == before
    return out.stdout


def test_orphan_text_is_reported(project: Project) -> None:
    project.write("seeds/002_forgotten.txt", "A text with no source file.\n")
    (problem,) = project.validate()
    assert (problem.code, problem.path, problem.line) == ("F702", "seeds/002_forgotten.txt", None)
    assert "nkdata new-source seeds/002_forgotten.txt" in problem.hint
    fails(project, "seeds/002_forgotten.txt: F702")


def test_hidden_files_in_seeds_are_not_texts(project: Project) -> None:
    project.write("seeds/.gitkeep", "")
    assert project.validate() == []


def test_orphan_check_waits_for_a_broken_source_file(project: Project) -> None:
    """A source file that cannot be read hides its text_path: report the file, not a false orphan."""
    project.replace(SRC_000, "source:\n", "source: [\n")
    codes = {p.code for p in project.validate()}
    assert "F702" not in codes and "Y100" in codes


def test_deleted_text_names_the_source_file_line_record_and_field(project: Project) -> None:
    project.path(SEED_001).unlink()
    line = project.line_of(SRC_001, "text_path:")
    (problem,) = project.validate()
    assert (problem.code, problem.path, problem.line, problem.record_id, problem.field) == (
        "T500", SRC_001, line, "src-nk-casualties-exceed-4000", "text_path"
    )
    fails(project, f"{SRC_001}:{line}:", "T500 src-nk-casualties-exceed-4000 text_path")


def test_huge_text_is_refused_without_reading_it(project: Project) -> None:
    path = project.path(SEED_000)
    with open(path, "r+b") as fh:
        fh.truncate(MAX_TEXT_BYTES + 1)  # sparse: costs no disk, and the check must not read it
    problems = project.validate()
    assert [(p.code, p.path, p.field) for p in problems] == [("T504", SRC_000, "text_path")]
    fails(project, "T504", f"{MAX_TEXT_BYTES + 1:,} bytes")


def test_huge_yaml_is_refused(project: Project) -> None:
    path = project.path("data/sources/002_huge.yaml")
    with open(path, "wb") as fh:
        fh.truncate(MAX_BYTES + 1)
    fails(project, "data/sources/002_huge.yaml: Y103")


@pytest.mark.parametrize(
    ("rel", "old", "new", "field"),
    [
        (ENTITIES, "aliases: [Daily NK]", 'aliases: ["=HYPERLINK(\\"http://x\\")"]', "aliases"),
        (SRC_001, "    notes: >-\n      Killed and wounded together", "    notes: >-\n      @SUM(A1) Killed and wounded together", "notes"),
    ],
)
def test_formula_like_cells(project: Project, rel: str, old: str, new: str, field: str) -> None:
    project.replace(rel, old, new)
    value_line = project.line_of(rel, "HYPERLINK" if field == "aliases" else "@SUM(A1)")
    out = fails(project, "C600")
    lines = [line for line in out.splitlines() if "C600" in line]
    assert len(lines) == 1 and f" {field}:" in lines[0], out
    assert lines[0].startswith((f"{rel}:{value_line}:", f"{rel}:{value_line - 1}:")), out  # a folded value's key is a line above


def test_records_whose_source_text_changed_bytes(project: Project) -> None:
    raw = project.path(SEED_001).read_bytes()
    project.path(SEED_001).write_bytes(raw.replace(b"\n", b"\r\n"))  # re-encoded line endings
    fails(project, f"{SRC_001}:", "T501 src-nk-casualties-exceed-4000 text_sha256")


def test_a_text_symlinked_out_of_seeds(project: Project, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_bytes(project.path(SEED_001).read_bytes())
    project.path(SEED_001).unlink()
    os.symlink(outside, project.path(SEED_001))
    fails(project, "T503")


def test_a_source_file_the_reader_would_skip(project: Project) -> None:
    """A misnamed source file would silently drop its records: report the file, and its text as orphan."""
    project.path(SRC_000).rename(project.path("data/sources/000_d85847d8cad8ebc4.YAML"))
    problems = {(p.code, p.path) for p in project.validate()}
    assert problems == {("F703", "data/sources/000_d85847d8cad8ebc4.YAML"), ("F702", SEED_000)}
    fails(project, "data/sources/000_d85847d8cad8ebc4.YAML: F703", "rename it to data/sources/000_d85847d8cad8ebc4.yaml")
