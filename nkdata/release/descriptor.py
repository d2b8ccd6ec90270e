"""Reading a ``datapackage.json`` safely: one function, used by the loader, ``nkdata validate`` and
``nkdata diff``, so that a damaged or hostile descriptor is one clear error wherever it is read.

Refused, before anything else reads the descriptor: a file over ``MAX_BYTES``; text that is not
UTF-8 JSON; nesting deeper than ``MAX_DEPTH``; anything but an object with a ``resources`` list of
objects; a ``created`` that is not a real ISO 8601 date-time; and, in each resource, a ``path`` or
``hash`` that is not text, a ``path`` holding a NUL character (it names no file: the operating
system refuses it), ``bytes`` that is not a whole number, (for a table) an ``nkdata:parquet`` twin
that is not an object with the same three properties, or a ``schema`` whose fields, primary key or
foreign keys are not of the shape a Table Schema gives them (a field listed twice; a primary key of
a field that is not there, or whose values are lists or objects). The release's ``keywords`` must be
a list of text, its ``licenses`` and ``contributors`` lists of objects (``nkdata info`` prints them).

A resource is a table when its ``type`` is ``table`` (or it has a schema or a Parquet twin); every other resource is a file (an archived
text, a data card; see :mod:`nkdata.release.files`). Releases before 0.4 listed the archived texts
in a custom property, ``nkdata:texts``, instead: :func:`file_entries` reads both forms.
"""

from __future__ import annotations

import json
import os
import stat
from collections import Counter
from pathlib import Path
from typing import Any

from nkdata.errors import IntegrityError
from nkdata.release.layout import PARQUET_PROPERTY, TEXTS_PROPERTY

MAX_BYTES = 128 << 20  # a real descriptor is hundreds of kilobytes; one declaring 100,000 texts (~700 bytes each) ~70 MB
MAX_DEPTH = 32  # a descriptor nests about 8 deep


class DescriptorError(IntegrityError):
    """A datapackage.json nkdata cannot read; ``reason`` says why without the path."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}; the release is damaged: build or download it again")


def _depth(value: Any) -> int:
    """How deep ``value`` nests, a level at a time (iteratively: a hostile file must not exhaust the stack).

    Only objects and arrays are carried to the next level (a large descriptor is mostly leaves),
    and the walk stops past ``MAX_DEPTH``.
    """
    depth, level = 1, [value]
    while depth <= MAX_DEPTH:
        nested: list[Any] = []
        any_child = False
        for item in level:
            children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
            if children:
                any_child = True
                nested += [c for c in children if isinstance(c, (dict, list))]
        if not any_child:
            return depth
        depth, level = depth + 1, nested
    return depth


def _file_entry_problem(entry: Any, what: str) -> str | None:
    if not isinstance(entry, dict):
        return f"{what} is not an object with path, hash and bytes"
    if not isinstance(entry.get("path"), str) or not isinstance(entry.get("hash"), str):
        return f"{what} needs a text 'path' and 'hash'"
    if "\0" in entry["path"]:
        return f"{what} has a 'path' holding a NUL character, which names no file"
    size = entry.get("bytes")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        return f"{what} has 'bytes' {size!r}, not a whole number of bytes"
    return None


def _names(value: Any) -> bool:
    """Whether ``value`` names fields as a Table Schema may: one name, or a list of names."""
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


def _field_problem(f: Any, i: int, what: str) -> str | None:
    if not isinstance(f, dict) or not isinstance(f.get("name"), str):
        return f"{what}'s field {i} is not an object with a text 'name'"
    bad = [k for k in ("type", "description", "format", "title") if k in f and not isinstance(f[k], str)]
    bad += ["constraints"] if "constraints" in f and not isinstance(f["constraints"], dict) else []
    return f"{what}'s field {f['name']!r} has a {bad[0]!r} of the wrong kind" if bad else None


def field_names(value: Any) -> list[str]:
    """Field names as a Table Schema gives them (a primary key, a foreign key's fields): a list, or one
    name as text; none for a missing value."""
    return [value] if isinstance(value, str) else list(value or [])


def key_fields(schema: dict[str, Any]) -> list[str]:
    """A Table Schema's primary key as a list of field names."""
    return field_names(schema.get("primaryKey"))


def _unknown_key_fields(schema: dict[str, Any], fields: list[dict[str, Any]]) -> list[str]:
    """The names a primary key gives that no field has, or whose values are lists or objects (the
    readers match records by the key's values, which must be single values)."""
    types = {f["name"]: f.get("type", "string") for f in fields}
    return [n for n in key_fields(schema) if types.get(n, "array") in ("array", "object")]


def _schema_problems(schema: Any, what: str) -> list[str]:
    """What keeps a Table Schema from being read (every reader indexes into it, so the shape is checked once)."""
    if not isinstance(schema, dict):
        return [f"{what} has a 'schema' that is not an object"]
    fields = schema.get("fields", [])
    if not isinstance(fields, list):
        return [f"{what} has 'schema.fields' that is not a list"]
    problems = [p for i, f in enumerate(fields) if (p := _field_problem(f, i, what))]
    if not problems and (twice := sorted(n for n, k in Counter(f["name"] for f in fields).items() if k > 1)):
        problems.append(f"{what}'s schema lists the field {twice[0]!r} more than once")
    if "primaryKey" in schema and not _names(schema["primaryKey"]):
        problems.append(f"{what} has a 'schema.primaryKey' that is not a field name or a list of them")
    elif not problems and (unknown := _unknown_key_fields(schema, fields)):
        problems.append(f"{what} has a 'schema.primaryKey' naming {', '.join(map(repr, unknown))}, not a field of its schema with single values")
    fks = schema.get("foreignKeys", [])
    if not isinstance(fks, list) or not all(
        isinstance(fk, dict) and _names(fk.get("fields")) and isinstance(fk.get("reference", {}), dict)
        and _names(fk.get("reference", {}).get("fields", [])) and isinstance(fk.get("reference", {}).get("resource", ""), str)
        for fk in fks
    ):
        problems.append(f"{what} has 'schema.foreignKeys' that are not a list of {{fields, reference: {{resource, fields}}}}")
    return problems


def is_table(resource: dict[str, Any]) -> bool:
    """Whether a resource of a descriptor is a table rather than a file: ``type: table``, or
    anything a table has (a ``schema``, a Parquet twin), so that a table is never let through
    with the lighter checks of a file."""
    return resource.get("type") == "table" or "schema" in resource or PARQUET_PROPERTY in resource


def table_resources(descriptor: dict[str, Any]) -> list[dict[str, Any]]:
    """The table resources of a descriptor that :func:`load_descriptor` read."""
    return [r for r in descriptor["resources"] if is_table(r)]


def file_entries(descriptor: dict[str, Any]) -> list[dict[str, Any]]:
    """Every file of a release that is not a table or its Parquet twin, each with its ``path``,
    ``hash`` and ``bytes``: the file resources, and the ``nkdata:texts`` of an older release."""
    return [r for r in descriptor["resources"] if not is_table(r)] + list(descriptor.get(TEXTS_PROPERTY, []))


def _is_datetime(value: Any) -> bool:
    import datetime as dt

    if not isinstance(value, str):
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def shape_problems(descriptor: Any) -> list[str]:
    """What is wrong with the shape of a descriptor (empty when nkdata can read it)."""
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        return ["a data package descriptor is an object with a 'resources' list"]
    problems = []
    created = descriptor.get("created")
    if created is not None and not _is_datetime(created):
        problems.append(f"'created' is {created!r}, not an ISO 8601 date-time such as 2026-11-27T00:00:00Z")
    for key, item, kind in (("keywords", str, "strings"), ("licenses", dict, "objects"), ("contributors", dict, "objects")):
        value = descriptor.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(x, item) for x in value)):
            problems.append(f"'{key}' is not a list of {kind}")
    for i, res in enumerate(descriptor["resources"]):
        if not isinstance(res, dict) or not isinstance(res.get("name"), str):
            problems.append(f"resource {i} is not an object with a 'name'")
            continue
        name = res["name"]
        problems += [p for p in (_file_entry_problem(res, f"resource {name!r}"),) if p]
        if is_table(res) and (problem := _file_entry_problem(res.get(PARQUET_PROPERTY), f"{name!r}'s {PARQUET_PROPERTY}")):
            problems.append(problem)
        if "schema" in res:
            problems += _schema_problems(res["schema"], f"resource {name!r}")
    texts = descriptor.get(TEXTS_PROPERTY, [])
    if not isinstance(texts, list):
        problems.append(f"'{TEXTS_PROPERTY}' is not a list")
    else:
        problems += [p for i, e in enumerate(texts) if (p := _file_entry_problem(e, f"{TEXTS_PROPERTY}[{i}]"))]
    return problems


def load_descriptor(path: Path | str) -> dict[str, Any]:
    """The descriptor at ``path``, checked as the module docstring says; raises :class:`DescriptorError`."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))  # a FIFO put in its place must not block
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise DescriptorError(path, "is not a regular file (a folder, device, FIFO or socket)")
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise DescriptorError(path, f"cannot be read ({exc.strerror})") from None
    if len(raw) > MAX_BYTES:
        raise DescriptorError(path, f"is over {MAX_BYTES:,} bytes")
    try:
        descriptor = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DescriptorError(path, f"is not valid JSON ({exc})") from None
    except RecursionError:
        raise DescriptorError(path, f"nests deeper than {MAX_DEPTH} levels") from None
    if _depth(descriptor) > MAX_DEPTH:
        raise DescriptorError(path, f"nests deeper than {MAX_DEPTH} levels")
    problems = shape_problems(descriptor)
    if problems:
        raise DescriptorError(path, "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""))
    return descriptor  # type: ignore[no-any-return]
