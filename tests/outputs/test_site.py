"""The static site (nkdata site): built from the current project, every claim reachable,
evidence and source URL on the claim page, charts that link marks to claims and draw
ranges and bounds as such, no broken internal link, no remote asset, a light home page."""

from __future__ import annotations

import hashlib
import html
import random
import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytest.importorskip("matplotlib", reason="the site extra (matplotlib) is not installed")

from nkdata.outputs.site.data import assemble, slug  # noqa: E402
from nkdata.release.reader import Release  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


class Links(HTMLParser):
    """Every href and src of a page, and the ids it defines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "xlink:href") and value is not None:
                self.refs.append((name, value))
            if name == "id" and value:
                self.ids.add(value)


@pytest.fixture(scope="session")  # once per worker: xdist interleaves modules, which tears module fixtures down
def site(site_out: Path, built: Path) -> tuple[Path, Release]:
    """The site of the session's build of the real project (tests/conftest.py), and that build."""
    return site_out, Release(built)


def _pages(out: Path) -> dict[Path, Links]:
    parsed = {}
    for page in out.rglob("*.html"):
        p = Links()
        p.feed(page.read_text(encoding="utf-8"))
        parsed[page] = p
    return parsed


def test_every_internal_link_resolves_and_no_remote_asset(site: tuple[Path, Release]) -> None:
    out, _ = site
    pages = _pages(out)
    broken = []
    for page, links in pages.items():
        for attr, ref in links.refs:
            parts = urlsplit(ref)
            if attr == "src":
                assert not parts.scheme and not ref.startswith("//"), f"{page}: remote asset {ref}"
            if parts.scheme in ("http", "https", "mailto"):
                continue
            if ref.startswith("#"):
                target = page
            else:
                target = (page.parent / unquote(parts.path)).resolve()
            if not target.is_file():
                broken.append(f"{page.relative_to(out)}: {ref}")
            elif parts.fragment and target.suffix == ".html" and parts.fragment not in pages[target].ids:
                broken.append(f"{page.relative_to(out)}: {ref} (no id {parts.fragment})")
    assert not broken, broken[:20]


def test_no_remote_src_anywhere(site: tuple[Path, Release]) -> None:
    out, _ = site
    for page in out.rglob("*.html"):
        assert not re.search(r"""src=["']?(https?:)?//""", page.read_text(encoding="utf-8")), page
    css = (out / "assets/site.css").read_text(encoding="utf-8")
    assert "url(http" not in css and "@import" not in css


def test_every_claim_has_a_page_linked_from_the_claims_index(site: tuple[Path, Release]) -> None:
    out, release = site
    claims = release.arrow("claims").to_pylist()
    index = (out / "claims/index.html").read_text(encoding="utf-8")
    for c in claims:
        assert (out / "claims" / f"{slug(c['claim_id'])}.html").is_file(), c["claim_id"]
        assert f'href="../claims/{slug(c["claim_id"])}.html"' in index
    for s in release.arrow("sources").to_pylist():
        assert (out / "sources" / f"{slug(s['source_id'])}.html").is_file()


def test_a_random_figure_shows_its_evidence_highlighted_and_its_source_url(site: tuple[Path, Release]) -> None:
    out, release = site
    data = assemble(release)
    claim_of = data.claim_of_figure()
    rng = random.Random(13)
    for fig in rng.sample(list(data.figures.values()), 10):
        page = (out / "claims" / f"{slug(claim_of[fig['figure_id']])}.html").read_text(encoding="utf-8")
        text = data.texts[fig["source_id"]]
        evidence = text[fig["evidence_start"] : fig["evidence_end"]]
        mark = re.search(rf'<mark id="ev-{re.escape(fig["figure_id"])}">(.*?)</mark>', page, re.S)
        assert mark, fig["figure_id"]
        assert html.unescape(re.sub(r"<[^>]+>", "", mark.group(1))) == evidence
        url = data.sources[fig["source_id"]]["url"]
        if url:
            assert f'href="{html.escape(url, quote=True)}"' in page


def test_charts_are_svg_with_marks_linked_to_claim_pages(site: tuple[Path, Release]) -> None:
    out, release = site
    claim_ids = {slug(c["claim_id"]) for c in release.arrow("claims").to_pylist()}
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "<svg" in home and 'role="img"' in home
    linked: set[str] = set()
    for svg in (out / "charts").glob("*.svg"):
        body = svg.read_text(encoding="utf-8")
        assert body.startswith("<?xml") and "<svg" in body
        for href in re.findall(r'<a href="\.\./claims/([^"]+)\.html" class="mark"', body):
            linked.add(href)
    assert linked and linked <= claim_ids
    drawable = {slug(c["claim_id"]) for c in release.arrow("claims").to_pylist() if c["date_start"] is not None}
    assert drawable <= linked, sorted(drawable - linked)[:5]


def _mark_paths(svg: str, claim_slug: str) -> list[list[tuple[float, float]]]:
    """The polylines (x, y) drawn inside one claim's link in an SVG chart."""
    block = re.search(rf'<a href="[^"]*/{re.escape(claim_slug)}\.html" class="mark"[^>]*>(.*?)</a>', svg, re.S)
    assert block, claim_slug
    lines = []
    for d in re.findall(r'<path d="([^"]+)"[^>]*clip-path', block.group(1)):
        pts = [(float(x), float(y)) for x, y in re.findall(r"[ML] ([-\d.]+) ([-\d.]+)", d)]
        lines.append(pts)
    return lines


def test_ranges_are_drawn_as_ranges_and_bounds_as_bounds(site: tuple[Path, Release]) -> None:
    out, release = site
    from nkdata.outputs.site.charts import family_of

    claims = [c for c in release.arrow("claims").to_pylist() if c["date_start"] is not None]
    ranged = next(c for c in claims if c["qualifier"] == "range" and c["low"] != c["high"])
    bound = next(c for c in claims if c["qualifier"] == "more_than" and (c["date_end"] - c["date_start"]).days == 0)
    for claim, expect in ((ranged, "range"), (bound, "bound")):
        svg = (out / "charts" / f"{family_of(claim['metric']).key}.svg").read_text(encoding="utf-8")
        lines = [ln for ln in _mark_paths(svg, slug(claim["claim_id"])) if len(ln) == 2]
        vertical = [ln for ln in lines if abs(ln[0][0] - ln[1][0]) < 0.2 and abs(ln[0][1] - ln[1][1]) > 1]
        assert vertical, f"{claim['claim_id']}: no vertical bar or arrow drawn for a {expect}"
        assert "upper bound" not in expect
    # a range's tooltip and table say low–high, not one number
    page = (out / "claims" / f"{slug(ranged['claim_id'])}.html").read_text(encoding="utf-8")
    assert "–" in page and f"{ranged['low']:,.0f}" in page and f"{ranged['high']:,.0f}" in page
    page = (out / "claims" / f"{slug(bound['claim_id'])}.html").read_text(encoding="utf-8")
    assert f"more than {bound['low']:,.0f}" in page


def test_home_page_is_light_and_says_what_and_how_far(site: tuple[Path, Release]) -> None:
    out, release = site
    home = out / "index.html"
    assert home.stat().st_size < 200_000, home.stat().st_size
    body = home.read_text(encoding="utf-8")
    data = assemble(release)
    assert str(data.cutoff()) in body
    assert f"<strong>{len(data.figures):,}</strong> figures" in body
    for res in release.resources.values():
        digest = res["hash"].removeprefix("sha256:")
        assert digest in body
        assert (out / "downloads" / res["path"]).is_file()
    # the SQLite export is among the downloads, with the sha256 of the file served
    db = out / "downloads" / f"nkdata-{release.version}.sqlite"
    assert db.is_file() and hashlib.sha256(db.read_bytes()).hexdigest() in body
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from claims").fetchone()[0] == len(data.claims)
    assert "How to cite" in body


def test_text_is_escaped(tmp_path: Path) -> None:
    from nkdata.outputs.site.pages import marked

    out = marked('<script>alert("x")</script> and more', [(0, 8, "ev-1")])
    assert "<script>" not in out and '<mark id="ev-1">&lt;script&gt;</mark>' in out


def test_odd_record_ids_give_safe_distinct_file_names() -> None:
    names = {slug(i) for i in ("clm-a-1.2345", "clm-a-1.2", "../etc/passwd", "a b", "a/b", "é", ".", "..")}
    assert len(names) == 8
    assert all("/" not in n and n not in (".", "..") for n in names)
    assert slug("clm-a-1.2345") == "clm-a-1.2345"


def test_chart_links_keep_every_digit_of_the_claim_id() -> None:
    import datetime as dt

    from nkdata.outputs.site import charts

    claim = {
        "claim_id": "clm-x-1.23456",
        "originator": "ent-x",
        "originator_name": "X",
        "metric": "killed",
        "unit": "persons",
        "date_start": dt.date(2025, 1, 1),
        "date_end": dt.date(2025, 1, 1),
        "best": 1.23456,
        "low": None,
        "high": None,
        "qualifier": "exact",
    }
    svg = charts.for_page(
        charts.svg_text(charts.figure([claim], None, slug)), {slug("clm-x-1.23456"): ("__NKROOT__/claims/clm-x-1.23456.html", "t")}, "c", "t", "d"
    )
    assert 'href="__NKROOT__/claims/clm-x-1.23456.html"' in svg
