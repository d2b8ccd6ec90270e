"""Release zips: the one writer (byte-reproducible) and the one reader (every member checked first).

:func:`write_zip` zips a release folder with sorted entries and fixed dates and
modes, so the same release gives the same bytes. :func:`extract` and
:func:`read_member` are the only way nkdata opens a zip. They are used wherever a release zip is read (``nkdata.load(version=...)`` unpacking a
download, ``nkdata diff`` and ``nkdata validate`` on a zip). The rules, all
checked first so that a refused zip writes nothing:

- the file is a readable zip;
- no member name is absolute, holds ``..``, a backslash or a drive (``C:``);
- every member is a regular file or a folder (no symbolic link, device or FIFO), a folder
  entry holds no bytes, and no name is both a file's and a folder's;
- no member is encrypted, and each is stored or deflated;
- no two members have the same name;
- at most ``max_members`` members and ``max_bytes`` bytes once unpacked; the compressed sizes
  the members claim fit in the file;
- no member, and not the zip as a whole, unpacks to over ``MAX_RATIO`` times its compressed
  size (past ``RATIO_FLOOR`` bytes): many members each just under a limit are still a bomb;
- with ``top``, every member lies under that one folder; with ``single_top``,
  all members lie under one folder, whatever its name.

:func:`extract_release` (``nkdata diff`` and ``nkdata validate``) also refuses any member its
``datapackage.json`` does not name: a file it does not list, a folder that holds none it lists.
"""

from __future__ import annotations

import stat
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from nkdata.errors import IntegrityError

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
MAX_MEMBERS = 2_000_000  # a synthetic 1M-figure release holds ~100k texts
MAX_BYTES = 32 << 30  # unpacked bytes; far above any real release, far below a zip bomb's claim
MAX_RATIO = 200  # unpacked / compressed size, of one member and of the whole zip (a release: ~3, its CSVs ~10)
RATIO_FLOOR = 1 << 20  # the ratio is held to once a member (or the whole zip) unpacks to over this many bytes
METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}  # what write_zip (and every zip tool by default) uses


class UnsafeZip(IntegrityError):
    """A zip that cannot be read or breaks a rule above; nothing was extracted.

    ``reason`` says what is wrong without the zip's path (for problem reports
    that name the file already).
    """

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}; refusing to unpack")


def _name_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    parts = PurePosixPath(name).parts
    if not name or name.startswith("/") or "\\" in name or ":" in name:
        return f"unexpected member {name!r}: not a plain relative path"
    if ".." in parts:
        return f"unexpected member {name!r}: a path that leaves its folder"
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        return f"unexpected member {name!r}: a symbolic link"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return f"unexpected member {name!r}: not a regular file or folder (a device, FIFO or socket)"
    if info.is_dir() and info.file_size:
        return f"unexpected member {name!r}: a folder entry holding {info.file_size:,} bytes"
    return None


def _content_problem(info: zipfile.ZipInfo) -> str | None:
    """What keeps a member from being unpacked safely: encryption, an unknown method, a zip bomb's ratio."""
    name = info.filename
    if info.flag_bits & 0x1:
        return f"member {name!r} is encrypted (a release zip is not)"
    if info.compress_type not in METHODS:
        return f"member {name!r} is compressed with method {info.compress_type} (a release zip's members are stored or deflated)"
    return _ratio_problem(f"member {name!r}", info.file_size, info.compress_size)


def _ratio_problem(what: str, size: int, compressed: int) -> str | None:
    if size > RATIO_FLOOR and size > MAX_RATIO * max(compressed, 1):
        return f"{what} would unpack to {size // max(compressed, 1):,} times its compressed size (over {MAX_RATIO}): a zip bomb?"
    return None


def _totals_problem(infos: list[zipfile.ZipInfo], zip_size: int, max_members: int, max_bytes: int) -> str | None:
    """The rules on the zip as a whole: how many members, how many bytes, and how much they grow."""
    if len(infos) > max_members:
        return f"{len(infos):,} members, more than the {max_members:,} allowed"
    total = sum(i.file_size for i in infos)
    if total > max_bytes:
        return f"{total:,} bytes once unpacked, more than the {max_bytes:,} allowed"
    compressed = sum(i.compress_size for i in infos)
    if compressed > zip_size:
        return f"its members claim {compressed:,} compressed bytes, more than the file's {zip_size:,}"
    return _ratio_problem("the zip", total, compressed)


def _file_and_folder(infos: list[zipfile.ZipInfo]) -> str | None:
    """A name that is a file's and also a folder's (a folder entry, or the folder of another
    member): one of the two could not be unpacked."""
    files = {i.filename for i in infos if not i.is_dir()}
    for info in infos:
        parts = info.filename.rstrip("/").split("/")
        for depth in range(1, len(parts) + (1 if info.is_dir() else 0)):
            folder = "/".join(parts[:depth])
            if folder in files:
                return f"unexpected member {info.filename!r}: {folder!r} is a file, not a folder"
    return None


def check_members(zf: zipfile.ZipFile, path: Path | str, *, top: str | None = None, single_top: bool = False,
                  max_members: int = MAX_MEMBERS, max_bytes: int = MAX_BYTES) -> list[zipfile.ZipInfo]:
    """Every member of an open zip, after checking the rules; raises UnsafeZip on the first broken one."""
    infos = zf.infolist()
    problem = _totals_problem(infos, Path(path).stat().st_size, max_members, max_bytes)
    if problem is not None:
        raise UnsafeZip(path, problem)
    seen: set[str] = set()
    for info in infos:
        problem = _name_problem(info)
        if problem is None and info.filename in seen:
            problem = f"unexpected member {info.filename!r}: a second member of that name"
        if problem is None and top is not None and not info.filename.startswith(f"{top}/"):
            problem = f"unexpected member {info.filename!r}: outside {top}/"
        problem = problem or _content_problem(info)
        if problem is not None:
            raise UnsafeZip(path, problem)
        seen.add(info.filename)
    problem = _file_and_folder(infos)
    if problem is not None:
        raise UnsafeZip(path, problem)
    if single_top:
        tops = sorted({i.filename.split("/", 1)[0] for i in infos if "/" in i.filename} | {i.filename for i in infos if "/" not in i.filename})
        if len(tops) != 1:
            raise UnsafeZip(path, f"not an nkdata release zip (expected one nkdata-X.Y.Z/ folder inside, found {', '.join(tops[:3]) or 'nothing'})")
    return infos


@contextmanager
def _opened(path: Path | str) -> Iterator[zipfile.ZipFile]:
    """The zip at ``path``, open; whatever the zip module raises on a damaged one (a bad CRC, a
    corrupt deflate stream) becomes UnsafeZip."""
    try:
        with zipfile.ZipFile(path) as zf:
            yield zf
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error) as exc:
        raise UnsafeZip(path, f"not a valid zip ({exc})") from None


def extract(path: Path | str, dest: Path | str, *, top: str | None = None, single_top: bool = False,
            max_members: int = MAX_MEMBERS, max_bytes: int = MAX_BYTES) -> list[str]:
    """Check every member of the zip at ``path``, then extract them all into ``dest``; return their names."""
    with _opened(path) as zf:
        infos = check_members(zf, path, top=top, single_top=single_top, max_members=max_members, max_bytes=max_bytes)
        zf.extractall(dest, members=infos)
    return [i.filename for i in infos]


def extract_release(path: Path | str, dest: Path | str) -> list[str]:
    """Extract a release zip whose every member is its ``datapackage.json``, a file that descriptor
    names (tables, Parquet twins, texts) or a folder on the way to one; return the names extracted.
    A member nothing names (a payload, junk, padding, an empty folder) is refused before anything
    is written. When the descriptor cannot be read, only the descriptor is extracted, so that the
    caller reports what is wrong with it."""
    from nkdata.release.descriptor import DescriptorError, load_descriptor
    from nkdata.release.layout import DESCRIPTOR

    dest = Path(dest)
    with _opened(path) as zf:
        infos = check_members(zf, path, single_top=True)
        found = sorted((i for i in infos if PurePosixPath(i.filename).name == DESCRIPTOR), key=lambda i: i.filename.count("/"))
        if not found:
            return []
        try:
            zf.extractall(dest, members=[found[0]])
            descriptor = load_descriptor(dest / found[0].filename)
        except DescriptorError:
            return [found[0].filename]
        except OSError as exc:
            raise UnsafeZip(path, f"cannot be unpacked ({exc.strerror or exc})") from None
        unlisted = _unlisted(infos, found[0].filename, descriptor)
        if unlisted:
            more = f" (and {len(unlisted) - 1:,} more)" if len(unlisted) > 1 else ""
            raise UnsafeZip(path, f"unexpected member {unlisted[0]!r}{more}: not named in {DESCRIPTOR}")
        try:
            zf.extractall(dest, members=[i for i in infos if i.filename != found[0].filename])
        except OSError as exc:
            raise UnsafeZip(path, f"cannot be unpacked ({exc.strerror or exc})") from None
    return [i.filename for i in infos]


def _unlisted(infos: list[zipfile.ZipInfo], descriptor_name: str, descriptor: dict[str, Any]) -> list[str]:
    """The members of a release zip that its descriptor does not name: files it does not list, and
    folders other than the release folder and the folders of the files it lists."""
    from nkdata.release.layout import PARQUET_PROPERTY, TEXTS_PROPERTY

    top = descriptor_name.rsplit("/", 1)[0] + "/" if "/" in descriptor_name else ""
    entries = [*descriptor["resources"], *(r.get(PARQUET_PROPERTY) for r in descriptor["resources"]), *descriptor.get(TEXTS_PROPERTY, [])]
    listed = {descriptor_name} | {top + e["path"] for e in entries if isinstance(e, dict) and isinstance(e.get("path"), str)}
    folders = {str(parent) + "/" for name in listed for parent in PurePosixPath(name).parents if str(parent) != "."}
    return [i.filename for i in infos if i.filename not in (folders if i.is_dir() else listed)]


def read_member(path: Path | str, name: str) -> bytes | None:
    """The bytes of one member of a zip (None when there is no such member), the zip checked first."""
    with _opened(path) as zf:
        check_members(zf, path)
        try:
            return zf.read(name)
        except KeyError:
            return None


def write_zip(folder: Path, target: Path) -> None:
    """A byte-reproducible zip of ``folder`` (sorted entries, fixed dates and modes), its name as the one top folder."""
    with zipfile.ZipFile(target, "w") as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{folder.name}/{path.relative_to(folder).as_posix()}", ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, path.read_bytes(), compresslevel=9)
