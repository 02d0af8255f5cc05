"""The lexical path's caches and shortcuts give what the plain computation gives.

``topic.cosine`` keeps idf-weighted norms per vector (emptied when the idf changes), ``tokens.sentences``
keeps sentence ranges per (text, range), ``stories.StoryIndex.upper`` bounds a story score from the
names alone (the index skips the content words of stories below it): each is checked against the
computation it stands for, on the sample corpus's real documents.
"""

from __future__ import annotations

import math
from itertools import combinations

from tests.conftest import CORPUS
from tests.test_stories import _sample_summaries

from wiretrace.stories import StoryIndex
from wiretrace.text import tokens
from wiretrace.text.topic import content_words, cosine


def _plain_cosine(a: dict[str, int], b: dict[str, int], idf: dict[str, float]) -> float:
    """The cosine written out, over every word of each side (no cache, no shared-word shortcut)."""
    w = lambda k: idf.get(k, 1.0)  # noqa: E731
    dot = sum(v * b.get(k, 0) * w(k) ** 2 for k, v in a.items())
    na = math.sqrt(sum((v * w(k)) ** 2 for k, v in a.items()))
    nb = math.sqrt(sum((v * w(k)) ** 2 for k, v in b.items()))
    return dot / (na * nb) if na and nb else 0.0


def _corpus_topics() -> dict[str, dict[str, int]]:
    return {p.stem: dict(content_words(p.read_text(encoding="utf-8"))) for p in sorted(CORPUS.glob("*.txt"))}


def test_cosine_with_kept_norms_equals_the_plain_cosine_and_follows_a_new_idf() -> None:
    topics = _corpus_topics()
    assert len(topics) >= 5
    idf1 = {k: 1.0 + (len(k) % 5) / 2 for t in topics.values() for k in t}
    idf2 = {k: 3.0 - (len(k) % 3) / 2 for k in idf1}  # other weights: the kept norms must not be read
    for idf in (idf1, idf2, idf1):
        for (_, a), (_, b) in combinations(sorted(topics.items()), 2):
            assert cosine(a, b, idf) == _plain_cosine(a, b, idf)  # the same float, not nearly
    a, b = list(topics.values())[:2]
    assert cosine(a, b, None) == _plain_cosine(a, b, {})
    # a mapping that is not a plain dict (the cleaner's Counters, which it changes) is never kept
    bag = content_words((CORPUS / "flood_origin_meridian.txt").read_text(encoding="utf-8"))
    first = cosine(bag, b, idf1)
    bag.update({"flood": 40})
    assert cosine(bag, b, idf1) == _plain_cosine(dict(bag), b, idf1) != first


def test_kept_sentences_are_a_fresh_list_each_call() -> None:
    text = (CORPUS / "flood_origin_meridian.txt").read_text(encoding="utf-8")
    first = tokens.sentences(text, 0, len(text))
    assert len(first) > 3
    first.clear()
    again = tokens.sentences(text, 0, len(text))
    assert len(again) > 3 and again == tokens.sentences(text, 0, len(text))
    assert again == list(tokens._sentences.__wrapped__(text, 0, len(text)))  # as computed without the cache


def test_story_score_never_exceeds_its_names_bound() -> None:
    summaries, idf = _sample_summaries()
    index = StoryIndex(idf)
    profiles = {i: index.profile([s]) for i, s in sorted(summaries.items())}
    pairs = 0
    for a, b in combinations(profiles.values(), 2):
        assert index.score(a, b) <= index.upper(a, b)
        pairs += index.score(a, b) > 0
    assert pairs > 0  # some pairs score: the bound is tested where it matters


def test_kept_words_hold_a_budget_of_words_least_recently_used_first_out() -> None:
    """``tokens.Kept`` (what ``words_in_ranges`` is) keeps results up to its budget of words: a hit
    is a use (the oldest unused result goes first), a result over a quarter of the budget is
    computed each time and never kept, and every answer equals the function's."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.txt"))[:6]]
    calls: list[str] = []

    def read(text: str, ranges: tuple[tuple[int, int], ...]) -> tokens.Words:
        calls.append(text)
        return tokens._words_in_ranges(text, ranges)

    # each text's first 100 words: a budget of 450 holds four of them, not five
    heads = [((0, tokens.words(t).ends[99]),) for t in texts]
    kept = tokens.Kept(read, len, 450)
    for t, r in zip(texts[:4], heads[:4], strict=True):
        got = kept(t, r)
        assert len(got) == 100 and got == tokens._words_in_ranges(t, r)
    kept(texts[0], heads[0])  # a hit: the first becomes the most recently used
    assert len(calls) == 4
    kept(texts[4], heads[4])  # the second (least recently used) makes room
    assert kept.held.currsize == 400
    kept(texts[0], heads[0])
    assert len(calls) == 5, "the first stayed (it had been used again)"
    assert kept(texts[1], heads[1]) == tokens._words_in_ranges(texts[1], heads[1])
    assert len(calls) == 6, "the second was dropped for the fifth"
    small = tokens.Kept(read, len, 399)  # 100 words are over a quarter of this budget
    small(texts[0], heads[0])
    small(texts[0], heads[0])
    assert len(calls) == 8 and small.held.currsize == 0
