"""Every error a user can cause, as one family.

    NkdataError
    ├── ValidationFailed      curated data or a package has problems (carries them all)
    ├── UsageError            a bad argument: unknown table, path that is not a project, ...
    ├── BuildError            a build that would overwrite a release or could not finish
    ├── IntegrityError        a file whose sha256 or size differs from its descriptor
    └── DataNotAvailable      a release that is neither embedded, cached nor downloadable

The CLI turns each into a one-line message and exit code 1 (2 for UsageError);
the library never prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from nkdata.problems import Problem


class NkdataError(Exception):
    """Base class: catch this to handle anything nkdata reports about your input."""


class UsageError(NkdataError):
    """An argument the caller can fix: wrong table name, missing path, bad version."""


class ValidationFailed(NkdataError):
    """The data has problems; ``problems`` holds every one, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        n = len(problems)
        first = problems[0].format_text() if problems else ""
        super().__init__(f"{n} problem{'s' if n != 1 else ''} found; first: {first}")


class BuildError(NkdataError):
    """A build was refused or failed; nothing was written."""


class IntegrityError(NkdataError):
    """A data file does not match the sha256 or size recorded for it."""


class DataNotAvailable(NkdataError):
    """The requested release is not embedded, not cached and cannot be fetched."""
