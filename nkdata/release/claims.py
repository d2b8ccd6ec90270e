"""Deriving the claims table from the figures (the rule: :mod:`nkdata.spec.claims`).

Plain Python on row dicts, as the build's rows are: :func:`nkdata.release.rows.claims_table`
turns the result into Arrow. The build publishes the claims table with every release;
the package validator recomputes it from the release's figures and compares;
``nkdata.load("claims")`` reads it (and derives it for releases older than the table).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from nkdata.spec.claims import QUALIFIER_ORDER, lone_claim_id

Row = dict[str, Any]

#: The figure columns the derivation reads.
FIGURE_COLUMNS = (
    "figure_id",
    "source_id",
    "claim_id",
    "metric",
    "value",
    "value_low",
    "value_high",
    "qualifier",
    "unit",
    "date_start",
    "date_end",
    "date_precision",
    "location_id",
    "attribution",
)
_RANK = {q: i for i, q in enumerate(QUALIFIER_ORDER)}


def claim_of(figure: Row) -> str:
    """The claim a figure belongs to: its ``claim_id``, or its own (``clm-`` + figure id) when it has none."""
    return figure.get("claim_id") or lone_claim_id(figure["figure_id"])


def originator(figure: Row) -> str | None:
    """Who made the figure's claim: the first entity of its attribution chain."""
    chain = figure.get("attribution") or []
    return chain[0] if chain else None


def _interval(members: list[Row]) -> tuple[dt.date | None, dt.date | None, str | None]:
    """The days every member refers to; the first dated member's interval if they do not overlap (I303 says so)."""
    dated = [m for m in members if m.get("date_start") is not None and m.get("date_end") is not None]
    if not dated:
        return None, None, None
    start, end = max(m["date_start"] for m in dated), min(m["date_end"] for m in dated)
    if start > end:
        return dated[0]["date_start"], dated[0]["date_end"], dated[0].get("date_precision")
    own = next((m.get("date_precision") for m in dated if (m["date_start"], m["date_end"]) == (start, end)), "interval")
    return start, end, own


def _bound(values: list[Any], pick: Any) -> Any:
    """``pick`` of the bounds when every figure states one, else None."""
    return None if any(v is None for v in values) else pick(values)


def _qualifier(members: list[Row]) -> str:
    """The shared qualifier, else the least precise of theirs."""
    return str(min((m["qualifier"] for m in members), key=lambda q: _RANK.get(q, -1)))


def claim_row(claim_id: str, members: list[Row], names: dict[str, str], published: dict[str, dt.date | None]) -> Row:
    """One claim from its figures (sorted by figure id), reconciled by the rule of :mod:`nkdata.spec.claims`."""
    first = members[0]
    who = originator(first)
    start, end, precision = _interval(members)
    sources = sorted({m["source_id"] for m in members})
    days = [d for d in (published.get(s) for s in sources) if d is not None]
    if not days:
        days = [m["date_start"] for m in members if m.get("date_start") is not None]
    locations = {m.get("location_id") for m in members}
    return {
        "claim_id": claim_id,
        "originator": who,
        "originator_name": names.get(who) if who else None,
        "metric": first["metric"],
        "unit": first["unit"],
        "date_start": start,
        "date_end": end,
        "date_precision": precision,
        "best": first.get("value"),
        "low": _bound([m.get("value_low") for m in members], min),
        "high": _bound([m.get("value_high") for m in members], max),
        "qualifier": _qualifier(members),
        "n_sources": len(sources),
        "n_figures": len(members),
        "first_reported": min(days) if days else None,
        "source_ids": sources,
        "figure_ids": [m["figure_id"] for m in members],
        "location_id": locations.pop() if len(locations) == 1 else None,
    }


def sort_key(row: Row) -> tuple[Any, ...]:
    """Claims in time order: by date_start (undated last), metric, originator, claim id."""
    return (row["date_start"] is None, row["date_start"] or dt.date.min, row["metric"], row["originator"] or "", row["claim_id"])


def claim_rows(figures: Iterable[Row], names: dict[str, str] | None = None, published: dict[str, dt.date | None] | None = None) -> list[Row]:
    """Claims rows from figure rows (dicts as in the figures table).

    ``names`` maps entity ids to names, ``published`` source ids to their published_start.
    """
    groups: dict[str, list[Row]] = {}
    for fig in figures:
        groups.setdefault(claim_of(fig), []).append(fig)
    out = []
    for claim_id, members in groups.items():
        members.sort(key=lambda m: m["figure_id"])
        out.append(claim_row(claim_id, members, names or {}, published or {}))
    out.sort(key=sort_key)
    return out


def rows_from_tables(rows: dict[str, list[Row]]) -> list[Row]:
    """Claims rows from the rows of a release's figures, sources and entities."""
    names = {r["entity_id"]: r["name"] for r in rows.get("entities", [])}
    published = {r["source_id"]: r.get("published_start") for r in rows.get("sources", [])}
    return claim_rows(rows["figures"], names, published)
