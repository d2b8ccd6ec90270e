"""Hostile or broken caches and mirrors (issue 10 items 8, 9 and 10): tampered caches, wrong bytes,
endless and dripping responses, downloads killed midway, a full disk, plain http, loads racing
into an empty cache, and no abort at exit under CPU load. Servers listen on 127.0.0.1 only.

Each attack runs ``nkdata`` in a child process with a memory cap and a timeout
(tests/hostile_helpers.py, which also holds the shared fixtures), and checks the promise of
docs/security.md: the command ends within its limit, exit 1 for bad input (2 for usage), no
traceback, a message naming the file, nothing read from outside the tree, nothing left behind.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest
from hostile_helpers import (
    MIB,
    NKDATA,
    PINNED,
    PINNED_ZIP,
    Mirror,
    assert_clean_exit,
    base_env,
    cli,
    finish,
    kill,
    leftovers,
    start,
    tls_env,
)

import nkdata

# ============================================================ regression guards


def test_tampered_cache_is_refused(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    r = cli("info", "--version", PINNED, "--mirror", PINNED_ZIP.parent.as_uri(), env=env, timeout=60)
    assert_clean_exit(r, 0)
    # load() reads (and verifies) the Parquet twin; the CSV is verified when it is read (Release.verify)
    parquet = tmp_path / "cache" / f"nkdata-{PINNED}" / "figures.parquet"
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 0xFF
    parquet.write_bytes(bytes(data))
    r = cli("info", "--version", PINNED, env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert "figures.parquet" in r.text and "altered" in r.text, r
    assert f"delete {parquet.parent} and load again" in r.text, r  # how to recover, not only what is wrong


@pytest.mark.parametrize("kind", ["sparse-6GB", "fifo"])
def test_a_cached_file_of_another_size_or_kind_is_unpacked_anew(tmp_path: Path, kind: str) -> None:
    """A tampered cache (a 6 GB sparse file, a FIFO) is neither read whole nor waited on: the version is
    unpacked again from its verified zip, without any download."""
    env = base_env(tmp_path)
    r = cli("info", "--version", PINNED, "--mirror", PINNED_ZIP.parent.as_uri(), env=env, timeout=60)
    assert_clean_exit(r, 0)
    parquet = tmp_path / "cache" / f"nkdata-{PINNED}" / "figures.parquet"
    size = parquet.stat().st_size
    if kind == "fifo":
        parquet.unlink()
        os.mkfifo(parquet)
    else:
        with open(parquet, "r+b") as fh:
            fh.truncate(6 * 1024**3)
    r = cli("show", "figures", "--version", PINNED, "--limit", "1", env=env, timeout=30)
    assert_clean_exit(r, 0, timeout=30)
    assert parquet.is_file() and parquet.stat().st_size == size
    assert not leftovers(tmp_path / "cache"), leftovers(tmp_path / "cache")


def test_mirror_serving_wrong_bytes_is_refused_and_nothing_kept(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / PINNED_ZIP.name).write_bytes(b"PK\x03\x04" + b"\0" * (PINNED_ZIP.stat().st_size - 4))
    env = base_env(tmp_path)
    r = cli("info", "--version", PINNED, "--mirror", mirror.as_uri(), env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert PINNED_ZIP.name in r.text and "hash" in r.text.lower(), r
    assert not (tmp_path / "cache" / PINNED_ZIP.name).exists() and not leftovers(tmp_path / "cache"), "a refused download left files in the cache"


# ============================================================ item 8: concurrent loads share the cache


_LOAD_AT = """
import os, sys, time
import nkdata, pyarrow  # the slow imports first (the arrow load needs no pandas), so that every process reaches load() at once
open(os.path.join({gate!r}, str(os.getpid())), "w").close()  # ready
while not os.path.exists(os.path.join({gate!r}, "go")):  # until every process is ready
    time.sleep(0.001)
ds = nkdata.load(version={version!r}, mirror={mirror!r}, format="arrow")
assert all(name in ds for name in ("sources", "entities", "figures", "statements", "events")), ds  # (and the derived claims)
sys.stdout.flush()
os._exit(0)  # item 10 is tested on its own
"""


@pytest.mark.slow
def test_parallel_loads_into_empty_cache(tmp_path: Path) -> None:
    """Eight processes call load() at the same moment (a file barrier after their imports), three times."""
    for rnd in range(3):
        (tmp_path / f"round{rnd}" / "gate").mkdir(parents=True)
        env = base_env(tmp_path / f"round{rnd}")
        gate = tmp_path / f"round{rnd}" / "gate"
        code = _LOAD_AT.format(gate=str(gate), version=PINNED, mirror=PINNED_ZIP.parent.as_uri())
        t0 = time.monotonic()
        procs = [start([sys.executable, "-c", code], env) for _ in range(8)]
        while len(list(gate.iterdir())) < len(procs) and time.monotonic() - t0 < 60 and all(p.poll() is None for p in procs):
            time.sleep(0.01)
        (gate / "go").touch()
        for r in [finish(p, 90, t0) for p in procs]:
            assert_clean_exit(r, 0)
        cache = Path(env["NKDATA_CACHE"])
        assert not leftovers(cache), leftovers(cache)
        assert_clean_exit(cli("info", "--version", PINNED, env=env, timeout=60), 0)  # the version put in place is complete


# ============================================================ item 9: hostile or broken mirror


@pytest.mark.slow
def test_endless_response_is_cut_at_the_registry_size(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    env = tls_env(tmp_path, cert)
    with Mirror("endless", cert, cap=64 * MIB) as mirror:
        r = cli("info", "--version", PINNED, "--mirror", mirror.url, env=env, timeout=8)
        sent = mirror.sent
    assert_clean_exit(r, 1, timeout=8)
    assert mirror.url in r.text or PINNED_ZIP.name in r.text, r
    assert sent < 32 * MIB, f"the client read {sent:,} bytes of a {PINNED_ZIP.stat().st_size:,}-byte release"
    assert not (tmp_path / "cache" / PINNED_ZIP.name).exists() and not leftovers(tmp_path / "cache"), list((tmp_path / "cache").iterdir())


@pytest.mark.slow
def test_slow_drip_mirror_hits_the_deadline(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    env = tls_env(tmp_path, cert, NKDATA_DOWNLOAD_TIMEOUT="1")
    with Mirror("drip", cert, interval=0.3) as mirror:  # a byte at a time well within any read's timeout: only the deadline ends it
        r = cli("info", "--version", PINNED, "--mirror", mirror.url, env=env, timeout=8)
    assert_clean_exit(r, 1, timeout=8)
    assert "NKDATA_DOWNLOAD_TIMEOUT" in r.text or "deadline" in r.text or "timed out" in r.text, r
    assert not (tmp_path / "cache" / PINNED_ZIP.name).exists() and not leftovers(tmp_path / "cache"), list((tmp_path / "cache").iterdir())


@pytest.mark.slow
def test_killed_download_leaves_nothing_after_next_load(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    env = tls_env(tmp_path, cert)
    cache = tmp_path / "cache"
    with Mirror("endless", cert, cap=256 * MIB) as mirror:
        proc = start([NKDATA, "info", "--version", PINNED, "--mirror", mirror.url], env)
        deadline = time.monotonic() + 20
        # killed as soon as the download writes to the cache; the client cuts the endless body at the
        # registry's size of the zip (tens of kB), so it may have ended by itself first: either way the
        # next load must leave nothing behind (the drip test below always kills mid-transfer)
        while time.monotonic() < deadline and proc.poll() is None and not any(cache.iterdir()):
            time.sleep(0.005)
        kill(proc)  # SIGKILL: no clean-up can run
    r = cli("info", "--version", PINNED, "--mirror", PINNED_ZIP.parent.as_uri(), env=env, timeout=60)
    assert_clean_exit(r, 0)
    assert not leftovers(cache), leftovers(cache)


@pytest.mark.slow
def test_download_killed_mid_transfer_leaves_nothing_after_next_load(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    """SIGKILL while a part file is being written (a dripping mirror keeps it open): the next fetch removes it."""
    env = tls_env(tmp_path, cert)
    cache = tmp_path / "cache"
    with Mirror("drip", cert, interval=0.2) as mirror:
        proc = start([NKDATA, "info", "--version", PINNED, "--mirror", mirror.url], env)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(".part" in p.name for p in cache.iterdir()):
            time.sleep(0.05)
        assert any(".part" in p.name for p in cache.iterdir()), "the download never started"
        kill(proc)  # SIGKILL: no clean-up can run
    assert leftovers(cache), "the killed download should have left its part file"
    r = cli("info", "--version", PINNED, "--mirror", PINNED_ZIP.parent.as_uri(), env=env, timeout=60)
    assert_clean_exit(r, 0)
    assert not leftovers(cache), leftovers(cache)


def test_full_disk_while_downloading_is_not_blamed_on_the_mirror(tmp_path: Path) -> None:
    """EFBIG (RLIMIT_FSIZE) while writing the part file: a local failure, reported as such; nothing kept."""
    env = base_env(tmp_path)
    r = cli("info", "--version", PINNED, "--mirror", PINNED_ZIP.parent.as_uri(), env=env, timeout=60, fsize=4096)
    assert_clean_exit(r, 1, timeout=60)
    assert "cannot write" in r.text and "cannot read" not in r.text, r
    assert not leftovers(tmp_path / "cache") and not (tmp_path / "cache" / PINNED_ZIP.name).exists(), r


def test_plain_http_mirror_is_refused(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    with Mirror("good") as mirror:
        r = cli("info", "--version", PINNED, "--mirror", mirror.url, env=env, timeout=30)
        sent = mirror.sent
    assert_clean_exit(r, 2, timeout=30)
    assert "https://" in r.text and sent == 0, r


def test_https_mirror_loads(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    """The harness itself: a good loopback https mirror serves the pinned release."""
    env = tls_env(tmp_path, cert)
    with Mirror("good", cert) as mirror:
        r = cli("info", "--version", PINNED, "--mirror", mirror.url, env=env, timeout=60)
    assert_clean_exit(r, 0)
    assert f"nkdata {PINNED}" in r.out and not leftovers(tmp_path / "cache"), r


# ============================================================ item 10: abort at exit


@pytest.mark.slow
def test_no_abort_at_exit_under_cpu_load(tmp_path: Path) -> None:
    """Library users have no os._exit: `import nkdata; nkdata.load()` must exit 0 in every format.

    Probabilistic: the issue saw 2-10 aborts in 40 runs on a busy machine; here 1 in 4
    runs aborted while other test suites ran, 0 in 30 on a quieter machine. This short
    run reminds; the fix's own 500-run stress test is the proof.
    """
    env = base_env(tmp_path)
    # the four loads run at once (twice the 2 CPUs of this project's machine): each exits while the others keep the CPUs busy
    t0 = time.monotonic()
    procs = [start([sys.executable, "-c", f"import nkdata; ds = nkdata.load(format={fmt!r}); assert len(ds) >= 5"], env) for fmt in ("pandas", "arrow") * 2]
    results = [finish(p, 60, t0) for p in procs]
    aborted = [r for r in results if r.rc != 0 or "terminate called" in r.err]
    assert not aborted, "\n".join(map(str, aborted))


# ============================================================ odd caches and mirrors


def test_cache_path_that_is_a_file(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    bad = tmp_path / "cache-file"
    bad.write_text("x")
    env["NKDATA_CACHE"] = str(bad)
    r = cli("info", "--version", PINNED, "--mirror", PINNED_ZIP.parent.as_uri(), env=env, timeout=60)
    assert_clean_exit(r, (1, 2), timeout=60)
    assert str(bad) in r.text and "could not download" not in r.text, r


def test_plain_path_mirror_is_a_folder(tmp_path: Path) -> None:
    r = cli("info", "--version", PINNED, "--mirror", PINNED_ZIP.parent, env=base_env(tmp_path), timeout=60)
    assert_clean_exit(r, 0, timeout=60)


def test_corrupted_cached_zip_is_named_as_such(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    (tmp_path / "cache" / PINNED_ZIP.name).write_bytes(b"garbage")
    r = cli("info", "--version", PINNED, env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert "not in the cache" not in r.text and PINNED_ZIP.name in r.text, r


@pytest.mark.parametrize("url", ["https://[::1", "https://mirror.example:99x/"], ids=["bracket-left-open", "port-not-a-number"])
def test_a_malformed_mirror_url_is_a_usage_error(tmp_path: Path, url: str, cache_dir: Path) -> None:
    """urllib's ValueError for a URL it cannot parse was a traceback in 'download' and a plain ValueError from load()."""
    env = base_env(tmp_path)
    for version in ([], ["--version", PINNED]):  # the embedded release too: the mirror is checked before anything
        r = cli("download", *version, "--dest", tmp_path / "dest", "--mirror", url, env=env, timeout=30)
        assert_clean_exit(r, 2, timeout=30)
        assert "is not a valid URL" in r.text, r
    r = cli("download", "--version", PINNED, "--dest", tmp_path / "dest", env={**env, "NKDATA_BASE_URL": url + "{version}/"}, timeout=30)
    assert_clean_exit(r, 2, timeout=30)
    assert "NKDATA_BASE_URL" in r.text and "is not a valid URL" in r.text, r
    with pytest.raises(nkdata.UsageError, match="is not a valid URL"):
        nkdata.load(version=PINNED, mirror=url)


@pytest.mark.parametrize("version", ["embedded", PINNED])
def test_a_dest_name_too_long_is_a_usage_error(tmp_path: Path, version: str) -> None:
    dest = tmp_path / ("a" * 300)
    args = [] if version == "embedded" else ["--version", version, "--mirror", PINNED_ZIP.parent.as_uri()]
    r = cli("download", *args, "--dest", dest, env=base_env(tmp_path), timeout=60)
    assert_clean_exit(r, 2, timeout=60)
    assert "File name too long" in r.text, r
