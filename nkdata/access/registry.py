"""The released versions and the sha256 of each release zip, shipped with the package.

``nkdata/registry.txt`` is generated from ``data/releases/`` by ``nkdata release``;
never edit it by hand.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from nkdata.release.layout import PACKAGE_DIR, REGISTRY_FILE, version_of
from nkdata.versioning.semver import sort_versions


@lru_cache(maxsize=1)
def registry() -> dict[str, str]:
    """version → sha256 of ``nkdata-<version>.zip``."""
    text = resources.files(PACKAGE_DIR).joinpath(REGISTRY_FILE).read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fname, digest = line.split()
        out[version_of(fname)] = digest.removeprefix("sha256:")
    return out


def versions() -> list[str]:
    """Every released version, oldest first."""
    return sort_versions(registry())
