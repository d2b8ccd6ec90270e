"""The site in a real browser: Debian's Chromium driven by playwright (never a browser
download), against the site served on 127.0.0.1. A reader's path: home page, a chart
mark to its claim page with the evidence highlighted, the figures table filtered and
sorted, a quote searched, a source page opened; no console error, no request off the
machine. Screenshots go to tests/artifacts/site/ (not committed)."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "site"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (/usr/bin/chromium): apt-get install -y chromium"),
]

pytest.importorskip("matplotlib", reason="the site extra (matplotlib) is not installed")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright; never 'playwright install')")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture(scope="session")  # once per worker: xdist interleaves modules, which tears module fixtures down
def site(site_out: Path) -> Iterator[tuple[str, Path]]:
    """The site of the session's build of the real project (tests/conftest.py), served on 127.0.0.1."""
    out = site_out
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", out
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")  # not longer: playwright's sync API must not outlive these tests
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class Watch:
    """Console errors, page errors and every request, with off-machine requests refused."""

    def __init__(self, page: object) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.refused: list[str] = []
        page.on("console", lambda msg: self.errors.append(f"console {msg.type}: {msg.text}") if msg.type == "error" else None)  # type: ignore[attr-defined]
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))  # type: ignore[attr-defined]
        page.route("**/*", self._route)  # type: ignore[attr-defined]

    def _route(self, route: object, request: object) -> None:
        url = request.url  # type: ignore[attr-defined]
        self.requests.append(url)
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.hostname != "127.0.0.1" or parts.scheme not in ("http", "https", "file", "data"):
            self.refused.append(url)
            route.abort()  # type: ignore[attr-defined]
        else:
            route.continue_()  # type: ignore[attr-defined]


def _shot(page: object, name: str, full: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full)  # type: ignore[attr-defined]


def _from_the_chart_to_the_evidence(page: Any, base: str) -> None:
    """Home page: the skip link first, then a chart mark to its claim page, the evidence highlighted, on to the source."""
    expect = sync_api.expect

    page.keyboard.press("Tab")  # the first stop is the skip link
    assert page.evaluate("document.activeElement.className") == "skip"

    mark = page.locator("svg.chart a.mark").first
    href = mark.get_attribute("href")
    assert href and href.startswith("claims/")
    mark.scroll_into_view_if_needed()
    mark.click(force=True)
    page.wait_for_url("**/" + href)
    highlighted = page.locator(".archived mark").first
    expect(highlighted).to_be_visible()
    assert len(highlighted.inner_text()) > 10
    _shot(page, "02-claim.png")

    page.locator("section.figure dd a[href^='../sources/']").first.click()
    page.wait_for_url("**/sources/*.html")
    expect(page.locator(".archived mark").first).to_be_visible()
    _shot(page, "03-source.png")


def _filter_and_sort_the_figures(page: Any, base: str) -> None:
    """The figures table: filter by text and metric (exact terms), sort by value."""

    page.goto(base + "figures.html")
    rows = page.locator("#figures-table tbody tr")
    total = rows.count()
    page.locator("form.filters input[data-filter='text']").fill("Kursk")
    shown = page.locator("#figures-table tbody tr:not([hidden])").count()
    assert 0 < shown < total
    page.locator("form.filters select[data-filter='metric']").select_option("killed")
    both = page.locator("#figures-table tbody tr:not([hidden])").count()
    assert 0 < both <= shown
    page.locator("form.filters input[data-filter='text']").fill("")
    page.locator("form.filters select[data-filter='metric']").select_option("troops_deployed")
    metrics = page.locator("#figures-table tbody tr:not([hidden])").evaluate_all("rows => rows.map(r => r.dataset.metric)")
    assert metrics and set(metrics) == {"troops_deployed"}  # exact: not construction_troops_deployed
    page.locator("form.filters select[data-filter='metric']").select_option("")
    page.locator("#figures-table thead th", has_text="Value").locator("button").click()
    values = [
        float(v) for v in page.locator("#figures-table tbody tr:not([hidden]) td:nth-child(5)").evaluate_all("cells => cells.map(c => c.dataset.sort || '0')")
    ]
    assert values == sorted(values)
    _shot(page, "04-figures-filtered.png", full=False)


def _search_a_quote(page: Any, base: str) -> None:
    """Search a quote and open a hit."""
    expect = sync_api.expect

    page.goto(base + "search.html")
    quote = page.locator("#hits li blockquote").nth(300).inner_text()
    words = " ".join(quote.split()[:6])
    page.locator("#q").fill(words)
    hits = page.locator("#hits li:not([hidden])")
    assert 1 <= hits.count() < page.locator("#hits li").count()
    expect(hits.first).to_contain_text(words)
    _shot(page, "05-search.png", full=False)
    hits.first.get_by_role("link", name="open").click()
    page.wait_for_load_state()
    assert "/sources/" in page.url or "/claims/" in page.url


def _keyboard_and_labels(page: Any, base: str) -> None:
    """Keyboard only: a chart mark takes focus and Enter opens its claim; every control is labelled, every chart named."""
    expect = sync_api.expect

    page.goto(base + "charts/troops.html")
    expect(page.locator("svg.chart a.mark").first).to_be_attached()
    _shot(page, "06-chart-troops.png")

    # keyboard only: a chart mark takes focus and Enter opens its claim
    mark = page.locator("svg.chart a.mark").nth(3)
    target = mark.get_attribute("href")
    mark.focus()
    assert page.evaluate("document.activeElement.getAttribute('class')") == "mark"
    page.keyboard.press("Enter")
    page.wait_for_url("**/claims/*.html")
    assert target and page.url.endswith(target.removeprefix("../"))

    # every form control has a label; every chart is named for screen readers
    page.goto(base + "figures.html")
    unlabelled = page.evaluate(
        "Array.from(document.querySelectorAll('input, select')).filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')).length"
    )
    assert unlabelled == 0
    page.goto(base + "index.html")
    assert page.evaluate("Array.from(document.querySelectorAll('svg.chart')).every(s => s.getAttribute('role') === 'img' && s.querySelector('title'))")
    assert page.evaluate("document.documentElement.lang") == "en"


def test_a_reader_goes_from_the_chart_to_the_evidence(site: tuple[str, Path], browser: object) -> None:
    base, out = site
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    watch = Watch(page)
    expect = sync_api.expect

    page.goto(base + "index.html")
    expect(page.locator("h1")).to_contain_text("North Korea")
    expect(page.locator("svg.chart")).to_be_visible()
    _shot(page, "01-home.png")
    _shot(page, "01-home-top.png", full=False)

    _from_the_chart_to_the_evidence(page, base)
    _filter_and_sort_the_figures(page, base)
    _search_a_quote(page, base)
    _keyboard_and_labels(page, base)


    context.close()
    assert not watch.errors, watch.errors
    assert not watch.refused, watch.refused
    assert all(urlsplit(u).hostname == "127.0.0.1" for u in watch.requests)


def test_the_site_works_from_the_file_system(site: tuple[str, Path], browser: object) -> None:
    _, out = site
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    watch = Watch(page)
    page.goto((out / "figures.html").as_uri())
    page.locator("form.filters input[data-filter='text']").fill("Zelensky")
    assert 0 < page.locator("#figures-table tbody tr:not([hidden])").count() < page.locator("#figures-table tbody tr").count()
    page.goto((out / "index.html").as_uri())
    page.locator("svg.chart a.mark").first.click(force=True)
    page.wait_for_url("**/claims/*.html")
    context.close()
    assert not watch.errors, watch.errors
    assert not watch.refused, watch.refused


def test_pages_work_without_javascript_and_on_a_phone(site: tuple[str, Path], browser: object) -> None:
    base, _ = site
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})  # type: ignore[attr-defined]
    page = context.new_page()
    watch = Watch(page)
    page.goto(base + "figures.html")
    assert page.locator("#figures-table tbody tr").count() == page.locator("#figures-table tbody tr:visible").count() > 100
    assert page.locator("form.filters").is_hidden()  # the filter needs the script: hidden without it
    page.goto(base + "search.html")
    assert page.locator("#hits li:visible").count() == page.locator("#hits li").count() > 100
    page.goto(base + "index.html")
    _shot(page, "07-home-phone-nojs.png", full=False)
    href = page.locator("svg.chart a.mark").first.get_attribute("href")
    page.goto(base + str(href))
    sync_api.expect(page.locator(".archived mark").first).to_be_visible()
    _shot(page, "08-claim-phone-nojs.png")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the claim page scrolls sideways on a phone ({width}px)"
    context.close()
    assert not watch.errors and not watch.refused
