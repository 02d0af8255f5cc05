"""The corpus state kept in the store: what the corpus-wide steps read, updated as documents come and go.

An incremental run (new files into a store, a POST to the service) used to rebuild every corpus-wide
structure from every stored row. These tables keep them instead, written in the same transaction as
the sketches and blocks they derive from, so that a run killed at any point leaves them consistent:

* ``cand_keys`` / ``cand_names`` (and the index on ``sketches.body_hash``): the candidate index
  (``candidates.CandidateIndex``) as tables keyed by band key, anchor, name and body hash, queried
  for the new documents only (``candidate_pairs``: the same pairs as ``CandidateIndex.query``);
* ``topic_df``: the document frequency of each content word (``Sketch.topic``), from which the idf
  over the current corpus size is derived (``idf``: the same as ``stages.idf_from_sketches``);
* ``anchor_bodies``: the distinct bodies holding each anchor (``common``: the same as
  ``stages.common_anchors``, at the current corpus size's cut);
* ``blocks_dirty``: the block keys whose boilerplate verdict may have changed since it was last
  learned (``boilerplate``: the same as ``clean.learn_boilerplate`` over every stored block);
* ``doc_vectors``: each document's static body vector (the embedding candidate path, semantic runs),
  kept until its document is cleaned or sketched again;
* ``common_seen``: the anchors that were common when the stored pairs were last decided: where an
  anchor has since become common (or stopped being), the stored pairs of documents holding it are
  decided again (``pairs_to_redecide``), so a passage that became stock phrasing as the store grew
  stops counting as reuse; ``unplaced``: documents whose pairs changed relation that way, placed in
  stories again by the next placing (``unplace``, ``take_unplaced``);
* ``summaries``: what level 2 of the stories reads of each sketched document (``stories.summarize``),
  kept until its document is cleaned or sketched again; ``summary_df``: how many summaries hold each
  word or name (``level2_counts``: the same as ``stories.level2_idf`` over them).

Counts, not derived values, are kept wherever a value depends on the corpus size (idf, the common
anchors' cut, name weights): they are derived at the size of the moment, as a full recompute would.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from wiretrace.candidates.lexical import CandidateConfig, anchored_alike, band_matrix, named_alike
from wiretrace.clean import WHOLE, BlockIndex, CleanConfig, learn_boilerplate, unexplained_repeat
from wiretrace.model import Cleaned, Document
from wiretrace.relate.pair import Common, RelateConfig, common_cut
from wiretrace.sketch import Sketch
from wiretrace.stages import idf_from_counts, title_words
from wiretrace.stories import DocSummary, level2_keys, summarize

BAND, ANCHOR = 0, 1
DEFAULT_BANDS = CandidateConfig().bands
_U64 = (1 << 64) - 1
FULL_RELEARN = 50_000  # dirty block keys above which boilerplate is learned again from every row (same answer)


def _signed(a: np.ndarray) -> list[int]:
    """uint64 keys as SQLite's signed 64-bit integers (the same bits)."""
    return np.ascontiguousarray(a, dtype=np.uint64).view(np.int64).tolist()


def _sketch_row(row: tuple) -> Sketch:
    i, h, n, mh, an, names, topic = row[:7]
    return Sketch(i, h, n, np.frombuffer(mh, dtype=np.uint32), np.frombuffer(an, dtype=np.uint64),
                  frozenset(json.loads(names)), json.loads(topic))


def bands_of(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = 'cand_bands'").fetchone()
    return DEFAULT_BANDS if row is None else int(row[0])


# --- upkeep: called by the store inside its transactions --------------------------------------
def index_sketches(db: sqlite3.Connection, sketches: Sequence[Sketch]) -> None:
    """Add sketches (not yet in the ``sketches`` table, nor indexed) to the corpus state."""
    if not sketches:
        return
    bands = bands_of(db)
    with_words = [i for i, sk in enumerate(sketches) if sk.n_words]
    keys = (band_matrix(np.stack([sketches[i].minhash for i in with_words]), bands) if with_words
            else np.zeros((0, bands), np.uint64))
    names: list[tuple[str, str]] = []
    fresh_all: list[np.ndarray] = []
    seen: dict[str, list[np.ndarray]] = defaultdict(list)  # body hash -> anchors of this batch's sketches
    df: dict[str, int] = defaultdict(int)
    for sk in sketches:
        names += [(n, sk.doc_id) for n in sk.names]
        for w in sk.topic:
            df[w] += 1
        # An anchor counts a body once: not again for a document whose body an indexed one has.
        held = _same_body_anchors(db, sk.body_hash, sk.doc_id) + seen[sk.body_hash]
        fresh_all.append(np.setdiff1d(sk.anchors, np.concatenate(held)) if held else sk.anchors)
        seen[sk.body_hash].append(sk.anchors)
    anchors = [sk.anchors for sk in sketches]
    rows = _key_rows(BAND, keys.reshape(-1), np.repeat(np.array(with_words, dtype=np.int64), bands), sketches)
    rows += _key_rows(ANCHOR, np.concatenate(anchors) if anchors else np.zeros(0, np.uint64),
                      np.repeat(np.arange(len(sketches)), [len(a) for a in anchors]), sketches)
    bodies = np.sort(np.ascontiguousarray(np.concatenate(fresh_all), dtype=np.uint64).view(np.int64))
    db.executemany("INSERT OR IGNORE INTO cand_keys VALUES (?, ?, ?)", rows)
    db.executemany("INSERT OR IGNORE INTO cand_names VALUES (?, ?)", sorted(names))
    db.executemany("INSERT INTO anchor_bodies VALUES (?, 1) ON CONFLICT(anchor) DO UPDATE SET bodies = bodies + 1",
                   [(a,) for a in bodies.tolist()])
    db.executemany("INSERT INTO topic_df VALUES (?, ?) ON CONFLICT(word) DO UPDATE SET df = df + excluded.df", sorted(df.items()))


def _key_rows(kind: int, keys: np.ndarray, owner: np.ndarray, sketches: Sequence[Sketch]) -> list[tuple[int, int, str]]:
    """``(kind, key, doc id)`` rows of uint64 ``keys`` held by ``sketches[owner[i]]``, in the order of
    ``sorted`` over the tuples (key as SQLite's signed integer, then doc id), sorted by numpy: the
    rows enter the table's B-tree in key order."""
    if not len(keys):
        return []
    signed = np.ascontiguousarray(keys, dtype=np.uint64).view(np.int64)
    ids = [sk.doc_id for sk in sketches]
    rank = np.empty(len(ids), dtype=np.int64)
    rank[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
    order = np.lexsort((rank[owner], signed))
    return list(zip([kind] * len(order), signed[order].tolist(), [ids[j] for j in owner[order].tolist()], strict=True))


def _same_body_anchors(db: sqlite3.Connection, body_hash: str, doc_id: str) -> list[np.ndarray]:
    rows = db.execute("SELECT anchors FROM sketches WHERE body_hash = ? AND doc_id != ?", (body_hash, doc_id))
    return [np.frombuffer(r[0], dtype=np.uint64) for r in rows]


def unindex(db: sqlite3.Connection, ids: Iterable[str]) -> None:
    """Remove documents' sketches from the corpus state and delete their sketch rows and summaries."""
    bands = bands_of(db)
    ids = list(ids)
    _uncount_summaries(db, ids)
    for i in ids:
        row = db.execute("SELECT * FROM sketches WHERE doc_id = ?", (i,)).fetchone()
        db.execute("DELETE FROM summaries WHERE doc_id = ?", (i,))
        db.execute("DELETE FROM doc_vectors WHERE doc_id = ?", (i,))
        if row is None:
            continue
        sk = _sketch_row(row)
        db.execute("DELETE FROM sketches WHERE doc_id = ?", (i,))
        if sk.n_words:
            db.executemany("DELETE FROM cand_keys WHERE kind = ? AND key = ? AND doc_id = ?",
                           [(BAND, k, i) for k in _signed(band_matrix(sk.minhash[None, :], bands)[0])])
        db.executemany("DELETE FROM cand_keys WHERE kind = ? AND key = ? AND doc_id = ?", [(ANCHOR, a, i) for a in _signed(sk.anchors)])
        db.executemany("DELETE FROM cand_names WHERE name = ? AND doc_id = ?", [(n, i) for n in sk.names])
        db.executemany("UPDATE topic_df SET df = df - 1 WHERE word = ?", [(w,) for w in sorted(sk.topic)])
        db.execute("DELETE FROM topic_df WHERE df <= 0")
        held = _same_body_anchors(db, sk.body_hash, i)
        gone = np.setdiff1d(sk.anchors, np.concatenate(held)) if held else sk.anchors
        db.executemany("UPDATE anchor_bodies SET bodies = bodies - 1 WHERE anchor = ?", [(a,) for a in _signed(gone)])
        db.execute("DELETE FROM anchor_bodies WHERE bodies <= 0")


def mark_blocks(db: sqlite3.Connection, keys: Iterable[str], long_changed: Iterable[str] = ()) -> None:
    """Block keys whose holders changed (and those whose 'long' status changed): learned again next time."""
    rows = [(k, 0) for k in keys] + [(k, 1) for k in long_changed]
    db.executemany("INSERT INTO blocks_dirty VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                   "long_changed = MAX(long_changed, excluded.long_changed)", rows)


def is_long(db: sqlite3.Connection, key: str) -> bool:
    return db.execute("SELECT 1 FROM blocks WHERE key = ? AND long = 1 LIMIT 1", (key,)).fetchone() is not None


def held(db: sqlite3.Connection, key: str) -> bool:
    return db.execute("SELECT 1 FROM blocks WHERE key = ? LIMIT 1", (key,)).fetchone() is not None


# --- reads: what the corpus-wide steps need, for the new documents -------------------------------
def n_sketched(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT COUNT(*) FROM sketches").fetchone()[0])


def idf(db: sqlite3.Connection) -> dict[str, float]:
    """The smoothed idf over every sketched document (``stages.idf_from_sketches``), from the kept counts."""
    return idf_from_counts(dict(db.execute("SELECT word, df FROM topic_df")), n_sketched(db))


class KeptIdf(Mapping[str, float]):
    """``idf`` (over ``topic_df``) or ``level2_counts`` (over ``summary_df``) read for the words asked
    (``fetch`` many at once, else one by one), not the whole vocabulary: what placing a batch with the kept
    story index reads, whose words are the batch's. Each value is ``idf_from_counts``' for that word, to the
    bit; ``top`` is the largest value (the rarest word's), what ``max(values())`` gives."""

    def __init__(self, db: sqlite3.Connection, table: str, n: int) -> None:
        assert table in ("topic_df", "summary_df"), table
        self.db, self.table, self.n = db, table, n
        self.got: dict[str, float | None] = {}  # word -> its value (None: not counted)
        self.size = int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        least = db.execute(f"SELECT MIN(df) FROM {table}").fetchone()[0]
        # The smoothed idf falls as df grows: the largest value is the least df's, computed as
        # ``idf_from_counts`` computes every value.
        self.top: float | None = None if least is None else idf_from_counts({"": least}, n)[""]

    def fetch(self, words: Iterable[str]) -> None:
        todo = sorted({w for w in words if w not in self.got})
        for i in range(0, len(todo), 500):
            chunk = todo[i : i + 500]
            self.got.update(dict.fromkeys(chunk))
            self.got.update(idf_from_counts(dict(self.db.execute(
                f"SELECT word, df FROM {self.table} WHERE word IN ({','.join('?' * len(chunk))})", chunk)), self.n))

    def get(self, word: str, default: Any = None) -> Any:
        if word not in self.got:
            self.fetch([word])
        v = self.got[word]
        return default if v is None else v

    def __getitem__(self, word: str) -> float:
        v = self.get(word)
        if v is None:
            raise KeyError(word)
        return float(v)

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.get(word) is not None

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[str]:
        return (r[0] for r in self.db.execute(f"SELECT word FROM {self.table} ORDER BY word").fetchall())


def kept_idf(db: sqlite3.Connection) -> KeptIdf:
    """``idf`` read lazily (``KeptIdf``)."""
    return KeptIdf(db, "topic_df", n_sketched(db))


def kept_level2_counts(db: sqlite3.Connection) -> KeptIdf:
    """``level2_counts`` read lazily (``KeptIdf``; the counts kept already: ``level2_counts`` makes them)."""
    level2_counts_ready(db)
    return KeptIdf(db, "summary_df", int(db.execute("SELECT COUNT(*) FROM summaries").fetchone()[0]))


def common(db: sqlite3.Connection, config: RelateConfig, shingle: int, modulus: int) -> Common:
    """The anchors common to many distinct bodies (``stages.common_anchors``) at the current corpus size."""
    cut = common_cut(n_sketched(db), config)
    rows = db.execute("SELECT anchor, bodies FROM anchor_bodies WHERE bodies >= ?", (cut,))
    return Common({a & _U64: n for a, n in rows}, cut, shingle, modulus)


class _Lookup:
    """Holders of index keys, at most ``limit + 1`` each (more says only 'too many'), read once per call."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.cache: dict[tuple[int, object], list[str]] = {}

    def key(self, kind: int, key: int, limit: int) -> list[str]:
        got = self.cache.get((kind, key))
        if got is None:
            got = [r[0] for r in self.db.execute("SELECT doc_id FROM cand_keys WHERE kind = ? AND key = ? LIMIT ?", (kind, key, limit + 1))]
            self.cache[(kind, key)] = got
        return got

    def name(self, name: str, limit: int) -> list[str]:
        got = self.cache.get((2, name))
        if got is None:
            got = [r[0] for r in self.db.execute("SELECT doc_id FROM cand_names WHERE name = ? LIMIT ?", (name, limit + 1))]
            self.cache[(2, name)] = got
        return got

    def body(self, body_hash: str) -> list[str]:
        got = self.cache.get((3, body_hash))
        if got is None:
            got = [r[0] for r in self.db.execute("SELECT doc_id FROM sketches WHERE body_hash = ? AND n_words > 0", (body_hash,))]
            self.cache[(3, body_hash)] = got
        return got


def candidate_pairs(db: sqlite3.Connection, sketches: Mapping[str, Sketch], cfg: CandidateConfig) -> dict[tuple[str, str], set[str]]:
    """Candidate pairs touching the documents of ``sketches`` (indexed already), keyed ``(min id, max id)``:
    the pairs ``CandidateIndex.query`` gives over every stored sketch, read from the kept tables."""
    if cfg.bands != bands_of(db):
        raise ValueError(f"corpus state: band keys kept for {bands_of(db)} bands, asked for {cfg.bands}; call rebuild_bands")
    look = _Lookup(db)
    n_docs = max(n_sketched(db), 2)
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for d, sk in sketches.items():
        found: dict[str, set[str]] = defaultdict(set)
        if sk.n_words:
            for other in look.body(sk.body_hash):
                found[other].add("exact")
            for key in _signed(band_matrix(sk.minhash[None, :], cfg.bands)[0]):
                docs = look.key(BAND, key, cfg.max_key_docs * 4)
                if len(docs) <= cfg.max_key_docs * 4:
                    for other in docs:
                        found[other].add("lsh")
        for other in anchored_alike(_signed(sk.anchors), lambda a: look.key(ANCHOR, a, cfg.max_key_docs), cfg):
            found[other].add("anchors")
        for other in named_alike(sk.names, lambda n: look.name(n, cfg.max_key_docs), n_docs, cfg):
            found[other].add("names")
        found.pop(d, None)
        for other, why in found.items():
            out[(d, other) if d < other else (other, d)] |= why
    return out


def rebuild_bands(db: sqlite3.Connection, bands: int) -> None:
    """Band keys for another number of bands (a changed ``CandidateConfig.bands``), from every sketch."""
    with db:
        db.execute("DELETE FROM cand_keys WHERE kind = ?", (BAND,))
        db.execute("INSERT OR REPLACE INTO meta VALUES ('cand_bands', ?)", (str(bands),))
        rows = db.execute("SELECT doc_id, minhash FROM sketches WHERE n_words > 0 ORDER BY doc_id").fetchall()
        for n in range(0, len(rows), 2000):
            chunk = rows[n : n + 2000]
            keys = band_matrix(np.stack([np.frombuffer(m, dtype=np.uint32) for _, m in chunk]), bands)
            db.executemany("INSERT OR IGNORE INTO cand_keys VALUES (?, ?, ?)",
                           [(BAND, k, i) for (i, _), row in zip(chunk, keys, strict=True) for k in _signed(row)])


# --- boilerplate --------------------------------------------------------------------------------
def boilerplate(db: sqlite3.Connection, config: CleanConfig, before: frozenset[str]) -> frozenset[str]:
    """Corpus boilerplate over every stored block (``clean.learn_boilerplate``): learned again only for
    the block keys whose holders changed since ``before`` was learned (and the keys of the documents
    holding a key whose 'long' status changed); from every row when nothing was learned with these
    settings yet. Call ``boilerplate_learned`` once ``before`` is replaced by the answer."""
    settings = json.dumps([config.boilerplate_min_docs, config.syndication_shared_blocks, config.near_copy_blocks, config.near_copy_share])
    dirty = db.execute("SELECT key, long_changed FROM blocks_dirty").fetchall()
    learned = db.execute("SELECT value FROM meta WHERE key = 'boilerplate_settings'").fetchone()
    if learned is None or learned[0] != settings or len(dirty) > FULL_RELEARN:
        return learn_boilerplate(BlockIndex.from_rows(db.execute("SELECT key, doc_id, long FROM blocks")), config)
    if not dirty:
        return before
    keys = {k for k, _ in dirty}
    for k, changed in dirty:
        if changed:
            holders = [r[0] for r in db.execute("SELECT doc_id FROM blocks WHERE key = ?", (k,))]
            for h in holders:
                keys.update(r[0] for r in db.execute("SELECT key FROM blocks WHERE doc_id = ?", (h,)))
    blocks_of: dict[str, frozenset[str]] = {}
    long: dict[str, bool] = {}

    def blocks(doc: str) -> frozenset[str]:
        if doc not in blocks_of:
            blocks_of[doc] = frozenset(r[0] for r in db.execute("SELECT key FROM blocks WHERE doc_id = ?", (doc,)))
        return blocks_of[doc]

    def is_long_key(k: str) -> bool:
        if k not in long:
            long[k] = is_long(db, k)
        return long[k]

    out = set(before - keys)
    for key in sorted(keys):
        if key.startswith(WHOLE):
            continue
        n = db.execute("SELECT COUNT(*) FROM blocks WHERE key = ?", (key,)).fetchone()[0]
        if n < config.boilerplate_min_docs:
            continue
        ids = [r[0] for r in db.execute("SELECT doc_id FROM blocks WHERE key = ? ORDER BY doc_id LIMIT 12", (key,))]
        if unexplained_repeat(key, ids, lambda d: frozenset(k for k in blocks(d) if is_long_key(k)), config, blocks):
            out.add(key)
    return frozenset(out)


def boilerplate_learned(db: sqlite3.Connection, config: CleanConfig, boiler: frozenset[str]) -> None:
    """Record ``boiler`` as learned over the blocks stored now (in one transaction with the clean slate)."""
    settings = json.dumps([config.boilerplate_min_docs, config.syndication_shared_blocks, config.near_copy_blocks, config.near_copy_share])
    with db:
        db.execute("INSERT OR REPLACE INTO meta VALUES ('boilerplate', ?)", (json.dumps(sorted(boiler)),))
        db.execute("INSERT OR REPLACE INTO meta VALUES ('boilerplate_settings', ?)", (settings,))
        db.execute("DELETE FROM blocks_dirty")


# --- pairs decided with other common passages --------------------------------------------------
def _signed_int(a: int) -> int:
    return a - (1 << 64) if a >= 1 << 63 else a


def pairs_to_redecide(db: sqlite3.Connection, common: Common, new: Iterable[str]) -> tuple[set[tuple[str, str]], CommonChange]:
    """Stored pairs (of documents other than ``new``) to decide again because an anchor they both hold
    became common since they were decided, or stopped being common (the cut grows with the corpus);
    and the change to record once they are (``common_decided``). A store whose pairs predate the
    record starts it now, without deciding again."""
    now = {_signed_int(a) for a in common.anchors}
    if db.execute("SELECT value FROM meta WHERE key = 'common_seen'").fetchone() is None:
        return set(), CommonChange(frozenset(now), frozenset(), start=True)
    seen = {r[0] for r in db.execute("SELECT anchor FROM common_seen")}
    fresh = set(new)
    out: set[tuple[str, str]] = set()
    for anchor in sorted(now ^ seen):
        holders = {r[0] for r in db.execute("SELECT doc_id FROM cand_keys WHERE kind = ? AND key = ?", (ANCHOR, anchor))} - fresh
        for h in sorted(holders):
            out.update((h, b) for (b,) in db.execute("SELECT b FROM pairs WHERE a = ?", (h,)) if b in holders)
    return out, CommonChange(frozenset(now - seen), frozenset(seen - now))


@dataclass(frozen=True, slots=True)
class CommonChange:
    """Anchors that became common and stopped being since the stored pairs were decided."""

    added: frozenset[int]
    removed: frozenset[int]
    start: bool = False  # the record starts now (``added`` is every common anchor)


def common_decided(db: sqlite3.Connection, change: CommonChange) -> None:
    """Record that every stored pair is now decided with the common anchors of the moment."""
    with db:
        if change.start:
            db.execute("DELETE FROM common_seen")
        db.executemany("DELETE FROM common_seen WHERE anchor = ?", [(a,) for a in sorted(change.removed)])
        db.executemany("INSERT OR IGNORE INTO common_seen VALUES (?)", [(a,) for a in sorted(change.added)])
        db.execute("INSERT OR REPLACE INTO meta VALUES ('common_seen', '1')")


def unplace(db: sqlite3.Connection, ids: Iterable[str]) -> None:
    """Documents to place in stories again (a pair of theirs changed relation)."""
    with db:
        db.executemany("INSERT OR IGNORE INTO unplaced VALUES (?)", [(i,) for i in sorted(set(ids))])


def take_unplaced(db: sqlite3.Connection, prior: Mapping[str, str]) -> dict[str, str]:
    """``prior`` less the documents to place again (cleared once the new assignment is written)."""
    gone = {r[0] for r in db.execute("SELECT doc_id FROM unplaced")}
    return {d: s for d, s in prior.items() if d not in gone}


def unplaced_ids(db: sqlite3.Connection) -> list[str]:
    """The documents to place again (``unplace``), sorted."""
    return [r[0] for r in db.execute("SELECT doc_id FROM unplaced ORDER BY doc_id")]


def placed(db: sqlite3.Connection) -> None:
    """The documents to place again were placed (in the transaction that writes the assignment)."""
    db.execute("DELETE FROM unplaced")


# --- level 2's summaries ------------------------------------------------------------------------
def summaries(db: sqlite3.Connection) -> dict[str, DocSummary]:
    """The kept summaries of every sketched document that has one."""
    return {i: _summary(i, body) for i, body in db.execute("SELECT doc_id, body FROM summaries ORDER BY doc_id")}


def summaries_of(db: sqlite3.Connection, ids: Iterable[str]) -> dict[str, DocSummary]:
    """The kept summaries of those of ``ids`` that have one."""
    ids = sorted(set(ids))
    out: dict[str, DocSummary] = {}
    for n in range(0, len(ids), 500):
        chunk = ids[n : n + 500]
        rows = db.execute(f"SELECT doc_id, body FROM summaries WHERE doc_id IN ({','.join('?' * len(chunk))})", chunk)
        out.update((i, _summary(i, body)) for i, body in rows)
    return out


def unsummarised(db: sqlite3.Connection) -> list[str]:
    """The sketched documents without a kept summary (sketched since the last story stage)."""
    return [r[0] for r in db.execute("SELECT doc_id FROM sketches WHERE doc_id NOT IN (SELECT doc_id FROM summaries) ORDER BY doc_id")]


def _summary(doc_id: str, body: str) -> DocSummary:
    d = json.loads(body)
    return DocSummary(doc_id, d["p"], d["h"], frozenset(d["n"]), d["t"])


def _summary_rows(items: Iterable[DocSummary]) -> list[tuple[str, str]]:
    return [(s.id, json.dumps({"p": s.published, "h": s.body_hash, "n": sorted(s.names), "t": dict(s.topic)})) for s in items]


def put_summaries(db: sqlite3.Connection, items: Iterable[DocSummary]) -> None:
    """Keep summaries (replacing any a document had) and their words' counts, in one transaction."""
    items = list(items)
    with db:
        _uncount_summaries(db, [s.id for s in items])  # a summary replaced no longer counts
        db.executemany("INSERT OR REPLACE INTO summaries VALUES (?, ?)", _summary_rows(items))
        _add_counts(db, items, +1)


def _add_counts(db: sqlite3.Connection, items: Iterable[DocSummary], sign: int) -> None:
    """Add (``sign`` +1) or take away (-1) the words and names of ``items`` in ``summary_df``."""
    df: dict[str, int] = defaultdict(int)
    for s in items:
        for k in level2_keys(s):
            df[k] += sign
    if df:
        db.executemany("INSERT INTO summary_df VALUES (?, ?) ON CONFLICT(word) DO UPDATE SET df = df + excluded.df",
                       sorted(df.items()))
        if sign < 0:
            db.execute("DELETE FROM summary_df WHERE df <= 0")


def _uncount_summaries(db: sqlite3.Connection, ids: Sequence[str]) -> None:
    """Take the kept summaries of ``ids`` (where they have one) out of ``summary_df``."""
    kept = []
    for n in range(0, len(ids), 500):
        chunk = list(ids[n : n + 500])
        kept += db.execute(f"SELECT doc_id, body FROM summaries WHERE doc_id IN ({','.join('?' * len(chunk))})", chunk).fetchall()
    _add_counts(db, (_summary(i, body) for i, body in kept), -1)


def level2_counts(db: sqlite3.Connection) -> dict[str, float]:
    """``stories.level2_idf`` of every kept summary, from the kept counts (counted once from the
    summaries in a store made before the counts were kept)."""
    level2_counts_ready(db)
    n = int(db.execute("SELECT COUNT(*) FROM summaries").fetchone()[0])
    return idf_from_counts(dict(db.execute("SELECT word, df FROM summary_df")), n)


def level2_counts_ready(db: sqlite3.Connection) -> None:
    """Count ``summary_df`` once from the summaries in a store made before the counts were kept."""
    if db.execute("SELECT value FROM meta WHERE key = 'summary_df'").fetchone() is None:
        with db:
            db.execute("DELETE FROM summary_df")
            _add_counts(db, summaries(db).values(), +1)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('summary_df', 'kept')")


# --- static body vectors -----------------------------------------------------------------------
def bind_doc_vectors(db: sqlite3.Connection, settings: str) -> bool:
    """Keep only static body vectors made with the embedder ``settings``: where the kept ones were made
    with others, drop them and record ``settings`` (False); True where they were made with these."""
    row = db.execute("SELECT value FROM meta WHERE key = 'doc_vector_settings'").fetchone()
    if row is None or row[0] != settings:
        with db:
            db.execute("DELETE FROM doc_vectors")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('doc_vector_settings', ?)", (settings,))
        return False
    return True


def doc_vectors(db: sqlite3.Connection, settings: str) -> dict[str, np.ndarray]:
    """The kept static body vectors, made with the embedder ``settings`` (none kept with other settings)."""
    if not bind_doc_vectors(db, settings):
        return {}
    return {i: np.frombuffer(v, dtype=np.float32) for i, v in db.execute("SELECT doc_id, vec FROM doc_vectors")}


def put_doc_vectors(db: sqlite3.Connection, vectors: Mapping[str, np.ndarray]) -> None:
    with db:
        db.executemany("INSERT OR REPLACE INTO doc_vectors VALUES (?, ?)",
                       [(i, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for i, v in sorted(vectors.items())])


# --- an older store -----------------------------------------------------------------------------
class _Stored(Protocol):
    """What an upgrade reads of the store (``store.Store``)."""

    db: sqlite3.Connection

    def documents(self, ids: Iterable[str] | None = None) -> Mapping[str, Document]: ...

    def cleaned(self, ids: Iterable[str] | None = None) -> Mapping[str, Cleaned]: ...


def upgrade(store: _Stored, ddl: str, version: str) -> None:
    """Give a schema-3 store the corpus state: the tables (``ddl``), filled from its sketches and documents
    (once; the boilerplate is learned again from every row on the next run, with the same answer); then
    the store is at schema ``version``."""
    db = store.db
    with db:
        db.executescript(ddl)
    with db:
        for t in ("cand_keys", "cand_names", "topic_df", "anchor_bodies", "summaries", "summary_df", "doc_vectors", "blocks_dirty",
                  "common_seen", "unplaced"):
            db.execute(f"DELETE FROM {t}")
        db.execute("DELETE FROM meta WHERE key = 'summary_df'")  # counted from the summaries on first use
        db.execute("DELETE FROM meta WHERE key = 'common_seen'")  # started by the next relate stage
        db.execute("INSERT OR REPLACE INTO meta VALUES ('cand_bands', ?)", (str(DEFAULT_BANDS),))
        ids = [r[0] for r in db.execute("SELECT doc_id FROM sketches ORDER BY doc_id")]
        for n in range(0, len(ids), 2000):
            chunk = ids[n : n + 2000]
            rows = db.execute(f"SELECT * FROM sketches WHERE doc_id IN ({','.join('?' * len(chunk))}) ORDER BY doc_id", chunk).fetchall()
            sks = [_sketch_row(r) for r in rows]
            # index_sketches counts a body's anchors once: sketches of bodies already indexed are in the
            # table, so count against the indexed ones only (those of earlier chunks and this one so far).
            _index_existing(db, sks, set(ids[:n]))
            docs, cl = store.documents(chunk), store.cleaned(chunk)
            db.executemany("INSERT OR REPLACE INTO summaries VALUES (?, ?)", _summary_rows(
                summarize(sk.doc_id, docs[sk.doc_id].published, sk, title_words(docs[sk.doc_id], cl[sk.doc_id])) for sk in sks))
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (version,))


def _index_existing(db: sqlite3.Connection, sketches: Sequence[Sketch], done: set[str]) -> None:
    """``index_sketches`` for sketches already in the ``sketches`` table (an upgrade)."""
    bands = bands_of(db)
    with_words = [sk for sk in sketches if sk.n_words]
    if with_words:
        keys = band_matrix(np.stack([sk.minhash for sk in with_words]), bands)
        db.executemany("INSERT OR IGNORE INTO cand_keys VALUES (?, ?, ?)",
                       [(BAND, k, sk.doc_id) for sk, row in zip(with_words, keys, strict=True) for k in _signed(row)])
    df: dict[str, int] = defaultdict(int)
    for sk in sketches:
        db.executemany("INSERT OR IGNORE INTO cand_keys VALUES (?, ?, ?)", [(ANCHOR, a, sk.doc_id) for a in _signed(sk.anchors)])
        db.executemany("INSERT OR IGNORE INTO cand_names VALUES (?, ?)", [(n, sk.doc_id) for n in sk.names])
        for w in sk.topic:
            df[w] += 1
        same = [np.frombuffer(r[1], dtype=np.uint64) for r in
                db.execute("SELECT doc_id, anchors FROM sketches WHERE body_hash = ? AND doc_id != ?", (sk.body_hash, sk.doc_id))
                if r[0] in done]
        fresh = np.setdiff1d(sk.anchors, np.concatenate(same)) if same else sk.anchors
        db.executemany("INSERT INTO anchor_bodies VALUES (?, 1) ON CONFLICT(anchor) DO UPDATE SET bodies = bodies + 1",
                       [(a,) for a in _signed(fresh)])
        done.add(sk.doc_id)
    db.executemany("INSERT INTO topic_df VALUES (?, ?) ON CONFLICT(word) DO UPDATE SET df = df + excluded.df", sorted(df.items()))


def sketched_ids(db: sqlite3.Connection) -> list[str]:
    return [r[0] for r in db.execute("SELECT doc_id FROM sketches ORDER BY doc_id")]
