"""The rules engine: one rule table, run by pydantic on curated records and by Arrow on built
packages, gives the same answer both ways; the quick text tests used on packages are sound."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import random
import sys
from typing import Any

import pyarrow as pa
import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st

from nkdata.checks.columns import compile_columns
from nkdata.checks.evidence import number_stands_alone
from nkdata.checks.package_tables import parse_json_lists
from nkdata.checks.textmatch import SPACES, normalise, normalise_slow, normalise_with_map, normalise_with_map_slow, numbers_in
from nkdata.spec import rules

sys.path.insert(0, str(REPO / "benchmarks"))

Rows = list[dict[str, Any]]


# ---------------------------------------------------------------- one rule, two executions


def _random_records(n: int, seed: int) -> dict[str, Rows]:
    """Random figures, statements and sources, valid and not, for both rule executions."""
    rng = random.Random(seed)

    def day() -> dt.date | None:
        if rng.random() < 0.2:
            return None
        y, m = rng.choice((2024, 2025)), rng.randint(1, 12)
        return dt.date(y, m, rng.choice((1, 10, 11, 20, 21, calendar.monthrange(y, m)[1], rng.randint(1, 28))))

    def dates(prefix: str) -> dict[str, Any]:
        s = day()
        e = rng.choice((s, day(), s and s.replace(day=calendar.monthrange(s.year, s.month)[1]), s and dt.date(s.year, 12, 31)))
        return {
            f"{prefix}_start": s,
            f"{prefix}_end": e,
            f"{prefix}_precision": rng.choice((None, "day", "part_of_month", "month", "year", "interval")),
            f"{prefix}_inferred": rng.random() < 0.2,
        }

    def num() -> float | None:
        return rng.choice((None, 0.0, 10.0, 30.0, 100.0, 150.0, 3000.0))

    out: dict[str, Rows] = {"figures": [], "statements": [], "sources": []}
    for _ in range(n):
        notes = rng.choice((None, "n"))
        out["figures"].append(
            {
                "value": num(),
                "value_low": num(),
                "value_high": num(),
                "qualifier": rng.choice(list(rules.QUALIFIER_BOUNDS)),
                "unit": rng.choice(("persons", "percent")),
                "attribution": rng.choice(([], ["ent-a"])),
                "notes": notes,
                **dates("date"),
            }
        )
        out["statements"].append(
            {
                "speaker_id": rng.choice((None, "ent-a", "ent-b")),
                "attribution": rng.choice(([], ["ent-a"], ["ent-b", "ent-c"])),
                "kind": rng.choice(("direct_quote", "reported")),
                "notes": notes,
                **dates("date"),
            }
        )
        out["sources"].append({"notes": notes, **dates("published")})
    return out


@pytest.mark.parametrize("table", ["figures", "statements", "sources"])
def test_rules_give_the_same_answer_in_python_and_arrow(table: str) -> None:
    records = _random_records(3000, seed=11)[table]
    checks = rules.for_table(table)
    names = sorted(
        set().union(*(r.needs() for r in checks))
        | {f for r in checks for f in ("value", "value_low", "value_high", "qualifier", "speaker_id") if f in records[0]}
    )
    types = {
        "attribution": pa.list_(pa.string()),
        "date_start": pa.date32(),
        "date_end": pa.date32(),
        "published_start": pa.date32(),
        "published_end": pa.date32(),
        "date_inferred": pa.bool_(),
        "published_inferred": pa.bool_(),
        "value": pa.float64(),
        "value_low": pa.float64(),
        "value_high": pa.float64(),
    }
    cols = {n: pa.array([r.get(n) for r in records], types.get(n, pa.string())) for n in names}
    masks = [rule.when.arrow(cols).to_pylist() for rule in checks]
    broken_somewhere = 0
    for i, rec in enumerate(records):
        py = rules.first_broken(checks, rec)  # generated Python
        tree = next((rule for rule in checks if rule.when.py(rec)), None)  # the condition trees, walked
        arrow = next((rule for rule, mask in zip(checks, masks, strict=True) if mask[i]), None)  # Arrow compute
        assert py == tree == arrow, (rec, py, tree, arrow)
        if py is not None:
            broken_somewhere += 1
            assert py.format(rec)
    assert 0 < broken_somewhere < len(records)


def test_every_rule_is_reachable() -> None:
    seen = set()
    for table in ("figures", "statements", "sources"):
        checks = rules.for_table(table)
        for rec in _random_records(6000, seed=2)[table]:
            hit = rules.first_broken(checks, rec)
            if hit is not None:
                seen.add((table, checks.index(hit)))
    unreached = [
        (t, i, rules.for_table(t)[i].message) for t in ("figures", "statements", "sources") for i in range(len(rules.for_table(t))) if (t, i) not in seen
    ]
    assert not unreached, unreached


def test_qualifier_table_covers_the_vocabulary() -> None:
    from nkdata.spec import vocab

    assert set(rules.QUALIFIER_BOUNDS) == set(vocab.QUALIFIER)


def test_columns_are_compiled_from_the_models() -> None:
    cols = {c.name: c for c in compile_columns("figures")}
    assert cols["metric"].value.terms and "killed" in cols["metric"].value.terms
    assert cols["figure_id"].value.pattern == r"^fig-[a-z0-9]+(-[a-z0-9]+)*$" and cols["figure_id"].required
    assert cols["attribution"].item is not None and cols["attribution"].item.pattern == r"^ent-[a-z0-9]+(-[a-z0-9]+)*$"
    assert cols["value"].value.minimum == 0 and not cols["value"].required
    assert cols["evidence"].value.min_length == 1
    assert not cols["evidence_start"].in_model and cols["evidence_start"].value.minimum == 0
    topics = {c.name: c for c in compile_columns("statements")}["topics"]
    assert topics.item is not None and "morale" in (topics.item.terms or ())


# ---------------------------------------------------------------- the quick text tests are sound

_TEXT = st.lists(
    st.sampled_from(list("0123456789 ,.-k\n\t\u00a0abtTh") + ["thousand", "hundred", "million", " 4,000", "4000", "“", "”", "–", "٣", "ﬁ", "½", "`", "\u2009"]),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(_TEXT)
def test_fast_normalise_is_normalise(text: str) -> None:
    assert normalise(text) == normalise_slow(text)


_WIDE = st.one_of(
    _TEXT,
    st.lists(st.sampled_from(list("ab é한жΩ’—`\x1c\x1f\u2028\u200b\u3000\r\n\x0b") + ["e\u0301", "ﬁ", "Å", "가\u11a8", "\ud800"]), max_size=30).map("".join),
    st.text(max_size=30),
)


@settings(max_examples=500, deadline=None)
@given(_WIDE)
def test_fast_normalise_with_map_is_the_character_by_character_one(text: str) -> None:
    """The map says where each normalised character came from: the fast path must say the same."""
    assert normalise_with_map(text) == normalise_with_map_slow(text)


def test_the_white_space_the_fast_path_knows_is_python_s() -> None:
    assert SPACES == tuple(c for c in range(0x110000) if chr(c).isspace())


@settings(max_examples=600, deadline=None)
@given(_TEXT, st.sampled_from([0.0, 4.0, 40.0, 400.0, 4000.0, 40000.0, 1000.0, 3.0]))
def test_a_number_standing_alone_is_one_numbers_in_finds(text: str, v: float) -> None:
    if number_stands_alone(normalise(text), v):
        assert v in numbers_in(text)


def test_number_stands_alone_examples() -> None:
    assert number_stands_alone("about 4,000 troops", 4000)
    assert number_stands_alone("(4000)", 4000)
    assert not number_stands_alone("4,000 thousand", 4000)
    assert not number_stands_alone("14,000", 4000)
    assert not number_stands_alone("1 000", 0)
    assert not number_stands_alone("4.5", 4)
    assert not number_stands_alone("4k", 4)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(max_size=8), max_size=4), max_size=6))
def test_lists_read_back_from_their_csv_spelling(lists: list[list[str]]) -> None:
    cells = pa.chunked_array([pa.array([json.dumps(x, ensure_ascii=False) for x in lists], pa.string())])
    assert parse_json_lists(cells, pa.list_(pa.string())).to_pylist() == lists
