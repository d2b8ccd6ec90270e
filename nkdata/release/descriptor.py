"""Reading a ``datapackage.json`` safely: one function, used by the loader, ``nkdata validate`` and
``nkdata diff``, so that a damaged or hostile descriptor is one clear error wherever it is read.

Refused, before anything else reads the descriptor: a file over ``MAX_BYTES``; text that is not
UTF-8 JSON; nesting deeper than ``MAX_DEPTH``; anything but an object with a ``resources`` list of
objects; a ``created`` that is not a real ISO 8601 date-time; and, in each resource, a ``path`` or ``hash`` that is not text, ``bytes`` that is not a
whole number, or an ``nkdata:parquet`` twin that is not an object with the same three properties.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nkdata.errors import IntegrityError
from nkdata.release.layout import PARQUET_PROPERTY, TEXTS_PROPERTY

MAX_BYTES = 64 << 20  # a real descriptor is tens of kilobytes; a 1M-figure one a few megabytes
MAX_DEPTH = 32  # a descriptor nests about 8 deep


class DescriptorError(IntegrityError):
    """A datapackage.json nkdata cannot read; ``reason`` says why without the path."""

    def __init__(self, path: Path | str, reason: str):
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}; the release is damaged: build or download it again")


def _depth(value: Any) -> int:
    """How deep ``value`` nests (iteratively: a hostile file must not exhaust the stack)."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, depth = todo.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            return depth
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        todo.extend((child, depth + 1) for child in children)
    return deepest


def _file_entry_problem(entry: Any, what: str) -> str | None:
    if not isinstance(entry, dict):
        return f"{what} is not an object with path, hash and bytes"
    if not isinstance(entry.get("path"), str) or not isinstance(entry.get("hash"), str):
        return f"{what} needs a text 'path' and 'hash'"
    size = entry.get("bytes")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        return f"{what} has 'bytes' {size!r}, not a whole number of bytes"
    return None


def _is_datetime(value: Any) -> bool:
    import datetime as dt

    if not isinstance(value, str):
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def is_table(resource: dict[str, Any]) -> bool:
    """Whether a resource is one of the release's tables (rather than a file such as README.md)."""
    return resource.get("type") == "table" or "schema" in resource


def shape_problems(descriptor: Any) -> list[str]:
    """What is wrong with the shape of a descriptor (empty when nkdata can read it)."""
    if not isinstance(descriptor, dict) or not isinstance(descriptor.get("resources"), list):
        return ["a data package descriptor is an object with a 'resources' list"]
    problems = []
    created = descriptor.get("created")
    if created is not None and not _is_datetime(created):
        problems.append(f"'created' is {created!r}, not an ISO 8601 date-time such as 2026-11-27T00:00:00Z")
    for i, res in enumerate(descriptor["resources"]):
        if not isinstance(res, dict) or not isinstance(res.get("name"), str):
            problems.append(f"resource {i} is not an object with a 'name'")
            continue
        name = res["name"]
        parquet = _file_entry_problem(res.get(PARQUET_PROPERTY), f"{name!r}'s {PARQUET_PROPERTY}") if is_table(res) else None
        for problem in (_file_entry_problem(res, f"resource {name!r}"), parquet):
            if problem:
                problems.append(problem)
        if "schema" in res and not isinstance(res["schema"], dict):
            problems.append(f"resource {name!r} has a 'schema' that is not an object")
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
        with open(path, "rb") as fh:
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
