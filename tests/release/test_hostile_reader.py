"""Reading a tampered release folder: every file the reader opens is checked first (a regular
file, not a symlink, inside the release folder, of the size datapackage.json records), so a
FIFO never blocks a command and a sparse file of gigabytes is never read.

The attacks run ``nkdata`` in a child process with a memory cap and a timeout
(tests/hostile_helpers.py): each must end quickly, exit 1, without a traceback, naming the file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from hostile_helpers import Result, assert_clean_exit, cli, leftovers, py

from nkdata.errors import IntegrityError
from nkdata.release.reader import Release

SIX_GB = 6 * 1024**3


@pytest.mark.parametrize(
    "command",
    [
        ["plot", "--release", "{R}", "--out", "{T}/plot.svg"],
        ["export", "sqlite", "{T}/out.sqlite", "--release", "{R}"],
        ["site", "--release", "{R}", "--out", "{T}/site", "-q"],
    ],
    ids=["plot", "export-sqlite", "site"],
)
def test_a_fifo_in_place_of_a_table_is_refused_not_waited_on(release_copy: Path, tmp_path: Path, env: dict[str, str], command: list[str]) -> None:
    fifo = release_copy / "claims.parquet"
    fifo.unlink()
    os.mkfifo(fifo)
    out = tmp_path / "o"
    out.mkdir()
    r = cli(*(a.replace("{R}", str(release_copy)).replace("{T}", str(out)) for a in command), env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    assert "claims.parquet: is a FIFO" in r.text, r
    assert not list(out.iterdir()) and not leftovers(out), list(out.iterdir())


def _read_figures_capped(release: Path, env: dict[str, str]) -> Result:
    """``Release(release).arrow('figures')`` in a process under the 2 GiB cap: a clean exit 1 (checked)."""
    code = (
        "import sys, nkdata; from nkdata.release.reader import Release\n"
        f"try: Release({str(release)!r}).arrow('figures')\n"
        "except nkdata.NkdataError as exc: sys.exit(f'{type(exc).__name__}: {exc}')"
    )
    r = py(code, env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    return r


def test_a_sparse_file_of_gigabytes_is_refused_unread(release_copy: Path, env: dict[str, str]) -> None:
    """The size is checked against datapackage.json before a byte is read: under a 2 GiB cap, no MemoryError."""
    with open(release_copy / "figures.parquet", "r+b") as fh:
        fh.truncate(SIX_GB)  # sparse: no disk used
    r = _read_figures_capped(release_copy, env)
    assert f"figures.parquet: {SIX_GB:,} bytes, datapackage.json says" in r.text and "IntegrityError" in r.text, r


def test_a_huge_file_the_descriptor_agrees_with_is_refused_unread(release_copy: Path, env: dict[str, str]) -> None:
    """A tamperer who records the 6 GB in datapackage.json too: no file of a release is that large, so it
    is refused before it is read (it was read whole: a MemoryError traceback under a 2 GiB cap)."""
    import json

    with open(release_copy / "figures.parquet", "r+b") as fh:
        fh.truncate(SIX_GB)
    descriptor = json.loads((release_copy / "datapackage.json").read_text(encoding="utf-8"))
    next(r for r in descriptor["resources"] if r["name"] == "figures")["nkdata:parquet"]["bytes"] = SIX_GB
    (release_copy / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    r = _read_figures_capped(release_copy, env)
    assert "a file of a release may hold" in r.text and "IntegrityError" in r.text, r


def test_a_symlink_in_place_of_a_file_is_refused_even_to_the_same_bytes(built: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(built, tmp_path / built.name)
    (folder / "entities.parquet").rename(folder / "elsewhere.parquet")
    (folder / "entities.parquet").symlink_to("elsewhere.parquet")
    with pytest.raises(IntegrityError, match=r"entities\.parquet: is a symlink"):
        Release(folder).arrow("entities")
    with pytest.raises(IntegrityError, match=r"entities\.parquet: is a symlink"):
        Release(folder).verify()


def test_a_folder_in_place_of_a_text_is_refused(built: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(built, tmp_path / built.name)
    text = next(p for p in Release(folder).files() if p.startswith("seeds/"))
    (folder / text).unlink()
    (folder / text).mkdir()
    with pytest.raises(IntegrityError, match=rf"{text.replace('.', '[.]')}: is a folder"):
        Release(folder).text(text)


# ============================================================ a table forged with its sha256 recomputed


def _forge_table(folder: Path, table: str, data: bytes) -> None:
    """Put ``data`` in place of ``table``'s Parquet file and record its sha256 and size, as a careful forger would."""
    import hashlib
    import json

    (folder / f"{table}.parquet").write_bytes(data)
    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    entry = next(r for r in descriptor["resources"] if r["name"] == table)["nkdata:parquet"]
    entry.update(hash=f"sha256:{hashlib.sha256(data).hexdigest()}", bytes=len(data))
    path.write_text(json.dumps(descriptor), encoding="utf-8")


def _parquet(table: object) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return bytes(sink.getvalue())


@pytest.mark.parametrize(
    ("forge", "said"),
    [
        (lambda t: _parquet(t.drop(["figure_id"])), "column figure_id is missing (datapackage.json lists it)"),
        (lambda t: _parquet(t.set_column(t.column_names.index("date_start"), "date_start", t["date_start"].cast("string"))),
         "column date_start is of type string, not date (as datapackage.json says)"),
        (lambda t: b"figure_id\nfig-x\n", "is not a readable Parquet file"),
        (lambda t: _parquet(t.append_column("extra", t["figure_id"])), "column extra is not one datapackage.json lists"),
        (lambda t: _parquet(t.select(t.column_names[::-1])), "its columns are in another order than datapackage.json lists"),
    ],
    ids=["column-dropped", "date-as-text", "not-parquet", "column-added", "columns-reordered"],
)
def test_a_table_forged_with_its_hash_is_refused_by_its_columns(built: Path, tmp_path: Path, forge: Any, said: str) -> None:
    """The bytes match the sha256 the forger wrote, so only the columns can tell: diff read them and
    failed with a KeyError (or ArrowInvalid) traceback, info with a ValueError; now one line, exit 1."""
    import pyarrow.parquet as pq

    folder = shutil.copytree(built, tmp_path / built.name)
    _forge_table(folder, "figures", forge(pq.read_table(folder / "figures.parquet")))
    r = run_cli("diff", str(built), str(folder))
    assert r.exit_code == 1 and f"{folder / 'figures.parquet'}: {said}" in r.stderr, r
    assert "Traceback" not in r.stdout + r.stderr


def _edit_descriptor(folder: Path, edit: Any) -> Path:
    import json

    path = folder / "datapackage.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    edit({r["name"]: r for r in descriptor["resources"]}, descriptor)
    path.write_text(json.dumps(descriptor), encoding="utf-8")
    return path


@pytest.mark.parametrize("key", ["fig_id", "attribution"], ids=["no-such-column", "a-list-column"])
def test_a_primary_key_naming_no_column_is_refused_with_the_descriptor(built: Path, tmp_path: Path, key: str) -> None:
    """diff matches records by the key's values: a column the schema does not have was a KeyError
    traceback, a column of lists (unhashable) a TypeError."""
    folder = shutil.copytree(built, tmp_path / built.name)
    path = _edit_descriptor(folder, lambda res, d: res["figures"]["schema"].update(primaryKey=[key]))
    r = run_cli("diff", str(built), str(folder))
    said = f"{path}: resource 'figures' has a 'schema.primaryKey' naming {key!r}, not a field of its schema with single values"
    assert r.exit_code == 1 and said in r.stderr, r


# ============================================================ hostile arguments


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_show_takes_a_limit_past_what_arrow_can_count_as_all_rows(fmt: str) -> None:
    """--limit accepts any whole number >= 0; one past a C long was an OverflowError traceback from Arrow's slice."""
    everything = run_cli("show", "events", "--limit", "0", "--format", fmt)
    r = run_cli("show", "events", "--limit", str(10**30), "--format", fmt)
    assert r.exit_code == 0 and r.stdout == everything.stdout, r
