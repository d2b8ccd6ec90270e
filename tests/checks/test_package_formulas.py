"""C600 on both paths: a formula in a built package's cell is reported as in the curated YAML.

The build never writes one, so only a hand-edited CSV (what a spreadsheet opens) holds one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from package_helpers import both, essence, located, pick


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "\uff1dSUM(A1)"], ids=["equals", "full-width-equals"])
def test_a_formula_cell(pkg: Path, proj: Path, cell: str) -> None:
    """C600 on a package's cell too: a hand-edited CSV is what a spreadsheet opens (no other test edits a
    package cell into a formula: the package path's formula check could go unnoticed)."""
    fig = pick(pkg, "figures", lambda r: True)
    got, want = both(pkg, proj, "figures", fig["figure_id"], lambda r: r.update(notes=cell))
    p = located(got, pkg, "figures", fig["figure_id"], "C600")
    assert p.field == "notes"
    assert essence(got) == essence(want)
