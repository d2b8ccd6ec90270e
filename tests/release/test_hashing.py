"""sha256 of release files, read a block at a time: the digest of the whole file, whatever its size."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from nkdata.release import hashing


@pytest.mark.parametrize("size", [0, 1, hashing.BLOCK - 1, hashing.BLOCK, hashing.BLOCK + 1, 3 * hashing.BLOCK + 5])
def test_a_file_is_hashed_whole_across_block_boundaries(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    assert hashing.sha256_file(path) == hashlib.sha256(data).hexdigest()
    assert hashing.sha256_file(str(path)) == hashing.sha256_bytes(data)
