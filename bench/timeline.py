"""Where a run's wall time goes: the driver's CPU and its workers' CPU, second by second, beside the
phase the driver is in. A stretch where the driver works and the workers idle (or the reverse) is what
a 2-core machine cannot overlap: the wall goals (CPU/wall >= 1.8) need those short.

The run (``pipeline.run``, as ``engine_bench.py`` runs it) is a child process whose phases are logged
with their start and end (each ``local.timed`` block: ingest, clean, candidates, relate, stories; and
inside them the calls named in ``PHASES``); this process samples ``/proc`` every ``--every`` seconds for
the CPU of the child and of each of its worker processes. Printed: per phase, wall seconds, the
driver's and the workers' CPU seconds, and the seconds where only the driver was busy ("driver alone":
the driver over half a core, the workers under a quarter of one in all) or only the workers ("driver
waits" is not told apart: the driver blocked on a result is idle). ``--src`` puts an older ``src``
first on the path.

    .venv/bin/python bench/timeline.py --corpus bbc --mode lexical
    .venv/bin/python bench/timeline.py --corpus both --mode lexical --src /work/s18_base/src
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpora  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TICK = os.sysconf("SC_CLK_TCK")

# The child: every ``timed`` block and the calls in PHASES logged as (name, "start"/"end", time).
CHILD = r"""
import dataclasses, functools, importlib, json, sys, time
from contextlib import contextmanager
from wiretrace.engine import pipeline as pl, local
from wiretrace.align import AlignConfig
src, out, mode, log_path, phases = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
log = open(log_path, "w", buffering=1)
def mark(name, what):
    log.write(json.dumps([name, what, time.perf_counter()]) + "\n")
orig = local.timed
@contextmanager
def timed(stats, stage, executor=None):
    mark(stage, "start")
    try:
        with orig(stats, stage, executor):
            yield
    finally:
        mark(stage, "end")
local.timed = timed
pl.timed = timed
for dotted in phases:
    parts = dotted.split(".")
    for n in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:n]))
            break
        except ImportError:
            continue
    for name in parts[n:-1]:
        owner = getattr(owner, name)
    attr = parts[-1]
    fn = getattr(owner, attr, None)
    if fn is None:
        continue
    def wrap(fn, name):
        @functools.wraps(fn)
        def inner(*a, **k):
            mark(name, "start")
            try:
                return fn(*a, **k)
            finally:
                mark(name, "end")
        return inner
    setattr(owner, attr, wrap(fn, dotted.rsplit(".", 1)[-1]))
mark("run", "start")
report = pl.run(src, pl.RunConfig(align=AlignConfig(semantic=mode == "default")), out=out)
mark("run", "end")
print(json.dumps({"pairs": len(report.pairs), "stories": len(report.stories), "t0": time.perf_counter()}))
"""

PHASES = [
    "wiretrace.engine.local.learn",
    "wiretrace.engine.local._place",
    "wiretrace.engine.local._SketchWriter.flush",
    "wiretrace.engine.local.redecide",
    "wiretrace.engine.store.Store.update_stories",
    "wiretrace.engine.store.Store.put_pairs",
    "wiretrace.engine.story_state.keep_all",
    "wiretrace.engine.pipeline.load_report",
]


def cpu_of(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / TICK
    except (OSError, IndexError):
        return -1.0


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", choices=["reuters", "bbc", "both"], default="bbc")
    ap.add_argument("--mode", choices=["lexical", "default"], default="lexical")
    ap.add_argument("--src", help="an older src folder to time instead of the working tree's")
    ap.add_argument("--every", type=float, default=0.1)
    ap.add_argument("--limit", type=int)
    args = ap.parse_args()
    records = corpora.corpus(args.corpus)[: args.limit]
    env = dict(os.environ)
    env["PYTHONPATH"] = (args.src or str(REPO / "src")) + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory(prefix="wiretrace-timeline-", dir="/tmp") as tmp:
        jsonl = Path(tmp) / "input.jsonl"
        corpora.write_jsonl(records, jsonl)
        log = Path(tmp) / "phases.log"
        load0 = os.getloadavg()[0]
        t_start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", CHILD, str(jsonl), str(Path(tmp) / "out"), args.mode, str(log), json.dumps(PHASES)],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        samples: list[tuple[float, float, float]] = []  # (time, driver CPU, workers' CPU: cumulative)
        last: dict[int, float] = {}
        while proc.poll() is None:
            t = time.perf_counter()
            d = cpu_of(proc.pid)
            for c in children(proc.pid):
                v = cpu_of(c)
                if v >= 0:
                    last[c] = v
            if d >= 0:
                samples.append((t, d, sum(last.values())))
            time.sleep(args.every)
        out, err = proc.communicate()
        wall = time.perf_counter() - t_start
        if proc.returncode:
            raise SystemExit(err[-3000:])
        events = [json.loads(x) for x in log.read_text().splitlines()]
    # phases: (name, start, end); the child's perf_counter is the same clock as ours (CLOCK_MONOTONIC)
    opened: dict[str, list[float]] = {}
    spans: list[tuple[str, float, float]] = []
    for name, what, t in events:
        if what == "start":
            opened.setdefault(name, []).append(t)
        elif opened.get(name):
            spans.append((name, opened[name].pop(), t))

    def over(a: float, b: float) -> tuple[float, float, float, float]:
        """driver CPU, workers' CPU, driver-alone seconds, workers-only seconds within [a, b]."""
        dcpu = wcpu = alone = wonly = 0.0
        for (t0, d0, w0), (t1, d1, w1) in zip(samples, samples[1:], strict=False):
            lo, hi = max(a, t0), min(b, t1)
            if hi <= lo:
                continue
            share = (hi - lo) / max(t1 - t0, 1e-9)
            dd, dw = (d1 - d0) * share, (w1 - w0) * share
            dcpu += dd
            wcpu += dw
            if dd > 0.5 * (hi - lo) and dw < 0.25 * (hi - lo):
                alone += hi - lo
            if dd < 0.25 * (hi - lo) and dw > 0.5 * (hi - lo):
                wonly += hi - lo
        return dcpu, wcpu, alone, wonly

    print(f"timeline: {args.corpus} ({len(records)} docs), {args.mode}, {args.src or 'working tree'}; load {load0:.1f} -> {os.getloadavg()[0]:.1f}")
    print(f"process wall {wall:.1f} s; {out.strip().splitlines()[-1] if out.strip() else ''}")
    print(f"\n{'phase':<22}{'start':>8}{'wall':>8}{'drv CPU':>9}{'wrk CPU':>9}{'CPU/wall':>9}{'drv alone':>10}{'wrk only':>9}")
    base = samples[0][0] if samples else t_start
    for name, a, b in sorted(spans, key=lambda s: s[1]):
        if b - a < 0.05:
            continue
        d, w, alone, wonly = over(a, b)
        print(f"{name:<22}{a - base:>8.1f}{b - a:>8.1f}{d:>9.1f}{w:>9.1f}{(d + w) / max(b - a, 1e-9):>9.2f}{alone:>10.1f}{wonly:>9.1f}")
    if samples:
        d, w, alone, wonly = over(samples[0][0], samples[-1][0])
        print(f"{'whole (sampled)':<22}{0:>8.1f}{samples[-1][0] - samples[0][0]:>8.1f}{d:>9.1f}{w:>9.1f}"
              f"{(d + w) / max(samples[-1][0] - samples[0][0], 1e-9):>9.2f}{alone:>10.1f}{wonly:>9.1f}")
        # the first phase's start: process start-up and imports before it
        first = min((a for _, a, _ in spans), default=base)
        print(f"before the first phase (start-up, imports): {first - base:.1f} s")


if __name__ == "__main__":
    main()
