"""Candidate pairs on Spark: the four paths of ``CandidateIndex.query`` as joins on their keys.

Every sketch emits its keys (body hash, LSH band keys from ``band_keys``, anchors, names); documents
meet by key in a shuffle, each bucket within the path's size limit emits its pairs, and the pairs'
evidence is summed by pair. The rules are those of ``CandidateIndex.query``:

* ``exact``: equal body hashes (non-empty bodies), whatever the bucket size;
* ``lsh``: a band bucket of at most ``max_key_docs * 4`` documents;
* ``anchors``: at least ``min_anchors`` shared anchors, each held by at most ``max_key_docs``;
* ``names``: names held by 2..``max_key_docs`` documents, weighted by ``name_weight``; a summed
  weight of ``min_name_weight`` over at least ``min_names`` names.

Buckets keep at most ``max_key_docs * 4 + 1`` ids (enough to tell that a key is too common), so a
stock phrase held by millions of pages costs one short list. Name weights are summed with
``math.fsum``: the same total in any order, so the same pairs for any partitioning.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from wiretrace.candidates.lexical import CandidateConfig, band_keys, name_weight
from wiretrace.sketch import Sketch

if TYPE_CHECKING:
    from pyspark import RDD

Key = tuple[str, object]  # (path, key)
Evidence = tuple[int, int, tuple[float, ...]]  # (exact | lsh bits, shared anchors, shared name weights)
PairKey = tuple[str, str]  # (smaller id, larger id)
_EXACT, _LSH = 1, 2


def sketch_keys(sk: Sketch, bands: int) -> Iterator[tuple[Key, str]]:
    """The keys one document is filed under, as ``CandidateIndex.insert`` files it."""
    for band in band_keys(sk, bands):
        yield ("lsh", band), sk.doc_id
    for a in sk.anchors.tolist():
        yield ("anchors", a), sk.doc_id
    for n in sk.names:
        yield ("names", n), sk.doc_id


def _bucket(doc_id: str) -> list[str]:
    return [doc_id]


def _bucket_add(ids: list[str], doc_id: str, cap: int) -> list[str]:
    if len(ids) < cap:
        ids.append(doc_id)
    return ids


def _bucket_merge(a: list[str], b: list[str], cap: int) -> list[str]:
    return (a + b)[:cap]


def _pairs(ids: list[str]) -> Iterator[PairKey]:
    ids = sorted(ids)
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            yield a, b


def _bucket_pairs(kv: tuple[Key, list[str]], config: CandidateConfig, n_docs: int) -> Iterator[tuple[PairKey, Evidence]]:
    (path, _), ids = kv
    n = len(ids)
    if n < 2:
        return
    if path == "lsh" and n <= config.max_key_docs * 4:
        for p in _pairs(ids):
            yield p, (_LSH, 0, ())
    elif path == "anchors" and n <= config.max_key_docs:
        for p in _pairs(ids):
            yield p, (0, 1, ())
    elif path == "names" and n <= config.max_key_docs:
        w = name_weight(n, n_docs)
        for p in _pairs(ids):
            yield p, (0, 0, (w,))


def _exact_pairs(kv: tuple[str, object]) -> Iterator[tuple[PairKey, Evidence]]:
    for p in _pairs(list(kv[1])):  # type: ignore[call-overload]
        yield p, (_EXACT, 0, ())


def _merge(a: Evidence, b: Evidence) -> Evidence:
    return a[0] | b[0], a[1] + b[1], a[2] + b[2]


def _reasons(kv: tuple[PairKey, Evidence], config: CandidateConfig) -> tuple[PairKey, tuple[str, ...]]:
    key, (bits, anchors, weights) = kv
    why = []
    if bits & _EXACT:
        why.append("exact")
    if bits & _LSH:
        why.append("lsh")
    if anchors >= config.min_anchors:
        why.append("anchors")
    if len(weights) >= config.min_names and math.fsum(weights) >= config.min_name_weight:
        why.append("names")
    return key, tuple(sorted(why))


def candidate_pairs(
    sketches: RDD[Sketch], config: CandidateConfig, n_docs: int, partitions: int
) -> RDD[tuple[PairKey, tuple[str, ...]]]:
    """Every candidate pair ``((a, b), reasons)`` with ``a < b``, as ``candidate_pairs`` finds them locally.

    ``n_docs`` is the number of documents (``CandidateIndex`` weighs names by it).
    """
    n_docs = max(n_docs, 2)
    cap = config.max_key_docs * 4 + 1
    keyed = sketches.flatMap(partial(sketch_keys, bands=config.bands))
    buckets = keyed.combineByKey(_bucket, partial(_bucket_add, cap=cap), partial(_bucket_merge, cap=cap), partitions)
    evidence = buckets.flatMap(partial(_bucket_pairs, config=config, n_docs=n_docs))
    exact = sketches.filter(lambda sk: sk.n_words > 0).map(lambda sk: (sk.body_hash, sk.doc_id)).groupByKey(partitions)
    evidence = evidence.union(exact.flatMap(_exact_pairs))
    found = evidence.reduceByKey(_merge, partitions).map(partial(_reasons, config=config))
    return found.filter(lambda kv: bool(kv[1]))
