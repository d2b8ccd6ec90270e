"""The files that make a release self-describing: its data card and what the card points to.

Inside every release, next to the tables: ``README.md`` (the data card: what the data is, coverage
and cut-off, the tables, how claims are reconciled, known limits, how to cite, licences, where the
data lives), ``LICENSE-DATA``, ``data-dictionary.md`` (the one the models generate), ``CITATION.cff``
(Citation File Format 1.2.0) and ``CHANGELOG.md`` (this version's entry). The numbers the card
states come from :func:`nkdata.release.summary.summarise` over the built tables, as ``nkdata info``'s do.

The repository's own ``CITATION.cff`` and ``LICENSE-DATA`` are generated here too
(``python -m nkdata.release.card``; a test fails when they drift).
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nkdata.errors import BuildError
from nkdata.release.files import file_resource
from nkdata.release.layout import PARQUET_PROPERTY
from nkdata.release.summary import About, Summary, about, summarise

if TYPE_CHECKING:  # pragma: no cover
    from nkdata.curated.package_meta import PackageMeta

__all__ = [
    "CARD_FILES",
    "CHANGELOG",
    "card_files",
    "card_resources",
    "changelog_entry",
    "citation_cff",
    "license_data",
    "package_about",
    "preferred_citation",
    "project_files",
    "read_changelog_entry",
    "write_card",
]

CHANGELOG = "CHANGELOG.md"
#: The card's files, in the order the descriptor lists them: path -> (resource name, media type).
CARD_FILES: dict[str, tuple[str, str]] = {
    "README.md": ("readme", "text/markdown"),
    "LICENSE-DATA": ("license-data", "text/plain"),
    "data-dictionary.md": ("data-dictionary", "text/markdown"),
    "CITATION.cff": ("citation", "application/x-yaml"),
    CHANGELOG: ("changelog", "text/markdown"),
}
#: What each of the card's files is, for people reading datapackage.json.
CARD_TITLES: dict[str, str] = {
    "README.md": "Data card: what the data is, coverage, tables, limits, how to cite, licences",
    "LICENSE-DATA": "The licences of the tables and of the archived texts",
    "data-dictionary.md": "Data dictionary: every column of every table, its type, unit and vocabulary",
    "CITATION.cff": "How to cite this release (Citation File Format)",
    CHANGELOG: "What changed in this version",
}
#: The most CHANGELOG.md may hold: years of entries are a few hundred kilobytes.
MAX_CHANGELOG_BYTES = 8 << 20
_HEADING = re.compile(r"^##\s+\[?(?P<version>[^\]\s]+)\]?.*$", re.MULTILINE)
_WIDTH = 78
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # invisible in an editor, carried into every copy of the card
_RELATIVE_LINK = re.compile(r"\]\((?![a-z][a-z0-9+.-]*:|#|/)([^)\s]+)\)")


def changelog_entry(text: str, version: str) -> str:
    """The section of a CHANGELOG.md for ``version``: its ``## [X.Y.Z]`` heading down to the next ``## ``.

    Raises
    ------
    BuildError
        CHANGELOG.md has no section for ``version``, two of them (which would the release carry?), or
        one with nothing under its heading.
    """
    headings = list(_HEADING.finditer(text))
    mine = [i for i, m in enumerate(headings) if m["version"] == version]
    if len(mine) > 1:
        lines = ", ".join(str(text.count("\n", 0, headings[i].start()) + 1) for i in mine)
        raise BuildError(f"{CHANGELOG} has {len(mine)} entries for {version} (lines {lines}): merge them into one. Nothing was written")
    for i in mine:
        m = headings[i]
        end = headings[i + 1].start() if i + 1 < len(headings) else len(text)
        entry = text[m.start() : end].rstrip() + "\n"
        if not entry[m.end() - m.start() :].strip():
            raise BuildError(f"{CHANGELOG}'s entry for {version} is only a heading: say what changed in it. Nothing was written")
        if bad := _CONTROL.search(entry):
            line = text.count("\n", 0, m.start() + bad.start()) + 1
            char = f"U+{ord(bad.group()):04X}"
            raise BuildError(f"{CHANGELOG} line {line}: the entry for {version} holds the control character {char}: delete it. Nothing was written")
        return entry
    raise BuildError(
        f"{CHANGELOG} has no entry for {version}: a release carries its changelog entry, so add a "
        f"'## [{version}] - YYYY-MM-DD' section to {CHANGELOG} (draft it with 'nkdata diff --format markdown'), "
        "or build another version. Nothing was written"
    )


def has_changelog_entry(text: str, version: str) -> bool:
    """Whether the CHANGELOG.md ``text`` has a section for ``version``."""
    return any(m["version"] == version for m in _HEADING.finditer(text))


def read_changelog_entry(root: Path, version: str) -> str:
    """This version's entry of the project's CHANGELOG.md (:func:`changelog_entry`); BuildError when there is none."""
    return changelog_entry(read_changelog(root, version), version)


def read_changelog(root: Path, version: str) -> str:
    """The project's CHANGELOG.md, which must hold an entry for ``version``; BuildError when it cannot be read.

    Read as every curated file is (:func:`nkdata.curated.safeopen.read_inside`): a symlink out of the
    project (whose text would be published), a FIFO (which would block the build) or a device such as
    ``/dev/zero`` (which never ends) is refused before it is read, and so is a file over ``MAX_CHANGELOG_BYTES``.
    """
    from nkdata.curated.safeopen import NotInside, TooLarge, read_inside

    path = root / CHANGELOG
    try:
        raw = read_inside(path, root, MAX_CHANGELOG_BYTES)
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # newlines as read_text gave them
    except (OSError, UnicodeDecodeError, NotInside, TooLarge) as exc:
        why = f"is {exc} (at most {MAX_CHANGELOG_BYTES:,})" if isinstance(exc, TooLarge) else str(getattr(exc, "strerror", None) or exc)
        raise BuildError(
            f"{path} cannot be read ({why}): a release carries its changelog entry; "
            f"make {CHANGELOG} a UTF-8 file in the project with a '## [{version}] - YYYY-MM-DD' section. Nothing was written"
        ) from None
    return text


def _fill(text: str) -> str:
    return textwrap.fill(text, _WIDTH, break_long_words=False, break_on_hyphens=False)


def preferred_citation(about: About) -> str:
    """How to cite the release, in words (what CITATION.cff says)."""
    year = about.released[:4]
    where = f" {about.homepage}" if about.homepage else ""
    return f"{', '.join(about.authors) or about.title} ({year}). {about.title} (version {about.version}) [Data set].{where}"


def license_data(about: About) -> str:
    """The LICENSE-DATA text: the tables under CC BY 4.0, the quoted texts their publishers'."""
    authors = ", ".join(about.authors) or about.title
    paragraphs = [
        "The nkdata dataset (the curated records in data/, the generated schemas in schema/, and the built data "
        "packages) is licensed under the Creative Commons Attribution 4.0 International licence (CC BY 4.0):\n"
        "https://creativecommons.org/licenses/by/4.0/",
        f'Cite as: {authors}, "{about.title}", version {about.version}.',
        "Quoted source text is not ours. The archived texts in seeds/, and the verbatim evidence and quotations "
        "copied from them into the data, remain the property of their publishers and authors. They are reproduced "
        "for reference, research and verification (quotation with attribution); the CC BY 4.0 licence does not "
        "extend to them. Reuse them under the terms their publishers set.",
    ]
    return "\n\n".join("\n".join(_fill(part) for part in p.split("\n")) for p in paragraphs) + "\n"


def _yaml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def citation_cff(about: About) -> str:
    """CITATION.cff (Citation File Format 1.2.0) for the release ``about`` describes."""
    lines = [
        "# Generated from data/package.yaml by nkdata (nkdata/release/card.py); do not edit by hand.",
        "cff-version: 1.2.0",
        f"message: {_yaml('If you use this dataset, please cite it as below.')}",
        "type: dataset",
        f"title: {_yaml(about.title)}",
        f"version: {_yaml(about.version)}",
        f"date-released: {_yaml(about.released)}",
        "authors:",
    ]
    for c in about.contributors:
        if c.get("givenName") or c.get("familyName"):
            lines += [f"  - family-names: {_yaml(str(c.get('familyName') or ''))}", f"    given-names: {_yaml(str(c.get('givenName') or ''))}"]
        else:
            lines.append(f"  - name: {_yaml(str(c.get('title') or c.get('organization')))}")
    if not about.contributors:
        lines.append(f"  - name: {_yaml(about.title)}")
    names = [str(x["name"]) for x in about.licenses if x.get("name")]
    if names:
        lines.append(f"license: {_yaml(names[0])}" if len(names) == 1 else "license:\n" + "\n".join(f"  - {_yaml(n)}" for n in names))
    if about.homepage:
        lines += [f"repository-code: {_yaml(about.homepage)}", f"url: {_yaml(about.homepage)}"]
    if about.description:
        lines.append(f"abstract: {_yaml(about.description)}")
    if about.keywords:
        lines += ["keywords:", *(f"  - {_yaml(k)}" for k in about.keywords)]
    return "\n".join(lines) + "\n"


def _coverage(summary: Summary) -> list[str]:
    out = []
    for table, span in summary.spans.items():
        if span.first is not None:
            out.append(f"- `{table}`: {span.dated:,} of {span.rows:,} dated, from {span.first} to {span.last}.")
        else:
            out.append(f"- `{table}`: {span.rows:,} rows, none dated.")
    cut = f"**{summary.cut_off}**, the latest day a claim refers to" if summary.cut_off else "none: no claim is dated"
    return [
        f"The records refer to days from **{summary.first or '—'}** to **{summary.last or '—'}**. The cut-off is {cut}; "
        "reporting about later days is not in this version.",
        "",
        *out,
        "",
        f"{summary.sources:,} archived source texts; the claims come from {summary.originators:,} originators "
        "(the first entity of a figure's attribution: who said it).",
    ]


def _tables(summary: Summary) -> list[str]:
    from nkdata.spec import claims
    from nkdata.spec.models import MODELS

    out = ["| table | rows | what a row is |", "|---|---:|---|"]
    for table, n in summary.counts.items():
        caption = MODELS[table].caption if table in MODELS else claims.CAPTION
        out.append(f"| [`{table}.csv`]({table}.csv) | {n:,} | {caption} |")
    return [
        *out,
        "",
        "Each table is a CSV file (UTF-8, a header row, an empty cell is null, list cells are JSON arrays) with a "
        "Parquet twin of the same rows (`TABLE.parquet`). Every column, its type and its vocabulary: "
        "[data-dictionary.md](data-dictionary.md). `datapackage.json` describes the package "
        "([Frictionless Data Package](https://datapackage.org/)), with the sha256 of every file.",
    ]


def _limits(summary: Summary) -> list[str]:
    undated = [f"{s.rows - s.dated:,} of {s.rows:,} {t}" for t, s in summary.spans.items() if s.rows > s.dated]
    out = [
        "- The figures are claims: each is what its source reports and whom the source attributes it to. The "
        "`claims` table counts each claim once however many sources carried it; it does not judge between originators.",
        "- The Parquet twins are described in `datapackage.json` by a custom property "
        f"(`{PARQUET_PROPERTY}`: path, bytes, sha256), not as resources, because frictionless 5 reads Parquet "
        "through pandas and rejects null numbers and list cells (a known upstream limit). `frictionless validate` "
        "checks the CSV files; nkdata's loader and `nkdata validate` verify the Parquet files, by hash and cell by "
        "cell against the CSV.",
        "- The quoted texts are not CC BY: the archived texts in `seeds/` and the verbatim evidence and quotations "
        "in the tables remain their publishers' (see Licences).",
    ]
    if undated:
        out.append(f"- Undated rows (the source gives no date): {'; '.join(undated)}.")
    return out


def _card(summary: Summary) -> str:
    from nkdata.spec.claims import RECONCILIATION

    about = summary.about
    lines = [
        f"# {about.title}",
        "",
        f"Version **{about.version}**, released {about.released}. {about.description}",
        "",
        "## Coverage and cut-off",
        "",
        *_coverage(summary),
        "",
        "## Tables",
        "",
        *_tables(summary),
        "",
        "## How claims are reconciled",
        "",
        *RECONCILIATION,
        "",
        "## Known limits",
        "",
        *_limits(summary),
        "",
        "## How to cite",
        "",
        preferred_citation(about),
        "",
        f"[CITATION.cff](CITATION.cff) says the same in the Citation File Format. What changed in this version: [{CHANGELOG}]({CHANGELOG}).",
        "",
        "## Licences",
        "",
        "The tables are licensed under " + ", ".join(_licence(x) for x in about.licenses) + ".",
        "The archived texts in `seeds/`, and the verbatim evidence and quotations copied from them into the data, remain the "
        "property of their publishers and authors; they are reproduced for reference, research and verification "
        "(quotation with attribution), and the licence of the tables does not extend to them. [LICENSE-DATA](LICENSE-DATA) "
        "has the full wording.",
        "",
        *_where(about),
    ]
    return "\n".join(lines) + "\n"


def _licence(lic: Mapping[str, Any]) -> str:
    name = str(lic.get("title") or lic.get("name"))
    return f"[{name}]({lic['path']})" if lic.get("path") else name


def _where(about: About) -> list[str]:
    out = ["## Where the data lives", ""]
    if about.homepage:
        out.append(f"- The project: {about.homepage}")
    out += [f"- `{name}`: {url}" for name, url in about.downloads.items()]
    out.append(f'- In Python, with the nkdata package installed: `nkdata.load("figures", version="{about.version}")`.')
    return out


def card_files(summary: Summary, *, changelog_entry: str) -> dict[str, str]:
    """The files that make a release self-describing: path inside the release -> UTF-8 text.

    Parameters
    ----------
    summary : Summary
        The release in numbers (:func:`nkdata.release.summary.summarise` over its tables).
    changelog_entry : str
        This version's section of CHANGELOG.md (:func:`changelog_entry`).

    Returns
    -------
    dict of str to str
        ``README.md`` (the data card), ``LICENSE-DATA``, ``data-dictionary.md``, ``CITATION.cff``
        and ``CHANGELOG.md``, in that order.
    """
    from nkdata.spec.schema import data_dictionary

    about = summary.about
    where = f" ({about.homepage})" if about.homepage else ""
    if about.homepage:  # the entry's links into the repository (docs/coverage.md) point at this version's tag
        changelog_entry = _RELATIVE_LINK.sub(lambda m: f"]({about.homepage}/blob/v{about.version}/{m[1]})", changelog_entry)
    changelog = (
        f"# Changelog of {about.name} {about.version}\n\nThis release's entry; every release's is in the project's {CHANGELOG}{where}.\n\n" + changelog_entry
    )
    return {
        "README.md": _card(summary),
        "LICENSE-DATA": license_data(about),
        "data-dictionary.md": data_dictionary(),
        "CITATION.cff": citation_cff(about),
        CHANGELOG: changelog,
    }


def card_resources(folder: Path) -> list[dict[str, Any]]:
    """The card's files in ``folder`` as datapackage.json resources (:func:`nkdata.release.files.file_resource`).

    They are nkdata's own writing, so the package's licences apply and none is given here.
    """
    return [
        file_resource(folder, rel, name=name, mediatype=mediatype, title=CARD_TITLES[rel])
        for rel, (name, mediatype) in CARD_FILES.items()
        if (folder / rel).is_file()
    ]


def package_about(meta: Mapping[str, Any] | PackageMeta, version: str) -> About:
    """:class:`About` of data/package.yaml's content (validated by its model, PackageMeta) for ``version``."""
    from nkdata.curated.package_meta import PackageMeta

    model = meta if isinstance(meta, PackageMeta) else PackageMeta.model_validate(meta)
    return about(model.model_dump(mode="json", exclude_none=True), version)


def write_card(folder: Path, root: Path, meta: Mapping[str, Any], tables: Mapping[str, Sequence[Mapping[str, Any]]], version: str) -> list[str]:
    """Write the card's files (:func:`card_files`) into the release ``folder``; return their paths.

    ``root`` is the project (its CHANGELOG.md gives this version's entry), ``meta`` data/package.yaml's
    content and ``tables`` the rows of every table the release holds.

    Raises
    ------
    BuildError
        CHANGELOG.md has no entry for ``version``.
    """
    entry = read_changelog_entry(root, version)
    files = card_files(summarise(tables, package_about(meta, version)), changelog_entry=entry)
    for rel, text in files.items():
        (folder / rel).write_bytes(text.encode("utf-8"))
    return list(files)


def project_files(root: Path, version: str) -> dict[str, str]:
    """The repository's own CITATION.cff and LICENSE-DATA (path -> text), from its data/package.yaml."""
    from nkdata.curated.package_meta import read_meta

    meta = read_meta(root)
    return {"CITATION.cff": citation_cff(package_about(meta, version)), "LICENSE-DATA": license_data(package_about(meta, "X.Y.Z"))}


if __name__ == "__main__":  # pragma: no cover - a maintainer's command
    import sys

    from nkdata._version import __version__
    from nkdata.spec.generated import stale, write

    files = project_files(Path.cwd(), __version__)
    if "--check" in sys.argv[1:]:
        sys.exit(1 if stale(Path.cwd(), files) else 0)
    write(Path.cwd(), files)
