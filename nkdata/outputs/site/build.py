"""Writing the whole site: pages, charts, assets, archived texts and downloads."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from nkdata.errors import UsageError
from nkdata.outputs.site import charts, pages, place, text
from nkdata.outputs.site.data import SiteData, assemble, downloads, open_release, slug
from nkdata.outputs.site.html import Col, esc, link, page, table


@dataclass(frozen=True)
class SiteResult:
    """What was built: where, from which release, how many pages, how long it took."""

    out: Path
    version: str
    pages: int
    files: int
    bytes: int
    seconds: float
    home_bytes: int


def _links(data: SiteData) -> dict[str, tuple[str, str]]:
    return {slug(c["claim_id"]): (charts.claim_url(c["claim_id"], slug), text.claim_title(c)) for c in data.claims}


#: Above these, the home page shows the main chart as an image (linked to the chart page,
#: where every mark is a link) and leaves its table to the chart page: the home page stays
#: light however large the data grows.
HOME_INLINE_SVG = 120_000
HOME_TABLE_ROWS = 150

#: The home page's chart: the casualty metrics most asked about (the family page has the rest).
MAIN_METRICS = ("casualties", "killed", "wounded")


def _svg(data: SiteData, claims: Sequence[Any], key: str, title: str, metrics: Sequence[str] | None = None) -> str:
    fig = charts.figure(claims, None, slug, metrics=metrics)
    shown = [c for c in claims if charts.drawable(c) and (metrics is None or c["metric"] in metrics)]
    origin = len({c["originator"] for c in shown})
    desc = (
        f"{len(shown)} claims by {origin} originators over time, one panel per metric "
        f"({', '.join(dict.fromkeys(text.label(c['metric']) for c in shown))}). The table after the chart holds the same data."
    )
    return charts.for_page(charts.svg_text(fig), _links(data), f"chart-{key}", title, desc)


def chart_svgs(data: SiteData, families: Sequence[charts.Family] = charts.FAMILIES) -> dict[str, str]:
    """Each family's chart, and the home page's (key "main"), as inlinable SVG (links relative to the placeholder root)."""
    out = {}
    for fam in families:
        claims = charts.family_claims(data.claims, fam)
        if claims:
            out[fam.key] = _svg(data, claims, fam.key, fam.title)
    main = [c for c in data.claims if c["metric"] in MAIN_METRICS]
    if main:
        out["main"] = _svg(data, main, "main", "Casualties, killed and wounded over time", MAIN_METRICS)
    return out


def _chart_pages(data: SiteData, svgs: dict[str, str]) -> list[pages.Page]:
    root = "../"
    out = []
    items = []
    for fam in charts.FAMILIES:
        if fam.key not in svgs:
            continue
        claims = charts.family_claims(data.claims, fam)
        undrawn = [c for c in claims if not charts.drawable(c)]
        note = f"<p>{len(undrawn)} claim(s) without a date or number are not drawn; they are in the table.</p>" if undrawn else ""
        tbl = pages.claims_table(data, claims, root, f"{fam.title}: every claim", f"table-{fam.key}", interactive=True)
        body = (
            f'<p class="crumbs">{link("index.html", "Charts")}</p><h1>{esc(fam.title)}</h1>{note}'
            + pages.chart_block(svgs[fam.key].replace(charts.ROOT, root), tbl, f"fig-{fam.key}")
            + f"<p>{link(fam.key + '.svg', 'Download this chart (SVG)')}</p>"
        )
        out.append((f"charts/{fam.key}.html", page(fam.title, body, root, data.version, script=True)))
        items.append(f"<li>{link(fam.key + '.html', fam.title)} ({len(claims)} claims)</li>")
    out.append(("charts/index.html", page("Charts", f"<h1>Charts</h1><ul>{''.join(items)}</ul>", root, data.version)))
    return out


def _downloads(data: SiteData) -> str:
    cols = [Col("File"), Col("What"), Col("Size", "number"), Col("sha256")]
    rows = [
        [
            (link(f"downloads/{d.name}", d.name), None),
            (esc(d.what), None),
            (f"{d.size / 1024:,.0f} KB" if d.size >= 1024 else f"{d.size} B", d.size),
            (f'<code class="hash">{esc(d.sha256)}</code>', None),
        ]
        for d in data.downloads
    ]
    return table(cols, rows, "Release files and their sha256 (as in datapackage.json)")


def home_page(data: SiteData, main_svg: str | None) -> str:
    dp = data.descriptor
    version = data.version
    cutoff, first = data.cutoff(), data.first_day()
    counts = [
        (len(data.claims), "claims", "claims/index.html"),
        (len(data.figures), "figures", "figures.html"),
        (len(data.sources), "sources", "sources/index.html"),
        (len(data.originators()), "originators", "originators/index.html"),
        (len(data.statements), "statements", "search.html"),
        (len(data.events), "events", "search.html"),
        (len(data.entities), "entities", "entities.html"),
    ]
    stats = "".join(f'<li><a href="{href}"><strong>{n:,}</strong> {esc(what)}</a></li>' for n, what, href in counts)
    created = str(dp.get("created", ""))[:10]
    chart = ""
    if main_svg:
        main_claims = [c for c in data.claims if c["metric"] in MAIN_METRICS]
        more = f"<p>More charts: {', '.join(link('charts/' + f.key + '.html', f.title) for f in charts.FAMILIES)}.</p>"
        if len(main_svg) <= HOME_INLINE_SVG and len(main_claims) <= HOME_TABLE_ROWS:
            tbl = pages.claims_table(data, main_claims, "", "Casualty claims: the data of the chart")
            block = pages.chart_block(main_svg.replace(charts.ROOT, ""), tbl, "main-chart")
        else:
            alt = f"Chart of {len(main_claims):,} claims of casualties, killed and wounded over time; the chart page has every claim as a link and a table"
            block = (
                f'<figure class="chart-figure" id="main-chart"><a href="charts/casualties.html"><img class="chart" src="charts/main.svg" alt="{esc(alt)}">'
                f"</a><figcaption>Too many claims to draw here as links: {link('charts/casualties.html', 'open the chart page')} "
                "to select a claim, or see the table there.</figcaption></figure>"
            )
        chart = "<h2>Casualties, killed and wounded over time</h2>" + block + more
    cite = (
        f"nkdata contributors ({created[:4] or 'n.d.'}). <cite>{esc(dp.get('title', 'nkdata'))}</cite>, release {esc(version)} [data set]. Licence CC BY 4.0."
    )
    body = (
        f"<h1>{esc(dp.get('title', 'nkdata'))}</h1>"
        f'<p class="lead">{esc(dp.get("description", ""))}</p>'
        "<p>Each number is kept as the source states it (“more than 4,000” stays a lower bound), with who said it first and who relayed it, "
        "the day or period it refers to, and the exact words it rests on, highlighted in an archived copy of the text. "
        "Figures that repeat one originator's statement are grouped into one <em>claim</em>.</p>"
        f'<p class="cutoff">Release <strong>{esc(version)}</strong> of {esc(created)}. Coverage: claims dated '
        f"<strong>{esc(text.day(first))}</strong> to <strong>{esc(text.day(cutoff))}</strong> (the cut-off: the latest day a claim refers to).</p>"
        f'<ul class="stats">{stats}</ul>{chart}'
        f'<h2 id="downloads">Downloads</h2><p>The release as published: CSV and Parquet tables with a Frictionless '
        f'<code>datapackage.json</code>. In Python: <code>pip install nkdata</code>, then <code>nkdata.load("claims")</code>.</p>{_downloads(data)}'
        f'<h2 id="cite">How to cite</h2><p class="citation">{cite}</p>'
        "<p>Cite the claim or figure id when you use one number, so that a reader can find its evidence.</p>"
    )
    return page(str(dp.get("title", "nkdata")), body, "", version, description=str(dp.get("description", "")))


def _asset(name: str) -> bytes:
    return resources.files("nkdata.outputs.site").joinpath("static").joinpath(name).read_bytes()


def write_site(
    data: SiteData, out: Path | str, progress: Callable[[str, int, int], None] | None = None, keep_clear: Sequence[tuple[Path, str]] = ()
) -> SiteResult:
    """Write the site for ``data`` as the folder ``out``: staged beside it and moved into place when
    complete, replacing an earlier site there only when it holds nothing else (:mod:`.place`). Never
    inside the release it shows, nor inside any ``(folder, what it is)`` of ``keep_clear``."""
    started = time.perf_counter()
    with place.staged(Path(out), [*keep_clear, (data.release.folder, "the release the site shows")]) as staging:
        written, n_pages = _write_files(data, staging, progress)
        sizes = sum(p.stat().st_size for p in written)
        home = (staging / "index.html").stat().st_size
    return SiteResult(
        out=Path(out),
        version=data.version,
        pages=n_pages,
        files=len(written),
        bytes=sizes,
        seconds=time.perf_counter() - started,
        home_bytes=home,
    )


def _write_files(data: SiteData, out: Path, progress: Callable[[str, int, int], None] | None) -> tuple[list[Path], int]:
    """Write every file of the site into the empty folder ``out``; the files written, and how many are pages."""
    for sub in ("claims", "sources", "originators", "charts", "texts", "downloads", "assets"):
        (out / sub).mkdir()
    written: list[Path] = []

    def put(rel: str, content: str | bytes) -> None:
        path = out / rel
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8", newline="\n")
        else:
            path.write_bytes(content)
        written.append(path)

    if progress:
        progress("drawing charts", 0, len(charts.FAMILIES))
    svgs = chart_svgs(data)
    for key, svg in svgs.items():
        put(f"charts/{key}.svg", '<?xml version="1.0" encoding="utf-8"?>\n' + charts.standalone(svg, "../"))
    all_pages = [*_chart_pages(data, svgs), *pages.iter_pages(data), ("index.html", home_page(data, svgs.get("main")))]
    for i, (rel, html_text) in enumerate(all_pages):
        put(rel, html_text)
        if progress and i % 50 == 0:
            progress("writing pages", i, len(all_pages))
    for sid, body in data.texts.items():
        put(f"texts/{slug(sid)}.txt", body.encode("utf-8"))
    for d in data.downloads:
        put(f"downloads/{d.name}", d.data)
    for name in ("site.css", "site.js"):
        put(f"assets/{name}", _asset(name))
    return written, len(all_pages)


def build_site(
    out: Path | str, release: Path | str | None = None, project: Path | str | None = None, progress: Callable[[str, int, int], None] | None = None
) -> SiteResult:
    """Build the static site of a release as the folder ``out``.

    ``release``: a release folder (or its datapackage.json). Without one, the project at
    ``project`` (default: the current directory) is validated and built into a temporary
    folder first, so the site shows the current data; outside a project, the release
    embedded in the package is used. ``out`` must be new, empty, or a site nkdata wrote
    that holds nothing else, and outside the project's data/ and seeds/ and the release
    (else UsageError, before anything is read); it is replaced only once the new site is complete.
    """
    started = time.perf_counter()
    keep_clear = _keep_clear(release, project)
    place.check_out(Path(out), keep_clear)  # before the (long) build: a wrong --out is said at once
    with tempfile.TemporaryDirectory(prefix="nkdata-site-") as tmp:
        rel = open_release(release, project, Path(tmp))
        data = assemble(rel)  # every table checked before anything else is read or written
        data.downloads = downloads(rel, _sqlite_export(rel.folder, Path(tmp)))
        result = write_site(data, out, progress, keep_clear)
    return _with_time(result, time.perf_counter() - started)


def _keep_clear(release: Path | str | None, project: Path | str | None) -> list[tuple[Path, str]]:
    """The folders a site must never be written into: the release it shows, and the project's data/ and seeds/."""
    from nkdata.curated.reader import find_root

    folders = []
    if release is not None:
        path = Path(release)
        folders.append((path.parent if path.name == "datapackage.json" else path, "the release the site shows"))
    try:
        root = find_root(project)
    except UsageError:
        return folders
    return [*folders, (root / "data", "the project's data/ folder"), (root / "seeds", "the project's seeds/ folder")]


def _sqlite_export(folder: Path, tmp: Path) -> Path:
    """The release's SQLite file for the downloads: the one beside the release, else exported now."""
    beside = folder.parent / f"{folder.name}.sqlite"
    if beside.is_file():
        return beside
    from nkdata.outputs.sqlite import export_sqlite

    (tmp / "sqlite").mkdir(exist_ok=True)
    return export_sqlite(tmp / "sqlite" / beside.name, folder, metadata=False).path


def _with_time(result: SiteResult, seconds: float) -> SiteResult:
    fields: dict[str, Any] = {**result.__dict__, "seconds": seconds}
    return SiteResult(**fields)
