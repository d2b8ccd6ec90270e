"""The wheel carries the release: built, installed into a fresh venv (its
dependencies from the package index, as a user gets them) and loaded from another
directory with no source tree and no network access to data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from helpers_release import EMBEDDED, NAME, REPO, TABLES, files_of

pytestmark = pytest.mark.slow  # builds a wheel and installs it into a fresh virtual environment

PROBE = """
import json, sys
import nkdata
ds = nkdata.load()
figures = nkdata.load("figures", format="arrow")
print(json.dumps({
    "module": nkdata.__file__,
    "data": str(ds.path),
    "version": ds.version,
    "rows": {name: len(ds[name]) for name in ds},
    "arrow_rows": figures.num_rows,
    "arrow_type": type(figures).__module__ + "." + type(figures).__name__,
    "sys_path": sys.path,
}))
"""


def _run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, **kwargs)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))}\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_the_installed_wheel_loads_its_embedded_release_offline(tmp_path):
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(dist), str(REPO)])
    (wheel,) = dist.glob("nkdata-*.whl")

    # The wheel holds the embedded release, byte for byte, and the registry.
    with zipfile.ZipFile(wheel) as zf:
        members = {n: zf.read(n) for n in zf.namelist() if n.startswith(f"nkdata/_release/{NAME}/")}
        assert "nkdata/registry.txt" in zf.namelist()
        registry = zf.read("nkdata/registry.txt").decode("utf-8")
    # where releases are published travels with the package, which has no data/package.yaml
    import yaml

    base = yaml.safe_load((REPO / "data" / "package.yaml").read_text(encoding="utf-8"))["download_base"]
    assert f"\nbase: {base}\n" in registry
    assert {n.removeprefix(f"nkdata/_release/{NAME}/"): b for n, b in members.items()} == files_of(EMBEDDED)

    # A fresh venv (no pip of its own: the test's pip installs into it), dependencies resolved
    # from the configured package index, never the source tree.
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, clear=True).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # --no-compile: no .pyc for every module of pandas, pyarrow and numpy up front (most of the install's
    # CPU); Python compiles what the probe imports, as it would for a user
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--disable-pip-version-check", "--no-compile", str(wheel)])

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NKDATA_MIRROR", "PYTHONHOME")}
    env["NKDATA_CACHE"] = str(tmp_path / "no-cache-needed")
    proc = _run([str(python), "-c", PROBE], cwd=elsewhere, env=env)
    got = json.loads(proc.stdout.strip().splitlines()[-1])

    site = Path(got["module"]).resolve().parents[1]
    assert site.name == "site-packages" and env_dir.resolve() in site.parents, got["module"]
    assert Path(got["data"]).resolve() == site / "nkdata" / "_release" / NAME
    assert not any(str(REPO) in p for p in got["sys_path"]), "the source tree must not be importable"
    assert got["version"] == NAME.removeprefix("nkdata-")
    import nkdata

    here = nkdata.load()
    assert list(got["rows"]) == TABLES
    assert got["rows"] == {name: len(here[name]) for name in here}
    assert got["arrow_rows"] == got["rows"]["figures"] and got["arrow_type"] == "pyarrow.lib.Table"
    assert not (tmp_path / "no-cache-needed").exists(), "the embedded release needs no cache and no download"

    # The console script works from the installed package too.
    proc = _run([str(env_dir / "bin" / "nkdata"), "info"], cwd=elsewhere, env=env)
    assert f"data: {site / 'nkdata' / '_release' / NAME}" in proc.stdout
