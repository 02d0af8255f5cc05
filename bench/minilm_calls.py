"""MiniLM's calls in the relate stage, before and after, in one run: how many sentences each call holds,
their CPU, and whether each sentence's vector and every relation stay the same.

Two measures, each version in its own Python process (``--before SRC`` put first on the path, the
working tree's ``src`` after):

* **vectors**: the first ``--sentences`` distinct sentences (split at full stops) of the corpus's
  documents, embedded in one ``Embedder.embed`` call in bfloat16; the vectors of both versions are
  compared bit for bit, and the CPU seconds printed.
* **relate**: the relate stage of the corpus (default mode), in this process with one worker, on a
  store prepared up to the sketch stage once (``--prepared DIR`` keeps it); MiniLM's calls are counted
  (the embedder's loaded runner, wrapped), with the CPU seconds spent in them, and a digest of the
  stored relations is compared.

    .venv/bin/python bench/minilm_calls.py --corpus bbc --before /work/s18_base/src --prepared /tmp/mc_prep
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

HERE = Path(__file__).resolve().parent


def _child_vectors(corpus: str, n: int, out: str) -> None:
    import numpy as np

    import corpora
    from wiretrace.embed.minilm import Embedder

    records = corpora.bbc_records() if corpus == "bbc" else list(corpora.reuters_records()) + list(corpora.bbc_records())
    seen: dict[str, None] = {}
    for r in records:
        for s in re.split(r"(?<=[.!?])\s+", r["text"]):
            if len(s) > 20:
                seen.setdefault(s)
        if len(seen) >= n:
            break
    texts = list(seen)[:n]
    emb = Embedder(precision="bf16", threads=1)
    emb.embed(["A first sentence loads the model."])
    c0 = time.process_time()
    vecs = emb.embed(texts)
    cpu = time.process_time() - c0
    np.save(out, vecs)
    print(json.dumps({"sentences": len(texts), "cpu": cpu}))


def _child_relate(store_dir: str) -> None:
    import wiretrace.engine.pipeline as pl
    from wiretrace.align import AlignConfig
    from wiretrace.embed import minilm
    from wiretrace.embed.static import StaticEmbedder
    from wiretrace.engine import local as engine
    from wiretrace.engine import store as st

    calls = {"calls": 0, "sentences": 0, "minilm_cpu": 0.0}
    load = minilm.Embedder._load

    def counted_load(self: minilm.Embedder):  # type: ignore[no-untyped-def]
        run = load(self)

        def counted(texts):  # type: ignore[no-untyped-def]
            c = time.process_time()
            out = run(texts)
            calls["minilm_cpu"] += time.process_time() - c
            calls["calls"] += 1
            calls["sentences"] += len(texts)
            return out

        return counted

    minilm.Embedder._load = counted_load  # type: ignore[method-assign]
    config = pl.RunConfig(align=AlignConfig(semantic=True))
    s = st.Store(Path(store_dir))
    static = StaticEmbedder()
    _ = static.table
    emb = minilm.Embedder(cache=s.embedding_cache(), static=static)
    c0, w0 = time.process_time(), time.perf_counter()
    engine.relate_pending(s, config, pl._quiet, pl.Stats(), emb, static)
    cpu, wall = time.process_time() - c0, time.perf_counter() - w0
    rows = sorted(s.db.execute("SELECT a, b, relation FROM pairs"))
    s.close()
    print(json.dumps({"cpu": cpu, "wall": wall, **calls, "embedded": emb.embedded, "pairs": len(rows),
                      "digest": hashlib.sha256(repr(rows).encode()).hexdigest()[:16]}))


def _run(src: Path, *args: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=f"{src}{os.pathsep}{HERE}")
    out = subprocess.run([sys.executable, __file__, *args], env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", choices=["bbc", "both"], default="bbc")
    ap.add_argument("--before", type=Path, required=True, help="an earlier commit's src folder")
    ap.add_argument("--sentences", type=int, default=8000)
    ap.add_argument("--prepared", type=Path, help="keep (or reuse) the store prepared up to sketch here")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        if args.child[0] == "vectors":
            _child_vectors(args.child[1], int(args.child[2]), args.child[3])
        else:
            _child_relate(args.child[1])
        return
    import numpy as np

    import semantic_eval

    after = HERE.parent / "src"
    versions = {"before": args.before.resolve(), "after": after}
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="wiretrace-mc-", dir="/tmp") as tmp:
        vec: dict[str, dict[str, float]] = {}
        for name, src in versions.items():
            vec[name] = _run(src, "--before", str(src), "--child", "vectors", args.corpus, str(args.sentences), f"{tmp}/{name}.npy")
        a, b = np.load(f"{tmp}/before.npy"), np.load(f"{tmp}/after.npy")
        differ = int((a != b).any(axis=1).sum())
        prep = args.prepared / "prepared" if args.prepared else Path(tmp) / "prepared"
        if not (prep / "wiretrace.sqlite").is_file():
            prep.parent.mkdir(parents=True, exist_ok=True)
            semantic_eval.prepare(args.corpus, None, prep)
        rel: dict[str, dict[str, float]] = {}
        for name, src in versions.items():
            work = Path(tmp) / f"run-{name}"
            shutil.copytree(prep, work)
            rel[name] = _run(src, "--before", str(src), "--child", "relate", str(work))
    print(f"minilm_calls: {args.corpus}, bfloat16; load {load:.1f} -> {os.getloadavg()[0]:.1f}; "
          f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n")
    print(f"vectors: {int(vec['after']['sentences']):,} sentences in one embed call: CPU s before "
          f"{vec['before']['cpu']:.1f}, after {vec['after']['cpu']:.1f} (x{vec['before']['cpu'] / vec['after']['cpu']:.2f}); "
          f"vectors that differ: {differ}")
    print(f"\n{'relate stage':<14}{'CPU s':>8}{'wall s':>8}{'MiniLM calls':>14}{'sentences':>11}{'per call':>10}"
          f"{'MiniLM CPU s':>14}{'pairs':>8}  digest")
    for name, r in rel.items():
        print(f"{name:<14}{r['cpu']:>8.1f}{r['wall']:>8.1f}{int(r['calls']):>14,}{int(r['sentences']):>11,}"
              f"{r['sentences'] / max(r['calls'], 1):>10.1f}{r['minilm_cpu']:>14.1f}{int(r['pairs']):>8,}  {r['digest']}")
    same = rel["before"]["digest"] == rel["after"]["digest"]
    print(f"\nrelations {'identical' if same else 'DIFFERENT'}; MiniLM CPU x{rel['before']['minilm_cpu'] / max(rel['after']['minilm_cpu'], 1e-9):.2f} less, "
          f"relate stage CPU x{rel['before']['cpu'] / rel['after']['cpu']:.2f} less")


if __name__ == "__main__":
    main()
