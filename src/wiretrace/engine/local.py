"""The local engine: the stages after ingest, in their order (written once, ``SEQUENCE``), over what an
embedded store holds that has not finished them, with their batches run by an executor
(``executor.LocalExecutor``: worker processes on every core by default).

``finish`` is what ``pipeline.run``, ``pipeline.forget`` and the HTTP service's writer call after
they have put documents into the store. Each stage takes the documents that have not finished it yet,
so one function serves a first run, an incremental run (new files into the same folder) and a resumed
run (after a kill). The work of a stage on one batch is a pure function of ``stages``; here is only
what reads and writes the store, and the corpus-wide steps (learning boilerplate, the candidate index,
idf, level 2 of the stories) that need every document at once.
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import json
import os
import time
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple, cast

import numpy as np
from threadpoolctl import threadpool_limits

from wiretrace.candidates.lexical import CandidateIndex, candidate_pairs
from wiretrace.candidates.neighbours import body_text, embedding_pairs
from wiretrace.clean import document_blocks
from wiretrace.embed.minilm import Embedder
from wiretrace.embed.static import StaticEmbedder
from wiretrace.engine import corpus_state as cs
from wiretrace.engine import store as st
from wiretrace.engine import story_state
from wiretrace.engine.executor import Env, LocalExecutor
from wiretrace.model import Cues, Document, Pair, Relation, Skipped, Story
from wiretrace.relate.pair import Common
from wiretrace.sketch import Sketch
from wiretrace.stages import (
    PairKey,
    Prepared,
    RelateContext,
    RunConfig,
    StoryTask,
    clean_docs,
    fast_path,
    relate_pairs,
    sketch_docs,
    title_words,
    trace_stories,
    uses_embedding_path,
)
from wiretrace.stories import (
    LINKS,
    REUSE,
    DocSummary,
    LazyStoryIndex,
    StoryConfig,
    StoryIndex,
    UnionFind,
    _Profile,
    build_index,
    groups,
    reuse_components,
    same_story_links,
    summarize,
    template_links,
)
from wiretrace.stories_kept import KeptStoryIndex, place

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def quiet(stage: str, done: int, total: int) -> None:
    return None


@dataclass(slots=True)
class Stats:
    """What this run did, stage by stage (what it dropped, and why, is in ``skipped``)."""

    read: int = 0
    new: int = 0
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    recleaned: int = 0
    cleaned: int = 0
    sketched: int = 0
    candidates: int = 0
    aligned: int = 0
    embedded: int = 0  # sentences run through the transformer (cache misses), every worker
    precision: str = ""  # what the transformer computed in ("float32", "bf16"; "" where it never loaded)
    fast_duplicates: int = 0  # candidate pairs with identical bodies, related without aligning
    redecided: int = 0  # stored pairs decided again: an anchor they share became common, or stopped being
    pruned: int = 0  # stored documents forgotten because their input is gone (``run --prune``)
    workers: int = 1  # processes the per-document and per-pair stages ran in
    # CPU and wall seconds per stage of this run ("candidates" and "relate" split the relate stage),
    # so a bench or a log can say where the time went without a profiler. CPU is this process's and
    # its workers' (the CPU each batch took in a worker, reported back with its results).
    cpu_s: dict[str, float] = field(default_factory=dict)
    wall_s: dict[str, float] = field(default_factory=dict)


@contextmanager
def timed(stats: Stats, stage: str, executor: LocalExecutor | None = None) -> Iterator[None]:
    """Add the CPU (this process, and ``executor``'s workers) and wall seconds of the block to
    ``stats`` under ``stage``."""
    c0, w0 = time.process_time(), time.perf_counter()
    k0 = executor.worker_cpu if executor is not None else 0.0
    try:
        yield
    finally:
        k1 = executor.worker_cpu if executor is not None else 0.0
        stats.cpu_s[stage] = stats.cpu_s.get(stage, 0.0) + time.process_time() - c0 + k1 - k0
        stats.wall_s[stage] = stats.wall_s.get(stage, 0.0) + time.perf_counter() - w0


# --- ingest's share: a document's blocks, for learning boilerplate -----------------------------------
def add_documents(store: st.Store, batch: Sequence[tuple[Document, str]], config: RunConfig) -> None:
    """Store new documents (with their text hash) and their block keys."""
    store.add_documents(batch)
    store.add_blocks_many((d.id, *document_blocks(d, config.clean)) for d, _ in batch)


def batch_size(n: int, config: RunConfig, ex: LocalExecutor) -> int:
    """Items per batch for ``n`` items: ``config.batch``, or fewer where that would leave workers idle
    (an incremental run of a few hundred documents still keeps every worker busy), but not under
    ``MIN_BATCH`` for that: at least ``BATCHES_PER_WORKER`` batches each, so that the last batches,
    which some workers wait out idle, are short (BBC News's 2,225 documents: 16 batches of 140 on 2
    workers, not 9 of 256). The results do not depend on it."""
    if ex.workers <= 1:
        return config.batch
    return min(config.batch, max(MIN_BATCH, -(-n // (BATCHES_PER_WORKER * ex.workers))))


BATCHES_PER_WORKER = 8


MIN_BATCH = 16


# --- clean ----------------------------------------------------------------------------------------
def learn(store: st.Store, config: RunConfig, stats: Stats) -> frozenset[str]:
    """Corpus-level boilerplate from every stored document; documents whose verdict changed are redone."""
    before = frozenset(json.loads(store.get_meta("boilerplate") or "[]"))
    # Learned again for the block keys whose holders changed since (the kept state: corpus_state).
    boiler = cs.boilerplate(store.db, config.clean, before)
    changed = boiler ^ before
    if changed:
        redo = store.docs_with_blocks(changed) - set(store.ids_at_stage(st.INGESTED))
        if redo:
            store.reset(redo)
            stats.recleaned = len(redo)
    cs.boilerplate_learned(store.db, config.clean, boiler)
    return boiler


def _clean_batch(shared: tuple[frozenset[str], RunConfig], docs: list[Document], env: Env) -> list:
    boiler, config = shared
    return clean_docs(docs, boiler, config)


def _clean_sketch_batch(
    shared: tuple[frozenset[str], RunConfig], docs: list[Document], env: Env,
) -> tuple[list, tuple[list, dict[str, np.ndarray], list[DocSummary]], float]:
    """A batch cleaned and then sketched at once (the documents travel to the worker once, and the
    driver stores one batch's sketches while the workers clean the next); with the CPU seconds the
    sketching took, for the stage figures. The same sketches as ``_sketch_batch`` on the stored
    cleaning: a sketch reads only the document, its body and content ranges, and the settings."""
    boiler, config = shared
    cleaned = clean_docs(docs, boiler, config)
    c0 = time.process_time()
    sketched = _sketch_batch(config, (docs, {c.doc_id: c for c in cleaned}), env)
    return cleaned, sketched, time.process_time() - c0


def clean_pending(
    store: st.Store, boilerplate: frozenset[str], config: RunConfig, progress: Progress, stats: Stats,
    executor: LocalExecutor | None = None, sketch: bool = False,
) -> float:
    """Clean the documents not cleaned yet; with ``sketch``, sketch each batch in the same worker call
    and store the sketches too (what ``sketch_pending`` would do next, for these documents). Returns
    the CPU seconds spent on sketching (workers and the sketches' store writes: the stage figures
    count them under "sketch")."""
    todo = store.ids_at_stage(st.INGESTED)
    sketch_cpu = 0.0
    with _executor(executor, config) as ex:
        size = batch_size(len(todo), config, ex)
        batches = (list(store.documents(todo[i : i + size]).values()) for i in range(0, len(todo), size))
        if not sketch:
            for cleaned in ex.map(_clean_batch, batches, (boilerplate, config)):
                store.put_cleaned(cleaned)
                stats.cleaned += len(cleaned)
                progress("clean", stats.cleaned, len(todo))
            return sketch_cpu
        _FIRST.pop(store, None)
        first = _FirstIndex(config) if todo and cs.n_sketched(store.db) == 0 else None
        writer = _SketchWriter(store, config, stats, progress, len(todo), first)
        back = 0
        for cleaned, (done, vectors, summaries), cpu in ex.map(_clean_sketch_batch, batches, (boilerplate, config), ahead=CLEAN_AHEAD):
            store.put_cleaned(cleaned)
            stats.cleaned += len(cleaned)
            back += len(cleaned)
            progress("clean", stats.cleaned, len(todo))
            c0 = time.process_time()
            writer.add(done, vectors, summaries, len(todo) - back)
            sketch_cpu += cpu + time.process_time() - c0
        c0 = time.process_time()
        writer.flush()
        sketch_cpu += time.process_time() - c0
    if first is not None:
        _FIRST[store] = first
    return sketch_cpu


class _FirstIndex:
    """A first run's candidate index (``CandidateIndex``, every sketch in id order) and every sketch and
    cues as ``Store.sketches`` reads them back, made in the clean+sketch pass from each batch's stored
    rows, while the workers clean the next: the candidates stage of a first run reads every sketch and
    indexes it, serially, with the workers idle. ``relate_pending`` takes it where it holds exactly the
    stored sketches (else it reads and indexes them as before): the same index, sketches and pairs."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config.candidates
        self.index = CandidateIndex(config.candidates)
        self.sketches: dict[str, Sketch] = {}
        self.cues: dict[str, Cues] = {}
        self.ordered = True  # ids added in increasing order, as ``Store.sketches`` gives them

    def add(self, rows: list[tuple]) -> None:
        read = [st.sketch_of_row(r) for r in rows]
        for sk, cues in read:
            if self.sketches and sk.doc_id <= next(reversed(self.sketches)):
                self.ordered = False
            self.sketches[sk.doc_id] = sk
            self.cues[sk.doc_id] = cues
        if self.ordered:
            self.index.insert_many(sk for sk, _ in read)

    def holds(self, store: st.Store, config: RunConfig) -> bool:
        """Whether it holds every stored sketch and nothing else, indexed as ``config`` would."""
        return self.ordered and self.config == config.candidates and list(self.sketches) == cs.sketched_ids(store.db)


# A first run's candidate index, from its clean+sketch pass to its candidates stage (``_FirstIndex``).
_FIRST: weakref.WeakKeyDictionary[st.Store, _FirstIndex] = weakref.WeakKeyDictionary()


# Batches in flight per worker in the clean+sketch pass: four, not two, so that the workers have work
# while this process stores 2,048 documents' sketches (about a second on 2 cores).
CLEAN_AHEAD = 4


class _SketchWriter:
    """Sketches stored ``SKETCH_WRITE`` documents at a time (and at the end): the kept candidate index
    they enter (``corpus_state.index_sketches``) is a few large B-trees into which a batch inserts at
    random places, and a transaction writes each page it touched once: eight batches per transaction
    write far fewer pages than eight transactions (Reuters + BBC: 19.5 -> 11.2 CPU s of store writes).
    Each write is one transaction, as before; a run killed between two leaves documents cleaned, not
    sketched, which the next run sketches.

    Near the end (``add``'s ``left``: documents still to come back from the workers) a write holds no
    more than what is still to come, so the writes halve to the last batch: the last write, made after
    the workers are done and while they idle, is one batch's, not up to 2,048 documents'."""

    def __init__(
        self, store: st.Store, config: RunConfig, stats: Stats, progress: Progress, total: int, first: _FirstIndex | None = None,
    ) -> None:
        self.store, self.stats, self.progress, self.total, self.first = store, stats, progress, total, first
        if uses_embedding_path(config) and total:  # the body vectors stored beside are of these settings
            cs.bind_doc_vectors(store.db, _vector_settings(static_embedder()))
        self.sketches: list = []
        self.rows: list[tuple] = []
        self.vectors: dict[str, np.ndarray] = {}
        self.summaries: list[DocSummary] = []

    def add(self, sketches: list, vectors: dict[str, np.ndarray], summaries: list[DocSummary], left: int | None = None) -> None:
        if self.first is not None:  # the candidate index of a first run, a batch at a time (``_FirstIndex``)
            rows = st.sketch_rows(sketches)
            self.first.add(rows)
            self.rows += rows
        self.sketches += sketches
        self.vectors.update(vectors)
        self.summaries += summaries
        if len(self.sketches) >= SKETCH_WRITE or (left is not None and 0 < left <= len(self.sketches)):
            self.flush()

    def flush(self) -> None:
        if not self.sketches:
            return
        self.store.put_sketches(self.sketches, self.rows if self.first is not None else None)
        if self.vectors:
            cs.put_doc_vectors(self.store.db, self.vectors)
        # Kept after the sketches they are made of (storing a sketch drops its document's summary); a run
        # killed between the two leaves documents without one, which the stories stage makes.
        cs.put_summaries(self.store.db, self.summaries)
        self.stats.sketched += len(self.sketches)
        self.progress("sketch", self.stats.sketched, self.total)
        self.sketches, self.rows, self.vectors, self.summaries = [], [], {}, []


SKETCH_WRITE = 2048  # documents whose sketches are stored in one transaction


# --- sketch ---------------------------------------------------------------------------------------
def _sketch_batch(
    config: RunConfig, batch: tuple[list[Document], dict], env: Env,
) -> tuple[list, dict[str, np.ndarray], list[DocSummary]]:
    """The sketches of a batch, their level-2 summaries (``stories.summarize``: what placing reads of
    each document, of it alone) and, where the embedding candidate path runs, the static body vectors
    it reads: per document like the sketches, so made here in the workers, not on the driver."""
    docs, cleaned = batch
    vectors: dict[str, np.ndarray] = {}
    if uses_embedding_path(config):
        made = static_embedder().embed([body_text(d, cleaned[d.id]) for d in docs])
        vectors = dict(zip((d.id for d in docs), made, strict=True))
    sketched = sketch_docs(docs, cleaned, config)
    summaries = [summarize(d.id, d.published, sk, title_words(d, cleaned[d.id])) for d, (sk, _) in zip(docs, sketched, strict=True)]
    return sketched, vectors, summaries


def _vector_settings(static: StaticEmbedder) -> str:
    """What a kept static body vector depends on (``corpus_state.doc_vectors``)."""
    return json.dumps([static.dims, static.limit])


def sketch_pending(
    store: st.Store, config: RunConfig, progress: Progress, stats: Stats, executor: LocalExecutor | None = None,
) -> None:
    todo = store.ids_at_stage(st.CLEANED)

    def batches(size: int) -> Iterator[tuple[list[Document], dict]]:
        for i in range(0, len(todo), size):
            ids = todo[i : i + size]
            yield list(store.documents(ids).values()), store.cleaned(ids)

    with _executor(executor, config) as ex:
        writer = _SketchWriter(store, config, stats, progress, len(todo))
        for done, vectors, summaries in ex.map(_sketch_batch, batches(batch_size(len(todo), config, ex)), config):
            writer.add(done, vectors, summaries)
        writer.flush()


# --- candidates and relate ------------------------------------------------------------------------
def prepared(store: st.Store, ids: Sequence[str], sketches: Mapping[str, Sketch], cues_of: Mapping[str, Cues]) -> dict[str, Prepared]:
    docs, cl = store.documents(ids), store.cleaned(ids)
    return {i: Prepared(docs[i], cl[i], sketches[i], cues_of[i]) for i in ids}


def doc_vectors(store: st.Store, config: RunConfig, static: StaticEmbedder) -> dict[str, np.ndarray]:
    """Static body vectors of every stored document, in id order: kept in the store once made (the
    sketch stage makes them in semantic runs: ``corpus_state.doc_vectors``), made here (tokenising and
    one gather each) for the others (documents sketched by a lexical run)."""
    kept = cs.doc_vectors(store.db, _vector_settings(static))
    ids = store.all_ids()
    missing = [i for i in ids if i not in kept]
    for i in range(0, len(missing), config.batch * 8):
        chunk = missing[i : i + config.batch * 8]
        docs, cl = store.documents(chunk), store.cleaned(chunk)
        made = dict(zip(chunk, static.embed([body_text(docs[d], cl[d]) for d in chunk]), strict=True))
        cs.put_doc_vectors(store.db, made)
        kept.update(made)
    return {i: kept[i] for i in ids}


RelateBatch = list[tuple[PairKey, tuple[str, ...], Prepared, Prepared]]


def _relate_batch(ctx: RelateContext, batch: RelateBatch, env: Env) -> tuple[list[tuple[PairKey, Pair | None]], int]:
    fast = sum(fast_path(a, b, ctx.config) for _, _, a, b in batch)
    return relate_pairs(batch, ctx, env.embedder), fast


def _lean(item: Prepared) -> Prepared:
    """The item without what only candidate search reads (MinHash, anchors): less to send a worker."""
    return dataclasses.replace(item, sketch=dataclasses.replace(item.sketch, minhash=_NO_U32, anchors=_NO_U64))


_NO_U32 = np.zeros(0, dtype=np.uint32)
_NO_U64 = np.zeros(0, dtype=np.uint64)


def relate_pending(
    store: st.Store, config: RunConfig, progress: Progress, stats: Stats, embedder: Embedder,
    static: StaticEmbedder | None = None, executor: LocalExecutor | None = None,
) -> None:
    """Find the candidate pairs of the documents not related yet, and relate each (in batches)."""
    todo = store.ids_at_stage(st.SKETCHED)
    if not todo:
        return
    with timed(stats, "candidates"):
        # The candidate index is kept in the store (corpus_state): queried for the new documents only.
        if cs.bands_of(store.db) != config.candidates.bands:
            cs.rebuild_bands(store.db, config.candidates.bands)
        every: tuple[dict[str, Sketch], dict[str, Cues]] | None = None
        first = _FIRST.pop(store, None)
        if len(todo) * 2 >= cs.n_sketched(store.db):
            # Most of the store is new (a first run): the index built in memory from every sketch is
            # quicker than a lookup per key in the kept tables, and gives the same pairs. Made in the
            # clean+sketch pass where that pass stored every sketch (``_FirstIndex``).
            if first is not None and first.holds(store, config):
                every, index = (first.sketches, first.cues), first.index
            else:
                every = store.sketches()
                index = CandidateIndex(config.candidates)
                index.insert_many(every[0].values())
            found = candidate_pairs(index, todo)
            del index, first
        else:
            mine, _ = store.sketches(todo)
            found = cs.candidate_pairs(store.db, mine, config.candidates)
        if static is not None and uses_embedding_path(config) and config.candidates.embedding:
            cfg = config.candidates
            vectors = doc_vectors(store, config, static)  # every stored body's static vector (semantic runs)
            for key in embedding_pairs(vectors, todo, cfg.embedding_k, cfg.embedding_cos, cfg.embedding_exact_max):
                found[key].add("embedding")
        done = store.done_pairs(todo)
        pairs = {k: v for k, v in found.items() if k not in done}
        stats.candidates = len(pairs)
        # Stored pairs whose common passages changed as the store grew are decided again.
        common = cs.common(store.db, config.relate, config.sketch.shingle, config.sketch.anchor_modulus)
        again, change = redecide(store, common, todo, config, pairs)
    with _executor(executor, config, embedder) as ex, timed(stats, "relate", ex):
        n_docs = cs.n_sketched(store.db)
        ctx = RelateContext(config, cs.idf(store.db), common, n_docs)
        keys = sorted(pairs)
        sketches, cue_map = every if every is not None else store.sketches({x for k in keys for x in k})

        def batches() -> Iterator[RelateBatch]:
            size = batch_size(len(keys), config, ex)
            for i in range(0, len(keys), size):
                chunk = keys[i : i + size]
                items = {k: _lean(v) for k, v in prepared(store, sorted({x for k in chunk for x in k}), sketches, cue_map).items()}
                yield [(k, tuple(sorted(pairs[k])), items[k[0]], items[k[1]]) for k in chunk]

        n = 0
        for results, fast in ex.map(_relate_batch, batches(), ctx):
            stats.fast_duplicates += fast
            moved = {x for k, p in results if k in again and again[k] != (p.relation if p else None) for x in k}
            if moved:  # marked before the pairs are written: a run killed between the two places them again
                cs.unplace(store.db, moved)
                store.set_stage(sorted(moved), st.RELATED)  # their stories are traced again
            _flush_pairs(store, embedder, results)
            n += len(results)
            progress("relate", n, len(keys))
        stats.embedded = embedder.embedded + ex.embedded
    stats.aligned = len(keys) - stats.fast_duplicates
    stats.redecided = len(again)
    cs.common_decided(store.db, change)
    store.set_stage(todo, st.RELATED)


def redecide(
    store: st.Store, common: Common, todo: Sequence[str], config: RunConfig, pairs: dict[PairKey, set[str]]
) -> tuple[dict[PairKey, str | None], cs.CommonChange]:
    """Add to ``pairs`` the stored pairs to decide again (``corpus_state.pairs_to_redecide``), with their
    candidate paths; returns their relation as stored (None: unrelated), and the change to record."""
    keys, change = cs.pairs_to_redecide(store.db, common, todo)
    if not keys:
        return {}, change
    mine, _ = store.sketches(sorted({x for k in keys for x in k}))
    paths = cs.candidate_pairs(store.db, mine, config.candidates)
    out: dict[PairKey, str | None] = {}
    for k in sorted(keys):
        pairs[k] = paths.get(k) or {"stored"}
        out[k] = store.db.execute("SELECT relation FROM pairs WHERE a = ? AND b = ?", k).fetchone()[0]
    return out, change


def _flush_pairs(store: st.Store, embedder: Embedder, results: list[tuple[PairKey, Pair | None]]) -> None:
    flush = getattr(embedder.cache, "flush", None)
    if flush is not None:
        flush()
    store.put_pairs(results)


# --- stories and trace ----------------------------------------------------------------------------
def story_summaries(store: st.Store, sketches: Mapping[str, Sketch] | None = None) -> dict[str, DocSummary]:
    """What level 2 reads of every sketched document (``stories.summarize``): kept in the store once
    made (``corpus_state.summaries``), made here for the documents sketched since, in chunks."""
    out = cs.summaries(store.db)
    out.update(_summarise(store, sorted(set(cs.sketched_ids(store.db)) - set(out)), sketches))
    return dict(sorted(out.items()))


def _summarise(store: st.Store, ids: Sequence[str], sketches: Mapping[str, Sketch] | None = None) -> dict[str, DocSummary]:
    """Make and keep the summaries of ``ids`` (sketched documents without one)."""
    out: dict[str, DocSummary] = {}
    for n in range(0, len(ids), 2000):
        chunk = ids[n : n + 2000]
        docs, cl = store.documents(chunk), store.cleaned(chunk)
        sks = sketches if sketches is not None else store.sketches(chunk)[0]
        made = [summarize(i, docs[i].published, sks[i], title_words(docs[i], cl[i])) for i in chunk]
        cs.put_summaries(store.db, made)
        out.update((s.id, s) for s in made)
    return out


def _own_batch(
    shared: tuple[Mapping[str, float], StoryConfig, Mapping[str, float]], batch: list[DocSummary], env: Env,
) -> list[tuple[_Profile, frozenset[str]]]:
    """Each document's own profile and index keys (``StoryIndex.own_parts``: what placing reads of it
    alone), made in a worker while the driver places the documents before it."""
    idf, config, counts = shared
    return StoryIndex(idf, config, counts).own_parts(batch)


def _place(
    store: st.Store, config: RunConfig, ex: LocalExecutor | None = None,
) -> tuple[dict[str, str], dict[str, str], Callable[[], None]]:
    """(the stored assignment before, the one after, ``keep``) of placing every sketched document in a
    story; writes what changed. ``keep`` keeps the index it built (``story_state.keep_all``) for the next
    run: the caller calls it, the trace's workers running meanwhile (``_build_stories``: it writes only
    the kept index's tables, which the trace does not read; until it has, the stored assignment's
    ``update_assignments`` left the kept index invalid, and a run killed before it takes the whole path).
    With workers (``ex``), each document's own profile and index keys are made in them, ahead of the
    placing, which is serial (each component's placement reads the stories the ones before it made)."""
    links = cast(list[Pair], [_Link(a, b, Relation(r)) for a, b, r in store.pair_links()])  # what level 1 and 2 read of a pair
    summaries = story_summaries(store)
    prior = cs.take_unplaced(store.db, store.assignments())  # less the documents whose pairs changed relation
    idf, counts = cs.idf(store.db), cs.level2_counts(store.db)
    own = None
    if ex is not None and ex.workers > 1:
        def own(fresh: list[DocSummary]) -> Iterator[list[tuple[_Profile, frozenset[str]]]]:
            size = batch_size(len(fresh), config, ex)
            return ex.map(_own_batch, (fresh[n : n + size] for n in range(0, len(fresh), size)), (idf, config.stories, counts))
    index = build_index(summaries, reuse_components(summaries, links), same_story_links(links), idf,
                        config.stories, prior, template_links(links), LazyStoryIndex, counts, own)
    assignment = index.assignment()
    store.update_assignments({d: s for d, s in assignment.items() if prior.get(d) != s}, [d for d in prior if d not in assignment])

    def keep() -> None:
        if isinstance(index, LazyStoryIndex):
            index.ready_all()
        story_state.keep_all(store.db, index, config.stories, store.story_cache)

    return prior, assignment, keep


def _kept_path(store: st.Store, config: RunConfig, new: Sequence[str]) -> bool:
    """Whether the kept story index can place ``new`` (the documents at the story stage): it describes the
    stored assignment, with these settings, and none of them is placed yet (a re-placed or killed run's
    document takes the whole path) but those to place again because a pair of theirs changed relation
    (``corpus_state.unplace``: ``_unplace_kept`` takes them out of their stories first), and the corpus
    has not grown by more than ``story_state.GROWTH`` since the index was built (then the whole path
    builds it again with the idf of the moment)."""
    db = store.db
    return (story_state.valid(db, config.stories) and story_state.fresh(db, cs.n_sketched(db))
            and not set(store.stories_of(new)) - set(cs.unplaced_ids(db)))


def _unplace_kept(store: st.Store) -> list[str]:
    """The documents to place again (a pair of theirs changed relation), taken out of their stories as a
    forgotten document is (``story_state.mark_dirty``: each story is profiled again from its other
    members before the new documents are placed), in one transaction that also brings them back to the
    story stage (a run killed after it places them next time); the documents, to place as new ones."""
    db = store.db
    ids = cs.unplaced_ids(db)
    if ids:
        with db:
            story_state.mark_dirty(db, ids)
            db.executemany("DELETE FROM assignments WHERE doc_id = ?", [(i,) for i in ids])
            db.executemany("UPDATE documents SET stage = ? WHERE id = ? AND stage > ?", [(st.RELATED, i, st.RELATED) for i in ids])
            cs.placed(db)
    return ids


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off (as it was after): placing makes tens of thousands of
    small objects (the stories read, their profiles), each allocation counting toward a collection,
    and a full one walks every object the process holds (in a service, the whole store's worth); what
    placing makes holds no cycles to collect, and what it drops is freed by reference counting."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _place_kept(store: st.Store, config: RunConfig, new: Sequence[str]) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Place the new documents with the kept story index, reading only what they reach; writes the
    changes. (the story before of each document placed or moved that had one, its story after, the
    stories a document left since the last run: ``story_state.refresh``). The stories and postings it
    reads are kept for the next run over this store (``Store.story_cache``)."""
    with _gc_paused():
        return _place_kept_in(store, config, new)


def _place_kept_in(store: st.Store, config: RunConfig, new: Sequence[str]) -> tuple[dict[str, str], dict[str, str], list[str]]:
    db = store.db
    _summarise(store, cs.unsummarised(db))
    uf = UnionFind()
    for d in new:
        uf.add(d)
    linked: dict[str, set[str]] = defaultdict(set)
    apart: dict[str, set[str]] = defaultdict(set)
    # Level 1: the new documents' components over the reuse pairs, followed through the placed documents
    # they reach (whole components, ordered by their earliest member as ``stories.assign`` orders them).
    frontier, seen, first = list(new), set(new), True
    while frontier:
        reached = []
        for a, b, r in store.pair_links_of(frontier):
            rel = Relation(r)
            if rel in REUSE:
                uf.union(a, b)
                reached += [x for x in (a, b) if x not in seen]
                seen.update((a, b))
            elif first and (rel in LINKS or rel == Relation.TEMPLATE):  # links of the new documents
                into = linked if rel in LINKS else apart
                into[a].add(b)
                into[b].add(a)
        frontier, first = reached, False
    summaries = cs.summaries_of(db, uf.parent)
    comps: dict[str, list[DocSummary]] = defaultdict(list)
    for d in sorted(uf.parent):
        if d in summaries:
            comps[uf.find(d)].append(summaries[d])
    backing = story_state.StoreBacking(db, store.story_cache)
    # The idf and counts of the words placing reads (the components'), not of the whole vocabulary.
    idf, counts = cs.kept_idf(db), cs.kept_level2_counts(db)
    words = {w for docs in comps.values() for d in docs for w in (*d.topic, *d.names)}
    idf.fetch(words)
    counts.fetch(words)
    dirty = story_state.refresh(db, StoryIndex(idf, config.stories, counts), lambda ids: cs.summaries_of(db, ids), store.story_cache)
    index = KeptStoryIndex(idf, backing, config.stories, counts)
    place(index, comps.values(), linked, apart)
    before = backing.placed(index.moved())
    moved = story_state.write_back(db, index, cache=store.story_cache)
    return before, moved, dirty


class _Link(NamedTuple):
    a: str
    b: str
    relation: Relation


def assign_stories(store: st.Store, config: RunConfig, pairs: Sequence[Pair] | None = None) -> dict[str, list[str]]:
    """Place every stored document in a story, extending the stored assignment; story id -> members.

    Level 1 (reuse components) and level 2 (the same-event index) as ``stories.assign``, over every
    stored document; documents the last run placed keep their stories. (``pairs`` is not read: the
    stored pairs' relations are.)
    """
    _, assignment, keep = _place(store, config)
    keep()
    return groups(assignment)


def _trace_batch(config: RunConfig, batch: list[StoryTask], env: Env) -> list[Story]:
    # One BLAS thread: the trace's matrices are small, and a worker per core already keeps the cores
    # busy; OpenBLAS's own threads would spin beside it, doubling the CPU for no wall time saved.
    with threadpool_limits(limits=1, user_api="blas"):
        return trace_stories(batch, config, env.embedder)


def _story_tasks(
    store: st.Store, group: Sequence[tuple[str, list[str]]], sketches: Mapping[str, Sketch],
    cue_map: Mapping[str, Cues], by_doc: Mapping[str, list[Pair]],
) -> list[StoryTask]:
    """The trace's task of each story of ``group`` (id, members), its members' documents and cleaning read at once."""
    items = {k: _lean(v) for k, v in prepared(store, [m for _, ms in group for m in ms], sketches, cue_map).items()}
    tasks = []
    for sid, members in group:
        member_set = set(members)
        story_pairs = tuple(p for m in members for p in by_doc.get(m, ()) if p.b in member_set)
        tasks.append(StoryTask(sid, tuple(members), {m: items[m] for m in members}, story_pairs))
    return tasks


def _stories_to_trace(
    store: st.Store, config: RunConfig, changed: set[str], ex: LocalExecutor | None = None,
) -> tuple[dict[str, list[str]], list[str], bool, Callable[[], None] | None]:
    """Place the documents of the story stage (``changed``, to which the documents placed again with the
    kept index are added); (story id -> members of each story to trace again, the stored stories gone,
    whether the kept index placed them, what is left to write of the whole path's index: ``_place``'s
    ``keep``, None on the kept path).
    With the kept index (``_place_kept``) only the stories the new documents reached are read; otherwise
    every document is placed from the stored assignment (``_place``)."""
    new = sorted(changed)
    if _kept_path(store, config, new):
        again = _unplace_kept(store)
        changed.update(again)  # placed, and then at the story's stage, with the new documents
        before, moved, dirty = _place_kept(store, config, sorted(changed))
        touched = set(moved.values()) | set(before.values()) | set(dirty)
        members: dict[str, list[str]] = defaultdict(list)
        for d, sid in store._select("SELECT doc_id, story FROM assignments", sorted(touched), col="story"):
            members[sid].append(d)
        old = {r[0] for r in store._select("SELECT id FROM stories", sorted(touched))}
        return {sid: sorted(m) for sid, m in sorted(members.items())}, sorted(old - set(members)), True, None
    prior, assignment, keep = _place(store, config, ex)
    by_story = groups(assignment)
    # A stored story is as its members were placed before (both written by the last run; a run killed
    # between the two left the documents it placed at RELATED): only stories whose members moved, or
    # that hold a new or changed document, are traced again.
    moved_docs = {d for d in assignment.keys() | prior.keys() if assignment.get(d) != prior.get(d)}
    touched = {assignment[d] for d in moved_docs if d in assignment} | {prior[d] for d in moved_docs if d in prior}
    touched |= {assignment[d] for d in changed if d in assignment}
    old_ids = set(store.story_ids())
    redo = {sid: members for sid, members in by_story.items() if sid not in old_ids or sid in touched}
    return redo, sorted(old_ids - set(by_story)), False, keep


def build_stories(
    store: st.Store, config: RunConfig, progress: Progress, embedder: Embedder, executor: LocalExecutor | None = None,
) -> bool:
    """Place the documents in stories and trace the stories that changed; True where the kept story
    index placed them (reading what they reach), False where every document was placed again.

    A stored story is kept as it is when its members are the same and none of them is new or changed
    since it was traced (stage ``STORIED``): its pairs are then the same too, since new pairs always
    involve a new or re-cleaned document.
    """
    with _executor(executor, config, embedder) as ex:
        return _build_stories(store, config, progress, ex)


def _build_stories(store: st.Store, config: RunConfig, progress: Progress, ex: LocalExecutor) -> bool:
    changed = set(store.ids_at_stage(st.RELATED))
    redo, gone, kept, keep = _stories_to_trace(store, config, changed, ex)
    need = sum(len(members) for members in redo.values())

    def batches(limit: int) -> Iterator[list[tuple[str, list[str]]]]:
        # Whole stories per batch, up to ``limit`` members: ids only. What the trace reads of them
        # (documents, cleaning, sketches, pairs) the worker reads from the store (``_trace_read_batch``),
        # not the driver, which only places and writes.
        group: list[tuple[str, list[str]]] = []
        size = 0
        for sid, members in sorted(redo.items()):
            group.append((sid, members))
            size += len(members)
            if size >= limit:
                yield group
                group, size = [], 0
        if group:
            yield group

    stories: list[Story] = []
    try:
        # Every batch submitted at once (ids only, and every story is kept until the end anyway): the
        # workers trace while this process writes the kept story index (``keep``, as ``aside``).
        for traced in ex.map(_trace_read_batch, batches(batch_size(need, config, ex)), (config, str(store.folder.resolve())),
                             ahead=0, aside=keep):
            stories.extend(traced)
            progress("stories", len(stories), len(redo))
    finally:
        _close_reader(str(store.folder.resolve()))  # this process's own (one worker: the batches ran here)
    store.update_stories(sorted(stories, key=lambda s: s.id), gone)
    store.set_stage(sorted(changed), st.STORIED)
    return kept


def trace_inputs(store: st.Store, group: Sequence[tuple[str, list[str]]]) -> list[StoryTask]:
    """The trace's task of each story of ``group`` (id, members), read from ``store``: its members'
    documents, cleaning and sketches, and the related pairs among them (in stored order)."""
    ids = [m for _, ms in group for m in ms]
    sketches, cue_map = store.sketches(ids)
    wanted = set(ids)
    by_doc: dict[str, list[Pair]] = {}
    for p in store.pairs_touching(ids):
        if p.a in wanted:
            by_doc.setdefault(p.a, []).append(p)
    return _story_tasks(store, group, sketches, cue_map, by_doc)


def _trace_read_batch(shared: tuple[RunConfig, str], group: list[tuple[str, list[str]]], env: Env) -> list[Story]:
    """Read a batch of stories' inputs from the store (a read-only connection of this process's) and
    trace them: the documents travel from the store to the worker that traces them, not through the
    driver. Everything read was written by earlier stages, committed before the stories stage."""
    config, folder = shared
    return _trace_batch(config, trace_inputs(_reader(folder), group), env)


_READERS: dict[tuple[int, str], st.Store] = {}


def _reader(folder: str) -> st.Store:
    """This process's read-only connection to the store in ``folder`` (one per process: a forked
    worker opens its own, never the one it inherited)."""
    key = (os.getpid(), folder)
    reader = _READERS.get(key)
    if reader is None:
        for k in [k for k in _READERS if k[0] != key[0]]:
            del _READERS[k]  # a parent's connection, copied by fork: not used, not closed here
        reader = _READERS[key] = st.Store(folder, readonly=True)
    return reader


def _close_reader(folder: str) -> None:
    reader = _READERS.pop((os.getpid(), folder), None)
    if reader is not None:
        reader.close()


# --- the sequence ---------------------------------------------------------------------------------
@contextmanager
def _executor(executor: LocalExecutor | None, config: RunConfig, embedder: Embedder | None = None) -> Iterator[LocalExecutor]:
    """The executor given, or one that runs here (a stage function called on its own)."""
    if executor is not None:
        yield executor
        return
    with LocalExecutor(1, embedder) as ex:
        yield ex


def _stage_clean(store: st.Store, config: RunConfig, progress: Progress, stats: Stats, ex: LocalExecutor) -> None:
    # The documents cleaned here are sketched in the same pass (``clean_pending(sketch=True)``): the
    # sketch stage after it finds only what an earlier, killed run cleaned without sketching. The CPU
    # the sketching took is counted under "sketch"; its wall time is inside the pass's, under "clean".
    with timed(stats, "clean", ex):
        boiler = learn(store, config, stats)
        sketch_cpu = clean_pending(store, boiler, config, progress, stats, ex, sketch=True)
    stats.cpu_s["clean"] -= sketch_cpu
    stats.cpu_s["sketch"] = stats.cpu_s.get("sketch", 0.0) + sketch_cpu


def _stage_sketch(store: st.Store, config: RunConfig, progress: Progress, stats: Stats, ex: LocalExecutor) -> None:
    with timed(stats, "sketch", ex):
        sketch_pending(store, config, progress, stats, ex)


@functools.cache
def static_embedder() -> StaticEmbedder:
    """One static embedder per process (its table loads on first use)."""
    return StaticEmbedder()


def _stage_relate(store: st.Store, config: RunConfig, progress: Progress, stats: Stats, ex: LocalExecutor) -> None:
    static = static_embedder() if uses_embedding_path(config) and store.ids_at_stage(st.SKETCHED) else None
    assert ex.embedder is not None
    relate_pending(store, config, progress, stats, ex.embedder, static, ex)  # times "candidates" and "relate"


def _stage_stories(store: st.Store, config: RunConfig, progress: Progress, stats: Stats, ex: LocalExecutor) -> None:
    assert ex.embedder is not None
    with timed(stats, "stories", ex):
        build_stories(store, config, progress, ex.embedder, ex)


# The order of the stages, written once: the local engine below runs the ones after ingest (ingest
# differs by entry point: files for ``run``, request bodies for the service, ``add_documents`` both);
# the Spark engine runs all of them as Spark jobs (``spark.SparkStages``, a method per name).
SEQUENCE = ("ingest", "clean", "sketch", "relate", "stories")
LOCAL: dict[str, Callable[[st.Store, RunConfig, Progress, Stats, LocalExecutor], None]] = {
    "clean": _stage_clean,
    "sketch": _stage_sketch,
    "relate": _stage_relate,
    "stories": _stage_stories,
}


def executor_for(store: st.Store, config: RunConfig, embedder: Embedder | None = None) -> LocalExecutor:
    """The local executor of ``config.workers`` processes over ``store`` (its sentence vectors)."""
    embedder = embedder or Embedder(cache=store.embedding_cache(), static=static_embedder())
    return LocalExecutor(config.workers, embedder, store.path, keep=embedder.cache)


def finish(
    store: st.Store, config: RunConfig, progress: Progress = quiet, stats: Stats | None = None,
    executor: LocalExecutor | None = None,
) -> Stats:
    """Every stage after ingest, on what the store holds that has not finished them."""
    stats = stats if stats is not None else Stats()
    own = executor is None
    ex = executor_for(store, config) if executor is None else executor
    stats.workers = ex.workers
    try:
        for name in SEQUENCE[1:]:
            LOCAL[name](store, config, progress, stats, ex)
    finally:
        assert ex.embedder is not None
        flush = getattr(ex.embedder.cache, "flush", None)
        if flush is not None:
            flush()
        stats.embedded = ex.embedder.embedded + ex.embedded
        stats.precision = ex.embedder.precision if stats.embedded else ""
        if own:
            ex.close()
    return stats
