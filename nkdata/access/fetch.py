"""Getting a pinned release that is not embedded: from the cache, else from a mirror or where releases are published.

A mirror is an ``https://`` URL, a ``file://`` URL or a folder path holding
``nkdata-X.Y.Z.zip``, given as an argument or ``NKDATA_MIRROR``; anything else
(``http://``, ``ftp://``) is a usage error before any connection. Without a
mirror, the zip is downloaded from where releases are published: the shipped
registry's ``base:`` URL (data/package.yaml's ``download_base``, the project's
GitHub Releases), or ``NKDATA_BASE_URL``, an ``https://`` URL in which
``{version}`` stands for the version. The cache lives under the platform's user
cache folder, or ``NKDATA_CACHE``.

Downloads are bounded whatever the mirror does (docs/security.md): at most the
size the shipped registry records for the zip (``MAX_DOWNLOAD_BYTES`` when it
records none), connect and read timeouts, and an overall deadline
(``NKDATA_CONNECT_TIMEOUT``, ``NKDATA_READ_TIMEOUT``, ``NKDATA_DOWNLOAD_TIMEOUT``,
in seconds). The bytes go to ``nkdata-X.Y.Z.zip.part-*`` beside the cached zip
and are renamed into place only once their sha256 matches the registry. The
downloader is a small streaming one of its own, not pooch's: pooch has no byte
cap and no overall deadline, and names its temporary file ``tmpXXXXXXXX``, so a
part left by a killed process could not be told from another version's
download in progress.

Fetching and unpacking a version happen under that version's lock
(``nkdata-X.Y.Z.lock`` in the cache), so any number of processes can load the
same version at once: one downloads, or unpacks into a staging folder of its
own and renames it into place; the others wait, then use the result. Parts and
staging folders left by a killed process are removed under the lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import secrets
import shutil
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from nkdata._version import __version__
from nkdata.access import registry as shipped
from nkdata.access.registry import registry, sizes, versions
from nkdata.errors import DataNotAvailable, IntegrityError, NkdataError, UsageError
from nkdata.release import archive
from nkdata.release.layout import DESCRIPTOR, check_url, published_base, release_name, zip_name
from nkdata.release.placing import swap_folder

CACHE_ENV = "NKDATA_CACHE"
MIRROR_ENV = "NKDATA_MIRROR"
BASE_ENV = "NKDATA_BASE_URL"
CONNECT_TIMEOUT_ENV = "NKDATA_CONNECT_TIMEOUT"
READ_TIMEOUT_ENV = "NKDATA_READ_TIMEOUT"
DOWNLOAD_TIMEOUT_ENV = "NKDATA_DOWNLOAD_TIMEOUT"
CONNECT_TIMEOUT = 10.0  # seconds to open a connection
READ_TIMEOUT = 30.0  # seconds of silence between two reads
DOWNLOAD_TIMEOUT = 300.0  # seconds for the whole download, whatever the server does
MAX_DOWNLOAD_BYTES = 512 * 1024**2  # the cap when the registry records no size for a zip
CHUNK = 64 * 1024
MIRROR_SCHEMES = ("https", "file")


def cache_dir() -> Path:
    """Where downloaded releases are kept."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("nkdata", appauthor=False))


def mirror_base(mirror: str) -> str:
    """The mirror as a URL without a trailing slash: ``https://`` or ``file://``; a plain path is a folder."""
    import urllib.parse  # here, not at the top: load() of the embedded release does not pay for it

    check_url(mirror, "mirror")  # 'https://[::1' is a usage error, not a ValueError
    scheme = urllib.parse.urlsplit(mirror).scheme.lower()
    if scheme in MIRROR_SCHEMES:
        return scheme + mirror[len(scheme) :].rstrip("/")
    if not scheme or (os.name == "nt" and len(scheme) == 1):  # a path (C:\... on Windows)
        return Path(mirror).expanduser().resolve().as_uri()
    raise UsageError(
        f"mirror {mirror!r}: use an https:// or file:// URL or a folder path; "
        f"{scheme}:// is refused (what it carries can be read or changed on the way)"
    )


def _source(version: str, mirror: str | None) -> tuple[str | None, bool]:
    """(URL or ``file://`` base to download from, without a trailing slash, or None; whether it is a mirror).

    In order: ``mirror``, ``NKDATA_MIRROR``, ``NKDATA_BASE_URL``, the registry's ``base:`` line.
    """
    base = mirror or os.environ.get(MIRROR_ENV)
    if base:
        try:
            return mirror_base(base), True  # http:// and ftp:// refused before anything else
        except UsageError as exc:
            raise UsageError(str(exc) if mirror else f"{MIRROR_ENV}: {exc}") from None
    env = os.environ.get(BASE_ENV, "").strip()
    template = env or shipped.download_base()
    if not template:
        return None, False
    return published_base(template, version, BASE_ENV if env else "the registry's base:"), False


def _seconds(name: str, default: float) -> float:
    """A positive number of seconds from the environment variable ``name``; a bad value is a usage error."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise UsageError(f"{name}={raw!r}: expected a positive number of seconds")
    return value


def check_folder_path(folder: Path, hint: str = "") -> None:
    """Raise UsageError (ending with ``hint``) unless ``folder`` is a folder or does not exist yet: a file
    there, or a path the system refuses (a name too long, a file on the way), is one line, not a traceback."""
    try:
        st = os.stat(folder)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(f"{folder}: {exc.strerror or exc}{hint}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise UsageError(f"{folder} is not a folder{hint}")


def _folder(dest: Path | None) -> Path:
    """The cache folder (or ``dest``), which must be a folder if it exists."""
    folder = Path(dest) if dest else cache_dir()
    check_folder_path(folder, "" if dest else f" (the cache folder: set {CACHE_ENV} to a folder)")
    return folder


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataNotAvailable(f"cannot create the folder {folder} (the cache: {CACHE_ENV}): {exc.strerror or exc}") from None


@contextlib.contextmanager
def _locked(folder: Path, version: str) -> Iterator[None]:
    """Hold ``folder/nkdata-VERSION.lock``, an advisory lock (fcntl; msvcrt on Windows) every writer takes."""
    path = folder / f"{release_name(version)}.lock"
    nofollow = getattr(os, "O_NOFOLLOW", 0)
    try:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | nofollow, 0o644)
        except PermissionError:  # another user's lock file in a shared cache: a read-only descriptor locks as well
            fd = os.open(path, os.O_RDONLY | nofollow)
    except PermissionError:  # a read-only cache: this process can write nothing there, so nothing half-written either
        yield
        return
    except OSError as exc:
        raise DataNotAvailable(f"cannot create the lock file {path}: {exc.strerror or exc}") from None
    try:
        if sys.platform == "win32":  # pragma: no cover
            import msvcrt

            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # tries for 10 s, then raises
                    break
                except OSError:
                    continue
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _remove_leftovers(folder: Path, prefix: str) -> None:
    """Remove what a killed process left (names starting with ``prefix``): only under the version's lock,
    which every process writing such names holds."""
    for entry in folder.iterdir():
        if entry.name.startswith(prefix):
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)


def _sha256(path: Path) -> str | None:
    """The sha256 of a regular file, or None when it is missing, not a regular file or unreadable."""
    h = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))  # a FIFO planted in the cache must not block
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                return None
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


class _Expired(Exception):
    """The overall deadline passed."""


def _copy(read: Callable[[int], bytes], part: Path, cap: int, url: str, deadline: float, cancel: threading.Event) -> tuple[str, int]:
    """Stream ``read`` into ``part`` (created here): at most ``cap`` bytes, before ``deadline``; (sha256, size)."""
    h = hashlib.sha256()
    n = 0
    try:
        out = open(part, "xb")
    except OSError as exc:
        raise DataNotAvailable(f"cannot write {part}: {exc.strerror or exc} (a local failure, not the mirror's)") from None
    with out:
        while True:
            if cancel.is_set() or time.monotonic() > deadline:
                raise _Expired
            chunk = read(CHUNK)
            if not chunk:
                return h.hexdigest(), n
            n += len(chunk)
            if n > cap:
                raise IntegrityError(f"{url}: more than {cap:,} bytes arrived, the size of the release zip; the download was stopped and nothing kept")
            try:
                out.write(chunk)
            except OSError as exc:  # ENOSPC, EFBIG: this machine's, not the mirror's
                raise DataNotAvailable(f"cannot write {part}: {exc.strerror or exc} (a local failure, not the mirror's)") from None
            h.update(chunk)


def _get_file(url: str, part: Path, cap: int, deadline: float, cancel: threading.Event) -> tuple[str, int]:
    import urllib.parse
    import urllib.request

    src = Path(urllib.request.url2pathname(urllib.parse.urlsplit(url).path))
    try:
        fd = os.open(src, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO must not block the open
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise DataNotAvailable(f"cannot read {src} from the file:// mirror: not a regular file")
            fin = os.fdopen(fd, "rb")
        except BaseException:
            os.close(fd)
            raise
    except OSError as exc:
        raise DataNotAvailable(f"cannot read {src} from the file:// mirror: {exc.strerror or exc}") from None

    def read(size: int) -> bytes:
        try:
            return fin.read(size)
        except OSError as exc:
            raise DataNotAvailable(f"cannot read {src} from the file:// mirror: {exc.strerror or exc}") from None

    with fin:
        return _copy(read, part, cap, url, deadline, cancel)


def _get_https(url: str, part: Path, cap: int, deadline: float, cancel: threading.Event) -> tuple[str, int]:
    import urllib.parse

    import requests

    left = deadline - time.monotonic()
    timeout = (min(_seconds(CONNECT_TIMEOUT_ENV, CONNECT_TIMEOUT), left), min(_seconds(READ_TIMEOUT_ENV, READ_TIMEOUT), left))

    def https_only(resp: Any, *args: Any, **kwargs: Any) -> None:  # checked before a redirect is followed
        location = urllib.parse.urljoin(resp.url, resp.headers.get("Location", "")) if resp.is_redirect else resp.url
        if not location.startswith("https://"):
            raise DataNotAvailable(f"could not download {url}: redirected to {location}, which is not https://")

    with requests.get(url, stream=True, timeout=timeout, headers={"Accept-Encoding": "identity"}, hooks={"response": https_only}) as resp:
        if resp.status_code == 404:
            raise DataNotAvailable(f"could not download {url}: 404 Not Found (nothing of that name is published there)")
        resp.raise_for_status()
        length = resp.headers.get("Content-Length", "")
        if length.isdigit() and int(length) > cap:
            raise IntegrityError(f"{url}: the mirror announces {int(length):,} bytes, more than the {cap:,} of the release zip; nothing was downloaded")
        raw = resp.raw
        read1 = getattr(raw, "read1", None)  # returns what has arrived: the deadline is checked while a server drips

        def read(size: int) -> bytes:
            data = read1(size, decode_content=False) if read1 else raw.read(size, decode_content=False)
            return bytes(data or b"")

        return _copy(read, part, cap, url, deadline, cancel)


def _download(url: str, part: Path, cap: int) -> tuple[str, int]:
    """Fetch ``url`` into ``part`` within ``NKDATA_DOWNLOAD_TIMEOUT``: (sha256, size).

    The transfer runs in a worker thread so that the deadline holds even while
    a server drips its headers or TLS handshake; once cancelled the worker stops
    at its next read and removes ``part``, as the caller does in every case.
    """
    total = _seconds(DOWNLOAD_TIMEOUT_ENV, DOWNLOAD_TIMEOUT)
    for name, default in ((CONNECT_TIMEOUT_ENV, CONNECT_TIMEOUT), (READ_TIMEOUT_ENV, READ_TIMEOUT)):
        _seconds(name, default)  # a bad value is a usage error before any connection
    deadline = time.monotonic() + total
    get = _get_file if url.startswith("file:") else _get_https
    cancel = threading.Event()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = get(url, part, cap, deadline, cancel)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc
        finally:
            if "result" not in outcome or cancel.is_set():
                part.unlink(missing_ok=True)

    worker = threading.Thread(target=work, name=f"nkdata-download-{part.name}", daemon=True)
    worker.start()
    try:
        worker.join(max(0.0, deadline - time.monotonic()) + 0.5)
    finally:
        if worker.is_alive():
            cancel.set()
    error = outcome.get("error")
    if worker.is_alive() or isinstance(error, _Expired):
        raise DataNotAvailable(
            f"could not download {url} within {total:g} s ({DOWNLOAD_TIMEOUT_ENV}): the mirror is too slow or stalled. "
            f"Set {DOWNLOAD_TIMEOUT_ENV} to more seconds, or use another mirror."
        )
    if isinstance(error, NkdataError):
        raise error
    if error is not None:  # network errors differ by transport; all mean "not available"
        raise DataNotAvailable(
            f"could not download {url}: {error.__class__.__name__}: {error}. "
            "Check the connection and the address, or work offline with the embedded release (version=None)."
        )
    result: tuple[str, int] = outcome["result"]
    return result


def _expected_hash(version: str) -> str:
    reg = registry()
    if version not in reg:
        raise UsageError(f"nkdata {version} is not a released version; released: {', '.join(versions()) or 'none'}")
    return reg[version]


def fetch_zip(version: str, mirror: str | None = None, dest: Path | None = None) -> Path:
    """The verified release zip of ``version``: cached, or downloaded from the mirror, else from where
    releases are published (``NKDATA_BASE_URL``, else the registry's ``base:``).

    Into the cache (``dest`` None) the download happens under the version's
    lock, which also removes the parts a killed download left.
    """
    digest = _expected_hash(version)
    url_base, is_mirror = _source(version, mirror)
    fname = zip_name(version)
    folder = _folder(dest)
    cached = folder / fname
    if _sha256(cached) == digest:
        return cached
    if cached.exists():
        absent = (
            f"The cached {cached} is corrupted (its sha256 is not the registry's {digest}): "
            f"delete it, or pass mirror=URL or set {MIRROR_ENV} to fetch it again."
        )
    else:
        absent = (
            f"nkdata {version} is not embedded in this package (which has {__version__}) and not in the cache ({folder}). "
            f"Pass mirror=URL or set {MIRROR_ENV} to a folder or site holding {fname}, or install nkdata=={version}."
        )
    if url_base is None:
        raise DataNotAvailable(absent)
    _make_folder(folder)
    with _locked(folder, version) if dest is None else contextlib.nullcontext():
        if dest is None:
            _remove_leftovers(folder, f"{fname}.part-")
            if _sha256(cached) == digest:  # another process fetched it while this one waited
                return cached
        url = f"{url_base}/{fname}"
        part = folder / f"{fname}.part-{os.getpid()}-{secrets.token_hex(4)}"
        try:
            try:
                got, n = _download(url, part, sizes().get(version, MAX_DOWNLOAD_BYTES))
            except DataNotAvailable as exc:
                if is_mirror:
                    raise
                raise DataNotAvailable(f"{exc} {absent}") from None
            if got != digest:
                raise IntegrityError(f"{url}: hash mismatch: the download ({n:,} bytes) has sha256 {got}, the registry says {digest}; nothing was kept")
            os.replace(part, cached)
        except OSError as exc:
            raise DataNotAvailable(f"cannot put {cached} in place: {exc.strerror or exc}") from None
        finally:
            part.unlink(missing_ok=True)
    return cached


def _unpacked(path: Path, size: int) -> bool:
    """Whether ``path`` is a regular file (not a symlink, FIFO or device) of ``size`` bytes, as unpacked."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size == size


def _complete(zip_path: Path, target: Path, version: str) -> bool:
    """Whether ``target`` holds every file of the verified zip, each a regular file of its size.

    A missing file (a half-written version), or one of another size or kind (a
    tampered cache: a sparse file of gigabytes, a FIFO), makes it incomplete, to be
    unpacked again; a descriptor that differs from the zip's is an altered cache
    (IntegrityError, from ``_check_descriptor``).
    """
    import zipfile

    if target.is_symlink() or not target.is_dir() or not (target / DESCRIPTOR).is_file():
        return False  # a symlink is replaced too: what is loaded from the cache lies inside it
    _check_descriptor(zip_path, target, version)
    top = f"{release_name(version)}/"
    with zipfile.ZipFile(zip_path) as zf:
        infos = archive.check_members(zf, zip_path, top=release_name(version))
    return all(_unpacked(target / i.filename.removeprefix(top), i.file_size) for i in infos if not i.is_dir())


def unpack(zip_path: Path, version: str) -> Path:
    """Extract a verified zip next to it (once); return the release folder.

    Under the version's lock: extracted into a staging folder of this process's
    own, then renamed into place; an incomplete folder is replaced.
    """
    name = release_name(version)
    folder = zip_path.parent
    target = folder / name
    if _complete(zip_path, target, version):
        return target
    with _locked(folder, version):
        if _complete(zip_path, target, version):  # another process unpacked it while this one waited
            return target
        _remove_leftovers(folder, f".{name}.")
        staging = None
        try:
            staging = Path(tempfile.mkdtemp(prefix=f".{name}.unpacking-", dir=folder))
            archive.extract(zip_path, staging, top=name)
            swap_folder(staging / name, target, staging / "incomplete")  # an incomplete one there goes, with the staging folder
        except OSError as exc:
            raise DataNotAvailable(f"cannot unpack {zip_path.name} into {folder}: {exc.strerror or exc}") from None
        finally:
            if staging is not None:
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
