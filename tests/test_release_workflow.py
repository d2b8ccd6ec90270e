"""The release workflow (.github/workflows/release.yml), read as YAML and run here without GitHub:
its trigger, pins and permissions, the check that the build is the recorded release, and every
step executed in order on a git copy of the project, with a stand-in for the `gh` CLI."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, copy_project

from nkdata.cli.docs import release_urls

WORKFLOW = REPO / ".github" / "workflows" / "release.yml"
TEXT = WORKFLOW.read_text(encoding="utf-8")
DOC = yaml.safe_load(TEXT)
JOBS = DOC["jobs"]
META = yaml.safe_load((REPO / "data" / "package.yaml").read_text(encoding="utf-8"))
VERSION = re.search(r'__version__ = "([^"]+)"', (REPO / "nkdata" / "_version.py").read_text(encoding="utf-8"))[1]
#: the repository data/package.yaml names (owner/name), where the workflow may publish
REPOSITORY = META["homepage"].removeprefix("https://github.com/")


def _steps(job: str) -> list[dict]:
    return list(JOBS[job]["steps"])


def _commands(run: str) -> list[list[str]]:
    """The simple commands of a ``run:`` script (continuations joined; split at ``&&``, ``||``, ``;``, ``|``
    and subshell parentheses), as the shell's lexer splits them."""
    out: list[list[str]] = []
    for line in run.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line.strip(), posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        try:
            tokens = list(lexer)
        except ValueError:  # a line inside a here-document (Python), not a shell command
            continue
        current: list[str] = []
        for token in [*tokens, ";"]:
            if token in ("&&", "||", ";", "|", "(", ")"):
                if current and not current[0].startswith("#"):
                    out.append(current)
                current = []
            else:
                current.append(token)
    return out


def test_runs_only_on_a_version_tag() -> None:
    on = DOC.get("on", DOC.get(True))  # PyYAML reads a bare 'on' key as the boolean true
    assert on == {"push": {"tags": ["v*.*.*"]}}


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_tag() -> None:
    uses = [step["uses"] for job in JOBS for step in _steps(job) if "uses" in step]
    assert len(uses) == 4, uses  # checkout, setup-python, upload- and download-artifact
    for use in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", use), f"{use} is not pinned to a commit SHA"
        assert re.search(re.escape(use) + r" # v\d+\.\d+\.\d+", TEXT), f"{use}: say which release tag the SHA is"
    # the same action at the same SHA as the other workflows: one pin to review per action
    for other in ("validate.yml", "pages.yml"):
        doc = yaml.safe_load((WORKFLOW.parent / other).read_text(encoding="utf-8"))
        pins = {s["uses"].split("@")[0]: s["uses"] for j in doc["jobs"].values() for s in j["steps"] if "uses" in s}
        for use in uses:
            assert pins.get(use.split("@")[0], use) == use, f"{use} differs from {other}'s pin"


def test_least_permissions_and_only_the_publish_job_writes() -> None:
    assert DOC["permissions"] == {"contents": "read"}
    assert "permissions" not in JOBS["build"]
    assert JOBS["publish"]["permissions"] == {"contents": "write"}
    assert JOBS["publish"]["needs"] == "build"
    assert "secrets." not in TEXT
    checkout = [s for s in _steps("build") if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout and all(s["with"]["persist-credentials"] is False for s in checkout)
    # the job holding the write token runs no project code: no checkout, no install, only gh and sha256sum
    publish = _steps("publish")
    assert [s["uses"].split("@")[0] for s in publish if "uses" in s] == ["actions/download-artifact"]
    programs = {cmd[0] for s in publish if "run" in s for cmd in _commands(s["run"])}
    assert programs <= {"version=${GITHUB_REF_NAME#v}", "cd", "sha256sum", "gh"}, programs
    assert all("${{" not in s.get("run", "") for job in JOBS for s in _steps(job)), "no expression expanded into a script"


def test_the_build_is_checked_identical_to_the_recorded_release_before_anything_is_uploaded() -> None:
    steps = _steps("build")
    names = [s.get("name", s.get("uses", "")) for s in steps]
    runs = [_commands(s.get("run", "")) for s in steps]
    build = next(i for i, cmds in enumerate(runs) if ["nkdata", "release", "--out", "dist"] in cmds)
    check = next(i for i, cmds in enumerate(runs) if any(c[:2] == ["sha256sum", "--check"] for c in cmds))
    upload = next(i for i, s in enumerate(steps) if s.get("uses", "").startswith("actions/upload-artifact@"))
    frictionless = next(i for i, cmds in enumerate(runs) if any(c[:2] == ["frictionless", "validate"] for c in cmds))
    tag = next(i for i, s in enumerate(steps) if "nkdata/_version.py" in s.get("run", ""))
    home = next(i for i, s in enumerate(steps) if "data/package.yaml" in s.get("run", ""))
    assert tag < home < build < check < frictionless < upload, names
    checked = runs[check]
    # the recorded digest, not one computed from the build
    assert ["cp", "data/releases/$VERSION/nkdata-$VERSION.zip.sha256", "dist/"] in checked
    assert ["cmp", "dist/nkdata-$VERSION/datapackage.json", "data/releases/$VERSION/datapackage.json"] in checked
    assert ["git", "diff", "--exit-code", "--stat"] in checked


def test_the_published_assets_are_the_zip_descriptor_and_sqlite() -> None:
    (gh,) = [c for s in _steps("publish") if "run" in s for c in _commands(s["run"]) if c[0] == "gh"]
    assert gh[:3] == ["gh", "release", "create"] and "--verify-tag" in gh
    files = [a for a in gh if a.startswith("release/")]
    assert files[0] == "release/notes.md"  # --notes-file
    assert files[1:] == [
        "release/nkdata-$version.zip", "release/nkdata-$version.zip.sha256", "release/datapackage.json",
        "release/nkdata-$version.sqlite", "release/nkdata-$version.metadata.json",
    ]
    # what the README gives as direct addresses is what is published
    published = [f.removeprefix("release/").replace("$version", VERSION) for f in files[1:]]
    assert published == [url.rsplit("/", 1)[1] for url in release_urls(REPO).values()]
    assert all(url.startswith(META["download_base"].replace("{version}", VERSION)) for url in release_urls(REPO).values())


# ---------------------------------------------------------------- the steps, run


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the runner checks out at the tag: the project, its recorded releases and embedded copy, in git."""
    root = copy_project(tmp_path_factory.mktemp("tag") / "checkout").root
    shutil.copyfile(REPO / "CHANGELOG.md", root / "CHANGELOG.md")
    (root / "nkdata").mkdir()
    for name in ("_version.py", "registry.txt"):
        shutil.copyfile(REPO / "nkdata" / name, root / "nkdata" / name)
    shutil.copytree(REPO / "nkdata" / "_release", root / "nkdata" / "_release")
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid"]
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "the tagged commit"]):
        subprocess.run(git + cmd, cwd=root, check=True, capture_output=True, timeout=60)
    return root


def _env(root: Path, tag: str, repository: str) -> dict[str, str]:
    bin_dir = root.parent / "bin"
    bin_dir.mkdir(exist_ok=True)
    gh = bin_dir / "gh"  # the runner's GitHub CLI, replaced by one that records its arguments
    gh.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {shlex.quote(str(root.parent / "gh-args"))}\n', encoding="utf-8")
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "NKDATA_"))}
    env.update(GITHUB_ENV=str(root.parent / "github_env"), GITHUB_REF_NAME=tag, GITHUB_REPOSITORY=repository, GH_TOKEN="unused")
    env["PATH"] = os.pathsep.join([str(bin_dir), str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONPATH"] = os.pathsep.join(x for x in (str(REPO), env.get("PYTHONPATH")) if x)  # the console script runs this checkout's nkdata
    return env


def _run_steps(root: Path, job: str, env: dict[str, str], upto: int | None = None) -> subprocess.CompletedProcess[str] | None:
    """Run the job's ``run:`` steps (but the install) as the runner would (bash -e); the first failure is returned."""
    for step in _steps(job)[:upto]:
        if "uses" in step:
            if step["uses"].startswith("actions/download-artifact@"):  # the artifact: build's assets/ as release/
                shutil.copytree(root / "assets", root / "release")
            continue
        if step["run"].startswith("python -m pip"):
            continue
        github_env = Path(env["GITHUB_ENV"])
        for line in github_env.read_text().splitlines() if github_env.exists() else []:
            key, _, value = line.partition("=")
            env[key] = value
        proc = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", step["run"]], cwd=root, env=env, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            return proc
    return None


@pytest.mark.slow  # builds the release, exports SQLite and runs frictionless in child processes
@pytest.mark.skipif(shutil.which("sha256sum") is None or shutil.which("git") is None, reason="needs coreutils and git")
def test_every_step_runs_and_publishes_the_recorded_release(checkout: Path) -> None:
    pytest.importorskip("frictionless")
    env = _env(checkout, f"v{VERSION}", REPOSITORY)
    failed = _run_steps(checkout, "build", env)
    assert failed is None, f"{failed.args}\n{failed.stdout}\n{failed.stderr}" if failed else ""
    assert sorted(p.name for p in (checkout / "assets").iterdir()) == sorted(
        [f"nkdata-{VERSION}.zip", f"nkdata-{VERSION}.zip.sha256", "datapackage.json", f"nkdata-{VERSION}.sqlite",
         f"nkdata-{VERSION}.metadata.json", "notes.md"]
    )
    assert (checkout / "assets" / f"nkdata-{VERSION}.zip").read_bytes() == (REPO / "data" / "releases" / VERSION / f"nkdata-{VERSION}.zip").read_bytes()
    failed = _run_steps(checkout, "publish", env)
    assert failed is None, f"{failed.args}\n{failed.stdout}\n{failed.stderr}" if failed else ""
    args = (checkout.parent / "gh-args").read_text(encoding="utf-8").splitlines()
    assert args[:3] == ["release", "create", f"v{VERSION}"] and args[args.index("--repo") + 1] == REPOSITORY
    assert f"release/nkdata-{VERSION}.sqlite" in args and "release/datapackage.json" in args
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    entry = changelog.split(f"\n## [{VERSION}]", 1)[1].split("\n", 1)[1].split("\n## [", 1)[0]
    assert (checkout / "release" / "notes.md").read_text(encoding="utf-8").strip() == entry.strip()  # this version's entry


@pytest.mark.slow
@pytest.mark.parametrize(
    ("tag", "repository", "says"),
    [
        ("v9.9.9", REPOSITORY, f"is not v{VERSION}, the version nkdata/_version.py declares"),
        (f"v{VERSION}", "someone/fork-of-nkdata", "nothing is published"),
    ],
)
def test_a_wrong_tag_or_repository_stops_before_building(checkout: Path, tmp_path: Path, tag: str, repository: str, says: str) -> None:
    root = tmp_path / "checkout"
    shutil.copytree(checkout, root, ignore=shutil.ignore_patterns("dist", "assets", "release"))
    env = _env(root, tag, repository)
    build = next(i for i, s in enumerate(_steps("build")) if "nkdata release" in s.get("run", ""))
    failed = _run_steps(root, "build", env, upto=build)
    assert failed is not None and says in failed.stdout, failed
    assert not (root / "dist").exists()
