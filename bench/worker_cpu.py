"""The clean and sketch stages' per-document work (what a worker runs in a lexical run), before and after,
alternated: CPU seconds per version and whether both gave the same outputs.

On a shared machine one run of each version, one after the other, mixes the change with the load's drift
(``stages.py --before`` runs the whole pipeline once per version: a 10% swing between its two runs is
common at a load of 8). This script times only what the workers do in the clean + sketch pass
(``engine.local._clean_sketch_batch`` in a lexical run: ``stages.clean_docs``, then ``stages.sketch_docs``
with each document's ``title_words`` and ``stories.summarize``), batch by batch, in one process per
version, and runs the two versions in turn ``--rounds`` times (before, after, before, after, ...): the
median of each version's rounds, and the ratio of the medians. Each run also digests every output (the
cleaned segments with their kinds and reasons, every sketch field, the cues and the summaries); the
script says whether the two versions' digests are equal.

The corpus boilerplate is learned once per run from the same documents (``clean.BlockIndex`` and
``clean.learn_boilerplate``, outside the timing) and given to the cleaner, as the engine does.

    .venv/bin/python bench/worker_cpu.py --jsonl /tmp/pile/both.jsonl --every 3 --rounds 3 --before /work/s17_base/src
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpora  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def run_here(jsonl: Path, every: int, limit: int, batch: int) -> dict[str, Any]:
    """Clean and sketch every ``every``-th record in batches; CPU seconds of each and the outputs' digest."""
    from wiretrace.clean import BlockIndex, learn_boilerplate
    from wiretrace.stages import RunConfig, clean_docs, sketch_docs, title_words
    from wiretrace.stories import summarize

    docs = corpora.jsonl_documents(jsonl, every, limit)
    config = RunConfig()
    boiler = learn_boilerplate(BlockIndex.of_documents(docs, config.clean), config.clean)
    clean_docs(docs[:20], boiler, config)  # the model, lexicon and stop lists loaded outside the timing
    h = hashlib.sha256()
    clean_s = sketch_s = 0.0
    for k in range(0, len(docs), batch):
        part = docs[k : k + batch]
        c0 = time.process_time()
        cleaned = clean_docs(part, boiler, config)
        c1 = time.process_time()
        by_id = {c.doc_id: c for c in cleaned}
        sketched = sketch_docs(part, by_id, config)
        summaries = [summarize(d.id, d.published, sk, title_words(d, by_id[d.id])) for d, (sk, _) in zip(part, sketched, strict=True)]
        c2 = time.process_time()
        clean_s += c1 - c0
        sketch_s += c2 - c1
        for c in cleaned:
            h.update(pickle.dumps((c.doc_id, [(s.start, s.end, s.kind, s.reason) for s in c.segments])))
        for (sk, cues), sm in zip(sketched, summaries, strict=True):
            h.update(pickle.dumps((sk.doc_id, sk.body_hash, sk.n_words, sk.minhash.tobytes(), sk.anchors.tobytes(),
                                   sorted(sk.names), list(sk.topic.items()), cues)))  # fmt: skip
            h.update(pickle.dumps((sm.id, sm.published, sm.body_hash, sorted(sm.names), list(sm.topic.items()))))
    return {"docs": len(docs), "boilerplate": len(boiler), "clean_s": clean_s, "sketch_s": sketch_s, "digest": h.hexdigest()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--jsonl", type=Path, required=True, help="JSONL records (e.g. /tmp/pile/both.jsonl)")
    ap.add_argument("--every", type=int, default=1, help="every k-th record")
    ap.add_argument("--limit", type=int, default=0, help="at most N records (0: all)")
    ap.add_argument("--batch", type=int, default=256, help="documents per batch, as a worker gets them")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each version, alternated")
    ap.add_argument("--before", type=Path, help="an older src folder, run in turn with this tree")
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.result is not None:
        args.result.write_text(json.dumps(run_here(args.jsonl, args.every, args.limit, args.batch)), encoding="utf-8")
        return 0
    versions = [("before", args.before.resolve())] if args.before else []
    versions.append(("after", REPO / "src"))
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in versions}
    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"worker_cpu_{os.getpid()}.json"
    child = [sys.executable, __file__, "--jsonl", str(args.jsonl), "--every", str(args.every), "--limit", str(args.limit),
             "--batch", str(args.batch), "--result", str(out)]  # fmt: skip
    for r in range(args.rounds):
        for label, src in versions:
            subprocess.run(child, env={**os.environ, "PYTHONPATH": str(src)}, check=True)
            res = json.loads(out.read_text(encoding="utf-8"))
            runs[label].append(res)
            print(f"round {r + 1} {label:<7} clean {res['clean_s']:7.2f}  sketch {res['sketch_s']:6.2f}  "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    out.unlink(missing_ok=True)
    first = runs[versions[0][0]][0]
    print(f"\n{first['docs']:,} documents ({args.jsonl.name}, every {args.every}), {first['boilerplate']:,} boilerplate keys, batches of {args.batch}")
    med = {label: {k: statistics.median(x[k] for x in rs) for k in ("clean_s", "sketch_s")} for label, rs in runs.items()}
    for label, m in med.items():
        print(f"median CPU s, {label:<7} clean {m['clean_s']:7.2f}  sketch {m['sketch_s']:6.2f}  both {m['clean_s'] + m['sketch_s']:7.2f}")
    if args.before:
        b, a = med["before"], med["after"]
        for k in ("clean_s", "sketch_s"):
            print(f"{k[:-2]:<7} before / after: {b[k] / a[k]:.2f}")
        both = (b["clean_s"] + b["sketch_s"]) / (a["clean_s"] + a["sketch_s"])
        print(f"both    before / after: {both:.2f}")
        digests = {x["digest"] for rs in runs.values() for x in rs}
        print("identical outputs: " + ("yes (every run, both versions)" if len(digests) == 1 else f"NO ({len(digests)} digests)"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
