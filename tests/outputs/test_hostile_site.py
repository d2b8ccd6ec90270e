"""Hostile releases and output paths for ``nkdata site`` and ``nkdata plot``: a descriptor whose file
paths lead out of the release, a folder that is not the site's own, tables whose columns are not what
their schema says, output paths that cannot be written. Each ends in one line and exit 1 (2 for a bad
argument), reads nothing from outside the release, and writes nothing; an earlier site stays as it was.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_project, run_cli, snapshot
from hostile_helpers import SECRET, outside_secret

pytest.importorskip("matplotlib", reason="the site extra (matplotlib) is not installed")

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

LONG = "a" * 300  # longer than any file name a file system takes


def _descriptor(release: Path) -> dict[str, Any]:
    return json.loads((release / "datapackage.json").read_text(encoding="utf-8"))


def _entry(desc: dict[str, Any], table: str) -> dict[str, Any]:
    return next(r for r in desc["resources"] if r.get("name") == table)


def _point_at(release: Path, table: str, target: Path) -> None:
    """The table's CSV entry names ``target`` by a relative path, with its true sha256 and size."""
    desc = _descriptor(release)
    data = target.read_bytes()
    entry = _entry(desc, table)
    entry.update(path=os.path.relpath(target, release), hash="sha256:" + hashlib.sha256(data).hexdigest(), bytes=len(data))
    (release / "datapackage.json").write_text(json.dumps(desc), encoding="utf-8")


def _retable(release: Path, table: str, edit: Callable[[pa.Table], pa.Table]) -> None:
    """Rewrite a table's Parquet file through ``edit`` and record its new sha256 and size, as a careful forger would."""
    path = release / f"{table}.parquet"
    pq.write_table(edit(pq.read_table(path)), path)
    desc = _descriptor(release)
    data = path.read_bytes()
    _entry(desc, table)["nkdata:parquet"].update(hash="sha256:" + hashlib.sha256(data).hexdigest(), bytes=len(data))
    (release / "datapackage.json").write_text(json.dumps(desc), encoding="utf-8")


def _set(column: str, value: Any, kind: pa.DataType | None = None) -> Callable[[pa.Table], pa.Table]:
    """An edit giving the first row's ``column`` ``value`` (the column typed ``kind`` when given)."""

    def edit(table: pa.Table) -> pa.Table:
        values = table.column(column).to_pylist()
        values[0] = value
        if kind is not None:
            values = [None if v is None else str(v) for v in values]
        at = table.schema.get_field_index(column)
        array = pa.array(values, kind or table.schema.field(column).type)
        return table.set_column(at, pa.field(column, array.type), array)

    return edit


def _names(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


# ---------------------------------------------------------------- files read from the release


def test_a_table_path_leading_out_of_the_release_is_refused(release_copy: Path, tmp_path: Path) -> None:
    secret = outside_secret(tmp_path, "secret.txt", SECRET)
    _point_at(release_copy, "figures", secret)
    out = tmp_path / "site"
    r = run_cli("site", "--release", str(release_copy), "--out", str(out), "-q")
    assert r.exit_code == 1 and "leaves the release folder" in r.output, r.output
    assert not out.exists() and SECRET not in r.output
    assert [p for p in tmp_path.rglob("*") if p.is_file() and SECRET in p.read_text(errors="replace")] == [secret]


def test_a_zip_beside_the_release_that_leads_out_of_its_folder_is_refused(release_copy: Path, tmp_path: Path) -> None:
    secret = outside_secret(tmp_path, "secret.zip", SECRET)
    (release_copy.parent / f"{release_copy.name}.zip").symlink_to(secret)
    out = tmp_path / "site"
    r = run_cli("site", "--release", str(release_copy), "--out", str(out), "-q")
    assert r.exit_code == 1 and "outside the release's folder" in r.output, r.output
    assert not out.exists()


# ---------------------------------------------------------------- tables that are not what their schema says


@pytest.mark.parametrize(
    ("table", "edit", "column", "says"),
    [
        ("claims", _set("best", float("inf")), "best", "holds inf, not a finite number"),
        ("claims", _set("low", float("nan")), "low", "holds nan, not a finite number"),
        ("figures", _set("value", "4000", pa.string()), "value", "is of type string, not number"),
        ("claims", lambda t: t.set_column(t.schema.get_field_index("metric"), "metric", pa.array(range(t.num_rows))), "metric", "is of type int64, not string"),
        ("claims", lambda t: t.drop_columns(["metric"]), "metric", "is missing"),
        ("figures", lambda t: t.append_column("metric", t.column("metric")), "metric", "appears 2 times"),
        ("figures", _set("evidence_start", -5), "evidence_start", "below its minimum 0"),
        (
            "claims",
            lambda t: t.set_column(t.schema.get_field_index("date_start"), "date_start", pa.array([2**31 - 1] * t.num_rows, pa.int32()).cast(pa.date32())),
            "date_start",
            "outside the years 1 to 9999",
        ),
    ],
    ids=["inf", "nan", "number-as-text", "text-as-number", "column-missing", "column-twice", "below-minimum", "date-out-of-range"],
)
def test_a_table_breaking_its_schema_is_one_error_naming_file_and_column(
    release_copy: Path, tmp_path: Path, table: str, edit: Callable[[pa.Table], pa.Table], column: str, says: str
) -> None:
    _retable(release_copy, table, edit)
    for command, out in (("plot", tmp_path / "chart.svg"), ("site", tmp_path / "site")):
        r = run_cli(command, "--release", str(release_copy), "--out", str(out), *(["-q"] if command == "site" else []))
        assert r.exit_code == 1, r.output
        assert f"{table}.parquet: column {column}" in r.output and says in r.output, r.output
        assert not out.exists()


def test_a_number_near_the_largest_float_is_drawn(release_copy: Path, tmp_path: Path) -> None:
    """Finite and within the schema, so drawn: the axis stops at the largest float instead of at inf, its
    labels are short (309 digits a label collapsed the layout: matplotlib warned, the legend covered a
    panel), and nothing warns (numpy's overflow in the log locator's decade past the largest float)."""
    _retable(release_copy, "claims", lambda t: t.set_column(t.schema.get_field_index("best"), "best", pa.array([1e308] * t.num_rows, pa.float64())))
    out = tmp_path / "chart.svg"  # a PNG is drawn by the same figure and saved by charts.png_bytes, under the same guard
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = run_cli("plot", "--release", str(release_copy), "--out", str(out))
    assert r.exit_code == 0 and out.is_file(), r.output
    labels = re.findall(r"<text [^>]*>([^<]*)</text>", out.read_text(encoding="utf-8"))  # the texts drawn, as text
    assert any(label.startswith("1e+30") for label in labels), labels[:20]
    assert not any(re.search(r"\d{17}", label.replace(",", "")) for label in labels), [x for x in labels if len(x) > 30]


@pytest.mark.parametrize(
    "value,shown",
    [(4000.0, "4,000"), (2.0**53 - 1, "9,007,199,254,740,991"), (2.0**53, "9.01e+15"), (1e308, "1e+308"), (-1e20, "-1e+20"), (1.5, "1.5")],
)
def test_a_number_past_what_a_float_holds_exactly_is_written_short(value: float, shown: str) -> None:
    from nkdata.outputs.site.text import number

    assert number(value) == shown


# ---------------------------------------------------------------- where the site goes


@pytest.fixture
def old_site(site_out: Path, tmp_path: Path) -> Path:
    """A copy of the session's site (marker included), as an earlier ``nkdata site`` left it."""
    return Path(shutil.copytree(site_out, tmp_path / "old-site", symlinks=True))


def test_the_project_data_folder_is_never_a_site(built: Path, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "proj")
    before = project.snapshot()
    for out in (project.root / "data", project.root / "data" / "site", project.root / "seeds" / "site", project.root):
        r = run_cli("site", str(project.root), "--release", str(built), "--out", str(out), "-q")
        assert r.exit_code == 2 and "Nothing was written" in r.output, r.output
    assert project.snapshot() == before


def test_a_folder_that_is_not_a_site_is_refused_and_kept(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    (out / "claims").mkdir(parents=True)
    (out / "claims" / "notes.txt").write_text("mine", encoding="utf-8")
    before = snapshot(out)
    r = run_cli("site", "--release", str(built), "--out", str(out), "-q")
    assert r.exit_code == 2 and "is not empty (claims/" in r.output and "has no .nkdata-site file" in r.output, r.output
    assert snapshot(out) == before


@pytest.mark.parametrize("out", [".", ".."], ids=["the-current-folder", "the-folder-above"])
def test_the_current_folder_is_never_replaced(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, out: str) -> None:
    """``--out .`` in an empty folder would have renamed the folder the shell stands in away and deleted it."""
    here = tmp_path / "empty" / "here"
    here.mkdir(parents=True)
    monkeypatch.chdir(here)
    r = run_cli("site", "--release", str(built), "--out", out, "-q")
    assert r.exit_code == 2 and "the current folder" in r.output and "Nothing was written" in r.output, r.output
    assert here.is_dir() and list(here.iterdir()) == [] and sorted(p.name for p in here.parent.iterdir()) == ["here"]


def test_a_site_holding_a_file_of_its_users_is_refused_and_kept(built: Path, old_site: Path) -> None:
    (old_site / "claims" / "notes.txt").write_text("mine", encoding="utf-8")
    before = snapshot(old_site)
    r = run_cli("site", "--release", str(built), "--out", str(old_site), "-q")
    assert r.exit_code == 2 and "claims/notes.txt" in r.output, r.output
    assert snapshot(old_site) == before


def test_the_release_folder_is_never_a_site(release_copy: Path) -> None:
    before = snapshot(release_copy)
    for out in (release_copy, release_copy / "site"):
        r = run_cli("site", "--release", str(release_copy / "datapackage.json"), "--out", str(out), "-q")
        assert r.exit_code == 2 and "lies in the release the site shows" in r.output, r.output
    assert snapshot(release_copy) == before


def test_a_build_failing_midway_leaves_the_earlier_site_as_it_was(built: Path, old_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills up after the pages are written (the last files are the assets): the earlier site stays whole."""
    from nkdata.outputs.site import build

    def full_disk(name: str) -> bytes:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(build, "_asset", full_disk)
    before = snapshot(old_site)
    r = run_cli("site", "--release", str(built), "--out", str(old_site), "-q")
    assert r.exit_code == 1 and "No space left on device" in r.output and "Nothing was written" in r.output, r.output
    assert snapshot(old_site) == before
    assert sorted(p.name for p in old_site.parent.iterdir()) == ["old-site"]  # no staging folder left


def test_a_site_is_replaced_whole_by_the_next_one(built: Path, site_out: Path, old_site: Path) -> None:
    """...and a staging folder a killed site left beside it (its process gone) is removed on the way;
    a running site's is left alone."""
    import subprocess
    import sys

    (old_site / "claims" / "clm-gone.html").write_text("a page of a claim since removed", encoding="utf-8")
    marker = old_site / ".nkdata-site"
    marker.write_text(marker.read_text(encoding="utf-8") + "claims/clm-gone.html\n", encoding="utf-8")  # written by the site
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (old_site.parent / f".nkdata-staging.{gone.pid}.0abc1234" / "figures").mkdir(parents=True)
    running = old_site.parent / f".nkdata-staging.{os.getpid()}.0abc1234"
    running.mkdir()
    r = run_cli("site", "--release", str(built), "--out", str(old_site), "-q")
    assert r.exit_code == 0, r.output
    assert _names(old_site) == _names(site_out)  # the page of the removed claim is gone
    assert sorted(p.name for p in old_site.parent.iterdir()) == [running.name, "old-site"]  # no staging folder of this run or the killed one


# ---------------------------------------------------------------- output paths that cannot be written


@pytest.mark.parametrize(
    ("command", "out", "says"),
    [
        ("plot", "afile/x.svg", "Not a directory"),
        ("plot", "folder.svg", "is a folder"),
        ("plot", "folder.svg/", "is a folder"),
        ("plot", LONG + ".svg", "File name too long"),
        ("site", LONG, "File name too long"),
        ("site", "afile", "exists and is not a folder"),
        ("site", "afile/site", "Not a directory"),
        ("site", "/dev/null", "exists and is not a folder"),
    ],
)
def test_an_output_path_that_cannot_be_written_is_one_line(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str, out: str, says: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("a file", encoding="utf-8")
    (tmp_path / "folder.svg").mkdir()
    before = snapshot(tmp_path)
    r = run_cli(command, "--release", str(built), "--out", out, *(["-q"] if command == "site" else []))
    assert r.exit_code == 2 and says in r.output and "Nothing was written" in r.output, r.output
    assert len([line for line in r.output.splitlines() if line.startswith("Error:")]) == 1 and "Traceback" not in r.output
    assert snapshot(tmp_path) == before


def test_a_staging_name_already_taken_is_left_alone(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The staging name beside --out is random; should it name something already there, that thing is
    neither used nor removed (it was removed on the way out)."""
    from nkdata.outputs.site import place

    monkeypatch.setattr(place.secrets, "token_hex", lambda n: "0" * (2 * n))
    taken = tmp_path / f".nkdata-staging.{os.getpid()}.{'0' * 8}"
    (taken / "keep").mkdir(parents=True)
    r = run_cli("site", "--release", str(built), "--out", str(tmp_path / "site"), "-q")
    assert r.exit_code == 1 and "staging name already in use" in r.output and "Nothing was written" in r.output, r.output
    assert (taken / "keep").is_dir() and not (tmp_path / "site").exists()
