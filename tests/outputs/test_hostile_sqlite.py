"""``nkdata export sqlite`` given a bad OUT or a hostile release: a clean error, nothing written.

An OUT that is not a new or regular file (``.``, a folder, a FIFO, a device, a symlink, a name
too long) is refused before the release is read, and left as it was; a damaged descriptor
(fields that are not a list, no tables) is an IntegrityError; a Parquet file of millions of rows
under a 2 GiB memory cap is "not enough memory", not an ArrowMemoryError traceback.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile_helpers import assert_clean_exit, cli

from nkdata.errors import IntegrityError, UsageError
from nkdata.outputs.sqlite import export_sqlite


def _fifo(folder: Path) -> Path:
    os.mkfifo(folder / "out.db")
    return folder / "out.db"


def _char_device(folder: Path) -> Path:
    try:
        os.mknod(folder / "out.db", 0o600 | 0o020000, os.makedev(1, 7))  # a /dev/full of our own (S_IFCHR)
    except PermissionError:
        pytest.skip("creating a device node needs root")
    return folder / "out.db"


def _symlink(folder: Path) -> Path:
    (folder / "elsewhere.db").write_bytes(b"kept")
    (folder / "out.db").symlink_to("elsewhere.db")
    return folder / "out.db"


def _subfolder(folder: Path) -> Path:
    (folder / "out.db").mkdir()
    return folder / "out.db"


BAD_OUT: dict[str, Callable[[Path], Path]] = {
    "dot": lambda folder: Path("."),
    "folder": _subfolder,
    "fifo": _fifo,
    "char-device": _char_device,
    "symlink": _symlink,
    "name-too-long": lambda folder: folder / ("a" * 300),
}


def _entries(folder: Path) -> dict[str, int]:
    return {p.name: os.lstat(p).st_mode for p in folder.iterdir()}


@pytest.mark.parametrize("kind", list(BAD_OUT))
def test_an_out_that_is_not_a_new_or_regular_file_is_refused_and_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    monkeypatch.chdir(tmp_path)
    out = BAD_OUT[kind](tmp_path)
    before = _entries(tmp_path)
    with pytest.raises(UsageError, match=r"folder|not a regular file|symlink|too long"):
        export_sqlite(out)
    assert _entries(tmp_path) == before  # the FIFO, the device, the link are what they were; no database beside them


def _tampered(built: Path, tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    folder = shutil.copytree(built, tmp_path / built.name)
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    edit(descriptor)
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    return folder


def _figures(d: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in d["resources"] if r["name"] == "figures")


@pytest.mark.parametrize(
    "edit,reason",
    [
        (lambda d: _figures(d)["schema"].__setitem__("fields", "x"), "'schema.fields' that is not a list"),
        (lambda d: _figures(d)["schema"].__setitem__("foreignKeys", "x"), "'schema.foreignKeys' that are not a list"),
        (lambda d: d.__setitem__("resources", []), "lists no tables"),
    ],
    ids=["fields-a-string", "foreign-keys-a-string", "no-resources"],
)
def test_a_damaged_descriptor_is_an_integrity_error_and_nothing_is_written(built: Path, tmp_path: Path, edit: Any, reason: str) -> None:
    release = _tampered(built, tmp_path, edit)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(IntegrityError, match=reason):
        export_sqlite(out / "x.db", release)
    assert not list(out.iterdir())


def _parquet_bomb(folder: Path, table: str, rows: int) -> None:
    """``table``'s Parquet file replaced by ``rows`` rows whose ``evidence`` is one 1,000-character
    string, stored once in a dictionary page (under 1 MB on disk, 3 GB once read for 3 million rows);
    written without its Arrow schema, so a reader decodes the strings instead of keeping the dictionary.
    Its hash and size recorded, as a tamperer would."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = folder / f"{table}.parquet"
    schema = pq.read_schema(path)
    one = pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, dtype=np.int32)), pa.array(["x" * 1000]))
    pq.write_table(pa.table([one if f.name == "evidence" else pa.nulls(rows, f.type) for f in schema], names=schema.names), path, store_schema=False)
    data = path.read_bytes()
    descriptor_path = folder / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    entry = next(r for r in descriptor["resources"] if r["name"] == table)["nkdata:parquet"]
    entry.update(hash="sha256:" + hashlib.sha256(data).hexdigest(), bytes=len(data))
    descriptor_path.write_text(json.dumps(descriptor), encoding="utf-8")


@pytest.mark.slow  # a child process runs out of its 2 GiB
def test_a_parquet_bomb_is_not_enough_memory_not_a_traceback(release_copy: Path, tmp_path: Path, env: dict[str, str]) -> None:
    _parquet_bomb(release_copy, "figures", 3_000_000)
    out = tmp_path / "out"
    out.mkdir()
    # one command: the release reader, which every command reads tables through, is what refuses it
    r = cli("export", "sqlite", out / "x.db", "--release", release_copy, env=env, timeout=120)
    assert_clean_exit(r, 1, timeout=120)
    assert "figures.parquet: not enough memory to read it" in r.text, r
    assert not list(out.iterdir())
