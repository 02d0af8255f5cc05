"""``text.facts``: one fact read to one value whatever its form, and text that is no fact left alone.

Generated strings only (no data set text): the forms a figure, a date, a time, initials and a
quantity are written in, each read to the same value; a property test that parsing never raises
and that a figure written with or without separators or a scale word reads the same."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace.text.facts import facts, same_fact

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]


def values(text: str) -> list[tuple[str, ...]]:
    return [f.value for f in facts(text)]


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("1,800 troops", "1800 troops"),
        ("$3.8bn", "3.8 billion dollars"),
        ("two million", "2,000,000"),
        ("80 937 hectares", "80,937 ha"),
        ("on 30 September 2003", "on Sept. 30"),
        ("by 11 September", "by Sept. 11"),
        ("at 0240 GMT", "at 2:40 a.m."),
        ("at 7 p.m.", "at 19:00"),
        ("the N.R.A.", "the NRA"),
        ("the 9th circuit", "the Ninth circuit"),
        ("220 pounds", "100 kg"),
        ("200,000 acres", "80,937 hectares"),
        ("50 degrees Celsius", "122 Fahrenheit"),
    ],
)
def test_one_fact_in_two_forms(one: str, other: str) -> None:
    (u,), (v,) = values(one), values(other)
    assert same_fact(u, v) and same_fact(v, u), (u, v)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("1,800 troops", "1,900 troops"),
        ("on 30 September 2003", "on 30 September 2004"),
        ("on 30 September", "on 30 October"),
        ("at 7 p.m.", "at 7 a.m."),
        ("220 pounds", "120 kg"),
        ("16.70 mln tonnes", "17.30 mln tonnes"),  # in one unit no rounding: another month's estimate
        ("50 degrees Celsius", "50 Fahrenheit"),
        ("100 km", "100 kg"),  # one figure, two dimensions
        ("the NRA", "the NBA"),
    ],
)
def test_other_facts_stay_apart(one: str, other: str) -> None:
    (u,), (v,) = values(one), values(other)
    assert not same_fact(u, v), (u, v)


def test_verbs_and_words_are_no_facts() -> None:
    assert values("Prices may rise as troops march on.") == []
    assert values("They may 2 be") == [("num", "2")]  # "may" lower-case is a verb, not a month


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.ascii_letters + string.digits + " .,:;/()$£%-\n" + "é’", max_size=120))
def test_parsing_never_raises(text: str) -> None:
    for f in facts(text):
        assert 0 <= f.start < f.end <= len(text)
        assert same_fact(f.value, f.value)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_a_figure_reads_the_same_with_or_without_separators(n: int) -> None:
    plain, grouped = values(f"up to {n} people"), values(f"up to {n:,} people")
    assert len(plain) == len(grouped) == 1 and same_fact(plain[0], grouped[0])
    if n and n % 10**6 == 0:
        (scaled,) = values(f"up to {n // 10**6} million people")
        assert same_fact(scaled, plain[0])


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=28), st.sampled_from(MONTHS), st.integers(min_value=1900, max_value=2099))
def test_a_date_reads_the_same_day_first_or_month_first(day: int, month: str, year: int) -> None:
    (a,) = values(f"on {day} {month} {year}, they said")
    (b,) = values(f"on {month} {day}, {year} they said")
    (c,) = values(f"on {month[:3]}. {day} they said")
    assert same_fact(a, b) and same_fact(a, c) and same_fact(b, c)
