"""``nkdata release``: checked, recorded releases; ``nkdata release --check``: no drift.

The release tests work on a full copy of the project (curated data, CHANGELOG.md,
nkdata/_version.py, registry and embedded release). A module fixture first records
the copy's current data as release 5.0.0, so every scenario starts from a
consistent history whatever the working tree holds today.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import NEW_FIGURE, REPO, SRC_001, copy_project, once_per_run, run_cli, run_cli_subprocess, snapshot
from scratch_copies import Loans

import nkdata
from nkdata.versioning.record import check_recorded, registry_text
from nkdata.versioning.semver import declared_version

BASE = "5.0.0"


def full_copy(dest: Path) -> Path:
    """The curated data plus everything a release reads and writes."""
    root = copy_project(dest).root
    shutil.copyfile(REPO / "CHANGELOG.md", root / "CHANGELOG.md")
    (root / "nkdata").mkdir()
    for name in ("_version.py", "registry.txt"):
        shutil.copyfile(REPO / "nkdata" / name, root / "nkdata" / name)
    shutil.copytree(REPO / "nkdata" / "_release", root / "nkdata" / "_release")
    return root


def set_version(root: Path, version: str, changelog: bool = True) -> None:
    (root / "nkdata" / "_version.py").write_text(f'"""The version."""\n\n__version__ = "{version}"\n', encoding="utf-8")
    if changelog:
        log = root / "CHANGELOG.md"
        text = log.read_text(encoding="utf-8")
        at = text.index("\n## [")
        log.write_text(text[:at] + f"\n## [{version}] - 2026-11-27\n\nTest release.\n" + text[at:], encoding="utf-8")


def add_figure(root: Path) -> None:
    path = root / SRC_001
    path.write_text(path.read_text(encoding="utf-8").replace("\nstatements:", NEW_FIGURE + "\nstatements:", 1), encoding="utf-8")


@pytest.fixture(scope="session")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project recorded as release 5.0.0 (its dist/ beside it), once for the run and shared by the
    xdist workers: read-only (``root`` lends a copy to change)."""

    def make(folder: Path) -> Path:
        root = full_copy(folder / "project")
        set_version(root, BASE)
        out = run_cli("release", str(root), "--out", str(root.parent / "dist"))
        assert out.exit_code == 0, out.output
        return root

    return once_per_run(tmp_path_factory, "released", make)


@pytest.fixture
def root(released: Path, scratch: Loans) -> Iterator[Path]:
    """A copy of the released project, the test's to change; put back after it."""
    with scratch.lend("released", lambda folder: shutil.copytree(released, folder / "project")) as folder:
        yield folder / "project"


def release(root: Path):
    return run_cli("release", str(root), "--out", str(root.parent / "dist"))


def refused(root: Path, *needles: str, process: bool = False) -> str:
    """Run a release that must be refused (in-process, or in a real process): exit 1, the messages,
    no traceback, nothing written."""
    before = snapshot(root)
    out = (run_cli_subprocess if process else run_cli)("release", str(root), "--out", str(root.parent / "dist-refused"))
    assert out.exit_code == 1, out.output
    assert "Traceback" not in out.output
    for needle in needles:
        assert needle in out.output
    assert snapshot(root) == before
    assert not (root.parent / "dist-refused").exists()
    return out.output


# ---------------------------------------------------------------- the repository itself


def test_repository_release_records_agree() -> None:
    assert check_recorded(REPO) == []
    out = run_cli("release", str(REPO), "--check")
    assert out.exit_code == 0, out.output
    assert "agree" in out.stdout


def test_registry_is_generated_from_data_releases() -> None:
    assert (REPO / "nkdata" / "registry.txt").read_text(encoding="utf-8") == registry_text(REPO)
    recorded = sorted(p.name for p in (REPO / "data" / "releases").iterdir())
    lines = [line for line in registry_text(REPO).splitlines() if not line.startswith("#")]
    assert [line.split()[0] for line in lines[1:]] == [f"nkdata-{v}.zip" for v in recorded]
    configured = yaml.safe_load((REPO / "data" / "package.yaml").read_text(encoding="utf-8"))["download_base"]
    assert lines[0] == f"base: {configured}"  # the installed package has no data/: where releases are published travels here


# ---------------------------------------------------------------- recording


def test_release_records_history_registry_and_embedded_copy(released: Path) -> None:
    history = released / "data" / "releases" / BASE
    assert sorted(p.name for p in history.iterdir()) == ["datapackage.json", f"nkdata-{BASE}.zip", f"nkdata-{BASE}.zip.sha256"]
    assert sorted(p.name for p in (released / "nkdata" / "_release").iterdir()) == [f"nkdata-{BASE}"]
    registry = (released / "nkdata" / "registry.txt").read_text(encoding="utf-8")
    recorded = sorted((p.name for p in (REPO / "data" / "releases").iterdir()), key=lambda v: tuple(map(int, v.split("."))))
    listed = [line.split()[0] for line in registry.splitlines() if not line.startswith(("#", "base:"))]
    assert listed == [f"nkdata-{v}.zip" for v in recorded] + [f"nkdata-{BASE}.zip"]
    assert check_recorded(released) == []


def test_release_writes_the_sqlite_database_beside_the_zip_and_records_it_nowhere(released: Path) -> None:
    dist = released.parent / "dist"
    assert sorted(p.name for p in dist.iterdir()) == sorted(
        [f"nkdata-{BASE}", f"nkdata-{BASE}.zip", f"nkdata-{BASE}.sqlite", f"nkdata-{BASE}.metadata.json"]
    )
    with contextlib.closing(sqlite3.connect(f"file:{dist / f'nkdata-{BASE}.sqlite'}?mode=ro", uri=True)) as conn:
        assert dict(conn.execute("SELECT key, value FROM nkdata_release"))["version"] == BASE
        figures = conn.execute("SELECT count(*) FROM figures").fetchone()[0]
        assert figures == len(nkdata.load("figures", format="arrow"))
        assert conn.execute("SELECT count(*) FROM figures_fts WHERE figures_fts MATCH 'casualties'").fetchone()[0] > 0
    meta = json.loads((dist / f"nkdata-{BASE}.metadata.json").read_text(encoding="utf-8"))
    assert "figures" in meta["databases"][f"nkdata-{BASE}"]["tables"]
    recorded = [p.name for p in (released / "data" / "releases").rglob("*")] + [p.name for p in (released / "nkdata").rglob("*")]
    assert not [name for name in recorded if name.endswith((".sqlite", ".metadata.json"))]


def test_recording_the_same_content_again_changes_nothing(root: Path) -> None:
    before = snapshot(root / "data")
    out = release(root)
    assert out.exit_code == 0, out.output
    assert snapshot(root / "data") == before


def test_minor_change_needs_a_minor_bump(root: Path) -> None:
    add_figure(root)
    refused(root, f"already records release {BASE} with different content")
    set_version(root, "5.0.1")
    refused(root, "needs at least 5.1.0", "figures: 1 record added")
    set_version(root, "5.1.0", changelog=False)
    refused(root, "CHANGELOG.md has no entry for 5.1.0")
    set_version(root, "5.1.0")
    out = release(root)
    assert out.exit_code == 0, out.output
    assert check_recorded(root) == []
    assert sorted(p.name for p in (root / "nkdata" / "_release").iterdir()) == ["nkdata-5.1.0"]
    diff = run_cli("diff", BASE, "5.1.0", "--root", str(root))
    assert diff.exit_code == 0 and "change level: MINOR" in diff.stdout and "+ fig-test-added-troops-11000" in diff.stdout
    assert run_cli("diff", BASE, "5.1.0", "--root", str(root), "--check-version").exit_code == 0


@pytest.mark.slow  # starts the CLI in a new process
def test_older_version_is_refused(root: Path) -> None:
    set_version(root, "4.9.9")
    refused(root, "older than the last recorded release 5.0.0", process=True)


def test_invalid_data_is_refused(root: Path) -> None:
    add_figure(root)
    set_version(root, "5.1.0")
    path = root / SRC_001
    path.write_text(path.read_text(encoding="utf-8").replace("value_text: 11,000\n", "value_text: 12,000\n", 1), encoding="utf-8")
    refused(root, "V404", SRC_001, "nothing released")


# ---------------------------------------------------------------- drift checks


def test_check_finds_a_hand_edited_registry(root: Path) -> None:
    reg = root / "nkdata" / "registry.txt"
    reg.write_text(reg.read_text(encoding="utf-8") + "nkdata-9.9.9.zip sha256:" + "0" * 64 + "\n", encoding="utf-8")
    out = run_cli("release", str(root), "--check")
    assert out.exit_code == 1
    assert "nkdata/registry.txt: differs from what data/package.yaml and data/releases/ generate" in out.stderr


def test_check_finds_an_unrecorded_version_bump(root: Path) -> None:
    set_version(root, "5.0.1")
    problems = check_recorded(root)
    assert any("declared version 5.0.1" in p and "is not recorded" in p for p in problems)
    assert any("nkdata/_release/" in p and "expected exactly nkdata-5.0.1" in p for p in problems)


def test_check_finds_an_altered_recorded_zip_and_a_missing_changelog_entry(root: Path) -> None:
    zip_path = root / "data" / "releases" / BASE / f"nkdata-{BASE}.zip"
    zip_path.write_bytes(zip_path.read_bytes() + b"\0")
    log = root / "CHANGELOG.md"
    log.write_text(log.read_text(encoding="utf-8").replace(f"## [{BASE}]", "## [unreleased]"), encoding="utf-8")
    problems = check_recorded(root)
    assert any("sha256 differs" in p for p in problems)
    assert any(f"no entry for release {BASE}" in p for p in problems)


def test_check_finds_an_altered_embedded_file(root: Path) -> None:
    csv_path = root / "nkdata" / "_release" / f"nkdata-{BASE}" / "figures.csv"
    csv_path.write_bytes(csv_path.read_bytes().replace(b"11,000", b"12,000", 1))
    assert any("figures.csv" in p and "altered" in p for p in check_recorded(root))


def test_declared_version_is_read_from_the_tree(root: Path) -> None:
    assert declared_version(root) == BASE
    assert declared_version(REPO) == __import__("nkdata").__version__


@pytest.mark.slow  # starts the CLI in a new process (a hang must end in its timeout, not the suite's)
@pytest.mark.parametrize("kind", ["fifo", "symlink-to-dev-zero"])
def test_check_reads_the_changelog_as_the_build_does(root: Path, kind: str) -> None:
    """``release --check`` read CHANGELOG.md with ``read_text``: a FIFO hung it, a link to ``/dev/zero``
    filled the memory. Now it is read as the build reads it (a FIFO is no regular file, the link leads
    out of the project): one line, exit 1, nothing read."""
    log = root / "CHANGELOG.md"
    log.unlink()
    if kind == "fifo":
        os.mkfifo(log)
    else:
        log.symlink_to("/dev/zero")
    out = run_cli_subprocess("release", str(root), "--check", timeout=60)
    assert out.exit_code == 1 and "Traceback" not in out.output, out.output
    assert "CHANGELOG.md cannot be read" in out.output, out.output
