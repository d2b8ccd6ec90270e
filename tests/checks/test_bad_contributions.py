"""Bad contributions to the REAL curated files, one per rule, and what `nkdata validate` must say.

Each case copies the project, applies one edit (the kind of mistake or attack a
pull request could contain) and checks, through the library and the CLI:

* the expected code is reported at the right file, line (and column where the
  rule pins one), record id and field; the line is found by searching the
  edited file for the edited text, never hard-coded;
* no other problem codes than the case allows;
* the CLI exits 1, prints the same problems in JSON as the library returns,
  prints the problem as ``path:line:col: CODE record field: message`` in text,
  and never a traceback;
* nothing in the project is written or changed by validating.

Each case runs on a copy of the slice of the real project that the cases edit
(data/package.yaml, data/entities.yaml, the two seed sources and their texts:
the same real files, a sixth of the validation time of the whole). A case whose
consequences can reach the other 169 sources (an edit of entities.yaml or
package.yaml, a code about ids, references, claims, texts or files) is also
checked, through the library, on a copy of the whole project.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import (
    ENTITIES,
    REPO,
    SEED_000,
    SEED_001,
    SRC_000,
    SRC_001,
    Project,
    problems_from_json,
    run_cli,
    run_cli_subprocess,
)

from nkdata.checks.texts import MAX_TEXT_BYTES
from nkdata.curated.yamlsafe import MAX_BYTES, MAX_DEPTH
from nkdata.problems import CODES, Problem

Where = Callable[[Project], tuple[object, int | None]]  # (line | range of lines | None, col | None)


# ---------------------------------------------------------------- edit builders


def rep(rel: str, old: str, new: str, count: int = 1) -> Callable[[Project], None]:
    return lambda p: p.replace(rel, old, new, count)


def seq(*edits: Callable[[Project], None]) -> Callable[[Project], None]:
    def run(p: Project) -> None:
        for e in edits:
            e(p)

    return run


def append(rel: str, extra: str) -> Callable[[Project], None]:
    return lambda p: p.append(rel, extra)


def edit_bytes(rel: str, fn: Callable[[bytes], bytes]) -> Callable[[Project], None]:
    def run(p: Project) -> None:
        path = p.path(rel)
        path.write_bytes(fn(path.read_bytes()))

    return run


def bytes_rep(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    def run(b: bytes) -> bytes:
        assert b.count(old) == 1, f"{old!r} should occur once"
        return b.replace(old, new)

    return run


def set_sha(rel_yaml: str, rel_text: str) -> Callable[[Project], None]:
    """Point the source record's text_sha256 at the text's current bytes."""

    def run(p: Project) -> None:
        text = p.read(rel_yaml)
        old = next(line for line in text.splitlines() if line.strip().startswith("text_sha256:"))
        digest = hashlib.sha256(p.path(rel_text).read_bytes()).hexdigest()
        p.replace(rel_yaml, old, f"  text_sha256: {digest}")

    return run


# ---------------------------------------------------------------- location builders


def at(rel: str, needle: str, occurrence: int = 1, col: bool = True, col_offset: int = 0) -> Where:
    """Line (and column) where ``needle`` starts in the edited file."""

    def run(p: Project) -> tuple[object, int | None]:
        line, c = p.line_col(rel, needle, occurrence)
        return line, (c + col_offset if col else None)

    return run


def key_before(rel: str, needle: str, key: str) -> Where:
    """Line and column of the last ``key`` before ``needle`` (the field whose value contains the edit)."""

    def run(p: Project) -> tuple[object, int | None]:
        text = p.read(rel)
        idx = text.index(needle)
        k = text.rindex(key, 0, idx)
        line = text.count("\n", 0, k) + 1
        return line, k - (text.rfind("\n", 0, k) + 1) + 1

    return run


def between(rel: str, first: str, last: str) -> Where:
    """Any line from the one holding ``first`` to the one holding ``last`` (no column)."""

    def run(p: Project) -> tuple[object, int | None]:
        return range(p.line_of(rel, first), p.line_of(rel, last) + 1), None

    return run


def nowhere(p: Project) -> tuple[object, int | None]:
    return None, None


def file_start(p: Project) -> tuple[object, int | None]:
    return 1, 1


# ---------------------------------------------------------------- cases


@dataclass
class Case:
    id: str
    edit: Callable[[Project], None]
    code: str
    path: str
    where: Where
    record_id: str | None
    field: str | None
    also: frozenset = frozenset()  # other codes this edit may legitimately cause
    hint: str | None = None  # a substring the hint must contain
    message: Callable[[Project], str] | None = None  # a substring the message must contain
    extra: list = field(default_factory=list)  # further (code, path, Where, record_id, field) expected
    hostile: bool = False  # also run through a real subprocess: an input that could hang, exhaust memory, run code or follow a link


CLAIMED = frozenset({"I303"})  # the seed figure shares its claim with another source's figure
ORPHAN = frozenset({"F702"})  # the real seed no longer has a source pointing at it
PACKAGE = "data/package.yaml"

FIG1 = "fig-nis-casualties-2025-03-mid"
FIG2 = "fig-nis-casualties-2025-01"
FIG_11000 = "fig-nis-troops-deployed-11000"
FIG_RANGE = "fig-nis-troops-additional-3000-4000"
FIG_PCT = "fig-lee-casualty-share-30-percent"
SRC1 = "src-nk-casualties-exceed-4000"
SRC0 = "src-nk-soldiers-fear-stress-loyalty"
STM_4000 = "stm-lee-more-than-4000-killed-or-wounded"

BOMB = """lol:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def _python_tag(p: Project) -> None:
    p.replace(SRC_001, "    metric: casualties\n", f'    metric: !!python/object/apply:os.system ["touch {p.root}/PWNED"]\n')


def _no_records(p: Project) -> None:
    text = p.read(SRC_000)
    p.write(SRC_000, text[: text.index("\nfigures:") + 1])


def _symlink_seed(target: Callable[[Project], Path]) -> Callable[[Project], None]:
    def run(p: Project) -> None:
        t = target(p)
        os.symlink(t, p.path("seeds/evil.txt"))
        p.replace(SRC_001, "text_path: seeds/001_6a6af57649902c1b.txt", "text_path: seeds/evil.txt")
        set_sha(SRC_001, "seeds/evil.txt")(p)  # so only the path rule can fail

    return run


def _outside_file(p: Project) -> Path:
    secret = p.root.parent / "outside-secret.txt"
    secret.write_text("not a seed\n", encoding="utf-8")
    return secret


CASES: list[Case] = [
    # ------------------------------------------------------------ Y: reading YAML
    Case("Y100-syntax-error", rep(SRC_001, "    value_text: surpassed 4,000\n", "    value_text: surpassed: 4,000\n"),
         "Y100", SRC_001, at(SRC_001, ": 4,000"), None, None),
    Case("Y100-not-utf8", edit_bytes(SRC_001, bytes_rep(b"# Curated records", b"# Curated \xff records")),
         "Y100", SRC_001, nowhere, None, None, hint="UTF-8"),
    Case("Y101-python-object-tag", _python_tag, "Y101", SRC_001, at(SRC_001, "!!python"), None, None, hostile=True),
    Case("Y101-custom-tag", rep(SRC_001, "    unit: persons\n", "    unit: !unit persons\n"),
         "Y101", SRC_001, at(SRC_001, "!unit"), None, None),
    Case("Y101-merge-key", rep(SRC_001, "    unit: persons\n", "    <<: {unit: persons}\n"),
         "Y101", SRC_001, at(SRC_001, "<<:"), None, None),
    Case("Y101-number-key", rep(SRC_001, "    unit: persons\n", "    unit: persons\n    2025: persons\n"),
         "Y101", SRC_001, at(SRC_001, "2025: persons"), None, None),
    Case("Y101-complex-key", rep(SRC_001, "    unit: persons\n", "    unit: persons\n    ? [a, b]\n    : persons\n"),
         "Y101", SRC_001, at(SRC_001, "[a, b]"), None, None),
    Case("Y102-billion-laughs", append(SRC_001, BOMB), "Y102", SRC_001, between(SRC_001, "lol:\n", "  i: &i"), None, None, hostile=True),
    Case("Y102-recursive-alias", append(SRC_001, "lol: &a [*a]\n"), "Y102", SRC_001, at(SRC_001, "&a [*a]"), None, None, hostile=True),
    Case("Y103-file-too-large", append(SRC_001, "# " + "x" * MAX_BYTES + "\n"), "Y103", SRC_001, nowhere, None, None, hostile=True),
    Case("Y104-section-not-a-list", rep(SRC_000, "figures: []   # the text states no numbers", "figures: 42"),
         "Y104", SRC_000, at(SRC_000, "figures: 42"), None, "figures"),
    Case("Y104-unknown-section", rep(SRC_001, "\nstatements:\n", "\nstatement:\n"),
         "Y104", SRC_001, at(SRC_001, "statement:\n"), None, "statement", hint="did you mean 'statements'?"),
    Case("Y104-record-not-a-mapping", rep(SRC_001, "\nstatements:\n", "\nstatements:\n  - just a sentence\n"),
         "Y104", SRC_001, at(SRC_001, "just a sentence"), None, None),
    Case("Y104-entities-not-a-list", lambda p: p.write(ENTITIES, "entities:\n  entity_id: ent-nis\n  name: NIS\n"),
         "Y104", ENTITIES, at(ENTITIES, "entities:"), None, "entities", also=frozenset({"I301"})),
    Case("Y104-nested-too-deep", append(SRC_001, "deep: " + "[" * 800 + "]" * 800 + "\n"),
         "Y104", SRC_001, at(SRC_001, "deep: ", col_offset=len("deep: ") + MAX_DEPTH), None, None, hostile=True),
    Case("Y104-nested-past-the-parser", append(SRC_001, "deep: " + "[" * 5000 + "]" * 5000 + "\n"),
         "Y104", SRC_001, at(SRC_001, "deep: ", col=False), None, None),  # the column: where libyaml stops
    Case("Y105-duplicate-field", rep(SRC_001, "    metric: casualties\n", "    metric: casualties\n    metric: killed\n"),
         "Y105", SRC_001, at(SRC_001, "metric: killed"), None, None),
    Case("Y105-duplicate-section", append(SRC_001, "figures: []\n"),
         "Y105", SRC_001, at(SRC_001, "figures: []"), None, None),
    Case("Y106-symlink-outside-project", lambda p: os.symlink(_outside_file(p), p.path("data/sources/zz.yaml")),
         "Y106", "data/sources/zz.yaml", nowhere, None, None, hostile=True),
    Case("Y106-symlink-to-device", lambda p: os.symlink(os.devnull, p.path("data/sources/zz.yaml")),
         "Y106", "data/sources/zz.yaml", nowhere, None, None, hostile=True),
    Case("Y107-huge-integer", rep(SRC_001, "    value: 4000\n", f"    value: {'9' * 5000}\n"),
         "Y107", SRC_001, at(SRC_001, "9999", col=True), None, None, also=ORPHAN, hostile=True),
    Case("Y107-past-int64", rep(SRC_001, "    value: 4000\n", "    value: 9223372036854775808\n"),
         "Y107", SRC_001, at(SRC_001, "9223372036854775808"), None, None, also=ORPHAN),
    Case("M200-package-unknown-key", rep(PACKAGE, "licenses:\n", "licences: []\nlicenses:\n"),
         "M200", PACKAGE, at(PACKAGE, "licences:"), None, "licences", hint="did you mean 'licenses'?"),
    Case("M202-package-keywords-not-a-list", rep(PACKAGE, "keywords: [North Korea", "keywords: 5\nkeyword: [North Korea"),
         "M202", PACKAGE, at(PACKAGE, "keywords: 5"), None, "keywords", also=frozenset({"M200"})),
    Case("M221-package-impossible-release-date", lambda p: p.write(PACKAGE, re.sub(r"release_date: \S+", "release_date: 2026-13-45", p.read(PACKAGE))),
         "M221", PACKAGE, at(PACKAGE, "release_date: 2026-13-45"), None, "release_date"),
    # ------------------------------------------------------------ M: one record against its model
    Case("M200-misspelt-field", rep(SRC_001, "    qualifier: more_than\n", "    qualifer: more_than\n"),
         "M200", SRC_001, at(SRC_001, "qualifer:"), FIG1, "qualifer", also=frozenset({"M201"}), hint="did you mean 'qualifier'?"),
    Case("M200-misspelt-source-field", rep(SRC_001, "  language: en\n", "  langauge: en\n"),
         "M200", SRC_001, at(SRC_001, "langauge:"), SRC1, "langauge", also=frozenset({"M201", "I301"}), hint="did you mean 'language'?"),
    Case("M201-missing-field", rep(SRC_001, "    unit: persons\n", ""),
         "M201", SRC_001, at(SRC_001, f"figure_id: {FIG1}"), FIG1, "unit", hint="add unit:"),
    Case("M202-number-in-words", rep(SRC_001, "    value: 4000\n", "    value: four thousand\n"),
         "M202", SRC_001, at(SRC_001, "value: four thousand"), FIG1, "value"),
    # YAML 1.1 reads these as 4000; a curator never means them: they stay text, and the model asks for digits
    *(Case(f"M202-number-in-{name}", rep(SRC_001, "    value: 4000\n", f"    value: {spelling}\n"),
           "M202", SRC_001, at(SRC_001, f"value: {spelling}"), FIG1, "value", message=lambda p: "write the number as digits")
      for name, spelling in (("hex", "0xFA0"), ("octal", "07640"), ("base-60", "1:06:40"), ("underscores", "4_000"))),
    Case("M202-not-a-boolean", rep(SRC_001, "    date_inferred: true\n", "    date_inferred: maybe\n"),
         "M202", SRC_001, at(SRC_001, "date_inferred: maybe"), FIG1, "date_inferred"),
    Case("M202-language-pattern", rep(SRC_001, "  language: en\n", "  language: English\n"),
         "M202", SRC_001, at(SRC_001, "language: English"), SRC1, "language"),
    Case("M203-metric-not-in-vocabulary", rep(SRC_001, "    metric: casualties\n", "    metric: casualtys\n"),
         "M203", SRC_001, at(SRC_001, "metric: casualtys"), FIG1, "metric", hint="did you mean 'casualties'?"),
    Case("M203-topic-in-list", rep(SRC_001, "    topics: [casualties]\n", "    topics: [casualty]\n"),
         "M203", SRC_001, at(SRC_001, "casualty]"), STM_4000, "topics"),
    Case("M203-entity-kind", rep(ENTITIES, "    kind: country\n    country: RU\n", "    kind: nation\n    country: RU\n"),
         "M203", ENTITIES, at(ENTITIES, "kind: nation"), "ent-russia", "kind"),  # its citations are no I301: it is there
    Case("M204-figure-id", rep(SRC_001, f"  - figure_id: {FIG2}\n", "  - figure_id: Fig_NIS_casualties_2025_01\n"),
         "M204", SRC_001, at(SRC_001, "figure_id: Fig_NIS"), "Fig_NIS_casualties_2025_01", "figure_id", hint="ids are"),
    Case("M204-attribution-item", rep(SRC_001, "attribution: [ent-nis, ent-lee-seong-kweun, ent-korea-herald]", "attribution: [ent-nis, Lee Seong-kweun, ent-korea-herald]"),  # noqa: E501 - a row of the case table
         "M204", SRC_001, at(SRC_001, "Lee Seong-kweun, ent-korea"), FIG1, "attribution"),
    Case("M204-entity-id", rep(ENTITIES, "entity_id: ent-ukraine\n", "entity_id: ENT ukraine\n"),
         "M204", ENTITIES, at(ENTITIES, "entity_id: ENT ukraine"), "ENT ukraine", "entity_id"),
    Case("M210-range-with-value", rep(SRC_001, "    value: null\n    value_low: 3000\n", "    value: 3000\n    value_low: 3000\n"),
         "M210", SRC_001, at(SRC_001, "value: 3000\n    value_low: 3000"), FIG_RANGE, "value"),
    Case("M210-range-missing-high", rep(SRC_001, "    value_high: 4000\n", "    value_high: ~\n"),
         "M210", SRC_001, at(SRC_001, "value_high: ~"), FIG_RANGE, "value_high"),
    Case("M210-more-than-low-differs", rep(SRC_001, "    value_low: 4000\n    value_high: null\n    qualifier: more_than\n", "    value_low: 3500\n    value_high: null\n    qualifier: more_than\n"),  # noqa: E501 - a row of the case table
         "M210", SRC_001, at(SRC_001, "value_low: 3500"), FIG1, "value_low"),
    Case("M210-more-than-with-high", rep(SRC_001, "    value_low: 4000\n    value_high: null\n", "    value_low: 4000\n    value_high: 5000\n"),
         "M210", SRC_001, at(SRC_001, "value_high: 5000"), FIG1, "value_high"),
    Case("M210-low-above-high", rep(SRC_001, "    value_low: 3000\n    value_high: 4000\n", "    value_low: 5000\n    value_high: 4000\n"),
         "M210", SRC_001, at(SRC_001, "value_low: 5000"), FIG_RANGE, "value_low", message=lambda p: "greater than value_high"),
    Case("M210-exact-bound-differs", rep(SRC_001, "    value_high: 11000\n", "    value_high: 12000\n"),
         "M210", SRC_001, at(SRC_001, "value_high: 12000"), FIG_11000, "value_high"),
    Case("M210-percent-over-100", rep(SRC_001, "    value: 30\n", "    value: 130\n"),
         "M210", SRC_001, at(SRC_001, "value: 130"), FIG_PCT, "value"),
    Case("M220-reversed-dates", rep(SRC_001, "    date_end: 2025-03-20\n", "    date_end: 2025-03-01\n"),
         "M220", SRC_001, at(SRC_001, "date_end: 2025-03-01"), FIG1, "date_end", message=lambda p: "before"),
    Case("M220-part-of-month-11-to-21", rep(SRC_001, "    date_end: 2025-03-20\n", "    date_end: 2025-03-21\n"),
         "M220", SRC_001, at(SRC_001, "date_start: 2025-03-11"), FIG1, "date_start", message=lambda p: "part_of_month"),
    Case("M220-part-of-month-late-not-to-end", rep(SRC_001, "    date_start: 2025-03-11\n    date_end: 2025-03-20\n", "    date_start: 2025-03-21\n    date_end: 2025-03-30\n"),  # noqa: E501 - a row of the case table
         "M220", SRC_001, at(SRC_001, "date_start: 2025-03-21"), FIG1, "date_start", message=lambda p: "21-31"),
    Case("M220-month-not-whole", rep(SRC_001, "    date_end: 2025-01-31\n", "    date_end: 2025-01-30\n"),
         "M220", SRC_001, at(SRC_001, "date_start: 2025-01-01"), FIG2, "date_start"),
    Case("M220-missing-end", rep(SRC_001, "    date_end: 2025-03-20\n", ""),
         "M220", SRC_001, at(SRC_001, f"figure_id: {FIG1}"), FIG1, "date_end"),
    Case("M220-inferred-without-notes", rep(SRC_001, "    notes: >-\n      The text gives no year: March 2025 is inferred (see\n      fig-nis-casualties-2025-03-mid for the source of that inference).\n", ""),  # noqa: E501 - a row of the case table
         "M220", SRC_001, at(SRC_001, "event_id: evt-nis-casualty-estimate-2025-03-mid"), "evt-nis-casualty-estimate-2025-03-mid", "notes"),
    Case("M220-published-reversed", rep(SRC_000, "  published_start: null  # the text carries no date\n  published_end: null\n  published_precision: null\n", "  published_start: 2025-03-31\n  published_end: 2025-03-01\n  published_precision: interval\n"),  # noqa: E501 - a row of the case table
         "M220", SRC_000, at(SRC_000, "published_end: 2025-03-01"), SRC0, "published_end"),
    Case("M221-february-30", rep(SRC_001, "    date_start: 2025-03-11\n", "    date_start: 2025-02-30\n"),
         "M221", SRC_001, at(SRC_001, "date_start: 2025-02-30"), FIG1, "date_start", hint="YYYY-MM-DD"),
    Case("M221-february-29-non-leap", rep(SRC_001, "    date_end: 2025-03-20\n", "    date_end: 2025-02-29\n"),
         "M221", SRC_001, at(SRC_001, "date_end: 2025-02-29"), FIG1, "date_end"),
    Case("M221-april-31", rep(SRC_001, "    date_end: 2025-03-20\n", "    date_end: 2025-04-31\n"),
         "M221", SRC_001, at(SRC_001, "date_end: 2025-04-31"), FIG1, "date_end"),
    Case("M221-month-13", rep(SRC_000, "  published_start: null  # the text carries no date\n", "  published_start: 2025-13-01\n"),
         "M221", SRC_000, at(SRC_000, "published_start: 2025-13-01"), SRC0, "published_start"),
    Case("M230-speaker-not-in-chain", rep(SRC_001, "speaker_id: ent-lee-seong-kweun\n    attribution: [ent-lee-seong-kweun, ent-korea-herald]", "speaker_id: ent-lee-seong-kweun\n    attribution: [ent-korea-herald]"),  # noqa: E501 - a row of the case table
         "M230", SRC_001, at(SRC_001, "attribution: [ent-korea-herald]"), STM_4000, "attribution"),
    Case("M230-figure-without-attribution", rep(SRC_001, "    attribution: [ent-nis, ent-lee-seong-kweun, ent-korea-herald]\n", "    attribution: []\n"),
         "M230", SRC_001, at(SRC_001, "attribution: []"), FIG1, "attribution"),
    Case("M230-anonymous-quote-without-notes", rep(SRC_000, '    notes: >-\n      The text credits these words to unnamed "Reports from Russia" and does not\n      say who wrote them.\n', ""),  # noqa: E501 - a row of the case table
         "M230", SRC_000, at(SRC_000, "statement_id: stm-reports-severely-anxious"), "stm-reports-severely-anxious", "notes"),
    # ------------------------------------------------------------ I: ids and references
    Case("I300-duplicate-id-same-file", rep(SRC_001, f"figure_id: {FIG2}\n", f"figure_id: {FIG1}\n"),
         "I300", SRC_001, at(SRC_001, f"figure_id: {FIG1}", occurrence=2), FIG1, "figure_id",
         message=lambda p: f"{SRC_001}:{p.line_of(SRC_001, f'figure_id: {FIG1}')}"),
    Case("I300-duplicate-id-across-files", rep(SRC_001, f"statement_id: {STM_4000}", "statement_id: stm-dailynk-soldiers-fear-instability"),
         "I300", SRC_001, at(SRC_001, "statement_id: stm-dailynk-soldiers-fear-instability"), "stm-dailynk-soldiers-fear-instability", "statement_id",
         message=lambda p: f"{SRC_000}:{p.line_of(SRC_000, 'statement_id: stm-dailynk-soldiers-fear-instability')}"),
    Case("I300-duplicate-entity", rep(ENTITIES, "entity_id: ent-ukraine\n", "entity_id: ent-russia\n"),
         "I300", ENTITIES, at(ENTITIES, "entity_id: ent-russia\n", occurrence=2), "ent-russia", "entity_id"),
    Case("I301-unknown-attribution", rep(SRC_001, "attribution: [ent-nis, ent-lee-seong-kweun, ent-korea-herald]", "attribution: [ent-nis, ent-lee-seong-kwuen, ent-korea-herald]"),  # noqa: E501 - a row of the case table
         "I301", SRC_001, at(SRC_001, "ent-lee-seong-kwuen"), FIG1, "attribution", hint="did you mean 'ent-lee-seong-kweun'?"),
    Case("I301-unknown-speaker", rep(SRC_001, "    speaker_id: null\n    attribution: []\n    kind: reported\n", "    speaker_id: ent-reports\n    attribution: [ent-reports]\n    kind: reported\n"),  # noqa: E501 - a row of the case table
         "I301", SRC_001, at(SRC_001, "speaker_id: ent-reports"), "stm-reports-grenades-if-captured", "speaker_id",
         extra=[("I301", SRC_001, at(SRC_001, "ent-reports]"), "stm-reports-grenades-if-captured", "attribution")]),
    Case("I301-unknown-location", rep(SRC_001, "    location_id: ent-kursk\n", "    location_id: ent-kursk-oblast\n"),
         "I301", SRC_001, at(SRC_001, "location_id: ent-kursk-oblast"), FIG_PCT, "location_id", hint="did you mean 'ent-kursk'?"),
    Case("I301-unknown-cited-outlet", rep(SRC_001, "  cites: [ent-korea-herald]\n", "  cites: [ent-korea-times]\n"),
         "I301", SRC_001, at(SRC_001, "ent-korea-times"), SRC1, "cites"),
    Case("I302-location-is-a-person", rep(SRC_001, "    location_id: ent-russia\n", "    location_id: ent-lee-seong-kweun\n"),
         "I302", SRC_001, at(SRC_001, "location_id: ent-lee-seong-kweun"), FIG_11000, "location_id", message=lambda p: "person"),
    Case("I302-publisher-is-a-place", rep(SRC_001, "  publisher: null        # the text names no publisher of its own\n", "  publisher: ent-kursk\n"),
         "I302", SRC_001, at(SRC_001, "publisher: ent-kursk"), SRC1, "publisher"),
    # ------------------------------------------------------------ V: evidence against the text
    Case("V400-evidence-altered", rep(SRC_001, "Lee further revealed that the NIS suspects", "Lee further disclosed that the NIS suspects"),
         "V400", SRC_001, key_before(SRC_001, "Lee further disclosed", "evidence:"), FIG_RANGE, "evidence", hint="then differs at"),
    Case("V400-evidence-one-word", rep(SRC_000, "Reports from Russia indicate that", "Reports from Russia indicated that"),
         "V400", SRC_000, at(SRC_000, "evidence: 'Reports from Russia indicated"), "stm-reports-severely-anxious", "evidence"),
    Case("V400-reported-text-altered", rep(SRC_001, "high-ranking North Korean officers", "senior North Korean officers"),
         "V400", SRC_001, key_before(SRC_001, "senior North Korean officers", "text:"), "stm-nis-officers-among-casualties", "text"),
    Case("V401-quote-altered", rep(SRC_001, "The latest we have is that more than 4,000 members of North Korean forces", "The latest we have is that more than 5,000 members of North Korean forces"),  # noqa: E501 - a row of the case table
         "V401", SRC_001, key_before(SRC_001, "more than 5,000 members", "text:"), STM_4000, "text"),
    Case("V402-value-not-in-evidence", rep(SRC_001, "    value: 3000\n    value_low: null\n", "    value: 3500\n    value_low: null\n"),
         "V402", SRC_001, at(SRC_001, "value: 3500"), FIG2, "value", message=lambda p: "3,500", also=CLAIMED),
    Case("V402-value-and-bound", rep(SRC_001, "    value: 4000\n    value_low: 4000\n", "    value: 4500\n    value_low: 4500\n"),
         "V402", SRC_001, at(SRC_001, "value: 4500"), FIG1, "value",
         extra=[("V402", SRC_001, at(SRC_001, "value_low: 4500"), FIG1, "value_low")]),
    Case("V402-range-high", rep(SRC_001, "    value_high: 4000\n", "    value_high: 5000\n"),
         "V402", SRC_001, at(SRC_001, "value_high: 5000"), FIG_RANGE, "value_high", also=CLAIMED),
    Case("V402-percent", rep(SRC_001, "    value: 30\n", "    value: 35\n"),
         "V402", SRC_001, at(SRC_001, "value: 35"), FIG_PCT, "value"),
    Case("V403-date-text-not-in-text", rep(SRC_001, "    date_text: as of mid-March\n", "    date_text: as of late March\n"),
         "V403", SRC_001, at(SRC_001, "date_text: as of late March"), FIG1, "date_text"),
    Case("V404-value-text-altered", rep(SRC_001, "value_text: surpassed 4,000", "value_text: surpassed 4,500"),
         "V404", SRC_001, at(SRC_001, "value_text: surpassed 4,500"), FIG1, "value_text"),
    # ------------------------------------------------------------ T: the archived texts
    Case("T500-seed-deleted", lambda p: p.path(SEED_001).unlink(),
         "T500", SRC_001, at(SRC_001, "text_path:"), SRC1, "text_path"),
    Case("T500-text-path-typo", rep(SRC_001, "text_path: seeds/001_6a6af57649902c1b.txt", "text_path: seeds/001_6a6af57649902c1c.txt"),
         "T500", SRC_001, at(SRC_001, "text_path:"), SRC1, "text_path", also=ORPHAN),
    Case("T501-seed-one-byte-changed", edit_bytes(SEED_001, bytes_rep(b"Original Source", b"original Source")),
         "T501", SRC_001, at(SRC_001, "text_sha256:"), SRC1, "text_sha256", hint="restore the original bytes"),
    Case("T501-hash-edited", rep(SRC_001, "c6cc11ed733dc31970754ba", "c6cc11ed733dc31970754bb"),
         "T501", SRC_001, at(SRC_001, "text_sha256:"), SRC1, "text_sha256"),
    Case("T502-seed-reencoded-utf16", edit_bytes(SEED_001, lambda b: b.decode("utf-8").encode("utf-16")),
         "T502", SRC_001, at(SRC_001, "text_path:"), SRC1, "text_path",
         extra=[("T501", SRC_001, at(SRC_001, "text_sha256:"), SRC1, "text_sha256")]),
    Case("T502-invalid-utf8-with-matching-hash", seq(edit_bytes(SEED_001, lambda b: b + b"\xff\xfe\n"), set_sha(SRC_001, SEED_001)),
         "T502", SRC_001, at(SRC_001, "text_path:"), SRC1, "text_path"),
    Case("T503-symlink-outside-project", _symlink_seed(_outside_file),
         "T503", SRC_001, at(SRC_001, "text_path:"), SRC1, "text_path", also=ORPHAN, hostile=True),
    Case("T503-symlink-into-data", _symlink_seed(lambda p: Path("../data/entities.yaml")),
         "T503", SRC_001, at(SRC_001, "text_path:"), SRC1, "text_path", also=ORPHAN),
    Case("T504-seed-too-large", append(SEED_001, "x" * (MAX_TEXT_BYTES + 1)),
         "T504", SRC_001, at(SRC_001, "text_path:"), SRC1, "text_path"),
    # ------------------------------------------------------------ C: spreadsheet formulas
    Case("C600-equals", rep(SRC_001, "    summary: North Korea sends 11,000 military personnel to support Russia.\n", '    summary: "=HYPERLINK(\\"http://x\\")"\n'),
         "C600", SRC_001, at(SRC_001, "summary: \"=HYPERLINK"), "evt-kpa-deployment-11000", "summary"),
    Case("C600-at-in-list", rep(ENTITIES, "    aliases: [Russia]\n", '    aliases: [Russia, "@Russia"]\n'),
         "C600", ENTITIES, at(ENTITIES, '"@Russia"'), "ent-russia", "aliases"),
    Case("C600-plus", rep(SRC_001, "    notes: The text does not date the deployment.\n", '    notes: "+cmd|calc"\n'),
         "C600", SRC_001, at(SRC_001, 'notes: "+cmd'), "evt-kpa-deployment-11000", "notes"),
    Case("C600-minus", rep(SRC_001, "  title: North Korean Casualties", "  title: -1+1 North Korean Casualties"),
         "C600", SRC_001, at(SRC_001, "title: -1+1"), SRC1, "title"),
    # ------------------------------------------------------------ F: files
    Case("F700-source-without-records", _no_records, "F700", SRC_000, file_start, SRC0, None),
    Case("F702-orphan-seed-text", lambda p: p.write("seeds/003_forgotten.txt", "An article nobody curated.\n"),
         "F702", "seeds/003_forgotten.txt", nowhere, None, None),
    Case("Y104-record-list-written-as-mapping", rep(SRC_000, "figures: []   # the text states no numbers\n", "figures: {}\n"),
         "Y104", SRC_000, at(SRC_000, "figures: {}"), None, "figures"),
    Case("M202-value-true", rep(SRC_001, "    value: 30\n", "    value: true\n"),
         "M202", SRC_001, at(SRC_001, "value: true"), FIG_PCT, "value"),
    Case("M202-value-quoted", rep(SRC_001, "    value: 30\n", '    value: "30"\n'),
         "M202", SRC_001, at(SRC_001, 'value: "30"'), FIG_PCT, "value", message=lambda p: "digits"),
    Case("M221-date-as-number", rep(SRC_001, "    date_start: 2025-03-11\n", "    date_start: 1741651200\n"),
         "M221", SRC_001, at(SRC_001, "date_start: 1741651200"), FIG1, "date_start"),
    Case("M230-speaker-with-empty-chain", rep(SRC_001, "speaker_id: ent-lee-seong-kweun\n    attribution: [ent-lee-seong-kweun, ent-korea-herald]", "speaker_id: ent-lee-seong-kweun\n    attribution: []"),  # noqa: E501 - a row of the case table
         "M230", SRC_001, at(SRC_001, "attribution: []"), STM_4000, "attribution"),
    Case("F704-yaml-in-data-not-read", lambda p: p.write("data/figures.yaml", "figures:\n  - figure_id: fig-lost\n"),
         "F704", "data/figures.yaml", nowhere, None, None),
    Case("F703-source-file-wrong-extension", lambda p: p.path(SRC_001).rename(p.path(SRC_001[: -len(".yaml")] + ".YAML")),
         "F703", SRC_001[: -len(".yaml")] + ".YAML", nowhere, None, None, also=ORPHAN),
    Case("I303-claim-figures-disagree", seq(
            rep(SRC_001, "    claim_id: clm-nis-casualties-2025-03\n", "    claim_id: clm-nis-casualties\n"),  # FIG1's own claim
            rep(SRC_001, "    claim_id: clm-nis-casualties-2025-01\n", "    claim_id: clm-nis-casualties\n")),
         "I303", SRC_001, at(SRC_001, "value: 3000"), FIG2, "value"),
    Case("F701-foreign-source-id", rep(SRC_001, f"  - figure_id: {FIG1}\n", f"  - figure_id: {FIG1}\n    source_id: {SRC0}\n"),
         "F701", SRC_001, at(SRC_001, f"source_id: {SRC0}"), FIG1, "source_id"),
    Case("F701-unknown-source-id", rep(SRC_001, f"  - figure_id: {FIG1}\n", f"  - figure_id: {FIG1}\n    source_id: src-elsewhere\n"),
         "F701", SRC_001, at(SRC_001, "source_id: src-elsewhere"), FIG1, "source_id"),
]


# ---------------------------------------------------------------- assertions


def _matches(p: Problem, code: str, path: str, where: tuple[object, int | None], record_id: str | None, fld: str | None) -> bool:
    line, col = where
    line_ok = (p.line in line) if isinstance(line, range) else (p.line == line)
    col_ok = col is None or p.col == col
    return p.code == code and p.path == path and line_ok and col_ok and p.record_id == record_id and p.field == fld


def _listing(problems: list[Problem]) -> str:
    return "\n".join(p.format_text() for p in problems) or "(no problems)"


def _check_case(project: Project, case: Case) -> tuple[list[Problem], list[Problem]]:
    """Library-level assertions; returns the matching problems and all problems."""
    problems = project.validate()
    expected = case.where(project)
    found = [p for p in problems if _matches(p, case.code, case.path, expected, case.record_id, case.field)]
    assert found, (
        f"expected {case.code} at {case.path}:{expected[0]}:{expected[1]} record={case.record_id} field={case.field}; got:\n"
        + _listing(problems)
    )
    for code, path, where, rid, fld in case.extra:
        w = where(project)
        assert any(_matches(p, code, path, w, rid, fld) for p in problems), f"expected also {code} {rid} {fld} at {w}; got:\n{_listing(problems)}"
    allowed = {case.code, *case.also, *(e[0] for e in case.extra)}
    surprise = [p for p in problems if p.code not in allowed]
    assert not surprise, "unexpected problems:\n" + _listing(surprise)
    if case.hint:
        assert any(case.hint in p.hint for p in found), f"hint should contain {case.hint!r}: {[p.hint for p in found]}"
    if case.message:
        want = case.message(project)
        assert any(want in p.message for p in found), f"message should contain {want!r}: {[p.message for p in found]}"
    for p in problems:
        assert p.message and p.code in CODES
    return found, problems


#: The files of the real project the cases edit, with the texts they point to: the CLI runs on this slice.
SLICE = (PACKAGE, ENTITIES, SRC_000, SRC_001, SEED_000, SEED_001)


@pytest.fixture
def sliced(tmp_path: Path) -> Project:
    """A copy of the slice of the real project (:data:`SLICE`): valid as it is, like the whole
    (tests/checks/test_real_data.py), with the same files in the same places."""
    for rel in SLICE:
        dest = tmp_path / "slice" / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / rel, dest)
    return Project(tmp_path / "slice")


#: Codes about more than one record's own fields: ids and references, claims, texts and files.
CROSS_FILE = frozenset({"I300", "I301", "I302", "I303", "F700", "F701", "F702", "F703", "F704", "T500", "T501", "T502", "T503", "T504"})


def reaches_other_files(case: Case) -> bool:
    """Whether the edit's consequences can reach source files outside the slice."""
    codes = {case.code, *case.also, *(e[0] for e in case.extra)}
    return case.path in (ENTITIES, PACKAGE) or bool(codes & CROSS_FILE)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_contribution(sliced: Project, case: Case, request: pytest.FixtureRequest) -> None:
    if case.code in ("T503", "Y106") and sys.platform == "win32":
        pytest.skip("symlinks need privileges on Windows")
    if case.code not in CODES:
        pytest.skip(f"{case.code} is not (yet) a code of this version")
    if reaches_other_files(case):  # the library, on the whole real project: the problem, located, and nothing else
        whole: Project = request.getfixturevalue("project")
        case.edit(whole)
        before = whole.snapshot()
        _check_case(whole, case)
        assert whole.snapshot() == before, "validation changed files in the project"

    project = sliced
    case.edit(project)
    before = project.snapshot()
    found, problems = _check_case(project, case)

    # the CLI, JSON: exit 1 and exactly the library's problems
    res = run_cli("validate", str(project.root), "--format", "json")
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert problems_from_json(res.stdout) == [p.as_dict() for p in problems]

    # the CLI, text: exit 1, one line per problem, the expected one in the documented form
    res = run_cli("validate", str(project.root), "--format", "text")
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    lines = res.stdout.splitlines()
    assert len(lines) == len(problems)
    p = found[0]
    loc = p.path + (f":{p.line}" if p.line is not None else "") + (f":{p.col}" if p.col is not None else "")
    prefix = f"{loc}: {case.code} {case.record_id or '-'} {case.field or '-'}: "
    assert any(line.startswith(prefix) for line in lines), f"no line starts with {prefix!r}:\n{res.stdout}"
    assert f"{len(problems)} problem" in res.stderr

    assert project.snapshot() == before, "validation changed files in the project"


HOSTILE = [c for c in CASES if c.hostile]


@pytest.mark.parametrize("case", HOSTILE, ids=lambda c: c.id)
def test_hostile_input_in_a_real_process(project: Project, case: Case) -> None:
    """A real `python -m nkdata.cli.main validate` in the project folder: fails cleanly, fast, writes nothing."""
    if case.code in ("T503", "Y106") and sys.platform == "win32":
        pytest.skip("symlinks need privileges on Windows")
    case.edit(project)
    before = project.snapshot()
    t0 = time.monotonic()
    res = run_cli_subprocess("validate", cwd=project.root, timeout=30)
    elapsed = time.monotonic() - t0
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    assert f": {case.code} " in res.stdout
    assert elapsed < 10, f"took {elapsed:.1f}s"
    assert project.snapshot() == before
    assert not (project.root / "PWNED").exists()


def test_every_curated_yaml_code_has_a_case() -> None:
    reachable = {c for c in CODES if not c.startswith("P")}  # P8xx concern built packages, not curated YAML
    covered = {c.code for c in CASES} | {e[0] for c in CASES for e in c.extra}
    assert reachable - covered == set()


def test_python_tag_is_never_executed(project: Project) -> None:
    _python_tag(project)
    problems = project.validate()
    assert [p.code for p in problems] == ["Y101"]
    assert not (project.root / "PWNED").exists()


def test_billion_laughs_is_refused_fast(project: Project) -> None:
    project.append(SRC_001, BOMB)
    t0 = time.monotonic()
    problems = project.validate()
    assert time.monotonic() - t0 < 2.0
    assert [p.code for p in problems] == ["Y102"]


def test_small_legitimate_aliases_are_expanded(project: Project) -> None:
    """Anchors are not banned outright: a small alias is read as its value (and then validated)."""
    project.replace(SRC_001, "    attribution: [ent-nis, ent-lee-seong-kweun, ent-korea-herald]\n",
                    "    attribution: &chain [ent-nis, ent-lee-seong-kweun, ent-korea-herald]\n")
    project.replace(SRC_001, "    attribution: [ent-nis, ent-lee-seong-kweun, ent-korea-herald]\n", "    attribution: *chain\n")
    assert project.validate() == []


def test_all_problems_are_reported_not_just_the_first(project: Project) -> None:
    project.replace(SRC_001, "    metric: casualties\n", "    metric: casualtys\n")
    project.replace(SRC_000, "Reports from Russia indicate that", "Reports from Russia indicated that")
    project.replace(ENTITIES, "    aliases: [Russia]\n", '    aliases: [Russia, "@Russia"]\n')
    project.replace(SRC_001, "    value: 30\n", "    value: 35\n")
    codes = sorted((p.path, p.code) for p in project.validate())
    assert codes == sorted([(SRC_001, "M203"), (SRC_000, "V400"), (ENTITIES, "C600"), (SRC_001, "V402")])


def test_one_bad_file_does_not_hide_problems_in_others(project: Project) -> None:
    project.replace(SRC_001, "    value_text: surpassed 4,000\n", "    value_text: surpassed: 4,000\n")
    project.replace(SRC_000, "Reports from Russia indicate that", "Reports from Russia indicated that")
    assert {(p.path, p.code) for p in project.validate()} >= {(SRC_001, "Y100"), (SRC_000, "V400")}


def test_not_a_project_is_a_usage_error(tmp_path: Path) -> None:
    res = run_cli("validate", str(tmp_path / "nowhere"))
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert "not an nkdata project" in res.output


def test_unknown_format_is_a_usage_error(project: Project) -> None:
    res = run_cli("validate", str(project.root), "--format", "xml")
    assert res.exit_code == 2
    assert "Traceback" not in res.output


# ---------------------------------------------------------------- a good contribution

NEW_TEXT = (
    "Test wire: new deployment reported\n"
    "\n"
    "About 1,500 North Korean soldiers arrived in the Kursk region in early February, "
    "according to Ukrainian officials. \u201cWe expect more to follow,\u201d said "
    "a spokesperson of the test wire. The regime \u2013 as usual \u2013 said nothing.\n"
)


def _add_new_source(project: Project, evidence_quote: str) -> None:
    """A fictional text (a 'test wire'), its source file, and one new entity."""
    project.append(ENTITIES, """
  - entity_id: ent-test-wire-spokesperson
    name: Spokesperson of the test wire (unnamed)
    kind: unnamed_source
    aliases: [a spokesperson of the test wire]
""")
    project.write("seeds/002_test_wire.txt", NEW_TEXT)
    sha = hashlib.sha256(NEW_TEXT.encode("utf-8")).hexdigest()
    project.write(
        "data/sources/002_test_wire.yaml",
        f"""source:
  source_id: src-test-wire-new-deployment
  title: "Test wire: new deployment reported"
  language: en
  cites: []
  text_path: seeds/002_test_wire.txt
  text_sha256: {sha}

figures:
  - figure_id: fig-test-wire-soldiers-arrived
    metric: troops_additional
    value: 1500
    qualifier: approximately
    value_text: About 1,500
    unit: persons
    date_start: 2025-02-01
    date_end: 2025-02-10
    date_precision: part_of_month
    date_text: in early February
    date_inferred: true
    location_id: ent-kursk
    attribution: [ent-ukrainian-officials]
    evidence: >-
      About 1,500 North Korean soldiers arrived in the Kursk region in early
      February, according to Ukrainian officials.
    notes: The text gives no year; 2025 is assumed for this test.

statements:
  - statement_id: stm-test-wire-expect-more
    speaker_id: ent-test-wire-spokesperson
    attribution: [ent-test-wire-spokesperson]
    kind: direct_quote
    text: We expect more to follow,
    evidence: {evidence_quote}
    topics: [reinforcement]

events:
  - event_id: evt-test-wire-arrival-kursk
    event_type: deployment
    summary: North Korean soldiers arrive in the Kursk region.
    location_id: ent-kursk
    actor_ids: [ent-kpa]
    attribution: [ent-ukrainian-officials]
    evidence: About 1,500 North Korean soldiers arrived in the Kursk region
""",
    )


def test_good_contribution_validates(project: Project) -> None:
    _add_new_source(project, "'\u201cWe expect more to follow,\u201d said a spokesperson of the test wire.'")
    assert project.validate() == []
    res = run_cli("validate", str(project.root))
    assert res.exit_code == 0, res.output
    assert "valid" in res.stdout


def test_good_contribution_with_typographic_variants_validates(project: Project) -> None:
    # straight quotes for curly ones, a hyphen for the en dash, runs of spaces: all equal under the normalisation
    _add_new_source(project, "'\"We expect  more to follow,\"   said a spokesperson of the test wire.'")
    project.append("data/sources/002_test_wire.yaml", """  - event_id: evt-test-wire-regime-silent
    event_type: internal_report
    summary: The regime says nothing.
    actor_ids: [ent-north-korean-government]
    evidence: The regime - as usual - said nothing.
""")
    assert project.validate() == []


def test_good_contribution_then_one_wrong_number(project: Project) -> None:
    """The same new source with one figure number changed fails only on that number."""
    _add_new_source(project, "'\u201cWe expect more to follow,\u201d said a spokesperson of the test wire.'")
    project.replace("data/sources/002_test_wire.yaml", "    value: 1500\n", "    value: 1600\n")
    problems = project.validate()
    assert [(p.code, p.record_id, p.field, p.line) for p in problems] == [
        ("V402", "fig-test-wire-soldiers-arrived", "value", project.line_of("data/sources/002_test_wire.yaml", "value: 1600"))
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_symlink_inside_seeds_is_allowed(project: Project) -> None:
    """A symlink that stays inside seeds/ is not an escape."""
    os.symlink("001_6a6af57649902c1b.txt", project.path("seeds/alias.txt"))
    project.replace(SRC_001, "text_path: seeds/001_6a6af57649902c1b.txt", "text_path: seeds/alias.txt")
    # the only thing to say (where the version has the rule) is that the link's target is now nobody's text
    assert [(p.code, p.path) for p in project.validate() if p.code != "F702" or p.path != SEED_001] == []
