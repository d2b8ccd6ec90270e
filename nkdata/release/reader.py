"""Opening a built release folder and reading it with every file's hash checked.

A file is hashed from the same bytes that are parsed, so verification costs
no extra read and a file cannot change between check and use.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nkdata.errors import IntegrityError, UsageError

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

PARQUET_PROPERTY = "nkdata:parquet"
TEXTS_PROPERTY = "nkdata:texts"


def _check(path: Path, data: bytes, entry: dict[str, Any]) -> None:
    expected = str(entry.get("hash", "")).removeprefix("sha256:")
    size = entry.get("bytes")
    if size is not None and len(data) != size:
        raise IntegrityError(f"{path}: {len(data):,} bytes, datapackage.json says {size:,}; the file was altered or truncated: refusing to load it")
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise IntegrityError(f"{path}: sha256 {actual} does not match datapackage.json ({expected}); the file was altered: refusing to load it")


class Release:
    """A release folder (``nkdata-X.Y.Z/`` with ``datapackage.json``)."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        descriptor = self.folder / "datapackage.json"
        if not descriptor.is_file():
            raise UsageError(f"{self.folder} is not an nkdata release: no datapackage.json in it")
        try:
            self.descriptor: dict[str, Any] = json.loads(descriptor.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise IntegrityError(f"{descriptor}: not valid JSON ({exc}); the release is damaged") from None

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version"))

    @cached_property
    def resources(self) -> dict[str, dict[str, Any]]:
        return {r["name"]: r for r in self.descriptor.get("resources", [])}

    def table_names(self) -> list[str]:
        return list(self.resources)

    def _resource(self, table: str) -> dict[str, Any]:
        if table not in self.resources:
            raise UsageError(f"no table {table!r} in release {self.version}; tables: {', '.join(self.resources)}")
        return self.resources[table]

    @cached_property
    def _root(self) -> Path:
        return self.folder.resolve()

    def _resolve(self, path: Path) -> Path:
        """``path.resolve()``, resolving each folder once (a release lists thousands of texts in one)."""
        if path.name in ("", ".", "..") or path.is_symlink():
            return path.resolve()
        dirs = self.__dict__.setdefault("_dirs", {})
        if path.parent not in dirs:
            dirs[path.parent] = path.parent.resolve()
        return dirs[path.parent] / path.name

    def read_verified(self, entry: dict[str, Any]) -> bytes:
        """The bytes of one file of the release, after checking them against ``entry``."""
        path = self.folder / entry["path"]
        if not self._resolve(path).is_relative_to(self._root):
            raise IntegrityError(f"{entry['path']}: path leaves the release folder")
        try:
            data = path.read_bytes()
        except OSError:
            raise IntegrityError(f"{path}: listed in datapackage.json but missing; the release is incomplete") from None
        _check(path, data, entry)
        return data

    def arrow(self, table: str) -> pa.Table:
        """One table as Arrow, from its Parquet file; its CSV twin is verified alongside."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        res = self._resource(table)
        with ThreadPoolExecutor(max_workers=1) as pool:  # hash the CSV while Parquet is parsed
            csv_check = pool.submit(self.read_verified, res)
            data = self.read_verified(res[PARQUET_PROPERTY])
            # ParquetFile.read, not pq.read_table: read_table goes through pyarrow.dataset, whose
            # Parquet scan submits each row group to Arrow's CPU thread pool even with
            # use_threads=False. That worker keeps the file reader, and through it the buffer
            # wrapping ``data`` (a Python object), until a moment after the table is handed
            # back; if the interpreter is finalizing by then, releasing the buffer needs the
            # GIL, the thread is killed inside a C++ destructor, and the process aborts with
            # "terminate called without an active exception" (apache/arrow#34314). This reads
            # in the calling thread and starts no Arrow thread at all; the tables are small.
            with pq.ParquetFile(pa.BufferReader(data), pre_buffer=False) as file:
                result = file.read(use_threads=False)
            csv_check.result()
        return result

    def texts(self) -> dict[str, str]:
        """Archived source texts by their path, verified."""
        return {e["path"]: self.read_verified(e).decode("utf-8") for e in self.descriptor.get(TEXTS_PROPERTY, [])}

    def verify(self) -> list[str]:
        """Check every file the descriptor lists; return their paths (raises on the first mismatch)."""
        entries = []
        for res in self.resources.values():
            entries += [res, res[PARQUET_PROPERTY]]
        entries += self.descriptor.get(TEXTS_PROPERTY, [])
        for e in entries:
            self.read_verified(e)
        return [e["path"] for e in entries]
