"""References to records that have problems of their own, in a built package: the record's problems,
not one I301 (or I302) per row citing it, as in curated YAML (tests/curated/test_hostile_input.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from package_helpers import Rows, pick, rewrite, row_index, rows_of

from nkdata.checks.package import validate_package


def test_a_reference_to_an_entity_with_a_problem_is_not_called_unknown(pkg: Path) -> None:
    """As in curated YAML: the entity's own problem, not one I301 (or I302) per row citing it. And an id
    given twice, once with a problem, is checked as its valid record (its kind included)."""
    cited = Counter(f["location_id"] for f in rows_of(pkg, "figures") if f["location_id"])
    place, n = cited.most_common(1)[0]
    assert n > 1 and pick(pkg, "entities", lambda e: e["entity_id"] == place)["kind"] in ("place", "country")

    rewrite(pkg, "entities", lambda rows: rows[row_index(rows, "entity_id", place)].update(country="Korea"))
    assert {(p.code, p.record_id, p.field) for p in validate_package(pkg)} == {("M202", place, "country")}

    def twice(rows: Rows) -> None:  # a copy with a problem first, then a valid one of a kind location_id does not take
        i = row_index(rows, "entity_id", place)
        rows[i]["country"] = "KR"  # undo the edit above
        rows.insert(i, dict(rows[i], country="Korea"))
        rows[i + 1]["kind"] = "person"

    rewrite(pkg, "entities", twice)
    found = validate_package(pkg)
    assert {("M202", place, "country")} <= {(p.code, p.record_id, p.field) for p in found}
    citing = n + sum(e["location_id"] == place for e in rows_of(pkg, "events"))  # events have a location too
    assert len([p for p in found if p.code == "I302" and p.field == "location_id"]) == citing, [p.format_text() for p in found][:5]
    assert not [p for p in found if p.code == "I301"]
