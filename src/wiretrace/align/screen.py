"""The paraphrase model over a whole sentence-pair matrix at once: the semantic pass's cheap screen.

``semantic.sentence_settled`` asks, one sentence pair at a time, whether the paraphrase model says no
even at the largest MiniLM cosine the static one allows, first with ``sequence_bound`` in place of the
matcher's ratio. Its features are set sizes and set intersections of the two sentences' profiles
(word 1- to 4-grams, content words, numbers, names, character 3-grams, stems), so they can be computed
for every sentence pair of a document pair in a few matrix products: each kind of set becomes a 0/1
matrix (one row a sentence, one column an item both documents write; items only one side writes
cannot be shared), and the product of the two sides' matrices counts every pair's intersection.
``feature_matrix`` returns ``paraphrase_features(pa, pb, cos, sequence_bound(pa, pb))`` for all pairs
(``tests/test_screen.py`` checks it feature by feature on real sentences), and ``settled_cells`` the
pairs whose model value at that bound is below the threshold by a margin far wider than the rounding
of a different summation order: those are settled exactly as ``sentence_settled``'s first test settles
them; every other pair is left to ``sentence_settled`` itself, so no decision changes.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from wiretrace.align.features import (
    PARAPHRASE_FEATURES,
    SentenceProfile,
    paraphrase_model,
    sentence_profile,
)

# Below the threshold's logit by more than this, the vectorised z settles a pair (numpy sums the 34
# terms in another order than Python's ``sum``: their rounding differs by ~1e-14, not 1e-6).
Z_MARGIN = 1e-6


@lru_cache(maxsize=2048)
def cached_profile(text: str, start: int, end: int) -> SentenceProfile:
    """``sentence_profile(text, start, end)``, kept across the pairs a worker relates (a document's
    sentences meet many other documents; the profile depends on nothing else)."""
    return sentence_profile(text, start, end)


# Every item a profile's sets hold (words, n-gram tuples, character 3-grams, stems), numbered once per
# worker: a profile's sets become integer arrays once, and a pair's intersections are array work. Items
# of different kinds may share a number; only sets of one kind are ever intersected. Past
# ``_VOCAB_MOST`` items the numbering starts again (with the arrays made from it).
_VOCAB: dict[Hashable, int] = {}
_VOCAB_MOST = 300_000
_IDS: OrderedDict[int, tuple[SentenceProfile, _Ids]] = OrderedDict()
_IDS_MOST = 2048


class _Ids(NamedTuple):
    """A profile's sets as item numbers: distinct words (and how often each occurs), the content words,
    numbers and names among them, word 2- to 4-grams, character 3-grams, stems."""

    words: np.ndarray
    counts: np.ndarray
    content: np.ndarray
    numbers: np.ndarray
    names: np.ndarray
    grams: tuple[np.ndarray, np.ndarray, np.ndarray]
    chars: np.ndarray
    stems: np.ndarray


def _numbered(items: Iterable[Hashable]) -> np.ndarray:
    v = _VOCAB
    return np.fromiter((v.setdefault(t, len(v)) for t in items), dtype=np.int64)


def _ids(p: SentenceProfile) -> _Ids:
    got = _IDS.get(id(p))
    if got is not None and got[0] is p:
        _IDS.move_to_end(id(p))
        return got[1]
    tally = Counter(p.tokens)
    ids = _Ids(
        words=_numbered(tally), counts=np.fromiter(tally.values(), dtype=np.float64, count=len(tally)),
        content=_numbered(p.content), numbers=_numbered(p.numbers), names=_numbered(p.names),
        grams=(_numbered(p.grams[1]), _numbered(p.grams[2]), _numbered(p.grams[3])),
        chars=_numbered(p.chars), stems=_numbered(p.stems),
    )
    _IDS[id(p)] = (p, ids)  # the profile is held: its id() is not reused while the entry lives
    if len(_IDS) > _IDS_MOST:
        _IDS.popitem(last=False)
    return ids


def _renumber_if_full() -> None:
    if len(_VOCAB) > _VOCAB_MOST:
        _VOCAB.clear()
        _IDS.clear()


def _dense(rows: Sequence[np.ndarray], shared: np.ndarray, weights: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """The matrix of ``rows`` (arrays of distinct item numbers) over the columns ``shared`` (sorted):
    1, or the row's weight of the item, where the row holds it."""
    m = np.zeros((len(rows), len(shared)))
    if not len(shared) or not rows:
        return m
    ids = np.concatenate(rows)
    at = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    pos = np.minimum(np.searchsorted(shared, ids), len(shared) - 1)
    hit = shared[pos] == ids
    m[at[hit], pos[hit]] = 1.0 if weights is None else np.concatenate(weights)[hit]
    return m


def _counts(rows_a: Sequence[np.ndarray], rows_b: Sequence[np.ndarray]) -> np.ndarray:
    """``|a & b|`` for every pair of ``rows_a`` x ``rows_b`` (arrays of distinct item numbers): only the
    items both sides hold are columns."""
    if not rows_a or not rows_b:
        return np.zeros((len(rows_a), len(rows_b)))
    shared = np.intersect1d(np.concatenate(rows_a), np.concatenate(rows_b))
    return _dense(rows_a, shared) @ _dense(rows_b, shared).T


def _word_counts(ia: Sequence[_Ids], ib: Sequence[_Ids]) -> dict[str, np.ndarray]:
    """The intersections of the word-level sets over the words both sides write (content words,
    numbers and names are words), and ``sequence_bound``'s counts of each side's tokens whose word the
    other side has."""
    shared = np.intersect1d(np.concatenate([i.words for i in ia]), np.concatenate([i.words for i in ib]))
    wa, wb = _dense([i.words for i in ia], shared), _dense([i.words for i in ib], shared)
    ca, cb = _dense([i.content for i in ia], shared), _dense([i.content for i in ib], shared)
    names_a, names_b = _dense([i.names for i in ia], shared), _dense([i.names for i in ib], shared)
    # One small product per intersection: a single stacked one is big enough for OpenBLAS to start its
    # threads, which costs more than the arithmetic at these sizes.
    return {
        "words": wa @ wb.T, "content": ca @ wb.T, "numbers": _dense([i.numbers for i in ia], shared) @ wb.T,
        "names": names_a @ names_b.T, "names_content": names_a @ cb.T, "content_names": ca @ names_b.T,
        "in_b": _dense([i.words for i in ia], shared, [i.counts for i in ia]) @ wb.T,
        "in_a": wa @ _dense([i.words for i in ib], shared, [i.counts for i in ib]).T,
    }


def _share(i: np.ndarray, n: np.ndarray) -> np.ndarray:
    """``features._share``: ``i / n`` where ``n`` (broadcast) is non-zero, else 0."""
    n = np.broadcast_to(n, i.shape)
    return np.divide(i, n, out=np.zeros(i.shape), where=n > 0)


def _mismatch(i: np.ndarray, na: np.ndarray, nb: np.ndarray) -> np.ndarray:
    """``features._mismatch`` from the intersections and the set sizes."""
    u = na + nb - i
    return np.divide(u - i, u, out=np.zeros(i.shape), where=u > 0)


def _sizes(profiles: Sequence[SentenceProfile], attr: str) -> np.ndarray:
    return np.array([len(getattr(p, attr)) for p in profiles], dtype=np.float64)


def feature_matrix(pa: Sequence[SentenceProfile], pb: Sequence[SentenceProfile], cos: np.ndarray) -> np.ndarray:
    """``paraphrase_features(pa[x], pb[y], cos[x, y], sequence_bound(pa[x], pb[y]))`` for every pair,
    shape ``(features, len(pa), len(pb))`` in ``PARAPHRASE_FEATURES`` order."""
    col = np.newaxis
    _renumber_if_full()
    ia, ib = [_ids(p) for p in pa], [_ids(p) for p in pb]
    words = _word_counts(ia, ib)
    grams = [words["words"]] + [_counts([i.grams[n - 1] for i in ia], [i.grams[n - 1] for i in ib]) for n in range(1, 4)]
    size_a = [np.array([len(p.grams[n]) for p in pa], dtype=np.float64)[:, col] for n in range(4)]
    size_b = [np.array([len(p.grams[n]) for p in pb], dtype=np.float64)[col, :] for n in range(4)]
    i1 = grams[0]
    jac = i1 / np.maximum(size_a[0] + size_b[0] - i1, 1.0)
    fwd = [_share(grams[n], size_a[n]) for n in range(4)]
    bwd = [_share(grams[n], size_b[n]) for n in range(4)]
    ca, cb = _sizes(pa, "content")[:, col], _sizes(pb, "content")[col, :]
    ic = words["content"]
    left_a, left_b = 1.0 - _share(ic, ca), 1.0 - _share(ic, cb)
    na, nb = _sizes(pa, "numbers")[:, col], _sizes(pb, "numbers")[col, :]
    inum = words["numbers"]
    names_a, names_b = _sizes(pa, "names")[:, col], _sizes(pb, "names")[col, :]
    inames = words["names"]
    # |names_a - content_b| + |names_b - content_a|, over |names_a | names_b|
    missing = (names_a - words["names_content"]) + (names_b - words["content_names"])
    both = names_a + names_b - inames
    name_mismatch = np.divide(missing, both, out=np.zeros(missing.shape), where=both > 0)
    wa, wb = np.array([p.n_words for p in pa], dtype=np.float64)[:, col], np.array([p.n_words for p in pb], dtype=np.float64)[col, :]
    ichars = _counts([i.chars for i in ia], [i.chars for i in ib])
    istems = _counts([i.stems for i in ia], [i.stems for i in ib])
    # sequence_bound: 2 min(in_a, in_b) / (len a + len b), the tokens of each side whose word the other has
    in_b, in_a = words["in_b"], words["in_a"]
    n_tok = wa + wb
    sequence = np.divide(2.0 * np.minimum(in_a, in_b), n_tok, out=np.zeros(in_a.shape), where=n_tok > 0)
    shared_n, unmatched_n = inum, na + nb - 2.0 * inum
    la, lb = ca - ic, cb - ic

    def flag(v: np.ndarray) -> np.ndarray:
        return v.astype(np.float64)

    neg_a = np.array([p.negated for p in pa])[:, col]
    neg_b = np.array([p.negated for p in pb])[col, :]
    first_a, first_b = _ends(pa, pb, 0)
    last_a, last_b = _ends(pa, pb, -1)
    shape = i1.shape
    feats = (
        cos, cos * cos, cos * jac, jac, 1.0 - _mismatch(ic, ca, cb),
        *((f + b) / 2 for f, b in zip(fwd, bwd, strict=True)), *(np.minimum(f, b) for f, b in zip(fwd, bwd, strict=True)),
        np.maximum(left_a, left_b), np.minimum(left_a, left_b), np.log1p(ca + cb - 2.0 * ic),
        _mismatch(inum, na, nb), name_mismatch,
        np.minimum(wa, wb) / np.maximum(np.maximum(wa, wb), 1.0),
        1.0 - _mismatch(ichars, _sizes(pa, "chars")[:, col], _sizes(pb, "chars")[col, :]),
        1.0 - _mismatch(istems, _sizes(pa, "stems")[:, col], _sizes(pb, "stems")[col, :]),
        sequence,
        flag(shared_n > 0), flag(unmatched_n > 0), flag((na > 0) & (nb > 0) & (shared_n == 0)), np.log1p(unmatched_n),
        flag((na > 0) != (nb > 0)),
        flag(neg_a != neg_b), flag(first_a == first_b), flag(last_a == last_b),
        np.log1p(np.abs(wa - wb)),
        np.log1p(np.maximum(la, lb)), np.log1p(np.minimum(la, lb)), np.log1p(inames),
    )
    assert len(feats) == len(PARAPHRASE_FEATURES)
    return np.stack([np.broadcast_to(f, shape) for f in feats])


def _ends(pa: Sequence[SentenceProfile], pb: Sequence[SentenceProfile], k: int) -> tuple[np.ndarray, np.ndarray]:
    """Ids of each sentence's first (``k`` 0) or last (-1) token, equal where the tokens are, -1 for none
    (two empty sentences agree: ``() == ()``)."""
    ids: dict[str, int] = {}
    a = np.array([ids.setdefault(p.tokens[k], len(ids)) if p.tokens else -1 for p in pa])[:, np.newaxis]
    b = np.array([ids.setdefault(p.tokens[k], len(ids)) if p.tokens else -1 for p in pb])[np.newaxis, :]
    return a, b


def settled_cells(
    pa: Mapping[int, SentenceProfile] | Sequence[SentenceProfile], pb: Mapping[int, SentenceProfile] | Sequence[SentenceProfile], xs: np.ndarray, ys: np.ndarray, top: np.ndarray,
    paraphrase_p: float,
) -> np.ndarray:
    """For the sentence pairs ``(pa[xs[k]], pb[ys[k]])`` at MiniLM cosine bounds ``top[k]``: True where the
    paraphrase model's probability with ``sequence_bound`` for the matcher is certainly below
    ``paraphrase_p`` (then ``sentence_settled`` is True); False leaves the pair to ``sentence_settled``."""
    if not len(xs) or paraphrase_p <= 0.0:
        return np.zeros(len(xs), dtype=bool)
    rows, xi = np.unique(xs, return_inverse=True)
    cols, yi = np.unique(ys, return_inverse=True)
    cos = np.zeros((len(rows), len(cols)))
    cos[xi, yi] = top
    feats = feature_matrix([pa[int(r)] for r in rows], [pb[int(c)] for c in cols], cos)[:, xi, yi]
    model = paraphrase_model()
    z = model.bias + np.asarray(model.weights) @ feats
    return z < math.log(paraphrase_p / (1.0 - paraphrase_p)) - Z_MARGIN
