"""One open for every curated file (issue 10 item 1): inside the root, a regular file, a bounded read.

The attacks through the CLI are in test_hostile_input.py; these pin the function's own
cases, including the ones git cannot carry but a local tree can (FIFOs, files
that grow while read), and the files F704 must leave alone.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from conftest import SRC_001, Project

from nkdata.curated.safeopen import NotInside, TooLarge, read_inside

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="symlinks and FIFOs")


def test_a_regular_file_inside_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes(b"x: 1\n")
    assert read_inside(tmp_path / "a.yaml", tmp_path, 100) == b"x: 1\n"


def test_at_most_the_limit(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes(b"x" * 10)
    assert read_inside(tmp_path / "a.yaml", tmp_path, 10) == b"x" * 10
    with pytest.raises(TooLarge, match="^10 bytes"):
        read_inside(tmp_path / "a.yaml", tmp_path, 9)


def test_a_size_that_lies_is_not_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Devices report 0 bytes; a file may grow after fstat: the read itself stops at limit + 1."""
    (tmp_path / "a.yaml").write_bytes(b"x" * 5000)
    real_fstat = os.fstat

    def fstat(fd: int) -> os.stat_result:
        st = list(real_fstat(fd))
        st[6] = 0  # st_size
        return os.stat_result(st)

    monkeypatch.setattr(os, "fstat", fstat)
    reads: list[int] = []
    real_read = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: reads.append(n) or real_read(fd, n))
    with pytest.raises(TooLarge, match="more than 99 bytes"):
        read_inside(tmp_path / "a.yaml", tmp_path, 99)
    assert sum(reads) <= 100


@posix_only
def test_symlinks_inside_are_followed_outside_refused(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "real.yaml").write_bytes(b"ok\n")
    (root / "alias.yaml").symlink_to("real.yaml")
    assert read_inside(root / "alias.yaml", root, 100) == b"ok\n"
    (tmp_path / "secret.yaml").write_bytes(b"secret\n")
    (root / "out.yaml").symlink_to(tmp_path / "secret.yaml")
    with pytest.raises(NotInside, match="symlink leading outside"):
        read_inside(root / "out.yaml", root, 100)
    (root / "sub").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(NotInside, match="resolves outside"):
        read_inside(root / "sub" / "secret.yaml", root, 100)


@posix_only
def test_devices_fifos_and_folders_are_not_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)  # no writer: opening it for reading without O_NONBLOCK would block for ever
    with pytest.raises(NotInside, match="FIFO"):
        read_inside(fifo, tmp_path, 100)
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(NotInside, match="folder"):
        read_inside(tmp_path / "dir.yaml", tmp_path, 100)
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    with pytest.raises(NotInside):
        read_inside(tmp_path / "zero.yaml", Path("/"), 100)  # inside the root, but a device


def test_missing_and_dangling_are_os_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_inside(tmp_path / "nope.yaml", tmp_path, 100)
    if sys.platform != "win32":
        (tmp_path / "dangling.yaml").symlink_to("nope.yaml")
        with pytest.raises(FileNotFoundError):
            read_inside(tmp_path / "dangling.yaml", tmp_path, 100)


@posix_only
def test_fifo_in_data_sources_is_y106_at_once(project: Project) -> None:
    os.mkfifo(project.path("data/sources/zz.yaml"))
    problems = project.validate()
    assert [(p.code, p.path) for p in problems] == [("Y106", "data/sources/zz.yaml")], problems


@posix_only
def test_fifo_as_seed_text_is_t503(project: Project) -> None:
    seed = project.read(SRC_001).split("text_path: ")[1].split()[0]
    project.path(seed).unlink()
    os.mkfifo(project.path(seed))
    assert "T503" in {p.code for p in project.validate()}


def test_f704_leaves_releases_hidden_and_read_files_alone(project: Project) -> None:
    project.write("data/releases/notes.yaml", "x: 1\n")
    project.write("data/.draft.yaml", "x: 1\n")
    project.write("data/.cache/x.yaml", "x: 1\n")
    project.write("data/extra/more.yml", "x: 1\n")
    assert [(p.code, p.path) for p in project.validate()] == [("F704", "data/extra/more.yml")]
