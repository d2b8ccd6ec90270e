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
from nkdata.checks.csvcells import parse_json_lists
from nkdata.checks.evidence import number_stands_alone
from nkdata.checks.fields import KIND_CODES
from nkdata.checks.textmatch import SPACES, normalise, normalise_slow, normalise_with_map, normalise_with_map_slow, numbers_in
from nkdata.spec import rules
from nkdata.spec.columns import arrow_schema
from nkdata.spec.conditions import Cond, Expr, F
from nkdata.spec.models import MODELS

sys.path.insert(0, str(REPO / "benchmarks"))

Rows = list[dict[str, Any]]


# ---------------------------------------------------------------- one rule, two executions


RULE_TABLES = [table for table in MODELS if rules.for_table(table)]


def _compared_with(checks: tuple[rules.Rule, ...]) -> dict[str, list[Any]]:
    """The constants each field is compared with in ``checks`` (``eq(F("kind"), "direct_quote")``,
    ``is_in(F("qualifier"), ...)``): random records hold them now and then, so that a rule on any
    value can fire."""
    out: dict[str, list[Any]] = {}

    def walk(e: Any) -> None:
        if isinstance(e, Cond):
            first, *rest = e.args or (None,)
            if isinstance(first, F) and e.op in ("eq", "ne", "gt", "lt") and rest and not isinstance(rest[0], Expr):
                out.setdefault(first.name, []).append(rest[0])
            elif isinstance(first, F) and e.op == "in":
                out.setdefault(first.name, []).extend(rest[0])
            for a in e.args:
                walk(a)
        elif isinstance(e, Expr) and hasattr(e, "of"):
            walk(e.of)

    for rule in checks:
        walk(rule.when)
    return out


class _Draw:
    """Random values, the dates near month ends and the bounds around the value, where rules turn."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def day(self) -> dt.date | None:
        if self.rng.random() < 0.2:
            return None
        y, m = self.rng.choice((2024, 2025)), self.rng.randint(1, 12)
        return dt.date(y, m, self.rng.choice((1, 10, 11, 20, 21, calendar.monthrange(y, m)[1], self.rng.randint(1, 28))))

    def dates(self, prefix: str) -> dict[str, Any]:
        s = self.day()
        e = self.rng.choice((s, self.day(), s and s.replace(day=calendar.monthrange(s.year, s.month)[1]), s and dt.date(s.year, 12, 31)))
        return {
            f"{prefix}_start": s,
            f"{prefix}_end": e,
            f"{prefix}_precision": self.rng.choice((None, "day", "part_of_month", "month", "year", "interval")),
            f"{prefix}_inferred": self.rng.random() < 0.2,
        }

    def num(self) -> float | None:
        return self.rng.choice((None, 0.0, 10.0, 30.0, 100.0, 150.0, 3000.0))

    def ids(self) -> list[str]:
        return self.rng.choice(([], ["ent-a"], ["ent-b", "ent-c"]))

    def of_type(self, t: pa.DataType, constants: list[Any]) -> Any:
        """A value of a column of type ``t``; half the time one of the ``constants`` rules compare it with."""
        if constants and self.rng.random() < 0.5:
            return self.rng.choice(constants)
        if pa.types.is_list(t):
            return self.ids()
        if pa.types.is_date(t):
            return self.day()
        if pa.types.is_boolean(t):
            return self.rng.random() < 0.5
        if pa.types.is_integer(t) or pa.types.is_floating(t):
            return self.num()
        return self.rng.choice((None, "", "x", "ent-a"))

    def careful(self, table: str) -> dict[str, Any]:
        """The fields today's rules turn on, drawn with care."""
        if table == "figures":
            bounds = {"value": self.num(), "value_low": self.num(), "value_high": self.num()}
            return {**bounds, "qualifier": self.rng.choice(list(rules.QUALIFIER_BOUNDS)), "unit": self.rng.choice(("persons", "percent")), **self.dates("date")}
        if table == "statements":
            return {"speaker_id": self.rng.choice((None, "ent-a", "ent-b")), "kind": self.rng.choice(("direct_quote", "reported")), **self.dates("date")}
        return self.dates("published" if table == "sources" else "date") if table in ("sources", "events") else {}


def _random_records(n: int, seed: int) -> dict[str, Rows]:
    """Random records of every table with rules, valid and not, for both rule executions.

    Any field a rule reads beyond the careful ones is drawn from its column type and the
    constants the rules compare it with, so a new rule needs no change here."""
    draw = _Draw(seed)
    plan = {}
    for table in RULE_TABLES:
        checks = rules.for_table(table)
        plan[table] = ({f.name: f.type for f in arrow_schema(table)}, _compared_with(checks), sorted(set().union(*(r.needs() for r in checks))))
    out: dict[str, Rows] = {table: [] for table in RULE_TABLES}
    for _ in range(n):
        notes = draw.rng.choice((None, "n"))
        for table, (types, compared, needed) in plan.items():
            rec = {"notes": notes, "attribution": draw.ids(), **draw.careful(table)}
            rec |= {name: draw.of_type(types[name], compared.get(name, [])) for name in needed if name not in rec}
            out[table].append(rec)
    return out


@pytest.mark.parametrize("table", RULE_TABLES)
def test_rules_give_the_same_answer_in_python_and_arrow(table: str) -> None:
    records = _random_records(3000, seed=11)[table]
    checks = rules.for_table(table)
    types = {f.name: f.type for f in arrow_schema(table)}
    cols = {n: pa.array([r.get(n) for r in records], types[n]) for n in sorted(set().union(*(r.needs() for r in checks)))}
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
    records = _random_records(30000, seed=2)  # the rarest rule fires in about 1 record of 3000
    for table in RULE_TABLES:
        checks = rules.for_table(table)
        for rec in records[table]:
            hit = rules.first_broken(checks, rec)
            if hit is not None:
                seen.add((table, checks.index(hit)))
    unreached = [(t, i, rules.for_table(t)[i].message) for t in RULE_TABLES for i in range(len(rules.for_table(t))) if (t, i) not in seen]
    assert not unreached, unreached


@pytest.mark.parametrize("table", list(MODELS))
def test_every_rule_names_fields_of_its_table_and_has_a_code(table: str) -> None:
    """A misspelt kind or field is not an error anywhere else: the kind would be reported as M202,
    the field located at the record's first line (curated) and read as null on the curated path only."""
    fields = set(MODELS[table].model_fields)
    for rule in rules.for_table(table):
        assert rule.kind in KIND_CODES, (table, rule.kind, rule.message)
        assert rule.field in fields, f"{table}: rule {rule.message!r} blames {rule.field!r}, not a field of {MODELS[table].__name__}"
        assert rule.needs() <= fields, f"{table}: rule {rule.message!r} reads {sorted(rule.needs() - fields)}, not fields of {MODELS[table].__name__}"


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
