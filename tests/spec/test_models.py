"""Unit tests of the record models' cross-field rules (nkdata.spec.models).

Expected outcomes come from the rules as documented in the vocabularies and
CONTRIBUTING.md (an oracle written here), not from running the models.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from nkdata.spec import vocab
from nkdata.spec.models import MODELS, Entity, Event, Figure, Source, Statement

D = dt.date


def figure(**kw: Any) -> dict[str, Any]:
    base = dict(
        figure_id="fig-test",
        source_id="src-test",
        metric="casualties",
        value=4000,
        value_low=4000,
        value_high=None,
        qualifier="more_than",
        value_text="more than 4,000",
        unit="persons",
        attribution=["ent-nis"],
        evidence="more than 4,000 killed or wounded",
    )
    base.update(kw)
    return base


def event(**kw: Any) -> dict[str, Any]:
    base = dict(event_id="evt-test", source_id="src-test", event_type="deployment", summary="Troops sent.", evidence="sent")
    base.update(kw)
    return base


def statement(**kw: Any) -> dict[str, Any]:
    base = dict(
        statement_id="stm-test",
        source_id="src-test",
        speaker_id="ent-lee",
        attribution=["ent-lee", "ent-herald"],
        kind="direct_quote",
        text="The only question is when.",
    )
    base.update(kw)
    return base


def source(**kw: Any) -> dict[str, Any]:
    base = dict(source_id="src-test", title="A title", language="en", text_path="seeds/x.txt", text_sha256="0" * 64)
    base.update(kw)
    return base


def errors(model: type, data: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return exc.errors()
    return []


def rule_error(model: type, data: dict[str, Any]) -> tuple[str, str] | None:
    """(error type, field) of the first rule broken, or None when valid."""
    errs = errors(model, data)
    if not errs:
        return None
    e = errs[0]
    field = str(e["loc"][0]) if e["loc"] else (e.get("ctx") or {}).get("field")
    return e["type"], field


# ---------------------------------------------------------------- qualifier / bounds matrix


def bounds_oracle(q: str, v: float | None, lo: float | None, hi: float | None, unit: str = "persons") -> bool:
    """What the qualifier vocabulary says is allowed."""
    if lo is not None and hi is not None and lo > hi:
        return False
    if unit == "percent" and any(x is not None and x > 100 for x in (v, lo, hi)):
        return False
    if q == "range":
        return v is None and lo is not None and hi is not None
    if v is None:
        return False
    if q == "exact":
        return lo == v and hi == v
    if q in ("more_than", "at_least"):
        return lo == v and hi is None
    if q in ("less_than", "at_most"):
        return hi == v and lo is None
    if q == "approximately":
        return (lo is None or lo <= v) and (hi is None or hi >= v)
    raise AssertionError(q)


VALUES = [None, 10.0, 20.0, 30.0]
MATRIX = list(itertools.product(vocab.QUALIFIER, VALUES, VALUES, VALUES))


def test_matrix_covers_every_qualifier() -> None:
    assert {q for q, *_ in MATRIX} == set(vocab.QUALIFIER) == {
        "exact", "approximately", "more_than", "at_least", "less_than", "at_most", "range",
    }


@pytest.mark.parametrize("q,v,lo,hi", MATRIX)
def test_qualifier_bounds_matrix(q: str, v, lo, hi) -> None:
    got = rule_error(Figure, figure(qualifier=q, value=v, value_low=lo, value_high=hi))
    if bounds_oracle(q, v, lo, hi):
        assert got is None
    else:
        assert got is not None and got[0] == "bounds", got
        assert got[1] in ("value", "value_low", "value_high")


@pytest.mark.parametrize(
    "kw,field",
    [
        (dict(qualifier="range", value=3000, value_low=3000, value_high=4000), "value"),
        (dict(qualifier="range", value=None, value_low=None, value_high=4000), "value_low"),
        (dict(qualifier="range", value=None, value_low=3000, value_high=None), "value_high"),
        (dict(qualifier="range", value=None, value_low=5000, value_high=4000), "value_low"),
        (dict(qualifier="more_than", value=4000, value_low=3000, value_high=None), "value_low"),
        (dict(qualifier="more_than", value=4000, value_low=4000, value_high=5000), "value_high"),
        (dict(qualifier="at_most", value=4000, value_low=1000, value_high=4000), "value_low"),
        (dict(qualifier="less_than", value=4000, value_low=None, value_high=None), "value_high"),
        (dict(qualifier="exact", value=11000, value_low=11000, value_high=12000), "value_high"),
        (dict(qualifier="approximately", value=3000, value_low=3500, value_high=None), "value_low"),
        (dict(qualifier="approximately", value=3000, value_low=None, value_high=2500), "value_high"),
        (dict(qualifier="approximately", value=None, value_low=None, value_high=None), "value"),
        (dict(qualifier="approximately", value=130, value_low=None, value_high=None, unit="percent"), "value"),
    ],
)
def test_bounds_rules_name_the_field_to_fix(kw: dict, field: str) -> None:
    assert rule_error(Figure, figure(**kw)) == ("bounds", field)


@pytest.mark.parametrize(
    "kw",
    [
        dict(qualifier="more_than", value=4000, value_low=4000, value_high=None),
        dict(qualifier="at_least", value=4000, value_low=4000, value_high=None),
        dict(qualifier="range", value=None, value_low=3000, value_high=4000),
        dict(qualifier="range", value=None, value_low=4000, value_high=4000),
        dict(qualifier="exact", value=11000, value_low=11000, value_high=11000),
        dict(qualifier="approximately", value=3000, value_low=None, value_high=None),
        dict(qualifier="approximately", value=30, value_low=None, value_high=None, unit="percent"),
        dict(qualifier="exact", value=100, value_low=100, value_high=100, unit="percent"),
        dict(qualifier="at_most", value=0, value_low=None, value_high=0),
    ],
)
def test_real_world_figures_are_accepted(kw: dict) -> None:
    assert errors(Figure, figure(**kw)) == []


def test_negative_numbers_are_rejected() -> None:
    errs = errors(Figure, figure(qualifier="approximately", value=-5, value_low=None))
    assert [e["loc"] for e in errs] == [("value",)]


def test_figure_needs_an_attribution() -> None:
    assert rule_error(Figure, figure(attribution=[])) == ("rule", "attribution")


# ---------------------------------------------------------------- dates


def dated(start, end, precision, **kw: Any) -> dict[str, Any]:
    return event(date_start=start, date_end=end, date_precision=precision, **kw)


def interval_oracle(start: dt.date, end: dt.date, precision: str) -> bool:
    """The date_precision vocabulary, written independently of the model."""
    if start > end:
        return False
    last = calendar.monthrange(start.year, start.month)[1]
    one_month = (start.year, start.month) == (end.year, end.month)
    if precision == "day":
        return start == end
    if precision == "month":
        return one_month and start.day == 1 and end.day == last
    if precision == "part_of_month":
        return one_month and (start.day, end.day) in {(1, 10), (11, 20), (21, last)}
    if precision == "year":
        return (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year
    if precision == "interval":
        return True
    raise AssertionError(precision)


def test_interval_oracle_covers_every_precision() -> None:
    assert set(vocab.DATE_PRECISION) == {"day", "part_of_month", "month", "year", "interval"}


DATE_CASES = [
    # (start, end, precision, valid?)
    (D(2025, 3, 11), D(2025, 3, 20), "part_of_month", True),  # mid-March
    (D(2025, 3, 1), D(2025, 3, 10), "part_of_month", True),  # early March
    (D(2025, 3, 21), D(2025, 3, 31), "part_of_month", True),  # late March
    (D(2025, 3, 21), D(2025, 3, 30), "part_of_month", False),  # late March ends on the 31st
    (D(2025, 3, 11), D(2025, 3, 21), "part_of_month", False),
    (D(2025, 3, 10), D(2025, 3, 20), "part_of_month", False),
    (D(2025, 4, 21), D(2025, 4, 30), "part_of_month", True),  # 30-day month
    (D(2025, 2, 21), D(2025, 2, 28), "part_of_month", True),  # February, common year
    (D(2024, 2, 21), D(2024, 2, 28), "part_of_month", False),  # leap year: late February ends on the 29th
    (D(2024, 2, 21), D(2024, 2, 29), "part_of_month", True),
    (D(2024, 12, 21), D(2025, 1, 10), "part_of_month", False),  # across months
    (D(2025, 1, 1), D(2025, 1, 31), "month", True),
    (D(2025, 1, 1), D(2025, 1, 30), "month", False),
    (D(2025, 1, 2), D(2025, 1, 31), "month", False),
    (D(2024, 2, 1), D(2024, 2, 29), "month", True),
    (D(2024, 2, 1), D(2024, 2, 28), "month", False),
    (D(2025, 2, 1), D(2025, 2, 28), "month", True),
    (D(2100, 2, 1), D(2100, 2, 28), "month", True),  # 2100 is not a leap year
    (D(2000, 2, 1), D(2000, 2, 29), "month", True),  # 2000 is
    (D(2025, 1, 1), D(2025, 2, 28), "month", False),
    (D(2025, 1, 1), D(2025, 12, 31), "year", True),
    (D(2025, 1, 1), D(2025, 12, 30), "year", False),
    (D(2024, 1, 1), D(2025, 12, 31), "year", False),
    (D(2025, 3, 11), D(2025, 3, 11), "day", True),
    (D(2025, 3, 11), D(2025, 3, 12), "day", False),
    (D(2024, 12, 21), D(2025, 3, 2), "interval", True),
    (D(2025, 3, 20), D(2025, 3, 11), "interval", False),  # reversed
    (D(2025, 3, 20), D(2025, 3, 11), "part_of_month", False),
]


@pytest.mark.parametrize("start,end,precision,valid", DATE_CASES)
def test_date_precision_rules(start, end, precision, valid) -> None:
    assert interval_oracle(start, end, precision) is valid  # the table agrees with the oracle
    got = rule_error(Event, dated(start, end, precision))
    if valid:
        assert got is None
    else:
        assert got is not None and got[0] == "dates", got
        assert got[1] in ("date_start", "date_end")


def test_reversed_dates_point_at_date_end() -> None:
    assert rule_error(Event, dated(D(2025, 3, 20), D(2025, 3, 11), "interval")) == ("dates", "date_end")


dates = st.dates(min_value=D(1900, 1, 1), max_value=D(2199, 12, 31))


@given(dates, dates, st.sampled_from(sorted(vocab.DATE_PRECISION)))
def test_date_rules_match_the_oracle(start, end, precision) -> None:
    got = rule_error(Event, dated(start, end, precision))
    assert (got is None) is interval_oracle(start, end, precision), (start, end, precision, got)


@given(dates)
def test_every_month_and_its_parts_are_accepted(day) -> None:
    first = day.replace(day=1)
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    assert rule_error(Event, dated(first, last, "month")) is None
    for a, b in ((1, 10), (11, 20), (21, last.day)):
        assert rule_error(Event, dated(day.replace(day=a), day.replace(day=b), "part_of_month")) is None
    assert rule_error(Event, dated(day, day, "day")) is None
    assert rule_error(Event, dated(D(day.year, 1, 1), D(day.year, 12, 31), "year")) is None


@pytest.mark.parametrize(
    "given_fields,missing",
    [
        (dict(date_start=D(2025, 3, 1)), "date_end"),
        (dict(date_start=D(2025, 3, 1), date_end=D(2025, 3, 31)), "date_precision"),
        (dict(date_end=D(2025, 3, 31), date_precision="month"), "date_start"),
        (dict(date_precision="month"), "date_start"),
    ],
)
def test_date_fields_go_together(given_fields: dict, missing: str) -> None:
    assert rule_error(Event, event(**given_fields)) == ("dates", missing)


@pytest.mark.parametrize("text", ["2025-02-30", "2025-02-29", "2100-02-29", "2025-04-31", "2025-13-01", "2025-00-10", "March 2025"])
def test_impossible_dates_are_rejected(text: str) -> None:
    errs = errors(Event, dated(text, text, "day"))
    assert errs and {e["loc"][0] for e in errs} == {"date_start", "date_end"}
    assert all(e["type"].startswith("date_") for e in errs)


@pytest.mark.parametrize("text", ["2024-02-29", "2000-02-29", "2025-12-31"])
def test_real_leap_days_and_month_ends_are_dates(text: str) -> None:
    assert errors(Event, dated(text, text, "day")) == []


def test_inferred_date_needs_a_date_and_notes() -> None:
    assert rule_error(Event, event(date_inferred=True)) == ("dates", "date_inferred")
    month = dict(date_start=D(2025, 1, 1), date_end=D(2025, 1, 31), date_precision="month")
    assert rule_error(Event, event(date_inferred=True, **month)) == ("dates", "notes")
    assert rule_error(Event, event(date_inferred=True, notes="The year is inferred from the page date.", **month)) is None


def test_source_publication_dates_follow_the_same_rules() -> None:
    assert rule_error(Source, source(published_start=D(2025, 3, 31), published_end=D(2025, 3, 1), published_precision="interval")) == ("dates", "published_end")
    assert rule_error(Source, source(published_start=D(2025, 3, 1), published_end=D(2025, 3, 30), published_precision="month")) == ("dates", "published_start")
    assert rule_error(Source, source(published_start=D(2025, 3, 31))) == ("dates", "published_end")
    assert rule_error(Source, source(published_inferred=True)) == ("dates", "published_inferred")
    day = dict(published_start=D(2025, 3, 31), published_end=D(2025, 3, 31), published_precision="day")
    assert rule_error(Source, source(published_inferred=True, **day)) == ("dates", "notes")
    assert rule_error(Source, source(published_inferred=True, notes="From the page's dateline.", **day)) is None


# ---------------------------------------------------------------- statements


def test_speaker_must_be_in_the_attribution_chain() -> None:
    assert rule_error(Statement, statement(attribution=["ent-herald"])) == ("rule", "attribution")
    assert rule_error(Statement, statement()) is None


def test_anonymous_direct_quote_needs_notes() -> None:
    assert rule_error(Statement, statement(speaker_id=None, attribution=[])) == ("rule", "notes")
    assert rule_error(Statement, statement(speaker_id=None, attribution=[], notes='Credited to unnamed "reports".')) is None
    # a reported claim may have no known speaker
    assert rule_error(Statement, statement(speaker_id=None, attribution=[], kind="reported")) is None


# ---------------------------------------------------------------- unknown fields, ids, vocabularies

MINIMAL = {
    "sources": source(),
    "entities": dict(entity_id="ent-test", name="Test", kind="person"),
    "figures": figure(),
    "statements": statement(),
    "events": event(),
}


def test_minimal_records_are_valid() -> None:
    assert set(MINIMAL) >= set(MODELS)
    for table, data in MINIMAL.items():
        assert errors(MODELS[table], data) == [], table


@pytest.mark.parametrize("table", sorted(MINIMAL))
@pytest.mark.parametrize("extra", ["qualifer", "Notes", "evidence_start", "unknown_field"])
def test_unknown_fields_are_errors_not_dropped(table: str, extra: str) -> None:
    model = MODELS[table]
    if extra in model.model_fields:
        pytest.skip(f"{extra} is a field of {table}")
    errs = errors(model, {**MINIMAL[table], extra: "x"})
    assert [(e["type"], e["loc"]) for e in errs] == [("extra_forbidden", (extra,))]


@pytest.mark.parametrize(("table", "noun"), [("entities", "an entity"), ("events", "an event"), ("figures", "a figure"), ("sources", "a source")])
def test_an_unknown_field_is_named_with_its_record_kind(table: str, noun: str) -> None:
    from nkdata.checks.fields import describe_error

    model = MODELS[table]
    (err,) = errors(model, {**MINIMAL[table], "qualifer": "x"})
    code, field, message, _hint = describe_error(err, model)
    assert (code, field, message) == ("M200", "qualifer", f"unknown field 'qualifer' in {noun} record")


@pytest.mark.parametrize("bad", [float("inf"), float("-inf"), float("nan"), 10**400])
def test_a_figure_value_is_a_finite_number(bad: float) -> None:
    assert [e["type"] for e in errors(Figure, figure(value=bad, value_low=None, value_high=None, qualifier="approximately"))] in (
        ["finite_number"],
        ["float_type"],  # digits past a float's range
    )


def test_minus_zero_is_zero() -> None:
    """The CSV spells -0.0 as 0: the record must not keep a sign the CSV cannot show."""
    value = Figure.model_validate(figure(value=-0.0, value_low=-0.0, value_high=-0.0, qualifier="exact")).value
    assert value == 0 and str(value) == "0.0"


@pytest.mark.parametrize("table", sorted(MINIMAL))
def test_required_fields_are_required(table: str) -> None:
    model = MODELS[table]
    required = [n for n, f in model.model_fields.items() if f.is_required()]
    assert model.id_field in required
    for name in required:
        data = {k: v for k, v in MINIMAL[table].items() if k != name}
        assert ("missing", (name,)) in [(e["type"], e["loc"]) for e in errors(model, data)], name


ID_OK = {
    "sources": ["src-a", "src-nk-casualties-exceed-4000"],
    "entities": ["ent-nis", "ent-lee-seong-kweun"],
    "figures": ["fig-x1", "fig-nis-casualties-2025-03"],
    "statements": ["stm-a-b-c"],
    "events": ["evt-2025"],
}
PREFIX = {"sources": "src", "entities": "ent", "figures": "fig", "statements": "stm", "events": "evt"}


def bad_ids(p: str) -> list[str]:
    other = "evt" if p != "evt" else "fig"
    return ["", "x", p, f"{p}-", f"{p}--a", f"{p}-a-", f"{p.upper()}-a", f"{p}-A", f"{p}_a", f"{p}-a b",
            f"{p}-\u00e9", f"-{p}-a", f"{p}-a\n", f" {p}-a", f"{other}-a", f"{p}a"]


@pytest.mark.parametrize("table", sorted(ID_OK))
def test_id_patterns(table: str) -> None:
    model = MODELS[table]
    for good in ID_OK[table]:
        assert errors(model, {**MINIMAL[table], model.id_field: good}) == [], good
    for bad in bad_ids(PREFIX[table]):
        errs = errors(model, {**MINIMAL[table], model.id_field: bad})
        assert [(e["type"], e["loc"]) for e in errs] == [("string_pattern_mismatch", (model.id_field,))], (table, bad)


@pytest.mark.parametrize("field", ["attribution", "source_id"])
def test_reference_ids_follow_the_pattern_too(field: str) -> None:
    bad = ["Lee Seong-kweun"] if field == "attribution" else "source 1"
    errs = errors(Figure, figure(**{field: bad}))
    assert [e["type"] for e in errs] == ["string_pattern_mismatch"]


@pytest.mark.parametrize(
    "model,data,field",
    [
        (Figure, figure(metric="casualtys"), "metric"),
        (Figure, figure(unit="people"), "unit"),
        (Figure, figure(qualifier="over"), "qualifier"),
        (Event, event(event_type="attack"), "event_type"),
        (Entity, dict(MINIMAL["entities"], kind="org"), "kind"),
        (Statement, statement(kind="quote"), "kind"),
        (Source, source(text_kind="partial"), "text_kind"),
        (Event, dated(D(2025, 3, 1), D(2025, 3, 31), "weekly"), "date_precision"),
    ],
)
def test_terms_outside_the_vocabulary_are_rejected(model, data, field) -> None:
    errs = errors(model, data)
    assert [(e["type"], e["loc"][0]) for e in errs] == [("literal_error", field)]


def test_list_vocabulary_items_are_checked() -> None:
    errs = errors(Statement, statement(topics=["casualties", "casualty"]))
    assert [(e["type"], e["loc"]) for e in errs] == [("literal_error", ("topics", 1))]


def test_records_are_immutable() -> None:
    rec = Figure.model_validate(figure())
    with pytest.raises(ValidationError):
        rec.value = 5  # type: ignore[misc]
