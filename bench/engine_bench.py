"""The whole local engine, before and after, in one run: CPU and wall seconds per stage and in all.

Each version runs in its own Python process on the same JSONL corpus (Reuters-21578 and/or BBC News
via ``corpora.py``), into a fresh store: ``--before SRC`` is an older ``src`` folder put first on the
path (``git archive 9737da6 src | tar -x -C /work/snap_base``: under /work so ``../shared`` resolves),
the working tree's ``src`` is "after" (``--before`` repeated: several older versions, "before1", "before2",
..., each run in the order given and then this tree, in one table). Per stage: CPU seconds (the engine's own ``Stats.cpu_s``: the
main process and, for a version with worker processes, the CPU its workers spent on the stage's
batches) and wall seconds. In all: wall seconds, and CPU seconds of the process and every worker it
waited for (``getrusage(RUSAGE_CHILDREN)`` around the subprocess), their ratio (how many cores the run
kept busy), sentences embedded, and the peak resident memory of the driver and of the largest worker
(``ru_maxrss``; the workers are counted once the run has closed them). ``--html`` runs the CLI instead (``wiretrace run``, HTML outputs
on, as a user runs it) and times the whole command: totals only (the CLI prints no stage figures).

    .venv/bin/python bench/engine_bench.py --corpus bbc --mode default --before /work/snap_base/src
    .venv/bin/python bench/engine_bench.py --corpus both --mode lexical --before /work/snap_base/src
    .venv/bin/python bench/engine_bench.py --corpus both --mode lexical --before /work/snap_base/src --before /work/s15_base/src
    .venv/bin/python bench/engine_bench.py --corpus both --mode default --html       # the whole command
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpora  # noqa: E402
from versions import CLI_CODE, PIPELINE_IMPORT  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"

# Run in the child: the API run of the version first on the path, its Stats as JSON on the last line.
CHILD = PIPELINE_IMPORT + r"""
import dataclasses, json, resource, sys
from collections import Counter
from wiretrace.align import AlignConfig
src, out, mode, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
kw = {"align": AlignConfig(semantic=mode == "default")}
if "workers" in {f.name for f in dataclasses.fields(pl.RunConfig)}:
    kw["workers"] = workers
stats = pl.Stats()
report = pl.run(src, pl.RunConfig(**kw), out=out, stats=stats)
sizes = sorted((len(s.documents) for s in report.stories), reverse=True)
print(json.dumps({
    "cpu_s": stats.cpu_s, "wall_s": stats.wall_s, "embedded": stats.embedded, "candidates": stats.candidates,
    "workers": getattr(stats, "workers", 1), "pairs": len(report.pairs), "stories": len(report.stories),
    "largest": sizes[:3], "relations": dict(sorted(Counter(p.relation for p in report.pairs).items())),
    "file": pl.__file__, "rss_driver_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "rss_worker_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""

CLI = CLI_CODE


def measure(src_path: str | None, argv: list[str], code: str) -> tuple[dict, float, float]:
    """Run ``code`` with ``argv`` in a child process (``src_path`` first on its path); its JSON, wall
    seconds, and CPU seconds of it and the workers it waited for."""
    env = dict(os.environ)
    if src_path:
        env["PYTHONPATH"] = src_path + os.pathsep + env.get("PYTHONPATH", "")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, *argv], env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"engine_bench: the run failed ({src_path or 'working tree'}):\n{proc.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [x for x in proc.stdout.strip().splitlines() if x.startswith("{")]
    return (json.loads(lines[-1]) if lines else {}), wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", choices=["reuters", "bbc", "both"], default="bbc")
    ap.add_argument("--mode", choices=["lexical", "default"], default="lexical")
    ap.add_argument("--before", action="append", default=[],
                    help="an older src folder to run first, for the before/after table; repeat it for several "
                         "(each run before this tree, in the order given: one table)")
    ap.add_argument("--workers", type=int, default=0, help="worker processes of the version that has them (0: every core)")
    ap.add_argument("--html", action="store_true", help="time the whole CLI command with its HTML outputs")
    ap.add_argument("--limit", type=int, help="only the first N records")
    args = ap.parse_args()

    records = corpora.corpus(args.corpus)[: args.limit]
    names = ["before"] if len(args.before) == 1 else [f"before{n + 1}" for n in range(len(args.before))]
    versions = list(zip(names, args.before, strict=True)) + [("after", str(REPO / "src"))]
    rows: dict[str, tuple[dict, float, float]] = {}
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="wiretrace-engine-", dir="/tmp") as tmp:
        jsonl = Path(tmp) / "input.jsonl"
        corpora.write_jsonl(records, jsonl)
        for name, src in versions:
            out = Path(tmp) / f"out-{name}"
            print(f"running {name} ({src}) on {args.corpus}, {len(records)} docs, {args.mode} ...", file=sys.stderr, flush=True)
            if args.html:
                argv = ["run", str(jsonl), "--out", str(out), "-q"] + (["--lexical-only"] if args.mode == "lexical" else [])
                if name == "after" and args.workers:
                    argv += ["--workers", str(args.workers)]
                rows[name] = measure(src, argv, CLI)
            else:
                rows[name] = measure(src, [str(jsonl), str(out), args.mode, str(args.workers)], CHILD)
    load1 = os.getloadavg()
    print(f"\nengine_bench: {args.corpus} ({len(records)} docs), {args.mode} mode{', whole CLI command with HTML' if args.html else ''}; "
          f"{os.cpu_count()} cores; load {load0[0]:.1f} -> {load1[0]:.1f}; {datetime.now(UTC).isoformat(timespec='seconds')}")
    if not args.html:
        stages = [s for s in ("ingest", "clean", "sketch", "candidates", "relate", "stories")
                  if any(s in r[0].get("cpu_s", {}) for r in rows.values())]
        head = "".join(f"{n + ' CPU':>14}{n + ' wall':>14}" for n in rows)
        print(f"\n{'stage':<12}{head}")
        for s in stages:
            cells = "".join(f"{r[0]['cpu_s'].get(s, 0):>14.1f}{r[0]['wall_s'].get(s, 0):>14.1f}" for r in rows.values())
            print(f"{s:<12}{cells}")
    print(f"\n{'':<8}{'wall s':>9}{'CPU s':>9}{'CPU/wall':>9}{'workers':>8}{'embedded':>10}{'pairs':>8}{'stories':>8}{'RSS MB':>14}  largest")
    for name, (r, wall, cpu) in rows.items():
        rss = f"{r['rss_driver_mb']:.0f} / {r['rss_worker_mb']:.0f}" if "rss_driver_mb" in r else "-"
        print(f"{name:<8}{wall:>9.1f}{cpu:>9.1f}{cpu / max(wall, 1e-9):>9.2f}{r.get('workers', '-')!s:>8}"
              f"{r.get('embedded', '-')!s:>10}{r.get('pairs', '-')!s:>8}{r.get('stories', '-')!s:>8}{rss:>14}  {r.get('largest', '-')}")
    print("(RSS MB: peak resident memory of the driver / of the largest worker)")
    for name, src in zip(names, args.before, strict=False):
        (_, wb, cb), (_, wa, ca) = rows[name], rows["after"]
        print(f"\nafter vs {name} ({src}): wall x{wb / max(wa, 1e-9):.2f} faster, CPU x{cb / max(ca, 1e-9):.2f} less")
        rb, ra = rows[name][0].get("relations"), rows["after"][0].get("relations")
        if rb is not None:
            print(f"relations {name} {rb}\nrelations after  {ra}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    dest = RESULTS / f"engine_{args.corpus}_{args.mode}{'_html' if args.html else ''}.json"
    dest.write_text(json.dumps({k: {"report": v[0], "wall_s": v[1], "cpu_s": v[2]} for k, v in rows.items()}, indent=1),
                    encoding="utf-8")
    print(f"wrote {dest}")


if __name__ == "__main__":
    main()
