"""nkdata.release.archive: the one zip writer (byte-reproducible) and the one zip reader, whose
rules every caller applies (load of a pinned version, diff, validate, release --check)."""

from __future__ import annotations

import contextlib
import json
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers_release import EMBEDDED, NAME, entries_of, files_of

from nkdata.checks.package import validate_package
from nkdata.errors import IntegrityError
from nkdata.release import archive


def _zip(path: Path, members: list[tuple[str, bytes] | zipfile.ZipInfo]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for m in members:
            if isinstance(m, zipfile.ZipInfo):
                zf.writestr(m, b"" if isinstance(m, _Folder) else b"target.txt")
            else:
                zf.writestr(*m)
    return path


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _special(name: str, kind: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (kind | 0o644) << 16
    return info


class _Folder(zipfile.ZipInfo):
    """A folder entry, written without bytes."""


def _folder(name: str) -> _Folder:
    return _Folder(name)


OK = (f"{NAME}/datapackage.json", b"{}")
BAD = {
    "absolute": ([OK, ("/etc/evil", b"x")], "not a plain relative path"),
    "parent": ([OK, (f"{NAME}/../../evil", b"x")], "a path that leaves its folder"),
    "backslash": ([OK, (f"{NAME}\\..\\evil", b"x")], "not a plain relative path"),
    "drive": ([OK, ("C:/evil", b"x")], "not a plain relative path"),
    "symlink": ([OK, _symlink(f"{NAME}/link")], "a symbolic link"),
    "duplicate": ([OK, OK], "a second member of that name"),
    "fifo": ([OK, _special(f"{NAME}/pipe", stat.S_IFIFO)], "not a regular file or folder"),
    "folder-with-bytes": ([OK, zipfile.ZipInfo(f"{NAME}/seeds/")], "a folder entry holding 10 bytes"),
    "folder-named-as-a-file": ([OK, (f"{NAME}/figures.csv", b"x"), _folder(f"{NAME}/figures.csv/")], f"'{NAME}/figures.csv' is a file, not a folder"),
    "file-under-a-file": ([OK, (f"{NAME}/figures.csv", b"x"), (f"{NAME}/figures.csv/x", b"x")], "is a file, not a folder"),
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


def _tampered(path: Path, change: Callable[[zipfile.ZipInfo], None]) -> Path:
    """A zip whose figures.csv the central directory describes as ``change`` leaves it (as a hand-made zip could)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(*OK)
        zf.writestr(f"{NAME}/figures.csv", b"figure_id\n" * 100)
        change(zf.getinfo(f"{NAME}/figures.csv"))  # written out with the central directory on close
    return path


HEADERS: dict[str, tuple[Callable[[zipfile.ZipInfo], None], str]] = {
    "encrypted": (lambda i: setattr(i, "flag_bits", i.flag_bits | 0x1), "is encrypted"),
    "unknown-method": (lambda i: setattr(i, "compress_type", 99), "compressed with method 99"),
    "claims-more-than-the-file": (lambda i: setattr(i, "compress_size", 10**6), "more than the file's"),
}


@pytest.mark.parametrize("case", sorted(HEADERS))
def test_members_the_zip_module_cannot_unpack_are_refused_before_reading(tmp_path: Path, case: str) -> None:
    change, reason = HEADERS[case]
    path = _tampered(tmp_path / f"{NAME}.zip", change)
    for read in (lambda: archive.extract(path, tmp_path / "out"), lambda: archive.extract_release(path, tmp_path / "out")):
        with pytest.raises(archive.UnsafeZip, match=reason):  # not RuntimeError, NotImplementedError or a bad read
            read()
    assert not (tmp_path / "out").exists()
    assert [p.code for p in validate_package(path)] == ["P802"]


def test_a_corrupt_deflate_stream_is_an_unsafe_zip(tmp_path: Path) -> None:
    path = tmp_path / "z.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{NAME}/a.csv", bytes(range(256)) * 64)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(f"{NAME}/a.csv")
    body = info.header_offset + 30 + len(info.filename)
    data[body : body + 8] = b"\xff" * 8  # deflate block type 3: invalid
    path.write_bytes(bytes(data))
    with pytest.raises(archive.UnsafeZip, match="not a valid zip"):
        archive.read_member(path, f"{NAME}/a.csv")


def test_many_members_each_at_the_ratio_floor_are_a_bomb_all_together(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive, "RATIO_FLOOR", 64 << 10)  # 1 MiB in the code: 64 KiB members stand for 1 MiB ones
    zeros = b"\0" * archive.RATIO_FLOOR  # not over the floor: each member escapes the rule for one member
    members: list[tuple[str, bytes] | zipfile.ZipInfo] = [(f"{NAME}/pad/{i}.bin", zeros) for i in range(40)]
    with zipfile.ZipFile(tmp_path / f"{NAME}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{NAME}/datapackage.json", json.dumps({"resources": [{"name": f"p{i}", "path": f"pad/{i}.bin", "hash": "x"} for i in range(40)]}))
        for name, data in members:  # type: ignore[misc]
            zf.writestr(name, data)
    path = tmp_path / f"{NAME}.zip"
    with pytest.raises(archive.UnsafeZip, match=r"the zip would unpack to [\d,]+ times its compressed size"):
        archive.extract_release(path, tmp_path / "out")
    problems = validate_package(path)
    assert [p.code for p in problems] == ["P802"] and "zip bomb" in problems[0].message
    assert not (tmp_path / "out").exists()


def test_folder_entries_must_hold_listed_files(tmp_path: Path) -> None:
    """A zip made with ``zip -r`` (an entry for each folder) is a release zip; an empty folder is not listed."""
    descriptor = json.dumps({"resources": [{"name": "t", "path": "seeds/t.txt", "hash": "x"}]}).encode()
    files = [(f"{NAME}/datapackage.json", descriptor), (f"{NAME}/seeds/t.txt", b"t")]
    ok = _zip(tmp_path / "ok.zip", [_folder(f"{NAME}/"), _folder(f"{NAME}/seeds/"), *files])
    assert archive.extract_release(ok, tmp_path / "ok") == [f"{NAME}/", f"{NAME}/seeds/", *(n for n, _ in files)]
    junk = _zip(tmp_path / "junk.zip", [*files, *(_folder(f"{NAME}/d{i}/") for i in range(1000))])
    with pytest.raises(archive.UnsafeZip, match=r"unexpected member 'nkdata-[\d.]+/d0/' \(and 999 more\): not named in datapackage.json"):
        archive.extract_release(junk, tmp_path / "junk")
    assert entries_of(tmp_path / "junk") == [NAME, f"{NAME}/datapackage.json"]  # read to know what it lists; nothing else


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
