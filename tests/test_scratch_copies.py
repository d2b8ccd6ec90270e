"""The scratch copies the suite lends to tests (tests/scratch_copies.py) come back exactly as first made.

Most tests that edit the real project borrow one copy per worker; a copy put back wrong would
make every later test on that worker test something else, so here every kind of change a
test makes is undone and compared, content and all, with a fresh copy."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ENTITIES, SEED_001, SRC_001, copy_project, snapshot
from scratch_copies import ScratchPool


def _same_content(a: Path, b: Path) -> None:
    """Same entries, kinds, link targets and bytes (times aside: a fresh copy has its own folder times)."""
    sa, sb = snapshot(a), snapshot(b)
    assert sa.keys() == sb.keys()
    assert {k: v[:2] for k, v in sa.items()} == {k: v[:2] for k, v in sb.items()}


def _rewrite_same_size(root: Path) -> None:
    path = root / "project" / SRC_001
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("value: 4000\n", "value: 5000\n", 1), encoding="utf-8")


def _rewrite_hiding_the_time(root: Path) -> None:
    path = root / "project" / SRC_001
    st = path.stat()
    _rewrite_same_size(root)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def _unreadable_folder(root: Path) -> None:
    (root / "project" / "seeds").chmod(0)


EDITS: dict[str, Callable[[Path], object]] = {
    "same-size-rewrite": _rewrite_same_size,
    "rewrite-with-its-old-mtime": _rewrite_hiding_the_time,
    "appended": lambda root: (root / "project" / ENTITIES).write_text("x: 1\n", encoding="utf-8"),
    "file-deleted": lambda root: (root / "project" / SEED_001).unlink(),
    "folder-deleted": lambda root: shutil.rmtree(root / "project" / "data" / "sources"),
    "file-added": lambda root: (root / "project" / "data" / "sources" / "zz.yaml").write_text("x", encoding="utf-8"),
    "folder-added": lambda root: (root / "project" / "dist" / "nkdata-9" / "t").mkdir(parents=True),
    "beside-the-project": lambda root: (root / "outside-secret.txt").write_text("secret", encoding="utf-8"),
    "file-made-a-link": lambda root: (
        (root / "project" / SEED_001).unlink(),
        os.symlink(os.devnull, root / "project" / SEED_001),
    ),
    "folder-made-a-file": lambda root: (shutil.rmtree(root / "project" / "schema"), (root / "project" / "schema").write_text("x")),
    "mode-changed": lambda root: (root / "project" / ENTITIES).chmod(0o600),
    "folder-unreadable": _unreadable_folder,
    "renamed": lambda root: (root / "project" / SRC_001).rename(root / "project" / "data" / "moved.yaml"),
}


@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> ScratchPool:
    """One pool for the module's loans, as a worker has one for its tests."""
    return ScratchPool(tmp_path_factory.mktemp("pool"))


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fresh")
    copy_project(folder / "project")
    return folder


@pytest.mark.parametrize("edit", EDITS.values(), ids=EDITS.keys())
def test_a_lent_copy_comes_back_as_a_fresh_copy(pool: ScratchPool, fresh: Path, edit: Callable[[Path], object]) -> None:
    for _ in range(2):  # lent twice: the second loan starts from what the first put back
        with pool.lend("project", lambda folder: copy_project(folder / "project")) as folder:
            _same_content(folder, fresh)
            edit(folder)
            assert snapshot(folder) != snapshot(fresh)
        _same_content(folder, fresh)


def test_the_copy_is_made_once_and_put_back_without_copying_it_all(tmp_path: Path) -> None:
    pool = ScratchPool(tmp_path / "pool")
    made: list[Path] = []

    def make(folder: Path) -> None:
        made.append(folder)
        copy_project(folder / "project")

    inodes = None
    for _ in range(3):
        with pool.lend("project", make) as folder:
            _rewrite_same_size(folder)
            now = {p: p.stat().st_ino for p in (folder / "project" / "seeds").iterdir()}
            assert inodes is None or now == inodes, "untouched files are kept, not copied again"
            inodes = now
    assert len(made) == 1


def test_a_failed_tests_copy_is_kept_as_it_left_it_and_the_next_gets_a_fresh_one(tmp_path: Path, fresh: Path) -> None:
    pool = ScratchPool(tmp_path / "pool")
    kept_at = tmp_path / "failed-test" / "as-left"
    with pool.lend("project", lambda folder: copy_project(folder / "project"), kept=lambda: kept_at) as folder:
        _rewrite_same_size(folder)
        (folder / "project" / "dist").mkdir()
    assert (kept_at / "project" / "dist").is_dir() and "value: 5000\n" in (kept_at / "project" / SRC_001).read_text(encoding="utf-8")
    with pool.lend("project", lambda folder: copy_project(folder / "project")) as folder:
        _same_content(folder, fresh)
