"""What `validate` accepts, `build` builds, the built package validates and `load()` reads: one
property over generated text (hypothesis), written into a real curated record (issue 10).

Each example runs on the slice of the real project the record lives in (package.yaml, entities.yaml,
the record's source file and its archived text, the changelog): the same files in the same places,
valid and buildable as they are, so that each example validates and builds one source, not all."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import REPO, Project, add_changelog_entry
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nkdata.access.loader import Dataset
from nkdata.checks.package import validate_package
from nkdata.checks.validation import validate
from nkdata.release.reader import Release
from nkdata.release.writer import build

SOURCE = "data/sources/cna-4853646.yaml"
NOTES = "    notes: The year comes from the page's date.\n"  # a one-line free-text field of a real statement
RECORD = "stm-lee-casualties-surpassed-3000"
SLICE = ("data/package.yaml", "data/entities.yaml", SOURCE, "seeds/cna-4853646.txt", "CHANGELOG.md")


def copy_slice(dest: Path, version: str) -> Project:
    """The files of :data:`SLICE` copied from the real project, with a changelog entry for ``version``."""
    for rel in SLICE:
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / rel, dest / rel)
    add_changelog_entry(dest, version)
    return Project(dest)

# Any text, control characters, look-alikes and spreadsheet formula starts included.
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=200
) | st.sampled_from(["=1+1", "\uff1dHYPERLINK(1)", " @x", "\u2028", "a\x1b[2Jb", "\\n", '"quoted"', "x" * 5000])


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(notes=TEXT)
@example(notes="0\r")  # a lone carriage return went out unquoted and split the CSV row (found by this property)
def test_what_validate_accepts_builds_validates_and_loads(notes: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        project = copy_slice(Path(tmp) / "project", "9.9.9")
        text = project.read(SOURCE)
        assert NOTES in text
        project.path(SOURCE).write_text(text.replace(NOTES, f"    notes: {json.dumps(notes)}\n", 1), encoding="utf-8")
        if validate(project.root):
            return  # refused, with its problems: nothing more is promised
        folder = build(project.root, Path(tmp) / "out", version="9.9.9")
        assert validate_package(folder) == []
        statements = Dataset(Release(folder), format="arrow")["statements"]
        row = [r for r in statements.to_pylist() if r["statement_id"] == RECORD]
        assert row and row[0]["notes"] == notes  # the exact characters, through YAML, CSV and Parquet
