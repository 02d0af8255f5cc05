"""Where the transformer's sentences come from in the relate stage (default mode), on real data.

The stages up to ``sketch`` run once into a store (``--prepared DIR`` keeps it for the next run); the
relate stage then runs in this process, one worker, with a cold embedding cache, and every sentence
MiniLM embeds (a cache miss) is charged to:

* the **reason** the semantic pass asked for it: ``lead`` (the lead test of a pair with no verbatim
  link), ``doc`` (every sentence of both sides: the document cosine the static vectors did not
  settle), ``sentence`` (the sentence pairs the static bound and the paraphrase model cannot rule
  out), ``split`` (neighbours of a match, for a one-to-two match);
* the pair's **candidate source**: found by the embedding path only, or by a lexical path
  (MinHash bands, anchors, names; perhaps also the embedding path);
* the pair's **outcome**: its relation, and whether the semantic pass changed it (the relation the
  same pair gets with the semantic pass off).

``--sample F`` relates only the candidate pairs of a random share F of the documents (the others are
marked related: an incremental run of that share), for a corpus whose whole relate stage is too long
to profile; ``--cprofile FILE`` also profiles the stage with cProfile and prints the top functions;
``--parts`` prints the CPU seconds (``time.process_time``, no profiler) spent in the semantic pass's
parts: the screen, sentence profiles, the paraphrase decision, static vectors, MiniLM (tokenizer and
onnxruntime apart). It works with a base's code on PYTHONPATH too (parts that code lacks are skipped).

    .venv/bin/python bench/semantic_profile.py --corpus bbc --prepared /tmp/h4_prep
    .venv/bin/python bench/semantic_profile.py --corpus both --prepared /tmp/s10-prep-both --sample 0.1 --cprofile /tmp/both.prof
"""

from __future__ import annotations

import argparse
import linecache
import os
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import semantic_eval  # noqa: E402

_LABELS = (
    ("lead_cos = ", "lead"),
    ("va, vb = embedder.embed", "doc"),
    ("texts_a[: config.doc_sentences]", "doc"),
    ("sentence_vec.fill(sims, need)", "sentence"),
    ("sentence_vec.fill(sims, [", "split"),
)


def _label(frame: Any) -> str:
    """Which request of the semantic pass a call to ``Embedder.embed`` serves (by the calling line)."""
    f = frame
    for _ in range(4):
        if f is None:
            break
        line = linecache.getline(f.f_code.co_filename, f.f_lineno)
        for needle, name in _LABELS:
            if needle in line:
                return name
        f = f.f_back
    return "other"


class _Clock:
    """CPU seconds (``time.process_time``, this process) spent inside named functions, each counted once
    however deep it recurses: functions are wrapped where their callers look them up."""

    def __init__(self) -> None:
        self.cpu: defaultdict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self.depth: Counter[str] = Counter()
        self.undo: list[tuple[Any, str, Any]] = []

    def timed(self, name: str, fn: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            if self.depth[name]:
                return fn(*args, **kwargs)
            self.depth[name] += 1
            c0 = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.cpu[name] += time.process_time() - c0
                self.depth[name] -= 1

        return wrapper

    def wrap(self, owner: Any, attr: str, name: str) -> None:
        fn = getattr(owner, attr)
        self.undo.append((owner, attr, fn))
        setattr(owner, attr, self.timed(name, fn))

    def restore(self) -> None:
        for owner, attr, fn in reversed(self.undo):
            setattr(owner, attr, fn)

    def report(self, total: float) -> None:
        print(f"\nCPU s of the relate stage's parts (process_time, one worker; a part includes those it calls; of {total:.1f} CPU s):")
        for name, c in sorted(self.cpu.items(), key=lambda kv: -kv[1]):
            print(f"{name:>58}{c:>9.1f}{c / max(total, 1e-9):>8.1%}{self.calls[name]:>11,} calls")


def _clock_parts(clock: _Clock, embedder: Any) -> None:
    """Wrap the parts of the relate stage that the semantic pass adds (and the pair as a whole)."""
    import importlib
    import importlib.util

    stage = importlib.import_module("wiretrace.align.stage")
    sem = importlib.import_module("wiretrace.align.semantic")
    stages = importlib.import_module("wiretrace.stages")
    static = importlib.import_module("wiretrace.embed.static")
    clock.wrap(stages, "relate_pair", "relate_pair (every candidate pair, whole)")
    clock.wrap(stage, "semantic_pass", "semantic_pass (whole)")
    clock.wrap(stages, "alignment", "alignment (verbatim and semantic passes)")
    clock.wrap(stages, "template", "template test")
    for attr, name in (
        ("sentence_settled", "semantic.sentence_settled (pair by pair)"),
        ("_none_can_match", "semantic._none_can_match (lead-test skip)"),
        ("_needed", "semantic._needed (which sentence pairs MiniLM reads)"),
        ("settled_cells", "screen.settled_cells (the matrix screen)"),
        ("cached_profile", "sentence profiles (cache lookups and misses)"),
        ("sentence_profile", "sentence profiles (built)"),
        ("paraphrase_decision", "semantic.paraphrase_decision (above the floor)"),
    ):
        if hasattr(sem, attr):
            clock.wrap(sem, attr, name)
    screen = importlib.import_module("wiretrace.align.screen") if importlib.util.find_spec("wiretrace.align.screen") else None
    if screen is not None:
        clock.wrap(screen, "sentence_profile", "sentence profiles (built)")
    clock.wrap(sem._LazyVectors, "fill", "semantic._LazyVectors.fill (MiniLM cosines of the cells read)")
    clock.wrap(static.StaticEmbedder, "embed", "static sentence vectors")
    clock.wrap(type(embedder), "embed", "MiniLM embed (cache, tokenizer, onnxruntime)")
    load = embedder._load

    def load_timed() -> Any:
        run = load()
        # The closure's tokenizer and session, behind timing proxies.
        for cell in run.__closure__ or ():
            obj = cell.cell_contents
            if hasattr(obj, "encode_batch"):
                cell.cell_contents = _Proxy(obj, "encode_batch", clock.timed("tokenizer encode_batch", obj.encode_batch))
            elif hasattr(obj, "run") and hasattr(obj, "get_providers"):
                cell.cell_contents = _Proxy(obj, "run", clock.timed("onnxruntime session.run", obj.run))
        return run

    embedder._load = load_timed


class _Proxy:
    def __init__(self, inner: Any, attr: str, fn: Any) -> None:
        self._inner, self._attr, self._fn = inner, attr, fn

    def __getattr__(self, name: str) -> Any:
        return self._fn if name == self._attr else getattr(self._inner, name)


def profile(
    folder: Path, corpus_docs: int, sample: float | None = None, cprofile: Path | None = None, parts: bool = False,
) -> None:
    from wiretrace import stages
    from wiretrace.align import AlignConfig
    from wiretrace.embed.minilm import Embedder, sentence_key
    from wiretrace.embed.static import StaticEmbedder
    from wiretrace.engine import local as engine
    from wiretrace.engine import pipeline as pl
    from wiretrace.engine import store as st

    charged: Counter[tuple[str, str]] = Counter()  # (reason, source) -> sentences
    per_pair: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    current: dict[str, Any] = {"key": None, "source": "none"}

    class Tracing(Embedder):
        def embed(self, texts):  # type: ignore[no-untyped-def]
            new = {k for k in (sentence_key(t) for t in texts) if k not in self.cache}
            if new:
                label = _label(sys._getframe(1))
                charged[(label, current["source"])] += len(new)
                if current["key"] is not None:
                    per_pair[current["key"]][label] += len(new)
            return super().embed(texts)

    original = stages.relate_pair
    outcome: dict[tuple[str, str], tuple[str, str]] = {}
    names_decide: dict[tuple[str, str], bool] = {}

    def traced(a, b, idf, config, embedder, reasons=(), common=None, n_docs=None):  # type: ignore[no-untyped-def]
        key = (a.doc.id, b.doc.id)
        current["key"] = key
        current["source"] = "embedding only" if set(reasons) == {"embedding"} else "lexical path"
        na, nb = a.sketch.names, b.sketch.names
        nj = len(na & nb) / len(na | nb) if na | nb else 0.0
        names_decide[key] = nj >= config.relate.same_story_names
        pair = original(a, b, idf, config, embedder, reasons, common, n_docs)
        current["key"] = None
        if per_pair.get(key):
            lex = original(a, b, idf, config, None, reasons, common, n_docs)
            outcome[key] = (pair.relation if pair else "unrelated", lex.relation if lex else "unrelated")
        return pair

    stages.relate_pair = traced
    config = pl.RunConfig(align=AlignConfig(semantic=True))
    stats = pl.Stats()
    store = st.Store(folder)
    static = StaticEmbedder()
    _ = static.table
    embedder = Tracing(cache=store.embedding_cache(), static=static)
    if sample is not None:
        # Relate the candidate pairs of a random share of the documents only (the others are marked
        # related already): an incremental run of that share into the rest. Each outside document's
        # sentences serve fewer pairs than in a whole run, so sentences per pair read a little high.
        import random

        ids = store.all_ids()
        keep = set(random.Random(7).sample(ids, max(1, round(len(ids) * sample))))
        store.set_stage([i for i in ids if i not in keep], st.RELATED)
        corpus_docs = len(keep)
        print(f"sample: the candidate pairs of {len(keep):,} of {len(ids):,} documents")
    clock = _Clock()
    if parts:
        _clock_parts(clock, embedder)
    prof = None
    if cprofile is not None:
        import cProfile

        prof = cProfile.Profile()
    try:
        c0, w0 = time.process_time(), time.perf_counter()
        if prof is not None:
            prof.enable()
        engine.relate_pending(store, config, pl._quiet, stats, embedder, static)
        if prof is not None:
            prof.disable()
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        pairs = {(min(a, b), max(a, b)): r for a, b, r in store.db.execute("SELECT a, b, relation FROM pairs")}
    finally:
        store.close()
    stages.relate_pair = original
    clock.restore()
    if parts:
        clock.report(cpu)
    if prof is not None and cprofile is not None:
        import pstats

        prof.dump_stats(str(cprofile))
        print(f"\ncProfile of the relate stage (written to {cprofile}), by cumulative time:")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    total = sum(charged.values())
    print(f"\nrelate stage: {cpu:.1f} CPU s, {wall:.1f} wall s; {stats.candidates:,} candidate pairs, "
          f"{len(pairs):,} stored; {embedder.embedded:,} sentences embedded ({embedder.embedded / max(corpus_docs, 1):.2f} per doc)")
    print("\nsentences embedded by reason and candidate source:")
    sources = sorted({s for _, s in charged})
    print(f"{'reason':>10}" + "".join(f"{s:>16}" for s in sources) + f"{'all':>10}{'share':>8}")
    for reason in sorted({r for r, _ in charged}, key=lambda r: -sum(v for (x, _), v in charged.items() if x == r)):
        row = [charged[(reason, s)] for s in sources]
        print(f"{reason:>10}" + "".join(f"{v:>16,}" for v in row) + f"{sum(row):>10,}{sum(row) / max(total, 1):>8.1%}")
    print(f"{'all':>10}" + "".join(f"{sum(v for (_, x), v in charged.items() if x == s):>16,}" for s in sources) + f"{total:>10,}")
    # Outcomes of the pairs that reached the transformer.
    print(f"\npairs that embedded something: {len(outcome):,} of {stats.candidates:,}")
    cost_by: Counter[tuple[str, str, str]] = Counter()
    n_by: Counter[tuple[str, str, str]] = Counter()
    for key, (rel, lex) in outcome.items():
        cls = "unrelated" if rel == "unrelated" else ("unchanged" if rel == lex else f"{lex}->{rel}")
        reasons_set = per_pair[key]
        kind = "+".join(sorted(reasons_set))
        cost_by[(cls, kind, "")] += sum(reasons_set.values())
        n_by[(cls, kind, "")] += 1
    print(f"{'outcome (lexical-only -> semantic)':>38}{'reasons':>24}{'pairs':>8}{'sentences':>11}")
    for (cls, kind, _), v in sorted(cost_by.items(), key=lambda kv: -kv[1]):
        print(f"{cls:>38}{kind:>24}{n_by[(cls, kind, '')]:>8,}{v:>11,}")
    split: Counter[tuple[str, bool]] = Counter()
    for key, c in per_pair.items():
        for reason, v in c.items():
            split[(reason, names_decide.get(key, False))] += v
    print("\nsentences by reason, where names in common already decide same_story (the document cosine cannot):")
    for reason in sorted({r for r, _ in split}):
        print(f"{reason:>10}  names decide {split[(reason, True)]:>7,}   cosine may decide {split[(reason, False)]:>7,}")
    by_cls: Counter[str] = Counter()
    for (cls, _, _), v in cost_by.items():
        by_cls["changed" if "->" in cls else cls] += v
    print("sentences by outcome: " + ", ".join(f"{k} {v:,} ({v / max(total, 1):.0%})" for k, v in by_cls.most_common()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", choices=["reuters", "bbc", "both"], default="bbc")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--prepared", type=Path, help="keep (or reuse) the store prepared up to sketch here")
    ap.add_argument("--sample", type=float, help="relate only the candidate pairs of this share of the documents (e.g. 0.1)")
    ap.add_argument("--cprofile", type=Path, help="profile the relate stage with cProfile: write the stats here and print the top")
    ap.add_argument("--parts", action="store_true", help="CPU seconds (process_time) of the semantic pass's parts, no cProfile")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="wiretrace-semprof-", dir="/tmp") as tmp:
        prep = args.prepared / "prepared" if args.prepared else Path(tmp) / "prepared"
        if not (prep / "wiretrace.sqlite").is_file():
            prep.parent.mkdir(parents=True, exist_ok=True)
            n = semantic_eval.prepare(args.corpus, args.limit, prep)
            (prep.parent / "n_docs").write_text(str(n))
        n = int((prep.parent / "n_docs").read_text())
        work = Path(tmp) / "run"
        shutil.copytree(prep, work)
        profile(work, n, args.sample, args.cprofile, args.parts)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
