"""The entry points over an embedded store: ``run`` (files in, report out), ``forget``, ``compare``.

ingest -> clean -> sketch -> candidates -> align -> relate -> stories -> trace. Ingest is here (files
into the store, with ``--prune``); every later stage is the engine's (``engine.SEQUENCE``, run by
``engine.finish`` with worker processes); what a stage does to one document, pair or story is a pure
function of ``stages``. The CLI, the HTTP service and the Spark job are shells over these.

The names the stages had here before the split are re-exported, so ``from wiretrace.engine.pipeline import
relate_pair`` keeps working.
"""

from __future__ import annotations

import fcntl
import functools
import os
import re
import tempfile
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import xxhash

from wiretrace import errors
from wiretrace.align import paraphrase_model, residue, residue_features, sentence_profile, short_probability
from wiretrace.clean import clean, document_blocks
from wiretrace.embed.minilm import Embedder
from wiretrace.engine import store as st
from wiretrace.engine.executor import Env, LocalExecutor
from wiretrace.engine.local import (
    SEQUENCE,
    Progress,
    Stats,
    _executor,
    add_documents,
    assign_stories,
    build_stories,
    clean_pending,
    doc_vectors,
    executor_for,
    finish,
    learn,
    relate_pending,
    sketch_pending,
    story_summaries,
    timed,
)
from wiretrace.engine.local import quiet as _quiet
from wiretrace.errors import NoInputError, NotFoundError, StoreError
from wiretrace.ingest.reader import read_found
from wiretrace.ingest.walk import list_files
from wiretrace.model import (
    Cleaned,
    Comparison,
    Direction,
    Document,
    Format,
    Pair,
    Passage,
    PassageKind,
    Relation,
    Report,
    Scores,
    Skipped,
)
from wiretrace.relate.template import Side, template
from wiretrace.stages import (
    Prepared,
    RunConfig,
    alignment,
    common_anchors,
    doc_cues,
    headline,
    identical_bodies,
    idf_from_counts,
    idf_from_sketches,
    prepare,
    relate_pair,
    title_words,
    uses_embedding_path,
)
from wiretrace.text.tokens import sentences, words

__all__ = [
    "SEQUENCE", "Prepared", "Progress", "RunConfig", "Stats", "add_documents", "alignment", "assign_stories",
    "build_stories", "clean_pending", "common_anchors", "compare", "doc_cues", "doc_vectors", "finish", "forget",
    "headline", "identical_bodies", "idf_from_counts", "idf_from_sketches", "ingest_into", "learn", "load_report",
    "prepare", "relate_pair", "relate_pending", "run", "sketch_pending", "story_summaries", "text_hash", "timed",
    "title_words", "uses_embedding_path",
]


def text_hash(text: str) -> str:
    return xxhash.xxh64_hexdigest(text.encode("utf-8"))


def ingest_into(
    store: st.Store, paths: Sequence[str | Path], config: RunConfig, progress: Progress, stats: Stats, prune: bool = False,
    executor: LocalExecutor | None = None,
) -> None:
    """Read ``paths`` into the store: new and changed documents go in, skips are recorded (a file read
    again loses the skips it had before), and with ``prune`` the stored documents whose input is gone
    (a file deleted, a JSONL line or WARC record no longer in a file read again) are forgotten.

    The documents' block keys (``clean.document_blocks``, what learning boilerplate reads) are cut by
    ``executor``'s workers, batch by batch, while this process reads on and stores the batches before
    (in the order read: each batch as ``add_documents`` would store it)."""
    known = store.known_ids()
    seen = {i: p for i, (p, _) in known.items()}
    found = list_files(paths)
    read: dict[str, set[str]] = {}  # resolved file -> ids read from it this run
    pending: deque[tuple[list[tuple[Document, str]], list[str]]] = deque()  # batches sent, with the ids to reset
    real = functools.lru_cache(maxsize=1024)(os.path.realpath)  # a JSONL file's records share its path

    def batches() -> Iterator[list[Document]]:
        batch: list[tuple[Document, str]] = []
        again: list[str] = []
        for item in read_found(found, config.ingest, seen_ids=seen):
            if isinstance(item, Skipped):
                stats.skipped.append(item)
                continue
            stats.read += 1
            read.setdefault(real(item.path), set()).add(item.id)
            h = text_hash(item.text)
            if item.id in known and known[item.id][1] == h:
                stats.unchanged += 1
                continue
            if item.id in known:
                again.append(item.id)
            batch.append((item, h))
            if len(batch) >= config.batch:
                pending.append((batch, again))
                yield [d for d, _ in batch]
                batch, again = [], []
        if batch:
            pending.append((batch, again))
            yield [d for d, _ in batch]

    with _executor(executor, config) as ex:
        for blocks in ex.map(_blocks_batch, batches(), config):
            batch, again = pending.popleft()
            if again:
                store.reset(again)  # a changed document: its old version's rows go before the new one comes
            if batch:
                store.add_documents(batch)
                store.add_blocks_many(blocks)
                stats.new += len(batch)
                progress("ingest", stats.new, 0)
    covered = {f.key for f in found} | {os.path.realpath(f.path) for f in found if f.path}
    store.remove_skipped([p for p in store.skipped_paths() if _skip_file(p) in covered])
    store.add_skipped(stats.skipped)
    if stats.read == 0:
        raise NoInputError([os.fspath(p) for p in paths], stats.skipped, [f.fmt for f in found])
    if prune:
        gone = gone_inputs(store, read, {f.key for f in found if f.fmt in (Format.JSONL, Format.WARC) and f.problem is None})
        if gone:
            forget_documents(store, gone)
            stats.pruned = len(gone)


def _blocks_batch(config: RunConfig, docs: list[Document], env: Env) -> list[tuple[str, frozenset[str], frozenset[str]]]:
    """The block keys (and long ones) of each document of a batch, for ``Store.add_blocks_many``."""
    return [(d.id, *document_blocks(d, config.clean)) for d in docs]


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
        raise errors.prune_from_elsewhere(str(store.folder), len(on_disk), os.getcwd())
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
    return fmt in (Format.TEXT, Format.HTML, Format.JSONL, Format.WARC) and bool(path) and not path.startswith(("<", "upload:")) and path != "api"


def forget_documents(store: st.Store, ids: Sequence[str]) -> None:
    """Drop ``ids`` from the store with their pairs; the other members of their stories are placed and
    traced again by the next story stage (their assignments are dropped)."""
    affected = {d for s in store.stories() if set(s.documents) & set(ids) for d in s.documents} - set(ids)
    store.forget(ids, sorted(affected))


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
            with executor_for(store, config) as ex:  # one pool of workers for ingest and every stage after
                with timed(stats, "ingest", ex):
                    ingest_into(store, list(paths), config, progress, stats, prune=prune, executor=ex)
                finish(store, config, progress, stats, executor=ex)
            return load_report(store)
        finally:
            store.close()


def forget(ids: Sequence[str], out: str | Path, config: RunConfig | None = None, progress: Progress | None = None) -> Report:
    """Remove documents from the store under ``out``, with their pairs; the stories they were in are
    placed and traced again. Unknown ids raise NotFoundError and nothing changes."""
    config = config or RunConfig()
    progress = progress or _quiet
    folder = Path(out)
    if not (folder / st.STORE_FILE).is_file():
        raise errors.store_missing(folder)
    with out_lock(folder):
        store = st.Store(folder)
        try:
            known = store.known_ids()
            missing = [i for i in ids if i not in known]
            if missing:
                raise NotFoundError("document", ", ".join(missing))
            forget_documents(store, sorted(set(ids)))
            finish(store, config, progress, Stats())
            return load_report(store)
        finally:
            store.close()


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
            raise errors.store_locked(holder, folder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


def compare(text_a: str, text_b: str, config: RunConfig | None = None, embedder: Embedder | None = None) -> Comparison:
    """How text b relates to text a, with aligned passages (``relation`` None when nothing does).

    Short texts (at most ``SHORT_SENTENCES`` sentences and ``SHORT_WORDS`` words on each side) are
    decided by the short-text model (``align.short_probability``: the aligner's sentence features, the
    MiniLM cosine and the lexical agreement, plus the cosines of what each side writes that the other
    does not; fitted on MRPC), the aligner's cosine floor, and the model's ``short_p``: coverage shares
    mean little over a sentence or two."""
    config = config or RunConfig()
    embedder = embedder or Embedder()
    items = []
    for name, text in (("a", text_a), ("b", text_b)):
        doc = Document(name, text, f"<{name}>", Format.TEXT)
        cl = clean(doc, config.clean)
        _, sk, cu = prepare(doc, cl, config)
        items.append(Prepared(doc, cl, sk, cu))
    a, b = items
    p = relate_pair(a, b, None, config, embedder)
    short = _short_span(text_a, a.cleaned), _short_span(text_b, b.cleaned)
    if short[0] is not None and short[1] is not None and config.align.semantic:
        return _short_pair(text_a, short[0], text_b, short[1], p, a, b, config, embedder)
    if p is not None:
        return Comparison.of(p)
    al = alignment(a, b, config, embedder)
    scores = Scores(al.lexical, al.semantic, round(al.a_covered, 4), round(al.b_covered, 4))
    return Comparison("a", "b", None, Direction.NONE, scores, al.passages)


SHORT_SENTENCES = 3
SHORT_WORDS = 80
# The short-text model's probability that decides two short texts is the model file's ``short_p``: the
# threshold that maximises F1 on MRPC train (``bench/calibrate.py --part align`` prints it per fold),
# where the aligner's own ``paraphrase_p`` maximises accuracy (a sentence wrongly aligned costs more
# inside a document).


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
) -> Comparison:
    """The sentence decision over two short texts; copies (duplicate, near_duplicate) stay as the
    alignment found them."""
    pa, pb = sentence_profile(text_a, *ra), sentence_profile(text_b, *rb)
    res = residue(text_a, *ra, pb), residue(text_b, *rb, pa)  # what each side writes that the other does not
    vecs = iter(embedder.embed([text_a[ra[0] : ra[1]], text_b[rb[0] : rb[1]], *(r for r in res if r)]))
    va, vb = next(vecs), next(vecs)
    res_a, res_b = (next(vecs) if r else None for r in res)
    cos = float(va @ vb / max(float(np.linalg.norm(va) * np.linalg.norm(vb)), 1e-9))
    prob = short_probability(pa, pb, cos, residue_features(va, vb, res_a, res_b))
    score = prob if cos >= config.align.paraphrase_cos and prob >= paraphrase_model().short_p else None
    why = f"short texts: the sentence decision (cosine {cos:.2f}, paraphrase probability {prob:.2f})"
    if lexical is not None and lexical.relation in (Relation.DUPLICATE, Relation.NEAR_DUPLICATE, Relation.TEMPLATE):
        return Comparison.of(replace(lexical, reasons=lexical.reasons + (why,)))
    al = alignment(a, b, config, embedder)
    if score is not None and config.relate.templates:
        verdict = template(Side(text_a, (ra,)), Side(text_b, (rb,)), align_config=config.align)
        if verdict is not None:
            scores = Scores(al.lexical, round(cos, 4), round(al.a_covered, 4), round(al.b_covered, 4))
            return Comparison("a", "b", Relation.TEMPLATE, Direction.NONE, scores, al.passages, (why, verdict.reason()), verdict.slots)
    if score is not None:
        jac = len(pa.grams[0] & pb.grams[0]) / max(len(pa.grams[0] | pb.grams[0]), 1)
        kind = PassageKind.NEAR_VERBATIM if jac >= config.align.near_verbatim_jaccard else PassageKind.PARAPHRASE
        return Comparison(
            "a", "b", Relation.PARAPHRASE, Direction.NONE, Scores(al.lexical, round(cos, 4), 1.0, 1.0),
            (Passage(ra, rb, kind, round(score, 4)),), (why + ": the same content",),
        )
    scores = Scores(al.lexical, round(cos, 4), round(al.a_covered, 4), round(al.b_covered, 4))
    if lexical is not None and lexical.relation in (Relation.CONTAINS, Relation.DERIVATIVE, Relation.SAME_STORY, Relation.TEMPLATE):
        return Comparison("a", "b", lexical.relation, lexical.direction, scores, lexical.passages,
                    lexical.reasons + (why + ": not the same content",), lexical.slots)
    if al.passages and max(al.a_verbatim, al.b_verbatim) >= config.relate.derivative_verbatim:
        return Comparison("a", "b", Relation.DERIVATIVE, Direction.NONE, scores, al.passages, (why + ": words shared, not the same content",))
    relation = Relation.SAME_STORY if cos >= config.relate.same_story_cos else None
    return Comparison("a", "b", relation, Direction.NONE, scores, al.passages, (why + ": not the same content",))
