"""Fit the static-vector bounds of the semantic cascade (``src/wiretrace/align/data/semantic_bounds.json``).

The aligner's semantic pass reads MiniLM cosines at three places: the lead test (mean vector of the
first ``AlignConfig.lead`` sentences, against ``lead_cos`` and, where it stops there, against
``RelateConfig.same_story_cos``), the document cosine (mean vector of every sentence, against
``same_story_cos``), and each sentence pair (against ``paraphrase_cos`` / ``split_cos``). The static
vectors (``static.StaticEmbedder``, sentence-level) cost ~1/100 of the transformer. This script
measures both cosines on real document pairs of four corpora (BBC, Reuters-21578, ECB+, msv
search results): for each corpus, a sample of documents paired with their nearest document by static
body vector (as the embedding candidate path pairs them) and with a random one of the same corpus;
sentences cut as the aligner cuts them (four words or more).

For each test it writes the static cosine BELOW which no measured pair reached the MiniLM threshold
less a margin (``--margin``), itself less a static margin (``--static-margin``): below that bound the
transformer's answer is "below the threshold" on every calibration pair with room to spare, so the
aligner settles it without the transformer. Only the "clearly below" side is settled: above it
MiniLM runs, and every value the outputs carry is still the transformer's.

    .venv/bin/python bench/semantic_calibrate.py                 # print the fit
    .venv/bin/python bench/semantic_calibrate.py --write         # and write the bounds file
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpora  # noqa: E402
import story_eval  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def load(name: str) -> list[str]:
    if name in ("bbc", "reuters"):
        return [str(r["text"]) for r in corpora.corpus(name) if r["text"]]
    if name == "ecbplus":
        return [str(d["text"]) for d in story_eval.ecbplus()[0]]
    if name == "msv":
        return [str(d["text"]) for _, docs, _ in story_eval.msv_queries() for d in docs]
    raise SystemExit(f"unknown corpus {name!r}")


def doc_pairs(texts: list[str], n_docs: int, rng: random.Random, static) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Each sampled document with its nearest other document (static body cosine) and a random one."""
    pick = sorted(rng.sample(range(len(texts)), min(n_docs, len(texts))))
    vecs = static.embed(texts)
    pairs = set()
    for i in pick:
        sims = vecs @ vecs[i]
        sims[i] = -2.0
        sims[[j for j in range(len(texts)) if texts[j] == texts[i]]] = -2.0  # copies teach nothing here
        j = int(np.argmax(sims))
        pairs.add((min(i, j), max(i, j)))
        r = rng.randrange(len(texts))
        if r != i and texts[r] != texts[i]:
            pairs.add((min(i, r), max(i, r)))
    return sorted(pairs)


def sentences_of(text: str) -> list[str]:
    from wiretrace.align import sentence_spans
    from wiretrace.text.tokens import words_in_ranges

    rng = ((0, len(text)),)
    w = words_in_ranges(text, rng)
    return [text[s[0] : s[1]] for s in sentence_spans(text, rng, w) if s[3] - s[2] >= 4]


def mean_cos(va: np.ndarray, vb: np.ndarray) -> float:
    from wiretrace.align import mean_cos as align_mean_cos

    return align_mean_cos(va, vb)


def measure(corpus_names: list[str], n_docs: int, seed: int) -> dict[str, dict[str, list[tuple[float, float]]]]:
    from wiretrace.align import AlignConfig
    from wiretrace.embed.minilm import Embedder
    from wiretrace.embed.static import StaticEmbedder

    lead = AlignConfig().lead
    emb, static = Embedder(), StaticEmbedder()
    out: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for name in corpus_names:
        t0 = time.perf_counter()
        texts = load(name)
        rng = random.Random(seed)
        pairs = doc_pairs(texts, n_docs, rng, static)
        sents = {i: sentences_of(texts[i]) for p in pairs for i in p}
        recs: dict[str, list[tuple[float, float]]] = {"sentence": [], "lead": [], "doc": []}
        for i, j in pairs:
            sa, sb = sents[i], sents[j]
            if not sa or not sb:
                continue
            ma, mb = emb.embed(sa), emb.embed(sb)
            xa, xb = static.embed(sa), static.embed(sb)
            recs["lead"].append((mean_cos(xa[:lead], xb[:lead]), mean_cos(ma[:lead], mb[:lead])))
            recs["doc"].append((mean_cos(xa, xb), mean_cos(ma, mb)))
            recs["sentence"].extend(zip((xa @ xb.T).ravel().tolist(), (ma @ mb.T).ravel().tolist(), strict=True))
        out[name] = recs
        print(f"{name}: {len(pairs)} document pairs, {sum(len(s) for s in sents.values())} sentences, "
              f"{len(recs['sentence'])} sentence pairs, {emb.embedded} embedded so far ({time.perf_counter() - t0:.0f} s)",
              flush=True)
    return out


def _xy(recs: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    return np.array([r[0] for r in recs]), np.array([r[1] for r in recs])


def below(recs: list[tuple[float, float]], threshold: float, margin: float, static_margin: float) -> float:
    """The static cosine below which every pair's MiniLM cosine stayed under ``threshold - margin``."""
    x, y = _xy(recs)
    hot = x[y >= threshold - margin]
    return round((float(hot.min()) if len(hot) else 1.0) - static_margin, 4)


def above(recs: list[tuple[float, float]], threshold: float, margin: float, static_margin: float) -> float:
    """The static cosine from which every pair's MiniLM cosine reached ``threshold + margin``."""
    x, y = _xy(recs)
    cold = x[y < threshold + margin]
    return round((float(cold.max()) if len(cold) else -1.0) + static_margin, 4)


def envelope(recs: list[tuple[float, float]], margin: float, static_margin: float, step: float = 0.05) -> list[list[float]]:
    """``[static edge, bound]`` rows: a pair with static cosine below the edge had a MiniLM cosine
    under the bound (the largest seen below ``edge + static_margin``, plus ``margin``)."""
    x, y = _xy(recs)
    rows = []
    for edge in np.arange(-0.2, 1.0 + 1e-9, step):
        seen = y[x < edge + static_margin]
        rows.append([round(float(edge), 3), round(min(1.0, (float(seen.max()) if len(seen) else -1.0) + margin), 4)])
    return rows


def linear(recs: list[tuple[float, float]]) -> list[float]:
    """Least squares MiniLM ~ a + b * static (the estimate a settled cosine reports)."""
    x, y = _xy(recs)
    b, a = np.polyfit(x, y, 1)
    return [round(float(a), 4), round(float(b), 4)]


def report(name: str, recs: list[tuple[float, float]], lo: float | None, hi: float | None) -> dict[str, float | int]:
    x, y = _xy(recs)
    settled_lo = x < lo if lo is not None else np.zeros(len(x), bool)
    settled_hi = x >= hi if hi is not None else np.zeros(len(x), bool)
    return {
        "pairs": len(x), "pearson": round(float(np.corrcoef(x, y)[0, 1]), 4),
        "settled_below_share": round(float(settled_lo.mean()), 4), "settled_above_share": round(float(settled_hi.mean()), 4),
        "max_minilm_below": round(float(y[settled_lo].max()), 4) if settled_lo.any() else -1.0,
        "min_minilm_above": round(float(y[settled_hi].min()), 4) if settled_hi.any() else 2.0,
    }


def main() -> None:
    from wiretrace.align import AlignConfig
    from wiretrace.relate.pair import RelateConfig

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpora", default="bbc,reuters,ecbplus,msv")
    ap.add_argument("--docs", type=int, default=120, help="documents sampled per corpus (each gives two pairs)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--margin", type=float, default=0.05, help="MiniLM cosine margin under each threshold")
    ap.add_argument("--static-margin", type=float, default=0.02, help="static cosine taken off each bound")
    ap.add_argument("--write", action="store_true", help="write src/wiretrace/align/data/semantic_bounds.json")
    args = ap.parse_args()
    names = args.corpora.split(",")
    data = measure(names, args.docs, args.seed)
    ac, rc = AlignConfig(), RelateConfig()
    m, sm = args.margin, args.static_margin
    pooled = {t: [r for n in names for r in data[n][t]] for t in ("sentence", "lead", "doc")}
    stop, go = min(ac.lead_cos, rc.same_story_cos), max(ac.lead_cos, rc.same_story_cos)
    fitted: dict[str, dict] = {
        # A sentence pair matches only from min(paraphrase_cos, split_cos); the envelope bounds its
        # MiniLM cosine for the paraphrase model's exact test (align.sentence_settled).
        "sentence": {"threshold": min(ac.paraphrase_cos, ac.split_cos),
                     "static_below": below(pooled["sentence"], min(ac.paraphrase_cos, ac.split_cos), m, sm),
                     "envelope": envelope(pooled["sentence"], m, sm)},
        # The lead test stops below lead_cos, and its cosine then decides same_story: settled below
        # the lower of the two (the pass stops, nothing same_story), or above the higher (the pass goes on).
        "lead": {"threshold": stop, "static_below": below(pooled["lead"], stop, m, sm),
                 "go_threshold": go, "static_above": above(pooled["lead"], go, m, sm)},
        # The document cosine decides same_story (same_story_cos) and, for reports far apart in time,
        # far_same_story_cos: settled where the static cosine is clear of both.
        "doc": {"threshold": rc.same_story_cos, "static_below": below(pooled["doc"], rc.same_story_cos, m, sm),
                "static_above": above(pooled["doc"], rc.same_story_cos, m, sm),
                "far_threshold": rc.far_same_story_cos,
                "far_below": below(pooled["doc"], rc.far_same_story_cos, m, sm),
                "far_above": above(pooled["doc"], rc.far_same_story_cos, m, sm),
                "linear": linear(pooled["doc"])},
    }
    for test in ("sentence", "lead", "doc"):
        f = fitted[test]
        print(f"\n{test}: {({k: v for k, v in f.items() if k != 'envelope'})}")
        for n in [*names, "pooled"]:
            recs = pooled[test] if n == "pooled" else data[n][test]
            print(f"  {n:8s} {report(n, recs, f['static_below'], f.get('static_above'))}")
        if "envelope" in f:
            print("  envelope: " + " ".join(f"{e:.2f}:{u:.2f}" for e, u in f["envelope"]))
        f["check"] = report("pooled", pooled[test], f["static_below"], f.get("static_above"))
    if args.write:
        path = REPO / "src" / "wiretrace" / "align" / "data" / "semantic_bounds.json"
        doc = {
            "about": "Static-cosine bounds below which the MiniLM cosine is settled as below its threshold "
                     "(align.SemanticBounds); fitted by bench/semantic_calibrate.py.",
            "fitted": datetime.now(UTC).strftime("%Y-%m-%d"),
            "how": f"static_below: the smallest static cosine among calibration pairs whose MiniLM cosine reached "
                   f"threshold - {args.margin}, less {args.static_margin}; static_above: the largest static cosine "
                   f"among pairs whose MiniLM cosine stayed under threshold + {args.margin}, plus {args.static_margin}; "
                   "envelope: per static edge, the largest MiniLM cosine of the pairs below edge + static margin, "
                   "plus the margin; linear: least squares MiniLM ~ a + b * static over the document pairs",
            "data": {n: {t: len(v) for t, v in data[n].items()} for n in names},
            "sample": {"docs_per_corpus": args.docs, "seed": args.seed,
                       "pairs": "each sampled document with its nearest by static body vector, and a random one"},
            "margin": args.margin,
            "static_margin": args.static_margin,
            "bounds": fitted,
        }
        path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        print(f"\nwrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
