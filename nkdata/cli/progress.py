"""Progress of long work, drawn by the CLI (the library only calls a callback).

Library functions that can take seconds accept ``progress(label, done, total)``;
:class:`TerminalBar` draws it on stderr, but only on a terminal and only once
the work has taken longer than a couple of seconds, so quick runs, pipes and
CI logs stay clean.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

Progress = Callable[[str, int, int], None]

DELAY = 2.0  # seconds of work before a bar appears
WIDTH = 28


class TerminalBar:
    """A one-line bar on ``stream``: ``label [#####.......]  12/40``; silent for the first ``delay`` seconds."""

    def __init__(self, stream: TextIO | None = None, delay: float = DELAY, clock: Callable[[], float] = time.monotonic):
        self.stream = stream if stream is not None else sys.stderr
        self.delay = delay
        self.clock = clock
        self.started = clock()
        self.last_draw = 0.0
        self.drawn = 0  # width of the line on screen, to clear it

    def __call__(self, label: str, done: int, total: int) -> None:
        now = self.clock()
        if now - self.started < self.delay or (now - self.last_draw < 0.1 and done < total):
            return
        self.last_draw = now
        filled = int(WIDTH * done / total) if total else WIDTH
        line = f"{label[:40]:<40} [{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total}"
        pad = " " * max(0, self.drawn - len(line))
        self.stream.write("\r" + line + pad)
        self.stream.flush()
        self.drawn = len(line)

    def close(self) -> None:
        """Erase the bar, so what follows starts on a clean line."""
        if self.drawn:
            self.stream.write("\r" + " " * self.drawn + "\r")
            self.stream.flush()
            self.drawn = 0


def wanted(quiet: bool, stream: TextIO | None = None) -> bool:
    """Draw a bar only on an interactive terminal, and never with ``--quiet``."""
    stream = stream if stream is not None else sys.stderr
    try:
        return not quiet and stream.isatty()
    except (AttributeError, ValueError):  # closed or unusual streams
        return False


@contextmanager
def terminal(quiet: bool = False, stream: TextIO | None = None) -> Iterator[Progress | None]:
    """A progress callback for the CLI (None when no bar should be drawn); the bar is erased on exit."""
    if not wanted(quiet, stream):
        yield None
        return
    bar = TerminalBar(stream)
    try:
        yield bar
    finally:
        bar.close()


__all__ = ["Progress", "TerminalBar", "terminal", "wanted"]
