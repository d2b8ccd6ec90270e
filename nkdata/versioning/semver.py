"""Versions: parsing, ordering and bumping MAJOR.MINOR.PATCH, and the versions a project declares and has released.

    >>> parse_version("0.2.10")
    (0, 2, 10)
    >>> sort_versions(["0.10.0", "0.2.0", "0.9.1"])
    ['0.2.0', '0.9.1', '0.10.0']
    >>> bump("0.2.1", Level.MINOR)
    '0.3.0'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import IntEnum
from pathlib import Path

from nkdata._version import __version__
from nkdata.errors import UsageError
from nkdata.release.layout import DESCRIPTOR, PACKAGE_DIR, RELEASES_DIR

VERSION_RE = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
VERSION_FILE = f"{PACKAGE_DIR}/_version.py"
_VERSION_PY = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)


class Level(IntEnum):
    """How far a change moves the version; ordered so ``max()`` gives the bump needed."""

    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3


def is_version(text: str) -> bool:
    """Whether ``text`` is a MAJOR.MINOR.PATCH version."""
    return VERSION_RE.match(text) is not None


def parse_version(version: str, what: str = "version") -> tuple[int, int, int]:
    """``"X.Y.Z"`` as ``(X, Y, Z)``; raises UsageError (naming ``what``) for anything else."""
    m = VERSION_RE.match(str(version))
    if not m:
        raise UsageError(f"{what} {version!r} is not a MAJOR.MINOR.PATCH version (e.g. 0.2.0)")
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def sort_versions(versions: Iterable[str]) -> list[str]:
    """Versions oldest first (numerically: 0.10.0 after 0.9.0)."""
    return sorted(versions, key=parse_version)


def bump(version: str, level: Level) -> str:
    """The smallest version after ``version`` that a change of ``level`` allows."""
    major, minor, patch = parse_version(version)
    if level is Level.MAJOR:
        return f"{major + 1}.0.0"
    if level is Level.MINOR:
        return f"{major}.{minor + 1}.0"
    if level is Level.PATCH:
        return f"{major}.{minor}.{patch + 1}"
    return version


def declared_version(root: Path) -> str:
    """The version a project tree declares in its own nkdata/_version.py (read, not imported).

    A tree without that file (e.g. data copied elsewhere) declares the running package's version.
    """
    path = Path(root) / VERSION_FILE
    if path.is_file():
        m = _VERSION_PY.search(path.read_text(encoding="utf-8"))
        if not m:
            raise UsageError(f"{path}: no line '__version__ = \"X.Y.Z\"' found")
        return m.group(1)
    return __version__


def released_versions(root: Path) -> list[str]:
    """Versions recorded in ``data/releases/`` (each with a datapackage.json), oldest first."""
    folder = Path(root) / RELEASES_DIR
    if not folder.is_dir():
        return []
    return sort_versions(p.name for p in folder.iterdir() if is_version(p.name) and (p / DESCRIPTOR).is_file())
