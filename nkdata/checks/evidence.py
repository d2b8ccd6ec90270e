"""Evidence (V400–V404): every record's evidence is its source's words, and holds what the record says.

V400: the evidence is not in the source text (curated records: nowhere; built
rows: not at their offsets). V401: a statement's words are not in its evidence.
V402: a figure's number is not written in its evidence. V403: date_text is not
in the evidence or the text. V404: value_text is not in the evidence. The
content checks (V401–V404) are one function, :func:`content_problems`, run on
curated records and on a package's rows alike.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from nkdata.checks.fields import Described
from nkdata.checks.quick import number_stands_alone as number_stands_alone
from nkdata.checks.quick import numbers_alone, plain_text
from nkdata.checks.spans import SourceTexts
from nkdata.checks.tablerows import TableRows, shorten
from nkdata.checks.textmatch import IndexedText, normalise, numbers_in
from nkdata.spec.conditions import false_for_null, from_numpy
from nkdata.spec.models import RECORD_TABLES

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pyarrow as pa

    from nkdata.curated.reader import Curated

#: (row, code, field, message, hint): a problem found in a helper thread, kept for the rows that pass.
Found = tuple[int, str, str | None, str, str]

EVIDENCE_SLICE = 1 << 15  # rows whose strings Python holds at once; its C loops hold the GIL a slice at a time, so the main thread waits less


@functools.lru_cache(maxsize=65536)
def _numbers_cached(evidence: str) -> frozenset[float]:
    return frozenset(numbers_in(evidence))


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,}"


def near_miss(text: IndexedText, span: str) -> str:
    """Point at the longest leading part of the span that the text does contain."""
    needle = normalise(span)
    lo, hi = 0, len(needle)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if needle[:mid] in text.norm:
            lo = mid
        else:
            hi = mid - 1
    if lo >= 10:
        return f"the text matches up to {needle[:lo][-30:]!r} then differs at {needle[lo : lo + 20]!r}; copy the span exactly"
    return "copy the span exactly from the archived text (quotes, dashes and spaces may differ; nothing else)"


class Claimed(NamedTuple):
    """What a record says that its evidence must hold."""

    table: str
    evidence: str
    quote: str | None = None  # a statement's text
    quote_kind: str | None = None
    values: tuple[float | None, ...] = ()  # a figure's value, value_low, value_high
    value_text: str | None = None
    date_text: str | None = None
    plain: bool = False  # the evidence is already in normalised form
    evidence_field: str = "evidence"  # "text" for a statement whose evidence is its text


def _contains(evidence: str, words: str) -> bool:
    return words in evidence or normalise(words) in normalise(evidence)


def content_problems(c: Claimed, text: str, indexed: Callable[[], IndexedText]) -> Iterator[Described]:
    """V401–V404 for one record whose evidence is in its text; ``indexed()`` gives the text's index."""
    if c.table == "statements" and c.quote is not None and c.quote not in c.evidence and not _contains(c.evidence, c.quote):
        what = "quote" if c.quote_kind == "direct_quote" else "text"
        yield (
            "V401",
            "text",
            f"the {what} is not part of the evidence, verbatim: {shorten(c.quote)!r}",
            "copy the quoted words exactly from the evidence, without the quotation marks",
        )
    if c.table == "figures":
        norm = None
        seen: dict[float, bool] = {}  # bounds often repeat the value: one look each
        for name, v in zip(("value", "value_low", "value_high"), c.values, strict=True):
            if v is None:
                continue
            if v not in seen:
                if norm is None:
                    norm = c.evidence if c.plain else normalise(c.evidence)
                seen[v] = number_stands_alone(norm, v) or v in _numbers_cached(c.evidence)
            if not seen[v]:
                yield (
                    "V402",
                    name,
                    f"{name} {_fmt(v)} does not occur in the evidence",
                    "a figure's numbers must be written in its evidence; widen the evidence or correct the number",
                )
        if c.value_text is not None and c.value_text not in c.evidence and not _contains(c.evidence, c.value_text):
            yield "V404", "value_text", f"value_text {c.value_text!r} is not in the evidence", "copy the words that state the number from the evidence"
    words = c.date_text
    if words is not None and words not in c.evidence and words not in text and normalise(words) not in normalise(c.evidence) and words not in indexed():
        yield "V403", "date_text", f"date_text {words!r} is not in the source text", "copy the source's own words for the date"


def not_found(field: str, source_id: str, evidence: str, text: IndexedText) -> Described:
    """V400 for evidence that is nowhere in its source's text."""
    return "V400", field, f"{field} not found in {source_id}'s text: {shorten(evidence)!r}", near_miss(text, evidence)


# ---------------------------------------------------------------- curated records


def check_curated(cur: Curated, texts: dict[str, IndexedText]) -> dict[str, tuple[int, int]]:
    """Find every curated record's evidence in its text and check what it holds; return the offsets by record id."""
    offsets: dict[str, tuple[int, int]] = {}
    for table in RECORD_TABLES:
        for loc in cur.records[table]:
            rec: Any = loc.record
            text = texts.get(rec.source_id)
            if text is None:
                continue  # the source or its text already has a problem
            evidence = rec.evidence if rec.evidence is not None else rec.text
            span = text.find(evidence)
            if span is None:
                cur.problems.append(loc.problem(*not_found("evidence" if rec.evidence is not None else "text", rec.source_id, evidence, text)))
                continue
            offsets[rec.record_id] = span
            for problem in content_problems(_claimed(table, rec, evidence), text.text, functools.partial(_same, text)):
                cur.problems.append(loc.problem(*problem))
    return offsets


def _same(text: IndexedText) -> IndexedText:
    return text


def _claimed(table: str, rec: Any, evidence: str) -> Claimed:
    if table == "figures":
        return Claimed(table, evidence, values=(rec.value, rec.value_low, rec.value_high), value_text=rec.value_text, date_text=rec.date_text)
    if table == "statements":
        return Claimed(table, evidence, quote=rec.text, quote_kind=rec.kind, date_text=rec.date_text)
    return Claimed(table, evidence, date_text=rec.date_text)


# ---------------------------------------------------------------- a package's rows


def check_rows(rows: TableRows, texts: SourceTexts, misplaced_hint: str) -> list[Found]:
    """V400–V404 on every row of a package's record table whose source text is available.

    Evidence must be its text's characters at its offsets: compared in bulk
    (:mod:`nkdata.checks.spans`), the rows that differ then looked at one by one.
    What the evidence must hold is checked with quick sufficient tests, and with
    :func:`content_problems` itself where they cannot tell. Rows are taken a slice
    at a time, so Python holds one slice's strings. Runs on every row with a text
    (in a helper thread): the caller keeps the problems of rows that pass the model.
    """
    import numpy as np
    import pyarrow.compute as pc

    d = rows.data
    text = texts.lookup(d["source_id"])
    evidence = pc.coalesce(d["evidence"], d["text"]) if rows.table == "statements" else d["evidence"]
    start, end = (np.asarray(pc.fill_null(d[c], -1).to_numpy(zero_copy_only=False), dtype=np.int64) for c in ("evidence_start", "evidence_end"))
    at = texts.at_offsets(text, start, end, evidence)
    found = _look_closer(rows.table, d, np.flatnonzero((text >= 0) & ~at), texts, misplaced_hint)
    return found + _check_content(rows.table, d, np.flatnonzero(at), texts)


def _parts(d: pa.Table, hits: np.ndarray, columns: list[str]) -> Iterator[tuple[np.ndarray, pa.Table]]:
    """The rows ``hits`` of ``d`` (only ``columns``), a slice at a time."""

    d = d.select(columns)
    for lo in range(0, len(hits), EVIDENCE_SLICE):
        part = hits[lo : lo + EVIDENCE_SLICE]
        contiguous = len(part) and int(part[-1]) - int(part[0]) == len(part) - 1
        yield part, d.slice(int(part[0]), len(part)) if contiguous else d.take(from_numpy(part))


def _look_closer(table: str, d: pa.Table, hits: np.ndarray, texts: SourceTexts, misplaced_hint: str) -> list[Found]:
    """Every check, one row at a time, on rows whose evidence is not at its offsets."""
    found: list[Found] = []
    indexed: dict[str, IndexedText] = {}
    for part, sub in _parts(d, hits, _columns(d)):
        for k, (sid, s, e, claimed) in enumerate(_slice_rows(table, sub)):
            found += [(int(part[k]), *p) for p in _row_problems(sid, s, e, claimed, texts, indexed, misplaced_hint)]
    return found


def _check_content(table: str, d: pa.Table, hits: np.ndarray, texts: SourceTexts) -> list[Found]:
    """V401–V404 on rows whose evidence is at its offsets: quick tests, then the full check where they fail."""
    import pyarrow as pa

    found: list[Found] = []
    indexed: dict[str, IndexedText] = {}
    for part, sub in _parts(d, hits, _columns(d)):
        doubtful = _doubtful(table, sub)
        if not doubtful:
            continue
        for k, (sid, _s, _e, claimed) in zip(doubtful, _slice_rows(table, sub.take(pa.array(doubtful))), strict=True):

            def index(sid: str = sid) -> IndexedText:
                if sid not in indexed:
                    indexed[sid] = IndexedText(texts[sid])
                return indexed[sid]

            found += [(int(part[k]), *p) for p in content_problems(claimed, texts[sid], index)]
    return found


def _columns(d: pa.Table) -> list[str]:
    wanted = ["source_id", "evidence", "evidence_start", "evidence_end", "date_text", "text", "kind", "value_text", "value", "value_low", "value_high"]
    return [c for c in wanted if c in d.column_names]


def _doubtful(table: str, sub: pa.Table) -> list[int]:
    """Rows of a slice that quick, sufficient tests cannot clear of V401–V404 (each then gets :func:`content_problems`)."""
    import numpy as np
    import pyarrow.compute as pc

    statement = table == "statements"
    evidence = (pc.coalesce(sub["evidence"], sub["text"]) if statement else sub["evidence"]).to_pylist()
    sure = _inside(evidence, sub["date_text"])  # V403: the date's words are in the evidence
    if statement:
        sure &= _inside(evidence, sub["text"])  # V401
    if table == "figures":
        sure &= _inside(evidence, sub["value_text"])  # V404
        plain = plain_text(sub["evidence"])
        arr, texts = sub["evidence"].combine_chunks(), np.array(evidence, dtype=object)
        sure &= plain
        for c in ("value", "value_low", "value_high"):  # V402; a bound equal to the value is tested once
            known = None if c == "value" else false_for_null(pc.equal(sub[c], sub["value"])).to_numpy(zero_copy_only=False)
            sure &= numbers_alone(arr, texts, sub[c], plain, known)
    return [int(k) for k in np.flatnonzero(~sure)]


def _inside(evidence: list[str], words: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Rows whose ``words`` are null or a substring of their evidence (a loop in C)."""
    import numpy as np
    import pyarrow as pa

    wanted = words.fill_null(pa.scalar("", pa.string())).to_pylist()
    return np.fromiter(map(operator.contains, evidence, wanted), dtype=bool, count=len(evidence))


def _row_problems(sid: str, s: int, e: int, c: Claimed, texts: Mapping[str, str], indexed: dict[str, IndexedText], misplaced_hint: str) -> list[Described]:
    text = texts[sid]

    def index() -> IndexedText:
        if sid not in indexed:
            indexed[sid] = IndexedText(text)
        return indexed[sid]

    out: list[Described] = []
    if text[s:e] != c.evidence:
        field = c.evidence_field
        where = index().find(c.evidence)
        if where is None:
            return [not_found(field, sid, c.evidence, index())]  # nothing else is checked against missing evidence
        out.append(("V400", "evidence_start", f"{field} is not at {s}..{e} of {sid}'s text but at {where[0]}..{where[1]}", misplaced_hint))
    return out + list(content_problems(c, text, index))


def _slice_rows(table: str, sub: pa.Table) -> Iterator[tuple[str, int, int, Claimed]]:
    """(source id, evidence start, end, what the row claims) for each row of a slice."""
    n = sub.num_rows
    src, ev = sub["source_id"].to_pylist(), sub["evidence"].to_pylist()
    starts, ends = sub["evidence_start"].to_numpy().tolist(), sub["evidence_end"].to_numpy().tolist()
    date_text = sub["date_text"].to_pylist()
    statement, figure = table == "statements", table == "figures"
    said = sub["text"].to_pylist() if statement else [None] * n
    kinds = sub["kind"].to_pylist() if statement else [None] * n
    if figure:
        value_text = sub["value_text"].to_pylist()
        nums = list(zip(*(sub[c].to_pylist() for c in ("value", "value_low", "value_high")), strict=True))
        plain = plain_text(sub["evidence"]).tolist()
    else:
        value_text, nums, plain = [None] * n, [()] * n, [False] * n
    for k in range(n):
        field = "evidence" if ev[k] is not None else "text"  # a statement's evidence defaults to its text
        evidence = str(ev[k] if ev[k] is not None else said[k])
        yield src[k], starts[k], ends[k], Claimed(table, evidence, said[k], kinds[k], nums[k], value_text[k], date_text[k], bool(plain[k]), field)
