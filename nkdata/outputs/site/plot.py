"""``nkdata plot``: the site's chart as a file (SVG or PNG) for notebooks and papers.

The file names the release and a digest of the claims it draws (in the SVG's
``<desc>``, the PNG's text metadata), so a checked-in image can be tested for drift
against the data without comparing pixels that differ between matplotlib versions.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nkdata.errors import BuildError, UsageError
from nkdata.outputs.site import charts
from nkdata.outputs.site.data import assemble, open_release, slug
from nkdata.release.placing import check_target, replaced_atomically

#: Drawn when no metric is asked for: the casualty metrics, as on the site's home page.
DEFAULT_METRICS = ("casualties", "killed", "wounded")
_STAMP = re.compile(r"nkdata-plot: release (\S+) claims sha256:([0-9a-f]{64})")


def claims_digest(claims: Sequence[dict[str, Any]]) -> str:
    """A digest of what a chart draws: each claim's id, metric, date interval, numbers, qualifier and originator."""
    keys = ("claim_id", "metric", "date_start", "date_end", "best", "low", "high", "qualifier", "originator", "originator_name")
    lines = sorted("\t".join(str(c.get(k)) for k in keys) for c in claims)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def stamp(version: str, digest: str) -> str:
    return f"nkdata-plot: release {version} claims sha256:{digest}"


def read_stamp(path: Path | str) -> tuple[str, str] | None:
    """(release, claims digest) recorded in a plot file, or None."""
    data = Path(path).read_bytes()
    match = _STAMP.search(data.decode("latin-1"))
    return (match.group(1), match.group(2)) if match else None


def plot(
    out: Path | str,
    metrics: Sequence[str] = (),
    release: Path | str | None = None,
    project: Path | str | None = None,
    title: str | None = None,
    width: float = 9.0,
) -> Path:
    """Draw the claims of ``metrics`` (default: casualties, killed, wounded) into ``out``
    (.svg or .png), from a release folder or, without one, the current project (as
    ``nkdata site`` chooses). Returns the path written."""
    out = Path(out)
    kind = out.suffix.lower()
    if kind not in (".svg", ".png"):
        raise UsageError(f"{out}: the plot is written as SVG or PNG; name the file .svg or .png")
    check_target(out, "chart")  # before drawing: a path that cannot be written is said at once
    wanted = tuple(metrics) or DEFAULT_METRICS
    with tempfile.TemporaryDirectory(prefix="nkdata-plot-") as tmp:
        data = assemble(open_release(release, project, Path(tmp)))
    known = sorted({c["metric"] for c in data.claims})
    unknown = [m for m in wanted if m not in known]
    if unknown:
        raise UsageError(f"no claims of metric {', '.join(unknown)} in release {data.version}; metrics with claims: {', '.join(known)}")
    claims = [c for c in data.claims if c["metric"] in wanted and charts.drawable(c)]
    label = stamp(data.version, claims_digest(claims))
    heading = title if title is not None else f"{', '.join(m.replace('_', ' ') for m in wanted).capitalize()}: claims over time (nkdata {data.version})"
    fig = charts.figure(claims, heading, slug, width=width, metrics=wanted)
    fig.text(0.99, 0.005, f"Source: nkdata {data.version} (CC BY 4.0). Ranges as bars, bounds as arrows.", ha="right", va="bottom", fontsize=7, color="#555555")
    try:
        with replaced_atomically(out, "chart") as staging:  # written beside, then moved in: a failed write leaves nothing
            if kind == ".svg":
                svg = charts.svg_text(fig)
                svg = svg.replace("<metadata>", f"<desc>{label}</desc>\n <metadata>", 1)
                staging.write_text(svg, encoding="utf-8", newline="\n")
            else:
                staging.write_bytes(charts.png_bytes(fig, 150, label))
    except OSError as exc:  # a full disk, no permission
        raise BuildError(f"cannot write the chart to {out} ({exc.filename or out}: {exc.strerror or exc}). Nothing was written") from None
    return out
