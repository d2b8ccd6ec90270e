"""Checks of what a build derives from the records: each figure's ``originator`` and the claims table (P804).

A package's derived data must be what its own figures make: the validator
recomputes it (:mod:`nkdata.release.claims`, the code the build runs) and
reports every difference.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from nkdata.release.claims import derive_unordered, first_items, same_claims
from nkdata.release.rows import claims_table
from nkdata.spec.claims import ID_FIELD
from nkdata.spec.conditions import false_for_null

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

CODE = "P804"
HINT = "the build derives this from the figures; rebuild the release instead of editing it"


class Difference(NamedTuple):
    """One derived cell or row that differs: ``row`` in the table checked (None: a row that is missing)."""

    row: int | None
    record_id: str | None
    field: str | None
    message: str


def _short(value: Any, n: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= n else text[: n - 1] + "…"


def originator_differences(figures: pa.Table) -> list[Difference]:
    """Figures whose ``originator`` is not the first entity of their attribution chain (a figure
    with no attribution is reported as that: its originator is not compared)."""
    import numpy as np
    import pyarrow.compute as pc

    if "originator" not in figures.column_names:
        return []
    first = first_items(figures["attribution"])
    same = false_for_null(pc.equal(figures["originator"], first))
    both_null = pc.and_(figures["originator"].is_null(), first.is_null())
    rows = np.flatnonzero(pc.and_(pc.invert(pc.or_(same, both_null)), figures["attribution"].is_valid()).to_numpy(zero_copy_only=False))
    out = []
    ids, got, want = figures["figure_id"], figures["originator"], first
    for r in rows.tolist():
        out.append(Difference(r, ids[r].as_py(), "originator", f"originator is {_short(got[r].as_py())} but attribution[0] is {_short(want[r].as_py())}"))
    return out


def claims_agree(stored: pa.Table, figures: pa.Table, entities: pa.Table | None = None, sources: pa.Table | None = None) -> bool:
    """Whether ``stored`` is exactly the claims table the figures make, told without sorting a million claims.

    False when it cannot tell: :func:`claims_differences` then says what differs.
    """
    return same_claims(stored, derive_unordered(figures, entities, sources))


def claims_differences(stored: pa.Table, tables: dict[str, pa.Table], agreed: bool | None = None) -> list[Difference]:
    """How a package's claims table differs from the claims its figures make (none when equal).

    ``agreed``: what :func:`claims_agree` said already (None: ask it here).
    """
    if agreed is None:
        agreed = "figures" in tables and claims_agree(stored, tables["figures"], tables.get("entities"), tables.get("sources"))
    if agreed:
        return []
    expected = claims_table({t: tables[t] for t in ("figures", "entities", "sources") if t in tables})
    if stored.equals(expected):
        return []
    want = {r[ID_FIELD]: r for r in expected.to_pylist()}
    seen: set[str] = set()
    out = []
    for row, got in enumerate(stored.to_pylist()):
        cid = got[ID_FIELD]
        if cid in seen:
            out.append(Difference(row, cid, ID_FIELD, f"claim {cid!r} is listed twice"))
            continue
        seen.add(cid)
        exp = want.get(cid)
        if exp is None:
            out.append(Difference(row, cid, ID_FIELD, f"no figure makes claim {cid!r}"))
            continue
        for name, value in exp.items():
            if _differ(got.get(name), value):
                out.append(Difference(row, cid, name, f"{name} is {_short(got.get(name))} but its figures make {_short(value)}"))
    for cid, exp in want.items():
        if cid not in seen:
            out.append(Difference(None, cid, ID_FIELD, f"claim {cid!r} (figures {', '.join(exp['figure_ids'])}) is missing"))
    if not out and stored[ID_FIELD].to_pylist() != list(want):  # same rows and cells, another order
        out.append(Difference(None, None, None, "the claims are not in the order the build writes them (by date_start, metric, originator, claim_id)"))
    return out


def _differ(a: object, b: object) -> bool:
    """``a != b``, but NaN is NaN: a figure's NaN (reported as M202) makes the same NaN in its claim."""
    return a != b and not (a != a and b != b)  # x != x holds for NaN alone
