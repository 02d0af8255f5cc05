"""Does a change keep the answers? The same ``wiretrace run`` by an earlier commit and by the working tree,
on one real corpus, in one script run: whether the two ``report.json`` are identical (else the first
difference, named), and each run's wall and CPU seconds.

A refactor (issue 18's package layout, typed contracts, weights as data files) must leave every
answer as it was; this prints the proof on real data rather than on the curated test sets.

    git archive cc9e0d5 src | tar -x -C /work/s9_base      # under /work so ../shared resolves
    .venv/bin/python bench/same_report.py --before /work/s9_base/src --corpus bbc --mode lexical
    .venv/bin/python bench/same_report.py --before /work/s9_base/src --corpus both --mode default --html
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
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpora  # noqa: E402
from versions import cli_command  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def run(src: str, jsonl: Path, out: Path, mode: str, html: bool) -> tuple[float, float]:
    """``wiretrace run`` of the version in ``src`` (first on the path); its wall and CPU seconds."""
    env = dict(os.environ, HF_HUB_OFFLINE="1", PYTHONPATH=src)
    argv = ["run", str(jsonl), "--out", str(out), "--quiet", *(["--lexical-only"] if mode == "lexical" else []),
            *([] if html else ["--no-html"])]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cli_command(*argv), env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"same_report: the run of {src} failed:\n{proc.stderr[-3000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def first_difference(a: Any, b: Any, where: str = "report") -> str | None:
    """Where two JSON values first differ, or None."""
    if type(a) is not type(b):
        return f"{where}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{where}.{k}: only in the {'after' if k not in a else 'before'} report"
            d = first_difference(a[k], b[k], f"{where}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            d = first_difference(x, y, f"{where}[{i}]")
            if d:
                return d
        return None if len(a) == len(b) else f"{where}: {len(a)} vs {len(b)} items"
    return None if a == b else f"{where}: {a!r} vs {b!r}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True, help="an earlier commit's src folder")
    ap.add_argument("--corpus", choices=["reuters", "bbc", "both"], default="bbc")
    ap.add_argument("--mode", choices=["lexical", "default"], default="lexical")
    ap.add_argument("--html", action="store_true", help="write the HTML outputs too (as a user's run does)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wiretrace-same-"))
    jsonl = work / f"{args.corpus}.jsonl"
    corpora.write_jsonl(corpora.corpus(args.corpus), jsonl)
    figures = {}
    for name, src in (("before", args.before), ("after", str(REPO / "src"))):
        figures[name] = run(src, jsonl, work / name, args.mode, args.html)
        print(f"{name:6s} {src}: {figures[name][0]:7.1f} s wall, {figures[name][1]:7.1f} s CPU", flush=True)
    raw = {n: (work / n / "report.json").read_bytes() for n in figures}
    if raw["before"] == raw["after"]:
        verdict = "identical, byte for byte"
    else:
        diff = first_difference(json.loads(raw["before"]), json.loads(raw["after"]))
        verdict = f"DIFFERENT: {diff or 'same JSON, other bytes (key order or number format)'}"
    report = json.loads(raw["after"])
    print(f"{args.corpus}, {args.mode}{', HTML' if args.html else ''}: {len(report['documents'])} documents, "
          f"{len(report['pairs'])} pairs, {len(report['stories'])} stories; report.json {verdict}")
    print(f"after / before: CPU x{figures['after'][1] / figures['before'][1]:.2f}, wall x{figures['after'][0] / figures['before'][0]:.2f}")


if __name__ == "__main__":
    main()
