"""The claims table: what it holds and the rule that reconciles a claim's figures.

A claim is one originator's statement of one metric at one time; the figures
of a claim are the outlets' reports of it. The claims table is derived from the
figures (never curated by hand): :mod:`nkdata.release.claims` computes it, the
build publishes it (CSV, Parquet, Table Schema) and the package validator
recomputes it and compares. This module is the specification: its columns
and the reconciliation rule, which the data dictionary prints.
"""

from __future__ import annotations

from typing import Any, NamedTuple

TABLE = "claims"
ID_FIELD = "claim_id"
PATTERN = r"^clm-[a-z0-9]+(-[a-z0-9]+)*$"  # as the figures' claim_id
CAPTION = (
    "Claims: one row per originator's statement of one metric at one time, reconciled from the figures "
    "that report it (derived by the build from figures, sources and entities)."
)

#: The id of the claim a figure with no ``claim_id`` makes on its own: ``clm-`` + its figure id.
LONE_PREFIX = "clm-"


def lone_claim_id(figure_id: str) -> str:
    """The claim id of a figure that has no ``claim_id``: ``fig-nis-x`` makes claim ``clm-fig-nis-x``."""
    return LONE_PREFIX + figure_id


#: Qualifiers from the least to the most precise: a claim whose figures word the qualifier
#: differently takes the least precise of theirs.
QUALIFIER_ORDER: tuple[str, ...] = ("approximately", "range", "more_than", "at_least", "less_than", "at_most", "exact")


class ClaimColumn(NamedTuple):
    name: str
    type: str  # Table Schema type
    required: bool
    description: str
    ref: str | None = None  # table the id points to


COLUMNS: tuple[ClaimColumn, ...] = (
    ClaimColumn(
        "claim_id",
        "string",
        True,
        "Identifier of the claim: the figures' shared claim_id, or clm- followed by the figure id when a figure has no claim_id and makes a claim of its own.",
    ),
    ClaimColumn("originator", "string", True, "Entity id of who made the claim: attribution[0] of its figures.", "entities"),
    ClaimColumn("originator_name", "string", False, "Name of the originator entity."),
    ClaimColumn("metric", "string", True, "What is counted (metric vocabulary)."),
    ClaimColumn("unit", "string", True, "Unit of best, low and high (unit vocabulary)."),
    ClaimColumn("date_start", "date", False, "First day of the days every figure of the claim refers to (the overlap of their intervals); null if undated."),
    ClaimColumn("date_end", "date", False, "Last day of that overlap (inclusive)."),
    ClaimColumn("date_precision", "string", False, "Precision of the interval: a figure's own when the overlap is its interval, else 'interval'."),
    ClaimColumn("best", "number", False, "The number the originator stated; null when the claim is a range. See the reconciliation rule."),
    ClaimColumn("low", "number", False, "Lower bound: the lowest value_low of its figures when every figure states one, else null."),
    ClaimColumn("high", "number", False, "Upper bound: the highest value_high of its figures when every figure states one, else null."),
    ClaimColumn("qualifier", "string", True, "How sure the claim is of the number: the figures' shared qualifier, else the least precise of theirs."),
    ClaimColumn("n_sources", "integer", True, "Number of distinct sources that carry the claim."),
    ClaimColumn("n_figures", "integer", True, "Number of figures that report the claim."),
    ClaimColumn(
        "first_reported",
        "date",
        False,
        "Earliest publication day (published_start) of its sources; the earliest date_start of its figures when no source has one; null when neither is known.",
    ),
    ClaimColumn("source_ids", "array", True, "The sources that carry the claim, sorted. Encoded in CSV as a JSON array of strings."),
    ClaimColumn("figure_ids", "array", True, "The figures that report the claim, sorted. Encoded in CSV as a JSON array of strings."),
    ClaimColumn("location_id", "string", False, "Place the claim refers to when all its figures name the same one; else null.", "entities"),
)

#: The reconciliation rule, as the data dictionary prints it (UCDP documents its best/low/high so).
RECONCILIATION = (
    "Every figure belongs to one claim: the figures that share a `claim_id`, or the figure alone when it has none "
    "(claim id `clm-` + its figure id). The figures of a claim share the originator (attribution[0]), metric, unit "
    "and the stated number (value, or value_low and value_high for a range), and their date intervals overlap "
    "(check I303). The claim's columns reconcile them:",
    "",
    "- **best** = the stated number; null when the claim is a range.",
    "- **low** = the lowest value_low of its figures if every figure states a lower bound, else null.",
    "- **high** = the highest value_high of its figures if every figure states an upper bound, else null.",
    "- **qualifier** = the qualifier its figures share; when they word it differently, the least precise of theirs, "
    "in the order " + ", ".join(f"`{q}`" for q in QUALIFIER_ORDER) + ' (so "about 300" and "300" make '
    "`approximately` 300 with no bounds).",
    "- **date_start**, **date_end** = the overlap of the figures' intervals (the days every figure refers to); "
    "**date_precision** = the precision of the figure whose interval that is, else `interval`.",
    "- **location_id** = the place when every figure names the same one, else null.",
    "- **first_reported** = the earliest published_start of its sources, else the earliest date_start of its figures.",
)


def table_schema() -> dict[str, Any]:
    """The Frictionless Table Schema of the claims table."""
    from nkdata.spec import vocab

    terms = {"metric": "metric", "unit": "unit", "qualifier": "qualifier", "date_precision": "date_precision"}
    fields: list[dict[str, Any]] = []
    for c in COLUMNS:
        field: dict[str, Any] = {"name": c.name, "type": c.type, "description": c.description}
        if c.type == "date":
            field["format"] = "default"
        if c.name in terms:
            field["categories"] = vocab.categories(terms[c.name])
        constraints: dict[str, Any] = {}
        if c.required:
            constraints["required"] = True
        if c.name in terms:
            constraints["enum"] = list(vocab.VOCABULARIES[terms[c.name]])
        if c.type in ("number", "integer"):
            constraints["minimum"] = 0
        if c.name == ID_FIELD:
            constraints["pattern"] = PATTERN
            constraints["unique"] = True
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    foreign_keys = [{"fields": [c.name], "reference": {"resource": c.ref, "fields": ["entity_id"]}} for c in COLUMNS if c.ref]
    return {"fields": fields, "missingValues": [""], "primaryKey": [ID_FIELD], "foreignKeys": foreign_keys}
