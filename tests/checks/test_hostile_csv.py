"""A built release's CSV made malformed by hand, its datapackage.json updated to match (so that the
tables are read, not only found altered): each break is a problem at TABLE.csv and the line it is
on, never a traceback, a silent pass, or one problem per cell of every row after it.

Header tricks (renamed, missing, extra, duplicated, empty) are in test_package.py.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from package_helpers import refresh_descriptor, rewrite

from nkdata.checks.csvrows import LISTED
from nkdata.checks.package import validate_package
from nkdata.problems import Problem


@pytest.fixture
def release(built: Path, tmp_path: Path) -> Path:
    """A copy of the session's real release, to tamper with."""
    return Path(shutil.copytree(built, tmp_path / built.name))


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")


def _write(release: Path, table: str, lines: list[bytes]) -> None:
    (release / f"{table}.csv").write_bytes(b"\n".join(lines))
    refresh_descriptor(release)


def _row_lines(path: Path, column: str) -> list[tuple[int, str]]:
    """(line, cell of ``column``) of each row that sits on a line of its own."""
    reader = csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline=""))
    at = next(reader).index(column)
    out, start = [], 2
    for row in reader:
        if reader.line_num == start:
            out.append((start, row[at]))
        start = reader.line_num + 1
    return out


def _at(problems: list[Problem], release: Path, table: str) -> list[tuple[int | None, str, str | None]]:
    return [(p.line, p.code, p.field) for p in problems if p.path == f"{release}/{table}.csv"]


def test_an_empty_line_is_a_row_that_holds_nothing_and_later_lines_stay_right(release: Path) -> None:
    """Arrow skipped empty lines: the package was valid, and each problem after one was a line too high."""
    path = release / "figures.csv"
    line = next(n for n, cell in _row_lines(path, "date_inferred") if cell == "true" and n > 5)
    lines = _lines(path)
    assert lines[line - 1].count(b",true,") == 1
    lines[line - 1] = lines[line - 1].replace(b",true,", b",maybe,")
    lines.insert(3, b"")  # line 4 is empty; the bad cell is now on line + 1
    _write(release, "figures", lines)
    got = _at(validate_package(release), release, "figures")
    assert (line + 1, "M202", "date_inferred") in got, got
    assert (4, "P803", "figure_id") in got, got  # where the rows part from the Parquet's


@pytest.mark.parametrize("change", ["a row twice", "a row dropped"])
def test_a_row_more_or_less_with_a_cell_that_does_not_convert(release: Path, change: str) -> None:
    """The cells that did not convert were flagged by CSV row and laid over the Parquet's rows:
    ValueError (operands could not be broadcast together) when the CSV had a row more or less."""
    path = release / "figures.csv"
    line = next(n for n, cell in _row_lines(path, "date_inferred") if cell == "true" and n > 5)
    lines = _lines(path)
    lines[line - 1] = lines[line - 1].replace(b",true,", b",maybe,")
    if change == "a row twice":
        lines.insert(line, lines[line - 1])
    else:
        del lines[1]
    _write(release, "figures", lines)
    got = _at(validate_package(release), release, "figures")
    assert (line - (change == "a row dropped"), "M202", "date_inferred") in got, got
    assert any(code == "P803" for _, code, _ in got), got


@pytest.mark.parametrize("change", ["removed", "added", "swapped"])
def test_rows_out_of_step_with_the_parquet_are_reported_where_they_part(release: Path, change: str) -> None:
    """Each later row's every cell was reported as differing from the Parquet's row at its place: a
    row removed from a 100,000-row CSV made 1.5 million problems (1.3 GB); a million rows, the memory
    of the machine. Now a row whose key differs holds another record: its cells are not compared, and
    when the CSV has a row more or less, one problem says where the rows part."""
    lines = _lines(release / "figures.csv")
    if change == "removed":
        del lines[10]
    elif change == "added":
        lines.insert(10, lines[20])
    else:
        lines[10], lines[11] = lines[11], lines[10]
    _write(release, "figures", lines)
    problems = validate_package(release)
    got = _at(problems, release, "figures")
    assert got == ([(11, "P803", "figure_id"), (12, "P803", "figure_id")] if change == "swapped" else [(11, "P803", "figure_id")]), problems
    if change != "swapped":
        rows = "291 rows" if change == "removed" else "293 rows"
        assert rows in problems[0].message and "a row was added or removed" in problems[0].message, problems


def _break(lines: list[bytes], at: int, how: str) -> int:
    """Break the row on line ``at`` (1-based) ``how``; the line the problem must name."""
    if how == "a cell too many":
        lines[at - 1] += b",extra"
    elif how == "a cell too few":
        lines[at - 1] = lines[at - 1].rsplit(b",", 1)[0]
    elif how == "bytes that are not UTF-8":
        lines[at - 1] = lines[at - 1][:3] + b"\xff" + lines[at - 1][3:]
    elif how == "a quote never closed":
        lines[-1:] = [b'x,"never closed', b""]
        return len(lines) - 1
    elif how == "an empty line at the end":
        lines.append(b"")
        return len(lines) - 1
    return at


TOO_MANY = "cannot read the CSV file: the row has {n1} cells, the header {n}"
NOT_UTF8 = "cannot read the CSV file: the line is not UTF-8 text (byte 0xff at character 4)"


@pytest.mark.parametrize(
    "how,at,said",
    [
        ("a cell too many", 200, TOO_MANY),
        ("a cell too few", 2, "cannot read the CSV file: the row has {n_1} cells, the header {n}"),
        ("bytes that are not UTF-8", 2, NOT_UTF8),
        ("bytes that are not UTF-8", 200, NOT_UTF8),
        ("a quote never closed", 0, "cannot read the CSV file: a quote opened in this row is never closed"),
        ("an empty line at the end", 0, "293 rows, but {pq} has 292: the line is empty"),
    ],
)
def test_a_malformed_row_is_reported_at_its_line(release: Path, how: str, said: str, at: int) -> None:
    """Arrow refuses the file without a line ("Expected 22 columns, got 23"); bytes that are not UTF-8
    on line 2 were reported on line 1, as the header (its first 8 KiB decoded at once) unreadable."""
    path = release / "figures.csv"
    lines = _lines(path)
    n = len(lines[0].split(b","))
    line = _break(lines, at, how)
    _write(release, "figures", lines)
    problems = validate_package(release)
    want = said.format(n=n, n1=n + 1, n_1=n - 1, pq=f"{release}/figures.parquet")
    assert [(p.line, p.code, p.message) for p in problems] == [(line, "P803", want)], problems


@pytest.mark.parametrize("how", ["a cell too many", "bytes that are not UTF-8", "an empty line at the end"])
def test_a_carriage_return_in_a_cell_moves_no_later_line(release: Path, how: str) -> None:
    """A value may hold a lone CR (a YAML "\\r"), which the build writes inside a quoted cell: the
    problems on a row's cells counted it as no line, the malformed-row finder as one, so a broken
    row after it was reported a line below the one every other problem on that row names."""

    def carriage_return(rows: list[dict]) -> None:
        rows[5]["notes"] = "one\rtwo\rthree"

    rewrite(release, "figures", carriage_return)
    lines = _lines(release / "figures.csv")
    assert lines[6].count(b"\r") == 2 and b"\r" not in b"".join(lines[7:])
    line = _break(lines, 200, how)
    _write(release, "figures", lines)
    assert [p.line for p in validate_package(release) if p.code == "P803"] == [line]


@pytest.mark.parametrize("table", ["events.parquet", "figures.csv"])
def test_a_folder_where_a_listed_file_should_be_is_named_as_such(release: Path, table: str) -> None:
    (release / table).unlink()
    (release / table).mkdir()
    got = validate_package(release)
    p800 = [p for p in got if p.code == "P800"]
    assert [(p.path, p.message) for p in p800] == [(f"{release}/{table}", f"{table} is listed in datapackage.json but is a folder, not a file")]


def _rewrite_rows(release: Path, table: str, change: Callable[[list[str], list[list[str]]], list[list[str]]]) -> int:
    """Rewrite a table's CSV with its rows changed (``change(header, rows)``); the number of rows."""
    path = release / f"{table}.csv"
    header, *rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    rows = change(header, rows)
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    path.write_text(out.getvalue(), encoding="utf-8", newline="")
    refresh_descriptor(release)
    return len(rows)


def test_a_csv_in_another_order_is_a_hundred_rows_listed_and_the_rest_counted(release: Path) -> None:
    """Every row of a CSV sorted otherwise than its Parquet holds another record: a million-row table was
    a million problems (gigabytes of memory); the first LISTED are listed, the others counted in one."""
    n = _rewrite_rows(release, "figures", lambda header, rows: rows[::-1])
    assert n > LISTED + 10
    got = [p for p in validate_package(release) if p.path == f"{release}/figures.csv"]
    listed = [p for p in got if p.line is not None]
    assert len(listed) == LISTED and {(p.code, p.field) for p in listed} == {("P803", "figure_id")}, got[:3]
    assert listed[0].line == 2 and "the CSV says" in listed[0].message
    counted = [p for p in got if p.line is None]
    apart = n - 1 if n % 2 else n  # the middle row of an odd number stays in place
    assert [(p.code, p.field, p.message) for p in counted] == [
        ("P803", "figure_id", f"{apart - LISTED:,} more rows hold another record than {release}/figures.parquet (the first {LISTED} are listed)")
    ]


def test_a_column_that_differs_in_every_row_is_a_hundred_cells_listed_and_the_rest_counted(release: Path) -> None:
    column = "value_text"

    def change(header: list[str], rows: list[list[str]]) -> list[list[str]]:
        at = header.index(column)
        return [[*r[:at], f"{r[at]} (edited)", *r[at + 1 :]] for r in rows]

    n = _rewrite_rows(release, "figures", change)
    got = [p for p in validate_package(release) if p.path == f"{release}/figures.csv"]
    assert len(got) == LISTED + 1 and {(p.code, p.field) for p in got} == {("P803", column)}, got[:3]
    counted = [p.message for p in got if p.line is None]
    assert len(counted) == 1 and counted[0].startswith(f"{n - LISTED:,} more cells of {column} differ from"), counted


def test_columns_in_another_order_are_reported_though_every_cell_reads_back(release: Path) -> None:
    """Two columns swapped, header and cells alike: read by name, every row still says what the Parquet
    says, so only the header check can tell that the file is not the one the build wrote."""

    def swap(header: list[str], rows: list[list[str]]) -> list[list[str]]:
        a, b = header.index("metric"), header.index("unit")
        for cells in [header, *rows]:
            cells[a], cells[b] = cells[b], cells[a]
        return rows

    _rewrite_rows(release, "figures", swap)
    got = [(p.line, p.code, p.message) for p in validate_package(release) if p.path == f"{release}/figures.csv"]
    assert len(got) == 1 and got[0][:2] == (1, "P803") and "the CSV's columns are in another order than the schema's" in got[0][2], got
