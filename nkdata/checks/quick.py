"""Quick, sufficient tests on many rows at once, for the evidence checks (no problem is reported here).

Each test answers True only where the exact, per-record check would find
nothing; False means "look closer", and the caller runs the exact check.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from nkdata.spec.conditions import false_for_null

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pyarrow as pa

_SCALE_WORDS = ("hundred", "thousand", "million")


@functools.lru_cache(maxsize=65536)
def _spellings(v: float) -> tuple[str, ...]:
    if not float(v).is_integer() or v < 0:
        return ()
    i = int(v)
    return (f"{i:,}", str(i)) if i >= 1000 else (str(i),)


def number_stands_alone(norm: str, v: float) -> bool:
    """A quick, sufficient test that ``v`` is among ``numbers_in`` of the text whose normalised form is ``norm``.

    True when ``v`` is written in digits ('4,000' or '4000') as a token of its
    own: not glued to a word, a decimal, a digit group or a scale word ('4
    thousand', '4k'). ``numbers_in`` reads such a token as exactly ``v``; every
    other case (words, scales, ranges, decimals) goes to ``numbers_in`` itself.
    """
    n = len(norm)
    for token in _spellings(v):
        at = norm.find(token)
        while at >= 0:
            end = at + len(token)
            ok = True
            if at:  # before: no word character or '.', and no digit group ("1 000", "1,000")
                b = norm[at - 1]
                if b in ", \u00a0":
                    ok = at < 2 or not norm[at - 2].isdigit()
                elif b.isalnum() or b in "_.":
                    ok = False
            if ok and end < n:  # after: no word character, decimal, digit group or scale word
                c = norm[end]
                d = norm[end + 1] if end + 1 < n else ""
                if c.isalnum() or c == "_":
                    ok = False
                elif c in ".,\u00a0 " and d.isdigit():
                    ok = False
                elif c in " -" and d in "hHtTmM" and norm[end + 1 : end + 9].lower().startswith(_SCALE_WORDS):
                    ok = False
            if ok:
                return True
            at = norm.find(token, at + 1)
    return False


# White space that normalising would change: anything but single inner spaces.
_ODD_SPACE = "[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f]|  |^ | $"


def plain_text(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Which strings are already in normalised form: ASCII, single spaces, nothing to trim."""
    import numpy as np
    import pyarrow.compute as pc

    odd = pc.match_substring_regex(values, _ODD_SPACE)
    return np.asarray(false_for_null(pc.and_(pc.string_is_ascii(values), pc.invert(odd))).to_numpy(zero_copy_only=False), dtype=bool)


@functools.lru_cache(maxsize=65536)
def _first_spelling(v: float) -> str:
    spellings = _spellings(v)
    return spellings[0] if spellings else "\x00"  # a token no evidence holds


def numbers_alone(evidence: pa.Array, texts: np.ndarray, values: pa.Array | pa.ChunkedArray, plain: np.ndarray, known: np.ndarray | None = None) -> np.ndarray:
    """Rows where ``number_stands_alone(text, value)`` holds, or the value is null; False: look closer.

    ``evidence`` (its strings are ``texts``, an object array) must be ASCII where
    ``plain``. Looks at the first place the value's first spelling occurs and checks
    the characters around it, as :func:`number_stands_alone` does, in bulk; anything
    unusual is left to the exact test. Rows in ``known`` (a value already tested) count as True.
    """
    import numpy as np

    null = np.asarray(values.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if known is not None:
        null |= known
    rows = np.flatnonzero(~null & plain)
    result: np.ndarray = null.copy()
    if not len(rows):
        return result
    numbers, which = np.unique(np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)[rows], return_inverse=True)
    spelt = [_first_spelling(float(v)) for v in numbers.tolist()]
    tokens = np.array(spelt, dtype=object)[which]
    pos = np.full(len(null), -1, dtype=np.int64)
    pos[rows] = np.fromiter(map(str.find, texts[rows], tokens), dtype=np.int64, count=len(rows))
    size = np.zeros(len(null), dtype=np.int64)
    size[rows] = np.array([len(t) for t in spelt], dtype=np.int64)[which]
    result[rows] = _alone_at(evidence, pos, size)[rows]
    return result


def _alone_at(evidence: pa.Array, pos: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Whether the token at ``pos`` (``size`` characters; -1: none) of each ASCII string stands alone."""
    import numpy as np
    import pyarrow as pa

    arr = evidence.cast(pa.large_string())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8) if arr.buffers()[2] is not None else np.zeros(1, np.uint8)
    at = offsets[:-1] + pos
    end = at + size
    stop = offsets[1:]

    def char(i: np.ndarray) -> np.ndarray:
        return data[np.clip(i, 0, max(len(data) - 1, 0))] if len(data) else np.zeros(len(i), np.uint8)

    def digit(c: np.ndarray) -> np.ndarray:
        out: np.ndarray = (c >= 48) & (c <= 57)
        return out

    def word(c: np.ndarray) -> np.ndarray:  # alphanumeric or '_'
        lower = c | 32
        out: np.ndarray = digit(c) | ((lower >= 97) & (lower <= 122)) | (c == 95)
        return out

    b, b2, c, d = char(at - 1), char(at - 2), char(end), char(end + 1)
    has_b2, has_c, has_d = pos > 1, end < stop, end + 1 < stop
    group = (b == 44) | (b == 32)  # ',' or ' ': a digit group when a digit comes before
    left = (pos == 0) | (group & ~(has_b2 & digit(b2))) | (~group & ~word(b) & (b != 46))
    scale = np.isin(c, np.frombuffer(b" -", np.uint8)) & has_d & np.isin(d, np.frombuffer(b"hHtTmM", np.uint8))
    scale[scale] = _scale_word(data, end[scale] + 1, stop[scale])
    right = ~has_c | (~word(c) & ~(np.isin(c, np.frombuffer(b"., ", np.uint8)) & has_d & digit(d)) & ~scale)
    out: np.ndarray = (pos >= 0) & left & right
    return out


def _scale_word(data: np.ndarray, at: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Whether the ASCII text from each ``at`` (before ``stop``) starts with a scale word, any case."""
    import numpy as np

    out = np.zeros(len(at), dtype=bool)
    for word in _SCALE_WORDS:
        want = np.frombuffer(word.encode(), dtype=np.uint8)
        room = at + len(want) <= stop
        got = data[np.minimum(at[:, None] + np.arange(len(want)), len(data) - 1)]
        got = np.where((got >= 65) & (got <= 90), got + 32, got)  # str.lower() of ASCII
        out |= room & (got == want).all(axis=1)
    return out
