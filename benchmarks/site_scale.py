"""How `nkdata site` grows with the data: build the site of synthetic packages of N figures
(benchmarks/synth.py) and report time, pages, bytes and the home page's size.

    python benchmarks/site_scale.py                      # 1k, 3k and 10k figures
    python benchmarks/site_scale.py --sizes 10000 30000

Each size is built in a fresh process (so imports count, as for a user) and timed end to end.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def build(n: int, work: Path) -> tuple[float, str]:
    sys.path.insert(0, str(HERE))
    from synth import write_package

    folder = write_package(work / f"pkg-{n}", n)
    out = work / f"site-{n}"
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "nkdata.cli.main", "site", "--release", str(folder), "--out", str(out), "--quiet"],
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    pages = sum(1 for _ in out.rglob("*.html"))
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    home = (out / "index.html").stat().st_size
    return seconds, f"| {n:,} | {seconds:.1f} | {pages:,} | {size / 1e6:.1f} | {home / 1e3:.0f} | {seconds / n * 1e3:.2f} |  <!-- {done.stdout.strip()} -->"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10000])
    args = parser.parse_args(argv)
    print("| figures | seconds | pages | MB | home page KB | ms per figure |")
    print("|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory(prefix="nkdata-site-bench-") as tmp:
        for n in args.sizes:
            print(build(n, Path(tmp))[1], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
