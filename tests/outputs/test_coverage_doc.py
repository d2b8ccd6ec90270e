"""docs/coverage.md shows the release's claims by month and originator: regenerated, never hand-edited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from nkdata.outputs.coverage import claims_of, coverage_markdown, document_text, embedded_table

REPO = Path(__file__).resolve().parents[2]


def test_coverage_table_matches_the_embedded_release() -> None:
    doc = (REPO / "docs" / "coverage.md").read_text(encoding="utf-8")
    assert document_text(doc, embedded_table()) == doc, "docs/coverage.md is stale: run 'python -m nkdata.outputs.coverage'"


def test_one_briefing_counts_once_and_empty_months_show() -> None:
    figures = [
        {"figure_id": "fig-a", "claim_id": "clm-x", "attribution": ["ent-nis", "ent-yonhap"], "date_start": dt.date(2024, 10, 18)},
        {"figure_id": "fig-b", "claim_id": "clm-x", "attribution": ["ent-nis", "ent-kbs"], "date_start": dt.date(2024, 10, 18)},
        {"figure_id": "fig-c", "claim_id": None, "attribution": ["ent-nato"], "date_start": dt.date(2024, 12, 2)},
    ]
    entities = [{"entity_id": "ent-nis", "name": "NIS", "country": "KR"}, {"entity_id": "ent-nato", "name": "NATO", "country": None}]
    assert len(claims_of(figures)) == 2
    table = coverage_markdown(figures, entities)
    assert "| 2024-10 | 1 | · | · | · | · | · | · | 1 |" in table
    assert "| 2024-11 | · | · | · | · | · | · | · | · |" in table  # a month with no claim is a visible gap
    assert "| 2024-12 | · | · | · | · | · | · | 1 | 1 |" in table
    assert "| NIS (`ent-nis`) | South Korea | 2024-10-18 | 2024-10-18 | 1 | 2 |" in table
