"""Deriving the claims table from the figures (the rule: :mod:`nkdata.spec.claims`), in Arrow.

One implementation serves everyone: the build (its rows come back as dicts),
the package validator (which recomputes a package's claims from its figures and
compares, at a million figures too), and ``nkdata.load("claims")`` for releases
older than the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from nkdata.spec.claims import COLUMNS, LONE_PREFIX, QUALIFIER_ORDER, TABLE
from nkdata.spec.columns import arrow_schema
from nkdata.spec.conditions import false_for_null, from_numpy, true_for_null

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pyarrow as pa

Row = dict[str, Any]
#: The figures' columns the derivation reads (a validator may let go of the others).
FIGURE_COLUMNS = (
    "figure_id",
    "claim_id",
    "source_id",
    "attribution",
    "metric",
    "unit",
    "value",
    "value_low",
    "value_high",
    "qualifier",
    "date_start",
    "date_end",
    "date_precision",
    "location_id",
)
_NULL = "\x00"  # stands for a null precision while nulls are skipped


def first_items(lists: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The first item of each list (null for an empty or null list): each figure's originator."""
    import pyarrow as pa

    arr = lists.combine_chunks() if isinstance(lists, pa.ChunkedArray) else lists
    offsets = arr.offsets.to_numpy(zero_copy_only=False)
    empty = (offsets[1:] == offsets[:-1]) | ~arr.is_valid().to_numpy(zero_copy_only=False)
    index = from_numpy(offsets[:-1] - offsets[0], pa.int64(), null=empty)
    return arr.values.slice(offsets[0]).take(index) if len(arr) else pa.array([], arr.type.value_type)


def _lookup(keys: pa.Array, table: pa.Table | None, key: str, value: str, type_: pa.DataType) -> pa.Array:
    """``table[value]`` of the row whose ``key`` is each of ``keys`` (null when not there)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if table is None or key not in table.column_names or value not in table.column_names:
        return pa.nulls(len(keys), type_)
    return table[value].combine_chunks().take(pc.index_in(keys, value_set=table[key].combine_chunks()))


def _members(figures: pa.Table, entities: pa.Table | None, sources: pa.Table | None) -> pa.Table:
    """One row per figure with what the reconciliation needs, in the figures' order."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    full = arrow_schema("figures")  # typed as a release types them (a table built from dicts may hold null-typed columns)
    figures = figures.select([c for c in figures.column_names if c in FIGURE_COLUMNS])
    figures = figures.cast(pa.schema([full.field(c) if c in full.names else figures.schema.field(c) for c in figures.column_names]))
    n, col = figures.num_rows, figures.column_names
    # the figures' columns go through as they are chunked (a copy of each would double the memory)
    fid = figures["figure_id"]
    lone = pc.binary_join_element_wise(pa.scalar(LONE_PREFIX), fid, "")
    claim = pc.coalesce(figures["claim_id"], lone) if "claim_id" in col else lone
    start, end = figures["date_start"], figures["date_end"]
    dated = pc.and_(start.is_valid(), end.is_valid())
    none_date, none_text = pa.nulls(n, pa.date32()), pa.nulls(n, pa.string())
    precision = pc.coalesce(figures["date_precision"], pa.scalar(_NULL))
    originator = first_items(figures["attribution"])
    source = figures["source_id"]
    qualifier = figures["qualifier"]
    rank = pc.index_in(qualifier, value_set=pa.array(QUALIFIER_ORDER)).fill_null(-1)
    return pa.table(
        {
            "claim": claim,
            "explicit": figures["claim_id"].is_valid() if "claim_id" in col else from_numpy(np.zeros(n, dtype=bool)),
            "figure_id": fid,
            "source_id": source,
            "originator": originator,
            "metric": figures["metric"],
            "unit": figures["unit"],
            "value": figures["value"],
            "value_low": figures["value_low"],
            "value_high": figures["value_high"],
            "qualifier": qualifier,
            "rank": rank,
            "start": start,
            "end": end,
            "dstart": pc.if_else(dated, start, none_date),
            "dend": pc.if_else(dated, end, none_date),
            "dprec": pc.if_else(dated, precision, none_text),
            "precision": precision,
            "dated": dated,
            "location": figures["location_id"] if "location_id" in col else none_text,
            "published": _lookup(source, sources, "source_id", "published_start", pa.date32()),
            "unknown": pc.if_else(pc.equal(rank, -1), qualifier, pa.nulls(n, pa.string())),
        }
    )


def _aggregate(m: pa.Table) -> pa.Table:
    import pyarrow.compute as pc

    keep_nulls = pc.ScalarAggregateOptions(skip_nulls=False)
    nulls = pc.CountOptions(mode="only_null")
    return m.group_by("claim", use_threads=False).aggregate(
        [
            ("figure_id", "list"),
            ("figure_id", "count"),
            ("source_id", "count_distinct"),
            ("originator", "first", keep_nulls),
            ("metric", "first", keep_nulls),
            ("unit", "first", keep_nulls),
            ("value", "first", keep_nulls),
            ("value_low", "min"),
            ("value_low", "count", nulls),
            ("value_high", "max"),
            ("value_high", "count", nulls),
            ("rank", "min"),
            ("dstart", "max"),
            ("dend", "min"),
            ("dstart", "first"),
            ("dend", "first"),
            ("dprec", "first"),
            ("location", "count_distinct", pc.CountOptions(mode="all")),
            ("location", "first", keep_nulls),
            ("published", "min"),
            ("start", "min"),
            ("unknown", "first"),
        ]
    )


def _own_precision(m: pa.Table, g: pa.Table) -> pa.Array:
    """For each claim, the precision of its first figure whose interval is the overlap; else 'interval'."""
    import pyarrow as pa
    import pyarrow.compute as pc

    at = pc.index_in(m["claim"], value_set=g["claim"])
    same = pc.and_(pc.equal(m["start"], g["dstart_max"].take(at)), pc.equal(m["end"], g["dend_min"].take(at)))
    own = pc.if_else(pc.and_(m["dated"], false_for_null(same)), m["precision"], pa.nulls(m.num_rows, pa.string()))
    first = pa.table({"claim": m["claim"], "own": own}).group_by("claim", use_threads=False).aggregate([("own", "first")])
    return pc.coalesce(first["own_first"].take(pc.index_in(g["claim"], value_set=first["claim"])), pa.scalar("interval"))


def _sources(m: pa.Table) -> tuple[pa.Array, pa.Array]:
    """(claim, its sorted distinct source ids) in first-appearance order of the claims."""
    pairs = m.select(["claim", "source_id"]).group_by(["claim", "source_id"], use_threads=False).aggregate([])
    pairs = pairs.sort_by([("claim", "ascending"), ("source_id", "ascending")])
    s = pairs.group_by("claim", use_threads=False).aggregate([("source_id", "list")])  # keeps the sorted order
    return s["claim"], s["source_id_list"]


def derive(figures: pa.Table, entities: pa.Table | None = None, sources: pa.Table | None = None) -> pa.Table:
    """The claims table from a release's figures, and its entities (names) and sources (publication days).

    Works on releases older than ``claim_id`` (every figure is then a claim of its own). A claim
    of one figure is that figure's own columns; only claims of several figures are grouped.
    """
    import pyarrow.compute as pc

    out = _derive(figures, entities, sources, ordered=True)
    order = _order_keys(out)
    return out.take(pc.sort_indices(order, [(k, "ascending") for k in order.column_names]))


def derive_unordered(figures: pa.Table, entities: pa.Table | None = None, sources: pa.Table | None = None) -> pa.Table:
    """The rows of :func:`derive` in no particular order, without sorting the figures or the claims (for checks)."""
    return _derive(figures, entities, sources, ordered=False)


def _derive(figures: pa.Table, entities: pa.Table | None, sources: pa.Table | None, ordered: bool) -> pa.Table:
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    schema = arrow_schema(TABLE)
    if not figures.num_rows:
        return schema.empty_table()
    m = _members(figures, entities, sources)
    by_claim = [("claim", "ascending"), ("figure_id", "ascending")]
    keys = m["claim"].combine_chunks()
    if ordered:  # a claim's figures are next to each other
        m = m.sort_by(by_claim)
        keys = m["claim"].combine_chunks()
        same = false_for_null(pc.equal(keys.slice(1), keys.slice(0, len(keys) - 1))).to_numpy(zero_copy_only=False)
        shared = np.zeros(len(keys), dtype=bool)
        shared[1:] |= same
        shared[:-1] |= same
    else:
        shared = _shared(keys, m["explicit"].combine_chunks())
    del keys
    grouped = None
    if shared.any():
        grouped = _grouped(m.filter(from_numpy(shared)) if ordered else m.filter(from_numpy(shared)).sort_by(by_claim))
        m = m.filter(from_numpy(~shared))  # the members of one-figure claims: the others let go of before these are built
    parts = [_one_figure(m)] if grouped is None else [_one_figure(m), grouped]
    out = pa.concat_tables([pa.table({c.name: p[c.name] for c in COLUMNS}).cast(schema) for p in parts])
    names = _lookup(out["originator"].combine_chunks(), entities, "entity_id", "name", pa.string())
    return out.set_column(out.schema.get_field_index("originator_name"), schema.field("originator_name"), names)


def _shared(keys: pa.Array, explicit: pa.Array) -> np.ndarray:
    """Rows whose claim more than one figure makes (a null claim never is), without sorting.

    A figure without ``claim_id`` makes ``clm-`` + its id: in a release, figure ids
    come in order, so those claims are distinct when they increase, and only the
    (usually few) explicit claims need hashing. Otherwise every claim is hashed.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    def counted(k: pa.Array) -> np.ndarray:
        counts = pa.table({"k": k}).group_by("k", use_threads=False).aggregate([("k", "count")])
        per_row = counts["k_count"].take(pc.index_in(k, value_set=counts["k"]))
        return np.asarray(false_for_null(pc.and_(pc.greater(per_row, 1), k.is_valid())).to_numpy(zero_copy_only=False), dtype=bool)

    named = np.asarray(explicit.to_numpy(zero_copy_only=False), dtype=bool)
    lone = keys.filter(from_numpy(~named)).drop_null()
    if len(lone) > 1 and not pc.all(pc.less(lone.slice(0, len(lone) - 1), lone.slice(1))).as_py():
        return counted(keys)
    out = np.zeros(len(keys), dtype=bool)
    if not named.any():
        return out
    rows = np.flatnonzero(named)
    mine = keys.take(from_numpy(rows))
    also_lone = pc.is_in(mine, value_set=lone).to_numpy(zero_copy_only=False)
    out[rows] = counted(mine) | np.asarray(also_lone, dtype=bool)
    out[~named] = np.asarray(false_for_null(pc.is_in(keys, value_set=mine)).to_numpy(zero_copy_only=False), dtype=bool)[~named]
    return out


def _order_keys(claims: pa.Table) -> pa.Table:
    """What the claims table is sorted by, ascending: dated first, then date_start, metric, originator, claim_id."""
    import pyarrow as pa

    return pa.table(
        {
            "undated": claims["date_start"].is_null(),
            "day": claims["date_start"].fill_null(dt.date.min),
            "metric": claims["metric"],
            "originator": claims["originator"].fill_null(""),
            "claim_id": claims["claim_id"],
        }
    )


def same_claims(stored: pa.Table, unordered: pa.Table) -> bool:
    """Whether ``stored`` is ``unordered`` (from :func:`derive_unordered`) in the order :func:`derive` gives.

    True only when it can tell without sorting: every claim id there, once, each row
    the same, and each stored row before the next in the order. False: compare with
    :func:`derive` itself.
    """
    import numpy as np
    import pyarrow.compute as pc

    n = stored.num_rows
    if n != unordered.num_rows or stored.schema != unordered.schema:
        return False
    ids = unordered["claim_id"].combine_chunks()
    if not n or ids.null_count or stored["metric"].null_count:
        return False  # ties the order leaves to the input (null ids, null metrics): not decided here
    at = pc.index_in(stored["claim_id"], value_set=ids)
    if at.null_count:
        return False
    where = np.asarray(at.to_numpy(zero_copy_only=False), dtype=np.int64)
    if not (np.bincount(where, minlength=n) == 1).all():
        return False  # a claim twice (or a claim id twice among the derived rows)
    order = from_numpy(where)
    with ThreadPoolExecutor(max_workers=2) as pool:  # two columns at a time (Arrow releases the GIL), not the whole table: less memory
        if not all(pool.map(lambda name: stored[name].equals(unordered[name].take(order)), stored.column_names)):
            return False
    keys = _order_keys(stored)
    before = pc.less(keys["claim_id"].slice(0, n - 1), keys["claim_id"].slice(1))
    for name in ("originator", "metric", "day", "undated"):
        a, b = keys[name].slice(0, n - 1), keys[name].slice(1)
        before = pc.or_(pc.less(a, b), pc.and_(pc.equal(a, b), before))
    return bool(pc.all(before, min_count=0).as_py())


def _qualifiers(rank: pa.Array, unknown: pa.Array) -> pa.Array:
    """The qualifier of each rank in QUALIFIER_ORDER; a term outside it (an invalid row) as written."""
    import pyarrow as pa
    import pyarrow.compute as pc

    known = pa.array(QUALIFIER_ORDER).take(pc.max_element_wise(rank, 0))
    return pc.if_else(pc.greater_equal(rank, 0), known, unknown)


def _one_figure(m: pa.Table) -> dict[str, Any]:
    """The claims of one figure each: the figure's own columns."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = m.num_rows
    ones = from_numpy(np.arange(n + 1, dtype=np.int32))
    text_nulls = pa.nulls(n, pa.string())
    return {
        "claim_id": m["claim"],
        "originator": m["originator"],
        "originator_name": text_nulls,
        "metric": m["metric"],
        "unit": m["unit"],
        "date_start": m["dstart"],
        "date_end": m["dend"],
        "date_precision": pc.if_else(pc.equal(m["dprec"], pa.scalar(_NULL)), text_nulls, m["dprec"]),
        "best": m["value"],
        "low": m["value_low"],
        "high": m["value_high"],
        "qualifier": _qualifiers(m["rank"], m["qualifier"]),
        "n_sources": from_numpy(np.ones(n, dtype=np.int64)),
        "n_figures": from_numpy(np.ones(n, dtype=np.int64)),
        "first_reported": pc.coalesce(m["published"], m["start"]),
        "source_ids": pa.ListArray.from_arrays(ones, m["source_id"].combine_chunks()),
        "figure_ids": pa.ListArray.from_arrays(ones, m["figure_id"].combine_chunks()),
        "location_id": m["location"],
    }


def _grouped(m: pa.Table) -> dict[str, Any]:
    """The claims of several figures, reconciled by the rule."""
    import pyarrow as pa
    import pyarrow.compute as pc

    g = _aggregate(m)
    n = g.num_rows
    overlap = true_for_null(pc.less_equal(g["dstart_max"], g["dend_min"]))  # dates that do not overlap: I303 says so
    precision = pc.if_else(g["dstart_max"].is_null(), pa.nulls(n, pa.string()), pc.if_else(overlap, _own_precision(m, g), g["dprec_first"]))
    claim_keys, source_lists = _sources(m)
    return {
        "claim_id": g["claim"],
        "originator": g["originator_first"],
        "originator_name": pa.nulls(n, pa.string()),
        "metric": g["metric_first"],
        "unit": g["unit_first"],
        "date_start": pc.if_else(overlap, g["dstart_max"], g["dstart_first"]),
        "date_end": pc.if_else(overlap, g["dend_min"], g["dend_first"]),
        "date_precision": pc.if_else(pc.equal(precision, pa.scalar(_NULL)), pa.nulls(n, pa.string()), precision),
        "best": g["value_first"],
        "low": pc.if_else(pc.equal(g["value_low_count"], 0), g["value_low_min"], pa.nulls(n, pa.float64())),
        "high": pc.if_else(pc.equal(g["value_high_count"], 0), g["value_high_max"], pa.nulls(n, pa.float64())),
        "qualifier": _qualifiers(g["rank_min"], g["unknown_first"]),
        "n_sources": g["source_id_count_distinct"],
        "n_figures": g["figure_id_count"],
        "first_reported": pc.coalesce(g["published_min"], g["start_min"]),
        "source_ids": source_lists.take(pc.index_in(g["claim"], value_set=claim_keys)),
        "figure_ids": g["figure_id_list"],
        "location_id": pc.if_else(pc.equal(g["location_count_distinct"], 1), g["location_first"], pa.nulls(n, pa.string())),
    }


def read(tables: Mapping[str, pa.Table]) -> pa.Table:
    """The claims table of a release given its tables by name: the stored one, else derived from the figures."""
    if TABLE in tables:
        return tables[TABLE]
    return derive(tables["figures"], tables.get("entities"), tables.get("sources"))


def claim_rows(figures: Iterable[Row], names: Mapping[str, str] | None = None, published: Mapping[str, dt.date | None] | None = None) -> list[Row]:
    """Claims rows (dicts) from figure rows (dicts as in the figures table), by :func:`derive`.

    ``names`` maps entity ids to names, ``published`` source ids to their published_start.
    """
    import pyarrow as pa

    figure_rows = list(figures)
    full = arrow_schema("figures")
    present = {k for r in figure_rows for k in r}
    fig = pa.Table.from_pylist(figure_rows, schema=pa.schema([f for f in full if f.name in present]))
    entities = pa.table(
        {"entity_id": list((names or {}).keys()), "name": list((names or {}).values())}, schema=pa.schema([("entity_id", pa.string()), ("name", pa.string())])
    )
    sources = pa.table(
        {"source_id": list((published or {}).keys()), "published_start": list((published or {}).values())},
        schema=pa.schema([("source_id", pa.string()), ("published_start", pa.date32())]),
    )
    result: list[Row] = derive(fig, entities, sources).to_pylist()
    return result


def rows_from_tables(rows: Mapping[str, list[Row]]) -> list[Row]:
    """Claims rows from the rows of a release's figures, sources and entities (as the build holds them)."""
    names = {r["entity_id"]: r["name"] for r in rows.get("entities", [])}
    published = {r["source_id"]: r.get("published_start") for r in rows.get("sources", [])}
    return claim_rows(rows["figures"], names, published)


def originator(figure: Row) -> str | None:
    """Who made the figure's claim: the first entity of its attribution chain."""
    chain = figure.get("attribution") or []
    return str(chain[0]) if chain else None
