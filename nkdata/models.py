"""The record models: the single source of truth for what a record is.

Table Schemas (schema/*.json), the data dictionary and the Parquet types are
generated from these classes. Each field's ``json_schema_extra`` carries what
the generators need beyond the Python type: ``vocab`` (a vocabulary in
:mod:`nkdata.vocab`), ``ref`` (the table an id points to) and ``ref_kinds``
(allowed entity kinds).
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Annotated, Any, ClassVar, Literal, NamedTuple, Optional

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from . import vocab

# ---------------------------------------------------------------- identifiers

ID_PATTERNS: dict[str, str] = {
    "sources": r"^src-[a-z0-9]+(-[a-z0-9]+)*$",
    "entities": r"^ent-[a-z0-9]+(-[a-z0-9]+)*$",
    "figures": r"^fig-[a-z0-9]+(-[a-z0-9]+)*$",
    "statements": r"^stm-[a-z0-9]+(-[a-z0-9]+)*$",
    "events": r"^evt-[a-z0-9]+(-[a-z0-9]+)*$",
    "claims": r"^clm-[a-z0-9]+(-[a-z0-9]+)*$",
}
ID_RULE = (
    "a prefix (src-, ent-, fig-, stm-, evt-, clm-) then lower-case letters and digits "
    "in groups joined by single hyphens, e.g. fig-nis-casualties-2025-03"
)

SourceId = Annotated[str, StringConstraints(pattern=ID_PATTERNS["sources"])]
EntityId = Annotated[str, StringConstraints(pattern=ID_PATTERNS["entities"])]
Text = Annotated[str, StringConstraints(min_length=1)]


def _vocab_type(name: str) -> Any:
    return Literal[tuple(vocab.VOCABULARIES[name])]  # type: ignore[valid-type]


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


# ---------------------------------------------------------------- shared rules


def _fail(kind: str, field: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message, {"field": field})


def check_interval(start: dt.date | None, end: dt.date | None, precision: str | None, prefix: str) -> None:
    """Raise when a date interval contradicts itself or its precision (UCDP-style intervals)."""
    f_start, f_end, f_prec = f"{prefix}_start", f"{prefix}_end", f"{prefix}_precision"
    given = [x is not None for x in (start, end, precision)]
    if any(given) and not all(given):
        missing = [n for n, g in zip((f_start, f_end, f_prec), given) if not g][0]
        raise _fail("dates", missing, f"{f_start}, {f_end} and {f_prec} go together: give all three or none")
    if start is None or end is None:
        return
    if start > end:
        raise _fail("dates", f_end, f"{f_end} {end} is before {f_start} {start}")
    last = calendar.monthrange(start.year, start.month)[1]
    same_month = (start.year, start.month) == (end.year, end.month)
    if precision == "day" and start != end:
        raise _fail("dates", f_end, f"precision 'day' needs {f_start} = {f_end}")
    if precision == "month" and not (same_month and start.day == 1 and end.day == last):
        raise _fail("dates", f_start, f"precision 'month' needs the first to the last day of one month, got {start}..{end}")
    if precision == "part_of_month":
        parts = {(1, 10), (11, 20), (21, last)}
        if not (same_month and (start.day, end.day) in parts):
            raise _fail(
                "dates",
                f_start,
                f"precision 'part_of_month' needs days 1-10, 11-20 or 21-{last} of one month, got {start}..{end}",
            )
    if precision == "year" and not (start == dt.date(start.year, 1, 1) and end == dt.date(start.year, 12, 31)):
        raise _fail("dates", f_start, f"precision 'year' needs 1 January to 31 December, got {start}..{end}")


class Record(BaseModel):
    """Base for every table's row: unknown fields are errors, never dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    table: ClassVar[str]
    noun: ClassVar[str]
    id_field: ClassVar[str]
    computed: ClassVar[tuple[Computed, ...]] = ()
    caption: ClassVar[str] = ""
    dates_before: ClassVar[str] = ""

    @property
    def record_id(self) -> str:
        return getattr(self, self.id_field)

    @classmethod
    def column_names(cls) -> list[str]:
        """Curated columns in table order: own fields, the date block placed before ``dates_before``."""
        dated = [n for n in Dated.model_fields if issubclass(cls, Dated)]
        own = [n for n in cls.model_fields if n not in dated]
        if dated:
            at = own.index(cls.dates_before)
            own[at:at] = dated
        return own


class Dated(Record):
    """Records that refer to a date interval with a precision, as UCDP GED does."""

    date_start: Optional[dt.date] = col("First day of the interval the record refers to; null if the source gives no date.", None)
    date_end: Optional[dt.date] = col("Last day of that interval (inclusive); equals date_start for a single day.", None)
    date_precision: Optional[DatePrecision] = col("How precise the interval is.", None, vocab="date_precision")
    date_text: Optional[Text] = col("The source's own words for the date, verbatim (e.g. 'as of mid-March').", None)
    date_inferred: bool = col(
        "True when any part of the interval (e.g. the year) comes from outside the text; notes say from where.", False
    )

    @model_validator(mode="after")
    def _dates(self) -> "Dated":
        check_interval(self.date_start, self.date_end, self.date_precision, "date")
        if self.date_inferred and self.date_start is None:
            raise _fail("dates", "date_inferred", "date_inferred is true but no date is given")
        if self.date_inferred and not getattr(self, "notes", None):
            raise _fail("dates", "notes", "an inferred date must be explained in notes (where the year or day comes from)")
        return self


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
    title: Optional[Text] = col("Title of the text as it appears in it (or as published); null if unknown.", None)
    publisher: Optional[EntityId] = col("Entity that published the text; null if the text does not say.", None, ref="entities", ref_kinds=["news_outlet", "government", "government_agency"])
    url: Optional[Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]] = col("Address the text was published at; null if unknown.", None)
    published_start: Optional[dt.date] = col("First possible day of publication; null if unknown.", None)
    published_end: Optional[dt.date] = col("Last possible day of publication.", None)
    published_precision: Optional[DatePrecision] = col("Precision of the publication date.", None, vocab="date_precision")
    published_inferred: bool = col("True when the publication date is not stated by the text itself; notes say how it was found.", False)
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")] = col("Language of the archived text (BCP 47, e.g. 'en').", pattern=r"^[a-z]{2,3}(-[A-Z]{2})?$")
    cites: list[EntityId] = col("Entities the text names as where it comes from (e.g. an 'Original Source:' line).", [], ref="entities")
    text_path: Annotated[str, StringConstraints(pattern=r"^seeds/[A-Za-z0-9._-]+\.txt$")] = col("Path of the archived UTF-8 text, relative to the project root.", pattern=r"^seeds/[A-Za-z0-9._-]+\.txt$")
    text_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] = col("sha256 of the archived text's bytes.", pattern=r"^[0-9a-f]{64}$")
    text_kind: TextKind = col("Whether the archived text is the full text or verbatim excerpts.", "full", vocab="text_kind")
    retrieved: Optional[dt.date] = col("Day the text was retrieved for archiving; null if unknown.", None)
    notes: Optional[Text] = col("Curator's notes: what is inferred and from where.", None)

    @model_validator(mode="after")
    def _published(self) -> "Source":
        check_interval(self.published_start, self.published_end, self.published_precision, "published")
        if self.published_inferred and self.published_start is None:
            raise _fail("dates", "published_inferred", "published_inferred is true but no date is given")
        if self.published_inferred and not self.notes:
            raise _fail("dates", "notes", "an inferred publication date must be explained in notes")
        return self


class Entity(Record):
    table = "entities"
    noun = "entity"
    id_field = "entity_id"
    caption = "People, organisations, outlets and places the sources name."

    entity_id: EntityId = col("Identifier of the entity: " + ID_RULE + ".", pattern=ID_PATTERNS["entities"])
    name: Text = col("Common English name.")
    kind: EntityKind = col("What sort of entity this is.", vocab="entity_kind")
    country: Optional[Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]] = col("ISO 3166-1 alpha-2 code of the country it belongs to; null if none or unknown.", None, pattern=r"^[A-Z]{2}$")
    aliases: list[Text] = col("Other names, including the exact wordings the sources use.", [])
    description: Optional[Text] = col("One line on who or what this is, in the curator's words.", None)
    wikidata_id: Optional[Annotated[str, StringConstraints(pattern=r"^Q[0-9]+$")]] = col("Wikidata item (Q-number), only when verified; null otherwise.", None, pattern=r"^Q[0-9]+$")


class Figure(Dated):
    table = "figures"
    noun = "figure"
    id_field = "figure_id"
    computed = EVIDENCE_OFFSETS
    dates_before = "location_id"
    caption = "Reported quantities: one row per number a source reports, with its bounds and attribution."

    figure_id: Annotated[str, StringConstraints(pattern=ID_PATTERNS["figures"])] = col("Identifier of the figure: " + ID_RULE + ".", pattern=ID_PATTERNS["figures"])
    source_id: SourceId = col("Source that reports the figure (set from the YAML file it is in).", ref="sources", pattern=ID_PATTERNS["sources"])
    claim_id: Optional[Annotated[str, StringConstraints(pattern=ID_PATTERNS["claims"])]] = col(
        "Shared by figures in different sources that report the same claim (same originator, metric, "
        "numbers and date); the timeline counts each claim once. Null when no other source repeats it.",
        None,
        pattern=ID_PATTERNS["claims"],
    )
    metric: Metric = col("What is counted.", vocab="metric")
    value: Optional[float] = col("The number as stated; null for a range.", None, ge=0)
    value_low: Optional[float] = col("Lower bound (see qualifier); null when the source gives none.", None, ge=0)
    value_high: Optional[float] = col("Upper bound (see qualifier); null when the source gives none.", None, ge=0)
    qualifier: Qualifier = col("How sure the source is of the number.", vocab="qualifier")
    value_text: Text = col("The source's words stating the number, verbatim (e.g. 'more than 4,000').")
    unit: Unit = col("Unit of value and bounds.", vocab="unit")
    location_id: Optional[EntityId] = col("Place the figure refers to; null if none given.", None, ref="entities", ref_kinds=["place", "country"])
    attribution: list[EntityId] = col("Who reports it, originator first, then each relayer and outlet in order.", ref="entities")
    evidence: Text = col("Verbatim span of the source text that states the figure (normalised as documented).")
    notes: Optional[Text] = col("Curator's notes: inference, ambiguity, context.", None)

    @model_validator(mode="after")
    def _bounds(self) -> "Figure":
        v, lo, hi, q = self.value, self.value_low, self.value_high, self.qualifier
        need = {
            "exact": ("value_low", "value_high"),
            "more_than": ("value_low",),
            "at_least": ("value_low",),
            "less_than": ("value_high",),
            "at_most": ("value_high",),
        }
        if q == "range":
            if v is not None:
                raise _fail("bounds", "value", "a range has no single value: set value to null and give value_low and value_high")
            if lo is None or hi is None:
                raise _fail("bounds", "value_low" if lo is None else "value_high", "a range needs both value_low and value_high")
        else:
            if v is None:
                raise _fail("bounds", "value", f"qualifier '{q}' needs the stated number in value")
            for f in need.get(q, ()):
                if getattr(self, f) != v:
                    raise _fail("bounds", f, f"qualifier '{q}' sets {f} to the stated number {v:g}")
            if q in ("more_than", "at_least") and hi is not None:
                raise _fail("bounds", "value_high", f"qualifier '{q}' states no upper bound: value_high must be null")
            if q in ("less_than", "at_most") and lo is not None:
                raise _fail("bounds", "value_low", f"qualifier '{q}' states no lower bound: value_low must be null")
            if q == "approximately" and ((lo is not None and lo > v) or (hi is not None and hi < v)):
                raise _fail("bounds", "value_low" if lo is not None and lo > v else "value_high", "bounds must enclose the approximate value")
        if lo is not None and hi is not None and lo > hi:
            raise _fail("bounds", "value_low", f"value_low {lo:g} is greater than value_high {hi:g}")
        if self.unit == "percent" and any(x is not None and x > 100 for x in (v, lo, hi)):
            raise _fail("bounds", "value", "a percentage cannot exceed 100")
        if not self.attribution:
            raise _fail("rule", "attribution", "attribution needs at least the originator")
        return self


class Statement(Dated):
    table = "statements"
    noun = "statement"
    id_field = "statement_id"
    computed = EVIDENCE_OFFSETS
    dates_before = "topics"
    caption = "What someone said: direct quotations and reported claims."

    statement_id: Annotated[str, StringConstraints(pattern=ID_PATTERNS["statements"])] = col("Identifier of the statement: " + ID_RULE + ".", pattern=ID_PATTERNS["statements"])
    source_id: SourceId = col("Source that carries the statement (set from the YAML file it is in).", ref="sources", pattern=ID_PATTERNS["sources"])
    speaker_id: Optional[EntityId] = col("Who said it; null when the source does not say.", None, ref="entities")
    attribution: list[EntityId] = col("Chain from originator to outlet; includes the speaker when known.", [], ref="entities")
    kind: StatementKind = col("Direct quotation or reported claim.", vocab="statement_kind")
    text: Text = col("For a direct quote the quoted words (without the quotation marks); for a reported claim the reporting sentence. Verbatim.")
    evidence: Optional[Text] = col("Verbatim span containing text and its attribution; defaults to text.", None)
    topics: list[Topic] = col("What the statement is about.", [], vocab="topic")
    notes: Optional[Text] = col("Curator's notes.", None)

    @model_validator(mode="after")
    def _speaker(self) -> "Statement":
        if self.speaker_id and self.attribution and self.speaker_id not in self.attribution:
            raise _fail("rule", "attribution", f"the speaker {self.speaker_id} must appear in the attribution chain")
        if self.kind == "direct_quote" and self.speaker_id is None and not self.notes:
            raise _fail("rule", "notes", "a direct quote with no known speaker must say in notes whom the source credits")
        return self


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
    location_id: Optional[EntityId] = col("Where it happened; null if not given.", None, ref="entities", ref_kinds=["place", "country"])
    actor_ids: list[EntityId] = col("Who acted.", [], ref="entities")
    attribution: list[EntityId] = col("Who reports it, originator first.", [], ref="entities")
    evidence: Text = col("Verbatim span of the source text that reports the event.")
    notes: Optional[Text] = col("Curator's notes.", None)


MODELS: dict[str, type[Record]] = {m.table: m for m in (Source, Entity, Figure, Statement, Event)}
TABLES: tuple[str, ...] = tuple(MODELS)
RECORD_TABLES: tuple[str, ...] = ("figures", "statements", "events")
