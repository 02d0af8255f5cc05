"""One huge one-line document (issue 17): sentences are capped in length and words are kept compact,
so every stage's work and memory stay bounded (the figures: bench/big_doc.py)."""

from __future__ import annotations

import random
import re

from wiretrace.text.tokens import MAX_SENTENCE_CHARS, count_words, sentences, words


def _run_without_sentence_ends(n_words: int, seed: int = 3) -> str:
    rng = random.Random(seed)
    vocab = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 8))) for _ in range(300)]
    return " ".join(rng.choice(vocab) + ("," if rng.random() < 0.05 else "") for _ in range(n_words))


def test_a_run_without_sentence_ends_is_cut_into_bounded_sentences_that_cover_it() -> None:
    text = "A short lead sentence. " + _run_without_sentence_ends(40_000) + " A closing sentence."
    spans = sentences(text)
    assert all(e - s <= MAX_SENTENCE_CHARS for s, e in spans)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))  # in order, no overlap
    covered = [t for s, e in spans for t in words(text, s, e).tokens]
    assert covered == list(words(text).tokens)  # no word lost or cut in two
    assert text[spans[0][0] : spans[0][1]] == "A short lead sentence."
    assert text[spans[-1][0] : spans[-1][1]].endswith("A closing sentence.")


def test_ordinary_sentences_are_left_as_they_are() -> None:
    text = "The board met on Tuesday. It voted to widen the channel, the chair said.\nA new line here."
    assert [text[s:e] for s, e in sentences(text)] == [
        "The board met on Tuesday.", "It voted to widen the channel, the chair said.", "A new line here."]


def test_words_of_a_long_region_match_the_plain_regex_with_offsets() -> None:
    text = _run_without_sentence_ends(60_000) + " Ünïcode Straße don’t"
    w = words(text)
    plain = list(re.finditer(r"[^\W_]+(?:['’][^\W_]+)*", text))
    assert len(w) == len(plain) == count_words(text)
    assert list(w.starts) == [m.start() for m in plain] and list(w.ends) == [m.end() for m in plain]
    assert w.tokens[-3:] == ("ünïcode", "strasse", "don't")  # folded as before: case, ß, the apostrophe
    assert count_words(text, at_most=10) == 10
