"""Hostile curated input (issue 10 items 1, 3 and 4): YAML bombs and tags, formulas typed in a
record, symlinks out of the tree or to devices, huge integers, a bad data/package.yaml, ids that
try to forge output lines and odd file names given to ``nkdata new-source``.

Each attack runs ``nkdata`` in a child process with a memory cap and a timeout
(tests/hostile_helpers.py, which also holds the shared fixtures), and checks the promise of
docs/security.md: the command ends within its limit, exit 1 for bad input (2 for usage), no
traceback, a message naming the file, nothing read from outside the tree, nothing left behind.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from conftest import ENTITIES, SRC_001, Project, run_cli
from hostile_helpers import (
    SECRET,
    SEED,
    SOURCE,
    assert_clean_exit,
    cli,
    edit,
    leftovers,
    outside_secret,
)

from nkdata.curated.reader import read_project
from nkdata.problems import Problem

# ============================================================ regression guards


def test_alias_bomb_is_refused(project_dir: Path, env: dict[str, str]) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"] + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    (project_dir / "data/sources/bomb.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = cli("validate", project_dir, env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    assert "data/sources/bomb.yaml" in r.out and "Y102" in r.out, r


def test_python_tag_is_refused(project_dir: Path, env: dict[str, str]) -> None:
    (project_dir / "data/sources/tag.yaml").write_text("source: !!python/object/apply:os.system ['echo PWNED']\n", encoding="utf-8")
    r = cli("validate", project_dir, env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    assert re.search(r"data/sources/tag\.yaml:1:\d+: Y101", r.out) and "PWNED" not in r.out.replace("echo PWNED", ""), r


def test_formula_typed_in_curated_yaml_is_refused(project_dir: Path, env: dict[str, str]) -> None:
    edit(project_dir / SOURCE, "notes: >-\n      Carried by", "notes: >-\n      =HYPERLINK(\"http://evil.example\") Carried by")
    r = cli("validate", project_dir, env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    assert re.search(r"kbsworld-188550\.yaml:\d+:\d+: C600", r.out), r


# ============================================================ item 1: symlinks out of the tree


def test_symlink_to_outside_yaml_is_not_read(project_dir: Path, tmp_path: Path, env: dict[str, str]) -> None:
    secret = outside_secret(tmp_path, "secrets.yaml", f"AWS_SECRET_TOKEN_{SECRET}: {SECRET}\n")
    (project_dir / "data/sources/zz.yaml").symlink_to(secret)
    r = cli("validate", project_dir, env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    assert "data/sources/zz.yaml" in r.out, r
    assert SECRET not in r.text, f"a file outside the project_dir was read and shown\n{r}"


@pytest.mark.parametrize("where,device", [("data/sources/zz.yaml", "/dev/zero"), ("data/sources/zz.yaml", "/dev/urandom"), ("data/package.yaml", "/dev/zero")])
def test_symlink_to_device_is_refused(project_dir: Path, env: dict[str, str], device: str, where: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    (project_dir / where).unlink(missing_ok=True)
    (project_dir / where).symlink_to(device)
    r = cli("validate", project_dir, env=env, timeout=6)
    assert_clean_exit(r, 1, timeout=6)
    assert where in r.out, r


def test_symlinked_seed_outside_is_refused(project_dir: Path, tmp_path: Path, env: dict[str, str]) -> None:
    outside = outside_secret(tmp_path, "seed.txt", (project_dir / SEED).read_text(encoding="utf-8"))
    (project_dir / SEED).unlink()
    (project_dir / SEED).symlink_to(outside)
    r = cli("validate", project_dir, env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    assert SEED in r.out, r


# ============================================================ item 3: huge integers


@pytest.mark.parametrize("command", ["validate", "build"])
def test_huge_integer_is_a_problem_not_a_traceback(project_dir: Path, tmp_path: Path, env: dict[str, str], command: str) -> None:
    edit(project_dir / SOURCE, "    value: 1500\n", f"    value: {'1' * 5000}\n")
    extra = ["--out", str(tmp_path / "out"), "-q"] if command == "build" else []
    r = cli(command, project_dir, *extra, env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert re.search(r"kbsworld-188550\.yaml:\d+", r.out), r
    assert not leftovers(tmp_path / "out"), leftovers(tmp_path / "out")


# ============================================================ item 4: data/package.yaml


@pytest.mark.parametrize(
    "old,new",
    [
        ("keywords: [North Korea, Russia, Ukraine, Kursk, casualties, troops, open data]", "keywords: 5"),
        (r"release_date: \S+", "release_date: 2026-13-45"),  # a regex: the day changes with every release
        ("licenses:\n", "licences: oops\nlicenses:\n"),
    ],
    ids=["keywords-int", "impossible-date", "unknown-key"],
)
def test_package_yaml_is_validated(project_dir: Path, env: dict[str, str], old: str, new: str) -> None:
    if old.startswith("release_date"):
        pkg = project_dir / "data/package.yaml"
        pkg.write_text(re.sub(old, new, pkg.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    else:
        edit(project_dir / "data/package.yaml", old, new)
    r = cli("validate", project_dir, env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    assert re.search(r"data/package\.yaml:\d+", r.out), r


def test_build_refuses_bad_package_yaml_cleanly(project_dir: Path, tmp_path: Path, env: dict[str, str]) -> None:
    edit(project_dir / "data/package.yaml", "keywords: [North Korea, Russia, Ukraine, Kursk, casualties, troops, open data]", "keywords: 5")
    r = cli("build", project_dir, "--out", tmp_path / "out", "-q", env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert "data/package.yaml" in r.text and not leftovers(tmp_path / "out"), r


# ============================================================ output and file names


_FORGED_ID = "fig-x\n::error file=README.md,line=1::pwned\nvalid: no problems found.\n\x1b[2J"


@pytest.mark.parametrize("command", ["validate", "build"])
def test_ids_cannot_forge_output_lines(project_dir: Path, tmp_path: Path, env: dict[str, str], command: str) -> None:
    edit(project_dir / SOURCE, "  - figure_id: fig-nis-troops-deployed-1500-kbsworld-188550", "  - figure_id: " + json.dumps(_FORGED_ID))
    extra = ["--out", str(tmp_path / "out"), "-q"] if command == "build" else []
    r = cli(command, project_dir, *extra, env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    lines = r.text.splitlines()
    assert not any(line.startswith("::") for line in lines), r
    assert "valid: no problems found." not in lines and "\x1b" not in r.text, r


@pytest.mark.parametrize(
    "name,extra",
    [("-rf.txt", []), ("--help.txt", []), ("..txt", ["--id", "src-dots"]), ("good.txt", ["--id", "src-good\n"])],
    ids=["dash-rf", "dash-help", "dotdot", "id-newline"],
)
def test_new_source_refuses_odd_names(project_dir: Path, tmp_path: Path, env: dict[str, str], name: str, extra: list[str]) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / name).write_text("North Korea sent 100 troops.\n", encoding="utf-8")
    before = sorted(os.listdir(project_dir / "seeds")), sorted(os.listdir(project_dir / "data/sources"))
    r = cli("new-source", *extra, "--", name, project_dir, env=env, timeout=30, cwd=work)
    assert_clean_exit(r, (1, 2), timeout=30)
    assert (sorted(os.listdir(project_dir / "seeds")), sorted(os.listdir(project_dir / "data/sources"))) == before, "new-source wrote files"


def test_unread_yaml_in_data_is_reported(project_dir: Path, env: dict[str, str]) -> None:
    (project_dir / "data/figures.yaml").write_text("figures:\n  - figure_id: fig-lost\n", encoding="utf-8")
    r = cli("validate", project_dir, env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    assert "data/figures.yaml" in r.out, r


# ============================================================ in-process: located problems, not tracebacks


def _only_problem(project: Project, rel: str) -> Problem:
    problems = project.validate()
    assert len(problems) == 1, [p.format_text() for p in problems]
    assert problems[0].path == rel
    return problems[0]


@pytest.mark.parametrize(
    "old,new,needle",
    [
        ("    value: 4000\n", "    value: !!bool abc\n", "!!bool abc"),  # was a KeyError traceback
        ("    value: 4000\n", "    value: !!null 4000\n", "!!null 4000"),  # was a silent null
        ("    unit: persons\n", "    unit: !!int persons\n", "!!int persons"),  # was silently the text 'persons'
    ],
    ids=["bool", "null", "int"],
)
def test_an_explicit_tag_that_does_not_fit_its_value_is_y101(project: Project, old: str, new: str, needle: str) -> None:
    project.replace(SRC_001, old, new)
    problem = _only_problem(project, SRC_001)
    assert (problem.code, (problem.line, problem.col)) == ("Y101", project.line_col(SRC_001, needle)), problem
    assert "does not fit the value" in problem.message
    res = run_cli("validate", str(project.root))
    assert res.exit_code == 1 and "Y101" in res.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_a_file_name_that_is_not_utf8_is_reported_not_a_traceback(project: Project, fmt: str) -> None:
    """Linux allows any bytes in a name; Python decodes the others as lone surrogates, which a UTF-8
    stdout refused to print (UnicodeEncodeError) once the name was in a problem (F702 here)."""
    try:
        (project.root / "seeds").joinpath(os.fsdecode(b"stray-\xff.txt")).write_bytes(b"text\n")
    except (OSError, UnicodeError):
        pytest.skip("this file system keeps names in UTF-8")
    res = run_cli("validate", str(project.root), "--format", fmt)  # CliRunner's stdout is strict UTF-8, as most terminals
    assert res.exit_code == 1
    assert "F702" in res.stdout and "seeds/stray-\\udcff.txt" in res.stdout, res.stdout
    if fmt == "json":
        assert [p["path"] for p in json.loads(res.stdout)["problems"]] == [os.fsdecode(b"seeds/stray-\xff.txt")]


def test_yes_no_on_off_are_words_not_booleans(project: Project) -> None:
    """YAML 1.1 reads NO (Norway), no (Norwegian) and On as false/true: text fields refused them as
    "Input should be a valid string". They stay the words written; true/false fields still take yes/no."""
    project.replace(ENTITIES, "    kind: country\n    country: RU\n", "    kind: country\n    country: NO\n")
    project.replace(ENTITIES, "    aliases: [Russia]\n", "    aliases: [Russia, On]\n")
    project.replace(SRC_001, "  language: en\n", "  language: no\n")
    project.replace(SRC_001, "  published_inferred: true\n", "  published_inferred: no\n")
    assert project.validate() == []
    cur = read_project(project.root)
    russia = next(loc.record for loc in cur.records["entities"] if loc.record.record_id == "ent-russia")
    source = next(loc.record for loc in cur.records["sources"] if loc.doc.path == SRC_001)
    assert (russia.country, russia.aliases, source.language, source.published_inferred) == ("NO", ["Russia", "On"], "no", False)  # type: ignore[attr-defined]


def test_a_number_in_a_text_field_is_told_to_be_quoted(project: Project) -> None:
    project.replace(SRC_001, "    value_text: surpassed 4,000\n", "    value_text: 4000\n")
    problem = _only_problem(project, SRC_001)
    assert (problem.code, problem.field) == ("M202", "value_text")
    assert "YAML reads this value as a number (4000)" in problem.message and "quotes" in problem.hint, problem


@pytest.mark.parametrize("char", ["\x00", "\x7f", "\x01"], ids=["nul", "del", "soh"])
def test_a_control_character_is_located(project: Project, char: str) -> None:
    """It was 'unacceptable character #x0000: control characters are not allowed', with no line: an
    invisible character somewhere in a file of hundreds of lines. After a multi-byte character and a
    CRLF, to count characters and lines as the other problems do."""
    text = project.read(SRC_001).replace("    unit: persons\n", f"    unit: é{char}persons\n", 1).replace("\n", "\r\n")
    project.path(SRC_001).write_bytes(text.encode("utf-8"))
    problem = _only_problem(project, SRC_001)
    line, col = project.line_col(SRC_001, char)
    assert (problem.code, problem.line, problem.col) == ("Y100", line, col), problem
    assert f"U+{ord(char):04X}" in problem.message and "delete it" in problem.hint


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\x85"], ids=["ls", "ps", "nel"])
def test_lines_after_a_yaml_only_line_break_are_an_editors(project: Project, char: str) -> None:
    """YAML ends a line at NEL, LINE and PARAGRAPH SEPARATOR, which editors, git and grep show within a
    line (text pasted from a web page can hold them): each problem after one was a line too low, at a
    column counted from it. Here: a value's problem (M202), a tag's (Y101) on the same line as the
    character, and a syntax error (Y100)."""
    title = "  title: North Korean Casualties in Ukraine Conflict"
    project.replace(SRC_001, title, f'  title: "North Korean{char}Casualties in Ukraine Conflict')
    project.replace(SRC_001, " Amid Conscription Fears\n", ' Amid Conscription Fears"\n')
    project.replace(SRC_001, "    value_text: surpassed 4,000\n", "    value_text: 4000\n")
    problem = _only_problem(project, SRC_001)
    assert (problem.code, problem.line, problem.col) == ("M202", *project.line_col(SRC_001, "value_text: 4000")), problem
    project.replace(SRC_001, "  cites: [ent-korea-herald]\n", f'  cites: ["a{char}b", !!bool abc]\n')
    problem = _only_problem(project, SRC_001)
    assert (problem.code, problem.line, problem.col) == ("Y101", *project.line_col(SRC_001, "!!bool abc")), problem
    project.replace(SRC_001, f'  cites: ["a{char}b", !!bool abc]\n', f'  cites: ["a{char}b", [\n')
    problem = _only_problem(project, SRC_001)
    assert problem.code == "Y100" and problem.line is not None and problem.line > project.line_of(SRC_001, "  cites:"), problem
    assert problem.line <= len(project.read(SRC_001).split("\n")), problem  # a line the file has, as an editor counts
    project.replace(SRC_001, f'  cites: ["a{char}b", [\n', f'  cites: ["a{char}b"]\n')
    project.replace(SRC_001, "    unit: persons\n", "    unit: per\x00sons\n")  # a character YAML refuses, found by its position
    problem = _only_problem(project, SRC_001)
    assert (problem.code, problem.line, problem.col) == ("Y100", *project.line_col(SRC_001, "\x00")), problem


@pytest.mark.parametrize("written", ["2025-03-11T00:00:00Z", "2025-03-11 00:00:00", "2025-3-11"], ids=["iso-utc", "space", "one-digit"])
def test_a_date_with_a_time_or_short_digits_is_not_taken_as_its_day(project: Project, written: str) -> None:
    """A record's dates are days written YYYY-MM-DD: a midnight date-time was silently read as its day."""
    project.replace(SRC_001, "    date_start: 2025-03-11\n", f"    date_start: {written}\n")
    problem = _only_problem(project, SRC_001)
    assert (problem.code, problem.field) == ("M221", "date_start"), problem
    assert "YYYY-MM-DD" in problem.message + problem.hint and problem.line == project.line_col(SRC_001, written)[0], problem


def test_a_publication_date_with_a_time_is_the_same_problem(project: Project) -> None:
    """Every date field words it alike (a field without 'date' in its name was M202, with no hint)."""
    project.replace(SRC_001, "  published_start: 2025-03-31", "  published_start: 2025-03-31T00:00:00Z")
    problem = _only_problem(project, SRC_001)
    assert (problem.code, problem.field) == ("M221", "published_start") and "YYYY-MM-DD" in problem.message + problem.hint, problem


def test_a_reference_to_a_record_with_a_problem_is_not_called_unknown(project: Project) -> None:
    """An entity with one bad field made every record citing it report "'ent-nis' is not a known entity
    id" (two dozen lines here, some with a "did you mean" pointing elsewhere); the entity's own problem
    says what to fix."""
    assert project.read(SRC_001).count("ent-nis") > 10  # cited all over the source
    before = "    kind: government_agency\n    country: KR\n    aliases: [NIS,"
    project.replace(ENTITIES, before, before.replace("country: KR", "country: Korea"))
    problems = project.validate()
    assert [(p.path, p.record_id, p.field) for p in problems] == [(ENTITIES, "ent-nis", "country")], [p.format_text() for p in problems]
