"""A built package forged or damaged by hand, validated in this process: each trick is reported
as a problem at the descriptor or at the record's line, never a traceback, and hides nothing.

Descriptor tricks: a second resource of a name listed first, a path listed twice, a version
that is not one (or not the folder's), a NUL in a path. Parquet cells no CSV could spell: a
null where the schema allows none, a null inside a list, a date32 past year 9999.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nkdata.checks.package import validate_package
from nkdata.release import archive
from nkdata.release.descriptor import DescriptorError, load_descriptor

DESCRIPTOR = "datapackage.json"


def _edit_descriptor(pkg: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = pkg / DESCRIPTOR
    desc = json.loads(path.read_text(encoding="utf-8"))
    change(desc)
    path.write_text(json.dumps(desc, indent=2), encoding="utf-8")


def _resource(desc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in desc["resources"] if r["name"] == name)


def _codes(problems: list[Any]) -> set[tuple[str, str]]:
    return {(p.code, p.path.rsplit("/", 1)[-1]) for p in problems}


# ---------------------------------------------------------------- the descriptor


def test_a_forged_resource_listed_before_the_real_one_is_reported_and_its_file_checked(pkg: Path, tmp_path: Path) -> None:
    """The checker kept the last resource of a name and never looked at the first: 'valid'."""
    shutil.copyfile(pkg / "figures.csv", pkg / "figures-forged.csv")

    def forge(desc: dict[str, Any]) -> None:
        forged = {**_resource(desc, "figures"), "path": "figures-forged.csv", "hash": "sha256:" + "0" * 64, "bytes": 1}
        desc["resources"].insert(0, forged)

    _edit_descriptor(pkg, forge)
    archive.write_zip(pkg, tmp_path / f"{pkg.name}.zip")
    for target in (pkg, tmp_path / f"{pkg.name}.zip"):
        problems = validate_package(target)
        assert ("P801", "figures-forged.csv") in _codes(problems), problems
        twice = [p for p in problems if p.code == "P802" and p.path.endswith(DESCRIPTOR)]
        assert any("a second resource named 'figures'" in p.message for p in twice), problems


def test_a_text_listed_twice_has_both_entries_checked(pkg: Path) -> None:
    def forge(desc: dict[str, Any]) -> None:
        text = next(r for r in desc["resources"] if r["path"].startswith("seeds/"))
        desc["resources"].insert(0, {**text, "hash": "sha256:" + "0" * 64})  # the forged one first: the real one was read

    _edit_descriptor(pkg, forge)
    problems = validate_package(pkg)
    assert any(p.code == "P802" and "is listed twice" in p.message for p in problems), problems
    assert any(p.code == "P801" and "/seeds/" in p.path for p in problems), problems


@pytest.mark.parametrize(
    "version,said",
    [(5, "'version' 5, not a MAJOR.MINOR.PATCH"), ("../../../x", "not a MAJOR.MINOR.PATCH"), (None, "no 'version'"), ("9.9.9", "not 'nkdata-9.9.9'")],
)
def test_the_version_is_a_version_and_names_the_folder(pkg: Path, version: Any, said: str) -> None:
    _edit_descriptor(pkg, lambda d: d.pop("version") if version is None else d.__setitem__("version", version))
    problems = validate_package(pkg)
    assert [(p.code, p.field) for p in problems] == [("P802", "version")], problems
    assert problems[0].path == f"{pkg}/{DESCRIPTOR}" and said in problems[0].message


def test_a_nul_in_a_path_is_a_damaged_descriptor(pkg: Path, tmp_path: Path) -> None:
    _edit_descriptor(pkg, lambda d: _resource(d, "figures")["nkdata:parquet"].__setitem__("path", "figures\0.parquet"))
    problems = validate_package(pkg)
    assert [p.code for p in problems] == ["P802"] and "NUL" in problems[0].message
    with pytest.raises(DescriptorError, match="NUL"):  # the one reader of descriptors: load, diff and export alike
        load_descriptor(pkg / DESCRIPTOR)
