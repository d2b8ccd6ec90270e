"""Cross-field rules as data: written once, run two ways.

The pydantic models run these rules record by record (curated YAML); the
package checker runs the very same rules column by column with Arrow compute
(:func:`nkdata.checks.columns.check_rules`). A rule is a condition under which a
record is wrong, the field to blame and a message template over the record's
values; how to add one: CONTRIBUTING.md, "Adding a check".

As pydantic stops at the first failing validator, a record reports only the
first rule it breaks, in the order of :func:`for_table`.

The condition language is deliberately tiny, and every operator treats null
as Python does (``None != 3`` is true, ``None > 3`` is simply false), so both
executions agree; ``tests/checks/test_rules_engine.py`` checks that they do on
random records.
"""

from __future__ import annotations

import calendar
import functools
import string
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from nkdata.spec.conditions import (
    ArrowColumns,
    Cond,
    Expr,
    F,
    Values,
    and_,
    day,
    empty,
    eq,
    gt,
    is_in,
    is_null,
    lt,
    month,
    month_end,
    ne,
    not_,
    not_member,
    not_null,
    or_,
    year,
)

# ---------------------------------------------------------------- rules


#: The kinds of rule and the problem code each is reported as (nkdata.checks.fields.KIND_CODES): a
#: Literal, so that mypy refuses a misspelt kind (any other string would be reported as M202).
RuleKind = Literal["bounds", "dates", "rule"]


class Rule(NamedTuple):
    """A record is wrong when ``when`` holds: blame ``field`` with ``message``.

    ``field`` is a field of the table's model (the problem is located at it); ``message`` is a
    :meth:`str.format` template over the record's fields and ``args`` (extra values computed
    from the record). tests/checks/test_rules_engine.py checks both name real fields.
    """

    kind: RuleKind  # "bounds" -> M210, "dates" -> M220, "rule" -> M230
    field: str
    when: Cond
    message: str
    args: tuple[tuple[str, Expr], ...] = ()

    def format(self, rec: Values) -> str:
        return self.message.format_map(_Lazy(rec, dict(self.args)))

    def needs(self) -> set[str]:
        """Fields the condition, the computed args and the message read."""
        out = self.when.fields()
        for _, e in self.args:
            out |= e.fields()
        own = {k for k, _ in self.args}
        return out | {f.split(".")[0].split("[")[0] for _, f, _, _ in string.Formatter().parse(self.message) if f} - own


class _Lazy(dict):  # type: ignore[type-arg]
    """Format values: record fields by name, extra args computed on demand."""

    def __init__(self, rec: Values, args: dict[str, Expr]):
        super().__init__()
        self.rec, self.args = rec, args

    def __missing__(self, key: str) -> Any:
        return self.args[key].py(self.rec) if key in self.args else self.rec[key]


def _month_end(d: Any) -> int:
    return calendar.monthrange(d.year, d.month)[1]


_COMPILED: dict[int, tuple[tuple[Rule, ...], Callable[[Values], int]]] = {}


def _compile(rules: tuple[Rule, ...]) -> Callable[[Values], int]:
    """One Python function testing the rules in order: the index of the first broken one, or -1.

    Runs per curated record, so it is generated once as plain Python rather than
    walking the condition trees each time (:meth:`Cond.py` is the reference it must equal).
    """
    fields = sorted(set().union(set(), *(r.when.fields() for r in rules)))
    names = {f: f"v{i}" for i, f in enumerate(fields)}
    lines = ["def first_broken(rec):"]
    lines += [f"    {names[f]} = rec[{f!r}]" for f in fields]
    lines += [f"    if {r.when.src(names)}: return {k}" for k, r in enumerate(rules)]
    lines.append("    return -1")
    scope: dict[str, Any] = {"_month_end": _month_end}
    exec("\n".join(lines), scope)  # noqa: S102 - source built above from the rule tables only
    compiled: Callable[[Values], int] = scope["first_broken"]
    return compiled


def first_broken(rules: tuple[Rule, ...], rec: Values) -> Rule | None:
    """The first rule ``rec`` breaks, or None."""
    entry = _COMPILED.get(id(rules))
    if entry is None or entry[0] is not rules:
        entry = _COMPILED[id(rules)] = (rules, _compile(rules))
    k = entry[1](rec)
    return None if k < 0 else rules[k]


class Attrs(Mapping[str, Any]):
    """A model instance seen as a mapping of its fields (for :func:`first_broken`)."""

    def __init__(self, obj: Any):
        self.obj = obj

    def __getitem__(self, key: str) -> Any:
        return getattr(self.obj, key, None)

    def __iter__(self) -> Iterator[str]:  # pragma: no cover - not needed
        return iter(type(self.obj).model_fields)

    def __len__(self) -> int:  # pragma: no cover - not needed
        return len(type(self.obj).model_fields)


# ---------------------------------------------------------------- date intervals


@functools.cache
def interval(prefix: str) -> tuple[Rule, ...]:
    """A UCDP-style interval ``PREFIX_start``..``PREFIX_end`` with ``PREFIX_precision``."""
    fs, fe, fp = f"{prefix}_start", f"{prefix}_end", f"{prefix}_precision"
    s, e, p = F(fs), F(fe), F(fp)
    given = or_(not_null(s), not_null(e), not_null(p))
    together = f"{fs}, {fe} and {fp} go together: give all three or none"
    same_month = and_(eq(year(s), year(e)), eq(month(s), month(e)))
    got = f"got {{{fs}}}..{{{fe}}}"
    return (
        Rule("dates", fs, and_(given, is_null(s)), together),
        Rule("dates", fe, and_(given, is_null(e)), together),
        Rule("dates", fp, and_(given, is_null(p)), together),
        Rule("dates", fe, gt(s, e), f"{fe} {{{fe}}} is before {fs} {{{fs}}}"),
        Rule("dates", fe, and_(eq(p, "day"), ne(s, e)), f"precision 'day' needs {fs} = {fe}"),
        Rule(
            "dates",
            fs,
            and_(eq(p, "month"), not_(and_(same_month, eq(day(s), 1), eq(day(e), month_end(s))))),
            f"precision 'month' needs the first to the last day of one month, {got}",
        ),
        Rule(
            "dates",
            fs,
            and_(
                eq(p, "part_of_month"),
                not_(
                    and_(
                        same_month,
                        or_(
                            and_(eq(day(s), 1), eq(day(e), 10)),
                            and_(eq(day(s), 11), eq(day(e), 20)),
                            and_(eq(day(s), 21), eq(day(e), month_end(s))),
                        ),
                    )
                ),
            ),
            f"precision 'part_of_month' needs days 1-10, 11-20 or 21-{{last}} of one month, {got}",
            (("last", month_end(s)),),
        ),
        Rule(
            "dates",
            fs,
            and_(
                eq(p, "year"),
                not_(and_(eq(month(s), 1), eq(day(s), 1), eq(year(e), year(s)), eq(month(e), 12), eq(day(e), 31))),
            ),
            f"precision 'year' needs 1 January to 31 December, {got}",
        ),
    )


def inferred(prefix: str, explain: str) -> tuple[Rule, ...]:
    """``PREFIX_inferred`` needs a date, and notes that say where it comes from."""
    flag = f"{prefix}_inferred"
    return (
        Rule("dates", flag, and_(eq(F(flag), True), is_null(F(f"{prefix}_start"))), f"{flag} is true but no date is given"),
        Rule("dates", "notes", and_(eq(F(flag), True), is_null(F("notes"))), explain),
    )


DATED = interval("date") + inferred("date", "an inferred date must be explained in notes (where the year or day comes from)")
SOURCE = interval("published") + inferred("published", "an inferred publication date must be explained in notes")

# ---------------------------------------------------------------- figure bounds


@dataclass(frozen=True)
class Bounds:
    """What a qualifier says about value, value_low and value_high (see vocab.QUALIFIER)."""

    value: bool = True  # the stated number goes in value (False: value is null)
    equal: tuple[str, ...] = ()  # bounds set to the stated number
    null: tuple[str, ...] = ()  # bounds that must be null
    need: tuple[str, ...] = ()  # bounds that must be given
    enclose: bool = False  # given bounds must enclose value


QUALIFIER_BOUNDS: dict[str, Bounds] = {
    "exact": Bounds(equal=("value_low", "value_high")),
    "approximately": Bounds(enclose=True),
    "more_than": Bounds(equal=("value_low",), null=("value_high",)),
    "at_least": Bounds(equal=("value_low",), null=("value_high",)),
    "less_than": Bounds(equal=("value_high",), null=("value_low",)),
    "at_most": Bounds(equal=("value_high",), null=("value_low",)),
    "range": Bounds(value=False, need=("value_low", "value_high")),
}
BOUND_FIELDS = ("value_low", "value_high")


def _qualifiers(test: Callable[[Bounds], bool]) -> tuple[str, ...]:
    return tuple(q for q, b in QUALIFIER_BOUNDS.items() if test(b))


def _lists(kind: str, field: str, bounds: Bounds) -> bool:
    """Whether ``bounds`` lists ``field`` among its ``kind`` (need, equal, null) fields."""
    return field in getattr(bounds, kind)


def _bounds_rules() -> tuple[Rule, ...]:
    q, v, lo, hi = F("qualifier"), F("value"), F("value_low"), F("value_high")
    no_value = _qualifiers(lambda b: not b.value)
    rules = [Rule("bounds", "value", and_(is_in(q, no_value), not_null(v)), "a range has no single value: set value to null and give value_low and value_high")]
    rules += [
        Rule("bounds", f, and_(is_in(q, _qualifiers(functools.partial(_lists, "need", f))), is_null(F(f))), "a range needs both value_low and value_high")
        for f in BOUND_FIELDS
    ]
    rules.append(
        Rule("bounds", "value", and_(is_in(q, _qualifiers(lambda b: b.value)), is_null(v)), "qualifier '{qualifier}' needs the stated number in value")
    )
    rules += [
        Rule(
            "bounds",
            f,
            and_(is_in(q, _qualifiers(functools.partial(_lists, "equal", f))), ne(F(f), v)),
            f"qualifier '{{qualifier}}' sets {f} to the stated number {{value:g}}",
        )
        for f in BOUND_FIELDS
    ]
    for f, side in (("value_high", "upper"), ("value_low", "lower")):
        rules.append(
            Rule(
                "bounds",
                f,
                and_(is_in(q, _qualifiers(functools.partial(_lists, "null", f))), not_null(F(f))),
                f"qualifier '{{qualifier}}' states no {side} bound: {f} must be null",
            )
        )
    enclose = _qualifiers(lambda b: b.enclose)
    rules += [
        Rule("bounds", "value_low", and_(is_in(q, enclose), gt(lo, v)), "bounds must enclose the approximate value"),
        Rule("bounds", "value_high", and_(is_in(q, enclose), lt(hi, v)), "bounds must enclose the approximate value"),
        Rule("bounds", "value_low", gt(lo, hi), "value_low {value_low:g} is greater than value_high {value_high:g}"),
        Rule("bounds", "value", and_(eq(F("unit"), "percent"), or_(gt(v, 100), gt(lo, 100), gt(hi, 100))), "a percentage cannot exceed 100"),
        Rule("rule", "attribution", empty(F("attribution")), "attribution needs at least the originator"),
    ]
    return tuple(rules)


FIGURE = _bounds_rules()

STATEMENT = (
    Rule(
        "rule",
        "attribution",
        and_(not_null(F("speaker_id")), not_member(F("speaker_id"), F("attribution"))),
        "the speaker {speaker_id} must appear in the attribution chain (originator first)",
    ),
    Rule(
        "rule",
        "notes",
        and_(eq(F("kind"), "direct_quote"), is_null(F("speaker_id")), is_null(F("notes"))),
        "a direct quote with no known speaker must say in notes whom the source credits",
    ),
)

# No rules of their own yet: a rule about one entity or one event goes here.
ENTITY: tuple[Rule, ...] = ()
EVENT: tuple[Rule, ...] = ()

_BY_TABLE: dict[str, tuple[Rule, ...]] = {
    "sources": SOURCE,
    "entities": ENTITY,
    "figures": DATED + FIGURE,
    "statements": DATED + STATEMENT,
    "events": DATED + EVENT,
}


def for_table(table: str) -> tuple[Rule, ...]:
    """Every cross-field rule of a table, in the order the model's validators run them."""
    return _BY_TABLE[table]


__all__ = [
    "ArrowColumns", "Rule", "RuleKind", "Bounds", "QUALIFIER_BOUNDS",
    "DATED", "SOURCE", "ENTITY", "FIGURE", "STATEMENT", "EVENT", "for_table", "first_broken", "Attrs",
]
