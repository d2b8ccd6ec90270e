"""The ``nkdata`` command: a thin shell over the library.

Each command calls one library function and turns :class:`NkdataError` into a
one-line message and exit code 1 (usage errors: 2). Output goes to stdout;
diagnostics to stderr.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import Any, Callable

import click

from ._version import __version__
from .errors import NkdataError, UsageError


def handle_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn library errors into clean exits: never a traceback for bad input."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UsageError as exc:
            raise click.UsageError(str(exc)) from None
        except NkdataError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


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
@click.option("-q", "--quiet", is_flag=True, help="Print nothing when valid.")
@handle_errors
def validate(path: Path | None, fmt: str | None, quiet: bool) -> None:
    """Check curated data (a project root, default the current directory).

    Reports every problem as PATH:LINE:COL: CODE RECORD FIELD: MESSAGE (hint).
    Exit 0 when valid, 1 when not, 2 on a usage error. Never writes a file.
    """
    from .problems import format_problems
    from .validate import validate as run

    fmt = fmt or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    problems = run(path)
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
    from .project import find_root
    from .schema import drifted, write_schemas

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
@handle_errors
def build(path: Path | None, out: Path) -> None:
    """Validate, then build the release: DIR/nkdata-VERSION/ (CSV, Parquet,
    datapackage.json, texts) and DIR/nkdata-VERSION.zip.

    Refuses invalid data (exit 1, the same messages as validate) and never
    overwrites a release of the same version with different content.
    """
    from .build import build as run
    from .errors import ValidationFailed
    from .problems import format_problems

    try:
        folder = run(path, out)
    except ValidationFailed as exc:
        click.echo(format_problems(exc.problems, "text"))
        click.echo(f"{len(exc.problems)} problems found: nothing built.", err=True)
        sys.exit(1)
    click.echo(f"built {folder} and {folder}.zip")


@main.command()
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--out", "out", default=None, type=click.Path(path_type=Path), help="Build folder (default: PATH/dist).")
@handle_errors
def release(path: Path | None, out: Path | None) -> None:
    """Build the current version and record it: data/releases/VERSION/,
    the copy embedded in the package (nkdata/_release/) and nkdata/registry.txt."""
    from .errors import ValidationFailed
    from .problems import format_problems
    from .release import record_release

    try:
        folder = record_release(path, out)
    except ValidationFailed as exc:
        click.echo(format_problems(exc.problems, "text"))
        click.echo(f"{len(exc.problems)} problems found: nothing released.", err=True)
        sys.exit(1)
    click.echo(f"released {folder.name}: {folder}.zip, recorded in data/releases/ and nkdata/registry.txt")


@main.command()
@click.option("--version", "version", default=None, help="Release to describe (default: the embedded one).")
@click.option("--mirror", default=None, help="Where to download a release that is not embedded or cached (or NKDATA_MIRROR).")
@handle_errors
def info(version: str | None, mirror: str | None) -> None:
    """Version, tables with row counts, sources, licence and where the data lives."""
    from .loader import load

    ds = load(version=version, mirror=mirror, format="arrow")
    dp = ds.datapackage
    click.echo(f"nkdata {ds.version} (package {__version__}), released {dp.get('created', '?')[:10]}")
    click.echo(f"data: {ds.path}")
    click.echo("licence: " + ", ".join(lic.get("name", "?") for lic in dp.get("licenses", [])))
    click.echo("tables:")
    for name in ds:
        click.echo(f"  {name:<11} {ds[name].num_rows:>7} rows")
    sources = ds["sources"].to_pylist()
    click.echo(f"sources ({len(sources)}):")
    for s in sources:
        click.echo(f"  {s['source_id']}: {s['title']}")


@main.command()
@click.argument("table")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=0), help="Rows to show (0: all).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("--version", "version", default=None, help="Release to read (default: the embedded one).")
@handle_errors
def show(table: str, limit: int, fmt: str, version: str | None) -> None:
    """Print the rows of TABLE (sources, entities, figures, statements, events)."""
    from .loader import load

    df = load(table, version=version)
    if limit:
        df = df.head(limit)
    if fmt == "csv":
        click.echo(df.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(df.to_json(orient="records", force_ascii=False, date_format="iso", indent=2))
    else:
        import pandas as pd

        with pd.option_context("display.max_columns", None, "display.width", 200, "display.max_colwidth", 40):
            click.echo(df.to_string(index=False))


@main.command()
@click.option("--version", "version", default=None, help="Release to download (default: this package's own).")
@click.option("--dest", default=".", show_default=True, type=click.Path(path_type=Path), help="Folder to put the zip in.")
@click.option("--mirror", default=None, help="Where releases are published (or NKDATA_MIRROR).")
@handle_errors
def download(version: str | None, dest: Path, mirror: str | None) -> None:
    """Save a release zip (CSV + Parquet + datapackage.json) for use outside Python.

    The embedded release is zipped locally, byte-identical to the published zip;
    other versions are downloaded and checked against the registry.
    """
    from .download import save_zip

    path = save_zip(version, dest, mirror)
    click.echo(f"saved {path}")


if __name__ == "__main__":  # pragma: no cover
    main()
