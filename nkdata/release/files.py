"""The files of a release that are not tables, declared as Data Package resources.

Every file in a release is a resource of its ``datapackage.json`` with its size and sha256, so that
``frictionless validate``, ``nkdata validate`` and the loader check each one: the archived texts
(one resource per text, under ``seeds/``) and any other file a build adds (a data card, a licence,
a citation). :func:`file_resource` declares one such file; :func:`text_resources` the texts.

Such a resource has no ``type``: Data Package v2 defines one value of ``type``, ``table``, and
frictionless 5 infers the kind of the others from the path (``text`` for ``.txt`` and ``.md``,
``file`` otherwise) and checks their ``bytes`` and ``hash`` all the same (a changed byte is its
``hash-count`` error). Readers tell a table from a file by ``type: table`` (see
:mod:`nkdata.release.descriptor`).

The archived texts are their publishers' words: each text resource carries its own ``licenses``
entry saying so (the package's CC BY 4.0 covers nkdata's tables, not the texts), and its
``sources``, the text's own address.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from nkdata.release.hashing import sha256_file

__all__ = ["file_resource", "resource_name", "text_resources", "source_title", "TEXT_LICENSES"]

#: The licence entry of every archived text. Data Package v2 asks a licence for a ``name`` (an
#: Open Definition id, and none fits "not ours to license") or a ``path``: the path is the
#: release's LICENSE-DATA, which says what each part of the release is licensed under.
TEXT_LICENSES: list[dict[str, str]] = [
    {
        "title": "Not covered by CC BY 4.0: the text remains its publisher's, archived only to check the evidence quoted from it",
        "path": "LICENSE-DATA",
    }
]

_NAME_CHARS = re.compile(r"[^a-z0-9._-]+")


def resource_name(rel: str) -> str:
    """A resource name for the file at ``rel``: lower case, ``/`` and other characters outside
    ``a-z0-9._-`` as ``-`` (``seeds/001_ab.txt`` -> ``seeds-001_ab.txt``, ``README.md`` -> ``readme.md``)."""
    return _NAME_CHARS.sub("-", rel.lower()).strip("-")


def file_resource(
    folder: Path,
    rel: str,
    *,
    mediatype: str,
    title: str | None = None,
    description: str | None = None,
    licenses: Sequence[Mapping[str, Any]] | None = None,
    sources: Sequence[Mapping[str, Any]] | None = None,
    name: str | None = None,
    encoding: str | None = "utf-8",
) -> dict[str, Any]:
    """The Data Package resource of one non-table file already written in a release folder.

    Parameters
    ----------
    folder : pathlib.Path
        The release folder.
    rel : str
        The file's path inside ``folder``, POSIX style (``README.md``, ``seeds/001_ab.txt``).
    mediatype : str
        Its media type, e.g. ``text/plain``, ``text/markdown``, ``application/x-yaml``.
    title, description : str, optional
        What the file is, for people.
    licenses : sequence of mappings, optional
        Its own licences (Data Package licence objects: ``name`` and/or ``path``, ``title``);
        omitted, the package's licences apply.
    sources : sequence of mappings, optional
        Where it comes from (Data Package source objects: ``title``, ``path``).
    name : str, optional
        The resource name; default :func:`resource_name` of ``rel``.
    encoding : str or None
        Its text encoding; None for a binary file.

    Returns
    -------
    dict
        ``name``, ``path``, ``title``, ``description``, ``mediatype``, ``encoding``, ``bytes``,
        ``hash`` (``sha256:...``), ``licenses``, ``sources``: those given, in that order.
    """
    path = folder / rel
    entry: dict[str, Any] = {"name": name or resource_name(rel), "path": rel}
    if title:
        entry["title"] = title
    if description:
        entry["description"] = description
    entry["mediatype"] = mediatype
    if encoding:
        entry["encoding"] = encoding
    entry["bytes"] = path.stat().st_size
    entry["hash"] = f"sha256:{sha256_file(path)}"
    if licenses:
        entry["licenses"] = [dict(x) for x in licenses]
    if sources:
        entry["sources"] = [dict(x) for x in sources]
    return entry


def _published(row: Mapping[str, Any]) -> str | None:
    """When a source was published, as precisely as its record says (None when it does not)."""
    start, end, precision = row.get("published_start"), row.get("published_end"), row.get("published_precision")
    if start is None:
        return None
    start_s, end_s = str(start), str(end or start)
    if precision == "year":
        return start_s[:4]
    if precision == "month":
        return start_s[:7]
    return start_s if end_s == start_s else f"{start_s} to {end_s}"


def source_title(row: Mapping[str, Any], entity_names: Mapping[str, str]) -> str:
    """A source's title: the one its record gives, else one built from the record's facts only:
    its publisher's name and publication date ("The Atlanta Journal-Constitution, 2025-06-26"), else its address's host,
    else its id."""
    if row.get("title"):
        return str(row["title"])
    parts = [entity_names.get(str(row.get("publisher")), "") if row.get("publisher") else "", _published(row) or ""]
    built = ", ".join(p for p in parts if p)
    if built:
        return built
    url = str(row.get("url") or "")
    host = url.split("://", 1)[1].split("/", 1)[0] if "://" in url else ""
    return host or str(row["source_id"])


def source_entry(row: Mapping[str, Any], entity_names: Mapping[str, str]) -> dict[str, str]:
    """A source as a Data Package source object: its title and, when the record has one, its URL."""
    entry = {"title": source_title(row, entity_names)}
    if row.get("url"):
        entry["path"] = str(row["url"])
    return entry


def text_resources(folder: Path, sources: Sequence[Mapping[str, Any]], entity_names: Mapping[str, str]) -> list[dict[str, Any]]:
    """One resource per archived text of ``sources`` (the sources table's rows), sorted by path:
    media type text/plain, UTF-8, its size and sha256, :data:`TEXT_LICENSES`, and the source(s)
    it is the text of."""
    by_path: dict[str, list[Mapping[str, Any]]] = {}
    for row in sources:
        by_path.setdefault(str(row["text_path"]), []).append(row)
    out = []
    for rel in sorted(by_path):
        rows = by_path[rel]
        ids = ", ".join(str(r["source_id"]) for r in rows)
        out.append(
            file_resource(
                folder,
                rel,
                mediatype="text/plain",
                title=source_title(rows[0], entity_names),
                description=f"The archived text of source {ids} (see the sources table).",
                licenses=TEXT_LICENSES,
                sources=[source_entry(r, entity_names) for r in rows],
            )
        )
    return out
