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
from nkdata.access.fetch import fetch_zip, unpack
from nkdata.access.registry import versions as released_versions
from nkdata.errors import DataNotAvailable, UsageError
from nkdata.release.layout import DESCRIPTOR, EMBEDDED_DIR, release_name
from nkdata.release.reader import Release
from nkdata.versioning.semver import sort_versions

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

Format = Literal["pandas", "arrow", "polars"]
FORMATS = ("pandas", "arrow", "polars")
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
    """Where the release of this package's own version is, inside the package."""
    return Path(str(resources.files("nkdata").joinpath(EMBEDDED_DIR).joinpath(release_name(__version__))))


@lru_cache(maxsize=1)
def embedded_release() -> Release:
    """The release shipped inside this package (the one that matches ``nkdata.__version__``)."""
    path = embedded_path()
    if not (path / DESCRIPTOR).is_file():
        raise DataNotAvailable(
            f"this nkdata {__version__} has no embedded release at {path}; "
            "in a source checkout run 'nkdata release' (or install the package from PyPI)"
        )
    return Release(path)


def resolve(version: str | None = None, mirror: str | None = None) -> Release:
    """The release folder for ``version``: embedded, cached, or downloaded and verified."""
    if version is None or version == __version__:
        return embedded_release()
    folder = unpack(fetch_zip(version, mirror), version)
    return Release(folder, recovery=f"the cache was altered: delete {folder} and load again (it is unpacked anew from the verified zip)")


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
    """Every table of one release, by name: ``ds["figures"]`` or ``ds.figures``.

    A read-only mapping of table name to table, in the format it was opened
    with; :func:`load` makes one. Each file is verified against the sha256 in
    ``datapackage.json`` as it is read: the tables' Parquet files when the
    dataset is opened, an archived source text when :meth:`provenance` first
    needs it.

    Parameters
    ----------
    release : Release
        An opened release folder (:class:`nkdata.release.reader.Release`).
    format : {"pandas", "arrow", "polars"}
        What ``ds[name]`` returns: a pandas DataFrame (default), a
        ``pyarrow.Table`` or a polars DataFrame.

    Attributes
    ----------
    version : str
        The release's version.
    datapackage : dict
        Its ``datapackage.json``: schemas, licences, sources, hashes.
    path : pathlib.Path
        Its folder.

    Raises
    ------
    UsageError
        For an unknown ``format``.
    IntegrityError
        When a file read does not match its sha256 or size.

    Examples
    --------
    >>> import nkdata
    >>> ds = nkdata.load()
    >>> ds.version == nkdata.__version__
    True
    >>> "figures" in ds and ds["figures"] is ds.figures
    True
    >>> figure_id = ds.figures["figure_id"].iloc[0]
    >>> ds.provenance(figure_id)["evidence_matches_text"]
    True
    """

    def __init__(self, release: Release, format: Format = "pandas"):
        if format not in FORMATS:
            raise UsageError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
        self.release = release
        self.format = format
        self._arrow = {name: release.arrow(name) for name in release.table_names()}
        self._names = [*self._arrow, *([CLAIMS] if CLAIMS not in self._arrow and "figures" in self._arrow else [])]
        self._converted: dict[str, Any] = {}
        self._texts: dict[str, str | None] = {}  # archived texts read (and verified) by provenance()

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
        """Where a figure, statement or event comes from.

        Parameters
        ----------
        record_id : str
            A ``figure_id``, ``statement_id`` or ``event_id``.

        Returns
        -------
        dict
            ``table`` and ``record`` (the row), ``source`` (its source row),
            ``evidence`` with ``evidence_start`` and ``evidence_end`` (offsets
            in the archived text), ``evidence_matches_text`` (checked against
            that text, read and verified when first needed) and ``attribution`` (the
            chain as entity rows, originator first).

        Raises
        ------
        KeyError
            When no figure, statement or event has that id.
        IntegrityError
            When the archived texts do not match their sha256.
        """
        for table in ("figures", "statements", "events"):
            row = self._row(table, record_id)
            if row is not None:
                break
        else:
            raise KeyError(f"{record_id!r} is not a figure, statement or event id in release {self.version}")
        source = self._row("sources", row["source_id"]) or {}
        path = source.get("text_path", "")
        if path not in self._texts:
            self._texts[path] = self.release.text(path)
        text = self._texts[path] or ""
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
    """Load nkdata: one table, or every table as a :class:`Dataset`; each file read is checked against its sha256.

    Parameters
    ----------
    table : str, optional
        A table name (see :func:`tables`); ``"timeline"`` is the deprecated name of ``"claims"``
        (it warns). None (default): every table.
    version : str, optional
        None (default): the release inside this package, no network. ``"X.Y.Z"``: that release
        from the cache, or downloaded (from ``mirror``, else from where releases are published)
        and checked against the shipped registry.
    format : {"pandas", "arrow", "polars"}
        pandas DataFrames (default; nullable integers, lists and dates kept as Arrow types),
        ``pyarrow.Table`` or polars DataFrames (``pip install 'nkdata[polars]'``).
    mirror : str, optional
        ``https://`` or ``file://`` URL, or path, of a folder holding ``nkdata-X.Y.Z.zip``; default:
        ``NKDATA_MIRROR``, else where releases are published (``NKDATA_BASE_URL``, else the registry's ``base:``).

    Returns
    -------
    Dataset or DataFrame or pyarrow.Table
        A :class:`Dataset` when ``table`` is None, else that one table.

    Raises
    ------
    UsageError
        An unknown table, format or version, or a refused mirror (``http://``, ...).
    DataNotAvailable
        A release that is neither embedded nor cached and could not be downloaded.
    IntegrityError
        A file (or downloaded zip) that does not match its sha256.

    Examples
    --------
    >>> import nkdata
    >>> figures = nkdata.load("figures")
    >>> figures.columns[0], figures["figure_id"].is_unique
    ('figure_id', True)
    >>> nkdata.load("statements", format="arrow").schema.names[0]
    'statement_id'
    >>> sorted(nkdata.load()) == sorted(nkdata.tables())
    True
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
    """Names of the tables in a release, in the order of ``datapackage.json``.

    Returns
    -------
    list of str
        Each is a name :func:`load` takes.

    Examples
    --------
    >>> import nkdata
    >>> {"sources", "entities", "figures", "statements", "events"} <= set(nkdata.tables())
    True
    """
    from nkdata.spec.models import TABLES  # here, not at the top: models needs pydantic, which loading does not

    return [*TABLES, CLAIMS]


def versions() -> list[str]:
    """Released versions this package knows and can verify, oldest first.

    Each is listed, with the sha256 of its zip, in the registry shipped inside
    the package; the release of the package's own version is embedded.

    Returns
    -------
    list of str
        ``"X.Y.Z"`` versions that ``load(version=...)`` accepts.

    Examples
    --------
    >>> import nkdata
    >>> nkdata.__version__ in nkdata.versions()
    True
    >>> nkdata.versions() == sorted(nkdata.versions(), key=lambda v: tuple(map(int, v.split("."))))
    True
    """
    return sort_versions(set(released_versions()) | {__version__})
