"""``nkdata info`` and ``nkdata show`` on the embedded release, and their errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys

import pytest
from conftest import run_cli
from helpers_release import EMBEDDED, REPO, VERSION, assert_clean_failure, csv_rows, descriptor, flip_byte, run_nkdata


def nkdata_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``nkdata ARGS`` in-process (click's runner), answered as :func:`run_nkdata` answers; the real
    processes are the two tests marked slow (the console entry point, a tampered copy of the package)."""
    result = run_cli(*args, env={"NKDATA_MIRROR": None})
    return subprocess.CompletedProcess(["nkdata", *args], result.exit_code, result.stdout, result.stderr)


def _fields(table: str) -> list[dict]:
    return next(r for r in descriptor(EMBEDDED)["resources"] if r["name"] == table)["schema"]["fields"]


@pytest.mark.slow  # starts the CLI or another Python in a new process
def test_info_describes_the_embedded_release():
    proc = run_nkdata("info")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    dp = descriptor(EMBEDDED)
    assert out.startswith(f"nkdata {VERSION} (package {VERSION}), released {dp['created'][:10]}\n")
    assert f"data: {EMBEDDED}" in out
    assert "licence: CC-BY-4.0 (the tables; the archived texts and the words quoted from them remain their publishers')" in out
    registry = (REPO / "nkdata" / "registry.txt").read_text(encoding="utf-8")
    [base] = [line.removeprefix("base:").strip() for line in registry.splitlines() if line.startswith("base:")]
    assert f"download: {base.replace('{version}', VERSION)}nkdata-{VERSION}.zip " in out  # where the zip is published
    for table in [r["name"] for r in dp["resources"] if r.get("type") == "table"]:  # every table the release stores
        n = len(csv_rows(EMBEDDED / f"{table}.csv", _fields(table)))
        assert any(line.split() == [table, str(n), "rows"] for line in out.splitlines()), f"{table}: {n} rows not shown"
    claims = csv_rows(EMBEDDED / "claims.csv", _fields("claims"))
    first = min(c["date_start"] for c in claims if c["date_start"])
    last = max(c["date_end"] for c in claims if c["date_end"])
    assert f"coverage: claims dated {first} to {last}" in out
    assert f"originators: {len({c['originator'] for c in claims})} " in out
    sources = csv_rows(EMBEDDED / "sources.csv", _fields("sources"))
    assert f"sources: {len(sources)} (list them with --sources)" in out  # a summary, not 171 lines
    assert not any(f"{s['source_id']}:" in out for s in sources)
    listed = run_nkdata("info", "--sources").stdout
    for source in sources:
        shown = source["title"] or source["url"] or "(no title or URL known)"  # never the word None
        assert f"{source['source_id']}: {shown}" in listed


def _release_cells(table: str) -> list[list[str]]:
    with open(EMBEDDED / f"{table}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_show_csv_is_spelled_as_the_release_csv():
    proc = nkdata_cli("show", "figures", "--format", "csv", "--limit", "2")
    assert proc.returncode == 0, proc.stderr
    cells = list(csv.reader(io.StringIO(proc.stdout, newline="")))
    # header and first two rows, cell for cell: JSON lists, ISO dates, true/false, "30" not "30.0"
    assert cells == _release_cells("figures")[:3]


def test_show_csv_without_limit_is_the_whole_table():
    proc = nkdata_cli("show", "statements", "--format", "csv", "--limit", "0")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (EMBEDDED / "statements.csv").read_text(encoding="utf-8")


def test_show_json_keeps_types():
    proc = nkdata_cli("show", "figures", "--format", "json", "--limit", "2")
    assert proc.returncode == 0, proc.stderr
    records = json.loads(proc.stdout)
    expected = csv_rows(EMBEDDED / "figures.csv", _fields("figures"))[:2]
    expected = [{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in r.items()} for r in expected]
    assert records == expected
    # dates as dates (no time part), lists as lists, nulls as null, offsets as integers
    assert any(r["date_start"] and len(r["date_start"]) == 10 for r in records)
    assert all(isinstance(r["attribution"], list) and isinstance(r["evidence_start"], int) for r in records)


def test_show_table_prints_only_the_limit():
    proc = nkdata_cli("show", "figures", "--limit", "2")
    assert proc.returncode == 0, proc.stderr
    ids = [r["figure_id"] for r in csv_rows(EMBEDDED / "figures.csv", _fields("figures"))]
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:2] == ["figure_id", "source_id"]
    assert [line.split()[0] for line in lines[1:]] == ids[:2]


@pytest.mark.parametrize(
    "args,code,words",
    [
        (["show", "figure"], 2, "no table 'figure'"),
        (["show", "figures", "--format", "xml"], 2, "'xml' is not one of"),
        (["show", "figures", "--limit", "-1"], 2, "-1"),
        (["show"], 2, "Missing argument"),
        (["show", "figures", "--version", "9.9.9"], 2, "9.9.9 is not a released version"),
        (["info", "--version", "9.9.9"], 2, "9.9.9 is not a released version"),
        (["no-such-command"], 2, "No such command"),
    ],
)
def test_cli_errors_exit_cleanly(args, code, words):
    proc = nkdata_cli(*args)
    assert_clean_failure(proc.returncode, proc.stdout + proc.stderr, code)
    assert words in proc.stderr


@pytest.mark.slow  # starts the CLI or another Python in a new process
def test_a_damaged_embedded_release_is_exit_1_without_traceback(tmp_path):
    """The CLI reports an IntegrityError as a one-line error (run against a tampered copy)."""
    pkg = tmp_path / "nkdata"
    shutil.copytree(REPO / "nkdata", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    flip_byte(pkg / "_release" / EMBEDDED.name / "figures.parquet")
    proc = run_nkdata("show", "figures", cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)})
    assert_clean_failure(proc.returncode, proc.stdout + proc.stderr, 1)
    assert "figures.parquet" in proc.stderr and "refusing to load" in proc.stderr
    assert str(pkg) in proc.stderr  # the tampered copy, not the source tree, was loaded


def test_show_table_prints_empty_cells_not_nan():
    """A source without a title shows an empty cell, as the CSV has it, never NaN or None."""
    untitled = [r for r in csv_rows(EMBEDDED / "sources.csv", _fields("sources")) if not r["title"]]
    assert untitled, "the release has sources without a title"
    proc = nkdata_cli("show", "sources", "--limit", "0")
    assert proc.returncode == 0, proc.stderr
    assert "NaN" not in proc.stdout and "None" not in proc.stdout and "<NA>" not in proc.stdout


def test_show_table_escapes_control_and_invisible_characters(monkeypatch):
    """A note or a title is text from a contributor: shown in a terminal, an escape sequence in it
    (a colour, a cleared screen, a link) or a bidi override would act instead of being seen."""
    import pandas as pd

    from nkdata.access import loader

    hostile = "red\x1b[31m \x1b[2J \u202eevil\u2066 \x07 Кім 북한"
    monkeypatch.setattr(loader, "load", lambda table, version=None: pd.DataFrame({"source_id": ["src-a"], "title": [hostile]}))
    res = run_cli("show", "sources")
    assert res.exit_code == 0, res.output
    assert not any(ch in res.stdout for ch in "\x1b\u202e\u2066\x07"), res.stdout
    assert "red\\x1b[31m \\x1b[2J \\u202eevil\\u2066 \\x07 Кім 북한" in res.stdout


def test_show_table_escapes_control_characters_in_list_items(monkeypatch):
    """An entity's aliases are free text too: an escape sequence or a bidi override in a list item
    is shown escaped, as in a text cell (pandas prints a list cell's items as they are)."""
    import pandas as pd

    from nkdata.access import loader

    aliases = ["red\x1b[31m", "\u202eevil"]
    monkeypatch.setattr(loader, "load", lambda table, version=None: pd.DataFrame({"entity_id": ["ent-a"], "aliases": [aliases]}))
    res = run_cli("show", "entities")
    assert res.exit_code == 0, res.output
    assert not any(ch in res.stdout for ch in "\x1b\u202e"), res.stdout
    assert "red\\x1b[31m" in res.stdout and "\\u202eevil" in res.stdout


def test_problem_text_escapes_control_characters():
    """Ids and messages come from user files: a line break or an escape sequence in them is shown, never acted on."""
    from nkdata.problems import Problem, format_problems

    forged = "fig-x\n::error file=README.md::pwned\nvalid: no problems found.\x1b[2J"
    problem = Problem("data/sources/a.yaml", 3, 5, "M204", forged, "figure_id", "bad id\r\n")
    for fmt in ("text", "github"):
        out = format_problems([problem], fmt)
        assert out.count("\n") == 0 and "\x1b" not in out and "\r" not in out, (fmt, out)
    assert "fig-x\\n::error" in problem.format_text() and "\\x1b[2J" in problem.format_text()


def test_problem_text_shows_invisible_and_reordering_characters_escaped():
    """A bidi override, an isolate, a zero-width space or a byte order mark in a user's file could make
    a problem line read otherwise than it is ("Trojan Source"); they are shown as escapes."""
    from nkdata.problems import Problem, format_problems

    hidden = "\u202e\u2066\u200b\ufeff\xad\U000e0041"
    problem = Problem("data/sources/a.yaml", 3, 5, "M200", f"fig-{hidden}x", f"met{hidden}ric", f"unknown field 'met{hidden}ric'")
    for fmt in ("text", "github"):
        out = format_problems([problem], fmt)
        assert not any(ch in out for ch in hidden), (fmt, out)
        assert out.count("\\u202e\\u2066\\u200b\\ufeff\\xad\\U000e0041") == 3, (fmt, out)
    assert "Кім Чен Ин, 북한" in Problem("a", 1, 1, "M200", None, None, "Кім Чен Ин, 북한").format_text()  # letters of every script stay as they are


def test_github_titles_have_no_empty_parts():
    from nkdata.problems import Problem, format_problems

    titles = [format_problems([Problem("data/a.yaml", 1, 1, "M200", rid, field, "m")], "github").split("title=")[1].split("::")[0] for rid, field in
              [(None, "metric"), ("fig-a", None), (None, None), ("fig-a", "metric")]]
    assert titles == ["M200 metric", "M200 fig-a", "M200", "M200 fig-a metric"]


@pytest.mark.slow  # starts another Python in a new process
def test_validate_and_build_do_not_import_pandas_and_pandas_works_after(tmp_path, built):
    """pyarrow would import pandas (0.15-0.25 s) on its first conversion of a Python value; ``nkdata
    validate`` and ``nkdata build`` keep it out (and a valid package's checks, numpy.ma: 16-20 ms), still find problems, build byte for byte what the
    library builds with pandas about, and leave ``import pandas`` working."""
    bad = tmp_path / "pkg"
    shutil.copytree(EMBEDDED, bad)
    flip_byte(bad / "figures.csv")
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from nkdata.cli.main import main\n"
        "good = CliRunner().invoke(main, ['validate', '-q', sys.argv[1]])\n"
        "masked = 'numpy.ma' in sys.modules\n"
        "bad = CliRunner().invoke(main, ['validate', '-q', sys.argv[2]])\n"
        "built = CliRunner().invoke(main, ['build', '-q', sys.argv[3], '--out', sys.argv[4]])\n"
        "print(good.exit_code, bad.exit_code, built.exit_code, 'pandas' in sys.modules, masked)\n"
        "import pandas, pyarrow\n"
        "print(type(pyarrow.table({'a': [1]}).to_pandas()).__name__)\n"
    )
    args = [str(EMBEDDED), str(bad), str(REPO), str(tmp_path / "dist")]
    proc = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["0", "1", "0", "False", "False", "DataFrame"], proc.stdout
    library_zip = built.parent / f"{built.name}.zip"
    assert (tmp_path / "dist" / library_zip.name).read_bytes() == library_zip.read_bytes()


@pytest.mark.slow  # starts another Python in a new process
def test_python_dash_m_nkdata_is_the_command_line():
    """``python -m nkdata`` runs the same command as the ``nkdata`` script, exit code included."""
    proc = subprocess.run([sys.executable, "-m", "nkdata", "--version"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout == f"nkdata, version {VERSION}\n", proc.stderr
    proc = subprocess.run([sys.executable, "-m", "nkdata", "show", "no-such-table"], capture_output=True, text=True, timeout=120)
    assert_clean_failure(proc.returncode, proc.stdout + proc.stderr, 2)


@pytest.mark.parametrize(("argv", "code"), [(["--version"], 0), (["show", "no-such-table"], 2)])
def test_the_entry_point_freezes_what_is_left_and_keeps_the_exit_code(monkeypatch, argv, code):
    """``run()`` ends with ``gc.freeze()`` (the shutdown then skips a last cycle search) and exits
    with the command's own code, failure included."""
    import gc

    from nkdata.cli.main import run

    monkeypatch.setattr(sys, "argv", ["nkdata", *argv])
    before = gc.get_freeze_count()
    try:
        with pytest.raises(SystemExit) as exit_:
            run()
        assert exit_.value.code == code
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(("before", "after"), [(None, "1"), ("3", "3")])
def test_the_entry_point_asks_openblas_for_no_threads_unless_told(monkeypatch, before, after):
    """numpy's OpenBLAS threads spin at import for nothing nkdata asks of them: ``run()`` sets
    ``OPENBLAS_NUM_THREADS=1`` (before any command imports numpy: the module that defines it does not),
    and keeps a value the user set."""
    import gc

    from nkdata.cli.main import run

    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "placeholder")  # restored afterwards, whatever run() does
    if before is None:
        monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    else:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", before)
    monkeypatch.setattr(sys, "argv", ["nkdata", "--version"])
    try:
        with pytest.raises(SystemExit):
            run()
    finally:
        gc.unfreeze()
    assert os.environ["OPENBLAS_NUM_THREADS"] == after
    if before is None:  # once is enough: the command's module is imported before run() and must not bring numpy
        proc = subprocess.run([sys.executable, "-c", "import sys, nkdata.cli.main; print('numpy' in sys.modules)"], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and proc.stdout.strip() == "False", proc.stdout + proc.stderr


def test_the_entry_point_collects_cycles_less_often_while_the_command_runs(monkeypatch):
    """A command runs with the collector's first threshold at 100,000 (imports and a package's rows as
    Python values started thousands of collections); afterwards the thresholds are as they were."""
    import gc

    import nkdata.cli.main as cli_main

    seen: list[tuple[int, int, int]] = []
    monkeypatch.setattr(cli_main, "main", lambda: seen.append(gc.get_threshold()))
    before = gc.get_threshold()
    try:
        cli_main.run()
    finally:
        gc.unfreeze()
    assert seen == [(100_000, 50, 100)] and gc.get_threshold() == before != seen[0]
