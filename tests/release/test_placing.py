"""``swap_folder``: one way to put a finished folder in place (a site, a recorded release, an unpacked one)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nkdata.release.placing import make_parents, remove_stale, swap_folder


def _folder(path, text):
    path.mkdir()
    (path / "f.txt").write_text(text, encoding="utf-8")
    return path


def test_a_new_folder_is_moved_in_and_an_old_one_removed(tmp_path):
    target = _folder(tmp_path / "site", "old")
    swap_folder(_folder(tmp_path / ".staging", "new"), target, tmp_path / ".staging.old")
    assert (target / "f.txt").read_text(encoding="utf-8") == "new"
    assert sorted(os.listdir(tmp_path)) == ["site"]  # nothing aside, no staging left
    swap_folder(_folder(tmp_path / ".staging", "first"), tmp_path / "absent", tmp_path / ".staging.old")
    assert (tmp_path / "absent" / "f.txt").read_text(encoding="utf-8") == "first"


@pytest.mark.parametrize("kind", ["file", "symlink"])
def test_what_is_there_is_replaced_whatever_it_is(tmp_path, kind):
    """An incomplete unpacked release may be left as a file or a symlink: the folder replaces it (a
    symlink's own target untouched)."""
    elsewhere = _folder(tmp_path / "elsewhere", "keep")
    target = tmp_path / "nkdata-0.3.0"
    if kind == "file":
        target.write_text("partial", encoding="utf-8")
    else:
        target.symlink_to(elsewhere, target_is_directory=True)
    swap_folder(_folder(tmp_path / ".staging", "new"), target, tmp_path / ".staging.old")
    assert target.is_dir() and not target.is_symlink()
    assert (target / "f.txt").read_text(encoding="utf-8") == "new"
    assert (elsewhere / "f.txt").read_text(encoding="utf-8") == "keep"
    assert sorted(os.listdir(tmp_path)) == ["elsewhere", "nkdata-0.3.0"]


def test_a_move_that_fails_puts_the_old_folder_back(tmp_path):
    target = _folder(tmp_path / "site", "old")
    with pytest.raises(FileNotFoundError):
        swap_folder(tmp_path / "no-such-staging", target, tmp_path / ".staging.old")
    assert (target / "f.txt").read_text(encoding="utf-8") == "old"
    assert sorted(os.listdir(tmp_path)) == ["site"]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid  # gone (a new process could take the number only much later)


def test_remove_stale_takes_only_a_gone_process_s_staging_folders(tmp_path):
    dead = _dead_pid()
    gone = _folder(tmp_path / f".nkdata-staging.{dead}.0abc", "half a site")
    mine = _folder(tmp_path / f".nkdata-staging.{os.getpid()}.0abc", "being written")
    other = _folder(tmp_path / ".nkdata-staging.notapid", "someone's")
    a_file = tmp_path / f".nkdata-staging.{dead}.file"
    a_file.write_text("a file, not a staging folder", encoding="utf-8")
    a_link = tmp_path / f".nkdata-staging.{dead}.link"
    a_link.symlink_to(other, target_is_directory=True)
    remove_stale(tmp_path, ".nkdata-staging.")
    assert not gone.exists()
    assert all(p.exists() for p in (mine, other, a_file, a_link)) and (other / "f.txt").is_file()


def test_make_parents_takes_back_what_it_made_when_a_folder_cannot_be_made(tmp_path, monkeypatch):
    from pathlib import Path

    real_mkdir = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if self.name == "c":
            raise OSError(28, "No space left on device")
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    with pytest.raises(OSError, match="No space left"):
        make_parents(tmp_path / "a" / "b" / "c")
    assert list(tmp_path.iterdir()) == []
    assert make_parents(tmp_path / "a" / "b") == [tmp_path / "a" / "b", tmp_path / "a"]  # deepest first
