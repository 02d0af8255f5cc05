"""The per-partition work of the Spark engine: the local engine's stage functions over iterators.

Each function here runs on an executor inside ``mapPartitions`` and calls the same pure function the
local engine's workers call (``stages.clean_docs``, ``sketch_docs``, ``relate_pairs``, ``trace_story``). The sentence embedder
is made once per Python worker and shared by the partitions it runs; its cache only holds vectors,
which do not depend on what else was embedded, so no result depends on which partition ran first.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from wiretrace.align import Alignment
from wiretrace.candidates.neighbours import body_text
from wiretrace.embed.minilm import Embedder
from wiretrace.embed.static import StaticEmbedder
from wiretrace.engine.executor import WorkerCache
from wiretrace.model import Cleaned, Document, Pair, Story
from wiretrace.stages import (
    Prepared,
    RelateContext,
    RunConfig,
    alignment,
    clean_docs,
    relate_pairs,
    sketch_docs,
)
from wiretrace.trace.provenance import trace_story

PairKey = tuple[str, str]
_EMBEDDER: Embedder | None = None
_NO_U32 = np.zeros(0, dtype=np.uint32)
_NO_U64 = np.zeros(0, dtype=np.uint64)


def worker_embedder() -> Embedder:
    """This worker's embedder (the model loads once per Python worker, on first use)."""
    global _EMBEDDER
    if _EMBEDDER is None:
        # The local engine's worker cache without a store: vectors rounded as the store keeps them (so
        # Spark and the local engine read the same numbers), started afresh past ``CACHE_LIMIT``.
        _EMBEDDER = Embedder(cache=WorkerCache(None))
    return _EMBEDDER


def clean_partition(
    rows: Iterable[tuple[str, Document]], boilerplate: Any, config: RunConfig
) -> Iterator[tuple[str, tuple[Document, Cleaned]]]:
    """Clean each document with the corpus's learned boilerplate (a broadcast): ``stages.clean_docs``."""
    items = list(rows)
    cleaned = clean_docs([d for _, d in items], boilerplate.value, config)
    yield from ((doc_id, (doc, cl)) for (doc_id, doc), cl in zip(items, cleaned, strict=True))


def sketch_partition(rows: Iterable[tuple[str, tuple[Document, Cleaned]]], config: RunConfig) -> Iterator[tuple[str, Prepared]]:
    """Sketch each cleaned document: ``stages.sketch_docs``, as the local engine's batches."""
    items = list(rows)
    done = sketch_docs([d for _, (d, _) in items], {d.id: cl for _, (d, cl) in items}, config)
    for (doc_id, (doc, cl)), (sk, cues) in zip(items, done, strict=True):
        yield doc_id, Prepared(doc, cl, sk, cues)


def vector_partition(rows: Iterable[tuple[str, Prepared]]) -> Iterator[tuple[str, np.ndarray]]:
    """Static body vectors (``static``) of a partition's documents, for the embedding candidate path."""
    items = list(rows)
    if not items:
        return
    vecs = StaticEmbedder().embed([body_text(it.doc, it.cleaned) for _, it in items])
    yield from zip((i for i, _ in items), vecs, strict=True)


def lean(item: Prepared) -> Prepared:
    """The item without what only candidate search reads (MinHash, anchors): less to shuffle per pair."""
    return dataclasses.replace(item, sketch=dataclasses.replace(item.sketch, minhash=_NO_U32, anchors=_NO_U64))


def relate_partition(
    rows: Iterable[tuple[PairKey, tuple[str, ...], Prepared, Prepared]], idf: Any, config: RunConfig, embedded: Any,
    common: Any = None, n_docs: int | None = None,
) -> Iterator[tuple[PairKey, Pair]]:
    """``stages.relate_pairs`` on each candidate ``(key, reasons, item a, item b)``, in chunks of a
    local batch (``RunConfig.batch``); unrelated pairs are dropped."""
    emb = worker_embedder()
    before = emb.embedded
    ctx = RelateContext(config, idf.value, common.value if common is not None else None, n_docs)
    it = iter(rows)
    while chunk := list(itertools.islice(it, config.batch)):
        yield from ((key, pair) for key, pair in relate_pairs(chunk, ctx, emb) if pair is not None)
    embedded.add(emb.embedded - before)


def trace_partition(
    rows: Iterable[tuple[str, tuple[Iterable[Prepared], Iterable[tuple[PairKey, Pair]]]]], config: RunConfig, embedded: Any
) -> Iterator[Story]:
    """``trace_story`` on each story: its members' items and its related pairs, grouped by story id."""
    emb = worker_embedder()
    before = emb.embedded
    for sid, (members_it, pairs_it) in rows:
        items = {it.doc.id: it for it in members_it}
        members = sorted(items)
        # The local engine lists a story's pairs by their first document, then by sorted key.
        pairs = [p for _, p in sorted(pairs_it, key=lambda kp: (kp[1].a, kp[0]))]

        def align_fn(a: str, b: str, items: dict[str, Prepared] = items) -> Alignment:
            return alignment(items[a], items[b], config, emb)

        yield trace_story(
            sid, members, {i: it.doc for i, it in items.items()},
            {i: it.cleaned for i, it in items.items()}, pairs, {i: it.cues for i, it in items.items()}, align_fn,
            config.trace,
        )
    embedded.add(emb.embedded - before)
