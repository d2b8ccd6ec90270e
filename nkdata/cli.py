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


if __name__ == "__main__":  # pragma: no cover
    main()
