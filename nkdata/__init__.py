"""nkdata: North Korea's troops in the Russia–Ukraine war, as source-traceable data.

    >>> import nkdata
    >>> figures = nkdata.load("figures")     # pandas, from the release inside the wheel
    >>> ds = nkdata.load()                   # every table; ds.provenance("fig-...")

Everything but the version and the exceptions is imported on first use, so
``import nkdata`` stays fast: pydantic, pandas, pyarrow and requests load only
when a function needs them (frictionless is never imported: it checks a built
package from outside, ``frictionless validate``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from nkdata._version import __version__
from nkdata.errors import BuildError, DataNotAvailable, IntegrityError, NkdataError, UsageError, ValidationFailed

if TYPE_CHECKING:  # pragma: no cover
    from nkdata.access.loader import Dataset, load, tables, versions
    from nkdata.checks.validation import validate
    from nkdata.problems import Problem
    from nkdata.release.writer import build

_LAZY = {
    "load": "access.loader",
    "Dataset": "access.loader",
    "tables": "access.loader",
    "versions": "access.loader",
    "validate": "checks.validation",
    "build": "release.writer",
    "Problem": "problems",
}

__all__ = [
    "__version__",
    "load",
    "Dataset",
    "tables",
    "versions",
    "validate",
    "build",
    "Problem",
    "NkdataError",
    "UsageError",
    "ValidationFailed",
    "BuildError",
    "IntegrityError",
    "DataNotAvailable",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'nkdata' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
