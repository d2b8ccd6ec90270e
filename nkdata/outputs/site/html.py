"""HTML building blocks: the page shell, escaped text, links, definition lists and tables.

Every piece of data goes through :func:`esc` (the data holds quotes, markup-like
text and URLs); only http(s) URLs become external links.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

NAV = (
    ("index.html", "Home"),
    ("charts/index.html", "Charts"),
    ("claims/index.html", "Claims"),
    ("figures.html", "All figures"),
    ("search.html", "Search"),
    ("sources/index.html", "Sources"),
    ("originators/index.html", "Originators"),
    ("index.html#downloads", "Downloads"),
)


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def link(href: str, label: object, **attrs: str) -> str:
    extra = "".join(f' {k.rstrip("_")}="{esc(v)}"' for k, v in attrs.items())
    return f'<a href="{esc(href)}"{extra}>{esc(label)}</a>'


def external(url: str | None, label: object | None = None) -> str:
    """A link to an outside page, only for http(s) addresses; anything else is shown as text."""
    if not url:
        return '<span class="muted">unknown</span>'
    if not url.lower().startswith(("http://", "https://")):
        return esc(url)
    return f'<a href="{esc(url)}" rel="noopener noreferrer" class="external">{esc(label if label is not None else url)}</a>'


def dl(items: Iterable[tuple[str, str]]) -> str:
    """A definition list; values are HTML already escaped by the caller."""
    return '<dl class="facts">' + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


@dataclass(frozen=True)
class Col:
    """A table column: its heading, and how it sorts (text, number or date)."""

    name: str
    kind: str = "text"


def table(
    cols: Sequence[Col],
    rows: Iterable[Sequence[tuple[str, object]]],
    caption: str,
    table_id: str = "",
    interactive: bool = False,
    row_data: Sequence[Mapping[str, object]] | None = None,
) -> str:
    """A table; each cell is (HTML, sort key). ``interactive`` marks it for the sort and filter
    script; ``row_data`` gives each row data-* attributes the filter's choices match exactly."""
    head = "".join(f'<th scope="col" data-kind="{c.kind}">{esc(c.name)}</th>' for c in cols)
    body = []
    for i, row in enumerate(rows):
        cells = "".join(f'<td data-sort="{esc(key)}">{cell}</td>' if key is not None and key != "" else f"<td>{cell}</td>" for cell, key in row)
        data = "".join(f' data-{esc(k)}="{esc(v)}"' for k, v in (row_data[i] if row_data else {}).items())
        body.append(f"<tr{data}>{cells}</tr>")
    attrs = f' id="{esc(table_id)}"' if table_id else ""
    attrs += ' class="data sortable"' if interactive else ' class="data"'
    return f'<div class="table-wrap"><table{attrs}><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def page(title: str, body: str, root: str, version: str, description: str = "", script: bool = False) -> str:
    """A whole page. ``root`` is the relative path to the site root ("" or "../")."""
    nav = "".join(f"<li>{link(root + href, label)}</li>" for href, label in NAV)
    js = f'<script src="{root}assets/site.js" defer></script>' if script else ""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · nkdata</title>"
        f'<meta name="description" content="{esc(description or title)}">'
        f'<link rel="stylesheet" href="{root}assets/site.css">{js}</head>\n'
        '<body><a class="skip" href="#main">Skip to content</a>'
        f'<header class="site"><nav aria-label="Site"><ul>{nav}</ul></nav></header>\n'
        f'<main id="main">{body}</main>\n'
        f'<footer class="site"><p>nkdata release {esc(version)}. Data: CC BY 4.0; code: MIT. '
        f"Every figure links to the words it rests on. Built from the release files; works offline.</p></footer>"
        "</body></html>\n"
    )
