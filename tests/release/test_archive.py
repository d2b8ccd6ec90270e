"""nkdata.release.archive: the one zip writer (byte-reproducible) and the one zip reader, whose
rules every caller applies (load of a pinned version, diff, validate, release --check)."""

from __future__ import annotations

import contextlib
import stat
import zipfile
from pathlib import Path

import pytest
from helpers_release import EMBEDDED, NAME, files_of

from nkdata.checks.package import validate_package
from nkdata.errors import IntegrityError
from nkdata.release import archive


def _zip(path: Path, members: list[tuple[str, bytes] | zipfile.ZipInfo]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for m in members:
            if isinstance(m, zipfile.ZipInfo):
                zf.writestr(m, b"target.txt")
            else:
                zf.writestr(*m)
    return path


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


OK = (f"{NAME}/datapackage.json", b"{}")
BAD = {
    "absolute": ([OK, ("/etc/evil", b"x")], "not a plain relative path"),
    "parent": ([OK, (f"{NAME}/../../evil", b"x")], "a path that leaves its folder"),
    "backslash": ([OK, (f"{NAME}\\..\\evil", b"x")], "not a plain relative path"),
    "drive": ([OK, ("C:/evil", b"x")], "not a plain relative path"),
    "symlink": ([OK, _symlink(f"{NAME}/link")], "a symbolic link"),
    "duplicate": ([OK, OK], "a second member of that name"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_each_rule_refuses_the_zip_and_extracts_nothing(tmp_path: Path, case: str) -> None:
    members, reason = BAD[case]
    with pytest.warns(UserWarning) if case == "duplicate" else contextlib.nullcontext():
        path = _zip(tmp_path / "bad.zip", members)
    dest = tmp_path / "out"
    with pytest.raises(archive.UnsafeZip, match=reason) as info:
        archive.extract(path, dest)
    assert isinstance(info.value, IntegrityError) and reason in info.value.reason
    assert not dest.exists()
    with pytest.raises(archive.UnsafeZip, match=reason):
        archive.read_member(path, OK[0])
    problems = validate_package(path)  # nkdata validate on the zip: one problem naming it, no traceback
    assert [p.code for p in problems] == ["P802"] and problems[0].path == str(path) and reason in problems[0].message


def test_member_count_size_and_folder_caps(tmp_path: Path) -> None:
    path = _zip(tmp_path / "a.zip", [OK, (f"{NAME}/a.csv", b"x" * 1000)])
    with pytest.raises(archive.UnsafeZip, match="2 members, more than the 1 allowed"):
        archive.extract(path, tmp_path / "out", max_members=1)
    with pytest.raises(archive.UnsafeZip, match="more than the 100 allowed"):
        archive.extract(path, tmp_path / "out", max_bytes=100)
    with pytest.raises(archive.UnsafeZip, match="outside nkdata-9.9.9/"):
        archive.extract(path, tmp_path / "out", top="nkdata-9.9.9")
    two = _zip(tmp_path / "two.zip", [OK, ("nkdata-0.0.0/datapackage.json", b"{}")])
    with pytest.raises(archive.UnsafeZip, match="not an nkdata release zip"):
        archive.extract(two, tmp_path / "out", single_top=True)
    assert not (tmp_path / "out").exists()
    assert archive.extract(path, tmp_path / "out", top=NAME, single_top=True) == [OK[0], f"{NAME}/a.csv"]
    assert (tmp_path / "out" / NAME / "a.csv").read_bytes() == b"x" * 1000


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "x.zip"
    path.write_bytes(b"PK not really")
    with pytest.raises(archive.UnsafeZip, match="not a valid zip"):
        archive.extract(path, tmp_path / "out")
    with pytest.raises(archive.UnsafeZip, match="not a valid zip"):
        archive.read_member(path, "anything")


def test_the_writer_is_reproducible_and_its_zip_passes_the_reader(tmp_path: Path) -> None:
    archive.write_zip(EMBEDDED, tmp_path / "a.zip")
    archive.write_zip(EMBEDDED, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    archive.extract(tmp_path / "a.zip", tmp_path / "out", top=NAME, single_top=True)
    assert files_of(tmp_path / "out" / NAME) == files_of(EMBEDDED)
    assert archive.read_member(tmp_path / "a.zip", f"{NAME}/datapackage.json") == (EMBEDDED / "datapackage.json").read_bytes()
    assert archive.read_member(tmp_path / "a.zip", f"{NAME}/missing") is None
