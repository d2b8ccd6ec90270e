"""Turning checked records into table rows, and rows into Arrow (the shared typed form).

The build writes these rows to CSV and Parquet; ``nkdata diff`` and the
package validator compare them. Column order and types come from the
generated Table Schemas, so every writer and reader agrees.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from nkdata.checks.textmatch import IndexedText
from nkdata.release import claims
from nkdata.spec.columns import arrow_schema, csv_cell, schema_type
from nkdata.spec.models import MODELS, RECORD_TABLES

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

    from nkdata.checks.validation import CheckedProject

Row = dict[str, Any]
CLAIMS = "claims"

#: Columns holding words copied from the source; published as the source's exact characters.
VERBATIM_FIELDS = ("text", "value_text", "date_text")


def _verbatim(text: IndexedText, words: str, start: int, end: int) -> str:
    """The source's own characters for ``words``, looked for in the evidence first."""
    inner = IndexedText(text.text[start:end]).find(words)
    if inner is not None:
        return text.text[start + inner[0] : start + inner[1]]
    whole = text.find(words)
    return text.text[whole[0] : whole[1]] if whole else words


def rows_from_project(checked: CheckedProject) -> dict[str, list[Row]]:
    """One row per record, computed columns filled, sorted by id (for reproducible output)."""
    out: dict[str, list[Row]] = {}
    for table, model in MODELS.items():
        rows = []
        for loc in checked.curated.records[table]:
            rec = loc.record
            row = {name: getattr(rec, name) for name in model.column_names()}
            if table in RECORD_TABLES:
                text = checked.texts[rec.source_id]  # type: ignore[attr-defined]
                start, end = checked.offsets[rec.record_id]
                # Publish the source's own characters, not the curator's typing of them.
                row["evidence"] = text.text[start:end]
                row["evidence_start"], row["evidence_end"] = start, end
                for name in VERBATIM_FIELDS:
                    if row.get(name) is not None:
                        row[name] = _verbatim(text, row[name], start, end)
            rows.append(row)
        rows.sort(key=lambda r: r[model.id_field])
        out[table] = rows
    add_derived(out)
    return out


def add_derived(rows: dict[str, list[Row]]) -> None:
    """Fill what the build derives from the records: each figure's originator, and the claims table."""
    for fig in rows["figures"]:
        fig["originator"] = claims.originator(fig)
    rows[CLAIMS] = claims.rows_from_tables(rows)


# ---------------------------------------------------------------- text forms of a table


def csv_lines(header: list[str], rows: Iterable[list[str]]) -> str:
    """Cells as the release's CSV text: RFC 4180 quoting, rows ending in ``\\n``.

    Python's writer quotes a cell only for the characters of its line terminator, so with ``\\n`` a cell
    holding a lone ``\\r`` went out bare and every reader took it for the end of the row. A row with a
    ``\\r`` in a cell is written by a writer whose terminator holds ``\\r`` too (so that cell is quoted),
    then given the release's ``\\n`` ending; every other row is spelled exactly as before.
    """
    buf = io.StringIO(newline="")
    plain = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    one = io.StringIO(newline="")
    careful = csv.writer(one, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    plain.writerow(header)
    for cells in rows:
        if any("\r" in cell for cell in cells):
            one.seek(0)
            one.truncate()
            careful.writerow(cells)
            buf.write(one.getvalue()[:-2] + "\n")
        else:
            plain.writerow(cells)
    return buf.getvalue()


def csv_text(table: pa.Table) -> str:
    """An Arrow table as CSV text spelled as the release's CSV files are (for ``nkdata show``)."""
    names, types = table.column_names, [schema_type(f.type) for f in table.schema]
    return csv_lines(names, ([csv_cell(row[n], t) for n, t in zip(names, types, strict=True)] for row in table.to_pylist()))


def json_text(table: pa.Table) -> str:
    """An Arrow table as a JSON list of records: dates as ISO dates, lists as lists, nulls as null."""
    return json.dumps(table.to_pylist(), ensure_ascii=False, indent=2, default=lambda v: v.isoformat())


# ---------------------------------------------------------------- Arrow


def rows_to_arrow(table: str, rows: list[Row]) -> pa.Table:
    import pyarrow as pa

    schema = arrow_schema(table)
    columns = {f.name: [r.get(f.name) for r in rows] for f in schema}
    return pa.Table.from_pydict(columns, schema=schema)


def claims_table(tables: Mapping[str, pa.Table]) -> pa.Table:
    """The claims table of a release given its tables by name: the stored one, else derived from
    its figures (with entities for names and sources for publication days, when given)."""
    return claims.read(tables)
