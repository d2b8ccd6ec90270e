"""``nkdata.load()``: the data as pandas, Arrow or polars, from the release in the wheel
or a pinned, hash-verified release.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from nkdata._version import __version__
from nkdata.errors import DataNotAvailable, UsageError
from nkdata.release.reader import Release

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

Format = Literal["pandas", "arrow", "polars"]
FORMATS = ("pandas", "arrow", "polars")
EMBEDDED_DIR = "_release"
CLAIMS = "claims"
TIMELINE = "timeline"  # the name of the claims table before 0.3.0, kept as a deprecated alias


def _claims_name(name: str) -> str:
    """``timeline`` is the deprecated name of ``claims`` (one row per claim): warn and use the new name."""
    if name == TIMELINE:
        warnings.warn("'timeline' is now the 'claims' table: use load('claims') or Dataset.claims", DeprecationWarning, stacklevel=3)
        return CLAIMS
    return name


def _derived_claims(tables: Mapping[str, pa.Table]) -> pa.Table:
    """The claims table of a release older than it, derived from its figures (nkdata.release.claims)."""
    from nkdata.release.rows import claims_table

    return claims_table(tables)


def embedded_path() -> Path:
    return Path(str(resources.files("nkdata").joinpath(EMBEDDED_DIR, f"nkdata-{__version__}")))


@lru_cache(maxsize=1)
def embedded_release() -> Release:
    """The release shipped inside this package (the one that matches ``nkdata.__version__``)."""
    path = embedded_path()
    if not (path / "datapackage.json").is_file():
        raise DataNotAvailable(
            f"this nkdata {__version__} has no embedded release at {path}; "
            "in a source checkout run 'nkdata release' (or install the package from PyPI)"
        )
    return Release(path)


def resolve(version: str | None = None, mirror: str | None = None) -> Release:
    """The release folder for ``version``: embedded, cached, or downloaded and verified."""
    if version is None or version == __version__:
        return embedded_release()
    from nkdata.access.fetch import fetch_zip, unpack

    return Release(unpack(fetch_zip(version, mirror), version))


def convert(table: pa.Table, fmt: str) -> Any:
    """An Arrow table in the requested format, typed as its schema says."""
    if fmt == "arrow":
        return table
    if fmt == "pandas":
        from nkdata.spec.columns import pandas_dtype  # nullable Int64, Arrow-backed lists and dates

        # In this thread: Arrow's CPU pool buys nothing for tables this small, and its
        # workers should not outlive the call (see Release.arrow and apache/arrow#34314).
        return table.to_pandas(types_mapper=pandas_dtype, use_threads=False)
    if fmt == "polars":
        try:
            import polars as pl
        except ImportError:
            raise UsageError("format='polars' needs polars: pip install 'nkdata[polars]'") from None
        return pl.from_arrow(table)
    raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


class Dataset(Mapping[str, Any]):
    """Every table of one release, by name (``ds["figures"]`` or ``ds.figures``).

    All files are verified against ``datapackage.json`` when the dataset is opened.
    """

    def __init__(self, release: Release, format: Format = "pandas"):
        if format not in FORMATS:
            raise UsageError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
        self.release = release
        self.format = format
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1) as pool:  # read and verify the texts while the tables load
            texts = pool.submit(release.texts)
            self._arrow = {name: release.arrow(name) for name in release.table_names()}
            self._texts = texts.result()
        self._names = [*self._arrow, *([CLAIMS] if CLAIMS not in self._arrow and "figures" in self._arrow else [])]
        self._converted: dict[str, Any] = {}

    @property
    def version(self) -> str:
        return self.release.version

    @property
    def datapackage(self) -> dict[str, Any]:
        return self.release.descriptor

    @property
    def path(self) -> Path:
        return self.release.folder

    def __getitem__(self, name: str) -> Any:
        name = _claims_name(name)
        if name == CLAIMS and name not in self._arrow:  # a release older than the claims table
            self._arrow[name] = _derived_claims(self._arrow)
        if name not in self._arrow:
            raise KeyError(f"no table {name!r}; tables: {', '.join(self)}")
        if name not in self._converted:
            self._converted[name] = convert(self._arrow[name], self.format)
        return self._converted[name]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or (name not in self.__dict__.get("_names", ()) and name != TIMELINE):
            raise AttributeError(name)
        return self[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        counts = ", ".join(f"{n}={t.num_rows}" for n, t in self._arrow.items())
        return f"<nkdata.Dataset {self.version} ({counts}) from {self.path}>"

    def _row(self, table: str, id_value: str) -> dict[str, Any] | None:
        import pyarrow.compute as pc

        t = self._arrow[table]
        key = t.schema.metadata[b"primary_key"].decode()
        hit = t.filter(pc.equal(t[key], id_value))
        return hit.to_pylist()[0] if hit.num_rows else None

    def provenance(self, record_id: str) -> dict[str, Any]:
        """Where a figure, statement or event comes from: its source, the verbatim
        evidence with offsets (checked against the archived text), and the
        attribution chain as entity rows, originator first."""
        for table in ("figures", "statements", "events"):
            row = self._row(table, record_id)
            if row is not None:
                break
        else:
            raise KeyError(f"{record_id!r} is not a figure, statement or event id in release {self.version}")
        source = self._row("sources", row["source_id"]) or {}
        text = self._texts.get(source.get("text_path", ""), "")
        start, end = row["evidence_start"], row["evidence_end"]
        return {
            "table": table,
            "record": row,
            "source": source,
            "evidence": row["evidence"],
            "evidence_start": start,
            "evidence_end": end,
            "evidence_matches_text": text[start:end] == row["evidence"],
            "attribution": [self._row("entities", e) or {"entity_id": e} for e in row.get("attribution") or []],
        }


def load(
    table: str | None = None,
    *,
    version: str | None = None,
    format: Format = "pandas",
    mirror: str | None = None,
) -> Any:
    """Load nkdata.

    ``load()`` returns a :class:`Dataset` of every table; ``load("figures")``
    one table. ``format`` is ``"pandas"`` (default), ``"arrow"`` or
    ``"polars"``. ``version=None`` uses the release inside this package (no
    network); ``version="X.Y.Z"`` uses that release from the cache, or downloads
    it from ``mirror`` / ``NKDATA_MIRROR`` and checks it against the shipped
    registry. Every file read is checked against the sha256 in datapackage.json.
    """
    if format not in FORMATS:
        raise UsageError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    release = resolve(version, mirror)
    if table is None:
        return Dataset(release, format)
    table = _claims_name(table)
    if table == CLAIMS and CLAIMS not in release.table_names():  # a release older than the claims table
        return convert(_derived_claims({t: release.arrow(t) for t in ("figures", "entities", "sources")}), format)
    if table not in release.table_names():
        raise UsageError(f"no table {table!r}; tables: {', '.join(release.table_names())}")
    return convert(release.arrow(table), format)


def tables() -> list[str]:
    """Names of the tables in every release."""
    from nkdata.spec.models import TABLES  # here, not at the top: models needs pydantic, which loading does not

    return [*TABLES, CLAIMS]


def versions() -> list[str]:
    """Released versions this package knows (and can verify), oldest first."""
    from nkdata.access.registry import versions as released

    return sorted(set(released()) | {__version__}, key=lambda v: tuple(int(x) for x in v.split(".")))
