"""numbers_in reads numbers the way KBS World and interview transcripts write them.

The curated excerpts say "some 12-thousand troops", "roughly 27-hundred wounded",
"another four-thousand-100 have been injured", "an additional 25-thousand to
30-thousand troops" and "another 20-25 thousand": each figure's value must be
found in its evidence (V402), so these spellings must be read as numbers.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nkdata.checks.textmatch import numbers_in

UNITS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


@pytest.mark.parametrize(
    "text,value",
    [
        # exactly as the archived KBS World / Yonhap / UNN excerpts spell them
        ("decided to send some 12-thousand troops in support", 12000),
        ("some 15-hundred special forces troops aboard Russian vessels", 1500),
        ("some 300 North Korean soldiers have been killed and roughly 27-hundred wounded", 2700),
        ("is preparing to send ten-thousand troops as well", 10000),
        ("roughly 600 North Korean soldiers have died fighting for Russia and another four-thousand-100 have been injured", 4100),
        ("the North sent a total of 15-thousand troops", 15000),
        ("agreed to send six-thousand military engineers", 6000),
        ("an additional 25-thousand to 30-thousand troops", 25000),
        ("an additional 25-thousand to 30-thousand troops", 30000),
        ("may attract another 20-25 thousand North Korean soldiers", 20000),
        ("may attract another 20-25 thousand North Korean soldiers", 25000),
        ("another 2-3 thousand troops from North Korea", 2000),
        ("losses of North Korean troops in Kursk already amount to 4 thousand people", 4000),
        ("They are losing them - 4 thousand as of now", 4000),
        ("a thousand of their troops killed or wounded", 1000),
        ("we think 2,000, 2.5-3,000, will be transferred", 3000),
        ("could be closer to around 11 to 12,000,” with", 11000),  # a shared-scale range before a comma
        # other spoken forms
        ("twenty-five thousand soldiers", 25000),
        ("four thousand one hundred wounded", 4100),
        ("four thousand one hundred and five", 4105),
        ("forty-two thousand three hundred", 42300),
        ("two to three thousand more", 2000),
        ("Twenty-Five Thousand", 25000),
    ],
)
def test_spoken_numbers_are_read(text: str, value: float) -> None:
    assert float(value) in numbers_in(text)


@given(st.sampled_from(UNITS + ["ten", "eleven", "twelve", "fifteen", "nineteen"] + TENS), st.integers(1, 999), st.sampled_from(["-", " "]))
def test_word_thousand_plus_digits(word: str, rest: int, sep: str) -> None:
    from nkdata.checks.textmatch import NUMBER_WORDS

    text = f"another {word}{sep}thousand{sep}{rest} have been injured"
    assert float(NUMBER_WORDS[word] * 1000 + rest) in numbers_in(text), text


@given(st.sampled_from(TENS), st.sampled_from(UNITS), st.sampled_from(["", " thousand", "-thousand", " hundred"]))
def test_hyphenated_tens_and_units(tens: str, unit: str, scale: str) -> None:
    from nkdata.checks.textmatch import NUMBER_WORDS

    factor = {"": 1, " thousand": 1000, "-thousand": 1000, " hundred": 100}[scale]
    text = f"some {tens}-{unit}{scale} troops"
    assert float((NUMBER_WORDS[tens] + NUMBER_WORDS[unit]) * factor) in numbers_in(text), text


@given(st.integers(1, 99), st.integers(1, 99), st.sampled_from(["-", " to ", " - "]), st.sampled_from(["hundred", "thousand", "million"]))
def test_ranges_sharing_one_scale_word(low: int, high: int, joiner: str, scale: str) -> None:
    factor = {"hundred": 100, "thousand": 1000, "million": 1_000_000}[scale]
    text = f"may send another {min(low, high)}{joiner}{max(low, high)} {scale} soldiers"
    found = numbers_in(text)
    assert float(min(low, high) * factor) in found, text
    assert float(max(low, high) * factor) in found, text


@pytest.mark.parametrize(
    "text,absent",
    [
        ("from 30 to 20 thousand", 30000),  # not a range: the low end is higher
        ("killed 300 and 2 thousand wounded", 300000),  # 'and' joins two counts, not a range
        ("4 thousand 300,000", 4300),  # a grouped number is not a remainder
        ("a-thousand-fold", 1001),
    ],
)
def test_no_spurious_compounds(text: str, absent: float) -> None:
    assert float(absent) not in numbers_in(text)


def test_a_lone_number_stays_alone() -> None:
    assert numbers_in("the NIS said 4100 troops") == {4100.0}
    assert numbers_in("twenty") == {20.0}
