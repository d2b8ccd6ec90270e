"""The released versions and the sha256 and size of each release zip, shipped with the package.

Each line is ``nkdata-X.Y.Z.zip sha256:HEX bytes:N`` (``bytes:`` may be absent
in an older registry; downloads are then capped at ``MAX_DOWNLOAD_BYTES``).
``nkdata/registry.txt`` is generated from ``data/releases/`` by ``nkdata release``;
never edit it by hand.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from nkdata.release.layout import PACKAGE_DIR, REGISTRY_FILE, version_of
from nkdata.versioning.semver import sort_versions


def _lines() -> list[tuple[str, dict[str, str]]]:
    """(version, {field: value}) for each line: ``sha256`` and, when recorded, ``bytes``."""
    text = resources.files(PACKAGE_DIR).joinpath(REGISTRY_FILE).read_text(encoding="utf-8")
    out: list[tuple[str, dict[str, str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
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


def versions() -> list[str]:
    """Every released version, oldest first."""
    return sort_versions(registry())
