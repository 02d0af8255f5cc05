"""The relate stage before / after the semantic cascade, on one prepared store, in one run.

The stages up to ``sketch`` run once (they are not what changed) into a fresh store; the store is
copied, and the relate stage (candidates, alignment, relation of every candidate pair) runs on each
copy in a subprocess: once with the code of the base (``--base``, a ``src`` folder put first on
PYTHONPATH; make it with ``git archive main src | tar -x -C /work/h1_base``) and once with this
worktree's code, each with a cold embedding cache. Printed: CPU s and wall s of the relate stage,
sentences run through MiniLM (total and per document), candidate pairs, and the agreement of the
pair relations (same relation for the same pair key; a confusion table of the differences) and of
every related pair's stored record (its passages, offsets, kinds, scores and cosines: field by field).

    .venv/bin/python bench/semantic_eval.py --corpus bbc --base /work/h1_base/src [--workers 2] [--prepared DIR]

``--sample F``: relate only the candidate pairs of a random share F of the documents (the others are
marked related: an incremental run of that share into the rest), for Reuters + BBC; the per-document
figure then counts the sampled documents.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

REPO = Path(__file__).resolve().parents[1]


def prepare(records_corpus: str, limit: int | None, out: Path) -> int:
    import corpora
    from wiretrace.align import AlignConfig
    from wiretrace.engine import pipeline as pl
    from wiretrace.engine import store as st

    records = corpora.corpus(records_corpus)[:limit]
    jsonl = out.parent / "input.jsonl"
    corpora.write_jsonl(records, jsonl)
    config = pl.RunConfig(align=AlignConfig(semantic=True))
    stats = pl.Stats()
    store = st.Store(out)
    try:
        pl.ingest_into(store, [jsonl], config, pl._quiet, stats)
        boiler = pl.learn(store, config, stats)
        pl.clean_pending(store, boiler, config, pl._quiet, stats)
        pl.sketch_pending(store, config, pl._quiet, stats)
    finally:
        store.close()
    return len(records)


def worker(folder: Path, workers: int) -> None:
    """Run the relate stage on ``folder`` with whatever ``wiretrace`` is first on the path, in
    ``workers`` processes (CPU: this process and the workers it waited for)."""
    import resource

    import wiretrace
    from wiretrace.align import AlignConfig
    from wiretrace.embed.minilm import Embedder
    from wiretrace.embed.static import StaticEmbedder
    from wiretrace.engine import local as engine
    from wiretrace.engine import pipeline as pl
    from wiretrace.engine import store as st

    config = pl.RunConfig(align=AlignConfig(semantic=True), workers=workers)
    stats = pl.Stats()
    store = st.Store(folder)
    static = StaticEmbedder()
    _ = static.table
    embedder = Embedder(cache=store.embedding_cache(), static=static)
    try:
        ex = engine.executor_for(store, config, embedder)
        c0, w0 = time.process_time(), time.perf_counter()
        k0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        with ex:
            pl.relate_pending(store, config, pl._quiet, stats, embedder, static, ex)
        k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = time.process_time() - c0 + (k1.ru_utime - k0.ru_utime) + (k1.ru_stime - k0.ru_stime)
        wall = time.perf_counter() - w0
    finally:
        store.close()
    print(json.dumps({
        "code": str(Path(wiretrace.__file__).parent), "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
        "candidates": stats.candidates, "aligned": stats.aligned, "embedded": stats.embedded,
    }))


def relations(folder: Path) -> dict[tuple[str, str], str]:
    con = sqlite3.connect(folder / "wiretrace.sqlite")
    try:
        rows = con.execute("SELECT a, b, relation FROM pairs").fetchall()
    finally:
        con.close()
    return {(min(a, b), max(a, b)): (r or "unrelated") for a, b, r in rows}


def bodies(folder: Path) -> dict[tuple[str, str], dict]:
    """Every related pair's stored record (relation, passages with their offsets and kinds, scores and
    cosines), by pair key."""
    con = sqlite3.connect(folder / "wiretrace.sqlite")
    try:
        rows = con.execute("SELECT a, b, body FROM pairs WHERE relation IS NOT NULL").fetchall()
    finally:
        con.close()
    return {(min(a, b), max(a, b)): json.loads(body) for a, b, body in rows if body}


def compare_bodies(bb: dict[tuple[str, str], dict], bn: dict[tuple[str, str], dict]) -> None:
    """Print how many related pairs have the very same record in both runs, and in what the others differ."""
    keys = sorted(set(bb) | set(bn))
    same = sum(bb.get(k) == bn.get(k) for k in keys)
    print(f"pair records identical (relation, passages and offsets, scores and cosines): {same:,} / {len(keys):,}")
    parts: Counter[str] = Counter()
    for k in keys:
        x, y = bb.get(k), bn.get(k)
        if x == y:
            continue
        if x is None or y is None:
            parts["related on one side only"] += 1
            continue
        parts.update(f"differs in {f}" for f in sorted(set(x) | set(y)) if x.get(f) != y.get(f))
    for what, c in parts.most_common():
        print(f"  {what}: {c:,}")


def sample_documents(folder: Path, share: float) -> int:
    """Leave a random ``share`` of the prepared documents to relate (seed 7) and mark the others related:
    the relate stage then runs as an incremental run of that share into the rest. Returns their number."""
    import random

    from wiretrace.engine import store as st

    con = sqlite3.connect(folder / "wiretrace.sqlite")
    try:
        ids = [r[0] for r in con.execute("SELECT id FROM documents ORDER BY id")]
        keep = set(random.Random(7).sample(ids, max(1, round(len(ids) * share))))
        con.executemany("UPDATE documents SET stage = ? WHERE id = ?", [(st.RELATED, i) for i in ids if i not in keep])
        con.commit()
    finally:
        con.close()
    return len(keep)


def run_worker(folder: Path, src: Path, workers: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src))
    p = subprocess.run([sys.executable, __file__, "--worker", str(folder), "--workers", str(workers)], env=env,
                       capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(f"worker on {folder} with {src} failed:\n{p.stderr[-4000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", choices=["reuters", "bbc", "both"], default="bbc")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--base", type=Path, default=Path("/work/h1_base/src"), help="the base code's src folder")
    ap.add_argument("--workers", type=int, default=1, help="worker processes of the relate stage (0: every core)")
    ap.add_argument("--prepared", type=Path, help="keep (or reuse) the store prepared up to sketch here")
    ap.add_argument("--sample", type=float, help="relate only the candidate pairs of this share of the documents (e.g. 0.05)")
    ap.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.workers)
        return
    if not (args.base / "wiretrace").is_dir():
        raise SystemExit(f"no base code at {args.base}: `mkdir -p /work/h1_base && git archive main src | tar -x -C /work/h1_base`")
    with tempfile.TemporaryDirectory(prefix="wiretrace-semeval-", dir="/tmp") as tmp:
        prep = args.prepared / "prepared" if args.prepared else Path(tmp) / "prepared"
        if not (prep / "wiretrace.sqlite").is_file():
            prep.parent.mkdir(parents=True, exist_ok=True)
            (prep.parent / "n_docs").write_text(str(prepare(args.corpus, args.limit, prep)))
        n = int((prep.parent / "n_docs").read_text())
        shutil.copytree(prep, Path(tmp) / "base")
        if args.sample is not None:
            n = sample_documents(Path(tmp) / "base", args.sample)
        shutil.copytree(Path(tmp) / "base", Path(tmp) / "new")
        base = run_worker(Path(tmp) / "base", args.base.resolve(), args.workers)
        new = run_worker(Path(tmp) / "new", REPO / "src", args.workers)
        rb, rn = relations(Path(tmp) / "base"), relations(Path(tmp) / "new")
        bb, bn = bodies(Path(tmp) / "base"), bodies(Path(tmp) / "new")
    sampled = f", the candidate pairs of a {args.sample:.0%} sample" if args.sample is not None else ""
    print(f"\nrelate stage on {args.corpus}{sampled} ({n} docs, default mode, {args.workers} worker(s)), "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'':>8}{'CPU s':>9}{'wall s':>9}{'candidates':>12}{'aligned':>9}{'embedded':>10}{'per doc':>9}")
    for name, r in (("base", base), ("new", new)):
        print(f"{name:>8}{r['cpu_s']:>9.1f}{r['wall_s']:>9.1f}{r['candidates']:>12,}{r['aligned']:>9,}"
              f"{r['embedded']:>10,}{r['embedded'] / max(n, 1):>9.2f}")
    print(f"CPU base/new {base['cpu_s'] / max(new['cpu_s'], 1e-9):.2f}x, wall {base['wall_s'] / max(new['wall_s'], 1e-9):.2f}x, "
          f"sentences embedded {base['embedded'] / max(new['embedded'], 1):.2f}x fewer")
    keys = sorted(set(rb) | set(rn))
    same = sum(rb.get(k, "unrelated") == rn.get(k, "unrelated") for k in keys)
    print(f"relation agreement: {same:,} / {len(keys):,} candidate pairs ({same / max(len(keys), 1):.2%})")
    diff = Counter((rb.get(k, "unrelated"), rn.get(k, "unrelated")) for k in keys if rb.get(k, "unrelated") != rn.get(k, "unrelated"))
    if diff:
        print("differences (base -> new):")
        for (x, y), c in diff.most_common():
            print(f"  {x:>15} -> {y:<15}{c:>6}")
    compare_bodies(bb, bn)
    related = Counter(v for v in rb.values() if v != "unrelated"), Counter(v for v in rn.values() if v != "unrelated")
    print("related pairs by relation (base / new): " + ", ".join(
        f"{k} {related[0][k]}/{related[1][k]}" for k in sorted(set(related[0]) | set(related[1]))))


if __name__ == "__main__":
    main()
