"""Synthetic nkdata at any scale: a valid built package, or a curated project tree.

    python benchmarks/synth.py --figures 100000 --package DIR   # DIR/nkdata-VERSION/{*.csv,*.parquet,seeds/,datapackage.json}
    python benchmarks/synth.py --figures 10000 --project DIR    # DIR/{data/*.yaml,data/sources/*.yaml,seeds/*.txt}

The rows are made up (ids, names and texts say "synthetic"), but they obey
every rule a real release obeys: each source has an archived text, and each
figure, statement and event has evidence that is a span of that text at its
offsets, with its numbers and date words in it. There is one source per 100
figures, one statement and one event per 10 figures, one person per 200
figures, one outlet per 1,000. The package is written by nkdata's own writers
(:mod:`nkdata.release.writer`), so its CSV, Parquet layout and datapackage.json are
those of a real release.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import hashlib
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIGURES_PER_SOURCE = 100
MONTHS = list(calendar.month_name)[1:]
META = {
    "name": "nkdata-synthetic",
    "title": "nkdata synthetic benchmark package",
    "description": "Synthetic rows for benchmarks: not data about the world.",
    "release_date": "2026-01-01",
    "keywords": ["synthetic", "benchmark"],
    "licenses": [{"name": "CC0-1.0", "title": "CC0 1.0", "path": "https://creativecommons.org/publicdomain/zero/1.0/"}],
    "contributors": [{"title": "benchmarks/synth.py", "roles": ["creator"]}],
}

# (metric, unit, noun phrase that follows the number)
METRICS = [
    ("troops_deployed", "persons", "North Korean troops had been sent to Russia"),
    ("troops_additional", "persons", "more North Korean soldiers were sent as reinforcements"),
    ("casualties", "persons", "North Korean soldiers were killed or wounded"),
    ("killed", "persons", "North Korean soldiers were killed"),
    ("wounded", "persons", "North Korean soldiers were wounded"),
    ("captured", "persons", "North Korean soldiers were captured"),
    ("workers_deployed", "persons", "North Korean workers were sent to build roads"),
    ("casualty_share", "percent", "percent of the deployed force was lost"),
]
QUOTES = [
    "the soldiers are exhausted and afraid of being captured",
    "we have seen new units arrive at the front",
    "the losses are far higher than Pyongyang admits",
    "they are being used to assault fortified positions",
    "morale among the troops is falling",
    "the deployment will continue through the winter",
]
EVENTS = [
    ("deployment", "moved a new brigade to"),
    ("reinforcement", "sent fresh troops to"),
    ("withdrawal", "pulled its units back from"),
    ("casualty_assessment", "published a new casualty estimate for"),
    ("internal_report", "circulated an internal report on fighting near"),
]
TOPICS = ["casualties", "deployment", "morale", "combat_role", "capture", "cooperation"]


class FastRandom(random.Random):
    """random.Random with cheaper choice() and randint() (uniform enough for made-up rows)."""

    def choice(self, seq):  # type: ignore[override]
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:  # type: ignore[override]
        return a + int(self.random() * (b - a + 1))


@dataclass
class Entities:
    rows: list[dict[str, Any]] = field(default_factory=list)
    outlets: list[tuple[str, str]] = field(default_factory=list)  # (id, name)
    agencies: list[tuple[str, str]] = field(default_factory=list)
    persons: list[tuple[str, str]] = field(default_factory=list)
    places: list[tuple[str, str]] = field(default_factory=list)

    def add(self, kind: str, eid: str, name: str, country: str | None, bucket: list[tuple[str, str]] | None) -> None:
        description = f"Synthetic {kind.replace('_', ' ')}."
        self.rows.append({"entity_id": eid, "name": name, "kind": kind, "country": country, "aliases": [name], "description": description, "wikidata_id": None})
        if bucket is not None:
            bucket.append((eid, name))


def make_entities(n_figures: int) -> Entities:
    ents = Entities()
    countries = (
        ("ent-north-korea", "North Korea", "KP"), ("ent-russia", "Russia", "RU"), ("ent-ukraine", "Ukraine", "UA"), ("ent-south-korea", "South Korea", "KR"),
    )
    for eid, name, code in countries:
        ents.add("country", eid, name, code, ents.places)
    agencies = (
        ("ent-nis", "the National Intelligence Service", "KR"),
        ("ent-gur", "Ukrainian military intelligence", "UA"),
        ("ent-jcs", "the Joint Chiefs of Staff", "KR"),
    )
    for eid, name, code in agencies:
        ents.add("government_agency", eid, name, code, ents.agencies)
    ents.add("armed_force", "ent-kpa", "Korean People's Army", "KP", None)
    for i in range(max(5, n_figures // 1000)):
        ents.add("news_outlet", f"ent-outlet-{i:05d}", f"Synthetic Outlet {i}", "KR", ents.outlets)
    for i in range(max(10, n_figures // 200)):
        ents.add("person", f"ent-person-{i:05d}", f"Analyst {i}", "KR", ents.persons)
    for i in range(max(5, n_figures // 2000)):
        ents.add("place", f"ent-place-{i:05d}", f"Sector {i}", "RU", ents.places)
    ents.rows.sort(key=lambda r: r["entity_id"])
    return ents


def date_phrase(rng: random.Random) -> tuple[str, dict[str, Any]]:
    """(words for the sentence, date fields) — words and interval agree, as the rules demand."""
    y, m = rng.choice((2024, 2025)), rng.randint(1, 12)
    last = calendar.monthrange(y, m)[1]
    month = MONTHS[m - 1]
    roll = rng.random()
    if roll < 0.3:
        return "", {"date_start": None, "date_end": None, "date_precision": None, "date_text": None}
    if roll < 0.55:
        d = rng.randint(1, last)
        words, start, end, prec = f"{d} {month} {y}", dt.date(y, m, d), dt.date(y, m, d), "day"
    elif roll < 0.75:
        words, start, end, prec = f"{month} {y}", dt.date(y, m, 1), dt.date(y, m, last), "month"
    elif roll < 0.87:
        part, (a, b) = rng.choice((("early", (1, 10)), ("mid", (11, 20)), ("late", (21, last))))
        words, start, end, prec = f"{part}-{month} {y}", dt.date(y, m, a), dt.date(y, m, b), "part_of_month"
    elif roll < 0.95:
        words, start, end, prec = f"{y}", dt.date(y, 1, 1), dt.date(y, 12, 31), "year"
    else:
        a = rng.randint(1, last - 3)
        b = rng.randint(a + 1, last)
        words, start, end, prec = f"between {a} and {b} {month} {y}", dt.date(y, m, a), dt.date(y, m, b), "interval"
    return words, {"date_start": start, "date_end": end, "date_precision": prec, "date_text": words}


def figure_numbers(rng: random.Random, unit: str) -> tuple[str, dict[str, Any]]:
    """(value_text, value fields) for a random qualifier, bounds as rules.QUALIFIER_BOUNDS says."""
    q = rng.choice(("exact", "approximately", "approximately", "more_than", "at_least", "less_than", "at_most", "range"))
    if unit == "percent":
        v = float(rng.randint(2, 60))
        fmt = lambda x: f"{x:.0f}"  # noqa: E731
    else:
        v = float(rng.choice((rng.randint(1, 99) * 100, rng.randint(1, 30) * 1000, rng.randint(10, 999))))
        fmt = lambda x: f"{x:,.0f}"  # noqa: E731
    if rng.random() < 0.002 and unit == "persons":  # now and then in words: checked the slow, exact way
        v = float(rng.randint(2, 9) * 1000)
        words = ("two", "three", "four", "five", "six", "seven", "eight", "nine")[int(v) // 1000 - 2]
        return f"some {words} thousand", {"qualifier": "approximately", "value": v, "value_low": None, "value_high": None}
    if q == "range":
        hi = v + (v if unit == "persons" else 10)
        return f"between {fmt(v)} and {fmt(hi)}", {"qualifier": q, "value": None, "value_low": v, "value_high": hi}
    words = {"exact": "", "approximately": "about ", "more_than": "more than ", "at_least": "at least ", "less_than": "fewer than ", "at_most": "up to "}[q]
    lo = v if q in ("exact", "more_than", "at_least") else None
    hi = v if q in ("exact", "less_than", "at_most") else None
    return f"{words}{fmt(v)}", {"qualifier": q, "value": v, "value_low": lo, "value_high": hi}


def _when(words: str, precision: str | None) -> str:
    if not words:
        return ""
    return {"day": " on ", "interval": " "}.get(str(precision), " in ") + words


class Text:
    """An archived text being written, sentence by sentence, with each span's offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def add(self, sentence: str, paragraph: bool = False) -> tuple[int, int]:
        if self.parts:
            sep = "\n\n" if paragraph else " "
            self.parts.append(sep)
            self.length += len(sep)
        start = self.length
        self.parts.append(sentence)
        self.length += len(sentence)
        return start, self.length

    def value(self) -> str:
        return "".join(self.parts) + "\n"


Rows = dict[str, list[dict[str, Any]]]


def _add_figures(rng: FastRandom, ents: Entities, rows: Rows, text: Text, s: int, sid: str, outlet_id: str, n_here: int) -> None:
    for k in range(n_here):
        metric, unit, tail = rng.choice(METRICS)
        value_text, values = figure_numbers(rng, unit)
        words, dates = date_phrase(rng)
        agency_id, agency = rng.choice(ents.agencies)
        place_id, place = rng.choice(ents.places)
        when = _when(words, dates["date_precision"])
        sentence = f"{agency[0].upper()}{agency[1:]} said that {value_text} {tail}{when} near {place}."
        start, end = text.add(sentence, paragraph=k % 7 == 6)
        rows["figures"].append({
            "figure_id": f"fig-synth-{s:07d}-{k:03d}", "source_id": sid, "claim_id": None, "metric": metric, **values,
            "value_text": value_text, "unit": unit, **dates, "date_inferred": False, "location_id": place_id,
            "attribution": [agency_id, outlet_id], "evidence": sentence, "notes": None, "evidence_start": start, "evidence_end": end,
        })


def _add_statements(rng: FastRandom, ents: Entities, rows: Rows, text: Text, s: int, sid: str, outlet: tuple[str, str], n_here: int) -> None:
    outlet_id, outlet_name = outlet
    for k in range(max(1, n_here // 10)):
        person_id, person = rng.choice(ents.persons)
        quote = rng.choice(QUOTES)
        direct = rng.random() < 0.6
        if direct:
            curly = rng.random() < 0.2
            sentence = f"{person} told {outlet_name}: “{quote}.”" if curly else f'{person} told {outlet_name}: "{quote}."'
            said = quote
        else:
            sentence = said = f"According to {person}, {quote}."
        start, end = text.add(sentence)
        rows["statements"].append({
            "statement_id": f"stm-synth-{s:07d}-{k:03d}", "source_id": sid, "speaker_id": person_id, "attribution": [person_id, outlet_id],
            "kind": "direct_quote" if direct else "reported", "text": said, "evidence": sentence,
            "date_start": None, "date_end": None, "date_precision": None, "date_text": None, "date_inferred": False,
            "topics": rng.sample(TOPICS, 2), "notes": None, "evidence_start": start, "evidence_end": end,
        })


def _add_events(rng: FastRandom, ents: Entities, rows: Rows, text: Text, s: int, sid: str, outlet_id: str, n_here: int) -> None:
    for k in range(max(1, n_here // 10)):
        event_type, verb = rng.choice(EVENTS)
        place_id, place = rng.choice(ents.places)
        words, dates = date_phrase(rng)
        when = _when(words, dates["date_precision"])
        sentence = f"The Korean People's Army {verb} {place}{when}."
        if k == 1 or rng.random() < 0.02:  # evidence across a paragraph break: a CSV cell with a line break in it
            sentence += "\n\nThe move was not announced."
        start, end = text.add(sentence, paragraph=True)
        rows["events"].append({
            "event_id": f"evt-synth-{s:07d}-{k:03d}", "source_id": sid, "event_type": event_type,
            "summary": f"Synthetic {event_type.replace('_', ' ')} near {place}.", **dates, "date_inferred": False,
            "location_id": place_id, "actor_ids": ["ent-kpa"], "attribution": [outlet_id], "evidence": sentence, "notes": None,
            "evidence_start": start, "evidence_end": end,
        })


def generate(n_figures: int, seed: int = 1) -> tuple[dict[str, list[dict[str, Any]]], dict[str, str]]:
    """Rows of every table (sorted by id) and the texts by path."""
    rng = FastRandom(seed)
    ents = make_entities(n_figures)
    rows: dict[str, list[dict[str, Any]]] = {"sources": [], "entities": ents.rows, "figures": [], "statements": [], "events": []}
    texts: dict[str, str] = {}
    n_sources = max(1, -(-n_figures // FIGURES_PER_SOURCE))
    made = 0
    for s in range(n_sources):
        sid = f"src-synth-{s:07d}"
        outlet_id, outlet = rng.choice(ents.outlets)
        text = Text()
        text.add(f"Synthetic report {s} by {outlet}. Nothing in it describes the world.")
        n_here = min(FIGURES_PER_SOURCE, n_figures - made)
        _add_figures(rng, ents, rows, text, s, sid, outlet_id, n_here)
        made += n_here
        _add_statements(rng, ents, rows, text, s, sid, (outlet_id, outlet), n_here)
        _add_events(rng, ents, rows, text, s, sid, outlet_id, n_here)
        body = text.value()
        path = f"seeds/synth-{s:07d}.txt"
        texts[path] = body
        rows["sources"].append({
            "source_id": sid, "title": f"Synthetic report {s}", "publisher": outlet_id, "url": f"https://example.org/synth/{s}",
            "published_start": dt.date(2025, 6, 1), "published_end": dt.date(2025, 6, 1), "published_precision": "day", "published_inferred": False,
            "language": "en", "cites": [], "text_path": path, "text_sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
            "text_kind": "full", "retrieved": dt.date(2025, 6, 2), "notes": None,
        })
    return rows, texts


def write_package(out: Path, n_figures: int, seed: int = 1, version: str | None = None, row_group_size: int | None = None) -> Path:
    """Write a built package of ``n_figures`` figures with nkdata's own writers; return its folder.

    ``row_group_size``: rows per Parquet row group (default: the writer's own).
    """
    from nkdata import __version__
    from nkdata.release.layout import release_name
    from nkdata.release.rows import add_derived
    from nkdata.release.writer import write_descriptor, write_tables

    version = version or __version__
    rows, texts = generate(n_figures, seed)
    add_derived(rows)  # each figure's originator, and the claims table
    folder = out / release_name(version)
    folder.mkdir(parents=True, exist_ok=False)
    for rel, body in texts.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8", newline="\n")
    write_tables(folder, rows, row_group_size)
    write_descriptor(folder, META, rows, version)
    return folder


def write_project(out: Path, n_figures: int, seed: int = 1) -> Path:
    """Write a curated project tree (data/*.yaml, data/sources/*.yaml, seeds/*.txt) of ``n_figures`` figures."""
    import yaml

    rows, texts = generate(n_figures, seed)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    def dump(path: Path, doc: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.dump(doc, Dumper=dumper, sort_keys=False, allow_unicode=True, default_flow_style=None, width=120), encoding="utf-8")

    computed = ("evidence_start", "evidence_end", "source_id")
    out.mkdir(parents=True, exist_ok=True)
    dump(out / "data" / "package.yaml", META)
    dump(out / "data" / "entities.yaml", {"entities": [{k: v for k, v in r.items() if v is not None} for r in rows["entities"]]})
    by_source: dict[str, dict[str, list[dict[str, Any]]]] = {r["source_id"]: {t: [] for t in ("figures", "statements", "events")} for r in rows["sources"]}
    for table in ("figures", "statements", "events"):
        for r in rows[table]:
            rec = {k: v for k, v in r.items() if v is not None and k not in computed}
            if table == "statements" and rec["kind"] == "reported":
                rec.pop("evidence")  # a reported claim's evidence defaults to its text
            if rec.get("date_inferred") is False:
                rec.pop("date_inferred")
            by_source[r["source_id"]][table].append(rec)
    for src in rows["sources"]:
        name = Path(src["text_path"]).stem
        dump(out / "data" / "sources" / f"{name}.yaml", {"source": {k: v for k, v in src.items() if v is not None}, **by_source[src["source_id"]]})
    for rel, body in texts.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_text(body, encoding="utf-8", newline="\n")
    from nkdata import __version__

    # a release carries its changelog entry: the build refuses a version CHANGELOG.md has none for
    entry = f"## [{__version__}] - synthetic\n\nSynthetic data ({n_figures} figures, seed {seed}).\n"
    (out / "CHANGELOG.md").write_text(f"# Changelog\n\n{entry}", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--figures", type=int, required=True, help="how many figures (sources, statements, events and entities scale with it)")
    parser.add_argument("--package", type=Path, help="write a built package into this folder (as DIR/nkdata-VERSION/)")
    parser.add_argument("--project", type=Path, help="write a curated project tree into this folder")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not args.package and not args.project:
        parser.error("give --package DIR and/or --project DIR")
    if args.figures < 1:
        parser.error("--figures must be at least 1")
    if args.package:
        t = time.perf_counter()
        folder = write_package(args.package, args.figures, args.seed)
        print(f"wrote {folder / 'datapackage.json'} ({args.figures:,} figures) in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    if args.project:
        t = time.perf_counter()
        root = write_project(args.project, args.figures, args.seed)
        print(f"wrote project {root} ({args.figures:,} figures) in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
