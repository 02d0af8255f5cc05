"""Workers share the sentence vectors they embed at once (``executor.VectorExchange``): a sentence one
worker process embedded is read, not embedded again, by another before the store holds it."""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from pathlib import Path

import numpy as np

from wiretrace.embed.minilm import Embedder, sentence_key
from wiretrace.engine.executor import LocalExecutor, VectorExchange, WorkerCache
from wiretrace.engine.store import as_stored

SENTENCES = [
    "The central bank raised interest rates by a quarter of a point on Thursday.",
    "Shares in the carmaker fell sharply after it warned that profits would be lower this year.",
    "The minister said the new law would come into force in the spring.",
]


def _embed_in_worker(exchange: str, out: str) -> None:
    """A worker process: embed SENTENCES over the exchange, write how many it ran and the vectors."""
    emb = Embedder(cache=WorkerCache(None, exchange), threads=1, device="cpu")
    vecs = emb.embed(SENTENCES)
    np.save(out, np.concatenate([[emb.embedded], vecs.ravel()]))


def _run(exchange: str, out: Path) -> tuple[int, np.ndarray]:
    p = mp.get_context("spawn").Process(target=_embed_in_worker, args=(exchange, str(out)))
    p.start()
    p.join(120)
    assert p.exitcode == 0
    got = np.load(out)
    return int(got[0]), got[1:].reshape(len(SENTENCES), -1)


def test_a_second_worker_reads_what_the_first_embedded(tmp_path: Path) -> None:
    ex = VectorExchange(str(tmp_path / "exchange.sqlite"))
    first, v1 = _run(ex.path, tmp_path / "one.npy")
    second, v2 = _run(ex.path, tmp_path / "two.npy")
    assert first == len(SENTENCES)
    assert second == 0  # every vector came from the exchange
    assert np.array_equal(v1, v2)  # as the store would give them back
    assert np.array_equal(v1, np.stack([as_stored(v) for v in v1]))
    ex.clear()
    third, _ = _run(ex.path, tmp_path / "three.npy")
    assert third == len(SENTENCES)  # emptied: embedded again
    ex.close()


def _embed_batch(shared: None, batch: tuple[list[str], bool], env) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Embed the texts; where ``wait``, first wait (up to a minute) until another process has made
    every vector readable. The worker's pid, and the sentences it embedded."""
    texts, wait = batch
    deadline = time.monotonic() + 60.0
    while wait and time.monotonic() < deadline and not all(sentence_key(t) in env.embedder.cache for t in texts):
        time.sleep(0.05)
    before = env.embedder.embedded
    env.embedder.embed(texts)
    return os.getpid(), env.embedder.embedded - before


def test_executor_workers_share_one_exchange() -> None:
    """Two batches of the same sentences on two workers at once: the second waits for the first
    worker's vectors and embeds nothing."""
    with LocalExecutor(2) as ex:
        (pid1, n1), (pid2, n2) = ex.map(_embed_batch, [(SENTENCES, False), (SENTENCES, True)])
        assert ex.embedded == len(SENTENCES)
    assert pid1 != pid2  # the second batch ran beside the first, in the other worker
    assert (n1, n2) == (len(SENTENCES), 0)
