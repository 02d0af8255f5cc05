"""Alignment: spliced passages are found at their offsets on both sides; offsets stay in range."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretrace.align import AlignConfig, align
from wiretrace.align.verbatim import SentenceIndex, _token_range
from wiretrace.text.tokens import words

WORDS = ["harbour", "ferry", "crane", "union", "wage", "strike", "minister", "council", "river", "levee", "dam", "town", "port", "quay", "cargo", "vessel", "pilot", "tide", "storm", "rescue", "shelter", "clinic", "batch", "recall", "tablet", "factory", "inspector", "audit", "senator", "mayor"]


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def _text(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng, rng.randint(8, 16)) for _ in range(sentences))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), pre=st.integers(0, 6), post=st.integers(0, 6))
def test_spliced_passage_is_found_where_it_was_put(seed: int, pre: int, post: int) -> None:
    rng = random.Random(seed)
    passage = _text(rng, 5)
    host = _text(rng, pre) + (" " if pre else "") + passage + (" " if post else "") + _text(rng, post)
    start = host.index(passage)
    al = align(passage, ((0, len(passage)),), host, ((0, len(host)),), AlignConfig(semantic=False))
    assert al.a_covered > 0.95
    got = [p for p in al.passages if p.kind in ("verbatim", "near_verbatim")]
    assert got
    b0 = min(p.b[0] for p in got)
    b1 = max(p.b[1] for p in got)
    # The passage found in the host overlaps the true splice by at least 95 %.
    inter = max(0, min(b1, start + len(passage)) - max(b0, start))
    assert inter >= 0.95 * len(passage)
    for p in al.passages:
        assert 0 <= p.a[0] < p.a[1] <= len(passage)
        assert 0 <= p.b[0] < p.b[1] <= len(host)


def test_small_edits_stay_one_near_verbatim_passage() -> None:
    rng = random.Random(3)
    a = _text(rng, 6)
    toks = a.split()
    toks[20] = "EDITED"
    toks[40] = "CHANGED"
    b = " ".join(toks)
    al = align(a, ((0, len(a)),), b, ((0, len(b)),), AlignConfig(semantic=False))
    assert len(al.passages) == 1 and al.passages[0].kind == "near_verbatim"
    assert al.a_verbatim > 0.95


def test_unrelated_texts_align_nothing() -> None:
    a = "The council approved a new budget for road repairs on Tuesday after a long debate."
    b = "Scientists counted more migrating cranes this spring than in any year since records began."
    al = align(a, ((0, len(a)),), b, ((0, len(b)),), AlignConfig(semantic=False))
    assert al.passages == () and al.a_covered == 0.0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=120), st.data(), st.sampled_from([1 / 3, 0.5, 0.55, 0.6, 0.7, 1.0]))
def test_a_sentence_is_mostly_covered_as_its_mean_coverage_says(mask: list[bool], data: st.DataObject, share: float) -> None:
    """``SentenceIndex.mostly`` (from one running count) decides as ``mask[t0:t1].mean() >= share`` does."""
    cuts = sorted(set(data.draw(st.lists(st.integers(1, len(mask)), max_size=12)) + [len(mask)]))
    sents = [(0, 0, a, b) for a, b in zip([0, *cuts], cuts, strict=False) if b > a]
    m = np.array(mask, dtype=bool)
    assert SentenceIndex(sents, len(mask), m, share).mostly == [bool(m[a:b].mean() >= share) for _, _, a, b in sents]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab .,\n", max_size=60), st.data())
def test_token_range_is_the_words_inside_the_range(text: str, data: st.DataObject) -> None:
    """``_token_range``: the first word starting at or after ``s`` up to the last ending at or before ``e``."""
    w = words(text)
    s = data.draw(st.integers(0, len(text)))
    e = data.draw(st.integers(s, len(text)))
    lo = int(np.searchsorted(np.asarray(w.starts), s, side="left"))
    hi = int(np.searchsorted(np.asarray(w.ends), e, side="right"))
    assert _token_range(w, s, e) == (lo, max(lo, hi))
