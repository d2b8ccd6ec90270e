"""The one place the package and data-release version is defined (SemVer)."""

__version__ = "0.3.0"
