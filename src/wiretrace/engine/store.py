"""The embedded store: one SQLite file under the output folder.

Every stage writes its results here as it finishes them, in small transactions, so that a run
killed at any point loses at most the batch in flight, and the next run picks up where it stopped:
a document carries the last stage it finished (``stage``), and a pair once related is never
aligned again unless one of its documents changed. WAL mode keeps readers (the report, the HTTP
service) working while a run writes.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from wiretrace import errors
from wiretrace.engine import corpus_state as cs
from wiretrace.engine import story_state
from wiretrace.errors import StoreError
from wiretrace.model import (
    Cleaned,
    Cues,
    DocMeta,
    Document,
    Format,
    Pair,
    Segment,
    Skipped,
    Span,
    Story,
)
from wiretrace.report.codecs import pair_from_json, pair_to_json, story_from_json, story_to_json
from wiretrace.sketch import Sketch

SCHEMA_VERSION = "5"  # 3: story assignments, rensa signatures, story headline and summary; 4: corpus state;
# 5: level 2's story index kept (``story_state``; an older engine would change assignments without it)
# Versions this one opens by adding what it lacks (``corpus_state.upgrade``: the tables of the corpus
# state, filled once from the rows the store already holds; the story index, built on the next run).
UPGRADABLE = frozenset({"3", "4"})
STORE_FILE = errors.STORE_FILE
EMBED_MODEL = "embed_model"  # meta key: the model that made the sentence vectors (``EmbeddingCache.bind_model``)

# Stages a document has finished, in order.
INGESTED, CLEANED, SKETCHED, RELATED, STORIED = 0, 1, 2, 3, 4

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
  id TEXT PRIMARY KEY, path TEXT NOT NULL, format TEXT NOT NULL, encoding TEXT NOT NULL,
  source TEXT, url TEXT, title TEXT, published TEXT, text TEXT NOT NULL, text_hash TEXT NOT NULL,
  hints TEXT NOT NULL, stage INTEGER NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS skipped (path TEXT PRIMARY KEY, reason TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (key TEXT NOT NULL, doc_id TEXT NOT NULL, long INTEGER NOT NULL,
  PRIMARY KEY (key, doc_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blocks_doc ON blocks(doc_id);
CREATE TABLE IF NOT EXISTS cleaned (doc_id TEXT PRIMARY KEY, segments TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sketches (doc_id TEXT PRIMARY KEY, body_hash TEXT NOT NULL, n_words INTEGER NOT NULL,
  minhash BLOB NOT NULL, anchors BLOB NOT NULL, names TEXT NOT NULL, topic TEXT NOT NULL, cues TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pairs (a TEXT NOT NULL, b TEXT NOT NULL, relation TEXT, body TEXT,
  PRIMARY KEY (a, b)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS pairs_b ON pairs(b);
CREATE TABLE IF NOT EXISTS embeddings (key INTEGER PRIMARY KEY, vec BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS stories (id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS assignments (doc_id TEXT PRIMARY KEY, story TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sketches_body ON sketches(body_hash);
CREATE INDEX IF NOT EXISTS documents_stage ON documents(stage);
"""

# The corpus state (schema 4): what the corpus-wide steps read, kept up to date as sketches and blocks
# come and go, so that an incremental run reads what its new documents touch, not the whole corpus
# (``corpus_state``). Kinds in ``cand_keys``: 0 an LSH band key, 1 an anchor (both as signed 64-bit).
_STATE_DDL = """
CREATE TABLE IF NOT EXISTS cand_keys (kind INTEGER NOT NULL, key INTEGER NOT NULL, doc_id TEXT NOT NULL,
  PRIMARY KEY (kind, key, doc_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS cand_names (name TEXT NOT NULL, doc_id TEXT NOT NULL, PRIMARY KEY (name, doc_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS topic_df (word TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS anchor_bodies (anchor INTEGER PRIMARY KEY, bodies INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS anchor_bodies_n ON anchor_bodies(bodies);
CREATE TABLE IF NOT EXISTS summaries (doc_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS summary_df (word TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS doc_vectors (doc_id TEXT PRIMARY KEY, vec BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS blocks_dirty (key TEXT PRIMARY KEY, long_changed INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS common_seen (anchor INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS unplaced (doc_id TEXT PRIMARY KEY) WITHOUT ROWID;
""" + story_state.DDL


def sketch_rows(items: Iterable[tuple[Sketch, Cues]]) -> list[tuple]:
    """The ``sketches`` table's rows of these sketches and cues."""
    return [
        (s.doc_id, s.body_hash, s.n_words, s.minhash.tobytes(), s.anchors.tobytes(), json.dumps(sorted(s.names)),
         json.dumps(s.topic), json.dumps(c.to_json()))
        for s, c in items
    ]


def sketch_of_row(row: tuple) -> tuple[Sketch, Cues]:
    """A ``sketches`` row read back: the sketch and cues as ``Store.sketches`` gives them."""
    i, h, n, mh, an, names, topic, c = row
    sk = Sketch(i, h, n, np.frombuffer(mh, dtype=np.uint32), np.frombuffer(an, dtype=np.uint64),
                frozenset(json.loads(names)), json.loads(topic))
    return sk, Cues.from_json(json.loads(c))


class Store:
    """Open (or create) the store in ``folder``.

    ``readonly``: open an existing store for reading only (the query commands): StoreError when there
    is none, nothing is created or written, and a store on a read-only medium or made read-only with
    chmod is read as it is (SQLite's ``immutable`` mode when its WAL index cannot be created).
    """

    def __init__(self, folder: str | Path, readonly: bool = False) -> None:
        if not str(folder):
            raise errors.store_empty_path()
        self.folder = Path(folder)
        self.path = self.folder / STORE_FILE
        self.readonly = readonly
        # Level 2's kept stories and postings as earlier runs over this connection read them
        # (``story_state.KeptCache``: checked against the tables before each use).
        self.story_cache = story_state.KeptCache()
        if readonly:
            self.db = _open_readonly(self.folder, self.path)
        else:
            self.db = _open_writable(self.folder, self.path)
        row = self._schema()
        if row is None and not readonly:
            with self.db:
                self.db.executescript(_STATE_DDL)
                self.db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        elif row is not None and row[0] == "3" and not readonly:
            cs.upgrade(self, _STATE_DDL, SCHEMA_VERSION)
        elif row is not None and row[0] in UPGRADABLE and not readonly:  # 4: the story index's tables, filled on the next run
            with self.db:
                self.db.executescript(_STATE_DDL)
                story_state.invalidate(self.db)
                self.db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (SCHEMA_VERSION,))
        elif row is not None and row[0] == SCHEMA_VERSION and not readonly:
            self.db.executescript(_STATE_DDL)  # a table this schema gained since the store was made
        elif row is None or row[0] != SCHEMA_VERSION and not (readonly and row[0] in UPGRADABLE):
            found = "no schema" if row is None else f"schema {row[0]}"
            self.db.close()
            raise errors.store_version(self.path, found, SCHEMA_VERSION)

    def _schema(self) -> tuple[str] | None:
        try:
            return self.db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        except sqlite3.Error as e:
            self.db.close()
            raise StoreError(describe_sqlite_error(f"cannot read {self.path}", e, self.folder)) from e

    def close(self) -> None:
        self.db.close()

    # --- documents --------------------------------------------------------------------------
    def known_ids(self) -> dict[str, tuple[str, str]]:
        """id -> (path, text hash) of every stored document."""
        return {i: (p, h) for i, p, h in self.db.execute("SELECT id, path, text_hash FROM documents")}

    def add_documents(self, docs: Iterable[tuple[Document, str]]) -> None:
        seq = self.db.execute("SELECT COALESCE(MAX(seq), 0) FROM documents").fetchone()[0]
        rows = []
        for d, h in docs:
            seq += 1
            hints = json.dumps([[s.start, s.end, s.kind] for s in d.hints])
            rows.append((d.id, d.path, d.format, d.encoding, d.source, d.url, d.title, d.published, d.text, h, hints, INGESTED, seq))
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)

    def add_skipped(self, items: Iterable[Skipped]) -> None:
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO skipped VALUES (?, ?)", [(s.path, s.reason) for s in items])

    def skipped_paths(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT path FROM skipped")]

    def remove_skipped(self, paths: Iterable[str]) -> None:
        with self.db:
            self.db.executemany("DELETE FROM skipped WHERE path = ?", [(p,) for p in paths])

    def document_files(self) -> list[tuple[str, str, str]]:
        """(id, path, format) of every stored document."""
        return list(self.db.execute("SELECT id, path, format FROM documents ORDER BY id"))

    def forget(self, ids: Iterable[str], replace: Iterable[str] = ()) -> None:
        """Delete documents and everything derived from them (blocks, cleaning, sketch, pairs, story
        place); ``replace``: documents to place in stories again (their assignment is dropped and they
        go back to the story stage)."""
        ids, replace = list(ids), list(replace)
        with self.db:
            story_state.mark_dirty(self.db, ids + replace)  # their stories are profiled again (or dropped) next time
            cs.unindex(self.db, ids)
            for i in ids:
                keys = self.db.execute("SELECT key, long FROM blocks WHERE doc_id = ?", (i,)).fetchall()
                self.db.execute("DELETE FROM blocks WHERE doc_id = ?", (i,))
                lost = [k for k, long in keys if long and not cs.is_long(self.db, k) and cs.held(self.db, k)]
                cs.mark_blocks(self.db, [k for k, _ in keys], lost)
            for table, col in (("documents", "id"), ("cleaned", "doc_id"), ("assignments", "doc_id")):
                self.db.executemany(f"DELETE FROM {table} WHERE {col} = ?", [(i,) for i in ids])
            self.db.executemany("DELETE FROM pairs WHERE a = ? OR b = ?", [(i, i) for i in ids])
            self.db.executemany("DELETE FROM assignments WHERE doc_id = ?", [(i,) for i in replace])
            self.db.executemany("UPDATE documents SET stage = ? WHERE id = ? AND stage > ?",
                                [(RELATED, i, RELATED) for i in replace])

    def skipped(self) -> list[Skipped]:
        return [Skipped(p, r) for p, r in self.db.execute("SELECT path, reason FROM skipped ORDER BY path")]

    def documents(self, ids: Iterable[str] | None = None) -> dict[str, Document]:
        q = "SELECT id, text, path, format, encoding, source, url, title, published, hints FROM documents"
        rows = self._select(q, ids)
        return {
            r[0]: Document(r[0], r[1], r[2], Format(r[3]), r[4], r[5], r[6], r[7], r[8], tuple(Span(*h) for h in json.loads(r[9])))
            for r in rows
        }

    def document(self, doc_id: str) -> Document | None:
        return self.documents([doc_id]).get(doc_id)

    def _select(self, q: str, ids: Iterable[str] | None, col: str = "id") -> list[tuple]:
        if ids is None:
            return self.db.execute(q + " ORDER BY " + col).fetchall()
        ids = list(ids)
        out: list[tuple] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            out += self.db.execute(f"{q} WHERE {col} IN ({','.join('?' * len(chunk))})", chunk).fetchall()
        return out

    def ids_at_stage(self, stage: int) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM documents WHERE stage = ? ORDER BY id", (stage,))]

    def all_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM documents ORDER BY id")]

    def set_stage(self, ids: Iterable[str], stage: int) -> None:
        with self.db:
            self.db.executemany("UPDATE documents SET stage = ? WHERE id = ?", [(stage, i) for i in ids])

    def reset(self, ids: Iterable[str]) -> None:
        """Send documents back to cleaning (their boilerplate changed): drop what depended on it."""
        ids = list(ids)
        with self.db:
            story_state.mark_dirty(self.db, ids)
            cs.unindex(self.db, ids)
            for i in ids:
                self.db.execute("UPDATE documents SET stage = ? WHERE id = ?", (INGESTED, i))
                self.db.execute("DELETE FROM pairs WHERE a = ? OR b = ?", (i, i))
                self.db.execute("DELETE FROM assignments WHERE doc_id = ?", (i,))

    # --- blocks (corpus-level boilerplate) ----------------------------------------------------
    def add_blocks(self, doc_id: str, keys: Iterable[str], long_keys: frozenset[str]) -> None:
        """A document's block keys; marks them for learning again (``corpus_state.boilerplate``)."""
        self.add_blocks_many([(doc_id, keys, long_keys)])

    def add_blocks_many(self, items: Iterable[tuple[str, Iterable[str], frozenset[str]]]) -> None:
        """Documents' block keys ((id, keys, long keys) each, in order), in one transaction: as
        ``add_blocks`` one after the other (each sees the rows of those before it), one commit."""
        with self.db:
            for doc_id, keys_in, long_keys in items:
                keys = list(keys_in)
                # A key held before without a long block, now long here: other keys' verdicts read it.
                became = [k for k in keys if k in long_keys and not cs.is_long(self.db, k) and cs.held(self.db, k)]
                self.db.executemany(
                    "INSERT OR IGNORE INTO blocks VALUES (?, ?, ?)", [(k, doc_id, int(k in long_keys)) for k in keys]
                )
                cs.mark_blocks(self.db, keys, became)

    def block_rows(self) -> Iterator[tuple[str, str, int]]:
        yield from self.db.execute("SELECT key, doc_id, long FROM blocks")

    def docs_with_blocks(self, keys: Iterable[str]) -> set[str]:
        return {r[0] for r in self._select("SELECT doc_id FROM blocks", list(keys), col="key")}

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # --- cleaned ----------------------------------------------------------------------------
    def put_cleaned(self, items: Iterable[Cleaned]) -> None:
        rows = [(c.doc_id, json.dumps([[s.start, s.end, s.kind, s.reason] for s in c.segments])) for c in items]
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO cleaned VALUES (?, ?)", rows)
            self.db.executemany("UPDATE documents SET stage = ? WHERE id = ?", [(CLEANED, r[0]) for r in rows])

    def cleaned(self, ids: Iterable[str] | None = None) -> dict[str, Cleaned]:
        rows = self._select("SELECT doc_id, segments FROM cleaned", ids, col="doc_id")
        return {i: Cleaned(i, tuple(Segment(*s) for s in json.loads(seg))) for i, seg in rows}

    # --- sketches -----------------------------------------------------------------------------
    def put_sketches(self, items: Iterable[tuple[Sketch, Cues]], rows: list[tuple] | None = None) -> None:
        """Store the sketches and cues (``rows``: their ``sketch_rows``, where the caller made them already)."""
        items = list(items)
        rows = sketch_rows(items) if rows is None else rows
        with self.db:
            # The corpus state follows: a sketch replaced leaves it first, the new ones enter it.
            cs.unindex(self.db, [r[0] for r in rows])
            cs.index_sketches(self.db, [s for s, _ in items])
            self.db.executemany("INSERT OR REPLACE INTO sketches VALUES (?,?,?,?,?,?,?,?)", rows)
            self.db.executemany("UPDATE documents SET stage = ? WHERE id = ?", [(SKETCHED, r[0]) for r in rows])

    def sketches(self, ids: Iterable[str] | None = None) -> tuple[dict[str, Sketch], dict[str, Cues]]:
        """Sketches and cues of ``ids`` (of every sketched document by default), in id order."""
        sk, cues = {}, {}
        rows = self._select("SELECT * FROM sketches", None if ids is None else sorted(set(ids)), col="doc_id")
        if ids is not None:
            rows.sort(key=lambda r: r[0])
        for row in rows:
            sk[row[0]], cues[row[0]] = sketch_of_row(row)
        return sk, cues

    # --- pairs --------------------------------------------------------------------------------
    def done_pairs(self, ids: Iterable[str] | None = None) -> set[tuple[str, str]]:
        """Keys of the evaluated pairs (related or not): every one, or those touching ``ids``."""
        if ids is None:
            return {(a, b) for a, b in self.db.execute("SELECT a, b FROM pairs")}
        out: set[tuple[str, str]] = set()
        for i in sorted(set(ids)):
            out.update(self.db.execute("SELECT a, b FROM pairs WHERE a = ?", (i,)))
            out.update(self.db.execute("SELECT a, b FROM pairs WHERE b = ?", (i,)))
        return out

    def pair_links(self) -> list[tuple[str, str, str]]:
        """(a, b, relation) of every related pair, in stored order, without reading the pairs' bodies."""
        return self.db.execute("SELECT a, b, relation FROM pairs WHERE relation IS NOT NULL ORDER BY a, b").fetchall()

    def pair_links_of(self, ids: Iterable[str]) -> list[tuple[str, str, str]]:
        """(a, b, relation) of the related pairs touching ``ids``, sorted, without the pairs' bodies."""
        out: set[tuple[str, str, str]] = set()
        ids = sorted(set(ids))
        for n in range(0, len(ids), 500):
            chunk = ids[n : n + 500]
            marks = ",".join("?" * len(chunk))
            for col in ("a", "b"):
                out.update(self.db.execute(f"SELECT a, b, relation FROM pairs WHERE relation IS NOT NULL AND {col} IN ({marks})", chunk))
        return sorted(out)

    def put_pairs(self, results: Iterable[tuple[tuple[str, str], Pair | None]]) -> None:
        """Store each evaluated candidate under its sorted key; None records 'unrelated'."""
        rows = [(k[0], k[1], p.relation if p else None, json.dumps(pair_to_json(p)) if p else None) for k, p in results]
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO pairs VALUES (?, ?, ?, ?)", rows)

    def pairs(self) -> list[Pair]:
        rows = self.db.execute("SELECT body FROM pairs WHERE relation IS NOT NULL ORDER BY a, b")
        return [pair_from_json(json.loads(r[0])) for r in rows]

    # --- embeddings ---------------------------------------------------------------------------
    def embedding_cache(self) -> EmbeddingCache:
        return EmbeddingCache(self.db, readonly=self.readonly, where=str(self.path))

    # --- stories ------------------------------------------------------------------------------
    def update_stories(self, stories: Iterable[Story], gone: Iterable[str]) -> None:
        """Write ``stories`` (new or traced again) and delete the stories ``gone``, in one transaction."""
        with self.db:
            self.db.executemany("DELETE FROM stories WHERE id = ?", [(g,) for g in gone])
            self.db.executemany(
                "INSERT OR REPLACE INTO stories VALUES (?, ?)", [(s.id, json.dumps(story_to_json(s))) for s in stories]
            )

    def story_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM stories ORDER BY id")]

    def update_assignments(self, changed: dict[str, str], gone: Iterable[str]) -> None:
        """Place the documents of ``changed`` (id -> story id) and drop those ``gone``; the documents
        to place again (``corpus_state.unplace``) were placed."""
        with self.db:
            story_state.invalidate(self.db)  # the whole path keeps its index again after (``story_state.keep_all``)
            self.db.executemany("DELETE FROM assignments WHERE doc_id = ?", [(g,) for g in gone])
            self.db.executemany("INSERT OR REPLACE INTO assignments VALUES (?, ?)", sorted(changed.items()))
            cs.placed(self.db)

    def put_stories(self, stories: Iterable[Story]) -> None:
        with self.db:
            self.db.execute("DELETE FROM stories")
            self.db.executemany(
                "INSERT INTO stories VALUES (?, ?)", [(s.id, json.dumps(story_to_json(s))) for s in stories]
            )

    def assignments(self) -> dict[str, str]:
        """Document id -> story id, as the last run placed them (an incremental run extends it)."""
        return dict(self.db.execute("SELECT doc_id, story FROM assignments ORDER BY doc_id").fetchall())

    def put_assignments(self, assignment: dict[str, str]) -> None:
        with self.db:
            story_state.invalidate(self.db)
            self.db.execute("DELETE FROM assignments")
            self.db.executemany("INSERT INTO assignments VALUES (?, ?)", sorted(assignment.items()))

    def stories_of(self, ids: Iterable[str]) -> dict[str, str]:
        """Document id -> story id of those of ``ids`` placed in a story (the stored assignment)."""
        return dict(self._select("SELECT doc_id, story FROM assignments", list(ids), col="doc_id"))

    def stories(self) -> list[Story]:
        return [story_from_json(json.loads(b)) for (b,) in self.db.execute("SELECT body FROM stories ORDER BY id")]

    def story(self, story_id: str) -> Story | None:
        row = self.db.execute("SELECT body FROM stories WHERE id = ?", (story_id,)).fetchone()
        return None if row is None else story_from_json(json.loads(row[0]))

    def story_of(self, doc_id: str) -> Story | None:
        """The story holding ``doc_id`` (stories are few next to documents: one scan of their bodies)."""
        like = json.dumps(doc_id)
        for (body,) in self.db.execute("SELECT body FROM stories WHERE instr(body, ?) > 0", (like,)):
            s = story_from_json(json.loads(body))
            if doc_id in s.documents:
                return s
        return None

    # --- reads for lists and pages: metadata without texts, pairs around some documents ---------
    @contextmanager
    def snapshot(self) -> Iterator[Store]:
        """One read transaction: every query inside sees the same committed state (WAL)."""
        if self.db.in_transaction:
            yield self
            return
        self.db.execute("BEGIN")
        try:
            yield self
        finally:
            self.db.execute("COMMIT")

    def doc_meta(self, ids: Iterable[str] | None = None) -> dict[str, DocMeta]:
        """Documents' metadata and lengths, without reading their texts."""
        q = "SELECT id, source, url, title, published, length(text), format, path FROM documents"
        return {r[0]: DocMeta(r[0], r[1], r[2], r[3], r[4], r[5], Format(r[6]), r[7]) for r in self._select(q, ids)}

    def pairs_touching(self, ids: Iterable[str], within: bool = False) -> list[Pair]:
        """Related pairs with a document among ``ids`` (both documents when ``within``), sorted by (a, b)."""
        wanted = sorted(set(ids))
        found: dict[tuple[str, str], Pair] = {}
        for i in range(0, len(wanted), 400):
            chunk = wanted[i : i + 400]
            marks = ",".join("?" * len(chunk))
            q = f"SELECT a, b, body FROM pairs WHERE relation IS NOT NULL AND (a IN ({marks}) OR b IN ({marks}))"
            for a, b, body in self.db.execute(q, chunk + chunk):
                found[(a, b)] = pair_from_json(json.loads(body))
        pairs = [found[k] for k in sorted(found)]
        if within:
            keep = set(wanted)
            pairs = [p for p in pairs if p.a in keep and p.b in keep]
        return pairs

    def document_context(self, doc_id: str) -> tuple[Document, Cleaned | None, Story | None, list[Pair]] | None:
        """A document with what the pages and the API show beside it: its cleaning, its story and its
        related pairs, read in one transaction; None when the id is unknown."""
        with self.snapshot():
            d = self.document(doc_id)
            if d is None:
                return None
            return d, self.cleaned([doc_id]).get(doc_id), self.story_of(doc_id), self.pairs_touching([doc_id])

    def pair_between(self, a: str, b: str) -> Pair | None:
        """The stored pair of ``a`` and ``b`` in its stored orientation, or None."""
        for x, y in ((a, b), (b, a)):
            row = self.db.execute("SELECT body FROM pairs WHERE a = ? AND b = ? AND relation IS NOT NULL", (x, y)).fetchone()
            if row is not None:
                return pair_from_json(json.loads(row[0]))
        return None

    def counts(self) -> tuple[int, int, int]:
        """(documents, stories, related pairs) in the store."""
        row = self.db.execute(
            "SELECT (SELECT COUNT(*) FROM documents), (SELECT COUNT(*) FROM stories),"
            " (SELECT COUNT(*) FROM pairs WHERE relation IS NOT NULL)"
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])


CACHE_KIB = 65_536  # SQLite page cache of a writable store, KiB
CHECKPOINT_PAGES = 10_000  # WAL pages between automatic checkpoints


def _open_writable(folder: Path, path: Path) -> sqlite3.Connection:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(describe_os_error(f"cannot create the store folder {folder}", e, folder)) from None
    if not folder.is_dir():
        raise errors.store_out_is_file(folder)
    if path.is_dir():
        raise errors.store_file_is_folder(path)
    try:
        db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        # A batch of a few hundred documents dirties some thousands of pages of the large indexes (blocks,
        # candidate keys, pairs): a page cache of 64 MiB (2 MiB by default) reads them once, and a WAL
        # checkpointed every 10,000 pages (1,000 by default; then each batch checkpointed several times,
        # an fsync each) copies a page written by several transactions once (the last connection's close
        # checkpoints what is left).
        db.execute(f"PRAGMA cache_size={-CACHE_KIB}")
        db.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
        db.executescript(_DDL)
    except sqlite3.Error as e:
        raise StoreError(describe_sqlite_error(f"cannot open {path}", e, folder)) from e
    return db


def _open_readonly(folder: Path, path: Path) -> sqlite3.Connection:
    if not folder.is_dir():
        raise errors.store_folder_absent(folder, folder.exists())
    if not path.is_file():
        raise errors.store_missing(folder)
    uri = path.resolve().as_uri()
    try:
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30, check_same_thread=False)
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # reading needs the WAL index: can it be made?
        return db
    except sqlite3.Error as e:
        first = e
    # A store nobody may write to (chmod, a read-only mount): SQLite cannot make the WAL index beside it.
    # Nobody writes to it either, so it is read as immutable, with the WAL it holds (if any) left unread.
    if (folder / (STORE_FILE + "-wal")).exists() and os.path.getsize(folder / (STORE_FILE + "-wal")) > 0:
        raise StoreError(describe_sqlite_error(
            f"cannot read {path}: it was not closed cleanly (a -wal file is beside it) and its folder is read-only",
            first, folder))
    try:
        db = sqlite3.connect(f"{uri}?immutable=1", uri=True, timeout=30, check_same_thread=False)
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.Error as e:
        raise StoreError(describe_sqlite_error(f"cannot read {path}", e, folder)) from e


def describe_os_error(doing: str, e: OSError, folder: Path) -> str:
    """``store: DOING: the cause; the fix`` for an OSError, naming the real cause."""
    cause = e.strerror or str(e)
    if isinstance(e, PermissionError):
        fix = f"check that {folder} is writable by this user"
    elif isinstance(e, FileExistsError | NotADirectoryError):
        fix = "a file stands where a folder is needed; give another --out folder"
    elif e.errno == 28:  # ENOSPC
        fix = "free some disk space"
    elif e.errno == 30:  # EROFS
        fix = "the disk is mounted read-only; give an --out folder on another disk"
    else:
        fix = "check the --out folder"
    return f"store: {doing}: {cause}; {fix}."


def describe_sqlite_error(doing: str, e: sqlite3.Error, folder: Path) -> str:
    """``store: DOING: SQLite's message; the fix``, the fix chosen by what SQLite said."""
    msg = str(e)
    low = msg.lower()
    if "not a database" in low or "malformed" in low:
        fix = f"{STORE_FILE} is damaged or is not a wiretrace store; move it away or give another --out folder"
    elif "locked" in low or "busy" in low:
        fix = "another process holds the store; wait for it to finish"
    elif "readonly" in low or "read-only" in low:
        fix = f"check that {folder} and its files are writable by this user"
    elif "disk" in low and "full" in low:
        fix = "free some disk space"
    elif "unable to open" in low:
        writable = os.access(folder, os.W_OK) if folder.exists() else False
        fix = (f"check that {folder} is writable by this user" if not writable
               else f"check that {folder / STORE_FILE} is a readable file")
    else:
        fix = "check the --out folder"
    return f"store: {doing}: {msg}; {fix}."


def stored_vector(db: sqlite3.Connection, key: int) -> np.ndarray | None:
    """The sentence vector kept under ``key`` in a store's table, or None."""
    row = db.execute("SELECT vec FROM embeddings WHERE key = ?", (key,)).fetchone()
    return None if row is None else np.frombuffer(row[0], dtype=np.float16).astype(np.float32)


def as_stored(v: np.ndarray) -> np.ndarray:
    """``v`` as the store gives it back (kept as float16)."""
    return v.astype(np.float16).astype(np.float32)


class EmbeddingCache(MutableMapping[int, np.ndarray]):
    """Sentence vectors kept in the store, with an in-memory layer; writes are batched (none when the
    store is opened read-only: new vectors then stay in memory)."""

    def __init__(self, db: sqlite3.Connection, readonly: bool = False, where: str = "the store") -> None:
        self.db = db
        self.readonly = readonly
        self.where = where
        self.model: str | None = None  # the model bound, to record with the first vectors written
        self.mem: dict[int, np.ndarray] = {}
        self.pending: dict[int, np.ndarray] = {}

    def recorded_model(self) -> str | None:
        """The identity of the model (and precision) the kept vectors were made with, where recorded."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (EMBED_MODEL,)).fetchone()
        return None if row is None else str(row[0])

    def bind_model(self, identity: str) -> None:
        """Tie the kept vectors to the model that makes them (``Embedder.identity``): StoreError where
        the store records another. The record is written with the first vectors; a store from before
        the record that holds vectors already records ``identity`` now (the one model shipped then)."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (EMBED_MODEL,)).fetchone()
        if row is not None and row[0] != identity:
            raise StoreError(
                f"store: the sentence vectors in {self.where} were made with another model ({row[0]}) than this "
                f"wiretrace embeds with ({identity}); its pairs were measured with them: run into a new --out "
                "folder (or reinstall the model the store was made with; `; bf16` marks bfloat16 vectors: `--precision bf16` or "
                "`float32` (or WIRETRACE_EMBED_PRECISION) picks the precision)."
            )
        self.model = identity
        if row is None and not self.readonly and self.db.execute("SELECT 1 FROM embeddings LIMIT 1").fetchone():
            with self.db:
                self.db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (EMBED_MODEL, identity))

    def __getitem__(self, key: int) -> np.ndarray:
        if key in self.mem:
            return self.mem[key]
        v = stored_vector(self.db, key)
        if v is None:
            raise KeyError(key)
        self.mem[key] = v
        return v

    def __contains__(self, key: object) -> bool:
        if key in self.mem:
            return True
        try:
            self[key]  # type: ignore[index]
        except KeyError:
            return False
        return True

    def __setitem__(self, key: int, value: np.ndarray) -> None:
        # Kept as the table gives it back (float16), so a vector reads the same fresh, stored, or from
        # a worker process (``executor.WorkerCache``): a run's answers do not depend on which it was.
        value = as_stored(value)
        self.mem[key] = value
        self.pending[key] = value
        if len(self.pending) >= 512:
            self.flush()

    def __delitem__(self, key: int) -> None:
        self.mem.pop(key, None)
        if self.readonly:
            return
        with self.db:
            self.db.execute("DELETE FROM embeddings WHERE key = ?", (key,))

    def __iter__(self) -> Iterator[int]:
        return (r[0] for r in self.db.execute("SELECT key FROM embeddings"))

    def __len__(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0])

    def flush(self) -> None:
        if self.readonly:
            self.pending.clear()
            return
        if self.pending:
            with self.db:
                if self.model is not None:  # the first vectors record their model (a no-op after)
                    self.db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (EMBED_MODEL, self.model))
                self.db.executemany(
                    "INSERT OR REPLACE INTO embeddings VALUES (?, ?)",
                    [(k, v.astype(np.float16).tobytes()) for k, v in self.pending.items()],
                )
            self.pending.clear()
