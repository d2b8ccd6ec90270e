"""Reading a package's tables: the Parquet, and its CSV compared with it cell by cell (P803).

The CSV's header is checked against the Table Schema (M200/M201, worded by
:mod:`nkdata.checks.fields`); cells that do not convert are M202/M221; a CSV
and Parquet that disagree are P803. With no usable Parquet the CSV alone is read.
A null in a Parquet column the schema declares required is left to the field checks
(M201, by row); Parquet cells no CSV could spell (a date past year 9999, a null list item)
are reported as the CSV's would be and made null.
"""

from __future__ import annotations

import csv
import itertools
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nkdata.checks import fields
from nkdata.checks.columns import explain
from nkdata.checks.csvcells import differs, either, may_hold_newline, parse_json_lists, spell_json_lists
from nkdata.checks.csvlines import BadLine, first_malformed_row, read_header
from nkdata.checks.csvrows import DISAGREE, RowsApart, says
from nkdata.checks.fields import describe_error
from nkdata.checks.package_files import REBUILD, PackageFiles
from nkdata.checks.tablerows import Place, TableRows, shorten
from nkdata.spec.columns import csv_read_type, impossible_dates
from nkdata.spec.conditions import list_items
from nkdata.spec.models import MODELS

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pyarrow as pa


class Checked(TableRows):
    """One table of a package: its rows, which passed, and where each row starts in its CSV."""

    def __init__(self, table: str, data: pa.Table, ok: np.ndarray, csv_shown: str, files: PackageFiles):
        super().__init__(table, data, ok, files.emit)
        self.csv_shown = csv_shown
        self._lines: np.ndarray | None = None
        self._dropped_breaks: np.ndarray | None = None  # line breaks in columns let go of

    def place(self, row: int, field: str | None, sub: tuple[Any, ...] = ()) -> Place:
        return self.csv_shown, self.line(row), None

    def lines(self) -> np.ndarray:
        """Line number of each row in the CSV (rows may hold line breaks inside quoted cells)."""
        import numpy as np

        if self._lines is None:
            n = self.data.num_rows
            breaks = self._breaks(self.data.column_names)
            if self._dropped_breaks is not None:
                breaks += self._dropped_breaks
            before = np.concatenate([[0], np.cumsum(breaks)[:-1]]) if n else breaks
            self._lines = 2 + np.arange(n, dtype=np.int64) + before
        return self._lines

    def _breaks(self, names: list[str]) -> np.ndarray:
        """Line breaks in each row's text cells of the columns ``names``."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        breaks = np.zeros(self.data.num_rows, dtype=np.int64)
        for name in names:
            col = self.data[name]
            if not pa.types.is_string(col.type):
                continue
            start = 0
            for chunk in col.chunks:
                if may_hold_newline(chunk):  # most columns hold none: a byte scan says so 6x faster than counting
                    breaks[start : start + len(chunk)] += pc.count_substring(chunk, "\n").fill_null(0).to_numpy(zero_copy_only=False)
                start += len(chunk)
        return breaks

    def keep_only(self, names: set[str]) -> None:
        """Let go of the other columns (checks still to run need none of them); line numbers stay right."""
        dropped = [c for c in self.data.column_names if c not in names]
        if not dropped:
            return
        if self._lines is None:
            breaks = self._breaks(dropped)
            if breaks.any():
                self._dropped_breaks = breaks if self._dropped_breaks is None else self._dropped_breaks + breaks
        self.data = self.data.select([c for c in self.data.column_names if c in names])

    def line(self, row: int) -> int:
        return int(self.lines()[row])


def drop_impossible_cells(ct: Checked) -> dict[str, np.ndarray]:
    """Parquet cells no CSV could spell, reported as the CSV's would be and then made null: a
    date that names no calendar day (a date32 is any of ±2^31 days; a date runs from year 1 to
    9999: M221), a list holding a null item (M202). Returns those cells, by column."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    found: dict[str, np.ndarray] = {}
    for name in ct.data.column_names:
        col = ct.data[name]
        if pa.types.is_date32(col.type):
            bad = impossible_dates(col)
            days = pc.cast(col, pa.int32())
            for r in np.flatnonzero(bad).tolist():
                ct.report(r, *fields.not_a_real_date(name, f"day {days[r].as_py():,} of the Parquet date32", "years run from 1 to 9999"))
        elif pa.types.is_list(col.type):
            items, rows, _ = list_items(col)
            bad = np.zeros(len(col), dtype=bool)
            bad[rows[items.is_null().to_numpy(zero_copy_only=False)]] = True
            for r in np.flatnonzero(bad).tolist():
                ct.report(r, *fields.not_a_list(name, shorten(json.dumps(col[r].as_py()), 60)))
        else:
            continue
        if bad.any():
            found[name] = bad
            at = ct.data.schema.get_field_index(name)
            ct.data = ct.data.set_column(at, ct.data.schema.field(at).with_nullable(True), pc.if_else(pa.array(bad), None, col))
    return found


def parse_options(newlines: bool) -> Any:
    """How Arrow parses a release's CSV: an empty line is a row (of empty cells), not skipped as
    Arrow would by default, so that it is reported and the lines of the rows after it stay right."""
    import pyarrow.csv as pacsv

    return pacsv.ParseOptions(newlines_in_values=newlines, ignore_empty_lines=False)


CSV_BLOCK_MIN = 4 << 20
CSV_BLOCK_MAX = 64 << 20
CSV_BLOCK_FAST = 1 << 20  # tried first: parses several times faster than large blocks, in a fraction of the memory
COMPARE_ROWS = 1 << 16  # CSV rows compared with the Parquet's at once


class TableReader:
    """Reads the tables of one package, reporting what cannot be read or disagrees."""

    def __init__(self, files: PackageFiles):
        self.files = files

    def read_parquet(self, table: str, rel: str, shown: str, schema: pa.Schema) -> pa.Table | None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = self.files.inside(rel)
        if path is None or not path.is_file():
            return None
        try:
            t = pq.ParquetFile(path, memory_map=True, pre_buffer=True).read()  # not read_table: that loads pyarrow.dataset (and pandas)
        except (pa.ArrowException, OSError) as exc:
            self.files.add(shown, None, DISAGREE, None, None, f"cannot read the Parquet file ({exc})", REBUILD)
            return None
        missing = [f.name for f in schema if f.name not in t.column_names]
        extra = [n for n in t.column_names if n not in schema.names]
        wrong = [
            f"{f.name} is {t.schema.field(f.name).type}, not {f.type}" for f in schema if f.name in t.column_names and t.schema.field(f.name).type != f.type
        ]
        if missing or extra or wrong:
            what = "; ".join(
                x for x in (missing and f"missing columns {', '.join(missing)}", extra and f"unknown columns {', '.join(extra)}", "; ".join(wrong)) if x
            )
            self.files.add(shown, None, DISAGREE, None, None, f"the Parquet file's columns differ from the schema: {what}", REBUILD)
            return None
        t = t.select(schema.names)
        if any(t[f.name].null_count for f in schema if not f.nullable):  # the checks report each such row (M201)
            return t.cast(pa.schema([f.with_nullable(True) for f in schema], metadata=schema.metadata))
        return t.cast(schema)

    def stream_compare(self, ct: Checked, rel: str, schema: pa.Schema, pq_shown: str, pq_bad: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Read the CSV in batches with the schema's types and compare each with the Parquet's rows (P803).

        Returns the cells that do not convert (already reported), which are not compared; nor are
        the Parquet's cells ``pq_bad`` (reported as they were read).
        """
        import pyarrow as pa

        path = self.files.inside(rel)
        options = self.csv_options(ct.table, path, ct.csv_shown, schema) if path is not None else None
        if options is None or path is None:
            return {}
        read, convert, text_types = options
        # Small blocks parse fastest (they stay in cache); a row longer than a block, or quoted line
        # breaks, need the next try.
        for block, newlines in ((CSV_BLOCK_FAST, False), (CSV_BLOCK_FAST, True), (read.block_size, True)):
            try:
                with self.files.buffered() as found:  # kept only if the pass completes
                    self._compare_batches(ct, path, block, newlines, convert(text_types), pq_shown, pq_bad)
                self.files.sink.extend(found)
                return {}
            except pa.ArrowInvalid:
                pass  # this pass is redone
            except (pa.ArrowException, OSError) as exc:
                self.unreadable(ct.csv_shown, path, len(schema), exc)
                return {}
        csv_t, bad = self.read_csv(ct.table, rel, ct.csv_shown, schema, ct.data, checked_header=True)
        if csv_t is None:
            return bad
        apart = RowsApart(ct, ct.csv_shown, pq_shown, path)
        compare(ct, csv_t, ct.data, either(bad, pq_bad), pq_shown, 0, apart)
        apart.report(csv_t.num_rows)
        # the cells that did not convert are flagged by CSV row: the Parquet's rows only when there are as many
        return bad if csv_t.num_rows == ct.data.num_rows else {}

    def _compare_batches(self, ct: Checked, path: Path, block: int, newlines: bool, convert: Any, pq_shown: str, pq_bad: dict[str, np.ndarray]) -> None:
        """One pass over the CSV: each run of batches compared with the Parquet's rows at the same place."""
        import pyarrow as pa
        import pyarrow.csv as pacsv

        pq_t = ct.data
        pos = held = 0
        batches: list[pa.RecordBatch] = []
        apart = RowsApart(ct, ct.csv_shown, pq_shown, path)
        reader = pacsv.open_csv(path, pacsv.ReadOptions(use_threads=True, block_size=block), parse_options(newlines), convert)
        for batch in itertools.chain(reader, [None]):
            if batch is not None:
                batches.append(batch)
                held += batch.num_rows
                if held < COMPARE_ROWS:
                    continue
            if held:
                csv_t = pa.Table.from_batches(batches)
                if pos + held <= pq_t.num_rows:
                    skip = {name: bad[pos : pos + held] for name, bad in pq_bad.items()}
                    compare(ct, csv_t, pq_t.slice(pos, held), skip, pq_shown, pos, apart)
                else:  # rows past the Parquet's: where the two part is all there is to tell
                    apart.find(csv_t.slice(0, max(pq_t.num_rows - pos, 0)), pos)
            pos += held
            batches, held = [], 0
        apart.report(pos)

    def unreadable(self, shown: str, path: Path, width: int, exc: Exception) -> None:
        """P803: Arrow cannot read the CSV (and does not say where): at the first malformed row, when one is found."""
        where = first_malformed_row(path, width)
        if where is None:
            self.files.add(shown, None, DISAGREE, None, None, f"cannot read the CSV file ({exc})", REBUILD)
        else:
            self.files.add(shown, where[0], DISAGREE, None, None, f"cannot read the CSV file: {where[1]}", REBUILD)

    def csv_options(self, table: str, path: Path, shown: str, schema: pa.Schema) -> tuple[Any, Callable[[dict[str, Any]], Any], dict[str, Any]] | None:
        """Check the CSV's header against the schema (M200/M201/P803); the reader options, or None when unreadable."""
        import pyarrow.csv as pacsv

        if not path.is_file():
            return None
        model = MODELS.get(table)
        try:
            header = read_header(path)
        except BadLine as exc:
            self.files.add(shown, exc.line, DISAGREE, None, None, f"cannot read the CSV file: {exc.what}", REBUILD)
            return None
        except (OSError, csv.Error) as exc:
            self.files.add(shown, 1, DISAGREE, None, None, f"cannot read the CSV file ({exc})", REBUILD)
            return None
        names = schema.names
        unknown = [h for h in header if h not in names]
        missing = [n for n in names if n not in header]
        for h in unknown:
            code, fname, message, hint = fields.unknown_column(h, model, REBUILD)
            self.files.add(shown, 1, code, None, fname, message, hint)
        for n in missing:
            code, fname, message, hint = fields.missing_value(n, model)
            self.files.add(shown, 1, code, None, fname, f"{message}: the CSV has no column {n!r}", hint)
        twice = [h for h, n in Counter(header).items() if n > 1]
        for h in twice:
            at = ", ".join(str(i) for i, x in enumerate(header, 1) if x == h)
            self.files.add(shown, 1, DISAGREE, None, h, f"the CSV's header names the column {h!r} more than once (columns {at})", REBUILD)
        if unknown or missing or twice:
            return None
        if header != names:
            self.files.add(shown, 1, DISAGREE, None, None, f"the CSV's columns are in another order than the schema's ({', '.join(header)})", REBUILD)
        text_types = {f.name: csv_read_type(f.type) for f in schema}
        # Arrow parses a CSV in blocks and refuses a row longer than one block ("straddling object"):
        # the block must hold the longest row. A curated file is at most 10 MB, so no row of a
        # package nkdata builds is longer than its file; a block as large as the file (4-64 MiB)
        # holds any row that validate and build accept.
        read = pacsv.ReadOptions(use_threads=True, block_size=min(max(path.stat().st_size + 1, CSV_BLOCK_MIN), CSV_BLOCK_MAX))

        def convert(types: dict[str, pa.DataType]) -> Any:
            return pacsv.ConvertOptions(
                column_types=types,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                true_values=["true"],
                false_values=["false"],
                include_columns=names,
            )

        return read, convert, text_types

    def read_csv(
        self, table: str, rel: str, shown: str, schema: pa.Schema, pq_t: pa.Table | None, checked_header: bool = False
    ) -> tuple[pa.Table | None, dict[str, np.ndarray]]:
        """The whole CSV with the schema's types (lists still JSON text), and the cells that failed to convert."""
        import pyarrow as pa
        import pyarrow.csv as pacsv

        path = self.files.inside(rel)
        if path is None or not path.is_file():
            return None, {}
        with self.files.buffered() as header_problems:
            options = self.csv_options(table, path, shown, schema)
        if not checked_header:  # else reported already
            self.files.sink.extend(header_problems)
        if options is None:
            return None, {}
        read, convert, text_types = options
        header = list(text_types)
        parse = parse_options(False)
        for attempt in (parse, parse_options(True)):
            parse = attempt  # the last one tried is used below
            try:
                return pacsv.read_csv(path, read, parse, convert(text_types)), {}
            except pa.ArrowInvalid:
                pass  # line breaks in cells (read again allowing them), or a cell that does not convert
            except (pa.ArrowException, OSError) as exc:
                self.unreadable(shown, path, len(header), exc)
                return None, {}
        try:
            raw = pacsv.read_csv(path, read, parse, convert({n: pa.string() for n in header}))
        except (pa.ArrowException, OSError) as exc:
            self.unreadable(shown, path, len(header), exc)
            return None, {}
        return self.convert_cells(table, raw, text_types, shown, pq_t)

    def convert_cells(
        self, table: str, raw: pa.Table, types: dict[str, pa.DataType], shown: str, pq_t: pa.Table | None
    ) -> tuple[pa.Table, dict[str, np.ndarray]]:
        """Convert a text-read CSV column by column; report each cell that does not convert (M202/M221)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        bad_cells: dict[str, np.ndarray] = {}
        cols = []
        tmp = Checked(table, raw, np.ones(raw.num_rows, dtype=bool), shown, self.files)
        for name in raw.column_names:
            col, want = raw[name], types[name]
            if want == pa.string():
                cols.append(col)
                continue
            try:
                cols.append(pc.cast(col, want))
                continue
            except pa.ArrowInvalid:
                pass
            cells = col.to_pylist()
            good: list[Any] = []
            bad = np.zeros(len(cells), dtype=bool)
            for i, cell in enumerate(cells):
                try:
                    good.append(None if cell is None else pc.cast(pa.array([cell]), want)[0].as_py())
                except pa.ArrowInvalid:
                    good.append(None)
                    bad[i] = True
                    report_cell(tmp, i, name, cell, want)
            bad_cells[name] = bad
            cols.append(pa.chunked_array([pa.array(good, want)]))
        return pa.table(cols, names=raw.column_names), bad_cells


def parse_lists(ct: Checked, schema: pa.Schema, bad_cells: dict[str, np.ndarray]) -> pa.Table:
    """Lists from their CSV spelling (JSON arrays of strings), when there is no Parquet to take them from."""
    import numpy as np
    import pyarrow as pa

    t = ct.data
    for f in schema:
        if not pa.types.is_list(f.type):
            continue
        out: list[Any] = []
        bad = np.zeros(t.num_rows, dtype=bool)
        for r, cell in enumerate(t[f.name].to_pylist()):
            try:
                value = None if cell is None else json.loads(cell)
                if value is not None and not (isinstance(value, list) and all(isinstance(x, str) for x in value)):
                    raise ValueError
            except ValueError:
                value, bad[r] = None, True
                ct.report(r, *fields.not_a_list(f.name, shorten(cell, 60)))
            out.append(value)
        bad_cells[f.name] = bad
        t = t.set_column(t.schema.get_field_index(f.name), f.name, pa.array(out, f.type))
    return t

def report_cell(ct: Checked, row: int, name: str, cell: str, want: pa.DataType) -> None:
    model = MODELS[ct.table]
    errs = explain(model, name, cell) if name in model.model_fields else []
    if errs:
        for err in errs:
            code, fname, message, hint = describe_error(err, model)
            ct.report(row, code, fname, message, hint)
        return
    ct.report(row, *fields.not_of_type(name, cell, str(want)))


# ---------------------------------------------------------------- CSV vs Parquet


def compare(ct: Checked, csv_t: pa.Table, pq_t: pa.Table, csv_bad: dict[str, np.ndarray], pq_shown: str, first_row: int, apart: RowsApart) -> None:
    """The CSV must say what the Parquet says, cell by cell (P803 where they differ), but for the cells
    ``csv_bad`` (reported already: a CSV cell that does not convert, a Parquet date that is none); rows from ``first_row``.

    A row whose key is not the Parquet's there holds another record: its cells are not compared, the
    row goes to ``apart`` (reported once the whole CSV is read: a row more or less shifts every later one).
    """
    import numpy as np
    import pyarrow as pa

    if csv_t.num_rows != pq_t.num_rows:
        apart.find(csv_t.slice(0, min(csv_t.num_rows, pq_t.num_rows)), first_row)
        return
    other = apart.find(csv_t, first_row)
    for name in pq_t.column_names:
        pq_col = pq_t[name]
        mine = csv_t.column(name)
        if name == apart.key:
            continue
        if pa.types.is_list(pq_col.type):
            spelt = spell_json_lists(pq_col)
            if spelt is not None and spelt.equals(mine):
                continue  # the CSV spells the lists as the build does: told without parsing them
            mine = parse_json_lists(mine, pq_col.type)
        if mine.equals(pq_col):
            continue
        differ = differs(mine, pq_col) & ~other
        if name in csv_bad:
            differ &= ~csv_bad[name]
        rows = apart.listed(name, np.flatnonzero(differ))
        if not len(rows):
            continue
        a, b = mine.take(pa.array(rows)).to_pylist(), pq_col.take(pa.array(rows)).to_pylist()
        for r, x, y in zip(rows.tolist(), a, b, strict=True):
            ct.report(first_row + r, DISAGREE, name, says(x, pq_shown, y), REBUILD)
