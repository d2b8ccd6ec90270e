"""Shared helpers for the release tests (build, load, fetch, wheel, CLI).

Import what you need; the shared fixtures (``built``, ``old_release``) are in conftest.py.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import hashlib
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nkdata

REPO = Path(__file__).resolve().parents[1]
VERSION = nkdata.__version__
NAME = f"nkdata-{VERSION}"
EMBEDDED = REPO / "nkdata" / "_release" / NAME
SRC_001 = "data/sources/001_6a6af57649902c1b.yaml"
TABLES = ["sources", "entities", "figures", "statements", "events", "claims"]
HEAVY = ("pandas", "pyarrow", "frictionless", "requests", "pydantic", "yaml")


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (recursively, hidden ones included) by relative path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def entries_of(folder: Path) -> list[str]:
    """Every entry (files and folders, hidden ones included) under ``folder``."""
    return sorted(p.relative_to(folder).as_posix() for p in Path(folder).rglob("*"))


def flip_byte(path: Path, at: float = 0.5) -> None:
    """Change one byte of ``path`` in place (same size: only the hash can tell)."""
    data = bytearray(Path(path).read_bytes())
    i = int(len(data) * at)
    data[i] = (data[i] + 1) % 256 if data[i] != ord("\n") - 1 else data[i] + 2
    Path(path).write_bytes(bytes(data))


def csv_rows(path: Path, fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A release CSV parsed by the standard library, typed as its Table Schema says.

    Independent of nkdata's own readers: "" is null, arrays are JSON, dates ISO.
    """
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        assert header == [f["name"] for f in fields], f"{path}: header differs from the schema"
        types = [f["type"] for f in fields]
        out = []
        for cells in reader:
            row = {}
            for name, ftype, cell in zip(header, types, cells, strict=True):
                row[name] = None if cell == "" else _typed(cell, ftype)
            out.append(row)
    return out


def _typed(cell: str, ftype: str) -> Any:
    if ftype == "integer":
        return int(cell)
    if ftype == "number":
        return float(cell)
    if ftype == "boolean":
        assert cell in ("true", "false"), cell
        return cell == "true"
    if ftype == "date":
        return dt.date.fromisoformat(cell)
    if ftype == "array":
        value = json.loads(cell)
        assert isinstance(value, list) and all(isinstance(v, str) for v in value), cell
        return value
    return cell


def snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Every entry under ``root`` with its content hash (folders: "dir") and mtime: any write shows."""
    out = {}
    for p in sorted(Path(root).rglob("*")):
        st = p.lstat()
        out[p.relative_to(root).as_posix()] = ("dir" if p.is_dir() else sha256(p), st.st_mtime_ns)
    return out


def descriptor(folder: Path) -> dict[str, Any]:
    return json.loads((Path(folder) / "datapackage.json").read_text(encoding="utf-8"))


# ------------------------------------------------------------------ builds


def copy_release(src: Path, dest: Path) -> Path:
    """A writable copy of a release folder, keeping its name."""
    target = Path(dest) / Path(src).name
    shutil.copytree(src, target)
    return target


# ------------------------------------------------------------------ processes


def run_nkdata(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m nkdata.cli.main ARGS`` in a child process."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "NKDATA_MIRROR")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "nkdata.cli.main", *args], cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout
    )


def assert_clean_failure(returncode: int, output: str, code: int) -> None:
    """Exit ``code`` with a message and no Python traceback."""
    assert returncode == code, output
    assert "Traceback" not in output, output
    assert output.strip(), "a failure must say something"


# ------------------------------------------------------------------ a loopback mirror


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]
    redirects: dict[str, str]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.requests.append(self.path)
        if self.path in self.redirects:  # as GitHub Releases sends a download on to its asset store
            self.send_response(302)
            self.send_header("Location", self.redirects[self.path])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()


@functools.lru_cache(maxsize=1)
def _certificate() -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (made once per test process with openssl)."""
    folder = Path(tempfile.mkdtemp(prefix="nkdata-test-tls-"))
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return str(cert), str(key)


class Mirror:
    """A folder served over HTTPS on 127.0.0.1 (never the network); records each GET.

    Mirrors must be https:// (plain http is refused); the test certificate is
    trusted through REQUESTS_CA_BUNDLE while the mirror runs (see ``serve``).
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.requests: list[str] = []
        self.redirects: dict[str, str] = {}  # path -> where a GET of it is redirected (302)
        self.cert, key = _certificate()
        handler = type("Handler", (_QuietHandler,), {"requests": self.requests, "redirects": self.redirects})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(self.folder)))
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, key)
        self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        # a short poll: shutdown() waits for the serving loop to look (0.5 s by default, after every test)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join(timeout=10)
            self.running = False


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[Mirror]:
    mirror = Mirror(folder)
    saved = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = mirror.cert
    try:
        yield mirror
    finally:
        mirror.stop()
        if saved is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = saved
