"""Property tests for the evidence normalisation and the number finder (nkdata.checks.textmatch)."""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from nkdata.checks.textmatch import IndexedText, normalise, numbers_in

# The typographic classes the normalisation documents as equal.
SQUOTES = "'‘’‚‛′`´"
DQUOTES = '"“”„‟″'
DASHES = "-‐‑‒–—―−﹘﹣－"
SPACES = [" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2009", "\u202f", "\u3000", " \n\t "]

CLASSES = {"squote": SQUOTES, "dquote": DQUOTES, "dash": DASHES}
CHAR_CLASS = {c: name for name, chars in CLASSES.items() for c in chars}

words = st.text(alphabet=string.ascii_letters + string.digits + ".,;:()!?", min_size=1, max_size=8)


@st.composite
def token_lists(draw):
    """Abstract text: a list of ('word', w) and typographic class tokens."""
    kinds = st.sampled_from(["word", "word", "squote", "dquote", "dash", "space"])
    out = []
    for kind in draw(st.lists(kinds, min_size=1, max_size=25)):
        out.append((kind, draw(words) if kind == "word" else None))
    return out


def render(tokens, draw_choice) -> str:
    parts = []
    for kind, value in tokens:
        if kind == "word":
            parts.append(value)
        elif kind == "space":
            parts.append(draw_choice(SPACES))
        else:
            parts.append(draw_choice(CLASSES[kind]))
    return "".join(parts)


# ---------------------------------------------------------------- normalisation


@given(st.text())
@example("″x″")
@example("a´b")
@example("¨")
@example("  \u00a0\t x \n ")
def test_normalise_is_idempotent(s: str) -> None:
    once = normalise(s)
    assert normalise(once) == once


@given(st.text())
def test_normalised_text_has_no_whitespace_runs_or_ends(s: str) -> None:
    n = normalise(s)
    assert n == n.strip()
    assert "  " not in n
    assert all(not c.isspace() or c == " " for c in n)


@given(token_lists(), st.data())
def test_quote_dash_and_space_variants_compare_equal(tokens, data) -> None:
    a = render(tokens, lambda chars: data.draw(st.sampled_from(list(chars))))
    b = render(tokens, lambda chars: data.draw(st.sampled_from(list(chars))))
    assert normalise(a) == normalise(b)


@pytest.mark.parametrize("chars,canonical", [(SQUOTES, "'"), (DQUOTES, '"'), (DASHES, "-")])
def test_each_variant_becomes_its_canonical_character(chars: str, canonical: str) -> None:
    for c in chars:
        assert normalise(f"a{c}b") == f"a{canonical}b", repr(c)


def test_normalisation_keeps_case_and_letters() -> None:
    assert normalise("North Korea") != normalise("north korea")
    assert normalise("4,000") != normalise("4.000")
    assert normalise("“Hello” — world…") == '"Hello" - world...'


# ---------------------------------------------------------------- finding evidence


def substitute(s: str, data) -> str:
    """Replace each quote/dash/space character by a random variant of its class."""
    out = []
    for c in s:
        if c in CHAR_CLASS:
            out.append(data.draw(st.sampled_from(list(CLASSES[CHAR_CLASS[c]]))))
        elif c.isspace():
            out.append(data.draw(st.sampled_from(SPACES)))
        else:
            out.append(c)
    return "".join(out)


source_texts = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(string.ascii_letters + string.digits + ".,;: ")),
        st.sampled_from(list(SQUOTES + DQUOTES + DASHES)),
        st.sampled_from([c for c in "".join(SPACES)]),
        st.sampled_from(list("ﬁ…¨½é\u0301")),  # characters NFKC expands or combines
        st.characters(),
    ),
    min_size=1,
    max_size=80,
)


def test_find_never_starts_inside_an_expanded_character() -> None:
    # NFKC turns the ligature "ﬁ" into "fi"; the "i" of the text is the second character
    assert IndexedText("ﬁi").find("i") == (1, 2)
    assert IndexedText("ﬁ").find("i") is None
    assert IndexedText("ﬁsh").find("fish") == (0, 3)


@given(source_texts, st.data())
def test_find_returns_original_offsets_of_the_span(text: str, data) -> None:
    i = data.draw(st.integers(0, len(text) - 1))
    j = data.draw(st.integers(i + 1, len(text)))
    span = substitute(text[i:j], data)
    found = IndexedText(text).find(span)
    if not normalise(span):
        assert found is None
        return
    assert found is not None, (text, span)
    start, end = found
    assert 0 <= start < end <= len(text)
    assert normalise(text[start:end]) == normalise(span)
    assert start <= j  # the first occurrence is never after the one we cut out


@given(source_texts, st.text(alphabet="xyz#", min_size=1, max_size=5))
def test_find_does_not_find_what_is_not_there(text: str, marker: str) -> None:
    assume("#" not in normalise(text))
    assert IndexedText(text).find(marker + "#") is None


def test_find_on_a_real_sentence() -> None:
    text = "He explained,\n“North Korean troops have disappeared — briefly.”"
    start, end = IndexedText(text).find('explained, "North Korean troops have disappeared - briefly."')
    assert text[start:end] == "explained,\n“North Korean troops have disappeared — briefly.”"


# ---------------------------------------------------------------- numbers


def grouped(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


PREFIXES = ["", "some ", "more than ", "approximately ", "about ", "over ", "at least ", "an estimated ", "nearly "]
SUFFIXES = ["", " percent", " troops", ".", ",", " casualties.", "%", " members of the force"]
SEPARATORS = [",", " ", "\u00a0", "\u202f"]


@given(
    st.integers(0, 10**8),
    st.sampled_from(SEPARATORS),
    st.sampled_from(PREFIXES),
    st.sampled_from(SUFFIXES),
    st.booleans(),
)
@example(4000, ",", "more than ", "", True)
@example(4000, " ", "some ", " troops", True)
@example(4000, "\u00a0", "", "", True)
@example(30, ",", "some ", " percent", True)
def test_numbers_in_finds_each_way_of_writing_n(n: int, sep: str, prefix: str, suffix: str, use_groups: bool) -> None:
    written = grouped(n, sep) if use_groups else str(n)
    sentence = f"The NIS said {prefix}{written}{suffix} according to Lee."
    assert float(n) in numbers_in(sentence), sentence


@given(st.integers(1, 999), st.integers(1, 999), st.sampled_from([" to ", "-", "–", " – ", " and "]))
@example(3, 4, " to ")
@example(11, 12, " to ")
def test_numbers_in_reads_shared_scale_ranges(low: int, high: int, joiner: str) -> None:
    assume(low <= high)
    sentence = f"an additional {low}{joiner}{high},000 troops"
    found = numbers_in(sentence)
    assert float(low * 1000) in found, sentence
    assert float(high * 1000) in found, sentence


@given(st.integers(0, 10**7), st.integers(0, 10**7))
def test_numbers_in_full_ranges(low: int, high: int) -> None:
    found = numbers_in(f"from {low:,} to {high:,}")
    assert {float(low), float(high)} <= found


@pytest.mark.parametrize(
    "text,value",
    [
        ("a thousand soldiers", 1000),
        ("1.5 million", 1_500_000),
        ("4k troops", 4000),
        ("eleven thousand", 11000),
        ("on March 11 2025 some 300 arrived", 11),
        ("on March 11 2025 some 300 arrived", 2025),
        ("on March 11 2025 some 300 arrived", 300),
        ("11,000.", 11000),
    ],
)
def test_numbers_in_examples(text: str, value: float) -> None:
    assert float(value) in numbers_in(text)


# Words that are not numbers, including ones that begin with a number word.
NOT_NUMBERS = [
    "a", "an", "A", "another", "tent", "often", "oneself", "fourth", "sixth", "Tennessee", "tension",
    "attention", "someone", "none", "twofold", "seventh", "the", "troops", "casualties", "Kursk",
    "front", "reports", "percent", "said", "approximately", "more", "than", "some", "about",
]
NUMBER_WORDS = {
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty",
    "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "dozen", "hundred", "thousand", "million", "k",
}
plain_words = st.one_of(
    st.sampled_from(NOT_NUMBERS),
    st.text(alphabet=string.ascii_letters, min_size=1, max_size=10).filter(lambda w: w.lower() not in NUMBER_WORDS),
)


@given(st.lists(plain_words, max_size=12), st.sampled_from([" ", ", ", ". ", " - ", " “"]))
@example(["a"], " ")
@example(["tent", "often", "fourth"], " ")
def test_numbers_in_does_not_invent_numbers(ws: list[str], sep: str) -> None:
    assert numbers_in(sep.join(ws)) == set()


@given(st.lists(plain_words, max_size=6), st.integers(0, 10**9), st.lists(plain_words, max_size=6))
def test_a_lone_number_is_the_only_number(before: list[str], n: int, after: list[str]) -> None:
    assert numbers_in(" ".join([*before, str(n), *after])) == {float(n)}
