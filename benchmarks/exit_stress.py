"""Does ``import nkdata; nkdata.load()`` exit cleanly when the machine is busy?

Runs short Python processes that load the embedded release and exit, with
CPU-bound "hog" processes beside them, and counts the runs that end with any
exit code but 0 (an abort at interpreter exit is 134 from a shell, -6 here).

Background: apache/arrow#34314. A native worker thread that still holds a
Python-owned object when the interpreter finalizes is killed while releasing it,
inside a C++ destructor, and the process aborts with "terminate called without an
active exception". It shows only when the scheduler delays the worker past the
end of the script, hence the hogs.

    python benchmarks/exit_stress.py                     # 500 runs, every format
    python benchmarks/exit_stress.py --runs 90 --formats pandas,arrow --hogs 4

Modes: ``load`` is ``nkdata.load(format=F)`` alone (tables read, none converted);
``convert`` also converts every table and the timeline view to F.
Exit status: 1 if any run failed, else 0.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import os
import subprocess
import sys
import time

HOG = "while True: pass"
CODE = {
    "load": "import nkdata; nkdata.load(format={fmt!r})",
    "convert": "import nkdata; ds = nkdata.load(format={fmt!r}); [ds[n] for n in ds]; ds.timeline",
}


def parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=500, help="runs in all, shared between the format/mode pairs (default 500)")
    p.add_argument("--formats", default="pandas,arrow,polars", help="comma-separated; polars is skipped when not installed")
    p.add_argument("--modes", default="load,convert", help="comma-separated: load, convert")
    p.add_argument("--hogs", type=int, default=os.cpu_count() or 2, help="CPU-bound processes beside the runs (default: one per CPU)")
    p.add_argument("--timeout", type=float, default=60, help="seconds one run may take (default 60)")
    p.add_argument("--max-seconds", type=float, default=1200, help="stop starting runs after this long (default 1200)")
    return p.parse_args()


def main() -> int:
    args = parse()
    formats = [f for f in args.formats.split(",") if f]
    if "polars" in formats and importlib.util.find_spec("polars") is None:
        print("polars is not installed: skipped", file=sys.stderr)
        formats.remove("polars")
    modes = [m for m in args.modes.split(",") if m]
    pairs = [(f, m) for f in formats for m in modes]
    if not pairs or any(m not in CODE for m in modes):
        sys.exit(f"nothing to run: formats {formats}, modes {modes} (modes: {', '.join(CODE)})")
    per_pair = [args.runs // len(pairs) + (i < args.runs % len(pairs)) for i in range(len(pairs))]

    runs: collections.Counter[tuple[str, str]] = collections.Counter()
    failed: dict[tuple[str, str], collections.Counter[int | str]] = collections.defaultdict(collections.Counter)
    messages: dict[int | str, str] = {}
    hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(args.hogs)]
    start = time.monotonic()
    try:
        # Interleave the pairs so each sees the same conditions over the whole stress run.
        for i in range(max(per_pair)):
            for (fmt, mode), n in zip(pairs, per_pair, strict=True):
                if i >= n or time.monotonic() - start > args.max_seconds:
                    continue
                try:
                    proc = subprocess.run(
                        [sys.executable, "-c", CODE[mode].format(fmt=fmt)],
                        check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=args.timeout,
                    )
                    code: int | str = proc.returncode
                    err = proc.stderr.strip()
                except subprocess.TimeoutExpired:
                    code, err = "timeout", f"no exit within {args.timeout:g} s"
                runs[fmt, mode] += 1
                if code != 0:
                    failed[fmt, mode][code] += 1
                    messages.setdefault(code, err.splitlines()[-1] if err else "")
    finally:
        for hog in hogs:
            hog.kill()
        for hog in hogs:
            hog.wait()
    elapsed = time.monotonic() - start

    print(f"{sum(runs.values())} runs in {elapsed:.0f} s, with {args.hogs} CPU hog process(es) on {os.cpu_count()} CPU(s)")
    print(f"python {sys.version.split()[0]}, " + ", ".join(_versions()))
    print()
    print(f"{'format':<8} {'mode':<8} {'runs':>5} {'aborts':>6}  exit codes of the failures")
    for fmt, mode in pairs:
        codes = ", ".join(f"{c}: {n}" for c, n in sorted(failed[fmt, mode].items(), key=str))
        print(f"{fmt:<8} {mode:<8} {runs[fmt, mode]:>5} {sum(failed[fmt, mode].values()):>6}  {codes}")
    total_failed = sum(sum(c.values()) for c in failed.values())
    print(f"{'all':<8} {'':<8} {sum(runs.values()):>5} {total_failed:>6}")
    for code, msg in messages.items():
        print(f"  exit {code}: {msg}")
    return 1 if total_failed else 0


def _versions() -> list[str]:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for dist in ("pyarrow", "pandas", "polars"):
        try:
            out.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            pass
    return out


if __name__ == "__main__":
    sys.exit(main())
