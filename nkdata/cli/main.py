"""The ``nkdata`` command: a thin shell over the library.

Each command calls one library function and turns :class:`NkdataError` into a
one-line message and exit code 1 (usage errors: 2). Output goes to stdout;
diagnostics to stderr.
"""

from __future__ import annotations

import errno
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from nkdata._version import __version__
from nkdata.cli.process import arrow_allocator, command_process, without_pandas
from nkdata.errors import NkdataError, UsageError, ValidationFailed

#: What an invalid project means for each command that validates first.
_WHEN_INVALID = {
    "build": "nothing built.",
    "release": "nothing released.",
    "diff": "validate the working tree before comparing it.",
}


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into clean exits: never a traceback for bad input.

    Invalid data prints every problem as ``nkdata validate`` does, then exit 1.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UsageError as exc:
            raise click.UsageError(str(exc)) from None
        except ValidationFailed as exc:
            from nkdata.problems import format_problems

            click.echo(format_problems(exc.problems, "text"))
            n = len(exc.problems)
            consequence = _WHEN_INVALID.get(func.__name__, "nothing done.")
            click.echo(f"{n} problem{'s' if n != 1 else ''} found: {consequence}", err=True)
            sys.exit(1)
        except NkdataError as exc:
            raise click.ClickException(str(exc)) from None
        except OSError as exc:  # Python 3.11's Path.is_dir() raises for a path argument too long, rather than answer False
            if exc.errno != errno.ENAMETOOLONG:
                raise
            raise click.UsageError(_too_long(exc.filename)) from None

    return wrapper


def _too_long(name: object) -> str:
    """One line for a path longer than the system allows (ENAMETOOLONG), the path shortened."""
    text = os.fsdecode(name) if isinstance(name, (str, bytes)) else str(name)
    return f"{text if len(text) <= 80 else text[:60] + '…' + text[-10:]}: a path of {len(text):,} characters, too long for this system"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="nkdata")
def main() -> None:
    """Validate, build and load the nkdata dataset: North Korea's troops in the
    Russia–Ukraine war, every figure and quote traceable to its source text."""


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "github"]),
    default=None,
    help="Output format. Default: github when GITHUB_ACTIONS=true, else text.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing when valid, and no progress bar.")
@handle_errors
def validate(path: Path | None, fmt: str | None, quiet: bool) -> None:
    """Check curated data (a project root, default the current directory) or a
    built package (its datapackage.json, release folder or zip).

    Reports every problem as PATH:LINE:COL: CODE RECORD FIELD: MESSAGE (hint);
    in a package, LINE is the line of the CSV the record starts on.
    Exit 0 when valid, 1 when not, 2 on a usage error. Never writes a file.
    """
    from nkdata.checks.package import validate_any as run
    from nkdata.cli import progress as bar
    from nkdata.problems import format_problems

    fmt = fmt or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    arrow_allocator()
    with bar.terminal(quiet) as progress, without_pandas():
        problems = run(path, progress)
    if fmt == "json":
        click.echo(format_problems(problems, "json"))
    elif problems:
        click.echo(format_problems(problems, fmt))
    if problems:
        if fmt != "json":
            click.echo(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found.", err=True)
        sys.exit(1)
    if fmt == "text" and not quiet:
        click.echo("valid: no problems found.")


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True, help="Exit 1 if the checked-in files differ from what the models generate.")
@handle_errors
def schema(path: Path | None, check: bool) -> None:
    """Generate schema/*.schema.json and docs/data-dictionary.md from the models."""
    from nkdata.curated.reader import find_root
    from nkdata.spec.schema import drifted, write_schemas

    root = find_root(path)
    if check:
        stale = drifted(root)
        for rel in stale:
            click.echo(f"{rel}: differs from what the models generate (run 'nkdata schema' and commit)", err=True)
        if stale:
            sys.exit(1)
        click.echo("schema: up to date.")
        return
    changed = write_schemas(root)
    click.echo("\n".join(f"wrote {rel}" for rel in changed) or "schema: up to date.")


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--out", "out", default="dist", show_default=True, type=click.Path(path_type=Path), help="Folder to write the release into.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def build(path: Path | None, out: Path, quiet: bool) -> None:
    """Validate, then build the release: DIR/nkdata-VERSION/ (CSV, Parquet,
    datapackage.json, texts, and the data card README.md with LICENSE-DATA,
    data-dictionary.md, CITATION.cff and this version's CHANGELOG.md entry)
    and DIR/nkdata-VERSION.zip.

    Refuses invalid data (exit 1, the same messages as validate) or a version
    CHANGELOG.md has no entry for, and never overwrites a release of the same
    version with different content.
    """
    from nkdata.cli import progress as bar
    from nkdata.release.writer import build as run

    with bar.terminal(quiet) as progress, without_pandas():
        folder = run(path, out, progress=progress)
    click.echo(f"built {folder} and {folder}.zip")


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--out", "out", default=None, type=click.Path(path_type=Path), help="Build folder (default: PATH/dist).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if registry.txt, data/releases/, nkdata/_release/ and CHANGELOG.md disagree.")
@handle_errors
def release(path: Path | None, out: Path | None, check: bool) -> None:
    """Build the current version and record it: data/releases/VERSION/,
    the copy embedded in the package (nkdata/_release/) and nkdata/registry.txt.
    The build folder also gets the release's other published assets, not recorded:
    nkdata-VERSION.sqlite and its datasette metadata, nkdata-VERSION.metadata.json.

    Refuses (exit 1, nothing written) when validation fails, when the version in
    nkdata/_version.py is lower than the changes since the last recorded release
    need, when that version is recorded with different content, or when
    CHANGELOG.md has no entry for it.
    """
    from nkdata.versioning.record import check_recorded, record_release

    if check:
        with without_pandas():
            problems = check_recorded(path)
        for line in problems:
            click.echo(line, err=True)
        if problems:
            sys.exit(1)
        click.echo("release: recorded releases, registry and embedded copy agree.")
        return
    with without_pandas():
        folder = record_release(path, out)
    click.echo(f"released {folder.name}: {folder}.zip, recorded in data/releases/ and nkdata/registry.txt")
    click.echo(f"wrote {folder}.sqlite and {folder}.metadata.json (published with the zip, not recorded)")


@main.command()
@click.option("--version", "version", default=None, help="Release to describe (default: the embedded one).")
@click.option(
    "--mirror", default=None,
    help="Where to download a release that is not embedded or cached (or NKDATA_MIRROR); default: where releases are published.",
)
@click.option("--sources", "list_sources", is_flag=True, help="Also list every source (id and title, else its URL).")
@handle_errors
def info(version: str | None, mirror: str | None, list_sources: bool) -> None:
    """A summary of a release: version, tables, coverage and cut-off, originators, licence, where it lives."""
    from nkdata.access.loader import load
    from nkdata.access.registry import download_base, registry
    from nkdata.release.layout import published_base, zip_name
    from nkdata.release.summary import about, summarise

    ds = load(version=version, mirror=mirror, format="arrow")
    tables = {name: ds[name].to_pylist() for name in ds}
    s = summarise(tables, about(ds.datapackage, ds.version))
    click.echo(f"nkdata {ds.version} (package {__version__}), released {s.about.released or '?'}")
    click.echo(f"data: {ds.path}")
    if (Path(ds.path) / "README.md").is_file():
        click.echo(f"data card: {Path(ds.path) / 'README.md'} (coverage, limits, how to cite, licences)")
    if s.about.homepage:
        click.echo(f"home: {s.about.homepage}")
    licences = ", ".join(str(lic.get("name", "?")) for lic in s.about.licenses)
    click.echo(f"licence: {licences} (the tables; the archived texts and the words quoted from them remain their publishers')")
    base = download_base()
    if base and ds.version in registry():
        click.echo(f"download: {published_base(base, ds.version)}/{zip_name(ds.version)} (the zip; its sha256 is in the package's registry)")
    click.echo("tables:")
    for name, n in s.counts.items():
        click.echo(f"  {name:<11} {n:>7} rows")
    if s.claims.first is not None:
        click.echo(f"coverage: claims dated {s.claims.first} to {s.cut_off} (the cut-off: the latest day a claim refers to)")
    if s.first is not None:
        click.echo(f"records (figures, statements, events) refer to days from {s.first} to {s.last}")
    click.echo(f"originators: {s.originators} (nkdata show claims; docs/coverage.md in the repository)")
    if not list_sources:
        click.echo(f"sources: {s.sources} (list them with --sources)")
        return
    click.echo(f"sources ({s.sources}):")
    for src in tables["sources"]:
        click.echo(f"  {src['source_id']}: {src['title'] or src['url'] or '(no title or URL known)'}")


@main.command()
@click.argument("table")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=0), help="Rows to show (0: all).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True, help="Output format.")
@click.option("--version", "version", default=None, help="Release to read (default: the embedded one).")
@handle_errors
def show(table: str, limit: int, fmt: str, version: str | None) -> None:
    """Print the rows of TABLE (sources, entities, figures, statements, events, claims)."""
    from nkdata.access.loader import load

    if fmt in ("csv", "json"):  # from Arrow: lists, dates and integers spelled as in the release
        from nkdata.release.rows import csv_text, json_text

        rows = load(table, version=version, format="arrow")
        rows = rows.slice(0, limit) if 0 < limit < rows.num_rows else rows  # Arrow takes no length past a C long
        click.echo(csv_text(rows) if fmt == "csv" else json_text(rows), nl=fmt == "json")
        return
    df = load(table, version=version)
    if limit:
        df = df.head(limit)
    import pandas as pd

    from nkdata.problems import printable

    with pd.option_context("display.max_columns", None, "display.width", 200, "display.max_colwidth", 40):
        shown = df.astype(object).where(df.notna(), "")  # an empty cell is empty, as in the CSV, not NaN or <NA>
        shown = shown.map(lambda v: _shown_cell(v, printable))  # text from the data moves no cursor, hides nothing
        click.echo(shown.to_string(index=False))


def _shown_cell(value: Any, printable: Callable[[str], str]) -> Any:
    """A cell with its text escaped, the items of a list cell too (an entity's aliases are free text,
    and pandas prints a list's items as they are)."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, (list, tuple)):
        return [_shown_cell(item, printable) for item in value]
    return value


@main.command()
@click.option("--version", "version", default=None, help="Release to download (default: this package's own).")
@click.option("--dest", default=".", show_default=True, type=click.Path(path_type=Path), help="Folder to put the zip in.")
@click.option(
    "--mirror", default=None,
    help="A folder or https:// site holding the zip (or NKDATA_MIRROR); default: where releases are published (NKDATA_BASE_URL).",
)
@handle_errors
def download(version: str | None, dest: Path, mirror: str | None) -> None:
    """Save a release zip (CSV + Parquet + datapackage.json) for use outside Python.

    The embedded release is zipped locally, byte-identical to the published zip;
    other versions are downloaded (from the mirror, else from where releases are
    published: the project's GitHub Releases) and checked against the registry.
    """
    from nkdata.access.download import save_zip

    path = save_zip(version, dest, mirror)
    click.echo(f"saved {path}")


@main.command()
@click.argument("fmt", metavar="FORMAT", type=click.Choice(["sqlite"]))
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--release", default=None, type=click.Path(path_type=Path), help="Release folder or its datapackage.json (default: the embedded release).")
@click.option("--metadata", default=None, type=click.Path(path_type=Path), help="Where to write datasette's metadata (default: OUT's name, .metadata.json).")
@handle_errors
def export(fmt: str, out: Path, release: Path | None, metadata: Path | None) -> None:
    """Export a release as FORMAT to OUT. sqlite: one database with every table,
    its primary and foreign keys, a link table per list column (such as
    figure_attribution), full-text search (FTS5) and datasette metadata.

    Browse it with: datasette OUT -m METADATA. OUT is replaced atomically;
    on an error nothing is written.
    """
    from nkdata.outputs.sqlite import export_sqlite

    done = export_sqlite(out, release, metadata if metadata is not None else True)
    rows = sum(done.tables.values())
    click.echo(f"wrote {done.path}: nkdata {done.version}, {len(done.tables)} tables, {rows} rows")
    click.echo(f"wrote {done.metadata_path}; browse with: datasette {done.path} -m {done.metadata_path}")


@main.command()
@click.argument("old", required=False)
@click.argument("new", required=False)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
    help="Output format (markdown: for a pull-request comment or CHANGELOG draft).",
)
@click.option("--check-version", is_flag=True, help="Exit 1 when NEW's declared version is lower than the change requires.")
@click.option(
    "--root", default=None, type=click.Path(path_type=Path),
    help="Project root for released version numbers and the defaults (default: the current directory).",
)
@click.option(
    "--max-details", default=1000, show_default=True, type=click.IntRange(min=0),
    help="Changed records per table shown field by field (0: all); the rest by id.",
)
@handle_errors
def diff(old: str | None, new: str | None, fmt: str, check_version: bool, root: Path | None, max_details: int) -> None:
    """Compare two versions of the data: records added, removed and changed
    (field by field), schema changes, and the SemVer level they need.

    OLD and NEW are each a release folder, zip, datapackage.json, released
    version (X.Y.Z), project root or 'none'. Defaults: OLD the latest release
    in data/releases/, NEW the working tree.
    """
    from nkdata.versioning.diff import diff as run
    from nkdata.versioning.report import format_diff

    result = run(old, new, root, max_details=max_details or None)
    click.echo(format_diff(result, fmt, check=check_version))
    if check_version:
        ok, message = result.version_check()
        click.echo(message, err=True)
        if not ok:
            sys.exit(1)


@main.command("new-source")
@click.argument("text_file", type=click.Path(path_type=Path))
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--id", "source_id", default=None, help="Source id (default: src- and the file name's words).")
@click.option("--title", default=None, help="Title as the text gives it (default: null; never guessed).")
@click.option("--language", default="en", show_default=True, help="BCP 47 code of the text's language.")
@handle_errors
def new_source(text_file: Path, path: Path | None, source_id: str | None, title: str | None, language: str) -> None:
    """Start a source: archive TEXT_FILE in seeds/ and write data/sources/NAME.yaml
    with its sha256, empty record lists and commented examples.

    PATH is the project root (default: the current directory). Never
    overwrites: refuses if the YAML exists or seeds/ holds a different file of
    that name.
    """
    from nkdata.curated.scaffold import new_source as run

    done = run(text_file, path, source_id=source_id, title=title, language=language)
    root = done.yaml_path.parents[2]
    if done.copied:
        click.echo(f"archived {done.text_path.relative_to(root).as_posix()}")
    click.echo(f"wrote {done.yaml_path.relative_to(root).as_posix()} (source {done.source_id})")
    click.echo("next: add records from the text, then run 'nkdata validate' (see CONTRIBUTING.md)")


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--release",
    "release",
    default=None,
    type=click.Path(path_type=Path),
    help="Release folder (or its datapackage.json) to show. Default: build the project at PATH "
    "(default: the current directory) into a temporary folder; outside a project, the embedded release.",
)
@click.option("--out", "out", default="site", show_default=True, type=click.Path(path_type=Path), help="Folder to write the site into.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@handle_errors
def site(path: Path | None, release: Path | None, out: Path, quiet: bool) -> None:
    """Build a static site of the data: home page with counts, coverage cut-off,
    charts, downloads and citation; a page per claim, source and originator with the
    evidence highlighted in its archived text; a filterable table of all figures and a
    search over evidence and quotes. Plain files: open OUT/index.html from disk or put
    OUT on any static host; nothing is fetched at view time. Needs matplotlib
    (pip install 'nkdata[site]').
    """
    from nkdata.cli import progress as bar
    from nkdata.outputs.site import build_site

    with bar.terminal(quiet) as progress:
        result = build_site(out, release=release, project=path, progress=progress)
    click.echo(
        f"built the site of release {result.version} in {result.out}: {result.pages} pages, {result.files} files, "
        f"{result.bytes / 1e6:.1f} MB in {result.seconds:.1f} s; open {result.out / 'index.html'}"
    )


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--metric", "metrics", multiple=True, help="Metric to draw, one panel each (repeat the option). Default: casualties, killed, wounded.")
@click.option(
    "--release", "release", default=None, type=click.Path(path_type=Path), help="Release folder (or its datapackage.json). Default: as for 'nkdata site'."
)
@click.option("--title", default=None, help="Title above the chart (default: the metrics and the release).")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path), help="File to write: .svg or .png.")
@handle_errors
def plot(path: Path | None, metrics: tuple[str, ...], release: Path | None, title: str | None, out: Path) -> None:
    """Draw the claims over time, as on the site: one panel per metric, one colour per
    originator, ranges as bars and one-sided bounds as arrows. Needs matplotlib
    (pip install 'nkdata[site]').
    """
    from nkdata.outputs.site.plot import plot as run

    written = run(out, metrics, release=release, project=path, title=title)
    click.echo(f"wrote {written}")


def run() -> None:
    """Console-script entry point (``nkdata``): the command, in a process set up for it
    (:func:`nkdata.cli.process.command_process`: what that changes, and why)."""
    with command_process():
        main()


if __name__ == "__main__":  # pragma: no cover
    run()
