"""Building a release: CSV + Parquet + datapackage.json (+ archived texts), and its zip.

Reproducible (same data → same bytes: sorted rows, fixed zip timestamps, stable
writer settings, ``created`` from data/package.yaml), atomic (everything is
written to a staging folder and renamed into place), and immutable (a release
folder that exists with different content is never overwritten).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from nkdata._version import __version__
from nkdata.checks.validation import CheckedProject, load_valid
from nkdata.curated.package_meta import PackageMeta
from nkdata.errors import BuildError
from nkdata.release.archive import write_zip
from nkdata.release.card import card_resources, read_changelog_entry, write_card
from nkdata.release.files import source_entry, text_resources
from nkdata.release.hashing import sha256_file
from nkdata.release.layout import DESCRIPTOR, PARQUET_PROPERTY, release_name, zip_name
from nkdata.release.placing import remove_stale
from nkdata.release.rows import csv_lines, rows_from_project, rows_to_arrow
from nkdata.spec import claims
from nkdata.spec.columns import csv_cell
from nkdata.spec.models import MODELS
from nkdata.spec.schema import all_schemas

__all__ = ["build", "write_release", "write_tables", "write_csv", "write_parquet", "describe", "write_descriptor"]

PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
ROW_GROUP_SIZE = 128 * 1024  # rows; large enough for scans, small enough to skip with statistics
Rows = dict[str, list[dict[str, Any]]]


def write_csv(path: Path, table: str, rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` of ``table`` as its CSV file (header from the Table Schema, cells as the schema encodes them)."""
    fields = all_schemas()[table]["fields"]
    cells = ([csv_cell(row.get(f["name"]), f["type"]) for f in fields] for row in rows)
    path.write_bytes(csv_lines([f["name"] for f in fields], cells).encode("utf-8"))


def write_parquet(path: Path, table: str, rows: list[dict[str, Any]], row_group_size: int | None = None) -> None:
    """Write ``rows`` of ``table`` as its Parquet file (zstd, statistics, stable writer settings).

    ``row_group_size`` (default :data:`ROW_GROUP_SIZE`) is for tests and benchmarks: a small one gives
    a small package several row groups.
    """
    import pyarrow.parquet as pq

    pq.write_table(
        rows_to_arrow(table, rows),
        path,
        compression="zstd",
        compression_level=9,
        row_group_size=row_group_size or ROW_GROUP_SIZE,
        write_statistics=True,
        use_dictionary=True,
        data_page_version="2.0",
        version="2.6",
    )


def _file_entry(folder: Path, rel: str) -> dict[str, Any]:
    path = folder / rel
    return {"path": rel, "hash": f"sha256:{sha256_file(path)}", "bytes": path.stat().st_size}


def write_tables(folder: Path, rows: Rows, row_group_size: int | None = None) -> None:
    """Write every table's CSV and Parquet file into ``folder``."""
    for table in all_schemas():
        write_csv(folder / f"{table}.csv", table, rows[table])
        write_parquet(folder / f"{table}.parquet", table, rows[table], row_group_size)


#: What each table resource says of its licence: the package's (CC BY 4.0) covers nkdata's work, and
#: the columns that quote the archived texts verbatim are named, because the quoted words are not ours.
QUOTES_NOTE = (
    "Licensed as the package is ({licence}) as nkdata's curation; its columns {columns} quote the archived "
    "source texts verbatim, and those words remain their publishers' (see each text's own licence entry)."
)


def quoted_columns(schema: Mapping[str, Any]) -> list[str]:
    """The columns of a Table Schema that hold a source's own words, verbatim (by their description)."""
    return [f["name"] for f in schema["fields"] if f["type"] == "string" and "categories" not in f and "verbatim" in f["description"].lower()]


def table_resource(folder: Path, table: str, schema: dict[str, Any], licenses: list[dict[str, Any]]) -> dict[str, Any]:
    """The resource of one table: its CSV (hash, bytes, schema) and its Parquet twin (a custom property)."""
    entry = _file_entry(folder, f"{table}.csv")
    parquet = _file_entry(folder, f"{table}.parquet")
    parquet["mediatype"] = "application/vnd.apache.parquet"
    description = MODELS[table].caption if table in MODELS else claims.CAPTION
    quoted = quoted_columns(schema)
    if quoted:
        licence = ", ".join(str(x.get("name") or x.get("title") or x.get("path")) for x in licenses)
        description += " " + QUOTES_NOTE.format(licence=licence, columns=", ".join(quoted))
    # Each table's rows come from the archived texts the sources table lists; the claims table
    # is derived from the figures table.
    origin = (
        {"title": "Derived from the figures table", "path": "figures.csv"}
        if table == claims.TABLE
        else {"title": "The archived source texts listed in the sources table", "path": "sources.csv"}
    )
    return {
        "name": table,
        "type": "table",
        "title": table.capitalize(),
        "description": description,
        "path": entry["path"],
        "scheme": "file",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": {"delimiter": ",", "quoteChar": '"', "header": True},
        "hash": entry["hash"],
        "bytes": entry["bytes"],
        "licenses": licenses,
        "sources": [origin],
        "schema": schema,
        PARQUET_PROPERTY: parquet,
    }


def describe(folder: Path, meta: Mapping[str, Any], rows: Rows, version: str, files: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """The datapackage.json of the files written in ``folder``: ``meta`` is data/package.yaml's content;
    ``files`` the resources of other files written there (:func:`nkdata.release.files.file_resource`),
    declared after the tables and before the archived texts."""
    if meta.get("release_date") is None:
        raise BuildError("data/package.yaml has no release_date: set it to the day this release is cut (YYYY-MM-DD)")
    package = PackageMeta.model_validate(dict(meta))
    licenses = [dict(x) for x in meta.get("licenses", [])]  # as written, in data/package.yaml's key order
    entity_names = {str(e["entity_id"]): str(e["name"]) for e in rows["entities"]}
    resources = [table_resource(folder, table, schema, licenses) for table, schema in all_schemas().items()]
    resources += [dict(f) for f in files]
    resources += text_resources(folder, rows["sources"], entity_names)
    head: dict[str, Any] = {"$schema": PROFILE, "name": package.name}
    if package.homepage:
        # A stable identifier of this version: the page of its GitHub release, where its assets are
        # published; it never changes once the version is released (no DOI has been minted yet).
        head["id"] = f"{package.homepage}/releases/tag/v{version}"
    return head | {
        "title": package.title,
        "description": package.description,
        "version": version,
        "created": f"{package.release_date.isoformat()}T00:00:00Z",
        **({"homepage": package.homepage} if package.homepage else {}),
        "keywords": list(package.keywords),
        # The package's licences are those of its tables (each table repeats them); the archived
        # texts carry their own (files.TEXT_LICENSES).
        "licenses": licenses,
        "contributors": [dict(c) for c in meta.get("contributors", [])],
        "sources": [source_entry(r, entity_names) for r in rows["sources"]],
        "resources": resources,
    }


def write_descriptor(folder: Path, meta: Mapping[str, Any], rows: Rows, version: str, files: Sequence[dict[str, Any]] = ()) -> None:
    """Write ``folder``'s datapackage.json (after its data files, texts and ``files``, whose hashes it records)."""
    descriptor = describe(folder, meta, rows, version, files)
    (folder / DESCRIPTOR).write_text(json.dumps(descriptor, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_release(folder: Path, checked: CheckedProject, version: str = __version__) -> None:
    """Write every file of a release into an empty ``folder``."""
    rows = rows_from_project(checked)
    write_tables(folder, rows)
    for r in rows["sources"]:
        target = folder / r["text_path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(checked.curated.root / r["text_path"], target)
    write_card(folder, checked.curated.root, checked.curated.package, rows, version)  # README.md, LICENSE-DATA, ...
    write_descriptor(folder, checked.curated.package, rows, version, card_resources(folder))


def _differences(a: Path, b: Path) -> list[str]:
    files_a = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()}
    diff = sorted(files_a ^ files_b)
    diff += sorted(f for f in files_a & files_b if (a / f).read_bytes() != (b / f).read_bytes())
    return diff


def _stage(folder: Path, new_zip: Path, checked: CheckedProject, version: str, progress: Callable[[str, int, int], None] | None) -> tuple[Path, Path]:
    """Write the release folder and its zip in the staging area."""
    folder.mkdir()
    write_release(folder, checked, version)
    if progress is not None:
        progress("writing the release", 1, 2)
    write_zip(folder, new_zip)
    if progress is not None:
        progress("writing the release", 2, 2)
    return folder, new_zip


def _refuse_a_different_release(folder: Path, new_zip: Path, final: Path, final_zip: Path, version: str) -> None:
    """BuildError when ``out`` already holds release ``version`` with other content (released versions never change)."""
    if final.exists():
        changed = _differences(final, folder)
        if changed:
            raise BuildError(
                f"{final} already holds release {version} with different content ({', '.join(changed[:5])}"
                f"{', ...' if len(changed) > 5 else ''}); released versions never change: "
                "raise the version in nkdata/_version.py (nkdata diff --check-version says how far) or build into another folder"
            )
    if final_zip.exists() and final_zip.read_bytes() != new_zip.read_bytes():
        raise BuildError(f"{final_zip} exists with different content; released versions never change")


def _place(folder: Path, new_zip: Path, final: Path, final_zip: Path) -> None:
    """Move the staged folder and zip into place (an identical one already there stays), the zip last."""
    placed: Path | None = None
    try:
        if not final.exists():
            os.replace(folder, final)
            placed = final
        if not final_zip.exists():
            os.replace(new_zip, final_zip)
    except BaseException:
        if placed is not None:  # the zip could not follow the folder: take the folder back out
            shutil.rmtree(placed, ignore_errors=True)
        raise


def build(
    path: Path | str | None = None,
    out: Path | str = "dist",
    version: str = __version__,
    progress: Callable[[str, int, int], None] | None = None,
) -> Path:
    """Validate a curated project and build a release of it.

    Writes ``out/nkdata-VERSION/`` (CSV and Parquet per table, archived texts, the data card
    ``README.md`` with ``LICENSE-DATA``, ``data-dictionary.md``, ``CITATION.cff`` and this version's
    ``CHANGELOG.md`` entry, ``datapackage.json`` with every file's sha256) and its zip: reproducibly (same data, same bytes), atomically (a
    failed build leaves nothing), never overwriting a different release of that version.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The project root, the folder holding ``data/`` itself (a folder inside the project is refused).
        Default: the current directory.
    out : str or pathlib.Path
        Where the release folder and zip go (created if needed). Default: ``dist``.
    version : str
        The release's version. Default: this package's version.
    progress : callable, optional
        Called as ``progress(label, done, total)`` as the work advances.

    Returns
    -------
    pathlib.Path
        The release folder, ``out/nkdata-VERSION``.

    Raises
    ------
    ValidationFailed
        The data has problems (all of them in ``exc.problems``); nothing is written.
    BuildError
        ``out`` holds a different release of that version, ``CHANGELOG.md`` has no entry for
        ``version``, or ``data/package.yaml`` has no ``release_date``; nothing is written.
    UsageError
        ``path`` is not a project root.

    Examples
    --------
    >>> import tempfile, nkdata
    >>> folder = nkdata.build(".", out=tempfile.mkdtemp(), version="0.3.0")
    >>> folder.name, sorted(p.name for p in folder.parent.iterdir() if not p.name.startswith("."))
    ('nkdata-0.3.0', ['nkdata-0.3.0', 'nkdata-0.3.0.zip'])
    """
    checked = load_valid(path, progress)
    read_changelog_entry(checked.curated.root, version)  # a release carries its changelog entry: refuse before writing
    if progress is not None:
        progress("writing the release", 0, 2)
    return _write_atomically(Path(out), checked, version, progress)


def _write_atomically(out_dir: Path, checked: CheckedProject, version: str, progress: Callable[[str, int, int], None] | None) -> Path:
    """Stage the release beside its final place, refuse a different one already there, then move it in."""
    name = release_name(version)
    final, final_zip = out_dir / name, out_dir / zip_name(version)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        remove_stale(out_dir, f".{name}.")  # a killed build's leftovers
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.{os.getpid()}.", dir=out_dir))
    except OSError as exc:
        raise BuildError(f"cannot write to {out_dir}: {exc.strerror or exc}; give --out a folder you can write to. Nothing was written") from None
    try:
        folder, new_zip = _stage(staging / name, staging / final_zip.name, checked, version, progress)
        _refuse_a_different_release(folder, new_zip, final, final_zip, version)  # before placing anything
        _place(folder, new_zip, final, final_zip)
    except OSError as exc:  # a full disk, a file too large, a name too long: one line, nothing left
        where = exc.filename or out_dir
        raise BuildError(f"cannot write the release to {out_dir} ({where}: {exc.strerror or exc}). Nothing was written") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final
