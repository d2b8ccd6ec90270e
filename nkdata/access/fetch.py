"""Getting a pinned release that is not embedded: from the cache, else from a mirror.

Downloads go through pooch (atomic download, sha256 from the shipped registry
checked before anything is unpacked). The cache lives under the platform's
user cache folder, or ``NKDATA_CACHE``; the mirror is an argument or
``NKDATA_MIRROR`` (http(s):// or file://).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from nkdata._version import __version__
from nkdata.access.registry import registry, versions
from nkdata.errors import DataNotAvailable, IntegrityError, UsageError
from nkdata.release import archive
from nkdata.release.layout import DESCRIPTOR, release_name, zip_name

CACHE_ENV = "NKDATA_CACHE"
MIRROR_ENV = "NKDATA_MIRROR"


def cache_dir() -> Path:
    """Where downloaded releases are kept."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("nkdata", appauthor=False))


def _file_downloader(url: str, output_file: Any, pooch: Any) -> None:
    """pooch downloader for file:// mirrors (pooch itself speaks http, ftp, doi)."""
    import urllib.parse
    import urllib.request

    src = Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
    try:
        with open(src, "rb") as fin:
            if isinstance(output_file, (str, os.PathLike)):
                with open(output_file, "wb") as fout:
                    shutil.copyfileobj(fin, fout)
            else:
                shutil.copyfileobj(fin, output_file)
    except OSError as exc:
        raise DataNotAvailable(f"cannot read {src} from the file:// mirror: {exc.strerror}") from None


def _expected_hash(version: str) -> str:
    reg = registry()
    if version not in reg:
        raise UsageError(f"nkdata {version} is not a released version; released: {', '.join(versions()) or 'none'}")
    return reg[version]


def fetch_zip(version: str, mirror: str | None = None, dest: Path | None = None) -> Path:
    """The verified release zip of ``version``: cached, or downloaded from the mirror."""
    import pooch

    digest = _expected_hash(version)
    fname = zip_name(version)
    folder = Path(dest) if dest else cache_dir()
    cached = folder / fname
    if cached.exists() and pooch.file_hash(str(cached)) == digest:
        return cached
    base = mirror or os.environ.get(MIRROR_ENV)
    if not base:
        raise DataNotAvailable(
            f"nkdata {version} is not embedded in this package (which has {__version__}) and not in the cache ({folder}). "
            f"Pass mirror=URL or set {MIRROR_ENV} to a folder or site holding {fname}, or install nkdata=={version}."
        )
    url = base.rstrip("/") + "/" + fname
    downloader = _file_downloader if url.startswith("file:") else None
    pooch.get_logger().setLevel("WARNING")  # the library never prints; pooch logs each download at INFO
    try:
        path = pooch.retrieve(url, known_hash=f"sha256:{digest}", fname=fname, path=folder, downloader=downloader, progressbar=False)
    except ValueError as exc:  # pooch: hash mismatch (it deletes the download for safety)
        raise IntegrityError(f"{url}: {exc}") from None
    except DataNotAvailable:
        raise
    except Exception as exc:  # network errors differ by downloader; all mean "not available"
        raise DataNotAvailable(
            f"could not download {url}: {exc.__class__.__name__}: {exc}. Check the mirror, or work offline with the embedded release (version=None)."
        ) from None
    return Path(path)


def unpack(zip_path: Path, version: str) -> Path:
    """Extract a verified zip next to it (once); return the release folder."""
    name = release_name(version)
    target = zip_path.parent / name
    if target.is_dir():
        _check_descriptor(zip_path, target, version)
        return target
    staging = zip_path.parent / f".{name}.unpacking"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        archive.extract(zip_path, staging, top=name)
        os.replace(staging / name, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _check_descriptor(zip_path: Path, target: Path, version: str) -> None:
    """The unpacked datapackage.json vouches for every other file, so it must be the
    verified zip's own: otherwise a file and its hash could be changed together."""
    expected = archive.read_member(zip_path, f"{release_name(version)}/{DESCRIPTOR}")
    descriptor = target / DESCRIPTOR
    actual = descriptor.read_bytes() if descriptor.is_file() else None
    if actual != expected:
        raise IntegrityError(
            f"{descriptor} differs from the one in the verified {zip_path.name}; the cache was altered: "
            f"delete {target} and load again (it is unpacked anew from the zip)"
        )
