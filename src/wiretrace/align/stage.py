"""The align stage: ``align`` runs the passes on one pair of texts; ``identical_alignment`` is its
shortcut for two texts with the same words."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from wiretrace.align.config import AlignConfig, Alignment
from wiretrace.align.semantic import semantic_pass
from wiretrace.align.verbatim import (
    SentenceIndex,
    char_passage,
    covered,
    join,
    kept_sentence_spans,
    lexical_share,
    seed_hashes,
    sentence_of,
    snap,
    verbatim_passages,
)
from wiretrace.embed.minilm import SentenceReader
from wiretrace.model import Passage, PassageKind
from wiretrace.text.tokens import words_in_ranges

if TYPE_CHECKING:
    from wiretrace.embed.static import StaticEmbedder

_DEFAULT = AlignConfig()  # built (and checked) once, not for every pair


class _Vetoed(Exception):
    """The caller decided the pair before the transformer read a sentence (``align``'s ``veto``)."""


class _VetoEmbedder:
    """An embedder that asks ``veto`` once, before the transformer reads its first sentence for this
    pair: the static first pass runs as it does, and a True answer stops the semantic pass there."""

    def __init__(self, embedder: SentenceReader, veto: Callable[[], bool]) -> None:
        self._embedder = embedder
        self._veto: Callable[[], bool] | None = veto

    @property
    def static(self) -> StaticEmbedder:
        return self._embedder.static

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._veto is not None:
            veto, self._veto = self._veto, None
            if veto():
                raise _Vetoed
        return self._embedder.embed(texts)


def align(
    text_a: str,
    ranges_a: tuple[tuple[int, int], ...],
    text_b: str,
    ranges_b: tuple[tuple[int, int], ...],
    config: AlignConfig | None = None,
    embedder: SentenceReader | None = None,
    semantic: bool = True,
    far: bool | None = None,
    cosine_decides: bool = True,
    veto: Callable[[], bool] | None = None,
) -> Alignment:
    """Align the ``ranges`` of two raw texts (usually their cleaned content spans).

    ``far``: whether the texts are dated further apart than ``RelateConfig.same_story_days`` (None:
    unknown); the semantic cascade settles the document cosine against the threshold that decides.
    ``cosine_decides``: False where the caller knows the document cosine cannot change the relation
    (names in common already make the pair ``same_story``): the cascade does not measure it then
    (``Alignment.semantic`` None) unless the static vectors settle it; passages are the same.
    ``veto``: asked once, just before the transformer would read a sentence of the pair; True stops
    the semantic pass there (the alignment is the verbatim one, its cosine None, ``Alignment.vetoed``
    True): the caller has decided the pair without what meaning would add."""
    config = config or _DEFAULT
    wa, wb = words_in_ranges(text_a, ranges_a), words_in_ranges(text_b, ranges_b)
    hashes = (seed_hashes(text_a, ranges_a, config.seed), seed_hashes(text_b, ranges_b, config.seed))
    vp = [snap(p, text_a, wa, text_b, wb, config.min_passage) for p in verbatim_passages(wa, wb, config, hashes)]
    mask_a = covered(len(wa), [(p[0], p[1]) for p in vp])
    mask_b = covered(len(wb), [(p[2], p[3]) for p in vp])
    verb_a = float(mask_a.mean()) if len(wa) else 0.0
    verb_b = float(mask_b.mean()) if len(wb) else 0.0
    run_semantic = semantic and config.semantic and embedder is not None and len(wa) and len(wb)
    # wa, wb are words_in_ranges of these ranges: the kept sentences are those of these words.
    sa = kept_sentence_spans(text_a, ranges_a) if vp or run_semantic else []
    sb = kept_sentence_spans(text_b, ranges_b) if vp or run_semantic else []
    # A sentence mostly taken word for word is aligned whole: its reworded rest is an edit, not new text.
    side_a = SentenceIndex(sa, len(wa), mask_a, config.explained)
    side_b = SentenceIndex(sb, len(wb), mask_b, config.explained)
    passages = []
    for p in vp:
        q = char_passage(p, text_a, wa, text_b, wb)
        a_rng, b_rng = side_a.widen(p[0], p[1], q.a), side_b.widen(p[2], p[3], q.b)
        passages.append(Passage(a_rng, b_rng, q.kind, q.score))
    side_a.mark(mask_a)
    side_b.mark(mask_b)
    doc_cos = None
    vetoed = False
    if run_semantic and embedder is not None:
        reader: SentenceReader = _VetoEmbedder(embedder, veto) if veto is not None else embedder
        try:
            doc_cos = semantic_pass(
                text_a, [x for x in sa if x[3] - x[2] >= 4], wa, mask_a, text_b, [x for x in sb if x[3] - x[2] >= 4], wb, mask_b,
                config, reader, passages, far, cosine_decides,
            )
        except _Vetoed:
            vetoed = True  # nothing was added before the transformer's first sentence: the verbatim alignment stands
    if config.join_gap >= 0:
        passages = join(passages, len(vp), wa, wb, config.join_gap, config.max_gap)
    lexical = lexical_share(*hashes)
    return Alignment(
        passages=tuple(sorted(passages, key=lambda p: (p.a, p.b))),
        a_covered=float(mask_a.mean()) if len(wa) else 0.0,
        b_covered=float(mask_b.mean()) if len(wb) else 0.0,
        a_verbatim=verb_a,
        b_verbatim=verb_b,
        lexical=lexical,
        semantic=doc_cos,
        a_words=len(wa),
        b_words=len(wb),
        vetoed=vetoed,
    )



def identical_alignment(
    text_a: str,
    ranges_a: tuple[tuple[int, int], ...],
    text_b: str,
    ranges_b: tuple[tuple[int, int], ...],
    config: AlignConfig | None = None,
) -> Alignment | None:
    """``align`` for two ranges with the same words, without seeds or chains (corpora ship thousands
    of duplicates; aligning each costs more than sketching it). The result is the one seed-and-extend
    finds: one verbatim passage over every word, its ends snapped to sentence boundaries and widened
    to the sentences it mostly covers. The semantic pass has nothing left to embed there (its cosine
    is None). None where the words differ or are too few for a passage: those are aligned as usual.
    """
    config = config or _DEFAULT
    wa, wb = words_in_ranges(text_a, ranges_a), words_in_ranges(text_b, ranges_b)
    n = len(wa)
    if n != len(wb) or n < max(config.seed, config.min_passage) or wa.tokens != wb.tokens:
        return None
    p = snap((0, n, 0, n, PassageKind.VERBATIM, 1.0), text_a, wa, text_b, wb, config.min_passage)
    q = char_passage(p, text_a, wa, text_b, wb)
    sides = []
    for text, ranges, w, (t0, t1), chars in ((text_a, ranges_a, wa, p[:2], q.a), (text_b, ranges_b, wb, p[2:4], q.b)):
        cs, ce = chars
        lo, hi = t0, t1
        # Only the sentences holding the passage's first and last words can widen it.
        first, last = sentence_of(text, ranges, w, t0), sentence_of(text, ranges, w, t1 - 1)
        if first is not None and first[2] < t0 and min(t1, first[3]) - t0 >= config.explained * (first[3] - first[2]):
            cs, lo = min(cs, first[0]), first[2]
        if last is not None and last[3] > t1 and t1 - max(t0, last[2]) >= config.explained * (last[3] - last[2]):
            ce, hi = max(ce, last[1]), last[3]
        sides.append(((cs, ce), (t1 - t0) / n, (hi - lo) / n))
    (ra, va, ca), (rb, vb, cb) = sides
    return Alignment(
        passages=(Passage(ra, rb, q.kind, q.score),), a_covered=ca, b_covered=cb, a_verbatim=va, b_verbatim=vb,
        lexical=1.0, semantic=None, a_words=n, b_words=n,  # the same shingles on both sides
    )



def whole_text_alignment(text_a: str, text_b: str) -> Alignment | None:
    """Two texts the same but for white space, aligned whole: one verbatim passage from the first
    word to the last of each, every word covered. None where they differ or hold no word. (For
    copies whose body cleaning cut too short to align: the raw texts are the evidence.)"""
    if text_a.split() != text_b.split() or not text_a.split():
        return None
    n = len(words_in_ranges(text_a, ((0, len(text_a)),)))
    if not n:
        return None
    ends = [(len(t) - len(t.lstrip()), len(t.rstrip())) for t in (text_a, text_b)]
    return Alignment(
        passages=(Passage(ends[0], ends[1], PassageKind.VERBATIM, 1.0),), a_covered=1.0, b_covered=1.0,
        a_verbatim=1.0, b_verbatim=1.0, lexical=1.0, semantic=None, a_words=n, b_words=n,
    )
