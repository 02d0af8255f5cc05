"""What the HTTP service holds between requests: the one writer, a read connection per worker thread,
the embedder for compare/trace queries, and recent trace answers for the story pages they lead to."""

from __future__ import annotations

import secrets
import threading
from pathlib import Path
from typing import Any

from cachetools import LRUCache

from wiretrace.embed.minilm import Embedder
from wiretrace.engine.pipeline import RunConfig
from wiretrace.engine.store import Store
from wiretrace.engine.writer import Writer
from wiretrace.report.links import Links

TRACE_RESULTS_KEPT = 128  # trace answers kept for the story page they redirect to
QUERY_VECTORS_KEPT = 50_000  # sentence vectors of compare/trace queries kept in memory


class AppState:
    """What the app holds: the writer, read connections per thread, the query embedder, trace answers."""

    def __init__(self, store_dir: Path, token: str | None, config: RunConfig) -> None:
        self.store_dir, self.token, self.config = store_dir, token, config
        self.writer = Writer(store_dir, config)
        self.writer.recover()
        self._local = threading.local()
        self._opened: list[Store] = []
        self._opened_lock = threading.Lock()
        self.compute = threading.Lock()  # compare/trace: CPU-bound, and the query embedder is not thread-safe
        self.embedder = Embedder(cache=LRUCache(maxsize=QUERY_VECTORS_KEPT))  # used under ``compute``
        self.traces: LRUCache[str, dict[str, Any]] = LRUCache(maxsize=TRACE_RESULTS_KEPT)
        self.links = Links()

    def reader(self) -> Store:
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = Store(self.store_dir)
            with self._opened_lock:
                self._opened.append(store)
        return store

    def close(self) -> None:
        with self._opened_lock:
            for s in self._opened:
                s.close()
            self._opened.clear()
        self.writer.close()

    def keep_trace(self, view: dict[str, Any]) -> str:
        key = secrets.token_urlsafe(9)
        with self._opened_lock:
            self.traces[key] = view
        return key

    def trace(self, key: str) -> dict[str, Any] | None:
        """A trace answer kept by ``keep_trace`` (None once it has been dropped)."""
        with self._opened_lock:
            return self.traces.get(key)
