"""The semantic pass: sentences the verbatim pass left open, matched on MiniLM sentence vectors.

Sentences of four words or more are embedded (batched and cached by the ``Embedder``) and matched
greedily by the paraphrase decision (``features.paraphrase_decision``); a sentence may take in a
neighbour of the other side (a rewrite that splits or merges sentences). With the cascade on, the
static vectors settle first what they settle for certain (``bounds.SemanticBounds``), and MiniLM
reads only the sentences an unsettled decision needs; a document cosine they leave open is measured
on the first ``AlignConfig.doc_sentences`` sentences of each side (the lead the lead test reads), not every one.
Which sentence pairs are settled is first asked of the whole matrix at once (``screen.settled_cells``),
then pair by pair (``sentence_settled``) for those the screen leaves open: the same pairs either way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from wiretrace.align.bounds import SemanticBounds, cascade_bounds
from wiretrace.align.config import AlignConfig
from wiretrace.align.features import (
    SentenceProfile,
    paraphrase_decision,
    paraphrase_probability,
    sequence_bound,
)
from wiretrace.align.screen import cached_profile, settled_cells
from wiretrace.align.verbatim import Sentence
from wiretrace.embed.minilm import SentenceReader
from wiretrace.embed.static import StaticEmbedder
from wiretrace.model import Passage, PassageKind
from wiretrace.text.tokens import Words


def mean_cos(va: np.ndarray, vb: np.ndarray) -> float:
    """The cosine of the two sets' mean vectors."""
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
    if paraphrase_probability(pa, pb, top, sequence_bound(pa, pb)) < config.paraphrase_p:
        return True
    return paraphrase_probability(pa, pb, top) < config.paraphrase_p


def semantic_pass(
    text_a: str, sa: list[Sentence], wa: Words, mask_a: np.ndarray,
    text_b: str, sb: list[Sentence], wb: Words, mask_b: np.ndarray,
    config: AlignConfig, embedder: SentenceReader, passages: list[Passage], far: bool | None = None,
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
    open_a = _open_sentences(sa, mask_a, config.explained)
    open_b = _open_sentences(sb, mask_b, config.explained)
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
            prof_a[x] = cached_profile(text_a, sa[open_a[x]][0], sa[open_a[x]][1])
        return prof_a[x]

    def profile_b(y: int) -> SentenceProfile:
        if y not in prof_b:
            prof_b[y] = cached_profile(text_b, sb[open_b[y]][0], sb[open_b[y]][1])
        return prof_b[y]

    xa = static_vectors(embedder.static, text_a, tuple(s[:2] for s in sa)) if bounds is not None else None
    xb = static_vectors(embedder.static, text_b, tuple(s[:2] for s in sb)) if bounds is not None else None
    @functools.cache
    def cells() -> _Cells:
        # The open sentence pairs and their screen, worked out once for the lead-test skip and the reads.
        assert xa is not None and xb is not None and bounds is not None
        return _Cells(xa[open_a] @ xb[open_b].T, bounds)

    if not passages:
        # No verbatim link: compare the leads first, and embed everything only if they agree. Where the
        # static vectors settle the test, the transformer does not read the leads (a settled stop
        # reports no cosine: not measured, and below every same_story threshold).
        lead_static = mean_cos(xa[:n], xb[:n]) if xa is not None and xb is not None else None
        if bounds is not None and lead_static is not None and lead_static < bounds.lead_below:
            return None
        if bounds is None or lead_static is None or lead_static < bounds.lead_above:
            if (
                bounds is not None and xa is not None and xb is not None and not cosine_decides
                and _none_can_match(cells(), profile_a, profile_b, config, bounds)
            ):
                # Either way the test goes, no sentence is matched, and the cosine it would report
                # cannot change the relation: the transformer need not read the leads (None).
                return None
            lead_cos = mean_cos(embedder.embed(texts_a[:n]), embedder.embed(texts_b[:n]))
            if lead_cos < config.lead_cos:
                return round(lead_cos, 4)
    settled, doc_cos = bounds.doc(mean_cos(xa, xb), far) if bounds is not None and xa is not None and xb is not None else (False, None)
    if bounds is not None and not settled:
        # Left open by the static vectors: MiniLM measures it where it can change the relation, on the
        # first doc_sentences sentences of each side only (the lead, already read by the lead test); the
        # sentence pairs are then read as where it is settled (only those no bound rules out).
        settled = True
        doc_cos = round(mean_cos(embedder.embed(texts_a[: config.doc_sentences]), embedder.embed(texts_b[: config.doc_sentences])), 4) if cosine_decides else None
    if not settled or bounds is None or xa is None or xb is None:
        va, vb = embedder.embed(texts_a), embedder.embed(texts_b)
        doc_cos = round(mean_cos(va, vb), 4)
        sims = va[open_a] @ vb[open_b].T
        sentence_vec = None
        static_sims = None
    else:
        # The document cosine is settled: MiniLM reads only the sentences of the pairs the static
        # vectors and the paraphrase model cannot rule out. Unknown cosines are NaN (no match); those
        # ruled out by the static floor are certainly under split_cos too (-1).
        static_sims = cells().sims
        sims = np.full(static_sims.shape, np.nan, dtype=np.float32)
        sims[static_sims < bounds.sentence_below] = -1.0
        need = _needed(cells(), profile_a, profile_b, config, bounds)
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


@functools.lru_cache(maxsize=1024)
def static_vectors(static: StaticEmbedder, text: str, spans: tuple[tuple[int, int], ...]) -> np.ndarray:
    """``static.embed`` of the sentences ``text[s:e]`` of one document, kept for the last thousand
    documents (one is in many candidate pairs: looking each sentence up again, by a hash of its
    characters, cost more than the rest of the static pass). Read only: the array is shared."""
    vecs = static.embed([text[s:e] for s, e in spans])
    vecs.flags.writeable = False
    return vecs


def _open_sentences(sentences: list[Sentence], mask: np.ndarray, explained: float) -> list[int]:
    """The sentences (their indices) whose share of words covered in ``mask`` is under ``explained``:
    ``mask[s[2] : s[3]].mean()`` for all at once (the same count over the same length)."""
    cum = np.concatenate(([0], np.cumsum(mask, dtype=np.int64)))
    first = np.fromiter((s[2] for s in sentences), dtype=np.int64, count=len(sentences))
    end = np.fromiter((s[3] for s in sentences), dtype=np.int64, count=len(sentences))
    with np.errstate(invalid="ignore", divide="ignore"):  # an empty sentence: NaN, never open (as ``mean``)
        share = (cum[end] - cum[first]) / (end - first)
    return np.flatnonzero(share < explained).tolist()


def _ordered_cells(static_sims: np.ndarray, bounds: SemanticBounds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The open sentence pairs above the static floor, likeliest match first (``xs``, ``ys``), and their
    static cosines."""
    cells = np.flatnonzero(static_sims >= bounds.sentence_below)
    ordered = cells[np.argsort(-static_sims.ravel()[cells], kind="stable")]
    xs, ys = np.divmod(ordered, static_sims.shape[1])
    return xs, ys, static_sims.ravel()[ordered].astype(np.float64)


def _screen(
    xs: np.ndarray, ys: np.ndarray, static: np.ndarray, profile_a: Callable[[int], SentenceProfile],
    profile_b: Callable[[int], SentenceProfile], config: AlignConfig, bounds: SemanticBounds,
) -> np.ndarray:
    """True where the screen (the cosine envelope, then ``screen.settled_cells``: the paraphrase model at
    ``sequence_bound`` over the whole matrix) settles a pair as ``sentence_settled`` would; the others
    are for ``sentence_settled`` to decide."""
    if config.paraphrase_p <= 0.0 or len(xs) < _SCREEN_FROM:
        return np.zeros(len(xs), dtype=bool)
    top = bounds.sentence_bounds(static)
    quick = top < config.paraphrase_cos
    rest = np.flatnonzero(~quick)
    if len(rest):
        pa = {int(x): profile_a(int(x)) for x in np.unique(xs[rest])}
        pb = {int(y): profile_b(int(y)) for y in np.unique(ys[rest])}
        quick[rest] = settled_cells(pa, pb, xs[rest], ys[rest], top[rest], config.paraphrase_p)
    return quick


# Fewer open sentence pairs above the static floor than this: each is screened by ``sentence_settled``
# alone (the matrix products cost more than they save).
_SCREEN_FROM = 12


class _Cells:
    """The open sentence pairs of one document pair above the static floor, likeliest match first
    (``_ordered_cells``), and which of them the screen settles (``_screen``, asked once)."""

    def __init__(self, static_sims: np.ndarray, bounds: SemanticBounds) -> None:
        self.sims = static_sims
        self.xs, self.ys, self.static = _ordered_cells(static_sims, bounds)
        self._quick: np.ndarray | None = None

    def quick(self, profile_a: Callable[[int], SentenceProfile], profile_b: Callable[[int], SentenceProfile],
              config: AlignConfig, bounds: SemanticBounds) -> np.ndarray:
        """``_screen`` of every cell (each cell's answer depends on that pair alone)."""
        if self._quick is None:
            self._quick = _screen(self.xs, self.ys, self.static, profile_a, profile_b, config, bounds)
        return self._quick


def _needed(
    cells: _Cells, profile_a: Callable[[int], SentenceProfile], profile_b: Callable[[int], SentenceProfile],
    config: AlignConfig, bounds: SemanticBounds,
) -> list[tuple[int, int]]:
    """The sentence pairs whose MiniLM cosine the pass reads: likeliest first, each one that
    ``sentence_settled`` leaves open, and each pair of two sentences MiniLM reads anyway (read before
    it in that order). A pair the screen settles adds no sentence, so which of them are read follows
    from the first position at which each sentence is needed."""
    xs, ys, static, static_sims = cells.xs, cells.ys, cells.static, cells.sims
    quick = cells.quick(profile_a, profile_b, config, bounds)
    first_a: dict[int, int] = {}
    first_b: dict[int, int] = {}
    taken = np.zeros(len(xs), dtype=bool)
    for k in np.flatnonzero(~quick):
        x, y = int(xs[k]), int(ys[k])
        # Two sentences MiniLM reads anyway: their cosine costs nothing more than the test.
        if (x in first_a and y in first_b) or not sentence_settled(profile_a(x), profile_b(y), float(static[k]), config, bounds):
            taken[k] = True
            first_a.setdefault(x, int(k))
            first_b.setdefault(y, int(k))
    if first_a and quick.any():
        big = len(xs)
        fa = np.full(static_sims.shape[0], big)
        fb = np.full(static_sims.shape[1], big)
        fa[list(first_a)] = list(first_a.values())
        fb[list(first_b)] = list(first_b.values())
        pos = np.arange(len(xs))
        taken |= quick & (fa[xs] < pos) & (fb[ys] < pos)
    return [(int(xs[k]), int(ys[k])) for k in np.flatnonzero(taken)]


def _none_can_match(
    cells: _Cells, profile_a: Callable[[int], SentenceProfile], profile_b: Callable[[int], SentenceProfile],
    config: AlignConfig, bounds: SemanticBounds,
) -> bool:
    """Whether every open sentence pair is settled as no match by its static cosine (``sentence_settled``):
    then the semantic pass aligns nothing, whatever MiniLM would say of the documents."""
    xs, ys, static = cells.xs, cells.ys, cells.static
    # The likeliest few pair by pair first: where one of them is open, the answer needs no matrix.
    for k in range(min(_PROBE, len(xs))):
        if not sentence_settled(profile_a(int(xs[k])), profile_b(int(ys[k])), float(static[k]), config, bounds):
            return False
    # The screen of every cell (``_needed`` reads it again where the pass goes on), the probed ones apart.
    quick = cells.quick(profile_a, profile_b, config, bounds)
    for j in np.flatnonzero(~quick[_PROBE:]) + _PROBE:  # likeliest match first
        if not sentence_settled(profile_a(int(xs[j])), profile_b(int(ys[j])), float(static[j]), config, bounds):
            return False
    return True


_PROBE = 4  # open pairs ``_none_can_match`` asks ``sentence_settled`` about before the screen


class _LazyVectors:
    """MiniLM vectors of the open sentences of one pair, embedded only when a cosine is asked for."""

    def __init__(self, embedder: SentenceReader, texts_a: list[str], texts_b: list[str]) -> None:
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
