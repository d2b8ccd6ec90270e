"""Copies of a folder that tests change one at a time, put back after each test.

A fresh copy of the real project (372 files) for each of the ~300 tests that edit one made
a run create and delete ~100k files (1.3 GB); on a disk each costs 0.1–0.3 ms to create and
as much to delete. Instead, each worker makes a copy once and, after every test, puts back
only what the test changed: entries it added are removed, entries it changed or removed
are copied again from the source. A file counts as unchanged only when its type, size,
mode, modification time (kept from the source by ``copy2``, so any write moves it) and
change time (which no call sets back) are all as first copied; folders by type and mode.
If the tree cannot be put back (a folder the test made unreadable, an error), it is
deleted and copied anew.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

Entry = tuple[int, int, int, int, str | None, int]  # type, size, mode, mtime_ns, link target, ctime_ns


def _entry(path: str) -> Entry:
    st = os.lstat(path)
    kind = stat.S_IFMT(st.st_mode)
    if kind == stat.S_IFDIR:  # a folder's size and times change with what it holds: its type and mode are the folder
        return (kind, 0, st.st_mode, 0, None, 0)
    if kind == stat.S_IFLNK:  # a link's own times are when it was made: its target is the link
        return (kind, 0, 0, 0, os.readlink(path), 0)
    # the change time too: no call sets it back (os.utime moves it), so a write hidden by a restored mtime shows
    return (kind, st.st_size, st.st_mode, st.st_mtime_ns, None, st.st_ctime_ns)


def _as_copied(entries: dict[str, Entry]) -> dict[str, Entry]:
    """The entries without their change times (a file copied back has a new one)."""
    return {rel: e[:5] + (0,) for rel, e in entries.items()}


def scan(root: Path) -> dict[str, Entry]:
    """Every entry under ``root`` (not following links), by path relative to it."""
    out: dict[str, Entry] = {}
    stack = [""]
    while stack:
        rel = stack.pop()
        with os.scandir(root / rel if rel else root) as it:
            for e in it:
                sub = f"{rel}/{e.name}" if rel else e.name
                out[sub] = _entry(e.path)
                if e.is_dir(follow_symlinks=False):
                    stack.append(sub)
    return out


class Scratch:
    """One folder made by ``make(folder)`` once, lent to one test at a time and put back after it."""

    def __init__(self, folder: Path, make: Callable[[Path], object]):
        self.folder = folder
        self.pristine = folder.with_name(folder.name + ".pristine")  # the reference the copy is put back from
        self.make = make
        self.pristine.mkdir(parents=True)
        make(self.pristine)
        self._fresh_copy()

    def _fresh_copy(self) -> None:
        if self.folder.exists() or self.folder.is_symlink():
            _force_remove(self.folder)
        shutil.copytree(self.pristine, self.folder, symlinks=True)
        self.manifest = scan(self.folder)

    def restore(self) -> None:
        """Put the folder back as it was first copied (re-copying it whole if that fails)."""
        try:
            self._put_back()
            now = scan(self.folder)
            if _as_copied(now) == _as_copied(self.manifest):
                self.manifest = now  # the change times of what was copied back
                return
        except OSError:
            pass
        self._fresh_copy()

    def _put_back(self) -> None:
        now = scan(self.folder)
        for rel in sorted((r for r, e in now.items() if self.manifest.get(r) != e), key=len, reverse=True):
            if rel in self.manifest and self.manifest[rel][0] == stat.S_IFDIR == now[rel][0]:
                os.chmod(self.folder / rel, stat.S_IMODE(self.manifest[rel][2]))  # the folder stays; its mode goes back
            elif os.path.lexists(self.folder / rel):
                _force_remove(self.folder / rel)
        for rel in sorted(r for r, e in self.manifest.items() if now.get(r) != e):  # parents before children
            src, dst = self.pristine / rel, self.folder / rel
            if os.path.lexists(dst):
                continue  # a folder whose mode was put back
            if src.is_symlink():
                os.symlink(os.readlink(src), dst)
            elif src.is_dir():
                dst.mkdir()
                shutil.copystat(src, dst)
            else:
                shutil.copy2(src, dst)  # its size, mode and modification time as first copied

    @contextmanager
    def lend(self, kept: Callable[[], Path | None]) -> Iterator[Path]:
        """The folder, for one test; afterwards, if ``kept()`` names a place (the test failed), the folder
        as the test left it moves there for a person to look at, and the next test gets a fresh copy."""
        try:
            yield self.folder
        finally:
            dest = kept()
            if dest is not None:
                shutil.move(self.folder, dest)
                self._fresh_copy()
            else:
                self.restore()


def _force_remove(path: Path) -> None:
    """Remove a file, link or folder, whatever modes a test left on it."""
    if path.is_dir() and not path.is_symlink():
        os.chmod(path, 0o700)
        for dirpath, dirnames, _ in os.walk(path):
            for d in dirnames:
                p = os.path.join(dirpath, d)
                if not os.path.islink(p):
                    os.chmod(p, 0o700)
        shutil.rmtree(path)
    else:
        path.unlink()


class ScratchPool:
    """The scratch folders of one worker, by name."""

    def __init__(self, base: Path):
        self.base = base
        self.scratches: dict[str, Scratch] = {}

    @contextmanager
    def lend(self, name: str, make: Callable[[Path], object], kept: Callable[[], Path | None] = lambda: None) -> Iterator[Path]:
        """The folder ``name`` as ``make(folder)`` first made it; put back when the block ends (or moved to
        ``kept()``, when that names a place)."""
        if name not in self.scratches:
            self.scratches[name] = Scratch(self.base / name / "folder", make)
        with self.scratches[name].lend(kept) as folder:
            yield folder


class Loans:
    """One test's access to the pool: what it borrows is kept where ``kept()`` says, if the test failed."""

    def __init__(self, pool: ScratchPool, kept: Callable[[], Path | None]):
        self.pool = pool
        self.kept = kept

    def lend(self, name: str, make: Callable[[Path], object]) -> AbstractContextManager[Path]:
        return self.pool.lend(name, make, self.kept)
