"""The pages of the site, each a function from the assembled data to (path, HTML)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from nkdata.outputs.site import text
from nkdata.outputs.site.data import Row, SiteData, slug
from nkdata.outputs.site.html import Col, dl, esc, external, link, page, table

Page = tuple[str, str]


#: Characters of archived text shown on each side of a figure's evidence on a claim page
#: (the whole text is on the source page); keeps claim pages small when texts are long.
CONTEXT = 1500


def excerpt(body: str, start: int | None, end: int | None, anchor: str, full_text_href: str, context: int = CONTEXT) -> str:
    """The evidence highlighted inside its archived text: the whole text when it is short,
    else the paragraphs within ``context`` characters of it, cut at line breaks."""
    if start is None or end is None or not 0 <= start < end <= len(body):
        return marked(body, [])
    lo, hi = max(0, start - context), min(len(body), end + context)
    if lo > 0:
        brk = body.find("\n", lo, start)
        lo = brk + 1 if brk != -1 else lo
    if hi < len(body):
        brk = body.rfind("\n", end, hi)
        hi = brk if brk != -1 else hi
    html_text = marked(body[lo:hi], [(start - lo, end - lo, anchor)])
    if lo == 0 and hi == len(body):
        return html_text
    more = f'<p class="muted">An excerpt around the evidence; {link(full_text_href, "the whole archived text")} is on the source page.</p>'
    before = "[…]\n" if lo > 0 else ""
    after = "\n[…]" if hi < len(body) else ""
    return html_text.replace('aria-label="archived text">', f'aria-label="archived text, excerpt">{before}', 1).removesuffix("</div>") + f"{after}</div>{more}"


def marked(body: str, spans: Sequence[tuple[int | None, int | None, str]]) -> str:
    """``body`` escaped, with each evidence span (start, end, record id) inside <mark>.
    Overlapping spans are merged into one mark that carries the first record's id."""
    good = sorted((s, e, i) for s, e, i in spans if s is not None and e is not None and 0 <= s < e <= len(body))
    merged: list[list[Any]] = []
    for s, e, i in good:
        if merged and s < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
            merged[-1][2].append(i)
        else:
            merged.append([s, e, [i]])
    out, pos = [], 0
    for s, e, ids in merged:
        out.append(esc(body[pos:s]))
        anchors = "".join(f'<span id="{esc(x)}"></span>' for x in ids[1:])
        out.append(f'<mark id="{esc(ids[0])}">{anchors}{esc(body[s:e])}</mark>')
        pos = e
    out.append(esc(body[pos:]))
    return f'<div class="archived" tabindex="0" aria-label="archived text">{"".join(out)}</div>'


def entity_link(data: SiteData, entity_id: str | None, root: str, originators: Mapping[str, Any]) -> str:
    """An entity's name, linked to its originator page when it made claims, else to the entity list."""
    if entity_id is None:
        return '<span class="muted">unknown</span>'
    if entity_id in originators:
        return link(f"{root}originators/{slug(entity_id)}.html", data.name(entity_id))
    return link(f"{root}entities.html#{entity_id}", data.name(entity_id))


def chain(data: SiteData, ids: Sequence[str], root: str, originators: Mapping[str, Any]) -> str:
    """The attribution chain, originator first: an ordered list of linked names."""
    if not ids:
        return '<span class="muted">none given</span>'
    return '<ol class="chain">' + "".join(f"<li>{entity_link(data, i, root, originators)}</li>" for i in ids) + "</ol>"


def source_label(data: SiteData, source_id: str) -> str:
    """A source's title; without one, its publisher and day; else its URL or id."""
    s = data.sources.get(source_id, {})
    if s.get("title"):
        return str(s["title"])
    if s.get("publisher"):
        day = s.get("published_start")
        return f"{data.name(s['publisher'])}, {day.isoformat()}" if day else data.name(s["publisher"])
    return str(s.get("url") or source_id)


def claims_table(data: SiteData, claims: Sequence[Mapping[str, Any]], root: str, caption: str, table_id: str = "", interactive: bool = False) -> str:
    """The claims as a table: the data behind a chart, or an originator's record."""
    cols = [
        Col("Date", "date"),
        Col("Originator"),
        Col("Metric"),
        Col("Claim"),
        Col("Best", "number"),
        Col("Low", "number"),
        Col("High", "number"),
        Col("Sources", "number"),
    ]
    rows = []
    for c in claims:
        start = c.get("date_start")
        rows.append(
            [
                (esc(text.interval(start, c.get("date_end"), c.get("date_precision"))), start.isoformat() if start else ""),
                (esc(c.get("originator_name") or c["originator"]), None),
                (esc(text.label(c["metric"])), None),
                (link(f"{root}claims/{slug(c['claim_id'])}.html", text.claim_amount(c)), c.get("best") if c.get("best") is not None else c.get("low")),
                (esc(text.number(c.get("best"), c.get("unit") or "")), c.get("best")),
                (esc(text.number(c.get("low"), c.get("unit") or "")), c.get("low")),
                (esc(text.number(c.get("high"), c.get("unit") or "")), c.get("high")),
                (esc(c.get("n_sources")), c.get("n_sources")),
            ]
        )
    row_data = [{"metric": c["metric"], "originator_name": c.get("originator_name") or c["originator"]} for c in claims]
    return table(cols, rows, caption, table_id, interactive, row_data)


def claim_page(data: SiteData, claim: Row, originators: Mapping[str, Any]) -> Page:
    root = "../"
    unit = claim.get("unit") or ""
    figures = data.claim_figures(claim)
    facts = dl(
        [
            ("Originator", entity_link(data, claim["originator"], root, originators)),
            ("Metric", f"{esc(text.label(claim['metric']))} ({esc(text.label(unit))})"),
            ("Date", esc(text.interval(claim.get("date_start"), claim.get("date_end"), claim.get("date_precision")))),
            ("Reconciled value", f"<strong>{esc(text.claim_amount(claim))}</strong>"),
            ("Best", esc(text.number(claim.get("best"), unit))),
            ("Low", esc(text.number(claim.get("low"), unit))),
            ("High", esc(text.number(claim.get("high"), unit))),
            ("Qualifier", esc(text.label(claim["qualifier"]))),
            ("Carried by", f"{esc(claim.get('n_sources'))} source(s), {esc(claim.get('n_figures'))} figure(s)"),
            ("First reported", esc(text.day(claim.get("first_reported")))),
            ("Place", entity_link(data, claim.get("location_id"), root, originators) if claim.get("location_id") else '<span class="muted">not given</span>'),
            ("Claim id", f"<code>{esc(claim['claim_id'])}</code>"),
        ]
    )
    cols = [Col("Source"), Col("Published", "date"), Col("Words"), Col("Qualifier"), Col("Value", "number"), Col("Date in the source")]
    rows = []
    for f in figures:
        s = data.sources.get(f["source_id"], {})
        pub = s.get("published_start")
        rows.append(
            [
                (link(f"#{f['figure_id']}-evidence", source_label(data, f["source_id"])), None),
                (
                    esc(text.interval(pub, s.get("published_end"), s.get("published_precision"), bool(s.get("published_inferred")))),
                    pub.isoformat() if pub else "",
                ),
                (f"“{esc(f.get('value_text'))}”", None),
                (esc(text.label(f["qualifier"])), None),
                (
                    esc(text.amount(f["qualifier"], f.get("value"), f.get("value_low"), f.get("value_high"), unit)),
                    f.get("value") if f.get("value") is not None else f.get("value_low"),
                ),
                (esc(f.get("date_text") or "—"), None),
            ]
        )
    outlets = table(cols, rows, "Every outlet's figure for this claim")
    sections = [_figure_section(data, f, originators) for f in figures]
    body = (
        f'<p class="crumbs">{link(root + "claims/index.html", "Claims")} › {esc(text.label(claim["metric"]))}</p>'
        f"<h1>{esc(text.claim_title(claim))}</h1>{facts}<h2>Outlets</h2>{outlets}<h2>Evidence</h2>{''.join(sections)}"
    )
    return f"claims/{slug(claim['claim_id'])}.html", page(text.claim_title(claim), body, root, data.version)


def _figure_section(data: SiteData, f: Row, originators: Mapping[str, Any]) -> str:
    root = "../"
    s = data.sources.get(f["source_id"], {})
    sid = f["source_id"]
    facts = dl(
        [
            ("Source", link(f"{root}sources/{slug(sid)}.html", source_label(data, sid))),
            ("Publisher", entity_link(data, s.get("publisher"), root, originators) if s.get("publisher") else '<span class="muted">unknown</span>'),
            ("Original URL", external(s.get("url"))),
            ("Archived text", link(f"{root}texts/{slug(sid)}.txt", "plain text (UTF-8)") + f" · sha256 <code>{esc(s.get('text_sha256'))}</code>"),
            ("Figure as stated", f"“{esc(f.get('value_text'))}” ({esc(text.label(f['qualifier']))})"),
            (
                "Date",
                esc(text.interval(f.get("date_start"), f.get("date_end"), f.get("date_precision"), bool(f.get("date_inferred"))))
                + (f" — the source says “{esc(f['date_text'])}”" if f.get("date_text") else ""),
            ),
            ("Attribution", chain(data, f.get("attribution") or [], root, originators)),
            ("Notes", esc(f.get("notes")) if f.get("notes") else '<span class="muted">none</span>'),
            ("Figure id", f"<code>{esc(f['figure_id'])}</code>"),
        ]
    )
    body = data.texts.get(sid)
    if body is None:
        evidence = f"<blockquote><mark>{esc(f.get('evidence'))}</mark></blockquote>"
    else:
        evidence = excerpt(body, f.get("evidence_start"), f.get("evidence_end"), f"ev-{f['figure_id']}", f"{root}sources/{slug(sid)}.html#ev-{f['figure_id']}")
    title = esc(source_label(data, sid))
    return (
        f'<section class="figure" id="{esc(f["figure_id"])}-evidence" aria-labelledby="{esc(f["figure_id"])}-h">'
        f'<h3 id="{esc(f["figure_id"])}-h">{title}</h3>{facts}'
        f"<h4>The evidence, highlighted in the archived text</h4>{evidence}</section>"
    )


def source_page(data: SiteData, s: Row, records: Mapping[str, list[Row]], claim_of: Mapping[str, str], originators: Mapping[str, Any]) -> Page:
    root = "../"
    sid = s["source_id"]
    facts = dl(
        [
            ("Title", esc(s.get("title")) if s.get("title") else '<span class="muted">not given</span>'),
            ("Publisher", entity_link(data, s.get("publisher"), root, originators) if s.get("publisher") else '<span class="muted">unknown</span>'),
            ("Original URL", external(s.get("url"))),
            (
                "Published",
                esc(text.interval(s.get("published_start"), s.get("published_end"), s.get("published_precision"), bool(s.get("published_inferred")))),
            ),
            ("Language", esc(s.get("language"))),
            ("Text kind", esc(text.label(s.get("text_kind")))),
            ("Retrieved", esc(text.day(s.get("retrieved")))),
            ("Cites", ", ".join(entity_link(data, c, root, originators) for c in s.get("cites") or []) or '<span class="muted">none</span>'),
            ("Archived text", link(f"{root}texts/{slug(sid)}.txt", "plain text (UTF-8)") + f" · sha256 <code>{esc(s.get('text_sha256'))}</code>"),
            ("Notes", esc(s.get("notes")) if s.get("notes") else '<span class="muted">none</span>'),
            ("Source id", f"<code>{esc(sid)}</code>"),
        ]
    )
    items = []
    for f in records.get("figures", []):
        cid = claim_of.get(f["figure_id"])
        target = link(f"{root}claims/{slug(cid)}.html", f"{f.get('value_text')} ({text.label(f['metric'])})") if cid else esc(f.get("value_text"))
        items.append(f"<li>Figure: {target} — {link('#' + 'ev-' + f['figure_id'], 'in the text')}</li>")
    for st in records.get("statements", []):
        who = entity_link(data, st.get("speaker_id"), root, originators)
        items.append(f'<li id="{esc(st["statement_id"])}">{esc(text.label(st["kind"]))} by {who}: “{esc(st["text"])}”</li>')
    for ev in records.get("events", []):
        when = text.interval(ev.get("date_start"), ev.get("date_end"), ev.get("date_precision"))
        items.append(f'<li id="{esc(ev["event_id"])}">Event ({esc(text.label(ev["event_type"]))}, {esc(when)}): {esc(ev["summary"])}</li>')
    spans = [(f.get("evidence_start"), f.get("evidence_end"), f"ev-{f['figure_id']}") for f in records.get("figures", [])]
    spans += [
        (r.get("evidence_start"), r.get("evidence_end"), f"ev-{r.get('statement_id') or r.get('event_id')}")
        for r in records.get("statements", []) + records.get("events", [])
    ]
    body_text = data.texts.get(sid)
    archived = marked(body_text, spans) if body_text is not None else '<p class="muted">The archived text is not in this release.</p>'
    body = (
        f'<p class="crumbs">{link(root + "sources/index.html", "Sources")}</p><h1>{esc(source_label(data, sid))}</h1>{facts}'
        f'<h2>What the site takes from it</h2><ul class="records">{"".join(items) or "<li>nothing</li>"}</ul>'
        f"<h2>Archived text, every evidence span highlighted</h2>{archived}"
    )
    return f"sources/{slug(sid)}.html", page(source_label(data, sid), body, root, data.version)


def sources_index(data: SiteData, records: Mapping[str, Mapping[str, list[Row]]]) -> Page:
    root = "../"
    cols = [Col("Source"), Col("Publisher"), Col("Published", "date"), Col("Figures", "number"), Col("Statements", "number"), Col("Events", "number")]
    rows = []
    for sid, s in sorted(data.sources.items(), key=lambda kv: (kv[1].get("published_start") is None, kv[1].get("published_start") or 0, kv[0])):
        pub = s.get("published_start")
        r = records.get(sid, {})
        rows.append(
            [
                (link(f"{sid and slug(sid)}.html", source_label(data, sid)), None),
                (esc(data.name(s.get("publisher")) if s.get("publisher") else "unknown"), None),
                (esc(text.day(pub)), pub.isoformat() if pub else ""),
                (str(len(r.get("figures", []))), len(r.get("figures", []))),
                (str(len(r.get("statements", []))), len(r.get("statements", []))),
                (str(len(r.get("events", []))), len(r.get("events", []))),
            ]
        )
    body = f"<h1>Sources</h1><p>{len(data.sources)} archived texts, oldest first.</p>" + table(cols, rows, "All sources", "sources-table", interactive=True)
    return "sources/index.html", page("Sources", body, root, data.version, script=True)


def originator_page(data: SiteData, entity_id: str, claims: Sequence[Row], originators: Mapping[str, Any]) -> Page:
    root = "../"
    e = data.entities.get(entity_id, {})
    facts = dl(
        [
            ("Kind", esc(text.label(e.get("kind")))),
            ("Country", esc(e.get("country") or "—")),
            ("Also called", esc(", ".join(e.get("aliases") or []) or "—")),
            ("Description", esc(e.get("description") or "—")),
            ("Wikidata", esc(e.get("wikidata_id") or "not verified")),
            ("Entity id", f"<code>{esc(entity_id)}</code>"),
        ]
    )
    body = (
        f'<p class="crumbs">{link(root + "originators/index.html", "Originators")}</p><h1>{esc(data.name(entity_id))}</h1>{facts}'
        f"<h2>All {len(claims)} claims, over time</h2>"
        + claims_table(data, claims, root, f"Claims made by {data.name(entity_id)}", "claims-table", interactive=True)
    )
    return f"originators/{slug(entity_id)}.html", page(data.name(entity_id), body, root, data.version, script=True)


def originators_index(data: SiteData, originators: Mapping[str, Sequence[Row]]) -> Page:
    root = "../"
    cols = [Col("Originator"), Col("Country"), Col("Claims", "number"), Col("First", "date"), Col("Latest", "date")]
    rows = []
    for oid, claims in originators.items():
        days = [c["date_start"] for c in claims if c.get("date_start")]
        first, last = (min(days), max(days)) if days else (None, None)
        rows.append(
            [
                (link(f"{slug(oid)}.html", data.name(oid)), None),
                (esc(data.entities.get(oid, {}).get("country") or "—"), None),
                (str(len(claims)), len(claims)),
                (esc(text.day(first)), first.isoformat() if first else ""),
                (esc(text.day(last)), last.isoformat() if last else ""),
            ]
        )
    body = "<h1>Originators</h1><p>Who made each claim: the first link in its attribution chain.</p>" + table(
        cols, rows, "Originators by number of claims", "originators-table", interactive=True
    )
    return "originators/index.html", page("Originators", body, root, data.version, script=True)


def entities_page(data: SiteData, originators: Mapping[str, Any]) -> Page:
    items = []
    for eid, e in sorted(data.entities.items(), key=lambda kv: kv[1]["name"].lower()):
        extra = f" {link('originators/' + slug(eid) + '.html', 'claims')}" if eid in originators else ""
        items.append(
            f'<li id="{esc(eid)}"><strong>{esc(e["name"])}</strong> <span class="muted">({esc(text.label(e.get("kind")))}'
            f"{', ' + esc(e['country']) if e.get('country') else ''})</span>{extra}<br>{esc(e.get('description') or '')}</li>"
        )
    body = f'<h1>Entities</h1><p>{len(data.entities)} people, organisations, outlets and places the sources name.</p><ul class="entities">{"".join(items)}</ul>'
    return "entities.html", page("Entities", body, "", data.version)


def claims_index(data: SiteData) -> Page:
    root = "../"
    body = (
        "<h1>Claims</h1><p>One row per statement of one originator about one metric at one time, however many outlets carried it. "
        "Count claims, not figures, to avoid counting one briefing three times.</p>"
        + _filters("claims-table", data.claims, "metric", "originator_name")
        + claims_table(data, data.claims, root, "All claims", "claims-table", interactive=True)
    )
    return "claims/index.html", page("Claims", body, root, data.version, script=True)


def _filters(table_id: str, rows: Sequence[Row], *fields: str) -> str:
    """The filter form for a table: free text and one choice per field (used by the script; hidden without it)."""
    selects = []
    for fld in fields:
        values = sorted({str(r.get(fld)) for r in rows if r.get(fld)})
        options = "".join(f'<option value="{esc(v)}">{esc(text.label(v) if fld == "metric" else v)}</option>' for v in values)
        selects.append(
            f'<label>{esc(text.label(fld).replace(" name", ""))} <select data-filter="{esc(fld)}"><option value="">all</option>{options}</select></label>'
        )
    return (
        f'<form class="filters" data-table="{esc(table_id)}" role="search" hidden><label>Filter <input type="search" data-filter="text" '
        f'placeholder="words, numbers, names"></label>{"".join(selects)} <output aria-live="polite"></output></form>'
    )


def figures_page(data: SiteData, claim_of: Mapping[str, str]) -> Page:
    cols = [Col("Date", "date"), Col("Originator"), Col("Metric"), Col("Words"), Col("Value", "number"), Col("Qualifier"), Col("Source"), Col("Claim")]
    rows = []
    figures = sorted(data.figures.values(), key=lambda f: (f.get("date_start") is None, f.get("date_start") or 0, f["figure_id"]))
    for f in figures:
        start = f.get("date_start")
        cid = claim_of.get(f["figure_id"])
        value = f.get("value") if f.get("value") is not None else f.get("value_low")
        row = [
            (esc(text.interval(start, f.get("date_end"), f.get("date_precision"), bool(f.get("date_inferred")))), start.isoformat() if start else ""),
            (esc(data.name(f.get("originator"))), None),
            (f'<span data-metric="{esc(f["metric"])}">{esc(text.label(f["metric"]))}</span>', None),
            (f"“{esc(f.get('value_text'))}”", None),
            (esc(text.amount(f["qualifier"], f.get("value"), f.get("value_low"), f.get("value_high"), f.get("unit") or "")), value),
            (esc(text.label(f["qualifier"])), None),
            (link(f"sources/{slug(f['source_id'])}.html", source_label(data, f["source_id"])), None),
            (link(f"claims/{slug(cid)}.html", "claim") if cid else "—", None),
        ]
        rows.append(row)
    filter_rows = [{"metric": f["metric"], "originator_name": data.name(f.get("originator"))} for f in figures]
    body = (
        f"<h1>All figures</h1><p>{len(figures)} figures as the sources state them, one row per number in one source. "
        "Click a column heading to sort; the filter narrows the rows. Without JavaScript the whole table is here.</p>"
        + _filters("figures-table", filter_rows, "metric", "originator_name")
        + table(cols, rows, "Every figure", "figures-table", interactive=True, row_data=filter_rows)
    )
    return "figures.html", page("All figures", body, "", data.version, script=True)


def search_page(data: SiteData, claim_of: Mapping[str, str]) -> Page:
    """Every evidence span and quotation as a list; the script filters it as you type."""
    items = []
    for f in data.figures.values():
        cid = claim_of.get(f["figure_id"])
        href = f"claims/{slug(cid)}.html#{f['figure_id']}-evidence" if cid else f"sources/{slug(f['source_id'])}.html#ev-{f['figure_id']}"
        items.append(("figure", data.name(f.get("originator")), f.get("evidence") or "", href, source_label(data, f["source_id"])))
    for st in data.statements:
        href = f"sources/{slug(st['source_id'])}.html#{st['statement_id']}"
        items.append(
            (
                text.label(st["kind"]),
                data.name(st.get("speaker_id")) if st.get("speaker_id") else "unknown speaker",
                st.get("text") or "",
                href,
                source_label(data, st["source_id"]),
            )
        )
    for ev in data.events:
        href = f"sources/{slug(ev['source_id'])}.html#{ev['event_id']}"
        items.append(("event", text.label(ev.get("event_type")), ev.get("evidence") or ev.get("summary") or "", href, source_label(data, ev["source_id"])))
    lis = "".join(
        f'<li class="hit"><span class="kind">{esc(kind)}</span> · <span class="who">{esc(who)}</span>'
        f'<blockquote>{esc(words)}</blockquote>{link(href, "open")} <span class="muted">in {esc(src)}</span></li>'
        for kind, who, words, href, src in items
    )
    form = (
        '<form class="search" role="search" data-list="hits" hidden><label for="q">Search evidence and quotes</label> '
        '<input id="q" type="search" name="q" placeholder="e.g. Kursk, killed, Zelensky"> <output aria-live="polite"></output></form>'
    )
    body = (
        f"<h1>Search evidence and quotes</h1><p>{len(items)} verbatim passages: the evidence of every figure and event, and every quotation. "
        "Type to narrow the list (without JavaScript, use your browser's find).</p>" + form + f'<ol id="hits" class="hits">{lis}</ol>'
    )
    return "search.html", page("Search", body, "", data.version, script=True)


def chart_block(svg: str, table_html: str, fig_id: str) -> str:
    return (
        f'<figure class="chart-figure" id="{esc(fig_id)}"><div class="chart-box">{svg}</div>'
        f"<figcaption>Each mark is one claim at its date interval; select a mark to open its claim page. "
        f"Filled circle: exact number; hollow: approximate; vertical bar: range; arrow: a one-sided bound "
        f"(“more than 4,000” points up from 4,000). Shaded band: the period the claim covers.</figcaption></figure>"
        f'<details class="chart-data"><summary>The same data as a table</summary>{table_html}</details>'
    )


def iter_pages(data: SiteData) -> Iterator[Page]:
    originators = data.originators()
    claim_of = data.claim_of_figure()
    records = data.by_source()
    for claim in data.claims:
        yield claim_page(data, claim, originators)
    for sid, s in data.sources.items():
        yield source_page(data, s, records.get(sid, {}), claim_of, originators)
    yield sources_index(data, records)
    for oid, claims in originators.items():
        yield originator_page(data, oid, claims, originators)
    yield originators_index(data, originators)
    yield entities_page(data, originators)
    yield claims_index(data)
    yield figures_page(data, claim_of)
    yield search_page(data, claim_of)
