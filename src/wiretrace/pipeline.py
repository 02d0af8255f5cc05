"""The whole flow, ingest -> clean -> sketch -> candidates -> align -> relate -> stories -> trace,
over an embedded store. The CLI, the HTTP service and the Spark job are shells over these functions.

Each stage takes the documents that have not finished it yet, so one function serves a first run,
an incremental run (new files into the same folder) and a resumed run (after a kill).
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import xxhash

from . import store as st
from .align import (
    AlignConfig,
    Alignment,
    align,
    identical_alignment,
    paraphrase_probability,
    sentence_profile,
)
from .candidates import CandidateConfig, CandidateIndex, candidate_pairs
from .clean import BlockIndex, CleanConfig, clean, document_blocks, learn_boilerplate
from .embed import Embedder
from .errors import InputError, NoInputError, NotFoundError, StoreError
from .ingest import IngestConfig
from .ingest.reader import read_found
from .ingest.walk import list_files
from .model import REUSE_RELATIONS, Cleaned, Document, Pair, Passage, Report, Scores, Skipped
from .neighbours import body_text
from .relate import Common, RelateConfig, common_cut, cues, days_apart, relate, specific
from .sketch import Sketch, SketchConfig, sketch, sketch_batch
from .static import StaticEmbedder
from .stories import (
    DocSummary,
    StoryConfig,
    assign,
    groups,
    reuse_components,
    same_story_links,
    summarize,
    template_links,
)
from .template import Side, template
from .tokens import sentences, words
from .topic import cosine, ranges_words
from .trace import TraceConfig, trace_story

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _quiet(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Every stage's settings; each is validated when built."""

    ingest: IngestConfig = field(default_factory=IngestConfig)
    clean: CleanConfig = field(default_factory=CleanConfig)
    sketch: SketchConfig = field(default_factory=SketchConfig)
    candidates: CandidateConfig = field(default_factory=CandidateConfig)
    align: AlignConfig = field(default_factory=AlignConfig)
    relate: RelateConfig = field(default_factory=RelateConfig)
    trace: TraceConfig = field(default_factory=TraceConfig)
    stories: StoryConfig = field(default_factory=StoryConfig)
    batch: int = 256  # documents or pairs per stored transaction


def text_hash(text: str) -> str:
    return xxhash.xxh64_hexdigest(text.encode("utf-8"))


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
    embedded: int = 0
    fast_duplicates: int = 0  # candidate pairs with identical bodies, related without aligning
    pruned: int = 0  # stored documents forgotten because their input is gone (``run --prune``)
    # CPU and wall seconds per stage of this run ("candidates" and "relate" split the relate stage),
    # so a bench or a log can say where the time went without a profiler.
    cpu_s: dict[str, float] = field(default_factory=dict)
    wall_s: dict[str, float] = field(default_factory=dict)


@contextmanager
def timed(stats: Stats, stage: str) -> Iterator[None]:
    """Add the CPU (this process) and wall seconds of the block to ``stats`` under ``stage``."""
    c0, w0 = time.process_time(), time.perf_counter()
    try:
        yield
    finally:
        stats.cpu_s[stage] = stats.cpu_s.get(stage, 0.0) + time.process_time() - c0
        stats.wall_s[stage] = stats.wall_s.get(stage, 0.0) + time.perf_counter() - w0


def ingest_into(
    store: st.Store, paths: Sequence[str | Path], config: RunConfig, progress: Progress, stats: Stats, prune: bool = False,
) -> None:
    """Read ``paths`` into the store: new and changed documents go in, skips are recorded (a file read
    again loses the skips it had before), and with ``prune`` the stored documents whose input is gone
    (a file deleted, a JSONL line or WARC record no longer in a file read again) are forgotten."""
    known = store.known_ids()
    seen = {i: p for i, (p, _) in known.items()}
    found = list_files(paths)
    read: dict[str, set[str]] = {}  # resolved file -> ids read from it this run
    batch: list[tuple[Document, str]] = []
    for item in read_found(found, config.ingest, seen_ids=seen):
        if isinstance(item, Skipped):
            stats.skipped.append(item)
            continue
        stats.read += 1
        read.setdefault(os.path.realpath(item.path), set()).add(item.id)
        h = text_hash(item.text)
        if item.id in known and known[item.id][1] == h:
            stats.unchanged += 1
            continue
        if item.id in known:
            store.reset([item.id])
        batch.append((item, h))
        if len(batch) >= config.batch:
            _add(store, batch, config, stats, progress)
    _add(store, batch, config, stats, progress)
    covered = {f.key for f in found} | {os.path.realpath(f.path) for f in found if f.path}
    store.remove_skipped([p for p in store.skipped_paths() if _skip_file(p) in covered])
    store.add_skipped(stats.skipped)
    if stats.read == 0:
        raise NoInputError([os.fspath(p) for p in paths], stats.skipped, [f.fmt for f in found])
    if prune:
        gone = gone_inputs(store, read, {f.key for f in found if f.fmt in ("jsonl", "warc") and f.problem is None})
        if gone:
            forget_documents(store, gone)
            stats.pruned = len(gone)


_WHERE = re.compile(r"(?::\d+|#\d+)$")


def _skip_file(where: str) -> str:
    """The resolved file of a Skipped path (``path``, ``path:LINE`` or ``path#N``)."""
    return os.path.realpath(_WHERE.sub("", where)) if where else where


def gone_inputs(store: st.Store, read: Mapping[str, set[str]], reread: set[str]) -> list[str]:
    """Stored documents whose input is gone: their file no longer exists, or it is a JSONL/WARC file
    read again in full (``reread``, resolved paths) that no longer holds them. Documents posted to the
    service have no file and are never gone. Raises when no stored file exists from here (the store
    was made from another folder): pruning then would forget everything."""
    files = store.document_files()
    on_disk = {p: os.path.exists(p) for p in {p for _, p, fmt in files if _has_file(p, fmt)}}
    if on_disk and not any(on_disk.values()):
        raise InputError(
            str(store.folder), f"--prune: none of the {len(on_disk)} files the store was read from exists from "
            f"{os.getcwd()}; run from the folder of the earlier runs; nothing was forgotten"
        )
    gone = []
    for doc_id, path, fmt in files:
        if not _has_file(path, fmt):
            continue
        if not on_disk[path]:
            gone.append(doc_id)
            continue
        real = os.path.realpath(path)
        if real in reread and doc_id not in read.get(real, set()):
            gone.append(doc_id)
    return sorted(gone)


def _has_file(path: str, fmt: str) -> bool:
    return fmt in ("text", "html", "jsonl", "warc") and bool(path) and not path.startswith(("<", "upload:")) and path != "api"


def forget_documents(store: st.Store, ids: Sequence[str]) -> None:
    """Drop ``ids`` from the store with their pairs; the other members of their stories are placed and
    traced again by the next story stage (their assignments are dropped)."""
    affected = {d for s in store.stories() if set(s.documents) & set(ids) for d in s.documents} - set(ids)
    store.forget(ids, sorted(affected))


def _add(store: st.Store, batch: list[tuple[Document, str]], config: RunConfig, stats: Stats, progress: Progress) -> None:
    if not batch:
        return
    store.add_documents(batch)
    for d, _ in batch:
        keys, long_keys = document_blocks(d, config.clean)
        store.add_blocks(d.id, keys, long_keys)
    stats.new += len(batch)
    progress("ingest", stats.new, 0)
    batch.clear()


def learn(store: st.Store, config: RunConfig, stats: Stats) -> frozenset[str]:
    """Corpus-level boilerplate from every stored document; documents whose verdict changed are redone."""
    index = BlockIndex.from_rows(store.block_rows())
    boiler = learn_boilerplate(index, config.clean)
    before = frozenset(json.loads(store.get_meta("boilerplate") or "[]"))
    changed = boiler ^ before
    if changed:
        redo = store.docs_with_blocks(changed) - set(store.ids_at_stage(st.INGESTED))
        if redo:
            store.reset(redo)
            stats.recleaned = len(redo)
        store.set_meta("boilerplate", json.dumps(sorted(boiler)))
    return boiler


def clean_pending(store: st.Store, boilerplate: frozenset[str], config: RunConfig, progress: Progress, stats: Stats) -> None:
    todo = store.ids_at_stage(st.INGESTED)
    for i in range(0, len(todo), config.batch):
        docs = store.documents(todo[i : i + config.batch])
        store.put_cleaned(clean(d, config.clean, boilerplate) for d in docs.values())
        stats.cleaned += len(docs)
        progress("clean", stats.cleaned, len(todo))


def sketch_pending(store: st.Store, config: RunConfig, progress: Progress, stats: Stats) -> None:
    todo = store.ids_at_stage(st.CLEANED)
    for i in range(0, len(todo), config.batch):
        ids = todo[i : i + config.batch]
        docs, cl = store.documents(ids), store.cleaned(ids)
        batch = list(docs.values())
        sks = sketch_batch(batch, cl, config.sketch)  # one signature call for the batch
        store.put_sketches((sk, doc_cues(d, cl[d.id])) for d, sk in zip(batch, sks, strict=True))
        stats.sketched += len(ids)
        progress("sketch", stats.sketched, len(todo))


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything relating needs of one document: its text, its cleaning, its sketch, its cues."""

    doc: Document
    cleaned: Cleaned
    sketch: Sketch
    cues: dict[str, str]


def doc_cues(doc: Document, cleaned: Cleaned) -> dict[str, str]:
    body = cleaned.body
    return cues(doc, body[0][0] if body else None)


def prepare(doc: Document, cleaned: Cleaned, config: RunConfig) -> tuple[Document, Sketch, dict[str, str]]:
    return doc, sketch(doc, cleaned, config.sketch), doc_cues(doc, cleaned)


def idf_from_sketches(sketches: Iterable[Sketch]) -> dict[str, float]:
    """Smoothed idf of content words over every stored document (the same for any order or engine)."""
    df: Counter[str] = Counter()
    n = 0
    for sk in sketches:
        df.update(sk.topic.keys())
        n += 1
    return idf_from_counts(df, n)


def idf_from_counts(df: Mapping[str, int], n: int) -> dict[str, float]:
    """Smoothed idf from document frequencies over ``n`` documents (shared with the Spark engine)."""
    return {k: math.log((1 + n) / (1 + v)) + 1.0 for k, v in df.items()}


def alignment(a: Prepared, b: Prepared, config: RunConfig, embedder: Embedder | None, semantic: bool = True) -> Alignment:
    # h1-semantic: the cascade settles the document cosine against the same_story threshold that decides.
    gap = days_apart(a.doc, b.doc)
    far = gap is not None and gap > config.relate.same_story_days
    return align(a.doc.text, a.cleaned.content, b.doc.text, b.cleaned.content, config.align, embedder, semantic=semantic, far=far)


def identical_bodies(a: Prepared, b: Prepared) -> bool:
    """Both pages are one body and nothing else compared (no second article), with the same words:
    their alignment is known without running it (``align.identical_alignment``)."""
    return (
        a.sketch.n_words > 0
        and a.sketch.body_hash == b.sketch.body_hash
        and a.sketch.n_words == b.sketch.n_words
        and a.cleaned.content == a.cleaned.body
        and b.cleaned.content == b.cleaned.body
    )


def relate_pair(
    a: Prepared, b: Prepared, idf: Mapping[str, float] | None, config: RunConfig, embedder: Embedder | None,
    reasons: tuple[str, ...] = (), common: Common | None = None, n_docs: float | None = None,
) -> Pair | None:
    """Align and relate one candidate pair. Pure but for the embedding cache.

    ``common``: the anchors common to many documents of the corpus (their passages are weak
    evidence); ``n_docs``: the corpus size behind ``idf``. A pair the alignment calls reuse is then
    tested for one form filled with other facts (``template``)."""
    # Cascade: the embedding pass only for pairs whose content words say they share a topic.
    topic = cosine(a.sketch.topic, b.sketch.topic, idf)
    semantic = topic >= config.align.topic_cos
    if identical_bodies(a, b):
        # Fast path: the same words on both sides align whole, word for word; no seeds, no chains.
        al = identical_alignment(a.doc.text, a.cleaned.body, b.doc.text, b.cleaned.body, config.align)
        if al is None:
            al = alignment(a, b, config, embedder, semantic=semantic)
    else:
        al = alignment(a, b, config, embedder, semantic=semantic)
    na, nb = a.sketch.names, b.sketch.names
    nj = len(na & nb) / len(na | nb) if na | nb else 0.0
    same = a.sketch.n_words > 0 and a.sketch.body_hash == b.sketch.body_hash
    spec = specific(a.doc.text, b.doc.text, al, common) if common is not None and common.anchors and al.passages else None
    pair = relate(
        a.doc, b.doc, al, config.relate, same_body=same, cues_a=a.cues, cues_b=b.cues,
        names_jaccard=nj, topic=topic, reasons=reasons, spec=spec,
    )
    if pair is None or pair.relation not in _TEMPLATE_TESTED or not config.relate.templates:
        return pair
    copies = same and pair.relation == "duplicate"  # the same words: only the headlines can tell
    verdict = template(
        Side(a.doc.text, a.cleaned.content, headline(a)), Side(b.doc.text, b.cleaned.content, headline(b)),
        idf, align_config=config.align, copies=copies, n_docs=n_docs,
    )
    if verdict is None:
        return pair
    return Pair(
        a.doc.id, b.doc.id, "template", "none", Scores(al.lexical, al.semantic, round(al.a_covered, 4), round(al.b_covered, 4)),
        tuple(sorted(al.passages, key=lambda p: (p.a, p.b))), tuple(reasons) + (verdict.reason(),), verdict.slots,
    )


# Reuse, and same_story: two briefs of one form about two subjects are not one event either.
_TEMPLATE_TESTED = frozenset(REUSE_RELATIONS) | {"same_story"}


def headline(item: Prepared) -> str | None:
    """The document's headline: its title field, else the title line the cleaner took out of the body."""
    if item.doc.title:
        return item.doc.title
    spans = item.cleaned.spans_of("title")
    return item.doc.text[spans[0][0] : spans[0][1]] if spans else None


def _prepared(store: st.Store, ids: Sequence[str], sketches: Mapping[str, Sketch], cues_of: Mapping[str, dict[str, str]]) -> dict[str, Prepared]:
    docs, cl = store.documents(ids), store.cleaned(ids)
    return {i: Prepared(docs[i], cl[i], sketches[i], cues_of[i]) for i in ids}


def uses_embedding_path(config: RunConfig) -> bool:
    """The embedding candidate path runs where alignment is semantic (else it could not relate its pairs)."""
    return config.candidates.embedding and config.align.semantic


def doc_vectors(store: st.Store, config: RunConfig, static: StaticEmbedder) -> dict[str, np.ndarray]:
    """Static body vectors of every stored document (cheap: tokenising and one gather each)."""
    ids = store.all_ids()
    out: dict[str, np.ndarray] = {}
    for i in range(0, len(ids), config.batch * 8):
        chunk = ids[i : i + config.batch * 8]
        docs, cl = store.documents(chunk), store.cleaned(chunk)
        vecs = static.embed([body_text(docs[d], cl[d]) for d in chunk])
        out.update(zip(chunk, vecs, strict=True))
    return out


def relate_pending(
    store: st.Store, config: RunConfig, progress: Progress, stats: Stats, embedder: Embedder,
    static: StaticEmbedder | None = None,
) -> None:
    todo = store.ids_at_stage(st.SKETCHED)
    if not todo:
        return
    with timed(stats, "candidates"):
        sketches, cue_map = store.sketches()
        index = CandidateIndex(config.candidates)
        index.insert_many(sketches.values())
        done = store.done_pairs()
        vectors = doc_vectors(store, config, static) if static is not None and uses_embedding_path(config) else None
        pairs = {k: v for k, v in candidate_pairs(index, todo, vectors).items() if k not in done}
        stats.candidates = len(pairs)
    with timed(stats, "relate"):
        items = _prepared(store, sorted({x for k in pairs for x in k}), sketches, cue_map)
        idf = idf_from_sketches(sketches.values())
        common = common_anchors(index, config)
        results: list[tuple[tuple[str, str], Pair | None]] = []
        keys = sorted(pairs)
        for n, key in enumerate(keys, 1):
            a, b = items[key[0]], items[key[1]]
            stats.fast_duplicates += identical_bodies(a, b) and a.sketch.n_words >= max(config.align.seed, config.align.min_passage)
            results.append((key, relate_pair(a, b, idf, config, embedder, tuple(sorted(pairs[key])), common, len(sketches))))
            if len(results) >= config.batch:
                _flush_pairs(store, embedder, results)
            progress("relate", n, len(keys))
        _flush_pairs(store, embedder, results)
    stats.aligned = len(keys) - stats.fast_duplicates
    stats.embedded = embedder.embedded
    store.set_stage(todo, st.RELATED)


def common_anchors(index: CandidateIndex, config: RunConfig) -> Common:
    """The anchors common to many distinct bodies of every indexed document (``relate.Common``)."""
    sk = index.sketches
    cut = common_cut(len(sk), config.relate)
    holders = ((a, (sk[d].body_hash for d in docs)) for a, docs in index.by_anchor.items() if len(docs) >= cut)
    return Common.count(holders, len(sk), config.relate, config.sketch.shingle, config.sketch.anchor_modulus)


def _flush_pairs(store: st.Store, embedder: Embedder, results: list[tuple[tuple[str, str], Pair | None]]) -> None:
    flush = getattr(embedder.cache, "flush", None)
    if flush is not None:
        flush()
    store.put_pairs(results)
    results.clear()


def title_words(doc: Document, cleaned: Cleaned) -> Counter[str]:
    """Content words of the headline(s) the cleaner removed from the body (level 2 reads them), or of
    the headline the input gave apart from the text (a JSONL ``title``, a page's metadata): in wire
    briefs the headline alone names the company the body is about."""
    spans = cleaned.spans_of("title")
    if spans or not doc.title or doc.title.strip() in doc.text:
        return ranges_words(doc.text, spans)
    return ranges_words(doc.title, ((0, len(doc.title)),))


def story_summaries(store: st.Store, sketches: Mapping[str, Sketch]) -> dict[str, DocSummary]:
    """What level 2 reads of every sketched document (``stories.summarize``), read in chunks."""
    ids = [i for i in store.all_ids() if i in sketches]
    out = {}
    for n in range(0, len(ids), 2000):
        chunk = ids[n : n + 2000]
        docs, cl = store.documents(chunk), store.cleaned(chunk)
        for i in chunk:
            out[i] = summarize(i, docs[i].published, sketches[i], title_words(docs[i], cl[i]))
    return out


def assign_stories(store: st.Store, config: RunConfig, pairs: Sequence[Pair] | None = None) -> dict[str, list[str]]:
    """Place every stored document in a story, extending the stored assignment; story id -> members.

    Level 1 (reuse components) and level 2 (the same-event index) as ``stories.assign``, over every
    stored document; documents the last run placed keep their stories.
    """
    pairs = store.pairs() if pairs is None else pairs
    sketches, _ = store.sketches()
    summaries = story_summaries(store, sketches)
    idf = idf_from_sketches(sketches.values())
    assignment = assign(summaries, reuse_components(summaries, pairs), same_story_links(pairs), idf, config.stories,
                        store.assignments(), template_links(pairs))
    store.put_assignments(assignment)
    return groups(assignment)


def build_stories(store: st.Store, config: RunConfig, progress: Progress, embedder: Embedder) -> None:
    """Place the documents in stories and trace the stories that changed.

    A stored story is kept as it is when its members are the same and none of them is new or changed
    since it was traced (stage ``STORIED``): its pairs are then the same too, since new pairs always
    involve a new or re-cleaned document.
    """
    ids = store.all_ids()
    pairs = store.pairs()
    by_story = assign_stories(store, config, pairs)
    changed = set(store.ids_at_stage(st.RELATED))
    old = {s.id: s for s in store.stories()}
    redo = {
        sid: members for sid, members in by_story.items()
        if sid not in old or list(old[sid].documents) != members or changed.intersection(members)
    }
    need = sorted({m for members in redo.values() for m in members})
    sketches, cue_map = store.sketches()
    items = _prepared(store, need, sketches, cue_map)
    by_doc: dict[str, list[Pair]] = {}
    for p in pairs:
        if p.a in items:
            by_doc.setdefault(p.a, []).append(p)
    docs = {i: it.doc for i, it in items.items()}
    cleaned = {i: it.cleaned for i, it in items.items()}

    def align_fn(a: str, b: str) -> Alignment:
        return alignment(items[a], items[b], config, embedder)

    stories = [old[sid] for sid in by_story if sid not in redo]
    for n, (sid, members) in enumerate(sorted(redo.items()), 1):
        member_set = set(members)
        story_pairs = [p for m in members for p in by_doc.get(m, ()) if p.b in member_set]
        stories.append(trace_story(sid, members, docs, cleaned, story_pairs, cue_map, align_fn, config.trace))
        progress("stories", n, len(redo))
    store.put_stories(sorted(stories, key=lambda s: s.id))
    store.set_stage(sorted(set(ids) & changed), st.STORIED)


def load_report(store: st.Store) -> Report:
    docs = store.documents()
    return Report(
        documents=list(docs.values()), cleaned=store.cleaned(), pairs=store.pairs(), stories=store.stories(),
        skipped=store.skipped(),
    )


def run(
    paths: Sequence[str | Path] | str | Path, config: RunConfig | None = None, out: str | Path | None = None,
    progress: Progress | None = None, stats: Stats | None = None, prune: bool = False,
) -> Report:
    """Run the whole pipeline on ``paths`` (one path, or a list of them) into the store under ``out``
    (a temporary one if None). ``prune``: forget stored documents whose input is gone.

    One run at a time writes to an ``out`` folder: a second one raises StoreError naming the first."""
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    config = config or RunConfig()
    progress = progress or _quiet
    stats = stats if stats is not None else Stats()
    with tempfile.TemporaryDirectory(prefix="wiretrace-") as tmp, out_lock(out if out is not None else tmp):
        store = st.Store(out if out is not None else tmp)
        try:
            with timed(stats, "ingest"):
                ingest_into(store, list(paths), config, progress, stats, prune=prune)
            return _finish(store, config, progress, stats)
        finally:
            store.close()


def forget(ids: Sequence[str], out: str | Path, config: RunConfig | None = None, progress: Progress | None = None) -> Report:
    """Remove documents from the store under ``out``, with their pairs; the stories they were in are
    placed and traced again. Unknown ids raise NotFoundError and nothing changes."""
    config = config or RunConfig()
    progress = progress or _quiet
    folder = Path(out)
    if not (folder / st.STORE_FILE).is_file():
        raise StoreError(f"store: no wiretrace store in {folder} (no {st.STORE_FILE} there); give the --out folder of a run")
    with out_lock(folder):
        store = st.Store(folder)
        try:
            known = store.known_ids()
            missing = [i for i in ids if i not in known]
            if missing:
                raise NotFoundError("document", ", ".join(missing))
            forget_documents(store, sorted(set(ids)))
            return _finish(store, config, progress, Stats())
        finally:
            store.close()


def _finish(store: st.Store, config: RunConfig, progress: Progress, stats: Stats) -> Report:
    """Every stage after ingest, on what the store holds that has not finished them."""
    embedder = Embedder(cache=store.embedding_cache())
    with timed(stats, "clean"):
        boiler = learn(store, config, stats)
        clean_pending(store, boiler, config, progress, stats)
    with timed(stats, "sketch"):
        sketch_pending(store, config, progress, stats)
    static = StaticEmbedder() if uses_embedding_path(config) and store.ids_at_stage(st.SKETCHED) else None
    relate_pending(store, config, progress, stats, embedder, static)  # times "candidates" and "relate"
    with timed(stats, "stories"):
        build_stories(store, config, progress, embedder)
    flush = getattr(embedder.cache, "flush", None)
    if flush is not None:
        flush()
    return load_report(store)


LOCK_FILE = "wiretrace.lock"


@contextmanager
def out_lock(folder: str | Path) -> Iterator[None]:
    """Hold ``folder``'s lock file while writing to it; StoreError when another process holds it.

    The lock is the kernel's (flock): a run killed with -9 leaves no stale lock behind."""
    folder = Path(folder)
    path = folder / LOCK_FILE
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise StoreError(st.describe_os_error(f"cannot take the lock {path}", e, folder)) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
            raise StoreError(
                f"store: another wiretrace process (pid {holder}) is writing to {folder}; "
                "wait for it to finish (this run did nothing), or give another --out folder"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def compare(text_a: str, text_b: str, config: RunConfig | None = None, embedder: Embedder | None = None) -> Pair:
    """How text b relates to text a, with aligned passages (relation "unrelated" when nothing does).

    Short texts (at most ``SHORT_SENTENCES`` sentences and ``SHORT_WORDS`` words on each side) are
    decided by the aligner's sentence model (``align.paraphrase_probability``: the MiniLM cosine and
    the lexical agreement model fitted on MRPC, its cosine floor, and ``SHORT_P``): coverage shares
    mean little over a sentence or two."""
    config = config or RunConfig()
    embedder = embedder or Embedder()
    items = []
    for name, text in (("a", text_a), ("b", text_b)):
        doc = Document(name, text, f"<{name}>", "text")
        cl = clean(doc, config.clean)
        _, sk, cu = prepare(doc, cl, config)
        items.append(Prepared(doc, cl, sk, cu))
    a, b = items
    p = relate_pair(a, b, None, config, embedder)
    short = _short_span(text_a, a.cleaned), _short_span(text_b, b.cleaned)
    if short[0] is not None and short[1] is not None and config.align.semantic:
        return _short_pair(text_a, short[0], text_b, short[1], p, a, b, config, embedder)
    if p is not None:
        return p
    al = alignment(a, b, config, embedder)
    return Pair("a", "b", "unrelated", "none", Scores(al.lexical, al.semantic, round(al.a_covered, 4), round(al.b_covered, 4)), al.passages)


SHORT_SENTENCES = 3
SHORT_WORDS = 80
# The paraphrase model's probability that decides two short texts: the threshold that maximises F1 on
# the held-out folds of MRPC train (``bench/mrpc_eval.py`` prints it per fold: 0.437-0.449), where the
# aligner's own 0.54 maximises accuracy (a sentence wrongly aligned costs more inside a document).
SHORT_P = 0.45


def _short_span(text: str, cleaned: Cleaned) -> tuple[int, int] | None:
    """The span a short text is compared over (its content, or the whole text where cleaning kept
    nothing, as it may of a lone sentence), or None for a text longer than a few sentences."""
    rng = cleaned.content or ((0, len(text)),)
    s, e = rng[0][0], rng[-1][1]
    n = len(words(text, s, e))
    if not n or n > SHORT_WORDS or len(sentences(text, s, e)) > SHORT_SENTENCES:
        return None
    return s, e


def _short_pair(
    text_a: str, ra: tuple[int, int], text_b: str, rb: tuple[int, int], lexical: Pair | None,
    a: Prepared, b: Prepared, config: RunConfig, embedder: Embedder,
) -> Pair:
    """The sentence decision over two short texts; copies (duplicate, near_duplicate) stay as the
    alignment found them."""
    va, vb = embedder.embed([text_a[ra[0] : ra[1]], text_b[rb[0] : rb[1]]])
    cos = float(va @ vb / max(float(np.linalg.norm(va) * np.linalg.norm(vb)), 1e-9))
    pa, pb = sentence_profile(text_a, *ra), sentence_profile(text_b, *rb)
    prob = paraphrase_probability(pa, pb, cos)
    score = prob if cos >= config.align.paraphrase_cos and prob >= SHORT_P else None
    why = f"short texts: the sentence decision (cosine {cos:.2f}, paraphrase probability {prob:.2f})"
    if lexical is not None and lexical.relation in ("duplicate", "near_duplicate", "template"):
        return replace(lexical, reasons=lexical.reasons + (why,))
    al = alignment(a, b, config, embedder)
    if score is not None and config.relate.templates:
        verdict = template(Side(text_a, (ra,)), Side(text_b, (rb,)), align_config=config.align)
        if verdict is not None:
            return Pair("a", "b", "template", "none", Scores(al.lexical, round(cos, 4), round(al.a_covered, 4), round(al.b_covered, 4)),
                        al.passages, (why, verdict.reason()), verdict.slots)
    if score is not None:
        jac = len(pa.grams[0] & pb.grams[0]) / max(len(pa.grams[0] | pb.grams[0]), 1)
        kind = "near_verbatim" if jac >= config.align.near_verbatim_jaccard else "paraphrase"
        return Pair(
            "a", "b", "paraphrase", "none", Scores(al.lexical, round(cos, 4), 1.0, 1.0),
            (Passage(ra, rb, kind, round(score, 4)),), (why + ": the same content",),
        )
    scores = Scores(al.lexical, round(cos, 4), round(al.a_covered, 4), round(al.b_covered, 4))
    if lexical is not None and lexical.relation in ("contains", "derivative", "same_story", "template"):
        return Pair("a", "b", lexical.relation, lexical.direction, scores, lexical.passages,
                    lexical.reasons + (why + ": not the same content",), lexical.slots)
    if al.passages and max(al.a_verbatim, al.b_verbatim) >= config.relate.derivative_verbatim:
        return Pair("a", "b", "derivative", "none", scores, al.passages, (why + ": words shared, not the same content",))
    relation = "same_story" if cos >= config.relate.same_story_cos else "unrelated"
    return Pair("a", "b", relation, "none", scores, al.passages, (why + ": not the same content",))
