"""Everything the site shows, read once from a release and joined: claims with their
figures, sources and entities, texts by source, and the files offered for download.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nkdata.curated.safeopen import NotInside, TooLarge, read_inside
from nkdata.errors import IntegrityError, UsageError
from nkdata.outputs.site.tables import read_tables
from nkdata.release.hashing import sha256_bytes
from nkdata.release.reader import PARQUET_PROPERTY, Release

Row = dict[str, Any]

_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,150}")


def slug(record_id: str) -> str:
    """A file name for a record id: the id itself when it is safe, else a readable part and a hash."""
    if _SAFE.fullmatch(record_id) and record_id not in (".", ".."):
        return record_id
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", record_id)[:60].strip("-.") or "id"
    return f"{cleaned}-{hashlib.sha256(record_id.encode()).hexdigest()[:10]}"


@dataclass(frozen=True)
class Download:
    """A file offered on the home page: its name in the site, its bytes (as read, and checked, once) and sha256."""

    name: str
    data: bytes
    sha256: str
    what: str

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class SiteData:
    """The release as the pages need it: rows by id and the joins between them."""

    release: Release
    claims: list[Row]
    figures: dict[str, Row]
    sources: dict[str, Row]
    entities: dict[str, Row]
    statements: list[Row]
    events: list[Row]
    texts: dict[str, str]  # source_id -> archived text
    downloads: list[Download] = field(default_factory=list)

    @property
    def version(self) -> str:
        return self.release.version

    @property
    def descriptor(self) -> dict[str, Any]:
        return self.release.descriptor

    def name(self, entity_id: str | None) -> str:
        """An entity's name, or its id when the release does not describe it."""
        if entity_id is None:
            return "unknown"
        return str(self.entities.get(entity_id, {}).get("name") or entity_id)

    def claim_figures(self, claim: Row) -> list[Row]:
        return [self.figures[f] for f in claim["figure_ids"] if f in self.figures]

    def originators(self) -> dict[str, list[Row]]:
        """Claims by originator, most claims first."""
        out: dict[str, list[Row]] = defaultdict(list)
        for claim in self.claims:
            out[claim["originator"]].append(claim)
        return dict(sorted(out.items(), key=lambda kv: (-len(kv[1]), self.name(kv[0]))))

    def by_source(self) -> dict[str, dict[str, list[Row]]]:
        """Figures, statements and events by the source that carries them."""
        out: dict[str, dict[str, list[Row]]] = {s: {"figures": [], "statements": [], "events": []} for s in self.sources}
        for table, rows in (("figures", list(self.figures.values())), ("statements", self.statements), ("events", self.events)):
            for row in rows:
                out.setdefault(row["source_id"], {"figures": [], "statements": [], "events": []})[table].append(row)
        return out

    def claim_of_figure(self) -> dict[str, str]:
        return {f: c["claim_id"] for c in self.claims for f in c["figure_ids"]}

    def cutoff(self) -> dt.date | None:
        """Coverage cut-off: the latest day any claim refers to."""
        days = [c.get("date_end") or c.get("date_start") for c in self.claims]
        return max((d for d in days if d is not None), default=None)

    def first_day(self) -> dt.date | None:
        return min((c["date_start"] for c in self.claims if c.get("date_start") is not None), default=None)


#: The most a file beside the release (its zip, its SQLite export) may hold to be offered for download.
MAX_BESIDE = 2 << 30


def _beside(path: Path, folder: Path, what: str) -> Download:
    """A file of the release's folder ``folder`` (not a table: its zip, SQLite export, datapackage.json),
    read only when it is a regular file inside that folder and at most :data:`MAX_BESIDE` bytes."""
    try:
        data = read_inside(path, folder, MAX_BESIDE, "the release's folder")
    except (NotInside, TooLarge) as exc:
        raise IntegrityError(f"{path}: {exc}; the site offers only the release's own files: remove or replace it") from None
    except OSError as exc:
        raise IntegrityError(f"{path}: {exc.strerror or exc}; the site cannot offer it for download") from None
    return Download(path.name, data, sha256_bytes(data), what)


def downloads(release: Release, sqlite: Path | None = None) -> list[Download]:
    """The release zip (when it lies beside the folder), datapackage.json, and every CSV and Parquet
    file, each read through the release reader (inside the release, sha256 and size as datapackage.json
    records them); the SQLite export (``sqlite``, else one that lies beside the folder)."""
    folder = release.folder
    out: list[Download] = []
    name = folder.name
    for candidate, what in ((folder.parent / f"{name}.zip", "the whole release: CSV, Parquet, datapackage.json and texts"),):
        if candidate.is_file():
            out.append(_beside(candidate, folder.parent, what))
    found = [sqlite] if sqlite is not None else sorted(folder.parent.glob(f"{name}.sqlite")) + sorted(folder.parent.glob(f"{name}.db"))
    for candidate in found:
        what = "all tables in one SQLite database (link tables for lists, full-text search; open with datasette or sqlite3)"
        out.append(_beside(candidate, candidate.parent, what))
    out.append(_beside(folder / "datapackage.json", folder, "Frictionless descriptor: tables, columns, hashes"))
    for res in release.resources.values():
        for entry, what in ((res, "CSV"), (res.get(PARQUET_PROPERTY), "Parquet")):
            if entry:
                data = release.read_verified(entry)
                out.append(Download(slug(str(entry["path"])), data, sha256_bytes(data), f"{res['name']} table ({what})"))
    return out


def _sorted_claims(claims: list[Row]) -> list[Row]:
    far = dt.date.max
    return sorted(claims, key=lambda c: (c.get("date_start") or far, c["metric"], c["claim_id"]))


def assemble(release: Release) -> SiteData:
    """Read every table of ``release`` (hashes and columns checked: :func:`read_tables`) into a :class:`SiteData`."""
    tables = {name: table.to_pylist() for name, table in read_tables(release).items()}
    texts_by_path = release.texts()
    sources = {s["source_id"]: s for s in tables["sources"]}
    texts = {sid: texts_by_path[s["text_path"]] for sid, s in sources.items() if s.get("text_path") in texts_by_path}
    return SiteData(
        release=release,
        claims=_sorted_claims(tables["claims"]),
        figures={f["figure_id"]: f for f in tables["figures"]},
        sources=sources,
        entities={e["entity_id"]: e for e in tables["entities"]},
        statements=tables["statements"],
        events=tables["events"],
        texts=texts,
    )


def open_release(release: Path | str | None, project: Path | str | None, workdir: Path) -> Release:
    """The release the site is built from.

    ``release``: a release folder or its datapackage.json. Without it: the project at
    ``project`` (default: the current directory) built into ``workdir``, so that the site
    shows the current data; outside a project, the release embedded in the package.
    """
    if release is not None:
        path = Path(release)
        if path.name == "datapackage.json":
            path = path.parent
        if not (path / "datapackage.json").is_file():
            raise UsageError(f"{path} is not a release folder (no datapackage.json in it); build one with 'nkdata build --out DIR' and pass DIR/nkdata-VERSION")
        return Release(path)
    from nkdata.curated.reader import find_root

    try:
        root = find_root(project)
    except UsageError:
        if project is not None:
            raise
        from nkdata.access.loader import embedded_release

        return embedded_release()
    from nkdata.release.writer import build

    return Release(build(root, workdir))
