"""The embedded store: what goes in comes back the same; another schema is refused, not clobbered."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from wiretrace.engine.store import Store
from wiretrace.errors import StoreError
from wiretrace.model import Cleaned, Document, Pair, Passage, Scores, Segment, Span


def test_round_trip(tmp_path: Path) -> None:
    st = Store(tmp_path)
    doc = Document("d1", "Title\n\nBody text here.", "in/d1.html", "html", "cp1252", "Herald", "http://x", "Title",
                   "2026-03-01", (Span(7, 22, "markup_body"),))
    st.add_documents([(doc, "h1")])
    assert st.documents()["d1"] == doc
    cl = Cleaned("d1", (Segment(0, 5, "title", "the headline"), Segment(7, 22, "body", "article prose")))
    st.put_cleaned([cl])
    assert st.cleaned()["d1"] == cl
    pair = Pair("d1", "d2", "derivative", "a<-b", Scores(0.1, None, 0.5, 0.3),
                (Passage((7, 22), (0, 15), "verbatim", 1.0),), ("lsh",))
    st.put_pairs([(("d1", "d2"), pair), (("d1", "d3"), None)])
    assert st.pairs() == [pair]
    assert st.done_pairs() == {("d1", "d2"), ("d1", "d3")}
    cache = st.embedding_cache()
    cache[42] = np.ones(384, dtype=np.float32)
    cache.flush()
    st.close()
    again = Store(tmp_path).embedding_cache()
    assert 42 in again and float(again[42][0]) == 1.0 and 43 not in again


def test_other_schema_is_refused(tmp_path: Path) -> None:
    Store(tmp_path).close()
    db = sqlite3.connect(tmp_path / "wiretrace.sqlite")
    with db:
        db.execute("UPDATE meta SET value = '999' WHERE key = 'schema'")
    db.close()
    with pytest.raises(StoreError, match="schema 999"):
        Store(tmp_path)
