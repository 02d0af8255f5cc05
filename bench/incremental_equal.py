"""Dump what an incremental sequence of runs leaves in a store, to compare two versions of the engine.

Reuters bodies (``corpora.py``): a base of ``--base`` documents in one run, then ``--batches`` batches of
``--batch`` documents, each an incremental ``wiretrace.run`` into the same store (lexical-only unless
``--semantic``, one worker). Writes one JSON file: the learned boilerplate, every evaluated pair (related or not, with its
stored body), the assignment document -> story and every story. Run it once with each version first on
``PYTHONPATH`` and compare the two files (``cmp``): the same input must leave the same store.

    PYTHONPATH=/tmp/base/src python bench/incremental_equal.py /tmp/a.json
    python bench/incremental_equal.py /tmp/b.json && cmp /tmp/a.json /tmp/b.json
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import wiretrace  # noqa: E402
from corpora import reuters_records, write_jsonl  # noqa: E402
from wiretrace.align import AlignConfig  # noqa: E402
from wiretrace.engine.pipeline import RunConfig  # noqa: E402


def dump(db_path: Path) -> dict[str, object]:
    db = sqlite3.connect(db_path)
    try:
        return {
            "boilerplate": json.loads(db.execute("SELECT value FROM meta WHERE key = 'boilerplate'").fetchone()[0]),
            "pairs": db.execute("SELECT a, b, relation, body FROM pairs ORDER BY a, b").fetchall(),
            "assignments": db.execute("SELECT doc_id, story FROM assignments ORDER BY doc_id").fetchall(),
            "stories": [json.loads(b) for (b,) in db.execute("SELECT body FROM stories ORDER BY id")],
            "stages": db.execute("SELECT id, stage FROM documents ORDER BY id").fetchall(),
        }
    finally:
        db.close()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", help="JSON file to write")
    ap.add_argument("--base", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=250)
    ap.add_argument("--batches", type=int, default=3)
    ap.add_argument("--semantic", action="store_true", help="the default (semantic) mode instead of lexical-only")
    args = ap.parse_args(argv)
    config = RunConfig(align=AlignConfig(semantic=args.semantic), workers=1)
    records = list(reuters_records())[: args.base + args.batch * args.batches]
    with tempfile.TemporaryDirectory(prefix="inc-eq-") as tmp:
        inbox, store = Path(tmp) / "in", Path(tmp) / "store"
        inbox.mkdir()
        write_jsonl(records[: args.base], inbox / "base.jsonl")
        t0 = time.process_time()
        wiretrace.run([inbox], config, store)
        print(f"base {args.base}: {time.process_time() - t0:.1f} CPU s", flush=True)
        for k in range(args.batches):
            lo = args.base + k * args.batch
            write_jsonl(records[lo : lo + args.batch], inbox / f"batch{k:02d}.jsonl")
            t0 = time.process_time()
            wiretrace.run([inbox], config, store)
            print(f"batch {k + 1}: {args.batch} documents, {time.process_time() - t0:.1f} CPU s", flush=True)
        Path(args.out).write_text(json.dumps(dump(store / "wiretrace.sqlite"), sort_keys=True), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
