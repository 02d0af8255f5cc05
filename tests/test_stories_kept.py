"""Level 2's story index kept in the store (``stories_kept``, ``engine.story_state``).

On real articles added in batches: the kept index (profiles, index keys, postings, assignment) equals
the one a long-lived in-memory ``StoryIndex`` holds after the same placements (``StoryIndex.rebind`` to
each run's idf); it stays consistent after documents are forgotten; a store of schema 4 (made by the
engine before the index was kept) is upgraded, its index built by the next run; a newer one is named.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections import defaultdict
from pathlib import Path

import pytest
from tests.conftest import bbc_by_category

import wiretrace
from wiretrace.align import AlignConfig
from wiretrace.embed.minilm import Embedder
from wiretrace.engine import corpus_state as cs
from wiretrace.engine import pipeline as pl
from wiretrace.engine import store as st
from wiretrace.engine import story_state
from wiretrace.engine.local import build_stories, clean_pending, learn, quiet, relate_pending, sketch_pending
from wiretrace.engine.pipeline import RunConfig, Stats, ingest_into
from wiretrace.errors import StoreError
from wiretrace.model import Relation
from wiretrace.stories import LINKS, StoryIndex, build_index, reuse_components
from wiretrace.text.topic import corpus_size

CONFIG = RunConfig(align=AlignConfig(semantic=False), workers=1)


def _bbc(per_category: int) -> list[dict]:
    """Articles of two categories, interleaved (same-topic articles: joins and merges to keep right)."""
    out = bbc_by_category(("business", "sport"), per_category)
    return [r for pair in zip(out["business"], out["sport"], strict=True) for r in pair]


def _write(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _run_batch(store: st.Store, inbox: Path) -> tuple[bool, int]:
    """One incremental run of the stages over ``store`` (as ``engine.finish``); (kept path taken, recleaned)."""
    stats = Stats()
    embedder = Embedder(cache=store.embedding_cache())
    ingest_into(store, [inbox], CONFIG, quiet, stats)
    boiler = learn(store, CONFIG, stats)
    clean_pending(store, boiler, CONFIG, quiet, stats)
    sketch_pending(store, CONFIG, quiet, stats)
    relate_pending(store, CONFIG, quiet, stats, embedder)
    return build_stories(store, CONFIG, quiet, embedder), stats.recleaned


def _inputs(store: st.Store) -> tuple[dict, list[list[str]], dict[str, set[str]], dict[str, set[str]]]:
    """Summaries, reuse components, link and template neighbours of every stored document."""
    summaries = cs.summaries(store.db)
    links = store.pair_links()
    comps = reuse_components(summaries, [_Pair(a, b, Relation(r)) for a, b, r in links])
    linked: dict[str, set[str]] = defaultdict(set)
    apart: dict[str, set[str]] = defaultdict(set)
    for a, b, r in links:
        if Relation(r) in LINKS or Relation(r) == Relation.TEMPLATE:
            into = linked if Relation(r) in LINKS else apart
            into[a].add(b)
            into[b].add(a)
    return summaries, comps, linked, apart


class _Pair:
    def __init__(self, a: str, b: str, relation: Relation) -> None:
        self.a, self.b, self.relation = a, b, relation


def assert_kept_matches(store: st.Store, index: StoryIndex) -> None:
    """The store's kept index holds exactly ``index``'s stories, profiles, keys, postings and assignment."""
    db = store.db
    assert story_state.valid(db, CONFIG.stories)
    assert store.assignments() == index.assignment()
    kept = story_state.kept_stories(db)
    assert set(kept) == set(index.stories)
    for sid, (key, prof, keys) in kept.items():
        s = index.stories[sid]
        assert (key, keys) == (s.key, s.keys), sid
        assert (prof.topic, prof.names, prof.first, prof.last, prof.n, prof.leads, prof.private) == (
            s.profile.topic, s.profile.names, s.profile.first, s.profile.last, s.profile.n, s.profile.leads, s.profile.private), sid
    assert story_state.kept_postings(db) == {k: v for k, v in index.postings.items() if v}
    assert set(store.story_ids()) == set(index.stories)  # every story traced, none left over
    # Read in bulk with the content words left unread (what placing reads): the same norms, to the
    # last bit, and the same content words, in the same order, once read.
    lazy = story_state.StoreBacking(db).stories_of_ids(sorted(kept))
    assert set(lazy) == set(kept)
    for sid, (key, prof, keys, topic) in lazy.items():
        s = index.stories[sid]
        assert (key, keys, prof.topic, prof.names, prof.n, prof.private) == (s.key, s.keys, {}, s.profile.names, s.profile.n, s.profile.private)
        assert prof.norms() == s.profile.norms(), sid
        assert list(topic().items()) == list(s.profile.topic.items()), sid
    # A row written before the squares were kept in its head (an older engine's) gives the same norms,
    # from its stored values: read on a copy of the profiles whose heads lack them.
    mem = sqlite3.connect(":memory:")
    mem.execute("CREATE TABLE story_profiles (id TEXT PRIMARY KEY, head TEXT, keys TEXT, topic_keys TEXT, topic_vals BLOB, "
                "name_keys TEXT, name_vals BLOB)")
    rows = db.execute("SELECT * FROM story_profiles").fetchall()
    assert rows and all("z" in json.loads(r[1])[1] for r in rows)
    mem.executemany("INSERT INTO story_profiles VALUES (?, ?, ?, ?, ?, ?, ?)", [
        (r[0], json.dumps([json.loads(r[1])[0], {k: v for k, v in json.loads(r[1])[1].items() if k not in ("z", "y")}]), *r[2:])
        for r in rows])
    old = story_state.StoreBacking(mem).stories_of_ids(sorted(kept))
    assert {sid: v[1].norms() for sid, v in old.items()} == {sid: v[1].norms() for sid, v in lazy.items()}
    assert all(list(old[sid][3]().items()) == list(index.stories[sid].profile.topic.items()) for sid in old)
    assert story_state.StoreBacking(db).holders_of(["no such key", *sorted(index.postings)[:50]]) == {
        k: set(index.postings.get(k, ())) for k in ["no such key", *sorted(index.postings)[:50]]}


def assert_kept_consistent(store: st.Store) -> None:
    """The kept index describes the stored assignment: one profile per story, of as many documents as
    it holds, postings the inverse of the stories' keys, stories traced for each."""
    db = store.db
    assert story_state.valid(db, CONFIG.stories)
    members: dict[str, int] = defaultdict(int)
    for _, sid in store.assignments().items():
        members[sid] += 1
    kept = story_state.kept_stories(db)
    assert {sid: prof.n for sid, (_, prof, _) in kept.items()} == dict(members)
    inverse: dict[str, set[str]] = defaultdict(set)
    for sid, (_, _, keys) in kept.items():
        for k in keys:
            inverse[k].add(sid)
    assert story_state.kept_postings(db) == dict(inverse)
    assert not db.execute("SELECT COUNT(*) FROM story_dirty").fetchone()[0]
    assert set(store.story_ids()) == set(members)


def test_kept_index_equals_a_long_lived_index_after_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recs = _bbc(70)
    first, later = recs[:80], [recs[80:100], recs[100:120]]
    monkeypatch.setattr(story_state, "GROWTH", 1.0)  # these batches grow the corpus by 25% and 20%: kept all the same
    wiretrace.run([_write(tmp_path / "in0" / "a.jsonl", first)], CONFIG, tmp_path / "store")
    store = st.Store(tmp_path / "store")
    try:
        summaries, comps, linked, apart = _inputs(store)
        # The first run placed every document (no index kept yet): the index it kept is assign's.
        index = build_index(summaries, comps, [(a, b) for a in linked for b in linked[a] if a < b], cs.idf(store.db),
                            CONFIG.stories, None, [(a, b) for a in apart for b in apart[a] if a < b], StoryIndex,
                            cs.level2_counts(store.db))
        assert_kept_matches(store, index)
        for n, batch in enumerate(later, 1):
            placed = set(store.assignments())
            kept_path, recleaned = _run_batch(store, _write(tmp_path / f"in{n}" / "b.jsonl", batch))
            assert kept_path and not recleaned
            # The long-lived index: the new idf and counts, then the components holding a new document.
            summaries, comps, linked, apart = _inputs(store)
            index.rebind(cs.idf(store.db), cs.level2_counts(store.db))
            todo = [sorted((summaries[m] for m in c), key=lambda d: d.key) for c in comps if set(c) - placed]
            for docs in sorted(todo, key=lambda ds: ds[0].key):
                index.add(docs, set().union(*(linked[d.id] for d in docs)), set().union(*(apart[d.id] for d in docs)))
            assert_kept_matches(store, index)
        sizes: dict[str, int] = defaultdict(int)
        for sid in store.assignments().values():
            sizes[sid] += 1
        assert max(sizes.values()) >= 3  # stories of several documents: joins happened
        # Grown by more than GROWTH since the index was built, the whole path builds it again.
        monkeypatch.setattr(story_state, "GROWTH", 0.1)
        assert not _run_batch(store, _write(tmp_path / "in3" / "c.jsonl", recs[120:140]))[0]
        assert_kept_consistent(store)
        assert story_state.fresh(store.db, 140) and not story_state.fresh(store.db, 155)
    finally:
        store.close()


def _members(store: st.Store) -> dict[str, list[str]]:
    """Story id -> its documents, from the stored assignment."""
    out: dict[str, list[str]] = defaultdict(list)
    for d, sid in store.assignments().items():
        out[sid].append(d)
    return out


def test_forgotten_documents_leave_a_consistent_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(story_state, "GROWTH", 1.0)
    recs = _bbc(40)
    src = _write(tmp_path / "in" / "a.jsonl", recs[:60])
    wiretrace.run([src], CONFIG, tmp_path / "store")
    store = st.Store(tmp_path / "store")
    try:
        big = max(_members(store).values(), key=len)
        assert len(big) >= 2
        gone = [big[0]]
    finally:
        store.close()
    pl.forget(gone, tmp_path / "store", CONFIG)  # its story's other members are placed again
    store = st.Store(tmp_path / "store")
    try:
        assert story_state.valid(store.db, CONFIG.stories)
        assert gone[0] not in store.assignments()
        assert_kept_consistent(store)
        kept_path, _ = _run_batch(store, _write(tmp_path / "in2" / "b.jsonl", recs[60:80]))
        assert kept_path
        assert_kept_consistent(store)
    finally:
        store.close()


def test_documents_whose_pairs_changed_are_placed_again_by_the_kept_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pair decided again with another relation (``corpus_state.unplace``, as the relate stage marks it)
    no longer sends the next story stage down the whole path: its documents leave their stories (profiled
    again from the other members) and are placed with the new documents."""
    monkeypatch.setattr(story_state, "GROWTH", 1.0)
    recs = _bbc(40)
    wiretrace.run([_write(tmp_path / "in" / "a.jsonl", recs[:60])], CONFIG, tmp_path / "store")
    store = st.Store(tmp_path / "store")
    try:
        members = _members(store)
        big = max(members.values(), key=len)
        single = next(m[0] for m in members.values() if len(m) == 1)
        assert len(big) >= 3
        again = [big[-1], single]
        cs.unplace(store.db, again)
        store.set_stage([big[-1]], st.RELATED)  # the other as a run killed between the two steps leaves it
        kept_path, _ = _run_batch(store, _write(tmp_path / "in2" / "b.jsonl", recs[60:80]))
        assert kept_path
        assignment = store.assignments()
        assert set(again) <= set(assignment)
        assert assignment[big[-1]] == assignment[big[0]]  # its story still fits it: placed back with the others
        assert not cs.unplaced_ids(store.db)
        assert not store.ids_at_stage(st.RELATED)
        assert_kept_consistent(store)
    finally:
        store.close()


def test_a_schema_4_store_is_upgraded_and_its_index_built_on_the_next_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(story_state, "GROWTH", 1.0)
    recs = _bbc(25)
    wiretrace.run([_write(tmp_path / "in" / "a.jsonl", recs[:30])], CONFIG, tmp_path / "store")
    db = sqlite3.connect(tmp_path / "store" / st.STORE_FILE)
    with db:  # as the engine of schema 4 left it: no story index tables
        for t in ("story_profiles", "story_postings", "story_dirty"):
            db.execute(f"DROP TABLE {t}")
        db.execute("DELETE FROM meta WHERE key = 'story_state'")
        db.execute("UPDATE meta SET value = '4' WHERE key = 'schema'")
    db.close()
    before = None
    store = st.Store(tmp_path / "store")
    try:
        assert store.get_meta("schema") == st.SCHEMA_VERSION
        assert not story_state.valid(store.db, CONFIG.stories)
        before = store.assignments()
        kept_path, _ = _run_batch(store, _write(tmp_path / "in2" / "b.jsonl", recs[30:40]))
        assert not kept_path  # the whole path, which keeps the index
        assert {d: s for d, s in store.assignments().items() if d in before} == before
        assert_kept_consistent(store)
        assert _run_batch(store, _write(tmp_path / "in3" / "c.jsonl", recs[40:]))[0]
        assert_kept_consistent(store)
    finally:
        store.close()
    db = sqlite3.connect(tmp_path / "store" / st.STORE_FILE)
    with db:
        db.execute("UPDATE meta SET value = '6' WHERE key = 'schema'")
    db.close()
    with pytest.raises(StoreError, match="schema 6.*use a new --out folder"):
        st.Store(tmp_path / "store")


def test_kept_rows_without_their_squares_place_a_batch_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A kept index written before its rows kept their squared norms (an older engine's store) places the
    next batch as one whose rows keep them: the same assignment, stories and kept index."""
    monkeypatch.setattr(story_state, "GROWTH", 1.0)
    recs = _bbc(40)
    wiretrace.run([_write(tmp_path / "in" / "a.jsonl", recs[:60])], CONFIG, tmp_path / "new")
    (tmp_path / "old").mkdir()
    shutil.copyfile(tmp_path / "new" / st.STORE_FILE, tmp_path / "old" / st.STORE_FILE)
    db = sqlite3.connect(tmp_path / "old" / st.STORE_FILE)
    with db:
        rows = db.execute("SELECT id, head FROM story_profiles").fetchall()
        assert rows and all("z" in json.loads(h)[1] for _, h in rows)
        db.executemany("UPDATE story_profiles SET head = ? WHERE id = ?", [
            (json.dumps([json.loads(h)[0], {k: v for k, v in json.loads(h)[1].items() if k not in ("z", "y")}]), sid)
            for sid, h in rows])
    db.close()
    batch = _write(tmp_path / "in2" / "b.jsonl", recs[60:80])
    seen = {}
    for name in ("old", "new"):
        store = st.Store(tmp_path / name)
        try:
            kept_path, _ = _run_batch(store, batch)
            assert kept_path
            assert_kept_consistent(store)
            seen[name] = (store.assignments(), store.db.execute("SELECT id, body FROM stories ORDER BY id").fetchall(),
                          story_state.kept_stories(store.db), story_state.kept_postings(store.db))
        finally:
            store.close()
    assert len(set(seen["new"][0].values())) < len(seen["new"][0])  # stories of several documents
    for a, b in zip(seen["old"][2].values(), seen["new"][2].values(), strict=True):
        assert (a[0], a[1].topic, a[1].names, a[1].n, a[1].private, a[2]) == (b[0], b[1].topic, b[1].names, b[1].n, b[1].private, b[2])
    assert seen["old"][:2] == seen["new"][:2] and seen["old"][3] == seen["new"][3]


def test_the_idf_read_for_some_words_is_the_whole_idf_to_the_bit(tmp_path: Path) -> None:
    """``corpus_state.KeptIdf`` (what placing with the kept index reads) gives each word the value the
    whole idf and level-2 counts give it, the same largest value, and the default for a word never counted."""
    wiretrace.run([_write(tmp_path / "in" / "a.jsonl", _bbc(15))], CONFIG, tmp_path / "store")
    store = st.Store(tmp_path / "store")
    try:
        for whole, lazy in ((cs.idf(store.db), cs.kept_idf(store.db)), (cs.level2_counts(store.db), cs.kept_level2_counts(store.db))):
            assert len(whole) > 1000 and len(lazy) == len(whole)
            assert lazy.top == max(whole.values())
            words = sorted(whole)
            lazy.fetch(words[::2])  # half read at once, the rest one by one
            assert {w: lazy.get(w) for w in words} == whole and all(lazy[w] == whole[w] for w in words[:50])
            assert lazy.get("no-such-word", 7.5) == 7.5 and "no-such-word" not in lazy
            assert set(lazy) == set(whole)
            # A story index bound to either reads the same defaults and corpus size.
            a, b = StoryIndex(whole, CONFIG.stories, whole), StoryIndex(lazy, CONFIG.stories, lazy)
            assert (a.default_idf, a.default_count, a.n_docs, a.banal_cut) == (b.default_idf, b.default_count, b.n_docs, b.banal_cut)
            assert a.n_docs == corpus_size(whole) and a.default_idf == max(whole.values())
    finally:
        store.close()


def _kept_rows(store: st.Store) -> list[list[tuple]]:
    """The kept index, the assignment and the traced stories, row by row."""
    return [store.db.execute(sql).fetchall() for sql in (
        "SELECT * FROM story_profiles ORDER BY id", "SELECT * FROM story_postings ORDER BY key, story",
        "SELECT * FROM assignments ORDER BY doc_id", "SELECT * FROM stories ORDER BY id")]


def test_stories_kept_between_runs_place_as_stories_read_afresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One store kept open over several runs (its ``story_cache`` carried from run to run, as a service
    keeps it) writes the same rows as the same runs each on a store opened afresh, with documents placed
    again between two runs (their stories profiled again: ``story_state.refresh`` brings the cache along)."""
    monkeypatch.setattr(story_state, "GROWTH", 1.0)
    recs = _bbc(50)
    wiretrace.run([_write(tmp_path / "in0" / "a.jsonl", recs[:60])], CONFIG, tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    kept = st.Store(tmp_path / "a")
    try:
        for n, batch in enumerate([recs[60:75], recs[75:90], recs[90:100]], 1):
            inbox = _write(tmp_path / f"in{n}" / "b.jsonl", batch)
            again = []
            if n == 2:  # the last member of the largest story and a story of one, placed again
                members = _members(kept)
                again = [max(members.values(), key=len)[-1], next(m[0] for m in members.values() if len(m) == 1)]
                cs.unplace(kept.db, again)
            hits = kept.story_cache.hits
            assert _run_batch(kept, inbox)[0]
            if n > 1:
                assert kept.story_cache.hits > hits  # stories read by an earlier run, not read again
            fresh = st.Store(tmp_path / "b")
            try:
                if again:
                    cs.unplace(fresh.db, again)
                assert _run_batch(fresh, inbox)[0]
                assert fresh.story_cache.hits == 0
                assert _kept_rows(fresh) == _kept_rows(kept)
            finally:
                fresh.close()
        assert kept.story_cache.stories and kept.story_cache.holders
        assert_kept_consistent(kept)
    finally:
        kept.close()


def test_the_kept_cache_is_dropped_where_the_tables_changed_otherwise(tmp_path: Path) -> None:
    """What the cache keeps is read again after another connection wrote the tables, or a writer of this
    one was called without the cache."""
    wiretrace.run([_write(tmp_path / "in" / "a.jsonl", _bbc(20))], CONFIG, tmp_path / "store")
    store = st.Store(tmp_path / "store")
    try:
        cache = story_state.KeptCache()
        sids = sorted(story_state.kept_stories(store.db))[:10]
        keys = sorted(story_state.kept_postings(store.db))[:10]
        backing = story_state.StoreBacking(store.db, cache)
        backing.stories_of_ids(sids)
        backing.holders_of(keys)
        assert set(cache.stories) == set(sids) and set(cache.holders) == set(keys)
        again = story_state.StoreBacking(store.db, cache)  # nothing changed: read from the cache
        assert {sid: v[1].n for sid, v in again.stories_of_ids(sids).items()} == {sid: v[1].n for sid, v in backing.stories_of_ids(sids).items()}
        assert cache.hits == 2 * len(sids)
        # Another connection changes a story's row and a key's holders.
        other = sqlite3.connect(store.path)
        head = json.loads(other.execute("SELECT head FROM story_profiles WHERE id = ?", (sids[0],)).fetchone()[0])
        head[1]["c"] += 1
        with other:
            other.execute("UPDATE story_profiles SET head = ? WHERE id = ?", (json.dumps(head), sids[0]))
            other.execute("INSERT INTO story_postings VALUES (?, ?)", (keys[0], "s-ffffffffffff"))
        other.close()
        now = story_state.StoreBacking(store.db, cache)
        assert not cache.stories and not cache.holders
        assert now.stories_of_ids([sids[0]])[sids[0]][1].n == head[1]["c"]
        assert "s-ffffffffffff" in now.holders_of([keys[0]])[keys[0]]
        assert "s-ffffffffffff" in story_state.StoreBacking(store.db, cache).holders_of([keys[0]])[keys[0]]  # kept as read
        # This connection's writer without the cache: a story profiled again from its members.
        story_state.StoreBacking(store.db, cache).stories_of_ids(sids)
        assert cache.stories
        story_state.mark_dirty(store.db, [store.db.execute("SELECT doc_id FROM assignments WHERE story = ?", (sids[0],)).fetchone()[0]])
        story_state.refresh(store.db, StoryIndex(cs.idf(store.db), CONFIG.stories, cs.level2_counts(store.db)),
                            lambda ids: cs.summaries_of(store.db, ids))
        after = story_state.StoreBacking(store.db, cache)
        assert not cache.stories and not cache.holders
        assert after.stories_of_ids([sids[0]])[sids[0]][1].n == head[1]["c"] - 1  # its members' count again
    finally:
        store.close()
