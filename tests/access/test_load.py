"""``nkdata.load()`` on the embedded release: a Dataset of typed tables with
provenance, every file verified; tampered files are refused."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers_release import EMBEDDED, HEAVY, REPO, TABLES, VERSION, copy_release, csv_rows, descriptor, flip_byte

import nkdata
from nkdata.access.loader import Dataset
from nkdata.errors import IntegrityError, UsageError
from nkdata.release.reader import Release

RECORD_TABLES = {"figures": "figure_id", "statements": "statement_id", "events": "event_id"}


@pytest.fixture(scope="module")
def ds() -> Dataset:
    return nkdata.load()


def _csv(table: str) -> list[dict]:
    fields = next(r for r in descriptor(EMBEDDED)["resources"] if r["name"] == table)["schema"]["fields"]
    return csv_rows(EMBEDDED / f"{table}.csv", fields)


# ------------------------------------------------------------------ the Dataset


def test_load_returns_every_table_by_attribute_and_by_name(ds):
    assert isinstance(ds, Dataset)
    assert list(ds) == TABLES == nkdata.tables()
    assert len(ds) == len(TABLES)
    stored = [r["name"] for r in descriptor(EMBEDDED)["resources"] if r.get("type") == "table"]  # a release older than the claims table derives it
    for table in TABLES:
        df = ds[table]
        assert getattr(ds, table) is df
        assert isinstance(df, pd.DataFrame)
        if table not in stored:
            continue
        assert len(df) == len(_csv(table)) > 0
        key = descriptor(EMBEDDED)["resources"][stored.index(table)]["schema"]["primaryKey"][0]
        assert df[key].tolist() == [r[key] for r in _csv(table)]
    assert "figures" in ds and "nope" not in ds
    with pytest.raises(KeyError, match="nope"):
        ds["nope"]
    with pytest.raises(AttributeError):
        ds.nope  # noqa: B018


def test_dataset_version_descriptor_and_location(ds):
    assert ds.version == VERSION == nkdata.__version__
    assert ds.datapackage == descriptor(EMBEDDED)
    assert ds.path.resolve() == EMBEDDED.resolve()
    assert VERSION in repr(ds) and "figures=" in repr(ds)


def test_provenance_of_every_record(ds):
    entities = {r["entity_id"]: r for r in _csv("entities")}
    sources = {r["source_id"]: r for r in _csv("sources")}
    n = 0
    for table, key in RECORD_TABLES.items():
        for row in _csv(table):
            p = ds.provenance(row[key])
            n += 1
            assert p["table"] == table
            assert p["record"][key] == row[key]
            assert p["source"]["source_id"] == row["source_id"] == sources[row["source_id"]]["source_id"]
            text = (EMBEDDED / sources[row["source_id"]]["text_path"]).read_text(encoding="utf-8")
            assert (p["evidence_start"], p["evidence_end"]) == (row["evidence_start"], row["evidence_end"])
            if row.get("evidence") is not None:
                assert p["evidence"] == row["evidence"]
            assert p["evidence"] == text[row["evidence_start"] : row["evidence_end"]]
            assert p["evidence_matches_text"] is True
            chain = [e["entity_id"] for e in p["attribution"]]
            assert chain == row["attribution"]  # originator first, in order
            for e in p["attribution"]:
                assert e["name"] == entities[e["entity_id"]]["name"]
    assert n == sum(len(_csv(t)) for t in RECORD_TABLES)
    with pytest.raises(KeyError, match="fig-does-not-exist"):
        ds.provenance("fig-does-not-exist")


# ------------------------------------------------------------------ one table, three formats


def test_load_figures_as_pandas_keeps_types():
    df = nkdata.load("figures")
    assert isinstance(df, pd.DataFrame)
    rows = _csv("figures")
    assert df.columns.tolist() == list(rows[0])
    # nullable integers, not floats
    assert df["evidence_start"].dtype == pd.Int64Dtype() and df["evidence_end"].dtype == pd.Int64Dtype()
    assert df["evidence_start"].tolist() == [r["evidence_start"] for r in rows]
    # dates stay dates (nulls are NA, never NaT-as-timestamp)
    assert isinstance(df["date_start"].dtype, pd.ArrowDtype) and pa.types.is_date32(df["date_start"].dtype.pyarrow_dtype)
    starts = [None if pd.isna(v) else v for v in df["date_start"]]
    assert starts == [r["date_start"] for r in rows]
    assert any(isinstance(v, dt.date) for v in starts) and None in starts
    # lists stay lists
    assert [list(v) for v in df["attribution"]] == [r["attribution"] for r in rows]
    assert all(isinstance(v, list) for v in df["attribution"])


def test_load_as_arrow_and_polars():
    table = nkdata.load("figures", format="arrow")
    assert isinstance(table, pa.Table)
    assert table.equals(pq.read_table(EMBEDDED / "figures.parquet"))
    assert table.schema.field("date_start").type == pa.date32()
    assert table.schema.field("attribution").type == pa.list_(pa.string())

    df = nkdata.load("figures", format="polars")
    assert isinstance(df, pl.DataFrame)
    assert df.schema["date_start"] == pl.Date and df.schema["evidence_start"] == pl.Int64
    assert df.schema["attribution"] == pl.List(pl.String)
    assert df.to_dicts() == table.to_pylist()

    ds = nkdata.load(format="polars")
    assert isinstance(ds.statements, pl.DataFrame)
    ds = nkdata.load(format="arrow")
    assert isinstance(ds.events, pa.Table)


def test_unknown_table_or_format_is_a_usage_error():
    with pytest.raises(UsageError, match=r"no table 'figure'.*figures"):
        nkdata.load("figure")
    with pytest.raises(UsageError, match=r"unknown format 'excel'.*pandas, arrow, polars"):
        nkdata.load("figures", format="excel")
    with pytest.raises(UsageError, match="unknown format"):
        nkdata.load(format="excel")


def test_polars_missing_gives_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "polars", None)  # "import polars" now raises ImportError
    with pytest.raises(UsageError, match=r"needs polars: pip install"):
        nkdata.load("figures", format="polars")
    ds = nkdata.load(format="polars")
    with pytest.raises(UsageError, match="needs polars"):
        ds.figures  # noqa: B018
    assert isinstance(nkdata.load("figures"), pd.DataFrame)  # the other formats still work


def test_versions_tables_and_version():
    assert nkdata.tables() == TABLES
    assert VERSION in nkdata.versions()
    assert nkdata.versions() == sorted(nkdata.versions(), key=lambda v: tuple(map(int, v.split("."))))
    assert nkdata.__version__ == VERSION
    assert nkdata.load(version=VERSION).path.resolve() == EMBEDDED.resolve()  # the embedded one, no network


# ------------------------------------------------------------------ integrity


def test_a_tampered_table_is_refused_naming_it(tmp_path):
    folder = copy_release(EMBEDDED, tmp_path)
    Dataset(Release(folder))  # the untouched copy loads
    flip_byte(folder / "figures.parquet")
    for read in (lambda: Dataset(Release(folder)), lambda: Dataset(Release(folder), format="arrow"), lambda: Release(folder).arrow("figures")):
        with pytest.raises(IntegrityError, match=r"figures\.parquet"):
            read()
    with pytest.raises(IntegrityError, match=r"figures\.parquet"):
        Release(folder).verify()


def test_each_file_is_verified_when_it_is_read_and_only_then(tmp_path):
    """Loading reads (and hashes) the Parquet files; a CSV twin is checked when it is read
    (``verify``, ``nkdata validate``), a text when texts are read (``provenance``)."""
    folder = copy_release(EMBEDDED, tmp_path)
    flip_byte(folder / "statements.csv")
    ds = Dataset(Release(folder))  # the Parquet files are intact: the tables load
    assert len(ds["statements"]) == len(_csv("statements"))
    with pytest.raises(IntegrityError, match=r"statements\.csv"):
        Release(folder).verify()

    folder = copy_release(EMBEDDED, tmp_path / "texts")
    ds = Dataset(Release(folder))
    figures, sources = ds["figures"], ds["sources"].set_index("source_id")
    figure, other = figures.iloc[0], figures[figures["source_id"] != figures.iloc[0]["source_id"]].iloc[0]
    rel = sources.loc[figure["source_id"], "text_path"]
    flip_byte(folder / rel)
    assert ds.provenance(other["figure_id"])["evidence_matches_text"]  # only the text provenance reads is verified
    with pytest.raises(IntegrityError, match=rel.replace(".", r"\.")):
        ds.provenance(figure["figure_id"])
    with pytest.raises(IntegrityError, match=rel.replace(".", r"\.")):
        Release(folder).texts()
    assert Release(folder).text("seeds/not-listed.txt") is None and Release(EMBEDDED).text(rel) == (EMBEDDED / rel).read_text(encoding="utf-8")
    with pytest.raises(IntegrityError, match=rel.replace(".", r"\.")):
        Release(folder).verify()


def test_a_missing_or_truncated_file_is_refused(tmp_path):
    folder = copy_release(EMBEDDED, tmp_path)
    (folder / "events.parquet").unlink()
    with pytest.raises(IntegrityError, match=r"events\.parquet.*missing"):
        Dataset(Release(folder))
    folder = copy_release(EMBEDDED, tmp_path / "b")
    data = (folder / "entities.parquet").read_bytes()
    (folder / "entities.parquet").write_bytes(data[:-10])
    with pytest.raises(IntegrityError, match=r"entities\.parquet.*bytes"):
        Release(folder).arrow("entities")
    (folder / "entities.csv").write_bytes((folder / "entities.csv").read_bytes()[:-10])
    with pytest.raises(IntegrityError, match=r"entities\.csv.*bytes"):
        Release(folder).verify()


def test_a_descriptor_pointing_outside_the_release_is_refused(tmp_path):
    folder = copy_release(EMBEDDED, tmp_path)
    dp = descriptor(folder)
    dp["resources"][0]["nkdata:parquet"]["path"] = "../outside.parquet"
    dp["resources"][1]["path"] = "../outside.csv"
    (folder / "datapackage.json").write_text(json.dumps(dp), encoding="utf-8")
    with pytest.raises(IntegrityError, match="leaves the release folder"):
        Release(folder).arrow(dp["resources"][0]["name"])
    Release(folder).arrow(dp["resources"][1]["name"])  # its CSV is not read to load it
    with pytest.raises(IntegrityError, match="leaves the release folder"):
        Release(folder).verify()


def test_a_folder_without_a_descriptor_is_not_a_release(tmp_path):
    with pytest.raises(UsageError, match="not an nkdata release"):
        Release(tmp_path)
    (tmp_path / "datapackage.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(IntegrityError, match="not valid JSON"):
        Release(tmp_path)


# ------------------------------------------------------------------ import stays light


@pytest.mark.slow  # starts the CLI or another Python in a new process
def test_import_nkdata_does_not_import_heavy_libraries():
    code = (
        "import json, sys; import nkdata; nkdata.__version__; nkdata.NkdataError; "
        f"print(json.dumps(sorted(m for m in {list(HEAVY)!r} if m in sys.modules)))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO.parent, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []


@pytest.mark.slow  # starts the CLI or another Python in a new process
def test_public_functions_are_not_hidden_by_submodules_of_the_same_name():
    """No submodule shares a name with a public function, so importing the package's
    modules (as nkdata.build(...) does) never replaces a function with a module."""
    code = (
        f"import tempfile, nkdata; nkdata.build({str(REPO)!r}, tempfile.mkdtemp()); "
        "import nkdata.release.rows, nkdata.checks.validation, nkdata.release.writer; "
        "print(nkdata.tables(), callable(nkdata.validate), callable(nkdata.build))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO.parent, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"{TABLES} True True"
