"""The Pages workflow: pinned actions, least permissions, and its steps run here on a
copy of the recorded releases (no GitHub needed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "pages.yml"
TEXT = WORKFLOW.read_text(encoding="utf-8")
DOC = yaml.safe_load(TEXT)
STEPS = {name: job["steps"] for name, job in DOC["jobs"].items()}


def test_actions_pinned_and_tagged() -> None:
    uses = [s["uses"] for steps in STEPS.values() for s in steps if "uses" in s]
    assert uses
    for use in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", use), f"{use} is not pinned to a commit SHA"
        assert re.search(re.escape(use) + r" # v\d+\.\d+\.\d+", TEXT), f"{use}: say which release tag the SHA is"


def test_least_permissions() -> None:
    assert DOC["permissions"] == {"contents": "read"}
    assert "permissions" not in DOC["jobs"]["build"]
    assert DOC["jobs"]["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert "secrets." not in TEXT
    checkout = [s for s in STEPS["build"] if s.get("uses", "").startswith("actions/checkout@")]
    assert checkout and all(s["with"]["persist-credentials"] is False for s in checkout)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="sha256sum (coreutils) is not installed")
def test_the_build_steps_make_a_site_of_the_latest_release(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib", reason="the site extra (matplotlib) is not installed")
    shutil.copytree(ROOT / "data" / "releases", tmp_path / "data" / "releases")
    env = {**os.environ, "GITHUB_ENV": str(tmp_path / "github_env")}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = os.pathsep.join(x for x in (str(ROOT), env.get("PYTHONPATH")) if x)  # the console script runs this checkout's nkdata
    runs = [s["run"] for s in STEPS["build"] if "run" in s and not s["run"].startswith("python -m pip")]
    for run in runs:
        for line in (tmp_path / "github_env").read_text().splitlines() if (tmp_path / "github_env").exists() else []:
            key, _, value = line.partition("=")
            env[key] = value
        subprocess.run(["bash", "-euo", "pipefail", "-c", run], cwd=tmp_path, env=env, check=True, capture_output=True, text=True)
    latest = max((p.name for p in (ROOT / "data" / "releases").iterdir()), key=lambda v: tuple(int(x) for x in v.split(".")))
    site = tmp_path / "_site"
    assert (site / "index.html").is_file()
    assert (site / "downloads" / f"nkdata-{latest}.zip").is_file()
    assert f"Release <strong>{latest}</strong>" in (site / "index.html").read_text(encoding="utf-8")
