"""The released versions and the sha256 of each release zip, shipped with the package.

``nkdata/registry.txt`` is generated from ``data/releases/`` by ``nkdata release``;
never edit it by hand.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

REGISTRY_FILE = "registry.txt"


@lru_cache(maxsize=1)
def registry() -> dict[str, str]:
    """version → sha256 of ``nkdata-<version>.zip``."""
    text = resources.files("nkdata").joinpath(REGISTRY_FILE).read_text(encoding="utf-8")
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fname, digest = line.split()
        version = fname.removeprefix("nkdata-").removesuffix(".zip")
        out[version] = digest.removeprefix("sha256:")
    return out


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def versions() -> list[str]:
    """Every released version, oldest first."""
    return sorted(registry(), key=_key)
