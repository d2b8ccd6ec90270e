"""Record-level differences between two versions of the data, and the SemVer bump they need.

Either side may be a release folder, a release zip, a ``datapackage.json``, a
released version number, a project root (the working tree, validated and
turned into rows exactly as the build would) or ``none`` (an empty dataset, to
describe a first release). Rows are compared as Arrow/pylist values, one table
at a time, keyed by each table's primary key.

The parts: :mod:`~nkdata.versioning.sides` opens each side,
:mod:`~nkdata.versioning.compare` compares them into a
:class:`~nkdata.versioning.changes.Diff`, :mod:`~nkdata.versioning.report`
formats it, and :mod:`~nkdata.versioning.semver` says which version it needs.

Changes are classified by the Frictionless "Data Package Version" recipe:

- MAJOR: a table or column removed or renamed, a column retyped or re-ordered,
  a required column added, records removed (or re-identified: removed + added),
  a constraint tightened (required, unique, pattern, bounds, fewer enum terms).
- MINOR: tables, records or optional columns added, a constraint relaxed, enum
  terms added.
- PATCH: corrected values or text, changed descriptive metadata.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from nkdata.curated.reader import find_root
from nkdata.errors import UsageError
from nkdata.release.layout import RELEASES_DIR
from nkdata.versioning.changes import Diff
from nkdata.versioning.compare import MAX_DETAILS, compare
from nkdata.versioning.semver import released_versions
from nkdata.versioning.sides import open_side

__all__ = ["diff", "default_old"]


def default_old(root: Path) -> str:
    """The latest release recorded in ``data/releases/`` of the project."""
    found = released_versions(root)
    if not found:
        raise UsageError(f"no release recorded in {Path(root) / RELEASES_DIR}; name OLD explicitly (or 'none')")
    return found[-1]


def diff(
    old: str | Path | None = None,
    new: str | Path | None = None,
    root: Path | str | None = None,
    max_details: int | None = MAX_DETAILS,
) -> Diff:
    """Compare OLD with NEW (defaults: the latest recorded release, and the project at ``root``).

    Field-level changes are kept for at most ``max_details`` changed records per
    table (None: all); the others are reported by id.
    """
    project: Path | None
    try:
        project = find_root(root)
    except UsageError:
        if old is None or new is None:
            raise
        project = None
    with ExitStack() as stack:
        old_side = open_side(old if old is not None else default_old(project), project, stack)  # type: ignore[arg-type]
        new_side = open_side(new if new is not None else project, project, stack)  # type: ignore[arg-type]
        if new is None:
            new_side.label = "working tree"
        return compare(old_side, new_side, max_details)

