"""Level 2's story index kept in the store (``stories_kept``): profiles, index keys and postings.

* ``story_profiles``: per story, the key of the member it started from, its index keys and its profile;
* ``story_postings``: index key -> stories holding it (the postings ``StoryIndex.candidates`` reads);
* ``story_dirty``: stories a document left other than through level 2 (forgotten, re-cleaned, replaced:
  ``mark_dirty``, called by the store as it drops the assignment): the next story stage profiles them
  again from their remaining members (``refresh``), before placing the new documents;
* meta ``story_state``: the ``StoryConfig`` the kept index was built with; dropped (``invalidate``)
  where the assignment is written whole, and then the next story stage places every document from the
  stored assignment as before (``stories.assign``) and keeps the whole index it built (``keep_all``).

Written in the same transaction as the assignment it describes (``write_back``), so a run killed at
any point leaves the two consistent; a run killed between the assignment and the stories' stage mark
leaves placed documents at stage RELATED, and the next run takes the whole path.

A process that places batch after batch into one open store (the service, ``story_throughput.py``) reads
many of the same stories and keys in each: ``KeptCache`` (one per open store: ``Store.story_cache``) keeps
what ``StoreBacking`` read of them, parsed, between runs, and the writers here (``keep_all``,
``write_back``, ``refresh``) bring it to what they wrote. It is dropped whole where the tables may have
changed otherwise: another connection committed (SQLite's ``data_version``), or a writer here was
called without it (each writes a new ``META_GEN`` token, which the cache compares with its own).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from wiretrace.stories import DocSummary, StoryConfig, StoryIndex, _Profile
from wiretrace.stories_kept import KeptStoryIndex, TopicLoader, profile_from_json, profile_to_json

DDL = """
CREATE TABLE IF NOT EXISTS story_profiles (id TEXT PRIMARY KEY, head TEXT NOT NULL, keys TEXT NOT NULL,
  topic_keys TEXT NOT NULL, topic_vals BLOB NOT NULL, name_keys TEXT NOT NULL, name_vals BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS story_postings (key TEXT NOT NULL, story TEXT NOT NULL, PRIMARY KEY (key, story)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS story_dirty (story TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS assignments_story ON assignments(story);
"""
META = "story_state"
META_GEN = "story_state_gen"  # a new token on each write of the kept index's tables (``KeptCache.check``)
# The kept index is built again (the whole path, as ``stories.assign`` over the stored assignment) once the
# corpus has grown by this share since it was built: the profiles it keeps were made with the idf of their
# run, which drifts as the corpus grows (on ECB+'s 10-batch stream, 77 documents to 772, keeping them all
# the way cost 0.005 B-cubed F1). Amortised, a rebuild costs a constant per new document (work in
# proportion to N once per GROWTH x N new documents).
GROWTH = 0.1


def _settings(config: StoryConfig) -> str:
    return json.dumps(dataclasses.asdict(config), sort_keys=True)


def valid(db: sqlite3.Connection, config: StoryConfig) -> bool:
    """Whether the kept index describes the stored assignment, built with ``config``."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (META,)).fetchone()
    return row is not None and row[0] == _settings(config)


def fresh(db: sqlite3.Connection, n_docs: int) -> bool:
    """Whether the corpus (``n_docs`` sketched documents) has grown by at most ``GROWTH`` since the kept
    index was built."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", (META + "_docs",)).fetchone()
    return row is not None and n_docs <= (1.0 + GROWTH) * int(row[0])


def invalidate(db: sqlite3.Connection) -> None:
    """The kept index no longer describes the assignment (call inside the transaction that changed it)."""
    db.execute("DELETE FROM meta WHERE key = ?", (META,))


def mark_dirty(db: sqlite3.Connection, ids: Iterable[str]) -> None:
    """The stories of ``ids`` are to be profiled again (call before their assignments are dropped)."""
    ids = sorted(set(ids))
    for n in range(0, len(ids), 500):
        chunk = ids[n : n + 500]
        db.execute(f"INSERT OR IGNORE INTO story_dirty SELECT DISTINCT story FROM assignments WHERE doc_id IN ({','.join('?' * len(chunk))})",
                   chunk)


def refresh(
    db: sqlite3.Connection, index: StoryIndex, summaries: Callable[[list[str]], Mapping[str, DocSummary]],
    cache: KeptCache | None = None,
) -> list[str]:
    """Profile the dirty stories again from their members (``index``'s idf and counts), or drop those left
    empty; the dirty stories, which are to be traced again. ``cache``: brought to what was written."""
    dirty = [r[0] for r in db.execute("SELECT story FROM story_dirty ORDER BY story")]
    backing = StoreBacking(db)
    moves: list[tuple[str, set[str], set[str]]] = []  # (story, index keys before, after)
    was, gen = None, None
    with db:
        if dirty:
            was = cache._version(db) if cache is not None else None
            gen = _written(db)
        for sid in dirty:
            kept = backing.story(sid)
            if kept is not None:
                db.executemany("DELETE FROM story_postings WHERE key = ? AND story = ?", [(k, sid) for k in sorted(kept[2])])
            db.execute("DELETE FROM story_profiles WHERE id = ?", (sid,))
            members = summaries(backing.members(sid))
            if not members:
                moves.append((sid, kept[2] if kept is not None else set(), set()))
                continue
            docs = sorted(members.values(), key=lambda d: d.key)
            keys = set().union(*(index.keys_of(d) for d in docs))
            key = kept[0] if kept is not None else docs[0].key
            db.execute("INSERT INTO story_profiles VALUES (?, ?, ?, ?, ?, ?, ?)", _row(sid, key, keys, index.profile(docs)))
            db.executemany("INSERT OR IGNORE INTO story_postings VALUES (?, ?)", [(k, sid) for k in sorted(keys)])
            moves.append((sid, kept[2] if kept is not None else set(), keys))
        db.execute("DELETE FROM story_dirty")
    if cache is not None and gen is not None and cache.wrote(db, was, gen):
        for sid, before, after in moves:
            cache.forget([sid])
            for k in before - after:
                cache.move(k, minus=[sid])
            for k in after - before:
                cache.move(k, plus=[sid])
    return dirty


_SEP = "\x1f"  # joins keys: words, names and index keys are made of word characters and spaces, never this


def _row(sid: str, key: tuple[str, str, str], keys: Iterable[str], profile: _Profile) -> tuple[str, str, str, str, bytes, str, bytes]:
    """A story's row: its profile's vectors as keys joined by ``_SEP`` and their float64 values (read back
    exactly, several times quicker than JSON), the rest of it as JSON, with the vectors' squared norms
    (``z``, ``y``: what ``stories_of_ids`` reads instead of the content words)."""
    head = profile_to_json(profile)
    del head["t"], head["n"]
    t, n = profile.topic, profile.names
    tvals = np.fromiter(t.values(), np.float64, len(t))
    # The squared norms as a reader makes them from the stored vectors (``_squares``), kept in the head:
    # a story read for its names (``stories_of_ids``) needs neither its content words nor their values.
    head["z"], head["y"] = _squares(tvals, n.values())
    return (sid, json.dumps([list(key), head]), _SEP.join(sorted(keys)),
            _SEP.join(t), tvals.tobytes(),
            _SEP.join(n), np.fromiter(n.values(), np.float64, len(n)).tobytes())


def _squares(tvals: np.ndarray, names: Iterable[float]) -> tuple[float, float]:
    """The squared norms of a profile's content words and names (less their private mass), summed as
    ``_Profile.norms`` sums them (one after the other, in the stored order, which is the dict's): a
    cumulative sum adds in that order, where numpy's ``sum`` pairs."""
    return (float(np.cumsum(tvals * tvals)[-1]) if tvals.size else 0.0), sum(v * v for v in names)


def _from_row(key: str, keys: str, tk: str, tv: bytes, nk: str, nv: bytes) -> tuple[tuple[str, str, str], _Profile, set[str]]:
    (k, head) = json.loads(key)
    head["t"] = dict(zip(tk.split(_SEP), np.frombuffer(tv, np.float64).tolist(), strict=True)) if tk else {}
    head["n"] = dict(zip(nk.split(_SEP), np.frombuffer(nv, np.float64).tolist(), strict=True)) if nk else {}
    return (k[0], k[1], k[2]), profile_from_json(head), set(keys.split(_SEP)) if keys else set()


def _lazy_from_row(
    parsed: list[Any], keys: str, nk: str, nv: bytes, topic: TopicLoader, tvals: bytes | None = None,
) -> tuple[tuple[str, str, str], _Profile, set[str], TopicLoader]:
    """As ``_from_row``, the content words left unread: the profile's topic is empty, its norms set (as
    ``_Profile.norms`` makes them: from the squares the head keeps, or from ``tvals``, the stored
    content-word values, for a row written before they were kept), and ``topic`` makes the topic when a
    score needs it (``stories_kept.KeptStoryIndex``): most stories a component reaches are ruled out by
    their names."""
    (k, head) = parsed  # the head's JSON, parsed
    head["t"] = {}
    head["n"] = dict(zip(nk.split(_SEP), np.frombuffer(nv, np.float64).tolist(), strict=True)) if nk else {}
    prof = profile_from_json(head)
    if "z" in head:
        tn, nn = head["z"], head["y"]
    else:
        tn, nn = _squares(np.frombuffer(tvals or b"", np.float64), prof.names.values())
    prof._norms = (math.sqrt(tn + prof.private[0]), math.sqrt(nn + prof.private[1]))
    return (k[0], k[1], k[2]), prof, set(keys.split(_SEP)) if keys else set(), topic


def _written(db: sqlite3.Connection) -> str:
    """Mark a write of the kept index's tables (inside its transaction): a new token, the one returned."""
    gen = uuid.uuid4().hex
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (META_GEN, gen))
    return gen


class KeptCache:
    """What ``StoreBacking`` read of the kept index (stories parsed as ``stories_of_ids`` gives them, each
    key's holders), kept between runs over one connection for as long as it describes the tables.

    ``check`` (each ``StoreBacking`` made with it) drops everything unless the connection's
    ``data_version`` (changed by another connection's commit) and the ``META_GEN`` token (changed by
    every writer here) are those it saw last; a writer given the cache (``keep_all``, ``write_back``,
    ``refresh``) applies its own changes to it after its commit and takes its new token. Callers get
    copies: a story's profile is changed in place as documents join it.
    """

    MAX_STORIES = 30_000  # entries kept (about 2-4 KB each), dropped whole beyond
    MAX_KEYS = 30_000

    def __init__(self) -> None:
        self.version: tuple[int, str | None] | None = None
        # Plain tuples, dicts of strings and numbers, strings: objects the cyclic garbage collector
        # does not track (a cache of profiles and sets would lengthen every full collection after).
        self.stories: dict[str, _Kept] = {}
        self.holders: dict[str, tuple[str, ...]] = {}
        self.hits = self.misses = 0

    def clear(self) -> None:
        self.stories.clear()
        self.holders.clear()

    def _version(self, db: sqlite3.Connection) -> tuple[int, str | None]:
        row = db.execute("SELECT value FROM meta WHERE key = ?", (META_GEN,)).fetchone()
        return int(db.execute("PRAGMA data_version").fetchone()[0]), None if row is None else str(row[0])

    def check(self, db: sqlite3.Connection) -> None:
        """Drop what is kept unless the tables are as this cache last saw them."""
        now = self._version(db)
        if now != self.version:
            self.clear()
            self.version = now
        if len(self.stories) > self.MAX_STORIES:
            self.stories.clear()
        if len(self.holders) > self.MAX_KEYS:
            self.holders.clear()

    def wrote(self, db: sqlite3.Connection, was: tuple[int, str | None] | None, gen: str) -> bool:
        """After a commit of this connection that wrote ``gen``: True (and the new version taken) if the
        cache described the tables just before it (``was``: the version read in its transaction), else
        everything is dropped and False."""
        if was is None or was != self.version:
            self.clear()
            self.version = self._version(db)
            return False
        self.version = (was[0], gen)
        return True

    def forget(self, sids: Iterable[str]) -> None:
        for sid in sids:
            self.stories.pop(sid, None)

    def move(self, key: str, plus: Iterable[str] = (), minus: Iterable[str] = ()) -> None:
        """Key ``key``'s holders gained ``plus`` and lost ``minus`` (where its holders are kept). Kept as
        a tuple, which a reader makes a set: a story listed twice is one holder."""
        got = self.holders.get(key)
        if got is not None:
            self.holders[key] = (tuple(set(got).difference(minus)) if minus else got) + tuple(plus)


# A kept story as the cache keeps it: (key, names, first, last, documents, leads, private, norms, index keys).
_Kept = tuple[tuple[str, str, str], dict[str, float], int | None, int | None, int, dict[str, int], tuple[float, float],
              tuple[float, float] | None, tuple[str, ...]]


def _to_kept(key: tuple[str, str, str], prof: _Profile, keys: Iterable[str]) -> _Kept:
    return key, dict(prof.names), prof.first, prof.last, prof.n, dict(prof.leads), prof.private, prof._norms, tuple(keys)


def _from_kept(k: _Kept) -> tuple[tuple[str, str, str], _Profile, set[str]]:
    """A kept story as ``_lazy_from_row`` makes it (its content words unread): copies, to change."""
    key, names, first, last, n, leads, private, norms, keys = k
    prof = _Profile({}, dict(names), first, last, n, dict(leads), private)
    prof._norms = norms
    return key, prof, set(keys)


def keep_all(db: sqlite3.Connection, index: StoryIndex, config: StoryConfig, cache: KeptCache | None = None) -> None:
    """Keep every story of ``index`` (each profiled) as the kept index: the tables written anew."""
    if cache is not None:
        cache.clear()
    with db:
        _written(db)
        db.execute("DELETE FROM story_profiles")
        db.execute("DELETE FROM story_postings")
        db.execute("DELETE FROM story_dirty")
        stories = sorted(index.stories.items())
        db.executemany("INSERT INTO story_profiles VALUES (?, ?, ?, ?, ?, ?, ?)", [_row(sid, s.key, s.keys, s.profile) for sid, s in stories])
        db.executemany("INSERT INTO story_postings VALUES (?, ?)", sorted((k, sid) for sid, s in stories for k in s.keys))
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (META, _settings(config)))
        n = db.execute("SELECT COUNT(*) FROM sketches").fetchone()[0]
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (META + "_docs", str(n)))


def write_back(
    db: sqlite3.Connection, index: KeptStoryIndex, gone_docs: Iterable[str] = (), cache: KeptCache | None = None,
) -> dict[str, str]:
    """Write what ``index`` changed (assignment, stories, postings) in one transaction; the documents
    moved. ``cache``: brought to what was written."""
    moved = index.moved()
    changes = list(index.kept_postings.changes())
    with db:
        was = cache._version(db) if cache is not None else None
        gen = _written(db)
        db.executemany("DELETE FROM assignments WHERE doc_id = ?", [(g,) for g in gone_docs])
        db.executemany("INSERT OR REPLACE INTO assignments VALUES (?, ?)", sorted(moved.items()))
        db.executemany("DELETE FROM story_profiles WHERE id = ?", [(g,) for g in index.gone_stories()])
        rows = []
        for sid in sorted(index.changed_stories):
            s = index.stories.get(sid)
            if s is not None:
                rows.append(_row(sid, s.key, s.keys, s.profile))
        db.executemany("INSERT OR REPLACE INTO story_profiles VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        # Every key's change in two statements (a key's stories added and removed are apart, and keys
        # are rows of their own: the same rows as a statement pair per key).
        added, removed = [], []
        for key, plus, minus in changes:
            added += [(key, s) for s in sorted(plus)]
            removed += [(key, s) for s in sorted(minus)]
        db.executemany("INSERT OR IGNORE INTO story_postings VALUES (?, ?)", added)
        db.executemany("DELETE FROM story_postings WHERE key = ? AND story = ?", removed)
    if cache is not None and cache.wrote(db, was, gen):
        cache.forget([*index.gone_stories(), *index.changed_stories, *moved.values()])
        for key, plus, minus in changes:
            cache.move(key, plus, minus)
    return moved


class StoreBacking:
    """``stories_kept.Backing`` over the store's tables; ``cache``: what earlier runs read of them, kept
    (``KeptCache``: checked here, so one backing per run)."""

    def __init__(self, db: sqlite3.Connection, cache: KeptCache | None = None) -> None:
        self.db = db
        self.cache = cache
        if cache is not None:
            cache.check(db)

    def story(self, sid: str) -> tuple[tuple[str, str, str], _Profile, set[str]] | None:
        row = self.db.execute("SELECT head, keys, topic_keys, topic_vals, name_keys, name_vals FROM story_profiles WHERE id = ?",
                              (sid,)).fetchone()
        return None if row is None else _from_row(*row)

    def stories_of_ids(self, sids: Iterable[str]) -> dict[str, tuple[tuple[str, str, str], _Profile, set[str], TopicLoader]]:
        # The content words are not read here (hundreds per story, and most stories read are ruled out
        # by their names): each loader reads its story's when a score needs them.
        out: dict[str, tuple[tuple[str, str, str], _Profile, set[str], TopicLoader]] = {}
        todo = []
        kept = self.cache.stories if self.cache is not None else None
        for sid in sids:
            hit = kept.get(sid) if kept is not None else None
            if hit is None:
                todo.append(sid)
            else:  # read by an earlier run, unchanged since: a copy of what was parsed then
                out[sid] = (*_from_kept(hit), functools.partial(self._topic, sid))
        if self.cache is not None:
            self.cache.hits += len(out)
            self.cache.misses += len(todo)
        for n in range(0, len(todo), 500):
            chunk = todo[n : n + 500]
            rows = [(sid, json.loads(head), *rest) for sid, head, *rest in self.db.execute(
                "SELECT id, head, keys, name_keys, name_vals FROM story_profiles "
                f"WHERE id IN ({','.join('?' * len(chunk))})", chunk)]
            old = [r[0] for r in rows if "z" not in r[1][1]]  # rows written before the squares were kept
            tvals = dict(self.db.execute(f"SELECT id, topic_vals FROM story_profiles WHERE id IN ({','.join('?' * len(old))})",
                                         old)) if old else {}
            for sid, head, keys, nk, nv in rows:
                got = out[sid] = _lazy_from_row(head, keys, nk, nv, functools.partial(self._topic, sid), tvals.get(sid))
                if kept is not None:
                    kept[sid] = _to_kept(got[0], got[1], got[2])
        return out

    def _topic(self, sid: str) -> dict[str, float]:
        """A kept story's content words (the backing does not change while a run reads it)."""
        tk, tv = self.db.execute("SELECT topic_keys, topic_vals FROM story_profiles WHERE id = ?", (sid,)).fetchone()
        return dict(zip(tk.split(_SEP), np.frombuffer(tv, np.float64).tolist(), strict=True)) if tk else {}

    def holders_of(self, keys: Iterable[str]) -> dict[str, set[str]]:
        keys = list(keys)
        out: dict[str, set[str]] = {k: set() for k in keys}
        held = self.cache.holders if self.cache is not None else None
        todo = keys
        if held is not None:
            todo = []
            for k in keys:
                got = held.get(k)
                if got is None:
                    todo.append(k)
                else:
                    out[k] = set(got)
        for n in range(0, len(todo), 500):
            chunk = todo[n : n + 500]
            for key, sid in self.db.execute(f"SELECT key, story FROM story_postings WHERE key IN ({','.join('?' * len(chunk))})", chunk):
                out[key].add(sid)
        if held is not None:
            for k in todo:
                held[k] = tuple(out[k])
        return out

    def members(self, sid: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT doc_id FROM assignments WHERE story = ? ORDER BY doc_id", (sid,))]

    def holders(self, key: str) -> set[str]:
        return self.holders_of([key])[key]

    def placed(self, ids: Iterable[str]) -> dict[str, str]:
        ids = list(ids)
        out: dict[str, str] = {}
        for n in range(0, len(ids), 500):
            chunk = ids[n : n + 500]
            out.update(self.db.execute(f"SELECT doc_id, story FROM assignments WHERE doc_id IN ({','.join('?' * len(chunk))})", chunk))
        return out


def kept_stories(db: sqlite3.Connection) -> Mapping[str, tuple[tuple[str, str, str], _Profile, set[str]]]:
    """Every kept story (for tests and checks): id -> (key, profile, index keys)."""
    out = {}
    for sid, *row in db.execute("SELECT id, head, keys, topic_keys, topic_vals, name_keys, name_vals FROM story_profiles ORDER BY id"):
        out[sid] = _from_row(*row)
    return out


def kept_postings(db: sqlite3.Connection) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for key, sid in db.execute("SELECT key, story FROM story_postings"):
        out.setdefault(key, set()).add(sid)
    return out
