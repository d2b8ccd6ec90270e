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

from nkdata.curated.safeopen import NotInside, TooLarge, check_folder, read_inside

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


def test_dot_dot_and_roots_spelled_otherwise_are_resolved_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check that skips realpath takes only root/name/name...; anything else is resolved: a ``..``,
    a root of no parts ("." or ""), a path absolute where the root is relative."""
    root = tmp_path / "root"
    (root / "seeds").mkdir(parents=True)
    (root / "seeds" / "a.txt").write_bytes(b"ok\n")
    (tmp_path / "secret.txt").write_bytes(b"secret\n")
    with pytest.raises(NotInside, match="resolves outside"):
        read_inside(root / ".." / "secret.txt", root, 100)
    with pytest.raises(NotInside, match="resolves outside"):
        read_inside(root / "seeds" / ".." / ".." / "secret.txt", root / "seeds", 100)
    assert read_inside(root / "seeds" / ".." / "seeds" / "a.txt", root, 100) == b"ok\n"  # resolved, and inside
    monkeypatch.chdir(root)
    for dot in (Path("."), Path("")):
        with pytest.raises(NotInside, match="resolves outside"):
            read_inside(tmp_path / "secret.txt", dot, 100)
        assert read_inside(Path("seeds/a.txt"), dot, 100) == b"ok\n"
    with pytest.raises(NotInside, match="resolves outside"):
        read_inside(tmp_path / "secret.txt", Path("seeds"), 100)
    assert read_inside(root / "seeds" / "a.txt", Path("seeds"), 100) == b"ok\n"  # absolute, relative root: resolved


@posix_only
def test_a_folder_must_resolve_inside_its_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "archive").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    check_folder(root / "seeds", root)  # not made yet: where it would be is inside
    check_folder(root / "archive", root)
    (root / "seeds").symlink_to("archive", target_is_directory=True)
    check_folder(root / "seeds", root)  # a symlink that stays inside is a folder of the project
    (root / "seeds").unlink()
    (root / "seeds").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(NotInside, match="symlink leading outside"):
        check_folder(root / "seeds", root)
    with pytest.raises(NotInside, match="resolves outside"):
        check_folder(root / ".." / "elsewhere", root)
    with pytest.raises(NotInside):
        check_folder(root, root)  # the root itself is not a folder inside it


@posix_only
def test_seeds_linked_out_of_the_project_is_t503_for_every_text_and_nothing_is_read(project: Project, tmp_path: Path) -> None:
    """seeds/ itself a symlink to a copy of the texts outside the project: each text is refused, none read."""
    outside = tmp_path / "outside-seeds"
    os.rename(project.path("seeds"), outside)
    project.path("seeds").symlink_to(outside, target_is_directory=True)
    changed = sorted(outside.glob("*.txt"))[0]
    changed.write_bytes(changed.read_bytes() + b"!")  # read, it would be a T501
    problems = project.validate()
    t503 = [p for p in problems if p.code == "T503"]
    assert t503 and all("seeds/ is a symlink leading outside the project" in p.message for p in t503), problems
    sources = len(list(project.path("data/sources").glob("*.yaml")))
    assert len(t503) == sources
    assert not [p for p in problems if p.code == "T501"], problems  # no text was read, so none was compared


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
