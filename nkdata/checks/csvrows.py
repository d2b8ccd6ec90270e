"""A release CSV's rows held against its Parquet's (P803): the rows whose key differs from the
Parquet's at the same place, and how many differences are listed one by one.

A CSV sorted otherwise than its Parquet, or another table's CSV under its name, differs in nearly
every row: listed one by one, a million-row table was a million problems and gigabytes of memory.
So at most :data:`LISTED` differences of a column are listed (the first, by row), and the rest are
counted in one problem.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nkdata.checks.csvcells import differs
from nkdata.checks.csvlines import first_malformed_row
from nkdata.checks.package_files import REBUILD
from nkdata.checks.tablerows import TableRows, primary_key, quoted_cell
from nkdata.problems import Problem

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pyarrow as pa

LISTED = 100  # differences of one column of a table listed one by one; the rest counted
#: The code of a table whose CSV is not its Parquet, or cannot be read (used by nkdata.checks.package_tables too).
DISAGREE = "P803"


class RowsApart:
    """The CSV's rows whose key is not the Parquet's at the same place, gathered over one reading of the
    CSV: each holds another record, or a row was added or removed before it and every later one is shifted.
    Also counts, per column, the differences listed so far (:meth:`listed`)."""

    def __init__(self, ct: TableRows, csv_shown: str, pq_shown: str, path: Path):
        self.ct, self.csv_shown, self.pq_shown, self.path = ct, csv_shown, pq_shown, path
        self.key = primary_key(ct.table)
        self.rows: list[np.ndarray] = []
        self.keys: list[pa.ChunkedArray] = []  # the CSV's, at those rows
        self._listed: Counter[str] = Counter()
        self._unlisted: Counter[str] = Counter()

    def find(self, csv_t: pa.Table, first_row: int) -> np.ndarray:
        """Note the rows of ``csv_t`` (from ``first_row``) apart from the Parquet's; which they are."""
        import numpy as np
        import pyarrow as pa

        mine = csv_t.column(self.key)
        apart = differs(mine, self.ct.data[self.key].slice(first_row, csv_t.num_rows))
        rows = np.flatnonzero(apart)
        if len(rows):
            self.rows.append(rows + first_row)
            self.keys.append(mine.take(pa.array(rows)))
        return apart

    def listed(self, column: str, rows: np.ndarray) -> np.ndarray:
        """Those of ``rows`` (differing in ``column``, in order) still to be listed; the others are counted."""
        room = max(LISTED - self._listed[column], 0)
        self._listed[column] += min(room, len(rows))
        self._unlisted[column] += max(len(rows) - room, 0)
        return rows[:room]

    def report(self, csv_rows: int) -> None:
        """P803 for each row apart when the CSV has the Parquet's number of rows; else once, where they
        part. Then a problem for each column with differences past those listed."""
        ct, n = self.ct, self.ct.data.num_rows
        if csv_rows == n:
            for rows, keys in zip(self.rows, self.keys, strict=True):
                shown = self.listed(self.key, rows)
                for row, mine in zip(shown.tolist(), keys.slice(0, len(shown)).to_pylist(), strict=True):
                    ct.report(row, DISAGREE, self.key, says(mine, self.pq_shown, ct.ids[row]), REBUILD)
        else:
            self._report_parting(csv_rows)
        for column, more in self._unlisted.items():
            if not more:
                continue
            what = "rows hold another record than" if column == self.key else f"cells of {column} differ from"
            message = f"{more:,} more {what} {self.pq_shown} (the first {LISTED} are listed)"
            ct.emit(Problem(self.csv_shown, None, None, DISAGREE, None, column, message, REBUILD))

    def _report_parting(self, csv_rows: int) -> None:
        ct, n = self.ct, self.ct.data.num_rows
        said = f"{csv_rows:,} rows, but {self.pq_shown} has {n:,}"
        if not self.rows:  # rows past the Parquet's, or too few: an empty or malformed line may say where
            where = first_malformed_row(self.path, ct.data.num_columns)
            line, what = where if where is not None else (None, "")
            ct.emit(Problem(self.csv_shown, line, None, DISAGREE, None, None, f"{said}: {what}" if what else said, REBUILD))
            return
        row = int(self.rows[0][0])
        parted = says(self.keys[0][0].as_py(), self.pq_shown, ct.ids[row])
        ct.report(row, DISAGREE, self.key, f"{said}: a row was added or removed here ({parted})", REBUILD)


def says(mine: Any, pq_shown: str, theirs: Any) -> str:
    """A cell of the CSV that is not the Parquet's."""
    if mine is None:
        return f"the CSV's cell is empty but {pq_shown} says {quoted_cell(theirs)}"
    if theirs is None:
        return f"the CSV says {quoted_cell(mine)} but {pq_shown} has no value there"
    return f"the CSV says {quoted_cell(mine)} but {pq_shown} says {quoted_cell(theirs)}"


__all__ = ["DISAGREE", "LISTED", "RowsApart", "says"]
