"""Opening a curated file (YAML in data/, a text in seeds/) without trusting what the path is.

A pull request can carry a symlink: to a file outside the project (whose contents
would then be read and echoed in problem messages), or to ``/dev/zero`` or
``/dev/urandom`` (which report a size of 0 and never end). So every curated read
goes through :func:`read_inside`: the path must resolve inside ``root`` and be a
regular file, checked before it is opened (a device or FIFO is never opened) and
again on the open descriptor; and at most ``limit + 1`` bytes are read, whatever
``st_size`` says.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

_CHUNK = 1 << 20
_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


class NotInside(Exception):
    """The path resolves outside the root, or is not a regular file (a device, FIFO, socket or folder)."""


class TooLarge(Exception):
    """The file holds more than the limit: ``str()`` says how much ("12,345 bytes", or "more than N bytes"
    when the size is known only from reading, as for a file that grows or lies about its size)."""

    def __init__(self, size: int, exact: bool) -> None:
        super().__init__(f"{size:,} bytes" if exact else f"more than {size - 1:,} bytes")
        self.size = size


def file_kind(mode: int) -> str:
    """What a path that is not a regular file is, as a message says it ("a folder", "a FIFO", ...)."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symlink"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"  # pragma: no cover (doors, ports, whiteouts)


def _plainly_inside(path: Path, root: Path) -> os.stat_result | None:
    """The ``lstat`` of ``path`` when it is spelled as ``root`` and then names (no ``..``) none of which
    is a symlink: it then resolves inside ``root`` without asking ``realpath``, which lstats every part
    from ``/`` for the path and the root alike (most of the time of reading a small YAML file). None
    when ``realpath`` must decide."""
    parts, n = path.parts, len(root.parts)
    if not n or path.is_absolute() != root.is_absolute() or len(parts) <= n or parts[:n] != root.parts or ".." in parts[n:]:
        return None  # "." or "" has no parts that any path could be checked against
    at = str(root)
    for name in parts[n:]:
        at = os.path.join(at, name)
        st = os.lstat(at)
        if stat.S_ISLNK(st.st_mode):
            return None
    return st


def _resolved_inside(path: Path, root: Path, label: str, root_itself: bool) -> Path:
    """Where ``path`` really leads, when that is inside ``root`` (or is ``root``, if ``root_itself``);
    else :class:`NotInside`, saying whether a symlink led it out."""
    real, top = Path(os.path.realpath(path)), Path(os.path.realpath(root))
    if top not in real.parents and not (root_itself and real == top):
        raise NotInside(f"is a symlink leading outside {label}" if os.path.islink(path) else f"resolves outside {label}")
    return real


def check_folder(folder: Path, root: Path, label: str = "the project") -> None:
    """Raise :class:`NotInside` unless ``folder`` (seeds/) resolves inside ``root``: reads checked
    against the folder alone would otherwise follow it out of the project."""
    _resolved_inside(folder, root, label, root_itself=False)


def read_inside(path: Path, root: Path, limit: int, label: str = "the project") -> bytes:
    """The bytes of ``path``, a regular file inside ``root`` (after resolving symlinks), at most ``limit``.

    Raises :class:`NotInside` (its message says why: "is a symlink leading outside the
    project", "is a device", ...; ``label`` names ``root``), :class:`TooLarge`, or
    :class:`OSError` (missing, unreadable).
    """
    st = _plainly_inside(path, root)  # FileNotFoundError for a missing file
    real = path
    if st is None:  # a symlink on the way, or a path not spelled from root: where it really leads decides
        real = _resolved_inside(path, root, label, root_itself=True)  # root itself: "is a folder", below
        st = os.lstat(real)  # FileNotFoundError for a missing file or a dangling symlink
    if not stat.S_ISREG(st.st_mode):
        raise NotInside(f"is {file_kind(st.st_mode)}")
    fd = os.open(real, _FLAGS)  # O_NOFOLLOW + O_NONBLOCK: a swap for a symlink or FIFO since lstat neither follows nor blocks
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotInside(f"is {file_kind(st.st_mode)}")
        if st.st_size > limit:
            raise TooLarge(st.st_size, exact=True)
        chunks: list[bytes] = []
        seen = 0
        while seen <= limit:  # never more than limit + 1 bytes, whatever st_size said
            chunk = os.read(fd, min(_CHUNK, limit + 1 - seen))
            if not chunk:
                break
            chunks.append(chunk)
            seen += len(chunk)
        if seen > limit:
            raise TooLarge(seen, exact=False)
        return b"".join(chunks)
    finally:
        os.close(fd)
