"""Pinned versions: fetched from a mirror (loopback HTTPS, file:// or a folder path),
checked against the registry, cached, and re-verified on every load. No network."""

from __future__ import annotations

import http.server
import importlib
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import OLD
from helpers_release import (
    EMBEDDED,
    NAME,
    REPO,
    VERSION,
    assert_clean_failure,
    csv_rows,
    descriptor,
    entries_of,
    flip_byte,
    run_nkdata,
    serve,
    sha256,
)

import nkdata
from nkdata.access.download import save_zip
from nkdata.access.registry import registry, sizes
from nkdata.cli.main import main as cli_main
from nkdata.errors import DataNotAvailable, IntegrityError, UsageError

OLD_ZIP = f"nkdata-{OLD}.zip"


@pytest.fixture
def mirror_dir(tmp_path, old_release) -> Path:
    folder = tmp_path / "mirror"
    folder.mkdir()
    shutil.copyfile(old_release, folder / OLD_ZIP)
    return folder


def _left(cache_dir: Path) -> list[str]:
    """What a failed fetch left in the cache: nothing but a version's lock file, which may stay."""
    return [name for name in entries_of(cache_dir) if not name.endswith(".lock")]


def _rows(zip_path: Path) -> dict[str, int]:
    """Row count of each table in the built folder next to ``zip_path``, read from its CSVs."""
    folder = zip_path.with_suffix("")
    return {r["name"]: len(csv_rows(folder / r["path"], r["schema"]["fields"])) for r in descriptor(folder)["resources"] if "schema" in r}


def _cli(*args: str):
    result = CliRunner().invoke(cli_main, list(args), catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"nkdata {' '.join(args)} raised {result.exception!r}") from result.exception
    return result


def test_a_pinned_version_is_downloaded_verified_cached_then_loaded_offline(cache_dir, registered, mirror_dir, old_release):
    with serve(mirror_dir) as mirror:
        ds = nkdata.load(version=OLD, mirror=mirror.url)
        assert mirror.requests == [f"/{OLD_ZIP}"]
        assert ds.version == OLD
        assert ds.path == cache_dir / f"nkdata-{OLD}"
        assert sha256(cache_dir / OLD_ZIP) == registered
        assert {n: len(ds[n]) for n in ds} == _rows(old_release)

        again = nkdata.load("figures", version=OLD, mirror=mirror.url, format="arrow")
        assert mirror.requests == [f"/{OLD_ZIP}"]  # served from the cache, not downloaded again
    # The server is gone: the cache alone is enough.
    ds = nkdata.load(version=OLD, mirror=mirror.url)
    assert ds.version == OLD and again.num_rows == len(ds.figures)
    assert nkdata.load(version=OLD).version == OLD  # no mirror needed at all once cached
    assert sorted(p.name for p in cache_dir.iterdir() if p.suffix != ".lock") == [f"nkdata-{OLD}", OLD_ZIP]  # the lock may stay


def test_a_file_mirror_and_the_environment_variable_work(cache_dir, registered, mirror_dir, monkeypatch, old_release):
    ds = nkdata.load(version=OLD, mirror=mirror_dir.as_uri())
    assert ds.version == OLD
    assert sha256(cache_dir / OLD_ZIP) == registered

    shutil.rmtree(cache_dir)
    monkeypatch.setenv("NKDATA_MIRROR", mirror_dir.as_uri())
    assert nkdata.load("events", version=OLD).shape[0] == _rows(old_release)["events"]


@pytest.mark.parametrize("kind", ["https", "file"])
def test_a_zip_with_the_wrong_hash_is_rejected_and_nothing_is_cached(cache_dir, registered, mirror_dir, kind):
    with open(mirror_dir / OLD_ZIP, "ab") as fh:
        fh.write(b"tampered on the mirror")
    with serve(mirror_dir) as mirror:
        url = mirror.url if kind == "https" else mirror_dir.as_uri()
        with pytest.raises(IntegrityError, match=OLD_ZIP):
            nkdata.load(version=OLD, mirror=url)
    assert not cache_dir.exists() or _left(cache_dir) == []


def test_a_corrupted_file_in_the_cache_is_detected_on_the_next_load(cache_dir, registered, mirror_dir):
    nkdata.load(version=OLD, mirror=mirror_dir.as_uri())
    flip_byte(cache_dir / f"nkdata-{OLD}" / "figures.parquet")
    with pytest.raises(IntegrityError, match=r"figures\.parquet"):
        nkdata.load(version=OLD)
    with pytest.raises(IntegrityError, match=r"figures\.parquet"):
        nkdata.load("figures", version=OLD)


def test_a_corrupted_cached_zip_is_fetched_again(cache_dir, registered, mirror_dir):
    nkdata.load(version=OLD, mirror=mirror_dir.as_uri())
    shutil.rmtree(cache_dir / f"nkdata-{OLD}")
    (cache_dir / OLD_ZIP).write_bytes(b"not a zip")
    with pytest.raises(DataNotAvailable):  # not trusted, and no mirror to fetch it from
        nkdata.load(version=OLD)
    assert nkdata.load(version=OLD, mirror=mirror_dir.as_uri()).version == OLD
    assert sha256(cache_dir / OLD_ZIP) == registered


def test_offline_with_nothing_cached_says_what_to_do(cache_dir, registered):
    with pytest.raises(DataNotAvailable) as err:
        nkdata.load(version=OLD)
    message = str(err.value)
    assert OLD in message and str(cache_dir) in message
    assert "NKDATA_MIRROR" in message and "mirror=" in message and f"nkdata=={OLD}" in message
    assert not cache_dir.exists() or _left(cache_dir) == []


def test_an_unreachable_mirror_is_data_not_available(cache_dir, registered, tmp_path):
    with serve(tmp_path) as mirror:
        url = mirror.url
    with pytest.raises(DataNotAvailable, match="could not download"):
        nkdata.load(version=OLD, mirror=url)
    with pytest.raises(DataNotAvailable, match="cannot read"):
        nkdata.load(version=OLD, mirror=(tmp_path / "nowhere").as_uri())
    assert not cache_dir.exists() or _left(cache_dir) == []


def test_an_unknown_version_is_a_usage_error_listing_released_versions(cache_dir):
    with pytest.raises(UsageError, match=rf"9\.9\.9 is not a released version; released: .*{VERSION}"):
        nkdata.load(version="9.9.9", mirror="http://127.0.0.1:9")
    assert not cache_dir.exists()


def test_cli_download_of_a_pinned_version(cache_dir, registered, mirror_dir, tmp_path):
    dest = tmp_path / "dest"
    with serve(mirror_dir) as mirror:
        result = _cli("download", "--version", OLD, "--mirror", mirror.url, "--dest", str(dest))
    assert result.exit_code == 0, result.output
    assert sha256(dest / OLD_ZIP) == registered
    assert f"saved {dest / OLD_ZIP}" in result.output

    result = _cli("download", "--version", OLD, "--dest", str(tmp_path / "none"))  # no mirror, not in dest
    assert_clean_failure(result.exit_code, result.output, 1)
    assert "NKDATA_MIRROR" in result.output


@pytest.mark.slow  # starts the CLI or another Python in a new process
def test_cli_download_of_the_embedded_release_is_the_published_zip(tmp_path):
    proc = run_nkdata("download", "--dest", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{NAME}.zip"]
    assert sha256(tmp_path / f"{NAME}.zip") == registry()[VERSION]

    proc = run_nkdata("download", "--version", "9.9.9", "--dest", str(tmp_path / "x"))
    assert_clean_failure(proc.returncode, proc.stdout + proc.stderr, 2)
    assert "not a released version" in proc.stderr


def test_loading_the_current_version_by_number_uses_the_embedded_release(cache_dir):
    assert nkdata.load(version=VERSION).path.resolve() == EMBEDDED.resolve()
    assert not cache_dir.exists()


def test_a_cached_descriptor_rewritten_to_match_a_tampered_file_is_detected(cache_dir, registered, mirror_dir):
    """The chain of trust: registry → zip sha256 → datapackage.json → every file.
    Changing a file and its hash in the unpacked descriptor must not slip through."""
    nkdata.load(version=OLD, mirror=mirror_dir.as_uri())
    folder = cache_dir / f"nkdata-{OLD}"
    flip_byte(folder / "figures.csv")
    dp = descriptor(folder)
    res = next(r for r in dp["resources"] if r["name"] == "figures")
    res["hash"] = f"sha256:{sha256(folder / 'figures.csv')}"
    (folder / "datapackage.json").write_text(json.dumps(dp, indent=2), encoding="utf-8")
    with pytest.raises(IntegrityError, match=r"datapackage\.json.*delete"):
        nkdata.load(version=OLD)
    shutil.rmtree(folder)  # what the message says to do: unpacked again from the verified zip
    assert nkdata.load(version=OLD).version == OLD


def test_a_zip_with_a_member_outside_its_folder_is_not_unpacked(cache_dir, tmp_path, monkeypatch):
    bad = tmp_path / "bad"
    bad.mkdir()
    with zipfile.ZipFile(bad / OLD_ZIP, "w") as zf:
        zf.writestr(f"nkdata-{OLD}/datapackage.json", "{}")
        zf.writestr(f"nkdata-{OLD}/../../escaped.txt", "zip slip")
    monkeypatch.setitem(registry(), OLD, sha256(bad / OLD_ZIP))
    with pytest.raises(IntegrityError, match="unexpected member"):
        nkdata.load(version=OLD, mirror=bad.as_uri())
    assert not (cache_dir / f"nkdata-{OLD}").exists()
    assert not list(tmp_path.rglob("escaped.txt"))


def test_a_failed_download_of_the_embedded_release_leaves_nothing(tmp_path, monkeypatch):
    def broken_zip(folder, target):
        Path(target).write_bytes(b"PK half")
        raise OSError("disk full")

    monkeypatch.setattr(importlib.import_module("nkdata.access.download"), "write_zip", broken_zip)
    with pytest.raises(DataNotAvailable, match="cannot write .*disk full"):
        save_zip(None, tmp_path)
    assert entries_of(tmp_path) == []


def test_an_embedded_zip_that_disagrees_with_the_registry_is_refused(tmp_path, monkeypatch):
    monkeypatch.setitem(registry(), VERSION, "0" * 64)
    with pytest.raises(IntegrityError, match="registry"):
        save_zip(None, tmp_path)
    assert entries_of(tmp_path) == []


# ------------------------------------------------ issue 10: mirrors, caps, deadlines, the cache under concurrency


@pytest.mark.parametrize("url", ["http://127.0.0.1:9", "ftp://127.0.0.1/releases", "gopher://x"])
def test_a_mirror_that_is_not_https_file_or_a_folder_is_a_usage_error(cache_dir, registered, url):
    with pytest.raises(UsageError, match="https://"):
        nkdata.load(version=OLD, mirror=url)
    assert not cache_dir.exists()


def test_a_plain_folder_path_is_a_folder_mirror(cache_dir, registered, mirror_dir):
    assert nkdata.load(version=OLD, mirror=str(mirror_dir)).version == OLD
    assert sha256(cache_dir / OLD_ZIP) == registered


@pytest.mark.parametrize("kind", ["https", "file"])
def test_a_download_stops_at_the_size_the_registry_records(cache_dir, registered, mirror_dir, monkeypatch, kind):
    monkeypatch.setitem(sizes(), OLD, 1000)
    with serve(mirror_dir) as mirror:
        with pytest.raises(IntegrityError, match="more than (the )?1,000"):
            nkdata.load(version=OLD, mirror=mirror.url if kind == "https" else mirror_dir.as_uri())
    assert _left(cache_dir) == []


def test_every_registry_line_records_the_zip_size(cache_dir):
    for version, size in sizes().items():
        assert (REPO / "data" / "releases" / version / f"nkdata-{version}.zip").stat().st_size == size
    assert set(sizes()) == set(registry())


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_a_bad_download_timeout_is_a_usage_error(cache_dir, registered, mirror_dir, monkeypatch, value):
    monkeypatch.setenv("NKDATA_DOWNLOAD_TIMEOUT", value)
    with pytest.raises(UsageError, match="NKDATA_DOWNLOAD_TIMEOUT"):
        nkdata.load(version=OLD, mirror=mirror_dir.as_uri())


def test_what_a_killed_process_left_is_removed_and_an_incomplete_folder_replaced(cache_dir, registered, mirror_dir):
    cache_dir.mkdir()
    (cache_dir / f"{OLD_ZIP}.part-99999-dead").write_bytes(b"half a download")
    (cache_dir / f".nkdata-{OLD}.unpacking").mkdir()  # the staging name of older versions
    (cache_dir / f".nkdata-{OLD}.unpacking-x1y2").mkdir()
    half = cache_dir / f"nkdata-{OLD}"  # a half-written version: descriptor in place, tables missing
    half.mkdir()
    with zipfile.ZipFile(mirror_dir / OLD_ZIP) as zf:
        (half / "datapackage.json").write_bytes(zf.read(f"nkdata-{OLD}/datapackage.json"))
    ds = nkdata.load(version=OLD, mirror=mirror_dir.as_uri())
    assert ds.version == OLD and "figures" in ds and ds["figures"].shape[0] > 0
    assert sorted(p.name for p in cache_dir.iterdir() if p.suffix != ".lock") == [f"nkdata-{OLD}", OLD_ZIP]
    assert (half / "figures.csv").is_file()


def test_a_corrupted_cached_zip_is_named_as_such(cache_dir, registered, mirror_dir):
    cache_dir.mkdir()
    (cache_dir / OLD_ZIP).write_bytes(b"not a zip")
    with pytest.raises(DataNotAvailable, match=rf"{OLD_ZIP} is corrupted") as err:
        nkdata.load(version=OLD)
    assert "not in the cache" not in str(err.value)


def test_a_cache_path_that_is_a_file_is_named(cache_dir, registered, mirror_dir):
    cache_dir.write_text("x")
    with pytest.raises(UsageError, match=rf"{cache_dir} is not a folder.*NKDATA_CACHE"):
        nkdata.load(version=OLD, mirror=mirror_dir.as_uri())


@pytest.mark.parametrize("target", ["file:///etc/passwd", "http://127.0.0.1:9/nkdata-0.0.9.zip"])
def test_a_redirect_away_from_https_is_refused(cache_dir, registered, tmp_path, target):
    class Redirect(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            self.send_response(302)
            self.send_header("Location", target)
            self.end_headers()

    with serve(tmp_path) as mirror:
        mirror.server.RequestHandlerClass = Redirect
        with pytest.raises(DataNotAvailable, match="redirected to .*not https://"):
            nkdata.load(version=OLD, mirror=mirror.url)
    assert _left(cache_dir) == []


def test_odd_entries_planted_in_the_cache_neither_block_nor_lead_outside(cache_dir, registered, mirror_dir, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not the cache's")
    cache_dir.mkdir()
    os.mkfifo(cache_dir / OLD_ZIP)  # would block a plain open()
    with pytest.raises(DataNotAvailable, match="corrupted"):
        nkdata.load(version=OLD)
    (cache_dir / f"nkdata-{OLD}").symlink_to(outside, target_is_directory=True)
    ds = nkdata.load(version=OLD, mirror=mirror_dir.as_uri())
    assert ds.version == OLD and not (cache_dir / f"nkdata-{OLD}").is_symlink()
    assert sorted(p.name for p in outside.iterdir()) == ["keep.txt"]


def test_a_dest_that_is_a_file_is_a_usage_error(tmp_path):
    dest = tmp_path / "a-file"
    dest.write_text("x")
    with pytest.raises(UsageError, match=f"{dest} is not a folder"):
        save_zip(None, dest)
