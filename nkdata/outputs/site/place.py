"""Where a site goes: a folder of its own, replaced whole, and only once the new site is complete.

The site is written into a staging folder beside ``out`` and moved into place when every file is
written, so a build that fails leaves the previous site exactly as it was. ``out`` is replaced only
when it holds nothing but a site nkdata wrote: the site's marker file (:data:`MARKER`) lists every
file and folder the site wrote, and a folder holding anything else (curated data, a release, a file
of the user's) is refused, never emptied. A folder inside the project's ``data/`` or ``seeds/`` or
inside the release the site shows is refused too, even when empty.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import secrets
import shutil
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

from nkdata.curated.safeopen import NotInside, TooLarge, read_inside
from nkdata.errors import BuildError, UsageError
from nkdata.release.placing import make_parents, remove_stale, swap_folder

#: The marker file in a site's folder: a first line saying what it is, then what the site wrote.
MARKER = ".nkdata-site"
MARKER_HEAD = "nkdata site: the files and folders below were written by 'nkdata site', which replaces this folder only while it holds nothing else"
MAX_MARKER = 64 << 20  # a site of a million pages lists ~40 MB
_STAGING = ".nkdata-staging."  # beside ``out``: the site being written
_SHOWN = 3  # foreign files named in a refusal


def absolute(out: Path) -> Path:
    """``out`` as an absolute path whose last part is its own name (``.`` and ``..`` resolved), so it can be renamed."""
    if out.name in ("", ".", ".."):
        return out.resolve()
    return out.parent.resolve() / out.name


def check_out(out: Path, keep_clear: Sequence[tuple[Path, str]] = ()) -> None:
    """UsageError unless ``out`` may become the site: absent, an empty folder, or a site nkdata wrote
    that holds nothing else; and not inside any ``(folder, what it is)`` of ``keep_clear``."""
    where = absolute(out)
    _refuse_the_current_folder(out, where)
    for folder, what in keep_clear:
        top = absolute(folder).resolve()
        if where.resolve() == top or top in where.resolve().parents:
            raise UsageError(f"{out} lies in {what} ({folder}); write the site somewhere else. Nothing was written")
    mode = _mode(out)
    if mode is None:
        return
    if stat.S_ISLNK(mode):
        raise UsageError(f"{out} is a symlink; give the folder it leads to, or another path, as the site's folder. Nothing was written")
    if not stat.S_ISDIR(mode):
        raise UsageError(f"{out} exists and is not a folder; the site is a folder: give another path. Nothing was written")
    try:
        foreign = _foreign(where)
    except OSError as exc:
        raise UsageError(f"{out}: cannot read it ({exc.strerror or exc}); give a folder that can be read and written. Nothing was written") from None
    if foreign:
        shown = ", ".join(foreign[:_SHOWN]) + (", ..." if len(foreign) > _SHOWN else "")
        if _listed(where) is None:  # no marker: maybe a site of an nkdata before 0.4, maybe anything else
            raise UsageError(
                f"{out} is not empty ({shown}) and has no {MARKER} file, which marks a site 'nkdata site' wrote (sites written "
                "before nkdata 0.4 have none); it replaces only a marked site: look inside, remove the folder yourself, or give a "
                "new one. Nothing was written"
            )
        raise UsageError(
            f"{out} holds files 'nkdata site' did not write ({shown}); it replaces only a folder "
            "holding nothing but a site it wrote: give an empty or new folder. Nothing was written"
        )


def _refuse_the_current_folder(out: Path, where: Path) -> None:
    """The site replaces its folder whole: never the folder the command runs in, or one above it."""
    try:
        here = Path.cwd().resolve()
    except OSError:  # the current folder is gone: nothing to protect
        return
    target = where.resolve()
    if target == here or target in here.parents:
        raise UsageError(
            f"{out} is the current folder{'' if target == here else ' or one above it'}; the site replaces its folder whole: "
            "give a folder of its own, e.g. --out site. Nothing was written"
        )


def _mode(out: Path) -> int | None:
    """The ``lstat`` mode of ``out``, None when nothing is there; a path that cannot be a folder is a UsageError."""
    try:
        return os.lstat(out).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:  # a file where a folder should be, a name too long, no permission
        raise UsageError(f"{out}: {exc.strerror or exc}; give a path that can be written. Nothing was written") from None


def _listed(folder: Path) -> set[str] | None:
    """What the marker of ``folder`` says the site wrote, or None when there is no readable marker."""
    try:
        text = read_inside(folder / MARKER, folder, MAX_MARKER, "the site's folder").decode("utf-8")
    except (OSError, NotInside, TooLarge, UnicodeDecodeError):
        return None
    head, _, rest = text.partition("\n")
    return set(rest.splitlines()) if head == MARKER_HEAD else None


def _foreign(folder: Path) -> list[str]:
    """Up to ``_SHOWN + 1`` things in ``folder`` the site did not write (by its marker), folders with a ``/``."""
    listed = _listed(folder)
    if listed is None:  # not a site nkdata wrote: anything in it is foreign (and the first few are enough)
        with os.scandir(folder) as entries:
            return [e.name + ("/" if e.is_dir(follow_symlinks=False) else "") for e in itertools.islice(entries, _SHOWN + 1)]
    return list(itertools.islice((name for name in contents(folder) if name not in listed), _SHOWN + 1))


def contents(folder: Path) -> Iterator[str]:
    """Every file and folder under ``folder`` (symlinks not followed), as paths relative to it, folders
    ending in ``/``; the marker file is not listed. A folder that cannot be read is listed as ``NAME/?``."""
    errors: list[OSError] = []
    for top, dirs, files in os.walk(folder, onerror=errors.append):
        rel = Path(top).relative_to(folder).as_posix()
        prefix = "" if rel == "." else rel + "/"
        dirs.sort()  # walked in this order: the marker lists a site the same way every time
        for name in dirs:
            path = Path(top, name)
            yield prefix + name + ("" if path.is_symlink() else "/")
        for name in sorted(files):
            if prefix or name != MARKER:
                yield prefix + name
    for error in errors:
        yield Path(str(error.filename)).relative_to(folder).as_posix() + "/?"


def mark(folder: Path) -> None:
    """Write the marker of a finished site in ``folder``: what the site wrote, one path a line."""
    (folder / MARKER).write_text("\n".join([MARKER_HEAD, *contents(folder)]) + "\n", encoding="utf-8", newline="\n")


@contextlib.contextmanager
def staged(out: Path, keep_clear: Sequence[tuple[Path, str]] = ()) -> Iterator[Path]:
    """A new folder beside ``out`` to write the site into. When the block ends, the site is marked and
    moved into place as ``out`` (an earlier site there removed after); when it raises, or ``out`` may
    not be replaced (:func:`check_out`, asked again at the end), nothing is left and ``out`` is as it was."""
    check_out(out, keep_clear)
    with _beside(out) as staging:
        yield staging
        mark(staging)
        check_out(out, keep_clear)  # what is there now, just before it is replaced
        swap_folder(staging, absolute(out), staging.with_name(staging.name + ".old"))  # cleaned as the staging folder is


@contextlib.contextmanager
def _beside(out: Path) -> Iterator[Path]:
    """A new folder in ``out``'s folder (created with its missing parents) to stage the site in.
    It is removed after the block, and the parents made for it when ``out`` is still absent; an
    OSError (a full disk, a name too long, no permission) becomes one BuildError."""
    where = absolute(out)
    made: list[Path] = []
    staging = where.parent / f"{_STAGING}{os.getpid()}.{secrets.token_hex(4)}"
    owned = False  # only what this call made is removed: never a same-named thing that was there before
    try:
        made = make_parents(where.parent)
        remove_stale(where.parent, _STAGING)  # what a killed run left here
        if os.path.lexists(staging):
            raise FileExistsError(errno.EEXIST, "a staging name already in use", str(staging))
        staging.mkdir()  # not mkdtemp: the site's folder gets the usual permissions, not 0700
        owned = True
        yield staging
    except OSError as exc:
        raise BuildError(f"cannot write the site to {out} ({exc.filename or out}: {exc.strerror or exc}). Nothing was written") from None
    finally:
        if owned and staging.is_dir() and not staging.is_symlink():
            shutil.rmtree(staging, ignore_errors=True)
        elif owned and os.path.lexists(staging):  # something put in its place meanwhile: the name goes, not what it leads to
            staging.unlink()
        if not os.path.lexists(where):
            for parent in made:
                with contextlib.suppress(OSError):
                    parent.rmdir()
