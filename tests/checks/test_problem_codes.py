"""The problem catalogue: every code is documented once and emitted from exactly one module.

A code written in two modules is a check written twice, whose two copies can drift
(issue 9); this test reads every module of the package and finds where each code is
spelled out.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

from nkdata.problems import CATALOGUE, CODES

PACKAGE = Path(__file__).resolve().parents[2] / "nkdata"
CODE = re.compile(r"^[YMIVTCFP]\d{3}$")


def emitters() -> dict[str, set[str]]:
    """Code -> the modules whose code holds it as a string (the catalogue itself aside)."""
    out: dict[str, set[str]] = defaultdict(set)
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).as_posix()
        if rel == "nkdata/problems.py" or "/_release/" in rel:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value):
                out[node.value].add(rel)
    return out


def test_each_code_is_emitted_from_one_module() -> None:
    twice = {code: sorted(mods) for code, mods in emitters().items() if len(mods) > 1}
    assert twice == {}, f"codes spelled out in more than one module: {twice}"


def test_every_emitted_code_is_in_the_catalogue_and_every_entry_is_emitted() -> None:
    found = emitters()
    assert set(found) - set(CATALOGUE) == set(), "codes emitted but not in the catalogue"
    assert set(CATALOGUE) - set(found) == set(), "catalogue entries no module emits"


def test_the_catalogue_says_what_fix_and_message() -> None:
    assert list(CODES) == list(CATALOGUE)
    for code, entry in CATALOGUE.items():
        assert entry.meaning and entry.fix and entry.message, code
        assert entry.fix.endswith("."), code


def test_problems_are_reported_in_an_order_that_does_not_depend_on_who_found_them_first() -> None:
    """Package checks run in threads: two problems at one place with one code (two resources leaving the
    folder, P802 at datapackage.json) must come out in the same order whichever was found first."""
    from nkdata.problems import Problem

    texts = Problem("datapackage.json", None, None, "P802", None, "path", "seeds/../../x.txt leaves the package folder")
    table = Problem("datapackage.json", None, None, "P802", None, "path", "../figures.csv leaves the package folder")
    assert sorted([texts, table], key=Problem.sort_key) == sorted([table, texts], key=Problem.sort_key) == [table, texts]
