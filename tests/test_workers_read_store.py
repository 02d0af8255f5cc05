"""What the driver no longer does, the workers do with the same result (issue 15, item 2):

* the trace's inputs (documents, cleaning, sketches, the pairs among a story's members) are read by
  the process that traces them, from the store through a read-only connection of its own
  (``engine.local.trace_inputs`` / ``_trace_read_batch``), not read on the driver and pickled over;
* each document's level-2 summary is made with its sketch in the clean+sketch batch (a worker's) and
  kept as the sketches are stored, not made on the driver when the stories stage begins.

On real inputs (BBC News articles with copies, the seeds, the sample corpus) with 1, 2 and 3 workers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests.conftest import bbc_with_copies
from tests.requirements import need_path as need

from wiretrace.engine import corpus_state as cs
from wiretrace.engine import local as engine
from wiretrace.engine import store as st
from wiretrace.engine.executor import LocalExecutor
from wiretrace.engine.pipeline import RunConfig, Stats, ingest_into, run
from wiretrace.model import Pair
from wiretrace.stages import title_words
from wiretrace.stories import groups, level2_idf, summarize

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"
CORPUS = REPO / "examples" / "corpus"


def _bbc(tmp: Path) -> Path:
    return bbc_with_copies(tmp / "bbc.jsonl", ("business", "politics", "sport"), 12)


def _source(name: str, tmp: Path) -> Path:
    if name == "bbc":
        return _bbc(tmp)
    path = SEEDS if name == "seeds" else CORPUS
    return need(path)


def _tasks_read_at_once(store: st.Store, group: list[tuple[str, list[str]]]) -> list:
    """The trace's tasks as the driver made them before: every member's sketch and every pair read in
    one go, then split by story."""
    need_ids = {m for _, ms in group for m in ms}
    sketches, cue_map = store.sketches(need_ids)
    by_doc: dict[str, list[Pair]] = {}
    for p in store.pairs_touching(need_ids):
        if p.a in need_ids:
            by_doc.setdefault(p.a, []).append(p)
    return engine._story_tasks(store, group, sketches, cue_map, by_doc)


@pytest.mark.parametrize("name", ["bbc", "seeds", "examples"])
def test_trace_read_by_workers_gives_the_stored_stories(name: str, tmp_path: Path) -> None:
    src = _source(name, tmp_path)
    out = tmp_path / "out"
    run(src, RunConfig(workers=1, batch=4), out=out)
    store = st.Store(out)
    try:
        by_story = groups(store.assignments())
        stored = {s.id: s for s in store.stories()}
        assert set(stored) == set(by_story)
        assert any(len(m) > 1 for m in by_story.values()), "the corpus should make stories of several documents"
        items = sorted(by_story.items())
        # Read per batch of stories (as a worker reads), the tasks are those read for all at once.
        whole = {t.id: t for t in _tasks_read_at_once(store, items)}
        reader = st.Store(out, readonly=True)
        try:
            for i in range(0, len(items), 3):
                for t in engine.trace_inputs(reader, items[i : i + 3]):
                    assert t == whole[t.id], f"story {t.id}: read per batch differs from read at once"
        finally:
            reader.close()
        assert sum(len(t.pairs) for t in whole.values()) > 0
        # Traced in 1, 2 and 3 processes, each reading its batches: the stories the run stored.
        config = RunConfig(workers=1, batch=4)
        folder = str(out.resolve())
        batches = [items[i : i + 2] for i in range(0, len(items), 2)]
        for workers in (1, 2, 3):
            with LocalExecutor(workers, store_file=store.path) as ex:
                traced = [s for batch in ex.map(engine._trace_read_batch, batches, (config, folder)) for s in batch]
            engine._close_reader(folder)
            assert [s.id for s in traced] == sorted(stored)
            for s in traced:
                assert s == stored[s.id], f"story {s.id} traced by {workers} workers differs from the stored one"
    finally:
        store.close()


def _summaries_after_sketch(src: Path, out: Path, workers: int) -> tuple[list, list]:
    config = RunConfig(workers=workers, batch=5)
    stats = Stats()
    store = st.Store(out)
    try:
        ingest_into(store, [src], config, engine.quiet, stats)
        with LocalExecutor(workers) as ex:
            engine._stage_clean(store, config, engine.quiet, stats, ex)
        assert stats.sketched == stats.cleaned > 0
        # Kept with the sketches: each is the summary made from the stored rows, and the kept counts
        # are those counted from them.
        ids = cs.sketched_ids(store.db)
        docs, cl = store.documents(ids), store.cleaned(ids)
        sketches, _ = store.sketches(ids)
        fresh = {i: summarize(i, docs[i].published, sketches[i], title_words(docs[i], cl[i])) for i in ids}
        assert cs.summaries(store.db) == fresh
        assert not cs.unsummarised(store.db)
        assert cs.level2_counts(store.db) == level2_idf(fresh.values())
    finally:
        store.close()
    db = sqlite3.connect(out / st.STORE_FILE)
    try:
        return (db.execute("SELECT doc_id, body FROM summaries ORDER BY doc_id").fetchall(),
                db.execute("SELECT word, df FROM summary_df ORDER BY word").fetchall())
    finally:
        db.close()


@pytest.mark.parametrize("name", ["bbc", "examples"])
def test_summaries_made_with_the_sketches_in_the_workers(name: str, tmp_path: Path) -> None:
    src = _source(name, tmp_path)
    one = _summaries_after_sketch(src, tmp_path / "w1", 1)
    assert len(one[0]) > 10 and len(one[1]) > 100
    for workers in (2, 3):
        assert _summaries_after_sketch(src, tmp_path / f"w{workers}", workers) == one, f"{workers} workers"
