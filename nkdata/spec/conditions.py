"""The condition language of :mod:`nkdata.spec.rules`: tiny, and run two ways.

A condition is a tree of field references and operators. ``Cond.py`` evaluates it
on one record's values (Python, for pydantic); ``Cond.arrow`` on columns (Arrow
compute, for the package checker). Every operator treats null as Python does
(``None != 3`` is true, ``None > 3`` is simply false), so both executions agree.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pyarrow as pa

Values = Mapping[str, Any]
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February of a common year
Columns = Mapping[str, "pa.Array"]

# ---------------------------------------------------------------- nulls in boolean arrays


def false_for_null(mask: Any) -> Any:
    """A boolean (chunked) array with its nulls made False: ``mask.fill_null(False)``, in a bitmap kernel
    (Arrow fills a boolean's nulls through a per-bit coalesce, 5-30 ms a million rows each)."""
    import pyarrow.compute as pc

    return pc.and_kleene(mask, pc.is_valid(mask))


def true_for_null(mask: Any) -> Any:
    """A boolean (chunked) array with its nulls made True: ``mask.fill_null(True)``, as :func:`false_for_null`."""
    import pyarrow.compute as pc

    return pc.or_kleene(mask, pc.is_null(mask))


def from_numpy(values: np.ndarray, type_: pa.DataType | None = None, null: np.ndarray | None = None) -> pa.Array:
    """A 1-D numpy array of numbers or booleans as an Arrow array (numbers without a copy), null where ``null``
    (as many flags as values). Other dtypes (dates, text, objects) go through ``pa.array``.

    ``pa.array`` would do, but it first imports ``numpy.ma`` to rule out a masked array: 16-20 ms
    (and 20 MB) that a command working on columns otherwise never pays.
    """
    import numpy as np
    import pyarrow as pa

    n = len(values)
    if null is not None and len(null) != n:
        raise ValueError(f"{len(null)} null flags for {n} values")
    if not values.dtype.isnative:  # Arrow's numbers are in the machine's byte order
        values = values.astype(values.dtype.newbyteorder("="))
    if values.dtype.kind not in "biuf":  # dates, text, objects: as pa.array makes them
        return pa.array(values, type_, mask=None if null is None else np.asarray(null, dtype=bool))
    validity = None if null is None else pa.py_buffer(np.packbits(~np.asarray(null, dtype=bool), bitorder="little"))
    nulls = -1 if null is None else int(np.count_nonzero(null))
    if values.dtype == np.bool_:
        out = pa.Array.from_buffers(pa.bool_(), n, [validity, pa.py_buffer(np.packbits(values, bitorder="little"))], nulls)
    else:
        data = np.ascontiguousarray(values)
        out = pa.Array.from_buffers(pa.from_numpy_dtype(data.dtype), n, [validity, pa.py_buffer(data)], nulls)
    return out if type_ is None or out.type == type_ else out.cast(type_)


def list_items(lists: Any) -> tuple[Any, Any, Any]:
    """The items of a list (chunked) array, the row each is in and its index in that row's list.

    The items are ``pc.list_flatten``'s; the rows are counted from each list's length, not taken
    from ``pc.list_parent_indices``, which also counts items a null list may hold in memory (Arrow
    allows it) that ``list_flatten`` skips: the two would no longer line up.
    """
    import numpy as np
    import pyarrow.compute as pc

    lengths = pc.list_value_length(lists).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64)
    rows = np.repeat(np.arange(len(lengths)), lengths)
    starts = np.cumsum(lengths) - lengths
    return pc.list_flatten(lists), rows, np.arange(len(rows)) - starts[rows]


# ---------------------------------------------------------------- expressions


class ArrowColumns(dict):  # type: ignore[type-arg]
    """Columns by name, remembering each sub-expression once computed (rules share many)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.memo: dict[Expr, Any] = {}


def _arrow(e: Expr, cols: Columns) -> pa.Array:
    memo = getattr(cols, "memo", None)
    if memo is None:
        return e.arrow(cols)
    if e not in memo:
        memo[e] = e.arrow(cols)
    return memo[e]


class Expr:
    """A value computed from one record (``py``) or from whole columns (``arrow``)."""

    def py(self, rec: Values) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def arrow(self, cols: Columns) -> pa.Array:  # pragma: no cover - abstract
        raise NotImplementedError

    def fields(self) -> set[str]:
        return set()

    def src(self, names: Mapping[str, str]) -> str:  # pragma: no cover - abstract
        """Python source computing the value, with fields read from the local names in ``names``."""
        raise NotImplementedError


@dataclass(frozen=True)
class F(Expr):
    """A field of the record."""

    name: str

    def py(self, rec: Values) -> Any:
        return rec[self.name]

    def arrow(self, cols: Columns) -> pa.Array:
        return cols[self.name]

    def fields(self) -> set[str]:
        return {self.name}

    def src(self, names: Mapping[str, str]) -> str:
        return names[self.name]


@dataclass(frozen=True)
class _Date(Expr):
    """A part of a date: ``day``, ``month``, ``year`` or ``month_end`` (days in its month)."""

    part: str
    of: Expr

    def py(self, rec: Values) -> Any:
        d = self.of.py(rec)
        if d is None:
            return None
        if self.part == "month_end":
            return calendar.monthrange(d.year, d.month)[1]
        return getattr(d, self.part)

    def arrow(self, cols: Columns) -> pa.Array:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        if self.part != "month_end":
            return pc.cast(getattr(pc, self.part)(_arrow(self.of, cols)), pa.int64())
        # the days of the month: from the year and month (Arrow's are fast; numpy's datetime64 casts are not)
        y, m = (np.asarray(pc.fill_null(_arrow(e, cols), 1).to_numpy(zero_copy_only=False), dtype=np.int64) for e in (year(self.of), month(self.of)))
        leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
        last = np.array(_MONTH_DAYS, dtype=np.int64)[m - 1] + ((m == 2) & leap)
        return from_numpy(last, null=pc.is_null(_arrow(self.of, cols)).to_numpy(zero_copy_only=False))

    def fields(self) -> set[str]:
        return self.of.fields()

    def src(self, names: Mapping[str, str]) -> str:
        x = self.of.src(names)
        value = f"_month_end({x})" if self.part == "month_end" else f"{x}.{self.part}"
        return f"(None if {x} is None else {value})"


def day(e: Expr) -> Expr:
    return _Date("day", e)


def month(e: Expr) -> Expr:
    return _Date("month", e)


def year(e: Expr) -> Expr:
    return _Date("year", e)


def month_end(e: Expr) -> Expr:
    return _Date("month_end", e)


# ---------------------------------------------------------------- conditions (never null)


def _const(cols: Columns, value: Any) -> Any:
    import pyarrow as pa

    return pa.scalar(value)


@dataclass(frozen=True)
class Cond(Expr):
    """A true/false test; ``arrow`` returns a boolean array (chunked, for chunked columns) without nulls."""

    op: str
    args: tuple[Any, ...] = ()

    def fields(self) -> set[str]:
        out: set[str] = set()
        for a in self.args:
            if isinstance(a, Expr):
                out |= a.fields()
        return out

    def src(self, names: Mapping[str, str]) -> str:
        """The same test as :meth:`py`, as Python source (see :func:`first_broken`)."""
        op, a = self.op, self.args
        if op in ("and", "or"):
            return "(" + f" {op} ".join(c.src(names) for c in a) + ")"
        if op == "not":
            return f"(not {a[0].src(names)})"
        x = a[0].src(names)
        if op == "null":
            return f"({x} is None)"
        if op == "empty":
            return f"(not {x})"
        if op == "in":
            return f"({x} is not None and {x} in {tuple(a[1])!r})"
        y = a[1].src(names) if isinstance(a[1], Expr) else repr(a[1])
        if op == "ne":
            return f"({x} != {y})"
        if op in ("eq", "gt", "lt"):
            sym = {"eq": "==", "gt": ">", "lt": "<"}[op]
            y_set = f" and {y} is not None" if isinstance(a[1], Expr) else ""  # a constant is never None here
            return f"({x} is not None{y_set} and {x} {sym} {y})"
        if op == "not_member":
            return f"({x} is not None and {x} not in ({y} or ()))"
        raise ValueError(op)  # pragma: no cover

    # Python: one record
    def py(self, rec: Values) -> bool:
        op, a = self.op, self.args
        if op == "and":
            return all(c.py(rec) for c in a)
        if op == "or":
            return any(c.py(rec) for c in a)
        if op == "not":
            return not a[0].py(rec)
        x = a[0].py(rec)
        if op == "null":
            return x is None
        if op == "empty":
            return not x
        if op == "in":
            return x is not None and x in a[1]
        y = a[1].py(rec) if isinstance(a[1], Expr) else a[1]
        if op == "ne":
            return bool(x != y)
        if op == "eq":
            return x is not None and y is not None and x == y
        if op == "gt":
            return x is not None and y is not None and x > y
        if op == "lt":
            return x is not None and y is not None and x < y
        if op == "not_member":
            return x is not None and x not in (y or [])
        raise ValueError(op)  # pragma: no cover

    # Arrow: whole columns
    def arrow(self, cols: Columns) -> pa.Array:
        import pyarrow as pa
        import pyarrow.compute as pc

        op, a = self.op, self.args
        if op in ("and", "or"):
            out = _arrow(a[0], cols)
            for c in a[1:]:
                out = (pc.and_ if op == "and" else pc.or_)(out, _arrow(c, cols))
            return out
        if op == "not":
            return pc.invert(_arrow(a[0], cols))
        x = _arrow(a[0], cols)
        if op == "null":
            return pc.is_null(x)
        if op == "empty":
            return true_for_null(pc.or_(pc.is_null(x), pc.equal(pc.list_value_length(x), 0)))
        if op == "in":
            return false_for_null(pc.is_in(x, value_set=pa.array(list(a[1]), x.type)))
        y = _arrow(a[1], cols) if isinstance(a[1], Expr) else _const(cols, a[1])
        if op == "ne":  # Python's != : null differs from any value, equals null
            both = pc.and_(pc.is_valid(x), pc.is_valid(y) if isinstance(y, (pa.Array, pa.ChunkedArray)) else pa.scalar(y.is_valid))
            differ = false_for_null(pc.not_equal(x, y))
            one_null = pc.xor(pc.is_null(x), pc.is_null(y) if isinstance(y, (pa.Array, pa.ChunkedArray)) else pa.scalar(not y.is_valid))
            return pc.or_(pc.and_(both, differ), one_null)
        if op in ("eq", "gt", "lt"):
            fn = {"eq": pc.equal, "gt": pc.greater, "lt": pc.less}[op]
            return false_for_null(fn(x, y))
        if op == "not_member":
            return _not_member(x, y)
        raise ValueError(op)  # pragma: no cover


def _not_member(item: pa.Array, lists: pa.Array) -> pa.Array:
    """``item is not None and item not in (lists or [])``, row by row, vectorised."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(item)
    flat, parent, _ = list_items(lists)
    hit = false_for_null(pc.equal(flat, pc.take(item, from_numpy(parent, pa.int64())))).to_numpy(zero_copy_only=False)
    member = np.zeros(n, dtype=bool)
    member[parent[hit]] = True
    return from_numpy(pc.is_valid(item).to_numpy(zero_copy_only=False) & ~member)


def and_(*c: Cond) -> Cond:
    return Cond("and", c)


def or_(*c: Cond) -> Cond:
    return Cond("or", c)


def not_(c: Cond) -> Cond:
    return Cond("not", (c,))


def is_null(e: Expr) -> Cond:
    return Cond("null", (e,))


def not_null(e: Expr) -> Cond:
    return not_(is_null(e))


def empty(e: Expr) -> Cond:
    """An empty or null list."""
    return Cond("empty", (e,))


def is_in(e: Expr, terms: tuple[Any, ...]) -> Cond:
    return Cond("in", (e, tuple(terms)))


def eq(a: Expr, b: Any) -> Cond:
    """Both set and equal."""
    return Cond("eq", (a, b))


def ne(a: Expr, b: Any) -> Cond:
    """Python's ``!=``: a null differs from any value."""
    return Cond("ne", (a, b))


def gt(a: Expr, b: Any) -> Cond:
    """Both set and a > b."""
    return Cond("gt", (a, b))


def lt(a: Expr, b: Any) -> Cond:
    """Both set and a < b."""
    return Cond("lt", (a, b))


def not_member(item: Expr, items: Expr) -> Cond:
    """``item`` is set and not in the list ``items``."""
    return Cond("not_member", (item, items))
