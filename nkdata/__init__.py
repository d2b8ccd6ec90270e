"""nkdata: North Korea's troops in the Russia–Ukraine war, as source-traceable data.

    >>> import nkdata
    >>> figures = nkdata.load("figures")          # pandas, from the release in the wheel

Heavy libraries (pandas, pyarrow, frictionless, pooch) are imported only by the
functions that need them, so ``import nkdata`` stays fast.
"""

from ._version import __version__
from .errors import BuildError, DataNotAvailable, IntegrityError, NkdataError, UsageError, ValidationFailed
from .problems import Problem
from .validate import validate

__all__ = [
    "__version__",
    "validate",
    "Problem",
    "NkdataError",
    "UsageError",
    "ValidationFailed",
    "BuildError",
    "IntegrityError",
    "DataNotAvailable",
]
