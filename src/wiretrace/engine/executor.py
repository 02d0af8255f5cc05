"""Where a stage's batches run: here, or in worker processes (every core by default).

A stage hands the executor a module-level function ``fn(shared, batch, env)``, its batches and one
``shared`` value (the corpus's boilerplate, idf, common anchors: what every batch reads). The
executor returns the results in the order of the batches, whichever worker ran them, so a run gives
the same answer with one worker or many; only batches (never the corpus) travel to a worker, and at
most ``ahead * workers`` of them are in flight (2 per worker unless a stage asks for more), so memory
stays bounded.

``shared`` travels once per stage and worker, as a file the workers read and keep (a broadcast, as
Spark has), not with every batch. ``env`` is what a worker keeps between batches: the sentence
embedder (the model loads once per worker), its vectors, the store's cache read directly.

Workers also share the sentence vectors they embed with each other at once, through a small SQLite
file of the executor's (the **exchange**, ``VectorExchange``): the store only learns a worker's vectors
when its batch comes back, and two batches in flight that read one document would otherwise each
embed its sentences (about a fifth of the sentences with two workers on BBC News). A stage's start
empties the exchange once it holds ``EXCHANGE_LIMIT`` vectors (the store holds what came before).

Workers are forked (or, in a process with threads such as the HTTP service, started from a fork
server with the stage modules preloaded: ``_context``), and each worker's onnxruntime gets
``cores // workers`` threads: workers and threads do not oversubscribe the cores.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import pickle
import sqlite3
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from wiretrace.embed.minilm import Embedder
from wiretrace.engine.store import as_stored, stored_vector
from wiretrace.errors import ConfigError

B = TypeVar("B")
R = TypeVar("R")
# Sentence vectors a worker keeps in memory before it starts afresh (384 floats each: ~150 MB).
CACHE_LIMIT = 100_000
# Sentence vectors the workers' exchange holds before a stage's start empties it (768 bytes each).
EXCHANGE_LIMIT = 100_000


def cores() -> int:
    """The cores this process may run on (its CPU affinity, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def resolve_workers(workers: int) -> int:
    """``workers`` as given, or every core for 0; ConfigError for a negative number."""
    if workers < 0:
        raise ConfigError("run", "workers", workers, "0 (every core) or a positive number of worker processes")
    return workers or cores()


class Env:
    """What a stage function may use besides its batch: the sentence embedder, and the vectors it
    embedded that the store does not hold yet (``take_new``: the caller stores them)."""

    def __init__(self, embedder: Embedder, new: dict[int, np.ndarray] | None = None) -> None:
        self.embedder = embedder
        self._new = new

    def take_new(self) -> dict[int, np.ndarray]:
        if self._new is None:
            return {}
        out = dict(self._new)
        self._new.clear()
        return out


class VectorExchange:
    """The sentence vectors the workers of one executor embedded during the current stage, in a
    SQLite file every worker writes and reads (the store's table layout: float16 vectors by key), so
    that a sentence one worker embedded is not embedded again by another before the store has it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.db = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=OFF")  # a scratch file: lost with the executor anyway
        self.db.execute("CREATE TABLE IF NOT EXISTS embeddings (key INTEGER PRIMARY KEY, vec BLOB NOT NULL)")

    def get(self, key: int) -> np.ndarray | None:
        try:
            return stored_vector(self.db, key)
        except sqlite3.Error:
            return None

    def put(self, key: int, stored: np.ndarray) -> None:
        """Offer a vector (already ``as_stored``); a busy or failing file only costs a re-embedding."""
        with contextlib.suppress(sqlite3.Error):
            self.db.execute(
                "INSERT OR IGNORE INTO embeddings (key, vec) VALUES (?, ?)", (key, stored.astype(np.float16).tobytes()),
            )

    def size(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM embeddings").fetchone()[0])

    def clear(self) -> None:
        self.db.execute("DELETE FROM embeddings")

    def close(self) -> None:
        self.db.close()


class WorkerCache(MutableMapping[int, np.ndarray]):
    """A worker's sentence vectors: those it embedded (kept, and listed in ``new`` for the store),
    over the store's own table read directly (read-only; the main process writes it), and over the
    vectors the other workers embedded since the stage began (``exchange``)."""

    def __init__(self, store_file: str | None, exchange: str | None = None) -> None:
        self.mem: dict[int, np.ndarray] = {}
        self.new: dict[int, np.ndarray] = {}
        self.db = None
        if store_file and os.path.exists(store_file):
            try:
                self.db = sqlite3.connect(f"file:{store_file}?mode=ro", uri=True, check_same_thread=False)
            except sqlite3.Error:
                self.db = None
        self.exchange = VectorExchange(exchange) if exchange else None

    def __getitem__(self, key: int) -> np.ndarray:
        if key in self.mem:
            return self.mem[key]
        v = None
        if self.db is not None:
            try:
                v = stored_vector(self.db, key)
            except sqlite3.Error:
                v = None
        if v is None and self.exchange is not None:
            v = self.exchange.get(key)
        if v is None:
            raise KeyError(key)
        self.mem[key] = v
        return v

    def __contains__(self, key: object) -> bool:
        try:
            self[key]  # type: ignore[index]
        except KeyError:
            return False
        return True

    def __setitem__(self, key: int, value: np.ndarray) -> None:
        if len(self.mem) > CACHE_LIMIT:
            self.mem.clear()
        v = as_stored(value)  # as the store will give it back
        self.mem[key] = v
        self.new[key] = v
        if self.exchange is not None:
            self.exchange.put(key, v)

    def __delitem__(self, key: int) -> None:
        self.mem.pop(key, None)
        self.new.pop(key, None)

    def __iter__(self) -> Iterator[int]:
        return iter(self.mem)

    def __len__(self) -> int:
        return len(self.mem)


# --- the worker side ----------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _worker_init(store_file: str | None, threads: int, exchange: str | None = None,
                 precision: str | None = None) -> None:
    _WORKER.clear()
    _WORKER.update(store_file=store_file, threads=threads, shared={}, exchange=exchange, precision=precision)


def _worker_env() -> Env:
    env = _WORKER.get("env")
    if env is None:
        cache = WorkerCache(_WORKER.get("store_file"), _WORKER.get("exchange"))
        env = Env(Embedder(cache=cache, threads=_WORKER.get("threads", 1), precision=_WORKER.get("precision")),
                  cache.new)
        _WORKER["env"] = env
    return env


def _shared(path: str) -> Any:
    held: dict[str, Any] = _WORKER.setdefault("shared", {})
    if path not in held:
        held.clear()  # one stage's context at a time
        with open(path, "rb") as f:
            held[path] = pickle.load(f)
    return held[path]


def _call(fn: Callable[[Any, B, Env], R], shared_path: str, batch: B) -> tuple[R, dict[int, np.ndarray], float]:
    c0 = time.process_time()
    env = _worker_env()
    result = fn(_shared(shared_path), batch, env)
    return result, env.take_new(), time.process_time() - c0


# --- the caller's side --------------------------------------------------------------------------
class LocalExecutor:
    """Runs batches in this process (``workers`` 1) or in ``workers`` processes (0: every core).

    ``embedder``: this process's embedder, used when a stage runs here; ``store_file``: the store's
    SQLite file, whose sentence vectors the workers read; ``keep``: where the vectors a worker embedded
    go (the store's cache), so that every distinct sentence is embedded once per store."""

    def __init__(
        self, workers: int = 0, embedder: Embedder | None = None, store_file: str | os.PathLike[str] | None = None,
        keep: MutableMapping[int, np.ndarray] | None = None,
    ) -> None:
        self.workers = resolve_workers(workers)
        self.embedder = embedder
        self.store_file = os.fspath(store_file) if store_file is not None else None
        self.keep = keep
        self.embedded = 0  # sentences the workers embedded (this process's embedder counts its own)
        self.worker_cpu = 0.0  # CPU seconds the workers spent on batches (their share of a stage's CPU)
        self._pool: ProcessPoolExecutor | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._n = 0
        self._exchange: VectorExchange | None = None

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._exchange is not None:
            self._exchange.close()
            self._exchange = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def local_env(self) -> Env:
        if self.embedder is None:
            self.embedder = Embedder()
        return Env(self.embedder)

    def map(
        self, fn: Callable[[Any, B, Env], R], batches: Iterable[B], shared: Any = None, ahead: int = 2,
        aside: Callable[[], None] | None = None,
    ) -> Iterator[R]:
        """``fn(shared, batch, env)`` for each batch, results in the order of ``batches``.

        ``ahead``: batches in flight per worker (0: every batch submitted at once, where batches are
        small, ids only, and every result is kept anyway). More in flight keep the workers busy while
        this process is busy elsewhere (storing a result, ``aside``), at the cost of memory.
        ``aside``: work of this process's own, independent of the batches' results, done while the
        workers run the batches first submitted (before the first result is taken); with one worker
        it is done before the first batch. The results are the same either way.

        One worker, or a stage of a single batch, runs here (no process started)."""
        it = iter(batches)
        first = next(it, _END)
        if first is _END:
            if aside is not None:
                aside()
            return
        second = next(it, _END)
        if self.workers <= 1 or second is _END:
            if aside is not None:
                aside()
            env = self.local_env()
            yield fn(shared, first, env)  # type: ignore[arg-type]
            if second is not _END:
                yield fn(shared, second, env)  # type: ignore[arg-type]
                for b in it:
                    yield fn(shared, b, env)
            return
        pool = self._ensure_pool()
        path = self._broadcast(shared)
        if self._exchange is not None and self._exchange.size() > EXCHANGE_LIMIT:
            self._exchange.clear()  # earlier stages' vectors are the store's by now: keep the file small
        window: deque[Future[tuple[R, dict[int, np.ndarray], float]]] = deque()

        def batches_all() -> Iterator[B]:
            yield first  # type: ignore[misc]
            yield second  # type: ignore[misc]
            yield from it

        limit = ahead * self.workers if ahead > 0 else None
        try:
            for b in batches_all():
                window.append(pool.submit(_call, fn, path, b))
                if limit is not None and len(window) >= limit:
                    if aside is not None:
                        aside()
                        aside = None
                    yield self._result(window.popleft())
            if aside is not None:
                aside()
            while window:
                yield self._result(window.popleft())
        finally:
            for f in window:
                f.cancel()

    def _result(self, fut: Future[tuple[R, dict[int, np.ndarray], float]]) -> R:
        result, new, cpu = fut.result()
        self.worker_cpu += cpu
        if new:
            self.embedded += len(new)
            if self.keep is not None:
                for k, v in new.items():
                    self.keep[k] = v
        return result

    def _broadcast(self, shared: Any) -> str:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="wiretrace-shared-")
        self._n += 1
        path = str(Path(self._tmp.name) / f"shared-{self._n}.pickle")
        with open(path, "wb") as f:
            pickle.dump(shared, f, protocol=pickle.HIGHEST_PROTOCOL)
        return path

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = _context()
            threads = max(1, cores() // self.workers)
            if self._tmp is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="wiretrace-shared-")
            self._exchange = VectorExchange(str(Path(self._tmp.name) / "exchange.sqlite"))
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=ctx, initializer=_worker_init,
                # the workers embed in this process's precision (the one its store's vectors have)
                initargs=(self.store_file, threads, self._exchange.path,
                          self.embedder.precision if self.embedder is not None else None),
            )
        return self._pool


_END = object()


def _context() -> mp.context.BaseContext:
    """fork where this process runs one thread (a CLI run, a script: quick to start, and a script
    without ``if __name__ == "__main__"`` still works); else the fork server (the HTTP service runs
    threads, and forking a process with threads can copy a lock another thread holds)."""
    if threading.active_count() == 1 and "fork" in mp.get_all_start_methods():
        return mp.get_context("fork")
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(["wiretrace.engine.local"])
    return ctx
