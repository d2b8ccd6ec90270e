"""One entry point for checking curated data: models, then everything across records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import checks
from .errors import ValidationFailed
from .problems import Problem
from .project import Curated, read_project
from .textmatch import IndexedText


@dataclass
class CheckedProject:
    """A project that has been fully checked, with what the build needs."""

    curated: Curated
    texts: dict[str, IndexedText]
    offsets: dict[str, tuple[int, int]]

    @property
    def problems(self) -> list[Problem]:
        return self.curated.problems


def check_project(path: Path | str | None = None) -> CheckedProject:
    """Read and check a project; problems are collected, never raised."""
    cur = read_project(path)
    texts, offsets = checks.run_all(cur)
    cur.problems.sort(key=lambda p: (p.path, p.line or 0, p.col or 0, p.code))
    return CheckedProject(cur, texts, offsets)


def validate(path: Path | str | None = None) -> list[Problem]:
    """Every problem in the curated project at ``path`` (empty when valid)."""
    return check_project(path).problems


def load_valid(path: Path | str | None = None) -> CheckedProject:
    """A checked project, or :class:`ValidationFailed` carrying all its problems."""
    checked = check_project(path)
    if checked.problems:
        raise ValidationFailed(checked.problems)
    return checked
