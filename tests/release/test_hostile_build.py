"""Building under attack or fault (issue 10 items 2 and 5): formulas never reach the published
CSV, long fields agree across validate, build and the package, and a full disk, a killed build
or a bad ``--out`` leave nothing behind.

Each attack runs ``nkdata`` in a child process with a memory cap and a timeout
(tests/hostile_helpers.py, which also holds the shared fixtures), and checks the promise of
docs/security.md: the command ends within its limit, exit 1 for bad input (2 for usage), no
traceback, a message naming the file, nothing read from outside the tree, nothing left behind.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from hostile_helpers import (
    NKDATA,
    SEED,
    SOURCE,
    assert_clean_exit,
    cli,
    kill,
    leftovers,
    rehash_seed,
    start,
)

# ============================================================ a full disk


def test_efbig_during_build_leaves_nothing_behind(project_dir: Path, tmp_path: Path, env: dict[str, str]) -> None:
    """A full disk, simulated with RLIMIT_FSIZE: whatever the message, no partial release is left in --out."""
    out = tmp_path / "out"
    cli("build", project_dir, "--out", out, "-q", env=env, timeout=60, fsize=64 * 1024)
    assert not leftovers(out) and not list(out.glob("nkdata-*")), list(out.iterdir())


def test_efbig_during_build_is_a_clean_error(project_dir: Path, tmp_path: Path, env: dict[str, str]) -> None:
    r = cli("build", project_dir, "--out", tmp_path / "out", "-q", env=env, timeout=60, fsize=64 * 1024)
    assert_clean_exit(r, 1, timeout=60)


# ============================================================ item 2: formulas in the published CSV


def _formula_cells(folder: Path) -> list[str]:
    """CSV cells a spreadsheet would take for a formula, whatever characters spell them."""
    import csv
    import unicodedata

    hits = []
    for path in folder.glob("*.csv"):
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    folded = unicodedata.normalize("NFKC", cell).lstrip(" \u00a0")
                    if cell[:1] in ("=", "+", "-", "@", "\t", "\r") or folded[:1] in ("=", "+", "@"):
                        hits.append(f"{path.name}: {cell[:60]!r}")
    return hits


@pytest.mark.parametrize("typed", ["\uff1d", " ="], ids=["fullwidth-equals", "leading-space"])
def test_formula_never_reaches_the_published_csv(project_dir: Path, tmp_path: Path, env: dict[str, str], typed: str) -> None:
    opening = "The National Intelligence Service(NIS) says"
    formula = 'HYPERLINK("http://evil.example/x","NIS") says'
    rehash_seed(project_dir, (project_dir / SEED).read_text(encoding="utf-8").replace(opening, "=" + formula, 1))
    rest = " North Korea began sending troops in support of Russia’s war effort against Ukraine starting Oct. 8."
    src = project_dir / SOURCE
    block = r"evidence: >-\n      The National Intelligence Service\(NIS\) says .*\n.*Oct\. 8\.\n"
    text, n = re.subn(block, lambda m: "evidence: " + json.dumps(typed + formula + rest, ensure_ascii=True) + "\n", src.read_text(encoding="utf-8"), count=1)
    assert n == 1
    src.write_text(text, encoding="utf-8")
    r = cli("validate", project_dir, env=env, timeout=60)
    if r.rc == 1:  # refused at validate: fine, if it says where
        assert_clean_exit(r, 1)
        assert re.search(r"kbsworld-188550\.yaml:\d+:\d+: C600", r.out), r
        return
    assert_clean_exit(r, 0)
    r = cli("build", project_dir, "--out", tmp_path / "out", "-q", env=env, timeout=60)
    assert_clean_exit(r, 0)
    (folder,) = [p for p in (tmp_path / "out").iterdir() if p.is_dir()]
    assert not _formula_cells(folder), _formula_cells(folder)
    assert_clean_exit(cli("validate", folder, env=env, timeout=60), 0)


# ============================================================ item 5: what validate accepts, the built package accepts


@pytest.mark.slow
def test_long_field_validate_build_and_package_agree(project_dir: Path, tmp_path: Path, env: dict[str, str]) -> None:
    long_notes = "lorem ipsum " * (9_000_000 // 12)  # over two of the checker's 4 MiB CSV blocks, under the 10 MB file cap
    src = project_dir / SOURCE
    block = r"    notes: >-\n      Carried by Russian(.*\n)(      .*\n)*"
    text, n = re.subn(block, lambda m: f'    notes: "{long_notes}"\n', src.read_text(encoding="utf-8"), count=1)
    assert n == 1
    src.write_text(text, encoding="utf-8")
    r = cli("validate", project_dir, env=env, timeout=60)
    if r.rc == 1:  # a documented field-length limit: fine, if it says where
        assert_clean_exit(r, 1)
        assert re.search(r"kbsworld-188550\.yaml:\d+", r.out), r
        return
    assert_clean_exit(r, 0)
    r = cli("build", project_dir, "--out", tmp_path / "out", "-q", env=env, timeout=90)
    assert_clean_exit(r, 0)
    (folder,) = [p for p in (tmp_path / "out").iterdir() if p.is_dir()]
    assert_clean_exit(cli("validate", folder, env=env, timeout=90), 0)


# ============================================================ killed builds and bad output folders


def test_killed_build_staging_is_cleaned_by_next_build(project_dir: Path, tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "out"
    t0 = time.monotonic()
    proc = start([NKDATA, "build", str(project_dir), "--out", str(out), "-q"], env)
    while proc.poll() is None and time.monotonic() - t0 < 60 and not (out.is_dir() and any(p.name.startswith(".nkdata-") for p in out.iterdir())):
        time.sleep(0.005)
    kill(proc)
    assert any(p.name.startswith(".") for p in out.iterdir()), "the build was not caught mid-write"
    r = cli("build", project_dir, "--out", out, "-q", env=env, timeout=60)
    assert_clean_exit(r, 0)
    assert not leftovers(out), leftovers(out)


@pytest.mark.parametrize(
    "out_kind",
    ["file", "name-too-long"],
)
def test_bad_out_is_a_clean_error(project_dir: Path, tmp_path: Path, env: dict[str, str], out_kind: str) -> None:
    out = tmp_path / "outfile"
    if out_kind == "file":
        out.write_text("x")
    else:
        out = tmp_path / ("a" * 300)
    r = cli("build", project_dir, "--out", out, "-q", env=env, timeout=60)
    assert_clean_exit(r, (1, 2), timeout=60)
    assert out.name[:40] in r.text, r


# ============================================================ CHANGELOG.md that is not a file of the project


@pytest.mark.parametrize("kind", ["symlink-to-dev-zero", "fifo", "symlink-out-of-the-project"])
def test_changelog_that_is_not_a_file_of_the_project_is_refused(project_dir: Path, tmp_path: Path, env: dict[str, str], kind: str) -> None:
    """CHANGELOG.md is read as the curated files are: /dev/zero (a MemoryError before), a FIFO (a hang
    before) and a file outside the project (published in the release before) are refused unread."""
    log = project_dir / "CHANGELOG.md"
    outside = tmp_path / "outside" / "CHANGELOG.md"
    outside.parent.mkdir()
    outside.write_text(log.read_text(encoding="utf-8").replace("\n## [", "\nHOSTILE-SECRET-7f3a9c\n\n## [", 1), encoding="utf-8")
    log.unlink()
    if kind == "fifo":
        os.mkfifo(log)
    else:
        log.symlink_to("/dev/zero" if kind == "symlink-to-dev-zero" else outside)
    out = tmp_path / "out"
    commands = [["build", project_dir, "--out", out, "-q"]]
    if kind == "fifo":  # the site builds its release through the same reader: once is enough to see it
        commands.append(["site", project_dir, "--out", out / "site", "-q"])
    for command in commands:
        r = cli(*command, env=env, timeout=30)
        assert_clean_exit(r, 1, timeout=30)
        assert f"{log} cannot be read" in r.text and "HOSTILE-SECRET" not in r.text, r
        assert not out.exists() or not list(out.iterdir()), list(out.iterdir())
