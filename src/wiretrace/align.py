"""Align: which passages of document a reappear in document b, with offsets on both sides.

Two passes, cheap first:
1. **Seed and extend** (verbatim): shared word 5-grams are seeds; seeds on nearby diagonals chain
   into maximal passages, tolerating small edits (a changed word, a dropped clause). A chain with no
   gap is ``verbatim``, one with gaps ``near_verbatim``.
2. **Semantic** (paraphrase): sentences that the first pass left unexplained on both sides are
   embedded and matched greedily by cosine; a sentence may match two adjacent sentences of the
   other side (a rewrite that splits or merges sentences).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .embed import Embedder
from .errors import ConfigError
from .model import Passage
from .sketch import shingle_hashes
from .tokens import Words, sentences, words_in_ranges


@dataclass(frozen=True, slots=True)
class AlignConfig:
    seed: int = 5  # words per seed
    max_gap: int = 8  # words of edit tolerated inside a passage
    min_passage: int = 8  # words; shorter verbatim runs are chance
    explained: float = 0.6  # a sentence this much covered by verbatim passages needs no embedding
    paraphrase_cos: float = 0.72  # sentence cosine that counts as a paraphrase
    split_cos: float = 0.55  # cosine for the second sentence of a one-to-two match
    near_verbatim_jaccard: float = 0.5  # a semantic match this lexically close is near_verbatim
    topic_cos: float = 0.3  # idf-weighted content-word cosine below which no embedding is spent
    lead: int = 3  # sentences embedded first to decide whether the whole texts are worth embedding
    lead_cos: float = 0.5  # ...when no verbatim passage links the texts already
    semantic: bool = True  # run the embedding pass

    def __post_init__(self) -> None:
        if not 2 <= self.seed <= 12:
            raise ConfigError("align", "seed", self.seed, "2 to 12 words")
        if not 0.0 < self.paraphrase_cos <= 1.0:
            raise ConfigError("align", "paraphrase_cos", self.paraphrase_cos, "a cosine in (0, 1]")
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


def verbatim_passages(wa: Words, wb: Words, config: AlignConfig) -> list[tuple[int, int, int, int, str, float]]:
    """Token-range passages ``(a0, a1, b0, b1, kind, score)`` from seed-and-extend."""
    k = config.seed
    if len(wa) < k or len(wb) < k:
        return []
    ha = shingle_hashes(wa.tokens, k).tolist()
    hb = shingle_hashes(wb.tokens, k).tolist()
    where: dict[int, list[int]] = defaultdict(list)
    for j, h in enumerate(hb):
        if len(where[h]) < 8:
            where[h].append(j)
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
    # One passage per stretch of text on each side: keep the longest where they overlap.
    out.sort(key=lambda p: (-(p[1] - p[0]), p[0], p[2]))
    kept: list[tuple[int, int, int, int, str, float]] = []
    for p in out:
        if all(p[1] <= q[0] or q[1] <= p[0] for q in kept) and all(p[3] <= q[2] or q[3] <= p[2] for q in kept):
            kept.append(p)
    return sorted(kept, key=lambda p: p[0])


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
) -> Alignment:
    """Align the ``ranges`` of two raw texts (usually their cleaned content spans)."""
    config = config or AlignConfig()
    wa, wb = words_in_ranges(text_a, ranges_a), words_in_ranges(text_b, ranges_b)
    vp = verbatim_passages(wa, wb, config)
    passages = [
        Passage((wa.starts[a0], wa.ends[a1 - 1]), (wb.starts[b0], wb.ends[b1 - 1]), kind, score)
        for a0, a1, b0, b1, kind, score in vp
    ]
    mask_a = _covered(len(wa), [(p[0], p[1]) for p in vp])
    mask_b = _covered(len(wb), [(p[2], p[3]) for p in vp])
    verb_a = float(mask_a.mean()) if len(wa) else 0.0
    verb_b = float(mask_b.mean()) if len(wb) else 0.0
    doc_cos = None
    if semantic and config.semantic and embedder is not None and len(wa) and len(wb):
        doc_cos = _semantic_pass(text_a, ranges_a, wa, mask_a, text_b, ranges_b, wb, mask_b, config, embedder, passages)
    lexical = _lexical(wa, wb, config.seed)
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


def _lexical(wa: Words, wb: Words, k: int) -> float:
    sa = set(shingle_hashes(wa.tokens, k).tolist())
    sb = set(shingle_hashes(wb.tokens, k).tolist())
    if not sa or not sb:
        return 0.0
    return round(len(sa & sb) / min(len(sa), len(sb)), 4)


def _sentences(text: str, ranges: tuple[tuple[int, int], ...], w: Words) -> list[tuple[int, int, int, int]]:
    """Sentences as ``(char_start, char_end, tok_start, tok_end)``; those with under 4 words dropped."""
    out = []
    for s, e in ranges:
        for ss, se in sentences(text, s, e):
            t0, t1 = _token_range(w, ss, se)
            if t1 - t0 >= 4:
                out.append((ss, se, t0, t1))
    return out


def _mean_cos(va: np.ndarray, vb: np.ndarray) -> float:
    ma, mb = va.mean(axis=0), vb.mean(axis=0)
    return float(ma @ mb / max(float(np.linalg.norm(ma) * np.linalg.norm(mb)), 1e-9))


def _semantic_pass(
    text_a: str, ranges_a: tuple[tuple[int, int], ...], wa: Words, mask_a: np.ndarray,
    text_b: str, ranges_b: tuple[tuple[int, int], ...], wb: Words, mask_b: np.ndarray,
    config: AlignConfig, embedder: Embedder, passages: list[Passage],
) -> float | None:
    sa = _sentences(text_a, ranges_a, wa)
    sb = _sentences(text_b, ranges_b, wb)
    if not sa or not sb:
        return None
    open_a = [k for k, s in enumerate(sa) if mask_a[s[2] : s[3]].mean() < config.explained]
    open_b = [k for k, s in enumerate(sb) if mask_b[s[2] : s[3]].mean() < config.explained]
    if not open_a or not open_b:
        # Everything one side says is found verbatim in the other: embeddings add nothing.
        return None
    if not passages:
        # No verbatim link: compare the leads first, and embed everything only if they agree.
        la = embedder.embed([text_a[s[0] : s[1]] for s in sa[: config.lead]])
        lb = embedder.embed([text_b[s[0] : s[1]] for s in sb[: config.lead]])
        lead_cos = _mean_cos(la, lb)
        if lead_cos < config.lead_cos:
            return round(lead_cos, 4)
    va = embedder.embed([text_a[s[0] : s[1]] for s in sa])
    vb = embedder.embed([text_b[s[0] : s[1]] for s in sb])
    doc_cos = _mean_cos(va, vb)
    sims = va[open_a] @ vb[open_b].T
    order = np.argsort(-sims, axis=None)
    used_a: dict[int, int] = {}
    used_b: dict[int, int] = {}
    for flat in order:
        x, y = divmod(int(flat), len(open_b))
        if sims[x, y] < config.paraphrase_cos:
            break
        if x in used_a or y in used_b:
            continue
        used_a[x], used_b[y] = y, x
    # One-to-two: an unmatched neighbour that carries the rest of a split sentence joins the match.
    groups_a = {x: [x] for x in used_a}
    groups_b = {x: [used_a[x]] for x in used_a}
    for x, y in list(used_a.items()):
        for ny in (y - 1, y + 1):
            if 0 <= ny < len(open_b) and ny not in used_b and sims[x, ny] >= config.split_cos and open_b[ny] - open_b[y] == ny - y:
                groups_b[x].append(ny)
                used_b[ny] = x
        for nx in (x - 1, x + 1):
            if 0 <= nx < len(open_a) and nx not in used_a and nx not in groups_a and sims[nx, y] >= config.split_cos:
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
        kind = "near_verbatim" if jac >= config.near_verbatim_jaccard else "paraphrase"
        passages.append(Passage(a_rng, b_rng, kind, round(float(sims[x, used_a[x]]), 4)))
    return round(doc_cos, 4)
