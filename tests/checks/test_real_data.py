"""The real curated data: it validates, its schema files are current, its evidence is in its texts,
and the output formats are well-formed."""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from pathlib import Path

import pytest
import yaml
from conftest import REPO, SRC_000, SRC_001, Project, problems_from_json, run_cli, run_cli_subprocess

from nkdata.checks.validation import CheckedProject, check_project, validate


@functools.cache  # read once per process: the tests only read it
def _curated() -> list[tuple[Path, dict]]:
    """Source files read with PyYAML's plain safe loader, in C when built (independently of nkdata's reader)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out = []
    for path in sorted((REPO / "data" / "sources").glob("*.yaml")):
        out.append((path, yaml.load(path.read_text(encoding="utf-8"), Loader=loader)))
    return out


def _plain(s: str) -> str:
    """An independent, simpler normalisation than nkdata's: NFKC, quotes, dashes, white space."""
    s = unicodedata.normalize("NFKC", s)
    s = re.sub(r"[‘’‚‛′`´]", "'", s)
    s = re.sub(r"[“”„‟″]", '"', s)
    s = re.sub(r"[‐‑‒–—―−﹘﹣－]", "-", s)
    return " ".join(s.split())


def _figures() -> list[tuple[dict, str]]:
    out = []
    for _, doc in _curated():
        for fig in doc.get("figures") or []:
            out.append((fig, doc["source"]["source_id"]))
    return out


@pytest.fixture(scope="session")  # once per worker: xdist interleaves modules, which tears module fixtures down
def checked() -> CheckedProject:
    """The real project, read and checked once for this module (tests only read it)."""
    return check_project(REPO)


# ---------------------------------------------------------------- validation


def test_real_data_validates_via_the_api() -> None:
    problems = validate(REPO)
    assert problems == [], "\n".join(p.format_text() for p in problems)


def test_real_data_validates_via_the_cli() -> None:
    res = run_cli("validate", str(REPO))
    assert res.exit_code == 0, res.output
    assert "valid: no problems found." in res.stdout
    res = run_cli("validate", str(REPO), "--quiet")
    assert res.exit_code == 0 and res.stdout == ""


@pytest.mark.slow  # starts the CLI or another Python in a new process
def test_real_data_validates_in_a_real_process_from_the_project_folder() -> None:
    res = run_cli_subprocess("validate", cwd=REPO)
    assert res.exit_code == 0, res.output
    assert "valid" in res.stdout


def test_real_data_has_records_for_every_source(checked: CheckedProject) -> None:
    recs = checked.curated.records
    assert len(recs["sources"]) == len(_curated()) >= 2
    for src in recs["sources"]:
        sid = src.record.record_id
        n = sum(1 for t in ("figures", "statements", "events") for loc in recs[t] if loc.record.source_id == sid)
        assert n > 0, sid


def test_seed_hashes_match_the_source_records() -> None:
    for _, doc in _curated():
        src = doc["source"]
        raw = (REPO / src["text_path"]).read_bytes()
        assert hashlib.sha256(raw).hexdigest() == src["text_sha256"]
        raw.decode("utf-8")  # must be UTF-8


# ---------------------------------------------------------------- evidence in the texts


@pytest.mark.parametrize("fig,source_id", _figures(), ids=lambda x: x["figure_id"] if isinstance(x, dict) else "")
def test_figure_evidence_slice_contains_its_value_text(checked: CheckedProject, fig: dict, source_id: str) -> None:
    text = checked.texts[source_id].text
    start, end = checked.offsets[fig["figure_id"]]
    piece = text[start:end]
    # the slice of the original text is the evidence (up to the documented normalisation) ...
    assert _plain(piece) == _plain(fig["evidence"])
    # ... and it states the number in the curator's words
    assert _plain(fig["value_text"]) in _plain(piece), (fig["value_text"], piece)
    # the slice starts and ends on the source's own characters, not on white space
    assert piece == piece.strip()


def test_every_statement_text_is_in_its_source_text() -> None:
    for _, doc in _curated():
        src = doc["source"]
        text = _plain((REPO / src["text_path"]).read_text(encoding="utf-8"))
        for stm in doc.get("statements") or []:
            assert _plain(stm["text"]) in text, stm["statement_id"]
            if stm.get("evidence"):
                assert _plain(stm["text"]) in _plain(stm["evidence"]), stm["statement_id"]


def test_every_evidence_offset_slices_to_its_evidence(checked: CheckedProject) -> None:
    n = 0
    for table in ("figures", "statements", "events"):
        for loc in checked.curated.records[table]:
            rec = loc.record
            evidence = rec.evidence if rec.evidence is not None else rec.text
            start, end = checked.offsets[rec.record_id]
            assert _plain(checked.texts[rec.source_id].text[start:end]) == _plain(evidence), rec.record_id
            n += 1
    assert n == sum(len(checked.curated.records[t]) for t in ("figures", "statements", "events")) > 0


# ---------------------------------------------------------------- schema drift


def test_schema_check_passes_on_the_real_tree() -> None:
    res = run_cli("schema", str(REPO), "--check")
    assert res.exit_code == 0, res.output
    assert "up to date" in res.stdout


@pytest.mark.parametrize(
    "rel,edit",
    [
        ("schema/figures.schema.json", lambda s: s.replace('"description": "', '"description": "Edited. ', 1)),
        ("schema/sources.schema.json", lambda s: s + "\n"),
        ("docs/data-dictionary.md", lambda s: s.replace("more_than", "more-than", 1)),
        ("schema/events.schema.json", None),  # deleted
    ],
    ids=["figures-description", "sources-trailing-newline", "dictionary-term", "events-deleted"],
)
def test_schema_check_fails_after_editing_a_generated_file(project: Project, rel: str, edit) -> None:
    assert run_cli("schema", str(project.root), "--check").exit_code == 0
    path = project.path(rel)
    if edit is None:
        path.unlink()
    else:
        before = path.read_text(encoding="utf-8")
        after = edit(before)
        assert after != before
        path.write_text(after, encoding="utf-8")
    snap = project.snapshot()
    res = run_cli("schema", str(project.root), "--check")
    assert res.exit_code == 1, res.output
    assert rel in res.stderr
    assert "Traceback" not in res.output
    assert project.snapshot() == snap, "--check must not write"


# ---------------------------------------------------------------- output formats


def _break(project: Project) -> None:
    """Three problems, one with ':' and ',' in its message and a multi-line-prone value."""
    project.replace(SRC_001, "    metric: casualties\n", "    metric: casualtys\n")
    project.replace(SRC_000, "Reports from Russia indicate that", "Reports from Russia indicated that")
    project.replace(SRC_001, "    value: 30\n", "    value: 35\n")


def test_json_format_is_well_formed_when_valid() -> None:
    res = run_cli("validate", str(REPO), "--format", "json")
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    assert doc == {"valid": True, "count": 0, "problems": []}


def test_json_format_is_well_formed_when_invalid(project: Project) -> None:
    _break(project)
    res = run_cli("validate", str(project.root), "--format", "json")
    assert res.exit_code == 1
    problems = problems_from_json(res.stdout)
    assert len(problems) == 3
    for p in problems:
        assert set(p) >= {"path", "line", "col", "code", "record_id", "field", "message", "hint"}
        assert isinstance(p["line"], int) and isinstance(p["col"], int)
    assert sorted(p["code"] for p in problems) == ["M203", "V400", "V402"]


def test_github_format_is_one_annotation_per_problem(project: Project) -> None:
    _break(project)
    api = project.validate()
    res = run_cli("validate", str(project.root), "--format", "github")
    assert res.exit_code == 1
    lines = res.stdout.splitlines()
    assert len(lines) == len(api) == 3
    pattern = re.compile(r"^::error file=(?P<file>[^,:]+),line=(?P<line>\d+),col=(?P<col>\d+),title=(?P<title>[^:]*)::(?P<msg>.+)$")
    for line, p in zip(lines, api, strict=True):
        m = pattern.match(line)
        assert m, line
        assert m["file"] == p.path and int(m["line"]) == p.line and int(m["col"]) == p.col
        assert m["title"].startswith(p.code)


def test_github_format_is_chosen_on_github_actions(project: Project) -> None:
    _break(project)
    res = run_cli("validate", str(project.root), env={"GITHUB_ACTIONS": "true"})
    assert res.exit_code == 1
    assert all(line.startswith("::error file=") for line in res.stdout.splitlines())
    res = run_cli("validate", str(project.root))
    assert not any(line.startswith("::error") for line in res.stdout.splitlines())


def test_github_format_escapes_newlines_and_separators() -> None:
    from nkdata.problems import Problem, format_problems

    p = Problem("data/a,b:c.yaml", 3, 4, "V400", "fig-x", "evidence", "first line\nsecond line 100%", "fix it")
    out = format_problems([p], "github")
    assert out.count("\n") == 0
    assert out.startswith("::error file=data/a%2Cb%3Ac.yaml,line=3,col=4,")
    assert "first line%0Asecond line 100%25" in out
