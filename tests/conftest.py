"""Shared fixtures: a copy of the real project a test may change, edits to its curated
files, and three ways to validate it (library API, in-process CLI, subprocess CLI).

Every bad-contribution test starts from the *real* curated data (a copy each worker
lends to one test at a time and puts back after it: tests/scratch_copies.py), applies
one edit and checks what ``nkdata validate`` says about it. Edits assert that the text
they replace is present, so a test fails loudly (instead of silently testing nothing)
when the curated data changes.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers_release import sha256
from hypothesis import settings
from scratch_copies import Loans, ScratchPool

from nkdata.checks.validation import validate
from nkdata.cli.main import main as cli_main
from nkdata.problems import Problem
from nkdata.release.writer import build

REPO = Path(__file__).resolve().parents[1]
#: Where releases are published, for every test: a closed port on the loopback, so that no test that
#: loads a version the package does not embed, without a mirror, can reach the network (the shipped
#: registry's base is the project's GitHub Releases). Tests of the default path set their own.
NO_NETWORK_BASE = "https://127.0.0.1:9/no-network-in-tests/v{version}/"


@pytest.fixture(autouse=True)
def _no_network_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """NKDATA_BASE_URL is the loopback's closed port in every test (and the processes it starts)."""
    monkeypatch.setenv("NKDATA_BASE_URL", NO_NETWORK_BASE)


#: the attack tests' fixtures (env, project_dir, release_copy, cert), for tests/*/test_hostile_*.py
pytest_plugins = ["hostile_helpers"]

# The suite's one hypothesis profile (it used to be loaded by tests/checks/test_textmatch.py at import,
# so it held for whichever modules were collected after it): 150 examples where a test sets none, and
# no deadline, since a busy CI machine is not a slow function. Tests that need more examples say so.
settings.register_profile("nkdata", max_examples=150, deadline=None)
settings.load_profile("nkdata")


#: What a RAM disk must have free to hold the run's temporary files (~0.35 GB at their peak, measured:
#: a wheel's virtual environment, a 70,000-figure package, builds and copies of the project).
RAM_DISK_FREE = 2 * 1024**3


def ram_disk() -> str | None:
    """A RAM-backed folder for temporary files (Linux's /dev/shm), when there is one with room to spare."""
    shm = "/dev/shm"
    if sys.platform != "linux" or not os.path.isdir(shm) or not os.access(shm, os.W_OK | os.X_OK):
        return None
    st = os.statvfs(shm)
    return shm if st.f_bavail * st.f_frsize >= RAM_DISK_FREE else None


def pytest_configure(config: pytest.Config) -> None:
    """The run's temporary folders in memory, where the machine has a RAM disk.

    The suite creates and deletes ~35k files (copies of releases, builds, a wheel's virtual environment);
    on this 2-core machine's ext4 that cost ~20 s of system time and ~12 s of the run's wall time.
    PYTEST_DEBUG_TEMPROOT (pytest's own setting: where pytest-of-USER lives) is left alone when set, so
    ``PYTEST_DEBUG_TEMPROOT=/tmp python -m pytest`` keeps them on disk. Set by the first process; the
    xdist workers and every process a test starts inherit it.
    """
    if "PYTEST_DEBUG_TEMPROOT" not in os.environ and not hasattr(config, "workerinput") and config.option.basetemp is None:
        shm = ram_disk()
        if shm is not None:
            os.environ["PYTEST_DEBUG_TEMPROOT"] = shm
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        cache_bytecode_outside_the_tree()  # for the processes the tests start (a worker has its modules already)


def cache_bytecode_outside_the_tree() -> None:
    """Compiled modules for the ~150 processes the tests start, kept in one folder outside the source
    tree (``PYTHONPYCACHEPREFIX``), so that they compile nkdata once rather than each.

    Run from a checkout, ``import nkdata`` reads the sources; under PYTHONDONTWRITEBYTECODE (set on
    some CI runners and sandboxes, and here) every process compiled every nkdata module it imported,
    about 50 ms each. Bytecode written to a folder of the system's temporary directory leaves the
    tree as clean as that setting keeps it. Only the processes the tests start use it: with a prefix
    Python reads no __pycache__ at all, so a process importing pandas, say, compiles it there once
    (the workers, which import most, keep the bytecode pip wrote). A prefix the user set is kept.
    """
    if "PYTHONPYCACHEPREFIX" in os.environ:
        return
    os.environ["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "nkdata-test-bytecode")  # another user's: unwritable, merely slower
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Nothing left for the collector to find: a worker ends holding ~570k objects, and Python's exit
    traced them all once more (1.3-2 s after the last test, the whole run waiting on it). Frozen, they
    are skipped; the memory is the process's to give back either way."""
    gc.freeze()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest test (building and installing the wheel) first, so that with several workers
    (pytest-xdist) the others run beside it instead of after it."""
    items.sort(key=lambda item: item.path.name != "test_wheel.py")
PROJECT_DIRS = ("data", "seeds", "schema", "docs")

SRC_001 = "data/sources/001_6a6af57649902c1b.yaml"
SRC_000 = "data/sources/000_d85847d8cad8ebc4.yaml"
ENTITIES = "data/entities.yaml"
SEED_001 = "seeds/001_6a6af57649902c1b.txt"
SEED_000 = "seeds/000_d85847d8cad8ebc4.txt"


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def snapshot(root: Path) -> dict[str, tuple[str, object, int]]:
    """Every entry under ``root`` (files, symlinks, folders) with its content hash and mtime."""
    out: dict[str, tuple[str, object, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p), st.st_mtime_ns)
            elif p.is_dir():
                out[rel] = ("dir", None, st.st_mtime_ns)
            else:
                out[rel] = ("file", hashlib.sha256(p.read_bytes()).hexdigest(), st.st_mtime_ns)
    return out


# A valid figure to add to seed 001's file (before its "statements:" line): a MINOR change.
NEW_FIGURE = """
  - figure_id: fig-test-added-troops-11000
    metric: troops_deployed
    value: 11000
    value_low: 11000
    value_high: 11000
    qualifier: exact
    value_text: 11,000
    unit: persons
    attribution: [ent-nis, ent-lee-seong-kweun, ent-korea-herald]
    evidence: >-
      the 11,000 North Korean personnel sent to support Russia.
"""


class Project:
    """A copy of the real project in a temporary folder, with helpers to break it."""

    def __init__(self, root: Path):
        self.root = root

    # ------------------------------------------------------------ reading
    def path(self, rel: str) -> Path:
        return self.root / rel

    def read(self, rel: str) -> str:
        return self.path(rel).read_text(encoding="utf-8")

    def line_col(self, rel: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
        """1-based line and column where ``needle`` starts (its ``occurrence``-th match) in the file now."""
        text = self.read(rel)
        at = -1
        for _ in range(occurrence):
            at = text.find(needle, at + 1)
            assert at >= 0, f"{needle!r} (occurrence {occurrence}) not in {rel}"
        line = text.count("\n", 0, at) + 1
        col = at - (text.rfind("\n", 0, at) + 1) + 1
        return line, col

    def line_of(self, rel: str, needle: str, occurrence: int = 1) -> int:
        return self.line_col(rel, needle, occurrence)[0]

    # ------------------------------------------------------------ editing
    def replace(self, rel: str, old: str, new: str, count: int = 1) -> None:
        """Replace the first ``count`` occurrences of ``old``; fail if there are fewer."""
        text = self.read(rel)
        assert text.count(old) >= count, f"{old!r} occurs {text.count(old)} times in {rel}, expected >= {count}"
        self.path(rel).write_text(text.replace(old, new, count), encoding="utf-8")

    def append(self, rel: str, extra: str) -> None:
        text = self.read(rel)
        if not text.endswith("\n"):
            text += "\n"
        self.path(rel).write_text(text + extra, encoding="utf-8")

    def write(self, rel: str, content: str | bytes) -> None:
        p = self.path(rel)
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")

    # ------------------------------------------------------------ checking
    def validate(self) -> list[Problem]:
        return validate(self.root)

    def snapshot(self) -> dict[str, tuple[str, object, int]]:
        return snapshot(self.root)


def copy_project(dest: Path, version: str | None = None) -> Project:
    """A copy of the real project; with ``version``, its CHANGELOG.md has an entry for it (a build needs one)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_DIRS:
        shutil.copytree(REPO / name, dest / name, symlinks=True)
    shutil.copyfile(REPO / "CHANGELOG.md", dest / "CHANGELOG.md")
    if version is not None:
        add_changelog_entry(dest, version)
    return Project(dest)


def add_changelog_entry(root: Path, version: str) -> None:
    """Give ``root``'s CHANGELOG.md an entry for ``version`` (a test build of a version never released)."""
    log = root / "CHANGELOG.md"
    text = log.read_text(encoding="utf-8") if log.is_file() else "# Changelog\n"
    if f"## [{version}]" not in text:
        log.write_text(text.rstrip("\n") + f"\n\n## [{version}] - test\n\nA test build.\n", encoding="utf-8")


_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[pytest.TestReport]:
    """Mark a test whose call failed, so that the copies it borrowed are kept as it left them."""
    report: pytest.TestReport = yield
    if report.when == "call" and report.failed:
        item.stash[_FAILED] = True
    return report


@pytest.fixture(scope="session")
def scratch_pool(tmp_path_factory: pytest.TempPathFactory) -> ScratchPool:
    """This worker's folders that tests may change, each put back after the test (tests/scratch_copies.py)."""
    return ScratchPool(tmp_path_factory.mktemp("scratch"))


@pytest.fixture
def scratch(scratch_pool: ScratchPool, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Loans:
    """Borrowing from the pool for this test: if it fails, what it borrowed stays as it left it, in a
    folder named after the test under pytest's temporary folder (as its ``tmp_path`` would)."""

    def kept() -> Path | None:
        if not request.node.stash.get(_FAILED, False):
            return None
        return tmp_path_factory.mktemp("failed-" + re.sub(r"\W", "_", request.node.name)[:40]) / "as-left"

    return Loans(scratch_pool, kept)


@pytest.fixture
def project(scratch: Loans) -> Iterator[Project]:
    """A copy of the real project (data/, seeds/, schema/, docs/), as it is in the repository, the test's to change
    (in a folder of its own, FOLDER/project: what the test writes beside it goes too)."""
    with scratch.lend("project", lambda folder: copy_project(folder / "project")) as folder:
        yield Project(folder / "project")


def apply_and_validate(project: Project, edit) -> list[Problem]:
    """Apply ``edit(project)`` to the real curated files and return every problem found."""
    edit(project)
    return project.validate()


def run_cli(*args: str, env: dict[str, str | None] | None = None) -> CliResult:
    """Run ``nkdata ARGS`` in-process with click's CliRunner."""
    runner = CliRunner()
    env = {"GITHUB_ACTIONS": None, **(env or {})}  # type: ignore[dict-item]  # None unsets
    result = runner.invoke(cli_main, list(args), env=env, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"nkdata {' '.join(args)} raised {result.exception!r}") from result.exception
    return CliResult(result.exit_code, result.stdout, result.stderr)


def run_cli_subprocess(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 60) -> CliResult:
    """Run ``python -m nkdata.cli.main ARGS`` in a child process (portable: no console script needed)."""
    full_env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    # run the checkout under test even when cwd is a project copy without the package
    full_env["PYTHONPATH"] = os.pathsep.join(x for x in (str(REPO), os.environ.get("PYTHONPATH")) if x)
    full_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-m", "nkdata.cli.main", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)


def problems_from_json(stdout: str) -> list[dict]:
    doc = json.loads(stdout)
    assert doc["count"] == len(doc["problems"])
    assert doc["valid"] is (doc["count"] == 0)
    return doc["problems"]


# ------------------------------------------------------------------ builds shared by the release tests


def once_per_run(tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], Path]) -> Path:
    """``make(folder)`` once for the whole run, its result shared by every xdist worker.

    The first worker to ask makes it in a folder of the run's common temporary folder, under a lock
    (``fcntl``, so without it each worker makes its own); the others wait and reuse it. What it makes
    is read-only for the tests: copy it before changing anything.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the controller's basetemp, shared by the workers
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Linux or macOS
        return make(tmp_path_factory.mktemp(name))
    done = root / f"{name}.made"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            done.write_text(str(make(Path(tempfile.mkdtemp(prefix=f"{name}-", dir=root)))), encoding="utf-8")
    return Path(done.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real project built once per run by the library into a temporary folder, its zip beside it
    (shared by the xdist workers: treat both as read-only; copy before tampering)."""
    return once_per_run(tmp_path_factory, "built", lambda out: build(REPO, out))


#: The version of :func:`old_release`: never recorded, so only a test can register it.
OLD = "0.0.9"


@pytest.fixture(scope="session")
def old_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release of the real data under another version (0.0.9), as a zip in a mirror folder (read-only)."""

    def make(out: Path) -> Path:
        folder = build(copy_project(out / "project", OLD).root, out, version=OLD)
        return folder.parent / f"{folder.name}.zip"

    return once_per_run(tmp_path_factory, f"release-{OLD}", make)


@pytest.fixture
def registered(old_release: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Pretend 0.0.9 was released: its zip's sha256 in the shipped registry (undone after the test)."""
    from nkdata.access.registry import registry

    digest = sha256(old_release)
    monkeypatch.setitem(registry(), OLD, digest)
    return digest


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty download cache (NKDATA_CACHE) and no mirror in the environment: what a first
    ``load(version=...)`` on a new machine starts from."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("NKDATA_CACHE", str(folder))
    monkeypatch.delenv("NKDATA_MIRROR", raising=False)
    return folder


# ---------------------------------------------------------------- package-validation fixtures (tests/checks)


@pytest.fixture(scope="session")
def real_release(built: Path) -> Path:
    """The real curated data, built as a release (folder; its zip sits next to it): the session's one build."""
    return built


@pytest.fixture(scope="session")
def synth_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic curated project (300 figures in 3 sources), written once (treat as read-only)."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    import synth

    return once_per_run(tmp_path_factory, "synth", lambda out: synth.write_project(out / "project", 300, seed=5))


@pytest.fixture(scope="session")
def synth_release(synth_project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic project built by ``nkdata build``, once (treat as read-only): the package the corruptions start from."""
    return once_per_run(tmp_path_factory, "synth-built", lambda out: build(synth_project, out / "dist"))


@pytest.fixture
def pkg(synth_release: Path, scratch: Loans) -> Iterator[Path]:
    """A copy of the synthetic release, to corrupt."""
    with scratch.lend("synth-release", lambda folder: shutil.copytree(synth_release, folder / synth_release.name)) as folder:
        yield folder / synth_release.name


@pytest.fixture
def proj(synth_project: Path, scratch: Loans) -> Iterator[Path]:
    """A copy of the synthetic curated project, to corrupt the same way."""
    with scratch.lend("synth-project", lambda folder: shutil.copytree(synth_project, folder / "project")) as folder:
        yield folder / "project"


@pytest.fixture(scope="session")
def site_out(tmp_path_factory: pytest.TempPathFactory, built: Path) -> Path:
    """The folder ``nkdata site`` writes for the real project's build, made once for the run and
    shared by tests/outputs/test_site.py and test_site_browser.py (read-only)."""
    pytest.importorskip("matplotlib", reason="the site extra (matplotlib) is not installed")
    from nkdata.outputs.site import build_site

    def make(folder: Path) -> Path:
        result = build_site(folder / "out", release=built)
        assert result.pages > 100
        return result.out

    return once_per_run(tmp_path_factory, "site", make)
