"""Checks across records and against the archived texts.

Each check appends :class:`Problem` objects and keeps going. Running them also
computes what the build needs: each source's text, and every record's
evidence offsets into it.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterator
from typing import Any

from nkdata.checks.textmatch import IndexedText, normalise, numbers_in
from nkdata.curated.reader import SOURCES_DIR, Curated, Located
from nkdata.curated.safeopen import NotInside, TooLarge, read_inside
from nkdata.problems import Problem
from nkdata.spec.models import MODELS, RECORD_TABLES, Figure, Statement

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_TEXT_BYTES = 10 * 1024 * 1024  # an archived article is kilobytes; refuse before reading a huge file


def _refs(loc: Located) -> Iterator[tuple[str, Any, str, list[str] | None]]:
    """(field, sub-index or None, target id, allowed entity kinds) for every reference in a record."""
    rec = loc.record
    for name, info in type(rec).model_fields.items():
        extra = info.json_schema_extra or {}
        if not isinstance(extra, dict) or "ref" not in extra:
            continue
        value = getattr(rec, name)
        kinds = extra.get("ref_kinds")
        if isinstance(value, list):
            for i, v in enumerate(value):
                yield name, i, v, kinds  # type: ignore[misc]
        elif value is not None:
            yield name, None, value, kinds  # type: ignore[misc]


def check_ids(cur: Curated) -> None:
    for table, items in cur.records.items():
        seen: dict[str, Located] = {}
        id_field = MODELS[table].id_field
        for loc in items:
            rid = loc.record.record_id
            if rid in seen:
                first = seen[rid]
                line, _ = first.where(id_field)
                cur.problems.append(loc.problem("I300", id_field, f"id {rid!r} is already used at {first.doc.path}:{line}", "give every record its own id"))
            else:
                seen[rid] = loc


def check_references(cur: Curated) -> None:
    ids = {t: {loc.record.record_id: loc for loc in items} for t, items in cur.records.items()}
    for table, items in cur.records.items():
        for loc in items:
            for name, sub, target, kinds in _refs(loc):
                ref_table = (type(loc.record).model_fields[name].json_schema_extra or {})["ref"]  # type: ignore[index]
                found = ids[ref_table].get(target)
                subpath = (sub,) if sub is not None else ()
                if found is None:
                    close = difflib.get_close_matches(target, list(ids[ref_table]), n=1)
                    hint = f"did you mean {close[0]!r}?" if close else f"add it to {'data/entities.yaml' if ref_table == 'entities' else 'its source file'} first"
                    cur.problems.append(loc.problem("I301", name, f"{target!r} is not a known {MODELS[ref_table].noun} id", hint, *subpath))
                elif kinds and found.record.kind not in kinds:  # type: ignore[attr-defined]
                    cur.problems.append(loc.problem("I302", name, f"{target!r} is a {found.record.kind}, but {name} takes {' or '.join(kinds)}", "point to an entity of the right kind", *subpath))  # type: ignore[attr-defined]


def check_texts(cur: Curated) -> dict[str, IndexedText]:
    """Load each source's archived text, checking path, encoding and hash."""
    texts: dict[str, IndexedText] = {}
    seeds = (cur.root / "seeds").resolve()
    for loc in cur.records["sources"]:
        src = loc.record
        path = (cur.root / src.text_path).resolve()  # type: ignore[attr-defined]
        if seeds not in path.parents:
            cur.problems.append(loc.problem("T503", "text_path", f"{src.text_path} resolves outside seeds/", "keep archived texts as plain files in seeds/"))  # type: ignore[attr-defined]
            continue
        try:
            raw = read_inside(path, seeds, MAX_TEXT_BYTES, "seeds/")
        except NotInside as exc:
            cur.problems.append(loc.problem("T503", "text_path", f"{src.text_path} {exc}", "keep archived texts as plain files in seeds/"))  # type: ignore[attr-defined]
            continue
        except TooLarge as exc:
            cur.problems.append(loc.problem("T504", "text_path", f"{src.text_path} is {exc}; the limit is {MAX_TEXT_BYTES:,}", "archive only the article's text, as UTF-8"))  # type: ignore[attr-defined]
            continue
        except OSError:
            cur.problems.append(loc.problem("T500", "text_path", f"archived text {src.text_path} is missing", "add the text to seeds/ or fix text_path"))  # type: ignore[attr-defined]
            continue
        digest = hashlib.sha256(raw).hexdigest()
        if digest != src.text_sha256:  # type: ignore[attr-defined]
            cur.problems.append(loc.problem("T501", "text_sha256", f"{src.text_path} has sha256 {digest}, the record says {src.text_sha256}", "archived texts never change: restore the original bytes; if the new text is right, it is a new source"))  # type: ignore[attr-defined]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            cur.problems.append(loc.problem("T502", "text_path", f"{src.text_path} is not valid UTF-8 (byte {exc.start})", "archive texts as UTF-8"))  # type: ignore[attr-defined]
            continue
        texts[src.source_id] = IndexedText(text)  # type: ignore[attr-defined]
    return texts


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,}"


def check_evidence(cur: Curated, texts: dict[str, IndexedText]) -> dict[str, tuple[int, int]]:
    """Check every evidence span, quote, number and date text; return evidence offsets by record id."""
    offsets: dict[str, tuple[int, int]] = {}
    for table in RECORD_TABLES:
        for loc in cur.records[table]:
            rec: Any = loc.record
            text = texts.get(rec.source_id)
            if text is None:
                continue  # the source or its text already has a problem
            evidence = rec.evidence if rec.evidence is not None else rec.text
            span = text.find(evidence)
            ev_field = "evidence" if rec.evidence is not None else "text"
            if span is None:
                cur.problems.append(loc.problem("V400", ev_field, f"{ev_field} not found in {rec.source_id}'s text: {_shorten(evidence)!r}", _near_miss(text, evidence)))
                continue
            offsets[rec.record_id] = span
            norm_ev = normalise(evidence)
            if isinstance(rec, Statement) and rec.evidence is not None and normalise(rec.text) not in norm_ev:
                cur.problems.append(loc.problem("V401", "text", f"the {'quote' if rec.kind == 'direct_quote' else 'text'} is not part of the evidence, verbatim: {_shorten(rec.text)!r}", "copy the quoted words exactly from the evidence, without the quotation marks"))
            if isinstance(rec, Figure):
                found = numbers_in(evidence)
                for name in ("value", "value_low", "value_high"):
                    v = getattr(rec, name)
                    if v is not None and float(v) not in found:
                        cur.problems.append(loc.problem("V402", name, f"{name} {_fmt(v)} does not occur in the evidence", "a figure's numbers must be written in its evidence; widen the evidence or correct the number"))
                if normalise(rec.value_text) not in norm_ev:
                    cur.problems.append(loc.problem("V404", "value_text", f"value_text {rec.value_text!r} is not in the evidence", "copy the words that state the number from the evidence"))
            if rec.date_text is not None and normalise(rec.date_text) not in norm_ev and rec.date_text not in text:
                cur.problems.append(loc.problem("V403", "date_text", f"date_text {rec.date_text!r} is not in the source text", "copy the source's own words for the date"))
    return offsets


def _shorten(s: str, n: int = 80) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _near_miss(text: IndexedText, span: str) -> str:
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
        return f"the text matches up to {needle[:lo][-30:]!r} then differs at {needle[lo:lo + 20]!r}; copy the span exactly"
    return "copy the span exactly from the archived text (quotes, dashes and spaces may differ; nothing else)"


def _strings(value: Any, sub: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        yield sub, value
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, sub + (i,))


def check_formula_cells(cur: Curated) -> None:
    """Reject text a spreadsheet would run as a formula (we reject rather than alter the data)."""
    for items in cur.records.values():
        for loc in items:
            for name in type(loc.record).model_fields:
                for sub, s in _strings(getattr(loc.record, name)):
                    if s.startswith(FORMULA_START):
                        cur.problems.append(loc.problem("C600", name, f"{_shorten(s, 40)!r} starts with {s[0]!r}, which spreadsheets run as a formula", "reword or trim the value so it does not start with = + - @ or a tab", *sub))



def check_orphan_texts(cur: Curated) -> None:
    """Report texts in seeds/ that no source refers to (evidence nobody can cite, or a forgotten
    source file) and files in data/sources/ that the reader skips (records that would silently vanish)."""
    entries = sorted((cur.root / SOURCES_DIR).glob("*"))
    files = [p for p in entries if p.suffix in (".yaml", ".yml")]
    for p in entries:
        if p not in files and not p.name.startswith("."):
            rel = p.relative_to(cur.root).as_posix()
            cur.problems.append(Problem(rel, None, None, "F703", None, None, f"{rel} is not read: source files end in .yaml", f"rename it to {SOURCES_DIR}/{p.stem.split('.')[0]}.yaml, or move it out of {SOURCES_DIR}/"))
    if len(files) != len(cur.records["sources"]):
        return  # a source file failed to load: its text_path is unknown, and that failure is reported already
    used = {loc.record.text_path for loc in cur.records["sources"]}  # type: ignore[attr-defined]
    seeds = cur.root / "seeds"
    for path in sorted(seeds.rglob("*")) if seeds.is_dir() else []:
        rel = path.relative_to(cur.root).as_posix()
        if path.is_dir() or any(part.startswith(".") for part in path.relative_to(seeds).parts) or rel in used:
            continue
        cur.problems.append(
            Problem(rel, None, None, "F702", None, None, f"{rel} is not the text of any source: no file in {SOURCES_DIR}/ has text_path: {rel}",
                    f"start its source file with 'nkdata new-source {rel}', or delete the text")
        )


#: What the figures of one claim must share. The qualifier and the bounds it implies may differ
#: (one outlet writes "about 300", another "300"): the claims table reconciles them.
CLAIM_FIELDS = ("attribution", "metric", "value", "unit")


def _stated_number(record: Any) -> Any:
    """The number(s) a figure states: its value, or (low, high) for a range."""
    return record.value if record.value is not None else (record.value_low, record.value_high)


def check_claims(cur: Curated) -> None:
    """Figures that share a claim_id are one claim told by several sources, so the timeline
    counts it once: they must agree on originator (attribution[0]), metric, the number
    stated and unit, and their date intervals must overlap (or all be undated). Outlets
    may word the qualifier differently; the claim's best/low/high reconcile them.

    The figure blamed is the odd one out: the value most figures of the claim share is
    taken as the claim's, and the interval that clashes with the most others goes first.
    """
    claims: dict[str, list[Located]] = {}
    for loc in cur.records["figures"]:
        if loc.record.claim_id is not None:  # type: ignore[attr-defined]
            claims.setdefault(loc.record.claim_id, []).append(loc)  # type: ignore[attr-defined]
    for claim_id, locs in claims.items():
        if len(locs) > 1:
            _claim_fields(cur, claim_id, locs)
            _claim_dates(cur, claim_id, locs)


_CLAIM_HINT = "figures of one claim report the same number from the same originator on overlapping dates; correct this figure or give it its own claim_id"


def _where(loc: Located) -> str:
    return f"{loc.record.record_id} ({loc.doc.path}:{loc.where('figure_id')[0]})"


def _claim_fields(cur: Curated, claim_id: str, locs: list[Located]) -> None:
    for name in CLAIM_FIELDS:
        def value(loc: Located) -> Any:
            if name == "value":
                return _stated_number(loc.record)
            v = getattr(loc.record, name)
            return v[0] if name == "attribution" else v

        counts: dict[Any, int] = {}
        for loc in locs:
            counts[value(loc)] = counts.get(value(loc), 0) + 1
        if len(counts) == 1:
            continue
        best = max(counts.values())
        ref = next(loc for loc in locs if counts[value(loc)] == best)  # most common value; ties: first in reading order
        label = "originator (attribution[0])" if name == "attribution" else name
        sub = (0,) if name == "attribution" else ()
        for loc in locs:
            if value(loc) != value(ref):
                cur.problems.append(loc.problem("I303", name, f"claim {claim_id}: {label} is {value(loc)!r} here but {value(ref)!r} in {_where(ref)}", _CLAIM_HINT, *sub))


def _claim_dates(cur: Curated, claim_id: str, locs: list[Located]) -> None:
    dated = [loc for loc in locs if loc.record.date_start is not None]  # type: ignore[attr-defined]
    undated = [loc for loc in locs if loc.record.date_start is None]  # type: ignore[attr-defined]
    if dated and undated:
        odd, ref = (dated, undated[0]) if len(dated) < len(undated) else (undated, dated[0])
        for loc in odd:
            state = "has a date" if loc in dated else "has no date"
            cur.problems.append(loc.problem("I303", "date_start", f"claim {claim_id}: this figure {state}, unlike {_where(ref)}", "give every figure of a claim its date, or none"))
        return

    def apart(a: Any, b: Any) -> bool:
        return bool(a.date_start > b.date_end or b.date_start > a.date_end)

    left = list(dated)
    while left:
        clashes = {id(loc): [o for o in left if o is not loc and apart(loc.record, o.record)] for loc in left}
        worst = max(reversed(left), key=lambda loc: len(clashes[id(loc)]))  # ties: the later figure
        if not clashes[id(worst)]:
            return
        other = clashes[id(worst)][0]
        w: Any = worst.record
        o: Any = other.record
        cur.problems.append(worst.problem("I303", "date_start", f"claim {claim_id}: dates {w.date_start}..{w.date_end} do not overlap {o.date_start}..{o.date_end} of {_where(other)}", _CLAIM_HINT))
        left.remove(worst)


def run_all(cur: Curated) -> tuple[dict[str, IndexedText], dict[str, tuple[int, int]]]:
    """Run every cross-record check; return the texts and evidence offsets for the build."""
    check_ids(cur)
    check_references(cur)
    check_formula_cells(cur)
    texts = check_texts(cur)
    check_orphan_texts(cur)
    offsets = check_evidence(cur, texts)
    check_claims(cur)
    return texts, offsets
