"""MiniLM's two precisions (``embed.minilm``): float32 through onnxruntime everywhere, bfloat16 through
OpenVINO where the CPU computes it natively. The choice is told apart in the store's model record, a
store keeps the precision its vectors were made in, and worker processes embed in their caller's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from wiretrace.embed.minilm import PRECISION_ENV, Embedder, bf16_native
from wiretrace.engine.executor import Env, LocalExecutor
from wiretrace.engine.store import EMBED_MODEL, Store
from wiretrace.errors import ModelError, StoreError

from .conftest import MRPC, need_path

needs_bf16 = pytest.mark.skipif(not bf16_native(), reason="this CPU has no native bfloat16 (AMX / AVX-512 BF16) "
                                "or openvino is not installed: only the float32 path runs here")


def _precision_of(_shared: object, batch: int, env: Env) -> tuple[int, str]:
    return batch, env.embedder.precision  # type: ignore[attr-defined]


def test_unknown_precision_is_refused_with_the_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ModelError, match="precision='fp8'.*'auto', 'float32' or 'bf16'"):
        Embedder(precision="fp8")
    monkeypatch.setenv(PRECISION_ENV, "half")
    with pytest.raises(ModelError, match=PRECISION_ENV):
        Embedder()


def test_the_environment_sets_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PRECISION_ENV, "float32")
    emb = Embedder()
    assert emb.precision == "float32" and not emb.identity.endswith("; bf16")
    assert Embedder(precision="auto").precision == ("bf16" if bf16_native() else "float32")


def test_bf16_where_it_is_not_native_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wiretrace.embed.minilm.bf16_native", lambda: False)
    assert Embedder().precision == "float32"  # auto falls back
    with pytest.raises(ModelError, match="openvino.*native bfloat16"):
        Embedder(precision="bf16")


@needs_bf16
def test_bf16_vectors_keep_float32_cosines_on_real_sentences() -> None:
    """MRPC sentence pairs (real news sentences): each pair's cosine in bfloat16 is within 3e-3 of the
    float32 one (about the float16 the store keeps vectors in), and each vector is near its float32 twin."""
    need_path(MRPC)
    rows = [line.split("\t") for line in MRPC.read_text(encoding="utf-8-sig").splitlines()[1:61]]
    texts = [t for row in rows for t in (row[3], row[4])]
    f32 = Embedder(precision="float32").embed(texts)
    b16 = Embedder(precision="bf16").embed(texts)
    assert Embedder(precision="bf16").identity.endswith("; bf16")
    assert np.min(np.sum(f32 * b16, axis=1)) > 0.999
    cos32 = np.sum(f32[0::2] * f32[1::2], axis=1)
    cos16 = np.sum(b16[0::2] * b16[1::2], axis=1)
    assert np.max(np.abs(cos32 - cos16)) < 3e-3


@needs_bf16
def test_a_store_keeps_the_precision_it_was_made_in(tmp_path: Path) -> None:
    for precision in ("float32", "bf16"):
        folder = tmp_path / precision
        st = Store(folder)
        first = Embedder(cache=st.embedding_cache(), precision=precision)
        first.embed(["The port said ferries would sail again on Monday."])
        first.cache.flush()  # type: ignore[attr-defined]
        assert st.get_meta(EMBED_MODEL) == first.identity
        st.close()
        st = Store(folder)
        again = Embedder(cache=st.embedding_cache())  # auto: the store's precision, not the machine's
        assert again.precision == precision
        st.close()
    st = Store(tmp_path / "float32")
    with pytest.raises(StoreError, match="another model.*bf16"):
        Embedder(cache=st.embedding_cache(), precision="bf16")  # asked outright: refused, not mixed
    st.close()


@pytest.mark.parametrize("precision", ["float32", "auto"])
def test_workers_embed_in_their_callers_precision(precision: str) -> None:
    caller = Embedder(precision=precision)
    with LocalExecutor(2, embedder=caller) as ex:
        got = list(ex.map(_precision_of, range(4)))
    assert got == [(i, caller.precision) for i in range(4)]


@needs_bf16
def test_a_bf16_vector_does_not_depend_on_what_is_embedded_with_it() -> None:
    """bfloat16 kernels round each layer's output: a sentence embedded with others would come out a
    little otherwise than alone, and the report would change with the number of workers. Each sentence
    runs alone, so its vector is the same in any call."""
    need_path(MRPC)
    texts = [line.split("\t")[3] for line in MRPC.read_text(encoding="utf-8-sig").splitlines()[1:41]]
    together = Embedder(precision="bf16").embed(texts)
    alone = np.concatenate([Embedder(precision="bf16", threads=1).embed([t]) for t in texts])
    mixed = Embedder(precision="bf16")
    mixed.embed(texts[::3])
    assert np.array_equal(together, alone) and np.array_equal(mixed.embed(texts[::-1])[::-1], together)


@needs_bf16
def test_loading_openvino_sends_nothing_and_starts_no_thread() -> None:
    """``import openvino`` would send a usage event from a thread (openvino_telemetry); the embedder
    loads it with that module blocked, so nothing leaves the machine and a later fork stays safe."""
    import subprocess
    import sys

    code = ("import sys, threading\n"
            "from wiretrace.embed.minilm import Embedder\n"
            "Embedder(precision='bf16').embed(['A ferry sailed.'])\n"
            "print(threading.active_count(), sys.modules.get('openvino_telemetry'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["1", "None"]
