"""``wiretrace.compare`` on short texts reads what each side writes that the other does not.

Two close sentences are most often not paraphrases because one adds a clause of new content; they
are paraphrases when the words one side has and the other lacks say the same thing otherwise. The
short-text model (``align.short_probability``) reads the MiniLM cosines of those residues beside the
sentence features. Real MRPC pairs (../shared/data/mrpc, named by their ids; skipped when absent),
through ``wiretrace.compare`` as a user calls it: each was answered the other way before the residues
were read, and MRPC's label agrees with the answer now.
"""

from __future__ import annotations

import pytest
from tests.conftest import mrpc_pairs_by_id

import wiretrace
from wiretrace.align import residue, sentence_profile

SAME = {"paraphrase", "near_duplicate", "duplicate"}

NEW_CONTENT = {
    # (#1 ID, #2 ID): what a side adds (MRPC: not paraphrases)
    ("849568", "849504"): "'searching for evidence of past water' / 'moving on six wheels'",
    ("2227183", "2227229"): "what the strike forced / what strikes preceded",
    ("2384840", "2385182"): "where the governor spoke / whom he appeared with",
    ("1077010", "1077133"): "counts and dates / other places and another killing",
}
SAID_OTHERWISE = {
    # (#1 ID, #2 ID): what each side writes that the other does not, the same thing (MRPC: paraphrases)
    ("1792303", "1792426"): "'the Cuban revolution' / 'Fidel Castro overthrew a dictatorship ...'",
    ("3118600", "3118635"): "'the telephone survey' / 'the poll conducted between ...'",
    ("1784440", "1784557"): "'were aboard ... which crashed' / 'the hijackers who flew'",
}


@pytest.fixture(scope="module")
def mrpc_pairs() -> dict[tuple[str, str], tuple[str, str, str]]:
    return mrpc_pairs_by_id(set(NEW_CONTENT) | set(SAID_OTHERWISE))


@pytest.mark.parametrize("ids", sorted(NEW_CONTENT))
def test_a_clause_of_new_content_is_not_a_paraphrase(mrpc_pairs: dict, ids: tuple[str, str]) -> None:
    label, a, b = mrpc_pairs[ids]
    assert label == "0"
    assert residue(a, 0, len(a), sentence_profile(b)) and residue(b, 0, len(b), sentence_profile(a))
    pair = wiretrace.compare(a, b)
    assert pair.relation is None or pair.relation.value not in SAME, (NEW_CONTENT[ids], pair.reasons)
    assert any("not the same content" in r for r in pair.reasons), pair.reasons


@pytest.mark.parametrize("ids", sorted(SAID_OTHERWISE))
def test_the_same_content_in_other_words_is_a_paraphrase(mrpc_pairs: dict, ids: tuple[str, str]) -> None:
    label, a, b = mrpc_pairs[ids]
    assert label == "1"
    pair = wiretrace.compare(a, b)
    assert pair.relation is not None and pair.relation.value == "paraphrase", (SAID_OTHERWISE[ids], pair.reasons)
    assert [(p.a, p.b) for p in pair.passages] == [((0, len(a)), (0, len(b)))]  # the two texts, one passage
