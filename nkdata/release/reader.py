"""Opening a built release folder and reading its files, each verified as it is read.

A file is hashed from the same bytes that are parsed, so verification costs
no extra read and a file cannot change between check and use. Only what is
read is verified: loading a table reads (and hashes) its Parquet file, not its
CSV twin; the archived texts are read and hashed when they are asked for;
:meth:`Release.verify` checks every file the descriptor lists.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nkdata.errors import IntegrityError, UsageError
from nkdata.release.descriptor import is_table, load_descriptor
from nkdata.release.hashing import verify_bytes
from nkdata.release.layout import DESCRIPTOR, PARQUET_PROPERTY, TEXTS_PROPERTY

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa

__all__ = ["Release", "PARQUET_PROPERTY", "TEXTS_PROPERTY"]


class Release:
    """A release folder (``nkdata-X.Y.Z/`` with ``datapackage.json``)."""

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)
        descriptor = self.folder / DESCRIPTOR
        if not descriptor.is_file():
            raise UsageError(f"{self.folder} is not an nkdata release: no datapackage.json in it")
        self.descriptor: dict[str, Any] = load_descriptor(descriptor)

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version"))

    @cached_property
    def resources(self) -> dict[str, dict[str, Any]]:
        """The tables, by name (the other resources are files: see :attr:`files`)."""
        return {r["name"]: r for r in self.descriptor.get("resources", []) if is_table(r)}

    @cached_property
    def files(self) -> dict[str, dict[str, Any]]:
        """The resources that are not tables (the data card, its licence, ...), by path."""
        return {r["path"]: r for r in self.descriptor.get("resources", []) if not is_table(r)}

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
        dirs: dict[Path, Path] = self.__dict__.setdefault("_dirs", {})
        if path.parent not in dirs:
            dirs[path.parent] = path.parent.resolve()
        return dirs[path.parent] / path.name

    def read_verified(self, entry: dict[str, Any]) -> bytes:
        """The bytes of one file of the release, after checking them against ``entry``."""
        path = self.folder / str(entry["path"])
        if not self._resolve(path).is_relative_to(self._root):
            raise IntegrityError(f"{entry['path']}: path leaves the release folder")
        try:
            data = path.read_bytes()
        except OSError:
            raise IntegrityError(f"{path}: listed in datapackage.json but missing; the release is incomplete") from None
        verify_bytes(path, data, entry)
        return data

    def arrow(self, table: str) -> pa.Table:
        """One table as Arrow, from its Parquet file, verified (its CSV twin is not read)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        data = self.read_verified(self._resource(table)[PARQUET_PROPERTY])
        # ParquetFile.read, not pq.read_table: read_table goes through pyarrow.dataset, whose
        # Parquet scan submits each row group to Arrow's CPU thread pool even with
        # use_threads=False. That worker keeps the file reader, and through it the buffer
        # wrapping ``data`` (a Python object), until a moment after the table is handed
        # back; if the interpreter is finalizing by then, releasing the buffer needs the
        # GIL, the thread is killed inside a C++ destructor, and the process aborts with
        # "terminate called without an active exception" (apache/arrow#34314). This reads
        # in the calling thread and starts no Arrow thread at all; the tables are small.
        with pq.ParquetFile(pa.BufferReader(data), pre_buffer=False) as file:
            return file.read(use_threads=False)

    @cached_property
    def _text_entries(self) -> dict[str, dict[str, Any]]:
        return {e["path"]: e for e in self.descriptor.get(TEXTS_PROPERTY, [])}

    def text(self, path: str) -> str | None:
        """One archived source text by its path, verified; None when the release lists no such text."""
        entry = self._text_entries.get(path)
        return None if entry is None else self.read_verified(entry).decode("utf-8")

    def texts(self) -> dict[str, str]:
        """Every archived source text by its path, verified."""
        return {path: self.read_verified(e).decode("utf-8") for path, e in self._text_entries.items()}

    def verify(self) -> list[str]:
        """Check every file the descriptor lists; return their paths (raises on the first mismatch)."""
        entries = []
        for res in self.resources.values():
            entries += [res, res[PARQUET_PROPERTY]]
        entries += self.descriptor.get(TEXTS_PROPERTY, [])
        entries += self.files.values()
        for e in entries:
            self.read_verified(e)
        return [e["path"] for e in entries]
