"""What a release is, in numbers: computed from its tables, stated by the data card and ``nkdata info``.

The build computes it from the rows it writes; ``nkdata info`` from the tables it loads. Both call
:func:`summarise`, so the card inside a release and the summary on the terminal cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nkdata.release.layout import DESCRIPTOR, published_base, zip_name

__all__ = ["About", "Span", "Summary", "about", "summarise", "DATED_TABLES"]

#: The tables whose rows refer to a date interval (date_start, date_end).
DATED_TABLES = ("figures", "statements", "events")
Row = Mapping[str, Any]


@dataclass(frozen=True)
class About:
    """What data/package.yaml (or a release's datapackage.json) says about the package, for one version."""

    name: str
    title: str
    description: str
    version: str
    released: str  # YYYY-MM-DD
    keywords: tuple[str, ...]
    licenses: tuple[Mapping[str, Any], ...]
    contributors: tuple[Mapping[str, Any], ...]
    homepage: str | None
    download_base: str | None  # with the version filled in; ends in '/'

    @property
    def authors(self) -> list[str]:
        """The names to credit: the contributors' titles (else given and family name, else organisation)."""
        out = []
        for c in self.contributors:
            name = c.get("title") or " ".join(str(p) for p in (c.get("givenName"), c.get("familyName")) if p) or c.get("organization")
            if name:
                out.append(str(name))
        return out

    @property
    def downloads(self) -> dict[str, str]:
        """The release's zip and datapackage.json at the download address (empty when none is known)."""
        if not self.download_base:
            return {}
        return {zip_name(self.version): self.download_base + zip_name(self.version), DESCRIPTOR: self.download_base + DESCRIPTOR}


@dataclass(frozen=True)
class Span:
    """The dated rows of one table: the first day one refers to, the last, and how many are dated."""

    first: dt.date | None
    last: dt.date | None
    dated: int
    rows: int


@dataclass(frozen=True)
class Summary:
    """A release in numbers (see :func:`summarise`)."""

    about: About
    counts: dict[str, int]
    spans: dict[str, Span]
    claims: Span  # the dated claims: the first day one refers to, and the cut-off
    originators: int
    sources: int

    @property
    def cut_off(self) -> dt.date | None:
        """The latest day a claim refers to (the end of its interval, else its start)."""
        return self.claims.last

    @property
    def first(self) -> dt.date | None:
        """The earliest day any dated figure, statement or event refers to."""
        days = [s.first for s in self.spans.values() if s.first is not None]
        return min(days) if days else None

    @property
    def last(self) -> dt.date | None:
        """The latest day any dated figure, statement or event refers to."""
        days = [s.last for s in self.spans.values() if s.last is not None]
        return max(days) if days else None


def _day(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _span(rows: Sequence[Row]) -> Span:
    starts = [(_day(r.get("date_start")), _day(r.get("date_end"))) for r in rows]
    dated = [(s, e or s) for s, e in starts if s is not None]
    if not dated:
        return Span(None, None, 0, len(rows))
    return Span(min(s for s, _ in dated), max(e for _, e in dated), len(dated), len(rows))


def about(meta: Mapping[str, Any], version: str) -> About:
    """:class:`About` from data/package.yaml's content, or from a release's datapackage.json.

    ``release_date`` (package.yaml) or ``created`` (datapackage.json) gives the day of release;
    ``download_base`` has ``{version}`` filled in.
    """
    released = str(meta.get("release_date") or str(meta.get("created") or "")[:10])
    base = meta.get("download_base")
    return About(
        name=str(meta.get("name") or "nkdata"),
        title=str(meta.get("title") or "nkdata"),
        description=str(meta.get("description") or ""),
        version=version,
        released=released,
        keywords=tuple(str(k) for k in meta.get("keywords") or ()),
        licenses=tuple(dict(x) for x in meta.get("licenses") or ()),
        contributors=tuple(dict(x) for x in meta.get("contributors") or ()),
        homepage=meta.get("homepage") or None,
        download_base=published_base(str(base), version, "download_base") + "/" if base else None,
    )


def summarise(tables: Mapping[str, Sequence[Row]], about: About) -> Summary:
    """The numbers a release states about itself, computed from its tables' rows.

    Parameters
    ----------
    tables : mapping of str to sequence of mappings
        Every table's rows (column name to value; dates as ``datetime.date`` or ISO text), as
        the build writes them or as ``Dataset[table].to_pylist()`` gives them back.
    about : About
        The package's metadata for this version (:func:`about`).

    Returns
    -------
    Summary
        Row counts per table; for figures, statements and events the first and last day a
        dated row refers to; the cut-off (the latest day a claim refers to); how many
        originators the claims have; how many sources.

    Examples
    --------
    >>> from nkdata.release.summary import about, summarise
    >>> s = summarise({"figures": [{"date_start": "2024-10-01", "date_end": "2024-10-31"}],
    ...                "claims": [{"date_start": "2024-10-01", "date_end": None, "originator": "ent-x"}]},
    ...               about({"release_date": "2026-11-27"}, "1.0.0"))
    >>> s.counts, str(s.first), str(s.last), str(s.cut_off), s.originators
    ({'figures': 1, 'claims': 1}, '2024-10-01', '2024-10-31', '2024-10-01', 1)
    """
    claims = tables.get("claims", [])
    return Summary(
        about=about,
        counts={name: len(rows) for name, rows in tables.items()},
        spans={name: _span(tables[name]) for name in DATED_TABLES if name in tables},
        claims=_span(claims),
        originators=len({c["originator"] for c in claims if c.get("originator")}),
        sources=len(tables.get("sources", [])),
    )
