"""Throughput of incremental story clustering: Reuters bodies added batch by batch to a store that
already holds 20,000 documents (BBC News + Reuters-21578 via ``corpora.py``), lexical-only.

1. The base store: the 2,225 BBC articles and the first 17,775 Reuters bodies (by NEWID order in the
   files), one ``wiretrace.run`` with ``--lexical-only`` settings (kept with ``--keep DIR`` and reused
   when DIR already holds it).
2. The remaining Reuters bodies (1,268) go in ``--batch``-sized batches, each an incremental run of
   the pipeline's stages over the same store (ingest, boilerplate, clean, sketch, relate, stories).
   Per batch, timed apart (wall and CPU of this process):
   * ``pipeline``: the whole incremental run;
   * ``stories``: the stories stage (``build_stories``: place the new documents, re-trace the stories
     that changed);
   * ``assign``: ``stories.assign`` alone, from the stored assignment (level 1 + level 2 over the
     store's summaries; the stored stories are loaded into the index, the new components placed);
   * ``index add``: ``StoryIndex.add`` alone for the batch's components, the index already holding
     the stored stories (the in-memory clusterer a long-running service would keep).
   Baseline, in the same run: ``recompute``: ``stories.assign`` over every document with no stored
   assignment (what re-clustering from scratch per batch costs; the old engine recomputed too).

Figures: documents per second of wall time and per CPU-second (``time.process_time``; the stage
functions run in this process, one worker), the CPU seconds of each stage of the incremental run, and
a last line with the whole run's figure over every batch; the load average is printed, since the
machine is shared. ``--pipeline-only`` times the incremental run alone (the goal's figure: flat in the
number stored, so run it at ``--base 2000`` and at the default 20,000). Before / after in one run:
``--before SRC`` (``git archive COMMIT src``) times the same batches with that engine first, in a child
process with SRC first on ``PYTHONPATH``, then this code in another, each on a copy of the same base
(``--keep``; an engine opens stores of its schema), and prints both; several ``--base`` sizes (with one
``--keep`` each) run one after the other, and a last table gives docs/s wall and per CPU-second (the
workers' CPU included) of each engine at each size, over every batch and the store's closing. With
an engine that keeps level 2's story index (``engine.story_state``) the index of a base that has none is
built once, outside the timed batches; each batch line says whether level 2 placed the new documents
from the kept index or placed every document again (a batch after an upgrade, or with kept settings
changed). ``--profile N``: cProfile of each batch's whole run, ingest to stories (its N costliest functions).

    python bench/story_throughput.py --keep /tmp/story-base        # builds the base store once
    python bench/story_throughput.py --keep /tmp/story-base --limit 500 --pipeline-only
    python bench/story_throughput.py --keep /tmp/story-base2k --base 2000 --limit 500 --pipeline-only
    python bench/story_throughput.py --base 2000 20000 --keep /tmp/base2k /tmp/base20k --before /tmp/main/src --limit 500 --pipeline-only
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
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent))
import wiretrace  # noqa: E402
from corpora import bbc_records, reuters_records, write_jsonl  # noqa: E402
from wiretrace.align import AlignConfig  # noqa: E402
from wiretrace.embed.minilm import Embedder  # noqa: E402
from wiretrace.engine import store as st  # noqa: E402
from wiretrace.engine.pipeline import (  # noqa: E402
    RunConfig,
    Stats,
    build_stories,
    clean_pending,
    idf_from_sketches,
    ingest_into,
    learn,
    relate_pending,
    sketch_pending,
    story_summaries,
)
from wiretrace.stories import DocSummary, StoryIndex, assign, reuse_components, same_story_links  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
BASE = 20_000
T = TypeVar("T")


def timed(fn: Callable[..., T], *args: object) -> tuple[T, float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(*args)
    return out, time.perf_counter() - t0, time.process_time() - c0


def _quiet(stage: str, done: int, total: int) -> None:
    return None


def add_all(index: StoryIndex, todo: list[list[DocSummary]], linked: dict[str, set[str]]) -> list[str]:
    return [index.add(ds, set().union(*(linked.get(d.id, set()) for d in ds))) for ds in todo]


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def run_child(args: argparse.Namespace, base: int, keep: str | None, src: str | None, out: str) -> list[dict]:
    """This script for one base size in a child process (``src`` first on PYTHONPATH: an earlier engine),
    its output printed as it goes; its per-batch rows."""
    cmd = [sys.executable, __file__, "--base", str(base), "--batch", str(args.batch), "--limit", str(args.limit),
           "--workers", str(args.workers), "--out", out] + (["--keep", keep] if keep else []) + (["--pipeline-only"] if args.pipeline_only else [])
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join([str(Path(src).resolve()), os.environ.get("PYTHONPATH", "")])
    print(f"\n== {'before: ' + src if src else 'after: this code'}, {base} stored: {' '.join(cmd[1:])}", flush=True)
    subprocess.run(cmd, env=env, check=True)
    return list(json.loads((RESULTS / out).read_text(encoding="utf-8")))


def outcome(store: st.Store) -> dict[str, object]:
    """Hashes of what the runs left: the assignment, every stored story's JSON (members, origin, tree,
    consolidated text) and every pair's relation, for the before / after comparison."""
    db = store.db

    def digest(sql: str) -> str:
        return hashlib.sha256(json.dumps(db.execute(sql).fetchall()).encode()).hexdigest()

    return {"assign_sha": digest("SELECT doc_id, story FROM assignments ORDER BY doc_id"),
            "stories_sha": digest("SELECT id, body FROM stories ORDER BY id"),
            "pairs_sha": digest("SELECT a, b, relation FROM pairs ORDER BY a, b"),
            "n_stories": db.execute("SELECT COUNT(*) FROM stories").fetchone()[0]}


def figures(rows: list[dict]) -> tuple[float, float]:
    """(docs/s wall, docs per CPU-second) over every batch of a run, the store's closing included."""
    docs = sum(int(r["docs"]) for r in rows)
    wall = sum(float(r["wall_s"]) for r in rows)
    cpu = sum(float(r["cpu_s"]) for r in rows)
    return docs / wall, docs / cpu


def compare(args: argparse.Namespace) -> None:
    """Each base size with ``--before`` (if given) then this code, each in its own process on a copy of
    the same base; a last table of both."""
    keeps = args.keep or [None] * len(args.base)
    if len(keeps) != len(args.base):
        raise SystemExit("give one --keep folder per --base size")
    table = []
    for base, keep in zip(args.base, keeps, strict=True):
        for tag, src in ([("before", args.before)] if args.before else []) + [("after", None)]:
            rows = run_child(args, base, keep, src, f"{tag}_{base}_{args.out}")
            table.append((base, tag, rows))
    print(f"\nstory_throughput: {args.limit or 'all the'} Reuters bodies in batches of {args.batch} into each store, "
          f"workers {args.workers} (1: the stages one by one in this process; CPU counts the workers), lexical-only; "
          f"each figure over every batch and the store's closing (its last WAL checkpoint); load average now {load()}")
    print(f"{'stored':>7} {'engine':<40} {'docs/s wall':>11} {'docs/CPU-s':>10}  stories CPU s per batch")
    after = {}
    for base, tag, rows in table:
        dw, dc = figures(rows)
        name = f"before ({args.before})" if tag == "before" else "after (this code)"
        st_cpu = ", ".join(f"{float(r['stage_cpu_s'].get('stories', 0.0)):.2f}" for r in rows)
        print(f"{rows[0]['stored']:>7} {name:<40} {dw:>11.1f} {dc:>10.1f}  {st_cpu}")
        after.setdefault(base, {})[tag] = (dw, dc)
    ends = {(base, tag): rows[-1] for base, tag, rows in table}
    for base, got in after.items():
        if "before" in got:
            (bw, bc), (aw, ac) = got["before"], got["after"]
            b, a = ends[(base, "before")], ends[(base, "after")]
            same = {k: b.get(k) == a.get(k) and b.get(k) is not None for k in ("assign_sha", "stories_sha", "pairs_sha")}
            print(f"{base:>7} after / before: wall x{aw / bw:.2f}, CPU x{ac / bc:.2f}; stories {b.get('n_stories')} / "
                  f"{a.get('n_stories')}; the same assignment {same['assign_sha']}, stories {same['stories_sha']}, pairs {same['pairs_sha']}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=int, default=250)
    ap.add_argument("--keep", nargs="+", help="folder for the base store (built once, reused after); one per --base size")
    ap.add_argument("--base", type=int, nargs="+", default=[BASE],
                    help="documents in the base store; several sizes (2000 20000) run one after the other, each in a child process")
    ap.add_argument("--reassign", action="store_true", help="re-cluster the kept base store first (untimed)")
    ap.add_argument("--limit", type=int, default=0, help="add at most this many Reuters bodies (0: all the rest)")
    ap.add_argument("--pipeline-only", action="store_true",
                    help="time the incremental pipeline only (no assign / index add / recompute figures)")
    ap.add_argument("--workers", type=int, default=1,
                    help="run each batch as `wiretrace run` does (engine.finish) with this many worker processes, "
                         "kept across batches as the service keeps them (0: every core; 1: the stages one by one here)")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="cProfile each batch's whole run (ingest to stories, this process) and print its N costliest functions "
                         "(cumulative, then own time)")
    ap.add_argument("--before", metavar="SRC",
                    help="an earlier commit's src (git archive COMMIT src): the same batches timed with it first, in a child "
                         "process with SRC first on PYTHONPATH, on a copy of the same base, then this code; both printed")
    ap.add_argument("--out", default="story_throughput.json", help="file name of the figures under bench/results")
    args = ap.parse_args(argv)
    if args.before or len(args.base) > 1:
        compare(args)
        return
    args.base = args.base[0]
    args.keep = args.keep[0] if args.keep else None
    config = RunConfig(align=AlignConfig(semantic=False))
    bbc = list(bbc_records())
    reuters = list(reuters_records())
    if args.base < BASE:  # smoke test: Reuters only
        base_records, rest = reuters[: args.base], reuters[args.base :]
    else:
        base_records, rest = bbc + reuters[: args.base - len(bbc)], reuters[args.base - len(bbc) :]
    rest = rest[: args.limit] if args.limit else rest
    n_bbc = len(bbc) if args.base >= BASE else 0
    print(f"story_throughput: base {len(base_records)} documents ({n_bbc} BBC + {len(base_records) - n_bbc} Reuters), "
          f"then {len(rest)} Reuters bodies in batches of {args.batch}; lexical-only; load average {load()} on {os.cpu_count()} CPUs")
    tmp = tempfile.mkdtemp(prefix="story-tp-")
    try:
        keep = Path(args.keep) if args.keep else Path(tmp) / "base"
        if not (keep / "BUILT").exists():
            keep.mkdir(parents=True, exist_ok=True)
            write_jsonl(base_records, keep / "base.jsonl")
            _, w, c = timed(wiretrace.run, [keep / "base.jsonl"], config, keep / "store")
            (keep / "BUILT").write_text(f"{len(base_records)} documents\n", encoding="utf-8")
            print(f"base store built: {w:.0f} s wall, {c:.0f} CPU s (this process)")
        work = Path(tmp) / "store"
        shutil.copytree(keep / "store", work)
        inbox = Path(tmp) / "in"
        inbox.mkdir()
        store = st.Store(work)
        embedder = Embedder(cache=store.embedding_cache())
        ex = None
        if args.workers != 1:  # the current engine only (an older one has no engine module)
            import dataclasses

            from wiretrace.engine.local import executor_for, finish

            config = dataclasses.replace(config, workers=args.workers)
            ex = executor_for(store, config, embedder)
        try:  # an engine that keeps level 2's story index: build it once for the base, untimed (an older one has none)
            from wiretrace.engine import local as _local
            from wiretrace.engine import story_state as _story_state

            if not _story_state.valid(store.db, config.stories) and not args.reassign:
                _, w, c = timed(_local._place, store, config)
                print(f"kept story index built for the base with this code: {w:.1f} s wall, {c:.1f} CPU s (not in the figures)")
        except ImportError:
            pass
        if args.reassign:  # the kept base was clustered by other code: place and trace it again, untimed
            with store.db:
                store.db.execute("DELETE FROM assignments")
                store.db.execute("DELETE FROM stories")
            store.set_stage(store.all_ids(), st.RELATED)
            _, w, c = timed(build_stories, store, config, _quiet, embedder)
            print(f"base stories placed and traced again with this code: {w:.0f} s wall, {c:.0f} CPU s (not in the figures)")
        print(f"\n{'batch':>5} {'docs':>5} {'stored':>6} | {'pipeline d/s':>12} {'d/CPU-s':>8} | {'stories d/s':>11} {'d/CPU-s':>8} | "
              f"{'assign d/s':>10} {'d/CPU-s':>8} | {'index add d/s':>13} {'d/CPU-s':>8} {'scored/add':>10} | "
              f"{'recompute d/s':>13} {'d/CPU-s':>8} | load")
        rows = []
        for b in range(0, len(rest), args.batch):
            batch = rest[b : b + args.batch]
            write_jsonl(batch, inbox / f"batch{b // args.batch:03d}.jsonl")
            stats = Stats()
            # The index as the last run left it, for the in-memory figure (built before this batch).
            ids_before = set(store.all_ids())
            prior = store.assignments()
            t0, c0 = time.perf_counter(), time.process_time()
            stage_s: dict[str, tuple[float, float]] = {}  # stage -> (wall, CPU) seconds

            def stage(name: str, fn: Callable[..., T], *a: object, into: dict[str, tuple[float, float]] = stage_s) -> T:
                out, w, c = timed(fn, *a)
                into[name] = (w, c)
                return out

            kept = None
            prof = None
            if args.profile:
                import cProfile

                prof = cProfile.Profile()
                prof.enable()
            stage("ingest", ingest_into, store, [inbox], config, _quiet, stats)
            if ex is not None:
                k0 = ex.worker_cpu
                finish(store, config, _quiet, stats, ex)  # the stages after ingest, as a run does them
                stage_s.update({k: (stats.wall_s[k], stats.cpu_s[k]) for k in stats.cpu_s if k != "ingest"})
                sw, sc = stage_s["stories"]
                pw, pc = time.perf_counter() - t0, time.process_time() - c0 + ex.worker_cpu - k0
            else:
                boiler = stage("learn", learn, store, config, stats)
                stage("clean", clean_pending, store, boiler, config, _quiet, stats)
                stage("sketch", sketch_pending, store, config, _quiet, stats)
                stage("relate", relate_pending, store, config, _quiet, stats, embedder)
                kept, sw, sc = timed(build_stories, store, config, _quiet, embedder)
                stage_s["stories"] = (sw, sc)
                pw, pc = time.perf_counter() - t0, time.process_time() - c0
            if prof is not None:
                import pstats

                prof.disable()
                pstats.Stats(prof).sort_stats("cumulative").print_stats(args.profile)
                pstats.Stats(prof).sort_stats("tottime").print_stats(args.profile)
            new = sorted(set(store.all_ids()) - ids_before)
            n = len(new)
            print(f"      batch {b // args.batch + 1}: {n} documents into {len(ids_before)}: pipeline {n / pw:.1f} docs/s wall, "
                  f"{n / pc:.1f} docs/CPU-s; CPU s by stage: " + ", ".join(f"{k} {v[1]:.2f}" for k, v in stage_s.items())
                  + f"; recleaned {stats.recleaned}" + ("" if kept is None else f"; level 2 {'from the kept index' if kept else 'placed every document again'}"))
            r: dict[str, object] = {
                "batch": b // args.batch + 1, "docs": n, "stored": len(ids_before), "pipeline_dps": n / pw,
                "pipeline_dpcpu": n / pc, "stories_dps": n / sw, "stories_dpcpu": n / sc,
                "stage_cpu_s": {k: round(v[1], 3) for k, v in stage_s.items()}, "load": load(), "wall_s": pw, "cpu_s": pc,
            }
            rows.append(r)
            if args.pipeline_only:
                continue
            # Inputs of the clustering, read once (after the timed run) for the assign / index / recompute figures.
            pairs = store.pairs()
            sketches, _ = store.sketches()
            summaries = story_summaries(store, sketches)
            idf = idf_from_sketches(sketches.values())
            comps = reuse_components(summaries, pairs)
            links = same_story_links(pairs)
            _, aw, ac = timed(assign, summaries, comps, links, idf, config.stories, prior)
            # The in-memory index: stored stories loaded (not timed), then the batch's components added.
            index = StoryIndex(idf, config.stories)
            by_story: dict[str, list[DocSummary]] = {}
            for d, sid in prior.items():
                if d in summaries:
                    by_story.setdefault(sid, []).append(summaries[d])
            for sid, docs in sorted(by_story.items()):
                index.load(sid, docs)
            new_set = set(new)
            todo = sorted(([summaries[m] for m in c] for c in comps if new_set.intersection(c)), key=lambda ds: min(d.key for d in ds))
            linked: dict[str, set[str]] = {}
            for x, y in links:
                linked.setdefault(x, set()).add(y)
                linked.setdefault(y, set()).add(x)
            n_stories = len(index.stories)
            _, iw, ic = timed(add_all, index, todo, linked)
            scored = index.scored / max(1, len(todo))
            _, rw, rc = timed(assign, summaries, comps, links, idf, config.stories, None)
            r.update({
                "assign_dps": n / aw, "assign_dpcpu": n / ac, "index_dps": n / iw, "index_dpcpu": n / ic,
                "scored_per_add": scored, "stories_in_index": n_stories,
                "recompute_dps": n / rw, "recompute_dpcpu": n / rc, "load": load(),
            })
            print(f"{r['batch']:>5} {n:>5} {len(ids_before):>6} | {r['pipeline_dps']:>12.1f} {r['pipeline_dpcpu']:>8.1f} | "
                  f"{r['stories_dps']:>11.1f} {r['stories_dpcpu']:>8.1f} | {r['assign_dps']:>10.1f} {r['assign_dpcpu']:>8.1f} | "
                  f"{r['index_dps']:>13.0f} {r['index_dpcpu']:>8.0f} {scored:>10.1f} | {r['recompute_dps']:>13.1f} "
                  f"{r['recompute_dpcpu']:>8.1f} | {r['load']}")
        # What the batches left (for --before: the same stories with both engines), read untimed.
        same = outcome(store)
        # Closing counts: the workers' end, and the store's last WAL checkpoint (pages the batches wrote).
        k0 = ex.worker_cpu if ex is not None else 0.0
        t0, c0 = time.perf_counter(), time.process_time()
        if ex is not None:
            ex.close()
        store.close()
        cw, cc = time.perf_counter() - t0, time.process_time() - c0 + (ex.worker_cpu - k0 if ex is not None else 0.0)
        rows[-1].update(same)
        rows[-1].update({"close_wall_s": cw, "wall_s": float(rows[-1]["wall_s"]) + cw, "cpu_s": float(rows[-1]["cpu_s"]) + cc})  # type: ignore[arg-type]
        total = sum(int(r["docs"]) for r in rows)  # type: ignore[call-overload]
        wall = sum(float(r["wall_s"]) for r in rows)  # type: ignore[arg-type]
        cpu = sum(float(r["cpu_s"]) for r in rows)  # type: ignore[arg-type]
        print(f"\npipeline (ingest to stories), {total} documents in batches of {args.batch} into a store of "
              f"{rows[0]['stored']}, the store's closing ({cw:.2f} s wall) included: {total / wall:.1f} documents/s wall, "
              f"{total / cpu:.1f} documents per CPU-second")
        if not args.pipeline_only:
            print(f"stories in the index before the last batch: {rows[-1]['stories_in_index']}; "
                  f"'scored/add': stories the index scored per added component (of that many)")
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / args.out).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
