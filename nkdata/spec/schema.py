"""Frictionless Table Schemas and the data dictionary, generated from the models.

``nkdata schema`` writes them to schema/ and docs/; ``nkdata schema --check``
fails when the checked-in files differ, so the models stay the one source of truth.
"""

from __future__ import annotations

import datetime as dt
import json
import types
import typing
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from nkdata.spec import claims, generated, vocab
from nkdata.spec.models import ID_PATTERNS, ID_RULE, MODELS, Record

MISSING_VALUES = [""]
_PY_TO_FRICTIONLESS = {str: "string", float: "number", int: "integer", bool: "boolean", dt.date: "date"}


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """(inner type, nullable) for ``Optional[X]`` / ``X | None`` / ``Annotated[X, ...]``."""
    nullable = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(annotation))
        annotation = args[0]
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation, nullable


def field_type(info: FieldInfo) -> tuple[str, bool, Any]:
    """Frictionless type, nullability and (for lists) the item type of a model field."""
    inner, nullable = _unwrap(info.annotation)
    if typing.get_origin(inner) is list:
        item, _ = _unwrap(typing.get_args(inner)[0])
        return "array", nullable, item
    if typing.get_origin(inner) is typing.Literal:
        return "string", nullable, None
    return _PY_TO_FRICTIONLESS[inner], nullable, None


def _pattern(info: FieldInfo) -> str | None:
    for meta in info.metadata:
        p = getattr(meta, "pattern", None)
        if p:
            return str(p)
    return None


def table_schema(model: type[Record]) -> dict[str, Any]:
    """The Frictionless Table Schema of one table."""
    fields: list[dict[str, Any]] = []
    for name in model.column_names():
        info = model.model_fields[name]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        ftype, nullable, item = field_type(info)
        desc = info.description or ""
        constraints: dict[str, Any] = {}
        if not nullable:
            constraints["required"] = True
        categories = None
        if "vocab" in extra:
            terms = list(vocab.VOCABULARIES[str(extra["vocab"])])
            if ftype == "array":  # Table Schema's categories apply to string and integer fields only
                desc += f" Each item is a term of the '{extra['vocab']}' vocabulary."
            else:
                constraints["enum"] = terms
                categories = vocab.categories(str(extra["vocab"]))
        if ftype == "array":
            desc += " Encoded in CSV as a JSON array of strings."
            if "ref" in extra:
                desc += f" Each item is an id in '{extra['ref']}'."
        elif _pattern(info):
            constraints["pattern"] = _pattern(info)
        for meta in info.metadata:
            if getattr(meta, "ge", None) is not None:
                constraints["minimum"] = meta.ge
        if name == model.id_field:
            constraints["unique"] = True
        field: dict[str, Any] = {"name": name, "type": ftype, "description": desc}
        if ftype == "date":
            field["format"] = "default"
        if categories:
            field["categories"] = categories
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    for comp in model.computed:
        fields.append({"name": comp.name, "type": comp.type, "description": comp.description, "constraints": dict(comp.constraints)})
    foreign_keys = []
    for name in model.column_names():
        info = model.model_fields[name]
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if "ref" in extra and field_type(info)[0] != "array":
            target = MODELS[str(extra["ref"])]
            foreign_keys.append({"fields": [name], "reference": {"resource": target.table, "fields": [target.id_field]}})
    for comp in model.computed:
        if comp.ref is not None:
            target = MODELS[comp.ref]
            foreign_keys.append({"fields": [comp.name], "reference": {"resource": target.table, "fields": [target.id_field]}})
    schema: dict[str, Any] = {
        "fields": fields,
        "missingValues": MISSING_VALUES,
        "primaryKey": [model.id_field],
    }
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return schema


def all_schemas() -> dict[str, dict[str, Any]]:
    """The Table Schema of every table of a release, in release order (the derived claims table last)."""
    return {table: table_schema(model) for table, model in MODELS.items()} | {claims.TABLE: claims.table_schema()}


def schema_text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table_section(table: str, schema: dict[str, Any]) -> list[str]:
    """The data dictionary's section on one table: caption, keys, and a row per column."""
    key = schema["primaryKey"][0]
    if table in MODELS:
        caption, pattern = MODELS[table].caption, ID_PATTERNS[table]
    else:
        caption, pattern = claims.CAPTION, ID_PATTERNS["claims"]
    out = [f"## `{table}`", "", caption, "", f"Primary key: `{key}` (pattern `{pattern}`).", ""]
    for fk in schema.get("foreignKeys", []):
        out.append(f"- `{fk['fields'][0]}` → `{fk['reference']['resource']}.{fk['reference']['fields'][0]}`")
    if schema.get("foreignKeys"):
        out.append("")
    out += ["| column | type | required | description |", "|---|---|---|---|"]
    for f in schema["fields"]:
        c = f.get("constraints", {})
        extra = []
        if "enum" in c:
            extra.append("one of: " + ", ".join(f"`{t}`" for t in c["enum"]))
        if "pattern" in c and f["name"] != key:
            extra.append(f"pattern `{c['pattern']}`")
        if "minimum" in c:
            extra.append(f"minimum {c['minimum']}")
        desc = f["description"] + (" " + "; ".join(extra) + "." if extra else "")
        out.append(f"| `{f['name']}` | {f['type']} | {'yes' if c.get('required') else 'no'} | {_cell(desc)} |")
    out.append("")
    return out


def data_dictionary() -> str:
    """A human-readable dictionary of every table, column and vocabulary term."""
    out = [
        "# nkdata data dictionary",
        "",
        "Generated by `nkdata schema` from the models in `nkdata/models.py` and the",
        "vocabularies in `nkdata/vocab.py`; do not edit by hand (`nkdata schema --check` fails on drift).",
        "",
        "In CSV files an empty cell is null, dates are ISO `YYYY-MM-DD`, and list columns",
        "are JSON arrays of strings. In Parquet files lists are `list<string>`, dates `date32`,",
        "offsets nullable `int64`.",
        "",
        f"**Identifiers.** Every id is {ID_RULE}.",
        "",
    ]
    for table, schema in all_schemas().items():
        out += _table_section(table, schema)
    out += ["## Reconciling a claim's figures", "", *claims.RECONCILIATION, ""]
    out += ["## Vocabularies", ""]
    for name, terms in vocab.VOCABULARIES.items():
        out += [f"### `{name}`", "", "| term | meaning |", "|---|---|"]
        out += [f"| `{t}` | {_cell(d)} |" for t, d in terms.items()]
        out.append("")
    return "\n".join(out)


def expected_files() -> dict[str, str]:
    """Relative path → content of every generated file."""
    files = {f"schema/{t}.schema.json": schema_text(s) for t, s in all_schemas().items()}
    files["docs/data-dictionary.md"] = data_dictionary()
    return files


def write_schemas(root: Path) -> list[str]:
    """Write the generated files under ``root``; return the paths that changed."""
    return generated.write(root, expected_files())


def drifted(root: Path) -> list[str]:
    """Generated files that are missing or differ from what the models produce."""
    return generated.stale(root, expected_files())
