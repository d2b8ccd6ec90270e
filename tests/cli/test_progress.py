"""Long work shows a bar on a terminal after a couple of seconds; never in pipes, CI logs or with --quiet.
The library only calls a callback."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from conftest import REPO, run_cli

from nkdata.checks.validation import validate
from nkdata.cli import progress
from nkdata.release.writer import build

sys.path.insert(0, str(REPO / "benchmarks"))
import synth  # noqa: E402


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_waits_then_draws_and_erases() -> None:
    clock, out = Clock(), io.StringIO()
    bar = progress.TerminalBar(out, delay=2.0, clock=clock)
    bar("reading", 1, 10)
    clock.now = 1.9
    bar("reading", 2, 10)
    assert out.getvalue() == ""  # quick work shows nothing
    clock.now = 2.5
    bar("reading data/sources", 5, 10)
    drawn = out.getvalue()
    assert drawn.startswith("\r") and "reading data/sources" in drawn and "5/10" in drawn and "#" * 14 in drawn
    clock.now = 2.55
    bar("reading data/sources", 6, 10)
    assert out.getvalue() == drawn  # at most ten redraws a second
    bar("reading data/sources", 10, 10)  # the last step always shows
    assert out.getvalue().endswith("10/10")
    bar.close()
    assert out.getvalue().endswith("\r")
    assert "\n" not in out.getvalue()


def test_bar_only_on_a_terminal_and_not_when_quiet() -> None:
    with progress.terminal(quiet=False, stream=io.StringIO()) as cb:
        assert cb is None
    with progress.terminal(quiet=True, stream=Tty()) as cb:
        assert cb is None
    with progress.terminal(quiet=False, stream=Tty()) as cb:
        assert isinstance(cb, progress.TerminalBar)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synth.write_project(tmp_path_factory.mktemp("progress") / "project", 150, seed=8)


def test_curated_validation_and_build_report_progress(project: Path, tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    assert validate(project, progress=lambda *a: calls.append(a)) == []
    labels = {label for label, _, _ in calls}
    assert {"reading data/sources", "checking records against texts"} <= labels
    assert all(0 <= done <= total for _, done, total in calls)
    calls.clear()
    build(project, tmp_path / "dist", progress=lambda *a: calls.append(a))
    assert calls[-1] == ("writing the release", 2, 2)


def test_cli_prints_no_bar_when_not_on_a_terminal(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # No run here is on a terminal, nor as long as the bar's delay, so no output can show a --quiet that
    # is dropped: what each command asks progress.terminal for (the real one answers) says it.
    asked: list[bool] = []
    real = progress.terminal
    monkeypatch.setattr(progress, "terminal", lambda quiet=False, stream=None: asked.append(quiet) or real(quiet, stream))
    result = run_cli("validate", str(project))
    assert result.exit_code == 0
    assert result.stderr == ""
    assert run_cli("validate", "--quiet", str(project)).stdout == ""
    result = run_cli("build", str(project), "--out", str(tmp_path / "dist"), "--quiet")
    assert result.exit_code == 0, result.output
    assert "\r" not in result.output
    assert asked == [False, True, True]
