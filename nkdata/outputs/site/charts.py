"""Charts of claims over time, drawn at build time with matplotlib (imported only here).

One chart per metric family, one panel per metric (units never share an axis). Each
claim is a mark over its date interval: a point for an exact or approximate number
(filled or hollow), a vertical bar from low to high for a range, and an arrow from
the bound for a one-sided bound ("more than 4,000" points up from 4,000). One colour
per originator, with a legend. In SVG every mark is a link to its claim page.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nkdata.outputs.site import text

#: Placeholder for the path from a page to the site root, replaced per page.
ROOT = "__NKROOT__/"

#: Colours for originators, in order of how many claims they made in a chart: dark and
#: saturated enough for 3:1 contrast on white (WCAG 1.4.11), distinguishable in order.
PALETTE = (
    "#1f5fa8",  # blue
    "#c62828",  # red
    "#2e7d32",  # green
    "#7b3fa0",  # purple
    "#b35900",  # orange-brown
    "#00838f",  # teal
    "#ad1457",  # magenta
    "#5d4037",  # brown
    "#616161",  # grey
    "#6b7d00",  # olive
    "#283593",  # indigo
    "#00695c",  # dark teal
    "#8e5b00",  # ochre
    "#4a148c",  # violet
    "#b71c1c",  # dark red
    "#1b5e20",  # dark green
    "#0d47a1",  # navy
    "#37474f",  # slate
)


@dataclass(frozen=True)
class Family:
    key: str
    title: str
    metrics: tuple[str, ...]


FAMILIES: tuple[Family, ...] = (
    Family(
        "casualties",
        "Casualties: killed, wounded, captured",
        ("casualties", "killed", "wounded", "captured", "casualty_share", "wounded_repatriated", "remains_repatriated"),
    ),
    Family(
        "troops",
        "Troops: planned, deployed, present, additional",
        ("troops_deployed", "troops_present", "troops_planned", "troops_additional", "engineers_deployed", "construction_troops_deployed"),
    ),
    Family(
        "munitions-workers",
        "Munitions, shipments and workers",
        (
            "shells_supplied",
            "containers_shipped",
            "missiles_supplied",
            "artillery_systems_supplied",
            "rocket_launchers_supplied",
            "munitions_supplied",
            "munitions_share",
            "workers_deployed",
            "workers_planned",
        ),
    ),
    Family("other", "Other figures", ()),
)


def family_of(metric: str) -> Family:
    return next((f for f in FAMILIES if metric in f.metrics), FAMILIES[-1])


def drawable(claim: Mapping[str, Any]) -> bool:
    """A claim can be drawn when it has a date and a number or bound."""
    return claim.get("date_start") is not None and any(claim.get(k) is not None for k in ("best", "low", "high"))


def family_claims(claims: Iterable[Mapping[str, Any]], family: Family) -> list[Mapping[str, Any]]:
    return [c for c in claims if family_of(c["metric"]) == family]


def colours(claims: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """One colour per originator, the most frequent first; beyond the palette colours repeat."""
    counts: dict[str, int] = {}
    for c in claims:
        counts[c["originator"]] = counts.get(c["originator"], 0) + 1
    order = sorted(counts, key=lambda o: (-counts[o], o))
    return {o: PALETTE[i % len(PALETTE)] for i, o in enumerate(order)}


def claim_url(claim_id: str, slugger: Callable[[str], str]) -> str:
    return f"{ROOT}claims/{slugger(claim_id)}.html"


def _values(claim: Mapping[str, Any]) -> tuple[str, float, float | None]:
    """(shape, y where the mark starts, y where a range or nothing ends)."""
    q = claim["qualifier"]
    best, low, high = claim.get("best"), claim.get("low"), claim.get("high")
    shape = text.SHAPE.get(q, "point")

    def first(*values: Any) -> float:
        return float(next(v for v in values if v is not None))

    if shape == "range" or (best is None and low is not None and high is not None):
        return "range", first(low, best), first(high, best)
    if shape == "lower bound":
        return shape, first(best, low), None
    if shape == "upper bound":
        return shape, first(best, high), None
    return ("hollow" if q == "approximately" else "point"), first(best, low, high), None


def _setup() -> Any:
    try:
        import matplotlib
    except ImportError:
        from nkdata.errors import UsageError

        raise UsageError("drawing charts needs matplotlib: pip install 'nkdata[site]'") from None

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    plt.rcParams.update(
        {
            "svg.fonttype": "none",  # text as text: small files, readable by screen readers and search
            "svg.hashsalt": "nkdata",  # stable ids: the same data draws the same file
            "font.family": "sans-serif",
            "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],  # short style attributes; DejaVu ships with matplotlib
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return plt


def figure(
    claims: Sequence[Mapping[str, Any]],
    title: str | None,
    slugger: Callable[[str], str],
    width: float = 9.0,
    metrics: Sequence[str] | None = None,
) -> Any:
    """A matplotlib Figure of ``claims``: one panel per metric (only ``metrics`` when given),
    a shared time axis, one colour per originator and a legend below."""
    plt = _setup()
    import matplotlib.dates as mdates

    shown = [c for c in claims if drawable(c) and (metrics is None or c["metric"] in metrics)]
    panels = list(dict.fromkeys(c["metric"] for c in shown))
    order = {m: i for i, m in enumerate(metrics or (family_of(panels[0]).metrics if panels else ()))}
    panels.sort(key=lambda m: (order.get(m, 99), m))
    palette = colours(shown)
    rows = max(len(panels), 1)
    legend_rows = -(-(len(palette) + 6) // 3)
    height = (0.45 if title else 0.1) + 1.75 * rows + 0.35 + 0.2 * legend_rows
    fig, axes = plt.subplots(rows, 1, figsize=(width, height), sharex=True, squeeze=False, layout="constrained")
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=11, fontweight="bold")
    for ax, metric in zip(axes[:, 0], panels, strict=False):
        _panel(ax, metric, [c for c in shown if c["metric"] == metric], palette, slugger, mdates)
    if not panels:
        axes[0, 0].text(0.5, 0.5, "no dated claims", ha="center", va="center", transform=axes[0, 0].transAxes)
    bottom = axes[-1, 0]
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    bottom.xaxis.set_major_locator(locator)
    bottom.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    _legend(fig, shown, palette)
    return fig


def _panel(ax: Any, metric: str, mine: Sequence[Mapping[str, Any]], palette: Mapping[str, str], slugger: Callable[[str], str], mdates: Any) -> None:
    """One metric's panel: its claims as marks, a linear axis, or a log one when an outlier would flatten the rest."""
    from matplotlib.ticker import FuncFormatter

    top = max(max(v for v in (c.get("best"), c.get("low"), c.get("high")) if v is not None) for c in mine)
    values = sorted({v for c in mine for v in (c.get("best"), c.get("low"), c.get("high")) if v is not None and v > 0}, reverse=True)
    least = values[-1] if values else top
    # a log axis only when one outlier would flatten the rest (troops planned: 500,000 against tens of thousands)
    log = len(values) > 1 and values[0] / values[1] > OUTLIER and top / least > LOG_RATIO
    unit = mine[0].get("unit") or ""
    for c in mine:
        _mark(ax, c, palette[c["originator"]], _arrow(log, top), slugger, mdates)
    scale = " — log scale" if log else ""
    ax.set_title(f"{text.label(metric)} ({text.label(unit)}){scale}", loc="left", fontsize=9)
    if log:
        ax.set_yscale("log")
        ax.set_ylim(bottom=least / 2, top=_finite(top * 2.5))
    else:
        ax.set_ylim(bottom=0, top=_finite(top * 1.2))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos, u=unit: text.number(v, u)))
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def _finite(limit: float) -> float:
    """An axis limit matplotlib accepts: the headroom above a number near the largest float stops there, not at inf."""
    return min(limit, sys.float_info.max)


def _legend(fig: Any, shown: Sequence[Mapping[str, Any]], palette: Mapping[str, str]) -> None:
    """One colour per originator, then what each kind of mark means."""
    from matplotlib.lines import Line2D

    names = {c["originator"]: c.get("originator_name") or c["originator"] for c in shown}
    handles = [Line2D([], [], color=col, marker="o", linestyle="", label=names[o]) for o, col in palette.items()]
    keys = [
        Line2D([], [], color="#333333", marker="o", linestyle="", label="exact number"),
        Line2D([], [], color="#333333", marker="o", markerfacecolor="white", linestyle="", label="about (approximately)"),
        Line2D([], [], color="#333333", marker="_", markersize=9, linestyle="-", label="range: bar from low to high"),
        Line2D([], [], color="#333333", marker="^", linestyle="", label="more than / at least: arrow up from it"),
        Line2D([], [], color="#333333", marker="v", linestyle="", label="less than / at most: arrow down"),
        Line2D([], [], color="#333333", linestyle="-", linewidth=3, alpha=0.35, label="band: the period a claim covers"),
    ]
    legend = fig.legend(
        handles=handles + keys, loc="outside lower left", ncols=3, fontsize=7.5, frameon=False, title="Originators (colour) and marks", title_fontsize=8
    )
    legend.set_gid("legend")


#: A panel whose largest number is OUTLIER times the next and LOG_RATIO times its smallest gets a log axis.
OUTLIER = 4
LOG_RATIO = 30


def _arrow(log: bool, top: float) -> Callable[[float, int], float]:
    """Where a bound's arrow ends: 12% of the axis up or down, or a factor of 1.6 on a log axis."""
    if log:
        return lambda y, sign: y * 1.6 if sign > 0 else y / 1.6
    step = top * 0.12 or 1.0
    return lambda y, sign: y + step if sign > 0 else max(y - step, 0.0)


def _mark(ax: Any, claim: Mapping[str, Any], colour: str, arrow: Callable[[float, int], float], slugger: Callable[[str], str], mdates: Any) -> None:
    start: dt.date = claim["date_start"]
    end: dt.date = claim.get("date_end") or start
    x0, x1 = mdates.date2num(start), mdates.date2num(end + dt.timedelta(days=1))
    x = (x0 + x1) / 2 if (end - start).days >= 1 else x0
    shape, y, y2 = _values(claim)
    artists = []
    if (end - start).days >= 1:  # the interval the claim refers to
        artists += ax.plot([x0, x1], [y, y], color=colour, linewidth=3, alpha=0.35, solid_capstyle="butt")
    if shape == "range":
        artists += ax.plot([x, x], [y, y2], color=colour, linewidth=2, marker="_", markersize=9)
    elif shape == "lower bound":
        artists += ax.plot([x, x], [y, arrow(y, 1)], color=colour, linewidth=1.5)
        artists += ax.plot([x], [arrow(y, 1)], color=colour, marker="^", markersize=6)
        artists += ax.plot([x], [y], color=colour, marker="_", markersize=9, markeredgewidth=2)
    elif shape == "upper bound":
        artists += ax.plot([x, x], [y, arrow(y, -1)], color=colour, linewidth=1.5)
        artists += ax.plot([x], [arrow(y, -1)], color=colour, marker="v", markersize=6)
        artists += ax.plot([x], [y], color=colour, marker="_", markersize=9, markeredgewidth=2)
    else:
        artists += ax.plot([x], [y], color=colour, marker="o", markersize=6, markerfacecolor="white" if shape == "hollow" else colour, markeredgewidth=1.5)
    for i, artist in enumerate(artists):
        artist.set_gid(f"mark-{slugger(claim['claim_id'])}-{i}")


def _near_the_largest_float() -> Any:
    """Within: no overflow warning from numpy. A log axis that ends near the largest float has
    matplotlib's locator try the decade past it (inf, then dropped: the axis is drawn right)."""
    import numpy as np

    return np.errstate(over="ignore")


def svg_text(fig: Any) -> str:
    buf = io.StringIO()
    with _near_the_largest_float():
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def png_bytes(fig: Any, dpi: int = 150, description: str | None = None) -> bytes:
    buf = io.BytesIO()
    metadata = {"Software": None} if description is None else {"Software": None, "Description": description}
    with _near_the_largest_float():
        fig.savefig(buf, format="png", dpi=dpi, metadata=metadata)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
_MARK_ID = re.compile(r"mark-(?P<slug>.+)-\d+")
_DECIMALS = re.compile(r"(\d\.\d)\d+")


def for_page(svg: str, links: Mapping[str, tuple[str, str]], label_id: str, title: str, description: str) -> str:
    """The SVG ready to inline in a page: each claim's marks wrapped in one link to its
    page (``links``: slug -> (url, tooltip); one keyboard stop per claim), no XML
    prologue, scalable, named for screen readers (role=img, title, description), and
    coordinates rounded to 0.1 pt to keep pages light."""
    import xml.etree.ElementTree as ET

    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(svg)
    for parent in list(root.iter()):
        rebuilt: list[Any] = []
        for child in list(parent):
            match = _MARK_ID.fullmatch(child.get("id", ""))
            if not match:
                rebuilt.append(child)
                continue
            slug = match.group("slug")
            last = rebuilt[-1] if rebuilt else None
            if last is None or last.get("data-claim") != slug:
                url, tip = links.get(slug, ("", ""))
                last = ET.Element(f"{{{SVG_NS}}}a", {"href": url, "class": "mark", "data-claim": slug})
                ET.SubElement(last, f"{{{SVG_NS}}}title").text = tip
                rebuilt.append(last)
            last.append(child)
        parent[:] = rebuilt
    for meta in root.findall(f"{{{SVG_NS}}}metadata"):
        root.remove(meta)
    root.set("class", "chart")
    root.set("role", "img")
    root.set("aria-labelledby", f"{label_id}-t {label_id}-d")
    root.set("preserveAspectRatio", "xMinYMin meet")
    for attr in ("width", "height"):
        root.attrib.pop(attr, None)
    desc = ET.Element(f"{{{SVG_NS}}}desc", {"id": f"{label_id}-d"})
    desc.text = description
    head = ET.Element(f"{{{SVG_NS}}}title", {"id": f"{label_id}-t"})
    head.text = title
    root.insert(0, desc)
    root.insert(0, head)
    out = ET.tostring(root, encoding="unicode")
    # only geometry is rounded: ids, links and text keep every digit
    return re.sub(r' (?:d|x|y|transform)="[^"]*"', lambda m: _DECIMALS.sub(r"\1", m.group(0)), out)


def standalone(svg: str, root: str) -> str:
    """An inlined SVG as a file of its own: XML namespace intact, links relative to where the file is kept."""
    return svg.replace(ROOT, root)
