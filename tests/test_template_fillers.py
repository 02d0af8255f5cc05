"""The same facts written another way are not other fillers (``relate.template._fillers``).

A template changes the facts its mould carries; a rewrite of one report writes the same facts in
another order or spelling: a date day-first on one side and month-first on the other, a figure with the
currency letters glued to it on one side, a conversion kept on one side and dropped on the other. Real
MRPC pairs labelled paraphrase (../shared/data/mrpc, named by their ids; skipped when absent) show each,
through ``wiretrace.compare`` as a user calls it; generated sentences show the same at the unit level,
and that a mould filled with other figures stays a template.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.conftest import mrpc_pairs_by_id

import wiretrace
from wiretrace.relate.template import Side, _initials_of_runs, _name_runs, _runs_of, template
from wiretrace.text.tokens import Words

REWRITES = {
    # (#1 ID, #2 ID): what the two write differently of the same facts
    ("3424957", "3425063"): "a date day-first / month-first",
    ("1638813", "1639087"): "a date day-first / month-first",
    ("1805639", "1805436"): "dollar figures with and without the currency letters glued on",
    ("1965766", "1965716"): "a temperature with its conversion / without",
    # one fact in another form (``text.facts``)
    ("2095800", "2095807"): "a date with its year, day-first / month-first abbreviated",
    ("1550880", "1551024"): "a figure with / without a thousands separator",
    ("2566397", "2566529"): "two figures in another order",
    ("2916184", "2916154"): "a time written 24-hour / with a.m.",
    ("2284830", "2284862"): "initials with / without dots",
    ("666384", "666485"): "an ordinal in digits / in words, initials / the names spelled out",
    ("127940", "127709"): "a name / its initials",
    ("3093840", "3093801"): "weights in pounds / in kilograms, rounded",
    ("2905139", "2904947"): "an area in hectares (space-grouped) / in acres",
    ("2077719", "2077537"): "two prices in pounds sterling / in dollars at one rate",
    ("1944746", "1944634"): "a sum with its conversion in brackets / without",
    ("2019822", "2020185"): "a name misspelt by one letter",
}


@pytest.fixture(scope="module")
def mrpc_pairs() -> dict[tuple[str, str], tuple[str, str, str]]:
    return mrpc_pairs_by_id(set(REWRITES))


@pytest.mark.parametrize("ids", sorted(REWRITES))
def test_same_facts_rewritten_are_not_a_template(mrpc_pairs: dict, ids: tuple[str, str]) -> None:
    label, a, b = mrpc_pairs[ids]
    assert label == "1"  # MRPC calls them paraphrases
    assert _verdict(a, b) is None, REWRITES[ids]
    pair = wiretrace.compare(a, b)
    assert pair.relation != "template", (REWRITES[ids], pair.reasons)
    assert pair.relation is not None and pair.relation.value in {"paraphrase", "near_duplicate", "duplicate"}, pair.reasons


def _verdict(a: str, b: str):  # noqa: ANN202 - the verdict or None
    return template(Side(a, ((0, len(a)),)), Side(b, ((0, len(b)),)))


GENERATED = {
    # a report, the same facts written another way, the same mould with other facts
    "a date swapped": (
        "Shop sales in the nine weeks to 14 March fell 3 percent, the chain told its lenders in Leeds on Tuesday.",
        "Shop sales in the nine weeks to March 14 fell 3 percent, the chain told its lenders in Leeds on Tuesday.",
        "Shop sales in the nine weeks to 21 April fell 5 percent, the chain told its lenders in Hull on Tuesday.",
    ),
    "thousands and scale": (
        "The agency said 1,500,000 people had fled the floods and 2,300 homes were lost near the river.",
        "The agency said 1.5 million people had fled the floods and 2300 homes were lost near the river.",
        "The agency said 1,900,000 people had fled the floods and 4,100 homes were lost near the river.",
    ),
    "a conversion": (
        "The storm dumped 20 inches of rain on the town and winds reached 100 miles an hour on Friday.",
        "The storm dumped 51 cm of rain on the town and winds reached 161 km an hour on Friday.",
        "The storm dumped 12 inches of rain on the town and winds reached 70 miles an hour on Friday.",
    ),
    "currency letters": (
        "The miner rose $1.25 to $48.60 in Sydney, recovering most of the $2.10 it shed on Monday.",
        "The miner rose $US1.25 to $US48.60 in Sydney, recovering most of the $US2.10 it shed on Monday.",
        "The miner rose $US0.85 to $US41.30 in Sydney, recovering most of the $US1.70 it shed on Monday.",
    ),
}


@pytest.mark.parametrize("case", sorted(GENERATED))
def test_same_facts_another_way_are_no_template_and_other_facts_are(case: str) -> None:
    report, rewritten, other = GENERATED[case]
    assert _verdict(report, rewritten) is None
    verdict = _verdict(report, other)
    assert verdict is not None and verdict.differing >= 2 and "figures" in verdict.what


def _plain_runs(toks: tuple[str, ...], slots: list[bool], longest: int) -> list[tuple[int, int]]:
    """Every run of two to ``longest`` consecutive names, checked word by word (what the one-pass
    ``_name_runs`` must find)."""
    return [
        (i, i + n) for n in range(2, longest + 1) for i in range(len(toks) - n + 1)
        if all(slots[k] and toks[k].isalpha() for k in range(i, i + n))
    ]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["united", "states", "new", "york", "of", "12", "n", "y", "x1", "fed"]), st.booleans()), max_size=30),
    st.integers(min_value=2, max_value=6),
)
def test_name_runs_and_their_initials_as_word_by_word(words: list[tuple[str, bool]], longest: int) -> None:
    toks = tuple(t for t, _ in words)
    slots = [s for _, s in words]
    w = Words(toks, tuple(range(len(toks))), tuple(range(1, len(toks) + 1)))
    plain = _plain_runs(toks, slots, longest)
    assert sorted(_name_runs(w, slots, longest)) == sorted(plain)
    initials = {"".join(t[0] for t in toks[s:e]) for s, e in plain}
    assert _initials_of_runs(w, slots, longest) == initials
    wanted = set(sorted(initials)[:2]) | {"zz"}
    assert _runs_of(w, slots, wanted, longest) == {k for s, e in plain if "".join(t[0] for t in toks[s:e]) in wanted for k in range(s, e)}
