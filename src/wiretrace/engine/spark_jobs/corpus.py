"""Corpus-wide statistics on Spark: the learned boilerplate blocks and the topic-word idf.

Boilerplate: ``learn_boilerplate`` looks, for each block held by enough documents, at the blocks
(long ones, and all of them for near copies) that the first 12 of those documents (by id) share
pairwise. Here the per-block statistics are an aggregation over ``(block key, document)`` rows that
keeps only the count and the smallest ids, the blocks of each sampled document arrive by a join, and ``learn_boilerplate`` itself judges each
block on that small index, so both engines apply one rule.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from functools import partial
from operator import add
from typing import TYPE_CHECKING, Any

from wiretrace.clean import BlockIndex, CleanConfig, document_blocks, learn_boilerplate
from wiretrace.engine.pipeline import RunConfig, idf_from_counts
from wiretrace.model import Document
from wiretrace.relate.pair import Common, common_cut
from wiretrace.sketch import Sketch

if TYPE_CHECKING:
    from pyspark import RDD

# learn_boilerplate compares the blocks of the 12 smallest ids among a block's documents.
SAMPLE = 12

# per block key: [documents holding it, smallest ids (sorted), long somewhere, short somewhere]
BlockStat = list[Any]


def _block_rows(kv: tuple[str, tuple[frozenset[str], frozenset[str]]]) -> Iterator[tuple[str, tuple[str, bool]]]:
    doc_id, (keys, long_keys) = kv
    for k in keys:
        yield k, (doc_id, k in long_keys)


def _stat(value: tuple[str, bool]) -> BlockStat:
    return [1, [value[0]], value[1], not value[1]]


def _stat_add(stat: BlockStat, value: tuple[str, bool], keep: int) -> BlockStat:
    stat[0] += 1
    bisect.insort(stat[1], value[0])
    del stat[1][keep:]
    stat[2] = stat[2] or value[1]
    stat[3] = stat[3] or not value[1]
    return stat


def _stat_merge(a: BlockStat, b: BlockStat, keep: int) -> BlockStat:
    return [a[0] + b[0], sorted(a[1] + b[1])[:keep], a[2] or b[2], a[3] or b[3]]


def _sampled_blocks(
    kv: tuple[str, tuple[frozenset[str], frozenset[str]]], mixed: Any
) -> tuple[str, tuple[frozenset[str], frozenset[str]]]:
    # Every key of the document (near copies are judged on all of them) and its long keys: the
    # document's own long keys, plus the (practically never seen) keys that are long elsewhere though
    # short here.
    doc_id, (keys, long_keys) = kv
    return doc_id, (keys, long_keys | (keys & mixed.value))


def _judge(
    kv: tuple[str, tuple[Iterable[tuple[str, tuple[frozenset[str], frozenset[str]]]], frozenset[str]]], config: CleanConfig
) -> bool:
    key, (sampled, ids) = kv
    blocks = dict(sampled)
    index = BlockIndex({key: ids}, {d: keys for d, (keys, _) in blocks.items()}, frozenset().union(*(lg for _, lg in blocks.values())))
    return bool(learn_boilerplate(index, config))


def boilerplate(docs: RDD[tuple[str, Document]], config: CleanConfig, partitions: int) -> frozenset[str]:
    """The block keys ``learn_boilerplate`` finds over every document of ``docs``."""
    sc = docs.context
    keep = max(SAMPLE, config.boilerplate_min_docs)
    blocks = docs.mapValues(partial(document_blocks, config=config)).persist()
    stats = blocks.flatMap(_block_rows).combineByKey(
        _stat, partial(_stat_add, keep=keep), partial(_stat_merge, keep=keep), partitions
    )
    stats = stats.filter(lambda kv: kv[1][0] >= config.boilerplate_min_docs or (kv[1][2] and kv[1][3])).persist()
    mixed = sc.broadcast(frozenset(stats.filter(lambda kv: kv[1][2] and kv[1][3]).keys().collect()))
    # Only the ids learn_boilerplate looks at are kept, so a block held by millions of pages costs little.
    frequent = stats.filter(lambda kv: kv[1][0] >= config.boilerplate_min_docs).mapValues(lambda s: s[1])
    wanted = frequent.flatMap(lambda kv: [(d, kv[0]) for d in kv[1][:SAMPLE]])
    sampled = wanted.join(blocks.map(partial(_sampled_blocks, mixed=mixed)), partitions)
    by_key = sampled.map(lambda x: (x[1][0], (x[0], x[1][1]))).groupByKey(partitions)
    judged = by_key.join(frequent.mapValues(frozenset), partitions).filter(partial(_judge, config=config))
    found = judged.keys().collect()
    stats.unpersist()
    blocks.unpersist()
    return frozenset(found)


def topic_idf(sketches: RDD[Sketch], n_docs: int, partitions: int) -> dict[str, float]:
    """``idf_from_sketches`` over every sketch, from document frequencies counted by key."""
    df = sketches.flatMap(lambda sk: sk.topic.keys()).map(lambda k: (k, 1)).reduceByKey(add, partitions).collectAsMap()
    return idf_from_counts(df, n_docs)


def common_anchors(sketches: RDD[Sketch], n_docs: int, config: RunConfig, partitions: int) -> Common:
    """``pipeline.common_anchors`` as a count by key: the anchors held by at least the cut of distinct
    bodies (``relate.Common``), the same dict as the local engine's."""
    cut = common_cut(n_docs, config.relate)
    counts = (
        sketches.flatMap(lambda sk: ((int(a), sk.body_hash) for a in sk.anchors.tolist()))
        .distinct(partitions)
        .map(lambda kv: (kv[0], 1))
        .reduceByKey(add, partitions)
        .filter(lambda kv: kv[1] >= cut)
        .collectAsMap()
    )
    return Common(dict(counts), cut, config.sketch.shingle, config.sketch.anchor_modulus)
