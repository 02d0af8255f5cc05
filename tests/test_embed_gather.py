"""Sentences of several requests embedded together (``embed.gather``) and bfloat16 calls of many
sentences (``embed.minilm``): each sentence keeps the vector it has alone, so the answers do not
depend on what else was embedded with it, nor on the threads."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence

import numpy as np
import pytest

from wiretrace.embed.gather import Gathering, gathered
from wiretrace.embed.minilm import PAD_WIDTHS, Embedder, SentenceReader, bf16_native, pad_width

from .conftest import MRPC, need_path

needs_bf16 = pytest.mark.skipif(not bf16_native(), reason="this CPU has no native bfloat16 (AMX / AVX-512 BF16) "
                                "or openvino is not installed: only the float32 path runs here")


def _mrpc_sentences(n: int) -> list[str]:
    need_path(MRPC)
    rows = [line.split("\t") for line in MRPC.read_text(encoding="utf-8-sig").splitlines()[1 : n // 2 + 1]]
    return [t for row in rows for t in (row[3], row[4])]


def test_pad_widths_hold_every_length_and_grow() -> None:
    assert list(PAD_WIDTHS) == sorted(PAD_WIDTHS)
    for n in range(1, 200):
        w = pad_width(n)
        assert w >= n and (w == n or w in PAD_WIDTHS)
        assert pad_width(w) == w


@needs_bf16
def test_bf16_sentences_embedded_together_keep_their_vectors_alone() -> None:
    """Real news sentences (MRPC): one call of all of them, calls in another order, and one call per
    sentence give each sentence the same vector, bit for bit."""
    texts = _mrpc_sentences(160)
    together = Embedder(precision="bf16", threads=1)
    together.batch_invariant()  # True where the probe shows it (then one call holds many sentences), else each runs alone
    a = together.embed(texts)
    shuffled = texts[:]
    random.Random(3).shuffle(shuffled)
    b = Embedder(precision="bf16", threads=1).embed(shuffled)
    alone = Embedder(precision="bf16", threads=1)
    c = np.concatenate([alone.embed([t]) for t in texts])
    order = {t: i for i, t in enumerate(texts)}
    assert np.array_equal(a, c)
    assert np.array_equal(b, a[[order[t] for t in shuffled]])


def test_float32_is_not_gathered() -> None:
    """float32 pads a call to its longest sentence: the pairs run one by one, without threads."""
    emb = Embedder(precision="float32")
    assert not emb.batch_invariant()
    seen: list[tuple[str, SentenceReader | None]] = []

    def fn(x: str, reader: SentenceReader | None) -> str:
        seen.append((threading.current_thread().name, reader))
        return x.upper()

    assert gathered(fn, ["a", "b", "c"], emb) == ["A", "B", "C"]
    assert {name for name, _ in seen} == {threading.current_thread().name}
    assert all(reader is emb for _, reader in seen)


def _cosines(reader: SentenceReader, texts: Sequence[str]) -> float:
    v = reader.embed(list(texts))
    return float(v[0] @ v[-1])


def test_requests_of_many_threads_meet_in_few_calls() -> None:
    """Items that embed (some twice), items that never do, and one that fails: the results come back
    in order and equal those of one by one, the requests are embedded in fewer calls than were made,
    and the failure reaches the caller (no thread is left waiting)."""
    texts = _mrpc_sentences(60)
    items = [texts[i : i + 3] for i in range(0, 57, 3)]
    emb = Embedder(precision="float32")
    one_by_one = [round(_cosines(emb, t), 3) for t in items]

    def fn(t: list[str]) -> float | None:
        if len(t[0]) % 5 == 0:
            return None  # decided without the transformer
        _cosines(reader, t[::-1])  # a second request of the same sentences: answered from the cache
        return round(_cosines(reader, t), 3)

    reader = Gathering(Embedder(precision="float32"))
    got = reader.map(fn, items, threads=8)
    assert got == [None if len(t[0]) % 5 == 0 else c for t, c in zip(items, one_by_one, strict=True)]
    asked = 2 * sum(1 for t in items if len(t[0]) % 5)
    assert 0 < reader.calls < asked

    def fails(t: list[str]) -> float:
        if t is items[7]:
            raise ValueError("this pair cannot be read")
        return _cosines(reader, t)

    with pytest.raises(ValueError, match="cannot be read"):
        reader.map(fails, items, threads=8)


@pytest.mark.parametrize("precision", ["float32", pytest.param("bf16", marks=needs_bf16)])
def test_a_dropped_embedder_is_freed_at_once(precision: str) -> None:
    """No reference cycle holds a loaded model: dropped, it is freed there and then, not later by the
    collector in whatever thread or forked worker runs it (where OpenVINO's destructor waits forever
    on executor threads a fork did not copy)."""
    import gc
    import weakref

    emb = Embedder(precision=precision, threads=1)
    emb.embed(["The ferry sailed at noon."])
    gone = weakref.ref(emb)
    gc.disable()
    try:
        del emb
        assert gone() is None
    finally:
        gc.enable()
