"""Putting what nkdata writes in place whole: written beside its place, then renamed in.

An output file (``nkdata export sqlite OUT``, ``nkdata plot --out``) replaces what is at its path,
so the path is checked first: a folder, a device, a FIFO, a socket or a symlink is refused (as root,
replacing ``/dev/full`` with a database is not an export), as is a name the system refuses (too
long, a file where a folder should be). Missing folders on the way are created. The file is then
written beside the target and renamed onto it only once complete, so an error leaves nothing
half-written (nor the folders made for it). A folder (a site, a recorded release,
an unpacked one) is written beside its place and swapped in by :func:`swap_folder`. The staging
folder a killed build or site left beside its place (named with its process id) is removed by the
next one: :func:`remove_stale`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

from nkdata.errors import UsageError


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symlink"
    return "not a regular file (a device, FIFO or socket)"


def check_target(target: Path, what: str) -> None:
    """Raise UsageError unless a ``what`` (a "database", a "chart") can be written at ``target``:
    nothing there yet (its missing folders are made when it is written), or a regular file."""
    if target.name in ("", ".", ".."):
        raise UsageError(f"{target} is a folder: give the path of the {what} to write. Nothing was written")
    try:
        st: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:  # a name too long; a file where a folder should be
        raise UsageError(f"{target}: {exc.strerror or exc}: give another path for the {what}. Nothing was written") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise UsageError(
            f"{target} is {_kind(st.st_mode)}: give the path of the {what} to write (a regular file there is replaced whole). Nothing was written"
        )


@contextlib.contextmanager
def replaced_atomically(target: Path, what: str) -> Iterator[Path]:
    """A temporary path beside ``target`` (its missing folders made), renamed onto it only when the
    block ends without error and ``target`` is still a path for a ``what`` (:func:`check_target`);
    otherwise the temporary file goes, and the folders made for it."""
    made = make_parents(target.parent)
    tmp = target.with_name(f".nkdata-staging.{os.getpid()}.{secrets.token_hex(4)}.tmp")  # not from the name: as long as any
    try:
        tmp.open("xb").close()  # created with the umask's permissions, as the final file should be
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        check_target(target, what)  # what is there now, just before it is replaced
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        if not os.path.lexists(target):
            for folder in made:
                with contextlib.suppress(OSError):
                    folder.rmdir()


def make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and its missing parents; the ones created, deepest first (to remove on failure).
    When one cannot be made (a full disk, no permission), those made before it are removed again."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    made: list[Path] = []
    try:
        for parent in reversed(missing):
            parent.mkdir()
            made.insert(0, parent)
    except OSError:
        for parent in made:
            with contextlib.suppress(OSError):
                parent.rmdir()
        raise
    return missing


def swap_folder(staging: Path, target: Path, aside: Path) -> None:
    """Move the complete folder ``staging`` in as ``target``: what was at ``target`` is moved to ``aside``
    first, put back if the move fails, else removed. A reader finds the old folder or the new one, never a
    half-written one. All three are on one file system; ``aside`` is a name the caller's own cleanup of a
    killed run covers (beside its staging folder, or inside it)."""
    if not os.path.lexists(target):
        os.rename(staging, target)
        return
    os.rename(target, aside)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(aside, target)
        raise
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):  # the new folder is in place: what is left of the old one is no failure
            aside.unlink()


def remove_stale(folder: Path, prefix: str) -> None:
    """Remove the folders ``PREFIX + PID + '.' ...`` in ``folder`` whose process is gone: what a killed
    build or site left while staging. A live process's (this one's too) stay, as does any other name."""
    for stale in folder.glob(f"{glob.escape(prefix)}*"):
        pid = stale.name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and stale.is_dir() and not stale.is_symlink() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill would end the process there: keep its folder instead
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but another user's
        return True
    return True
