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
    .venv/bin/python bench/stages.py --profile 25 --profile-stage clean --profile-stage stories
    .venv/bin/python bench/stages.py --jsonl /tmp/pile/both.jsonl --before /work/h2_base/src

``--before SRC`` runs the same stages twice, each in a fresh subprocess, one after the other: first
with the older ``src`` folder SRC first on ``PYTHONPATH`` (e.g. ``git archive main src | tar -x -C
DIR``), then with this tree's; it prints CPU and wall seconds per stage side by side with the ratio,
and checks that the two runs produced the same cleaning, pairs and stories (the report's content,
compared as canonical JSON; timing is not part of it).
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


def run_stages(
    jsonl: Path, out: Path, lexical: bool, profile: int, embedding_path: bool = True,
    profile_stages: tuple[str, ...] = ("relate stage",), digest: Path | None = None,
) -> dict:
    import dataclasses

    from wiretrace.align import AlignConfig
    from wiretrace.candidates.lexical import CandidateConfig
    from wiretrace.embed.minilm import Embedder
    from wiretrace.engine import pipeline as pl
    from wiretrace.engine import store as st

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
        if prof is not None and name in profile_stages:
            prof.enable()
        result = fn(*args)
        if prof is not None and name in profile_stages:
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
            from wiretrace.embed.static import StaticEmbedder

            static = StaticEmbedder()
            _ = static.table  # loading (or building) the cached table is not the relate stage's work
            stage("relate stage", pl.relate_pending, store, config, progress, stats, embedder, static)
        else:
            stage("relate stage", pl.relate_pending, store, config, progress, stats, embedder)
        stage("stories", pl.build_stories, store, config, progress, embedder)
        if digest is not None:
            write_digest(pl.load_report(store), digest)
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
        ps = pstats.Stats(prof, stream=buf)
        ps.sort_stats("cumulative").print_stats(profile)
        ps.sort_stats("tottime").print_stats(profile)
        result["profile"] = buf.getvalue()
    return result


def write_digest(report, dest: Path) -> None:  # type: ignore[no-untyped-def]
    """The report's content (cleaning, pairs, stories) as canonical JSON lines, one item a line."""
    import dataclasses

    def plain(x):  # type: ignore[no-untyped-def]
        return json.dumps(dataclasses.asdict(x), sort_keys=True, default=str)

    with dest.open("w", encoding="utf-8") as f:
        for i in sorted(report.cleaned):
            f.write("cleaned " + i + " " + plain(report.cleaned[i]) + "\n")
        for p in sorted(report.pairs, key=lambda p: (p.a, p.b)):
            f.write("pair " + plain(p) + "\n")
        for st in sorted(report.stories, key=lambda s: s.id):
            f.write("story " + plain(st) + "\n")


def compare_runs(argv: list[str], before: Path, tmp: Path) -> None:
    """Run the stages with ``before`` first on the path, then with this tree, each in a subprocess."""
    import subprocess

    here = REPO / "src"
    runs = {}
    for label, src in (("before", before.resolve()), ("after", here)):
        out, dig = tmp / f"{label}.json", tmp / f"{label}.digest"
        env = {**os.environ, "PYTHONPATH": str(src)}
        print(f"{label}: wiretrace from {src} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, __file__, *argv, "--result", str(out), "--digest", str(dig)], env=env, check=True)
        runs[label] = json.loads(out.read_text(encoding="utf-8"))
    b, a = runs["before"], runs["after"]
    print(f"\n{'stage':<14}{'before CPU':>11}{'after CPU':>11}{'ratio':>7}{'before wall':>13}{'after wall':>12}")
    for k in b["cpu_s"]:
        print(f"{k:<14}{b['cpu_s'][k]:>11.2f}{a['cpu_s'][k]:>11.2f}{b['cpu_s'][k] / max(a['cpu_s'][k], 1e-9):>7.2f}"
              f"{b['wall_s'][k]:>13.2f}{a['wall_s'][k]:>12.2f}")
    for k in b["relate_split_cpu_s"]:
        bc, ac = b["relate_split_cpu_s"][k], a["relate_split_cpu_s"].get(k, float("nan"))
        print(f"  {k:<12}{bc:>11.2f}{ac:>11.2f}{bc / max(ac, 1e-9):>7.2f}")
    tb, ta = sum(b["cpu_s"].values()), sum(a["cpu_s"].values())
    print(f"{'total':<14}{tb:>11.2f}{ta:>11.2f}{tb / max(ta, 1e-9):>7.2f}")
    print(f"1-min load average: before run {b['load_1min']}, after run {a['load_1min']}")
    lines_b = (tmp / "before.digest").read_text(encoding="utf-8").splitlines()
    lines_a = (tmp / "after.digest").read_text(encoding="utf-8").splitlines()
    kinds = ("cleaned", "pair", "story")
    counts = {k: sum(x.startswith(k + " ") for x in lines_b) for k in kinds}
    if lines_a == lines_b:
        print(f"identical results: {counts['cleaned']:,} cleaned, {counts['pair']:,} pairs, {counts['story']:,} stories")
    else:
        diff = {k: len({x for x in lines_b if x.startswith(k + " ")} ^ {x for x in lines_a if x.startswith(k + " ")}) for k in kinds}
        print(f"RESULTS DIFFER (lines in one run only, by kind): {diff}; before {counts}")
        sys.exit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", choices=["reuters", "bbc", "both"], default="both")
    ap.add_argument("--mode", choices=["lexical", "default"], default="lexical")
    ap.add_argument("--limit", type=int, help="only the first N records")
    ap.add_argument("--profile", type=int, default=0, help="print the relate stage's top N functions (cProfile)")
    ap.add_argument("--no-embedding-path", action="store_true", help="semantic mode without the embedding candidates")
    ap.add_argument("--profile-stage", action="append", choices=["ingest", "learn", "clean", "sketch", "relate stage", "stories"],
                    help="the stage(s) --profile covers (default: the relate stage)")
    ap.add_argument("--jsonl", type=Path, help="read this JSONL input instead of --corpus (e.g. /tmp/pile/both.jsonl)")
    ap.add_argument("--before", type=Path, help="an older src folder: run it and this tree in subprocesses, side by side")
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--digest", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.before is not None:
        argv = [a for a in sys.argv[1:]]
        i = argv.index("--before")
        del argv[i : i + 2]
        with tempfile.TemporaryDirectory(prefix="wiretrace-stages-cmp-") as tmp:
            compare_runs(argv, args.before, Path(tmp))
        return

    import wiretrace

    load0 = os.getloadavg()
    profile_stages = tuple(args.profile_stage or ("relate stage",))
    with tempfile.TemporaryDirectory(prefix="wiretrace-stages-") as tmp:
        jsonl = Path(tmp) / "input.jsonl"
        if args.jsonl is not None:
            lines = args.jsonl.read_text(encoding="utf-8").splitlines()[: args.limit]
            jsonl.write_text("".join(x + "\n" for x in lines), encoding="utf-8")
            n, args.corpus = len(lines), args.jsonl.name
        else:
            records = corpora.corpus(args.corpus)[: args.limit]
            n = len(records)
            corpora.write_jsonl(records, jsonl)
        print(f"running the stages on {args.corpus} ({n} docs, {args.mode}) ...", file=sys.stderr, flush=True)
        r = run_stages(jsonl, Path(tmp) / "out", args.mode == "lexical", args.profile, not args.no_embedding_path,
                       profile_stages, args.digest)
    load1 = os.getloadavg()
    if args.result is not None:
        args.result.write_text(json.dumps({"docs": n, "load_1min": [round(load0[0], 2), round(load1[0], 2)], **r}), encoding="utf-8")
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
        print(f"\nprofile of {', '.join(profile_stages)} (cumulative, then own time):\n" + r.pop("profile"))
    RESULTS.mkdir(parents=True, exist_ok=True)
    dest = RESULTS / "stages.json"
    payload = {"corpus": args.corpus, "mode": args.mode, "docs": n, "load_1min": [load0[0], load1[0]], **r}
    dest.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    print(f"wrote {dest}")


if __name__ == "__main__":
    main()
