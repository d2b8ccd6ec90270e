"""sha256 of release files, and the check of a file's bytes against its descriptor entry.

Shared by the writer (which records hashes) and every reader (which checks
them), so that no reader imports the writer.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from nkdata.errors import IntegrityError

BLOCK = 1 << 22  # bytes read at a time when hashing a file


def sha256_file(path: Path | str) -> str:
    """The hex sha256 of a file, read in blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(BLOCK), b""):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """The hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def expected_sha256(entry: dict[str, Any]) -> str:
    """The hex digest a descriptor entry records (its ``hash``, ``sha256:`` prefix removed)."""
    return str(entry.get("hash", "")).removeprefix("sha256:")


def verify_bytes(path: Path | str, data: bytes, entry: dict[str, Any]) -> None:
    """Raise IntegrityError unless ``data`` has the size and sha256 that ``entry`` records for ``path``."""
    size = entry.get("bytes")
    if size is not None and len(data) != size:
        raise IntegrityError(f"{path}: {len(data):,} bytes, datapackage.json says {size:,}; the file was altered or truncated: refusing to load it")
    expected, actual = expected_sha256(entry), sha256_bytes(data)
    if actual != expected:
        raise IntegrityError(f"{path}: sha256 {actual} does not match datapackage.json ({expected}); the file was altered: refusing to load it")
