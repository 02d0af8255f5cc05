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
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from functools import lru_cache
from itertools import chain

import numpy as np

from wiretrace.align.features import PARAPHRASE_FEATURES, SentenceProfile, paraphrase_model, sentence_profile

# Below the threshold's logit by more than this, the vectorised z settles a pair (numpy sums the 34
# terms in another order than Python's ``sum``: their rounding differs by ~1e-14, not 1e-6).
Z_MARGIN = 1e-6


@lru_cache(maxsize=2048)
def cached_profile(text: str, start: int, end: int) -> SentenceProfile:
    """``sentence_profile(text, start, end)``, kept across the pairs a worker relates (a document's
    sentences meet many other documents; the profile depends on nothing else). About 20 kB a profile:
    2,048 of them, some 40 MB a worker."""
    return sentence_profile(text, start, end)


def _counts(rows_a: Sequence[Iterable[Hashable]], rows_b: Sequence[Iterable[Hashable]], multiple: bool = False) -> np.ndarray:
    """``|a & b|`` for every pair of ``rows_a`` x ``rows_b`` (``multiple``: ``rows_a`` are sequences and
    an item counts as often as it occurs: ``sum(1 for t in a if t in b)``). The items both sides hold
    are the columns of one 0/1 (or count) matrix a side; one product counts every pair."""
    na, nb = len(rows_a), len(rows_b)
    shared = frozenset().union(*rows_a) & frozenset().union(*rows_b)
    if not shared:
        return np.zeros((na, nb))
    column = dict(zip(shared, range(len(shared)), strict=True)).__getitem__
    ma = np.zeros((na, len(shared)))
    mb = np.zeros((nb, len(shared)))
    if multiple:
        kept = [list(filter(shared.__contains__, ra)) for ra in rows_a]
        ra_n = list(map(len, kept))
        cols = np.fromiter(map(column, chain.from_iterable(kept)), dtype=np.intp, count=sum(ra_n))
        width = len(shared)
        ma[:] = np.bincount(np.repeat(np.arange(na) * width, ra_n) + cols, minlength=na * width).reshape(na, width)
    else:
        _mark(ma, list(map(shared.intersection, rows_a)), column)
    _mark(mb, list(map(shared.intersection, rows_b)), column)
    return ma @ mb.T


def _mark(m: np.ndarray, rows: list[frozenset], column: Callable[[Hashable], int]) -> None:
    """``m[r, column(t)] = 1`` for every item ``t`` of every row ``rows[r]``."""
    n = list(map(len, rows))
    cols = np.fromiter(map(column, chain.from_iterable(rows)), dtype=np.intp, count=sum(n))
    m[np.repeat(np.arange(len(rows)), n), cols] = 1.0


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
    grams = [_counts([p.grams[n] for p in pa], [p.grams[n] for p in pb]) for n in range(4)]
    size_a = [np.array([len(p.grams[n]) for p in pa], dtype=np.float64)[:, col] for n in range(4)]
    size_b = [np.array([len(p.grams[n]) for p in pb], dtype=np.float64)[col, :] for n in range(4)]
    i1 = grams[0]
    jac = i1 / np.maximum(size_a[0] + size_b[0] - i1, 1.0)
    fwd = [_share(grams[n], size_a[n]) for n in range(4)]
    bwd = [_share(grams[n], size_b[n]) for n in range(4)]
    ca, cb = _sizes(pa, "content")[:, col], _sizes(pb, "content")[col, :]
    ic = _counts([p.content for p in pa], [p.content for p in pb])
    left_a, left_b = 1.0 - _share(ic, ca), 1.0 - _share(ic, cb)
    na, nb = _sizes(pa, "numbers")[:, col], _sizes(pb, "numbers")[col, :]
    inum = _counts([p.numbers for p in pa], [p.numbers for p in pb])
    names_a, names_b = _sizes(pa, "names")[:, col], _sizes(pb, "names")[col, :]
    inames = _counts([p.names for p in pa], [p.names for p in pb])
    # |names_a - content_b| + |names_b - content_a|, over |names_a | names_b|
    missing = (names_a - _counts([p.names for p in pa], [p.content for p in pb])) + (
        names_b - _counts([p.content for p in pa], [p.names for p in pb])
    )
    both = names_a + names_b - inames
    name_mismatch = np.divide(missing, both, out=np.zeros(missing.shape), where=both > 0)
    wa, wb = np.array([p.n_words for p in pa], dtype=np.float64)[:, col], np.array([p.n_words for p in pb], dtype=np.float64)[col, :]
    ichars = _counts([p.chars for p in pa], [p.chars for p in pb])
    istems = _counts([p.stems for p in pa], [p.stems for p in pb])
    # sequence_bound: 2 min(in_a, in_b) / (len a + len b), the tokens of each side whose word the other has
    in_b = _counts([p.tokens for p in pa], [frozenset(p.tokens) for p in pb], multiple=True)
    in_a = _counts([p.tokens for p in pb], [frozenset(p.tokens) for p in pa], multiple=True).T
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
