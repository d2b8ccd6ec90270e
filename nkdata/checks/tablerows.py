"""One table's rows as the checks see them, on either path.

The checks that span records (ids, references, formula cells, evidence) run on
Arrow columns, the same typed form the build writes. A :class:`TableRows` holds
a table's rows, which rows passed their own field checks, and where each row
was written, so that a check reports a problem once and each path locates it:
a curated record at its YAML ``file:line:col``, a package row at ``TABLE.csv:LINE``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nkdata.problems import Problem
from nkdata.spec.claims import ID_FIELD as CLAIM_ID
from nkdata.spec.claims import TABLE as CLAIMS
from nkdata.spec.models import MODELS

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pyarrow as pa

#: Where a problem is written: (path, line, col).
Place = tuple[str, int | None, int | None]


def primary_key(table: str) -> str:
    """The id column of a table of a release (a record table, or the derived claims table)."""
    return CLAIM_ID if table == CLAIMS else MODELS[table].id_field


def shorten(s: str, n: int = 80) -> str:
    """``s``, cut to ``n`` characters with an ellipsis (for messages)."""
    return s if len(s) <= n else s[: n - 1] + "…"


def quoted_cell(value: Any, n: int = 60) -> str:
    """A cell as a message quotes it, cut to ``n`` characters: a date as the CSV writes it
    (2024-11-01, not ``datetime.date(2024, 11, 1)``), anything else as its repr."""
    return shorten(value.isoformat() if isinstance(value, dt.date) else repr(value), n)


class TableRows:
    """A table's rows (Arrow), which passed their field checks (``ok``), and how to report on a row."""

    def __init__(self, table: str, data: pa.Table, ok: np.ndarray, emit: Callable[[Problem], None]):
        self.table = table
        self.data = data
        self.ok = ok
        self.emit = emit
        self._ids: list[Any] | None = None

    @property
    def ids(self) -> list[Any]:
        """Each row's record id (as written, even when invalid); read only when a problem needs it."""
        if self._ids is None:
            self._ids = self.data[primary_key(self.table)].to_pylist()
        return self._ids

    def place(self, row: int, field: str | None, sub: tuple[Any, ...] = ()) -> Place:
        """Where ``field`` (and the list item ``sub``) of ``row`` is written."""
        raise NotImplementedError

    def where(self, row: int) -> str:
        """``path:line`` of a row's record, for messages that point at another record."""
        path, line, _ = self.place(row, primary_key(self.table))
        return f"{path}:{line}"

    def report(self, row: int, code: str, field: str | None, message: str, hint: str = "", sub: tuple[Any, ...] = ()) -> None:
        """One problem with ``row``."""
        path, line, col = self.place(row, field, sub)
        rid = self.ids[row] if row < len(self.ids) else None
        self.emit(Problem(path, line, col, code, None if rid is None else str(rid), field, message, hint))
