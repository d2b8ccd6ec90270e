"""Validating a built data package (datapackage.json, release folder or zip) at scale.

The curated path checks YAML record by record with the pydantic models. A
package can hold millions of rows, so here the same rules are compiled into
column operations and run with Arrow compute:

* field constraints (type, required, vocabulary, pattern, minimum, length,
  and the same for each item of a list column) come from the models and the
  Table Schemas generated from them; only the few failing cells are handed to
  the model's own field validator, so they are worded exactly as in the
  curated path (:func:`nkdata.curated.reader.describe_error`);
* cross-field rules (qualifier and bounds, date intervals) come from
  :mod:`nkdata.spec.rules`, the same table the pydantic validators run;
* ids, references, texts and evidence follow :mod:`nkdata.checks.records`.

Problems carry the same codes as the curated path and are located at
``TABLE.csv:LINE`` (the line the record starts on) with the record's id.
The CSV and its Parquet twin are both read and must agree (P803).
"""

from __future__ import annotations

import csv
import difflib
import functools
import hashlib
import json
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nkdata.checks.records import FORMULA_START
from nkdata.checks.textmatch import IndexedText, normalise, numbers_in
from nkdata.curated.reader import describe_error
from nkdata.errors import UsageError
from nkdata.problems import Problem
from nkdata.release.archive import UnsafeZip
from nkdata.release.archive import extract as extract_zip
from nkdata.release.hashing import sha256_file
from nkdata.release.reader import PARQUET_PROPERTY, TEXTS_PROPERTY
from nkdata.spec import rules as rules_mod
from nkdata.spec.models import MODELS, RECORD_TABLES, Record
from nkdata.spec.schema import all_schemas, field_type

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pyarrow as pa

Progress = Callable[[str, int, int], None]
"""``progress(label, done, total)``: called as work advances (the CLI draws a bar)."""

DESCRIPTOR = "datapackage.json"
_CLOSE_MATCH_LIMIT = 5_000  # suggest a near id only among this many (difflib is quadratic)
_REBUILD = "files of a release are written by 'nkdata build'; rebuild it instead of editing them"

# ---------------------------------------------------------------- compiled column checks


@dataclass(frozen=True)
class Constraints:
    """What a value (or each item of a list) must satisfy, read off a model field."""

    terms: tuple[str, ...] | None = None
    pattern: str | None = None
    min_length: int | None = None
    minimum: float | None = None


@dataclass(frozen=True)
class Column:
    """One column's checks, compiled from its Table Schema field and model field."""

    name: str
    type: str  # Table Schema type
    required: bool
    value: Constraints
    item: Constraints | None  # for array columns
    in_model: bool  # False for computed columns (evidence offsets)


def _walk(annotation: Any, out: dict[str, Any]) -> Any:
    """Collect constraints from ``Annotated``/``Optional``/``Literal``; return the list item type, if any."""
    import types
    import typing

    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _walk(inner[0], out)
    if origin is typing.Annotated:
        base, *meta = typing.get_args(annotation)
        for m in meta:
            _take(m, out)
        return _walk(base, out)
    if origin is typing.Literal:
        out["terms"] = tuple(typing.get_args(annotation))
        return None
    if origin is list:
        return typing.get_args(annotation)[0]
    return None


def _take(meta: Any, out: dict[str, Any]) -> None:
    for name, key in (("pattern", "pattern"), ("min_length", "min_length"), ("ge", "minimum")):
        value = getattr(meta, name, None)
        if value is not None:
            out[key] = value
    for sub in getattr(meta, "metadata", None) or ():
        _take(sub, out)


def compile_columns(table: str) -> list[Column]:
    """The checks of every column of ``table``, from its model and Table Schema."""
    model = MODELS[table]
    out = []
    for f in all_schemas()[table]["fields"]:
        cons = f.get("constraints", {})
        info = model.model_fields.get(f["name"])
        if info is None:  # computed by the build
            out.append(Column(f["name"], f["type"], bool(cons.get("required")), Constraints(minimum=cons.get("minimum")), None, False))
            continue
        value: dict[str, Any] = {}
        item_type = _walk(info.annotation, value)
        for m in info.metadata:
            _take(m, value)
        item = None
        if field_type(info)[0] == "array":
            found: dict[str, Any] = {}
            _walk(item_type, found)
            item = Constraints(**found)
        out.append(Column(f["name"], f["type"], bool(cons.get("required")), Constraints(**value), item, True))
    return out


_ADAPTERS: dict[tuple[str, str], Any] = {}


def explain(model: type[Record], name: str, value: Any) -> list[dict[str, Any]]:
    """The model's own errors for one field value (pydantic error dicts, ``loc`` from the field)."""
    from typing import Annotated

    from pydantic import TypeAdapter, ValidationError

    key = (model.table, name)
    if key not in _ADAPTERS:
        info = model.model_fields[name]
        annotation = Annotated[tuple([info.annotation, *info.metadata])] if info.metadata else info.annotation  # type: ignore[valid-type]
        _ADAPTERS[key] = TypeAdapter(annotation)
    try:
        _ADAPTERS[key].validate_python(value)
    except ValidationError as exc:
        return [{**e, "loc": (name, *e["loc"])} for e in exc.errors()]
    return []


# ---------------------------------------------------------------- text helpers

_SCALE_WORDS = ("hundred", "thousand", "million")


@functools.lru_cache(maxsize=65536)
def _spellings(v: float) -> tuple[str, ...]:
    if not float(v).is_integer() or v < 0:
        return ()
    i = int(v)
    return (f"{i:,}", str(i)) if i >= 1000 else (str(i),)


def number_stands_alone(norm: str, v: float) -> bool:
    """A quick, sufficient test that ``v`` is among ``numbers_in`` of the text whose normalised form is ``norm``.

    True when ``v`` is written in digits ('4,000' or '4000') as a token of its
    own: not glued to a word, a decimal, a digit group or a scale word ('4
    thousand', '4k'). ``numbers_in`` reads such a token as exactly ``v``; every
    other case (words, scales, ranges, decimals) goes to ``numbers_in`` itself.
    """
    n = len(norm)
    for token in _spellings(v):
        at = norm.find(token)
        while at >= 0:
            end = at + len(token)
            ok = True
            if at:  # before: no word character or '.', and no digit group ("1 000", "1,000")
                b = norm[at - 1]
                if b in ", \u00a0":
                    ok = at < 2 or not norm[at - 2].isdigit()
                elif b.isalnum() or b in "_.":
                    ok = False
            if ok and end < n:  # after: no word character, decimal, digit group or scale word
                c = norm[end]
                d = norm[end + 1] if end + 1 < n else ""
                if c.isalnum() or c == "_":
                    ok = False
                elif c in ".,\u00a0 " and d.isdigit():
                    ok = False
                elif c in " -" and d in "hHtTmM" and norm[end + 1 : end + 9].lower().startswith(_SCALE_WORDS):
                    ok = False
            if ok:
                return True
            at = norm.find(token, at + 1)
    return False


# White space that normalising would change: anything but single inner spaces.
_ODD_SPACE = "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f]|  |^ | $"
EVIDENCE_SLICE = 1 << 17  # rows whose strings Python holds at once


@functools.lru_cache(maxsize=65536)
def _numbers_cached(evidence: str) -> frozenset[float]:
    return frozenset(numbers_in(evidence))


def _shorten(s: str, n: int = 80) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,}"


# ---------------------------------------------------------------- opening a package


@dataclass
class Target:
    """A package on disk: its folder and how to show its paths."""

    folder: Path
    shown: str  # prefix shown in problem locations

    def show(self, rel: str) -> str:
        return f"{self.shown}/{rel}" if self.shown else rel


def is_package(path: Path) -> bool:
    """Whether ``path`` names a built package rather than a curated project."""
    if path.is_file():
        return path.name == DESCRIPTOR or path.suffix == ".json" or path.suffix == ".zip"
    return path.is_dir() and (path / DESCRIPTOR).is_file() and not (path / "data").is_dir()


@contextmanager
def open_target(path: Path) -> Iterator[Target | Problem]:
    """Yield the package folder of a descriptor, folder or zip (a zip is unpacked into a temporary folder)."""
    shown = str(path)
    if path.suffix == ".zip" and path.is_file():
        tmp = Path(tempfile.mkdtemp(prefix="nkdata-check-"))
        try:
            try:
                names = extract_zip(path, tmp)
            except UnsafeZip as exc:
                hint = "a release zip holds one folder, nkdata-VERSION/, of regular files: download or build it again"
                yield Problem(shown, None, None, "P802", None, None, exc.reason, hint)
                return
            except OSError as exc:
                yield Problem(shown, None, None, "P802", None, None, f"not a readable zip file ({exc})", "download the release again")
                return
            descriptors = sorted((n for n in names if Path(n).name == DESCRIPTOR), key=lambda n: n.count("/"))
            if not descriptors:
                hint = "a release zip holds nkdata-VERSION/datapackage.json and its files"
                yield Problem(shown, None, None, "P800", None, None, f"the zip has no {DESCRIPTOR}", hint)
                return
            inner = str(Path(descriptors[0]).parent.as_posix()).strip(".")
            yield Target(tmp / inner, f"{shown}/{inner}" if inner else shown)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return
    folder = path.parent if path.is_file() else path
    yield Target(folder, str(path.parent) if path.is_file() else shown)


# ---------------------------------------------------------------- the checker


@dataclass
class Checked:
    """One table after its own checks: the rows, which rows passed, where rows start in the CSV."""

    table: str
    data: pa.Table
    ok: np.ndarray  # bool per row: passed the model (field and rule) checks
    csv_shown: str
    _lines: np.ndarray | None = None
    _ids: list[Any] | None = None

    @property
    def ids(self) -> list[Any]:
        """Each row's record id (as written, even when invalid); read only when a problem needs it."""
        if self._ids is None:
            self._ids = self.data[MODELS[self.table].id_field].to_pylist()
        return self._ids

    def lines(self) -> np.ndarray:
        """Line number of each row in the CSV (rows may hold line breaks inside quoted cells)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        if self._lines is None:
            n = self.data.num_rows
            breaks = np.zeros(n, dtype=np.int64)
            for col in self.data.columns:
                if pa.types.is_string(col.type):
                    breaks += pc.count_substring(col, "\n").fill_null(0).to_numpy().astype(np.int64)
            before = np.concatenate([[0], np.cumsum(breaks)[:-1]]) if n else breaks
            self._lines = 2 + np.arange(n, dtype=np.int64) + before
        return self._lines

    def line(self, row: int) -> int:
        return int(self.lines()[row])


class PackageCheck:
    """Every check of one package; :meth:`run` returns the problems."""

    def __init__(self, target: Target, progress: Progress | None = None):
        self.target = target
        self.progress = progress
        self.problems: list[Problem] = []
        self.descriptor: dict[str, Any] = {}
        self.tables: dict[str, Checked] = {}
        self.bad_files: set[str] = set()
        self._steps = 0
        self._total = 3 + len(MODELS) + len(RECORD_TABLES)  # the calls of _step in run()
        self.timings: dict[str, float] = {}  # seconds per step, for profiling
        self._local = threading.local()
        self._clock = time.perf_counter()

    # ------------------------------------------------------------ helpers
    def _step(self, label: str) -> None:
        now = time.perf_counter()
        self.timings[label] = self.timings.get(label, 0.0) + now - self._clock
        self._clock = now
        self._steps += 1
        if self.progress is not None:
            self.progress(label, min(self._steps, self._total), self._total)

    @property
    def _sink(self) -> list[Problem]:
        """Where this thread's problems go: a helper's own list, else the result."""
        return getattr(self._local, "sink", self.problems)

    @contextmanager
    def _buffered(self) -> Iterator[list[Problem]]:
        """Collect this thread's problems in a list of their own for a while (to keep or drop)."""
        had = hasattr(self._local, "sink")
        outer = getattr(self._local, "sink", None)
        self._local.sink = found = []
        try:
            yield found
        finally:
            if had:
                self._local.sink = outer
            else:
                del self._local.sink

    def add(self, path: str, line: int | None, code: str, record_id: Any, field_name: str | None, message: str, hint: str = "") -> None:
        self._sink.append(Problem(path, line, None, code, None if record_id is None else str(record_id), field_name, message, hint))

    def add_row(self, ct: Checked, row: int, code: str, field_name: str | None, message: str, hint: str = "") -> None:
        ids = ct.ids
        rid = ids[row] if row < len(ids) else None
        self.add(ct.csv_shown, ct.line(row), code, rid, field_name, message, hint)

    # ------------------------------------------------------------ run
    def run(self) -> list[Problem]:
        if not self._read_descriptor():
            return self.problems
        self._step("checking descriptor")
        # Two helpers overlap the work: one hashes files (hashlib releases the GIL), one checks
        # evidence in Python while this thread mostly waits on Arrow (which releases it too).
        switch = sys.getswitchinterval()
        sys.setswitchinterval(1e-4)  # let this thread have the GIL back soon when the evidence helper holds it
        try:
            self._run_checks()
        finally:
            sys.setswitchinterval(switch)
        self.problems.sort(key=lambda p: (p.path, p.line or 0, p.col or 0, p.code))
        return self.problems

    def _run_checks(self) -> None:
        with ThreadPoolExecutor(max_workers=3) as pool:
            text_files = pool.submit(self._read_texts)
            hashes = pool.submit(self._check_files, [e for r in self.resources.values() for e in (r, r[PARQUET_PROPERTY])])
            texts: dict[str, str] = {}
            evidence: dict[str, Future[list[tuple[Any, ...]]]] = {}

            def start_evidence(ct: Checked) -> None:
                if ct.table in RECORD_TABLES and texts:
                    evidence[ct.table] = pool.submit(self._check_evidence, ct, texts)

            for table in MODELS:
                if table in self.resources:
                    self._check_table(table, start_evidence)
                if table == "sources":
                    texts.update(self._check_texts(text_files.result()))
                self._step(f"checked {table}")
            self.bad_files = hashes.result()
            self._step("checked file hashes")
            self._check_ids()
            self._check_references()
            self._step("checked ids and references")
            for table in RECORD_TABLES:
                if table in evidence:
                    ct = self.tables[table]
                    for row, *problem in evidence[table].result():
                        if ct.ok[row]:  # as in the curated path, only records that passed the model
                            self.add_row(ct, row, *problem)
                self._step(f"checked {table} evidence")

    # ------------------------------------------------------------ descriptor
    def _read_descriptor(self) -> bool:
        shown = self.target.show(DESCRIPTOR)
        path = self.target.folder / DESCRIPTOR
        try:
            self.descriptor = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            self.add(shown, None, "P800", None, None, f"no {DESCRIPTOR} in {self.target.shown or '.'}", "validate a release folder, its datapackage.json or its zip")
            return False
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self.add(shown, None, "P802", None, None, f"not valid JSON ({exc})", _REBUILD)
            return False
        if not isinstance(self.descriptor, dict) or not isinstance(self.descriptor.get("resources"), list):
            self.add(shown, None, "P802", None, "resources", "a data package descriptor is an object with a 'resources' list", _REBUILD)
            return False
        schemas = all_schemas()
        self.resources: dict[str, dict[str, Any]] = {}
        for i, res in enumerate(self.descriptor["resources"]):
            name = res.get("name") if isinstance(res, dict) else None
            if name not in MODELS:
                self.add(shown, None, "P802", None, "resources", f"resource {i} ({name!r}) is not a table of nkdata", f"tables: {', '.join(MODELS)}")
                continue
            bad = [k for k in ("path", "hash", "bytes") if not isinstance(res.get(k), (str, int))] + [
                f"{PARQUET_PROPERTY}.{k}" for k in ("path", "hash", "bytes") if not isinstance((res.get(PARQUET_PROPERTY) or {}).get(k), (str, int))
            ]
            if bad:
                self.add(shown, None, "P802", None, name, f"resource {name!r} lacks {', '.join(bad)}", _REBUILD)
                continue
            if res.get("schema") != schemas[name]:
                self.add(shown, None, "P802", None, name, f"the Table Schema of {name!r} differs from the one this nkdata's models generate ({_schema_difference(res.get('schema'), schemas[name])})",
                         "build the package with the same nkdata version, or validate it with the version that built it")
            self.resources[name] = res
        for name in MODELS:
            if name not in self.resources and not any(isinstance(r, dict) and r.get("name") == name for r in self.descriptor["resources"]):
                self.add(shown, None, "P802", None, "resources", f"the package has no {name!r} resource", _REBUILD)
        texts = self.descriptor.get(TEXTS_PROPERTY, [])
        if not isinstance(texts, list) or not all(isinstance(e, dict) and isinstance(e.get("path"), str) for e in texts):
            self.add(shown, None, "P802", None, TEXTS_PROPERTY, f"'{TEXTS_PROPERTY}' must be a list of {{path, hash, bytes}}", _REBUILD)
            texts = []
        self.text_entries = {e["path"]: e for e in texts}
        return True

    def _inside(self, rel: str) -> Path | None:
        """The file at ``rel``, or None when the path would leave the package folder."""
        parts = Path(rel).parts
        if not parts or Path(rel).is_absolute() or ".." in parts or "\\" in rel:
            return None
        return self.target.folder / rel

    def _check_files(self, entries: list[dict[str, Any]]) -> set[str]:
        """P800/P801 for files the descriptor lists; returns the paths that failed."""
        return {e["path"] for e in entries if self._check_file(e) is None}

    def _check_file(self, e: dict[str, Any], keep: bool = False) -> bytes | str | None:
        """P800/P801 for one file: None when it fails, else its bytes (``keep``) or its sha256."""
        rel, shown = e["path"], self.target.show(e["path"])
        path = self._inside(rel)
        if path is None:
            self.add(self.target.show(DESCRIPTOR), None, "P802", None, "path", f"{rel!r} leaves the package folder", _REBUILD)
            return None
        if not path.is_file():
            self.add(shown, None, "P800", None, None, f"{rel} is listed in {DESCRIPTOR} but missing", "a release is complete or it is not: download or rebuild it")
            return None
        size = path.stat().st_size
        if isinstance(e.get("bytes"), int) and size != e["bytes"]:
            self.add(shown, None, "P801", None, None, f"{size:,} bytes, {DESCRIPTOR} says {e['bytes']:,}; the file was altered or truncated", _REBUILD)
            return None
        expected = str(e.get("hash", "")).removeprefix("sha256:")
        data = path.read_bytes() if keep else None
        actual = hashlib.sha256(data).hexdigest() if data is not None else sha256_file(path)
        if actual != expected:
            self.add(shown, None, "P801", None, None, f"sha256 {actual} does not match {DESCRIPTOR} ({expected}); the file was altered", _REBUILD)
        return data if keep else actual

    def _read_texts(self) -> dict[str, bytes]:
        """Every archived text the descriptor lists, read once: checked (P800/P801) and kept, by path."""
        out: dict[str, bytes] = {}
        for rel, e in self.text_entries.items():
            path = self._inside(rel)
            if path is not None and path.is_file():
                data = self._check_file(e, keep=True)
                out[rel] = data if isinstance(data, bytes) else path.read_bytes()
            else:
                self._check_file(e)
        return out

    # ------------------------------------------------------------ one table
    def _check_table(self, table: str, on_rows: Callable[[Checked], None] | None = None) -> None:
        """Read a table (Parquet, and its CSV compared with it) and run its own checks.

        ``on_rows(checked)`` is called as soon as the rows are read, before they are checked.
        """
        import numpy as np

        from nkdata.release.rows import arrow_schema

        res = self.resources[table]
        schema = arrow_schema(table)
        csv_rel, pq_rel = res["path"], res[PARQUET_PROPERTY]["path"]
        csv_shown, pq_shown = self.target.show(csv_rel), self.target.show(pq_rel)
        pq_t = self._read_parquet(table, pq_rel, pq_shown, schema)
        csv_bad: dict[str, np.ndarray] = {}
        if pq_t is not None:  # check the rows of the Parquet; the CSV must say the same, batch by batch
            csv_path = self._inside(csv_rel)
            csv_exists = csv_path is not None and csv_path.is_file()
            ct = Checked(table, pq_t, np.ones(pq_t.num_rows, dtype=bool), csv_shown if csv_exists else pq_shown)
            self.tables[table] = ct
            if on_rows is not None:
                on_rows(ct)
            if csv_exists:
                csv_bad = self._stream_compare(ct, csv_rel, schema, pq_shown)
        else:  # no usable Parquet: check the CSV itself
            csv_t, csv_bad = self._read_csv(table, csv_rel, csv_shown, schema, None)
            if csv_t is None:
                return
            ct = Checked(table, csv_t, np.ones(csv_t.num_rows, dtype=bool), csv_shown)
            self.tables[table] = ct
            ct.data = self._parse_lists(ct, schema, csv_bad)
            if on_rows is not None:
                on_rows(ct)
        self._check_fields(ct, csv_bad)
        self._check_rules(ct)
        self._check_formulas(ct)

    def _read_parquet(self, table: str, rel: str, shown: str, schema: pa.Schema) -> pa.Table | None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = self._inside(rel)
        if path is None or not path.is_file():
            return None
        try:
            t = pq.ParquetFile(path, memory_map=True, pre_buffer=True).read()  # not read_table: that loads pyarrow.dataset (and pandas)
        except (pa.ArrowException, OSError) as exc:
            self.add(shown, None, "P803", None, None, f"cannot read the Parquet file ({exc})", _REBUILD)
            return None
        missing = [f.name for f in schema if f.name not in t.column_names]
        extra = [n for n in t.column_names if n not in schema.names]
        wrong = [f"{f.name} is {t.schema.field(f.name).type}, not {f.type}" for f in schema if f.name in t.column_names and t.schema.field(f.name).type != f.type]
        if missing or extra or wrong:
            what = "; ".join(x for x in (missing and f"missing columns {', '.join(missing)}", extra and f"unknown columns {', '.join(extra)}", "; ".join(wrong)) if x)
            self.add(shown, None, "P803", None, None, f"the Parquet file's columns differ from the schema: {what}", _REBUILD)
            return None
        return t.select(schema.names).cast(schema)

    def _stream_compare(self, ct: Checked, rel: str, schema: pa.Schema, pq_shown: str) -> dict[str, np.ndarray]:
        """Read the CSV in batches with the schema's types and compare each with the Parquet's rows (P803).

        Returns the cells that do not convert (already reported), which are not compared.
        """
        import pyarrow as pa
        import pyarrow.csv as pacsv

        path = self._inside(rel)
        options = self._csv_options(ct.table, path, ct.csv_shown, schema) if path is not None else None
        if options is None:
            return {}
        read, convert, text_types = options
        pq_t = ct.data
        for newlines in (False, True):  # quoted line breaks keep the reader from splitting the file: try without first
            try:
                with self._buffered() as found:  # kept only if the pass completes
                    pos = 0
                    for batch in pacsv.open_csv(path, read, pacsv.ParseOptions(newlines_in_values=newlines), convert(text_types)):
                        if pos + batch.num_rows <= pq_t.num_rows:
                            self._compare(ct, batch, pq_t.slice(pos, batch.num_rows), {}, pq_shown, pos)
                        pos += batch.num_rows
                    if pos != pq_t.num_rows:
                        self.add(ct.csv_shown, None, "P803", None, None, f"{pos:,} rows, but {pq_shown} has {pq_t.num_rows:,}", _REBUILD)
                self._sink.extend(found)
                return {}
            except pa.ArrowInvalid:
                pass  # this pass is redone
            except (pa.ArrowException, OSError) as exc:
                self.add(ct.csv_shown, None, "P803", None, None, f"cannot read the CSV file ({exc})", _REBUILD)
                return {}
        csv_t, bad = self._read_csv(ct.table, rel, ct.csv_shown, schema, pq_t, checked_header=True)
        if csv_t is not None:
            self._compare(ct, csv_t, pq_t, bad, pq_shown)
        return bad

    def _csv_options(self, table: str, path: Path, shown: str, schema: pa.Schema) -> tuple[Any, Callable[[dict[str, Any]], Any], dict[str, Any]] | None:
        """Check the CSV's header against the schema (M200/M201/P803); the reader options, or None when unreadable."""
        import pyarrow as pa
        import pyarrow.csv as pacsv

        if not path.is_file():
            return None
        model = MODELS[table]
        try:
            with open(path, encoding="utf-8", newline="") as fh:
                header = next(csv.reader(fh), [])
        except (OSError, UnicodeDecodeError) as exc:
            self.add(shown, 1, "P803", None, None, f"cannot read the CSV file ({exc})", _REBUILD)
            return None, {}
        names = schema.names
        unknown = [h for h in header if h not in names]
        missing = [n for n in names if n not in header]
        for h in unknown:
            code, fname, message, hint = describe_error({"type": "extra_forbidden", "loc": (h,), "msg": ""}, model)
            self.add(shown, 1, code, None, fname, message, hint)
        for n in missing:
            if n in model.model_fields:
                code, fname, message, hint = describe_error({"type": "missing", "loc": (n,), "msg": ""}, model)
            else:
                code, fname, message, hint = "M201", n, f"required field {n!r} is missing", "the build computes it"
            self.add(shown, 1, code, None, fname, f"{message}: the CSV has no column {n!r}", hint)
        if unknown or missing:
            return None, {}
        if header != names:
            self.add(shown, 1, "P803", None, None, f"the CSV's columns are in another order than the schema's ({', '.join(header)})", _REBUILD)
        text_types = {f.name: (pa.string() if pa.types.is_list(f.type) else f.type) for f in schema}
        read = pacsv.ReadOptions(use_threads=True, block_size=1 << 22)

        def convert(types: dict[str, pa.DataType]) -> Any:
            return pacsv.ConvertOptions(
                column_types=types, null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True,
                true_values=["true"], false_values=["false"], include_columns=names,
            )

        return read, convert, text_types

    def _read_csv(self, table: str, rel: str, shown: str, schema: pa.Schema, pq_t: pa.Table | None, checked_header: bool = False) -> tuple[pa.Table | None, dict[str, np.ndarray]]:
        """The whole CSV with the schema's types (lists still JSON text), and the cells that failed to convert."""
        import pyarrow as pa
        import pyarrow.csv as pacsv

        path = self._inside(rel)
        if path is None or not path.is_file():
            return None, {}
        with self._buffered() as header_problems:
            options = self._csv_options(table, path, shown, schema)
        if not checked_header:  # else reported already
            self._sink.extend(header_problems)
        if options is None:
            return None, {}
        read, convert, text_types = options
        header = list(text_types)
        parse = pacsv.ParseOptions(newlines_in_values=False)
        for parse in (parse, pacsv.ParseOptions(newlines_in_values=True)):
            try:
                return pacsv.read_csv(path, read, parse, convert(text_types)), {}
            except pa.ArrowInvalid:
                pass  # line breaks in cells (read again allowing them), or a cell that does not convert
            except (pa.ArrowException, OSError) as exc:
                self.add(shown, None, "P803", None, None, f"cannot read the CSV file ({exc})", _REBUILD)
                return None, {}
        try:
            raw = pacsv.read_csv(path, read, parse, convert({n: pa.string() for n in header}))
        except (pa.ArrowException, OSError) as exc:
            self.add(shown, None, "P803", None, None, f"cannot read the CSV file ({exc})", _REBUILD)
            return None, {}
        return self._convert_cells(table, raw, text_types, shown, pq_t)

    def _convert_cells(self, table: str, raw: pa.Table, types: dict[str, pa.DataType], shown: str, pq_t: pa.Table | None) -> tuple[pa.Table, dict[str, np.ndarray]]:
        """Convert a text-read CSV column by column; report each cell that does not convert (M202/M221)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        bad_cells: dict[str, np.ndarray] = {}
        cols = []
        tmp = Checked(table, raw, np.ones(raw.num_rows, dtype=bool), shown)
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
                    self._report_cell(tmp, i, name, cell, want)
            bad_cells[name] = bad
            cols.append(pa.chunked_array([pa.array(good, want)]))
        return pa.table(cols, names=raw.column_names), bad_cells

    def _parse_lists(self, ct: Checked, schema: pa.Schema, bad_cells: dict[str, np.ndarray]) -> pa.Table:
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
                    self.add_row(ct, r, "M202", f.name, f"{_shorten(cell, 60)!r} is not a JSON array of strings", 'list columns are JSON arrays in CSV, e.g. ["ent-a", "ent-b"]')
                out.append(value)
            bad_cells[f.name] = bad
            t = t.set_column(t.schema.get_field_index(f.name), f.name, pa.array(out, f.type))
        return t

    def _report_cell(self, ct: Checked, row: int, name: str, cell: str, want: pa.DataType) -> None:
        model = MODELS[ct.table]
        errs = explain(model, name, cell) if name in model.model_fields else []
        if errs:
            for err in errs:
                code, fname, message, hint = describe_error(err, model)
                self.add_row(ct, row, code, fname, message, hint)
            return
        spelling = {"bool": "true or false", "double": "a number such as 4000 or 2.5", "int64": "a whole number", "date32[day]": "a date as YYYY-MM-DD"}.get(str(want), str(want))
        self.add_row(ct, row, "M202", name, f"{cell!r} is not a valid {want} value", f"write {spelling}")

    # ------------------------------------------------------------ CSV vs Parquet
    def _compare(self, ct: Checked, csv_t: pa.Table | pa.RecordBatch, pq_t: pa.Table, csv_bad: dict[str, np.ndarray], pq_shown: str, first_row: int = 0) -> None:
        """The CSV must say what the Parquet says, cell by cell (P803 where they differ); rows from ``first_row``."""
        import numpy as np
        import pyarrow as pa

        if csv_t.num_rows != pq_t.num_rows:
            self.add(ct.csv_shown, None, "P803", None, None, f"{csv_t.num_rows:,} rows, but {pq_shown} has {pq_t.num_rows:,}", _REBUILD)
            return
        for name in pq_t.column_names:
            pq_col = pq_t[name]
            mine = csv_t.column(name)
            if isinstance(mine, pa.Array):
                mine = pa.chunked_array([mine])
            if pa.types.is_list(pq_col.type):
                mine = parse_json_lists(mine, pq_col.type)
            if mine.equals(pq_col):
                continue
            differ = _differs(mine, pq_col)
            if name in csv_bad:
                differ &= ~csv_bad[name]
            rows = np.flatnonzero(differ)
            if not len(rows):
                continue
            a, b = mine.take(pa.array(rows)).to_pylist(), pq_col.take(pa.array(rows)).to_pylist()
            for r, x, y in zip(rows.tolist(), a, b):
                self.add_row(ct, first_row + r, "P803", name, f"the CSV says {_shorten(repr(x), 60)} but {pq_shown} says {_shorten(repr(y), 60)}", _REBUILD)

    # ------------------------------------------------------------ fields
    def _check_fields(self, ct: Checked, csv_bad: dict[str, np.ndarray]) -> None:
        """Type-level checks of every column, compiled from the model; failing cells are worded by the model."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        model = MODELS[ct.table]
        bad_rows = np.zeros(ct.data.num_rows, dtype=bool)
        for bad in csv_bad.values():
            bad_rows |= bad
        for col in compile_columns(ct.table):
            values = ct.data[col.name]
            if col.required:
                missing = values.is_null().to_numpy(zero_copy_only=False)
                if col.name in csv_bad:
                    missing &= ~csv_bad[col.name]
                for r in np.flatnonzero(missing).tolist():
                    if col.in_model:
                        code, fname, message, hint = describe_error({"type": "missing", "loc": (col.name,), "msg": ""}, model)
                    else:
                        code, fname, message, hint = "M201", col.name, f"required field {col.name!r} is missing", "the build computes it"
                    self.add_row(ct, r, code, fname, message, hint)
                bad_rows |= missing
            if col.item is not None:
                flagged = _violations(pc.list_flatten(values), col.item)
                parents = pc.list_parent_indices(values).to_numpy(zero_copy_only=False)
                rows = np.zeros(ct.data.num_rows, dtype=bool)
                rows[parents[flagged]] = True
            else:
                rows = _violations(values, col.value)
            if not rows.any():
                continue
            bad_rows |= rows
            hits = np.flatnonzero(rows)
            for r, value in zip(hits.tolist(), values.take(pa.array(hits)).to_pylist()):
                errs = explain(model, col.name, value) if col.in_model else []
                if not errs:
                    self.add_row(ct, r, "M202", col.name, f"{value!r} is less than {col.value.minimum:g}" if col.value.minimum is not None else f"{value!r} is not allowed here", "the build computes it" if not col.in_model else "")
                for err in errs:
                    code, fname, message, hint = describe_error(err, model)
                    self.add_row(ct, r, code, fname, message, hint)
        ct.ok &= ~bad_rows

    def _check_rules(self, ct: Checked) -> None:
        """Cross-field rules of :mod:`nkdata.spec.rules` on rows whose fields are fine; the first broken rule per row."""
        import numpy as np
        import pyarrow as pa

        checks = rules_mod.for_table(ct.table)
        if not checks or not ct.ok.any():
            return
        needed = set().union(*(r.needs() for r in checks)) | {n for r in checks for n in _template_fields(r)}
        cols = rules_mod.ArrowColumns({n: ct.data[n].combine_chunks() for n in needed})
        pending = ct.ok.copy()
        for rule in checks:
            broken = rule.when.arrow(cols).to_numpy(zero_copy_only=False) & pending
            if not broken.any():
                continue
            pending &= ~broken
            hits = np.flatnonzero(broken)
            taken = {n: c.take(pa.array(hits)).to_pylist() for n, c in cols.items()}
            for k, r in enumerate(hits.tolist()):
                values = {n: v[k] for n, v in taken.items()}
                self.add_row(ct, r, rule.code, rule.field, rule.format(values))
        ct.ok = pending

    def _check_formulas(self, ct: Checked) -> None:
        """C600: text a spreadsheet would run as a formula (as :func:`nkdata.checks.records.check_formula_cells`)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        model = MODELS[ct.table]
        for name in model.model_fields:
            col = ct.data[name].combine_chunks()
            if pa.types.is_list(col.type):
                flat = pc.list_flatten(col)
                parents = pc.list_parent_indices(col).to_numpy(zero_copy_only=False)
                items = np.flatnonzero(_starts_formula(flat))
                pairs = [(int(parents[i]), flat[int(i)].as_py()) for i in items]
            elif pa.types.is_string(col.type):
                rows = np.flatnonzero(_starts_formula(col))
                pairs = list(zip(rows.tolist(), col.take(pa.array(rows)).to_pylist()))
            else:
                continue
            for r, s in pairs:
                if ct.ok[r]:
                    self.add_row(ct, r, "C600", name, f"{_shorten(s, 40)!r} starts with {s[0]!r}, which spreadsheets run as a formula", "reword or trim the value so it does not start with = + - @ or a tab")

    # ------------------------------------------------------------ ids and references
    def _check_ids(self) -> None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute  # noqa: F401  (pa.compute)

        for ct in self.tables.values():
            id_field = MODELS[ct.table].id_field
            rows = np.flatnonzero(ct.ok)
            if not len(rows):
                continue
            ids = ct.data[id_field].take(pa.array(rows)) if len(rows) < ct.data.num_rows else ct.data[id_field]
            if len(ids) < 2 or pa.compute.all(pa.compute.less(ids.slice(0, len(ids) - 1), ids.slice(1))).as_py():
                continue  # strictly increasing (as the build writes them): no id twice
            t = pa.table({"id": ids, "row": pa.array(rows)})
            groups = t.group_by("id", use_threads=False).aggregate([("row", "min"), ("row", "count")])
            dups = groups.filter(pa.compute.greater(groups["row_count"], 1))  # type: ignore[attr-defined]
            if not dups.num_rows:
                continue
            first = dict(zip(dups["id"].to_pylist(), dups["row_min"].to_pylist()))
            for r, rid in zip(rows.tolist(), ids.to_pylist()):
                if rid in first and first[rid] != r:
                    self.add_row(ct, r, "I300", id_field, f"id {rid!r} is already used at {ct.csv_shown}:{ct.line(first[rid])}", "give every record its own id")

    def _valid_ids(self, table: str) -> pa.Array:
        import pyarrow as pa

        ct = self.tables.get(table)
        if ct is None:
            return pa.array([], pa.string())
        return ct.data[MODELS[table].id_field].combine_chunks().filter(pa.array(ct.ok))

    def _check_references(self) -> None:
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        valid = {t: self._valid_ids(t) for t in MODELS}
        kinds = None
        if "entities" in self.tables:
            ent = self.tables["entities"]
            mask = pa.array(ent.ok)
            kinds = ent.data["kind"].combine_chunks().filter(mask)
        for ct in self.tables.values():
            model = MODELS[ct.table]
            for name, info in model.model_fields.items():
                extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
                if "ref" not in extra:
                    continue
                target, allowed = str(extra["ref"]), extra.get("ref_kinds")
                col = ct.data[name].combine_chunks()
                if pa.types.is_list(col.type):
                    values = pc.list_flatten(col)
                    parents = pc.list_parent_indices(col).to_numpy(zero_copy_only=False)
                else:
                    values, parents = col, np.arange(len(col))
                keep = ct.ok[parents] & values.is_valid().to_numpy(zero_copy_only=False)
                index = pc.index_in(values, value_set=valid[target])
                found = index.is_valid().to_numpy(zero_copy_only=False)
                where = index.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
                dangling = np.flatnonzero(keep & ~found)
                if len(dangling):
                    known = valid[target].to_pylist() if len(valid[target]) <= _CLOSE_MATCH_LIMIT else []
                    place = "data/entities.yaml" if target == "entities" else "its source file"
                    for i in dangling.tolist():
                        v = values[i].as_py()
                        close = difflib.get_close_matches(v, known, n=1) if known else []
                        hint = f"did you mean {close[0]!r}?" if close else f"add it to {place} first"
                        self.add_row(ct, int(parents[i]), "I301", name, f"{v!r} is not a known {MODELS[target].noun} id", hint)
                if allowed and kinds is not None:
                    rows = np.flatnonzero(keep & found)
                    if len(rows):
                        got = kinds.take(pa.array(where[rows])).to_numpy(zero_copy_only=False)
                        wrong = rows[~np.isin(got, np.array(allowed, dtype=object))]
                        for i in wrong.tolist():
                            v = values[i].as_py()
                            kind = kinds[int(where[i])].as_py()
                            self.add_row(ct, int(parents[i]), "I302", name, f"{v!r} is a {kind}, but {name} takes {' or '.join(allowed)}", "point to an entity of the right kind")

    # ------------------------------------------------------------ texts and evidence
    def _check_texts(self, files: dict[str, bytes]) -> dict[str, str]:
        """Each valid source's archived text, checked (T500–T502); by source id."""
        ct = self.tables.get("sources")
        if ct is None:
            return {}
        out: dict[str, str] = {}
        rows = [r for r in range(ct.data.num_rows) if ct.ok[r]]
        ids = ct.ids
        paths = ct.data["text_path"].to_pylist()
        shas = ct.data["text_sha256"].to_pylist()
        for r in rows:
            rel = paths[r]
            raw = files.get(rel)
            if raw is None:
                self.add_row(ct, r, "T500", "text_path", f"archived text {rel} is missing", "the package lists every source's text in nkdata:texts; rebuild it")
                continue
            digest = hashlib.sha256(raw).hexdigest()
            if digest != shas[r]:
                self.add_row(ct, r, "T501", "text_sha256", f"{rel} has sha256 {digest}, the record says {shas[r]}", "archived texts never change: restore the original bytes; if the new text is right, it is a new source")
            try:
                out[ids[r]] = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.add_row(ct, r, "T502", "text_path", f"{rel} is not valid UTF-8 (byte {exc.start})", "archive texts as UTF-8")
        files.clear()  # the decoded texts are all that is needed from here on
        return out

    def _check_evidence(self, ct: Checked, texts: dict[str, str]) -> list[tuple[Any, ...]]:
        """V400–V404 on every valid row whose source text is available (as :func:`nkdata.checks.records.check_evidence`).

        Evidence must be its text's characters at its offsets; quoted words, value_text
        and date_text must be in it (exactly, or else after normalisation); a figure's
        numbers must be among ``numbers_in(evidence)``: :func:`number_stands_alone`
        decides quickly where a number plainly stands alone, ``numbers_in`` otherwise.
        Rows are taken a slice at a time, so Python holds one slice's strings. Runs on
        every row with a text, in a helper thread: returns (row, code, field, message,
        hint) for the caller to keep for the rows that pass the model.
        """
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        d = ct.data
        have = pc.is_in(d["source_id"], value_set=pa.array(list(texts), pa.string())).fill_null(False).to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(have)
        sub = d.take(pa.array(rows)) if len(rows) < d.num_rows else d
        found: list[tuple[Any, ...]] = []
        for lo in range(0, len(rows), EVIDENCE_SLICE):
            self._evidence_slice(ct, sub.slice(lo, EVIDENCE_SLICE), rows[lo : lo + EVIDENCE_SLICE], texts, found)
        return found

    def _evidence_slice(self, ct: Checked, sub: pa.Table, rows: np.ndarray, texts: dict[str, str], found: list[tuple[Any, ...]]) -> None:
        import pyarrow.compute as pc

        def add_row(_: Checked, row: int, *problem: Any) -> None:
            found.append((row, *problem))

        figure, statement = ct.table == "figures", ct.table == "statements"
        n = sub.num_rows
        src = sub["source_id"].to_pylist()
        ev = sub["evidence"].to_pylist()
        starts = sub["evidence_start"].to_numpy().tolist()
        ends = sub["evidence_end"].to_numpy().tolist()
        date_text = sub["date_text"].to_pylist()
        said = sub["text"].to_pylist() if statement else [None] * n
        kinds = sub["kind"].to_pylist() if statement else [None] * n
        if figure:
            value_text = sub["value_text"].to_pylist()
            nums = list(zip(*(sub[c].to_pylist() for c in ("value", "value_low", "value_high"))))
            # evidence already in normalised form: ASCII, single spaces, nothing to trim
            plain = pc.and_(pc.string_is_ascii(sub["evidence"]), pc.invert(pc.match_substring_regex(sub["evidence"], _ODD_SPACE))).fill_null(False).to_pylist()
        else:
            value_text = nums = plain = [None] * n  # type: ignore[assignment]
        indexed: dict[str, IndexedText] = {}

        def index(sid: str) -> IndexedText:
            if sid not in indexed:
                indexed[sid] = IndexedText(texts[sid])
            return indexed[sid]

        def contains(evidence: str, words: str) -> bool:
            return words in evidence or normalise(words) in normalise(evidence)

        for k, (sid, evidence, s, e, words, quote, vt, values, is_plain) in enumerate(zip(src, ev, starts, ends, date_text, said, value_text, nums, plain)):
            text = texts[sid]
            ev_field = "evidence"
            if evidence is None:  # a statement's evidence defaults to its text
                evidence, ev_field = quote, "text"
            if text[s:e] != evidence:
                r = int(rows[k])
                where = index(sid).find(evidence)
                if where is None:
                    from nkdata.checks.records import _near_miss

                    add_row(ct, r, "V400", ev_field, f"{ev_field} not found in {sid}'s text: {_shorten(evidence)!r}", _near_miss(index(sid), evidence))
                    continue  # as in the curated path: nothing else is checked against missing evidence
                add_row(ct, r, "V400", "evidence_start", f"{ev_field} is not at {s}..{e} of {sid}'s text but at {where[0]}..{where[1]}", _REBUILD)
            if statement and quote not in evidence and not contains(evidence, quote):
                what = "quote" if kinds[k] == "direct_quote" else "text"
                add_row(ct, int(rows[k]), "V401", "text", f"the {what} is not part of the evidence, verbatim: {_shorten(quote)!r}", "copy the quoted words exactly from the evidence, without the quotation marks")
            if figure:
                norm = None
                seen: dict[float, bool] = {}  # bounds often repeat the value: one look each
                for name, v in zip(("value", "value_low", "value_high"), values):
                    if v is None:
                        continue
                    if v not in seen:
                        if norm is None:
                            norm = evidence if is_plain else normalise(evidence)
                        seen[v] = number_stands_alone(norm, v) or v in _numbers_cached(evidence)
                    if not seen[v]:
                        add_row(ct, int(rows[k]), "V402", name, f"{name} {_fmt(v)} does not occur in the evidence", "a figure's numbers must be written in its evidence; widen the evidence or correct the number")
                if vt not in evidence and not contains(evidence, vt):
                    add_row(ct, int(rows[k]), "V404", "value_text", f"value_text {vt!r} is not in the evidence", "copy the words that state the number from the evidence")
            if words is not None and words not in evidence and words not in text:
                if normalise(words) not in normalise(evidence) and words not in index(sid):
                    add_row(ct, int(rows[k]), "V403", "date_text", f"date_text {words!r} is not in the source text", "copy the source's own words for the date")


# ---------------------------------------------------------------- vectorised helpers


_FORMULA_BYTES = frozenset(c.encode()[0] for c in FORMULA_START)


def _starts_formula(values: pa.Array) -> np.ndarray:
    """Which strings start with a character a spreadsheet runs (looks at first bytes only, in bulk)."""
    import numpy as np
    import pyarrow as pa

    arr = values.cast(pa.large_string())
    n = len(arr)
    if not n:
        return np.zeros(0, dtype=bool)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8) if arr.buffers()[2] is not None else np.zeros(0, np.uint8)
    if not len(data):
        return np.zeros(n, dtype=bool)
    starts = offsets[:-1]
    nonempty = (offsets[1:] > starts) & arr.is_valid().to_numpy(zero_copy_only=False)
    first = data[np.minimum(starts, len(data) - 1)]
    return nonempty & np.isin(first, np.array(sorted(_FORMULA_BYTES), dtype=np.uint8))


def _template_fields(rule: rules_mod.Rule) -> set[str]:
    import string

    own = {k for k, _ in rule.args}
    return {f.split(".")[0].split("[")[0] for _, f, _, _ in string.Formatter().parse(rule.message) if f} - own


def _violations(values: pa.Array | pa.ChunkedArray, c: Constraints) -> np.ndarray:
    """Rows (or items) whose non-null value breaks a constraint."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    bad = np.zeros(len(values), dtype=bool)
    if c.terms is not None:  # is_in says False (not null) for a null: keep nulls out
        outside = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=pa.array(list(c.terms), values.type))))
        bad |= outside.to_numpy(zero_copy_only=False)
    if c.pattern is not None:
        bad |= pc.invert(pc.match_substring_regex(values, c.pattern)).fill_null(False).to_numpy(zero_copy_only=False)
    if c.min_length is not None:
        bad |= pc.less(pc.utf8_length(values), c.min_length).fill_null(False).to_numpy(zero_copy_only=False)
    if c.minimum is not None:
        bad |= pc.less(values, c.minimum).fill_null(False).to_numpy(zero_copy_only=False)
    return bad


def _differs(a: pa.ChunkedArray, b: pa.ChunkedArray) -> np.ndarray:
    import pyarrow.compute as pc

    one_null = pc.xor(a.is_null(), b.is_null())
    return pc.or_(one_null, pc.not_equal(a, b).fill_null(False)).to_numpy(zero_copy_only=False)


def parse_json_lists(cells: pa.ChunkedArray, type_: pa.DataType) -> pa.ChunkedArray:
    """Lists from CSV cells spelled as :func:`nkdata.release.rows.csv_cell` writes them, ``["a", "b"]``, vectorised.

    Cells with a backslash (an escaped character) are parsed with :func:`json.loads`;
    cells that are not such arrays come back null (and then differ from the Parquet).
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = cells.combine_chunks()
    plain = pc.and_(pc.starts_with(arr, '["'), pc.ends_with(arr, '"]')).fill_null(False)
    empty = pc.and_(pc.equal(pc.binary_length(arr), 2), pc.starts_with(arr, "[")).fill_null(False)
    lists = pc.split_pattern(pc.utf8_slice_codeunits(arr, 2, -2), '", "')
    if pc.any(empty).as_py():
        lists = pc.if_else(empty, pa.scalar([], lists.type), lists)
    odd = pc.or_(pc.match_substring(arr, "\\").fill_null(False), pc.invert(pc.or_(plain, empty))).to_numpy(zero_copy_only=False)
    if odd.any():
        fixed = lists.to_pylist()
        for r in np.flatnonzero(odd).tolist():
            try:
                value = json.loads(arr[r].as_py())
                fixed[r] = value if isinstance(value, list) and all(isinstance(x, str) for x in value) else None
            except ValueError:
                fixed[r] = None
        lists = pa.array(fixed, lists.type)
    return pa.chunked_array([lists.cast(type_)])


def _schema_difference(got: Any, want: dict[str, Any]) -> str:
    if not isinstance(got, dict):
        return "no schema"
    g = {f.get("name"): f for f in got.get("fields", []) if isinstance(f, dict)}
    w = {f["name"]: f for f in want["fields"]}
    for name in w:
        if name not in g:
            return f"field {name!r} is missing"
        if g[name] != w[name]:
            keys = sorted(k for k in set(g[name]) | set(w[name]) if g[name].get(k) != w[name].get(k))
            return f"field {name!r} differs in {', '.join(keys)}"
    extra = [n for n in g if n not in w]
    if extra:
        return f"unknown field {extra[0]!r}"
    return "key order, primary or foreign keys differ"


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


__all__ = ["validate_package", "validate_any", "compile_columns", "fast_normalise", "number_stands_alone", "parse_json_lists", "Progress"]
