"""Checks across records and against the archived texts.

Each check appends :class:`Problem` objects and keeps going. Running them also
computes what the build needs: each source's text, and every record's
evidence offsets into it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nkdata.checks import evidence, formulas, ids
from nkdata.checks import texts as text_checks
from nkdata.checks.tablerows import Place, TableRows
from nkdata.checks.textmatch import IndexedText
from nkdata.curated.reader import SOURCES_DIR, Curated, Located
from nkdata.problems import Problem
from nkdata.spec.columns import arrow_schema
from nkdata.spec.models import MODELS


class CuratedRows(TableRows):
    """A table's curated records as Arrow rows (the columns the build writes), each row located in its YAML."""

    def __init__(self, table: str, locs: list[Located], emit: Callable[[Problem], None]):
        import numpy as np
        import pyarrow as pa

        model = MODELS[table]
        schema = arrow_schema(table)
        names = [n for n in model.column_names() if n in schema.names]
        columns = {n: [getattr(loc.record, n) for loc in locs] for n in names}
        data = pa.Table.from_pydict(columns, schema=pa.schema([schema.field(n) for n in names]))
        super().__init__(table, data, np.ones(len(locs), dtype=bool), emit)
        self.locs = locs

    def place(self, row: int, field: str | None, sub: tuple[Any, ...] = ()) -> Place:
        loc = self.locs[row]
        line, col = loc.where(*((field,) if field else ()), *sub)
        return loc.doc.path, line, col


def curated_rows(cur: Curated) -> dict[str, CuratedRows]:
    """Every table's curated records as rows, for the checks written once for both paths."""
    return {table: CuratedRows(table, cur.records[table], cur.problems.append) for table in MODELS}


def check_orphan_texts(cur: Curated) -> None:
    """Report texts in seeds/ that no source refers to (evidence nobody can cite, or a forgotten
    source file) and files in data/sources/ that the reader skips (records that would silently vanish)."""
    entries = sorted((cur.root / SOURCES_DIR).glob("*"))
    files = [p for p in entries if p.suffix in (".yaml", ".yml")]
    for p in entries:
        if p not in files and not p.name.startswith("."):
            rel = p.relative_to(cur.root).as_posix()
            cur.problems.append(
                Problem(
                    rel,
                    None,
                    None,
                    "F703",
                    None,
                    None,
                    f"{rel} is not read: source files end in .yaml",
                    f"rename it to {SOURCES_DIR}/{p.stem.split('.')[0]}.yaml, or move it out of {SOURCES_DIR}/",
                )
            )
    if len(files) != len(cur.records["sources"]):
        return  # a source file failed to load: its text_path is unknown, and that failure is reported already
    used = {loc.record.text_path for loc in cur.records["sources"]}  # type: ignore[attr-defined]
    seeds = cur.root / "seeds"
    for path in sorted(seeds.rglob("*")) if seeds.is_dir() else []:
        rel = path.relative_to(cur.root).as_posix()
        if path.is_dir() or any(part.startswith(".") for part in path.relative_to(seeds).parts) or rel in used:
            continue
        cur.problems.append(
            Problem(
                rel,
                None,
                None,
                "F702",
                None,
                None,
                f"{rel} is not the text of any source: no file in {SOURCES_DIR}/ has text_path: {rel}",
                f"start its source file with 'nkdata new-source {rel}', or delete the text",
            )
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

        def value(loc: Located, name: str = name) -> Any:
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
                cur.problems.append(
                    loc.problem("I303", name, f"claim {claim_id}: {label} is {value(loc)!r} here but {value(ref)!r} in {_where(ref)}", _CLAIM_HINT, *sub)
                )


def _claim_dates(cur: Curated, claim_id: str, locs: list[Located]) -> None:
    dated = [loc for loc in locs if loc.record.date_start is not None]  # type: ignore[attr-defined]
    undated = [loc for loc in locs if loc.record.date_start is None]  # type: ignore[attr-defined]
    if dated and undated:
        odd, ref = (dated, undated[0]) if len(dated) < len(undated) else (undated, dated[0])
        for loc in odd:
            state = "has a date" if loc in dated else "has no date"
            cur.problems.append(
                loc.problem(
                    "I303", "date_start", f"claim {claim_id}: this figure {state}, unlike {_where(ref)}", "give every figure of a claim its date, or none"
                )
            )
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
        cur.problems.append(
            worst.problem(
                "I303",
                "date_start",
                f"claim {claim_id}: dates {w.date_start}..{w.date_end} do not overlap {o.date_start}..{o.date_end} of {_where(other)}",
                _CLAIM_HINT,
            )
        )
        left.remove(worst)


def run_all(cur: Curated) -> tuple[dict[str, IndexedText], dict[str, tuple[int, int]]]:
    """Run every cross-record check; return the texts and evidence offsets for the build."""
    tables = curated_rows(cur)
    for rows in tables.values():
        ids.check_duplicates(rows)
    ids.check_references(tables, cur.failed_ids)
    for rows in tables.values():
        formulas.check_formulas(rows)
    texts = text_checks.check_curated(cur)
    check_orphan_texts(cur)
    offsets = evidence.check_curated(cur, texts)
    check_claims(cur)
    return texts, offsets
