"""benchmarks/synth.py makes valid data at any scale, and the Parquet nkdata writes is laid out
for engines beyond pandas: several row groups, statistics on every column, plain types that
DuckDB, polars and Spark-style readers take as they are."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import REPO, once_per_run

from nkdata import __version__
from nkdata.checks.evidence import EVIDENCE_SLICE
from nkdata.checks.package import validate_package
from nkdata.checks.package_tables import COMPARE_ROWS
from nkdata.checks.validation import validate
from nkdata.release import writer
from nkdata.release.writer import build

sys.path.insert(0, str(REPO / "benchmarks"))
import synth  # noqa: E402

# 70,000 figures in row groups of 16,384 (the writer's own are 131,072 rows, which would take twice the
# figures and ~9 s of CPU to write): five row groups, and more rows than the validator compares with the
# Parquet (65,536) or checks for evidence (32,768) at once, so that it goes on past its first batch.
LARGE = 70_000
GROUP = 16_384
assert LARGE > max(COMPARE_ROWS, EVIDENCE_SLICE, 4 * GROUP)
PLAIN_TYPES = (pa.string(), pa.float64(), pa.int64(), pa.bool_(), pa.date32(), pa.list_(pa.string()))


@pytest.fixture(scope="session")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic package of 70,000 figures, written by nkdata's own writers once for the run and
    shared by the xdist workers (read-only)."""
    return once_per_run(tmp_path_factory, "large", lambda out: synth.write_package(out, LARGE, seed=2, row_group_size=GROUP))


@pytest.mark.slow  # starts the CLI or another Python in a new process
def test_small_package_is_valid_for_nkdata_and_frictionless(tmp_path: Path) -> None:
    folder = synth.write_package(tmp_path, 120, seed=9)
    assert validate_package(folder / "datapackage.json") == []
    args = [sys.executable, "-m", "frictionless", "validate", "--json", str(folder / "datapackage.json")]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0 and "No module named frictionless" in proc.stderr:  # pragma: no cover
        pytest.skip("frictionless CLI not runnable as a module")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_rows_scale_with_figures(tmp_path: Path) -> None:
    rows, texts = synth.generate(1_000, seed=4)
    assert len(rows["figures"]) == 1_000
    assert len(rows["sources"]) == len(texts) == 10
    assert len(rows["statements"]) == len(rows["events"]) == 100
    assert [r["figure_id"] for r in rows["figures"]] == sorted(r["figure_id"] for r in rows["figures"])
    for r in rows["figures"][:200]:
        text = texts[next(s["text_path"] for s in rows["sources"] if s["source_id"] == r["source_id"])]
        assert text[r["evidence_start"] : r["evidence_end"]] == r["evidence"]
        assert r["value_text"] in r["evidence"]


def test_the_build_writes_row_groups_of_the_writer_s_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A release is written in row groups of ROW_GROUP_SIZE rows (131,072: more than the real data has,
    so the size is made small here to see it applied)."""
    root = synth.write_project(tmp_path / "project", 200, seed=5)
    monkeypatch.setattr(writer, "ROW_GROUP_SIZE", 64)
    release = build(root, tmp_path / "dist")
    meta = pq.ParquetFile(release / "figures.parquet").metadata
    assert (meta.num_rows, meta.num_row_groups) == (200, 4)
    assert [meta.row_group(i).num_rows for i in range(4)] == [64, 64, 64, 8]


def test_project_is_valid_and_builds_a_valid_package(tmp_path: Path) -> None:
    root = synth.write_project(tmp_path / "project", 200, seed=6)
    assert validate(root) == []
    release = build(root, tmp_path / "dist")
    assert validate_package(release) == []


@pytest.mark.slow  # starts the CLI or another Python in a new process
def test_command_line(tmp_path: Path) -> None:
    args = [sys.executable, str(REPO / "benchmarks" / "synth.py"), "--figures", "60", "--package", str(tmp_path / "pkg"), "--project", str(tmp_path / "proj")]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "pkg" / f"nkdata-{__version__}" / "datapackage.json").is_file()
    assert (tmp_path / "proj" / "data" / "entities.yaml").is_file()
    bad = subprocess.run([sys.executable, str(REPO / "benchmarks" / "synth.py"), "--figures", "10"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@pytest.mark.slow  # a package of 70,000 figures (five row groups)
@pytest.mark.xdist_group("synth-large")  # one worker writes the package, once
def test_parquet_layout(large: Path) -> None:
    meta = pq.ParquetFile(large / "figures.parquet").metadata
    assert meta.num_rows == LARGE
    assert meta.num_row_groups > 1
    assert meta.num_row_groups == -(-LARGE // GROUP)
    assert all(meta.row_group(i).num_rows <= GROUP for i in range(meta.num_row_groups))
    first = meta.row_group(0)
    for i in range(first.num_columns):
        col = first.column(i)
        assert col.statistics is not None, col.path_in_schema
        assert col.compression == "ZSTD"
    ids = first.column(0)
    assert ids.path_in_schema == "figure_id" and ids.statistics.has_min_max
    assert ids.statistics.min <= ids.statistics.max
    schema = pq.read_schema(large / "figures.parquet")
    assert all(f.type in PLAIN_TYPES for f in schema), schema


@pytest.mark.slow  # a package of 70,000 figures (five row groups)
@pytest.mark.xdist_group("synth-large")  # one worker writes the package, once
def test_duckdb_reads_the_package(large: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    path = str(large / "figures.parquet")
    assert con.execute("select count(*) from read_parquet(?)", [path]).fetchone()[0] == LARGE
    n, with_attribution = con.execute("select count(distinct figure_id), count(*) filter (where len(attribution) >= 1) from read_parquet(?)", [path]).fetchone()
    assert n == with_attribution == LARGE
    # row-group statistics let DuckDB skip: a range on the sorted id reads a slice
    last = con.execute("select max(figure_id) from read_parquet(?)", [path]).fetchone()[0]
    assert con.execute("select count(*) from read_parquet(?) where figure_id = ?", [path, last]).fetchone()[0] == 1
    rows = {t: pq.ParquetFile(large / f"{t}.parquet").metadata.num_rows for t in ("sources", "entities", "statements", "events")}
    for table, expected in rows.items():
        assert con.execute("select count(*) from read_parquet(?)", [str(large / f"{table}.parquet")]).fetchone()[0] == expected


@pytest.mark.slow  # a package of 70,000 figures (five row groups)
@pytest.mark.xdist_group("synth-large")  # one worker writes the package, once
def test_polars_reads_the_package(large: Path) -> None:
    pl = pytest.importorskip("polars")
    df = pl.read_parquet(large / "figures.parquet")
    assert df.height == LARGE
    assert df.schema["attribution"] == pl.List(pl.String)
    assert df.schema["date_start"] == pl.Date
    assert pl.scan_parquet(large / "events.parquet").select(pl.len()).collect().item() == pq.ParquetFile(large / "events.parquet").metadata.num_rows


@pytest.mark.slow  # a package of 70,000 figures (five row groups)
@pytest.mark.xdist_group("synth-large")  # one worker writes the package, once
def test_large_package_validates(large: Path) -> None:
    assert validate_package(large) == []


@pytest.mark.slow  # a package of 70,000 figures (five row groups)
@pytest.mark.xdist_group("synth-large")  # one worker writes the package, once
def test_a_changed_cell_past_the_first_batch_is_reported_on_its_line(large: Path, tmp_path: Path) -> None:
    """The CSV is compared with the Parquet a batch of at least 65,536 rows at a time (ending where a
    CSV block ends): a cell changed in the last thousand rows, past the first batch whatever the block
    size, is reported at its own line and record, once."""
    copy = tmp_path / large.name
    shutil.copytree(large, copy)
    target = LARGE - 1_000  # a data row of the second batch
    with open(copy / "figures.csv", encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        for i, row in enumerate(reader):
            if i == target:
                line, record, date_text = reader.line_num, row[0], row[header.index("date_text")]
                break
    lines = (copy / "figures.csv").read_text(encoding="utf-8").split("\n")
    assert lines[line - 1].startswith(record + ",") and f",{date_text}," in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(f",{date_text},", ",sometime,", 1)
    (copy / "figures.csv").write_text("\n".join(lines), encoding="utf-8", newline="")
    problems = validate_package(copy)
    changed = [p for p in problems if p.code == "P803"]
    assert [(p.path, p.line, p.record_id, p.field) for p in changed] == [(str(copy / "figures.csv"), line, record, "date_text")], problems
    assert "sometime" in changed[0].message and date_text in changed[0].message
    assert {p.code for p in problems} == {"P801", "P803"}, problems  # and the file's hash no longer matches
