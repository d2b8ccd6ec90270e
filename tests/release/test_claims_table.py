"""The claims table: one row per claim, derived from the figures by the build and published.

The curated project is built once into a temporary release (the embedded release
may predate the claims), then read back through ``Dataset`` exactly as users do.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pytest

import nkdata
from nkdata.access.loader import Dataset
from nkdata.curated.reader import read_project
from nkdata.errors import UsageError
from nkdata.release import claims
from nkdata.release.reader import Release
from nkdata.release.rows import claims_table
from nkdata.spec.claims import COLUMNS
from nkdata.spec.columns import arrow_schema

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def release(built: Path) -> Release:
    """The session's build of the real project."""
    return Release(built)


@pytest.fixture(scope="module")
def curated_claims() -> dict[str, set[str]]:
    """Claim key -> figure ids, straight from the curated YAML (independent of the claims code)."""
    out: dict[str, set[str]] = defaultdict(set)
    for loc in read_project(REPO).records["figures"]:
        rec = loc.record
        out[rec.claim_id or "clm-" + rec.figure_id].add(rec.figure_id)  # type: ignore[attr-defined]
    return out


def test_each_claim_is_counted_once(release: Release, curated_claims: dict[str, set[str]]) -> None:
    t = Dataset(release, "arrow").claims
    assert t.num_rows == len(curated_claims)
    rows = t.to_pylist()
    assert len({r["claim_id"] for r in rows}) == t.num_rows
    assert {r["claim_id"]: set(r["figure_ids"]) for r in rows} == curated_claims
    # every figure is in exactly one row
    every = [f for r in rows for f in r["figure_ids"]]
    assert len(every) == len(set(every)) == release.arrow("figures").num_rows
    # linking really merges rows: fewer claims than figures
    assert t.num_rows < len(every)


def test_a_claim_told_by_three_sources(release: Release) -> None:
    rows = {r["claim_id"]: r for r in Dataset(release, "arrow").claims.to_pylist()}
    jcs = rows["clm-jcs-casualties-2024-12-23"]
    assert jcs["n_sources"] == 3
    assert jcs["source_ids"] == ["src-aljazeera-2024-12-23", "src-moscowtimes-a87427", "src-urdupoint-1898337"]
    assert jcs["figure_ids"] == sorted(jcs["figure_ids"]) and len(jcs["figure_ids"]) == 3
    assert (jcs["metric"], jcs["originator"], jcs["originator_name"]) == ("casualties", "ent-jcs", "Joint Chiefs of Staff (South Korea)")
    assert (jcs["best"], jcs["low"], jcs["high"], jcs["qualifier"], jcs["unit"]) == (1100.0, None, None, "approximately", "persons")
    assert jcs["n_figures"] == 3 and jcs["first_reported"] == dt.date(2024, 12, 23)
    assert (jcs["date_start"], jcs["date_end"], jcs["date_precision"]) == (dt.date(2024, 12, 23), dt.date(2024, 12, 23), "day")
    # on the same day Zelensky's larger figure stands as its own claim, attributed to him
    zel = rows["clm-zelensky-casualties-2024-12-23"]
    assert zel["originator"] == "ent-zelensky" and zel["qualifier"] == "more_than" and zel["low"] == 3000.0
    assert zel["n_sources"] == 2


def test_claim_dates_are_the_overlap_of_its_figures(release: Release) -> None:
    rows = {r["claim_id"]: r for r in Dataset(release, "arrow").claims.to_pylist()}
    # "Earlier in the week" (6-10 January 2025) and "last week" (6-12 January) of the US envoy's briefing
    un = rows["clm-us-un-troops-deployed-2025-01"]
    assert un["n_sources"] == 2 and un["source_ids"] == ["src-upi-2025-01-13", "src-yahoo-upi-2025-01-11"]
    assert (un["date_start"], un["date_end"], un["date_precision"]) == (dt.date(2025, 1, 6), dt.date(2025, 1, 10), "interval")
    # a week and a day inside it
    zel = rows["clm-zelensky-casualties-2025-01-09"]
    assert (zel["date_start"], zel["date_end"]) == (dt.date(2025, 1, 9), dt.date(2025, 1, 9)) and zel["n_sources"] == 3


def test_sorted_by_date_metric_originator(release: Release) -> None:
    rows = Dataset(release, "arrow").claims.to_pylist()
    keys = [(r["date_start"] is None, r["date_start"] or dt.date.min, r["metric"], r["originator"]) for r in rows]
    assert keys == sorted(keys)
    assert rows[0]["date_start"] is not None and rows[-1]["date_start"] is None  # undated claims come last


@pytest.mark.parametrize("fmt", ["pandas", "arrow", "polars"])
def test_formats(release: Release, fmt: str) -> None:
    ds = Dataset(release, fmt)
    t = ds.claims
    assert ds["claims"] is t  # converted once
    n = Dataset(release, "arrow").claims.num_rows
    if fmt == "pandas":
        import pandas as pd

        assert isinstance(t, pd.DataFrame) and len(t) == n
        assert str(t["n_sources"].dtype) == "Int64"
        assert isinstance(t.loc[0, "date_start"], dt.date)
        assert list(t.loc[t["claim_id"] == "clm-jcs-casualties-2024-12-23", "source_ids"].iloc[0]) == [
            "src-aljazeera-2024-12-23", "src-moscowtimes-a87427", "src-urdupoint-1898337"
        ]
    elif fmt == "arrow":
        assert isinstance(t, pa.Table) and t.num_rows == n
        assert t.schema == arrow_schema("claims")
        assert t.schema.field("date_start").type == pa.date32()
    else:
        import polars as pl

        assert isinstance(t, pl.DataFrame) and t.height == n
        assert t.schema["source_ids"] == pl.List(pl.String)
    assert list(t.columns if fmt != "arrow" else t.column_names) == [c.name for c in COLUMNS]


def test_a_published_table(release: Release) -> None:
    """claims.csv, claims.parquet and a resource with its Table Schema, in every build; the figures carry their originator."""
    import json

    ds = Dataset(release, "arrow")
    assert "claims" in list(ds) and "claims" in release.table_names()
    resources = {r["name"]: r for r in json.loads((release.folder / "datapackage.json").read_text())["resources"]}
    assert resources["claims"]["schema"]["primaryKey"] == ["claim_id"]
    assert resources["claims"]["schema"] == json.loads((REPO / "schema" / "claims.schema.json").read_text())
    assert (release.folder / "claims.csv").is_file() and (release.folder / "claims.parquet").is_file()
    # what is stored is what the figures make
    assert ds.claims.equals(claims_table({t: ds[t] for t in ("figures", "entities", "sources")}))
    for fig in ds.figures.to_pylist():
        assert fig["originator"] == fig["attribution"][0]
    with pytest.raises(KeyError, match="no table 'nope'"):
        ds["nope"]
    with pytest.raises(AttributeError):
        ds.nope  # noqa: B018


def test_timeline_is_a_deprecated_alias(release: Release) -> None:
    ds = Dataset(release, "arrow")
    with pytest.deprecated_call():
        t = ds.timeline
    assert t is ds.claims
    with pytest.deprecated_call():
        assert ds["timeline"] is ds.claims
    with pytest.deprecated_call():
        old = nkdata.load("timeline", format="arrow")
    assert old.equals(nkdata.load("claims", format="arrow"))


#: A recorded release older than the claims table: load() derives the table from its figures.
OLDER = "0.1.0"


@pytest.mark.parametrize("fmt", ["pandas", "arrow", "polars"])
@pytest.mark.parametrize("version", [None, OLDER], ids=["embedded-stores-it", "older-derives-it"])
def test_load_claims_from_the_embedded_release_or_an_older_one(fmt: str, version: str | None, cache_dir: Path) -> None:
    """Derived on load when the release predates the table, read when it has one (the embedded release
    stores it: alone, this test never reached the derivation)."""
    mirror = str(REPO / "data" / "releases" / OLDER) if version else None  # the recorded zip, unpacked into cache_dir
    ds = nkdata.load(version=version, mirror=mirror, format="arrow")
    assert ("claims" in ds.release.table_names()) == (version is None)
    t = nkdata.load("claims", version=version, mirror=mirror, format=fmt)
    keys = {f.get("claim_id") or "clm-" + f["figure_id"] for f in ds["figures"].to_pylist()}
    assert (t.num_rows if fmt == "arrow" else len(t)) == len(keys)
    assert set(ds["claims"]["claim_id"].to_pylist()) == keys  # the Dataset derives it as load("claims") does


def test_load_rejects_unknown_tables_still() -> None:
    with pytest.raises(UsageError, match="no table"):
        nkdata.load("timelines")


def _fig(fid: str, source: str, claim: str | None, start: str | None, end: str | None, precision: str | None, **kw: object) -> dict:
    return {
        "figure_id": fid, "source_id": source, "claim_id": claim, "metric": "killed", "value": 100.0, "value_low": None,
        "value_high": None, "qualifier": "approximately", "unit": "persons", "attribution": ["ent-nis", "ent-x"],
        "date_start": dt.date.fromisoformat(start) if start else None, "date_end": dt.date.fromisoformat(end) if end else None,
        "date_precision": precision, "location_id": kw.pop("location_id", None), **kw,
    }


def test_rows_overlap_precision_and_location() -> None:
    rows = claims.claim_rows(
        [
            _fig("fig-a", "src-1", "clm-x", "2025-01-06", "2025-01-12", "interval", location_id="ent-kursk"),
            _fig("fig-b", "src-2", "clm-x", "2025-01-01", "2025-01-31", "month", location_id="ent-kursk"),
            _fig("fig-c", "src-2", "clm-x", "2025-01-10", "2025-01-20", "interval"),
            _fig("fig-d", "src-3", None, None, None, None),
        ],
        {"ent-nis": "National Intelligence Service"},
        {"src-1": dt.date(2025, 1, 14), "src-2": dt.date(2025, 1, 13), "src-3": None},
    )
    assert [r["claim_id"] for r in rows] == ["clm-x", "clm-fig-d"]
    x = rows[0]
    # the overlap 10-12 January is no figure's own interval
    assert (x["date_start"], x["date_end"], x["date_precision"]) == (dt.date(2025, 1, 10), dt.date(2025, 1, 12), "interval")
    assert x["n_sources"] == 2 and x["source_ids"] == ["src-1", "src-2"] and x["figure_ids"] == ["fig-a", "fig-b", "fig-c"]
    assert x["location_id"] is None  # the figures do not agree on a place
    assert x["originator_name"] == "National Intelligence Service"
    assert x["first_reported"] == dt.date(2025, 1, 13) and x["n_figures"] == 3
    assert rows[1]["date_start"] is None and rows[1]["n_sources"] == 1 and rows[1]["first_reported"] is None


def test_a_release_without_claim_ids() -> None:
    figures = pa.Table.from_pylist([{k: v for k, v in _fig("fig-a", "src-1", None, "2025-01-06", "2025-01-06", "day").items() if k != "claim_id"}])
    t = claims_table({"figures": figures})
    assert t.num_rows == 1 and t.column("claim_id").to_pylist() == ["clm-fig-a"] and t.column("originator_name").to_pylist() == [None]
    # no source publication day known: first reported is the figure's date
    assert t.column("first_reported").to_pylist() == [dt.date(2025, 1, 6)]


def _bounds(fid: str, qualifier: str, value: float | None, low: float | None, high: float | None) -> dict:
    return _fig(fid, "src-" + fid, "clm-x", "2025-01-13", "2025-01-13", "day", qualifier=qualifier, value=value, value_low=low, value_high=high)


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        # "about 300" and "300": approximately 300, no bounds (not every figure states one)
        ([("approximately", 300.0, None, None), ("exact", 300.0, 300.0, 300.0)], (300.0, None, None, "approximately")),
        # all agree: their qualifier and bounds
        ([("exact", 300.0, 300.0, 300.0), ("exact", 300.0, 300.0, 300.0)], (300.0, 300.0, 300.0, "exact")),
        # "more than 3,000" and "3,000": a lower bound from both, no upper bound from the first
        ([("more_than", 3000.0, 3000.0, None), ("exact", 3000.0, 3000.0, 3000.0)], (3000.0, 3000.0, None, "more_than")),
        # a range is a range: no best; bounds from both
        ([("range", None, 3000.0, 4000.0), ("range", None, 3000.0, 4000.0)], (None, 3000.0, 4000.0, "range")),
        # an approximation with stated bounds, and an exact figure: the widest bounds both state
        ([("approximately", 300.0, 250.0, 350.0), ("exact", 300.0, 300.0, 300.0)], (300.0, 250.0, 350.0, "approximately")),
        # "at least" and "at most" of one number: the first in the order more_than, at_least, less_than, at_most
        ([("at_most", 500.0, None, 500.0), ("at_least", 500.0, 500.0, None)], (500.0, None, None, "at_least")),
    ],
)
def test_reconciliation_rule(figures: list[tuple[str, float | None, float | None, float | None]], expected: tuple[object, ...]) -> None:
    """best, low, high and qualifier as the data dictionary states the rule."""
    rows = claims.claim_rows([_bounds(f"fig-{i}", *f) for i, f in enumerate(figures)])
    assert len(rows) == 1
    r = rows[0]
    assert (r["best"], r["low"], r["high"], r["qualifier"]) == expected
    assert "Reconciling a claim's figures" in (REPO / "docs" / "data-dictionary.md").read_text(encoding="utf-8")


def test_a_claim_of_one_figure_reads_as_a_claim_of_two_identical_ones() -> None:
    """One figure's claim is its own columns; two identical figures (another outlet) reconcile to the same claim."""
    import random

    rng = random.Random(7)
    quals = [("exact", 300.0, 300.0, 300.0), ("approximately", 300.0, None, None), ("more_than", 300.0, 300.0, None), ("range", None, 200.0, 400.0)]
    days = [(None, None, None), ("2025-01-06", "2025-01-12", "interval"), ("2025-01-09", "2025-01-09", "day"), ("2025-01-09", None, None)]
    singles, doubles = [], []
    for k in range(40):
        q, v, lo, hi = rng.choice(quals)
        start, end, precision = rng.choice(days)
        fig = _fig(f"fig-{k:03d}-a", f"src-{k % 7}", f"clm-{k:03d}", start, end, precision, qualifier=q, value=v, value_low=lo, value_high=hi,
                   location_id=rng.choice([None, "ent-kursk"]))
        singles.append(fig)
        doubles += [fig, {**fig, "figure_id": f"fig-{k:03d}-b", "source_id": f"src-{k % 7}-b"}]
    published = {f"src-{i}": dt.date(2025, 2, i + 1) for i in range(7)}
    one = claims.claim_rows(singles, {"ent-nis": "NIS"}, published)
    two = claims.claim_rows(doubles, {"ent-nis": "NIS"}, published)
    assert len(one) == len(two) == 40
    for a, b in zip(one, two, strict=True):
        assert b["n_figures"] == 2 and b["figure_ids"] == [a["figure_ids"][0], a["figure_ids"][0][:-1] + "b"]
        same = ("n_figures", "n_sources", "figure_ids", "source_ids")
        assert {k: v for k, v in a.items() if k not in same} == {k: v for k, v in b.items() if k not in same}


def test_an_invalid_qualifier_does_not_stop_the_derivation() -> None:
    """A package row with a term outside the vocabulary (reported as M203) still makes a claim, as written."""
    rows = claims.claim_rows([_fig("fig-a", "src-1", "clm-x", None, None, None, qualifier="abouts"), _fig("fig-b", "src-2", "clm-x", None, None, None)])
    assert rows[0]["qualifier"] == "abouts"
    assert claims.claim_rows([_fig("fig-a", "src-1", None, None, None, None, qualifier="abouts")])[0]["qualifier"] == "abouts"
