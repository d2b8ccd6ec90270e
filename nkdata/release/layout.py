"""The names of a release, defined once.

A release of version X.Y.Z is a folder ``nkdata-X.Y.Z/`` holding
``datapackage.json``, one CSV and one Parquet file per table, the archived
source texts and the data card (README.md and the files it names), and its zip ``nkdata-X.Y.Z.zip`` (that folder, zipped). Inside
the package, the release of the package's own version is embedded under
``nkdata/_release/`` and the sha256 of every released zip is listed in
``nkdata/registry.txt``; in a project, each recorded release is kept under
``data/releases/X.Y.Z/``.

    >>> release_name("0.2.0"), zip_name("0.2.0")
    ('nkdata-0.2.0', 'nkdata-0.2.0.zip')
    >>> version_of("nkdata-0.2.0.zip")
    '0.2.0'
"""

from __future__ import annotations

PREFIX = "nkdata-"
ZIP_SUFFIX = ".zip"
DIGEST_SUFFIX = ".sha256"  # data/releases/X.Y.Z/nkdata-X.Y.Z.zip.sha256
DESCRIPTOR = "datapackage.json"
#: descriptor properties nkdata adds to the Data Package standard
PARQUET_PROPERTY = "nkdata:parquet"
TEXTS_PROPERTY = "nkdata:texts"
#: inside the installed package (``nkdata/``)
PACKAGE_DIR = "nkdata"
EMBEDDED_DIR = "_release"
REGISTRY_FILE = "registry.txt"
#: inside a project checkout
RELEASES_DIR = "data/releases"


def release_name(version: str) -> str:
    """The folder name of release ``version``: ``nkdata-X.Y.Z``."""
    return f"{PREFIX}{version}"


def zip_name(version: str) -> str:
    """The zip file name of release ``version``: ``nkdata-X.Y.Z.zip``."""
    return release_name(version) + ZIP_SUFFIX


def digest_name(version: str) -> str:
    """The file recording the sha256 of a release zip: ``nkdata-X.Y.Z.zip.sha256``."""
    return zip_name(version) + DIGEST_SUFFIX


def version_of(name: str) -> str:
    """The version in a release folder or zip name (``nkdata-X.Y.Z[.zip]``)."""
    return name.removesuffix(ZIP_SUFFIX).removeprefix(PREFIX)
