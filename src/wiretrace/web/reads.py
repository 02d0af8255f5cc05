"""Read queries the pages and the API need that ``Store`` does not offer (yet).

They read the store's tables directly, so they belong in ``store.py`` as ``Store`` methods: document
metadata without the texts, the pairs touching some documents, one story by id. Each runs in one read
transaction where consistency across statements matters (``snapshot``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from wiretrace.model import Pair, Story
from wiretrace.store import Store, pair_from_json, story_from_json


@dataclass(frozen=True, slots=True)
class DocMeta:
    """A stored document without its text."""

    id: str
    source: str | None
    url: str | None
    title: str | None
    published: str | None
    chars: int
    format: str
    path: str


@contextmanager
def snapshot(store: Store) -> Iterator[Store]:
    """One read transaction: every query inside sees the same committed state (WAL)."""
    if store.db.in_transaction:
        yield store
        return
    store.db.execute("BEGIN")
    try:
        yield store
    finally:
        store.db.execute("COMMIT")


def doc_meta(store: Store, ids: Iterable[str] | None = None) -> dict[str, DocMeta]:
    q = "SELECT id, source, url, title, published, length(text), format, path FROM documents"
    if ids is None:
        rows = store.db.execute(q + " ORDER BY id").fetchall()
    else:
        rows = []
        wanted = list(ids)
        for i in range(0, len(wanted), 500):
            chunk = wanted[i : i + 500]
            rows += store.db.execute(f"{q} WHERE id IN ({','.join('?' * len(chunk))})", chunk).fetchall()
    return {r[0]: DocMeta(*r) for r in rows}


def pairs_touching(store: Store, ids: Iterable[str], within: bool = False) -> list[Pair]:
    """Related pairs with a document among ``ids`` (both documents when ``within``)."""
    wanted = sorted(set(ids))
    out: dict[tuple[str, str], Pair] = {}
    for i in range(0, len(wanted), 400):
        chunk = wanted[i : i + 400]
        marks = ",".join("?" * len(chunk))
        q = f"SELECT a, b, body FROM pairs WHERE relation IS NOT NULL AND (a IN ({marks}) OR b IN ({marks}))"
        for a, b, body in store.db.execute(q, chunk + chunk):
            out[(a, b)] = pair_from_json(json.loads(body))
    pairs = [out[k] for k in sorted(out)]
    if within:
        keep = set(wanted)
        pairs = [p for p in pairs if p.a in keep and p.b in keep]
    return pairs


def pair_between(store: Store, a: str, b: str) -> Pair | None:
    """The stored pair of ``a`` and ``b`` in its stored orientation, or None."""
    for x, y in ((a, b), (b, a)):
        row = store.db.execute("SELECT body FROM pairs WHERE a = ? AND b = ? AND relation IS NOT NULL", (x, y)).fetchone()
        if row is not None:
            return pair_from_json(json.loads(row[0]))
    return None


def story(store: Store, story_id: str) -> Story | None:
    row = store.db.execute("SELECT body FROM stories WHERE id = ?", (story_id,)).fetchone()
    return None if row is None else story_from_json(json.loads(row[0]))


def story_of(store: Store, doc_id: str) -> Story | None:
    """The story holding ``doc_id`` (stories are few next to documents: one scan of their bodies)."""
    like = json.dumps(doc_id)
    for (body,) in store.db.execute("SELECT body FROM stories WHERE instr(body, ?) > 0", (like,)):
        s = story_from_json(json.loads(body))
        if doc_id in s.documents:
            return s
    return None


def counts(store: Store) -> tuple[int, int, int]:
    """(documents, stories, related pairs) in the store."""
    row = store.db.execute(
        "SELECT (SELECT COUNT(*) FROM documents), (SELECT COUNT(*) FROM stories),"
        " (SELECT COUNT(*) FROM pairs WHERE relation IS NOT NULL)"
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])
