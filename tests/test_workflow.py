"""The CI workflow, read and run here without GitHub: its triggers, pins and permissions,
and every command it runs, executed in order on a copy of the project."""

from __future__ import annotations

import glob
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml
from conftest import REPO, copy_project, run_cli

from nkdata.cli.main import main
from nkdata.versioning.diff import diff

WORKFLOW = REPO / ".github" / "workflows" / "validate.yml"
TEXT = WORKFLOW.read_text(encoding="utf-8")
DOC = yaml.safe_load(TEXT)
STEPS = [step for job in DOC["jobs"].values() for step in job["steps"]]
RUNS = [step["run"].strip() for step in STEPS if "run" in step]


def command(run: str) -> list[str]:
    """The program and arguments of a ``run:`` line (before any pipe into tee)."""
    return shlex.split(run.split("|")[0])


def test_triggers_on_pull_requests_and_pushes() -> None:
    on = DOC.get("on", DOC.get(True))  # PyYAML reads a bare 'on' key as the boolean true
    assert "pull_request" in on and "push" in on


def test_no_secrets_and_read_only_token() -> None:
    assert "secrets." not in TEXT and "${{ secrets" not in TEXT and "GITHUB_TOKEN" not in TEXT
    assert DOC["permissions"] == {"contents": "read"}
    assert all(step.get("with", {}).get("persist-credentials") is False for step in STEPS if step.get("uses", "").startswith("actions/checkout@"))


def test_actions_are_pinned_to_full_commit_shas() -> None:
    uses = [step["uses"] for step in STEPS if "uses" in step]
    assert uses, "the workflow checks out the code and sets up Python"
    for use in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", use), f"{use} is not pinned to a commit SHA"
        assert re.search(re.escape(use) + r" # v\d+\.\d+\.\d+", TEXT), f"{use}: say which release tag the SHA is"


def test_the_expected_steps_in_order() -> None:
    assert [command(r)[:3] for r in RUNS] == [
        ["python", "-m", "pip"],
        ["python", "-m", "pip"],  # cffconvert, apart (tests/release/test_card.py)
        ["nkdata", "validate", "--format"],
        ["nkdata", "schema", "--check"],
        ["ruff", "check", "nkdata"],
        ["mypy"],
        ["python", "-m", "pytest"],
        ["nkdata", "build", "--out"],
        ["frictionless", "validate", "dist/nkdata-*/datapackage.json"],
        ["nkdata", "diff", "--check-version"],
    ]
    assert command(RUNS[0]) == ["python", "-m", "pip", "install", ".[test]"]
    assert "--format github" in RUNS[2] and "--format markdown" in RUNS[-1]


def test_every_nkdata_command_exists_with_those_options() -> None:
    for run in RUNS:
        args = command(run)
        if args[0] != "nkdata":
            continue
        assert args[1] in main.commands, f"{run}: no such command"
        # parse as the CLI would (raises on an unknown option); the parent carries the group's settings
        # (click caches each command's help option from the first context it sees)
        parent = click.Context(main, info_name="nkdata", **main.context_settings)
        ctx = main.commands[args[1]].make_context(args[1], args[2:], parent=parent)
        assert ctx.params


def test_ci_run_exercises_the_test_suite_lint_and_types() -> None:
    """.ci/run is the README's test command in a fresh environment (the suite includes this file),
    plus the workflow's lint and type steps, run exactly as the workflow runs them."""
    script = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "pip install -q '.[test]' && pip install -q --no-deps cffconvert==2.0.0" in script and "python -m pytest" in script
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "pip install '.[test]' && pip install --no-deps cffconvert==2.0.0 && python -m pytest" in readme.split("\n\n")[1]
    for run in RUNS:
        if command(run)[0] in ("ruff", "mypy"):
            assert run in script, f".ci/run does not run {run!r} as the workflow does"
    assert "exit 1" in script and "set -e" not in script, "every step runs, and a failure fails the run"


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a CI runner sees: a copy of the project with its version file."""
    root = copy_project(tmp_path_factory.mktemp("ci") / "checkout").root
    (root / "nkdata").mkdir()
    shutil.copyfile(REPO / "nkdata" / "_version.py", root / "nkdata" / "_version.py")
    return root


@pytest.mark.slow  # starts the CLI or another Python in a new process
def test_every_command_runs_as_ci_runs_it(checkout: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each step (but installing and the test suite, which is this run) in order, in the checkout."""
    monkeypatch.chdir(checkout)
    ran = []
    for run in RUNS:
        args = command(run)
        if args[:3] in (["python", "-m", "pip"], ["python", "-m", "pytest"]) or args[0] in ("ruff", "mypy"):
            continue  # installing, the suite (this run), lint and types: .ci/run runs those
        ran.append(args[1])
        if args[0] == "frictionless":
            paths = [p for a in args[2:] for p in sorted(glob.glob(a))]
            assert len(paths) == 1, paths
            proc = subprocess.run([sys.executable, "-m", "frictionless", "validate", paths[0]], capture_output=True, text=True, timeout=300)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            continue
        out = run_cli(*args[1:], env={"GITHUB_ACTIONS": "true"})
        assert "Traceback" not in out.output
        if args[1] == "diff":
            expected_ok = diff(None, None, checkout).version_check()[0]
            assert out.exit_code == (0 if expected_ok else 1), out.output
            assert out.stdout.startswith("### nkdata ") and "| table | rows before | rows after |" in out.stdout
            assert re.search(r"version check (passed|failed)", out.stderr)
        else:
            assert out.exit_code == 0, f"{run}:\n{out.output}"
    assert ran == ["validate", "schema", "build", "validate", "diff"]
    assert glob.glob("dist/nkdata-*/datapackage.json")
