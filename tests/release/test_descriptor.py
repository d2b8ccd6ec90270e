"""One safe reader of datapackage.json: a damaged or hostile descriptor is one clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nkdata.release.descriptor import MAX_DEPTH, DescriptorError, file_entries, is_table, load_descriptor, shape_problems, table_resources

GOOD = {
    "resources": [
        {"name": "figures", "type": "table", "path": "figures.csv", "hash": "sha256:0", "bytes": 10, "schema": {"fields": []},
         "nkdata:parquet": {"path": "figures.parquet", "hash": "sha256:1", "bytes": 20}},
        {"name": "seeds-a.txt", "path": "seeds/a.txt", "mediatype": "text/plain", "hash": "sha256:2", "bytes": 3},
    ],
    "nkdata:texts": [{"path": "seeds/old.txt", "hash": "sha256:4", "bytes": 3}],  # the form of releases 0.1.0-0.3.0
}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "datapackage.json"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_sound_descriptor_loads(tmp_path: Path) -> None:
    assert load_descriptor(_write(tmp_path, json.dumps(GOOD))) == GOOD


@pytest.mark.parametrize(
    "text,reason",
    [
        ("{not json", "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, f"nests deeper than {MAX_DEPTH}"),
        ("{\"a\": " + "[" * 40 + "1" + "]" * 40 + "}", f"nests deeper than {MAX_DEPTH}"),  # shallow enough for json, too deep for us
        (json.dumps([1, 2]), "an object with a 'resources' list"),
    ],
)
def test_damaged_text_is_refused_with_its_reason(tmp_path: Path, text: str, reason: str) -> None:
    with pytest.raises(DescriptorError) as err:
        load_descriptor(_write(tmp_path, text))
    assert reason in err.value.reason and "datapackage.json" in str(err.value)


@pytest.mark.parametrize(
    "edit,reason",
    [
        (lambda d: d["resources"][0].__setitem__("nkdata:parquet", 5), "'figures''s nkdata:parquet is not an object"),
        (lambda d: d["resources"][0].__setitem__("bytes", "lots"), "'bytes' 'lots', not a whole number"),
        (lambda d: d["resources"][0].__setitem__("bytes", True), "'bytes' True, not a whole number"),
        (lambda d: d["resources"][0].__setitem__("schema", 5), "'schema' that is not an object"),
        (lambda d: d["resources"][0].__setitem__("hash", 5), "needs a text 'path' and 'hash'"),
        (lambda d: d.__setitem__("nkdata:texts", {}), "'nkdata:texts' is not a list"),
        (lambda d: d["resources"].append({"name": "seeds-b.txt", "path": "seeds/b.txt", "hash": 5}), "resource 'seeds-b.txt' needs a text 'path' and 'hash'"),
        (lambda d: d["resources"].append({"name": "readme.md", "path": "README.md", "hash": "sha256:3", "bytes": -1}), "'bytes' -1, not a whole number"),
        (lambda d: (d["resources"][0].pop("type"), d["resources"][0].__setitem__("nkdata:parquet", 5)), "'figures''s nkdata:parquet is not an object"),

        (lambda d: d.__setitem__("created", "2026-13-45T00:00:00Z"), "'created' is '2026-13-45T00:00:00Z', not an ISO 8601"),
        # the release's own metadata, which 'nkdata info' prints (a ValueError or TypeError before)
        (lambda d: d.__setitem__("licenses", "CC-BY-4.0"), "'licenses' is not a list of objects"),
        (lambda d: d.__setitem__("contributors", [["Kim"]]), "'contributors' is not a list of objects"),
        (lambda d: d.__setitem__("keywords", "war"), "'keywords' is not a list of strings"),
        # a Table Schema every reader indexes into (the SQLite export's TypeError before)
        (lambda d: d["resources"][0]["schema"].__setitem__("fields", "x"), "resource 'figures' has 'schema.fields' that is not a list"),
        (lambda d: d["resources"][0]["schema"].__setitem__("fields", [5]), "'figures''s field 0 is not an object with a text 'name'"),
        (lambda d: d["resources"][0]["schema"].__setitem__("fields", [{"name": "figure_id"}, {"name": "figure_id"}]),
         "schema lists the field 'figure_id' more than once"),
        (lambda d: d["resources"][0]["schema"].__setitem__("fields", [{"name": "a", "type": [1]}]), "field 'a' has a 'type' of the wrong kind"),
        (lambda d: d["resources"][0]["schema"].__setitem__("fields", [{"name": "a", "constraints": "x"}]), "field 'a' has a 'constraints' of the wrong kind"),
        (lambda d: d["resources"][0]["schema"].__setitem__("primaryKey", 5), "'schema.primaryKey' that is not a field name"),
        (lambda d: d["resources"][0]["schema"].__setitem__("foreignKeys", [{"fields": "a", "reference": "b"}]), "'schema.foreignKeys' that are not a list"),
    ],
)
def test_a_wrong_shape_is_named(edit, reason: str) -> None:  # type: ignore[no-untyped-def]
    bad = json.loads(json.dumps(GOOD))
    edit(bad)
    assert any(reason in p for p in shape_problems(bad)), shape_problems(bad)
    assert shape_problems(GOOD) == []


def test_tables_and_files_are_told_apart_and_both_forms_of_texts_are_read() -> None:
    assert [r["name"] for r in table_resources(GOOD)] == ["figures"]
    assert [e["path"] for e in file_entries(GOOD)] == ["seeds/a.txt", "seeds/old.txt"]
    assert not is_table({"name": "readme.md", "path": "README.md"})
    assert is_table({"name": "x", "schema": {}}) and is_table({"name": "x", "nkdata:parquet": {}})


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_a_descriptor_that_is_no_regular_file_is_refused_unread(tmp_path: Path, kind: str) -> None:
    """A FIFO put where datapackage.json was (after a caller looked) must not hang the reader; a
    folder or a device is refused as plainly."""
    import os
    import threading

    path = tmp_path / "datapackage.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path = Path("/dev/zero")
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            load_descriptor(path)
        except BaseException as exc:  # kept for the assertion below
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)  # a hang fails the test instead of the suite
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "load_descriptor waited on the file"
    assert len(outcome) == 1 and isinstance(outcome[0], DescriptorError), outcome
    assert "regular file" in str(outcome[0]) or "cannot be read" in str(outcome[0])
