"""Hostile built packages (issue 10 items 6 and 7): zip slip, zip bombs and odd zips, malformed
datapackage.json, a symlink out of a release folder, an impossible 'created'.

Each attack runs ``nkdata`` in a child process with a memory cap and a timeout
(tests/hostile_helpers.py, which also holds the shared fixtures), and checks the promise of
docs/security.md: the command ends within its limit, exit 1 for bad input (2 for usage), no
traceback, a message naming the file, nothing read from outside the tree, nothing left behind.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from hostile_helpers import (
    MIB,
    SECRET,
    SEED,
    assert_clean_exit,
    cli,
    leftovers,
    outside_secret,
    zip_of,
)

# ============================================================ regression guards


def test_zip_slip_member_is_refused(built: Path, tmp_path: Path, env: dict[str, str]) -> None:
    bad = tmp_path / zip_of(built).name
    shutil.copyfile(zip_of(built), bad)
    with zipfile.ZipFile(bad, "a") as zf:
        zf.writestr("../../escaped.txt", SECRET)
    r = cli("validate", bad, env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    assert "P802" in r.out and not (tmp_path / "escaped.txt").exists() and not leftovers(tmp_path / "tmp"), r


def test_built_package_with_impossible_created_is_refused(release_copy: Path, env: dict[str, str]) -> None:
    dp = release_copy / "datapackage.json"
    dp.write_text(re.sub(r'"created": "[^"]*"', '"created": "2026-13-45T00:00:00Z"', dp.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    assert "2026-13-45" in dp.read_text(encoding="utf-8")
    r = cli("validate", release_copy, env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert "datapackage.json" in r.out and "created" in r.out, r


# ============================================================ item 6: malformed datapackage.json


_MUTATIONS = {
    "parquet-int": lambda d: d["resources"][0].__setitem__("nkdata:parquet", 5),
    "parquet-str": lambda d: d["resources"][0].__setitem__("nkdata:parquet", "x"),
    "schema-int": lambda d: d["resources"][0].__setitem__("schema", 5),
    "bytes-lots": lambda d: d["resources"][0].__setitem__("bytes", "lots"),
    "fields-str": lambda d: d["resources"][0]["schema"].__setitem__("fields", "x"),  # diff: TypeError
    "constraints-str": lambda d: d["resources"][0]["schema"]["fields"][0].__setitem__("constraints", "x"),
    "primary-key-int": lambda d: d["resources"][0]["schema"].__setitem__("primaryKey", 5),
    "deep": None,
}


def _mutate(folder: Path, name: str) -> None:
    dp = folder / "datapackage.json"
    if name == "deep":
        dp.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
        return
    d = json.loads(dp.read_text(encoding="utf-8"))
    _MUTATIONS[name](d)
    dp.write_text(json.dumps(d), encoding="utf-8")


@pytest.mark.parametrize(
    "mutation,command",
    [
        # one safe reader of datapackage.json (nkdata/release/descriptor.py) for validate, load and diff
        pytest.param("parquet-int", "validate"),
        pytest.param("parquet-str", "validate"),
        pytest.param("schema-int", "validate"),
        pytest.param("bytes-lots", "validate"),
        pytest.param("deep", "validate"),
        pytest.param("parquet-int", "diff"),
        pytest.param("parquet-str", "diff"),
        pytest.param("schema-int", "diff"),
        pytest.param("bytes-lots", "diff"),
        pytest.param("deep", "diff"),
        *(pytest.param(m, c) for m in ("fields-str", "constraints-str", "primary-key-int") for c in ("validate", "diff")),
    ],
)
def test_malformed_descriptor(built: Path, release_copy: Path, project_dir: Path, env: dict[str, str], mutation: str, command: str) -> None:
    _mutate(release_copy, mutation)
    args = ["validate", release_copy] if command == "validate" else ["diff", built, release_copy, "--root", project_dir]
    r = cli(*args, env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert "datapackage.json" in r.text, r


# ============================================================ item 7: zip bombs and odd packages


def _bad_zip(built: Path, dest: Path, kind: str) -> Path:
    target = dest / zip_of(built).name
    shutil.copyfile(zip_of(built), target)
    prefix = built.name
    with zipfile.ZipFile(target, "a") as zf:
        if kind == "bomb":  # 200 MiB of zeros in ~200 KB: 1000:1
            info = zipfile.ZipInfo(f"{prefix}/padding.bin", (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as fh:
                block = b"\0" * MIB
                for _ in range(200):
                    fh.write(block)
        elif kind == "duplicate":
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                zf.writestr(f"{prefix}/figures.csv", "figure_id\nfig-forged\n")
        elif kind == "many-members":
            for i in range(12_000):
                zf.writestr(f"{prefix}/junk/{i}", b"")
        elif kind == "unlisted":
            zf.writestr(f"{prefix}/payload.exe", b"MZ" + b"\0" * 100)
        elif kind == "folder-as-file":  # unpacking it made a file and a folder of one name: FileExistsError
            zf.writestr(zipfile.ZipInfo(f"{prefix}/figures.csv/"), b"")
    if kind in _HEADERS:
        _retold(target, f"{prefix}/figures.csv", _HEADERS[kind])
    return target


#: A member whose central-directory entry says what the zip module cannot unpack (RuntimeError, NotImplementedError).
_HEADERS = {"encrypted": ("flag_bits", 0x1), "unknown-method": ("compress_type", 99)}


def _retold(path: Path, name: str, header: tuple[str, int]) -> None:
    """Write the zip again, member by member, with one header field of ``name`` changed (as a forger's tool could)."""
    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w") as zf:
        for info, data in members:
            zf.writestr(info, data)
        setattr(zf.getinfo(name), header[0], header[1])  # the central directory, written on close, says so


@pytest.mark.parametrize(
    "kind,command",
    [
        # the one zip reader refuses a member over MAX_RATIO and any member datapackage.json does not name
        pytest.param("bomb", "validate", marks=pytest.mark.slow),
        pytest.param("bomb", "diff", marks=pytest.mark.slow),
        pytest.param("duplicate", "validate"),  # the one safe zip reader refuses duplicate names (release/archive.py)
        pytest.param("many-members", "validate", marks=pytest.mark.slow),
        pytest.param("unlisted", "validate"),
        # refused by the one zip reader before the zip module trips on them
        *(pytest.param(kind, command) for kind in ("encrypted", "unknown-method", "folder-as-file") for command in ("validate", "diff")),
    ],
)
def test_hostile_zip_is_refused(built: Path, project_dir: Path, tmp_path: Path, env: dict[str, str], kind: str, command: str) -> None:
    bad = _bad_zip(built, tmp_path, kind)
    args = ["validate", bad] if command == "validate" else ["diff", zip_of(built), bad, "--root", project_dir]
    r = cli(*args, env=env, timeout=45)
    assert_clean_exit(r, 1, timeout=45)
    assert bad.name in r.text, r
    assert not leftovers(tmp_path / "tmp") and not list((tmp_path / "tmp").iterdir()), "extraction left files in TMPDIR"


def test_release_folder_with_symlink_outside_is_refused(release_copy: Path, tmp_path: Path, env: dict[str, str]) -> None:
    member = release_copy / SEED
    outside = outside_secret(tmp_path, "text.txt", member.read_text(encoding="utf-8"))
    member.unlink()
    member.symlink_to(outside)
    r = cli("validate", release_copy, env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert SEED in r.out, r
