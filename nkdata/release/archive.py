"""Release zips: the one writer (byte-reproducible) and the one reader (every member checked first).

:func:`write_zip` zips a release folder with sorted entries and fixed dates and
modes, so the same release gives the same bytes. :func:`extract` and
:func:`read_member` are the only way nkdata opens a zip. They are used wherever a release zip is read (``nkdata.load(version=...)`` unpacking a
download, ``nkdata diff`` and ``nkdata validate`` on a zip). The rules, all
checked first so that a refused zip writes nothing:

- the file is a readable zip;
- no member name is absolute, holds ``..``, a backslash or a drive (``C:``);
- no member is a symbolic link;
- no two members have the same name;
- at most ``max_members`` members and ``max_bytes`` bytes once unpacked;
- with ``top``, every member lies under that one folder; with ``single_top``,
  all members lie under one folder, whatever its name.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path, PurePosixPath

from nkdata.errors import IntegrityError

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
MAX_MEMBERS = 2_000_000  # a synthetic 1M-figure release holds ~100k texts
MAX_BYTES = 32 << 30  # unpacked bytes; far above any real release, far below a zip bomb's claim
MAX_RATIO = 200  # a member over 1 MiB may unpack to at most this many times its compressed size (CSV: ~10)


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
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"unexpected member {name!r}: a symbolic link"
    return None


def check_members(zf: zipfile.ZipFile, path: Path | str, *, top: str | None = None, single_top: bool = False,
                  max_members: int = MAX_MEMBERS, max_bytes: int = MAX_BYTES) -> list[zipfile.ZipInfo]:
    """Every member of an open zip, after checking the rules; raises UnsafeZip on the first broken one."""
    infos = zf.infolist()
    if len(infos) > max_members:
        raise UnsafeZip(path, f"{len(infos):,} members, more than the {max_members:,} allowed")
    total = sum(i.file_size for i in infos)
    if total > max_bytes:
        raise UnsafeZip(path, f"{total:,} bytes once unpacked, more than the {max_bytes:,} allowed")
    seen: set[str] = set()
    for info in infos:
        problem = _name_problem(info)
        if problem is None and info.filename in seen:
            problem = f"unexpected member {info.filename!r}: a second member of that name"
        if problem is None and top is not None and not info.filename.startswith(f"{top}/"):
            problem = f"unexpected member {info.filename!r}: outside {top}/"
        if problem is None and info.file_size > (1 << 20) and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            problem = f"member {info.filename!r} would unpack to {ratio:,} times its compressed size (over {MAX_RATIO}): a zip bomb?"
        if problem is not None:
            raise UnsafeZip(path, problem)
        seen.add(info.filename)
    if single_top:
        tops = sorted({i.filename.split("/", 1)[0] for i in infos if "/" in i.filename} | {i.filename for i in infos if "/" not in i.filename})
        if len(tops) != 1:
            raise UnsafeZip(path, f"not an nkdata release zip (expected one nkdata-X.Y.Z/ folder inside, found {', '.join(tops[:3]) or 'nothing'})")
    return infos


def extract(path: Path | str, dest: Path | str, *, top: str | None = None, single_top: bool = False,
            max_members: int = MAX_MEMBERS, max_bytes: int = MAX_BYTES) -> list[str]:
    """Check every member of the zip at ``path``, then extract them all into ``dest``; return their names."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = check_members(zf, path, top=top, single_top=single_top, max_members=max_members, max_bytes=max_bytes)
            zf.extractall(dest, members=infos)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise UnsafeZip(path, f"not a valid zip ({exc})") from None
    return [i.filename for i in infos]


def extract_release(path: Path | str, dest: Path | str) -> list[str]:
    """Extract a release zip whose every member is its ``datapackage.json`` or a file that descriptor
    names (tables, Parquet twins, texts); return the names extracted. A member nothing names (a
    payload, junk, padding) is refused before anything is written. When the descriptor cannot be
    read, only the descriptor is extracted, so that the caller reports what is wrong with it."""
    from nkdata.release.descriptor import DescriptorError, load_descriptor
    from nkdata.release.layout import DESCRIPTOR, PARQUET_PROPERTY, TEXTS_PROPERTY

    dest = Path(dest)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = check_members(zf, path, single_top=True)
            found = sorted((i for i in infos if PurePosixPath(i.filename).name == DESCRIPTOR), key=lambda i: i.filename.count("/"))
            if not found:
                return []
            top = found[0].filename.rsplit("/", 1)[0] + "/" if "/" in found[0].filename else ""
            zf.extractall(dest, members=[found[0]])
            try:
                descriptor = load_descriptor(dest / found[0].filename)
            except DescriptorError:
                return [found[0].filename]
            entries = [*descriptor["resources"], *(r.get(PARQUET_PROPERTY) for r in descriptor["resources"]), *descriptor.get(TEXTS_PROPERTY, [])]
            listed = {found[0].filename} | {top + e["path"] for e in entries if isinstance(e, dict) and isinstance(e.get("path"), str)}
            unlisted = [i.filename for i in infos if i.filename not in listed and not i.is_dir()]
            if unlisted:
                more = f" (and {len(unlisted) - 1:,} more)" if len(unlisted) > 1 else ""
                raise UnsafeZip(path, f"unexpected member {unlisted[0]!r}{more}: not named in {DESCRIPTOR}")
            members = [i for i in infos if i.filename != found[0].filename]
            zf.extractall(dest, members=members)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise UnsafeZip(path, f"not a valid zip ({exc})") from None
    return [i.filename for i in infos]


def read_member(path: Path | str, name: str) -> bytes | None:
    """The bytes of one member of a zip (None when there is no such member), the zip checked first."""
    try:
        with zipfile.ZipFile(path) as zf:
            check_members(zf, path)
            try:
                return zf.read(name)
            except KeyError:
                return None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise UnsafeZip(path, f"not a valid zip ({exc})") from None


def write_zip(folder: Path, target: Path) -> None:
    """A byte-reproducible zip of ``folder`` (sorted entries, fixed dates and modes), its name as the one top folder."""
    with zipfile.ZipFile(target, "w") as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{folder.name}/{path.relative_to(folder).as_posix()}", ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, path.read_bytes(), compresslevel=9)
