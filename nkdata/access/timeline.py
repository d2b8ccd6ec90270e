"""The timeline: one row per distinct claim, derived from the figures table.

Several sources often report one claim (the same originator, metric, numbers and
date). Curators link such figures with a shared ``claim_id``, and
:func:`nkdata.checks.records.check_claims` makes sure they agree. The timeline counts each
claim once, with every source that carries it, so a reader can follow how the
estimates moved and where originators disagree. It is computed when loaded
(``nkdata.load("timeline")``, ``Dataset.timeline``), never stored in a release.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

VIEW = "timeline"

#: (name, Arrow type name, description), in column order.
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("claim_id", "string", "The claim's id; the figure's id when a single figure, with no claim_id, reports it."),
    ("metric", "string", "What is counted (metric vocabulary)."),
    ("originator", "string", "Entity id of who made the claim: attribution[0] of its figures."),
    ("originator_name", "string", "Name of the originator entity; null if the entity is unknown."),
    ("date_start", "date", "First day of the days every figure of the claim refers to (the overlap of their intervals)."),
    ("date_end", "date", "Last day of that overlap."),
    ("date_precision", "string", "Precision of the interval: a figure's own when the overlap is its interval, else 'interval'."),
    ("value", "number", "The number as stated; null for a range."),
    ("value_low", "number", "Lower bound (see qualifier)."),
    ("value_high", "number", "Upper bound (see qualifier)."),
    ("qualifier", "string", "How sure the claim is of the number (qualifier vocabulary)."),
    ("unit", "string", "Unit of value and bounds."),
    ("location_id", "string", "Place the claim refers to when all its figures name the same one; else null."),
    ("n_sources", "integer", "Number of distinct sources that carry the claim."),
    ("source_ids", "array", "Those sources' ids, sorted."),
    ("figure_ids", "array", "The figures that report the claim, sorted."),
)
PRIMARY_KEY = "claim_id"


def schema() -> pa.Schema:
    import pyarrow as pa

    types = {"string": pa.string(), "date": pa.date32(), "number": pa.float64(), "integer": pa.int64(), "array": pa.list_(pa.string())}
    return pa.schema(
        [pa.field(name, types[kind], nullable=name != PRIMARY_KEY, metadata={"description": desc}) for name, kind, desc in COLUMNS],
        metadata={"table": VIEW, "primary_key": PRIMARY_KEY, "derived_from": "figures, entities"},
    )


def _interval(members: list[dict[str, Any]]) -> tuple[dt.date | None, dt.date | None, str | None]:
    """The days every member refers to; falls back to the first dated member if they do not overlap."""
    dated = [m for m in members if m.get("date_start") is not None and m.get("date_end") is not None]
    if not dated:
        return None, None, None
    start, end = max(m["date_start"] for m in dated), min(m["date_end"] for m in dated)
    if start > end:  # invalid data (check_claims reports it); do not invent an interval
        return dated[0]["date_start"], dated[0]["date_end"], dated[0].get("date_precision")
    for m in dated:
        if (m["date_start"], m["date_end"]) == (start, end):
            return start, end, m.get("date_precision")
    return start, end, "interval"


def rows(figures: list[dict[str, Any]], names: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Timeline rows from figure rows (dicts as in the figures table), sorted by date_start, metric, originator."""
    names = names or {}
    claims: dict[str, list[dict[str, Any]]] = {}
    for fig in figures:
        claims.setdefault(fig.get("claim_id") or fig["figure_id"], []).append(fig)
    out = []
    for key, members in claims.items():
        members.sort(key=lambda m: m["figure_id"])
        first = members[0]
        originator = (first.get("attribution") or [None])[0]
        start, end, precision = _interval(members)
        locations = {m.get("location_id") for m in members}
        out.append(
            {
                "claim_id": key,
                "metric": first["metric"],
                "originator": originator,
                "originator_name": names.get(originator) if originator else None,
                "date_start": start,
                "date_end": end,
                "date_precision": precision,
                "value": first.get("value"),
                "value_low": first.get("value_low"),
                "value_high": first.get("value_high"),
                "qualifier": first["qualifier"],
                "unit": first["unit"],
                "location_id": locations.pop() if len(locations) == 1 else None,
                "n_sources": len({m["source_id"] for m in members}),
                "source_ids": sorted({m["source_id"] for m in members}),
                "figure_ids": [m["figure_id"] for m in members],
            }
        )
    out.sort(key=lambda r: (r["date_start"] is None, r["date_start"] or dt.date.min, r["metric"], r["originator"] or "", r["claim_id"]))
    return out


def build(figures: pa.Table, entities: pa.Table | None = None) -> pa.Table:
    """The timeline as an Arrow table, from a release's figures (and entities, for names)."""
    import pyarrow as pa

    wanted = ["figure_id", "source_id", "claim_id", "metric", "value", "value_low", "value_high", "qualifier", "unit",
              "date_start", "date_end", "date_precision", "location_id", "attribution"]
    present = [c for c in wanted if c in figures.column_names]  # releases before claim_id have no such column
    figure_rows = figures.select(present).to_pylist()
    names: dict[str, str] = {}
    if entities is not None:
        names = {r["entity_id"]: r["name"] for r in entities.select(["entity_id", "name"]).to_pylist()}
    out = rows(figure_rows, names)
    sch = schema()
    return pa.Table.from_pydict({f.name: [r[f.name] for r in out] for f in sch}, schema=sch)
