"""Passage alignment on a reuse suite built from Reuters-21578, scored with PAN's text-alignment measures.

Every case is made here, with a fixed seed, from bodies of ``../shared/data/reuters21578`` (read where
they lie; the SGML BODY, hard-wrapped lines joined back into paragraphs, tables and short items left
out). A *source* article S and a *suspicious* document D are built so that the reused characters are
known on both sides:

* ``verbatim``   2-5 consecutive sentences of S spliced into another article at a sentence boundary;
* ``light_edit`` the same, with PAN-style random obfuscation: 5-15 % of the words replaced by a word of
  the host, dropped, or followed by an inserted word, or swapped with their neighbour;
* ``reorder``    3-6 consecutive sentences of S spliced in shuffled order (one case: the whole block);
* ``two_places`` two separate passages of S spliced at two places of the host (two cases);
* ``truncation`` D is the first 30-70 % of S's paragraphs, followed by another article's paragraphs;
* ``boilerplate`` D is S's whole body wrapped in page furniture (menu, share line, newsletter appeal,
  teaser headlines of other Reuters stories, copyright);
* ``none``       S against an unrelated article, nothing spliced (every detection is a false one).

``wiretrace.align.align`` aligns S (side a) with D (side b) over their whole texts, with the shipped
``AlignConfig`` and the embedding pass on. Detections are its passages, cases the spliced ranges.
The measures are PAN's (Potthast et al., "An Evaluation Framework for Plagiarism Detection", COLING
2010), characters counted on both sides: a detection *detects* a case when they overlap in both
documents; precision is the mean over detections of the share of their characters inside a case they
detect, recall the mean over cases of the share of their characters inside detections that detect
them, granularity the mean number of detections per detected case, and
``plagdet = F1 / log2(1 + granularity)``.

    .venv/bin/python bench/align_eval.py                       # 40 pairs of each kind
    .venv/bin/python bench/align_eval.py --pairs 10 --cache /tmp/emb --show 3
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpora import reuters_records  # noqa: E402
from mrpc_eval import embedder_with_cache  # noqa: E402
from wiretrace.align import AlignConfig, align  # noqa: E402
from wiretrace.embed.minilm import Embedder  # noqa: E402
from wiretrace.model import Passage  # noqa: E402
from wiretrace.text.tokens import sentences  # noqa: E402

SEED = 20260322
KINDS = ("verbatim", "light_edit", "reorder", "two_places", "truncation", "boilerplate", "none")
Range = tuple[int, int]

# Page furniture around a body; invented, generic (no dataset text).
MENU = "Home | World | Business | Markets | Politics | Tech | Sport | Opinion"
SHARE = "Share this article: Facebook Twitter LinkedIn Email Print"
APPEAL = ("Support independent journalism. Our reporting is free to read because readers like you chip in. "
          "Subscribe to the morning briefing and get the day's top stories in your inbox.")
COPYRIGHT = "© 2026 The Daily Ledger. All rights reserved. Terms of use | Privacy policy | Contact us"


# --- Reuters bodies as articles ---------------------------------------------------------------------
_TRAILER = re.compile(r"\s*Reuter\s*\x03?\s*$")


def paragraphs(body: str) -> list[str]:
    """A Reuters BODY's paragraphs: a new paragraph starts at an indented line; wrapped lines are joined."""
    body = _TRAILER.sub("", body.replace("\x03", ""))
    paras = re.split(r"\n(?=[ \t]+\S)", body)
    return [" ".join(p.split()) for p in paras if p.strip()]


def is_prose(paras: Sequence[str]) -> bool:
    text = " ".join(paras)
    n_words = len(text.split())
    letters = sum(c.isalpha() for c in text)
    digits = sum(c.isdigit() for c in text)
    return n_words >= 150 and len(paras) >= 4 and digits / max(letters, 1) < 0.06 and text.count("..") < 3


@dataclass(frozen=True, slots=True)
class Article:
    id: str
    title: str
    paras: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paras)


def reuters_articles(limit: int | None = None) -> list[Article]:
    """Prose Reuters bodies (distinct texts), in file order."""
    seen: set[str] = set()
    out = []
    for r in reuters_records():
        paras = tuple(paragraphs(str(r["text"])))
        key = " ".join(paras)
        if key in seen or not is_prose(paras):
            continue
        seen.add(key)
        out.append(Article(str(r["id"]), str(r.get("title") or ""), paras))
        if limit and len(out) >= limit:
            break
    return out


def sentence_spans(text: str) -> list[Range]:
    """Sentences of three words or more (a lone closing quote the splitter leaves is not one)."""
    return [(s, e) for s, e in sentences(text) if len(text[s:e].split()) >= 3]


# --- building documents with known reuse --------------------------------------------------------------
@dataclass(slots=True)
class Builder:
    """Concatenates pieces of text and remembers where the marked ones landed."""

    parts: list[str] = field(default_factory=list)
    size: int = 0

    def add(self, piece: str) -> Range:
        start = self.size
        self.parts.append(piece)
        self.size += len(piece)
        return start, self.size

    @property
    def text(self) -> str:
        return "".join(self.parts)


@dataclass(frozen=True, slots=True)
class Case:
    src: Range  # in the source (side a)
    susp: Range  # in the suspicious document (side b)


@dataclass(frozen=True, slots=True)
class SuitePair:
    kind: str
    source: str
    suspicious: str
    cases: tuple[Case, ...]
    ids: tuple[str, str]


def _passage(rng: random.Random, art: Article, lo: int, hi: int) -> tuple[Range, list[Range]]:
    """A run of ``lo``-``hi`` consecutive sentences of ``art.text``: its range and its sentences."""
    sents = sentence_spans(art.text)
    n = min(len(sents), rng.randint(lo, hi))
    i = rng.randint(0, len(sents) - n)
    run = sents[i : i + n]
    return (run[0][0], run[-1][1]), run


def _insertion_points(text: str) -> list[int]:
    """Sentence starts of a host text (where a splice keeps sentences whole), and its end."""
    return [s for s, _ in sentence_spans(text)] + [len(text)]


def _obfuscate(rng: random.Random, text: str, vocab: Sequence[str], rate: float = 0.1) -> str:
    """PAN-style random obfuscation of a passage: word replacements, deletions, insertions, swaps."""
    toks = text.split(" ")
    out: list[str] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        r = rng.random()
        if r < rate * 0.4:
            out.append(rng.choice(vocab))
        elif r < rate * 0.6:
            pass  # dropped
        elif r < rate * 0.8:
            out.extend([t, rng.choice(vocab)])
        elif r < rate and i + 1 < len(toks):
            out.extend([toks[i + 1], t])
            i += 1
        else:
            out.append(t)
        i += 1
    return " ".join(out) if out else text


def _splice(host: str, inserts: Sequence[tuple[int, str]]) -> tuple[str, list[Range]]:
    """``host`` with each ``(offset, piece)`` inserted (offsets into ``host``, ascending), a space kept
    on either side of a piece; the pieces' ranges in the result."""
    b = Builder()
    ranges = []
    last = 0
    for at, piece in sorted(inserts):
        b.add(host[last:at])
        if b.size and not b.text[-1].isspace():
            b.add(" ")
        ranges.append(b.add(piece))
        if at < len(host) and not host[at].isspace():
            b.add(" ")
        last = at
    b.add(host[last:])
    return b.text, ranges


def make_pair(kind: str, rng: random.Random, src: Article, host: Article, other: Sequence[Article]) -> SuitePair:
    s_text, h_text = src.text, host.text
    ids = (src.id, host.id)
    if kind in ("verbatim", "light_edit", "reorder"):
        lo, hi = (3, 6) if kind == "reorder" else (2, 5)
        (a0, a1), run = _passage(rng, src, lo, hi)
        piece = s_text[a0:a1]
        if kind == "light_edit":
            piece = _obfuscate(rng, piece, h_text.split(), rate=rng.uniform(0.05, 0.15))
        elif kind == "reorder":
            order = list(range(len(run)))
            while len(order) > 1 and order == sorted(order):
                rng.shuffle(order)
            piece = " ".join(s_text[run[k][0] : run[k][1]] for k in order)
        at = rng.choice(_insertion_points(h_text))
        text, (b_rng,) = _splice(h_text, [(at, piece)])
        return SuitePair(kind, s_text, text, (Case((a0, a1), b_rng),), ids)
    if kind == "two_places":
        sents = sentence_spans(s_text)
        half = len(sents) // 2
        i1 = rng.randint(0, max(0, half - 2))
        i2 = rng.randint(half, max(half, len(sents) - 2))
        pieces = [(sents[i1][0], sents[min(i1 + 1, half - 1)][1]), (sents[i2][0], sents[min(i2 + 1, len(sents) - 1)][1])]
        points = _insertion_points(h_text)
        at1 = rng.choice(points[: max(1, len(points) // 2)])
        at2 = rng.choice(points[len(points) // 2 :])
        text, (rb1, rb2) = _splice(h_text, [(at1, s_text[slice(*pieces[0])]), (at2, s_text[slice(*pieces[1])])])
        return SuitePair(kind, s_text, text, (Case(pieces[0], rb1), Case(pieces[1], rb2)), ids)
    if kind == "truncation":
        k = max(1, round(len(src.paras) * rng.uniform(0.3, 0.7)))
        kept = "\n\n".join(src.paras[:k])
        b = Builder()
        b_rng = b.add(kept)
        b.add("\n\n" + "\n\n".join(host.paras[: max(2, len(host.paras) // 2)]))
        return SuitePair(kind, s_text, b.text, (Case((0, len(kept)), b_rng),), ids)
    if kind == "boilerplate":
        b = Builder()
        b.add(f"{MENU}\n\n{src.title.title()}\n\n{SHARE}\n\n")
        b_rng = b.add(s_text)
        teasers = "\n".join(f"• {o.title.title()}" for o in other[:4])
        b.add(f"\n\n{APPEAL}\n\nMore from the Ledger\n{teasers}\n\n{COPYRIGHT}")
        return SuitePair(kind, s_text, b.text, (Case((0, len(s_text)), b_rng),), ids)
    if kind == "none":
        return SuitePair(kind, s_text, h_text, (), ids)
    raise ValueError(f"align_eval: unknown kind {kind!r}; use one of {KINDS}")


def shares_text(x: str, y: str, n: int = 8) -> bool:
    """Whether two texts share any word n-gram (then a host could hold reuse nobody spliced)."""
    wx, wy = x.lower().split(), y.lower().split()
    gx = {tuple(wx[i : i + n]) for i in range(len(wx) - n + 1)}
    return any(tuple(wy[i : i + n]) in gx for i in range(len(wy) - n + 1))


def build_suite(n_per_kind: int, seed: int = SEED, articles: list[Article] | None = None) -> list[SuitePair]:
    """``n_per_kind`` pairs of each kind, every article used at most once as a source or host."""
    rng = random.Random(seed)
    arts = list(articles if articles is not None else reuters_articles())
    rng.shuffle(arts)
    need = n_per_kind * len(KINDS) * 3 + 4
    if len(arts) < need:
        sys.exit(f"align_eval: {len(arts)} usable Reuters articles, {need} needed; use a smaller --pairs")
    pool = iter(arts)
    suite = []
    for kind in KINDS:
        for _ in range(n_per_kind):
            src, host = next(pool), next(pool)
            while shares_text(src.text, host.text):  # Reuters reruns its own sentences: keep the truth complete
                host = next(pool)
            pair = make_pair(kind, rng, src, host, arts[-4:])
            for c in pair.cases:  # the ground truth points at what was copied
                if kind in ("verbatim", "two_places", "truncation", "boilerplate"):
                    assert pair.source[slice(*c.src)] == pair.suspicious[slice(*c.susp)], (kind, pair.ids)
            suite.append(pair)
    return suite


# --- PAN measures -------------------------------------------------------------------------------------
def _overlap(x: Range, y: Range) -> int:
    return max(0, min(x[1], y[1]) - max(x[0], y[0]))


def _union_len(ranges: list[Range]) -> int:
    total, end = 0, -1
    for s, e in sorted(ranges):
        if e <= end:
            continue
        total += e - max(s, end)
        end = e
    return total


@dataclass(slots=True)
class Pan:
    precision: float
    recall: float
    granularity: float
    cases: int
    detections: int

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def plagdet(self) -> float:
        return self.f1 / math.log2(1 + self.granularity)


def pan_measures(items: Sequence[tuple[Sequence[Case], Sequence[Passage]]]) -> Pan:
    """PAN's macro char precision/recall and granularity over (cases, detections) of many pairs."""
    prec_sum = rec_sum = 0.0
    n_det = n_case = 0
    detected = 0
    gran_sum = 0
    for cases, dets in items:
        hits: dict[int, list[int]] = defaultdict(list)  # case -> detections detecting it
        for j, d in enumerate(dets):
            src_in: list[Range] = []
            susp_in: list[Range] = []
            for i, c in enumerate(cases):
                if _overlap(c.src, d.a) and _overlap(c.susp, d.b):
                    hits[i].append(j)
                    src_in.append((max(c.src[0], d.a[0]), min(c.src[1], d.a[1])))
                    susp_in.append((max(c.susp[0], d.b[0]), min(c.susp[1], d.b[1])))
            size = (d.a[1] - d.a[0]) + (d.b[1] - d.b[0])
            prec_sum += (_union_len(src_in) + _union_len(susp_in)) / size
            n_det += 1
        for i, c in enumerate(cases):
            ds = [dets[j] for j in hits.get(i, [])]
            got = _union_len([(max(c.src[0], d.a[0]), min(c.src[1], d.a[1])) for d in ds]) + _union_len(
                [(max(c.susp[0], d.b[0]), min(c.susp[1], d.b[1])) for d in ds]
            )
            rec_sum += got / ((c.src[1] - c.src[0]) + (c.susp[1] - c.susp[0]))
            n_case += 1
            if ds:
                detected += 1
                gran_sum += len(ds)
    # PAN's conventions for empty sets: no cases and no detections is perfect; either alone scores 0.
    precision = prec_sum / n_det if n_det else (1.0 if n_case == 0 else 0.0)
    recall = rec_sum / n_case if n_case else (1.0 if n_det == 0 else 0.0)
    return Pan(precision, recall, gran_sum / detected if detected else 1.0, n_case, n_det)


# --- running ----------------------------------------------------------------------------------------
def run_suite(suite: Sequence[SuitePair], config: AlignConfig, embedder: Embedder | None) -> list[tuple[Sequence[Case], Sequence[Passage]]]:
    out = []
    for p in suite:
        al = align(p.source, ((0, len(p.source)),), p.suspicious, ((0, len(p.suspicious)),), config, embedder)
        out.append((p.cases, al.passages))
    return out


def report(suite: Sequence[SuitePair], results: Sequence[tuple[Sequence[Case], Sequence[Passage]]], title: str) -> dict[str, dict[str, float]]:
    print(f"\n{title}")
    print(f"{'kind':<12} {'pairs':>5} {'cases':>5} {'dets':>5} {'precision':>9} {'recall':>7} {'gran':>6} {'F1':>6} {'plagdet':>7}")
    table = {}
    for kind in (*KINDS, "all"):
        sel = [r for p, r in zip(suite, results, strict=True) if kind in ("all", p.kind)]
        m = pan_measures(sel)
        table[kind] = {"precision": m.precision, "recall": m.recall, "granularity": m.granularity, "f1": m.f1, "plagdet": m.plagdet}
        print(f"{kind:<12} {len(sel):>5} {m.cases:>5} {m.detections:>5} {m.precision:>9.4f} {m.recall:>7.4f} "
              f"{m.granularity:>6.3f} {m.f1:>6.4f} {m.plagdet:>7.4f}")
    return table


def show_misses(suite: Sequence[SuitePair], results: Sequence[tuple[Sequence[Case], Sequence[Passage]]], n: int) -> None:
    """Print the ``n`` worst pairs (lowest per-pair plagdet), with their cases and detections."""
    scored = sorted(((pan_measures([r]).plagdet, i) for i, r in enumerate(results)), key=lambda t: t[0])
    for score, i in scored[:n]:
        p, (cases, dets) = suite[i], results[i]
        print(f"\n--- {p.kind} {p.ids} plagdet {score:.3f}")
        for c in cases:
            print(f"  case a{c.src} b{c.susp}: {p.suspicious[c.susp[0]:c.susp[1]][:100]!r}")
        for d in dets:
            print(f"  det  a{d.a} b{d.b} {d.kind} {d.score}: {p.suspicious[d.b[0]:d.b[1]][:100]!r}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=40, help="pairs of each kind (default 40)")
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--cache", help="folder of a wiretrace store to keep sentence vectors in between runs")
    ap.add_argument("--lexical", action="store_true", help="also run without the embedding pass")
    ap.add_argument("--show", type=int, default=0, help="print the N worst pairs")
    ap.add_argument("--json", help="also write the figures to this JSON file")
    args = ap.parse_args()

    t0 = time.perf_counter()
    arts = reuters_articles()
    suite = build_suite(args.pairs, args.seed, arts)
    print(f"reuse suite: {len(arts)} prose Reuters bodies, {len(suite)} pairs ({args.pairs} of each kind), seed {args.seed}; "
          f"built in {time.perf_counter() - t0:.1f} s")
    out: dict[str, object] = {}
    emb, close = embedder_with_cache(args.cache)
    cfg = AlignConfig()
    t1 = time.perf_counter()
    res = run_suite(suite, cfg, emb)
    close()
    out["default"] = report(suite, res, f"wiretrace align, shipped AlignConfig, embedding pass on "
                            f"({time.perf_counter() - t1:.1f} s, {emb.embedded} sentences embedded)")
    if args.lexical:
        t2 = time.perf_counter()
        res_lex = run_suite(suite, AlignConfig(semantic=False), None)
        out["lexical"] = report(suite, res_lex, f"wiretrace align, verbatim pass only ({time.perf_counter() - t2:.1f} s)")
    if args.show:
        show_misses(suite, res, args.show)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
