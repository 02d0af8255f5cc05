"""Trace and consolidate: per story, the origin, the derivation tree, the canonical text, the additions.

The origin is the member with the strongest evidence of being the source: an agency dateline of its
own, no credit given to another outlet, the earliest date, being the side others took from, and
holding what the others hold (completeness) with little else (purity). Each other member hangs
under the higher-ranked member it is most aligned with, with the relation on the edge and the
evidence for the direction; where no alignment tells, the edge says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import xxhash

from .align import Alignment
from .model import Cleaned, DocSpans, Document, Edge, Pair, Story, merge_ranges
from .tokens import words

AlignFn = Callable[[str, str], Alignment]  # (doc a id, doc b id) -> alignment of their content


@dataclass(frozen=True, slots=True)
class TraceConfig:
    min_addition_words: int = 6  # shorter unaligned stretches are edits, not additions


def _rank(
    members: Sequence[str], docs: Mapping[str, Document], pairs: Sequence[Pair], cues: Mapping[str, dict[str, str]]
) -> tuple[list[str], dict[str, list[str]]]:
    score = dict.fromkeys(members, 0.0)
    why: dict[str, list[str]] = {m: [] for m in members}
    dates = [d for m in members if (d := docs[m].published)]
    first = min(dates) if dates else None
    for m in members:
        c = cues.get(m, {})
        if "dateline" in c:
            score[m] += 2
            why[m].append(f"opens with its own {c['dateline']} dateline")
        if "attribution" in c:
            score[m] -= 2
            why[m].append(f"credits {c['attribution']}")
        if first and docs[m].published == first and len(set(dates)) > 1:
            score[m] += 1
            why[m].append(f"earliest published ({first})")
    complete: dict[str, list[float]] = {m: [] for m in members}
    pure: dict[str, list[float]] = {m: [] for m in members}
    for p in pairs:
        if p.direction == "a<-b":
            score[p.b] += 0.5
            score[p.a] -= 0.5
        elif p.direction == "a->b":
            score[p.a] += 0.5
            score[p.b] -= 0.5
        complete[p.a].append(p.scores.b_covered)
        complete[p.b].append(p.scores.a_covered)
        pure[p.a].append(p.scores.a_covered)
        pure[p.b].append(p.scores.b_covered)
    for m in members:
        if complete[m]:
            c_ = sum(complete[m]) / len(complete[m])
            p_ = sum(pure[m]) / len(pure[m])
            score[m] += c_ + 0.5 * p_
            why[m].append(f"holds {c_:.0%} of what related pages carry; {p_:.0%} of it is found elsewhere")

    def key(m: str) -> tuple[float, str]:
        # Ties are broken by a hash of the text, never by arrival order.
        return (-round(score[m], 6), xxhash.xxh64_hexdigest(docs[m].text.encode("utf-8")))

    return sorted(members, key=key), why


def trace_story(
    story_id: str,
    members: Sequence[str],
    docs: Mapping[str, Document],
    cleaned: Mapping[str, Cleaned],
    pairs: Sequence[Pair],
    cues: Mapping[str, dict[str, str]],
    align_fn: AlignFn,
    config: TraceConfig | None = None,
) -> Story:
    config = config or TraceConfig()
    ranked, why = _rank(members, docs, pairs, cues)
    origin = ranked[0]
    by_pair = {(p.a, p.b): p for p in pairs}
    by_pair.update({(p.b, p.a): p for p in pairs})
    edges: list[Edge] = []
    placed = [origin]
    for d in ranked[1:]:
        best: tuple[float, str, Pair] | None = None
        for p_id in placed:
            p = by_pair.get((d, p_id))
            if p is None:
                continue
            d_cov = p.scores.a_covered if p.a == d else p.scores.b_covered
            took = (p.a == d and p.direction == "a<-b") or (p.b == d and p.direction == "a->b")
            s = d_cov + (0.5 if took else 0.0)
            if best is None or s > best[0]:
                best = (s, p_id, p)
        if best is None:
            edges.append(Edge(d, origin, "same_story", ("no passage aligns it to a higher-ranked page; grouped through others",)))
        else:
            _, parent, p = best
            took = (p.a == d and p.direction == "a<-b") or (p.b == d and p.direction == "a->b")
            gave = (p.a == d and p.direction == "a->b") or (p.b == d and p.direction == "a<-b")
            ev = [r for r in p.reasons if not r.startswith(("exact", "lsh", "anchors", "names"))]
            if not took:
                ev.append("direction not told by the pair: placed under the higher-ranked page" if not gave
                          else "the pair's cues point the other way; rank placed it here")
            edges.append(Edge(d, parent, p.relation, tuple(ev)))
        placed.append(d)
    canonical = DocSpans(origin, cleaned[origin].body)
    additions = []
    for d in ranked[1:]:
        spans = _additions(d, origin, docs, cleaned, by_pair, align_fn, config)
        if spans:
            additions.append(DocSpans(d, spans))
    title = docs[origin].title or _first_line(docs[origin], cleaned[origin])
    return Story(
        id=story_id, title=title, documents=tuple(sorted(members)), origin=origin,
        edges=tuple(edges), canonical=canonical, additions=tuple(additions),
        origin_evidence=tuple(why[origin]),
    )


def _first_line(doc: Document, cl: Cleaned) -> str:
    if cl.body:
        s, e = cl.body[0]
        return doc.text[s:e][:120]
    return doc.text.strip().split("\n", 1)[0][:120]


def _additions(
    d: str, origin: str, docs: Mapping[str, Document], cleaned: Mapping[str, Cleaned],
    by_pair: Mapping[tuple[str, str], Pair], align_fn: AlignFn, config: TraceConfig,
) -> tuple[tuple[int, int], ...]:
    """Body stretches of ``d`` that no passage aligns to the origin's text."""
    p = by_pair.get((d, origin))
    if p is not None:
        aligned = [q.a if p.a == d else q.b for q in p.passages]
    else:
        al = align_fn(d, origin)
        aligned = [q.a for q in al.passages]
    covered = merge_ranges(aligned)
    text = docs[d].text
    out = []
    for s, e in cleaned[d].body:
        cur = s
        for cs, ce in covered:
            if ce <= cur or cs >= e:
                continue
            if cs > cur:
                out.append((cur, cs))
            cur = max(cur, ce)
        if cur < e:
            out.append((cur, e))
    kept = []
    for s, e in out:
        w = words(text, s, e)
        if len(w) >= config.min_addition_words:
            kept.append((w.starts[0], w.ends[-1]))
    return merge_ranges(kept)
