"""The names of a release, defined once.

A release of version X.Y.Z is a folder ``nkdata-X.Y.Z/`` holding
``datapackage.json``, one CSV and one Parquet file per table, the archived
source texts and the data card (README.md and the files it names), and its zip ``nkdata-X.Y.Z.zip`` (that folder, zipped). Inside
the package, the release of the package's own version is embedded under
``nkdata/_release/`` and the sha256 of every released zip is listed in
``nkdata/registry.txt``; in a project, each recorded release is kept under
``data/releases/X.Y.Z/``. ``nkdata release`` also writes the release as one SQLite
database, ``nkdata-X.Y.Z.sqlite``, with its datasette metadata
``nkdata-X.Y.Z.metadata.json``, beside the zip in the build folder (``dist/``): both
are published with the zip but never recorded (binary, rebuilt by the release workflow).

    >>> release_name("0.2.0"), zip_name("0.2.0")
    ('nkdata-0.2.0', 'nkdata-0.2.0.zip')
    >>> version_of("nkdata-0.2.0.zip")
    '0.2.0'
"""

from __future__ import annotations

from nkdata.errors import UsageError

PREFIX = "nkdata-"
ZIP_SUFFIX = ".zip"
DIGEST_SUFFIX = ".sha256"  # data/releases/X.Y.Z/nkdata-X.Y.Z.zip.sha256
SQLITE_SUFFIX = ".sqlite"  # dist/nkdata-X.Y.Z.sqlite
METADATA_SUFFIX = ".metadata.json"  # dist/nkdata-X.Y.Z.metadata.json, datasette's metadata of that database
DESCRIPTOR = "datapackage.json"
#: descriptor properties nkdata adds to the Data Package standard
PARQUET_PROPERTY = "nkdata:parquet"
#: where releases 0.1.0-0.3.0 (as first recorded) listed their archived texts; they are resources now
TEXTS_PROPERTY = "nkdata:texts"
#: the folder of the archived source texts, in a project and in a release
TEXTS_DIR = "seeds/"
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


def sqlite_name(version: str) -> str:
    """The SQLite database of release ``version``: ``nkdata-X.Y.Z.sqlite``."""
    return release_name(version) + SQLITE_SUFFIX


def metadata_name(version: str) -> str:
    """datasette's metadata of that database: ``nkdata-X.Y.Z.metadata.json``."""
    return release_name(version) + METADATA_SUFFIX


def version_of(name: str) -> str:
    """The version in a release folder or zip name (``nkdata-X.Y.Z[.zip]``)."""
    return name.removesuffix(ZIP_SUFFIX).removeprefix(PREFIX)


def published_base(template: str, version: str, origin: str = "NKDATA_BASE_URL") -> str:
    """Where ``version``'s assets are published, without a trailing slash: ``template`` (an ``https://``
    URL with ``{version}`` in it) filled in. Anything else is a usage error naming ``origin``."""
    if not (template[:8].lower() == "https://" and "{version}" in template and not any(c.isspace() for c in template)):
        raise UsageError(
            f"{origin} {template!r}: expected an https:// URL with {{version}} in it, "
            "such as https://github.com/OWNER/REPO/releases/download/v{version}/"
        )
    url = "https://" + template[8:].replace("{version}", version).rstrip("/")
    check_url(url, origin)
    return url


def check_url(url: str, origin: str) -> None:
    """Raise UsageError naming ``origin`` unless ``urllib`` can parse ``url``: a bracket left open
    (``https://[::1``) or a port that is not a number would otherwise be a ValueError where it is used."""
    import urllib.parse  # already imported by pathlib: costs nothing

    try:
        urllib.parse.urlsplit(url).port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        raise UsageError(f"{origin} {url!r} is not a valid URL ({exc}); check how it is spelled") from None
