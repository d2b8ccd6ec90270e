"""The default download path: with no mirror, a release the package does not embed comes from
where releases are published (the shipped registry's ``base:`` line, or ``NKDATA_BASE_URL``),
laid out as GitHub Releases lays it out (``.../releases/download/vX.Y.Z/nkdata-X.Y.Z.zip``).

Served by a real HTTPS server on 127.0.0.1 whose throwaway certificate the fetcher trusts
through REQUESTS_CA_BUNDLE (``helpers_release.serve``). No network.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import OLD, REPO
from helpers_release import serve, sha256

import nkdata
from nkdata.access import registry as shipped
from nkdata.cli.main import main as cli_main
from nkdata.errors import DataNotAvailable, IntegrityError, UsageError
from nkdata.release.layout import zip_name

OLD_ZIP = zip_name(OLD)
PUBLISHED = f"/releases/download/v{OLD}/{OLD_ZIP}"  # where GitHub Releases puts the asset


@pytest.fixture
def site(tmp_path, old_release) -> Path:
    """A folder laid out as the project's GitHub Releases: releases/download/v0.0.9/nkdata-0.0.9.zip."""
    folder = tmp_path / "site"
    (folder / PUBLISHED.lstrip("/")).parent.mkdir(parents=True)
    shutil.copyfile(old_release, folder / PUBLISHED.lstrip("/"))
    return folder


def _base(url: str) -> str:
    return f"{url}/releases/download/v{{version}}/"


def test_the_shipped_registry_says_where_package_yaml_publishes_releases() -> None:
    """The installed package has no data/ folder: the base travels in its registry, from data/package.yaml."""
    import yaml

    configured = yaml.safe_load((REPO / "data" / "package.yaml").read_text(encoding="utf-8"))["download_base"]
    assert shipped.download_base() == configured
    assert configured.startswith("https://") and "{version}" in configured


def test_with_no_mirror_a_release_is_downloaded_from_where_it_is_published_and_verified(cache_dir, registered, site, monkeypatch, old_release):
    with serve(site) as server:
        monkeypatch.setenv("NKDATA_BASE_URL", _base(server.url))
        ds = nkdata.load(version=OLD)
        assert server.requests == [PUBLISHED]
        assert ds.version == OLD and ds.path == cache_dir / f"nkdata-{OLD}"
        assert sha256(cache_dir / OLD_ZIP) == registered
        assert nkdata.load("figures", version=OLD, format="arrow").num_rows == len(ds.figures)
        assert server.requests == [PUBLISHED]  # cached: not downloaded again


def test_an_https_redirect_is_followed_as_github_releases_sends_one(cache_dir, registered, site, monkeypatch):
    stored = f"/asset-store/{OLD_ZIP}"
    (site / "asset-store").mkdir()
    shutil.move(site / PUBLISHED.lstrip("/"), site / stored.lstrip("/"))
    with serve(site) as server:
        server.redirects[PUBLISHED] = f"{server.url}{stored}"  # an absolute https:// Location, as GitHub's
        monkeypatch.setenv("NKDATA_BASE_URL", _base(server.url))
        assert nkdata.load(version=OLD).version == OLD
        assert server.requests == [PUBLISHED, stored]
    assert sha256(cache_dir / OLD_ZIP) == registered


def test_the_registry_base_is_the_default_when_no_variable_is_set(cache_dir, registered, site, monkeypatch):
    """The same path with the base read from the registry (as a test install would ship it)."""
    with serve(site) as server:
        monkeypatch.delenv("NKDATA_BASE_URL")
        monkeypatch.setattr(shipped, "download_base", lambda: _base(server.url))
        assert nkdata.load(version=OLD).version == OLD
        assert server.requests == [PUBLISHED]


def test_a_published_zip_with_the_wrong_hash_is_refused_and_nothing_kept(cache_dir, registered, site, monkeypatch):
    with open(site / PUBLISHED.lstrip("/"), "ab") as fh:
        fh.write(b"tampered after publication")
    with serve(site) as server:
        monkeypatch.setenv("NKDATA_BASE_URL", _base(server.url))
        with pytest.raises(IntegrityError, match="hash mismatch") as err:
            nkdata.load(version=OLD)
    assert f"{server.url}{PUBLISHED}" in str(err.value) and registered in str(err.value)
    assert not cache_dir.exists() or [p.name for p in cache_dir.iterdir() if p.suffix != ".lock"] == []


def test_a_release_not_published_is_a_clear_404_naming_the_url(cache_dir, registered, tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    with serve(tmp_path / "empty") as server:
        monkeypatch.setenv("NKDATA_BASE_URL", _base(server.url))
        with pytest.raises(DataNotAvailable) as err:
            nkdata.load(version=OLD)
    message = str(err.value)
    assert f"could not download {server.url}{PUBLISHED}: 404 Not Found" in message
    assert "NKDATA_MIRROR" in message and f"nkdata=={OLD}" in message  # and what to do instead
    assert "Traceback" not in message


def test_cli_download_uses_the_default_base(cache_dir, registered, site, monkeypatch, tmp_path):
    dest = tmp_path / "dest"
    with serve(site) as server:
        monkeypatch.setenv("NKDATA_BASE_URL", _base(server.url))
        result = CliRunner().invoke(cli_main, ["download", "--version", OLD, "--dest", str(dest)])
    assert result.exit_code == 0, result.output
    assert sha256(dest / OLD_ZIP) == registered
    assert server.requests == [PUBLISHED]


def test_a_mirror_comes_before_the_default_base(cache_dir, registered, site, old_release, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    shutil.copyfile(old_release, mirror / OLD_ZIP)
    with serve(site) as server:
        monkeypatch.setenv("NKDATA_BASE_URL", _base(server.url))
        monkeypatch.setenv("NKDATA_MIRROR", mirror.as_uri())
        assert nkdata.load(version=OLD).version == OLD
        assert server.requests == []


@pytest.mark.parametrize(
    "base",
    ["http://127.0.0.1:9/v{version}/", "ftp://127.0.0.1/v{version}/", "https://127.0.0.1:9/releases/", "file:///tmp/v{version}/", "https://a b/{version}/"],
)
def test_a_base_that_is_not_https_with_a_version_is_a_usage_error_before_any_connection(cache_dir, registered, monkeypatch, base):
    monkeypatch.setenv("NKDATA_BASE_URL", base)
    with pytest.raises(UsageError, match=r"NKDATA_BASE_URL .*https:// URL with \{version\}"):
        nkdata.load(version=OLD)
    assert not cache_dir.exists()


def test_without_any_base_the_message_says_what_to_do(cache_dir, registered, monkeypatch):
    monkeypatch.delenv("NKDATA_BASE_URL")
    monkeypatch.setattr(shipped, "download_base", lambda: None)
    with pytest.raises(DataNotAvailable) as err:
        nkdata.load(version=OLD)
    message = str(err.value)
    assert "not embedded" in message and "NKDATA_MIRROR" in message and "mirror=" in message
    assert not cache_dir.exists()
