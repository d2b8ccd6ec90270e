"""The examples in the public API's docstrings run, as a reader would run them, from the project root.

Each docstring of ``nkdata.__all__`` (load, Dataset, tables, versions, validate,
build and the exception family) and the modules that document the release
layout and versions is collected with :mod:`doctest` and run with ELLIPSIS, so
that examples stay true as the data grows.
"""

from __future__ import annotations

import doctest
import importlib

import pytest
from conftest import REPO

import nkdata

MODULES = ["nkdata", "nkdata.errors", "nkdata.release.layout", "nkdata.versioning.semver"]
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _tests() -> list[doctest.DocTest]:
    finder = doctest.DocTestFinder(recurse=True)
    found: dict[str, doctest.DocTest] = {}
    for name in nkdata.__all__:
        obj = getattr(nkdata, name)
        if callable(obj):
            for t in finder.find(obj, f"nkdata.{name}", globs={}):
                found[t.name] = t
    module_finder = doctest.DocTestFinder(recurse=False)  # the module's own docstring; its public names are above
    for module in MODULES:
        for t in module_finder.find(importlib.import_module(module), module):
            found[t.name] = t
    return [t for _, t in sorted(found.items()) if t.examples]


TESTS = _tests()
DOCUMENTED = ["load", "Dataset", "tables", "versions", "validate", "build", "NkdataError", "UsageError", "ValidationFailed",
              "BuildError", "IntegrityError", "DataNotAvailable"]


def test_every_public_name_has_examples() -> None:
    with_examples = {t.name.rsplit(".", 1)[-1] for t in TESTS}
    missing = [name for name in DOCUMENTED if name not in with_examples]
    assert not missing, f"no Examples section run for {missing}"
    for name in DOCUMENTED:
        obj = getattr(nkdata, name)
        doc = obj.__doc__ or ""
        if isinstance(obj, type):  # a class documents how it is made; an exception, when it is raised
            sections = ["Examples"] if issubclass(obj, Exception) else ["Parameters", "Raises", "Examples"]
        else:
            sections = ["Returns", "Examples"] + (["Parameters", "Raises"] if name in ("load", "build", "validate") else [])
        assert all(f"{s}\n    {'-' * len(s)}" in doc for s in sections), f"{name}: numpy-style sections {sections} expected"


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_docstring_examples_run(test: doctest.DocTest, monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("NKDATA_MIRROR", raising=False)
    monkeypatch.setenv("NKDATA_CACHE", str(tmp_path / "cache"))  # examples that set it change only this test's copy
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # every temporary folder an example makes goes away with the test
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    out: list[str] = []
    result = runner.run(test, out=out.append)
    assert result.failed == 0, "".join(out)
