"""The Spark engine against the local engine, and how the Spark engine's cost grows with the corpus.

``compare``: Reuters-21578 + BBC News (21,268 documents) through ``wiretrace run`` with the local
engine and with ``--engine spark`` on ``local[2]``, each in a fresh child process. Prints wall time,
CPU time and peak memory (summed over the child's whole process tree: driver, JVM, Python workers)
and whether the two reports are identical (stories, origins, relations, passages).

``scale``: a synthetic corpus made from the Reuters bodies (below), N documents for each N given,
run in this process on one ``local[2]`` session with the Parquet tables written and no report
gathered. Prints documents per second per core, shuffle bytes (from Spark's status API), the pairs
and stories found, and the cost growth from one size to the next.

The synthetic corpus: copy ``k`` of the 19,043 Reuters bodies rewrites every word through a
permutation of the vocabulary among words of similar frequency (bands of 64 ranks), with the word's
case kept, so each copy reads like the wire in another vocabulary: the same lengths, line structure,
word-frequency curve and the same inner structure (its own duplicates, shared passages, rare names),
but no n-gram or name in common with other copies. Light perturbations and injected reuse come on
top: 3 % of each copy's documents are a light rewrite of another document of the same copy (2 % of
words swapped) followed by a paragraph of a third one. Cost should then grow near-linearly.

    .venv/bin/python bench/spark_bench.py compare --lexical-only
    .venv/bin/python bench/spark_bench.py compare --corpus bbc          # with embeddings, on BBC only
    .venv/bin/python bench/spark_bench.py scale --sizes 50000,100000,200000 --lexical-only
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpora  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
PYTHON = sys.executable
CORES = 2
_WORD = re.compile(r"[A-Za-z]+")
_TICK = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


# --- measuring a process tree ---------------------------------------------------------------------
class TreeMeter(threading.Thread):
    """Samples a process and its descendants twice a second: peak summed RSS, CPU seconds used."""

    def __init__(self, root: int, period: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.root, self.period = root, period
        self.peak_rss = 0
        self.cpu: dict[int, float] = {}
        self.start_cpu: dict[int, float] = {}
        self.stop_flag = threading.Event()
        self.sample()
        self.start_cpu = dict(self.cpu)

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    stat = Path(f"/proc/{d}/stat").read_text()
                except OSError:
                    continue
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(d))
        out, todo = [], [self.root]
        while todo:
            p = todo.pop()
            out.append(p)
            todo += children.get(p, [])
        return out

    def sample(self) -> None:
        rss = 0
        for pid in self._tree():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                rss += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
            except (OSError, IndexError):
                continue
            self.cpu[pid] = (int(fields[11]) + int(fields[12])) / _TICK
        self.peak_rss = max(self.peak_rss, rss)

    def run(self) -> None:
        while not self.stop_flag.wait(self.period):
            self.sample()

    def finish(self) -> tuple[float, int]:
        """CPU seconds used since the start, and the peak RSS in bytes."""
        self.sample()
        self.stop_flag.set()
        return sum(c - self.start_cpu.get(p, 0.0) for p, c in self.cpu.items()), self.peak_rss


# --- compare: local vs Spark on Reuters + BBC ---------------------------------------------------------
def run_cli(engine: str, jsonl: Path, out: Path, lexical: bool) -> dict[str, Any]:
    cmd = [PYTHON, "-m", "wiretrace.app.cli", "run", str(jsonl), "--out", str(out), "--no-html", "-q", "--engine", engine]
    cmd += ["--lexical-only"] if lexical else []
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "WIRETRACE_SPARK_MASTER": f"local[{CORES}]"}
    env.setdefault("PYSPARK_SUBMIT_ARGS", "--driver-memory 8g pyspark-shell")
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    meter = TreeMeter(child.pid)
    meter.start()
    output = child.communicate()[0].decode("utf-8", "replace")
    wall = time.perf_counter() - t0
    cpu, rss = meter.finish()
    if child.returncode != 0:
        sys.exit(f"bench: {' '.join(cmd)} failed:\n{output[-3000:]}")
    return {"engine": engine, "wall_s": wall, "cpu_s": cpu, "peak_rss": rss, "load_before": load0,
            "load_after": os.getloadavg()[0], "report": json.loads((out / "report.json").read_text(encoding="utf-8"))}


def differences(a: dict[str, Any], b: dict[str, Any]) -> dict[str, int]:
    def pairs(r: dict) -> dict:
        return {(p["a"], p["b"]): p for p in r["pairs"]}

    def stories(r: dict) -> dict:
        return {s["id"]: s for s in r["stories"]}

    pa, pb, sa, sb = pairs(a), pairs(b), stories(a), stories(b)
    return {
        "documents": sum(x != y for x, y in zip(a["documents"], b["documents"], strict=False))
        + abs(len(a["documents"]) - len(b["documents"])),
        "pairs (relation)": sum(pa[k]["relation"] != pb.get(k, {}).get("relation") for k in pa) + len(pb.keys() - pa.keys()),
        "pairs (anything)": sum(pa[k] != pb.get(k) for k in pa) + len(pb.keys() - pa.keys()),
        "stories (members)": sum(sa[k]["documents"] != sb.get(k, {}).get("documents") for k in sa) + len(sb.keys() - sa.keys()),
        "stories (origin)": sum(sa[k]["origin"] != sb.get(k, {}).get("origin") for k in sa),
        "stories (anything)": sum(sa[k] != sb.get(k) for k in sa) + len(sb.keys() - sa.keys()),
    }


def compare(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="wiretrace-spark-bench-") as tmp:
        jsonl = Path(args.input) if args.input else Path(tmp) / "reuters_bbc.jsonl"
        n = sum(1 for _ in jsonl.open(encoding="utf-8")) if args.input else corpora.write_jsonl(corpora.corpus(args.corpus), jsonl)
        name = args.input or {"both": "Reuters-21578 + BBC News", "reuters": "Reuters-21578", "bbc": "BBC News"}[args.corpus]
        print(f"{name}: {n} documents; local[{CORES}]; "
              f"{'lexical only' if args.lexical_only else 'default (with embeddings)'}")
        runs = [run_cli(e, jsonl, Path(tmp) / e, args.lexical_only) for e in args.engines.split(",")]
    reports = [r.pop("report") for r in runs]
    if args.local_report:  # a local run made before (same code, same input): compare with it
        reports.insert(0, json.loads(Path(args.local_report).read_text(encoding="utf-8")))
        runs.insert(0, {"engine": f"local ({args.local_report})", "wall_s": float("nan"), "cpu_s": float("nan"),
                        "peak_rss": float("nan"), "load_before": float("nan"), "load_after": float("nan")})
    print("\n| engine | wall | CPU | peak memory (process tree) | load avg before/after | documents | pairs | stories (2+ docs) |")
    print("|---|---|---|---|---|---|---|---|")
    for r, rep in zip(runs, reports, strict=True):
        s = rep["summary"]
        print(f"| {r['engine']} | {r['wall_s']:.0f} s | {r['cpu_s']:.0f} s | {r['peak_rss'] / 2**30:.2f} GiB | "
              f"{r['load_before']:.1f} / {r['load_after']:.1f} | {s['documents']} | {s['pairs']} | {s['stories']} "
              f"({s['stories_with_several_documents']}) |")
    if len(reports) == 2:
        same = reports[0] == reports[1]
        print(f"\nreports identical: {same}")
        if not same:
            for k, v in differences(*reports).items():
                print(f"  differing {k}: {v}")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        detail = []
        if len(reports) == 2 and reports[0] != reports[1]:  # the first differing items, to see what differs
            for key in ("documents", "pairs", "stories"):
                detail += [{"local": x, "spark": y} for x, y in zip(reports[0][key], reports[1][key], strict=False) if x != y][:10]
        Path(args.json).write_text(json.dumps({"corpus": args.input or args.corpus, "lexical_only": args.lexical_only, "runs": runs, "identical": len(reports) == 2 and reports[0] == reports[1],
                                               "differences": detail}, indent=1))


# --- scale: the synthetic corpus on one local[2] session -----------------------------------------------
def _case(src: str, word: str) -> str:
    if src.isupper() and len(src) > 1:
        return word.upper()
    if src[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def synthetic(n: int, path: Path, seed: int = 11) -> int:
    """Write ``n`` synthetic documents (see the module's docstring) to ``path`` as JSONL."""
    base = [r for r in corpora.reuters_records() if (r["text"] or "").strip()]
    freq = Counter(w.lower() for r in base for w in _WORD.findall(r["text"] or ""))
    vocab = [w for w, _ in freq.most_common()]
    rank = {w: i for i, w in enumerate(vocab)}
    band = 64
    written = 0
    with path.open("w", encoding="utf-8") as f:
        copy = 0
        while written < n:
            rng = random.Random(seed * 1_000_003 + copy)
            perm = list(range(len(vocab)))
            for lo in range(0, len(vocab), band):
                chunk = perm[lo : lo + band]
                rng.shuffle(chunk)
                perm[lo : lo + band] = chunk
            table = {w: vocab[perm[rank[w]]] for w in vocab} if copy else {w: w for w in vocab}

            def rewrite(text: str, swap: float = 0.0, table: dict[str, str] = table, rng: random.Random = rng) -> str:
                def one(m: re.Match[str]) -> str:
                    w = m.group(0)
                    low = table.get(w.lower(), w.lower())
                    if swap and rng.random() < swap:
                        r = rank.get(w.lower(), 0)
                        low = vocab[min(len(vocab) - 1, (r // band) * band + rng.randrange(band))]
                    return _case(w, low)

                return _WORD.sub(one, text)

            for i, r in enumerate(base):
                if written >= n:
                    break
                text = r["text"] or ""
                if rng.random() < 0.03:  # injected reuse: a light rewrite of another story plus a third one's paragraph
                    other, third = base[rng.randrange(len(base))], base[rng.randrange(len(base))]
                    paras = [p for p in (third["text"] or "").split("\n\n") if p.strip()] or [""]
                    body = rewrite(other["text"] or "", swap=0.02) + "\n\n" + rewrite(paras[0])
                else:
                    body = rewrite(text)
                row = {"id": f"syn{copy:03d}-{i:05d}", "text": body, "title": rewrite(r["title"] or ""),
                       "published": r["published"]}
                f.write(json.dumps(row) + "\n")
                written += 1
            copy += 1
    return written


def _stage_totals(ui: str, app: str) -> dict[int, dict[str, int]]:
    with urllib.request.urlopen(f"{ui}/api/v1/applications/{app}/stages?status=complete", timeout=60) as resp:
        stages = json.loads(resp.read())
    return {s["stageId"]: {"shuffle_write": s.get("shuffleWriteBytes", 0), "shuffle_read": s.get("shuffleReadBytes", 0),
                           "input": s.get("inputBytes", 0), "spill": s.get("diskBytesSpilled", 0)} for s in stages}


def scale(args: argparse.Namespace) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from wiretrace.align import AlignConfig
    from wiretrace.engine.pipeline import RunConfig, Stats
    from wiretrace.engine.spark import SparkConfig, auto_partitions, run_distributed, spark_session

    conf = (("spark.driver.memory", args.driver_memory), ("spark.ui.retainedStages", "5000"),
            ("spark.ui.retainedJobs", "5000"), ("spark.local.dir", args.work))
    session = spark_session(SparkConfig(master=f"local[{CORES}]", conf=conf))
    sc = session.sparkContext
    ui = sc.uiWebUrl
    config = RunConfig(align=AlignConfig(semantic=not args.lexical_only))
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for n in [int(x) for x in args.sizes.split(",")]:
        if rows and args.budget:  # cost is near-linear: the next size takes about (n / last n) x the last one's time
            last = rows[-1]
            guess = (last["generate_s"] + last["wall_s"]) * n / last["documents"]
            spent = time.perf_counter() - started
            if spent + guess > args.budget:
                print(f"stopped before {n:,} documents: about {guess:.0f} s more expected, "
                      f"{spent:.0f} s of the {args.budget:.0f} s budget spent", flush=True)
                break
        work = Path(tempfile.mkdtemp(prefix=f"syn{n}-", dir=args.work))
        jsonl = work / "synthetic.jsonl"
        t = time.perf_counter()
        synthetic(n, jsonl)
        gen = time.perf_counter() - t
        before = set(_stage_totals(ui, sc.applicationId)) if ui else set()
        stats = Stats()
        load0 = os.getloadavg()[0]
        meter = TreeMeter(os.getpid())
        meter.start()
        t0 = time.perf_counter()
        result = run_distributed(session, [jsonl], config, SparkConfig(partitions=args.partitions), stats,
                                 lambda *a: None, str(work / "tables"))
        wall = time.perf_counter() - t0
        cpu, rss = meter.finish()
        pairs = result.pairs.count()
        several = result.stories.filter(lambda s: len(s.documents) > 1).count()
        result.release()
        after = _stage_totals(ui, sc.applicationId) if ui else {}
        new = [v for k, v in after.items() if k not in before]
        shuffle = sum(v["shuffle_write"] for v in new)
        spill = sum(v["spill"] for v in new)
        row = {"documents": n, "partitions": args.partitions or auto_partitions(n, sc.defaultParallelism), "jsonl_bytes": jsonl.stat().st_size, "generate_s": gen, "wall_s": wall, "cpu_s": cpu,
               "peak_rss": rss, "docs_per_s_core": n / wall / CORES, "docs_per_cpu_s": n / cpu if cpu else 0.0,
               "shuffle_bytes": shuffle, "spill_bytes": spill, "candidates": stats.candidates, "pairs": pairs,
               "stories_2plus": several, "stage_wall_s": dict(stats.wall_s), "load_before": load0, "load_after": os.getloadavg()[0]}
        rows.append(row)
        print(json.dumps(row), flush=True)
        subprocess.run(["rm", "-rf", str(work)], check=False)
    print_scale(rows, args.lexical_only)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"lexical_only": args.lexical_only, "rows": rows}, indent=1))


def print_scale(rows: list[dict[str, Any]], lexical_only: bool) -> None:
    """The scale table: per size, and the growth of time, CPU and shuffle against the growth of the corpus."""
    print(f"\nsynthetic corpus from Reuters bodies, local[{CORES}], "
          f"{'lexical only' if lexical_only else 'default (with embeddings)'}; tables written, no report; "
          "CPU = driver + JVM + Python workers")
    print("| documents | partitions | wall | CPU | docs/s/core (wall) | docs per CPU s | peak RSS | shuffle written "
          "| shuffle/doc | spilled | candidates | related pairs | stories 2+ | load avg before/after |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['documents']:,} | {r.get('partitions', '16 (fixed)')} | {r['wall_s']:.0f} s | {r['cpu_s']:.0f} s | "
              f"{r['docs_per_s_core']:.1f} | {r['docs_per_cpu_s']:.1f} | {r['peak_rss'] / 2**30:.2f} GiB | "
              f"{r['shuffle_bytes'] / 2**20:.0f} MiB | {r['shuffle_bytes'] / r['documents'] / 1024:.1f} KiB | "
              f"{r.get('spill_bytes', 0) / 2**30:.1f} GiB | {r['candidates']:,} | {r['pairs']:,} | "
              f"{r['stories_2plus']:,} | {r['load_before']:.1f} / {r['load_after']:.1f} |")
    staged = [r for r in rows if r.get("stage_wall_s")]
    if staged:
        names = list(staged[0]["stage_wall_s"])
        print("\nwall seconds per stage (level 2 = \"stories\", on the driver alone)")
        print("| documents | " + " | ".join(names) + " |")
        print("|---|" + "---|" * len(names))
        for r in staged:
            print(f"| {r['documents']:,} | " + " | ".join(f"{r['stage_wall_s'].get(k, 0):.0f}" for k in names) + " |")
    if len(rows) > 1:
        print("\n| from -> to | documents | wall | CPU | shuffle | candidates |")
        print("|---|---|---|---|---|---|")
        for a, b in zip(rows, rows[1:], strict=False):
            def g(key: str, a: dict[str, Any] = a, b: dict[str, Any] = b) -> str:
                return f"x{b[key] / a[key]:.2f}" if a[key] else "-"
            print(f"| {a['documents']:,} -> {b['documents']:,} | {g('documents')} | {g('wall_s')} | {g('cpu_s')} | "
                  f"{g('shuffle_bytes')} | {g('candidates')} |")
    if rows:
        print_projection(rows, 50_000_000)


def print_projection(rows: list[dict[str, Any]], target: int) -> None:
    """CPU core-hours and shuffle for ``target`` documents like these, from the largest size measured.

    Linear: the largest size's CPU per document times ``target``. Fitted: CPU grown as n^alpha, alpha
    from the last two sizes (alpha > 1 means the cost per document rises with the corpus).
    """
    last = rows[-1]
    per_doc = last["cpu_s"] / last["documents"]
    print(f"\nprojection to {target:,} documents of this kind (CPU of driver + JVM + workers; no cluster overhead)")
    print("| model | CPU per document | core-hours | shuffle written |")
    print("|---|---|---|---|")
    shuffle = last["shuffle_bytes"] / last["documents"] * target / 2**40
    print(f"| linear from {last['documents']:,} | {per_doc * 1000:.1f} ms | {target * per_doc / 3600:,.0f} | {shuffle:.1f} TiB |")
    if len(rows) > 1 and rows[-2]["cpu_s"] > 0:
        prev = rows[-2]
        alpha = math.log(last["cpu_s"] / prev["cpu_s"]) / math.log(last["documents"] / prev["documents"])
        fit = f"CPU ~ n^{alpha:.2f} (fitted on {prev['documents']:,} -> {last['documents']:,})"
        if alpha < 1:  # fixed costs (JVM, workers, scheduling) still being spread: extrapolating would understate
            print(f"| {fit} | below linear: the linear row is the bound | - | - |")
        else:
            grown = last["cpu_s"] * (target / last["documents"]) ** alpha
            print(f"| {fit} | {grown / target * 1000:.1f} ms | {grown / 3600:,.0f} | - |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    c = sub.add_parser("compare", help="local vs Spark on Reuters + BBC")
    c.add_argument("--engines", default="local,spark")
    c.add_argument("--corpus", default="both", choices=("both", "reuters", "bbc"))
    c.add_argument("--lexical-only", action="store_true")
    c.add_argument("--input", help="a JSONL file written before by corpora.write_jsonl (default: write it afresh)")
    c.add_argument("--local-report", help="a report.json of the local engine on the same --input, to compare with")
    c.add_argument("--json", default=str(RESULTS / "spark_bench_compare.json"), help="also write the figures here")
    s = sub.add_parser("scale", help="the Spark engine on synthetic corpora of growing size")
    s.add_argument("--sizes", default="50000,100000,200000")
    s.add_argument("--lexical-only", action="store_true")
    s.add_argument("--partitions", type=int, default=0,
                   help="partitions of the shuffled data sets (0: the engine's automatic count, which grows with the corpus)")
    s.add_argument("--driver-memory", default="10g")
    s.add_argument("--work", default=tempfile.gettempdir(), help="folder for the corpus, tables and Spark's scratch")
    s.add_argument("--budget", type=float, default=0.0,
                   help="seconds: skip the sizes that would end past this, judged from the last size's time (0: no limit)")
    s.add_argument("--json", default=str(RESULTS / "spark_bench_scale.json"), help="also write the figures here")
    r = sub.add_parser("render", help="print the tables of --json files written by scale again (rows merged by size)")
    r.add_argument("json", nargs="+")
    args = ap.parse_args()
    if args.what == "render":
        runs = [json.loads(Path(f).read_text(encoding="utf-8")) for f in args.json]
        if len({d["lexical_only"] for d in runs}) > 1:
            sys.exit("bench: these files mix lexical-only and default runs")
        print_scale(sorted((r for d in runs for r in d["rows"]), key=lambda r: r["documents"]), runs[0]["lexical_only"])
        return
    if args.what == "compare":
        compare(args)
    else:
        scale(args)


if __name__ == "__main__":
    main()
