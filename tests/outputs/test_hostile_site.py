"""Hostile releases for ``nkdata site`` and ``nkdata plot``: a descriptor whose file paths lead out
of the release, tables whose columns are not what their schema says. Each ends in one line and
exit 1, reads nothing from outside the release, and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from hostile_helpers import SECRET, outside_secret

pytest.importorskip("matplotlib", reason="the site extra (matplotlib) is not installed")

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402


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
    """Finite and within the schema, so drawn: the axis stops at the largest float instead of at inf."""
    _retable(release_copy, "claims", lambda t: t.set_column(t.schema.get_field_index("best"), "best", pa.array([1e308] * t.num_rows, pa.float64())))
    r = run_cli("plot", "--release", str(release_copy), "--out", str(tmp_path / "chart.svg"))
    assert r.exit_code == 0 and (tmp_path / "chart.svg").is_file(), r.output
