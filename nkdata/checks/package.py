"""Validating a built data package (datapackage.json, release folder or zip) at scale.

A package can hold millions of rows, so its tables are read as Arrow and the
checks run on columns. They are the checks the curated path runs, written once:

* the files and the descriptor (P800–P802): :mod:`nkdata.checks.package_files`;
* reading each table, its CSV compared with its Parquet (P803):
  :mod:`nkdata.checks.package_tables`;
* field constraints and cross-field rules: :mod:`nkdata.checks.columns`;
* ids and references, formula cells, texts, evidence: :mod:`nkdata.checks.ids`,
  :mod:`nkdata.checks.formulas`, :mod:`nkdata.checks.texts`, :mod:`nkdata.checks.evidence`;
* derived data, each figure's originator and the claims table (P804):
  :mod:`nkdata.checks.derived`.

Problems carry the same codes as the curated path and are located at
``TABLE.csv:LINE`` (the line the record starts on) with the record's id.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from nkdata.checks import columns, derived, evidence, formulas, ids, texts
from nkdata.checks.csvcells import either
from nkdata.checks.package_files import DESCRIPTOR, REBUILD, PackageFiles, Target, is_package, open_target
from nkdata.checks.package_tables import Checked, TableReader, drop_impossible_cells, parse_lists
from nkdata.checks.spans import SourceTexts
from nkdata.checks.tablerows import TableRows, primary_key
from nkdata.errors import UsageError
from nkdata.problems import Problem
from nkdata.release import claims
from nkdata.release.reader import PARQUET_PROPERTY
from nkdata.spec import claims as claims_spec
from nkdata.spec.columns import arrow_schema
from nkdata.spec.models import MODELS, RECORD_TABLES

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pyarrow as pa

#: The stored claims table as read (None: unreadable) and its problems, held back.
StoredClaims = tuple["tuple[Checked, dict[str, np.ndarray]] | None", list[Problem]]

#: The tables the claims derive from: a cell of theirs that holds no value where it must (null in
#: the rows; reported) is not reported again as every claim it changes.
CLAIM_INPUTS = frozenset({"figures", "entities", "sources"})

Progress = Callable[[str, int, int], None]
"""``progress(label, done, total)``: called as work advances (the CLI draws a bar)."""


class PackageCheck(PackageFiles):
    """Every check of one package, in order; :meth:`run` returns the problems."""

    def __init__(self, target: Target, progress: Progress | None = None):
        super().__init__(target)
        self.progress = progress
        self.reader = TableReader(self)
        self.tables: dict[str, Checked] = {}
        self.bad_files: set[str] = set()
        self.incomplete: set[str] = set()  # tables with a cell that holds no value where it must (reported; null in the rows)
        self._steps = 0
        self._total = 4 + len(MODELS) + len(RECORD_TABLES)  # the calls of _step in run()
        self.timings: dict[str, float] = {}  # seconds per step, for profiling
        self._clock = time.perf_counter()

    def _step(self, label: str) -> None:
        now = time.perf_counter()
        self.timings[label] = self.timings.get(label, 0.0) + now - self._clock
        self._clock = now
        self._steps += 1
        if self.progress is not None:
            self.progress(label, min(self._steps, self._total), self._total)

    def run(self) -> list[Problem]:
        if not self.read_descriptor():
            return self.problems
        self._step("checking descriptor")
        self._run_checks()
        self.problems.sort(key=Problem.sort_key)
        return self.problems

    def _run_checks(self) -> None:
        # Helpers overlap the work (Arrow and hashlib release the GIL): they hash the files, check
        # evidence, derive the figures' claims and read the stored ones while this thread checks
        # the record tables.
        with ThreadPoolExecutor(max_workers=4) as pool:
            text_files = pool.submit(self.read_texts)
            hashes = pool.submit(self.check_files, self.listed_files)
            source_texts: list[Future[SourceTexts]] = []  # checked by a helper once read, while this thread goes on
            found: dict[str, Future[list[evidence.Found]]] = {}
            claims_check = _ClaimsCheck(self, pool)

            def start_evidence(ct: Checked) -> None:
                if ct.table in RECORD_TABLES and source_texts:  # the rows as read: this thread may let go of columns meanwhile
                    found[ct.table] = pool.submit(_check_evidence, TableRows(ct.table, ct.data, ct.ok, ct.emit), source_texts[0])

            for table in MODELS:
                if table in self.resources:
                    self._check_table(table, start_evidence, claims_check.read)
                if table == "sources" and "sources" in self.tables:
                    source_texts.append(pool.submit(_check_texts, self.tables["sources"], text_files))
                if table == "figures" and table in self.tables:
                    self._let_go(table)  # the helpers hold the rows they read
                    claims_check.derive()
                self._step(f"checked {table}")
            self.bad_files = hashes.result()
            self._step("checked file hashes")
            for ct in self.tables.values():
                ids.check_duplicates(ct)
            ids.check_references(self.tables)
            self._step("checked ids and references")
            for table in RECORD_TABLES:
                if table in found:
                    ct = self.tables[table]
                    for row, code, field, message, hint in found[table].result():
                        if ct.ok[row]:  # as in the curated path, only records that passed the model
                            ct.report(row, code, field, message, hint)
                self._step(f"checked {table} evidence")
            source_texts.clear()
            for table in self.tables:
                self._let_go(table)
            claims_check.finish()
            self._step("checked claims")

    def _check_table(self, table: str, on_rows: Callable[[Checked], None] | None = None, on_read: Callable[[Checked], None] | None = None) -> None:
        """Read a table (Parquet, and its CSV compared with it) and run its own checks.

        ``on_rows(checked)`` is called as soon as the rows are read, before the CSV is compared;
        ``on_read(checked)`` once it is, before the rows are checked.
        """
        read = self._read(table, on_rows)
        if read is None:
            return
        ct, csv_bad = read
        self.tables[table] = ct
        if any(bad.any() for bad in csv_bad.values()) or any(ct.data[f.name].null_count for f in arrow_schema(table) if not f.nullable):
            self.incomplete.add(table)  # a cell that does not convert, or a required value missing
        if on_read is not None:
            on_read(ct)
        columns.check_fields(ct, csv_bad)
        columns.check_rules(ct)
        formulas.check_formulas(ct)

    def _read(self, table: str, on_rows: Callable[[Checked], None] | None = None) -> tuple[Checked, dict[str, np.ndarray]] | None:
        """A table's rows: the Parquet's, its CSV compared with them; else the CSV's alone. None when unreadable."""
        import numpy as np

        res = self.resources[table]
        schema = arrow_schema(table)
        csv_rel, pq_rel = res["path"], res[PARQUET_PROPERTY]["path"]
        csv_shown, pq_shown = self.target.show(csv_rel), self.target.show(pq_rel)
        pq_t = self.reader.read_parquet(table, pq_rel, pq_shown, schema)
        if pq_t is not None:  # check the rows of the Parquet; the CSV must say the same, batch by batch
            csv_path = self.inside(csv_rel)
            csv_exists = csv_path is not None and csv_path.is_file()
            ct = Checked(table, pq_t, np.ones(pq_t.num_rows, dtype=bool), csv_shown if csv_exists else pq_shown, self)
            pq_bad = drop_impossible_cells(ct)
            if on_rows is not None:
                on_rows(ct)
            csv_bad = self.reader.stream_compare(ct, csv_rel, schema, pq_shown, pq_bad) if csv_exists else {}
            return ct, either(csv_bad, pq_bad)
        csv_t, csv_bad = self.reader.read_csv(table, csv_rel, csv_shown, schema, None)
        if csv_t is None:
            return None
        ct = Checked(table, csv_t, np.ones(csv_t.num_rows, dtype=bool), csv_shown, self)
        ct.data = parse_lists(ct, schema, csv_bad)
        if on_rows is not None:
            on_rows(ct)
        return ct, csv_bad

    def _let_go(self, table: str) -> None:
        """Release the columns of a table no check still to run reads (the claims need a million figures' worth of memory)."""
        ct = self.tables[table]
        keep = {primary_key(table), *(name for name, _, _ in ids.reference_fields(table))}
        if table == "figures":
            keep |= {*claims.FIGURE_COLUMNS, "originator"}
        elif table in ("entities", "sources"):
            keep = set(ct.data.column_names)  # the claims read names and publication days
        ct.keep_only(keep)

    def read_claims(self) -> StoredClaims:
        """The stored claims table, its CSV compared with its Parquet; the problems held back until the figures are read."""
        with self.buffered() as found:
            read = self._read(claims_spec.TABLE)
        return read, found

    def check_derived(self, stored: Future[StoredClaims] | None, agreed: Future[bool | None] | None) -> None:
        """P804: each figure's originator, and the claims table, must be what the figures make."""
        figures = self.tables.get("figures")
        if figures is not None:
            self._report_derived(figures, derived.originator_differences(figures.data))
        if stored is None or figures is None:
            return  # the claims table is checked against the figures, or not at all
        read, found = stored.result()
        self.sink.extend(found)
        if read is None or any(bad.any() for bad in read[1].values()) or self.incomplete & CLAIM_INPUTS:
            return  # unreadable, or cells that do not convert, here or in what the claims derive from (reported)
        ct = read[0]
        told = agreed.result() if agreed is not None else None
        self._report_derived(ct, derived.claims_differences(ct.data, {name: t.data for name, t in self.tables.items()}, told))

    def _report_derived(self, ct: Checked, differences: list[derived.Difference]) -> None:
        for d in differences:
            if d.row is None:  # a row that is missing: the file, not a line
                self.add(ct.csv_shown, None, derived.CODE, d.record_id, d.field, d.message, derived.HINT)
            else:
                ct.report(d.row, derived.CODE, d.field, d.message, derived.HINT)


def _check_texts(sources: Checked, files: Future[dict[str, tuple[bytes, str]]]) -> SourceTexts:
    return texts.check_package(sources, files.result())


class _ClaimsCheck:
    """The claims table, checked by helpers while this thread checks the record tables: the stored
    table is read (its CSV compared with its Parquet) as soon as the figures are read; the figures'
    own claims are derived once they are checked (and have let go of the columns the claims do not
    read: less memory held at once), then the two are compared."""

    def __init__(self, check: PackageCheck, pool: ThreadPoolExecutor):
        self.check, self.pool = check, pool
        self.wanted = claims_spec.TABLE in check.resources
        self.stored: Future[StoredClaims] | None = None
        self.agreed: Future[bool | None] | None = None

    def read(self, ct: Checked) -> None:
        if ct.table == "figures" and self.wanted:
            self.stored = self.pool.submit(self.check.read_claims)

    def derive(self) -> None:
        if self.stored is not None and not self.check.incomplete & CLAIM_INPUTS:  # else not compared
            tables = self.check.tables
            entities, sources = (tables[t].data if t in tables else None for t in ("entities", "sources"))
            derived_claims = self.pool.submit(claims.derive_unordered, tables["figures"].data, entities, sources)
            self.agreed = self.pool.submit(_claims_agree, self.stored, derived_claims)

    def finish(self) -> None:
        self.check.check_derived(self.stored, self.agreed)


def _claims_agree(stored: Future[StoredClaims], derived_claims: Future[pa.Table]) -> bool | None:
    """Whether the stored claims are the ones the figures make (None: not readable, nothing to compare)."""
    read, _ = stored.result()
    if read is None or any(bad.any() for bad in read[1].values()):
        derived_claims.cancel()  # nothing to compare them with (if the derivation has started, it ends unread)
        return None
    return claims.same_claims(read[0].data, derived_claims.result())


def _check_evidence(rows: TableRows, source_texts: Future[SourceTexts]) -> list[evidence.Found]:
    found = source_texts.result()
    return evidence.check_rows(rows, found, REBUILD) if len(found) else []


# ---------------------------------------------------------------- entry points


def validate_package(path: Path | str, progress: Progress | None = None) -> list[Problem]:
    """Every problem in the built package at ``path`` (a datapackage.json, release folder or zip)."""
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path} does not exist: give a release folder, its {DESCRIPTOR} or its zip")
    with open_target(path) as target:
        if isinstance(target, Problem):
            return [target]
        return PackageCheck(target, progress).run()


def validate_any(path: Path | str | None = None, progress: Progress | None = None) -> list[Problem]:
    """Validate a curated project root, or a built package (descriptor, folder or zip)."""
    target = Path(path) if path is not None else Path(".")
    if path is not None and is_package(target):
        return validate_package(target, progress)
    from nkdata.checks.validation import validate

    return validate(path, progress=progress)


__all__ = ["PackageCheck", "Progress", "validate_any", "validate_package"]
