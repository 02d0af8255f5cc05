"""Every MiniLM cosine the semantic pass reads in the relate stage, by purpose, and which of them decide.

The relate stage runs in this process (one worker, cold embedding cache) on a store prepared up to
``sketch`` (``semantic_eval.py --prepared DIR`` makes one), with the semantic pass's readers wrapped:

* **lead**: the lead test's MiniLM cosine (no verbatim link; the static cosine of the leads between
  ``lead_below`` and ``lead_above``): how many stop the pass (under ``lead_cos``) and how many let it
  go on, by band of the static cosine (how far the static one is from settling it);
* **doc**: the document cosine measured on the leads where the static bounds leave it open;
* **sentence**: a sentence pair the bounds cannot settle (``sentence_settled``): how many reach the
  cosine floor, and how many matches the pass made; the envelope's slack (its bound
  less the MiniLM cosine) and its violations (MiniLM above the bound);
* **split**: a neighbour of a match read for a one-to-two match: how many joined.

Sentences embedded (cache misses) are charged to the purpose that asked first.

    .venv/bin/python bench/semantic_reads.py --prepared /tmp/s13h1/prep_bbc
    .venv/bin/python bench/semantic_reads.py --prepared /tmp/s13h1/prep_both --sample 0.05
    .venv/bin/python bench/semantic_reads.py --batch-sizes 2 4 8 16 64
    .venv/bin/python bench/semantic_reads.py --ceiling

``--ceiling``: how far MiniLM itself could get faster with the same numbers. It runs the shipped model
on 900 real BBC sentences at the aligner's batch size (4, one onnxruntime thread, as each engine worker
runs it), counts the multiply-adds of its dense layers per token (6 layers of 384 wide, feed-forward
1,536: query, key, value, output and the two feed-forward products), and compares the rate achieved with
numpy's float32 matrix product (its BLAS on one thread, in a child process) on the same shapes at 24, 96
and 512 rows. What float32 arithmetic on this core allows is the last row's rate.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))


def run(folder: Path, sample: float | None) -> None:
    import wiretrace.align.stage  # noqa: F401  (its semantic_pass is wrapped)
    from wiretrace.align import AlignConfig
    from wiretrace.align import semantic as sem
    from wiretrace.align.bounds import semantic_bounds
    from wiretrace.embed.files import sentence_key
    from wiretrace.embed.minilm import Embedder
    from wiretrace.embed.static import StaticEmbedder
    from wiretrace.engine import local as engine
    from wiretrace.engine import pipeline as pl
    from wiretrace.engine import store as st

    config = pl.RunConfig(align=AlignConfig(semantic=True))
    bounds = semantic_bounds()
    purpose = {"now": "other"}
    charged: Counter[str] = Counter()
    lead: list[tuple[float, float]] = []
    doc: list[float] = []
    cells: list[tuple[float, float, float]] = []  # static, bound, MiniLM
    matched = Counter[str]()
    split: list[tuple[float, float]] = []  # static, MiniLM
    state: dict[str, Any] = {"static_lead": None}

    class Counting(Embedder):
        def embed(self, texts):  # type: ignore[no-untyped-def]
            new = {k for k in (sentence_key(t) for t in texts) if k not in self.cache}
            charged[purpose["now"]] += len(new)
            return super().embed(texts)

    mean_cos = sem.mean_cos

    def traced_mean(va: np.ndarray, vb: np.ndarray) -> float:
        c = mean_cos(va, vb)
        if va.shape[1] != 384:
            if len(va) <= config.align.lead:
                state["static_lead"] = c
        elif purpose["now"] == "lead":
            lead.append((state["static_lead"], c))
        elif purpose["now"] == "doc":
            doc.append(c)
        return c

    embed_orig = Counting.embed

    def embed_by_caller(self, texts):  # type: ignore[no-untyped-def]
        # The lead test and the document cosine call the embedder from semantic_pass itself.
        caller: Any = sys._getframe(1)
        while caller is not None and caller.f_code.co_name not in ("semantic_pass", "fill"):
            caller = caller.f_back
        if caller is not None and caller.f_code.co_name == "semantic_pass":
            line = _line(caller)
            purpose["now"] = "doc" if "doc_sentences" in line else "lead" if "lead_cos" in line else "every sentence"
        return embed_orig(self, texts)

    fill_orig = sem._LazyVectors.fill
    stage = sys.modules["wiretrace.align.stage"]
    pass_orig = stage.semantic_pass

    def fill(self, sims: np.ndarray, want: list[tuple[int, int]]) -> None:  # type: ignore[no-untyped-def]
        # The pass asks for the cells it reads twice: the sentence pairs (``need``), then split neighbours.
        kind = "sentence" if "need)" in _line(sys._getframe(1)) else "split"
        unknown = [(x, y) for x, y in want if np.isnan(sims[x, y])]
        purpose["now"] = kind
        fill_orig(self, sims, want)
        static_sims = sys._getframe(1).f_locals.get("static_sims")
        for x, y in unknown:
            st_ = float(static_sims[x, y]) if static_sims is not None else float("nan")
            if kind == "split":
                split.append((st_, float(sims[x, y])))
            else:
                cells.append((st_, bounds.sentence_bound(st_), float(sims[x, y])))

    def semantic_pass(*args: Any, **kwargs: Any) -> Any:
        passages = args[10] if len(args) > 10 else kwargs["passages"]
        n = len(passages)
        out = pass_orig(*args, **kwargs)
        matched["sentence pairs matched"] += len(passages) - n
        return out

    sem.mean_cos = traced_mean
    sem._LazyVectors.fill = fill  # type: ignore[method-assign,assignment]
    setattr(stage, "semantic_pass", semantic_pass)  # noqa: B010
    Counting.embed = embed_by_caller  # type: ignore[method-assign]
    store = st.Store(folder)
    static = StaticEmbedder()
    _ = static.table
    embedder = Counting(cache=store.embedding_cache(), static=static)
    n_docs = len(store.all_ids())
    if sample is not None:
        ids = store.all_ids()
        keep = set(random.Random(7).sample(ids, max(1, round(len(ids) * sample))))
        store.set_stage([i for i in ids if i not in keep], st.RELATED)
        n_docs = len(keep)
    stats = pl.Stats()
    try:
        c0 = time.process_time()
        engine.relate_pending(store, config, pl._quiet, stats, embedder, static)
        cpu = time.process_time() - c0
    finally:
        store.close()
    total = sum(charged.values())
    print(f"relate stage: {cpu:.1f} CPU s (one process, MiniLM on its default threads); {stats.candidates:,} candidate pairs; "
          f"{embedder.embedded:,} sentences embedded ({embedder.embedded / max(n_docs, 1):.2f} per document of {n_docs:,})")
    print("sentences embedded by the purpose that asked first: " + ", ".join(f"{k} {v:,} ({v / max(total, 1):.0%})" for k, v in charged.most_common()))
    lc = config.align.lead_cos
    if lead:
        m = np.array([b for _, b in lead])
        s = np.array([a for a, _ in lead])
        print(f"\nlead cosines read: {len(lead):,}; stop the pass (MiniLM < {lc}): {(m < lc).sum():,}; go on: {(m >= lc).sum():,}")
        print(f"  static lead band: settled below {bounds.lead_below}, above {bounds.lead_above}")
        for lo, hi in ((bounds.lead_below, 0.45), (0.45, 0.55), (0.55, 0.65), (0.65, 0.75), (0.75, bounds.lead_above)):
            sel = (s >= lo) & (s < hi)
            if sel.any():
                print(f"  static [{lo:.2f}, {hi:.2f}): {sel.sum():>5,} read, MiniLM {m[sel].min():.2f}..{m[sel].max():.2f}, stop {(m[sel] < lc).sum():,}")
    if doc:
        print(f"document cosines read on the leads: {len(doc):,}")
    if cells:
        c = np.array(cells)
        print(f"\nsentence-pair cosines read: {len(c):,}; at or above paraphrase_cos {config.align.paraphrase_cos}: "
              f"{(c[:, 2] >= config.align.paraphrase_cos).sum():,}; sentence matches made (passages): {matched['sentence pairs matched']:,}")
        print(f"  envelope slack (bound - MiniLM): median {np.median(c[:, 1] - c[:, 2]):.3f}; violations (MiniLM above the bound): {(c[:, 2] > c[:, 1]).sum()}")
    if split:
        p = np.array(split)
        print(f"split neighbours read: {len(p):,}; at or above split_cos {config.align.split_cos} (joined): {(p[:, 1] >= config.align.split_cos).sum():,}; "
              f"static under 0.2: {(p[:, 0] < 0.2).sum():,} read, {((p[:, 0] < 0.2) & (p[:, 1] >= config.align.split_cos)).sum()} joined")


def _bbc_sentences(n: int) -> list[str]:
    """``n`` real BBC sentences of four words or more, from the first 400 articles, shuffled (seed 1)."""
    import corpora
    from wiretrace.text.tokens import sentences

    texts: list[str] = []
    for record in corpora.corpus("bbc")[:400]:
        text = record["text"] or ""
        texts += [text[s:e] for s, e in sentences(text) if len(text[s:e].split()) >= 4]
    random.Random(1).shuffle(texts)
    return texts[:n]


def batch_sizes(sizes: list[int], n: int) -> None:
    """CPU seconds to embed ``n`` real BBC sentences (four words or more, shuffled, seed 1) at each batch
    size, one onnxruntime thread (as each engine worker runs it), cold cache each time: whether batching
    the sentences of many pairs together would pay."""
    from wiretrace.embed.minilm import Embedder

    texts = _bbc_sentences(n)
    embedder = Embedder(threads=1)
    embedder.embed(["a sentence to load the model"])
    print(f"{len(texts):,} BBC sentences, {np.mean([len(t.split()) for t in texts]):.1f} words on average, one thread:")
    for size in sizes:
        embedder.cache.clear()
        c0 = time.process_time()
        for i in range(0, len(texts), size):
            embedder.embed(texts[i : i + size])
        cpu = time.process_time() - c0
        print(f"  batch {size:>3}: {cpu:6.2f} CPU s, {len(texts) / cpu:5.0f} sentences per CPU-second")


# all-MiniLM-L6-v2's dimensions (the model card's; the ONNX file is the same network)
LAYERS, WIDTH, FEED = 6, 384, 1536
GEMM_ROWS = (24, 96, 512)
GEMM_CHILD = """
import sys, time
import numpy as np
width, feed = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(1)
w1 = rng.random((width, feed), dtype=np.float32); w2 = rng.random((feed, width), dtype=np.float32)
for rows in map(int, sys.argv[3:]):
    a = rng.random((rows, width), dtype=np.float32)
    reps = max(1, 40000 // rows)
    c0 = time.process_time()
    for _ in range(reps):
        (a @ w1) @ w2
    print(rows, 4 * rows * width * feed * reps / (time.process_time() - c0) / 1e9)
"""


def ceiling(n: int, batch: int = 4) -> None:
    """MiniLM's dense-layer GFLOP/s on one thread against numpy's float32 GEMM on the same shapes."""
    import subprocess

    from wiretrace.embed.files import load_tokenizer
    from wiretrace.embed.minilm import Embedder

    texts = _bbc_sentences(n)
    embedder = Embedder(threads=1)
    embedder.embed(["a sentence to load the model"])
    tok = load_tokenizer()
    tok.enable_truncation(embedder.max_tokens)
    tokens = sum(len(e.ids) for e in tok.encode_batch(texts))
    c0 = time.process_time()
    for i in range(0, len(texts), batch):
        embedder.embed(texts[i : i + batch])
    cpu = time.process_time() - c0
    flops_per_token = LAYERS * 2 * (4 * WIDTH * WIDTH + 2 * WIDTH * FEED)
    achieved = tokens * flops_per_token / cpu / 1e9
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", GEMM_CHILD, str(WIDTH), str(FEED), *map(str, GEMM_ROWS)],
                         env=env, capture_output=True, text=True, check=True).stdout
    gemm = {int(r): float(g) for r, g in (line.split() for line in out.splitlines())}
    print(f"{len(texts):,} BBC sentences, {tokens / len(texts):.1f} tokens each, batch {batch}, one thread: "
          f"{cpu:.2f} CPU s, {len(texts) / cpu:.0f} sentences and {tokens / cpu:,.0f} tokens per CPU-second")
    print(f"  MiniLM's dense layers: {flops_per_token / 1e6:.1f} MFLOP a token, {achieved:.1f} GFLOP/s achieved "
          f"(attention, layer norms and the rest not counted)")
    for rows, rate in gemm.items():
        print(f"  numpy float32 GEMM {rows:>3} x {WIDTH} x {FEED} and back, one thread: {rate:6.1f} GFLOP/s "
              f"(x{rate / achieved:.2f} MiniLM's rate)")


def _line(frame: Any) -> str:
    import linecache

    return linecache.getline(frame.f_code.co_filename, frame.f_lineno)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prepared", type=Path, help="a folder semantic_eval.py --prepared made (its prepared/ store is copied)")
    ap.add_argument("--sample", type=float, help="relate only the candidate pairs of this share of the documents (seed 7, as semantic_eval.py)")
    ap.add_argument("--batch-sizes", type=int, nargs="+", help="instead: MiniLM's CPU per sentence at these batch sizes (e.g. 2 4 8 16 64)")
    ap.add_argument("--ceiling", action="store_true", help="instead: MiniLM's rate against float32 GEMM on this core (see above)")
    args = ap.parse_args()
    if args.ceiling:
        ceiling(900)
        print(f"load average {os.getloadavg()[0]:.2f}")
        return
    if args.batch_sizes:
        batch_sizes(args.batch_sizes, 900)
        return
    if args.prepared is None:
        ap.error("give --prepared DIR (or --batch-sizes, or --ceiling)")
    with tempfile.TemporaryDirectory(prefix="wiretrace-semreads-", dir="/tmp") as tmp:
        work = Path(tmp) / "run"
        shutil.copytree(args.prepared / "prepared", work)
        run(work, args.sample)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
