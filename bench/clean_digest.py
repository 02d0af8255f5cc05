"""The clean stage's CPU and its exact output, document by document, on real pages; optionally against
an older ``src`` folder in the same run.

For each document it runs what the clean stage runs (``clean.analyse``, ``classifier.verdicts``, the
repairs) and digests, bit for bit, what the classifier saw and what it decided: the stage-1 feature
matrix, the stage-2 matrix, p(body), every block's kind and reason, and the cleaned segments. With
``--before SRC`` the same documents go through the older code in a subprocess first (SRC first on
``PYTHONPATH``); the script prints the clean CPU seconds of both and the documents whose digest
differs (none, when the optimisation kept every output).

Inputs (read at run time, never copied into the repo): ``--jsonl`` (plain-text records, e.g.
/tmp/pile/both.jsonl, every ``--every``-th record up to ``--limit``), the seeds (``../shared/seeds``) and
trafilatura-eval pages (``--html N``: the first N pages, ingested once and kept in ``--cache``).

    .venv/bin/python bench/clean_digest.py --jsonl /tmp/pile/both.jsonl --limit 3000 --html 200 \
        --before /work/s14_base/src
    .venv/bin/python bench/clean_digest.py --jsonl /tmp/pile/both.jsonl --limit 3000 --profile 30
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import pickle
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpora  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def load_documents(jsonl: Path | None, limit: int, every: int, html: int, cache: Path) -> list[Any]:
    """Plain-text records of ``jsonl``, the seeds, and ``html`` trafilatura-eval pages (ingested once)."""
    from wiretrace.model import Document

    docs: list[Any] = []
    if jsonl is not None:
        docs.extend(corpora.jsonl_documents(jsonl, every, limit))
    seeds = SHARED / "seeds"
    if seeds.is_dir():
        for p in sorted(seeds.iterdir()):
            if p.is_file():
                docs.append(
                    Document(
                        id=f"seed-{p.stem}", text=p.read_text(encoding="utf-8"), path=str(p), format="text"
                    )
                )
    if html:
        docs.extend(_html_documents(html, cache))
    return docs


def _html_documents(n: int, cache: Path) -> list[Any]:
    import clean_eval

    if not clean_eval.TRAF_EVAL.exists():
        print(f"(no trafilatura-eval pages at {clean_eval.TRAF_EVAL}: HTML pages left out)")
        return []
    pages = clean_eval.trafilatura_eval_pages(clean_eval.evaldata_keys()[:n])
    docs, _, _ = clean_eval.ingest_pages(pages, jobs=1, cache=cache)
    out = [d for d in (docs[p.key] for p in pages) if d is not None]
    # each page also in plain-text mode (no markup hints): the other model and the text-only features
    return out + [clean_eval.text_document(d) for d in out]


def digest(doc: Any) -> tuple[str, float]:
    """The digest of everything the clean stage computes for ``doc`` and the CPU seconds it took."""
    import numpy as np

    from wiretrace.clean import stage
    from wiretrace.clean.classifier import load_model, verdicts
    from wiretrace.clean.config import CleanConfig
    from wiretrace.clean.features import stage2_features
    from wiretrace.clean.repairs import (
        bridged_blocks,
        detached_tail,
        sandwiches,
        split_sentences,
        teasers_after_body,
    )

    c0 = time.process_time()
    an = stage.analyse(doc)
    h = hashlib.sha256()
    x2 = None
    p2 = None
    if an.blocks:
        x1 = an.features.x1
        p2 = verdicts(an)
        cpu = time.process_time() - c0
        p1 = load_model(an.mode).stage1.predict(x1)
        x2 = np.hstack([x1, stage2_features(an.infos, an.features, p1, an.mode)])
        c0 = time.process_time()
        if an.mode == "text":
            detached_tail(an.blocks, p2)
            bridged_blocks(an.blocks, p2)
        teasers_after_body(an.blocks)
        sandwiches(an.blocks, CleanConfig())
        segs = [s for b in an.blocks for s in split_sentences(doc.text, b)]
        cpu += time.process_time() - c0
        h.update(np.ascontiguousarray(x1, dtype=np.float64).tobytes())
        h.update(np.ascontiguousarray(x2, dtype=np.float64).tobytes())
        h.update(np.ascontiguousarray(p2, dtype=np.float64).tobytes())
        for cw, ts in zip(an.features.content, an.features.tokens, strict=True):
            h.update(repr((sorted(cw.items()), ts)).encode())
        h.update(repr([(b.start, b.end, b.kind, b.rule, b.reason, b.sure) for b in an.blocks]).encode())
        h.update(repr(segs).encode())
    else:
        cpu = time.process_time() - c0
    return h.hexdigest(), cpu


def run_here(docs: list[Any], profile: int) -> dict[str, Any]:
    from wiretrace.clean import load_lexicon, load_model

    load_lexicon(), load_model("text"), load_model("html")  # loaded once per worker in a run, not timed
    prof = cProfile.Profile() if profile else None
    if prof is not None:
        prof.enable()
    digests: dict[str, str] = {}
    cpu = {"text": 0.0, "html": 0.0}
    for d in docs:
        key = f"{d.id}|{d.format}|{bool(d.hints)}"
        digests[key], dt = digest(d)
        cpu["html" if d.hints else "text"] += dt
    if prof is not None:
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(profile)
    return {"digests": digests, "cpu": cpu}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jsonl", type=Path, help="plain-text JSONL records (e.g. /tmp/pile/both.jsonl)")
    ap.add_argument("--limit", type=int, default=2000, help="at most N records of --jsonl (0: all)")
    ap.add_argument("--every", type=int, default=1, help="every k-th record of --jsonl")
    ap.add_argument(
        "--html", type=int, default=0, help="the first N trafilatura-eval pages (HTML and text mode)"
    )
    ap.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "wiretrace-clean-digest",
        help="ingested pages kept here",
    )
    ap.add_argument(
        "--before", type=Path, help="an older src folder: run it first, in a subprocess, and compare"
    )
    ap.add_argument("--profile", type=int, default=0, help="print the top N functions by own time (cProfile)")
    ap.add_argument("--docs", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.docs is not None:  # a subprocess of --before: the documents are given, the result is written
        docs = pickle.loads(args.docs.read_bytes())
        args.result.write_text(json.dumps(run_here(docs, args.profile)), encoding="utf-8")
        return 0
    docs = load_documents(args.jsonl, args.limit, args.every, args.html, args.cache)
    print(
        f"{len(docs)} documents ({sum(1 for d in docs if d.hints)} with markup hints); load {os.getloadavg()}"
    )
    if args.before is None:
        res = run_here(docs, args.profile)
        print(f"clean CPU s: text {res['cpu']['text']:.2f}, html {res['cpu']['html']:.2f}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        dpath = Path(tmp) / "docs.pkl"
        dpath.write_bytes(pickle.dumps(docs))
        results = {}
        for name, src in (("before", args.before.resolve()), ("after", REPO / "src")):
            out = Path(tmp) / f"{name}.json"
            # one hash seed for both: code before 2026-12-07 summed the lexicon over a set in its order
            env = dict(os.environ, PYTHONPATH=str(src), PYTHONHASHSEED="0")
            cmd = [
                sys.executable,
                __file__,
                "--docs",
                str(dpath),
                "--result",
                str(out),
                "--profile",
                str(args.profile),
            ]
            subprocess.run(cmd, env=env, check=True)
            results[name] = json.loads(out.read_text(encoding="utf-8"))
    b, a = results["before"], results["after"]
    for mode in ("text", "html"):
        cb, ca = b["cpu"][mode], a["cpu"][mode]
        if cb:
            print(
                f"clean CPU s, {mode:4}: before {cb:7.2f}  after {ca:7.2f}  ratio {cb / max(ca, 1e-9):.2f}x"
            )
    differ = [k for k in b["digests"] if b["digests"][k] != a["digests"].get(k)]
    print(f"documents whose features, verdicts or segments differ: {len(differ)} of {len(b['digests'])}")
    for k in differ[:20]:
        print("  ", k)
    print(f"load {os.getloadavg()}")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
