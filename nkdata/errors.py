"""Every error a user can cause, as one family.

    NkdataError
    ├── ValidationFailed      curated data or a package has problems (carries them all)
    ├── UsageError            a bad argument: unknown table, path that is not a project, ...
    ├── BuildError            a build that would overwrite a release or could not finish
    ├── IntegrityError        a file whose sha256 or size differs from its descriptor
    └── DataNotAvailable      a release that is neither embedded, cached nor downloadable

The CLI turns each into a one-line message and exit code 1 (2 for UsageError);
the library never prints.

    >>> import nkdata
    >>> try:
    ...     nkdata.load("no-such-table")
    ... except nkdata.NkdataError as exc:
    ...     print(type(exc).__name__, "-", exc)
    UsageError - no table 'no-such-table'; tables: sources, ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from nkdata.problems import Problem


class NkdataError(Exception):
    """Base class of every error nkdata raises about its input.

    Catch it to handle them all; its message is one sentence that says what
    is wrong and how to fix it.

    Examples
    --------
    >>> import nkdata
    >>> issubclass(nkdata.IntegrityError, nkdata.NkdataError)
    True
    >>> try:
    ...     nkdata.load(version="9.9.9")
    ... except nkdata.NkdataError as exc:
    ...     print(exc)
    nkdata 9.9.9 is not a released version; released: ...
    """


class UsageError(NkdataError):
    """An argument the caller can fix: a wrong table name, a path that is not a project, an unknown version.

    Examples
    --------
    >>> import nkdata
    >>> try:
    ...     nkdata.load("figures", format="excel")
    ... except nkdata.UsageError as exc:
    ...     print(exc)
    unknown format 'excel'; use one of pandas, arrow, polars
    """


class ValidationFailed(NkdataError):
    """The data has problems; raised by :func:`nkdata.build` before anything is written.

    Parameters
    ----------
    problems : list of Problem
        Every problem found, not just the first (also the ``problems`` attribute).

    Examples
    --------
    >>> import nkdata
    >>> from nkdata.problems import Problem
    >>> exc = nkdata.ValidationFailed([Problem("data/entities.yaml", 3, 5, "Y100", None, None, "not valid YAML")])
    >>> str(exc)
    '1 problem found; first: data/entities.yaml:3:5: Y100 - -: not valid YAML'
    >>> [p.code for p in exc.problems]
    ['Y100']
    """

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        n = len(problems)
        first = problems[0].format_text() if problems else ""
        super().__init__(f"{n} problem{'s' if n != 1 else ''} found; first: {first}")


class BuildError(NkdataError):
    """A build or release was refused or failed; nothing was written.

    Raised when a different release of the same version already exists
    (released versions never change), when ``data/package.yaml`` has no
    ``release_date``, when CHANGELOG.md has no entry for the version, when the
    output folder cannot be written, or when ``nkdata release`` finds the
    declared version too low for the changes.

    Examples
    --------
    >>> import tempfile, nkdata
    >>> from pathlib import Path
    >>> out = Path(tempfile.mkdtemp())
    >>> (out / "nkdata-0.3.0").mkdir()
    >>> _ = (out / "nkdata-0.3.0" / "notes.txt").write_text("something else")
    >>> try:
    ...     nkdata.build(".", out=out, version="0.3.0")
    ... except nkdata.BuildError as exc:
    ...     print(exc)
    /.../nkdata-0.3.0 already holds release 0.3.0 with different content (...); released versions never change: ...
    """


class IntegrityError(NkdataError):
    """A file does not match the sha256 or size recorded for it, or a release zip is unsafe.

    Raised when a file is read (each is verified then), for a downloaded zip
    whose sha256 differs from the registry, and for a zip that breaks the
    rules of :mod:`nkdata.release.archive`. The message names the file.

    Examples
    --------
    >>> import shutil, tempfile, nkdata
    >>> from pathlib import Path
    >>> from nkdata.access.loader import embedded_path
    >>> from nkdata.release.reader import Release
    >>> copy = shutil.copytree(embedded_path(), Path(tempfile.mkdtemp()) / "copy")
    >>> _ = (copy / "figures.parquet").write_bytes(b"not the released bytes")
    >>> try:
    ...     Release(copy).arrow("figures")
    ... except nkdata.IntegrityError as exc:
    ...     print(exc)
    /.../figures.parquet: 22 bytes, datapackage.json says ...; the file was altered or truncated: refusing to load it
    """


class DataNotAvailable(NkdataError):
    """The requested release is not embedded, not cached and cannot be downloaded.

    Without a mirror it is downloaded from where releases are published (the
    registry's ``base:``, or ``NKDATA_BASE_URL``); when that fails too (offline,
    or a 404), the message names the URL and says how else to get it: pass
    ``mirror=`` (or set ``NKDATA_MIRROR``) to a folder or site holding the
    release zip, or install that version of nkdata, whose wheel embeds it.

    Examples
    --------
    >>> import os, tempfile, nkdata
    >>> os.environ["NKDATA_CACHE"] = tempfile.mkdtemp()  # an empty cache, and no NKDATA_MIRROR
    >>> os.environ["NKDATA_BASE_URL"] = "https://127.0.0.1:9/v{version}/"  # releases published where nothing answers
    >>> older = [v for v in nkdata.versions() if v != nkdata.__version__][0]
    >>> try:
    ...     nkdata.load(version=older)
    ... except nkdata.DataNotAvailable as exc:
    ...     print(exc)
    could not download https://127.0.0.1:9/v.../nkdata-....zip: ... is not embedded in this package ... Pass mirror=URL or set NKDATA_MIRROR ...
    """
