"""The semantic pass's screen (``align/screen.py``): the paraphrase model over a whole sentence-pair matrix.

Real inputs: BBC News articles from ../shared (skipped with a message when absent). The screen must
compute the very features ``paraphrase_features`` computes (with ``sequence_bound`` for the matcher),
never settle a pair the full model would accept at the cosine bound, and leave every decision of the
semantic pass as the one-pair-at-a-time path makes it."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.requirements import need_path

from wiretrace.align import AlignConfig, paraphrase_model, semantic_bounds, sentence_profile
from wiretrace.align import semantic as sem
from wiretrace.align.features import paraphrase_features, paraphrase_probability, sequence_bound
from wiretrace.align.screen import feature_matrix, settled_cells
from wiretrace.align.verbatim import sentence_spans
from wiretrace.embed.minilm import Embedder
from wiretrace.embed.static import StaticEmbedder
from wiretrace.engine.pipeline import RunConfig, compare
from wiretrace.text.tokens import sentences, words_in_ranges

_SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"


def _bbc(categories: tuple[str, ...], n: int) -> list[str]:
    path = need_path(_SHARED.resolve() / "bbc-news" / "bbc_docs.jsonl", "the screen tests read real BBC articles from ../shared")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [r["text"] for r in rows if r["category"] in categories][:n]


@pytest.fixture(scope="module")
def bbc_sentences() -> list[str]:
    """Sentences of 40 BBC business and sport articles (four words or more, as the pass embeds)."""
    out: list[str] = []
    for text in _bbc(("business", "sport"), 40):
        out += [text[s:e] for s, e in sentences(text) if len(text[s:e].split()) >= 4]
    return out


def _rewrite(text: str) -> str:
    """Each sentence of ``text`` rewritten so that no run of words survives for the verbatim pass: every
    fourth word dropped, "the" made "a" (the semantic pass then has sentence matches to find)."""
    out = []
    for s, e in sentences(text):
        w = text[s:e].split()
        out.append(" ".join("a" if t == "the" else t for k, t in enumerate(w) if k % 4 != 1))
    return " ".join(out)


@pytest.fixture(scope="module")
def bbc_pairs() -> list[tuple[str, str]]:
    """Twelve BBC documents, each with its nearest other document by static vector (as the embedding
    candidate path pairs them): pairs with many sentence pairs above the static floor; and four
    documents with a rewrite of themselves (sentence by sentence: paraphrases)."""
    texts = _bbc(("business", "politics", "tech"), 360)
    rewritten = [(texts[i], _rewrite(texts[i])) for i in (5, 95, 185, 275)]
    vecs = StaticEmbedder().embed(texts)
    pairs: list[tuple[int, int]] = []
    for i in range(0, 360, 30):
        sims = vecs @ vecs[i]
        sims[i] = -2.0
        j = int(np.argmax(sims))
        if (min(i, j), max(i, j)) not in pairs and texts[i] != texts[j]:
            pairs.append((min(i, j), max(i, j)))
    return [(texts[i], texts[j]) for i, j in pairs] + rewritten


def test_feature_matrix_is_the_models_features(bbc_sentences: list[str]) -> None:
    """Every feature of every pair of 30 x 30 real sentences (plus each first sentence edited, so that
    pairs share most n-grams) equals ``paraphrase_features`` at ``sequence_bound``."""
    a = bbc_sentences[:30]
    b = bbc_sentences[30:60] + [s.replace(" the ", " a ", 1) for s in a[:5]] + a[5:8]
    pa, pb = [sentence_profile(s) for s in a], [sentence_profile(s) for s in b]
    cos = np.random.default_rng(3).uniform(0.0, 1.0, (len(pa), len(pb)))
    got = feature_matrix(pa, pb, cos)
    for x, p in enumerate(pa):
        for y, q in enumerate(pb):
            want = paraphrase_features(p, q, float(cos[x, y]), sequence_bound(p, q))
            np.testing.assert_allclose(got[:, x, y], want, rtol=1e-12, atol=1e-12, err_msg=f"{a[x]!r} / {b[y]!r}")


def test_open_sentences_are_those_mostly_not_covered(bbc_pairs: list[tuple[str, str]]) -> None:
    """``_open_sentences`` (the share of each sentence's words covered, all at once) picks the very
    sentences ``mask[s[2] : s[3]].mean() < explained`` picks, on real sentences and real and random masks."""
    rng = np.random.default_rng(11)
    for text, _ in bbc_pairs:
        sa = [x for x in sentence_spans(text, ((0, len(text)),), words_in_ranges(text, ((0, len(text)),))) if x[3] - x[2] >= 4]
        n = sa[-1][3]
        for mask in (np.zeros(n, dtype=bool), np.ones(n, dtype=bool), rng.random(n) < 0.6, rng.random(n) < 0.4):
            for explained in (0.6, 0.5, 0.25):
                want = [k for k, s in enumerate(sa) if mask[s[2] : s[3]].mean() < explained]
                assert sem._open_sentences(sa, mask, explained) == want


def _edit(sentence: str, cut: int, drop: int) -> str:
    """The sentence with ``drop`` words removed from word ``cut`` on (a rewrite sharing most words)."""
    w = sentence.split()
    cut %= len(w)
    return " ".join(w[:cut] + w[cut + drop :]) or sentence


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_screen_never_settles_a_pair_the_model_accepts(bbc_sentences: list[str], data: st.DataObject) -> None:
    """A pair the screen settles is one the full model (the matcher's real ratio) refuses at every
    cosine up to the bound: real sentence pairs, unrelated ones and edited copies, at drawn cosines."""
    config = AlignConfig()
    n = len(bbc_sentences)
    i = data.draw(st.integers(0, n - 1))
    a = bbc_sentences[i]
    other = bbc_sentences[data.draw(st.integers(0, n - 1))]
    edited = _edit(a, data.draw(st.integers(0, 60)), data.draw(st.integers(0, 4)))
    b = data.draw(st.sampled_from([other, edited]))
    top = data.draw(st.floats(config.paraphrase_cos, 1.0))
    pa, pb = sentence_profile(a), sentence_profile(b)
    settled = settled_cells([pa], [pb], np.array([0]), np.array([0]), np.array([top]), config.paraphrase_p)
    if settled[0]:
        for cos in (config.paraphrase_cos, (config.paraphrase_cos + top) / 2, top):
            assert paraphrase_probability(pa, pb, cos) < config.paraphrase_p, (a, b, cos)
    # ...and it settles what the first test of ``sentence_settled`` settles, but for a margin of 1e-6 in z.
    z = math.log(config.paraphrase_p / (1 - config.paraphrase_p))
    p_bound = paraphrase_probability(pa, pb, top, sequence_bound(pa, pb))
    zb = math.log(p_bound / (1 - p_bound)) if 0.0 < p_bound < 1.0 else (math.inf if p_bound >= 1.0 else -math.inf)
    if zb < z - 1e-5:
        assert settled[0]
    if zb >= z:
        assert not settled[0]


def test_the_screen_settles_most_pairs_of_real_documents(bbc_pairs: list[tuple[str, str]]) -> None:
    """Not a screen that passes everything on: of the sentence pairs of nearest BBC documents above the
    static floor, it settles most of those ``sentence_settled`` settles."""
    config, bounds = AlignConfig(), semantic_bounds()
    static = StaticEmbedder()
    settled_screen = settled_slow = 0
    for text_a, text_b in bbc_pairs[:4]:
        sa = [text_a[s:e] for s, e in sentences(text_a)]
        sb = [text_b[s:e] for s, e in sentences(text_b)]
        sims = static.embed(sa) @ static.embed(sb).T
        xs, ys = np.nonzero(sims >= bounds.sentence_below)
        pa, pb = [sentence_profile(s) for s in sa], [sentence_profile(s) for s in sb]
        top = bounds.sentence_bounds(sims[xs, ys])
        quick = settled_cells(pa, pb, xs, ys, top, config.paraphrase_p)
        slow = [sem.sentence_settled(pa[x], pb[y], float(sims[x, y]), config, bounds) for x, y in zip(xs, ys, strict=True)]
        assert not np.any(quick & ~np.array(slow))
        settled_screen += int(quick.sum()) + int(np.sum(top < config.paraphrase_cos))
        settled_slow += sum(slow)
    assert settled_slow > 100
    assert settled_screen >= 0.8 * settled_slow, (settled_screen, settled_slow)


def test_sentence_bounds_is_the_envelope() -> None:
    b = semantic_bounds()
    xs = np.concatenate([np.linspace(-1.0, 1.0, 401), [e for e, _ in b.envelope]])
    assert list(b.sentence_bounds(xs)) == [b.sentence_bound(float(x)) for x in xs]


def test_decisions_equal_the_pair_by_pair_path(bbc_pairs: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    """compare() on real nearest-document pairs, with the screen and with every sentence pair screened
    by ``sentence_settled`` alone: the same relation, passages (offsets, kinds, scores), cosines, and the
    same sentences read by MiniLM."""
    config = RunConfig(align=AlignConfig())
    vectors: dict[int, np.ndarray] = {}
    screened = paraphrased = 0
    for text_a, text_b in bbc_pairs:
        monkeypatch.setattr(sem, "_SCREEN_FROM", 10**9)
        slow_embedder = Embedder(cache=vectors)
        want = compare(text_a, text_b, config, slow_embedder)
        monkeypatch.setattr(sem, "_SCREEN_FROM", 1)
        fast_embedder = Embedder(cache=dict(vectors))
        got = compare(text_a, text_b, config, fast_embedder)
        assert got.relation == want.relation
        assert got.passages == want.passages
        assert got.scores == want.scores
        assert fast_embedder.embedded == 0  # nothing beyond what the slow path read
        screened += 1
        paraphrased += sum(p.kind.value != "verbatim" for p in got.passages)
    assert screened >= 12
    assert paraphrased >= 8, paraphrased  # the rewrites: sentence matches (semantic passages) the screen left open
    assert paraphrase_model().weights  # the model the screen reads is the shipped one

