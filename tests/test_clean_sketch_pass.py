"""The local engine cleans and sketches each batch in one worker call (``clean_pending(sketch=True)``):
the store must end up holding what the clean stage and then the sketch stage, run one after the other,
store: the same cleaning, sketches, cues and kept candidate index, on real BBC News articles, with one
worker and with two, and whether the sketches are stored a batch at a time or all in one transaction
(``SKETCH_WRITE``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import bbc_with_copies

from wiretrace.engine import local as engine
from wiretrace.engine import store as st
from wiretrace.engine.executor import LocalExecutor
from wiretrace.engine.pipeline import RunConfig, Stats, ingest_into

TABLES = {
    "cleaned": "SELECT doc_id, segments FROM cleaned ORDER BY doc_id",
    "sketches": "SELECT * FROM sketches ORDER BY doc_id",
    "cand_keys": "SELECT kind, key, doc_id FROM cand_keys ORDER BY kind, key, doc_id",
    "cand_names": "SELECT name, doc_id FROM cand_names ORDER BY name, doc_id",
    "anchor_bodies": "SELECT anchor, bodies FROM anchor_bodies ORDER BY anchor",
    "topic_df": "SELECT word, df FROM topic_df ORDER BY word",
    "summaries": "SELECT doc_id, body FROM summaries ORDER BY doc_id",  # made with the sketches, in the workers
    "summary_df": "SELECT word, df FROM summary_df ORDER BY word",
    "stages": "SELECT id, stage FROM documents ORDER BY id",
}


def _input(tmp: Path) -> Path:
    return bbc_with_copies(tmp / "bbc.jsonl", ("business", "politics", "tech"), 25)


def _tables(folder: Path) -> dict[str, list[tuple]]:
    db = sqlite3.connect(folder / "wiretrace.sqlite")
    try:
        return {name: db.execute(sql).fetchall() for name, sql in TABLES.items()}
    finally:
        db.close()


def _through_sketch(src: Path, out: Path, fused: bool, workers: int) -> Stats:
    config = RunConfig(workers=workers, batch=8)
    stats = Stats()
    store = st.Store(out)
    try:
        ingest_into(store, [src], config, engine.quiet, stats)
        with LocalExecutor(workers) as ex:
            boiler = engine.learn(store, config, stats)
            cpu = engine.clean_pending(store, boiler, config, engine.quiet, stats, ex, sketch=fused)
            assert (cpu > 0) == fused
            left = store.ids_at_stage(st.CLEANED)
            assert (not left) if fused else len(left) == stats.cleaned
            engine.sketch_pending(store, config, engine.quiet, stats, ex)
    finally:
        store.close()
    return stats


@pytest.mark.parametrize("workers", [1, 2])
def test_cleaning_and_sketching_in_one_pass_store_what_two_stages_store(
    tmp_path: Path, workers: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    src = _input(tmp_path)
    # The two stages store each batch's sketches in its own transaction (as before ``SKETCH_WRITE``);
    # the one pass stores them all in one: the kept index must not depend on it.
    with monkeypatch.context() as m:
        m.setattr(engine, "SKETCH_WRITE", 1)
        apart = _through_sketch(src, tmp_path / "apart", fused=False, workers=workers)
    one = _through_sketch(src, tmp_path / "one", fused=True, workers=workers)
    assert apart.cleaned == one.cleaned == apart.sketched == one.sketched == 150
    a, b = _tables(tmp_path / "apart"), _tables(tmp_path / "one")
    for name in TABLES:
        assert a[name] == b[name], f"{name} differs between one pass and two stages ({workers} workers)"
    assert len(a["cand_keys"]) > 1000 and len(a["cand_names"]) > 100
    assert len(a["summaries"]) == 150 and len(a["summary_df"]) > 1000
    assert {s for _, s in b["stages"]} == {st.SKETCHED}


def test_key_rows_sorted_by_numpy_are_the_rows_sorted_by_python(tmp_path: Path) -> None:
    """``corpus_state._key_rows`` orders the kept index's rows as ``sorted`` over the tuples did."""
    from wiretrace.candidates.lexical import band_matrix
    from wiretrace.engine import corpus_state as cs

    src = _input(tmp_path)
    _through_sketch(src, tmp_path / "s", fused=True, workers=1)
    store = st.Store(tmp_path / "s")
    try:
        sketches = list(store.sketches()[0].values())[::-1]  # not in id order
    finally:
        store.close()
    bands = 32
    keys = band_matrix(np.stack([sk.minhash for sk in sketches]), bands)
    plain = sorted((cs.BAND, k, sk.doc_id) for sk, row in zip(sketches, keys, strict=True) for k in cs._signed(row))
    plain += sorted((cs.ANCHOR, a, sk.doc_id) for sk in sketches for a in cs._signed(sk.anchors))
    owner = np.repeat(np.arange(len(sketches)), bands)
    rows = cs._key_rows(cs.BAND, keys.reshape(-1), owner, sketches)
    rows += cs._key_rows(cs.ANCHOR, np.concatenate([sk.anchors for sk in sketches]),
                         np.repeat(np.arange(len(sketches)), [len(sk.anchors) for sk in sketches]), sketches)
    assert rows == plain and len(rows) > 5000
    assert any(k < 0 for _, k, _ in rows)  # signed keys: the order SQLite's integers have


@pytest.mark.parametrize("workers", [1, 2])
def test_the_first_runs_candidate_index_made_in_the_pass_is_the_one_read_after(
    tmp_path: Path, workers: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A first run's clean+sketch pass leaves the candidate index (``_FirstIndex``) the candidates stage
    built from every stored sketch: the same sketches and cues as read back, the same postings in the
    same order, the same candidate pairs; with small writes too (``SKETCH_WRITE``)."""
    from wiretrace.candidates.lexical import CandidateIndex, candidate_pairs

    src = _input(tmp_path)
    monkeypatch.setattr(engine, "SKETCH_WRITE", 20)
    config = RunConfig(workers=workers, batch=8)
    stats = Stats()
    store = st.Store(tmp_path / "s")
    try:
        ingest_into(store, [src], config, engine.quiet, stats)
        with LocalExecutor(workers) as ex:
            engine.clean_pending(store, engine.learn(store, config, stats), config, engine.quiet, stats, ex, sketch=True)
        first = engine._FIRST[store]
        assert first.holds(store, config)
        sketches, cues = store.sketches()
        assert list(first.sketches) == list(sketches) and len(sketches) == 150
        for i, sk in sketches.items():
            got = first.sketches[i]
            assert (got.doc_id, got.body_hash, got.n_words, got.names, got.topic) == (sk.doc_id, sk.body_hash, sk.n_words, sk.names, sk.topic)
            assert np.array_equal(got.minhash, sk.minhash) and got.minhash.dtype == sk.minhash.dtype
            assert np.array_equal(got.anchors, sk.anchors) and got.anchors.dtype == sk.anchors.dtype
            assert [type(x) for x in got.topic] == [type(x) for x in sk.topic]
            assert first.cues[i] == cues[i]
        read = CandidateIndex(config.candidates)
        read.insert_many(sketches.values())
        for field in ("by_hash", "by_band", "by_anchor", "by_name", "bands_of"):
            assert dict(getattr(first.index, field)) == dict(getattr(read, field)), field
        ids = store.all_ids()
        assert candidate_pairs(first.index, ids) == candidate_pairs(read, ids)
        # A sketch stored since (here: one more row) and the index is not taken.
        store.db.execute("DELETE FROM sketches WHERE doc_id = ?", (ids[0],))
        assert not first.holds(store, config)
    finally:
        store.close()
