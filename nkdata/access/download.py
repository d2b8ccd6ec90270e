"""Saving a release zip for people who don't use Python."""

from __future__ import annotations

import shutil
from pathlib import Path

from nkdata._version import __version__
from nkdata.access.fetch import check_folder_path, fetch_zip, mirror_base
from nkdata.access.loader import embedded_release
from nkdata.access.registry import registry
from nkdata.errors import DataNotAvailable, IntegrityError
from nkdata.release.archive import write_zip
from nkdata.release.hashing import sha256_file
from nkdata.release.layout import zip_name


def save_zip(version: str | None = None, dest: Path | str = ".", mirror: str | None = None) -> Path:
    """Write ``nkdata-<version>.zip`` into ``dest`` and check it against the registry."""
    version = version or __version__
    dest = Path(dest)
    if mirror is not None:
        mirror_base(mirror)  # a malformed or refused mirror is a usage error, whichever version is saved
    check_folder_path(dest, ": give a folder to save the zip in")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataNotAvailable(f"cannot create the folder {dest}: {exc.strerror or exc}") from None
    target = dest / zip_name(version)
    expected = registry().get(version)
    if version == __version__:
        release = embedded_release()
        release.verify()
        tmp = dest / f".{target.name}.part"
        try:
            write_zip(release.folder, tmp)
            if expected and sha256_file(tmp) != expected:
                raise IntegrityError(f"the zip made from the embedded release does not match the registry's sha256 for {version}")
            tmp.replace(target)
        except OSError as exc:  # a full disk, a read-only folder: this machine's, said in one line
            raise DataNotAvailable(f"cannot write {target}: {exc.strerror or exc}") from None
        finally:
            tmp.unlink(missing_ok=True)  # a failed or refused zip leaves nothing behind
        return target
    src = fetch_zip(version, mirror, dest)
    if src != target:
        shutil.copyfile(src, target)
    return target
