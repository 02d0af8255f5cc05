"""The sentences of many pairs embedded together: a function mapped over a batch in a few threads,
whose requests for sentence vectors wait until every thread has one, and then go to MiniLM as one call.

The aligner reads a pair's sentences a few at a time (the lead, then the document, then the sentence
pairs no cheaper test rules out), one to eight sentences a call: MiniLM in bfloat16 reads a sentence
about 2.4 times cheaper in a call of eight or more than alone. ``gathered`` runs the pairs of a batch in
``threads`` threads (the work is Python, one thread at a time under the GIL: the threads exist so that
the requests of several pairs meet); a request waits until every other running thread has asked too
(or finished), and the thread that called ``map`` then embeds the requests of all of them in one call.

Only where it changes no vector: a runtime whose vector of a sentence does not depend on the other
sentences of its call (``Embedder.batch_invariant``: OpenVINO's bfloat16, which runs sentences together
only where probe sentences show it changes nothing, and each alone elsewhere). Elsewhere (onnxruntime's float32 pads a call to its longest sentence) the
function runs over the items one by one, as before. Each item's result depends on that item alone,
and the results come back in the items' order: the report is the same with any number of threads.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

import numpy as np

if TYPE_CHECKING:
    from wiretrace.embed.minilm import Embedder, SentenceReader
    from wiretrace.embed.static import StaticEmbedder

T = TypeVar("T")
R = TypeVar("R")

THREADS = 32  # pairs in flight per process: on BBC their requests make calls of ~25 sentences (12: ~13)


class _Ask:
    __slots__ = ("error", "out", "texts")

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = texts
        self.out: np.ndarray | None = None
        self.error: BaseException | None = None


class Gathering:
    """A sentence reader (``minilm.SentenceReader``) over ``embedder`` whose requests from the threads
    of ``map`` are embedded together (see the module)."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._cond = threading.Condition()
        self._running = 0
        self._pending: list[_Ask] = []
        self.calls = 0  # the calls MiniLM was given (each holding the requests of every waiting thread)

    @property
    def static(self) -> StaticEmbedder:
        return self._embedder.static

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The vectors of ``texts``, once every other running thread has asked for its own too (the
        thread that called ``map`` embeds them all)."""
        ask = _Ask(texts)
        with self._cond:
            if self._running == 0:  # not inside ``map``: nothing to wait for
                return self._embedder.embed(texts)
            self._pending.append(ask)
            self._cond.notify_all()
            while ask.out is None and ask.error is None:
                self._cond.wait()
        if ask.error is not None:
            raise ask.error
        assert ask.out is not None
        return ask.out

    def _flush(self) -> None:
        # Under the condition's lock, in the thread that called ``map``, every running thread waiting
        # in ``embed``: one call for the sentences of all of them (the cache keeps each vector), then
        # each request from the cache.
        asks, self._pending = self._pending, []
        try:
            self._embedder.embed(list(dict.fromkeys(t for a in asks for t in a.texts)))
            self.calls += 1
            for a in asks:
                a.out = self._embedder.embed(a.texts)
        except BaseException as e:  # noqa: BLE001 - handed to every thread that asked
            for a in asks:
                a.error = e
        self._cond.notify_all()

    def map(self, fn: Callable[[T], R], items: Sequence[T], threads: int | None = None) -> list[R]:
        """``[fn(x) for x in items]``, in ``threads`` threads (``THREADS``) whose sentence requests are
        gathered. The calling thread runs no item: it embeds what the others ask for, so the model is
        only ever run from it (a runtime's own threads are then those of a plain loop over the items)."""
        n = min(threads or THREADS, len(items))
        if n <= 1:
            return [fn(x) for x in items]
        out: list[R | None] = [None] * len(items)
        errors: list[BaseException] = []
        order = itertools.count()  # next() of a count is atomic under the GIL

        def work() -> None:
            try:
                while not errors:
                    i = next(order)
                    if i >= len(items):
                        break
                    out[i] = fn(items[i])
            except BaseException as e:  # noqa: BLE001 - raised again by the caller
                errors.append(e)
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()

        with self._cond:
            self._running = n
        pool = [threading.Thread(target=work, name=f"wiretrace-gather-{k}", daemon=True) for k in range(n)]
        for t in pool:
            t.start()
        with self._cond:
            while self._running:
                if self._pending and len(self._pending) >= self._running:
                    self._flush()
                else:
                    self._cond.wait()
        for t in pool:
            t.join()
        if errors:
            raise errors[0]
        return out  # type: ignore[return-value]


def gathered(
    fn: Callable[[T, SentenceReader | None], R], items: Sequence[T], embedder: Embedder | None, semantic: bool = True,
) -> list[R]:
    """``[fn(x, reader) for x in items]``: ``reader`` a ``Gathering`` over ``embedder`` where its
    runtime embeds sentences together without changing a vector (and ``semantic``: the items read
    MiniLM at all), else ``embedder`` itself, one item after another."""
    if embedder is None or not semantic or len(items) < 2 or not embedder.batch_invariant():
        return [fn(x, embedder) for x in items]
    reader = Gathering(embedder)
    return reader.map(lambda x: fn(x, reader), items)
