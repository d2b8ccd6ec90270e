"""Field problems (M200–M204, M221): one column's value against its model field, worded once for both paths.

The curated path gets pydantic's errors for a YAML record; the package path
hands the few cells that fail its vectorised checks to the model's own field
validator (:func:`nkdata.checks.columns.explain`) and words them here too, so a
problem reads the same wherever it is found. Cross-field rules (M210, M220,
M230) are worded by :mod:`nkdata.spec.rules`.
"""

from __future__ import annotations

import difflib
from typing import Any

from nkdata.spec import vocab
from nkdata.spec.models import ID_RULE, Record

#: (code, field, message, hint): a problem before it is located.
Described = tuple[str, str | None, str, str]

COMPUTED_HINT = "the build computes it"
LIST_CELL_HINT = 'list columns are JSON arrays in CSV, e.g. ["ent-a", "ent-b"]'
_SPELLING = {"bool": "true or false", "double": "a number such as 4000 or 2.5", "int64": "a whole number", "date32[day]": "a date as YYYY-MM-DD"}


#: The problem code of each kind of cross-field rule (:class:`nkdata.spec.rules.Rule`).
KIND_CODES = {"bounds": "M210", "dates": "M220", "rule": "M230"}
_TYPE_CODES = {"extra_forbidden": "M200", "missing": "M201", "literal_error": "M203", **KIND_CODES}
_REF_FIELDS = {"source_id", "publisher", "cites", "attribution", "speaker_id", "location_id", "actor_ids"}


def describe_error(err: dict[str, Any], model: type[Record]) -> tuple[str, str | None, str, str]:
    """(code, field, message, hint) of one pydantic error, on either path (YAML records, package cells)."""
    loc = tuple(err["loc"])
    etype = err["type"]
    field_name = str(loc[0]) if loc else (err.get("ctx") or {}).get("field")
    code = _TYPE_CODES.get(etype, "M202")
    hint = ""
    message = err["msg"]
    if etype.startswith(("date_", "datetime_")) and "date" in str(field_name or "") or etype.startswith("date_from") or etype == "date_type":
        code, _, message, hint = not_a_real_date(field_name, repr(err.get("input")), (err.get("ctx") or {}).get("error", err["msg"]))
    elif etype == "extra_forbidden":
        close = difflib.get_close_matches(str(field_name), list(model.model_fields), n=1)
        message = f"unknown field {field_name!r} in {'an' if model.noun[0] in 'aeiou' else 'a'} {model.noun} record"
        hint = f"did you mean {close[0]!r}?" if close else f"allowed fields: {', '.join(model.model_fields)}"
    elif etype == "missing":
        message = f"required field {field_name!r} is missing"
        hint = f"add {field_name}: ... ({model.model_fields[str(field_name)].description})"
    elif etype == "literal_error":
        schema_extra = model.model_fields[str(field_name)].json_schema_extra
        extra = schema_extra if isinstance(schema_extra, dict) else {}
        terms = list(vocab.VOCABULARIES.get(str(extra.get("vocab")), {}))
        close = difflib.get_close_matches(str(err.get("input")), terms, n=1)
        message = f"{err.get('input')!r} is not a term of the {extra.get('vocab')} vocabulary"
        hint = (f"did you mean {close[0]!r}? " if close else "") + f"terms: {', '.join(terms)} (docs/data-dictionary.md)"
    elif etype == "string_pattern_mismatch":
        if field_name in _REF_FIELDS or (field_name or "").endswith("_id"):
            code = "M204"
            message = f"{err.get('input')!r} is not a valid id"
            hint = "ids are " + ID_RULE
        else:
            message = f"{err.get('input')!r} does not match the pattern {(err.get('ctx') or {}).get('pattern')}"
    elif etype == "string_type" and isinstance(err.get("input"), (bool, int, float)):  # YAML typed a plain word
        read_as = "true/false" if isinstance(err["input"], bool) else "a number"
        message = f"{field_name} is text, but YAML reads this value as {read_as} ({err['input']!r})"
        hint = "put the text in quotes, as the source writes it (e.g. \"4000\")"
    elif etype == "finite_number":
        message, hint = f"{err.get('input')!r} is not a finite number", "write the number the text states, in digits"
    elif etype in KIND_CODES:  # a rule of nkdata.spec.rules: its message as the rule words it
        message = err["msg"]
    return code, field_name, message, hint


def not_a_real_date(name: str | None, shown: str, why: str) -> Described:
    """A date that names no calendar day (a YAML or CSV 2025-02-30, a Parquet date past year 9999)."""
    return "M221", name, f"{shown} is not a real date ({why})", "write a real calendar date as YYYY-MM-DD"


def unknown_column(name: str, model: type[Record] | None, hint: str = "") -> Described:
    """A column (or YAML field) the table does not have."""
    if model is not None:
        return describe_error({"type": "extra_forbidden", "loc": (name,), "msg": ""}, model)
    return "M200", name, f"unknown field {name!r}", hint


def missing_value(name: str, model: type[Record] | None) -> Described:
    """A required column (or field) with no value: a model field, or one the build computes."""
    if model is not None and name in model.model_fields:
        return describe_error({"type": "missing", "loc": (name,), "msg": ""}, model)
    return "M201", name, f"required field {name!r} is missing", COMPUTED_HINT


def not_a_list(name: str, cell: str) -> Described:
    """A CSV cell of a list column that is not a JSON array of strings."""
    return "M202", name, f"{cell!r} is not a JSON array of strings", LIST_CELL_HINT


def not_of_type(name: str, cell: Any, arrow_type: str) -> Described:
    """A CSV cell that does not convert to its column's type."""
    return "M202", name, f"{cell!r} is not a valid {arrow_type} value", f"write {_SPELLING.get(arrow_type, arrow_type)}"


def out_of_range(name: str, value: Any, minimum: float | None, computed: bool) -> Described:
    """A value its column's constraints reject, where the model has no words for it (computed columns)."""
    message = f"{value!r} is less than {minimum:g}" if minimum is not None else f"{value!r} is not allowed here"
    return "M202", name, message, COMPUTED_HINT if computed else ""
