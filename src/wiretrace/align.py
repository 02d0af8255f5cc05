"""Align: which passages of document a reappear in document b, with offsets on both sides.

Two passes, cheap first, then one tidy-up:
1. **Seed and extend** (verbatim): shared word 5-grams are seeds; seeds on nearby diagonals chain
   into passages, tolerating small edits (a changed word, a dropped clause). A chain with no gap is
   ``verbatim``, one with gaps ``near_verbatim``. Where two chains overlap, the shorter gives up the
   overlap; a passage that spills a word or two over a sentence boundary is cut back to it; one that
   covers most of a sentence is widened to the whole sentence (the rest is an edit).
2. **Semantic** (paraphrase): sentences that the first pass left unexplained on both sides are
   embedded (MiniLM, batched and cached) and matched greedily by the paraphrase decision: a cosine
   floor, then a small logistic model over the cosine and lexical agreement, fitted on MRPC
   (``bench/calibrate.py``). A sentence may take in a neighbour of the other side (a rewrite that
   splits or merges sentences).
3. **Join**: word-for-word passages that tile one stretch of both texts (sentences reordered, an
   edit too heavy for a chain) become one maximal passage.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache, lru_cache
from importlib import resources

import numpy as np

from wiretrace.embed.minilm import Embedder
from wiretrace.errors import ConfigError
from wiretrace.model import Passage, PassageKind
from wiretrace.sketch import shingle_hashes
from wiretrace.text.names import STOP
from wiretrace.text.tokens import Words, sentences, words, words_in_ranges


@dataclass(frozen=True, slots=True)
class AlignConfig:
    seed: int = 5  # words per seed
    max_gap: int = 8  # words of edit tolerated inside a passage
    min_passage: int = 8  # words; shorter verbatim runs are chance
    join_gap: int = 20  # words between word-for-word passages that still make one passage (-1: never join)
    explained: float = 0.6  # a sentence this much covered by verbatim passages needs no embedding
    paraphrase_cos: float = 0.55  # sentence cosine below which a pair is never a paraphrase
    paraphrase_p: float = 0.54  # the paraphrase model's probability that decides (0: the cosine alone)
    split_cos: float = 0.55  # cosine for the second sentence of a one-to-two match
    near_verbatim_jaccard: float = 0.5  # a semantic match this lexically close is near_verbatim
    topic_cos: float = 0.3  # idf-weighted content-word cosine below which no embedding is spent
    lead: int = 3  # sentences embedded first to decide whether the whole texts are worth embedding
    lead_cos: float = 0.5  # ...when no verbatim passage links the texts already
    semantic: bool = True  # run the embedding pass
    # Settle the clear cases of the semantic pass with the static vectors (``SemanticBounds``, fitted
    # by ``bench/semantic_calibrate.py``); the transformer reads only the rest.
    cascade: bool = True

    def __post_init__(self) -> None:
        if not 2 <= self.seed <= 12:
            raise ConfigError("align", "seed", self.seed, "2 to 12 words")
        if not 0.0 < self.paraphrase_cos <= 1.0:
            raise ConfigError("align", "paraphrase_cos", self.paraphrase_cos, "a cosine in (0, 1]")
        if not 0.0 <= self.paraphrase_p < 1.0:
            raise ConfigError("align", "paraphrase_p", self.paraphrase_p, "a probability in [0, 1) (0 turns the model off)")
        if self.split_cos > self.paraphrase_cos:
            raise ConfigError("align", "split_cos", self.split_cos, f"at most paraphrase_cos ({self.paraphrase_cos})")


@dataclass(frozen=True, slots=True)
class Alignment:
    passages: tuple[Passage, ...]
    a_covered: float  # share of a's words inside passages
    b_covered: float
    a_verbatim: float  # share of a's words inside verbatim / near-verbatim passages
    b_verbatim: float
    lexical: float  # shared 5-grams over the smaller side's 5-grams
    semantic: float | None  # cosine of mean sentence vectors, when the semantic pass ran
    a_words: int
    b_words: int


# --- the semantic cascade: what the static vectors settle without the transformer ----------------


@dataclass(frozen=True, slots=True)
class SemanticBounds:
    """Static cosines that settle a MiniLM cosine's side of a threshold without the transformer.

    Fitted on real document pairs of four corpora by ``bench/semantic_calibrate.py`` (the file
    ``semantic_bounds.json`` says on what, how and when): below a ``*_below`` bound no calibration
    pair's MiniLM cosine came within a margin of the threshold; from a ``*_above`` bound every one
    cleared it by the margin. A bound is used only where the settings it guards are the ones it was
    fitted for (``usable``)."""

    lead_below: float  # the lead test (mean vector of the first ``lead`` sentences): below lead_threshold
    lead_threshold: float  # fitted for min(lead_cos, RelateConfig.same_story_cos)
    lead_above: float  # ...and at or above lead_go (the pass goes on)
    lead_go: float  # fitted for max(lead_cos, RelateConfig.same_story_cos)
    doc_below: float  # the document cosine (mean vector of every sentence): below doc_threshold
    doc_above: float  # ...at or above it
    doc_threshold: float  # fitted for RelateConfig.same_story_cos
    far_below: float  # below / at or above far_threshold
    far_above: float
    far_threshold: float  # fitted for RelateConfig.far_same_story_cos
    doc_linear: tuple[float, float]  # MiniLM ~ a + b * static: the cosine a settled document pair reports
    sentence_below: float  # one sentence pair: below sentence_threshold
    sentence_threshold: float  # fitted for min(paraphrase_cos, split_cos)
    envelope: tuple[tuple[float, float], ...]  # (static edge, MiniLM bound): static < edge -> MiniLM < bound
    fitted: str  # the date of the fit

    def usable(self, config: AlignConfig) -> bool:
        return (
            self.lead_threshold <= config.lead_cos <= self.lead_go
            and self.sentence_threshold <= min(config.paraphrase_cos, config.split_cos)
        )

    def sentence_bound(self, static_cos: float) -> float:
        """An upper bound on the MiniLM cosine of a sentence pair with this static cosine."""
        for edge, bound in self.envelope:
            if static_cos < edge:
                return bound
        return 1.0

    def doc(self, static_cos: float, far: bool | None = None) -> tuple[bool, float | None]:
        """``(settled, cosine)`` for the document cosine. ``far``: whether the two reports are dated
        further apart than ``RelateConfig.same_story_days`` (then only ``far_same_story_cos`` decides),
        not (only ``same_story_cos``), or None (unknown: both must be settled).

        Settled below every threshold that decides: cosine None (not measured). Settled above: the
        linear estimate, kept on the settled side of each deciding threshold. Else not settled."""
        a, b = self.doc_linear
        est = a + b * static_cos
        lo, hi = 0.0, 1.0
        for threshold, below, above, decides in (
            (self.doc_threshold, self.doc_below, self.doc_above, far is not True),
            (self.far_threshold, self.far_below, self.far_above, far is not False),
        ):
            if not decides:
                continue
            if static_cos < below:
                hi = min(hi, threshold - 1e-4)
            elif static_cos >= above:
                lo = max(lo, threshold)
            else:
                return False, None
        if hi < 1.0 and lo == 0.0:
            return True, None
        return True, round(min(max(est, lo), hi), 4)


@cache
def semantic_bounds() -> SemanticBounds:
    """The bounds shipped with the package (``semantic_bounds.json``)."""
    path = resources.files("wiretrace").joinpath("semantic_bounds.json")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        b = doc["bounds"]
        lead, dc, sent = b["lead"], b["doc"], b["sentence"]
        return SemanticBounds(
            lead_below=float(lead["static_below"]), lead_threshold=float(lead["threshold"]),
            lead_above=float(lead["static_above"]), lead_go=float(lead["go_threshold"]),
            doc_below=float(dc["static_below"]), doc_above=float(dc["static_above"]), doc_threshold=float(dc["threshold"]),
            far_below=float(dc["far_below"]), far_above=float(dc["far_above"]), far_threshold=float(dc["far_threshold"]),
            doc_linear=(float(dc["linear"][0]), float(dc["linear"][1])),
            sentence_below=float(sent["static_below"]), sentence_threshold=float(sent["threshold"]),
            envelope=tuple((float(e), float(u)) for e, u in sent["envelope"]),
            fitted=str(doc["fitted"]),
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError) as e:
        raise ConfigError(
            "align", "cascade", True,
            f"a readable semantic_bounds.json in the package ({e!r}); reinstall, rerun bench/semantic_calibrate.py --write, "
            "or set cascade=False",
        ) from e


def cascade_bounds(config: AlignConfig) -> SemanticBounds | None:
    """The bounds the semantic pass settles with, or None where the cascade is off or they do not fit."""
    if not config.cascade:
        return None
    bounds = semantic_bounds()
    return bounds if bounds.usable(config) else None


# --- the sentence paraphrase decision ---------------------------------------------------------
# A small logistic model over the MiniLM cosine and cheap lexical agreement (word n-gram overlap
# both ways, content words left unmatched, numbers and names that differ), fitted on the MRPC train
# split by ``bench/calibrate.py``, which prints these constants and how the threshold was chosen.
_NUMBER = re.compile(r"\d")
PARAPHRASE_FEATURES = (
    "cos", "cos2", "cos_x_jaccard", "jaccard", "content_jaccard",
    "p1", "p2", "p3", "p4", "m1", "m2", "m3", "m4",
    "unmatched_max", "unmatched_min", "unmatched_log", "number_mismatch", "name_mismatch", "length_ratio",
    "char3_jaccard", "stem_jaccard", "sequence_ratio",
)
PARAPHRASE_BIAS = -6.864
PARAPHRASE_WEIGHTS: tuple[float, ...] = (
    6.561, -0.5672, -5.349, 4.812, 0.7192,  # cos, cos2, cos_x_jaccard, jaccard, content_jaccard
    -2.839, -6.010, -5.417, -3.144,  # p1..p4: mean n-gram share both ways
    -1.430, 6.080, 3.468, 2.459,  # m1..m4: the smaller n-gram share
    1.003, 1.039, -0.8203, -0.4562, 0.2289, 0.6385,  # unmatched max/min/log, numbers, names, length
    4.080, 4.314, 4.289,  # char3_jaccard, stem_jaccard, sequence_ratio
)


@dataclass(frozen=True, slots=True)
class SentenceProfile:
    """What the paraphrase decision reads of one sentence besides its vector."""

    tokens: tuple[str, ...]
    grams: tuple[frozenset[tuple[str, ...]], ...]  # word 1- to 4-grams
    content: frozenset[str]  # words other than stop words
    numbers: frozenset[str]
    names: frozenset[str]  # capitalised words after the first
    n_words: int
    chars: frozenset[str]  # character 3-grams of the normalised words
    stems: frozenset[str]  # words cut to 5 letters ("closure" and "closed" differ, "protesters" and "protests" not)


def sentence_profile(text: str, start: int = 0, end: int | None = None) -> SentenceProfile:
    w = words(text, start, end)
    toks = w.tokens
    grams = tuple(frozenset(zip(*(toks[i:] for i in range(n)), strict=False)) for n in range(1, 5))
    flat = " ".join(toks)
    return SentenceProfile(
        tokens=toks,
        grams=grams,
        content=frozenset(t for t in toks if t not in STOP),
        numbers=frozenset(t for t in toks if _NUMBER.search(t)),
        names=frozenset(t for i, (t, s) in enumerate(zip(toks, w.starts, strict=True)) if i and text[s].isupper()),
        n_words=len(toks),
        chars=frozenset(flat[i : i + 3] for i in range(len(flat) - 2)),
        stems=frozenset(t[:5] for t in toks),
    )


def _share(x: frozenset, y: frozenset) -> float:
    return len(x & y) / len(x) if x else 0.0


def _mismatch(x: frozenset, y: frozenset) -> float:
    """``len(x ^ y) / len(x | y)``, from one intersection."""
    i = len(x & y)
    u = len(x) + len(y) - i
    return (u - i) / u if u else 0.0


def _names_missing(pa: SentenceProfile, pb: SentenceProfile) -> float:
    """Share of the names either side gives that the other never writes (capitalised or not)."""
    both = pa.names | pb.names
    return (len(pa.names - pb.content) + len(pb.names - pa.content)) / len(both) if both else 0.0


def paraphrase_features(pa: SentenceProfile, pb: SentenceProfile, cos: float, sequence: float | None = None) -> tuple[float, ...]:
    """The model's inputs for one sentence pair, in ``PARAPHRASE_FEATURES`` order (``sequence``: the
    value to use for ``sequence_ratio`` instead of running the matcher)."""
    ua, ub = pa.grams[0], pb.grams[0]
    jac = len(ua & ub) / max(len(ua | ub), 1)
    fwd = [_share(pa.grams[n], pb.grams[n]) for n in range(4)]
    bwd = [_share(pb.grams[n], pa.grams[n]) for n in range(4)]
    left_a, left_b = 1.0 - _share(pa.content, pb.content), 1.0 - _share(pb.content, pa.content)
    return (
        cos, cos * cos, cos * jac, jac, 1.0 - _mismatch(pa.content, pb.content),
        *((f + b) / 2 for f, b in zip(fwd, bwd, strict=True)), *(min(f, b) for f, b in zip(fwd, bwd, strict=True)),
        max(left_a, left_b), min(left_a, left_b), math.log1p(len(pa.content ^ pb.content)),
        _mismatch(pa.numbers, pb.numbers), _names_missing(pa, pb),
        min(pa.n_words, pb.n_words) / max(pa.n_words, pb.n_words, 1),
        1.0 - _mismatch(pa.chars, pb.chars), 1.0 - _mismatch(pa.stems, pb.stems),
        SequenceMatcher(None, pa.tokens, pb.tokens, autojunk=False).ratio() if sequence is None else sequence,
    )


def _sequence_bound(pa: SentenceProfile, pb: SentenceProfile) -> float:
    """An upper bound on the matcher's ratio ``2 M / (len a + len b)``: the matched tokens ``M`` are at
    most the tokens of either side whose word the other side has."""
    n = len(pa.tokens) + len(pb.tokens)
    if not n:
        return 0.0
    ua, ub = pa.grams[0], pb.grams[0]
    in_b = sum(1 for t in pa.tokens if (t,) in ub)
    in_a = sum(1 for t in pb.tokens if (t,) in ua)
    return 2.0 * min(in_a, in_b) / n


def paraphrase_probability(pa: SentenceProfile, pb: SentenceProfile, cos: float, sequence: float | None = None) -> float:
    """The model's probability that two sentences say the same thing (``sequence``: see
    ``paraphrase_features``)."""
    z = PARAPHRASE_BIAS + sum(w * x for w, x in zip(PARAPHRASE_WEIGHTS, paraphrase_features(pa, pb, cos, sequence), strict=True))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def paraphrase_decision(pa: SentenceProfile, pb: SentenceProfile, cos: float, config: AlignConfig) -> float | None:
    """The semantic pass's verdict on one sentence pair: its match score, or None for no match.

    A pair needs the cosine floor ``paraphrase_cos``; then the model's probability must reach
    ``paraphrase_p`` (the score is that probability), or, with the model off, the cosine decides."""
    if cos < config.paraphrase_cos:
        return None
    if config.paraphrase_p <= 0.0:
        return cos
    p = paraphrase_probability(pa, pb, cos)
    return p if p >= config.paraphrase_p else None


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
        out.append((a0, a1, b0, b1, "verbatim" if gapless else "near_verbatim", round(score, 4)))
    # One passage per stretch of text on each side: the longest first; a shorter one that overlaps it
    # (a chain that ran a word or two into its neighbour's text) gives up the overlap, not its life.
    out.sort(key=lambda p: (-(p[1] - p[0]), p[0], p[2]))
    kept: list[tuple[int, int, int, int, str, float]] = []
    for p in out:
        t = _trim(p, kept)
        if t is not None and t[1] - t[0] >= config.min_passage and t[3] - t[2] >= config.min_passage:
            kept.append(t)
    return sorted(kept, key=lambda p: p[0])


TokPassage = tuple[int, int, int, int, str, float]


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


def _snap(p: TokPassage, ta: str, wa: Words, tb: str, wb: Words, min_len: int) -> TokPassage:
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


def _char_passage(p: TokPassage, ta: str, wa: Words, tb: str, wb: Words) -> Passage:
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


def _join(passages: list[Passage], chained: int, wa: Words, wb: Words, gap: int, edit: int) -> list[Passage]:
    """Maximal passages: runs of word-for-word passages that tile one stretch of each side, with
    gaps of at most ``gap`` words, become one ``near_verbatim`` passage: a heavier edit, or sentences
    moved within the block. The words left between them must be about as many on both sides (within
    ``edit``): text only one side has is new material, not an edit, and keeps the passages apart. A
    sentence-level paraphrase joins only where it lies alone between two seed-and-extend passages
    (``passages[:chained]``; a reworded sentence between copied ones); a rewrite stays sentence by
    sentence."""
    chain = {id(p) for p in passages[:chained]}
    ps = sorted(passages, key=lambda p: (p.a, p.b))
    lexical = [p for p in ps if p.kind != "paraphrase"]
    # A run starts and ends on a word-for-word passage, or on a paraphrase overlapping one.
    anchor = [
        p.kind != "paraphrase"
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


def _covered(n: int, ranges: list[tuple[int, int]]) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for s, e in ranges:
        mask[s:e] = True
    return mask


def _token_range(w: Words, s: int, e: int) -> tuple[int, int]:
    """Token indices whose characters fall inside ``[s, e)``."""
    lo = int(np.searchsorted(np.asarray(w.starts), s, side="left"))
    hi = int(np.searchsorted(np.asarray(w.ends), e, side="right"))
    return lo, max(lo, hi)


def align(
    text_a: str,
    ranges_a: tuple[tuple[int, int], ...],
    text_b: str,
    ranges_b: tuple[tuple[int, int], ...],
    config: AlignConfig | None = None,
    embedder: Embedder | None = None,
    semantic: bool = True,
    far: bool | None = None,
    cosine_decides: bool = True,
) -> Alignment:
    """Align the ``ranges`` of two raw texts (usually their cleaned content spans).

    ``far``: whether the texts are dated further apart than ``RelateConfig.same_story_days`` (None:
    unknown); the semantic cascade settles the document cosine against the threshold that decides.
    ``cosine_decides``: False where the caller knows the document cosine cannot change the relation
    (names in common already make the pair ``same_story``): the cascade does not measure it then
    (``Alignment.semantic`` None) unless the static vectors settle it; passages are the same."""
    config = config or AlignConfig()
    wa, wb = words_in_ranges(text_a, ranges_a), words_in_ranges(text_b, ranges_b)
    hashes = (_seed_hashes(text_a, ranges_a, config.seed), _seed_hashes(text_b, ranges_b, config.seed))
    vp = [_snap(p, text_a, wa, text_b, wb, config.min_passage) for p in verbatim_passages(wa, wb, config, hashes)]
    mask_a = _covered(len(wa), [(p[0], p[1]) for p in vp])
    mask_b = _covered(len(wb), [(p[2], p[3]) for p in vp])
    verb_a = float(mask_a.mean()) if len(wa) else 0.0
    verb_b = float(mask_b.mean()) if len(wb) else 0.0
    run_semantic = semantic and config.semantic and embedder is not None and len(wa) and len(wb)
    sa = _sentences(text_a, ranges_a, wa) if vp or run_semantic else []
    sb = _sentences(text_b, ranges_b, wb) if vp or run_semantic else []
    # A sentence mostly taken word for word is aligned whole: its reworded rest is an edit, not new text.
    side_a = _SentenceIndex(sa, len(wa), mask_a, config.explained)
    side_b = _SentenceIndex(sb, len(wb), mask_b, config.explained)
    passages = []
    for p in vp:
        q = _char_passage(p, text_a, wa, text_b, wb)
        a_rng, b_rng = side_a.widen(p[0], p[1], q.a), side_b.widen(p[2], p[3], q.b)
        passages.append(Passage(a_rng, b_rng, q.kind, q.score))
    side_a.mark(mask_a)
    side_b.mark(mask_b)
    doc_cos = None
    if run_semantic and embedder is not None:
        doc_cos = _semantic_pass(
            text_a, [x for x in sa if x[3] - x[2] >= 4], wa, mask_a, text_b, [x for x in sb if x[3] - x[2] >= 4], wb, mask_b,
            config, embedder, passages, far, cosine_decides,
        )
    if config.join_gap >= 0:
        passages = _join(passages, len(vp), wa, wb, config.join_gap, config.max_gap)
    lexical = _lexical(*hashes)
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
    )


def _seed_hashes(text: str, ranges: tuple[tuple[int, int], ...], k: int) -> list[int]:
    """The seed-length shingle hashes of a document's compared words, kept for the last few dozen
    documents up to ``KEEP_HASHES`` words (as their words are: one is in many candidate pairs; a
    longer one costs more to keep than to hash again). Read only: the list may be shared."""
    w = words_in_ranges(text, ranges)
    if len(w) > KEEP_HASHES:
        return shingle_hashes(w.tokens, k).tolist()
    return _kept_seed_hashes(text, ranges, k)


KEEP_HASHES = 20_000


@lru_cache(maxsize=64)
def _kept_seed_hashes(text: str, ranges: tuple[tuple[int, int], ...], k: int) -> list[int]:
    return shingle_hashes(words_in_ranges(text, ranges).tokens, k).tolist()


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
    config = config or AlignConfig()
    wa, wb = words_in_ranges(text_a, ranges_a), words_in_ranges(text_b, ranges_b)
    n = len(wa)
    if n != len(wb) or n < max(config.seed, config.min_passage) or wa.tokens != wb.tokens:
        return None
    p = _snap((0, n, 0, n, "verbatim", 1.0), text_a, wa, text_b, wb, config.min_passage)
    q = _char_passage(p, text_a, wa, text_b, wb)
    sides = []
    for text, ranges, w, (t0, t1), chars in ((text_a, ranges_a, wa, p[:2], q.a), (text_b, ranges_b, wb, p[2:4], q.b)):
        cs, ce = chars
        lo, hi = t0, t1
        # Only the sentences holding the passage's first and last words can widen it.
        first, last = _sentence_of(text, ranges, w, t0), _sentence_of(text, ranges, w, t1 - 1)
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


def _sentence_of(text: str, ranges: tuple[tuple[int, int], ...], w: Words, t: int) -> Sentence | None:
    """The sentence (as ``_sentences`` cuts it) holding token ``t``, segmenting only its line."""
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


def _lexical(ha: list[int], hb: list[int]) -> float:
    """Shared shingles over the smaller side's."""
    sa, sb = set(ha), set(hb)
    if not sa or not sb:
        return 0.0
    return round(len(sa & sb) / min(len(sa), len(sb)), 4)


Sentence = tuple[int, int, int, int]  # char_start, char_end, tok_start, tok_end


def _sentences(text: str, ranges: tuple[tuple[int, int], ...], w: Words) -> list[Sentence]:
    """Sentences with words, as ``(char_start, char_end, tok_start, tok_end)``."""
    out = []
    for s, e in ranges:
        for ss, se in sentences(text, s, e):
            t0, t1 = _token_range(w, ss, se)
            if t1 > t0:
                out.append((ss, se, t0, t1))
    return out


class _SentenceIndex:
    """One side's sentences, to widen a word-for-word passage to the sentences it mostly covers."""

    def __init__(self, sents: list[Sentence], n_words: int, mask: np.ndarray, share: float) -> None:
        self.sents = sents
        self.of = np.full(n_words, -1, dtype=np.int64)
        for k, (_, _, t0, t1) in enumerate(sents):
            self.of[t0:t1] = k
        self.mostly = [bool(mask[t0:t1].mean() >= share) for _, _, t0, t1 in sents]
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


def _mean_cos(va: np.ndarray, vb: np.ndarray) -> float:
    ma, mb = va.mean(axis=0), vb.mean(axis=0)
    return float(ma @ mb / max(float(np.linalg.norm(ma) * np.linalg.norm(mb)), 1e-9))


def sentence_settled(pa: SentenceProfile, pb: SentenceProfile, static_cos: float, config: AlignConfig, bounds: SemanticBounds) -> bool:
    """Whether a sentence pair is settled as no match without its MiniLM cosine: the static cosine is
    below ``bounds.sentence_below`` (MiniLM's is below the floor), or the paraphrase model says no even
    at the largest MiniLM cosine the static one allows (the model's probability grows with the cosine:
    d z / d cos = w_cos + 2 w_cos2 cos + w_cos_x_jaccard jaccard > 0 on [0, 1]; ``test_align``)."""
    if static_cos < bounds.sentence_below:
        return True
    if config.paraphrase_p <= 0.0:
        return False
    top = bounds.sentence_bound(static_cos)
    if top < config.paraphrase_cos:
        return True
    # The model grows with sequence_ratio too (its weight is positive): its bound first, then the matcher.
    if paraphrase_probability(pa, pb, top, _sequence_bound(pa, pb)) < config.paraphrase_p:
        return True
    return paraphrase_probability(pa, pb, top) < config.paraphrase_p


def _semantic_pass(
    text_a: str, sa: list[Sentence], wa: Words, mask_a: np.ndarray,
    text_b: str, sb: list[Sentence], wb: Words, mask_b: np.ndarray,
    config: AlignConfig, embedder: Embedder, passages: list[Passage], far: bool | None = None,
    cosine_decides: bool = True,
) -> float | None:
    """Embed the sentences (of four words or more) and align those the verbatim pass left open.

    With the cascade on (``AlignConfig.cascade``), the static vectors settle first what they can
    (``SemanticBounds``): the lead test, the document cosine, and each sentence pair that cannot be a
    match; MiniLM embeds only the sentences some unsettled decision needs. Every sentence match is
    still decided on MiniLM cosines, as without the cascade. ``cosine_decides``: False where the
    document cosine cannot change the pair's relation (``stages.cosine_decides``): the cascade then
    never measures it where the static vectors leave it open (it reports None: not measured)."""
    if not sa or not sb:
        return None
    open_a = [k for k, s in enumerate(sa) if mask_a[s[2] : s[3]].mean() < config.explained]
    open_b = [k for k, s in enumerate(sb) if mask_b[s[2] : s[3]].mean() < config.explained]
    if not open_a or not open_b:
        # Everything one side says is found verbatim in the other: embeddings add nothing.
        return None
    texts_a = [text_a[s[0] : s[1]] for s in sa]
    texts_b = [text_b[s[0] : s[1]] for s in sb]
    bounds = cascade_bounds(config)
    n = config.lead
    prof_a: dict[int, SentenceProfile] = {}
    prof_b: dict[int, SentenceProfile] = {}

    def profile_a(x: int) -> SentenceProfile:
        if x not in prof_a:
            prof_a[x] = sentence_profile(text_a, sa[open_a[x]][0], sa[open_a[x]][1])
        return prof_a[x]

    def profile_b(y: int) -> SentenceProfile:
        if y not in prof_b:
            prof_b[y] = sentence_profile(text_b, sb[open_b[y]][0], sb[open_b[y]][1])
        return prof_b[y]

    xa = embedder.static.embed(texts_a) if bounds is not None else None
    xb = embedder.static.embed(texts_b) if bounds is not None else None
    if not passages:
        # No verbatim link: compare the leads first, and embed everything only if they agree. Where the
        # static vectors settle the test, the transformer does not read the leads (a settled stop
        # reports no cosine: not measured, and below every same_story threshold).
        lead_static = _mean_cos(xa[:n], xb[:n]) if xa is not None and xb is not None else None
        if bounds is not None and lead_static is not None and lead_static < bounds.lead_below:
            return None
        if bounds is None or lead_static is None or lead_static < bounds.lead_above:
            if (
                bounds is not None and xa is not None and xb is not None and not cosine_decides
                and _none_can_match(xa[open_a] @ xb[open_b].T, profile_a, profile_b, config, bounds)
            ):
                # Either way the test goes, no sentence is matched, and the cosine it would report
                # cannot change the relation: the transformer need not read the leads (None).
                return None
            lead_cos = _mean_cos(embedder.embed(texts_a[:n]), embedder.embed(texts_b[:n]))
            if lead_cos < config.lead_cos:
                return round(lead_cos, 4)
    settled, doc_cos = bounds.doc(_mean_cos(xa, xb), far) if bounds is not None and xa is not None and xb is not None else (False, None)
    if bounds is not None and not settled and not cosine_decides:
        settled, doc_cos = True, None
    if not settled or bounds is None or xa is None or xb is None:
        va, vb = embedder.embed(texts_a), embedder.embed(texts_b)
        doc_cos = round(_mean_cos(va, vb), 4)
        sims = va[open_a] @ vb[open_b].T
        sentence_vec = None
        static_sims = None
    else:
        # The document cosine is settled: MiniLM reads only the sentences of the pairs the static
        # vectors and the paraphrase model cannot rule out. Unknown cosines are NaN (no match); those
        # ruled out by the static floor are certainly under split_cos too (-1).
        static_sims = xa[open_a] @ xb[open_b].T
        sims = np.full(static_sims.shape, np.nan, dtype=np.float32)
        sims[static_sims < bounds.sentence_below] = -1.0
        need: list[tuple[int, int]] = []
        need_a: set[int] = set()
        need_b: set[int] = set()
        cells = np.flatnonzero(static_sims >= bounds.sentence_below)
        for flat in cells[np.argsort(-static_sims.ravel()[cells], kind="stable")]:  # likeliest first
            x, y = divmod(int(flat), static_sims.shape[1])
            # Two sentences MiniLM reads anyway: their cosine costs nothing more than the test.
            if (x in need_a and y in need_b) or not sentence_settled(profile_a(x), profile_b(y), float(static_sims[x, y]), config, bounds):
                need.append((x, y))
                need_a.add(x)
                need_b.add(y)
        sentence_vec = _LazyVectors(embedder, [texts_a[k] for k in open_a], [texts_b[k] for k in open_b])
        sentence_vec.fill(sims, need)
    # The decision on every pair above the cosine floor; the model's lexical features only there.
    scores = np.zeros_like(sims)
    for x, y in zip(*np.nonzero(sims >= config.paraphrase_cos), strict=True):
        x, y = int(x), int(y)
        score = paraphrase_decision(profile_a(x), profile_b(y), float(sims[x, y]), config)
        if score is not None:
            scores[x, y] = score
    order = np.argsort(-scores, axis=None, kind="stable")
    used_a: dict[int, int] = {}
    used_b: dict[int, int] = {}
    for flat in order:
        x, y = divmod(int(flat), len(open_b))
        if scores[x, y] <= 0.0:
            break
        if x in used_a or y in used_b:
            continue
        used_a[x], used_b[y] = y, x
    if sentence_vec is not None and bounds is not None and static_sims is not None:
        # A split needs the cosines of the neighbours that could join a match (free, adjacent in the
        # text, and not held under split_cos by the static envelope): read those not known yet.
        near = [
            (x, ny) for x, y in used_a.items() for ny in (y - 1, y + 1)
            if 0 <= ny < len(open_b) and ny not in used_b and open_b[ny] - open_b[y] == ny - y
        ]
        near += [
            (nx, y) for x, y in used_a.items() for nx in (x - 1, x + 1)
            if 0 <= nx < len(open_a) and nx not in used_a and open_a[nx] - open_a[x] == nx - x
        ]
        sentence_vec.fill(sims, [
            (x, y) for x, y in near
            if np.isnan(sims[x, y]) and bounds.sentence_bound(float(static_sims[x, y])) >= config.split_cos
        ])
    # One-to-many: an unmatched neighbour that carries the rest of a split (or merged) sentence joins
    # the match when it is close to the matched sentence of the other side.
    groups_a = {x: [x] for x in used_a}
    groups_b = {x: [used_a[x]] for x in used_a}
    for x, y in list(used_a.items()):
        for ny in (y - 1, y + 1):
            if 0 <= ny < len(open_b) and ny not in used_b and sims[x, ny] >= config.split_cos and open_b[ny] - open_b[y] == ny - y:
                groups_b[x].append(ny)
                used_b[ny] = x
        for nx in (x - 1, x + 1):
            if 0 <= nx < len(open_a) and nx not in used_a and sims[nx, y] >= config.split_cos and open_a[nx] - open_a[x] == nx - x:
                groups_a[x].append(nx)
                used_a[nx] = y
    for x in groups_a:
        ka = [sa[open_a[i]] for i in sorted(groups_a[x])]
        kb = [sb[open_b[j]] for j in sorted(groups_b[x])]
        a_rng = (ka[0][0], ka[-1][1])
        b_rng = (kb[0][0], kb[-1][1])
        for s in ka:
            mask_a[s[2] : s[3]] = True
        for s in kb:
            mask_b[s[2] : s[3]] = True
        ta = set(wa.tokens[ka[0][2] : ka[-1][3]])
        tb = set(wb.tokens[kb[0][2] : kb[-1][3]])
        jac = len(ta & tb) / max(len(ta | tb), 1)
        kind = PassageKind.NEAR_VERBATIM if jac >= config.near_verbatim_jaccard else PassageKind.PARAPHRASE
        passages.append(Passage(a_rng, b_rng, kind, round(float(scores[x, used_a[x]]), 4)))
    return doc_cos


def _none_can_match(
    static_sims: np.ndarray, profile_a: Callable[[int], SentenceProfile], profile_b: Callable[[int], SentenceProfile],
    config: AlignConfig, bounds: SemanticBounds,
) -> bool:
    """Whether every open sentence pair is settled as no match by its static cosine (``sentence_settled``):
    then the semantic pass aligns nothing, whatever MiniLM would say of the documents."""
    cells = np.flatnonzero(static_sims >= bounds.sentence_below)
    for flat in cells[np.argsort(-static_sims.ravel()[cells], kind="stable")]:  # likeliest match first
        x, y = divmod(int(flat), static_sims.shape[1])
        if not sentence_settled(profile_a(x), profile_b(y), float(static_sims[x, y]), config, bounds):
            return False
    return True


class _LazyVectors:
    """MiniLM vectors of the open sentences of one pair, embedded only when a cosine is asked for."""

    def __init__(self, embedder: Embedder, texts_a: list[str], texts_b: list[str]) -> None:
        self.embedder, self.texts_a, self.texts_b = embedder, texts_a, texts_b
        self.va: dict[int, np.ndarray] = {}
        self.vb: dict[int, np.ndarray] = {}

    def fill(self, sims: np.ndarray, cells: list[tuple[int, int]]) -> None:
        """Write the MiniLM cosine of each ``(x, y)`` into ``sims``, embedding what is missing in one call."""
        if not cells:
            return
        new_a = sorted({int(x) for x, _ in cells} - self.va.keys())
        new_b = sorted({int(y) for _, y in cells} - self.vb.keys())
        vecs = self.embedder.embed([self.texts_a[x] for x in new_a] + [self.texts_b[y] for y in new_b])
        self.va.update(zip(new_a, vecs[: len(new_a)], strict=True))
        self.vb.update(zip(new_b, vecs[len(new_a) :], strict=True))
        for x, y in cells:
            sims[x, y] = float(self.va[int(x)] @ self.vb[int(y)])
