"""The record models: the single source of truth for what a record is.

Table Schemas (schema/*.json), the data dictionary and the Parquet types are
generated from these classes. Each field's ``json_schema_extra`` carries what
the generators need beyond the Python type: ``vocab`` (a vocabulary in
:mod:`nkdata.spec.vocab`), ``ref`` (the table an id points to) and ``ref_kinds``
(allowed entity kinds).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, NamedTuple, TypeAlias

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from nkdata.spec import rules, vocab

# ---------------------------------------------------------------- identifiers

ID_PATTERNS: dict[str, str] = {
    "sources": r"^src-[a-z0-9]+(-[a-z0-9]+)*$",
    "entities": r"^ent-[a-z0-9]+(-[a-z0-9]+)*$",
    "figures": r"^fig-[a-z0-9]+(-[a-z0-9]+)*$",
    "statements": r"^stm-[a-z0-9]+(-[a-z0-9]+)*$",
    "events": r"^evt-[a-z0-9]+(-[a-z0-9]+)*$",
    "claims": r"^clm-[a-z0-9]+(-[a-z0-9]+)*$",
}
ID_RULE = "a prefix (src-, ent-, fig-, stm-, evt-, clm-) then lower-case letters and digits in groups joined by single hyphens, e.g. fig-nis-casualties-2025-03"

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date_input(value: Any) -> Any:
    """YAML gives dates as text; a bare number would otherwise be read as a Unix timestamp, and a
    date-time at midnight ('2025-03-11T00:00:00Z') as its day, though a record's dates are days."""
    if isinstance(value, (bool, int, float)):
        raise PydanticCustomError("date_type", "a date is written YYYY-MM-DD, not as a number")
    if isinstance(value, str) and not _DAY.fullmatch(value):
        raise PydanticCustomError("date_type", "a date is a day written YYYY-MM-DD, with no time")
    return value


def _number_input(value: Any) -> Any:
    """Numbers are written as numbers: true/false or quoted text are mistakes, not 1 or 4000."""
    if isinstance(value, bool) or isinstance(value, str):
        raise PydanticCustomError("float_type", "write the number as digits without quotes or separators, e.g. 4000")
    return value


def _plain_zero(value: float) -> float:
    """-0.0 is 0: the CSV spells both "0", so the Parquet must not keep the sign."""
    return value + 0.0


Day = Annotated[dt.date, BeforeValidator(_date_input)]
# Finite: a number the text states (YAML's .inf and .nan, or digits past a float's range, are not).
Number = Annotated[float, BeforeValidator(_number_input), Field(allow_inf_nan=False), AfterValidator(_plain_zero)]

SourceId = Annotated[str, StringConstraints(pattern=ID_PATTERNS["sources"])]
EntityId = Annotated[str, StringConstraints(pattern=ID_PATTERNS["entities"])]
Text = Annotated[str, StringConstraints(min_length=1)]


def _vocab_type(name: str) -> Any:
    return Literal[tuple(vocab.VOCABULARIES[name])]


if TYPE_CHECKING:  # the terms are data (nkdata.spec.vocab): to a type checker a term is a str
    Metric: TypeAlias = str
    Qualifier: TypeAlias = str
    Unit: TypeAlias = str
    DatePrecision: TypeAlias = str
    EntityKind: TypeAlias = str
    EventType: TypeAlias = str
    StatementKind: TypeAlias = str
    Topic: TypeAlias = str
    TextKind: TypeAlias = str
else:
    Metric = _vocab_type("metric")
    Qualifier = _vocab_type("qualifier")
    Unit = _vocab_type("unit")
    DatePrecision = _vocab_type("date_precision")
    EntityKind = _vocab_type("entity_kind")
    EventType = _vocab_type("event_type")
    StatementKind = _vocab_type("statement_kind")
    Topic = _vocab_type("topic")
    TextKind = _vocab_type("text_kind")


def col(description: str, default: Any = ..., **extra: Any) -> Any:
    """A documented field; ``extra`` feeds the schema generators (vocab, ref, ref_kinds)."""
    pattern = extra.pop("pattern", None)
    bounds = {k: extra.pop(k) for k in ("ge", "le") if k in extra}
    return Field(default, description=description, pattern=pattern, json_schema_extra=extra or None, **bounds)


class Computed(NamedTuple):
    """A column the build computes (never typed by hand)."""

    name: str
    type: str
    description: str
    constraints: dict[str, Any] = {"required": True, "minimum": 0}  # never mutated
    ref: str | None = None  # the table an id column points to


# ---------------------------------------------------------------- shared rules


def _fail(kind: str, field: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message, {"field": field})


def _enforce(checks: tuple[rules.Rule, ...], values: Any) -> None:
    """Raise the first rule of :mod:`nkdata.spec.rules` that ``values`` break (the package checker runs the same rules)."""
    broken = rules.first_broken(checks, values)
    if broken is not None:
        raise _fail(broken.kind, broken.field, broken.format(values))


def check_interval(start: dt.date | None, end: dt.date | None, precision: str | None, prefix: str) -> None:
    """Raise when a date interval contradicts itself or its precision (UCDP-style intervals)."""
    _enforce(rules.interval(prefix), {f"{prefix}_start": start, f"{prefix}_end": end, f"{prefix}_precision": precision})


class Record(BaseModel):
    """Base for every table's row: unknown fields are errors, never dropped."""

    # defer_build: a model's validator is built when it first validates, not on import. Commands that
    # read only its fields (validating, building or loading a package) spare about 15 ms of start-up.
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False, defer_build=True)

    table: ClassVar[str]
    noun: ClassVar[str]
    id_field: ClassVar[str]
    computed: ClassVar[tuple[Computed, ...]] = ()
    caption: ClassVar[str] = ""
    dates_before: ClassVar[str] = ""

    @property
    def record_id(self) -> str:
        return str(getattr(self, self.id_field))

    @classmethod
    def column_names(cls) -> list[str]:
        """Curated columns in table order: own fields, the date block placed before ``dates_before``."""
        dated = [n for n in Dated.model_fields if issubclass(cls, Dated)]
        own = [n for n in cls.model_fields if n not in dated]
        if dated:
            at = own.index(cls.dates_before)
            own[at:at] = dated
        return own

    @model_validator(mode="after")
    def _rules(self) -> Record:
        """The table's cross-field rules (:func:`nkdata.spec.rules.for_table`), the first broken one
        raised: the package validator runs the same table on columns."""
        _enforce(rules.for_table(self.table), rules.Attrs(self))
        return self


class Dated(Record):
    """Records that refer to a date interval with a precision, as UCDP GED does."""

    date_start: Day | None = col("First day of the interval the record refers to; null if the source gives no date.", None)
    date_end: Day | None = col("Last day of that interval (inclusive); equals date_start for a single day.", None)
    date_precision: DatePrecision | None = col("How precise the interval is.", None, vocab="date_precision")
    date_text: Text | None = col("The source's own words for the date, verbatim (e.g. 'as of mid-March').", None)
    date_inferred: bool = col("True when any part of the interval (e.g. the year) comes from outside the text; notes say from where.", False)


EVIDENCE_OFFSETS = (
    Computed("evidence_start", "integer", "Character offset (0-based, Unicode code points) of the evidence in the source text; computed by the build."),
    Computed("evidence_end", "integer", "Character offset one past the end of the evidence in the source text; computed by the build."),
)

# ---------------------------------------------------------------- tables


class Source(Record):
    table = "sources"
    noun = "source"
    id_field = "source_id"
    caption = "Archived source texts, one row per text."

    source_id: SourceId = col("Identifier of the source: " + ID_RULE + ".", pattern=ID_PATTERNS["sources"])
    title: Text | None = col("Title of the text as it appears in it (or as published); null if unknown.", None)
    publisher: EntityId | None = col(
        "Entity that published the text; null if the text does not say.", None, ref="entities", ref_kinds=["news_outlet", "government", "government_agency"]
    )
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] | None = col("Address the text was published at; null if unknown.", None)
    published_start: Day | None = col("First possible day of publication; null if unknown.", None)
    published_end: Day | None = col("Last possible day of publication.", None)
    published_precision: DatePrecision | None = col("Precision of the publication date.", None, vocab="date_precision")
    published_inferred: bool = col("True when the publication date is not stated by the text itself; notes say how it was found.", False)
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")] = col(
        "Language of the archived text (BCP 47, e.g. 'en').", pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$"
    )
    cites: list[EntityId] = col("Entities the text names as where it comes from (e.g. an 'Original Source:' line).", [], ref="entities")
    text_path: Annotated[str, StringConstraints(pattern=r"^seeds/[A-Za-z0-9._-]+\.txt$")] = col(
        "Path of the archived UTF-8 text, relative to the project root.", pattern=r"^seeds/[A-Za-z0-9._-]+\.txt$"
    )
    text_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] = col("sha256 of the archived text's bytes.", pattern=r"^[0-9a-f]{64}$")
    text_kind: TextKind = col("Whether the archived text is the full text or verbatim excerpts.", "full", vocab="text_kind")
    retrieved: Day | None = col("Day the text was retrieved for archiving; null if unknown.", None)
    notes: Text | None = col("Curator's notes: what is inferred and from where.", None)


class Entity(Record):
    table = "entities"
    noun = "entity"
    id_field = "entity_id"
    caption = "People, organisations, outlets and places the sources name."

    entity_id: EntityId = col("Identifier of the entity: " + ID_RULE + ".", pattern=ID_PATTERNS["entities"])
    name: Text = col("Common English name.")
    kind: EntityKind = col("What sort of entity this is.", vocab="entity_kind")
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = col(
        "ISO 3166-1 alpha-2 code of the country it belongs to; null if none or unknown.", None, pattern=r"^[A-Z]{2}$"
    )
    aliases: list[Text] = col("Other names, including the exact wordings the sources use.", [])
    description: Text | None = col("One line on who or what this is, in the curator's words.", None)
    wikidata_id: Annotated[str, StringConstraints(pattern=r"^Q[0-9]+$")] | None = col(
        "Wikidata item (Q-number), only when verified; null otherwise.", None, pattern=r"^Q[0-9]+$"
    )


class Figure(Dated):
    table = "figures"
    noun = "figure"
    id_field = "figure_id"
    computed = (
        *EVIDENCE_OFFSETS,
        # Optional in the Table Schema and without a foreign key, so that adding it is a MINOR change;
        # the package validator checks it equals attribution[0] (P804), which is checked as a reference.
        Computed("originator", "string", "Entity id of who made the figure's claim: attribution[0] (an id in 'entities'); computed by the build.", {}),
    )
    dates_before = "location_id"
    caption = "Reported quantities: one row per number a source reports, with its bounds and attribution."

    figure_id: Annotated[str, StringConstraints(pattern=ID_PATTERNS["figures"])] = col(
        "Identifier of the figure: " + ID_RULE + ".", pattern=ID_PATTERNS["figures"]
    )
    source_id: SourceId = col("Source that reports the figure (set from the YAML file it is in).", ref="sources", pattern=ID_PATTERNS["sources"])
    claim_id: Annotated[str, StringConstraints(pattern=ID_PATTERNS["claims"])] | None = col(
        "Shared by figures in different sources that report the same claim (same originator, metric, "
        "number and date); the claims table counts each claim once. Null when the figure makes a claim of its own.",
        None,
        pattern=ID_PATTERNS["claims"],
    )
    metric: Metric = col("What is counted.", vocab="metric")
    value: Number | None = col("The number as stated; null for a range.", None, ge=0)
    value_low: Number | None = col("Lower bound (see qualifier); null when the source gives none.", None, ge=0)
    value_high: Number | None = col("Upper bound (see qualifier); null when the source gives none.", None, ge=0)
    qualifier: Qualifier = col("How sure the source is of the number.", vocab="qualifier")
    value_text: Text = col("The source's words stating the number, verbatim (e.g. 'more than 4,000').")
    unit: Unit = col("Unit of value and bounds.", vocab="unit")
    location_id: EntityId | None = col("Place the figure refers to; null if none given.", None, ref="entities", ref_kinds=["place", "country"])
    attribution: list[EntityId] = col("Who reports it, originator first, then each relayer and outlet in order.", ref="entities")
    evidence: Text = col("Verbatim span of the source text that states the figure (normalised as documented).")
    notes: Text | None = col("Curator's notes: inference, ambiguity, context.", None)


class Statement(Dated):
    table = "statements"
    noun = "statement"
    id_field = "statement_id"
    computed = EVIDENCE_OFFSETS
    dates_before = "topics"
    caption = "What someone said: direct quotations and reported claims."

    statement_id: Annotated[str, StringConstraints(pattern=ID_PATTERNS["statements"])] = col(
        "Identifier of the statement: " + ID_RULE + ".", pattern=ID_PATTERNS["statements"]
    )
    source_id: SourceId = col("Source that carries the statement (set from the YAML file it is in).", ref="sources", pattern=ID_PATTERNS["sources"])
    speaker_id: EntityId | None = col("Who said it; null when the source does not say.", None, ref="entities")
    attribution: list[EntityId] = col("Chain from originator to outlet; includes the speaker when known.", [], ref="entities")
    kind: StatementKind = col("Direct quotation or reported claim.", vocab="statement_kind")
    text: Text = col("For a direct quote the quoted words (without the quotation marks); for a reported claim the reporting sentence. Verbatim.")
    evidence: Text | None = col("Verbatim span containing text and its attribution; defaults to text.", None)
    topics: list[Topic] = col("What the statement is about.", [], vocab="topic")
    notes: Text | None = col("Curator's notes.", None)


class Event(Dated):
    table = "events"
    noun = "event"
    id_field = "event_id"
    computed = EVIDENCE_OFFSETS
    dates_before = "location_id"
    caption = "Dated or datable happenings the sources report."

    event_id: Annotated[str, StringConstraints(pattern=ID_PATTERNS["events"])] = col("Identifier of the event: " + ID_RULE + ".", pattern=ID_PATTERNS["events"])
    source_id: SourceId = col("Source that reports the event (set from the YAML file it is in).", ref="sources", pattern=ID_PATTERNS["sources"])
    event_type: EventType = col("What kind of happening.", vocab="event_type")
    summary: Text = col("The curator's own short description.")
    location_id: EntityId | None = col("Where it happened; null if not given.", None, ref="entities", ref_kinds=["place", "country"])
    actor_ids: list[EntityId] = col("Who acted.", [], ref="entities")
    attribution: list[EntityId] = col("Who reports it, originator first.", [], ref="entities")
    evidence: Text = col("Verbatim span of the source text that reports the event.")
    notes: Text | None = col("Curator's notes.", None)


MODELS: dict[str, type[Record]] = {m.table: m for m in (Source, Entity, Figure, Statement, Event)}
TABLES: tuple[str, ...] = tuple(MODELS)
RECORD_TABLES: tuple[str, ...] = ("figures", "statements", "events")
