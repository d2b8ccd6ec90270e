"""C600 sees a formula however it is spelled: the build publishes the source's own characters."""

from __future__ import annotations

import pyarrow as pa

from nkdata.checks.formulas import folded_formula, starts_formula

CELLS = {
    "=SUM(A1)": True,
    "+1": True,
    "-1": True,
    "@cmd": True,
    "\tx": True,
    "\uff1dHYPERLINK(...)": True,  # full-width equals sign: NFKC makes it '='
    " =HYPERLINK(...)": True,  # spaces before it are dropped by spreadsheets
    "\u00a0\u00a0+cmd": True,
    "\u3000@cmd": True,
    "North Korea sent 12,000": False,
    " 12,000 troops": False,
    "Über 3.000 Soldaten": False,
    " - a dash after a space": False,  # '-' counts only as the very first character
    "": False,
}


def test_starts_formula_in_bulk_agrees_with_the_rule() -> None:
    values = pa.array([*CELLS, None])
    assert starts_formula(values).tolist() == [*CELLS.values(), False]


def test_folded_formula() -> None:
    assert folded_formula("\uff0b1") and folded_formula("  \uff20x") and not folded_formula("a=b")
