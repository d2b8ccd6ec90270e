"""The validator's claims check without sorting agrees with the build's derivation (nkdata.release.claims)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nkdata.release import claims
from nkdata.spec.columns import arrow_schema

_FIGURE_IDS = st.sampled_from(["fig-a", "fig-b", "fig-c", "fig-d", "fig-e", None])
_CLAIM_IDS = st.sampled_from([None, None, None, "clm-x", "clm-y", "clm-fig-b"])  # clm-fig-b is also fig-b's own claim
_DAYS = st.sampled_from([None, dt.date(2025, 1, 1), dt.date(2025, 1, 5), dt.date(2025, 2, 1)])


@st.composite
def figure_tables(draw: st.DrawFn) -> pa.Table:
    rows = []
    for _ in range(draw(st.integers(0, 7))):
        start = draw(_DAYS)
        rows.append(
            {
                "figure_id": draw(_FIGURE_IDS),
                "source_id": draw(st.sampled_from(["src-1", "src-2"])),
                "claim_id": draw(_CLAIM_IDS),
                "metric": draw(st.sampled_from(["killed", "wounded", None])),
                "value": draw(st.sampled_from([100.0, 200.0, None])),
                "value_low": None,
                "value_high": draw(st.sampled_from([None, 300.0])),
                "qualifier": draw(st.sampled_from(["approximately", "at_most", "exact", "sort of"])),
                "unit": "persons",
                "attribution": draw(st.sampled_from([["ent-nis", "ent-x"], ["ent-gur"], [], None])),
                "date_start": start,
                "date_end": start if draw(st.booleans()) else None,
                "date_precision": draw(st.sampled_from(["day", "month", None])),
                "location_id": draw(st.sampled_from(["ent-kursk", None])),
            }
        )
    if draw(st.booleans()):  # as a release writes them: in figure id order
        rows.sort(key=lambda r: (r["figure_id"] is None, r["figure_id"] or ""))
    full = arrow_schema("figures")
    return pa.Table.from_pylist(rows, schema=pa.schema([full.field(c) for c in rows[0]])) if rows else full.empty_table()


_ENTITIES = pa.table({"entity_id": ["ent-nis", "ent-gur"], "name": ["NIS", "GUR"]})
_SOURCES = pa.table({"source_id": ["src-1", "src-2"], "published_start": pa.array([dt.date(2025, 1, 3), None], pa.date32())})


@settings(max_examples=400, deadline=None)
@given(figure_tables(), st.randoms(use_true_random=False))
def test_unordered_claims_are_the_claims(figures: pa.Table, rnd: object) -> None:
    try:
        ordered = claims.derive(figures, _ENTITIES, _SOURCES)
    except ValueError:  # figures no release holds (a null originator where the schema has none)
        with pytest.raises(ValueError):
            claims.derive_unordered(figures, _ENTITIES, _SOURCES)
        return
    unordered = claims.derive_unordered(figures, _ENTITIES, _SOURCES)
    assert sorted(map(repr, ordered.to_pylist())) == sorted(map(repr, unordered.to_pylist()))
    told = claims.same_claims(ordered, unordered)
    ids = ordered["claim_id"].to_pylist()
    if ordered.num_rows and None not in ids and len(set(ids)) == len(ids) and ordered["metric"].null_count == 0:
        assert told  # the usual case is decided without sorting
    if ordered.num_rows > 1:
        order = list(range(ordered.num_rows))
        rnd.shuffle(order)  # type: ignore[attr-defined]
        shuffled = ordered.take(pa.array(order))
        if claims.same_claims(shuffled, unordered):
            assert shuffled.equals(ordered)  # never True for a table in another order
    if ordered.num_rows:  # a stored table in the right order, one cell edited (nkdata validate's P804): never the same claims
        counts = ordered["n_figures"].to_pylist()
        counts[rnd.randrange(len(counts))] += 1  # type: ignore[attr-defined]
        at = ordered.schema.get_field_index("n_figures")
        edited = ordered.set_column(at, ordered.schema.field(at), pa.array(counts, ordered.schema.field(at).type))
        assert not claims.same_claims(edited, unordered)
