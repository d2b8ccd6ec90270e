"""``nkdata new-source``: a scaffold that validates with only F700, then with one record added, cleanly."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, SEED_000, Project, run_cli

from nkdata.curated.scaffold import default_source_id, render
from nkdata.spec.models import ID_PATTERNS, MODELS

TEXT = (
    "North Korean soldiers in Russia: Fear, stress, and loyalty crisis\n"
    "The North Korean authorities are increasingly concerned about the mental condition and moral state "
    "of soldiers sent on a military mission to Russia.\n"
)
STATEMENT = """statements:
  - statement_id: stm-test-authorities-concerned
    kind: reported
    text: >-
      The North Korean authorities are increasingly concerned about the mental
      condition and moral state of soldiers sent on a military mission to Russia.
    topics: [morale]
"""


@pytest.fixture
def text_file(tmp_path: Path) -> Path:
    """A new archived text outside the project (its words are from a real seed text)."""
    path = tmp_path / "incoming" / "002_test-source.txt"
    path.parent.mkdir()
    path.write_text(TEXT, encoding="utf-8")
    return path


YAML_REL = "data/sources/002_test-source.yaml"


def test_scaffold_then_validate_reports_only_f700(project: Project, text_file: Path) -> None:
    out = run_cli("new-source", str(text_file), str(project.root))
    assert out.exit_code == 0, out.output
    assert "archived seeds/002_test-source.txt" in out.stdout and f"wrote {YAML_REL}" in out.stdout
    assert project.read("seeds/002_test-source.txt") == TEXT
    doc = yaml.safe_load(project.read(YAML_REL))
    source = doc["source"]
    assert source["source_id"] == "src-002-test-source"
    assert source["text_path"] == "seeds/002_test-source.txt"
    assert source["text_sha256"] == hashlib.sha256(TEXT.encode("utf-8")).hexdigest()
    assert source["title"] is None and source["url"] is None and source["publisher"] is None
    assert doc["figures"] == [] and doc["statements"] == [] and doc["events"] == []
    problems = project.validate()
    assert [(p.code, p.path, p.record_id) for p in problems] == [("F700", YAML_REL, "src-002-test-source")]
    cli = run_cli("validate", str(project.root))
    assert cli.exit_code == 1 and "F700" in cli.stdout and cli.stdout.count("\n") == 1


def test_adding_one_record_makes_it_valid(project: Project, text_file: Path) -> None:
    assert run_cli("new-source", str(text_file), str(project.root), "--title", TEXT.splitlines()[0]).exit_code == 0
    project.replace(YAML_REL, "statements: []\n", STATEMENT)
    assert project.validate() == []
    assert yaml.safe_load(project.read(YAML_REL))["source"]["title"] == "North Korean soldiers in Russia: Fear, stress, and loyalty crisis"


def _example(scaffold: str, table: str) -> list[dict]:
    """The commented example of ``table``, uncommented and parsed."""
    lines = scaffold.splitlines()
    start = lines.index(f"# {table}:")
    block = []
    for line in lines[start:]:
        if not line.startswith("#"):
            break
        block.append(line[2:])
    return yaml.safe_load("\n".join(block))[table]


@pytest.mark.parametrize("table", ["figures", "statements", "events"])
def test_commented_examples_use_real_fields_and_terms(table: str) -> None:
    scaffold = render("src-x", "seeds/x.txt", "0" * 64, None, "en")
    (example,) = _example(scaffold, table)
    model = MODELS[table]
    assert set(example) <= set(model.model_fields), set(example) - set(model.model_fields)
    required = {n for n, f in model.model_fields.items() if f.is_required() and n != "source_id"}
    assert required <= set(example), required - set(example)
    assert re.match(ID_PATTERNS[table], example[model.id_field])
    # with the placeholders filled from a real record, an uncommented example is a valid record
    example = {**example, "source_id": "src-x"}
    if table == "statements":
        example.update(speaker_id=None, attribution=[], kind="reported")
    model.model_validate(example)


def test_text_already_in_seeds_is_used_in_place(project: Project, text_file: Path) -> None:
    project.write("seeds/002_test-source.txt", TEXT)
    orphan = project.validate()
    assert [p.code for p in orphan] == ["F702"]
    out = run_cli("new-source", str(project.path("seeds/002_test-source.txt")), str(project.root))
    assert out.exit_code == 0, out.output
    assert "archived" not in out.stdout
    assert [p.code for p in project.validate()] == ["F700"]


def test_custom_id_and_language(project: Project, text_file: Path) -> None:
    out = run_cli("new-source", str(text_file), str(project.root), "--id", "src-test-fear-stress", "--language", "ko")
    assert out.exit_code == 0, out.output
    source = yaml.safe_load(project.read(YAML_REL))["source"]
    assert (source["source_id"], source["language"]) == ("src-test-fear-stress", "ko")


def test_title_with_yaml_special_characters_round_trips(project: Project, text_file: Path) -> None:
    title = 'Troops: "more than 4,000" # casualties — \'exceed\''
    assert run_cli("new-source", str(text_file), str(project.root), "--title", title).exit_code == 0
    assert yaml.safe_load(project.read(YAML_REL))["source"]["title"] == title


def test_default_source_id() -> None:
    assert default_source_id("002_Korea Herald--troops") == "src-002-korea-herald-troops"
    assert re.match(ID_PATTERNS["sources"], default_source_id("000_d85847d8cad8ebc4"))


# ---------------------------------------------------------------- refusals: exit code, message, nothing written


def refused(project: Project, *args: str, code: int = 1, needle: str) -> None:
    """``nkdata new-source ARGS`` (in-process) is refused: the exit code, the message, no traceback, nothing written."""
    before = project.snapshot()
    out = run_cli("new-source", *args)
    assert out.exit_code == code, out.output
    assert needle in out.stderr
    assert "Traceback" not in out.output
    assert project.snapshot() == before


def test_refuses_to_overwrite_an_existing_yaml(project: Project, text_file: Path) -> None:
    assert run_cli("new-source", str(text_file), str(project.root)).exit_code == 0
    refused(project, str(text_file), str(project.root), needle=f"{YAML_REL} already exists")


def test_refuses_a_different_text_with_the_same_name(project: Project, text_file: Path) -> None:
    project.write("seeds/002_test-source.txt", TEXT + "edited\n")
    refused(project, str(text_file), str(project.root), needle="seeds/002_test-source.txt already exists with different content")


def test_refuses_a_text_another_source_already_uses(project: Project) -> None:
    project.path("data/sources/000_d85847d8cad8ebc4.yaml").rename(project.path("data/sources/daily-nk.yaml"))
    refused(project, str(project.path(SEED_000)), str(project.root), needle="is already the text of data/sources/daily-nk.yaml")


def test_refuses_a_used_source_id(project: Project, text_file: Path) -> None:
    needle = "already used in data/sources/001_6a6af57649902c1b.yaml"
    refused(project, str(text_file), str(project.root), "--id", "src-nk-casualties-exceed-4000", needle=needle)


@pytest.mark.parametrize(
    ("name", "content", "args", "needle"),
    [
        ("bad name.txt", TEXT.encode(), (), "rename the text"),
        ("002_latin1.txt", "caf\xe9".encode("latin-1"), (), "is not UTF-8"),
        ("002_empty.txt", b" \n", (), "is empty"),
        ("002_ok.txt", TEXT.encode(), ("--id", "source-1"), "is not valid"),
        ("002_ok.txt", TEXT.encode(), ("--language", "English"), "is not a BCP 47 code"),
    ],
)
def test_bad_arguments_are_usage_errors(project: Project, tmp_path: Path, name: str, content: bytes, args: tuple[str, ...], needle: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    refused(project, str(path), str(project.root), *args, code=2, needle=needle)


def test_missing_text_and_non_project(project: Project, tmp_path: Path, text_file: Path) -> None:
    refused(project, str(tmp_path / "nope.txt"), str(project.root), code=2, needle="no such file")
    refused(project, str(text_file), str(tmp_path), code=2, needle="is not an nkdata project")


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
@pytest.mark.parametrize("folder", ["seeds", "data/sources"])
def test_refuses_a_folder_linked_out_of_the_project(project: Project, tmp_path: Path, text_file: Path, folder: str) -> None:
    """new-source would copy the text (seeds/) or write the scaffold (data/sources/, which it did before)
    through the link, out of the project: it refuses and writes nothing there."""
    outside = tmp_path / "outside"
    os.rename(project.path(folder), outside)
    project.path(folder).symlink_to(outside, target_is_directory=True)
    before = sorted(p.name for p in outside.iterdir())
    refused(project, str(text_file), str(project.root), code=2, needle="is a symlink leading outside the project")
    assert sorted(p.name for p in outside.iterdir()) == before


@pytest.mark.parametrize("folder", ["seeds", "data/sources"])
def test_refuses_a_file_where_a_folder_should_be(project: Project, text_file: Path, folder: str) -> None:
    """It was a FileExistsError traceback (from making the folder)."""
    shutil.rmtree(project.path(folder))
    project.write(folder, "not a folder\n")
    refused(project, str(text_file), str(project.root), code=2, needle=f"{folder} is not a folder")


@pytest.mark.parametrize(
    ("title", "shown"),
    [("a\nsource: x", "a\\nsource: x"), ("red \x1b[31m!", "red \\x1b[31m!"), (os.fsdecode(b"caf\xe9"), "caf\\udce9")],
    ids=["newline", "escape", "not-utf8"],  # not-utf8: a --title in Latin-1 bytes was a UnicodeEncodeError traceback
)
def test_refuses_a_title_with_control_characters(project: Project, text_file: Path, title: str, shown: str) -> None:
    refused(project, str(text_file), str(project.root), "--title", title, code=2, needle=f"--title '{shown}' holds a control character")


def test_refuses_a_name_too_long_for_its_source_file(project: Project, tmp_path: Path) -> None:
    """NAME.txt of 251 to 255 bytes fits, NAME.yaml does not: it was an OSError traceback (File name too long)."""
    path = tmp_path / ("a" * 251 + ".txt")
    path.write_text(TEXT, encoding="utf-8")
    refused(project, str(path), str(project.root), code=2, needle="rename the text to at most 200 characters")


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE")
def test_a_full_disk_is_one_line_and_leaves_nothing(project: Project, tmp_path: Path) -> None:
    """A file system that refuses the write (EFBIG here, as ENOSPC would) was an OSError traceback."""
    big = tmp_path / "002_big.txt"
    big.write_text("North Korea sent troops.\n" * 8000, encoding="utf-8")  # 200 kB, past the 64 kB limit below
    files = lambda: {k: v for k, v in project.snapshot().items() if v[0] != "dir"}  # noqa: E731 (folders' times change)
    before = files()
    limit = "import resource, signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); resource.setrlimit(resource.RLIMIT_FSIZE, (65536, 65536))"
    code = f"{limit}; import sys; from nkdata.cli.main import main; sys.argv = ['nkdata', 'new-source', {str(big)!r}, {str(project.root)!r}]; main()"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "cannot write" in r.stderr and "nothing was written" in r.stderr, r.stderr
    assert files() == before
