"""``nkdata new-source``: start the curated YAML file of a newly archived text.

The scaffold holds only what can be known without reading the text: its path
and sha256, a source id, nulls for everything the curator must look up, empty
record lists, and commented examples of each record kind. ``nkdata validate``
then reports just F700 (no records yet) until the first record is added.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from nkdata.checks.texts import MAX_TEXT_BYTES
from nkdata.curated.reader import SOURCES_DIR, find_root
from nkdata.curated.safeopen import NotInside, TooLarge, check_folder, read_inside
from nkdata.errors import NkdataError, UsageError
from nkdata.problems import printable
from nkdata.spec.models import ID_PATTERNS, ID_RULE

# What a source's text_path allows after seeds/, and no leading '.' or '-' (no '..txt', no '-rf.txt'
# that a shell or a later tool would take for an option). Always used with fullmatch: '$' in
# re.match accepts a trailing newline.
TEXT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.txt")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Z]{2})?")
MAX_TEXT_NAME = 200
# Controls, line and paragraph separators, and lone surrogates (a --title in bytes that are not UTF-8): none
# is in a one-line title, and a surrogate cannot be written as UTF-8. Joiners and bidi marks can be (Persian, Hebrew).
NOT_IN_A_TITLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


class ScaffoldRefused(NkdataError):
    """new-source would overwrite or shadow something that exists; nothing was written."""


@dataclass(frozen=True)
class Scaffolded:
    yaml_path: Path
    text_path: Path
    source_id: str
    copied: bool


def default_source_id(stem: str) -> str:
    """``src-`` and the file name's words in lower case, joined by hyphens."""
    return "src-" + "-".join(re.findall(r"[a-z0-9]+", stem.lower()))


def _existing_sources(root: Path) -> tuple[dict[str, str], dict[str, str]]:
    """(source_id → file, text_path → file) of the source files that can be read."""
    from nkdata.curated.yamlsafe import YamlProblem, read_yaml

    ids: dict[str, str] = {}
    texts: dict[str, str] = {}
    folder = root / SOURCES_DIR
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        try:
            data = read_yaml(path, root=root).data
        except (YamlProblem, OSError):
            continue  # nkdata validate reports it; it cannot claim an id or text here
        source = data.get("source") if isinstance(data, dict) else None
        if isinstance(source, dict):
            rel = path.relative_to(root).as_posix()
            if isinstance(source.get("source_id"), str):
                ids[source["source_id"]] = rel
            if isinstance(source.get("text_path"), str):
                texts[source["text_path"]] = rel
    return ids, texts


def _check_folders(root: Path, seeds: Path) -> None:
    """UsageError unless seeds/ and data/sources/ are folders of the project, or not there yet (they are
    made): a link out of the project would have new-source write there, a file in their place fail."""
    places = (
        (seeds, "archived texts live in the project's own seeds/ folder"),
        (root / SOURCES_DIR, "source files live in the project's own data/sources/ folder"),
    )
    for folder, what in places:
        try:
            check_folder(folder, root)
        except NotInside as exc:
            raise UsageError(f"{folder} {exc}: {what}") from None
        if (folder.exists() or folder.is_symlink()) and not folder.is_dir():
            raise UsageError(f"{folder} is not a folder: {what}; move the file away")


def _read_existing(target: Path, seeds: Path) -> bytes | None:
    """The bytes of a text already in seeds/, or None if it is not a plain file there (validate says why)."""
    try:
        return read_inside(target, seeds, MAX_TEXT_BYTES, "seeds/")
    except (NotInside, TooLarge, OSError):
        return None


def _read_text(path: Path) -> bytes:
    with open(path, "rb") as fh:  # a regular file (checked by the caller); read no more than the limit + 1
        raw = fh.read(MAX_TEXT_BYTES + 1)
    if len(raw) > MAX_TEXT_BYTES:
        raise UsageError(f"{path} is more than {MAX_TEXT_BYTES:,} bytes; archived texts are at most {MAX_TEXT_BYTES:,} (archive the article, not a whole site)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 (byte {exc.start}): convert it to UTF-8 before archiving it") from None
    if not text.strip():
        raise UsageError(f"{path} is empty: there is nothing to take evidence from")
    return raw


def _write_new(path: Path, data: bytes) -> None:
    """Write a file that must not exist yet ('x' mode: never overwrite), completely or not at all;
    a file system that refuses (full, read-only, too large a file) is a one-line NkdataError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "xb")
    except FileExistsError:
        raise ScaffoldRefused(f"{path} already exists; nothing was written") from None
    except OSError as exc:
        raise NkdataError(f"cannot write {path}: {exc.strerror}; nothing was written") from None
    try:
        with fh:
            fh.write(data)
    except BaseException as exc:
        path.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise NkdataError(f"cannot write {path}: {exc.strerror}; nothing was written") from None
        raise


def render(source_id: str, text_path: str, sha256: str, title: str | None, language: str) -> str:
    """The scaffold's YAML text."""
    title_value = json.dumps(title, ensure_ascii=False) if title else "null"
    return f"""\
# Curated records of {text_path}, started by 'nkdata new-source'.
# Copy every evidence span and quotation from that text, verbatim; the build computes offsets.
# Write null for anything the text does not say: never fill a value from memory or another page.
# Fields and vocabulary terms: docs/data-dictionary.md. Step by step: CONTRIBUTING.md.
source:
  source_id: {source_id}
  title: {title_value}{"" if title else "              # the title as the text gives it; null if it has none"}
  publisher: null          # entity id (news_outlet, government, government_agency) if the text names its publisher
  url: null                # where the text was published; null if unknown
  published_start: null    # publication interval, YYYY-MM-DD, with its precision; null if unknown
  published_end: null
  published_precision: null
  published_inferred: false  # true if the date comes from outside the text (then say how in notes)
  language: {language}             # BCP 47 code of the text's language
  cites: []                # entities the text names as its origin (e.g. an "Original Source:" line)
  text_path: {text_path}
  text_sha256: {sha256}
  text_kind: full          # 'excerpt' if the archived text holds only passages of the source
  retrieved: null          # day the text was retrieved (YYYY-MM-DD); null if unknown
  notes: null              # what is inferred and from where

figures: []
# One figure per number the text reports. Replace "figures: []" above with a list like this
# (uncommented); every value below is a placeholder showing the form.
# figures:
#   - figure_id: fig-originator-metric-period      # fig- and lower-case words joined by hyphens
#     metric: casualties                           # a term of the 'metric' vocabulary
#     value: 4000                                  # the number as stated; null for a range
#     value_low: 4000                              # bounds as the qualifier requires
#     value_high: null
#     qualifier: more_than                         # exact, approximately, more_than, at_least, ..., range
#     value_text: more than 4,000                  # the words stating the number, verbatim
#     unit: persons
#     date_start: null                             # the interval the figure refers to, or null
#     date_end: null
#     date_precision: null
#     date_text: null                              # the text's own words for that date
#     attribution: [ent-originator, ent-relayer]   # originator first; ids from data/entities.yaml
#     evidence: >-
#       The sentence of the text that states the number, copied verbatim.
#     notes: null

statements: []
# One statement per quotation or reported claim. Replace "statements: []" above with:
# statements:
#   - statement_id: stm-speaker-subject
#     speaker_id: ent-speaker                      # null if the text does not say who
#     attribution: [ent-speaker, ent-outlet]       # must include the speaker
#     kind: direct_quote                           # or reported (then text is the reporting sentence)
#     text: the quoted words, verbatim, without the quotation marks
#     evidence: >-
#       The sentence holding the quotation and who said it, verbatim.
#     topics: [morale]                             # terms of the 'topic' vocabulary
#     notes: null

events: []
# One event per dated or datable happening. Replace "events: []" above with:
# events:
#   - event_id: evt-what-when
#     event_type: deployment                       # a term of the 'event_type' vocabulary
#     summary: Your own short description of what happened.
#     date_start: null
#     date_end: null
#     date_precision: null
#     date_text: null
#     location_id: null                            # a place or country entity, or null
#     actor_ids: [ent-actor]
#     attribution: [ent-originator]
#     evidence: >-
#       The sentence of the text that reports the event, copied verbatim.
#     notes: null
"""


def new_source(
    text_file: Path | str,
    path: Path | str | None = None,
    source_id: str | None = None,
    title: str | None = None,
    language: str = "en",
) -> Scaffolded:
    """Archive ``text_file`` under seeds/ (if it is not there) and write data/sources/<stem>.yaml.

    Refuses, writing nothing, when the YAML exists, when another file of that name is
    in seeds/, or when another source already has that id or text.
    """
    root = find_root(path)
    src = Path(text_file)
    if not src.is_file():
        raise UsageError(f"{src}: no such file (give the archived text to start a source for)")
    if not TEXT_NAME.fullmatch(src.name):
        raise UsageError(
            f"{src.name!r}: rename the text to letters, digits, '.', '_' or '-' ending in .txt, starting with a letter or digit (e.g. 002_korea-herald.txt)"
        )
    if len(src.name) > MAX_TEXT_NAME:  # its source file's name, NAME.yaml, must fit the file system's 255 bytes
        raise UsageError(f"{src.name[:40]}...: rename the text to at most {MAX_TEXT_NAME} characters")
    if title is not None and NOT_IN_A_TITLE.search(title):
        raise UsageError(f"--title '{printable(title)[:80]}' holds a control character or line break: give the title on one line, as the text gives it")
    if not LANGUAGE.fullmatch(language):
        raise UsageError(f"--language {language!r} is not a BCP 47 code such as en, ko or pt-BR")
    seeds = root / "seeds"
    _check_folders(root, seeds)
    if src.resolve().parent != seeds.resolve() and seeds.resolve() in src.resolve().parents:
        raise UsageError(f"{src}: texts live directly in seeds/, not in a subfolder")
    target = seeds / src.name
    rel_text = f"seeds/{src.name}"
    raw = _read_text(src)
    if target.exists() and target.resolve() != src.resolve() and _read_existing(target, seeds) != raw:
        raise ScaffoldRefused(f"{rel_text} already exists with different content: rename your text (archived texts never change)")
    stem = src.name[: -len(".txt")]
    yaml_path = root / SOURCES_DIR / f"{stem}.yaml"
    for existing in (yaml_path, yaml_path.with_suffix(".yml")):
        if existing.exists():
            raise ScaffoldRefused(f"{existing.relative_to(root).as_posix()} already exists; new-source never overwrites curated files")
    sid = source_id or default_source_id(stem)
    if not re.fullmatch(ID_PATTERNS["sources"], sid):
        raise UsageError(f"source id {sid!r} is not valid: ids are {ID_RULE} (pass --id src-...)")
    ids, texts = _existing_sources(root)
    if sid in ids:
        raise ScaffoldRefused(f"source id {sid!r} is already used in {ids[sid]}; pass another with --id")
    if rel_text in texts:
        raise ScaffoldRefused(f"{rel_text} is already the text of {texts[rel_text]}")
    content = render(sid, rel_text, hashlib.sha256(raw).hexdigest(), title, language)
    copied = not target.exists()
    if copied:
        _write_new(target, raw)
    try:
        _write_new(yaml_path, content.encode("utf-8"))
    except BaseException:
        if copied:
            target.unlink()
        raise
    return Scaffolded(yaml_path, target, sid, copied)
