"""The README's R recipe runs as written against the release in the package (base R, no CRAN packages)."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO

from nkdata.release.layout import release_name

RSCRIPT = shutil.which("Rscript")


def _recipe() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- BEGIN r-recipe[^>]*-->\n```r\n(.*?)```\n<!-- END r-recipe -->", readme, re.S)
    assert block, "README.md has no R recipe between its markers"
    return block.group(1)


def _rows(path: Path) -> int:
    with path.open(encoding="utf-8", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


def test_the_recipe_names_the_current_release() -> None:
    import nkdata

    assert f'dir <- "{release_name(nkdata.__version__)}"' in _recipe()


@pytest.mark.slow
@pytest.mark.skipif(RSCRIPT is None, reason="Rscript is not installed (Debian: apt-get install r-base-core)")
def test_the_r_recipe_reads_and_joins_the_tables(tmp_path: Path) -> None:
    import nkdata

    name = release_name(nkdata.__version__)
    embedded = REPO / "nkdata" / "_release" / name
    shutil.copytree(embedded, tmp_path / name)
    proc = subprocess.run([str(RSCRIPT), "-e", _recipe()], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    n_figures, n_claims = _rows(embedded / "figures.csv"), _rows(embedded / "claims.csv")
    # every figure keeps its row through the join to its source: no quoting or encoding loss
    assert f"{n_figures} figures, {n_claims} claims, {n_figures} joined to their sources" in proc.stdout, proc.stdout
    assert "ent-nis" in proc.stdout  # the claims per originator table, NIS among the first
