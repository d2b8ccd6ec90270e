"""nkdata: North Korea's troops in the Russia–Ukraine war, as source-traceable data.

    >>> import nkdata
    >>> figures = nkdata.load("figures")     # pandas, from the release inside the wheel
    >>> ds = nkdata.load()                   # every table; ds.provenance("fig-...")

Everything but the version and the exceptions is imported on first use, so
``import nkdata`` stays fast: pydantic, pandas, pyarrow, frictionless and
pooch load only when a function needs them.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import BuildError, DataNotAvailable, IntegrityError, NkdataError, UsageError, ValidationFailed

if TYPE_CHECKING:  # pragma: no cover
    from .build import build
    from .loader import Dataset, load, tables, versions
    from .problems import Problem
    from .validate import validate

_LAZY = {
    "load": "loader",
    "Dataset": "loader",
    "tables": "loader",
    "versions": "loader",
    "validate": "validate",
    "build": "build",
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


class _Package(ModuleType):
    """Importing a submodule sets it as an attribute of the package; three of them share
    a name with a public function (build, validate, tables), so without this guard
    ``nkdata.build(...)`` would turn ``nkdata.validate`` and ``nkdata.tables`` into modules.
    Reach the modules with ``from nkdata.build import ...`` or ``importlib.import_module``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
