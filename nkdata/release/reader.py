"""Opening a built release folder and reading its files, each verified as it is read.

A file is hashed from the same bytes that are parsed, so verification costs
no extra read and a file cannot change between check and use. Only what is
read is verified: loading a table reads (and hashes) its Parquet file, not its
CSV twin; the archived texts are read and hashed when they are asked for;
:meth:`Release.verify` checks every file the descriptor lists.

Before a file is opened, the reader checks what it is (a release, or a cache, can be
tampered with): a regular file, not a symlink, inside the release folder, of the size
``datapackage.json`` records. A FIFO would block the read forever and a device or a
sparse file of gigabytes would be read whole; both are refused, naming the file,
before a byte is read (the reading itself goes through
:func:`nkdata.curated.safeopen.read_inside`, which never reads past the size allowed).
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nkdata.curated.safeopen import NotInside, TooLarge, read_inside
from nkdata.errors import IntegrityError, UsageError
from nkdata.release.descriptor import DescriptorError, file_entries, load_descriptor, table_resources
from nkdata.release.hashing import verify_bytes
from nkdata.release.layout import DESCRIPTOR, PARQUET_PROPERTY, TEXTS_DIR, TEXTS_PROPERTY

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa


def _columns_differ(listed: list[str], found: list[str]) -> str:
    """How a Parquet file's columns differ from those its datapackage.json lists, naming one column."""
    for name in listed:
        if name not in found:
            return f"column {name} is missing (datapackage.json lists it)"
        if found.count(name) > 1:
            return f"column {name} appears {found.count(name)} times"
    extra = next((n for n in found if n not in listed), None)
    if extra is not None:
        return f"column {extra} is not one datapackage.json lists"
    return f"its columns are in another order than datapackage.json lists ({', '.join(found)})"

__all__ = ["Release", "PARQUET_PROPERTY", "TEXTS_PROPERTY", "MAX_UNSIZED_BYTES", "MAX_LISTED_BYTES"]

#: The most a listed file that records no ``bytes`` may hold (every release nkdata writes records them).
MAX_UNSIZED_BYTES = 256 << 20
#: The most any listed file may hold, whatever its ``bytes`` say: files are read whole, and the largest a
#: build writes (the CSV of a million figures) is about 330 MB.
MAX_LISTED_BYTES = 2 << 30


class Release:
    """A release folder (``nkdata-X.Y.Z/`` with ``datapackage.json``)."""

    def __init__(self, folder: Path | str, recovery: str = ""):
        self.folder = Path(folder)
        #: appended to every IntegrityError about a file: how to get an intact copy (the loader's cache says how)
        self.recovery = recovery
        descriptor = self.folder / DESCRIPTOR
        if not descriptor.is_file():
            raise UsageError(f"{self.folder} is not an nkdata release: no datapackage.json in it")
        self.descriptor: dict[str, Any] = load_descriptor(descriptor)
        if not table_resources(self.descriptor):
            raise DescriptorError(descriptor, "lists no tables")

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version"))

    @cached_property
    def resources(self) -> dict[str, dict[str, Any]]:
        """The table resources, by name (the archived texts and other files are :meth:`files`)."""
        return {r["name"]: r for r in table_resources(self.descriptor)}

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
        try:
            data = self._read_listed(path, entry)
            verify_bytes(path, data, entry)
        except IntegrityError as exc:
            if self.recovery:
                raise IntegrityError(f"{exc}; {self.recovery}") from None
            raise
        return data

    def _read_listed(self, path: Path, entry: dict[str, Any]) -> bytes:
        """The bytes of ``path``, checked before it is opened: a regular file inside the release folder, not
        a symlink, no larger than ``entry`` records (a smaller one is :func:`verify_bytes`'s to refuse)."""
        size = entry.get("bytes")
        try:
            if not self._resolve(path).is_relative_to(self._root):
                raise IntegrityError(f"{path}: path leaves the release folder")
            if path.is_symlink():
                raise NotInside("is a symlink")
            return read_inside(path, self.folder, MAX_UNSIZED_BYTES if size is None else min(size, MAX_LISTED_BYTES), "the release folder")
        except MemoryError:
            raise IntegrityError(f"{path}: not enough memory to read it ({path.stat().st_size:,} bytes); check the release with 'nkdata validate'") from None
        except FileNotFoundError:
            raise IntegrityError(f"{path}: listed in datapackage.json but missing; the release is incomplete") from None
        except NotInside as exc:
            raise IntegrityError(f"{path}: {exc}, not a regular file of the release: refusing to read it (download or build the release again)") from None
        except TooLarge as exc:
            if size is None:
                said = f"more than the {MAX_UNSIZED_BYTES:,} allowed a file without a size"
            else:
                said = f"datapackage.json says {size:,}" if size <= MAX_LISTED_BYTES else f"more than the {MAX_LISTED_BYTES:,} a file of a release may hold"
            raise IntegrityError(f"{path}: {exc}, {said}; the file was altered: refusing to read it") from None
        except (OSError, ValueError) as exc:  # unreadable, a name too long, a NUL in the path
            raise IntegrityError(f"{path}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None

    def arrow(self, table: str) -> pa.Table:
        """One table as Arrow, from its Parquet file, verified (its CSV twin is not read)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        resource = self._resource(table)
        entry = resource[PARQUET_PROPERTY]
        data = self.read_verified(entry)
        path = self.folder / str(entry["path"])
        # ParquetFile.read, not pq.read_table: read_table goes through pyarrow.dataset, whose
        # Parquet scan submits each row group to Arrow's CPU thread pool even with
        # use_threads=False. That worker keeps the file reader, and through it the buffer
        # wrapping ``data`` (a Python object), until a moment after the table is handed
        # back; if the interpreter is finalizing by then, releasing the buffer needs the
        # GIL, the thread is killed inside a C++ destructor, and the process aborts with
        # "terminate called without an active exception" (apache/arrow#34314). This reads
        # in the calling thread and starts no Arrow thread at all; the tables are small.
        try:
            with pq.ParquetFile(pa.BufferReader(data), pre_buffer=False) as file:
                self._check_columns(path, resource, file.schema_arrow)
                try:
                    return file.read(use_threads=False)
                except MemoryError:  # pyarrow's ArrowMemoryError too: a few MB of Parquet can hold millions of rows
                    raise IntegrityError(
                        f"{path}: not enough memory to read it ({file.metadata.num_rows:,} rows, "
                        f"{len(data):,} bytes compressed); a table of nkdata is far smaller: check the release with 'nkdata validate'"
                    ) from None
        except (pa.ArrowException, OSError) as exc:  # bytes that match their sha256 but are no Parquet file (a forger recomputed it)
            raise self._damaged(path, f"is not a readable Parquet file ({' '.join(str(exc).split())})") from None

    def _damaged(self, path: Path, what: str) -> IntegrityError:
        recovery = self.recovery or "build or download the release again"
        return IntegrityError(f"{path}: {what}; the release is damaged: {recovery}")

    def _check_columns(self, path: Path, resource: dict[str, Any], schema: pa.Schema) -> None:
        """Refuse a Parquet file whose columns are not, in order and type, those its schema in
        datapackage.json lists: every reader (diff, info, show) indexes rows by those names and types,
        and a file can match its recorded sha256 when the descriptor was rewritten with it."""
        from nkdata.spec.columns import ARROW_TYPES, arrow_type

        fields = resource.get("schema", {}).get("fields", [])
        listed = [f["name"] for f in fields]
        if schema.names != listed:
            raise self._damaged(path, _columns_differ(listed, schema.names))
        for f in fields:
            ftype = f.get("type", "string")
            if ftype not in ARROW_TYPES or schema.field(f["name"]).type != arrow_type(ftype):
                raise self._damaged(path, f"column {f['name']} is of type {schema.field(f['name']).type}, not {ftype} (as datapackage.json says)")

    @cached_property
    def _text_entries(self) -> dict[str, dict[str, Any]]:
        return {e["path"]: e for e in file_entries(self.descriptor)}

    def files(self) -> list[str]:
        """The paths of the release's files that are not tables (archived texts, data card), as listed."""
        return list(self._text_entries)

    def text(self, path: str) -> str | None:
        """One archived source text (or other text file) by its path, verified; None when the release lists no such file."""
        entry = self._text_entries.get(path)
        return None if entry is None else self.read_verified(entry).decode("utf-8")

    def texts(self) -> dict[str, str]:
        """Every archived source text (the files under ``seeds/``) by its path, verified."""
        return {path: self.read_verified(e).decode("utf-8") for path, e in self._text_entries.items() if path.startswith(TEXTS_DIR)}

    def verify(self) -> list[str]:
        """Check every file the descriptor lists; return their paths (raises on the first mismatch)."""
        entries = []
        for res in self.resources.values():
            entries += [res, res[PARQUET_PROPERTY]]
        entries += file_entries(self.descriptor)
        for e in entries:
            self.read_verified(e)
        return [e["path"] for e in entries]
