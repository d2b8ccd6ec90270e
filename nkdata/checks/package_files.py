"""A built package on disk: opening it (folder, descriptor or zip), its descriptor, and its files' hashes (P800–P802).

:class:`PackageFiles` holds what every part of the package check shares: the
target, the problems found so far (each helper thread may buffer its own), and
the descriptor's resources and text entries once read.
"""

from __future__ import annotations

import hashlib
import shutil
import stat
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nkdata.checks.texts import MAX_TEXT_BYTES
from nkdata.curated.safeopen import file_kind
from nkdata.problems import Problem
from nkdata.release.archive import UnsafeZip, extract_release
from nkdata.release.descriptor import DescriptorError, file_entries, is_table, load_descriptor
from nkdata.release.hashing import sha256_file
from nkdata.release.reader import MAX_LISTED_BYTES, PARQUET_PROPERTY
from nkdata.spec.schema import all_schemas

DESCRIPTOR = "datapackage.json"
REBUILD = "files of a release are written by 'nkdata build'; rebuild it instead of editing them"


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
                names = extract_release(path, tmp)
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


class PackageFiles:
    """A package being checked: where it is, its descriptor, and the problems found (P800–P802 here)."""

    def __init__(self, target: Target):
        self.target = target
        self.problems: list[Problem] = []
        self.descriptor: dict[str, Any] = {}
        self.resources: dict[str, dict[str, Any]] = {}
        self.text_entries: dict[str, dict[str, Any]] = {}  # by path: the first entry of each
        self.listed_files: list[dict[str, Any]] = []  # the tables' files (both twins), and any further entry of a text's path
        self._local = threading.local()
        self._root = target.folder.resolve()
        self._folder_inside: dict[Path, bool] = {}  # each folder of the package resolved once

    # ------------------------------------------------------------ reporting
    @property
    def sink(self) -> list[Problem]:
        """Where this thread's problems go: a helper's own list, else the result."""
        return getattr(self._local, "sink", self.problems)

    @contextmanager
    def buffered(self) -> Iterator[list[Problem]]:
        """Collect this thread's problems in a list of their own for a while (to keep or drop)."""
        had = hasattr(self._local, "sink")
        outer = getattr(self._local, "sink", None)
        found: list[Problem] = []
        self._local.sink = found
        try:
            yield found
        finally:
            if had:
                self._local.sink = outer
            else:
                del self._local.sink

    def emit(self, problem: Problem) -> None:
        self.sink.append(problem)

    def add(self, path: str, line: int | None, code: str, record_id: Any, field_name: str | None, message: str, hint: str = "") -> None:
        self.sink.append(Problem(path, line, None, code, None if record_id is None else str(record_id), field_name, message, hint))

    def inside(self, rel: str) -> Path | None:
        """The file at ``rel``, or None when the path would leave the package folder: by its
        spelling, by a symbolic link (the file itself), or by a folder on the way that resolves
        outside (each folder resolved once: a package may list 100,000 texts)."""
        relative = Path(rel)
        parts = relative.parts
        if not parts or relative.is_absolute() or ".." in parts or "\\" in rel:
            return None
        path = self.target.folder / relative
        if path.is_symlink():
            return None
        if path.parent not in self._folder_inside:
            self._folder_inside[path.parent] = path.parent.resolve().is_relative_to(self._root)
        return path if self._folder_inside[path.parent] else None

    def read_descriptor(self) -> bool:
        shown = self.target.show(DESCRIPTOR)
        path = self.target.folder / DESCRIPTOR
        try:
            self.descriptor = load_descriptor(path)
        except DescriptorError as exc:
            if not path.exists():
                where = self.target.shown or "."
                self.add(shown, None, "P800", None, None, f"no {DESCRIPTOR} in {where}", "validate a release folder, its datapackage.json or its zip")
                return False
            self.add(shown, None, "P802", None, None, exc.reason, REBUILD)
            return False
        self._check_version(shown)
        self._read_tables(shown)
        # Every other file: the file resources, or an older release's nkdata:texts (load_descriptor
        # checked their shape). The last entry for a path is the one read, as the loader does; any
        # other is hash-checked all the same, so that no entry goes unchecked behind another.
        for e in file_entries(self.descriptor):
            if e["path"] in self.text_entries:
                self.listed_files.append(self.text_entries[e["path"]])
            self.text_entries[e["path"]] = e
        self._report_listed_twice(shown)
        return True

    def _check_version(self, shown: str) -> None:
        """P802: the version is X.Y.Z. (The folder's name is not held against it: a release unpacked
        into a folder of one's own, or validated as ``.`` from inside, is the same release.)"""
        from nkdata.versioning.semver import is_version

        version = self.descriptor.get("version")
        if not isinstance(version, str) or not is_version(version):
            what = "no 'version'" if version is None else f"'version' {version!r}, not a MAJOR.MINOR.PATCH version such as 0.3.0"
            self.add(shown, None, "P802", None, "version", f"the descriptor has {what}", REBUILD)

    def _read_tables(self, shown: str) -> None:
        """The table resources: each an nkdata table, once, whole, with this nkdata's schema."""
        schemas = all_schemas()
        for i, res in enumerate(self.descriptor["resources"]):
            if not is_table(res):
                continue  # a file (an archived text, the data card): hash-checked with the texts
            name = res.get("name")
            if name not in schemas:
                self.add(shown, None, "P802", None, "resources", f"resource {i} ({name!r}) is not a table of nkdata", f"tables: {', '.join(schemas)}")
                continue
            bad = [k for k in ("path", "hash") if not isinstance(res.get(k), str)] + [
                f"{PARQUET_PROPERTY}.{k}" for k in ("path", "hash") if not isinstance((res.get(PARQUET_PROPERTY) or {}).get(k), str)
            ]
            if bad:
                self.add(shown, None, "P802", None, name, f"resource {name!r} lacks {', '.join(bad)}", REBUILD)
                continue
            self.listed_files += [res, res[PARQUET_PROPERTY]]  # every table listed is hash-checked, one hidden by another too
            if name in self.resources:  # the last one is read, as the loader does
                self.add(shown, None, "P802", None, "resources", f"resource {i} is a second resource named {name!r}: one would hide the other", REBUILD)
            if res.get("schema") != schemas[name]:
                difference = schema_difference(res.get("schema"), schemas[name])
                self.add(
                    shown,
                    None,
                    "P802",
                    None,
                    name,
                    f"the Table Schema of {name!r} differs from the one this nkdata's models generate ({difference})",
                    "build the package with the same nkdata version, or validate it with the version that built it",
                )
            self.resources[name] = res
        for name in schemas:
            if name not in self.resources and not any(is_table(r) and r.get("name") == name for r in self.descriptor["resources"]):
                self.add(shown, None, "P802", None, "resources", f"the package has no {name!r} resource", REBUILD)

    def _report_listed_twice(self, shown: str) -> None:
        """P802 for each path two entries list (tables, Parquet twins and files alike): one could hide the other."""
        paths = [e["path"] for e in self.listed_files] + list(self.text_entries)
        for path, n in Counter(paths).items():
            if n > 1:
                self.add(shown, None, "P802", None, "resources", f"{path} is listed twice" if n == 2 else f"{path} is listed {n} times", REBUILD)

    def check_files(self, entries: list[dict[str, Any]]) -> set[str]:
        """P800/P801 for files the descriptor lists; returns the paths that failed."""
        return {e["path"] for e in entries if self.check_file(e) is None}

    def check_file(self, e: dict[str, Any], keep: bool = False) -> tuple[bytes | None, str] | None:
        """P800/P801 for one file: None when it fails, else its bytes (``keep``; else None) and sha256."""
        rel, shown = e["path"], self.target.show(e["path"])
        path = self.inside(rel)
        if path is None:
            self.add(self.target.show(DESCRIPTOR), None, "P802", None, "path", f"{rel!r} leaves the package folder (or is a symbolic link)", REBUILD)
            return None
        try:
            st = path.stat()  # one call: whether it is a file, and its size
        except OSError:
            st = None
        if st is None or not stat.S_ISREG(st.st_mode):
            what = "missing" if st is None else f"is {file_kind(st.st_mode)}, not a file"  # a folder or a FIFO where the file should be
            hint = "a release is complete or it is not: download or rebuild it"
            self.add(shown, None, "P800", None, None, f"{rel} is listed in {DESCRIPTOR} but {what}", hint)
            return None
        size = st.st_size
        if isinstance(e.get("bytes"), int) and size != e["bytes"]:
            self.add(shown, None, "P801", None, None, f"{size:,} bytes, {DESCRIPTOR} says {e['bytes']:,}; the file was altered or truncated", REBUILD)
            return None
        cap = MAX_TEXT_BYTES if keep else MAX_LISTED_BYTES  # kept files (texts, the card) are read whole; others hashed in blocks
        if size > cap:
            self.add(shown, None, "P801", None, None, f"{size:,} bytes, more than the {cap:,} such a file of a release may hold; it was altered", REBUILD)
            return None
        expected = str(e.get("hash", "")).removeprefix("sha256:")
        data = path.read_bytes() if keep else None
        actual = hashlib.sha256(data).hexdigest() if data is not None else sha256_file(path)
        if actual != expected:
            self.add(shown, None, "P801", None, None, f"sha256 {actual} does not match {DESCRIPTOR} ({expected}); the file was altered", REBUILD)
        return data, actual

    def read_texts(self) -> dict[str, tuple[bytes, str]]:
        """Every archived text the descriptor lists, read and hashed once: checked (P800/P801) and kept with its sha256, by path."""
        out: dict[str, tuple[bytes, str]] = {}
        for rel, e in self.text_entries.items():
            checked = self.check_file(e, keep=True)  # reports a file that is missing, outside or altered
            if checked is not None and checked[0] is not None:
                out[rel] = (checked[0], checked[1])
                continue
            path = self.inside(rel)
            if path is not None and path.is_file() and path.stat().st_size <= MAX_TEXT_BYTES:  # a size that differs: its evidence is checked all the same
                data = path.read_bytes()
                out[rel] = (data, hashlib.sha256(data).hexdigest())
        return out


def schema_difference(got: Any, want: dict[str, Any]) -> str:
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
