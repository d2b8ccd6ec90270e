"""Archived texts (T500–T504): each source's text is there, unchanged (its sha256), and UTF-8.

:func:`decode_text` is the check both paths run on a text's bytes; curated
projects read them from seeds/ (T503, T504 guard the path and size), packages
from the files their descriptor lists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from nkdata.checks.spans import SourceTexts
from nkdata.checks.tablerows import TableRows
from nkdata.checks.textmatch import IndexedText
from nkdata.curated.safeopen import NotInside, TooLarge, check_folder, read_inside

if TYPE_CHECKING:  # pragma: no cover
    from nkdata.curated.reader import Curated

MAX_TEXT_BYTES = 10 * 1024 * 1024  # an archived article is kilobytes; refuse before reading a huge file

#: report(code, field, message, hint) for the source at hand.
Report = Callable[[str, str, str, str], None]


def decode_text(raw: bytes | None, rel: str, sha256: str, report: Report, missing_hint: str) -> str | None:
    """The text of ``raw`` (None when missing: T500); T501 when its sha256 differs, T502 when it is not UTF-8."""
    if not text_problems(raw, rel, sha256, report, missing_hint) or raw is None:
        return None
    return raw.decode("utf-8")


def text_problems(raw: bytes | None, rel: str, sha256: str, report: Report, missing_hint: str, digest: str | None = None, utf8: bool = False) -> bool:
    """T500–T502 for one archived text's bytes; whether the text is there and UTF-8.

    ``digest`` is the bytes' sha256 when already computed; ``utf8`` True when
    the bytes are already known to be valid UTF-8.
    """
    if raw is None:
        report("T500", "text_path", f"archived text {rel} is missing", missing_hint)
        return False
    digest = digest or hashlib.sha256(raw).hexdigest()
    if digest != sha256:
        report(
            "T501",
            "text_sha256",
            f"{rel} has sha256 {digest}, the record says {sha256}",
            "archived texts never change: restore the original bytes; if the new text is right, it is a new source",
        )
    if not utf8:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            report("T502", "text_path", f"{rel} is not valid UTF-8 (byte {exc.start})", "archive texts as UTF-8")
            return False
    return True


def check_curated(cur: Curated) -> dict[str, IndexedText]:
    """Each curated source's archived text from seeds/, checked; by source id."""
    texts: dict[str, IndexedText] = {}
    seeds = cur.root / "seeds"
    try:
        check_folder(seeds, cur.root)
        outside = None
    except NotInside as exc:  # every text would be read from outside the project
        outside = f"seeds/ {exc}"
    for loc in cur.records["sources"]:
        src = loc.record

        def report(code: str, field: str, message: str, hint: str, loc: object = loc) -> None:
            cur.problems.append(loc.problem(code, field, message, hint))  # type: ignore[attr-defined]

        rel, sha = str(src.text_path), str(src.text_sha256)  # type: ignore[attr-defined]
        if outside is not None:
            report("T503", "text_path", f"{rel}: {outside}", "keep archived texts as plain files in seeds/, a folder of the project")
            continue
        try:  # a path out of seeds/, as written or through a symlink in seeds/, is NotInside
            raw: bytes | None = read_inside(cur.root / rel, seeds, MAX_TEXT_BYTES, "seeds/")
        except NotInside as exc:
            report("T503", "text_path", f"{rel} {exc}", "keep archived texts as plain files in seeds/")
            continue
        except TooLarge as exc:
            report("T504", "text_path", f"{rel} is {exc}; the limit is {MAX_TEXT_BYTES:,}", "archive only the article's text, as UTF-8")
            continue
        except OSError:
            raw = None
        text = decode_text(raw, rel, sha, report, "add the text to seeds/ or fix text_path")
        if text is not None:
            texts[src.record_id] = IndexedText(text)
    return texts


def check_package(sources: TableRows, files: dict[str, tuple[bytes, str]]) -> SourceTexts:
    """Each valid source's archived text among a package's ``files`` (path: bytes and their sha256), checked."""
    ids = sources.ids
    paths = sources.data["text_path"].to_pylist()
    shas = sources.data["text_sha256"].to_pylist()
    rows = [r for r in range(sources.data.num_rows) if sources.ok[r] and paths[r] in files]
    texts = SourceTexts([ids[r] for r in rows], [files[paths[r]][0] for r in rows])
    utf8 = dict(zip(rows, texts.valid_utf8(), strict=True))
    hint = "a package declares every source's text as one of its resources; rebuild it"
    for r in range(sources.data.num_rows):
        if not sources.ok[r]:
            continue

        def report(code: str, field: str, message: str, hint: str, r: int = r) -> None:
            sources.report(r, code, field, message, hint)

        raw, digest = files.get(paths[r], (None, None))
        text_problems(raw, paths[r], shas[r], report, hint, digest, utf8.get(r, False))
    if not all(utf8.values()):  # texts that are not UTF-8 have no text to check evidence in
        texts = SourceTexts([ids[r] for r in rows if utf8[r]], [files[paths[r]][0] for r in rows if utf8[r]])
    files.clear()  # the texts kept are all that is needed from here on
    return texts
