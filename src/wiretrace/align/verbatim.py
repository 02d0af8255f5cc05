"""The verbatim pass: passages two texts share word for word, or nearly, with offsets on both sides.

Shared word 5-grams are seeds; seeds on nearby diagonals chain into passages, tolerating small edits
(a changed word, a dropped clause). A chain with no gap is ``verbatim``, one with gaps
``near_verbatim``. Where two chains overlap, the shorter gives up the overlap; a passage that spills
a word or two over a sentence boundary is cut back to it (``snap``); one that covers most of a
sentence is widened to the whole sentence (``SentenceIndex``). After the semantic pass, word-for-word
passages that tile one stretch of both texts become one maximal passage (``join``).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache

import numpy as np

from wiretrace.align.config import AlignConfig
from wiretrace.model import Passage, PassageKind
from wiretrace.sketch import shingle_hashes
from wiretrace.text.tokens import Words, sentences, words_in_ranges

TokPassage = tuple[int, int, int, int, str, float]  # a0, a1, b0, b1 (tokens), kind, score
# Passages carry PassageKind members; Spark's rows get the plain string (``spark_jobs.tables``), as
# its JVM unpickler cannot rebuild the enum class.
Sentence = tuple[int, int, int, int]  # char_start, char_end, tok_start, tok_end


def _chains(seeds: list[tuple[int, int]], max_gap: int) -> list[list[tuple[int, int]]]:
    chains: list[list[tuple[int, int]]] = []
    open_: list[list[tuple[int, int]]] = []
    for i, j in seeds:
        open_ = [c for c in open_ if i - c[-1][0] <= max_gap]
        best, best_cost = None, None
        for c in open_:
            pi, pj = c[-1]
            di, dj = i - pi, j - pj
            if 0 < di <= max_gap and 0 < dj <= max_gap and abs(dj - di) <= max_gap:
                cost = abs(dj - di) * 2 + di
                if best_cost is None or cost < best_cost:
                    best, best_cost = c, cost
        if best is None:
            best = []
            chains.append(best)
            open_.append(best)
        best.append((i, j))
    return chains


def verbatim_passages(
    wa: Words, wb: Words, config: AlignConfig, hashes: tuple[list[int], list[int]] | None = None
) -> list[tuple[int, int, int, int, str, float]]:
    """Token-range passages ``(a0, a1, b0, b1, kind, score)`` from seed-and-extend (``hashes``: the
    sides' seed-length shingle hashes, where the caller has them already)."""
    k = config.seed
    if len(wa) < k or len(wb) < k:
        return []
    ha, hb = hashes or (shingle_hashes(wa.tokens, k).tolist(), shingle_hashes(wb.tokens, k).tolist())
    # Seeds: b's places (the first 8) of each hash both sides hold. Only the shared hashes are
    # indexed: a candidate pair shares tens of its hundreds of shingles.
    shared = set(ha).intersection(hb)
    if not shared:
        return []
    where: dict[int, list[int]] = {}
    for j, h in enumerate(hb):
        if h in shared:
            at = where.get(h)
            if at is None:
                where[h] = [j]
            elif len(at) < 8:
                at.append(j)
    seeds = [(i, j) for i, h in enumerate(ha) if h in where for j in where[h]]
    out = []
    for c in _chains(seeds, config.max_gap):
        a0, a1 = c[0][0], c[-1][0] + k
        b0, b1 = min(j for _, j in c), max(j for _, j in c) + k
        if a1 - a0 < config.min_passage or b1 - b0 < config.min_passage:
            continue
        covered_a = len({x for i, _ in c for x in range(i, i + k)})
        gapless = all(i2 - i1 == 1 and j2 - j1 == 1 for (i1, j1), (i2, j2) in zip(c, c[1:], strict=False))
        score = covered_a / max(a1 - a0, b1 - b0)
        out.append((a0, a1, b0, b1, PassageKind.VERBATIM if gapless else PassageKind.NEAR_VERBATIM, round(score, 4)))
    # One passage per stretch of text on each side: the longest first; a shorter one that overlaps it
    # (a chain that ran a word or two into its neighbour's text) gives up the overlap, not its life.
    out.sort(key=lambda p: (-(p[1] - p[0]), p[0], p[2]))
    kept: list[tuple[int, int, int, int, str, float]] = []
    for p in out:
        t = _trim(p, kept)
        if t is not None and t[1] - t[0] >= config.min_passage and t[3] - t[2] >= config.min_passage:
            kept.append(t)
    return sorted(kept, key=lambda p: p[0])


def _trim(p: TokPassage, kept: list[TokPassage]) -> TokPassage | None:
    """``p`` less what it shares with passages already kept, cut at its ends (both sides move
    together: a chain starts and ends on a seed, so its ends run on one diagonal)."""
    a0, a1, b0, b1, kind, score = p
    for q in kept:
        for side, (q0, q1) in enumerate(((q[0], q[1]), (q[2], q[3]))):
            lo, hi = (a0, a1) if side == 0 else (b0, b1)
            if not (lo < q1 and q0 < hi):
                continue
            if q0 <= lo or (q1 < hi and q0 - lo < hi - q1):
                d = q1 - lo  # q holds p's start (or the shorter part before it): start after q
                a0, b0 = a0 + d, b0 + d
            else:
                d = hi - q0  # q holds p's end: end before q
                a1, b1 = a1 - d, b1 - d
            if a1 <= a0 or b1 <= b0:
                return None
    return a0, a1, b0, b1, kind, score


# A sentence ends here: terminal punctuation (closing quotes allowed) then space, or a line break.
_BOUNDARY = re.compile(r"[.!?][\"'”’)\]]*\s|\n")
_ABBREV = frozenset(["mr", "mrs", "ms", "dr", "st", "jr", "sr", "no", "inc", "corp", "co", "ltd", "gen", "gov", "sen", "rep", "prof", "vs", "jan", "feb", "aug", "sept", "oct", "nov", "dec"])
_CLOSE = frozenset('.,;:!?"\')]”’')
_OPEN = frozenset('"\'(“‘')


def _ends_sentence(text: str, w: Words, t: int) -> bool:
    """Whether a sentence ends between token ``t`` and token ``t + 1``."""
    if t + 1 >= len(w) or t < 0:
        return False
    between = text[w.ends[t] : w.starts[t + 1]]
    if "\n" in between:
        return True
    tok = w.tokens[t]
    return bool(_BOUNDARY.match(between)) and len(tok) > 1 and tok not in _ABBREV


def snap(p: TokPassage, ta: str, wa: Words, tb: str, wb: Words, min_len: int) -> TokPassage:
    """Move a passage's ends to sentence boundaries where it spills one or two words over them
    (two texts that go on with "The" or "He said" match by chance, not by copying)."""
    a0, a1, b0, b1, kind, score = p
    for m in (1, 0):  # the passage ends with m + 1 words of a next sentence
        if a1 - a0 - (m + 1) >= min_len and (_ends_sentence(ta, wa, a1 - m - 2) or _ends_sentence(tb, wb, b1 - m - 2)):
            a1, b1 = a1 - m - 1, b1 - m - 1
            break
    for m in (1, 0):  # the passage starts with the last m + 1 words of a previous sentence
        if a1 - a0 - (m + 1) >= min_len and (_ends_sentence(ta, wa, a0 + m) or _ends_sentence(tb, wb, b0 + m)):
            a0, b0 = a0 + m + 1, b0 + m + 1
            break
    return a0, a1, b0, b1, kind, score


def char_passage(p: TokPassage, ta: str, wa: Words, tb: str, wb: Words) -> Passage:
    """Token passage to characters, taking in the punctuation and quotes both sides share at its ends."""
    a0, a1, b0, b1, kind, score = p
    sa, ea, sb, eb = wa.starts[a0], wa.ends[a1 - 1], wb.starts[b0], wb.ends[b1 - 1]
    lim_a = wa.starts[a1] if a1 < len(wa) else len(ta)
    lim_b = wb.starts[b1] if b1 < len(wb) else len(tb)
    while ea < lim_a and eb < lim_b and ta[ea] == tb[eb] and ta[ea] in _CLOSE:
        ea, eb = ea + 1, eb + 1
    low_a = wa.ends[a0 - 1] if a0 > 0 else 0
    low_b = wb.ends[b0 - 1] if b0 > 0 else 0
    while sa > low_a and sb > low_b and ta[sa - 1] == tb[sb - 1] and ta[sa - 1] in _OPEN:
        sa, sb = sa - 1, sb - 1
    return Passage((sa, ea), (sb, eb), PassageKind(kind), score)


def _words_between(w: Words, e: int, s: int) -> int:
    """Words wholly inside the characters ``[e, s)`` (0 where the ranges touch or overlap)."""
    if s <= e:
        return 0
    lo = int(np.searchsorted(np.asarray(w.starts), e, side="left"))
    hi = int(np.searchsorted(np.asarray(w.ends), s, side="right"))
    return max(0, hi - lo)


def _holes(ranges: list[tuple[int, int]], w: Words, gap: int) -> int | None:
    """Words between the ranges (sorted, merged), or None where one gap is wider than ``gap``."""
    rs = sorted(ranges)
    end = rs[0][1]
    total = 0
    for s, e in rs[1:]:
        n = _words_between(w, end, s)
        if n > gap:
            return None
        total += n
        end = max(end, e)
    return total


def join(passages: list[Passage], chained: int, wa: Words, wb: Words, gap: int, edit: int) -> list[Passage]:
    """Maximal passages: runs of word-for-word passages that tile one stretch of each side, with
    gaps of at most ``gap`` words, become one ``near_verbatim`` passage: a heavier edit, or sentences
    moved within the block. The words left between them must be about as many on both sides (within
    ``edit``): text only one side has is new material, not an edit, and keeps the passages apart. A
    sentence-level paraphrase joins only where it lies alone between two seed-and-extend passages
    (``passages[:chained]``; a reworded sentence between copied ones); a rewrite stays sentence by
    sentence."""
    chain = {id(p) for p in passages[:chained]}
    ps = sorted(passages, key=lambda p: (p.a, p.b))
    lexical = [p for p in ps if p.kind != PassageKind.PARAPHRASE]
    # A run starts and ends on a word-for-word passage, or on a paraphrase overlapping one.
    anchor = [
        p.kind != PassageKind.PARAPHRASE
        or any(p.a[0] < q.a[1] and q.a[0] < p.a[1] and p.b[0] < q.b[1] and q.b[0] < p.b[1] for q in lexical)
        for p in ps
    ]
    out: list[Passage] = []
    i = 0
    while i < len(ps):
        j = i
        if anchor[i]:
            for k in range(i + 1, len(ps)):
                loose = [not anchor[m] for m in (k - 1, k)]
                if (loose[1] and id(ps[k - 1]) not in chain) or (loose[0] and id(ps[k]) not in chain):
                    break  # a reworded sentence not between copied ones: a rewrite, not an edit
                holes_a = _holes([p.a for p in ps[i : k + 1]], wa, gap)
                if holes_a is None:
                    break
                holes_b = _holes([p.b for p in ps[i : k + 1]], wb, gap)
                if anchor[k] and holes_b is not None and abs(holes_a - holes_b) <= edit:
                    j = k
        group = ps[i : j + 1]
        if len(group) == 1:
            out.append(group[0])
        else:
            a = (min(p.a[0] for p in group), max(p.a[1] for p in group))
            b = (min(p.b[0] for p in group), max(p.b[1] for p in group))
            inside = sum(p.a[1] - p.a[0] for p in group)
            score = sum((p.a[1] - p.a[0]) * p.score for p in group) / max(inside, 1) * min(1.0, inside / (a[1] - a[0]))
            out.append(Passage(a, b, PassageKind.NEAR_VERBATIM, round(score, 4)))
        i = j + 1
    return out


def covered(n: int, ranges: list[tuple[int, int]]) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for s, e in ranges:
        mask[s:e] = True
    return mask


def _token_range(w: Words, s: int, e: int) -> tuple[int, int]:
    """Token indices whose characters fall inside ``[s, e)``."""
    lo = bisect_left(w.starts, s)  # (``np.searchsorted`` sides "left" / "right", without making an array per call)
    hi = bisect_right(w.ends, e)
    return lo, max(lo, hi)



def seed_hashes(text: str, ranges: tuple[tuple[int, int], ...], k: int) -> list[int]:
    """The seed-length shingle hashes of a document's compared words, kept for the last thousand
    documents of up to ``KEEP_HASHES`` words (as their words are: one is in many candidate pairs; a
    longer one costs more to keep than to hash again). Read only: the list may be shared."""
    w = words_in_ranges(text, ranges)
    if len(w) > KEEP_HASHES:
        return shingle_hashes(w.tokens, k).tolist()
    return _kept_seed_hashes(text, ranges, k)


KEEP_HASHES = 20_000


@lru_cache(maxsize=1024)
def _kept_seed_hashes(text: str, ranges: tuple[tuple[int, int], ...], k: int) -> list[int]:
    return shingle_hashes(words_in_ranges(text, ranges).tokens, k).tolist()


def sentence_of(text: str, ranges: tuple[tuple[int, int], ...], w: Words, t: int) -> Sentence | None:
    """The sentence (as ``sentence_spans`` cuts it) holding token ``t``, segmenting only its line."""
    pos = w.starts[t]
    for s, e in ranges:
        if s <= pos < e:
            lo = max(s, text.rfind("\n", s, pos) + 1)
            nl = text.find("\n", pos, e)
            hi = e if nl < 0 else nl
            for ss, se in sentences(text, lo, hi):
                if ss <= pos < se:
                    t0, t1 = _token_range(w, ss, se)
                    return (ss, se, t0, t1) if t1 > t0 else None
            return None
    return None


def lexical_share(ha: list[int], hb: list[int]) -> float:
    """Shared shingles over the smaller side's."""
    sa, sb = set(ha), set(hb)
    if not sa or not sb:
        return 0.0
    return round(len(sa & sb) / min(len(sa), len(sb)), 4)


def sentence_spans(text: str, ranges: tuple[tuple[int, int], ...], w: Words) -> list[Sentence]:
    """Sentences with words, as ``(char_start, char_end, tok_start, tok_end)``."""
    out = []
    for s, e in ranges:
        for ss, se in sentences(text, s, e):
            t0, t1 = _token_range(w, ss, se)
            if t1 > t0:
                out.append((ss, se, t0, t1))
    return out


def kept_sentence_spans(text: str, ranges: tuple[tuple[int, int], ...]) -> list[Sentence]:
    """``sentence_spans`` of a document's compared words (``words_in_ranges(text, ranges)``), kept for
    the last thousand documents: one is in many candidate pairs, and segmenting it again for each
    (``text.sentences`` per range, then the token range of each sentence) cost more than the rest
    of the verbatim pass on Reuters + BBC. A fresh list (the caller may change it); the same
    sentences as ``sentence_spans``."""
    return list(_kept_sentence_spans(text, ranges))


@lru_cache(maxsize=1024)
def _kept_sentence_spans(text: str, ranges: tuple[tuple[int, int], ...]) -> tuple[Sentence, ...]:
    return tuple(sentence_spans(text, ranges, words_in_ranges(text, ranges)))


class SentenceIndex:
    """One side's sentences, to widen a word-for-word passage to the sentences it mostly covers."""

    def __init__(self, sents: list[Sentence], n_words: int, mask: np.ndarray, share: float) -> None:
        self.sents = sents
        self.of = np.full(n_words, -1, dtype=np.int64)
        for k, (_, _, t0, t1) in enumerate(sents):
            self.of[t0:t1] = k
        # Each sentence's share of covered words (``mask[t0:t1].mean()``: the count over the length in
        # float64, so the same comparisons) from one running count.
        run = np.concatenate(([0], np.cumsum(mask, dtype=np.int64)))
        t0s = np.fromiter((t[2] for t in sents), np.int64, len(sents))
        t1s = np.fromiter((t[3] for t in sents), np.int64, len(sents))
        self.mostly = ((run[t1s] - run[t0s]) / (t1s - t0s) >= share).tolist()
        self.widened: list[tuple[int, int]] = []

    def widen(self, t0: int, t1: int, chars: tuple[int, int]) -> tuple[int, int]:
        """The passage's characters, widened to the start of its first sentence and the end of its
        last one where those sentences are mostly covered."""
        cs, ce = chars
        if not self.sents:
            return cs, ce
        first, last = int(self.of[t0]), int(self.of[t1 - 1])
        if first >= 0 and self.mostly[first] and self.sents[first][2] < t0:
            cs = min(cs, self.sents[first][0])
            self.widened.append((self.sents[first][2], t0))
        if last >= 0 and self.mostly[last] and self.sents[last][3] > t1:
            ce = max(ce, self.sents[last][1])
            self.widened.append((t1, self.sents[last][3]))
        return cs, ce

    def mark(self, mask: np.ndarray) -> None:
        for t0, t1 in self.widened:
            mask[t0:t1] = True

