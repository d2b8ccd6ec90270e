"""A release CSV read as lines of text, for what Arrow does not tell: the header, and the line of
the first row that breaks the format (a cell too many or too few, an empty line, a quote never
closed, bytes that are not UTF-8) when Arrow refuses a file without saying where.

Lines are counted as the checker counts a table's rows (a line feed in a quoted cell starts a new
one, a lone CR there does not: :class:`TextLines`). Only the lines read are decoded, so bytes that
are not UTF-8 on line 2 do not make the header unreadable.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

MAX_LINE_CHARS = 64 << 20  # Arrow reads no longer row (its largest block)


class BadLine(ValueError):
    """A line that is not text a CSV of a release may hold: where, and what is wrong."""

    def __init__(self, line: int, what: str):
        super().__init__(f"line {line}: {what}")
        self.line, self.what = line, what


class TextLines:
    """A file's lines for :mod:`csv`, line ends kept (``\\n``, ``\\r\\n`` or ``\\r``), each checked to be
    UTF-8 and at most :data:`MAX_LINE_CHARS` long (else :class:`BadLine`).

    Numbered as the package checker numbers a table's rows (``Checked.lines``): a line feed ends a
    line, and so does a CR that ends a row, but not a lone CR inside a quoted cell (a value may hold
    one; the build writes it as it is), or a malformed row would be reported a line below its own.
    """

    def __init__(self, path: Path):
        self.path = path
        self.line = 1  # the line the next piece read starts on
        self.quoted = False  # inside a quoted cell: an odd number of quotes read so far

    def __iter__(self) -> Iterator[str]:
        column = 0  # characters of the line before the next piece
        with open(self.path, encoding="utf-8", errors="surrogateescape", newline="") as fh:
            while piece := fh.readline(MAX_LINE_CHARS + 1):
                if len(piece) > MAX_LINE_CHARS:
                    raise BadLine(self.line, f"the line is longer than {MAX_LINE_CHARS:,} characters")
                if not piece.isascii():
                    try:
                        piece.encode("utf-8")
                    except UnicodeEncodeError as exc:  # a byte that did not decode, kept as a lone surrogate
                        byte = ord(piece[exc.start]) - 0xDC00
                        raise BadLine(self.line, f"the line is not UTF-8 text (byte {byte:#04x} at character {column + exc.start + 1})") from None
                self.quoted ^= piece.count('"') % 2 == 1
                if piece.endswith("\n") or not self.quoted:
                    self.line, column = self.line + 1, 0
                else:
                    column += len(piece)
                yield piece


def read_header(path: Path) -> list[str]:
    """The names of the header line ([] for an empty file). Raises :class:`BadLine`, ``csv.Error``, ``OSError``."""
    return next(csv.reader(TextLines(path)), [])


def first_malformed_row(path: Path, width: int) -> tuple[int, str] | None:
    """The line of the first row after the header that is not ``width`` cells of CSV, and what is
    wrong with it; None when there is none, or when Python's csv module cannot read that far."""
    lines = TextLines(path)
    reader = csv.reader(lines, strict=True)
    start = 1
    try:
        for row in reader:
            if start > 1 and len(row) != width:
                return start, "the line is empty" if not row else f"the row has {len(row)} cells, the header {width}"
            start = lines.line
    except BadLine as exc:
        return exc.line, exc.what
    except OSError:
        return None
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            return None  # a long cell, which a release may hold: the module reads no further
        if "unexpected end of data" in str(exc):
            return start, "a quote opened in this row is never closed"
        return start, f"the row is not CSV ({exc})"
    return None
