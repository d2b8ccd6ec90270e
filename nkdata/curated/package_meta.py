"""data/package.yaml: the release metadata that becomes datapackage.json's top level.

Validated like every curated file, so that what ``validate`` accepts ``build``
can write: ``keywords`` a list of strings, ``release_date`` a real calendar day
(it becomes ``created``), licences and contributors lists of mappings with the
Data Package's properties, unknown keys refused. Problems point at the key in
the file, worded as field problems are everywhere (:mod:`nkdata.checks.fields`).
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import ErrorDetails

from nkdata.checks.fields import describe_error, missing_value, unknown_column
from nkdata.curated.yamlsafe import YamlDoc, YamlProblem, read_yaml
from nkdata.errors import BuildError
from nkdata.problems import Problem
from nkdata.spec.models import Record

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_HTTPS = r"^https://[^\s{}]+[^/\s{}]$"


class License(BaseModel):
    """A licence of the data (Data Package ``licenses``): an SPDX ``name`` and/or a ``path`` to its text."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, description="SPDX identifier, e.g. CC-BY-4.0")
    path: str | None = Field(None, description="URL of the licence text")
    title: str | None = Field(None, description="the licence's full name")

    @model_validator(mode="after")
    def _named(self) -> License:
        if self.name is None and self.path is None:
            raise ValueError("a licence needs a name (SPDX id) or a path (URL)")
        return self


class Contributor(BaseModel):
    """A person or organisation credited (Data Package ``contributors``)."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, description="the name as it should be credited")
    givenName: str | None = Field(None, description="given name")  # noqa: N815 (Data Package property names)
    familyName: str | None = Field(None, description="family name")  # noqa: N815
    path: str | None = Field(None, description="a URL about the contributor")
    email: str | None = Field(None, description="an email address")
    organization: str | None = Field(None, description="the organisation they belong to")
    roles: list[str] = Field(default_factory=list, description="e.g. creator, contributor")

    @model_validator(mode="after")
    def _named(self) -> Contributor:
        if not (self.title or self.givenName or self.familyName or self.organization):
            raise ValueError("a contributor needs a title (or givenName, familyName or organization)")
        return self


class PackageMeta(BaseModel):
    """The keys of data/package.yaml (the version is not one: it lives in nkdata/_version.py)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("nkdata", pattern=r"^[a-z0-9][a-z0-9._-]*$", description="the package's name: lower-case letters, digits, '.', '_', '-'")
    title: str = Field("nkdata", description="a one-line title")
    description: str = Field("", description="what the data is, in a paragraph")
    release_date: date = Field(description="the day this release is cut, YYYY-MM-DD (datapackage.json's created)")
    keywords: list[str] = Field(default_factory=list, description="a list of words, e.g. [North Korea, Russia]")
    licenses: list[License] = Field(default_factory=list, description="a list of licences (name, path, title)")
    contributors: list[Contributor] = Field(default_factory=list, description="a list of contributors (title, roles, ...)")
    homepage: str | None = Field(None, pattern=_HTTPS, description="the project's home page, an https:// URL without a trailing slash")
    download_base: str | None = Field(
        None,
        pattern=r"^https://[^\s]*\{version\}[^\s]*/$",
        description="where release VERSION's assets are published: an https:// URL with {version} in it, ending in '/'",
    )

    @field_validator("release_date", mode="before")
    @classmethod
    def _real_day(cls, value: Any) -> date:
        # YAML dates stay strings when read (yamlsafe); a number would otherwise pass as a Unix time.
        if not isinstance(value, str) or not _DAY.fullmatch(value):
            raise ValueError("not written as YYYY-MM-DD")
        return date.fromisoformat(value)  # its ValueError says why the day does not exist


def _problem(err: ErrorDetails, doc: YamlDoc) -> Problem:
    """A pydantic error of the package model as a located problem, worded by :mod:`nkdata.checks.fields`."""
    loc = tuple(err["loc"])
    dotted = ".".join(str(x) for x in loc) or "package.yaml"
    line, col = doc.where(*loc)
    etype = err["type"]
    if etype == "extra_forbidden":
        parent: type[BaseModel] = PackageMeta
        if len(loc) > 1:
            parent = License if loc[0] == "licenses" else Contributor
        allowed = list(parent.model_fields)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        code, _, message, hint = unknown_column(str(loc[-1]), None, f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}")
    elif etype == "missing":
        info = PackageMeta.model_fields.get(str(loc[-1]))
        code, _, message, _ = missing_value(dotted, None)
        hint = f"add {loc[-1]}: ... ({info.description if info else ''})"
    elif loc == ("release_date",):  # the validator's reason, worded as every impossible date is
        reason = str(err["msg"]).removeprefix("Value error, ")
        as_date_error = {"type": "date_from_datetime_parsing", "loc": loc, "msg": reason, "input": err.get("input"), "ctx": {"error": reason}}
        code, _, message, hint = describe_error(as_date_error, Record)
    else:
        code, _, message, _ = describe_error(dict(err), Record)
        info = PackageMeta.model_fields.get(str(loc[0])) if loc else None
        message = f"{message} (got {err.get('input')!r:.60})"
        hint = f"{loc[0]} is {info.description}" if info and info.description else ""
    return Problem(doc.path, line, col, code, None, dotted, message, hint)


def check_package(doc: YamlDoc) -> list[Problem]:
    """Problems of data/package.yaml (already read as a mapping), located at file:line:col."""
    try:
        PackageMeta.model_validate(doc.data)
    except ValidationError as exc:
        return [_problem(err, doc) for err in exc.errors()]
    return []


def read_meta(root: Path) -> PackageMeta:
    """``root``'s data/package.yaml as its model; BuildError when it is missing or invalid
    (``nkdata validate`` says where and why)."""
    try:
        doc = read_yaml(root / "data" / "package.yaml", "data/package.yaml", root)
        return PackageMeta.model_validate(doc.data)
    except (YamlProblem, ValidationError):
        raise BuildError("data/package.yaml is missing or invalid: run 'nkdata validate' to see where") from None
