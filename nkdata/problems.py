"""A problem found in the data, and how it is shown (text, JSON, GitHub annotations).

Every check in nkdata reports ``Problem`` objects and keeps going, so a
contributor sees all mistakes in one run.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import NamedTuple


class Code(NamedTuple):
    """One entry of the problem catalogue."""

    meaning: str  #: what the problem is (CONTRIBUTING's table prints it)
    fix: str  #: what to do about it
    message: str  #: the form of the message, fields in braces (the checks fill them in)


#: The problem catalogue: every code a check can report. Codes are stable: tests, docs
#: and CI annotations refer to them. CONTRIBUTING.md's table is generated from it
#: (``python -m nkdata.cli.docs``).
CATALOGUE: dict[str, Code] = {
    "Y100": Code(
        "YAML syntax error",
        "Fix the YAML at the line shown: indentation, a missing colon, or quotes around text holding `: ` or ` #`.",
        "cannot parse: {error}",
    ),
    "Y101": Code(
        "YAML construct not allowed (custom tag, anchor abuse, non-string key)",
        "Remove the tag (`!!...`), merge key (`<<`) or non-name key; write plain values and `name: value` pairs.",
        "tag {tag!r} is not allowed",
    ),
    "Y102": Code(
        "YAML alias expansion over the limit",
        "Remove anchors (`&`) and aliases (`*`); write each record out in full.",
        "an alias refers to a value that contains it (infinite expansion)",
    ),
    "Y103": Code("file too large", "Split the records over several source files.", "file is {size} bytes; the limit is {limit}"),
    "Y104": Code(
        "file structure is not what nkdata expects",
        "Restore the layout: `source:` and the `figures:`, `statements:`, `events:` lists (`entities:` in entities.yaml), each entry a mapping.",
        "'{table}' must be a list of records",
    ),
    "Y105": Code("duplicate key in a mapping", "Keep one of the two keys with the same name.", "key {key!r} appears twice in one mapping"),
    "Y106": Code(
        "a file in data/ is a symlink leaving the project, or not a regular file",
        "Replace the symlink (or device, FIFO) by the plain file itself, inside the project.",
        "not read: the file is a symlink leading outside the project",
    ),
    "Y107": Code(
        "a YAML integer has more than 19 digits (outside the 64-bit range)",
        "Write the number as stated, with at most 19 digits; a longer one is a typo.",
        "value too large: the integer {value} is outside the 64-bit range the tables hold",
    ),
    "M200": Code("unknown field", "Correct the misspelt field name (the hint names the closest) or remove the field.", "unknown field {field!r}"),
    "M201": Code("required field missing", "Add the required field (the hint says what it holds).", "required field {field!r} is missing"),
    "M202": Code(
        "value of the wrong type or form",
        "Write the value in the form docs/data-dictionary.md gives (number, YYYY-MM-DD date, list, text, pattern).",
        "{value!r} is not a valid {type} value",
    ),
    "M203": Code(
        "term not in the controlled vocabulary",
        "Use a term of the vocabulary (docs/data-dictionary.md); a new term is a change to nkdata/spec/vocab.py.",
        "{value!r} is not a term of the {vocabulary} vocabulary",
    ),
    "M204": Code(
        "id does not match its pattern",
        "Write the id as its prefix (`src-`, `ent-`, `fig-`, `stm-`, `evt-`, `clm-`) and lower-case words joined by single hyphens.",
        "{value!r} is not a valid id",
    ),
    "M210": Code(
        "figure value, bounds and qualifier disagree",
        "Make value, value_low and value_high agree with the qualifier (see the `qualifier` vocabulary).",
        "the broken rule of nkdata.spec.rules, e.g. qualifier '{qualifier}' sets value_low to the stated number {value}",
    ),
    "M220": Code(
        "date interval inconsistent with itself or its precision",
        "Give date_start, date_end and date_precision together, start on or before end, as the precision requires.",
        "the date rule that is broken, e.g. date_end {date_end} is before date_start {date_start}",
    ),
    "M221": Code("not a real calendar date", "Write a real calendar date as YYYY-MM-DD.", "{value!r} is not a real calendar date"),
    "M230": Code(
        "other rule on a record",
        "Follow the rule the message names (speaker in the attribution, notes for an unnamed quote or an inferred date, ...).",
        "the rule that is broken, e.g. the speaker {speaker_id} must appear in the attribution chain",
    ),
    "I300": Code("duplicate id", "Give the record an id no other record uses.", "id {id!r} is already used at {where}"),
    "I301": Code(
        "reference to an id that does not exist",
        "Use an existing id (the hint names the closest) or add the entity to data/entities.yaml first.",
        "{id!r} is not a known {noun} id",
    ),
    "I302": Code(
        "reference to an entity of the wrong kind",
        "Point to an entity of the kind the field takes (e.g. a place or country for location_id).",
        "{id!r} is a {kind}, but {field} takes {kinds}",
    ),
    "I303": Code(
        "figures sharing a claim_id disagree (originator, metric, stated number, unit or dates)",
        "Make the figures of one claim agree (originator, metric, stated number, unit, overlapping dates; "
        "the qualifier may differ), or give this one its own claim_id.",
        "claim {claim_id}: {field} is {value!r} here but {other!r} in {where}",
    ),
    "V400": Code(
        "evidence not found in the source text",
        "Copy the span exactly from the archived text; only quotes, dashes and white space may differ.",
        "{field} not found in {source_id}'s text: {span!r}",
    ),
    "V401": Code(
        "quoted text not found in the evidence",
        "Copy the quoted words exactly from the evidence, without the quotation marks.",
        "the quote is not part of the evidence, verbatim: {text!r}",
    ),
    "V402": Code(
        "a number of the figure does not occur in its evidence",
        "Write the number as the evidence states it, or widen the evidence to the words that state it.",
        "{field} {value} does not occur in the evidence",
    ),
    "V403": Code(
        "date_text not found in the evidence or source text",
        "Copy date_text word for word from the evidence (or the text).",
        "date_text {date_text!r} is not in the source text",
    ),
    "V404": Code(
        "value_text not found in the evidence", "Copy value_text word for word from the evidence.", "value_text {value_text!r} is not in the evidence"
    ),
    "T500": Code("source text missing or unreadable", "Add the text to seeds/ or correct text_path.", "archived text {path} is missing"),
    "T501": Code(
        "source text sha256 differs from the source record",
        "Restore the text's original bytes; a changed text is a new source with its own file and sha256.",
        "{path} has sha256 {actual}, the record says {expected}",
    ),
    "T502": Code("source text is not valid UTF-8", "Save the text as UTF-8.", "{path} is not valid UTF-8 (byte {byte})"),
    "T503": Code(
        "text_path outside the project's seeds/ folder",
        "Keep the text as a plain file directly in seeds/ and point text_path at it.",
        "{path} resolves outside seeds/",
    ),
    "T504": Code(
        "source text too large",
        "Archive only the article's own text (a few kilobytes), not a whole page or site.",
        "{path} is {size} bytes; the limit is {limit}",
    ),
    "C600": Code(
        "cell would run as a spreadsheet formula",
        "Reword or trim the value so it does not start with =, +, -, @ or a tab.",
        "{value!r} starts with {char!r}, which spreadsheets run as a formula",
    ),
    "F700": Code(
        "source file has no records",
        "Add the records the source supports, or remove the source file and its text.",
        "the source file has no figures, statements or events",
    ),
    "F701": Code(
        "record belongs to another source",
        "Move the record to its own source's file, or drop its source_id (the file sets it).",
        "record says source_id {given!r} but this file is the source {source_id!r}",
    ),
    "F702": Code(
        "archived text in seeds/ that no source file refers to",
        "Start the text's source file with `nkdata new-source seeds/NAME.txt`, or delete the text.",
        "{path} is not the text of any source: no file in data/sources/ has text_path: {path}",
    ),
    "F703": Code(
        "file in data/sources/ that is not read (not .yaml)",
        "Rename the file to end in `.yaml` (or move it out of data/sources/): nothing else there is read.",
        "{path} is not read: source files end in .yaml",
    ),
    "F704": Code(
        "YAML file in data/ that nothing reads",
        "Move the records into `data/sources/NAME.yaml` (with their source) or `data/entities.yaml`, or delete the file: "
        "only those and `data/package.yaml` are read.",
        "{path} is not read: nothing in data/ reads this file, so its records would be left out",
    ),
    "P800": Code(
        "package file missing",
        "Rebuild the release with `nkdata build`; never copy files into a release by hand.",
        "{path} is listed in datapackage.json but missing",
    ),
    "P801": Code(
        "package file hash or size differs from datapackage.json",
        "Rebuild the release; a built file is never edited.",
        "sha256 {actual} does not match datapackage.json ({expected}); the file was altered",
    ),
    "P802": Code(
        "package descriptor invalid",
        "Rebuild the release; datapackage.json is generated, never edited.",
        "the Table Schema of {table!r} differs from the one this nkdata's models generate",
    ),
    "P803": Code(
        "a table's CSV and Parquet copies disagree, or one cannot be read",
        "Rebuild the release; a table's CSV and Parquet are written together from the same rows, never edited.",
        "the CSV says {csv} but {parquet} says {parquet_value}",
    ),
    "P804": Code(
        "derived data (a figure's originator, the claims table) differs from what the figures make",
        "Rebuild the release; each figure's originator and the claims table are computed from the figures by the build, never edited.",
        "{field} is {value} but its figures make {expected}",
    ),
}

#: Code -> meaning (the catalogue's first column).
CODES: dict[str, str] = {code: entry.meaning for code, entry in CATALOGUE.items()}


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

    def sort_key(self) -> tuple[str, int, int, str, str, str, str, str]:
        """Where, then what: the order problems are reported in, total, so that it never depends on which
        check (or which thread) found a problem first."""
        return (self.path, self.line or 0, self.col or 0, self.code, self.record_id or "", self.field or "", self.message, self.hint)

    def location(self) -> str:
        loc = self.path
        if self.line is not None:
            loc += f":{self.line}"
            if self.col is not None:
                loc += f":{self.col}"
        return loc

    def format_text(self) -> str:
        """One line, whatever the data holds: ids, fields and messages come from user files, so
        control characters (line breaks, escape sequences) are shown escaped, never acted on."""
        who = " ".join(x for x in (self.record_id or "-", self.field or "-"))
        hint = f" (hint: {self.hint})" if self.hint else ""
        return printable(f"{self.location()}: {self.code} {who}: {self.message}{hint}")

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


# Control characters, line and paragraph separators, and the invisible format characters: bidi
# embeddings, overrides and isolates (which can make a line read in another order, as in "Trojan
# Source"), zero-width characters, the soft hyphen, the byte order mark and the invisible tag characters;
# and lone surrogates: a file name that is not UTF-8 (seeds/a\xffb.txt) is decoded with them, and a
# UTF-8 terminal cannot print them (a UnicodeEncodeError).
_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def printable(text: str) -> str:
    """``text`` with every control or invisible format character written as an escape (``\\n``,
    ``\\x1b``, ``\\u202e``), so that text from a user's file can neither start a new output line, move
    the terminal's cursor, nor reorder or hide what the line shows."""
    return _CONTROL.sub(lambda m: _escape(m.group()), text)


def _escape(char: str) -> str:
    if char in "\n\r\t":
        return repr(char)[1:-1]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def _gh_escape(value: str, prop: bool = False) -> str:
    out = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    out = printable(out)  # what GitHub would not read as a line break is escaped too (ESC, other controls)
    if prop:
        out = out.replace(":", "%3A").replace(",", "%2C")
    return out


def format_problems(problems: list[Problem], fmt: str = "text") -> str:
    """Render problems for a terminal (``text``), a program (``json``) or GitHub (``github``)."""
    if fmt == "json":
        text = json.dumps(
            {"valid": not problems, "count": len(problems), "problems": [p.as_dict() for p in problems]},
            ensure_ascii=False,
            indent=2,
        )
        return _SURROGATE.sub(lambda m: _escape(m.group()), text)  # a JSON escape: json.loads gives the same string back
    if fmt == "github":
        lines = []
        for p in problems:
            props = [f"file={_gh_escape(p.path, True)}"]
            if p.line is not None:
                props.append(f"line={p.line}")
            if p.col is not None:
                props.append(f"col={p.col}")
            props.append(f"title={_gh_escape(' '.join(x for x in (p.code, p.record_id, p.field) if x), True)}")
            msg = p.message + (f" (hint: {p.hint})" if p.hint else "")
            lines.append(f"::error {','.join(props)}::{_gh_escape(msg)}")
        return "\n".join(lines)
    if fmt == "text":
        return "\n".join(p.format_text() for p in problems)
    raise ValueError(f"unknown format {fmt!r}")
