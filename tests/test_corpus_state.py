"""The corpus state kept in the store (``corpus_state``): after runs that add, change and forget documents,
and after a run killed mid-way and resumed, it equals what the corpus-wide steps recompute from every
stored row (the candidate index, idf, common anchors, boilerplate, level 2's summaries)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sqlite3
from pathlib import Path

import pytest
from tests.conftest import bbc_by_category

import wiretrace
from wiretrace.align import AlignConfig
from wiretrace.candidates.lexical import CandidateIndex, candidate_pairs
from wiretrace.clean import BlockIndex, learn_boilerplate
from wiretrace.engine import corpus_state as cs
from wiretrace.engine import store as st
from wiretrace.engine.local import story_summaries
from wiretrace.engine.pipeline import RunConfig
from wiretrace.errors import StoreError
from wiretrace.stages import common_anchors, idf_from_sketches, title_words
from wiretrace.stories import level2_idf, summarize

CONFIG = RunConfig(align=AlignConfig(semantic=False), workers=1)


def _bbc(n: int) -> list[dict]:
    """The first ``n`` BBC articles of each of two categories (same-topic articles: shared names, anchors)."""
    return [r for rs in bbc_by_category(("business", "tech"), n).values() for r in rs]


def _write(path: Path, records: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def assert_state_is_a_recompute(folder: Path) -> None:
    """Every kept structure equals its recompute from every stored row (main's corpus-wide steps)."""
    store = st.Store(folder)
    try:
        db = store.db
        sketches, _ = store.sketches()
        index = CandidateIndex(CONFIG.candidates)
        index.insert_many(sketches.values())
        assert cs.candidate_pairs(db, sketches, CONFIG.candidates) == candidate_pairs(index, list(sketches))
        assert cs.idf(db) == idf_from_sketches(sketches.values())
        kept = cs.common(db, CONFIG.relate, CONFIG.sketch.shingle, CONFIG.sketch.anchor_modulus)
        assert kept == common_anchors(index, CONFIG)
        learned = learn_boilerplate(BlockIndex.from_rows(store.block_rows()), CONFIG.clean)
        assert frozenset(json.loads(store.get_meta("boilerplate") or "[]")) == learned
        assert not db.execute("SELECT COUNT(*) FROM blocks_dirty").fetchone()[0]  # every change learned
        docs, cl = store.documents(list(sketches)), store.cleaned(list(sketches))
        fresh = {i: summarize(i, docs[i].published, sketches[i], title_words(docs[i], cl[i])) for i in sketches}
        assert story_summaries(store) == fresh
        assert cs.level2_counts(db) == level2_idf(fresh.values())
    finally:
        store.close()


def test_kept_state_equals_a_recompute_after_adds_changes_and_forgets(tmp_path: Path) -> None:
    recs = _bbc(70)
    inbox, out = tmp_path / "in", tmp_path / "out"
    # Copies of some articles (under other ids) and a shared footer: the exact, LSH and boilerplate paths.
    footer = "\n\nFollow our business coverage on the BBC website for the latest news every day."
    base = [dict(r, text=r["text"] + footer) if k % 3 == 0 else r for k, r in enumerate(recs[:50] + recs[70:120])]
    copies = [dict(r, id=r["id"] + "-copy") for r in recs[:4]]
    _write(inbox / "a.jsonl", base + copies)
    wiretrace.run([inbox], CONFIG, out)
    assert_state_is_a_recompute(out)
    _write(inbox / "b.jsonl", recs[50:70] + recs[120:140])  # new documents into the store
    wiretrace.run([inbox], CONFIG, out)
    assert_state_is_a_recompute(out)
    changed = [dict(r, text=r["text"] + "\n\nThis article was corrected.") for r in base[:3]] + base[3:]  # 3 texts changed
    _write(inbox / "a.jsonl", changed[:-5])  # and the last five gone: forgotten with --prune
    wiretrace.run([inbox], CONFIG, out, prune=True)
    assert_state_is_a_recompute(out)
    store = st.Store(out)
    try:
        assert len(store.all_ids()) == len(changed) - 5 + 40
        assert set(store.assignments()) == set(store.all_ids())  # every document placed, no forgotten one
        assert {d for s in store.stories() for d in s.documents} == set(store.all_ids())
    finally:
        store.close()


def _killed_run(inbox: Path, out: Path, stage: str) -> None:
    def die(s: str, done: int, total: int) -> None:
        if s == stage and done >= 1:
            os.kill(os.getpid(), signal.SIGKILL)  # no clean-up: as a power cut would leave it

    wiretrace.run([inbox], RunConfig(align=AlignConfig(semantic=False), workers=1, batch=16), out, progress=die)


@pytest.mark.parametrize("stage", ["clean", "sketch", "relate", "stories"])
def test_state_survives_a_killed_run(tmp_path: Path, stage: str) -> None:
    recs = _bbc(40)
    inbox, out = tmp_path / "in", tmp_path / "out"
    _write(inbox / "a.jsonl", recs[:25] + recs[40:65])
    wiretrace.run([inbox], CONFIG, out)
    _write(inbox / "b.jsonl", recs[25:40] + recs[65:80])
    proc = multiprocessing.get_context("spawn").Process(target=_killed_run, args=(inbox, out, stage))
    proc.start()
    proc.join(300)
    assert proc.exitcode == -signal.SIGKILL  # killed mid-stage, in a real process
    wiretrace.run([inbox], CONFIG, out)  # resumed
    assert_state_is_a_recompute(out)
    fresh = tmp_path / "fresh"
    wiretrace.run([inbox / "a.jsonl"], CONFIG, fresh)
    wiretrace.run([inbox], CONFIG, fresh)
    a, b = sqlite3.connect(out / st.STORE_FILE), sqlite3.connect(fresh / st.STORE_FILE)
    try:
        for q in ("SELECT a, b, relation, body FROM pairs ORDER BY a, b", "SELECT doc_id, story FROM assignments ORDER BY doc_id",
                  "SELECT id, body FROM stories ORDER BY id"):
            assert a.execute(q).fetchall() == b.execute(q).fetchall(), q
    finally:
        a.close()
        b.close()


def test_a_schema_3_store_is_upgraded_and_an_older_one_named(tmp_path: Path) -> None:
    recs = _bbc(20)
    inbox, out = tmp_path / "in", tmp_path / "out"
    _write(inbox / "a.jsonl", recs)
    wiretrace.run([inbox], CONFIG, out)
    db = sqlite3.connect(out / st.STORE_FILE)  # as schema 3 left it: no corpus state
    with db:
        for t in ("cand_keys", "cand_names", "topic_df", "anchor_bodies", "summaries", "blocks_dirty"):
            db.execute(f"DROP TABLE {t}")
        db.execute("DELETE FROM meta WHERE key IN ('boilerplate_settings', 'cand_bands')")
        db.execute("UPDATE meta SET value = '3' WHERE key = 'schema'")
    db.close()
    assert_state_is_a_recompute(out)  # opened: upgraded, the tables filled from the stored sketches
    _write(inbox / "b.jsonl", _bbc(30)[20:30])
    wiretrace.run([inbox], CONFIG, out)
    assert_state_is_a_recompute(out)
    db = sqlite3.connect(out / st.STORE_FILE)
    with db:
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
    db.close()
    with pytest.raises(StoreError, match="schema 2.*use a new --out folder"):
        st.Store(out)


def test_kept_static_vectors_equal_fresh_ones_and_follow_a_changed_text(tmp_path: Path) -> None:
    from wiretrace.candidates.neighbours import body_text
    from wiretrace.engine.local import doc_vectors, static_embedder

    recs = _bbc(12)
    inbox, out = tmp_path / "in", tmp_path / "out"
    _write(inbox / "a.jsonl", recs)
    wiretrace.run([inbox], CONFIG, out)

    def fresh(store: st.Store) -> dict:
        ids = store.all_ids()
        docs, cl = store.documents(ids), store.cleaned(ids)
        return dict(zip(ids, static_embedder().embed([body_text(docs[i], cl[i]) for i in ids]), strict=True))

    for _ in range(2):  # made and kept, then read back
        store = st.Store(out)
        try:
            kept, want = doc_vectors(store, CONFIG, static_embedder()), fresh(store)
            assert list(kept) == list(want) and all((kept[i] == want[i]).all() for i in want)
        finally:
            store.close()
    _write(inbox / "a.jsonl", [dict(recs[0], text=recs[0]["text"] + "\n\nShares in the firm fell sharply on Friday.")] + recs[1:])
    wiretrace.run([inbox], CONFIG, out)
    store = st.Store(out)
    try:
        kept, want = doc_vectors(store, CONFIG, static_embedder()), fresh(store)
        assert all((kept[i] == want[i]).all() for i in want)
    finally:
        store.close()


def _pair(folder: Path, a: str, b: str) -> tuple[str | None, bool]:
    db = sqlite3.connect(folder / st.STORE_FILE)
    try:
        row = db.execute("SELECT relation FROM pairs WHERE a = ? AND b = ?", (min(a, b), max(a, b))).fetchone()
        story = dict(db.execute("SELECT doc_id, story FROM assignments WHERE doc_id IN (?, ?)", (a, b)).fetchall())
    finally:
        db.close()
    return (row[0] if row else None, story[a] == story[b])


def _inside(text: str, passage: str) -> str:
    """``text`` with ``passage`` added at the end of its second paragraph."""
    paras = text.split("\n")
    k = [i for i, p in enumerate(paras) if p.strip()][1]
    paras[k] = paras[k] + " " + passage
    return "\n".join(paras)


def test_pairs_are_decided_again_when_their_shared_passage_becomes_common(tmp_path: Path) -> None:
    """Two articles about other things share one background passage (inside a paragraph of each, so not a
    block that boilerplate learning would catch): related while it is theirs alone. Once a dozen other
    articles carry it too, its anchors are common and the stored pair is decided again, as a run over every document at once decides it (and the two are placed again)."""
    recs = _bbc(40)
    shared = max((p for r in recs[60:] for p in r["text"].split("\n") if len(p.split()) < 90), key=lambda p: len(p.split()))
    carry = [dict(r, text=_inside(r["text"], shared)) for r in recs]
    a, b = carry[0], carry[40]  # a business and a tech article, both with the paragraph
    inbox, out, fresh = tmp_path / "in", tmp_path / "out", tmp_path / "fresh"
    _write(inbox / "a.jsonl", [a, b] + recs[1:20])
    wiretrace.run([inbox], CONFIG, out)
    before = _pair(out, a["id"], b["id"])
    assert before[0] is not None, before  # related through the paragraph
    _write(inbox / "b.jsonl", carry[20:26] + carry[46:52])  # twelve more articles carry it
    wiretrace.run([inbox], CONFIG, out)
    assert_state_is_a_recompute(out)
    wiretrace.run([inbox], CONFIG, fresh)  # every document at once
    after, once = _pair(out, a["id"], b["id"]), _pair(fresh, a["id"], b["id"])
    assert after == once, (before, after, once)  # the relation and the stories: as if run at once
    assert after[0] != before[0], (before, after)
