"""Finding evidence in source texts, and numbers in evidence.

The normalisation (documented in CONTRIBUTING.md) makes typographic variants
compare equal while keeping everything else verbatim, case included:

1. Unicode NFKC, character by character (so "…" is "...", a no-break space is a space);
2. curly and prime single quotes/apostrophes (‘ ’ ‚ ‛ ′ ` ´) become ', and curly
   double quotes (“ ” „ ‟ ″) become ";
3. hyphen and dash variants (‐ ‑ ‒ – — ― − ﹘ ﹣ －) become -;
4. every run of white space becomes one space, and the ends are trimmed.

Offsets are always reported in the *original* text, so a user can slice
``text[evidence_start:evidence_end]`` and read the source's own characters.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

FOLD = {
    **dict.fromkeys("‘’‚‛′`´", "'"),
    **dict.fromkeys("“”„‟″", '"'),
    **dict.fromkeys("‐‑‒–—―−﹘﹣－", "-"),
}


_FOLD_TABLE = str.maketrans(FOLD)


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    # fold first too: NFKC would turn "″" into two primes before it could become '"'
    out = unicodedata.normalize("NFKC", FOLD.get(ch, ch))
    return "".join(" " if c.isspace() else FOLD.get(c, c) for c in out)


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """Normalised text plus, for each of its characters, the index of the original character.

    For ASCII or NFKC text (nearly every source) each character folds to one character, so
    :func:`normalise_with_map_slow`'s loop comes down to a translation, and one space for each run
    of white space between words, standing where the run's last white space was: worked out on the
    code points at once (2.4-3.3x faster on real and synthetic texts; tests check the two agree, maps included).
    """
    import numpy as np

    if not (text.isascii() or unicodedata.is_normalized("NFKC", text)):
        return normalise_with_map_slow(text)
    fold, spaces = _tables()
    code = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    code = np.where(code < len(fold), fold[np.minimum(code, len(fold) - 1)], code)  # FOLD (str.translate is 10x slower)
    folded = code.tobytes().decode("utf-32-le", "surrogatepass")
    space = spaces[np.minimum(code, len(spaces) - 1)]
    word = ~space
    seen = np.logical_or.accumulate(word)  # a word before (or at) each place
    ahead = np.logical_or.accumulate(word[::-1])[::-1]  # a word after (or at) each place
    last_of_run = space & np.append(word[1:], False)
    kept = word | (last_of_run & seen & ahead)
    return " ".join(folded.split()), np.flatnonzero(kept).tolist()


#: The code points ``str.isspace()`` (and ``str.split()``) take for white space.
SPACES = (*range(0x09, 0x0E), *range(0x1C, 0x21), 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000)


@lru_cache(maxsize=1)
def _tables() -> tuple[Any, Any]:
    """By code point: what FOLD makes of it (up to the last it changes), and whether it is white space
    (up to one past the last; that one stands for all above)."""
    import numpy as np

    fold = np.arange(max(map(ord, FOLD)) + 1, dtype=np.uint32)
    for old, new in FOLD.items():
        fold[ord(old)] = ord(new)
    spaces = np.zeros(max(SPACES) + 2, dtype=bool)
    spaces[list(SPACES)] = True
    return fold, spaces


def normalise_with_map_slow(text: str) -> tuple[str, list[int]]:
    """:func:`normalise_with_map` one character at a time, for any text: the reference."""
    out: list[str] = []
    where: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        for c in _fold_char(ch):
            if c == " ":
                pending_space = bool(out)
                space_at = i
                continue
            if pending_space:
                out.append(" ")
                where.append(space_at)
                pending_space = False
            out.append(c)
            where.append(i)
    return "".join(out), where


def normalise(text: str) -> str:
    """The normalised form used to compare evidence with source texts.

    Most text is ASCII or already NFKC, where every character is its own NFKC
    form: then folding and collapsing white space is all there is to do, and
    ``str.translate``/``str.split`` do it in C. Other text takes the careful
    character-by-character path (tests check both paths agree).
    """
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return " ".join(text.translate(_FOLD_TABLE).split())
    return normalise_with_map_slow(text)[0]


def normalise_slow(text: str) -> str:
    """The character-by-character normalisation alone (the reference for :func:`normalise`)."""
    return normalise_with_map_slow(text)[0]


class IndexedText:
    """A source text prepared for repeated evidence look-ups."""

    def __init__(self, text: str):
        self.text = text
        self.norm, self._where = normalise_with_map(text)

    def find(self, span: str) -> tuple[int, int] | None:
        """Original-text offsets [start, end) of the first occurrence of ``span``, or None."""
        needle = normalise(span)
        if not needle:
            return None
        at = self.norm.find(needle)
        while at >= 0:
            start, end = self._where[at], self._where[at + len(needle) - 1] + 1
            # a match may begin or end inside one character's expansion ("i" in "ﬁ"): skip those
            if normalise(self.text[start:end]) == needle:
                return start, end
            at = self.norm.find(needle, at + 1)
        return None

    def __contains__(self, span: str) -> bool:
        return self.find(span) is not None


# ---------------------------------------------------------------- numbers

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "a": 1,
    "an": 1,
    "dozen": 12,
}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "k": 1_000}
_NUM = r"\d{1,3}(?:[,\u00a0 ]\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?"
_NUMBER_RE = re.compile(
    rf"(?<![\w.])(?P<num>{_NUM}|(?:{'|'.join(sorted(NUMBER_WORDS, key=len, reverse=True))})\b)"
    rf"(?:[ -](?P<scale>hundred|thousand|million)\b|(?P<k>k)\b)?",
    re.IGNORECASE,
)
_RANGE_RE = re.compile(r"(?<![\w.,])(?P<low>\d{1,3})\s*(?:to|-|and)\s*(?P<high>\d{1,3}(?:,\d{3})+)(?!\d|,\d)")


def _to_number(num: str, scale: str | None) -> float | None:
    word = num.lower()
    if word in NUMBER_WORDS:
        base = float(NUMBER_WORDS[word])
        if word in ("a", "an") and not scale:
            return None  # "a" alone is an article, not a number
    else:
        base = float(re.sub(r"[,\u00a0 ]", "", num))
    if scale:
        base *= _SCALES[scale.lower()]
    return base


def numbers_in(text: str) -> set[float]:
    """Every number a reader would see in ``text``: '4,000', '4000', 'some 30 percent',
    'a thousand', '1.5 million', and the shared scale of '11 to 12,000' (11,000)."""
    norm = normalise(text)
    found: set[float] = set()
    for m in _NUMBER_RE.finditer(norm):
        value = _to_number(m.group("num"), m.group("scale") or m.group("k"))
        if value is not None:
            found.add(value)
    for m in _RANGE_RE.finditer(norm):
        high = m.group("high")
        scale = 10 ** (3 * high.count(","))
        found.add(float(m.group("low")) * scale)
    found |= _spoken_numbers(norm)
    return found


# Spoken-style numbers, as KBS World and interview transcripts write them:
# "twenty-five thousand" (25,000), "four-thousand-100" (4,100), and ranges that
# share one scale word, "20-25 thousand" / "two to three thousand" (20,000 / 2,000).

_UNIT_WORDS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TENS_WORDS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_SMALL_WORDS = sorted((w for w in NUMBER_WORDS if w not in ("a", "an", "dozen")), key=len, reverse=True)
_TENS_UNITS = rf"(?:{'|'.join(_TENS_WORDS)})-(?:{'|'.join(_UNIT_WORDS)})"
_SMALL = rf"(?:\d{{1,3}}(?![\d,]|\.\d)|(?:{_TENS_UNITS}|{'|'.join(_SMALL_WORDS)})\b)"
_TENS_UNITS_RE = re.compile(rf"(?<![\w.])(?P<num>{_TENS_UNITS})\b(?:[ -](?P<scale>hundred|thousand|million)\b)?", re.IGNORECASE)
_THOUSAND_PLUS_RE = re.compile(
    rf"(?<![\w.,])(?P<head>{_SMALL})[ -]thousand[ -](?:and[ -])?"
    rf"(?P<rest>{_SMALL}(?:[ -]hundred\b(?:[ -](?:and[ -])?{_SMALL})?)?)(?![\w,]|\.\d)",
    re.IGNORECASE,
)
_WORD_RANGE_RE = re.compile(
    rf"(?<![\w.,])(?P<low>\d+(?:\.\d+)?|{_TENS_UNITS}|{'|'.join(_SMALL_WORDS)})\s*(?:-|to)\s*"
    rf"(?P<high>\d+(?:\.\d+)?|{_TENS_UNITS}|{'|'.join(_SMALL_WORDS)})[ -](?P<scale>hundred|thousand|million)\b",
    re.IGNORECASE,
)


def _small_value(words: str) -> float:
    """Value of '100', 'seven', 'twenty-five', 'one hundred and five' (always below 1,000)."""
    m = re.fullmatch(r"(?P<head>.+?)[ -]hundred(?:[ -](?:and[ -])?(?P<tail>.+))?", words.lower())
    if m is None:
        return _plain_small(words.lower())
    return _plain_small(m.group("head")) * 100 + (_plain_small(m.group("tail")) if m.group("tail") else 0)


def _plain_small(word: str) -> float:
    if word.isdigit():
        return float(word)
    if "-" in word:
        tens, unit = word.split("-", 1)
        return float(NUMBER_WORDS[tens] + NUMBER_WORDS[unit])
    return float(NUMBER_WORDS[word])


def _spoken_numbers(norm: str) -> set[float]:
    found: set[float] = set()
    for m in _TENS_UNITS_RE.finditer(norm):
        found.add(_plain_small(m.group("num").lower()) * _SCALES.get((m.group("scale") or "").lower(), 1))
    for m in _THOUSAND_PLUS_RE.finditer(norm):
        found.add(_plain_small(m.group("head").lower()) * 1000 + _small_value(m.group("rest")))
    for m in _WORD_RANGE_RE.finditer(norm):
        low, high = (m.group(g).lower() for g in ("low", "high"))
        low_v = float(low) if low[0].isdigit() else _plain_small(low)
        high_v = float(high) if high[0].isdigit() else _plain_small(high)
        if low_v <= high_v:
            found.add(low_v * _SCALES[m.group("scale").lower()])
    return found
