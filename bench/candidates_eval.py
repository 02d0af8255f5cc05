"""Which candidate paths find which pairs: the lexical paths (exact, lsh, anchors, names) against the
embedding path (static body vectors, nearest neighbours above a cosine floor), on real data.

* Clough & Stevenson (95 short answers, 5 Wikipedia sources): every answer and source is one document;
  the pair (answer, its task's source) should be a candidate for ``cut``, ``light`` and ``heavy``
  answers (heavy rewrites share few word 5-grams). Recall by class and path, and how many candidates
  each path proposes (with the share that joins two texts of the same task: the rest are noise).
* MRPC (train split, 4076 sentence pairs): every distinct sentence is one document; recall of the
  paraphrase pairs (label 1) by path, and the candidates each path proposes.
* Reuters + BBC (21268 documents): what the embedding path costs at corpus scale: the static vectors'
  docs/CPU-s, the neighbour search's CPU seconds, and the candidate pairs it adds beyond the lexical
  paths (each would be aligned in a semantic run).
* ``ann``: exact search against faiss HNSW (M=32, efConstruction 80, efSearch 64, one thread) on the
  static vectors of the Reuters + BBC record texts: CPU seconds and HNSW's recall of the exact neighbours.

The lexical paths are ``CandidateIndex`` as the pipeline builds it; the embedding path is
``candidates.candidate_pairs(..., vectors)`` with ``CandidateConfig()`` (k, floor), and with the
floors given by ``--floors`` for comparison.

    .venv/bin/python bench/candidates_eval.py                  # all three
    .venv/bin/python bench/candidates_eval.py --only clough mrpc
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import clough_eval  # noqa: E402
import corpora  # noqa: E402
import mrpc_eval  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
LEXICAL = ("exact", "lsh", "anchors", "names")


def paths_for(texts: dict[str, str], floors: list[float]) -> tuple[dict[float, dict], dict]:
    """Candidate pairs of ``texts`` (id -> text) by path, one run per embedding floor, with timings."""
    import numpy as np

    from wiretrace.candidates.lexical import CandidateConfig, CandidateIndex, candidate_pairs
    from wiretrace.candidates.neighbours import body_text
    from wiretrace.clean import CleanConfig, clean
    from wiretrace.embed.static import StaticEmbedder
    from wiretrace.model import Document
    from wiretrace.sketch import sketch_batch

    docs = [Document(i, t, i, "text") for i, t in sorted(texts.items())]
    cleaned = {d.id: clean(d, CleanConfig()) for d in docs}
    sketches = sketch_batch(docs, cleaned)
    static = StaticEmbedder()
    _ = static.table
    c0 = time.process_time()
    vecs = static.embed([body_text(d, cleaned[d.id]) for d in docs])
    c1 = time.process_time()
    vectors = dict(zip((d.id for d in docs), vecs, strict=True))
    out = {}
    timing = {"docs": len(docs), "vector_cpu_s": round(c1 - c0, 3), "vector_docs_per_cpu_s": round(len(docs) / max(c1 - c0, 1e-9), 1)}
    for floor in floors:
        cfg = dataclasses.replace(CandidateConfig(), embedding_cos=floor)
        index = CandidateIndex(cfg)
        index.insert_many(sketches)
        c2 = time.process_time()
        lexical = candidate_pairs(index, [d.id for d in docs])
        c3 = time.process_time()
        both = candidate_pairs(index, [d.id for d in docs], vectors)
        c4 = time.process_time()
        out[floor] = both
        timing[f"lexical_cpu_s@{floor}"] = round(c3 - c2, 3)
        timing[f"embedding_search_cpu_s@{floor}"] = round((c4 - c3) - (c3 - c2), 3)
        assert set(lexical) <= set(both) and all(lexical[k] <= both[k] for k in lexical)
    assert np.all(np.isfinite(vecs))
    return out, timing


def by_path(pairs: dict) -> dict[str, set]:
    lex = {k for k, w in pairs.items() if w & set(LEXICAL)}
    emb = {k for k, w in pairs.items() if "embedding" in w}
    return {"lexical": lex, "embedding": emb, "union": lex | emb, "embedding only": emb - lex}


def clough(floors: list[float]) -> dict:
    answers, sources = clough_eval.load()
    texts = {a.file: a.text for a in answers} | {f"orig_task{t}": s for t, s in sources.items()}
    task = {a.file: a.task for a in answers} | {f"orig_task{t}": t for t in sources}
    found, timing = paths_for(texts, floors)
    rows = []
    for floor, pairs in found.items():
        paths = by_path(pairs)
        for cat in ("cut", "light", "heavy", "non"):
            truth = {tuple(sorted((a.file, f"orig_task{a.task}"))) for a in answers if a.label == cat}
            row = {"floor": floor, "class": cat, "pairs": len(truth)}
            for name, ps in paths.items():
                row[name] = round(len(truth & ps) / len(truth), 3)
            rows.append(row)
        for name, ps in paths.items():
            same = sum(1 for a, b in ps if task[a] == task[b])
            rows.append({"floor": floor, "class": f"candidates: {name}", "pairs": len(ps), "same task": same})
    return {"rows": rows, "timing": timing}


def mrpc(floors: list[float]) -> dict:
    pairs = mrpc_eval.load_mrpc()
    ids: dict[str, str] = {}
    for p in pairs:
        for s in (p.a, p.b):
            ids.setdefault(s, f"s{len(ids):05d}")
    texts = {i: s for s, i in ids.items()}
    found, timing = paths_for(texts, floors)
    rows = []
    for floor, cands in found.items():
        paths = by_path(cands)
        for label in (1, 0):
            truth = {tuple(sorted((ids[p.a], ids[p.b]))) for p in pairs if p.label == label}
            row = {"floor": floor, "class": f"label {label}", "pairs": len(truth)}
            for name, ps in paths.items():
                row[name] = round(len(truth & ps) / len(truth), 3)
            rows.append(row)
        for name, ps in paths.items():
            rows.append({"floor": floor, "class": f"candidates: {name}", "pairs": len(ps)})
    return {"rows": rows, "timing": timing}


def corpus_cost(floors: list[float]) -> dict:
    records = corpora.corpus("both")
    texts = {str(r["id"]): r["text"] or "" for r in records}
    found, timing = paths_for(texts, floors)
    rows = []
    for floor, cands in found.items():
        paths = by_path(cands)
        reasons = Counter(r for w in cands.values() for r in w)
        rows.append({"floor": floor, **{k: len(v) for k, v in paths.items()}, "reasons": dict(sorted(reasons.items()))})
    return {"rows": rows, "timing": timing}


def ann(floors: list[float]) -> dict:
    """Exact search against faiss HNSW (the path above ``embedding_exact_max``) on the static vectors
    of the Reuters + BBC record texts: CPU seconds and the share of exact neighbours HNSW returns."""
    import numpy as np

    from wiretrace.candidates.lexical import CandidateConfig
    from wiretrace.candidates.neighbours import nearest
    from wiretrace.embed.static import StaticEmbedder

    records = corpora.corpus("both")
    static = StaticEmbedder()
    _ = static.table
    vecs = static.embed([r["text"] or "" for r in records])
    vecs = vecs[np.any(vecs, axis=1)]
    q = np.arange(len(vecs))
    k = CandidateConfig().embedding_k
    rows = []
    for floor in floors:
        c0 = time.process_time()
        exact = nearest(vecs, q, k, floor, exact_max_docs=len(vecs))
        c1 = time.process_time()
        approx = nearest(vecs, q, k, floor, exact_max_docs=0)
        c2 = time.process_time()
        want = sum(len(r) for r in exact)
        got = sum(len({j for j, _ in a} & {j for j, _ in e}) for a, e in zip(approx, exact, strict=True))
        rows.append({
            "floor": floor, "docs": len(vecs), "exact CPU s": round(c1 - c0, 2), "HNSW CPU s": round(c2 - c1, 2),
            "exact neighbours": want, "HNSW recall": round(got / max(want, 1), 4),
        })
    return {"rows": rows, "timing": {}}


def table(rows: list[dict]) -> str:
    cols = list(dict.fromkeys(k for r in rows for k in r if k != "reasons"))
    cells = [cols] + [[str(r.get(c, "")) for c in cols] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(cols))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)) for c in cells)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", choices=["clough", "mrpc", "corpus", "ann"], default=["clough", "mrpc", "corpus", "ann"])
    ap.add_argument("--floors", nargs="+", type=float, help="embedding cosine floors (default: CandidateConfig's)")
    args = ap.parse_args()
    from wiretrace.candidates.lexical import CandidateConfig

    cfg = CandidateConfig()
    floors = args.floors or [cfg.embedding_cos]
    load0 = os.getloadavg()[0]
    print(
        f"candidate paths: lexical (exact/lsh/anchors/names) vs embedding (k={cfg.embedding_k}, floors {floors}); "
        f"1-min load {load0:.2f}"
    )
    payload: dict = defaultdict(dict)
    for name, fn in (("clough", clough), ("mrpc", mrpc), ("corpus", corpus_cost), ("ann", ann)):
        if name not in args.only:
            continue
        print(f"\n== {name} ==", flush=True)
        r = fn(floors)
        payload[name] = r
        print(table(r["rows"]))
        if name == "corpus":
            for row in r["rows"]:
                print(f"  floor {row['floor']}: reasons {row['reasons']}")
        print("timing:", json.dumps(r["timing"]))
    print(f"\n1-min load after: {os.getloadavg()[0]:.2f}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    dest = RESULTS / "candidates_eval.json"
    dest.write_text(json.dumps(payload, indent=1, default=str), encoding="utf-8")
    print(f"wrote {dest}")


if __name__ == "__main__":
    main()
