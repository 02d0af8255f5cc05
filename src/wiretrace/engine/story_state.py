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
"""

from __future__ import annotations

import dataclasses
import functools
import json
import math
import sqlite3
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


def refresh(db: sqlite3.Connection, index: StoryIndex, summaries: Callable[[list[str]], Mapping[str, DocSummary]]) -> list[str]:
    """Profile the dirty stories again from their members (``index``'s idf and counts), or drop those left
    empty; the dirty stories, which are to be traced again."""
    dirty = [r[0] for r in db.execute("SELECT story FROM story_dirty ORDER BY story")]
    backing = StoreBacking(db)
    with db:
        for sid in dirty:
            kept = backing.story(sid)
            if kept is not None:
                db.executemany("DELETE FROM story_postings WHERE key = ? AND story = ?", [(k, sid) for k in sorted(kept[2])])
            db.execute("DELETE FROM story_profiles WHERE id = ?", (sid,))
            members = summaries(backing.members(sid))
            if not members:
                continue
            docs = sorted(members.values(), key=lambda d: d.key)
            keys = set().union(*(index.keys_of(d) for d in docs))
            key = kept[0] if kept is not None else docs[0].key
            db.execute("INSERT INTO story_profiles VALUES (?, ?, ?, ?, ?, ?, ?)", _row(sid, key, keys, index.profile(docs)))
            db.executemany("INSERT OR IGNORE INTO story_postings VALUES (?, ?)", [(k, sid) for k in sorted(keys)])
        db.execute("DELETE FROM story_dirty")
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


def keep_all(db: sqlite3.Connection, index: StoryIndex, config: StoryConfig) -> None:
    """Keep every story of ``index`` (each profiled) as the kept index: the tables written anew."""
    with db:
        db.execute("DELETE FROM story_profiles")
        db.execute("DELETE FROM story_postings")
        db.execute("DELETE FROM story_dirty")
        stories = sorted(index.stories.items())
        db.executemany("INSERT INTO story_profiles VALUES (?, ?, ?, ?, ?, ?, ?)", [_row(sid, s.key, s.keys, s.profile) for sid, s in stories])
        db.executemany("INSERT INTO story_postings VALUES (?, ?)", sorted((k, sid) for sid, s in stories for k in s.keys))
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (META, _settings(config)))
        n = db.execute("SELECT COUNT(*) FROM sketches").fetchone()[0]
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (META + "_docs", str(n)))


def write_back(db: sqlite3.Connection, index: KeptStoryIndex, gone_docs: Iterable[str] = ()) -> dict[str, str]:
    """Write what ``index`` changed (assignment, stories, postings) in one transaction; the documents moved."""
    moved = index.moved()
    with db:
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
        for key, plus, minus in index.kept_postings.changes():
            added += [(key, s) for s in sorted(plus)]
            removed += [(key, s) for s in sorted(minus)]
        db.executemany("INSERT OR IGNORE INTO story_postings VALUES (?, ?)", added)
        db.executemany("DELETE FROM story_postings WHERE key = ? AND story = ?", removed)
    return moved


class StoreBacking:
    """``stories_kept.Backing`` over the store's tables."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def story(self, sid: str) -> tuple[tuple[str, str, str], _Profile, set[str]] | None:
        row = self.db.execute("SELECT head, keys, topic_keys, topic_vals, name_keys, name_vals FROM story_profiles WHERE id = ?",
                              (sid,)).fetchone()
        return None if row is None else _from_row(*row)

    def stories_of_ids(self, sids: Iterable[str]) -> dict[str, tuple[tuple[str, str, str], _Profile, set[str], TopicLoader]]:
        # The content words are not read here (hundreds per story, and most stories read are ruled out
        # by their names): each loader reads its story's when a score needs them.
        sids = list(sids)
        out = {}
        for n in range(0, len(sids), 500):
            chunk = sids[n : n + 500]
            rows = [(sid, json.loads(head), *rest) for sid, head, *rest in self.db.execute(
                "SELECT id, head, keys, name_keys, name_vals FROM story_profiles "
                f"WHERE id IN ({','.join('?' * len(chunk))})", chunk)]
            old = [r[0] for r in rows if "z" not in r[1][1]]  # rows written before the squares were kept
            tvals = dict(self.db.execute(f"SELECT id, topic_vals FROM story_profiles WHERE id IN ({','.join('?' * len(old))})",
                                         old)) if old else {}
            for sid, head, keys, nk, nv in rows:
                out[sid] = _lazy_from_row(head, keys, nk, nv, functools.partial(self._topic, sid), tvals.get(sid))
        return out

    def _topic(self, sid: str) -> dict[str, float]:
        """A kept story's content words (the backing does not change while a run reads it)."""
        tk, tv = self.db.execute("SELECT topic_keys, topic_vals FROM story_profiles WHERE id = ?", (sid,)).fetchone()
        return dict(zip(tk.split(_SEP), np.frombuffer(tv, np.float64).tolist(), strict=True)) if tk else {}

    def holders_of(self, keys: Iterable[str]) -> dict[str, set[str]]:
        keys = list(keys)
        out: dict[str, set[str]] = {k: set() for k in keys}
        for n in range(0, len(keys), 500):
            chunk = keys[n : n + 500]
            for key, sid in self.db.execute(f"SELECT key, story FROM story_postings WHERE key IN ({','.join('?' * len(chunk))})", chunk):
                out[key].add(sid)
        return out

    def members(self, sid: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT doc_id FROM assignments WHERE story = ? ORDER BY doc_id", (sid,))]

    def holders(self, key: str) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT story FROM story_postings WHERE key = ?", (key,))}

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
