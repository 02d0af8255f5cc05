"""The stories stage alone, on a copy of a finished store: CPU and wall seconds of the stage and of its steps.

A store a whole ``wiretrace run`` left (every document at STORIED) is copied, brought back to where a
first run stands when the stories stage begins (every document at RELATED; no assignment, story, kept
story index or level-2 summary), and ``engine.local.build_stories`` runs on it with the local executor
(``--workers``, 2 by default) as ``wiretrace run`` calls it. The original store is only read.

Printed per version: the stage's CPU (this process and the workers') and wall seconds, and the CPU and
wall of its steps on the driver (placing: summaries, level 1 + 2; reading what the trace needs; the
trace, whose CPU is mostly the workers'; writing the stories), measured by wrapping the functions of
the version on the path, with the CPU the workers spent on the step's batches (placing's: each
document's own profile and index keys, where the version makes them in the workers). ``--before SRC`` runs an older ``src`` (first on ``PYTHONPATH``) and this tree
one after the other, each in a fresh subprocess on its own copy, and says whether the two left the same
assignment and the same stories (every story's JSON as stored: members, origin, tree, consolidated text).

    .venv/bin/python bench/stories_stage.py --store /tmp/s11/user/wiretrace.sqlite --before /work/s12_base/src
    .venv/bin/python bench/stories_stage.py --store STORE --lexical --profile 30   # cProfile of the driver
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

RESET = """
UPDATE documents SET stage = 3 WHERE stage > 3;
DELETE FROM assignments; DELETE FROM stories; DELETE FROM unplaced;
DELETE FROM summaries; DELETE FROM summary_df;
DELETE FROM story_profiles; DELETE FROM story_postings; DELETE FROM story_dirty;
DELETE FROM meta WHERE key = 'story_state';
"""


def child(store_path: str, lexical: bool, workers: int, profile: int, dump: str) -> None:
    """Run the stories stage of the version on the path on ``store_path`` (a copy, reset here)."""
    import cProfile
    import pstats
    import sqlite3

    from wiretrace.align import AlignConfig
    from wiretrace.engine import local
    from wiretrace.engine import store as st
    from wiretrace.stages import RunConfig

    assert st.RELATED == 3 and st.STORIED == 4, "the stage numbers this script resets to"
    db = sqlite3.connect(Path(store_path) / "wiretrace.sqlite")
    db.executescript(RESET)
    db.commit()
    db.close()
    config = RunConfig(align=AlignConfig(semantic=not lexical), workers=workers)
    store = st.Store(store_path)
    steps: dict[str, list[float]] = {}
    held: list = []  # the executor, once made: a step's workers' CPU is what it adds to ``worker_cpu``

    def wrap(owner: object, name: str, label: str) -> None:
        fn = getattr(owner, name, None)
        if fn is None:
            return

        def timed(*a, **k):  # type: ignore[no-untyped-def]
            c0, w0, k0 = time.process_time(), time.perf_counter(), held[0].worker_cpu if held else 0.0
            try:
                return fn(*a, **k)
            finally:
                s = steps.setdefault(label, [0.0, 0.0, 0.0])
                s[0] += time.process_time() - c0
                s[1] += time.perf_counter() - w0
                s[2] += (held[0].worker_cpu if held else 0.0) - k0

        setattr(owner, name, timed)

    wrap(local, "story_summaries", "place: summaries (read + make)")
    wrap(local, "build_index", "place: level 1 + 2 (build_index)")
    wrap(local, "_place", "place: all")
    wrap(st.Store, "sketches", "read: sketches")
    wrap(st.Store, "pairs_touching", "read: pairs")
    wrap(local, "prepared", "read: documents, cleaning")
    wrap(st.Store, "update_stories", "write: stories")
    ex = local.executor_for(store, config)
    held.append(ex)
    prof = cProfile.Profile() if profile else None
    c0, w0, k0 = time.process_time(), time.perf_counter(), ex.worker_cpu
    if prof:
        prof.enable()
    local.build_stories(store, config, local.quiet, ex.embedder, ex)
    if prof:
        prof.disable()
    cpu, wall, kcpu = time.process_time() - c0, time.perf_counter() - w0, ex.worker_cpu - k0
    ex.close()
    out = {"cpu": cpu + kcpu, "driver_cpu": cpu, "worker_cpu": kcpu, "wall": wall, "workers": ex.workers, "steps": steps}
    if prof:
        s = pstats.Stats(prof, stream=sys.stderr)
        s.sort_stats("cumulative").print_stats(profile)
        s.sort_stats("tottime").print_stats(profile)
    rows = store.db.execute("SELECT id, body FROM stories ORDER BY id").fetchall()
    asg = store.db.execute("SELECT doc_id, story FROM assignments ORDER BY doc_id").fetchall()
    out["stories"] = len(rows)
    out["stories_sha"] = hashlib.sha256(json.dumps([[i, json.loads(b)] for i, b in rows], sort_keys=True).encode()).hexdigest()
    out["assign_sha"] = hashlib.sha256(json.dumps(asg).encode()).hexdigest()
    if dump:
        Path(dump).write_text(json.dumps({"stories": {i: json.loads(b) for i, b in rows}, "assign": dict(asg)}, sort_keys=True))
    print("RESULT " + json.dumps(out))


def run_version(src: str, store: Path, tmp: Path, args: argparse.Namespace, tag: str) -> dict:
    folder = tmp / tag
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "wiretrace.sqlite"
    shutil.copyfile(store, copy)
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=src)
    argv = [sys.executable, __file__, "--child", str(folder), "--workers", str(args.workers), "--profile", str(args.profile),
            *(["--lexical"] if args.lexical else []), *(["--dump-to", str(tmp / f"{tag}.json")] if args.dump else [])]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"stories_stage: the run of {src} failed:\n{proc.stderr[-4000:]}")
    if args.profile:
        print(f"--- profile of {tag} ({src})\n{proc.stderr[-20000:]}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    copy.unlink()
    return dict(json.loads(line[7:]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", type=Path, help="a finished store (read only; copied)")
    ap.add_argument("--before", help="an older src folder to run first, in the same run")
    ap.add_argument("--lexical", action="store_true", help="the store was made with --lexical-only")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--profile", type=int, default=0, help="cProfile of the driver: top N functions")
    ap.add_argument("--dump", action="store_true", help="keep each version's stories and assignment as JSON in the temp dir")
    ap.add_argument("--tmp", type=Path, help="where the copies go (default: a new temp dir)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--dump-to", dest="dump_path", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.lexical, args.workers, args.profile, args.dump_path or "")
        return
    if args.store is None:
        ap.error("--store is required")
    tmp = args.tmp or Path(tempfile.mkdtemp(prefix="stories_stage_"))
    tmp.mkdir(parents=True, exist_ok=True)
    versions = ([("before", args.before)] if args.before else []) + [("after", str(REPO / "src"))]
    load0 = os.getloadavg()
    res = {tag: run_version(src, args.store, tmp, args, tag) for tag, src in versions}
    print(f"stories stage on {args.store} ({'lexical' if args.lexical else 'default'} mode), {args.workers} workers; "
          f"load average at start {load0[0]:.2f}, at end {os.getloadavg()[0]:.2f}")
    print(f"{'':38s}" + "".join(f"{t:>26s}" for t in res))
    for key in ("cpu", "driver_cpu", "worker_cpu", "wall"):
        print(f"{key:38s}" + "".join(f"{r[key]:26.2f}" for r in res.values()))
    labels = sorted({k for r in res.values() for k in r["steps"]})
    for k in labels:
        print(f"{k:38s}" + "".join(f"{r['steps'][k][0]:7.2f} / {r['steps'][k][1]:6.2f} / {r['steps'][k][2]:5.2f} " if k in r["steps"]
                                    else f"{'-':>26s}" for r in res.values()) + "  (driver CPU / wall / workers' CPU)")
    if "before" in res:
        b, a = res["before"], res["after"]
        print(f"CPU ratio before/after {b['cpu'] / a['cpu']:.2f}, wall ratio {b['wall'] / a['wall']:.2f}")
        same = b["stories_sha"] == a["stories_sha"] and b["assign_sha"] == a["assign_sha"]
        print(f"stories {b['stories']} / {a['stories']}; same assignment and stories: {same}")
    if args.dump:
        print(f"dumps in {tmp}")


if __name__ == "__main__":
    main()
