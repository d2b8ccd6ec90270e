"""nkdata plot: the site's chart as a file, and the README's image kept in step with the data."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("matplotlib", reason="the site extra (matplotlib) is not installed")

from nkdata.access.loader import embedded_release  # noqa: E402
from nkdata.cli.main import main  # noqa: E402
from nkdata.outputs.site.charts import drawable  # noqa: E402
from nkdata.outputs.site.data import assemble  # noqa: E402
from nkdata.outputs.site.plot import DEFAULT_METRICS, claims_digest, read_stamp  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
README_IMAGE = ROOT / "docs" / "images" / "casualties.svg"


def _embedded_digest(metrics: tuple[str, ...] = DEFAULT_METRICS) -> tuple[str, str]:
    data = assemble(embedded_release())
    return data.version, claims_digest([c for c in data.claims if c["metric"] in metrics and drawable(c)])


def test_plot_writes_svg_and_png_stamped_with_release_and_data(tmp_path: Path) -> None:
    release = str(embedded_release().folder)
    runner = CliRunner()
    for name in ("c.svg", "c.png"):
        result = runner.invoke(main, ["plot", "--release", release, "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert read_stamp(tmp_path / name) == _embedded_digest()
    svg = (tmp_path / "c.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "casualties (persons)" in svg
    assert (tmp_path / "c.png").read_bytes().startswith(b"\x89PNG")


def test_plot_metric_choice_and_errors(tmp_path: Path) -> None:
    release = str(embedded_release().folder)
    runner = CliRunner()
    ok = runner.invoke(main, ["plot", "--release", release, "--metric", "troops_deployed", "--out", str(tmp_path / "t.svg")])
    assert ok.exit_code == 0, ok.output
    assert "troops deployed" in (tmp_path / "t.svg").read_text(encoding="utf-8")
    bad = runner.invoke(main, ["plot", "--release", release, "--metric", "nope", "--out", str(tmp_path / "x.svg")])
    assert bad.exit_code == 2 and "no claims of metric nope" in bad.output
    bad = runner.invoke(main, ["plot", "--release", release, "--out", str(tmp_path / "x.pdf")])
    assert bad.exit_code == 2 and ".svg or .png" in bad.output


def test_readme_image_matches_the_embedded_release() -> None:
    """docs/images/casualties.svg is drawn from the embedded release; regenerate it when the data changes."""
    assert README_IMAGE.is_file()
    assert read_stamp(README_IMAGE) == _embedded_digest(), (
        "docs/images/casualties.svg was drawn from other data: run "
        f"'nkdata plot --release nkdata/_release/nkdata-{embedded_release().version} --out docs/images/casualties.svg' and commit it"
    )


def test_site_builds_from_a_release_without_a_claims_table(tmp_path: Path) -> None:
    """A release may predate the claims table (the recorded 0.1.0 does; the embedded one stores it, so
    the site built from it never derived anything): the site derives it as nkdata.load() does."""
    from nkdata.outputs.site import build_site
    from nkdata.outputs.site.data import slug
    from nkdata.release.archive import extract
    from nkdata.release.reader import Release

    extract(ROOT / "data" / "releases" / "0.1.0" / "nkdata-0.1.0.zip", tmp_path / "release", top="nkdata-0.1.0", single_top=True)
    release = Release(tmp_path / "release" / "nkdata-0.1.0")
    assert "claims" not in release.table_names()
    result = build_site(tmp_path / "site", release=release.folder)
    claims = {f.get("claim_id") or "clm-" + f["figure_id"] for f in release.arrow("figures").to_pylist()}
    assert (result.out / "index.html").is_file()
    assert sorted(p.name for p in (result.out / "claims").iterdir()) == sorted(["index.html", *(f"{slug(c)}.html" for c in claims)])
