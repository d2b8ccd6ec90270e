"""nkdata: North Korea's troops in the Russia–Ukraine war, as source-traceable data.

    >>> import nkdata
    >>> figures = nkdata.load("figures")     # pandas, from the release inside the wheel
    >>> ds = nkdata.load()                   # every table; ds.provenance("fig-...")

Everything but the version and the exceptions is imported on first use, so
``import nkdata`` stays fast: pydantic, pandas, pyarrow, frictionless and
pooch load only when a function needs them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import BuildError, DataNotAvailable, IntegrityError, NkdataError, UsageError, ValidationFailed

if TYPE_CHECKING:  # pragma: no cover
    from .builder import build
    from .loader import Dataset, load, tables, versions
    from .problems import Problem
    from .validation import validate

_LAZY = {
    "load": "loader",
    "Dataset": "loader",
    "tables": "loader",
    "versions": "loader",
    "validate": "validation",
    "build": "builder",
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
