"""A release describes itself: the data card and the files it points to, checked against the built tables."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import copy_project
from helpers_release import REPO, VERSION, assert_clean_failure, csv_rows, run_nkdata

from nkdata.checks.package import validate_package
from nkdata.errors import BuildError
from nkdata.release.card import CARD_FILES, changelog_entry, project_files
from nkdata.release.descriptor import is_table
from nkdata.release.layout import TEXTS_DIR
from nkdata.spec.schema import data_dictionary

CARD = list(CARD_FILES)


def _tables(folder: Path) -> dict[str, list[dict]]:
    """Every table of a built release, read from its CSV by the standard library (not by nkdata)."""
    desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    return {r["name"]: csv_rows(folder / r["path"], r["schema"]["fields"]) for r in desc["resources"] if is_table(r)}


def _cffconvert() -> str:
    exe = Path(sys.executable).parent / "cffconvert"
    found = str(exe) if exe.is_file() else shutil.which("cffconvert")
    if found is None:
        pytest.fail("cffconvert is not installed: pip install --no-deps cffconvert==2.0.0, as the README's test command does")
    return found


def test_the_release_folder_and_zip_hold_the_five_card_files(built: Path) -> None:
    with zipfile.ZipFile(built.parent / f"{built.name}.zip") as zf:
        names = set(zf.namelist())
        for rel in CARD:
            assert f"{built.name}/{rel}" in names
            assert zf.read(f"{built.name}/{rel}") == (built / rel).read_bytes()
    desc = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    declared = {r["path"]: r for r in desc["resources"] if not is_table(r) and not r["path"].startswith(TEXTS_DIR)}
    assert set(declared) == set(CARD)
    for rel, res in declared.items():
        assert res["bytes"] == (built / rel).stat().st_size
    assert (built / "data-dictionary.md").read_text(encoding="utf-8") == data_dictionary()
    assert (built / "data-dictionary.md").read_bytes() == (REPO / "docs" / "data-dictionary.md").read_bytes()


def test_the_card_states_what_the_tables_hold(built: Path) -> None:
    card = (built / "README.md").read_text(encoding="utf-8")
    tables = _tables(built)
    assert len(tables) == 6
    for name, rows in tables.items():
        assert f"| [`{name}.csv`]({name}.csv) | {len(rows):,} |" in card, name
    for name in ("figures", "statements", "events"):
        rows = tables[name]
        dated = [r for r in rows if r["date_start"]]
        first = min(r["date_start"] for r in dated)
        last = max(r["date_end"] or r["date_start"] for r in dated)
        assert f"- `{name}`: {len(dated):,} of {len(rows):,} dated, from {first} to {last}." in card
    claims = [c for c in tables["claims"] if c["date_start"]]
    cut_off = max(c["date_end"] or c["date_start"] for c in claims)
    assert f"The cut-off is **{cut_off}**" in card
    assert f"from {len({c['originator'] for c in tables['claims']}):,} originators" in card
    assert f"{len(tables['sources']):,} archived source texts" in card
    desc = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    assert f"Version **{VERSION}**, released {desc['created'][:10]}." in card
    for heading in ("Coverage and cut-off", "Tables", "How claims are reconciled", "Known limits", "How to cite", "Licences", "Where the data lives"):
        assert f"\n## {heading}\n" in card
    assert "frictionless 5 reads Parquet through pandas" in card
    assert "not CC BY" in card
    assert f"https://github.com/nkdata/nkdata/releases/download/v{VERSION}/nkdata-{VERSION}.zip" in card  # data/package.yaml's download_base


def test_the_changelog_and_licence_are_this_versions(built: Path) -> None:
    log = (built / "CHANGELOG.md").read_text(encoding="utf-8")
    entry = changelog_entry((REPO / "CHANGELOG.md").read_text(encoding="utf-8"), VERSION)
    def targets_dropped(text: str) -> str:
        return re.sub(r"\]\([^)]*\)", "]()", text)

    assert targets_dropped(log).endswith(targets_dropped(entry)) and entry.startswith(f"## [{VERSION}]")
    assert log.count("\n## ") == 1  # this version's entry only
    # its links into the repository lead there from inside the zip: to this version's tag
    assert "](docs/coverage.md)" in entry and "](docs/" not in log
    assert f"](https://github.com/nkdata/nkdata/blob/v{VERSION}/docs/coverage.md)" in log
    licence = (built / "LICENSE-DATA").read_text(encoding="utf-8")
    assert f"version {VERSION}." in licence
    assert licence.replace(f"version {VERSION}.", "version X.Y.Z.") == (REPO / "LICENSE-DATA").read_text(encoding="utf-8")


@pytest.mark.slow  # starts cffconvert in a new process
def test_citation_cff_is_valid_for_cffconvert(built: Path, tmp_path: Path) -> None:
    exe = _cffconvert()
    cff = built / "CITATION.cff"
    proc = subprocess.run([exe, "--validate", "-i", str(cff)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = cff.read_text(encoding="utf-8")
    desc = json.loads((built / "datapackage.json").read_text(encoding="utf-8"))
    assert f'version: "{VERSION}"' in text and f'date-released: "{desc["created"][:10]}"' in text
    assert "type: dataset" in text and 'license: "CC-BY-4.0"' in text
    broken = tmp_path / "CITATION.cff"  # the validator does reject: this test can fail
    broken.write_text(text.replace("type: dataset", "type: spreadsheet"), encoding="utf-8")
    proc = subprocess.run([exe, "--validate", "-i", str(broken)], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0


def test_the_repositorys_citation_and_licence_are_current() -> None:
    for rel, text in project_files(REPO, VERSION).items():
        assert (REPO / rel).read_text(encoding="utf-8") == text, f"{rel} is stale: run python -m nkdata.release.card"


def test_a_tampered_card_is_a_located_problem(built: Path, tmp_path: Path) -> None:
    pkg = Path(shutil.copytree(built, tmp_path / built.name))
    readme = pkg / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace("Known limits", "Known limitz"), encoding="utf-8")
    (pkg / "CITATION.cff").unlink()
    found = {(p.path, p.code) for p in validate_package(pkg)}
    assert found == {(f"{pkg}/README.md", "P801"), (f"{pkg}/CITATION.cff", "P800")}


def test_a_version_without_a_changelog_entry_is_refused() -> None:
    with pytest.raises(BuildError, match=r"CHANGELOG.md has no entry for 7\.7\.7: .*'## \[7\.7\.7\] - YYYY-MM-DD'"):
        changelog_entry((REPO / "CHANGELOG.md").read_text(encoding="utf-8"), "7.7.7")
    assert changelog_entry("## [1.0.0] - x\n\nA.\n\n## [0.9.0]\n\nB.\n", "1.0.0") == "## [1.0.0] - x\n\nA.\n"
    assert changelog_entry("## 1.0.0\n\nA.\n", "1.0.0") == "## 1.0.0\n\nA.\n"
    with pytest.raises(BuildError):
        changelog_entry("## [1.0.0-rc1]\n", "1.0.0")


def test_a_changelog_entry_twice_or_empty_is_refused() -> None:
    """Which of two entries would the release carry? And a heading alone tells nothing."""
    with pytest.raises(BuildError, match=r"has 2 entries for 1\.0\.0 \(lines 1, 5\): merge them"):
        changelog_entry("## [1.0.0] - x\n\nA.\n\n## [1.0.0] - y\n\nB.\n", "1.0.0")
    with pytest.raises(BuildError, match=r"entry for 1\.0\.0 is only a heading"):
        changelog_entry("## [1.0.0] - 2026-11-28\n\n\n## [0.9.0]\n\nB.\n", "1.0.0")
    with pytest.raises(BuildError, match=r"line 3: the entry for 1\.0\.0 holds the control character U\+0000"):
        changelog_entry("## [1.0.0] - x\n\nA\x00.\n", "1.0.0")
    assert changelog_entry("## [1.0.0] - x\n\n\tA.\r\n", "1.0.0") == "## [1.0.0] - x\n\n\tA.\n"  # a tab is text; a CR ends a line


@pytest.mark.slow  # starts the CLI in a new process
def test_build_without_a_changelog_entry_fails_cleanly_and_writes_nothing(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    log = project.path("CHANGELOG.md")
    log.write_text(re.sub(rf"^## \[{re.escape(VERSION)}\]", "## [0.0.1]", log.read_text(encoding="utf-8"), flags=re.M), encoding="utf-8")
    out = tmp_path / "dist"
    proc = run_nkdata("build", str(project.root), "--out", str(out), "-q")
    assert_clean_failure(proc.returncode, proc.stdout + proc.stderr, 1)
    assert f"CHANGELOG.md has no entry for {VERSION}" in proc.stderr
    assert f"'## [{VERSION}] - YYYY-MM-DD'" in proc.stderr
    assert not out.exists()


@pytest.mark.slow  # starts the CLI in a new process
def test_info_states_what_the_card_states(built: Path) -> None:
    proc = run_nkdata("info")
    assert proc.returncode == 0, proc.stderr
    card = (built / "README.md").read_text(encoding="utf-8")
    tables = _tables(built)
    claims = [c for c in tables["claims"] if c["date_start"]]
    cut_off = max(c["date_end"] or c["date_start"] for c in claims)
    assert f"to {cut_off} (the cut-off" in proc.stdout and f"The cut-off is **{cut_off}**" in card
    for name, rows in tables.items():
        assert any(line.split() == [name, str(len(rows)), "rows"] for line in proc.stdout.splitlines())

