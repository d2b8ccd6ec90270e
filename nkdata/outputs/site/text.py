"""Words for numbers, dates and qualifiers, shared by the pages and the charts (no HTML here)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

#: How a qualifier reads before its number.
_BEFORE = {
    "exact": "",
    "approximately": "about ",
    "more_than": "more than ",
    "at_least": "at least ",
    "less_than": "less than ",
    "at_most": "at most ",
}

#: The mark a chart draws for each qualifier, as the legend names it.
SHAPE = {
    "exact": "point",
    "approximately": "point",
    "range": "range",
    "more_than": "lower bound",
    "at_least": "lower bound",
    "less_than": "upper bound",
    "at_most": "upper bound",
}


#: The first whole number a float cannot tell from the next one.
EXACT_LIMIT = 2.0**53


def number(value: float | None, unit: str = "") -> str:
    """``12,000``; ``1.5`` keeps its decimals; a percent gets its sign; None is an em dash. Past 2**53,
    where a float no longer holds every whole number, ``1.23e+20``: the digits written out would be the
    float's, not the source's (and a number near the largest float, 309 of them, broke a chart's layout)."""
    if value is None:
        return "—"
    if abs(value) >= EXACT_LIMIT:
        text = f"{value:.3g}"
    else:
        text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text}%" if unit == "percent" else text


def label(term: str | None) -> str:
    """A vocabulary term as words: ``troops_deployed`` -> ``troops deployed``."""
    return (term or "").replace("_", " ")


def amount(qualifier: str, best: float | None, low: float | None, high: float | None, unit: str = "") -> str:
    """The reconciled number in words: ``more than 4,000``, ``3,000–4,000``, ``about 12,000``."""
    if qualifier == "range" or (best is None and low is not None and high is not None):
        return f"{number(low, unit)}–{number(high, unit)}"
    if qualifier in ("more_than", "at_least"):
        value = best if best is not None else low
    elif qualifier in ("less_than", "at_most"):
        value = best if best is not None else high
    else:
        value = best
    if value is None:
        return "not stated"
    return _BEFORE.get(qualifier, "") + number(value, unit)


def claim_amount(claim: Mapping[str, Any]) -> str:
    return amount(claim["qualifier"], claim.get("best"), claim.get("low"), claim.get("high"), claim.get("unit") or "")


def day(value: dt.date | None) -> str:
    return value.isoformat() if value is not None else "undated"


def interval(start: dt.date | None, end: dt.date | None, precision: str | None = None, inferred: bool = False) -> str:
    """``2024-12-23``, or ``2024-12-01 to 2024-12-31 (month)``; ``(inferred)`` when any part comes from outside the text."""
    if start is None:
        return "undated"
    text = start.isoformat() if end is None or end == start else f"{start.isoformat()} to {end.isoformat()}"
    if precision and precision != "day":
        text += f" ({label(precision)})"
    if inferred:
        text += " (inferred)"
    return text


def claim_title(claim: Mapping[str, Any]) -> str:
    """One line naming a claim: who, how many of what, when."""
    who = claim.get("originator_name") or claim["originator"]
    return f"{who}: {claim_amount(claim)} {label(claim['metric'])}, {interval(claim.get('date_start'), claim.get('date_end'), claim.get('date_precision'))}"
