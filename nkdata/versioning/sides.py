"""The two sides of a diff: whatever the user names (a release folder or zip, a
``datapackage.json``, a released version, a project root or ``none``) opened as
a :class:`Side` whose tables are read as Arrow.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nkdata.errors import IntegrityError, UsageError
from nkdata.release import archive
from nkdata.release.descriptor import load_descriptor
from nkdata.release.hashing import recorded_sha256, sha256_file
from nkdata.release.layout import DESCRIPTOR, PARQUET_PROPERTY, RELEASES_DIR, digest_name, zip_name
from nkdata.release.reader import Release
from nkdata.versioning.semver import declared_version, is_version

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

#: Descriptor properties compared as metadata (``created``, ``sources``, hashes and bytes follow from the data).
META_KEYS = ("title", "description", "keywords", "licenses", "contributors")


@dataclass
class Side:
    """One version of the data: what it is called, its version, metadata, schemas and rows."""

    label: str
    version: str
    meta: dict[str, Any]
    schemas: dict[str, dict[str, Any]]
    read: Callable[[str], pa.Table]


def _descriptor_meta(descriptor: dict[str, Any]) -> dict[str, Any]:
    return {"name": descriptor.get("name")} | {k: descriptor.get(k) for k in META_KEYS}


def _release_side(folder: Path, label: str) -> Side:
    release = Release(folder)
    schemas = {name: res.get("schema", {}) for name, res in release.resources.items()}

    def read(table: str) -> pa.Table:
        return _real_dates(release.arrow(table), folder / str(release.resources[table][PARQUET_PROPERTY]["path"]))

    return Side(label, release.version, _descriptor_meta(release.descriptor), schemas, read)


def _real_dates(table: pa.Table, path: Path) -> pa.Table:
    """``table``, once each of its dates is a calendar day: a Parquet date32 can hold days no date
    is (years past 9999), which the rows could not be compared with."""
    import pyarrow as pa

    from nkdata.spec.columns import impossible_dates

    for name in table.column_names:
        if pa.types.is_date32(table.schema.field(name).type) and impossible_dates(table[name]).any():
            what = f"column {name!r} holds a day that is not a real date (years run from 1 to 9999)"
            raise IntegrityError(f"{path}: {what}; the release is damaged: build or download it again")
    return table


def _zip_side(zip_path: Path, label: str, stack: ExitStack) -> Side:
    """Unpack a release zip into a temporary folder (removed afterwards) and open it."""
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nkdata-diff-")))
    names = archive.extract_release(zip_path, tmp)
    if not names:
        raise UsageError(f"{zip_path} is not an nkdata release zip: no datapackage.json in it")
    return _release_side(tmp / names[0].split("/", 1)[0], label)


def _project_side(root: Path, label: str) -> Side:
    """The working tree: validated, then rows exactly as the build writes them."""
    from nkdata.checks.validation import load_valid
    from nkdata.release.rows import rows_from_project, rows_to_arrow
    from nkdata.spec.schema import all_schemas

    checked = load_valid(root)  # ValidationFailed carries every problem
    rows = rows_from_project(checked)
    pkg = checked.curated.package
    meta = {
        "name": pkg.get("name", "nkdata"),
        "title": pkg.get("title", "nkdata"),
        "description": pkg.get("description", ""),
        "keywords": list(pkg.get("keywords", [])),
        "licenses": list(pkg.get("licenses", [])),
        "contributors": list(pkg.get("contributors", [])),
    }
    return Side(label, declared_version(root), meta, all_schemas(), lambda table: rows_to_arrow(table, rows[table]))


def _empty_side() -> Side:
    def read(table: str) -> pa.Table:  # pragma: no cover - an empty side has no tables to read
        raise KeyError(table)

    return Side("none (empty)", "0.0.0", {}, {}, read)


def _recorded_zip(folder: Path, version: str) -> Path | None:
    """``data/releases/<v>/nkdata-<v>.zip``, checked against the sha256 recorded beside it."""
    zip_path = folder / zip_name(version)
    if not zip_path.is_file():
        return None
    digest_file = folder / digest_name(version)
    expected = recorded_sha256(digest_file)
    if expected is not None and sha256_file(zip_path) != expected:
        raise IntegrityError(f"{zip_path}: sha256 differs from {digest_file.name}; the recorded release was altered")
    return zip_path


def _release_folder_side(folder: Path, label: str, stack: ExitStack) -> Side:
    """A folder holding datapackage.json: a full release, or a recorded one (descriptor + zip)."""
    descriptor = load_descriptor(folder / DESCRIPTOR)
    resources = descriptor["resources"]
    if resources and all((folder / r.get("path", "")).is_file() for r in resources):
        return _release_side(folder, label)
    version = descriptor.get("version")
    if not isinstance(version, str) or not is_version(version):  # it names the zip: no path of the descriptor's choosing
        raise IntegrityError(f"{folder / DESCRIPTOR}: 'version' is {version!r}, not a MAJOR.MINOR.PATCH version; the release is damaged")
    zip_path = _recorded_zip(folder, version)
    if zip_path is None:
        raise UsageError(f"{folder} has a datapackage.json but neither the data files nor {zip_name(version)}: cannot read its records")
    return _zip_side(zip_path, label, stack)


def open_side(spec: str | Path, root: Path | None, stack: ExitStack) -> Side:
    """Resolve what the user named: ``none``, a path (project, release folder, zip, datapackage.json) or a version."""
    text = str(spec)
    if text == "none":
        return _empty_side()
    path = Path(text)
    if path.is_dir():
        if (path / "data").is_dir():
            return _project_side(path.resolve(), f"working tree {path}")
        if (path / DESCRIPTOR).is_file():
            return _release_folder_side(path, str(path), stack)
        raise UsageError(f"{path} is neither a project root (no data/ folder) nor a release folder (no datapackage.json)")
    if path.is_file():
        if path.suffix == ".zip":
            return _zip_side(path, str(path), stack)
        if path.suffix == ".json":
            return _release_folder_side(path.parent, str(path), stack)
        raise UsageError(f"{path} is not a release zip or datapackage.json")
    if is_version(text):
        if root is not None:
            recorded = Path(root) / RELEASES_DIR / text
            zip_path = _recorded_zip(recorded, text) if recorded.is_dir() else None
            if zip_path is not None:
                return _zip_side(zip_path, f"release {text}", stack)
        from nkdata.access.loader import resolve

        return _release_side(resolve(text).folder, f"release {text}")
    raise UsageError(
        f"{text!r} is not a project root, release folder, zip, datapackage.json or released version (X.Y.Z); "
        "pass 'none' for an empty dataset"
    )

