"""The released versions and the sha256 and size of each release zip, shipped with the package.

``nkdata/registry.txt`` is generated from ``data/releases/`` and data/package.yaml
by ``nkdata release``; never edit it by hand. Besides ``#`` comments it holds:

- at most one ``base: URL`` line: where each release's assets are published, an
  ``https://`` URL in which ``{version}`` stands for the version, ending in ``/``
  (pooch's model: a registry of hashes plus a base URL), e.g.
  ``base: https://github.com/nkdata/nkdata/releases/download/v{version}/``;
- one line per release: ``nkdata-X.Y.Z.zip sha256:HEX bytes:N`` (``bytes:`` may be
  absent in an older registry; downloads are then capped at ``MAX_DOWNLOAD_BYTES``).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from nkdata.release.layout import PACKAGE_DIR, REGISTRY_FILE, version_of
from nkdata.versioning.semver import sort_versions

#: the registry line naming where releases are published
BASE_KEY = "base:"


@lru_cache(maxsize=1)
def _text() -> str:
    return resources.files(PACKAGE_DIR).joinpath(REGISTRY_FILE).read_text(encoding="utf-8")


def _lines() -> list[tuple[str, dict[str, str]]]:
    """(version, {field: value}) for each release line: ``sha256`` and, when recorded, ``bytes``."""
    out: list[tuple[str, dict[str, str]]] = []
    for line in _text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.startswith(BASE_KEY):
            continue
        fname, *fields = line.split()
        out.append((version_of(fname), {key: value for key, _, value in (f.partition(":") for f in fields)}))
    return out


@lru_cache(maxsize=1)
def registry() -> dict[str, str]:
    """version → sha256 of ``nkdata-<version>.zip``."""
    return {version: fields["sha256"] for version, fields in _lines()}


@lru_cache(maxsize=1)
def sizes() -> dict[str, int]:
    """version → byte size of ``nkdata-<version>.zip``, for the versions whose line records it."""
    return {version: int(fields["bytes"]) for version, fields in _lines() if fields.get("bytes", "").isdigit()}


def download_base() -> str | None:
    """Where releases are published, as the registry's ``base:`` line gives it (``{version}`` unfilled), or None."""
    for line in _text().splitlines():
        if line.startswith(BASE_KEY):
            return line.removeprefix(BASE_KEY).strip() or None
    return None


def versions() -> list[str]:
    """Every released version, oldest first."""
    return sort_versions(registry())
