"""Putting what nkdata writes in place whole: written beside its place, then renamed in.

An output file (``nkdata export sqlite OUT``) replaces what is at its path, so the path is checked
first: a folder, a device, a FIFO, a socket or a symlink is refused (as root, replacing
``/dev/full`` with a database is not an export), as is a name the system refuses (too long) or
a folder that does not exist. The file is then written beside the target and renamed onto it
only once complete, so an error leaves nothing half-written. A folder (a site, a recorded release,
an unpacked one) is written beside its place and swapped in by :func:`swap_folder`. What a killed
process left beside a place (its staging folder, named with its process id) is removed by the next
run: :func:`remove_stale`.
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
    """Raise UsageError unless ``target`` is a path a ``what`` (a "database") can be written to: nothing
    there yet, or a regular file, in a folder that exists."""
    if target.name in ("", ".", ".."):
        raise UsageError(f"{target} is a folder: give the path of the {what} to write")
    try:
        st: os.stat_result | None = os.lstat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:  # a name too long; a file where a folder should be
        raise UsageError(f"{target}: {exc.strerror or exc}: give another path for the {what}") from None
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise UsageError(f"{target} is {_kind(st.st_mode)}: give the path of the {what} to write (a regular file there is replaced whole)")
    if not target.parent.is_dir():
        raise UsageError(f"folder {target.parent} does not exist: create it first")


@contextlib.contextmanager
def replaced_atomically(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``, renamed onto it only when the block ends without error."""
    if target.is_dir():
        raise UsageError(f"{target} is a folder: give the path of the file to write")
    if not target.parent.is_dir():
        raise UsageError(f"folder {target.parent} does not exist: create it first")
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    tmp.open("xb").close()  # created with the umask's permissions, as the final file should be
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def swap_folder(staging: Path, target: Path) -> None:
    """Move the complete folder ``staging`` in as ``target`` (both in one folder): what was at ``target`` is
    moved aside first, put back if the move fails, else removed. A reader finds the old folder or the new one,
    never a half-written one; a killed process leaves ``.TARGET.PID.*.old`` beside it at worst."""
    if not os.path.lexists(target):
        os.rename(staging, target)
        return
    aside = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.old"
    os.rename(target, aside)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(aside, target)
        raise
    if aside.is_dir() and not aside.is_symlink():
        shutil.rmtree(aside, ignore_errors=True)
    else:
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
