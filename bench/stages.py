"""Where a whole run spends its time: CPU and wall seconds per pipeline stage on real corpora.

The issue's goal for the relate stage (candidates + alignment + relation of every candidate pair) is
to cost under three times the sketch stage (MinHash, anchors, names and topic of every document).
This script runs the pipeline's stage functions one after another in this process, on a fresh store,
and times each with ``time.process_time`` (CPU of the whole process, every thread) and the wall
clock; the ratio relate / sketch is the figure the goal is about. Where the code under test records
its own split of the relate stage (``Stats.cpu_s``: "candidates", "relate"), it is printed too, with
the number of candidate pairs and of those related by the identical-body fast path.

    .venv/bin/python bench/stages.py                            # Reuters + BBC, --lexical-only
    .venv/bin/python bench/stages.py --corpus bbc --mode default [--no-embedding-path]
    .venv/bin/python bench/stages.py --profile 25               # and the relate stage's top 25 functions

To measure a fixed commit against the working tree, put its ``src`` first on the path (see README).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpora  # noqa: E402
import dedup_eval  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"


def run_stages(jsonl: Path, out: Path, lexical: bool, profile: int, embedding_path: bool = True) -> dict:
    import dataclasses

    from wiretrace import pipeline as pl
    from wiretrace import store as st
    from wiretrace.align import AlignConfig
    from wiretrace.candidates import CandidateConfig
    from wiretrace.embed import Embedder

    config = pl.RunConfig(align=AlignConfig(semantic=not lexical))
    if not embedding_path and hasattr(CandidateConfig(), "embedding"):
        config = dataclasses.replace(config, candidates=dataclasses.replace(config.candidates, embedding=False))
    stats = pl.Stats()
    progress = pl._quiet
    store = st.Store(out)
    embedder = Embedder(cache=store.embedding_cache())
    cpu: dict[str, float] = {}
    wall: dict[str, float] = {}
    prof = cProfile.Profile() if profile else None

    def stage(name: str, fn, *args):  # type: ignore[no-untyped-def]
        c0, w0 = time.process_time(), time.perf_counter()
        if prof is not None and name == "relate stage":
            prof.enable()
        result = fn(*args)
        if prof is not None and name == "relate stage":
            prof.disable()
        cpu[name] = time.process_time() - c0
        wall[name] = time.perf_counter() - w0
        return result

    try:
        stage("ingest", pl.ingest_into, store, [jsonl], config, progress, stats)
        boiler = stage("learn", pl.learn, store, config, stats)
        stage("clean", pl.clean_pending, store, boiler, config, progress, stats)
        stage("sketch", pl.sketch_pending, store, config, progress, stats)
        if getattr(pl, "uses_embedding_path", None) and pl.uses_embedding_path(config):
            from wiretrace.static import StaticEmbedder

            static = StaticEmbedder()
            _ = static.table  # loading (or building) the cached table is not the relate stage's work
            stage("relate stage", pl.relate_pending, store, config, progress, stats, embedder, static)
        else:
            stage("relate stage", pl.relate_pending, store, config, progress, stats, embedder)
        stage("stories", pl.build_stories, store, config, progress, embedder)
    finally:
        store.close()
    split = getattr(stats, "cpu_s", {}) or {}
    result = {
        "cpu_s": {k: round(v, 2) for k, v in cpu.items()},
        "wall_s": {k: round(v, 2) for k, v in wall.items()},
        "relate_split_cpu_s": {k: round(split[k], 2) for k in ("candidates", "relate") if k in split},
        "candidates": stats.candidates,
        "aligned": stats.aligned,
        "fast_duplicates": getattr(stats, "fast_duplicates", None),
        "embedded": stats.embedded,
        "ratio_relate_over_sketch": round(cpu["relate stage"] / max(cpu["sketch"], 1e-9), 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if prof is not None:
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(profile)
        result["profile"] = buf.getvalue()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", choices=["reuters", "bbc", "both"], default="both")
    ap.add_argument("--mode", choices=["lexical", "default"], default="lexical")
    ap.add_argument("--limit", type=int, help="only the first N records")
    ap.add_argument("--profile", type=int, default=0, help="print the relate stage's top N functions (cProfile)")
    ap.add_argument("--no-embedding-path", action="store_true", help="semantic mode without the embedding candidates")
    args = ap.parse_args()

    import wiretrace

    records = corpora.corpus(args.corpus)[: args.limit]
    n = len(records)
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="wiretrace-stages-") as tmp:
        jsonl = Path(tmp) / "input.jsonl"
        corpora.write_jsonl(records, jsonl)
        print(f"running the stages on {args.corpus} ({n} docs, {args.mode}) ...", file=sys.stderr, flush=True)
        r = run_stages(jsonl, Path(tmp) / "out", args.mode == "lexical", args.profile, not args.no_embedding_path)
    load1 = os.getloadavg()
    m = dedup_eval.machine()
    mode = args.mode + (", no embedding path" if args.no_embedding_path else "")
    print(
        f"\nwiretrace stage times on {args.corpus} ({n} docs, {mode}; {m['node']}, {m['cores']} cores, "
        f"wiretrace {Path(wiretrace.__file__).parent.parent}, {datetime.now(UTC).isoformat(timespec='seconds')})"
    )
    print(f"1-min load average before/after: {load0[0]:.2f} / {load1[0]:.2f}\n")
    print(f"{'stage':<14}{'CPU s':>9}{'wall s':>9}{'docs/CPU-s':>12}")
    for k, c in r["cpu_s"].items():
        print(f"{k:<14}{c:>9.2f}{r['wall_s'][k]:>9.2f}{n / max(c, 1e-9):>12,.0f}")
    for k, c in r["relate_split_cpu_s"].items():
        print(f"  {k:<12}{c:>9.2f}")
    print(
        f"\nrelate stage / sketch stage (CPU): {r['ratio_relate_over_sketch']:.2f} (goal: under 3)\n"
        f"candidate pairs {r['candidates']:,}; aligned {r['aligned']:,}; identical-body fast path "
        f"{r['fast_duplicates'] if r['fast_duplicates'] is not None else '-'}; sentences embedded {r['embedded']:,}; "
        f"peak RSS {r['peak_rss_mib']} MiB"
    )
    if "profile" in r:
        print("\nrelate stage profile (cumulative):\n" + r.pop("profile"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    dest = RESULTS / "stages.json"
    payload = {"corpus": args.corpus, "mode": args.mode, "docs": n, "load_1min": [load0[0], load1[0]], **r}
    dest.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    print(f"wrote {dest}")


if __name__ == "__main__":
    main()
