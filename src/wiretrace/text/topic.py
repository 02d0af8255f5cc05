"""Topic vectors: content-word counts of a text, compared by (optionally idf-weighted) cosine.

The cheap test of "are these two texts about the same thing" that gates the dear embedding pass,
and the coherence test the cleaner uses for blocks.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

from wiretrace.text.names import STOP
from wiretrace.text.tokens import word_tokens


def content_words(text: str, start: int = 0, end: int | None = None) -> Counter[str]:
    return content_of(word_tokens(text, start, end))


def content_of(tokens: Iterable[str]) -> Counter[str]:
    """The content words among word tokens (``content_words`` of text already tokenised)."""
    return Counter([t for t in tokens if len(t) > 2 and t not in STOP and not t.isdigit()])


def ranges_words(text: str, ranges: tuple[tuple[int, int], ...]) -> Counter[str]:
    out: Counter[str] = Counter()
    for s, e in ranges:
        out.update(content_words(text, s, e))
    return out


def cosine(a: Mapping[str, float], b: Mapping[str, float], idf: Mapping[str, float] | None = None) -> float:
    if not a or not b:
        return 0.0
    # The dot product runs over the words both hold, in ``a``'s order: the words only one side holds
    # add exact zeros, so the sum is the same float as over every word of ``a`` (at a fraction of
    # the work: two topics share tens of their hundreds of words).
    shared = [k for k in a if k in b]
    if idf is None:
        dot = sum(a[k] * b[k] for k in shared)
        na = math.sqrt(sum(v * v for v in a.values()))
        nb = math.sqrt(sum(v * v for v in b.values()))
    else:
        get = idf.get
        dot = sum(a[k] * b[k] * get(k, 1.0) ** 2 for k in shared)
        na, nb = _norm(a, idf), _norm(b, idf)
    return dot / (na * nb) if na and nb else 0.0


# idf-weighted norms of the plain dicts compared last under the last idf (documents' topic vectors:
# a document is in many candidate pairs): id(vector) -> (vector, size, norm). An entry holds its
# vector, so the id is not reused while cached; a vector is not changed once compared (a Counter,
# the cleaner's changing bag of words, is never cached). Another idf empties the cache.
_NORMS: dict[int, tuple[Mapping[str, float], int, float]] = {}
_NORMS_IDF: list[Mapping[str, float]] = []
_NORMS_MAX = 2048


def _norm(a: Mapping[str, float], idf: Mapping[str, float]) -> float:
    if not _NORMS_IDF or _NORMS_IDF[0] is not idf:
        _NORMS.clear()
        _NORMS_IDF[:] = [idf]
    hit = _NORMS.get(id(a))
    if hit is not None and hit[0] is a and hit[1] == len(a):
        return hit[2]
    get = idf.get
    norm = math.sqrt(sum((v * get(k, 1.0)) ** 2 for k, v in a.items()))
    if type(a) is dict:
        if len(_NORMS) >= _NORMS_MAX:
            _NORMS.clear()
        _NORMS[id(a)] = (a, len(a), norm)
    return norm


def idf_from_counts(df: Mapping[str, int], n: int) -> dict[str, float]:
    """Smoothed idf from document frequencies over ``n`` documents (shared with the Spark engine)."""
    return {k: math.log((1 + n) / (1 + v)) + 1.0 for k, v in df.items()}


def corpus_size(idf: Mapping[str, float]) -> float:
    """The number of documents a smoothed idf (``pipeline.idf_from_counts``: ``log((1 + n) / (1 + df)) + 1``)
    was counted over, read back from its rarest word (df 1); 0 for an empty one."""
    return 2.0 * math.exp(max(idf.values()) - 1.0) - 1.0 if idf else 0.0


def doc_frequency(idf_value: float, n_docs: float) -> float:
    """The document count behind one smoothed idf value over ``n_docs`` documents."""
    return (1.0 + n_docs) / math.exp(idf_value - 1.0) - 1.0
