"""Hostile input and real faults (issue 10): one test per attack, as docs/security.md promises.

Every attack runs in a child process (the ``nkdata`` console script, or
``python -c "import nkdata; ..."``) with a 2 GiB address-space cap and a timeout,
against a copy of the project in tmp_path or a built copy of the release; servers
listen on 127.0.0.1 only and are stopped by the test. Attacks the code does not
survive yet are ``xfail(strict=True)``: when a fix lands the test XPASSes, which
fails the suite until the mark is dropped.

The promise each test checks: the command ends within its time limit, with exit
code 1 for bad input (2 for usage), no traceback, a message naming the file (and
line or field where there is one), nothing read from outside the tree, and
nothing left behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from hostile_helpers import (
    NKDATA,
    PINNED,
    PINNED_ZIP,
    REPO,
    SECRET,
    Mirror,
    assert_clean_exit,
    base_env,
    cli,
    copy_project,
    finish,
    kill,
    leftovers,
    py,
    self_signed_cert,
    sha256,
    start,
)

SOURCE = "data/sources/kbsworld-188550.yaml"  # a small source file the attacks edit
SEED = "seeds/kbsworld-188550.txt"
MIB = 1024**2


def xfail(item: str, why: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=f"issue 10 {item}: {why}")


# ---------------------------------------------------------------- fixtures


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return base_env(tmp_path)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "proj")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release built from a copy of the project: ``.../out/nkdata-VERSION`` (and its .zip beside it)."""
    tmp = tmp_path_factory.mktemp("built")
    proj = copy_project(tmp / "proj")
    r = cli("build", proj, "--out", tmp / "out", "-q", env=base_env(tmp), timeout=120)
    assert_clean_exit(r, 0)
    (folder,) = [p for p in (tmp / "out").iterdir() if p.is_dir()]
    return folder


@pytest.fixture
def release_copy(built: Path, tmp_path: Path) -> Path:
    """A private copy of the built release folder, to tamper with."""
    dest = tmp_path / "pkg" / built.name
    shutil.copytree(built, dest)
    return dest


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed for the loopback https mirror")
    return self_signed_cert(tmp_path_factory.mktemp("tls"))


def tls_env(tmp_path: Path, cert: tuple[Path, Path], **extra: str) -> dict[str, str]:
    return base_env(tmp_path, REQUESTS_CA_BUNDLE=str(cert[0]), SSL_CERT_FILE=str(cert[0]), **extra)


def zip_of(folder: Path) -> Path:
    return folder.parent / f"{folder.name}.zip"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def rehash_seed(project: Path, text: str) -> None:
    """Replace the seed text and record its new sha256 in the source file."""
    (project / SEED).write_text(text, encoding="utf-8")
    src = project / SOURCE
    src.write_text(re.sub(r"text_sha256: [0-9a-f]{64}", f"text_sha256: {sha256(text.encode())}", src.read_text(encoding="utf-8")), encoding="utf-8")


def outside_secret(tmp_path: Path, name: str, content: str) -> Path:
    """A file outside the project holding the secret word."""
    path = tmp_path / "outside" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


# ============================================================ holds today (regression guards)


def test_alias_bomb_is_refused(project: Path, env: dict[str, str]) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"] + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    (project / "data/sources/bomb.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = cli("validate", project, env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    assert "data/sources/bomb.yaml" in r.out and "Y102" in r.out, r


def test_python_tag_is_refused(project: Path, env: dict[str, str]) -> None:
    (project / "data/sources/tag.yaml").write_text("source: !!python/object/apply:os.system ['echo PWNED']\n", encoding="utf-8")
    r = cli("validate", project, env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    assert re.search(r"data/sources/tag\.yaml:1:\d+: Y101", r.out) and "PWNED" not in r.out.replace("echo PWNED", ""), r


def test_formula_typed_in_curated_yaml_is_refused(project: Path, env: dict[str, str]) -> None:
    edit(project / SOURCE, "notes: >-\n      Carried by", "notes: >-\n      =HYPERLINK(\"http://evil.example\") Carried by")
    r = cli("validate", project, env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    assert re.search(r"kbsworld-188550\.yaml:\d+:\d+: C600", r.out), r


def test_zip_slip_member_is_refused(built: Path, tmp_path: Path, env: dict[str, str]) -> None:
    bad = tmp_path / zip_of(built).name
    shutil.copyfile(zip_of(built), bad)
    with zipfile.ZipFile(bad, "a") as zf:
        zf.writestr("../../escaped.txt", SECRET)
    r = cli("validate", bad, env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    assert "P802" in r.out and not (tmp_path / "escaped.txt").exists() and not leftovers(tmp_path / "tmp"), r


def test_tampered_cache_is_refused(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    r = cli("info", "--version", PINNED, "--mirror", PINNED_ZIP.parent.as_uri(), env=env, timeout=60)
    assert_clean_exit(r, 0)
    # load() reads (and verifies) the Parquet twin; the CSV is verified when it is read (Release.verify)
    parquet = tmp_path / "cache" / f"nkdata-{PINNED}" / "figures.parquet"
    data = bytearray(parquet.read_bytes())
    data[len(data) // 2] ^= 0xFF
    parquet.write_bytes(bytes(data))
    r = cli("info", "--version", PINNED, env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert "figures.parquet" in r.text and "altered" in r.text, r


def test_mirror_serving_wrong_bytes_is_refused_and_nothing_kept(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / PINNED_ZIP.name).write_bytes(b"PK\x03\x04" + b"\0" * (PINNED_ZIP.stat().st_size - 4))
    env = base_env(tmp_path)
    r = cli("info", "--version", PINNED, "--mirror", mirror.as_uri(), env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert PINNED_ZIP.name in r.text and "hash" in r.text.lower(), r
    assert not (tmp_path / "cache" / PINNED_ZIP.name).exists() and not leftovers(tmp_path / "cache"), "a refused download left files in the cache"


def test_efbig_during_build_leaves_nothing_behind(project: Path, tmp_path: Path, env: dict[str, str]) -> None:
    """A full disk, simulated with RLIMIT_FSIZE: whatever the message, no partial release is left in --out."""
    out = tmp_path / "out"
    cli("build", project, "--out", out, "-q", env=env, timeout=60, fsize=64 * 1024)
    assert not leftovers(out) and not list(out.glob("nkdata-*")), list(out.iterdir())


# ============================================================ item 1: symlinks out of the tree


def test_symlink_to_outside_yaml_is_not_read(project: Path, tmp_path: Path, env: dict[str, str]) -> None:
    secret = outside_secret(tmp_path, "secrets.yaml", f"AWS_SECRET_TOKEN_{SECRET}: {SECRET}\n")
    (project / "data/sources/zz.yaml").symlink_to(secret)
    r = cli("validate", project, env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    assert "data/sources/zz.yaml" in r.out, r
    assert SECRET not in r.text, f"a file outside the project was read and shown\n{r}"


@pytest.mark.parametrize("where,device", [("data/sources/zz.yaml", "/dev/zero"), ("data/sources/zz.yaml", "/dev/urandom"), ("data/package.yaml", "/dev/zero")])
def test_symlink_to_device_is_refused(project: Path, env: dict[str, str], device: str, where: str) -> None:
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    (project / where).unlink(missing_ok=True)
    (project / where).symlink_to(device)
    r = cli("validate", project, env=env, timeout=6)
    assert_clean_exit(r, 1, timeout=6)
    assert where in r.out, r


def test_symlinked_seed_outside_is_refused(project: Path, tmp_path: Path, env: dict[str, str]) -> None:
    outside = outside_secret(tmp_path, "seed.txt", (project / SEED).read_text(encoding="utf-8"))
    (project / SEED).unlink()
    (project / SEED).symlink_to(outside)
    r = cli("validate", project, env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    assert SEED in r.out, r


# ============================================================ item 2: formulas in the published CSV


def _formula_cells(folder: Path) -> list[str]:
    """CSV cells a spreadsheet would take for a formula, whatever characters spell them."""
    import csv
    import unicodedata

    hits = []
    for path in folder.glob("*.csv"):
        with open(path, encoding="utf-8", newline="") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    folded = unicodedata.normalize("NFKC", cell).lstrip(" \u00a0")
                    if cell[:1] in ("=", "+", "-", "@", "\t", "\r") or folded[:1] in ("=", "+", "@"):
                        hits.append(f"{path.name}: {cell[:60]!r}")
    return hits


@pytest.mark.parametrize("typed", ["\uff1d", " ="], ids=["fullwidth-equals", "leading-space"])
def test_formula_never_reaches_the_published_csv(project: Path, tmp_path: Path, env: dict[str, str], typed: str) -> None:
    opening = "The National Intelligence Service(NIS) says"
    formula = 'HYPERLINK("http://evil.example/x","NIS") says'
    rehash_seed(project, (project / SEED).read_text(encoding="utf-8").replace(opening, "=" + formula, 1))
    rest = " North Korea began sending troops in support of Russia’s war effort against Ukraine starting Oct. 8."
    src = project / SOURCE
    block = r"evidence: >-\n      The National Intelligence Service\(NIS\) says .*\n.*Oct\. 8\.\n"
    text, n = re.subn(block, lambda m: "evidence: " + json.dumps(typed + formula + rest, ensure_ascii=True) + "\n", src.read_text(encoding="utf-8"), count=1)
    assert n == 1
    src.write_text(text, encoding="utf-8")
    r = cli("validate", project, env=env, timeout=60)
    if r.rc == 1:  # refused at validate: fine, if it says where
        assert_clean_exit(r, 1)
        assert re.search(r"kbsworld-188550\.yaml:\d+:\d+: C600", r.out), r
        return
    assert_clean_exit(r, 0)
    r = cli("build", project, "--out", tmp_path / "out", "-q", env=env, timeout=60)
    assert_clean_exit(r, 0)
    (folder,) = [p for p in (tmp_path / "out").iterdir() if p.is_dir()]
    assert not _formula_cells(folder), _formula_cells(folder)
    assert_clean_exit(cli("validate", folder, env=env, timeout=60), 0)


# ============================================================ item 3: huge integers


@pytest.mark.parametrize("command", ["validate", "build"])
def test_huge_integer_is_a_problem_not_a_traceback(project: Path, tmp_path: Path, env: dict[str, str], command: str) -> None:
    edit(project / SOURCE, "    value: 1500\n", f"    value: {'1' * 5000}\n")
    extra = ["--out", str(tmp_path / "out"), "-q"] if command == "build" else []
    r = cli(command, project, *extra, env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert re.search(r"kbsworld-188550\.yaml:\d+", r.out), r
    assert not leftovers(tmp_path / "out"), leftovers(tmp_path / "out")


# ============================================================ item 4: data/package.yaml


@pytest.mark.parametrize(
    "old,new",
    [
        ("keywords: [North Korea, Russia, Ukraine, Kursk, casualties, troops, open data]", "keywords: 5"),
        (r"release_date: \S+", "release_date: 2026-13-45"),  # a regex: the day changes with every release
        ("licenses:\n", "licences: oops\nlicenses:\n"),
    ],
    ids=["keywords-int", "impossible-date", "unknown-key"],
)
def test_package_yaml_is_validated(project: Path, env: dict[str, str], old: str, new: str) -> None:
    if old.startswith("release_date"):
        pkg = project / "data/package.yaml"
        pkg.write_text(re.sub(old, new, pkg.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    else:
        edit(project / "data/package.yaml", old, new)
    r = cli("validate", project, env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    assert re.search(r"data/package\.yaml:\d+", r.out), r


def test_build_refuses_bad_package_yaml_cleanly(project: Path, tmp_path: Path, env: dict[str, str]) -> None:
    edit(project / "data/package.yaml", "keywords: [North Korea, Russia, Ukraine, Kursk, casualties, troops, open data]", "keywords: 5")
    r = cli("build", project, "--out", tmp_path / "out", "-q", env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert "data/package.yaml" in r.text and not leftovers(tmp_path / "out"), r


def test_built_package_with_impossible_created_is_refused(release_copy: Path, env: dict[str, str]) -> None:
    dp = release_copy / "datapackage.json"
    dp.write_text(re.sub(r'"created": "[^"]*"', '"created": "2026-13-45T00:00:00Z"', dp.read_text(encoding="utf-8"), count=1), encoding="utf-8")
    assert "2026-13-45" in dp.read_text(encoding="utf-8")
    r = cli("validate", release_copy, env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert "datapackage.json" in r.out and "created" in r.out, r


# ============================================================ item 5: what validate accepts, the built package accepts


@pytest.mark.slow
def test_long_field_validate_build_and_package_agree(project: Path, tmp_path: Path, env: dict[str, str]) -> None:
    long_notes = "lorem ipsum " * (9_000_000 // 12)  # over two of the checker's 4 MiB CSV blocks, under the 10 MB file cap
    src = project / SOURCE
    block = r"    notes: >-\n      Carried by Russian(.*\n)(      .*\n)*"
    text, n = re.subn(block, lambda m: f'    notes: "{long_notes}"\n', src.read_text(encoding="utf-8"), count=1)
    assert n == 1
    src.write_text(text, encoding="utf-8")
    r = cli("validate", project, env=env, timeout=60)
    if r.rc == 1:  # a documented field-length limit: fine, if it says where
        assert_clean_exit(r, 1)
        assert re.search(r"kbsworld-188550\.yaml:\d+", r.out), r
        return
    assert_clean_exit(r, 0)
    r = cli("build", project, "--out", tmp_path / "out", "-q", env=env, timeout=90)
    assert_clean_exit(r, 0)
    (folder,) = [p for p in (tmp_path / "out").iterdir() if p.is_dir()]
    assert_clean_exit(cli("validate", folder, env=env, timeout=90), 0)


# ============================================================ item 6: malformed datapackage.json

_MUTATIONS = {
    "parquet-int": lambda d: d["resources"][0].__setitem__("nkdata:parquet", 5),
    "parquet-str": lambda d: d["resources"][0].__setitem__("nkdata:parquet", "x"),
    "schema-int": lambda d: d["resources"][0].__setitem__("schema", 5),
    "bytes-lots": lambda d: d["resources"][0].__setitem__("bytes", "lots"),
    "deep": None,
}


def _mutate(folder: Path, name: str) -> None:
    dp = folder / "datapackage.json"
    if name == "deep":
        dp.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
        return
    d = json.loads(dp.read_text(encoding="utf-8"))
    _MUTATIONS[name](d)
    dp.write_text(json.dumps(d), encoding="utf-8")


@pytest.mark.parametrize(
    "mutation,command",
    [
        # one safe reader of datapackage.json (nkdata/release/descriptor.py) for validate, load and diff
        pytest.param("parquet-int", "validate"),
        pytest.param("parquet-str", "validate"),
        pytest.param("schema-int", "validate"),
        pytest.param("bytes-lots", "validate"),
        pytest.param("deep", "validate"),
        pytest.param("parquet-int", "diff"),
        pytest.param("parquet-str", "diff"),
        pytest.param("schema-int", "diff"),
        pytest.param("bytes-lots", "diff"),
        pytest.param("deep", "diff"),
    ],
)
def test_malformed_descriptor(built: Path, release_copy: Path, project: Path, env: dict[str, str], mutation: str, command: str) -> None:
    _mutate(release_copy, mutation)
    args = ["validate", release_copy] if command == "validate" else ["diff", built, release_copy, "--root", project]
    r = cli(*args, env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert "datapackage.json" in r.text, r


# ============================================================ item 7: zip bombs and odd packages


def _bad_zip(built: Path, dest: Path, kind: str) -> Path:
    target = dest / zip_of(built).name
    shutil.copyfile(zip_of(built), target)
    prefix = built.name
    with zipfile.ZipFile(target, "a") as zf:
        if kind == "bomb":  # 200 MiB of zeros in ~200 KB: 1000:1
            info = zipfile.ZipInfo(f"{prefix}/padding.bin", (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=True) as fh:
                block = b"\0" * MIB
                for _ in range(200):
                    fh.write(block)
        elif kind == "duplicate":
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                zf.writestr(f"{prefix}/figures.csv", "figure_id\nfig-forged\n")
        elif kind == "many-members":
            for i in range(12_000):
                zf.writestr(f"{prefix}/junk/{i}", b"")
        elif kind == "unlisted":
            zf.writestr(f"{prefix}/payload.exe", b"MZ" + b"\0" * 100)
    return target


@pytest.mark.parametrize(
    "kind,command",
    [
        # the one zip reader refuses a member over MAX_RATIO and any member datapackage.json does not name
        pytest.param("bomb", "validate", marks=pytest.mark.slow),
        pytest.param("bomb", "diff", marks=pytest.mark.slow),
        pytest.param("duplicate", "validate"),  # the one safe zip reader refuses duplicate names (release/archive.py)
        pytest.param("many-members", "validate", marks=pytest.mark.slow),
        pytest.param("unlisted", "validate"),
    ],
)
def test_hostile_zip_is_refused(built: Path, project: Path, tmp_path: Path, env: dict[str, str], kind: str, command: str) -> None:
    bad = _bad_zip(built, tmp_path, kind)
    args = ["validate", bad] if command == "validate" else ["diff", zip_of(built), bad, "--root", project]
    r = cli(*args, env=env, timeout=45)
    assert_clean_exit(r, 1, timeout=45)
    assert bad.name in r.text, r
    assert not leftovers(tmp_path / "tmp") and not list((tmp_path / "tmp").iterdir()), "extraction left files in TMPDIR"


def test_release_folder_with_symlink_outside_is_refused(release_copy: Path, tmp_path: Path, env: dict[str, str]) -> None:
    member = release_copy / SEED
    outside = outside_secret(tmp_path, "text.txt", member.read_text(encoding="utf-8"))
    member.unlink()
    member.symlink_to(outside)
    r = cli("validate", release_copy, env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert SEED in r.out, r


# ============================================================ item 8: concurrent loads share the cache


_LOAD_AT = """
import os, sys, time
import nkdata, pandas, pyarrow  # the slow imports first, so that every process reaches load() at once
time.sleep(max(0.0, {at} - time.time()))
ds = nkdata.load(version={version!r}, mirror={mirror!r}, format="arrow")
assert all(name in ds for name in ("sources", "entities", "figures", "statements", "events")), ds  # (and the derived claims)
sys.stdout.flush()
os._exit(0)  # item 10 is tested on its own
"""


@pytest.mark.slow
def test_parallel_loads_into_empty_cache(tmp_path: Path) -> None:
    for rnd in range(3):
        (tmp_path / f"round{rnd}").mkdir()
        env = base_env(tmp_path / f"round{rnd}")
        code = _LOAD_AT.format(at=time.time() + 4, version=PINNED, mirror=PINNED_ZIP.parent.as_uri())
        t0 = time.monotonic()
        procs = [start([sys.executable, "-c", code], env) for _ in range(8)]
        for r in [finish(p, 90, t0) for p in procs]:
            assert_clean_exit(r, 0)
        cache = Path(env["NKDATA_CACHE"])
        assert not leftovers(cache), leftovers(cache)
        assert_clean_exit(cli("info", "--version", PINNED, env=env, timeout=60), 0)  # the version put in place is complete


# ============================================================ item 9: hostile or broken mirror


@pytest.mark.slow
def test_endless_response_is_cut_at_the_registry_size(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    env = tls_env(tmp_path, cert)
    with Mirror("endless", cert, cap=64 * MIB) as mirror:
        r = cli("info", "--version", PINNED, "--mirror", mirror.url, env=env, timeout=8)
        sent = mirror.sent
    assert_clean_exit(r, 1, timeout=8)
    assert mirror.url in r.text or PINNED_ZIP.name in r.text, r
    assert sent < 32 * MIB, f"the client read {sent:,} bytes of a {PINNED_ZIP.stat().st_size:,}-byte release"
    assert not (tmp_path / "cache" / PINNED_ZIP.name).exists() and not leftovers(tmp_path / "cache"), list((tmp_path / "cache").iterdir())


@pytest.mark.slow
def test_slow_drip_mirror_hits_the_deadline(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    env = tls_env(tmp_path, cert, NKDATA_DOWNLOAD_TIMEOUT="2")
    with Mirror("drip", cert, interval=1.0) as mirror:
        r = cli("info", "--version", PINNED, "--mirror", mirror.url, env=env, timeout=8)
    assert_clean_exit(r, 1, timeout=8)
    assert "NKDATA_DOWNLOAD_TIMEOUT" in r.text or "deadline" in r.text or "timed out" in r.text, r
    assert not (tmp_path / "cache" / PINNED_ZIP.name).exists() and not leftovers(tmp_path / "cache"), list((tmp_path / "cache").iterdir())


@pytest.mark.slow
def test_killed_download_leaves_nothing_after_next_load(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    env = tls_env(tmp_path, cert)
    cache = tmp_path / "cache"
    with Mirror("endless", cert, cap=256 * MIB) as mirror:
        proc = start([NKDATA, "info", "--version", PINNED, "--mirror", mirror.url], env)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (mirror.sent > 4 * MIB and any(cache.iterdir())):
            time.sleep(0.05)
        kill(proc)  # SIGKILL: no clean-up can run
    r = cli("info", "--version", PINNED, "--mirror", PINNED_ZIP.parent.as_uri(), env=env, timeout=60)
    assert_clean_exit(r, 0)
    assert not leftovers(cache), leftovers(cache)


@pytest.mark.slow
def test_download_killed_mid_transfer_leaves_nothing_after_next_load(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    """SIGKILL while a part file is being written (a dripping mirror keeps it open): the next fetch removes it."""
    env = tls_env(tmp_path, cert)
    cache = tmp_path / "cache"
    with Mirror("drip", cert, interval=0.2) as mirror:
        proc = start([NKDATA, "info", "--version", PINNED, "--mirror", mirror.url], env)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any(".part" in p.name for p in cache.iterdir()):
            time.sleep(0.05)
        assert any(".part" in p.name for p in cache.iterdir()), "the download never started"
        kill(proc)  # SIGKILL: no clean-up can run
    assert leftovers(cache), "the killed download should have left its part file"
    r = cli("info", "--version", PINNED, "--mirror", PINNED_ZIP.parent.as_uri(), env=env, timeout=60)
    assert_clean_exit(r, 0)
    assert not leftovers(cache), leftovers(cache)


def test_full_disk_while_downloading_is_not_blamed_on_the_mirror(tmp_path: Path) -> None:
    """EFBIG (RLIMIT_FSIZE) while writing the part file: a local failure, reported as such; nothing kept."""
    env = base_env(tmp_path)
    r = cli("info", "--version", PINNED, "--mirror", PINNED_ZIP.parent.as_uri(), env=env, timeout=60, fsize=4096)
    assert_clean_exit(r, 1, timeout=60)
    assert "cannot write" in r.text and "cannot read" not in r.text, r
    assert not leftovers(tmp_path / "cache") and not (tmp_path / "cache" / PINNED_ZIP.name).exists(), r


def test_plain_http_mirror_is_refused(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    with Mirror("good") as mirror:
        r = cli("info", "--version", PINNED, "--mirror", mirror.url, env=env, timeout=30)
        sent = mirror.sent
    assert_clean_exit(r, 2, timeout=30)
    assert "https://" in r.text and sent == 0, r


def test_https_mirror_loads(tmp_path: Path, cert: tuple[Path, Path]) -> None:
    """The harness itself: a good loopback https mirror serves the pinned release."""
    env = tls_env(tmp_path, cert)
    with Mirror("good", cert) as mirror:
        r = cli("info", "--version", PINNED, "--mirror", mirror.url, env=env, timeout=60)
    assert_clean_exit(r, 0)
    assert f"nkdata {PINNED}" in r.out and not leftovers(tmp_path / "cache"), r


# ============================================================ item 10: abort at exit


@pytest.mark.slow
def test_no_abort_at_exit_under_cpu_load(tmp_path: Path) -> None:
    """Library users have no os._exit: `import nkdata; nkdata.load()` must exit 0 in every format.

    Probabilistic: the issue saw 2-10 aborts in 40 runs on a busy machine; here 1 in 4
    runs aborted while other test suites ran, 0 in 30 on a quieter machine. This short
    run reminds; the fix's own 500-run stress test is the proof.
    """
    env = base_env(tmp_path)
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"], preexec_fn=os.setsid) for _ in range(2)]
    try:
        results = [py(f"import nkdata; ds = nkdata.load(format={fmt!r}); assert len(ds) >= 5", env, timeout=60) for fmt in ("pandas", "arrow") * 2]
    finally:
        for b in burners:
            os.killpg(b.pid, signal.SIGKILL)
            b.wait()
    aborted = [r for r in results if r.rc != 0 or "terminate called" in r.err]
    assert not aborted, "\n".join(map(str, aborted))


# ============================================================ weaknesses


def test_killed_build_staging_is_cleaned_by_next_build(project: Path, tmp_path: Path, env: dict[str, str]) -> None:
    out = tmp_path / "out"
    t0 = time.monotonic()
    proc = start([NKDATA, "build", str(project), "--out", str(out), "-q"], env)
    while proc.poll() is None and time.monotonic() - t0 < 60 and not (out.is_dir() and any(p.name.startswith(".nkdata-") for p in out.iterdir())):
        time.sleep(0.005)
    kill(proc)
    assert any(p.name.startswith(".") for p in out.iterdir()), "the build was not caught mid-write"
    r = cli("build", project, "--out", out, "-q", env=env, timeout=60)
    assert_clean_exit(r, 0)
    assert not leftovers(out), leftovers(out)


@pytest.mark.parametrize(
    "out_kind",
    ["file", "name-too-long"],
)
def test_bad_out_is_a_clean_error(project: Path, tmp_path: Path, env: dict[str, str], out_kind: str) -> None:
    out = tmp_path / "outfile"
    if out_kind == "file":
        out.write_text("x")
    else:
        out = tmp_path / ("a" * 300)
    r = cli("build", project, "--out", out, "-q", env=env, timeout=60)
    assert_clean_exit(r, (1, 2), timeout=60)
    assert out.name[:40] in r.text, r


def test_efbig_during_build_is_a_clean_error(project: Path, tmp_path: Path, env: dict[str, str]) -> None:
    r = cli("build", project, "--out", tmp_path / "out", "-q", env=env, timeout=60, fsize=64 * 1024)
    assert_clean_exit(r, 1, timeout=60)


def test_cache_path_that_is_a_file(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    bad = tmp_path / "cache-file"
    bad.write_text("x")
    env["NKDATA_CACHE"] = str(bad)
    r = cli("info", "--version", PINNED, "--mirror", PINNED_ZIP.parent.as_uri(), env=env, timeout=60)
    assert_clean_exit(r, (1, 2), timeout=60)
    assert str(bad) in r.text and "could not download" not in r.text, r


def test_plain_path_mirror_is_a_folder(tmp_path: Path) -> None:
    r = cli("info", "--version", PINNED, "--mirror", PINNED_ZIP.parent, env=base_env(tmp_path), timeout=60)
    assert_clean_exit(r, 0, timeout=60)


def test_corrupted_cached_zip_is_named_as_such(tmp_path: Path) -> None:
    env = base_env(tmp_path)
    (tmp_path / "cache" / PINNED_ZIP.name).write_bytes(b"garbage")
    r = cli("info", "--version", PINNED, env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert "not in the cache" not in r.text and PINNED_ZIP.name in r.text, r


_FORGED_ID = "fig-x\n::error file=README.md,line=1::pwned\nvalid: no problems found.\n\x1b[2J"


@pytest.mark.parametrize("command", ["validate", "build"])
def test_ids_cannot_forge_output_lines(project: Path, tmp_path: Path, env: dict[str, str], command: str) -> None:
    edit(project / SOURCE, "  - figure_id: fig-nis-troops-deployed-1500-kbsworld-188550", "  - figure_id: " + json.dumps(_FORGED_ID))
    extra = ["--out", str(tmp_path / "out"), "-q"] if command == "build" else []
    r = cli(command, project, *extra, env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    lines = r.text.splitlines()
    assert not any(line.startswith("::") for line in lines), r
    assert "valid: no problems found." not in lines and "\x1b" not in r.text, r


@pytest.mark.parametrize(
    "name,extra",
    [("-rf.txt", []), ("--help.txt", []), ("..txt", ["--id", "src-dots"]), ("good.txt", ["--id", "src-good\n"])],
    ids=["dash-rf", "dash-help", "dotdot", "id-newline"],
)
def test_new_source_refuses_odd_names(project: Path, tmp_path: Path, env: dict[str, str], name: str, extra: list[str]) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / name).write_text("North Korea sent 100 troops.\n", encoding="utf-8")
    before = sorted(os.listdir(project / "seeds")), sorted(os.listdir(project / "data/sources"))
    r = cli("new-source", *extra, "--", name, project, env=env, timeout=30, cwd=work)
    assert_clean_exit(r, (1, 2), timeout=30)
    assert (sorted(os.listdir(project / "seeds")), sorted(os.listdir(project / "data/sources"))) == before, "new-source wrote files"


def test_unread_yaml_in_data_is_reported(project: Path, env: dict[str, str]) -> None:
    (project / "data/figures.yaml").write_text("figures:\n  - figure_id: fig-lost\n", encoding="utf-8")
    r = cli("validate", project, env=env, timeout=30)
    assert_clean_exit(r, 1, timeout=30)
    assert "data/figures.yaml" in r.out, r


def _release_project(tmp_path: Path, env: dict[str, str]) -> Path:
    proj = copy_project(tmp_path / "proj")
    shutil.copytree(REPO / "nkdata", proj / "nkdata", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(REPO / "CHANGELOG.md", proj / "CHANGELOG.md")
    assert_clean_exit(cli("release", proj, "--check", env=env, timeout=60), 0)
    return proj


def test_release_check_refuses_stale_release_staging(tmp_path: Path, env: dict[str, str]) -> None:
    proj = _release_project(tmp_path, env)
    (proj / "data" / "releases" / ".0.2.0.k1ll3d").mkdir()
    r = cli("release", proj, "--check", env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert ".0.2.0.k1ll3d" in r.text, r


def test_release_check_refuses_stale_embedded_staging(tmp_path: Path, env: dict[str, str]) -> None:
    proj = _release_project(tmp_path, env)
    shutil.copytree(proj / "nkdata" / "_release", proj / "nkdata" / ".release.k1ll3d")
    r = cli("release", proj, "--check", env=env, timeout=60)
    assert_clean_exit(r, 1, timeout=60)
    assert ".release.k1ll3d" in r.text, r
