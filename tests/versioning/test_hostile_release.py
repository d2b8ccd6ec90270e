"""``nkdata release --check`` refuses the staging folders a killed ``nkdata release`` leaves behind.

Each attack runs ``nkdata`` in a child process with a memory cap and a timeout
(tests/hostile_helpers.py, which also holds the shared fixtures), and checks the promise of
docs/security.md: the command ends within its limit, exit 1 for bad input (2 for usage), no
traceback, a message naming the file, nothing read from outside the tree, nothing left behind.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import copy_project, run_cli
from hostile_helpers import (
    REPO,
    assert_clean_exit,
    cli,
)

# ============================================================ stale staging


def _release_project(tmp_path: Path, env: dict[str, str]) -> Path:
    proj = copy_project(tmp_path / "proj").root
    shutil.copytree(REPO / "nkdata", proj / "nkdata", ignore=shutil.ignore_patterns("__pycache__"))
    assert_clean_exit(cli("release", proj, "--check", env=env, timeout=60), 0)
    return proj


def test_release_check_refuses_stale_release_staging(tmp_path: Path, env: dict[str, str]) -> None:
    proj = _release_project(tmp_path, env)
    (proj / "data" / "releases" / ".0.2.0.k1ll3d").mkdir()
    r = cli("release", proj, "--check", env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert ".0.2.0.k1ll3d" in r.text, r


def test_release_check_refuses_stale_embedded_staging(tmp_path: Path, env: dict[str, str]) -> None:
    proj = _release_project(tmp_path, env)
    shutil.copytree(proj / "nkdata" / "_release", proj / "nkdata" / ".release.k1ll3d")
    r = cli("release", proj, "--check", env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert ".release.k1ll3d" in r.text, r


# ============================================================ a recorded release's descriptor


def test_diff_refuses_a_recorded_descriptor_whose_version_is_a_path(built: Path, tmp_path: Path, env: dict[str, str]) -> None:
    """Its version names the zip diff reads (nkdata-VERSION.zip beside it): '../../x' is no version."""
    recorded = tmp_path / "recorded"
    recorded.mkdir()
    text = (built / "datapackage.json").read_text(encoding="utf-8")
    version = json.loads(text)["version"]
    (recorded / "datapackage.json").write_text(text.replace(f'"version": "{version}"', '"version": "../../x"', 1), encoding="utf-8")
    r = cli("diff", built, recorded, env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert "datapackage.json: 'version' is '../../x'" in r.text, r


def test_diff_reads_a_primary_key_given_as_text(built: Path, tmp_path: Path) -> None:
    """Table Schema lets a one-field primaryKey be its name as text: diff took its first letter for the
    key's column (a KeyError traceback), and would have called the same key a MAJOR change."""
    folder = shutil.copytree(built, tmp_path / built.name)
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    next(r for r in descriptor["resources"] if r["name"] == "figures")["schema"]["primaryKey"] = "figure_id"
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    r = run_cli("diff", str(built), str(folder))
    assert r.exit_code == 0 and "change level: NONE" in r.stdout, r


@pytest.mark.parametrize("args", [["diff", "a" * 5000, "none"], ["diff", "none", "none", "--root", "a" * 5000]], ids=["side", "root"])
def test_a_path_argument_too_long_for_the_system_is_a_usage_error(args: list[str]) -> None:
    """Python 3.11's Path.is_dir() raises ENAMETOOLONG rather than answer False: an OSError traceback."""
    r = run_cli(*args)
    assert r.exit_code == 2 and "a path of 5,0" in r.stderr and "characters, too long for this system" in r.stderr, r
    assert len(r.stderr) < 600, r  # the path is shortened, not echoed whole


@pytest.mark.parametrize("content", [b"", b"\xff\xfe not utf-8\n"], ids=["empty", "not-utf8"])
def test_diff_refuses_a_recorded_sha256_file_it_cannot_read(tmp_path: Path, content: bytes) -> None:
    """data/releases/X.Y.Z/nkdata-X.Y.Z.zip.sha256 vouches for the recorded zip diff reads: an empty one
    was an IndexError traceback, one in another encoding a UnicodeDecodeError."""
    recorded = tmp_path / "data" / "releases" / "0.2.0"
    shutil.copytree(REPO / "data" / "releases" / "0.2.0", recorded)
    digest = recorded / "nkdata-0.2.0.zip.sha256"
    digest.write_bytes(content)
    r = run_cli("diff", "0.2.0", "none", "--root", str(tmp_path))
    assert r.exit_code == 1 and f"{digest}: does not start with a sha256 (64 hex digits)" in r.stderr, r


@pytest.mark.parametrize("side", ["old", "new"])
def test_check_version_names_the_release_whose_version_is_no_version(built: Path, tmp_path: Path, side: str) -> None:
    """'--check-version' said "NEW's version '3' is not ..." without naming the release it read it from."""
    folder = shutil.copytree(built, tmp_path / built.name)
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["version"] = "3"
    (folder / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    sides = (folder, built) if side == "old" else (built, folder)
    r = run_cli("diff", str(sides[0]), str(sides[1]), "--check-version")
    assert r.exit_code == 2 and f"{side.upper()} ({folder})'s version '3' is not a MAJOR.MINOR.PATCH version" in r.output, r.output
