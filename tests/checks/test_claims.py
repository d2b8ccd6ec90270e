"""The same claim, counted once: figures sharing a claim_id must tell one claim (I303).

Each test copies the real project, breaks one figure of a real claim, and checks
that ``nkdata validate`` reports I303 at that figure's field, naming the figure it
disagrees with. Edits assert the text they replace, so a change in the curated
data makes a test fail loudly instead of testing nothing.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from conftest import Project, problems_from_json, run_cli

from nkdata.curated.reader import read_project
from nkdata.problems import CODES

MT = "data/sources/moscowtimes-a87427.yaml"  # clm-jcs-casualties-2024-12-23 (3 sources)
FAMA = "data/sources/famagustagazette-2024-12-19.yaml"  # clm-nis-killed-2024-12-19 (3 sources)
YAHOO = "data/sources/yahoo-upi-2025-01-11.yaml"  # clm-zelensky-captured-2025-01-11 (2 sources)
MT_DATES = (
    "    date_start: 2024-12-23\n"
    "    date_end: 2024-12-23\n"
    "    date_precision: day\n"
    "    date_text: on Monday\n"
    "    date_inferred: true\n"
)


def i303(problems):
    return [p for p in problems if p.code == "I303"]


def test_code_is_documented() -> None:
    assert "I303" in CODES


def test_real_claims_are_consistent_and_span_sources(project: Project) -> None:
    assert project.validate() == []
    claims: dict[str, set[str]] = defaultdict(set)
    figures = [loc.record for loc in read_project(project.root).records["figures"]]
    # since 0.3.0 every figure carries a claim_id; a figure no other source repeats is a claim of its own
    assert all(f.claim_id for f in figures), [f.record_id for f in figures if not f.claim_id]
    for f in figures:
        claims[f.claim_id].add(f.source_id)
    # a claim is the same claim told by different sources: at least 30 claims are told by two or more
    assert len([c for c, sources in claims.items() if len(sources) >= 2]) >= 30
    assert claims["clm-jcs-casualties-2024-12-23"] == {"src-aljazeera-2024-12-23", "src-moscowtimes-a87427", "src-urdupoint-1898337"}


def test_different_number_is_reported_at_the_figure(project: Project) -> None:
    # 1,000 is in Famagusta's evidence ("around 1,000 have been wounded"), so only the claim rule can object
    project.replace(FAMA, "    value: 100\n    value_low: 100\n", "    value: 1000\n    value_low: 1000\n")
    found = i303(project.validate())
    assert {p.field for p in found} == {"value"}
    for p in found:
        assert p.path == FAMA and p.record_id == "fig-nis-killed-100-famagusta"
        assert p.line == project.line_of(FAMA, f"    {p.field}: 1000")
        assert "clm-nis-killed-2024-12-19" in p.message and "100" in p.message
    assert "fig-nis-killed-100-famagusta" not in [p.record_id for p in project.validate() if p.code != "I303"]


def test_different_qualifier_is_one_claim(project: Project) -> None:
    # outlets word one briefing differently ("about 1,100" / "more than 1,100"): still one claim
    project.replace(
        MT,
        "    value_low: null\n    value_high: null\n    qualifier: approximately\n",
        "    value_low: 1100\n    value_high: null\n    qualifier: more_than\n",
    )
    assert i303(project.validate()) == []


def test_range_against_a_number_is_reported(project: Project) -> None:
    project.replace(
        MT,
        "    value: 1100\n    value_low: null\n    value_high: null\n    qualifier: approximately\n",
        "    value: null\n    value_low: 1000\n    value_high: 1100\n    qualifier: range\n",
    )
    found = i303(project.validate())
    assert [(p.record_id, p.field) for p in found] == [("fig-jcs-casualties-1100-moscowtimes", "value")]
    # the message names the figure it disagrees with, and where that figure is
    assert "in fig-jcs-casualties-1100-aljazeera (data/sources/aljazeera-2024-12-23.yaml:" in found[0].message


def test_different_originator(project: Project) -> None:
    project.replace(MT, "attribution: [ent-jcs, ent-moscow-times]", "attribution: [ent-nis, ent-moscow-times]")
    found = i303(project.validate())
    assert len(found) == 1
    p = found[0]
    assert p.field == "attribution" and "originator" in p.message and "'ent-nis'" in p.message and "'ent-jcs'" in p.message
    assert p.line == project.line_of(MT, "attribution: [ent-nis")


def test_different_metric(project: Project) -> None:
    project.replace(MT, "    metric: casualties\n", "    metric: wounded\n")
    found = i303(project.validate())
    assert [(p.record_id, p.field) for p in found] == [("fig-jcs-casualties-1100-moscowtimes", "metric")]


def test_different_unit(project: Project) -> None:
    project.replace(YAHOO, "    unit: persons\n", "    unit: percent\n")  # the first figure: two soldiers captured
    found = i303(project.validate())
    assert [(p.record_id, p.field) for p in found] == [("fig-zelensky-captured-2-yahoo", "unit")]


def test_dates_that_do_not_overlap(project: Project) -> None:
    project.replace(MT, MT_DATES, MT_DATES.replace("2024-12-23", "2024-12-24"))
    found = i303(project.validate())
    assert [(p.record_id, p.field) for p in found] == [("fig-jcs-casualties-1100-moscowtimes", "date_start")]
    assert "2024-12-24..2024-12-24 do not overlap 2024-12-23..2024-12-23" in found[0].message


def test_dates_that_overlap_without_being_equal_are_one_claim(project: Project) -> None:
    # a week that contains the day of the other reports is still the same claim
    project.replace(
        MT,
        MT_DATES,
        "    date_start: 2024-12-20\n    date_end: 2024-12-26\n    date_precision: interval\n"
        "    date_text: on Monday\n    date_inferred: true\n",
    )
    assert i303(project.validate()) == []


def test_one_figure_undated_while_the_others_are_dated(project: Project) -> None:
    project.replace(MT, MT_DATES, "")
    found = i303(project.validate())
    assert [(p.record_id, p.field) for p in found] == [("fig-jcs-casualties-1100-moscowtimes", "date_start")]
    assert "no date" in found[0].message


def test_a_claim_id_on_a_single_figure_is_allowed(project: Project) -> None:
    project.replace(MT, "claim_id: clm-jcs-casualties-2024-12-23", "claim_id: clm-jcs-casualties-moscow-times-only")
    assert project.validate() == []


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_cli_reports_i303_and_fails(project: Project, fmt: str) -> None:
    project.replace(MT, "    metric: casualties\n", "    metric: killed\n")
    result = run_cli("validate", str(project.root), "--format", fmt)
    assert result.exit_code == 1
    if fmt == "json":
        codes = [p["code"] for p in problems_from_json(result.stdout)]
        assert codes == ["I303"]
    else:
        assert f"{MT}:{project.line_of(MT, '    metric: killed')}" in result.output and "I303" in result.output
