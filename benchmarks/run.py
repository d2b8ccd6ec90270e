"""Benchmarks of nkdata against its baselines, at 10k, 100k and 1M synthetic figures.

    python benchmarks/run.py                      # everything (about 10-15 minutes on 2 cores)
    python benchmarks/run.py --sizes 10000 100000 --runs 3
    python benchmarks/run.py --only package load  # some of: package, curated, load, import

Each measurement runs in a fresh subprocess; wall time and peak resident memory
(``ru_maxrss`` of that one child, from ``os.wait4``) are the median of ``--runs``
runs (frictionless at 1M: ``--slow-runs``). Compared:

* package: ``nkdata validate PKG/datapackage.json`` vs ``frictionless validate`` of the same file;
* curated: ``nkdata validate PROJECT`` vs a bare ``yaml.load(CSafeLoader)`` of the same YAML
  files (only up to ``--curated-max`` figures: YAML is the hand-curation format, and a bare
  parse of a million records alone takes minutes);
* load: nkdata's loader (``Release`` + ``Dataset``, every table as pandas, every file
  verified) vs ``import pandas`` + ``pyarrow.parquet.read_table().to_pandas()`` of the same
  Parquet files, for each synthetic package and for the release inside the installed
  package (``nkdata.load()``);
* import: ``import nkdata`` vs a bare interpreter.

Synthetic data (benchmarks/synth.py) is written once into ``--workdir`` and reused.
Every command runs from compiled bytecode, as an installed package does: see ``use_bytecode``.
Prints a Markdown report: the machine, then one table with ratios and targets.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402

MIB = 1024 * 1024
LOADS: list[float] = []  # 1-minute load average after each measured run

BARE_YAML = """
import pathlib, sys, yaml
for p in sorted(pathlib.Path(sys.argv[1], "data").rglob("*.yaml")):
    yaml.load(p.read_bytes(), Loader=yaml.CSafeLoader)
"""
FLOOR_LOAD = """
import pathlib, sys
import pandas
import pyarrow.parquet as pq
frames = {p.stem: pq.read_table(p).to_pandas() for p in sorted(pathlib.Path(sys.argv[1]).glob("*.parquet"))}
"""
EMBEDDED_LOAD = """
import nkdata
ds = nkdata.load()
frames = {name: ds[name] for name in ds}
"""
NKDATA_LOAD = """
import sys
from nkdata.access.loader import Dataset
from nkdata.release.reader import Release
ds = Dataset(Release(sys.argv[1]), "pandas")
frames = {name: ds[name] for name in ds}
"""


@dataclass
class Timing:
    wall: float  # seconds, median
    peak: int  # bytes, median of the runs' peaks
    runs: int
    cpu: float = 0.0  # seconds of CPU (user + system), median: what the load changes least


# A small, fresh process runs each command: Linux carries a parent's peak RSS over into a
# forked child, so the benchmark itself (which held the synthetic data) must not be the parent.
WRAPPER = """
import os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime)
"""


NEUTRAL_DIR = tempfile.gettempdir()


def run_once(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, float]:
    """Wall time, peak RSS and CPU time of one run of ``cmd`` (which must succeed)."""
    with tempfile.TemporaryFile() as err:
        # run from outside any checkout: ``python -m``/``-c`` put the working directory first on sys.path,
        # ahead of PYTHONPATH, so a run started in the repository would time its nkdata/ for --compare-with too
        proc = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], stdout=subprocess.PIPE, stderr=err, text=True, check=True, env=env, cwd=NEUTRAL_DIR)
        out = proc.stdout.split()
        wall, peak_kib, code, cpu = float(out[0]), int(out[1]), int(out[2]), float(out[3])
        if code != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(cmd)} failed ({code}):\n{err.read().decode(errors='replace')[-3000:]}")
    LOADS.append(os.getloadavg()[0])
    return wall, peak_kib * 1024, cpu  # ru_maxrss is in KiB on Linux


def measure(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> Timing:
    return timing([run_once(cmd, env) for _ in range(runs)])


def timing(results: list[tuple[float, int, float]]) -> Timing:
    return Timing(
        statistics.median(r[0] for r in results), int(statistics.median(r[1] for r in results)), len(results), statistics.median(r[2] for r in results)
    )


def use_bytecode(workdir: Path) -> None:
    """Let every measured command read and write compiled bytecode, in one cache in ``workdir``.

    pip compiles a wheel's modules as it installs them, so nkdata and its baselines start from
    bytecode where people install them. A checkout installed editable under PYTHONDONTWRITEBYTECODE
    (some CI runners and sandboxes set it) would instead compile nkdata's modules on every run,
    about 35 ms of a 0.7 s command, while the baselines' came compiled. With PYTHONPYCACHEPREFIX
    each side's modules are compiled once, here, and nothing is written into the checkout or the
    environment. One untimed run of each command fills the cache (:func:`warm_up`).
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(workdir / "pycache")


def warm_up() -> None:
    """One untimed run of each validator, on the release inside the package: imports compiled and cached."""
    from nkdata.access.loader import embedded_path

    descriptor = str(embedded_path() / "datapackage.json")
    for cmd in (nkdata_validate(descriptor), frictionless_validate(descriptor)):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, cwd=NEUTRAL_DIR)


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def nkdata_validate(path: str) -> list[str]:
    return python("-m", "nkdata.cli.main", "validate", "-q", path)


def frictionless_validate(descriptor: str) -> list[str]:
    return python("-m", "frictionless", "validate", descriptor)


def prepare(workdir: Path, n: int, project: bool) -> tuple[Path, Path | None]:
    """The synthetic package (and project) of ``n`` figures, written once."""
    base = workdir / f"figures-{n}"
    pkg_done, proj_done = base / "package.done", base / "project.done"
    if not pkg_done.exists():
        shutil.rmtree(base / "package", ignore_errors=True)
        t = time.perf_counter()
        synth.write_package(base / "package", n)
        print(f"  wrote a package of {n:,} figures in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        pkg_done.touch()
    folder = next((base / "package").glob("nkdata-*"))
    if project and not proj_done.exists():
        shutil.rmtree(base / "project", ignore_errors=True)
        t = time.perf_counter()
        synth.write_project(base / "project", n)
        print(f"  wrote a project of {n:,} figures in {time.perf_counter() - t:.0f} s", file=sys.stderr)
        proj_done.touch()
    return folder, (base / "project" if project else None)


def machine() -> list[str]:
    def cpu() -> str:
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return platform.processor() or "?"

    def ram() -> str:
        try:
            for line in Path("/proc/meminfo").read_text().splitlines():
                if line.startswith("MemTotal"):
                    return f"{int(line.split()[1]) / MIB:.1f} GiB"
        except OSError:
            pass
        return "?"

    from importlib.metadata import PackageNotFoundError, version

    libs = []
    for name in ("nkdata", "pyarrow", "pandas", "numpy", "pydantic", "PyYAML", "frictionless", "polars", "duckdb"):
        try:
            libs.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    return [
        f"- CPU: {cpu()}, {os.cpu_count()} logical cores; RAM {ram()}",
        f"- OS: {platform.system()} {platform.release()}; Python {platform.python_version()} ({platform.python_implementation()})",
        f"- Libraries: {', '.join(libs)}",
        f"- Load average when the run started: {', '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]


@dataclass
class Row:
    n: str
    what: str
    ours: Timing
    base: Timing
    base_name: str
    target: str
    met: str


def fmt_row(r: Row) -> str:
    faster = r.what.startswith("package validation")
    ratio = r.base.wall / r.ours.wall if faster else r.ours.wall / r.base.wall
    label = f"{ratio:.1f}× faster" if faster else f"{ratio:.2f}×"
    return (
        f"| {r.n} | {r.what} | {r.ours.wall:.2f} | {r.base.wall:.2f} ({r.base_name}) | {label} | {r.ours.cpu:.2f} | {r.base.cpu:.2f} | "
        f"{r.ours.peak / MIB:,.0f} | {r.base.peak / MIB:,.0f} | {r.target} | {r.met} |"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000], help="numbers of figures (default: 10k 100k 1M)")
    parser.add_argument("--only", nargs="+", choices=["package", "curated", "load", "import"], default=["package", "curated", "load", "import"])
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--slow-runs", type=int, default=1, help="runs of frictionless at 1M figures (about 100 s each)")
    parser.add_argument("--curated-max", type=int, default=100_000, help="largest size for the curated-YAML comparison")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "nkdata-bench", help="where synthetic data is kept between runs")
    parser.add_argument(
        "--compare-with",
        type=Path,
        default=None,
        help="also time package validation by another checkout's nkdata/ (put on PYTHONPATH), e.g. `git archive REV nkdata | tar -x -C DIR`",
    )
    return parser.parse_args(argv)


PACKAGE_TARGET = "≥ 20× faster at 100k and 1M; peak ≤ 1.5 GiB at 1M"


def measure_package(n: int, descriptor: str, args: argparse.Namespace) -> list[Row]:
    """nkdata validate vs frictionless validate of one synthetic package (and another checkout's nkdata, if asked)."""
    cmd = nkdata_validate(descriptor)
    if args.compare_with is None:
        ours = measure(cmd, args.runs)
    else:  # the two alternate, run by run, so that both see the same load
        env = {**os.environ, "PYTHONPATH": str(args.compare_with.resolve())}
        pairs = [(run_once(cmd), run_once(cmd, env)) for _ in range(args.runs)]
        ours, other = (timing([p[i] for p in pairs]) for i in (0, 1))
    slow = args.slow_runs if n >= 1_000_000 else min(args.runs, 3)
    base = measure(frictionless_validate(descriptor), slow)
    print(f"  package: nkdata {ours.wall:.2f} s (CPU {ours.cpu:.2f} s), frictionless {base.wall:.2f} s (CPU {base.cpu:.2f} s)", file=sys.stderr)
    if args.compare_with is not None:
        print(f"  package: {args.compare_with.name} {other.wall:.2f} s (CPU {other.cpu:.2f} s)", file=sys.stderr)
    rows = [Row(f"{n:,}", "package validation", ours, base, "frictionless", PACKAGE_TARGET, package_met(n, ours, base))]
    if args.compare_with is not None:
        rows.append(Row(f"{n:,}", f"package validation ({args.compare_with.name})", other, base, "frictionless", PACKAGE_TARGET, package_met(n, other, base)))
    return rows


def package_met(n: int, ours: Timing, base: Timing) -> str:
    if n < 100_000:
        return "(100k and 1M only)"
    met = "yes" if base.wall / ours.wall >= 20 else "no"
    return f"{met}; peak {'yes' if ours.peak <= 1.5 * 1024 * MIB else 'no'}" if n >= 1_000_000 else met


def measure_curated(n: int, project: Path, args: argparse.Namespace) -> Row:
    """nkdata validate of a curated project vs a bare CSafeLoader parse of its YAML."""
    runs = args.runs if n < 100_000 else min(args.runs, 3)
    ours = measure(nkdata_validate(str(project)), runs)
    base = measure(python("-c", BARE_YAML, str(project)), runs)
    print(f"  curated: nkdata {ours.wall:.2f} s, bare parse {base.wall:.2f} s", file=sys.stderr)
    return Row(f"{n:,}", "curated YAML validation", ours, base, "bare CSafeLoader parse", "≤ 2×", "yes" if ours.wall <= 2 * base.wall else "no")


def measure_load(label: str, measure_name: str, ours_cmd: list[str], folder: Path, runs: int) -> Row:
    """nkdata's loader vs reading the same Parquet files into pandas."""
    ours = measure(ours_cmd, runs)
    base = measure(python("-c", FLOOR_LOAD, str(folder)), runs)
    print(f"  load: nkdata {ours.wall:.2f} s, floor {base.wall:.2f} s", file=sys.stderr)
    return Row(label, measure_name, ours, base, "read_table().to_pandas()", "≤ 1.1×", "yes" if ours.wall <= 1.1 * base.wall else "no")


def measure_import(args: argparse.Namespace) -> Row:
    ours = measure(python("-c", "import nkdata"), max(args.runs, 10))
    base = measure(python("-c", "pass"), max(args.runs, 10))
    over = (ours.wall - base.wall) * 1000
    return Row("-", "import nkdata", ours, base, "bare interpreter", "≤ 50 ms over bare", f"{'yes' if over <= 50 else 'no'} (+{over:.0f} ms)")


def report(rows: list[Row], per_row: dict[int, float]) -> list[str]:
    """The results table and the growth of package validation per row, as Markdown lines."""
    lines = [
        "### Results",
        "",
        "Times are wall-clock seconds, medians; ratio is nkdata over the baseline (for package validation, how many times faster nkdata is); "
        "CPU is user + system seconds (median), which the machine's load changes least; peaks are the median peak RSS in MiB.",
        "",
        "| figures | measure | nkdata (s) | baseline (s) | ratio | nkdata CPU (s) | baseline CPU (s) | nkdata peak (MiB) | baseline peak (MiB) "
        "| target | met |",
        "|---:|---|---:|---|---:|---:|---:|---:|---:|---|---|",
        *(fmt_row(r) for r in rows),
        "",
    ]
    if len(per_row) >= 2:
        small, large = min(per_row), max(per_row)
        ratio = per_row[large] / per_row[small]
        lines.append(
            f"Package validation per row: {per_row[small] * 1e6:.2f} µs at {small:,} figures, {per_row[large] * 1e6:.2f} µs at {large:,} "
            f"(×{ratio:.2f}; target: linear within 1.3×, {'met' if ratio <= 1.3 else 'missed'})."
        )
        lines.append("")
    lines.append(f"Load average when the run ended: {', '.join(f'{x:.2f}' for x in os.getloadavg())}.")
    if LOADS:
        lines.append(
            f"1-minute load average after each measured run: median {statistics.median(LOADS):.2f}, from {min(LOADS):.2f} to {max(LOADS):.2f} "
            f"({os.cpu_count()} logical cores)."
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.workdir = args.workdir.resolve()  # the commands run in another directory
    args.workdir.mkdir(parents=True, exist_ok=True)
    use_bytecode(args.workdir)
    warm_up()
    lines = ["### Machine", "", *machine(), ""]
    rows: list[Row] = []
    per_row: dict[int, float] = {}  # package validation: seconds per figure
    for n in sorted(args.sizes):
        print(f"{n:,} figures", file=sys.stderr)
        curated = "curated" in args.only and n <= args.curated_max
        folder, project = prepare(args.workdir, n, curated)
        if "package" in args.only:
            package_rows = measure_package(n, str(folder / "datapackage.json"), args)
            rows += package_rows
            per_row[n] = package_rows[0].ours.wall / n
        if curated and project is not None:
            rows.append(measure_curated(n, project, args))
        if "load" in args.only:
            rows.append(measure_load(f"{n:,}", "load (all tables, pandas)", python("-c", NKDATA_LOAD, str(folder)), folder, args.runs))
    if "load" in args.only:
        from nkdata.access.loader import embedded_path

        runs = max(args.runs, 10)
        rows.append(measure_load("release in the wheel", "nkdata.load() (all tables, pandas)", python("-c", EMBEDDED_LOAD), embedded_path(), runs))
    if "import" in args.only:
        rows.append(measure_import(args))
    print("\n".join(lines + report(rows, per_row)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
