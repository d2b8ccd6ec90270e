"""A problem found in the data, and how it is shown (text, JSON, GitHub annotations).

Every check in nkdata reports ``Problem`` objects and keeps going, so a
contributor sees all mistakes in one run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

# Codes are stable: tests, docs and CI annotations refer to them.
CODES: dict[str, str] = {
    "Y100": "YAML syntax error",
    "Y101": "YAML construct not allowed (custom tag, anchor abuse, non-string key)",
    "Y102": "YAML alias expansion over the limit",
    "Y103": "file too large",
    "Y104": "file structure is not what nkdata expects",
    "Y105": "duplicate key in a mapping",
    "M200": "unknown field",
    "M201": "required field missing",
    "M202": "value of the wrong type or form",
    "M203": "term not in the controlled vocabulary",
    "M204": "id does not match its pattern",
    "M210": "figure value, bounds and qualifier disagree",
    "M220": "date interval inconsistent with itself or its precision",
    "M221": "not a real calendar date",
    "M230": "other rule on a record",
    "I300": "duplicate id",
    "I301": "reference to an id that does not exist",
    "I302": "reference to an entity of the wrong kind",
    "I303": "figures sharing a claim_id disagree (originator, metric, stated number, unit or dates)",
    "V400": "evidence not found in the source text",
    "V401": "quoted text not found in the evidence",
    "V402": "a number of the figure does not occur in its evidence",
    "V403": "date_text not found in the evidence or source text",
    "V404": "value_text not found in the evidence",
    "T500": "source text missing or unreadable",
    "T501": "source text sha256 differs from the source record",
    "T502": "source text is not valid UTF-8",
    "T503": "text_path outside the project's seeds/ folder",
    "T504": "source text too large",
    "C600": "cell would run as a spreadsheet formula",
    "F700": "source file has no records",
    "F701": "record belongs to another source",
    "F702": "archived text in seeds/ that no source file refers to",
    "F703": "file in data/sources/ that is not read (not .yaml)",
    "P800": "package file missing",
    "P801": "package file hash or size differs from datapackage.json",
    "P802": "package descriptor invalid",
    "P803": "a table's CSV and Parquet copies disagree, or one cannot be read",
    "P804": "derived data (a figure's originator, the claims table) differs from what the figures make",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong, located as precisely as the input allows."""

    path: str
    line: int | None
    col: int | None
    code: str
    record_id: str | None
    field: str | None
    message: str
    hint: str = ""

    def location(self) -> str:
        loc = self.path
        if self.line is not None:
            loc += f":{self.line}"
            if self.col is not None:
                loc += f":{self.col}"
        return loc

    def format_text(self) -> str:
        who = " ".join(x for x in (self.record_id or "-", self.field or "-"))
        hint = f" (hint: {self.hint})" if self.hint else ""
        return f"{self.location()}: {self.code} {who}: {self.message}{hint}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _gh_escape(value: str, prop: bool = False) -> str:
    out = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        out = out.replace(":", "%3A").replace(",", "%2C")
    return out


def format_problems(problems: list[Problem], fmt: str = "text") -> str:
    """Render problems for a terminal (``text``), a program (``json``) or GitHub (``github``)."""
    if fmt == "json":
        return json.dumps(
            {"valid": not problems, "count": len(problems), "problems": [p.as_dict() for p in problems]},
            ensure_ascii=False,
            indent=2,
        )
    if fmt == "github":
        lines = []
        for p in problems:
            props = [f"file={_gh_escape(p.path, True)}"]
            if p.line is not None:
                props.append(f"line={p.line}")
            if p.col is not None:
                props.append(f"col={p.col}")
            props.append(f"title={_gh_escape(p.code + ' ' + (p.record_id or '') + ' ' + (p.field or ''), True).strip()}")
            msg = p.message + (f" (hint: {p.hint})" if p.hint else "")
            lines.append(f"::error {','.join(props)}::{_gh_escape(msg)}")
        return "\n".join(lines)
    if fmt == "text":
        return "\n".join(p.format_text() for p in problems)
    raise ValueError(f"unknown format {fmt!r}")
